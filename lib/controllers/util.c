/*
 * util.c - the pod and time helpers the controllers share, with the
 * answers of upstream's podutil and controller_utils: a pod is ready when
 * its Ready condition is "True", available when it has been ready for
 * more than minReadySeconds (strictly: LastTransitionTime + min < now),
 * active when it is neither Succeeded nor Failed nor being deleted.
 * Timestamps are metav1.Time: RFC 3339, compared at the precision stored.
 * Claiming is ControllerRefManager.ClaimPods, shared by the ReplicaSet,
 * DaemonSet and StatefulSet controllers; the few ways in which they claim
 * differently are the KUBE__CLAIM_* flags.  Also here, so that the
 * workload controllers cannot drift apart: the reading of their options,
 * the owner lookups of their pod events, and turning a written JSON buffer
 * into an object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controllers_private.h"
#include "object/object_private.h"

int64_t kube__rfc3339_ns(const char *s)
{
	struct tm tm;
	int64_t frac = 0, scale = 100000000, off = 0;
	const char *p;
	time_t t;

	if (!s || !*s)
		return 0;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	           &tm.tm_min, &tm.tm_sec) != 6 || strlen(s) < 19)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	p = s + 19;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == '+' || *p == '-') {
		int hh = 0, mm = 0;
		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
			return 0;
		off = (int64_t)(hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
	} else if (*p != 'Z') {
		return 0;
	}
	t = timegm(&tm);
	return ((int64_t)t - off) * KUBE__NS_PER_SEC + frac;
}

void kube__format_rfc3339(int64_t ns, char out[32])
{
	time_t t = (time_t)(ns / KUBE__NS_PER_SEC);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t kube__get_int_or(const kube_object *o, const char *path, int64_t def)
{
	int64_t v;
	return kube_object_get_int(o, path, &v) == 0 ? v : def;
}

/*
 * The pod readers below look at stored pods (informer caches, lists), which
 * are compact: kube_object_get_* would build the tree of each version read
 * and the store would keep it, ~15 times the pod's JSON.  They read the
 * text instead (peek.c); a mutable pod is read from its tree, alike.
 */
const char *kube__pod_phase(const kube_object *pod)
{
	static const char *const known[] = { "Pending", "Running", "Succeeded", "Failed", "Unknown" };
	size_t len = 0;
	const char *t = kube__object_peek_text(pod, "status.phase", &len), *v;

	if (t) {
		if (t[0] != '"')
			return "";   /* not a string: as absent */
		for (size_t i = 0; i < KUBE_ARRAY_SIZE(known); i++)
			if (len == strlen(known[i]) + 2 && memcmp(t + 1, known[i], len - 2) == 0)
				return known[i];
		/* another phase, or escaped: the tree says what it is */
	} else if (kube__object_text(pod, &len)) {
		return "";   /* compact, and no status.phase */
	}
	return kube_object_get_string(pod, "status.phase", &v) == 0 && v ? v : "";
}

int kube__pod_ready(const kube_object *pod, int64_t *since)
{
	kube__buf st = KUBE__BUF_INIT, ltt = KUBE__BUF_INIT;
	int ready = kube__object_peek_condition(pod, "status.conditions", "Ready", &st,
	                                        since ? &ltt : NULL) &&
	            st.data && strcmp(st.data, "True") == 0;

	if (since)
		*since = ready && ltt.data ? kube__rfc3339_ns(ltt.data) : 0;
	kube__buf_free(&st);
	kube__buf_free(&ltt);
	return ready;
}

int kube__pod_available(const kube_object *pod, int64_t min_ready_seconds, int64_t now_ns)
{
	int64_t since;

	if (!kube__pod_ready(pod, &since))
		return 0;
	if (min_ready_seconds == 0)
		return 1;
	return since != 0 && since + min_ready_seconds * KUBE__NS_PER_SEC < now_ns;
}

int kube__pod_active(const kube_object *pod)
{
	const char *phase = kube__pod_phase(pod);

	return strcmp(phase, "Succeeded") != 0 && strcmp(phase, "Failed") != 0 &&
	       !kube_object_deletion_timestamp(pod);
}

int kube__selector_from_map(kube_selector **out, const kube_object *o, const char *path,
                            int *found)
{
	kube_selector *sel;
	size_t n = 0;
	int rc;

	if (found)
		*found = 0;
	if ((rc = kube_selector_new(&sel)) != 0)
		return rc;
	if (kube_object_get_len(o, path, &n) == 0) {
		if (found)
			*found = 1;
		for (size_t i = 0; i < n; i++) {
			const char *k, *v;
			char vpath[512];
			if (kube_object_get_key(o, path, i, &k) != 0)
				continue;
			snprintf(vpath, sizeof(vpath), "%s[\"%s\"]", path, k);
			if (kube_object_get_string(o, vpath, &v) != 0)
				continue;
			if ((rc = kube_selector_add(sel, k, KUBE_SELECTOR_EQUALS, &v, 1)) != 0) {
				kube_selector_free(sel);
				return rc;
			}
		}
	}
	*out = sel;
	return 0;
}

int64_t kube__slow_start_batch(int64_t count, int64_t initial, int (*fn)(void *ud), void *ud,
                               int *err, int64_t *attempted)
{
	int64_t remaining = count, successes = 0, batch;

	*err = 0;
	*attempted = 0;
	for (batch = remaining < initial ? remaining : initial; batch > 0;) {
		int batch_err = 0;
		for (int64_t i = 0; i < batch; i++) {
			int rc = fn(ud);
			if (rc == 0)
				successes++;
			else if (!batch_err)
				batch_err = rc;
		}
		*attempted += batch;
		remaining -= batch;
		if (batch_err) {
			*err = batch_err;
			break;
		}
		batch = 2 * batch < remaining ? 2 * batch : remaining;
	}
	return successes;
}

int kube__object_from_buf(kube_object **out, kube__buf *b)
{
	int rc = b->failed ? kube__error_oom() : kube_object_from_json(out, b->data, b->len);

	kube__buf_free(b);
	return rc;
}

kube_object *kube__resolve_controller_ref(const kube_informer *owners, const char *namespace_,
                                          const kube_owner_ref *ref, const char *kind)
{
	kube_object *owner;

	if (!ref->kind || strcmp(ref->kind, kind) != 0 || !ref->name || !ref->uid)
		return NULL;
	owner = kube_informer_get(owners, namespace_, ref->name);
	if (!owner || !kube_object_uid(owner) || strcmp(kube_object_uid(owner), ref->uid) != 0)
		return NULL;
	return owner;
}

void kube__enqueue_selecting(kube_controller *runner, const kube_informer *owners,
                             const kube_object *pod, kube__selector_of_cb selector_of,
                             void *userdata)
{
	kube_object_list *l = NULL;

	if (kube_informer_list(&l, owners, kube_object_namespace(pod), NULL) != 0)
		return;
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *owner = kube_object_list_get(l, i);
		kube_selector *sel = NULL;
		int rc = selector_of ? selector_of(&sel, owner, userdata)
		                     : kube_selector_from_object(&sel, owner, "spec.selector");
		if (rc == 0 && !kube_selector_empty(sel) &&
		    kube_selector_matches(sel, kube_object_labels(pod)))
			kube_controller_enqueue_object(runner, owner);
		kube_selector_free(sel);
	}
	kube_object_list_free(l);
}

int kube__workload_setup_init(kube__workload_setup *out,
                              const kube_workload_controller_options *opts, const char *fn,
                              const char *runner_name, int uses_burst)
{
	static const kube_workload_controller_options def = KUBE_WORKLOAD_CONTROLLER_OPTIONS_INIT;
	const kube_workqueue_options qdef = KUBE_WORKQUEUE_OPTIONS_INIT;
	const kube_controller_options cdef = KUBE_CONTROLLER_OPTIONS_INIT;

	if (!opts)
		opts = &def;
	if (opts->version == 0 || opts->version > KUBE_WORKLOAD_CONTROLLER_OPTIONS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL, "%s: unknown options version %u", fn,
		                       opts->version);
	if (uses_burst && (opts->workers == 0 || opts->burst_replicas == 0))
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "%s: workers and burst_replicas must be >= 1", fn);
	if (opts->workers == 0)
		return kube__error_set(KUBE_EINVAL, NULL, "%s: workers must be >= 1", fn);
	out->opts = opts;
	out->clock = opts->clock ? opts->clock : kube__clock_realtime;
	out->clock_userdata = opts->clock ? opts->clock_userdata : NULL;
	out->queue = opts->queue ? *opts->queue : qdef;
	/* the queue's delays and metrics run on the controller's clock unless
	 * the caller gave the queue its own */
	if (opts->clock && !out->queue.clock) {
		out->queue.clock = opts->clock;
		out->queue.clock_userdata = opts->clock_userdata;
	}
	out->runner = cdef;
	out->runner.name = runner_name;
	out->runner.workers = opts->workers;
	out->runner.queue = &out->queue;
	return 0;
}

/* ---- claiming ---- */

typedef struct claim_edit {
	const kube__claimer *cl;
	const kube_object *owner;
	const char *pod_uid;
} claim_edit;

static int claim_same_pod(const claim_edit *e, const kube_object *pod)
{
	if (!(e->cl->flags & KUBE__CLAIM_SAME_UID))
		return 0;
	if (!kube_object_uid(pod) || strcmp(kube_object_uid(pod), e->pod_uid) != 0)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "pod was replaced");
	return 0;
}

static int adopt_mutate(kube_object *pod, void *ud)
{
	claim_edit *e = ud;
	kube_owner_ref ref;
	char json[1024];
	size_t n = 0;
	int rc;

	if ((rc = claim_same_pod(e, pod)) != 0)
		return rc;
	/* another controller adopted it since the cache saw it */
	if (kube_object_controller_ref(pod, &ref) == 0)
		return kube__error_set(KUBE_ECONFLICT, NULL, "pod %s already has a controller",
		                       kube_object_name(pod));
	snprintf(json, sizeof(json),
	         "{\"apiVersion\":\"%s\",\"kind\":\"%s\",\"name\":\"%s\",\"uid\":\"%s\","
	         "\"controller\":true,\"blockOwnerDeletion\":true}",
	         e->cl->api_version, e->cl->kind, kube_object_name(e->owner),
	         kube_object_uid(e->owner));
	if (kube_object_get_len(pod, "metadata.ownerReferences", &n) == 0) {
		char path[64];
		snprintf(path, sizeof(path), "metadata.ownerReferences[%zu]", n);
		return kube_object_set_json(pod, path, json);
	}
	char arr[1100];
	snprintf(arr, sizeof(arr), "[%s]", json);
	return kube_object_set_json(pod, "metadata.ownerReferences", arr);
}

static int release_mutate(kube_object *pod, void *ud)
{
	claim_edit *e = ud;
	size_t n = kube_object_owner_ref_count(pod);
	int rc;

	if ((rc = claim_same_pod(e, pod)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		kube_owner_ref ref;
		if (kube_object_owner_ref(pod, i, &ref) == 0 && ref.uid &&
		    strcmp(ref.uid, kube_object_uid(e->owner)) == 0) {
			char path[64];
			snprintf(path, sizeof(path), "metadata.ownerReferences[%zu]", i);
			return kube_object_remove(pod, path);
		}
	}
	return 0;
}

/* RecheckDeletionTimestamp: the cache may be behind, and adopting for an
 * owner that is gone would leave pods to a controller that never comes. */
static int claim_can_adopt(const kube__claimer *cl, const kube_object *owner)
{
	kube_object *fresh = NULL;
	int rc = kube_store_get(&fresh, cl->store, cl->resource, kube_object_namespace(owner),
	                        kube_object_name(owner));

	if (rc != 0)
		return rc;
	if (strcmp(kube_object_uid(fresh), kube_object_uid(owner)) != 0)
		rc = kube__error_set(KUBE_ECONFLICT, NULL, "original %s/%s is gone: got uid %s, wanted %s",
		                     kube_object_namespace(owner), kube_object_name(owner),
		                     kube_object_uid(fresh), kube_object_uid(owner));
	else if (kube_object_deletion_timestamp(fresh))
		rc = kube__error_set(KUBE_ECONFLICT, NULL, "%s/%s has just been deleted at %s",
		                     kube_object_namespace(owner), kube_object_name(owner),
		                     kube_object_deletion_timestamp(fresh));
	kube_object_unref(fresh);
	return rc;
}

int kube__claim_pods(kube_object_list *out, const kube__claimer *cl, const kube_object *owner,
                     const kube_selector *sel, const kube_object_list *pods)
{
	int deleting = kube_object_deletion_timestamp(owner) != NULL, checked = 0, err = 0, rc;
	int empty_none = (cl->flags & KUBE__CLAIM_EMPTY_SELECTS_NONE) && kube_selector_empty(sel);
	claim_edit e = { cl, owner, NULL };

	for (size_t i = 0; i < kube_object_list_count(pods); i++) {
		kube_object *pod = kube_object_list_get(pods, i), *adopted = NULL;
		int match = !empty_none && kube_selector_matches(sel, kube_object_labels(pod));
		kube_owner_ref ref;

		e.pod_uid = kube_object_uid(pod);
		if (kube_object_controller_ref(pod, &ref) == 0) {
			if (!ref.uid || strcmp(ref.uid, kube_object_uid(owner)) != 0)
				continue;   /* another owner's */
			if (match) {
				kube_object_list_append(out, pod);
				continue;
			}
			if (deleting)
				continue;
			rc = kube_store_guaranteed_update(NULL, cl->store, "pods", kube_object_namespace(pod),
			                                  kube_object_name(pod), release_mutate, &e);
			if (rc != 0 && rc != KUBE_ENOTFOUND && !err)
				err = rc;
			continue;
		}
		/* an orphan */
		if (deleting || !match || kube_object_deletion_timestamp(pod))
			continue;
		if (!checked) {
			if ((rc = claim_can_adopt(cl, owner)) != 0)
				return rc;
			checked = 1;
		}
		rc = kube_store_guaranteed_update(&adopted, cl->store, "pods", kube_object_namespace(pod),
		                                  kube_object_name(pod), adopt_mutate, &e);
		if (rc == 0)
			kube_object_list_append(out, adopted);
		else if (rc != KUBE_ENOTFOUND && !err)
			err = rc;
		kube_object_unref(adopted);
	}
	return err;
}

int kube__claim_namespace_pods(kube_object_list **out, const kube__claimer *cl,
                               const kube_object *owner, const kube_informer *pods)
{
	kube_object_list *all = NULL;
	kube_selector *sel = NULL;
	int rc;

	if ((rc = kube_object_list_new(out)) != 0)
		return rc;
	if ((rc = kube_selector_from_object(&sel, owner, "spec.selector")) != 0)
		return rc;
	if ((rc = kube_informer_list(&all, pods, kube_object_namespace(owner), NULL)) == 0)
		(void)kube__claim_pods(*out, cl, owner, sel, all);   /* see the header */
	kube_object_list_free(all);
	kube_selector_free(sel);
	return rc;
}
