/*
 * parallel.c - the threads of the parallel option: a fixed pool that runs
 * n tasks of one function, the calling thread taking its share, and
 * returns when all are done.  The pool lives as long as its scheduler, so
 * a cycle pays a wake-up, not a thread start.
 *
 * One generation counter under one mutex: kube__pool_run bumps it and
 * broadcasts; each worker that sees a new generation takes task indexes
 * until none are left, then counts itself out; the caller waits until
 * every worker has, so no worker still reads the job when run returns.
 */
#include <pthread.h>

#include "sched_private.h"

struct kube__pool {
	pthread_t *threads;
	size_t nthreads;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	uint64_t gen;
	size_t next, total, busy;
	kube__pool_fn fn;
	void *arg;
	int stop;
};

/* Takes and runs tasks until none are left; called with mu held. */
static void drain(struct kube__pool *p)
{
	while (p->next < p->total) {
		size_t i = p->next++;
		pthread_mutex_unlock(&p->mu);
		p->fn(p->arg, i);
		pthread_mutex_lock(&p->mu);
	}
}

static void *worker(void *arg)
{
	struct kube__pool *p = arg;
	uint64_t seen = 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->gen == seen)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->stop)
			break;
		seen = p->gen;
		drain(p);
		if (--p->busy == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int kube__pool_new(struct kube__pool **out, unsigned int threads)
{
	*out = NULL;
	struct kube__pool *p = kube_calloc(1, sizeof(*p));
	if (!p)
		return kube__error_oom();
	size_t n = threads > 1 ? threads - 1 : 0; /* the caller is one of them */
	p->threads = kube_calloc(n ? n : 1, sizeof(*p->threads));
	if (!p->threads) {
		kube_free(p);
		return kube__error_oom();
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	for (size_t i = 0; i < n; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
			kube__pool_free(p);
			return kube__error_set(KUBE_ERROR, NULL, "scheduler: cannot start thread %zu of %u",
			                       i + 1, threads);
		}
		p->nthreads++;
	}
	*out = p;
	return 0;
}

void kube__pool_run(struct kube__pool *p, size_t n, kube__pool_fn fn, void *arg)
{
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->arg = arg;
	p->next = 0;
	p->total = n;
	p->busy = p->nthreads;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	drain(p);
	while (p->busy > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void kube__pool_free(struct kube__pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	kube_free(p->threads);
	kube_free(p);
}
