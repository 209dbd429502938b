/*
 * controller.c - the reconciler runner: a workqueue drained on a loop.
 *
 *   informer handlers ──add──▶ workqueue ──notify──▶ (post) dispatch round
 *                                  ▲                     │ try_get, at most
 *   add_rate_limited / add_after ──┘                     ▼ `workers` in flight
 *                                               reconcile(key) on the loop
 *
 * A dispatch round takes the keys ready when it begins (at least one) while
 * fewer than `workers` are in flight, so a reconcile that enqueues its own
 * key cannot keep the loop from its I/O; if keys remain, another round is
 * deferred.  After each round a timer is armed for the earliest delayed key.
 * Keys added from other threads reach the loop through kube_loop_post;
 * the runner is refcounted so that a posted round that arrives after
 * kube_controller_free finds a dead runner, not freed memory.
 *
 * A key whose reconcile returns KUBE_RECONCILE_PENDING stays processing in
 * the queue (so it is never reconciled twice at once) and holds its worker
 * slot until kube_controller_finish.  Results are applied as client-go
 * controllers do: success forgets the key's failures, failure requeues it
 * with backoff, and Done comes last so a key added meanwhile runs again.
 */
#include <stdio.h>
#include <string.h>

#include "reconcile_private.h"

struct kube_controller {
	kube_loop *loop;
	char *name;
	unsigned int workers;
	kube_workqueue *q;
	kube_reconcile_cb reconcile;
	void *userdata;
	void (*destroy)(void *);
	kube_clock_cb clock;
	void *clock_userdata;
	kube_timer *timer;
	kube__strmap pending;        /* key -> the key's copy */
	unsigned int inflight;
	int started, stopped, freed;
	int round_deferred;
	int posted;                  /* a round is posted (atomic) */
	int refs;                    /* atomic: the owner + posted rounds */
	kube_controller_stats stats;
};

static void unref(void *p)
{
	kube_controller *c = p;

	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
		kube_free(c);
}

int kube_controller_options_init(kube_controller_options *opts, unsigned int version)
{
	kube_controller_options def = KUBE_CONTROLLER_OPTIONS_INIT;

	KUBE_CHECK_ARG(opts);
	if (version == 0 || version > KUBE_CONTROLLER_OPTIONS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_controller_options_init: unknown version %u", version);
	*opts = def;
	opts->version = version;
	return 0;
}

static void round_cb(void *userdata);

/* Runs on any thread: ask the loop for a dispatch round. */
static void on_notify(kube_workqueue *q, void *userdata)
{
	kube_controller *c = userdata;

	KUBE_UNUSED(q);
	if (__atomic_exchange_n(&c->posted, 1, __ATOMIC_ACQ_REL))
		return;
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
	if (kube_loop_post(c->loop, round_cb, c, unref) != 0) {
		__atomic_store_n(&c->posted, 0, __ATOMIC_RELEASE);
		unref(c);
	}
}

static void timer_cb(kube_timer *t, void *userdata)
{
	KUBE_UNUSED(t);
	kube_controller_process(userdata);
}

int kube_controller_new(kube_controller **out, kube_loop *loop,
                        const kube_controller_options *opts, kube_reconcile_cb reconcile,
                        void *userdata, void (*destroy)(void *))
{
	kube_controller_options def = KUBE_CONTROLLER_OPTIONS_INIT;
	kube_workqueue_options qo = KUBE_WORKQUEUE_OPTIONS_INIT;
	kube_controller *c;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(loop);
	KUBE_CHECK_ARG(reconcile);
	if (!opts)
		opts = &def;
	if (opts->version == 0 || opts->version > KUBE_CONTROLLER_OPTIONS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_controller_new: unknown options version %u", opts->version);
	if (opts->workers == 0)
		return kube__error_set(KUBE_EINVAL, NULL, "kube_controller_new: workers must be >= 1");
	if (opts->queue)
		qo = *opts->queue;
	if (!qo.name)
		qo.name = opts->name;
	if (!(c = kube_calloc(1, sizeof(*c))))
		return kube__error_oom();
	c->refs = 1;
	c->loop = loop;
	c->workers = opts->workers;
	c->reconcile = reconcile;
	c->clock = qo.clock ? qo.clock : kube__clock_monotonic;
	c->clock_userdata = qo.clock ? qo.clock_userdata : NULL;
	if (!(c->name = kube_strdup(opts->name ? opts->name : "controller"))) {
		kube_free(c);
		return kube__error_oom();
	}
	if ((rc = kube_workqueue_new(&c->q, &qo)) != 0 ||
	    (rc = kube_timer_new(&c->timer, loop, timer_cb, c, NULL)) != 0 ||
	    (rc = kube_workqueue_set_notify(c->q, on_notify, c, NULL)) != 0) {
		kube_timer_free(c->timer);
		kube_workqueue_free(c->q);
		kube_free(c->name);
		kube_free(c);
		return rc;
	}
	c->userdata = userdata;
	c->destroy = destroy;
	*out = c;
	return 0;
}

void kube_controller_free(kube_controller *c)
{
	if (!c)
		return;
	c->freed = 1;
	kube_workqueue_set_notify(c->q, NULL, NULL, NULL);
	kube_workqueue_shut_down(c->q);
	kube_timer_free(c->timer);
	for (size_t i = 0; i < c->pending.cap; i++)
		if (c->pending.slots[i].key)
			kube_free(c->pending.slots[i].val);
	kube__strmap_fini(&c->pending);
	kube_workqueue_free(c->q);
	if (c->destroy)
		c->destroy(c->userdata);
	kube_free(c->name);
	unref(c);
}

kube_workqueue *kube_controller_queue(kube_controller *c)
{
	return c ? c->q : NULL;
}

int kube_controller_enqueue(kube_controller *c, const char *key)
{
	KUBE_CHECK_ARG(c);
	return kube_workqueue_add(c->q, key);
}

int kube_controller_enqueue_after(kube_controller *c, const char *key, int64_t delay_ns)
{
	KUBE_CHECK_ARG(c);
	return kube_workqueue_add_after(c->q, key, delay_ns);
}

int kube_controller_enqueue_object(kube_controller *c, const kube_object *obj)
{
	char *key;
	int rc;

	KUBE_CHECK_ARG(c);
	if ((rc = kube_object_cache_key(&key, obj)) != 0)
		return rc;
	rc = kube_workqueue_add(c->q, key);
	kube_free(key);
	return rc;
}

/* Applies a result and ends the key's processing.  Takes key. */
static void finish_key(kube_controller *c, char *key, int result, int64_t after)
{
	c->inflight--;
	if (result == 0) {
		kube_workqueue_forget(c->q, key);
		if (after > 0) {
			c->stats.requeues_after++;
			kube_workqueue_add_after(c->q, key, after);
		}
	} else if (result == KUBE_RECONCILE_REQUEUE) {
		c->stats.requeues++;
		kube_workqueue_add_rate_limited(c->q, key);
	} else {
		c->stats.errors++;
		KUBE_LOG(KUBE_LOG_WARN, c->name, "reconcile %s: %s (requeued %d times)", key,
		         result < 0 ? kube_strerror(result) : "unknown result",
		         kube_workqueue_num_requeues(c->q, key));
		kube_workqueue_add_rate_limited(c->q, key);
	}
	kube_workqueue_done(c->q, key);
	kube_free(key);
}

static void arm_timer(kube_controller *c)
{
	int64_t at, now;

	if (c->freed || !c->started || c->stopped)
		return;
	if (kube_workqueue_next_ready(c->q, &at) != 0) {
		kube_timer_stop(c->timer);
		return;
	}
	now = c->clock(c->clock_userdata);
	/* round up: a timer that fires a little early finds nothing due */
	uint64_t ms = at > now ? (uint64_t)((at - now + 999999) / 1000000) : 0;
	kube_timer_start(c->timer, ms, 0);
}

/* One round: the keys ready now, within the worker bound.  Returns how
 * many were reconciled; *more is set when keys were left ready. */
static int run_round(kube_controller *c, int *more)
{
	size_t budget = kube_workqueue_len(c->q);
	int n = 0;

	*more = 0;
	if (budget == 0)
		budget = 1;
	while (!c->freed && c->inflight < c->workers && budget-- > 0) {
		char *key = NULL;
		int64_t after = 0;
		int r;

		if (kube_workqueue_try_get(c->q, &key) != 0)
			break;
		c->inflight++;
		c->stats.reconciles++;
		n++;
		r = c->reconcile(c, key, &after, c->userdata);
		if (r == KUBE_RECONCILE_PENDING) {
			if (kube__strmap_put(&c->pending, key, key, NULL) == 0) {
				c->stats.pending++;
				continue;
			}
			r = kube__error_oom();
		}
		finish_key(c, key, r, after);
	}
	if (!c->freed && c->inflight < c->workers && kube_workqueue_len(c->q) > 0)
		*more = 1;
	return n;
}

static void deferred_round(void *userdata)
{
	kube_controller *c = userdata;

	if (c->freed)
		return;
	c->round_deferred = 0;
	kube_controller_process(c);
}

static void schedule_round(kube_controller *c)
{
	if (c->round_deferred || c->freed)
		return;
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
	if (kube_loop_defer(c->loop, deferred_round, c, unref) == 0)
		c->round_deferred = 1;
	else
		unref(c);
}

static void round_cb(void *userdata)
{
	kube_controller *c = userdata;
	int more;

	__atomic_store_n(&c->posted, 0, __ATOMIC_RELEASE);
	if (c->freed || !c->started)
		return;
	run_round(c, &more);
	if (more)
		schedule_round(c);
	arm_timer(c);
}

int kube_controller_process(kube_controller *c)
{
	int total = 0, more = 1;

	KUBE_CHECK_ARG(c);
	while (more && !c->freed) {
		int n = run_round(c, &more);
		total += n;
		if (n == 0)
			break;
	}
	arm_timer(c);
	return total;
}

int kube_controller_start(kube_controller *c)
{
	KUBE_CHECK_ARG(c);
	if (c->started)
		return 0;
	c->started = 1;
	schedule_round(c);
	return 0;
}

void kube_controller_stop(kube_controller *c)
{
	if (!c || c->stopped)
		return;
	c->stopped = 1;
	kube_workqueue_shut_down(c->q);
	kube_timer_stop(c->timer);
}

int kube_controller_finish(kube_controller *c, const char *key, int result,
                           int64_t requeue_after_ns)
{
	char *k;

	KUBE_CHECK_ARG(c);
	KUBE_CHECK_ARG(key);
	KUBE_CHECK_ARG(result != KUBE_RECONCILE_PENDING);
	if (!(k = kube__strmap_remove(&c->pending, key)))
		return kube__error_set(KUBE_ENOTFOUND, NULL, "controller %s: key \"%s\" is not pending",
		                       c->name, key);
	c->stats.pending--;
	finish_key(c, k, result, requeue_after_ns);
	/* a worker slot is free again */
	if (c->started && !c->stopped)
		schedule_round(c);
	return 0;
}

int kube_controller_get_stats(const kube_controller *c, kube_controller_stats *out)
{
	unsigned int version;

	KUBE_CHECK_ARG(c);
	KUBE_CHECK_ARG(out);
	if (out->version == 0 || out->version > KUBE_CONTROLLER_STATS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_controller_get_stats: unknown version %u", out->version);
	version = out->version;
	*out = c->stats;
	out->version = version;
	return 0;
}
