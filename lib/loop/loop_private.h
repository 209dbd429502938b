/*
 * loop_private.h - internals shared by the files of the loop layer
 * (loop.c: base, wakeup, posted/deferred calls, timers; workers.c: the pool).
 */
#ifndef LIBKUBE_LOOP_PRIVATE_H
#define LIBKUBE_LOOP_PRIVATE_H

#include <pthread.h>

#include <event2/event.h>

#include "base/base.h"
#include "libkube/loop.h"

/* A queued call: posted (any thread) or deferred (loop thread). */
typedef struct kube__call {
	struct kube__call *next;
	kube_loop_cb cb;
	void *userdata;
	void (*destroy)(void *);
} kube__call;

typedef enum kube__work_state {
	KUBE__WORK_QUEUED,
	KUBE__WORK_RUNNING,
	KUBE__WORK_DONE
} kube__work_state;

struct kube_work {
	struct kube_work *next;
	kube_loop *loop;
	kube_work_cb work;
	kube_work_done_cb done;
	void *userdata;
	void (*destroy)(void *);
	kube__work_state state;   /* under loop->mu */
	int status;               /* 0 or KUBE_ECANCELED */
};

struct kube_timer {
	struct kube_timer *prev, *next;   /* loop->timers, for kube_loop_free */
	kube_loop *loop;
	struct event *ev;
	kube_timer_cb cb;
	void *userdata;
	void (*destroy)(void *);
	uint64_t repeat_ms;
	int active;
	int in_cb;        /* the callback is running */
	int freed;        /* kube_timer_free() was called inside the callback */
};

struct kube_loop {
	struct event_base *base;
	int owns_base;
	unsigned int nworkers;

	/* Everything another thread touches is under mu. */
	pthread_mutex_t mu;
	kube__call *post_head, *post_tail;
	kube_work *queue_head, *queue_tail;   /* not started */
	kube_work *done_head, *done_tail;     /* over, completion not yet run */
	int signaled;                         /* a wakeup is in flight */
	int closing;                          /* kube_loop_free has begun */
	pthread_cond_t work_cv;
	int workers_exit;

	/* The wakeup: an eventfd (wake_rd == wake_wr) or a pipe. */
	int wake_rd, wake_wr;
	struct event *wake_ev;

	/* Loop thread only. */
	kube__call *defer_head, *defer_tail;
	struct event *defer_ev;
	kube_timer *timers;
	pthread_t *threads;
	unsigned int nthreads;
	size_t work_outstanding;   /* queued or running or awaiting completion */
};

/* Wakes the loop thread; call with loop->mu held. */
KUBE_INTERNAL void kube__loop_signal_locked(kube_loop *loop);

/* workers.c */
/* Runs the completions of finished work (loop thread). */
KUBE_INTERNAL void kube__loop_run_completions(kube_loop *loop);
/* Cancels queued work, joins the workers, runs every completion. */
KUBE_INTERNAL void kube__loop_workers_shutdown(kube_loop *loop);

#endif /* LIBKUBE_LOOP_PRIVATE_H */
