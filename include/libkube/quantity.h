/*
 * quantity.h - Kubernetes resource quantities ("100m", "2Gi", "1e3"), exact.
 *
 * A kube_quantity is what k8s.io/apimachinery's resource.Quantity is: a
 * fixed-point number plus the format it was written in, so that it prints
 * back in the same family of suffixes.  No floating point is involved
 * anywhere.  It is a small value type: copy it freely, compare it with
 * kube_quantity_cmp() (never memcmp), keep it on the stack.  A zeroed
 * kube_quantity is the number 0 in DecimalSI format.
 *
 * Syntax (upstream's):
 *
 *     quantity ::= [+-] number suffix
 *     number   ::= digits | digits "." digits | digits "." | "." digits
 *     suffix   ::= "" | n u m k M G T P E      (decimal SI, 10^-9 .. 10^18)
 *                | Ki Mi Gi Ti Pi Ei          (binary SI, 2^10 .. 2^60)
 *                | (e|E) [+-] digits          (decimal exponent, "1e3")
 *
 * plus upstream's leniencies, kept on purpose because manifests rely on
 * whatever the API server accepts: a suffix with no number ("Ki", "m", "e3")
 * is 0, and so are "+", "-" and "."; "1." and "1.G" are accepted.  No
 * whitespace is allowed anywhere (upstream's JSON decoding trims spaces
 * around the string before parsing; a caller decoding JSON may do the same).
 *
 * Exactness and range.  Upstream keeps an arbitrary-precision decimal;
 * libkube keeps the value as an integer count of nano-units (10^-9) in 128
 * bits.  Every quantity whose magnitude is below 10^29 is therefore held
 * exactly, which covers all of int64 (2^63-1 units) at full nano precision.
 * Parsing rounds like upstream: a value finer than 1n is rounded away from
 * zero to the next nano-unit ("0.1n" -> 1n, "-3.001n" -> -4n), and a binary
 * SI value is capped, silently as upstream does, at 2^63-1 in magnitude
 * ("9Ei" -> 9223372036854775807).  A decimal quantity of magnitude 10^29 or
 * more ("1e30", "100000P") fails with KUBE_ERANGE instead of being rounded;
 * upstream would accept it.
 *
 * Canonical form (kube_quantity_string): the exponent or suffix is as large
 * as possible with no fractional digits and no precision lost; DecimalSI
 * and DecimalExponent use multiples of 3 ("1.5" -> "1500m", "0.1" -> "100m",
 * "1e3" -> "1e3", "15e-1" -> "1500e-3"); BinarySI uses powers of 1024
 * ("1024Mi" -> "1Gi", "1.5Gi" -> "1536Mi") and falls back to DecimalSI for
 * values strictly between -1024 and 1024 or with a fractional part
 * ("0.5Ki" -> "512", "1.1Ki" -> "1126400m").  Zero prints "0".
 * Two places where libkube differs from upstream's String(), both where
 * upstream's output is arguably a bug:
 *   - upstream returns the input verbatim when its digits already look
 *     canonical, even if it is spelled differently ("+1k", "1E3", "1.500");
 *     libkube always prints the canonical spelling ("1k", "1e3", "1500m");
 *   - a DecimalSI value above the E suffix prints with an exponent ("1e21"),
 *     as newer upstream does (1.32 printed "1"), and a BinarySI value stops
 *     at Ei ("1024Ei" for 2^70, where upstream would drop the suffix).
 *
 * Thread-safety: every function is pure over its arguments; errors go to
 * the calling thread's kube_error_last().
 */
#ifndef LIBKUBE_QUANTITY_H
#define LIBKUBE_QUANTITY_H

#include "common.h"

KUBE_BEGIN_DECLS

/* Layout private to libkube; the size is part of the ABI. */
typedef struct kube_quantity {
	uint64_t opaque_[4];
} kube_quantity;

/* How a quantity prints (upstream's Format).  Parsing records the format of
 * the suffix it read; a suffix-less number is DecimalSI. */
typedef enum kube_quantity_format {
	KUBE_QUANTITY_DECIMAL_SI = 0,       /* "100m", "2G", "5" */
	KUBE_QUANTITY_BINARY_SI = 1,        /* "2Gi", "512Ki" */
	KUBE_QUANTITY_DECIMAL_EXPONENT = 2  /* "1e3", "500e-3" */
} kube_quantity_format;

/* A buffer this large always holds a canonical string and its NUL
 * ("-99999999999999999999999999999999999999e-9" style worst cases). */
#define KUBE_QUANTITY_STRING_MAX 48

/*
 * Parses the NUL-terminated s into *out (left untouched on failure).
 * Returns 0; KUBE_EINVAL with upstream's message, one of
 *   "quantities must match the regular expression
 *    '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"   (malformed, empty)
 *   "unable to parse quantity's suffix"                (e.g. "1i", "1Kb")
 *   "unable to parse numeric part of quantity"         (e.g. "Ei", "e-10")
 * or KUBE_ERANGE when the value is out of the range described above (or its
 * exponent does not fit 32 bits, where upstream silently wraps it).
 */
KUBE_EXTERN int kube_quantity_parse(kube_quantity *out, const char *s);

/* As kube_quantity_parse, on len bytes that need no NUL (a NUL byte inside
 * is simply an invalid character). */
KUBE_EXTERN int kube_quantity_parse_n(kube_quantity *out, const char *s, size_t len);

/* -1, 0 or 1 as a < b, a == b, a > b, by numeric value whatever the formats
 * ("1Ki" == "1024", "1e3" == "1k").  A NULL argument counts as 0. */
KUBE_EXTERN int kube_quantity_cmp(const kube_quantity *a, const kube_quantity *b);

/* The value in milli-units, rounded away from zero (upstream's
 * MilliValue(): "0.5m" -> 1, "-0.5m" -> -1).  0, KUBE_EINVAL for NULL, or
 * KUBE_ERANGE if it does not fit an int64 (*out untouched). */
KUBE_EXTERN int kube_quantity_milli(const kube_quantity *q, int64_t *out);

/* The value in whole units (bytes for memory), rounded away from zero
 * (upstream's Value(): "1.5" -> 2, "-1.5" -> -2, "1m" -> 1; upstream's
 * arbitrary-precision path rounds some negative values toward zero instead,
 * "-1.5000000000" -> 0, which libkube does not copy).  0, KUBE_EINVAL for
 * NULL, or KUBE_ERANGE if it does not fit an int64 (*out untouched), where
 * upstream silently overflows. */
KUBE_EXTERN int kube_quantity_value(const kube_quantity *q, int64_t *out);

/* The canonical form ("1500m" -> "1500m", "1.5" -> "1500m", "1024Mi" ->
 * "1Gi") into a new string; release with kube_free().  NULL on ENOMEM or
 * a NULL q. */
KUBE_EXTERN char *kube_quantity_string(const kube_quantity *q);

/* ---- additions for the scheduler, quota and validation ---- */

/*
 * The canonical form into buf (len bytes, NUL-terminated), without
 * allocating; a buffer of KUBE_QUANTITY_STRING_MAX bytes always suffices.
 * Returns the string's length (>= 0), KUBE_EINVAL for NULL arguments, or
 * KUBE_ERANGE if len is too small (buf then holds "" when len > 0).
 */
KUBE_EXTERN int kube_quantity_format_string(const kube_quantity *q, char *buf, size_t len);

/* *out = value units in the given format (upstream's NewQuantity).
 * 0, or KUBE_EINVAL for a NULL out or an unknown format. */
KUBE_EXTERN int kube_quantity_from_int(kube_quantity *out, int64_t value,
                                       kube_quantity_format format);

/* *out = milli / 1000 units in the given format (NewMilliQuantity).
 * 0, or KUBE_EINVAL for a NULL out or an unknown format. */
KUBE_EXTERN int kube_quantity_from_milli(kube_quantity *out, int64_t milli,
                                         kube_quantity_format format);

/*
 * *out = a + b, or a - b.  The result keeps a's format, or takes b's when a
 * is zero (upstream's Add/Sub, so that 0 + "1Gi" prints "1Gi").  out may
 * be a or b.  0, KUBE_EINVAL for NULL, or KUBE_ERANGE when the result's
 * magnitude would reach 10^29 (*out untouched).
 */
KUBE_EXTERN int kube_quantity_add(kube_quantity *out, const kube_quantity *a,
                                  const kube_quantity *b);
KUBE_EXTERN int kube_quantity_sub(kube_quantity *out, const kube_quantity *a,
                                  const kube_quantity *b);

/* *out = -q, same format.  out may be q.  0 or KUBE_EINVAL for NULL. */
KUBE_EXTERN int kube_quantity_neg(kube_quantity *out, const kube_quantity *q);

/* -1, 0 or 1 by the sign of q (NULL counts as 0). */
KUBE_EXTERN int kube_quantity_sign(const kube_quantity *q);

/* 1 if q is zero (or NULL), else 0. */
KUBE_EXTERN int kube_quantity_is_zero(const kube_quantity *q);

/* The format q prints with (NULL gives DecimalSI). */
KUBE_EXTERN kube_quantity_format kube_quantity_get_format(const kube_quantity *q);

/* Changes the format q prints with; the value is unchanged.
 * 0, or KUBE_EINVAL for NULL or an unknown format. */
KUBE_EXTERN int kube_quantity_set_format(kube_quantity *q, kube_quantity_format format);

KUBE_END_DECLS

#endif /* LIBKUBE_QUANTITY_H */
