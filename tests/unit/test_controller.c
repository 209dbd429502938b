/*
 * test_controller.c - the reconciler runner and expectations: what each
 * reconcile result does to the key (done, RequeueAfter, requeue with
 * backoff, error), the worker bound with asynchronous (pending) reconciles,
 * a key never reconciled twice at once, keys enqueued from another thread,
 * stop; and expectations: creations, tracked deletions, expiry after 5
 * minutes (fake clock), raise and lower.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

#define MS ((int64_t)1000000)
#define SEC ((int64_t)1000000000)

static int64_t fake_now;

static int64_t fake_clock(void *ud)
{
	(void)ud;
	return fake_now;
}

static kube_loop *loop;

static void setup(void)
{
	fake_now = 5000 * SEC;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
}

static void teardown(void)
{
	kube_loop_free(loop);
	loop = NULL;
}

/* A scripted reconciler: results by key prefix, and a log of calls. */
typedef struct script {
	char log[4096];
	int result;               /* returned for every key */
	int64_t after;            /* RequeueAfter for result 0 */
	int destroyed;
	int calls;
} script;

static int reconcile(kube_controller *c, const char *key, int64_t *after, void *ud)
{
	script *s = ud;
	(void)c;
	s->calls++;
	snprintf(s->log + strlen(s->log), sizeof(s->log) - strlen(s->log), "%s;", key);
	*after = s->after;
	return s->result;
}

static void script_destroy(void *ud)
{
	((script *)ud)->destroyed++;
}

static kube_controller *new_ctrl(script *s, unsigned int workers)
{
	kube_workqueue_options qo = KUBE_WORKQUEUE_OPTIONS_INIT;
	kube_controller_options o = KUBE_CONTROLLER_OPTIONS_INIT;
	kube_controller *c = NULL;

	qo.clock = fake_clock;
	o.name = "test";
	o.workers = workers;
	o.queue = &qo;
	ck_assert_int_eq(kube_controller_new(&c, loop, &o, reconcile, s, script_destroy), 0);
	return c;
}

START_TEST(test_controller_options)
{
	kube_controller_options o;
	kube_controller *c = NULL;
	script s = { "", 0, 0, 0, 0 };

	ck_assert_int_eq(kube_controller_options_init(&o, 1), 0);
	ck_assert_uint_eq(o.workers, 1);
	ck_assert_ptr_null(o.queue);
	ck_assert_int_eq(kube_controller_options_init(&o, 5), KUBE_EINVAL);
	o.workers = 0;
	ck_assert_int_eq(kube_controller_new(&c, loop, &o, reconcile, &s, NULL), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "kube_controller_new: workers must be >= 1");
	ck_assert_int_eq(kube_controller_new(&c, loop, NULL, NULL, &s, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_controller_new(&c, loop, NULL, reconcile, &s, script_destroy), 0);
	kube_controller_stats st = { .version = 2 };
	ck_assert_int_eq(kube_controller_get_stats(c, &st), KUBE_EINVAL);
	kube_controller_free(c);
	ck_assert_int_eq(s.destroyed, 1);
	kube_controller_free(NULL);
}
END_TEST

START_TEST(test_controller_runs_on_loop_after_start)
{
	script s = { "", 0, 0, 0, 0 };
	kube_controller *c = new_ctrl(&s, 2);
	kube_object *pod = NULL;
	const char *js = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\",\"name\":\"p\"}}";

	ck_assert_int_eq(kube_object_from_json(&pod, js, strlen(js)), 0);
	ck_assert_int_eq(kube_controller_enqueue(c, "ns/a"), 0);
	ck_assert_int_eq(kube_controller_enqueue_object(c, pod), 0);
	ck_assert_int_eq(kube_controller_enqueue(c, "ns/a"), 0);   /* coalesces */
	for (int i = 0; i < 3; i++)
		kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
	ck_assert_str_eq(s.log, "");     /* not started */
	ck_assert_int_eq(kube_controller_start(c), 0);
	ck_assert_str_eq(s.log, "");     /* never inside start */
	for (int i = 0; i < 3; i++)
		kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
	ck_assert_str_eq(s.log, "ns/a;ns/p;");
	/* a later add reaches the loop through the queue's notification */
	kube_controller_enqueue(c, "ns/b");
	for (int i = 0; i < 3; i++)
		kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
	ck_assert_str_eq(s.log, "ns/a;ns/p;ns/b;");
	kube_controller_stats st = { .version = KUBE_CONTROLLER_STATS_VERSION };
	ck_assert_int_eq(kube_controller_get_stats(c, &st), 0);
	ck_assert_uint_eq(st.reconciles, 3);
	ck_assert_uint_eq(st.errors, 0);
	kube_object_unref(pod);
	kube_controller_free(c);
}
END_TEST

START_TEST(test_controller_results)
{
	script s = { "", 0, 0, 0, 0 };
	kube_controller *c = new_ctrl(&s, 1);
	kube_workqueue *q = kube_controller_queue(c);
	int64_t at;

	/* an error: requeued with backoff 5 ms, then 10 ms */
	s.result = KUBE_EIO;
	kube_controller_enqueue(c, "k");
	ck_assert_int_eq(kube_controller_process(c), 1);
	ck_assert_int_eq(kube_workqueue_num_requeues(q, "k"), 1);
	ck_assert_int_eq(kube_workqueue_next_ready(q, &at), 0);
	ck_assert_int_eq(at, fake_now + 5 * MS);
	ck_assert_int_eq(kube_controller_process(c), 0);
	fake_now += 5 * MS;
	ck_assert_int_eq(kube_controller_process(c), 1);
	ck_assert_int_eq(kube_workqueue_next_ready(q, &at), 0);
	ck_assert_int_eq(at, fake_now + 10 * MS);
	/* KUBE_RECONCILE_REQUEUE: the same backoff, counted apart */
	s.result = KUBE_RECONCILE_REQUEUE;
	fake_now += 10 * MS;
	ck_assert_int_eq(kube_controller_process(c), 1);
	ck_assert_int_eq(kube_workqueue_num_requeues(q, "k"), 3);
	ck_assert_int_eq(kube_workqueue_next_ready(q, &at), 0);
	ck_assert_int_eq(at, fake_now + 20 * MS);
	/* done: failures forgotten; RequeueAfter adds it back after the delay */
	s.result = 0;
	s.after = 30 * SEC;
	fake_now += 20 * MS;
	ck_assert_int_eq(kube_controller_process(c), 1);
	ck_assert_int_eq(kube_workqueue_num_requeues(q, "k"), 0);
	ck_assert_int_eq(kube_workqueue_next_ready(q, &at), 0);
	ck_assert_int_eq(at, fake_now + 30 * SEC);
	s.after = 0;
	fake_now += 30 * SEC;
	ck_assert_int_eq(kube_controller_process(c), 1);
	ck_assert_int_eq(kube_workqueue_next_ready(q, &at), KUBE_ENOTFOUND);
	ck_assert_uint_eq(kube_workqueue_len(q), 0);
	ck_assert_str_eq(s.log, "k;k;k;k;k;");
	kube_controller_stats st = { .version = KUBE_CONTROLLER_STATS_VERSION };
	ck_assert_int_eq(kube_controller_get_stats(c, &st), 0);
	ck_assert_uint_eq(st.reconciles, 5);
	ck_assert_uint_eq(st.errors, 2);
	ck_assert_uint_eq(st.requeues, 1);
	ck_assert_uint_eq(st.requeues_after, 1);
	kube_controller_free(c);
}
END_TEST

START_TEST(test_controller_pending_holds_worker_and_key)
{
	script s = { "", KUBE_RECONCILE_PENDING, 0, 0, 0 };
	kube_controller *c = new_ctrl(&s, 2);

	kube_controller_enqueue(c, "a");
	kube_controller_enqueue(c, "b");
	kube_controller_enqueue(c, "c");
	ck_assert_int_eq(kube_controller_process(c), 2);   /* two workers */
	ck_assert_str_eq(s.log, "a;b;");
	kube_controller_enqueue(c, "a");                   /* a is in flight */
	ck_assert_int_eq(kube_controller_process(c), 0);
	kube_controller_stats st = { .version = KUBE_CONTROLLER_STATS_VERSION };
	kube_controller_get_stats(c, &st);
	ck_assert_uint_eq(st.pending, 2);
	ck_assert_int_eq(kube_controller_finish(c, "x", 0, 0), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message, "controller test: key \"x\" is not pending");
	ck_assert_int_eq(kube_controller_finish(c, "a", KUBE_RECONCILE_PENDING, 0), KUBE_EINVAL);
	/* a finishes: its slot takes c, and a (added meanwhile) comes after */
	ck_assert_int_eq(kube_controller_finish(c, "a", 0, 0), 0);
	ck_assert_int_eq(kube_controller_process(c), 1);
	ck_assert_str_eq(s.log, "a;b;c;");
	ck_assert_int_eq(kube_controller_finish(c, "b", 0, 0), 0);
	ck_assert_int_eq(kube_controller_process(c), 1);
	ck_assert_str_eq(s.log, "a;b;c;a;");
	s.result = 0;
	ck_assert_int_eq(kube_controller_finish(c, "c", 0, 0), 0);
	ck_assert_int_eq(kube_controller_finish(c, "a", KUBE_EIO, 0), 0);
	kube_controller_get_stats(c, &st);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_uint_eq(st.errors, 1);
	ck_assert_int_eq(kube_workqueue_num_requeues(kube_controller_queue(c), "a"), 1);
	kube_controller_free(c);   /* with a key delayed: freed cleanly */
}
END_TEST

typedef struct adder {
	kube_controller *c;
	int n;
} adder;

static void *add_from_thread(void *arg)
{
	adder *a = arg;
	char key[16];
	for (int i = 0; i < a->n; i++) {
		snprintf(key, sizeof(key), "t/%d", i);
		kube_controller_enqueue(a->c, key);
	}
	return NULL;
}

START_TEST(test_controller_enqueue_from_thread)
{
	script s = { "", 0, 0, 0, 0 };
	kube_workqueue_options qo = KUBE_WORKQUEUE_OPTIONS_INIT;
	kube_controller_options o = KUBE_CONTROLLER_OPTIONS_INIT;
	kube_controller *c = NULL;
	adder a;
	pthread_t t;

	o.workers = 3;
	o.queue = &qo;   /* the real clock */
	ck_assert_int_eq(kube_controller_new(&c, loop, &o, reconcile, &s, NULL), 0);
	ck_assert_int_eq(kube_controller_start(c), 0);
	a.c = c;
	a.n = 100;
	ck_assert_int_eq(pthread_create(&t, NULL, add_from_thread, &a), 0);
	pthread_join(t, NULL);
	while (s.calls < 100)
		ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(s.calls, 100);
	ck_assert(strncmp(s.log, "t/0;t/1;t/2;", 12) == 0);
	kube_controller_stop(c);
	kube_controller_stop(c);
	kube_controller_enqueue(c, "late");   /* ignored once stopped */
	for (int i = 0; i < 3; i++)
		kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
	ck_assert_int_eq(s.calls, 100);
	kube_controller_free(c);
}
END_TEST

START_TEST(test_controller_delayed_key_timer)
{
	script s = { "", 0, 0, 0, 0 };
	kube_controller_options o = KUBE_CONTROLLER_OPTIONS_INIT;
	kube_controller *c = NULL;

	ck_assert_int_eq(kube_controller_new(&c, loop, &o, reconcile, &s, NULL), 0);
	ck_assert_int_eq(kube_controller_start(c), 0);
	ck_assert_int_eq(kube_controller_enqueue_after(c, "later", 20 * MS), 0);
	while (s.calls < 1)
		ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_str_eq(s.log, "later;");
	kube_controller_free(c);
}
END_TEST

/* ---- expectations ---- */

START_TEST(test_controller_expectations)
{
	kube_expectations *e;
	int64_t a = 0, d = 0;
	const char *dels[] = { "ns/p1", "ns/p2", "ns/p1" };

	ck_assert_int_eq(kube_expectations_new(&e, fake_clock, NULL), 0);
	/* no record: satisfied */
	ck_assert_int_eq(kube_expectations_satisfied(e, "ns/rs"), 1);
	ck_assert_int_eq(kube_expectations_get(e, "ns/rs", &a, &d), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_expectations_expect_creations(e, "ns/rs", 2), 0);
	ck_assert_int_eq(kube_expectations_satisfied(e, "ns/rs"), 0);
	kube_expectations_creation_observed(e, "ns/rs");
	ck_assert_int_eq(kube_expectations_satisfied(e, "ns/rs"), 0);
	kube_expectations_creation_observed(e, "ns/rs");
	ck_assert_int_eq(kube_expectations_satisfied(e, "ns/rs"), 1);
	kube_expectations_creation_observed(e, "ns/rs");   /* below zero: still fulfilled */
	ck_assert_int_eq(kube_expectations_get(e, "ns/rs", &a, &d), 0);
	ck_assert_int_eq(a, -1);
	ck_assert_int_eq(kube_expectations_satisfied(e, "ns/rs"), 1);

	/* tracked deletions: only the listed keys count, each once */
	ck_assert_int_eq(kube_expectations_expect_deletions(e, "ns/rs", dels, 3), 0);
	ck_assert_int_eq(kube_expectations_get(e, "ns/rs", &a, &d), 0);
	ck_assert_int_eq(a, 0);
	ck_assert_int_eq(d, 2);
	kube_expectations_deletion_observed(e, "ns/rs", "ns/other");
	kube_expectations_deletion_observed(e, "ns/rs", "ns/p1");
	kube_expectations_deletion_observed(e, "ns/rs", "ns/p1");
	ck_assert_int_eq(kube_expectations_satisfied(e, "ns/rs"), 0);
	ck_assert_int_eq(kube_expectations_get(e, "ns/rs", NULL, &d), 0);
	ck_assert_int_eq(d, 1);
	kube_expectations_deletion_observed(e, "ns/rs", "ns/p2");
	ck_assert_int_eq(kube_expectations_satisfied(e, "ns/rs"), 1);

	/* expiry: 5 minutes after they were set, unfulfilled ones give way */
	ck_assert_int_eq(kube_expectations_expect_creations(e, "ns/x", 1), 0);
	fake_now += 300 * SEC;
	ck_assert_int_eq(kube_expectations_satisfied(e, "ns/x"), 0);   /* exactly 5 min */
	fake_now += 1;
	ck_assert_int_eq(kube_expectations_satisfied(e, "ns/x"), 1);
	/* raise and lower keep the timestamp */
	kube_expectations_raise(e, "ns/x", 2, 1);
	ck_assert_int_eq(kube_expectations_get(e, "ns/x", &a, &d), 0);
	ck_assert_int_eq(a, 3);
	ck_assert_int_eq(d, 1);
	ck_assert_int_eq(kube_expectations_satisfied(e, "ns/x"), 1);   /* still expired */
	kube_expectations_expect_creations(e, "ns/x", 1);
	kube_expectations_lower(e, "ns/x", 1, 0);
	ck_assert_int_eq(kube_expectations_satisfied(e, "ns/x"), 1);
	kube_expectations_raise(e, "ns/absent", 1, 0);   /* no record: nothing */
	ck_assert_int_eq(kube_expectations_satisfied(e, "ns/absent"), 1);
	kube_expectations_delete(e, "ns/x");
	ck_assert_int_eq(kube_expectations_get(e, "ns/x", &a, &d), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_expectations_expect_deletions(e, "ns/y", (const char *[]){ NULL }, 1),
	                 KUBE_EINVAL);
	kube_expectations_free(e);
	kube_expectations_free(NULL);
}
END_TEST

static Suite *controller_suite(void)
{
	Suite *s = suite_create("controller");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_controller_options);
	tcase_add_test(tc, test_controller_runs_on_loop_after_start);
	tcase_add_test(tc, test_controller_results);
	tcase_add_test(tc, test_controller_pending_holds_worker_and_key);
	tcase_add_test(tc, test_controller_enqueue_from_thread);
	tcase_add_test(tc, test_controller_delayed_key_timer);
	tcase_add_test(tc, test_controller_expectations);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(controller_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
