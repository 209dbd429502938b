/*
 * write.c - create, update, delete: one at a time, or batched (group commit).
 *
 * Every write goes through three steps:
 *   prepare  check it against the committed in-memory state (existence,
 *            resourceVersion, preconditions, finalizers), build the new
 *            object and its JSON, and the conditional backend op;
 *   commit   the backend makes it durable and gives it a revision;
 *   apply    the in-memory state (entries, indexes, ring) takes it, and
 *            watchers get their event later from the loop.
 * Nothing is visible to readers before the backend has it: a get or a list
 * never sees a write that could still be lost.
 *
 * Synchronous calls (kube_store_create, ...) do the three steps in the
 * call: one transaction, one fsync each.  Asynchronous calls queue the
 * write; the queue is cut into batches, each committed as one backend
 * call (one SQLite transaction, one fsync) on a worker thread while the
 * next batch gathers.  That is group commit: throughput grows with the
 * number of writes in flight instead of being one fsync per write.
 *
 *   submit ─▶ queue ──flush──▶ batch: prepare each ─▶ worker: commit ─▶ loop: apply, callbacks
 *                     (one or two batches in flight; the queue fills meanwhile)
 *
 * A second batch may be prepared while the first commits, when what
 * batches cost says it pays (batch_room; KUBE_STORE_TWO_BATCHES=1 or 0
 * fixes it): then the loop prepares and applies one half of the writers
 * while the other half's commit runs.  Commits still run one at a time in
 * batch order (a sequence number), and batches apply and call back in
 * that order.
 *
 * A batch stops before a second write to a key that it or a batch in
 * flight writes, so each write is prepared against a state that includes
 * every earlier write to its key: writes are applied, get their revisions
 * and call back in submission order.  A synchronous write that comes while
 * batches are in flight first waits for them and applies them (their
 * callbacks then run from the loop, not inside the synchronous call).
 */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "object/object_private.h"
#include "store_private.h"

#define MAX_UPDATE_RETRIES 64
#define MAX_BATCH 1024
/* Two batches go in flight when the loop's CPU time per write is above
 * this (batch_room says why).  One batch in TIME_EVERY is timed: reading
 * the thread's CPU clock is a system call here (1.4 us, four a batch). */
#define TWO_BATCHES_LOOP_NS 25000
#define TIME_EVERY 4

static const char *const MODIFIED_MSG =
	"the object has been modified; please apply your changes to the latest version and try again";

typedef enum wkind {
	W_CREATE,
	W_UPDATE,
	W_DELETE,
	W_STATUS,                        /* /status: arg is the new status (JSON) */
	W_BIND                           /* pods/binding: arg is the node */
} wkind;

/* One write, from its request to its result. */
typedef struct pending {
	struct pending *next;
	wkind kind;
	/* the request */
	kube_object *in;                 /* create/update: the object to write */
	int in_owned;                    /* in holds a reference (asynchronous) */
	int in_private;                  /* ... to our own copy: prepare may take its tree */
	int in_text;                     /* a create of compact text in the encoder's form
	                                    (kube_store_create_json): prepare splices it */
	char made_uid[37], made_ts[32];  /* ... and what it made up, for the object */
	char made_name[80];              /* a generated name, or "" */
	char *resource, *ns, *name;      /* delete */
	char *pre_uid, *pre_rv;          /* delete, status, bind preconditions */
	char *arg;                       /* status, bind: see wkind */
	kube_store_write_cb cb;
	void *userdata;
	void (*destroy)(void *);
	/* prepared */
	int status;                      /* 0, or why it failed */
	char *errmsg;                    /* the message of a failure */
	const kube_kind_info *kind_info;
	kube_watch_event_type event;
	char *key;
	kube__entry *entry;              /* NULL for a create */
	json_object *doc;                /* the new (or, deleted: last) state, without
	                                    resourceVersion; it becomes the object at apply */
	int noop;                        /* nothing to write: the result is entry->obj */
	int noop_by_text;                /* an update of a compact object: noop is decided
	                                    on the encoded text (prepare) */
	int has_op;
	kube__store_op op;
	kube__buf value;
	size_t meta_end;                 /* in value: metadata's closing brace */
	kube_object *built;              /* the new object, compact, built while the
	                                    backend commits; stamped at apply */
	char *rkey;                      /* the key the request names, if it names one */
	kube__tnode knode;               /* in a batch's key set */
	/* the outcome */
	kube_object *result;             /* a reference, for the callback */
} pending;

typedef struct batch {
	struct batch *wnext;             /* in writes->waiting */
	struct batch *inext;             /* the next newer batch in flight */
	struct batch *pnext;             /* in writes->pooled */
	kube_store *s;                   /* NULL once the store is gone */
	pending *head;                   /* in submission order */
	size_t n;                        /* writes in it */
	kube__tnode *keys;               /* the keys it writes (nodes in its pendings) */
	uint64_t seq;                    /* commit order: 1, 2, ... */
	kube__store_op *ops;
	pending **op_owner;
	size_t nops;
	int rc;                          /* the backend's answer for the whole batch */
	char *errmsg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int committed;                   /* the worker is done */
	int applied;                     /* the results are in memory */
	int refs;                        /* the pool's done callback + the store */
	/* The loop's CPU time for it (learn): prepare, build, apply,
	 * callbacks; only when timed. */
	int timed;
	int64_t loop_ns;
} batch;

typedef struct kube__writes {
	pending *q_head, *q_tail;
	size_t q_len;
	batch *inflight, *inflight_tail; /* not applied yet, oldest first (inext) */
	size_t ninflight;
	batch *waiting;                  /* applied, callbacks deferred */
	/* Batches whose commit the worker pool will still complete
	 * (on_committed), applied or not: another batch's completion or a
	 * synchronous write may have applied them already, and a store closed
	 * before the pool runs their completion must not be reached from it. */
	batch *pooled;
	kube_timer *flush_timer;
	/* Commits run in batch order whatever worker takes them. */
	pthread_mutex_t seq_mu;
	pthread_cond_t seq_cv;
	uint64_t seq_next, seq_done;
	/* Whether a second batch may go in flight (batch_room): moving
	 * averages of the loop's CPU time for a batch, in ns, and of a
	 * batch's writes, times 1024 (learn; 0 = not known). */
	int64_t batch_loop_ns, batch_writes;
	int force_two;                   /* 1 always, 0 never, -1 choose (see submit) */
} kube__writes;

/* ---- pending writes ---- */

static void pending_free(pending *p)
{
	if (!p)
		return;
	if (p->in_owned)
		kube_object_unref(p->in);
	json_object_put(p->doc);
	kube_object_unref(p->built);
	kube_object_unref(p->result);
	kube_free(p->resource);
	kube_free(p->ns);
	kube_free(p->name);
	kube_free(p->pre_uid);
	kube_free(p->pre_rv);
	kube_free(p->arg);
	kube_free(p->errmsg);
	kube_free(p->key);
	kube_free(p->rkey);
	kube__buf_free(&p->value);
	if (p->destroy)
		p->destroy(p->userdata);
	kube_free(p);
}

/* Forgets what prepare() made, so the write can be prepared again later. */
static void unprepare(pending *p)
{
	json_object_put(p->doc);
	p->doc = NULL;
	p->built = kube_object_unref(p->built);
	kube_free(p->key);
	p->key = NULL;
	kube__buf_free(&p->value);
	p->value = (kube__buf)KUBE__BUF_INIT;
	p->entry = NULL;
	p->noop = p->has_op = 0;
	p->status = 0;
	kube_free(p->errmsg);
	p->errmsg = NULL;
}

/* Records the thread's current error as p's failure; returns rc. */
static int fail(pending *p, int rc)
{
	const kube_error *e = kube_error_last();
	p->status = rc;
	kube_free(p->errmsg);
	p->errmsg = kube_strdup(e && e->message ? e->message : kube_strerror(rc));
	return rc;
}

/* ---- prepare ---- */

/*
 * A prepared write is edited as a plain JSON tree: one deep copy of the
 * caller's document, system fields set in place, and one metadata parse
 * when it becomes the stored object (apply).  Going through the object
 * setters instead would re-parse (and copy, for undo) on every field.
 */

static json_object *metadata_of(json_object *doc)
{
	json_object *md = NULL;

	if (json_object_object_get_ex(doc, "metadata", &md) && json_object_is_type(md, json_type_object))
		return md;
	if (!(md = json_object_new_object()))
		return NULL;
	if (json_object_object_add(doc, "metadata", md) != 0) {
		json_object_put(md);
		return NULL;
	}
	return md;
}

static int jset(json_object *map, const char *key, json_object *v)
{
	if (!v || json_object_object_add(map, key, v) != 0) {
		json_object_put(v);
		return kube__error_oom();
	}
	return 0;
}

static int jset_str(json_object *map, const char *key, const char *v)
{
	return jset(map, key, json_object_new_string(v));
}

/* Copies member `key` of map `from` (deeply) into `to`, or removes it from
 * `to` when `from` has none. */
static int jkeep(json_object *to, json_object *from, const char *key)
{
	json_object *v = NULL, *copy = NULL;

	if (!json_object_object_get_ex(from, key, &v)) {
		json_object_object_del(to, key);
		return 0;
	}
	if (!v)   /* a JSON null */
		return json_object_object_add(to, key, NULL) == 0 ? 0 : kube__error_oom();
	if (json_object_deep_copy(v, &copy, NULL) != 0 || !copy)
		return kube__error_oom();
	return jset(to, key, copy);
}

static int deep_copy(json_object *src, json_object **out)
{
	*out = NULL;
	if (json_object_deep_copy(src, out, NULL) != 0 || !*out)
		return kube__error_oom();
	return 0;
}

/* A private tree of obj: a stored (compact) object's text parsed afresh,
 * which leaves it compact, or a deep copy of the tree it has. */
static int copy_doc(const kube_object *obj, json_object **out)
{
	int owned;
	json_object *d = kube__object_doc_transient(obj, &owned);

	*out = NULL;
	if (!d)
		return KUBE_ENOMEM;
	if (owned) {
		*out = d;
		return 0;
	}
	return deep_copy(d, out);
}

/* The request's tree, to edit: taken from our private copy of the caller's
 * object when there is one (asynchronous writes copied it already), else
 * copied.  p->in is gone afterwards in the first case: read it first. */
static int take_doc(pending *p, json_object **out)
{
	if (!p->in_private)
		return copy_doc(p->in, out);
	*out = json_object_get(kube__object_doc(p->in));
	p->in = kube_object_unref(p->in);
	p->in_owned = p->in_private = 0;
	return 0;
}

/* A name from generateName, as upstream's SimpleNameGenerator. */
static int generate_name(char *out, size_t cap, const char *base)
{
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	unsigned char r[5];
	size_t n = strlen(base);
	int rc;

	if (n > 58) {
		n = 58;
		/* not in the middle of a character: the name stays UTF-8
		 * (upstream cuts bytes, but its names are ASCII) */
		while (n && ((unsigned char)base[n] & 0xC0) == 0x80)
			n--;
	}
	if (n + 6 > cap)
		return KUBE_EINVAL;
	if ((rc = kube__random_bytes(r, sizeof(r))) != 0)
		return rc;
	memcpy(out, base, n);
	for (int i = 0; i < 5; i++)
		out[n + (size_t)i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	out[n + 5] = '\0';
	return 0;
}

/*
 * An update of a compact object reads the old version from its text
 * instead of parsing it whole (most of an update's cost once the new
 * version is built): the system fields it keeps are a few members of its
 * metadata, the spec is compared by its encoded bytes, and whether
 * anything changed at all by the new version's encoding (prepare), which
 * the write needs anyway.  The text is what this store's encoder wrote, so
 * equal bytes are equal documents; unequal bytes are parsed and compared
 * as trees (a caller's member order may differ).
 */

/* The value at t[v..] (a member of the old text) as a tree. */
static int text_value(const char *t, size_t n, size_t v, json_object **out)
{
	size_t e = kube__json_text_skip(t, n, v);
	enum json_tokener_error err = json_tokener_success;
	char *copy;

	*out = NULL;
	/* the members kept from the old text are strings and integers: read
	 * those directly (a tokener costs thousands of instructions a call,
	 * most in setting up its locale) */
	if (v < n && t[v] == '"') {
		kube__buf b = KUBE__BUF_INIT;
		int rc = kube__json_text_string(t, n, v, &b);
		if (rc == 0 && !(*out = json_object_new_string_len(b.data ? b.data : "", (int)b.len)))
			rc = kube__error_oom();
		kube__buf_free(&b);
		return rc;
	}
	if (v < n && e - v <= 18 && (t[v] == '-' || (t[v] >= '0' && t[v] <= '9'))) {
		int64_t x = 0;
		size_t i = v + (t[v] == '-');
		while (i < e && t[i] >= '0' && t[i] <= '9')
			x = x * 10 + (t[i++] - '0');
		if (i == e && i > v + (t[v] == '-')) {
			if (!(*out = json_object_new_int64(t[v] == '-' ? -x : x)))
				return kube__error_oom();
			return 0;
		}
	}
	if (!(copy = kube_malloc(e - v + 1)))
		return kube__error_oom();
	/* NUL-terminated: a number at the end of a span would otherwise wait
	 * for more digits */
	memcpy(copy, t + v, e - v);
	copy[e - v] = '\0';
	*out = json_tokener_parse_verbose(copy, &err);
	kube_free(copy);
	if (err != json_tokener_success)
		return kube__error_set(KUBE_EIO, NULL, "store: a stored object's text does not parse: %s",
		                       json_tokener_error_desc(err));
	return 0;   /* *out NULL: a JSON null */
}

/* jkeep, from the old version's text. */
static int jkeep_text(json_object *to, const char *t, size_t n, size_t md, const char *key)
{
	size_t v = md == SIZE_MAX ? SIZE_MAX : kube__json_text_member(t, n, md, key);
	json_object *val;
	int rc;

	if (v == SIZE_MAX) {
		json_object_object_del(to, key);
		return 0;
	}
	if ((rc = text_value(t, n, v, &val)) != 0)
		return rc;
	if (!val)
		return json_object_object_add(to, key, NULL) == 0 ? 0 : kube__error_oom();
	return jset(to, key, val);
}

/* Is the new doc's spec the old text's?  1, 0, or an error (< 0). */
static int spec_equal_text(const char *t, size_t n, json_object *doc, kube__buf *enc)
{
	size_t v = kube__json_text_member(t, n, 0, "spec"), e;
	json_object *spec = NULL, *old = NULL;
	int same, rc;

	if (!json_object_object_get_ex(doc, "spec", &spec) || v == SIZE_MAX)
		return !spec && v == SIZE_MAX;
	e = kube__json_text_skip(t, n, v);
	enc->len = 0;
	enc->failed = 0;
	if ((rc = kube__json_encode(enc, spec, 0)) != 0)
		return rc;
	if (enc->len == e - v && memcmp(enc->data, t + v, e - v) == 0)
		return 1;
	if ((rc = text_value(t, n, v, &old)) != 0)
		return rc;
	same = json_object_equal(old, spec);
	json_object_put(old);
	return same;
}

static int spec_equal(json_object *a, json_object *b)
{
	json_object *sa = NULL, *sb = NULL;
	json_object_object_get_ex(a, "spec", &sa);
	json_object_object_get_ex(b, "spec", &sb);
	return json_object_equal(sa, sb);
}

/* p's value: a copy of the text in s->enc (the store's scratch buffer),
 * allocated to size, as the stored object keeps it. */
static int take_encoding(kube_store *s, pending *p)
{
	kube__buf_free(&p->value);
	if (!(p->value.data = kube_malloc(s->enc.len + 1))) {
		p->value = (kube__buf)KUBE__BUF_INIT;
		return kube__error_oom();
	}
	memcpy(p->value.data, s->enc.data, s->enc.len + 1);
	p->value.len = s->enc.len;
	p->value.cap = s->enc.len + 1;
	return 0;
}

/* How many names a create by generateName draws before it gives up. */
#define GENERATE_NAME_ATTEMPTS 8

/*
 * A create's AlreadyExists, in upstream's words: for an object with a
 * generateName (generate) the server's name was taken
 * (rest.CheckGeneratedNameError), and an existing object (NULL: one not
 * applied yet) that is being deleted is said to be (the registry's create).
 */
static int already_exists(const kube_kind_info *k, int generate, const char *name,
                          const kube_object *existing)
{
	char qr[160];

	kube__qualified_resource(qr, sizeof(qr), k);
	return kube__error_set(KUBE_EEXISTS, NULL, "%s%s \"%s\" already exists%s",
	                       existing && kube_object_deletion_timestamp(existing)
	                               ? "object is being deleted: " : "",
	                       qr, name, generate ? ", the server was not able to generate a "
	                                            "unique name for the object" : "");
}

static int prepare_create(kube_store *s, pending *p)
{
	const kube_kind_info *k;
	const kube_object *in = p->in;
	const char *name, *ns, *rv;
	json_object *md;
	char uid[37], ts[32], gen[80];
	int rc;

	if ((rc = kube__object_kind(in, &k)) != 0)
		return rc;
	p->kind_info = k;
	if ((rv = kube_object_resource_version(in)) && *rv)
		return kube__error_set(KUBE_EINVAL, "metadata.resourceVersion",
		                       "resourceVersion should not be set on objects to be created");
	name = kube_object_name(in);
	if ((!name || !*name) && !(kube_object_generate_name(in) && *kube_object_generate_name(in)))
		return kube__error_set(KUBE_EINVAL, "metadata.name",
		                       "metadata.name: Required value: name or generateName is required");
	ns = kube_object_namespace(in);
	if (k->namespaced && (!ns || !*ns))
		return kube__error_set(KUBE_EINVAL, "metadata.namespace",
		                       "metadata.namespace: Required value");
	if (k->namespaced && (rc = kube__check_segment("metadata.namespace", ns)) != 0)
		return rc;
	/* A generated name that a stored object has is drawn again, up to
	 * GENERATE_NAME_ATTEMPTS names in all (upstream's
	 * createWithGenerateNameRetry). */
	for (int attempt = 1;; attempt++) {
		const kube__entry *e;
		if ((!name || !*name || name == gen) &&
		    (rc = generate_name(gen, sizeof(gen), kube_object_generate_name(in))) != 0)
			return rc;
		if (!name || !*name)
			name = gen;
		if ((rc = kube__check_segment("metadata.name", name)) != 0)
			return rc;
		if (!(p->key = kube__make_key(k->resource, k->namespaced ? ns : NULL, name)))
			return KUBE_ENOMEM;
		if (!(e = kube__find_entry(s, p->key)))
			break;
		if (name != gen || attempt == GENERATE_NAME_ATTEMPTS)
			return already_exists(k, kube_object_generate_name(in) &&
			                      *kube_object_generate_name(in), name, e->obj);
		kube_free(p->key);
		p->key = NULL;
	}
	if ((rc = kube__new_uid(uid)) != 0)
		return rc;
	kube__now_rfc3339(ts);
	p->event = KUBE_WATCH_ADDED;
	p->op.type = KUBE__OP_PUT;
	p->op.expect_revision = KUBE__EXPECT_ABSENT;
	if (p->in_text) {
		/* The stored text straight from the request's (createtext.c):
		 * what the edits below make of the tree, without one.  What
		 * it makes up is kept for the object (derive_object). */
		kube__create_fields f;
		size_t tlen;
		const char *t = kube__object_text(in, &tlen);
		memcpy(p->made_uid, uid, sizeof(p->made_uid));
		memcpy(p->made_ts, ts, sizeof(p->made_ts));
		snprintf(p->made_name, sizeof(p->made_name), "%s", name == gen ? gen : "");
		f = (kube__create_fields){ p->made_name[0] ? p->made_name : NULL, p->made_uid,
		                           p->made_ts, !k->namespaced };
		s->enc.len = 0;
		s->enc.failed = 0;
		if ((rc = kube__create_text(&s->enc, &p->meta_end, t, tlen, &f)) != 0 ||
		    (rc = take_encoding(s, p)) != 0)
			return rc;
		p->has_op = 1;
		return 0;
	}
	if ((rc = take_doc(p, &p->doc)) != 0)
		return rc;
	if (!(md = metadata_of(p->doc)))
		return kube__error_oom();
	/* System fields, as upstream's BeforeCreate: whatever the caller sent. */
	if (!k->namespaced)
		json_object_object_del(md, "namespace");
	if ((name == gen && (rc = jset_str(md, "name", gen)) != 0) ||
	    (rc = jset_str(md, "uid", uid)) != 0 ||
	    (rc = jset_str(md, "creationTimestamp", ts)) != 0 ||
	    (rc = jset(md, "generation", json_object_new_int64(1))) != 0)
		return rc;
	json_object_object_del(md, "deletionTimestamp");
	json_object_object_del(md, "deletionGracePeriodSeconds");
	json_object_object_del(md, "resourceVersion");
	json_object_object_del(md, "selfLink");
	p->has_op = 1;
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* upstream's ValidateNoNewFinalizers: an object being deleted takes no new
 * finalizers (the message lists them sorted, as Go's %#v of a []string). */
static int check_no_new_finalizers(const kube_object *in, const kube_object *old)
{
	size_t n = kube_object_finalizer_count(in), m = 0;
	const char **extra;
	kube__buf b = KUBE__BUF_INIT;
	int rc;

	if (n == 0)
		return 0;
	if (!(extra = kube_calloc(n, sizeof(*extra))))
		return kube__error_oom();
	for (size_t i = 0; i < n; i++) {
		const char *f = kube_object_finalizer(in, i);
		int dup = 0;
		for (size_t j = 0; j < m && !dup; j++)
			dup = strcmp(extra[j], f) == 0;
		if (!dup && !kube_object_has_finalizer(old, f))
			extra[m++] = f;
	}
	if (m == 0) {
		kube_free(extra);
		return 0;
	}
	qsort(extra, m, sizeof(*extra), str_cmp);
	kube__buf_puts(&b, "[]string{");
	for (size_t i = 0; i < m; i++) {
		kube__buf_puts(&b, i ? ", \"" : "\"");
		for (const char *c = extra[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				kube__buf_putc(&b, '\\');
			kube__buf_putc(&b, *c);
		}
		kube__buf_putc(&b, '"');
	}
	kube__buf_putc(&b, '}');
	rc = b.failed ? kube__error_oom()
	              : kube__error_set(KUBE_EINVAL, "metadata.finalizers",
	                                "metadata.finalizers: Forbidden: no new finalizers can be added if "
	                                "the object is being deleted, found new finalizers %s", b.data);
	kube__buf_free(&b);
	kube_free(extra);
	return rc;
}

static int prepare_update(kube_store *s, pending *p)
{
	const kube_kind_info *k;
	const kube_object *in = p->in;
	const char *name, *ns, *rv, *uid;
	json_object *md, *old_doc, *old_md;
	kube_object *old;
	kube__entry *e;
	int rc, old_owned, same;

	if ((rc = kube__object_kind(in, &k)) != 0)
		return rc;
	p->kind_info = k;
	name = kube_object_name(in);
	ns = kube_object_namespace(in);
	rv = kube_object_resource_version(in);
	uid = kube_object_uid(in);
	if (!name || !*name)
		return kube__error_set(KUBE_EINVAL, "metadata.name",
		                       "metadata.name: Required value: name is required");
	if (k->namespaced && (!ns || !*ns))
		return kube__error_set(KUBE_EINVAL, "metadata.namespace", "metadata.namespace: Required value");
	if ((rc = kube__check_segment("metadata.name", name)) != 0 ||
	    (k->namespaced && (rc = kube__check_segment("metadata.namespace", ns)) != 0))
		return rc;
	if (!(p->key = kube__make_key(k->resource, k->namespaced ? ns : NULL, name)))
		return KUBE_ENOMEM;
	if (!(e = kube__find_entry(s, p->key)))
		return kube__not_found(k, name);
	p->entry = e;
	old = e->obj;
	/* the uid first: upstream's GuaranteedUpdate checks its preconditions
	 * before the update's resourceVersion */
	if (uid && *uid && strcmp(uid, kube_object_uid(old)) != 0) {
		char why[200];
		snprintf(why, sizeof(why), "Precondition failed: UID in precondition: %s, UID in object meta: %s",
		         uid, kube_object_uid(old));
		return kube__conflict(k, name, why);
	}
	if (rv && *rv && strcmp(rv, kube_object_resource_version(old)) != 0)
		return kube__conflict(k, name, MODIFIED_MSG);
	int finalizers = (int)kube_object_finalizer_count(in);
	if (kube_object_deletion_timestamp(old) && (rc = check_no_new_finalizers(in, old)) != 0)
		return rc;
	if ((rc = take_doc(p, &p->doc)) != 0)
		return rc;
	if (!(md = metadata_of(p->doc)))
		return kube__error_oom();
	if (!k->namespaced)
		json_object_object_del(md, "namespace");
	size_t olen = 0, omd;
	const char *otext = kube__object_text(old, &olen);
	if (otext) {
		/* compact: the old version's text, not its tree (above) */
		int same_spec = spec_equal_text(otext, olen, p->doc, &s->enc);
		omd = kube__json_text_member(otext, olen, 0, "metadata");
		if (same_spec < 0)
			return same_spec;
		if ((rc = jkeep_text(md, otext, olen, omd, "uid")) != 0 ||
		    (rc = jkeep_text(md, otext, olen, omd, "creationTimestamp")) != 0 ||
		    (rc = jkeep_text(md, otext, olen, omd, "deletionTimestamp")) != 0 ||
		    (rc = jkeep_text(md, otext, olen, omd, "deletionGracePeriodSeconds")) != 0 ||
		    (rc = jset(md, "generation", json_object_new_int64(kube_object_generation(old) +
		                                                        (same_spec ? 0 : 1)))) != 0)
			return rc;
		json_object_object_del(md, "resourceVersion");
		p->noop_by_text = 1;
		goto write;
	}
	/* The stored object is compact: its tree, parsed for this update and
	 * dropped after, so the old version does not keep one in history. */
	if (!(old_doc = kube__object_doc_transient(old, &old_owned)))
		return KUBE_ENOMEM;
	old_md = metadata_of(old_doc);   /* a stored object always has metadata */
	/* uid, creation and deletion are the store's, as upstream's BeforeUpdate */
	if ((rc = jkeep(md, old_md, "uid")) != 0 ||
	    (rc = jkeep(md, old_md, "creationTimestamp")) != 0 ||
	    (rc = jkeep(md, old_md, "deletionTimestamp")) != 0 ||
	    (rc = jkeep(md, old_md, "deletionGracePeriodSeconds")) != 0 ||
	    (rc = jset(md, "generation", json_object_new_int64(kube_object_generation(old) +
	                                  (spec_equal(old_doc, p->doc) ? 0 : 1)))) != 0 ||
	    (rc = jset_str(md, "resourceVersion", kube_object_resource_version(old))) != 0) {
		if (old_owned)
			json_object_put(old_doc);
		return rc;
	}
	/* Nothing changed: upstream writes nothing and keeps the revision. */
	same = json_object_equal(old_doc, p->doc);
	if (old_owned)
		json_object_put(old_doc);
	if (same) {
		p->noop = 1;
		return 0;
	}
	json_object_object_del(md, "resourceVersion");
write:
	p->has_op = 1;
	p->op.expect_revision = e->mod_revision;
	if (kube_object_deletion_timestamp(old) && finalizers == 0) {
		/* The last finalizer went: the object goes. */
		p->event = KUBE_WATCH_DELETED;
		p->op.type = KUBE__OP_DELETE;
	} else {
		p->event = KUBE_WATCH_MODIFIED;
		p->op.type = KUBE__OP_PUT;
	}
	return 0;
}

/* The preconditions of a status or bind request against e (the storage
 * layer's words, as an update's). */
static int check_preconditions(const pending *p, const kube__entry *e)
{
	char why[200];

	if (p->pre_uid && strcmp(p->pre_uid, kube_object_uid(e->obj)) != 0) {
		snprintf(why, sizeof(why), "Precondition failed: UID in precondition: %s, UID in object meta: %s",
		         p->pre_uid, kube_object_uid(e->obj));
		return kube__conflict(p->kind_info, p->name, why);
	}
	if (p->pre_rv && strcmp(p->pre_rv, kube_object_resource_version(e->obj)) != 0) {
		snprintf(why, sizeof(why),
		         "Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object meta: %s",
		         p->pre_rv, kube_object_resource_version(e->obj));
		return kube__conflict(p->kind_info, p->name, why);
	}
	return 0;
}

static int prepare_delete(kube_store *s, pending *p)
{
	const kube_kind_info *k;
	json_object *md;
	kube__entry *e;
	char ts[32];
	int rc;

	if (!(k = kube__resource_info(p->resource)))
		return kube__error_set(KUBE_EINVAL, NULL, "the server doesn't have a resource type \"%s\"",
		                       p->resource);
	p->kind_info = k;
	if (!(p->key = kube__make_key(p->resource, k->namespaced ? p->ns : NULL, p->name)))
		return KUBE_ENOMEM;
	if (!(e = kube__find_entry(s, p->key)))
		return kube__not_found(k, p->name);
	p->entry = e;
	if ((rc = kube__delete_preconditions(e->obj, p->pre_uid, p->pre_rv)) != 0)
		return rc;
	if (kube_object_finalizer_count(e->obj) > 0 && kube_object_deletion_timestamp(e->obj)) {
		p->noop = 1;   /* already being deleted: wait for the finalizers */
		return 0;
	}
	if ((rc = copy_doc(e->obj, &p->doc)) != 0)
		return rc;
	if (!(md = metadata_of(p->doc)))
		return kube__error_oom();
	json_object_object_del(md, "resourceVersion");
	p->has_op = 1;
	p->op.expect_revision = e->mod_revision;
	if (kube_object_finalizer_count(e->obj) == 0) {
		p->event = KUBE_WATCH_DELETED;
		p->op.type = KUBE__OP_DELETE;
		return 0;
	}
	/* upstream's markAsDeleting: the generation moves too (if it is used) */
	kube__now_rfc3339(ts);
	if ((rc = jset_str(md, "deletionTimestamp", ts)) != 0 ||
	    (rc = jset(md, "deletionGracePeriodSeconds", json_object_new_int64(0))) != 0 ||
	    (kube_object_generation(e->obj) > 0 &&
	     (rc = jset(md, "generation", json_object_new_int64(kube_object_generation(e->obj) + 1))) != 0))
		return rc;
	p->event = KUBE_WATCH_MODIFIED;
	p->op.type = KUBE__OP_PUT;
	return 0;
}

/*
 * A write through /status or pods/binding: the new text is an edit of the
 * stored one (subresource.c), with no tree on either side; p->doc stays
 * NULL and p->value is the text to write.
 */
static int prepare_subresource(kube_store *s, pending *p)
{
	const kube_kind_info *k;
	kube__entry *e;
	const kube_object *old;
	const char *otext;
	size_t olen = 0;
	kube__buf tmp = KUBE__BUF_INIT;
	int rc;

	if (!(k = kube__resource_info(p->resource)))
		return kube__error_set(KUBE_EINVAL, NULL, "the server doesn't have a resource type \"%s\"",
		                       p->resource);
	p->kind_info = k;
	if (p->kind == W_STATUS && !kube__has_status(k->resource))
		return kube__error_set(KUBE_ENOTFOUND, NULL,
		                       "the server could not find the requested resource (%s/status)",
		                       k->resource);
	if (!(p->key = kube__make_key(p->resource, k->namespaced ? p->ns : NULL, p->name)))
		return KUBE_ENOMEM;
	if (!(e = kube__find_entry(s, p->key)))
		return kube__not_found(k, p->name);
	p->entry = e;
	if ((rc = check_preconditions(p, e)) != 0)
		return rc;
	old = e->obj;
	if (!(otext = kube__object_text(old, &olen))) {
		/* kept whole (compacting it ran out of memory): its encoding */
		json_object *doc, *md;
		if ((rc = copy_doc(old, &doc)) != 0)
			return rc;
		if ((md = metadata_of(doc)) != NULL)
			json_object_object_del(md, "resourceVersion");
		rc = kube__json_encode(&tmp, doc, 0);
		json_object_put(doc);
		if (rc != 0) {
			kube__buf_free(&tmp);
			return rc;
		}
		otext = tmp.data;
		olen = tmp.len;
	}
	if (p->kind == W_STATUS) {
		int same = 0;
		rc = kube__status_text(&p->value, &p->meta_end, &same, otext, olen, p->resource, p->arg,
		                       strlen(p->arg));
		if (rc == 0 && same)
			p->noop = 1;
	} else if (kube_object_deletion_timestamp(old)) {
		rc = kube__error_set(KUBE_ECONFLICT, NULL,
		                     "Operation cannot be fulfilled on pods/binding \"%s\": pod %s is being "
		                     "deleted, cannot be assigned to a host", p->name, p->name);
	} else {
		char stamp[32];
		kube__buf assigned = KUBE__BUF_INIT;
		kube__now_rfc3339(stamp);
		rc = kube__binding_text(&p->value, &p->meta_end, &assigned, otext, olen, p->arg, stamp,
		                        kube_object_generation(old) + 1);
		if (rc == KUBE_ECONFLICT) {
			kube__buf q = KUBE__BUF_INIT;   /* Go's %q of the node */
			kube__go_quote(&q, assigned.data ? assigned.data : "", assigned.len);
			rc = q.failed ? kube__error_oom()
			              : kube__error_set(KUBE_ECONFLICT, NULL,
			                                "Operation cannot be fulfilled on pods/binding \"%s\": "
			                                "pod %s is already assigned to node %s", p->name,
			                                p->name, q.data);
			kube__buf_free(&q);
		} else if (rc == KUBE_EBUSY) {
			/* upstream's setPodNodeAndMetadata: not ready to schedule */
			rc = kube__error_set(KUBE_ECONFLICT, NULL,
			                     "Operation cannot be fulfilled on pods/binding \"%s\": pod %s has "
			                     "non-empty .spec.schedulingGates", p->name, p->name);
		}
		kube__buf_free(&assigned);
	}
	kube__buf_free(&tmp);
	if (rc != 0 || p->noop)
		return rc;
	p->has_op = 1;
	p->op.expect_revision = e->mod_revision;
	p->event = KUBE_WATCH_MODIFIED;
	p->op.type = KUBE__OP_PUT;
	return 0;
}

/* An update of a compact object whose encoding is the stored text (or,
 * bytes apart, the same document) changes nothing: upstream writes
 * nothing and keeps the revision. */
static int noop_by_text(pending *p)
{
	const kube_object *old = p->entry->obj;
	size_t olen = 0;
	const char *otext = kube__object_text(old, &olen);
	json_object *old_doc;
	int owned, same;

	if (!otext || p->value.len != olen)
		return 0;   /* another length: another document */
	if (memcmp(p->value.data, otext, olen) != 0) {
		/* compared as prepare_update compares: both with the old
		 * resourceVersion, which the old tree carries */
		json_object *md = metadata_of(p->doc);
		int rc;
		if (!(old_doc = kube__object_doc_transient(old, &owned)))
			return kube__error_oom();
		if (!md || (rc = jset_str(md, "resourceVersion", kube_object_resource_version(old))) != 0) {
			if (owned)
				json_object_put(old_doc);
			return kube__error_oom();
		}
		same = json_object_equal(old_doc, p->doc);
		json_object_object_del(md, "resourceVersion");
		if (owned)
			json_object_put(old_doc);
		if (!same)
			return 0;
	}
	kube__buf_free(&p->value);
	p->noop = 1;
	p->has_op = 0;
	return 0;
}

/* Shows a prepared write to the admission hooks (admission.c): its new
 * state through a view of the prepared tree, which stays p's. */
static int admit(kube_store *s, pending *p)
{
	kube_admission_operation op = p->kind == W_CREATE ? KUBE_ADMISSION_CREATE :
	                              p->kind == W_DELETE ? KUBE_ADMISSION_DELETE :
	                                                    KUBE_ADMISSION_UPDATE;
	const kube_object *old = p->entry ? p->entry->obj : NULL;
	kube_object *view = NULL;
	int rc;

	if (op != KUBE_ADMISSION_DELETE && p->doc) {
		if ((rc = kube__object_adopt(&view, json_object_get(p->doc))) != 0)
			return rc;   /* adopt dropped the reference */
		kube_object_freeze(view);
	} else if (op != KUBE_ADMISSION_DELETE) {
		/* a write without a tree (a subresource's, a create of
		 * text): an object of (a copy of) its new text, as it will
		 * be stored */
		char *text = kube_malloc(p->value.len + 1);
		if (!text)
			return kube__error_oom();
		memcpy(text, p->value.data, p->value.len + 1);
		if ((rc = kube__object_from_text(&view, text, p->value.len, p->meta_end)) != 0) {
			kube_free(text);
			return rc;
		}
	}
	rc = kube__admit(s, op, p->kind_info, kube_object_namespace(view ? view : old),
	                 strrchr(p->key, '/') + 1, view, old);
	kube_object_unref(view);
	return rc;
}

/* Prepares p against the committed state; on failure p->status says why. */
static int prepare(kube_store *s, pending *p)
{
	int rc;

	memset(&p->op, 0, sizeof(p->op));
	switch (p->kind) {
	case W_CREATE: rc = prepare_create(s, p); break;
	case W_UPDATE: rc = prepare_update(s, p); break;
	case W_DELETE: rc = prepare_delete(s, p); break;
	default:       rc = prepare_subresource(s, p); break;
	}
	if (rc == 0 && p->has_op) {
		p->op.key = p->key;
		/* A write without a tree (a subresource's, a create of text)
		 * has its text ready; a tree is encoded now. */
		if (p->op.type == KUBE__OP_PUT && p->doc) {
			s->enc.len = 0;
			s->enc.failed = 0;
			if ((rc = kube__json_encode_meta(&s->enc, p->doc, &p->meta_end)) != 0 ||
			    (rc = take_encoding(s, p)) != 0)
				return fail(p, rc);
			if (p->noop_by_text && (rc = noop_by_text(p)) != 0)
				return fail(p, rc);
			if (p->noop)
				return 0;
		}
		if (p->op.type == KUBE__OP_PUT) {
			if (p->value.len > s->opts.max_object_bytes)
				return fail(p, kube__error_set(KUBE_EINVAL, NULL,
				                               "%s: the object is too large: %zu bytes of JSON, the limit is %zu",
				                               p->key, p->value.len, s->opts.max_object_bytes));
			p->op.value = p->value.data;
			p->op.len = p->value.len;
		}
	}
	/* Last, after every check of the store's own, the size limit too: a
	 * hook that counts what it admits must not count a refused write. */
	if (rc == 0 && p->has_op && s->admission &&
	    kube__admission_wants(s, p->kind_info->resource))
		rc = admit(s, p);
	return rc ? fail(p, rc) : 0;
}

/* ---- apply ---- */

/* A backend refused an op's condition: the error the caller would have
 * got had the store seen the other writer (etcd: another instance). */
static int op_refused(pending *p)
{
	/* the name is the key's last segment */
	const char *name = strrchr(p->key, '/') + 1;
	char qr[160];

	switch (p->op.result) {
	case KUBE_EEXISTS:
		kube__qualified_resource(qr, sizeof(qr), p->kind_info);
		return kube__error_set(KUBE_EEXISTS, NULL, "%s \"%s\" already exists", qr, name);
	case KUBE_ENOTFOUND:
		return kube__not_found(p->kind_info, name);
	case KUBE_ECONFLICT:
		return kube__conflict(p->kind_info, name, MODIFIED_MSG);
	default:
		return kube__error_set(p->op.result, NULL, "%s: the backend refused the write", p->key);
	}
}

/* The object a write without a tree makes of its text: a create's, from
 * the text; a subresource's, the stored one's metadata but for what a
 * binding changes (generation, spec.nodeName). */
static int derive_object(kube_object **out, const pending *p, char *text, size_t len)
{
	const kube_object *old;

	if (p->in_text)
		return kube__object_derive_create(out, p->in, text, len, p->meta_end,
		                                  p->made_name[0] ? p->made_name : NULL, p->made_uid,
		                                  p->made_ts, !p->kind_info->namespaced);
	old = p->entry->obj;
	if (p->kind == W_BIND)
		return kube__object_derive(out, old, text, len, p->meta_end,
		                           kube_object_generation(old) + 1, p->arg);
	return kube__object_derive(out, old, text, len, p->meta_end, kube_object_generation(old),
	                           kube__object_node_name(old));
}

/* A frozen copy of o with resourceVersion rv, or NULL (no memory). */
static kube_object *stamped_copy(const kube_object *o, const char *rv)
{
	kube_object *c = NULL;

	if (kube_object_mutable(&c, o) != 0 ||
	    kube_object_set_string(c, "metadata.resourceVersion", rv) != 0)
		return kube_object_unref(c);
	kube_object_freeze(c);
	return c;
}

/* Takes a committed write into the in-memory state and the ring. */
static int apply(kube_store *s, pending *p)
{
	int64_t rev = p->op.revision;
	kube__entry *e = p->entry;
	kube_object *obj, *old;
	json_object *md;
	char rvs[24];
	int rc;

	snprintf(rvs, sizeof(rvs), "%lld", (long long)rev);
	if (p->built && kube__object_stamp_rv(p->built, rvs) == 0) {
		obj = p->built;   /* built while the backend committed */
		p->built = NULL;
		goto built;
	}
	if (!p->doc && p->op.type == KUBE__OP_PUT) {
		/* a write without a tree (a subresource's, a create of text): the
		 * object is made from its text */
		size_t len = p->value.len;
		char *text = kube__buf_detach(&p->value, NULL);
		if (!text)
			return kube__error_oom();
		if ((rc = derive_object(&obj, p, text, len)) != 0) {
			kube_free(text);
			return rc;
		}
		if ((rc = kube__object_stamp_rv(obj, rvs)) != 0) {
			kube_object_unref(obj);
			return rc;
		}
		goto built;
	}
	md = metadata_of(p->doc);
	if (!md || (rc = jset_str(md, "resourceVersion", rvs)) != 0)
		return kube__error_oom();
	rc = kube__object_adopt(&obj, p->doc);   /* takes the tree, also on failure */
	p->doc = NULL;
	if (rc)
		return rc;
	kube_object_freeze(obj);
	/* What the store keeps is compact: the JSON just written, without its
	 * tree (object.c).  Out of memory there leaves it whole, which is fine. */
	if (p->op.type == KUBE__OP_PUT && p->value.data) {
		size_t len = p->value.len;
		char *text = kube__buf_detach(&p->value, NULL);
		if (text && kube__object_compact(obj, text, len, p->meta_end) != 0)
			kube_free(text);
	}
built:
	if (rev > s->revision)
		s->revision = rev;
	switch (p->event) {
	case KUBE_WATCH_ADDED:
		if ((rc = kube__new_entry(s, p->key, p->kind_info, obj, rev, &e)) != 0) {
			kube_object_unref(obj);
			return rc;
		}
		p->key = NULL;
		kube__reindex(s, e, NULL, e->obj);
		kube__ring_append(s, KUBE_WATCH_ADDED, rev, e->key, e->obj, NULL);
		break;
	case KUBE_WATCH_MODIFIED:
		old = e->obj;
		e->obj = obj;
		e->mod_revision = rev;
		kube__relabel(s, e, old);
		kube__reindex(s, e, old, e->obj);
		kube__ring_append(s, KUBE_WATCH_MODIFIED, rev, e->key, e->obj, old);
		kube_object_unref(old);
		break;
	default: {
		/* An update that removed the last finalizer deletes the stored
		 * object: watchers see that state go, stamped with this revision
		 * (upstream deletes the stored key, and its watch sends the old
		 * value), while the writer gets its object back.  Without
		 * memory for the copy they see the writer's. */
		kube_object *gone = p->kind == W_UPDATE ? stamped_copy(e->obj, rvs) : NULL;
		kube__unlink_entry(s, e);
		kube__ring_append(s, KUBE_WATCH_DELETED, rev, e->key, gone ? gone : obj, e->obj);
		kube_object_unref(gone);
		kube_object_unref(e->obj);
		kube_free(e->key);
		kube_free(e);
		p->entry = NULL;
		/* the result is the last state, which the ring now holds */
		p->result = kube_object_ref(obj);
		kube_object_unref(obj);
		return 0;
	}
	}
	p->result = kube_object_ref(obj);
	return 0;
}

/* The outcome of a prepared write once its op came back (or none was needed). */
static void finish(kube_store *s, pending *p)
{
	int rc;

	if (p->status)
		return;
	if (p->noop) {
		p->result = kube_object_ref(p->entry->obj);
		return;
	}
	if (p->op.result)
		rc = op_refused(p);
	else
		rc = apply(s, p);
	if (rc)
		fail(p, rc);
}

/* ---- synchronous writes ---- */

static void wait_inflight(kube_store *s);

static int write_sync(kube_store *s, pending *p, kube_object **out)
{
	int rc;

	wait_inflight(s);
	if (prepare(s, p) == 0 && p->has_op) {
		if ((rc = s->backend->commit(s->backend_state, &p->op, 1)) != 0)
			fail(p, rc);
	}
	finish(s, p);
	if (p->status) {
		/* Raise it again: cleanups since may have touched the thread's error. */
		kube__error_set(p->status, NULL, "%s", p->errmsg ? p->errmsg : kube_strerror(p->status));
		return p->status;
	}
	if (out)
		*out = kube_object_ref(p->result);
	return 0;
}

static void pending_reset(pending *p)
{
	unprepare(p);
	if (p->in_owned)
		kube_object_unref(p->in);
	kube_object_unref(p->result);
	kube_free(p->resource);
	kube_free(p->ns);
	kube_free(p->name);
	kube_free(p->pre_uid);
	kube_free(p->pre_rv);
	kube_free(p->arg);
	memset(p, 0, sizeof(*p));
}

/* Points p at the request's object.  A borrowed one is read, never changed
 * (prepare copies its tree).  A taken one is the caller's reference, which
 * p now holds; if it is mutable, nobody else can see it, so prepare edits
 * its tree in place instead of copying it (take_doc). */
static void request_object(pending *p, kube_object *obj, int take)
{
	p->in = obj;
	p->in_owned = take;
	p->in_private = take && !kube_object_is_frozen(obj);
}

/* How a request's object comes (write_object_sync, submit_object). */
enum {
	REQ_BORROWED,                    /* the caller's, copied or shared */
	REQ_TAKEN,                       /* the caller's reference, now ours */
	REQ_TEXT                         /* ours, made of text in the encoder's form
	                                    (json_request): a create splices it */
};

static int write_object_sync(kube_object **out, kube_store *store, wkind kind, kube_object *obj,
                             int how)
{
	int take = how != REQ_BORROWED;
	pending p;
	int rc;

	if (out)
		*out = NULL;
	if (!store || !obj) {
		/* the reference is taken on every outcome, this one too */
		if (take)
			kube_object_unref(obj);
		KUBE_CHECK_ARG(store);
		KUBE_CHECK_ARG(obj);
	}
	memset(&p, 0, sizeof(p));
	p.kind = kind;
	request_object(&p, obj, take);
	p.in_text = how == REQ_TEXT;
	rc = write_sync(store, &p, out);
	pending_reset(&p);
	return rc;
}

int kube_store_create(kube_object **out, kube_store *store, const kube_object *obj)
{
	return write_object_sync(out, store, W_CREATE, (kube_object *)obj, REQ_BORROWED);
}

int kube_store_create_take(kube_object **out, kube_store *store, kube_object *obj)
{
	return write_object_sync(out, store, W_CREATE, obj, REQ_TAKEN);
}

/*
 * The object of a create's JSON.  Text in the encoder's form (and small
 * enough for the decoder) becomes a compact object on a copy of it, which
 * parses only the members an object keeps at hand (metadata, with the
 * same checks and messages as a decode), and *how says REQ_TEXT: prepare
 * then splices the stored text from it.  Anything else, and text whose
 * metadata has a resourceVersion (the create refuses it, as it says on a
 * tree), is decoded as kube_object_from_json does, with its errors.
 */
static int json_request(kube_object **out, int *how, const char *json, size_t len)
{
	kube_decode_options dec = KUBE_DECODE_OPTIONS_INIT;
	size_t md;
	char *copy;

	*how = REQ_TAKEN;
	if (len <= dec.max_document_bytes && len && json[0] == '{' &&
	    kube__json_canonical(json, len) &&
	    (md = kube__json_text_member(json, len, 0, "metadata")) != SIZE_MAX && json[md] == '{' &&
	    kube__json_text_member(json, len, md, "resourceVersion") == SIZE_MAX &&
	    (copy = kube_malloc(len + 1)) != NULL) {
		memcpy(copy, json, len);
		copy[len] = '\0';
		if (kube__object_from_text(out, copy, len, kube__json_text_skip(json, len, md) - 1) == 0) {
			*how = REQ_TEXT;
			return 0;
		}
		kube_free(copy);   /* the decoder says what is wrong with it */
	}
	return kube_object_from_json(out, json, len);
}

int kube_store_create_json(kube_object **out, kube_store *store, const char *json, size_t len)
{
	kube_object *in;
	int how, rc;

	if (out)
		*out = NULL;
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(json);
	if ((rc = json_request(&in, &how, json, len)) != 0)
		return rc;
	return write_object_sync(out, store, W_CREATE, in, how);
}

int kube_store_update(kube_object **out, kube_store *store, const kube_object *obj)
{
	return write_object_sync(out, store, W_UPDATE, (kube_object *)obj, REQ_BORROWED);
}

int kube_store_update_take(kube_object **out, kube_store *store, kube_object *obj)
{
	return write_object_sync(out, store, W_UPDATE, obj, REQ_TAKEN);
}

/* A write that names its object (delete, status, bind): what it names, its
 * argument (wkind) and its preconditions, copied into p. */
static int named_request(pending *p, wkind kind, const char *resource, const char *ns,
                         const char *name, const char *arg, const char *pre_uid,
                         const char *pre_rv)
{
	p->kind = kind;
	if (!(p->resource = kube_strdup(resource)) || !(p->name = kube_strdup(name)) ||
	    (ns && !(p->ns = kube_strdup(ns))) || (arg && !(p->arg = kube_strdup(arg))) ||
	    (pre_uid && !(p->pre_uid = kube_strdup(pre_uid))) ||
	    (pre_rv && !(p->pre_rv = kube_strdup(pre_rv))))
		return kube__error_oom();
	return 0;
}

/* The synchronous form of a named write. */
static int named_sync(kube_object **out, kube_store *store, wkind kind, const char *resource,
                      const char *ns, const char *name, const char *arg, const char *pre_uid,
                      const char *pre_rv)
{
	pending p;
	int rc;

	memset(&p, 0, sizeof(p));
	if ((rc = named_request(&p, kind, resource, ns, name, arg, pre_uid, pre_rv)) == 0)
		rc = write_sync(store, &p, out);
	pending_reset(&p);
	return rc;
}

int kube_store_delete(kube_object **out, kube_store *store, const char *resource,
                      const char *namespace_, const char *name, const kube_delete_options *opts)
{
	if (out)
		*out = NULL;
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(resource);
	KUBE_CHECK_ARG(name);
	KUBE_CHECK_ARG(!opts || (opts->version >= 1 && opts->version <= KUBE_DELETE_OPTIONS_VERSION));
	return named_sync(out, store, W_DELETE, resource, namespace_, name, NULL,
	                  opts ? opts->uid : NULL, opts ? opts->resource_version : NULL);
}

int kube_store_update_status(kube_object **out, kube_store *store, const char *resource,
                             const char *namespace_, const char *name, const char *status_json,
                             const kube_preconditions *pre)
{
	if (out)
		*out = NULL;
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(resource);
	KUBE_CHECK_ARG(name);
	KUBE_CHECK_ARG(status_json);
	KUBE_CHECK_ARG(!pre || (pre->version >= 1 && pre->version <= KUBE_PRECONDITIONS_VERSION));
	return named_sync(out, store, W_STATUS, resource, namespace_, name, status_json,
	                  pre ? pre->uid : NULL, pre ? pre->resource_version : NULL);
}

int kube_store_bind(kube_object **out, kube_store *store, const char *namespace_,
                    const char *name, const char *node, const kube_preconditions *pre)
{
	if (out)
		*out = NULL;
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(name);
	KUBE_CHECK_ARG(node && *node);
	KUBE_CHECK_ARG(!pre || (pre->version >= 1 && pre->version <= KUBE_PRECONDITIONS_VERSION));
	/* the object keeps the name as given, the text as encoded: the two
	 * must be the same string */
	for (size_t i = 0, n = strlen(node), l; i < n; i += l)
		if (!(l = kube__utf8_len((const unsigned char *)node + i, n - i)))
			return kube__error_set(KUBE_EINVAL, NULL,
			                       "kube_store_bind: the node name is not UTF-8 (byte %zu)", i);
	return named_sync(out, store, W_BIND, "pods", namespace_, name, node, pre ? pre->uid : NULL,
	                  pre ? pre->resource_version : NULL);
}

int kube_store_guaranteed_update(kube_object **out, kube_store *store, const char *resource,
                                 const char *namespace_, const char *name,
                                 kube_store_mutate_cb mutate, void *userdata)
{
	int rc = KUBE_ECONFLICT;

	if (out)
		*out = NULL;
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(resource);
	KUBE_CHECK_ARG(name);
	KUBE_CHECK_ARG(mutate);
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
		/* The write is conditional on the version mutate started from,
		 * whatever mutate does to the field. */
		if ((rc = mutate(copy, userdata)) != 0 ||
		    (rc = kube_object_set_string(copy, "metadata.resourceVersion", rv)) != 0) {
			kube_object_unref(copy);
			return rc;
		}
		rc = kube_store_update(out, store, copy);
		kube_object_unref(copy);
		if (rc != KUBE_ECONFLICT)
			return rc;
	}
	return rc;
}

/* ---- asynchronous writes and group commit ---- */

/* The loop thread's CPU time: what a batch costs the loop, without the
 * time another program had the core (learn). */
static int64_t loop_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* avg += (v - avg) / 16: the last few dozen batches count; one that a
 * burst of page faults slowed, or one cut small, does not decide. */
static void moving_avg(int64_t *avg, int64_t v)
{
	*avg = *avg ? *avg + (v - *avg) / 16 : v;
}

static void batch_unref(batch *b)
{
	if (--b->refs > 0)
		return;
	while (b->head) {
		pending *p = b->head;
		b->head = p->next;
		pending_free(p);
	}
	kube_free(b->ops);
	kube_free(b->op_owner);
	kube_free(b->errmsg);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	kube_free(b);
}

static void commit_batch(batch *b);

static void commit_work(void *userdata)
{
	commit_batch(userdata);
}

/*
 * Commits b once every older batch has committed: two batches may be in
 * flight, and a pool with several workers could start the newer first.
 * The revisions the backend gives follow the batches' order.  w is not
 * touched after b->committed is set: kube__writes_fini frees it once every
 * batch in flight says committed.
 */
static void commit_batch(batch *b)
{
	kube_store *s = b->s;
	kube__writes *w = s->writes;
	int rc;

	pthread_mutex_lock(&w->seq_mu);
	while (w->seq_done + 1 != b->seq)
		pthread_cond_wait(&w->seq_cv, &w->seq_mu);
	pthread_mutex_unlock(&w->seq_mu);
	rc = b->nops ? s->backend->commit(s->backend_state, b->ops, b->nops) : 0;
	if (rc) {
		const kube_error *e = kube_error_last();
		b->errmsg = kube_strdup(e && e->message ? e->message : kube_strerror(rc));
	}
	pthread_mutex_lock(&w->seq_mu);
	w->seq_done = b->seq;
	pthread_cond_broadcast(&w->seq_cv);
	pthread_mutex_unlock(&w->seq_mu);
	pthread_mutex_lock(&b->mu);
	b->rc = rc;
	b->committed = 1;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

static void wait_committed(batch *b)
{
	pthread_mutex_lock(&b->mu);
	while (!b->committed)
		pthread_cond_wait(&b->cv, &b->mu);
	pthread_mutex_unlock(&b->mu);
}

/* Applies a committed batch to memory, in submission order (loop thread).
 * b is the oldest batch in flight: batches apply in the order they commit. */
static void apply_batch(kube_store *s, batch *b)
{
	kube__writes *w = s->writes;

	if (b->applied)
		return;
	assert(w->inflight == b);
	b->applied = 1;
	for (size_t i = 0; i < b->nops; i++)
		b->op_owner[i]->op = b->ops[i];
	for (pending *p = b->head; p; p = p->next) {
		if (!p->status && p->has_op && b->rc) {
			kube__error_set(b->rc, NULL, "%s", b->errmsg ? b->errmsg : kube_strerror(b->rc));
			fail(p, b->rc);
			continue;
		}
		finish(s, p);
	}
	w->inflight = b->inext;
	if (!w->inflight)
		w->inflight_tail = NULL;
	b->inext = NULL;
	w->ninflight--;
}

/* Runs a batch's callbacks, in order, each failure with its message. */
static void notify_batch(batch *b)
{
	for (pending *p = b->head; p; p = p->next) {
		kube_store_write_cb cb = p->cb;
		p->cb = NULL;
		if (!cb)
			continue;
		if (p->status) {
			kube__error_set(p->status, NULL, "%s", p->errmsg ? p->errmsg : kube_strerror(p->status));
			cb(p->status, NULL, p->userdata);
		} else {
			cb(0, p->result, p->userdata);
		}
	}
}

static void start_batch(kube_store *s);

/*
 * The key a request names, before any checks: the batch cut compares these,
 * so that a write is prepared only after every earlier write to its key is
 * applied.  NULL when the request names none (generateName) or is too
 * broken to name one (its prepare fails whatever the batch holds).
 */
static char *request_key(const pending *p)
{
	const kube_kind_info *k;

	if (p->kind == W_DELETE || p->kind == W_STATUS || p->kind == W_BIND) {
		if (!(k = kube__resource_info(p->resource)))
			return NULL;
		return kube__make_key(p->resource, k->namespaced ? p->ns : NULL, p->name);
	}
	if (!kube_object_name(p->in) || !*kube_object_name(p->in) ||
	    kube__object_kind(p->in, &k) != 0)
		return NULL;
	return kube__make_key(k->resource, k->namespaced ? kube_object_namespace(p->in) : NULL,
	                      kube_object_name(p->in));
}

/* Callbacks of a batch that a synchronous write applied. */
static void on_notify(void *userdata)
{
	batch *b = userdata;
	kube_store *s = b->s;

	if (s) {
		batch **pp = &s->writes->waiting;
		while (*pp && *pp != b)
			pp = &(*pp)->wnext;
		if (*pp)
			*pp = b->wnext;
		notify_batch(b);
	}
	batch_unref(b);
}

/* Notes what an applied batch cost the loop (batch_room decides with
 * it).  The time and the writes are averaged apart, so that the time per
 * write is weighted by writes: a batch of one, which pays a batch's fixed
 * cost alone, counts for one write, not for as much as a batch of 16. */
static void learn(kube__writes *w, const batch *b)
{
	if (b->timed && b->n && b->loop_ns > 0) {
		moving_avg(&w->batch_loop_ns, b->loop_ns);
		moving_avg(&w->batch_writes, (int64_t)b->n * 1024);
	}
}

/* Whether a second batch may go in flight (batch_room says why). */
static int two_batches(const kube_store *s)
{
	const kube__writes *w = s->writes;

	if (s->backend == &kube__store_memory_backend || s->admission)
		return 0;
	if (w->force_two >= 0)
		return w->force_two;
	return !w->batch_writes || w->batch_loop_ns * 1024 / w->batch_writes > TWO_BATCHES_LOOP_NS;
}

/*
 * The pool's completion of a batch commit (loop thread).  Completions may
 * come in either order when two batches are in flight; the batches apply
 * and call back in commit order all the same: an older batch is committed
 * whenever a newer one is, and is applied here first.
 */
static void on_committed(int status, void *userdata)
{
	batch *b = userdata;
	kube_store *s = b->s;

	KUBE_UNUSED(status);
	if (s) {
		for (batch **pp = &s->writes->pooled; *pp; pp = &(*pp)->pnext)
			if (*pp == b) {
				*pp = b->pnext;
				break;
			}
		while (!b->applied) {
			batch *x = s->writes->inflight;
			int64_t t0 = 0;
			wait_committed(x);   /* its worker may not have said so yet */
			if (x->timed)
				t0 = loop_cpu_ns();
			apply_batch(s, x);
			notify_batch(x);
			if (x->timed)
				x->loop_ns += loop_cpu_ns() - t0;
			learn(s->writes, x);
		}
		/* With one batch in flight the next waits for the writes
		 * its writers send once called back (the flush timer runs
		 * after them): started now, it would take only the writes
		 * queued meanwhile, and the writers would stay split in two
		 * groups, each waiting for the other's commit. */
		if (s->writes->q_head) {
			if (two_batches(s))
				start_batch(s);
			else
				kube_timer_start(s->writes->flush_timer, 0, 0);
		}
	}
	batch_unref(b);
}

/* Runs an applied batch's callbacks from the loop later, in the order
 * deferred. */
static void defer_notify(kube_store *s, batch *b)
{
	b->refs++;
	if (kube_loop_defer(s->loop, on_notify, b, NULL) != 0) {
		b->refs--;
		notify_batch(b);   /* no memory to defer: better now than never */
		return;
	}
	/* last: the list is in apply order, which the close keeps */
	batch **pp = &s->writes->waiting;
	while (*pp)
		pp = &(*pp)->wnext;
	b->wnext = NULL;
	*pp = b;
}

/* Waits for every batch in flight and applies them, oldest first; their
 * callbacks run from the loop later, not inside this (synchronous) call. */
static void wait_inflight(kube_store *s)
{
	batch *b;

	while (s->writes && (b = s->writes->inflight)) {
		wait_committed(b);
		apply_batch(s, b);
		defer_notify(s, b);
	}
}

/*
 * Builds the objects of a batch whose commit is under way on a worker: a
 * compact object from each PUT's tree and JSON, the tree freed.  The loop
 * thread would otherwise wait for the commit with nothing to do, and do
 * this after it, before the writers hear back; now apply only stamps the
 * revision.  The text stays where the backend reads it (op.value) and is
 * the object's from here on: the object is not freed before the commit
 * is over (pending_free, after the batch).  A write this cannot build
 * (out of memory) keeps its tree, and apply builds it as before.
 */
static void build_objects(batch *b)
{
	for (pending *p = b->head; p; p = p->next) {
		kube_object *obj;
		json_object *doc = p->doc;

		if (p->status || !p->has_op || p->op.type != KUBE__OP_PUT || !p->value.data)
			continue;
		if (!doc) {
			/* a write without a tree (a subresource's, a create of
			 * text): from its text (which becomes the object's, the
			 * backend reading it meanwhile) */
			if (derive_object(&obj, p, p->value.data, p->value.len) != 0)
				continue;
			p->value = (kube__buf)KUBE__BUF_INIT;
			p->built = obj;
			continue;
		}
		json_object_get(doc);   /* p->doc stays valid if adopt fails */
		if (kube__object_adopt(&obj, doc) != 0)
			continue;
		kube_object_freeze(obj);
		if (kube__object_compact(obj, p->value.data, p->value.len, p->meta_end) != 0) {
			/* the text stays p's (the backend may be reading it), and
			 * the tree too: obj held the second reference */
			kube_object_unref(obj);
			continue;
		}
		p->value = (kube__buf)KUBE__BUF_INIT;   /* the object's now */
		json_object_put(p->doc);
		p->doc = NULL;
		p->built = obj;
	}
}

/* Whether key is written by a batch in flight (they are not applied yet). */
static int key_in_flight(const kube__writes *w, const char *key)
{
	for (const batch *b = w->inflight; b; b = b->inext)
		if (kube__tree_find(b->keys, key))
			return 1;
	return 0;
}

/*
 * A write whose key was known only once prepared (a generated name) joins
 * the batch's key set here; a second write to that key in the batch, or
 * while a batch in flight writes it, fails as AlreadyExists, as the first
 * one wins.  The sqlite backend relies on this: it keeps no unique index
 * and takes a create's key as absent.
 *
 * Such a write was prepared without the admission hooks (start_batch):
 * they run here, once the name is known free, so a hook that counts what
 * it admits (ResourceQuota) never counts a create that then fails here.
 * A refused write does not take the key.
 */
static int batch_key(kube_store *s, kube__tnode **keys, pending *p)
{
	int rc;

	if (kube__tree_find(*keys, p->key) || key_in_flight(s->writes, p->key))
		return already_exists(p->kind_info, 1, strrchr(p->key, '/') + 1, NULL);
	if (s->admission && kube__admission_wants(s, p->kind_info->resource) &&
	    (rc = admit(s, p)) != 0)
		return rc;
	p->knode.key = p->key;   /* until the batch is freed: pending_free is after */
	p->knode.val = p;
	p->knode.prio = kube__tree_prio();
	kube__tree_insert(keys, &p->knode);
	return 0;
}

/*
 * How many queued writes the next batch may take: 0 for none now.
 *
 * One batch in flight is classic group commit: the queue fills while it
 * commits and goes next as a whole.  When each writer waits for its own
 * write before sending the next (16 writers, one write each in flight),
 * nothing queues during a commit, and a cycle is the loop's work for the
 * batch (prepare, apply, callbacks) plus the commit, one after the other.
 * Two batches in flight overlap them: the writers go in two halves, and
 * the loop prepares and applies one half while the other commits.
 *
 * Which pays depends on how much of a cycle is the loop's.  Two halves
 * cost a second fsync a cycle and each write some 10 us more CPU (twice
 * the handoffs between threads, on two cores), and win back the loop's
 * time for one half, hidden behind the other's commit.  Measured (16
 * writers, one setting after the other, six rounds as the disk's speed
 * changed): creates from JSON, whose loop time is 8-15 us a write, did
 * better with one batch in all six, by 12-35% (medians 16,040 against
 * 12,730/s); creates of trees, 30-50 us a write (the loop encodes them),
 * did better with two in four, by up to 66%, and worse in two, by 8-12%
 * (medians 13,440 against 12,130/s).  Rules that also weighed the
 * commit's measured wait chose wrong for trees: on two busy cores that
 * wait includes the commit thread's wait for a core.  So the loop's time
 * per write decides (learn measures the loop thread's CPU time, which
 * another program's use of the core does not inflate): two above
 * TWO_BATCHES_LOOP_NS, one below it, two until measured.
 * KUBE_STORE_TWO_BATCHES=1 or 0 fixes the choice (submit).
 *
 * A second batch is also never prepared while admission hooks are set:
 * a hook is told its write is checked against a store whose revision
 * moves only when the write's own batch applies (resourcequota.c
 * retires a charge once the store passed the revision it was made at).
 */
static size_t batch_room(kube_store *s)
{
	kube__writes *w = s->writes;
	size_t writers = w->q_len;
	int overlap;

	for (const batch *b = w->inflight; b; b = b->inext)
		writers += b->n;
	overlap = writers >= 2 && two_batches(s);
	if (w->ninflight == 0)
		return overlap && w->q_len >= 2 ? (w->q_len + 1) / 2 : MAX_BATCH;
	return overlap && w->ninflight == 1 ? MAX_BATCH : 0;
}

/* Cuts the next batch from the queue, prepares it, and commits it. */
static void start_batch(kube_store *s)
{
	kube__writes *w = s->writes;
	kube__tnode *keys = NULL;
	pending **tail;
	batch *b;
	size_t n = 0, room;
	int64_t t0 = 0;
	int rc, timed;

	if (!w->q_head || (room = batch_room(s)) == 0)
		return;
	/* the sequence number this batch will take */
	if ((timed = (w->seq_next + 1) % TIME_EVERY == 0))
		t0 = loop_cpu_ns();
	if (room > MAX_BATCH)
		room = MAX_BATCH;
	/* The arrays for what is queued, not for MAX_BATCH: 56 KB zeroed per
	 * batch cost more than the writes of a small one, and a request that
	 * large makes malloc consolidate every chunk freed since the last. */
	if (room > w->q_len)
		room = w->q_len;
	if (!(b = kube_calloc(1, sizeof(*b))) ||
	    !(b->ops = kube_calloc(room, sizeof(*b->ops))) ||
	    !(b->op_owner = kube_calloc(room, sizeof(*b->op_owner)))) {
		if (b) {
			kube_free(b->ops);
			kube_free(b);
		}
		/* Try again on the next flush. */
		kube_timer_start(w->flush_timer, 1, 0);
		return;
	}
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->s = s;
	b->refs = 1;
	tail = &b->head;
	while (w->q_head && n < room) {
		pending *p = w->q_head;
		if (!p->rkey)
			p->rkey = request_key(p);
		kube_error_clear();
		if (p->rkey) {
			/* a second write to a key: the next batch, once this
			 * one (or the one in flight) is applied */
			if (kube__tree_find(keys, p->rkey) || key_in_flight(w, p->rkey))
				break;
			p->knode.key = p->rkey;
			p->knode.val = p;
			p->knode.prio = kube__tree_prio();
			kube__tree_insert(&keys, &p->knode);
		}
		if (p->rkey) {
			prepare(s, p);
			/* a write that fails (or changes nothing) leaves its key
			 * as it was: free for a later write of the batch, e.g. a
			 * generated name */
			if (p->status || !p->has_op)
				kube__tree_remove(&keys, p->rkey);
		} else {
			/* prepare admits last; this write's hooks run in
			 * batch_key, after its generated name is checked */
			struct kube__admission *hooks = s->admission;
			s->admission = NULL;
			prepare(s, p);
			s->admission = hooks;
			if (!p->status && p->has_op && (rc = batch_key(s, &keys, p)) != 0)
				fail(p, rc);
		}
		w->q_head = p->next;
		if (!w->q_head)
			w->q_tail = NULL;
		w->q_len--;
		p->next = NULL;
		*tail = p;
		tail = &p->next;
		if (!p->status && p->has_op) {
			b->ops[b->nops] = p->op;
			b->op_owner[b->nops++] = p;
		}
		n++;
	}
	if (n == 0) {
		/* the head writes a key in flight: its batch's completion
		 * starts the next one */
		batch_unref(b);
		return;
	}
	b->n = n;
	b->keys = keys;
	b->seq = ++w->seq_next;
	if (w->inflight_tail)
		w->inflight_tail->inext = b;
	else
		w->inflight = b;
	w->inflight_tail = b;
	w->ninflight++;
	/* A durable backend commits on a worker, so the loop goes on and the
	 * next batch gathers meanwhile; the memory backend needs no thread. */
	if (b->nops && s->backend != &kube__store_memory_backend) {
		b->refs++;
		if (kube_loop_queue_work(NULL, s->loop, commit_work, on_committed, b,
		                         NULL) == 0) {
			b->pnext = w->pooled;
			w->pooled = b;
			build_objects(b);
			if ((b->timed = timed))
				b->loop_ns = loop_cpu_ns() - t0;
			batch_unref(b);   /* the pool's reference stays */
			/* the other half, while this one commits */
			if (w->q_head && batch_room(s))
				kube_timer_start(w->flush_timer, 0, 0);
			return;
		}
		b->refs--;
	}
	/* Here, on the loop: after any older batch in flight, in order.  Their
	 * callbacks, and then this batch's, are deferred: one that wrote
	 * synchronously would wait for this batch, which only this thread
	 * commits, and callbacks keep submission order. */
	int deferred = 0;
	while (w->inflight != b) {
		batch *x = w->inflight;
		wait_committed(x);
		apply_batch(s, x);
		defer_notify(s, x);
		deferred = 1;
	}
	commit_batch(b);
	apply_batch(s, b);
	if (deferred)
		defer_notify(s, b);
	else
		notify_batch(b);
	batch_unref(b);
	if (w->q_head)
		kube_timer_start(w->flush_timer, 0, 0);
}

static void on_flush(kube_timer *t, void *userdata)
{
	KUBE_UNUSED(t);
	start_batch(userdata);
}

static int submit(kube_store *s, pending *p, kube_store_write_cb cb, void *userdata,
                  void (*destroy)(void *))
{
	kube__writes *w = s->writes;

	if (!w) {
		if (!(w = kube_calloc(1, sizeof(*w))))
			return kube__error_oom();
		if (kube_timer_new(&w->flush_timer, s->loop, on_flush, s, NULL) != 0) {
			kube_free(w);
			return kube__error_oom();
		}
		pthread_mutex_init(&w->seq_mu, NULL);
		pthread_cond_init(&w->seq_cv, NULL);
		/* One batch in flight or two is chosen by what batches cost
		 * (batch_room) unless KUBE_STORE_TWO_BATCHES fixes it: "1"
		 * (or "on", "true", "yes") two, "0" (or "off", "false", "no")
		 * one; the crash test runs both paths. */
		const char *two = getenv("KUBE_STORE_TWO_BATCHES");
		w->force_two = -1;
		if (two && (!strcmp(two, "1") || !strcmp(two, "on") || !strcmp(two, "true") ||
		            !strcmp(two, "yes")))
			w->force_two = 1;
		else if (two && (!strcmp(two, "0") || !strcmp(two, "off") || !strcmp(two, "false") ||
		                 !strcmp(two, "no")))
			w->force_two = 0;
		s->writes = w;
	}
	p->cb = cb;
	p->userdata = userdata;
	p->destroy = destroy;
	if (w->q_tail)
		w->q_tail->next = p;
	else
		w->q_head = p;
	w->q_tail = p;
	w->q_len++;
	if (!kube_timer_is_active(w->flush_timer) && (!w->inflight || batch_room(s)))
		kube_timer_start(w->flush_timer, 0, 0);
	return 0;
}

static int submit_object(kube_store *s, wkind kind, kube_object *obj, int how,
                         kube_store_write_cb cb, void *userdata, void (*destroy)(void *))
{
	int take = how != REQ_BORROWED;
	kube_object *in = obj;
	pending *p;

	if (!s || !obj || !cb || s->closing) {
		if (take)
			kube_object_unref(obj);   /* taken on every outcome */
		KUBE_CHECK_ARG(s);
		KUBE_CHECK_ARG(obj);
		KUBE_CHECK_ARG(cb);
		KUBE_CHECK_ARG(!s->closing);
	}
	/* Not taken: a frozen object is shared as it is; a mutable one is
	 * copied now, so the caller may go on changing theirs.  Taken: the
	 * caller's reference is ours, and a mutable tree is edited in place. */
	if (!take) {
		if (kube_object_is_frozen(obj))
			in = kube_object_ref(obj);
		else if (kube_object_mutable(&in, obj) != 0)
			return KUBE_ENOMEM;
	}
	if (!(p = kube_calloc(1, sizeof(*p)))) {
		kube_object_unref(in);
		return kube__error_oom();
	}
	p->kind = kind;
	request_object(p, in, 1);
	p->in_text = how == REQ_TEXT;
	if (submit(s, p, cb, userdata, destroy) != 0) {
		p->destroy = NULL;   /* "destroy is not called" on failure */
		pending_free(p);
		return KUBE_ENOMEM;
	}
	return 0;
}

int kube_store_create_async(kube_store *store, const kube_object *obj, kube_store_write_cb cb,
                            void *userdata, void (*destroy)(void *))
{
	return submit_object(store, W_CREATE, (kube_object *)obj, REQ_BORROWED, cb, userdata, destroy);
}

int kube_store_create_async_take(kube_store *store, kube_object *obj, kube_store_write_cb cb,
                                 void *userdata, void (*destroy)(void *))
{
	return submit_object(store, W_CREATE, obj, REQ_TAKEN, cb, userdata, destroy);
}

int kube_store_create_json_async(kube_store *store, const char *json, size_t len,
                                 kube_store_write_cb cb, void *userdata, void (*destroy)(void *))
{
	kube_object *in;
	int how, rc;

	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(json);
	KUBE_CHECK_ARG(cb);
	KUBE_CHECK_ARG(!store->closing);
	if ((rc = json_request(&in, &how, json, len)) != 0)
		return rc;
	return submit_object(store, W_CREATE, in, how, cb, userdata, destroy);
}

int kube_store_update_async(kube_store *store, const kube_object *obj, kube_store_write_cb cb,
                            void *userdata, void (*destroy)(void *))
{
	return submit_object(store, W_UPDATE, (kube_object *)obj, REQ_BORROWED, cb, userdata, destroy);
}

int kube_store_update_async_take(kube_store *store, kube_object *obj, kube_store_write_cb cb,
                                 void *userdata, void (*destroy)(void *))
{
	return submit_object(store, W_UPDATE, obj, REQ_TAKEN, cb, userdata, destroy);
}

/* The asynchronous form: queued, or freed (destroy not called) on failure. */
static int named_async(kube_store *store, wkind kind, const char *resource, const char *ns,
                       const char *name, const char *arg, const char *pre_uid,
                       const char *pre_rv, kube_store_write_cb cb, void *userdata,
                       void (*destroy)(void *))
{
	pending *p;

	if (!(p = kube_calloc(1, sizeof(*p))))
		return kube__error_oom();
	if (named_request(p, kind, resource, ns, name, arg, pre_uid, pre_rv) != 0 ||
	    submit(store, p, cb, userdata, destroy) != 0) {
		pending_free(p);
		return KUBE_ENOMEM;
	}
	return 0;
}

int kube_store_update_status_async(kube_store *store, const char *resource,
                                   const char *namespace_, const char *name,
                                   const char *status_json, const kube_preconditions *pre,
                                   kube_store_write_cb cb, void *userdata, void (*destroy)(void *))
{
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(resource);
	KUBE_CHECK_ARG(name);
	KUBE_CHECK_ARG(status_json);
	KUBE_CHECK_ARG(cb);
	KUBE_CHECK_ARG(!store->closing);
	KUBE_CHECK_ARG(!pre || (pre->version >= 1 && pre->version <= KUBE_PRECONDITIONS_VERSION));
	return named_async(store, W_STATUS, resource, namespace_, name, status_json,
	                   pre ? pre->uid : NULL, pre ? pre->resource_version : NULL, cb, userdata,
	                   destroy);
}

int kube_store_delete_async(kube_store *store, const char *resource, const char *namespace_,
                            const char *name, const kube_delete_options *opts,
                            kube_store_write_cb cb, void *userdata, void (*destroy)(void *))
{
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(resource);
	KUBE_CHECK_ARG(name);
	KUBE_CHECK_ARG(cb);
	KUBE_CHECK_ARG(!store->closing);
	KUBE_CHECK_ARG(!opts || (opts->version >= 1 && opts->version <= KUBE_DELETE_OPTIONS_VERSION));
	return named_async(store, W_DELETE, resource, namespace_, name, NULL,
	                   opts ? opts->uid : NULL, opts ? opts->resource_version : NULL, cb, userdata,
	                   destroy);
}

void kube__writes_fini(kube_store *s)
{
	kube__writes *w = s->writes;
	batch *b;

	if (!w)
		return;
	/* Batches applied already (by a synchronous write), whose deferred
	 * callbacks have not run: theirs now, oldest first ... */
	while ((b = w->waiting)) {
		w->waiting = b->wnext;
		notify_batch(b);
		b->s = NULL;   /* the deferred call only frees it now */
	}
	/* ... then the batches in flight, newer than those: durable or
	 * failed, they are applied and told, as if the loop had run. */
	while ((b = w->inflight)) {
		wait_committed(b);
		apply_batch(s, b);
		notify_batch(b);
		b->s = NULL;   /* the pool's completion only frees it now */
	}
	/* Completions the pool still holds (run when the loop is freed) only
	 * free their batch now: those applied above, and those another
	 * batch's completion or a synchronous write applied before. */
	for (b = w->pooled; b; b = b->pnext)
		b->s = NULL;
	w->pooled = NULL;
	/* Writes not started are cancelled. */
	while (w->q_head) {
		pending *p = w->q_head;
		w->q_head = p->next;
		kube__error_set(KUBE_ECANCELED, NULL, "the store was closed before the write started");
		p->cb(KUBE_ECANCELED, NULL, p->userdata);
		pending_free(p);
	}
	kube_timer_free(w->flush_timer);
	pthread_cond_destroy(&w->seq_cv);
	pthread_mutex_destroy(&w->seq_mu);
	kube_free(w);
	s->writes = NULL;
}
