/*
 * validation_cron.c - cron schedules as a CronJob's spec.schedule is parsed.
 *
 * Upstream validates a schedule by parsing it with github.com/robfig/cron/v3
 * (cron.ParseStandard()) and reports the parser's error text, so this file
 * is a parser of its own, with the same grammar and the same messages: an
 * optional "TZ=" / "CRON_TZ=" prefix, the "@yearly"... descriptors, "@every
 * <duration>" (time.ParseDuration()), or five fields of numbers, names,
 * ranges, steps and '*' / '?'.  It sees only a string and keeps no state.
 */
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>

#include "validation_private.h"

/* ---- cron schedules (github.com/robfig/cron/v3, ParseStandard) ---- */

typedef struct cron_bounds {
	uint64_t min, max;
	const char *const *names;   /* names[i] is the value min+i (cron_int_or_name()) */
} cron_bounds;

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun", "jul",
                                           "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

/* strconv.Atoi() with its error text; 0 on success. */
static int go_atoi_err(const char *s, int64_t *out, char *err, size_t errlen)
{
	kube__buf q = KUBE__BUF_INIT;
	const char *p = s;
	int neg = 0, range = 0;
	int64_t v = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		goto syntax;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto syntax;
		if (!range && v > (INT64_MAX - (*p - '0')) / 10)
			range = 1;
		if (!range)
			v = v * 10 + (*p - '0');
	}
	if (range) {
		kube__go_quote(&q, s, strlen(s));
		snprintf(err, errlen, "strconv.Atoi: parsing %s: value out of range", q.data ? q.data : "");
		kube__buf_free(&q);
		return -1;
	}
	*out = neg ? -v : v;
	return 0;
syntax:
	kube__go_quote(&q, s, strlen(s));
	snprintf(err, errlen, "strconv.Atoi: parsing %s: invalid syntax", q.data ? q.data : "");
	kube__buf_free(&q);
	return -1;
}

/* mustParseInt(): a non-negative int. */
static int cron_int(const char *expr, uint64_t *out, char *msg, size_t len)
{
	char err[600];
	int64_t v;

	if (go_atoi_err(expr, &v, err, sizeof(err)) != 0) {
		snprintf(msg, len, "failed to parse int from %s: %s", expr, err);
		return -1;
	}
	if (v < 0) {
		snprintf(msg, len, "negative number (%" PRId64 ") not allowed: %s", v, expr);
		return -1;
	}
	*out = (uint64_t)v;
	return 0;
}

static int cron_int_or_name(const char *expr, const cron_bounds *r, uint64_t *out, char *msg, size_t len)
{
	if (r->names) {
		for (size_t i = 0; r->names[i]; i++) {
			if (strcasecmp(expr, r->names[i]) == 0) {
				*out = r->min + i;
				return 0;
			}
		}
	}
	return cron_int(expr, out, msg, len);
}

/* getRange() for one comma-separated part. */
static int cron_range(const char *expr, const cron_bounds *r, char *msg, size_t len)
{
	char buf[256], *slash1, *slash2, *low, *dash1, *dash2;
	uint64_t start, end, step = 1;
	int single;

	snprintf(buf, sizeof(buf), "%s", expr);
	slash1 = strchr(buf, '/');
	slash2 = slash1 ? strchr(slash1 + 1, '/') : NULL;
	if (slash1)
		*slash1 = '\0';
	low = buf;
	dash1 = strchr(low, '-');
	dash2 = dash1 ? strchr(dash1 + 1, '-') : NULL;
	single = dash1 == NULL;
	if (dash1)
		*dash1 = '\0';
	if (strcmp(low, "*") == 0 || strcmp(low, "?") == 0) {
		start = r->min;
		end = r->max;
	} else {
		if (cron_int_or_name(low, r, &start, msg, len))
			return -1;
		if (!dash1) {
			end = start;
		} else if (dash2) {
			snprintf(msg, len, "too many hyphens: %s", expr);
			return -1;
		} else if (cron_int_or_name(dash1 + 1, r, &end, msg, len)) {
			return -1;
		}
	}
	if (slash2) {
		snprintf(msg, len, "too many slashes: %s", expr);
		return -1;
	}
	if (slash1) {
		*slash1 = '/';
		if (slash2)
			*slash2 = '\0';
		if (cron_int(slash1 + 1, &step, msg, len))
			return -1;
		if (single)
			end = r->max;
	}
	if (start < r->min) {
		snprintf(msg, len, "beginning of range (%" PRIu64 ") below minimum (%" PRIu64 "): %s",
		         start, r->min, expr);
		return -1;
	}
	if (end > r->max) {
		snprintf(msg, len, "end of range (%" PRIu64 ") above maximum (%" PRIu64 "): %s",
		         end, r->max, expr);
		return -1;
	}
	if (start > end) {
		snprintf(msg, len, "beginning of range (%" PRIu64 ") beyond end of range (%" PRIu64 "): %s",
		         start, end, expr);
		return -1;
	}
	if (step == 0) {
		snprintf(msg, len, "step of range should be a positive number: %s", expr);
		return -1;
	}
	return 0;
}

static int cron_field(const char *field, const cron_bounds *r, char *msg, size_t len)
{
	char part[256];
	const char *p = field;

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n > 0) {   /* strings.FieldsFunc drops empty parts */
			snprintf(part, sizeof(part), "%.*s", (int)n, p);
			if (cron_range(part, r, msg, len))
				return -1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int cron_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

/* time.ParseDuration(), for "@every <duration>": 0 or the error text. */
static int go_parse_duration(const char *s, char *msg, size_t len)
{
	static const char *const units[] = { "ns", "us", "\xc2\xb5s", "\xce\xbcs", "ms", "s", "m", "h", NULL };
	kube__buf q = KUBE__BUF_INIT;
	const char *p = s;
	int rc = 0;

	kube__go_quote(&q, s, strlen(s));
	if (*p == '+' || *p == '-')
		p++;
	if (strcmp(p, "0") == 0)
		goto out;
	if (!*p)
		goto invalid;
	while (*p) {
		const char *u;
		size_t ulen, i;
		int digits = 0;

		if (!(*p == '.' || (*p >= '0' && *p <= '9')))
			goto invalid;
		while (*p >= '0' && *p <= '9')
			p++, digits++;
		if (*p == '.') {
			p++;
			while (*p >= '0' && *p <= '9')
				p++, digits++;
		}
		if (!digits)
			goto invalid;
		u = p;
		while (*p && *p != '.' && !(*p >= '0' && *p <= '9'))
			p++;
		ulen = (size_t)(p - u);
		if (ulen == 0) {
			snprintf(msg, len, "time: missing unit in duration %s", q.data ? q.data : "");
			rc = -1;
			goto out;
		}
		for (i = 0; units[i]; i++)
			if (strlen(units[i]) == ulen && memcmp(units[i], u, ulen) == 0)
				break;
		if (!units[i]) {
			kube__buf uq = KUBE__BUF_INIT;
			kube__go_quote(&uq, u, ulen);
			snprintf(msg, len, "time: unknown unit %s in duration %s", uq.data ? uq.data : "",
			         q.data ? q.data : "");
			kube__buf_free(&uq);
			rc = -1;
			goto out;
		}
	}
	goto out;
invalid:
	snprintf(msg, len, "time: invalid duration %s", q.data ? q.data : "");
	rc = -1;
out:
	kube__buf_free(&q);
	return rc;
}

/* cron.ParseStandard(): 0, or -1 and upstream's error text in msg. */
int kube__val_cron_parse_standard(const char *spec, char *msg, size_t len)
{
	static const char *const descriptors[] = { "@yearly", "@annually", "@monthly", "@weekly",
	                                           "@daily", "@midnight", "@hourly", NULL };
	static const cron_bounds bounds[] = {
		{ 0, 59, NULL }, { 0, 59, NULL }, { 0, 23, NULL }, { 1, 31, NULL },
		{ 1, 12, month_names }, { 0, 6, dow_names },
	};
	char fields[6][256];
	size_t nfields = 0;
	const char *p;

	if (!*spec) {
		snprintf(msg, len, "empty spec string");
		return -1;
	}
	if (kube__val_has_prefix(spec, "TZ=") || kube__val_has_prefix(spec, "CRON_TZ=")) {
		/* the location itself is not checked: that needs the zone database */
		const char *sp = strchr(spec, ' ');
		spec = sp ? sp : "";
		while (cron_space((unsigned char)*spec))
			spec++;
	}
	if (spec[0] == '@') {
		if (kube__val_is_one_of(spec, descriptors))
			return 0;
		if (kube__val_has_prefix(spec, "@every ")) {
			char err[600];
			if (go_parse_duration(spec + 7, err, sizeof(err)) == 0)
				return 0;
			snprintf(msg, len, "failed to parse duration %s: %s", spec, err);
			return -1;
		}
		snprintf(msg, len, "unrecognized descriptor: %s", spec);
		return -1;
	}
	/* strings.Fields, then the fields as Go prints a []string: [a b c] */
	{
		kube__buf list = KUBE__BUF_INIT;
		size_t count = 0;
		for (p = spec; *p;) {
			const char *e;
			while (cron_space((unsigned char)*p))
				p++;
			if (!*p)
				break;
			e = p;
			while (*e && !cron_space((unsigned char)*e))
				e++;
			if (count < 5)
				snprintf(fields[count + 1], sizeof(fields[0]), "%.*s", (int)(e - p), p);
			kube__buf_printf(&list, "%s%.*s", count ? " " : "", (int)(e - p), p);
			count++;
			p = e;
		}
		if (count != 5) {
			snprintf(msg, len, "expected exactly 5 fields, found %zu: [%s]", count,
			         list.data ? list.data : "");
			kube__buf_free(&list);
			return -1;
		}
		kube__buf_free(&list);
		nfields = 6;
	}
	snprintf(fields[0], sizeof(fields[0]), "0");   /* the seconds field defaults to 0 */
	for (size_t i = 0; i < nfields; i++)
		if (cron_field(fields[i], &bounds[i], msg, len))
			return -1;
	return 0;
}
