/*
 * fieldsel.c - a minimal field-selector matcher for list and watch.
 *
 * TODO(store): replace with the labels layer's field-selector engine once it
 * lands (issue 3); this one is here so the store does not wait for it.
 *
 * Grammar, as fields.ParseSelector: terms joined by ',', each
 * "field=value", "field==value" or "field!=value"; a backslash escapes the
 * next character in a value.  A field is a path into the object
 * (metadata.name, metadata.namespace, spec.nodeName, status.phase, ...); a
 * missing field has the value "", so "spec.nodeName=" selects unscheduled
 * pods as it does upstream.
 */
#include <string.h>

#include "store_private.h"

typedef struct term {
	char *field;
	char *value;
	int negate;
} term;

struct kube__fieldsel {
	term *terms;
	size_t n;
};

void kube__fieldsel_free(kube__fieldsel *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		kube_free(fs->terms[i].field);
		kube_free(fs->terms[i].value);
	}
	kube_free(fs->terms);
	kube_free(fs);
}

/* Splits at unescaped ',' into [start, end) pieces, one at a time. */
static const char *term_end(const char *p)
{
	for (; *p && *p != ','; p++)
		if (*p == '\\' && p[1])
			p++;
	return p;
}

static int parse_term(term *t, const char *sel, const char *p, const char *end)
{
	const char *op = NULL;
	size_t oplen = 0;
	kube__buf v = KUBE__BUF_INIT;

	for (const char *q = p; q < end; q++) {
		if (*q == '\\' && q + 1 < end) {
			q++;
			continue;
		}
		if (q[0] == '!' && q + 1 < end && q[1] == '=') {
			op = q, oplen = 2, t->negate = 1;
			break;
		}
		if (q[0] == '=') {
			op = q;
			oplen = (q + 1 < end && q[1] == '=') ? 2 : 1;
			break;
		}
	}
	if (!op || op == p)
		return kube__error_set(KUBE_EINVAL, NULL, "invalid selector: '%s'; can't understand '%.*s'",
		                       sel, (int)(end - p), p);
	if (!(t->field = kube_strndup(p, (size_t)(op - p))))
		return kube__error_oom();
	for (const char *q = op + oplen; q < end; q++) {
		if (*q == '\\' && q + 1 < end)
			q++;
		kube__buf_putc(&v, *q);
	}
	kube__buf_putc(&v, '\0');
	if (v.failed) {
		kube__buf_free(&v);
		return kube__error_oom();
	}
	t->value = kube__buf_detach(&v, NULL);
	return t->value ? 0 : kube__error_oom();
}

int kube__fieldsel_parse(kube__fieldsel **out, const char *text)
{
	kube__fieldsel *fs;
	const char *p = text;
	size_t n = 1;
	int rc;

	*out = NULL;
	if (!text || !*text)
		return 0;
	for (const char *q = text; *(q = term_end(q)); q++)
		n++;
	if (!(fs = kube_calloc(1, sizeof(*fs))) || !(fs->terms = kube_calloc(n, sizeof(term)))) {
		kube_free(fs);
		return kube__error_oom();
	}
	for (;;) {
		const char *end = term_end(p);
		if ((rc = parse_term(&fs->terms[fs->n++], text, p, end)) != 0) {
			kube__fieldsel_free(fs);
			return rc;
		}
		if (!*end)
			break;
		p = end + 1;
	}
	*out = fs;
	return 0;
}

static const char *field_value(const kube_object *obj, const char *field)
{
	const char *v = NULL;

	if (strcmp(field, "metadata.name") == 0)
		v = kube_object_name(obj);
	else if (strcmp(field, "metadata.namespace") == 0)
		v = kube_object_namespace(obj);
	else if (kube_object_get_string(obj, field, &v) != 0)
		v = NULL;
	return v ? v : "";
}

int kube__fieldsel_matches(const kube__fieldsel *fs, const kube_object *obj)
{
	if (!fs)
		return 1;
	for (size_t i = 0; i < fs->n; i++) {
		int eq = strcmp(field_value(obj, fs->terms[i].field), fs->terms[i].value) == 0;
		if (eq == fs->terms[i].negate)
			return 0;
	}
	return 1;
}
