/*
 * test_workqueue.c - the work queue against client-go's semantics: FIFO
 * order, coalescing, a key never handed out twice at once, re-adds while
 * processing, delayed adds (the earliest deadline wins), the exponential
 * per-key backoff and the token bucket and their max, forget, shut down
 * with and without drain, metrics, and many threads at once.  Time is a
 * fake clock the tests move by hand.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libkube/kube.h"

#define MS ((int64_t)1000000)
#define SEC ((int64_t)1000000000)

static int64_t fake_now;

static int64_t fake_clock(void *ud)
{
	(void)ud;
	return fake_now;
}

static kube_workqueue *new_queue(double qps, unsigned int burst)
{
	kube_workqueue_options o = KUBE_WORKQUEUE_OPTIONS_INIT;
	kube_workqueue *q = NULL;

	fake_now = 1000 * SEC;
	o.clock = fake_clock;
	o.qps = qps;
	o.burst = burst;
	o.name = "test";
	ck_assert_int_eq(kube_workqueue_new(&q, &o), 0);
	return q;
}

/* Takes the next key and checks it. */
static void expect_get(kube_workqueue *q, const char *want)
{
	char *k = NULL;
	ck_assert_int_eq(kube_workqueue_try_get(q, &k), 0);
	ck_assert_str_eq(k, want);
	kube_free(k);
}

static void expect_empty(kube_workqueue *q)
{
	char *k = (char *)1;
	ck_assert_int_eq(kube_workqueue_try_get(q, &k), KUBE_ENOTFOUND);
	ck_assert_ptr_null(k);
}

START_TEST(test_workqueue_options)
{
	kube_workqueue_options o;
	kube_workqueue *q = NULL;

	ck_assert_int_eq(kube_workqueue_options_init(&o, 2), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "kube_workqueue_options_init: unknown version 2");
	ck_assert_int_eq(kube_workqueue_options_init(&o, 1), 0);
	ck_assert_int_eq(o.base_delay_ns, 5 * MS);
	ck_assert_int_eq(o.max_delay_ns, 1000 * SEC);
	ck_assert(o.qps == 10.0);
	ck_assert_uint_eq(o.burst, 100);
	o.base_delay_ns = 0;
	ck_assert_int_eq(kube_workqueue_new(&q, &o), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "kube_workqueue_new: need 0 < base_delay_ns <= max_delay_ns");
	o.base_delay_ns = 5 * MS;
	o.burst = 0;
	ck_assert_int_eq(kube_workqueue_new(&q, &o), KUBE_EINVAL);
	o.qps = 0;   /* no bucket: burst does not matter */
	ck_assert_int_eq(kube_workqueue_new(&q, &o), 0);
	kube_workqueue_free(q);
	ck_assert_int_eq(kube_workqueue_new(&q, NULL), 0);
	ck_assert_int_eq(kube_workqueue_add(q, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_workqueue_add(NULL, "a"), KUBE_EINVAL);
	kube_workqueue_free(q);
	kube_workqueue_free(NULL);
}
END_TEST

START_TEST(test_workqueue_fifo_and_coalesce)
{
	kube_workqueue *q = new_queue(10, 100);

	ck_assert_int_eq(kube_workqueue_add(q, "ns/a"), 0);
	ck_assert_int_eq(kube_workqueue_add(q, "ns/b"), 0);
	ck_assert_int_eq(kube_workqueue_add(q, "ns/a"), 0);   /* coalesces */
	ck_assert_int_eq(kube_workqueue_add(q, "ns/c"), 0);
	ck_assert_uint_eq(kube_workqueue_len(q), 3);
	ck_assert_int_eq(kube_workqueue_contains(q, "ns/a"), 1);
	ck_assert_int_eq(kube_workqueue_contains(q, "ns/z"), 0);
	expect_get(q, "ns/a");
	expect_get(q, "ns/b");
	expect_get(q, "ns/c");
	expect_empty(q);
	ck_assert_int_eq(kube_workqueue_contains(q, "ns/a"), 1);   /* processing */
	ck_assert_int_eq(kube_workqueue_done(q, "ns/a"), 0);
	ck_assert_int_eq(kube_workqueue_contains(q, "ns/a"), 0);
	ck_assert_int_eq(kube_workqueue_done(q, "ns/a"), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message, "workqueue test: key \"ns/a\" is not processing");
	ck_assert_int_eq(kube_workqueue_done(q, "ns/b"), 0);
	ck_assert_int_eq(kube_workqueue_done(q, "ns/c"), 0);
	kube_workqueue_free(q);
}
END_TEST

START_TEST(test_workqueue_readd_while_processing)
{
	kube_workqueue *q = new_queue(10, 100);

	kube_workqueue_add(q, "k");
	expect_get(q, "k");
	/* added twice while processing: not handed out, queued once after done */
	kube_workqueue_add(q, "k");
	kube_workqueue_add(q, "k");
	kube_workqueue_add(q, "other");
	ck_assert_uint_eq(kube_workqueue_len(q), 1);
	expect_get(q, "other");
	expect_empty(q);
	ck_assert_int_eq(kube_workqueue_done(q, "k"), 0);
	ck_assert_uint_eq(kube_workqueue_len(q), 1);
	expect_get(q, "k");
	expect_empty(q);
	kube_workqueue_done(q, "k");
	kube_workqueue_done(q, "other");
	expect_empty(q);
	kube_workqueue_free(q);
}
END_TEST

START_TEST(test_workqueue_add_after)
{
	kube_workqueue *q = new_queue(10, 100);
	int64_t at;

	ck_assert_int_eq(kube_workqueue_next_ready(q, &at), KUBE_ENOTFOUND);
	kube_workqueue_add_after(q, "late", 50 * MS);
	kube_workqueue_add_after(q, "early", 10 * MS);
	kube_workqueue_add_after(q, "late", 80 * MS);    /* later: ignored */
	kube_workqueue_add_after(q, "now", 0);           /* <= 0: at once */
	ck_assert_uint_eq(kube_workqueue_delayed_len(q), 2);
	ck_assert_int_eq(kube_workqueue_next_ready(q, &at), 0);
	ck_assert_int_eq(at, fake_now + 10 * MS);
	expect_get(q, "now");
	expect_empty(q);
	fake_now += 10 * MS;
	expect_get(q, "early");
	expect_empty(q);
	ck_assert_int_eq(kube_workqueue_next_ready(q, &at), 0);
	ck_assert_int_eq(at, fake_now + 40 * MS);
	kube_workqueue_add_after(q, "late", 5 * MS);     /* earlier: wins */
	fake_now += 5 * MS;
	expect_get(q, "late");
	ck_assert_uint_eq(kube_workqueue_delayed_len(q), 0);
	ck_assert_int_eq(kube_workqueue_next_ready(q, &at), KUBE_ENOTFOUND);
	/* a delayed add of a key already queued coalesces with it */
	kube_workqueue_add(q, "x");
	kube_workqueue_add_after(q, "x", 1 * MS);
	fake_now += 2 * MS;
	ck_assert_uint_eq(kube_workqueue_len(q), 1);
	expect_get(q, "x");
	expect_empty(q);
	kube_workqueue_metrics m = { .version = KUBE_WORKQUEUE_METRICS_VERSION };
	ck_assert_int_eq(kube_workqueue_get_metrics(q, &m), 0);
	ck_assert_uint_eq(m.retries, 6);   /* every add_after counts */
	ck_assert_uint_eq(m.adds, 4);      /* now, early, late, x */
	kube_workqueue_free(q);
}
END_TEST

START_TEST(test_workqueue_exponential_backoff)
{
	kube_workqueue *q = new_queue(0, 0);   /* the per-key limiter alone */
	int64_t want = 5 * MS;

	for (int i = 0; i < 18; i++) {
		ck_assert_int_eq(kube_workqueue_when(q, "k"), want);
		want *= 2;
	}
	ck_assert_int_eq(want / 2, 655360 * MS);   /* the 18th: 5 ms * 2^17 */
	ck_assert_int_eq(kube_workqueue_num_requeues(q, "k"), 18);
	/* 5 ms * 2^18 = 1310.72 s > 1000 s: capped from the 19th failure on */
	ck_assert_int_eq(kube_workqueue_when(q, "k"), 1000 * SEC);
	for (int i = 0; i < 100; i++)
		kube_workqueue_when(q, "k");
	ck_assert_int_eq(kube_workqueue_when(q, "k"), 1000 * SEC);
	/* another key has its own count */
	ck_assert_int_eq(kube_workqueue_when(q, "j"), 5 * MS);
	kube_workqueue_forget(q, "k");
	ck_assert_int_eq(kube_workqueue_num_requeues(q, "k"), 0);
	ck_assert_int_eq(kube_workqueue_when(q, "k"), 5 * MS);
	ck_assert_int_eq(kube_workqueue_when(q, "k"), 10 * MS);
	ck_assert_int_eq(kube_workqueue_when(NULL, "k"), -1);
	kube_workqueue_free(q);
}
END_TEST

START_TEST(test_workqueue_token_bucket)
{
	kube_workqueue *q = new_queue(10, 100);
	char key[32];

	/* 100 distinct keys use the burst: each delay is its own backoff */
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ck_assert_int_eq(kube_workqueue_when(q, key), 5 * MS);
	}
	/* then 10 per second: the 101st waits 100 ms, the 102nd 200 ms */
	ck_assert_int_eq(kube_workqueue_when(q, "k100"), 100 * MS);
	ck_assert_int_eq(kube_workqueue_when(q, "k101"), 200 * MS);
	/* a second later 10 tokens came back: the debt of 2 is repaid, 8 left */
	fake_now += SEC;
	for (int i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "j%d", i);
		ck_assert_int_eq(kube_workqueue_when(q, key), 5 * MS);
	}
	ck_assert_int_eq(kube_workqueue_when(q, "j8"), 100 * MS);
	/* the max of both: a key with a long backoff keeps its backoff */
	for (int i = 0; i < 9; i++)
		kube_workqueue_when(q, "slow");   /* 5 ms .. 1.28 s, bucket in debt */
	fake_now += 100 * SEC;                    /* bucket full again */
	ck_assert_int_eq(kube_workqueue_when(q, "slow"), 2560 * MS);
	kube_workqueue_free(q);
}
END_TEST

START_TEST(test_workqueue_add_rate_limited)
{
	kube_workqueue *q = new_queue(10, 100);
	int64_t at;

	ck_assert_int_eq(kube_workqueue_add_rate_limited(q, "k"), 0);
	ck_assert_int_eq(kube_workqueue_next_ready(q, &at), 0);
	ck_assert_int_eq(at, fake_now + 5 * MS);
	expect_empty(q);
	fake_now += 5 * MS;
	expect_get(q, "k");
	kube_workqueue_add_rate_limited(q, "k");   /* while processing: waits 10 ms */
	kube_workqueue_done(q, "k");
	expect_empty(q);
	fake_now += 10 * MS;
	expect_get(q, "k");
	ck_assert_int_eq(kube_workqueue_num_requeues(q, "k"), 2);
	kube_workqueue_forget(q, "k");
	kube_workqueue_done(q, "k");
	ck_assert_int_eq(kube_workqueue_num_requeues(q, "k"), 0);
	kube_workqueue_free(q);
}
END_TEST

START_TEST(test_workqueue_shut_down)
{
	kube_workqueue *q = new_queue(10, 100);
	char *k;

	kube_workqueue_add(q, "a");
	kube_workqueue_add(q, "b");
	kube_workqueue_add_after(q, "delayed", 1 * MS);
	kube_workqueue_shut_down(q);
	ck_assert_int_eq(kube_workqueue_shutting_down(q), 1);
	kube_workqueue_add(q, "c");                 /* ignored */
	kube_workqueue_add_rate_limited(q, "d");    /* ignored */
	fake_now += 10 * MS;                        /* delayed keys never come */
	/* what was queued is still handed out, then ECANCELED */
	expect_get(q, "a");
	ck_assert_int_eq(kube_workqueue_get(q, &k), 0);
	ck_assert_str_eq(k, "b");
	kube_free(k);
	ck_assert_int_eq(kube_workqueue_get(q, &k), KUBE_ECANCELED);
	ck_assert_str_eq(kube_error_last()->message, "workqueue test is shut down");
	ck_assert_int_eq(kube_workqueue_try_get(q, &k), KUBE_ECANCELED);
	kube_workqueue_done(q, "a");
	kube_workqueue_done(q, "b");
	kube_workqueue_free(q);
}
END_TEST

/* ---- threads ---- */

typedef struct drain_ctx {
	kube_workqueue *q;
	int finished;      /* set by the worker just before done */
	int returned;      /* set by the drainer */
} drain_ctx;

static void *drainer(void *arg)
{
	drain_ctx *c = arg;
	kube_workqueue_shut_down_with_drain(c->q);
	__atomic_store_n(&c->returned, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

START_TEST(test_workqueue_shut_down_with_drain)
{
	kube_workqueue *q = new_queue(10, 100);
	drain_ctx c = { q, 0, 0 };
	pthread_t t;
	char *k;

	kube_workqueue_add(q, "a");
	kube_workqueue_add(q, "b");
	ck_assert_int_eq(kube_workqueue_get(q, &k), 0);
	ck_assert_str_eq(k, "a");
	ck_assert_int_eq(pthread_create(&t, NULL, drainer, &c), 0);
	usleep(50000);
	/* still processing "a": the drain waits */
	ck_assert_int_eq(__atomic_load_n(&c.returned, __ATOMIC_SEQ_CST), 0);
	ck_assert_int_eq(kube_workqueue_shutting_down(q), 1);
	/* "b" is still handed out after shut down, and must be done too */
	expect_get(q, "b");
	kube_workqueue_done(q, "a");
	usleep(20000);
	ck_assert_int_eq(__atomic_load_n(&c.returned, __ATOMIC_SEQ_CST), 0);
	kube_workqueue_done(q, "b");
	pthread_join(t, NULL);
	ck_assert_int_eq(c.returned, 1);
	kube_free(k);
	kube_workqueue_free(q);
}
END_TEST

#define NTHREADS 4
#define NKEYS 50
#define ROUNDS 200

typedef struct stress {
	kube_workqueue *q;
	int busy[NKEYS];        /* 1 while a worker holds the key */
	int overlap;            /* a key was handed to two workers at once */
	int processed;
} stress;

static void *worker(void *arg)
{
	stress *s = arg;
	char *k;

	while (kube_workqueue_get(s->q, &k) == 0) {
		int i = atoi(k + 1);
		if (__atomic_exchange_n(&s->busy[i], 1, __ATOMIC_SEQ_CST))
			__atomic_store_n(&s->overlap, 1, __ATOMIC_SEQ_CST);
		sched_yield();
		__atomic_store_n(&s->busy[i], 0, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&s->processed, 1, __ATOMIC_SEQ_CST);
		kube_workqueue_done(s->q, k);
		kube_free(k);
	}
	return NULL;
}

START_TEST(test_workqueue_threads_never_share_a_key)
{
	kube_workqueue *q = NULL;
	stress s;
	pthread_t t[NTHREADS];
	char key[16];

	ck_assert_int_eq(kube_workqueue_new(&q, NULL), 0);   /* the real clock */
	memset(&s, 0, sizeof(s));
	s.q = q;
	for (int i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, &s), 0);
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < NKEYS; i++) {
			snprintf(key, sizeof(key), "k%d", i);
			kube_workqueue_add(q, key);
		}
	kube_workqueue_shut_down_with_drain(q);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(s.overlap, 0);
	/* every key at least once after its last add, never more than added */
	ck_assert_int_ge(s.processed, NKEYS);
	ck_assert_int_le(s.processed, NKEYS * ROUNDS);
	kube_workqueue_metrics m = { .version = KUBE_WORKQUEUE_METRICS_VERSION };
	ck_assert_int_eq(kube_workqueue_get_metrics(q, &m), 0);
	ck_assert_uint_eq(m.gets, (uint64_t)s.processed);
	ck_assert_uint_eq(m.dones, (uint64_t)s.processed);
	ck_assert_uint_eq(m.adds, (uint64_t)s.processed);
	ck_assert_uint_eq(m.processing, 0);
	kube_workqueue_free(q);
}
END_TEST

typedef struct blocked {
	kube_workqueue *q;
	char *key;
	int rc;
} blocked;

static void *blocked_get(void *arg)
{
	blocked *b = arg;
	b->rc = kube_workqueue_get(b->q, &b->key);
	return NULL;
}

START_TEST(test_workqueue_get_blocks_until_delayed_key_due)
{
	kube_workqueue *q = NULL;
	blocked b = { NULL, NULL, 1 };
	pthread_t t;

	ck_assert_int_eq(kube_workqueue_new(&q, NULL), 0);
	b.q = q;
	ck_assert_int_eq(pthread_create(&t, NULL, blocked_get, &b), 0);
	usleep(10000);
	kube_workqueue_add_after(q, "soon", 30 * MS);   /* wakes the getter to wait for it */
	pthread_join(t, NULL);
	ck_assert_int_eq(b.rc, 0);
	ck_assert_str_eq(b.key, "soon");
	kube_workqueue_done(q, b.key);
	kube_free(b.key);
	/* a blocked get returns ECANCELED on shut down */
	b.key = NULL;
	ck_assert_int_eq(pthread_create(&t, NULL, blocked_get, &b), 0);
	usleep(10000);
	kube_workqueue_shut_down(q);
	pthread_join(t, NULL);
	ck_assert_int_eq(b.rc, KUBE_ECANCELED);
	ck_assert_ptr_null(b.key);
	kube_workqueue_free(q);
}
END_TEST

/* ---- metrics and notification ---- */

static int notified;

static void on_notify(kube_workqueue *q, void *ud)
{
	(void)q;
	*(int *)ud += 1;
}

static void count_destroy(void *ud)
{
	(void)ud;
	notified = -100;
}

START_TEST(test_workqueue_metrics)
{
	kube_workqueue *q = new_queue(10, 100);
	kube_workqueue_metrics m = { .version = 9 };
	int n = 0;

	ck_assert_int_eq(kube_workqueue_get_metrics(q, &m), KUBE_EINVAL);
	ck_assert_int_eq(kube_workqueue_set_notify(q, on_notify, &n, NULL), 0);
	kube_workqueue_add(q, "a");
	kube_workqueue_add(q, "a");      /* coalesced: no add counted, no notify */
	ck_assert_int_eq(n, 1);
	fake_now += 7 * MS;
	kube_workqueue_add(q, "b");
	fake_now += 3 * MS;
	expect_get(q, "a");              /* 10 ms in the queue */
	fake_now += 2 * MS;
	expect_get(q, "b");              /* 5 ms */
	fake_now += 20 * MS;
	m.version = KUBE_WORKQUEUE_METRICS_VERSION;
	ck_assert_int_eq(kube_workqueue_get_metrics(q, &m), 0);
	ck_assert_uint_eq(m.depth, 0);
	ck_assert_uint_eq(m.adds, 2);
	ck_assert_uint_eq(m.gets, 2);
	ck_assert_int_eq(m.queue_ns_total, 15 * MS);
	ck_assert_int_eq(m.queue_ns_max, 10 * MS);
	ck_assert_uint_eq(m.processing, 2);
	ck_assert_int_eq(m.unfinished_work_ns, 22 * MS + 20 * MS);
	ck_assert_int_eq(m.longest_running_ns, 22 * MS);
	ck_assert_int_eq(n, 2);
	kube_workqueue_add(q, "a");      /* dirty while processing: no notify yet */
	ck_assert_int_eq(n, 2);
	kube_workqueue_done(q, "a");     /* requeued: notify */
	ck_assert_int_eq(n, 3);
	kube_workqueue_done(q, "b");
	ck_assert_int_eq(kube_workqueue_get_metrics(q, &m), 0);
	ck_assert_uint_eq(m.depth, 1);
	ck_assert_uint_eq(m.dones, 2);
	ck_assert_int_eq(m.work_ns_total, 22 * MS + 20 * MS);
	ck_assert_int_eq(m.work_ns_max, 22 * MS);
	ck_assert_int_eq(m.unfinished_work_ns, 0);
	kube_workqueue_add_after(q, "c", MS);   /* notifies so a runner can arm a timer */
	ck_assert_int_eq(n, 4);
	kube_workqueue_shut_down(q);
	ck_assert_int_eq(n, 5);
	notified = 0;
	ck_assert_int_eq(kube_workqueue_set_notify(q, on_notify, &n, count_destroy), 0);
	kube_workqueue_free(q);
	ck_assert_int_eq(notified, -100);
}
END_TEST

static Suite *workqueue_suite(void)
{
	Suite *s = suite_create("workqueue");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_workqueue_options);
	tcase_add_test(tc, test_workqueue_fifo_and_coalesce);
	tcase_add_test(tc, test_workqueue_readd_while_processing);
	tcase_add_test(tc, test_workqueue_add_after);
	tcase_add_test(tc, test_workqueue_exponential_backoff);
	tcase_add_test(tc, test_workqueue_token_bucket);
	tcase_add_test(tc, test_workqueue_add_rate_limited);
	tcase_add_test(tc, test_workqueue_shut_down);
	tcase_add_test(tc, test_workqueue_shut_down_with_drain);
	tcase_add_test(tc, test_workqueue_threads_never_share_a_key);
	tcase_add_test(tc, test_workqueue_get_blocks_until_delayed_key_due);
	tcase_add_test(tc, test_workqueue_metrics);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(workqueue_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
