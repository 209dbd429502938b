/*
 * store_private.h - internals shared by the files of the store layer:
 * store.c (keys, writes, reads, indexes), watch.c (event ring, watchers),
 * tree.c (ordered string maps), fieldsel.c, and the backends (memory.c).
 *
 * The in-memory state (entries, indexes, event ring) is authoritative for
 * reads; a backend is where writes become durable (or shared).  The backend
 * vtable is shaped after etcd v3, the most demanding backend:
 *   - the backend assigns revisions (etcd: the mod_revision of the write);
 *   - every write is conditional on the key's mod_revision (create: == 0,
 *     update/delete: == the revision the caller read), the Txn that
 *     kube-apiserver sends to etcd;
 *   - writes come as a batch, so SQLite can group-commit many in one
 *     transaction and one fsync;
 *   - stored values are JSON without metadata.resourceVersion, which is
 *     stamped from the revision when an object is loaded or written, as
 *     kube-apiserver does with etcd.
 */
#ifndef LIBKUBE_STORE_PRIVATE_H
#define LIBKUBE_STORE_PRIVATE_H

#include "base/base.h"
#include "libkube/kinds.h"
#include "libkube/loop.h"
#include "libkube/store.h"

/* ---- ordered string map (tree.c): a treap keyed by borrowed strings ---- */

typedef struct kube__tnode {
	struct kube__tnode *left, *right;
	const char *key;     /* borrowed from whatever `val` is */
	void *val;
	uint32_t prio;
} kube__tnode;

KUBE_INTERNAL kube__tnode *kube__tree_find(kube__tnode *root, const char *key);
/* Inserts n and returns NULL, or returns the node that has n's key
 * already (n is not inserted then): one walk where find + insert take two. */
KUBE_INTERNAL kube__tnode *kube__tree_insert(kube__tnode **root, kube__tnode *n);
/* Unlinks and returns the node with `key`, or NULL. */
KUBE_INTERNAL kube__tnode *kube__tree_remove(kube__tnode **root, const char *key);
/* The node with the smallest key > key (>= key when inclusive), or NULL. */
KUBE_INTERNAL kube__tnode *kube__tree_next(kube__tnode *root, const char *key, int inclusive);
KUBE_INTERNAL uint32_t kube__tree_prio(void);

/* ---- backend vtable ---- */

typedef enum kube__op_type {
	KUBE__OP_PUT = 1,
	KUBE__OP_DELETE = 2
} kube__op_type;

/* expect_revision: the key's mod_revision the write is conditional on. */
#define KUBE__EXPECT_ABSENT 0     /* create: the key must not exist */
#define KUBE__EXPECT_ANY   (-1)   /* no condition */

typedef struct kube__store_op {
	kube__op_type type;
	const char *key;
	const char *value;           /* PUT: JSON, without resourceVersion */
	size_t len;
	int64_t expect_revision;
	/* Filled by commit: 0 or KUBE_ECONFLICT / KUBE_EEXISTS / KUBE_ENOTFOUND
	 * when this op's condition failed, and the revision of the write. */
	int result;
	int64_t revision;
} kube__store_op;

/* One stored key, as load() hands it over (borrowed for the call). */
typedef struct kube__store_kv {
	const char *key;
	const char *value;
	size_t len;
	int64_t mod_revision;
} kube__store_kv;

typedef int (*kube__store_load_cb)(const kube__store_kv *kv, void *userdata);

typedef struct kube__store_backend_ops {
	uint32_t abi_version;        /* 1 */
	uint32_t struct_size;
	const char *name;            /* "memory", "sqlite", "etcd" */
	/* Opens the backend for these options (path, ...). */
	int (*open)(void **state, const kube_store_options *opts);
	void (*close)(void *state);
	/* Streams every stored key, in any order (sqlite: revision order),
	 * and gives the current revision (reload on open). */
	int (*load)(void *state, kube__store_load_cb fn, void *userdata, int64_t *revision);
	/*
	 * Applies ops in order; each is atomic and conditional on its own.
	 * A backend that is its store's only writer (sqlite) may take a
	 * create's condition as checked: write.c prepares every write against
	 * the committed entries and never puts two writes to one key in a
	 * batch, so the key is absent.
	 * Returns 0 when the batch was processed (per-op results in ops[i]),
	 * or an error for the whole batch (nothing applied, e.g. KUBE_EIO,
	 * KUBE_ENOSPC).  When it returns 0 every applied op is durable.
	 */
	int (*commit)(void *state, kube__store_op *ops, size_t n);
	/* Optional (NULL = not supported): forget history up to revision. */
	int (*compact)(void *state, int64_t revision);
} kube__store_backend_ops;

KUBE_INTERNAL extern const kube__store_backend_ops kube__store_memory_backend;
KUBE_INTERNAL extern const kube__store_backend_ops kube__store_sqlite_backend;

/* ---- a create's text without a tree (createtext.c) ---- */

/* What a create sets in metadata. */
typedef struct kube__create_fields {
	const char *name;                /* a generated name, or NULL (the request's stays) */
	const char *uid, *creation_timestamp;
	int drop_namespace;              /* a cluster-scoped kind */
} kube__create_fields;

/*
 * Appends to out the text a create stores for the request's text t[0..n),
 * which must be one JSON map in the encoder's form (kube__json_canonical)
 * with a metadata map: what setting f on its tree (write.c, prepare_create)
 * and encoding it would give, and *meta_end, where metadata's closing brace
 * is in out.  0, KUBE_EINVAL (no metadata map) or KUBE_ENOMEM (raised).
 */
KUBE_INTERNAL int kube__create_text(kube__buf *out, size_t *meta_end, const char *t, size_t n,
                                    const kube__create_fields *f);

/*
 * 1 when s[0..n) is one JSON value written exactly as the encoder writes
 * its decoded tree (subresource.c): compact, strings of plain bytes and
 * well-formed UTF-8 without escapes, integers as int64 prints them, maps
 * without a repeated key and of at most 32 members, nesting at most 64
 * deep.  0 means "not sure", not "bad": decode it to know.
 */
KUBE_INTERNAL int kube__json_canonical(const char *s, size_t n);

/* The sqlite backend's VFS (sqlite_vfs.c): the default VFS, but that a
 * commit's WAL frames go out in one write.  Its name, registered on the
 * first call, or NULL if it could not be (then the default VFS serves). */
#define KUBE__SQLITE_VFS "libkube-gather"
KUBE_INTERNAL const char *kube__sqlite_gather_vfs(void);

/* ---- field selectors (fieldsel.c) ---- */

typedef struct kube__fieldsel kube__fieldsel;
/* "" or NULL gives NULL (everything matches).  KUBE_EINVAL with upstream's
 * message for bad text, or for a field that `resource` does not accept
 * ("field label not supported: x"). */
KUBE_INTERNAL int kube__fieldsel_parse(kube__fieldsel **out, const char *resource, const char *text);
KUBE_INTERNAL int kube__fieldsel_matches(const kube__fieldsel *fs, const kube_object *obj);
KUBE_INTERNAL void kube__fieldsel_free(kube__fieldsel *fs);

/* ---- store internals ---- */

/* One key's current state. */
typedef struct kube__entry {
	char *key;                   /* "<resource>/<namespace>/<name>" */
	size_t resource_len;         /* strlen of the "<resource>" part */
	kube_object *obj;            /* frozen, one reference held */
	int64_t mod_revision;
	uint32_t slot;               /* dense id: store->slots[slot] == this */
	uint64_t hash;               /* of key, for store->htab */
	kube__tnode node;            /* in store->entries */
} kube__entry;

/* One write as watchers see it (the ring keeps the last `history`). */
typedef struct kube__event {
	kube_watch_event_type type;
	int64_t revision;
	char *key;                   /* owned */
	kube_object *obj;            /* new state; for DELETED the last state */
	kube_object *prev;           /* state before (NULL for ADDED) */
	/* prev with this event's resourceVersion, made on first need: what a
	 * watcher whose selector the object leaves gets as DELETED, as
	 * upstream's cacher sends it.  Shared by all such watchers. */
	kube_object *prev_at;
} kube__event;

struct kube_index_values {
	char **v;
	size_t n, cap;
};

typedef struct kube__index kube__index;

typedef struct kube__watch_list {
	kube_watch *head, *tail;
} kube__watch_list;

struct kube_store {
	kube_loop *loop;
	kube_store_options opts;
	char *backend_path;
	const kube__store_backend_ops *backend;
	void *backend_state;

	int64_t revision;
	kube__tnode *entries;        /* key -> kube__entry, ordered (lists) */
	size_t count;
	kube__entry **htab;          /* key -> kube__entry, hashed (gets, writes) */
	size_t hcap, hused;          /* slots; slots not empty (live + tombstones) */
	kube__index *indexes;

	/* Dense ids for the label indexes (one kube_label_index per resource). */
	kube__entry **slots;
	size_t nslots, slots_cap;
	uint32_t *free_slots;
	size_t nfree, free_cap;
	struct kube__lindex *lindexes;

	/* event ring: events[(first + i) % cap], i < len, revisions ascending */
	kube__event *ring;
	size_t ring_cap, ring_first, ring_len;

	kube__watch_list watches;
	kube_timer *dispatch_timer;  /* zero timeout: deliver events later */
	kube_timer *bookmark_timer;
	int dispatching;
	int closing;

	struct kube__writes *writes; /* asynchronous writes (write.c), or NULL */
	/* Where writes are encoded (write.c, loop thread): each write then
	 * keeps an exactly sized copy, which becomes its object's compact text,
	 * instead of a doubled buffer whose shrunk tail fragments the heap. */
	kube__buf enc;

	struct kube__admission *admission;   /* hooks, in order (admission.c) */
};

/* admission.c */
/* Runs the hooks for a write about to be made; 0 or the refusal, raised. */
KUBE_INTERNAL int kube__admit(kube_store *s, kube_admission_operation op,
                              const kube_kind_info *k, const char *ns, const char *name,
                              const kube_object *obj, const kube_object *old);
/* Whether any hook would see writes to this resource (cheap). */
KUBE_INTERNAL int kube__admission_wants(const kube_store *s, const char *resource);
KUBE_INTERNAL void kube__admission_fini(kube_store *s);

/* watch.c */
KUBE_INTERNAL int kube__watch_init(kube_store *s);
KUBE_INTERNAL void kube__watch_fini(kube_store *s);
/* Appends an event (takes ownership of key; references obj and prev) and
 * schedules delivery. */
KUBE_INTERNAL int kube__ring_append(kube_store *s, kube_watch_event_type type, int64_t rev,
                                    const char *key, kube_object *obj, kube_object *prev);
/* Index into the ring of the first event with revision > rev (ring_len if none). */
KUBE_INTERNAL size_t kube__ring_after(const kube_store *s, int64_t rev);
KUBE_INTERNAL kube__event *kube__ring_at(const kube_store *s, size_t i);
/* The oldest revision a watch or continue token may start from. */
KUBE_INTERNAL int64_t kube__ring_oldest_start(const kube_store *s);

/* ---- store.c, shared with write.c and list.c ---- */

KUBE_INTERNAL int kube__random_bytes(void *buf, size_t n);
KUBE_INTERNAL int kube__new_uid(char out[37]);
KUBE_INTERNAL void kube__now_rfc3339(char out[32]);
/* "pods", or "deployments.apps": upstream's qualified resource in messages. */
KUBE_INTERNAL void kube__qualified_resource(char *buf, size_t n, const kube_kind_info *k);
/* Raise upstream's NotFound / Conflict messages; return the code. */
KUBE_INTERNAL int kube__not_found(const kube_kind_info *k, const char *name);
KUBE_INTERNAL int kube__conflict(const kube_kind_info *k, const char *name, const char *why);
/* A delete's preconditions (uid, rv: NULL for none) against the stored o,
 * as upstream's rest.BeforeDelete checks them: KUBE_ECONFLICT on the kind
 * ("Operation cannot be fulfilled on Pod \"a\": the UID in the
 * precondition (x) does not match the UID in record (y). ..."), or 0. */
KUBE_INTERNAL int kube__delete_preconditions(const kube_object *o, const char *uid, const char *rv);
/* The registered kind of a plural resource name, or NULL. */
KUBE_INTERNAL const kube_kind_info *kube__resource_info(const char *resource);
/* The kind of an object by apiVersion/kind; KUBE_EINVAL with upstream's message. */
KUBE_INTERNAL int kube__object_kind(const kube_object *obj, const kube_kind_info **out);
/* path.IsValidPathSegmentName for names and namespaces in keys. */
KUBE_INTERNAL int kube__check_segment(const char *field, const char *v);
/* "<resource>/<ns>/<name>" or "<resource>/<name>"; NULL on ENOMEM (raised). */
KUBE_INTERNAL char *kube__make_key(const char *resource, const char *ns, const char *name);
KUBE_INTERNAL kube__entry *kube__find_entry(kube_store *s, const char *key);

KUBE_INTERNAL kube__index *kube__find_index(kube_store *s, const char *resource, const char *name);
/* An index's values for obj (cleared first). */
KUBE_INTERNAL int kube__index_values(const kube__index *idx, const kube_object *obj,
                                     kube_index_values *out);
KUBE_INTERNAL int kube__values_contain(const kube_index_values *vals, const char *value);
KUBE_INTERNAL void kube__values_clear(kube_index_values *values);
/* The entries (tree by key) holding `value` in idx, or NULL. */
KUBE_INTERNAL kube__tnode *kube__index_members(const kube__index *idx, const char *value);
/* Moves e from old's index buckets to new_'s (either may be NULL). */
KUBE_INTERNAL int kube__reindex(kube_store *s, kube__entry *e, const kube_object *old,
                                const kube_object *new_);
KUBE_INTERNAL kube_label_index *kube__lindex_for(kube_store *s, const char *resource, size_t rlen,
                                                 int create);
KUBE_INTERNAL int kube__selector_indexable(const kube_selector *sel);
/* Follows a label change of e (from old to e->obj) in the label index. */
KUBE_INTERNAL void kube__relabel(kube_store *s, kube__entry *e, const kube_object *old);

/* A new entry for key (taken) holding obj (its reference taken), in the
 * key tree, a slot and the label index (not the other indexes). */
KUBE_INTERNAL int kube__new_entry(kube_store *s, char *key, const kube_kind_info *k,
                                  kube_object *obj, int64_t rev, kube__entry **out);
/* Takes e out of the key tree, every index and its slot (does not free). */
KUBE_INTERNAL void kube__unlink_entry(kube_store *s, kube__entry *e);

/* write.c */
/* Fails every queued asynchronous write with KUBE_ECANCELED and waits for
 * the batch in flight (store close). */
KUBE_INTERNAL void kube__writes_fini(kube_store *s);

/* subresource.c: the new text of a write through /status or pods/binding,
 * edited from the old version's compact text `old` (without
 * resourceVersion), into out (cleared first), with *meta_end for it
 * (kube__object_compact).  _status: status becomes the caller's JSON map
 * status[0..slen) (checked: KUBE_EINVAL naming "status" when it is not
 * one; a pod keeps its stored status.qosClass when status has none or
 * ""); *same = 1 (out untouched) when that is the stored status already.
 * _binding: spec.nodeName = node, the PodScheduled condition True since
 * stamp, metadata.generation = generation; KUBE_ECONFLICT (not raised)
 * with the node in *assigned when the pod has one already, KUBE_EBUSY
 * (not raised) when it has scheduling gates left. */
/* Whether upstream serves a /status for this built-in resource. */
KUBE_INTERNAL int kube__has_status(const char *resource);
KUBE_INTERNAL int kube__status_text(kube__buf *out, size_t *meta_end, int *same, const char *old,
                                    size_t olen, const char *resource, const char *status,
                                    size_t slen);
KUBE_INTERNAL int kube__binding_text(kube__buf *out, size_t *meta_end, kube__buf *assigned,
                                     const char *old, size_t olen, const char *node,
                                     const char *stamp, int64_t generation);

/* store.c, for watch.c */
typedef struct kube__filter {
	const char *resource;
	size_t resource_len;
	const char *namespace_;      /* NULL = any */
	kube_selector *labels;       /* NULL = any */
	kube__fieldsel *fields;      /* NULL = any */
} kube__filter;

KUBE_INTERNAL int kube__filter_init(kube__filter *f, const char *resource, const char *ns,
                                    const char *label_selector, const char *field_selector);
KUBE_INTERNAL void kube__filter_fini(kube__filter *f);
/* Does the object under `key` pass the filter? */
KUBE_INTERNAL int kube__filter_matches(const kube__filter *f, const char *key,
                                       const kube_object *obj);
/* Appends references to every current object passing f, in key order. */
KUBE_INTERNAL int kube__store_snapshot(kube_store *s, const kube__filter *f,
                                       kube_object ***objs, size_t *n);

#endif /* LIBKUBE_STORE_PRIVATE_H */
