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

#endif /* LIBKUBE_OBJECT_PATH_H */
