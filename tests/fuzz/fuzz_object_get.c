/*
 * fuzz_object_get.c - the getters (kube_object_get_*) of a compact object
 * without its tree, which answer from the text (object.c), against the
 * same getters answering from the tree.
 *
 * The input is a JSON object on its first line and paths on the lines
 * after it (a few fixed ones are tried too).  The object is encoded as the
 * store encodes it, without metadata.resourceVersion, and made compact
 * twice from that text (kube__object_from_text), stamped with a
 * resourceVersion; one is made to build its tree first.  For every path,
 * on a fresh object of the first kind each time: every getter must return
 * the same code, the same message and the same value as on the second;
 * a string read twice is the same pointer; every key of a map is compared.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"
#include "object/object_private.h"

static void fail(const char *path, const char *what, const char *a, const char *b)
{
	fprintf(stderr, "path \"%s\": %s: from the text %s, from the tree %s\n", path, what,
	        a ? a : "NULL", b ? b : "NULL");
	abort();
}

/* The error message now, copied, and cleared. */
static void message(char *buf, size_t cap, int rc)
{
	snprintf(buf, cap, "%s", rc && kube_error_last() ? kube_error_last()->message : "");
	kube_error_clear();
}

static void same_rc(const char *path, const char *what, int ra, int rb, const char *ma,
                    const char *mb)
{
	char a[600], b[600];

	if (ra != rb || strcmp(ma, mb) != 0) {
		snprintf(a, sizeof(a), "%d (%s)", ra, ma);
		snprintf(b, sizeof(b), "%d (%s)", rb, mb);
		fail(path, what, a, b);
	}
}

/* One getter on both objects: the same code and message. */
#define BOTH(what, call_a, call_b)                        \
	do {                                                  \
		ra = (call_a);                                    \
		message(ma, sizeof(ma), ra);                      \
		rb = (call_b);                                    \
		message(mb, sizeof(mb), rb);                      \
		same_rc(path, what, ra, rb, ma, mb);              \
	} while (0)

static void compare(const kube_object *a, const kube_object *b, const char *path)
{
	char ma[512], mb[512], na[32], nb[32];
	const char *sa = NULL, *sb = NULL, *again = NULL;
	char *ja = NULL, *jb = NULL;
	kube_value_type ta = 0, tb = 0;
	int64_t ia = 0, ib = 0;
	size_t la = 0, lb = 0;
	int ba = 0, bb = 0, ra, rb;

	BOTH("get_type", kube_object_get_type(a, path, &ta), kube_object_get_type(b, path, &tb));
	if (ta != tb)
		fail(path, "the types", NULL, NULL);

	BOTH("get_string", kube_object_get_string(a, path, &sa), kube_object_get_string(b, path, &sb));
	if (ra == 0) {
		if (strcmp(sa, sb) != 0)
			fail(path, "the strings", sa, sb);
		if (kube_object_get_string(a, path, &again) != 0 || again != sa)
			fail(path, "a second read's pointer", again, sa);
	}

	BOTH("get_int", kube_object_get_int(a, path, &ia), kube_object_get_int(b, path, &ib));
	if (ra == 0 && ia != ib) {
		snprintf(na, sizeof(na), "%lld", (long long)ia);
		snprintf(nb, sizeof(nb), "%lld", (long long)ib);
		fail(path, "the integers", na, nb);
	}

	BOTH("get_bool", kube_object_get_bool(a, path, &ba), kube_object_get_bool(b, path, &bb));
	if (ra == 0 && ba != bb)
		fail(path, "the booleans", ba ? "true" : "false", bb ? "true" : "false");

	BOTH("get_json", kube_object_get_json(a, path, &ja), kube_object_get_json(b, path, &jb));
	if (ra == 0 && strcmp(ja, jb) != 0)
		fail(path, "the JSON", ja, jb);
	kube_free(ja);
	kube_free(jb);

	BOTH("get_len", kube_object_get_len(a, path, &la), kube_object_get_len(b, path, &lb));
	if (ra == 0 && la != lb)
		fail(path, "the lengths", NULL, NULL);
	/* every key, and one past them (one try of a value without keys) */
	for (size_t i = 0, keys = ra == 0 ? la : 0; i <= keys && i < 64; i++) {
		BOTH("get_key", kube_object_get_key(a, path, i, &sa), kube_object_get_key(b, path, i, &sb));
		if (ra == 0 && strcmp(sa, sb) != 0)
			fail(path, "the keys", sa, sb);
	}
}

/* A compact object of text[0..n) (metadata ends at meta_end), stamped. */
static kube_object *compact(const char *text, size_t n, size_t meta_end)
{
	kube_object *o = NULL;
	char *t = malloc(n + 1);

	if (!t)
		abort();
	memcpy(t, text, n);
	t[n] = '\0';
	if (kube__object_from_text(&o, t, n, meta_end) != 0) {
		free(t);
		kube_error_clear();
		return NULL;
	}
	if (kube__object_stamp_rv(o, "42") != 0)
		abort();
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed[] = {
		"", "metadata", "metadata.resourceVersion", "metadata[resourceVersion]",
		"metadata.name", "metadata.labels", "metadata.annotations", "spec",
		"spec.containers", "spec.containers[0]", "spec.containers[0].image",
		"spec.replicas", "data", "a", "a[0]", "a[1].b", "a.b", "a[\"b.c\"]", "[0]", "x[",
		"a..b", "a[0]x",
	};
	kube_decode_options opts = KUBE_DECODE_OPTIONS_INIT;
	const char *s = (const char *)data, *nl = memchr(s, '\n', size);
	size_t jlen = nl ? (size_t)(nl - s) : size, meta_end;
	kube__docs docs = { 0 };
	kube__buf enc = KUBE__BUF_INIT;
	json_object *md;
	kube_object *b;

	opts.format = KUBE_FORMAT_JSON;
	if (kube__json_decode(&docs, s, jlen, &opts) != 0 || docs.count != 1 ||
	    !json_object_is_type(docs.items[0].root, json_type_object))
		goto out;
	/* the store keeps resourceVersion apart from the text */
	if (json_object_object_get_ex(docs.items[0].root, "metadata", &md) &&
	    json_object_is_type(md, json_type_object))
		json_object_object_del(md, "resourceVersion");
	if (kube__json_encode_meta(&enc, docs.items[0].root, &meta_end) != 0 ||
	    meta_end == SIZE_MAX || !(b = compact(enc.data, enc.len, meta_end)))
		goto out;
	if (!kube__object_doc(b))
		abort();
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		kube_object *a = compact(enc.data, enc.len, meta_end);
		if (!a)
			abort();
		compare(a, b, fixed[i]);
		kube_object_unref(a);
	}
	/* the input's own paths, a line each */
	for (const char *p = nl ? nl + 1 : s + size, *end = s + size; p < end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
		char path[256];
		kube_object *a;
		if (n < sizeof(path) && !memchr(p, '\0', n)) {
			memcpy(path, p, n);
			path[n] = '\0';
			if (!(a = compact(enc.data, enc.len, meta_end)))
				abort();
			compare(a, b, path);
			kube_object_unref(a);
		}
		p += n + 1;
	}
	kube_object_unref(b);
out:
	kube__buf_free(&enc);
	kube__docs_free(&docs);
	kube_error_clear();
	return 0;
}
