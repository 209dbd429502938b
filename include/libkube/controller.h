/*
 * controller.h - the reconciler runner and controller expectations.
 *
 * A kube_controller joins a workqueue (workqueue.h) to a reconcile
 * function, on a kube_loop: informer handlers enqueue keys; the runner takes
 * ready keys, at most `workers` at a time, and calls reconcile(key) on the
 * loop thread, where the informer caches and the store may be used.  What
 * reconcile returns decides what happens to the key:
 *
 *   0                        done: the key's failures are forgotten;
 *                            *requeue_after_ns > 0 also adds it back after
 *                            that delay (controller-runtime's RequeueAfter)
 *   KUBE_RECONCILE_REQUEUE   requeue with backoff (add_rate_limited)
 *   a KUBE_E* error          logged, requeued with backoff
 *   KUBE_RECONCILE_PENDING   the work goes on asynchronously (e.g. a store
 *                            write with group commit): the key stays
 *                            processing, and a worker slot busy, until
 *                            kube_controller_finish(key, result, delay)
 *
 * Keys are never reconciled twice at once (the workqueue's guarantee), so
 * `workers` bounds how many keys are in flight; with a synchronous
 * reconcile, it is how many keys one dispatch round takes.
 *
 * Expectations (upstream's ControllerExpectations, with UID tracking for
 * deletions as the ReplicaSet controller uses them) record what a controller
 * has just asked the store to create or delete, so that it does not act
 * again on a cache that has not yet seen its own writes: a controller
 * reconciles a key only when its expectations are satisfied, i.e. every
 * expected creation and deletion has been observed through the informer, or
 * 5 minutes (upstream's ExpectationsTimeout) have passed since they were set.
 *
 * Threading: a controller belongs to its loop's thread, except
 * kube_controller_enqueue / its workqueue, which any thread may use.
 * Expectations are thread-safe.
 */
#ifndef LIBKUBE_CONTROLLER_H
#define LIBKUBE_CONTROLLER_H

#include "common.h"
#include "loop.h"
#include "object.h"
#include "workqueue.h"

KUBE_BEGIN_DECLS

typedef struct kube_controller kube_controller;
typedef struct kube_expectations kube_expectations;

#define KUBE_RECONCILE_REQUEUE 1
#define KUBE_RECONCILE_PENDING 2

/*
 * Reconciles one key ("namespace/name").  *requeue_after_ns is 0 on entry.
 * Runs on the loop thread.  Returns as described above.
 */
typedef int (*kube_reconcile_cb)(kube_controller *c, const char *key, int64_t *requeue_after_ns,
                                 void *userdata);

typedef struct kube_controller_options {
	unsigned int version;            /* KUBE_CONTROLLER_OPTIONS_VERSION */
	const char *name;                /* for logs; copied */
	unsigned int workers;            /* keys in flight at most (>= 1) */
	const kube_workqueue_options *queue;  /* NULL = the workqueue defaults */
} kube_controller_options;

#define KUBE_CONTROLLER_OPTIONS_VERSION 1
#define KUBE_CONTROLLER_OPTIONS_INIT { KUBE_CONTROLLER_OPTIONS_VERSION, NULL, 1, NULL }

/* Fills opts with the defaults of `version` (for bindings).  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_controller_options_init(kube_controller_options *opts, unsigned int version);

/*
 * A new controller on loop (which must outlive it); opts NULL = defaults.
 * destroy(userdata) runs when the controller is freed.  Keys may be
 * enqueued at once; none is reconciled before kube_controller_start.
 * Returns 0, KUBE_EINVAL, KUBE_ENOMEM; on failure destroy is not called.
 */
KUBE_EXTERN int kube_controller_new(kube_controller **out, kube_loop *loop,
                                    const kube_controller_options *opts,
                                    kube_reconcile_cb reconcile, void *userdata,
                                    void (*destroy)(void *));

/*
 * Shuts the queue down, finishes nothing that is pending (pending keys are
 * dropped), frees.  Not inside reconcile.  NULL is a no-op.
 */
KUBE_EXTERN void kube_controller_free(kube_controller *c);

/* Starts reconciling (from the loop, never inside this call).
 * Returns 0, KUBE_EINVAL, KUBE_ENOMEM, KUBE_EIO (a timer could not be set). */
KUBE_EXTERN int kube_controller_start(kube_controller *c);

/*
 * Stops taking keys (the queue shuts down: adds are ignored); pending keys
 * may still finish.  Idempotent.
 */
KUBE_EXTERN void kube_controller_stop(kube_controller *c);

/* The controller's queue (borrowed, lives as long as the controller). */
KUBE_EXTERN kube_workqueue *kube_controller_queue(kube_controller *c);

/* Adds key to the queue (thread-safe).  0, KUBE_EINVAL, KUBE_ENOMEM. */
KUBE_EXTERN int kube_controller_enqueue(kube_controller *c, const char *key);

/* Adds obj's cache key ("namespace/name").  0, KUBE_EINVAL, KUBE_ENOMEM. */
KUBE_EXTERN int kube_controller_enqueue_object(kube_controller *c, const kube_object *obj);

/* Adds key after delay_ns.  0, KUBE_EINVAL, KUBE_ENOMEM. */
KUBE_EXTERN int kube_controller_enqueue_after(kube_controller *c, const char *key,
                                              int64_t delay_ns);

/*
 * Ends a key whose reconcile returned KUBE_RECONCILE_PENDING, with the
 * result it would have returned (0, KUBE_RECONCILE_REQUEUE or an error) and
 * the RequeueAfter delay.  Loop thread.  Returns 0, KUBE_EINVAL,
 * KUBE_ENOTFOUND (key is not pending).
 */
KUBE_EXTERN int kube_controller_finish(kube_controller *c, const char *key, int result,
                                       int64_t requeue_after_ns);

/*
 * Reconciles the keys ready now, as the loop would (within the worker
 * bound, until none is ready): for embedders that drive time by hand, and
 * for tests with a fake clock.  Needs no start.  Returns how many keys
 * were reconciled, or KUBE_EINVAL.
 */
KUBE_EXTERN int kube_controller_process(kube_controller *c);

/* Counters since the controller was made. */
typedef struct kube_controller_stats {
	unsigned int version;            /* set by the caller: KUBE_CONTROLLER_STATS_VERSION */
	uint64_t reconciles;             /* calls to reconcile */
	uint64_t errors;                 /* results that were errors */
	uint64_t requeues;               /* KUBE_RECONCILE_REQUEUE results */
	uint64_t requeues_after;         /* done with a RequeueAfter delay */
	uint64_t pending;                /* keys pending now */
} kube_controller_stats;

#define KUBE_CONTROLLER_STATS_VERSION 1

KUBE_EXTERN int kube_controller_get_stats(const kube_controller *c, kube_controller_stats *out);

/* ---- expectations ---- */

/* Upstream's ExpectationsTimeout: 5 minutes. */
#define KUBE_EXPECTATIONS_TIMEOUT_NS ((int64_t)300 * 1000000000)

/* New, empty expectations; clock NULL = CLOCK_MONOTONIC.  0, EINVAL, ENOMEM. */
KUBE_EXTERN int kube_expectations_new(kube_expectations **out, kube_clock_cb clock,
                                      void *clock_userdata);
KUBE_EXTERN void kube_expectations_free(kube_expectations *e);

/* Sets key's expectations to `adds` creations (and no deletions), with a new
 * timestamp (ExpectCreations).  0, KUBE_EINVAL, KUBE_ENOMEM. */
KUBE_EXTERN int kube_expectations_expect_creations(kube_expectations *e, const char *key,
                                                   int64_t adds);

/*
 * Sets key's expectations to the deletion of the objects whose cache keys
 * are listed (UIDTrackingControllerExpectations.ExpectDeletions): only their
 * deletions count, each once.  0, KUBE_EINVAL, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_expectations_expect_deletions(kube_expectations *e, const char *key,
                                                   const char *const *deleted_keys, size_t n);

/* An expected creation did not happen (or was seen): one fewer to wait for. */
KUBE_EXTERN void kube_expectations_creation_observed(kube_expectations *e, const char *key);

/* The object deleted_key was deleted: counts if it was expected. */
KUBE_EXTERN void kube_expectations_deletion_observed(kube_expectations *e, const char *key,
                                                     const char *deleted_key);

/* Raises or lowers the counts without a new timestamp. */
KUBE_EXTERN void kube_expectations_raise(kube_expectations *e, const char *key, int64_t adds,
                                         int64_t dels);
KUBE_EXTERN void kube_expectations_lower(kube_expectations *e, const char *key, int64_t adds,
                                         int64_t dels);

/*
 * 1 when key may be reconciled: it has no expectations, or they are
 * fulfilled (nothing left to observe), or expired (set more than 5 minutes
 * ago).  0 otherwise.
 */
KUBE_EXTERN int kube_expectations_satisfied(kube_expectations *e, const char *key);

/* What is still expected for key (either pointer may be NULL).  0, or
 * KUBE_ENOTFOUND when key has no expectations. */
KUBE_EXTERN int kube_expectations_get(kube_expectations *e, const char *key, int64_t *adds,
                                      int64_t *dels);

/* Forgets key's expectations (the owner was deleted). */
KUBE_EXTERN void kube_expectations_delete(kube_expectations *e, const char *key);

KUBE_END_DECLS

#endif /* LIBKUBE_CONTROLLER_H */
