/*
 * gc.c - deletion with a propagation policy and the garbage collector
 * (kube-controller-manager's garbagecollector), over ownerReferences.
 *
 * Upstream keeps a graph of every object's owners and dependents; here the
 * store's owner-uid index is that graph: the dependents of an owner are a
 * lookup by its uid in each watched resource, and an owner is fetched from
 * the store by the reference (kind -> resource, the dependent's namespace
 * for namespaced kinds, name) and compared by uid.  So the collector holds
 * no state of its own beyond its queue, and everything it decides it
 * decides on the store's current objects, never on a cache alone.
 *
 * Keys are "<resource>/<namespace>/<name>" ("" namespace for cluster-scoped
 * objects).  What puts a key in the queue (informer handlers):
 *   - an object whose owner is not in the cache with the same uid (the
 *     owner may be gone: check it);
 *   - an object that starts being deleted with the orphan or the
 *     foregroundDeletion finalizer (process its dependents);
 *   - an object that went: each of its dependents (their owner is gone);
 *   - a dependent that went or dropped an owner reference, when that owner
 *     waits for its dependents (it may now be free to go).
 * What a key's reconcile does (upstream's attemptToDeleteItem and
 * attemptToOrphanWorker):
 *   being deleted + orphan       remove the ownerReferences to it from each
 *                                dependent, then the finalizer
 *   being deleted + foreground   queue each dependent not yet being deleted;
 *                                once no dependent with blockOwnerDeletion
 *                                is left, remove the finalizer
 *   being deleted otherwise      nothing (the store deletes it)
 *   alive, owners classified     solid (exists, not waiting for its
 *                                dependents), dangling (absent, or another
 *                                uid), waiting (deletionTimestamp and
 *                                foregroundDeletion):
 *     some solid                 drop the dangling and waiting references
 *     waiting, has dependents    delete it in the foreground
 *     otherwise                  delete it with the policy its finalizers
 *                                ask for (orphan, foreground), else
 *                                background
 * Upstream's cycle breaker (unblocking references when a dependent of a
 * waiting dependent is itself waiting) is not done.
 */
#include <stdio.h>
#include <string.h>

#include "controllers_private.h"
#include "libkube/kinds.h"
#include "libkube/lifecycle.h"
#include "store/store_private.h"

static const char *const default_resources[] = {
	"pods", "replicasets", "deployments", "statefulsets", "daemonsets", "controllerrevisions",
	"replicationcontrollers", "jobs", "cronjobs", "services", "endpoints", "endpointslices",
	"configmaps", "secrets", "persistentvolumeclaims", "serviceaccounts", "leases", "nodes",
	NULL
};

typedef struct gc_res {
	const kube_kind_info *kind;
	kube_informer *inf;
	kube_informer_handler *h;
} gc_res;

struct kube_gc {
	kube_store *store;
	kube_controller *ctrl;
	gc_res *res;
	size_t nres;
};

/* ---- small object edits ---- */

static int has_fin(const kube_object *o, const char *f)
{
	return kube_object_has_finalizer(o, f);
}

/* Rewrites metadata.finalizers: drops `drop` (may be NULL), adds `add`
 * (may be NULL) at the end if missing. */
static int set_finalizers(kube_object *o, const char *drop, const char *add)
{
	kube__buf b = KUBE__BUF_INIT;
	size_t n = kube_object_finalizer_count(o), kept = 0;
	int have_add = 0, rc;

	kube__buf_putc(&b, '[');
	for (size_t i = 0; i < n; i++) {
		const char *f = kube_object_finalizer(o, i);
		if (drop && strcmp(f, drop) == 0)
			continue;
		if (add && strcmp(f, add) == 0)
			have_add = 1;
		if (kept++)
			kube__buf_putc(&b, ',');
		kube__go_json_string(&b, f, strlen(f));
	}
	if (add && !have_add) {
		if (kept++)
			kube__buf_putc(&b, ',');
		kube__go_json_string(&b, add, strlen(add));
	}
	kube__buf_putc(&b, ']');
	if (b.failed) {
		kube__buf_free(&b);
		return kube__error_oom();
	}
	if (kept == 0) {
		rc = kube_object_remove(o, "metadata.finalizers");
		if (rc == KUBE_ENOTFOUND)
			rc = 0;
	} else {
		rc = kube_object_set_json(o, "metadata.finalizers", b.data);
	}
	kube__buf_free(&b);
	return rc;
}

/* Rewrites metadata.ownerReferences without those whose uid is listed. */
static int drop_owner_refs(kube_object *o, const char *const *uids, size_t nuids)
{
	kube__buf b = KUBE__BUF_INIT;
	size_t n = kube_object_owner_ref_count(o), kept = 0;
	int rc;

	kube__buf_putc(&b, '[');
	for (size_t i = 0; i < n; i++) {
		kube_owner_ref r;
		int drop = 0;
		if (kube_object_owner_ref(o, i, &r) != 0)
			continue;
		for (size_t u = 0; u < nuids && !drop; u++)
			drop = r.uid && strcmp(r.uid, uids[u]) == 0;
		if (drop)
			continue;
		kube__buf_puts(&b, kept++ ? ",{\"apiVersion\":" : "{\"apiVersion\":");
		kube__go_json_string(&b, r.api_version ? r.api_version : "",
		                     r.api_version ? strlen(r.api_version) : 0);
		kube__buf_puts(&b, ",\"kind\":");
		kube__go_json_string(&b, r.kind ? r.kind : "", r.kind ? strlen(r.kind) : 0);
		kube__buf_puts(&b, ",\"name\":");
		kube__go_json_string(&b, r.name ? r.name : "", r.name ? strlen(r.name) : 0);
		kube__buf_puts(&b, ",\"uid\":");
		kube__go_json_string(&b, r.uid ? r.uid : "", r.uid ? strlen(r.uid) : 0);
		if (r.controller)
			kube__buf_puts(&b, ",\"controller\":true");
		if (r.block_owner_deletion)
			kube__buf_puts(&b, ",\"blockOwnerDeletion\":true");
		kube__buf_putc(&b, '}');
	}
	kube__buf_putc(&b, ']');
	if (b.failed) {
		kube__buf_free(&b);
		return kube__error_oom();
	}
	if (kept == 0) {
		rc = kube_object_remove(o, "metadata.ownerReferences");
		if (rc == KUBE_ENOTFOUND)
			rc = 0;
	} else {
		rc = kube_object_set_json(o, "metadata.ownerReferences", b.data);
	}
	kube__buf_free(&b);
	return rc;
}

/* ---- kube_delete ---- */

typedef struct fin_edit {
	const char *uid, *rv;          /* preconditions, or NULL */
	const char *drop, *drop2, *add;
	int ns_terminating;            /* a Namespace: phase and spec.finalizers */
} fin_edit;

static int spec_finalizers_add(kube_object *o, const char *f)
{
	size_t n = 0;
	kube__buf b = KUBE__BUF_INIT;
	int rc;

	if (kube_object_get_len(o, "spec.finalizers", &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			char path[48];
			const char *v;
			snprintf(path, sizeof(path), "spec.finalizers[%zu]", i);
			if (kube_object_get_string(o, path, &v) == 0 && strcmp(v, f) == 0)
				return 0;
		}
		char path[48];
		snprintf(path, sizeof(path), "spec.finalizers[%zu]", n);
		return kube_object_set_string(o, path, f);
	}
	kube__buf_putc(&b, '[');
	kube__go_json_string(&b, f, strlen(f));
	kube__buf_putc(&b, ']');
	rc = b.failed ? kube__error_oom() : kube_object_set_json(o, "spec.finalizers", b.data);
	kube__buf_free(&b);
	return rc;
}

static int edit_finalizers(kube_object *o, void *ud)
{
	const fin_edit *e = ud;
	int rc;

	if ((rc = kube__delete_preconditions(o, e->uid, e->rv)) != 0)
		return rc;
	if (kube_object_deletion_timestamp(o))
		return KUBE_ECANCELED;   /* already going: leave it */
	if (e->drop2 && (rc = set_finalizers(o, e->drop2, NULL)) != 0)
		return rc;
	if ((rc = set_finalizers(o, e->drop, e->add)) != 0)
		return rc;
	if (e->ns_terminating &&
	    ((rc = spec_finalizers_add(o, KUBE_FINALIZER_NAMESPACE)) != 0 ||
	     (rc = kube_object_set_string(o, "status.phase", "Terminating")) != 0))
		return rc;
	return 0;
}

int kube_delete(kube_object **out, kube_store *store, const char *resource, const char *namespace_,
                const char *name, kube_propagation policy, const kube_delete_options *opts)
{
	kube_object *cur = NULL;
	fin_edit e = { 0 };
	int rc, want_edit;

	if (out)
		*out = NULL;
	KUBE_CHECK_ARG(store && resource && name);
	KUBE_CHECK_ARG(policy >= KUBE_PROPAGATION_BACKGROUND && policy <= KUBE_PROPAGATION_ORPHAN);
	KUBE_CHECK_ARG(!opts || opts->version == KUBE_DELETE_OPTIONS_VERSION);
	if ((rc = kube_store_get(&cur, store, resource, namespace_, name)) != 0)
		return rc;
	e.uid = opts && opts->uid && *opts->uid ? opts->uid : NULL;
	e.rv = opts && opts->resource_version && *opts->resource_version ? opts->resource_version : NULL;
	if (strcmp(resource, "namespaces") == 0) {
		e.ns_terminating = 1;
		e.add = KUBE_FINALIZER_NAMESPACE;
		want_edit = 1;
	} else if (policy == KUBE_PROPAGATION_FOREGROUND) {
		e.add = KUBE_FINALIZER_FOREGROUND;
		e.drop = KUBE_FINALIZER_ORPHAN;
		want_edit = !has_fin(cur, e.add) || has_fin(cur, e.drop);
	} else if (policy == KUBE_PROPAGATION_ORPHAN) {
		e.add = KUBE_FINALIZER_ORPHAN;
		e.drop = KUBE_FINALIZER_FOREGROUND;
		want_edit = !has_fin(cur, e.add) || has_fin(cur, e.drop);
	} else {
		e.drop = KUBE_FINALIZER_ORPHAN;
		e.drop2 = KUBE_FINALIZER_FOREGROUND;
		want_edit = has_fin(cur, e.drop) || has_fin(cur, e.drop2);
	}
	if (kube_object_deletion_timestamp(cur))
		want_edit = 0;
	kube_object_unref(cur);
	if (want_edit) {
		rc = kube_store_guaranteed_update(NULL, store, resource, namespace_, name, edit_finalizers, &e);
		if (rc != 0 && rc != KUBE_ECANCELED)
			return rc;
	} else if (e.rv) {
		/* no edit: the store checks the resourceVersion itself */
		kube_delete_options d = KUBE_DELETE_OPTIONS_INIT;
		d.uid = e.uid;
		d.resource_version = e.rv;
		return kube_store_delete(out, store, resource, namespace_, name, &d);
	}
	/* After an edit the resourceVersion moved: only the uid still holds. */
	kube_delete_options d = KUBE_DELETE_OPTIONS_INIT;
	d.uid = e.uid;
	return kube_store_delete(out, store, resource, namespace_, name, &d);
}

/* ---- the collector ---- */

static int enqueue(kube_gc *gc, const char *resource, const char *ns, const char *name)
{
	char key[768];
	int n = snprintf(key, sizeof(key), "%s/%s/%s", resource, ns ? ns : "", name);
	if (n < 0 || (size_t)n >= sizeof(key))
		return KUBE_EINVAL;
	return kube_controller_enqueue(gc->ctrl, key);
}

static const gc_res *res_of_kind(const kube_gc *gc, const kube_kind_info *k)
{
	for (size_t i = 0; i < gc->nres; i++)
		if (gc->res[i].kind == k)
			return &gc->res[i];
	return NULL;
}

/* The owner a reference points at, as the cache has it (borrowed), or NULL. */
static kube_object *cached_owner(const kube_gc *gc, const kube_object *dep, const kube_owner_ref *r,
                                 const kube_kind_info **kind)
{
	const kube_kind_info *k = kube_kind_lookup(r->api_version, r->kind);
	const gc_res *gr;
	*kind = k;
	if (!k || !(gr = res_of_kind(gc, k)))
		return NULL;
	return kube_informer_get(gr->inf, k->namespaced ? kube_object_namespace(dep) : NULL, r->name);
}

static void object_changed(kube_gc *gc, const kube_informer *inf, kube_object *obj)
{
	const char *res = kube_informer_resource(inf);
	size_t n = kube_object_owner_ref_count(obj);

	if (kube_object_deletion_timestamp(obj)) {
		if (has_fin(obj, KUBE_FINALIZER_ORPHAN) || has_fin(obj, KUBE_FINALIZER_FOREGROUND))
			enqueue(gc, res, kube_object_namespace(obj), kube_object_name(obj));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		kube_owner_ref r;
		const kube_kind_info *k;
		kube_object *owner;
		if (kube_object_owner_ref(obj, i, &r) != 0)
			continue;
		owner = cached_owner(gc, obj, &r, &k);
		if (!owner || !r.uid || strcmp(kube_object_uid(owner), r.uid) != 0 ||
		    (kube_object_deletion_timestamp(owner) && has_fin(owner, KUBE_FINALIZER_FOREGROUND))) {
			enqueue(gc, res, kube_object_namespace(obj), kube_object_name(obj));
			return;
		}
	}
}

/* Owners of obj that wait for their dependents: one of them went. */
static void poke_waiting_owners(kube_gc *gc, kube_object *obj)
{
	size_t n = kube_object_owner_ref_count(obj);
	for (size_t i = 0; i < n; i++) {
		kube_owner_ref r;
		const kube_kind_info *k;
		kube_object *owner;
		if (kube_object_owner_ref(obj, i, &r) != 0)
			continue;
		owner = cached_owner(gc, obj, &r, &k);
		if (owner && kube_object_deletion_timestamp(owner))
			enqueue(gc, k->resource, kube_object_namespace(owner), kube_object_name(owner));
	}
}

static void on_add(kube_informer *inf, kube_object *obj, int initial, void *ud)
{
	(void)initial;
	object_changed(ud, inf, obj);
}

static void on_update(kube_informer *inf, kube_object *old, kube_object *new_, void *ud)
{
	if (old == new_)
		return;   /* resync */
	object_changed(ud, inf, new_);
	if (kube_object_owner_ref_count(old) != kube_object_owner_ref_count(new_))
		poke_waiting_owners(ud, old);
	else if (kube_object_deletion_timestamp(new_) && !kube_object_deletion_timestamp(old))
		poke_waiting_owners(ud, new_);
}

static void on_delete(kube_informer *inf, kube_object *obj, int unknown, void *ud)
{
	kube_gc *gc = ud;
	const char *uid = kube_object_uid(obj);
	(void)inf;
	(void)unknown;
	poke_waiting_owners(gc, obj);
	if (!uid)
		return;
	for (size_t i = 0; i < gc->nres; i++) {
		kube_object_list *l = NULL;
		if (kube_informer_by_index(&l, gc->res[i].inf, KUBE_INFORMER_INDEX_OWNER, uid) != 0)
			continue;
		for (size_t j = 0; j < kube_object_list_count(l); j++) {
			kube_object *d = kube_object_list_get(l, j);
			enqueue(gc, gc->res[i].kind->resource, kube_object_namespace(d), kube_object_name(d));
		}
		kube_object_list_free(l);
	}
}

/* The store's dependents of uid, over every watched resource: a list of
 * lists (one per resource, NULL when empty). */
static int dependents(kube_gc *gc, const char *uid, kube_object_list **lists)
{
	for (size_t i = 0; i < gc->nres; i++) {
		kube_list_options lo = KUBE_LIST_OPTIONS_INIT;
		int rc;
		lo.index = KUBE_INDEX_OWNER;
		lo.index_value = uid;
		lists[i] = NULL;
		if ((rc = kube_store_list(&lists[i], gc->store, gc->res[i].kind->resource, &lo, NULL,
		                          NULL)) != 0) {
			for (size_t j = 0; j < i; j++)
				kube_object_list_free(lists[j]);
			return rc;
		}
	}
	return 0;
}

static void free_lists(kube_gc *gc, kube_object_list **lists)
{
	for (size_t i = 0; i < gc->nres; i++)
		kube_object_list_free(lists[i]);
}

static int ref_to(const kube_object *o, const char *uid, kube_owner_ref *out)
{
	size_t n = kube_object_owner_ref_count(o);
	for (size_t i = 0; i < n; i++)
		if (kube_object_owner_ref(o, i, out) == 0 && out->uid && strcmp(out->uid, uid) == 0)
			return 1;
	return 0;
}

typedef struct drop_refs {
	const char *uid;               /* the dependent's, as precondition */
	const char *const *owners;
	size_t n;
} drop_refs;

static int drop_refs_cb(kube_object *o, void *ud)
{
	const drop_refs *d = ud;
	if (strcmp(kube_object_uid(o), d->uid) != 0)
		return KUBE_ENOTFOUND;
	return drop_owner_refs(o, d->owners, d->n);
}

typedef struct drop_fin {
	const char *uid, *finalizer;
} drop_fin;

static int drop_fin_cb(kube_object *o, void *ud)
{
	const drop_fin *d = ud;
	if (strcmp(kube_object_uid(o), d->uid) != 0)
		return KUBE_ENOTFOUND;
	if (!has_fin(o, d->finalizer))
		return KUBE_ECANCELED;
	return set_finalizers(o, d->finalizer, NULL);
}

static int remove_finalizer(kube_gc *gc, const char *res, const kube_object *o, const char *f)
{
	drop_fin d = { kube_object_uid(o), f };
	int rc = kube_store_guaranteed_update(NULL, gc->store, res, kube_object_namespace(o),
	                                      kube_object_name(o), drop_fin_cb, &d);
	return rc == KUBE_ENOTFOUND || rc == KUBE_ECANCELED ? 0 : rc;
}

static int orphan(kube_gc *gc, const char *res, const kube_object *owner)
{
	kube_object_list *lists[64];
	const char *uid = kube_object_uid(owner);
	int rc;

	if ((rc = dependents(gc, uid, lists)) != 0)
		return rc;
	for (size_t i = 0; i < gc->nres && rc == 0; i++) {
		for (size_t j = 0; j < kube_object_list_count(lists[i]) && rc == 0; j++) {
			kube_object *d = kube_object_list_get(lists[i], j);
			drop_refs dr = { kube_object_uid(d), &uid, 1 };
			rc = kube_store_guaranteed_update(NULL, gc->store, gc->res[i].kind->resource,
			                                  kube_object_namespace(d), kube_object_name(d),
			                                  drop_refs_cb, &dr);
			if (rc == KUBE_ENOTFOUND)
				rc = 0;
		}
	}
	free_lists(gc, lists);
	return rc ? rc : remove_finalizer(gc, res, owner, KUBE_FINALIZER_ORPHAN);
}

static int deleting_dependents(kube_gc *gc, const char *res, const kube_object *owner)
{
	kube_object_list *lists[64];
	const char *uid = kube_object_uid(owner);
	size_t blocking = 0;
	int rc;

	if ((rc = dependents(gc, uid, lists)) != 0)
		return rc;
	for (size_t i = 0; i < gc->nres; i++) {
		for (size_t j = 0; j < kube_object_list_count(lists[i]); j++) {
			kube_object *d = kube_object_list_get(lists[i], j);
			kube_owner_ref r;
			if (ref_to(d, uid, &r) && r.block_owner_deletion)
				blocking++;
			if (!kube_object_deletion_timestamp(d))
				enqueue(gc, gc->res[i].kind->resource, kube_object_namespace(d),
				        kube_object_name(d));
		}
	}
	free_lists(gc, lists);
	return blocking ? 0 : remove_finalizer(gc, res, owner, KUBE_FINALIZER_FOREGROUND);
}

static int has_dependents(kube_gc *gc, const char *uid, int *out)
{
	kube_object_list *lists[64];
	int rc;
	*out = 0;
	if ((rc = dependents(gc, uid, lists)) != 0)
		return rc;
	for (size_t i = 0; i < gc->nres; i++)
		if (kube_object_list_count(lists[i]) > 0)
			*out = 1;
	free_lists(gc, lists);
	return 0;
}

static int attempt_to_delete(kube_gc *gc, const char *res, const kube_object *o)
{
	size_t n = kube_object_owner_ref_count(o), nsolid = 0, ndrop = 0, nwait = 0;
	const char *drop[64];
	const char *ns = kube_object_namespace(o);
	kube_delete_options d = KUBE_DELETE_OPTIONS_INIT;
	kube_propagation policy = KUBE_PROPAGATION_BACKGROUND;
	int rc;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		kube_owner_ref r;
		const kube_kind_info *k;
		kube_object *owner = NULL;
		if (kube_object_owner_ref(o, i, &r) != 0)
			continue;
		k = kube_kind_lookup(r.api_version, r.kind);
		if (!k || !r.uid || (k->namespaced && !ns)) {
			/* Not a kind we know (or a namespaced owner of a cluster-scoped
			 * object): never delete on a reference we cannot check. */
			nsolid++;
			continue;
		}
		rc = kube_store_get(&owner, gc->store, k->resource, k->namespaced ? ns : NULL, r.name);
		if (rc == KUBE_ENOTFOUND || (rc == 0 && strcmp(kube_object_uid(owner), r.uid) != 0)) {
			if (ndrop < KUBE_ARRAY_SIZE(drop))
				drop[ndrop++] = r.uid;
		} else if (rc != 0) {
			return rc;
		} else if (kube_object_deletion_timestamp(owner) &&
		           has_fin(owner, KUBE_FINALIZER_FOREGROUND)) {
			if (ndrop < KUBE_ARRAY_SIZE(drop))
				drop[ndrop++] = r.uid;
			nwait++;
		} else {
			nsolid++;
		}
		kube_object_unref(owner);
	}
	if (nsolid) {
		drop_refs dr = { kube_object_uid(o), drop, ndrop };
		if (ndrop == 0)
			return 0;
		rc = kube_store_guaranteed_update(NULL, gc->store, res, ns, kube_object_name(o),
		                                  drop_refs_cb, &dr);
		return rc == KUBE_ENOTFOUND ? 0 : rc;
	}
	if (nwait) {
		int deps = 0;
		if ((rc = has_dependents(gc, kube_object_uid(o), &deps)) != 0)
			return rc;
		if (deps)
			policy = KUBE_PROPAGATION_FOREGROUND;
	}
	if (policy == KUBE_PROPAGATION_BACKGROUND) {
		if (has_fin(o, KUBE_FINALIZER_ORPHAN))
			policy = KUBE_PROPAGATION_ORPHAN;
		else if (has_fin(o, KUBE_FINALIZER_FOREGROUND))
			policy = KUBE_PROPAGATION_FOREGROUND;
	}
	d.uid = kube_object_uid(o);
	KUBE_LOG(KUBE_LOG_DEBUG, "gc", "deleting %s %s/%s (%s)", res, ns ? ns : "",
	         kube_object_name(o),
	         policy == KUBE_PROPAGATION_FOREGROUND ? "Foreground"
	         : policy == KUBE_PROPAGATION_ORPHAN   ? "Orphan" : "Background");
	rc = kube_delete(NULL, gc->store, res, ns, kube_object_name(o), policy, &d);
	return rc == KUBE_ENOTFOUND || rc == KUBE_ECONFLICT ? 0 : rc;
}

static int reconcile(kube_controller *c, const char *key, int64_t *after, void *ud)
{
	kube_gc *gc = ud;
	char res[128], ns[256];
	const char *s1 = strchr(key, '/'), *s2, *name;
	kube_object *o = NULL;
	int rc;
	(void)c;
	(void)after;

	if (!s1 || !(s2 = strchr(s1 + 1, '/')) || (size_t)(s1 - key) >= sizeof(res) ||
	    (size_t)(s2 - s1 - 1) >= sizeof(ns))
		return 0;   /* not a key of ours: forget it */
	memcpy(res, key, (size_t)(s1 - key));
	res[s1 - key] = '\0';
	memcpy(ns, s1 + 1, (size_t)(s2 - s1 - 1));
	ns[s2 - s1 - 1] = '\0';
	name = s2 + 1;
	rc = kube_store_get(&o, gc->store, res, ns[0] ? ns : NULL, name);
	if (rc == KUBE_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (kube_object_deletion_timestamp(o)) {
		if (has_fin(o, KUBE_FINALIZER_ORPHAN))
			rc = orphan(gc, res, o);
		else if (has_fin(o, KUBE_FINALIZER_FOREGROUND))
			rc = deleting_dependents(gc, res, o);
	} else {
		rc = attempt_to_delete(gc, res, o);
	}
	kube_object_unref(o);
	return rc;
}

int kube_gc_options_init(kube_gc_options *opts, unsigned int version)
{
	KUBE_CHECK_ARG(opts);
	KUBE_CHECK_ARG(version == KUBE_GC_OPTIONS_VERSION);
	kube_gc_options d = KUBE_GC_OPTIONS_INIT;
	*opts = d;
	return 0;
}

int kube_gc_new(kube_gc **out, kube_informer_factory *f, kube_store *store,
                const kube_gc_options *opts)
{
	kube_gc_options defaults = KUBE_GC_OPTIONS_INIT;
	kube_controller_options co = KUBE_CONTROLLER_OPTIONS_INIT;
	const char *const *names;
	kube_gc *gc;
	size_t n = 0;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(f && store);
	if (!opts)
		opts = &defaults;
	KUBE_CHECK_ARG(opts->version == KUBE_GC_OPTIONS_VERSION && opts->workers >= 1);
	names = opts->resources ? opts->resources : default_resources;
	while (names[n])
		n++;
	KUBE_CHECK_ARG(n >= 1 && n <= 64);
	if (!(gc = kube_calloc(1, sizeof(*gc))) || !(gc->res = kube_calloc(n, sizeof(*gc->res)))) {
		kube_free(gc);
		return kube__error_oom();
	}
	gc->store = store;
	for (size_t i = 0; i < n; i++) {
		const kube_kind_info *k = kube_kind_find(names[i]);
		if (!k || strcmp(k->resource, names[i]) != 0) {
			kube_free(gc->res);
			kube_free(gc);
			return kube__error_set(KUBE_EINVAL, NULL, "kube_gc_new: unknown resource \"%s\"",
			                       names[i]);
		}
		gc->res[i].kind = k;
	}
	gc->nres = n;
	co.name = "garbagecollector";
	co.workers = opts->workers;
	co.queue = opts->queue;
	for (size_t i = 0; i < n; i++) {
		if ((rc = kube_informer_factory_get(&gc->res[i].inf, f, gc->res[i].kind->resource)) != 0) {
			kube_free(gc->res);
			kube_free(gc);
			return rc;
		}
	}
	if ((rc = kube_controller_new(&gc->ctrl, kube__informer_loop(gc->res[0].inf), &co, reconcile,
	                              gc, NULL)) != 0) {
		kube_free(gc->res);
		kube_free(gc);
		return rc;
	}
	static const kube_informer_handlers h = { KUBE_INFORMER_HANDLERS_VERSION, on_add, on_update,
		                                  on_delete };
	for (size_t i = 0; i < n; i++) {
		if ((rc = kube_informer_add_handler(&gc->res[i].h, gc->res[i].inf, &h, gc, NULL)) != 0) {
			kube_gc_free(gc);
			return rc;
		}
	}
	if ((rc = kube_controller_start(gc->ctrl)) != 0) {
		kube_gc_free(gc);
		return rc;
	}
	*out = gc;
	return 0;
}

void kube_gc_free(kube_gc *gc)
{
	if (!gc)
		return;
	for (size_t i = 0; i < gc->nres; i++)
		kube_informer_remove_handler(gc->res[i].inf, gc->res[i].h);
	kube_controller_free(gc->ctrl);
	kube_free(gc->res);
	kube_free(gc);
}

kube_controller *kube_gc_runner(kube_gc *gc)
{
	return gc ? gc->ctrl : NULL;
}
