/*
 * alloc.c - the replaceable allocator.
 *
 * The hooks live in one process-wide struct written only by
 * kube_set_allocator(), which the embedder calls before anything else (like
 * sqlite3_config).  Reads are therefore unsynchronised by design.
 */
#include <stdlib.h>
#include <string.h>

#include "base.h"

static void *std_malloc(size_t size, void *ud) { (void)ud; return malloc(size); }
static void *std_realloc(void *p, size_t size, void *ud) { (void)ud; return realloc(p, size); }
static void std_free(void *p, void *ud) { (void)ud; free(p); }

static kube_allocator current = { std_malloc, std_realloc, std_free, NULL };

int kube_set_allocator(const kube_allocator *a)
{
	if (!a) {
		current = (kube_allocator){ std_malloc, std_realloc, std_free, NULL };
		return 0;
	}
	if (!a->malloc || !a->realloc || !a->free)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_set_allocator: malloc, realloc and free are all required");
	current = *a;
	return 0;
}

void *kube_malloc(size_t size)
{
	return current.malloc(size ? size : 1, current.userdata);
}

void *kube_calloc(size_t count, size_t size)
{
	size_t total;
	void *p;

	if (kube__size_mul(count, size, &total))
		return NULL;
	p = kube_malloc(total);
	if (p)
		memset(p, 0, total);
	return p;
}

void *kube_realloc(void *ptr, size_t size)
{
	return current.realloc(ptr, size ? size : 1, current.userdata);
}

void kube_free(void *ptr)
{
	if (ptr)
		current.free(ptr, current.userdata);
}

char *kube_strndup(const char *s, size_t n)
{
	char *p;

	if (!s)
		return NULL;
	p = kube_malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *kube_strdup(const char *s)
{
	return s ? kube_strndup(s, strlen(s)) : NULL;
}
