/*
 * log.h - the logging sink.
 *
 * libkube never prints.  It hands log records to the sink the embedder
 * installs; with no sink installed, records are dropped at the cost of one
 * comparison.  A record is a level, a subsystem ("store", "codec"), a message
 * and an optional list of structured key/value fields.
 */
#ifndef LIBKUBE_LOG_H
#define LIBKUBE_LOG_H

#include "common.h"

KUBE_BEGIN_DECLS

typedef enum kube_log_level {
	KUBE_LOG_ERROR = 0,
	KUBE_LOG_WARN  = 1,
	KUBE_LOG_INFO  = 2,
	KUBE_LOG_DEBUG = 3,
	KUBE_LOG_TRACE = 4
} kube_log_level;

typedef struct kube_log_field {
	const char *key;
	const char *value;
} kube_log_field;

/*
 * Receives one record.  All pointers are borrowed for the call only.  May be
 * called from any thread that uses libkube: the sink must be thread-safe.
 */
typedef void (*kube_log_cb)(kube_log_level level, const char *subsystem,
                            const char *message,
                            const kube_log_field *fields, size_t nfields,
                            void *userdata);

/*
 * Installs the sink, or removes it with cb == NULL.  Records above max_level
 * are not formatted at all.  `destroy` (optional) is called with userdata
 * when the sink is replaced or removed.  Install the sink before other
 * threads use libkube.  Returns 0, or KUBE_EINVAL for a bad level.
 */
KUBE_EXTERN int kube_log_set_sink(kube_log_cb cb, kube_log_level max_level,
                                  void *userdata, void (*destroy)(void *));

/* The name of a level: "error", "warn", "info", "debug", "trace". */
KUBE_EXTERN const char *kube_log_level_name(kube_log_level level);

KUBE_END_DECLS

#endif /* LIBKUBE_LOG_H */
