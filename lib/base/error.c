/*
 * error.c - the per-thread "last error".
 *
 * Each thread owns one kube_error plus fixed buffers for its message and
 * field path.  Raising an error never allocates, so ENOMEM can be reported
 * and nothing needs freeing when a thread exits.  Messages longer than the
 * buffer are cut (with "..." at the end) rather than lost.
 */
#include <stdio.h>
#include <string.h>

#include "base.h"

#define MESSAGE_MAX 2048
#define FIELD_MAX   512

typedef struct error_state {
	kube_error err;
	int set;
	char message[MESSAGE_MAX];
	char field[FIELD_MAX];
} error_state;

static _Thread_local error_state tls_error;

static void mark_truncated(char *buf, size_t cap, int wanted)
{
	if (wanted >= 0 && (size_t)wanted >= cap && cap > 4)
		memcpy(buf + cap - 4, "...", 4);
}

int kube__error_setv(int code, const char *field, const char *fmt, va_list ap)
{
	error_state *st = &tls_error;
	int n = vsnprintf(st->message, sizeof(st->message), fmt, ap);
	if (n < 0)
		snprintf(st->message, sizeof(st->message), "%s", kube_strerror(code));
	mark_truncated(st->message, sizeof(st->message), n);

	if (field && *field) {
		int m = snprintf(st->field, sizeof(st->field), "%s", field);
		mark_truncated(st->field, sizeof(st->field), m);
		st->err.field = st->field;
	} else {
		st->err.field = NULL;
	}
	st->err.code = code;
	st->err.message = st->message;
	st->err.document = 0;
	st->err.line = 0;
	st->err.column = 0;
	st->set = 1;
	return code;
}

int kube__error_set(int code, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kube__error_setv(code, field, fmt, ap);
	va_end(ap);
	return code;
}

int kube__error_oom(void)
{
	return kube__error_set(KUBE_ENOMEM, NULL, "out of memory");
}

void kube__error_set_position(int document, int line, int column)
{
	error_state *st = &tls_error;
	if (!st->set)
		return;
	if (document > 0)
		st->err.document = document;
	if (line > 0)
		st->err.line = line;
	if (column > 0)
		st->err.column = column;
}

void kube__error_prefix_field(const char *prefix)
{
	error_state *st = &tls_error;
	char tmp[FIELD_MAX];
	int n;

	if (!st->set || !prefix || !*prefix)
		return;
	if (st->err.field && st->err.field[0] == '[')
		n = snprintf(tmp, sizeof(tmp), "%s%s", prefix, st->field);
	else if (st->err.field)
		n = snprintf(tmp, sizeof(tmp), "%s.%s", prefix, st->field);
	else
		n = snprintf(tmp, sizeof(tmp), "%s", prefix);
	mark_truncated(tmp, sizeof(tmp), n);
	memcpy(st->field, tmp, sizeof(tmp));
	st->err.field = st->field;
}

const kube_error *kube_error_last(void)
{
	return tls_error.set ? &tls_error.err : NULL;
}

void kube_error_clear(void)
{
	tls_error.set = 0;
	memset(&tls_error.err, 0, sizeof(tls_error.err));
}

const char *kube_strerror(int code)
{
	switch (code) {
	case KUBE_OK:        return "success";
	case KUBE_ERROR:     return "error";
	case KUBE_ENOMEM:    return "out of memory";
	case KUBE_EINVAL:    return "invalid argument";
	case KUBE_ENOTFOUND: return "not found";
	case KUBE_EEXISTS:   return "already exists";
	case KUBE_ECONFLICT: return "conflict";
	case KUBE_EGONE:     return "resource version too old";
	case KUBE_ENOTSUP:   return "not supported";
	case KUBE_EABI:      return "incompatible plugin ABI";
	case KUBE_EBUSY:     return "resource busy";
	case KUBE_ETIMEDOUT: return "timed out";
	case KUBE_EIO:       return "input/output error";
	case KUBE_ERANGE:    return "value out of range";
	case KUBE_ECANCELED: return "cancelled";
	case KUBE_EPERM:     return "permission denied";
	case KUBE_ENOSPC:    return "no space left";
	case KUBE_ETOOBIG:   return "input too large";
	case KUBE_EUNAVAILABLE: return "unavailable";
	case KUBE_EDATALOSS: return "data loss";
	case KUBE_EUNAUTHENTICATED: return "unauthenticated";
	default:             return "unknown error";
	}
}
