/*
 * bench_controllers.c - a Deployment of 10,000 replicas on 1,000 simulated
 * nodes (issue 7): the Deployment and ReplicaSet controllers create the
 * pods, the real scheduler (kube_sched_runner) binds them, and a pool of
 * the library's simulated nodes (kube_nodes, as kubelite run serves them:
 * the pool registers its own Node objects and Leases, its one pod watch
 * hands each bound pod to the simulated runtime, ready_delay_ms 0, and
 * the pool writes the kubelet's Running / Ready status) takes each bound
 * pod to Running / Ready.  Reported: wall time from the Deployment's
 * creation until all pods exist, are bound and are Ready (ms_created,
 * ms_bound, ms_ready: the pool has written every pod Running), the CPU
 * time that took (the machine is shared: the wall times count other
 * people's work too), the peak resident memory (VmHWM) of the whole
 * process (bytes), and on a second line where the wall time went: the
 * loop (watch deliveries, informers, the controllers and the pods they
 * create, and the pool, whose callbacks run on it), the scheduler's runs
 * (scheduling, binding), and of the loop's time the pool's share
 * (ms_pool: its watch, runtime and write callbacks, from its stats).
 *
 * BENCH_KUBELET=minimal drives the pods with the benchmark's own minimal
 * kubelet instead (its own Node objects, a field-selected watch, a
 * synchronous update per pod that writes phase and Ready only), for
 * comparison; ms_pool is then the time in that kubelet.
 * BENCH_DEBUG=1 prints each run, the controllers' counters, and while it
 * runs, at the end of a loop iteration 100 ms or more after the last such
 * line, how many pods exist, are bound, started (the pool) and Ready: a
 * line far from the one before is one long iteration of the loop.
 *
 * Prints one JSON object per line (DESIGN.md section 6).  One run per
 * process (the peak memory is the process's): REPS (5; BENCH_REPS) runs
 * in child processes, and the median of each figure.  Arguments:
 * [replicas [nodes]] for smaller runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libkube/kube.h"

/* runs, each in its own process; BENCH_REPS overrides */
#define REPS 5
#define MAX_REPS 31

static int replicas = 10000, nodes = 1000;

static double wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of the process (all threads): on a shared machine the wall
 * times include other people's work. */
static double cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static long peak_rss_bytes(void)
{
	char line[256];
	long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static void die(const char *what)
{
	const kube_error *e = kube_error_last();
	fprintf(stderr, "bench_controllers: %s: %s\n", what, e && e->message ? e->message : "failed");
	exit(1);
}

static kube_object *obj(const char *json)
{
	kube_object *o = NULL;
	if (kube_object_from_json(&o, json, strlen(json)) != 0)
		die("json");
	return o;
}

/* ---- BENCH_KUBELET=minimal: the benchmark's own kubelet, for comparison ---- */

typedef struct kubelet {
	kube_store *st;
	char (*todo)[128];
	size_t n, cap;
	size_t ready;
	char now[32];
} kubelet;

/* The watch selects pods that are bound and not Running yet, as a
 * kubelet watches spec.nodeName=<itself>: the store matches the fields on
 * its stored text, and every ADDED event is a pod to start (one that
 * becomes Running leaves the selection: DELETED). */
static void kubelet_watch(kube_watch *w, const kube_watch_event *ev, void *ud)
{
	kubelet *k = ud;

	(void)w;
	if (ev->type != KUBE_WATCH_ADDED && ev->type != KUBE_WATCH_MODIFIED)
		return;
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 1024;
		k->todo = realloc(k->todo, k->cap * sizeof(*k->todo));
		if (!k->todo)
			die("oom");
	}
	snprintf(k->todo[k->n++], sizeof(k->todo[0]), "%s", kube_object_name(ev->object));
}

static int make_ready(kube_object *p, void *ud)
{
	kubelet *k = ud;
	char buf[256];
	int rc = kube_object_set_string(p, "status.phase", "Running");
	snprintf(buf, sizeof(buf),
	         "[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"%s\"}]", k->now);
	return rc ? rc : kube_object_set_json(p, "status.conditions", buf);
}

static void kubelet_run(kubelet *k)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(k->now, sizeof(k->now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* as kube_store_guaranteed_update, but the changed copy is handed to
	 * the store (kube_store_update_take) instead of copied once more; a
	 * conflict (someone wrote the pod in between) starts again */
	for (size_t i = 0; i < k->n; i++) {
		int rc = KUBE_ECONFLICT;
		for (int attempt = 0; attempt < 64 && rc == KUBE_ECONFLICT; attempt++) {
			kube_object *cur = NULL, *copy = NULL;
			if ((rc = kube_store_get(&cur, k->st, "pods", "default", k->todo[i])) != 0)
				break;
			rc = kube_object_mutable(&copy, cur);
			kube_object_unref(cur);
			if (rc == 0 && (rc = make_ready(copy, k)) != 0)
				kube_object_unref(copy);
			else if (rc == 0)
				rc = kube_store_update_take(NULL, k->st, copy);
		}
		if (rc == 0)
			k->ready++;
	}
	k->n = 0;
}

/* One run's figures: when the last pod existed (in the informer's
 * cache), was bound, was Ready (ms after the Deployment's creation); the
 * process's CPU time; and the wall time spent in each step of the loop
 * below: the loop itself (watch deliveries, the informers, the Deployment
 * and ReplicaSet controllers and the pod creations they make, the node
 * pool's callbacks), the scheduler's run (scheduling and binding), and of
 * those the node pool's share (or the minimal kubelet's). */
typedef struct result {
	double created, bound, ready, cpu;
	double in_loop, in_sched, in_pool;
	long bytes;
} result;

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

/* The minimal kubelet's Node objects (the pool registers its own). */
static void create_nodes(kube_store *st)
{
	char buf[1024];
	for (int i = 0; i < nodes; i++) {
		snprintf(buf, sizeof(buf),
		         "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"node-%04d\","
		         "\"labels\":{\"kubernetes.io/hostname\":\"node-%04d\"}},\"status\":{"
		         "\"capacity\":{\"cpu\":\"32\",\"memory\":\"128Gi\",\"pods\":\"110\"},"
		         "\"allocatable\":{\"cpu\":\"32\",\"memory\":\"128Gi\",\"pods\":\"110\"},"
		         "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}", i, i);
		kube_object *n = obj(buf);
		if (kube_store_create_take(NULL, st, n) != 0)
			die("node");
	}
}

static void one_run(result *res, int minimal)
{
	kube_loop *loop;
	kube_store *st;
	kube_informer_factory *f;
	kube_replicaset_controller *rsc;
	kube_deployment_controller *dc;
	kube_sched *s;
	kube_sched_runner *r;
	kube_watch *w = NULL;
	kube_informer *pods;
	kube_nodes *pool = NULL;
	kube_nodes_stats ns = { .version = KUBE_NODES_STATS_VERSION };
	kubelet k;
	char buf[1024];
	double t0, c0, t_created = 0, t_bound = 0, t_ready = 0, t, pool0 = 0;
	size_t bound_total = 0, ready = 0;
	double shown_ms = 0;
	int debug = getenv("BENCH_DEBUG") != NULL;

	memset(&k, 0, sizeof(k));
	if (kube_loop_new(&loop, NULL) || kube_store_open(&st, loop, NULL) ||
	    kube_informer_factory_new(&f, st, 0))
		die("setup");
	k.st = st;
	if (minimal) {
		create_nodes(st);
	} else {
		/* as kubelite run makes its nodes, with the minimal kubelet's
		 * capacity and no delay before a handed pod runs */
		kube_nodes_options no = KUBE_NODES_OPTIONS_INIT;
		no.count = (unsigned)nodes;
		no.cpu = "32";
		no.memory = "128Gi";
		no.ready_delay_ms = 0;
		if (kube_nodes_new(&pool, loop, st, &no))
			die("nodes");
	}
	if (kube_replicaset_controller_new(&rsc, f, st, "ReplicaSet", NULL) ||
	    kube_deployment_controller_new(&dc, f, st, NULL) || kube_informer_factory_start(f))
		die("controllers");
	if (kube_sched_new(&s) || kube_sched_runner_new(&r, s, st))
		die("scheduler");
	if (kube_informer_factory_get(&pods, f, "pods"))
		die("informer");
	if (minimal) {
		kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
		wo.field_selector = "spec.nodeName!=,status.phase!=Running";
		if (kube_store_watch(&w, st, "pods", &wo, kubelet_watch, &k, NULL))
			die("watch");
	}
	/* until the scheduler knows every node (the pool's are written
	 * asynchronously) and the Leases are in */
	for (int i = 0; i < 10000 && (i < 8 || kube_sched_node_count(s) < (size_t)nodes ||
	                              (pool && (kube_nodes_get_stats(pool, &ns) != 0 ||
	                                        ns.heartbeats < (uint64_t)nodes)));
	     i++) {
		kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
		kube_sched_runner_run(r, (int64_t)wall_ms(), NULL, NULL);
	}
	if (kube_sched_node_count(s) < (size_t)nodes)
		die("nodes not registered");
	if (getenv("BENCH_DEBUG"))
		fprintf(stderr, "at the start: %zu nodes in the scheduler\n", kube_sched_node_count(s));
	if (pool && kube_nodes_get_stats(pool, &ns) == 0)
		pool0 = (double)ns.busy_ns / 1e6;

	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"namespace\":\"default\","
	         "\"name\":\"web\"},\"spec\":{\"replicas\":%d,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
	         "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{"
	         "\"name\":\"c\",\"image\":\"nginx\",\"resources\":{\"requests\":{\"cpu\":\"100m\","
	         "\"memory\":\"128Mi\"}}}]}}}}", replicas);
	t0 = wall_ms();
	c0 = cpu_ms();
	kube_object *d = obj(buf);
	if (kube_store_create_take(NULL, st, d) != 0)
		die("deployment");
	memset(res, 0, sizeof(*res));
	while (ready < (size_t)replicas) {
		size_t bound = 0;
		t = wall_ms();
		if (kube_loop_run_once(loop, KUBE_LOOP_NOWAIT) != 0)
			die("loop");
		res->in_loop += wall_ms() - t;
		t = wall_ms();
		if (kube_sched_runner_run(r, (int64_t)wall_ms(), &bound, NULL) != 0)
			die("sched");
		res->in_sched += wall_ms() - t;
		bound_total += bound;
		if (minimal) {
			t = wall_ms();
			kubelet_run(&k);
			res->in_pool += wall_ms() - t;
			ready = k.ready;
		} else {
			if (kube_nodes_get_stats(pool, &ns) != 0)
				die("stats");
			if (ns.write_errors || ns.start_failures)
				die("node pool: write errors");
			ready = (size_t)ns.running;
		}
		if (debug && wall_ms() - t0 >= shown_ms + 100) {
			shown_ms = wall_ms() - t0;
			fprintf(stderr, "%8.0f ms: %zu pods, %zu bound, %llu started, %zu ready\n",
			        shown_ms, kube_informer_count(pods), bound_total,
			        (unsigned long long)ns.started, ready);
		}
		if (!t_created && kube_informer_count(pods) >= (size_t)replicas)
			t_created = wall_ms() - t0;
		if (!t_bound && bound_total >= (size_t)replicas)
			t_bound = wall_ms() - t0;
		if (wall_ms() - t0 > 600000)
			die("timeout");
	}
	t_ready = wall_ms() - t0;
	res->created = t_created;
	res->bound = t_bound;
	res->ready = t_ready;
	res->cpu = cpu_ms() - c0;
	res->bytes = peak_rss_bytes();
	if (pool)
		res->in_pool = (double)ns.busy_ns / 1e6 - pool0;
	if (getenv("BENCH_DEBUG")) {
		kube_controller_stats cs = { .version = KUBE_CONTROLLER_STATS_VERSION };
		kube_controller_get_stats(kube_replicaset_controller_runner(rsc), &cs);
		fprintf(stderr, "rs: reconciles %llu errors %llu requeues %llu after %llu\n",
		        (unsigned long long)cs.reconciles, (unsigned long long)cs.errors,
		        (unsigned long long)cs.requeues, (unsigned long long)cs.requeues_after);
		kube_controller_get_stats(kube_deployment_controller_runner(dc), &cs);
		fprintf(stderr, "d: reconciles %llu errors %llu requeues %llu after %llu\n",
		        (unsigned long long)cs.reconciles, (unsigned long long)cs.errors,
		        (unsigned long long)cs.requeues, (unsigned long long)cs.requeues_after);
		if (pool)
			fprintf(stderr, "pool: started %llu running %llu heartbeats %llu\n",
			        (unsigned long long)ns.started, (unsigned long long)ns.running,
			        (unsigned long long)ns.heartbeats);
	}
	kube_watch_cancel(w);
	kube_nodes_free(pool);
	kube_sched_runner_free(r);
	kube_sched_free(s);
	kube_deployment_controller_free(dc);
	kube_replicaset_controller_free(rsc);
	kube_informer_factory_free(f);
	kube_store_close(st);
	kube_loop_free(loop);
	free(k.todo);
}

int main(int argc, char **argv)
{
	int reps = REPS;
	const char *kl = getenv("BENCH_KUBELET");
	int minimal = kl && strcmp(kl, "minimal") == 0;
	if (kl && !minimal && strcmp(kl, "pool") != 0) {
		fprintf(stderr, "bench_controllers: BENCH_KUBELET is \"pool\" or \"minimal\"\n");
		return 2;
	}
	if (argc > 1)
		replicas = atoi(argv[1]);
	if (argc > 2)
		nodes = atoi(argv[2]);
	if (getenv("BENCH_REPS"))
		reps = atoi(getenv("BENCH_REPS"));
	if (reps < 1 || reps > MAX_REPS)
		reps = REPS;
	/* each repetition in its own process, so that each peak is its own */
	double created[MAX_REPS], bound[MAX_REPS], ready[MAX_REPS], cpu[MAX_REPS], bytes[MAX_REPS];
	double in_loop[MAX_REPS], in_sched[MAX_REPS], in_pool[MAX_REPS];
	for (int i = 0; i < reps; i++) {
		int fd[2];
		result res;
		if (pipe(fd) != 0)
			return 1;
		pid_t pid = fork();
		if (pid == 0) {
			close(fd[0]);
			one_run(&res, minimal);
			_exit(write(fd[1], &res, sizeof(res)) == (ssize_t)sizeof(res) ? 0 : 1);
		}
		close(fd[1]);
		int status;
		ssize_t got = pid < 0 ? -1 : read(fd[0], &res, sizeof(res));
		close(fd[0]);
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0 || got != (ssize_t)sizeof(res))
			return 1;
		if (getenv("BENCH_DEBUG"))
			fprintf(stderr, "run %d: created %.0f bound %.0f ready %.0f ms, cpu %.0f ms, "
			        "loop %.0f sched %.0f pool %.0f ms, peak %ld bytes\n", i, res.created,
			        res.bound, res.ready, res.cpu, res.in_loop, res.in_sched, res.in_pool,
			        res.bytes);
		created[i] = res.created;
		bound[i] = res.bound;
		ready[i] = res.ready;
		cpu[i] = res.cpu;
		in_loop[i] = res.in_loop;
		in_sched[i] = res.in_sched;
		in_pool[i] = res.in_pool;
		bytes[i] = (double)res.bytes;
	}
	/* medians of each figure (DESIGN.md section 6); bytes is the peak
	 * resident memory (VmHWM) of the whole process */
	printf("{\"bench\":\"deployment_rollout\",\"case\":\"%d_replicas_%d_nodes\",\"runs\":%d,"
	       "\"ms_created\":%.0f,\"ms_bound\":%.0f,\"ms_ready\":%.0f,\"cpu_ms\":%.0f,"
	       "\"bytes\":%.0f}\n",
	       replicas, nodes, reps, median(created, reps), median(bound, reps), median(ready, reps),
	       median(cpu, reps), median(bytes, reps));
	/* where the wall time went: the steps of the driving loop */
	printf("{\"bench\":\"deployment_rollout_steps\",\"case\":\"%d_replicas_%d_nodes\","
	       "\"runs\":%d,\"kubelet\":\"%s\",\"ms_loop\":%.0f,\"ms_sched\":%.0f,\"ms_pool\":%.0f}\n",
	       replicas, nodes, reps, minimal ? "minimal" : "kube_nodes", median(in_loop, reps), median(in_sched, reps),
	       median(in_pool, reps));
	return 0;
}
