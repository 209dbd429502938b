/*
 * fuzz_peek.c - the readers of compact JSON text (kube__json_text_* in the
 * object layer, and the kube__object_peek_* readers over stored objects
 * that the scheduler, the informers and the controllers use instead of
 * building trees).
 *
 * Two things per input:
 *   - the raw bytes as text: member lookup, skip and string decoding must
 *     stay inside t[0..n) whatever the bytes are (the readers promise
 *     offsets in range or SIZE_MAX, never a read past n);
 *   - when the bytes decode to an object of a known kind, that object is
 *     stored (which makes it compact) and read back with the peek readers,
 *     which must say what the tree says: for a few paths, a string read
 *     from the text equals kube_object_get_string on the decoded object,
 *     and a path the tree lacks the text lacks too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"
#include "object/object_private.h"

static kube_loop *loop;
static kube_store *st;

static void setup(void)
{
	kube_store_options o = KUBE_STORE_OPTIONS_INIT;

	o.history = 8;
	if (kube_loop_new(&loop, NULL) != 0 || kube_store_open(&st, loop, &o) != 0)
		abort();
}

static void raw_text(const char *t, size_t n)
{
	static const char *const keys[] = { "status", "phase", "spec", "a", "" };
	kube__buf s = KUBE__BUF_INIT;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t v = kube__json_text_member_n(t, n, 0, keys[i], strlen(keys[i]));
		if (v == SIZE_MAX)
			continue;
		if (v > n)
			abort();
		size_t e = kube__json_text_skip(t, n, v);
		if (e < v || e > n)
			abort();
		kube__json_text_string(t, n, v, &s);
	}
	if (kube__json_text_skip(t, n, 0) > n)
		abort();
	kube__buf_free(&s);
}

/* The text and the tree agree on path. */
static void agree(const kube_object *stored, const kube_object *decoded, const char *path)
{
	kube__buf scratch = KUBE__BUF_INIT, cond = KUBE__BUF_INIT, since = KUBE__BUF_INIT;
	kube__buf json = KUBE__BUF_INIT;
	const char *a = NULL, *b = NULL;
	int64_t i = 0;
	size_t len = 0;
	int got = kube__object_peek_string(stored, path, &scratch, &a);
	int want = kube_object_get_string(decoded, path, &b) == 0;

	if (got != want || (got && strcmp(a, b) != 0)) {
		fprintf(stderr, "peek %s: text %s \"%s\", tree %s \"%s\"\n", path, got ? "has" : "lacks",
		        got ? a : "", want ? "has" : "lacks", want ? b : "");
		abort();
	}
	kube__object_peek_int(stored, path, &i);
	kube__object_peek_json(stored, path, &json);
	kube__object_peek_text(stored, path, &len);
	kube__object_peek_condition(stored, "status.conditions", "Ready", &cond, &since);
	kube__buf_free(&scratch);
	kube__buf_free(&cond);
	kube__buf_free(&since);
	kube__buf_free(&json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kube_object *o = NULL, *stored = NULL;

	if (!loop)
		setup();
	raw_text((const char *)data, size);
	if (kube_object_from_json(&o, (const char *)data, size) != 0)
		return 0;
	if (kube_store_create(&stored, st, o) == 0) {
		static const char *const paths[] = { "status.phase", "spec.nodeName",
		                                     "spec.schedulerName", "status.nominatedNodeName",
		                                     "status.startTime", "metadata.name" };
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			agree(stored, o, paths[i]);
		const kube_kind_info *k = kube_kind_lookup(kube_object_api_version(stored),
		                                           kube_object_kind(stored));
		if (k)
			kube_store_delete(NULL, st, k->resource, kube_object_namespace(stored),
			                  kube_object_name(stored), NULL);
		kube_object_unref(stored);
	}
	kube_object_unref(o);
	kube_error_clear();
	return 0;
}
