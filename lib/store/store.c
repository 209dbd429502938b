/*
 * store.c - the object store: keys, revisions, writes, reads, indexes.
 *
 *   entries (treap, key order)          indexes (per name)
 *   "pods/default/a" ─▶ kube__entry      "spec.nodeName" ─▶ buckets (treap by value)
 *   "pods/default/b" ─▶ kube__entry         "node-1" ─▶ members (treap by entry key)
 *   "nodes/node-1"   ─▶ kube__entry
 *
 * Invariants:
 *   - Every stored object is frozen; the entry holds one reference, and a
 *     get, a list and each watch event share it.  The store copies what
 *     callers pass in and never changes an object it published.
 *   - A write goes to the backend first (which assigns the revision, as
 *     etcd does) and only then touches the in-memory state, so the memory
 *     state never shows a write the backend refused.
 *   - Every write appends exactly one event to the ring (watch.c), whose
 *     revisions ascend; watchers and continued lists read history there.
 *   - Index buckets hold exactly the entries whose current object yields
 *     that value; an update re-indexes from the old and the new object.
 *
 * Pages after the first of a list show the store at the first page's
 * revision, as etcd's MVCC does: keys changed since then are read from the
 * ring's "state before" objects.  A token older than the ring is
 * KUBE_EGONE, like a compacted etcd revision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "object/object_private.h"
#include "store_private.h"

#define MAX_UPDATE_RETRIES 64

typedef enum builtin_index {
	IDX_CUSTOM = 0,
	IDX_NAMESPACE,
	IDX_OWNER,
	IDX_NODE_NAME
} builtin_index;

struct kube__index {
	kube__index *next;
	char *resource;              /* NULL: every resource (the built-ins) */
	char *name;
	builtin_index builtin;
	kube_index_cb fn;
	void *userdata;
	void (*destroy)(void *);
	kube__tnode *buckets;        /* value -> bucket */
};

typedef struct bucket {
	char *value;
	kube__tnode *members;        /* entry key -> kube__entry */
	kube__tnode node;
} bucket;

/* ---- small helpers ---- */

static int resource_matches(const kube__index *idx, const char *key, size_t rlen)
{
	return !idx->resource || (strlen(idx->resource) == rlen && memcmp(idx->resource, key, rlen) == 0);
}

static int random_bytes(void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom((char *)buf + got, n - got, 0);
		if (r <= 0)
			return kube__error_set(KUBE_EIO, NULL, "store: no random bytes for a uid");
		got += (size_t)r;
	}
	return 0;
}

static int new_uid(char out[37])
{
	unsigned char b[16];
	int rc = random_bytes(b, sizeof(b));

	if (rc)
		return rc;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
	         b[12], b[13], b[14], b[15]);
	return 0;
}

static void now_rfc3339(char out[32])
{
	struct tm tm;
	time_t t = time(NULL);

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "pods", or "deployments.apps": upstream's qualified resource in messages. */
static void qualified_resource(char *buf, size_t n, const kube_kind_info *k)
{
	if (k->group && *k->group)
		snprintf(buf, n, "%s.%s", k->resource, k->group);
	else
		snprintf(buf, n, "%s", k->resource);
}

static int not_found(const kube_kind_info *k, const char *name)
{
	char qr[160];
	qualified_resource(qr, sizeof(qr), k);
	return kube__error_set(KUBE_ENOTFOUND, NULL, "%s \"%s\" not found", qr, name);
}

static int conflict(const kube_kind_info *k, const char *name, const char *why)
{
	char qr[160];
	qualified_resource(qr, sizeof(qr), k);
	return kube__error_set(KUBE_ECONFLICT, NULL, "Operation cannot be fulfilled on %s \"%s\": %s",
	                       qr, name, why);
}

static const char *const MODIFIED_MSG =
	"the object has been modified; please apply your changes to the latest version and try again";

static const kube_kind_info *resource_info(const char *resource)
{
	for (size_t i = 0, n = kube_kind_count(); i < n; i++) {
		const kube_kind_info *k = kube_kind_at(i);
		if (strcmp(k->resource, resource) == 0)
			return k;
	}
	return NULL;
}

static int object_kind(const kube_object *obj, const kube_kind_info **out)
{
	const char *av = kube_object_api_version(obj), *kind = kube_object_kind(obj);

	if (!av || !kind)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "Object 'Kind' is missing or 'apiVersion' is missing");
	if (!(*out = kube_kind_lookup(av, kind)))
		return kube__error_set(KUBE_EINVAL, NULL, "no matches for kind \"%s\" in version \"%s\"",
		                       kind, av);
	return 0;
}

/* upstream's path.IsValidPathSegmentName, for names and namespaces in keys */
static int check_segment(const char *field, const char *v)
{
	if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return kube__error_set(KUBE_EINVAL, field, "%s: Invalid value: \"%s\": may not be '%s'",
		                       field, v, v);
	if (strchr(v, '/'))
		return kube__error_set(KUBE_EINVAL, field,
		                       "%s: Invalid value: \"%s\": may not contain '/'", field, v);
	if (strchr(v, '%'))
		return kube__error_set(KUBE_EINVAL, field,
		                       "%s: Invalid value: \"%s\": may not contain '%%'", field, v);
	return 0;
}

/* "<resource>/<ns>/<name>" or "<resource>/<name>"; NULL on ENOMEM (raised). */
static char *make_key(const char *resource, const char *ns, const char *name)
{
	kube__buf b = KUBE__BUF_INIT;

	kube__buf_puts(&b, resource);
	kube__buf_putc(&b, '/');
	if (ns && *ns) {
		kube__buf_puts(&b, ns);
		kube__buf_putc(&b, '/');
	}
	kube__buf_puts(&b, name);
	if (b.failed) {
		kube__buf_free(&b);
		kube__error_oom();
		return NULL;
	}
	char *k = kube__buf_detach(&b, NULL);
	if (!k)
		kube__error_oom();
	return k;
}

static kube__entry *find_entry(kube_store *s, const char *key)
{
	kube__tnode *n = kube__tree_find(s->entries, key);
	return n ? n->val : NULL;
}

/* ---- index values ---- */

int kube_index_values_add(kube_index_values *values, const char *value)
{
	KUBE_CHECK_ARG(values);
	KUBE_CHECK_ARG(value);
	for (size_t i = 0; i < values->n; i++)
		if (strcmp(values->v[i], value) == 0)
			return 0;   /* a set: one membership per value */
	if (values->n == values->cap) {
		size_t cap = values->cap ? values->cap * 2 : 4;
		char **v = kube_realloc(values->v, cap * sizeof(*v));
		if (!v)
			return kube__error_oom();
		values->v = v;
		values->cap = cap;
	}
	if (!(values->v[values->n] = kube_strdup(value)))
		return kube__error_oom();
	values->n++;
	return 0;
}

static void values_clear(kube_index_values *values)
{
	for (size_t i = 0; i < values->n; i++)
		kube_free(values->v[i]);
	values->n = 0;
}

static int index_values(const kube__index *idx, const kube_object *obj, kube_index_values *out)
{
	const char *v = NULL;
	int rc = 0;

	values_clear(out);
	switch (idx->builtin) {
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
	case IDX_NODE_NAME:
		if (kube_object_get_string(obj, "spec.nodeName", &v) == 0 && v && *v)
			rc = kube_index_values_add(out, v);
		break;
	case IDX_CUSTOM:
		rc = idx->fn(obj, out, idx->userdata);
		break;
	}
	if (rc) {
		KUBE_LOG(KUBE_LOG_WARN, "store", "index %s failed on %s/%s: %s", idx->name,
		         kube_object_namespace(obj) ? kube_object_namespace(obj) : "",
		         kube_object_name(obj) ? kube_object_name(obj) : "", kube_strerror(rc));
		values_clear(out);
	}
	return rc;
}

static int values_contain(const kube_index_values *vals, const char *value)
{
	for (size_t i = 0; i < vals->n; i++)
		if (strcmp(vals->v[i], value) == 0)
			return 1;
	return 0;
}

static int bucket_add(kube__index *idx, const char *value, kube__entry *e)
{
	kube__tnode *bn = kube__tree_find(idx->buckets, value);
	bucket *b;
	kube__tnode *m;

	if (bn) {
		b = bn->val;
	} else {
		if (!(b = kube_calloc(1, sizeof(*b))) || !(b->value = kube_strdup(value))) {
			kube_free(b);
			return kube__error_oom();
		}
		b->node.key = b->value;
		b->node.val = b;
		b->node.prio = kube__tree_prio();
		kube__tree_insert(&idx->buckets, &b->node);
	}
	if (kube__tree_find(b->members, e->key))
		return 0;
	if (!(m = kube_calloc(1, sizeof(*m))))
		return kube__error_oom();
	m->key = e->key;
	m->val = e;
	m->prio = kube__tree_prio();
	kube__tree_insert(&b->members, m);
	return 0;
}

static void bucket_remove(kube__index *idx, const char *value, const char *key)
{
	kube__tnode *bn = kube__tree_find(idx->buckets, value);
	bucket *b;

	if (!bn)
		return;
	b = bn->val;
	kube_free(kube__tree_remove(&b->members, key));
	if (!b->members) {
		kube__tree_remove(&idx->buckets, b->value);
		kube_free(b->value);
		kube_free(b);
	}
}

/* Moves entry e from the buckets of old (may be NULL) to those of new (may
 * be NULL).  Only an allocation failure can fail it. */
static int reindex(kube_store *s, kube__entry *e, const kube_object *old, const kube_object *new_)
{
	kube_index_values ov = { 0 }, nv = { 0 };
	int rc = 0;

	for (kube__index *idx = s->indexes; idx && rc == 0; idx = idx->next) {
		if (!resource_matches(idx, e->key, e->resource_len))
			continue;
		if (old)
			index_values(idx, old, &ov);
		else
			values_clear(&ov);
		if (new_)
			index_values(idx, new_, &nv);
		else
			values_clear(&nv);
		for (size_t i = 0; i < ov.n; i++)
			if (!values_contain(&nv, ov.v[i]))
				bucket_remove(idx, ov.v[i], e->key);
		for (size_t i = 0; i < nv.n && rc == 0; i++)
			if (!values_contain(&ov, nv.v[i]))
				rc = bucket_add(idx, nv.v[i], e);
	}
	values_clear(&ov);
	values_clear(&nv);
	kube_free(ov.v);
	kube_free(nv.v);
	return rc;
}

static void free_members(kube__tnode *n)
{
	if (!n)
		return;
	free_members(n->left);
	free_members(n->right);
	kube_free(n);
}

static void free_buckets(kube__tnode *n)
{
	if (!n)
		return;
	free_buckets(n->left);
	free_buckets(n->right);
	bucket *b = n->val;
	free_members(b->members);
	kube_free(b->value);
	kube_free(b);
}

static void index_free(kube__index *idx)
{
	free_buckets(idx->buckets);
	if (idx->destroy)
		idx->destroy(idx->userdata);
	kube_free(idx->resource);
	kube_free(idx->name);
	kube_free(idx);
}

static int add_index(kube_store *s, const char *resource, const char *name, builtin_index b,
                     kube_index_cb fn, void *userdata, void (*destroy)(void *), kube__index **out)
{
	kube__index *idx = kube_calloc(1, sizeof(*idx));

	if (!idx || !(idx->name = kube_strdup(name)) ||
	    (resource && !(idx->resource = kube_strdup(resource)))) {
		if (idx) {
			kube_free(idx->name);
			kube_free(idx);
		}
		return kube__error_oom();
	}
	idx->builtin = b;
	idx->fn = fn;
	idx->userdata = userdata;
	idx->destroy = destroy;
	idx->next = s->indexes;
	s->indexes = idx;
	*out = idx;
	return 0;
}

static kube__index *find_index(kube_store *s, const char *resource, const char *name)
{
	size_t rlen = strlen(resource);
	for (kube__index *idx = s->indexes; idx; idx = idx->next)
		if (strcmp(idx->name, name) == 0 &&
		    (!idx->resource || (strlen(idx->resource) == rlen && strcmp(idx->resource, resource) == 0)))
			return idx;
	return NULL;
}

/* Indexes every stored object of idx's resource. */
static int index_existing(kube_store *s, kube__index *idx, kube__tnode *n)
{
	kube_index_values v = { 0 };
	int rc = 0;

	if (!n)
		return 0;
	if ((rc = index_existing(s, idx, n->left)) != 0)
		return rc;
	kube__entry *e = n->val;
	if (resource_matches(idx, e->key, e->resource_len)) {
		if ((rc = index_values(idx, e->obj, &v)) == 0)
			for (size_t i = 0; i < v.n && rc == 0; i++)
				rc = bucket_add(idx, v.v[i], e);
		values_clear(&v);
		kube_free(v.v);
		if (rc)
			return rc;
	}
	return index_existing(s, idx, n->right);
}

int kube_store_add_index(kube_store *store, const char *resource, const char *name,
                         kube_index_cb fn, void *userdata, void (*destroy)(void *))
{
	kube__index *idx;
	int rc;

	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(resource && *resource);
	KUBE_CHECK_ARG(name && *name);
	KUBE_CHECK_ARG(fn);
	if (find_index(store, resource, name))
		return kube__error_set(KUBE_EEXISTS, NULL, "indexer conflict: map[%s:{}]", name);
	if ((rc = add_index(store, resource, name, IDX_CUSTOM, fn, userdata, NULL, &idx)) != 0)
		return rc;
	if ((rc = index_existing(store, idx, store->entries)) != 0) {
		store->indexes = idx->next;
		index_free(idx);
		return rc;
	}
	idx->destroy = destroy;
	return 0;
}

/* ---- label indexes: one kube_label_index per resource, ids = slots ---- */

typedef struct kube__lindex {
	struct kube__lindex *next;
	char *resource;
	kube_label_index *idx;
} kube__lindex;

static kube_label_index *lindex_for(kube_store *s, const char *resource, size_t rlen, int create)
{
	kube__lindex *l;

	for (l = s->lindexes; l; l = l->next)
		if (strlen(l->resource) == rlen && memcmp(l->resource, resource, rlen) == 0)
			return l->idx;
	if (!create)
		return NULL;
	if (!(l = kube_calloc(1, sizeof(*l))) || !(l->resource = kube_strndup(resource, rlen)) ||
	    kube_label_index_new(&l->idx) != 0) {
		if (l)
			kube_free(l->resource);
		kube_free(l);
		kube__error_oom();
		return NULL;
	}
	l->next = s->lindexes;
	s->lindexes = l;
	return l->idx;
}

static int slot_alloc(kube_store *s, kube__entry *e)
{
	if (s->nfree > 0) {
		e->slot = s->free_slots[--s->nfree];
	} else {
		if (s->nslots == s->slots_cap) {
			size_t cap = s->slots_cap ? s->slots_cap * 2 : 64;
			kube__entry **v;
			if (cap > KUBE_LABEL_INDEX_MAX_ID || !(v = kube_realloc(s->slots, cap * sizeof(*v))))
				return kube__error_oom();
			s->slots = v;
			s->slots_cap = cap;
		}
		e->slot = (uint32_t)s->nslots++;
	}
	s->slots[e->slot] = e;
	return 0;
}

static void slot_free(kube_store *s, kube__entry *e)
{
	s->slots[e->slot] = NULL;
	if (s->nfree == s->free_cap) {
		size_t cap = s->free_cap ? s->free_cap * 2 : 64;
		uint32_t *v = kube_realloc(s->free_slots, cap * sizeof(*v));
		if (!v)
			return;   /* the slot is leaked, not reused: harmless */
		s->free_slots = v;
		s->free_cap = cap;
	}
	s->free_slots[s->nfree++] = e->slot;
}

/* A selector worth the index: some requirement names exact values. */
static int selector_indexable(const kube_selector *sel)
{
	for (size_t i = 0, n = kube_selector_requirement_count(sel); i < n; i++) {
		kube_selector_op op;
		if (kube_selector_requirement(sel, i, NULL, &op, NULL) == 0 &&
		    (op == KUBE_SELECTOR_EQUALS || op == KUBE_SELECTOR_DOUBLE_EQUALS ||
		     op == KUBE_SELECTOR_IN))
			return 1;
	}
	return 0;
}

/* ---- open / close ---- */

int kube_store_options_init(kube_store_options *opts, unsigned int version)
{
	kube_store_options def = KUBE_STORE_OPTIONS_INIT;

	KUBE_CHECK_ARG(opts);
	if (version == 0 || version > KUBE_STORE_OPTIONS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_store_options_init: unknown version %u", version);
	*opts = def;
	opts->version = version;
	return 0;
}

static void free_entries(kube__tnode *n)
{
	if (!n)
		return;
	free_entries(n->left);
	free_entries(n->right);
	kube__entry *e = n->val;
	kube_object_unref(e->obj);
	kube_free(e->key);
	kube_free(e);
}

static int new_entry(kube_store *s, char *key, const kube_kind_info *k, kube_object *obj,
                     int64_t rev, kube__entry **out);
static int publish(kube_object *obj, int64_t rev);

/* One stored key on open: decode, check, stamp, index. */
static int load_one(const kube__store_kv *kv, void *userdata)
{
	kube_store *s = userdata;
	const kube_kind_info *k;
	kube_object *o = NULL;
	kube__entry *e;
	char *key = NULL;
	int rc;

	if ((rc = kube_object_from_json(&o, kv->value, kv->len)) != 0)
		return kube__error_set(KUBE_EIO, NULL, "store: the stored object %s does not decode: %s",
		                       kv->key, kube_error_last() ? kube_error_last()->message : "");
	if ((rc = object_kind(o, &k)) != 0 ||
	    !(key = make_key(k->resource, k->namespaced ? kube_object_namespace(o) : NULL,
	                     kube_object_name(o) ? kube_object_name(o) : "")) ||
	    strcmp(key, kv->key) != 0) {
		rc = kube__error_set(KUBE_EIO, NULL, "store: the stored object %s is not the object its key names",
		                     kv->key);
		goto fail;
	}
	if ((rc = publish(o, kv->mod_revision)) != 0 ||
	    (rc = new_entry(s, key, k, o, kv->mod_revision, &e)) != 0)
		goto fail;
	return reindex(s, e, NULL, e->obj);
fail:
	kube_free(key);
	kube_object_unref(o);
	return rc;
}

int kube_store_open(kube_store **out, kube_loop *loop, const kube_store_options *opts)
{
	kube_store_options def = KUBE_STORE_OPTIONS_INIT;
	kube_store *s;
	kube__index *idx;
	int64_t rev = 0;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(loop);
	if (!opts)
		opts = &def;
	if (opts->version == 0 || opts->version > KUBE_STORE_OPTIONS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL, "kube_store_open: unknown options version %u",
		                       opts->version);
	if (opts->history == 0 || opts->watch_backlog == 0)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_store_open: history and watch_backlog must be > 0");
	if (opts->max_object_bytes == 0 || opts->max_object_bytes > KUBE_STORE_MAX_OBJECT_BYTES)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_store_open: max_object_bytes must be in 1..%zu",
		                       KUBE_STORE_MAX_OBJECT_BYTES);
	if (opts->backend && strcmp(opts->backend, "memory") != 0 && strcmp(opts->backend, "sqlite") != 0)
		return kube__error_set(KUBE_EINVAL, NULL, "kube_store_open: unknown backend \"%s\"",
		                       opts->backend);
	if (!(s = kube_calloc(1, sizeof(*s))))
		return kube__error_oom();
	s->loop = loop;
	s->opts = *opts;
	s->backend = opts->backend && strcmp(opts->backend, "sqlite") == 0 ? &kube__store_sqlite_backend
	                                                                  : &kube__store_memory_backend;
	s->opts.backend = s->backend->name;
	s->opts.path = NULL;
	if (opts->path && !(s->backend_path = kube_strdup(opts->path))) {
		kube_free(s);
		return kube__error_oom();
	}
	s->opts.path = s->backend_path;
	if ((rc = add_index(s, NULL, KUBE_INDEX_NAMESPACE, IDX_NAMESPACE, NULL, NULL, NULL, &idx)) ||
	    (rc = add_index(s, NULL, KUBE_INDEX_OWNER, IDX_OWNER, NULL, NULL, NULL, &idx)) ||
	    (rc = add_index(s, NULL, KUBE_INDEX_NODE_NAME, IDX_NODE_NAME, NULL, NULL, NULL, &idx)) ||
	    (rc = kube__watch_init(s)) != 0) {
		kube_store_close(s);
		return rc;
	}
	if ((rc = s->backend->open(&s->backend_state, &s->opts)) != 0) {
		kube_store_close(s);
		return rc;
	}
	/* Durable backends stream their keys here and the store rebuilds its
	 * entries and indexes; the memory backend starts empty. */
	if ((rc = s->backend->load(s->backend_state, load_one, s, &rev)) != 0) {
		kube_store_close(s);
		return rc;
	}
	s->revision = rev;
	*out = s;
	return 0;
}

void kube_store_close(kube_store *store)
{
	if (!store)
		return;
	store->closing = 1;
	kube__watch_fini(store);
	while (store->indexes) {
		kube__index *idx = store->indexes;
		store->indexes = idx->next;
		index_free(idx);
	}
	free_entries(store->entries);
	while (store->lindexes) {
		kube__lindex *l = store->lindexes;
		store->lindexes = l->next;
		kube_label_index_free(l->idx);
		kube_free(l->resource);
		kube_free(l);
	}
	kube_free(store->slots);
	kube_free(store->free_slots);
	if (store->backend_state)
		store->backend->close(store->backend_state);
	kube__buf_free(&store->scratch);
	kube_free(store->backend_path);
	kube_free(store);
}

int64_t kube_store_revision(const kube_store *store)
{
	return store ? store->revision : 0;
}

/* ---- the write path ---- */

static int set_rv(kube_object *o, int64_t rev)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%lld", (long long)rev);
	return kube_object_set_string(o, "metadata.resourceVersion", buf);
}

/*
 * Encodes obj (mutable, resourceVersion already removed), checks its size
 * and sends one conditional op to the backend.  Returns 0 and the new
 * revision, or the op's error.
 */
static int commit_one(kube_store *s, kube__op_type type, const char *key, kube_object *obj,
                      int64_t expect, int64_t *rev)
{
	kube__store_op op;
	int rc;

	memset(&op, 0, sizeof(op));
	op.type = type;
	op.key = key;
	op.expect_revision = expect;
	if (type == KUBE__OP_PUT) {
		s->scratch.len = 0;
		if ((rc = kube__json_encode(&s->scratch, kube__object_doc(obj), 0)) != 0)
			return rc;
		if (s->scratch.len > s->opts.max_object_bytes)
			return kube__error_set(KUBE_EINVAL, NULL,
			                       "%s: the object is too large: %zu bytes of JSON, the limit is %zu",
			                       key, s->scratch.len, s->opts.max_object_bytes);
		op.value = s->scratch.data;
		op.len = s->scratch.len;
	}
	if ((rc = s->backend->commit(s->backend_state, &op, 1)) != 0)
		return rc;
	if (op.result != 0)
		return kube__error_set(op.result, NULL, "%s: the backend refused the write (%s)", key,
		                       kube_strerror(op.result));
	*rev = op.revision;
	s->revision = op.revision;
	/* A large object leaves a large buffer: do not keep it for small ones. */
	if (s->scratch.cap > 256 * 1024) {
		kube__buf_free(&s->scratch);
		s->scratch = (kube__buf)KUBE__BUF_INIT;
	}
	return 0;
}

/* Stamps rev and publishes (freezes) obj; takes the caller's reference. */
static int publish(kube_object *obj, int64_t rev)
{
	int rc = set_rv(obj, rev);
	if (rc == 0)
		kube_object_freeze(obj);
	return rc;
}

static void remove_if_present(kube_object *o, const char *path)
{
	kube_value_type t;
	if (kube_object_get_type(o, path, &t) == 0)
		kube_object_remove(o, path);
}

/* Generates metadata.name from generateName, as upstream's SimpleNameGenerator. */
static int generate_name(kube_object *copy, const char *base)
{
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	unsigned char r[5];
	char name[80];
	size_t n = strlen(base);
	int rc;

	if (n > 58)
		n = 58;
	if ((rc = random_bytes(r, sizeof(r))) != 0)
		return rc;
	memcpy(name, base, n);
	for (int i = 0; i < 5; i++)
		name[n + (size_t)i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	name[n + 5] = '\0';
	return kube_object_set_string(copy, "metadata.name", name);
}

static int new_entry(kube_store *s, char *key, const kube_kind_info *k, kube_object *obj,
                     int64_t rev, kube__entry **out)
{
	kube__entry *e = kube_calloc(1, sizeof(*e));

	kube_label_index *li;
	int rc;

	if (!e)
		return kube__error_oom();
	e->resource_len = strlen(k->resource);
	if ((rc = slot_alloc(s, e)) != 0) {
		kube_free(e);
		return rc;
	}
	/* Objects without labels stay out of the label index: the index only
	 * answers selectors with =, == or in, which an empty set never
	 * matches. */
	if (!(li = lindex_for(s, k->resource, e->resource_len, 1)) ||
	    (kube_labels_count(kube_object_labels(obj)) > 0 &&
	     (rc = kube_label_index_add(li, e->slot, kube_object_labels(obj))) != 0)) {
		slot_free(s, e);
		kube_free(e);
		return li ? rc : KUBE_ENOMEM;
	}
	e->key = key;
	e->obj = obj;
	e->mod_revision = rev;
	e->node.key = e->key;
	e->node.val = e;
	e->node.prio = kube__tree_prio();
	kube__tree_insert(&s->entries, &e->node);
	s->count++;
	*out = e;
	return 0;
}

int kube_store_create(kube_object **out, kube_store *store, const kube_object *obj)
{
	const kube_kind_info *k;
	kube_object *copy = NULL;
	kube__entry *e = NULL;
	const char *name, *ns, *rv;
	char uid[37], ts[32], *key = NULL;
	int64_t rev;
	int rc;

	if (out)
		*out = NULL;
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(obj);
	if ((rc = object_kind(obj, &k)) != 0)
		return rc;
	if ((rv = kube_object_resource_version(obj)) && *rv)
		return kube__error_set(KUBE_EINVAL, "metadata.resourceVersion",
		                       "resourceVersion should not be set on objects to be created");
	name = kube_object_name(obj);
	if ((!name || !*name) && !(kube_object_generate_name(obj) && *kube_object_generate_name(obj)))
		return kube__error_set(KUBE_EINVAL, "metadata.name",
		                       "metadata.name: Required value: name or generateName is required");
	ns = kube_object_namespace(obj);
	if (k->namespaced && (!ns || !*ns))
		return kube__error_set(KUBE_EINVAL, "metadata.namespace",
		                       "metadata.namespace: Required value");
	if (k->namespaced && (rc = check_segment("metadata.namespace", ns)) != 0)
		return rc;
	if ((rc = kube_object_mutable(&copy, obj)) != 0)
		return rc;
	if (!k->namespaced)
		remove_if_present(copy, "metadata.namespace");
	if ((!name || !*name) && (rc = generate_name(copy, kube_object_generate_name(obj))) != 0)
		goto fail;
	name = kube_object_name(copy);
	if ((rc = check_segment("metadata.name", name)) != 0)
		goto fail;
	if (!(key = make_key(k->resource, k->namespaced ? ns : NULL, name))) {
		rc = KUBE_ENOMEM;
		goto fail;
	}
	if (find_entry(store, key)) {
		char qr[160];
		qualified_resource(qr, sizeof(qr), k);
		rc = kube__error_set(KUBE_EEXISTS, NULL, "%s \"%s\" already exists", qr, name);
		goto fail;
	}
	if ((rc = new_uid(uid)) != 0)
		goto fail;
	now_rfc3339(ts);
	/* System fields, as upstream's BeforeCreate: whatever the caller sent. */
	if ((rc = kube_object_set_string(copy, "metadata.uid", uid)) != 0 ||
	    (rc = kube_object_set_string(copy, "metadata.creationTimestamp", ts)) != 0 ||
	    (rc = kube_object_set_int(copy, "metadata.generation", 1)) != 0)
		goto fail;
	remove_if_present(copy, "metadata.deletionTimestamp");
	remove_if_present(copy, "metadata.deletionGracePeriodSeconds");
	remove_if_present(copy, "metadata.resourceVersion");
	remove_if_present(copy, "metadata.selfLink");
	if ((rc = commit_one(store, KUBE__OP_PUT, key, copy, KUBE__EXPECT_ABSENT, &rev)) != 0)
		goto fail;
	if ((rc = publish(copy, rev)) != 0 || (rc = new_entry(store, key, k, copy, rev, &e)) != 0)
		goto fail;   /* ENOMEM after the backend wrote: see the report */
	key = NULL;
	reindex(store, e, NULL, e->obj);
	kube__ring_append(store, KUBE_WATCH_ADDED, rev, e->key, e->obj, NULL);
	if (out)
		*out = kube_object_ref(e->obj);
	return 0;
fail:
	kube_free(key);
	kube_object_unref(copy);
	return rc;
}

/* Follows a label change of e (from `old` to e->obj) in the label index. */
static void relabel(kube_store *s, kube__entry *e, const kube_object *old)
{
	kube_label_index *li = lindex_for(s, e->key, e->resource_len, 0);
	const kube_labels *now = kube_object_labels(e->obj);

	if (kube_labels_equal(kube_object_labels(old), now))
		return;
	if (kube_labels_count(now) == 0) {
		kube_label_index_remove(li, e->slot);   /* see new_entry */
		return;
	}
	if (kube_label_index_update(li, e->slot, now) != 0)
		KUBE_LOG(KUBE_LOG_ERROR, "store", "%s: label index update failed", e->key);
}

/* Copies (or removes) metadata field `path` of `from` into `to`. */
static int keep_field(kube_object *to, const kube_object *from, const char *path)
{
	char *json = NULL;
	int rc = kube_object_get_json(from, path, &json);

	if (rc == KUBE_ENOTFOUND) {
		kube_error_clear();
		remove_if_present(to, path);
		return 0;
	}
	if (rc)
		return rc;
	rc = kube_object_set_json(to, path, json);
	kube_free(json);
	return rc;
}

static int spec_equal(const kube_object *a, const kube_object *b)
{
	json_object *sa = NULL, *sb = NULL;
	json_object_object_get_ex(kube__object_doc(a), "spec", &sa);
	json_object_object_get_ex(kube__object_doc(b), "spec", &sb);
	return json_object_equal(sa, sb);
}

/* Removes the entry and records its deletion; `last` is the object's final
 * state (mutable, ours). */
static int delete_entry(kube_store *s, kube__entry *e, kube_object *last, kube_object **out)
{
	int64_t rev;
	int rc;

	remove_if_present(last, "metadata.resourceVersion");
	if ((rc = commit_one(s, KUBE__OP_DELETE, e->key, NULL, e->mod_revision, &rev)) != 0) {
		kube_object_unref(last);
		return rc;
	}
	if ((rc = publish(last, rev)) != 0) {
		kube_object_unref(last);
		return rc;
	}
	kube__tree_remove(&s->entries, e->key);
	s->count--;
	reindex(s, e, e->obj, NULL);
	if (kube_labels_count(kube_object_labels(e->obj)) > 0)
		kube_label_index_remove(lindex_for(s, e->key, e->resource_len, 0), e->slot);
	slot_free(s, e);
	kube__ring_append(s, KUBE_WATCH_DELETED, rev, e->key, last, e->obj);
	if (out)
		*out = kube_object_ref(last);
	kube_object_unref(last);
	kube_object_unref(e->obj);
	kube_free(e->key);
	kube_free(e);
	return 0;
}

/* The update path; consumes `copy` (mutable). */
static int do_update(kube_store *s, const kube_kind_info *k, kube_object *copy, kube_object **out)
{
	const char *name = kube_object_name(copy), *ns = kube_object_namespace(copy);
	const char *rv = kube_object_resource_version(copy), *uid = kube_object_uid(copy);
	kube__entry *e;
	kube_object *old;
	char *key = NULL;
	int64_t rev;
	int rc;

	if (!name || !*name) {
		rc = kube__error_set(KUBE_EINVAL, "metadata.name", "metadata.name: Required value: name is required");
		goto done;
	}
	if (k->namespaced && (!ns || !*ns)) {
		rc = kube__error_set(KUBE_EINVAL, "metadata.namespace", "metadata.namespace: Required value");
		goto done;
	}
	if ((rc = check_segment("metadata.name", name)) != 0 ||
	    (k->namespaced && (rc = check_segment("metadata.namespace", ns)) != 0))
		goto done;
	if (!(key = make_key(k->resource, k->namespaced ? ns : NULL, name))) {
		rc = KUBE_ENOMEM;
		goto done;
	}
	if (!(e = find_entry(s, key))) {
		rc = not_found(k, name);
		goto done;
	}
	old = e->obj;
	if (rv && *rv && strcmp(rv, kube_object_resource_version(old)) != 0) {
		rc = conflict(k, name, MODIFIED_MSG);
		goto done;
	}
	if (uid && *uid && strcmp(uid, kube_object_uid(old)) != 0) {
		char why[200];
		snprintf(why, sizeof(why), "Precondition failed: UID in precondition: %s, UID in object meta: %s",
		         uid, kube_object_uid(old));
		rc = conflict(k, name, why);
		goto done;
	}
	if (!k->namespaced)
		remove_if_present(copy, "metadata.namespace");
	if ((rc = keep_field(copy, old, "metadata.uid")) != 0 ||
	    (rc = keep_field(copy, old, "metadata.creationTimestamp")) != 0 ||
	    (rc = keep_field(copy, old, "metadata.deletionTimestamp")) != 0 ||
	    (rc = keep_field(copy, old, "metadata.deletionGracePeriodSeconds")) != 0 ||
	    (rc = kube_object_set_int(copy, "metadata.generation",
	                              kube_object_generation(old) + (spec_equal(old, copy) ? 0 : 1))) != 0 ||
	    (rc = kube_object_set_string(copy, "metadata.resourceVersion",
	                                 kube_object_resource_version(old))) != 0)
		goto done;
	/* Nothing changed: upstream writes nothing and keeps the revision. */
	if (json_object_equal(kube__object_doc(old), kube__object_doc(copy))) {
		if (out)
			*out = kube_object_ref(old);
		rc = 0;
		goto done;
	}
	if (kube_object_deletion_timestamp(old) && kube_object_finalizer_count(copy) == 0) {
		rc = delete_entry(s, e, copy, out);
		copy = NULL;
		goto done;
	}
	remove_if_present(copy, "metadata.resourceVersion");
	if ((rc = commit_one(s, KUBE__OP_PUT, key, copy, e->mod_revision, &rev)) != 0 ||
	    (rc = publish(copy, rev)) != 0)
		goto done;
	e->obj = copy;
	e->mod_revision = rev;
	copy = NULL;
	relabel(s, e, old);
	reindex(s, e, old, e->obj);
	kube__ring_append(s, KUBE_WATCH_MODIFIED, rev, e->key, e->obj, old);
	kube_object_unref(old);
	if (out)
		*out = kube_object_ref(e->obj);
done:
	kube_free(key);
	kube_object_unref(copy);
	return rc;
}

int kube_store_update(kube_object **out, kube_store *store, const kube_object *obj)
{
	const kube_kind_info *k;
	kube_object *copy;
	int rc;

	if (out)
		*out = NULL;
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(obj);
	if ((rc = object_kind(obj, &k)) != 0)
		return rc;
	if ((rc = kube_object_mutable(&copy, obj)) != 0)
		return rc;
	return do_update(store, k, copy, out);
}

int kube_store_guaranteed_update(kube_object **out, kube_store *store, const char *resource,
                                 const char *namespace_, const char *name,
                                 kube_store_mutate_cb mutate, void *userdata)
{
	const kube_kind_info *k;
	int rc = KUBE_ECONFLICT;

	if (out)
		*out = NULL;
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(resource);
	KUBE_CHECK_ARG(name);
	KUBE_CHECK_ARG(mutate);
	if (!(k = resource_info(resource)))
		return kube__error_set(KUBE_EINVAL, NULL, "the server doesn't have a resource type \"%s\"",
		                       resource);
	for (int attempt = 0; attempt < MAX_UPDATE_RETRIES; attempt++) {
		kube_object *cur = NULL, *copy = NULL;
		char rv[24];

		if ((rc = kube_store_get(&cur, store, resource, namespace_, name)) != 0)
			return rc;
		snprintf(rv, sizeof(rv), "%s", kube_object_resource_version(cur));
		rc = kube_object_mutable(&copy, cur);
		kube_object_unref(cur);
		if (rc)
			return rc;
		if ((rc = mutate(copy, userdata)) != 0) {
			kube_object_unref(copy);
			return rc;
		}
		/* The write is conditional on the version mutate started from,
		 * whatever mutate did to the field. */
		if ((rc = kube_object_set_string(copy, "metadata.resourceVersion", rv)) != 0) {
			kube_object_unref(copy);
			return rc;
		}
		if ((rc = do_update(store, k, copy, out)) != KUBE_ECONFLICT)
			return rc;
	}
	return rc;
}

int kube_store_delete(kube_object **out, kube_store *store, const char *resource,
                      const char *namespace_, const char *name, const kube_delete_options *opts)
{
	const kube_kind_info *k;
	kube__entry *e;
	kube_object *copy = NULL;
	char *key;
	int rc;

	if (out)
		*out = NULL;
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(resource);
	KUBE_CHECK_ARG(name);
	KUBE_CHECK_ARG(!opts || (opts->version >= 1 && opts->version <= KUBE_DELETE_OPTIONS_VERSION));
	if (!(k = resource_info(resource)))
		return kube__error_set(KUBE_EINVAL, NULL, "the server doesn't have a resource type \"%s\"",
		                       resource);
	if (!(key = make_key(resource, k->namespaced ? namespace_ : NULL, name)))
		return KUBE_ENOMEM;
	e = find_entry(store, key);
	kube_free(key);
	if (!e)
		return not_found(k, name);
	if (opts && opts->uid && strcmp(opts->uid, kube_object_uid(e->obj)) != 0) {
		char why[200];
		snprintf(why, sizeof(why), "Precondition failed: UID in precondition: %s, UID in object meta: %s",
		         opts->uid, kube_object_uid(e->obj));
		return conflict(k, name, why);
	}
	if (opts && opts->resource_version &&
	    strcmp(opts->resource_version, kube_object_resource_version(e->obj)) != 0) {
		char why[200];
		snprintf(why, sizeof(why),
		         "Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object meta: %s",
		         opts->resource_version, kube_object_resource_version(e->obj));
		return conflict(k, name, why);
	}
	if ((rc = kube_object_mutable(&copy, e->obj)) != 0)
		return rc;
	if (kube_object_finalizer_count(e->obj) == 0)
		return delete_entry(store, e, copy, out);
	if (kube_object_deletion_timestamp(e->obj)) {
		/* Already being deleted: nothing more to do until the finalizers go. */
		kube_object_unref(copy);
		if (out)
			*out = kube_object_ref(e->obj);
		return 0;
	}
	char ts[32];
	now_rfc3339(ts);
	if ((rc = kube_object_set_string(copy, "metadata.deletionTimestamp", ts)) != 0 ||
	    (rc = kube_object_set_int(copy, "metadata.deletionGracePeriodSeconds", 0)) != 0) {
		kube_object_unref(copy);
		return rc;
	}
	/* An unconditional write of our own copy: it cannot conflict. */
	kube_object *old = e->obj;
	int64_t rev;
	remove_if_present(copy, "metadata.resourceVersion");
	if ((rc = commit_one(store, KUBE__OP_PUT, e->key, copy, e->mod_revision, &rev)) != 0 ||
	    (rc = publish(copy, rev)) != 0) {
		kube_object_unref(copy);
		return rc;
	}
	e->obj = copy;
	e->mod_revision = rev;
	relabel(store, e, old);
	reindex(store, e, old, copy);
	kube__ring_append(store, KUBE_WATCH_MODIFIED, rev, e->key, copy, old);
	kube_object_unref(old);
	if (out)
		*out = kube_object_ref(copy);
	return 0;
}

/* ---- reading ---- */

int kube_store_get(kube_object **out, kube_store *store, const char *resource,
                   const char *namespace_, const char *name)
{
	const kube_kind_info *k;
	kube__entry *e;
	char *key;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(resource);
	KUBE_CHECK_ARG(name);
	if (!(k = resource_info(resource)))
		return kube__error_set(KUBE_EINVAL, NULL, "the server doesn't have a resource type \"%s\"",
		                       resource);
	if (!(key = make_key(resource, k->namespaced ? namespace_ : NULL, name)))
		return KUBE_ENOMEM;
	e = find_entry(store, key);
	kube_free(key);
	if (!e)
		return not_found(k, name);
	*out = kube_object_ref(e->obj);
	return 0;
}

/* ---- filters (list and watch) ---- */

int kube__filter_init(kube__filter *f, const char *resource, const char *ns,
                      const char *label_selector, const char *field_selector)
{
	int rc;

	memset(f, 0, sizeof(*f));
	f->resource = resource;
	f->resource_len = strlen(resource);
	f->namespace_ = ns && *ns ? ns : NULL;
	if (label_selector && *label_selector &&
	    (rc = kube_selector_parse(&f->labels, label_selector)) != 0)
		return rc;
	if ((rc = kube__fieldsel_parse(&f->fields, field_selector)) != 0) {
		kube__filter_fini(f);
		return rc;
	}
	return 0;
}

void kube__filter_fini(kube__filter *f)
{
	kube_selector_free(f->labels);
	kube__fieldsel_free(f->fields);
	f->labels = NULL;
	f->fields = NULL;
}

int kube__filter_matches(const kube__filter *f, const char *key, const kube_object *obj)
{
	if (strncmp(key, f->resource, f->resource_len) != 0 || key[f->resource_len] != '/')
		return 0;
	if (f->namespace_) {
		const char *ns = kube_object_namespace(obj);
		if (!ns || strcmp(ns, f->namespace_) != 0)
			return 0;
	}
	if (f->labels && !kube_selector_matches(f->labels, kube_object_labels(obj)))
		return 0;
	return kube__fieldsel_matches(f->fields, obj);
}

static int grow_objs(kube_object ***objs, size_t n, size_t *cap)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 16;
	kube_object **v = kube_realloc(*objs, c * sizeof(*v));
	if (!v)
		return kube__error_oom();
	*objs = v;
	*cap = c;
	return 0;
}

int kube__store_snapshot(kube_store *s, const kube__filter *f, kube_object ***objs, size_t *n)
{
	char prefix[512];
	size_t cap = 0;
	kube__tnode *t;

	*objs = NULL;
	*n = 0;
	snprintf(prefix, sizeof(prefix), "%s/%s%s", f->resource, f->namespace_ ? f->namespace_ : "",
	         f->namespace_ ? "/" : "");
	for (t = kube__tree_next(s->entries, prefix, 1); t && strncmp(t->key, prefix, strlen(prefix)) == 0;
	     t = kube__tree_next(s->entries, t->key, 0)) {
		kube__entry *e = t->val;
		if (!kube__filter_matches(f, e->key, e->obj))
			continue;
		if (grow_objs(objs, *n, &cap) != 0) {
			for (size_t i = 0; i < *n; i++)
				kube_object_unref((*objs)[i]);
			kube_free(*objs);
			*objs = NULL;
			*n = 0;
			return KUBE_ENOMEM;
		}
		(*objs)[(*n)++] = kube_object_ref(e->obj);
	}
	return 0;
}

/* ---- continue tokens: base64url(JSON {"v","rv","start"}) as upstream ---- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *b64url_encode(const unsigned char *in, size_t n)
{
	char *out = kube_malloc((n + 2) / 3 * 4 + 1), *p = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		*p++ = B64[(v >> 18) & 63];
		*p++ = B64[(v >> 12) & 63];
		if (i + 1 < n)
			*p++ = B64[(v >> 6) & 63];
		if (i + 2 < n)
			*p++ = B64[v & 63];
	}
	*p = '\0';
	return out;
}

/* Go's base64.RawURLEncoding: no padding; errors name the offending byte. */
static int b64url_decode(const char *in, kube__buf *out)
{
	size_t n = strlen(in);
	uint32_t acc = 0;
	int bits = 0;

	if (n % 4 == 1)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "continue key is not valid: illegal base64 data at input byte %zu", n - 1);
	for (size_t i = 0; i < n; i++) {
		const char *p = strchr(B64, in[i]);
		if (!p || !in[i])
			return kube__error_set(KUBE_EINVAL, NULL,
			                       "continue key is not valid: illegal base64 data at input byte %zu", i);
		acc = (acc << 6) | (uint32_t)(p - B64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			kube__buf_putc(out, (char)((acc >> bits) & 0xff));
		}
	}
	return out->failed ? kube__error_oom() : 0;
}

static char *encode_continue(int64_t rev, const char *rel_key)
{
	kube__buf j = KUBE__BUF_INIT;
	char *tok;

	kube__buf_printf(&j, "{\"v\":\"meta.k8s.io/v1\",\"rv\":%lld,\"start\":\"", (long long)rev);
	for (const char *p = rel_key; *p; p++) {
		if (*p == '"' || *p == '\\')
			kube__buf_putc(&j, '\\');
		kube__buf_putc(&j, *p);
	}
	kube__buf_puts(&j, "\\u0000\"}");
	if (j.failed) {
		kube__buf_free(&j);
		return NULL;
	}
	tok = b64url_encode((const unsigned char *)j.data, j.len);
	kube__buf_free(&j);
	return tok;
}

/* path.Clean("/" + key) == "/" + key, the check upstream uses against
 * tokens that climb out of the listed prefix. */
static int clean_path(const char *k, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return 1;
	if (k[n - 1] == '/')
		return 0;
	while (i < n) {
		size_t j = i;
		while (j < n && k[j] != '/')
			j++;
		size_t len = j - i;
		if (len == 0 || (len == 1 && k[i] == '.') || (len == 2 && k[i] == '.' && k[i + 1] == '.'))
			return 0;
		i = j + 1;
	}
	return 1;
}

/* Decodes a token into its revision and the absolute start key (copied into
 * *start, release with kube_free); *exclusive is 1 when the token's key ends
 * with NUL (start after that key). */
static int decode_continue(const char *tok, const char *prefix, int64_t *rev, char **start,
                           int *exclusive)
{
	kube__buf raw = KUBE__BUF_INIT;
	json_object *root = NULL, *v, *rv, *st;
	const char *sk;
	size_t sklen;
	int rc;

	if ((rc = b64url_decode(tok, &raw)) != 0)
		goto done;
	root = raw.data ? json_tokener_parse(raw.data) : NULL;
	if (!root || !json_object_is_type(root, json_type_object)) {
		rc = kube__error_set(KUBE_EINVAL, NULL, "continue key is not valid: not a JSON object");
		goto done;
	}
	if (!json_object_object_get_ex(root, "v", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "meta.k8s.io/v1") != 0) {
		rc = kube__error_set(KUBE_EINVAL, NULL,
		                     "continue key is not valid: server does not recognize this encoded version \"%s\"",
		                     v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "");
		goto done;
	}
	if (!json_object_object_get_ex(root, "rv", &rv) || !json_object_is_type(rv, json_type_int) ||
	    json_object_get_int64(rv) <= 0) {
		rc = kube__error_set(KUBE_EINVAL, NULL,
		                     "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
		goto done;
	}
	if (!json_object_object_get_ex(root, "start", &st) || !json_object_is_type(st, json_type_string) ||
	    json_object_get_string_len(st) == 0) {
		rc = kube__error_set(KUBE_EINVAL, NULL,
		                     "continue key is not valid: encoded start key empty (version meta.k8s.io/v1)");
		goto done;
	}
	sk = json_object_get_string(st);
	sklen = (size_t)json_object_get_string_len(st);
	*exclusive = sk[sklen - 1] == '\0';
	if (memchr(sk, '\0', sklen - (size_t)*exclusive) || !clean_path(sk, sklen - (size_t)*exclusive)) {
		rc = kube__error_set(KUBE_EINVAL, NULL, "continue key is not valid: %.*s",
		                     (int)(sklen - (size_t)*exclusive), sk);
		goto done;
	}
	*rev = json_object_get_int64(rv);
	kube__buf b = KUBE__BUF_INIT;
	kube__buf_puts(&b, prefix);
	kube__buf_put(&b, sk, sklen - (size_t)*exclusive);
	kube__buf_putc(&b, '\0');
	if (b.failed) {
		kube__buf_free(&b);
		rc = kube__error_oom();
		goto done;
	}
	*start = kube__buf_detach(&b, NULL);
	rc = 0;
done:
	json_object_put(root);
	kube__buf_free(&raw);
	return rc;
}

/* ---- list ---- */

/* A key's state at the list revision when it changed since. */
typedef struct change {
	const char *key;
	kube_object *obj;   /* NULL: the key did not exist then */
	size_t seq;
} change;

static int change_cmp(const void *a, const void *b)
{
	const change *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

static int collect_changes(kube_store *s, int64_t rev, const char *prefix, change **out, size_t *n)
{
	size_t plen = strlen(prefix), first = kube__ring_after(s, rev), m = 0;
	change *c;

	*out = NULL;
	*n = 0;
	if (first >= s->ring_len)
		return 0;
	if (!(c = kube_calloc(s->ring_len - first, sizeof(*c))))
		return kube__error_oom();
	for (size_t i = first; i < s->ring_len; i++) {
		kube__event *ev = kube__ring_at(s, i);
		if (strncmp(ev->key, prefix, plen) != 0)
			continue;
		c[m].key = ev->key;
		c[m].obj = ev->prev;
		c[m].seq = i;
		m++;
	}
	qsort(c, m, sizeof(*c), change_cmp);
	/* keep the earliest change of each key: its "before" is the state at rev */
	size_t w = 0;
	for (size_t i = 0; i < m; i++)
		if (w == 0 || strcmp(c[w - 1].key, c[i].key) != 0)
			c[w++] = c[i];
	*out = c;
	*n = w;
	return 0;
}

static int entry_key_cmp(const void *a, const void *b)
{
	return strcmp((*(kube__entry *const *)a)->key, (*(kube__entry *const *)b)->key);
}

/*
 * A list answered from the label index: the ids whose labels match, kept
 * when in range and passing the other filters, sorted by key.  Used when
 * the selector names exact values (so the matches are few) and the page
 * is at the current revision.
 */
static int list_by_labels(kube_store *s, const kube__filter *f, const char *prefix,
                          const char *pos, int inclusive, size_t limit, int64_t rev,
                          kube_object_list *list, char **cont)
{
	kube_label_index *li = lindex_for(s, f->resource, f->resource_len, 0);
	size_t n = 0, m = 0, plen = strlen(prefix);
	uint32_t *ids = NULL;
	kube__entry **v = NULL;
	int rc;

	if (!li)
		return 0;
	if ((rc = kube_label_index_select(li, f->labels, &ids, &n)) != 0)
		return rc;
	if (n > 0 && !(v = kube_malloc(n * sizeof(*v)))) {
		kube_free(ids);
		return kube__error_oom();
	}
	for (size_t i = 0; i < n; i++) {
		kube__entry *e = ids[i] < s->nslots ? s->slots[ids[i]] : NULL;
		int c;
		if (!e || strncmp(e->key, prefix, plen) != 0)
			continue;
		c = strcmp(e->key, pos);
		if (c < 0 || (c == 0 && !inclusive))
			continue;
		if (kube__filter_matches(f, e->key, e->obj))
			v[m++] = e;
	}
	kube_free(ids);
	if (m > 1)
		qsort(v, m, sizeof(*v), entry_key_cmp);
	for (size_t i = 0; i < m && rc == 0; i++) {
		if (limit && i == limit) {
			if (cont && !(*cont = encode_continue(rev, v[i - 1]->key + plen)))
				rc = kube__error_oom();
			break;
		}
		rc = kube_object_list_append(list, v[i]->obj);
	}
	kube_free(v);
	return rc;
}

int kube_store_list(kube_object_list **out, kube_store *store, const char *resource,
                    const kube_list_options *opts, int64_t *revision, char **continue_token)
{
	kube_list_options def = KUBE_LIST_OPTIONS_INIT;
	kube__filter f;
	kube__index *idx = NULL;
	kube__tnode *root;
	kube_object_list *list = NULL;
	kube_index_values iv = { 0 };
	change *changes = NULL;
	size_t nchanges = 0, ci = 0, found = 0;
	char prefix[512], *pos = NULL, *last = NULL;
	int64_t rev;
	int rc, inclusive = 1;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	if (continue_token)
		*continue_token = NULL;
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(resource && *resource && !strchr(resource, '/'));
	if (!opts)
		opts = &def;
	KUBE_CHECK_ARG(opts->version >= 1 && opts->version <= KUBE_LIST_OPTIONS_VERSION);
	KUBE_CHECK_ARG(!opts->index == !opts->index_value);
	KUBE_CHECK_ARG(!opts->namespace_ || !strchr(opts->namespace_, '/'));
	if (opts->index && !(idx = find_index(store, resource, opts->index)))
		return kube__error_set(KUBE_EINVAL, NULL, "Index with name %s does not exist", opts->index);
	if ((rc = kube__filter_init(&f, resource, opts->namespace_, opts->label_selector,
	                            opts->field_selector)) != 0)
		return rc;
	snprintf(prefix, sizeof(prefix), "%s/%s%s", resource, f.namespace_ ? f.namespace_ : "",
	         f.namespace_ ? "/" : "");
	rev = store->revision;
	if (opts->continue_token && *opts->continue_token) {
		int exclusive = 0;
		if ((rc = decode_continue(opts->continue_token, prefix, &rev, &pos, &exclusive)) != 0)
			goto done;
		inclusive = !exclusive;
		if (rev > store->revision) {
			rc = kube__error_set(KUBE_EINVAL, NULL,
			                     "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
			goto done;
		}
		if (rev < kube__ring_oldest_start(store)) {
			rc = kube__error_set(KUBE_EGONE, NULL,
			                     "The provided continue parameter is too old to display a consistent "
			                     "list result. You can start a new list without the continue parameter.");
			goto done;
		}
		if ((rc = collect_changes(store, rev, prefix, &changes, &nchanges)) != 0)
			goto done;
	} else if (!(pos = kube_strdup(prefix))) {
		rc = kube__error_oom();
		goto done;
	}
	if ((rc = kube_object_list_new(&list)) != 0)
		goto done;
	if (!idx && f.labels && nchanges == 0 && selector_indexable(f.labels)) {
		if ((rc = list_by_labels(store, &f, prefix, pos, inclusive, opts->limit, rev, list,
		                         continue_token)) != 0)
			goto done;
		goto finish;
	}
	root = store->entries;
	if (idx) {
		kube__tnode *bn = kube__tree_find(idx->buckets, opts->index_value);
		root = bn ? ((bucket *)bn->val)->members : NULL;
	}
	size_t plen = strlen(prefix);
	for (;;) {
		kube__tnode *t = kube__tree_next(root, pos, inclusive);
		const char *key = NULL;
		kube_object *obj = NULL;
		int from_change = 0;

		if (t && strncmp(t->key, prefix, plen) != 0)
			t = NULL;
		while (ci < nchanges && (strcmp(changes[ci].key, pos) < 0 ||
		                         (!inclusive && strcmp(changes[ci].key, pos) == 0)))
			ci++;
		if (ci < nchanges && (!t || strcmp(changes[ci].key, t->key) <= 0)) {
			key = changes[ci].key;
			obj = changes[ci].obj;
			from_change = 1;
			ci++;
		} else if (t) {
			key = t->key;
			obj = ((kube__entry *)t->val)->obj;
		} else {
			break;
		}
		/* The next step starts after this key. */
		char *np = kube_strdup(key);
		if (!np) {
			rc = kube__error_oom();
			goto done;
		}
		kube_free(pos);
		pos = np;
		inclusive = 0;
		if (!from_change && nchanges) {
			/* A current key changed since rev: its state then is in changes
			 * (already consumed above when it sorted first). */
			size_t lo = 0, hi = nchanges;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (strcmp(changes[mid].key, key) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < nchanges && strcmp(changes[lo].key, key) == 0)
				continue;
		}
		if (!obj || !kube__filter_matches(&f, key, obj))
			continue;
		if (idx && from_change) {
			index_values(idx, obj, &iv);
			if (!values_contain(&iv, opts->index_value))
				continue;
		}
		if (opts->limit && found == opts->limit) {
			/* One more match exists: this page ends at the last one kept. */
			if (continue_token && !(*continue_token = encode_continue(rev, last + plen))) {
				rc = kube__error_oom();
				goto done;
			}
			break;
		}
		if ((rc = kube_object_list_append(list, obj)) != 0)
			goto done;
		found++;
		kube_free(last);
		if (!(last = kube_strdup(key))) {
			rc = kube__error_oom();
			goto done;
		}
	}
finish:
	if (revision)
		*revision = rev;
	*out = list;
	list = NULL;
	rc = 0;
done:
	if (rc && continue_token) {
		kube_free(*continue_token);
		*continue_token = NULL;
	}
	values_clear(&iv);
	kube_free(iv.v);
	kube_object_list_free(list);
	kube_free(changes);
	kube_free(pos);
	kube_free(last);
	kube__filter_fini(&f);
	return rc;
}
