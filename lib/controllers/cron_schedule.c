/*
 * cron_schedule.c - CronJob's schedule grammar, as robfig/cron v3's
 * standard parser (cron.ParseStandard, which Kubernetes uses), and its
 * Next: pure functions, no I/O, no globals.
 *
 * A schedule is one bit set per field plus a "star" bit that says the
 * day-of-month or day-of-week field was written "*" or "?" (without a
 * step > 1): robfig's rule is that when either day field is a star the
 * day must match both, otherwise either one.
 *
 *   minute   bits 0..59        hour  bits 0..23
 *   dom      bits 1..31        month bits 1..12 (jan..dec)
 *   dow      bits 0..6 (sun..sat)
 *
 * "@every D" is a constant delay instead (robfig's ConstantDelaySchedule:
 * D rounded down to whole seconds, at least one second; the next time is
 * `after`, its fraction of a second dropped, + D).  Times are UTC.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "controllers_private.h"

#define STAR_BIT ((uint64_t)1 << 63)

struct kube_cron_schedule {
	uint64_t minute, hour, dom, month, dow;
	int64_t every_ns;           /* > 0: "@every" */
};

typedef struct bounds {
	int min, max;
	const char *const *names;   /* NULL-terminated, or NULL */
	int name_base;              /* the value of names[0] */
	const char *field;
} bounds;

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun",
	                                   "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

static const bounds B_MINUTE = { 0, 59, NULL, 0, "minute" };
static const bounds B_HOUR = { 0, 23, NULL, 0, "hour" };
static const bounds B_DOM = { 1, 31, NULL, 0, "day of month" };
static const bounds B_MONTH = { 1, 12, month_names, 1, "month" };
static const bounds B_DOW = { 0, 6, dow_names, 0, "day of week" };

typedef struct perr {
	const char *spec;
} perr;

static int fail(const perr *e, const bounds *b, const char *fmt, ...) KUBE_PRINTF(3, 4);

static int fail(const perr *e, const bounds *b, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (b)
		return kube__error_set(KUBE_EINVAL, NULL, "invalid schedule \"%.200s\": %s field: %s",
		                       e->spec, b->field, msg);
	return kube__error_set(KUBE_EINVAL, NULL, "invalid schedule \"%.200s\": %s", e->spec, msg);
}

/* strconv.Atoi, then robfig's "no negative numbers". */
static int must_parse_int(const perr *e, const bounds *b, const char *s, size_t n, int64_t *out)
{
	char buf[64];
	const char *p;
	long long v = 0;
	int neg = 0, digits = 0;

	snprintf(buf, sizeof(buf), "%.*s", (int)(n < 60 ? n : 60), s);
	p = buf;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return fail(e, b, "failed to parse int from %s: strconv.Atoi: parsing \"%s\": "
			                  "invalid syntax", buf, buf);
		/* Go's int is 64 bits: larger is out of range */
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return fail(e, b, "failed to parse int from %s: strconv.Atoi: parsing \"%s\": "
			                  "value out of range", buf, buf);
		v = v * 10 + (*p - '0');
		digits++;
	}
	if (!digits || n >= 60)
		return fail(e, b, "failed to parse int from %s: strconv.Atoi: parsing \"%s\": "
		                  "invalid syntax", buf, buf);
	if (neg && v != 0)
		return fail(e, b, "negative number (%lld) not allowed: %s", -v, buf);
	*out = (int64_t)v;
	return 0;
}

static int parse_int_or_name(const perr *e, const bounds *b, const char *s, size_t n,
                             int64_t *out)
{
	if (b->names)
		for (int i = 0; b->names[i]; i++)
			if (strlen(b->names[i]) == n && strncasecmp(b->names[i], s, n) == 0) {
				*out = b->name_base + i;
				return 0;
			}
	return must_parse_int(e, b, s, n, out);
}

/* getRange: one "*", "N", "N-M", each with an optional "/STEP". */
static int parse_range(const perr *e, const bounds *b, const char *s, size_t n, uint64_t *bits)
{
	const char *slash = memchr(s, '/', n), *dash;
	size_t rn = slash ? (size_t)(slash - s) : n;
	int64_t start, end, step = 1;
	int rc;
	uint64_t extra = 0;
	char expr[64];

	snprintf(expr, sizeof(expr), "%.*s", (int)(n < 60 ? n : 60), s);
	if (slash && memchr(slash + 1, '/', n - rn - 1))
		return fail(e, b, "too many slashes: %s", expr);
	dash = memchr(s, '-', rn);
	/* robfig looks only at what comes before the first hyphen here:
	 * "*-5" is "*" */
	if ((dash ? dash - s : (ptrdiff_t)rn) == 1 && (*s == '*' || *s == '?')) {
		start = b->min;
		end = b->max;
		extra = STAR_BIT;
	} else {
		if (dash && memchr(dash + 1, '-', rn - (size_t)(dash - s) - 1))
			return fail(e, b, "too many hyphens: %s", expr);
		size_t ln = dash ? (size_t)(dash - s) : rn;
		if ((rc = parse_int_or_name(e, b, s, ln, &start)) != 0)
			return rc;
		end = start;
		if (dash && (rc = parse_int_or_name(e, b, dash + 1, rn - ln - 1, &end)) != 0)
			return rc;
	}
	if (slash) {
		if ((rc = must_parse_int(e, b, slash + 1, n - rn - 1, &step)) != 0)
			return rc;
		if (!dash)   /* "N/step" means N through the maximum */
			end = b->max;
		if (step > 1)
			extra = 0;
	}
	if (start < b->min)
		return fail(e, b, "beginning of range (%lld) below minimum (%d): %s", (long long)start,
		            b->min, expr);
	if (end > b->max)
		return fail(e, b, "end of range (%lld) above maximum (%d): %s", (long long)end, b->max,
		            expr);
	if (start > end)
		return fail(e, b, "beginning of range (%lld) beyond end of range (%lld): %s",
		            (long long)start, (long long)end, expr);
	if (step == 0)
		return fail(e, b, "step of range should be a positive number: %s", expr);
	for (int64_t v = start;; v += step) {
		*bits |= (uint64_t)1 << v;
		if (step > end - v)   /* also keeps a huge step from overflowing */
			break;
	}
	*bits |= extra;
	return 0;
}

static int parse_field(const perr *e, const bounds *b, const char *s, size_t n, uint64_t *bits)
{
	*bits = 0;
	for (;;) {
		const char *comma = memchr(s, ',', n);
		size_t len = comma ? (size_t)(comma - s) : n;
		/* empty items are skipped (Go's FieldsFunc): "1,,2" is "1,2" and
		 * "," matches nothing */
		int rc = len ? parse_range(e, b, s, len, bits) : 0;
		if (rc != 0)
			return rc;
		if (!comma)
			return 0;
		s = comma + 1;
		n -= len + 1;
	}
}

/* Go's time.ParseDuration, for the forms a schedule uses: a sequence of
 * decimal numbers (fractions allowed) with units ns us µs ms s m h. */
static int parse_duration(const char *s, int64_t *out)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ms", 1e6 },
		      { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 } };
	double total = 0;
	int neg = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (!*s)
		return -1;
	while (*s) {
		char *end;
		double v;
		size_t best = 0, bi = 0;
		if (!((*s >= '0' && *s <= '9') || *s == '.'))
			return -1;
		errno = 0;
		v = strtod(s, &end);
		if (end == s || errno)
			return -1;
		for (const char *q = s; q < end; q++)
			if (!((*q >= '0' && *q <= '9') || *q == '.'))
				return -1;   /* no exponents, no hex: Go has neither */
		s = end;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, l) == 0 && l > best) {
				best = l;
				bi = i;
			}
		}
		if (!best)
			return -1;
		total += v * units[bi].ns;
		if (total > 9.2e18)
			return -1;
		s += best;
	}
	*out = (int64_t)(neg ? -total : total);
	return 0;
}

int kube_cron_schedule_parse(kube_cron_schedule **out, const char *spec)
{
	static const struct {
		const char *name, *expr;
	} descriptors[] = { { "@yearly", "0 0 1 1 *" },  { "@annually", "0 0 1 1 *" },
		            { "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
		            { "@daily", "0 0 * * *" },   { "@midnight", "0 0 * * *" },
		            { "@hourly", "0 * * * *" } };
	static const bounds *const fields[5] = { &B_MINUTE, &B_HOUR, &B_DOM, &B_MONTH, &B_DOW };
	kube_cron_schedule s;
	perr e = { spec };
	const char *p, *start[6];
	size_t len[6];
	int nf = 0, rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(spec);
	memset(&s, 0, sizeof(s));
	for (p = spec; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f';)
		p++;
	if (!*p)
		return fail(&e, NULL, "empty spec string");
	if (strncmp(p, "TZ=", 3) == 0 || strncmp(p, "CRON_TZ=", 8) == 0)
		return fail(&e, NULL, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
	if (*p == '@') {
		char word[32];
		size_t n = strcspn(p, " \t\n\r\v\f");
		snprintf(word, sizeof(word), "%.*s", (int)(n < 31 ? n : 31), p);
		if (strcmp(word, "@every") == 0 && n == 6) {
			const char *d = p + n;
			char dur[64];
			int64_t ns;
			while (*d == ' ' || *d == '\t')
				d++;
			snprintf(dur, sizeof(dur), "%.63s", d);
			dur[strcspn(dur, " \t\n\r\v\f")] = 0;
			if (parse_duration(dur, &ns) != 0)
				return fail(&e, NULL, "failed to parse duration %s: time: invalid duration "
				                      "\"%s\"", p, dur);
			/* robfig: at least a second, rounded down to whole seconds */
			if (ns < KUBE__NS_PER_SEC)
				ns = KUBE__NS_PER_SEC;
			s.every_ns = ns - ns % KUBE__NS_PER_SEC;
			goto done;
		}
		for (size_t i = 0; i < sizeof(descriptors) / sizeof(descriptors[0]); i++)
			if (strlen(descriptors[i].name) == n && strncmp(p, descriptors[i].name, n) == 0 &&
			    p[n + strspn(p + n, " \t\n\r\v\f")] == 0)
				return kube_cron_schedule_parse(out, descriptors[i].expr);
		return fail(&e, NULL, "unrecognized descriptor: %s", p);
	}
	while (*p) {
		size_t n = strcspn(p, " \t\n\r\v\f");
		if (nf < 6) {
			start[nf] = p;
			len[nf] = n;
		}
		nf++;
		p += n;
		p += strspn(p, " \t\n\r\v\f");
	}
	if (nf != 5)
		return fail(&e, NULL, "expected exactly 5 fields, found %d: %s", nf, spec);
	uint64_t *bits[5] = { &s.minute, &s.hour, &s.dom, &s.month, &s.dow };
	for (int i = 0; i < 5; i++)
		if ((rc = parse_field(&e, fields[i], start[i], len[i], bits[i])) != 0)
			return rc;
done:
	if (!(*out = kube_calloc(1, sizeof(**out))))
		return kube__error_oom();
	**out = s;
	return 0;
}

void kube_cron_schedule_free(kube_cron_schedule *s)
{
	kube_free(s);
}

static int day_matches(const kube_cron_schedule *s, const struct tm *tm)
{
	int dom = (s->dom >> tm->tm_mday) & 1, dow = (s->dow >> tm->tm_wday) & 1;

	if ((s->dom & STAR_BIT) || (s->dow & STAR_BIT))
		return dom && dow;
	return dom || dow;
}

int64_t kube_cron_schedule_next(const kube_cron_schedule *s, int64_t after)
{
	int64_t secs;
	time_t t;
	struct tm tm;
	int year_limit;

	if (!s)
		return 0;
	/* whole seconds, floor division so that times before the epoch work */
	if (after < INT64_MIN + KUBE__NS_PER_SEC)
		after = INT64_MIN + KUBE__NS_PER_SEC;   /* so that the floor fits */
	secs = after / KUBE__NS_PER_SEC;
	if (after % KUBE__NS_PER_SEC < 0)
		secs--;
	if (s->every_ns > 0) {
		if (secs > 0 && s->every_ns > INT64_MAX - secs * KUBE__NS_PER_SEC)
			return 0;   /* past the end of time */
		return secs * KUBE__NS_PER_SEC + s->every_ns;
	}
	/* a field that matches nothing (",") never fires: skip the search */
	if (!(s->minute & ~STAR_BIT) || !(s->hour & ~STAR_BIT) || !(s->dom & ~STAR_BIT) ||
	    !(s->month & ~STAR_BIT) || !(s->dow & ~STAR_BIT))
		return 0;
	/* seconds must be 0: the first whole minute strictly after `after` */
	secs = secs - (((secs % 60) + 60) % 60) + 60;
	t = (time_t)secs;
	if (!gmtime_r(&t, &tm))
		return 0;
	year_limit = tm.tm_year + 5;
	while (tm.tm_year <= year_limit) {
		if (!((s->month >> (tm.tm_mon + 1)) & 1)) {
			tm.tm_mon++;
			tm.tm_mday = 1;
			tm.tm_hour = 0;
			tm.tm_min = 0;
		} else if (!day_matches(s, &tm)) {
			tm.tm_mday++;
			tm.tm_hour = 0;
			tm.tm_min = 0;
		} else if (!((s->hour >> tm.tm_hour) & 1)) {
			tm.tm_hour++;
			tm.tm_min = 0;
		} else if (!((s->minute >> tm.tm_min) & 1)) {
			tm.tm_min++;
		} else {
			t = timegm(&tm);
			/* beyond what int64 nanoseconds hold (year 2262) */
			if ((int64_t)t > INT64_MAX / KUBE__NS_PER_SEC)
				return 0;
			return (int64_t)t * KUBE__NS_PER_SEC;
		}
		/* normalise (and refresh tm_wday) */
		tm.tm_sec = 0;
		t = timegm(&tm);
		if (t == (time_t)-1 || !gmtime_r(&t, &tm))
			return 0;
	}
	return 0;
}
