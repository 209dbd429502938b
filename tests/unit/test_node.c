/*
 * test_node.c - the node pool over the memory store: Nodes as the kubelet
 * registers them, Leases renewed, bound pods taken to Running/Ready after
 * the simulated runtime's delay (and not before), pods of other nodes left
 * alone, and a runtime of the test's own behind the vtable (starts
 * counted, a failure, stop on delete); Job pods (restartPolicy Never /
 * OnFailure) written Succeeded as the kubelet writes them, a Job of
 * completions 3 run to Complete by the Job controller through the pool
 * (the test plays the scheduler), and a node's heartbeat switched off and
 * on again.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libkube/kube.h"
#include "libkube/node.h"
#include "libkube/controllers.h"

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

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the loop for about ms milliseconds. */
static void run_for(int64_t ms)
{
	int64_t end = mono_ms() + ms;
	struct timespec nap = { 0, 1000000 };
	do {
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
		nanosleep(&nap, NULL);
	} while (mono_ms() < end);
}

/* Runs the loop until the pod's phase is `phase` (5 s at most: the
 * machine may be loaded, the assertions after say what was expected). */
static void wait_phase(const char *name, const char *phase)
{
	int64_t end = mono_ms() + 5000;
	do {
		kube_object *p = NULL;
		const char *v = NULL;
		run_for(5);
		if (kube_store_get(&p, st, "pods", "default", name) == 0 &&
		    kube_object_get_string(p, "status.phase", &v) == 0 && strcmp(v, phase) == 0) {
			kube_object_unref(p);
			return;
		}
		kube_object_unref(p);
	} while (mono_ms() < end);
}

static void create(const char *json)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_object_from_json(&o, json, strlen(json)), 0);
	ck_assert_int_eq(kube_store_create(NULL, st, o), 0);
	kube_object_unref(o);
}

static void create_pod(const char *name, const char *node)
{
	char buf[512];
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\","
	         "\"name\":\"%s\"},\"spec\":{\"nodeName\":\"%s\",\"containers\":["
	         "{\"name\":\"web\",\"image\":\"nginx:1.27\"},{\"name\":\"side\",\"image\":\"busybox\"}]}}",
	         name, node);
	create(buf);
}

static kube_object *get(const char *res, const char *ns, const char *name)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_store_get(&o, st, res, ns, name), 0);
	return o;
}

static const char *str(const kube_object *o, const char *path)
{
	const char *v = NULL;
	if (kube_object_get_string(o, path, &v) != 0)
		return "<none>";
	return v;
}

static kube_nodes *new_pool(unsigned int count, uint64_t delay_ms, const kube_node_runtime *rt,
                            void *rt_ud)
{
	kube_nodes_options o = KUBE_NODES_OPTIONS_INIT;
	kube_nodes *n = NULL;
	o.count = count;
	o.ready_delay_ms = delay_ms;
	o.runtime = rt;
	o.runtime_userdata = rt_ud;
	ck_assert_int_eq(kube_nodes_new(&n, loop, st, &o), 0);
	return n;
}

START_TEST(test_node_registers_nodes_and_leases)
{
	kube_nodes *n = new_pool(3, 10, NULL, NULL);
	kube_object_list *l = NULL;
	int64_t rev = 0;

	run_for(20);
	ck_assert_str_eq(kube_nodes_name(n, 0), "node-1");
	ck_assert_str_eq(kube_nodes_name(n, 2), "node-3");
	ck_assert_ptr_null(kube_nodes_name(n, 3));
	ck_assert_int_eq(kube_store_list(&l, st, "nodes", NULL, &rev, NULL), 0);
	ck_assert_uint_eq(kube_object_list_count(l), 3);
	for (size_t i = 0; i < 3; i++) {
		kube_object *node = kube_object_list_get(l, i), *lease;
		char want[16], zone[16];
		snprintf(want, sizeof(want), "node-%zu", i + 1);
		snprintf(zone, sizeof(zone), "zone-%c", (char)('a' + i));
		ck_assert_str_eq(kube_object_name(node), want);
		ck_assert_str_eq(str(node, "metadata.labels[\"kubernetes.io/hostname\"]"), want);
		ck_assert_str_eq(str(node, "metadata.labels[\"topology.kubernetes.io/zone\"]"), zone);
		ck_assert_str_eq(str(node, "metadata.labels[\"kubernetes.io/os\"]"), "linux");
		ck_assert_str_eq(str(node, "status.capacity.cpu"), "4");
		ck_assert_str_eq(str(node, "status.allocatable.memory"), "16Gi");
		ck_assert_str_eq(str(node, "status.allocatable.pods"), "110");
		ck_assert_str_eq(str(node, "status.conditions[3].type"), "Ready");
		ck_assert_str_eq(str(node, "status.conditions[3].status"), "True");
		ck_assert_str_eq(str(node, "status.conditions[3].reason"), "KubeletReady");
		ck_assert_str_eq(str(node, "status.conditions[0].type"), "MemoryPressure");
		ck_assert_str_eq(str(node, "status.conditions[0].status"), "False");
		ck_assert_str_eq(str(node, "status.addresses[1].address"), want);
		lease = get("leases", "kube-node-lease", want);
		ck_assert_str_eq(str(lease, "spec.holderIdentity"), want);
		ck_assert_str_eq(str(lease, "metadata.ownerReferences[0].kind"), "Node");
		ck_assert_str_eq(str(lease, "metadata.ownerReferences[0].uid"), kube_object_uid(node));
		int64_t dur = 0;
		ck_assert_int_eq(kube_object_get_int(lease, "spec.leaseDurationSeconds", &dur), 0);
		ck_assert_int_eq(dur, 40);
		/* a MicroTime: 2026-11-28T10:20:18.123456Z */
		ck_assert_uint_eq(strlen(str(lease, "spec.renewTime")), 27);
		kube_object_unref(lease);
	}
	kube_object_list_free(l);
	kube_object_unref(get("namespaces", NULL, "kube-node-lease"));

	/* a renewal rewrites every Lease */
	kube_nodes_stats s = { KUBE_NODES_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 };
	ck_assert_int_eq(kube_nodes_heartbeat(n), 0);
	run_for(10);
	ck_assert_int_eq(kube_nodes_get_stats(n, &s), 0);
	ck_assert_uint_eq(s.heartbeats, 6);   /* 3 creations, 3 renewals */
	ck_assert_uint_eq(s.write_errors, 0);
	ck_assert_int_gt(kube_store_revision(st), rev);
	kube_nodes_free(n);

	/* a second pool takes the Nodes over, keeping their uids: what was
	 * changed meanwhile is rewritten */
	kube_object *before = get("nodes", NULL, "node-2"), *m = NULL;
	ck_assert_int_eq(kube_object_mutable(&m, before), 0);
	ck_assert_int_eq(kube_object_set_label(m, "topology.kubernetes.io/zone", "elsewhere"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
	kube_object_unref(m);
	n = new_pool(3, 10, NULL, NULL);
	run_for(20);
	kube_object *after = get("nodes", NULL, "node-2");
	ck_assert_str_eq(kube_object_uid(after), kube_object_uid(before));
	ck_assert_str_eq(str(after, "metadata.labels[\"topology.kubernetes.io/zone\"]"), "zone-b");
	kube_object_unref(before);
	kube_object_unref(after);
	kube_nodes_free(n);
}
END_TEST

START_TEST(test_node_pod_running_after_delay)
{
	kube_nodes *n = new_pool(3, 400, NULL, NULL);
	kube_nodes_stats s = { KUBE_NODES_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 };
	kube_object *p;

	run_for(10);
	create_pod("web-1", "node-2");
	create_pod("elsewhere", "node-9");   /* not one of ours */
	run_for(30);
	p = get("pods", "default", "web-1");
	ck_assert_str_eq(str(p, "status.phase"), "<none>");   /* not before the delay */
	kube_object_unref(p);
	ck_assert_int_eq(kube_nodes_get_stats(n, &s), 0);
	ck_assert_uint_eq(s.started, 1);
	ck_assert_uint_eq(s.starting, 1);
	ck_assert_uint_eq(s.running, 0);

	wait_phase("web-1", "Running");
	p = get("pods", "default", "web-1");
	ck_assert_str_eq(str(p, "status.phase"), "Running");
	ck_assert_str_eq(str(p, "status.podIP"), "10.0.2.2");
	ck_assert_str_eq(str(p, "status.podIPs[0].ip"), "10.0.2.2");
	ck_assert_str_eq(str(p, "status.hostIP"), "192.168.0.3");
	static const char *const types[] = { "PodReadyToStartContainers", "Initialized", "Ready",
		                             "ContainersReady", "PodScheduled" };
	for (size_t i = 0; i < 5; i++) {
		char path[64];
		snprintf(path, sizeof(path), "status.conditions[%zu].type", i);
		ck_assert_str_eq(str(p, path), types[i]);
		snprintf(path, sizeof(path), "status.conditions[%zu].status", i);
		ck_assert_str_eq(str(p, path), "True");
	}
	ck_assert_str_eq(str(p, "status.containerStatuses[0].name"), "web");
	ck_assert_str_eq(str(p, "status.containerStatuses[1].name"), "side");
	ck_assert_str_eq(str(p, "status.containerStatuses[1].image"), "busybox");
	int ready = 0, started = 0;
	ck_assert_int_eq(kube_object_get_bool(p, "status.containerStatuses[1].ready", &ready), 0);
	ck_assert_int_eq(kube_object_get_bool(p, "status.containerStatuses[1].started", &started), 0);
	ck_assert_int_eq(ready, 1);
	ck_assert_int_eq(started, 1);
	ck_assert_uint_eq(strlen(str(p, "status.containerStatuses[0].state.running.startedAt")), 20);
	ck_assert_uint_eq(strlen(str(p, "status.startTime")), 20);
	kube_object_unref(p);
	p = get("pods", "default", "elsewhere");
	ck_assert_str_eq(str(p, "status.phase"), "<none>");
	kube_object_unref(p);

	/* the second pod on the node gets the next address */
	create_pod("web-2", "node-2");
	wait_phase("web-2", "Running");
	p = get("pods", "default", "web-2");
	ck_assert_str_eq(str(p, "status.podIP"), "10.0.2.3");
	kube_object_unref(p);
	ck_assert_int_eq(kube_nodes_get_stats(n, &s), 0);
	ck_assert_uint_eq(s.started, 2);
	ck_assert_uint_eq(s.running, 2);
	ck_assert_uint_eq(s.starting, 0);
	ck_assert_uint_eq(s.write_errors, 0);

	/* deleted while starting: never written */
	create_pod("short", "node-1");
	run_for(20);
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "default", "short", NULL), 0);
	run_for(500);
	ck_assert_int_eq(kube_nodes_get_stats(n, &s), 0);
	ck_assert_uint_eq(s.started, 3);
	ck_assert_uint_eq(s.running, 2);
	ck_assert_uint_eq(s.write_errors, 0);
	kube_nodes_free(n);
}
END_TEST

/* More pods started at once than the pool keeps status writes in flight:
 * every one is written, each on the pod as stored (a status already
 * there is replaced, labels, spec and the rest kept). */
START_TEST(test_node_many_pods_all_written)
{
	kube_nodes *n = new_pool(3, 0, NULL, NULL);
	kube_nodes_stats s = { KUBE_NODES_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 };
	kube_object *p;
	char name[32];
	int64_t end;

	run_for(10);
	create("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\","
	       "\"name\":\"scheduled\",\"labels\":{\"app\":\"a\\\"b\"}},\"spec\":{\"nodeName\":"
	       "\"node-3\",\"containers\":[{\"name\":\"c\",\"image\":\"r/\\\"q\\\"\"}]},"
	       "\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\","
	       "\"status\":\"True\"}],\"nominatedNodeName\":\"x\"}}");
	for (int i = 0; i < 1100; i++) {
		snprintf(name, sizeof(name), "p-%d", i);
		create_pod(name, i % 2 ? "node-1" : "node-2");
	}
	end = mono_ms() + 10000;
	do {
		run_for(5);
		ck_assert_int_eq(kube_nodes_get_stats(n, &s), 0);
	} while (s.running < 1101 && mono_ms() < end);
	ck_assert_uint_eq(s.started, 1101);
	ck_assert_uint_eq(s.running, 1101);
	ck_assert_uint_eq(s.write_errors, 0);
	p = get("pods", "default", "p-1099");
	ck_assert_str_eq(str(p, "status.phase"), "Running");
	ck_assert_str_eq(str(p, "status.hostIP"), "192.168.0.2");
	ck_assert_str_eq(str(p, "spec.containers[1].image"), "busybox");
	ck_assert_str_eq(str(p, "status.containerStatuses[1].image"), "busybox");
	kube_object_unref(p);
	p = get("pods", "default", "scheduled");
	ck_assert_str_eq(str(p, "status.phase"), "Running");
	ck_assert_str_eq(str(p, "status.conditions[4].type"), "PodScheduled");
	ck_assert_str_eq(str(p, "status.nominatedNodeName"), "<none>");   /* the whole status */
	ck_assert_str_eq(str(p, "metadata.labels.app"), "a\"b");
	ck_assert_str_eq(str(p, "status.containerStatuses[0].image"), "r/\"q\"");
	ck_assert_str_eq(str(p, "status.containerStatuses[0].name"), "c");
	kube_object_unref(p);
	kube_nodes_free(n);
}
END_TEST

/* The timer renews the Leases a slice of the pool at a time, not all at
 * once, and every one within a period or so. */
START_TEST(test_node_leases_renewed_in_slices)
{
	kube_nodes_options o = KUBE_NODES_OPTIONS_INIT;
	kube_nodes_stats s = { KUBE_NODES_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 };
	kube_nodes *n = NULL;
	kube_object *lease;
	char created[10][32];
	int64_t end;

	o.count = 10;
	o.lease_period_ms = 200;
	ck_assert_int_eq(kube_nodes_new(&n, loop, st, &o), 0);
	for (end = mono_ms() + 5000; mono_ms() < end;) {
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
		ck_assert_int_eq(kube_nodes_get_stats(n, &s), 0);
		if (s.heartbeats >= 10)
			break;
	}
	ck_assert_uint_eq(s.heartbeats, 10);   /* the creations */
	for (int i = 0; i < 10; i++) {
		char nm[16];
		snprintf(nm, sizeof(nm), "node-%d", i + 1);
		lease = get("leases", "kube-node-lease", nm);
		snprintf(created[i], sizeof(created[i]), "%s", str(lease, "spec.renewTime"));
		kube_object_unref(lease);
	}
	/* the first renewals seen: a slice (one node of ten), two at most when
	 * the loop was late, never the pool */
	for (end = mono_ms() + 5000; mono_ms() < end && s.heartbeats == 10;) {
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
		ck_assert_int_eq(kube_nodes_get_stats(n, &s), 0);
	}
	ck_assert_uint_gt(s.heartbeats, 10);
	ck_assert_uint_le(s.heartbeats, 12);
	/* a period later every node has renewed */
	for (end = mono_ms() + 5000; mono_ms() < end && s.heartbeats < 20;) {
		run_for(5);
		ck_assert_int_eq(kube_nodes_get_stats(n, &s), 0);
	}
	for (int i = 0; i < 10; i++) {
		char nm[16];
		snprintf(nm, sizeof(nm), "node-%d", i + 1);
		lease = get("leases", "kube-node-lease", nm);
		ck_assert_str_gt(str(lease, "spec.renewTime"), created[i]);
		kube_object_unref(lease);
	}
	ck_assert_uint_eq(s.write_errors, 0);
	kube_nodes_free(n);
}
END_TEST

/* A runtime of the test's own: counts, defers done, fails "bad" pods. */
typedef struct fake_rt {
	int starts, stops;
	char last_stop[64];
	struct { kube_node_started_cb done; void *ctx; int status; } pending[8];
	int npending;
} fake_rt;

static int fake_start(const kube_object *pod, const char *node, kube_node_started_cb done,
                      void *ctx, void *ud)
{
	fake_rt *f = ud;
	ck_assert_str_eq(node, "node-1");
	f->starts++;
	if (strcmp(kube_object_name(pod), "refused") == 0)
		return KUBE_EIO;   /* done is never called */
	f->pending[f->npending].done = done;
	f->pending[f->npending].ctx = ctx;
	f->pending[f->npending].status = strcmp(kube_object_name(pod), "bad") == 0 ? KUBE_EIO : 0;
	f->npending++;
	return 0;
}

static void fake_stop(const char *uid, void *ud)
{
	fake_rt *f = ud;
	f->stops++;
	snprintf(f->last_stop, sizeof(f->last_stop), "%s", uid);
}

START_TEST(test_node_runtime_vtable)
{
	fake_rt f;
	kube_node_runtime rt = { KUBE_NODE_RUNTIME_VERSION, sizeof(kube_node_runtime), fake_start,
		                 fake_stop };
	kube_nodes_stats s = { KUBE_NODES_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 };
	kube_nodes *n;
	kube_object *p;

	memset(&f, 0, sizeof(f));
	n = new_pool(1, 0, &rt, &f);
	run_for(10);
	create_pod("good", "node-1");
	create_pod("bad", "node-1");
	create_pod("refused", "node-1");
	create_pod("gone", "node-1");
	run_for(20);
	ck_assert_int_eq(f.starts, 4);
	ck_assert_int_eq(f.npending, 3);
	p = get("pods", "default", "gone");
	char uid[64];
	snprintf(uid, sizeof(uid), "%s", kube_object_uid(p));
	kube_object_unref(p);
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "default", "gone", NULL), 0);
	run_for(10);
	ck_assert_int_eq(f.stops, 1);
	ck_assert_str_eq(f.last_stop, uid);
	for (int i = 0; i < f.npending; i++)
		f.pending[i].done(f.pending[i].status, f.pending[i].ctx);
	wait_phase("good", "Running");
	p = get("pods", "default", "good");
	ck_assert_str_eq(str(p, "status.phase"), "Running");
	ck_assert_int_eq(strncmp(str(p, "status.containerStatuses[0].containerID"), "libkube://", 10), 0);
	kube_object_unref(p);
	p = get("pods", "default", "bad");
	ck_assert_str_eq(str(p, "status.phase"), "<none>");
	kube_object_unref(p);
	ck_assert_int_eq(kube_nodes_get_stats(n, &s), 0);
	ck_assert_uint_eq(s.started, 4);
	ck_assert_uint_eq(s.running, 1);
	ck_assert_uint_eq(s.start_failures, 2);
	ck_assert_uint_eq(s.starting, 0);
	kube_nodes_free(n);
}
END_TEST

static void create_pod_policy(const char *name, const char *node, const char *policy)
{
	char buf[512];
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\","
	         "\"name\":\"%s\"},\"spec\":{\"nodeName\":\"%s\",\"restartPolicy\":\"%s\","
	         "\"containers\":[{\"name\":\"work\",\"image\":\"busybox\"}]}}",
	         name, node, policy);
	create(buf);
}

START_TEST(test_node_job_pods_complete)
{
	kube_nodes_options o = KUBE_NODES_OPTIONS_INIT;
	kube_nodes_stats s = { KUBE_NODES_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 };
	kube_nodes *n = NULL;
	kube_object *p;

	o.count = 1;
	o.ready_delay_ms = 10;
	o.complete_after_ms = 300;
	ck_assert_int_eq(kube_nodes_new(&n, loop, st, &o), 0);
	run_for(10);
	create_pod_policy("never", "node-1", "Never");
	create_pod_policy("onfailure", "node-1", "OnFailure");
	create_pod_policy("always", "node-1", "Always");
	wait_phase("never", "Running");
	/* not before its time */
	p = get("pods", "default", "never");
	ck_assert_str_eq(str(p, "status.phase"), "Running");
	kube_object_unref(p);
	wait_phase("never", "Succeeded");
	wait_phase("onfailure", "Succeeded");
	run_for(400);
	p = get("pods", "default", "never");
	ck_assert_str_eq(str(p, "status.phase"), "Succeeded");
	static const char *const conds[][4] = {
		{ "PodReadyToStartContainers", "False", "<none>" },
		{ "Initialized", "True", "PodCompleted" },
		{ "Ready", "False", "PodCompleted" },
		{ "ContainersReady", "False", "PodCompleted" },
		{ "PodScheduled", "True", "<none>" },
	};
	for (size_t i = 0; i < 5; i++) {
		char path[64];
		snprintf(path, sizeof(path), "status.conditions[%zu].type", i);
		ck_assert_str_eq(str(p, path), conds[i][0]);
		snprintf(path, sizeof(path), "status.conditions[%zu].status", i);
		ck_assert_str_eq(str(p, path), conds[i][1]);
		snprintf(path, sizeof(path), "status.conditions[%zu].reason", i);
		ck_assert_str_eq(str(p, path), conds[i][2]);
	}
	int64_t code = -1;
	int ready = 1, started = 1;
	ck_assert_int_eq(kube_object_get_int(p, "status.containerStatuses[0].state.terminated.exitCode",
	                                     &code), 0);
	ck_assert_int_eq(code, 0);
	ck_assert_str_eq(str(p, "status.containerStatuses[0].state.terminated.reason"), "Completed");
	ck_assert_str_eq(str(p, "status.containerStatuses[0].name"), "work");
	ck_assert_str_eq(str(p, "status.containerStatuses[0].state.terminated.startedAt"),
	                 str(p, "status.conditions[1].lastTransitionTime"));
	ck_assert_uint_eq(strlen(str(p, "status.containerStatuses[0].state.terminated.finishedAt")), 20);
	ck_assert_int_eq(kube_object_get_bool(p, "status.containerStatuses[0].ready", &ready), 0);
	ck_assert_int_eq(kube_object_get_bool(p, "status.containerStatuses[0].started", &started), 0);
	ck_assert_int_eq(ready, 0);
	ck_assert_int_eq(started, 0);
	ck_assert_str_eq(str(p, "status.podIP"), "10.0.1.2");   /* kept */
	kube_object_unref(p);
	p = get("pods", "default", "always");
	ck_assert_str_eq(str(p, "status.phase"), "Running");
	kube_object_unref(p);
	ck_assert_int_eq(kube_nodes_get_stats(n, &s), 0);
	ck_assert_uint_eq(s.running, 3);
	ck_assert_uint_eq(s.completed, 2);
	ck_assert_uint_eq(s.write_errors, 0);

	/* a version 1 caller's struct ends before `completed` */
	kube_nodes_stats s1;
	memset(&s1, 0, sizeof(s1));
	s1.version = 1;
	s1.completed = 777;
	ck_assert_int_eq(kube_nodes_get_stats(n, &s1), 0);
	ck_assert_uint_eq(s1.running, 3);
	ck_assert_uint_eq(s1.completed, 777);
	/* and a version 2 caller's before `busy_ns`, which a version 3 one
	 * gets: the pool's callbacks took some time */
	s1.version = 2;
	s1.busy_ns = 777;
	ck_assert_int_eq(kube_nodes_get_stats(n, &s1), 0);
	ck_assert_uint_eq(s1.completed, 2);
	ck_assert_uint_eq(s1.busy_ns, 777);
	ck_assert_uint_gt(s.busy_ns, 0);
	kube_nodes_free(n);

	/* a version 1 caller never gets pods completed */
	kube_nodes_options o1;
	o1.complete_after_ms = 777;
	ck_assert_int_eq(kube_nodes_options_init(&o1, 1), 0);
	ck_assert_uint_eq(o1.version, 1);
	ck_assert_uint_eq(o1.complete_after_ms, 777);   /* not its field */
	o1.name_prefix = "old-";
	o1.count = 1;
	o1.ready_delay_ms = 10;
	ck_assert_int_eq(kube_nodes_new(&n, loop, st, &o1), 0);
	run_for(10);
	create_pod_policy("old-job", "old-1", "Never");
	wait_phase("old-job", "Running");
	run_for(1200);
	p = get("pods", "default", "old-job");
	ck_assert_str_eq(str(p, "status.phase"), "Running");
	kube_object_unref(p);
	kube_nodes_free(n);
}
END_TEST

/* Binds every unbound pod to node-1 or node-2 (the test is the scheduler). */
static int set_node(kube_object *o, void *ud)
{
	return kube_object_set_string(o, "spec.nodeName", ud);
}

static void bind_pending(void)
{
	kube_object_list *l = NULL;
	static unsigned int k;
	ck_assert_int_eq(kube_store_list(&l, st, "pods", NULL, NULL, NULL), 0);
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *p = kube_object_list_get(l, i);
		const char *node = NULL;
		if (kube_object_get_string(p, "spec.nodeName", &node) == 0 && *node)
			continue;
		ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "pods", "default",
		                                              kube_object_name(p), set_node,
		                                              (void *)(k++ % 2 ? "node-2" : "node-1")), 0);
	}
	kube_object_list_free(l);
}

START_TEST(test_node_job_completes_through_nodes)
{
	kube_informer_factory *f = NULL;
	kube_job_controller *jc = NULL;
	kube_nodes_options o = KUBE_NODES_OPTIONS_INIT;
	kube_nodes_stats s = { KUBE_NODES_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 };
	kube_nodes *n = NULL;
	kube_object *job = NULL;
	int64_t end = mono_ms() + 10000, succeeded = 0;

	o.count = 2;
	o.ready_delay_ms = 10;
	o.complete_after_ms = 50;
	ck_assert_int_eq(kube_nodes_new(&n, loop, st, &o), 0);
	ck_assert_int_eq(kube_informer_factory_new(&f, st, 0), 0);
	ck_assert_int_eq(kube_job_controller_new(&jc, f, st, NULL), 0);
	ck_assert_int_eq(kube_informer_factory_start(f), 0);
	create("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"namespace\":"
	       "\"default\",\"name\":\"pi\"},\"spec\":{\"completions\":3,\"parallelism\":2,"
	       "\"template\":{\"metadata\":{\"labels\":{\"app\":\"pi\"}},\"spec\":{"
	       "\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"pi\",\"image\":\"perl\"}]}}}}");
	do {
		const char *type = NULL;
		run_for(5);
		bind_pending();
		job = kube_object_unref(job);
		job = get("jobs", "default", "pi");
		if (kube_object_get_string(job, "status.conditions[1].type", &type) == 0 &&
		    strcmp(type, "Complete") == 0)
			break;
	} while (mono_ms() < end);
	ck_assert_str_eq(str(job, "status.conditions[0].type"), "SuccessCriteriaMet");
	ck_assert_str_eq(str(job, "status.conditions[1].type"), "Complete");
	ck_assert_str_eq(str(job, "status.conditions[1].status"), "True");
	ck_assert_int_eq(kube_object_get_int(job, "status.succeeded", &succeeded), 0);
	ck_assert_int_eq(succeeded, 3);
	kube_object_unref(job);
	ck_assert_int_eq(kube_nodes_get_stats(n, &s), 0);
	ck_assert_uint_eq(s.completed, 3);
	ck_assert_uint_eq(s.write_errors, 0);
	kube_job_controller_free(jc);
	kube_informer_factory_free(f);
	kube_nodes_free(n);
}
END_TEST

static int set_ready_unknown(kube_object *o, void *ud)
{
	(void)ud;
	return kube_object_set_string(o, "status.conditions[3].status", "Unknown");
}

START_TEST(test_node_heartbeat_switch)
{
	kube_nodes_options o = KUBE_NODES_OPTIONS_INIT;
	kube_nodes_stats s = { KUBE_NODES_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 };
	kube_nodes *n = NULL;
	kube_object *l1, *l2, *p;
	char renew1[32], renew2[32];
	struct timespec nap = { 0, 2000000 };

	o.count = 2;
	o.ready_delay_ms = 10;
	o.lease_period_ms = 0;   /* renewals by hand */
	ck_assert_int_eq(kube_nodes_new(&n, loop, st, &o), 0);
	run_for(20);
	l1 = get("leases", "kube-node-lease", "node-1");
	l2 = get("leases", "kube-node-lease", "node-2");
	snprintf(renew1, sizeof(renew1), "%s", str(l1, "spec.renewTime"));
	snprintf(renew2, sizeof(renew2), "%s", str(l2, "spec.renewTime"));
	kube_object_unref(l1);
	kube_object_unref(l2);

	ck_assert_int_eq(kube_nodes_set_heartbeat(n, "node-1", 0), 0);
	ck_assert_int_eq(kube_nodes_set_heartbeat(n, "node-1", 0), 0);   /* idempotent */
	nanosleep(&nap, NULL);
	ck_assert_int_eq(kube_nodes_heartbeat(n), 0);
	run_for(10);
	l1 = get("leases", "kube-node-lease", "node-1");
	l2 = get("leases", "kube-node-lease", "node-2");
	ck_assert_str_eq(str(l1, "spec.renewTime"), renew1);
	ck_assert_str_ne(str(l2, "spec.renewTime"), renew2);
	kube_object_unref(l1);
	kube_object_unref(l2);
	ck_assert_int_eq(kube_nodes_get_stats(n, &s), 0);
	ck_assert_uint_eq(s.heartbeats, 3);   /* 2 creations, node-2's renewal */

	/* a pod bound to the failed node is not started */
	create_pod("stuck", "node-1");
	run_for(50);
	p = get("pods", "default", "stuck");
	ck_assert_str_eq(str(p, "status.phase"), "<none>");
	kube_object_unref(p);
	ck_assert_int_eq(kube_nodes_get_stats(n, &s), 0);
	ck_assert_uint_eq(s.started, 0);

	/* the node lifecycle controller would have written Unknown */
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "nodes", NULL, "node-1",
	                                              set_ready_unknown, NULL), 0);
	/* back: conditions posted afresh, Lease renewed, the pod started */
	ck_assert_int_eq(kube_nodes_set_heartbeat(n, "node-1", 1), 0);
	wait_phase("stuck", "Running");
	p = get("nodes", NULL, "node-1");
	ck_assert_str_eq(str(p, "status.conditions[3].type"), "Ready");
	ck_assert_str_eq(str(p, "status.conditions[3].status"), "True");
	ck_assert_str_eq(str(p, "status.conditions[3].reason"), "KubeletReady");
	ck_assert_str_eq(str(p, "status.conditions[0].type"), "MemoryPressure");
	ck_assert_str_eq(str(p, "status.conditions[0].status"), "False");
	kube_object_unref(p);
	l1 = get("leases", "kube-node-lease", "node-1");
	ck_assert_str_ne(str(l1, "spec.renewTime"), renew1);
	kube_object_unref(l1);
	p = get("pods", "default", "stuck");
	ck_assert_str_eq(str(p, "status.phase"), "Running");
	kube_object_unref(p);
	ck_assert_int_eq(kube_nodes_set_heartbeat(n, "node-1", 1), 0);   /* already on */
	ck_assert_int_eq(kube_nodes_get_stats(n, &s), 0);
	ck_assert_uint_eq(s.started, 1);
	ck_assert_uint_eq(s.heartbeats, 4);

	ck_assert_int_eq(kube_nodes_set_heartbeat(n, "node-9", 0), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message,
	                 "kube_nodes_set_heartbeat: no node \"node-9\" in the pool");
	ck_assert_int_eq(kube_nodes_set_heartbeat(n, NULL, 0), KUBE_EINVAL);
	ck_assert_int_eq(kube_nodes_set_heartbeat(NULL, "node-1", 0), KUBE_EINVAL);
	kube_nodes_free(n);
}
END_TEST

START_TEST(test_node_options_checked)
{
	kube_nodes_options o;
	kube_nodes *n = (kube_nodes *)&o;

	ck_assert_int_eq(kube_nodes_options_init(&o, 99), KUBE_EINVAL);
	ck_assert_int_eq(kube_nodes_options_init(&o, KUBE_NODES_OPTIONS_VERSION), 0);
	ck_assert_uint_eq(o.count, 3);
	ck_assert_uint_eq(o.lease_period_ms, 10000);
	ck_assert_uint_eq(o.complete_after_ms, 1000);
	ck_assert_uint_eq(o.version, 2);
	o.count = 0;
	ck_assert_int_eq(kube_nodes_new(&n, loop, st, &o), KUBE_EINVAL);
	ck_assert_ptr_null(n);
	o.count = 2;
	o.cpu = "four";
	ck_assert_int_eq(kube_nodes_new(&n, loop, st, &o), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "kube_nodes_new: cpu: not a quantity: \"four\"");
	o.cpu = "4";
	o.name_prefix = "Node_";
	ck_assert_int_eq(kube_nodes_new(&n, loop, st, &o), KUBE_EINVAL);
	o.name_prefix = "node-";
	kube_node_runtime rt = { 0, sizeof(kube_node_runtime), fake_start, NULL };
	o.runtime = &rt;
	ck_assert_int_eq(kube_nodes_new(&n, loop, st, &o), KUBE_EABI);
	rt.abi_version = KUBE_NODE_RUNTIME_VERSION;
	rt.start_pod = NULL;
	ck_assert_int_eq(kube_nodes_new(&n, loop, st, &o), KUBE_EINVAL);
	ck_assert_int_eq(kube_nodes_heartbeat(NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_nodes_get_stats(NULL, NULL), KUBE_EINVAL);
	kube_nodes_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("node");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_node_registers_nodes_and_leases);
	tcase_add_test(tc, test_node_pod_running_after_delay);
	tcase_add_test(tc, test_node_runtime_vtable);
	tcase_add_test(tc, test_node_options_checked);
	tcase_add_test(tc, test_node_job_pods_complete);
	tcase_add_test(tc, test_node_job_completes_through_nodes);
	tcase_add_test(tc, test_node_heartbeat_switch);
	tcase_add_test(tc, test_node_many_pods_all_written);
	tcase_add_test(tc, test_node_leases_renewed_in_slices);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
