/*
 * statefulset.c - the StatefulSet controller, as upstream's
 * pkg/controller/statefulset: pods with stable names and storage.
 *
 * A StatefulSet of N replicas owns pods <name>-<ordinal> for ordinals
 * start .. start+N-1 (spec.ordinals.start, 0 by default), each labelled
 * statefulset.kubernetes.io/pod-name, apps.kubernetes.io/pod-index and
 * controller-revision-hash (the ControllerRevision's name, as upstream),
 * with hostname = its name and subdomain = spec.serviceName, and for each
 * volumeClaimTemplate a PersistentVolumeClaim <template>-<name>-<ordinal>
 * (labels: the template's and the selector's matchLabels) made before the
 * pod and mounted as the volume named after the template.  Claims are
 * never deleted (persistentVolumeClaimRetentionPolicy Retain/Retain, the
 * default): a pod that comes back finds its data.
 *
 * One sync, upstream's updateStatefulSet:
 *
 *   1. revisions: the update revision is the template now, written as a
 *      ControllerRevision <name>-<hash> if missing; the current revision
 *      is status.currentRevision (the update revision at first);
 *   2. pods sorted into slots (wanted ordinals) and condemned (the rest,
 *      highest ordinal first);
 *   3. each slot in ascending order: a Failed or Succeeded pod is deleted
 *      (made again on a later sync); a missing one is created (claims
 *      first), from the current revision when RollingUpdate's partition
 *      says its ordinal keeps it, else from the update revision.  With
 *      OrderedReady (the default) the sync stops after a creation, at a
 *      terminating pod, or at a pod that is not Running and Ready (and
 *      available after minReadySeconds): pod N+1 is made only once N is
 *      Ready.  Parallel goes on;
 *   4. condemned pods are deleted from the highest ordinal down; with
 *      OrderedReady one at a time, each only when every pod before it is
 *      healthy (or it is the first unhealthy one);
 *   5. RollingUpdate: from the highest slot down to the partition, the
 *      first pod not at the update revision is deleted (step 3 makes it
 *      again at the new one); the walk stops at an unhealthy pod, so one
 *      pod is down at a time.  OnDelete: pods change only when deleted;
 *   6. status: replicas, readyReplicas, availableReplicas, currentReplicas,
 *      updatedReplicas, currentRevision, updateRevision,
 *      observedGeneration; a finished rolling update makes the update
 *      revision current (completeRollingUpdate).
 *
 * No expectations, as upstream: a creation the cache has not seen yet
 * fails with KUBE_EEXISTS and counts as made; deletions carry the pod's
 * uid as a precondition, so a stale cache never deletes a newer pod.
 *
 * Simplified, on purpose: a ControllerRevision's data is
 * {"spec":{"template":...}} (upstream stores a strategic merge patch),
 * and its hash is FNV-32a over the template's JSON in upstream's
 * alphabet.  Revisions no pod and no status uses are pruned, oldest
 * first, to revisionHistoryLimit (10), as truncateHistory.  No
 * maxUnavailable for rolling updates (upstream's alpha gate), no
 * PVC retention policy Delete.
 *
 * Orphans that match the selector are adopted (after re-reading the set
 * from the store), and pods of ours that stop matching released, as the
 * ReplicaSet controller does; only pods named <set>-<ordinal> take a slot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers_private.h"

#define POD_NAME_LABEL "statefulset.kubernetes.io/pod-name"
#define POD_INDEX_LABEL "apps.kubernetes.io/pod-index"
#define HASH_LABEL "controller-revision-hash"

struct kube_statefulset_controller {
	kube_store *store;
	kube_informer *pods, *sets, *revs;
	kube_informer_handler *pods_h, *sets_h;
	kube_controller *runner;
	kube_clock_cb clock;
	void *clock_userdata;
};

static const char *str_at(const kube_object *o, const char *path)
{
	const char *v;
	return kube_object_get_string(o, path, &v) == 0 ? v : NULL;
}

/* ---- events ---- */

static void enqueue_owner(kube_statefulset_controller *c, const kube_object *pod)
{
	kube_owner_ref ref;
	kube_object *set;

	if (kube_object_controller_ref(pod, &ref) != 0) {
		/* an orphan: every set that selects it may adopt it */
		if (!kube_object_deletion_timestamp(pod))
			kube__enqueue_selecting(c->runner, c->sets, pod, NULL, NULL);
		return;
	}
	set = kube__resolve_controller_ref(c->sets, kube_object_namespace(pod), &ref, "StatefulSet");
	if (!set)
		return;
	kube_controller_enqueue_object(c->runner, set);
	/* ready now, available minReadySeconds later: look again then */
	int64_t min_ready = kube__get_int_or(set, "spec.minReadySeconds", 0);
	if (min_ready > 0 && kube__pod_ready(pod, NULL)) {
		char key[512];
		snprintf(key, sizeof(key), "%s/%s", kube_object_namespace(set), kube_object_name(set));
		kube_controller_enqueue_after(c->runner, key, (min_ready + 1) * KUBE__NS_PER_SEC);
	}
}

static void on_pod_add(kube_informer *inf, kube_object *pod, int initial, void *ud)
{
	KUBE_UNUSED(inf);
	KUBE_UNUSED(initial);
	enqueue_owner(ud, pod);
}

static void on_pod_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	KUBE_UNUSED(inf);
	if (old == cur)
		return;
	enqueue_owner(ud, cur);
}

static void on_pod_delete(kube_informer *inf, kube_object *pod, int unknown, void *ud)
{
	KUBE_UNUSED(inf);
	KUBE_UNUSED(unknown);
	enqueue_owner(ud, pod);
}

static void on_set_add(kube_informer *inf, kube_object *set, int initial, void *ud)
{
	kube_statefulset_controller *c = ud;
	KUBE_UNUSED(inf);
	KUBE_UNUSED(initial);
	kube_controller_enqueue_object(c->runner, set);
}

static void on_set_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	kube_statefulset_controller *c = ud;
	KUBE_UNUSED(inf);
	KUBE_UNUSED(old);
	kube_controller_enqueue_object(c->runner, cur);
}

/* ---- revisions ---- */

static void revision_name(char out[300], const kube_object *set)
{
	static const char alphanums[] = "bcdfghjklmnpqrstvwxz2456789";
	char *json = NULL, dec[16], hash[16];
	uint32_t h = 2166136261u;
	size_t i;

	if (kube_object_get_json(set, "spec.template", &json) == 0 && json)
		for (const unsigned char *p = (const unsigned char *)json; *p; p++)
			h = (h ^ *p) * 16777619u;
	kube_free(json);
	snprintf(dec, sizeof(dec), "%u", h);
	for (i = 0; dec[i]; i++)
		hash[i] = alphanums[(unsigned char)dec[i] % (sizeof(alphanums) - 1)];
	hash[i] = 0;
	snprintf(out, 300, "%s-%s", kube_object_name(set), hash);
}

/* The ControllerRevision for the template now, made if missing, with
 * revision = the set's highest + 1. */
static int ensure_revision(kube_statefulset_controller *c, const kube_object *set,
                           const char *name)
{
	kube_object_list *l = NULL;
	kube_object *rev = NULL;
	kube__buf b = KUBE__BUF_INIT;
	char *tmpl = NULL, *labels = NULL;
	int64_t max = 0;
	int rc;

	if (kube_informer_get(c->revs, kube_object_namespace(set), name))
		return 0;
	if (kube_informer_by_index(&l, c->revs, KUBE_INFORMER_INDEX_OWNER, kube_object_uid(set)) == 0) {
		for (size_t i = 0; i < kube_object_list_count(l); i++) {
			int64_t r = kube__get_int_or(kube_object_list_get(l, i), "revision", 0);
			if (r > max)
				max = r;
		}
		kube_object_list_free(l);
	}
	kube_object_get_json(set, "spec.template", &tmpl);
	kube_object_get_json(set, "spec.template.metadata.labels", &labels);
	kube__buf_printf(&b, "{\"apiVersion\":\"apps/v1\",\"kind\":\"ControllerRevision\","
	                     "\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s\",\"labels\":%s,"
	                     "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\","
	                     "\"name\":\"%s\",\"uid\":\"%s\",\"controller\":true,"
	                     "\"blockOwnerDeletion\":true}]},\"data\":{\"spec\":{\"template\":%s}},"
	                     "\"revision\":%lld}",
	                 kube_object_namespace(set), name, labels ? labels : "{}",
	                 kube_object_name(set), kube_object_uid(set), tmpl ? tmpl : "{}",
	                 (long long)(max + 1));
	kube_free(tmpl);
	kube_free(labels);
	rc = kube__object_from_buf(&rev, &b);
	if (rc == 0)
		rc = kube_object_set_label(rev, HASH_LABEL, name + strlen(kube_object_name(set)) + 1);
	if (rc == 0)
		rc = kube_store_create_take(NULL, c->store, rev);
	else
		kube_object_unref(rev);
	return rc == KUBE_EEXISTS ? 0 : rc;
}

/* ---- pods and claims ---- */

typedef struct slot {
	int64_t ordinal;
	kube_object *pod;            /* borrowed; NULL = missing */
} slot;

typedef struct sync_ctx {
	kube_statefulset_controller *c;
	const kube_object *set;
	const char *key;
	const kube_object *cur_src;  /* the current revision's template holder */
	const char *cur_path;
	char update_rev[300], current_rev[300];
	int64_t start, replicas, partition, min_ready, now;
	int monotonic, rolling;
} sync_ctx;

static int terminating(const kube_object *pod)
{
	return kube_object_deletion_timestamp(pod) != NULL;
}

static int running_ready(const kube_object *pod)
{
	return strcmp(kube__pod_phase(pod), "Running") == 0 && kube__pod_ready(pod, NULL);
}

static int healthy(const sync_ctx *x, const kube_object *pod)
{
	return pod && running_ready(pod) && !terminating(pod) &&
	       kube__pod_available(pod, x->min_ready, x->now);
}

static const char *pod_revision(const kube_object *pod)
{
	const char *v = kube_labels_get(kube_object_labels(pod), HASH_LABEL);
	return v ? v : "";
}

static int create_claims(sync_ctx *x, int64_t ordinal)
{
	size_t n = 0;
	int rc = 0;

	kube_object_get_len(x->set, "spec.volumeClaimTemplates", &n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char path[128], name[600], *spec = NULL, *labels = NULL, *ann = NULL;
		const char *tname;
		kube__buf b = KUBE__BUF_INIT;
		kube_object *pvc = NULL;
		size_t nsel = 0;

		snprintf(path, sizeof(path), "spec.volumeClaimTemplates[%zu].metadata.name", i);
		if (!(tname = str_at(x->set, path)))
			continue;
		snprintf(name, sizeof(name), "%s-%s-%lld", tname, kube_object_name(x->set),
		         (long long)ordinal);
		if (kube_store_get(&pvc, x->c->store, "persistentvolumeclaims",
		                   kube_object_namespace(x->set), name) == 0) {
			kube_object_unref(pvc);
			continue;
		}
		snprintf(path, sizeof(path), "spec.volumeClaimTemplates[%zu].spec", i);
		kube_object_get_json(x->set, path, &spec);
		snprintf(path, sizeof(path), "spec.volumeClaimTemplates[%zu].metadata.labels", i);
		kube_object_get_json(x->set, path, &labels);
		snprintf(path, sizeof(path), "spec.volumeClaimTemplates[%zu].metadata.annotations", i);
		kube_object_get_json(x->set, path, &ann);
		kube__buf_printf(&b, "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\","
		                     "\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s\",\"labels\":%s",
		                 kube_object_namespace(x->set), name, labels ? labels : "{}");
		if (ann)
			kube__buf_printf(&b, ",\"annotations\":%s", ann);
		kube__buf_printf(&b, "},\"spec\":%s}", spec ? spec : "{}");
		kube_free(spec);
		kube_free(labels);
		kube_free(ann);
		if ((rc = kube__object_from_buf(&pvc, &b)) != 0)
			break;
		/* the selector's matchLabels on top of the template's */
		kube_object_get_len(x->set, "spec.selector.matchLabels", &nsel);
		for (size_t j = 0; rc == 0 && j < nsel; j++) {
			const char *k, *v;
			char vp[512];
			if (kube_object_get_key(x->set, "spec.selector.matchLabels", j, &k) != 0)
				continue;
			snprintf(vp, sizeof(vp), "spec.selector.matchLabels[\"%s\"]", k);
			if ((v = str_at(x->set, vp)))
				rc = kube_object_set_label(pvc, k, v);
		}
		if (rc == 0)
			rc = kube_store_create_take(NULL, x->c->store, pvc);
		else
			kube_object_unref(pvc);
		if (rc == KUBE_EEXISTS)
			rc = 0;
	}
	return rc;
}

/* newVersionedStatefulSetPod: the pod for ordinal from the revision its
 * ordinal gets. */
static int create_pod(sync_ctx *x, int64_t ordinal)
{
	int use_current = x->rolling && ordinal < x->start + x->partition && x->cur_src;
	const kube_object *src = use_current ? x->cur_src : x->set;
	const char *base = use_current ? x->cur_path : "spec.template";
	const char *rev = use_current ? x->current_rev : x->update_rev;
	const char *sname = kube_object_name(x->set), *ns = kube_object_namespace(x->set);
	char path[128], name[300], idx[32], *spec = NULL, *labels = NULL, *ann = NULL;
	kube__buf b = KUBE__BUF_INIT;
	kube_object *pod = NULL;
	size_t nclaims = 0, nvols = 0;
	const char *svc = str_at(x->set, "spec.serviceName");
	int rc;

	if ((rc = create_claims(x, ordinal)) != 0)
		return rc;
	snprintf(name, sizeof(name), "%s-%lld", sname, (long long)ordinal);
	snprintf(idx, sizeof(idx), "%lld", (long long)ordinal);
	snprintf(path, sizeof(path), "%s.spec", base);
	kube_object_get_json(src, path, &spec);
	snprintf(path, sizeof(path), "%s.metadata.labels", base);
	kube_object_get_json(src, path, &labels);
	snprintf(path, sizeof(path), "%s.metadata.annotations", base);
	kube_object_get_json(src, path, &ann);
	kube__buf_printf(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"%s\","
	                     "\"name\":\"%s\",\"labels\":%s",
	                 ns, name, labels ? labels : "{}");
	if (ann)
		kube__buf_printf(&b, ",\"annotations\":%s", ann);
	kube__buf_printf(&b,
	                 ",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\","
	                 "\"name\":\"%s\",\"uid\":\"%s\",\"controller\":true,"
	                 "\"blockOwnerDeletion\":true}]},\"spec\":%s}",
	                 sname, kube_object_uid(x->set), spec ? spec : "{}");
	kube_free(spec);
	kube_free(labels);
	kube_free(ann);
	if ((rc = kube__object_from_buf(&pod, &b)) != 0)
		return rc;
	/* identity (initIdentity) and the revision */
	if ((rc = kube_object_set_label(pod, POD_NAME_LABEL, name)) ||
	    (rc = kube_object_set_label(pod, POD_INDEX_LABEL, idx)) ||
	    (rc = kube_object_set_label(pod, HASH_LABEL, rev)) ||
	    (rc = kube_object_set_string(pod, "spec.hostname", name)) ||
	    (svc && *svc && (rc = kube_object_set_string(pod, "spec.subdomain", svc))))
		goto out;
	/* storage (updateStorage): each claim template's volume points at its claim */
	kube_object_get_len(x->set, "spec.volumeClaimTemplates", &nclaims);
	if (nclaims && kube_object_get_len(pod, "spec.volumes", &nvols) != 0) {
		if ((rc = kube_object_set_json(pod, "spec.volumes", "[]")) != 0)
			goto out;
		nvols = 0;
	}
	for (size_t i = 0; i < nclaims; i++) {
		const char *tname;
		char vol[700], vpath[64];
		size_t at = nvols;
		snprintf(path, sizeof(path), "spec.volumeClaimTemplates[%zu].metadata.name", i);
		if (!(tname = str_at(x->set, path)))
			continue;
		for (size_t j = 0; j < nvols; j++) {
			const char *vn;
			snprintf(vpath, sizeof(vpath), "spec.volumes[%zu].name", j);
			if ((vn = str_at(pod, vpath)) && strcmp(vn, tname) == 0)
				at = j;
		}
		snprintf(vol, sizeof(vol),
		         "{\"name\":\"%s\",\"persistentVolumeClaim\":{\"claimName\":\"%s-%s-%lld\"}}", tname,
		         tname, sname, (long long)ordinal);
		snprintf(vpath, sizeof(vpath), "spec.volumes[%zu]", at);
		if ((rc = kube_object_set_json(pod, vpath, vol)) != 0)
			goto out;
		if (at == nvols)
			nvols++;
	}
	rc = kube_store_create_take(NULL, x->c->store, pod);
	pod = NULL;
	if (rc == KUBE_EEXISTS)
		rc = 0;   /* made by a sync whose write the cache has not seen yet */
out:
	kube_object_unref(pod);
	return rc;
}

static int delete_pod(sync_ctx *x, const kube_object *pod)
{
	kube_delete_options o = KUBE_DELETE_OPTIONS_INIT;
	int rc;

	o.uid = kube_object_uid(pod);
	rc = kube_store_delete(NULL, x->c->store, "pods", kube_object_namespace(pod),
	                       kube_object_name(pod), &o);
	return rc == KUBE_ENOTFOUND || rc == KUBE_ECONFLICT ? 0 : rc;
}

/* The ordinal of "<set>-<n>", or -1 (getParentNameAndOrdinal). */
static int64_t ordinal_of(const kube_object *set, const kube_object *pod)
{
	const char *sn = kube_object_name(set), *pn = kube_object_name(pod), *p;
	size_t l = strlen(sn);
	char *end;
	long long v;

	if (strncmp(pn, sn, l) != 0 || pn[l] != '-')
		return -1;
	p = pn + l + 1;
	if (*p < '0' || *p > '9')
		return -1;
	v = strtoll(p, &end, 10);
	return *end ? -1 : v;
}

static int cmp_desc(const void *a, const void *b)
{
	const slot *x = a, *y = b;
	return x->ordinal < y->ordinal ? 1 : x->ordinal > y->ordinal ? -1 : 0;
}

/* ---- status ---- */

typedef struct sts_status {
	int64_t replicas, ready, available, current, updated;
	const char *current_rev, *update_rev;
} sts_status;

static int status_mutate(kube_object *set, void *ud)
{
	sts_status *s = ud;
	const char *names[] = { "readyReplicas", "currentReplicas", "updatedReplicas" };
	int64_t vals[] = { s->ready, s->current, s->updated };
	char path[64];
	int rc;

	/* replicas and availableReplicas are written even when 0 (no omitempty) */
	if ((rc = kube_object_set_int(set, "status.replicas", s->replicas)) ||
	    (rc = kube_object_set_int(set, "status.availableReplicas", s->available)) ||
	    (rc = kube_object_set_int(set, "status.observedGeneration", kube_object_generation(set))) ||
	    (rc = kube_object_set_string(set, "status.currentRevision", s->current_rev)) ||
	    (rc = kube_object_set_string(set, "status.updateRevision", s->update_rev)))
		return rc;
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "status.%s", names[i]);
		if (vals[i] == 0) {   /* omitempty */
			rc = kube_object_remove(set, path);
			if (rc == KUBE_ENOTFOUND)
				rc = 0;
		} else {
			rc = kube_object_set_int(set, path, vals[i]);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int update_status(sync_ctx *x, slot *pods, size_t n, int64_t *after)
{
	sts_status s;
	const char *cr, *ur;

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < n; i++) {
		kube_object *p = pods[i].pod;
		if (!p)
			continue;
		s.replicas++;
		if (running_ready(p)) {
			s.ready++;
			if (kube__pod_available(p, x->min_ready, x->now))
				s.available++;
			else
				*after = x->min_ready * KUBE__NS_PER_SEC;
		}
		if (!terminating(p)) {
			if (strcmp(pod_revision(p), x->current_rev) == 0)
				s.current++;
			if (strcmp(pod_revision(p), x->update_rev) == 0)
				s.updated++;
		}
	}
	s.current_rev = x->current_rev;
	s.update_rev = x->update_rev;
	/* completeRollingUpdate */
	if (x->rolling && s.updated == x->replicas && s.ready == x->replicas &&
	    s.replicas == x->replicas) {
		s.current_rev = x->update_rev;
		s.current = s.updated;
	}
	cr = str_at(x->set, "status.currentRevision");
	ur = str_at(x->set, "status.updateRevision");
	if (kube__get_int_or(x->set, "status.replicas", -1) == s.replicas &&
	    kube__get_int_or(x->set, "status.readyReplicas", 0) == s.ready &&
	    kube__get_int_or(x->set, "status.availableReplicas", -1) == s.available &&
	    kube__get_int_or(x->set, "status.currentReplicas", 0) == s.current &&
	    kube__get_int_or(x->set, "status.updatedReplicas", 0) == s.updated &&
	    kube__get_int_or(x->set, "status.observedGeneration", 0) == kube_object_generation(x->set) &&
	    cr && strcmp(cr, s.current_rev) == 0 && ur && strcmp(ur, s.update_rev) == 0)
		return 0;
	return kube_store_guaranteed_update(NULL, x->c->store, "statefulsets",
	                                    kube_object_namespace(x->set), kube_object_name(x->set),
	                                    status_mutate, &s);
}

/* ---- claiming (ControllerRefManager.ClaimPods) ---- */

static int claim_pods(kube_statefulset_controller *c, const kube_object *set,
                      kube_object_list **out)
{
	const kube__claimer cl = { c->store, "statefulsets", "apps/v1", "StatefulSet",
	                           KUBE__CLAIM_EMPTY_SELECTS_NONE };

	return kube__claim_namespace_pods(out, &cl, set, c->pods);
}

/* ---- history ---- */

typedef struct hist {
	int64_t revision;
	kube_object *rev;
} hist;

static int hist_cmp(const void *a, const void *b)
{
	const hist *x = a, *y = b;
	if (x->revision != y->revision)
		return x->revision < y->revision ? -1 : 1;
	return strcmp(kube_object_name(x->rev), kube_object_name(y->rev));
}

/* truncateHistory: revisions that no pod, nor status, uses are deleted,
 * oldest first, down to revisionHistoryLimit (10). */
static int truncate_history(sync_ctx *x, const slot *pods, size_t n)
{
	int64_t limit = kube__get_int_or(x->set, "spec.revisionHistoryLimit", 10);
	kube_object_list *l = NULL;
	hist *h = NULL;
	size_t nh = 0;
	int rc = 0;

	if (kube_informer_by_index(&l, x->c->revs, KUBE_INFORMER_INDEX_OWNER,
	                           kube_object_uid(x->set)) != 0)
		return 0;
	if (!(h = kube_calloc(kube_object_list_count(l) + 1, sizeof(*h)))) {
		kube_object_list_free(l);
		return kube__error_oom();
	}
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *r = kube_object_list_get(l, i);
		const char *name = kube_object_name(r);
		kube_owner_ref ref;
		int live = strcmp(name, x->current_rev) == 0 || strcmp(name, x->update_rev) == 0;
		if (kube_object_controller_ref(r, &ref) != 0 || !ref.uid ||
		    strcmp(ref.uid, kube_object_uid(x->set)) != 0)
			continue;
		for (size_t j = 0; !live && j < n; j++)
			live = pods[j].pod && strcmp(pod_revision(pods[j].pod), name) == 0;
		if (live)
			continue;
		h[nh].revision = kube__get_int_or(r, "revision", 0);
		h[nh++].rev = r;
	}
	if (limit >= 0 && (int64_t)nh > limit) {
		qsort(h, nh, sizeof(*h), hist_cmp);
		for (size_t i = 0; i < nh - (size_t)limit; i++) {
			kube_delete_options o = KUBE_DELETE_OPTIONS_INIT;
			int drc;
			o.uid = kube_object_uid(h[i].rev);
			drc = kube_store_delete(NULL, x->c->store, "controllerrevisions",
			                        kube_object_namespace(h[i].rev), kube_object_name(h[i].rev),
			                        &o);
			if (drc != 0 && drc != KUBE_ENOTFOUND && drc != KUBE_ECONFLICT && !rc)
				rc = drc;
		}
	}
	kube_free(h);
	kube_object_list_free(l);
	return rc;
}

/* ---- sync ---- */

/* Steps 3 to 5 over the slots and the condemned pods. */
static int act(sync_ctx *x, slot *slots, slot *condemned, size_t ncond)
{
	kube_object *first_unhealthy = NULL;
	int rc;

	for (int64_t i = 0; i < x->replicas && !first_unhealthy; i++)
		if (!healthy(x, slots[i].pod))
			first_unhealthy = slots[i].pod;
	for (size_t i = ncond; i-- > 0 && !first_unhealthy;)
		if (!healthy(x, condemned[i].pod))
			first_unhealthy = condemned[i].pod;

	for (int64_t i = 0; i < x->replicas; i++) {
		kube_object *p = slots[i].pod;
		if (p && !terminating(p) && (strcmp(kube__pod_phase(p), "Failed") == 0 ||
		                             strcmp(kube__pod_phase(p), "Succeeded") == 0)) {
			if ((rc = delete_pod(x, p)) != 0 || x->monotonic)
				return rc;
			continue;
		}
		if (!p) {
			if ((rc = create_pod(x, slots[i].ordinal)) != 0 || x->monotonic)
				return rc;
			continue;
		}
		if (x->monotonic && !healthy(x, p))
			return 0;
	}
	for (size_t i = 0; i < ncond; i++) {
		kube_object *p = condemned[i].pod;
		if (terminating(p)) {
			if (x->monotonic)
				return 0;
			continue;
		}
		if (x->monotonic && !healthy(x, p) && p != first_unhealthy)
			return 0;
		if ((rc = delete_pod(x, p)) != 0 || x->monotonic)
			return rc;
	}
	if (!x->rolling)
		return 0;
	for (int64_t t = x->replicas - 1; t >= x->partition && t >= 0; t--) {
		kube_object *p = slots[t].pod;
		if (p && strcmp(pod_revision(p), x->update_rev) != 0 && !terminating(p))
			return delete_pod(x, p);
		if (!healthy(x, p))
			return 0;
	}
	return 0;
}

static int sync_set(kube_controller *runner, const char *key, int64_t *after, void *ud)
{
	kube_statefulset_controller *c = ud;
	kube_object *set, *cur_rev = NULL;
	kube_object_list *owned = NULL;
	char *ns = NULL, *name = NULL;
	slot *slots = NULL, *condemned = NULL, *all = NULL;
	size_t ncond = 0, nall = 0;
	sync_ctx x;
	const char *t, *cr;
	int rc = 0;

	KUBE_UNUSED(runner);
	if (kube_cache_key_split(&ns, &name, key) != 0)
		return 0;
	set = kube_informer_get(c->sets, ns, name);
	kube_free(ns);
	kube_free(name);
	if (!set)
		return 0;
	set = kube_object_ref(set);
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.set = set;
	x.key = key;
	x.now = c->clock(c->clock_userdata);
	x.start = kube__get_int_or(set, "spec.ordinals.start", 0);
	x.replicas = kube__get_int_or(set, "spec.replicas", 1);
	x.min_ready = kube__get_int_or(set, "spec.minReadySeconds", 0);
	t = str_at(set, "spec.podManagementPolicy");
	x.monotonic = !t || strcmp(t, "Parallel") != 0;
	t = str_at(set, "spec.updateStrategy.type");
	x.rolling = !t || strcmp(t, "RollingUpdate") == 0;
	x.partition = kube__get_int_or(set, "spec.updateStrategy.rollingUpdate.partition", 0);
	if (x.replicas < 0)
		x.replicas = 0;

	/* 1. revisions */
	revision_name(x.update_rev, set);
	if ((rc = ensure_revision(c, set, x.update_rev)) != 0)
		goto out;
	cr = str_at(set, "status.currentRevision");
	snprintf(x.current_rev, sizeof(x.current_rev), "%s", cr && *cr ? cr : x.update_rev);
	if (strcmp(x.current_rev, x.update_rev) != 0) {
		cur_rev = kube_informer_get(c->revs, kube_object_namespace(set), x.current_rev);
		if (cur_rev) {
			cur_rev = kube_object_ref(cur_rev);
			x.cur_src = cur_rev;
			x.cur_path = "data.spec.template";
		}
	}

	/* 2. slots and condemned */
	if ((rc = claim_pods(c, set, &owned)) != 0)
		goto out;
	slots = kube_calloc((size_t)x.replicas + 1, sizeof(*slots));
	condemned = kube_calloc(kube_object_list_count(owned) + 1, sizeof(*condemned));
	all = kube_calloc((size_t)x.replicas + kube_object_list_count(owned) + 1, sizeof(*all));
	if (!slots || !condemned || !all) {
		rc = kube__error_oom();
		goto out;
	}
	for (int64_t i = 0; i < x.replicas; i++)
		slots[i].ordinal = x.start + i;
	for (size_t i = 0; i < kube_object_list_count(owned); i++) {
		kube_object *p = kube_object_list_get(owned, i);
		kube_owner_ref ref;
		int64_t ord;
		if (kube_object_controller_ref(p, &ref) != 0 || !ref.uid ||
		    strcmp(ref.uid, kube_object_uid(set)) != 0 ||
		    strcmp(kube_object_namespace(p), kube_object_namespace(set)) != 0 ||
		    (ord = ordinal_of(set, p)) < 0)
			continue;
		all[nall].ordinal = ord;
		all[nall++].pod = p;
		if (ord >= x.start && ord < x.start + x.replicas)
			slots[ord - x.start].pod = p;
		else
			condemned[ncond++] = all[nall - 1];
	}
	qsort(condemned, ncond, sizeof(*condemned), cmp_desc);

	/* 3-5 */
	if (!kube_object_deletion_timestamp(set))
		rc = act(&x, slots, condemned, ncond);
	/* 6 */
	{
		int src = update_status(&x, all, nall, after);
		if (rc == 0)
			rc = src;
	}
	if (rc == 0)
		rc = truncate_history(&x, all, nall);
out:
	if (rc != 0 && rc != KUBE_RECONCILE_REQUEUE)
		KUBE_LOG(KUBE_LOG_WARN, "statefulset", "%s: %s", key, kube_strerror(rc));
	kube_free(slots);
	kube_free(condemned);
	kube_free(all);
	kube_object_list_free(owned);
	kube_object_unref(cur_rev);
	kube_object_unref(set);
	return rc;
}

/* ---- life cycle ---- */

int kube_statefulset_controller_new(kube_statefulset_controller **out, kube_informer_factory *f,
                                    kube_store *store, const kube_workload_controller_options *opts)
{
	kube__workload_setup setup;
	kube_statefulset_controller *c;
	kube_informer_handlers ph = { KUBE_INFORMER_HANDLERS_VERSION, on_pod_add, on_pod_update,
	                              on_pod_delete };
	kube_informer_handlers sh = { KUBE_INFORMER_HANDLERS_VERSION, on_set_add, on_set_update,
	                              NULL };
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(f);
	KUBE_CHECK_ARG(store);
	if ((rc = kube__workload_setup_init(&setup, opts, "kube_statefulset_controller_new",
	                                    "statefulset", 0)) != 0)
		return rc;
	if (!(c = kube_calloc(1, sizeof(*c))))
		return kube__error_oom();
	c->store = store;
	c->clock = setup.clock;
	c->clock_userdata = setup.clock_userdata;
	if ((rc = kube_informer_factory_get(&c->pods, f, "pods")) != 0 ||
	    (rc = kube_informer_factory_get(&c->sets, f, "statefulsets")) != 0 ||
	    (rc = kube_informer_factory_get(&c->revs, f, "controllerrevisions")) != 0 ||
	    (rc = kube_controller_new(&c->runner, kube__informer_loop(c->pods), &setup.runner,
	                              sync_set, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->sets_h, c->sets, &sh, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->pods_h, c->pods, &ph, c, NULL)) != 0 ||
	    (rc = kube_controller_start(c->runner)) != 0) {
		kube_statefulset_controller_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void kube_statefulset_controller_free(kube_statefulset_controller *c)
{
	if (!c)
		return;
	if (c->pods_h)
		kube_informer_remove_handler(c->pods, c->pods_h);
	if (c->sets_h)
		kube_informer_remove_handler(c->sets, c->sets_h);
	kube_controller_free(c->runner);
	kube_free(c);
}

kube_controller *kube_statefulset_controller_runner(kube_statefulset_controller *c)
{
	return c ? c->runner : NULL;
}
