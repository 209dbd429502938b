/*
 * buf.c - a growable, NUL-terminated byte buffer for building output.
 *
 * Appends after an allocation failure are no-ops and the failure is sticky,
 * so a writer can append freely and check once at the end.
 */
#include <stdio.h>
#include <string.h>

#include "base.h"

int kube__buf_grow(kube__buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->failed)
		return KUBE_ENOMEM;
	if (kube__size_add(b->len, extra, &need) || kube__size_add(need, 1, &need))
		goto oom;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			goto oom;
		cap *= 2;
	}
	p = kube_realloc(b->data, cap);
	if (!p)
		goto oom;
	b->data = p;
	b->cap = cap;
	return 0;
oom:
	b->failed = 1;
	return KUBE_ENOMEM;
}

int kube__buf_put(kube__buf *b, const void *data, size_t len)
{
	if (kube__buf_grow(b, len))
		return KUBE_ENOMEM;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int kube__buf_puts(kube__buf *b, const char *s)
{
	return kube__buf_put(b, s, strlen(s));
}

int kube__buf_putc(kube__buf *b, char c)
{
	return kube__buf_put(b, &c, 1);
}

int kube__buf_printf(kube__buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return KUBE_ERROR;
	if (kube__buf_grow(b, (size_t)n))
		return KUBE_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *kube__buf_detach(kube__buf *b, size_t *len_out)
{
	char *p;

	if (b->failed) {
		kube__buf_free(b);
		return NULL;
	}
	if (!b->data && kube__buf_grow(b, 0))
		return NULL;
	b->data[b->len] = '\0';
	p = b->data;
	if (len_out)
		*len_out = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void kube__buf_free(kube__buf *b)
{
	kube_free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}
