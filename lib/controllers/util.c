/*
 * util.c - the pod and time helpers the controllers share, with the
 * answers of upstream's podutil and controller_utils: a pod is ready when
 * its Ready condition is "True", available when it has been ready for
 * more than minReadySeconds (strictly: LastTransitionTime + min < now),
 * active when it is neither Succeeded nor Failed nor being deleted.
 * Timestamps are metav1.Time: RFC 3339, compared at the precision stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controllers_private.h"

int64_t kube__rfc3339_ns(const char *s)
{
	struct tm tm;
	int64_t frac = 0, scale = 100000000, off = 0;
	const char *p;
	time_t t;

	if (!s || !*s)
		return 0;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	           &tm.tm_min, &tm.tm_sec) != 6 || strlen(s) < 19)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	p = s + 19;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == '+' || *p == '-') {
		int hh = 0, mm = 0;
		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
			return 0;
		off = (int64_t)(hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
	} else if (*p != 'Z') {
		return 0;
	}
	t = timegm(&tm);
	return ((int64_t)t - off) * KUBE__NS_PER_SEC + frac;
}

void kube__format_rfc3339(int64_t ns, char out[32])
{
	time_t t = (time_t)(ns / KUBE__NS_PER_SEC);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t kube__get_int_or(const kube_object *o, const char *path, int64_t def)
{
	int64_t v;
	return kube_object_get_int(o, path, &v) == 0 ? v : def;
}

const char *kube__pod_phase(const kube_object *pod)
{
	const char *v;
	return kube_object_get_string(pod, "status.phase", &v) == 0 && v ? v : "";
}

int kube__pod_ready(const kube_object *pod, int64_t *since)
{
	size_t n = 0;
	char path[64];
	const char *v;

	if (since)
		*since = 0;
	if (kube_object_get_len(pod, "status.conditions", &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "status.conditions[%zu].type", i);
		if (kube_object_get_string(pod, path, &v) != 0 || !v || strcmp(v, "Ready") != 0)
			continue;
		snprintf(path, sizeof(path), "status.conditions[%zu].status", i);
		if (kube_object_get_string(pod, path, &v) != 0 || !v || strcmp(v, "True") != 0)
			return 0;
		if (since) {
			snprintf(path, sizeof(path), "status.conditions[%zu].lastTransitionTime", i);
			if (kube_object_get_string(pod, path, &v) == 0)
				*since = kube__rfc3339_ns(v);
		}
		return 1;
	}
	return 0;
}

int kube__pod_available(const kube_object *pod, int64_t min_ready_seconds, int64_t now_ns)
{
	int64_t since;

	if (!kube__pod_ready(pod, &since))
		return 0;
	if (min_ready_seconds == 0)
		return 1;
	return since != 0 && since + min_ready_seconds * KUBE__NS_PER_SEC < now_ns;
}

int kube__pod_active(const kube_object *pod)
{
	const char *phase = kube__pod_phase(pod);

	return strcmp(phase, "Succeeded") != 0 && strcmp(phase, "Failed") != 0 &&
	       !kube_object_deletion_timestamp(pod);
}

int kube__selector_from_map(kube_selector **out, const kube_object *o, const char *path,
                            int *found)
{
	kube_selector *sel;
	size_t n = 0;
	int rc;

	if (found)
		*found = 0;
	if ((rc = kube_selector_new(&sel)) != 0)
		return rc;
	if (kube_object_get_len(o, path, &n) == 0) {
		if (found)
			*found = 1;
		for (size_t i = 0; i < n; i++) {
			const char *k, *v;
			char vpath[512];
			if (kube_object_get_key(o, path, i, &k) != 0)
				continue;
			snprintf(vpath, sizeof(vpath), "%s[\"%s\"]", path, k);
			if (kube_object_get_string(o, vpath, &v) != 0)
				continue;
			if ((rc = kube_selector_add(sel, k, KUBE_SELECTOR_EQUALS, &v, 1)) != 0) {
				kube_selector_free(sel);
				return rc;
			}
		}
	}
	*out = sel;
	return 0;
}

int64_t kube__slow_start_batch(int64_t count, int64_t initial, int (*fn)(void *ud), void *ud,
                               int *err, int64_t *attempted)
{
	int64_t remaining = count, successes = 0, batch;

	*err = 0;
	*attempted = 0;
	for (batch = remaining < initial ? remaining : initial; batch > 0;) {
		int batch_err = 0;
		for (int64_t i = 0; i < batch; i++) {
			int rc = fn(ud);
			if (rc == 0)
				successes++;
			else if (!batch_err)
				batch_err = rc;
		}
		*attempted += batch;
		remaining -= batch;
		if (batch_err) {
			*err = batch_err;
			break;
		}
		batch = 2 * batch < remaining ? 2 * batch : remaining;
	}
	return successes;
}
