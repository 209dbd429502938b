/*
 * job.c - the Job controller, as upstream's pkg/controller/job, with the
 * TTL-after-finished controller folded in (a finished Job with
 * ttlSecondsAfterFinished is deleted here when its time has come).
 *
 * One sync of a Job ("ns/name"):
 *
 *   1. a finished Job (Complete or Failed condition True) only waits for
 *      its TTL: deleted once completionTime (or the Failed condition's
 *      lastTransitionTime) + ttlSecondsAfterFinished has passed, requeued
 *      for that moment before;
 *   2. its pods are those whose controllerRef is the Job (by uid; there
 *      is no adoption of orphans, as the API server's generated selector
 *      names the Job's own uid): active (not terminal, not being deleted),
 *      succeeded and failed ones;
 *   3. status.startTime is set at the first sync; the Job fails with
 *      DeadlineExceeded once startTime + activeDeadlineSeconds has passed,
 *      with BackoffLimitExceeded once failed > backoffLimit (6); a failed
 *      Job's active pods are deleted and counted as failed, as upstream;
 *   4. otherwise, when the expectations are satisfied, pods are created or
 *      deleted so that active = min(parallelism, completions - succeeded)
 *      (a Job without completions is a work queue: parallelism until one
 *      pod succeeds, then none new and none deleted); an Indexed Job creates the lowest
 *      indexes neither succeeded nor running, as pods named
 *      "<job>-<index>-<suffix>" carrying the index in the annotation and
 *      label batch.kubernetes.io/job-completion-index and in
 *      JOB_COMPLETION_INDEX;
 *   5. complete when succeeded >= completions (Indexed: distinct indexes;
 *      no completions: one success and nothing active): the Complete
 *      condition and completionTime; remaining active pods are deleted.
 *
 * Simplified against upstream, on purpose: no uncountedTerminatedPods and
 * no tracking finalizer: succeeded and failed are counted from the
 * terminal pods present (the Job never deletes those; whoever else
 * deletes one lowers the count); the interim FailureTarget and
 * SuccessCriteriaMet conditions are written in the same update as the
 * final one (upstream waits for the pods' finalizers in between); no pod
 * failure policy, success policy,
 * backoffLimitPerIndex, suspend, podReplacementPolicy, nor the delay
 * (10 s doubling) before a failed pod is replaced; restartPolicy
 * OnFailure's container restarts do not count toward backoffLimit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers_private.h"

#define JOB_INDEX_KEY "batch.kubernetes.io/job-completion-index"

struct kube_job_controller {
	kube_store *store;
	kube_informer *pods, *jobs;
	kube_informer_handler *pods_h, *jobs_h;
	kube_controller *runner;
	kube_expectations *exp;
	unsigned int burst;
	kube_clock_cb clock;
	void *clock_userdata;
};

static int64_t now_ns(const kube_job_controller *c)
{
	return c->clock(c->clock_userdata);
}

static void obj_key(char *buf, size_t n, const kube_object *o)
{
	snprintf(buf, n, "%s/%s", kube_object_namespace(o), kube_object_name(o));
}

/* The Job a pod's controllerRef names, if it is in the cache (same uid). */
static kube_object *resolve_ref(const kube_job_controller *c, const kube_object *pod)
{
	kube_owner_ref ref;
	kube_object *job;

	if (kube_object_controller_ref(pod, &ref) != 0 || !ref.kind || strcmp(ref.kind, "Job") != 0 ||
	    !ref.name || !ref.uid)
		return NULL;
	job = kube_informer_get(c->jobs, kube_object_namespace(pod), ref.name);
	if (!job || !kube_object_uid(job) || strcmp(kube_object_uid(job), ref.uid) != 0)
		return NULL;
	return job;
}

static void on_pod_delete(kube_informer *inf, kube_object *pod, int unknown, void *ud)
{
	kube_job_controller *c = ud;
	kube_object *job = resolve_ref(c, pod);
	char jkey[512], pkey[512];

	KUBE_UNUSED(inf);
	KUBE_UNUSED(unknown);
	if (!job)
		return;
	obj_key(jkey, sizeof(jkey), job);
	obj_key(pkey, sizeof(pkey), pod);
	kube_expectations_deletion_observed(c->exp, jkey, pkey);
	kube_controller_enqueue(c->runner, jkey);
}

static void on_pod_add(kube_informer *inf, kube_object *pod, int initial, void *ud)
{
	kube_job_controller *c = ud;
	kube_object *job;
	char jkey[512];

	KUBE_UNUSED(initial);
	if (kube_object_deletion_timestamp(pod)) {
		on_pod_delete(inf, pod, 0, ud);
		return;
	}
	if (!(job = resolve_ref(c, pod)))
		return;
	obj_key(jkey, sizeof(jkey), job);
	kube_expectations_creation_observed(c->exp, jkey);
	kube_controller_enqueue(c->runner, jkey);
}

static void on_pod_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	kube_job_controller *c = ud;
	kube_object *job;

	KUBE_UNUSED(old);
	if (kube_object_deletion_timestamp(cur) && !kube_object_deletion_timestamp(old)) {
		on_pod_delete(inf, cur, 0, ud);
		return;
	}
	if ((job = resolve_ref(c, cur)) != NULL)
		kube_controller_enqueue_object(c->runner, job);
}

static void on_job_add(kube_informer *inf, kube_object *job, int initial, void *ud)
{
	kube_job_controller *c = ud;

	KUBE_UNUSED(inf);
	KUBE_UNUSED(initial);
	kube_controller_enqueue_object(c->runner, job);
}

static void on_job_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	KUBE_UNUSED(old);
	on_job_add(inf, cur, 0, ud);
}

static void on_job_delete(kube_informer *inf, kube_object *job, int unknown, void *ud)
{
	kube_job_controller *c = ud;
	char key[512];

	KUBE_UNUSED(inf);
	KUBE_UNUSED(unknown);
	obj_key(key, sizeof(key), job);
	kube_expectations_delete(c->exp, key);
}

/* ---- conditions ---- */

/* 1 when the Job has condition `type` with status True; *ltt (optional)
 * gets its lastTransitionTime. */
static int has_condition(const kube_object *job, const char *type, int64_t *ltt)
{
	size_t n = 0;
	char path[64];
	const char *v;

	if (kube_object_get_len(job, "status.conditions", &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "status.conditions[%zu].type", i);
		if (kube_object_get_string(job, path, &v) != 0 || !v || strcmp(v, type) != 0)
			continue;
		snprintf(path, sizeof(path), "status.conditions[%zu].status", i);
		if (kube_object_get_string(job, path, &v) != 0 || !v || strcmp(v, "True") != 0)
			continue;
		if (ltt) {
			snprintf(path, sizeof(path), "status.conditions[%zu].lastTransitionTime", i);
			*ltt = kube_object_get_string(job, path, &v) == 0 ? kube__rfc3339_ns(v) : 0;
		}
		return 1;
	}
	return 0;
}

/* ---- indexes ---- */

/* The completion index of a pod (annotation, as upstream reads it), or -1. */
static int64_t pod_index(const kube_object *pod, int64_t completions)
{
	const char *s = kube_object_annotation(pod, JOB_INDEX_KEY);
	char *end;
	long long v;

	if (!s || !*s || *s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end || v < 0 || v >= completions)
		return -1;
	return (int64_t)v;
}

/* The completedIndexes form, as upstream's orderedIntervals.String:
 * ascending, a run of three or more consecutive indexes as "first-last",
 * a run of two as "first,last": {1,3,4,5} is "1,3-5", {1,2} is "1,2". */
static char *format_indexes(const unsigned char *done, int64_t n)
{
	kube__buf b = KUBE__BUF_INIT;
	int first = 1;

	kube__buf_puts(&b, "");
	for (int64_t i = 0; i < n; i++) {
		int64_t j = i;
		if (!done[i])
			continue;
		while (j + 1 < n && done[j + 1])
			j++;
		if (!first)
			kube__buf_putc(&b, ',');
		first = 0;
		kube__buf_printf(&b, "%lld", (long long)i);
		if (j > i)
			kube__buf_printf(&b, "%c%lld", j == i + 1 ? ',' : '-', (long long)j);
		i = j;
	}
	if (b.failed) {
		kube__buf_free(&b);
		return NULL;
	}
	return kube__buf_detach(&b, NULL);
}

/* ---- pods ---- */

static char *pod_json(const kube_object *job, int64_t index)
{
	kube__buf b = KUBE__BUF_INIT;
	char *spec = NULL, *labels = NULL, *annotations = NULL, *finalizers = NULL;
	const char *name = kube_object_name(job), *uid = kube_object_uid(job);
	char idx[32];

	snprintf(idx, sizeof(idx), "%lld", (long long)index);
	kube_object_get_json(job, "spec.template.spec", &spec);
	kube_object_get_json(job, "spec.template.metadata.labels", &labels);
	kube_object_get_json(job, "spec.template.metadata.annotations", &annotations);
	kube_object_get_json(job, "spec.template.metadata.finalizers", &finalizers);
	kube__buf_puts(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":");
	kube__go_json_string(&b, kube_object_namespace(job), strlen(kube_object_namespace(job)));
	kube__buf_puts(&b, ",\"generateName\":\"");
	kube__buf_puts(&b, name);
	if (index >= 0)
		kube__buf_printf(&b, "-%s", idx);
	kube__buf_puts(&b, "-\"");
	if (labels)
		kube__buf_printf(&b, ",\"labels\":%s", labels);
	if (annotations)
		kube__buf_printf(&b, ",\"annotations\":%s", annotations);
	if (finalizers)
		kube__buf_printf(&b, ",\"finalizers\":%s", finalizers);
	kube__buf_printf(&b,
	                 ",\"ownerReferences\":[{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\","
	                 "\"name\":\"%s\",\"uid\":\"%s\",\"controller\":true,"
	                 "\"blockOwnerDeletion\":true}]},\"spec\":%s}",
	                 name, uid, spec ? spec : "{}");
	kube_free(spec);
	kube_free(labels);
	kube_free(annotations);
	kube_free(finalizers);
	if (b.failed) {
		kube__buf_free(&b);
		return NULL;
	}
	return kube__buf_detach(&b, NULL);
}

/*
 * The labels the API server puts on a Job's template (job-name and
 * controller-uid, both with and without the batch.kubernetes.io/ prefix),
 * which a Job written straight to the store lacks; for Indexed, the index
 * (annotation and label) and JOB_COMPLETION_INDEX in every container.
 */
static int decorate_pod(kube_object *pod, const kube_object *job, int64_t index)
{
	const char *name = kube_object_name(job), *uid = kube_object_uid(job);
	int rc;

	if ((rc = kube_object_set_label(pod, "batch.kubernetes.io/controller-uid", uid)) ||
	    (rc = kube_object_set_label(pod, "batch.kubernetes.io/job-name", name)) ||
	    (rc = kube_object_set_label(pod, "controller-uid", uid)) ||
	    (rc = kube_object_set_label(pod, "job-name", name)))
		return rc;
	if (index >= 0) {
		char idx[32], path[96];
		size_t n = 0;
		snprintf(idx, sizeof(idx), "%lld", (long long)index);
		if ((rc = kube_object_set_annotation(pod, JOB_INDEX_KEY, idx)) ||
		    (rc = kube_object_set_label(pod, JOB_INDEX_KEY, idx)))
			return rc;
		if (kube_object_get_len(pod, "spec.containers", &n) != 0)
			n = 0;
		for (size_t i = 0; i < n; i++) {
			size_t m = 0;
			snprintf(path, sizeof(path), "spec.containers[%zu].env", i);
			if (kube_object_get_len(pod, path, &m) != 0) {
				if ((rc = kube_object_set_json(pod, path, "[]")) != 0)
					return rc;
				m = 0;
			}
			snprintf(path, sizeof(path), "spec.containers[%zu].env[%zu]", i, m);
			rc = kube_object_set_json(pod, path,
			                          "{\"name\":\"JOB_COMPLETION_INDEX\",\"valueFrom\":"
			                          "{\"fieldRef\":{\"fieldPath\":\"metadata.annotations['"
			                          JOB_INDEX_KEY "']\"}}}");
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

static int create_pod(kube_job_controller *c, const kube_object *job, int64_t index)
{
	char *json = pod_json(job, index);
	int rc = KUBE_ERROR;

	if (!json)
		return kube__error_oom();
	for (int attempt = 0; attempt < 4; attempt++) {
		kube_object *pod = NULL;
		if ((rc = kube_object_from_json(&pod, json, strlen(json))) != 0)
			break;
		if ((rc = decorate_pod(pod, job, index)) != 0) {
			kube_object_unref(pod);
			break;
		}
		rc = kube_store_create_take(NULL, c->store, pod);
		if (rc != KUBE_EEXISTS)
			break;
	}
	kube_free(json);
	return rc;
}

typedef struct create_ctx {
	kube_job_controller *c;
	const kube_object *job;
	const char *key;
	const int64_t *indexes;   /* NULL: NonIndexed */
	int64_t next;
} create_ctx;

static int create_one(void *ud)
{
	create_ctx *cc = ud;
	int64_t index = cc->indexes ? cc->indexes[cc->next] : -1;
	int rc;

	cc->next++;
	rc = create_pod(cc->c, cc->job, index);
	if (rc != 0)
		kube_expectations_creation_observed(cc->c->exp, cc->key);
	return rc;
}

/* Deletes the pods listed, under deletion expectations.  Returns the first
 * error that is not NotFound. */
static int delete_pods(kube_job_controller *c, const char *key, kube_object **victims, size_t n)
{
	const char **keys;
	char (*kbuf)[512];
	int err = 0;

	if (n == 0)
		return 0;
	keys = kube_calloc(n, sizeof(*keys));
	kbuf = kube_calloc(n, sizeof(*kbuf));
	if (!keys || !kbuf) {
		kube_free(keys);
		kube_free(kbuf);
		return kube__error_oom();
	}
	for (size_t i = 0; i < n; i++) {
		obj_key(kbuf[i], sizeof(kbuf[i]), victims[i]);
		keys[i] = kbuf[i];
	}
	kube_expectations_expect_deletions(c->exp, key, keys, n);
	for (size_t i = 0; i < n; i++) {
		kube_delete_options o = KUBE_DELETE_OPTIONS_INIT;
		int rc;
		o.uid = kube_object_uid(victims[i]);
		rc = kube_store_delete(NULL, c->store, "pods", kube_object_namespace(victims[i]),
		                       kube_object_name(victims[i]), &o);
		if (rc != 0) {
			kube_expectations_deletion_observed(c->exp, key, keys[i]);
			if (rc != KUBE_ENOTFOUND && !err)
				err = rc;
		}
	}
	kube_free(keys);
	kube_free(kbuf);
	return err;
}

/* Which active pods go first when there are too many: unscheduled, then
 * not ready, then the newest (a short form of upstream's ActivePods). */
static int victim_cmp(const void *a, const void *b)
{
	const kube_object *x = *(kube_object *const *)a, *y = *(kube_object *const *)b;
	const char *nx = NULL, *ny = NULL;
	int ax = kube_object_get_string(x, "spec.nodeName", &nx) == 0 && nx && *nx;
	int ay = kube_object_get_string(y, "spec.nodeName", &ny) == 0 && ny && *ny;
	int rx = kube__pod_ready(x, NULL), ry = kube__pod_ready(y, NULL);
	int64_t cx = kube__rfc3339_ns(kube_object_creation_timestamp(x));
	int64_t cy = kube__rfc3339_ns(kube_object_creation_timestamp(y));

	if (ax != ay)
		return ax - ay;
	if (rx != ry)
		return rx - ry;
	if (cx != cy)
		return cx > cy ? -1 : 1;
	return strcmp(kube_object_name(y), kube_object_name(x));
}

/* ---- status ---- */

typedef struct job_status {
	int64_t active, succeeded, failed, ready;
	char start[32];              /* "" = leave */
	char now[32];
	const char *completed_indexes;   /* NULL = not Indexed */
	const char *cond_type, *reason, *message;   /* a condition to add */
	int complete;
} job_status;

static int set_or_remove_int(kube_object *o, const char *path, int64_t v)
{
	int rc;
	if (v == 0) {
		rc = kube_object_remove(o, path);
		return rc == KUBE_ENOTFOUND ? 0 : rc;
	}
	return kube_object_set_int(o, path, v);
}

static int add_condition(kube_object *job, const char *type, const job_status *s)
{
	kube__buf b = KUBE__BUF_INIT;
	size_t n = 0;
	char path[64];
	int rc = 0;

	kube__buf_printf(&b, "{\"type\":\"%s\",\"status\":\"True\",\"lastProbeTime\":\"%s\","
	                     "\"lastTransitionTime\":\"%s\",\"reason\":\"%s\",\"message\":",
	                 type, s->now, s->now, s->reason);
	kube__go_json_string(&b, s->message, strlen(s->message));
	kube__buf_putc(&b, '}');
	if (b.failed) {
		kube__buf_free(&b);
		return kube__error_oom();
	}
	if (kube_object_get_len(job, "status.conditions", &n) != 0) {
		rc = kube_object_set_json(job, "status.conditions", "[]");
		n = 0;
	}
	snprintf(path, sizeof(path), "status.conditions[%zu]", n);
	if (rc == 0)
		rc = kube_object_set_json(job, path, b.data);
	kube__buf_free(&b);
	return rc;
}

static int status_mutate(kube_object *job, void *ud)
{
	job_status *s = ud;
	int rc;

	if ((rc = set_or_remove_int(job, "status.active", s->active)) ||
	    (rc = set_or_remove_int(job, "status.succeeded", s->succeeded)) ||
	    (rc = set_or_remove_int(job, "status.failed", s->failed)) ||
	    (rc = kube_object_set_int(job, "status.ready", s->ready)))
		return rc;
	if (s->start[0] && (rc = kube_object_set_string(job, "status.startTime", s->start)))
		return rc;
	if (s->completed_indexes) {
		if (s->completed_indexes[0])
			rc = kube_object_set_string(job, "status.completedIndexes", s->completed_indexes);
		else if ((rc = kube_object_remove(job, "status.completedIndexes")) == KUBE_ENOTFOUND)
			rc = 0;
		if (rc)
			return rc;
	}
	if (s->cond_type && !has_condition(job, s->cond_type, NULL)) {
		/* upstream writes the interim condition (SuccessCriteriaMet,
		 * FailureTarget) before the final one, with the same reason */
		const char *interim = s->complete ? "SuccessCriteriaMet" : "FailureTarget";
		if (!has_condition(job, interim, NULL) && (rc = add_condition(job, interim, s)) != 0)
			return rc;
		if ((rc = add_condition(job, s->cond_type, s)) != 0)
			return rc;
		if (s->complete)
			rc = kube_object_set_string(job, "status.completionTime", s->now);
	}
	return rc;
}

static int status_changed(const kube_object *job, const job_status *s)
{
	const char *ci = NULL;

	if (kube__get_int_or(job, "status.active", 0) != s->active ||
	    kube__get_int_or(job, "status.succeeded", 0) != s->succeeded ||
	    kube__get_int_or(job, "status.failed", 0) != s->failed ||
	    kube__get_int_or(job, "status.ready", -1) != s->ready || s->start[0] || s->cond_type)
		return 1;
	if (s->completed_indexes) {
		if (kube_object_get_string(job, "status.completedIndexes", &ci) != 0 || !ci)
			ci = "";
		return strcmp(ci, s->completed_indexes) != 0;
	}
	return 0;
}

/* ---- TTL after finished ---- */

static int sync_finished(kube_job_controller *c, const kube_object *job, int64_t *after)
{
	int64_t ttl = kube__get_int_or(job, "spec.ttlSecondsAfterFinished", -1), finish = 0, now;
	const char *ct = NULL;
	kube_delete_options o = KUBE_DELETE_OPTIONS_INIT;
	int rc;

	if (ttl < 0 || kube_object_deletion_timestamp(job))
		return 0;
	if (kube_object_get_string(job, "status.completionTime", &ct) == 0 && ct)
		finish = kube__rfc3339_ns(ct);
	if (!finish && !has_condition(job, "Complete", &finish))
		has_condition(job, "Failed", &finish);
	if (!finish)
		return 0;
	now = now_ns(c);
	if (now < finish + ttl * KUBE__NS_PER_SEC) {
		*after = finish + ttl * KUBE__NS_PER_SEC - now;
		return 0;
	}
	o.uid = kube_object_uid(job);
	rc = kube_store_delete(NULL, c->store, "jobs", kube_object_namespace(job),
	                       kube_object_name(job), &o);
	return rc == KUBE_ENOTFOUND || rc == KUBE_ECONFLICT ? 0 : rc;
}

/* ---- sync ---- */

static int sync_job(kube_controller *runner, const char *key, int64_t *after, void *ud)
{
	kube_job_controller *c = ud;
	kube_object *job = NULL;
	kube_object_list *all = NULL;
	kube_object **active = NULL;
	size_t nactive = 0;
	char *ns = NULL, *name = NULL, *indexes_str = NULL;
	unsigned char *done = NULL, *running = NULL;
	int64_t *to_create = NULL;
	int64_t parallelism, completions, backoff, ads, now, start, want;
	int has_completions, indexed, rc, manage_err = 0;
	const char *mode = NULL, *st = NULL;
	job_status s;

	KUBE_UNUSED(runner);
	if (kube_cache_key_split(&ns, &name, key) != 0)
		return 0;
	job = kube_informer_get(c->jobs, ns, name);
	if (!job) {
		kube_expectations_delete(c->exp, key);
		rc = 0;
		goto out;
	}
	job = kube_object_ref(job);
	if (has_condition(job, "Complete", NULL) || has_condition(job, "Failed", NULL)) {
		rc = sync_finished(c, job, after);
		goto out;
	}
	memset(&s, 0, sizeof(s));
	now = now_ns(c);
	kube__format_rfc3339(now, s.now);
	/* defaults as the API server sets them: both unset -> 1 and 1 */
	has_completions = kube_object_get_int(job, "spec.completions", &completions) == 0;
	if (kube_object_get_string(job, "spec.completionMode", &mode) != 0)
		mode = NULL;
	if (kube_object_get_int(job, "spec.parallelism", &parallelism) != 0) {
		parallelism = 1;
		if (!has_completions) {
			has_completions = 1;
			completions = 1;
		}
	}
	if ((has_completions && completions < 0) || parallelism < 0 ||
	    (has_completions && completions > 100000 && mode && strcmp(mode, "Indexed") == 0)) {
		/* the API server refuses these (Indexed: completions <= 10^5) */
		KUBE_LOG(KUBE_LOG_WARN, "job", "%s: invalid completions or parallelism", key);
		rc = 0;
		goto out;
	}
	backoff = kube__get_int_or(job, "spec.backoffLimit", 6);
	indexed = mode && strcmp(mode, "Indexed") == 0 && has_completions;
	ads = kube__get_int_or(job, "spec.activeDeadlineSeconds", -1);

	if (kube_object_get_string(job, "status.startTime", &st) == 0 && st && *st) {
		start = kube__rfc3339_ns(st);
	} else {
		start = now;
		memcpy(s.start, s.now, sizeof(s.start));
	}

	if ((rc = kube_informer_list(&all, c->pods, ns, NULL)) != 0)
		goto out;
	active = kube_calloc(kube_object_list_count(all) + 1, sizeof(*active));
	if (indexed) {
		done = kube_calloc((size_t)completions + 1, 1);
		running = kube_calloc((size_t)completions + 1, 1);
		to_create = kube_calloc((size_t)completions + 1, sizeof(*to_create));
	}
	if (!active || (indexed && (!done || !running || !to_create))) {
		rc = kube__error_oom();
		goto out;
	}
	for (size_t i = 0; i < kube_object_list_count(all); i++) {
		kube_object *p = kube_object_list_get(all, i);
		kube_owner_ref ref;
		const char *phase;
		if (kube_object_controller_ref(p, &ref) != 0 || !ref.uid ||
		    strcmp(ref.uid, kube_object_uid(job)) != 0)
			continue;
		phase = kube__pod_phase(p);
		if (strcmp(phase, "Succeeded") == 0) {
			if (indexed) {
				int64_t ix = pod_index(p, completions);
				if (ix >= 0)
					done[ix] = 1;
			} else {
				s.succeeded++;
			}
		} else if (strcmp(phase, "Failed") == 0) {
			s.failed++;
		} else if (kube__pod_active(p)) {
			active[nactive++] = p;
			if (kube__pod_ready(p, NULL))
				s.ready++;
			if (indexed) {
				int64_t ix = pod_index(p, completions);
				if (ix >= 0)
					running[ix] = 1;
			}
		}
	}
	if (indexed) {
		for (int64_t i = 0; i < completions; i++)
			s.succeeded += done[i];
		if (!(indexes_str = format_indexes(done, completions))) {
			rc = kube__error_oom();
			goto out;
		}
		s.completed_indexes = indexes_str;
	}

	if (ads >= 0 && now - start >= ads * KUBE__NS_PER_SEC) {
		s.cond_type = "Failed";
		s.reason = "DeadlineExceeded";
		s.message = "Job was active longer than specified deadline";
	} else if (s.failed > backoff) {
		s.cond_type = "Failed";
		s.reason = "BackoffLimitExceeded";
		s.message = "Job has reached the specified backoff limit";
	} else if (has_completions ? s.succeeded >= completions : (s.succeeded > 0 && nactive == 0)) {
		s.cond_type = "Complete";
		s.reason = "CompletionsReached";
		s.message = "Reached expected number of succeeded pods";
		s.complete = 1;
	}

	if (s.cond_type) {
		/* a finished Job keeps nothing running; the deleted pods of a
		 * failed one count as failed (upstream: failed += active) */
		manage_err = delete_pods(c, key, active, nactive);
		if (!s.complete)
			s.failed += (int64_t)nactive;
		s.active = 0;
		s.ready = 0;
	} else if (kube_expectations_satisfied(c->exp, key) && !kube_object_deletion_timestamp(job)) {
		int64_t n = 0;
		if (indexed) {
			want = parallelism;
			if (want > completions - s.succeeded)
				want = completions - s.succeeded;
			for (int64_t i = 0; i < completions && (int64_t)nactive + n < want; i++)
				if (!done[i] && !running[i])
					to_create[n++] = i;
		} else if (has_completions) {
			want = completions - s.succeeded;
			if (want > parallelism)
				want = parallelism;
			n = want - (int64_t)nactive;
		} else {
			/* after a success, what runs is left running: nothing new */
			want = s.succeeded > 0 ? (int64_t)nactive : parallelism;
			n = want - (int64_t)nactive;
		}
		if (n > (int64_t)c->burst)
			n = c->burst;
		if (n > 0) {
			create_ctx cc = { c, job, key, indexed ? to_create : NULL, 0 };
			int64_t attempted = 0, made;
			kube_expectations_expect_creations(c->exp, key, n);
			made = kube__slow_start_batch(n, 1, create_one, &cc, &manage_err, &attempted);
			for (int64_t i = attempted; i < n; i++)
				kube_expectations_creation_observed(c->exp, key);
			s.active = (int64_t)nactive + made;
			if (manage_err)
				KUBE_LOG(KUBE_LOG_WARN, "job", "%s: created %lld of %lld pods: %s", key,
				         (long long)made, (long long)n, kube_strerror(manage_err));
		} else if ((int64_t)nactive > want && !indexed) {
			size_t extra = nactive - (size_t)want;
			if (extra > c->burst)
				extra = c->burst;
			qsort(active, nactive, sizeof(*active), victim_cmp);
			manage_err = delete_pods(c, key, active, extra);
			s.active = (int64_t)(nactive - extra);
		} else {
			s.active = (int64_t)nactive;
		}
	} else {
		s.active = (int64_t)nactive;
	}

	rc = 0;
	if (status_changed(job, &s))
		rc = kube_store_guaranteed_update(NULL, c->store, "jobs", ns, name, status_mutate, &s);
	if (rc == 0 && manage_err)
		rc = manage_err;
	if (rc == 0 && !s.cond_type && ads >= 0)
		*after = start + ads * KUBE__NS_PER_SEC - now;
	if (rc == 0 && s.cond_type && !s.complete)
		KUBE_LOG(KUBE_LOG_INFO, "job", "%s failed: %s", key, s.reason);
out:
	kube_object_list_free(all);
	kube_free(active);
	kube_free(done);
	kube_free(running);
	kube_free(to_create);
	kube_free(indexes_str);
	kube_object_unref(job);
	kube_free(ns);
	kube_free(name);
	return rc;
}

/* ---- life cycle ---- */

int kube_job_controller_new(kube_job_controller **out, kube_informer_factory *f,
                            kube_store *store, const kube_workload_controller_options *opts)
{
	kube__workload_setup setup;
	kube_job_controller *c;
	kube_informer_handlers ph = { KUBE_INFORMER_HANDLERS_VERSION, on_pod_add, on_pod_update,
	                              on_pod_delete };
	kube_informer_handlers jh = { KUBE_INFORMER_HANDLERS_VERSION, on_job_add, on_job_update,
	                              on_job_delete };
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(f);
	KUBE_CHECK_ARG(store);
	if ((rc = kube__workload_setup_init(&setup, opts, "kube_job_controller_new", "job", 1)) != 0)
		return rc;
	if (!(c = kube_calloc(1, sizeof(*c))))
		return kube__error_oom();
	c->store = store;
	c->burst = setup.opts->burst_replicas;
	c->clock = setup.clock;
	c->clock_userdata = setup.clock_userdata;
	if ((rc = kube_informer_factory_get(&c->pods, f, "pods")) != 0 ||
	    (rc = kube_informer_factory_get(&c->jobs, f, "jobs")) != 0 ||
	    (rc = kube_expectations_new(&c->exp, setup.opts->clock,
	                                setup.opts->clock_userdata)) != 0 ||
	    (rc = kube_controller_new(&c->runner, kube__informer_loop(c->pods), &setup.runner,
	                              sync_job, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->jobs_h, c->jobs, &jh, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->pods_h, c->pods, &ph, c, NULL)) != 0 ||
	    (rc = kube_controller_start(c->runner)) != 0) {
		kube_job_controller_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void kube_job_controller_free(kube_job_controller *c)
{
	if (!c)
		return;
	if (c->pods_h)
		kube_informer_remove_handler(c->pods, c->pods_h);
	if (c->jobs_h)
		kube_informer_remove_handler(c->jobs, c->jobs_h);
	kube_controller_free(c->runner);
	kube_expectations_free(c->exp);
	kube_free(c);
}

kube_controller *kube_job_controller_runner(kube_job_controller *c)
{
	return c ? c->runner : NULL;
}
