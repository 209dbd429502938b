/*
 * base.h - internal helpers of the base layer, shared by every other layer.
 *
 * Nothing here is exported from libkube.so (KUBE_INTERNAL is hidden
 * visibility; -fvisibility=hidden is the default anyway).
 */
#ifndef LIBKUBE_BASE_H
#define LIBKUBE_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libkube/alloc.h"
#include "libkube/error.h"
#include "libkube/log.h"
#include "libkube/validate.h"

#define KUBE_INTERNAL __attribute__((visibility("hidden")))

#define KUBE_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KUBE_UNUSED(x) ((void)(x))
#define KUBE_LIKELY(x) __builtin_expect(!!(x), 1)
#define KUBE_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Argument check for public entry points: raise KUBE_EINVAL and return it. */
#define KUBE_CHECK_ARG(cond) \
	do { \
		if (KUBE_UNLIKELY(!(cond))) \
			return kube__error_set(KUBE_EINVAL, NULL, \
			                       "%s: invalid argument: %s", __func__, #cond); \
	} while (0)

/* ---- errors (lib/base/error.c) ---- */

/*
 * Records an error for the calling thread and returns `code`, so a failing
 * path reads `return kube__error_set(KUBE_EINVAL, "metadata.name", "...")`.
 * `field` may be NULL.  Position fields are reset to 0.
 */
KUBE_INTERNAL int kube__error_set(int code, const char *field, const char *fmt, ...)
	KUBE_PRINTF(3, 4);
KUBE_INTERNAL int kube__error_setv(int code, const char *field, const char *fmt, va_list ap)
	KUBE_PRINTF(3, 0);
/* Adds a position to the current error (0 leaves a part unset). */
KUBE_INTERNAL void kube__error_set_position(int document, int line, int column);
/* Prefixes the current error's field path with `prefix` ("spec" + "." + field). */
KUBE_INTERNAL void kube__error_prefix_field(const char *prefix);
/* ENOMEM without allocating. */
KUBE_INTERNAL int kube__error_oom(void);

/* ---- growable byte buffer (lib/base/buf.c) ---- */

typedef struct kube__buf {
	char *data;      /* always NUL-terminated when size > 0 */
	size_t len;
	size_t cap;
	int failed;      /* sticky: an append ran out of memory */
} kube__buf;

#define KUBE__BUF_INIT { NULL, 0, 0, 0 }

KUBE_INTERNAL int kube__buf_grow(kube__buf *b, size_t extra);
KUBE_INTERNAL int kube__buf_put(kube__buf *b, const void *data, size_t len);
KUBE_INTERNAL int kube__buf_puts(kube__buf *b, const char *s);
KUBE_INTERNAL int kube__buf_putc(kube__buf *b, char c);
KUBE_INTERNAL int kube__buf_printf(kube__buf *b, const char *fmt, ...) KUBE_PRINTF(2, 3);
/* Hands the bytes to the caller (release with kube_free); the buffer is reset. */
KUBE_INTERNAL char *kube__buf_detach(kube__buf *b, size_t *len_out);
KUBE_INTERNAL void kube__buf_free(kube__buf *b);

/* ---- logging (lib/base/log.c) ---- */

KUBE_INTERNAL bool kube__log_enabled(kube_log_level level);
KUBE_INTERNAL void kube__log(kube_log_level level, const char *subsystem,
                             const kube_log_field *fields, size_t nfields,
                             const char *fmt, ...) KUBE_PRINTF(5, 6);

#define KUBE_LOG(level, subsys, ...) \
	do { \
		if (kube__log_enabled(level)) \
			kube__log(level, subsys, NULL, 0, __VA_ARGS__); \
	} while (0)

/* ---- name validation without touching the thread's error (names.c) ---- */

/*
 * Each returns 0 when valid, else writes the upstream message(s) joined by
 * "; " into buf (if buf != NULL) and returns KUBE_EINVAL.  The public
 * kube_validate_* wrappers raise that message as the thread's error.
 */
KUBE_INTERNAL int kube__check_qualified_name(const char *s, size_t len, kube__buf *msg);
KUBE_INTERNAL int kube__check_label_value(const char *s, size_t len, kube__buf *msg);
KUBE_INTERNAL int kube__check_dns1123_label(const char *s, size_t len, kube__buf *msg);
KUBE_INTERNAL int kube__check_dns1123_subdomain(const char *s, size_t len, kube__buf *msg);
KUBE_INTERNAL int kube__check_dns1035_label(const char *s, size_t len, kube__buf *msg);

/* ---- strings as Go prints them (gofmt.c) ---- */

/* Appends s the way Go's %q / strconv.Quote prints it. */
KUBE_INTERNAL void kube__go_quote(kube__buf *b, const char *s, size_t n);
/* Appends one string the way encoding/json marshals it (HTML-escaped). */
KUBE_INTERNAL void kube__go_json_string(kube__buf *b, const char *s, size_t n);
/* Appends a []string the way encoding/json marshals it (NULL/0 -> null). */
KUBE_INTERNAL void kube__go_json_strings(kube__buf *b, const char *const *v, const size_t *lens,
                                         size_t n);

/* Overflow-checked size arithmetic. */
static inline int kube__size_add(size_t a, size_t b, size_t *out)
{
	return __builtin_add_overflow(a, b, out) ? KUBE_ENOMEM : 0;
}

static inline int kube__size_mul(size_t a, size_t b, size_t *out)
{
	return __builtin_mul_overflow(a, b, out) ? KUBE_ENOMEM : 0;
}

#endif /* LIBKUBE_BASE_H */
