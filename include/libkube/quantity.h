/*
 * quantity.h - Kubernetes resource quantities ("100m", "2Gi", "1e3"), exact.
 *
 * (Being completed under issue 2 by the quantity work; the signatures below
 * are fixed.)  A kube_quantity is a small value type: copy it freely.
 */
#ifndef LIBKUBE_QUANTITY_H
#define LIBKUBE_QUANTITY_H

#include "common.h"

KUBE_BEGIN_DECLS

/* Layout private to libkube; the size is part of the ABI. */
typedef struct kube_quantity {
	uint64_t opaque_[4];
} kube_quantity;

/* Parses s.  0, or KUBE_EINVAL with upstream's message. */
KUBE_EXTERN int kube_quantity_parse(kube_quantity *out, const char *s);

/* -1, 0 or 1 as a < b, a == b, a > b (by numeric value). */
KUBE_EXTERN int kube_quantity_cmp(const kube_quantity *a, const kube_quantity *b);

/* The value in milli-units, rounded up (as upstream's MilliValue()).
 * 0 or KUBE_ERANGE. */
KUBE_EXTERN int kube_quantity_milli(const kube_quantity *q, int64_t *out);

/* The value in whole units (bytes for memory), rounded up (Value()).
 * 0 or KUBE_ERANGE. */
KUBE_EXTERN int kube_quantity_value(const kube_quantity *q, int64_t *out);

/* The canonical form ("1500m" -> "1500m", "1.5" -> "1500m", "1024Mi" -> "1Gi")
 * into a new string; release with kube_free().  NULL on ENOMEM. */
KUBE_EXTERN char *kube_quantity_string(const kube_quantity *q);

KUBE_END_DECLS

#endif /* LIBKUBE_QUANTITY_H */
