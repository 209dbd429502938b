/*
 * workqueue.c - client-go's rate-limiting work queue (util/workqueue: Type,
 * delayingType, rateLimitingType, DefaultControllerRateLimiter) in one
 * structure under one mutex.
 *
 * Every key the queue knows has one record in `items`:
 *
 *   items: key -> record { dirty, processing, queued, heap slot, failures,
 *                          add time, start time }
 *   ready: FIFO ring of records   (exactly the records dirty && !processing)
 *   heap:  min-heap by ready_at   (the delayed adds; one slot per key, the
 *                                  earliest deadline wins)
 *
 * client-go keeps the same facts in separate sets and maps (queue, dirty,
 * processing, waitingForAdd, the limiter's failures, the metrics'
 * addTimes); one record per key makes each operation one hash lookup.  A
 * record goes when nothing refers to it any more: not dirty, not
 * processing, not delayed, no failures.
 *
 * Delayed adds become real adds when a call finds their time has come
 * (there is no goroutine to move them): get, try_get, len and next_ready
 * all do it first.  After shut_down nothing moves, as upstream's waiting
 * loop stops.  The token bucket is x/time/rate's Limiter.Reserve(): a
 * reservation always succeeds and may leave the bucket in debt, the delay
 * being the time to repay it.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "reconcile_private.h"

typedef struct item {
	char *key;
	unsigned int dirty : 1;
	unsigned int processing : 1;
	unsigned int has_add_time : 1;
	size_t heap_pos;        /* HEAP_NONE when not delayed */
	int64_t ready_at;
	int64_t add_time;       /* first add since the last get (queue latency) */
	int64_t start_time;     /* get (work duration) */
	int failures;
} item;

#define HEAP_NONE ((size_t)-1)

struct kube_workqueue {
	pthread_mutex_t mu;
	pthread_cond_t cond;          /* a key became ready, or shut down */
	pthread_cond_t drained;       /* processing went to 0, or plain shut down */
	kube__strmap items;
	item **ring;                  /* ready FIFO */
	size_t ring_cap, ring_head, ring_len;
	item **heap;
	size_t heap_len, heap_cap;
	size_t processing;
	int shutting_down;
	int drain;
	char *name;
	int64_t base_delay, max_delay;
	double qps;
	unsigned int burst;
	double tokens;
	int64_t tokens_at;
	int tokens_init;
	kube_clock_cb clock;
	void *clock_userdata;
	kube_workqueue_notify_cb notify;
	void *notify_userdata;
	void (*notify_destroy)(void *);
	/* metrics */
	uint64_t adds, retries, gets, dones;
	int64_t queue_ns_total, queue_ns_max, work_ns_total, work_ns_max;
};

int64_t kube__clock_monotonic(void *userdata)
{
	struct timespec ts;

	KUBE_UNUSED(userdata);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t kube__clock_realtime(void *userdata)
{
	struct timespec ts;

	KUBE_UNUSED(userdata);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int kube_workqueue_options_init(kube_workqueue_options *opts, unsigned int version)
{
	kube_workqueue_options def = KUBE_WORKQUEUE_OPTIONS_INIT;

	KUBE_CHECK_ARG(opts);
	if (version == 0 || version > KUBE_WORKQUEUE_OPTIONS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_workqueue_options_init: unknown version %u", version);
	*opts = def;
	opts->version = version;
	return 0;
}

int kube_workqueue_new(kube_workqueue **out, const kube_workqueue_options *opts)
{
	kube_workqueue_options def = KUBE_WORKQUEUE_OPTIONS_INIT;
	kube_workqueue *q;
	pthread_condattr_t ca;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	if (!opts)
		opts = &def;
	if (opts->version == 0 || opts->version > KUBE_WORKQUEUE_OPTIONS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL, "kube_workqueue_new: unknown options version %u",
		                       opts->version);
	if (opts->base_delay_ns <= 0 || opts->max_delay_ns < opts->base_delay_ns)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_workqueue_new: need 0 < base_delay_ns <= max_delay_ns");
	if (!(opts->qps >= 0) || (opts->qps > 0 && opts->burst == 0))
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_workqueue_new: need qps >= 0, and burst > 0 with qps");
	if (!(q = kube_calloc(1, sizeof(*q))))
		return kube__error_oom();
	if (!(q->name = kube_strdup(opts->name ? opts->name : ""))) {
		kube_free(q);
		return kube__error_oom();
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cond, &ca);
	pthread_cond_init(&q->drained, &ca);
	pthread_condattr_destroy(&ca);
	q->base_delay = opts->base_delay_ns;
	q->max_delay = opts->max_delay_ns;
	q->qps = opts->qps;
	q->burst = opts->burst;
	q->clock = opts->clock ? opts->clock : kube__clock_monotonic;
	q->clock_userdata = opts->clock ? opts->clock_userdata : NULL;
	*out = q;
	return 0;
}

void kube_workqueue_free(kube_workqueue *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->items.cap; i++) {
		item *it = q->items.slots[i].val;
		if (q->items.slots[i].key) {
			kube_free(it->key);
			kube_free(it);
		}
	}
	kube__strmap_fini(&q->items);
	if (q->notify_destroy)
		q->notify_destroy(q->notify_userdata);
	kube_free(q->ring);
	kube_free(q->heap);
	kube_free(q->name);
	pthread_cond_destroy(&q->cond);
	pthread_cond_destroy(&q->drained);
	pthread_mutex_destroy(&q->mu);
	kube_free(q);
}

int kube_workqueue_set_notify(kube_workqueue *q, kube_workqueue_notify_cb cb, void *userdata,
                              void (*destroy)(void *))
{
	void (*old_destroy)(void *);
	void *old_userdata;

	KUBE_CHECK_ARG(q);
	pthread_mutex_lock(&q->mu);
	old_destroy = q->notify_destroy;
	old_userdata = q->notify_userdata;
	q->notify = cb;
	q->notify_userdata = cb ? userdata : NULL;
	q->notify_destroy = cb ? destroy : NULL;
	pthread_mutex_unlock(&q->mu);
	if (old_destroy)
		old_destroy(old_userdata);
	return 0;
}

/* ---- records ---- */

static item *lookup(kube_workqueue *q, const char *key)
{
	return kube__strmap_get(&q->items, key);
}

static item *obtain(kube_workqueue *q, const char *key)
{
	item *it = lookup(q, key);

	if (it)
		return it;
	if (!(it = kube_calloc(1, sizeof(*it))))
		return NULL;
	if (!(it->key = kube_strdup(key)) || kube__strmap_put(&q->items, it->key, it, NULL) != 0) {
		kube_free(it->key);
		kube_free(it);
		return NULL;
	}
	it->heap_pos = HEAP_NONE;
	return it;
}

/* Drops the record once nothing refers to it. */
static void release(kube_workqueue *q, item *it)
{
	if (it->dirty || it->processing || it->heap_pos != HEAP_NONE || it->failures)
		return;
	kube__strmap_remove(&q->items, it->key);
	kube_free(it->key);
	kube_free(it);
}

static int ring_push(kube_workqueue *q, item *it)
{
	if (q->ring_len == q->ring_cap) {
		size_t cap = q->ring_cap ? q->ring_cap * 2 : 64;
		item **r = kube_malloc(cap * sizeof(*r));
		if (!r)
			return kube__error_oom();
		for (size_t i = 0; i < q->ring_len; i++)
			r[i] = q->ring[(q->ring_head + i) % q->ring_cap];
		kube_free(q->ring);
		q->ring = r;
		q->ring_cap = cap;
		q->ring_head = 0;
	}
	q->ring[(q->ring_head + q->ring_len++) % q->ring_cap] = it;
	return 0;
}

static item *ring_pop(kube_workqueue *q)
{
	item *it = q->ring[q->ring_head];

	q->ring_head = (q->ring_head + 1) % q->ring_cap;
	q->ring_len--;
	return it;
}

/* ---- the delay heap ---- */

static void heap_set(kube_workqueue *q, size_t i, item *it)
{
	q->heap[i] = it;
	it->heap_pos = i;
}

static void heap_up(kube_workqueue *q, size_t i)
{
	item *it = q->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (q->heap[p]->ready_at <= it->ready_at)
			break;
		heap_set(q, i, q->heap[p]);
		i = p;
	}
	heap_set(q, i, it);
}

static void heap_down(kube_workqueue *q, size_t i)
{
	item *it = q->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->heap_len)
			break;
		if (c + 1 < q->heap_len && q->heap[c + 1]->ready_at < q->heap[c]->ready_at)
			c++;
		if (q->heap[c]->ready_at >= it->ready_at)
			break;
		heap_set(q, i, q->heap[c]);
		i = c;
	}
	heap_set(q, i, it);
}

static item *heap_pop(kube_workqueue *q)
{
	item *top = q->heap[0];

	top->heap_pos = HEAP_NONE;
	if (--q->heap_len > 0) {
		heap_set(q, 0, q->heap[q->heap_len]);
		heap_down(q, 0);
	}
	return top;
}

/* ---- the plain queue (client-go's Type), mutex held ---- */

/* 1 when the key became ready (a getter may want waking). */
static int add_locked(kube_workqueue *q, item *it, int64_t now)
{
	if (q->shutting_down || it->dirty)
		return 0;
	q->adds++;
	if (!it->has_add_time) {
		it->has_add_time = 1;
		it->add_time = now;
	}
	it->dirty = 1;
	if (it->processing)
		return 0;
	if (ring_push(q, it) != 0) {
		/* cannot queue it: leave no half state behind */
		it->dirty = 0;
		it->has_add_time = 0;
		q->adds--;
		return -1;
	}
	pthread_cond_signal(&q->cond);
	return 1;
}

/* Moves the delayed keys that are due into the queue. */
static void promote_locked(kube_workqueue *q, int64_t now)
{
	if (q->shutting_down)
		return;
	while (q->heap_len > 0 && q->heap[0]->ready_at <= now) {
		item *it = heap_pop(q);
		add_locked(q, it, now);
		release(q, it);
	}
}

static void notify(kube_workqueue *q)
{
	kube_workqueue_notify_cb cb;
	void *ud;

	pthread_mutex_lock(&q->mu);
	cb = q->notify;
	ud = q->notify_userdata;
	pthread_mutex_unlock(&q->mu);
	if (cb)
		cb(q, ud);
}

int kube_workqueue_add(kube_workqueue *q, const char *key)
{
	item *it;
	int r;

	KUBE_CHECK_ARG(q);
	KUBE_CHECK_ARG(key);
	pthread_mutex_lock(&q->mu);
	if (q->shutting_down) {
		pthread_mutex_unlock(&q->mu);
		return 0;
	}
	if (!(it = obtain(q, key))) {
		pthread_mutex_unlock(&q->mu);
		return kube__error_oom();
	}
	r = add_locked(q, it, q->clock(q->clock_userdata));
	release(q, it);
	pthread_mutex_unlock(&q->mu);
	if (r < 0)
		return kube__error_oom();
	if (r > 0)
		notify(q);
	return 0;
}

int kube_workqueue_add_after(kube_workqueue *q, const char *key, int64_t delay_ns)
{
	int64_t now;
	item *it;

	KUBE_CHECK_ARG(q);
	KUBE_CHECK_ARG(key);
	pthread_mutex_lock(&q->mu);
	if (q->shutting_down) {
		pthread_mutex_unlock(&q->mu);
		return 0;
	}
	q->retries++;
	pthread_mutex_unlock(&q->mu);
	if (delay_ns <= 0)
		return kube_workqueue_add(q, key);

	pthread_mutex_lock(&q->mu);
	if (q->shutting_down) {
		pthread_mutex_unlock(&q->mu);
		return 0;
	}
	if (!(it = obtain(q, key))) {
		pthread_mutex_unlock(&q->mu);
		return kube__error_oom();
	}
	now = q->clock(q->clock_userdata);
	int64_t at = delay_ns > INT64_MAX - now ? INT64_MAX : now + delay_ns;
	if (it->heap_pos != HEAP_NONE) {
		/* already waiting: only an earlier deadline changes anything */
		if (at < it->ready_at) {
			it->ready_at = at;
			heap_up(q, it->heap_pos);
		}
	} else {
		if (q->heap_len == q->heap_cap) {
			size_t cap = q->heap_cap ? q->heap_cap * 2 : 64;
			item **h = kube_realloc(q->heap, cap * sizeof(*h));
			if (!h) {
				release(q, it);
				pthread_mutex_unlock(&q->mu);
				return kube__error_oom();
			}
			q->heap = h;
			q->heap_cap = cap;
		}
		it->ready_at = at;
		heap_set(q, q->heap_len++, it);
		heap_up(q, it->heap_pos);
	}
	/* a blocked get may now have an earlier deadline to wait for */
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mu);
	notify(q);
	return 0;
}

/* ---- the rate limiter ---- */

/* ItemExponentialFailureRateLimiter.When, mutex held. */
static int64_t exp_when(kube_workqueue *q, item *it)
{
	int exp = it->failures;
	double backoff;

	if (it->failures < INT32_MAX)
		it->failures++;
	backoff = (double)q->base_delay * pow(2.0, exp);
	if (backoff > (double)INT64_MAX)
		return q->max_delay;
	if ((int64_t)backoff > q->max_delay)
		return q->max_delay;
	return (int64_t)backoff;
}

/* rate.Limiter.Reserve().Delay(), mutex held. */
static int64_t bucket_when(kube_workqueue *q, int64_t now)
{
	if (q->qps <= 0)
		return 0;
	if (!q->tokens_init) {
		q->tokens_init = 1;
		q->tokens = q->burst;
		q->tokens_at = now;
	}
	if (now < q->tokens_at)
		q->tokens_at = now;
	q->tokens += (double)(now - q->tokens_at) / 1e9 * q->qps;
	if (q->tokens > q->burst)
		q->tokens = q->burst;
	q->tokens_at = now;
	q->tokens -= 1;
	if (q->tokens >= 0)
		return 0;
	return (int64_t)(-q->tokens / q->qps * 1e9);
}

int64_t kube_workqueue_when(kube_workqueue *q, const char *key)
{
	int64_t a, b;
	item *it;

	if (!q || !key) {
		kube__error_set(KUBE_EINVAL, NULL, "kube_workqueue_when: invalid argument");
		return -1;
	}
	pthread_mutex_lock(&q->mu);
	if (!(it = obtain(q, key))) {
		pthread_mutex_unlock(&q->mu);
		kube__error_oom();
		return -1;
	}
	a = exp_when(q, it);
	b = bucket_when(q, q->clock(q->clock_userdata));
	pthread_mutex_unlock(&q->mu);
	return a > b ? a : b;
}

int kube_workqueue_add_rate_limited(kube_workqueue *q, const char *key)
{
	int64_t d;

	KUBE_CHECK_ARG(q);
	KUBE_CHECK_ARG(key);
	if (kube_workqueue_shutting_down(q))
		return 0;
	if ((d = kube_workqueue_when(q, key)) < 0)
		return kube_error_last() ? kube_error_last()->code : KUBE_ERROR;
	return kube_workqueue_add_after(q, key, d);
}

void kube_workqueue_forget(kube_workqueue *q, const char *key)
{
	item *it;

	if (!q || !key)
		return;
	pthread_mutex_lock(&q->mu);
	if ((it = lookup(q, key)) != NULL) {
		it->failures = 0;
		release(q, it);
	}
	pthread_mutex_unlock(&q->mu);
}

int kube_workqueue_num_requeues(kube_workqueue *q, const char *key)
{
	item *it;
	int n = 0;

	if (!q || !key)
		return 0;
	pthread_mutex_lock(&q->mu);
	if ((it = lookup(q, key)) != NULL)
		n = it->failures;
	pthread_mutex_unlock(&q->mu);
	return n;
}

/* ---- taking keys ---- */

static int take_locked(kube_workqueue *q, char **out, int64_t now)
{
	item *it = ring_pop(q);
	char *copy = kube_strdup(it->key);

	if (!copy) {
		/* put it back at the head: nothing changed */
		q->ring_head = (q->ring_head + q->ring_cap - 1) % q->ring_cap;
		q->ring[q->ring_head] = it;
		q->ring_len++;
		return kube__error_oom();
	}
	q->gets++;
	if (it->has_add_time) {
		int64_t d = now - it->add_time;
		q->queue_ns_total += d;
		if (d > q->queue_ns_max)
			q->queue_ns_max = d;
		it->has_add_time = 0;
	}
	it->start_time = now;
	it->processing = 1;
	it->dirty = 0;
	q->processing++;
	*out = copy;
	return 0;
}

int kube_workqueue_try_get(kube_workqueue *q, char **out)
{
	int64_t now;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(q);
	pthread_mutex_lock(&q->mu);
	now = q->clock(q->clock_userdata);
	promote_locked(q, now);
	if (q->ring_len > 0)
		rc = take_locked(q, out, now);
	else if (q->shutting_down)
		rc = kube__error_set(KUBE_ECANCELED, NULL, "workqueue %s is shut down", q->name);
	else
		rc = KUBE_ENOTFOUND;
	pthread_mutex_unlock(&q->mu);
	return rc;
}

int kube_workqueue_get(kube_workqueue *q, char **out)
{
	int64_t now;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(q);
	pthread_mutex_lock(&q->mu);
	for (;;) {
		now = q->clock(q->clock_userdata);
		promote_locked(q, now);
		if (q->ring_len > 0) {
			rc = take_locked(q, out, now);
			break;
		}
		if (q->shutting_down) {
			rc = kube__error_set(KUBE_ECANCELED, NULL, "workqueue %s is shut down", q->name);
			break;
		}
		if (q->heap_len > 0) {
			/* wait (real time) as long as the clock says the earliest
			 * delayed key still has to wait */
			struct timespec ts;
			int64_t wait = q->heap[0]->ready_at - now, at;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			at = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec +
			     (wait > 1000000000000 ? 1000000000000 : wait);
			ts.tv_sec = (time_t)(at / 1000000000);
			ts.tv_nsec = (long)(at % 1000000000);
			pthread_cond_timedwait(&q->cond, &q->mu, &ts);
		} else {
			pthread_cond_wait(&q->cond, &q->mu);
		}
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

int kube_workqueue_done(kube_workqueue *q, const char *key)
{
	int64_t now, d;
	item *it;
	int requeued = 0;

	KUBE_CHECK_ARG(q);
	KUBE_CHECK_ARG(key);
	pthread_mutex_lock(&q->mu);
	if (!(it = lookup(q, key)) || !it->processing) {
		pthread_mutex_unlock(&q->mu);
		return kube__error_set(KUBE_ENOTFOUND, NULL, "workqueue %s: key \"%s\" is not processing",
		                       q->name, key);
	}
	now = q->clock(q->clock_userdata);
	d = now - it->start_time;
	q->dones++;
	q->work_ns_total += d;
	if (d > q->work_ns_max)
		q->work_ns_max = d;
	it->processing = 0;
	q->processing--;
	if (it->dirty) {
		if (ring_push(q, it) == 0) {
			pthread_cond_signal(&q->cond);
			requeued = 1;
		} else {
			/* no memory to requeue: drop the dirty mark rather than
			 * leave a key that is dirty but in no queue forever */
			it->dirty = 0;
			it->has_add_time = 0;
		}
	}
	if (q->processing == 0)
		pthread_cond_broadcast(&q->drained);
	release(q, it);
	pthread_mutex_unlock(&q->mu);
	if (requeued)
		notify(q);
	return 0;
}

size_t kube_workqueue_len(kube_workqueue *q)
{
	size_t n;

	if (!q)
		return 0;
	pthread_mutex_lock(&q->mu);
	promote_locked(q, q->clock(q->clock_userdata));
	n = q->ring_len;
	pthread_mutex_unlock(&q->mu);
	return n;
}

size_t kube_workqueue_delayed_len(kube_workqueue *q)
{
	size_t n;

	if (!q)
		return 0;
	pthread_mutex_lock(&q->mu);
	n = q->heap_len;
	pthread_mutex_unlock(&q->mu);
	return n;
}

int kube_workqueue_next_ready(kube_workqueue *q, int64_t *out_ns)
{
	int rc = 0;

	KUBE_CHECK_ARG(q);
	KUBE_CHECK_ARG(out_ns);
	pthread_mutex_lock(&q->mu);
	promote_locked(q, q->clock(q->clock_userdata));
	if (q->heap_len > 0 && !q->shutting_down)
		*out_ns = q->heap[0]->ready_at;
	else
		rc = KUBE_ENOTFOUND;
	pthread_mutex_unlock(&q->mu);
	return rc;
}

int kube_workqueue_contains(kube_workqueue *q, const char *key)
{
	item *it;
	int r = 0;

	if (!q || !key)
		return 0;
	pthread_mutex_lock(&q->mu);
	if ((it = lookup(q, key)) != NULL)
		r = it->dirty || it->processing;
	pthread_mutex_unlock(&q->mu);
	return r;
}

/* ---- shutting down ---- */

void kube_workqueue_shut_down(kube_workqueue *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->drain = 0;
	q->shutting_down = 1;
	pthread_cond_broadcast(&q->cond);
	pthread_cond_broadcast(&q->drained);
	pthread_mutex_unlock(&q->mu);
	notify(q);
}

void kube_workqueue_shut_down_with_drain(kube_workqueue *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->drain = 1;
	q->shutting_down = 1;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mu);
	notify(q);
	pthread_mutex_lock(&q->mu);
	while (q->processing > 0 && q->drain)
		pthread_cond_wait(&q->drained, &q->mu);
	pthread_mutex_unlock(&q->mu);
}

int kube_workqueue_shutting_down(kube_workqueue *q)
{
	int r;

	if (!q)
		return 0;
	pthread_mutex_lock(&q->mu);
	r = q->shutting_down;
	pthread_mutex_unlock(&q->mu);
	return r;
}

int kube_workqueue_get_metrics(kube_workqueue *q, kube_workqueue_metrics *out)
{
	int64_t now;

	KUBE_CHECK_ARG(q);
	KUBE_CHECK_ARG(out);
	if (out->version == 0 || out->version > KUBE_WORKQUEUE_METRICS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_workqueue_get_metrics: unknown version %u", out->version);
	unsigned int version = out->version;
	memset(out, 0, sizeof(*out));
	out->version = version;
	pthread_mutex_lock(&q->mu);
	now = q->clock(q->clock_userdata);
	promote_locked(q, now);
	out->depth = q->ring_len;
	out->adds = q->adds;
	out->retries = q->retries;
	out->gets = q->gets;
	out->queue_ns_total = q->queue_ns_total;
	out->queue_ns_max = q->queue_ns_max;
	out->dones = q->dones;
	out->work_ns_total = q->work_ns_total;
	out->work_ns_max = q->work_ns_max;
	out->processing = q->processing;
	if (q->processing > 0) {
		for (size_t i = 0; i < q->items.cap; i++) {
			item *it = q->items.slots[i].val;
			if (q->items.slots[i].key && it->processing) {
				int64_t age = now - it->start_time;
				out->unfinished_work_ns += age;
				if (age > out->longest_running_ns)
					out->longest_running_ns = age;
			}
		}
	}
	pthread_mutex_unlock(&q->mu);
	return 0;
}
