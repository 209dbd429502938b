/*
 * object.h - Kubernetes objects: refcounted, immutable once shared.
 *
 * A kube_object is a JSON document (apiVersion, kind, metadata, spec, status,
 * ...) plus its hot metadata parsed once into fields, so selectors, indexes
 * and the scheduler never walk JSON.
 *
 * Sharing and mutation (copy-on-write):
 *   - kube_object_new() and kube_object_mutable() give a private, mutable
 *     object with one reference.
 *   - The first kube_object_ref() freezes it: from then on it is shared,
 *     and every setter fails with KUBE_EINVAL ("object is immutable").  A
 *     store freezes what it publishes, so a watch event fans the same
 *     pointer out to every watcher.
 *   - A writer takes kube_object_mutable(&copy, shared), changes the copy and
 *     hands the copy back.
 * A frozen object may be read from any thread; a mutable one belongs to one.
 *
 * Paths name a value inside the document: dot-separated keys, [N] for array
 * elements and ["key"] for keys that contain dots or brackets:
 *   spec.containers[0].image
 *   metadata.annotations["example.com/owner"]
 * Strings returned as `const char *` are borrowed: they live as long as the
 * object (for a frozen object, as long as you hold a reference).
 */
#ifndef LIBKUBE_OBJECT_H
#define LIBKUBE_OBJECT_H

#include "common.h"
#include "labels.h"

KUBE_BEGIN_DECLS

typedef struct kube_object kube_object;
typedef struct kube_object_list kube_object_list;

typedef enum kube_value_type {
	KUBE_VALUE_NULL = 0,
	KUBE_VALUE_BOOL,
	KUBE_VALUE_INT,      /* an integer that fits int64 */
	KUBE_VALUE_NUMBER,   /* any other number (fraction, exponent, > int64) */
	KUBE_VALUE_STRING,
	KUBE_VALUE_ARRAY,
	KUBE_VALUE_MAP
} kube_value_type;

/* One entry of metadata.ownerReferences; strings borrowed from the object. */
typedef struct kube_owner_ref {
	const char *api_version;
	const char *kind;
	const char *name;
	const char *uid;
	int controller;            /* 1 if controller: true */
	int block_owner_deletion;  /* 1 if blockOwnerDeletion: true */
} kube_owner_ref;

/* ---- life cycle ---- */

/*
 * A new mutable object {"apiVersion": api_version, "kind": kind,
 * "metadata": {}}.  Either string may be NULL to leave it out.
 * Returns 0, KUBE_EINVAL, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_object_new(kube_object **out, const char *api_version, const char *kind);

/*
 * Parses one JSON object (a mapping) into a new mutable object.  For YAML,
 * multi-document input and positions, use kube_decode() (codec.h).
 * Returns 0, KUBE_EINVAL (with line/column), KUBE_ETOOBIG, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_object_from_json(kube_object **out, const char *json, size_t len);

/* Takes a reference and freezes the object.  Returns o (NULL stays NULL). */
KUBE_EXTERN kube_object *kube_object_ref(kube_object *o);

/* Drops a reference; frees on the last.  Always returns NULL. */
KUBE_EXTERN kube_object *kube_object_unref(kube_object *o);

/* Freezes without taking a reference. */
KUBE_EXTERN void kube_object_freeze(kube_object *o);

/* 1 if the object is frozen (shared), 0 if it may still be changed. */
KUBE_EXTERN int kube_object_is_frozen(const kube_object *o);

/*
 * A private deep copy of `o`, mutable, with one reference.  `o` may be frozen.
 * Returns 0, KUBE_EINVAL, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_object_mutable(kube_object **out, const kube_object *o);

/* ---- hot metadata (borrowed strings; NULL when absent) ---- */

KUBE_EXTERN const char *kube_object_api_version(const kube_object *o);
KUBE_EXTERN const char *kube_object_kind(const kube_object *o);
KUBE_EXTERN const char *kube_object_namespace(const kube_object *o);
KUBE_EXTERN const char *kube_object_name(const kube_object *o);
KUBE_EXTERN const char *kube_object_generate_name(const kube_object *o);
KUBE_EXTERN const char *kube_object_uid(const kube_object *o);
KUBE_EXTERN const char *kube_object_resource_version(const kube_object *o);
/* metadata.generation, 0 when absent. */
KUBE_EXTERN int64_t kube_object_generation(const kube_object *o);
/* RFC 3339 strings as stored, e.g. "2026-11-28T10:20:18Z". */
KUBE_EXTERN const char *kube_object_creation_timestamp(const kube_object *o);
KUBE_EXTERN const char *kube_object_deletion_timestamp(const kube_object *o);
/* The parsed metadata.labels (never NULL: an empty set when absent). */
KUBE_EXTERN const kube_labels *kube_object_labels(const kube_object *o);
/* metadata.annotations[key], or NULL. */
KUBE_EXTERN const char *kube_object_annotation(const kube_object *o, const char *key);
KUBE_EXTERN size_t kube_object_annotation_count(const kube_object *o);
KUBE_EXTERN size_t kube_object_owner_ref_count(const kube_object *o);
/* Fills *out for index i.  Returns 0 or KUBE_ENOTFOUND. */
KUBE_EXTERN int kube_object_owner_ref(const kube_object *o, size_t i, kube_owner_ref *out);
/* The owner reference with controller: true, or KUBE_ENOTFOUND. */
KUBE_EXTERN int kube_object_controller_ref(const kube_object *o, kube_owner_ref *out);
KUBE_EXTERN size_t kube_object_finalizer_count(const kube_object *o);
KUBE_EXTERN const char *kube_object_finalizer(const kube_object *o, size_t i);
KUBE_EXTERN int kube_object_has_finalizer(const kube_object *o, const char *finalizer);

/* ---- access by path ---- */

/*
 * Each getter returns 0, KUBE_ENOTFOUND if the path does not exist (or goes
 * through a null), or KUBE_EINVAL if the path is malformed or the value has
 * another type (the message names the path and both types).  On an object
 * a store holds, the getters read its stored JSON text: reading does not
 * expand the object into a document tree, and a string handed out is
 * decoded once and kept with the object (KUBE_ENOMEM if that fails).
 */
KUBE_EXTERN int kube_object_get_type(const kube_object *o, const char *path, kube_value_type *out);
KUBE_EXTERN int kube_object_get_string(const kube_object *o, const char *path, const char **out);
KUBE_EXTERN int kube_object_get_int(const kube_object *o, const char *path, int64_t *out);
KUBE_EXTERN int kube_object_get_bool(const kube_object *o, const char *path, int *out);
/* Number of elements of an array or entries of a map. */
KUBE_EXTERN int kube_object_get_len(const kube_object *o, const char *path, size_t *out);
/* The i-th key of a map, in document order. */
KUBE_EXTERN int kube_object_get_key(const kube_object *o, const char *path, size_t i, const char **out);
/* The value at path as compact JSON; release with kube_free(). */
KUBE_EXTERN int kube_object_get_json(const kube_object *o, const char *path, char **out);

/*
 * Setters work on mutable objects only (KUBE_EINVAL on a frozen one).  They
 * create missing maps along the path; an array index must already exist, or
 * be exactly the array's length to append.  Setting anything under metadata,
 * apiVersion or kind refreshes the parsed metadata.
 */
KUBE_EXTERN int kube_object_set_string(kube_object *o, const char *path, const char *value);
KUBE_EXTERN int kube_object_set_int(kube_object *o, const char *path, int64_t value);
KUBE_EXTERN int kube_object_set_bool(kube_object *o, const char *path, int value);
KUBE_EXTERN int kube_object_set_null(kube_object *o, const char *path);
/* Parses `json` (any JSON value) and stores it at path. */
KUBE_EXTERN int kube_object_set_json(kube_object *o, const char *path, const char *json);
/* Removes the value at path.  KUBE_ENOTFOUND if absent. */
KUBE_EXTERN int kube_object_remove(kube_object *o, const char *path);

/* Shorthands for metadata.labels[key] and metadata.annotations[key];
 * value NULL removes the entry.  Label keys and values are validated. */
KUBE_EXTERN int kube_object_set_label(kube_object *o, const char *key, const char *value);
KUBE_EXTERN int kube_object_set_annotation(kube_object *o, const char *key, const char *value);

/* ---- where a value came from (objects made by kube_decode) ---- */

/*
 * The 1-based document index and the line/column where the value at path
 * (or its nearest ancestor that has a position) starts in the decoded input.
 * KUBE_ENOTFOUND for objects that were not decoded from text.
 */
KUBE_EXTERN int kube_object_source(const kube_object *o, const char *path,
                                   int *document, int *line, int *column);

/* ---- lists ---- */

KUBE_EXTERN int kube_object_list_new(kube_object_list **out);
/* Appends a reference to o (which freezes it). */
KUBE_EXTERN int kube_object_list_append(kube_object_list *l, kube_object *o);
KUBE_EXTERN size_t kube_object_list_count(const kube_object_list *l);
/* Borrowed: valid while the list lives.  NULL past the end. */
KUBE_EXTERN kube_object *kube_object_list_get(const kube_object_list *l, size_t i);
KUBE_EXTERN void kube_object_list_free(kube_object_list *l);

KUBE_END_DECLS

#endif /* LIBKUBE_OBJECT_H */
