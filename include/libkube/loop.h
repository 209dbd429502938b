/*
 * loop.h - the event loop every long-running part of libkube runs on.
 *
 * A kube_loop wraps a libevent event_base.  libkube creates one
 * (kube_loop_new), or joins the embedder's own (kube_loop_new_from_base):
 * then the embedder keeps running and freeing its base, and libkube only adds
 * events to it.
 *
 * Threading (DESIGN.md, Threading): a loop and everything attached to it
 * (timers, deferred calls, stores, watches) belong to the thread that runs
 * the loop.  kube_loop_post() is the one call that may come from any thread.
 * Blocking work goes to the loop's worker pool (kube_loop_queue_work): the
 * work function runs on a worker thread, its completion on the loop thread.
 *
 * Callbacks: if a call that takes a callback fails, the callback is never
 * called.  Every registration that takes userdata takes an optional destroy,
 * called exactly once with userdata when the registration ends (after the
 * last callback, on cancellation, or when the loop is freed).
 */
#ifndef LIBKUBE_LOOP_H
#define LIBKUBE_LOOP_H

#include "common.h"

KUBE_BEGIN_DECLS

struct event_base;

typedef struct kube_loop kube_loop;
typedef struct kube_timer kube_timer;
typedef struct kube_work kube_work;

/* A deferred or posted call. */
typedef void (*kube_loop_cb)(void *userdata);
/* A timer fired; the timer may be stopped, restarted or freed inside. */
typedef void (*kube_timer_cb)(kube_timer *timer, void *userdata);
/* Runs on a worker thread: it must not touch the loop or its handles. */
typedef void (*kube_work_cb)(void *userdata);
/* Runs on the loop thread once the work is over.  status is 0 when the work
 * function ran, KUBE_ECANCELED when it was cancelled before it started. */
typedef void (*kube_work_done_cb)(int status, void *userdata);

typedef struct kube_loop_options {
	unsigned int version;   /* KUBE_LOOP_OPTIONS_VERSION */
	unsigned int workers;   /* worker threads (started on first use); 0 = no pool */
} kube_loop_options;

#define KUBE_LOOP_OPTIONS_VERSION 1
#define KUBE_LOOP_OPTIONS_INIT { KUBE_LOOP_OPTIONS_VERSION, 4 }

/* Fills opts with the defaults of `version` (for bindings).  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_loop_options_init(kube_loop_options *opts, unsigned int version);

/* ---- life cycle ---- */

/*
 * A new loop on a new event_base.  opts may be NULL for the defaults.
 * Returns 0, KUBE_EINVAL (bad options), KUBE_ENOMEM, KUBE_EIO (libevent or
 * the wakeup descriptor could not be set up).
 */
KUBE_EXTERN int kube_loop_new(kube_loop **out, const kube_loop_options *opts);

/*
 * A loop on the embedder's event_base, which libkube never frees.  The base
 * must outlive the loop; the thread that runs the base is the loop thread.
 * Returns as kube_loop_new.
 */
KUBE_EXTERN int kube_loop_new_from_base(kube_loop **out, struct event_base *base,
                                        const kube_loop_options *opts);

/*
 * Shuts the loop down, on the loop thread, outside any loop callback.
 * Close what is attached first (stores, watches).  Then, in this order:
 * queued work that has not started is cancelled, running work is waited for,
 * and every work completion runs (status 0 or KUBE_ECANCELED); posted and
 * deferred calls that did not run are dropped (their destroy runs, their
 * callback does not); timers still alive are freed (their destroy runs; the
 * handles must not be used again); the event_base is freed if libkube made
 * it.  NULL is a no-op.
 */
KUBE_EXTERN void kube_loop_free(kube_loop *loop);

/* The event_base (borrowed), to add the embedder's own events to it. */
KUBE_EXTERN struct event_base *kube_loop_base(kube_loop *loop);

/* ---- running ---- */

/*
 * Runs the loop until kube_loop_stop() is called from one of its callbacks
 * (or from a posted call).  Returns 0, KUBE_EINVAL, or KUBE_EIO if libevent
 * failed.
 */
KUBE_EXTERN int kube_loop_run(kube_loop *loop);

#define KUBE_LOOP_NOWAIT 1u   /* kube_loop_run_once: do not block */

/*
 * One iteration: waits until something is ready (unless KUBE_LOOP_NOWAIT),
 * runs what is ready, returns.  Returns 0, KUBE_EINVAL or KUBE_EIO.
 */
KUBE_EXTERN int kube_loop_run_once(kube_loop *loop, unsigned int flags);

/*
 * Makes the running kube_loop_run() return once the current callback is
 * done.  Has no effect when the loop is not running.  Loop thread only:
 * from another thread, post a call that stops the loop.
 */
KUBE_EXTERN void kube_loop_stop(kube_loop *loop);

/* ---- deferred and posted calls ---- */

/*
 * Calls cb(userdata) on the loop thread in a later iteration (never inside
 * this call), then destroy(userdata) if given.  Calls deferred from inside a
 * deferred call run in a later iteration, so a chain cannot starve I/O.
 * Loop thread only.  Returns 0, KUBE_EINVAL or KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_loop_defer(kube_loop *loop, kube_loop_cb cb, void *userdata,
                                void (*destroy)(void *));

/*
 * The one thread-safe call: queues cb(userdata) to run on the loop thread
 * (then destroy(userdata)).  Calls posted by one thread run in the order they
 * were posted.  Returns 0, KUBE_EINVAL, KUBE_ENOMEM, or KUBE_ECANCELED once
 * kube_loop_free() has begun.
 */
KUBE_EXTERN int kube_loop_post(kube_loop *loop, kube_loop_cb cb, void *userdata,
                               void (*destroy)(void *));

/* ---- timers ---- */

/*
 * A new stopped timer.  The handle belongs to the caller until
 * kube_timer_free() (or kube_loop_free()).  Loop thread only.
 * Returns 0, KUBE_EINVAL or KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_timer_new(kube_timer **out, kube_loop *loop, kube_timer_cb cb,
                               void *userdata, void (*destroy)(void *));

/*
 * (Re)starts the timer: it fires after timeout_ms, then every repeat_ms if
 * repeat_ms > 0 (measured from when each callback begins).  Timers due in the
 * same iteration fire in deadline order.  Returns 0 or KUBE_EINVAL / KUBE_EIO.
 */
KUBE_EXTERN int kube_timer_start(kube_timer *timer, uint64_t timeout_ms, uint64_t repeat_ms);

/* Stops the timer (it will not fire until started again).  NULL is a no-op. */
KUBE_EXTERN void kube_timer_stop(kube_timer *timer);

/* 1 if the timer is started and will fire, else 0. */
KUBE_EXTERN int kube_timer_is_active(const kube_timer *timer);

/*
 * Stops and frees the timer and calls its destroy.  May be called inside the
 * timer's own callback.  NULL is a no-op.
 */
KUBE_EXTERN void kube_timer_free(kube_timer *timer);

/* ---- worker pool ---- */

/*
 * Queues work(userdata) to run on a worker thread; done(status, userdata)
 * then runs on the loop thread, and after it destroy(userdata).  Work runs
 * in queue order as workers free up.  *out (optional) is a borrowed handle,
 * valid until done is called, for kube_work_cancel().  Loop thread only.
 * Returns 0, KUBE_EINVAL, KUBE_ENOMEM, KUBE_ENOTSUP (the loop has no
 * workers), KUBE_EIO (a worker thread could not be started).
 */
KUBE_EXTERN int kube_loop_queue_work(kube_work **out, kube_loop *loop, kube_work_cb work,
                                     kube_work_done_cb done, void *userdata,
                                     void (*destroy)(void *));

/*
 * Cancels work that has not started: its done runs in a later iteration with
 * KUBE_ECANCELED, and work never runs.  Returns 0, or KUBE_EBUSY if the work
 * already started (it will complete with status 0).  Loop thread only.
 */
KUBE_EXTERN int kube_work_cancel(kube_work *work);

KUBE_END_DECLS

#endif /* LIBKUBE_LOOP_H */
