/*
 * labels_private.h - internals shared by the files of the labels layer
 * (labels.c, goerr.c, selector.c, fields.c, index.c) and by the two
 * object-layer files that build selectors and field sets from objects.
 *
 * The labels layer sits on lib/base only: objects use labels, not the
 * other way round.
 */
#ifndef LIBKUBE_LABELS_PRIVATE_H
#define LIBKUBE_LABELS_PRIVATE_H

#include <string.h>

#include "base/base.h"
#include "libkube/labels.h"

/* ---- hashing (used as a cheap pre-check; equality is always confirmed) ---- */

static inline uint32_t kube__strhash(const char *s, size_t n)
{
	/* FNV-1a: keys and values are short, so a byte loop is as fast as anything. */
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static inline int kube__streq(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	if (alen != blen)
		return 0;
	for (uint32_t i = 0; i < alen; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/*
 * Label-set arenas and selector blocks are allocated KUBE__PAD bytes longer
 * than they need, so two of their strings can be compared 8 bytes at a
 * time without reading past an allocation.
 */
#define KUBE__PAD 8

static inline int kube__padeq(const char *a, const char *b, uint32_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t x, y;
	while (n >= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return 0;
		a += 8;
		b += 8;
		n -= 8;
	}
	if (n == 0)
		return 1;
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	return ((x ^ y) & (~(uint64_t)0 >> (64 - 8 * n))) == 0;
#else
	return memcmp(a, b, n) == 0;
#endif
}

static inline uint64_t kube__load8(const char *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

/* The mask that keeps the first n (<= 8) bytes of a kube__load8. */
static inline uint64_t kube__mask8(uint32_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return n >= 8 ? ~(uint64_t)0 : n == 0 ? 0 : ~(uint64_t)0 >> (64 - 8 * n);
#else
	return n >= 8 ? ~(uint64_t)0 : n == 0 ? 0 : ~(uint64_t)0 << (64 - 8 * n);
#endif
}

/*
 * a (a padded string of length n, first word w already masked and known)
 * against b (padded): equal when the first words match and the rest does.
 */
static inline int kube__wordeq(uint64_t word, uint64_t mask, const char *a, const char *b,
                               uint32_t n)
{
	if ((kube__load8(b) & mask) != word)
		return 0;
	return n <= 8 || memcmp(a + 8, b + 8, n - 8) == 0;
}

/* ---- label sets (labels.c) ---- */

/*
 * One entry.  The key and value live in the set's arena as "key\0value\0"
 * starting at `off`, so borrowed pointers are NUL-terminated.
 */
typedef struct kube__label_ent {
	uint32_t khash;
	uint32_t vhash;
	uint32_t off;
	uint32_t klen;
	uint32_t vlen;
} kube__label_ent;

/*
 *   ents   [0 .. count)  sorted by (khash, klen, key bytes): the order
 *                        selectors merge against
 *   order  [0 .. count)  indexes into ents, sorted by key bytes: the order
 *                        callers iterate in
 *   arena  key\0value\0 key\0value\0 ...   (replaced values leave waste)
 */
struct kube_labels {
	kube__label_ent *ents;
	uint32_t *order;
	char *arena;
	uint32_t count, cap;
	uint32_t alen, acap, waste;
	uint32_t novalidate;   /* a field set: any strings, no label rules */
};

static inline const char *kube__label_key(const kube_labels *l, const kube__label_ent *e)
{
	return l->arena + e->off;
}

static inline const char *kube__label_value(const kube_labels *l, const kube__label_ent *e)
{
	return l->arena + e->off + e->klen + 1;
}

/* Orders two (hash, key) pairs the way ents is sorted. */
static inline int kube__hkey_cmp(uint32_t ha, const char *a, uint32_t alen,
                                 uint32_t hb, const char *b, uint32_t blen)
{
	if (ha != hb)
		return ha < hb ? -1 : 1;
	if (alen != blen)
		return alen < blen ? -1 : 1;
	for (uint32_t i = 0; i < alen; i++)
		if (a[i] != b[i])
			return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
	return 0;
}

/* The entry for key (length n, hash h), or NULL. */
KUBE_INTERNAL const kube__label_ent *kube__labels_find(const kube_labels *l, const char *key,
                                                      uint32_t n, uint32_t h);

/*
 * Sets key=value with explicit lengths and no validation (field sets; and
 * label sets whose caller already validated).  0 or KUBE_ENOMEM/KUBE_ETOOBIG.
 */
KUBE_INTERNAL int kube__labels_put(kube_labels *l, const char *key, size_t klen,
                                   const char *value, size_t vlen);

/* A new set that takes any strings (a field set). */
KUBE_INTERNAL int kube__fieldset_new(kube_labels **out);

/* The set behind a kube_fields (fields.c). */
KUBE_INTERNAL kube_labels *kube__fields_set(kube_fields *f);

/* ---- selectors (selector.c) ---- */

/*
 * word/mask: the first 8 bytes of the string (little-endian load) and the
 * mask of its length, so a string of up to 8 bytes is compared with one
 * load, one AND and one compare.
 */
typedef struct kube__sval {
	const char *s;       /* NUL-terminated, in the selector's block */
	uint32_t len;
	uint32_t hash;
	uint64_t word;
	uint64_t mask;
} kube__sval;

typedef struct kube__sreq {
	const char *key;     /* NUL-terminated, in the selector's block */
	uint32_t klen;
	uint32_t khash;
	uint64_t kword;      /* as kube__sval.word/mask, for the key */
	uint64_t kmask;
	uint16_t op;         /* kube_selector_op */
	uint8_t kind;        /* MATCH_KIND_*: what the matcher tests */
	uint8_t neg;         /* the test's answer is inverted (!=, notin, !k) */
	uint32_t nvals;
	const kube__sval *vals;  /* sorted by bytes (duplicates only from kube_selector_add) */
	int64_t num;         /* the integer of a gt/lt requirement */
} kube__sreq;

/*
 * The header stays put (callers hold the pointer); everything else lives in
 * one block that kube_selector_add rebuilds:
 *   block: reqs[n] (canonical: by key, stable) | mreqs[n] (by khash, key) |
 *          vals[] | string bytes
 */
struct kube_selector {
	void *block;
	const kube__sreq *reqs;
	const kube__sreq *mreqs;
	uint32_t nreqs;
	uint32_t nothing;    /* labels.Nothing(): matches no label set */
};

enum { KUBE__KIND_EXISTS = 0, KUBE__KIND_VALUE = 1, KUBE__KIND_NUMBER = 2 };

/* Matches one requirement against a set. */
KUBE_INTERNAL int kube__sreq_matches(const kube__sreq *r, const kube_labels *l);

/* ---- Go-compatible error text (goerr.c) ---- */

/* (Go's %q and JSON string formatting: kube__go_* in lib/base/base.h) */

/*
 * A field.ErrorList being collected, rendered as utilerrors.Aggregate
 * renders it: one error alone, or "[e1, e2]" with duplicates dropped.
 */
typedef struct kube__ferrs {
	kube__buf text;      /* the errors, each NUL-separated */
	size_t count;
} kube__ferrs;

#define KUBE__FERRS_INIT { KUBE__BUF_INIT, 0 }

/* Starts a new error; append its text to e->text after this call. */
KUBE_INTERNAL kube__buf *kube__ferrs_begin(kube__ferrs *e);
/* "<field>: Invalid value: \"<bad>\": <detail>" (field.Invalid with a string). */
KUBE_INTERNAL void kube__ferrs_invalid(kube__ferrs *e, const char *field, const char *bad,
                                       size_t badlen, const char *detail);
/* Raises the aggregate as the thread's KUBE_EINVAL (prefix prepended). */
KUBE_INTERNAL int kube__ferrs_raise(kube__ferrs *e, const char *prefix);
KUBE_INTERNAL void kube__ferrs_free(kube__ferrs *e);

/* Go's strconv.ParseInt(s, 10, 64).  0 and *out, or -1. */
KUBE_INTERNAL int kube__parse_int64(const char *s, size_t n, int64_t *out);

#endif /* LIBKUBE_LABELS_PRIVATE_H */
