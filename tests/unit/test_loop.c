/*
 * test_loop.c - the event loop: deferred calls, posts from other threads,
 * timers, the worker pool, cancellation and shutdown.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "libkube/kube.h"

/* A log of what ran, in order. */
typedef struct trace {
	char buf[512];
	int destroyed;
} trace;

static void trace_add(trace *t, const char *s)
{
	strncat(t->buf, s, sizeof(t->buf) - strlen(t->buf) - 1);
}

typedef struct step {
	trace *t;
	const char *name;
	kube_loop *loop;
	int stop;
} step;

static void step_cb(void *ud)
{
	step *s = ud;
	trace_add(s->t, s->name);
	if (s->stop)
		kube_loop_stop(s->loop);
}

static void step_destroy(void *ud)
{
	step *s = ud;
	s->t->destroyed++;
}

START_TEST(test_loop_new_free)
{
	kube_loop *loop = NULL;
	kube_loop_options o = { 99, 1 };

	ck_assert_int_eq(kube_loop_new(NULL, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_loop_new(&loop, &o), KUBE_EINVAL);
	ck_assert_ptr_null(loop);
	ck_assert_str_eq(kube_error_last()->message, "kube_loop: unknown options version 99");
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_ptr_nonnull(kube_loop_base(loop));
	ck_assert_int_eq(kube_loop_run_once(loop, 4), KUBE_EINVAL);
	kube_loop_free(loop);
	kube_loop_free(NULL);
	ck_assert_int_eq(kube_loop_options_init(&o, 1), 0);
	ck_assert_uint_eq(o.workers, 4);
	ck_assert_int_eq(kube_loop_options_init(&o, 2), KUBE_EINVAL);
}
END_TEST

START_TEST(test_loop_defer_order_and_later)
{
	kube_loop *loop;
	trace t = { "", 0 };
	step a = { &t, "a", NULL, 0 }, b = { &t, "b", NULL, 0 };

	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_loop_defer(loop, step_cb, &a, step_destroy), 0);
	ck_assert_int_eq(kube_loop_defer(loop, step_cb, &b, NULL), 0);
	ck_assert_int_eq(kube_loop_defer(loop, NULL, &b, NULL), KUBE_EINVAL);
	ck_assert_str_eq(t.buf, "");   /* never inside the call */
	ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_str_eq(t.buf, "ab");
	ck_assert_int_eq(t.destroyed, 1);
	kube_loop_free(loop);
}
END_TEST

/* A deferred call that defers another: the second runs in a later iteration. */
typedef struct chain {
	kube_loop *loop;
	int runs;
} chain;

static void chain_cb(void *ud)
{
	chain *c = ud;
	if (++c->runs < 3)
		ck_assert_int_eq(kube_loop_defer(c->loop, chain_cb, c, NULL), 0);
}

START_TEST(test_loop_defer_from_defer_runs_next_iteration)
{
	kube_loop *loop;
	chain c = { NULL, 0 };

	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	c.loop = loop;
	ck_assert_int_eq(kube_loop_defer(loop, chain_cb, &c, NULL), 0);
	ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(c.runs, 1);
	ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(c.runs, 2);
	ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(c.runs, 3);
	kube_loop_free(loop);
}
END_TEST

/* ---- posts from other threads ---- */

#define POSTERS 4
#define POSTS 2000

typedef struct post_ctx {
	kube_loop *loop;
	pthread_t loop_thread;
	int seen[POSTERS];      /* next expected sequence number per poster */
	int total;
	int wrong_thread;
	int out_of_order;
} post_ctx;

typedef struct post_msg {
	post_ctx *ctx;
	int poster, seq;
} post_msg;

static void post_cb(void *ud)
{
	post_msg *m = ud;
	post_ctx *c = m->ctx;
	if (!pthread_equal(pthread_self(), c->loop_thread))
		c->wrong_thread++;
	if (m->seq != c->seen[m->poster])
		c->out_of_order++;
	c->seen[m->poster] = m->seq + 1;
	if (++c->total == POSTERS * POSTS)
		kube_loop_stop(c->loop);
}

typedef struct poster_arg {
	post_ctx *ctx;
	int id;
} poster_arg;

static void *poster_main(void *arg)
{
	poster_arg *a = arg;
	for (int i = 0; i < POSTS; i++) {
		post_msg *m = malloc(sizeof(*m));
		m->ctx = a->ctx;
		m->poster = a->id;
		m->seq = i;
		ck_assert_int_eq(kube_loop_post(a->ctx->loop, post_cb, m, free), 0);
	}
	return NULL;
}

START_TEST(test_loop_post_from_threads)
{
	post_ctx c;
	pthread_t th[POSTERS];
	poster_arg args[POSTERS];

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(kube_loop_new(&c.loop, NULL), 0);
	c.loop_thread = pthread_self();
	for (int i = 0; i < POSTERS; i++) {
		args[i].ctx = &c;
		args[i].id = i;
		pthread_create(&th[i], NULL, poster_main, &args[i]);
	}
	ck_assert_int_eq(kube_loop_run(c.loop), 0);
	for (int i = 0; i < POSTERS; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(c.total, POSTERS * POSTS);
	ck_assert_int_eq(c.wrong_thread, 0);
	ck_assert_int_eq(c.out_of_order, 0);
	for (int i = 0; i < POSTERS; i++)
		ck_assert_int_eq(c.seen[i], POSTS);
	kube_loop_free(c.loop);
}
END_TEST

START_TEST(test_loop_free_drops_pending_calls)
{
	kube_loop *loop;
	trace t = { "", 0 };
	step a = { &t, "a", NULL, 0 }, b = { &t, "b", NULL, 0 };

	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_loop_post(loop, step_cb, &a, step_destroy), 0);
	ck_assert_int_eq(kube_loop_defer(loop, step_cb, &b, step_destroy), 0);
	kube_loop_free(loop);
	ck_assert_str_eq(t.buf, "");
	ck_assert_int_eq(t.destroyed, 2);
}
END_TEST

/* ---- an embedder's base ---- */

START_TEST(test_loop_from_base_is_not_freed)
{
	struct event_base *base = event_base_new();
	kube_loop *loop;
	trace t = { "", 0 };
	step a = { &t, "a", NULL, 0 };

	ck_assert_int_eq(kube_loop_new_from_base(&loop, NULL, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_loop_new_from_base(&loop, base, NULL), 0);
	ck_assert_ptr_eq(kube_loop_base(loop), base);
	ck_assert_int_eq(kube_loop_post(loop, step_cb, &a, NULL), 0);
	/* The embedder runs its own base. */
	ck_assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	ck_assert_str_eq(t.buf, "a");
	kube_loop_free(loop);
	/* Still usable: libkube did not free it. */
	ck_assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	event_base_free(base);
}
END_TEST

/* ---- timers ---- */

typedef struct tctx {
	trace *t;
	const char *name;
	kube_loop *loop;
	int fires;
	int stop_after;
	int free_self_after;
} tctx;

static void timer_cb(kube_timer *timer, void *ud)
{
	tctx *c = ud;
	c->fires++;
	trace_add(c->t, c->name);
	if (c->free_self_after && c->fires == c->free_self_after)
		kube_timer_free(timer);
	else if (c->stop_after && c->fires == c->stop_after)
		kube_timer_stop(timer);
}

static void timer_destroy(void *ud)
{
	tctx *c = ud;
	c->t->destroyed++;
}

static void stop_timer_cb(kube_timer *timer, void *ud)
{
	(void)timer;
	kube_loop_stop(ud);
}

START_TEST(test_loop_timers_fire_in_deadline_order)
{
	kube_loop *loop;
	trace t = { "", 0 };
	tctx a = { &t, "a", NULL, 0, 0, 0 }, b = { &t, "b", NULL, 0, 0, 0 },
	     c = { &t, "c", NULL, 0, 0, 0 };
	kube_timer *ta, *tb, *tc, *stop;

	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_timer_new(&ta, loop, timer_cb, &a, timer_destroy), 0);
	ck_assert_int_eq(kube_timer_new(&tb, loop, timer_cb, &b, timer_destroy), 0);
	ck_assert_int_eq(kube_timer_new(&tc, loop, timer_cb, &c, timer_destroy), 0);
	ck_assert_int_eq(kube_timer_new(&stop, loop, stop_timer_cb, loop, NULL), 0);
	ck_assert_int_eq(kube_timer_is_active(ta), 0);
	ck_assert_int_eq(kube_timer_start(tc, 30, 0), 0);
	ck_assert_int_eq(kube_timer_start(ta, 10, 0), 0);
	ck_assert_int_eq(kube_timer_start(tb, 20, 0), 0);
	ck_assert_int_eq(kube_timer_is_active(ta), 1);
	ck_assert_int_eq(kube_timer_start(stop, 60, 0), 0);
	ck_assert_int_eq(kube_loop_run(loop), 0);
	ck_assert_str_eq(t.buf, "abc");
	ck_assert_int_eq(kube_timer_is_active(ta), 0);   /* one-shot: over */
	ck_assert_int_eq(t.destroyed, 0);
	kube_timer_free(ta);
	ck_assert_int_eq(t.destroyed, 1);
	kube_loop_free(loop);   /* frees tb, tc, stop */
	ck_assert_int_eq(t.destroyed, 3);
}
END_TEST

static tctx *watch_r, *watch_f;

/* Stops the loop once both timers of the next test are done. */
static void both_done_cb(kube_timer *timer, void *ud)
{
	(void)timer;
	if (watch_r->fires >= 3 && watch_f->fires >= 2)
		kube_loop_stop(ud);
}

START_TEST(test_loop_timer_repeat_stop_and_free_inside)
{
	kube_loop *loop;
	trace t = { "", 0 };
	tctx r = { &t, "r", NULL, 0, 3, 0 }, f = { &t, "f", NULL, 0, 0, 2 };
	kube_timer *tr, *tf, *stop;

	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_timer_new(&tr, loop, timer_cb, &r, timer_destroy), 0);
	ck_assert_int_eq(kube_timer_new(&tf, loop, timer_cb, &f, timer_destroy), 0);
	ck_assert_int_eq(kube_timer_new(&stop, loop, stop_timer_cb, loop, NULL), 0);
	kube_timer *check;
	watch_r = &r;
	watch_f = &f;
	ck_assert_int_eq(kube_timer_start(tr, 1, 5), 0);
	ck_assert_int_eq(kube_timer_start(tf, 2, 7), 0);
	ck_assert_int_eq(kube_timer_start(stop, 5000, 0), 0);   /* a bound only */
	ck_assert_int_eq(kube_timer_new(&check, loop, both_done_cb, loop, NULL), 0);
	ck_assert_int_eq(kube_timer_start(check, 1, 1), 0);
	ck_assert_int_eq(kube_loop_run(loop), 0);
	kube_timer_free(check);
	/* a little longer: a stopped or freed timer must stay quiet */
	ck_assert_int_eq(kube_timer_start(stop, 30, 0), 0);
	ck_assert_int_eq(kube_loop_run(loop), 0);
	ck_assert_int_eq(r.fires, 3);          /* stopped inside its 3rd callback */
	ck_assert_int_eq(kube_timer_is_active(tr), 0);
	ck_assert_int_eq(f.fires, 2);          /* freed inside its 2nd callback */
	ck_assert_int_eq(t.destroyed, 1);
	kube_timer_stop(tr);
	kube_timer_free(tr);
	ck_assert_int_eq(t.destroyed, 2);
	kube_timer_free(stop);
	kube_timer_free(NULL);
	kube_loop_free(loop);
}
END_TEST

START_TEST(test_loop_timer_restart_and_cancel)
{
	kube_loop *loop;
	trace t = { "", 0 };
	tctx a = { &t, "a", NULL, 0, 0, 0 }, b = { &t, "b", NULL, 0, 0, 0 };
	kube_timer *ta, *tb, *stop;

	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_timer_new(&ta, loop, timer_cb, &a, NULL), 0);
	ck_assert_int_eq(kube_timer_new(&tb, loop, timer_cb, &b, NULL), 0);
	ck_assert_int_eq(kube_timer_new(&stop, loop, stop_timer_cb, loop, NULL), 0);
	ck_assert_int_eq(kube_timer_start(ta, 5, 0), 0);
	ck_assert_int_eq(kube_timer_start(tb, 10, 0), 0);
	ck_assert_int_eq(kube_timer_start(ta, 20, 0), 0);   /* restart: now after b */
	ck_assert_int_eq(kube_timer_start(stop, 40, 0), 0);
	ck_assert_int_eq(kube_loop_run(loop), 0);
	ck_assert_str_eq(t.buf, "ba");
	ck_assert_int_eq(kube_timer_start(ta, 5, 0), 0);
	kube_timer_stop(ta);                                 /* cancelled */
	ck_assert_int_eq(kube_timer_start(stop, 30, 0), 0);
	ck_assert_int_eq(kube_loop_run(loop), 0);
	ck_assert_str_eq(t.buf, "ba");
	ck_assert_int_eq(kube_timer_new(&ta, NULL, timer_cb, &a, NULL), KUBE_EINVAL);
	kube_loop_free(loop);
}
END_TEST

/* ---- worker pool ---- */

typedef struct work_ctx {
	kube_loop *loop;
	pthread_t loop_thread;
	pthread_mutex_t mu;
	int ran_on_loop_thread;    /* work functions that ran on the loop thread */
	int done_off_loop_thread;  /* completions that ran elsewhere */
	int done_ok, done_canceled, destroyed;
	int target;
	/* a gate holding the workers */
	pthread_cond_t cv;
	int gate_open;
	int started;
} work_ctx;

static void work_fn(void *ud)
{
	work_ctx *c = ud;
	pthread_mutex_lock(&c->mu);
	if (pthread_equal(pthread_self(), c->loop_thread))
		c->ran_on_loop_thread++;
	c->started++;
	pthread_cond_broadcast(&c->cv);
	while (!c->gate_open)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
}

static void done_fn(int status, void *ud)
{
	work_ctx *c = ud;
	if (!pthread_equal(pthread_self(), c->loop_thread))
		c->done_off_loop_thread++;
	if (status == 0)
		c->done_ok++;
	else if (status == KUBE_ECANCELED)
		c->done_canceled++;
	if (c->target && c->done_ok + c->done_canceled == c->target)
		kube_loop_stop(c->loop);
}

static void work_destroy(void *ud)
{
	work_ctx *c = ud;
	c->destroyed++;
}

static void work_ctx_init(work_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->loop_thread = pthread_self();
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
}

static void open_gate(work_ctx *c)
{
	pthread_mutex_lock(&c->mu);
	c->gate_open = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void wait_started(work_ctx *c, int n)
{
	pthread_mutex_lock(&c->mu);
	while (c->started < n)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
}

START_TEST(test_loop_work_completes_on_loop_thread)
{
	work_ctx c;
	kube_loop_options o = KUBE_LOOP_OPTIONS_INIT;

	work_ctx_init(&c);
	o.workers = 3;
	ck_assert_int_eq(kube_loop_new(&c.loop, &o), 0);
	c.gate_open = 1;
	c.target = 50;
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(kube_loop_queue_work(NULL, c.loop, work_fn, done_fn, &c, work_destroy), 0);
	ck_assert_int_eq(c.done_ok, 0);    /* never inside the call */
	ck_assert_int_eq(kube_loop_run(c.loop), 0);
	ck_assert_int_eq(c.done_ok, 50);
	ck_assert_int_eq(c.destroyed, 50);
	ck_assert_int_eq(c.ran_on_loop_thread, 0);
	ck_assert_int_eq(c.done_off_loop_thread, 0);
	ck_assert_int_eq(kube_loop_queue_work(NULL, c.loop, NULL, done_fn, &c, NULL), KUBE_EINVAL);
	kube_loop_free(c.loop);
}
END_TEST

START_TEST(test_loop_work_cancel)
{
	work_ctx c;
	kube_loop_options o = KUBE_LOOP_OPTIONS_INIT;
	kube_work *first, *second;

	work_ctx_init(&c);
	o.workers = 1;
	ck_assert_int_eq(kube_loop_new(&c.loop, &o), 0);
	ck_assert_int_eq(kube_loop_queue_work(&first, c.loop, work_fn, done_fn, &c, work_destroy), 0);
	ck_assert_int_eq(kube_loop_queue_work(&second, c.loop, work_fn, done_fn, &c, work_destroy), 0);
	wait_started(&c, 1);   /* the one worker holds `first` at the gate */
	ck_assert_int_eq(kube_work_cancel(first), KUBE_EBUSY);
	ck_assert_str_eq(kube_error_last()->message, "kube_work_cancel: the work has already started");
	ck_assert_int_eq(kube_work_cancel(second), 0);
	ck_assert_int_eq(c.done_canceled, 0);   /* done comes later, from the loop */
	c.target = 1;
	ck_assert_int_eq(kube_loop_run(c.loop), 0);
	ck_assert_int_eq(c.done_canceled, 1);
	ck_assert_int_eq(c.done_ok, 0);
	open_gate(&c);
	c.target = 2;
	ck_assert_int_eq(kube_loop_run(c.loop), 0);
	ck_assert_int_eq(c.done_ok, 1);
	ck_assert_int_eq(c.started, 1);         /* `second` never ran */
	ck_assert_int_eq(c.destroyed, 2);
	kube_loop_free(c.loop);
}
END_TEST

START_TEST(test_loop_free_with_pending_work)
{
	work_ctx c;
	kube_loop_options o = KUBE_LOOP_OPTIONS_INIT;

	work_ctx_init(&c);
	o.workers = 2;
	ck_assert_int_eq(kube_loop_new(&c.loop, &o), 0);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(kube_loop_queue_work(NULL, c.loop, work_fn, done_fn, &c, work_destroy), 0);
	wait_started(&c, 2);
	/* Two are running; free cancels the four queued and waits for the two. */
	open_gate(&c);
	kube_loop_free(c.loop);
	ck_assert_int_eq(c.done_ok + c.done_canceled, 6);
	ck_assert_int_ge(c.done_ok, 2);
	ck_assert_int_eq(c.done_ok, c.started);
	ck_assert_int_eq(c.destroyed, 6);
	ck_assert_int_eq(c.done_off_loop_thread, 0);
}
END_TEST

START_TEST(test_loop_no_workers)
{
	kube_loop *loop;
	kube_loop_options o = KUBE_LOOP_OPTIONS_INIT;
	work_ctx c;

	work_ctx_init(&c);
	o.workers = 0;
	ck_assert_int_eq(kube_loop_new(&loop, &o), 0);
	ck_assert_int_eq(kube_loop_queue_work(NULL, loop, work_fn, done_fn, &c, work_destroy), KUBE_ENOTSUP);
	ck_assert_int_eq(c.destroyed, 0);   /* failed: nothing is ever called */
	kube_loop_free(loop);
}
END_TEST

static Suite *loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_loop_new_free);
	tcase_add_test(tc, test_loop_defer_order_and_later);
	tcase_add_test(tc, test_loop_defer_from_defer_runs_next_iteration);
	tcase_add_test(tc, test_loop_post_from_threads);
	tcase_add_test(tc, test_loop_free_drops_pending_calls);
	tcase_add_test(tc, test_loop_from_base_is_not_freed);
	tcase_add_test(tc, test_loop_timers_fire_in_deadline_order);
	tcase_add_test(tc, test_loop_timer_repeat_stop_and_free_inside);
	tcase_add_test(tc, test_loop_timer_restart_and_cancel);
	tcase_add_test(tc, test_loop_work_completes_on_loop_thread);
	tcase_add_test(tc, test_loop_work_cancel);
	tcase_add_test(tc, test_loop_free_with_pending_work);
	tcase_add_test(tc, test_loop_no_workers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loop_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
