/*
 * replicaset.c - the ReplicaSet and ReplicationController controller, as
 * upstream's pkg/controller/replicaset (which serves both kinds).
 *
 * One sync of an owner ("ns/name"):
 *
 *   1. pods of the namespace (informer cache) -> active ones (not
 *      Succeeded/Failed, not being deleted);
 *   2. claim them (ControllerRefManager): ours and matching -> kept; ours
 *      and no longer matching -> released (our ownerReference removed);
 *      orphans that match -> adopted (ownerReference controller=true,
 *      blockOwnerDeletion=true, after re-reading the owner from the store
 *      to be sure it is not being deleted); other owners' -> ignored;
 *   3. if the expectations are satisfied and the owner is not being
 *      deleted: create (spec.replicas - claimed) pods named
 *      generateName "<owner>-" (the store adds 5 characters of upstream's
 *      alphabet), in slow-start batches 1, 2, 4, ... that stop after a
 *      batch with a failure; or delete the (claimed - replicas) pods that
 *      rank first for deletion (ActivePodsWithRanks: unassigned, pending,
 *      not ready, lower deletion cost, more colocated related pods, ready
 *      more recently on a log2 scale, more restarts, created more
 *      recently on a log2 scale); at most burst_replicas either way; the
 *      expectations record what was asked so the next sync waits for the
 *      informer to see it;
 *   4. status: replicas, fullyLabeledReplicas (template labels),
 *      readyReplicas, availableReplicas (minReadySeconds), observedGeneration,
 *      the ReplicaFailure condition; written only when something changed.
 *
 * Pod events feed the expectations (a pod seen with our controllerRef is
 * a creation observed; a pod gone, or being deleted, a deletion observed)
 * and enqueue the owner; orphans enqueue every owner whose selector
 * matches them, so they get adopted.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers_private.h"
#include "object/object_private.h"

#define POD_DELETION_COST "controller.kubernetes.io/pod-deletion-cost"

struct kube_replicaset_controller {
	kube_store *store;
	kube_informer *pods, *owners;
	kube_informer_handler *pods_h, *owners_h;
	kube_controller *runner;
	kube_expectations *exp;
	const char *kind, *api_version, *resource;
	int rc_kind;                 /* ReplicationController: map selector */
	unsigned int burst;
	kube_clock_cb clock;
	void *clock_userdata;
	/* what a sync read of each pod version (see pod_state) */
	kube__strmap states;
	uint64_t states_gen;
	size_t states_asked;
	/* why the last sync's first failed create or delete failed, kept for
	 * the ReplicaFailure condition: the thread's error is overwritten by
	 * what runs between the failure and the status */
	char manage_msg[256];
};

static void note_manage_error(kube_replicaset_controller *c, int rc)
{
	const kube_error *e = kube_error_last();

	if (!c->manage_msg[0])
		snprintf(c->manage_msg, sizeof(c->manage_msg), "%s",
		         e && e->code == rc ? e->message : kube_strerror(rc));
}

int kube_workload_controller_options_init(kube_workload_controller_options *opts,
                                          unsigned int version)
{
	kube_workload_controller_options def = KUBE_WORKLOAD_CONTROLLER_OPTIONS_INIT;

	KUBE_CHECK_ARG(opts);
	if (version == 0 || version > KUBE_WORKLOAD_CONTROLLER_OPTIONS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_workload_controller_options_init: unknown version %u",
		                       version);
	*opts = def;
	opts->version = version;
	return 0;
}

static int64_t now_ns(const kube_replicaset_controller *c)
{
	return c->clock(c->clock_userdata);
}

/* The owner's pod selector. */
static int owner_selector(const kube_replicaset_controller *c, const kube_object *rs,
                          kube_selector **out)
{
	if (c->rc_kind) {
		int found;
		int rc = kube__selector_from_map(out, rs, "spec.selector", &found);
		if (rc != 0 || found)
			return rc;
		/* the API server defaults an RC's selector to its template's labels */
		kube_selector_free(*out);
		return kube__selector_from_map(out, rs, "spec.template.metadata.labels", NULL);
	}
	return kube_selector_from_object(out, rs, "spec.selector");
}

/* The owner a pod's controllerRef points at, if it is one of ours
 * (resolveControllerRef: same kind, same uid). */
static kube_object *resolve_ref(const kube_replicaset_controller *c, const kube_object *pod,
                                const kube_owner_ref *ref)
{
	return kube__resolve_controller_ref(c->owners, kube_object_namespace(pod), ref, c->kind);
}

static void enqueue(kube_replicaset_controller *c, const kube_object *rs)
{
	kube_controller_enqueue_object(c->runner, rs);
}

static int selector_of(kube_selector **out, const kube_object *rs, void *ud)
{
	return owner_selector(ud, rs, out);
}

/* Enqueues every owner in the pod's namespace whose selector matches it. */
static void enqueue_matching(kube_replicaset_controller *c, const kube_object *pod)
{
	kube__enqueue_selecting(c->runner, c->owners, pod, selector_of, c);
}

static void pod_key(char *buf, size_t n, const kube_object *pod)
{
	snprintf(buf, n, "%s/%s", kube_object_namespace(pod), kube_object_name(pod));
}

/*
 * A sync looks at every pod of the namespace, and the next sync at the
 * same pods again, most of them the same versions: what it read of each
 * version (active, ready and since when) is kept by resourceVersion,
 * which names one version of one object in the store (one revision per
 * write).  Each state records the sync that last asked for it; when the
 * table holds more than twice what the last sync asked for, the states no
 * sync asked for since the one before are dropped, so it never holds
 * much more than the namespace's pods, and is not rebuilt every sync.
 */
typedef struct pod_state {
	char rv[KUBE__RV_ROOM];
	int active, ready;
	int64_t since;
	uint64_t gen;                /* the last sync that asked */
} pod_state;

static void states_clear(kube__strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			kube_free(m->slots[i].val);
	kube__strmap_fini(m);
}

/* A new sync; drops stale states when they are most of the table. */
static void states_turn(kube_replicaset_controller *c)
{
	kube__strmap keep = KUBE__STRMAP_INIT;

	c->states_gen++;
	if (c->states.count <= 2 * c->states_asked + 1024) {
		c->states_asked = 0;
		return;
	}
	for (size_t i = 0; i < c->states.cap; i++) {
		pod_state *st = c->states.slots[i].val;
		if (!c->states.slots[i].key)
			continue;
		if (st->gen + 1 < c->states_gen || kube__strmap_put(&keep, st->rv, st, NULL) != 0)
			kube_free(st);
	}
	kube_error_clear();
	kube__strmap_fini(&c->states);
	c->states = keep;
	c->states_asked = 0;
}

/* The state of this pod version (read once per version). */
static pod_state pod_state_of(kube_replicaset_controller *c, const kube_object *pod)
{
	const char *rv = kube_object_resource_version(pod);
	pod_state *st = NULL, tmp;
	size_t rvlen = rv ? strlen(rv) : 0;

	if (rvlen && rvlen < sizeof(st->rv) && (st = kube__strmap_get(&c->states, rv)) != NULL) {
		if (st->gen != c->states_gen) {
			st->gen = c->states_gen;
			c->states_asked++;
		}
		return *st;
	}
	tmp.active = kube__pod_active(pod);
	tmp.ready = kube__pod_ready(pod, &tmp.since);
	tmp.gen = c->states_gen;
	if (!rvlen || rvlen >= sizeof(tmp.rv) || !(st = kube_malloc(sizeof(*st))))
		return tmp;
	*st = tmp;
	memcpy(st->rv, rv, rvlen + 1);
	if (kube__strmap_put(&c->states, st->rv, st, NULL) != 0) {
		kube_free(st);
		kube_error_clear();
	} else {
		c->states_asked++;
	}
	return tmp;
}

/* podutil.IsPodAvailable from a state. */
static int state_available(const pod_state *st, int64_t min_ready_seconds, int64_t now_ns)
{
	if (!st->ready)
		return 0;
	if (min_ready_seconds == 0)
		return 1;
	return st->since != 0 && st->since + min_ready_seconds * KUBE__NS_PER_SEC < now_ns;
}

static void on_pod_delete(kube_informer *inf, kube_object *pod, int unknown, void *ud)
{
	kube_replicaset_controller *c = ud;
	kube_owner_ref ref;
	kube_object *rs;
	char rskey[512], pkey[512];

	KUBE_UNUSED(inf);
	KUBE_UNUSED(unknown);
	if (kube_object_controller_ref(pod, &ref) != 0 || !(rs = resolve_ref(c, pod, &ref)))
		return;
	pod_key(rskey, sizeof(rskey), rs);
	pod_key(pkey, sizeof(pkey), pod);
	kube_expectations_deletion_observed(c->exp, rskey, pkey);
	kube_controller_enqueue(c->runner, rskey);
}

static void on_pod_add(kube_informer *inf, kube_object *pod, int initial, void *ud)
{
	kube_replicaset_controller *c = ud;
	kube_owner_ref ref;
	kube_object *rs;
	char rskey[512];

	KUBE_UNUSED(initial);
	if (kube_object_deletion_timestamp(pod)) {
		/* a new pod already being deleted: count it as deleted at once */
		on_pod_delete(inf, pod, 0, ud);
		return;
	}
	if (kube_object_controller_ref(pod, &ref) == 0) {
		if (!(rs = resolve_ref(c, pod, &ref)))
			return;
		pod_key(rskey, sizeof(rskey), rs);
		kube_expectations_creation_observed(c->exp, rskey);
		kube_controller_enqueue(c->runner, rskey);
		return;
	}
	enqueue_matching(c, pod);
}

static int same_ref(int has_a, const kube_owner_ref *a, int has_b, const kube_owner_ref *b)
{
	if (has_a != has_b)
		return 0;
	return !has_a || (a->uid && b->uid && strcmp(a->uid, b->uid) == 0);
}

static void on_pod_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	kube_replicaset_controller *c = ud;
	kube_owner_ref oref, cref;
	int has_o, has_c, label_changed;
	kube_object *rs;

	if (old == cur || (kube_object_resource_version(old) && kube_object_resource_version(cur) &&
	                   strcmp(kube_object_resource_version(old),
	                          kube_object_resource_version(cur)) == 0))
		return;   /* a resync: nothing changed */
	label_changed = !kube_labels_equal(kube_object_labels(old), kube_object_labels(cur));
	if (kube_object_deletion_timestamp(cur)) {
		on_pod_delete(inf, cur, 0, ud);
		if (label_changed)
			on_pod_delete(inf, old, 0, ud);
		return;
	}
	has_o = kube_object_controller_ref(old, &oref) == 0;
	has_c = kube_object_controller_ref(cur, &cref) == 0;
	int ref_changed = !same_ref(has_o, &oref, has_c, &cref);
	if (ref_changed && has_o && (rs = resolve_ref(c, old, &oref)))
		enqueue(c, rs);
	if (has_c) {
		if ((rs = resolve_ref(c, cur, &cref)) != NULL) {
			int64_t min_ready = kube__get_int_or(rs, "spec.minReadySeconds", 0);
			enqueue(c, rs);
			/* it will become available minReadySeconds from now */
			if (min_ready > 0 && !kube__pod_ready(old, NULL) && kube__pod_ready(cur, NULL)) {
				char key[512];
				pod_key(key, sizeof(key), rs);
				kube_controller_enqueue_after(c->runner, key,
				                              (min_ready + 1) * KUBE__NS_PER_SEC);
			}
		}
		return;
	}
	if (label_changed || ref_changed)
		enqueue_matching(c, cur);
}

static void on_owner_add(kube_informer *inf, kube_object *rs, int initial, void *ud)
{
	KUBE_UNUSED(inf);
	KUBE_UNUSED(initial);
	enqueue(ud, rs);
}

static void on_owner_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	KUBE_UNUSED(inf);
	KUBE_UNUSED(old);
	enqueue(ud, cur);
}

static void on_owner_delete(kube_informer *inf, kube_object *rs, int unknown, void *ud)
{
	kube_replicaset_controller *c = ud;
	char key[512];

	KUBE_UNUSED(inf);
	KUBE_UNUSED(unknown);
	pod_key(key, sizeof(key), rs);
	kube_expectations_delete(c->exp, key);
	kube_controller_enqueue(c->runner, key);
}

/* ---- deletion ranking (ActivePodsWithRanks) ---- */

typedef struct ranked {
	kube_object *pod;
	int rank;
	int assigned, phase, ready;
	int64_t ready_since, created, cost;
	int restarts;
	const char *uid;
} ranked;

static int phase_ordinal(const char *phase)
{
	if (strcmp(phase, "Unknown") == 0)
		return 1;
	if (strcmp(phase, "Running") == 0)
		return 2;
	return 0;   /* Pending, and anything else as Go's map default */
}

/* logarithmicRankDiff: compare floor(log2(now - t)) of both (ns). */
static int64_t log_rank_diff(int64_t t1, int64_t t2, int64_t now)
{
	int64_t d1 = now - t1, d2 = now - t2, r1 = -1, r2 = -1;

	if (d1 > 0)
		r1 = (int64_t)log2((double)d1);
	if (d2 > 0)
		r2 = (int64_t)log2((double)d2);
	return r1 - r2;
}

/* afterOrZero: t1 zero, or t1 after t2 */
static int after_or_zero(int64_t t1, int64_t t2)
{
	if (t1 == 0 || t2 == 0)
		return t1 == 0;
	return t1 > t2;
}

static int time_less(const ranked *a, const ranked *b, int64_t ta, int64_t tb, int64_t now)
{
	int64_t d;

	if (now == 0 || ta == 0 || tb == 0)
		return after_or_zero(ta, tb);
	d = log_rank_diff(ta, tb, now);
	if (d == 0)
		return strcmp(a->uid, b->uid) < 0;
	return d < 0;
}

static int rank_less(const ranked *a, const ranked *b, int64_t now)
{
	if (a->assigned != b->assigned)
		return !a->assigned;
	if (a->phase != b->phase)
		return a->phase < b->phase;
	if (a->ready != b->ready)
		return !a->ready;
	if (a->cost != b->cost)
		return a->cost < b->cost;
	if (a->rank != b->rank)
		return a->rank > b->rank;
	if (a->ready && b->ready && a->ready_since != b->ready_since)
		return time_less(a, b, a->ready_since, b->ready_since, now);
	if (a->restarts != b->restarts)
		return a->restarts > b->restarts;
	if (a->created != b->created)
		return time_less(a, b, a->created, b->created, now);
	return 0;
}

static int rank_cmp(const void *x, const void *y, void *ctx)
{
	const ranked *a = x, *b = y;
	int64_t now = *(const int64_t *)ctx;

	if (rank_less(a, b, now))
		return -1;
	if (rank_less(b, a, now))
		return 1;
	return 0;
}

static int max_restarts(const kube_object *pod)
{
	size_t n = 0;
	int m = 0;
	char path[80];

	if (kube_object_get_len(pod, "status.containerStatuses", &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int64_t r;
		snprintf(path, sizeof(path), "status.containerStatuses[%zu].restartCount", i);
		if (kube_object_get_int(pod, path, &r) == 0 && r > m)
			m = (int)r;
	}
	return m;
}

static int64_t deletion_cost(const kube_object *pod)
{
	const char *v = kube_object_annotation(pod, POD_DELETION_COST);
	char *end;
	long long x;

	if (!v || !*v)
		return 0;
	x = strtoll(v, &end, 10);
	if (*end || x < INT32_MIN || x > INT32_MAX)
		return 0;   /* upstream ignores a cost it cannot parse */
	return x;
}

static const char *node_name(const kube_object *pod)
{
	const char *v = kube__object_node_name(pod);   /* no tree for a stored pod */
	return v ? v : "";
}

/* Pods owned (as controller) by any ReplicaSet with the same controller as
 * rs (getIndirectlyRelatedPods), or by rs alone: how many active ones sit
 * on each node is each candidate's rank. */
static void count_related(kube_replicaset_controller *c, const kube_object *rs,
                          kube__strmap *on_node, int **counts, size_t *ncounts)
{
	kube_owner_ref top;
	kube_object_list *owners = NULL;

	if (!c->rc_kind && kube_object_controller_ref(rs, &top) == 0 && top.uid) {
		if (kube_informer_by_index(&owners, c->owners, KUBE_INFORMER_INDEX_OWNER, top.uid) != 0)
			owners = NULL;
	}
	size_t nown = owners ? kube_object_list_count(owners) : 1;
	for (size_t i = 0; i < nown; i++) {
		const kube_object *o = owners ? kube_object_list_get(owners, i) : rs;
		kube_object_list *pods = NULL;
		if (kube_informer_by_index(&pods, c->pods, KUBE_INFORMER_INDEX_OWNER,
		                           kube_object_uid(o)) != 0)
			continue;
		for (size_t j = 0; j < kube_object_list_count(pods); j++) {
			kube_object *p = kube_object_list_get(pods, j);
			kube_owner_ref pr;
			if (!kube__pod_active(p) || kube_object_controller_ref(p, &pr) != 0 || !pr.uid ||
			    strcmp(pr.uid, kube_object_uid(o)) != 0)
				continue;
			const char *nn = node_name(p);
			int *cnt = kube__strmap_get(on_node, nn);
			if (!cnt) {
				int *v = kube_realloc(*counts, (*ncounts + 1) * sizeof(int));
				if (!v)
					continue;
				/* counts move on realloc: the map stores indexes, not pointers */
				*counts = v;
				v[*ncounts] = 0;
				kube__strmap_put(on_node, nn, (void *)(uintptr_t)(*ncounts + 1), NULL);
				cnt = &v[(*ncounts)++];
			} else {
				cnt = &(*counts)[(uintptr_t)cnt - 1];
			}
			(*cnt)++;
		}
		kube_object_list_free(pods);
	}
	kube_object_list_free(owners);
}

/* The `diff` claimed pods to delete first, as a new array of borrowed pods. */
static kube_object **pods_to_delete(kube_replicaset_controller *c, const kube_object *rs,
                                    kube_object_list *claimed, size_t diff)
{
	size_t n = kube_object_list_count(claimed);
	ranked *r = kube_calloc(n ? n : 1, sizeof(*r));
	kube_object **out = kube_calloc(diff ? diff : 1, sizeof(*out));
	kube__strmap on_node = KUBE__STRMAP_INIT;
	int *counts = NULL;
	size_t ncounts = 0;

	if (!r || !out) {
		kube_free(r);
		kube_free(out);
		return NULL;
	}
	if (diff < n)
		count_related(c, rs, &on_node, &counts, &ncounts);
	for (size_t i = 0; i < n; i++) {
		kube_object *p = kube_object_list_get(claimed, i);
		void *idx = kube__strmap_get(&on_node, node_name(p));
		r[i].pod = p;
		r[i].rank = idx ? counts[(uintptr_t)idx - 1] : 0;
		r[i].assigned = *node_name(p) != 0;
		r[i].phase = phase_ordinal(kube__pod_phase(p));
		r[i].ready = kube__pod_ready(p, &r[i].ready_since);
		r[i].created = kube__rfc3339_ns(kube_object_creation_timestamp(p));
		r[i].cost = deletion_cost(p);
		r[i].restarts = max_restarts(p);
		r[i].uid = kube_object_uid(p) ? kube_object_uid(p) : "";
	}
	if (diff < n) {
		int64_t now = now_ns(c);
		qsort_r(r, n, sizeof(*r), rank_cmp, &now);
	}
	for (size_t i = 0; i < diff && i < n; i++)
		out[i] = r[i].pod;
	kube__strmap_fini(&on_node);
	kube_free(counts);
	kube_free(r);
	return out;
}

/* ---- creating and deleting ---- */

/* The pod every creation starts from, as JSON (GetPodFromTemplate). */
static char *pod_template_json(const kube_replicaset_controller *c, const kube_object *rs)
{
	kube__buf b = KUBE__BUF_INIT;
	char *spec = NULL, *labels = NULL, *annotations = NULL, *finalizers = NULL;
	const char *name = kube_object_name(rs);

	kube_object_get_json(rs, "spec.template.spec", &spec);
	kube_object_get_json(rs, "spec.template.metadata.labels", &labels);
	kube_object_get_json(rs, "spec.template.metadata.annotations", &annotations);
	kube_object_get_json(rs, "spec.template.metadata.finalizers", &finalizers);
	kube__buf_puts(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":");
	kube__go_json_string(&b, kube_object_namespace(rs), strlen(kube_object_namespace(rs)));
	kube__buf_puts(&b, ",\"generateName\":");
	kube__buf_putc(&b, '"');
	kube__buf_puts(&b, name);
	kube__buf_puts(&b, "-\"");
	if (labels)
		kube__buf_printf(&b, ",\"labels\":%s", labels);
	if (annotations)
		kube__buf_printf(&b, ",\"annotations\":%s", annotations);
	if (finalizers)
		kube__buf_printf(&b, ",\"finalizers\":%s", finalizers);
	kube__buf_printf(&b,
	                 ",\"ownerReferences\":[{\"apiVersion\":\"%s\",\"kind\":\"%s\",\"name\":\"%s\","
	                 "\"uid\":\"%s\",\"controller\":true,\"blockOwnerDeletion\":true}]},"
	                 "\"spec\":%s}",
	                 c->api_version, c->kind, name, kube_object_uid(rs), spec ? spec : "{}");
	kube_free(spec);
	kube_free(labels);
	kube_free(annotations);
	kube_free(finalizers);
	if (b.failed) {
		kube__buf_free(&b);
		return NULL;
	}
	return kube__buf_detach(&b, NULL);
}

/* The template parsed once per sync and frozen: each pod is a private copy
 * of its tree (a deep copy costs less than parsing the JSON again). */
static int create_pod(kube_replicaset_controller *c, const kube_object *tmpl)
{
	int rc = KUBE_ERROR;

	/* a generated name that is taken is tried again with another suffix,
	 * as the API server does */
	for (int attempt = 0; attempt < 4; attempt++) {
		kube_object *pod = NULL;
		if ((rc = kube_object_mutable(&pod, tmpl)) != 0)
			return rc;
		rc = kube_store_create_take(NULL, c->store, pod);
		if (rc != KUBE_EEXISTS)
			break;
	}
	return rc;
}

typedef struct create_ctx {
	kube_replicaset_controller *c;
	const kube_object *tmpl;
	const char *key;
} create_ctx;

static int create_one(void *ud)
{
	create_ctx *cc = ud;
	int rc = create_pod(cc->c, cc->tmpl);

	/* a pod that was not made will never be observed */
	if (rc != 0) {
		note_manage_error(cc->c, rc);
		kube_expectations_creation_observed(cc->c->exp, cc->key);
	}
	return rc;
}

static int manage_replicas(kube_replicaset_controller *c, const kube_object *rs, const char *key,
                           kube_object_list *claimed)
{
	int64_t replicas = kube__get_int_or(rs, "spec.replicas", 1);
	int64_t diff = (int64_t)kube_object_list_count(claimed) - replicas;
	int err = 0;

	c->manage_msg[0] = '\0';

	if (diff < 0) {
		int64_t want = -diff, done = 0, successes;
		create_ctx cc;
		char *json;
		kube_object *tmpl = NULL;
		int rc;
		if (want > c->burst)
			want = c->burst;
		if (!(json = pod_template_json(c, rs)))
			return kube__error_oom();
		rc = kube_object_from_json(&tmpl, json, strlen(json));
		kube_free(json);
		if (rc != 0)
			return rc;
		kube_object_freeze(tmpl);
		kube_expectations_expect_creations(c->exp, key, want);
		cc.c = c;
		cc.tmpl = tmpl;
		cc.key = key;
		successes = kube__slow_start_batch(want, 1, create_one, &cc, &err, &done);
		kube_object_unref(tmpl);
		/* the pods never attempted will not be observed either */
		for (int64_t i = done; i < want; i++)
			kube_expectations_creation_observed(c->exp, key);
		if (err)
			KUBE_LOG(KUBE_LOG_WARN, "replicaset", "%s: created %lld of %lld pods: %s", key,
			         (long long)successes, (long long)want, kube_strerror(err));
		return err;
	}
	if (diff > 0) {
		kube_object **victims;
		const char **keys;
		char (*kbuf)[512];
		if (diff > c->burst)
			diff = c->burst;
		if (!(victims = pods_to_delete(c, rs, claimed, (size_t)diff)))
			return kube__error_oom();
		keys = kube_calloc((size_t)diff, sizeof(*keys));
		kbuf = kube_calloc((size_t)diff, sizeof(*kbuf));
		if (!keys || !kbuf) {
			kube_free(victims);
			kube_free(keys);
			kube_free(kbuf);
			return kube__error_oom();
		}
		for (int64_t i = 0; i < diff; i++) {
			pod_key(kbuf[i], sizeof(kbuf[i]), victims[i]);
			keys[i] = kbuf[i];
		}
		kube_expectations_expect_deletions(c->exp, key, keys, (size_t)diff);
		for (int64_t i = 0; i < diff; i++) {
			kube_delete_options o = KUBE_DELETE_OPTIONS_INIT;
			kube_object *p = victims[i];
			int rc;
			o.uid = kube_object_uid(p);
			rc = kube_store_delete(NULL, c->store, "pods", kube_object_namespace(p),
			                       kube_object_name(p), &o);
			if (rc != 0) {
				if (rc != KUBE_ENOTFOUND && !err) {
					note_manage_error(c, rc);
					err = rc;
				}
				kube_expectations_deletion_observed(c->exp, key, keys[i]);
			}
		}
		kube_free(victims);
		kube_free(keys);
		kube_free(kbuf);
	}
	return err;
}

/* ---- status ---- */

typedef struct rs_status {
	int64_t replicas, fully_labeled, ready, available, observed_generation;
	int failure;                 /* 1 set the condition, -1 remove it, 0 leave */
	const char *reason;
	char message[256];
	char now[32];
} rs_status;

static int64_t status_int(const kube_object *o, const char *field)
{
	char path[64];
	snprintf(path, sizeof(path), "status.%s", field);
	return kube__get_int_or(o, path, 0);
}

static int find_condition(const kube_object *o, const char *type, size_t *idx)
{
	size_t n = 0;
	char path[64];
	const char *v;

	if (kube_object_get_len(o, "status.conditions", &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "status.conditions[%zu].type", i);
		if (kube_object_get_string(o, path, &v) == 0 && v && strcmp(v, type) == 0) {
			*idx = i;
			return 1;
		}
	}
	return 0;
}

static int set_status_int(kube_object *o, const char *field, int64_t v, int omitempty)
{
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "status.%s", field);
	if (v == 0 && omitempty) {
		rc = kube_object_remove(o, path);
		return rc == KUBE_ENOTFOUND ? 0 : rc;
	}
	return kube_object_set_int(o, path, v);
}

static int status_mutate(kube_object *rs, void *ud)
{
	rs_status *s = ud;
	size_t idx;
	int rc;

	if ((rc = set_status_int(rs, "replicas", s->replicas, 0)) ||
	    (rc = set_status_int(rs, "fullyLabeledReplicas", s->fully_labeled, 1)) ||
	    (rc = set_status_int(rs, "readyReplicas", s->ready, 1)) ||
	    (rc = set_status_int(rs, "availableReplicas", s->available, 1)) ||
	    (rc = set_status_int(rs, "observedGeneration", kube_object_generation(rs), 1)))
		return rc;
	if (s->failure > 0 && !find_condition(rs, "ReplicaFailure", &idx)) {
		kube__buf b = KUBE__BUF_INIT;
		size_t n = 0;
		char path[64];
		kube__buf_printf(&b, "{\"type\":\"ReplicaFailure\",\"status\":\"True\","
		                     "\"lastTransitionTime\":\"%s\",\"reason\":\"%s\",\"message\":",
		                 s->now, s->reason);
		kube__go_json_string(&b, s->message, strlen(s->message));
		kube__buf_putc(&b, '}');
		if (b.failed) {
			kube__buf_free(&b);
			return kube__error_oom();
		}
		if (kube_object_get_len(rs, "status.conditions", &n) != 0) {
			rc = kube_object_set_json(rs, "status.conditions", "[]");
			n = 0;
		}
		snprintf(path, sizeof(path), "status.conditions[%zu]", n);
		if (rc == 0)
			rc = kube_object_set_json(rs, path, b.data);
		kube__buf_free(&b);
		return rc;
	}
	if (s->failure < 0 && find_condition(rs, "ReplicaFailure", &idx)) {
		char path[64];
		snprintf(path, sizeof(path), "status.conditions[%zu]", idx);
		return kube_object_remove(rs, path);
	}
	return 0;
}

static int update_status(kube_replicaset_controller *c, kube_object *rs,
                         kube_object_list *claimed, int manage_err)
{
	rs_status s;
	kube_selector *tmpl = NULL;
	int64_t now = now_ns(c), min_ready = kube__get_int_or(rs, "spec.minReadySeconds", 0);
	size_t idx;
	int has_failure = find_condition(rs, "ReplicaFailure", &idx), rc;

	memset(&s, 0, sizeof(s));
	if ((rc = kube__selector_from_map(&tmpl, rs, "spec.template.metadata.labels", NULL)) != 0)
		return rc;
	s.replicas = (int64_t)kube_object_list_count(claimed);
	for (size_t i = 0; i < kube_object_list_count(claimed); i++) {
		kube_object *p = kube_object_list_get(claimed, i);
		if (kube_selector_matches(tmpl, kube_object_labels(p)))
			s.fully_labeled++;
		pod_state ps = pod_state_of(c, p);
		if (ps.ready) {
			s.ready++;
			if (state_available(&ps, min_ready, now))
				s.available++;
		}
	}
	kube_selector_free(tmpl);
	if (manage_err && !has_failure) {
		int64_t diff = s.replicas - kube__get_int_or(rs, "spec.replicas", 1);
		s.failure = 1;
		s.reason = diff < 0 ? "FailedCreate" : diff > 0 ? "FailedDelete" : "";
		snprintf(s.message, sizeof(s.message), "%s",
		         c->manage_msg[0] ? c->manage_msg : kube_strerror(manage_err));
		kube__format_rfc3339(now, s.now);
	} else if (!manage_err && has_failure) {
		s.failure = -1;
	}
	if (s.failure == 0 && status_int(rs, "replicas") == s.replicas &&
	    status_int(rs, "fullyLabeledReplicas") == s.fully_labeled &&
	    status_int(rs, "readyReplicas") == s.ready &&
	    status_int(rs, "availableReplicas") == s.available &&
	    status_int(rs, "observedGeneration") == kube_object_generation(rs))
		return 0;
	return kube_store_guaranteed_update(NULL, c->store, c->resource, kube_object_namespace(rs),
	                                    kube_object_name(rs), status_mutate, &s);
}

/* ---- sync ---- */

static int sync_owner(kube_controller *runner, const char *key, int64_t *after, void *ud)
{
	kube_replicaset_controller *c = ud;
	kube_object *rs;
	kube_selector *sel = NULL;
	kube_object_list *all = NULL, *active = NULL, *claimed = NULL;
	char *ns = NULL, *name = NULL;
	int rc, manage_err = 0, needs_sync;
	const kube__claimer claimer = { c->store, c->resource, c->api_version, c->kind,
	                                KUBE__CLAIM_SAME_UID };

	KUBE_UNUSED(runner);
	if ((rc = kube_cache_key_split(&ns, &name, key)) != 0)
		return 0;   /* a malformed key never becomes valid: drop it */
	rs = kube_informer_get(c->owners, ns, name);
	if (!rs) {
		kube_expectations_delete(c->exp, key);
		rc = 0;
		goto out;
	}
	rs = kube_object_ref(rs);   /* writes below may drop the cached one */
	if (owner_selector(c, rs, &sel) != 0) {
		KUBE_LOG(KUBE_LOG_WARN, "replicaset", "%s: bad selector: %s", key,
		         kube_error_last() ? kube_error_last()->message : "");
		rc = 0;
		goto out;
	}
	needs_sync = kube_expectations_satisfied(c->exp, key);
	if ((rc = kube_informer_list(&all, c->pods, ns, NULL)) != 0 ||
	    (rc = kube_object_list_new(&active)) != 0)
		goto out;
	states_turn(c);
	for (size_t i = 0; i < kube_object_list_count(all); i++)
		if (pod_state_of(c, kube_object_list_get(all, i)).active)
			kube_object_list_append(active, kube_object_list_get(all, i));
	if ((rc = kube_object_list_new(&claimed)) != 0 ||
	    (rc = kube__claim_pods(claimed, &claimer, rs, sel, active)) != 0)
		goto out;
	if (needs_sync && !kube_object_deletion_timestamp(rs))
		manage_err = manage_replicas(c, rs, key, claimed);
	rc = update_status(c, rs, claimed, manage_err);
	if (rc == 0 && manage_err)
		rc = manage_err;
	if (rc == 0) {
		int64_t min_ready = kube__get_int_or(rs, "spec.minReadySeconds", 0);
		int64_t replicas = kube__get_int_or(rs, "spec.replicas", 1);
		/* pods ready but not yet available: look again when they will be */
		if (min_ready > 0) {
			int64_t ready = 0, available = 0, now = now_ns(c);
			for (size_t i = 0; i < kube_object_list_count(claimed); i++) {
				pod_state ps = pod_state_of(c, kube_object_list_get(claimed, i));
				ready += ps.ready;
				available += state_available(&ps, min_ready, now);
			}
			if (ready == replicas && available != replicas)
				*after = min_ready * KUBE__NS_PER_SEC;
		}
	}
out:
	kube_object_list_free(all);
	kube_object_list_free(active);
	kube_object_list_free(claimed);
	kube_selector_free(sel);
	kube_object_unref(rs);
	kube_free(ns);
	kube_free(name);
	return rc;
}

/* ---- life cycle ---- */

int kube_replicaset_controller_new(kube_replicaset_controller **out, kube_informer_factory *f,
                                   kube_store *store, const char *kind,
                                   const kube_workload_controller_options *opts)
{
	kube__workload_setup setup;
	kube_replicaset_controller *c;
	kube_informer_handlers ph = { KUBE_INFORMER_HANDLERS_VERSION, on_pod_add, on_pod_update,
	                              on_pod_delete };
	kube_informer_handlers oh = { KUBE_INFORMER_HANDLERS_VERSION, on_owner_add, on_owner_update,
	                              on_owner_delete };
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(f);
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(kind);
	if ((rc = kube__workload_setup_init(&setup, opts, "kube_replicaset_controller_new",
	                                    "replicaset", 1)) != 0)
		return rc;
	if (!(c = kube_calloc(1, sizeof(*c))))
		return kube__error_oom();
	if (strcmp(kind, "ReplicaSet") == 0) {
		c->kind = "ReplicaSet";
		c->api_version = "apps/v1";
		c->resource = "replicasets";
	} else if (strcmp(kind, "ReplicationController") == 0) {
		c->kind = "ReplicationController";
		c->api_version = "v1";
		c->resource = "replicationcontrollers";
		c->rc_kind = 1;
	} else {
		kube_free(c);
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_replicaset_controller_new: kind \"%s\" is neither "
		                       "ReplicaSet nor ReplicationController", kind);
	}
	c->store = store;
	c->burst = setup.opts->burst_replicas;
	c->clock = setup.clock;
	c->clock_userdata = setup.clock_userdata;
	if (c->rc_kind)
		setup.runner.name = "replicationcontroller";
	if ((rc = kube_informer_factory_get(&c->pods, f, "pods")) != 0 ||
	    (rc = kube_informer_factory_get(&c->owners, f, c->resource)) != 0 ||
	    (rc = kube_expectations_new(&c->exp, setup.opts->clock,
	                                setup.opts->clock_userdata)) != 0 ||
	    (rc = kube_controller_new(&c->runner, kube__informer_loop(c->pods), &setup.runner,
	                              sync_owner, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->owners_h, c->owners, &oh, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->pods_h, c->pods, &ph, c, NULL)) != 0 ||
	    (rc = kube_controller_start(c->runner)) != 0) {
		kube_replicaset_controller_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void kube_replicaset_controller_free(kube_replicaset_controller *c)
{
	if (!c)
		return;
	if (c->pods_h)
		kube_informer_remove_handler(c->pods, c->pods_h);
	if (c->owners_h)
		kube_informer_remove_handler(c->owners, c->owners_h);
	kube_controller_free(c->runner);
	kube_expectations_free(c->exp);
	states_clear(&c->states);
	kube_free(c);
}

kube_controller *kube_replicaset_controller_runner(kube_replicaset_controller *c)
{
	return c ? c->runner : NULL;
}
