/*
 * bench_workqueue.c - the workqueue's adds + gets per second (issue 7).
 *
 * Prints one JSON object per line (DESIGN.md section 6); each figure is the
 * median of several repetitions, "best_" the fastest.
 *
 *   single        one thread: add N distinct keys, then get + done each
 *   coalesce      one thread: add 10 keys N/10 times each (duplicates
 *                 coalesce), then drain
 *   threads_4     4 worker threads getting while one thread adds N keys
 *                 (wall time: the machine is shared, treat as indicative)
 *   rate_limited  add_rate_limited + forget of N keys (the backoff and the
 *                 token bucket, never due: measures the delay path)
 *
 * One "op" is an add plus the get and done that take the key out.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libkube/kube.h"

#define REPS 7
#define N 200000

static double cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static char (*keys)[32];

static void die(const char *what)
{
	const kube_error *e = kube_error_last();
	fprintf(stderr, "bench_workqueue: %s: %s\n", what, e && e->message ? e->message : "failed");
	exit(1);
}

static void drain(kube_workqueue *q)
{
	char *k;
	while (kube_workqueue_try_get(q, &k) == 0) {
		kube_workqueue_done(q, k);
		kube_free(k);
	}
}

static double run_single(void)
{
	kube_workqueue *q;
	double t0;

	if (kube_workqueue_new(&q, NULL) != 0)
		die("new");
	t0 = cpu_ns();
	for (int i = 0; i < N; i++)
		if (kube_workqueue_add(q, keys[i]) != 0)
			die("add");
	drain(q);
	t0 = cpu_ns() - t0;
	kube_workqueue_free(q);
	return N / (t0 / 1e9);
}

static double run_coalesce(void)
{
	kube_workqueue *q;
	double t0;

	if (kube_workqueue_new(&q, NULL) != 0)
		die("new");
	t0 = cpu_ns();
	for (int i = 0; i < N; i++)
		kube_workqueue_add(q, keys[i % 10]);
	drain(q);
	t0 = cpu_ns() - t0;
	kube_workqueue_free(q);
	return N / (t0 / 1e9);
}

static void *worker(void *arg)
{
	kube_workqueue *q = arg;
	char *k;
	while (kube_workqueue_get(q, &k) == 0) {
		kube_workqueue_done(q, k);
		kube_free(k);
	}
	return NULL;
}

static double run_threads(void)
{
	kube_workqueue *q;
	pthread_t t[4];
	double t0;

	if (kube_workqueue_new(&q, NULL) != 0)
		die("new");
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, q);
	t0 = wall_ns();
	for (int i = 0; i < N; i++)
		kube_workqueue_add(q, keys[i]);
	kube_workqueue_shut_down_with_drain(q);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	t0 = wall_ns() - t0;
	kube_workqueue_free(q);
	return N / (t0 / 1e9);
}

static double run_rate_limited(void)
{
	kube_workqueue *q;
	double t0;

	if (kube_workqueue_new(&q, NULL) != 0)
		die("new");
	t0 = cpu_ns();
	for (int i = 0; i < N; i++)
		kube_workqueue_add_rate_limited(q, keys[i]);
	for (int i = 0; i < N; i++)
		kube_workqueue_forget(q, keys[i]);
	t0 = cpu_ns() - t0;
	kube_workqueue_free(q);
	return N / (t0 / 1e9);
}

int main(void)
{
	static const struct {
		const char *name;
		double (*fn)(void);
	} cases[] = {
		{ "single", run_single },
		{ "coalesce", run_coalesce },
		{ "threads_4", run_threads },
		{ "rate_limited", run_rate_limited },
	};

	keys = malloc(sizeof(*keys) * N);
	if (!keys)
		return 1;
	for (int i = 0; i < N; i++)
		snprintf(keys[i], sizeof(keys[i]), "default/web-7d9f8b6c5-%06d", i);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		double v[REPS], best = 0;
		for (int r = 0; r < REPS; r++) {
			v[r] = cases[c].fn();
			if (v[r] > best)
				best = v[r];
		}
		printf("{\"bench\":\"workqueue\",\"case\":\"%s\",\"ops_per_s\":%.0f,\"best_ops_per_s\":%.0f}\n",
		       cases[c].name, median(v, REPS), best);
		fflush(stdout);
	}
	free(keys);
	return 0;
}
