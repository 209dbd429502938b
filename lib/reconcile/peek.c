/*
 * peek.c - reading a few fields of a stored object without its tree.
 *
 * A store keeps its objects compact (object.c): their JSON text and the hot
 * metadata, no json-c tree.  kube_object_get_string() and its siblings read
 * that text too, but keep each string they hand out on the object for the
 * object's life.  These readers find the field in the text and copy a
 * string into the caller's scratch buffer instead, keeping nothing: for a
 * watcher that looks at a field of every pod version it is shown (the
 * scheduler's runner, the ReplicaSet controller counting ready pods).  A
 * mutable object is read from its tree, so both forms answer alike (a
 * compact object is frozen: its text and any tree built from it say the
 * same):
 *
 *   {"apiVersion":"v1",...,"status":{"phase":"Running","conditions":[{...
 *                           ^ member "status"  ^ member "phase": the string
 *
 * Paths are map members only ("status.phase"); arrays are walked by the
 * one reader that needs them (conditions).  Nothing is raised: a missing
 * field, a field of another type and running out of memory all read as
 * absent, which is what the callers did with kube_object_get_string's
 * error anyway.  They live here, beside the reconciler that needs them
 * most, until the object layer takes them over (object_private.h).
 */
#include <json-c/json.h>
#include <stdint.h>
#include <string.h>

#include "object/object_private.h"

/*
 * Scanning the text: the object layer's kube__json_text_* readers (which
 * find a string's end with memchr: strings are most of a pod's text).  The
 * text is what the encoder wrote: valid, compact JSON; whitespace is
 * skipped anyway.
 */
/* The offset of the value at path in a compact text, or SIZE_MAX. */
static size_t text_at(const char *t, size_t n, const char *path)
{
	size_t p = 0;

	while (p != SIZE_MAX) {
		const char *dot = strchr(path, '.');
		size_t klen = dot ? (size_t)(dot - path) : strlen(path);
		p = kube__json_text_member_n(t, n, p, path, klen);
		if (!dot)
			return p;
		path = dot + 1;
	}
	return SIZE_MAX;
}

/* The node at path in a tree, or NULL (absent, or JSON null). */
static json_object *tree_at(json_object *doc, const char *path)
{
	json_object *v = doc;
	char key[128];

	for (;;) {
		const char *dot = strchr(path, '.');
		size_t klen = dot ? (size_t)(dot - path) : strlen(path);
		if (klen >= sizeof(key) || !json_object_is_type(v, json_type_object))
			return NULL;
		memcpy(key, path, klen);
		key[klen] = '\0';
		if (!json_object_object_get_ex(v, key, &v))
			return NULL;
		if (!dot)
			return v;
		path = dot + 1;
	}
}

/* A compact object's text (its tree, if somebody built it, says the
 * same: the object is frozen), else the tree a mutable object always has. */
static json_object *tree_of(const kube_object *o, const char **text, size_t *len)
{
	*text = kube__object_text(o, len);
	return *text ? NULL : kube__object_doc(o);
}

int kube__object_peek_string(const kube_object *o, const char *path, kube__buf *scratch,
                             const char **out)
{
	const char *t;
	size_t n, v;
	json_object *doc = tree_of(o, &t, &n), *x;

	*out = NULL;
	if (doc) {
		x = tree_at(doc, path);
		if (!json_object_is_type(x, json_type_string))
			return 0;
		*out = json_object_get_string(x);
		return 1;
	}
	if (!t || (v = text_at(t, n, path)) == SIZE_MAX || t[v] != '"' ||
	    kube__json_text_string(t, n, v, scratch) != 0 || scratch->failed)
		return 0;
	if (!scratch->data && kube__buf_put(scratch, "", 0) != 0)
		return 0;
	*out = scratch->data ? scratch->data : "";
	return 1;
}

int kube__object_peek_int(const kube_object *o, const char *path, int64_t *out)
{
	const char *t;
	size_t n, v;
	json_object *doc = tree_of(o, &t, &n), *x;

	if (doc) {
		x = tree_at(doc, path);
		if (!json_object_is_type(x, json_type_int) ||
		    (json_object_get_int64(x) == INT64_MAX &&
		     json_object_get_uint64(x) > (uint64_t)INT64_MAX))
			return 0;
		*out = json_object_get_int64(x);
		return 1;
	}
	if (!t || (v = text_at(t, n, path)) == SIZE_MAX)
		return 0;
	return kube__json_text_int(t, v, kube__json_text_skip(t, n, v), out);
}

/* Copies a string member of a condition into out ("" when absent or not
 * a string). */
static void tree_member_string(json_object *c, const char *key, kube__buf *out)
{
	json_object *v = NULL;

	out->len = 0;
	if (json_object_object_get_ex(c, key, &v) && json_object_is_type(v, json_type_string))
		kube__buf_put(out, json_object_get_string(v), (size_t)json_object_get_string_len(v));
	kube__buf_put(out, "", 0);
}

int kube__object_peek_condition(const kube_object *o, const char *path, const char *type,
                                kube__buf *status, kube__buf *since)
{
	const char *t;
	size_t n, p, end;
	json_object *doc = tree_of(o, &t, &n), *arr;

	if (doc) {
		arr = tree_at(doc, path);
		if (!json_object_is_type(arr, json_type_array))
			return 0;
		for (size_t i = 0, len = json_object_array_length(arr); i < len; i++) {
			json_object *c = json_object_array_get_idx(arr, i), *ty = NULL;
			if (!json_object_is_type(c, json_type_object) ||
			    !json_object_object_get_ex(c, "type", &ty) ||
			    !json_object_is_type(ty, json_type_string) ||
			    strcmp(json_object_get_string(ty), type) != 0)
				continue;
			if (status)
				tree_member_string(c, "status", status);
			if (since)
				tree_member_string(c, "lastTransitionTime", since);
			return 1;
		}
		return 0;
	}
	if (!t || (p = text_at(t, n, path)) == SIZE_MAX ||
	    (p = kube__json_text_typed(t, n, p, type, &end)) == SIZE_MAX)
		return 0;
	if (status)
		kube__json_text_member_string(t, n, p, "status", status);
	if (since)
		kube__json_text_member_string(t, n, p, "lastTransitionTime", since);
	return 1;
}

int kube__object_peek_json(const kube_object *o, const char *path, kube__buf *out)
{
	const char *t;
	size_t n, v, e;
	json_object *doc = tree_of(o, &t, &n);

	if (doc) {
		char *js = NULL;
		int found = kube_object_get_json(o, path, &js) == 0 && js;
		if (found)
			kube__buf_puts(out, js);
		kube_free(js);
		kube_error_clear();
		return found;
	}
	if (!t || (v = text_at(t, n, path)) == SIZE_MAX)
		return 0;
	/* the text is compact JSON, as kube_encode writes it: the value's
	 * bytes are its JSON */
	e = kube__json_text_skip(t, n, v);
	kube__buf_put(out, t + v, e - v);
	return 1;
}

const char *kube__object_peek_text(const kube_object *o, const char *path, size_t *len)
{
	const char *t;
	size_t n, v;

	*len = 0;
	if (!(t = kube__object_text(o, &n)) || (v = text_at(t, n, path)) == SIZE_MAX)
		return NULL;
	*len = kube__json_text_skip(t, n, v) - v;
	return t + v;
}
