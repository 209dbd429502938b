/*
 * test_object.c - kube_object: metadata parsing, paths, setters,
 * freezing and copy-on-write, owner references, lists, and the compact
 * form a store keeps (text + hot metadata, the tree built on demand).
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"
#include "object/object_private.h"

static const char *POD =
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	"\"metadata\":{\"name\":\"web-0\",\"namespace\":\"prod\",\"uid\":\"u-1\","
	"\"resourceVersion\":\"42\",\"generation\":3,"
	"\"creationTimestamp\":\"2026-11-28T10:20:18Z\","
	"\"labels\":{\"app\":\"web\",\"tier\":\"front\"},"
	"\"annotations\":{\"example.com/owner\":\"team-a\",\"note\":\"x\"},"
	"\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"web-abc\","
	"\"uid\":\"rs-1\",\"controller\":true,\"blockOwnerDeletion\":true},"
	"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"cm\",\"uid\":\"cm-1\"}],"
	"\"finalizers\":[\"example.com/cleanup\"]},"
	"\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:1.27\",\"ports\":[{\"containerPort\":80}]}],"
	"\"hostNetwork\":false,\"priority\":null,\"weight\":1.5}}";

static void expect_err(int rc, int code, const char *msg)
{
	ck_assert_int_eq(rc, code);
	ck_assert_str_eq(kube_error_last()->message, msg);
}

static kube_object *pod(void)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_object_from_json(&o, POD, strlen(POD)), 0);
	return o;
}

START_TEST(test_object_metadata_parsed)
{
	kube_object *o = pod();
	ck_assert_str_eq(kube_object_api_version(o), "v1");
	ck_assert_str_eq(kube_object_kind(o), "Pod");
	ck_assert_str_eq(kube_object_name(o), "web-0");
	ck_assert_str_eq(kube_object_namespace(o), "prod");
	ck_assert_str_eq(kube_object_uid(o), "u-1");
	ck_assert_str_eq(kube_object_resource_version(o), "42");
	ck_assert_int_eq(kube_object_generation(o), 3);
	ck_assert_str_eq(kube_object_creation_timestamp(o), "2026-11-28T10:20:18Z");
	ck_assert_ptr_null(kube_object_deletion_timestamp(o));
	ck_assert_ptr_null(kube_object_generate_name(o));
	const kube_labels *l = kube_object_labels(o);
	ck_assert_uint_eq(kube_labels_count(l), 2);
	ck_assert_str_eq(kube_labels_get(l, "app"), "web");
	ck_assert_str_eq(kube_labels_get(l, "tier"), "front");
	ck_assert_str_eq(kube_object_annotation(o, "example.com/owner"), "team-a");
	ck_assert_ptr_null(kube_object_annotation(o, "missing"));
	ck_assert_uint_eq(kube_object_annotation_count(o), 2);
	ck_assert_uint_eq(kube_object_finalizer_count(o), 1);
	ck_assert_str_eq(kube_object_finalizer(o, 0), "example.com/cleanup");
	ck_assert_ptr_null(kube_object_finalizer(o, 1));
	ck_assert_int_eq(kube_object_has_finalizer(o, "example.com/cleanup"), 1);
	ck_assert_int_eq(kube_object_has_finalizer(o, "other"), 0);
	kube_object_unref(o);
}
END_TEST

START_TEST(test_object_owner_refs)
{
	kube_object *o = pod();
	kube_owner_ref r;
	ck_assert_uint_eq(kube_object_owner_ref_count(o), 2);
	ck_assert_int_eq(kube_object_owner_ref(o, 1, &r), 0);
	ck_assert_str_eq(r.kind, "ConfigMap");
	ck_assert_int_eq(r.controller, 0);
	ck_assert_int_eq(kube_object_controller_ref(o, &r), 0);
	ck_assert_str_eq(r.api_version, "apps/v1");
	ck_assert_str_eq(r.kind, "ReplicaSet");
	ck_assert_str_eq(r.name, "web-abc");
	ck_assert_str_eq(r.uid, "rs-1");
	ck_assert_int_eq(r.controller, 1);
	ck_assert_int_eq(r.block_owner_deletion, 1);
	ck_assert_int_eq(kube_object_owner_ref(o, 2, &r), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message, "owner reference 2 of 2 does not exist");
	kube_object_unref(o);

	ck_assert_int_eq(kube_object_new(&o, "v1", "Pod"), 0);
	ck_assert_int_eq(kube_object_controller_ref(o, &r), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message, "no owner reference has controller: true");
	kube_object_unref(o);
}
END_TEST

START_TEST(test_object_getters_by_path)
{
	kube_object *o = pod();
	const char *s;
	int64_t i;
	int b;
	size_t n;
	kube_value_type t;

	ck_assert_int_eq(kube_object_get_string(o, "spec.containers[0].image", &s), 0);
	ck_assert_str_eq(s, "nginx:1.27");
	ck_assert_int_eq(kube_object_get_int(o, "spec.containers[0].ports[0].containerPort", &i), 0);
	ck_assert_int_eq(i, 80);
	ck_assert_int_eq(kube_object_get_bool(o, "spec.hostNetwork", &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(kube_object_get_len(o, "spec.containers", &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(kube_object_get_len(o, "metadata.labels", &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(kube_object_get_key(o, "metadata.labels", 1, &s), 0);
	ck_assert_str_eq(s, "tier");
	ck_assert_int_eq(kube_object_get_string(o, "metadata.annotations[\"example.com/owner\"]", &s), 0);
	ck_assert_str_eq(s, "team-a");
	ck_assert_int_eq(kube_object_get_string(o, "metadata.annotations[note]", &s), 0);
	ck_assert_str_eq(s, "x");
	ck_assert_int_eq(kube_object_get_type(o, "spec.priority", &t), 0);
	ck_assert_int_eq(t, KUBE_VALUE_NULL);
	ck_assert_int_eq(kube_object_get_type(o, "spec.weight", &t), 0);
	ck_assert_int_eq(t, KUBE_VALUE_NUMBER);
	ck_assert_int_eq(kube_object_get_type(o, "spec", &t), 0);
	ck_assert_int_eq(t, KUBE_VALUE_MAP);
	ck_assert_int_eq(kube_object_get_type(o, "spec.containers", &t), 0);
	ck_assert_int_eq(t, KUBE_VALUE_ARRAY);

	char *json;
	ck_assert_int_eq(kube_object_get_json(o, "spec.containers[0].ports", &json), 0);
	ck_assert_str_eq(json, "[{\"containerPort\":80}]");
	kube_free(json);
	kube_object_unref(o);
}
END_TEST

START_TEST(test_object_getter_errors)
{
	kube_object *o = pod();
	const char *s;
	int64_t i;
	size_t n;

	ck_assert_int_eq(kube_object_get_string(o, "spec.nodeName", &s), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message, "spec.nodeName: not found");
	ck_assert_str_eq(kube_error_last()->field, "spec.nodeName");
	ck_assert_int_eq(kube_object_get_string(o, "spec.containers[3].image", &s), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_object_get_string(o, "spec.priority", &s), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message, "spec.priority: is null");
	ck_assert_int_eq(kube_object_get_int(o, "spec.containers[0].image", &i), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "spec.containers[0].image: expected an integer, found string");
	ck_assert_int_eq(kube_object_get_string(o, "spec.containers.image", &s), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "spec.containers.image: cannot look up key \"image\" in a array");
	ck_assert_int_eq(kube_object_get_string(o, "spec.hostNetwork[0]", &s), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "spec.hostNetwork[0]: cannot index a bool with [0]");
	ck_assert_int_eq(kube_object_get_string(o, "spec..x", &s), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "path \"spec..x\": empty key at offset 5");
	ck_assert_int_eq(kube_object_get_string(o, "spec.containers[0", &s), KUBE_EINVAL);
	ck_assert_int_eq(kube_object_get_string(o, "a[\"unterminated", &s), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "path \"a[\"unterminated\": unterminated [\"...\"] key");
	ck_assert_int_eq(kube_object_get_len(o, "spec.hostNetwork", &n), KUBE_EINVAL);
	ck_assert_int_eq(kube_object_get_key(o, "metadata.labels", 5, &s), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_object_get_string(NULL, "x", &s), KUBE_EINVAL);
	ck_assert_int_eq(kube_object_get_string(o, NULL, &s), KUBE_EINVAL);
	ck_assert_int_eq(kube_object_get_string(o, "x", NULL), KUBE_EINVAL);
	kube_object_unref(o);
}
END_TEST

START_TEST(test_object_setters)
{
	kube_object *o;
	const char *s;
	int64_t i;
	int b;
	char *json;

	ck_assert_int_eq(kube_object_new(&o, "apps/v1", "Deployment"), 0);
	ck_assert_str_eq(kube_object_kind(o), "Deployment");
	ck_assert_ptr_null(kube_object_name(o));
	ck_assert_int_eq(kube_object_set_string(o, "metadata.name", "web"), 0);
	ck_assert_str_eq(kube_object_name(o), "web");
	ck_assert_int_eq(kube_object_set_int(o, "spec.replicas", 3), 0);
	ck_assert_int_eq(kube_object_get_int(o, "spec.replicas", &i), 0);
	ck_assert_int_eq(i, 3);
	ck_assert_int_eq(kube_object_set_bool(o, "spec.paused", 1), 0);
	ck_assert_int_eq(kube_object_get_bool(o, "spec.paused", &b), 0);
	ck_assert_int_eq(b, 1);
	/* arrays: create at [0], append at [len], replace, refuse a gap */
	ck_assert_int_eq(kube_object_set_string(o, "spec.template.spec.containers[0].name", "a"), 0);
	ck_assert_int_eq(kube_object_set_json(o, "spec.template.spec.containers[1]", "{\"name\":\"b\"}"), 0);
	ck_assert_int_eq(kube_object_set_string(o, "spec.template.spec.containers[1].image", "busybox"), 0);
	ck_assert_int_eq(kube_object_set_string(o, "spec.template.spec.containers[5].name", "c"), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_object_set_json(o, "spec.template.spec.containers[3]", "{}"), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "spec.template.spec.containers[3]: index 3 is past the end of an array of 2");
	ck_assert_int_eq(kube_object_get_json(o, "spec.template.spec.containers", &json), 0);
	ck_assert_str_eq(json, "[{\"name\":\"a\"},{\"name\":\"b\",\"image\":\"busybox\"}]");
	kube_free(json);
	ck_assert_int_eq(kube_object_set_null(o, "spec.strategy"), 0);
	ck_assert_int_eq(kube_object_get_string(o, "spec.strategy", &s), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_object_remove(o, "spec.paused"), 0);
	ck_assert_int_eq(kube_object_remove(o, "spec.paused"), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_object_remove(o, "spec.template.spec.containers[0]"), 0);
	ck_assert_int_eq(kube_object_get_string(o, "spec.template.spec.containers[0].name", &s), 0);
	ck_assert_str_eq(s, "b");
	ck_assert_int_eq(kube_object_set_string(o, "spec.replicas.x", "y"), KUBE_EINVAL);
	ck_assert_int_eq(kube_object_set_string(o, "", "y"), KUBE_EINVAL);
	ck_assert_int_eq(kube_object_set_string(o, "x", NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_object_set_json(o, "x", "{bad"), KUBE_EINVAL);
	ck_assert_int_eq(kube_object_get_json(o, "", &json), 0);
	ck_assert_str_eq(json, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},"
	                 "\"spec\":{\"replicas\":3,\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\","
	                 "\"image\":\"busybox\"}]}},\"strategy\":null}}");
	kube_free(json);
	kube_object_unref(o);
}
END_TEST

START_TEST(test_object_metadata_setters_refresh)
{
	kube_object *o;
	ck_assert_int_eq(kube_object_new(&o, "v1", "ConfigMap"), 0);
	ck_assert_int_eq(kube_object_set_label(o, "app", "web"), 0);
	ck_assert_int_eq(kube_object_set_label(o, "example.com/role", "db"), 0);
	ck_assert_uint_eq(kube_labels_count(kube_object_labels(o)), 2);
	ck_assert_str_eq(kube_labels_get(kube_object_labels(o), "example.com/role"), "db");
	ck_assert_int_eq(kube_object_set_label(o, "app", NULL), 0);
	ck_assert_uint_eq(kube_labels_count(kube_object_labels(o)), 1);
	ck_assert_int_eq(kube_object_set_label(o, "missing", NULL), 0);
	ck_assert_int_eq(kube_object_set_label(o, "bad key", "v"), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->field, "metadata.labels");
	ck_assert_int_eq(strncmp(kube_error_last()->message,
	                         "metadata.labels: Invalid value: \"bad key\": name part must consist of", 67), 0);
	ck_assert_int_eq(kube_object_set_label(o, "k", "-bad"), KUBE_EINVAL);
	ck_assert_int_eq(strncmp(kube_error_last()->message,
	                         "metadata.labels: Invalid value: \"-bad\": a valid label must be", 61), 0);
	ck_assert_int_eq(kube_object_set_annotation(o, "a.b/c", "v"), 0);
	ck_assert_str_eq(kube_object_annotation(o, "a.b/c"), "v");
	ck_assert_int_eq(kube_object_set_annotation(o, "/x", "v"), KUBE_EINVAL);
	ck_assert_int_eq(kube_object_set_string(o, "metadata.namespace", "ns1"), 0);
	ck_assert_str_eq(kube_object_namespace(o), "ns1");
	ck_assert_int_eq(kube_object_set_string(o, "kind", "Secret"), 0);
	ck_assert_str_eq(kube_object_kind(o), "Secret");
	ck_assert_int_eq(kube_object_set_json(o, "metadata.finalizers", "[\"a/b\"]"), 0);
	ck_assert_int_eq(kube_object_has_finalizer(o, "a/b"), 1);
	ck_assert_int_eq(kube_object_set_int(o, "metadata.generation", 7), 0);
	ck_assert_int_eq(kube_object_generation(o), 7);

	/* a change that would make metadata malformed is refused and undone */
	ck_assert_int_eq(kube_object_set_int(o, "metadata.name", 5), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "metadata.name: expected a string, found integer");
	ck_assert_int_eq(kube_object_set_int(o, "metadata.labels.x", 1), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "metadata.labels[\"x\"]: expected a string, found integer");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(o), "example.com/role"), "db");
	ck_assert_int_eq(kube_object_set_string(o, "metadata", "oops"), KUBE_EINVAL);
	ck_assert_str_eq(kube_object_namespace(o), "ns1");
	char *json;
	ck_assert_int_eq(kube_object_get_json(o, "metadata", &json), 0);
	ck_assert_str_eq(json, "{\"labels\":{\"example.com/role\":\"db\"},\"annotations\":{\"a.b/c\":\"v\"},"
	                 "\"namespace\":\"ns1\",\"finalizers\":[\"a/b\"],\"generation\":7}");
	kube_free(json);
	kube_object_unref(o);
}
END_TEST

START_TEST(test_object_invalid_label_kept_out_of_set)
{
	static const char *doc = "{\"kind\":\"Pod\",\"metadata\":{\"labels\":{\"ok\":\"1\",\"bad key\":\"2\",\"k\":\"-v\"}}}";
	kube_object *o;
	ck_assert_int_eq(kube_object_from_json(&o, doc, strlen(doc)), 0);
	ck_assert_uint_eq(kube_labels_count(kube_object_labels(o)), 1);
	ck_assert_str_eq(kube_labels_get(kube_object_labels(o), "ok"), "1");
	size_t n;
	ck_assert_int_eq(kube_object_get_len(o, "metadata.labels", &n), 0);
	ck_assert_uint_eq(n, 3);
	kube_object_unref(o);
}
END_TEST

START_TEST(test_object_malformed_metadata_refused)
{
	static const struct { const char *doc, *msg; } cases[] = {
		{ "{\"kind\":5}", "kind: expected a string, found integer" },
		{ "{\"apiVersion\":true}", "apiVersion: expected a string, found bool" },
		{ "{\"metadata\":[]}", "metadata: expected a map, found array" },
		{ "{\"metadata\":{\"labels\":[]}}", "metadata.labels: expected a map of strings, found array" },
		{ "{\"metadata\":{\"labels\":{\"a\":1}}}", "metadata.labels[\"a\"]: expected a string, found integer" },
		{ "{\"metadata\":{\"annotations\":{\"a\":{}}}}", "metadata.annotations[\"a\"]: expected a string, found map" },
		{ "{\"metadata\":{\"generation\":\"1\"}}", "metadata.generation: expected an integer, found string" },
		{ "{\"metadata\":{\"finalizers\":\"x\"}}", "metadata.finalizers: expected an array of strings, found string" },
		{ "{\"metadata\":{\"finalizers\":[1]}}", "metadata.finalizers[0]: expected a string, found integer" },
		{ "{\"metadata\":{\"ownerReferences\":{}}}", "metadata.ownerReferences: expected an array, found map" },
		{ "{\"metadata\":{\"ownerReferences\":[{\"uid\":1}]}}", "metadata.ownerReferences[0].uid: expected a string, found integer" },
		{ "{\"metadata\":{\"ownerReferences\":[{\"controller\":\"yes\"}]}}", "metadata.ownerReferences[0].controller: expected a boolean, found string" },
		{ "[1]", "kube_object_from_json: expected a JSON object, found array" },
		{ "{} {}", "kube_object_from_json: expected one JSON object, found 2 values" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kube_object *o = (kube_object *)1;
		ck_assert_int_eq(kube_object_from_json(&o, cases[i].doc, strlen(cases[i].doc)), KUBE_EINVAL);
		ck_assert_ptr_null(o);
		ck_assert_msg(strcmp(kube_error_last()->message, cases[i].msg) == 0,
		              "%s: got '%s'", cases[i].doc, kube_error_last()->message);
	}
}
END_TEST

START_TEST(test_object_freeze_and_copy_on_write)
{
	kube_object *o = pod();
	ck_assert_int_eq(kube_object_is_frozen(o), 0);
	kube_object *shared = kube_object_ref(o);
	ck_assert_ptr_eq(shared, o);
	ck_assert_int_eq(kube_object_is_frozen(o), 1);
	ck_assert_int_eq(kube_object_set_string(o, "spec.nodeName", "n1"), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "spec.nodeName: object is immutable (it is shared); change a copy from kube_object_mutable()");
	ck_assert_int_eq(kube_object_set_label(o, "a", "b"), KUBE_EINVAL);

	kube_object *copy;
	ck_assert_int_eq(kube_object_mutable(&copy, o), 0);
	ck_assert_ptr_ne(copy, o);
	ck_assert_int_eq(kube_object_is_frozen(copy), 0);
	ck_assert_int_eq(kube_object_set_string(copy, "spec.nodeName", "n1"), 0);
	ck_assert_int_eq(kube_object_set_label(copy, "app", "api"), 0);
	const char *s;
	ck_assert_int_eq(kube_object_get_string(o, "spec.nodeName", &s), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_labels_get(kube_object_labels(o), "app"), "web");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(copy), "app"), "api");
	ck_assert_str_eq(kube_object_name(copy), "web-0");
	kube_owner_ref r;
	ck_assert_int_eq(kube_object_controller_ref(copy, &r), 0);
	ck_assert_str_eq(r.uid, "rs-1");

	ck_assert_ptr_null(kube_object_unref(shared));
	ck_assert_str_eq(kube_object_name(o), "web-0");
	ck_assert_ptr_null(kube_object_unref(o));
	ck_assert_ptr_null(kube_object_unref(copy));
	ck_assert_ptr_null(kube_object_unref(NULL));
	ck_assert_ptr_null(kube_object_ref(NULL));
	kube_object_freeze(NULL);
	ck_assert_int_eq(kube_object_mutable(&copy, NULL), KUBE_EINVAL);
}
END_TEST

START_TEST(test_object_big_numbers_survive_copy)
{
	static const char *doc = "{\"kind\":\"X\",\"spec\":{\"a\":9007199254740993,\"b\":18446744073709551621,"
	                         "\"c\":-9223372036854775808,\"d\":1.50}}";
	kube_object *o, *copy;
	char *json;
	ck_assert_int_eq(kube_object_from_json(&o, doc, strlen(doc)), 0);
	int64_t i;
	ck_assert_int_eq(kube_object_get_int(o, "spec.a", &i), 0);
	ck_assert_int_eq(i, 9007199254740993LL);
	ck_assert_int_eq(kube_object_get_int(o, "spec.c", &i), 0);
	ck_assert(i == INT64_MIN);
	ck_assert_int_eq(kube_object_mutable(&copy, o), 0);
	ck_assert_int_eq(kube_object_get_json(copy, "spec", &json), 0);
	ck_assert_str_eq(json, "{\"a\":9007199254740993,\"b\":18446744073709551621,"
	                 "\"c\":-9223372036854775808,\"d\":1.50}");
	kube_free(json);
	kube_object_unref(copy);
	kube_object_unref(o);
}
END_TEST

START_TEST(test_object_source_without_decode)
{
	kube_object *o;
	int d, l, c;
	ck_assert_int_eq(kube_object_new(&o, "v1", "Pod"), 0);
	ck_assert_int_eq(kube_object_source(o, "metadata", &d, &l, &c), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message, "the object was not decoded from text");
	kube_object_unref(o);
}
END_TEST

START_TEST(test_object_list)
{
	kube_object_list *l;
	kube_object *a, *b;
	ck_assert_int_eq(kube_object_list_new(&l), 0);
	ck_assert_uint_eq(kube_object_list_count(l), 0);
	ck_assert_ptr_null(kube_object_list_get(l, 0));
	for (int i = 0; i < 20; i++) {
		char name[16];
		ck_assert_int_eq(kube_object_new(&a, "v1", "Pod"), 0);
		snprintf(name, sizeof(name), "p%d", i);
		ck_assert_int_eq(kube_object_set_string(a, "metadata.name", name), 0);
		ck_assert_int_eq(kube_object_list_append(l, a), 0);
		ck_assert_int_eq(kube_object_is_frozen(a), 1);
		kube_object_unref(a);
	}
	ck_assert_uint_eq(kube_object_list_count(l), 20);
	b = kube_object_list_get(l, 19);
	ck_assert_str_eq(kube_object_name(b), "p19");
	ck_assert_int_eq(kube_object_list_append(l, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_object_list_append(NULL, b), KUBE_EINVAL);
	kube_object_list_free(l);
	kube_object_list_free(NULL);
	ck_assert_uint_eq(kube_object_list_count(NULL), 0);
}
END_TEST

START_TEST(test_object_null_arguments)
{
	ck_assert_int_eq(kube_object_new(NULL, "v1", "Pod"), KUBE_EINVAL);
	ck_assert_int_eq(kube_object_from_json(NULL, "{}", 2), KUBE_EINVAL);
	kube_object *o;
	ck_assert_int_eq(kube_object_from_json(&o, NULL, 0), KUBE_EINVAL);
	ck_assert_ptr_null(kube_object_name(NULL));
	ck_assert_ptr_null(kube_object_labels(NULL));
	ck_assert_uint_eq(kube_object_owner_ref_count(NULL), 0);
	ck_assert_int_eq(kube_object_set_string(NULL, "a", "b"), KUBE_EINVAL);
	ck_assert_int_eq(kube_object_set_label(NULL, "a", "b"), KUBE_EINVAL);
	ck_assert_int_eq(kube_object_is_frozen(NULL), 0);
}
END_TEST


/* ---- compact objects (what a store keeps) ---- */

/* POD as a store leaves it: resourceVersion the last member of metadata,
 * frozen, then compact; *tree_json gets kube_encode's text before. */
static kube_object *compact_pod(const char *json, const char *rv, char **tree_json)
{
	kube_object *m, *o;
	json_object *doc, *md = NULL;
	kube__buf text = KUBE__BUF_INIT;
	size_t meta_end, len;

	ck_assert_int_eq(kube_object_from_json(&m, json, strlen(json)), 0);
	doc = json_object_get(kube__object_doc(m));
	kube_object_unref(m);
	ck_assert(json_object_object_get_ex(doc, "metadata", &md));
	json_object_object_del(md, "resourceVersion");
	ck_assert_int_eq(kube__json_encode_meta(&text, doc, &meta_end), 0);
	ck_assert_uint_lt(meta_end, text.len);
	ck_assert_int_eq(text.data[meta_end], '}');
	json_object_object_add(md, "resourceVersion", json_object_new_string(rv));
	ck_assert_int_eq(kube__object_adopt(&o, doc), 0);
	kube_object_freeze(o);
	ck_assert_int_eq(kube_encode(tree_json, NULL, o, KUBE_FORMAT_JSON, 0), 0);
	len = text.len;
	ck_assert_int_eq(kube__object_compact(o, kube__buf_detach(&text, NULL), len, meta_end), 0);
	return o;
}

/* 1 while a compact object has not built its tree. */
static int without_tree(const kube_object *o)
{
	return kube__object_text(o, NULL) && !kube__object_has_tree(o);
}

START_TEST(test_object_compact_reads_without_tree)
{
	char *before, *after, *pretty_c, *pretty_t, *yaml_c, *yaml_t;
	kube_object *o = compact_pod(POD, "77", &before), *t;
	kube_owner_ref ref;

	ck_assert(without_tree(o));
	ck_assert_str_eq(kube_object_api_version(o), "v1");
	ck_assert_str_eq(kube_object_kind(o), "Pod");
	ck_assert_str_eq(kube_object_name(o), "web-0");
	ck_assert_str_eq(kube_object_namespace(o), "prod");
	ck_assert_str_eq(kube_object_uid(o), "u-1");
	ck_assert_str_eq(kube_object_resource_version(o), "77");
	ck_assert_int_eq(kube_object_generation(o), 3);
	ck_assert_str_eq(kube_object_creation_timestamp(o), "2026-11-28T10:20:18Z");
	ck_assert_ptr_null(kube_object_deletion_timestamp(o));
	ck_assert_str_eq(kube_labels_get(kube_object_labels(o), "tier"), "front");
	ck_assert_uint_eq(kube_object_annotation_count(o), 2);
	ck_assert_str_eq(kube_object_annotation(o, "example.com/owner"), "team-a");
	ck_assert_str_eq(kube_object_annotation(o, "note"), "x");
	ck_assert_ptr_null(kube_object_annotation(o, "nope"));
	ck_assert_uint_eq(kube_object_owner_ref_count(o), 2);
	ck_assert_int_eq(kube_object_controller_ref(o, &ref), 0);
	ck_assert_str_eq(ref.name, "web-abc");
	ck_assert_str_eq(ref.uid, "rs-1");
	ck_assert_int_eq(ref.block_owner_deletion, 1);
	ck_assert_int_eq(kube_object_owner_ref(o, 1, &ref), 0);
	ck_assert_str_eq(ref.api_version, "v1");
	ck_assert_str_eq(ref.kind, "ConfigMap");
	ck_assert_int_eq(ref.controller, 0);
	ck_assert_uint_eq(kube_object_finalizer_count(o), 1);
	ck_assert_str_eq(kube_object_finalizer(o, 0), "example.com/cleanup");
	ck_assert(kube_object_has_finalizer(o, "example.com/cleanup"));
	ck_assert_ptr_null(kube__object_node_name(o));

	/* encoding: the same bytes as from the tree, resourceVersion spliced
	 * back where the tree had it; pretty and YAML through a transient tree */
	ck_assert_int_eq(kube_encode(&after, NULL, o, KUBE_FORMAT_JSON, 0), 0);
	ck_assert_str_eq(after, before);
	ck_assert_ptr_nonnull(strstr(after, "\"finalizers\":[\"example.com/cleanup\"],\"resourceVersion\":\"77\"}"));
	ck_assert_int_eq(kube_encode(&pretty_c, NULL, o, KUBE_FORMAT_JSON, KUBE_ENCODE_PRETTY), 0);
	ck_assert_int_eq(kube_encode(&yaml_c, NULL, o, KUBE_FORMAT_YAML, 0), 0);
	ck_assert(without_tree(o));

	/* a mutable copy is a fresh parse; changing it leaves o alone */
	ck_assert_int_eq(kube_object_mutable(&t, o), 0);
	ck_assert(without_tree(o));
	ck_assert_str_eq(kube_object_resource_version(t), "77");
	ck_assert_int_eq(kube_object_set_string(t, "spec.containers[0].image", "nginx:2"), 0);
	ck_assert_int_eq(kube_encode(&pretty_t, NULL, t, KUBE_FORMAT_JSON, KUBE_ENCODE_PRETTY), 0);
	ck_assert_ptr_nonnull(strstr(pretty_t, "nginx:2"));
	kube_free(pretty_t);
	kube_object_unref(t);

	/* a path read answers from the text and keeps what it hands out ... */
	const char *img, *img2, *rv, *key;
	char *js;
	size_t len;
	int64_t gen;
	ck_assert_int_eq(kube_object_get_string(o, "spec.containers[0].image", &img), 0);
	ck_assert_str_eq(img, "nginx:1.27");
	ck_assert_int_eq(kube_object_get_string(o, "spec[containers][0][\"image\"]", &img2), 0);
	ck_assert_ptr_eq(img2, img);
	ck_assert_int_eq(kube_object_get_len(o, "spec.containers", &len), 0);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(kube_object_get_key(o, "metadata.annotations", 1, &key), 0);
	ck_assert_str_eq(key, "note");
	ck_assert_int_eq(kube_object_get_int(o, "metadata.generation", &gen), 0);
	ck_assert_int_eq(gen, 3);
	ck_assert_int_eq(kube_object_get_json(o, "spec.weight", &js), 0);
	ck_assert_str_eq(js, "1.5");
	kube_free(js);
	expect_err(kube_object_get_int(o, "spec.weight", &gen), KUBE_EINVAL,
	           "spec.weight: expected an integer, found number");
	expect_err(kube_object_get_string(o, "spec.containers.image", &img2), KUBE_EINVAL,
	           "spec.containers.image: cannot look up key \"image\" in a array");
	expect_err(kube_object_get_string(o, "spec.nope.x[", &img2), KUBE_EINVAL,
	           "path \"spec.nope.x[\": expected a key or number and ']' at offset 12");
	ck_assert(without_tree(o));
	/* ... but for what the text leaves out: resourceVersion, from the tree */
	ck_assert_int_eq(kube_object_get_string(o, "metadata.resourceVersion", &rv), 0);
	ck_assert_str_eq(rv, "77");
	ck_assert(!without_tree(o));
	ck_assert_int_eq(kube_object_get_string(o, "spec.containers[0].image", &img2), 0);
	ck_assert_str_eq(img2, "nginx:1.27");
	ck_assert_int_eq(kube_encode(&pretty_t, NULL, o, KUBE_FORMAT_JSON, KUBE_ENCODE_PRETTY), 0);
	ck_assert_int_eq(kube_encode(&yaml_t, NULL, o, KUBE_FORMAT_YAML, 0), 0);
	ck_assert_str_eq(pretty_t, pretty_c);
	ck_assert_str_eq(yaml_t, yaml_c);
	kube_free(before);
	kube_free(after);
	kube_free(pretty_c);
	kube_free(pretty_t);
	kube_free(yaml_c);
	kube_free(yaml_t);
	kube_object_unref(o);
}
END_TEST

START_TEST(test_object_compact_edges)
{
	static const char *const docs[] = {
		/* only resourceVersion in metadata: no comma before it */
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{}}",
		/* metadata after spec, which has a metadata of its own */
		"{\"kind\":\"Deployment\",\"apiVersion\":\"apps/v1\",\"spec\":{\"template\":{\"metadata\":"
		"{\"labels\":{\"a\":\"b\"}}}},\"metadata\":{\"name\":\"d\",\"namespace\":\"n\"}}",
		/* escapes, unicode, a NUL, numbers beyond int64 */
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"annotations\":"
		"{\"q\\\"k\":\"v\\n\\u00e9\\u0000z\"}},\"data\":{\"big\":\"x\"},\"n\":18446744073709551621,"
		"\"f\":1.50,\"neg\":-9223372036854775808}",
	};
	static const char *const want[] = {
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"resourceVersion\":\"5\"}}",
		"{\"kind\":\"Deployment\",\"apiVersion\":\"apps/v1\",\"spec\":{\"template\":{\"metadata\":"
		"{\"labels\":{\"a\":\"b\"}}}},\"metadata\":{\"name\":\"d\",\"namespace\":\"n\","
		"\"resourceVersion\":\"5\"}}",
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"annotations\":"
		"{\"q\\\"k\":\"v\\n\\u00e9\\u0000z\"},\"resourceVersion\":\"5\"},\"data\":{\"big\":\"x\"},"
		"\"n\":18446744073709551621,\"f\":1.50,\"neg\":-9223372036854775808}",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		char *before, *after;
		kube_object *o = compact_pod(docs[i], "5", &before);
		ck_assert_int_eq(kube_encode(&after, NULL, o, KUBE_FORMAT_JSON, 0), 0);
		/* \u00e9 is written as UTF-8, as the encoder writes non-ASCII */
		if (i == 2)
			ck_assert_str_eq(after, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
			                 "{\"name\":\"c\",\"annotations\":{\"q\\\"k\":\"v\\n\xc3\xa9\\u0000z\"},"
			                 "\"resourceVersion\":\"5\"},\"data\":{\"big\":\"x\"},"
			                 "\"n\":18446744073709551621,\"f\":1.50,\"neg\":-9223372036854775808}");
		else
			ck_assert_str_eq(after, want[i]);
		ck_assert_str_eq(after, before);
		if (i == 2) {
			ck_assert_str_eq(kube_object_annotation(o, "q\"k"), "v\n\xc3\xa9");
			int64_t neg;
			ck_assert_int_eq(kube_object_get_int(o, "neg", &neg), 0);
			ck_assert(neg == INT64_MIN);
		}
		kube_free(before);
		kube_free(after);
		kube_object_unref(o);
	}
}
END_TEST

/* A map key written with escapes is found by what it says, as in the
 * tree: "a\\b" is the key a\b, never a path's a\\b; the raw bytes
 * decide only for a key without escapes. */
START_TEST(test_object_compact_escaped_keys)
{
	char *before;
	kube_object *o = compact_pod("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
	                             "{\"name\":\"c\"},\"x\":{\"a\\\\b\":1,\"a\\\\\\\\b\":2,"
	                             "\"q\\\"r\":3,\"n\\nl\":4}}", "5", &before);
	int64_t v;

	ck_assert(without_tree(o));
	ck_assert_int_eq(kube_object_get_int(o, "x.a\\b", &v), 0);   /* the key a\b */
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(kube_object_get_int(o, "x[\"a\\\\\\\\b\"]", &v), 0);   /* a\\b */
	ck_assert_int_eq(v, 2);
	ck_assert_int_eq(kube_object_get_int(o, "x[\"q\\\"r\"]", &v), 0);   /* q"r */
	ck_assert_int_eq(v, 3);
	ck_assert_int_eq(kube_object_get_int(o, "x.n\nl", &v), 0);   /* a real newline */
	ck_assert_int_eq(v, 4);
	/* the keys' escaped spellings are not their names */
	expect_err(kube_object_get_int(o, "x.a\\\\\\\\b", &v), KUBE_ENOTFOUND, "x.a\\\\\\\\b: not found");
	expect_err(kube_object_get_int(o, "x.n\\nl", &v), KUBE_ENOTFOUND, "x.n\\nl: not found");
	ck_assert(without_tree(o));
	kube_free(before);
	kube_object_unref(o);
}
END_TEST

static void *read_image(void *arg)
{
	const char *img = NULL;
	if (kube_object_get_string(arg, "spec.containers[0].image", &img) != 0)
		return NULL;
	return (void *)img;
}

/* Threads that read a compact object at once all get the one tree that
 * was published (the losers' trees are freed: the leak checker sees it). */
START_TEST(test_object_compact_tree_built_once_across_threads)
{
	for (int round = 0; round < 20; round++) {
		char *before;
		kube_object *o = compact_pod(POD, "9", &before);
		pthread_t th[8];
		void *got[8];
		for (int i = 0; i < 8; i++)
			ck_assert_int_eq(pthread_create(&th[i], NULL, read_image, o), 0);
		for (int i = 0; i < 8; i++)
			ck_assert_int_eq(pthread_join(th[i], &got[i]), 0);
		ck_assert_ptr_nonnull(got[0]);
		for (int i = 1; i < 8; i++)
			ck_assert_ptr_eq(got[i], got[0]);
		ck_assert_str_eq(got[0], "nginx:1.27");
		kube_free(before);
		kube_object_unref(o);
	}
}
END_TEST

/* An object made from its text alone reads every piece of metadata it
 * keeps at hand from the bytes, escapes decoded; what it may not read
 * (here a generation that is no integer) fails in the tree path's words. */
START_TEST(test_object_from_text)
{
	static const char good[] =
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-1\","
		"\"namespace\":\"shop\",\"generateName\":\"web-\",\"uid\":\"u-1\",\"generation\":-12,"
		"\"creationTimestamp\":\"2026-11-20T10:00:00Z\",\"deletionTimestamp\":null,"
		"\"labels\":{\"app\":\"web\",\"bad key\":\"x\",\"tier\":null},"
		"\"annotations\":{\"note\":\"caf\\u00e9 \\\"q\\\"\",\"empty\":null},"
		"\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\","
		"\"name\":\"web\",\"uid\":\"rs-1\",\"controller\":true,\"extra\":[1,{\"a\":\"}\"}]},"
		"{\"name\":\"other\",\"blockOwnerDeletion\":true,\"controller\":null}],"
		"\"finalizers\":[\"a/b\",\"c\\\\d\"]},\"spec\":{\"containers\":[],\"nodeName\":\"node-7\"}}";
	static const char bad[] = "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"generation\":1.5}}";
	size_t len = sizeof(good) - 1, meta_end = kube__json_text_skip(good, len,
	             kube__json_text_member(good, len, 0, "metadata")) - 1;
	char *text = kube_strdup(good), *t2 = kube_strdup(bad), msg[256];
	kube_object *o = NULL;
	kube_owner_ref r;

	ck_assert_int_eq(kube__object_from_text(&o, text, len, meta_end), 0);
	ck_assert(without_tree(o));
	ck_assert(kube_object_is_frozen(o));
	ck_assert_str_eq(kube_object_api_version(o), "v1");
	ck_assert_str_eq(kube_object_kind(o), "Pod");
	ck_assert_str_eq(kube_object_name(o), "web-1");
	ck_assert_str_eq(kube_object_namespace(o), "shop");
	ck_assert_str_eq(kube_object_generate_name(o), "web-");
	ck_assert_str_eq(kube_object_uid(o), "u-1");
	ck_assert_ptr_null(kube_object_resource_version(o));
	ck_assert_int_eq(kube_object_generation(o), -12);
	ck_assert_str_eq(kube_object_creation_timestamp(o), "2026-11-20T10:00:00Z");
	ck_assert_ptr_null(kube_object_deletion_timestamp(o));
	ck_assert_str_eq(kube__object_node_name(o), "node-7");
	/* the invalid key stays out of the set; null reads as "" */
	ck_assert_uint_eq(kube_labels_count(kube_object_labels(o)), 2);
	ck_assert_str_eq(kube_labels_get(kube_object_labels(o), "app"), "web");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(o), "tier"), "");
	ck_assert_uint_eq(kube_object_annotation_count(o), 2);
	ck_assert_str_eq(kube_object_annotation(o, "note"), "caf\xc3\xa9 \"q\"");
	ck_assert_str_eq(kube_object_annotation(o, "empty"), "");
	ck_assert_uint_eq(kube_object_owner_ref_count(o), 2);
	ck_assert_int_eq(kube_object_owner_ref(o, 0, &r), 0);
	ck_assert_str_eq(r.api_version, "apps/v1");
	ck_assert_str_eq(r.kind, "ReplicaSet");
	ck_assert_str_eq(r.name, "web");
	ck_assert_str_eq(r.uid, "rs-1");
	ck_assert_int_eq(r.controller, 1);
	ck_assert_int_eq(r.block_owner_deletion, 0);
	ck_assert_int_eq(kube_object_owner_ref(o, 1, &r), 0);
	ck_assert_str_eq(r.name, "other");
	ck_assert_ptr_null(r.uid);
	ck_assert_int_eq(r.controller, 0);
	ck_assert_int_eq(r.block_owner_deletion, 1);
	ck_assert_uint_eq(kube_object_finalizer_count(o), 2);
	ck_assert_str_eq(kube_object_finalizer(o, 0), "a/b");
	ck_assert_str_eq(kube_object_finalizer(o, 1), "c\\d");
	kube_object_unref(o);

	ck_assert_int_eq(kube__object_from_text(&o, t2, sizeof(bad) - 1, sizeof(bad) - 3),
	                 KUBE_EINVAL);
	ck_assert_ptr_null(o);
	snprintf(msg, sizeof(msg), "%s", kube_error_last()->message);
	ck_assert_str_eq(msg, "metadata.generation: expected an integer, found number");
	ck_assert_int_eq(kube__object_from_text_tree(&o, t2, sizeof(bad) - 1, sizeof(bad) - 3),
	                 KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, msg);
	kube_free(t2);
}
END_TEST

START_TEST(test_object_text_scanner)
{
	static const char t[] = "{\"a\":{\"x\":[1,{\"k\":\"}\"}],\"b\\\"c\":\"q\"},"
	                        " \"s\" : \"esc\\u00e9\\\"\\n\" , \"n\":-12,\"e\":{}}";
	size_t n = sizeof(t) - 1, a, v;
	kube__buf b = KUBE__BUF_INIT;

	a = kube__json_text_member(t, n, 0, "a");
	ck_assert_uint_eq(a, 5);
	v = kube__json_text_member(t, n, a, "b\"c");     /* an escaped key */
	ck_assert_uint_ne(v, SIZE_MAX);
	ck_assert_int_eq(kube__json_text_string(t, n, v, &b), 0);
	ck_assert_str_eq(b.data, "q");
	ck_assert_uint_eq(kube__json_text_member(t, n, a, "k"), SIZE_MAX);   /* not a's member */
	v = kube__json_text_member(t, n, 0, "s");        /* after whitespace */
	ck_assert_int_eq(kube__json_text_string(t, n, v, &b), 0);
	ck_assert_str_eq(b.data, "esc\xc3\xa9\"\n");
	v = kube__json_text_member(t, n, 0, "n");
	ck_assert_uint_eq(kube__json_text_skip(t, n, v) - v, 3);
	ck_assert_int_eq(kube__json_text_string(t, n, v, &b), KUBE_EINVAL);
	v = kube__json_text_member(t, n, 0, "e");
	ck_assert_uint_eq(kube__json_text_member(t, n, v, "a"), SIZE_MAX);   /* empty map */
	ck_assert_uint_eq(kube__json_text_member(t, n, 0, "zz"), SIZE_MAX);
	ck_assert_uint_eq(kube__json_text_skip(t, n, 0), n);
	kube__buf_free(&b);
}
END_TEST

static Suite *object_suite(void)
{
	Suite *s = suite_create("object");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_object_metadata_parsed);
	tcase_add_test(tc, test_object_owner_refs);
	tcase_add_test(tc, test_object_getters_by_path);
	tcase_add_test(tc, test_object_getter_errors);
	tcase_add_test(tc, test_object_setters);
	tcase_add_test(tc, test_object_metadata_setters_refresh);
	tcase_add_test(tc, test_object_invalid_label_kept_out_of_set);
	tcase_add_test(tc, test_object_malformed_metadata_refused);
	tcase_add_test(tc, test_object_freeze_and_copy_on_write);
	tcase_add_test(tc, test_object_big_numbers_survive_copy);
	tcase_add_test(tc, test_object_source_without_decode);
	tcase_add_test(tc, test_object_list);
	tcase_add_test(tc, test_object_null_arguments);
	tcase_add_test(tc, test_object_compact_reads_without_tree);
	tcase_add_test(tc, test_object_compact_edges);
	tcase_add_test(tc, test_object_compact_escaped_keys);
	tcase_add_test(tc, test_object_compact_tree_built_once_across_threads);
	tcase_add_test(tc, test_object_text_scanner);
	tcase_add_test(tc, test_object_from_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(object_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
