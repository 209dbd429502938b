/*
 * workers.c - the loop's worker pool (uv_queue_work's shape).
 *
 *   loop thread                 workers (N, started on first use)
 *   queue_work ──mu──▶ queue ──▶ take head, state RUNNING, run work()
 *   cancel: QUEUED ─▶ done list          │
 *                         done list ◀──mu─┘ state DONE, wake the loop
 *   on_wake (loop.c) ─▶ kube__loop_run_completions: done(status), destroy
 *
 * A kube_work lives from kube_loop_queue_work until its done callback has
 * returned; every state change happens under loop->mu, so a cancel either
 * finds the work still queued (and takes it out) or finds it started.
 * Completions always run on the loop thread and never inside the call that
 * caused them (cancel goes through the done list and the wakeup too).
 */
#include <string.h>

#include "loop_private.h"

static void *worker_main(void *arg)
{
	kube_loop *loop = arg;

	pthread_mutex_lock(&loop->mu);
	for (;;) {
		kube_work *w;

		while (!loop->queue_head && !loop->workers_exit)
			pthread_cond_wait(&loop->work_cv, &loop->mu);
		if (!loop->queue_head)
			break;   /* exiting and nothing left to run */
		w = loop->queue_head;
		loop->queue_head = w->next;
		if (!loop->queue_head)
			loop->queue_tail = NULL;
		w->next = NULL;
		w->state = KUBE__WORK_RUNNING;
		pthread_mutex_unlock(&loop->mu);

		w->work(w->userdata);

		pthread_mutex_lock(&loop->mu);
		w->state = KUBE__WORK_DONE;
		w->status = 0;
		if (loop->done_tail)
			loop->done_tail->next = w;
		else
			loop->done_head = w;
		loop->done_tail = w;
		kube__loop_signal_locked(loop);
	}
	pthread_mutex_unlock(&loop->mu);
	return NULL;
}

static int start_workers(kube_loop *loop)
{
	loop->threads = kube_calloc(loop->nworkers, sizeof(pthread_t));
	if (!loop->threads)
		return kube__error_oom();
	for (unsigned int i = 0; i < loop->nworkers; i++) {
		int e = pthread_create(&loop->threads[i], NULL, worker_main, loop);
		if (e != 0) {
			if (loop->nthreads > 0)
				return 0;   /* fewer workers than asked, still a pool */
			kube_free(loop->threads);
			loop->threads = NULL;
			return kube__error_set(KUBE_EIO, NULL,
			                       "kube_loop_queue_work: cannot start a worker thread: %s",
			                       strerror(e));
		}
		loop->nthreads++;
	}
	return 0;
}

int kube_loop_queue_work(kube_work **out, kube_loop *loop, kube_work_cb work,
                         kube_work_done_cb done, void *userdata, void (*destroy)(void *))
{
	kube_work *w;
	int rc;

	if (out)
		*out = NULL;
	KUBE_CHECK_ARG(loop);
	KUBE_CHECK_ARG(work);
	KUBE_CHECK_ARG(done);
	if (loop->nworkers == 0)
		return kube__error_set(KUBE_ENOTSUP, NULL,
		                       "kube_loop_queue_work: the loop was made without workers");
	if (loop->closing)
		return kube__error_set(KUBE_ECANCELED, NULL,
		                       "kube_loop_queue_work: the loop is shutting down");
	if (loop->nthreads == 0 && (rc = start_workers(loop)) != 0)
		return rc;
	w = kube_calloc(1, sizeof(*w));
	if (!w)
		return kube__error_oom();
	w->loop = loop;
	w->work = work;
	w->done = done;
	w->userdata = userdata;
	w->destroy = destroy;
	w->state = KUBE__WORK_QUEUED;
	pthread_mutex_lock(&loop->mu);
	if (loop->queue_tail)
		loop->queue_tail->next = w;
	else
		loop->queue_head = w;
	loop->queue_tail = w;
	pthread_cond_signal(&loop->work_cv);
	pthread_mutex_unlock(&loop->mu);
	loop->work_outstanding++;
	if (out)
		*out = w;
	return 0;
}

/* Moves queued work `w` to the done list as cancelled; mu held. */
static void cancel_locked(kube_loop *loop, kube_work *w)
{
	kube_work **pp = &loop->queue_head, *prev = NULL;

	while (*pp && *pp != w) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = w->next;
	if (loop->queue_tail == w)
		loop->queue_tail = prev;
	w->next = NULL;
	w->state = KUBE__WORK_DONE;
	w->status = KUBE_ECANCELED;
	if (loop->done_tail)
		loop->done_tail->next = w;
	else
		loop->done_head = w;
	loop->done_tail = w;
}

int kube_work_cancel(kube_work *work)
{
	kube_loop *loop;

	KUBE_CHECK_ARG(work);
	loop = work->loop;
	pthread_mutex_lock(&loop->mu);
	if (work->state != KUBE__WORK_QUEUED) {
		pthread_mutex_unlock(&loop->mu);
		return kube__error_set(KUBE_EBUSY, NULL, "kube_work_cancel: the work has already started");
	}
	cancel_locked(loop, work);
	kube__loop_signal_locked(loop);
	pthread_mutex_unlock(&loop->mu);
	return 0;
}

void kube__loop_run_completions(kube_loop *loop)
{
	kube_work *w;

	pthread_mutex_lock(&loop->mu);
	w = loop->done_head;
	loop->done_head = loop->done_tail = NULL;
	pthread_mutex_unlock(&loop->mu);
	while (w) {
		kube_work *next = w->next;
		loop->work_outstanding--;
		w->done(w->status, w->userdata);
		if (w->destroy)
			w->destroy(w->userdata);
		kube_free(w);
		w = next;
	}
}

void kube__loop_workers_shutdown(kube_loop *loop)
{
	pthread_mutex_lock(&loop->mu);
	while (loop->queue_head)
		cancel_locked(loop, loop->queue_head);
	loop->workers_exit = 1;
	pthread_cond_broadcast(&loop->work_cv);
	pthread_mutex_unlock(&loop->mu);
	for (unsigned int i = 0; i < loop->nthreads; i++)
		pthread_join(loop->threads[i], NULL);
	loop->nthreads = 0;
	/* New work is refused from here on (closing), so one drain runs every
	 * completion that is left. */
	kube__loop_run_completions(loop);
}
