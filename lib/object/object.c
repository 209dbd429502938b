/*
 * object.c - kube_object: a JSON document plus its parsed hot metadata.
 *
 *   kube_object
 *   +-------------------------+
 *   | refs (atomic), frozen   |
 *   | doc ------------------------> json-c tree {apiVersion, kind, metadata, spec, ...}
 *   | api_version, kind, name |        ^ borrowed const char * into the tree
 *   | namespace, uid, rv, ... | -------+
 *   | labels (kube_labels)    |   parsed copy of metadata.labels
 *   | owners[], finalizers[]  |   borrowed strings
 *   | source: doc/line/col,   |
 *   |         posmap          |
 *   +-------------------------+
 *
 * A store keeps its objects compact (kube__object_compact): the tree, whose
 * json-c nodes and hash tables cost ~15 times the JSON they hold, is
 * dropped, and the object keeps its compact JSON text (without
 * resourceVersion: the very bytes the backend stores) and one block with
 * the hot strings, owner references, finalizers and annotations:
 *
 *   compact kube_object           block (one allocation)
 *   +---------------------+       +-------------------------------------+
 *   | doc = NULL ---------+--+    | owners[] | finalizers[] | ann[] |   |
 *   | text --> {"apiVersion":...,"metadata":{...}...}  (~JSON size)    |
 *   | name, uid, ... -----+--|--> | "web-1\0" "5f0c...\0" "v1\0" ...   |
 *   | labels (own arena)  |  |    +-------------------------------------+
 *   +---------------------+  +--> built from text on first path access,
 *                                 resourceVersion put back, then kept
 *
 * The tree is published with a compare-and-swap, so two threads that ask
 * at once both get the winner's and the loser frees its own.  Encoding and
 * the store's own readers (field selectors, the nodeName index, updates)
 * read the text or a transient tree and leave the object compact.
 *
 * Invariants:
 *   - The hot fields always describe the current tree: every change that may
 *     touch them (a setter under metadata, apiVersion or kind) re-parses, and a
 *     change that would leave metadata malformed is undone.
 *   - Once frozen (first kube_object_ref() or kube_object_freeze()) nothing
 *     changes: not the tree, not the hot fields.  So frozen objects are read
 *     from many threads without locks, and the refcount is the only atomic.
 *   - Label keys or values that are not valid are kept in the tree but left
 *     out of the parsed label set; kube_validate_object() reports them.  That
 *     way a manifest with a bad label still decodes and can be reported with
 *     its line, instead of failing to load at all.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "object_private.h"
#include "path.h"

/* A string a getter handed out of a compact object's text, decoded, kept
 * for the object's life; `off` is where it is in the text. */
typedef struct kept_string {
	struct kept_string *next;
	size_t off;
	char s[];
} kept_string;

struct kube_object {
	atomic_uint refs;
	atomic_int frozen;
	/* Always set in a mutable object; in a compact one NULL until asked for. */
	_Atomic(json_object *) doc;

	/* compact form: text (owned, without resourceVersion), where metadata's
	 * closing brace is in it, and the block the hot strings live in */
	char *text;
	size_t text_len, meta_end;
	void *block;
	const char **ann;            /* compact: key, value, key, value, ... */
	size_t nann;
	const char *node_name;       /* compact: spec.nodeName, NULL when absent */
	/* compact, without its tree: what the getters handed out (getters below) */
	_Atomic(struct kept_string *) kept;

	const char *api_version;
	const char *kind;
	const char *namespace_;
	const char *name;
	const char *generate_name;
	const char *uid;
	const char *resource_version;
	const char *creation_timestamp;
	const char *deletion_timestamp;
	int64_t generation;
	kube_labels *labels;
	json_object *annotations;
	kube_owner_ref *owners;
	size_t nowners;
	const char **finalizers;
	size_t nfinalizers;

	int src_document, src_line, src_column;
	kube__posmap *pos;
};

/* ---- metadata parsing ---- */

typedef struct meta {
	const char *api_version, *kind, *namespace_, *name, *generate_name, *uid;
	const char *resource_version, *creation_timestamp, *deletion_timestamp;
	int64_t generation;
	kube_labels *labels;
	json_object *annotations;
	kube_owner_ref *owners;
	size_t nowners;
	const char **finalizers;
	size_t nfinalizers;
} meta;

static void meta_release(meta *m)
{
	kube_labels_free(m->labels);
	kube_free(m->owners);
	kube_free(m->finalizers);
	memset(m, 0, sizeof(*m));
}

static int type_error(const char *field, json_object *v, const char *want)
{
	return kube__error_set(KUBE_EINVAL, field, "%s: expected %s, found %s",
	                       field, want, kube__json_type_name(v));
}

/* A string member, or NULL when absent or null. */
static int get_str(json_object *map, const char *key, const char *field, const char **out)
{
	json_object *v;
	*out = NULL;
	if (!json_object_object_get_ex(map, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return type_error(field, v, "a string");
	*out = json_object_get_string(v);
	return 0;
}

static int parse_string_map(json_object *v, const char *field)
{
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return type_error(field, v, "a map of strings");
	json_object_object_foreach(v, key, val) {
		if (val != NULL && !json_object_is_type(val, json_type_string)) {
			char f[600];
			snprintf(f, sizeof(f), "%s[\"%s\"]", field, key);
			return type_error(f, val, "a string");
		}
	}
	return 0;
}

static int parse_labels(meta *m, json_object *v)
{
	int rc = parse_string_map(v, "metadata.labels");
	if (rc)
		return rc;
	if ((rc = kube_labels_new(&m->labels)) != 0)
		return rc;
	if (v == NULL)
		return 0;
	json_object_object_foreach(v, key, val) {
		const char *value = val ? json_object_get_string(val) : "";
		/* an invalid key or value stays out of the set; validation reports
		 * it.  Checked here first so parsing raises no error of its own. */
		if (kube__check_qualified_name(key, strlen(key), NULL) ||
		    kube__check_label_value(value, strlen(value), NULL))
			continue;
		if ((rc = kube_labels_set(m->labels, key, value)) != 0)
			return rc;
	}
	return 0;
}

/* metadata.ownerReferences[i].key as a string; the path is only built for
 * an error, since every adopted object passes through here. */
static int owner_str(json_object *e, size_t i, const char *key, const char **out)
{
	json_object *v;
	char f[96];

	*out = NULL;
	if (!json_object_object_get_ex(e, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(f, sizeof(f), "metadata.ownerReferences[%zu].%s", i, key);
		return type_error(f, v, "a string");
	}
	*out = json_object_get_string(v);
	return 0;
}

static int owner_bool(json_object *e, size_t i, const char *key, int *out)
{
	json_object *v;
	char f[96];

	*out = 0;
	if (!json_object_object_get_ex(e, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		snprintf(f, sizeof(f), "metadata.ownerReferences[%zu].%s", i, key);
		return type_error(f, v, "a boolean");
	}
	*out = json_object_get_boolean(v);
	return 0;
}

static int parse_owners(meta *m, json_object *v)
{
	size_t n;

	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return type_error("metadata.ownerReferences", v, "an array");
	n = json_object_array_length(v);
	if (n == 0)
		return 0;
	m->owners = kube_calloc(n, sizeof(*m->owners));
	if (!m->owners)
		return kube__error_oom();
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		kube_owner_ref *r = &m->owners[i];
		int rc;

		if (e == NULL || !json_object_is_type(e, json_type_object)) {
			char f[64];
			snprintf(f, sizeof(f), "metadata.ownerReferences[%zu]", i);
			return type_error(f, e, "a map");
		}
		if ((rc = owner_str(e, i, "apiVersion", &r->api_version)) != 0 ||
		    (rc = owner_str(e, i, "kind", &r->kind)) != 0 ||
		    (rc = owner_str(e, i, "name", &r->name)) != 0 ||
		    (rc = owner_str(e, i, "uid", &r->uid)) != 0 ||
		    (rc = owner_bool(e, i, "controller", &r->controller)) != 0 ||
		    (rc = owner_bool(e, i, "blockOwnerDeletion", &r->block_owner_deletion)) != 0)
			return rc;
	}
	m->nowners = n;
	return 0;
}

static int parse_finalizers(meta *m, json_object *v)
{
	size_t n;

	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return type_error("metadata.finalizers", v, "an array of strings");
	n = json_object_array_length(v);
	if (n == 0)
		return 0;
	m->finalizers = kube_calloc(n, sizeof(*m->finalizers));
	if (!m->finalizers)
		return kube__error_oom();
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		if (e == NULL || !json_object_is_type(e, json_type_string)) {
			char f[64];
			snprintf(f, sizeof(f), "metadata.finalizers[%zu]", i);
			return type_error(f, e, "a string");
		}
		m->finalizers[i] = json_object_get_string(e);
	}
	m->nfinalizers = n;
	return 0;
}

static int parse_meta(meta *m, json_object *doc)
{
	json_object *md = NULL, *v;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!json_object_is_type(doc, json_type_object))
		return type_error("(root)", doc, "a map");
	if ((rc = get_str(doc, "apiVersion", "apiVersion", &m->api_version)) != 0 ||
	    (rc = get_str(doc, "kind", "kind", &m->kind)) != 0)
		goto fail;
	if (json_object_object_get_ex(doc, "metadata", &md) && md != NULL &&
	    !json_object_is_type(md, json_type_object)) {
		rc = type_error("metadata", md, "a map");
		goto fail;
	}
	if (md == NULL) {
		rc = kube_labels_new(&m->labels);
		if (rc)
			goto fail;
		return 0;
	}
	if ((rc = get_str(md, "name", "metadata.name", &m->name)) != 0 ||
	    (rc = get_str(md, "generateName", "metadata.generateName", &m->generate_name)) != 0 ||
	    (rc = get_str(md, "namespace", "metadata.namespace", &m->namespace_)) != 0 ||
	    (rc = get_str(md, "uid", "metadata.uid", &m->uid)) != 0 ||
	    (rc = get_str(md, "resourceVersion", "metadata.resourceVersion", &m->resource_version)) != 0 ||
	    (rc = get_str(md, "creationTimestamp", "metadata.creationTimestamp",
	                  &m->creation_timestamp)) != 0 ||
	    (rc = get_str(md, "deletionTimestamp", "metadata.deletionTimestamp",
	                  &m->deletion_timestamp)) != 0)
		goto fail;
	if (json_object_object_get_ex(md, "generation", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_int)) {
			rc = type_error("metadata.generation", v, "an integer");
			goto fail;
		}
		m->generation = json_object_get_int64(v);
	}
	v = NULL;
	json_object_object_get_ex(md, "labels", &v);
	if ((rc = parse_labels(m, v)) != 0)
		goto fail;
	v = NULL;
	json_object_object_get_ex(md, "annotations", &v);
	if ((rc = parse_string_map(v, "metadata.annotations")) != 0)
		goto fail;
	m->annotations = v;
	v = NULL;
	json_object_object_get_ex(md, "ownerReferences", &v);
	if ((rc = parse_owners(m, v)) != 0)
		goto fail;
	v = NULL;
	json_object_object_get_ex(md, "finalizers", &v);
	if ((rc = parse_finalizers(m, v)) != 0)
		goto fail;
	return 0;
fail:
	meta_release(m);
	return rc;
}

static void meta_install(kube_object *o, meta *m)
{
	kube_labels_free(o->labels);
	kube_free(o->owners);
	kube_free(o->finalizers);
	o->api_version = m->api_version;
	o->kind = m->kind;
	o->namespace_ = m->namespace_;
	o->name = m->name;
	o->generate_name = m->generate_name;
	o->uid = m->uid;
	o->resource_version = m->resource_version;
	o->creation_timestamp = m->creation_timestamp;
	o->deletion_timestamp = m->deletion_timestamp;
	o->generation = m->generation;
	o->labels = m->labels;
	o->annotations = m->annotations;
	o->owners = m->owners;
	o->nowners = m->nowners;
	o->finalizers = m->finalizers;
	o->nfinalizers = m->nfinalizers;
	memset(m, 0, sizeof(*m));
}

/* ---- life cycle ---- */

int kube__object_adopt(kube_object **out, json_object *root)
{
	kube_object *o;
	meta m;
	int rc;

	*out = NULL;
	if ((rc = parse_meta(&m, root)) != 0) {
		json_object_put(root);
		return rc;
	}
	o = kube_calloc(1, sizeof(*o));
	if (!o) {
		meta_release(&m);
		json_object_put(root);
		return kube__error_oom();
	}
	atomic_init(&o->refs, 1);
	atomic_init(&o->frozen, 0);
	atomic_init(&o->doc, root);
	meta_install(o, &m);
	*out = o;
	return 0;
}

/* A compact object's tree, parsed from its text with resourceVersion put
 * back as the last member of metadata, where the store had it. */
static json_object *parse_text(const kube_object *o)
{
	kube_decode_options opts = KUBE_DECODE_OPTIONS_INIT;
	kube__docs docs = { 0 };
	json_object *root, *md = NULL, *rv;

	opts.format = KUBE_FORMAT_JSON;
	opts.max_document_bytes = o->text_len + 1;
	opts.max_depth = KUBE__DEPTH_CAP;
	if (kube__json_decode(&docs, o->text, o->text_len, &opts) != 0)
		return NULL;
	if (docs.count != 1 || !json_object_is_type(docs.items[0].root, json_type_object)) {
		kube__docs_free(&docs);
		kube__error_set(KUBE_EIO, NULL, "object: the compact text is not one JSON object");
		return NULL;
	}
	root = docs.items[0].root;
	docs.items[0].root = NULL;
	kube__docs_free(&docs);
	if (o->resource_version && json_object_object_get_ex(root, "metadata", &md) &&
	    json_object_is_type(md, json_type_object)) {
		if (!(rv = json_object_new_string(o->resource_version)) ||
		    json_object_object_add(md, "resourceVersion", rv) != 0) {
			json_object_put(rv);
			json_object_put(root);
			kube__error_oom();
			return NULL;
		}
	}
	return root;
}

json_object *kube__object_doc(const kube_object *o)
{
	kube_object *w = (kube_object *)o;
	json_object *d = atomic_load_explicit(&w->doc, memory_order_acquire), *expected = NULL;

	if (d || !o->text)
		return d;
	if (!(d = parse_text(o)))
		return NULL;
	if (!atomic_compare_exchange_strong_explicit(&w->doc, &expected, d, memory_order_acq_rel,
	                                             memory_order_acquire)) {
		json_object_put(d);   /* another thread was first: share its tree */
		d = expected;
	}
	return d;
}

json_object *kube__object_doc_transient(const kube_object *o, int *owned)
{
	json_object *d = atomic_load_explicit(&((kube_object *)o)->doc, memory_order_acquire);

	*owned = 0;
	if (d || !o->text)
		return d;
	if ((d = parse_text(o)) != NULL)
		*owned = 1;
	return d;
}

int kube__object_has_tree(const kube_object *o)
{
	return atomic_load_explicit(&((kube_object *)o)->doc, memory_order_acquire) != NULL;
}

const char *kube__object_text(const kube_object *o, size_t *len)
{
	if (len)
		*len = o->text ? o->text_len : 0;
	return o->text;
}

int kube__object_put_json(kube__buf *out, const kube_object *o)
{
	json_object *d;
	int owned, rc;

	if (o->text && o->meta_end < o->text_len && o->resource_version) {
		kube__buf_put(out, o->text, o->meta_end);
		if (o->meta_end > 0 && o->text[o->meta_end - 1] != '{')
			kube__buf_putc(out, ',');
		kube__buf_put(out, "\"resourceVersion\":\"", 19);
		kube__buf_puts(out, o->resource_version);
		kube__buf_putc(out, '"');
		kube__buf_put(out, o->text + o->meta_end, o->text_len - o->meta_end);
		return out->failed ? kube__error_oom() : 0;
	}
	if (!(d = kube__object_doc_transient(o, &owned)))
		return KUBE_ENOMEM;
	rc = kube__json_encode(out, d, 0);
	if (owned)
		json_object_put(d);
	return rc;
}

const char *kube__object_node_name(const kube_object *o)
{
	json_object *d, *spec, *v;

	if (o->text)
		return o->node_name;
	d = atomic_load_explicit(&((kube_object *)o)->doc, memory_order_acquire);
	if (json_object_object_get_ex(d, "spec", &spec) && json_object_is_type(spec, json_type_object) &&
	    json_object_object_get_ex(spec, "nodeName", &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

int kube__object_stamp_rv(kube_object *o, const char *rv)
{
	char *slot;

	if (!o->block || strlen(rv) >= KUBE__RV_ROOM)
		return kube__error_set(KUBE_EINVAL, NULL, "object: no room for resourceVersion %s", rv);
	slot = (char *)o->block + o->nowners * sizeof(kube_owner_ref) +
	       (o->nfinalizers + 2 * o->nann) * sizeof(char *);
	memcpy(slot, rv, strlen(rv) + 1);
	o->resource_version = slot;
	return 0;
}

/* Copies s into the block at *p; returns the copy (NULL stays NULL). */
static const char *put_str(char **p, const char *s)
{
	char *d = *p;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	memcpy(d, s, n);
	*p = d + n;
	return d;
}

/* Where a compact object's hot metadata comes from: the strings (any may
 * be NULL), owner references, finalizers, and annotations either as a map
 * or as key, value pairs. */
typedef struct hot_src {
	const char *api_version, *kind, *namespace_, *name, *generate_name, *uid;
	const char *creation_timestamp, *deletion_timestamp, *node_name, *resource_version;
	const kube_owner_ref *owners;
	size_t nowners;
	const char *const *finalizers;
	size_t nfinalizers;
	json_object *ann_map;           /* or */
	const char *const *ann_pairs;
	size_t nann;
} hot_src;

/*
 * One block for the hot strings of a compact object: pointer arrays
 * (owners, finalizers, annotation pairs), then resourceVersion in room for
 * any revision (so a write can stamp it after its commit,
 * kube__object_stamp_rv), then the strings.  Points o's hot fields into
 * it and returns it; NULL on ENOMEM (raised), o untouched.
 */
static void *build_block(kube_object *o, const hot_src *h)
{
	const char *hot[] = { h->api_version, h->kind, h->namespace_, h->name, h->generate_name,
	                      h->uid, h->creation_timestamp, h->deletion_timestamp, h->node_name };
	size_t rv_cap = h->resource_version ? strlen(h->resource_version) + 1 : 0;
	size_t strs = 0, head, i;
	kube_owner_ref *owners;
	const char **fins, **ann;
	char *block, *p;

	if (rv_cap < KUBE__RV_ROOM)
		rv_cap = KUBE__RV_ROOM;
	strs += rv_cap;
	for (i = 0; i < KUBE_ARRAY_SIZE(hot); i++)
		strs += hot[i] ? strlen(hot[i]) + 1 : 0;
	for (i = 0; i < h->nowners; i++) {
		const kube_owner_ref *r = &h->owners[i];
		const char *f[] = { r->api_version, r->kind, r->name, r->uid };
		for (size_t j = 0; j < 4; j++)
			strs += f[j] ? strlen(f[j]) + 1 : 0;
	}
	for (i = 0; i < h->nfinalizers; i++)
		strs += strlen(h->finalizers[i]) + 1;
	if (h->ann_map) {
		json_object_object_foreach(h->ann_map, k, v)
			strs += strlen(k) + 1 + (v ? strlen(json_object_get_string(v)) : 0) + 1;
	} else {
		for (i = 0; i < 2 * h->nann; i++)
			strs += strlen(h->ann_pairs[i]) + 1;
	}
	head = h->nowners * sizeof(*owners) + (h->nfinalizers + 2 * h->nann) * sizeof(char *);
	if (!(block = kube_malloc(head + strs + 1))) {
		kube__error_oom();
		return NULL;
	}
	owners = (kube_owner_ref *)(void *)block;
	fins = (const char **)(void *)(block + h->nowners * sizeof(*owners));
	ann = fins + h->nfinalizers;
	p = block + head;

	if (h->resource_version)
		memcpy(p, h->resource_version, strlen(h->resource_version) + 1);
	else
		p[0] = '\0';
	o->resource_version = h->resource_version ? p : NULL;
	p += rv_cap;
	o->api_version = put_str(&p, h->api_version);
	o->kind = put_str(&p, h->kind);
	o->namespace_ = put_str(&p, h->namespace_);
	o->name = put_str(&p, h->name);
	o->generate_name = put_str(&p, h->generate_name);
	o->uid = put_str(&p, h->uid);
	o->creation_timestamp = put_str(&p, h->creation_timestamp);
	o->deletion_timestamp = put_str(&p, h->deletion_timestamp);
	o->node_name = put_str(&p, h->node_name);
	for (i = 0; i < h->nowners; i++) {
		owners[i] = h->owners[i];
		owners[i].api_version = put_str(&p, owners[i].api_version);
		owners[i].kind = put_str(&p, owners[i].kind);
		owners[i].name = put_str(&p, owners[i].name);
		owners[i].uid = put_str(&p, owners[i].uid);
	}
	for (i = 0; i < h->nfinalizers; i++)
		fins[i] = put_str(&p, h->finalizers[i]);
	if (h->ann_map) {
		i = 0;
		json_object_object_foreach(h->ann_map, k, v) {
			ann[i++] = put_str(&p, k);
			ann[i++] = put_str(&p, v ? json_object_get_string(v) : "");
		}
	} else {
		for (i = 0; i < 2 * h->nann; i++)
			ann[i] = put_str(&p, h->ann_pairs[i]);
	}
	o->owners = h->nowners ? owners : NULL;
	o->nowners = h->nowners;
	o->finalizers = h->nfinalizers ? fins : NULL;
	o->nfinalizers = h->nfinalizers;
	o->ann = h->nann ? ann : NULL;
	o->nann = h->nann;
	o->annotations = NULL;
	o->block = block;
	return block;
}

int kube__object_compact(kube_object *o, char *text, size_t len, size_t meta_end)
{
	json_object *doc = atomic_load_explicit(&o->doc, memory_order_acquire);
	kube_owner_ref *old_owners = o->owners;
	const char **old_fins = o->finalizers;
	hot_src h;

	if (o->text || !doc)
		return kube__error_set(KUBE_EINVAL, NULL, "object: already compact");
	h = (hot_src){ o->api_version, o->kind, o->namespace_, o->name, o->generate_name, o->uid,
	               o->creation_timestamp, o->deletion_timestamp, kube__object_node_name(o),
	               o->resource_version, o->owners, o->nowners, o->finalizers, o->nfinalizers,
	               o->annotations, NULL,
	               o->annotations ? (size_t)json_object_object_length(o->annotations) : 0 };
	if (!build_block(o, &h))
		return KUBE_ENOMEM;
	/* the strings now live in the block: the tree they came from goes */
	kube_free(old_owners);
	kube_free(old_fins);
	o->text = text;
	o->text_len = len;
	o->meta_end = meta_end;
	kube__posmap_free(o->pos);
	o->pos = NULL;
	atomic_store_explicit(&o->doc, NULL, memory_order_release);
	json_object_put(doc);
	return 0;
}

/* A frozen compact object on text, its hot metadata from h and like's
 * labels (the kube__object_derive* functions). */
static int derive(kube_object **out, const kube_object *like, const hot_src *h, int64_t generation,
                  char *text, size_t len, size_t meta_end)
{
	kube_object *o;

	*out = NULL;
	if (!(o = kube_calloc(1, sizeof(*o))))
		return kube__error_oom();
	atomic_init(&o->refs, 1);
	atomic_init(&o->frozen, 1);
	atomic_init(&o->doc, NULL);
	if (kube_labels_copy(&o->labels, like->labels) != 0 || !build_block(o, h)) {
		kube_labels_free(o->labels);
		kube_free(o);
		return KUBE_ENOMEM;
	}
	o->generation = generation;
	o->text = text;
	o->text_len = len;
	o->meta_end = meta_end;
	*out = o;
	return 0;
}

int kube__object_derive(kube_object **out, const kube_object *like, char *text, size_t len,
                        size_t meta_end, int64_t generation, const char *node_name)
{
	hot_src h;

	if (!like->text)
		return kube__object_from_text(out, text, len, meta_end);
	h = (hot_src){ like->api_version, like->kind, like->namespace_, like->name,
	               like->generate_name, like->uid, like->creation_timestamp,
	               like->deletion_timestamp, node_name, NULL, like->owners, like->nowners,
	               like->finalizers, like->nfinalizers, NULL, like->ann, like->nann };
	return derive(out, like, &h, generation, text, len, meta_end);
}

int kube__object_derive_create(kube_object **out, const kube_object *like, char *text, size_t len,
                               size_t meta_end, const char *name, const char *uid,
                               const char *creation_timestamp, int drop_namespace)
{
	hot_src h;

	if (!like->text)
		return kube__object_from_text(out, text, len, meta_end);
	h = (hot_src){ like->api_version, like->kind, drop_namespace ? NULL : like->namespace_,
	               name ? name : like->name, like->generate_name, uid, creation_timestamp,
	               NULL, like->node_name, NULL, like->owners, like->nowners, like->finalizers,
	               like->nfinalizers, NULL, like->ann, like->nann };
	return derive(out, like, &h, 1, text, len, meta_end);
}

/* The value at t[v..] (compact text) as a tree; *out NULL for a null. */
static int text_tree(const char *t, size_t n, size_t v, json_object **out)
{
	kube_decode_options opts = KUBE_DECODE_OPTIONS_INIT;
	kube__docs docs = { 0 };
	size_t e = kube__json_text_skip(t, n, v);
	int rc;

	*out = NULL;
	opts.format = KUBE_FORMAT_JSON;
	opts.max_document_bytes = e - v + 1;
	opts.max_depth = KUBE__DEPTH_CAP;
	if ((rc = kube__json_decode(&docs, t + v, e - v, &opts)) != 0)
		return rc;
	if (docs.count != 1) {
		kube__docs_free(&docs);
		return kube__error_set(KUBE_EIO, NULL, "object: a member of the compact text is not one value");
	}
	*out = docs.items[0].root;
	docs.items[0].root = NULL;
	kube__docs_free(&docs);
	return 0;
}

/* Adds t's member `key` of the map at t[at] to `to`, parsed, if there is one. */
static int add_text_member(json_object *to, const char *t, size_t n, size_t at, const char *key)
{
	size_t v = kube__json_text_member(t, n, at, key);
	json_object *val;
	int rc;

	if (v == SIZE_MAX)
		return 0;
	if ((rc = text_tree(t, n, v, &val)) != 0)
		return rc;
	if (json_object_object_add(to, key, val) != 0) {
		json_object_put(val);
		return kube__error_oom();
	}
	return 0;
}

/* ---- hot metadata read straight from compact text ---- */

/*
 * The tree path (kube__object_from_text_tree, below) parses the members
 * a compact object keeps at hand into a small tree, adopts it and
 * compacts it: dozens of small allocations for a pod (json-c's nodes, hash
 * tables, key copies), freed again at once.  For a create from JSON that
 * was a third of the loop thread's work (8 of 22 us a create, with the
 * malloc arena's consolidation it caused).  This reads the same members
 * from the bytes into one scratch area and builds the block from there.
 *
 * It reads what the contract promises (the encoder's form: compact, no
 * repeated keys; strings may hold escapes) and answers "not sure" (0) for
 * anything else, and for every value parse_meta would refuse (a member of
 * the wrong type: the tree path words that error).  The caller then takes
 * the tree path.  fuzz_object_text checks that both make the same object.
 */
#define TM_OWNERS 8
#define TM_FINALIZERS 16
#define TM_ANNOTATIONS 32
#define TM_STACK 2048

typedef struct text_meta {
	const char *t;
	size_t n;
	char *s;                        /* decoded strings, each NUL-terminated */
	size_t len, cap;                /* cap bounds them all, so s never moves */
	hot_src h;
	kube_owner_ref owners[TM_OWNERS];
	const char *fins[TM_FINALIZERS];
	const char *ann[2 * TM_ANNOTATIONS];
	kube_labels *labels;
	int64_t generation;
} text_meta;

/* The string at t[p], decoded into the scratch area; *end past it.  NULL:
 * not a string, or not sure. */
static const char *tm_string(text_meta *m, size_t p, size_t *end)
{
	const char *t = m->t;
	size_t e = p + 1, l;
	char *d = m->s + m->len;

	if (p >= m->n || t[p] != '"')
		return NULL;
	while (e < m->n && t[e] != '"' && t[e] != '\\')
		e++;
	if (e >= m->n)
		return NULL;
	if (t[e] == '"') {
		if ((l = e - p - 1) >= m->cap - m->len)
			return NULL;
		memcpy(d, t + p + 1, l);
		*end = e + 1;
	} else {
		/* escapes, rare in metadata: the decoder knows them all */
		kube__buf b = KUBE__BUF_INIT;
		e = kube__json_text_skip(t, m->n, p);
		if (kube__json_text_string(t, e, p, &b) != 0 || (l = b.len) >= m->cap - m->len) {
			kube__buf_free(&b);
			return NULL;
		}
		memcpy(d, b.data, l);
		kube__buf_free(&b);
		*end = e;
	}
	d[l] = '\0';
	m->len += l + 1;
	return d;
}

static int tm_null(const text_meta *m, size_t p, size_t *end)
{
	if (m->n - p < 4 || memcmp(m->t + p, "null", 4) != 0)
		return 0;
	*end = p + 4;
	return 1;
}

/* A string or null at t[p] into *out (NULL for null); 0: neither. */
static int tm_str(text_meta *m, size_t p, size_t *end, const char **out)
{
	*out = NULL;
	return tm_null(m, p, end) || (*out = tm_string(m, p, end)) != NULL;
}

/* Whether the key token t[k..ke) is `key` (a key named here needs no
 * escapes, so the encoder wrote none). */
static int tm_is(const text_meta *m, size_t k, size_t ke, const char *key)
{
	return kube__json_text_key_plain(m->t, k, ke, key);
}

/* The first member of the map at t[*p]: 1 with *p at its key, 0 for an
 * empty map (*p past it), -1 not a map. */
static int tm_open(const text_meta *m, size_t *p)
{
	if (*p + 1 >= m->n || m->t[*p] != '{')
		return -1;
	if (m->t[*p + 1] == '}') {
		*p += 2;
		return 0;
	}
	(*p)++;
	return m->t[*p] == '"' ? 1 : -1;
}

/* The key at t[*p]: its end in *ke and the value's offset in *p. */
static int tm_member(const text_meta *m, size_t *p, size_t *ke)
{
	*ke = kube__json_text_skip(m->t, m->n, *p);
	if (*ke >= m->n || m->t[*ke] != ':')
		return 0;
	*p = *ke + 1;
	return 1;
}

/* After a value ending at t[*p]: 1 with *p at the next key (or element),
 * 0 past the closing `close`, -1 neither. */
static int tm_after(const text_meta *m, size_t *p, char close)
{
	if (*p < m->n && m->t[*p] == ',') {
		(*p)++;
		return 1;
	}
	if (*p < m->n && m->t[*p] == close) {
		(*p)++;
		return 0;
	}
	return -1;
}

/* labels or annotations: a map of strings (null reads as ""). */
static int tm_string_map(text_meta *m, size_t *p, int labels)
{
	size_t nann = 0, ke;
	int more, rc;

	if (tm_null(m, *p, p))
		return 1;
	for (more = tm_open(m, p); more == 1; more = tm_after(m, p, '}')) {
		size_t k = *p;
		const char *key, *val;
		if (!tm_member(m, p, &ke) || !(key = tm_string(m, k, &ke)) || !tm_str(m, *p, p, &val))
			return 0;
		if (!val)
			val = "";
		if (labels) {
			/* invalid ones stay out of the set (parse_labels) */
			if (!kube__check_qualified_name(key, strlen(key), NULL) &&
			    !kube__check_label_value(val, strlen(val), NULL) &&
			    (rc = kube_labels_set(m->labels, key, val)) != 0)
				return rc;
		} else {
			if (nann == TM_ANNOTATIONS)
				return 0;
			m->ann[2 * nann] = key;
			m->ann[2 * nann + 1] = val;
			nann++;
		}
	}
	if (!labels)
		m->h.nann = nann;
	return more == 0;
}

/* An array or null at t[*p]: 1 with *p at its first element, 0 for null
 * or an empty array (*p past it), -1 neither. */
static int tm_array(const text_meta *m, size_t *p)
{
	if (tm_null(m, *p, p))
		return 0;
	if (*p + 1 >= m->n || m->t[*p] != '[')
		return -1;
	if (m->t[++*p] == ']') {
		++*p;
		return 0;
	}
	return 1;
}

static int tm_owners(text_meta *m, size_t *p)
{
	size_t i = 0, ke;
	int more = tm_array(m, p);

	if (more != 1)
		return more == 0;
	for (; more == 1; more = tm_after(m, p, ']')) {
		kube_owner_ref *r;
		int in;
		if (i == TM_OWNERS)
			return 0;
		r = &m->owners[i];
		memset(r, 0, sizeof(*r));
		for (in = tm_open(m, p); in == 1; in = tm_after(m, p, '}')) {
			size_t k = *p;
			const char **s = NULL;
			int *b = NULL;
			if (!tm_member(m, p, &ke))
				return 0;
			if (tm_is(m, k, ke, "apiVersion")) s = &r->api_version;
			else if (tm_is(m, k, ke, "kind")) s = &r->kind;
			else if (tm_is(m, k, ke, "name")) s = &r->name;
			else if (tm_is(m, k, ke, "uid")) s = &r->uid;
			else if (tm_is(m, k, ke, "controller")) b = &r->controller;
			else if (tm_is(m, k, ke, "blockOwnerDeletion")) b = &r->block_owner_deletion;
			if (s && !tm_str(m, *p, p, s))
				return 0;
			if (b) {
				if (m->n - *p >= 4 && memcmp(m->t + *p, "true", 4) == 0)
					*b = 1, *p += 4;
				else if (m->n - *p >= 5 && memcmp(m->t + *p, "false", 5) == 0)
					*b = 0, *p += 5;
				else if (!tm_null(m, *p, p))
					return 0;
			}
			if (!s && !b)
				*p = kube__json_text_skip(m->t, m->n, *p);
		}
		if (in != 0)
			return 0;
		i++;
	}
	m->h.owners = i ? m->owners : NULL;
	m->h.nowners = i;
	return more == 0;
}

static int tm_finalizers(text_meta *m, size_t *p)
{
	size_t i = 0;
	int more = tm_array(m, p);

	if (more != 1)
		return more == 0;
	for (; more == 1; more = tm_after(m, p, ']'))
		if (i == TM_FINALIZERS || !(m->fins[i++] = tm_string(m, *p, p)))
			return 0;
	m->h.finalizers = m->fins;
	m->h.nfinalizers = i;
	return more == 0;
}

/* generation: an integer (int64, as the decoder makes one) or null. */
static int tm_generation(text_meta *m, size_t *p)
{
	const char *t = m->t;
	size_t d = *p + (*p < m->n && t[*p] == '-'), e = d;
	int64_t x = 0;

	if (tm_null(m, *p, p))
		return 1;
	while (e < m->n && t[e] >= '0' && t[e] <= '9')
		e++;
	/* 18 digits always fit; a longer one the tree path reads */
	if (e == d || e - d > 18 || (t[d] == '0' && e - d > 1) ||
	    (e < m->n && (t[e] == '.' || t[e] == 'e' || t[e] == 'E')))
		return 0;
	for (size_t i = d; i < e; i++)
		x = x * 10 + (t[i] - '0');
	m->generation = d > *p ? -x : x;
	*p = e;
	return 1;
}

static int tm_metadata(text_meta *m, size_t *p)
{
	hot_src *h = &m->h;
	size_t ke;
	int more, rc;

	if (tm_null(m, *p, p))
		return 1;
	for (more = tm_open(m, p); more == 1; more = tm_after(m, p, '}')) {
		size_t k = *p;
		const char *t = m->t, **s = NULL;
		if (!tm_member(m, p, &ke))
			return 0;
		if (tm_is(m, k, ke, "name")) s = &h->name;
		else if (tm_is(m, k, ke, "generateName")) s = &h->generate_name;
		else if (tm_is(m, k, ke, "namespace")) s = &h->namespace_;
		else if (tm_is(m, k, ke, "uid")) s = &h->uid;
		else if (tm_is(m, k, ke, "resourceVersion")) s = &h->resource_version;
		else if (tm_is(m, k, ke, "creationTimestamp")) s = &h->creation_timestamp;
		else if (tm_is(m, k, ke, "deletionTimestamp")) s = &h->deletion_timestamp;
		if (s)
			rc = tm_str(m, *p, p, s);
		else if (tm_is(m, k, ke, "generation"))
			rc = tm_generation(m, p);
		else if (tm_is(m, k, ke, "labels"))
			rc = tm_string_map(m, p, 1);
		else if (tm_is(m, k, ke, "annotations"))
			rc = tm_string_map(m, p, 0);
		else if (tm_is(m, k, ke, "ownerReferences"))
			rc = tm_owners(m, p);
		else if (tm_is(m, k, ke, "finalizers"))
			rc = tm_finalizers(m, p);
		else
			rc = (*p = kube__json_text_skip(t, m->n, *p)) < m->n;
		if (rc != 1)
			return rc;
	}
	return more == 0;
}

/* 1: *out made; 0: not sure (nothing raised); < 0: an error (raised). */
static int from_text_direct(kube_object **out, char *text, size_t len, size_t meta_end)
{
	char stack[TM_STACK];
	text_meta m;
	size_t p = 0, ke, api = SIZE_MAX, kind = SIZE_MAX, md = SIZE_MAX, node = SIZE_MAX, need = 8;
	kube_object *o = NULL;
	int more, rc = 0;

	memset(&m.h, 0, sizeof(m.h));
	m.t = text;
	m.n = len;
	m.labels = NULL;
	m.generation = 0;
	/* where the members are, and room for every string in them */
	for (more = tm_open(&m, &p); more == 1; more = tm_after(&m, &p, '}')) {
		size_t k = p, v, e;
		if (!tm_member(&m, &p, &ke))
			return 0;
		v = p;
		e = p = kube__json_text_skip(text, len, v);
		if (tm_is(&m, k, ke, "apiVersion"))
			api = v;
		else if (tm_is(&m, k, ke, "kind"))
			kind = v;
		else if (tm_is(&m, k, ke, "metadata"))
			md = v;
		else if (tm_is(&m, k, ke, "spec") &&
		         (node = kube__json_text_member(text, len, v, "nodeName")) != SIZE_MAX)
			e = kube__json_text_skip(text, len, node), v = node;
		else
			continue;
		need += e - v;
	}
	if (more != 0 || p != len)
		return 0;
	m.len = 0;
	m.cap = need;
	if (!(m.s = need <= sizeof(stack) ? stack : kube_malloc(need)))
		return kube__error_oom();
	if ((rc = kube_labels_new(&m.labels)) != 0)
		goto done;
	if ((api != SIZE_MAX && !tm_str(&m, api, &p, &m.h.api_version)) ||
	    (kind != SIZE_MAX && !tm_str(&m, kind, &p, &m.h.kind)))
		goto done;
	if (md != SIZE_MAX && (rc = tm_metadata(&m, &md)) != 1)
		goto done;
	if (node != SIZE_MAX && text[node] == '"' && !(m.h.node_name = tm_string(&m, node, &p)))
		goto done;
	rc = 0;
	m.h.ann_pairs = m.ann;
	if (!(o = kube_calloc(1, sizeof(*o)))) {
		rc = kube__error_oom();
		goto done;
	}
	atomic_init(&o->refs, 1);
	atomic_init(&o->frozen, 1);
	atomic_init(&o->doc, NULL);
	if (!build_block(o, &m.h)) {
		kube_free(o);
		rc = KUBE_ENOMEM;
		goto done;
	}
	o->labels = m.labels;
	m.labels = NULL;
	o->generation = m.generation;
	o->text = text;
	o->text_len = len;
	o->meta_end = meta_end;
	*out = o;
	rc = 1;
done:
	kube_labels_free(m.labels);
	if (m.s != stack)
		kube_free(m.s);
	return rc;
}

/* kube__object_from_text through a tree of the members it reads. */
int kube__object_from_text_tree(kube_object **out, char *text, size_t len, size_t meta_end)
{
	json_object *root = json_object_new_object(), *spec = NULL;
	kube_object *o;
	size_t at;
	int rc;

	*out = NULL;
	if (!root)
		return kube__error_oom();
	/* the members a compact object keeps at hand (kube__object_compact
	 * reads them from this partial tree, then drops it for the text) */
	if ((rc = add_text_member(root, text, len, 0, "apiVersion")) != 0 ||
	    (rc = add_text_member(root, text, len, 0, "kind")) != 0 ||
	    (rc = add_text_member(root, text, len, 0, "metadata")) != 0)
		goto fail;
	if ((at = kube__json_text_member(text, len, 0, "spec")) != SIZE_MAX &&
	    kube__json_text_member(text, len, at, "nodeName") != SIZE_MAX) {
		if (!(spec = json_object_new_object()) || json_object_object_add(root, "spec", spec) != 0) {
			json_object_put(spec);
			rc = kube__error_oom();
			goto fail;
		}
		if ((rc = add_text_member(spec, text, len, at, "nodeName")) != 0)
			goto fail;
	}
	if ((rc = kube__object_adopt(&o, root)) != 0)
		return rc;   /* adopt released root */
	kube_object_freeze(o);
	if ((rc = kube__object_compact(o, text, len, meta_end)) != 0) {
		kube_object_unref(o);
		return rc;
	}
	*out = o;
	return 0;
fail:
	json_object_put(root);
	return rc;
}

int kube__object_from_text(kube_object **out, char *text, size_t len, size_t meta_end)
{
	int rc;

	*out = NULL;
	if ((rc = from_text_direct(out, text, len, meta_end)) != 0)
		return rc < 0 ? rc : 0;
	return kube__object_from_text_tree(out, text, len, meta_end);
}

void kube__object_set_source(kube_object *o, int document, int line, int column,
                             kube__posmap *pos)
{
	kube__posmap_free(o->pos);
	o->src_document = document;
	o->src_line = line;
	o->src_column = column;
	o->pos = pos;
}

int kube_object_new(kube_object **out, const char *api_version, const char *kind)
{
	json_object *root, *md;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	root = json_object_new_object();
	md = json_object_new_object();
	if (!root || !md)
		goto oom;
	if (api_version &&
	    json_object_object_add(root, "apiVersion", json_object_new_string(api_version)))
		goto oom;
	if (kind && json_object_object_add(root, "kind", json_object_new_string(kind)))
		goto oom;
	if (json_object_object_add(root, "metadata", md)) {
		md = NULL;
		goto oom;
	}
	return kube__object_adopt(out, root);
oom:
	json_object_put(md);
	json_object_put(root);
	return kube__error_oom();
}

int kube_object_from_json(kube_object **out, const char *json, size_t len)
{
	kube_decode_options opts = KUBE_DECODE_OPTIONS_INIT;
	kube__docs docs = { 0 };
	json_object *root;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(json);
	opts.format = KUBE_FORMAT_JSON;
	if ((rc = kube__json_decode(&docs, json, len, &opts)) != 0)
		return rc;
	if (docs.count != 1) {
		rc = kube__error_set(KUBE_EINVAL, NULL,
		                     "kube_object_from_json: expected one JSON object, found %zu values",
		                     docs.count);
		kube__docs_free(&docs);
		return rc;
	}
	root = docs.items[0].root;
	docs.items[0].root = NULL;
	kube__docs_free(&docs);
	if (!json_object_is_type(root, json_type_object)) {
		rc = kube__error_set(KUBE_EINVAL, NULL,
		                     "kube_object_from_json: expected a JSON object, found %s",
		                     kube__json_type_name(root));
		json_object_put(root);
		return rc;
	}
	return kube__object_adopt(out, root);
}

kube_object *kube_object_ref(kube_object *o)
{
	if (!o)
		return NULL;
	atomic_store_explicit(&o->frozen, 1, memory_order_release);
	atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
	return o;
}

kube_object *kube_object_unref(kube_object *o)
{
	if (!o)
		return NULL;
	if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1)
		return NULL;
	kube_labels_free(o->labels);
	if (o->block) {
		kube_free(o->block);   /* owners and finalizers live in it */
		kube_free(o->text);
	} else {
		kube_free(o->owners);
		kube_free(o->finalizers);
	}
	kube__posmap_free(o->pos);
	json_object_put(atomic_load_explicit(&o->doc, memory_order_acquire));
	for (kept_string *k = atomic_load_explicit(&o->kept, memory_order_acquire), *next; k;
	     k = next) {
		next = k->next;
		kube_free(k);
	}
	kube_free(o);
	return NULL;
}

void kube_object_freeze(kube_object *o)
{
	if (o)
		atomic_store_explicit(&o->frozen, 1, memory_order_release);
}

int kube_object_is_frozen(const kube_object *o)
{
	return o ? atomic_load_explicit(&((kube_object *)o)->frozen, memory_order_acquire) : 0;
}

int kube_object_mutable(kube_object **out, const kube_object *o)
{
	json_object *copy = NULL, *doc;
	int owned;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(o);
	/* a compact object's fresh parse is already a private copy */
	if (!(doc = kube__object_doc_transient(o, &owned)))
		return KUBE_ENOMEM;
	if (owned)
		copy = doc;
	else if (json_object_deep_copy(doc, &copy, NULL) != 0 || !copy)
		return kube__error_oom();
	return kube__object_adopt(out, copy);
}

/* ---- hot metadata ---- */

const char *kube_object_api_version(const kube_object *o) { return o ? o->api_version : NULL; }
const char *kube_object_kind(const kube_object *o) { return o ? o->kind : NULL; }
const char *kube_object_namespace(const kube_object *o) { return o ? o->namespace_ : NULL; }
const char *kube_object_name(const kube_object *o) { return o ? o->name : NULL; }
const char *kube_object_generate_name(const kube_object *o) { return o ? o->generate_name : NULL; }
const char *kube_object_uid(const kube_object *o) { return o ? o->uid : NULL; }
const char *kube_object_resource_version(const kube_object *o) { return o ? o->resource_version : NULL; }
int64_t kube_object_generation(const kube_object *o) { return o ? o->generation : 0; }
const char *kube_object_creation_timestamp(const kube_object *o) { return o ? o->creation_timestamp : NULL; }
const char *kube_object_deletion_timestamp(const kube_object *o) { return o ? o->deletion_timestamp : NULL; }
const kube_labels *kube_object_labels(const kube_object *o) { return o ? o->labels : NULL; }

const char *kube_object_annotation(const kube_object *o, const char *key)
{
	json_object *v;
	if (!o || !key)
		return NULL;
	for (size_t i = 0; i < o->nann; i++)
		if (strcmp(o->ann[2 * i], key) == 0)
			return o->ann[2 * i + 1];
	if (!o->annotations)
		return NULL;
	if (!json_object_object_get_ex(o->annotations, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

size_t kube_object_annotation_count(const kube_object *o)
{
	if (o && o->block)
		return o->nann;
	return o && o->annotations ? (size_t)json_object_object_length(o->annotations) : 0;
}

size_t kube_object_owner_ref_count(const kube_object *o)
{
	return o ? o->nowners : 0;
}

int kube_object_owner_ref(const kube_object *o, size_t i, kube_owner_ref *out)
{
	KUBE_CHECK_ARG(o);
	KUBE_CHECK_ARG(out);
	if (i >= o->nowners)
		return kube__error_set(KUBE_ENOTFOUND, "metadata.ownerReferences",
		                       "owner reference %zu of %zu does not exist", i, o->nowners);
	*out = o->owners[i];
	return 0;
}

int kube_object_controller_ref(const kube_object *o, kube_owner_ref *out)
{
	KUBE_CHECK_ARG(o);
	KUBE_CHECK_ARG(out);
	for (size_t i = 0; i < o->nowners; i++) {
		if (o->owners[i].controller) {
			*out = o->owners[i];
			return 0;
		}
	}
	return kube__error_set(KUBE_ENOTFOUND, "metadata.ownerReferences",
	                       "no owner reference has controller: true");
}

size_t kube_object_finalizer_count(const kube_object *o)
{
	return o ? o->nfinalizers : 0;
}

const char *kube_object_finalizer(const kube_object *o, size_t i)
{
	return o && i < o->nfinalizers ? o->finalizers[i] : NULL;
}

int kube_object_has_finalizer(const kube_object *o, const char *finalizer)
{
	if (!o || !finalizer)
		return 0;
	for (size_t i = 0; i < o->nfinalizers; i++)
		if (strcmp(o->finalizers[i], finalizer) == 0)
			return 1;
	return 0;
}

/* ---- getters ---- */

/*
 * A compact object without its tree answers from its text.  Building the
 * tree would keep it on the object for as long as the object lives, ~15
 * times its text: a controller reading two fields of every pod version it
 * is shown would so keep a tree of each, which is most of the memory of a
 * store with watchers.  What a getter hands out borrowed (a string, a map
 * key) is decoded once and kept on the object (kept_string), found again
 * by where it is in the text, so repeated reads return the same pointer
 * (until something builds the tree: the getters then answer from it, and
 * both pointers stay valid while the object lives) and the list grows
 * only with the distinct values read.  The answers and
 * errors are the tree's, word for word (fuzz_object_get compares them):
 * the text is this library's encoding of that tree.  The tree still
 * answers a path that ends at the root or at metadata itself, and
 * metadata.resourceVersion, which the text leaves out.
 */
enum { AT_TREE = 1 };   /* text_lookup: the tree must answer */

static enum json_type text_type(const char *t, size_t n, size_t v)
{
	int64_t i;

	switch (t[v]) {
	case '"': return json_type_string;
	case '{': return json_type_object;
	case '[': return json_type_array;
	case 't':
	case 'f': return json_type_boolean;
	case 'n': return json_type_null;
	default:
		return kube__json_text_int(t, v, kube__json_text_skip(t, n, v), &i) ? json_type_int
		                                                                     : json_type_double;
	}
}

/* The offset of element i of the array at t[p], or SIZE_MAX. */
static size_t text_element(const char *t, size_t n, size_t p, size_t i)
{
	if (++p >= n || t[p] == ']')
		return SIZE_MAX;
	for (;;) {
		if (i-- == 0)
			return p;
		p = kube__json_text_skip(t, n, p);
		if (p >= n || t[p] != ',')
			return SIZE_MAX;
		p++;
	}
}

/* The members of the map or the elements of the array at t[p]; with key
 * set, *key the offset of member i's key (SIZE_MAX when there are fewer). */
static size_t text_count(const char *t, size_t n, size_t p, size_t i, size_t *key)
{
	size_t count = 0;
	int map = t[p] == '{';

	if (key)
		*key = SIZE_MAX;
	if (++p >= n || t[p] == ']' || t[p] == '}')
		return 0;
	for (;;) {
		if (key && count == i)
			*key = p;
		count++;
		if (map)
			p = kube__json_text_skip(t, n, p) + 1;   /* the key and ':' */
		p = kube__json_text_skip(t, n, p);
		if (p >= n || t[p] != ',')
			return count;
		p++;
	}
}

/*
 * The offset of path's value in o's text (a JSON null's too), AT_TREE, or
 * kube__json_path_get's errors in its words (KUBE_ENOTFOUND not raised).
 */
static int text_lookup(const kube_object *o, const char *path, size_t *at)
{
	kube__path_cursor c = KUBE__PATH_CURSOR(path);
	kube__path_step step;
	const char *t = o->text;
	size_t n = o->text_len, cur = 0;
	int rc, depth = 0, in_meta = 0;

	while ((rc = kube__path_next(&c, &step)) == 1) {
		if (depth == 0)
			in_meta = !step.is_index && strcmp(step.key, "metadata") == 0;
		else if (depth == 1 && in_meta && !step.is_index && strcmp(step.key, "resourceVersion") == 0)
			return AT_TREE;
		depth++;
		if (t[cur] == 'n')
			goto notfound;   /* null: nothing under it */
		if (step.is_index && t[cur] != '{') {
			if (t[cur] != '[')
				return kube__path_cannot_index(path, kube__json_type_word(text_type(t, n, cur)),
				                               step.index);
			if ((cur = text_element(t, n, cur, step.index)) == SIZE_MAX)
				goto notfound;
		} else {
			if (t[cur] != '{')
				return kube__path_cannot_look_up(path, step.key,
				                                 kube__json_type_word(text_type(t, n, cur)));
			if ((cur = kube__json_text_member_n(t, n, cur, step.key, strlen(step.key))) ==
			    SIZE_MAX)
				goto notfound;
		}
	}
	if (rc < 0)
		return rc;
	if (depth == 0 || (depth == 1 && in_meta))
		return AT_TREE;
	*at = cur;
	return 0;
notfound:
	return kube__path_not_found(&c);
}

/*
 * The value at path: at offset *at of the text of a compact object
 * without a tree, else (*at = SIZE_MAX) the node *v of its tree, NULL
 * for JSON null.  Not found is raised as "<path>: not found".
 */
static int locate(const kube_object *o, const char *path, json_object **v, size_t *at)
{
	json_object *doc;
	int rc;

	KUBE_CHECK_ARG(o);
	KUBE_CHECK_ARG(path);
	*at = SIZE_MAX;
	*v = NULL;
	if (o->text && !kube__object_has_tree(o)) {
		if ((rc = text_lookup(o, path, at)) != AT_TREE)
			goto out;
		*at = SIZE_MAX;
	}
	if (!(doc = kube__object_doc(o)))
		return KUBE_ENOMEM;
	rc = kube__json_path_get(doc, path, v, NULL);
out:
	if (rc == KUBE_ENOTFOUND)
		return kube__error_set(KUBE_ENOTFOUND, path, "%s: not found", path);
	return rc;
}

/* The json-c type of what locate found. */
static enum json_type located_type(const kube_object *o, json_object *v, size_t at)
{
	return at != SIZE_MAX ? text_type(o->text, o->text_len, at) : json_object_get_type(v);
}

/* The string at t[p] (a value or a key), kept on o; NULL on ENOMEM (raised). */
static const char *keep_string(const kube_object *o, size_t p)
{
	kube_object *w = (kube_object *)o;
	kept_string *head = atomic_load_explicit(&w->kept, memory_order_acquire), *k, *x;
	kube__buf b = KUBE__BUF_INIT;

	for (k = head; k; k = k->next)
		if (k->off == p)
			return k->s;
	if (kube__json_text_string(o->text, o->text_len, p, &b) != 0 || b.failed ||
	    !(k = kube_malloc(sizeof(*k) + b.len + 1))) {
		kube__buf_free(&b);
		kube__error_oom();
		return NULL;
	}
	k->off = p;
	if (b.len)
		memcpy(k->s, b.data, b.len);
	k->s[b.len] = '\0';
	kube__buf_free(&b);
	for (;;) {
		k->next = head;
		if (atomic_compare_exchange_weak_explicit(&w->kept, &head, k, memory_order_acq_rel,
		                                          memory_order_acquire))
			return k->s;
		/* another thread kept some: this one too, perhaps */
		for (x = head; x && x != k->next; x = x->next)
			if (x->off == p) {
				kube_free(k);
				return x->s;
			}
	}
}

int kube_object_get_type(const kube_object *o, const char *path, kube_value_type *out)
{
	json_object *v;
	size_t at;
	int rc;

	KUBE_CHECK_ARG(out);
	if ((rc = locate(o, path, &v, &at)) != 0)
		return rc;
	switch (located_type(o, v, at)) {
	case json_type_null:    *out = KUBE_VALUE_NULL; break;
	case json_type_boolean: *out = KUBE_VALUE_BOOL; break;
	case json_type_int:     *out = KUBE_VALUE_INT; break;
	case json_type_double:  *out = KUBE_VALUE_NUMBER; break;
	case json_type_string:  *out = KUBE_VALUE_STRING; break;
	case json_type_array:   *out = KUBE_VALUE_ARRAY; break;
	case json_type_object:  *out = KUBE_VALUE_MAP; break;
	}
	return 0;
}

/* The value at path, not null (that is "<path>: is null", not found). */
static int lookup(const kube_object *o, const char *path, json_object **v, size_t *at)
{
	int rc = locate(o, path, v, at);

	if (rc == 0 && located_type(o, *v, *at) == json_type_null)
		return kube__error_set(KUBE_ENOTFOUND, path, "%s: is null", path);
	return rc;
}

/* The value at path, which must have json-c type `type` (`want` names it). */
static int lookup_typed(const kube_object *o, const char *path, enum json_type type,
                        const char *want, json_object **v, size_t *at)
{
	int rc = lookup(o, path, v, at);
	enum json_type found;

	if (rc == 0 && (found = located_type(o, *v, *at)) != type)
		rc = kube__error_set(KUBE_EINVAL, path, "%s: expected %s, found %s", path, want,
		                     kube__json_type_word(found));
	return rc;
}

int kube_object_get_string(const kube_object *o, const char *path, const char **out)
{
	json_object *v;
	size_t at;
	int rc;

	KUBE_CHECK_ARG(out);
	if ((rc = lookup_typed(o, path, json_type_string, "a string", &v, &at)) != 0)
		return rc;
	if (at == SIZE_MAX)
		*out = json_object_get_string(v);
	else if (!(*out = keep_string(o, at)))
		return KUBE_ENOMEM;
	return 0;
}

int kube_object_get_int(const kube_object *o, const char *path, int64_t *out)
{
	json_object *v;
	size_t at;
	int rc;

	KUBE_CHECK_ARG(out);
	if ((rc = lookup_typed(o, path, json_type_int, "an integer", &v, &at)) != 0)
		return rc;
	if (at != SIZE_MAX) {
		/* text_type said it fits */
		kube__json_text_int(o->text, at, kube__json_text_skip(o->text, o->text_len, at), out);
		return 0;
	}
	/* json-c keeps integers above INT64_MAX as uint64; they do not fit */
	if (json_object_get_int64(v) == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
		return kube__error_set(KUBE_ERANGE, path, "%s: %s does not fit in int64",
		                       path, json_object_to_json_string(v));
	*out = json_object_get_int64(v);
	return 0;
}

int kube_object_get_bool(const kube_object *o, const char *path, int *out)
{
	json_object *v;
	size_t at;
	int rc;

	KUBE_CHECK_ARG(out);
	if ((rc = lookup_typed(o, path, json_type_boolean, "a boolean", &v, &at)) != 0)
		return rc;
	*out = at != SIZE_MAX ? o->text[at] == 't' : json_object_get_boolean(v) ? 1 : 0;
	return 0;
}

int kube_object_get_len(const kube_object *o, const char *path, size_t *out)
{
	json_object *v;
	enum json_type type;
	size_t at;
	int rc;

	KUBE_CHECK_ARG(out);
	if ((rc = lookup(o, path, &v, &at)) != 0)
		return rc;
	type = located_type(o, v, at);
	if (type != json_type_array && type != json_type_object)
		return kube__error_set(KUBE_EINVAL, path, "%s: expected an array or a map, found %s",
		                       path, kube__json_type_word(type));
	if (at != SIZE_MAX)
		*out = text_count(o->text, o->text_len, at, 0, NULL);
	else if (type == json_type_array)
		*out = json_object_array_length(v);
	else
		*out = (size_t)json_object_object_length(v);
	return 0;
}

int kube_object_get_key(const kube_object *o, const char *path, size_t i, const char **out)
{
	json_object *v;
	size_t n = 0, at, key;
	int rc;

	KUBE_CHECK_ARG(out);
	if ((rc = lookup_typed(o, path, json_type_object, "a map", &v, &at)) != 0)
		return rc;
	if (at != SIZE_MAX) {
		n = text_count(o->text, o->text_len, at, i, &key);
		if (key != SIZE_MAX)
			return (*out = keep_string(o, key)) ? 0 : KUBE_ENOMEM;
		return kube__error_set(KUBE_ENOTFOUND, path, "%s: key %zu of %zu does not exist", path,
		                       i, n);
	}
	json_object_object_foreach(v, k, val) {
		(void)val;
		if (n++ == i) {
			*out = k;
			return 0;
		}
	}
	return kube__error_set(KUBE_ENOTFOUND, path, "%s: key %zu of %zu does not exist", path, i, n);
}

int kube_object_get_json(const kube_object *o, const char *path, char **out)
{
	json_object *v;
	kube__buf b = KUBE__BUF_INIT;
	size_t at;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	if ((rc = locate(o, path, &v, &at)) != 0)
		return rc;
	if (at != SIZE_MAX)   /* the encoder's bytes for that value */
		rc = kube__buf_put(&b, o->text + at,
		                   kube__json_text_skip(o->text, o->text_len, at) - at);
	else
		rc = kube__json_encode(&b, v, 0);
	if (rc != 0) {
		kube__buf_free(&b);
		return rc;
	}
	*out = kube__buf_detach(&b, NULL);
	return *out ? 0 : kube__error_oom();
}

/* ---- setters ---- */

static int touches_meta(const char *path)
{
	size_t n = strcspn(path, ".[");
	return (n == 8 && memcmp(path, "metadata", 8) == 0) ||
	       (n == 10 && memcmp(path, "apiVersion", 10) == 0) ||
	       (n == 4 && memcmp(path, "kind", 4) == 0) || n == 0;
}

/*
 * Walks to the parent of the last step, creating maps (or an array when the
 * next step is an index) on the way, then stores or removes there.  `value`
 * is consumed in every case.  remove != 0 removes instead of storing.
 */
static int store_at(json_object *root, const char *path, json_object *value, int remove)
{
	kube__path_cursor c = KUBE__PATH_CURSOR(path);
	kube__path_step step, next;
	json_object *cur = root;
	int rc;

	rc = kube__path_next(&c, &step);
	if (rc <= 0) {
		json_object_put(value);
		return rc < 0 ? rc : kube__error_set(KUBE_EINVAL, path,
		                                    "cannot replace the root of an object");
	}
	for (;;) {
		rc = kube__path_next(&c, &next);
		if (rc < 0) {
			json_object_put(value);
			return rc;
		}
		if (rc == 0)
			break;
		/* descend through `step`, creating what is missing */
		json_object *child = NULL;
		if (step.is_index && json_object_is_type(cur, json_type_object))
			step.is_index = 0;
		if (step.is_index) {
			size_t len;
			if (!json_object_is_type(cur, json_type_array))
				goto badtype;
			len = json_object_array_length(cur);
			if (step.index < len) {
				child = json_object_array_get_idx(cur, step.index);
			} else if (step.index == len && !remove) {
				/* appending a new element on the way down */
				child = next.is_index ? json_object_new_array() : json_object_new_object();
				if (!child || json_object_array_add(cur, child)) {
					json_object_put(child);
					json_object_put(value);
					return kube__error_oom();
				}
			} else {
				goto missing;
			}
		} else {
			if (!json_object_is_type(cur, json_type_object))
				goto badtype;
			if (!json_object_object_get_ex(cur, step.key, &child) || child == NULL) {
				if (remove)
					goto missing;
				child = next.is_index ? json_object_new_array() : json_object_new_object();
				if (!child || json_object_object_add(cur, step.key, child)) {
					json_object_put(value);
					return kube__error_oom();
				}
			}
		}
		if (child == NULL)
			goto missing;
		cur = child;
		step = next;
	}

	if (step.is_index && json_object_is_type(cur, json_type_object))
		step.is_index = 0;
	if (step.is_index) {
		size_t len;
		if (!json_object_is_type(cur, json_type_array))
			goto badtype;
		len = json_object_array_length(cur);
		if (remove) {
			if (step.index >= len)
				goto missing;
			json_object_array_del_idx(cur, step.index, 1);
			return 0;
		}
		if (step.index > len) {
			json_object_put(value);
			return kube__error_set(KUBE_EINVAL, path,
			                       "%s: index %zu is past the end of an array of %zu",
			                       path, step.index, len);
		}
		if (step.index == len ? json_object_array_add(cur, value)
		                      : json_object_array_put_idx(cur, step.index, value))
			return kube__error_oom();
		return 0;
	}
	if (!json_object_is_type(cur, json_type_object))
		goto badtype;
	if (remove) {
		if (!json_object_object_get_ex(cur, step.key, NULL))
			goto missing;
		json_object_object_del(cur, step.key);
		return 0;
	}
	if (json_object_object_add(cur, step.key, value))
		return kube__error_oom();
	return 0;

missing:
	json_object_put(value);
	return kube__error_set(KUBE_ENOTFOUND, path, "%s: not found", path);
badtype:
	json_object_put(value);
	return kube__error_set(KUBE_EINVAL, path, "%s: %s cannot hold \"%s\"",
	                       path, kube__json_type_name(cur),
	                       step.is_index ? "[index]" : step.key);
}

enum { SET_VALUE = 0, SET_REMOVE = 1, SET_NULL = 2 };

static int set_value(kube_object *o, const char *path, json_object *value, int mode)
{
	int remove = mode == SET_REMOVE;
	json_object *saved = NULL, *top = NULL;
	char topkey[16];
	json_object *doc;
	int meta_change, rc;
	meta m;

	if (!o || !path) {
		json_object_put(value);
		return kube__error_set(KUBE_EINVAL, NULL, "object and path are required");
	}
	if (kube_object_is_frozen(o)) {
		json_object_put(value);
		return kube__error_set(KUBE_EINVAL, path,
		                       "%s: object is immutable (it is shared); "
		                       "change a copy from kube_object_mutable()", path);
	}
	if (mode == SET_VALUE && !value)
		return kube__error_oom();
	doc = atomic_load_explicit(&o->doc, memory_order_relaxed);   /* mutable: always there */

	meta_change = touches_meta(path);
	if (meta_change) {
		/* keep a copy of what may break, so a bad change can be undone */
		size_t n = strcspn(path, ".[");
		if (n == 0 || n >= sizeof(topkey)) {
			json_object_put(value);
			return kube__error_set(KUBE_EINVAL, path, "path \"%s\": empty key", path);
		}
		memcpy(topkey, path, n);
		topkey[n] = '\0';
		if (json_object_object_get_ex(doc, topkey, &top) && top &&
		    json_object_deep_copy(top, &saved, NULL) != 0) {
			json_object_put(value);
			return kube__error_oom();
		}
	}
	rc = store_at(doc, path, value, remove);
	if (rc == 0 && meta_change) {
		rc = parse_meta(&m, doc);
		if (rc == 0) {
			meta_install(o, &m);
		} else {
			/* undo: put the saved member back (or drop the new one) */
			if (saved) {
				json_object_object_add(doc, topkey, saved);
				saved = NULL;
			} else {
				json_object_object_del(doc, topkey);
			}
			meta m2;
			if (parse_meta(&m2, doc) == 0)
				meta_install(o, &m2);
		}
	}
	json_object_put(saved);
	return rc;
}

int kube_object_set_string(kube_object *o, const char *path, const char *value)
{
	if (!value)
		return kube__error_set(KUBE_EINVAL, path, "kube_object_set_string: value is NULL");
	return set_value(o, path, json_object_new_string(value), 0);
}

int kube_object_set_int(kube_object *o, const char *path, int64_t value)
{
	return set_value(o, path, json_object_new_int64(value), 0);
}

int kube_object_set_bool(kube_object *o, const char *path, int value)
{
	return set_value(o, path, json_object_new_boolean(value ? 1 : 0), 0);
}

int kube_object_set_null(kube_object *o, const char *path)
{
	return set_value(o, path, NULL, SET_NULL);
}

int kube_object_set_json(kube_object *o, const char *path, const char *json)
{
	kube_decode_options opts = KUBE_DECODE_OPTIONS_INIT;
	kube__docs docs = { 0 };
	json_object *v;
	int rc;

	if (!json)
		return kube__error_set(KUBE_EINVAL, path, "kube_object_set_json: json is NULL");
	opts.format = KUBE_FORMAT_JSON;
	if ((rc = kube__json_decode(&docs, json, strlen(json), &opts)) != 0)
		return rc;
	if (docs.count != 1) {
		kube__docs_free(&docs);
		return kube__error_set(KUBE_EINVAL, path,
		                       "kube_object_set_json: expected one JSON value");
	}
	v = docs.items[0].root;
	docs.items[0].root = NULL;
	kube__docs_free(&docs);
	return set_value(o, path, v, v ? SET_VALUE : SET_NULL);
}

int kube_object_remove(kube_object *o, const char *path)
{
	return set_value(o, path, NULL, SET_REMOVE);
}

static int set_map_entry(kube_object *o, const char *map, const char *key, const char *value)
{
	char path[1400];
	kube__buf esc = KUBE__BUF_INIT;
	int rc;

	for (const char *p = key; *p; p++) {
		if (*p == '"' || *p == '\\')
			kube__buf_putc(&esc, '\\');
		kube__buf_putc(&esc, *p);
	}
	if (esc.failed)
		return kube__error_oom();
	if ((size_t)snprintf(path, sizeof(path), "metadata.%s[\"%s\"]", map,
	                     esc.data ? esc.data : "") >= sizeof(path)) {
		kube__buf_free(&esc);
		return kube__error_set(KUBE_EINVAL, NULL, "metadata.%s: key too long", map);
	}
	kube__buf_free(&esc);
	if (value)
		return kube_object_set_string(o, path, value);
	rc = kube_object_remove(o, path);
	return rc == KUBE_ENOTFOUND ? 0 : rc;
}

/* upstream's ValidateLabels form: metadata.labels: Invalid value: "<key or value>": <why> */
static int invalid_label(const char *field, const char *value, kube__buf *msg)
{
	int rc = msg->failed ? kube__error_oom()
	                     : kube__error_set(KUBE_EINVAL, field, "%s: Invalid value: \"%s\": %s",
	                                       field, value, msg->data ? msg->data : "");
	kube__buf_free(msg);
	return rc;
}

int kube_object_set_label(kube_object *o, const char *key, const char *value)
{
	kube__buf msg = KUBE__BUF_INIT;

	KUBE_CHECK_ARG(o);
	KUBE_CHECK_ARG(key);
	if (kube__check_qualified_name(key, strlen(key), &msg))
		return invalid_label("metadata.labels", key, &msg);
	if (value && kube__check_label_value(value, strlen(value), &msg))
		return invalid_label("metadata.labels", value, &msg);
	return set_map_entry(o, "labels", key, value);
}

int kube_object_set_annotation(kube_object *o, const char *key, const char *value)
{
	kube__buf msg = KUBE__BUF_INIT;

	KUBE_CHECK_ARG(o);
	KUBE_CHECK_ARG(key);
	if (kube__check_qualified_name(key, strlen(key), &msg))
		return invalid_label("metadata.annotations", key, &msg);
	return set_map_entry(o, "annotations", key, value);
}

/* ---- source positions ---- */

int kube_object_source(const kube_object *o, const char *path,
                       int *document, int *line, int *column)
{
	json_object *node = NULL, *deepest = NULL;
	int l = 0, c = 0;

	KUBE_CHECK_ARG(o);
	KUBE_CHECK_ARG(path);
	if (o->src_document == 0)
		return kube__error_set(KUBE_ENOTFOUND, path,
		                       "the object was not decoded from text");
	if (o->pos) {
		int rc = kube__json_path_get(kube__object_doc(o), path, &node, &deepest);
		if (rc == KUBE_EINVAL)
			return rc;
		if (rc != 0 || node == NULL)
			node = deepest;
		if (node && kube__posmap_lookup(o->pos, node, &l, &c) != 0)
			l = c = 0;
	}
	if (l == 0) {
		l = o->src_line;
		c = o->src_column;
	}
	if (document)
		*document = o->src_document;
	if (line)
		*line = l;
	if (column)
		*column = c;
	return 0;
}
