/*
 * path.h - step-by-step walking of object paths (see path.c).
 */
#ifndef LIBKUBE_OBJECT_PATH_H
#define LIBKUBE_OBJECT_PATH_H

#include <stddef.h>

#include "base/base.h"

typedef struct kube__path_cursor {
	const char *path;
	const char *p;
	int started;
} kube__path_cursor;

#define KUBE__PATH_CURSOR(s) { (s), (s), 0 }

typedef struct kube__path_step {
	int is_index;
	size_t index;
	char key[1024];
} kube__path_step;

/* 1 and the next step, 0 at the end, or KUBE_EINVAL for a malformed path. */
KUBE_INTERNAL int kube__path_next(kube__path_cursor *c, kube__path_step *step);

/*
 * A walk that found nothing at a step: the rest of the path must still be
 * well-formed.  KUBE_ENOTFOUND (not raised), or the syntax error.  Walks
 * of a tree (kube__json_path_get) and of compact text (object.c's getters)
 * end alike through this and the two errors below.
 */
KUBE_INTERNAL int kube__path_not_found(kube__path_cursor *c);
/* KUBE_EINVAL, raised: a step [index] on a value of type `type`, or a
 * step key on one. */
KUBE_INTERNAL int kube__path_cannot_index(const char *path, const char *type, size_t index);
KUBE_INTERNAL int kube__path_cannot_look_up(const char *path, const char *key, const char *type);

#endif /* LIBKUBE_OBJECT_PATH_H */
