/*
 * store.h - the object store: keys, resourceVersion, list, watch, indexes.
 *
 * Everything that changes cluster state goes through a store, as everything
 * in Kubernetes goes through the API server and etcd; components see each
 * other's changes through watches.
 *
 * Keys are "<resource>/<namespace>/<name>" ("<resource>/<name>" for
 * cluster-scoped kinds); the resource comes from the kinds registry
 * (kinds.h) by the object's apiVersion and kind.  One global revision
 * (int64) counts every write; each written object carries it as
 * metadata.resourceVersion (a decimal string).
 *
 * Objects handed back by the store are frozen and shared: a get, a list and
 * every watcher of one write see the same pointer.  To change one, take
 * kube_object_mutable(), change the copy and pass it to kube_store_update().
 * The writes that take a `const kube_object *` never keep or change the
 * object passed in: they copy it.  Their `_take` forms take the caller's
 * reference instead, and a mutable object's document becomes the stored
 * one without a copy: the way to write an object built for the purpose.
 *
 * Threading: a store belongs to its loop's thread; every kube_store_* and
 * kube_watch_* call is made on that thread.  Watch events are delivered on
 * it, from the loop, never inside the call that caused them.
 *
 * Writes come in two forms.  The synchronous ones (kube_store_create, ...)
 * return once the write is durable: on "sqlite" that is one transaction
 * and one fsync each, during which the loop waits.  The asynchronous ones
 * (kube_store_create_async, ...) queue the write and call back when it is
 * durable; writes queued together share one transaction and one fsync on
 * a worker thread (group commit).  A program that writes a lot from its
 * loop wants the asynchronous forms.  Both see the same rules and errors.
 *
 * Errors (all through kube_error_last() with upstream's messages):
 *   KUBE_EINVAL    bad argument, object without a registered kind, name or
 *                  namespace missing or unusable in a key ("." or "..",
 *                  '/' or '%' in it, not UTF-8), object over the size
 *                  limit, malformed selector or continue token
 *   KUBE_ENOTFOUND pods "x" not found
 *   KUBE_EEXISTS   pods "x" already exists
 *   KUBE_ECONFLICT Operation cannot be fulfilled on pods "x": the object has
 *                  been modified; please apply your changes to the latest
 *                  version and try again   (and failed delete preconditions)
 *   KUBE_EGONE     a watch or continue token older than the kept history
 *   KUBE_ENOSPC, KUBE_EIO  a durable backend could not write (disk full,
 *                  file size limit, I/O error): nothing was changed
 */
#ifndef LIBKUBE_STORE_H
#define LIBKUBE_STORE_H

#include "common.h"
#include "loop.h"
#include "object.h"

KUBE_BEGIN_DECLS

typedef struct kube_store kube_store;
typedef struct kube_watch kube_watch;
typedef struct kube_index_values kube_index_values;

/* etcd's request limit, which kube-apiserver inherits: 1.5 MiB of JSON. */
#define KUBE_STORE_MAX_OBJECT_BYTES ((size_t)1572864)

typedef struct kube_store_options {
	unsigned int version;            /* KUBE_STORE_OPTIONS_VERSION */
	const char *backend;             /* "memory" (also when NULL) or "sqlite" */
	const char *path;                /* data directory of durable backends
	                                    (created if missing) */
	size_t history;                  /* watch events kept for resuming (> 0) */
	size_t watch_backlog;            /* undelivered events (its own) after which a
	                                    paused watcher is ended with KUBE_EBUSY (> 0) */
	unsigned int bookmark_ms;        /* BOOKMARK period; 0 = no bookmarks */
	size_t max_object_bytes;         /* larger objects are refused; <= 1.5 MiB */
} kube_store_options;

#define KUBE_STORE_OPTIONS_VERSION 1
#define KUBE_STORE_OPTIONS_INIT \
	{ KUBE_STORE_OPTIONS_VERSION, "memory", NULL, 10000, 10000, 60000, \
	  KUBE_STORE_MAX_OBJECT_BYTES }

/* Fills opts with the defaults of `version` (for bindings).  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_store_options_init(kube_store_options *opts, unsigned int version);

/*
 * Opens a store on `loop` (which must outlive it).  opts may be NULL for the
 * defaults.  A durable backend reloads every stored object and rebuilds the
 * indexes; the revision continues from where it was.
 *
 * "sqlite" keeps <path>/store.db (WAL, synchronous=FULL): a write is
 * acknowledged (its call returns 0) only once it is on disk, so it survives
 * kill -9.  One store at a time may use a directory.
 *
 * Returns 0, KUBE_EINVAL (bad options, unknown backend, no path for
 * sqlite), KUBE_ENOMEM, KUBE_EPERM (a directory or file that may not be
 * used), KUBE_EIO (a corrupt or foreign database; an I/O error),
 * KUBE_EBUSY (another store or process holds the database), KUBE_ENOSPC.
 * Every message names the database file.
 */
KUBE_EXTERN int kube_store_open(kube_store **out, kube_loop *loop,
                                const kube_store_options *opts);

/*
 * Closes the store.  Watches still open receive a final ERROR event with
 * KUBE_ECANCELED (inside this call) and are freed.  NULL is a no-op.
 */
KUBE_EXTERN void kube_store_close(kube_store *store);

/* The store's current revision (0 before the first write). */
KUBE_EXTERN int64_t kube_store_revision(const kube_store *store);

/* ---- reading ---- */

/*
 * The object at resource/namespace/name (namespace NULL or "" for
 * cluster-scoped kinds).  *out receives a reference: kube_object_unref() it.
 * Returns 0, KUBE_EINVAL, KUBE_ENOTFOUND.
 */
KUBE_EXTERN int kube_store_get(kube_object **out, kube_store *store, const char *resource,
                               const char *namespace_, const char *name);

typedef struct kube_list_options {
	unsigned int version;            /* KUBE_LIST_OPTIONS_VERSION */
	const char *namespace_;          /* NULL or "" = every namespace */
	const char *label_selector;      /* selector text; NULL or "" = everything */
	const char *field_selector;      /* "metadata.name=x,spec.nodeName!=" ... */
	size_t limit;                    /* 0 = no limit */
	const char *continue_token;      /* from the previous page, or NULL */
	const char *index;               /* list by this index (NULL = none) ... */
	const char *index_value;         /* ... and this value */
} kube_list_options;

#define KUBE_LIST_OPTIONS_VERSION 1
#define KUBE_LIST_OPTIONS_INIT { KUBE_LIST_OPTIONS_VERSION, NULL, NULL, NULL, 0, NULL, NULL, NULL }

/*
 * Lists the objects of `resource` that match every filter in opts (may be
 * NULL), in key order.  *out receives a new list (kube_object_list_free);
 * revision (optional) the revision the list reflects; continue_token
 * (optional) a token for the next page (release with kube_free), or NULL
 * when this page is the last.  Pages after the first show the store as it
 * was at the first page's revision, as etcd-backed lists do.
 * Returns 0, KUBE_EINVAL (bad selector, unknown index, malformed token:
 * "continue key is not valid: ..."), KUBE_EGONE (the token's revision is
 * older than the kept history), KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_store_list(kube_object_list **out, kube_store *store,
                                const char *resource, const kube_list_options *opts,
                                int64_t *revision, char **continue_token);

/* ---- writing ---- */

/*
 * Stores a copy of obj under a new key: sets metadata.uid (a random UUID),
 * creationTimestamp (now, UTC, seconds), generation 1 and resourceVersion.
 * A name comes from metadata.name, or from metadata.generateName (its first
 * 58 bytes, less a character they would cut) plus five random characters,
 * drawn again while a stored object has the name (8 names at most).
 * KUBE_EEXISTS says as upstream does when the name was the server's
 * ("..., the server was not able to generate a unique name for the
 * object") and when its holder is being deleted ("object is being
 * deleted: ...").  *out (optional) receives a reference to the stored
 * object.  Returns 0, KUBE_EINVAL, KUBE_EEXISTS, KUBE_ENOMEM, a backend error.
 */
KUBE_EXTERN int kube_store_create(kube_object **out, kube_store *store, const kube_object *obj);

/*
 * Ownership-taking writes.  kube_store_create_take and kube_store_update_take
 * are kube_store_create and kube_store_update, except that obj's reference
 * passes to the store on every outcome, success or failure: the caller must
 * not use obj after the call (take a kube_object_ref first to keep it).
 * A mutable obj (from kube_object_new, _from_json, _mutable, never ref'd)
 * is not copied: the store stamps uid, creationTimestamp, generation and
 * resourceVersion in its document, which becomes the stored, frozen object
 * (*out is a new handle on it, not obj).  A frozen obj is copied as the
 * plain forms do.  This saves a deep copy of the document per write, the
 * largest cost of a write after the JSON encoding.  Errors as the plain
 * forms (KUBE_EINVAL for a NULL store or obj: a non-NULL obj is released).
 */
KUBE_EXTERN int kube_store_create_take(kube_object **out, kube_store *store, kube_object *obj);
KUBE_EXTERN int kube_store_update_take(kube_object **out, kube_store *store, kube_object *obj);

/*
 * Creates the object whose JSON is json[0..len), as a create request's
 * body: the same as kube_object_from_json and then kube_store_create_take
 * (the same stored object, *out, errors and messages), but faster for
 * JSON in the form kube_encode writes (compact: no whitespace, strings
 * without escapes, integers only, no repeated keys, maps of at most 32
 * members, no metadata.resourceVersion): such text is stored as it came,
 * with the fields a create sets spliced into metadata, and no JSON tree
 * is built (for a 2 KB pod, a third to half of the loop thread's time for
 * a create, and all of the decoding).  Any other JSON is decoded.
 * Returns as kube_store_create, or a decoding error (KUBE_EINVAL,
 * KUBE_ETOOBIG).  json is not kept.
 */
KUBE_EXTERN int kube_store_create_json(kube_object **out, kube_store *store, const char *json,
                                       size_t len);

/*
 * Replaces the stored object with a copy of obj.  A non-empty
 * metadata.resourceVersion must equal the stored one (else KUBE_ECONFLICT);
 * an empty one updates unconditionally.  uid (if set) must match.  uid,
 * creationTimestamp and deletionTimestamp are kept from the stored object;
 * generation is increased when spec changed.  An update that changes
 * nothing writes nothing and returns the stored object.  An update that
 * removes the last finalizer of an object being deleted deletes it; one
 * that adds a finalizer to it fails (KUBE_EINVAL, upstream's "no new
 * finalizers can be added if the object is being deleted, ...").
 * Returns 0, KUBE_EINVAL, KUBE_ENOTFOUND, KUBE_ECONFLICT, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_store_update(kube_object **out, kube_store *store, const kube_object *obj);

/*
 * Changes an object in place: calls mutate with a private mutable copy of
 * the current object, writes it, and on a conflict starts again from the
 * fresh object (up to 64 times).  mutate returns 0 to write, or an error
 * code, which kube_store_guaranteed_update returns without writing.
 */
typedef int (*kube_store_mutate_cb)(kube_object *obj, void *userdata);

KUBE_EXTERN int kube_store_guaranteed_update(kube_object **out, kube_store *store,
                                             const char *resource, const char *namespace_,
                                             const char *name, kube_store_mutate_cb mutate,
                                             void *userdata);

typedef struct kube_delete_options {
	unsigned int version;            /* KUBE_DELETE_OPTIONS_VERSION */
	const char *uid;                 /* precondition, or NULL */
	const char *resource_version;    /* precondition, or NULL */
} kube_delete_options;

#define KUBE_DELETE_OPTIONS_VERSION 1
#define KUBE_DELETE_OPTIONS_INIT { KUBE_DELETE_OPTIONS_VERSION, NULL, NULL }

/*
 * Deletes an object.  With finalizers present it only sets
 * deletionTimestamp (and deletionGracePeriodSeconds 0, and generation + 1
 * as upstream's markAsDeleting): a MODIFIED event;
 * the object goes when an update removes the last finalizer.  Deleting an
 * object already being deleted changes nothing.  *out (optional) receives
 * the last state of the object.  opts may be NULL.
 * Returns 0, KUBE_EINVAL, KUBE_ENOTFOUND, KUBE_ECONFLICT (a precondition
 * failed, in upstream's words for a delete: "Operation cannot be fulfilled
 * on Pod \"x\": the UID in the precondition (a) does not match the UID in
 * record (b). The object might have been deleted and then recreated"),
 * KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_store_delete(kube_object **out, kube_store *store, const char *resource,
                                  const char *namespace_, const char *name,
                                  const kube_delete_options *opts);

/* ---- subresources: /status and pods/binding ----
 *
 * What kube-apiserver's status subresource and a pod's binding do: change
 * one part of a stored object and keep the rest.  The store edits the
 * object's stored text, which costs a fraction of a whole update: a
 * kubelet's status write or a scheduler's bind is one of these per pod.
 * Preconditions, when set, must match the stored object (uid, and
 * resourceVersion for a write that must not follow another unseen);
 * a mismatch is KUBE_ECONFLICT, with kube_store_delete's messages.
 */
typedef struct kube_preconditions {
	unsigned int version;            /* KUBE_PRECONDITIONS_VERSION */
	const char *uid;                 /* or NULL */
	const char *resource_version;    /* or NULL */
} kube_preconditions;

#define KUBE_PRECONDITIONS_VERSION 1
#define KUBE_PRECONDITIONS_INIT { KUBE_PRECONDITIONS_VERSION, NULL, NULL }

/*
 * Replaces the status of a stored object with status_json (a JSON map)
 * and keeps everything else (spec, metadata, generation), as an update of
 * /status does.  A status equal to the stored one writes nothing and
 * returns the stored object.  Only for the built-in resources upstream
 * serves a /status for (pods, nodes, namespaces, services, deployments,
 * replicasets, jobs, ...); others fail with KUBE_ENOTFOUND, "the server
 * could not find the requested resource (configmaps/status)".  pre may be
 * NULL.  Returns 0, KUBE_EINVAL (status_json is not one JSON map:
 * "status: ..."; an unknown resource), KUBE_ETOOBIG (the status nests
 * deeper than 255: the object would not decode), KUBE_ENOTFOUND,
 * KUBE_ECONFLICT, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_store_update_status(kube_object **out, kube_store *store,
                                         const char *resource, const char *namespace_,
                                         const char *name, const char *status_json,
                                         const kube_preconditions *pre);

/*
 * Binds a pod to a node, as a Binding posted to pods/<name>/binding does:
 * spec.nodeName becomes node (generation + 1, as for any change of spec)
 * and the PodScheduled condition becomes True (replacing one there, as
 * upstream's UpdatePodCondition: one True already keeps its
 * lastTransitionTime).  Fails with KUBE_ECONFLICT when the pod is
 * assigned already ('Operation cannot be fulfilled on pods/binding "p":
 * pod p is already assigned to node "n"') or being deleted ('... pod p is
 * being deleted, cannot be assigned to a host'), KUBE_ENOTFOUND without
 * the pod, and KUBE_EINVAL for a node name that is empty or not UTF-8.
 * Whether the node exists is not checked (upstream does not either).  pre
 * may be NULL.
 */
KUBE_EXTERN int kube_store_bind(kube_object **out, kube_store *store, const char *namespace_,
                                const char *name, const char *node,
                                const kube_preconditions *pre);

/* ---- asynchronous writes (group commit) ----
 *
 * The same writes, queued: each is checked and applied exactly as its
 * synchronous form would be at the moment its turn comes, but writes
 * queued together are made durable in batches (one SQLite transaction and
 * one fsync each, on a worker thread), so many writes in flight cost
 * about one fsync per batch instead of one per write.  Up to two batches
 * are in flight, so a burst queued at once may go as two transactions: a
 * backend failure fails every write of its batch, and only those.  Writes
 * apply, get their revisions and call back in the order they were queued.
 *
 * cb runs on the loop thread once the write is durable (or failed), never
 * inside the call: status is 0 or what the synchronous call would have
 * returned (kube_error_last() has the message); obj (borrowed; ref to keep)
 * is the stored object, for a delete its last state, NULL on failure.
 * Closing the store runs the callbacks of writes in flight and fails the
 * queued ones with KUBE_ECANCELED.  The object is copied (or, if frozen,
 * shared) at the call; the `_take` forms take the caller's reference
 * instead, on every outcome, and write a mutable object's document without
 * copying it (as kube_store_create_take).  Returns 0, KUBE_EINVAL or
 * KUBE_ENOMEM (then cb never runs and destroy is not called).
 */
typedef void (*kube_store_write_cb)(int status, kube_object *obj, void *userdata);

KUBE_EXTERN int kube_store_create_async(kube_store *store, const kube_object *obj,
                                        kube_store_write_cb cb, void *userdata,
                                        void (*destroy)(void *));
KUBE_EXTERN int kube_store_update_async(kube_store *store, const kube_object *obj,
                                        kube_store_write_cb cb, void *userdata,
                                        void (*destroy)(void *));
KUBE_EXTERN int kube_store_create_async_take(kube_store *store, kube_object *obj,
                                             kube_store_write_cb cb, void *userdata,
                                             void (*destroy)(void *));
KUBE_EXTERN int kube_store_update_async_take(kube_store *store, kube_object *obj,
                                             kube_store_write_cb cb, void *userdata,
                                             void (*destroy)(void *));
/* kube_store_create_json, queued: a decoding error is returned here (cb
 * never runs, destroy is not called), as for an object that failed to
 * decode before kube_store_create_async_take. */
KUBE_EXTERN int kube_store_create_json_async(kube_store *store, const char *json, size_t len,
                                             kube_store_write_cb cb, void *userdata,
                                             void (*destroy)(void *));
KUBE_EXTERN int kube_store_update_status_async(kube_store *store, const char *resource,
                                               const char *namespace_, const char *name,
                                               const char *status_json,
                                               const kube_preconditions *pre,
                                               kube_store_write_cb cb, void *userdata,
                                               void (*destroy)(void *));
KUBE_EXTERN int kube_store_delete_async(kube_store *store, const char *resource,
                                        const char *namespace_, const char *name,
                                        const kube_delete_options *opts, kube_store_write_cb cb,
                                        void *userdata, void (*destroy)(void *));

/* ---- admission ----
 *
 * What kube-apiserver's admission chain does between a request and
 * storage: a caller-supplied check that may refuse a write (ResourceQuota
 * is one, controllers.h).  Hooks run on the loop thread when a write's
 * turn comes, after the store's own checks (exists, conflict,
 * preconditions, size) and before anything is written, one write at a time in
 * the order the writes apply; writes batched for one commit are each
 * checked before the first of them is applied, so a hook that counts must
 * count what it admitted itself.  An admitted write may still fail later
 * (a durable backend's I/O error); an update that changes nothing, and
 * a delete of an object already being deleted, are not shown to hooks.
 */

typedef enum kube_admission_operation {
	KUBE_ADMISSION_CREATE = 1,
	KUBE_ADMISSION_UPDATE = 2,
	KUBE_ADMISSION_DELETE = 3
} kube_admission_operation;

typedef struct kube_admission_request {
	kube_admission_operation operation;
	const char *resource;            /* "pods", "deployments" */
	const char *namespace_;          /* NULL for cluster-scoped kinds */
	const char *name;                /* generated already for generateName */
	/* The state to be written (create, update; with uid, creationTimestamp
	 * and generation as they will be stored, without resourceVersion), or
	 * NULL for a delete; the stored state (update, delete) or NULL for a
	 * create.  Both are valid during the call only: do not keep a
	 * reference (the new state is the store's tree, changed as it
	 * applies). */
	const kube_object *object;
	const kube_object *old;
} kube_admission_request;

/*
 * Returns 0 to admit the write, or a KUBE_E* code to refuse it, after
 * writing the reason (NUL-terminated, truncated to message_size) into
 * message.  The writer gets that code and, for KUBE_EPERM, upstream's
 * Forbidden message '<resource> "<name>" is forbidden: <reason>', for any
 * other code the reason as written.  A hook must not call into the store.
 */
typedef int (*kube_admission_cb)(const kube_admission_request *req, char *message,
                                 size_t message_size, void *userdata);

/*
 * Adds a hook for writes to `resource` (NULL: every resource).  Hooks run
 * in the order they were added; the first refusal stops the write.
 * destroy(userdata) runs when the hook is removed or the store closes; on
 * failure neither is kept.  Returns 0, KUBE_EINVAL (no such resource),
 * KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_store_add_admission(kube_store *store, const char *resource,
                                         kube_admission_cb cb, void *userdata,
                                         void (*destroy)(void *));

/* Removes the hook added with this cb and userdata (destroy runs).
 * Returns 0, KUBE_EINVAL, KUBE_ENOTFOUND. */
KUBE_EXTERN int kube_store_remove_admission(kube_store *store, kube_admission_cb cb,
                                            void *userdata);

/* ---- indexes ---- */

/* Built-in indexes, present for every resource. */
#define KUBE_INDEX_NAMESPACE "namespace"       /* metadata.namespace */
#define KUBE_INDEX_OWNER     "owner-uid"       /* each ownerReferences[].uid */
#define KUBE_INDEX_NODE_NAME "spec.nodeName"   /* spec.nodeName when set */

/* Adds one value (copied) for the object being indexed.  0 or KUBE_ENOMEM. */
KUBE_EXTERN int kube_index_values_add(kube_index_values *values, const char *value);

/*
 * Computes an object's values for a caller-defined index: adds 0 or more
 * with kube_index_values_add.  Must depend on the object only.  A nonzero
 * return leaves the object out of the index (and is logged).
 */
typedef int (*kube_index_cb)(const kube_object *obj, kube_index_values *values, void *userdata);

/*
 * Adds index `name` over the objects of `resource`, and indexes those
 * already stored.  destroy(userdata) runs when the store closes; on failure
 * neither fn is kept nor destroy called.  Returns 0, KUBE_EINVAL, KUBE_EEXISTS (the name is
 * taken), KUBE_ENOMEM, or the index function's error on a stored object.
 */
KUBE_EXTERN int kube_store_add_index(kube_store *store, const char *resource, const char *name,
                                     kube_index_cb fn, void *userdata, void (*destroy)(void *));

/* ---- watch ---- */

typedef enum kube_watch_event_type {
	KUBE_WATCH_ADDED = 1,
	KUBE_WATCH_MODIFIED = 2,
	KUBE_WATCH_DELETED = 3,
	KUBE_WATCH_BOOKMARK = 4,
	KUBE_WATCH_ERROR = 5
} kube_watch_event_type;

typedef struct kube_watch_event {
	kube_watch_event_type type;
	/* The object (borrowed for the callback; kube_object_ref to keep).  For
	 * DELETED its last state with the deletion's resourceVersion (for an
	 * object that left the watch's selectors: its state before the change,
	 * with the change's resourceVersion).  NULL for BOOKMARK and ERROR. */
	kube_object *object;
	/* The event's revision; for BOOKMARK the store revision the watcher has
	 * seen everything up to. */
	int64_t revision;
	/* ERROR only: why the watch ended.  KUBE_EBUSY: the watcher fell
	 * behind past the backlog bound; KUBE_EGONE: events it still needed
	 * left the history; KUBE_ECANCELED: the store closed.  Recover by
	 * listing again and watching from the list's revision. */
	int error;
} kube_watch_event;

/*
 * One event.  The callback may call any kube_store_* function (its events
 * come later) and may cancel this or any watch.  After an ERROR event the
 * watch is over: it is freed after the callback returns (destroy runs) and
 * must not be cancelled.
 */
typedef void (*kube_watch_cb)(kube_watch *watch, const kube_watch_event *event, void *userdata);

typedef struct kube_watch_options {
	unsigned int version;            /* KUBE_WATCH_OPTIONS_VERSION */
	const char *namespace_;          /* NULL or "" = every namespace */
	const char *label_selector;
	const char *field_selector;
	/* Deliver every change after this revision.  0 = upstream's "any":
	 * first an ADDED event for each object that exists now, then every
	 * change after now. */
	int64_t revision;
	int bookmarks;                   /* 1 = BOOKMARK events every bookmark_ms */
} kube_watch_options;

#define KUBE_WATCH_OPTIONS_VERSION 1
#define KUBE_WATCH_OPTIONS_INIT { KUBE_WATCH_OPTIONS_VERSION, NULL, NULL, NULL, 0, 0 }

/*
 * Watches `resource`.  With selectors, an object that starts matching is
 * ADDED, one that stops matching DELETED, as upstream's watch cache does.
 * Events come in revision order, each exactly once.  *out (optional) is the
 * handle for kube_watch_cancel.
 * Returns 0, KUBE_EINVAL (bad selector; "Too large resource version: R,
 * current: C"), KUBE_EGONE ("too old resource version: R (O)"),
 * KUBE_ENOMEM.  On failure destroy is not called and cb never runs.
 */
KUBE_EXTERN int kube_store_watch(kube_watch **out, kube_store *store, const char *resource,
                                 const kube_watch_options *opts, kube_watch_cb cb,
                                 void *userdata, void (*destroy)(void *));

/* Ends the watch: no more callbacks; destroy runs.  May be called inside
 * any watch callback or destroy callback.  NULL is a no-op. */
KUBE_EXTERN void kube_watch_cancel(kube_watch *watch);

/*
 * Pauses delivery (for a consumer that cannot take more now, e.g. a full
 * socket).  Writers are never held back: a paused watcher's backlog (the
 * events it would be sent: of its resource, through its selectors) grows,
 * and past watch_backlog the watch ends with KUBE_EBUSY.  Other writes
 * neither count nor age it out of the history.
 */
KUBE_EXTERN void kube_watch_pause(kube_watch *watch);
KUBE_EXTERN void kube_watch_resume(kube_watch *watch);

KUBE_END_DECLS

#endif /* LIBKUBE_STORE_H */
