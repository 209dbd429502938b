/*
 * test_nodelifecycle.c - the node lifecycle and taint eviction controller
 * against the memory store, on a fake wall clock, in the style of
 * upstream's node_lifecycle_controller_test and taint_eviction_test: the
 * test plays the kubelet (Node conditions, Lease renewals, pod status) and
 * moves the clock; the controller must mark a silent node Unknown exactly
 * after the grace period, taint it, mark its pods not ready, evict pods
 * exactly when their tolerationSeconds run out (and not a second before),
 * at once when a NoExecute taint is not tolerated, never when tolerated
 * forever, and cancel evictions when the node comes back.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libkube/kube.h"
#include "libkube/node.h"
#include "controllers/controllers_private.h"
#include "object/object_private.h"

#define SEC ((int64_t)1000000000)

static int64_t fake_now, t0;
static kube_loop *loop;
static kube_store *st;
static kube_informer_factory *fac;
static kube_nodelifecycle_controller *nlc;

static int64_t fake_clock(void *ud)
{
	(void)ud;
	return fake_now;
}

static void settle(void)
{
	for (int i = 0; i < 200; i++)
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
}

static void setup(void)
{
	/* the store stamps creationTimestamp with the real time: start there,
	 * on a whole second so that formatted times compare exactly */
	fake_now = t0 = (int64_t)time(NULL) * SEC;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
	ck_assert_int_eq(kube_informer_factory_new(&fac, st, 0), 0);
	nlc = NULL;
}

static void teardown(void)
{
	kube_nodelifecycle_controller_free(nlc);
	kube_informer_factory_free(fac);
	kube_store_close(st);
	kube_loop_free(loop);
}

static void start(void)
{
	kube_nodelifecycle_options o = KUBE_NODELIFECYCLE_OPTIONS_INIT;
	o.clock = fake_clock;
	ck_assert_int_eq(kube_nodelifecycle_controller_new(&nlc, fac, st, &o), 0);
	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	settle();
	kube_controller_process(kube_nodelifecycle_controller_runner(nlc));
	settle();
}

/* Moves the clock and lets the controller do what is due. */
static void step(int64_t seconds)
{
	fake_now += seconds * SEC;
	settle();
	kube_controller_process(kube_nodelifecycle_controller_runner(nlc));
	settle();
	kube_controller_process(kube_nodelifecycle_controller_runner(nlc));
	settle();
}

static const char *ts(int64_t ns)
{
	static char buf[4][32];
	static int i;
	i = (i + 1) % 4;
	kube__format_rfc3339(ns, buf[i]);
	return buf[i];
}

static void create(const char *json)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_object_from_json(&o, json, strlen(json)), 0);
	ck_assert_int_eq(kube_store_create(NULL, st, o), 0);
	kube_object_unref(o);
}

/* A Node as the kubelet posts it; ready "True", "False" or NULL (no
 * conditions at all). */
static void create_node(const char *name, const char *ready)
{
	char buf[2048];
	const char *now = ts(fake_now);
	if (!ready) {
		snprintf(buf, sizeof(buf),
		         "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\"}}", name);
	} else {
		snprintf(buf, sizeof(buf),
		         "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\"},"
		         "\"spec\":{},\"status\":{\"conditions\":["
		         "{\"type\":\"MemoryPressure\",\"status\":\"False\",\"lastHeartbeatTime\":\"%s\","
		         "\"lastTransitionTime\":\"%s\",\"reason\":\"KubeletHasSufficientMemory\","
		         "\"message\":\"kubelet has sufficient memory available\"},"
		         "{\"type\":\"DiskPressure\",\"status\":\"False\",\"lastHeartbeatTime\":\"%s\","
		         "\"lastTransitionTime\":\"%s\",\"reason\":\"KubeletHasNoDiskPressure\","
		         "\"message\":\"kubelet has no disk pressure\"},"
		         "{\"type\":\"PIDPressure\",\"status\":\"False\",\"lastHeartbeatTime\":\"%s\","
		         "\"lastTransitionTime\":\"%s\",\"reason\":\"KubeletHasSufficientPID\","
		         "\"message\":\"kubelet has sufficient PID available\"},"
		         "{\"type\":\"Ready\",\"status\":\"%s\",\"lastHeartbeatTime\":\"%s\","
		         "\"lastTransitionTime\":\"%s\",\"reason\":\"KubeletReady\","
		         "\"message\":\"kubelet is posting ready status\"}]}}",
		         name, now, now, now, now, now, now, ready, now, now);
	}
	create(buf);
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{"
	         "\"name\":\"%s\",\"namespace\":\"kube-node-lease\"},\"spec\":{\"holderIdentity\":"
	         "\"%s\",\"leaseDurationSeconds\":40,\"renewTime\":\"%s\"}}",
	         name, name, ts(fake_now));
	create(buf);
}

static int set_renew(kube_object *o, void *ud)
{
	(void)ud;
	return kube_object_set_string(o, "spec.renewTime", ts(fake_now));
}

/* The kubelet renews its Lease now. */
static void renew(const char *name)
{
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "leases", "kube-node-lease", name,
	                                              set_renew, NULL), 0);
}

/* The kubelet posts Ready = status (heartbeat now). */
static int set_ready(kube_object *o, void *ud)
{
	const char *status = ud;
	int rc;
	if ((rc = kube_object_set_string(o, "status.conditions[3].status", status)) != 0 ||
	    (rc = kube_object_set_string(o, "status.conditions[3].reason",
	                                 strcmp(status, "True") == 0 ? "KubeletReady"
	                                                             : "KubeletNotReady")) != 0 ||
	    (rc = kube_object_set_string(o, "status.conditions[3].lastHeartbeatTime",
	                                 ts(fake_now))) != 0)
		return rc;
	return kube_object_set_string(o, "status.conditions[3].lastTransitionTime", ts(fake_now));
}

static void post_ready(const char *name, const char *status)
{
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "nodes", NULL, name, set_ready,
	                                              (void *)status), 0);
}

static void create_pod(const char *name, const char *node, const char *tolerations)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\","
	         "\"name\":\"%s\"},\"spec\":{\"nodeName\":\"%s\",\"tolerations\":%s,"
	         "\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]},"
	         "\"status\":{\"phase\":\"Running\",\"conditions\":["
	         "{\"type\":\"Ready\",\"status\":\"True\",\"lastProbeTime\":null,"
	         "\"lastTransitionTime\":\"%s\"}]}}",
	         name, node, tolerations ? tolerations : "[]", ts(t0));
	create(buf);
}

static kube_object *get(const char *res, const char *ns, const char *name)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_store_get(&o, st, res, ns, name), 0);
	return o;
}

static int exists(const char *pod)
{
	kube_object *o = NULL;
	int rc = kube_store_get(&o, st, "pods", "ns", pod);
	kube_object_unref(o);
	ck_assert(rc == 0 || rc == KUBE_ENOTFOUND);
	return rc == 0;
}

/* A string field of res/ns/name ("<none>" when absent), copied. */
static const char *field(const char *res, const char *ns, const char *name, const char *path)
{
	static char buf[8][128];
	static int i;
	kube_object *o = get(res, ns, name);
	const char *v = NULL;
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s",
	         kube_object_get_string(o, path, &v) == 0 ? v : "<none>");
	kube_object_unref(o);
	return buf[i];
}

/* The node's taints as "key:effect,..." (a static buffer). */
static const char *taints(const char *node)
{
	static char buf[512];
	kube_object *o = get("nodes", NULL, node);
	size_t n = 0;
	buf[0] = 0;
	kube_object_get_len(o, "spec.taints", &n);
	for (size_t i = 0; i < n; i++) {
		char p[64];
		const char *k = NULL, *e = NULL;
		snprintf(p, sizeof(p), "spec.taints[%zu].key", i);
		kube_object_get_string(o, p, &k);
		snprintf(p, sizeof(p), "spec.taints[%zu].effect", i);
		kube_object_get_string(o, p, &e);
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s:%s", i ? "," : "", k, e);
	}
	kube_object_unref(o);
	return buf;
}

static kube_nodelifecycle_stats stats(void)
{
	kube_nodelifecycle_stats s;
	memset(&s, 0, sizeof(s));
	s.version = KUBE_NODELIFECYCLE_STATS_VERSION;
	ck_assert_int_eq(kube_nodelifecycle_controller_get_stats(nlc, &s), 0);
	return s;
}

/* ---- tests ---- */

START_TEST(test_nodelifecycle_lease_stale_unknown_and_tainted)
{
	create_node("node-1", "True");
	create_node("node-2", "True");
	create_pod("on-1", "node-1", NULL);
	create_pod("on-2", "node-2", NULL);
	start();
	ck_assert_str_eq(taints("node-1"), "");

	/* node-2 renews every 5 s (its Ready heartbeat does not move: the
	 * Lease alone keeps it healthy); node-1 is silent */
	for (int i = 0; i < 10; i++) {
		fake_now += 5 * SEC;
		renew("node-2");
		step(0);
	}
	/* t0 + 50 s: exactly the grace period, not more: still True */
	ck_assert_str_eq(field("nodes", NULL, "node-1", "status.conditions[3].status"), "True");
	fake_now += 5 * SEC;
	renew("node-2");
	step(0);
	char now[32];
	snprintf(now, sizeof(now), "%s", ts(t0 + 55 * SEC));
	static const char *const types[] = { "MemoryPressure", "DiskPressure", "PIDPressure", "Ready" };
	for (size_t i = 0; i < 4; i++) {
		char p[64];
		snprintf(p, sizeof(p), "status.conditions[%zu].type", i);
		ck_assert_str_eq(field("nodes", NULL, "node-1", p), types[i]);
		snprintf(p, sizeof(p), "status.conditions[%zu].status", i);
		ck_assert_str_eq(field("nodes", NULL, "node-1", p), "Unknown");
		snprintf(p, sizeof(p), "status.conditions[%zu].reason", i);
		ck_assert_str_eq(field("nodes", NULL, "node-1", p), "NodeStatusUnknown");
		snprintf(p, sizeof(p), "status.conditions[%zu].message", i);
		ck_assert_str_eq(field("nodes", NULL, "node-1", p), "Kubelet stopped posting node status.");
		snprintf(p, sizeof(p), "status.conditions[%zu].lastTransitionTime", i);
		ck_assert_str_eq(field("nodes", NULL, "node-1", p), now);
		snprintf(p, sizeof(p), "status.conditions[%zu].lastHeartbeatTime", i);
		ck_assert_str_eq(field("nodes", NULL, "node-1", p), ts(t0));
	}
	ck_assert_str_eq(taints("node-1"),
	                 "node.kubernetes.io/unreachable:NoExecute,node.kubernetes.io/unreachable:NoSchedule");
	ck_assert_str_eq(field("nodes", NULL, "node-1", "spec.taints[0].timeAdded"), now);
	ck_assert_str_eq(field("nodes", NULL, "node-1", "spec.taints[1].timeAdded"), now);
	/* MarkPodsNotReady */
	ck_assert_str_eq(field("pods", "ns", "on-1", "status.conditions[0].status"), "False");
	ck_assert_str_eq(field("pods", "ns", "on-1", "status.conditions[0].lastTransitionTime"), now);
	/* the healthy node and its pod are untouched */
	ck_assert_str_eq(field("nodes", NULL, "node-2", "status.conditions[3].status"), "True");
	ck_assert_str_eq(field("nodes", NULL, "node-2", "status.conditions[3].reason"), "KubeletReady");
	ck_assert_str_eq(taints("node-2"), "");
	ck_assert_str_eq(field("pods", "ns", "on-2", "status.conditions[0].status"), "True");
	kube_nodelifecycle_stats s = stats();
	ck_assert_uint_eq(s.nodes_unknown, 1);
	ck_assert_uint_eq(s.taint_writes, 1);
	ck_assert_uint_eq(s.pods_marked_not_ready, 1);
	ck_assert_uint_eq(s.scheduled, 1);   /* on-1, by the default toleration */
	ck_assert_uint_eq(s.evictions, 0);

	/* later passes write nothing more */
	step(5);
	s = stats();
	ck_assert_uint_eq(s.nodes_unknown, 1);
	ck_assert_uint_eq(s.taint_writes, 1);
	ck_assert_uint_eq(s.pods_marked_not_ready, 1);
}
END_TEST

/* Pod events: the last MODIFIED state of each pod before it was deleted. */
static char last_disruption[4][128];

static void pod_watch(kube_watch *w, const kube_watch_event *ev, void *ud)
{
	(void)w;
	(void)ud;
	if (ev->type == KUBE_WATCH_MODIFIED && strcmp(kube_object_name(ev->object), "short") == 0) {
		const char *t = NULL, *r = NULL, *m = NULL, *s = NULL;
		kube_object_get_string(ev->object, "status.conditions[1].type", &t);
		kube_object_get_string(ev->object, "status.conditions[1].status", &s);
		kube_object_get_string(ev->object, "status.conditions[1].reason", &r);
		kube_object_get_string(ev->object, "status.conditions[1].message", &m);
		snprintf(last_disruption[0], 128, "%s", t ? t : "");
		snprintf(last_disruption[1], 128, "%s", s ? s : "");
		snprintf(last_disruption[2], 128, "%s", r ? r : "");
		snprintf(last_disruption[3], 128, "%s", m ? m : "");
	}
}

START_TEST(test_nodelifecycle_evicts_after_toleration_seconds)
{
	kube_watch *w = NULL;
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;

	memset(last_disruption, 0, sizeof(last_disruption));
	create_node("node-1", "True");
	/* the admission plugin's default: 300 s */
	create_pod("default", "node-1", NULL);
	/* tolerationSeconds 0: at once */
	create_pod("zero", "node-1",
	           "[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\","
	           "\"effect\":\"NoExecute\",\"tolerationSeconds\":0}]");
	/* a toleration for the taint's key with another value tolerates
	 * nothing, yet stops the default one being added: at once */
	create_pod("mismatch", "node-1",
	           "[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Equal\","
	           "\"value\":\"x\",\"effect\":\"NoExecute\",\"tolerationSeconds\":600}]");
	/* no tolerationSeconds: forever */
	create_pod("forever", "node-1",
	           "[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\","
	           "\"effect\":\"NoExecute\"}]");
	/* the smaller of its own 60 s and... its own: 60 s */
	create_pod("short", "node-1",
	           "[{\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":60}]");
	/* tolerates everything for a long time: the wildcard comes first */
	create_pod("long", "node-1",
	           "[{\"operator\":\"Exists\",\"tolerationSeconds\":1000},"
	           "{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\","
	           "\"tolerationSeconds\":5}]");
	/* the largest tolerationSeconds there is: never, without overflow */
	create_pod("huge", "node-1",
	           "[{\"operator\":\"Exists\",\"tolerationSeconds\":9223372036854775807}]");
	ck_assert_int_eq(kube_store_watch(&w, st, "pods", &wo, pod_watch, NULL, NULL), 0);
	start();
	step(55);   /* one pass sees the node silent for 55 s */
	const int64_t tainted = fake_now;
	ck_assert_str_eq(field("nodes", NULL, "node-1", "status.conditions[3].status"), "Unknown");
	ck_assert_str_eq(field("nodes", NULL, "node-1", "spec.taints[0].timeAdded"), ts(tainted));
	ck_assert(!exists("zero"));
	ck_assert(!exists("mismatch"));
	ck_assert(exists("default"));
	ck_assert(exists("forever"));
	ck_assert(exists("short"));
	ck_assert(exists("long"));
	kube_nodelifecycle_stats s = stats();
	ck_assert_uint_eq(s.evictions, 2);
	ck_assert_uint_eq(s.scheduled, 4);   /* default, short, long, huge */

	step(59);
	ck_assert(exists("short"));
	step(1);
	ck_assert(!exists("short"));
	/* the DisruptionTarget condition was written before the deletion */
	ck_assert_str_eq(last_disruption[0], "DisruptionTarget");
	ck_assert_str_eq(last_disruption[1], "True");
	ck_assert_str_eq(last_disruption[2], "DeletionByTaintManager");
	ck_assert_str_eq(last_disruption[3], "Taint manager: deleting due to NoExecute taint");

	fake_now = tainted + 299 * SEC;
	step(0);
	ck_assert(exists("default"));
	step(1);   /* tainted + 300 s */
	ck_assert(!exists("default"));
	ck_assert(exists("forever"));
	ck_assert(exists("long"));
	fake_now = tainted + 1000 * SEC;
	step(0);
	ck_assert(!exists("long"));
	step(3600);
	ck_assert(exists("forever"));
	ck_assert(exists("huge"));
	s = stats();
	ck_assert_uint_eq(s.evictions, 5);
	ck_assert_uint_eq(s.scheduled, 1);
	ck_assert_uint_eq(s.cancelled, 0);
	kube_watch_cancel(w);
}
END_TEST

START_TEST(test_nodelifecycle_recovery_cancels_eviction)
{
	create_node("node-1", "True");
	create_pod("default", "node-1", NULL);
	start();
	step(55);
	ck_assert_str_eq(taints("node-1"),
	                 "node.kubernetes.io/unreachable:NoExecute,node.kubernetes.io/unreachable:NoSchedule");
	ck_assert_uint_eq(stats().scheduled, 1);

	/* the kubelet is back at +155 s: Ready again, Lease renewed */
	step(100);
	post_ready("node-1", "True");
	renew("node-1");
	step(0);
	ck_assert_str_eq(field("nodes", NULL, "node-1", "status.conditions[3].status"), "True");
	ck_assert_str_eq(taints("node-1"), "");
	kube_nodelifecycle_stats s = stats();
	ck_assert_uint_eq(s.scheduled, 0);
	ck_assert_uint_eq(s.cancelled, 1);
	ck_assert_uint_eq(s.taint_writes, 2);
	/* well past the 300 s it would have had: still there */
	for (int i = 0; i < 60; i++) {
		fake_now += 5 * SEC;
		renew("node-1");
		step(0);
	}
	ck_assert(exists("default"));
	ck_assert_str_eq(taints("node-1"), "");
	ck_assert_uint_eq(stats().evictions, 0);
}
END_TEST

START_TEST(test_nodelifecycle_not_ready_then_unreachable)
{
	create_node("node-1", "True");
	create_pod("default", "node-1", NULL);
	create_pod("forever-nr", "node-1",
	           "[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\","
	           "\"effect\":\"NoExecute\"}]");
	start();
	/* the kubelet reports NotReady but keeps its Lease */
	fake_now += 5 * SEC;
	post_ready("node-1", "False");
	renew("node-1");
	step(0);
	const int64_t nr = fake_now;
	ck_assert_str_eq(field("nodes", NULL, "node-1", "status.conditions[3].status"), "False");
	ck_assert_str_eq(field("nodes", NULL, "node-1", "status.conditions[3].reason"), "KubeletNotReady");
	ck_assert_str_eq(taints("node-1"),
	                 "node.kubernetes.io/not-ready:NoExecute,node.kubernetes.io/not-ready:NoSchedule");
	/* upstream marks pods not ready only when it is the controller that
	 * takes Ready away from True: a kubelet alive enough to post
	 * NotReady looks after its pods itself */
	ck_assert_str_eq(field("pods", "ns", "default", "status.conditions[0].status"), "True");
	ck_assert_uint_eq(stats().pods_marked_not_ready, 0);
	ck_assert_uint_eq(stats().scheduled, 1);   /* forever-nr tolerates not-ready forever */

	/* then it goes silent: Unknown, and the taints swap at once */
	step(55);
	ck_assert_str_eq(field("nodes", NULL, "node-1", "status.conditions[3].status"), "Unknown");
	ck_assert_str_eq(taints("node-1"),
	                 "node.kubernetes.io/unreachable:NoExecute,node.kubernetes.io/unreachable:NoSchedule");
	ck_assert_str_eq(field("nodes", NULL, "node-1", "spec.taints[0].timeAdded"), ts(fake_now));
	/* forever-nr does not tolerate unreachable: its default one is 300 s */
	ck_assert_uint_eq(stats().scheduled, 2);
	/* default keeps the time it was scheduled with: 300 s after not-ready */
	fake_now = nr + 299 * SEC;
	step(0);
	ck_assert(exists("default"));
	step(1);
	ck_assert(!exists("default"));
	ck_assert(exists("forever-nr"));
	fake_now = nr + 55 * SEC + 300 * SEC;
	step(0);
	ck_assert(!exists("forever-nr"));
	ck_assert_uint_eq(stats().evictions, 2);
}
END_TEST

START_TEST(test_nodelifecycle_untolerated_taint_and_conditions)
{
	create_node("node-1", "True");
	create_node("fresh", NULL);   /* never posted a status */
	create_pod("plain", "node-1", NULL);
	create_pod("dedicated", "node-1",
	           "[{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"db\","
	           "\"effect\":\"NoExecute\"}]");
	start();
	ck_assert_uint_eq(stats().taint_writes, 0);

	/* a taint of the user's own: only the pod that tolerates it stays;
	 * memory pressure and cordoning bring their NoSchedule taints */
	kube_object *n = get("nodes", NULL, "node-1"), *m = NULL;
	ck_assert_int_eq(kube_object_mutable(&m, n), 0);
	kube_object_unref(n);
	ck_assert_int_eq(kube_object_set_json(m, "spec.taints",
	                                      "[{\"key\":\"dedicated\",\"value\":\"db\",\"effect\":\"NoExecute\"}]"), 0);
	ck_assert_int_eq(kube_object_set_bool(m, "spec.unschedulable", 1), 0);
	ck_assert_int_eq(kube_object_set_string(m, "status.conditions[0].status", "True"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
	kube_object_unref(m);
	renew("node-1");
	step(0);
	ck_assert(!exists("plain"));
	ck_assert(exists("dedicated"));
	ck_assert_str_eq(taints("node-1"),
	                 "dedicated:NoExecute,node.kubernetes.io/memory-pressure:NoSchedule,"
	                 "node.kubernetes.io/unschedulable:NoSchedule");
	ck_assert_str_eq(field("nodes", NULL, "node-1", "spec.taints[0].value"), "db");
	ck_assert_str_eq(field("nodes", NULL, "node-1", "spec.taints[0].timeAdded"), "<none>");

	/* pressure gone: its taint goes, the others stay */
	n = get("nodes", NULL, "node-1");
	ck_assert_int_eq(kube_object_mutable(&m, n), 0);
	kube_object_unref(n);
	ck_assert_int_eq(kube_object_set_string(m, "status.conditions[0].status", "False"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
	kube_object_unref(m);
	step(0);
	ck_assert_str_eq(taints("node-1"),
	                 "dedicated:NoExecute,node.kubernetes.io/unschedulable:NoSchedule");

	/* the node that never posted: 60 s of startup grace from its creation */
	ck_assert_str_eq(field("nodes", NULL, "fresh", "status.conditions[0].type"), "<none>");
	for (int i = 0; i < 12; i++) {
		fake_now += 5 * SEC;
		renew("node-1");
		step(0);
	}
	/* the Lease of "fresh" never moved, but its creation is t0 (the store's
	 * real time, a fraction of a second before or after): Unknown by +65 s */
	fake_now += 5 * SEC;
	renew("node-1");
	step(0);
	ck_assert_str_eq(field("nodes", NULL, "fresh", "status.conditions[0].type"), "Ready");
	ck_assert_str_eq(field("nodes", NULL, "fresh", "status.conditions[0].status"), "Unknown");
	ck_assert_str_eq(field("nodes", NULL, "fresh", "status.conditions[0].reason"),
	                 "NodeStatusNeverUpdated");
	ck_assert_str_eq(field("nodes", NULL, "fresh", "status.conditions[0].message"),
	                 "Kubelet never posted node status.");
	ck_assert_str_eq(field("nodes", NULL, "fresh", "status.conditions[3].type"), "PIDPressure");
	ck_assert_str_eq(taints("fresh"),
	                 "node.kubernetes.io/unreachable:NoExecute,node.kubernetes.io/unreachable:NoSchedule");
	ck_assert_str_eq(field("nodes", NULL, "node-1", "status.conditions[3].status"), "True");
}
END_TEST

static int add_forever(kube_object *o, void *ud)
{
	(void)ud;
	return kube_object_set_json(o, "spec.tolerations",
	                            "[{\"key\":\"node.kubernetes.io/unreachable\","
	                            "\"operator\":\"Exists\",\"effect\":\"NoExecute\"}]");
}

START_TEST(test_nodelifecycle_pod_and_node_events)
{
	create_node("node-1", "True");
	create_node("node-2", "True");
	create_pod("a", "node-1", NULL);
	create_pod("b", "node-1", NULL);
	create_pod("c", "node-2", NULL);
	start();
	step(55);
	ck_assert_str_eq(field("nodes", NULL, "node-1", "status.conditions[3].status"), "Unknown");
	ck_assert_str_eq(field("nodes", NULL, "node-2", "status.conditions[3].status"), "Unknown");
	ck_assert_uint_eq(stats().scheduled, 3);
	ck_assert_uint_eq(stats().pods_marked_not_ready, 3);

	/* a pod bound to a node that is not Ready is marked not ready and
	 * scheduled for eviction too */
	step(10);
	create_pod("late", "node-1", NULL);
	step(0);
	ck_assert_str_eq(field("pods", "ns", "late", "status.conditions[0].status"), "False");
	ck_assert_str_eq(field("pods", "ns", "late", "status.conditions[0].lastTransitionTime"),
	                 ts(fake_now));
	kube_nodelifecycle_stats s = stats();
	ck_assert_uint_eq(s.pods_marked_not_ready, 4);
	ck_assert_uint_eq(s.scheduled, 4);

	/* a toleration added for ever cancels the eviction */
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "pods", "ns", "a", add_forever, NULL), 0);
	step(0);
	ck_assert_uint_eq(stats().scheduled, 3);
	ck_assert_uint_eq(stats().cancelled, 1);
	/* a pod deleted by someone else: its eviction goes with it */
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", "b", NULL), 0);
	step(0);
	ck_assert_uint_eq(stats().scheduled, 2);
	ck_assert_uint_eq(stats().cancelled, 2);
	/* a deleted node takes its state along */
	ck_assert_int_eq(kube_store_delete(NULL, st, "nodes", NULL, "node-2", NULL), 0);
	step(0);
	ck_assert_uint_eq(stats().scheduled, 1);   /* late */
	/* late's 300 s count from the taint's timeAdded (t0 + 55 s), not from
	 * when the pod arrived (see doc/reconciler.md) */
	fake_now = t0 + 354 * SEC;
	step(0);
	ck_assert(exists("late"));
	step(1);
	ck_assert(!exists("late"));
	ck_assert(exists("a"));
	ck_assert(exists("c"));   /* its node is gone: nobody evicts it */
	s = stats();
	ck_assert_uint_eq(s.evictions, 1);
	ck_assert_uint_eq(s.scheduled, 0);
	/* it read every pod version by path (spec.nodeName, tolerations) and
	 * expanded none into a tree */
	static const char *const kept[] = { "a", "c" };
	for (size_t i = 0; i < 2; i++) {
		kube_object *p = get("pods", "ns", kept[i]);
		ck_assert_msg(!kube__object_has_tree(p), "pod %s has its tree built", kept[i]);
		kube_object_unref(p);
	}
}
END_TEST

/* The simulated nodes of lib/node: one fails (its heartbeat off), is
 * found out and tainted, and comes back.  Their Leases carry the real
 * time; the controller only compares them with each other. */
START_TEST(test_nodelifecycle_simulated_node_fails_and_returns)
{
	kube_nodes_options no = KUBE_NODES_OPTIONS_INIT;
	kube_nodes *pool = NULL;
	struct timespec nap = { 0, 1000000 };

	no.count = 2;
	no.ready_delay_ms = 1;
	no.lease_period_ms = 0;   /* renewals by hand, once per step */
	ck_assert_int_eq(kube_nodes_new(&pool, loop, st, &no), 0);
	settle();
	create_pod("web", "node-2", NULL);
	start();
	ck_assert_str_eq(field("nodes", NULL, "node-2", "status.conditions[3].status"), "True");
	ck_assert_int_eq(kube_nodes_set_heartbeat(pool, "node-2", 0), 0);
	for (int i = 0; i < 10; i++) {
		nanosleep(&nap, NULL);
		ck_assert_int_eq(kube_nodes_heartbeat(pool), 0);
		step(5);
	}
	ck_assert_str_eq(field("nodes", NULL, "node-2", "status.conditions[3].status"), "True");
	nanosleep(&nap, NULL);
	ck_assert_int_eq(kube_nodes_heartbeat(pool), 0);
	step(5);
	ck_assert_str_eq(field("nodes", NULL, "node-2", "status.conditions[3].status"), "Unknown");
	ck_assert_str_eq(field("nodes", NULL, "node-2", "status.conditions[3].reason"),
	                 "NodeStatusUnknown");
	ck_assert_str_eq(taints("node-2"),
	                 "node.kubernetes.io/unreachable:NoExecute,node.kubernetes.io/unreachable:NoSchedule");
	ck_assert_str_eq(field("pods", "ns", "web", "status.conditions[0].status"), "False");
	ck_assert_str_eq(field("nodes", NULL, "node-1", "status.conditions[3].status"), "True");
	ck_assert_str_eq(taints("node-1"), "");
	ck_assert_uint_eq(stats().scheduled, 1);

	/* back after 100 s: the kubelet posts Ready, the taints and the
	 * eviction go */
	fake_now += 100 * SEC;
	ck_assert_int_eq(kube_nodes_set_heartbeat(pool, "node-2", 1), 0);
	step(0);
	ck_assert_str_eq(field("nodes", NULL, "node-2", "status.conditions[3].status"), "True");
	ck_assert_str_eq(taints("node-2"), "");
	kube_nodelifecycle_stats s = stats();
	ck_assert_uint_eq(s.scheduled, 0);
	ck_assert_uint_eq(s.cancelled, 1);
	ck_assert_uint_eq(s.evictions, 0);
	ck_assert(exists("web"));
	kube_nodes_free(pool);
}
END_TEST

/* A Ready condition without lastHeartbeatTime and no Lease: nothing
 * moves, so the node goes Unknown after the grace period like any silent
 * node (two missing heartbeats are the same heartbeat). */
START_TEST(test_nodelifecycle_missing_heartbeat_is_no_heartbeat)
{
	create("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"bare\"},"
	       "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}");
	start();
	for (int i = 0; i < 10; i++)
		step(5);
	/* t0 + 50 s: the grace period, not more */
	ck_assert_str_eq(field("nodes", NULL, "bare", "status.conditions[0].status"), "True");
	step(5);
	ck_assert_str_eq(field("nodes", NULL, "bare", "status.conditions[0].status"), "Unknown");
	ck_assert_str_eq(field("nodes", NULL, "bare", "status.conditions[0].reason"),
	                 "NodeStatusUnknown");
	ck_assert_str_eq(taints("bare"), "node.kubernetes.io/unreachable:NoExecute,"
	                                 "node.kubernetes.io/unreachable:NoSchedule");
}
END_TEST

START_TEST(test_nodelifecycle_options_checked)
{
	kube_nodelifecycle_options o;
	kube_nodelifecycle_controller *c = (kube_nodelifecycle_controller *)&o;
	kube_nodelifecycle_stats s = { 0, 0, 0, 0, 0, 0, 0 };

	ck_assert_int_eq(kube_nodelifecycle_options_init(&o, 2), KUBE_EINVAL);
	ck_assert_int_eq(kube_nodelifecycle_options_init(NULL, 1), KUBE_EINVAL);
	ck_assert_int_eq(kube_nodelifecycle_options_init(&o, KUBE_NODELIFECYCLE_OPTIONS_VERSION), 0);
	ck_assert_int_eq(o.monitor_grace_period_ns, 50 * SEC);
	ck_assert_int_eq(o.startup_grace_period_ns, 60 * SEC);
	ck_assert_int_eq(o.monitor_period_ns, 5 * SEC);
	ck_assert_int_eq(o.default_toleration_seconds, 300);
	ck_assert_ptr_null(o.clock);

	o.version = 9;
	ck_assert_int_eq(kube_nodelifecycle_controller_new(&c, fac, st, &o), KUBE_EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(kube_error_last()->message,
	                 "kube_nodelifecycle_controller_new: unknown options version 9");
	o.version = KUBE_NODELIFECYCLE_OPTIONS_VERSION;
	o.monitor_period_ns = 0;
	ck_assert_int_eq(kube_nodelifecycle_controller_new(&c, fac, st, &o), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "kube_nodelifecycle_controller_new: periods must be > 0");
	o.monitor_period_ns = 5 * SEC;
	o.default_toleration_seconds = -1;
	ck_assert_int_eq(kube_nodelifecycle_controller_new(&c, fac, st, &o), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "kube_nodelifecycle_controller_new: default_toleration_seconds must be >= 0");
	ck_assert_int_eq(kube_nodelifecycle_controller_new(&c, NULL, st, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_nodelifecycle_controller_new(NULL, fac, st, NULL), KUBE_EINVAL);

	/* NULL options: the defaults */
	ck_assert_int_eq(kube_nodelifecycle_controller_new(&nlc, fac, st, NULL), 0);
	ck_assert_ptr_nonnull(kube_nodelifecycle_controller_runner(nlc));
	ck_assert_ptr_null(kube_nodelifecycle_controller_runner(NULL));
	ck_assert_int_eq(kube_nodelifecycle_controller_get_stats(nlc, &s), KUBE_EINVAL);
	ck_assert_int_eq(kube_nodelifecycle_controller_get_stats(NULL, &s), KUBE_EINVAL);
	s.version = KUBE_NODELIFECYCLE_STATS_VERSION;
	ck_assert_int_eq(kube_nodelifecycle_controller_get_stats(nlc, &s), 0);
	ck_assert_uint_eq(s.evictions, 0);
	ck_assert_uint_eq(s.version, KUBE_NODELIFECYCLE_STATS_VERSION);
	kube_nodelifecycle_controller_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nodelifecycle");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_nodelifecycle_lease_stale_unknown_and_tainted);
	tcase_add_test(tc, test_nodelifecycle_evicts_after_toleration_seconds);
	tcase_add_test(tc, test_nodelifecycle_recovery_cancels_eviction);
	tcase_add_test(tc, test_nodelifecycle_not_ready_then_unreachable);
	tcase_add_test(tc, test_nodelifecycle_untolerated_taint_and_conditions);
	tcase_add_test(tc, test_nodelifecycle_pod_and_node_events);
	tcase_add_test(tc, test_nodelifecycle_simulated_node_fails_and_returns);
	tcase_add_test(tc, test_nodelifecycle_missing_heartbeat_is_no_heartbeat);
	tcase_add_test(tc, test_nodelifecycle_options_checked);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
