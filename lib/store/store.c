/*
 * store.c - the object store's state: entries, indexes, open/close, get.
 *
 *   entries: treap in key order (lists)     indexes (per name)
 *            + hash table (gets, writes)    "spec.nodeName" ─▶ buckets (treap by value)
 *   "pods/default/a" ─▶ kube__entry            "node-1" ─▶ members (treap by entry key)
 *   "pods/default/b" ─▶ kube__entry         label index (labels layer), one per
 *   "nodes/node-1"   ─▶ kube__entry           resource, over entry slots
 *
 * Writes are in write.c, lists in list.c, watches in watch.c.
 *
 * Invariants:
 *   - Every stored object is frozen; the entry holds one reference, and a
 *     get, a list and each watch event share it.  The store copies what
 *     callers pass in and never changes an object it published.
 *   - A write reaches the backend first (which assigns the revision, as
 *     etcd does) and only then the in-memory state, so readers never see a
 *     write the backend refused or has not made durable.
 *   - Every write appends exactly one event to the ring (watch.c), whose
 *     revisions ascend; watchers and continued lists read history there.
 *   - Index buckets hold exactly the entries whose current object yields
 *     that value; an update re-indexes from the old and the new object.
 *     The label index holds every entry that has labels.
 *   - On open, a durable backend's keys are decoded, checked against their
 *     key, stamped with their revision and indexed, before any call.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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

/* Random bytes from a per-thread pool refilled 4 KiB at a time: one
 * getrandom() per 256 uids instead of one per create.  A fork() child
 * must not replay its parent's pool: a fork handler empties the pool of
 * the thread that forked, the child's only thread (a getpid() per uid
 * did it before: a system call per create).  Should the handler not
 * register, the pool checks the pid as before.  A child made without
 * fork handlers (_Fork, a raw clone) must exec before it creates. */
static _Thread_local unsigned char pool[4096];
static _Thread_local size_t avail;
static _Thread_local pid_t owner;       /* only without the handler */
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static int pool_handler;                /* the fork handler is registered */

static void pool_forked(void)
{
	avail = 0;
}

static void pool_init(void)
{
	pool_handler = pthread_atfork(NULL, NULL, pool_forked) == 0;
}

int kube__random_bytes(void *buf, size_t n)
{
	unsigned char *out = buf;

	pthread_once(&pool_once, pool_init);
	if (!pool_handler && owner != getpid()) {
		owner = getpid();
		avail = 0;
	}
	while (n > 0) {
		if (avail == 0) {
			size_t got = 0;
			while (got < sizeof(pool)) {
				ssize_t r = getrandom(pool + got, sizeof(pool) - got, 0);
				if (r <= 0)
					return kube__error_set(KUBE_EIO, NULL, "store: no random bytes for a uid");
				got += (size_t)r;
			}
			avail = sizeof(pool);
		}
		size_t take = n < avail ? n : avail;
		memcpy(out, pool + sizeof(pool) - avail, take);
		/* used bytes are wiped: they must not be handed out twice */
		memset(pool + sizeof(pool) - avail, 0, take);
		avail -= take;
		out += take;
		n -= take;
	}
	return 0;
}

int kube__new_uid(char out[37])
{
	unsigned char b[16];
	int rc = kube__random_bytes(b, sizeof(b));

	if (rc)
		return rc;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
	/* 8-4-4-4-12 hex digits; by hand, as snprintf costs more than the
	 * random bytes */
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 0x0f];
	}
	out[o] = '\0';
	return 0;
}

void kube__now_rfc3339(char out[32])
{
	struct tm tm;
	time_t t = time(NULL);

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "pods", or "deployments.apps": upstream's qualified resource in messages. */
void kube__qualified_resource(char *buf, size_t n, const kube_kind_info *k)
{
	if (k->group && *k->group)
		snprintf(buf, n, "%s.%s", k->resource, k->group);
	else
		snprintf(buf, n, "%s", k->resource);
}

int kube__not_found(const kube_kind_info *k, const char *name)
{
	char qr[160];
	kube__qualified_resource(qr, sizeof(qr), k);
	return kube__error_set(KUBE_ENOTFOUND, NULL, "%s \"%s\" not found", qr, name);
}

int kube__conflict(const kube_kind_info *k, const char *name, const char *why)
{
	char qr[160];
	kube__qualified_resource(qr, sizeof(qr), k);
	return kube__error_set(KUBE_ECONFLICT, NULL, "Operation cannot be fulfilled on %s \"%s\": %s",
	                       qr, name, why);
}

int kube__delete_preconditions(const kube_object *o, const char *uid, const char *rv)
{
	const kube_kind_info *k = kube_kind_lookup(kube_object_api_version(o), kube_object_kind(o));
	const char *kind = k ? k->kind : kube_object_kind(o), *group = k ? k->group : "";
	const char *dot = *group ? "." : "", *name = kube_object_name(o);
	const char *have_uid = kube_object_uid(o), *have_rv = kube_object_resource_version(o);

	if (uid && strcmp(uid, have_uid ? have_uid : "") != 0)
		return kube__error_set(KUBE_ECONFLICT, NULL, "Operation cannot be fulfilled on %s%s%s \"%s\": "
		                       "the UID in the precondition (%s) does not match the UID in record "
		                       "(%s). The object might have been deleted and then recreated",
		                       kind, dot, group, name, uid, have_uid ? have_uid : "");
	if (rv && strcmp(rv, have_rv ? have_rv : "") != 0)
		return kube__error_set(KUBE_ECONFLICT, NULL, "Operation cannot be fulfilled on %s%s%s \"%s\": "
		                       "the ResourceVersion in the precondition (%s) does not match the "
		                       "ResourceVersion in record (%s). The object might have been modified",
		                       kind, dot, group, name, rv, have_rv ? have_rv : "");
	return 0;
}

const kube_kind_info *kube__resource_info(const char *resource)
{
	/* Callers ask for the same few resources over and over. */
	static _Thread_local const kube_kind_info *last;

	if (last && strcmp(last->resource, resource) == 0)
		return last;
	for (size_t i = 0, n = kube_kind_count(); i < n; i++) {
		const kube_kind_info *k = kube_kind_at(i);
		if (strcmp(k->resource, resource) == 0)
			return last = k;
	}
	return NULL;
}

int kube__object_kind(const kube_object *obj, const kube_kind_info **out)
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

/* upstream's path.IsValidPathSegmentName, for names and namespaces in
 * keys; and UTF-8, which upstream's JSON decoding guarantees: the encoder
 * writes U+FFFD for a byte that is not, and the stored object would then
 * not be the one its key names (it could not be loaded again). */
int kube__check_segment(const char *field, const char *v)
{
	size_t n = strlen(v), l;

	for (size_t i = 0; i < n; i += l)
		if (!(l = kube__utf8_len((const unsigned char *)v + i, n - i)))
			return kube__error_set(KUBE_EINVAL, field,
			                       "%s: Invalid value: not valid UTF-8 (byte %zu)", field, i);
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
char *kube__make_key(const char *resource, const char *ns, const char *name)
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

/*
 * Point lookups go through a hash table (open addressing, linear probing,
 * power-of-two size, at most half full) beside the ordered tree: a get in a
 * store of 100,000 objects then touches one or two cache lines instead of
 * the ~25 nodes of a tree path.  Deleted slots are tombstones until the
 * next resize.
 */
#define TOMBSTONE ((kube__entry *)(uintptr_t)1)

static uint64_t key_hash(const char *k)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211ull;
	return h;
}

static int hash_resize(kube_store *s, size_t cap)
{
	kube__entry **t = kube_calloc(cap, sizeof(*t));

	if (!t)
		return kube__error_oom();
	for (size_t i = 0; i < s->hcap; i++) {
		kube__entry *e = s->htab[i];
		if (!e || e == TOMBSTONE)
			continue;
		size_t j = e->hash & (cap - 1);
		while (t[j])
			j = (j + 1) & (cap - 1);
		t[j] = e;
	}
	kube_free(s->htab);
	s->htab = t;
	s->hcap = cap;
	s->hused = s->count;
	return 0;
}

static int hash_insert(kube_store *s, kube__entry *e)
{
	size_t j;
	int rc;

	if ((s->hused + 1) * 2 > s->hcap &&
	    (rc = hash_resize(s, s->hcap ? (s->count + 1) * 2 > s->hcap ? s->hcap * 2 : s->hcap : 64)) != 0)
		return rc;
	e->hash = key_hash(e->key);
	j = e->hash & (s->hcap - 1);
	while (s->htab[j] && s->htab[j] != TOMBSTONE)
		j = (j + 1) & (s->hcap - 1);
	if (!s->htab[j])
		s->hused++;
	s->htab[j] = e;
	return 0;
}

static void hash_remove(kube_store *s, kube__entry *e)
{
	size_t j = e->hash & (s->hcap - 1);

	while (s->htab[j] != e)
		j = (j + 1) & (s->hcap - 1);
	s->htab[j] = TOMBSTONE;
}

kube__entry *kube__find_entry(kube_store *s, const char *key)
{
	uint64_t h;
	size_t j;

	if (!s->hcap)
		return NULL;
	h = key_hash(key);
	for (j = h & (s->hcap - 1); s->htab[j]; j = (j + 1) & (s->hcap - 1)) {
		kube__entry *e = s->htab[j];
		if (e != TOMBSTONE && e->hash == h && strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
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

void kube__values_clear(kube_index_values *values)
{
	for (size_t i = 0; i < values->n; i++)
		kube_free(values->v[i]);
	values->n = 0;
}

int kube__index_values(const kube__index *idx, const kube_object *obj, kube_index_values *out)
{
	const char *v = NULL;
	int rc = 0;

	kube__values_clear(out);
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
		if ((v = kube__object_node_name(obj)) && *v)
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
		kube__values_clear(out);
	}
	return rc;
}

int kube__values_contain(const kube_index_values *vals, const char *value)
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
	if (!(m = kube_malloc(sizeof(*m))))
		return kube__error_oom();
	m->key = e->key;
	m->val = e;
	m->prio = kube__tree_prio();
	if (kube__tree_insert(&b->members, m))
		kube_free(m);   /* a member already */
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
int kube__reindex(kube_store *s, kube__entry *e, const kube_object *old, const kube_object *new_)
{
	kube_index_values ov = { 0 }, nv = { 0 };
	int rc = 0;

	for (kube__index *idx = s->indexes; idx && rc == 0; idx = idx->next) {
		if (!resource_matches(idx, e->key, e->resource_len))
			continue;
		if (old)
			kube__index_values(idx, old, &ov);
		else
			kube__values_clear(&ov);
		if (new_)
			kube__index_values(idx, new_, &nv);
		else
			kube__values_clear(&nv);
		for (size_t i = 0; i < ov.n; i++)
			if (!kube__values_contain(&nv, ov.v[i]))
				bucket_remove(idx, ov.v[i], e->key);
		for (size_t i = 0; i < nv.n && rc == 0; i++)
			if (!kube__values_contain(&ov, nv.v[i]))
				rc = bucket_add(idx, nv.v[i], e);
	}
	kube__values_clear(&ov);
	kube__values_clear(&nv);
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

kube__tnode *kube__index_members(const kube__index *idx, const char *value)
{
	kube__tnode *bn = kube__tree_find(idx->buckets, value);
	return bn ? ((bucket *)bn->val)->members : NULL;
}

kube__index *kube__find_index(kube_store *s, const char *resource, const char *name)
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
		if ((rc = kube__index_values(idx, e->obj, &v)) == 0)
			for (size_t i = 0; i < v.n && rc == 0; i++)
				rc = bucket_add(idx, v.v[i], e);
		kube__values_clear(&v);
		kube_free(v.v);
		if (rc)
			return rc;
	}
	return index_existing(s, idx, n->right);
}

int kube_store_add_index(kube_store *store, const char *resource, const char *name,
                         kube_index_cb fn, void *userdata, void (*destroy)(void *))
{
	kube__index *idx = NULL;   /* set by add_index; NULL quiets -O3's warning */
	int rc;

	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(resource && *resource);
	KUBE_CHECK_ARG(name && *name);
	KUBE_CHECK_ARG(fn);
	if (kube__find_index(store, resource, name))
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

kube_label_index *kube__lindex_for(kube_store *s, const char *resource, size_t rlen, int create)
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
int kube__selector_indexable(const kube_selector *sel)
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


/* Sets metadata.resourceVersion on a freshly decoded object, freezes it
 * and makes it compact, as a write leaves it.  The compact text is encoded
 * again rather than taken from the database, so it is exactly what this
 * encoder writes whatever wrote the row. */
static int stamp(kube_object **o, int64_t rev)
{
	json_object *doc = json_object_get(kube__object_doc(*o)), *md = NULL;
	kube__buf text = KUBE__BUF_INIT;
	size_t meta_end, len;
	char rv[24], *t;
	int rc;

	*o = kube_object_unref(*o);   /* the tree is ours alone now */
	snprintf(rv, sizeof(rv), "%lld", (long long)rev);
	if (!json_object_object_get_ex(doc, "metadata", &md) || !json_object_is_type(md, json_type_object)) {
		json_object_put(doc);   /* load_one refuses such a row first */
		return kube__error_set(KUBE_EIO, NULL, "the stored object has no metadata");
	}
	json_object_object_del(md, "resourceVersion");
	if ((rc = kube__json_encode_meta(&text, doc, &meta_end)) != 0) {
		kube__buf_free(&text);
		json_object_put(doc);
		return rc;
	}
	if (json_object_object_add(md, "resourceVersion", json_object_new_string(rv)) != 0)
		goto oom;
	if ((rc = kube__object_adopt(o, doc)) != 0) {
		kube__buf_free(&text);
		return rc;
	}
	kube_object_freeze(*o);
	len = text.len;
	if ((t = kube_malloc(len + 1)) != NULL) {   /* kept: allocated to size */
		memcpy(t, text.data, len + 1);
		if (kube__object_compact(*o, t, len, meta_end) != 0)
			kube_free(t);   /* it stays whole */
	}
	kube__buf_free(&text);
	return 0;
oom:
	kube__buf_free(&text);
	json_object_put(doc);
	return kube__error_oom();
}

/* A stored object's JSON as an object.  What the store wrote it reads
 * back, so only the encoder's own cap on nesting applies (a write may
 * nest deeper than the decoder's default for callers' documents). */
static int decode_stored(kube_object **out, const char *json, size_t len)
{
	kube_decode_options opts = KUBE_DECODE_OPTIONS_INIT;
	kube__docs docs = { 0 };
	json_object *root;
	int rc;

	*out = NULL;
	opts.format = KUBE_FORMAT_JSON;
	opts.max_document_bytes = len + 1;
	opts.max_depth = KUBE__DEPTH_CAP;
	if ((rc = kube__json_decode(&docs, json, len, &opts)) != 0)
		return rc;
	if (docs.count != 1 || !json_object_is_type(docs.items[0].root, json_type_object)) {
		kube__docs_free(&docs);
		return kube__error_set(KUBE_EINVAL, NULL, "not one JSON object");
	}
	root = docs.items[0].root;
	docs.items[0].root = NULL;
	kube__docs_free(&docs);
	return kube__object_adopt(out, root);
}

/*
 * A stored row in the encoder's form (kube__json_canonical: what this
 * store writes) made its compact object straight from its bytes, as a
 * create of JSON makes one: what stamp() would make of its tree, without
 * the parse and the encoding (~90 us a pod of 2 KB, most of a reopen).
 * NULL for a row it is not sure of (another form, a resourceVersion in
 * it, metadata the text reader refuses, no memory): stamp's path then
 * decodes it and says what is wrong.
 */
static kube_object *load_text(const kube__store_kv *kv)
{
	const char *t = kv->value;
	size_t n = kv->len, md;
	kube_object *o = NULL;
	char rv[24], *copy;

	if (!n || t[0] != '{' || !kube__json_canonical(t, n) ||
	    (md = kube__json_text_member(t, n, 0, "metadata")) == SIZE_MAX || t[md] != '{' ||
	    kube__json_text_member(t, n, md, "resourceVersion") != SIZE_MAX ||
	    !(copy = kube_malloc(n + 1)))   /* kept: allocated to size */
		return NULL;
	memcpy(copy, t, n);
	copy[n] = '\0';
	if (kube__object_from_text(&o, copy, n, kube__json_text_skip(t, n, md) - 1) != 0) {
		kube_free(copy);
		return NULL;
	}
	snprintf(rv, sizeof(rv), "%lld", (long long)kv->mod_revision);
	if (kube__object_stamp_rv(o, rv) != 0)
		o = kube_object_unref(o);
	return o;
}

/* One stored key on open: decode (or read its text), check, stamp, index. */
static int load_one(const kube__store_kv *kv, void *userdata)
{
	kube_store *s = userdata;
	const kube_kind_info *k;
	kube_object *o = load_text(kv);
	int stamped = o != NULL;   /* load_text's object is; a decoded one not yet */
	kube__entry *e;
	char *key = NULL;
	int rc;

	if (!stamped && (rc = decode_stored(&o, kv->value, kv->len)) != 0) {
		char why[512];   /* the message is rewritten from itself */
		snprintf(why, sizeof(why), "%s",
		         kube_error_last() ? kube_error_last()->message : kube_strerror(rc));
		return kube__error_set(KUBE_EIO, NULL, "the stored object %s does not decode: %s",
		                       kv->key, why);
	}
	/* Every object the store writes has metadata and a name (the key's
	 * last segment): a row without is not the store's. */
	if (!kube_object_name(o) || !*kube_object_name(o)) {
		rc = kube__error_set(KUBE_EIO, NULL, "the stored object %s has no metadata.name",
		                     kv->key);
		goto fail;
	}
	if (kube__object_kind(o, &k) == 0 &&
	    !(key = kube__make_key(k->resource, k->namespaced ? kube_object_namespace(o) : NULL,
	                           kube_object_name(o)))) {
		rc = KUBE_ENOMEM;   /* raised */
		goto fail;
	}
	if (!key || strcmp(key, kv->key) != 0) {
		rc = kube__error_set(KUBE_EIO, NULL, "the stored object %s is not the object its key names",
		                     kv->key);
		goto fail;
	}
	/* The sqlite backend keeps no unique index on keys (a commit would
	 * pay a random leaf per key): a key stored twice is a broken file. */
	if (kube__find_entry(s, key)) {
		rc = kube__error_set(KUBE_EIO, NULL, "the key %s is stored twice (revisions %lld and %lld)",
		                     kv->key, (long long)kube__find_entry(s, key)->mod_revision,
		                     (long long)kv->mod_revision);
		goto fail;
	}
	if ((!stamped && (rc = stamp(&o, kv->mod_revision)) != 0) ||
	    (rc = kube__new_entry(s, key, k, o, kv->mod_revision, &e)) != 0)
		goto fail;
	return kube__reindex(s, e, NULL, e->obj);
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
	kube__writes_fini(store);
	kube__watch_fini(store);
	kube__admission_fini(store);
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
	kube_free(store->htab);
	kube__buf_free(&store->enc);
	if (store->backend_state)
		store->backend->close(store->backend_state);
	kube_free(store->backend_path);
	kube_free(store);
}

int64_t kube_store_revision(const kube_store *store)
{
	return store ? store->revision : 0;
}

/* ---- applying writes to the in-memory state (write.c) ---- */

int kube__new_entry(kube_store *s, char *key, const kube_kind_info *k, kube_object *obj,
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
	if (!(li = kube__lindex_for(s, k->resource, e->resource_len, 1)) ||
	    (kube_labels_count(kube_object_labels(obj)) > 0 &&
	     (rc = kube_label_index_add(li, e->slot, kube_object_labels(obj))) != 0)) {
		slot_free(s, e);
		kube_free(e);
		return li ? rc : KUBE_ENOMEM;
	}
	e->key = key;
	if ((rc = hash_insert(s, e)) != 0) {
		if (kube_labels_count(kube_object_labels(obj)) > 0)
			kube_label_index_remove(li, e->slot);
		slot_free(s, e);
		kube_free(e);
		return rc;
	}
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

/* Follows a label change of e (from `old` to e->obj) in the label index. */
void kube__unlink_entry(kube_store *s, kube__entry *e)
{
	hash_remove(s, e);
	kube__tree_remove(&s->entries, e->key);
	s->count--;
	kube__reindex(s, e, e->obj, NULL);
	if (kube_labels_count(kube_object_labels(e->obj)) > 0)
		kube_label_index_remove(kube__lindex_for(s, e->key, e->resource_len, 0), e->slot);
	slot_free(s, e);
}

void kube__relabel(kube_store *s, kube__entry *e, const kube_object *old)
{
	kube_label_index *li = kube__lindex_for(s, e->key, e->resource_len, 0);
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
	if (!(k = kube__resource_info(resource)))
		return kube__error_set(KUBE_EINVAL, NULL, "the server doesn't have a resource type \"%s\"",
		                       resource);
	if (!(key = kube__make_key(resource, k->namespaced ? namespace_ : NULL, name)))
		return KUBE_ENOMEM;
	e = kube__find_entry(store, key);
	kube_free(key);
	if (!e)
		return kube__not_found(k, name);
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
	if ((rc = kube__fieldsel_parse(&f->fields, resource, field_selector)) != 0) {
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

