/*
 * bench_cri.c - the CRI client against a real containerd.
 *
 * Run by hand through the harness, which starts containerd and exports
 * KUBE_CRI_ENDPOINT and KUBE_CRI_IMAGE:
 *
 *   tests/cri/run.sh --bench build/tests/bench/bench_cri
 *
 * Without it (meson test --benchmark) it says so and exits 77 (skipped).
 *
 *   cri_version_unary     p50/p99 of one Version round trip, one caller,
 *                         one connection (each call starts when the last ended)
 *   cri_version_parallel  Version calls per second with 64 calls in flight
 *                         on one connection
 *   cri_pod_start         RunPodSandbox -> CreateContainer -> StartContainer
 *                         returned, host network, busybox (containerd and runc
 *                         dominate this one)
 *
 * Each figure is the median of ROUNDS rounds; JSON lines as DESIGN.md §6.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libkube/kube.h"
#include "libkube/cri.h"

#define ROUNDS 5
#define UNARY_CALLS 2000
#define PARALLEL 64
#define PARALLEL_CALLS 20000
#define POD_STARTS 5

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double quantile(double *v, size_t n, double q)
{
	qsort(v, n, sizeof(*v), cmp_double);
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i];
}

static void die(const char *what, int rc)
{
	const kube_error *e = kube_error_last();
	fprintf(stderr, "bench_cri: %s: %s (%s)\n", what, kube_strerror(rc),
	        e && e->message ? e->message : "");
	exit(1);
}

/* ---- one caller ---- */

typedef struct serial {
	kube_cri_client *c;
	kube_loop *loop;
	double *lat;
	int done;
	int n;
	double t0;
} serial;

static void serial_next(serial *s);

static void serial_cb(int status, kube_cri_version *v, void *ud)
{
	serial *s = ud;
	if (status)
		die("Version", status);
	kube_cri_version_free(v);
	s->lat[s->done++] = now_us() - s->t0;
	if (s->done == s->n)
		kube_loop_stop(s->loop);
	else
		serial_next(s);
}

static void serial_next(serial *s)
{
	s->t0 = now_us();
	int rc = kube_cri_version_async(s->c, serial_cb, s);
	if (rc)
		die("Version", rc);
}

/* ---- many callers ---- */

typedef struct par {
	kube_cri_client *c;
	kube_loop *loop;
	int started, done, total;
} par;

static void par_start(par *p);

static void par_cb(int status, kube_cri_version *v, void *ud)
{
	par *p = ud;
	if (status)
		die("Version", status);
	kube_cri_version_free(v);
	if (++p->done == p->total)
		kube_loop_stop(p->loop);
	else if (p->started < p->total)
		par_start(p);
}

static void par_start(par *p)
{
	p->started++;
	int rc = kube_cri_version_async(p->c, par_cb, p);
	if (rc)
		die("Version", rc);
}

int main(void)
{
	const char *endpoint = getenv("KUBE_CRI_ENDPOINT");
	const char *image = getenv("KUBE_CRI_IMAGE");
	if (!endpoint || !image || !getenv("KUBE_CRI_LOG_DIR")) {
		fprintf(stderr, "bench_cri: needs containerd: tests/cri/run.sh --bench %s\n",
		        "build/tests/bench/bench_cri");
		return 77;
	}
	kube_loop *loop = NULL;
	kube_cri_client *c = NULL;
	int rc;
	if ((rc = kube_loop_new(&loop, NULL)) != 0)
		die("loop", rc);
	if ((rc = kube_cri_client_new(&c, loop, endpoint, NULL)) != 0)
		die("client", rc);

	/* warm up: connect, settle the API version */
	kube_cri_version *v = NULL;
	if ((rc = kube_cri_version_sync(&v, c)) != 0)
		die("Version", rc);
	kube_cri_version_free(v);

	double p50[ROUNDS], p99[ROUNDS], rate[ROUNDS];
	static double lat[UNARY_CALLS];
	for (int r = 0; r < ROUNDS; r++) {
		serial s = { c, loop, lat, 0, UNARY_CALLS, 0 };
		serial_next(&s);
		kube_loop_run(loop);
		p50[r] = quantile(lat, UNARY_CALLS, 0.50);
		p99[r] = quantile(lat, UNARY_CALLS, 0.99);
	}
	printf("{\"bench\":\"cri_version_unary\",\"case\":\"1 caller\",\"calls\":%d,"
	       "\"p50_us\":%.1f,\"p99_us\":%.1f}\n", UNARY_CALLS,
	       quantile(p50, ROUNDS, 0.5), quantile(p99, ROUNDS, 0.5));
	fflush(stdout);

	for (int r = 0; r < ROUNDS; r++) {
		par p = { c, loop, 0, 0, PARALLEL_CALLS };
		double t0 = now_us();
		for (int i = 0; i < PARALLEL; i++)
			par_start(&p);
		kube_loop_run(loop);
		rate[r] = (double)PARALLEL_CALLS / ((now_us() - t0) / 1e6);
	}
	printf("{\"bench\":\"cri_version_parallel\",\"case\":\"%d streams, 1 connection\","
	       "\"calls\":%d,\"ops_per_s\":%.0f}\n", PARALLEL, PARALLEL_CALLS,
	       quantile(rate, ROUNDS, 0.5));
	fflush(stdout);

	/* RunPodSandbox to a started container */
	double total_ms[POD_STARTS], sandbox_ms[POD_STARTS];
	char logdir[256];
	/* under the harness's temporary directory, which it removes */
	snprintf(logdir, sizeof(logdir), "%s/bench", getenv("KUBE_CRI_LOG_DIR"));
	for (int r = 0; r < POD_STARTS; r++) {
		char name[64], uid[64];
		snprintf(name, sizeof(name), "bench-%d", r);
		snprintf(uid, sizeof(uid), "uid-bench-%d-%d", (int)getpid(), r);
		kube_cri_sandbox_config sb = { .struct_size = sizeof(sb) };
		sb.metadata.name = name;
		sb.metadata.uid = uid;
		sb.metadata.ns = "bench";
		sb.log_directory = logdir;
		sb.linux_namespaces.network = KUBE_CRI_NAMESPACE_NODE;
		char *cmd[] = { "/bin/sleep", "3600" };
		kube_cri_container_config cc = { .struct_size = sizeof(cc) };
		cc.metadata.name = "main";
		cc.image = (char *)image;
		cc.command = cmd;
		cc.n_command = 2;
		cc.log_path = "main.log";
		cc.linux_namespaces.network = KUBE_CRI_NAMESPACE_NODE;
		char *sid = NULL, *cid = NULL;
		double t0 = now_us();
		if ((rc = kube_cri_run_pod_sandbox_sync(&sid, c, &sb, NULL)) != 0)
			die("RunPodSandbox", rc);
		double t1 = now_us();
		if ((rc = kube_cri_create_container_sync(&cid, c, sid, &cc, &sb)) != 0)
			die("CreateContainer", rc);
		if ((rc = kube_cri_start_container_sync(c, cid)) != 0)
			die("StartContainer", rc);
		double t2 = now_us();
		total_ms[r] = (t2 - t0) / 1e3;
		sandbox_ms[r] = (t1 - t0) / 1e3;
		if ((rc = kube_cri_stop_pod_sandbox_sync(c, sid)) != 0)
			die("StopPodSandbox", rc);
		if ((rc = kube_cri_remove_pod_sandbox_sync(c, sid)) != 0)
			die("RemovePodSandbox", rc);
		kube_free(cid);
		kube_free(sid);
	}
	printf("{\"bench\":\"cri_pod_start\",\"case\":\"host network, busybox\",\"runs\":%d,"
	       "\"ms\":%.1f,\"sandbox_ms\":%.1f}\n", POD_STARTS,
	       quantile(total_ms, POD_STARTS, 0.5), quantile(sandbox_ms, POD_STARTS, 0.5));

	kube_cri_client_free(c);
	kube_loop_free(loop);
	return 0;
}
