/*
 * cronjob.c - the CronJob controller, as upstream's
 * pkg/controller/cronjob (the v2 controller, which requeues each CronJob
 * for its next scheduled time instead of polling every 10 s).
 *
 * One sync of a CronJob ("ns/name"):
 *
 *   1. its Jobs are those whose controllerRef is the CronJob (by uid);
 *      status.active lists the unfinished ones (not Complete/Failed, not
 *      being deleted), lastSuccessfulTime follows the newest completionTime
 *      of a Complete one;
 *   2. finished Jobs beyond the history limits (successfulJobsHistoryLimit
 *      3, failedJobsHistoryLimit 1) are deleted, oldest status.startTime
 *      first (a Job without one counts as the newest, ties by name);
 *   3. a CronJob being deleted, suspended, with an unknown time zone or an
 *      unparsable schedule starts nothing and is not requeued (it is
 *      synced again when it changes);
 *   4. the most recent unmet schedule time is the last activation after
 *      max(lastScheduleTime or creationTimestamp, now -
 *      startingDeadlineSeconds) and not after now; more than 100 of them
 *      in between is logged ("too many missed start times") and the most
 *      recent one is still taken, as upstream's v2; none: requeued for the
 *      next activation;
 *   5. too late (scheduled + startingDeadlineSeconds < now): skipped;
 *      a Job of that time already exists: nothing; Forbid with an active
 *      Job: skipped; Replace: the active Jobs are deleted first;
 *   6. the Job "<cronjob>-<scheduled time in minutes since the epoch>" is
 *      made from spec.jobTemplate (labels, annotations, spec), with the
 *      annotation batch.kubernetes.io/cronjob-scheduled-timestamp, and a
 *      controllerRef to the CronJob; status.lastScheduleTime becomes the
 *      scheduled time; requeued for the next activation (+100 ms, as
 *      upstream, so the clock has passed it).
 *
 * Time zones: spec.timeZone may name UTC (or its aliases); any other zone
 * is treated as upstream treats an unknown one (nothing is scheduled), as
 * libkube reads no tz database yet.  The CronJob's events (upstream's
 * recorder) are log lines here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers_private.h"

#define SCHEDULED_TS "batch.kubernetes.io/cronjob-scheduled-timestamp"

struct kube_cronjob_controller {
	kube_store *store;
	kube_informer *jobs, *cronjobs;
	kube_informer_handler *jobs_h, *cronjobs_h;
	kube_controller *runner;
	kube_clock_cb clock;
	void *clock_userdata;
};

/* The CronJob named by a Job's controllerRef (cached, same uid), or NULL. */
static kube_object *resolve_ref(const kube_cronjob_controller *c, const kube_object *job)
{
	kube_owner_ref ref;
	kube_object *cj;

	if (kube_object_controller_ref(job, &ref) != 0 || !ref.kind ||
	    strcmp(ref.kind, "CronJob") != 0 || !ref.name || !ref.uid)
		return NULL;
	cj = kube_informer_get(c->cronjobs, kube_object_namespace(job), ref.name);
	if (!cj || !kube_object_uid(cj) || strcmp(kube_object_uid(cj), ref.uid) != 0)
		return NULL;
	return cj;
}

static void on_job(kube_informer *inf, kube_object *job, int flag, void *ud)
{
	kube_cronjob_controller *c = ud;
	kube_object *cj = resolve_ref(c, job);

	KUBE_UNUSED(inf);
	KUBE_UNUSED(flag);
	if (cj)
		kube_controller_enqueue_object(c->runner, cj);
}

static void on_job_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	KUBE_UNUSED(old);
	on_job(inf, cur, 0, ud);
}

static void on_cronjob(kube_informer *inf, kube_object *cj, int flag, void *ud)
{
	kube_cronjob_controller *c = ud;

	KUBE_UNUSED(inf);
	KUBE_UNUSED(flag);
	kube_controller_enqueue_object(c->runner, cj);
}

static void on_cronjob_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	KUBE_UNUSED(old);
	on_cronjob(inf, cur, 0, ud);
}

/* ---- Jobs ---- */

/* "Complete", "Failed" (a condition with status True), or NULL. */
static const char *job_finished(const kube_object *job)
{
	size_t n = 0;
	char path[64];
	const char *t, *s;

	if (kube_object_get_len(job, "status.conditions", &n) != 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "status.conditions[%zu].type", i);
		if (kube_object_get_string(job, path, &t) != 0 || !t ||
		    (strcmp(t, "Complete") != 0 && strcmp(t, "Failed") != 0))
			continue;
		snprintf(path, sizeof(path), "status.conditions[%zu].status", i);
		if (kube_object_get_string(job, path, &s) == 0 && s && strcmp(s, "True") == 0)
			return t;
	}
	return NULL;
}

static int64_t time_at(const kube_object *o, const char *path)
{
	const char *s = NULL;
	return kube_object_get_string(o, path, &s) == 0 ? kube__rfc3339_ns(s) : 0;
}

/* byJobStartTime: started before first; no startTime counts as newest;
 * ties by name. */
static int by_start_time(const void *a, const void *b)
{
	const kube_object *x = *(kube_object *const *)a, *y = *(kube_object *const *)b;
	int64_t sx = time_at(x, "status.startTime"), sy = time_at(y, "status.startTime");

	if (sx != sy) {
		if (!sx || !sy)
			return sx ? -1 : 1;
		return sx < sy ? -1 : 1;
	}
	return strcmp(kube_object_name(x), kube_object_name(y));
}

/* Job names of one CronJob differ only in their minutes: shorter is older. */
static int by_name(const void *a, const void *b)
{
	const char *x = kube_object_name(*(kube_object *const *)a);
	const char *y = kube_object_name(*(kube_object *const *)b);
	size_t lx = strlen(x), ly = strlen(y);

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x, y);
}

static int delete_job(kube_cronjob_controller *c, const kube_object *job)
{
	kube_delete_options o = KUBE_DELETE_OPTIONS_INIT;
	int rc;

	o.uid = kube_object_uid(job);
	rc = kube_store_delete(NULL, c->store, "jobs", kube_object_namespace(job),
	                       kube_object_name(job), &o);
	return rc == KUBE_ENOTFOUND || rc == KUBE_ECONFLICT ? 0 : rc;
}

/* Deletes the oldest of `jobs` beyond `limit`. */
static int remove_oldest(kube_cronjob_controller *c, kube_object **jobs, size_t n, int64_t limit)
{
	int err = 0;

	if (limit < 0 || (int64_t)n <= limit)
		return 0;
	qsort(jobs, n, sizeof(*jobs), by_start_time);
	for (size_t i = 0; i < n - (size_t)limit; i++) {
		int rc = delete_job(c, jobs[i]);
		if (rc && !err)
			err = rc;
	}
	return err;
}

static char *job_json(const kube_object *cj, const char *name)
{
	kube__buf b = KUBE__BUF_INIT;
	char *spec = NULL, *labels = NULL, *annotations = NULL;

	kube_object_get_json(cj, "spec.jobTemplate.spec", &spec);
	kube_object_get_json(cj, "spec.jobTemplate.metadata.labels", &labels);
	kube_object_get_json(cj, "spec.jobTemplate.metadata.annotations", &annotations);
	kube__buf_puts(&b, "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"namespace\":");
	kube__go_json_string(&b, kube_object_namespace(cj), strlen(kube_object_namespace(cj)));
	kube__buf_puts(&b, ",\"name\":");
	kube__go_json_string(&b, name, strlen(name));
	if (labels)
		kube__buf_printf(&b, ",\"labels\":%s", labels);
	if (annotations)
		kube__buf_printf(&b, ",\"annotations\":%s", annotations);
	kube__buf_printf(&b,
	                 ",\"ownerReferences\":[{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\","
	                 "\"name\":\"%s\",\"uid\":\"%s\",\"controller\":true,"
	                 "\"blockOwnerDeletion\":true}]},\"spec\":%s}",
	                 kube_object_name(cj), kube_object_uid(cj), spec ? spec : "{}");
	kube_free(spec);
	kube_free(labels);
	kube_free(annotations);
	if (b.failed) {
		kube__buf_free(&b);
		return NULL;
	}
	return kube__buf_detach(&b, NULL);
}

/* ---- schedule ---- */

static int utc_zone(const char *tz)
{
	static const char *const utc[] = { "UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu",
		                           "Etc/Zulu", "GMT", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0",
		                           "Etc/GMT-0", "GMT0", "GMT+0", "GMT-0", "Etc/Greenwich",
		                           "Greenwich", "UCT", "Etc/UCT", NULL };
	if (!tz || !*tz)
		return 1;
	for (int i = 0; utc[i]; i++)
		if (strcmp(tz, utc[i]) == 0)
			return 1;
	return 0;
}

/*
 * mostRecentScheduleTime: the last activation in (earliest, now], 0 when
 * none; *missed gets about how many there were (upstream's estimate from
 * the interval between the first two, exact for regular schedules).
 * Returns -1 for a schedule whose two first activations are less than a
 * second apart or that never fires again.
 */
static int most_recent(const kube_cron_schedule *s, int64_t earliest, int64_t now,
                       int64_t *out, int64_t *missed)
{
	int64_t t1 = kube_cron_schedule_next(s, earliest), t2, interval, n, from;

	*out = 0;
	*missed = 0;
	if (t1 == 0 || now < t1)
		return 0;
	t2 = kube_cron_schedule_next(s, t1);
	if (t2 == 0 || now < t2) {
		*out = t1;
		*missed = 1;
		return 0;
	}
	interval = (t2 - t1 + KUBE__NS_PER_SEC / 2) / KUBE__NS_PER_SEC;
	if (interval < 1)
		return -1;
	n = (now - t1) / KUBE__NS_PER_SEC / interval + 1;
	*missed = n;
	/* jump close to now, then let the schedule walk the rest (irregular
	 * schedules such as "30 6-16/4 * * 1-5" need the walk) */
	from = t1 + (n - 2) * interval * KUBE__NS_PER_SEC;
	if (from < earliest)
		from = earliest;
	for (int64_t t = kube_cron_schedule_next(s, from); t != 0 && t <= now;
	     t = kube_cron_schedule_next(s, t))
		*out = t;
	return 0;
}

/* ---- status ---- */

typedef struct cj_status {
	char *active_json;        /* "[...]" or NULL for none */
	char last_schedule[32];   /* "" = leave */
	char last_success[32];    /* "" = leave */
} cj_status;

static int status_mutate(kube_object *cj, void *ud)
{
	cj_status *s = ud;
	int rc = 0;

	if (s->active_json)
		rc = kube_object_set_json(cj, "status.active", s->active_json);
	else if ((rc = kube_object_remove(cj, "status.active")) == KUBE_ENOTFOUND)
		rc = 0;
	if (!rc && s->last_schedule[0])
		rc = kube_object_set_string(cj, "status.lastScheduleTime", s->last_schedule);
	if (!rc && s->last_success[0])
		rc = kube_object_set_string(cj, "status.lastSuccessfulTime", s->last_success);
	return rc;
}

static char *active_refs(kube_object **active, size_t n)
{
	kube__buf b = KUBE__BUF_INIT;

	if (n == 0)
		return NULL;
	qsort(active, n, sizeof(*active), by_name);
	kube__buf_putc(&b, '[');
	for (size_t i = 0; i < n; i++)
		kube__buf_printf(&b, "%s{\"kind\":\"Job\",\"namespace\":\"%s\",\"name\":\"%s\","
		                     "\"uid\":\"%s\",\"apiVersion\":\"batch/v1\"}",
		                 i ? "," : "", kube_object_namespace(active[i]),
		                 kube_object_name(active[i]), kube_object_uid(active[i]));
	kube__buf_putc(&b, ']');
	if (b.failed) {
		kube__buf_free(&b);
		return NULL;
	}
	return kube__buf_detach(&b, NULL);
}

/* ---- sync ---- */

static int sync_cronjob(kube_controller *runner, const char *key, int64_t *after, void *ud)
{
	kube_cronjob_controller *c = ud;
	kube_object *cj = NULL, *created = NULL;
	kube_object_list *all = NULL;
	kube_object **active = NULL, **succeeded = NULL, **failed = NULL;
	size_t na = 0, ns_ = 0, nf = 0;
	kube_cron_schedule *sched = NULL;
	char *ns = NULL, *name = NULL, *json = NULL;
	const char *schedule = NULL, *tz = NULL, *policy = NULL;
	int64_t now, last_success = 0, earliest, scheduled, missed, sds;
	int rc = 0, suspend = 0, err = 0;
	cj_status s;
	char *cur_active = NULL;

	KUBE_UNUSED(runner);
	memset(&s, 0, sizeof(s));
	if (kube_cache_key_split(&ns, &name, key) != 0)
		return 0;
	cj = kube_informer_get(c->cronjobs, ns, name);
	if (!cj)
		goto out;
	cj = kube_object_ref(cj);
	now = c->clock(c->clock_userdata);

	/* 1. the Jobs */
	if ((rc = kube_informer_list(&all, c->jobs, ns, NULL)) != 0)
		goto out;
	active = kube_calloc(kube_object_list_count(all) + 2, sizeof(*active));
	succeeded = kube_calloc(kube_object_list_count(all) + 1, sizeof(*succeeded));
	failed = kube_calloc(kube_object_list_count(all) + 1, sizeof(*failed));
	if (!active || !succeeded || !failed) {
		rc = kube__error_oom();
		goto out;
	}
	for (size_t i = 0; i < kube_object_list_count(all); i++) {
		kube_object *j = kube_object_list_get(all, i);
		kube_owner_ref ref;
		const char *fin;
		if (kube_object_controller_ref(j, &ref) != 0 || !ref.uid ||
		    strcmp(ref.uid, kube_object_uid(cj)) != 0 || kube_object_deletion_timestamp(j))
			continue;
		fin = job_finished(j);
		if (!fin) {
			active[na++] = j;
		} else if (strcmp(fin, "Complete") == 0) {
			int64_t ct = time_at(j, "status.completionTime");
			succeeded[ns_++] = j;
			if (ct > last_success)
				last_success = ct;
		} else {
			failed[nf++] = j;
		}
	}
	if (last_success > time_at(cj, "status.lastSuccessfulTime"))
		kube__format_rfc3339(last_success, s.last_success);

	/* 2. history */
	err = remove_oldest(c, succeeded, ns_,
	                    kube__get_int_or(cj, "spec.successfulJobsHistoryLimit", 3));
	rc = remove_oldest(c, failed, nf, kube__get_int_or(cj, "spec.failedJobsHistoryLimit", 1));
	if (rc && !err)
		err = rc;
	rc = 0;

	/* 3. nothing to start */
	kube_object_get_bool(cj, "spec.suspend", &suspend);
	kube_object_get_string(cj, "spec.timeZone", &tz);
	if (kube_object_deletion_timestamp(cj) || suspend)
		goto status;
	if (!utc_zone(tz)) {
		KUBE_LOG(KUBE_LOG_WARN, "cronjob", "%s: UnknownTimeZone: invalid timeZone: \"%s\": "
		         "unknown time zone %s", key, tz, tz);
		goto status;
	}
	if (kube_object_get_string(cj, "spec.schedule", &schedule) != 0 || !schedule ||
	    kube_cron_schedule_parse(&sched, schedule) != 0) {
		KUBE_LOG(KUBE_LOG_WARN, "cronjob", "%s: UnparseableSchedule: %s", key,
		         kube_error_last() ? kube_error_last()->message : "no spec.schedule");
		goto status;
	}

	/* 4. the most recent unmet time */
	earliest = time_at(cj, "status.lastScheduleTime");
	if (!earliest)
		earliest = kube__rfc3339_ns(kube_object_creation_timestamp(cj));
	sds = kube__get_int_or(cj, "spec.startingDeadlineSeconds", -1);
	if (sds >= 0 && now - sds * KUBE__NS_PER_SEC > earliest)
		earliest = now - sds * KUBE__NS_PER_SEC;
	if (most_recent(sched, earliest, now, &scheduled, &missed) != 0) {
		KUBE_LOG(KUBE_LOG_WARN, "cronjob", "%s: InvalidSchedule: invalid schedule: %s: time "
		         "difference between two schedules is less than 1 second", key, schedule);
		goto status;
	}
	if (missed > 100)
		KUBE_LOG(KUBE_LOG_WARN, "cronjob", "%s: TooManyMissedTimes: too many missed start "
		         "times: %lld. Set or decrease .spec.startingDeadlineSeconds or check clock "
		         "skew", key, (long long)missed);
	{
		int64_t next = kube_cron_schedule_next(sched, now);
		if (next)
			*after = next - now + KUBE__NS_PER_SEC / 10;
	}
	if (!scheduled)
		goto status;

	/* 5. too late, already made, or not allowed */
	if (sds >= 0 && scheduled + sds * KUBE__NS_PER_SEC < now) {
		char ts[32];
		kube__format_rfc3339(scheduled, ts);
		KUBE_LOG(KUBE_LOG_INFO, "cronjob", "%s: MissSchedule: Missed scheduled time to start a "
		         "job: %s", key, ts);
		goto status;
	}
	{
		char jname[300], ts[32];
		snprintf(jname, sizeof(jname), "%s-%lld", name,
		         (long long)(scheduled / KUBE__NS_PER_SEC / 60));
		kube__format_rfc3339(scheduled, ts);
		if (kube_informer_get(c->jobs, ns, jname)) {
			/* made, but the status write was lost: record it now */
			if (time_at(cj, "status.lastScheduleTime") < scheduled)
				memcpy(s.last_schedule, ts, sizeof(ts));
			goto status;
		}
		kube_object_get_string(cj, "spec.concurrencyPolicy", &policy);
		if (policy && strcmp(policy, "Forbid") == 0 && na > 0) {
			KUBE_LOG(KUBE_LOG_INFO, "cronjob", "%s: JobAlreadyActive: Not starting job "
			         "because prior execution is running and concurrency policy is Forbid",
			         key);
			goto status;
		}
		if (policy && strcmp(policy, "Replace") == 0) {
			for (size_t i = 0; i < na; i++)
				if ((rc = delete_job(c, active[i])) != 0)
					goto out;
			na = 0;
		}
		/* 6. the Job */
		if (!(json = job_json(cj, jname))) {
			rc = kube__error_oom();
			goto out;
		}
		{
			kube_object *o = NULL;
			if ((rc = kube_object_from_json(&o, json, strlen(json))) != 0)
				goto out;
			if ((rc = kube_object_set_annotation(o, SCHEDULED_TS, ts)) != 0) {
				kube_object_unref(o);
				goto out;
			}
			rc = kube_store_create_take(&created, c->store, o);
		}
		if (rc == KUBE_EEXISTS) {
			rc = 0;   /* made already: the informer has not seen it yet */
		} else if (rc != 0) {
			KUBE_LOG(KUBE_LOG_WARN, "cronjob", "%s: FailedCreate: Error creating job: %s", key,
			         kube_error_last() ? kube_error_last()->message : kube_strerror(rc));
			goto out;
		} else {
			active[na++] = created;
		}
		memcpy(s.last_schedule, ts, sizeof(ts));
	}

status:
	s.active_json = active_refs(active, na);
	if (na && !s.active_json) {
		rc = kube__error_oom();
		goto out;
	}
	if (kube_object_get_json(cj, "status.active", &cur_active) != 0)
		cur_active = NULL;
	if (s.last_schedule[0] || s.last_success[0] ||
	    (s.active_json == NULL) != (cur_active == NULL) ||
	    (s.active_json && strcmp(s.active_json, cur_active) != 0))
		rc = kube_store_guaranteed_update(NULL, c->store, "cronjobs", ns, name, status_mutate,
		                                  &s);
	if (rc == 0)
		rc = err;
out:
	kube_free(cur_active);
	kube_free(s.active_json);
	kube_free(json);
	kube_cron_schedule_free(sched);
	kube_object_unref(created);
	kube_object_list_free(all);
	kube_free(active);
	kube_free(succeeded);
	kube_free(failed);
	kube_object_unref(cj);
	kube_free(ns);
	kube_free(name);
	return rc;
}

/* ---- life cycle ---- */

int kube_cronjob_controller_new(kube_cronjob_controller **out, kube_informer_factory *f,
                                kube_store *store, const kube_workload_controller_options *opts)
{
	kube__workload_setup setup;
	kube_cronjob_controller *c;
	kube_informer_handlers jh = { KUBE_INFORMER_HANDLERS_VERSION, on_job, on_job_update, on_job };
	kube_informer_handlers ch = { KUBE_INFORMER_HANDLERS_VERSION, on_cronjob, on_cronjob_update,
	                              on_cronjob };
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(f);
	KUBE_CHECK_ARG(store);
	if ((rc = kube__workload_setup_init(&setup, opts, "kube_cronjob_controller_new", "cronjob",
	                                    0)) != 0)
		return rc;
	if (!(c = kube_calloc(1, sizeof(*c))))
		return kube__error_oom();
	c->store = store;
	c->clock = setup.clock;
	c->clock_userdata = setup.clock_userdata;
	if ((rc = kube_informer_factory_get(&c->jobs, f, "jobs")) != 0 ||
	    (rc = kube_informer_factory_get(&c->cronjobs, f, "cronjobs")) != 0 ||
	    (rc = kube_controller_new(&c->runner, kube__informer_loop(c->jobs), &setup.runner,
	                              sync_cronjob, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->cronjobs_h, c->cronjobs, &ch, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->jobs_h, c->jobs, &jh, c, NULL)) != 0 ||
	    (rc = kube_controller_start(c->runner)) != 0) {
		kube_cronjob_controller_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void kube_cronjob_controller_free(kube_cronjob_controller *c)
{
	if (!c)
		return;
	if (c->jobs_h)
		kube_informer_remove_handler(c->jobs, c->jobs_h);
	if (c->cronjobs_h)
		kube_informer_remove_handler(c->cronjobs, c->cronjobs_h);
	kube_controller_free(c->runner);
	kube_free(c);
}

kube_controller *kube_cronjob_controller_runner(kube_cronjob_controller *c)
{
	return c ? c->runner : NULL;
}
