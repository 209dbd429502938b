/*
 * fuzz_subresource.c - writes through /status and pods/binding
 * (kube_store_update_status, kube_store_bind), which edit a stored
 * object's compact text instead of its tree (lib/store/subresource.c).
 *
 * The input is an object and a status, split at the first NUL byte (no
 * NUL: the whole input is the object, and its own "status" member, if
 * any, is written back).  When the object decodes and the store takes it,
 * the status is written through /status and then the object is bound to
 * a node; after each write that succeeds:
 *   - the stored text reads as the encoder's own: the object encodes to
 *     the same bytes as a tree copy of it (a splice in the wrong place, a
 *     missing comma, would differ or fail to parse), and the metadata the
 *     object keeps at hand (derived from the old version) is the copy's;
 *   - what the write must not touch is as it was: spec after a status
 *     write, metadata.labels after both;
 *   - a bind left spec.nodeName and a PodScheduled condition that is True.
 * A refused write (bad status JSON, a pod already bound) must change
 * nothing: the stored object stays the same object.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"
#include "stored_text.h"

static kube_loop *loop;
static kube_store *st;

static void same_json(const kube_object *a, const kube_object *b, const char *path)
{
	char *x = NULL, *y = NULL;
	int rx = kube_object_get_json(a, path, &x), ry = kube_object_get_json(b, path, &y);

	if (rx != ry || (rx == 0 && strcmp(x, y) != 0)) {
		fprintf(stderr, "%s changed: %s -> %s\n", path, x ? x : "(none)", y ? y : "(none)");
		abort();
	}
	free(x);
	free(y);
}

/* The stored object under o's key is still `was` (a refused write). */
static void unchanged(const kube_object *was, const char *resource)
{
	kube_object *now = NULL;
	if (kube_store_get(&now, st, resource, kube_object_namespace(was), kube_object_name(was)) != 0 ||
	    now != was)
		abort();
	kube_object_unref(now);
}

static void bound_right(const kube_object *o)
{
	const char *node = NULL, *v = NULL;
	size_t n = 0;
	char path[64];
	int found = 0;

	if (kube_object_get_string(o, "spec.nodeName", &node) != 0 || strcmp(node, "node-f") != 0)
		abort();
	if (kube_object_get_len(o, "status.conditions", &n) != 0)
		abort();
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "status.conditions[%zu].type", i);
		if (kube_object_get_string(o, path, &v) != 0 || strcmp(v, "PodScheduled") != 0)
			continue;
		snprintf(path, sizeof(path), "status.conditions[%zu].status", i);
		if (kube_object_get_string(o, path, &v) != 0 || strcmp(v, "True") != 0)
			abort();
		found++;
	}
	if (found < 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t olen = nul ? (size_t)(nul - text) : size;
	kube_object *in = NULL, *stored = NULL, *out = NULL;
	const kube_kind_info *k;
	char *status = NULL;
	const char *resource;

	/* a store per input: what one input leaves (finalizers) does not
	 * decide the next */
	if (!loop && kube_loop_new(&loop, NULL) != 0)
		abort();
	if (kube_store_open(&st, loop, NULL) != 0)
		abort();
	if (kube_object_from_json(&in, text, olen) != 0 ||
	    kube_store_create(&stored, st, in) != 0) {
		kube_object_unref(in);
		kube_store_close(st);
		kube_error_clear();
		return 0;
	}
	kube_object_unref(in);
	/* the store took it: it knows the kind */
	if (!(k = kube_kind_lookup(kube_object_api_version(stored), kube_object_kind(stored))))
		abort();
	resource = k->resource;
	if (nul) {
		status = malloc(size - olen);
		memcpy(status, nul + 1, size - olen - 1);
		status[size - olen - 1] = '\0';
	} else if (kube_object_get_json(stored, "status", &status) != 0) {
		status = strdup("{\"phase\":\"Running\"}");
	}

	/* /status */
	if (kube_store_update_status(&out, st, resource, kube_object_namespace(stored),
	                             kube_object_name(stored), status, NULL) == 0) {
		reads_as_encoded(out);
		same_json(stored, out, "spec");
		same_json(stored, out, "metadata.labels");
		if (kube_object_generation(out) != kube_object_generation(stored))
			abort();
		kube_object_unref(stored);
		stored = out;
		out = NULL;
	} else {
		unchanged(stored, resource);
	}
	kube_error_clear();

	/* pods/binding */
	if (strcmp(resource, "pods") == 0) {
		if (kube_store_bind(&out, st, kube_object_namespace(stored), kube_object_name(stored),
		                    "node-f", NULL) == 0) {
			reads_as_encoded(out);
			same_json(stored, out, "metadata.labels");
			bound_right(out);
			kube_object_unref(out);
		} else {
			unchanged(stored, resource);
		}
		kube_error_clear();
	}

	kube_object_unref(stored);
	kube_store_close(st);
	st = NULL;
	free(status);
	kube_error_clear();
	return 0;
}
