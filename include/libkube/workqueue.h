/*
 * workqueue.h - the controllers' work queue, with client-go's semantics.
 *
 * A queue of string keys ("namespace/name") that controllers process:
 *
 *   - a key is never handed to two workers at once: between get and done
 *     it is "processing", and an add meanwhile only marks it dirty;
 *   - duplicates coalesce: adding a key that is already waiting is a no-op;
 *   - a key added again while it is processing is handed out again after
 *     done (once, however many times it was added);
 *   - add_after delays an add (an earlier deadline for a key already
 *     waiting wins, as client-go's delaying queue);
 *   - add_rate_limited delays by the rate limiter: the larger of a per-key
 *     exponential backoff (base * 2^failures, capped) and an overall token
 *     bucket (client-go's DefaultControllerRateLimiter: 5 ms doubling to
 *     1000 s, 10 per second with a burst of 100); forget resets the key's
 *     failures;
 *   - shut_down stops accepting adds; get still hands out what is queued,
 *     then fails with KUBE_ECANCELED.  shut_down_with_drain also waits
 *     until every key handed out is done (ShutDownWithDrain).
 *
 * Time comes from a clock the embedder may replace (tests use a fake one);
 * it is read in nanoseconds.  Delayed keys become ready when a call on the
 * queue (get, try_get, len, next_ready) finds their time has come: a
 * blocking get waits (real time) until the earliest one is due.
 *
 * Threading: every call is thread-safe; workers may be threads.
 */
#ifndef LIBKUBE_WORKQUEUE_H
#define LIBKUBE_WORKQUEUE_H

#include "common.h"

KUBE_BEGIN_DECLS

typedef struct kube_workqueue kube_workqueue;

/* A clock: nanoseconds since any fixed point (monotonic for queues; the
 * controllers that compare object timestamps read it as Unix time). */
typedef int64_t (*kube_clock_cb)(void *userdata);

/*
 * Called when a key may be ready to get (after an add, add_after, a done
 * that requeues, or shut_down), on the thread that made that call, with no
 * lock held.  It must not block; it may call any kube_workqueue_* function
 * except the blocking get and shut_down_with_drain.
 */
typedef void (*kube_workqueue_notify_cb)(kube_workqueue *q, void *userdata);

typedef struct kube_workqueue_options {
	unsigned int version;            /* KUBE_WORKQUEUE_OPTIONS_VERSION */
	const char *name;                /* for logs; copied; NULL = "" */
	int64_t base_delay_ns;           /* per-key backoff start (5 ms) */
	int64_t max_delay_ns;            /* per-key backoff cap (1000 s) */
	double qps;                      /* token bucket rate; 0 = no bucket */
	unsigned int burst;              /* token bucket size (100) */
	kube_clock_cb clock;             /* NULL = CLOCK_MONOTONIC */
	void *clock_userdata;
} kube_workqueue_options;

#define KUBE_WORKQUEUE_OPTIONS_VERSION 1
#define KUBE_WORKQUEUE_OPTIONS_INIT \
	{ KUBE_WORKQUEUE_OPTIONS_VERSION, NULL, 5000000, 1000000000000, 10.0, 100, NULL, NULL }

/* Fills opts with the defaults of `version` (for bindings).  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_workqueue_options_init(kube_workqueue_options *opts, unsigned int version);

/*
 * A new queue; opts NULL = the defaults.  Returns 0, KUBE_EINVAL (bad
 * version, base_delay_ns <= 0, max_delay_ns < base_delay_ns, qps < 0, qps > 0
 * with burst 0), KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_workqueue_new(kube_workqueue **out, const kube_workqueue_options *opts);

/* Frees the queue.  No thread may be using it (shut it down and join the
 * workers first).  NULL is a no-op. */
KUBE_EXTERN void kube_workqueue_free(kube_workqueue *q);

/*
 * Sets (or with cb NULL clears) the notify callback; destroy(userdata), if
 * given, runs when it is replaced or the queue is freed.  0 or KUBE_EINVAL.
 */
KUBE_EXTERN int kube_workqueue_set_notify(kube_workqueue *q, kube_workqueue_notify_cb cb,
                                          void *userdata, void (*destroy)(void *));

/* Marks key (copied) as needing processing.  Ignored after shut_down.
 * Returns 0, KUBE_EINVAL, KUBE_ENOMEM. */
KUBE_EXTERN int kube_workqueue_add(kube_workqueue *q, const char *key);

/* Adds key after delay_ns (<= 0: now).  Counts a retry.  Ignored after
 * shut_down.  Returns 0, KUBE_EINVAL, KUBE_ENOMEM. */
KUBE_EXTERN int kube_workqueue_add_after(kube_workqueue *q, const char *key, int64_t delay_ns);

/* Adds key after the rate limiter's delay for it (which counts a failure
 * for the key and takes a token).  Returns as add_after. */
KUBE_EXTERN int kube_workqueue_add_rate_limited(kube_workqueue *q, const char *key);

/* The delay add_rate_limited would use now, without adding: it counts a
 * failure and takes a token exactly as add_rate_limited does (the
 * limiter's When).  -1 for bad arguments, with KUBE_EINVAL raised. */
KUBE_EXTERN int64_t kube_workqueue_when(kube_workqueue *q, const char *key);

/* Forgets key's failures (its backoff starts again at base_delay_ns). */
KUBE_EXTERN void kube_workqueue_forget(kube_workqueue *q, const char *key);

/* How many failures key has had since it was last forgotten. */
KUBE_EXTERN int kube_workqueue_num_requeues(kube_workqueue *q, const char *key);

/*
 * Takes the next key, blocking until one is ready.  *out receives a copy
 * (kube_free it); pass the same text to kube_workqueue_done.  Returns 0,
 * KUBE_ECANCELED (shut down and nothing left to hand out), KUBE_EINVAL.
 */
KUBE_EXTERN int kube_workqueue_get(kube_workqueue *q, char **out);

/* As get, without blocking: KUBE_ENOTFOUND when no key is ready now. */
KUBE_EXTERN int kube_workqueue_try_get(kube_workqueue *q, char **out);

/* Ends the processing of key; if it was added meanwhile it is queued again.
 * Returns 0, KUBE_EINVAL, KUBE_ENOTFOUND (key is not being processed). */
KUBE_EXTERN int kube_workqueue_done(kube_workqueue *q, const char *key);

/* Keys ready to get now (the depth; delayed keys not counted). */
KUBE_EXTERN size_t kube_workqueue_len(kube_workqueue *q);

/* Keys waiting for their delay to pass. */
KUBE_EXTERN size_t kube_workqueue_delayed_len(kube_workqueue *q);

/*
 * When the earliest delayed key is due, on the queue's clock (after moving
 * the keys already due).  Returns 0, KUBE_ENOTFOUND (nothing delayed),
 * KUBE_EINVAL.
 */
KUBE_EXTERN int kube_workqueue_next_ready(kube_workqueue *q, int64_t *out_ns);

/* 1 if key is dirty (added and not yet handed out) or processing, as
 * client-go's Find; a key only waiting for its delay is not.  Else 0. */
KUBE_EXTERN int kube_workqueue_contains(kube_workqueue *q, const char *key);

/* Stops accepting adds and wakes every blocked get.  Idempotent. */
KUBE_EXTERN void kube_workqueue_shut_down(kube_workqueue *q);

/* shut_down, then waits until every key handed out is done.  Call it from
 * a thread that is not processing a key of this queue.  A later shut_down
 * from another thread ends the wait early. */
KUBE_EXTERN void kube_workqueue_shut_down_with_drain(kube_workqueue *q);

/* 1 once shut_down has been called. */
KUBE_EXTERN int kube_workqueue_shutting_down(kube_workqueue *q);

/* client-go's queue metrics, as counters and sums the caller can derive
 * rates and means from.  Durations in nanoseconds on the queue's clock. */
typedef struct kube_workqueue_metrics {
	unsigned int version;            /* set by the caller: KUBE_WORKQUEUE_METRICS_VERSION */
	uint64_t depth;                  /* keys ready to get */
	uint64_t adds;                   /* adds that queued or dirtied a key */
	uint64_t retries;                /* add_after and add_rate_limited calls */
	uint64_t gets;                   /* keys handed out */
	int64_t queue_ns_total;          /* time from add to get, summed */
	int64_t queue_ns_max;
	uint64_t dones;                  /* keys done */
	int64_t work_ns_total;           /* time from get to done, summed */
	int64_t work_ns_max;
	uint64_t processing;             /* keys handed out and not done */
	int64_t unfinished_work_ns;      /* summed age of the keys processing now */
	int64_t longest_running_ns;      /* age of the oldest key processing now */
} kube_workqueue_metrics;

#define KUBE_WORKQUEUE_METRICS_VERSION 1

/* Fills *out (whose version the caller set).  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_workqueue_get_metrics(kube_workqueue *q, kube_workqueue_metrics *out);

KUBE_END_DECLS

#endif /* LIBKUBE_WORKQUEUE_H */
