/*
 * informer.h - a store's objects of one resource, cached and indexed, with
 * change handlers: client-go's SharedIndexInformer.
 *
 * An informer lists a resource from a kube_store, then watches it from the
 * list's revision, keeping a local cache that handlers and reconcilers read
 * without touching the store.  Each change calls the registered handlers:
 *
 *   on_add(obj, initial)        an object appeared (initial: from a list)
 *   on_update(old, new)         it changed; also every resync_ms with
 *                               old == new (periodic resync)
 *   on_delete(obj, unknown)     it went; unknown = 1 when a re-list found it
 *                               gone, so obj is the last state the cache saw
 *                               (client-go's DeletedFinalStateUnknown)
 *
 * When the watch ends (KUBE_EGONE: the events it needed left the store's
 * history; KUBE_EBUSY: it fell behind), the informer lists again and makes
 * the cache equal to the list, calling on_add for new objects, on_update for
 * objects whose resourceVersion changed and on_delete(unknown = 1) for
 * objects that went, then watches from the new list's revision.
 *
 * The cache is indexed by namespace, labels, owner uid and node name, and
 * by any index function the caller adds (the same kube_index_cb as the
 * store's).  Objects handed out are the store's frozen objects (shared).
 *
 * A factory keeps one informer per resource so that several controllers
 * share one cache and one watch.
 *
 * Threading: an informer belongs to its store's loop thread; every call is
 * made on it, and handlers run on it (from the loop, or inside
 * kube_informer_start / add_handler for objects already cached).
 */
#ifndef LIBKUBE_INFORMER_H
#define LIBKUBE_INFORMER_H

#include "common.h"
#include "labels.h"
#include "object.h"
#include "store.h"

KUBE_BEGIN_DECLS

typedef struct kube_informer kube_informer;
typedef struct kube_informer_handler kube_informer_handler;
typedef struct kube_informer_factory kube_informer_factory;

/* The built-in cache indexes (kube_informer_by_index). */
#define KUBE_INFORMER_INDEX_NAMESPACE "namespace"      /* metadata.namespace */
#define KUBE_INFORMER_INDEX_OWNER     "owner-uid"      /* each ownerReferences[].uid */
#define KUBE_INFORMER_INDEX_NODE_NAME "spec.nodeName"  /* spec.nodeName when set */

typedef struct kube_informer_options {
	unsigned int version;            /* KUBE_INFORMER_OPTIONS_VERSION */
	const char *namespace_;          /* NULL or "" = every namespace */
	const char *label_selector;      /* NULL or "" = everything */
	const char *field_selector;
	uint64_t resync_ms;              /* periodic resync; 0 = none */
} kube_informer_options;

#define KUBE_INFORMER_OPTIONS_VERSION 1
#define KUBE_INFORMER_OPTIONS_INIT { KUBE_INFORMER_OPTIONS_VERSION, NULL, NULL, NULL, 0 }

/* Fills opts with the defaults of `version` (for bindings).  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_informer_options_init(kube_informer_options *opts, unsigned int version);

/* Objects are borrowed for the call (kube_object_ref to keep). */
typedef struct kube_informer_handlers {
	unsigned int version;            /* KUBE_INFORMER_HANDLERS_VERSION */
	void (*on_add)(kube_informer *inf, kube_object *obj, int initial, void *userdata);
	void (*on_update)(kube_informer *inf, kube_object *old, kube_object *new_, void *userdata);
	void (*on_delete)(kube_informer *inf, kube_object *obj, int final_state_unknown,
	                  void *userdata);
} kube_informer_handlers;

#define KUBE_INFORMER_HANDLERS_VERSION 1

/*
 * A new informer over `resource` ("pods", "replicasets", ...) of store,
 * which must outlive it; opts NULL = every object, no resync.  Nothing is
 * listed before kube_informer_start.  Returns 0, KUBE_EINVAL (bad options
 * or selectors), KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_informer_new(kube_informer **out, kube_store *store, const char *resource,
                                  const kube_informer_options *opts);

/* Stops the watch and the resync timer, drops the cache, runs the handlers'
 * and indexes' destroys.  Not inside the informer's own handlers.  NULL is a
 * no-op. */
KUBE_EXTERN void kube_informer_free(kube_informer *inf);

/*
 * Registers handlers (copied); any member may be NULL.  If the informer has
 * started, on_add(obj, initial = 1) runs for each cached object inside this
 * call (client-go replays the cache to late handlers).  *out (optional) is
 * the handle for kube_informer_remove_handler.  destroy(userdata) runs when
 * the handler is removed or the informer freed.  Returns 0, KUBE_EINVAL,
 * KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_informer_add_handler(kube_informer_handler **out, kube_informer *inf,
                                          const kube_informer_handlers *handlers,
                                          void *userdata, void (*destroy)(void *));

/* Removes a handler (may be called inside a handler).  NULL is a no-op. */
KUBE_EXTERN void kube_informer_remove_handler(kube_informer *inf, kube_informer_handler *h);

/*
 * Adds a cache index computed by fn, and indexes what is cached.  Returns 0,
 * KUBE_EINVAL, KUBE_EEXISTS (name taken, built-ins included), KUBE_ENOMEM.
 * On failure destroy is not called.
 */
KUBE_EXTERN int kube_informer_add_index(kube_informer *inf, const char *name, kube_index_cb fn,
                                        void *userdata, void (*destroy)(void *));

/*
 * Lists, fills the cache (calling on_add(obj, 1) for each object, inside
 * this call), and watches from the list's revision.  Returns 0, KUBE_EINVAL
 * (already started), or the store's list/watch error (KUBE_ENOMEM, ...).
 */
KUBE_EXTERN int kube_informer_start(kube_informer *inf);

/* 1 once the first list is in the cache (client-go's HasSynced). */
KUBE_EXTERN int kube_informer_has_synced(const kube_informer *inf);

/* Runs a resync now: on_update(obj, obj) for every cached object, in key order. */
KUBE_EXTERN int kube_informer_resync(kube_informer *inf);

/* How many times the informer listed (1 after start; +1 per recovery). */
KUBE_EXTERN uint64_t kube_informer_list_count(const kube_informer *inf);

/* The resource (borrowed). */
KUBE_EXTERN const char *kube_informer_resource(const kube_informer *inf);

/* ---- the cache ---- */

/* Number of cached objects. */
KUBE_EXTERN size_t kube_informer_count(const kube_informer *inf);

/*
 * The cached object namespace_/name (namespace NULL or "" for cluster
 * scoped), borrowed: valid until control returns to the loop (the next
 * event may drop it); kube_object_ref to keep.  NULL when absent.
 */
KUBE_EXTERN kube_object *kube_informer_get(const kube_informer *inf, const char *namespace_,
                                           const char *name);

/* The same by cache key "namespace/name" (or "name"). */
KUBE_EXTERN kube_object *kube_informer_get_by_key(const kube_informer *inf, const char *key);

/*
 * The cached objects in namespace_ (NULL or "" = all) that sel matches
 * (NULL = all), in key order, as a new list (kube_object_list_free).
 * Returns 0, KUBE_EINVAL, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_informer_list(kube_object_list **out, const kube_informer *inf,
                                   const char *namespace_, const kube_selector *sel);

/*
 * The cached objects whose index `name` holds value, in key order, as a new
 * list.  Returns 0, KUBE_EINVAL, KUBE_ENOTFOUND (no such index), KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_informer_by_index(kube_object_list **out, const kube_informer *inf,
                                       const char *name, const char *value);

/*
 * The cache key of obj: "namespace/name", or "name" for cluster-scoped
 * objects (client-go's MetaNamespaceKeyFunc).  Release with kube_free.
 * Returns 0, KUBE_EINVAL, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_object_cache_key(char **out, const kube_object *obj);

/*
 * Splits a cache key into namespace and name (client-go's
 * SplitMetaNamespaceKey), as new strings (kube_free both; *ns_out is ""
 * for "name").  Returns 0, KUBE_EINVAL ("unexpected key format: \"a/b/c\""),
 * KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_cache_key_split(char **ns_out, char **name_out, const char *key);

/* ---- the shared factory ---- */

/* A factory of informers over store with resync every resync_ms (0 = none). */
KUBE_EXTERN int kube_informer_factory_new(kube_informer_factory **out, kube_store *store,
                                          uint64_t resync_ms);

/* Frees the factory and its informers.  NULL is a no-op. */
KUBE_EXTERN void kube_informer_factory_free(kube_informer_factory *f);

/*
 * The factory's informer for resource (every namespace, no selectors),
 * made on first use; borrowed, lives as long as the factory.  Informers
 * made after kube_informer_factory_start are started at once.  Returns 0,
 * KUBE_EINVAL, KUBE_ENOMEM, or the start error.
 */
KUBE_EXTERN int kube_informer_factory_get(kube_informer **out, kube_informer_factory *f,
                                          const char *resource);

/* Starts every informer not yet started (in the order they were made).
 * Returns 0 or the first failure. */
KUBE_EXTERN int kube_informer_factory_start(kube_informer_factory *f);

/* Number of informers the factory holds. */
KUBE_EXTERN size_t kube_informer_factory_count(const kube_informer_factory *f);

KUBE_END_DECLS

#endif /* LIBKUBE_INFORMER_H */
