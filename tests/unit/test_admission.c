/*
 * test_admission.c - the store's admission hooks: what a hook is shown
 * (operation, resource, namespace, name, the state to be written and the
 * stored one), refusals and their messages, order and resource filters,
 * removal, and writes batched for one commit each checked in turn.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

static kube_loop *loop;
static kube_store *st;

static void setup(void)
{
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
}

static void teardown(void)
{
	kube_store_close(st);
	kube_loop_free(loop);
}

static kube_object *obj(const char *json)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_object_from_json(&o, json, strlen(json)), 0);
	return o;
}

#define POD(name) "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" name \
	"\",\"namespace\":\"ns\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}"

/* Records what it sees; refuses the n-th call on (1-based), or none. */
typedef struct recorder {
	char log[2048];
	int calls;
	int refuse_at;
	int code;
	int destroyed;
} recorder;

static int record(const kube_admission_request *req, char *msg, size_t n, void *ud)
{
	recorder *r = ud;
	size_t len = strlen(r->log);
	const char *ops[] = { "?", "CREATE", "UPDATE", "DELETE" };

	snprintf(r->log + len, sizeof(r->log) - len, "%s %s %s/%s obj=%s old=%s uid=%s;",
	         ops[req->operation], req->resource, req->namespace_ ? req->namespace_ : "-",
	         req->name, req->object ? kube_object_name(req->object) : "-",
	         req->old ? kube_object_resource_version(req->old) : "-",
	         req->object && kube_object_uid(req->object) ? "set" : "-");
	if (++r->calls == r->refuse_at) {
		snprintf(msg, n, "exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2");
		return r->code;
	}
	return 0;
}

static void destroyed(void *ud)
{
	((recorder *)ud)->destroyed++;
}

START_TEST(test_admission_sees_each_operation)
{
	recorder r = { .refuse_at = 0 };
	kube_object *o = obj(POD("a")), *out = NULL, *m = NULL;

	ck_assert_int_eq(kube_store_add_admission(st, "pods", record, &r, destroyed), 0);
	ck_assert_int_eq(kube_store_create(&out, st, o), 0);
	ck_assert_int_eq(kube_object_mutable(&m, out), 0);
	ck_assert_int_eq(kube_object_set_label(m, "x", "y"), 0);
	kube_object_unref(out);
	ck_assert_int_eq(kube_store_update(&out, st, m), 0);
	/* an update that changes nothing is not shown */
	ck_assert_int_eq(kube_store_update(NULL, st, out), 0);
	kube_object_unref(m);
	kube_object_unref(out);
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", "a", NULL), 0);
	ck_assert_str_eq(r.log,
	                 "CREATE pods ns/a obj=a old=- uid=set;"
	                 "UPDATE pods ns/a obj=a old=1 uid=set;"
	                 "DELETE pods ns/a obj=- old=2 uid=-;");
	kube_object_unref(o);
	ck_assert_int_eq(r.destroyed, 0);
	ck_assert_int_eq(kube_store_remove_admission(st, record, &r), 0);
	ck_assert_int_eq(r.destroyed, 1);
	ck_assert_int_eq(kube_store_remove_admission(st, record, &r), KUBE_ENOTFOUND);
}
END_TEST

START_TEST(test_admission_refusal_writes_nothing)
{
	recorder r = { .refuse_at = 1, .code = KUBE_EPERM };
	kube_object *o = obj(POD("a")), *out = NULL;

	ck_assert_int_eq(kube_store_add_admission(st, NULL, record, &r, NULL), 0);
	ck_assert_int_eq(kube_store_create(&out, st, o), KUBE_EPERM);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(kube_error_last()->message,
	                 "pods \"a\" is forbidden: exceeded quota: q, requested: pods=1, "
	                 "used: pods=2, limited: pods=2");
	ck_assert_int_eq(kube_store_revision(st), 0);
	ck_assert_int_eq(kube_store_get(&out, st, "pods", "ns", "a"), KUBE_ENOTFOUND);
	/* another code: the reason as written */
	r.refuse_at = 2;
	r.code = KUBE_EBUSY;
	ck_assert_int_eq(kube_store_create(NULL, st, o), KUBE_EBUSY);
	ck_assert_str_eq(kube_error_last()->message,
	                 "exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2");
	/* the third is admitted */
	ck_assert_int_eq(kube_store_create(NULL, st, o), 0);
	ck_assert_int_eq(kube_store_revision(st), 1);
	kube_object_unref(o);
}
END_TEST

START_TEST(test_admission_filters_and_order)
{
	recorder all = { .refuse_at = 0 }, pods = { .refuse_at = 0 }, cms = { .refuse_at = 0 };
	kube_object *cm = obj("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
	                      "{\"name\":\"c\",\"namespace\":\"ns\"}}");
	kube_object *ns = obj("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ns\"}}");
	kube_object *pod = obj(POD("p"));

	ck_assert_int_eq(kube_store_add_admission(st, "pods", record, &pods, NULL), 0);
	ck_assert_int_eq(kube_store_add_admission(st, NULL, record, &all, NULL), 0);
	ck_assert_int_eq(kube_store_add_admission(st, "configmaps", record, &cms, NULL), 0);
	ck_assert_int_eq(kube_store_add_admission(st, "widgets", record, &cms, NULL), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "the server doesn't have a resource type \"widgets\"");
	ck_assert_int_eq(kube_store_create(NULL, st, cm), 0);
	ck_assert_int_eq(kube_store_create(NULL, st, ns), 0);
	/* the first refusal stops the chain: "all" never sees the pod */
	pods.refuse_at = 1;
	pods.code = KUBE_EPERM;
	ck_assert_int_eq(kube_store_create(NULL, st, pod), KUBE_EPERM);
	ck_assert_str_eq(pods.log, "CREATE pods ns/p obj=p old=- uid=set;");
	ck_assert_str_eq(all.log, "CREATE configmaps ns/c obj=c old=- uid=set;"
	                          "CREATE namespaces -/ns obj=ns old=- uid=set;");
	ck_assert_str_eq(cms.log, "CREATE configmaps ns/c obj=c old=- uid=set;");
	kube_object_unref(cm);
	kube_object_unref(ns);
	kube_object_unref(pod);
	ck_assert_int_eq(kube_store_add_admission(NULL, NULL, record, &all, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_store_add_admission(st, NULL, NULL, &all, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_store_remove_admission(NULL, record, &all), KUBE_EINVAL);
}
END_TEST

/* A hook that admits at most `limit` creates, counting what it admitted. */
typedef struct counter {
	int admitted, limit;
	int64_t revisions;               /* sum of the store's revision at each call */
} counter;

static int limit_pods(const kube_admission_request *req, char *msg, size_t n, void *ud)
{
	counter *c = ud;
	if (req->operation != KUBE_ADMISSION_CREATE)
		return 0;
	c->revisions += kube_store_revision(st);
	if (c->admitted >= c->limit) {
		snprintf(msg, n, "only %d", c->limit);
		return KUBE_EPERM;
	}
	c->admitted++;
	return 0;
}

static int results[8], ncb;

static void written(int status, kube_object *o, void *ud)
{
	(void)o;
	results[(intptr_t)ud] = status;
	ncb++;
}

START_TEST(test_admission_batched_writes_each_checked)
{
	counter c = { 0, 3, 0 };
	char json[256];

	ck_assert_int_eq(kube_store_add_admission(st, "pods", limit_pods, &c, NULL), 0);
	for (intptr_t i = 0; i < 5; i++) {
		kube_object *o;
		snprintf(json, sizeof(json), POD("p%d"), (int)i);
		o = obj(json);
		ck_assert_int_eq(kube_store_create_async_take(st, o, written, (void *)i, NULL), 0);
	}
	while (ncb < 5)
		ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(results[0], 0);
	ck_assert_int_eq(results[1], 0);
	ck_assert_int_eq(results[2], 0);
	ck_assert_int_eq(results[3], KUBE_EPERM);
	ck_assert_int_eq(results[4], KUBE_EPERM);
	ck_assert_int_eq(kube_store_revision(st), 3);
	/* one batch: every write was checked before the first was applied */
	ck_assert_int_eq(c.revisions, 0);
}
END_TEST

/* Refuses with whatever code and reason it is given. */
typedef struct refuser {
	int code;
	const char *reason;
	char name[80];
} refuser;

static int refuse(const kube_admission_request *req, char *msg, size_t n, void *ud)
{
	refuser *r = ud;
	snprintf(r->name, sizeof(r->name), "%s", req->name);
	snprintf(msg, n, "%s", r->reason);
	return r->code;
}

static int async_status;
static kube_object *async_obj = (kube_object *)1;

static void async_done(int status, kube_object *o, void *ud)
{
	(void)ud;
	async_status = status;
	async_obj = o;
}

START_TEST(test_admission_messages)
{
	refuser r = { KUBE_EPERM, "no", "" };
	kube_object *d = obj("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
	                     "{\"generateName\":\"web-\",\"namespace\":\"ns\"}}");

	ck_assert_int_eq(kube_store_add_admission(st, NULL, refuse, &r, NULL), 0);
	/* a grouped resource; the name generated before the hook sees it */
	ck_assert_int_eq(kube_store_create(NULL, st, d), KUBE_EPERM);
	ck_assert_uint_eq(strlen(r.name), 9);
	ck_assert_int_eq(strncmp(r.name, "web-", 4), 0);
	{
		char want[128];
		snprintf(want, sizeof(want), "deployments.apps \"%s\" is forbidden: no", r.name);
		ck_assert_str_eq(kube_error_last()->message, want);
	}
	/* no reason written */
	r.reason = "";
	ck_assert_int_eq(kube_store_create(NULL, st, d), KUBE_EPERM);
	ck_assert_str_eq(kube_error_last()->message + strlen(kube_error_last()->message) -
	                 strlen("is forbidden: refused by an admission hook"),
	                 "is forbidden: refused by an admission hook");
	/* a code that is not one of libkube's becomes KUBE_ERROR, reason as is */
	r.code = 7;
	r.reason = "odd";
	ck_assert_int_eq(kube_store_create(NULL, st, d), KUBE_ERROR);
	ck_assert_str_eq(kube_error_last()->message, "odd");
	r.code = -1000;
	ck_assert_int_eq(kube_store_create(NULL, st, d), KUBE_ERROR);
	/* an asynchronous write is told through its callback */
	r.code = KUBE_EPERM;
	ck_assert_int_eq(kube_store_create_async(st, d, async_done, NULL, NULL), 0);
	while (async_obj == (kube_object *)1)
		ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(async_status, KUBE_EPERM);
	ck_assert_ptr_null(async_obj);
	ck_assert_int_eq(kube_store_revision(st), 0);
	kube_object_unref(d);
}
END_TEST

/* The store's own refusals come first: a hook never sees a write the
 * store refuses (here: over the size limit), so it cannot count one. */
START_TEST(test_admission_after_the_store_checks)
{
	recorder r = { .refuse_at = 0 };
	kube_store *small = NULL;
	kube_store_options so = KUBE_STORE_OPTIONS_INIT;
	kube_object *o = obj(POD("a"));

	so.max_object_bytes = 64;
	ck_assert_int_eq(kube_store_open(&small, loop, &so), 0);
	ck_assert_int_eq(kube_store_add_admission(small, NULL, record, &r, NULL), 0);
	ck_assert_int_eq(kube_store_create(NULL, small, o), KUBE_EINVAL);
	ck_assert_int_eq(r.calls, 0);
	ck_assert_int_eq(kube_store_create(NULL, st, o), 0);
	ck_assert_int_eq(kube_store_add_admission(st, NULL, record, &r, NULL), 0);
	ck_assert_int_eq(kube_store_create(NULL, st, o), KUBE_EEXISTS);
	ck_assert_int_eq(r.calls, 0);
	kube_store_close(small);
	kube_object_unref(o);
}
END_TEST

/* The hook's userdata is destroyed when the store closes. */
START_TEST(test_admission_destroyed_at_close)
{
	recorder r = { .refuse_at = 0 };
	ck_assert_int_eq(kube_store_add_admission(st, NULL, record, &r, destroyed), 0);
	kube_store_close(st);
	st = NULL;
	ck_assert_int_eq(r.destroyed, 1);
}
END_TEST

static Suite *admission_suite(void)
{
	Suite *s = suite_create("admission");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_admission_sees_each_operation);
	tcase_add_test(tc, test_admission_refusal_writes_nothing);
	tcase_add_test(tc, test_admission_filters_and_order);
	tcase_add_test(tc, test_admission_batched_writes_each_checked);
	tcase_add_test(tc, test_admission_messages);
	tcase_add_test(tc, test_admission_after_the_store_checks);
	tcase_add_test(tc, test_admission_destroyed_at_close);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(admission_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
