/*
 * run.c - `kubelite run`: a cluster in one process.
 *
 * On one loop: the SQLite store in the data directory, the shared informer
 * factory, the controllers libkube has (ReplicaSet, ReplicationController,
 * Deployment, the garbage collector, namespace deletion), the scheduler
 * driven from the store's watches, and a pool of simulated nodes that take
 * bound pods to Running/Ready after --ready-delay.  Then the manifests are
 * applied (created, or updated as `kubectl apply` reports them: created,
 * configured, unchanged) and progress is printed: on a terminal a block of
 * live lines, one per workload, redrawn in place; otherwise a plain log
 * line whenever a workload's line changes.
 *
 * One tick timer (5 ms) runs the scheduler for whatever is pending, answers
 * `kubelite get` on the data directory's socket (the store holds its
 * database exclusively, so readers come here), and notices the end: the
 * --duration, or SIGINT/SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kubelite.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

typedef struct run_state {
	kube_loop *loop;
	kube_store *store;
	kube_informer_factory *fac;
	kube_replicaset_controller *rs, *rc;
	kube_deployment_controller *deploy;
	kube_daemonset_controller *ds;
	kube_statefulset_controller *sts;
	kube_job_controller *job;
	kube_cronjob_controller *cj;
	kube_gc *gc;
	kube_namespace_controller *nsc;
	kube_endpoints_controller *ep;
	kube_nodelifecycle_controller *nlc;
	kube_resourcequota_controller *quota;
	kube_sched *sched;
	kube_sched_runner *runner;
	kube_nodes *nodes;
	kube_timer *tick, *progress;
	int listen_fd;
	char sock_path[108];
	int tty;
	int64_t start_ms, end_ms;
	strv last;                 /* lines printed last time */
	int drawn;                 /* lines on screen (tty) */
	int failed;
} run_state;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Opens the store, waiting up to 5 s while another process has it: a
 * `kubelite get` that read the directory a moment before this run made
 * its socket holds it for as long as one list takes. */
static int open_store(kube_store **out, kube_loop *loop, const kube_store_options *so)
{
	struct timespec nap = { 0, 50 * 1000000 };
	int64_t until = mono_ms() + 5000;
	int rc;

	while ((rc = kube_store_open(out, loop, so)) == KUBE_EBUSY && mono_ms() < until)
		nanosleep(&nap, NULL);
	return rc;
}

static const char *errmsg(int rc)
{
	const kube_error *e = kube_error_last();
	return e && e->message ? e->message : kube_strerror(rc);
}

/* ---- applying manifests ---- */

/* "deployment.apps/web", as kubectl apply names what it changed. */
static void object_ref(char *buf, size_t n, const kube_kind_info *k, const char *name)
{
	char kind[64];
	size_t i;
	for (i = 0; k->kind[i] && i + 1 < sizeof(kind); i++)
		kind[i] = (char)(k->kind[i] >= 'A' && k->kind[i] <= 'Z' ? k->kind[i] + 32 : k->kind[i]);
	kind[i] = '\0';
	if (*k->group)
		snprintf(buf, n, "%s.%s/%s", kind, k->group, name);
	else
		snprintf(buf, n, "%s/%s", kind, name);
}

/* What the store has that a manifest does not say: status, and what
 * controllers added to metadata (annotations, finalizers, owners). */
static int keep_server_fields(kube_object *obj, const kube_object *cur)
{
	char *json = NULL;
	size_t n = kube_object_annotation_count(cur);
	const char *keys[] = { "status", "metadata.finalizers", "metadata.ownerReferences" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		kube_value_type t;
		if (kube_object_get_type(obj, keys[i], &t) == 0 ||
		    kube_object_get_json(cur, keys[i], &json) != 0)
			continue;
		kube_object_set_json(obj, keys[i], json);
		kube_free(json);
		json = NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *key = NULL;
		if (kube_object_get_key(cur, "metadata.annotations", i, &key) == 0 &&
		    !kube_object_annotation(obj, key))
			kube_object_set_annotation(obj, key, kube_object_annotation(cur, key));
	}
	return 0;
}

static int apply_one(run_state *s, const char *file, const kube_object *in)
{
	const kube_kind_info *k = kube_kind_lookup(kube_object_api_version(in), kube_object_kind(in));
	const char *ns = kube_object_namespace(in), *name = kube_object_name(in);
	kube_object *obj = NULL, *cur = NULL, *out = NULL;
	char ref[256];
	int rc;

	if (!k) {
		fprintf(stderr, "error: resource mapping not found for kind \"%s\" in version \"%s\" "
		                "(%s)\n",
		        kube_object_kind(in) ? kube_object_kind(in) : "",
		        kube_object_api_version(in) ? kube_object_api_version(in) : "", file);
		return -1;
	}
	if (!name) {
		fprintf(stderr, "error: %s: a %s without metadata.name\n", file, k->kind);
		return -1;
	}
	if (kube_object_mutable(&obj, in) != 0)
		return -1;
	if (k->namespaced && (!ns || !*ns)) {
		ns = "default";
		kube_object_set_string(obj, "metadata.namespace", ns);
	}
	if (k->namespaced && kube_store_get(&cur, s->store, "namespaces", NULL, ns) != 0) {
		fprintf(stderr, "Error from server (NotFound): error when creating \"%s\": namespaces "
		                "\"%s\" not found\n", file, ns);
		kube_object_unref(obj);
		return -1;
	}
	cur = kube_object_unref(cur);
	object_ref(ref, sizeof(ref), k, name);
	rc = kube_store_get(&cur, s->store, k->resource, k->namespaced ? ns : NULL, name);
	if (rc == KUBE_ENOTFOUND) {
		if ((rc = kube_store_create_take(NULL, s->store, obj)) == 0)
			printf("%s created\n", ref);
	} else if (rc == 0) {
		keep_server_fields(obj, cur);
		if ((rc = kube_store_update_take(&out, s->store, obj)) == 0)
			printf("%s %s\n", ref,
			       strcmp(kube_object_resource_version(out), kube_object_resource_version(cur)) == 0
			               ? "unchanged" : "configured");
	} else {
		kube_object_unref(obj);
	}
	if (rc != 0)
		fprintf(stderr, "Error from server: error when applying \"%s\": %s\n", file, errmsg(rc));
	kube_object_unref(cur);
	kube_object_unref(out);
	return rc ? -1 : 0;
}

static int apply(run_state *s, const strv *paths)
{
	strv files = { 0 };
	int status = 0;

	for (size_t i = 0; i < paths->n; i++)
		if (collect(&files, paths->v[i], 0, 1) != 0)
			status = -1;
	for (size_t f = 0; f < files.n; f++) {
		kube_object_list *list = NULL;
		if (decode_file(files.v[f], &list) != 0) {
			status = -1;
			continue;
		}
		for (size_t i = 0; i < kube_object_list_count(list); i++)
			if (apply_one(s, files.v[f], kube_object_list_get(list, i)) != 0)
				status = -1;
		kube_object_list_free(list);
	}
	fflush(stdout);
	strv_free(&files);
	return status;
}

/* ---- progress ---- */

static int64_t int_at(const kube_object *o, const char *path, int64_t def)
{
	int64_t v;
	return kube_object_get_int(o, path, &v) == 0 ? v : def;
}

static void add_line(strv *lines, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_line(strv *lines, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	strv_push(lines, buf);
}

static kube_object_list *cached(run_state *s, const char *resource)
{
	kube_informer *inf = NULL;
	kube_object_list *l = NULL;
	if (kube_informer_factory_get(&inf, s->fac, resource) != 0 ||
	    kube_informer_list(&l, inf, NULL, NULL) != 0)
		return NULL;
	return l;
}

static void summary(run_state *s, strv *lines)
{
	kube_object_list *l;
	size_t total = 0, running = 0, pending = 0, unsched = 0, succeeded = 0, failed = 0;

	if ((l = cached(s, "deployments"))) {
		for (size_t i = 0; i < kube_object_list_count(l); i++) {
			kube_object *d = kube_object_list_get(l, i);
			add_line(lines, "deployment.apps/%s/%s: %lld/%lld ready, %lld up-to-date, "
			                "%lld available",
			         kube_object_namespace(d), kube_object_name(d),
			         (long long)int_at(d, "status.readyReplicas", 0),
			         (long long)int_at(d, "spec.replicas", 1),
			         (long long)int_at(d, "status.updatedReplicas", 0),
			         (long long)int_at(d, "status.availableReplicas", 0));
		}
		kube_object_list_free(l);
	}
	if ((l = cached(s, "replicasets"))) {
		for (size_t i = 0; i < kube_object_list_count(l); i++) {
			kube_object *r = kube_object_list_get(l, i);
			if (kube_object_owner_ref_count(r))
				continue;   /* a Deployment's: its line says it */
			add_line(lines, "replicaset.apps/%s/%s: %lld/%lld ready",
			         kube_object_namespace(r), kube_object_name(r),
			         (long long)int_at(r, "status.readyReplicas", 0),
			         (long long)int_at(r, "spec.replicas", 1));
		}
		kube_object_list_free(l);
	}
	if ((l = cached(s, "statefulsets"))) {
		for (size_t i = 0; i < kube_object_list_count(l); i++) {
			kube_object *o = kube_object_list_get(l, i);
			add_line(lines, "statefulset.apps/%s/%s: %lld/%lld ready",
			         kube_object_namespace(o), kube_object_name(o),
			         (long long)int_at(o, "status.readyReplicas", 0),
			         (long long)int_at(o, "spec.replicas", 1));
		}
		kube_object_list_free(l);
	}
	if ((l = cached(s, "daemonsets"))) {
		for (size_t i = 0; i < kube_object_list_count(l); i++) {
			kube_object *o = kube_object_list_get(l, i);
			add_line(lines, "daemonset.apps/%s/%s: %lld/%lld ready",
			         kube_object_namespace(o), kube_object_name(o),
			         (long long)int_at(o, "status.numberReady", 0),
			         (long long)int_at(o, "status.desiredNumberScheduled", 0));
		}
		kube_object_list_free(l);
	}
	if ((l = cached(s, "jobs"))) {
		for (size_t i = 0; i < kube_object_list_count(l); i++) {
			kube_object *o = kube_object_list_get(l, i);
			add_line(lines, "job.batch/%s/%s: %lld/%lld succeeded, %lld active, %lld failed",
			         kube_object_namespace(o), kube_object_name(o),
			         (long long)int_at(o, "status.succeeded", 0),
			         (long long)int_at(o, "spec.completions", 1),
			         (long long)int_at(o, "status.active", 0),
			         (long long)int_at(o, "status.failed", 0));
		}
		kube_object_list_free(l);
	}
	if ((l = cached(s, "cronjobs"))) {
		for (size_t i = 0; i < kube_object_list_count(l); i++) {
			kube_object *o = kube_object_list_get(l, i);
			const char *sched = "";
			size_t active = 0;
			kube_object_get_string(o, "spec.schedule", &sched);
			kube_object_get_len(o, "status.active", &active);
			add_line(lines, "cronjob.batch/%s/%s: schedule \"%s\", %zu active",
			         kube_object_namespace(o), kube_object_name(o), sched, active);
		}
		kube_object_list_free(l);
	}
	if ((l = cached(s, "pods"))) {
		total = kube_object_list_count(l);
		for (size_t i = 0; i < total; i++) {
			kube_object *p = kube_object_list_get(l, i);
			const char *phase = NULL, *node = NULL, *reason = NULL;
			kube_object_get_string(p, "status.phase", &phase);
			kube_object_get_string(p, "spec.nodeName", &node);
			if (phase && strcmp(phase, "Running") == 0)
				running++;
			else if (phase && strcmp(phase, "Succeeded") == 0)
				succeeded++;
			else if (phase && strcmp(phase, "Failed") == 0)
				failed++;
			else if (!node && kube_object_get_string(p, "status.conditions[0].reason",
			                                         &reason) == 0 &&
			         strcmp(reason, "Unschedulable") == 0)
				unsched++;
			else
				pending++;
		}
		kube_object_list_free(l);
	}
	add_line(lines, "pods: %zu (%zu running, %zu pending, %zu unschedulable, %zu succeeded, %zu failed)",
	         total, running, pending, unsched, succeeded, failed);
}

static void print_progress(run_state *s, int final)
{
	strv lines = { 0 };
	double secs = (double)(mono_ms() - s->start_ms) / 1000.0;

	summary(s, &lines);
	if (s->tty) {
		if (s->drawn)
			printf("\033[%dA", s->drawn);
		for (size_t i = 0; i < lines.n; i++)
			printf("\r\033[K%s\n", lines.v[i]);
		for (int i = (int)lines.n; i < s->drawn; i++)
			printf("\r\033[K\n");
		s->drawn = (int)(lines.n > (size_t)s->drawn ? lines.n : (size_t)s->drawn);
	} else if (!s->tty) {
		for (size_t i = 0; i < lines.n; i++) {
			int seen = 0;
			for (size_t j = 0; j < s->last.n && !seen; j++)
				seen = strcmp(s->last.v[j], lines.v[i]) == 0;
			if (!seen || final)
				printf("[%6.1fs] %s\n", secs, lines.v[i]);
		}
	}
	fflush(stdout);
	strv_free(&s->last);
	s->last = lines;
}

static void on_progress(kube_timer *t, void *ud)
{
	(void)t;
	print_progress(ud, 0);
}

/* ---- reads for `kubelite get` ---- */

static void serve_one(run_state *s, int fd)
{
	char req[1024], resource[128], ns[256], sel[512];
	size_t got = 0;
	struct timeval tv = { 1, 0 };
	kube_list_options lo = KUBE_LIST_OPTIONS_INIT;
	kube_object_list *l = NULL;
	FILE *out;
	int rc;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (got < sizeof(req) - 1) {
		ssize_t n = read(fd, req + got, sizeof(req) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(req, '\n', got))
			break;
	}
	req[got] = '\0';
	if (!(out = fdopen(fd, "w"))) {
		close(fd);
		return;
	}
	/* "LIST <resource>\t<namespace>\t<selector>\n",
	 * "GET <resource>\t<namespace>\t<name>\n",
	 * "DELETE <resource>\t<namespace>\t<name>\t<policy>\n"; "-" for none */
	if (strncmp(req, "GET ", 4) == 0 || strncmp(req, "DELETE ", 7) == 0) {
		char name[256], policy[32] = "background";
		kube_object *o = NULL;
		int del = req[0] == 'D';
		if (sscanf(req + (del ? 7 : 4), "%127[^\t]\t%255[^\t]\t%255[^\t\n]\t%31[^\n]", resource,
		           ns, name, policy) < 3) {
			fprintf(out, "ERR malformed request\n");
			fclose(out);
			return;
		}
		const char *nsp = strcmp(ns, "-") ? ns : NULL;
		if (del)
			rc = kube_delete(&o, s->store, resource, nsp, name,
			                 strcmp(policy, "foreground") == 0 ? KUBE_PROPAGATION_FOREGROUND
			                 : strcmp(policy, "orphan") == 0   ? KUBE_PROPAGATION_ORPHAN
			                                                   : KUBE_PROPAGATION_BACKGROUND,
			                 NULL);
		else
			rc = kube_store_get(&o, s->store, resource, nsp, name);
		if (rc != 0) {
			fprintf(out, "ERR %s\n", errmsg(rc));
		} else {
			char *json = NULL;
			size_t len = 0;
			fprintf(out, "OK\n");
			if (o && kube_encode(&json, &len, o, KUBE_FORMAT_JSON, 0) == 0) {
				fwrite(json, 1, len, out);
				fputc('\n', out);
			}
			kube_free(json);
		}
		kube_object_unref(o);
		fclose(out);
		return;
	}
	if (sscanf(req, "LIST %127[^\t]\t%255[^\t]\t%511[^\n]", resource, ns, sel) != 3) {
		fprintf(out, "ERR malformed request\n");
		fclose(out);
		return;
	}
	lo.namespace_ = strcmp(ns, "-") ? ns : NULL;
	lo.label_selector = strcmp(sel, "-") ? sel : NULL;
	if ((rc = kube_store_list(&l, s->store, resource, &lo, NULL, NULL)) != 0) {
		fprintf(out, "ERR %s\n", errmsg(rc));
		fclose(out);
		return;
	}
	fprintf(out, "OK\n");
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		char *json = NULL;
		size_t len = 0;
		if (kube_encode(&json, &len, kube_object_list_get(l, i), KUBE_FORMAT_JSON, 0) == 0) {
			fwrite(json, 1, len, out);
			fputc('\n', out);
		}
		kube_free(json);
	}
	kube_object_list_free(l);
	fclose(out);
}

static int listen_socket(run_state *s, const char *dir)
{
	struct sockaddr_un a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if ((size_t)snprintf(s->sock_path, sizeof(s->sock_path), "%s/%s", dir, KUBELITE_SOCKET) >=
	    sizeof(a.sun_path)) {
		fprintf(stderr, "kubelite: %s: path too long for a socket: `kubelite get` will not "
		                "reach this run\n", dir);
		s->sock_path[0] = '\0';
		return 0;
	}
	memcpy(a.sun_path, s->sock_path, strlen(s->sock_path) + 1);
	unlink(s->sock_path);   /* a stale one: the store's lock says we are alone */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0) {
		fprintf(stderr, "kubelite: %s: %s\n", s->sock_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		s->sock_path[0] = '\0';
		return -1;
	}
	s->listen_fd = fd;
	return 0;
}

/* ---- the tick ---- */

static int start_scheduler(run_state *s)
{
	int rc;
	if ((rc = kube_sched_new(&s->sched)) != 0 ||
	    (rc = kube_sched_runner_new(&s->runner, s->sched, s->store)) != 0) {
		fprintf(stderr, "kubelite: scheduler: %s\n", errmsg(rc));
		return -1;
	}
	return 0;
}

static void on_tick(kube_timer *t, void *ud)
{
	run_state *s = ud;
	int fd, rc;
	(void)t;

	if (stop_signal || (s->end_ms && mono_ms() >= s->end_ms)) {
		kube_loop_stop(s->loop);
		return;
	}
	if ((rc = kube_sched_runner_run(s->runner, mono_ms(), NULL, NULL)) != 0) {
		/* A watch ended (the scheduler fell behind): start afresh, as
		 * the runner's contract asks. */
		fprintf(stderr, "kubelite: scheduler restarts: %s\n", kube_strerror(rc));
		kube_sched_runner_free(s->runner);
		kube_sched_free(s->sched);
		s->runner = NULL;
		s->sched = NULL;
		if (start_scheduler(s) != 0) {
			s->failed = 1;
			kube_loop_stop(s->loop);
			return;
		}
	}
	while (s->listen_fd >= 0 && (fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		int flags = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
		serve_one(s, fd);
	}
}

/* ---- the command ---- */

static void usage_run(void)
{
	fprintf(stderr, "usage: kubelite run --data-dir DIR [--nodes N] -f FILE|DIR [-f ...] "
	                "[--ready-delay MS] [--duration S]\n");
}

static int parse_uint(const char *flag, const char *v, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	*out = strtoul(v, &end, 10);
	if (!*v || *end || errno || *out > max || v[0] == '-') {
		fprintf(stderr, "kubelite: %s: not a number up to %lu: '%s'\n", flag, max, v);
		return -1;
	}
	return 0;
}

static int ensure_namespace(run_state *s, const char *name)
{
	kube_object *ns = NULL;
	int rc = kube_object_new(&ns, "v1", "Namespace");
	if (rc == 0)
		rc = kube_object_set_string(ns, "metadata.name", name);
	if (rc == 0)
		rc = kube_object_set_json(ns, "spec", "{\"finalizers\":[\"kubernetes\"]}");
	if (rc == 0)
		rc = kube_object_set_string(ns, "status.phase", "Active");
	if (rc == 0)
		rc = kube_store_create_take(NULL, s->store, ns);
	else
		kube_object_unref(ns);
	return rc == KUBE_EEXISTS ? 0 : rc;
}

int cmd_run(int argc, char **argv)
{
	const char *dir = NULL;
	unsigned long nodes = 3, delay = 1000, duration = 0;
	strv paths = { 0 };
	run_state s;
	int rc, status = 0;

	memset(&s, 0, sizeof(s));
	s.listen_fd = -1;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--data-dir") == 0 && v) {
			dir = v;
			i++;
		} else if (strcmp(a, "--nodes") == 0 && v) {
			if (parse_uint(a, v, 65000, &nodes) != 0 || nodes == 0)
				goto usage;
			i++;
		} else if ((strcmp(a, "-f") == 0 || strcmp(a, "--filename") == 0) && v) {
			strv_push(&paths, v);
			i++;
		} else if (strcmp(a, "--ready-delay") == 0 && v) {
			if (parse_uint(a, v, 3600000, &delay) != 0)
				goto usage;
			i++;
		} else if (strcmp(a, "--duration") == 0 && v) {
			if (parse_uint(a, v, 86400 * 365, &duration) != 0)
				goto usage;
			i++;
		} else {
			fprintf(stderr, "kubelite: unknown argument '%s'\n", a);
			goto usage;
		}
	}
	if (!dir) {
		fprintf(stderr, "kubelite: --data-dir DIR is required\n");
		goto usage;
	}

	kube_store_options so = KUBE_STORE_OPTIONS_INIT;
	kube_nodes_options no = KUBE_NODES_OPTIONS_INIT;
	so.backend = "sqlite";
	so.path = dir;
	no.count = (unsigned int)nodes;
	no.ready_delay_ms = delay;
	s.tty = isatty(STDOUT_FILENO);
	if ((rc = kube_loop_new(&s.loop, NULL)) != 0 || (rc = open_store(&s.store, s.loop, &so)) != 0) {
		fprintf(stderr, "kubelite: %s\n", errmsg(rc));
		status = 1;
		goto out;
	}
	/* the namespaces kube-apiserver makes at start */
	static const char *const system_ns[] = { "default", "kube-system", "kube-public",
		                                 "kube-node-lease" };
	for (size_t i = 0; i < sizeof(system_ns) / sizeof(system_ns[0]); i++)
		if ((rc = ensure_namespace(&s, system_ns[i])) != 0) {
			fprintf(stderr, "kubelite: namespace %s: %s\n", system_ns[i], errmsg(rc));
			status = 1;
			goto out;
		}
	if ((rc = kube_informer_factory_new(&s.fac, s.store, 0)) != 0 ||
	    (rc = kube_replicaset_controller_new(&s.rs, s.fac, s.store, "ReplicaSet", NULL)) != 0 ||
	    (rc = kube_replicaset_controller_new(&s.rc, s.fac, s.store, "ReplicationController",
	                                         NULL)) != 0 ||
	    (rc = kube_deployment_controller_new(&s.deploy, s.fac, s.store, NULL)) != 0 ||
	    (rc = kube_daemonset_controller_new(&s.ds, s.fac, s.store, NULL)) != 0 ||
	    (rc = kube_statefulset_controller_new(&s.sts, s.fac, s.store, NULL)) != 0 ||
	    (rc = kube_job_controller_new(&s.job, s.fac, s.store, NULL)) != 0 ||
	    (rc = kube_cronjob_controller_new(&s.cj, s.fac, s.store, NULL)) != 0 ||
	    (rc = kube_gc_new(&s.gc, s.fac, s.store, NULL)) != 0 ||
	    (rc = kube_namespace_controller_new(&s.nsc, s.fac, s.store, 1000)) != 0 ||
	    (rc = kube_endpoints_controller_new(&s.ep, s.fac, s.store, NULL)) != 0 ||
	    (rc = kube_nodelifecycle_controller_new(&s.nlc, s.fac, s.store, NULL)) != 0 ||
	    (rc = kube_resourcequota_controller_new(&s.quota, s.fac, s.store, NULL)) != 0 ||
	    (rc = kube_nodes_new(&s.nodes, s.loop, s.store, &no)) != 0 ||
	    (rc = kube_informer_factory_start(s.fac)) != 0) {
		fprintf(stderr, "kubelite: %s\n", errmsg(rc));
		status = 1;
		goto out;
	}
	if (start_scheduler(&s) != 0) {
		status = 1;
		goto out;
	}
	listen_socket(&s, dir);
	printf("kubelite: cluster up: %lu node%s, store %s/store.db\n", nodes, nodes == 1 ? "" : "s",
	       dir);
	if (paths.n && apply(&s, &paths) != 0)
		status = 1;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	s.start_ms = mono_ms();
	s.end_ms = duration ? s.start_ms + (int64_t)duration * 1000 : 0;
	if ((rc = kube_timer_new(&s.tick, s.loop, on_tick, &s, NULL)) != 0 ||
	    (rc = kube_timer_start(s.tick, 0, 5)) != 0 ||
	    (rc = kube_timer_new(&s.progress, s.loop, on_progress, &s, NULL)) != 0 ||
	    (rc = kube_timer_start(s.progress, 250, s.tty ? 250 : 1000)) != 0 ||
	    (rc = kube_loop_run(s.loop)) != 0) {
		fprintf(stderr, "kubelite: %s\n", errmsg(rc));
		status = 1;
	}
	if (s.failed)
		status = 1;
	print_progress(&s, 1);
	printf("kubelite: stopped after %.1fs%s\n", (double)(mono_ms() - s.start_ms) / 1000.0,
	       stop_signal ? " (signal)" : "");
out:
	if (s.listen_fd >= 0) {
		close(s.listen_fd);
		unlink(s.sock_path);
	}
	kube_timer_free(s.tick);
	kube_timer_free(s.progress);
	kube_nodes_free(s.nodes);
	kube_sched_runner_free(s.runner);
	kube_sched_free(s.sched);
	kube_resourcequota_controller_free(s.quota);
	kube_nodelifecycle_controller_free(s.nlc);
	kube_endpoints_controller_free(s.ep);
	kube_namespace_controller_free(s.nsc);
	kube_gc_free(s.gc);
	kube_cronjob_controller_free(s.cj);
	kube_job_controller_free(s.job);
	kube_statefulset_controller_free(s.sts);
	kube_daemonset_controller_free(s.ds);
	kube_deployment_controller_free(s.deploy);
	kube_replicaset_controller_free(s.rc);
	kube_replicaset_controller_free(s.rs);
	kube_informer_factory_free(s.fac);
	kube_store_close(s.store);
	kube_loop_free(s.loop);
	strv_free(&s.last);
	strv_free(&paths);
	return status;
usage:
	strv_free(&paths);
	usage_run();
	return 2;
}
