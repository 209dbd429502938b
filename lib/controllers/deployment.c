/*
 * deployment.c - the Deployment controller, as upstream's
 * pkg/controller/deployment: a Deployment owns one ReplicaSet per pod
 * template it has had, and moves replicas from the old ones to the new one.
 *
 * One sync of "ns/name":
 *
 *   1. claim ReplicaSets (adopt orphans matching the selector, release
 *      ours that stopped matching), as the ReplicaSet controller claims pods;
 *   2. the new ReplicaSet is the oldest whose template equals the
 *      Deployment's, ignoring the pod-template-hash label; the others are
 *      old.  A missing one is created (when the strategy needs it) as
 *      "<name>-<hash>" with the pod-template-hash label in its selector
 *      and template, the Deployment's annotations, revision = the highest
 *      old revision + 1 (also when an old template comes back: a rollback)
 *      and desired-replicas / max-replicas annotations;
 *   3. paused: only scaling.  RollingUpdate: scale the new ReplicaSet up
 *      while the pods of all ReplicaSets stay within replicas + maxSurge
 *      (rounded up), then scale old ones down while availability stays at
 *      or above replicas - maxUnavailable (rounded down; both 0 means
 *      maxUnavailable 1): first old ReplicaSets' unhealthy replicas, then
 *      the oldest ReplicaSets' available ones.  Recreate: old ReplicaSets
 *      to 0, wait until their pods are gone, then the new one to replicas;
 *   4. once complete, old ReplicaSets beyond revisionHistoryLimit (10)
 *      that have no pods are deleted, lowest revision first;
 *   5. status: observedGeneration, replicas, updatedReplicas,
 *      readyReplicas, availableReplicas, unavailableReplicas,
 *      collisionCount, and the Available and Progressing conditions with
 *      upstream's reasons and messages (NewReplicaSetCreated,
 *      ReplicaSetUpdated, NewReplicaSetAvailable, ProgressDeadlineExceeded,
 *      DeploymentPaused, MinimumReplicasAvailable / Unavailable).
 *
 * Two decisions of our own.  The pod-template-hash is FNV-32a over the
 * template's canonical JSON (keys sorted) and the collision count, encoded
 * as upstream encodes it (SafeEncodeString of the decimal sum), because
 * upstream hashes Go's printed struct, which C cannot reproduce: names have
 * upstream's shape but not its values.  And when scaling old ReplicaSets
 * down, a ReplicaSet's available replicas count as at most its
 * spec.replicas: right after the ReplicaSet controller deletes pods its
 * status still counts them for one sync, and trusting that figure could
 * take availability below replicas - maxUnavailable.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers_private.h"

#define HASH_LABEL "pod-template-hash"
#define REVISION_ANN "deployment.kubernetes.io/revision"
#define DESIRED_ANN "deployment.kubernetes.io/desired-replicas"
#define MAX_ANN "deployment.kubernetes.io/max-replicas"
#define DEFAULT_PROGRESS_DEADLINE 600
#define DEFAULT_HISTORY 10

struct kube_deployment_controller {
	kube_store *store;
	kube_informer *deployments, *replicasets, *pods;
	kube_informer_handler *d_h, *rs_h, *pod_h;
	kube_controller *runner;
	kube_clock_cb clock;
	void *clock_userdata;
};

/* A ReplicaSet as one sync sees it (spec.replicas kept current as we scale). */
typedef struct rsv {
	kube_object *obj;          /* a reference */
	int64_t replicas;          /* spec.replicas */
	int64_t status_replicas, ready, available;
	int64_t created, revision;
} rsv;

typedef struct dview {
	kube_object *d;
	char key[512];
	int64_t replicas, surge, unavailable, min_ready, deadline, history;
	int rolling, paused;
	rsv *all;                  /* [0..nold) old, then the new one if any */
	size_t nold;
	rsv *new_rs;
	char *tmpl_canon;          /* canonical JSON of spec.template */
	int created_new;
} dview;

static int64_t now_ns(const kube_deployment_controller *c)
{
	return c->clock(c->clock_userdata);
}

/* ---- canonical JSON and the pod-template-hash ---- */

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void canon(kube__buf *b, json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_object: {
		size_t n = (size_t)json_object_object_length(v), i = 0;
		const char **keys = kube_malloc((n ? n : 1) * sizeof(*keys));
		if (!keys) {
			b->failed = 1;
			return;
		}
		json_object_object_foreach(v, k, val) {
			KUBE_UNUSED(val);
			keys[i++] = k;
		}
		qsort(keys, n, sizeof(*keys), cmp_keys);
		kube__buf_putc(b, '{');
		for (i = 0; i < n; i++) {
			json_object *x = NULL;
			if (i)
				kube__buf_putc(b, ',');
			kube__go_json_string(b, keys[i], strlen(keys[i]));
			kube__buf_putc(b, ':');
			json_object_object_get_ex(v, keys[i], &x);
			canon(b, x);
		}
		kube__buf_putc(b, '}');
		kube_free(keys);
		break;
	}
	case json_type_array:
		kube__buf_putc(b, '[');
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			if (i)
				kube__buf_putc(b, ',');
			canon(b, json_object_array_get_idx(v, i));
		}
		kube__buf_putc(b, ']');
		break;
	default:
		kube__buf_puts(b, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		break;
	}
}

/* Canonical JSON of o's value at path, without the pod-template-hash
 * label and with empty label/annotation maps dropped (empty == absent, as
 * apimachinery's semantic equality has it).  NULL on failure. */
static char *canonical_template(const kube_object *o, const char *path)
{
	char *js = NULL;
	json_object *root, *md = NULL, *labels = NULL;
	kube__buf b = KUBE__BUF_INIT;

	if (kube_object_get_json(o, path, &js) != 0)
		return NULL;
	root = json_tokener_parse(js);
	kube_free(js);
	if (!root)
		return NULL;
	if (json_object_object_get_ex(root, "metadata", &md) && md) {
		if (json_object_object_get_ex(md, "labels", &labels) && labels &&
		    json_object_is_type(labels, json_type_object)) {
			json_object_object_del(labels, HASH_LABEL);
			if (json_object_object_length(labels) == 0)
				json_object_object_del(md, "labels");
		}
		json_object *ann = NULL;
		if (json_object_object_get_ex(md, "annotations", &ann) && ann &&
		    json_object_is_type(ann, json_type_object) && json_object_object_length(ann) == 0)
			json_object_object_del(md, "annotations");
	}
	canon(&b, root);
	json_object_put(root);
	if (b.failed) {
		kube__buf_free(&b);
		return NULL;
	}
	return kube__buf_detach(&b, NULL);
}

/* FNV-32a over the canonical template and the collision count (little
 * endian, when there is one), printed in decimal and mapped onto
 * upstream's alphabet byte by byte (rand.SafeEncodeString). */
static void template_hash(char out[16], const char *canon_tmpl, int64_t collisions, int has_coll)
{
	static const char alphanums[] = "bcdfghjklmnpqrstvwxz2456789";
	uint32_t h = 2166136261u;
	char dec[16];

	for (const unsigned char *p = (const unsigned char *)canon_tmpl; *p; p++)
		h = (h ^ *p) * 16777619u;
	if (has_coll) {
		uint32_t c = (uint32_t)collisions;
		for (int i = 0; i < 4; i++)
			h = (h ^ ((c >> (8 * i)) & 0xff)) * 16777619u;
	}
	snprintf(dec, sizeof(dec), "%u", h);
	size_t i;
	for (i = 0; dec[i]; i++)
		out[i] = alphanums[(unsigned char)dec[i] % (sizeof(alphanums) - 1)];
	out[i] = 0;
}

/* ---- intstr ---- */

/* GetScaledValueFromIntOrPercent: an int, or "N%" of total rounded up or down. */
static int scaled_value(const kube_object *d, const char *path, const char *def, int64_t total,
                        int round_up, int64_t *out)
{
	kube_value_type t;
	const char *s = def;
	int64_t v;

	if (kube_object_get_type(d, path, &t) == 0 && t == KUBE_VALUE_INT)
		return kube_object_get_int(d, path, out);
	if (kube_object_get_type(d, path, &t) == 0 && t == KUBE_VALUE_STRING)
		kube_object_get_string(d, path, &s);
	size_t n = strlen(s);
	char *end;
	if (n < 2 || s[n - 1] != '%')
		return kube__error_set(KUBE_EINVAL, path,
		                       "invalid value for IntOrString: invalid type: string is not a "
		                       "percentage");
	v = strtoll(s, &end, 10);
	if (end != s + n - 1)
		return kube__error_set(KUBE_EINVAL, path, "invalid value \"%s\": %s", s,
		                       "not a percentage");
	if (round_up)
		*out = (v * total + 99) / 100;
	else
		*out = v * total / 100;
	return 0;
}

/* ---- reading ---- */

static int64_t revision_of(const kube_object *o)
{
	const char *v = kube_object_annotation(o, REVISION_ANN);
	return v ? strtoll(v, NULL, 10) : 0;
}

static void fill_rsv(rsv *r, kube_object *rs)
{
	r->obj = kube_object_ref(rs);
	r->replicas = kube__get_int_or(rs, "spec.replicas", 1);
	r->status_replicas = kube__get_int_or(rs, "status.replicas", 0);
	r->ready = kube__get_int_or(rs, "status.readyReplicas", 0);
	r->available = kube__get_int_or(rs, "status.availableReplicas", 0);
	r->created = kube__rfc3339_ns(kube_object_creation_timestamp(rs));
	r->revision = revision_of(rs);
}

/* ReplicaSetsByCreationTimestamp: older first, then by name. */
static int by_created(const void *x, const void *y)
{
	const rsv *a = x, *b = y;
	if (a->created != b->created)
		return a->created < b->created ? -1 : 1;
	return strcmp(kube_object_name(a->obj), kube_object_name(b->obj));
}

static int by_revision(const void *x, const void *y)
{
	const rsv *a = x, *b = y;
	if (a->revision != b->revision)
		return a->revision < b->revision ? -1 : 1;
	return by_created(x, y);
}

static int64_t sum_replicas(const dview *v)
{
	int64_t n = 0;
	for (size_t i = 0; i < v->nold; i++)
		n += v->all[i].replicas;
	return n + (v->new_rs ? v->new_rs->replicas : 0);
}

/* ---- writing ReplicaSets ---- */

typedef struct scale_edit {
	int64_t replicas, desired, max;
	int64_t revision;            /* > 0: raise the revision annotation to it */
	const char *uid;
	int64_t min_ready;           /* with set_min_ready: spec.minReadySeconds */
	int set_min_ready;
} scale_edit;

static int set_int_omit_spec(kube_object *rs, int64_t v)
{
	int rc;
	if (v == 0) {
		rc = kube_object_remove(rs, "spec.minReadySeconds");
		return rc == KUBE_ENOTFOUND ? 0 : rc;
	}
	return kube_object_set_int(rs, "spec.minReadySeconds", v);
}

static int scale_mutate(kube_object *rs, void *ud)
{
	scale_edit *e = ud;
	char buf[32];
	int rc;

	if (e->uid && (!kube_object_uid(rs) || strcmp(kube_object_uid(rs), e->uid) != 0))
		return kube__error_set(KUBE_ENOTFOUND, NULL, "replica set was replaced");
	if ((rc = kube_object_set_int(rs, "spec.replicas", e->replicas)) != 0)
		return rc;
	snprintf(buf, sizeof(buf), "%lld", (long long)e->desired);
	if ((rc = kube_object_set_annotation(rs, DESIRED_ANN, buf)) != 0)
		return rc;
	snprintf(buf, sizeof(buf), "%lld", (long long)e->max);
	if ((rc = kube_object_set_annotation(rs, MAX_ANN, buf)) != 0)
		return rc;
	if (e->revision > 0 && revision_of(rs) < e->revision) {
		snprintf(buf, sizeof(buf), "%lld", (long long)e->revision);
		rc = kube_object_set_annotation(rs, REVISION_ANN, buf);
	}
	if (rc == 0 && e->set_min_ready)
		rc = set_int_omit_spec(rs, e->min_ready);
	return rc;
}

static int annotations_need_update(const kube_object *rs, int64_t desired, int64_t max)
{
	const char *a = kube_object_annotation(rs, DESIRED_ANN), *b = kube_object_annotation(rs, MAX_ANN);
	return !a || !b || strtoll(a, NULL, 10) != desired || strtoll(b, NULL, 10) != max;
}

/* scaleReplicaSet: spec.replicas and the replicas annotations. */
static int scale_rs(kube_deployment_controller *c, dview *v, rsv *r, int64_t replicas)
{
	scale_edit e = { replicas, v->replicas, v->replicas + (v->rolling ? v->surge : 0), 0,
	                 kube_object_uid(r->obj), 0, 0 };
	kube_object *out = NULL;
	int rc;

	if (r->replicas == replicas && !annotations_need_update(r->obj, e.desired, e.max))
		return 0;
	rc = kube_store_guaranteed_update(&out, c->store, "replicasets", kube_object_namespace(r->obj),
	                                  kube_object_name(r->obj), scale_mutate, &e);
	if (rc != 0)
		return rc;
	kube_object_unref(r->obj);
	r->obj = out;
	r->replicas = replicas;
	return 0;
}

/* ---- claiming ReplicaSets ---- */

typedef struct own_edit {
	const kube_object *d;
	const char *uid;
	int adopt;
} own_edit;

static int own_mutate(kube_object *rs, void *ud)
{
	own_edit *e = ud;
	kube_owner_ref ref;
	size_t n;

	if (!kube_object_uid(rs) || strcmp(kube_object_uid(rs), e->uid) != 0)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "replica set was replaced");
	if (e->adopt) {
		char json[1024], path[64];
		if (kube_object_controller_ref(rs, &ref) == 0)
			return kube__error_set(KUBE_ECONFLICT, NULL, "replica set already has a controller");
		snprintf(json, sizeof(json),
		         "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"%s\",\"uid\":\"%s\","
		         "\"controller\":true,\"blockOwnerDeletion\":true}",
		         kube_object_name(e->d), kube_object_uid(e->d));
		if (kube_object_get_len(rs, "metadata.ownerReferences", &n) != 0) {
			char arr[1100];
			snprintf(arr, sizeof(arr), "[%s]", json);
			return kube_object_set_json(rs, "metadata.ownerReferences", arr);
		}
		snprintf(path, sizeof(path), "metadata.ownerReferences[%zu]", n);
		return kube_object_set_json(rs, path, json);
	}
	n = kube_object_owner_ref_count(rs);
	for (size_t i = 0; i < n; i++)
		if (kube_object_owner_ref(rs, i, &ref) == 0 && ref.uid &&
		    strcmp(ref.uid, kube_object_uid(e->d)) == 0) {
			char path[64];
			snprintf(path, sizeof(path), "metadata.ownerReferences[%zu]", i);
			return kube_object_remove(rs, path);
		}
	return 0;
}

static int claim_replicasets(kube_deployment_controller *c, dview *v, const kube_selector *sel)
{
	kube_object_list *l = NULL;
	int deleting = kube_object_deletion_timestamp(v->d) != NULL, rc, err = 0;
	size_t cap;

	if ((rc = kube_informer_list(&l, c->replicasets, kube_object_namespace(v->d), NULL)) != 0)
		return rc;
	cap = kube_object_list_count(l) + 1;
	if (!(v->all = kube_calloc(cap, sizeof(*v->all)))) {
		kube_object_list_free(l);
		return kube__error_oom();
	}
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *rs = kube_object_list_get(l, i), *out = NULL;
		int match = kube_selector_matches(sel, kube_object_labels(rs));
		own_edit e = { v->d, kube_object_uid(rs), 0 };
		kube_owner_ref ref;

		if (kube_object_controller_ref(rs, &ref) == 0) {
			if (!ref.uid || strcmp(ref.uid, kube_object_uid(v->d)) != 0)
				continue;
			if (match) {
				fill_rsv(&v->all[v->nold++], rs);
				continue;
			}
			if (deleting)
				continue;
			rc = kube_store_guaranteed_update(NULL, c->store, "replicasets",
			                                  kube_object_namespace(rs), kube_object_name(rs),
			                                  own_mutate, &e);
			if (rc != 0 && rc != KUBE_ENOTFOUND && !err)
				err = rc;
			continue;
		}
		if (deleting || !match || kube_object_deletion_timestamp(rs))
			continue;
		e.adopt = 1;
		rc = kube_store_guaranteed_update(&out, c->store, "replicasets", kube_object_namespace(rs),
		                                  kube_object_name(rs), own_mutate, &e);
		if (rc == 0)
			fill_rsv(&v->all[v->nold++], out);
		else if (rc != KUBE_ENOTFOUND && !err)
			err = rc;
		kube_object_unref(out);
	}
	kube_object_list_free(l);
	return err;
}

/* Splits the claimed ReplicaSets into old ones and the new one (the oldest
 * whose template matches), keeping the new one last in v->all. */
static int find_new(dview *v)
{
	qsort(v->all, v->nold, sizeof(*v->all), by_created);
	for (size_t i = 0; i < v->nold; i++) {
		char *t = canonical_template(v->all[i].obj, "spec.template");
		int eq = t && strcmp(t, v->tmpl_canon) == 0;
		kube_free(t);
		if (eq) {
			rsv tmp = v->all[i];
			memmove(&v->all[i], &v->all[i + 1], (v->nold - i - 1) * sizeof(*v->all));
			v->nold--;
			v->all[v->nold] = tmp;
			v->new_rs = &v->all[v->nold];
			return 0;
		}
	}
	v->new_rs = NULL;
	return 0;
}

static int64_t max_old_revision(const dview *v)
{
	int64_t m = 0;
	for (size_t i = 0; i < v->nold; i++)
		if (v->all[i].revision > m)
			m = v->all[i].revision;
	return m;
}

static int set_collision_mutate(kube_object *d, void *ud)
{
	return kube_object_set_int(d, "status.collisionCount", *(int64_t *)ud);
}

static int set_revision_mutate(kube_object *d, void *ud)
{
	return kube_object_set_annotation(d, REVISION_ANN, ud);
}

/* Annotations the new ReplicaSet does not inherit from the Deployment. */
static int skip_annotation(const char *k)
{
	static const char *const skip[] = {
		"kubectl.kubernetes.io/last-applied-configuration", REVISION_ANN,
		"deployment.kubernetes.io/revision-history", DESIRED_ANN, MAX_ANN,
		"deprecated.deployment.rollback.to",
	};
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(skip); i++)
		if (strcmp(k, skip[i]) == 0)
			return 1;
	return 0;
}

/* getNewReplicaSet: the new ReplicaSet's revision brought up to date, or
 * (create) a new ReplicaSet made.  Also the Deployment's revision. */
static int sync_new_rs(kube_deployment_controller *c, dview *v, int create)
{
	int64_t revision = max_old_revision(v) + 1;
	char rev[32];
	int rc;

	snprintf(rev, sizeof(rev), "%lld", (long long)revision);
	if (v->new_rs) {
		/* the new ReplicaSet follows the Deployment's minReadySeconds */
		int min_ready_differs =
		        kube__get_int_or(v->new_rs->obj, "spec.minReadySeconds", 0) != v->min_ready;
		if (v->new_rs->revision < revision || min_ready_differs ||
		    annotations_need_update(v->new_rs->obj, v->replicas,
		                            v->replicas + (v->rolling ? v->surge : 0))) {
			scale_edit e = { v->new_rs->replicas, v->replicas,
			                 v->replicas + (v->rolling ? v->surge : 0), revision,
			                 kube_object_uid(v->new_rs->obj), v->min_ready, 1 };
			kube_object *out = NULL;
			if ((rc = kube_store_guaranteed_update(&out, c->store, "replicasets",
			                                       kube_object_namespace(v->new_rs->obj),
			                                       kube_object_name(v->new_rs->obj),
			                                       scale_mutate, &e)) != 0)
				return rc;
			kube_object_unref(v->new_rs->obj);
			v->new_rs->obj = out;
			v->new_rs->revision = revision_of(out);
		}
		goto deployment_revision;
	}
	if (!create)
		return 0;

	/* a new ReplicaSet */
	int64_t coll = kube__get_int_or(v->d, "status.collisionCount", 0);
	kube_value_type t;
	int has_coll = kube_object_get_type(v->d, "status.collisionCount", &t) == 0;
	char hash[16], name[300], *tmpl = NULL, *sel = NULL, buf[64];
	kube_object *rs = NULL, *out = NULL;

	template_hash(hash, v->tmpl_canon, coll, has_coll);
	snprintf(name, sizeof(name), "%s-%s", kube_object_name(v->d), hash);
	if ((rc = kube_object_new(&rs, "apps/v1", "ReplicaSet")) != 0)
		return rc;
	kube_object_get_json(v->d, "spec.template", &tmpl);
	kube_object_get_json(v->d, "spec.selector", &sel);
	rc = kube_object_set_string(rs, "metadata.namespace", kube_object_namespace(v->d));
	if (!rc)
		rc = kube_object_set_string(rs, "metadata.name", name);
	if (!rc)
		rc = kube_object_set_json(rs, "spec.template", tmpl ? tmpl : "{}");
	if (!rc)
		rc = kube_object_set_json(rs, "spec.selector", sel ? sel : "{}");
	kube_free(tmpl);
	kube_free(sel);
	if (!rc)
		rc = kube_object_set_string(rs, "spec.template.metadata.labels[\"" HASH_LABEL "\"]", hash);
	if (!rc)
		rc = kube_object_set_string(rs, "spec.selector.matchLabels[\"" HASH_LABEL "\"]", hash);
	/* labels: the template's, with the hash */
	if (!rc) {
		char *lj = NULL;
		if (kube_object_get_json(rs, "spec.template.metadata.labels", &lj) == 0)
			rc = kube_object_set_json(rs, "metadata.labels", lj);
		kube_free(lj);
	}
	for (size_t i = 0; !rc && i < kube_object_annotation_count(v->d); i++) {
		const char *k = NULL;
		char path[512];
		if (kube_object_get_key(v->d, "metadata.annotations", i, &k) != 0 || skip_annotation(k))
			continue;
		snprintf(path, sizeof(path), "metadata.annotations[\"%s\"]", k);
		const char *val;
		if (kube_object_get_string(v->d, path, &val) == 0)
			rc = kube_object_set_annotation(rs, k, val);
	}
	if (!rc)
		rc = kube_object_set_annotation(rs, REVISION_ANN, rev);
	snprintf(buf, sizeof(buf), "%lld", (long long)v->replicas);
	if (!rc)
		rc = kube_object_set_annotation(rs, DESIRED_ANN, buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)(v->replicas + (v->rolling ? v->surge : 0)));
	if (!rc)
		rc = kube_object_set_annotation(rs, MAX_ANN, buf);
	if (!rc) {
		char ref[1024];
		snprintf(ref, sizeof(ref),
		         "[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"%s\",\"uid\":\"%s\","
		         "\"controller\":true,\"blockOwnerDeletion\":true}]",
		         kube_object_name(v->d), kube_object_uid(v->d));
		rc = kube_object_set_json(rs, "metadata.ownerReferences", ref);
	}
	if (!rc && v->min_ready)
		rc = kube_object_set_int(rs, "spec.minReadySeconds", v->min_ready);
	/* NewRSNewReplicas with a new ReplicaSet of 0 */
	int64_t start = v->replicas;
	if (v->rolling) {
		int64_t current = sum_replicas(v), max_total = v->replicas + v->surge;
		start = current >= max_total ? 0 : max_total - current;
		if (start > v->replicas)
			start = v->replicas;
	}
	if (!rc)
		rc = kube_object_set_int(rs, "spec.replicas", start);
	if (rc) {
		kube_object_unref(rs);
		return rc;
	}
	rc = kube_store_create_take(&out, c->store, rs);
	if (rc == KUBE_EEXISTS) {
		/* a ReplicaSet of that name with another template: a collision */
		kube_object *cur = NULL;
		if (kube_store_get(&cur, c->store, "replicasets", kube_object_namespace(v->d), name) == 0) {
			kube_owner_ref ref;
			char *ct = canonical_template(cur, "spec.template");
			int ours = kube_object_controller_ref(cur, &ref) == 0 && ref.uid &&
			           strcmp(ref.uid, kube_object_uid(v->d)) == 0;
			int same = ct && strcmp(ct, v->tmpl_canon) == 0;
			kube_free(ct);
			if (ours && same) {
				/* ours: the informer has not shown it yet */
				kube_object_unref(cur);
				return KUBE_RECONCILE_REQUEUE;
			}
			kube_object_unref(cur);
		}
		int64_t next = coll + 1;
		kube_store_guaranteed_update(NULL, c->store, "deployments", kube_object_namespace(v->d),
		                             kube_object_name(v->d), set_collision_mutate, &next);
		return kube__error_set(KUBE_EEXISTS, NULL, "replica set %s exists with another template: "
		                       "collisionCount now %lld", name, (long long)next);
	}
	if (rc != 0)
		return rc;
	fill_rsv(&v->all[v->nold], out);
	kube_object_unref(out);
	v->new_rs = &v->all[v->nold];
	v->created_new = 1;

deployment_revision:;
	char nrev[32];
	snprintf(nrev, sizeof(nrev), "%lld", (long long)v->new_rs->revision);
	const char *drev = kube_object_annotation(v->d, REVISION_ANN);
	if (!drev || strcmp(drev, nrev) != 0) {
		kube_object *out2 = NULL;
		rc = kube_store_guaranteed_update(&out2, c->store, "deployments",
		                                  kube_object_namespace(v->d), kube_object_name(v->d),
		                                  set_revision_mutate, nrev);
		if (rc != 0)
			return rc;
		kube_object_unref(v->d);
		v->d = out2;
	}
	return 0;
}

/* ---- rolling update ---- */

static int64_t avail_capped(const rsv *r)
{
	return r->available < r->replicas ? r->available : r->replicas;
}

static int reconcile_new(kube_deployment_controller *c, dview *v, int *scaled)
{
	rsv *n = v->new_rs;
	int64_t want;

	*scaled = 0;
	if (!n || n->replicas == v->replicas)
		return 0;
	if (n->replicas > v->replicas) {
		*scaled = 1;
		return scale_rs(c, v, n, v->replicas);
	}
	int64_t current = sum_replicas(v), max_total = v->replicas + v->surge;
	if (current >= max_total)
		return 0;
	want = max_total - current;
	if (want > v->replicas - n->replicas)
		want = v->replicas - n->replicas;
	*scaled = want > 0;
	return scale_rs(c, v, n, n->replicas + want);
}

static int reconcile_old(kube_deployment_controller *c, dview *v, int *scaled)
{
	int64_t old = 0, all = sum_replicas(v), min_avail, new_unavail, max_down, total = 0;
	rsv *n = v->new_rs;
	int rc;

	*scaled = 0;
	for (size_t i = 0; i < v->nold; i++)
		old += v->all[i].replicas;
	if (old == 0)
		return 0;
	min_avail = v->replicas - v->unavailable;
	new_unavail = n ? n->replicas - avail_capped(n) : 0;
	max_down = all - min_avail - new_unavail;
	if (max_down <= 0)
		return 0;
	qsort(v->all, v->nold, sizeof(*v->all), by_created);
	if (n)
		v->new_rs = n = &v->all[v->nold];
	/* cleanupUnhealthyReplicas: old replicas that are not available go first */
	for (size_t i = 0; i < v->nold && total < max_down; i++) {
		rsv *r = &v->all[i];
		int64_t down, unhealthy = r->replicas - avail_capped(r);
		if (r->replicas == 0 || unhealthy <= 0)
			continue;
		down = max_down - total < unhealthy ? max_down - total : unhealthy;
		if ((rc = scale_rs(c, v, r, r->replicas - down)) != 0)
			return rc;
		total += down;
	}
	/* scaleDownOldReplicaSetsForRollingUpdate: then available ones, oldest first */
	int64_t available = 0, todo, done = 0;
	for (size_t i = 0; i < v->nold; i++)
		available += avail_capped(&v->all[i]);
	if (n)
		available += avail_capped(n);
	if (available > min_avail) {
		todo = available - min_avail;
		for (size_t i = 0; i < v->nold && done < todo; i++) {
			rsv *r = &v->all[i];
			int64_t down;
			if (r->replicas == 0)
				continue;
			down = r->replicas < todo - done ? r->replicas : todo - done;
			if ((rc = scale_rs(c, v, r, r->replicas - down)) != 0)
				return rc;
			done += down;
		}
	}
	*scaled = total + done > 0;
	return 0;
}

/* ---- status ---- */

typedef struct dstatus {
	int64_t replicas, updated, ready, available, unavailable, generation;
	const char *avail_status, *avail_reason, *avail_message;
	const char *prog_status, *prog_reason;
	char prog_message[400];
	int prog_keep_transition;  /* same status: keep lastTransitionTime */
	int set_progress;
	char now[32];
} dstatus;

static int find_cond(const kube_object *o, const char *type, size_t *idx, const char **status,
                     const char **reason)
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
			snprintf(path, sizeof(path), "status.conditions[%zu].status", i);
			if (status && kube_object_get_string(o, path, status) != 0)
				*status = "";
			snprintf(path, sizeof(path), "status.conditions[%zu].reason", i);
			if (reason && kube_object_get_string(o, path, reason) != 0)
				*reason = "";
			return 1;
		}
	}
	return 0;
}

/* SetDeploymentCondition: replace the condition of that type, keeping
 * lastTransitionTime when the status did not change. */
static int put_cond(kube_object *d, const char *type, const char *status, const char *reason,
                    const char *message, const char *now)
{
	size_t idx = 0, n = 0;
	const char *old_status = NULL, *old_reason = NULL;
	char path[64], ltt[40] = "";
	kube__buf b = KUBE__BUF_INIT;
	int rc, exists = find_cond(d, type, &idx, &old_status, &old_reason);

	if (exists && strcmp(old_status, status) == 0) {
		const char *t;
		snprintf(path, sizeof(path), "status.conditions[%zu].lastTransitionTime", idx);
		if (kube_object_get_string(d, path, &t) == 0 && t)
			snprintf(ltt, sizeof(ltt), "%s", t);
		/* the same status and reason: nothing to write (upstream returns early) */
		char mpath[64];
		const char *m = NULL;
		snprintf(mpath, sizeof(mpath), "status.conditions[%zu].message", idx);
		kube_object_get_string(d, mpath, &m);
		if (strcmp(old_reason, reason) == 0 && m && strcmp(m, message) == 0 &&
		    strcmp(type, "Progressing") != 0)
			return 0;
	}
	kube__buf_printf(&b, "{\"type\":\"%s\",\"status\":\"%s\",\"lastUpdateTime\":\"%s\","
	                     "\"lastTransitionTime\":\"%s\",\"reason\":\"%s\",\"message\":",
	                 type, status, now, ltt[0] ? ltt : now, reason);
	kube__go_json_string(&b, message, strlen(message));
	kube__buf_putc(&b, '}');
	if (b.failed) {
		kube__buf_free(&b);
		return kube__error_oom();
	}
	if (exists) {
		snprintf(path, sizeof(path), "status.conditions[%zu]", idx);
	} else {
		if (kube_object_get_len(d, "status.conditions", &n) != 0 &&
		    (rc = kube_object_set_json(d, "status.conditions", "[]")) != 0) {
			kube__buf_free(&b);
			return rc;
		}
		snprintf(path, sizeof(path), "status.conditions[%zu]", n);
	}
	rc = kube_object_set_json(d, path, b.data);
	kube__buf_free(&b);
	return rc;
}

static int set_int_omit(kube_object *o, const char *path, int64_t v)
{
	int rc;
	if (v == 0) {
		rc = kube_object_remove(o, path);
		return rc == KUBE_ENOTFOUND ? 0 : rc;
	}
	return kube_object_set_int(o, path, v);
}

static int dstatus_mutate(kube_object *d, void *ud)
{
	dstatus *s = ud;
	int rc;

	if ((rc = set_int_omit(d, "status.observedGeneration", s->generation)) ||
	    (rc = set_int_omit(d, "status.replicas", s->replicas)) ||
	    (rc = set_int_omit(d, "status.updatedReplicas", s->updated)) ||
	    (rc = set_int_omit(d, "status.readyReplicas", s->ready)) ||
	    (rc = set_int_omit(d, "status.availableReplicas", s->available)) ||
	    (rc = set_int_omit(d, "status.unavailableReplicas", s->unavailable)))
		return rc;
	if ((rc = put_cond(d, "Available", s->avail_status, s->avail_reason, s->avail_message,
	                   s->now)) != 0)
		return rc;
	if (s->set_progress)
		rc = put_cond(d, "Progressing", s->prog_status, s->prog_reason, s->prog_message, s->now);
	return rc;
}

static int cond_last_update(const kube_object *d, const char *type, int64_t *out)
{
	size_t idx;
	const char *st, *re, *t;
	char path[64];

	if (!find_cond(d, type, &idx, &st, &re))
		return 0;
	snprintf(path, sizeof(path), "status.conditions[%zu].lastUpdateTime", idx);
	*out = kube_object_get_string(d, path, &t) == 0 ? kube__rfc3339_ns(t) : 0;
	return 1;
}

static int sync_status(kube_deployment_controller *c, dview *v, int64_t *after)
{
	dstatus s;
	int64_t now = now_ns(c);
	size_t idx;
	const char *pst = NULL, *preason = NULL;
	int has_prog;

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < v->nold + (v->new_rs ? 1 : 0); i++) {
		s.replicas += v->all[i].status_replicas;
		s.ready += v->all[i].ready;
		s.available += v->all[i].available;
	}
	s.updated = v->new_rs ? v->new_rs->status_replicas : 0;
	s.unavailable = v->replicas - s.available > 0 ? v->replicas - s.available : 0;
	s.generation = kube_object_generation(v->d);
	kube__format_rfc3339(now, s.now);
	if (s.available >= v->replicas - v->unavailable) {
		s.avail_status = "True";
		s.avail_reason = "MinimumReplicasAvailable";
		s.avail_message = "Deployment has minimum availability.";
	} else {
		s.avail_status = "False";
		s.avail_reason = "MinimumReplicasUnavailable";
		s.avail_message = "Deployment does not have minimum availability.";
	}
	has_prog = find_cond(v->d, "Progressing", &idx, &pst, &preason);
	int complete = s.updated == v->replicas && s.replicas == v->replicas &&
	               s.available == v->replicas && s.generation >= kube_object_generation(v->d);
	const char *nrs = v->new_rs ? kube_object_name(v->new_rs->obj) : "";
	if (v->paused) {
		s.set_progress = !has_prog || strcmp(preason, "DeploymentPaused") != 0;
		s.prog_status = "Unknown";
		s.prog_reason = "DeploymentPaused";
		snprintf(s.prog_message, sizeof(s.prog_message), "Deployment is paused");
	} else if (v->deadline >= 0) {
		int64_t old_updated = kube__get_int_or(v->d, "status.updatedReplicas", 0);
		int64_t old_replicas = kube__get_int_or(v->d, "status.replicas", 0);
		int64_t old_ready = kube__get_int_or(v->d, "status.readyReplicas", 0);
		int64_t old_avail = kube__get_int_or(v->d, "status.availableReplicas", 0);
		int progressing = s.updated > old_updated ||
		                  (s.replicas - s.updated) < (old_replicas - old_updated) ||
		                  s.ready > old_ready || s.available > old_avail;
		int64_t last = 0;
		if (has_prog && strcmp(preason, "DeploymentPaused") == 0)
			has_prog = 0;   /* resumed: progress starts again */
		if (complete && v->new_rs) {
			s.set_progress = 1;
			s.prog_status = "True";
			s.prog_reason = "NewReplicaSetAvailable";
			snprintf(s.prog_message, sizeof(s.prog_message),
			         "ReplicaSet \"%s\" has successfully progressed.", nrs);
			if (has_prog && strcmp(preason, "NewReplicaSetAvailable") == 0)
				s.set_progress = 0;
		} else if (v->created_new) {
			s.set_progress = 1;
			s.prog_status = "True";
			s.prog_reason = "NewReplicaSetCreated";
			snprintf(s.prog_message, sizeof(s.prog_message), "Created new replica set \"%s\"", nrs);
		} else if (progressing || !has_prog) {
			s.set_progress = 1;
			s.prog_status = "True";
			s.prog_reason = "ReplicaSetUpdated";
			snprintf(s.prog_message, sizeof(s.prog_message), "ReplicaSet \"%s\" is progressing.",
			         nrs);
		} else if (strcmp(preason, "NewReplicaSetAvailable") != 0 &&
		           strcmp(preason, "ProgressDeadlineExceeded") != 0 &&
		           cond_last_update(v->d, "Progressing", &last)) {
			if (last + v->deadline * KUBE__NS_PER_SEC < now) {
				s.set_progress = 1;
				s.prog_status = "False";
				s.prog_reason = "ProgressDeadlineExceeded";
				snprintf(s.prog_message, sizeof(s.prog_message),
				         "ReplicaSet \"%s\" has timed out progressing.", nrs);
			} else {
				/* look again when the deadline passes */
				*after = last + v->deadline * KUBE__NS_PER_SEC - now + KUBE__NS_PER_SEC;
			}
		}
	}
	if (!s.set_progress &&
	    kube__get_int_or(v->d, "status.observedGeneration", 0) == s.generation &&
	    kube__get_int_or(v->d, "status.replicas", 0) == s.replicas &&
	    kube__get_int_or(v->d, "status.updatedReplicas", 0) == s.updated &&
	    kube__get_int_or(v->d, "status.readyReplicas", 0) == s.ready &&
	    kube__get_int_or(v->d, "status.availableReplicas", 0) == s.available &&
	    kube__get_int_or(v->d, "status.unavailableReplicas", 0) == s.unavailable) {
		const char *ast = NULL, *are = NULL;
		size_t ai;
		if (find_cond(v->d, "Available", &ai, &ast, &are) && strcmp(ast, s.avail_status) == 0 &&
		    strcmp(are, s.avail_reason) == 0)
			return 0;
	}
	return kube_store_guaranteed_update(NULL, c->store, "deployments", kube_object_namespace(v->d),
	                                    kube_object_name(v->d), dstatus_mutate, &s);
}

/* cleanupDeployment: old, empty ReplicaSets beyond revisionHistoryLimit. */
static void cleanup(kube_deployment_controller *c, dview *v)
{
	size_t n = 0;
	rsv *tmp;

	if (v->nold == 0)
		return;
	if (!(tmp = kube_malloc(v->nold * sizeof(*tmp))))
		return;
	for (size_t i = 0; i < v->nold; i++)
		if (!kube_object_deletion_timestamp(v->all[i].obj))
			tmp[n++] = v->all[i];
	if ((int64_t)n > v->history) {
		qsort(tmp, n, sizeof(*tmp), by_revision);
		for (size_t i = 0; i < n - (size_t)v->history; i++) {
			rsv *r = &tmp[i];
			kube_delete_options o = KUBE_DELETE_OPTIONS_INIT;
			if (r->status_replicas != 0 || r->replicas != 0 ||
			    kube_object_generation(r->obj) >
			            kube__get_int_or(r->obj, "status.observedGeneration", 0))
				continue;
			o.uid = kube_object_uid(r->obj);
			kube_store_delete(NULL, c->store, "replicasets", kube_object_namespace(r->obj),
			                  kube_object_name(r->obj), &o);
		}
	}
	kube_free(tmp);
}

static int old_pods_running(kube_deployment_controller *c, dview *v)
{
	for (size_t i = 0; i < v->nold; i++) {
		kube_object_list *pods = NULL;
		if (v->all[i].status_replicas > 0)
			return 1;
		if (kube_informer_by_index(&pods, c->pods, KUBE_INFORMER_INDEX_OWNER,
		                           kube_object_uid(v->all[i].obj)) != 0)
			continue;
		for (size_t j = 0; j < kube_object_list_count(pods); j++) {
			const char *ph = kube__pod_phase(kube_object_list_get(pods, j));
			if (strcmp(ph, "Failed") != 0 && strcmp(ph, "Succeeded") != 0) {
				kube_object_list_free(pods);
				return 1;
			}
		}
		kube_object_list_free(pods);
	}
	return 0;
}

/* ---- scaling (upstream's scale(), for paused Deployments and scaling events) ---- */

static int active_rs(const rsv *r)
{
	return r->replicas > 0;
}

/* ReplicaSetsBySizeNewer / BySizeOlder: larger first, then by age. */
static int by_size_newer(const void *x, const void *y)
{
	const rsv *a = x, *b = y;
	if (a->replicas != b->replicas)
		return a->replicas > b->replicas ? -1 : 1;
	return by_created(y, x);
}

static int by_size_older(const void *x, const void *y)
{
	const rsv *a = x, *b = y;
	if (a->replicas != b->replicas)
		return a->replicas > b->replicas ? -1 : 1;
	return by_created(x, y);
}

/* getReplicaSetFraction: this ReplicaSet's share of the new maximum, from
 * the maximum it was last sized for (the max-replicas annotation). */
static int64_t rs_fraction(const dview *v, const rsv *r)
{
	const char *ann = kube_object_annotation(r->obj, MAX_ANN);
	int64_t before = ann ? strtoll(ann, NULL, 10) : 0, max = v->replicas + v->surge;

	if (v->replicas == 0)
		return -r->replicas;
	if (before == 0 && (before = kube__get_int_or(v->d, "status.replicas", 0)) == 0)
		return 0;
	/* integer.RoundToInt32: half away from zero */
	double size = (double)(r->replicas * max) / (double)before;
	int64_t rounded = (int64_t)(size < 0 ? size - 0.5 : size + 0.5);
	return rounded - r->replicas;
}

static int64_t rs_proportion(const dview *v, const rsv *r, int64_t to_add, int64_t added)
{
	int64_t f, allowed;

	if (r->replicas == 0 || to_add == 0 || to_add == added)
		return 0;
	f = rs_fraction(v, r);
	allowed = to_add - added;
	if (to_add > 0)
		return f < allowed ? f : allowed;
	return f > allowed ? f : allowed;
}

/* IsSaturated: the new ReplicaSet runs all replicas, all available. */
static int saturated(const dview *v)
{
	const char *ann;

	if (!v->new_rs || !(ann = kube_object_annotation(v->new_rs->obj, DESIRED_ANN)))
		return 0;
	return v->new_rs->replicas == v->replicas && strtoll(ann, NULL, 10) == v->replicas &&
	       v->new_rs->available == v->replicas;
}

/* isScalingEvent: an active ReplicaSet was sized for another replicas. */
static int scaling_event(const dview *v)
{
	for (size_t i = 0; i < v->nold + (v->new_rs ? 1 : 0); i++) {
		const char *ann = kube_object_annotation(v->all[i].obj, DESIRED_ANN);
		if (active_rs(&v->all[i]) && ann && strtoll(ann, NULL, 10) != v->replicas)
			return 1;
	}
	return 0;
}

static int scale(kube_deployment_controller *c, dview *v)
{
	size_t n = v->nold + (v->new_rs ? 1 : 0), nactive = 0;
	rsv *active = NULL, **list;
	int rc = 0;

	/* FindActiveOrLatest */
	for (size_t i = 0; i < n; i++)
		if (active_rs(&v->all[i])) {
			active = &v->all[i];
			nactive++;
		}
	if (nactive == 0 && n > 0) {
		if (v->new_rs) {
			active = v->new_rs;
		} else {
			qsort(v->all, v->nold, sizeof(*v->all), by_created);
			active = &v->all[v->nold - 1];
		}
		nactive = 1;
	}
	if (nactive == 0)
		return 0;
	if (nactive == 1)
		return active->replicas == v->replicas ? 0 : scale_rs(c, v, active, v->replicas);
	if (saturated(v)) {
		for (size_t i = 0; i < v->nold; i++)
			if (active_rs(&v->all[i]) && (rc = scale_rs(c, v, &v->all[i], 0)) != 0)
				return rc;
		return 0;
	}
	if (!v->rolling)
		return 0;
	/* proportional scaling of every active ReplicaSet */
	rsv *sorted = kube_malloc(n * sizeof(*sorted));
	int64_t *size = kube_malloc(n * sizeof(*size));
	if (!sorted || !size) {
		kube_free(sorted);
		kube_free(size);
		return kube__error_oom();
	}
	size_t k = 0;
	int64_t total = 0, allowed, to_add, added = 0;
	for (size_t i = 0; i < n; i++)
		if (active_rs(&v->all[i])) {
			sorted[k++] = v->all[i];
			total += v->all[i].replicas;
		}
	allowed = v->replicas > 0 ? v->replicas + v->surge : 0;
	to_add = allowed - total;
	if (to_add > 0)
		qsort(sorted, k, sizeof(*sorted), by_size_newer);
	else if (to_add < 0)
		qsort(sorted, k, sizeof(*sorted), by_size_older);
	for (size_t i = 0; i < k; i++) {
		int64_t p = to_add ? rs_proportion(v, &sorted[i], to_add, added) : 0;
		size[i] = sorted[i].replicas + p;
		added += p;
	}
	list = kube_malloc(k * sizeof(*list));
	for (size_t i = 0; list && i < k; i++) {
		/* the same ReplicaSet in v->all, so the view follows the write */
		for (size_t j = 0; j < n; j++)
			if (v->all[j].obj == sorted[i].obj)
				list[i] = &v->all[j];
	}
	for (size_t i = 0; list && i < k && rc == 0; i++) {
		if (i == 0 && to_add != 0) {
			size[0] += to_add - added;   /* leftovers to the largest */
			if (size[0] < 0)
				size[0] = 0;
		}
		rc = scale_rs(c, v, list[i], size[i]);
	}
	if (!list)
		rc = kube__error_oom();
	kube_free(list);
	kube_free(sorted);
	kube_free(size);
	return rc;
}

/* ---- sync ---- */

static void free_view(dview *v)
{
	for (size_t i = 0; i < v->nold + (v->new_rs ? 1 : 0); i++)
		kube_object_unref(v->all[i].obj);
	kube_free(v->all);
	kube_free(v->tmpl_canon);
	kube_object_unref(v->d);
}

static int sync_deployment(kube_controller *runner, const char *key, int64_t *after, void *ud)
{
	kube_deployment_controller *c = ud;
	dview v;
	kube_selector *sel = NULL;
	kube_object *d;
	char *ns = NULL, *name = NULL;
	const char *strategy = "RollingUpdate";
	int rc, scaled = 0;

	KUBE_UNUSED(runner);
	memset(&v, 0, sizeof(v));
	if (kube_cache_key_split(&ns, &name, key) != 0)
		return 0;
	d = kube_informer_get(c->deployments, ns, name);
	kube_free(ns);
	kube_free(name);
	if (!d)
		return 0;
	v.d = kube_object_ref(d);
	snprintf(v.key, sizeof(v.key), "%s", key);
	if ((rc = kube_selector_from_object(&sel, v.d, "spec.selector")) != 0 ||
	    kube_selector_empty(sel)) {
		/* upstream: a selector that selects everything is refused */
		KUBE_LOG(KUBE_LOG_WARN, "deployment", "%s: unusable selector", key);
		rc = 0;
		goto out;
	}
	kube_object_get_string(v.d, "spec.strategy.type", &strategy);
	v.rolling = strcmp(strategy, "Recreate") != 0;
	v.replicas = kube__get_int_or(v.d, "spec.replicas", 1);
	v.min_ready = kube__get_int_or(v.d, "spec.minReadySeconds", 0);
	v.deadline = kube__get_int_or(v.d, "spec.progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE);
	v.history = kube__get_int_or(v.d, "spec.revisionHistoryLimit", DEFAULT_HISTORY);
	kube_object_get_bool(v.d, "spec.paused", &v.paused);
	if (v.rolling) {
		if ((rc = scaled_value(v.d, "spec.strategy.rollingUpdate.maxSurge", "25%", v.replicas, 1,
		                       &v.surge)) != 0 ||
		    (rc = scaled_value(v.d, "spec.strategy.rollingUpdate.maxUnavailable", "25%",
		                       v.replicas, 0, &v.unavailable)) != 0) {
			rc = 0;   /* invalid: nothing will make it valid but an edit */
			goto out;
		}
		if (v.surge == 0 && v.unavailable == 0)
			v.unavailable = 1;
		if (v.unavailable > v.replicas)
			v.unavailable = v.replicas;
	}
	if (!(v.tmpl_canon = canonical_template(v.d, "spec.template"))) {
		rc = kube__error_oom();
		goto out;
	}
	if ((rc = claim_replicasets(c, &v, sel)) != 0)
		goto out;
	find_new(&v);
	if (kube_object_deletion_timestamp(v.d)) {
		rc = sync_status(c, &v, after);
		goto out;
	}
	if (v.paused || scaling_event(&v)) {
		/* sync(): scale only; a paused Deployment also keeps its history short */
		if ((rc = sync_new_rs(c, &v, 0)) != 0 || (rc = scale(c, &v)) != 0)
			goto out;
		if (v.paused)
			cleanup(c, &v);
		rc = sync_status(c, &v, after);
		goto out;
	}
	if (v.rolling) {
		if ((rc = sync_new_rs(c, &v, 1)) != 0)
			goto out;
		if ((rc = reconcile_new(c, &v, &scaled)) != 0)
			goto out;
		if (!scaled && (rc = reconcile_old(c, &v, &scaled)) != 0)
			goto out;
	} else {
		/* Recreate */
		if ((rc = sync_new_rs(c, &v, 0)) != 0)
			goto out;
		for (size_t i = 0; i < v.nold; i++)
			if (v.all[i].replicas != 0) {
				if ((rc = scale_rs(c, &v, &v.all[i], 0)) != 0)
					goto out;
				scaled = 1;
			}
		if (!scaled && !old_pods_running(c, &v)) {
			if (!v.new_rs && (rc = sync_new_rs(c, &v, 1)) != 0)
				goto out;
			if (v.new_rs && v.new_rs->replicas != v.replicas &&
			    (rc = scale_rs(c, &v, v.new_rs, v.replicas)) != 0)
				goto out;
		}
	}
	if (!scaled && v.new_rs && v.new_rs->status_replicas == v.replicas &&
	    v.new_rs->available == v.replicas && v.new_rs->replicas == v.replicas)
		cleanup(c, &v);
	rc = sync_status(c, &v, after);
out:
	kube_selector_free(sel);
	free_view(&v);
	return rc;
}

/* ---- events ---- */

static void enqueue_owner_of(kube_deployment_controller *c, const kube_object *rs)
{
	kube_owner_ref ref;
	kube_object *d;

	if (kube_object_controller_ref(rs, &ref) != 0 || !ref.kind ||
	    strcmp(ref.kind, "Deployment") != 0 || !ref.name)
		return;
	d = kube_informer_get(c->deployments, kube_object_namespace(rs), ref.name);
	if (d && ref.uid && kube_object_uid(d) && strcmp(ref.uid, kube_object_uid(d)) == 0)
		kube_controller_enqueue_object(c->runner, d);
}

static void enqueue_matching(kube_deployment_controller *c, const kube_object *rs)
{
	kube_object_list *l = NULL;

	if (kube_informer_list(&l, c->deployments, kube_object_namespace(rs), NULL) != 0)
		return;
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *d = kube_object_list_get(l, i);
		kube_selector *sel = NULL;
		if (kube_selector_from_object(&sel, d, "spec.selector") == 0 && !kube_selector_empty(sel) &&
		    kube_selector_matches(sel, kube_object_labels(rs)))
			kube_controller_enqueue_object(c->runner, d);
		kube_selector_free(sel);
	}
	kube_object_list_free(l);
}

static void on_d_add(kube_informer *inf, kube_object *d, int initial, void *ud)
{
	kube_deployment_controller *c = ud;
	KUBE_UNUSED(inf);
	KUBE_UNUSED(initial);
	kube_controller_enqueue_object(c->runner, d);
}

static void on_d_update(kube_informer *inf, kube_object *old, kube_object *d, void *ud)
{
	KUBE_UNUSED(old);
	on_d_add(inf, d, 0, ud);
}

static void on_d_delete(kube_informer *inf, kube_object *d, int unknown, void *ud)
{
	KUBE_UNUSED(unknown);
	on_d_add(inf, d, 0, ud);
}

static void on_rs_add(kube_informer *inf, kube_object *rs, int initial, void *ud)
{
	kube_deployment_controller *c = ud;
	kube_owner_ref ref;

	KUBE_UNUSED(inf);
	KUBE_UNUSED(initial);
	if (kube_object_controller_ref(rs, &ref) == 0)
		enqueue_owner_of(c, rs);
	else
		enqueue_matching(c, rs);
}

static void on_rs_update(kube_informer *inf, kube_object *old, kube_object *rs, void *ud)
{
	kube_deployment_controller *c = ud;
	kube_owner_ref a, b;
	int ha, hb;

	KUBE_UNUSED(inf);
	if (old == rs)
		return;
	ha = kube_object_controller_ref(old, &a) == 0;
	hb = kube_object_controller_ref(rs, &b) == 0;
	if (ha && (!hb || !a.uid || !b.uid || strcmp(a.uid, b.uid) != 0))
		enqueue_owner_of(c, old);
	if (hb)
		enqueue_owner_of(c, rs);
	else if (!kube_labels_equal(kube_object_labels(old), kube_object_labels(rs)) || ha)
		enqueue_matching(c, rs);
}

static void on_rs_delete(kube_informer *inf, kube_object *rs, int unknown, void *ud)
{
	KUBE_UNUSED(inf);
	KUBE_UNUSED(unknown);
	enqueue_owner_of(ud, rs);
}

/* Recreate waits for old pods to go: a deleted pod may unblock it. */
static void on_pod_delete(kube_informer *inf, kube_object *pod, int unknown, void *ud)
{
	kube_deployment_controller *c = ud;
	kube_owner_ref ref;
	kube_object *rs;

	KUBE_UNUSED(inf);
	KUBE_UNUSED(unknown);
	if (kube_object_controller_ref(pod, &ref) != 0 || !ref.kind ||
	    strcmp(ref.kind, "ReplicaSet") != 0 || !ref.name)
		return;
	rs = kube_informer_get(c->replicasets, kube_object_namespace(pod), ref.name);
	if (rs)
		enqueue_owner_of(c, rs);
}

int kube_deployment_controller_new(kube_deployment_controller **out, kube_informer_factory *f,
                                   kube_store *store, const kube_workload_controller_options *opts)
{
	kube__workload_setup setup;
	kube_informer_handlers dh = { KUBE_INFORMER_HANDLERS_VERSION, on_d_add, on_d_update,
	                              on_d_delete };
	kube_informer_handlers rh = { KUBE_INFORMER_HANDLERS_VERSION, on_rs_add, on_rs_update,
	                              on_rs_delete };
	kube_informer_handlers ph = { KUBE_INFORMER_HANDLERS_VERSION, NULL, NULL, on_pod_delete };
	kube_deployment_controller *c;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(f);
	KUBE_CHECK_ARG(store);
	if ((rc = kube__workload_setup_init(&setup, opts, "kube_deployment_controller_new",
	                                    "deployment", 0)) != 0)
		return rc;
	if (!(c = kube_calloc(1, sizeof(*c))))
		return kube__error_oom();
	c->store = store;
	c->clock = setup.clock;
	c->clock_userdata = setup.clock_userdata;
	if ((rc = kube_informer_factory_get(&c->deployments, f, "deployments")) != 0 ||
	    (rc = kube_informer_factory_get(&c->replicasets, f, "replicasets")) != 0 ||
	    (rc = kube_informer_factory_get(&c->pods, f, "pods")) != 0 ||
	    (rc = kube_controller_new(&c->runner, kube__informer_loop(c->pods), &setup.runner,
	                              sync_deployment, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->d_h, c->deployments, &dh, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->rs_h, c->replicasets, &rh, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->pod_h, c->pods, &ph, c, NULL)) != 0 ||
	    (rc = kube_controller_start(c->runner)) != 0) {
		kube_deployment_controller_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void kube_deployment_controller_free(kube_deployment_controller *c)
{
	if (!c)
		return;
	if (c->d_h)
		kube_informer_remove_handler(c->deployments, c->d_h);
	if (c->rs_h)
		kube_informer_remove_handler(c->replicasets, c->rs_h);
	if (c->pod_h)
		kube_informer_remove_handler(c->pods, c->pod_h);
	kube_controller_free(c->runner);
	kube_free(c);
}

kube_controller *kube_deployment_controller_runner(kube_deployment_controller *c)
{
	return c ? c->runner : NULL;
}
