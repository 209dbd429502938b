/*
 * goerr.c - error text exactly as apimachinery prints it.
 *
 * Selector errors are compared word for word by callers (and by a
 * differential suite generated from upstream), so the pieces apimachinery
 * contributes to them are reproduced here: field.Error's
 * "<path>: Invalid value: <value>: <detail>" and utilerrors.Aggregate's
 * "[e1, e2]" with duplicate messages dropped.  Go's own quoting comes from
 * lib/base/gofmt.c.
 */
#include <string.h>

#include "labels_private.h"

kube__buf *kube__ferrs_begin(kube__ferrs *e)
{
	if (e->count++)
		kube__buf_putc(&e->text, '\0');
	return &e->text;
}

void kube__ferrs_invalid(kube__ferrs *e, const char *field, const char *bad, size_t badlen,
                         const char *detail)
{
	kube__buf *b = kube__ferrs_begin(e);
	kube__buf_puts(b, field);
	kube__buf_puts(b, ": Invalid value: ");
	kube__go_quote(b, bad, badlen);
	if (detail && *detail) {
		kube__buf_puts(b, ": ");
		kube__buf_puts(b, detail);
	}
}

int kube__ferrs_raise(kube__ferrs *e, const char *prefix)
{
	kube__buf out = KUBE__BUF_INIT;
	const char *msgs[64];
	size_t nmsgs = 0;
	const char *p;
	int rc;

	if (e->text.failed)
		return kube__error_oom();
	if (e->count == 0)
		return 0;
	/* unique messages in order; more than 64 errors never happen here */
	p = e->text.data;
	for (size_t i = 0; i < e->count && nmsgs < KUBE_ARRAY_SIZE(msgs); i++) {
		int seen = 0;
		for (size_t j = 0; j < nmsgs; j++)
			if (strcmp(msgs[j], p) == 0)
				seen = 1;
		if (!seen)
			msgs[nmsgs++] = p;
		p += strlen(p) + 1;
	}
	if (prefix)
		kube__buf_puts(&out, prefix);
	if (nmsgs > 1)
		kube__buf_putc(&out, '[');
	for (size_t j = 0; j < nmsgs; j++) {
		if (j)
			kube__buf_puts(&out, ", ");
		kube__buf_puts(&out, msgs[j]);
	}
	if (nmsgs > 1)
		kube__buf_putc(&out, ']');
	if (out.failed)
		rc = kube__error_oom();
	else
		rc = kube__error_set(KUBE_EINVAL, NULL, "%s", out.data);
	kube__buf_free(&out);
	return rc;
}

void kube__ferrs_free(kube__ferrs *e)
{
	kube__buf_free(&e->text);
	e->count = 0;
}

int kube__parse_int64(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	int neg = 0;
	uint64_t v = 0, limit;

	if (n == 0)
		return -1;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
		if (n == 1)
			return -1;
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return -1;
		if (v > (limit - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}
