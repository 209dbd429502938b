/*
 * test_subresource.c - writes through a stored object's /status and a
 * pod's binding (kube_store_update_status, kube_store_bind): the exact
 * document each leaves (the rest of the object as it was, new members
 * last), that it is the encoding of the same document made by hand (the
 * store edits text), revisions and events, refusals that change nothing,
 * admission, the asynchronous form, and SQLite's copy after a reopen.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libkube/kube.h"

static kube_loop *loop;
static kube_store *st;
static char tmpdir[64];

static void setup(void)
{
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
}

static void teardown(void)
{
	kube_store_close(st);
	kube_loop_free(loop);
	st = NULL;
	loop = NULL;
}

static kube_object *obj(const char *json)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_object_from_json(&o, json, strlen(json)), 0);
	return o;
}

static char *json_of(const kube_object *o)
{
	char *s = NULL;
	ck_assert_int_eq(kube_encode(&s, NULL, o, KUBE_FORMAT_JSON, 0), 0);
	return s;
}

/* o's JSON is exactly `want`, and is also what encoding a copy of its
 * tree gives (the store spliced text that reads as encoded). */
static void expect_json(const kube_object *o, const char *want)
{
	kube_object *m = NULL;
	char *got = json_of(o), *again;

	ck_assert_str_eq(got, want);
	ck_assert_int_eq(kube_object_mutable(&m, o), 0);
	again = json_of(m);
	ck_assert_str_eq(again, got);
	free(again);
	free(got);
	kube_object_unref(m);
}

/* o's JSON is what encoding a copy of its tree gives. */
static void expect_json_consistent(const kube_object *o)
{
	char *got = json_of(o);
	expect_json(o, got);
	free(got);
}

static void expect_err(int rc, int code, const char *msg)
{
	ck_assert_int_eq(rc, code);
	ck_assert_ptr_nonnull(kube_error_last());
	ck_assert_str_eq(kube_error_last()->message, msg);
}

static kube_object *create(const char *json)
{
	kube_object *out = NULL;
	ck_assert_int_eq(kube_store_create_take(&out, st, obj(json)), 0);
	return out;
}

#define POD_HEAD "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\""

/* The stored metadata of a created pod p: name, namespace, then the
 * store's fields, resourceVersion last. */
static void meta(char *buf, size_t n, const kube_object *created, int generation, const char *rv)
{
	snprintf(buf, n,
	         "\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"%s\",\"creationTimestamp\":"
	         "\"%s\",\"generation\":%d,\"resourceVersion\":\"%s\"}",
	         kube_object_uid(created), kube_object_creation_timestamp(created), generation, rv);
}

/* ---- status ---- */

typedef struct recorder {
	int n;
	kube_watch_event_type type[8];
	const kube_object *obj[8];
} recorder;

static void rec_cb(kube_watch *w, const kube_watch_event *e, void *ud)
{
	recorder *r = ud;
	(void)w;
	if (e->type == KUBE_WATCH_BOOKMARK || r->n >= 8)
		return;
	r->type[r->n] = e->type;
	r->obj[r->n] = e->object;
	r->n++;
}

START_TEST(test_status_replaces_status_only)
{
	kube_object *a = create(POD_HEAD "},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]},"
	                        "\"status\":{\"phase\":\"Pending\"},\"extra\":[1,2]}");
	kube_object *out = NULL, *got = NULL;
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	kube_watch *w = NULL;
	recorder r = { 0 };
	char md[512], want[2048];

	wo.revision = 1;
	ck_assert_int_eq(kube_store_watch(&w, st, "pods", &wo, rec_cb, &r, NULL), 0);
	/* the caller's JSON need not be compact: the store writes it so */
	ck_assert_int_eq(kube_store_update_status(&out, st, "pods", "ns", "p",
	                                          " { \"phase\" : \"Running\", \"podIP\": \"10.0.0.1\","
	                                          " \"note\": \"<&>\\u00e9\" } ", NULL), 0);
	meta(md, sizeof(md), a, 1, "2");
	snprintf(want, sizeof(want),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",%s,\"spec\":{\"containers\":[{\"name\":\"c\","
	         "\"image\":\"i\"}]},\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.1\","
	         "\"note\":\"<&>\xc3\xa9\"},\"extra\":[1,2]}", md);
	expect_json(out, want);
	ck_assert_str_eq(kube_object_resource_version(out), "2");
	ck_assert_int_eq(kube_object_generation(out), 1);
	ck_assert_int_eq(kube_store_revision(st), 2);
	/* what get and a watcher see is that object */
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "p"), 0);
	ck_assert_ptr_eq(got, out);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
	ck_assert_int_eq(r.n, 1);
	ck_assert_int_eq(r.type[0], KUBE_WATCH_MODIFIED);
	ck_assert_ptr_eq(r.obj[0], out);
	kube_watch_cancel(w);
	kube_object_unref(got);
	kube_object_unref(out);
	kube_object_unref(a);
}
END_TEST

/* A status already in the encoder's form is spliced as it is; any other
 * is decoded and encoded: both must leave what the encoder writes. */
/* Pod ns/p's /status written with in: the stored status reads stored. */
static void expect_status_stored(const char *in, const char *stored)
{
	kube_object *out = NULL;
	char *status = NULL;

	ck_assert_int_eq(kube_store_update_status(&out, st, "pods", "ns", "p", in, NULL), 0);
	ck_assert_int_eq(kube_object_get_json(out, "status", &status), 0);
	ck_assert_str_eq(status, stored);
	expect_json_consistent(out);
	free(status);
	kube_object_unref(out);
}

START_TEST(test_status_written_as_encoded)
{
	static const struct {
		const char *in, *stored;
	} cases[] = {
		{ "{\"a\":1,\"b\":\"\xc3\xa9\",\"c\":[true,false,null,{}],\"d\":[]}",
		  "{\"a\":1,\"b\":\"\xc3\xa9\",\"c\":[true,false,null,{}],\"d\":[]}" },
		{ "{\"s\":\"x\\u0041\\n\"}", "{\"s\":\"xA\\n\"}" },
		{ "{\"n\":-0,\"m\":-12}", "{\"n\":0,\"m\":-12}" },
		{ "{\"f\":1.50,\"g\":1e3}", "{\"f\":1.50,\"g\":1e3}" },
		{ "{\"big\":123456789012345678901}", "{\"big\":123456789012345678901}" },
		{ "{ }", "{}" },
	};
	kube_object *a = create(POD_HEAD "},\"spec\":{}}");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_status_stored(cases[i].in, cases[i].stored);
	/* what the decoder refuses is refused */
	expect_err(kube_store_update_status(NULL, st, "pods", "ns", "p", "{\"bad\":\"\xff\"}", NULL),
	           KUBE_EINVAL, "status: document 1, line 1, column 9: invalid UTF-8 in string");
	expect_err(kube_store_update_status(NULL, st, "pods", "ns", "p", "{\"a\":1,\"a\":2}", NULL),
	           KUBE_EINVAL, "status: document 1, line 1, column 8: object key \"a\" already defined");
	kube_object_unref(a);
}
END_TEST

START_TEST(test_status_unchanged_writes_nothing)
{
	kube_object *a = create(POD_HEAD "},\"spec\":{},\"status\":{\"phase\":\"Pending\",\"n\":1}}");
	kube_object *out = NULL;

	ck_assert_int_eq(kube_store_update_status(&out, st, "pods", "ns", "p",
	                                          "{\"phase\": \"Pending\", \"n\": 1}", NULL), 0);
	ck_assert_ptr_eq(out, a);
	ck_assert_str_eq(kube_object_resource_version(out), "1");
	ck_assert_int_eq(kube_store_revision(st), 1);
	kube_object_unref(out);
	kube_object_unref(a);
}
END_TEST

START_TEST(test_status_added_when_absent)
{
	kube_object *a = create(POD_HEAD ",\"labels\":{\"app\":\"x\"}},\"spec\":{}}");
	kube_object *out = NULL;
	char want[1024];

	ck_assert_int_eq(kube_store_update_status(&out, st, "pods", "ns", "p", "{}", NULL), 0);
	snprintf(want, sizeof(want),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":"
	         "\"ns\",\"labels\":{\"app\":\"x\"},\"uid\":\"%s\",\"creationTimestamp\":\"%s\","
	         "\"generation\":1,\"resourceVersion\":\"2\"},\"spec\":{},\"status\":{}}",
	         kube_object_uid(a), kube_object_creation_timestamp(a));
	expect_json(out, want);
	/* the labels the store indexes are the object's still */
	ck_assert_str_eq(kube_labels_get(kube_object_labels(out), "app"), "x");
	kube_object_unref(out);
	kube_object_unref(a);
}
END_TEST

/* A pod's QoS class is immutable: a status without one (or with "") keeps
 * the stored one (upstream's pod status strategy); a resource without that
 * rule, a Node, takes the status as it is. */
START_TEST(test_status_keeps_pod_qos_class)
{
	static const struct {
		const char *in, *stored;
	} cases[] = {
		{ "{\"phase\":\"Running\"}", "{\"phase\":\"Running\",\"qosClass\":\"BestEffort\"}" },
		{ "{}", "{\"qosClass\":\"BestEffort\"}" },
		{ "{\"qosClass\":\"\",\"phase\":\"Failed\"}",
		  "{\"qosClass\":\"BestEffort\",\"phase\":\"Failed\"}" },
		/* one the status says is taken (validation is not the store's) */
		{ "{\"qosClass\":\"Guaranteed\"}", "{\"qosClass\":\"Guaranteed\"}" },
	};
	kube_object *a = create(POD_HEAD "},\"spec\":{},\"status\":{\"qosClass\":\"BestEffort\","
	                        "\"phase\":\"Pending\"}}");
	kube_object *n = create("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n\"},"
	                        "\"status\":{\"qosClass\":\"x\"}}");
	kube_object *out = NULL;
	char *status = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_status_stored(cases[i].in, cases[i].stored);
	/* a status that is the stored one once the class is kept writes
	 * nothing */
	int64_t rev = kube_store_revision(st);
	ck_assert_int_eq(kube_store_update_status(NULL, st, "pods", "ns", "p", "{}", NULL), 0);
	ck_assert_int_eq(kube_store_revision(st), rev);
	ck_assert_int_eq(kube_store_update_status(&out, st, "nodes", NULL, "n", "{}", NULL), 0);
	ck_assert_int_eq(kube_object_get_json(out, "status", &status), 0);
	ck_assert_str_eq(status, "{}");
	free(status);
	kube_object_unref(out);
	kube_object_unref(a);
	kube_object_unref(n);
}
END_TEST

START_TEST(test_status_refusals_change_nothing)
{
	kube_object *a = create(POD_HEAD "},\"spec\":{},\"status\":{\"phase\":\"Pending\"}}");
	kube_preconditions pre = KUBE_PRECONDITIONS_INIT;
	kube_object *out = NULL;
	char msg[256];

	expect_err(kube_store_update_status(NULL, st, "pods", "ns", "p", "{\"phase\":", NULL),
	           KUBE_EINVAL, "status: document 1, line 1, column 10: unexpected end of input, expected a value");
	expect_err(kube_store_update_status(NULL, st, "pods", "ns", "p", "[1]", NULL), KUBE_EINVAL,
	           "status: must be one JSON map");
	expect_err(kube_store_update_status(NULL, st, "widgets", "ns", "p", "{}", NULL), KUBE_EINVAL,
	           "the server doesn't have a resource type \"widgets\"");
	expect_err(kube_store_update_status(NULL, st, "pods", "ns", "q", "{}", NULL), KUBE_ENOTFOUND,
	           "pods \"q\" not found");
	pre.uid = "other";
	snprintf(msg, sizeof(msg),
	         "Operation cannot be fulfilled on pods \"p\": Precondition failed: UID in "
	         "precondition: other, UID in object meta: %s", kube_object_uid(a));
	expect_err(kube_store_update_status(NULL, st, "pods", "ns", "p", "{}", &pre), KUBE_ECONFLICT, msg);
	pre.uid = kube_object_uid(a);
	pre.resource_version = "7";
	expect_err(kube_store_update_status(NULL, st, "pods", "ns", "p", "{}", &pre), KUBE_ECONFLICT,
	           "Operation cannot be fulfilled on pods \"p\": Precondition failed: ResourceVersion "
	           "in precondition: 7, ResourceVersion in object meta: 1");
	ck_assert_int_eq(kube_store_revision(st), 1);
	ck_assert_int_eq(kube_store_get(&out, st, "pods", "ns", "p"), 0);
	ck_assert_ptr_eq(out, a);
	kube_object_unref(out);
	/* both preconditions right: written */
	pre.resource_version = "1";
	ck_assert_int_eq(kube_store_update_status(&out, st, "pods", "ns", "p", "{\"phase\":\"Failed\"}",
	                                          &pre), 0);
	ck_assert_str_eq(kube_object_resource_version(out), "2");
	kube_object_unref(out);
	kube_object_unref(a);
}
END_TEST

typedef struct results {
	int n;
	int status[8];
	char rv[8][16];
} results;

static void write_cb(int status, kube_object *o, void *ud)
{
	results *r = ud;
	ck_assert_int_lt(r->n, 8);
	r->status[r->n] = status;
	snprintf(r->rv[r->n], sizeof(r->rv[0]), "%s", o ? kube_object_resource_version(o) : "-");
	r->n++;
}

START_TEST(test_status_async_in_order)
{
	kube_object *a = create(POD_HEAD "},\"spec\":{}}");
	kube_object *b = create("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
	                        "{\"name\":\"d\",\"namespace\":\"ns\"},\"spec\":{\"replicas\":1}}");
	kube_object *out = NULL;
	results r = { 0 };

	ck_assert_int_eq(kube_store_update_status_async(st, "pods", "ns", "p", "{\"phase\":\"Running\"}",
	                                                NULL, write_cb, &r, NULL), 0);
	ck_assert_int_eq(kube_store_update_status_async(st, "pods", "ns", "gone", "{}", NULL, write_cb,
	                                                &r, NULL), 0);
	ck_assert_int_eq(kube_store_update_status_async(st, "deployments", "ns", "d",
	                                                "{\"replicas\":1,\"readyReplicas\":1}", NULL,
	                                                write_cb, &r, NULL), 0);
	/* the same pod again, after the first: applied on top of it */
	ck_assert_int_eq(kube_store_update_status_async(st, "pods", "ns", "p", "{\"phase\":\"Succeeded\"}",
	                                                NULL, write_cb, &r, NULL), 0);
	ck_assert_int_eq(r.n, 0);   /* never inside the call */
	for (int i = 0; i < 50 && r.n < 4; i++)
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
	ck_assert_int_eq(r.n, 4);
	ck_assert_int_eq(r.status[0], 0);
	ck_assert_str_eq(r.rv[0], "3");
	ck_assert_int_eq(r.status[1], KUBE_ENOTFOUND);
	ck_assert_int_eq(r.status[2], 0);
	ck_assert_str_eq(r.rv[2], "4");
	ck_assert_int_eq(r.status[3], 0);
	ck_assert_str_eq(r.rv[3], "5");
	ck_assert_int_eq(kube_store_get(&out, st, "deployments", "ns", "d"), 0);
	{
		char *s = NULL;
		ck_assert_int_eq(kube_object_get_json(out, "status", &s), 0);
		ck_assert_str_eq(s, "{\"replicas\":1,\"readyReplicas\":1}");
		free(s);
		ck_assert_int_eq(kube_object_generation(out), 1);
	}
	kube_object_unref(out);
	ck_assert_int_eq(kube_store_get(&out, st, "pods", "ns", "p"), 0);
	{
		const char *ph = NULL;
		ck_assert_int_eq(kube_object_get_string(out, "status.phase", &ph), 0);
		ck_assert_str_eq(ph, "Succeeded");
	}
	kube_object_unref(out);
	kube_object_unref(a);
	kube_object_unref(b);
}
END_TEST

/* ---- binding ---- */

/* The PodScheduled condition's lastTransitionTime of o (now, as the
 * store wrote it): a UTC RFC 3339 time to the second. */
static const char *scheduled_since(const kube_object *o, char *buf, size_t n)
{
	size_t len = 0;
	const char *v = NULL;
	char path[64];

	ck_assert_int_eq(kube_object_get_len(o, "status.conditions", &len), 0);
	for (size_t i = 0; i < len; i++) {
		snprintf(path, sizeof(path), "status.conditions[%zu].type", i);
		ck_assert_int_eq(kube_object_get_string(o, path, &v), 0);
		if (strcmp(v, "PodScheduled") == 0) {
			snprintf(path, sizeof(path), "status.conditions[%zu].lastTransitionTime", i);
			ck_assert_int_eq(kube_object_get_string(o, path, &v), 0);
			ck_assert_uint_eq(strlen(v), 20);
			ck_assert_int_eq(v[10], 'T');
			ck_assert_int_eq(v[19], 'Z');
			snprintf(buf, n, "%s", v);
			return buf;
		}
	}
	ck_abort_msg("no PodScheduled condition");
	return NULL;
}

START_TEST(test_bind_replaces_condition_in_place)
{
	kube_object *a = create(POD_HEAD "},\"spec\":{\"containers\":[{\"name\":\"c\"}],\"priority\":0},"
	                        "\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"Other\","
	                        "\"status\":\"True\"},{\"type\":\"PodScheduled\",\"status\":\"False\","
	                        "\"reason\":\"Unschedulable\",\"message\":\"0/3 nodes are available\"},"
	                        "{\"type\":\"Last\",\"status\":\"False\"}]}}");
	kube_object *out = NULL;
	char md[512], since[32], want[2048];

	ck_assert_int_eq(kube_store_bind(&out, st, "ns", "p", "node-1", NULL), 0);
	meta(md, sizeof(md), a, 2, "2");
	snprintf(want, sizeof(want),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",%s,\"spec\":{\"containers\":[{\"name\":\"c\"}],"
	         "\"priority\":0,\"nodeName\":\"node-1\"},\"status\":{\"phase\":\"Pending\","
	         "\"conditions\":[{\"type\":\"Other\",\"status\":\"True\"},{\"type\":\"PodScheduled\","
	         "\"status\":\"True\",\"lastProbeTime\":null,\"lastTransitionTime\":\"%s\"},{\"type\":"
	         "\"Last\",\"status\":\"False\"}]}}",
	         md, scheduled_since(out, since, sizeof(since)));
	expect_json(out, want);
	kube_object_unref(out);
	kube_object_unref(a);
}
END_TEST

START_TEST(test_bind_adds_what_is_missing)
{
	kube_object *a, *out = NULL;
	char md[512], since[32], want[2048];

	/* no status at all, an empty nodeName (replaced where it is) */
	a = create(POD_HEAD "},\"spec\":{\"nodeName\":\"\",\"x\":1}}");
	ck_assert_int_eq(kube_store_bind(&out, st, "ns", "p", "n\"2", NULL), 0);
	meta(md, sizeof(md), a, 2, "2");
	snprintf(want, sizeof(want),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",%s,\"spec\":{\"nodeName\":\"n\\\"2\",\"x\":1},"
	         "\"status\":{\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"True\","
	         "\"lastProbeTime\":null,\"lastTransitionTime\":\"%s\"}]}}",
	         md, scheduled_since(out, since, sizeof(since)));
	expect_json(out, want);
	kube_object_unref(out);
	kube_object_unref(a);

	/* an empty spec, and a status without conditions or with an empty
	 * list of them: the condition goes last in the status, or is the list */
	static const struct {
		const char *name, *node, *status_in, *status_out, *rv;
	} cases[] = {
		{ "q", "n3", "{\"phase\":\"Pending\"}", "{\"phase\":\"Pending\",\"conditions\":[%s]}", "4" },
		{ "r", "n4", "{\"conditions\":[]}", "{\"conditions\":[%s]}", "6" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char in[512], cond[256], status[512];
		snprintf(in, sizeof(in),
		         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
		         "\"namespace\":\"ns\"},\"spec\":{},\"status\":%s}", cases[i].name, cases[i].status_in);
		a = create(in);
		ck_assert_int_eq(kube_store_bind(&out, st, "ns", cases[i].name, cases[i].node, NULL), 0);
		snprintf(cond, sizeof(cond),
		         "{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastProbeTime\":null,"
		         "\"lastTransitionTime\":\"%s\"}", scheduled_since(out, since, sizeof(since)));
		snprintf(status, sizeof(status), cases[i].status_out, cond);
		snprintf(want, sizeof(want),
		         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
		         "\"namespace\":\"ns\",\"uid\":\"%s\",\"creationTimestamp\":\"%s\","
		         "\"generation\":2,\"resourceVersion\":\"%s\"},\"spec\":{\"nodeName\":\"%s\"},"
		         "\"status\":%s}",
		         cases[i].name, kube_object_uid(a), kube_object_creation_timestamp(a), cases[i].rv,
		         cases[i].node, status);
		expect_json(out, want);
		if (i + 1 < sizeof(cases) / sizeof(cases[0])) {
			kube_object_unref(out);
			kube_object_unref(a);
		}
	}
	/* the store's node index follows the binding */
	{
		kube_list_options lo = KUBE_LIST_OPTIONS_INIT;
		kube_object_list *l = NULL;
		lo.field_selector = "spec.nodeName=n4";
		ck_assert_int_eq(kube_store_list(&l, st, "pods", &lo, NULL, NULL), 0);
		ck_assert_uint_eq(kube_object_list_count(l), 1);
		ck_assert_str_eq(kube_object_name(kube_object_list_get(l, 0)), "r");
		kube_object_list_free(l);
	}
	kube_object_unref(out);
	kube_object_unref(a);
}
END_TEST

START_TEST(test_bind_refusals_change_nothing)
{
	kube_object *a = create(POD_HEAD ",\"finalizers\":[\"f\"]},\"spec\":{}}");
	kube_object *b = create("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\","
	                        "\"namespace\":\"ns\"},\"spec\":{\"nodeName\":\"n1\"}}");
	kube_preconditions pre = KUBE_PRECONDITIONS_INIT;
	kube_object *out = NULL;
	char msg[256];

	expect_err(kube_store_bind(NULL, st, "ns", "b", "n2", NULL), KUBE_ECONFLICT,
	           "Operation cannot be fulfilled on pods/binding \"b\": pod b is already assigned to "
	           "node \"n1\"");
	expect_err(kube_store_bind(NULL, st, "ns", "nope", "n2", NULL), KUBE_ENOTFOUND,
	           "pods \"nope\" not found");
	pre.uid = "other";
	snprintf(msg, sizeof(msg),
	         "Operation cannot be fulfilled on pods \"p\": Precondition failed: UID in "
	         "precondition: other, UID in object meta: %s", kube_object_uid(a));
	expect_err(kube_store_bind(NULL, st, "ns", "p", "n2", &pre), KUBE_ECONFLICT, msg);
	ck_assert_int_eq(kube_store_bind(NULL, st, "ns", "p", "", NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_store_revision(st), 2);
	/* being deleted (its finalizer holds it) */
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", "p", NULL), 0);
	expect_err(kube_store_bind(NULL, st, "ns", "p", "n2", NULL), KUBE_ECONFLICT,
	           "Operation cannot be fulfilled on pods/binding \"p\": pod p is being deleted, "
	           "cannot be assigned to a host");
	ck_assert_int_eq(kube_store_revision(st), 3);
	ck_assert_int_eq(kube_store_get(&out, st, "pods", "ns", "b"), 0);
	ck_assert_ptr_eq(out, b);
	kube_object_unref(out);
	kube_object_unref(a);
	kube_object_unref(b);

	/* scheduling gates left (upstream's setPodNodeAndMetadata); an empty
	 * list is none */
	kube_object_unref(create("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
	                         "\"g\",\"namespace\":\"ns\"},\"spec\":{\"schedulingGates\":"
	                         "[{\"name\":\"wait\"}]}}"));
	kube_object_unref(create("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
	                         "\"h\",\"namespace\":\"ns\"},\"spec\":{\"schedulingGates\":[]}}"));
	expect_err(kube_store_bind(NULL, st, "ns", "g", "n2", NULL), KUBE_ECONFLICT,
	           "Operation cannot be fulfilled on pods/binding \"g\": pod g has non-empty "
	           ".spec.schedulingGates");
	ck_assert_int_eq(kube_store_revision(st), 5);
	/* a node name that needs quoting is quoted as Go's %q does */
	ck_assert_int_eq(kube_store_bind(NULL, st, "ns", "h", "a\"b", NULL), 0);
	expect_err(kube_store_bind(NULL, st, "ns", "h", "n2", NULL), KUBE_ECONFLICT,
	           "Operation cannot be fulfilled on pods/binding \"h\": pod h is already assigned to "
	           "node \"a\\\"b\"");
}
END_TEST

/* What the store reads from an object without its tree (its metadata,
 * spec.nodeName) is the written document's after either write. */
static void expect_hot(const kube_object *o, const kube_object *created, int64_t generation)
{
	kube_owner_ref ref;
	kube_object *m = NULL;

	ck_assert_str_eq(kube_object_name(o), "p");
	ck_assert_str_eq(kube_object_namespace(o), "ns");
	ck_assert_str_eq(kube_object_uid(o), kube_object_uid(created));
	ck_assert_str_eq(kube_object_creation_timestamp(o), kube_object_creation_timestamp(created));
	ck_assert_int_eq(kube_object_generation(o), generation);
	ck_assert_uint_eq(kube_labels_count(kube_object_labels(o)), 2);
	ck_assert_str_eq(kube_labels_get(kube_object_labels(o), "app"), "web");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(o), "tier"), "front");
	ck_assert_uint_eq(kube_object_annotation_count(o), 1);
	ck_assert_str_eq(kube_object_annotation(o, "note"), "kept");
	ck_assert_uint_eq(kube_object_owner_ref_count(o), 1);
	ck_assert_int_eq(kube_object_controller_ref(o, &ref), 0);
	ck_assert_str_eq(ref.kind, "ReplicaSet");
	ck_assert_str_eq(ref.name, "rs");
	ck_assert_str_eq(ref.uid, "u-1");
	ck_assert_uint_eq(kube_object_finalizer_count(o), 1);
	ck_assert_str_eq(kube_object_finalizer(o, 0), "f/one");
	/* and a tree made of its text says the same */
	ck_assert_int_eq(kube_object_mutable(&m, o), 0);
	ck_assert_int_eq(kube_object_generation(m), generation);
	ck_assert_str_eq(kube_labels_get(kube_object_labels(m), "tier"), "front");
	ck_assert_str_eq(kube_object_annotation(m, "note"), "kept");
	kube_object_unref(m);
}

START_TEST(test_subresource_keeps_metadata)
{
	kube_object *a = create(POD_HEAD ",\"labels\":{\"app\":\"web\",\"tier\":\"front\"},"
	                        "\"annotations\":{\"note\":\"kept\"},\"ownerReferences\":[{"
	                        "\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"rs\","
	                        "\"uid\":\"u-1\",\"controller\":true}],\"finalizers\":[\"f/one\"]},"
	                        "\"spec\":{\"containers\":[]}}");
	kube_object *out = NULL;
	kube_list_options lo = KUBE_LIST_OPTIONS_INIT;
	kube_object_list *l = NULL;
	const char *node = NULL;

	ck_assert_int_eq(kube_store_update_status(&out, st, "pods", "ns", "p", "{\"phase\":\"Pending\"}",
	                                          NULL), 0);
	expect_hot(out, a, 1);
	kube_object_unref(out);
	ck_assert_int_eq(kube_store_bind(&out, st, "ns", "p", "node-7", NULL), 0);
	expect_hot(out, a, 2);
	ck_assert_int_eq(kube_object_get_string(out, "spec.nodeName", &node), 0);
	ck_assert_str_eq(node, "node-7");
	kube_object_unref(out);
	ck_assert_int_eq(kube_store_update_status(&out, st, "pods", "ns", "p", "{\"phase\":\"Running\"}",
	                                          NULL), 0);
	expect_hot(out, a, 2);
	kube_object_unref(out);
	/* the indexes follow: by label, by node (the node stays after a
	 * status write) */
	lo.label_selector = "tier=front";
	lo.field_selector = "spec.nodeName=node-7";
	ck_assert_int_eq(kube_store_list(&l, st, "pods", &lo, NULL, NULL), 0);
	ck_assert_uint_eq(kube_object_list_count(l), 1);
	kube_object_list_free(l);
	kube_object_unref(a);
}
END_TEST

START_TEST(test_bind_keeps_true_condition_time)
{
	kube_object *a = create(POD_HEAD "},\"spec\":{},\"status\":{\"conditions\":[{\"type\":"
	                        "\"PodScheduled\",\"status\":\"True\",\"lastTransitionTime\":"
	                        "\"2020-01-01T00:00:00Z\",\"reason\":\"Old\"}]}}");
	kube_object *b = create("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\","
	                        "\"namespace\":\"ns\"},\"spec\":{},\"status\":{\"conditions\":[{\"type\":"
	                        "\"PodScheduled\",\"status\":\"True\"}]}}");
	kube_object *out = NULL;
	char *conds = NULL;

	/* True already: the time stays (reason and message go, as upstream
	 * replaces the condition whole) */
	ck_assert_int_eq(kube_store_bind(&out, st, "ns", "p", "n1", NULL), 0);
	ck_assert_int_eq(kube_object_get_json(out, "status.conditions", &conds), 0);
	ck_assert_str_eq(conds, "[{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastProbeTime\":null,"
	                        "\"lastTransitionTime\":\"2020-01-01T00:00:00Z\"}]");
	expect_json_consistent(out);
	free(conds);
	kube_object_unref(out);
	/* True without a time: Go's zero time, null */
	ck_assert_int_eq(kube_store_bind(&out, st, "ns", "b", "n1", NULL), 0);
	ck_assert_int_eq(kube_object_get_json(out, "status.conditions", &conds), 0);
	ck_assert_str_eq(conds, "[{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastProbeTime\":null,"
	                        "\"lastTransitionTime\":null}]");
	free(conds);
	kube_object_unref(out);
	kube_object_unref(a);
	kube_object_unref(b);
}
END_TEST

START_TEST(test_subresource_refused_inputs)
{
	kube_object *a = create(POD_HEAD "},\"spec\":{}}");
	kube_object *cm = create("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
	                         "\"c\",\"namespace\":\"ns\"},\"data\":{}}");
	kube_object *out = NULL;
	char deep[1200];
	size_t n;

	/* no /status upstream: 404 */
	expect_err(kube_store_update_status(NULL, st, "configmaps", "ns", "c", "{}", NULL), KUBE_ENOTFOUND,
	           "the server could not find the requested resource (configmaps/status)");
	/* a node name the object and its text would spell differently */
	expect_err(kube_store_bind(NULL, st, "ns", "p", "n\xff", NULL), KUBE_EINVAL,
	           "kube_store_bind: the node name is not UTF-8 (byte 1)");
	/* the status is one level under the object, which must decode as
	 * stored (256 levels): 255 in the status are the most (the space
	 * takes the decoder's path) */
	for (int arrays = 254; arrays <= 255; arrays++) {
		n = (size_t)snprintf(deep, sizeof(deep), "{\"a\": ");
		for (int i = 0; i < arrays; i++)
			deep[n++] = '[';
		deep[n++] = '1';
		for (int i = 0; i < arrays; i++)
			deep[n++] = ']';
		deep[n++] = '}';
		deep[n] = '\0';
		if (arrays == 254) {
			ck_assert_int_eq(kube_store_update_status(&out, st, "pods", "ns", "p", deep, NULL), 0);
			expect_json_consistent(out);
			kube_object_unref(out);
		} else {
			int rc = kube_store_update_status(NULL, st, "pods", "ns", "p", deep, NULL);
			ck_assert_str_eq(kube_error_last()->message,
			                 "status: document 1, line 1, column 261: nesting deeper than 255 (max_depth)");
			ck_assert_int_eq(rc, KUBE_ETOOBIG);
		}
	}
	kube_object_unref(a);
	kube_object_unref(cm);
}
END_TEST

/* ---- admission ---- */

typedef struct seen {
	int calls;
	kube_admission_operation op;
	char phase[32];
} seen;

static int refuse_failed(const kube_admission_request *req, char *message, size_t size, void *ud)
{
	seen *s = ud;
	const char *ph = "";
	s->calls++;
	s->op = req->operation;
	if (kube_object_get_string(req->object, "status.phase", &ph) != 0)
		ph = "";
	snprintf(s->phase, sizeof(s->phase), "%s", ph);
	if (strcmp(ph, "Failed") == 0) {
		snprintf(message, size, "no failing here");
		return KUBE_EPERM;
	}
	return 0;
}

START_TEST(test_subresource_admission)
{
	kube_object *a = create(POD_HEAD "},\"spec\":{}}");
	seen s = { 0 };

	ck_assert_int_eq(kube_store_add_admission(st, "pods", refuse_failed, &s, NULL), 0);
	ck_assert_int_eq(kube_store_update_status(NULL, st, "pods", "ns", "p", "{\"phase\":\"Running\"}",
	                                          NULL), 0);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.op, KUBE_ADMISSION_UPDATE);
	ck_assert_str_eq(s.phase, "Running");
	expect_err(kube_store_update_status(NULL, st, "pods", "ns", "p", "{\"phase\":\"Failed\"}", NULL),
	           KUBE_EPERM, "pods \"p\" is forbidden: no failing here");
	ck_assert_int_eq(kube_store_bind(NULL, st, "ns", "p", "n1", NULL), 0);
	ck_assert_int_eq(s.calls, 3);
	ck_assert_int_eq(s.op, KUBE_ADMISSION_UPDATE);
	ck_assert_str_eq(s.phase, "Running");
	ck_assert_int_eq(kube_store_revision(st), 3);
	kube_object_unref(a);
}
END_TEST

/* ---- SQLite ---- */

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static void open_sqlite(void)
{
	kube_store_options o = KUBE_STORE_OPTIONS_INIT;
	o.backend = "sqlite";
	o.path = tmpdir;
	ck_assert_int_eq(kube_store_open(&st, loop, &o), 0);
}

START_TEST(test_subresource_sqlite_reopen)
{
	kube_object *a, *out = NULL;
	char *before, *after;

	strcpy(tmpdir, "/tmp/kube-subres-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	open_sqlite();
	a = create(POD_HEAD ",\"labels\":{\"app\":\"x\"}},\"spec\":{\"containers\":[]}}");
	ck_assert_int_eq(kube_store_bind(NULL, st, "ns", "p", "n1", NULL), 0);
	ck_assert_int_eq(kube_store_update_status(&out, st, "pods", "ns", "p",
	                                          "{\"phase\":\"Running\",\"conditions\":[]}", NULL), 0);
	before = json_of(out);
	kube_object_unref(out);
	kube_store_close(st);
	open_sqlite();
	ck_assert_int_eq(kube_store_get(&out, st, "pods", "ns", "p"), 0);
	after = json_of(out);
	ck_assert_str_eq(after, before);
	ck_assert_str_eq(kube_object_resource_version(out), "3");
	ck_assert_int_eq(kube_store_revision(st), 3);
	free(before);
	free(after);
	kube_object_unref(out);
	kube_object_unref(a);
	kube_store_close(st);
	st = NULL;
	kube_loop_free(loop);
	loop = NULL;
	rm_tree(tmpdir);
}
END_TEST

/* Asynchronous status writes on SQLite, two batches in flight: each
 * batch's new objects are derived while its commit runs (build_objects),
 * and what reopens is what was written. */
START_TEST(test_subresource_sqlite_async_two_batches)
{
	enum { N = 6 };
	results r = { 0 };
	char *before[N];
	char name[16], json[512];

	strcpy(tmpdir, "/tmp/kube-subres-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	open_sqlite();
	for (int i = 0; i < N; i++) {
		snprintf(json, sizeof(json),
		         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p%d\","
		         "\"namespace\":\"ns\",\"labels\":{\"i\":\"%d\"}},\"spec\":{}}", i, i);
		kube_object_unref(create(json));
	}
	/* read when the store queues its first asynchronous write */
	setenv("KUBE_STORE_TWO_BATCHES", "1", 1);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		snprintf(json, sizeof(json), "{\"phase\":\"Running\",\"n\":%d}", i);
		ck_assert_int_eq(kube_store_update_status_async(st, "pods", "ns", name, json, NULL, write_cb,
		                                                &r, NULL), 0);
		if (i == 0)
			unsetenv("KUBE_STORE_TWO_BATCHES");
	}
	/* a synchronous write waits for the batches in flight, none yet: it
	 * goes first (revision 7), the queued ones after it, in order */
	ck_assert_int_eq(kube_store_bind(NULL, st, "ns", "p0", "n0", NULL), 0);
	for (int i = 0; i < 1000 && r.n < N; i++)
		ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(r.n, N);
	for (int i = 0; i < N; i++) {
		char rv[8];
		snprintf(rv, sizeof(rv), "%d", N + 2 + i);
		ck_assert_int_eq(r.status[i], 0);
		ck_assert_str_eq(r.rv[i], rv);
	}
	for (int i = 0; i < N; i++) {
		kube_object *o = NULL;
		const char *label = NULL;
		int64_t got = -1;
		snprintf(name, sizeof(name), "p%d", i);
		ck_assert_int_eq(kube_store_get(&o, st, "pods", "ns", name), 0);
		ck_assert_int_eq(kube_object_get_int(o, "status.n", &got), 0);
		ck_assert_int_eq(got, i);
		label = kube_labels_get(kube_object_labels(o), "i");
		ck_assert_int_eq(atoi(label), i);
		if (i == 0) {
			const char *node = NULL;
			ck_assert_int_eq(kube_object_get_string(o, "spec.nodeName", &node), 0);
			ck_assert_str_eq(node, "n0");
			ck_assert_int_eq(kube_object_generation(o), 2);
		}
		expect_json_consistent(o);
		before[i] = json_of(o);
		kube_object_unref(o);
	}
	kube_store_close(st);
	open_sqlite();
	for (int i = 0; i < N; i++) {
		kube_object *o = NULL;
		char *after;
		snprintf(name, sizeof(name), "p%d", i);
		ck_assert_int_eq(kube_store_get(&o, st, "pods", "ns", name), 0);
		after = json_of(o);
		ck_assert_str_eq(after, before[i]);
		free(after);
		free(before[i]);
		kube_object_unref(o);
	}
	ck_assert_int_eq(kube_store_revision(st), 2 * N + 1);
	kube_store_close(st);
	st = NULL;
	kube_loop_free(loop);
	loop = NULL;
	rm_tree(tmpdir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("subresource");
	TCase *tc = tcase_create("memory");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_status_replaces_status_only);
	tcase_add_test(tc, test_status_written_as_encoded);
	tcase_add_test(tc, test_status_unchanged_writes_nothing);
	tcase_add_test(tc, test_status_added_when_absent);
	tcase_add_test(tc, test_status_keeps_pod_qos_class);
	tcase_add_test(tc, test_status_refusals_change_nothing);
	tcase_add_test(tc, test_status_async_in_order);
	tcase_add_test(tc, test_bind_replaces_condition_in_place);
	tcase_add_test(tc, test_bind_adds_what_is_missing);
	tcase_add_test(tc, test_bind_refusals_change_nothing);
	tcase_add_test(tc, test_subresource_keeps_metadata);
	tcase_add_test(tc, test_bind_keeps_true_condition_time);
	tcase_add_test(tc, test_subresource_refused_inputs);
	tcase_add_test(tc, test_subresource_admission);
	suite_add_tcase(s, tc);
	TCase *sq = tcase_create("sqlite");
	tcase_add_test(sq, test_subresource_sqlite_reopen);
	tcase_add_test(sq, test_subresource_sqlite_async_two_batches);
	suite_add_tcase(s, sq);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
