/*
 * nodelifecycle.c - the node lifecycle controller and the taint eviction
 * controller of kube-controller-manager (pkg/controller/nodelifecycle and
 * pkg/controller/tainteviction), run as one reconciler keyed by node name.
 *
 * One sync of a node, every monitor period (5 s) and at each Node event:
 *
 *   1. health (tryUpdateNodeHealth): the controller keeps, per node, the
 *      time on its own clock at which it last saw the node alive: a Lease
 *      renewTime newer than the one it saw before, or a Ready condition
 *      whose lastHeartbeatTime changed.  Timestamps written by the node are
 *      compared only with each other, never with the controller's clock,
 *      so clock skew between them does not matter (upstream's reason for
 *      the same design).  Once that time is older than the grace period
 *      (50 s; 60 s for a node that never posted Ready), Ready,
 *      MemoryPressure, DiskPressure and PIDPressure become Unknown;
 *   2. when Ready left True (and for pods that arrive on a node that is
 *      not Ready), the pods' Ready conditions become False
 *      (MarkPodsNotReady);
 *   3. taints: node.kubernetes.io/not-ready:NoExecute for Ready False,
 *      node.kubernetes.io/unreachable:NoExecute for Ready Unknown, each
 *      replacing the other, both removed when Ready is True again; and the
 *      NoSchedule taints of TaintNodesByCondition (Ready, the pressure
 *      conditions, NetworkUnavailable, spec.unschedulable);
 *   4. taint eviction: each pod on the node is checked against the node's
 *      NoExecute taints.  An untolerated taint: deleted now.  All
 *      tolerated: deleted after the smallest tolerationSeconds of the
 *      tolerations used, never when none has tolerationSeconds.  The
 *      scheduled evictions live here, per node:
 *
 *        node_health ──evictions──▶ { pod key, uid, created, fire } ──▶ ...
 *
 *      and the node is requeued for the earliest fire time; an eviction
 *      whose pod tolerates the taints forever, or whose node lost its
 *      NoExecute taints, is cancelled; one whose pod went is dropped.
 *
 * Decisions where libkube differs from upstream, each on purpose:
 *   - DefaultTolerationSeconds is not an admission hook (yet: the store
 *     has hooks now), so a pod without a toleration for the not-ready
 *     (or the unreachable) NoExecute taint is treated as if the
 *     DefaultTolerationSeconds plugin had given it one (Exists,
 *     NoExecute, default_toleration_seconds), exactly as that plugin
 *     decides whether a pod already has one;
 *   - the eviction clock of a pod starts at the earliest timeAdded of the
 *     node's NoExecute taints (upstream: when its queue first saw the
 *     taint, which is the same moment when this controller tainted the
 *     node itself, and which a restart of the controller would reset);
 *   - no zone disruption states and no rate limit on tainting (upstream
 *     taints 0.1 nodes per second per zone and stops when every node of
 *     every zone is down): every node is tainted when its sync sees it;
 *   - pods already being deleted are left alone; the store has no graceful
 *     deletion, so an evicted pod is gone at once.  Before deleting, the
 *     DisruptionTarget condition (True, "DeletionByTaintManager",
 *     "Taint manager: deleting due to NoExecute taint") is written, as
 *     upstream does;
 *   - no Events are recorded (libkube has no event recorder yet).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers_private.h"

#define LEASE_NS "kube-node-lease"
#define TAINT_NOT_READY "node.kubernetes.io/not-ready"
#define TAINT_UNREACHABLE "node.kubernetes.io/unreachable"

typedef struct eviction {
	struct eviction *next;
	char *key;                 /* "namespace/name" */
	char *uid;
	int64_t created_ns, fire_ns;
} eviction;

typedef struct node_health {
	char *name;                /* the map's key */
	int seen;
	int64_t probe_ns;          /* when the node was last seen alive (our clock) */
	int64_t lease_renew_ns;    /* the newest Lease renewTime seen */
	char *ready_heartbeat;     /* Ready's lastHeartbeatTime as last seen, or NULL */
	int mark_pods;             /* pods arrived: mark them if the node is not Ready */
	eviction *evictions;
} node_health;

struct kube_nodelifecycle_controller {
	kube_store *store;
	kube_informer *nodes, *pods, *leases;
	kube_informer_handler *nodes_h, *pods_h;
	kube_controller *runner;
	kube_nodelifecycle_options opts;
	kube_workqueue_options queue;
	kube_clock_cb clock;
	void *clock_userdata;
	kube__strmap health;       /* node name -> node_health */
	kube_nodelifecycle_stats stats;
};

static int64_t now_ns(const kube_nodelifecycle_controller *c)
{
	return c->clock(c->clock_userdata);
}

/* ---- per node state ---- */

static void eviction_free(eviction *e)
{
	kube_free(e->key);
	kube_free(e->uid);
	kube_free(e);
}

static void health_free(node_health *h)
{
	while (h->evictions) {
		eviction *e = h->evictions;
		h->evictions = e->next;
		eviction_free(e);
	}
	kube_free(h->ready_heartbeat);
	kube_free(h->name);
	kube_free(h);
}

static node_health *health_get(kube_nodelifecycle_controller *c, const char *name)
{
	node_health *h = kube__strmap_get(&c->health, name);
	if (h)
		return h;
	if (!(h = kube_calloc(1, sizeof(*h))) || !(h->name = kube_strdup(name)) ||
	    kube__strmap_put(&c->health, h->name, h, NULL) != 0) {
		if (h)
			kube_free(h->name);
		kube_free(h);
		return NULL;
	}
	return h;
}

static size_t eviction_count(const node_health *h)
{
	size_t n = 0;
	for (const eviction *e = h->evictions; e; e = e->next)
		n++;
	return n;
}

static void health_drop(kube_nodelifecycle_controller *c, const char *name)
{
	node_health *h = kube__strmap_remove(&c->health, name);
	if (h) {
		c->stats.scheduled -= eviction_count(h);
		health_free(h);
	}
}

static eviction *eviction_find(node_health *h, const char *key)
{
	for (eviction *e = h->evictions; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Removes the pod's scheduled eviction; 1 when there was one. */
static int eviction_cancel(kube_nodelifecycle_controller *c, node_health *h, const char *key)
{
	for (eviction **p = &h->evictions; *p; p = &(*p)->next) {
		if (strcmp((*p)->key, key) == 0) {
			eviction *e = *p;
			*p = e->next;
			eviction_free(e);
			c->stats.scheduled--;
			return 1;
		}
	}
	return 0;
}

/* ---- reading objects ---- */

static const char *str_at(const kube_object *o, const char *fmt, size_t i, const char *field)
{
	char path[96];
	const char *v = NULL;
	snprintf(path, sizeof(path), fmt, i, field);
	if (kube_object_get_string(o, path, &v) != 0)
		return NULL;
	return v;
}

/* Index of the node (or pod) condition of `type`, or -1. */
static long cond_index(const kube_object *o, const char *type)
{
	size_t n = 0;
	kube_object_get_len(o, "status.conditions", &n);
	for (size_t i = 0; i < n; i++) {
		const char *t = str_at(o, "status.conditions[%zu].%s", i, "type");
		if (t && strcmp(t, type) == 0)
			return (long)i;
	}
	return -1;
}

static const char *cond_field(const kube_object *o, const char *type, const char *field)
{
	long i = cond_index(o, type);
	return i < 0 ? NULL : str_at(o, "status.conditions[%zu].%s", (size_t)i, field);
}

static int streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static void pod_key(char *buf, size_t n, const kube_object *pod)
{
	snprintf(buf, n, "%s/%s", kube_object_namespace(pod) ? kube_object_namespace(pod) : "",
	         kube_object_name(pod));
}

/* ---- node status: conditions Unknown ---- */

typedef struct unknown_edit {
	const char *now;
	int ready_changed;
} unknown_edit;

static int set_unknown(kube_object *node, void *ud)
{
	static const char *const types[] = { "Ready", "MemoryPressure", "DiskPressure",
		                             "PIDPressure" };
	unknown_edit *e = ud;
	int rc;

	e->ready_changed = 0;
	for (size_t t = 0; t < KUBE_ARRAY_SIZE(types); t++) {
		long i = cond_index(node, types[t]);
		char path[96];
		if (i < 0) {
			/* never posted by the kubelet */
			kube__buf b = KUBE__BUF_INIT;
			const char *created = kube_object_creation_timestamp(node);
			size_t n = 0;
			kube_object_get_len(node, "status.conditions", &n);
			kube__buf_puts(&b, "{\"type\":");
			kube__go_json_string(&b, types[t], strlen(types[t]));
			kube__buf_puts(&b, ",\"status\":\"Unknown\",\"lastHeartbeatTime\":");
			if (created)
				kube__go_json_string(&b, created, strlen(created));
			else
				kube__buf_puts(&b, "null");
			kube__buf_printf(&b, ",\"lastTransitionTime\":\"%s\",\"reason\":\"NodeStatusNeverUpdated\","
			                     "\"message\":\"Kubelet never posted node status.\"}", e->now);
			if (b.failed) {
				kube__buf_free(&b);
				return kube__error_oom();
			}
			snprintf(path, sizeof(path), "status.conditions[%zu]", n);
			if (n == 0)
				rc = kube_object_set_json(node, "status.conditions", "[]");
			else
				rc = 0;
			if (rc == 0)
				rc = kube_object_set_json(node, path, b.data);
			kube__buf_free(&b);
			if (rc != 0)
				return rc;
			if (t == 0)
				e->ready_changed = 1;
			continue;
		}
		if (streq(str_at(node, "status.conditions[%zu].%s", (size_t)i, "status"), "Unknown"))
			continue;
		snprintf(path, sizeof(path), "status.conditions[%ld].status", i);
		if ((rc = kube_object_set_string(node, path, "Unknown")) != 0)
			return rc;
		snprintf(path, sizeof(path), "status.conditions[%ld].reason", i);
		if ((rc = kube_object_set_string(node, path, "NodeStatusUnknown")) != 0)
			return rc;
		snprintf(path, sizeof(path), "status.conditions[%ld].message", i);
		if ((rc = kube_object_set_string(node, path, "Kubelet stopped posting node status.")) != 0)
			return rc;
		snprintf(path, sizeof(path), "status.conditions[%ld].lastTransitionTime", i);
		if ((rc = kube_object_set_string(node, path, e->now)) != 0)
			return rc;
		if (t == 0)
			e->ready_changed = 1;
	}
	/* As upstream: the status is written when Ready changed. */
	return e->ready_changed ? 0 : KUBE_ECANCELED;
}

/* ---- node taints ---- */

/* The condition -> taint key map of upstream's nodeConditionToTaintKeyStatusMap. */
static const struct {
	const char *type, *status, *key;
} cond_taints[] = {
	{ "Ready", "False", TAINT_NOT_READY },
	{ "Ready", "Unknown", TAINT_UNREACHABLE },
	{ "MemoryPressure", "True", "node.kubernetes.io/memory-pressure" },
	{ "DiskPressure", "True", "node.kubernetes.io/disk-pressure" },
	{ "NetworkUnavailable", "True", "node.kubernetes.io/network-unavailable" },
	{ "PIDPressure", "True", "node.kubernetes.io/pid-pressure" },
};
#define TAINT_UNSCHEDULABLE "node.kubernetes.io/unschedulable"

static int managed_noschedule_key(const char *key)
{
	if (streq(key, TAINT_UNSCHEDULABLE))
		return 1;
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(cond_taints); i++)
		if (streq(key, cond_taints[i].key))
			return 1;
	return 0;
}

typedef struct taint_edit {
	const char *now;
	int changed;
	/* only say whether a write is needed (0) or not (KUBE_ECANCELED):
	 * the node is then the informer's frozen object, never written */
	int dry;
} taint_edit;

#define MAX_WANT 8

static int edit_taints(kube_object *node, void *ud)
{
	taint_edit *e = ud;
	const char *want_ns[MAX_WANT];   /* NoSchedule keys wanted */
	int have_ns[MAX_WANT] = { 0 };
	size_t nwant = 0, n = 0, kept = 0;
	const char *ready = cond_field(node, "Ready", "status");
	const char *want_ne = NULL;      /* the NoExecute key wanted */
	int manage_ne = ready != NULL, have_ne = 0, unsched = 0;
	kube__buf b = KUBE__BUF_INIT;
	int rc;

	e->changed = 0;
	if (streq(ready, "False"))
		want_ne = TAINT_NOT_READY;
	else if (streq(ready, "Unknown"))
		want_ne = TAINT_UNREACHABLE;
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(cond_taints); i++)
		if (streq(cond_field(node, cond_taints[i].type, "status"), cond_taints[i].status))
			want_ns[nwant++] = cond_taints[i].key;
	if (kube_object_get_bool(node, "spec.unschedulable", &unsched) == 0 && unsched)
		want_ns[nwant++] = TAINT_UNSCHEDULABLE;

	kube_object_get_len(node, "spec.taints", &n);
	kube__buf_putc(&b, '[');
	for (size_t i = 0; i < n; i++) {
		const char *key = str_at(node, "spec.taints[%zu].%s", i, "key");
		const char *effect = str_at(node, "spec.taints[%zu].%s", i, "effect");
		char path[48], *json = NULL;
		int keep = 1;
		if (manage_ne && streq(effect, "NoExecute") &&
		    (streq(key, TAINT_NOT_READY) || streq(key, TAINT_UNREACHABLE))) {
			keep = streq(key, want_ne) && !have_ne;
			have_ne |= keep;
		} else if (streq(effect, "NoSchedule") && managed_noschedule_key(key)) {
			keep = 0;
			for (size_t w = 0; w < nwant; w++) {
				if (streq(key, want_ns[w]) && !have_ns[w]) {
					have_ns[w] = keep = 1;
					break;
				}
			}
		}
		if (!keep) {
			e->changed = 1;
			continue;
		}
		if (e->dry) {
			kept++;
			continue;
		}
		snprintf(path, sizeof(path), "spec.taints[%zu]", i);
		if ((rc = kube_object_get_json(node, path, &json)) != 0) {
			kube__buf_free(&b);
			return rc;
		}
		if (kept++)
			kube__buf_putc(&b, ',');
		kube__buf_puts(&b, json);
		kube_free(json);
	}
	/* SwapNodeControllerTaint stamps timeAdded on every taint it adds */
	if (want_ne && !have_ne) {
		kube__buf_printf(&b, "%s{\"key\":\"%s\",\"effect\":\"NoExecute\",\"timeAdded\":\"%s\"}",
		                 kept++ ? "," : "", want_ne, e->now);
		e->changed = 1;
	}
	for (size_t w = 0; w < nwant; w++) {
		if (have_ns[w])
			continue;
		kube__buf_printf(&b, "%s{\"key\":\"%s\",\"effect\":\"NoSchedule\",\"timeAdded\":\"%s\"}",
		                 kept++ ? "," : "", want_ns[w], e->now);
		e->changed = 1;
	}
	kube__buf_putc(&b, ']');
	if (b.failed) {
		kube__buf_free(&b);
		return kube__error_oom();
	}
	if (!e->changed || e->dry) {
		kube__buf_free(&b);
		return e->changed ? 0 : KUBE_ECANCELED;
	}
	if (kept == 0) {
		rc = kube_object_remove(node, "spec.taints");
		if (rc == KUBE_ENOTFOUND)
			rc = 0;
	} else {
		rc = kube_object_set_json(node, "spec.taints", b.data);
	}
	kube__buf_free(&b);
	return rc;
}

/* ---- pods ---- */

typedef struct pod_edit {
	const char *uid, *node, *now;
} pod_edit;

/* MarkPodsNotReady for one pod: Ready False (UpdatePodCondition: the
 * transition time moves because the status does; reason and message stay). */
static int mark_not_ready(kube_object *pod, void *ud)
{
	const pod_edit *e = ud;
	const char *node = NULL;
	char path[64];
	long i;
	int rc;

	if (!streq(kube_object_uid(pod), e->uid) ||
	    kube_object_get_string(pod, "spec.nodeName", &node) != 0 || !streq(node, e->node))
		return KUBE_ECANCELED;
	if ((i = cond_index(pod, "Ready")) < 0 ||
	    streq(str_at(pod, "status.conditions[%zu].%s", (size_t)i, "status"), "False"))
		return KUBE_ECANCELED;
	snprintf(path, sizeof(path), "status.conditions[%ld].status", i);
	if ((rc = kube_object_set_string(pod, path, "False")) != 0)
		return rc;
	snprintf(path, sizeof(path), "status.conditions[%ld].lastTransitionTime", i);
	return kube_object_set_string(pod, path, e->now);
}

static int mark_pods_not_ready(kube_nodelifecycle_controller *c, const char *node,
                               const kube_object_list *pods, const char *now)
{
	int first = 0;
	for (size_t i = 0; i < kube_object_list_count(pods); i++) {
		kube_object *p = kube_object_list_get(pods, i);
		const char *st = cond_field(p, "Ready", "status");
		pod_edit e = { kube_object_uid(p), node, now };
		int rc;
		if (!st || strcmp(st, "False") == 0)
			continue;
		rc = kube_store_guaranteed_update(NULL, c->store, "pods", kube_object_namespace(p),
		                                  kube_object_name(p), mark_not_ready, &e);
		if (rc == 0)
			c->stats.pods_marked_not_ready++;
		else if (rc != KUBE_ECANCELED && rc != KUBE_ENOTFOUND && !first)
			first = rc;
	}
	return first;
}

/* The DisruptionTarget condition upstream writes before an eviction. */
static int add_disruption_target(kube_object *pod, void *ud)
{
	const pod_edit *e = ud;
	kube__buf b = KUBE__BUF_INIT;
	long i;
	size_t n = 0;
	char path[64];
	int rc;

	if (!streq(kube_object_uid(pod), e->uid))
		return KUBE_ECANCELED;
	i = cond_index(pod, "DisruptionTarget");
	if (i >= 0 &&
	    streq(str_at(pod, "status.conditions[%zu].%s", (size_t)i, "status"), "True") &&
	    streq(str_at(pod, "status.conditions[%zu].%s", (size_t)i, "reason"),
	          "DeletionByTaintManager"))
		return KUBE_ECANCELED;
	kube__buf_printf(&b,
	                 "{\"type\":\"DisruptionTarget\",\"status\":\"True\",\"lastProbeTime\":null,"
	                 "\"lastTransitionTime\":\"%s\",\"reason\":\"DeletionByTaintManager\","
	                 "\"message\":\"Taint manager: deleting due to NoExecute taint\"}",
	                 e->now);
	if (b.failed) {
		kube__buf_free(&b);
		return kube__error_oom();
	}
	if (i >= 0) {
		snprintf(path, sizeof(path), "status.conditions[%ld]", i);
		rc = kube_object_set_json(pod, path, b.data);
	} else {
		kube_object_get_len(pod, "status.conditions", &n);
		rc = n ? 0 : kube_object_set_json(pod, "status.conditions", "[]");
		snprintf(path, sizeof(path), "status.conditions[%zu]", n);
		if (rc == 0)
			rc = kube_object_set_json(pod, path, b.data);
	}
	kube__buf_free(&b);
	return rc;
}

static int evict(kube_nodelifecycle_controller *c, const kube_object *pod, const char *now)
{
	kube_delete_options d = KUBE_DELETE_OPTIONS_INIT;
	pod_edit e = { kube_object_uid(pod), NULL, now };
	int rc = kube_store_guaranteed_update(NULL, c->store, "pods", kube_object_namespace(pod),
	                                      kube_object_name(pod), add_disruption_target, &e);
	if (rc != 0 && rc != KUBE_ECANCELED)
		return rc == KUBE_ENOTFOUND ? 0 : rc;
	d.uid = kube_object_uid(pod);
	rc = kube_store_delete(NULL, c->store, "pods", kube_object_namespace(pod),
	                       kube_object_name(pod), &d);
	if (rc == 0) {
		c->stats.evictions++;
		KUBE_LOG(KUBE_LOG_INFO, "nodelifecycle", "Deleting pod %s/%s (NoExecute taint)",
		         kube_object_namespace(pod), kube_object_name(pod));
	}
	/* gone already, or another pod now has the name */
	return rc == KUBE_ENOTFOUND || rc == KUBE_ECONFLICT ? 0 : rc;
}

/* ---- tolerations ---- */

typedef struct taint {
	const char *key, *value;
	int64_t added_ns;
} taint;

/* v1.Toleration.ToleratesTaint, for a NoExecute taint. */
static int tolerates(const kube_object *pod, size_t i, const taint *t)
{
	const char *effect = str_at(pod, "spec.tolerations[%zu].%s", i, "effect");
	const char *key = str_at(pod, "spec.tolerations[%zu].%s", i, "key");
	const char *op = str_at(pod, "spec.tolerations[%zu].%s", i, "operator");
	const char *value = str_at(pod, "spec.tolerations[%zu].%s", i, "value");

	if (effect && *effect && strcmp(effect, "NoExecute") != 0)
		return 0;
	if (key && *key && strcmp(key, t->key) != 0)
		return 0;
	if (!op || !*op || strcmp(op, "Equal") == 0)
		return strcmp(value ? value : "", t->value) == 0;
	return strcmp(op, "Exists") == 0;
}

/* Would the DefaultTolerationSeconds plugin add its toleration for key?
 * Its own test: no toleration with that key (or none) and effect
 * NoExecute (or none). */
static int gets_default_toleration(const kube_object *pod, size_t ntol, const char *key)
{
	for (size_t i = 0; i < ntol; i++) {
		const char *k = str_at(pod, "spec.tolerations[%zu].%s", i, "key");
		const char *e = str_at(pod, "spec.tolerations[%zu].%s", i, "effect");
		if ((!k || !*k || strcmp(k, key) == 0) && (!e || !*e || strcmp(e, "NoExecute") == 0))
			return 0;
	}
	return 1;
}

/*
 * GetMatchingTolerations + getMinTolerationTime: 1 when every taint is
 * tolerated, with *seconds the smallest tolerationSeconds of the
 * tolerations used (the first that tolerates each taint), 0 when one of
 * them is <= 0, -1 when none has one (forever).
 */
static int pod_tolerates(const kube_nodelifecycle_controller *c, const kube_object *pod,
                         const taint *taints, size_t ntaints, int64_t *seconds)
{
	size_t ntol = 0;
	int64_t min = -1;
	int def_nr, def_ur;

	kube_object_get_len(pod, "spec.tolerations", &ntol);
	def_nr = gets_default_toleration(pod, ntol, TAINT_NOT_READY);
	def_ur = gets_default_toleration(pod, ntol, TAINT_UNREACHABLE);
	for (size_t t = 0; t < ntaints; t++) {
		int found = 0;
		int64_t s = -1;
		for (size_t i = 0; i < ntol && !found; i++) {
			char path[64];
			if (!tolerates(pod, i, &taints[t]))
				continue;
			found = 1;
			snprintf(path, sizeof(path), "spec.tolerations[%zu].tolerationSeconds", i);
			if (kube_object_get_int(pod, path, &s) != 0)
				s = -1;
			else if (s < 0)
				s = 0;
		}
		/* the admission plugin's tolerations come after the pod's own */
		if (!found && ((def_nr && strcmp(taints[t].key, TAINT_NOT_READY) == 0) ||
		               (def_ur && strcmp(taints[t].key, TAINT_UNREACHABLE) == 0))) {
			found = 1;
			s = c->opts.default_toleration_seconds;
		}
		if (!found)
			return 0;
		if (s >= 0 && (min < 0 || s < min))
			min = s;
	}
	*seconds = ntaints ? min : 0;
	return 1;
}

/* ---- one node ---- */

static int64_t min_delay(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int process_pods(kube_nodelifecycle_controller *c, node_health *h, const kube_object *node,
                        const kube_object_list *pods, int64_t now, const char *now_s,
                        int64_t *next)
{
	taint taints[32];
	size_t ntaints = 0, n = 0;
	int64_t earliest = 0;
	int first = 0;

	kube_object_get_len(node, "spec.taints", &n);
	for (size_t i = 0; i < n && ntaints < KUBE_ARRAY_SIZE(taints); i++) {
		const char *effect = str_at(node, "spec.taints[%zu].%s", i, "effect");
		const char *added = str_at(node, "spec.taints[%zu].%s", i, "timeAdded");
		taint *t = &taints[ntaints];
		if (!streq(effect, "NoExecute"))
			continue;
		t->key = str_at(node, "spec.taints[%zu].%s", i, "key");
		t->value = str_at(node, "spec.taints[%zu].%s", i, "value");
		if (!t->key)
			t->key = "";
		if (!t->value)
			t->value = "";
		t->added_ns = kube__rfc3339_ns(added);
		if (t->added_ns > 0 && (!earliest || t->added_ns < earliest))
			earliest = t->added_ns;
		ntaints++;
	}
	if (!earliest || earliest > now)
		earliest = now;

	/* evictions of pods that left the node (or went) are dropped */
	for (eviction **p = &h->evictions; *p;) {
		int present = 0;
		for (size_t i = 0; i < kube_object_list_count(pods) && !present; i++) {
			kube_object *pod = kube_object_list_get(pods, i);
			char key[512];
			pod_key(key, sizeof(key), pod);
			present = strcmp(key, (*p)->key) == 0 && streq(kube_object_uid(pod), (*p)->uid);
		}
		if (present) {
			p = &(*p)->next;
		} else {
			eviction *e = *p;
			*p = e->next;
			eviction_free(e);
			c->stats.scheduled--;
			if (ntaints)
				c->stats.cancelled++;
		}
	}
	for (size_t i = 0; i < kube_object_list_count(pods); i++) {
		kube_object *pod = kube_object_list_get(pods, i);
		char key[512];
		int64_t secs = 0;
		eviction *e;
		int rc;

		pod_key(key, sizeof(key), pod);
		if (!ntaints) {
			c->stats.cancelled += (uint64_t)eviction_cancel(c, h, key);
			continue;
		}
		if (kube_object_deletion_timestamp(pod))
			continue;
		if (!pod_tolerates(c, pod, taints, ntaints, &secs)) {
			eviction_cancel(c, h, key);
			if ((rc = evict(c, pod, now_s)) != 0 && !first)
				first = rc;
			continue;
		}
		if (secs < 0) {
			c->stats.cancelled += (uint64_t)eviction_cancel(c, h, key);
			continue;
		}
		/* an eviction once scheduled keeps its time, as upstream's */
		if (!(e = eviction_find(h, key))) {
			if (!(e = kube_calloc(1, sizeof(*e))) || !(e->key = kube_strdup(key)) ||
			    !(e->uid = kube_strdup(kube_object_uid(pod)))) {
				if (e)
					eviction_free(e);
				return kube__error_oom();
			}
			e->created_ns = earliest;
			/* tolerationSeconds is any int64: past the clock's range is never */
			e->fire_ns = secs > (INT64_MAX - earliest) / KUBE__NS_PER_SEC
			                     ? INT64_MAX
			                     : earliest + secs * KUBE__NS_PER_SEC;
			e->next = h->evictions;
			h->evictions = e;
			c->stats.scheduled++;
		}
		if (e->fire_ns <= now) {
			eviction_cancel(c, h, key);
			if ((rc = evict(c, pod, now_s)) != 0 && !first)
				first = rc;
			continue;
		}
		*next = min_delay(*next, e->fire_ns - now);
	}
	return first;
}

static int sync_node(kube_controller *runner, const char *name, int64_t *requeue_after, void *ud)
{
	kube_nodelifecycle_controller *c = ud;
	kube_object *node = kube_informer_get(c->nodes, NULL, name), *lease, *written = NULL;
	kube_object_list *pods = NULL;
	node_health *h;
	const char *ready, *hb, *renew = NULL;
	char observed[16], now_s[32];
	int64_t now = now_ns(c), grace, next = c->opts.monitor_period_ns, renew_ns;
	int rc = 0, rc2;

	KUBE_UNUSED(runner);
	if (!node) {
		health_drop(c, name);
		return 0;
	}
	if (!(h = health_get(c, name)))
		return kube__error_oom();
	kube_object_ref(node);
	kube__format_rfc3339(now, now_s);

	/* 1. health */
	ready = cond_field(node, "Ready", "status");
	hb = cond_field(node, "Ready", "lastHeartbeatTime");
	snprintf(observed, sizeof(observed), "%s", ready ? ready : "");
	grace = ready ? c->opts.monitor_grace_period_ns : c->opts.startup_grace_period_ns;
	if (!h->seen) {
		/* first sight counts as a probe, as upstream's: the grace runs
		 * on this controller's clock from now, whatever the node's age */
		h->seen = 1;
		h->probe_ns = now;
		h->ready_heartbeat = hb ? kube_strdup(hb) : NULL;
	} else if (ready && ((!h->ready_heartbeat) != (!hb) ||
	                     (hb && strcmp(h->ready_heartbeat, hb) != 0))) {
		/* a heartbeat that moved; two missing ones are the same */
		kube_free(h->ready_heartbeat);
		h->ready_heartbeat = hb ? kube_strdup(hb) : NULL;
		h->probe_ns = now;
	}
	lease = kube_informer_get(c->leases, LEASE_NS, name);
	if (lease && kube_object_get_string(lease, "spec.renewTime", &renew) == 0 &&
	    (renew_ns = kube__rfc3339_ns(renew)) > h->lease_renew_ns) {
		h->lease_renew_ns = renew_ns;
		h->probe_ns = now;
	}
	if (now - h->probe_ns > grace) {
		unknown_edit ue = { now_s, 0 };
		rc = kube_store_guaranteed_update(&written, c->store, "nodes", NULL, name, set_unknown,
		                                  &ue);
		if (rc == 0) {
			c->stats.nodes_unknown++;
			KUBE_LOG(KUBE_LOG_INFO, "nodelifecycle", "Node %s: Ready is Unknown (no heartbeat "
			         "for %lld s)", name, (long long)((now - h->probe_ns) / KUBE__NS_PER_SEC));
			kube_object_unref(node);
			node = written;
			written = NULL;
		} else if (rc == KUBE_ECANCELED) {
			rc = 0;
		} else {
			goto out;
		}
	}
	if (!(ready = cond_field(node, "Ready", "status")))
		ready = "";

	/* 2. pods not ready */
	if ((rc = kube_informer_by_index(&pods, c->pods, KUBE_INFORMER_INDEX_NODE_NAME, name)) != 0)
		goto out;
	if ((strcmp(ready, "False") == 0 || strcmp(ready, "Unknown") == 0) &&
	    (strcmp(observed, "True") == 0 || h->mark_pods)) {
		if ((rc = mark_pods_not_ready(c, name, pods, now_s)) != 0)
			goto out;
	}
	h->mark_pods = 0;

	/* 3. taints: checked on the cached node first, so that a node whose
	 * taints are right costs no copy of it */
	{
		taint_edit te = { now_s, 0, 1 };
		rc2 = edit_taints(node, &te);
		te.dry = 0;
		if (rc2 == 0)
			rc2 = kube_store_guaranteed_update(&written, c->store, "nodes", NULL, name,
			                                   edit_taints, &te);
		if (rc2 == 0) {
			c->stats.taint_writes++;
			kube_object_unref(node);
			node = written;
			written = NULL;
		} else if (rc2 != KUBE_ECANCELED) {
			rc = rc2;
			goto out;
		}
	}

	/* 4. taint eviction */
	rc = process_pods(c, h, node, pods, now, now_s, &next);
out:
	kube_object_list_free(pods);
	kube_object_unref(node);
	if (rc == KUBE_ENOTFOUND)
		rc = 0;   /* the node went: its delete event comes */
	if (rc == 0)
		*requeue_after = next > 0 ? next : 1;
	return rc;
}

/* ---- events ---- */

static void on_node_add(kube_informer *inf, kube_object *node, int initial, void *ud)
{
	kube_nodelifecycle_controller *c = ud;
	KUBE_UNUSED(inf);
	KUBE_UNUSED(initial);
	kube_controller_enqueue(c->runner, kube_object_name(node));
}

static void on_node_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	KUBE_UNUSED(old);
	on_node_add(inf, cur, 0, ud);
}

static void on_node_delete(kube_informer *inf, kube_object *node, int unknown, void *ud)
{
	KUBE_UNUSED(unknown);
	on_node_add(inf, node, 0, ud);
}

static const char *node_of(const kube_object *pod)
{
	const char *n = NULL;
	if (!pod || kube_object_get_string(pod, "spec.nodeName", &n) != 0 || !*n)
		return NULL;
	return n;
}

static int same_tolerations(const kube_object *a, const kube_object *b)
{
	char *ja = NULL, *jb = NULL;
	int same;
	kube_object_get_json(a, "spec.tolerations", &ja);
	kube_object_get_json(b, "spec.tolerations", &jb);
	same = (!ja && !jb) || (ja && jb && strcmp(ja, jb) == 0);
	kube_free(ja);
	kube_free(jb);
	return same;
}

static void pod_changed(kube_nodelifecycle_controller *c, const kube_object *old,
                        const kube_object *cur)
{
	const char *node = node_of(cur);
	node_health *h;

	if (!node)
		return;
	if (old && streq(node_of(old), node) && same_tolerations(old, cur))
		return;
	/* a pod new on the node: marked not ready if the node is not */
	if ((h = kube__strmap_get(&c->health, node)) != NULL)
		h->mark_pods = 1;
	kube_controller_enqueue(c->runner, node);
}

static void on_pod_add(kube_informer *inf, kube_object *pod, int initial, void *ud)
{
	KUBE_UNUSED(inf);
	KUBE_UNUSED(initial);
	pod_changed(ud, NULL, pod);
}

static void on_pod_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	KUBE_UNUSED(inf);
	if (old != cur)
		pod_changed(ud, old, cur);
}

static void on_pod_delete(kube_informer *inf, kube_object *pod, int unknown, void *ud)
{
	kube_nodelifecycle_controller *c = ud;
	const char *node = node_of(pod);
	node_health *h;
	char key[512];

	KUBE_UNUSED(inf);
	KUBE_UNUSED(unknown);
	if (!node || !(h = kube__strmap_get(&c->health, node)))
		return;
	pod_key(key, sizeof(key), pod);
	c->stats.cancelled += (uint64_t)eviction_cancel(c, h, key);
}

/* ---- the public API ---- */

int kube_nodelifecycle_options_init(kube_nodelifecycle_options *opts, unsigned int version)
{
	static const kube_nodelifecycle_options def = KUBE_NODELIFECYCLE_OPTIONS_INIT;
	KUBE_CHECK_ARG(opts);
	KUBE_CHECK_ARG(version == KUBE_NODELIFECYCLE_OPTIONS_VERSION);
	*opts = def;
	return 0;
}

int kube_nodelifecycle_controller_new(kube_nodelifecycle_controller **out,
                                      kube_informer_factory *f, kube_store *store,
                                      const kube_nodelifecycle_options *opts)
{
	static const kube_nodelifecycle_options def = KUBE_NODELIFECYCLE_OPTIONS_INIT;
	const kube_workqueue_options qdef = KUBE_WORKQUEUE_OPTIONS_INIT;
	kube_controller_options ro = KUBE_CONTROLLER_OPTIONS_INIT;
	kube_informer_handlers nh = { KUBE_INFORMER_HANDLERS_VERSION, on_node_add, on_node_update,
		                      on_node_delete };
	kube_informer_handlers ph = { KUBE_INFORMER_HANDLERS_VERSION, on_pod_add, on_pod_update,
		                      on_pod_delete };
	kube_nodelifecycle_controller *c;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(f);
	KUBE_CHECK_ARG(store);
	if (!opts)
		opts = &def;
	if (opts->version == 0 || opts->version > KUBE_NODELIFECYCLE_OPTIONS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_nodelifecycle_controller_new: unknown options version %u",
		                       opts->version);
	if (opts->monitor_grace_period_ns <= 0 || opts->startup_grace_period_ns <= 0 ||
	    opts->monitor_period_ns <= 0)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_nodelifecycle_controller_new: periods must be > 0");
	if (opts->default_toleration_seconds < 0)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_nodelifecycle_controller_new: "
		                       "default_toleration_seconds must be >= 0");
	if (!(c = kube_calloc(1, sizeof(*c))))
		return kube__error_oom();
	c->store = store;
	c->opts = *opts;
	c->clock = opts->clock ? opts->clock : kube__clock_realtime;
	c->clock_userdata = opts->clock ? opts->clock_userdata : NULL;
	c->queue = opts->queue ? *opts->queue : qdef;
	if (opts->clock && !c->queue.clock) {
		c->queue.clock = opts->clock;
		c->queue.clock_userdata = opts->clock_userdata;
	}
	c->stats.version = KUBE_NODELIFECYCLE_STATS_VERSION;
	ro.name = "nodelifecycle";
	ro.workers = 1;
	ro.queue = &c->queue;
	if ((rc = kube_informer_factory_get(&c->nodes, f, "nodes")) != 0 ||
	    (rc = kube_informer_factory_get(&c->pods, f, "pods")) != 0 ||
	    (rc = kube_informer_factory_get(&c->leases, f, "leases")) != 0 ||
	    (rc = kube_controller_new(&c->runner, kube__informer_loop(c->nodes), &ro, sync_node, c,
	                              NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->nodes_h, c->nodes, &nh, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->pods_h, c->pods, &ph, c, NULL)) != 0 ||
	    (rc = kube_controller_start(c->runner)) != 0) {
		kube_nodelifecycle_controller_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void kube_nodelifecycle_controller_free(kube_nodelifecycle_controller *c)
{
	if (!c)
		return;
	if (c->nodes_h)
		kube_informer_remove_handler(c->nodes, c->nodes_h);
	if (c->pods_h)
		kube_informer_remove_handler(c->pods, c->pods_h);
	kube_controller_free(c->runner);
	for (size_t i = 0; i < c->health.cap; i++)
		if (c->health.slots[i].key)
			health_free(c->health.slots[i].val);
	kube__strmap_fini(&c->health);
	kube_free(c);
}

kube_controller *kube_nodelifecycle_controller_runner(kube_nodelifecycle_controller *c)
{
	return c ? c->runner : NULL;
}

int kube_nodelifecycle_controller_get_stats(const kube_nodelifecycle_controller *c,
                                            kube_nodelifecycle_stats *out)
{
	KUBE_CHECK_ARG(c);
	KUBE_CHECK_ARG(out && out->version == KUBE_NODELIFECYCLE_STATS_VERSION);
	*out = c->stats;
	return 0;
}
