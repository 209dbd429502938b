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

/* The document tree.  Borrowed; do not change it unless the object is mutable. */
KUBE_INTERNAL json_object *kube__object_doc(const kube_object *o);

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

/* "string", "integer", "map", ... for messages. */
KUBE_INTERNAL const char *kube__json_type_name(json_object *v);

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
