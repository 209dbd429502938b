/*
 * stored_text.h - checks of a store's compact objects shared by the fuzz
 * targets that write them without a tree (fuzz_subresource, fuzz_create).
 */
#ifndef LIBKUBE_FUZZ_STORED_TEXT_H
#define LIBKUBE_FUZZ_STORED_TEXT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

static char *encoded(const kube_object *o)
{
	char *s = NULL;
	if (kube_encode(&s, NULL, o, KUBE_FORMAT_JSON, 0) != 0)
		abort();
	return s;
}

/* o's text is what encoding its tree gives (a splice in the wrong place,
 * a missing comma, would differ or fail to parse), and the metadata it
 * keeps at hand (derived, not parsed) is what its text says. */
static void reads_as_encoded(const kube_object *o)
{
	kube_object *m = NULL;
	char *a = encoded(o), *b;

	if (kube_object_mutable(&m, o) != 0)
		abort();
	if (kube_object_generation(o) != kube_object_generation(m) ||
	    !kube_labels_equal(kube_object_labels(o), kube_object_labels(m)) ||
	    kube_object_annotation_count(o) != kube_object_annotation_count(m) ||
	    kube_object_owner_ref_count(o) != kube_object_owner_ref_count(m) ||
	    kube_object_finalizer_count(o) != kube_object_finalizer_count(m) ||
	    strcmp(kube_object_uid(o), kube_object_uid(m)) != 0 ||
	    strcmp(kube_object_name(o), kube_object_name(m)) != 0 ||
	    !kube_object_namespace(o) != !kube_object_namespace(m) ||
	    !kube_object_deletion_timestamp(o) != !kube_object_deletion_timestamp(m))
		abort();
	b = encoded(m);
	if (strcmp(a, b) != 0) {
		fprintf(stderr, "stored: %s\ntree:   %s\n", a, b);
		abort();
	}
	free(a);
	free(b);
	kube_object_unref(m);
}

#endif
