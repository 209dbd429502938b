/*
 * codec.h - YAML and JSON in, JSON and YAML out.
 *
 * Decoding reads a stream of documents (YAML documents separated by "---",
 * or JSON values one after another) into kube_objects.  Every document must
 * be a mapping; empty and null documents are skipped, as kubectl does.  The
 * round trip keeps every value and its type: a quoted "1" stays a string, an
 * unquoted 1 an integer, integers beyond 2^53 (and beyond 64 bits) keep all
 * their digits, floats keep their spelling (1.50 stays 1.50), and multi-line
 * strings come back as YAML block scalars.
 *
 * YAML is read as kubectl reads it (sigs.k8s.io/yaml over go-yaml v2, YAML
 * 1.1): unquoted yes/no/on/off/y/n are booleans, 0x1F, 0o17, 017 and 1_000
 * are integers, keys are turned into strings (1: -> "1", yes: -> "true"),
 * merge keys (<<) are supported, timestamps stay strings.  Stricter than
 * kubectl's client side, like its server: a key defined twice in one mapping
 * (YAML or JSON) is an error, and so are .inf and .nan, which JSON cannot
 * hold.  lib/object/yaml.c has the full table.
 *
 * Errors name where: kube_error_last() carries the 1-based document index
 * (counting empty documents too), line and column (in characters), and the
 * message repeats them: "document 2, line 7, column 5: <what>".  Hostile
 * input is bounded: a document larger than max_document_bytes, nesting
 * deeper than max_depth or alias expansion beyond max_alias_nodes fails at
 * once with KUBE_ETOOBIG and nothing is returned.
 *
 * The codec is pure: no I/O, no globals; safe from any thread.
 */
#ifndef LIBKUBE_CODEC_H
#define LIBKUBE_CODEC_H

#include "common.h"
#include "object.h"

KUBE_BEGIN_DECLS

typedef enum kube_format {
	KUBE_FORMAT_AUTO = 0,   /* decode: JSON if the first byte after an optional
	                           UTF-8 BOM and blanks is '{' or '[', else YAML */
	KUBE_FORMAT_JSON = 1,
	KUBE_FORMAT_YAML = 2
} kube_format;

/* Keep the position of every node (kube_object_source()); costs a hash
 * entry per node. */
#define KUBE_DECODE_POSITIONS 0x1u

/* A zero in any limit means its default. */
typedef struct kube_decode_options {
	unsigned int version;         /* KUBE_DECODE_OPTIONS_VERSION */
	kube_format format;
	size_t max_document_bytes;    /* per document, in bytes; default 3 MiB */
	unsigned int max_depth;       /* nesting of maps and arrays; default 256,
	                                 never more than 10000 */
	size_t max_alias_nodes;       /* nodes created by YAML alias and merge
	                                 expansion, per document; default 100000 */
	unsigned int flags;           /* KUBE_DECODE_* */
} kube_decode_options;

#define KUBE_DECODE_OPTIONS_VERSION 1
#define KUBE_DECODE_OPTIONS_INIT \
	{ KUBE_DECODE_OPTIONS_VERSION, KUBE_FORMAT_AUTO, 3u * 1024 * 1024, 256, 100000, 0 }

/* Fills opts with the defaults of `version` (for bindings).  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_decode_options_init(kube_decode_options *opts, unsigned int version);

/*
 * Decodes every document of buf into a new list of (frozen) objects, in
 * stream order; release it with kube_object_list_free().  opts may be NULL
 * for the defaults.  On failure *out is NULL and nothing is returned.
 * Returns 0, KUBE_EINVAL (syntax, a document that is not a mapping, metadata
 * the object layer refuses, an unknown options version or format),
 * KUBE_ETOOBIG (a limit), KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_decode(kube_object_list **out, const char *buf, size_t len,
                            const kube_decode_options *opts);

/* Pretty-print JSON (2-space indent) instead of compact. */
#define KUBE_ENCODE_PRETTY 0x1u

/*
 * Encodes one object as JSON or YAML into a new NUL-terminated buffer
 * (release with kube_free()); *len_out (optional) gets its length.
 * JSON: keys in document order, '/' and non-ASCII as is, compact without a
 * trailing newline, pretty (2-space indent) with one.  YAML: kubectl's
 * -o yaml style (block style, 2-space indent, "- " at the parent key's
 * indentation, strings quoted where a plain scalar would read back as
 * something else, literal blocks for multi-line strings, {} and []).
 * Returns 0, KUBE_EINVAL (a format other than JSON or YAML, a NaN or
 * infinite number), KUBE_ETOOBIG (nesting deeper than 10000), KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_encode(char **out, size_t *len_out, const kube_object *o,
                            kube_format format, unsigned int flags);

/*
 * Encodes a list: YAML as documents separated by "---\n" (an empty list is
 * ""); JSON as one {"apiVersion":"v1","kind":"List","items":[...]} object.
 * Same returns as kube_encode().
 */
KUBE_EXTERN int kube_encode_list(char **out, size_t *len_out, const kube_object_list *list,
                                 kube_format format, unsigned int flags);

KUBE_END_DECLS

#endif /* LIBKUBE_CODEC_H */
