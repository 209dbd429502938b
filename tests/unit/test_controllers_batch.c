/*
 * test_controllers_batch.c - the Job and CronJob controllers against the
 * memory store, in the style of upstream's job and cronjob controller
 * tests: pods succeed or fail because the test writes their status (as a
 * kubelet would); the wall clock both controllers read is fake, so
 * deadlines, TTLs and schedules are crossed by moving it.  Also the cron
 * schedule grammar (robfig/cron's standard parser) and its Next.
 */
#include <check.h>
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
