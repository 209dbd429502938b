/*
 * informer.c - client-go's SharedIndexInformer on a kube_store: a list,
 * then a watch from the list's revision, feeding a cache and handlers.
 *
 *   store ──list──▶ cache ◀──watch events── store
 *                     │ entries: key -> { obj, slot, values per index }
 *                     │ indexes: name -> value -> { key -> entry }
 *                     │ labels:  kube_label_index over entry slots
 *                     ▼
 *                  handlers (on_add / on_update / on_delete)
 *
 * The store delivers each change once and in order, so there is no
 * DeltaFIFO: an event updates the cache, then the handlers run, in one
 * loop callback.  When the watch ends with an error other than
 * KUBE_ECANCELED (the store closing), the informer lists again at once and
 * reconciles the cache with the list the way client-go's Replace does:
 * every listed object already cached is an update (a re-list is also a
 * resync), every new one an add, and every cached object the list lacks a
 * delete with final_state_unknown set (DeletedFinalStateUnknown).  Then it
 * watches from the new list's revision.  A re-list that fails is retried
 * after a second, from a timer.
 *
 * Handlers may add and remove handlers and write to the store; removal
 * inside a dispatch only marks the handler, which is dropped once no
 * dispatch is running.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_private.h"
#include "reconcile_private.h"
#include "store/store_private.h"

enum { IDX_CUSTOM = 0, IDX_NAMESPACE, IDX_OWNER, IDX_NODE };

typedef struct valset {
	char **v;
	size_t n;
} valset;

typedef struct entry {
	char *key;
	kube_object *obj;
	uint32_t slot;
	uint64_t seen;           /* list generation that last saw it */
	valset *vals;            /* one per index */
} entry;

typedef struct cindex {
	char *name;
	int kind;
	int active;              /* maintained; built-ins start on first use */
	kube_index_cb fn;
	void *userdata;
	void (*destroy)(void *);
	kube__strmap buckets;    /* value -> bucket */
} cindex;

typedef struct bucket {
	char *value;
	kube__strmap members;    /* entry key -> entry */
} bucket;

struct kube_informer_handler {
	kube_informer_handlers h;
	void *userdata;
	void (*destroy)(void *);
	int dead;
};

struct kube_informer {
	kube_store *store;
	char *resource;
	char *namespace_, *label_selector, *field_selector;
	uint64_t resync_ms;
	kube_watch *watch;
	kube_timer *resync_timer;
	kube_timer *retry_timer;
	int started, synced;
	uint64_t lists;
	int64_t revision;
	kube__strmap entries;
	entry **slots;           /* slot -> entry (NULL = free) */
	uint32_t nslots, slots_cap;
	uint32_t *free_slots;
	uint32_t nfree;
	kube_label_index *labels;
	cindex **indexes;
	size_t nindexes;
	kube_informer_handler **handlers;
	size_t nhandlers, handlers_cap;
	int dispatching;
	int handlers_dead;
};

struct kube_informer_factory {
	kube_store *store;
	uint64_t resync_ms;
	kube_informer **informers;
	size_t n, cap;
	int started;
};

static void watch_cb(kube_watch *w, const kube_watch_event *ev, void *userdata);
static int relist(kube_informer *inf);

kube_store *kube__informer_store(const kube_informer *inf)
{
	return inf->store;
}

kube_store *kube__informer_factory_store(const kube_informer_factory *f)
{
	return f->store;
}

kube_loop *kube__informer_loop(const kube_informer *inf)
{
	return inf->store->loop;
}

int kube_informer_options_init(kube_informer_options *opts, unsigned int version)
{
	kube_informer_options def = KUBE_INFORMER_OPTIONS_INIT;

	KUBE_CHECK_ARG(opts);
	if (version == 0 || version > KUBE_INFORMER_OPTIONS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_informer_options_init: unknown version %u", version);
	*opts = def;
	opts->version = version;
	return 0;
}

/* ---- keys ---- */

int kube_object_cache_key(char **out, const kube_object *obj)
{
	const char *ns, *name;
	kube__buf b = KUBE__BUF_INIT;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(obj);
	ns = kube_object_namespace(obj);
	name = kube_object_name(obj);
	if (!name || !*name)
		return kube__error_set(KUBE_EINVAL, "metadata.name", "object has no name");
	if (ns && *ns) {
		kube__buf_puts(&b, ns);
		kube__buf_putc(&b, '/');
	}
	kube__buf_puts(&b, name);
	if (b.failed) {
		kube__buf_free(&b);
		return kube__error_oom();
	}
	*out = kube__buf_detach(&b, NULL);
	return 0;
}

int kube_cache_key_split(char **ns_out, char **name_out, const char *key)
{
	const char *slash;

	KUBE_CHECK_ARG(ns_out);
	KUBE_CHECK_ARG(name_out);
	*ns_out = *name_out = NULL;
	KUBE_CHECK_ARG(key);
	slash = strchr(key, '/');
	if (slash && strchr(slash + 1, '/'))
		return kube__error_set(KUBE_EINVAL, NULL, "unexpected key format: \"%s\"", key);
	if (slash) {
		*ns_out = kube_strndup(key, (size_t)(slash - key));
		*name_out = kube_strdup(slash + 1);
	} else {
		*ns_out = kube_strdup("");
		*name_out = kube_strdup(key);
	}
	if (!*ns_out || !*name_out) {
		kube_free(*ns_out);
		kube_free(*name_out);
		*ns_out = *name_out = NULL;
		return kube__error_oom();
	}
	return 0;
}

/* ---- indexes ---- */

static int index_values(const cindex *ix, const kube_object *obj, kube_index_values *out)
{
	const char *v;
	int rc = 0;

	switch (ix->kind) {
	case IDX_NAMESPACE:
		if ((v = kube_object_namespace(obj)) && *v)
			rc = kube_index_values_add(out, v);
		break;
	case IDX_OWNER:
		for (size_t i = 0, n = kube_object_owner_ref_count(obj); i < n && rc == 0; i++) {
			kube_owner_ref ref;
			if (kube_object_owner_ref(obj, i, &ref) == 0 && ref.uid && *ref.uid)
				rc = kube_index_values_add(out, ref.uid);
		}
		break;
	case IDX_NODE:
		/* the store's copy of nodeName: no tree for a compact object */
		if ((v = kube__object_node_name(obj)) && *v)
			rc = kube_index_values_add(out, v);
		break;
	default:
		rc = ix->fn(obj, out, ix->userdata);
		if (rc != 0) {
			KUBE_LOG(KUBE_LOG_WARN, "informer", "index %s: %s left out (%s)", ix->name,
			         kube_object_name(obj) ? kube_object_name(obj) : "?", kube_strerror(rc));
			kube__values_clear(out);
			rc = 0;
		}
		break;
	}
	return rc;
}

static void unindex_one(cindex *ix, entry *e, valset *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		bucket *b = kube__strmap_get(&ix->buckets, vs->v[i]);
		if (b) {
			kube__strmap_remove(&b->members, e->key);
			if (b->members.count == 0) {
				kube__strmap_remove(&ix->buckets, b->value);
				kube__strmap_fini(&b->members);
				kube_free(b->value);
				kube_free(b);
			}
		}
		kube_free(vs->v[i]);
	}
	kube_free(vs->v);
	vs->v = NULL;
	vs->n = 0;
}

static void drop_values(kube_index_values *vals)
{
	kube__values_clear(vals);
	kube_free(vals->v);
	vals->v = NULL;
	vals->cap = 0;
}

static int index_with(cindex *ix, entry *e, valset *vs, kube_index_values vals);

/* Indexes e->obj in ix, recording the values in vs (empty on entry). */
static int index_one(cindex *ix, entry *e, valset *vs)
{
	kube_index_values vals = { NULL, 0, 0 };
	int rc;

	if (!ix->active)
		return 0;
	if ((rc = index_values(ix, e->obj, &vals)) != 0) {
		drop_values(&vals);
		return rc;
	}
	return index_with(ix, e, vs, vals);
}

/* Puts e in the buckets of `vals` (taken) and records them in vs. */
static int index_with(cindex *ix, entry *e, valset *vs, kube_index_values vals)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < vals.n; i++) {
		bucket *b = kube__strmap_get(&ix->buckets, vals.v[i]);
		if (!b) {
			if (!(b = kube_calloc(1, sizeof(*b))) || !(b->value = kube_strdup(vals.v[i])) ||
			    kube__strmap_put(&ix->buckets, b->value, b, NULL) != 0) {
				if (b)
					kube_free(b->value);
				kube_free(b);
				rc = kube__error_oom();
				break;
			}
		}
		if (kube__strmap_put(&b->members, e->key, e, NULL) != 0)
			rc = kube__error_oom();
	}
	/* hand the values over to vs (those indexed so far, on failure too) */
	vs->v = vals.v;
	vs->n = vals.n;
	if (rc != 0)
		unindex_one(ix, e, vs);
	return rc;
}

static void unindex(kube_informer *inf, entry *e)
{
	for (size_t i = 0; i < inf->nindexes; i++)
		unindex_one(inf->indexes[i], e, &e->vals[i]);
	kube_label_index_remove(inf->labels, e->slot);
}

static int reindex(kube_informer *inf, entry *e)
{
	int rc;

	for (size_t i = 0; i < inf->nindexes; i++)
		if ((rc = index_one(inf->indexes[i], e, &e->vals[i])) != 0)
			return rc;
	return kube_label_index_update(inf->labels, e->slot, kube_object_labels(e->obj));
}

static int add_index(kube_informer *inf, const char *name, int kind, kube_index_cb fn,
                     void *userdata, void (*destroy)(void *))
{
	cindex *ix, **v;
	size_t n = inf->nindexes;

	for (size_t i = 0; i < n; i++)
		if (strcmp(inf->indexes[i]->name, name) == 0)
			return kube__error_set(KUBE_EEXISTS, NULL, "informer %s: index \"%s\" exists",
			                       inf->resource, name);
	if (!(ix = kube_calloc(1, sizeof(*ix))) || !(ix->name = kube_strdup(name))) {
		kube_free(ix);
		return kube__error_oom();
	}
	ix->kind = kind;
	/* the node-name index reads spec, which may cost a parse of the whole
	 * object: it is built when first asked for and kept from then on */
	ix->active = kind != IDX_NODE;
	ix->fn = fn;
	ix->userdata = userdata;
	ix->destroy = destroy;
	if (!(v = kube_realloc(inf->indexes, (n + 1) * sizeof(*v))))
		goto oom;
	inf->indexes = v;
	/* every entry needs a value set for the new index */
	for (size_t i = 0; i < inf->entries.cap; i++) {
		entry *e = inf->entries.slots[i].val;
		valset *vs;
		if (!inf->entries.slots[i].key)
			continue;
		if (!(vs = kube_realloc(e->vals, (n + 1) * sizeof(*vs))))
			goto oom;
		e->vals = vs;
		vs[n].v = NULL;
		vs[n].n = 0;
	}
	for (size_t i = 0; i < inf->entries.cap; i++) {
		entry *e = inf->entries.slots[i].val;
		int rc;
		if (inf->entries.slots[i].key && (rc = index_one(ix, e, &e->vals[n])) != 0) {
			for (size_t j = 0; j < inf->entries.cap; j++) {
				entry *f = inf->entries.slots[j].val;
				if (inf->entries.slots[j].key)
					unindex_one(ix, f, &f->vals[n]);
			}
			kube__strmap_fini(&ix->buckets);
			kube_free(ix->name);
			kube_free(ix);
			return rc;
		}
	}
	inf->indexes[n] = ix;
	inf->nindexes = n + 1;
	return 0;
oom:
	kube_free(ix->name);
	kube_free(ix);
	return kube__error_oom();
}

int kube_informer_add_index(kube_informer *inf, const char *name, kube_index_cb fn,
                            void *userdata, void (*destroy)(void *))
{
	KUBE_CHECK_ARG(inf);
	KUBE_CHECK_ARG(name && *name);
	KUBE_CHECK_ARG(fn);
	return add_index(inf, name, IDX_CUSTOM, fn, userdata, destroy);
}

/* ---- life cycle ---- */

int kube_informer_new(kube_informer **out, kube_store *store, const char *resource,
                      const kube_informer_options *opts)
{
	kube_informer_options def = KUBE_INFORMER_OPTIONS_INIT;
	kube_informer *inf;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(resource && *resource);
	if (!opts)
		opts = &def;
	if (opts->version == 0 || opts->version > KUBE_INFORMER_OPTIONS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL, "kube_informer_new: unknown options version %u",
		                       opts->version);
	if (opts->label_selector && *opts->label_selector) {
		kube_selector *sel;
		if ((rc = kube_selector_parse(&sel, opts->label_selector)) != 0)
			return rc;
		kube_selector_free(sel);
	}
	if (opts->field_selector && *opts->field_selector) {
		kube_field_selector *fs;
		if ((rc = kube_field_selector_parse(&fs, opts->field_selector)) != 0)
			return rc;
		kube_field_selector_free(fs);
	}
	if (!(inf = kube_calloc(1, sizeof(*inf))))
		return kube__error_oom();
	inf->store = store;
	inf->resync_ms = opts->resync_ms;
	if (!(inf->resource = kube_strdup(resource)) ||
	    (opts->namespace_ && !(inf->namespace_ = kube_strdup(opts->namespace_))) ||
	    (opts->label_selector && !(inf->label_selector = kube_strdup(opts->label_selector))) ||
	    (opts->field_selector && !(inf->field_selector = kube_strdup(opts->field_selector))) ||
	    kube_label_index_new(&inf->labels) != 0) {
		kube_informer_free(inf);
		return kube__error_oom();
	}
	if ((rc = add_index(inf, KUBE_INFORMER_INDEX_NAMESPACE, IDX_NAMESPACE, NULL, NULL, NULL)) ||
	    (rc = add_index(inf, KUBE_INFORMER_INDEX_OWNER, IDX_OWNER, NULL, NULL, NULL)) ||
	    (rc = add_index(inf, KUBE_INFORMER_INDEX_NODE_NAME, IDX_NODE, NULL, NULL, NULL))) {
		kube_informer_free(inf);
		return rc;
	}
	*out = inf;
	return 0;
}

static void free_entry(kube_informer *inf, entry *e)
{
	unindex(inf, e);
	inf->slots[e->slot] = NULL;
	inf->free_slots[inf->nfree++] = e->slot;
	kube_object_unref(e->obj);
	kube_free(e->vals);
	kube_free(e->key);
	kube_free(e);
}

void kube_informer_free(kube_informer *inf)
{
	if (!inf)
		return;
	kube_watch_cancel(inf->watch);
	kube_timer_free(inf->resync_timer);
	kube_timer_free(inf->retry_timer);
	for (size_t i = 0; i < inf->entries.cap; i++)
		if (inf->entries.slots[i].key)
			free_entry(inf, inf->entries.slots[i].val);
	kube__strmap_fini(&inf->entries);
	for (size_t i = 0; i < inf->nindexes; i++) {
		cindex *ix = inf->indexes[i];
		kube__strmap_fini(&ix->buckets);
		if (ix->destroy)
			ix->destroy(ix->userdata);
		kube_free(ix->name);
		kube_free(ix);
	}
	kube_free(inf->indexes);
	for (size_t i = 0; i < inf->nhandlers; i++) {
		kube_informer_handler *h = inf->handlers[i];
		if (h->destroy)
			h->destroy(h->userdata);
		kube_free(h);
	}
	kube_free(inf->handlers);
	kube_label_index_free(inf->labels);
	kube_free(inf->slots);
	kube_free(inf->free_slots);
	kube_free(inf->resource);
	kube_free(inf->namespace_);
	kube_free(inf->label_selector);
	kube_free(inf->field_selector);
	kube_free(inf);
}

/* ---- handlers ---- */

static void sweep_handlers(kube_informer *inf)
{
	size_t j = 0;

	if (inf->dispatching || !inf->handlers_dead)
		return;
	for (size_t i = 0; i < inf->nhandlers; i++) {
		kube_informer_handler *h = inf->handlers[i];
		if (h->dead) {
			if (h->destroy)
				h->destroy(h->userdata);
			kube_free(h);
		} else {
			inf->handlers[j++] = h;
		}
	}
	inf->nhandlers = j;
	inf->handlers_dead = 0;
}

enum { EV_ADD, EV_UPDATE, EV_DELETE };

static void dispatch(kube_informer *inf, int type, kube_object *old, kube_object *obj, int flag)
{
	inf->dispatching++;
	/* by index, re-reading the array: handlers may add handlers */
	for (size_t i = 0; i < inf->nhandlers; i++) {
		kube_informer_handler *h = inf->handlers[i];
		if (h->dead)
			continue;
		if (type == EV_ADD && h->h.on_add)
			h->h.on_add(inf, obj, flag, h->userdata);
		else if (type == EV_UPDATE && h->h.on_update)
			h->h.on_update(inf, old, obj, h->userdata);
		else if (type == EV_DELETE && h->h.on_delete)
			h->h.on_delete(inf, obj, flag, h->userdata);
	}
	inf->dispatching--;
	sweep_handlers(inf);
}

int kube_informer_add_handler(kube_informer_handler **out, kube_informer *inf,
                              const kube_informer_handlers *handlers, void *userdata,
                              void (*destroy)(void *))
{
	kube_informer_handler *h;

	if (out)
		*out = NULL;
	KUBE_CHECK_ARG(inf);
	KUBE_CHECK_ARG(handlers);
	if (handlers->version == 0 || handlers->version > KUBE_INFORMER_HANDLERS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_informer_add_handler: unknown handlers version %u",
		                       handlers->version);
	if (inf->nhandlers == inf->handlers_cap) {
		size_t cap = inf->handlers_cap ? inf->handlers_cap * 2 : 4;
		kube_informer_handler **v = kube_realloc(inf->handlers, cap * sizeof(*v));
		if (!v)
			return kube__error_oom();
		inf->handlers = v;
		inf->handlers_cap = cap;
	}
	if (!(h = kube_calloc(1, sizeof(*h))))
		return kube__error_oom();
	h->h = *handlers;
	h->userdata = userdata;
	h->destroy = destroy;
	inf->handlers[inf->nhandlers++] = h;
	if (out)
		*out = h;
	if (inf->synced && h->h.on_add) {
		/* replay the cache to the late handler alone, in key order */
		kube_object_list *l = NULL;
		if (kube_informer_list(&l, inf, NULL, NULL) == 0) {
			inf->dispatching++;
			for (size_t i = 0; i < kube_object_list_count(l) && !h->dead; i++)
				h->h.on_add(inf, kube_object_list_get(l, i), 1, h->userdata);
			inf->dispatching--;
			kube_object_list_free(l);
			sweep_handlers(inf);
		}
	}
	return 0;
}

void kube_informer_remove_handler(kube_informer *inf, kube_informer_handler *h)
{
	if (!inf || !h)
		return;
	h->dead = 1;
	inf->handlers_dead = 1;
	sweep_handlers(inf);
}

/* ---- the cache ---- */

static int new_slot(kube_informer *inf, uint32_t *out)
{
	if (inf->nfree > 0) {
		*out = inf->free_slots[--inf->nfree];
		return 0;
	}
	if (inf->nslots == inf->slots_cap) {
		uint32_t cap = inf->slots_cap ? inf->slots_cap * 2 : 64;
		entry **s = kube_realloc(inf->slots, cap * sizeof(*s));
		uint32_t *f;
		if (!s)
			return kube__error_oom();
		inf->slots = s;
		if (!(f = kube_realloc(inf->free_slots, cap * sizeof(*f))))
			return kube__error_oom();
		inf->free_slots = f;
		inf->slots_cap = cap;
	}
	*out = inf->nslots++;
	return 0;
}

static int same_values(const kube_index_values *a, const valset *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	return 1;
}

/* An object changed: only the index buckets whose values changed move
 * (most updates are status writes that change no index value). */
static int update_indexes(kube_informer *inf, entry *e, const kube_object *old)
{
	int rc;

	if (old == e->obj)
		return 0;
	for (size_t i = 0; i < inf->nindexes; i++) {
		cindex *ix = inf->indexes[i];
		kube_index_values vals = { NULL, 0, 0 };
		if (!ix->active)
			continue;
		if ((rc = index_values(ix, e->obj, &vals)) != 0) {
			drop_values(&vals);
			return rc;
		}
		if (same_values(&vals, &e->vals[i])) {
			drop_values(&vals);
			continue;
		}
		unindex_one(ix, e, &e->vals[i]);
		if ((rc = index_with(ix, e, &e->vals[i], vals)) != 0)
			return rc;
	}
	if (kube_labels_equal(kube_object_labels(old), kube_object_labels(e->obj)))
		return 0;
	return kube_label_index_update(inf->labels, e->slot, kube_object_labels(e->obj));
}

/* Puts obj in the cache.  *old receives the replaced object (a reference
 * the caller drops), NULL when it is new. */
static int cache_put(kube_informer *inf, kube_object *obj, kube_object **old, entry **out)
{
	char *key;
	entry *e;
	int rc;

	*old = NULL;
	if ((rc = kube_object_cache_key(&key, obj)) != 0)
		return rc;
	if ((e = kube__strmap_get(&inf->entries, key)) != NULL) {
		kube_free(key);
		*old = e->obj;
		e->obj = kube_object_ref(obj);
		if (out)
			*out = e;
		return update_indexes(inf, e, *old);
	}
	if (!(e = kube_calloc(1, sizeof(*e))) ||
	    (inf->nindexes && !(e->vals = kube_calloc(inf->nindexes, sizeof(*e->vals))))) {
		kube_free(e);
		kube_free(key);
		return kube__error_oom();
	}
	e->key = key;
	if ((rc = new_slot(inf, &e->slot)) != 0 ||
	    (rc = kube__strmap_put(&inf->entries, e->key, e, NULL)) != 0) {
		kube_free(e->vals);
		kube_free(e->key);
		kube_free(e);
		return rc;
	}
	inf->slots[e->slot] = e;
	e->obj = kube_object_ref(obj);
	if (out)
		*out = e;
	if ((rc = reindex(inf, e)) != 0) {
		kube__strmap_remove(&inf->entries, e->key);
		free_entry(inf, e);
	}
	return rc;
}

static void apply_event(kube_informer *inf, kube_watch_event_type type, kube_object *obj)
{
	kube_object *old = NULL;
	entry *e;
	char *key;

	if (type == KUBE_WATCH_DELETED) {
		if (kube_object_cache_key(&key, obj) != 0)
			return;
		e = kube__strmap_remove(&inf->entries, key);
		kube_free(key);
		if (!e)
			return;
		old = kube_object_ref(e->obj);
		free_entry(inf, e);
		/* the event's object: the last state, at the deletion's revision */
		dispatch(inf, EV_DELETE, NULL, obj, 0);
		kube_object_unref(old);
		return;
	}
	if (cache_put(inf, obj, &old, NULL) != 0) {
		KUBE_LOG(KUBE_LOG_ERROR, "informer", "%s: cannot cache %s: %s", inf->resource,
		         kube_object_name(obj), kube_error_last() ? kube_error_last()->message : "");
		kube_object_unref(old);
		return;
	}
	if (old)
		dispatch(inf, EV_UPDATE, old, obj, 0);
	else
		dispatch(inf, EV_ADD, NULL, obj, 0);
	kube_object_unref(old);
}

static void retry_cb(kube_timer *t, void *userdata)
{
	kube_informer *inf = userdata;

	KUBE_UNUSED(t);
	if (!inf->watch && relist(inf) != 0)
		kube_timer_start(inf->retry_timer, 1000, 0);
}

static void schedule_retry(kube_informer *inf)
{
	if (!inf->retry_timer &&
	    kube_timer_new(&inf->retry_timer, inf->store->loop, retry_cb, inf, NULL) != 0)
		return;
	kube_timer_start(inf->retry_timer, 1000, 0);
}

/* The watch is over (the store ended it, or closed): list again. */
static void watch_ended(kube_informer *inf, int code)
{
	if (code == KUBE_ECANCELED)
		return;
	KUBE_LOG(KUBE_LOG_INFO, "informer", "%s: watch ended (%s), listing again", inf->resource,
	         kube_strerror(code));
	if (relist(inf) != 0)
		schedule_retry(inf);
}

static void watch_cb(kube_watch *w, const kube_watch_event *ev, void *userdata)
{
	kube_informer *inf = userdata;

	KUBE_UNUSED(w);
	switch (ev->type) {
	case KUBE_WATCH_ADDED:
	case KUBE_WATCH_MODIFIED:
	case KUBE_WATCH_DELETED:
		inf->revision = ev->revision;
		apply_event(inf, ev->type, ev->object);
		break;
	case KUBE_WATCH_BOOKMARK:
		inf->revision = ev->revision;
		break;
	case KUBE_WATCH_ERROR:
		/* the store frees the watch after this callback */
		inf->watch = NULL;
		watch_ended(inf, ev->error);
		break;
	}
}

void kube__informer_watch_ended(kube_informer *inf, int code)
{
	kube_watch_cancel(inf->watch);
	inf->watch = NULL;
	watch_ended(inf, code);
}

static int cmp_entries(const void *a, const void *b)
{
	const entry *x = *(entry *const *)a, *y = *(entry *const *)b;
	return strcmp(x->key, y->key);
}

/* The live entries, sorted by key (a new array; *n its length). */
static entry **sorted_entries(const kube_informer *inf, size_t *n)
{
	entry **v = kube_malloc((inf->entries.count ? inf->entries.count : 1) * sizeof(*v));
	size_t k = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < inf->entries.cap; i++)
		if (inf->entries.slots[i].key)
			v[k++] = inf->entries.slots[i].val;
	qsort(v, k, sizeof(*v), cmp_entries);
	*n = k;
	return v;
}

/* Lists and makes the cache equal to the list (Replace), then watches. */
static int relist(kube_informer *inf)
{
	kube_list_options lo = KUBE_LIST_OPTIONS_INIT;
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	kube_object_list *l = NULL;
	int64_t rev = 0;
	uint64_t gen = inf->lists + 1;
	int initial = !inf->synced;
	entry **gone;
	size_t ngone = 0;
	int rc;

	lo.namespace_ = inf->namespace_;
	lo.label_selector = inf->label_selector;
	lo.field_selector = inf->field_selector;
	if ((rc = kube_store_list(&l, inf->store, inf->resource, &lo, &rev, NULL)) != 0)
		return rc;
	wo.namespace_ = inf->namespace_;
	wo.label_selector = inf->label_selector;
	wo.field_selector = inf->field_selector;
	wo.revision = rev;
	if ((rc = kube_store_watch(&inf->watch, inf->store, inf->resource, &wo, watch_cb, inf,
	                           NULL)) != 0) {
		inf->watch = NULL;
		kube_object_list_free(l);
		return rc;
	}
	inf->lists = gen;
	inf->revision = rev;
	for (size_t i = 0, n = kube_object_list_count(l); i < n; i++) {
		kube_object *obj = kube_object_list_get(l, i), *old = NULL;
		entry *e = NULL;
		if (cache_put(inf, obj, &old, &e) != 0) {
			kube_object_unref(old);
			continue;
		}
		e->seen = gen;
		if (old)
			dispatch(inf, EV_UPDATE, old, obj, 0);
		else
			dispatch(inf, EV_ADD, NULL, obj, 1);
		kube_object_unref(old);
	}
	kube_object_list_free(l);
	inf->synced = 1;
	if (initial)
		return 0;
	/* what the list lacks went while the watch was down */
	if (!(gone = sorted_entries(inf, &ngone)))
		return 0;
	for (size_t i = 0; i < ngone; i++) {
		entry *e = gone[i];
		kube_object *last;
		if (e->seen == gen)
			continue;
		kube__strmap_remove(&inf->entries, e->key);
		last = kube_object_ref(e->obj);
		free_entry(inf, e);
		dispatch(inf, EV_DELETE, NULL, last, 1);
		kube_object_unref(last);
	}
	kube_free(gone);
	return 0;
}

static void resync_cb(kube_timer *t, void *userdata)
{
	KUBE_UNUSED(t);
	kube_informer_resync(userdata);
}

int kube_informer_start(kube_informer *inf)
{
	int rc;

	KUBE_CHECK_ARG(inf);
	if (inf->started)
		return kube__error_set(KUBE_EINVAL, NULL, "informer %s: already started", inf->resource);
	if (inf->resync_ms) {
		if ((rc = kube_timer_new(&inf->resync_timer, inf->store->loop, resync_cb, inf, NULL)) != 0)
			return rc;
		if ((rc = kube_timer_start(inf->resync_timer, inf->resync_ms, inf->resync_ms)) != 0) {
			kube_timer_free(inf->resync_timer);
			inf->resync_timer = NULL;
			return rc;
		}
	}
	if ((rc = relist(inf)) != 0) {
		kube_timer_free(inf->resync_timer);
		inf->resync_timer = NULL;
		return rc;
	}
	inf->started = 1;
	return 0;
}

int kube_informer_has_synced(const kube_informer *inf)
{
	return inf ? inf->synced : 0;
}

int kube_informer_resync(kube_informer *inf)
{
	entry **v;
	size_t n = 0;

	KUBE_CHECK_ARG(inf);
	if (!(v = sorted_entries(inf, &n)))
		return kube__error_oom();
	/* hold the objects: a handler may change the cache under us */
	for (size_t i = 0; i < n; i++)
		v[i] = (entry *)kube_object_ref(v[i]->obj);
	for (size_t i = 0; i < n; i++) {
		kube_object *o = (kube_object *)v[i];
		dispatch(inf, EV_UPDATE, o, o, 0);
	}
	for (size_t i = 0; i < n; i++)
		kube_object_unref((kube_object *)v[i]);
	kube_free(v);
	return 0;
}

uint64_t kube_informer_list_count(const kube_informer *inf)
{
	return inf ? inf->lists : 0;
}

const char *kube_informer_resource(const kube_informer *inf)
{
	return inf ? inf->resource : NULL;
}

size_t kube_informer_count(const kube_informer *inf)
{
	return inf ? inf->entries.count : 0;
}

kube_object *kube_informer_get_by_key(const kube_informer *inf, const char *key)
{
	entry *e;

	if (!inf || !key)
		return NULL;
	e = kube__strmap_get(&inf->entries, key);
	return e ? e->obj : NULL;
}

kube_object *kube_informer_get(const kube_informer *inf, const char *namespace_,
                               const char *name)
{
	char buf[512];

	if (!inf || !name)
		return NULL;
	if (namespace_ && *namespace_) {
		int n = snprintf(buf, sizeof(buf), "%s/%s", namespace_, name);
		if (n < 0 || (size_t)n >= sizeof(buf))
			return NULL;   /* longer than any valid namespace/name */
		return kube_informer_get_by_key(inf, buf);
	}
	return kube_informer_get_by_key(inf, name);
}

static int list_from(kube_object_list **out, entry **v, size_t n)
{
	kube_object_list *l;
	int rc;

	qsort(v, n, sizeof(*v), cmp_entries);
	if ((rc = kube_object_list_new(&l)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = kube_object_list_append(l, v[i]->obj)) != 0) {
			kube_object_list_free(l);
			return rc;
		}
	*out = l;
	return 0;
}

static cindex *find_index(const kube_informer *inf, const char *name, size_t *pos)
{
	for (size_t i = 0; i < inf->nindexes; i++)
		if (strcmp(inf->indexes[i]->name, name) == 0) {
			if (pos)
				*pos = i;
			return inf->indexes[i];
		}
	return NULL;
}

/* Builds a lazy index over what is cached (reads change nothing else: the
 * informer belongs to one thread). */
static int activate(kube_informer *inf, cindex *ix, size_t pos)
{
	int rc;

	if (ix->active)
		return 0;
	ix->active = 1;
	for (size_t i = 0; i < inf->entries.cap; i++) {
		entry *e = inf->entries.slots[i].val;
		if (inf->entries.slots[i].key && (rc = index_one(ix, e, &e->vals[pos])) != 0) {
			for (size_t j = 0; j < inf->entries.cap; j++) {
				entry *f = inf->entries.slots[j].val;
				if (inf->entries.slots[j].key)
					unindex_one(ix, f, &f->vals[pos]);
			}
			ix->active = 0;
			return rc;
		}
	}
	return 0;
}

static entry **bucket_entries(const kube__strmap *members, size_t *n)
{
	entry **v = kube_malloc((members->count ? members->count : 1) * sizeof(*v));
	size_t k = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < members->cap; i++)
		if (members->slots[i].key)
			v[k++] = members->slots[i].val;
	*n = k;
	return v;
}

int kube_informer_list(kube_object_list **out, const kube_informer *inf,
                       const char *namespace_, const kube_selector *sel)
{
	entry **v = NULL;
	size_t n = 0;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(inf);
	if (sel && kube_selector_matches_nothing(sel))
		return kube_object_list_new(out);
	if (sel && !kube_selector_empty(sel)) {
		uint32_t *ids = NULL;
		size_t nids = 0, k = 0;
		if ((rc = kube_label_index_select(inf->labels, sel, &ids, &nids)) != 0)
			return rc;
		if (!(v = kube_malloc((nids ? nids : 1) * sizeof(*v)))) {
			kube_free(ids);
			return kube__error_oom();
		}
		for (size_t i = 0; i < nids; i++) {
			entry *e = inf->slots[ids[i]];
			const char *ns = kube_object_namespace(e->obj);
			if (namespace_ && *namespace_ && (!ns || strcmp(ns, namespace_) != 0))
				continue;
			v[k++] = e;
		}
		kube_free(ids);
		n = k;
	} else if (namespace_ && *namespace_) {
		const cindex *ix = find_index(inf, KUBE_INFORMER_INDEX_NAMESPACE, NULL);
		const bucket *b = kube__strmap_get(&ix->buckets, namespace_);
		static const kube__strmap empty = KUBE__STRMAP_INIT;
		if (!(v = bucket_entries(b ? &b->members : &empty, &n)))
			return kube__error_oom();
	} else if (!(v = bucket_entries(&inf->entries, &n))) {
		return kube__error_oom();
	}
	rc = list_from(out, v, n);
	kube_free(v);
	return rc;
}

int kube_informer_by_index(kube_object_list **out, const kube_informer *inf, const char *name,
                           const char *value)
{
	static const kube__strmap empty = KUBE__STRMAP_INIT;
	cindex *ix;
	const bucket *b;
	entry **v;
	size_t n = 0, pos = 0;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(inf);
	KUBE_CHECK_ARG(name);
	KUBE_CHECK_ARG(value);
	if (!(ix = find_index(inf, name, &pos)))
		return kube__error_set(KUBE_ENOTFOUND, NULL, "informer %s: no index \"%s\"",
		                       inf->resource, name);
	if ((rc = activate((kube_informer *)inf, ix, pos)) != 0)
		return rc;
	b = kube__strmap_get(&ix->buckets, value);
	if (!(v = bucket_entries(b ? &b->members : &empty, &n)))
		return kube__error_oom();
	rc = list_from(out, v, n);
	kube_free(v);
	return rc;
}

/* ---- the factory ---- */

int kube_informer_factory_new(kube_informer_factory **out, kube_store *store, uint64_t resync_ms)
{
	kube_informer_factory *f;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(store);
	if (!(f = kube_calloc(1, sizeof(*f))))
		return kube__error_oom();
	f->store = store;
	f->resync_ms = resync_ms;
	*out = f;
	return 0;
}

void kube_informer_factory_free(kube_informer_factory *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		kube_informer_free(f->informers[i]);
	kube_free(f->informers);
	kube_free(f);
}

int kube_informer_factory_get(kube_informer **out, kube_informer_factory *f, const char *resource)
{
	kube_informer_options o = KUBE_INFORMER_OPTIONS_INIT;
	kube_informer *inf;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(f);
	KUBE_CHECK_ARG(resource && *resource);
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->informers[i]->resource, resource) == 0) {
			*out = f->informers[i];
			return 0;
		}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		kube_informer **v = kube_realloc(f->informers, cap * sizeof(*v));
		if (!v)
			return kube__error_oom();
		f->informers = v;
		f->cap = cap;
	}
	o.resync_ms = f->resync_ms;
	if ((rc = kube_informer_new(&inf, f->store, resource, &o)) != 0)
		return rc;
	if (f->started && (rc = kube_informer_start(inf)) != 0) {
		kube_informer_free(inf);
		return rc;
	}
	f->informers[f->n++] = inf;
	*out = inf;
	return 0;
}

int kube_informer_factory_start(kube_informer_factory *f)
{
	int rc;

	KUBE_CHECK_ARG(f);
	f->started = 1;
	for (size_t i = 0; i < f->n; i++)
		if (!f->informers[i]->started && (rc = kube_informer_start(f->informers[i])) != 0)
			return rc;
	return 0;
}

size_t kube_informer_factory_count(const kube_informer_factory *f)
{
	return f ? f->n : 0;
}
