/*
 * error.h - libkube's error model.
 *
 * Every fallible function returns an int: 0 on success, or one of the negative
 * KUBE_E* codes below.  The codes are few on purpose: they are the cases a
 * caller really branches on.  Everything a human needs to read (the message,
 * the field path, where in which document) is kept per thread and fetched with
 * kube_error_last() right after the failing call.
 *
 * A code's number never changes and is never reused.
 */
#ifndef LIBKUBE_ERROR_H
#define LIBKUBE_ERROR_H

#include "common.h"

KUBE_BEGIN_DECLS

/* Plugin headers (plugin/host.h) repeat this enum so a plugin needs no other
 * header; the shared guard lets either be included first. */
#ifndef KUBE_ERROR_CODES_DEFINED
#define KUBE_ERROR_CODES_DEFINED
enum {
	KUBE_OK        = 0,
	KUBE_ERROR     = -1,   /* anything not listed below */
	KUBE_ENOMEM    = -2,   /* an allocation failed */
	KUBE_EINVAL    = -3,   /* bad argument or invalid input (see field/message) */
	KUBE_ENOTFOUND = -4,   /* no such object, key, path or plugin */
	KUBE_EEXISTS   = -5,   /* the object already exists */
	KUBE_ECONFLICT = -6,   /* stale resourceVersion or failed precondition */
	KUBE_EGONE     = -7,   /* the revision asked for was compacted away */
	KUBE_ENOTSUP   = -8,   /* the operation is not supported (by this plugin) */
	KUBE_EABI      = -9,   /* a plugin's ABI does not fit this host */
	KUBE_EBUSY     = -10,  /* try again later: a resource is in use or full */
	KUBE_ETIMEDOUT = -11,  /* a deadline passed */
	KUBE_EIO       = -12,  /* an I/O error from the OS or a backend */
	KUBE_ERANGE    = -13,  /* a number does not fit the requested type */
	KUBE_ECANCELED = -14,  /* the operation was cancelled */
	KUBE_EPERM     = -15,  /* refused for lack of permission or safety */
	KUBE_ENOSPC    = -16,  /* no space left (disk full, quota reached) */
	KUBE_ETOOBIG   = -17,  /* an input exceeds a configured size limit */
	KUBE_EUNAVAILABLE = -18,     /* a peer or service is unavailable now (gRPC UNAVAILABLE) */
	KUBE_EDATALOSS    = -19,     /* unrecoverable data loss or corruption (gRPC DATA_LOSS) */
	KUBE_EUNAUTHENTICATED = -20  /* missing or bad credentials (gRPC UNAUTHENTICATED) */
};
#endif

/*
 * The detail of the last error raised on the calling thread.  Fields that do
 * not apply are NULL (strings) or 0 (numbers).  Positions are 1-based.
 */
typedef struct kube_error {
	int code;              /* one of the KUBE_E* codes */
	const char *message;   /* human-readable, never NULL when code != 0 */
	const char *field;     /* field path, e.g. "spec.containers[0].image" */
	int document;          /* 1-based document index in a multi-document input */
	int line;              /* 1-based line in the input */
	int column;            /* 1-based column in the input */
} kube_error;

/*
 * Returns the last error raised on this thread, or NULL if none was raised
 * since the last kube_error_clear().  The pointer is valid until the next
 * libkube call on the same thread.  Thread-safe (the state is per thread).
 */
KUBE_EXTERN const kube_error *kube_error_last(void);

/* Forgets the last error of the calling thread. */
KUBE_EXTERN void kube_error_clear(void);

/*
 * A static, human-readable name for a KUBE_E* code ("object not found").
 * Unknown codes give "unknown error".  Never returns NULL.
 */
KUBE_EXTERN const char *kube_strerror(int code);

KUBE_END_DECLS

#endif /* LIBKUBE_ERROR_H */
