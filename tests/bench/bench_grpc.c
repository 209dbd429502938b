/*
 * bench_grpc.c - the gRPC client against the in-tree test server.
 *
 * The server (tests/grpc/server.c, compiled into this program) runs on its
 * own thread; the client runs on this one, so CLOCK_THREAD_CPUTIME_ID read
 * here is the client's own CPU: the loop, nghttp2, framing, syscalls.
 *
 *   grpc_unary_client_cpu   one caller, sequential unary Echo calls (64-byte
 *                           request), client CPU per call (target <= 20 us)
 *   grpc_unary_latency      one caller: p50/p99 round trip
 *   grpc_unary_concurrent   64 calls always in flight on one connection:
 *                           calls/s and client CPU per call
 *
 * Each figure is the median of 5 runs.  JSON lines (DESIGN.md section 6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../grpc/server.c"
#include "grpc/grpc.h"
#include "libkube/kube.h"

#define RUNS 5

static kube_loop *loop;
static kube__grpc_channel *ch;
static uint8_t req[64];

typedef struct run {
	int target;        /* calls to finish */
	int started;
	int finished;
	int failed;
	double *lat_us;    /* per call, sequential runs only */
	uint64_t t_start[64];
} run;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return v[n / 2];
}

typedef struct slot {
	run *r;
	int idx;
} slot;

static void start_one(slot *s);

static void done_cb(const kube__grpc_status *st, const uint8_t *resp, size_t len, void *ud)
{
	slot *s = ud;
	run *r = s->r;
	if (st->code != KUBE_GRPC_OK || len != sizeof(req)) {
		if (!r->failed)
			fprintf(stderr, "bench_grpc: call failed: %d %s\n", st->code, st->message);
		r->failed++;
	}
	if (r->lat_us)
		r->lat_us[r->finished] = (double)(mono_ns() - r->t_start[s->idx]) / 1000.0;
	r->finished++;
	if (r->started < r->target)
		start_one(s);
	else if (r->finished == r->target)
		kube_loop_stop(loop);
}

static void start_one(slot *s)
{
	run *r = s->r;
	r->started++;
	r->t_start[s->idx] = mono_ns();
	if (kube__grpc_unary(ch, "/test.Test/Echo", req, sizeof(req), 10000, done_cb, s, NULL) != 0) {
		fprintf(stderr, "bench_grpc: kube__grpc_unary: %s\n", kube_error_last()->message);
		exit(1);
	}
}

/* Runs `calls` calls with `inflight` in flight; returns wall and CPU seconds. */
static void measure(int calls, int inflight, double *lat_us, double *wall_s, double *cpu_s)
{
	run r;
	memset(&r, 0, sizeof(r));
	r.target = calls;
	r.lat_us = lat_us;
	slot slots[64];
	uint64_t w0 = mono_ns(), c0 = cpu_ns();
	for (int i = 0; i < inflight; i++) {
		slots[i].r = &r;
		slots[i].idx = i;
		start_one(&slots[i]);
	}
	kube_loop_run(loop);
	*wall_s = (double)(mono_ns() - w0) / 1e9;
	*cpu_s = (double)(cpu_ns() - c0) / 1e9;
	if (r.failed) {
		fprintf(stderr, "bench_grpc: %d calls failed\n", r.failed);
		exit(1);
	}
}

static void bench_target(const char *name, const char *target)
{
	if (kube__grpc_channel_new(&ch, loop, target, NULL) != 0) {
		fprintf(stderr, "bench_grpc: channel: %s\n", kube_error_last()->message);
		exit(1);
	}
	double wall, cpu;
	measure(2000, 1, NULL, &wall, &cpu);   /* connect, warm up */

	enum { SEQ = 20000, CONC = 50000 };
	double cpu_us[RUNS], p50[RUNS], p99[RUNS], cps[RUNS], ccpu[RUNS];
	double *lat = malloc(sizeof(double) * SEQ);
	for (int i = 0; i < RUNS; i++) {
		measure(SEQ, 1, lat, &wall, &cpu);
		cpu_us[i] = cpu * 1e6 / SEQ;
		qsort(lat, SEQ, sizeof(double), cmp_double);
		p50[i] = lat[SEQ / 2];
		p99[i] = lat[SEQ * 99 / 100];
	}
	for (int i = 0; i < RUNS; i++) {
		measure(CONC, 64, NULL, &wall, &cpu);
		cps[i] = CONC / wall;
		ccpu[i] = cpu * 1e6 / CONC;
	}
	free(lat);
	printf("{\"bench\":\"grpc_unary_client_cpu\",\"case\":\"%s\",\"us_per_call\":%.2f,"
	       "\"calls\":%d}\n", name, median(cpu_us, RUNS), SEQ);
	printf("{\"bench\":\"grpc_unary_latency\",\"case\":\"%s_1_caller\",\"p50_us\":%.1f,"
	       "\"p99_us\":%.1f}\n", name, median(p50, RUNS), median(p99, RUNS));
	printf("{\"bench\":\"grpc_unary_concurrent\",\"case\":\"%s_64_streams\",\"ops_per_s\":%.0f,"
	       "\"client_us_per_call\":%.2f}\n", name, median(cps, RUNS), median(ccpu, RUNS));
	fflush(stdout);
	kube__grpc_channel_free(ch);
	ch = NULL;
}

int main(void)
{
	memset(req, 'r', sizeof(req));
	if (kube_loop_new(&loop, NULL) != 0)
		return 1;
	ts_server *srv = ts_server_start(1);
	if (!srv)
		return 1;
	bench_target("unix", ts_server_unix_target(srv));
	bench_target("tcp", ts_server_tcp_target(srv));
	ts_server_stop(srv);
	kube_loop_free(loop);
	return 0;
}
