/*
 * test_controllers.c - the built-in workload controllers against the
 * memory store, in the style of upstream's controller tests: the
 * ReplicaSet controller creates pods with owner references and generated
 * names, honours burstReplicas and its expectations, adopts orphans and
 * releases pods that stop matching, brings killed pods back, deletes the
 * pods upstream would delete first, and reports status (ready, available
 * after minReadySeconds, fullyLabeled, observedGeneration); the same for
 * a ReplicationController.  Pod readiness is driven by the test; the wall
 * clock the controllers read is fake.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libkube/kube.h"
#include "controllers/controllers_private.h"

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
	/* the store stamps creationTimestamp with the real time: start there */
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

/* Runs the loop until events, handlers and reconciles have all settled. */
static void settle(void)
{
	for (int i = 0; i < 200; i++)
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
}

static kube_object *obj(const char *json)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_object_from_json(&o, json, strlen(json)), 0);
	return o;
}

static void create(const char *json)
{
	kube_object *o = obj(json);
	ck_assert_int_eq(kube_store_create(NULL, st, o), 0);
	kube_object_unref(o);
}

static void create_rs(const char *name, int replicas, int min_ready)
{
	char buf[1024];
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"namespace\":\"ns\","
	         "\"name\":\"%s\"},\"spec\":{\"replicas\":%d,\"minReadySeconds\":%d,"
	         "\"selector\":{\"matchLabels\":{\"app\":\"%s\"}},\"template\":{\"metadata\":"
	         "{\"labels\":{\"app\":\"%s\",\"tier\":\"fe\"},\"annotations\":{\"a\":\"b\"}},"
	         "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}}}",
	         name, replicas, min_ready, name, name);
	create(buf);
}

static kube_replicaset_controller *new_rs_ctrl(const char *kind, unsigned int burst)
{
	kube_workload_controller_options o = KUBE_WORKLOAD_CONTROLLER_OPTIONS_INIT;
	kube_replicaset_controller *c = NULL;

	o.clock = fake_clock;
	o.burst_replicas = burst;
	ck_assert_int_eq(kube_replicaset_controller_new(&c, fac, st, kind, &o), 0);
	return c;
}

static kube_object_list *pods(void)
{
	kube_object_list *l = NULL;
	ck_assert_int_eq(kube_store_list(&l, st, "pods", NULL, NULL, NULL), 0);
	return l;
}

static size_t pod_count(void)
{
	kube_object_list *l = pods();
	size_t n = kube_object_list_count(l);
	kube_object_list_free(l);
	return n;
}

static kube_object *get(const char *res, const char *name)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_store_get(&o, st, res, "ns", name), 0);
	return o;
}

static int64_t status_of(const char *res, const char *name, const char *field)
{
	kube_object *o = get(res, name);
	char path[64];
	int64_t v = 0;
	snprintf(path, sizeof(path), "status.%s", field);
	if (kube_object_get_int(o, path, &v) != 0)
		v = 0;   /* omitted when zero */
	kube_object_unref(o);
	return v;
}

/* ---- changing pods as a kubelet would ---- */

typedef struct pod_edit {
	const char *node;
	const char *phase;
	int ready;                /* -1 leave, 0 not ready, 1 ready */
	int64_t ready_since;      /* ns */
	const char *labels_json;  /* replaces metadata.labels */
	const char *cost;
	int restarts;
} pod_edit;

static int edit_pod(kube_object *p, void *ud)
{
	pod_edit *e = ud;
	char buf[256];
	int rc = 0;

	if (e->node)
		rc = kube_object_set_string(p, "spec.nodeName", e->node);
	if (!rc && e->phase)
		rc = kube_object_set_string(p, "status.phase", e->phase);
	if (!rc && e->ready >= 0) {
		time_t t = (time_t)(e->ready_since / SEC);
		struct tm tm;
		char ts[32];
		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(buf, sizeof(buf),
		         "[{\"type\":\"Ready\",\"status\":\"%s\",\"lastTransitionTime\":\"%s\"}]",
		         e->ready ? "True" : "False", ts);
		rc = kube_object_set_json(p, "status.conditions", buf);
	}
	if (!rc && e->labels_json)
		rc = kube_object_set_json(p, "metadata.labels", e->labels_json);
	if (!rc && e->cost)
		rc = kube_object_set_annotation(p, "controller.kubernetes.io/pod-deletion-cost", e->cost);
	if (!rc && e->restarts) {
		snprintf(buf, sizeof(buf), "[{\"name\":\"c\",\"restartCount\":%d}]", e->restarts);
		rc = kube_object_set_json(p, "status.containerStatuses", buf);
	}
	return rc;
}

static void edit(const char *name, pod_edit e)
{
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "pods", "ns", name, edit_pod, &e), 0);
}

static pod_edit running_ready(const char *node, int64_t since)
{
	pod_edit e = { node, "Running", 1, since, NULL, NULL, 0 };
	return e;
}

/* Names of the pods, sorted, comma-separated (a static buffer). */
static const char *pod_names(void)
{
	static char buf[2048];
	kube_object_list *l = pods();
	buf[0] = 0;
	for (size_t i = 0; i < kube_object_list_count(l); i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "," : "",
		         kube_object_name(kube_object_list_get(l, i)));
	kube_object_list_free(l);
	return buf;
}

static void set_replicas(const char *res, const char *name, int replicas)
{
	kube_object *o = get(res, name), *m = NULL;
	ck_assert_int_eq(kube_object_mutable(&m, o), 0);
	ck_assert_int_eq(kube_object_set_int(m, "spec.replicas", replicas), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
	kube_object_unref(m);
	kube_object_unref(o);
}

/* ---- ReplicaSet ---- */

START_TEST(test_controllers_rs_creates_pods_with_owner_refs)
{
	kube_replicaset_controller *c = new_rs_ctrl("ReplicaSet", 500);
	kube_object *rs;
	kube_object_list *l;

	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	create_rs("web", 3, 0);
	settle();
	l = pods();
	ck_assert_uint_eq(kube_object_list_count(l), 3);
	rs = get("replicasets", "web");
	for (size_t i = 0; i < 3; i++) {
		kube_object *p = kube_object_list_get(l, i);
		const char *name = kube_object_name(p), *img;
		kube_owner_ref ref;
		/* "web-" + 5 characters of bcdfghjklmnpqrstvwxz2456789 */
		ck_assert_uint_eq(strlen(name), 9);
		ck_assert(strncmp(name, "web-", 4) == 0);
		ck_assert_uint_eq(strspn(name + 4, "bcdfghjklmnpqrstvwxz2456789"), 5);
		ck_assert_str_eq(kube_object_generate_name(p), "web-");
		ck_assert_uint_eq(kube_object_owner_ref_count(p), 1);
		ck_assert_int_eq(kube_object_controller_ref(p, &ref), 0);
		ck_assert_str_eq(ref.api_version, "apps/v1");
		ck_assert_str_eq(ref.kind, "ReplicaSet");
		ck_assert_str_eq(ref.name, "web");
		ck_assert_str_eq(ref.uid, kube_object_uid(rs));
		ck_assert_int_eq(ref.controller, 1);
		ck_assert_int_eq(ref.block_owner_deletion, 1);
		ck_assert_str_eq(kube_labels_get(kube_object_labels(p), "tier"), "fe");
		ck_assert_str_eq(kube_object_annotation(p, "a"), "b");
		ck_assert_int_eq(kube_object_get_string(p, "spec.containers[0].image", &img), 0);
		ck_assert_str_eq(img, "nginx");
	}
	kube_object_list_free(l);
	kube_object_unref(rs);
	ck_assert_int_eq(status_of("replicasets", "web", "replicas"), 3);
	ck_assert_int_eq(status_of("replicasets", "web", "fullyLabeledReplicas"), 3);
	ck_assert_int_eq(status_of("replicasets", "web", "readyReplicas"), 0);
	ck_assert_int_eq(status_of("replicasets", "web", "availableReplicas"), 0);
	ck_assert_int_eq(status_of("replicasets", "web", "observedGeneration"), 1);
	kube_replicaset_controller_free(c);
}
END_TEST

START_TEST(test_controllers_rs_burst_and_expectations)
{
	kube_replicaset_controller *c = new_rs_ctrl("ReplicaSet", 2);
	kube_controller *r = kube_replicaset_controller_runner(c);

	create_rs("web", 5, 0);
	/* the informer lists the ReplicaSet and enqueues it; reconcile by hand */
	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	ck_assert_int_eq(kube_controller_process(r), 1);
	ck_assert_uint_eq(pod_count(), 2);          /* burstReplicas */
	/* the informer has not seen the two pods yet: the expectations hold
	 * the next sync back from creating them again */
	kube_controller_enqueue(r, "ns/web");
	ck_assert_int_eq(kube_controller_process(r), 1);
	ck_assert_uint_eq(pod_count(), 2);
	settle();
	ck_assert_uint_eq(pod_count(), 5);
	ck_assert_int_eq(status_of("replicasets", "web", "replicas"), 5);
	kube_controller_stats s = { .version = KUBE_CONTROLLER_STATS_VERSION };
	ck_assert_int_eq(kube_controller_get_stats(r, &s), 0);
	ck_assert_uint_eq(s.errors, 0);
	kube_replicaset_controller_free(c);
}
END_TEST

START_TEST(test_controllers_rs_replaces_killed_pods)
{
	kube_replicaset_controller *c = new_rs_ctrl("ReplicaSet", 500);
	kube_object_list *l;
	char victim[64];

	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	create_rs("web", 3, 0);
	settle();
	l = pods();
	snprintf(victim, sizeof(victim), "%s", kube_object_name(kube_object_list_get(l, 1)));
	kube_object_list_free(l);
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", victim, NULL), 0);
	settle();
	ck_assert_uint_eq(pod_count(), 3);
	ck_assert_ptr_null(strstr(pod_names(), victim));
	/* scale to zero and back */
	set_replicas("replicasets", "web", 0);
	settle();
	ck_assert_uint_eq(pod_count(), 0);
	ck_assert_int_eq(status_of("replicasets", "web", "observedGeneration"), 2);
	set_replicas("replicasets", "web", 2);
	settle();
	ck_assert_uint_eq(pod_count(), 2);
	ck_assert_int_eq(status_of("replicasets", "web", "replicas"), 2);
	ck_assert_int_eq(status_of("replicasets", "web", "observedGeneration"), 3);
	kube_replicaset_controller_free(c);
}
END_TEST

START_TEST(test_controllers_rs_adopts_and_releases)
{
	kube_replicaset_controller *c = new_rs_ctrl("ReplicaSet", 500);
	kube_object *p, *rs;
	kube_owner_ref ref;

	/* an orphan that matches, one that does not, one owned by someone else */
	create("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\",\"name\":\"orphan\","
	       "\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}");
	create("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\",\"name\":\"stranger\","
	       "\"labels\":{\"app\":\"db\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}");
	create("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\",\"name\":\"owned\","
	       "\"labels\":{\"app\":\"web\"},\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\","
	       "\"name\":\"other\",\"uid\":\"1234\",\"controller\":true}]},"
	       "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}");
	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	create_rs("web", 2, 0);
	settle();
	rs = get("replicasets", "web");
	p = get("pods", "orphan");
	ck_assert_int_eq(kube_object_controller_ref(p, &ref), 0);
	ck_assert_str_eq(ref.uid, kube_object_uid(rs));
	ck_assert_int_eq(ref.block_owner_deletion, 1);
	kube_object_unref(p);
	p = get("pods", "stranger");
	ck_assert_uint_eq(kube_object_owner_ref_count(p), 0);
	kube_object_unref(p);
	p = get("pods", "owned");
	ck_assert_int_eq(kube_object_controller_ref(p, &ref), 0);
	ck_assert_str_eq(ref.uid, "1234");
	kube_object_unref(p);
	/* orphan adopted + one created: 2 of ours, 5 pods... no: 4 in all */
	ck_assert_uint_eq(pod_count(), 4);
	ck_assert_int_eq(status_of("replicasets", "web", "replicas"), 2);
	/* the adopted pod lacks the template's tier label */
	ck_assert_int_eq(status_of("replicasets", "web", "fullyLabeledReplicas"), 1);

	/* relabelled out of the selector: released, and replaced */
	pod_edit e = { NULL, NULL, -1, 0, "{\"app\":\"debug\"}", NULL, 0 };
	edit("orphan", e);
	settle();
	p = get("pods", "orphan");
	ck_assert_uint_eq(kube_object_owner_ref_count(p), 0);
	kube_object_unref(p);
	ck_assert_uint_eq(pod_count(), 5);
	ck_assert_int_eq(status_of("replicasets", "web", "replicas"), 2);
	ck_assert_int_eq(status_of("replicasets", "web", "fullyLabeledReplicas"), 2);
	kube_object_unref(rs);
	kube_replicaset_controller_free(c);
}
END_TEST

/* Creates `n` pods of "web" and returns their names in the order created. */
static void names_of(char names[][64], size_t n)
{
	kube_object_list *l = pods();
	ck_assert_uint_eq(kube_object_list_count(l), n);
	for (size_t i = 0; i < n; i++)
		snprintf(names[i], 64, "%s", kube_object_name(kube_object_list_get(l, i)));
	kube_object_list_free(l);
}

START_TEST(test_controllers_rs_deletion_ranking)
{
	kube_replicaset_controller *c = new_rs_ctrl("ReplicaSet", 500);
	char n[5][64];

	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	create_rs("web", 5, 0);
	settle();
	names_of(n, 5);
	/* n0: unassigned; n1: assigned, Pending; n2: Running, not ready;
	 * n3 and n4: Running and ready, n3 for 10 s, n4 for 1000 s */
	pod_edit pending = { "node-1", "Pending", -1, 0, NULL, NULL, 0 };
	pod_edit notready = { "node-2", "Running", 0, fake_now, NULL, NULL, 0 };
	edit(n[1], pending);
	edit(n[2], notready);
	edit(n[3], running_ready("node-3", fake_now - 10 * SEC));
	edit(n[4], running_ready("node-4", fake_now - 1000 * SEC));
	settle();
	ck_assert_int_eq(status_of("replicasets", "web", "readyReplicas"), 2);
	set_replicas("replicasets", "web", 4);
	settle();
	ck_assert_ptr_null(strstr(pod_names(), n[0]));     /* unassigned first */
	set_replicas("replicasets", "web", 3);
	settle();
	ck_assert_ptr_null(strstr(pod_names(), n[1]));     /* then pending */
	set_replicas("replicasets", "web", 2);
	settle();
	ck_assert_ptr_null(strstr(pod_names(), n[2]));     /* then not ready */
	set_replicas("replicasets", "web", 1);
	settle();
	/* ready for less time (a lower log2 bucket) goes first */
	ck_assert_str_eq(pod_names(), n[4]);
	kube_replicaset_controller_free(c);
}
END_TEST

START_TEST(test_controllers_rs_deletion_cost_restarts_and_colocation)
{
	kube_replicaset_controller *c = new_rs_ctrl("ReplicaSet", 500);
	char n[4][64];
	int64_t since = fake_now - 100 * SEC;

	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	create_rs("web", 4, 0);
	settle();
	names_of(n, 4);
	/* all Running and ready for the same time; n0 and n1 share node-a */
	edit(n[0], running_ready("node-a", since));
	edit(n[1], running_ready("node-a", since));
	edit(n[2], running_ready("node-b", since));
	pod_edit costly = { "node-c", "Running", 1, since, NULL, "100", 0 };
	edit(n[3], costly);
	settle();
	/* doubled up on node-a: one of n0, n1 goes */
	set_replicas("replicasets", "web", 3);
	settle();
	const char *left = pod_names();
	ck_assert(!strstr(left, n[0]) != !strstr(left, n[1]));
	ck_assert_ptr_nonnull(strstr(left, n[2]));
	ck_assert_ptr_nonnull(strstr(left, n[3]));
	char survivor[64];
	snprintf(survivor, sizeof(survivor), "%s", strstr(left, n[0]) ? n[0] : n[1]);
	/* more restarts go first; a higher deletion cost goes last */
	pod_edit restarted = { NULL, NULL, -1, 0, NULL, NULL, 7 };
	edit(n[2], restarted);
	settle();
	set_replicas("replicasets", "web", 2);
	settle();
	ck_assert_ptr_null(strstr(pod_names(), n[2]));
	set_replicas("replicasets", "web", 1);
	settle();
	ck_assert_str_eq(pod_names(), n[3]);
	ck_assert_ptr_null(strstr(pod_names(), survivor));
	kube_replicaset_controller_free(c);
}
END_TEST

START_TEST(test_controllers_rs_available_after_min_ready)
{
	kube_replicaset_controller *c = new_rs_ctrl("ReplicaSet", 500);
	kube_controller *r = kube_replicaset_controller_runner(c);
	char n[2][64];
	int64_t at;

	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	create_rs("web", 2, 10);
	settle();
	names_of(n, 2);
	edit(n[0], running_ready("node-1", fake_now - 5 * SEC));
	edit(n[1], running_ready("node-1", fake_now - 5 * SEC));
	settle();
	ck_assert_int_eq(status_of("replicasets", "web", "readyReplicas"), 2);
	ck_assert_int_eq(status_of("replicasets", "web", "availableReplicas"), 0);
	/* ready, not available: the controller looks again minReadySeconds later */
	ck_assert_int_eq(kube_workqueue_next_ready(kube_controller_queue(r), &at), 0);
	ck_assert_int_le(at, fake_now + 11 * SEC);
	ck_assert_int_ge(at, fake_now + 10 * SEC);
	fake_now += 6 * SEC;       /* 11 s ready: available (strictly after 10 s) */
	fake_now = at > fake_now ? at : fake_now;
	ck_assert_int_ge(kube_controller_process(r), 1);
	ck_assert_int_eq(status_of("replicasets", "web", "availableReplicas"), 2);
	kube_replicaset_controller_free(c);
}
END_TEST

/* ---- ReplicationController ---- */

START_TEST(test_controllers_rc_map_selector)
{
	kube_replicaset_controller *c = new_rs_ctrl("ReplicationController", 500);
	kube_object_list *l;
	kube_owner_ref ref;

	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	create("{\"apiVersion\":\"v1\",\"kind\":\"ReplicationController\",\"metadata\":{\"namespace\":\"ns\","
	       "\"name\":\"legacy\"},\"spec\":{\"replicas\":2,\"selector\":{\"app\":\"legacy\"},"
	       "\"template\":{\"metadata\":{\"labels\":{\"app\":\"legacy\"}},"
	       "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}}}");
	settle();
	l = pods();
	ck_assert_uint_eq(kube_object_list_count(l), 2);
	ck_assert_int_eq(kube_object_controller_ref(kube_object_list_get(l, 0), &ref), 0);
	ck_assert_str_eq(ref.api_version, "v1");
	ck_assert_str_eq(ref.kind, "ReplicationController");
	ck_assert_str_eq(ref.name, "legacy");
	ck_assert(strncmp(kube_object_name(kube_object_list_get(l, 0)), "legacy-", 7) == 0);
	kube_object_list_free(l);
	ck_assert_int_eq(status_of("replicationcontrollers", "legacy", "replicas"), 2);
	ck_assert_int_eq(status_of("replicationcontrollers", "legacy", "fullyLabeledReplicas"), 2);
	/* without a selector the template's labels select */
	create("{\"apiVersion\":\"v1\",\"kind\":\"ReplicationController\",\"metadata\":{\"namespace\":\"ns\","
	       "\"name\":\"bare\"},\"spec\":{\"replicas\":1,"
	       "\"template\":{\"metadata\":{\"labels\":{\"app\":\"bare\"}},"
	       "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}}}");
	settle();
	ck_assert_uint_eq(pod_count(), 3);
	ck_assert_int_eq(status_of("replicationcontrollers", "bare", "replicas"), 1);
	kube_replicaset_controller_free(c);
}
END_TEST

START_TEST(test_controllers_options)
{
	kube_workload_controller_options o;
	kube_replicaset_controller *c = NULL;

	ck_assert_int_eq(kube_workload_controller_options_init(&o, 1), 0);
	ck_assert_uint_eq(o.workers, 5);
	ck_assert_uint_eq(o.burst_replicas, 500);
	ck_assert_int_eq(kube_workload_controller_options_init(&o, 3), KUBE_EINVAL);
	ck_assert_int_eq(kube_replicaset_controller_new(&c, fac, st, "Deployment", NULL), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "kube_replicaset_controller_new: kind \"Deployment\" is neither "
	                 "ReplicaSet nor ReplicationController");
	o.burst_replicas = 0;
	ck_assert_int_eq(kube_replicaset_controller_new(&c, fac, st, "ReplicaSet", &o), KUBE_EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_ptr_null(kube_replicaset_controller_runner(NULL));
	kube_replicaset_controller_free(NULL);
}
END_TEST

/* ---- Deployment ---- */

static void create_deployment(const char *name, int replicas, const char *image,
                              const char *strategy, const char *extra_spec)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"namespace\":\"ns\","
	         "\"name\":\"%s\",\"annotations\":{\"team\":\"blue\"}},\"spec\":{\"replicas\":%d,%s%s"
	         "\"selector\":{\"matchLabels\":{\"app\":\"%s\"}},\"strategy\":%s,"
	         "\"template\":{\"metadata\":{\"labels\":{\"app\":\"%s\"}},"
	         "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"%s\"}]}}}}",
	         name, replicas, extra_spec ? extra_spec : "", extra_spec ? "," : "", name, strategy,
	         name, image);
	create(buf);
}

static int set_image_mutate(kube_object *o, void *ud)
{
	return kube_object_set_string(o, "spec.template.spec.containers[0].image", ud);
}

static void set_image(const char *name, const char *image)
{
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "deployments", "ns", name,
	                                              set_image_mutate, (void *)image), 0);
}

/* The simulated kubelet: one pod that is not ready yet becomes ready.
 * Returns 1 if it found one. */
static int kubelet_step(void)
{
	kube_object_list *l = pods();
	int found = 0;
	for (size_t i = 0; i < kube_object_list_count(l) && !found; i++) {
		kube_object *p = kube_object_list_get(l, i);
		const char *phase = NULL;
		if (kube_object_deletion_timestamp(p) ||
		    (kube_object_get_string(p, "status.phase", &phase) == 0 && strcmp(phase, "Running") == 0))
			continue;
		edit(kube_object_name(p), running_ready("node-1", fake_now));
		found = 1;
	}
	kube_object_list_free(l);
	return found;
}

typedef struct observed {
	size_t pods, available, with_image;
} observed;

static observed observe(const char *image)
{
	observed o = { 0, 0, 0 };
	kube_object_list *l = pods();
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *p = kube_object_list_get(l, i);
		const char *img;
		o.pods++;
		/* available: ready (minReadySeconds is 0), and not being deleted */
		if (!kube_object_deletion_timestamp(p)) {
			const char *ready;
			if (kube_object_get_string(p, "status.conditions[0].status", &ready) == 0 &&
			    strcmp(ready, "True") == 0)
				o.available++;
		}
		if (kube_object_get_string(p, "spec.containers[0].image", &img) == 0 &&
		    strcmp(img, image) == 0)
			o.with_image++;
	}
	kube_object_list_free(l);
	return o;
}

static int deployment_done(const char *name, int replicas, int generation)
{
	return status_of("deployments", name, "observedGeneration") == generation &&
	       status_of("deployments", name, "updatedReplicas") == replicas &&
	       status_of("deployments", name, "replicas") == replicas &&
	       status_of("deployments", name, "availableReplicas") == replicas;
}

/* Runs loop iterations and kubelet steps until the rollout is done. */
static void roll_until_done(const char *name, int replicas, int generation, const char *image)
{
	for (int i = 0; i < 20000; i++) {
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
		if (i % 3 == 0)
			kubelet_step();
		if (deployment_done(name, replicas, generation)) {
			observed o = observe(image);
			if (o.pods == (size_t)replicas && o.with_image == (size_t)replicas)
				return;
		}
	}
	ck_abort_msg("rollout of %s did not finish", name);
}

static kube_object_list *replicasets(void)
{
	kube_object_list *l = NULL;
	ck_assert_int_eq(kube_store_list(&l, st, "replicasets", NULL, NULL, NULL), 0);
	return l;
}

/* The condition `type` of a deployment: "status/reason/message". */
static const char *condition(const char *name, const char *type)
{
	static char buf[512];
	kube_object *d = get("deployments", name);
	size_t n = 0;
	buf[0] = 0;
	kube_object_get_len(d, "status.conditions", &n);
	for (size_t i = 0; i < n; i++) {
		char path[64];
		const char *t, *s1, *r, *m;
		snprintf(path, sizeof(path), "status.conditions[%zu].type", i);
		kube_object_get_string(d, path, &t);
		if (strcmp(t, type) != 0)
			continue;
		snprintf(path, sizeof(path), "status.conditions[%zu].status", i);
		kube_object_get_string(d, path, &s1);
		snprintf(path, sizeof(path), "status.conditions[%zu].reason", i);
		kube_object_get_string(d, path, &r);
		snprintf(path, sizeof(path), "status.conditions[%zu].message", i);
		kube_object_get_string(d, path, &m);
		snprintf(buf, sizeof(buf), "%s/%s/%s", s1, r, m);
	}
	kube_object_unref(d);
	return buf;
}

typedef struct both {
	kube_replicaset_controller *rs;
	kube_deployment_controller *d;
} both;

static both start_both(void)
{
	kube_workload_controller_options o = KUBE_WORKLOAD_CONTROLLER_OPTIONS_INIT;
	both b;
	o.clock = fake_clock;
	b.rs = new_rs_ctrl("ReplicaSet", 500);
	ck_assert_int_eq(kube_deployment_controller_new(&b.d, fac, st, &o), 0);
	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	return b;
}

static void stop_both(both b)
{
	kube_deployment_controller_free(b.d);
	kube_replicaset_controller_free(b.rs);
}

START_TEST(test_controllers_deployment_rolling_update_bounds)
{
	both b = start_both();
	size_t max_pods = 0, min_avail = 1000;
	kube_object_list *l;
	kube_object *d;
	char newrs[128] = "", oldrs[128] = "";

	create_deployment("web", 10, "nginx:1",
	                  "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":\"25%\","
	                  "\"maxUnavailable\":0}}", NULL);
	roll_until_done("web", 10, 1, "nginx:1");
	ck_assert_str_eq(condition("web", "Available"),
	                 "True/MinimumReplicasAvailable/Deployment has minimum availability.");

	set_image("web", "nginx:2");
	for (int i = 0; i < 20000; i++) {
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
		if (i % 3 == 0)
			kubelet_step();
		observed o = observe("nginx:2");
		/* every state the store passes through */
		if (o.pods > max_pods)
			max_pods = o.pods;
		if (o.available < min_avail)
			min_avail = o.available;
		ck_assert_msg(o.pods <= 13, "%zu pods at iteration %d", o.pods, i);
		ck_assert_msg(o.available >= 10, "%zu available at iteration %d", o.available, i);
		if (deployment_done("web", 10, 2) && o.pods == 10 && o.with_image == 10)
			break;
	}
	ck_assert(deployment_done("web", 10, 2));
	ck_assert_uint_eq(max_pods, 13);     /* maxSurge 25% of 10, rounded up */
	ck_assert_uint_eq(min_avail, 10);    /* maxUnavailable 0 */

	/* two ReplicaSets: the old one at 0 (revision 1), the new one (revision 2) */
	l = replicasets();
	ck_assert_uint_eq(kube_object_list_count(l), 2);
	for (size_t i = 0; i < 2; i++) {
		kube_object *rs = kube_object_list_get(l, i);
		int64_t r = 0;
		const char *hash = kube_labels_get(kube_object_labels(rs), "pod-template-hash");
		kube_owner_ref ref;
		ck_assert_ptr_nonnull(hash);
		ck_assert_uint_eq(strspn(hash, "bcdfghjklmnpqrstvwxz2456789"), strlen(hash));
		char want[64];
		snprintf(want, sizeof(want), "web-%s", hash);
		ck_assert_str_eq(kube_object_name(rs), want);
		ck_assert_str_eq(kube_object_annotation(rs, "team"), "blue");
		ck_assert_str_eq(kube_object_annotation(rs, "deployment.kubernetes.io/desired-replicas"), "10");
		ck_assert_str_eq(kube_object_annotation(rs, "deployment.kubernetes.io/max-replicas"), "13");
		ck_assert_int_eq(kube_object_controller_ref(rs, &ref), 0);
		ck_assert_str_eq(ref.kind, "Deployment");
		ck_assert_int_eq(ref.block_owner_deletion, 1);
		kube_object_get_int(rs, "spec.replicas", &r);
		if (strcmp(kube_object_annotation(rs, "deployment.kubernetes.io/revision"), "2") == 0) {
			ck_assert_int_eq(r, 10);
			snprintf(newrs, sizeof(newrs), "%s", kube_object_name(rs));
		} else {
			ck_assert_str_eq(kube_object_annotation(rs, "deployment.kubernetes.io/revision"), "1");
			ck_assert_int_eq(r, 0);
			snprintf(oldrs, sizeof(oldrs), "%s", kube_object_name(rs));
		}
	}
	kube_object_list_free(l);
	ck_assert_str_ne(newrs, "");
	ck_assert_str_ne(oldrs, "");
	d = get("deployments", "web");
	ck_assert_str_eq(kube_object_annotation(d, "deployment.kubernetes.io/revision"), "2");
	kube_object_unref(d);
	char want[256];
	snprintf(want, sizeof(want), "True/NewReplicaSetAvailable/ReplicaSet \"%s\" has successfully progressed.", newrs);
	ck_assert_str_eq(condition("web", "Progressing"), want);
	ck_assert_int_eq(status_of("deployments", "web", "unavailableReplicas"), 0);
	ck_assert_int_eq(status_of("deployments", "web", "readyReplicas"), 10);

	/* minReadySeconds follows to the new ReplicaSet (no new revision) */
	kube_object *dd = get("deployments", "web"), *dm = NULL;
	ck_assert_int_eq(kube_object_mutable(&dm, dd), 0);
	ck_assert_int_eq(kube_object_set_int(dm, "spec.minReadySeconds", 7), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, dm), 0);
	kube_object_unref(dm);
	kube_object_unref(dd);
	settle();
	kube_object *nrs = get("replicasets", newrs);
	int64_t mrs = 0;
	ck_assert_int_eq(kube_object_get_int(nrs, "spec.minReadySeconds", &mrs), 0);
	ck_assert_int_eq(mrs, 7);
	ck_assert_str_eq(kube_object_annotation(nrs, "deployment.kubernetes.io/revision"), "2");
	kube_object_unref(nrs);
	ck_assert_int_eq(kube_object_mutable(&dm, dd = get("deployments", "web")), 0);
	ck_assert_int_eq(kube_object_remove(dm, "spec.minReadySeconds"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, dm), 0);
	kube_object_unref(dm);
	kube_object_unref(dd);
	settle();
	nrs = get("replicasets", newrs);
	ck_assert_int_eq(kube_object_get_int(nrs, "spec.minReadySeconds", &mrs), KUBE_ENOTFOUND);
	kube_object_unref(nrs);

	/* rollback: the old template comes back; its ReplicaSet becomes revision 3 */
	set_image("web", "nginx:1");
	roll_until_done("web", 10, 5, "nginx:1");
	l = replicasets();
	ck_assert_uint_eq(kube_object_list_count(l), 2);
	kube_object_list_free(l);
	kube_object *old = get("replicasets", oldrs);
	ck_assert_str_eq(kube_object_annotation(old, "deployment.kubernetes.io/revision"), "3");
	kube_object_unref(old);
	stop_both(b);
}
END_TEST

START_TEST(test_controllers_deployment_proportional_scaling)
{
	both b = start_both();
	kube_object_list *l;
	int64_t old_size = -1, new_size = -1;

	/* 10 replicas, 25% / 25%: surge 3, unavailable 2 */
	create_deployment("web", 10, "nginx:1", "{\"type\":\"RollingUpdate\"}", NULL);
	roll_until_done("web", 10, 1, "nginx:1");
	/* v2 never becomes ready: the rollout stops at old 8, new 5 */
	set_image("web", "nginx:2");
	settle();
	/* scaled to 20 mid-rollout: surge 5, so 25 spread as the sizes were */
	set_replicas("deployments", "web", 20);
	settle();
	l = replicasets();
	ck_assert_uint_eq(kube_object_list_count(l), 2);
	for (size_t i = 0; i < 2; i++) {
		kube_object *rs = kube_object_list_get(l, i);
		int64_t r = 0;
		const char *img;
		kube_object_get_int(rs, "spec.replicas", &r);
		kube_object_get_string(rs, "spec.template.spec.containers[0].image", &img);
		if (strcmp(img, "nginx:1") == 0)
			old_size = r;
		else
			new_size = r;
		ck_assert_str_eq(kube_object_annotation(rs, "deployment.kubernetes.io/desired-replicas"), "20");
		ck_assert_str_eq(kube_object_annotation(rs, "deployment.kubernetes.io/max-replicas"), "25");
	}
	kube_object_list_free(l);
	/* old: round(8 * 25 / 13) = 15; new: round(5 * 25 / 13) = 10 */
	ck_assert_int_eq(old_size, 15);
	ck_assert_int_eq(new_size, 10);
	stop_both(b);
}
END_TEST

START_TEST(test_controllers_deployment_recreate)
{
	both b = start_both();

	create_deployment("db", 3, "pg:1", "{\"type\":\"Recreate\"}", NULL);
	roll_until_done("db", 3, 1, "pg:1");
	set_image("db", "pg:2");
	for (int i = 0; i < 20000; i++) {
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
		if (i % 3 == 0)
			kubelet_step();
		observed o = observe("pg:2");
		/* never old and new pods at once */
		ck_assert_msg(o.with_image == 0 || o.with_image == o.pods, "%zu of %zu new", o.with_image, o.pods);
		if (deployment_done("db", 3, 2) && o.pods == 3 && o.with_image == 3)
			break;
	}
	ck_assert(deployment_done("db", 3, 2));
	stop_both(b);
}
END_TEST

START_TEST(test_controllers_deployment_history_limit_and_paused)
{
	both b = start_both();
	kube_object_list *l;

	create_deployment("app", 2, "v:1", "{\"type\":\"RollingUpdate\"}", "\"revisionHistoryLimit\":1");
	roll_until_done("app", 2, 1, "v:1");
	set_image("app", "v:2");
	roll_until_done("app", 2, 2, "v:2");
	set_image("app", "v:3");
	roll_until_done("app", 2, 3, "v:3");
	settle();
	/* the new ReplicaSet and one old one are kept */
	l = replicasets();
	ck_assert_uint_eq(kube_object_list_count(l), 2);
	for (size_t i = 0; i < 2; i++)
		ck_assert_str_ne(kube_object_annotation(kube_object_list_get(l, i),
		                                        "deployment.kubernetes.io/revision"), "1");
	kube_object_list_free(l);

	/* paused: a template change makes no ReplicaSet; a scale is applied */
	kube_object *d = get("deployments", "app"), *m = NULL;
	ck_assert_int_eq(kube_object_mutable(&m, d), 0);
	ck_assert_int_eq(kube_object_set_bool(m, "spec.paused", 1), 0);
	ck_assert_int_eq(kube_object_set_string(m, "spec.template.spec.containers[0].image", "v:4"), 0);
	ck_assert_int_eq(kube_object_set_int(m, "spec.replicas", 4), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
	kube_object_unref(m);
	kube_object_unref(d);
	for (int i = 0; i < 600; i++) {
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
		if (i % 3 == 0)
			kubelet_step();
	}
	/* paused, every ReplicaSet is old: the history limit (1) keeps only
	 * the one that runs the pods, as upstream's sync() cleans up */
	l = replicasets();
	ck_assert_uint_eq(kube_object_list_count(l), 1);
	ck_assert_str_eq(kube_object_annotation(kube_object_list_get(l, 0),
	                                        "deployment.kubernetes.io/revision"), "3");
	kube_object_list_free(l);
	observed o = observe("v:3");
	ck_assert_uint_eq(o.pods, 4);
	ck_assert_uint_eq(o.with_image, 4);
	ck_assert_int_eq(status_of("deployments", "app", "replicas"), 4);
	ck_assert_int_eq(status_of("deployments", "app", "updatedReplicas"), 0);
	ck_assert_str_eq(condition("app", "Progressing"), "Unknown/DeploymentPaused/Deployment is paused");
	stop_both(b);
}
END_TEST

START_TEST(test_controllers_deployment_progress_deadline)
{
	both b = start_both();
	kube_controller *r = kube_deployment_controller_runner(b.d);

	create_deployment("slow", 2, "x:1", "{\"type\":\"RollingUpdate\"}", "\"progressDeadlineSeconds\":30");
	settle();   /* pods never become ready */
	ck_assert_uint_eq(pod_count(), 2);
	ck_assert_str_eq(condition("slow", "Available"),
	                 "False/MinimumReplicasUnavailable/Deployment does not have minimum availability.");
	ck_assert(strncmp(condition("slow", "Progressing"), "True/", 5) == 0);
	fake_now += 31 * SEC;
	kube_controller_enqueue(r, "ns/slow");
	ck_assert_int_ge(kube_controller_process(r), 1);
	const char *c = condition("slow", "Progressing");
	ck_assert_msg(strncmp(c, "False/ProgressDeadlineExceeded/ReplicaSet \"slow-", 48) == 0, "%s", c);
	ck_assert_int_eq(status_of("deployments", "slow", "unavailableReplicas"), 2);
	stop_both(b);
}
END_TEST

/* ---- helpers ---- */

typedef struct calls {
	int n;
	int fail_from, fail_to;   /* calls in [from, to] (1-based) fail */
} calls;

static int counted(void *ud)
{
	calls *c = ud;
	c->n++;
	return c->n >= c->fail_from && c->n <= c->fail_to ? KUBE_EIO : 0;
}

START_TEST(test_controllers_slow_start_batch)
{
	calls c = { 0, 5, 6 };
	int err;
	int64_t attempted;

	/* batches 1, 2, 4: the third fails (calls 5 and 6), so it stops after it */
	ck_assert_int_eq(kube__slow_start_batch(20, 1, counted, &c, &err, &attempted), 5);
	ck_assert_int_eq(err, KUBE_EIO);
	ck_assert_int_eq(attempted, 7);
	ck_assert_int_eq(c.n, 7);
	/* no failure: 1 + 2 + 4 + 3 */
	c.n = 0;
	c.fail_from = c.fail_to = 0;
	ck_assert_int_eq(kube__slow_start_batch(10, 1, counted, &c, &err, &attempted), 10);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(attempted, 10);
	/* the first call fails: one attempt */
	c.n = 0;
	c.fail_from = 1;
	c.fail_to = 100;
	ck_assert_int_eq(kube__slow_start_batch(500, 1, counted, &c, &err, &attempted), 0);
	ck_assert_int_eq(attempted, 1);
	ck_assert_int_eq(kube__slow_start_batch(0, 1, counted, &c, &err, &attempted), 0);
	ck_assert_int_eq(attempted, 0);
}
END_TEST

START_TEST(test_controllers_pod_helpers)
{
	kube_object *p = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
	                     "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"PodScheduled\","
	                     "\"status\":\"True\"},{\"type\":\"Ready\",\"status\":\"True\","
	                     "\"lastTransitionTime\":\"2026-11-28T10:00:00Z\"}]}}");
	int64_t since, t = kube__rfc3339_ns("2026-11-28T10:00:00Z");
	char buf[32];

	ck_assert_int_eq(kube__rfc3339_ns("2026-11-28T10:00:00.5Z"), t + SEC / 2);
	ck_assert_int_eq(kube__rfc3339_ns("2026-11-28T12:00:00+02:00"), t);
	ck_assert_int_eq(kube__rfc3339_ns("yesterday"), 0);
	kube__format_rfc3339(t, buf);
	ck_assert_str_eq(buf, "2026-11-28T10:00:00Z");
	ck_assert_int_eq(kube__pod_ready(p, &since), 1);
	ck_assert_int_eq(since, t);
	/* available strictly after minReadySeconds */
	ck_assert_int_eq(kube__pod_available(p, 10, t + 10 * SEC), 0);
	ck_assert_int_eq(kube__pod_available(p, 10, t + 10 * SEC + 1), 1);
	ck_assert_int_eq(kube__pod_available(p, 0, t), 1);
	ck_assert_int_eq(kube__pod_active(p), 1);
	ck_assert_str_eq(kube__pod_phase(p), "Running");
	kube_object_unref(p);
}
END_TEST

static Suite *controllers_suite(void)
{
	Suite *s = suite_create("controllers");
	TCase *tc = tcase_create("replicaset");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_controllers_options);
	tcase_add_test(tc, test_controllers_slow_start_batch);
	tcase_add_test(tc, test_controllers_pod_helpers);
	tcase_add_test(tc, test_controllers_rs_creates_pods_with_owner_refs);
	tcase_add_test(tc, test_controllers_rs_burst_and_expectations);
	tcase_add_test(tc, test_controllers_rs_replaces_killed_pods);
	tcase_add_test(tc, test_controllers_rs_adopts_and_releases);
	tcase_add_test(tc, test_controllers_rs_deletion_ranking);
	tcase_add_test(tc, test_controllers_rs_deletion_cost_restarts_and_colocation);
	tcase_add_test(tc, test_controllers_rs_available_after_min_ready);
	tcase_add_test(tc, test_controllers_rc_map_selector);
	suite_add_tcase(s, tc);

	TCase *dc = tcase_create("deployment");
	tcase_add_checked_fixture(dc, setup, teardown);
	tcase_set_timeout(dc, 120);
	tcase_add_test(dc, test_controllers_deployment_rolling_update_bounds);
	tcase_add_test(dc, test_controllers_deployment_proportional_scaling);
	tcase_add_test(dc, test_controllers_deployment_recreate);
	tcase_add_test(dc, test_controllers_deployment_history_limit_and_paused);
	tcase_add_test(dc, test_controllers_deployment_progress_deadline);
	suite_add_tcase(s, dc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(controllers_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
