/*
 * test_controllers_sets.c - the DaemonSet and StatefulSet controllers
 * against the memory store, in the style of upstream's controller tests.
 * DaemonSet: one pod per eligible node (nodeSelector, required node
 * affinity, taints and the tolerations the controller adds), pods pinned by
 * matchFields, nodes added / removed / tainted / relabelled, rolling
 * updates that never have more than maxUnavailable nodes unavailable (or,
 * with maxSurge, more than maxSurge extra pods), OnDelete.  StatefulSet:
 * ordinal names and identity labels, OrderedReady creation (N+1 only once N
 * is Running and Ready) and reverse scale-down, PVCs made before their pod
 * and kept after scale-down, Parallel, rolling update from the highest
 * ordinal down to the partition, OnDelete.  Readiness is driven by the test
 * writing pod status as a kubelet would; the clock is fake.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libkube/kube.h"

#define SEC ((int64_t)1000000000)
#define REQ_TERMS "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"

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

static void create(const char *json)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_object_from_json(&o, json, strlen(json)), 0);
	ck_assert_int_eq(kube_store_create(NULL, st, o), 0);
	kube_object_unref(o);
}

static kube_object *get(const char *res, const char *ns, const char *name)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_store_get(&o, st, res, ns, name), 0);
	return o;
}

static int exists(const char *res, const char *ns, const char *name)
{
	kube_object *o = NULL;
	int rc = kube_store_get(&o, st, res, ns, name);
	kube_object_unref(o);
	return rc == 0;
}

static int64_t status_of(const char *res, const char *name, const char *field)
{
	kube_object *o = get(res, "ns", name);
	char path[64];
	int64_t v = 0;
	snprintf(path, sizeof(path), "status.%s", field);
	if (kube_object_get_int(o, path, &v) != 0)
		v = 0;
	kube_object_unref(o);
	return v;
}

static const char *status_str(const char *res, const char *name, const char *field)
{
	static char buf[128];
	kube_object *o = get(res, "ns", name);
	char path[64];
	const char *v = "";
	snprintf(path, sizeof(path), "status.%s", field);
	kube_object_get_string(o, path, &v);
	snprintf(buf, sizeof(buf), "%s", v ? v : "");
	kube_object_unref(o);
	return buf;
}

static kube_object_list *list(const char *res)
{
	kube_object_list *l = NULL;
	ck_assert_int_eq(kube_store_list(&l, st, res, NULL, NULL, NULL), 0);
	return l;
}

static size_t count(const char *res)
{
	kube_object_list *l = list(res);
	size_t n = kube_object_list_count(l);
	kube_object_list_free(l);
	return n;
}

/* Sets a JSON value at path in an object of the store. */
typedef struct setter {
	const char *path, *json;
} setter;

static int set_mut(kube_object *o, void *ud)
{
	setter *s = ud;
	if (!s->json)
		return kube_object_remove(o, s->path);
	return kube_object_set_json(o, s->path, s->json);
}

static void set_json(const char *res, const char *ns, const char *name, const char *path,
                     const char *json)
{
	setter s = { path, json };
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, res, ns, name, set_mut, &s), 0);
}

/* ---- a kubelet ---- */

static const char *pinned_node(const kube_object *p)
{
	const char *v = NULL;
	if (kube_object_get_string(p, "spec.nodeName", &v) == 0 && v)
		return v;
	if (kube_object_get_string(p, REQ_TERMS "[0].matchFields[0].values[0]", &v) == 0)
		return v;
	return NULL;
}

static int run_ready(kube_object *p, void *ud)
{
	const char *node = ud;
	char ts[32], buf[160];
	time_t t = (time_t)(fake_now / SEC);
	struct tm tm;
	int rc = 0;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (node)
		rc = kube_object_set_string(p, "spec.nodeName", node);
	if (!rc)
		rc = kube_object_set_string(p, "status.phase", "Running");
	snprintf(buf, sizeof(buf), "[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"%s\"}]", ts);
	if (!rc)
		rc = kube_object_set_json(p, "status.conditions", buf);
	return rc;
}

static void make_ready(const char *ns, const char *name)
{
	kube_object *p = get("pods", ns, name);
	const char *node = pinned_node(p);
	char nb[128] = "";
	if (node)
		snprintf(nb, sizeof(nb), "%s", node);
	kube_object_unref(p);
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "pods", ns, name, run_ready,
	                                              nb[0] ? nb : NULL), 0);
}

/* Binds and readies every pod that is not Running yet. */
static void kubelet_step(void)
{
	kube_object_list *l = list("pods");
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *p = kube_object_list_get(l, i);
		const char *ph = NULL;
		if (kube_object_get_string(p, "status.phase", &ph) == 0 && strcmp(ph, "Running") == 0)
			continue;
		make_ready(kube_object_namespace(p), kube_object_name(p));
	}
	kube_object_list_free(l);
}

/* ---- DaemonSet ---- */

static void create_node(const char *name, const char *labels, const char *taints)
{
	char buf[1024];
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\",\"labels\":%s},"
	         "\"spec\":{\"taints\":%s}}",
	         name, labels, taints ? taints : "[]");
	create(buf);
}

static void create_ds(const char *name, const char *image, const char *placement,
                      const char *strategy)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"namespace\":\"ns\","
	         "\"name\":\"%s\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"%s\"}},"
	         "\"updateStrategy\":%s,\"template\":{\"metadata\":{\"labels\":{\"app\":\"%s\"}},"
	         "\"spec\":{%s%s\"containers\":[{\"name\":\"c\",\"image\":\"%s\"}]}}}}",
	         name, name, strategy ? strategy : "{\"type\":\"RollingUpdate\"}", name,
	         placement ? placement : "", placement ? "," : "", image);
	create(buf);
}

static kube_daemonset_controller *new_ds_ctrl(void)
{
	kube_workload_controller_options o = KUBE_WORKLOAD_CONTROLLER_OPTIONS_INIT;
	kube_daemonset_controller *c = NULL;
	o.clock = fake_clock;
	ck_assert_int_eq(kube_daemonset_controller_new(&c, fac, st, &o), 0);
	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	return c;
}

/* "node:pod-prefix" of every pod whose name starts with prefix, sorted by
 * node (a static buffer). */
static const char *placement_of(const char *prefix)
{
	static char buf[1024];
	char items[64][64];
	size_t n = 0;
	kube_object_list *l = list("pods");

	for (size_t i = 0; i < kube_object_list_count(l) && n < 64; i++) {
		kube_object *p = kube_object_list_get(l, i);
		if (strncmp(kube_object_name(p), prefix, strlen(prefix)) != 0)
			continue;
		snprintf(items[n++], 64, "%s", pinned_node(p) ? pinned_node(p) : "?");
	}
	kube_object_list_free(l);
	qsort(items, n, sizeof(items[0]), (int (*)(const void *, const void *))strcmp);
	buf[0] = 0;
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "," : "", items[i]);
	return buf;
}

START_TEST(test_controllers_sets_ds_one_pod_per_eligible_node)
{
	kube_daemonset_controller *c = new_ds_ctrl();
	kube_object_list *l;
	kube_object *ds;
	int found = 0;

	create_node("n1", "{\"role\":\"edge\"}", NULL);
	create_node("n2", "{\"role\":\"edge\",\"zone\":\"b\"}", NULL);
	create_node("n3", "{\"role\":\"core\"}", NULL);
	/* an untolerated NoSchedule taint: no daemon pod */
	create_node("n4", "{\"role\":\"edge\"}",
	            "[{\"key\":\"dedicated\",\"value\":\"db\",\"effect\":\"NoSchedule\"}]");
	/* cordoned, under memory pressure: the daemon tolerations cover both */
	create_node("n5", "{\"role\":\"edge\"}",
	            "[{\"key\":\"node.kubernetes.io/unschedulable\",\"effect\":\"NoSchedule\"},"
	            "{\"key\":\"node.kubernetes.io/memory-pressure\",\"effect\":\"NoSchedule\"}]");
	/* network-unavailable is tolerated by hostNetwork pods only */
	create_node("n6", "{\"role\":\"edge\"}",
	            "[{\"key\":\"node.kubernetes.io/network-unavailable\",\"effect\":\"NoSchedule\"}]");
	create_ds("agent", "agent:1", "\"nodeSelector\":{\"role\":\"edge\"}", NULL);
	/* required affinity: role in (core, edge) and zone absent; a toleration
	 * for dedicated=db */
	create_ds("net", "net:1",
	          "\"hostNetwork\":true,\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Equal\","
	          "\"value\":\"db\",\"effect\":\"NoSchedule\"}],\"affinity\":{\"nodeAffinity\":"
	          "{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":[{"
	          "\"matchExpressions\":[{\"key\":\"role\",\"operator\":\"In\",\"values\":[\"core\","
	          "\"edge\"]},{\"key\":\"zone\",\"operator\":\"DoesNotExist\"}]}]}}}",
	          NULL);
	/* a template that names a node runs there only */
	create_ds("pinned", "p:1", "\"nodeName\":\"n3\"", NULL);
	settle();
	ck_assert_str_eq(placement_of("agent-"), "n1,n2,n5");
	ck_assert_str_eq(placement_of("pinned-"), "n3");
	ck_assert_str_eq(placement_of("net-"), "n1,n3,n4,n5,n6");

	ds = get("daemonsets", "ns", "agent");
	l = list("pods");
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *p = kube_object_list_get(l, i);
		kube_owner_ref ref;
		const char *v;
		size_t n = 0;
		if (strncmp(kube_object_name(p), "agent-", 6) != 0)
			continue;
		found++;
		ck_assert_str_eq(kube_object_generate_name(p), "agent-");
		ck_assert_int_eq(kube_object_controller_ref(p, &ref), 0);
		ck_assert_str_eq(ref.kind, "DaemonSet");
		ck_assert_str_eq(ref.api_version, "apps/v1");
		ck_assert_str_eq(ref.uid, kube_object_uid(ds));
		ck_assert_int_eq(ref.block_owner_deletion, 1);
		ck_assert_str_eq(kube_labels_get(kube_object_labels(p), "app"), "agent");
		v = kube_labels_get(kube_object_labels(p), "controller-revision-hash");
		ck_assert_ptr_nonnull(v);
		ck_assert_uint_eq(strspn(v, "bcdfghjklmnpqrstvwxz2456789"), strlen(v));
		/* not bound: pinned for the scheduler */
		ck_assert_int_eq(kube_object_get_string(p, "spec.nodeName", &v), KUBE_ENOTFOUND);
		ck_assert_int_eq(kube_object_get_string(p, REQ_TERMS "[0].matchFields[0].key", &v), 0);
		ck_assert_str_eq(v, "metadata.name");
		ck_assert_int_eq(kube_object_get_string(p, REQ_TERMS "[0].matchFields[0].operator", &v), 0);
		ck_assert_str_eq(v, "In");
		ck_assert_int_eq(kube_object_get_len(p, REQ_TERMS, &n), 0);
		ck_assert_uint_eq(n, 1);
		/* the six daemon tolerations (no network-unavailable without hostNetwork) */
		ck_assert_int_eq(kube_object_get_len(p, "spec.tolerations", &n), 0);
		ck_assert_uint_eq(n, 6);
		ck_assert_int_eq(kube_object_get_string(p, "spec.tolerations[0].key", &v), 0);
		ck_assert_str_eq(v, "node.kubernetes.io/not-ready");
		ck_assert_int_eq(kube_object_get_string(p, "spec.tolerations[0].effect", &v), 0);
		ck_assert_str_eq(v, "NoExecute");
		ck_assert_int_eq(kube_object_get_string(p, "spec.tolerations[5].key", &v), 0);
		ck_assert_str_eq(v, "node.kubernetes.io/unschedulable");
		ck_assert_int_eq(kube_object_get_string(p, "spec.tolerations[5].operator", &v), 0);
		ck_assert_str_eq(v, "Exists");
	}
	ck_assert_int_eq(found, 3);
	kube_object_list_free(l);
	kube_object_unref(ds);
	/* hostNetwork: the template's toleration, then seven daemon ones */
	l = list("pods");
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *p = kube_object_list_get(l, i);
		size_t n = 0;
		const char *v;
		if (strncmp(kube_object_name(p), "net-", 4) != 0)
			continue;
		ck_assert_int_eq(kube_object_get_len(p, "spec.tolerations", &n), 0);
		ck_assert_uint_eq(n, 8);
		ck_assert_int_eq(kube_object_get_string(p, "spec.tolerations[7].key", &v), 0);
		ck_assert_str_eq(v, "node.kubernetes.io/network-unavailable");
		/* the required terms are replaced by the pin */
		ck_assert_int_eq(kube_object_get_len(p, REQ_TERMS "[0].matchExpressions", &n), KUBE_ENOTFOUND);
	}
	kube_object_list_free(l);

	ck_assert_int_eq(status_of("daemonsets", "agent", "desiredNumberScheduled"), 3);
	ck_assert_int_eq(status_of("daemonsets", "agent", "currentNumberScheduled"), 3);
	ck_assert_int_eq(status_of("daemonsets", "agent", "updatedNumberScheduled"), 3);
	ck_assert_int_eq(status_of("daemonsets", "agent", "numberMisscheduled"), 0);
	ck_assert_int_eq(status_of("daemonsets", "agent", "numberReady"), 0);
	ck_assert_int_eq(status_of("daemonsets", "agent", "numberAvailable"), 0);
	ck_assert_int_eq(status_of("daemonsets", "agent", "numberUnavailable"), 3);
	ck_assert_int_eq(status_of("daemonsets", "agent", "observedGeneration"), 1);
	kubelet_step();
	settle();
	ck_assert_int_eq(status_of("daemonsets", "agent", "numberReady"), 3);
	ck_assert_int_eq(status_of("daemonsets", "agent", "numberAvailable"), 3);
	ck_assert_int_eq(status_of("daemonsets", "agent", "numberUnavailable"), 0);
	ck_assert_int_eq(status_of("daemonsets", "net", "desiredNumberScheduled"), 5);
	ck_assert_int_eq(status_of("daemonsets", "net", "numberReady"), 5);
	kube_daemonset_controller_free(c);
}
END_TEST

START_TEST(test_controllers_sets_ds_follows_nodes)
{
	kube_daemonset_controller *c = new_ds_ctrl();
	kube_object_list *l;
	char pinned_n4[64] = "";

	create_node("n1", "{\"role\":\"edge\"}", NULL);
	create_node("n2", "{\"role\":\"edge\"}", NULL);
	create_node("n3", "{\"role\":\"edge\"}", NULL);
	create_ds("agent", "agent:1", "\"nodeSelector\":{\"role\":\"edge\"}", NULL);
	settle();
	ck_assert_str_eq(placement_of("agent-"), "n1,n2,n3");
	kubelet_step();   /* bound and running */
	settle();

	/* a node added: a pod for it */
	create_node("n4", "{\"role\":\"edge\"}", NULL);
	settle();
	ck_assert_str_eq(placement_of("agent-"), "n1,n2,n3,n4");
	l = list("pods");
	for (size_t i = 0; i < kube_object_list_count(l); i++)
		if (strcmp(pinned_node(kube_object_list_get(l, i)), "n4") == 0)
			snprintf(pinned_n4, sizeof(pinned_n4), "%s", kube_object_name(kube_object_list_get(l, i)));
	kube_object_list_free(l);
	ck_assert_str_ne(pinned_n4, "");

	/* relabelled out of the selector: its pod goes */
	set_json("nodes", NULL, "n1", "metadata.labels", "{\"role\":\"core\"}");
	settle();
	ck_assert_str_eq(placement_of("agent-"), "n2,n3,n4");

	/* an untolerated NoSchedule taint keeps the running pod: misscheduled */
	set_json("nodes", NULL, "n2", "spec.taints",
	         "[{\"key\":\"maintenance\",\"effect\":\"NoSchedule\"}]");
	settle();
	ck_assert_str_eq(placement_of("agent-"), "n2,n3,n4");
	ck_assert_int_eq(status_of("daemonsets", "agent", "desiredNumberScheduled"), 2);
	ck_assert_int_eq(status_of("daemonsets", "agent", "numberMisscheduled"), 1);

	/* an untolerated NoExecute taint evicts it */
	set_json("nodes", NULL, "n3", "spec.taints",
	         "[{\"key\":\"maintenance\",\"effect\":\"NoExecute\"}]");
	settle();
	ck_assert_str_eq(placement_of("agent-"), "n2,n4");
	/* but not-ready NoExecute is tolerated */
	set_json("nodes", NULL, "n4", "spec.taints",
	         "[{\"key\":\"node.kubernetes.io/not-ready\",\"effect\":\"NoExecute\"}]");
	settle();
	ck_assert_str_eq(placement_of("agent-"), "n2,n4");

	/* a node removed: its bound pod is left to pod GC (as upstream); an
	 * unscheduled pod pinned to a node that is gone is deleted */
	create_node("n5", "{\"role\":\"edge\"}", NULL);
	settle();
	ck_assert_str_eq(placement_of("agent-"), "n2,n4,n5");
	make_ready("ns", pinned_n4);   /* bound to n4; n5's stays unscheduled */
	settle();
	ck_assert_int_eq(kube_store_delete(NULL, st, "nodes", NULL, "n5", NULL), 0);
	ck_assert_int_eq(kube_store_delete(NULL, st, "nodes", NULL, "n4", NULL), 0);
	settle();
	ck_assert_str_eq(placement_of("agent-"), "n2,n4");
	ck_assert(exists("pods", "ns", pinned_n4));
	ck_assert_int_eq(status_of("daemonsets", "agent", "desiredNumberScheduled"), 0);
	ck_assert_int_eq(status_of("daemonsets", "agent", "numberMisscheduled"), 1);

	/* taint gone, label back: pods return */
	set_json("nodes", NULL, "n2", "spec.taints", "[]");
	set_json("nodes", NULL, "n1", "metadata.labels", "{\"role\":\"edge\"}");
	settle();
	ck_assert_str_eq(placement_of("agent-"), "n1,n2,n4");
	ck_assert_int_eq(status_of("daemonsets", "agent", "desiredNumberScheduled"), 2);
	ck_assert_int_eq(status_of("daemonsets", "agent", "currentNumberScheduled"), 2);

	/* a failed pod is replaced */
	l = list("pods");
	char failed[64] = "";
	for (size_t i = 0; i < kube_object_list_count(l); i++)
		if (strcmp(pinned_node(kube_object_list_get(l, i)), "n2") == 0)
			snprintf(failed, sizeof(failed), "%s", kube_object_name(kube_object_list_get(l, i)));
	kube_object_list_free(l);
	set_json("pods", "ns", failed, "status.phase", "\"Failed\"");
	settle();
	ck_assert(!exists("pods", "ns", failed));
	ck_assert_str_eq(placement_of("agent-"), "n1,n2,n4");
	kube_daemonset_controller_free(c);
}
END_TEST

typedef struct ds_obs {
	size_t pods, nodes_unavailable, updated;
} ds_obs;

/* Nodes n1..n<nnodes> without an available (ready) daemon pod, pods in
 * all, pods with image. */
static ds_obs ds_observe(int nnodes, const char *image)
{
	ds_obs o = { 0, 0, 0 };
	int ready[16] = { 0 };
	kube_object_list *l = list("pods");

	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *p = kube_object_list_get(l, i);
		const char *img = "", *st_ = NULL, *node = pinned_node(p);
		o.pods++;
		kube_object_get_string(p, "spec.containers[0].image", &img);
		if (strcmp(img, image) == 0)
			o.updated++;
		if (kube_object_get_string(p, "status.conditions[0].status", &st_) == 0 &&
		    strcmp(st_, "True") == 0 && node)
			ready[atoi(node + 1)] = 1;
	}
	kube_object_list_free(l);
	for (int i = 1; i <= nnodes; i++)
		o.nodes_unavailable += !ready[i];
	return o;
}

static void set_ds_image(const char *name, const char *image)
{
	char json[64];
	snprintf(json, sizeof(json), "\"%s\"", image);
	set_json("daemonsets", "ns", name, "spec.template.spec.containers[0].image", json);
}

START_TEST(test_controllers_sets_ds_burst_and_expectations)
{
	kube_workload_controller_options o = KUBE_WORKLOAD_CONTROLLER_OPTIONS_INIT;
	kube_daemonset_controller *c = NULL;
	kube_controller *r;

	for (int i = 1; i <= 5; i++) {
		char n[8];
		snprintf(n, sizeof(n), "n%d", i);
		create_node(n, "{}", NULL);
	}
	create_ds("agent", "agent:1", NULL, NULL);
	o.clock = fake_clock;
	o.burst_replicas = 2;
	o.version = 0;
	ck_assert_int_eq(kube_daemonset_controller_new(&c, fac, st, &o), KUBE_EINVAL);
	ck_assert_ptr_null(c);
	o.version = KUBE_WORKLOAD_CONTROLLER_OPTIONS_VERSION;
	ck_assert_int_eq(kube_daemonset_controller_new(&c, fac, st, &o), 0);
	r = kube_daemonset_controller_runner(c);
	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	ck_assert_int_eq(kube_controller_process(r), 1);
	ck_assert_uint_eq(count("pods"), 2);        /* burstReplicas */
	/* the cache has not seen them: the expectations hold the next sync */
	kube_controller_enqueue(r, "ns/agent");
	ck_assert_int_eq(kube_controller_process(r), 1);
	ck_assert_uint_eq(count("pods"), 2);
	settle();
	ck_assert_str_eq(placement_of("agent-"), "n1,n2,n3,n4,n5");
	kube_controller_stats stats = { .version = KUBE_CONTROLLER_STATS_VERSION };
	ck_assert_int_eq(kube_controller_get_stats(r, &stats), 0);
	ck_assert_uint_eq(stats.errors, 0);
	kube_daemonset_controller_free(c);
}
END_TEST

START_TEST(test_controllers_sets_ds_rolling_update_max_unavailable)
{
	kube_daemonset_controller *c = new_ds_ctrl();
	size_t worst = 0;
	int done = 0;

	for (int i = 1; i <= 6; i++) {
		char n[8];
		snprintf(n, sizeof(n), "n%d", i);
		create_node(n, "{}", NULL);
	}
	create_ds("agent", "agent:1", NULL,
	          "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":2}}");
	settle();
	kubelet_step();
	settle();
	ck_assert_int_eq(status_of("daemonsets", "agent", "numberAvailable"), 6);
	set_ds_image("agent", "agent:2");
	for (int i = 0; i < 5000 && !done; i++) {
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
		if (i % 3 == 2)
			kubelet_step();
		ds_obs o = ds_observe(6, "agent:2");
		ck_assert_msg(o.nodes_unavailable <= 2, "%zu nodes unavailable at %d", o.nodes_unavailable, i);
		ck_assert_msg(o.pods <= 6, "%zu pods at %d", o.pods, i);
		if (o.nodes_unavailable > worst)
			worst = o.nodes_unavailable;
		done = o.updated == 6 && o.pods == 6 && o.nodes_unavailable == 0;
	}
	ck_assert(done);
	ck_assert_uint_eq(worst, 2);   /* the budget was used, not exceeded */
	settle();
	ck_assert_int_eq(status_of("daemonsets", "agent", "updatedNumberScheduled"), 6);
	ck_assert_int_eq(status_of("daemonsets", "agent", "numberAvailable"), 6);
	ck_assert_int_eq(status_of("daemonsets", "agent", "numberUnavailable"), 0);
	ck_assert_int_eq(status_of("daemonsets", "agent", "observedGeneration"), 2);
	kube_daemonset_controller_free(c);
}
END_TEST

START_TEST(test_controllers_sets_ds_rolling_update_surge)
{
	kube_daemonset_controller *c = new_ds_ctrl();
	size_t most = 0;
	int done = 0;

	for (int i = 1; i <= 4; i++) {
		char n[8];
		snprintf(n, sizeof(n), "n%d", i);
		create_node(n, "{}", NULL);
	}
	create_ds("agent", "agent:1", NULL,
	          "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":1,\"maxUnavailable\":0}}");
	settle();
	kubelet_step();
	settle();
	set_ds_image("agent", "agent:2");
	for (int i = 0; i < 5000 && !done; i++) {
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
		if (i % 3 == 2)
			kubelet_step();
		ds_obs o = ds_observe(4, "agent:2");
		ck_assert_msg(o.nodes_unavailable == 0, "%zu nodes unavailable at %d", o.nodes_unavailable, i);
		ck_assert_msg(o.pods <= 5, "%zu pods at %d", o.pods, i);
		if (o.pods > most)
			most = o.pods;
		done = o.updated == 4 && o.pods == 4;
	}
	ck_assert(done);
	ck_assert_uint_eq(most, 5);
	kube_daemonset_controller_free(c);
}
END_TEST

START_TEST(test_controllers_sets_ds_adopts_orphans)
{
	kube_daemonset_controller *c = new_ds_ctrl();
	kube_object *p, *ds;
	kube_owner_ref ref;

	create_node("n1", "{}", NULL);
	create_node("n2", "{}", NULL);
	/* a pod left on n1 by a DaemonSet deleted with orphan propagation */
	create("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\",\"name\":\"left\","
	       "\"labels\":{\"app\":\"agent\"}},\"spec\":{\"nodeName\":\"n1\","
	       "\"containers\":[{\"name\":\"c\",\"image\":\"agent:1\"}]}}");
	create_ds("agent", "agent:1", NULL, "{\"type\":\"OnDelete\"}");
	settle();
	ds = get("daemonsets", "ns", "agent");
	p = get("pods", "ns", "left");
	ck_assert_int_eq(kube_object_controller_ref(p, &ref), 0);
	ck_assert_str_eq(ref.kind, "DaemonSet");
	ck_assert_str_eq(ref.uid, kube_object_uid(ds));
	kube_object_unref(p);
	kube_object_unref(ds);
	/* n1 keeps the adopted pod; n2 gets a new one */
	ck_assert_uint_eq(count("pods"), 2);
	ck_assert_str_eq(placement_of("agent-"), "n2");
	ck_assert_int_eq(status_of("daemonsets", "agent", "currentNumberScheduled"), 2);
	/* relabelled out of the selector: released, and n1 gets a pod again */
	set_json("pods", "ns", "left", "metadata.labels", "{\"app\":\"debug\"}");
	settle();
	p = get("pods", "ns", "left");
	ck_assert_uint_eq(kube_object_owner_ref_count(p), 0);
	kube_object_unref(p);
	ck_assert_str_eq(placement_of("agent-"), "n1,n2");
	kube_daemonset_controller_free(c);
}
END_TEST

START_TEST(test_controllers_sets_ds_on_delete)
{
	kube_daemonset_controller *c = new_ds_ctrl();
	kube_object_list *l;
	char victim[64];

	create_node("n1", "{}", NULL);
	create_node("n2", "{}", NULL);
	create_ds("agent", "agent:1", NULL, "{\"type\":\"OnDelete\"}");
	settle();
	kubelet_step();
	settle();
	set_ds_image("agent", "agent:2");
	settle();
	ds_obs o = ds_observe(2, "agent:2");
	ck_assert_uint_eq(o.pods, 2);
	ck_assert_uint_eq(o.updated, 0);
	ck_assert_int_eq(status_of("daemonsets", "agent", "updatedNumberScheduled"), 0);
	l = list("pods");
	snprintf(victim, sizeof(victim), "%s", kube_object_name(kube_object_list_get(l, 0)));
	kube_object_list_free(l);
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", victim, NULL), 0);
	settle();
	o = ds_observe(2, "agent:2");
	ck_assert_uint_eq(o.pods, 2);
	ck_assert_uint_eq(o.updated, 1);
	ck_assert_int_eq(status_of("daemonsets", "agent", "updatedNumberScheduled"), 1);
	ck_assert_ptr_null(kube_daemonset_controller_runner(NULL));
	ck_assert_ptr_nonnull(kube_daemonset_controller_runner(c));
	kube_daemonset_controller_free(c);
	kube_daemonset_controller_free(NULL);
}
END_TEST

/* ---- StatefulSet ---- */

static kube_statefulset_controller *new_sts_ctrl(void)
{
	kube_workload_controller_options o = KUBE_WORKLOAD_CONTROLLER_OPTIONS_INIT;
	kube_statefulset_controller *c = NULL;
	o.clock = fake_clock;
	ck_assert_int_eq(kube_statefulset_controller_new(&c, fac, st, &o), 0);
	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	return c;
}

static void create_sts(const char *name, int replicas, const char *image, const char *extra)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"namespace\":\"ns\","
	         "\"name\":\"%s\"},\"spec\":{\"replicas\":%d,\"serviceName\":\"%s-svc\",%s%s"
	         "\"selector\":{\"matchLabels\":{\"app\":\"%s\"}},"
	         "\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"data\",\"labels\":{\"tier\":\"db\"}},"
	         "\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":"
	         "{\"storage\":\"1Gi\"}}}}],"
	         "\"template\":{\"metadata\":{\"labels\":{\"app\":\"%s\"}},"
	         "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"%s\"}]}}}}",
	         name, replicas, name, extra ? extra : "", extra ? "," : "", name, name, image);
	create(buf);
}

/* Per ordinal 0..n-1: the image's last character, or '-' when missing. */
static const char *sts_images(const char *name, int n)
{
	static char buf[32];
	for (int i = 0; i < n; i++) {
		char pn[64];
		kube_object *p = NULL;
		const char *img;
		snprintf(pn, sizeof(pn), "%s-%d", name, i);
		buf[i] = '-';
		if (kube_store_get(&p, st, "pods", "ns", pn) == 0 &&
		    kube_object_get_string(p, "spec.containers[0].image", &img) == 0)
			buf[i] = img[strlen(img) - 1];
		kube_object_unref(p);
	}
	buf[n] = 0;
	return buf;
}

static void ready_all(const char *name, int n)
{
	for (int i = 0; i < n; i++) {
		char pn[64];
		snprintf(pn, sizeof(pn), "%s-%d", name, i);
		if (exists("pods", "ns", pn))
			make_ready("ns", pn);
	}
}

START_TEST(test_controllers_sets_sts_ordered_ready_creation)
{
	kube_statefulset_controller *c = new_sts_ctrl();
	kube_object *p, *pvc, *sts, *rev;
	const char *v;
	kube_owner_ref ref;
	char revname[128];

	create_sts("web", 3, "db:1", NULL);
	settle();
	/* only web-0, and its claim, until web-0 is Running and Ready */
	ck_assert_str_eq(sts_images("web", 3), "1--");
	ck_assert(exists("persistentvolumeclaims", "ns", "data-web-0"));
	ck_assert(!exists("persistentvolumeclaims", "ns", "data-web-1"));
	sts = get("statefulsets", "ns", "web");
	p = get("pods", "ns", "web-0");
	ck_assert_int_eq(kube_object_controller_ref(p, &ref), 0);
	ck_assert_str_eq(ref.kind, "StatefulSet");
	ck_assert_str_eq(ref.uid, kube_object_uid(sts));
	ck_assert_str_eq(kube_labels_get(kube_object_labels(p), "statefulset.kubernetes.io/pod-name"), "web-0");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(p), "apps.kubernetes.io/pod-index"), "0");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(p), "app"), "web");
	snprintf(revname, sizeof(revname), "%s", kube_labels_get(kube_object_labels(p), "controller-revision-hash"));
	ck_assert(strncmp(revname, "web-", 4) == 0);
	ck_assert_int_eq(kube_object_get_string(p, "spec.hostname", &v), 0);
	ck_assert_str_eq(v, "web-0");
	ck_assert_int_eq(kube_object_get_string(p, "spec.subdomain", &v), 0);
	ck_assert_str_eq(v, "web-svc");
	ck_assert_int_eq(kube_object_get_string(p, "spec.volumes[0].name", &v), 0);
	ck_assert_str_eq(v, "data");
	ck_assert_int_eq(kube_object_get_string(p, "spec.volumes[0].persistentVolumeClaim.claimName", &v), 0);
	ck_assert_str_eq(v, "data-web-0");
	kube_object_unref(p);
	pvc = get("persistentvolumeclaims", "ns", "data-web-0");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(pvc), "tier"), "db");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(pvc), "app"), "web");
	ck_assert_uint_eq(kube_object_owner_ref_count(pvc), 0);   /* Retain */
	ck_assert_int_eq(kube_object_get_string(pvc, "spec.resources.requests.storage", &v), 0);
	ck_assert_str_eq(v, "1Gi");
	kube_object_unref(pvc);
	rev = get("controllerrevisions", "ns", revname);
	ck_assert_int_eq(kube_object_controller_ref(rev, &ref), 0);
	ck_assert_str_eq(ref.uid, kube_object_uid(sts));
	int64_t r = 0;
	ck_assert_int_eq(kube_object_get_int(rev, "revision", &r), 0);
	ck_assert_int_eq(r, 1);
	kube_object_unref(rev);
	kube_object_unref(sts);
	ck_assert_int_eq(status_of("statefulsets", "web", "replicas"), 1);
	ck_assert_int_eq(status_of("statefulsets", "web", "readyReplicas"), 0);

	/* Ready but not Running is not enough */
	set_json("pods", "ns", "web-0", "status.conditions",
	         "[{\"type\":\"Ready\",\"status\":\"True\"}]");
	settle();
	ck_assert_str_eq(sts_images("web", 3), "1--");
	make_ready("ns", "web-0");
	settle();
	ck_assert_str_eq(sts_images("web", 3), "11-");
	settle();
	ck_assert_str_eq(sts_images("web", 3), "11-");
	make_ready("ns", "web-1");
	settle();
	ck_assert_str_eq(sts_images("web", 3), "111");
	make_ready("ns", "web-2");
	settle();
	ck_assert_int_eq(status_of("statefulsets", "web", "replicas"), 3);
	ck_assert_int_eq(status_of("statefulsets", "web", "readyReplicas"), 3);
	ck_assert_int_eq(status_of("statefulsets", "web", "availableReplicas"), 3);
	ck_assert_int_eq(status_of("statefulsets", "web", "currentReplicas"), 3);
	ck_assert_int_eq(status_of("statefulsets", "web", "updatedReplicas"), 3);
	ck_assert_int_eq(status_of("statefulsets", "web", "observedGeneration"), 1);
	ck_assert_str_eq(status_str("statefulsets", "web", "currentRevision"), revname);
	ck_assert_str_eq(status_str("statefulsets", "web", "updateRevision"), revname);
	ck_assert_uint_eq(count("persistentvolumeclaims"), 3);

	/* a killed pod comes back with the same name and claim */
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", "web-1", NULL), 0);
	settle();
	ck_assert_str_eq(sts_images("web", 3), "111");
	p = get("pods", "ns", "web-1");
	ck_assert_int_eq(kube_object_get_string(p, "spec.volumes[0].persistentVolumeClaim.claimName", &v), 0);
	ck_assert_str_eq(v, "data-web-1");
	kube_object_unref(p);
	ck_assert_uint_eq(count("persistentvolumeclaims"), 3);
	kube_statefulset_controller_free(c);
}
END_TEST

/* Appends the deleted pod's last character (its ordinal) to userdata. */
static void record_delete(kube_informer *inf, kube_object *pod, int unknown, void *ud)
{
	char *order = ud;
	const char *n = kube_object_name(pod);
	(void)inf;
	(void)unknown;
	snprintf(order + strlen(order), 16 - strlen(order), "%c", n[strlen(n) - 1]);
}

START_TEST(test_controllers_sets_sts_scale_down_reverse_keeps_claims)
{
	kube_statefulset_controller *c = new_sts_ctrl();
	kube_informer *pods_inf = NULL;
	kube_informer_handler *hh = NULL;
	kube_informer_handlers h = { KUBE_INFORMER_HANDLERS_VERSION, NULL, NULL, record_delete };
	char order[16] = "";
	kube_object *s, *m = NULL;

	ck_assert_int_eq(kube_informer_factory_get(&pods_inf, fac, "pods"), 0);
	ck_assert_int_eq(kube_informer_add_handler(&hh, pods_inf, &h, order, NULL), 0);

	create_sts("web", 4, "db:1", NULL);
	for (int i = 0; i < 4; i++) {
		settle();
		ready_all("web", 4);
	}
	settle();
	ck_assert_str_eq(sts_images("web", 4), "1111");
	s = get("statefulsets", "ns", "web");
	ck_assert_int_eq(kube_object_mutable(&m, s), 0);
	ck_assert_int_eq(kube_object_set_int(m, "spec.replicas", 1), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
	kube_object_unref(m);
	kube_object_unref(s);
	/* the store's order of deletions: highest ordinal first, one at a time */
	settle();
	ck_assert_str_eq(order, "321");
	ck_assert_int_eq(status_of("statefulsets", "web", "replicas"), 1);
	/* the claims outlive their pods */
	ck_assert_uint_eq(count("persistentvolumeclaims"), 4);
	ck_assert(exists("persistentvolumeclaims", "ns", "data-web-3"));
	/* scaled up again: the same claims, no new ones */
	s = get("statefulsets", "ns", "web");
	ck_assert_int_eq(kube_object_mutable(&m, s), 0);
	ck_assert_int_eq(kube_object_set_int(m, "spec.replicas", 3), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
	kube_object_unref(m);
	kube_object_unref(s);
	for (int i = 0; i < 3; i++) {
		settle();
		ready_all("web", 3);
	}
	settle();
	ck_assert_str_eq(sts_images("web", 4), "111-");
	ck_assert_uint_eq(count("persistentvolumeclaims"), 4);
	kube_informer_remove_handler(pods_inf, hh);
	kube_statefulset_controller_free(c);
}
END_TEST

START_TEST(test_controllers_sets_sts_ordered_waits_for_health)
{
	kube_statefulset_controller *c = new_sts_ctrl();
	kube_object *p;

	create_sts("web", 3, "db:1", NULL);
	for (int i = 0; i < 3; i++) {
		settle();
		ready_all("web", 3);
	}
	settle();
	ck_assert_str_eq(sts_images("web", 3), "111");
	/* web-0 stops being ready: a scale-down waits for it */
	set_json("pods", "ns", "web-0", "status.conditions", "[{\"type\":\"Ready\",\"status\":\"False\"}]");
	set_json("statefulsets", "ns", "web", "spec.replicas", "1");
	settle();
	ck_assert_str_eq(sts_images("web", 3), "111");
	ck_assert_int_eq(status_of("statefulsets", "web", "readyReplicas"), 2);
	make_ready("ns", "web-0");
	settle();
	ck_assert_str_eq(sts_images("web", 3), "1--");
	/* a Failed pod is deleted and made again under the same name */
	set_json("statefulsets", "ns", "web", "spec.replicas", "2");
	settle();
	ready_all("web", 2);
	settle();
	ck_assert_str_eq(sts_images("web", 3), "11-");
	p = get("pods", "ns", "web-1");
	char uid[64];
	snprintf(uid, sizeof(uid), "%s", kube_object_uid(p));
	kube_object_unref(p);
	set_json("pods", "ns", "web-1", "status.phase", "\"Failed\"");
	settle();
	p = get("pods", "ns", "web-1");
	ck_assert_str_ne(kube_object_uid(p), uid);
	ck_assert_int_eq(kube_object_get_string(p, "status.phase", &(const char *){ NULL }), KUBE_ENOTFOUND);
	kube_object_unref(p);
	kube_statefulset_controller_free(c);
}
END_TEST

START_TEST(test_controllers_sets_sts_adopts_orphans)
{
	kube_statefulset_controller *c = new_sts_ctrl();
	kube_object *p, *sts;
	kube_owner_ref ref;

	/* left behind by a set deleted with orphan propagation */
	create("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\",\"name\":\"web-1\","
	       "\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"db:0\"}]}}");
	create("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\",\"name\":\"other\","
	       "\"labels\":{\"app\":\"db\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}");
	create_sts("web", 2, "db:1", "\"updateStrategy\":{\"type\":\"OnDelete\"}");
	settle();
	sts = get("statefulsets", "ns", "web");
	p = get("pods", "ns", "web-1");
	ck_assert_int_eq(kube_object_controller_ref(p, &ref), 0);
	ck_assert_str_eq(ref.kind, "StatefulSet");
	ck_assert_str_eq(ref.uid, kube_object_uid(sts));
	ck_assert_int_eq(ref.block_owner_deletion, 1);
	kube_object_unref(p);
	p = get("pods", "ns", "other");
	ck_assert_uint_eq(kube_object_owner_ref_count(p), 0);
	kube_object_unref(p);
	kube_object_unref(sts);
	/* web-1 is counted and kept (OnDelete); web-0 is made */
	ck_assert_str_eq(sts_images("web", 2), "10");
	ck_assert_int_eq(status_of("statefulsets", "web", "replicas"), 2);
	kube_statefulset_controller_free(c);
}
END_TEST

START_TEST(test_controllers_sets_sts_parallel)
{
	kube_statefulset_controller *c = new_sts_ctrl();
	kube_object *s, *m = NULL;

	create_sts("web", 3, "db:1", "\"podManagementPolicy\":\"Parallel\"");
	settle();
	/* all at once, none ready */
	ck_assert_str_eq(sts_images("web", 3), "111");
	ck_assert_uint_eq(count("persistentvolumeclaims"), 3);
	ck_assert_int_eq(status_of("statefulsets", "web", "replicas"), 3);
	ck_assert_int_eq(status_of("statefulsets", "web", "readyReplicas"), 0);
	{
		/* availableReplicas is not omitted at 0; readyReplicas is */
		kube_object *o = get("statefulsets", "ns", "web");
		int64_t v = -1;
		ck_assert_int_eq(kube_object_get_int(o, "status.availableReplicas", &v), 0);
		ck_assert_int_eq(v, 0);
		ck_assert_int_eq(kube_object_get_int(o, "status.readyReplicas", &v), KUBE_ENOTFOUND);
		kube_object_unref(o);
	}
	s = get("statefulsets", "ns", "web");
	ck_assert_int_eq(kube_object_mutable(&m, s), 0);
	ck_assert_int_eq(kube_object_set_int(m, "spec.replicas", 0), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
	kube_object_unref(m);
	kube_object_unref(s);
	settle();
	ck_assert_str_eq(sts_images("web", 3), "---");
	ck_assert_uint_eq(count("persistentvolumeclaims"), 3);
	ck_assert_int_eq(status_of("statefulsets", "web", "replicas"), 0);
	kube_statefulset_controller_free(c);
}
END_TEST

/* Runs the loop with a kubelet until `want` or a bound; records the order
 * in which ordinals turned to the new image and checks at most one pod is
 * down at any state. */
static void roll(const char *want, int n, char *order, size_t olen)
{
	char last[16];
	snprintf(last, sizeof(last), "%s", sts_images("web", n));
	for (int i = 0; i < 5000; i++) {
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
		if (i % 3 == 2)
			kubelet_step();
		const char *now = sts_images("web", n);
		int missing = 0;
		for (int k = 0; k < n; k++) {
			missing += now[k] == '-';
			if (now[k] == '2' && last[k] != '2')
				snprintf(order + strlen(order), olen - strlen(order), "%d", k);
		}
		ck_assert_msg(missing <= 1, "%s at %d", now, i);
		snprintf(last, sizeof(last), "%s", now);
		if (strcmp(now, want) == 0 && i > 300)
			break;
	}
	ck_assert_str_eq(sts_images("web", n), want);
}

START_TEST(test_controllers_sets_sts_rolling_update_partition)
{
	kube_statefulset_controller *c = new_sts_ctrl();
	char order[16] = "", oldrev[128], newrev[128];

	create_sts("web", 4, "db:1",
	           "\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":2}}");
	for (int i = 0; i < 4; i++) {
		settle();
		ready_all("web", 4);
	}
	settle();
	ck_assert_str_eq(sts_images("web", 4), "1111");
	snprintf(oldrev, sizeof(oldrev), "%s", status_str("statefulsets", "web", "currentRevision"));
	set_json("statefulsets", "ns", "web", "spec.template.spec.containers[0].image", "\"db:2\"");
	roll("1122", 4, order, sizeof(order));
	/* from the highest ordinal down, stopping at the partition */
	ck_assert_str_eq(order, "32");
	snprintf(newrev, sizeof(newrev), "%s", status_str("statefulsets", "web", "updateRevision"));
	ck_assert_str_ne(newrev, oldrev);
	ck_assert_str_eq(status_str("statefulsets", "web", "currentRevision"), oldrev);
	ck_assert_int_eq(status_of("statefulsets", "web", "updatedReplicas"), 2);
	ck_assert_int_eq(status_of("statefulsets", "web", "currentReplicas"), 2);
	ck_assert_int_eq(status_of("statefulsets", "web", "readyReplicas"), 4);
	/* below the partition, a deleted pod comes back at the current revision */
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", "web-0", NULL), 0);
	roll("1122", 4, order, sizeof(order));
	kube_object *p = get("pods", "ns", "web-0");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(p), "controller-revision-hash"), oldrev);
	kube_object_unref(p);
	/* partition 0: the rest, still highest first */
	set_json("statefulsets", "ns", "web", "spec.updateStrategy.rollingUpdate.partition", "0");
	roll("2222", 4, order, sizeof(order));
	ck_assert_str_eq(order, "3210");
	settle();
	ck_assert_str_eq(status_str("statefulsets", "web", "currentRevision"), newrev);
	ck_assert_int_eq(status_of("statefulsets", "web", "currentReplicas"), 4);
	ck_assert_int_eq(status_of("statefulsets", "web", "updatedReplicas"), 4);
	ck_assert_int_eq(status_of("statefulsets", "web", "observedGeneration"), 3);
	ck_assert_uint_eq(count("controllerrevisions"), 2);
	kube_statefulset_controller_free(c);
}
END_TEST

START_TEST(test_controllers_sets_sts_on_delete)
{
	kube_statefulset_controller *c = new_sts_ctrl();

	create_sts("web", 2, "db:1", "\"updateStrategy\":{\"type\":\"OnDelete\"},\"revisionHistoryLimit\":0");
	for (int i = 0; i < 2; i++) {
		settle();
		ready_all("web", 2);
	}
	settle();
	set_json("statefulsets", "ns", "web", "spec.template.spec.containers[0].image", "\"db:2\"");
	settle();
	ck_assert_str_eq(sts_images("web", 2), "11");
	ck_assert_int_eq(status_of("statefulsets", "web", "updatedReplicas"), 0);
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", "web-0", NULL), 0);
	settle();
	ck_assert_str_eq(sts_images("web", 2), "21");
	ck_assert_int_eq(status_of("statefulsets", "web", "updatedReplicas"), 1);
	ck_assert_int_eq(status_of("statefulsets", "web", "currentReplicas"), 1);
	/* both revisions are in use: kept despite revisionHistoryLimit 0 */
	ck_assert_uint_eq(count("controllerrevisions"), 2);
	char rev2[128];
	kube_object *p = get("pods", "ns", "web-0");
	snprintf(rev2, sizeof(rev2), "%s", kube_labels_get(kube_object_labels(p), "controller-revision-hash"));
	kube_object_unref(p);
	ck_assert(exists("controllerrevisions", "ns", rev2));
	/* db:3, and web-0 moves to it: nothing uses db:2's revision any more */
	set_json("statefulsets", "ns", "web", "spec.template.spec.containers[0].image", "\"db:3\"");
	settle();
	ck_assert_uint_eq(count("controllerrevisions"), 3);
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", "web-0", NULL), 0);
	settle();
	ck_assert_str_eq(sts_images("web", 2), "31");
	ck_assert_uint_eq(count("controllerrevisions"), 2);
	ck_assert(!exists("controllerrevisions", "ns", rev2));
	ck_assert_ptr_null(kube_statefulset_controller_runner(NULL));
	ck_assert_ptr_nonnull(kube_statefulset_controller_runner(c));
	kube_statefulset_controller_free(c);
	kube_statefulset_controller_free(NULL);
}
END_TEST

static Suite *sets_suite(void)
{
	Suite *s = suite_create("controllers_sets");
	TCase *tc = tcase_create("daemonset");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_controllers_sets_ds_one_pod_per_eligible_node);
	tcase_add_test(tc, test_controllers_sets_ds_follows_nodes);
	tcase_add_test(tc, test_controllers_sets_ds_burst_and_expectations);
	tcase_add_test(tc, test_controllers_sets_ds_rolling_update_max_unavailable);
	tcase_add_test(tc, test_controllers_sets_ds_rolling_update_surge);
	tcase_add_test(tc, test_controllers_sets_ds_adopts_orphans);
	tcase_add_test(tc, test_controllers_sets_ds_on_delete);
	suite_add_tcase(s, tc);

	TCase *sc = tcase_create("statefulset");
	tcase_add_checked_fixture(sc, setup, teardown);
	tcase_set_timeout(sc, 120);
	tcase_add_test(sc, test_controllers_sets_sts_ordered_ready_creation);
	tcase_add_test(sc, test_controllers_sets_sts_scale_down_reverse_keeps_claims);
	tcase_add_test(sc, test_controllers_sets_sts_ordered_waits_for_health);
	tcase_add_test(sc, test_controllers_sets_sts_adopts_orphans);
	tcase_add_test(sc, test_controllers_sets_sts_parallel);
	tcase_add_test(sc, test_controllers_sets_sts_rolling_update_partition);
	tcase_add_test(sc, test_controllers_sets_sts_on_delete);
	suite_add_tcase(s, sc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sets_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
