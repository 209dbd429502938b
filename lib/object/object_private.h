/*
 * object_private.h - internals shared by the files of the object layer
 * (object.c, codec.c, yaml.c, json.c, quantity.c, kinds.c, validation.c, ...).
 */
#ifndef LIBKUBE_OBJECT_PRIVATE_H
#define LIBKUBE_OBJECT_PRIVATE_H

#include <json-c/json.h>

#include "base/base.h"
#include "libkube/codec.h"
#include "libkube/kinds.h"
#include "libkube/object.h"
#include "libkube/quantity.h"
#include "libkube/validate.h"

/* ---- object.c ---- */

/*
 * Wraps a JSON tree into a new mutable object, taking ownership of `root`
 * (also on failure, when root is released).  root must be a JSON object.
 * Parses the hot metadata; a malformed metadata field (labels that are not
 * a map of strings, ...) fails with KUBE_EINVAL naming the field.
 */
KUBE_INTERNAL int kube__object_adopt(kube_object **out, json_object *root);

/*
 * The document tree.  Borrowed; do not change it unless the object is
 * mutable.  A compact object (below) builds it on the first call and keeps
 * it (safe from any thread: the first tree published wins); NULL only when
 * that runs out of memory.  Readers that look once should prefer
 * kube__object_doc_transient(), which leaves a compact object compact.
 */
KUBE_INTERNAL json_object *kube__object_doc(const kube_object *o);

/*
 * A tree to read once: the object's own (*owned = 0) when it has one, else
 * a fresh parse of a compact object's text (*owned = 1: release it with
 * json_object_put; it is the caller's, and may be changed).  NULL on ENOMEM
 * (raised).
 */
KUBE_INTERNAL json_object *kube__object_doc_transient(const kube_object *o, int *owned);

/*
 * Compact form, for objects a store keeps: the object (adopted, frozen,
 * with metadata.resourceVersion, if set, the last member of metadata) gives
 * up its tree and keeps `text`, its compact JSON without resourceVersion
 * (taken on success; `len` bytes plus a NUL, kept as allocated, so
 * allocate it to size), and its hot metadata in one block.  meta_end is
 * where metadata's closing brace is in text (kube__json_encode_meta).  The
 * tree comes back, identical, when someone asks for it (kube__object_doc).
 * On failure (ENOMEM) the object is unchanged and still valid, and the
 * text still the caller's.
 */
KUBE_INTERNAL int kube__object_compact(kube_object *o, char *text, size_t len, size_t meta_end);

/*
 * A compact object made from compact text alone (what
 * kube__object_compact would make of its tree; same contract for text,
 * len and meta_end): only the members the object keeps at hand are parsed
 * (apiVersion, kind, metadata, spec.nodeName).  The text must be this
 * library's encoding of a JSON map (a store's writes splice such text).
 * The object is frozen, without resourceVersion (kube__object_stamp_rv).
 * On failure the text is still the caller's.
 */
KUBE_INTERNAL int kube__object_from_text(kube_object **out, char *text, size_t len,
                                         size_t meta_end);
/* The same through a small tree of those members (what
 * kube__object_from_text falls back on for text it is not sure of; the
 * oracle of fuzz_object_text). */
KUBE_INTERNAL int kube__object_from_text_tree(kube_object **out, char *text, size_t len,
                                              size_t meta_end);

/*
 * The same, for text that is an edit of compact object `like` which kept
 * its metadata but for generation and spec.nodeName (a write through
 * /status or pods/binding): the hot metadata is copied from like instead
 * of parsed from text.  like must be compact (else this parses, as
 * kube__object_from_text).
 */
KUBE_INTERNAL int kube__object_derive(kube_object **out, const kube_object *like, char *text,
                                      size_t len, size_t meta_end, int64_t generation,
                                      const char *node_name);

/*
 * The same for the text a create stores (store/createtext.c), spliced from
 * compact object `like`, the request: its hot metadata but for what the
 * create set (name when generated, else NULL: like's; uid,
 * creationTimestamp; generation 1; no deletionTimestamp; no namespace when
 * drop_namespace).  like must be compact (else this parses the text).
 */
KUBE_INTERNAL int kube__object_derive_create(kube_object **out, const kube_object *like,
                                             char *text, size_t len, size_t meta_end,
                                             const char *name, const char *uid,
                                             const char *creation_timestamp, int drop_namespace);

/* Room a compact object keeps for its resourceVersion (an int64 in text). */
#define KUBE__RV_ROOM 24

/*
 * Sets a compact object's resourceVersion (shorter than KUBE__RV_ROOM), as
 * if it had been the last member of metadata when it was made compact: a
 * write builds its object while the backend commits and stamps it with the
 * revision after.  Only before the object is shared.  0 or KUBE_EINVAL.
 */
KUBE_INTERNAL int kube__object_stamp_rv(kube_object *o, const char *rv);

/* Whether o holds its document tree now (a compact object may not):
 * what tests check to see that a reader left a stored object compact. */
KUBE_INTERNAL int kube__object_has_tree(const kube_object *o);

/* A compact object's stored text (NULL otherwise): the JSON without
 * resourceVersion, as a backend keeps it. */
KUBE_INTERNAL const char *kube__object_text(const kube_object *o, size_t *len);

/* Appends the object as compact JSON (kube_encode's text), from the
 * compact text when there is one.  Returns 0 or an error (raised). */
KUBE_INTERNAL int kube__object_put_json(kube__buf *out, const kube_object *o);

/* spec.nodeName when it is a string, else NULL (no tree for a compact object). */
KUBE_INTERNAL const char *kube__object_node_name(const kube_object *o);

/* -- reading a stored object without its tree (reconciler/scheduler perf
 *    area; defined in lib/reconcile/peek.c, see there) --
 * The value at `path` (map members: "status.phase") from a compact
 * object's text, which stays compact, or from a mutable object's tree.
 * _string: 1 and *out (in scratch, or borrowed from the tree), 0 when
 * absent or not a string.  _int: 1 for an integer that fits int64.
 * _condition: 1 when the array at path has a map whose "type" is `type`
 * (the first one); its "status" and "lastTransitionTime" strings go to
 * status and since (optional; "" when absent).  _json: 1 and the value's
 * compact JSON appended to out.  Nothing is raised. */
KUBE_INTERNAL int kube__object_peek_string(const kube_object *o, const char *path,
                                           kube__buf *scratch, const char **out);
KUBE_INTERNAL int kube__object_peek_int(const kube_object *o, const char *path, int64_t *out);
KUBE_INTERNAL int kube__object_peek_condition(const kube_object *o, const char *path,
                                              const char *type, kube__buf *status,
                                              kube__buf *since);
KUBE_INTERNAL int kube__object_peek_json(const kube_object *o, const char *path, kube__buf *out);
/* A compact object's own bytes for the value at path (*len of them), or
 * NULL (absent, or not compact): equal bytes are equal values. */
KUBE_INTERNAL const char *kube__object_peek_text(const kube_object *o, const char *path,
                                                 size_t *len);

/* Where the object came from in a decoded stream; takes ownership of pos. */
typedef struct kube__posmap kube__posmap;
KUBE_INTERNAL void kube__object_set_source(kube_object *o, int document, int line,
                                           int column, kube__posmap *pos);

/*
 * Resolves a path against a JSON tree.  Returns 0 and the node (which may be
 * NULL for a JSON null), KUBE_ENOTFOUND, or KUBE_EINVAL for a bad path.
 * `deepest` (optional) receives the deepest node reached on the way, for
 * position lookups of missing fields.
 */
KUBE_INTERNAL int kube__json_path_get(json_object *root, const char *path,
                                      json_object **out, json_object **deepest);

/* "string", "integer", "map", ... for messages: of a node, of a type. */
KUBE_INTERNAL const char *kube__json_type_name(json_object *v);
KUBE_INTERNAL const char *kube__json_type_word(enum json_type type);

/* ---- positions (posmap.c, filled by the YAML and JSON decoders) ---- */

KUBE_INTERNAL int kube__posmap_new(kube__posmap **out);
/* Records that `node` starts at line/column (1-based). */
KUBE_INTERNAL int kube__posmap_add(kube__posmap *pm, const json_object *node, int line, int column);
/* 0 and the position, or KUBE_ENOTFOUND. */
KUBE_INTERNAL int kube__posmap_lookup(const kube__posmap *pm, const json_object *node,
                                      int *line, int *column);
KUBE_INTERNAL void kube__posmap_free(kube__posmap *pm);

/* ---- codec internals (codec.c, yaml.c, json.c) ---- */

/* One decoded document before it becomes an object. */
typedef struct kube__doc {
	json_object *root;     /* owned */
	int index;             /* 1-based document index in the stream */
	int line, column;      /* where the document starts */
	kube__posmap *pos;     /* owned; NULL unless KUBE_DECODE_POSITIONS */
} kube__doc;

typedef struct kube__docs {
	kube__doc *items;
	size_t count, cap;
} kube__docs;

KUBE_INTERNAL void kube__docs_free(kube__docs *docs);
/* Appends a document (taking root and pos); ENOMEM leaves both to the caller. */
KUBE_INTERNAL int kube__docs_push(kube__docs *docs, json_object *root, int index, int line,
                                  int col, kube__posmap *pos);
KUBE_INTERNAL int kube__yaml_decode(kube__docs *out, const char *buf, size_t len,
                                    const kube_decode_options *opts);
KUBE_INTERNAL int kube__json_decode(kube__docs *out, const char *buf, size_t len,
                                    const kube_decode_options *opts);
KUBE_INTERNAL int kube__json_encode(kube__buf *out, json_object *root, unsigned int flags);
/*
 * Reading compact JSON text (a compact object's) without a tree.  Offsets
 * index t[0..n).  _member: the offset of the value of member `key` of the
 * map at t[p], or SIZE_MAX when absent (or t[p] is not a map).  _skip: the
 * offset just past the value at t[p].  _string: the string value at t[p],
 * unescaped, into out (cleared first); KUBE_EINVAL if it is not a string.
 */
KUBE_INTERNAL size_t kube__json_text_member(const char *t, size_t n, size_t p, const char *key);
/* The same for a key of klen bytes (a segment of a dotted path). */
KUBE_INTERNAL size_t kube__json_text_member_n(const char *t, size_t n, size_t p, const char *key,
                                              size_t klen);
KUBE_INTERNAL size_t kube__json_text_skip(const char *t, size_t n, size_t p);
/* Whether the key token t[k..ke) (quotes included) is `key` written without
 * escapes: how the encoder writes a key that needs none, so enough for text
 * in its form and a key of plain characters. */
KUBE_INTERNAL int kube__json_text_key_plain(const char *t, size_t k, size_t ke, const char *key);
KUBE_INTERNAL int kube__json_text_string(const char *t, size_t n, size_t p, kube__buf *out);
/* Whether t[v..e) is an integer that fits int64 (what the decoder makes a
 * json-c int; any other number is a double), and then its value. */
KUBE_INTERNAL int kube__json_text_int(const char *t, size_t v, size_t e, int64_t *out);
/* The string member `key` of the map at t[p], unescaped into out (cleared
 * first; "" when absent or not a string), NUL-terminated either way. */
KUBE_INTERNAL void kube__json_text_member_string(const char *t, size_t n, size_t p,
                                                 const char *key, kube__buf *out);
/* In the array at t[p]: the offset of the first element whose "type"
 * member is the string `type` (a condition), and *end just past it; or
 * SIZE_MAX. */
KUBE_INTERNAL size_t kube__json_text_typed(const char *t, size_t n, size_t p, const char *type,
                                           size_t *end);
/* Appends s[0..n) as the encoder writes a string (quoted, escaped): text
 * spliced into a compact object's text reads as if encoded. */
KUBE_INTERNAL void kube__json_put_string(kube__buf *b, const char *s, size_t n);
/* Compact JSON, as kube__json_encode(out, root, 0), and *meta_end: the
 * offset of the closing brace of root's "metadata" map (SIZE_MAX if none). */
KUBE_INTERNAL int kube__json_encode_meta(kube__buf *out, json_object *root, size_t *meta_end);
KUBE_INTERNAL int kube__yaml_encode(kube__buf *out, json_object *root);

/* -- codec helpers shared by json.c and yaml.c (codec area; defined in json.c) -- */

/* Raises `code` with "document D, line L, column C: <fmt>" (parts that are
 * 0 are left out) and sets the error's position. Returns code. */
KUBE_INTERNAL int kube__codec_error(int code, int document, int line, int column,
                                    const char *fmt, ...) KUBE_PRINTF(5, 6);
/* Length (1-4) of the well-formed UTF-8 sequence at s, or 0 if it is not one. */
KUBE_INTERNAL size_t kube__utf8_len(const unsigned char *s, size_t n);
/* A number node from JSON number text: int64 when it is an integer that fits,
 * else a double that serializes as `text` itself (json_object_new_double_s),
 * so big integers and float spellings survive.  NULL on ENOMEM (not raised). */
KUBE_INTERNAL json_object *kube__number_new(const char *text, size_t len, int integer);
/* Appends the JSON text of an int or double node.  KUBE_EINVAL (raised) for
 * NaN and infinities, which JSON cannot carry. */
KUBE_INTERNAL int kube__number_text(kube__buf *out, json_object *num);
/* Longest number text the decoders accept (keeps strtod and the base
 * conversion of huge hex literals cheap). */
#define KUBE__NUMBER_MAX 4096
/* Nesting cap whatever max_depth says: the encoders and json-c recurse. */
#define KUBE__DEPTH_CAP 10000

#endif /* LIBKUBE_OBJECT_PRIVATE_H */
