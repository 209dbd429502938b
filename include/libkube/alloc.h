/*
 * alloc.h - the one allocator libkube uses, replaceable by the embedder.
 *
 * Every allocation libkube itself makes goes through these hooks, and every
 * buffer libkube hands to a caller (strings from *_string(), encode output)
 * is released with kube_free().  json-c and libyaml allocate their own
 * internal nodes with the C library's malloc; they have no hook to redirect.
 */
#ifndef LIBKUBE_ALLOC_H
#define LIBKUBE_ALLOC_H

#include "common.h"

KUBE_BEGIN_DECLS

typedef struct kube_allocator {
	/* Same contracts as malloc/realloc/free; userdata is passed through. */
	void *(*malloc)(size_t size, void *userdata);
	void *(*realloc)(void *ptr, size_t size, void *userdata);
	void (*free)(void *ptr, void *userdata);
	void *userdata;
} kube_allocator;

/*
 * Installs an allocator (copied), or restores the C library's with NULL.
 * Call it once, before any other libkube call and before any thread uses
 * libkube: memory allocated by one allocator must be freed by the same one.
 * Returns 0, or KUBE_EINVAL if a hook is missing.
 */
KUBE_EXTERN int kube_set_allocator(const kube_allocator *allocator);

/* Allocation through the installed allocator.  NULL on failure. */
KUBE_EXTERN void *kube_malloc(size_t size);
KUBE_EXTERN void *kube_calloc(size_t count, size_t size);
KUBE_EXTERN void *kube_realloc(void *ptr, size_t size);
KUBE_EXTERN char *kube_strdup(const char *s);
KUBE_EXTERN char *kube_strndup(const char *s, size_t n);

/* Releases memory that libkube allocated or returned.  NULL is a no-op. */
KUBE_EXTERN void kube_free(void *ptr);

KUBE_END_DECLS

#endif /* LIBKUBE_ALLOC_H */
