/*
 * daemonset.c - the DaemonSet controller, as upstream's
 * pkg/controller/daemon: one pod per eligible node.
 *
 * One sync of a DaemonSet ("ns/name"):
 *
 *   1. the pods it controls (owner-uid index, controllerRef uid), grouped
 *      by the node each targets: spec.nodeName, or else the node its
 *      required node affinity pins it to (matchFields metadata.name In
 *      [node], which is how the controller pins the pods it makes and
 *      lets the scheduler bind them);
 *   2. for each node, upstream's NodeShouldRunDaemonPod over the template
 *      pod as the controller would make it: the template's nodeName (when
 *      set), nodeSelector and required node affinity must match (else neither run nor keep running); taints
 *      with effect NoSchedule or NoExecute must be tolerated by the
 *      template's tolerations plus those the controller adds to every
 *      daemon pod (not-ready and unreachable NoExecute; disk-, memory-,
 *      pid-pressure and unschedulable NoSchedule; network-unavailable
 *      NoSchedule for hostNetwork pods); an untolerated NoSchedule taint
 *      stops new pods but keeps a running one, an untolerated NoExecute
 *      taint evicts it;
 *   3. manage (podsShouldBeOnNode): nodes that should run and have no pod
 *      get one; nodes that should not keep running lose theirs; Failed
 *      and Succeeded pods are deleted (and replaced next sync); a node
 *      with several running pods keeps the oldest (with surge: the
 *      oldest updated and the oldest old one); unscheduled pods pinned
 *      to a node that is gone are deleted.  Creations and deletions are
 *      recorded in the expectations, as the ReplicaSet controller does;
 *   4. when the expectations are satisfied after that, RollingUpdate
 *      (upstream's rollingUpdate): without surge, old pods are deleted
 *      while fewer than maxUnavailable daemon pods are unavailable (old
 *      pods that are not available go at once); with maxSurge, a new pod
 *      is made beside the old one on at most maxSurge nodes and the old
 *      one goes when the new one is available.  OnDelete does nothing:
 *      a deleted pod comes back with the new template;
 *   5. status: desired/current/updated NumberScheduled, numberMisscheduled,
 *      numberReady, numberAvailable, numberUnavailable, observedGeneration.
 *
 * Simplified, on purpose: no ControllerRevision objects are written (the
 * controller-revision-hash label is an FNV-32a hash of the template's
 * JSON, in upstream's alphabet; only the current template is ever needed
 * to make pods); failed pods are replaced without upstream's per-node
 * backoff.  Orphans that match the selector are adopted (after re-reading
 * the DaemonSet from the store) and pods that stop matching released, as
 * the ReplicaSet controller does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers_private.h"

#define HASH_LABEL "controller-revision-hash"
#define REQ_TERMS "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"

struct kube_daemonset_controller {
	kube_store *store;
	kube_informer *pods, *nodes, *sets;
	kube_informer_handler *pods_h, *nodes_h, *sets_h;
	kube_controller *runner;
	kube_expectations *exp;
	unsigned int burst;
	kube_clock_cb clock;
	void *clock_userdata;
};

/* ---- the revision hash ---- */

/* FNV-32a over the template's JSON, printed in decimal and mapped onto
 * upstream's alphabet (rand.SafeEncodeString), as deployment.c names its
 * ReplicaSets: upstream's shape, not its values. */
static void ds_template_hash(char out[16], const kube_object *ds)
{
	static const char alphanums[] = "bcdfghjklmnpqrstvwxz2456789";
	char *json = NULL, dec[16];
	uint32_t h = 2166136261u;
	size_t i;

	if (kube_object_get_json(ds, "spec.template", &json) == 0 && json)
		for (const unsigned char *p = (const unsigned char *)json; *p; p++)
			h = (h ^ *p) * 16777619u;
	kube_free(json);
	snprintf(dec, sizeof(dec), "%u", h);
	for (i = 0; dec[i]; i++)
		out[i] = alphanums[(unsigned char)dec[i] % (sizeof(alphanums) - 1)];
	out[i] = 0;
}

/* ---- which nodes run a daemon pod ---- */

static const char *str_at(const kube_object *o, const char *path)
{
	const char *v;
	return kube_object_get_string(o, path, &v) == 0 ? v : NULL;
}

/* One NodeSelectorRequirement at path against a value lookup. */
static int requirement_matches(const kube_object *ds, const char *path, const kube_object *node,
                               int field)
{
	char p[512];
	const char *key, *op, *val = NULL;
	size_t nvals = 0;
	int found = 0;

	snprintf(p, sizeof(p), "%s.key", path);
	key = str_at(ds, p);
	snprintf(p, sizeof(p), "%s.operator", path);
	op = str_at(ds, p);
	if (!key || !op)
		return 0;
	if (field) {
		/* matchFields: metadata.name only, In / NotIn */
		if (strcmp(key, "metadata.name") != 0)
			return 0;
		val = kube_object_name(node);
		found = 1;
	} else if (kube_labels_has(kube_object_labels(node), key)) {
		val = kube_labels_get(kube_object_labels(node), key);
		found = 1;
	}
	snprintf(p, sizeof(p), "%s.values", path);
	kube_object_get_len(ds, p, &nvals);
	if (strcmp(op, "Exists") == 0)
		return found;
	if (strcmp(op, "DoesNotExist") == 0)
		return !found;
	if (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0) {
		int in = 0;
		for (size_t i = 0; found && i < nvals; i++) {
			char vp[560];
			const char *v;
			snprintf(vp, sizeof(vp), "%s.values[%zu]", path, i);
			if ((v = str_at(ds, vp)) && strcmp(v, val) == 0)
				in = 1;
		}
		return op[0] == 'I' ? in : !in;
	}
	if (strcmp(op, "Gt") == 0 || strcmp(op, "Lt") == 0) {
		char vp[560], *e1, *e2;
		const char *v;
		long long a, b;
		snprintf(vp, sizeof(vp), "%s.values[0]", path);
		if (!found || nvals != 1 || !(v = str_at(ds, vp)))
			return 0;
		a = strtoll(val, &e1, 10);
		b = strtoll(v, &e2, 10);
		if (*e1 || *e2 || !*val || !*v)
			return 0;
		return op[0] == 'G' ? a > b : a < b;
	}
	return 0;
}

/* nodeSelector and the required node affinity of the template. */
static int fits_affinity(const kube_object *ds, const kube_object *node)
{
	const char *sel = "spec.template.spec.nodeSelector";
	size_t n = 0, nterms = 0;
	char path[512];

	if (kube_object_get_len(ds, sel, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			const char *k, *v, *have;
			if (kube_object_get_key(ds, sel, i, &k) != 0)
				continue;
			snprintf(path, sizeof(path), "%s[\"%s\"]", sel, k);
			v = str_at(ds, path);
			have = kube_labels_get(kube_object_labels(node), k);
			if (!v || !have || strcmp(v, have) != 0)
				return 0;
		}
	}
	if (kube_object_get_len(ds, "spec.template." REQ_TERMS, &nterms) != 0)
		return 1;   /* no required affinity */
	/* terms are ORed; a term's requirements ANDed; an empty term matches nothing */
	for (size_t t = 0; t < nterms; t++) {
		size_t ne = 0, nf = 0;
		int ok = 1;
		char base[400];
		snprintf(base, sizeof(base), "spec.template." REQ_TERMS "[%zu]", t);
		snprintf(path, sizeof(path), "%s.matchExpressions", base);
		kube_object_get_len(ds, path, &ne);
		snprintf(path, sizeof(path), "%s.matchFields", base);
		kube_object_get_len(ds, path, &nf);
		if (ne + nf == 0)
			continue;
		for (size_t i = 0; ok && i < ne; i++) {
			snprintf(path, sizeof(path), "%s.matchExpressions[%zu]", base, i);
			ok = requirement_matches(ds, path, node, 0);
		}
		for (size_t i = 0; ok && i < nf; i++) {
			snprintf(path, sizeof(path), "%s.matchFields[%zu]", base, i);
			ok = requirement_matches(ds, path, node, 1);
		}
		if (ok)
			return 1;
	}
	return 0;
}

/* The tolerations every daemon pod gets (AddOrUpdateDaemonPodTolerations). */
static const struct {
	const char *key, *effect;
} auto_tolerations[] = {
	{ "node.kubernetes.io/not-ready", "NoExecute" },
	{ "node.kubernetes.io/unreachable", "NoExecute" },
	{ "node.kubernetes.io/disk-pressure", "NoSchedule" },
	{ "node.kubernetes.io/memory-pressure", "NoSchedule" },
	{ "node.kubernetes.io/pid-pressure", "NoSchedule" },
	{ "node.kubernetes.io/unschedulable", "NoSchedule" },
	{ "node.kubernetes.io/network-unavailable", "NoSchedule" },   /* hostNetwork only */
};

static int host_network(const kube_object *ds)
{
	int v = 0;
	return kube_object_get_bool(ds, "spec.template.spec.hostNetwork", &v) == 0 && v;
}

/* Does a template toleration (or an automatic one) tolerate the taint? */
static int tolerated(const kube_object *ds, const char *tkey, const char *tval,
                     const char *teffect)
{
	size_t n = 0, nauto = KUBE_ARRAY_SIZE(auto_tolerations) - (host_network(ds) ? 0 : 1);
	char path[128];

	for (size_t i = 0; i < nauto; i++)
		if (strcmp(auto_tolerations[i].key, tkey) == 0 &&
		    strcmp(auto_tolerations[i].effect, teffect) == 0)
			return 1;
	kube_object_get_len(ds, "spec.template.spec.tolerations", &n);
	for (size_t i = 0; i < n; i++) {
		const char *key, *op, *val, *eff;
		snprintf(path, sizeof(path), "spec.template.spec.tolerations[%zu].key", i);
		key = str_at(ds, path);
		snprintf(path, sizeof(path), "spec.template.spec.tolerations[%zu].operator", i);
		op = str_at(ds, path);
		snprintf(path, sizeof(path), "spec.template.spec.tolerations[%zu].value", i);
		val = str_at(ds, path);
		snprintf(path, sizeof(path), "spec.template.spec.tolerations[%zu].effect", i);
		eff = str_at(ds, path);
		if (eff && *eff && strcmp(eff, teffect) != 0)
			continue;
		if (key && *key && strcmp(key, tkey) != 0)
			continue;
		if (op && strcmp(op, "Exists") == 0)
			return 1;
		/* Equal (the default); an empty key needs Exists */
		if (key && *key && strcmp(val ? val : "", tval) == 0)
			return 1;
	}
	return 0;
}

/* NodeShouldRunDaemonPod. */
static void should_run(const kube_object *ds, const kube_object *node, int *run, int *keep)
{
	size_t n = 0;
	int no_schedule = 0, no_execute = 0;
	char path[64];

	*run = *keep = 0;
	/* fitsNodeName: a template that names a node runs there only */
	const char *tn = str_at(ds, "spec.template.spec.nodeName");
	if ((tn && *tn && strcmp(tn, kube_object_name(node)) != 0) || !fits_affinity(ds, node))
		return;
	kube_object_get_len(node, "spec.taints", &n);
	for (size_t i = 0; i < n; i++) {
		const char *key, *val, *eff;
		snprintf(path, sizeof(path), "spec.taints[%zu].key", i);
		key = str_at(node, path);
		snprintf(path, sizeof(path), "spec.taints[%zu].value", i);
		val = str_at(node, path);
		snprintf(path, sizeof(path), "spec.taints[%zu].effect", i);
		eff = str_at(node, path);
		if (!key || !eff || strcmp(eff, "PreferNoSchedule") == 0)
			continue;
		if (tolerated(ds, key, val ? val : "", eff))
			continue;
		if (strcmp(eff, "NoExecute") == 0)
			no_execute = 1;
		else if (strcmp(eff, "NoSchedule") == 0)
			no_schedule = 1;
	}
	*run = !no_schedule && !no_execute;
	*keep = !no_execute;
}

/* GetTargetNodeName: spec.nodeName, or the node the affinity pins it to. */
static const char *target_node(const kube_object *pod)
{
	const char *n = str_at(pod, "spec.nodeName");
	size_t nterms = 0;
	char path[300];

	if (n && *n)
		return n;
	if (kube_object_get_len(pod, REQ_TERMS, &nterms) != 0)
		return NULL;
	for (size_t t = 0; t < nterms; t++) {
		size_t nf = 0;
		snprintf(path, sizeof(path), REQ_TERMS "[%zu].matchFields", t);
		kube_object_get_len(pod, path, &nf);
		for (size_t i = 0; i < nf; i++) {
			const char *k, *op, *v;
			size_t nv = 0;
			snprintf(path, sizeof(path), REQ_TERMS "[%zu].matchFields[%zu].key", t, i);
			k = str_at(pod, path);
			snprintf(path, sizeof(path), REQ_TERMS "[%zu].matchFields[%zu].operator", t, i);
			op = str_at(pod, path);
			snprintf(path, sizeof(path), REQ_TERMS "[%zu].matchFields[%zu].values", t, i);
			if (!k || !op || strcmp(k, "metadata.name") != 0 || strcmp(op, "In") != 0 ||
			    kube_object_get_len(pod, path, &nv) != 0 || nv != 1)
				continue;
			snprintf(path, sizeof(path), REQ_TERMS "[%zu].matchFields[%zu].values[0]", t, i);
			if ((v = str_at(pod, path)))
				return v;
		}
	}
	return NULL;
}

/* ---- event handlers ---- */

static void key_of(char *buf, size_t n, const kube_object *o)
{
	snprintf(buf, n, "%s/%s", kube_object_namespace(o), kube_object_name(o));
}

/* The DaemonSet a pod's controllerRef points at, if it exists and matches. */
static kube_object *owner_of(const kube_daemonset_controller *c, const kube_object *pod)
{
	kube_owner_ref ref;

	if (kube_object_controller_ref(pod, &ref) != 0)
		return NULL;
	return kube__resolve_controller_ref(c->sets, kube_object_namespace(pod), &ref, "DaemonSet");
}

static void on_pod_delete(kube_informer *inf, kube_object *pod, int unknown, void *ud)
{
	kube_daemonset_controller *c = ud;
	kube_object *ds = owner_of(c, pod);
	char dkey[512], pkey[512];

	KUBE_UNUSED(inf);
	KUBE_UNUSED(unknown);
	if (!ds)
		return;
	key_of(dkey, sizeof(dkey), ds);
	key_of(pkey, sizeof(pkey), pod);
	kube_expectations_deletion_observed(c->exp, dkey, pkey);
	kube_controller_enqueue(c->runner, dkey);
}

/* Enqueues every DaemonSet of the pod's namespace that selects it. */
static void enqueue_selecting(kube_daemonset_controller *c, const kube_object *pod)
{
	kube__enqueue_selecting(c->runner, c->sets, pod, NULL, NULL);
}

static void on_pod_add(kube_informer *inf, kube_object *pod, int initial, void *ud)
{
	kube_daemonset_controller *c = ud;
	kube_owner_ref ref;
	kube_object *ds;
	char dkey[512];

	KUBE_UNUSED(initial);
	if (kube_object_deletion_timestamp(pod)) {
		on_pod_delete(inf, pod, 0, ud);
		return;
	}
	if (kube_object_controller_ref(pod, &ref) != 0) {
		enqueue_selecting(c, pod);   /* an orphan: who may adopt it */
		return;
	}
	if (!(ds = owner_of(c, pod)))
		return;
	key_of(dkey, sizeof(dkey), ds);
	kube_expectations_creation_observed(c->exp, dkey);
	kube_controller_enqueue(c->runner, dkey);
}

static void on_pod_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	kube_daemonset_controller *c = ud;
	kube_object *ds;

	if (old == cur)
		return;
	if (kube_object_deletion_timestamp(cur) && !kube_object_deletion_timestamp(old)) {
		on_pod_delete(inf, cur, 0, ud);
		return;
	}
	if (kube_object_controller_ref(cur, &(kube_owner_ref){ 0 }) != 0) {
		if (!kube_labels_equal(kube_object_labels(old), kube_object_labels(cur)) ||
		    kube_object_controller_ref(old, &(kube_owner_ref){ 0 }) == 0)
			enqueue_selecting(c, cur);
		return;
	}
	if ((ds = owner_of(c, cur)) != NULL) {
		int64_t min_ready = kube__get_int_or(ds, "spec.minReadySeconds", 0);
		kube_controller_enqueue_object(c->runner, ds);
		if (min_ready > 0 && !kube__pod_ready(old, NULL) && kube__pod_ready(cur, NULL)) {
			char key[512];
			key_of(key, sizeof(key), ds);
			kube_controller_enqueue_after(c->runner, key, (min_ready + 1) * KUBE__NS_PER_SEC);
		}
	}
}

/* Any node change may change where every DaemonSet runs. */
static void enqueue_all(kube_daemonset_controller *c)
{
	kube_object_list *l = NULL;

	if (kube_informer_list(&l, c->sets, NULL, NULL) != 0)
		return;
	for (size_t i = 0; i < kube_object_list_count(l); i++)
		kube_controller_enqueue_object(c->runner, kube_object_list_get(l, i));
	kube_object_list_free(l);
}

static void on_node_add(kube_informer *inf, kube_object *node, int initial, void *ud)
{
	KUBE_UNUSED(inf);
	KUBE_UNUSED(node);
	KUBE_UNUSED(initial);
	enqueue_all(ud);
}

static void on_node_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	KUBE_UNUSED(inf);
	/* a resync, or a status-only write (heartbeats) changes nothing here */
	if (old == cur)
		return;
	{
		char *a = NULL, *b = NULL;
		int same = kube_labels_equal(kube_object_labels(old), kube_object_labels(cur)) &&
		           kube_object_get_json(old, "spec", &a) == kube_object_get_json(cur, "spec", &b) &&
		           ((!a && !b) || (a && b && strcmp(a, b) == 0));
		kube_free(a);
		kube_free(b);
		if (same)
			return;
	}
	enqueue_all(ud);
}

static void on_node_delete(kube_informer *inf, kube_object *node, int unknown, void *ud)
{
	KUBE_UNUSED(inf);
	KUBE_UNUSED(node);
	KUBE_UNUSED(unknown);
	enqueue_all(ud);
}

static void on_set_add(kube_informer *inf, kube_object *ds, int initial, void *ud)
{
	kube_daemonset_controller *c = ud;
	KUBE_UNUSED(inf);
	KUBE_UNUSED(initial);
	kube_controller_enqueue_object(c->runner, ds);
}

static void on_set_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	kube_daemonset_controller *c = ud;
	KUBE_UNUSED(inf);
	KUBE_UNUSED(old);
	kube_controller_enqueue_object(c->runner, cur);
}

static void on_set_delete(kube_informer *inf, kube_object *ds, int unknown, void *ud)
{
	kube_daemonset_controller *c = ud;
	char key[512];

	KUBE_UNUSED(inf);
	KUBE_UNUSED(unknown);
	key_of(key, sizeof(key), ds);
	kube_expectations_delete(c->exp, key);
}

/* ---- claiming (ControllerRefManager.ClaimPods) ---- */

static int claim_pods(kube_daemonset_controller *c, const kube_object *set,
                      kube_object_list **out)
{
	const kube__claimer cl = { c->store, "daemonsets", "apps/v1", "DaemonSet",
	                           KUBE__CLAIM_EMPTY_SELECTS_NONE };

	return kube__claim_namespace_pods(out, &cl, set, c->pods);
}

/* ---- per-node view ---- */

typedef struct node_state {
	const char *name;            /* borrowed from the node or a pod */
	int exists;                  /* a Node object */
	int run, keep;
	kube_object **pods;          /* borrowed from the pods list */
	size_t n, cap;
} node_state;

typedef struct view {
	node_state *nodes;
	size_t n, cap;
	kube__strmap idx;            /* name -> index + 1 */
	kube_object_list *nodelist, *podlist;
} view;

static node_state *view_node(view *v, const char *name)
{
	void *i = kube__strmap_get(&v->idx, name);

	if (i)
		return &v->nodes[(uintptr_t)i - 1];
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 16;
		node_state *ns = kube_realloc(v->nodes, cap * sizeof(*ns));
		if (!ns)
			return NULL;
		v->nodes = ns;
		v->cap = cap;
	}
	memset(&v->nodes[v->n], 0, sizeof(v->nodes[0]));
	v->nodes[v->n].name = name;
	if (kube__strmap_put(&v->idx, name, (void *)(uintptr_t)(v->n + 1), NULL) != 0)
		return NULL;
	return &v->nodes[v->n++];
}

static void view_free(view *v)
{
	for (size_t i = 0; i < v->n; i++)
		kube_free(v->nodes[i].pods);
	kube_free(v->nodes);
	kube__strmap_fini(&v->idx);
	kube_object_list_free(v->nodelist);
	kube_object_list_free(v->podlist);
}

static int64_t created_ns(const kube_object *p)
{
	return kube__rfc3339_ns(kube_object_creation_timestamp(p));
}

/* Oldest first (podByCreationTimestampAndPhase: creation, then name). */
static int pod_age_cmp(const void *x, const void *y)
{
	const kube_object *a = *(kube_object *const *)x, *b = *(kube_object *const *)y;
	int64_t ta = created_ns(a), tb = created_ns(b);

	if (ta != tb)
		return ta < tb ? -1 : 1;
	return strcmp(kube_object_name(a), kube_object_name(b));
}

static int view_build(kube_daemonset_controller *c, const kube_object *ds, view *v)
{
	int rc;

	memset(v, 0, sizeof(*v));
	if ((rc = kube_informer_list(&v->nodelist, c->nodes, NULL, NULL)) != 0 ||
	    (rc = claim_pods(c, ds, &v->podlist)) != 0)
		return rc;
	for (size_t i = 0; i < kube_object_list_count(v->nodelist); i++) {
		kube_object *node = kube_object_list_get(v->nodelist, i);
		node_state *ns = view_node(v, kube_object_name(node));
		if (!ns)
			return kube__error_oom();
		ns->exists = 1;
		should_run(ds, node, &ns->run, &ns->keep);
	}
	for (size_t i = 0; i < kube_object_list_count(v->podlist); i++) {
		kube_object *p = kube_object_list_get(v->podlist, i);
		kube_owner_ref ref;
		const char *tn;
		node_state *ns;
		if (kube_object_controller_ref(p, &ref) != 0 || !ref.uid ||
		    strcmp(ref.uid, kube_object_uid(ds)) != 0 ||
		    strcmp(kube_object_namespace(p), kube_object_namespace(ds)) != 0)
			continue;
		/* terminal pods already being deleted are gone for our purposes */
		if (!kube__pod_active(p) && kube_object_deletion_timestamp(p))
			continue;
		if (!(tn = target_node(p)))
			continue;
		if (!(ns = view_node(v, tn)))
			return kube__error_oom();
		if (ns->n == ns->cap) {
			size_t cap = ns->cap ? 2 * ns->cap : 2;
			kube_object **pp = kube_realloc(ns->pods, cap * sizeof(*pp));
			if (!pp)
				return kube__error_oom();
			ns->pods = pp;
			ns->cap = cap;
		}
		ns->pods[ns->n++] = p;
	}
	for (size_t i = 0; i < v->n; i++)
		if (v->nodes[i].n > 1)
			qsort(v->nodes[i].pods, v->nodes[i].n, sizeof(kube_object *), pod_age_cmp);
	return 0;
}

/* ---- rolling update parameters ---- */

/* An IntOrString at path scaled against total (percentages round up, as
 * upstream's UnavailableCount and SurgeCount). */
static int64_t int_or_percent(const kube_object *ds, const char *path, int64_t total, int64_t def)
{
	kube_value_type t;
	int64_t v;
	const char *s;

	if (kube_object_get_type(ds, path, &t) != 0)
		return def;
	if (t == KUBE_VALUE_INT && kube_object_get_int(ds, path, &v) == 0)
		return v;
	if (t == KUBE_VALUE_STRING && kube_object_get_string(ds, path, &s) == 0) {
		char *end;
		long long pct = strtoll(s, &end, 10);
		if (*end == '%' && end[1] == 0)
			return (pct * total + 99) / 100;
		if (*end == 0 && end != s)
			return pct;
	}
	return def;
}

static int is_rolling(const kube_object *ds)
{
	const char *t = str_at(ds, "spec.updateStrategy.type");
	return !t || strcmp(t, "RollingUpdate") == 0;
}

static int is_updated(const kube_object *pod, const char *hash)
{
	const char *h = kube_labels_get(kube_object_labels(pod), HASH_LABEL);
	return h && strcmp(h, hash) == 0;
}

/* ---- writing ---- */

typedef struct plan {
	const char **create_on;      /* node names */
	size_t ncreate, ccreate;
	kube_object **del;           /* pods */
	size_t ndel, cdel;
} plan;

static int plan_create(plan *p, const char *node)
{
	for (size_t i = 0; i < p->ncreate; i++)
		if (strcmp(p->create_on[i], node) == 0)
			return 0;
	if (p->ncreate == p->ccreate) {
		size_t cap = p->ccreate ? 2 * p->ccreate : 16;
		const char **v = kube_realloc(p->create_on, cap * sizeof(*v));
		if (!v)
			return kube__error_oom();
		p->create_on = v;
		p->ccreate = cap;
	}
	p->create_on[p->ncreate++] = node;
	return 0;
}

static int plan_delete(plan *p, kube_object *pod)
{
	if (kube_object_deletion_timestamp(pod))
		return 0;   /* already going */
	for (size_t i = 0; i < p->ndel; i++)
		if (p->del[i] == pod)
			return 0;
	if (p->ndel == p->cdel) {
		size_t cap = p->cdel ? 2 * p->cdel : 16;
		kube_object **v = kube_realloc(p->del, cap * sizeof(*v));
		if (!v)
			return kube__error_oom();
		p->del = v;
		p->cdel = cap;
	}
	p->del[p->ndel++] = pod;
	return 0;
}

static void plan_free(plan *p)
{
	kube_free(p->create_on);
	kube_free(p->del);
}

/* The template pod (NewPod + the daemon tolerations), without a node. */
static int template_pod(kube_object **out, const kube_object *ds, const char *hash)
{
	kube__buf b = KUBE__BUF_INIT;
	char *spec = NULL, *labels = NULL, *annotations = NULL;
	const char *name = kube_object_name(ds), *ns = kube_object_namespace(ds);
	kube_object *pod = NULL;
	size_t ntol = 0;
	int rc;

	kube_object_get_json(ds, "spec.template.spec", &spec);
	kube_object_get_json(ds, "spec.template.metadata.labels", &labels);
	kube_object_get_json(ds, "spec.template.metadata.annotations", &annotations);
	kube__buf_puts(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":");
	kube__go_json_string(&b, ns, strlen(ns));
	kube__buf_puts(&b, ",\"generateName\":\"");
	kube__buf_puts(&b, name);
	kube__buf_puts(&b, "-\"");
	kube__buf_printf(&b, ",\"labels\":%s", labels ? labels : "{}");
	if (annotations)
		kube__buf_printf(&b, ",\"annotations\":%s", annotations);
	kube__buf_printf(&b,
	                 ",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\","
	                 "\"name\":\"%s\",\"uid\":\"%s\",\"controller\":true,"
	                 "\"blockOwnerDeletion\":true}]},\"spec\":%s}",
	                 name, kube_object_uid(ds), spec ? spec : "{}");
	kube_free(spec);
	kube_free(labels);
	kube_free(annotations);
	if ((rc = kube__object_from_buf(&pod, &b)) != 0)
		return rc;
	if ((rc = kube_object_set_label(pod, HASH_LABEL, hash)) != 0)
		goto fail;
	if (kube_object_get_len(pod, "spec.tolerations", &ntol) != 0) {
		if ((rc = kube_object_set_json(pod, "spec.tolerations", "[]")) != 0)
			goto fail;
		ntol = 0;
	}
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(auto_tolerations); i++) {
		char path[64], json[160];
		int have = 0;
		if (i == KUBE_ARRAY_SIZE(auto_tolerations) - 1 && !host_network(ds))
			break;
		for (size_t j = 0; j < ntol; j++) {
			const char *k, *e;
			snprintf(path, sizeof(path), "spec.tolerations[%zu].key", j);
			k = str_at(pod, path);
			snprintf(path, sizeof(path), "spec.tolerations[%zu].effect", j);
			e = str_at(pod, path);
			if (k && e && strcmp(k, auto_tolerations[i].key) == 0 &&
			    strcmp(e, auto_tolerations[i].effect) == 0)
				have = 1;
		}
		if (have)
			continue;
		snprintf(path, sizeof(path), "spec.tolerations[%zu]", ntol++);
		snprintf(json, sizeof(json), "{\"key\":\"%s\",\"operator\":\"Exists\",\"effect\":\"%s\"}",
		         auto_tolerations[i].key, auto_tolerations[i].effect);
		if ((rc = kube_object_set_json(pod, path, json)) != 0)
			goto fail;
	}
	*out = pod;
	return 0;
fail:
	kube_object_unref(pod);
	return rc;
}

typedef struct create_ctx {
	kube_daemonset_controller *c;
	const kube_object *tmpl;
	const char *key;
	const char **nodes;
	size_t next;
} create_ctx;

/* One pod pinned to the next node (ReplaceDaemonSetPodNodeNameNodeAffinity:
 * the required terms become this one matchFields term). */
static int create_one(void *ud)
{
	create_ctx *cc = ud;
	const char *node = cc->nodes[cc->next++];
	kube__buf b = KUBE__BUF_INIT;
	kube_object *pod = NULL;
	int rc;

	kube__buf_puts(&b, "{\"nodeSelectorTerms\":[{\"matchFields\":[{\"key\":\"metadata.name\","
	                   "\"operator\":\"In\",\"values\":[");
	kube__go_json_string(&b, node, strlen(node));
	kube__buf_puts(&b, "]}]}]}");
	if (b.failed)
		rc = kube__error_oom();
	else if ((rc = kube_object_mutable(&pod, cc->tmpl)) == 0 &&
	         (rc = kube_object_set_json(pod, "spec.affinity.nodeAffinity."
	                                         "requiredDuringSchedulingIgnoredDuringExecution",
	                                    b.data)) == 0) {
		for (int attempt = 0; attempt < 4; attempt++) {
			kube_object *copy = NULL;
			if ((rc = kube_object_mutable(&copy, pod)) != 0)
				break;
			rc = kube_store_create_take(NULL, cc->c->store, copy);
			if (rc != KUBE_EEXISTS)
				break;
		}
	}
	kube_object_unref(pod);
	kube__buf_free(&b);
	if (rc != 0)
		kube_expectations_creation_observed(cc->c->exp, cc->key);
	return rc;
}

/* syncNodes: deletions, then creations in slow-start batches, at most
 * burst_replicas each, recorded in the expectations first. */
static int sync_nodes(kube_daemonset_controller *c, const kube_object *ds, const char *key,
                      const char *hash, plan *p)
{
	size_t ndel = p->ndel < c->burst ? p->ndel : c->burst;
	size_t ncreate = p->ncreate < c->burst ? p->ncreate : c->burst;
	const char **keys = NULL;
	char (*kbuf)[512] = NULL;
	int err = 0;

	if (ndel + ncreate == 0)
		return 0;
	if (ndel) {
		keys = kube_calloc(ndel, sizeof(*keys));
		kbuf = kube_calloc(ndel, sizeof(*kbuf));
		if (!keys || !kbuf) {
			kube_free(keys);
			kube_free(kbuf);
			return kube__error_oom();
		}
		for (size_t i = 0; i < ndel; i++) {
			key_of(kbuf[i], sizeof(kbuf[i]), p->del[i]);
			keys[i] = kbuf[i];
		}
	}
	/* expect_deletions resets the record; the creations are added on top */
	kube_expectations_expect_deletions(c->exp, key, keys, ndel);
	kube_expectations_raise(c->exp, key, (int64_t)ncreate, 0);
	if (ncreate) {
		kube_object *tmpl = NULL;
		int64_t done = 0;
		create_ctx cc = { c, NULL, key, p->create_on, 0 };
		if ((err = template_pod(&tmpl, ds, hash)) != 0) {
			kube_expectations_lower(c->exp, key, (int64_t)ncreate, 0);
		} else {
			kube_object_freeze(tmpl);
			cc.tmpl = tmpl;
			kube__slow_start_batch((int64_t)ncreate, 1, create_one, &cc, &err, &done);
			for (int64_t i = done; i < (int64_t)ncreate; i++)
				kube_expectations_creation_observed(c->exp, key);
			kube_object_unref(tmpl);
		}
	}
	for (size_t i = 0; i < ndel; i++) {
		kube_delete_options o = KUBE_DELETE_OPTIONS_INIT;
		int rc;
		o.uid = kube_object_uid(p->del[i]);
		rc = kube_store_delete(NULL, c->store, "pods", kube_object_namespace(p->del[i]),
		                       kube_object_name(p->del[i]), &o);
		if (rc != 0) {
			kube_expectations_deletion_observed(c->exp, key, keys[i]);
			if (rc != KUBE_ENOTFOUND && !err)
				err = rc;
		}
	}
	kube_free(keys);
	kube_free(kbuf);
	if (err)
		KUBE_LOG(KUBE_LOG_WARN, "daemonset", "%s: %s", key, kube_strerror(err));
	return err;
}

/* manage: podsShouldBeOnNode for every node, and unscheduled pods pinned
 * to nodes that are gone. */
static int manage(kube_daemonset_controller *c, const kube_object *ds, const char *key,
                  const char *hash, view *v)
{
	plan p = { NULL, 0, 0, NULL, 0, 0 };
	int surge = is_rolling(ds) &&
	            int_or_percent(ds, "spec.updateStrategy.rollingUpdate.maxSurge", 1, 0) > 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < v->n; i++) {
		node_state *ns = &v->nodes[i];
		if (!ns->exists) {
			for (size_t j = 0; rc == 0 && j < ns->n; j++) {
				const char *nn = str_at(ns->pods[j], "spec.nodeName");
				if (!nn || !*nn)
					rc = plan_delete(&p, ns->pods[j]);
			}
			continue;
		}
		if (ns->run && ns->n == 0) {
			rc = plan_create(&p, ns->name);
		} else if (!ns->keep) {
			for (size_t j = 0; rc == 0 && j < ns->n; j++)
				rc = plan_delete(&p, ns->pods[j]);
		} else {
			/* running pods (oldest first); finished ones go */
			kube_object *oldest_new = NULL, *oldest_old = NULL, *oldest = NULL;
			size_t running = 0;
			for (size_t j = 0; rc == 0 && j < ns->n; j++) {
				kube_object *pod = ns->pods[j];
				const char *ph = kube__pod_phase(pod);
				if (kube_object_deletion_timestamp(pod))
					continue;
				if (strcmp(ph, "Failed") == 0 || strcmp(ph, "Succeeded") == 0) {
					rc = plan_delete(&p, pod);
					continue;
				}
				running++;
				if (!oldest)
					oldest = pod;
				if (is_updated(pod, hash)) {
					if (!oldest_new)
						oldest_new = pod;
				} else if (!oldest_old) {
					oldest_old = pod;
				}
			}
			if (rc == 0 && ns->run && running == 0)
				rc = plan_create(&p, ns->name);
			for (size_t j = 0; rc == 0 && running > 1 && j < ns->n; j++) {
				kube_object *pod = ns->pods[j];
				const char *ph = kube__pod_phase(pod);
				if (kube_object_deletion_timestamp(pod) || strcmp(ph, "Failed") == 0 ||
				    strcmp(ph, "Succeeded") == 0)
					continue;
				if (surge ? (pod != oldest_new && pod != oldest_old) : pod != oldest)
					rc = plan_delete(&p, pod);
			}
		}
	}
	if (rc == 0)
		rc = sync_nodes(c, ds, key, hash, &p);
	plan_free(&p);
	return rc;
}

/* findUpdatedPodsOnNode: at most one new and one old running pod, or ok = 0. */
static int updated_on_node(const node_state *ns, const char *hash, kube_object **newp,
                           kube_object **oldp)
{
	*newp = *oldp = NULL;
	for (size_t j = 0; j < ns->n; j++) {
		kube_object *pod = ns->pods[j];
		if (kube_object_deletion_timestamp(pod))
			continue;
		if (is_updated(pod, hash)) {
			if (*newp)
				return 0;
			*newp = pod;
		} else {
			if (*oldp)
				return 0;
			*oldp = pod;
		}
	}
	return 1;
}

static int rolling_update(kube_daemonset_controller *c, const kube_object *ds, const char *key,
                          const char *hash, view *v)
{
	int64_t desired = 0, now = c->clock(c->clock_userdata);
	int64_t min_ready = kube__get_int_or(ds, "spec.minReadySeconds", 0);
	int64_t max_unavail, max_surge, count = 0;
	plan p = { NULL, 0, 0, NULL, 0, 0 };
	plan cand = { NULL, 0, 0, NULL, 0, 0 };
	int rc = 0;

	for (size_t i = 0; i < v->n; i++)
		desired += v->nodes[i].exists && v->nodes[i].run;
	max_surge = int_or_percent(ds, "spec.updateStrategy.rollingUpdate.maxSurge", desired, 0);
	max_unavail = int_or_percent(ds, "spec.updateStrategy.rollingUpdate.maxUnavailable",
	                             desired, 1);
	if (max_surge == 0 && max_unavail == 0)
		max_unavail = 1;   /* an impossible configuration: upstream's default */
	/* nodes with pods, and nodes that want one (updatedDesiredNodeCounts
	 * adds them empty), in name order where upstream walks a map */
	for (size_t i = 0; rc == 0 && i < v->n; i++) {
		node_state *ns = &v->nodes[i];
		kube_object *np, *op;
		if (ns->n == 0 && !(ns->exists && ns->run))
			continue;
		if (max_surge == 0) {
			if (!updated_on_node(ns, hash, &np, &op) || (!np && !op) || (np && op)) {
				count++;   /* manage() settles it: count it unavailable */
				continue;
			}
			if (np) {
				if (!kube__pod_available(np, min_ready, now))
					count++;
			} else if (!kube__pod_available(op, min_ready, now)) {
				rc = plan_delete(&p, op);     /* already unavailable: replace now */
			} else if (count < max_unavail) {
				rc = plan_delete(&cand, op);
			}
		} else {
			if (!updated_on_node(ns, hash, &np, &op)) {
				count++;
				continue;
			}
			if (!op)
				continue;
			if (!np) {
				if (!kube__pod_available(op, min_ready, now))
					rc = plan_create(&p, ns->name);
				else if (count < max_surge)
					rc = plan_create(&cand, ns->name);
			} else if (!kube__pod_available(np, min_ready, now)) {
				count++;
			} else {
				rc = plan_delete(&p, op);
			}
		}
	}
	if (rc == 0) {
		int64_t remaining = (max_surge == 0 ? max_unavail : max_surge) - count;
		size_t have = max_surge == 0 ? cand.ndel : cand.ncreate;
		if (remaining < 0)
			remaining = 0;
		if ((size_t)remaining > have)
			remaining = (int64_t)have;
		for (int64_t i = 0; rc == 0 && i < remaining; i++)
			rc = max_surge == 0 ? plan_delete(&p, cand.del[i]) : plan_create(&p, cand.create_on[i]);
	}
	if (rc == 0)
		rc = sync_nodes(c, ds, key, hash, &p);
	plan_free(&p);
	plan_free(&cand);
	return rc;
}

/* ---- status ---- */

typedef struct ds_status {
	int64_t current, miss, desired, ready, updated, available, unavailable;
} ds_status;

static const char *const status_fields[] = {
	"currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady",
	"updatedNumberScheduled", "numberAvailable", "numberUnavailable",
};

static int64_t *status_slot(ds_status *s, size_t i)
{
	int64_t *v[] = { &s->current, &s->miss, &s->desired, &s->ready, &s->updated,
	                 &s->available, &s->unavailable };
	return v[i];
}

static int status_mutate(kube_object *ds, void *ud)
{
	ds_status *s = ud;
	char path[64];
	int rc;

	for (size_t i = 0; i < KUBE_ARRAY_SIZE(status_fields); i++) {
		int64_t v = *status_slot(s, i);
		snprintf(path, sizeof(path), "status.%s", status_fields[i]);
		/* the first four are required fields; the others omitempty */
		if (v == 0 && i >= 4) {
			rc = kube_object_remove(ds, path);
			if (rc == KUBE_ENOTFOUND)
				rc = 0;
		} else {
			rc = kube_object_set_int(ds, path, v);
		}
		if (rc)
			return rc;
	}
	return kube_object_set_int(ds, "status.observedGeneration", kube_object_generation(ds));
}

static int update_status(kube_daemonset_controller *c, const kube_object *ds, const char *hash,
                         view *v, int64_t *after)
{
	ds_status s;
	int64_t now = c->clock(c->clock_userdata);
	int64_t min_ready = kube__get_int_or(ds, "spec.minReadySeconds", 0);
	int same = 1;
	char path[64];

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < v->n; i++) {
		node_state *ns = &v->nodes[i];
		if (!ns->exists)
			continue;
		if (!ns->run) {
			s.miss += ns->n > 0;
			continue;
		}
		s.desired++;
		if (ns->n == 0)
			continue;
		s.current++;
		kube_object *pod = ns->pods[0];   /* the oldest */
		if (kube__pod_ready(pod, NULL)) {
			s.ready++;
			if (kube__pod_available(pod, min_ready, now))
				s.available++;
			else
				*after = min_ready * KUBE__NS_PER_SEC;
		}
		s.updated += is_updated(pod, hash);
	}
	s.unavailable = s.desired - s.available;
	for (size_t i = 0; same && i < KUBE_ARRAY_SIZE(status_fields); i++) {
		snprintf(path, sizeof(path), "status.%s", status_fields[i]);
		same = kube__get_int_or(ds, path, 0) == *status_slot(&s, i);
	}
	if (same && kube__get_int_or(ds, "status.observedGeneration", 0) == kube_object_generation(ds))
		return 0;
	return kube_store_guaranteed_update(NULL, c->store, "daemonsets", kube_object_namespace(ds),
	                                    kube_object_name(ds), status_mutate, &s);
}

/* ---- sync ---- */

static int sync_set(kube_controller *runner, const char *key, int64_t *after, void *ud)
{
	kube_daemonset_controller *c = ud;
	kube_object *ds;
	char *ns = NULL, *name = NULL, hash[16];
	view v;
	int rc = 0, err = 0;

	KUBE_UNUSED(runner);
	memset(&v, 0, sizeof(v));
	if (kube_cache_key_split(&ns, &name, key) != 0)
		return 0;
	ds = kube_informer_get(c->sets, ns, name);
	kube_free(ns);
	kube_free(name);
	if (!ds) {
		kube_expectations_delete(c->exp, key);
		return 0;
	}
	ds = kube_object_ref(ds);
	ds_template_hash(hash, ds);
	if ((rc = view_build(c, ds, &v)) != 0)
		goto out;
	if (kube_expectations_satisfied(c->exp, key) && !kube_object_deletion_timestamp(ds)) {
		err = manage(c, ds, key, hash, &v);
		/* only once what manage asked for has been seen */
		if (!err && is_rolling(ds) && kube_expectations_satisfied(c->exp, key))
			err = rolling_update(c, ds, key, hash, &v);
	}
	rc = update_status(c, ds, hash, &v, after);
	if (rc == 0)
		rc = err;
out:
	view_free(&v);
	kube_object_unref(ds);
	return rc;
}

/* ---- life cycle ---- */

int kube_daemonset_controller_new(kube_daemonset_controller **out, kube_informer_factory *f,
                                  kube_store *store, const kube_workload_controller_options *opts)
{
	kube__workload_setup setup;
	kube_daemonset_controller *c;
	kube_informer_handlers ph = { KUBE_INFORMER_HANDLERS_VERSION, on_pod_add, on_pod_update,
	                              on_pod_delete };
	kube_informer_handlers nh = { KUBE_INFORMER_HANDLERS_VERSION, on_node_add, on_node_update,
	                              on_node_delete };
	kube_informer_handlers sh = { KUBE_INFORMER_HANDLERS_VERSION, on_set_add, on_set_update,
	                              on_set_delete };
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(f);
	KUBE_CHECK_ARG(store);
	if ((rc = kube__workload_setup_init(&setup, opts, "kube_daemonset_controller_new",
	                                    "daemonset", 1)) != 0)
		return rc;
	if (!(c = kube_calloc(1, sizeof(*c))))
		return kube__error_oom();
	c->store = store;
	c->burst = setup.opts->burst_replicas;
	c->clock = setup.clock;
	c->clock_userdata = setup.clock_userdata;
	if ((rc = kube_informer_factory_get(&c->pods, f, "pods")) != 0 ||
	    (rc = kube_informer_factory_get(&c->nodes, f, "nodes")) != 0 ||
	    (rc = kube_informer_factory_get(&c->sets, f, "daemonsets")) != 0 ||
	    (rc = kube_expectations_new(&c->exp, setup.opts->clock,
	                                setup.opts->clock_userdata)) != 0 ||
	    (rc = kube_controller_new(&c->runner, kube__informer_loop(c->pods), &setup.runner,
	                              sync_set, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->sets_h, c->sets, &sh, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->nodes_h, c->nodes, &nh, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->pods_h, c->pods, &ph, c, NULL)) != 0 ||
	    (rc = kube_controller_start(c->runner)) != 0) {
		kube_daemonset_controller_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void kube_daemonset_controller_free(kube_daemonset_controller *c)
{
	if (!c)
		return;
	if (c->pods_h)
		kube_informer_remove_handler(c->pods, c->pods_h);
	if (c->nodes_h)
		kube_informer_remove_handler(c->nodes, c->nodes_h);
	if (c->sets_h)
		kube_informer_remove_handler(c->sets, c->sets_h);
	kube_controller_free(c->runner);
	kube_expectations_free(c->exp);
	kube_free(c);
}

kube_controller *kube_daemonset_controller_runner(kube_daemonset_controller *c)
{
	return c ? c->runner : NULL;
}
