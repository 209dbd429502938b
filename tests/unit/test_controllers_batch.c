/*
 * test_controllers_batch.c - the Job and CronJob controllers against the
 * memory store, in the style of upstream's job and cronjob controller
 * tests: pods succeed or fail because the test writes their status (as a
 * kubelet would); the wall clock both controllers read is fake, so
 * deadlines, TTLs and schedules are crossed by moving it.  Also the cron
 * schedule grammar (robfig/cron's standard parser) and its Next.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libkube/kube.h"
#include "controllers/controllers_private.h"

#define SEC ((int64_t)1000000000)

static int64_t fake_now;
static kube_loop *loop;
static kube_store *st;
static kube_informer_factory *fac;

static int64_t fake_clock(void *ud)
{
	(void)ud;
	return fake_now;
}

static void setup(void)
{
	/* the store stamps creationTimestamp with the real time: start there */
	fake_now = (int64_t)time(NULL) * SEC;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
	ck_assert_int_eq(kube_informer_factory_new(&fac, st, 0), 0);
}

static void teardown(void)
{
	kube_informer_factory_free(fac);
	kube_store_close(st);
	kube_loop_free(loop);
}

static void settle(void)
{
	for (int i = 0; i < 200; i++)
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
}

static void create(const char *json)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_object_from_json(&o, json, strlen(json)), 0);
	ck_assert_int_eq(kube_store_create(NULL, st, o), 0);
	kube_object_unref(o);
}

static kube_object *get(const char *res, const char *name)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_store_get(&o, st, res, "ns", name), 0);
	return o;
}

static int exists(const char *res, const char *name)
{
	kube_object *o = NULL;
	int rc = kube_store_get(&o, st, res, "ns", name);
	kube_object_unref(o);
	return rc == 0;
}

static int64_t int_at(const char *res, const char *name, const char *path)
{
	kube_object *o = get(res, name);
	int64_t v = 0;
	if (kube_object_get_int(o, path, &v) != 0)
		v = 0;   /* omitted when zero */
	kube_object_unref(o);
	return v;
}

/* A string at path ("" when absent), in a static buffer. */
static const char *str_at(const char *res, const char *name, const char *path)
{
	static char buf[512];
	kube_object *o = get(res, name);
	const char *v = NULL;
	snprintf(buf, sizeof(buf), "%s", kube_object_get_string(o, path, &v) == 0 && v ? v : "");
	kube_object_unref(o);
	return buf;
}

/* The condition `type` of a Job: "status/reason/message", "" when absent. */
static const char *condition(const char *name, const char *type)
{
	static char buf[512];
	kube_object *d = get("jobs", name);
	size_t n = 0;
	buf[0] = 0;
	kube_object_get_len(d, "status.conditions", &n);
	for (size_t i = 0; i < n; i++) {
		char path[64];
		const char *t, *s1, *r, *m;
		snprintf(path, sizeof(path), "status.conditions[%zu].type", i);
		kube_object_get_string(d, path, &t);
		if (strcmp(t, type) != 0)
			continue;
		snprintf(path, sizeof(path), "status.conditions[%zu].status", i);
		kube_object_get_string(d, path, &s1);
		snprintf(path, sizeof(path), "status.conditions[%zu].reason", i);
		kube_object_get_string(d, path, &r);
		snprintf(path, sizeof(path), "status.conditions[%zu].message", i);
		kube_object_get_string(d, path, &m);
		snprintf(buf, sizeof(buf), "%s/%s/%s", s1, r, m);
	}
	kube_object_unref(d);
	return buf;
}

static kube_object_list *list(const char *res)
{
	kube_object_list *l = NULL;
	ck_assert_int_eq(kube_store_list(&l, st, res, NULL, NULL, NULL), 0);
	return l;
}

static size_t count(const char *res)
{
	kube_object_list *l = list(res);
	size_t n = kube_object_list_count(l);
	kube_object_list_free(l);
	return n;
}

/* Pods in a phase ("" = no phase yet, NULL = any, "active" = not
 * terminal and not being deleted), sorted names, comma-separated. */
static const char *pods_in(const char *phase)
{
	static char buf[4096];
	kube_object_list *l = list("pods");
	buf[0] = 0;
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *p = kube_object_list_get(l, i);
		if (phase && strcmp(phase, "active") == 0 ? !kube__pod_active(p)
		    : phase && strcmp(kube__pod_phase(p), phase) != 0)
			continue;
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", buf[0] ? "," : "",
		         kube_object_name(p));
	}
	kube_object_list_free(l);
	return buf;
}

static size_t n_in(const char *phase)
{
	const char *s = pods_in(phase);
	size_t n = *s ? 1 : 0;
	for (; *s; s++)
		n += *s == ',';
	return n;
}

/* The i-th (sorted) active pod's name, in a static buffer. */
static const char *active_pod(size_t i)
{
	static char name[256];
	const char *s = pods_in("active");
	for (size_t k = 0; k < i; k++) {
		s = strchr(s, ',');
		ck_assert_ptr_nonnull(s);
		s++;
	}
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(s, ","), s);
	ck_assert_uint_gt(strlen(name), 0);
	return name;
}

static int set_phase_mutate(kube_object *p, void *ud)
{
	return kube_object_set_string(p, "status.phase", ud);
}

static void set_phase(const char *pod, const char *phase)
{
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "pods", "ns", pod, set_phase_mutate,
	                                              (void *)phase), 0);
}

/* The active pod whose completion index is ix, or NULL. */
static const char *pod_of_index(int ix)
{
	static char name[256];
	kube_object_list *l = list("pods");
	char want[16];
	name[0] = 0;
	snprintf(want, sizeof(want), "%d", ix);
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *p = kube_object_list_get(l, i);
		const char *a = kube_object_annotation(p, "batch.kubernetes.io/job-completion-index");
		if (kube__pod_active(p) && a && strcmp(a, want) == 0)
			snprintf(name, sizeof(name), "%s", kube_object_name(p));
	}
	kube_object_list_free(l);
	return name[0] ? name : NULL;
}

static void create_job(const char *name, const char *spec_fields)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"namespace\":\"ns\","
	         "\"name\":\"%s\"},\"spec\":{%s%s\"template\":{\"metadata\":{\"labels\":"
	         "{\"app\":\"%s\"}},\"spec\":{\"restartPolicy\":\"Never\",\"containers\":"
	         "[{\"name\":\"c\",\"image\":\"busybox\"}]}}}}",
	         name, spec_fields, *spec_fields ? "," : "", name);
	create(buf);
}

static kube_workload_controller_options opts(void)
{
	kube_workload_controller_options o = KUBE_WORKLOAD_CONTROLLER_OPTIONS_INIT;
	o.clock = fake_clock;
	return o;
}

static kube_job_controller *new_job_ctrl(void)
{
	kube_workload_controller_options o = opts();
	kube_job_controller *c = NULL;
	ck_assert_int_eq(kube_job_controller_new(&c, fac, st, &o), 0);
	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	return c;
}

/* Reconciles a key now, as the loop would once its delay had passed. */
static void poke(kube_controller *r, const char *key)
{
	ck_assert_int_eq(kube_controller_enqueue(r, key), 0);
	ck_assert_int_ge(kube_controller_process(r), 1);
	settle();
}

/* ---- Job ---- */

START_TEST(test_controllers_batch_job_backoff_limit)
{
	kube_job_controller *c = new_job_ctrl();
	kube_object *job, *p;
	kube_owner_ref ref;
	kube_object_list *l;

	create_job("pi", "\"backoffLimit\":2");
	settle();
	ck_assert_uint_eq(n_in("active"), 1);
	/* "pi-" + 5 generated characters, the Job's labels and owner */
	job = get("jobs", "pi");
	p = get("pods", active_pod(0));
	ck_assert_uint_eq(strlen(kube_object_name(p)), 8);
	ck_assert_str_eq(kube_object_generate_name(p), "pi-");
	ck_assert_int_eq(kube_object_controller_ref(p, &ref), 0);
	ck_assert_str_eq(ref.api_version, "batch/v1");
	ck_assert_str_eq(ref.kind, "Job");
	ck_assert_str_eq(ref.uid, kube_object_uid(job));
	ck_assert_int_eq(ref.block_owner_deletion, 1);
	ck_assert_str_eq(kube_labels_get(kube_object_labels(p), "app"), "pi");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(p), "job-name"), "pi");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(p), "batch.kubernetes.io/job-name"), "pi");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(p), "controller-uid"), kube_object_uid(job));
	ck_assert_str_eq(kube_labels_get(kube_object_labels(p), "batch.kubernetes.io/controller-uid"),
	                 kube_object_uid(job));
	ck_assert_ptr_null(kube_object_annotation(p, "batch.kubernetes.io/job-completion-index"));
	kube_object_unref(p);
	kube_object_unref(job);
	ck_assert_int_eq(int_at("jobs", "pi", "status.active"), 1);
	{
		char want[32];
		kube__format_rfc3339(fake_now, want);
		ck_assert_str_eq(str_at("jobs", "pi", "status.startTime"), want);
	}

	/* three failures: the first two are replaced, the third ends the Job */
	for (int i = 1; i <= 3; i++) {
		set_phase(active_pod(0), "Failed");
		settle();
		ck_assert_int_eq(int_at("jobs", "pi", "status.failed"), i);
		ck_assert_uint_eq(n_in("Failed"), (size_t)i);
		if (i < 3) {
			ck_assert_uint_eq(n_in("active"), 1);
			ck_assert_str_eq(condition("pi", "Failed"), "");
		}
	}
	ck_assert_uint_eq(n_in("active"), 0);
	ck_assert_uint_eq(count("pods"), 3);
	ck_assert_str_eq(condition("pi", "Failed"),
	                 "True/BackoffLimitExceeded/Job has reached the specified backoff limit");
	ck_assert_str_eq(condition("pi", "FailureTarget"),
	                 "True/BackoffLimitExceeded/Job has reached the specified backoff limit");
	ck_assert_str_eq(condition("pi", "Complete"), "");
	ck_assert_int_eq(int_at("jobs", "pi", "status.active"), 0);
	ck_assert_int_eq(int_at("jobs", "pi", "status.succeeded"), 0);
	ck_assert_str_eq(str_at("jobs", "pi", "status.completionTime"), "");
	/* a finished Job makes nothing more */
	poke(kube_job_controller_runner(c), "ns/pi");
	ck_assert_uint_eq(count("pods"), 3);
	l = list("jobs");
	ck_assert_uint_eq(kube_object_list_count(l), 1);
	kube_object_list_free(l);
	kube_job_controller_free(c);
}
END_TEST

START_TEST(test_controllers_batch_job_parallelism_completions)
{
	kube_job_controller *c = new_job_ctrl();
	/* after each success: active pods, succeeded (completions 5, parallelism 2) */
	static const int want_active[5] = { 2, 2, 2, 1, 0 };

	create_job("work", "\"completions\":5,\"parallelism\":2");
	settle();
	ck_assert_uint_eq(n_in("active"), 2);
	ck_assert_int_eq(int_at("jobs", "work", "status.active"), 2);
	ck_assert_int_eq(int_at("jobs", "work", "status.ready"), 0);
	for (int i = 0; i < 5; i++) {
		fake_now += SEC;
		set_phase(active_pod(0), "Succeeded");
		settle();
		ck_assert_uint_eq(n_in("active"), (size_t)want_active[i]);
		ck_assert_int_eq(int_at("jobs", "work", "status.active"), want_active[i]);
		ck_assert_int_eq(int_at("jobs", "work", "status.succeeded"), i + 1);
		if (i < 4)
			ck_assert_str_eq(condition("work", "Complete"), "");
	}
	ck_assert_uint_eq(count("pods"), 5);
	ck_assert_str_eq(condition("work", "Complete"),
	                 "True/CompletionsReached/Reached expected number of succeeded pods");
	ck_assert_str_eq(condition("work", "SuccessCriteriaMet"),
	                 "True/CompletionsReached/Reached expected number of succeeded pods");
	{
		const char *t0 = NULL, *t1 = NULL;
		kube_object *j = get("jobs", "work");
		ck_assert_int_eq(kube_object_get_string(j, "status.conditions[0].type", &t0), 0);
		ck_assert_int_eq(kube_object_get_string(j, "status.conditions[1].type", &t1), 0);
		ck_assert_str_eq(t0, "SuccessCriteriaMet");
		ck_assert_str_eq(t1, "Complete");
		kube_object_unref(j);
	}
	{
		char want[32];
		kube__format_rfc3339(fake_now, want);
		ck_assert_str_eq(str_at("jobs", "work", "status.completionTime"), want);
	}
	ck_assert_int_eq(int_at("jobs", "work", "status.failed"), 0);
	kube_job_controller_free(c);
}
END_TEST

START_TEST(test_controllers_batch_job_work_queue)
{
	kube_job_controller *c = new_job_ctrl();

	/* parallelism without completions: done when one succeeds and the
	 * others have finished; nothing new after the first success */
	create_job("q", "\"parallelism\":3");
	settle();
	ck_assert_uint_eq(n_in("active"), 3);
	set_phase(active_pod(1), "Succeeded");
	settle();
	ck_assert_uint_eq(n_in("active"), 2);
	ck_assert_uint_eq(count("pods"), 3);
	ck_assert_str_eq(condition("q", "Complete"), "");
	set_phase(active_pod(0), "Succeeded");
	set_phase(active_pod(0), "Succeeded");
	settle();
	ck_assert_uint_eq(count("pods"), 3);
	ck_assert_int_eq(int_at("jobs", "q", "status.succeeded"), 3);
	ck_assert_str_eq(condition("q", "Complete"),
	                 "True/CompletionsReached/Reached expected number of succeeded pods");
	kube_job_controller_free(c);
}
END_TEST

START_TEST(test_controllers_batch_job_active_deadline)
{
	kube_job_controller *c = new_job_ctrl();

	create_job("slow", "\"parallelism\":2,\"completions\":4,\"activeDeadlineSeconds\":10");
	settle();
	ck_assert_uint_eq(n_in("active"), 2);
	fake_now += 9 * SEC;
	poke(kube_job_controller_runner(c), "ns/slow");
	ck_assert_str_eq(condition("slow", "Failed"), "");
	ck_assert_uint_eq(n_in("active"), 2);
	fake_now += SEC;   /* startTime + 10 s: the deadline */
	poke(kube_job_controller_runner(c), "ns/slow");
	ck_assert_str_eq(condition("slow", "Failed"),
	                 "True/DeadlineExceeded/Job was active longer than specified deadline");
	/* its running pods are deleted and counted as failed */
	ck_assert_uint_eq(count("pods"), 0);
	ck_assert_int_eq(int_at("jobs", "slow", "status.failed"), 2);
	ck_assert_int_eq(int_at("jobs", "slow", "status.active"), 0);
	kube_job_controller_free(c);
}
END_TEST

START_TEST(test_controllers_batch_job_indexed)
{
	kube_job_controller *c = new_job_ctrl();
	kube_object *p;
	const char *v;
	char prefix[16];

	create_job("idx", "\"completions\":6,\"parallelism\":3,\"completionMode\":\"Indexed\"");
	settle();
	ck_assert_uint_eq(n_in("active"), 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_ptr_nonnull(pod_of_index(i));
		p = get("pods", pod_of_index(i));
		snprintf(prefix, sizeof(prefix), "idx-%d-", i);
		ck_assert_str_eq(kube_object_generate_name(p), prefix);
		ck_assert_uint_eq(strlen(kube_object_name(p)), 11);
		ck_assert(strncmp(kube_object_name(p), prefix, 6) == 0);
		prefix[5] = 0;   /* "idx-N" -> the index alone at prefix + 4 */
		ck_assert_str_eq(kube_labels_get(kube_object_labels(p),
		                                 "batch.kubernetes.io/job-completion-index"), prefix + 4);
		ck_assert_int_eq(kube_object_get_string(p, "spec.containers[0].env[0].name", &v), 0);
		ck_assert_str_eq(v, "JOB_COMPLETION_INDEX");
		ck_assert_int_eq(kube_object_get_string(p, "spec.containers[0].env[0].valueFrom.fieldRef."
		                                           "fieldPath", &v), 0);
		ck_assert_str_eq(v, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
		kube_object_unref(p);
	}
	ck_assert_ptr_null(pod_of_index(3));
	/* index 1 succeeds: the lowest index not done nor running (3) starts */
	set_phase(pod_of_index(1), "Succeeded");
	settle();
	ck_assert_str_eq(str_at("jobs", "idx", "status.completedIndexes"), "1");
	ck_assert_ptr_nonnull(pod_of_index(3));
	set_phase(pod_of_index(3), "Succeeded");
	settle();
	ck_assert_str_eq(str_at("jobs", "idx", "status.completedIndexes"), "1,3");
	ck_assert_ptr_nonnull(pod_of_index(4));
	set_phase(pod_of_index(4), "Succeeded");
	settle();
	ck_assert_str_eq(str_at("jobs", "idx", "status.completedIndexes"), "1,3,4");
	/* a failed index is made again, under a new name */
	set_phase(pod_of_index(0), "Failed");
	settle();
	ck_assert_ptr_nonnull(pod_of_index(0));
	ck_assert_int_eq(int_at("jobs", "idx", "status.failed"), 1);
	set_phase(pod_of_index(5), "Succeeded");
	settle();
	ck_assert_str_eq(str_at("jobs", "idx", "status.completedIndexes"), "1,3-5");
	ck_assert_int_eq(int_at("jobs", "idx", "status.succeeded"), 4);
	set_phase(pod_of_index(0), "Succeeded");
	set_phase(pod_of_index(2), "Succeeded");
	settle();
	ck_assert_str_eq(str_at("jobs", "idx", "status.completedIndexes"), "0-5");
	ck_assert_int_eq(int_at("jobs", "idx", "status.succeeded"), 6);
	ck_assert_str_eq(condition("idx", "Complete"),
	                 "True/CompletionsReached/Reached expected number of succeeded pods");
	ck_assert_uint_eq(count("pods"), 7);
	kube_job_controller_free(c);
}
END_TEST

START_TEST(test_controllers_batch_job_ttl_after_finished)
{
	kube_job_controller *c = new_job_ctrl();
	kube_controller *r = kube_job_controller_runner(c);

	create_job("short", "\"ttlSecondsAfterFinished\":30");
	create_job("keep", "");
	settle();
	ck_assert_uint_eq(n_in("active"), 2);
	set_phase(active_pod(0), "Succeeded");
	set_phase(active_pod(0), "Succeeded");
	settle();
	ck_assert(strncmp(condition("short", "Complete"), "True/", 5) == 0);
	ck_assert(strncmp(condition("keep", "Complete"), "True/", 5) == 0);
	fake_now += 29 * SEC;
	poke(r, "ns/short");
	ck_assert(exists("jobs", "short"));
	fake_now += SEC;
	poke(r, "ns/short");
	poke(r, "ns/keep");
	ck_assert(!exists("jobs", "short"));
	ck_assert(exists("jobs", "keep"));
	kube_job_controller_free(c);
}
END_TEST

START_TEST(test_controllers_batch_options)
{
	kube_workload_controller_options o = opts();
	kube_job_controller *j = NULL;
	kube_cronjob_controller *cj = NULL;

	o.workers = 0;
	ck_assert_int_eq(kube_job_controller_new(&j, fac, st, &o), KUBE_EINVAL);
	ck_assert_int_eq(kube_cronjob_controller_new(&cj, fac, st, &o), KUBE_EINVAL);
	o.workers = 1;
	o.version = 99;
	ck_assert_int_eq(kube_job_controller_new(&j, fac, st, &o), KUBE_EINVAL);
	ck_assert_int_eq(kube_cronjob_controller_new(&cj, fac, st, &o), KUBE_EINVAL);
	ck_assert_int_eq(kube_job_controller_new(&j, NULL, st, NULL), KUBE_EINVAL);
	ck_assert_ptr_null(kube_job_controller_runner(NULL));
	ck_assert_ptr_null(kube_cronjob_controller_runner(NULL));
	kube_job_controller_free(NULL);
	kube_cronjob_controller_free(NULL);
}
END_TEST

/* ---- cron schedules ---- */

static int64_t at(const char *rfc3339)
{
	int64_t t = kube__rfc3339_ns(rfc3339);
	ck_assert_int_ne(t, 0);
	return t;
}

static int64_t next_of(const char *spec, int64_t after)
{
	kube_cron_schedule *s = NULL;
	int64_t t;
	ck_assert_msg(kube_cron_schedule_parse(&s, spec) == 0, "%s: %s", spec,
	              kube_error_last()->message);
	t = kube_cron_schedule_next(s, after);
	kube_cron_schedule_free(s);
	return t;
}

static void parse_fails(const char *spec, const char *message)
{
	kube_cron_schedule *s = (kube_cron_schedule *)&s;
	ck_assert_int_eq(kube_cron_schedule_parse(&s, spec), KUBE_EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(kube_error_last()->message, message);
}

START_TEST(test_controllers_batch_cron_schedule_next)
{
	/* Saturday 2026-11-28 10:20:18.5 */
	int64_t t = at("2026-11-28T10:20:18Z") + SEC / 2;

	ck_assert_int_eq(next_of("*/15 * * * *", t), at("2026-11-28T10:30:00Z"));
	ck_assert_int_eq(next_of("* * * * *", t), at("2026-11-28T10:21:00Z"));
	/* strictly after: a time on the minute moves to the next one */
	ck_assert_int_eq(next_of("* * * * *", at("2026-11-28T10:21:00Z")), at("2026-11-28T10:22:00Z"));
	ck_assert_int_eq(next_of("20 10 * * *", t), at("2026-11-29T10:20:00Z"));
	ck_assert_int_eq(next_of("0 9-17/4 * * MON-FRI", t), at("2026-11-30T09:00:00Z"));
	ck_assert_int_eq(next_of("0 9-17/4 * * mon-fri", at("2026-11-30T09:00:00Z")),
	                 at("2026-11-30T13:00:00Z"));
	ck_assert_int_eq(next_of("5,10-12 * * * *", t), at("2026-11-28T11:05:00Z"));
	ck_assert_int_eq(next_of("@hourly", t), at("2026-11-28T11:00:00Z"));
	ck_assert_int_eq(next_of("@daily", t), at("2026-11-29T00:00:00Z"));
	ck_assert_int_eq(next_of("@midnight", t), at("2026-11-29T00:00:00Z"));
	ck_assert_int_eq(next_of("@weekly", t), at("2026-11-29T00:00:00Z"));
	ck_assert_int_eq(next_of("@monthly", t), at("2026-12-01T00:00:00Z"));
	ck_assert_int_eq(next_of("@yearly", t), at("2027-01-01T00:00:00Z"));
	ck_assert_int_eq(next_of("@annually", t), at("2027-01-01T00:00:00Z"));
	ck_assert_int_eq(next_of("0 0 1 JAN *", t), at("2027-01-01T00:00:00Z"));
	ck_assert_int_eq(next_of("0 12 * jul sun", t), at("2027-07-04T12:00:00Z"));
	/* both day fields restricted: either matches (the 4th is a Friday) */
	ck_assert_int_eq(next_of("0 0 13 * FRI", t), at("2026-12-04T00:00:00Z"));
	/* one of them a star: both must match */
	ck_assert_int_eq(next_of("0 0 13 * ?", t), at("2026-12-13T00:00:00Z"));
	/* a step on a star is no star: "*\/2" days OR Sunday */
	ck_assert_int_eq(next_of("0 0 */2 * SUN", t), at("2026-11-29T00:00:00Z"));
	ck_assert_int_eq(next_of("0 0 */2 * 1", t), at("2026-11-29T00:00:00Z"));
	ck_assert_int_eq(next_of("0 0 29 2 *", t), at("2028-02-29T00:00:00Z"));
	ck_assert_int_eq(next_of("30 4 5/10 * *", t), at("2026-12-05T04:30:00Z"));
	/* as robfig: empty list items are skipped, "*-5" is "*" */
	ck_assert_int_eq(next_of("10,,40 * * * *", t), at("2026-11-28T10:40:00Z"));
	ck_assert_int_eq(next_of("*-5 * * * *", t), at("2026-11-28T10:21:00Z"));
	ck_assert_int_eq(next_of(", * * * *", t), 0);
	/* a step past the range: only its start (Go's int is 64 bits) */
	ck_assert_int_eq(next_of("7/2348607218 * * * *", t), at("2026-11-28T11:07:00Z"));
	/* never within five years */
	ck_assert_int_eq(next_of("0 0 30 2 *", t), 0);
	/* @every: the fraction of a second dropped, then the delay */
	ck_assert_int_eq(next_of("@every 90m", t), at("2026-11-28T11:50:18Z"));
	ck_assert_int_eq(next_of("@every 1h0m30.5s", t), at("2026-11-28T11:20:48Z"));
	ck_assert_int_eq(next_of("@every 10ms", t), at("2026-11-28T10:20:19Z"));
	ck_assert_int_eq(kube_cron_schedule_next(NULL, t), 0);
	/* the ends of int64 nanoseconds (1677 to 2262) */
	ck_assert_int_eq(next_of("0 0 1 1 *", INT64_MAX - 1), 0);
	ck_assert_int_eq(next_of("@every 1h", INT64_MAX - 1), 0);
	ck_assert_int_gt(next_of("0 0 1 1 *", INT64_MIN), INT64_MIN);
}
END_TEST

START_TEST(test_controllers_batch_cron_schedule_errors)
{
	parse_fails("*/0 * * * *", "invalid schedule \"*/0 * * * *\": minute field: step of range "
	                           "should be a positive number: */0");
	parse_fails("0 0 * * 8", "invalid schedule \"0 0 * * 8\": day of week field: end of range (8) "
	                         "above maximum (6): 8");
	parse_fails("0 0 0 * *", "invalid schedule \"0 0 0 * *\": day of month field: beginning of "
	                         "range (0) below minimum (1): 0");
	parse_fails("5-2 * * * *", "invalid schedule \"5-2 * * * *\": minute field: beginning of "
	                           "range (5) beyond end of range (2): 5-2");
	parse_fails("1-2-3 * * * *", "invalid schedule \"1-2-3 * * * *\": minute field: too many "
	                             "hyphens: 1-2-3");
	parse_fails("* * * 1/2/3 *", "invalid schedule \"* * * 1/2/3 *\": month field: too many "
	                             "slashes: 1/2/3");
	parse_fails("* x * * *", "invalid schedule \"* x * * *\": hour field: failed to parse int "
	                         "from x: strconv.Atoi: parsing \"x\": invalid syntax");
	parse_fails("* * * FOO *", "invalid schedule \"* * * FOO *\": month field: failed to parse "
	                           "int from FOO: strconv.Atoi: parsing \"FOO\": invalid syntax");
	parse_fails("0/99999999999999999999 * * * *", "invalid schedule \"0/99999999999999999999 * * "
	            "* *\": minute field: failed to parse int from 99999999999999999999: strconv.Atoi: "
	            "parsing \"99999999999999999999\": value out of range");
	parse_fails("* * *", "invalid schedule \"* * *\": expected exactly 5 fields, found 3: * * *");
	parse_fails("0 * * * * *", "invalid schedule \"0 * * * * *\": expected exactly 5 fields, "
	                           "found 6: 0 * * * * *");
	parse_fails("", "invalid schedule \"\": empty spec string");
	parse_fails("@fortnightly", "invalid schedule \"@fortnightly\": unrecognized descriptor: "
	                            "@fortnightly");
	parse_fails("@every soon", "invalid schedule \"@every soon\": failed to parse duration "
	                           "@every soon: time: invalid duration \"soon\"");
	parse_fails("TZ=UTC 0 * * * *", "invalid schedule \"TZ=UTC 0 * * * *\": cannot use TZ or "
	                                "CRON_TZ in schedule, use timeZone field instead");
	parse_fails("CRON_TZ=UTC 0 * * * *", "invalid schedule \"CRON_TZ=UTC 0 * * * *\": cannot use "
	                                     "TZ or CRON_TZ in schedule, use timeZone field instead");
	ck_assert_int_eq(kube_cron_schedule_parse(NULL, "* * * * *"), KUBE_EINVAL);
	kube_cron_schedule_free(NULL);
}
END_TEST

/* ---- CronJob ---- */

static void create_cronjob(const char *name, const char *spec_fields)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"metadata\":{\"namespace\":\"ns\","
	         "\"name\":\"%s\"},\"spec\":{%s,\"jobTemplate\":{\"metadata\":{\"labels\":"
	         "{\"cron\":\"%s\"},\"annotations\":{\"x\":\"y\"}},\"spec\":{\"backoffLimit\":1,"
	         "\"template\":{\"spec\":{\"restartPolicy\":\"Never\",\"containers\":"
	         "[{\"name\":\"c\",\"image\":\"busybox\"}]}}}}}}",
	         name, spec_fields, name);
	create(buf);
}

static kube_cronjob_controller *new_cj_ctrl(void)
{
	kube_workload_controller_options o = opts();
	kube_cronjob_controller *c = NULL;
	ck_assert_int_eq(kube_cronjob_controller_new(&c, fac, st, &o), 0);
	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
	return c;
}

/* The first whole multiple of `minutes` after the CronJob's creation. */
static int64_t first_after_creation(const char *cj, int minutes)
{
	kube_object *o = get("cronjobs", cj);
	int64_t c = kube__rfc3339_ns(kube_object_creation_timestamp(o)) / SEC, step = minutes * 60;
	kube_object_unref(o);
	return (c / step + 1) * step * SEC;
}

/* Names of the Jobs, sorted, comma-separated (a static buffer). */
static const char *job_names(void)
{
	static char buf[2048];
	kube_object_list *l = list("jobs");
	buf[0] = 0;
	for (size_t i = 0; i < kube_object_list_count(l); i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "," : "",
		         kube_object_name(kube_object_list_get(l, i)));
	kube_object_list_free(l);
	return buf;
}

/* "<cj>-<minutes since the epoch of t>" */
static const char *job_at(const char *cj, int64_t t)
{
	static char bufs[4][128];
	static int k;
	char *b = bufs[k++ % 4];
	snprintf(b, 128, "%s-%lld", cj, (long long)(t / SEC / 60));
	return b;
}

typedef struct job_end {
	const char *type;
	int64_t start, end;
} job_end;

static int finish_mutate(kube_object *j, void *ud)
{
	job_end *e = ud;
	char a[32], b[32], cond[256];
	int rc;
	kube__format_rfc3339(e->start, a);
	kube__format_rfc3339(e->end, b);
	snprintf(cond, sizeof(cond), "[{\"type\":\"%s\",\"status\":\"True\",\"lastTransitionTime\":\"%s\"}]",
	         e->type, b);
	if ((rc = kube_object_set_json(j, "status.conditions", cond)) ||
	    (rc = kube_object_set_string(j, "status.startTime", a)))
		return rc;
	if (strcmp(e->type, "Complete") == 0)
		rc = kube_object_set_string(j, "status.completionTime", b);
	return rc;
}

/* The Job ends (as the Job controller would write it). */
static void finish_job(const char *name, const char *type, int64_t start, int64_t end)
{
	job_end e = { type, start, end };
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "jobs", "ns", name, finish_mutate, &e),
	                 0);
}

static const char *active_names(const char *cj)
{
	static char buf[1024];
	kube_object *o = get("cronjobs", cj);
	size_t n = 0;
	buf[0] = 0;
	kube_object_get_len(o, "status.active", &n);
	for (size_t i = 0; i < n; i++) {
		char path[64];
		const char *v = NULL, *k = NULL;
		snprintf(path, sizeof(path), "status.active[%zu].name", i);
		kube_object_get_string(o, path, &v);
		snprintf(path, sizeof(path), "status.active[%zu].kind", i);
		kube_object_get_string(o, path, &k);
		ck_assert_str_eq(k, "Job");
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "," : "", v);
	}
	kube_object_unref(o);
	return buf;
}

static const char *rfc(int64_t t)
{
	static char bufs[4][32];
	static int k;
	char *b = bufs[k++ % 4];
	kube__format_rfc3339(t, b);
	return b;
}

START_TEST(test_controllers_batch_cronjob_fires_at_the_right_minutes)
{
	kube_cronjob_controller *c = new_cj_ctrl();
	kube_controller *r = kube_cronjob_controller_runner(c);
	kube_object *j, *cj;
	kube_owner_ref ref;
	char want[256];
	int64_t t1;

	create_cronjob("tick", "\"schedule\":\"*/5 * * * *\"");
	settle();
	t1 = first_after_creation("tick", 5);
	ck_assert_uint_eq(count("jobs"), 0);
	fake_now = t1 - SEC;
	poke(r, "ns/tick");
	ck_assert_uint_eq(count("jobs"), 0);
	fake_now = t1;
	poke(r, "ns/tick");
	ck_assert_str_eq(job_names(), job_at("tick", t1));
	j = get("jobs", job_at("tick", t1));
	cj = get("cronjobs", "tick");
	ck_assert_int_eq(kube_object_controller_ref(j, &ref), 0);
	ck_assert_str_eq(ref.kind, "CronJob");
	ck_assert_str_eq(ref.api_version, "batch/v1");
	ck_assert_str_eq(ref.uid, kube_object_uid(cj));
	ck_assert_str_eq(kube_object_annotation(j, "batch.kubernetes.io/cronjob-scheduled-timestamp"),
	                 rfc(t1));
	ck_assert_str_eq(kube_object_annotation(j, "x"), "y");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(j), "cron"), "tick");
	ck_assert_int_eq(kube__get_int_or(j, "spec.backoffLimit", -1), 1);
	kube_object_unref(j);
	kube_object_unref(cj);
	ck_assert_str_eq(str_at("cronjobs", "tick", "status.lastScheduleTime"), rfc(t1));
	ck_assert_str_eq(active_names("tick"), job_at("tick", t1));
	/* nothing until the next multiple of five minutes */
	fake_now = t1 + 4 * 60 * SEC + 59 * SEC;
	poke(r, "ns/tick");
	ck_assert_uint_eq(count("jobs"), 1);
	fake_now = t1 + 5 * 60 * SEC;
	poke(r, "ns/tick");
	/* Allow (the default): both run */
	snprintf(want, sizeof(want), "%s,%s", job_at("tick", t1), job_at("tick", t1 + 300 * SEC));
	ck_assert_str_eq(job_names(), want);
	ck_assert_str_eq(active_names("tick"), want);
	/* the first ends: it leaves status.active, lastSuccessfulTime follows it */
	finish_job(job_at("tick", t1), "Complete", t1, t1 + 90 * SEC);
	settle();
	ck_assert_str_eq(active_names("tick"), job_at("tick", t1 + 300 * SEC));
	ck_assert_str_eq(str_at("cronjobs", "tick", "status.lastSuccessfulTime"), rfc(t1 + 90 * SEC));
	/* a second sync at the same time makes nothing twice */
	poke(r, "ns/tick");
	ck_assert_uint_eq(count("jobs"), 2);
	kube_cronjob_controller_free(c);
}
END_TEST

START_TEST(test_controllers_batch_cronjob_forbid_and_replace)
{
	kube_cronjob_controller *c = new_cj_ctrl();
	kube_controller *r = kube_cronjob_controller_runner(c);
	int64_t t1, t2;
	char want[256];

	create_cronjob("f", "\"schedule\":\"* * * * *\",\"concurrencyPolicy\":\"Forbid\"");
	create_cronjob("r", "\"schedule\":\"* * * * *\",\"concurrencyPolicy\":\"Replace\"");
	settle();
	t1 = first_after_creation("f", 1);
	ck_assert_int_eq(t1, first_after_creation("r", 1));
	t2 = t1 + 60 * SEC;
	fake_now = t1;
	poke(r, "ns/f");
	poke(r, "ns/r");
	snprintf(want, sizeof(want), "%s,%s", job_at("f", t1), job_at("r", t1));
	ck_assert_str_eq(job_names(), want);
	fake_now = t2;
	poke(r, "ns/f");
	poke(r, "ns/r");
	/* Forbid: nothing while the first runs; Replace: the first goes */
	snprintf(want, sizeof(want), "%s,%s", job_at("f", t1), job_at("r", t2));
	ck_assert_str_eq(job_names(), want);
	ck_assert_str_eq(active_names("r"), job_at("r", t2));
	ck_assert_str_eq(active_names("f"), job_at("f", t1));
	ck_assert_str_eq(str_at("cronjobs", "f", "status.lastScheduleTime"), rfc(t1));
	ck_assert_str_eq(str_at("cronjobs", "r", "status.lastScheduleTime"), rfc(t2));
	/* the Forbid one ends: the missed time (t2) starts, late */
	fake_now = t2 + 30 * SEC;
	finish_job(job_at("f", t1), "Failed", t1, fake_now);
	settle();
	snprintf(want, sizeof(want), "%s,%s,%s", job_at("f", t1), job_at("f", t2), job_at("r", t2));
	ck_assert_str_eq(job_names(), want);
	ck_assert_str_eq(active_names("f"), job_at("f", t2));
	kube_cronjob_controller_free(c);
}
END_TEST

START_TEST(test_controllers_batch_cronjob_history_limits)
{
	kube_cronjob_controller *c = new_cj_ctrl();
	kube_controller *r = kube_cronjob_controller_runner(c);
	int64_t t[6];
	char want[512];

	create_cronjob("h", "\"schedule\":\"* * * * *\",\"successfulJobsHistoryLimit\":2");
	settle();
	t[0] = first_after_creation("h", 1);
	for (int i = 0; i < 6; i++) {
		t[i] = t[0] + i * 60 * SEC;
		fake_now = t[i];
		poke(r, "ns/h");
		ck_assert_uint_eq(count("jobs"), (size_t)i + 1);
	}
	/* 0-2 succeed, 3-4 fail, 5 runs; limits: 2 successful, 1 failed (default) */
	for (int i = 0; i < 5; i++)
		finish_job(job_at("h", t[i]), i < 3 ? "Complete" : "Failed", t[i], t[i] + 10 * SEC);
	settle();
	poke(r, "ns/h");
	snprintf(want, sizeof(want), "%s,%s,%s,%s", job_at("h", t[1]), job_at("h", t[2]),
	         job_at("h", t[4]), job_at("h", t[5]));
	ck_assert_str_eq(job_names(), want);
	ck_assert_str_eq(active_names("h"), job_at("h", t[5]));
	ck_assert_str_eq(str_at("cronjobs", "h", "status.lastSuccessfulTime"), rfc(t[2] + 10 * SEC));
	kube_cronjob_controller_free(c);
}
END_TEST

START_TEST(test_controllers_batch_cronjob_suspend_and_time_zone)
{
	kube_cronjob_controller *c = new_cj_ctrl();
	kube_controller *r = kube_cronjob_controller_runner(c);
	kube_object *o, *m = NULL;
	int64_t t1;

	create_cronjob("s", "\"schedule\":\"@hourly\",\"suspend\":true");
	create_cronjob("paris", "\"schedule\":\"@hourly\",\"timeZone\":\"Europe/Paris\"");
	create_cronjob("utc", "\"schedule\":\"@hourly\",\"timeZone\":\"Etc/UTC\"");
	settle();
	t1 = first_after_creation("s", 60);
	fake_now = t1 + 30 * SEC;
	poke(r, "ns/s");
	poke(r, "ns/paris");
	poke(r, "ns/utc");
	ck_assert_str_eq(job_names(), job_at("utc", t1));
	/* resumed: the time it missed while suspended starts (no deadline) */
	o = get("cronjobs", "s");
	ck_assert_int_eq(kube_object_mutable(&m, o), 0);
	ck_assert_int_eq(kube_object_set_bool(m, "spec.suspend", 0), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
	kube_object_unref(m);
	kube_object_unref(o);
	settle();
	{
		char want[256];
		snprintf(want, sizeof(want), "%s,%s", job_at("s", t1), job_at("utc", t1));
		ck_assert_str_eq(job_names(), want);
	}
	kube_cronjob_controller_free(c);
}
END_TEST

START_TEST(test_controllers_batch_cronjob_starting_deadline)
{
	kube_cronjob_controller *c = new_cj_ctrl();
	kube_controller *r = kube_cronjob_controller_runner(c);
	int64_t t1;
	char want[256];

	create_cronjob("late", "\"schedule\":\"*/10 * * * *\",\"startingDeadlineSeconds\":60");
	create_cronjob("ok", "\"schedule\":\"*/10 * * * *\",\"startingDeadlineSeconds\":120");
	create_cronjob("old", "\"schedule\":\"*/10 * * * *\"");
	settle();
	t1 = first_after_creation("late", 10);
	/* 61 s after the time: too late for a 60 s deadline, not for 120 s */
	fake_now = t1 + 61 * SEC;
	poke(r, "ns/late");
	poke(r, "ns/ok");
	poke(r, "ns/old");
	snprintf(want, sizeof(want), "%s,%s", job_at("ok", t1), job_at("old", t1));
	ck_assert_str_eq(job_names(), want);
	ck_assert_str_eq(str_at("cronjobs", "late", "status.lastScheduleTime"), "");
	/* within the deadline of the next time */
	fake_now = t1 + 600 * SEC + 59 * SEC;
	poke(r, "ns/late");
	ck_assert_ptr_nonnull(strstr(job_names(), job_at("late", t1 + 600 * SEC)));
	ck_assert_ptr_null(strstr(job_names(), job_at("late", t1)));
	/* 150 missed times (> 100) without a deadline: only the most recent
	 * starts (counting from its lastScheduleTime, t1 + 600 s if the
	 * previous sync caught that one) */
	fake_now = t1 + 151 * 600 * SEC + 5 * SEC;
	kube_controller_enqueue(r, "ns/old");
	kube_controller_process(r);
	settle();
	ck_assert_ptr_nonnull(strstr(job_names(), job_at("old", t1 + 151 * 600 * SEC)));
	ck_assert_ptr_null(strstr(job_names(), job_at("old", t1 + 150 * 600 * SEC)));
	ck_assert_ptr_null(strstr(job_names(), job_at("old", t1 + 2 * 600 * SEC)));
	ck_assert_str_eq(str_at("cronjobs", "old", "status.lastScheduleTime"),
	                 rfc(t1 + 151 * 600 * SEC));
	kube_cronjob_controller_free(c);
}
END_TEST

START_TEST(test_controllers_batch_cronjob_with_job_controller)
{
	kube_workload_controller_options o = opts();
	kube_job_controller *jc = NULL;
	kube_cronjob_controller *c = NULL;
	int64_t t1;

	/* the two together: the CronJob's Job makes its pod, the pod
	 * succeeds, the Job completes, the CronJob sees it */
	ck_assert_int_eq(kube_job_controller_new(&jc, fac, st, &o), 0);
	c = new_cj_ctrl();
	create_cronjob("both", "\"schedule\":\"* * * * *\"");
	settle();
	t1 = first_after_creation("both", 1);
	fake_now = t1;
	poke(kube_cronjob_controller_runner(c), "ns/both");
	ck_assert_uint_eq(n_in("active"), 1);
	set_phase(active_pod(0), "Succeeded");
	settle();
	ck_assert(strncmp(condition(job_at("both", t1), "Complete"), "True/", 5) == 0);
	ck_assert_str_eq(active_names("both"), "");
	ck_assert_str_eq(str_at("cronjobs", "both", "status.lastSuccessfulTime"), rfc(t1));
	kube_cronjob_controller_free(c);
	kube_job_controller_free(jc);
}
END_TEST

static Suite *batch_suite(void)
{
	Suite *s = suite_create("controllers_batch");
	TCase *jc = tcase_create("job");

	tcase_add_checked_fixture(jc, setup, teardown);
	tcase_set_timeout(jc, 60);
	tcase_add_test(jc, test_controllers_batch_options);
	tcase_add_test(jc, test_controllers_batch_job_backoff_limit);
	tcase_add_test(jc, test_controllers_batch_job_parallelism_completions);
	tcase_add_test(jc, test_controllers_batch_job_work_queue);
	tcase_add_test(jc, test_controllers_batch_job_active_deadline);
	tcase_add_test(jc, test_controllers_batch_job_indexed);
	tcase_add_test(jc, test_controllers_batch_job_ttl_after_finished);
	suite_add_tcase(s, jc);

	TCase *cc = tcase_create("cronjob");
	tcase_add_checked_fixture(cc, setup, teardown);
	tcase_set_timeout(cc, 60);
	tcase_add_test(cc, test_controllers_batch_cron_schedule_next);
	tcase_add_test(cc, test_controllers_batch_cron_schedule_errors);
	tcase_add_test(cc, test_controllers_batch_cronjob_fires_at_the_right_minutes);
	tcase_add_test(cc, test_controllers_batch_cronjob_forbid_and_replace);
	tcase_add_test(cc, test_controllers_batch_cronjob_history_limits);
	tcase_add_test(cc, test_controllers_batch_cronjob_suspend_and_time_zone);
	tcase_add_test(cc, test_controllers_batch_cronjob_starting_deadline);
	tcase_add_test(cc, test_controllers_batch_cronjob_with_job_controller);
	suite_add_tcase(s, cc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(batch_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
