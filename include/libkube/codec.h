/*
 * codec.h - YAML and JSON in, JSON and YAML out.
 *
 * Decoding reads a stream of documents (YAML documents separated by "---",
 * or JSON values one after another) into kube_objects.  Every document must
 * be a mapping; empty YAML documents are skipped, as kubectl does.  The round
 * trip keeps every value and its type: a quoted "1" stays a string, an
 * unquoted 1 an integer, integers beyond 2^53 (and beyond 64 bits) keep all
 * their digits, and multi-line strings come back as YAML block scalars.
 *
 * Errors name where: kube_error_last() carries the 1-based document index,
 * line and column, and the message repeats them.  Hostile input is bounded:
 * a document larger than max_document_bytes, nesting deeper than max_depth
 * or alias expansion beyond max_alias_nodes fails at once with KUBE_ETOOBIG
 * and nothing is returned.
 *
 * The codec is pure: no I/O, no globals; safe from any thread.
 */
#ifndef LIBKUBE_CODEC_H
#define LIBKUBE_CODEC_H

#include "common.h"
#include "object.h"

KUBE_BEGIN_DECLS

typedef enum kube_format {
	KUBE_FORMAT_AUTO = 0,   /* decode: JSON if the input starts with '{' or '[' */
	KUBE_FORMAT_JSON = 1,
	KUBE_FORMAT_YAML = 2
} kube_format;

/* Keep per-field source positions (kube_object_source()). */
#define KUBE_DECODE_POSITIONS 0x1u

typedef struct kube_decode_options {
	unsigned int version;         /* KUBE_DECODE_OPTIONS_VERSION */
	kube_format format;
	size_t max_document_bytes;    /* per document; default 3 MiB */
	unsigned int max_depth;       /* nesting of maps and arrays; default 256 */
	size_t max_alias_nodes;       /* nodes created by YAML alias expansion, per
	                                 document; default 100000 */
	unsigned int flags;           /* KUBE_DECODE_* */
} kube_decode_options;

#define KUBE_DECODE_OPTIONS_VERSION 1
#define KUBE_DECODE_OPTIONS_INIT \
	{ KUBE_DECODE_OPTIONS_VERSION, KUBE_FORMAT_AUTO, 3u * 1024 * 1024, 256, 100000, 0 }

/* Fills opts with the defaults of `version` (for bindings).  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_decode_options_init(kube_decode_options *opts, unsigned int version);

/*
 * Decodes every document of buf into a new list of (frozen) objects.
 * opts may be NULL for the defaults.  On failure nothing is returned.
 * Returns 0, KUBE_EINVAL (syntax, or a document that is not a mapping),
 * KUBE_ETOOBIG (a limit), KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_decode(kube_object_list **out, const char *buf, size_t len,
                            const kube_decode_options *opts);

/* Pretty-print JSON (2-space indent) instead of compact. */
#define KUBE_ENCODE_PRETTY 0x1u

/*
 * Encodes one object as JSON or YAML into a new NUL-terminated buffer
 * (release with kube_free()); *len_out (optional) gets its length.
 * Returns 0, KUBE_EINVAL, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_encode(char **out, size_t *len_out, const kube_object *o,
                            kube_format format, unsigned int flags);

/*
 * Encodes a list: YAML as documents separated by "---"; JSON as one
 * {"apiVersion":"v1","kind":"List","items":[...]} object.
 */
KUBE_EXTERN int kube_encode_list(char **out, size_t *len_out, const kube_object_list *list,
                                 kube_format format, unsigned int flags);

KUBE_END_DECLS

#endif /* LIBKUBE_CODEC_H */
