/*
 * test_resourcequota.c - the ResourceQuota controller and its admission
 * hook against the memory store, in the style of upstream's
 * resource_quota_controller_test.go and admission_test.go: status.hard
 * mirrors spec.hard and status.used sums exactly the resources it names
 * (pods, cpu and memory with init containers, sidecars, overhead and the
 * limit-to-request default, services, claims, object counts), scopes
 * select pods, creates past hard are refused with upstream's messages,
 * writes batched into one commit cannot together pass a quota, a
 * ReplicaSet stops at the quota, a deleted pod frees quota, and status is
 * written only when it changes.  The wall clock is fake.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libkube/kube.h"
#include "object/object_private.h"

#define SEC ((int64_t)1000000000)

static int64_t fake_now;
static kube_loop *loop;
static kube_store *st;
static kube_informer_factory *fac;

static int64_t fake_clock(void *ud)
{
	(void)ud;
	return fake_now;
}

static void setup(void)
{
	fake_now = (int64_t)time(NULL) * SEC;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
	ck_assert_int_eq(kube_informer_factory_new(&fac, st, 0), 0);
}

static void teardown(void)
{
	kube_informer_factory_free(fac);
	kube_store_close(st);
	kube_loop_free(loop);
}

static void settle(void)
{
	for (int i = 0; i < 200; i++)
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
}

static kube_resourcequota_controller *new_ctrl(void)
{
	kube_resourcequota_options o = KUBE_RESOURCEQUOTA_OPTIONS_INIT;
	kube_resourcequota_controller *c = NULL;

	o.clock = fake_clock;
	ck_assert_int_eq(kube_resourcequota_controller_new(&c, fac, st, &o), 0);
	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	return c;
}

static kube_object *obj(const char *json)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_object_from_json(&o, json, strlen(json)), 0);
	return o;
}

/* Creates; returns the store's code and keeps its message. */
static char last_msg[1024];

static int try_create(const char *json)
{
	kube_object *o = obj(json);
	int rc = kube_store_create(NULL, st, o);
	last_msg[0] = 0;
	if (rc != 0 && kube_error_last())
		snprintf(last_msg, sizeof(last_msg), "%s", kube_error_last()->message);
	kube_object_unref(o);
	return rc;
}

static void create(const char *json)
{
	ck_assert_int_eq(try_create(json), 0);
}

static void quota(const char *ns, const char *name, const char *hard, const char *more_spec)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"v1\",\"kind\":\"ResourceQuota\",\"metadata\":{\"namespace\":\"%s\","
	         "\"name\":\"%s\"},\"spec\":{\"hard\":%s%s%s}}",
	         ns, name, hard, more_spec ? "," : "", more_spec ? more_spec : "");
	create(buf);
}

/* A pod whose spec is `spec` (JSON members). */
static int try_pod(const char *ns, const char *name, const char *spec)
{
	char buf[4096];
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"%s\","
	         "\"name\":\"%s\"},\"spec\":{%s}}",
	         ns, name, spec);
	return try_create(buf);
}

#define BARE "\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]"
#define CPU(r) "\"containers\":[{\"name\":\"c\",\"image\":\"nginx\",\"resources\":{\"requests\":{\"cpu\":\"" r "\"}}}]"

/* The JSON at path of a stored object (a static buffer; "" if absent). */
static const char *json_at(const char *res, const char *ns, const char *name, const char *path)
{
	static char buf[2048];
	kube_object *o = NULL;
	char *j = NULL;

	buf[0] = 0;
	ck_assert_int_eq(kube_store_get(&o, st, res, ns, name), 0);
	if (kube_object_get_json(o, path, &j) == 0)
		snprintf(buf, sizeof(buf), "%s", j);
	kube_free(j);
	kube_object_unref(o);
	return buf;
}

static const char *used(const char *ns, const char *name)
{
	return json_at("resourcequotas", ns, name, "status.used");
}

static kube_resourcequota_stats stats(kube_resourcequota_controller *c)
{
	kube_resourcequota_stats s;
	s.version = KUBE_RESOURCEQUOTA_STATS_VERSION;
	ck_assert_int_eq(kube_resourcequota_controller_get_stats(c, &s), 0);
	return s;
}

static size_t count(const char *res)
{
	kube_object_list *l = NULL;
	size_t n;
	ck_assert_int_eq(kube_store_list(&l, st, res, NULL, NULL, NULL), 0);
	n = kube_object_list_count(l);
	kube_object_list_free(l);
	return n;
}

/* ---- status ---- */

START_TEST(test_resourcequota_status_mirrors_hard_and_sums_used)
{
	kube_resourcequota_controller *c = new_ctrl();

	create("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"namespace\":\"ns\","
	       "\"name\":\"cm\"}}");
	ck_assert_int_eq(try_pod("ns", "a", "\"containers\":[{\"name\":\"c\",\"resources\":"
	                                    "{\"requests\":{\"cpu\":\"100m\",\"memory\":\"64Mi\"}}}]"), 0);
	ck_assert_int_eq(try_pod("ns", "b", "\"containers\":[{\"name\":\"c\",\"resources\":"
	                                    "{\"requests\":{\"cpu\":\"250m\",\"memory\":\"128Mi\"}}}]"), 0);
	/* another namespace's pod is not ours */
	ck_assert_int_eq(try_pod("other", "x", CPU("1")), 0);
	quota("ns", "q", "{\"pods\":\"10\",\"requests.cpu\":\"2\",\"requests.memory\":\"1Gi\","
	                 "\"configmaps\":5,\"example.com/unknown\":\"3\",\"secrets\":\"4\"}", NULL);
	settle();
	/* hard as written, keys sorted, quantities canonical */
	ck_assert_str_eq(json_at("resourcequotas", "ns", "q", "status.hard"),
	                 "{\"configmaps\":\"5\",\"example.com/unknown\":\"3\",\"pods\":\"10\","
	                 "\"requests.cpu\":\"2\",\"requests.memory\":\"1Gi\",\"secrets\":\"4\"}");
	/* used: exactly what an evaluator tracks, 0 when nothing uses it */
	ck_assert_str_eq(used("ns", "q"),
	                 "{\"configmaps\":\"1\",\"pods\":\"2\",\"requests.cpu\":\"350m\","
	                 "\"requests.memory\":\"192Mi\",\"secrets\":\"0\"}");
	ck_assert_uint_eq(stats(c).status_writes, 1);
	kube_resourcequota_controller_free(c);
}
END_TEST

START_TEST(test_resourcequota_pod_requests_as_upstream)
{
	kube_resourcequota_controller *c = new_ctrl();
	const char *hard = "{\"requests.cpu\":\"100\",\"limits.cpu\":\"100\",\"cpu\":\"100\","
	                   "\"requests.memory\":\"100Gi\",\"limits.memory\":\"100Gi\","
	                   "\"memory\":\"100Gi\",\"count/pods\":\"10\",\"pods\":\"10\","
	                   "\"requests.example.com/gpu\":\"4\",\"hugepages-2Mi\":\"1Gi\","
	                   "\"requests.ephemeral-storage\":\"10Gi\"}";

	quota("ns", "q", hard, NULL);
	settle();
	/* containers 100m + 500m (the limit stands for the missing request),
	 * the init container's 1 is larger, plus 50m overhead; limits: 200m +
	 * 500m < 1, + 50m; memory 64Mi + 1Gi > 64Mi, + 10Mi */
	ck_assert_int_eq(try_pod("ns", "a",
	        "\"containers\":[{\"name\":\"c1\",\"resources\":{\"requests\":{\"cpu\":\"100m\","
	        "\"memory\":\"64Mi\",\"example.com/gpu\":\"1\",\"hugepages-2Mi\":\"4Mi\"},"
	        "\"limits\":{\"cpu\":\"200m\",\"memory\":\"128Mi\",\"example.com/gpu\":\"1\","
	        "\"hugepages-2Mi\":\"4Mi\"}}},"
	        "{\"name\":\"c2\",\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"1Gi\"}}}],"
	        "\"initContainers\":[{\"name\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"1\","
	        "\"memory\":\"64Mi\"},\"limits\":{\"cpu\":\"1\",\"memory\":\"64Mi\"}}}],"
	        "\"overhead\":{\"cpu\":\"50m\",\"memory\":\"10Mi\"}"), 0);
	settle();
	ck_assert_str_eq(used("ns", "q"),
	                 "{\"count/pods\":\"1\",\"cpu\":\"1050m\",\"hugepages-2Mi\":\"4Mi\","
	                 "\"limits.cpu\":\"1050m\",\"limits.memory\":\"1162Mi\",\"memory\":\"1098Mi\","
	                 "\"pods\":\"1\",\"requests.cpu\":\"1050m\",\"requests.ephemeral-storage\":\"0\","
	                 "\"requests.example.com/gpu\":\"1\",\"requests.memory\":\"1098Mi\"}");
	/* a sidecar (restartPolicy Always) runs beside the containers and
	 * every later init container: max(600m + 300m, 1 + 300m) */
	ck_assert_int_eq(try_pod("ns", "b",
	        "\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"cpu\":\"600m\","
	        "\"memory\":\"1Mi\"},\"limits\":{\"cpu\":\"600m\",\"memory\":\"1Mi\"}}}],"
	        "\"initContainers\":[{\"name\":\"side\",\"restartPolicy\":\"Always\",\"resources\":"
	        "{\"requests\":{\"cpu\":\"300m\",\"memory\":\"1Mi\"},\"limits\":{\"cpu\":\"300m\","
	        "\"memory\":\"1Mi\"}}},{\"name\":\"init\",\"resources\":{\"requests\":{\"cpu\":\"1\","
	        "\"memory\":\"1Mi\"},\"limits\":{\"cpu\":\"1\",\"memory\":\"1Mi\"}}}]"), 0);
	settle();
	ck_assert_str_eq(used("ns", "q"),
	                 "{\"count/pods\":\"2\",\"cpu\":\"2350m\",\"hugepages-2Mi\":\"4Mi\","
	                 "\"limits.cpu\":\"2350m\",\"limits.memory\":\"1164Mi\",\"memory\":\"1100Mi\","
	                 "\"pods\":\"2\",\"requests.cpu\":\"2350m\",\"requests.ephemeral-storage\":\"0\","
	                 "\"requests.example.com/gpu\":\"1\",\"requests.memory\":\"1100Mi\"}");
	kube_resourcequota_controller_free(c);
}
END_TEST

typedef struct pod_set {
	const char *phase;
	int del;
} pod_set;

static int set_pod(kube_object *p, void *ud)
{
	const pod_set *e = ud;
	return kube_object_set_string(p, "status.phase", e->phase);
}

START_TEST(test_resourcequota_terminal_pods_free_pods_not_count)
{
	kube_resourcequota_controller *c = new_ctrl();
	pod_set done = { "Succeeded", 0 };

	quota("ns", "q", "{\"pods\":\"5\",\"count/pods\":\"5\",\"requests.cpu\":\"5\"}", NULL);
	ck_assert_int_eq(try_pod("ns", "a", CPU("1")), 0);
	ck_assert_int_eq(try_pod("ns", "b", CPU("2")), 0);
	settle();
	ck_assert_str_eq(used("ns", "q"), "{\"count/pods\":\"2\",\"pods\":\"2\",\"requests.cpu\":\"3\"}");
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "pods", "ns", "b", set_pod, &done), 0);
	settle();
	/* count/pods counts every pod in storage, pods only live ones */
	ck_assert_str_eq(used("ns", "q"), "{\"count/pods\":\"2\",\"pods\":\"1\",\"requests.cpu\":\"1\"}");
	kube_resourcequota_controller_free(c);
}
END_TEST

START_TEST(test_resourcequota_no_write_when_unchanged)
{
	kube_resourcequota_controller *c = new_ctrl();
	kube_controller *r = kube_resourcequota_controller_runner(c);
	kube_object *q = NULL, *m = NULL;
	char rv[32];

	ck_assert_ptr_nonnull(r);
	quota("ns", "q", "{\"pods\":\"5\"}", NULL);
	ck_assert_int_eq(try_pod("ns", "a", BARE), 0);
	settle();
	ck_assert_uint_eq(stats(c).status_writes, 1);
	snprintf(rv, sizeof(rv), "%s", json_at("resourcequotas", "ns", "q", "metadata.resourceVersion"));
	/* the full recalculation after the resync period finds nothing new */
	fake_now += 301 * SEC;
	settle();
	ck_assert_int_ge(kube_controller_process(r), 0);
	settle();
	ck_assert_uint_eq(stats(c).status_writes, 1);
	ck_assert_str_eq(json_at("resourcequotas", "ns", "q", "metadata.resourceVersion"), rv);
	/* a new spec.hard is mirrored at once */
	ck_assert_int_eq(kube_store_get(&q, st, "resourcequotas", "ns", "q"), 0);
	ck_assert_int_eq(kube_object_mutable(&m, q), 0);
	ck_assert_int_eq(kube_object_set_json(m, "spec.hard", "{\"pods\":\"7\",\"services\":\"1\"}"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
	settle();
	ck_assert_uint_eq(stats(c).status_writes, 2);
	ck_assert_str_eq(json_at("resourcequotas", "ns", "q", "status"),
	                 "{\"hard\":{\"pods\":\"7\",\"services\":\"1\"},"
	                 "\"used\":{\"pods\":\"1\",\"services\":\"0\"}}");
	kube_object_unref(m);
	kube_object_unref(q);
	kube_resourcequota_controller_free(c);
}
END_TEST

/* ---- admission ---- */

START_TEST(test_resourcequota_refuses_third_pod)
{
	kube_resourcequota_controller *c = new_ctrl();

	quota("ns", "q", "{\"pods\":\"2\"}", NULL);
	settle();
	ck_assert_int_eq(try_pod("ns", "p1", BARE), 0);
	ck_assert_int_eq(try_pod("ns", "p2", BARE), 0);
	ck_assert_int_eq(try_pod("ns", "p3", BARE), KUBE_EPERM);
	ck_assert_str_eq(last_msg, "pods \"p3\" is forbidden: exceeded quota: q, requested: pods=1, "
	                           "used: pods=2, limited: pods=2");
	ck_assert_uint_eq(count("pods"), 2);
	/* another namespace is not limited */
	ck_assert_int_eq(try_pod("free", "p3", BARE), 0);
	ck_assert_uint_eq(stats(c).admitted, 2);
	ck_assert_uint_eq(stats(c).refused, 1);
	ck_assert_uint_eq(stats(c).charges, 2);
	settle();
	ck_assert_str_eq(used("ns", "q"), "{\"pods\":\"2\"}");
	/* the written status now holds what the charges held */
	ck_assert_uint_eq(stats(c).charges, 0);
	ck_assert_int_eq(try_pod("ns", "p4", BARE), KUBE_EPERM);
	ck_assert_str_eq(last_msg, "pods \"p4\" is forbidden: exceeded quota: q, requested: pods=1, "
	                           "used: pods=2, limited: pods=2");
	/* the usage was read from the stored pods' text: none expanded */
	for (int i = 1; i <= 2; i++) {
		kube_object *p = NULL;
		ck_assert_int_eq(kube_store_get(&p, st, "pods", "ns", i == 1 ? "p1" : "p2"), 0);
		ck_assert(!kube__object_has_tree(p));
		kube_object_unref(p);
	}
	kube_resourcequota_controller_free(c);
}
END_TEST

START_TEST(test_resourcequota_exceeded_resources_sorted)
{
	kube_resourcequota_controller *c = new_ctrl();

	quota("ns", "q", "{\"requests.memory\":\"1Gi\",\"pods\":\"1\",\"requests.cpu\":\"500m\","
	                 "\"limits.cpu\":\"10\"}", NULL);
	settle();
	ck_assert_int_eq(try_pod("ns", "a", "\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":"
	                                    "{\"cpu\":\"400m\"},\"requests\":{\"memory\":\"1Gi\"}}}]"), 0);
	/* every resource that would pass hard, by name; used as admission sees it */
	ck_assert_int_eq(try_pod("ns", "b", "\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":"
	                                    "{\"cpu\":\"200m\"},\"requests\":{\"memory\":\"512Mi\"}}}]"),
	                 KUBE_EPERM);
	ck_assert_str_eq(last_msg, "pods \"b\" is forbidden: exceeded quota: q, requested: "
	                           "pods=1,requests.cpu=200m,requests.memory=512Mi, used: "
	                           "pods=1,requests.cpu=400m,requests.memory=1Gi, limited: "
	                           "pods=1,requests.cpu=500m,requests.memory=1Gi");
	kube_resourcequota_controller_free(c);
}
END_TEST

START_TEST(test_resourcequota_must_specify)
{
	kube_resourcequota_controller *c = new_ctrl();

	quota("ns", "compute", "{\"limits.cpu\":\"2\",\"requests.memory\":\"1Gi\",\"pods\":\"9\"}", NULL);
	settle();
	ck_assert_int_eq(try_pod("ns", "p",
	        "\"containers\":[{\"name\":\"b\",\"resources\":{\"requests\":{\"memory\":\"1Mi\"}}},"
	        "{\"name\":\"a\"}],\"initContainers\":[{\"name\":\"i\"}]"), KUBE_EPERM);
	ck_assert_str_eq(last_msg, "pods \"p\" is forbidden: failed quota: compute: must specify "
	                           "limits.cpu for: a,b,i; requests.memory for: a,i");
	/* a limit alone stands for the request */
	ck_assert_int_eq(try_pod("ns", "q",
	        "\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{\"cpu\":\"1\","
	        "\"memory\":\"1Mi\"}}}]"), 0);
	kube_resourcequota_controller_free(c);
}
END_TEST

START_TEST(test_resourcequota_no_status_yet)
{
	kube_resourcequota_controller *c = new_ctrl();

	/* the controller never writes status here */
	kube_controller_stop(kube_resourcequota_controller_runner(c));
	quota("ns", "q", "{\"pods\":\"1\"}", NULL);
	settle();
	/* as upstream, admission reads status.hard: none yet, no limit */
	ck_assert_int_eq(try_pod("ns", "a", BARE), 0);
	ck_assert_int_eq(try_pod("ns", "b", BARE), 0);
	ck_assert_uint_eq(stats(c).admitted, 0);
	/* status.hard without the usage it names: refused until computed */
	create("{\"apiVersion\":\"v1\",\"kind\":\"ResourceQuota\",\"metadata\":{\"namespace\":\"ns2\","
	       "\"name\":\"half\"},\"spec\":{\"hard\":{\"pods\":\"1\",\"requests.cpu\":\"1\"}},"
	       "\"status\":{\"hard\":{\"pods\":\"1\",\"requests.cpu\":\"1\"},"
	       "\"used\":{\"pods\":\"0\"}}}");
	settle();
	ck_assert_int_eq(try_pod("ns2", "a", CPU("1")), KUBE_EPERM);
	ck_assert_str_eq(last_msg, "pods \"a\" is forbidden: status unknown for quota: half, "
	                           "resources: pods,requests.cpu");
	kube_resourcequota_controller_free(c);
}
END_TEST

typedef struct batch {
	int ok, refused;
	char msg[512];
} batch;

static void batch_cb(int status, kube_object *o, void *ud)
{
	batch *b = ud;
	(void)o;
	if (status == 0) {
		b->ok++;
	} else {
		if (b->refused++ == 0 && kube_error_last())
			snprintf(b->msg, sizeof(b->msg), "%s", kube_error_last()->message);
		ck_assert_int_eq(status, KUBE_EPERM);
	}
}

START_TEST(test_resourcequota_batched_creates_cannot_pass_together)
{
	kube_resourcequota_controller *c = new_ctrl();
	batch b = { 0, 0, "" };

	quota("ns", "q", "{\"pods\":\"10\"}", NULL);
	settle();
	for (int i = 0; i < 20; i++) {
		char buf[256];
		kube_object *o;
		snprintf(buf, sizeof(buf),
		         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\","
		         "\"name\":\"p%02d\"},\"spec\":{" BARE "}}", i);
		o = obj(buf);
		ck_assert_int_eq(kube_store_create_async_take(st, o, batch_cb, &b, NULL), 0);
	}
	for (int i = 0; i < 2000 && b.ok + b.refused < 20; i++)
		ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(b.ok, 10);
	ck_assert_int_eq(b.refused, 10);
	ck_assert_str_eq(b.msg, "pods \"p10\" is forbidden: exceeded quota: q, requested: pods=1, "
	                        "used: pods=10, limited: pods=10");
	settle();
	ck_assert_uint_eq(count("pods"), 10);
	ck_assert_str_eq(used("ns", "q"), "{\"pods\":\"10\"}");
	ck_assert_uint_eq(stats(c).charges, 0);
	kube_resourcequota_controller_free(c);
}
END_TEST

START_TEST(test_resourcequota_delete_frees_quota)
{
	kube_resourcequota_controller *c = new_ctrl();

	quota("ns", "q", "{\"pods\":\"2\"}", NULL);
	settle();
	ck_assert_int_eq(try_pod("ns", "a", BARE), 0);
	ck_assert_int_eq(try_pod("ns", "b", BARE), 0);
	settle();
	ck_assert_int_eq(try_pod("ns", "c", BARE), KUBE_EPERM);
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", "a", NULL), 0);
	settle();
	ck_assert_str_eq(used("ns", "q"), "{\"pods\":\"1\"}");
	ck_assert_int_eq(try_pod("ns", "c", BARE), 0);
	settle();
	ck_assert_str_eq(used("ns", "q"), "{\"pods\":\"2\"}");
	kube_resourcequota_controller_free(c);
}
END_TEST

/* A second hook that refuses one name after the quota's has charged it. */
static int refuse_doomed(const kube_admission_request *req, char *msg, size_t n, void *ud)
{
	(void)ud;
	if (req->name && strcmp(req->name, "doomed") == 0) {
		snprintf(msg, n, "no");
		return KUBE_EPERM;
	}
	return 0;
}

START_TEST(test_resourcequota_charge_of_failed_write_dropped)
{
	kube_resourcequota_controller *c = new_ctrl();

	quota("ns", "q", "{\"pods\":\"1\"}", NULL);
	settle();
	ck_assert_int_eq(kube_store_add_admission(st, "pods", refuse_doomed, NULL, NULL), 0);
	ck_assert_int_eq(try_pod("ns", "doomed", BARE), KUBE_EPERM);
	ck_assert_str_eq(last_msg, "pods \"doomed\" is forbidden: no");
	ck_assert_uint_eq(stats(c).charges, 1);
	/* the charge holds the quota until a sync sees the write never happened */
	ck_assert_int_eq(try_pod("ns", "a", BARE), KUBE_EPERM);
	create("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"namespace\":\"ns\","
	       "\"name\":\"cm\"}}");
	ck_assert_int_eq(kube_controller_enqueue(kube_resourcequota_controller_runner(c), "ns/q"), 0);
	settle();
	ck_assert_uint_eq(stats(c).charges, 0);
	ck_assert_int_eq(try_pod("ns", "a", BARE), 0);
	ck_assert_int_eq(kube_store_remove_admission(st, refuse_doomed, NULL), 0);
	kube_resourcequota_controller_free(c);
}
END_TEST

START_TEST(test_resourcequota_replicaset_stops_at_quota)
{
	kube_resourcequota_controller *c = new_ctrl();
	kube_workload_controller_options o = KUBE_WORKLOAD_CONTROLLER_OPTIONS_INIT;
	kube_replicaset_controller *rs = NULL;
	kube_object *r = NULL;
	const char *msg = NULL;

	o.clock = fake_clock;
	quota("ns", "q", "{\"pods\":\"3\"}", NULL);
	settle();
	ck_assert_int_eq(kube_replicaset_controller_new(&rs, fac, st, "ReplicaSet", &o), 0);
	create("{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"namespace\":\"ns\","
	       "\"name\":\"web\"},\"spec\":{\"replicas\":5,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
	       "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{" BARE "}}}}");
	settle();
	ck_assert_uint_eq(count("pods"), 3);
	ck_assert_str_eq(used("ns", "q"), "{\"pods\":\"3\"}");
	/* the two creates past the quota were refused, twice: at the first
	 * sync and when its pods' events brought it back; the ReplicaSet
	 * reports FailedCreate with the store's Forbidden message */
	ck_assert_uint_eq(stats(c).refused, 4);
	ck_assert_int_eq(kube_store_get(&r, st, "replicasets", "ns", "web"), 0);
	ck_assert_int_eq(kube_object_get_string(r, "status.conditions[0].reason", &msg), 0);
	ck_assert_str_eq(msg, "FailedCreate");
	ck_assert_int_eq(kube_object_get_string(r, "status.conditions[0].message", &msg), 0);
	ck_assert_int_eq(strncmp(msg, "pods \"web-", 10), 0);
	ck_assert_str_eq(msg + 15, "\" is forbidden: exceeded quota: q, requested: pods=1, used: "
	                           "pods=3, limited: pods=3");
	kube_object_unref(r);
	/* its retries, after backoff, are refused too */
	fake_now += 10 * SEC;
	settle();
	ck_assert_int_ge(kube_controller_process(kube_replicaset_controller_runner(rs)), 0);
	settle();
	ck_assert_uint_eq(count("pods"), 3);
	/* more quota: the ReplicaSet finishes */
	{
		kube_object *q = NULL, *m = NULL;
		ck_assert_int_eq(kube_store_get(&q, st, "resourcequotas", "ns", "q"), 0);
		ck_assert_int_eq(kube_object_mutable(&m, q), 0);
		ck_assert_int_eq(kube_object_set_string(m, "spec.hard.pods", "5"), 0);
		ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
		kube_object_unref(m);
		kube_object_unref(q);
	}
	settle();
	fake_now += 100 * SEC;
	ck_assert_int_ge(kube_controller_process(kube_replicaset_controller_runner(rs)), 0);
	settle();
	ck_assert_uint_eq(count("pods"), 5);
	ck_assert_str_eq(used("ns", "q"), "{\"pods\":\"5\"}");
	kube_replicaset_controller_free(rs);
	kube_resourcequota_controller_free(c);
}
END_TEST

START_TEST(test_resourcequota_scopes)
{
	kube_resourcequota_controller *c = new_ctrl();

	quota("ns", "be", "{\"pods\":\"1\"}", "\"scopes\":[\"BestEffort\"]");
	quota("ns", "nbe", "{\"pods\":\"5\",\"requests.cpu\":\"1\"}", "\"scopes\":[\"NotBestEffort\"]");
	quota("ns", "term", "{\"pods\":\"1\"}", "\"scopes\":[\"Terminating\"]");
	quota("ns", "high", "{\"pods\":\"1\"}",
	      "\"scopeSelector\":{\"matchExpressions\":[{\"scopeName\":\"PriorityClass\","
	      "\"operator\":\"In\",\"values\":[\"high\"]}]}");
	/* a scoped quota counts no other kind */
	quota("ns", "cms", "{\"configmaps\":\"0\"}", "\"scopes\":[\"NotTerminating\"]");
	settle();
	ck_assert_int_eq(try_pod("ns", "be1", BARE), 0);
	ck_assert_int_eq(try_pod("ns", "be2", BARE), KUBE_EPERM);
	ck_assert_str_eq(last_msg, "pods \"be2\" is forbidden: exceeded quota: be, requested: pods=1, "
	                           "used: pods=1, limited: pods=1");
	ck_assert_int_eq(try_pod("ns", "burst", CPU("500m")), 0);
	ck_assert_int_eq(try_pod("ns", "job", "\"activeDeadlineSeconds\":30," CPU("100m")), 0);
	ck_assert_int_eq(try_pod("ns", "job2", "\"activeDeadlineSeconds\":0," CPU("100m")), KUBE_EPERM);
	ck_assert_str_eq(last_msg, "pods \"job2\" is forbidden: exceeded quota: term, requested: "
	                           "pods=1, used: pods=1, limited: pods=1");
	ck_assert_int_eq(try_pod("ns", "hi", "\"priorityClassName\":\"high\"," CPU("100m")), 0);
	ck_assert_int_eq(try_pod("ns", "hi2", "\"priorityClassName\":\"high\"," CPU("100m")),
	                 KUBE_EPERM);
	ck_assert_str_eq(last_msg, "pods \"hi2\" is forbidden: exceeded quota: high, requested: "
	                           "pods=1, used: pods=1, limited: pods=1");
	ck_assert_int_eq(try_pod("ns", "lo", "\"priorityClassName\":\"low\"," CPU("100m")), 0);
	create("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"namespace\":\"ns\","
	       "\"name\":\"cm\"}}");
	settle();
	ck_assert_str_eq(used("ns", "be"), "{\"pods\":\"1\"}");
	ck_assert_str_eq(used("ns", "nbe"), "{\"pods\":\"4\",\"requests.cpu\":\"800m\"}");
	ck_assert_str_eq(used("ns", "term"), "{\"pods\":\"1\"}");
	ck_assert_str_eq(used("ns", "high"), "{\"pods\":\"1\"}");
	ck_assert_str_eq(used("ns", "cms"), "{\"configmaps\":\"0\"}");
	/* requests.cpu of NotBestEffort: 800m + 300m > 1 */
	ck_assert_int_eq(try_pod("ns", "big", CPU("300m")), KUBE_EPERM);
	ck_assert_str_eq(last_msg, "pods \"big\" is forbidden: exceeded quota: nbe, requested: "
	                           "requests.cpu=300m, used: requests.cpu=800m, limited: requests.cpu=1");
	kube_resourcequota_controller_free(c);
}
END_TEST

START_TEST(test_resourcequota_object_counts)
{
	kube_resourcequota_controller *c = new_ctrl();
	const char *deploy = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
	                     "{\"namespace\":\"ns\",\"name\":\"%s\"},\"spec\":{\"selector\":"
	                     "{\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"metadata\":{\"labels\":"
	                     "{\"a\":\"b\"}},\"spec\":{" BARE "}}}}";
	char buf[1024];

	quota("ns", "q", "{\"count/deployments.apps\":\"1\",\"secrets\":\"1\",\"count/secrets\":\"5\","
	                 "\"resourcequotas\":\"1\"}", NULL);
	settle();
	snprintf(buf, sizeof(buf), deploy, "d1");
	ck_assert_int_eq(try_create(buf), 0);
	snprintf(buf, sizeof(buf), deploy, "d2");
	ck_assert_int_eq(try_create(buf), KUBE_EPERM);
	ck_assert_str_eq(last_msg, "deployments.apps \"d2\" is forbidden: exceeded quota: q, requested: "
	                           "count/deployments.apps=1, used: count/deployments.apps=1, limited: "
	                           "count/deployments.apps=1");
	ck_assert_int_eq(try_create("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":"
	                            "{\"namespace\":\"ns\",\"name\":\"s1\"}}"), 0);
	ck_assert_int_eq(try_create("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":"
	                            "{\"namespace\":\"ns\",\"name\":\"s2\"}}"), KUBE_EPERM);
	ck_assert_str_eq(last_msg, "secrets \"s2\" is forbidden: exceeded quota: q, requested: "
	                           "secrets=1, used: secrets=1, limited: secrets=1");
	/* the quota counts itself: a second one is refused */
	ck_assert_int_eq(try_create("{\"apiVersion\":\"v1\",\"kind\":\"ResourceQuota\",\"metadata\":"
	                            "{\"namespace\":\"ns\",\"name\":\"q2\"},\"spec\":{\"hard\":{}}}"),
	                 KUBE_EPERM);
	ck_assert_str_eq(last_msg, "resourcequotas \"q2\" is forbidden: exceeded quota: q, requested: "
	                           "resourcequotas=1, used: resourcequotas=1, limited: resourcequotas=1");
	settle();
	ck_assert_str_eq(used("ns", "q"), "{\"count/deployments.apps\":\"1\",\"count/secrets\":\"1\","
	                                  "\"resourcequotas\":\"1\",\"secrets\":\"1\"}");
	kube_resourcequota_controller_free(c);
}
END_TEST

static int make_nodeport(kube_object *s, void *ud)
{
	(void)ud;
	return kube_object_set_string(s, "spec.type", "NodePort");
}

START_TEST(test_resourcequota_services_and_claims)
{
	kube_resourcequota_controller *c = new_ctrl();

	quota("ns", "q", "{\"services\":\"5\",\"services.loadbalancers\":\"1\","
	                 "\"services.nodeports\":\"2\",\"requests.storage\":\"10Gi\","
	                 "\"persistentvolumeclaims\":\"5\","
	                 "\"gold.storageclass.storage.k8s.io/requests.storage\":\"5Gi\"}", NULL);
	settle();
	create("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"namespace\":\"ns\","
	       "\"name\":\"lb\"},\"spec\":{\"type\":\"LoadBalancer\",\"ports\":[{\"port\":80},"
	       "{\"port\":443}]}}");
	create("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"namespace\":\"ns\","
	       "\"name\":\"s2\"},\"spec\":{\"ports\":[{\"port\":80}]}}");
	create("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"namespace\":"
	       "\"ns\",\"name\":\"g\"},\"spec\":{\"storageClassName\":\"gold\",\"resources\":"
	       "{\"requests\":{\"storage\":\"3Gi\"}}}}");
	create("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"namespace\":"
	       "\"ns\",\"name\":\"plain\"},\"spec\":{\"resources\":{\"requests\":{\"storage\":\"4Gi\"}}}}");
	settle();
	ck_assert_str_eq(used("ns", "q"),
	                 "{\"gold.storageclass.storage.k8s.io/requests.storage\":\"3Gi\","
	                 "\"persistentvolumeclaims\":\"2\",\"requests.storage\":\"7Gi\","
	                 "\"services\":\"2\",\"services.loadbalancers\":\"1\","
	                 "\"services.nodeports\":\"2\"}");
	ck_assert_int_eq(try_create("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\","
	                            "\"metadata\":{\"namespace\":\"ns\",\"name\":\"g2\"},\"spec\":"
	                            "{\"storageClassName\":\"gold\",\"resources\":{\"requests\":"
	                            "{\"storage\":\"3Gi\"}}}}"), KUBE_EPERM);
	ck_assert_str_eq(last_msg, "persistentvolumeclaims \"g2\" is forbidden: exceeded quota: q, "
	                           "requested: gold.storageclass.storage.k8s.io/requests.storage=3Gi, "
	                           "used: gold.storageclass.storage.k8s.io/requests.storage=3Gi, "
	                           "limited: gold.storageclass.storage.k8s.io/requests.storage=5Gi");
	/* an update is charged for what it adds: a ClusterIP made NodePort */
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "services", "ns", "s2", make_nodeport,
	                                              NULL), KUBE_EPERM);
	ck_assert_str_eq(kube_error_last()->message,
	                 "services \"s2\" is forbidden: exceeded quota: q, requested: "
	                 "services.nodeports=1, used: services.nodeports=2, limited: services.nodeports=2");
	kube_resourcequota_controller_free(c);
}
END_TEST

START_TEST(test_resourcequota_deleting_pod_after_grace)
{
	kube_resourcequota_controller *c = new_ctrl();
	kube_controller *r = kube_resourcequota_controller_runner(c);

	quota("ns", "q", "{\"pods\":\"2\",\"count/pods\":\"5\"}", NULL);
	create("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\",\"name\":"
	       "\"stuck\",\"finalizers\":[\"example.com/hold\"]},\"spec\":{" BARE "}}");
	settle();
	/* deleting with a finalizer leaves it stored, with a grace of 0 s */
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", "stuck", NULL), 0);
	fake_now = (int64_t)time(NULL) * SEC - 5 * SEC;
	settle();
	/* within its grace it still counts */
	ck_assert_str_eq(used("ns", "q"), "{\"count/pods\":\"1\",\"pods\":\"1\"}");
	/* past it, only count/pods (it is still in storage) */
	fake_now = (int64_t)time(NULL) * SEC + 5 * SEC;
	ck_assert_int_eq(kube_controller_enqueue(r, "ns/q"), 0);
	settle();
	ck_assert_str_eq(used("ns", "q"), "{\"count/pods\":\"1\",\"pods\":\"0\"}");
	kube_resourcequota_controller_free(c);
}
END_TEST

static int grow_claim(kube_object *p, void *ud)
{
	return kube_object_set_string(p, "spec.resources.requests.storage", ud);
}

START_TEST(test_resourcequota_claim_expansion_charged)
{
	kube_resourcequota_controller *c = new_ctrl();

	quota("ns", "q", "{\"requests.storage\":\"10Gi\"}", NULL);
	create("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"namespace\":"
	       "\"ns\",\"name\":\"data\"},\"spec\":{\"resources\":{\"requests\":{\"storage\":\"4Gi\"}}}}");
	settle();
	ck_assert_str_eq(used("ns", "q"), "{\"requests.storage\":\"4Gi\"}");
	/* growing by 6Gi fits; by 7Gi does not; the delta is what is asked */
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "persistentvolumeclaims", "ns", "data",
	                                              grow_claim, "11Gi"), KUBE_EPERM);
	ck_assert_str_eq(kube_error_last()->message,
	                 "persistentvolumeclaims \"data\" is forbidden: exceeded quota: q, requested: "
	                 "requests.storage=7Gi, used: requests.storage=4Gi, limited: "
	                 "requests.storage=10Gi");
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "persistentvolumeclaims", "ns", "data",
	                                              grow_claim, "10Gi"), 0);
	settle();
	ck_assert_str_eq(used("ns", "q"), "{\"requests.storage\":\"10Gi\"}");
	/* a fraction of a byte is charged as a whole byte */
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "persistentvolumeclaims", "ns", "data",
	                                              grow_claim, "4Gi"), 0);
	settle();
	create("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"namespace\":"
	       "\"ns\",\"name\":\"odd\"},\"spec\":{\"resources\":{\"requests\":{\"storage\":\"1500m\"}}}}");
	settle();
	ck_assert_str_eq(used("ns", "q"), "{\"requests.storage\":\"4294967298\"}");
	kube_resourcequota_controller_free(c);
}
END_TEST

/* A sync that runs after an update was applied but before the informer
 * saw it finds the old version in the cache: same uid, without the
 * growth.  The charge must outlive that sync, or a second claim passes. */
static kube_controller *race_runner;

static void race_grow(void *ud)
{
	(void)ud;
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "persistentvolumeclaims", "ns", "a",
	                                              grow_claim, "9Gi"), 0);
}

static void race_create(void *ud)
{
	(void)ud;
	ck_assert_int_eq(try_create("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\","
	                            "\"metadata\":{\"namespace\":\"ns\",\"name\":\"b\"},\"spec\":"
	                            "{\"resources\":{\"requests\":{\"storage\":\"5Gi\"}}}}"),
	                 KUBE_EPERM);
	ck_assert_str_eq(kube_error_last()->message,
	                 "persistentvolumeclaims \"b\" is forbidden: exceeded quota: q, requested: "
	                 "requests.storage=5Gi, used: requests.storage=9Gi, limited: "
	                 "requests.storage=10Gi");
}

START_TEST(test_resourcequota_update_charge_outlives_stale_cache)
{
	kube_resourcequota_controller *c = new_ctrl();

	race_runner = kube_resourcequota_controller_runner(c);
	quota("ns", "q", "{\"requests.storage\":\"10Gi\"}", NULL);
	create("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"namespace\":"
	       "\"ns\",\"name\":\"a\"},\"spec\":{\"resources\":{\"requests\":{\"storage\":\"4Gi\"}}}}");
	settle();
	ck_assert_str_eq(used("ns", "q"), "{\"requests.storage\":\"4Gi\"}");
	/* grow and queue a sync, then (the sync having run against the stale
	 * cache in between) create a second claim */
	ck_assert_int_eq(kube_loop_post(loop, race_grow, NULL, NULL), 0);
	ck_assert_int_eq(kube_controller_enqueue(race_runner, "ns/q"), 0);
	ck_assert_int_eq(kube_loop_post(loop, race_create, NULL, NULL), 0);
	settle();
	ck_assert_str_eq(used("ns", "q"), "{\"requests.storage\":\"9Gi\"}");
	ck_assert_int_eq(count("persistentvolumeclaims"), 1);
	kube_resourcequota_controller_free(c);
}
END_TEST

START_TEST(test_resourcequota_more_scopes)
{
	kube_resourcequota_controller *c = new_ctrl();
	const char *xns = "\"affinity\":{\"podAffinity\":{\"preferredDuringSchedulingIgnoredDuring"
	                  "Execution\":[{\"weight\":1,\"podAffinityTerm\":{\"topologyKey\":\"zone\","
	                  "\"namespaceSelector\":{}}}]}},";
	char spec[1024];

	quota("ns", "xns", "{\"pods\":\"0\"}", "\"scopes\":[\"CrossNamespacePodAffinity\"]");
	quota("ns", "notin", "{\"count/pods\":\"9\"}",
	      "\"scopeSelector\":{\"matchExpressions\":[{\"scopeName\":\"PriorityClass\","
	      "\"operator\":\"NotIn\",\"values\":[\"high\",\"low\"]}]}");
	quota("ns", "any", "{\"count/pods\":\"9\"}",
	      "\"scopeSelector\":{\"matchExpressions\":[{\"scopeName\":\"PriorityClass\","
	      "\"operator\":\"Exists\"}]}");
	quota("ns", "none", "{\"count/pods\":\"9\"}",
	      "\"scopeSelector\":{\"matchExpressions\":[{\"scopeName\":\"PriorityClass\","
	      "\"operator\":\"DoesNotExist\"}]}");
	settle();
	snprintf(spec, sizeof(spec), "%s" BARE, xns);
	ck_assert_int_eq(try_pod("ns", "far", spec), KUBE_EPERM);
	ck_assert_str_eq(last_msg, "pods \"far\" is forbidden: exceeded quota: xns, requested: pods=1, "
	                           "used: pods=0, limited: pods=0");
	ck_assert_int_eq(try_pod("ns", "near", BARE), 0);
	ck_assert_int_eq(try_pod("ns", "mid", "\"priorityClassName\":\"mid\"," BARE), 0);
	ck_assert_int_eq(try_pod("ns", "lo", "\"priorityClassName\":\"low\"," BARE), 0);
	settle();
	ck_assert_str_eq(used("ns", "notin"), "{\"count/pods\":\"2\"}");   /* near, mid */
	ck_assert_str_eq(used("ns", "any"), "{\"count/pods\":\"2\"}");     /* mid, lo */
	ck_assert_str_eq(used("ns", "none"), "{\"count/pods\":\"1\"}");    /* near */
	ck_assert_str_eq(used("ns", "xns"), "{\"pods\":\"0\"}");
	kube_resourcequota_controller_free(c);
}
END_TEST

/* Before its quotas are listed the hook cannot know them: it refuses
 * what it would check, and lets the rest be. */
START_TEST(test_resourcequota_refuses_until_quotas_listed)
{
	kube_resourcequota_options o = KUBE_RESOURCEQUOTA_OPTIONS_INIT;
	kube_resourcequota_controller *c = NULL;

	o.clock = fake_clock;
	ck_assert_int_eq(kube_resourcequota_controller_new(&c, fac, st, &o), 0);
	ck_assert_int_eq(try_pod("ns", "early", BARE), KUBE_EPERM);
	ck_assert_str_eq(last_msg, "pods \"early\" is forbidden: not yet ready to handle request");
	ck_assert_uint_eq(stats(c).refused, 1);
	/* not checked by quota: no namespace, an event, an update of a pod */
	create("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"}}");
	create("{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"namespace\":\"ns\","
	       "\"name\":\"e1\"},\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"early\"}}");
	ck_assert_uint_eq(count("pods"), 0);
	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	ck_assert_int_eq(try_pod("ns", "late", BARE), 0);
	ck_assert_uint_eq(count("pods"), 1);
	ck_assert_uint_eq(stats(c).refused, 1);
	kube_resourcequota_controller_free(c);
}
END_TEST

START_TEST(test_resourcequota_options_and_args)
{
	kube_resourcequota_options o;
	kube_resourcequota_controller *c = NULL;
	kube_resourcequota_stats s;

	ck_assert_int_eq(kube_resourcequota_options_init(&o, 0), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "kube_resourcequota_options_init: unknown version 0");
	ck_assert_int_eq(kube_resourcequota_options_init(NULL, 1), KUBE_EINVAL);
	ck_assert_int_eq(kube_resourcequota_options_init(&o, KUBE_RESOURCEQUOTA_OPTIONS_VERSION), 0);
	ck_assert_uint_eq(o.workers, 5);
	ck_assert_int_eq(o.resync_period_ns, 300 * SEC);
	ck_assert_ptr_null(o.clock);
	o.workers = 0;
	ck_assert_int_eq(kube_resourcequota_controller_new(&c, fac, st, &o), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "kube_resourcequota_controller_new: workers must be >= 1");
	ck_assert_ptr_null(c);
	o.workers = 1;
	o.resync_period_ns = 0;
	ck_assert_int_eq(kube_resourcequota_controller_new(&c, fac, st, &o), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "kube_resourcequota_controller_new: resync_period_ns must be > 0");
	o.version = 2;
	ck_assert_int_eq(kube_resourcequota_controller_new(&c, fac, st, &o), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "kube_resourcequota_controller_new: unknown options version 2");
	ck_assert_int_eq(kube_resourcequota_controller_new(&c, NULL, st, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_resourcequota_controller_new(&c, fac, NULL, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_resourcequota_controller_new(NULL, fac, st, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_resourcequota_controller_new(&c, fac, st, NULL), 0);
	s.version = 0;
	ck_assert_int_eq(kube_resourcequota_controller_get_stats(c, &s), KUBE_EINVAL);
	ck_assert_int_eq(kube_resourcequota_controller_get_stats(NULL, &s), KUBE_EINVAL);
	s.version = KUBE_RESOURCEQUOTA_STATS_VERSION;
	ck_assert_int_eq(kube_resourcequota_controller_get_stats(c, &s), 0);
	ck_assert_uint_eq(s.status_writes, 0);
	ck_assert_ptr_null(kube_resourcequota_controller_runner(NULL));
	kube_resourcequota_controller_free(c);
	kube_resourcequota_controller_free(NULL);
	/* the hook went with the controller: nothing is refused */
	quota("ns", "q", "{\"pods\":\"0\"}", NULL);
	ck_assert_int_eq(try_pod("ns", "a", BARE), 0);
}
END_TEST

static Suite *resourcequota_suite(void)
{
	Suite *s = suite_create("resourcequota");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_resourcequota_status_mirrors_hard_and_sums_used);
	tcase_add_test(tc, test_resourcequota_pod_requests_as_upstream);
	tcase_add_test(tc, test_resourcequota_terminal_pods_free_pods_not_count);
	tcase_add_test(tc, test_resourcequota_no_write_when_unchanged);
	tcase_add_test(tc, test_resourcequota_refuses_third_pod);
	tcase_add_test(tc, test_resourcequota_exceeded_resources_sorted);
	tcase_add_test(tc, test_resourcequota_must_specify);
	tcase_add_test(tc, test_resourcequota_no_status_yet);
	tcase_add_test(tc, test_resourcequota_batched_creates_cannot_pass_together);
	tcase_add_test(tc, test_resourcequota_delete_frees_quota);
	tcase_add_test(tc, test_resourcequota_charge_of_failed_write_dropped);
	tcase_add_test(tc, test_resourcequota_replicaset_stops_at_quota);
	tcase_add_test(tc, test_resourcequota_scopes);
	tcase_add_test(tc, test_resourcequota_object_counts);
	tcase_add_test(tc, test_resourcequota_services_and_claims);
	tcase_add_test(tc, test_resourcequota_deleting_pod_after_grace);
	tcase_add_test(tc, test_resourcequota_claim_expansion_charged);
	tcase_add_test(tc, test_resourcequota_update_charge_outlives_stale_cache);
	tcase_add_test(tc, test_resourcequota_more_scopes);
	tcase_add_test(tc, test_resourcequota_refuses_until_quotas_listed);
	tcase_add_test(tc, test_resourcequota_options_and_args);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(resourcequota_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
