/*
 * fields.c - field sets and field selectors (k8s.io/apimachinery/pkg/fields).
 *
 * A field set is a label set without the label rules (struct kube_fields
 * wraps a kube_labels made by kube__fieldset_new), so lookups are the same
 * hashed binary search.
 *
 * A field selector is a list of terms "field=value" / "field!=value".
 * Upstream's parser splits on commas not preceded by a backslash, sorts
 * the raw terms as strings, drops empty terms, cuts each term at its first
 * "!=", "==" or "=", and unescapes the value (\\ \, \= only; a bare , or =
 * is an error).  Terms whose field and value are both empty vanish (the
 * identity Transform turns them into Everything).  String() prints the
 * terms in that sorted order with values escaped again, "==" as "=".
 *
 * Unescaping walks the value as UTF-8 the way Go's range loop does, so an
 * invalid byte in a value that needs unescaping becomes U+FFFD, as upstream.
 */
#include <stdlib.h>
#include <string.h>

#include "labels_private.h"

struct kube_fields {
	kube_labels *set;
};

typedef struct fterm {
	char *field;        /* "field\0value\0" in one allocation */
	char *value;
	uint32_t flen, vlen;
	uint32_t fhash;
	kube_field_op op;
} fterm;

struct kube_field_selector {
	fterm *terms;
	size_t n, cap;
};

/* ---- field sets ---- */

int kube_fields_new(kube_fields **out)
{
	kube_fields *f;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	f = kube_calloc(1, sizeof(*f));
	if (!f)
		return kube__error_oom();
	if ((rc = kube__fieldset_new(&f->set)) != 0) {
		kube_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

int kube_fields_set(kube_fields *f, const char *field, const char *value)
{
	KUBE_CHECK_ARG(f);
	KUBE_CHECK_ARG(field);
	KUBE_CHECK_ARG(value);
	return kube__labels_put(f->set, field, strlen(field), value, strlen(value));
}

const char *kube_fields_get(const kube_fields *f, const char *field)
{
	return f ? kube_labels_get(f->set, field) : NULL;
}

size_t kube_fields_count(const kube_fields *f)
{
	return f ? kube_labels_count(f->set) : 0;
}

int kube_fields_at(const kube_fields *f, size_t i, const char **field, const char **value)
{
	KUBE_CHECK_ARG(f);
	return kube_labels_at(f->set, i, field, value);
}

void kube_fields_free(kube_fields *f)
{
	if (!f)
		return;
	kube_labels_free(f->set);
	kube_free(f);
}

/* ---- selectors ---- */

static int add_term(kube_field_selector *sel, const char *field, size_t flen,
                    const char *value, size_t vlen, kube_field_op op)
{
	fterm *t;
	char *mem;

	if (flen > UINT32_MAX / 4 || vlen > UINT32_MAX / 4)
		return kube__error_set(KUBE_ETOOBIG, NULL, "field selector term too long");
	if (sel->n == sel->cap) {
		size_t cap = sel->cap ? sel->cap * 2 : 4;
		fterm *p = kube_realloc(sel->terms, cap * sizeof(*p));
		if (!p)
			return kube__error_oom();
		sel->terms = p;
		sel->cap = cap;
	}
	mem = kube_malloc(flen + vlen + 2);
	if (!mem)
		return kube__error_oom();
	memcpy(mem, field, flen);
	mem[flen] = '\0';
	memcpy(mem + flen + 1, value, vlen);
	mem[flen + 1 + vlen] = '\0';
	t = &sel->terms[sel->n++];
	t->field = mem;
	t->value = mem + flen + 1;
	t->flen = (uint32_t)flen;
	t->vlen = (uint32_t)vlen;
	t->fhash = kube__strhash(mem, flen);
	t->op = op;
	return 0;
}

int kube_field_selector_new(kube_field_selector **out)
{
	KUBE_CHECK_ARG(out);
	*out = kube_calloc(1, sizeof(**out));
	return *out ? 0 : kube__error_oom();
}

void kube_field_selector_free(kube_field_selector *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->n; i++)
		kube_free(sel->terms[i].field);
	kube_free(sel->terms);
	kube_free(sel);
}

int kube_field_selector_add(kube_field_selector *sel, const char *field, kube_field_op op,
                            const char *value)
{
	KUBE_CHECK_ARG(sel);
	KUBE_CHECK_ARG(field);
	KUBE_CHECK_ARG(value);
	KUBE_CHECK_ARG(op == KUBE_FIELD_EQUALS || op == KUBE_FIELD_NOT_EQUALS);
	return add_term(sel, field, strlen(field), value, strlen(value), op);
}

typedef struct span {
	const char *s;
	size_t n;
} span;

static int span_cmp(const void *a, const void *b)
{
	const span *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->s, y->s, n);
	if (c)
		return c;
	return x->n < y->n ? -1 : x->n > y->n;
}

/* Go's utf8.DecodeRune width for a byte sequence; invalid -> 1 (U+FFFD). */
static size_t rune_width(const unsigned char *s, size_t n, int *invalid)
{
	unsigned char b0 = s[0], lo = 0x80, hi = 0xBF;
	size_t need;

	*invalid = 0;
	if (b0 < 0x80)
		return 1;
	if (b0 >= 0xC2 && b0 <= 0xDF)
		need = 2;
	else if (b0 >= 0xE0 && b0 <= 0xEF) {
		need = 3;
		if (b0 == 0xE0)
			lo = 0xA0;
		else if (b0 == 0xED)
			hi = 0x9F;
	} else if (b0 >= 0xF0 && b0 <= 0xF4) {
		need = 4;
		if (b0 == 0xF0)
			lo = 0x90;
		else if (b0 == 0xF4)
			hi = 0x8F;
	} else {
		*invalid = 1;
		return 1;
	}
	if (n < need || s[1] < lo || s[1] > hi) {
		*invalid = 1;
		return 1;
	}
	for (size_t i = 2; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*invalid = 1;
			return 1;
		}
	}
	return need;
}

#define REPLACEMENT "\xEF\xBF\xBD"

/* fields.UnescapeValue into out.  0, or raises KUBE_EINVAL. */
static int unescape(const char *s, size_t n, kube__buf *out)
{
	int in_slash = 0;

	if (!memchr(s, '\\', n) && !memchr(s, ',', n) && !memchr(s, '=', n)) {
		kube__buf_put(out, s, n);
		return 0;
	}
	for (size_t i = 0; i < n;) {
		int invalid;
		size_t w = rune_width((const unsigned char *)s + i, n - i, &invalid);
		const char *r = invalid ? REPLACEMENT : s + i;
		size_t rl = invalid ? 3 : w;
		if (in_slash) {
			if (w == 1 && !invalid && (s[i] == '\\' || s[i] == ',' || s[i] == '=')) {
				kube__buf_putc(out, s[i]);
			} else {
				return kube__error_set(KUBE_EINVAL, NULL,
				                       "invalid field selector: invalid escape sequence: \\%.*s",
				                       (int)rl, r);
			}
			in_slash = 0;
		} else if (s[i] == '\\') {
			in_slash = 1;
		} else if (s[i] == ',' || s[i] == '=') {
			return kube__error_set(KUBE_EINVAL, NULL,
			                       "invalid field selector: unescaped character in value: %d",
			                       s[i]);
		} else {
			kube__buf_put(out, r, rl);
		}
		i += w;
	}
	if (in_slash)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "invalid field selector: invalid escape sequence: \\");
	return 0;
}

int kube_field_selector_parse(kube_field_selector **out, const char *text)
{
	kube_field_selector *sel;
	span inl[16], *parts = inl;
	size_t nparts = 0, cap = KUBE_ARRAY_SIZE(inl), len, start = 0;
	kube__buf val = KUBE__BUF_INIT;
	int rc = 0, in_slash = 0;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(text);
	if ((rc = kube_field_selector_new(&sel)) != 0)
		return rc;
	len = strlen(text);
	if (len == 0) {
		*out = sel;
		return 0;
	}
	/* splitTerms: commas not escaped by a preceding backslash */
	for (size_t i = 0; i <= len; i++) {
		int cut = i == len;
		if (!cut) {
			if (in_slash)
				in_slash = 0;
			else if (text[i] == '\\')
				in_slash = 1;
			else if (text[i] == ',')
				cut = 1;
		}
		if (!cut)
			continue;
		if (nparts == cap) {
			span *p = kube_malloc(cap * 2 * sizeof(*p));
			if (!p) {
				rc = kube__error_oom();
				goto done;
			}
			memcpy(p, parts, nparts * sizeof(*p));
			if (parts != inl)
				kube_free(parts);
			parts = p;
			cap *= 2;
		}
		parts[nparts++] = (span){ text + start, i - start };
		start = i + 1;
	}
	qsort(parts, nparts, sizeof(*parts), span_cmp);
	for (size_t i = 0; i < nparts; i++) {
		const char *p = parts[i].s;
		size_t n = parts[i].n, at = 0, oplen = 0;
		kube_field_op op = KUBE_FIELD_EQUALS;

		if (n == 0)
			continue;
		/* splitTerm: the first position where "!=", "==" or "=" starts */
		for (at = 0; at < n; at++) {
			if (p[at] == '!' && at + 1 < n && p[at + 1] == '=') {
				op = KUBE_FIELD_NOT_EQUALS;
				oplen = 2;
				break;
			}
			if (p[at] == '=') {
				oplen = at + 1 < n && p[at + 1] == '=' ? 2 : 1;
				break;
			}
		}
		if (oplen == 0) {
			rc = kube__error_set(KUBE_EINVAL, NULL,
			                     "invalid selector: '%s'; can't understand '%.*s'", text,
			                     (int)n, p);
			goto done;
		}
		val.len = 0;
		if (val.data)
			val.data[0] = '\0';
		if ((rc = unescape(p + at + oplen, n - at - oplen, &val)) != 0)
			goto done;
		if (val.failed) {
			rc = kube__error_oom();
			goto done;
		}
		if (at == 0 && val.len == 0)
			continue;   /* Transform: an empty field and value is Everything */
		if ((rc = add_term(sel, p, at, val.data ? val.data : "", val.len, op)) != 0)
			goto done;
	}
done:
	if (parts != inl)
		kube_free(parts);
	kube__buf_free(&val);
	if (rc) {
		kube_field_selector_free(sel);
		return rc;
	}
	*out = sel;
	return 0;
}

static void put_escaped(kube__buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == ',' || s[i] == '=')
			kube__buf_putc(b, '\\');
		kube__buf_putc(b, s[i]);
	}
}

char *kube_field_selector_string(const kube_field_selector *sel)
{
	kube__buf b = KUBE__BUF_INIT;

	if (!sel || sel->n == 0)
		return kube_strdup("");
	for (size_t i = 0; i < sel->n; i++) {
		const fterm *t = &sel->terms[i];
		if (i)
			kube__buf_putc(&b, ',');
		kube__buf_put(&b, t->field, t->flen);
		kube__buf_puts(&b, t->op == KUBE_FIELD_NOT_EQUALS ? "!=" : "=");
		put_escaped(&b, t->value, t->vlen);
	}
	if (b.failed) {
		kube__buf_free(&b);
		return NULL;
	}
	return kube__buf_detach(&b, NULL);
}

int kube_field_selector_matches(const kube_field_selector *sel, const kube_fields *fields)
{
	if (!sel)
		return 0;
	for (size_t i = 0; i < sel->n; i++) {
		const fterm *t = &sel->terms[i];
		const kube__label_ent *e = NULL;
		const char *v = "";
		uint32_t vlen = 0;
		if (fields)
			e = kube__labels_find(fields->set, t->field, t->flen, t->fhash);
		if (e) {
			v = kube__label_value(fields->set, e);
			vlen = e->vlen;
		}
		int eq = kube__streq(v, vlen, t->value, t->vlen);
		if (eq != (t->op == KUBE_FIELD_EQUALS))
			return 0;
	}
	return 1;
}

int kube_field_selector_empty(const kube_field_selector *sel)
{
	return !sel || sel->n == 0;
}

size_t kube_field_selector_term_count(const kube_field_selector *sel)
{
	return sel ? sel->n : 0;
}

int kube_field_selector_term(const kube_field_selector *sel, size_t i, const char **field,
                             kube_field_op *op, const char **value)
{
	KUBE_CHECK_ARG(sel);
	if (i >= sel->n)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "term %zu out of range", i);
	if (field)
		*field = sel->terms[i].field;
	if (op)
		*op = sel->terms[i].op;
	if (value)
		*value = sel->terms[i].value;
	return 0;
}

int kube_field_selector_requires_exact_match(const kube_field_selector *sel, const char *field,
                                             const char **value)
{
	if (!sel || !field)
		return 0;
	for (size_t i = 0; i < sel->n; i++) {
		const fterm *t = &sel->terms[i];
		if (t->op == KUBE_FIELD_EQUALS && strcmp(t->field, field) == 0) {
			if (value)
				*value = t->value;
			return 1;
		}
	}
	return 0;
}

/* The field set behind a kube_fields (for lib/object/fieldset.c). */
kube_labels *kube__fields_set(kube_fields *f)
{
	return f->set;
}
