/*
 * test_codec.c - the YAML and JSON decoders and encoders: kubectl's scalar
 * rules, exact error messages and positions, the limits against hostile
 * input, and the round trip (decode, encode, decode gives the same tree)
 * over every fixture and every example manifest.
 *
 * Decoders are tested at the json-c tree level through the internal API
 * (kube__yaml_decode, kube__json_decode), the public entry points through
 * kube_decode / kube_encode / kube_encode_list.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "object/object_private.h"

/* ---- helpers ---- */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int ydecode(kube__docs *docs, const char *s, const kube_decode_options *o)
{
	memset(docs, 0, sizeof(*docs));
	return kube__yaml_decode(docs, s, strlen(s), o);
}

static int jdecode(kube__docs *docs, const char *s, const kube_decode_options *o)
{
	memset(docs, 0, sizeof(*docs));
	return kube__json_decode(docs, s, strlen(s), o);
}

/* Compact JSON of a node, malloc'd. */
static char *json_of(json_object *v)
{
	kube__buf b = KUBE__BUF_INIT;
	ck_assert_int_eq(kube__json_encode(&b, v, 0), 0);
	return kube__buf_detach(&b, NULL);
}

static char *yaml_of(json_object *v)
{
	kube__buf b = KUBE__BUF_INIT;
	ck_assert_int_eq(kube__yaml_encode(&b, v), 0);
	return kube__buf_detach(&b, NULL);
}

/* Decodes one YAML document and checks its compact JSON. */
static void yaml_is(const char *yaml, const char *json)
{
	kube__docs docs;
	int rc = ydecode(&docs, yaml, NULL);
	ck_assert_msg(rc == 0, "%s: %s", yaml, rc ? kube_error_last()->message : "");
	ck_assert_uint_eq(docs.count, 1);
	char *got = json_of(docs.items[0].root);
	ck_assert_msg(strcmp(got, json) == 0, "%s -> %s, want %s", yaml, got, json);
	kube_free(got);
	kube__docs_free(&docs);
}

static void json_is(const char *in, const char *json)
{
	kube__docs docs;
	int rc = jdecode(&docs, in, NULL);
	ck_assert_msg(rc == 0, "%s: %s", in, rc ? kube_error_last()->message : "");
	ck_assert_uint_eq(docs.count, 1);
	char *got = json_of(docs.items[0].root);
	ck_assert_msg(strcmp(got, json) == 0, "%s -> %s, want %s", in, got, json);
	kube_free(got);
	kube__docs_free(&docs);
}

static void expect_error(int rc, int code, const char *msg, int doc, int line, int col)
{
	const kube_error *e = kube_error_last();
	ck_assert_int_eq(rc, code);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->code, code);
	ck_assert_str_eq(e->message, msg);
	ck_assert_int_eq(e->document, doc);
	ck_assert_int_eq(e->line, line);
	ck_assert_int_eq(e->column, col);
}

static void yaml_fails(const char *yaml, int code, const char *msg, int doc, int line, int col)
{
	kube__docs docs;
	kube_error_clear();
	int rc = ydecode(&docs, yaml, NULL);
	expect_error(rc, code, msg, doc, line, col);
	ck_assert_uint_eq(docs.count, 0);
	ck_assert_ptr_null(docs.items);
}

static void json_fails(const char *in, int code, const char *msg, int doc, int line, int col)
{
	kube__docs docs;
	kube_error_clear();
	int rc = jdecode(&docs, in, NULL);
	expect_error(rc, code, msg, doc, line, col);
	ck_assert_uint_eq(docs.count, 0);
}

/* Structural equality; numbers compare by their JSON text, so 2^64+5 and
 * 2^64+6 differ even though they are the same double. */
static int tree_equal(json_object *a, json_object *b)
{
	enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);
	int na = ta == json_type_int || ta == json_type_double;
	int nb = tb == json_type_int || tb == json_type_double;

	if (na && nb) {
		kube__buf x = KUBE__BUF_INIT, y = KUBE__BUF_INIT;
		kube__number_text(&x, a);
		kube__number_text(&y, b);
		int eq = strcmp(x.data, y.data) == 0;
		kube__buf_free(&x);
		kube__buf_free(&y);
		return eq;
	}
	if (ta != tb)
		return 0;
	switch (ta) {
	case json_type_null:
		return 1;
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
			if (!tree_equal(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
				return 0;
		return 1;
	case json_type_object: {
		struct json_object_iterator ia = json_object_iter_begin(a), ea = json_object_iter_end(a);
		struct json_object_iterator ib = json_object_iter_begin(b), eb = json_object_iter_end(b);
		/* same keys in the same order */
		while (!json_object_iter_equal(&ia, &ea) && !json_object_iter_equal(&ib, &eb)) {
			if (strcmp(json_object_iter_peek_name(&ia), json_object_iter_peek_name(&ib)) ||
			    !tree_equal(json_object_iter_peek_value(&ia), json_object_iter_peek_value(&ib)))
				return 0;
			json_object_iter_next(&ia);
			json_object_iter_next(&ib);
		}
		return json_object_iter_equal(&ia, &ea) && json_object_iter_equal(&ib, &eb);
	}
	default:
		return 0;
	}
}

/* decode -> encode (YAML, JSON, pretty JSON) -> decode gives the same trees. */
static void round_trip(const char *name, const char *buf, size_t len, int json)
{
	kube__docs docs = { 0 };
	int rc = json ? kube__json_decode(&docs, buf, len, NULL) : kube__yaml_decode(&docs, buf, len, NULL);
	ck_assert_msg(rc == 0, "%s: %s", name, rc ? kube_error_last()->message : "");
	ck_assert_msg(docs.count > 0, "%s: no documents", name);
	for (size_t i = 0; i < docs.count; i++) {
		json_object *root = docs.items[i].root;
		for (int how = 0; how < 3; how++) {
			kube__buf b = KUBE__BUF_INIT;
			kube__docs again = { 0 };
			if (how == 0)
				ck_assert_int_eq(kube__yaml_encode(&b, root), 0);
			else
				ck_assert_int_eq(kube__json_encode(&b, root, how == 2 ? KUBE_ENCODE_PRETTY : 0), 0);
			rc = how == 0 ? kube__yaml_decode(&again, b.data, b.len, NULL)
			              : kube__json_decode(&again, b.data, b.len, NULL);
			ck_assert_msg(rc == 0, "%s doc %zu (%d): %s\n%s", name, i + 1, how,
			              rc ? kube_error_last()->message : "", b.data);
			ck_assert_uint_eq(again.count, 1);
			ck_assert_msg(tree_equal(root, again.items[0].root),
			              "%s doc %zu: round trip %d changed the tree:\n%s", name, i + 1, how, b.data);
			kube__docs_free(&again);
			kube__buf_free(&b);
		}
	}
	kube__docs_free(&docs);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no key %s", key);
	return v;
}

/* ---- YAML scalar resolution (go-yaml v2's resolve) ---- */

START_TEST(test_codec_yaml_plain_scalars)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "1", "1" }, { "-5", "-5" }, { "+5", "5" }, { "0", "0" }, { "-0", "0" },
		{ "0x1F", "31" }, { "-0x1F", "-31" }, { "0X1f", "31" }, { "017", "15" },
		{ "0o17", "15" }, { "0b101", "5" }, { "1_000", "1000" }, { "1_", "1" },
		{ "09", "9" }, { "-09", "-9" }, { "00", "0" },
		{ "1.5", "1.5" }, { "1.50", "1.50" }, { ".5", "0.5" }, { "-.5", "-0.5" },
		{ "+1.5", "1.5" }, { "1.", "1" }, { "1e3", "1e3" }, { "1E+3", "1E+3" },
		{ "1_000.5", "1000.5" }, { "007.5", "7.5" }, { ".5e2", "0.5e2" },
		{ "1e400", "\"1e400\"" }, { ".5_0", "0.50" }, { ".", "\".\"" }, { "._", "\"._\"" },
		{ "9223372036854775807", "9223372036854775807" },
		{ "-9223372036854775808", "-9223372036854775808" },
		{ "9223372036854775808", "9223372036854775808" },
		{ "18446744073709551615", "18446744073709551615" },
		{ "18446744073709551621", "18446744073709551621" },
		{ "-9223372036854775809", "-9223372036854775809" },
		{ "0x8000000000000000", "9223372036854775808" },
		{ "0x1FFFFFFFFFFFFFFFF", "\"0x1FFFFFFFFFFFFFFFF\"" }, { "0b1_0", "2" },
		{ "0777777777777777777777777", "777777777777777777777777" },
		{ "-0x1FFFFFFFFFFFFFFFF", "\"-0x1FFFFFFFFFFFFFFFF\"" },
		{ "0x", "\"0x\"" }, { "0xG", "\"0xG\"" }, { "08x", "\"08x\"" },
		{ "_1", "\"_1\"" }, { "1:20", "\"1:20\"" }, { "1.2.3", "\"1.2.3\"" },
		{ "yes", "true" }, { "Yes", "true" }, { "YES", "true" }, { "y", "true" },
		{ "Y", "true" }, { "on", "true" }, { "On", "true" }, { "ON", "true" },
		{ "true", "true" }, { "True", "true" }, { "TRUE", "true" },
		{ "no", "false" }, { "n", "false" }, { "N", "false" }, { "off", "false" },
		{ "OFF", "false" }, { "false", "false" }, { "False", "false" }, { "FALSE", "false" },
		{ "yEs", "\"yEs\"" }, { "tRUE", "\"tRUE\"" }, { "nope", "\"nope\"" },
		{ "~", "null" }, { "null", "null" }, { "Null", "null" }, { "NULL", "null" },
		{ "nULL", "\"nULL\"" }, { "", "null" },
		{ "2001-12-14", "\"2001-12-14\"" },
		{ "2001-12-14T21:59:43.10Z", "\"2001-12-14T21:59:43.10Z\"" },
		{ "<<", "\"<<\"" }, { "nginx:1.27", "\"nginx:1.27\"" }, { "500m", "\"500m\"" },
	};
	char doc[128];
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(cases); i++) {
		char want[128];
		snprintf(doc, sizeof(doc), "v: %s\n", cases[i].in);
		snprintf(want, sizeof(want), "{\"v\":%s}", cases[i].out);
		yaml_is(doc, want);
	}
}
END_TEST

START_TEST(test_codec_yaml_number_types)
{
	kube__docs docs;
	ck_assert_int_eq(ydecode(&docs, "a: 1\nb: 9223372036854775808\nc: 1.0\nd: 0x10\n", NULL), 0);
	json_object *r = docs.items[0].root;
	ck_assert(json_object_is_type(get(r, "a"), json_type_int));
	ck_assert_int_eq(json_object_get_int64(get(r, "a")), 1);
	ck_assert(json_object_is_type(get(r, "b"), json_type_double));
	ck_assert(json_object_is_type(get(r, "c"), json_type_double));
	ck_assert(json_object_is_type(get(r, "d"), json_type_int));
	ck_assert_int_eq(json_object_get_int64(get(r, "d")), 16);
	kube__docs_free(&docs);
}
END_TEST

START_TEST(test_codec_yaml_quoted_and_tagged)
{
	yaml_is("a: \"1\"\nb: '1'\nc: \"true\"\nd: 'null'\ne: \"\"\nf: ''\n",
	        "{\"a\":\"1\",\"b\":\"1\",\"c\":\"true\",\"d\":\"null\",\"e\":\"\",\"f\":\"\"}");
	yaml_is("a: !!str 1\nb: !!str true\nc: !!int \"5\"\nd: !!float 1\ne: !!bool yes\n"
	        "f: !!null ~\ng: !custom 5\nh: ! 7\ni: !!binary aGVsbG8=\nj: !!timestamp 2001-12-14\n",
	        "{\"a\":\"1\",\"b\":\"true\",\"c\":5,\"d\":1,\"e\":true,\"f\":null,\"g\":\"5\","
	        "\"h\":\"7\",\"i\":\"hello\",\"j\":\"2001-12-14\"}");
	yaml_is("a: !!binary |\n  aGVs\n  bG8/\nb: !!binary /w==\nc: !!binary \"\"\n",
	        "{\"a\":\"hello?\",\"b\":\"\xEF\xBF\xBD\",\"c\":\"\"}");
	yaml_fails("a: !!binary aGVsbG8\n", KUBE_EINVAL,
	           "document 1, line 1, column 4: !!binary value contains invalid base64 data", 1, 1, 4);
	yaml_fails("a: !!binary aG=sbG8=\n", KUBE_EINVAL,
	           "document 1, line 1, column 4: !!binary value contains invalid base64 data", 1, 1, 4);
	yaml_fails("a: !!int abc\n", KUBE_EINVAL,
	           "document 1, line 1, column 4: cannot decode !!str `abc` as a !!int", 1, 1, 4);
	yaml_fails("a: !!bool 1\n", KUBE_EINVAL,
	           "document 1, line 1, column 4: cannot decode !!int `1` as a !!bool", 1, 1, 4);
}
END_TEST

START_TEST(test_codec_yaml_block_scalars)
{
	yaml_is("a: |\n  x\n  y\n\nb: 1\n", "{\"a\":\"x\\ny\\n\",\"b\":1}");
	yaml_is("a: |-\n  x\n  y\n\nb: 1\n", "{\"a\":\"x\\ny\",\"b\":1}");
	yaml_is("a: |+\n  x\n  y\n\nb: 1\n", "{\"a\":\"x\\ny\\n\\n\",\"b\":1}");
	yaml_is("a: >\n  x\n  y\n\n  z\nb: 1\n", "{\"a\":\"x y\\nz\\n\",\"b\":1}");
	yaml_is("a: >-\n  x\n  y\nb: 1\n", "{\"a\":\"x y\",\"b\":1}");
	yaml_is("a: >+\n  x\n\nb: 1\n", "{\"a\":\"x\\n\\n\",\"b\":1}");
	yaml_is("a: |2\n    indented\n  back\n", "{\"a\":\"  indented\\nback\\n\"}");
	yaml_is("a: |\n  1\n", "{\"a\":\"1\\n\"}");
	/* a block scalar at the very end, without a final newline */
	yaml_is("a: |-\n  x", "{\"a\":\"x\"}");
}
END_TEST

START_TEST(test_codec_yaml_map_keys)
{
	yaml_is("1: a\n0x1F: b\n010: c\n1_000: d\n", "{\"1\":\"a\",\"31\":\"b\",\"8\":\"c\",\"1000\":\"d\"}");
	yaml_is("true: a\nno: b\n", "{\"true\":\"a\",\"false\":\"b\"}");
	yaml_is("on: [push]\n", "{\"true\":[\"push\"]}");
	yaml_is("\"y\": a\n'on': b\n", "{\"y\":\"a\",\"on\":\"b\"}");
	yaml_is("1.5: a\n1e3: b\n1e7: c\n0.1: d\n-2.5e-5: e\n", "{\"1.5\":\"a\",\"1000\":\"b\",\"1e+07\":\"c\",\"0.1\":\"d\",\"-2.5e-05\":\"e\"}");
	yaml_is(".inf: a\n-.Inf: b\n.NaN: c\n", "{\".inf\":\"a\",\"-.inf\":\"b\",\".nan\":\"c\"}");
	yaml_is("2001-12-14: a\n", "{\"2001-12-14\":\"a\"}");
	yaml_is("18446744073709551616: a\n", "{\"1.8446744e+19\":\"a\"}");
	yaml_fails("9223372036854775808: a\n", KUBE_EINVAL,
	           "document 1, line 1, column 1: unsupported map key: 9223372036854775808 "
	           "(an unsigned 64-bit integer)", 1, 1, 1);
	yaml_fails("~: a\n", KUBE_EINVAL, "document 1, line 1, column 1: unsupported map key: null", 1, 1, 1);
	yaml_fails("a: 1\n? [1, 2]\n: b\n", KUBE_EINVAL,
	           "document 1, line 2, column 3: unsupported map key: a sequence", 1, 2, 3);
	yaml_fails("? {x: 1}\n: b\n", KUBE_EINVAL,
	           "document 1, line 1, column 3: unsupported map key: a mapping", 1, 1, 3);
	yaml_fails("\"a\\0b\": 1\n", KUBE_EINVAL,
	           "document 1, line 1, column 1: map key contains a NUL character", 1, 1, 1);
}
END_TEST

START_TEST(test_codec_yaml_duplicate_keys)
{
	yaml_fails("a: 1\nb: 2\na: 3\n", KUBE_EINVAL,
	           "document 1, line 3, column 1: mapping key \"a\" already defined", 1, 3, 1);
	/* the same key after conversion: yes and true are both "true" */
	yaml_fails("x:\n  yes: 1\n  true: 2\n", KUBE_EINVAL,
	           "document 1, line 3, column 3: mapping key \"true\" already defined", 1, 3, 3);
	yaml_fails("{a: 1, a: 2}\n", KUBE_EINVAL,
	           "document 1, line 1, column 8: mapping key \"a\" already defined", 1, 1, 8);
	/* the same key in different mappings is fine */
	yaml_is("a: {k: 1}\nb: {k: 2}\n", "{\"a\":{\"k\":1},\"b\":{\"k\":2}}");
}
END_TEST

START_TEST(test_codec_yaml_merge_keys)
{
	yaml_is("b: &b {x: 1, z: 2}\nm:\n  <<: *b\n  z: 3\n  w: 4\n",
	        "{\"b\":{\"x\":1,\"z\":2},\"m\":{\"x\":1,\"z\":3,\"w\":4}}");
	/* keys are assigned in order (go-yaml v2, kubectl): a merge overrides the
	 * keys above it, in place; its new keys take the <<'s place */
	yaml_is("b: &b {x: 1, z: 2}\nm:\n  z: 0\n  <<: *b\n  w: 4\n",
	        "{\"b\":{\"x\":1,\"z\":2},\"m\":{\"z\":2,\"x\":1,\"w\":4}}");
	yaml_is("a: &a {k: 1}\nb: &b {k: 2}\nm:\n  <<: *a\n  <<: *b\n",
	        "{\"a\":{\"k\":1},\"b\":{\"k\":2},\"m\":{\"k\":2}}");
	/* earlier mappings of a merge sequence win */
	yaml_is("a: &a {k: a, p: 1}\nb: &b {k: b, q: 2}\nm:\n  <<: [*a, *b]\n",
	        "{\"a\":{\"k\":\"a\",\"p\":1},\"b\":{\"k\":\"b\",\"q\":2},\"m\":{\"k\":\"a\",\"p\":1,\"q\":2}}");
	yaml_is("m:\n  <<: {a: 1}\n  b: 2\n", "{\"m\":{\"a\":1,\"b\":2}}");
	/* an explicit key after a merge overrides, but twice is a duplicate */
	yaml_fails("b: &b {x: 1}\nm:\n  <<: *b\n  x: 2\n  x: 3\n", KUBE_EINVAL,
	           "document 1, line 5, column 3: mapping key \"x\" already defined", 1, 5, 3);
	yaml_fails("m:\n  <<: 1\n", KUBE_EINVAL,
	           "document 1, line 2, column 7: map merge requires map or sequence of maps as the value",
	           1, 2, 7);
	yaml_fails("m:\n  <<: [{a: 1}, 2]\n", KUBE_EINVAL,
	           "document 1, line 2, column 7: map merge requires map or sequence of maps as the value",
	           1, 2, 7);
	/* a quoted << is an ordinary key */
	yaml_is("\"<<\": 1\n", "{\"<<\":1}");
}
END_TEST

START_TEST(test_codec_yaml_anchors_aliases)
{
	yaml_is("a: &x [1, {k: v}]\nb: *x\nc: &s hello\nd: *s\n*s : key\n",
	        "{\"a\":[1,{\"k\":\"v\"}],\"b\":[1,{\"k\":\"v\"}],\"c\":\"hello\",\"d\":\"hello\",\"hello\":\"key\"}");
	/* an alias is a copy: the two trees do not share nodes */
	kube__docs docs;
	ck_assert_int_eq(ydecode(&docs, "a: &x {k: v}\nb: *x\n", NULL), 0);
	ck_assert_ptr_ne(get(docs.items[0].root, "a"), get(docs.items[0].root, "b"));
	kube__docs_free(&docs);
	/* redefinition: an alias refers to the latest anchor of that name */
	yaml_is("a: &x 1\nb: &x 2\nc: *x\n", "{\"a\":1,\"b\":2,\"c\":2}");
	yaml_is("a: &n\nb: *n\n", "{\"a\":null,\"b\":null}");
	yaml_fails("a: *nope\n", KUBE_EINVAL,
	           "document 1, line 1, column 4: unknown anchor \"nope\" referenced", 1, 1, 4);
	yaml_fails("a: &x [1, *x]\n", KUBE_EINVAL,
	           "document 1, line 1, column 11: anchor \"x\" value contains itself", 1, 1, 11);
	/* anchors do not cross documents */
	yaml_fails("a: &x 1\n---\nb: *x\n", KUBE_EINVAL,
	           "document 2, line 3, column 4: unknown anchor \"x\" referenced", 2, 3, 4);
}
END_TEST

START_TEST(test_codec_yaml_comments_flow_style)
{
	yaml_is("# head\na: 1 # trailing\n# between\nb: [1, \"2\", {c: d}, []]  # x\n"
	        "e: {f: [g, h], i: {}}\n",
	        "{\"a\":1,\"b\":[1,\"2\",{\"c\":\"d\"},[]],\"e\":{\"f\":[\"g\",\"h\"],\"i\":{}}}");
	yaml_is("a: b#c\nd: 'e # f'\n", "{\"a\":\"b#c\",\"d\":\"e # f\"}");
	yaml_is("a:\n- 1\n-\n  - 2\n- k: v\n  l: w\n", "{\"a\":[1,[2],{\"k\":\"v\",\"l\":\"w\"}]}");
	yaml_is("a: \"esc \\t \\u00e9 \\x41 \\n\"\n", "{\"a\":\"esc \\t é A \\n\"}");
	yaml_is("a: plain\n  continued\n", "{\"a\":\"plain continued\"}");
}
END_TEST

START_TEST(test_codec_yaml_crlf_and_bom)
{
	kube__docs docs;
	kube_decode_options o = KUBE_DECODE_OPTIONS_INIT;
	int line = 0, col = 0;

	o.flags = KUBE_DECODE_POSITIONS;
	yaml_is("a: 1\r\nb: |\r\n  x\r\n  y\r\nc: >-\r\n  p\r\n  q\r\n", "{\"a\":1,\"b\":\"x\\ny\\n\",\"c\":\"p q\"}");
	ck_assert_int_eq(ydecode(&docs, "a: 1\r\nb:\r\n  c: 2\r\n", &o), 0);
	json_object *c = get(get(docs.items[0].root, "b"), "c");
	ck_assert_int_eq(kube__posmap_lookup(docs.items[0].pos, c, &line, &col), 0);
	ck_assert_int_eq(line, 3);
	ck_assert_int_eq(col, 6);
	kube__docs_free(&docs);
	/* a UTF-8 BOM is skipped and does not count as a column */
	ck_assert_int_eq(ydecode(&docs, "\xEF\xBB\xBF" "a: 1\nb: x\n", &o), 0);
	ck_assert_int_eq(kube__posmap_lookup(docs.items[0].pos, get(docs.items[0].root, "a"), &line, &col), 0);
	ck_assert_int_eq(line, 1);
	ck_assert_int_eq(col, 4);
	kube__docs_free(&docs);
	yaml_fails("\xEF\xBB\xBF" "a: [\n", KUBE_EINVAL,
	           "document 1, line 2, column 1: did not find expected node content "
	           "(while parsing a flow node at line 2, column 1)", 1, 2, 1);
}
END_TEST

START_TEST(test_codec_yaml_multi_document)
{
	kube__docs docs;
	ck_assert_int_eq(ydecode(&docs, "a: 1\n---\n---\n# only a comment\n---\nb: 2\n---\n~\n...\n---\nc: 3\n", NULL), 0);
	ck_assert_uint_eq(docs.count, 6);
	ck_assert_int_eq(docs.items[0].index, 1);
	ck_assert_ptr_null(docs.items[1].root);
	ck_assert_ptr_null(docs.items[2].root);
	ck_assert_int_eq(docs.items[3].index, 4);
	ck_assert_int_eq(docs.items[3].line, 6);
	ck_assert_int_eq(docs.items[3].column, 1);
	ck_assert_ptr_null(docs.items[4].root);
	ck_assert_int_eq(docs.items[5].index, 6);
	ck_assert_int_eq(docs.items[5].line, 11);
	kube__docs_free(&docs);
	/* an empty stream, or only comments, has no documents */
	ck_assert_int_eq(ydecode(&docs, "", NULL), 0);
	ck_assert_uint_eq(docs.count, 0);
	ck_assert_int_eq(ydecode(&docs, "# nothing\n\n", NULL), 0);
	ck_assert_uint_eq(docs.count, 0);
	/* an error in a later document names that document */
	yaml_fails("a: 1\n---\nb: 2\n---\nc: [1,\n", KUBE_EINVAL,
	           "document 3, line 6, column 1: did not find expected node content "
	           "(while parsing a flow node at line 6, column 1)", 3, 6, 1);
}
END_TEST

START_TEST(test_codec_yaml_syntax_errors)
{
	yaml_fails("a:\n  b: 1\n   c: 2\n", KUBE_EINVAL,
	           "document 1, line 3, column 5: mapping values are not allowed in this context", 1, 3, 5);
	yaml_fails("a: 1\nb\n", KUBE_EINVAL,
	           "document 1, line 3, column 1: could not find expected ':' "
	           "(while scanning a simple key at line 2, column 1)", 1, 3, 1);
	yaml_fails("a:\n\tb: 1\n", KUBE_EINVAL,
	           "document 1, line 2, column 1: found character that cannot start any token "
	           "(while scanning for the next token at line 2, column 1)", 1, 2, 1);
	yaml_fails("a: \"open\n", KUBE_EINVAL,
	           "document 1, line 2, column 1: found unexpected end of stream "
	           "(while scanning a quoted scalar at line 1, column 4)", 1, 2, 1);
	yaml_fails("a: 1\n- b\n", KUBE_EINVAL,
	           "document 1, line 2, column 1: did not find expected key "
	           "(while parsing a block mapping at line 1, column 1)", 1, 2, 1);
	yaml_fails("a: b\nc: \xff\n", KUBE_EINVAL,
	           "document 1, line 2, column 4: invalid leading UTF-8 octet (byte 0xFF)", 1, 2, 4);
	yaml_fails("a: .inf\n", KUBE_EINVAL,
	           "document 1, line 1, column 4: .inf cannot be represented in JSON", 1, 1, 4);
	yaml_fails("a: [-.Inf]\n", KUBE_EINVAL,
	           "document 1, line 1, column 5: -.Inf cannot be represented in JSON", 1, 1, 5);
}
END_TEST

/* ---- limits ---- */

static const char *LAUGHS =
	"a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	"h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	"i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";

/* CPU time, not wall time: the bound is about the work the decoder does, and
 * must not trip when a loaded CI machine lends the test little of a core. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_codec_limit_billion_laughs)
{
	kube_object_list *l = (kube_object_list *)0x1;
	double t0 = now();
	int rc = kube_decode(&l, LAUGHS, strlen(LAUGHS), NULL);
	double dt = now() - t0;
	/* 100000 nodes are passed at the 6th line: 10 * (1 + 9 + 90 + 900 + 9000) + ... */
	expect_error(rc, KUBE_ETOOBIG,
	             "document 1, line 6, column 8: alias expansion creates more than 100000 nodes "
	             "(max_alias_nodes)", 1, 6, 8);
	ck_assert_ptr_null(l);
	/* expanding the aliases would take hours; stopping at the limit takes
	 * ~0.1 s plain and under 1 s with ASan+UBSan */
	ck_assert_msg(dt < 2.0, "billion laughs took %.3f s of CPU", dt);
}
END_TEST

START_TEST(test_codec_limit_alias_budget)
{
	kube__docs docs;
	kube_decode_options o = KUBE_DECODE_OPTIONS_INIT;
	/* each alias of [1,2,3] creates 4 nodes */
	const char *doc = "a: &a [1, 2, 3]\nb: *a\nc: *a\nd: *a\n";
	o.max_alias_nodes = 12;
	ck_assert_int_eq(ydecode(&docs, doc, &o), 0);
	kube__docs_free(&docs);
	o.max_alias_nodes = 11;
	kube_error_clear();
	expect_error(ydecode(&docs, doc, &o), KUBE_ETOOBIG,
	             "document 1, line 4, column 4: alias expansion creates more than 11 nodes "
	             "(max_alias_nodes)", 1, 4, 4);
	/* the budget is per document */
	o.max_alias_nodes = 8;
	ck_assert_int_eq(ydecode(&docs, "a: &a [1, 2, 3]\nb: *a\nc: *a\n---\na: &a [1, 2, 3]\nb: *a\nc: *a\n", &o), 0);
	ck_assert_uint_eq(docs.count, 2);
	kube__docs_free(&docs);
	/* merges count too */
	o.max_alias_nodes = 3;
	ck_assert_int_eq(ydecode(&docs, "a: &a {x: 1, y: 2}\nb:\n  <<: *a\n", &o), 0);
	kube__docs_free(&docs);
	o.max_alias_nodes = 2;
	expect_error(ydecode(&docs, "a: &a {x: 1, y: 2}\nb:\n  <<: *a\n", &o), KUBE_ETOOBIG,
	             "document 1, line 3, column 7: alias expansion creates more than 2 nodes "
	             "(max_alias_nodes)", 1, 3, 7);
}
END_TEST

static char *nested(const char *open, const char *close, int n)
{
	size_t lo = strlen(open), lc = strlen(close);
	char *s = malloc((lo + lc) * (size_t)n + 1), *p = s;
	for (int i = 0; i < n; i++, p += lo)
		memcpy(p, open, lo);
	for (int i = 0; i < n; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

START_TEST(test_codec_limit_depth)
{
	kube__docs docs;
	char *ok = nested("[", "]", 256), *deep = nested("[", "]", 257);
	ck_assert_int_eq(jdecode(&docs, ok, NULL), 0);
	kube__docs_free(&docs);
	json_fails(deep, KUBE_ETOOBIG, "document 1, line 1, column 257: nesting deeper than 256 (max_depth)",
	           1, 1, 257);
	ck_assert_int_eq(ydecode(&docs, ok, NULL), 0);
	kube__docs_free(&docs);
	yaml_fails(deep, KUBE_ETOOBIG, "document 1, line 1, column 257: nesting deeper than 256 (max_depth)",
	           1, 1, 257);
	free(ok);
	free(deep);
	/* block style counts the same way */
	char yaml[4096];
	size_t n = 0;
	for (int i = 0; i < 4; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "%*sk:\n", 2 * i, "");
	kube_decode_options o = KUBE_DECODE_OPTIONS_INIT;
	o.max_depth = 4;
	ck_assert_int_eq(ydecode(&docs, yaml, &o), 0);
	kube__docs_free(&docs);
	o.max_depth = 3;
	expect_error(ydecode(&docs, yaml, &o), KUBE_ETOOBIG,
	             "document 1, line 4, column 7: nesting deeper than 3 (max_depth)", 1, 4, 7);
	/* an alias cannot smuggle depth in */
	o.max_depth = 3;
	expect_error(ydecode(&docs, "a: &a {b: {c: 1}}\nx:\n  y: *a\n", &o), KUBE_ETOOBIG,
	             "document 1, line 3, column 6: nesting deeper than 3 (max_depth)", 1, 3, 6);
	o.max_depth = 3;
	o.format = KUBE_FORMAT_JSON;
	kube_error_clear();
	expect_error(jdecode(&docs, "{\"a\": {\"b\": {\"c\": {}}}}", &o), KUBE_ETOOBIG,
	             "document 1, line 1, column 19: nesting deeper than 3 (max_depth)", 1, 1, 19);
}
END_TEST

START_TEST(test_codec_limit_document_size)
{
	kube__docs docs;
	kube_decode_options o = KUBE_DECODE_OPTIONS_INIT;
	char doc[256];

	/* A document's size runs from its first token (its "---" when there is
	 * one) to where the next begins: "a: " + 97 x's + "\n" = 101 bytes. */
	memcpy(doc, "a: ", 3);
	memset(doc + 3, 'x', 97);
	strcpy(doc + 100, "\n");
	o.max_document_bytes = 101;
	ck_assert_int_eq(ydecode(&docs, doc, &o), 0);
	kube__docs_free(&docs);
	o.max_document_bytes = 100;
	expect_error(ydecode(&docs, doc, &o), KUBE_ETOOBIG,
	             "document 1, line 2, column 1: document is larger than 100 bytes (max_document_bytes)",
	             1, 2, 1);
	o.max_document_bytes = 99;
	expect_error(ydecode(&docs, doc, &o), KUBE_ETOOBIG,
	             "document 1, line 1, column 4: document is larger than 99 bytes (max_document_bytes)",
	             1, 1, 4);
	/* bytes, not characters: 40 x U+00E9 are 80 bytes */
	strcpy(doc, "a: ");
	for (int i = 0; i < 40; i++)
		strcat(doc, "\xC3\xA9");
	strcat(doc, "\n");
	o.max_document_bytes = 84;
	ck_assert_int_eq(ydecode(&docs, doc, &o), 0);
	kube__docs_free(&docs);
	o.max_document_bytes = 83;
	ck_assert_int_eq(ydecode(&docs, doc, &o), KUBE_ETOOBIG);
	/* the limit is per document */
	o.max_document_bytes = 20;
	ck_assert_int_eq(ydecode(&docs, "a: 0123456789\n---\nb: 0123456789\n---\nc: 0123456789\n", &o), 0);
	ck_assert_uint_eq(docs.count, 3);
	kube__docs_free(&docs);
	ck_assert_int_eq(jdecode(&docs, "{\"a\":\"0123456789\"} {\"b\":\"0123456789\"}", &o), 0);
	ck_assert_uint_eq(docs.count, 2);
	kube__docs_free(&docs);
	o.max_document_bytes = 16;
	expect_error(jdecode(&docs, "{\"a\":\"0123\"} {\"b\":\"0123456789\"}", &o), KUBE_ETOOBIG,
	             "document 2, line 1, column 31: document is larger than 16 bytes (max_document_bytes)",
	             2, 1, 31);
	o.max_document_bytes = 10;
	expect_error(jdecode(&docs, "{                    }", &o), KUBE_ETOOBIG,
	             "document 1, line 1, column 23: document is larger than 10 bytes (max_document_bytes)",
	             1, 1, 23);
	/* the default is 3 MiB */
	size_t big = 3u * 1024 * 1024 + 16;
	char *huge = malloc(big + 1);
	memcpy(huge, "a: ", 3);
	memset(huge + 3, 'x', big - 4);
	huge[big - 1] = '\n';
	huge[big] = '\0';
	kube_object_list *l = NULL;
	ck_assert_int_eq(kube_decode(&l, huge, big, NULL), KUBE_ETOOBIG);
	ck_assert_ptr_null(l);
	free(huge);
}
END_TEST

/* ---- JSON decoder ---- */

START_TEST(test_codec_json_values)
{
	json_is("{\"\": {\"\": \"\"}}", "{\"\":{\"\":\"\"}}");
	json_is("{\"a\": [1, -2, 0, -0, 1.5, 1.50, -2.5e-3, 1E+21, true, false, null, \"s\"]}",
	        "{\"a\":[1,-2,0,0,1.5,1.50,-2.5e-3,1E+21,true,false,null,\"s\"]}");
	json_is("  {\n\t\"k\" : { } ,\r\n \"l\":[ ] }  ", "{\"k\":{},\"l\":[]}");
	json_is("{\"s\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\\ud83d\\ude00\"}",
	        "{\"s\":\"\\\"\\\\/\\b\\f\\n\\r\\tAé€😀\"}");
	/* a lone surrogate becomes U+FFFD, as in Go */
	json_is("{\"s\": \"\\ud800x\\udc00\"}", "{\"s\":\"\xEF\xBF\xBDx\xEF\xBF\xBD\"}");
	json_is("{\"s\": \"nul\\u0000inside\"}", "{\"s\":\"nul\\u0000inside\"}");
	json_is("\xEF\xBB\xBF{\"bom\": 1}", "{\"bom\":1}");
	json_is("[1, 2]", "[1,2]");
	json_is("\"scalar\"", "\"scalar\"");
}
END_TEST

START_TEST(test_codec_json_big_numbers)
{
	static const char *nums[] = {
		"9007199254740993",       /* 2^53 + 1 */
		"9223372036854775807",    /* int64 max */
		"-9223372036854775808",   /* int64 min */
		"9223372036854775808",    /* 2^63 */
		"18446744073709551621",   /* 2^64 + 5 */
		"-9223372036854775809",   /* -2^63 - 1 */
		"123456789012345678901234567890123456789",
		"3.141592653589793238462643383279",
		"-0.0",
	};
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(nums); i++) {
		char in[128], out[128];
		snprintf(in, sizeof(in), "{\"v\": %s}", nums[i]);
		snprintf(out, sizeof(out), "{\"v\":%s}", nums[i]);
		json_is(in, out);
		/* and through YAML */
		kube__docs docs;
		ck_assert_int_eq(jdecode(&docs, in, NULL), 0);
		char *y = yaml_of(docs.items[0].root);
		char want[160];
		snprintf(want, sizeof(want), "v: %s\n", nums[i]);
		ck_assert_str_eq(y, want);
		kube__docs_free(&docs);
		yaml_is(y, out);
		kube_free(y);
	}
	kube__docs docs;
	ck_assert_int_eq(jdecode(&docs, "{\"a\": 9007199254740993, \"b\": 9223372036854775808}", NULL), 0);
	ck_assert(json_object_is_type(get(docs.items[0].root, "a"), json_type_int));
	ck_assert_int_eq(json_object_get_int64(get(docs.items[0].root, "a")), 9007199254740993LL);
	ck_assert(json_object_is_type(get(docs.items[0].root, "b"), json_type_double));
	kube__docs_free(&docs);
}
END_TEST

START_TEST(test_codec_json_errors)
{
	json_fails("{\"a\": \"open", KUBE_EINVAL, "document 1, line 1, column 7: unterminated string", 1, 1, 7);
	json_fails("{\"a\": \"x\\qy\"}", KUBE_EINVAL,
	           "document 1, line 1, column 9: invalid escape '\\'q'' in string", 1, 1, 9);
	json_fails("{\"a\": \"\\u12G4\"}", KUBE_EINVAL,
	           "document 1, line 1, column 8: invalid \\u escape in string (expected 4 hex digits)", 1, 1, 8);
	json_fails("{\"a\": \"x\ny\"}", KUBE_EINVAL,
	           "document 1, line 1, column 9: invalid control character U+000A in string (escape it)", 1, 1, 9);
	json_fails("{\"a\": \"\xC3\xA9\xC3(\"}", KUBE_EINVAL,
	           "document 1, line 1, column 9: invalid UTF-8 in string", 1, 1, 9);
	json_fails("{\"a\": \"\xED\xA0\x80\"}", KUBE_EINVAL,
	           "document 1, line 1, column 8: invalid UTF-8 in string", 1, 1, 8);
	json_fails("{\"a\": 01}", KUBE_EINVAL,
	           "document 1, line 1, column 7: leading zeros are not allowed in numbers", 1, 1, 7);
	json_fails("{\"a\": -x}", KUBE_EINVAL,
	           "document 1, line 1, column 8: expected a digit after '-', found 'x'", 1, 1, 8);
	json_fails("{\"a\": 1.}", KUBE_EINVAL,
	           "document 1, line 1, column 9: expected a digit after the decimal point, found '}'", 1, 1, 9);
	json_fails("{\"a\": 1e+}", KUBE_EINVAL,
	           "document 1, line 1, column 10: expected a digit in the exponent, found '}'", 1, 1, 10);
	json_fails("{\"a\" 1}", KUBE_EINVAL,
	           "document 1, line 1, column 6: expected ':' after object key, found '1'", 1, 1, 6);
	json_fails("{\"a\": 1 \"b\": 2}", KUBE_EINVAL,
	           "document 1, line 1, column 9: expected ',' or '}' after an object member, found '\"'",
	           1, 1, 9);
	json_fails("[1 2]", KUBE_EINVAL,
	           "document 1, line 1, column 4: expected ',' or ']' after an array element, found '2'",
	           1, 1, 4);
	json_fails("[1,]", KUBE_EINVAL,
	           "document 1, line 1, column 4: unexpected character ']', expected a value", 1, 1, 4);
	json_fails("{\"a\": 1,}", KUBE_EINVAL,
	           "document 1, line 1, column 9: expected a string key, found '}'", 1, 1, 9);
	json_fails("{a: 1}", KUBE_EINVAL,
	           "document 1, line 1, column 2: expected a string key, found 'a'", 1, 1, 2);
	json_fails("{\"a\": tru}", KUBE_EINVAL,
	           "document 1, line 1, column 7: invalid literal (expected true)", 1, 1, 7);
	json_fails("{\"a\": nul", KUBE_EINVAL,
	           "document 1, line 1, column 7: invalid literal (expected null)", 1, 1, 7);
	json_fails("{\"a\":", KUBE_EINVAL,
	           "document 1, line 1, column 6: unexpected end of input, expected a value", 1, 1, 6);
	json_fails("{\"a\": 1", KUBE_EINVAL,
	           "document 1, line 1, column 8: expected ',' or '}' after an object member, found end of input",
	           1, 1, 8);
	json_fails("{\"a\": 'x'}", KUBE_EINVAL,
	           "document 1, line 1, column 7: unexpected character ''', expected a value", 1, 1, 7);
	json_fails("{\"a\": \xC3\xA9}", KUBE_EINVAL,
	           "document 1, line 1, column 7: unexpected U+00E9, expected a value", 1, 1, 7);
	json_fails("{\"a\": -1.5e400}", KUBE_EINVAL,
	           "document 1, line 1, column 7: number -1.5e400 is out of range", 1, 1, 7);
	json_fails("{\"a\": 1, \"a\": 2}", KUBE_EINVAL,
	           "document 1, line 1, column 10: object key \"a\" already defined", 1, 1, 10);
	json_fails("{\"a\\u0000b\": 1}", KUBE_EINVAL,
	           "document 1, line 1, column 2: object key contains a NUL character", 1, 1, 2);
	/* trailing garbage after a value is the start of a bad second document */
	json_fails("{\"a\": 1}\n  x", KUBE_EINVAL,
	           "document 2, line 2, column 3: unexpected character 'x', expected a value", 2, 2, 3);
	/* positions count lines (CRLF is one break) and characters */
	json_fails("{\r\n  \"\xC3\xA9\xC3\xA9\": \r\n    [1, 2,, 3]}", KUBE_EINVAL,
	           "document 1, line 3, column 11: unexpected character ',', expected a value", 1, 3, 11);
}
END_TEST

START_TEST(test_codec_json_positions)
{
	kube__docs docs;
	kube_decode_options o = KUBE_DECODE_OPTIONS_INIT;
	int line, col;

	o.flags = KUBE_DECODE_POSITIONS;
	ck_assert_int_eq(jdecode(&docs, "{\"a\": 1,\n \"b\": [true,\n  {\"c\": \"x\"}]}\n{\"d\": {}}", &o), 0);
	ck_assert_uint_eq(docs.count, 2);
	json_object *r = docs.items[0].root, *b = get(r, "b");
	struct { json_object *node; int line, col; } want[] = {
		{ r, 1, 1 }, { get(r, "a"), 1, 7 }, { b, 2, 7 },
		{ json_object_array_get_idx(b, 0), 2, 8 },
		{ json_object_array_get_idx(b, 1), 3, 3 },
		{ get(json_object_array_get_idx(b, 1), "c"), 3, 9 },
	};
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(want); i++) {
		ck_assert_int_eq(kube__posmap_lookup(docs.items[0].pos, want[i].node, &line, &col), 0);
		ck_assert_int_eq(line, want[i].line);
		ck_assert_int_eq(col, want[i].col);
	}
	ck_assert_int_eq(docs.items[1].index, 2);
	ck_assert_int_eq(docs.items[1].line, 4);
	ck_assert_int_eq(docs.items[1].column, 1);
	ck_assert_int_eq(kube__posmap_lookup(docs.items[1].pos, get(docs.items[1].root, "d"), &line, &col), 0);
	ck_assert_int_eq(col, 7);
	/* no positions for nodes of another tree */
	ck_assert_int_eq(kube__posmap_lookup(docs.items[1].pos, r, &line, &col), KUBE_ENOTFOUND);
	kube__docs_free(&docs);
	/* without the flag there is no map */
	ck_assert_int_eq(jdecode(&docs, "{}", NULL), 0);
	ck_assert_ptr_null(docs.items[0].pos);
	kube__docs_free(&docs);
}
END_TEST

START_TEST(test_codec_yaml_positions)
{
	kube__docs docs;
	kube_decode_options o = KUBE_DECODE_OPTIONS_INIT;
	int line, col;

	o.flags = KUBE_DECODE_POSITIONS;
	ck_assert_int_eq(ydecode(&docs, "# c\nkind: Pod\nspec:\n  containers:\n  - name: x\n    image: 'y'\n"
	                                "  list: [a, {k: v}]\n  anchor: &a {p: 1}\n  alias: *a\n", &o), 0);
	json_object *r = docs.items[0].root, *spec = get(r, "spec");
	json_object *c0 = json_object_array_get_idx(get(spec, "containers"), 0);
	json_object *list = get(spec, "list");
	struct { json_object *node; int line, col; } want[] = {
		{ r, 2, 1 }, { get(r, "kind"), 2, 7 }, { spec, 4, 3 }, { get(spec, "containers"), 5, 3 },
		{ c0, 5, 5 }, { get(c0, "name"), 5, 11 }, { get(c0, "image"), 6, 12 },
		{ list, 7, 9 }, { json_object_array_get_idx(list, 1), 7, 13 },
		{ get(json_object_array_get_idx(list, 1), "k"), 7, 17 },
		{ get(spec, "anchor"), 8, 11 },
		/* an alias's copy is placed where the alias is */
		{ get(spec, "alias"), 9, 10 }, { get(get(spec, "alias"), "p"), 9, 10 },
	};
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(want); i++) {
		ck_assert_int_eq(kube__posmap_lookup(docs.items[0].pos, want[i].node, &line, &col), 0);
		ck_assert_msg(line == want[i].line && col == want[i].col, "node %zu at %d:%d, want %d:%d",
		              i, line, col, want[i].line, want[i].col);
	}
	ck_assert_int_eq(docs.items[0].line, 2);
	kube__docs_free(&docs);
}
END_TEST

/* ---- encoders ---- */

START_TEST(test_codec_json_encode)
{
	kube__docs docs;
	kube__buf b = KUBE__BUF_INIT;
	ck_assert_int_eq(jdecode(&docs, "{\"z\": 1, \"a\": {\"b\": [1, {\"c\": []}, {}], \"u\": \"é/\\u001f\\u007f\"}}", NULL), 0);
	ck_assert_int_eq(kube__json_encode(&b, docs.items[0].root, KUBE_ENCODE_PRETTY), 0);
	ck_assert_str_eq(b.data,
	                 "{\n"
	                 "  \"z\": 1,\n"
	                 "  \"a\": {\n"
	                 "    \"b\": [\n"
	                 "      1,\n"
	                 "      {\n"
	                 "        \"c\": []\n"
	                 "      },\n"
	                 "      {}\n"
	                 "    ],\n"
	                 "    \"u\": \"é/\\u001f\x7f\"\n"
	                 "  }\n"
	                 "}\n");
	kube__buf_free(&b);
	kube__docs_free(&docs);
	/* values made through json-c rather than decoded */
	json_object *o = json_object_new_object();
	json_object_object_add(o, "d", json_object_new_double(0.1));
	json_object_object_add(o, "w", json_object_new_double(2.0));
	json_object_object_add(o, "bad", json_object_new_string_len("a\xff", 2));
	ck_assert_int_eq(kube__json_encode(&b, o, 0), 0);
	ck_assert_str_eq(b.data, "{\"d\":0.1,\"w\":2.0,\"bad\":\"a\xEF\xBF\xBD\"}");
	kube__buf_free(&b);
	json_object_object_add(o, "nan", json_object_new_double(0.0 / 0.0));
	kube_error_clear();
	ck_assert_int_eq(kube__json_encode(&b, o, 0), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "cannot encode NaN: JSON has no NaN");
	kube__buf_free(&b);
	json_object_put(o);
}
END_TEST

START_TEST(test_codec_yaml_encode_style)
{
	kube__docs docs;
	ck_assert_int_eq(jdecode(&docs,
	                         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"labels\":{},"
	                         "\"annotations\":{\"note\":\"line1\\nline2\\n\",\"strip\":\"a\\nb\",\"keep\":\"a\\n\\n\"}},"
	                         "\"spec\":{\"containers\":[{\"name\":\"c\",\"args\":[\"1\",\"--x\",\"\"],"
	                         "\"ports\":[{\"containerPort\":80}],\"env\":[]}],\"matrix\":[[1,2],[]],"
	                         "\"n\":null,\"t\":true,\"f\":1.5}}", NULL), 0);
	char *y = yaml_of(docs.items[0].root);
	ck_assert_str_eq(y,
	                 "apiVersion: v1\n"
	                 "kind: Pod\n"
	                 "metadata:\n"
	                 "  name: p\n"
	                 "  labels: {}\n"
	                 "  annotations:\n"
	                 "    note: |\n"
	                 "      line1\n"
	                 "      line2\n"
	                 "    strip: |-\n"
	                 "      a\n"
	                 "      b\n"
	                 "    keep: |+\n"
	                 "      a\n"
	                 "\n"
	                 "spec:\n"
	                 "  containers:\n"
	                 "  - name: c\n"
	                 "    args:\n"
	                 "    - \"1\"\n"
	                 "    - --x\n"
	                 "    - \"\"\n"
	                 "    ports:\n"
	                 "    - containerPort: 80\n"
	                 "    env: []\n"
	                 "  matrix:\n"
	                 "  - - 1\n"
	                 "    - 2\n"
	                 "  - []\n"
	                 "  \"n\": null\n"
	                 "  t: true\n"
	                 "  f: 1.5\n");
	kube_free(y);
	kube__docs_free(&docs);
}
END_TEST

START_TEST(test_codec_yaml_encode_quoting)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" }, { "two words", "two words" }, { "é ✓", "é ✓" },
		{ "1", "\"1\"" }, { "-1", "\"-1\"" }, { "1.5", "\"1.5\"" }, { "1e3", "\"1e3\"" },
		{ "0x1F", "\"0x1F\"" }, { "017", "\"017\"" }, { "1_000", "\"1_000\"" }, { ".5", "\".5\"" },
		{ "true", "\"true\"" }, { "yes", "\"yes\"" }, { "y", "\"y\"" }, { "N", "\"N\"" },
		{ "off", "\"off\"" }, { "null", "\"null\"" }, { "~", "\"~\"" }, { "", "\"\"" },
		{ ".inf", "\".inf\"" }, { ".NaN", "\".NaN\"" }, { "<<", "<<" },
		{ "1:20", "\"1:20\"" }, { "2001-12-14", "\"2001-12-14\"" },
		{ "2001-12-14T21:59:43Z", "\"2001-12-14T21:59:43Z\"" },
		{ "2001-12-14 21:59:43.10", "\"2001-12-14 21:59:43.10\"" },
		{ "2001-13-14", "2001-13-14" }, { "1e400", "1e400" },
		{ " lead", "' lead'" }, { "trail ", "'trail '" }, { "a: b", "'a: b'" },
		{ "#x", "'#x'" }, { "a #b", "'a #b'" }, { "- a", "'- a'" }, { "*x", "'*x'" },
		{ "&x", "'&x'" }, { "!x", "'!x'" }, { "@x", "'@x'" }, { "`x", "'`x'" },
		{ "{x}", "'{x}'" }, { "[x]", "'[x]'" }, { "it's", "it's" }, { "'q'", "'''q'''" },
		{ "a:b", "a:b" }, { "a#b", "a#b" }, { "x\ty", "\"x\\ty\"" }, { "x\x01", "\"x\\x01\"" },
		{ "😀", "\"\\U0001F600\"" },
		{ "a\nb", "|-\n  a\n  b" }, { "a\nb\n", "|\n  a\n  b" }, { "a\n\n", "|+\n  a\n" },
		{ "  a\nb", "|2-\n    a\n  b" }, { "a \nb", "\"a \\nb\"" }, { "a\r\nb", "\"a\\r\\nb\"" },
	};
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(cases); i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "v", json_object_new_string(cases[i].in));
		char want[128], *y = yaml_of(o);
		snprintf(want, sizeof(want), "v: %s\n", cases[i].out);
		ck_assert_msg(strcmp(y, want) == 0, "[%s] -> [%s], want [%s]", cases[i].in, y, want);
		/* and it reads back as the same string */
		kube__docs docs;
		ck_assert_int_eq(ydecode(&docs, y, NULL), 0);
		ck_assert_msg(tree_equal(o, docs.items[0].root), "[%s] did not read back", cases[i].in);
		kube__docs_free(&docs);
		kube_free(y);
		json_object_put(o);
	}
	/* long scalars fold at 80 columns, as go-yaml folds them, and read back whole */
	{
		json_object *o = json_object_new_object();
		const char *words = "this is a long string that goes on and on past eighty columns "
		                    "without any line break at all";
		json_object_object_add(o, "long", json_object_new_string(words));
		json_object_object_add(o, "quoted", json_object_new_string("0123456789 0123456789 0123456789 "
		                       "0123456789 0123456789 0123456789 0123456789 0123456789\t"));
		char *y = yaml_of(o);
		ck_assert_str_eq(y, "long: this is a long string that goes on and on past eighty columns without any line\n"
		                    "  break at all\n"
		                    "quoted: \"0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789\n"
		                    "  0123456789\\t\"\n");
		kube__docs docs;
		ck_assert_int_eq(ydecode(&docs, y, NULL), 0);
		ck_assert(tree_equal(o, docs.items[0].root));
		kube__docs_free(&docs);
		kube_free(y);
		json_object_put(o);
	}
	/* keys are quoted by the same rules; a multi-line key is double-quoted */
	json_object *o = json_object_new_object();
	json_object_object_add(o, "1", json_object_new_int(1));
	json_object_object_add(o, "on", json_object_new_int(2));
	json_object_object_add(o, "a\nb", json_object_new_int(3));
	json_object_object_add(o, "<<", json_object_new_int(4));
	json_object_object_add(o, "k", json_object_new_string_len("a\0b", 3));
	char *y = yaml_of(o);
	ck_assert_str_eq(y, "\"1\": 1\n\"on\": 2\n? \"a\\nb\"\n: 3\n\"<<\": 4\nk: \"a\\0b\"\n");
	kube_free(y);
	json_object_put(o);
}
END_TEST

/* ---- round trips ---- */

static void round_trip_dir(const char *dir, int *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name), len;
		int json = n > 5 && strcmp(e->d_name + n - 5, ".json") == 0;
		int yaml = n > 5 && strcmp(e->d_name + n - 5, ".yaml") == 0;
		char path[1024];
		if (!json && !yaml)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		char *buf = read_file(path, &len);
		round_trip(path, buf, len, json);
		free(buf);
		(*count)++;
	}
	closedir(d);
}

START_TEST(test_codec_round_trip_fixtures)
{
	int count = 0;
	round_trip_dir(KUBE_TEST_DATA "/codec", &count);
	ck_assert_int_ge(count, 6);
	count = 0;
	round_trip_dir(KUBE_SOURCE_ROOT "/examples/manifests", &count);
	/* the examples are optional; when present every one must pass */
}
END_TEST

START_TEST(test_codec_round_trip_fixture_values)
{
	size_t len;
	char *buf = read_file(KUBE_TEST_DATA "/codec/deployment.yaml", &len);
	kube__docs docs = { 0 };
	ck_assert_int_eq(kube__yaml_decode(&docs, buf, len, NULL), 0);
	free(buf);
	ck_assert_uint_eq(docs.count, 2);
	json_object *r = docs.items[0].root, *md = get(r, "metadata");
	ck_assert_str_eq(json_object_get_string(get(get(md, "labels"), "tier")), "1");
	ck_assert_str_eq(json_object_get_string(get(get(md, "annotations"), "example.com/note")),
	                 "first line\nsecond line\n");
	ck_assert_str_eq(json_object_get_string(get(get(md, "annotations"), "example.com/folded")),
	                 "folded text");
	char *sel = json_of(get(get(r, "spec"), "selector"));
	ck_assert_str_eq(sel, "{\"matchLabels\":{\"app\":\"web\",\"tier\":\"1\"}}");
	kube_free(sel);
	char *c0 = json_of(json_object_array_get_idx(
		get(get(get(get(r, "spec"), "template"), "spec"), "containers"), 0));
	ck_assert_str_eq(c0, "{\"name\":\"nginx\",\"image\":\"nginx:1.27\",\"args\":[\"--port\",\"8080\",\"--verbose\"],"
	                     "\"ports\":[{\"containerPort\":8080,\"protocol\":\"TCP\"}],"
	                     "\"env\":[{\"name\":\"MODE\",\"value\":\"production\"},{\"name\":\"ENABLED\",\"value\":\"true\"}],"
	                     "\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"128Mi\"}}}");
	kube_free(c0);
	kube__docs_free(&docs);

	buf = read_file(KUBE_TEST_DATA "/codec/merge.yaml", &len);
	ck_assert_int_eq(kube__yaml_decode(&docs, buf, len, NULL), 0);
	free(buf);
	char *data = json_of(get(docs.items[0].root, "data"));
	ck_assert_str_eq(data, "{\"development\":{\"database\":\"dev\",\"adapter\":\"postgres\",\"host\":\"localhost\",\"port\":5432},"
	                       "\"test\":{\"adapter\":\"postgres\",\"host\":\"localhost\",\"port\":6543,\"pool\":5}}");
	kube_free(data);
	kube__docs_free(&docs);
}
END_TEST

/* ---- public API ---- */

START_TEST(test_codec_decode_public)
{
	kube_object_list *l = NULL;
	const kube_object *o;
	int doc, line, col;
	size_t len;
	char *buf = read_file(KUBE_TEST_DATA "/codec/empty-docs.yaml", &len);
	kube_decode_options opts = KUBE_DECODE_OPTIONS_INIT;

	opts.flags = KUBE_DECODE_POSITIONS;
	ck_assert_int_eq(kube_decode(&l, buf, len, &opts), 0);
	free(buf);
	ck_assert_uint_eq(kube_object_list_count(l), 2);
	o = kube_object_list_get(l, 0);
	ck_assert_str_eq(kube_object_name(o), "first");
	ck_assert_int_eq(kube_object_is_frozen(o), 1);
	ck_assert_int_eq(kube_object_source(o, "metadata.name", &doc, &line, &col), 0);
	ck_assert_int_eq(doc, 3);
	ck_assert_int_eq(line, 9);
	ck_assert_int_eq(col, 9);
	o = kube_object_list_get(l, 1);
	ck_assert_str_eq(kube_object_name(o), "second");
	ck_assert_int_eq(kube_object_source(o, "kind", &doc, &line, &col), 0);
	ck_assert_int_eq(doc, 6);
	ck_assert_int_eq(line, 16);
	ck_assert_int_eq(col, 7);
	kube_object_list_free(l);

	/* AUTO picks JSON for '{' (after a BOM and blanks) and YAML otherwise */
	buf = read_file(KUBE_TEST_DATA "/codec/stream.json", &len);
	ck_assert_int_eq(kube_decode(&l, buf, len, NULL), 0);
	free(buf);
	ck_assert_uint_eq(kube_object_list_count(l), 3);
	ck_assert_str_eq(kube_object_kind(kube_object_list_get(l, 2)), "Secret");
	kube_object_list_free(l);
	ck_assert_int_eq(kube_decode(&l, "\xEF\xBB\xBF \n{\"kind\":\"A\"}", 17, NULL), 0);
	ck_assert_str_eq(kube_object_kind(kube_object_list_get(l, 0)), "A");
	kube_object_list_free(l);
	ck_assert_int_eq(kube_decode(&l, "", 0, NULL), 0);
	ck_assert_uint_eq(kube_object_list_count(l), 0);
	kube_object_list_free(l);
	/* JSON null documents are skipped like empty YAML ones */
	kube_decode_options jo = KUBE_DECODE_OPTIONS_INIT;
	jo.format = KUBE_FORMAT_JSON;
	const char *nulls = "null {\"kind\":\"B\"} null";
	ck_assert_int_eq(kube_decode(&l, nulls, strlen(nulls), &jo), 0);
	ck_assert_uint_eq(kube_object_list_count(l), 1);
	kube_object_list_free(l);
}
END_TEST

START_TEST(test_codec_decode_not_a_mapping)
{
	kube_object_list *l = NULL;
	const char *y = "kind: A\n---\n\n- a\n- b\n";
	expect_error(kube_decode(&l, y, strlen(y), NULL), KUBE_EINVAL,
	             "document 2, line 4, column 1: expected a mapping, found a sequence", 2, 4, 1);
	ck_assert_ptr_null(l);
	y = "---\njust text\n";
	expect_error(kube_decode(&l, y, strlen(y), NULL), KUBE_EINVAL,
	             "document 1, line 2, column 1: expected a mapping, found a string", 1, 2, 1);
	y = "42\n";
	expect_error(kube_decode(&l, y, strlen(y), NULL), KUBE_EINVAL,
	             "document 1, line 1, column 1: expected a mapping, found an integer", 1, 1, 1);
	y = "{\"kind\":\"A\"}\n [1]";
	expect_error(kube_decode(&l, y, strlen(y), NULL), KUBE_EINVAL,
	             "document 2, line 2, column 2: expected an object, found an array", 2, 2, 2);
	y = "kind: A\n---\nkind: [\n";
	ck_assert_int_eq(kube_decode(&l, y, strlen(y), NULL), KUBE_EINVAL);
	ck_assert_ptr_null(l);
	/* metadata the object layer refuses: placed on the field with positions,
	 * on the document without */
	y = "kind: A\n---\nkind: B\nmetadata:\n  labels: [1]\n";
	/* (the rest of the message is the object layer's) */
	ck_assert_int_eq(kube_decode(&l, y, strlen(y), NULL), KUBE_EINVAL);
	ck_assert_msg(strncmp(kube_error_last()->message, "document 2, line 3, column 1: metadata.labels: ", 47) == 0,
	              "%s", kube_error_last()->message);
	ck_assert_int_eq(kube_error_last()->line, 3);
	ck_assert_str_eq(kube_error_last()->field, "metadata.labels");
	kube_decode_options o = KUBE_DECODE_OPTIONS_INIT;
	o.flags = KUBE_DECODE_POSITIONS;
	ck_assert_int_eq(kube_decode(&l, y, strlen(y), &o), KUBE_EINVAL);
	ck_assert_msg(strncmp(kube_error_last()->message, "document 2, line 5, column 11: metadata.labels: ", 48) == 0,
	              "%s", kube_error_last()->message);
	ck_assert_int_eq(kube_error_last()->document, 2);
	ck_assert_int_eq(kube_error_last()->line, 5);
	ck_assert_int_eq(kube_error_last()->column, 11);
	ck_assert_ptr_null(l);
}
END_TEST

START_TEST(test_codec_decode_options)
{
	kube_decode_options o;
	kube_object_list *l = NULL;

	memset(&o, 0xff, sizeof(o));
	ck_assert_int_eq(kube_decode_options_init(&o, 1), 0);
	ck_assert_uint_eq(o.version, 1);
	ck_assert_int_eq(o.format, KUBE_FORMAT_AUTO);
	ck_assert_uint_eq(o.max_document_bytes, 3u * 1024 * 1024);
	ck_assert_uint_eq(o.max_depth, 256);
	ck_assert_uint_eq(o.max_alias_nodes, 100000);
	ck_assert_uint_eq(o.flags, 0);
	ck_assert_int_eq(kube_decode_options_init(&o, 2), KUBE_EINVAL);
	ck_assert_int_eq(kube_decode_options_init(&o, 0), KUBE_EINVAL);
	ck_assert_int_eq(kube_decode_options_init(NULL, 1), KUBE_EINVAL);

	/* explicit formats override the sniffing */
	kube_decode_options_init(&o, 1);
	o.format = KUBE_FORMAT_YAML;
	ck_assert_int_eq(kube_decode(&l, "{kind: A}", 9, &o), 0);
	ck_assert_str_eq(kube_object_kind(kube_object_list_get(l, 0)), "A");
	kube_object_list_free(l);
	o.format = KUBE_FORMAT_JSON;
	ck_assert_int_eq(kube_decode(&l, "kind: A", 7, &o), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "document 1, line 1, column 1: unexpected character 'k', expected a value");
	/* zeros mean the defaults */
	memset(&o, 0, sizeof(o));
	o.version = 1;
	ck_assert_int_eq(kube_decode(&l, LAUGHS, strlen(LAUGHS), &o), KUBE_ETOOBIG);
	o.version = 9;
	ck_assert_int_eq(kube_decode(&l, "a: 1", 4, &o), KUBE_EINVAL);
	ck_assert_int_eq(kube_decode(NULL, "a: 1", 4, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_decode(&l, NULL, 4, NULL), KUBE_EINVAL);
}
END_TEST

START_TEST(test_codec_encode_public)
{
	kube_object_list *l = NULL;
	char *out = NULL;
	size_t len = 0;
	const char *y = "kind: A\nmetadata:\n  name: a\n---\nkind: B\nitems: []\n";

	ck_assert_int_eq(kube_decode(&l, y, strlen(y), NULL), 0);
	ck_assert_int_eq(kube_encode(&out, &len, kube_object_list_get(l, 0), KUBE_FORMAT_JSON, 0), 0);
	ck_assert_str_eq(out, "{\"kind\":\"A\",\"metadata\":{\"name\":\"a\"}}");
	ck_assert_uint_eq(len, strlen(out));
	kube_free(out);
	ck_assert_int_eq(kube_encode(&out, NULL, kube_object_list_get(l, 1), KUBE_FORMAT_YAML, 0), 0);
	ck_assert_str_eq(out, "kind: B\nitems: []\n");
	kube_free(out);
	ck_assert_int_eq(kube_encode_list(&out, &len, l, KUBE_FORMAT_YAML, 0), 0);
	ck_assert_str_eq(out, y);
	kube_free(out);
	ck_assert_int_eq(kube_encode_list(&out, &len, l, KUBE_FORMAT_JSON, 0), 0);
	ck_assert_str_eq(out, "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":["
	                      "{\"kind\":\"A\",\"metadata\":{\"name\":\"a\"}},{\"kind\":\"B\",\"items\":[]}]}");
	kube_free(out);
	ck_assert_int_eq(kube_encode_list(&out, &len, l, KUBE_FORMAT_JSON, KUBE_ENCODE_PRETTY), 0);
	ck_assert_str_eq(out,
	                 "{\n"
	                 "  \"apiVersion\": \"v1\",\n"
	                 "  \"kind\": \"List\",\n"
	                 "  \"items\": [\n"
	                 "    {\n"
	                 "      \"kind\": \"A\",\n"
	                 "      \"metadata\": {\n"
	                 "        \"name\": \"a\"\n"
	                 "      }\n"
	                 "    },\n"
	                 "    {\n"
	                 "      \"kind\": \"B\",\n"
	                 "      \"items\": []\n"
	                 "    }\n"
	                 "  ]\n"
	                 "}\n");
	/* the pretty list is the same value as the compact one */
	kube_object_list *back = NULL;
	ck_assert_int_eq(kube_decode(&back, out, strlen(out), NULL), 0);
	ck_assert_uint_eq(kube_object_list_count(back), 1);
	ck_assert_str_eq(kube_object_kind(kube_object_list_get(back, 0)), "List");
	kube_object_list_free(back);
	kube_free(out);
	ck_assert_int_eq(kube_encode(&out, NULL, kube_object_list_get(l, 0), KUBE_FORMAT_AUTO, 0), KUBE_EINVAL);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(kube_encode(&out, NULL, NULL, KUBE_FORMAT_JSON, 0), KUBE_EINVAL);
	kube_object_list_free(l);

	ck_assert_int_eq(kube_object_list_new(&l), 0);
	ck_assert_int_eq(kube_encode_list(&out, &len, l, KUBE_FORMAT_YAML, 0), 0);
	ck_assert_str_eq(out, "");
	kube_free(out);
	ck_assert_int_eq(kube_encode_list(&out, &len, l, KUBE_FORMAT_JSON, KUBE_ENCODE_PRETTY), 0);
	ck_assert_str_eq(out, "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": []\n}\n");
	kube_free(out);
	kube_object_list_free(l);
}
END_TEST

START_TEST(test_codec_object_from_json_errors)
{
	kube_object *o = NULL;
	const char *j = "{\n  \"kind\": \"A\",\n  \"x\": [1,\n}";
	expect_error(kube_object_from_json(&o, j, strlen(j)), KUBE_EINVAL,
	             "document 1, line 4, column 1: unexpected character '}', expected a value", 1, 4, 1);
	ck_assert_ptr_null(o);
}
END_TEST

static Suite *codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_codec_yaml_plain_scalars);
	tcase_add_test(tc, test_codec_yaml_number_types);
	tcase_add_test(tc, test_codec_yaml_quoted_and_tagged);
	tcase_add_test(tc, test_codec_yaml_block_scalars);
	tcase_add_test(tc, test_codec_yaml_map_keys);
	tcase_add_test(tc, test_codec_yaml_duplicate_keys);
	tcase_add_test(tc, test_codec_yaml_merge_keys);
	tcase_add_test(tc, test_codec_yaml_anchors_aliases);
	tcase_add_test(tc, test_codec_yaml_comments_flow_style);
	tcase_add_test(tc, test_codec_yaml_crlf_and_bom);
	tcase_add_test(tc, test_codec_yaml_multi_document);
	tcase_add_test(tc, test_codec_yaml_syntax_errors);
	tcase_add_test(tc, test_codec_yaml_positions);
	tcase_add_test(tc, test_codec_limit_billion_laughs);
	tcase_add_test(tc, test_codec_limit_alias_budget);
	tcase_add_test(tc, test_codec_limit_depth);
	tcase_add_test(tc, test_codec_limit_document_size);
	tcase_add_test(tc, test_codec_json_values);
	tcase_add_test(tc, test_codec_json_big_numbers);
	tcase_add_test(tc, test_codec_json_errors);
	tcase_add_test(tc, test_codec_json_positions);
	tcase_add_test(tc, test_codec_json_encode);
	tcase_add_test(tc, test_codec_yaml_encode_style);
	tcase_add_test(tc, test_codec_yaml_encode_quoting);
	tcase_add_test(tc, test_codec_round_trip_fixtures);
	tcase_add_test(tc, test_codec_round_trip_fixture_values);
	tcase_add_test(tc, test_codec_decode_public);
	tcase_add_test(tc, test_codec_decode_not_a_mapping);
	tcase_add_test(tc, test_codec_decode_options);
	tcase_add_test(tc, test_codec_encode_public);
	tcase_add_test(tc, test_codec_object_from_json_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(codec_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
