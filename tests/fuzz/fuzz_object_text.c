/*
 * fuzz_object_text.c - compact objects made from their text alone
 * (kube__object_from_text), which reads the hot metadata straight from the
 * bytes and falls back on a small tree when it is not sure.
 *
 * The input is JSON.  It is decoded and encoded as the store encodes
 * (compact, metadata's end marked; a create's request in that form is
 * taken as it is, kube__json_canonical).  The text is made into an object
 * both ways, kube__object_from_text and
 * kube__object_from_text_tree (the oracle); then both succeed or fail
 * alike, and every piece of metadata the object keeps at hand is the same:
 * apiVersion, kind, name, namespace, generateName, uid, resourceVersion,
 * the timestamps, generation, labels, each annotation, each owner
 * reference field by field, each finalizer, spec.nodeName.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"
#include "object/object_private.h"

static void differ(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "%s differ: %s%s%s against %s%s%s\n", what, a ? "\"" : "", a ? a : "NULL",
	        a ? "\"" : "", b ? "\"" : "", b ? b : "NULL", b ? "\"" : "");
	abort();
}

static void same_str(const char *what, const char *a, const char *b)
{
	if (!a != !b || (a && strcmp(a, b) != 0))
		differ(what, a, b);
}

static void same_objects(const kube_object *a, const kube_object *b, json_object *doc)
{
	json_object *md = NULL, *ann = NULL;
	char n[32];

	same_str("apiVersion", kube_object_api_version(a), kube_object_api_version(b));
	same_str("kind", kube_object_kind(a), kube_object_kind(b));
	same_str("name", kube_object_name(a), kube_object_name(b));
	same_str("namespace", kube_object_namespace(a), kube_object_namespace(b));
	same_str("generateName", kube_object_generate_name(a), kube_object_generate_name(b));
	same_str("uid", kube_object_uid(a), kube_object_uid(b));
	same_str("resourceVersion", kube_object_resource_version(a), kube_object_resource_version(b));
	same_str("creationTimestamp", kube_object_creation_timestamp(a),
	         kube_object_creation_timestamp(b));
	same_str("deletionTimestamp", kube_object_deletion_timestamp(a),
	         kube_object_deletion_timestamp(b));
	same_str("spec.nodeName", kube__object_node_name(a), kube__object_node_name(b));
	if (kube_object_generation(a) != kube_object_generation(b)) {
		snprintf(n, sizeof(n), "%lld", (long long)kube_object_generation(b));
		differ("generation", "(a)", n);
	}
	if (!kube_labels_equal(kube_object_labels(a), kube_object_labels(b)))
		differ("labels", kube_labels_string(kube_object_labels(a)),
		       kube_labels_string(kube_object_labels(b)));
	if (kube_object_annotation_count(a) != kube_object_annotation_count(b))
		differ("the annotation counts", NULL, NULL);
	if (json_object_object_get_ex(doc, "metadata", &md) &&
	    json_object_object_get_ex(md, "annotations", &ann) &&
	    json_object_is_type(ann, json_type_object)) {
		json_object_object_foreach(ann, key, val) {
			(void)val;
			same_str(key, kube_object_annotation(a, key), kube_object_annotation(b, key));
		}
	}
	if (kube_object_owner_ref_count(a) != kube_object_owner_ref_count(b))
		differ("the owner reference counts", NULL, NULL);
	for (size_t i = 0; i < kube_object_owner_ref_count(a); i++) {
		kube_owner_ref x, y;
		if (kube_object_owner_ref(a, i, &x) != 0 || kube_object_owner_ref(b, i, &y) != 0)
			abort();
		same_str("ownerReferences.apiVersion", x.api_version, y.api_version);
		same_str("ownerReferences.kind", x.kind, y.kind);
		same_str("ownerReferences.name", x.name, y.name);
		same_str("ownerReferences.uid", x.uid, y.uid);
		if (x.controller != y.controller || x.block_owner_deletion != y.block_owner_deletion)
			differ("ownerReferences' booleans", NULL, NULL);
	}
	if (kube_object_finalizer_count(a) != kube_object_finalizer_count(b))
		differ("the finalizer counts", NULL, NULL);
	for (size_t i = 0; i < kube_object_finalizer_count(a); i++)
		same_str("a finalizer", kube_object_finalizer(a, i), kube_object_finalizer(b, i));
	if (!kube_object_is_frozen(a) || !kube_object_is_frozen(b))
		differ("frozen", NULL, NULL);
}

static char *copy(const char *s, size_t n)
{
	char *c = malloc(n + 1);
	if (!c)
		abort();
	memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

static const char *message(char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", kube_error_last() ? kube_error_last()->message : "");
	kube_error_clear();
	return buf;
}

/* Both ways from text[0..n), metadata's end at meta_end; doc: its tree. */
static void both_ways(const char *text, size_t n, size_t meta_end, json_object *doc)
{
	kube_object *a = NULL, *b = NULL;
	char *ta = copy(text, n), *tb = copy(text, n), ma[512], mb[512];
	int ra, rb;

	kube_error_clear();
	ra = kube__object_from_text(&a, ta, n, meta_end);
	message(ma, sizeof(ma));
	rb = kube__object_from_text_tree(&b, tb, n, meta_end);
	message(mb, sizeof(mb));
	if (ra != rb) {
		fprintf(stderr, "from the text: %d (%s), through a tree: %d (%s)\n", ra, ma, rb, mb);
		abort();
	}
	if (ra == 0) {
		same_objects(a, b, doc);
	} else {
		/* refused: by the tree path either way, in its words */
		same_str("the messages", ma, mb);
		free(ta);
		free(tb);
	}
	kube_object_unref(a);
	kube_object_unref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kube_decode_options opts = KUBE_DECODE_OPTIONS_INIT;
	kube__docs docs = { 0 };
	kube__buf enc = KUBE__BUF_INIT;
	size_t meta_end;

	/* the decoder alone, so that metadata of the wrong types (which an
	 * object refuses) reaches both ways too */
	opts.format = KUBE_FORMAT_JSON;
	if (kube__json_decode(&docs, (const char *)data, size, &opts) == 0 && docs.count == 1 &&
	    kube__json_encode_meta(&enc, docs.items[0].root, &meta_end) == 0)
		both_ways(enc.data, enc.len, meta_end, docs.items[0].root);
	kube__buf_free(&enc);
	kube__docs_free(&docs);
	kube_error_clear();
	return 0;
}
