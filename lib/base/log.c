/*
 * log.c - dispatch of log records to the embedder's sink.
 *
 * The sink is process-wide and installed before threads start (see log.h),
 * so the hot check kube__log_enabled() is a plain load and compare.  Messages
 * are formatted into a stack buffer; a longer one is cut.
 */
#include <stdio.h>

#include "base.h"

static struct {
	kube_log_cb cb;
	kube_log_level max;
	void *userdata;
	void (*destroy)(void *);
} sink;

int kube_log_set_sink(kube_log_cb cb, kube_log_level max_level,
                      void *userdata, void (*destroy)(void *))
{
	if ((int)max_level < KUBE_LOG_ERROR || max_level > KUBE_LOG_TRACE)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_log_set_sink: level %d is not a kube_log_level",
		                       (int)max_level);
	if (sink.destroy)
		sink.destroy(sink.userdata);
	sink.cb = cb;
	sink.max = max_level;
	sink.userdata = cb ? userdata : NULL;
	sink.destroy = cb ? destroy : NULL;
	return 0;
}

const char *kube_log_level_name(kube_log_level level)
{
	static const char *const names[] = { "error", "warn", "info", "debug", "trace" };
	if ((int)level < 0 || (size_t)level >= KUBE_ARRAY_SIZE(names))
		return "unknown";
	return names[level];
}

bool kube__log_enabled(kube_log_level level)
{
	return sink.cb != NULL && level <= sink.max;
}

void kube__log(kube_log_level level, const char *subsystem,
               const kube_log_field *fields, size_t nfields, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!kube__log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sink.cb(level, subsystem, msg, fields, nfields, sink.userdata);
}
