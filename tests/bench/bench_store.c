/*
 * bench_store.c - the object store's figures that issue 4 lists.
 *
 *   store_fsync         the floor under durable writes: one fdatasync of 40
 *                       KiB rewritten in place (a batch's WAL frames) in the
 *                       data directory's file system, p50/p90, measured
 *                       right before store_create (the disk is shared)
 *   store_create        durable creates per second on "sqlite": one writer
 *                       (synchronous creates, one fsync each) and 16
 *                       concurrent writers, each with one create in flight:
 *                       a writer sends its next create once its last is
 *                       acknowledged (group commit); the same on "memory",
 *                       synchronous and with 16 writers (the durable
 *                       case's ceiling: the loop's work without a commit);
 *                       each with the loop thread's and the process's CPU
 *                       time per create
 *   store_commit        the sqlite backend's commit alone, batches of 8 and
 *                       16 pods' JSON: p50/p90 latency and the committing
 *                       thread's CPU time, with the WAL's frames gathered
 *                       into one write (the default) and written one by one
 *                       as SQLite does (KUBE_STORE_SQLITE_GATHER=0): two
 *                       stores in one process, blocks of commits taking
 *                       turns, as the disk's speed changes by the second
 *   store_get           latency of a get (p50/p99)
 *   store_update        latency of a synchronous update, sqlite and memory
 *   store_list_indexed  a list of 100,000 pods by a label selector that the
 *                       label index answers, matching 100 of them
 *   store_watch_fanout  1,000 watchers receiving every event of 10,000 writes
 *   store_memory        heap and resident bytes per stored typical pod (~2 KB
 *                       of JSON), 100,000 of them, 3 watchers, default options
 *
 * Prints one JSON object per line (DESIGN.md section 6); every figure is
 * the median of several repetitions.  Durable writes are timed on the wall
 * clock (fsync and the commit thread are the point); the others in the
 * loop thread's CPU time, as the machine is shared.  The objects to write
 * are parsed before the clock starts, so the figures are the store's own,
 * not JSON parsing's, and handed over with the ownership-taking writes
 * (kube_store_create_take, ...), which write them without a copy.  The pods are realistic: labels, annotations, an
 * owner reference, two containers with ports, env, resources and mounts,
 * volumes, tolerations and a status, about 2 KB of JSON each.
 *
 *   bench_store [writers]   (16 by default: the in-flight count of the
 *                            group-commit case)
 *   KUBE_BENCH_ONLY=create|commit|get|list|watch|memory   one workload
 *   KUBE_BENCH_ONLY=ab KUBE_BENCH_A=VAR=x KUBE_BENCH_B=VAR=y [KUBE_BENCH_JSON=1]
 *                       two settings' durable creates, taking turns (by
 *                       hand only, not part of a full run)
 *   KUBE_BENCH_CASE=sqlite_16_writers              one case (prefix) of
 *                                                  store_create or store_memory
 *                                                  (whose sqlite case also
 *                                                  times a reopen: store_open)
 */
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libkube/kube.h"
#include "store/store_private.h"   /* store_commit: the backend's commit alone */

#define REPS 5

static double now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double wall_ns(void) { return now_ns(CLOCK_MONOTONIC); }
static double cpu_ns(void) { return now_ns(CLOCK_THREAD_CPUTIME_ID); }

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

/* The q-quantile of v (sorted in place). */
static double quantile(double *v, size_t n, double q)
{
	qsort(v, n, sizeof(double), cmp_double);
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static void die(const char *what)
{
	const kube_error *e = kube_error_last();
	fprintf(stderr, "bench_store: %s: %s\n", what, e && e->message ? e->message : "failed");
	exit(1);
}

/* ---- a typical pod: about 2 KB of JSON ---- */

static size_t pod_text(char *buf, size_t cap, int i, int apps)
{
	int n = snprintf(buf, cap,
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-7d9f8b6c5-%06d\","
		"\"namespace\":\"ns-%02d\",\"generateName\":\"web-7d9f8b6c5-\",\"labels\":{\"app\":\"app-%03d\","
		"\"pod-template-hash\":\"7d9f8b6c5\",\"tier\":\"frontend\",\"env\":\"prod\",\"team\":\"payments\"},"
		"\"annotations\":{\"prometheus.io/scrape\":\"true\",\"prometheus.io/port\":\"9090\"},"
		"\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"web-7d9f8b6c5\","
		"\"uid\":\"5f0c6a2e-8d1b-4c3e-9a7f-0b1c2d3e4f5a\",\"controller\":true,\"blockOwnerDeletion\":true}]},"
		"\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"registry.example.com/shop/web:1.24.3\","
		"\"ports\":[{\"name\":\"http\",\"containerPort\":8080,\"protocol\":\"TCP\"},{\"name\":\"metrics\","
		"\"containerPort\":9090,\"protocol\":\"TCP\"}],\"env\":[{\"name\":\"LOG_LEVEL\",\"value\":\"info\"},"
		"{\"name\":\"DB_HOST\",\"value\":\"db.payments.svc.cluster.local\"}],"
		"\"resources\":{\"requests\":{\"cpu\":\"250m\",\"memory\":\"256Mi\"},\"limits\":{\"cpu\":\"1\","
		"\"memory\":\"512Mi\"}},\"volumeMounts\":[{\"name\":\"config\",\"mountPath\":\"/etc/web\","
		"\"readOnly\":true},{\"name\":\"kube-api-access-x7k2p\",\"mountPath\":"
		"\"/var/run/secrets/kubernetes.io/serviceaccount\",\"readOnly\":true}],\"readinessProbe\":"
		"{\"httpGet\":{\"path\":\"/healthz\",\"port\":8080},\"periodSeconds\":10},"
		"\"imagePullPolicy\":\"IfNotPresent\"},{\"name\":\"sidecar\",\"image\":"
		"\"registry.example.com/mesh/proxy:2.1.0\",\"args\":[\"proxy\",\"--port=15001\"],"
		"\"resources\":{\"requests\":{\"cpu\":\"50m\",\"memory\":\"64Mi\"}},\"imagePullPolicy\":"
		"\"IfNotPresent\"}],\"volumes\":[{\"name\":\"config\",\"configMap\":{\"name\":\"web-config\","
		"\"defaultMode\":420}},{\"name\":\"kube-api-access-x7k2p\",\"projected\":{\"sources\":"
		"[{\"serviceAccountToken\":{\"expirationSeconds\":3607,\"path\":\"token\"}}],\"defaultMode\":420}}],"
		"\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\","
		"\"serviceAccountName\":\"web\",\"nodeName\":\"node-%03d\",\"schedulerName\":\"default-scheduler\","
		"\"priority\":0},\"status\":{\"phase\":\"Running\","
		"\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":"
		"\"2026-11-20T10:00:05Z\"},{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastTransitionTime\":"
		"\"2026-11-20T10:00:00Z\"}],\"hostIP\":\"10.0.%d.%d\",\"podIP\":\"10.244.%d.%d\",\"startTime\":"
		"\"2026-11-20T10:00:00Z\",\"qosClass\":\"Burstable\"}}",
		i, i % 20, i % apps, i % 500, (i / 250) % 250, i % 250 + 1, (i / 250) % 250, i % 250 + 1);
	return (size_t)n;
}

static kube_object *make_pod(int i, int apps)
{
	char buf[4096];
	kube_object *o;
	size_t n = pod_text(buf, sizeof(buf), i, apps);
	if (kube_object_from_json(&o, buf, n) != 0)
		die("pod JSON");
	return o;
}

/* Parsed pods i0 .. i0+n-1, to write. */
static kube_object **make_pods(int i0, int n)
{
	kube_object **v = malloc((size_t)n * sizeof(*v));
	if (!v)
		exit(1);
	for (int i = 0; i < n; i++)
		v[i] = make_pod(i0 + i, 1000);
	return v;
}

/* The same pods as JSON text, in the encoder's form (for
 * kube_store_create_json: a request's body). */
typedef struct pod_json {
	char *text;
	size_t len;
} pod_json;

static pod_json *make_texts(int i0, int n)
{
	pod_json *v = malloc((size_t)n * sizeof(*v));
	char buf[4096];

	if (!v)
		exit(1);
	for (int i = 0; i < n; i++) {
		v[i].len = pod_text(buf, sizeof(buf), i0 + i, 1000);
		if (!(v[i].text = malloc(v[i].len + 1)))
			exit(1);
		memcpy(v[i].text, buf, v[i].len + 1);
	}
	return v;
}

static void free_texts(pod_json *v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

/* ---- stores ---- */

static char tmpdir[64];

static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];
	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			unlink(p);
		}
	closedir(d);
	rmdir(dir);
}

static kube_store *open_store(kube_loop *loop, const char *backend)
{
	kube_store_options o = KUBE_STORE_OPTIONS_INIT;
	kube_store *st;
	o.backend = backend;
	o.bookmark_ms = 0;
	if (!strcmp(backend, "sqlite")) {
		const char *t = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/kube-bench-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmpdir))
			die("mkdtemp");
		o.path = tmpdir;
	}
	o.history = 20000;
	o.watch_backlog = 20000;
	if (kube_store_open(&st, loop, &o) != 0)
		die("open");
	return st;
}

static void close_store(kube_store *st, const char *backend)
{
	kube_store_close(st);
	if (!strcmp(backend, "sqlite"))
		rm_dir(tmpdir);
}

/* ---- store_create ---- */

typedef struct inflight {
	int n;
	int failed;
} inflight;

static void create_cb(int status, kube_object *o, void *ud)
{
	inflight *f = ud;
	(void)o;
	if (status != 0)
		f->failed++;
	f->n--;
}

/* CPU time per create: the loop thread's (the writers', and the store's
 * prepare and apply) and the whole process's (the commit worker and the
 * checkpointer too), in microseconds. */
typedef struct create_cpu {
	double loop_us, process_us;
} create_cpu;

/* Creates pods[0..n), or texts[0..n) when pods is NULL, with `writers`
 * in flight (0 = synchronous), returns the creates per second on the wall
 * clock; cpu (may be NULL) gets the CPU time per create. */
static double run_creates(kube_loop *loop, kube_store *st, kube_object **pods,
                          const pod_json *texts, int n, int writers, create_cpu *cpu)
{
	inflight f = { 0, 0 };
	double t0 = wall_ns(), c0 = cpu_ns(), p0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);

	if (writers == 0) {
		for (int i = 0; i < n; i++) {
			if (pods ? kube_store_create_take(NULL, st, pods[i]) != 0
			         : kube_store_create_json(NULL, st, texts[i].text, texts[i].len) != 0)
				die("create");
			if (pods)
				pods[i] = NULL;
		}
	} else {
		int next = 0;
		while (next < n || f.n > 0) {
			while (f.n < writers && next < n) {
				if (pods ? kube_store_create_async_take(st, pods[next], create_cb, &f, NULL) != 0
				         : kube_store_create_json_async(st, texts[next].text, texts[next].len,
				                                        create_cb, &f, NULL) != 0)
					die("create_async");
				if (pods)
					pods[next] = NULL;
				next++;
				f.n++;
			}
			if (kube_loop_run_once(loop, 0) != 0)
				die("loop");
		}
		if (f.failed)
			die("async create failed");
	}
	if (cpu) {
		cpu->loop_us = (cpu_ns() - c0) / 1e3 / n;
		cpu->process_us = (now_ns(CLOCK_PROCESS_CPUTIME_ID) - p0) / 1e3 / n;
	}
	return (double)n / ((wall_ns() - t0) / 1e9);
}

/* What one commit cannot go below: fdatasync of a batch's worth of WAL. */
static void bench_fsync(void)
{
	enum { N = 200, SZ = 40 * 1024 };
	static char buf[SZ];
	const char *t = getenv("TMPDIR");
	char path[128];
	double v[N];
	int fd;

	snprintf(path, sizeof(path), "%s/kube-bench-fsync-XXXXXX", t && *t ? t : "/tmp");
	if ((fd = mkstemp(path)) < 0)
		die("mkstemp");
	memset(buf, 'w', sizeof(buf));
	if (pwrite(fd, buf, SZ, 0) != SZ || fsync(fd) != 0)
		die("fsync file");
	for (int i = 0; i < N; i++) {
		double t0 = wall_ns();
		if (pwrite(fd, buf, SZ, 0) != SZ || fdatasync(fd) != 0)
			die("fdatasync");
		v[i] = (wall_ns() - t0) / 1e6;
	}
	close(fd);
	unlink(path);
	printf("{\"bench\":\"store_fsync\",\"case\":\"40KiB_rewrite\",\"p50_ms\":%.3f,\"p90_ms\":%.3f}\n",
	       quantile(v, N, 0.5), quantile(v, N, 0.9));
	fflush(stdout);
}

static void bench_create(kube_loop *loop, int writers)
{
	static const struct {
		const char *backend;
		int writers;         /* -1: the command line's */
		int n;
		int json;            /* from JSON text (kube_store_create_json) */
	} cases[] = {
		{ "sqlite", 0, 1000, 0 },
		{ "sqlite", -1, 20000, 0 },
		{ "memory", 0, 20000, 0 },
		/* the durable case's ceiling: the same loop work, no commit */
		{ "memory", -1, 20000, 0 },
		/* the same from the pods' JSON: a request's body, stored without a tree */
		{ "sqlite", 0, 1000, 1 },
		{ "sqlite", -1, 20000, 1 },
		{ "memory", 0, 20000, 1 },
		{ "memory", -1, 20000, 1 },
	};

	const char *only = getenv("KUBE_BENCH_CASE");   /* e.g. "sqlite_16_writers" */

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		double v[REPS], lcpu[REPS], pcpu[REPS];
		int w = cases[c].writers < 0 ? writers : cases[c].writers;
		char name[64];

		if (!strcmp(cases[c].backend, "memory"))
			snprintf(name, sizeof(name), w ? "memory_%d_writer%s%s" : "memory%.0d%s%s", w,
			         w > 1 ? "s" : "", cases[c].json ? "_json" : "");
		else
			snprintf(name, sizeof(name), "sqlite_%d_writer%s%s", w ? w : 1, w > 1 ? "s" : "",
			         cases[c].json ? "_json" : "");
		if (only && strcmp(only, name) != 0)
			continue;
		for (int r = 0; r < REPS; r++) {
			kube_object **pods = cases[c].json ? NULL : make_pods(0, cases[c].n);
			pod_json *texts = cases[c].json ? make_texts(0, cases[c].n) : NULL;
			kube_store *st = open_store(loop, cases[c].backend);
			create_cpu cpu;
			v[r] = run_creates(loop, st, pods, texts, cases[c].n, w, &cpu);
			lcpu[r] = cpu.loop_us;
			pcpu[r] = cpu.process_us;
			close_store(st, cases[c].backend);
			free(pods);
			if (texts)
				free_texts(texts, cases[c].n);
		}
		double med = median(v, REPS);   /* sorts v: the best is last */
		printf("{\"bench\":\"store_create\",\"case\":\"%s\",\"ops_per_s\":%.0f,\"best_ops_per_s\":%.0f,"
		       "\"loop_cpu_us_per_op\":%.1f,\"process_cpu_us_per_op\":%.1f}\n",
		       name, med, v[REPS - 1], median(lcpu, REPS), median(pcpu, REPS));
		fflush(stdout);
	}
}

/* ---- store_commit ---- */

/* The sqlite backend's commit of `batch` creates, with the WAL gathered
 * (g = 1) or not, alternating blocks in one process. */
static void bench_commit(void)
{
	enum { BLOCKS = 40, PER_BLOCK = 50, N = BLOCKS * PER_BLOCK };
	static const int batches[] = { 8, 16 };
	static double lat[2][N];
	static char text[16][4096];
	size_t len[16];

	for (int i = 0; i < 16; i++)
		len[i] = pod_text(text[i], sizeof(text[i]), i, 100);
	for (size_t bi = 0; bi < sizeof(batches) / sizeof(batches[0]); bi++) {
		int batch = batches[bi], key = 0;
		void *st[2];
		char dirs[2][64];
		double cpu[2] = { 0, 0 };

		for (int g = 0; g < 2; g++) {
			kube_store_options o = KUBE_STORE_OPTIONS_INIT;
			const char *t = getenv("TMPDIR");
			snprintf(dirs[g], sizeof(dirs[g]), "%s/kube-bench-commit-XXXXXX", t && *t ? t : "/tmp");
			if (!mkdtemp(dirs[g]))
				die("mkdtemp");
			/* read when the backend opens */
			setenv("KUBE_STORE_SQLITE_GATHER", g ? "1" : "0", 1);
			o.path = dirs[g];
			if (kube__store_sqlite_backend.open(&st[g], &o) != 0)
				die("sqlite open");
		}
		unsetenv("KUBE_STORE_SQLITE_GATHER");
		for (int b = 0; b < BLOCKS; b++) {
			for (int g = 0; g < 2; g++) {
				double c0 = cpu_ns();
				for (int i = 0; i < PER_BLOCK; i++) {
					kube__store_op ops[16];
					char keys[16][48];
					for (int j = 0; j < batch; j++) {
						snprintf(keys[j], sizeof(keys[j]), "pods/ns-00/web-%08d", key++);
						memset(&ops[j], 0, sizeof(ops[j]));
						ops[j].type = KUBE__OP_PUT;
						ops[j].key = keys[j];
						ops[j].value = text[j];
						ops[j].len = len[j];
						ops[j].expect_revision = KUBE__EXPECT_ABSENT;
					}
					double t0 = wall_ns();
					if (kube__store_sqlite_backend.commit(st[g], ops, (size_t)batch) != 0)
						die("sqlite commit");
					lat[g][b * PER_BLOCK + i] = (wall_ns() - t0) / 1e3;
				}
				cpu[g] += cpu_ns() - c0;
			}
		}
		for (int g = 1; g >= 0; g--) {
			kube__store_sqlite_backend.close(st[g]);
			rm_dir(dirs[g]);
			printf("{\"bench\":\"store_commit\",\"case\":\"sqlite_%d_creates_%s\",\"p50_us\":%.0f,"
			       "\"p90_us\":%.0f,\"thread_cpu_us\":%.1f}\n",
			       batch, g ? "gathered" : "frame_by_frame", quantile(lat[g], N, 0.5),
			       quantile(lat[g], N, 0.9), cpu[g] / 1e3 / N);
			fflush(stdout);
		}
	}
}

/* ---- store_create_ab ---- */

/* Sets the environment variable of a "VAR=value" setting (on) or unsets
 * it (off); "" or NULL is no setting. */
static void set_ab(const char *kv, int on)
{
	char name[128];
	const char *eq = kv ? strchr(kv, '=') : NULL;

	if (!eq || (size_t)(eq - kv) >= sizeof(name))
		return;
	memcpy(name, kv, (size_t)(eq - kv));
	name[eq - kv] = 0;
	if (on)
		setenv(name, eq + 1, 1);
	else
		unsetenv(name);
}

/* Durable creates, `writers` in flight, under two settings (KUBE_BENCH_A
 * and KUBE_BENCH_B, each one VAR=value or empty, set while a store opens
 * and writes): a fresh store per block of creates, the two settings
 * taking turns and going first in turn, so that both see the same disk.
 * Its speed changes by the minute here, so separate runs compare badly.
 * KUBE_BENCH_JSON=1 creates from JSON text.  Figures: the median block's
 * creates per second, and the 10th and 90th percentile blocks'. */
static void bench_ab(kube_loop *loop, int writers)
{
	enum { BLOCKS = 12, PER_BLOCK = 5000 };
	static double rate[2][BLOCKS];
	const char *set[2] = { getenv("KUBE_BENCH_A"), getenv("KUBE_BENCH_B") };
	int json = getenv("KUBE_BENCH_JSON") && !strcmp(getenv("KUBE_BENCH_JSON"), "1");

	for (int b = 0; b < BLOCKS; b++)
		for (int k = 0; k < 2; k++) {
			int a = (b + k) % 2;   /* each goes first in half the blocks */
			kube_object **pods = json ? NULL : make_pods(0, PER_BLOCK);
			pod_json *texts = json ? make_texts(0, PER_BLOCK) : NULL;
			set_ab(set[a], 1);
			kube_store *st = open_store(loop, "sqlite");
			rate[a][b] = run_creates(loop, st, pods, texts, PER_BLOCK, writers, NULL);
			close_store(st, "sqlite");
			set_ab(set[a], 0);
			free(pods);
			if (texts)
				free_texts(texts, PER_BLOCK);
		}
	for (int a = 0; a < 2; a++) {
		printf("{\"bench\":\"store_create_ab\",\"case\":\"sqlite_%d_writer%s%s%s%s\","
		       "\"ops_per_s\":%.0f,\"p10_ops_per_s\":%.0f,\"p90_ops_per_s\":%.0f}\n", writers,
		       writers > 1 ? "s" : "", json ? "_json" : "", set[a] && *set[a] ? " " : "",
		       set[a] ? set[a] : "",
		       quantile(rate[a], BLOCKS, 0.5), quantile(rate[a], BLOCKS, 0.1),
		       quantile(rate[a], BLOCKS, 0.9));
		fflush(stdout);
	}
}

/* ---- store_get, store_update ---- */

static void fill(kube_loop *loop, kube_store *st, int n)
{
	kube_object **pods = make_pods(0, n);
	run_creates(loop, st, pods, NULL, n, 64, NULL);
	free(pods);
}

static void bench_get_update(kube_loop *loop)
{
	const int npods = 10000;
	static const char *const backends[] = { "sqlite", "memory" };

	for (int b = 0; b < 2; b++) {
		double gp50[REPS], gp99[REPS], up50[REPS], up99[REPS];
		const int ngets = 20000, nupd = strcmp(backends[b], "sqlite") ? 20000 : 1000;
		double *lat = malloc((size_t)ngets * sizeof(double));
		kube_store *st = open_store(loop, backends[b]);

		fill(loop, st, npods);
		for (int r = 0; r < REPS; r++) {
			unsigned seed = (unsigned)r + 1;
			for (int i = 0; i < ngets; i++) {
				char name[64], ns[16];
				int k = rand_r(&seed) % npods;
				kube_object *o;
				snprintf(name, sizeof(name), "web-7d9f8b6c5-%06d", k);
				snprintf(ns, sizeof(ns), "ns-%02d", k % 20);
				double t0 = wall_ns();
				if (kube_store_get(&o, st, "pods", ns, name) != 0)
					die("get");
				lat[i] = (wall_ns() - t0) / 1e3;
				kube_object_unref(o);
			}
			gp50[r] = quantile(lat, (size_t)ngets, 0.50);
			gp99[r] = quantile(lat, (size_t)ngets, 0.99);
			for (int i = 0; i < nupd; i++) {
				char name[64], ns[16], val[32];
				int k = rand_r(&seed) % npods;
				kube_object *o, *m;
				snprintf(name, sizeof(name), "web-7d9f8b6c5-%06d", k);
				snprintf(ns, sizeof(ns), "ns-%02d", k % 20);
				snprintf(val, sizeof(val), "%d-%d", r, i);
				if (kube_store_get(&o, st, "pods", ns, name) != 0 || kube_object_mutable(&m, o) != 0 ||
				    kube_object_set_string(m, "metadata.annotations.bench", val) != 0)
					die("update prep");
				kube_object_unref(o);
				double t0 = wall_ns();
				if (kube_store_update_take(NULL, st, m) != 0)
					die("update");
				lat[i] = (wall_ns() - t0) / 1e3;
			}
			up50[r] = quantile(lat, (size_t)nupd, 0.50);
			up99[r] = quantile(lat, (size_t)nupd, 0.99);
		}
		close_store(st, backends[b]);
		free(lat);
		if (b == 0)
			printf("{\"bench\":\"store_get\",\"p50_us\":%.2f,\"p99_us\":%.2f}\n", median(gp50, REPS),
			       median(gp99, REPS));
		printf("{\"bench\":\"store_update\",\"case\":\"%s\",\"p50_us\":%.2f,\"p99_us\":%.2f}\n", backends[b],
		       median(up50, REPS), median(up99, REPS));
		fflush(stdout);
	}
}

/* ---- store_list_indexed ---- */

static void bench_list(kube_loop *loop)
{
	enum { npods = 100000, nlists = 21 };
	kube_store *st = open_store(loop, "memory");
	double v[nlists];
	size_t matched = 0;

	fill(loop, st, npods);
	for (int r = 0; r < nlists; r++) {
		kube_list_options lo = KUBE_LIST_OPTIONS_INIT;
		kube_object_list *l;
		char sel[32];
		snprintf(sel, sizeof(sel), "app=app-%03d", (r * 37) % 1000);
		lo.label_selector = sel;
		double t0 = cpu_ns();
		if (kube_store_list(&l, st, "pods", &lo, NULL, NULL) != 0)
			die("list");
		v[r] = (cpu_ns() - t0) / 1e6;
		matched = kube_object_list_count(l);
		kube_object_list_free(l);
		if (matched != (size_t)npods / 1000)
			die("list matched the wrong number");
	}
	close_store(st, "memory");
	printf("{\"bench\":\"store_list_indexed\",\"case\":\"100000_pods_100_match\",\"ms\":%.3f,"
	       "\"matched\":%zu}\n", median(v, nlists), matched);
	fflush(stdout);
}

/* ---- store_watch_fanout ---- */

static long delivered;

static void fan_cb(kube_watch *w, const kube_watch_event *e, void *ud)
{
	int64_t *last = ud;
	(void)w;
	if (e->type == KUBE_WATCH_ERROR && e->error == KUBE_ECANCELED)
		return;   /* the store closed */
	if (e->type == KUBE_WATCH_ERROR || e->revision <= *last) {
		fprintf(stderr, "bench_store: watch error or order (%d)\n", e->error);
		exit(1);
	}
	*last = e->revision;
	delivered++;
}

static void bench_fanout(kube_loop *loop)
{
	enum { WATCHERS = 1000, WRITES = 10000, CHUNK = 100 };
	static int64_t last[WATCHERS];
	double v[3];

	for (int r = 0; r < 3; r++) {
		kube_store *st = open_store(loop, "memory");
		kube_object **pods = make_pods(0, WRITES);
		kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
		wo.revision = kube_store_revision(st) ? kube_store_revision(st) : 0;
		for (int w = 0; w < WATCHERS; w++) {
			last[w] = 0;
			if (kube_store_watch(NULL, st, "pods", &wo, fan_cb, &last[w], NULL) != 0)
				die("watch");
		}
		delivered = 0;
		double t0 = cpu_ns();
		for (int i = 0; i < WRITES; i += CHUNK) {
			for (int j = i; j < i + CHUNK; j++) {
				if (kube_store_create_take(NULL, st, pods[j]) != 0)
					die("create");
				pods[j] = NULL;
			}
			while (delivered < (long)(i + CHUNK) * WATCHERS)
				if (kube_loop_run_once(loop, KUBE_LOOP_NOWAIT) != 0)
					die("loop");
		}
		v[r] = (double)delivered / ((cpu_ns() - t0) / 1e9);
		close_store(st, "memory");
		free(pods);
	}
	printf("{\"bench\":\"store_watch_fanout\",\"case\":\"1000_watchers_10000_writes\",\"events_per_s\":%.0f}\n",
	       median(v, 3));
	fflush(stdout);
}

/* ---- store_memory ---- */

static long statm_rss(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages, rss = 0;

	if (f && fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	if (f)
		fclose(f);
	return rss * sysconf(_SC_PAGESIZE);
}

static void count_cb(kube_watch *w, const kube_watch_event *e, void *ud)
{
	(void)w;
	if (e->type != KUBE_WATCH_ERROR)
		(*(long *)ud)++;
}

/*
 * A restart: the store of bench_memory closed and opened again, which
 * loads every row, checks it against its key and indexes it.  Timed on
 * the wall clock (one run: the open is seconds of one thread's work), with
 * the heap and the resident set it then holds per pod (after malloc_trim,
 * against the closed store's).  Returns the reopened store.
 */
static kube_store *bench_reopen(kube_loop *loop, kube_store *st, const kube_store_options *o,
                                int npods)
{
	kube_object_list *l = NULL;
	double t0, cpu0;

	kube_store_close(st);
	malloc_trim(0);
	struct mallinfo2 m0 = mallinfo2();
	long rss0 = statm_rss();
	t0 = wall_ns();
	cpu0 = cpu_ns();
	if (kube_store_open(&st, loop, o) != 0)
		die("reopen");
	double ms = (wall_ns() - t0) / 1e6, cpu_ms = (cpu_ns() - cpu0) / 1e6;
	malloc_trim(0);
	struct mallinfo2 m1 = mallinfo2();
	long rss1 = statm_rss();
	if (kube_store_list(&l, st, "pods", NULL, NULL, NULL) != 0 ||
	    kube_object_list_count(l) != (size_t)npods)
		die("reopen: pods missing");
	kube_object_list_free(l);
	printf("{\"bench\":\"store_open\",\"case\":\"sqlite_%d_pods\",\"ms\":%.0f,\"loop_cpu_ms\":%.0f,"
	       "\"heap_bytes_per_pod\":%.0f,\"rss_bytes_per_pod\":%.0f}\n", npods, ms, cpu_ms,
	       (double)(m1.uordblks - m0.uordblks) / npods, (double)(rss1 - rss0) / npods);
	fflush(stdout);
	return st;
}

/*
 * What a user sees: 100,000 typical pods in a store opened with the
 * default options (history, backlog), each parsed and handed over as an
 * embedder would, while three watchers follow them as a normal setup has
 * them (an informer on every pod, a node agent's spec.nodeName field
 * selector, a controller's label selector), with the built-in indexes.
 * The figures are the growth per pod of the heap in use (mallinfo2) and of
 * the resident set, both after malloc_trim, from before the first pod to
 * after the last event was delivered.
 */
static void bench_memory(kube_loop *loop)
{
	static const char *const backends[] = { "memory", "sqlite" };
	enum { NPODS = 100000, INFLIGHT = 64 };
	const char *only = getenv("KUBE_BENCH_CASE");

	for (int b = 0; b < 2; b++) {
		kube_store_options o = KUBE_STORE_OPTIONS_INIT;
		kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
		static const char *const fields[] = { NULL, "spec.nodeName=node-001", NULL };
		static const char *const labels[] = { NULL, NULL, "app=app-001" };
		long seen[3] = { 0, 0, 0 };
		inflight f = { 0, 0 };
		size_t json_bytes = 0;
		kube_store *st;
		char name[64];

		snprintf(name, sizeof(name), "%s_100000_pods_3_watchers", backends[b]);
		if (only && strstr(name, only) != name)
			continue;
		o.backend = backends[b];
		if (b == 1) {
			const char *t = getenv("TMPDIR");
			snprintf(tmpdir, sizeof(tmpdir), "%s/kube-bench-XXXXXX", t && *t ? t : "/tmp");
			if (!mkdtemp(tmpdir))
				die("mkdtemp");
			o.path = tmpdir;
		}
		if (kube_store_open(&st, loop, &o) != 0)
			die("open");
		for (int w = 0; w < 3; w++) {
			wo.field_selector = fields[w];
			wo.label_selector = labels[w];
			if (kube_store_watch(NULL, st, "pods", &wo, count_cb, &seen[w], NULL) != 0)
				die("watch");
		}
		malloc_trim(0);
		struct mallinfo2 m0 = mallinfo2();
		long rss0 = statm_rss();
		for (int next = 0; next < NPODS || f.n > 0;) {
			while (f.n < INFLIGHT && next < NPODS) {
				char buf[4096];
				kube_object *pod;
				size_t n = pod_text(buf, sizeof(buf), next, 1000);
				json_bytes += n;
				if (kube_object_from_json(&pod, buf, n) != 0 ||
				    kube_store_create_async_take(st, pod, create_cb, &f, NULL) != 0)
					die("create_async");
				next++;
				f.n++;
			}
			if (kube_loop_run_once(loop, 0) != 0)
				die("loop");
		}
		while (seen[0] < NPODS)
			if (kube_loop_run_once(loop, KUBE_LOOP_NOWAIT) != 0)
				die("loop");
		for (int i = 0; i < 8; i++)
			kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
		if (f.failed || seen[1] != NPODS / 500 || seen[2] != NPODS / 1000)
			die("memory: writes failed or watchers missed events");
		malloc_trim(0);
		struct mallinfo2 m1 = mallinfo2();
		long rss1 = statm_rss();
		printf("{\"bench\":\"store_memory\",\"case\":\"%s\",\"json_bytes_per_pod\":%zu,"
		       "\"heap_bytes_per_pod\":%.0f,\"rss_bytes_per_pod\":%.0f}\n", name,
		       json_bytes / NPODS, (double)(m1.uordblks - m0.uordblks) / NPODS,
		       (double)(rss1 - rss0) / NPODS);
		fflush(stdout);
		if (b == 1)
			st = bench_reopen(loop, st, &o, NPODS);
		close_store(st, backends[b]);
	}
}

int main(int argc, char **argv)
{
	kube_loop *loop;
	int writers = argc > 1 ? atoi(argv[1]) : 16;
	const char *only = getenv("KUBE_BENCH_ONLY");   /* e.g. "create" */

	if (writers < 1 || kube_loop_new(&loop, NULL) != 0)
		return 2;
	if (!only || !strcmp(only, "memory"))
		bench_memory(loop);
	if (!only || !strcmp(only, "create")) {
		bench_fsync();
		bench_create(loop, writers);
	}
	if (!only || !strcmp(only, "commit"))
		bench_commit();
	if (only && !strcmp(only, "ab"))   /* by hand only: see bench_ab */
		bench_ab(loop, writers);
	if (!only || !strcmp(only, "get"))
		bench_get_update(loop);
	if (!only || !strcmp(only, "list"))
		bench_list(loop);
	if (!only || !strcmp(only, "watch"))
		bench_fanout(loop);
	kube_loop_free(loop);
	return 0;
}
