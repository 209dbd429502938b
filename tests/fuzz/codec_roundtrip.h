/*
 * codec_roundtrip.h - the oracle shared by fuzz_json and fuzz_yaml.
 *
 * Every input must either fail cleanly or decode; a decoded document must
 * survive the round trip: encoded as YAML and as JSON, each decodes again
 * to the same tree (numbers compared by their text).  Any difference aborts,
 * so the fuzzer reports it as a crash.  The first byte picks options
 * (positions on or off, small or default limits) so the limit paths are
 * explored too.
 */
#ifndef LIBKUBE_FUZZ_CODEC_ROUNDTRIP_H
#define LIBKUBE_FUZZ_CODEC_ROUNDTRIP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_private.h"

typedef int (*decode_fn)(kube__docs *, const char *, size_t, const kube_decode_options *);

static int same(json_object *a, json_object *b)
{
	enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);

	if ((ta == json_type_int || ta == json_type_double) &&
	    (tb == json_type_int || tb == json_type_double)) {
		kube__buf x = KUBE__BUF_INIT, y = KUBE__BUF_INIT;
		int eq = kube__number_text(&x, a) == 0 && kube__number_text(&y, b) == 0 &&
		         x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
		kube__buf_free(&x);
		kube__buf_free(&y);
		return eq;
	}
	if (ta != tb)
		return 0;
	switch (ta) {
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) == json_object_get_string_len(b) &&
		       memcmp(json_object_get_string(a), json_object_get_string(b),
		              (size_t)json_object_get_string_len(a)) == 0;
	case json_type_array:
		if (json_object_array_length(a) != json_object_array_length(b))
			return 0;
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if (!same(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
				return 0;
		return 1;
	case json_type_object:
		if (json_object_object_length(a) != json_object_object_length(b))
			return 0;
		json_object_object_foreach(a, k, v) {
			json_object *w;
			if (!json_object_object_get_ex(b, k, &w) || !same(v, w))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}

static void round_trip(json_object *root, int yaml)
{
	kube__buf b = KUBE__BUF_INIT;
	kube__docs again = { 0 };
	int rc = yaml ? kube__yaml_encode(&b, root) : kube__json_encode(&b, root, KUBE_ENCODE_PRETTY);

	if (rc != 0)
		abort();  /* a decoded tree always encodes */
	rc = yaml ? kube__yaml_decode(&again, b.data, b.len, NULL)
	          : kube__json_decode(&again, b.data, b.len, NULL);
	if (rc != 0 || again.count != 1 || !same(root, again.items[0].root))
		abort();
	kube__docs_free(&again);
	kube__buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_decoder(decode_fn decode, const uint8_t *data, size_t size)
{
	kube_decode_options o = KUBE_DECODE_OPTIONS_INIT;
	kube__docs docs = { 0 };

	if (size > 0) {
		if (data[0] & 1)
			o.flags = KUBE_DECODE_POSITIONS;
		if (data[0] & 2) {
			o.max_depth = 8;
			o.max_alias_nodes = 64;
			o.max_document_bytes = 256;
		}
		data++;
		size--;
	}
	if (decode(&docs, (const char *)data, size, &o) == 0) {
		for (size_t i = 0; i < docs.count; i++) {
			if (!docs.items[i].root)
				continue;
			round_trip(docs.items[i].root, 1);
			round_trip(docs.items[i].root, 0);
		}
		kube__docs_free(&docs);
	} else if (docs.count != 0 || kube_error_last() == NULL) {
		abort();  /* a failure returns nothing and says why */
	}
	return 0;
}

#endif /* LIBKUBE_FUZZ_CODEC_ROUNDTRIP_H */
