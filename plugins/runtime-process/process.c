/*
 * process.c - the runtime-process plugin: CRI's RuntimeService and
 * ImageService for containers that are plain processes of this machine.
 *
 * The embedded default runtime, for products without containerd.  What a
 * container is, see spawn.c; images, image.c; limits and stats, cgroup.c;
 * logs, logs.c.  This file keeps the CRI objects and their rules.
 *
 * Sandboxes are a grouping without a pause process: a record (metadata,
 * labels, log directory, network mode), a parent cgroup, and the pod's
 * shared namespaces, held open as fds (rt_pod_ns): a network namespace
 * with loopback up (unless the pod is on the host network,
 * NamespaceOption.network == NODE), an IPC namespace (unless ipc == NODE)
 * and a UTS namespace with the pod's hostname (unless on the host
 * network).  Every container joins those and gets its own pid and mount
 * namespaces (a shared pid namespace would need an init to reap: not
 * offered).  Stopping a sandbox kills its containers; removing it removes
 * them and lets its namespaces go.
 *
 * Layout under the instance's root (config "root=/path"):
 *
 *   <root>/images/<config hex>/rootfs      an unpacked image (image.c)
 *   <root>/containers/<id>/rootfs          a container's private copy of it
 *
 * State lives in memory: a new instance starts empty, and close() kills
 * and removes whatever the instance still runs.
 *
 * Locking: one mutex per instance guards the lists and every container's
 * state; a condition variable announces exits.  Slow work (copying a
 * rootfs, waiting for a stop, ExecSync, unpacking an image) runs without
 * it, on a container held by a reference.  Each container has a waiter
 * thread that reaps its init, drains its log and records how it ended:
 * exit code, and reason "Completed", "Error" or "OOMKilled" (killed by
 * SIGKILL while its memory cgroup counted an OOM kill).
 *
 * Built with -DRT_BREAK_IDEMPOTENCY it answers NOT_FOUND to stopping or
 * removing what is already gone, a fixture the conformance kit must fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"

#define PLUGIN_NAME "process"
#define PLUGIN_VERSION "0.1.0"
#define ID_LEN 64

typedef struct kvs {
	kube_cri_kv *v;
	size_t n;
} kvs;

typedef struct sandbox {
	struct sandbox *next;
	char id[ID_LEN + 1];
	char *name, *uid, *ns;
	uint32_t attempt;
	int32_t state;
	int64_t created_at;
	char *hostname, *log_dir, *handler;
	int host_network;
	int own_cgroup;            /* the cgroup is ours to remove (no cgroup_parent given) */
	int host_ipc;
	int nsfd[3];               /* the pod's net, ipc, uts namespaces (rt_pod_ns); -1: host's */
	char *cgroup_rel;
	rt_cgroup cg;
	kvs labels, annotations;
} sandbox;

typedef struct container {
	struct container *next;
	int refs;                  /* under rt->mu */
	char id[ID_LEN + 1];
	char sandbox_id[ID_LEN + 1];
	char *name;
	uint32_t attempt;
	char *image, *image_ref;
	int32_t state;
	int64_t created_at, started_at, finished_at;
	int32_t exit_code;
	const char *reason;        /* static text */
	char *message;
	kvs labels, annotations;
	kube_cri_mount *mounts;
	size_t n_mounts;
	char *log_path;
	kube_cri_linux_resources res;
	char *dir;                 /* <root>/containers/<id> */
	char *rootfs;
	rt_cgroup cg;
	rt_child child;
	rt_logger *logger;
	pthread_t waiter;
	int has_waiter;
	int exited;                /* the waiter recorded the end */
	/* kept for ExecSync */
	rt_launch launch;
	char **argv, **envp;
	char *cwd;
	char *hostname;
	gid_t *groups;
	rt_bind *binds;
	size_t n_binds;
} container;

typedef struct rt {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char root[PATH_MAX];
	char images_dir[PATH_MAX + 16];
	char *image_path;
	char cgroup_root[256];
	sandbox *sandboxes;
	container *containers;
	rt_image **images;
	size_t n_images;
} rt;

/* ---- small things ---- */

static char *hdup(const char *s)
{
	return s ? rt_host->strdup(s) : NULL;
}

static void new_id(char out[ID_LEN + 1])
{
	unsigned char b[ID_LEN / 2];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* Uniqueness, not secrecy, is what an id needs. */
		static unsigned long ctr;
		unsigned long x = (unsigned long)rt_now_ns() ^ ((unsigned long)getpid() << 16) ^ ++ctr;
		for (size_t i = 0; i < sizeof(b); i++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			b[i] = (unsigned char)(x >> 56);
		}
	}
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int kvs_copy(kvs *out, const kube_cri_kv *v, size_t n)
{
	out->v = NULL;
	out->n = 0;
	if (!n)
		return 0;
	if (!(out->v = calloc(n, sizeof(*out->v))))
		return KUBE_ENOMEM;
	out->n = n;
	for (size_t i = 0; i < n; i++) {
		out->v[i].key = strdup(v[i].key ? v[i].key : "");
		out->v[i].value = strdup(v[i].value ? v[i].value : "");
		if (!out->v[i].key || !out->v[i].value)
			return KUBE_ENOMEM;
	}
	return 0;
}

static void kvs_free(kvs *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->v[i].key);
		free(k->v[i].value);
	}
	free(k->v);
	k->v = NULL;
	k->n = 0;
}

/* A host-allocated copy for a result. */
static int kvs_out(kube_cri_kv **out, size_t *n, const kvs *k)
{
	*out = NULL;
	*n = 0;
	if (!k->n)
		return 0;
	if (!(*out = rt_host->calloc(k->n, sizeof(**out))))
		return KUBE_ENOMEM;
	*n = k->n;
	for (size_t i = 0; i < k->n; i++) {
		(*out)[i].key = hdup(k->v[i].key);
		(*out)[i].value = hdup(k->v[i].value);
		if (!(*out)[i].key || !(*out)[i].value)
			return KUBE_ENOMEM;
	}
	return 0;
}

/* Every pair of sel is in k (CRI label selectors are exact-match ANDs). */
static int kvs_match(const kvs *k, const kube_cri_kv *sel, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int found = 0;
		for (size_t j = 0; j < k->n && !found; j++)
			found = strcmp(k->v[j].key, sel[i].key ? sel[i].key : "") == 0 &&
			        strcmp(k->v[j].value, sel[i].value ? sel[i].value : "") == 0;
		if (!found)
			return 0;
	}
	return 1;
}

static int empty(const char *s)
{
	return !s || !s[0];
}

static sandbox *find_sandbox(rt *r, const char *id)
{
	for (sandbox *s = r->sandboxes; s && id; s = s->next)
		if (strcmp(s->id, id) == 0)
			return s;
	return NULL;
}

static container *find_container(rt *r, const char *id)
{
	for (container *c = r->containers; c && id; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

static rt_image *find_image(rt *r, const char *ref)
{
	for (size_t i = 0; i < r->n_images && ref; i++) {
		rt_image *img = r->images[i];
		if (strcmp(img->id, ref) == 0 || strcmp(img->id + 7, ref) == 0)
			return img;
		for (size_t t = 0; t < img->n_tags; t++)
			if (strcmp(img->tags[t], ref) == 0)
				return img;
	}
	return NULL;
}

/* ---- containers: life and death ---- */

static void container_free(container *c)
{
	free(c->name);
	free(c->image);
	free(c->image_ref);
	free(c->message);
	kvs_free(&c->labels);
	kvs_free(&c->annotations);
	for (size_t i = 0; i < c->n_mounts; i++) {
		free(c->mounts[i].container_path);
		free(c->mounts[i].host_path);
	}
	free(c->mounts);
	free(c->log_path);
	free(c->dir);
	free(c->rootfs);
	for (char **a = c->argv; a && *a; a++)
		free(*a);
	free(c->argv);
	for (char **e = c->envp; e && *e; e++)
		free(*e);
	free(c->envp);
	free(c->cwd);
	free(c->hostname);
	free(c->groups);
	for (size_t i = 0; i < c->n_binds; i++) {
		free(c->binds[i].source);
		free(c->binds[i].target);
	}
	free(c->binds);
	free(c);
}

static void container_unref(rt *r, container *c)
{
	pthread_mutex_lock(&r->mu);
	int last = --c->refs == 0;
	pthread_mutex_unlock(&r->mu);
	if (last)
		container_free(c);
}

/* Reaps the init, drains the log, records the end. */
static void *waiter(void *arg)
{
	void **a = arg;
	rt *r = a[0];
	container *c = a[1];
	free(arg);
	int status = 0;
	while (waitpid(c->child.pid, &status, 0) < 0 && errno == EINTR)
		;
	rt_logger_join(c->logger);
	c->logger = NULL;
	uint64_t ooms = rt_cgroup_oom_kills(&c->cg);
	pthread_mutex_lock(&r->mu);
	c->exited = 1;
	if (c->state == KUBE_CRI_CONTAINER_RUNNING || c->started_at) {
		c->state = KUBE_CRI_CONTAINER_EXITED;
		c->finished_at = rt_now_ns();
		if (WIFEXITED(status)) {
			c->exit_code = WEXITSTATUS(status);
		} else {
			c->exit_code = 128 + WTERMSIG(status);
		}
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && ooms > 0)
			c->reason = "OOMKilled";
		else
			c->reason = c->exit_code == 0 ? "Completed" : "Error";
	}
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* SIGKILL and wait for the waiter to record it; r->mu held on entry and exit. */
static void kill_and_wait(rt *r, container *c)
{
	if (!c->has_waiter || c->exited)
		return;
	kill(c->child.pid, SIGKILL);
	while (!c->exited)
		pthread_cond_wait(&r->cv, &r->mu);
}

/* Stops c: signal, timeout, SIGKILL.  r->mu held. */
static int stop_locked(rt *r, container *c, int64_t timeout_s)
{
	if (c->state != KUBE_CRI_CONTAINER_RUNNING || c->exited)
		return 0;
	if (timeout_s > 0) {
		/* pid 1 of a namespace gets SIGTERM only if it handles it. */
		kill(c->child.pid, SIGTERM);
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += timeout_s;
		while (!c->exited) {
			if (pthread_cond_timedwait(&r->cv, &r->mu, &dl) == ETIMEDOUT)
				break;
		}
	}
	kill_and_wait(r, c);
	return 0;
}

/* Unlinks, kills, reaps and deletes c.  r->mu held on entry and exit. */
static void remove_locked(rt *r, container *c)
{
	for (container **pp = &r->containers; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (c->child.ctl_fd >= 0) {
		close(c->child.ctl_fd);   /* a created, never started init exits on EOF */
		c->child.ctl_fd = -1;
	}
	if (c->child.status_fd >= 0) {
		close(c->child.status_fd);
		c->child.status_fd = -1;
	}
	kill_and_wait(r, c);
	int joined = c->has_waiter;
	c->has_waiter = 0;
	pthread_mutex_unlock(&r->mu);
	if (joined)
		pthread_join(c->waiter, NULL);
	rt_cgroup_destroy(&c->cg);
	if (c->dir && rt_remove_tree(c->dir) != 0)
		rt_host->log(KUBE_PLUGIN_LOG_WARN, PLUGIN_NAME, "cannot remove a container directory");
	pthread_mutex_lock(&r->mu);
	if (--c->refs == 0) {
		pthread_mutex_unlock(&r->mu);
		container_free(c);
		pthread_mutex_lock(&r->mu);
	}
}

/* ---- open / close ---- */

static int rt_open(void **out, const char *config, size_t len, kube_host_loop *loop)
{
	(void)loop;
	rt *r = calloc(1, sizeof(*r));
	if (!r)
		return KUBE_ENOMEM;
	snprintf(r->cgroup_root, sizeof(r->cgroup_root), "libkube");
	size_t i = 0;
	int rc = 0;
	while (config && i < len && !rc) {
		size_t j = i;
		while (j < len && config[j] != '\n')
			j++;
		char line[PATH_MAX + 32];
		size_t ll = j - i < sizeof(line) - 1 ? j - i : sizeof(line) - 1;
		memcpy(line, config + i, ll);
		line[ll] = '\0';
		i = j + 1;
		if (!line[0] || line[0] == '#')
			continue;
		char *eq = strchr(line, '=');
		if (!eq) {
			rc = rt_fail(KUBE_EINVAL, "runtime-process: config line \"%s\" is not key=value", line);
			break;
		}
		*eq = '\0';
		const char *v = eq + 1;
		if (strcmp(line, "root") == 0) {
			snprintf(r->root, sizeof(r->root), "%s", v);
		} else if (strcmp(line, "image_path") == 0) {
			free(r->image_path);
			if (!(r->image_path = strdup(v)))
				rc = KUBE_ENOMEM;
		} else if (strcmp(line, "cgroup_root") == 0 && v[0] && !strstr(v, "..")) {
			snprintf(r->cgroup_root, sizeof(r->cgroup_root), "%s", v);
		} else {
			rc = rt_fail(KUBE_EINVAL, "runtime-process: unknown config key \"%s\"", line);
		}
	}
	if (!rc && r->root[0] != '/')
		rc = rt_fail(KUBE_EINVAL, "runtime-process: config needs root=<absolute path>");
	const struct sock_fprog *f;
	if (!rc)
		rc = rt_seccomp_default(&f);
	if (!rc) {
		char p[PATH_MAX + 32];
		snprintf(r->images_dir, sizeof(r->images_dir), "%s/images", r->root);
		snprintf(p, sizeof(p), "%s/containers", r->root);
		if (rt_mkdir_p(r->images_dir, 0700) != 0 || rt_mkdir_p(p, 0700) != 0)
			rc = rt_fail(KUBE_EIO, "runtime-process: cannot create %s: %s", p, strerror(errno));
	}
	if (rc) {
		free(r->image_path);
		free(r);
		return rc;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	*out = r;
	return 0;
}

static void sandbox_free(sandbox *s)
{
	for (int i = 0; i < 3; i++)
		if (s->nsfd[i] >= 0)
			close(s->nsfd[i]);
	free(s->name);
	free(s->uid);
	free(s->ns);
	free(s->hostname);
	free(s->log_dir);
	free(s->handler);
	free(s->cgroup_rel);
	kvs_free(&s->labels);
	kvs_free(&s->annotations);
	free(s);
}

static void rt_close(void *self)
{
	rt *r = self;
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	while (r->containers)
		remove_locked(r, r->containers);
	while (r->sandboxes) {
		sandbox *s = r->sandboxes;
		r->sandboxes = s->next;
		if (s->own_cgroup)
			rt_cgroup_destroy(&s->cg);
		sandbox_free(s);
	}
	pthread_mutex_unlock(&r->mu);
	for (size_t i = 0; i < r->n_images; i++)
		rt_image_free(r->images[i]);
	free(r->images);
	free(r->image_path);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* ---- RuntimeService: version, status ---- */

static int rt_version(void *self, const char *api, kube_cri_version *out)
{
	(void)self;
	(void)api;
	out->version = hdup("0.1.0");
	out->runtime_name = hdup("libkube-runtime-process");
	out->runtime_version = hdup(PLUGIN_VERSION);
	out->runtime_api_version = hdup("v1");
	return out->version && out->runtime_name && out->runtime_version && out->runtime_api_version
	       ? 0 : KUBE_ENOMEM;
}

static int rt_status(void *self, int verbose, kube_cri_runtime_status *out)
{
	(void)self;
	(void)verbose;
	/* The only networks are the host's and a container's own loopback: always ready. */
	static const char *const types[] = { "RuntimeReady", "NetworkReady" };
	if (!(out->conditions = rt_host->calloc(2, sizeof(*out->conditions))))
		return KUBE_ENOMEM;
	out->n_conditions = 2;
	for (int i = 0; i < 2; i++) {
		out->conditions[i].type = hdup(types[i]);
		out->conditions[i].status = 1;
		if (!out->conditions[i].type)
			return KUBE_ENOMEM;
	}
	return 0;
}

/* ---- sandboxes ---- */

static int rt_run_pod_sandbox(void *self, const kube_cri_sandbox_config *cfg, const char *handler,
                              char **out_id)
{
	rt *r = self;
	if (!cfg || empty(cfg->metadata.name) || empty(cfg->metadata.uid) || empty(cfg->metadata.ns))
		return rt_fail(KUBE_EINVAL, "runtime-process: RunPodSandbox needs metadata name, uid and namespace");
	if (!empty(handler))
		return rt_fail(KUBE_ENOTFOUND, "runtime-process: no runtime handler \"%s\"", handler);
	sandbox *s = calloc(1, sizeof(*s));
	if (!s)
		return KUBE_ENOMEM;
	new_id(s->id);
	s->attempt = cfg->metadata.attempt;
	s->state = KUBE_CRI_SANDBOX_READY;
	s->created_at = rt_now_ns();
	s->host_network = cfg->linux_namespaces.network == KUBE_CRI_NAMESPACE_NODE;
	s->host_ipc = cfg->linux_namespaces.ipc == KUBE_CRI_NAMESPACE_NODE;
	s->nsfd[0] = s->nsfd[1] = s->nsfd[2] = -1;
	char rel[PATH_MAX];
	if (!empty(cfg->linux_cgroup_parent) && !strstr(cfg->linux_cgroup_parent, "..")) {
		snprintf(rel, sizeof(rel), "%s", cfg->linux_cgroup_parent);
	} else {
		snprintf(rel, sizeof(rel), "%s/%s", r->cgroup_root, s->id);
		s->own_cgroup = 1;
	}
	int rc = 0;
	if (!(s->name = strdup(cfg->metadata.name)) || !(s->uid = strdup(cfg->metadata.uid)) ||
	    !(s->ns = strdup(cfg->metadata.ns)) || !(s->cgroup_rel = strdup(rel)) ||
	    (cfg->hostname && !(s->hostname = strdup(cfg->hostname))) ||
	    (cfg->log_directory && !(s->log_dir = strdup(cfg->log_directory))) ||
	    kvs_copy(&s->labels, cfg->labels, cfg->n_labels) ||
	    kvs_copy(&s->annotations, cfg->annotations, cfg->n_annotations))
		rc = KUBE_ENOMEM;
	if (!rc && s->own_cgroup)
		rc = rt_cgroup_create(&s->cg, rel);
	if (!rc)
		rc = rt_pod_ns(s->nsfd, s->host_network, s->host_ipc,
		               !empty(s->hostname) ? s->hostname : s->name);
	if (!rc && !(*out_id = hdup(s->id)))
		rc = KUBE_ENOMEM;
	if (!rc) {
		pthread_mutex_lock(&r->mu);
		for (sandbox *o = r->sandboxes; o; o = o->next) {
			if (strcmp(o->name, s->name) == 0 && strcmp(o->ns, s->ns) == 0 &&
			    strcmp(o->uid, s->uid) == 0 && o->attempt == s->attempt) {
				rc = rt_fail(KUBE_EEXISTS,
				             "runtime-process: a sandbox for %s/%s (uid %s, attempt %u) exists: %s",
				             s->ns, s->name, s->uid, s->attempt, o->id);
				break;
			}
		}
		if (!rc) {
			s->next = r->sandboxes;
			r->sandboxes = s;
		}
		pthread_mutex_unlock(&r->mu);
		if (rc) {
			rt_host->free(*out_id);
			*out_id = NULL;
		}
	}
	if (rc) {
		if (s->own_cgroup)
			rt_cgroup_destroy(&s->cg);
		sandbox_free(s);
	}
	return rc;
}

static int rt_stop_pod_sandbox(void *self, const char *id)
{
	rt *r = self;
	if (empty(id))
		return rt_fail(KUBE_EINVAL, "runtime-process: StopPodSandbox needs an id");
	pthread_mutex_lock(&r->mu);
	sandbox *s = find_sandbox(r, id);
	if (!s) {
		pthread_mutex_unlock(&r->mu);
#ifdef RT_BREAK_IDEMPOTENCY
		return rt_fail(KUBE_ENOTFOUND, "runtime-process: no sandbox %s", id);
#else
		return 0;
#endif
	}
	for (container *c = r->containers; c; c = c->next)
		if (strcmp(c->sandbox_id, id) == 0)
			stop_locked(r, c, 0);
	s->state = KUBE_CRI_SANDBOX_NOTREADY;
	pthread_mutex_unlock(&r->mu);
	return 0;
}

static int rt_remove_pod_sandbox(void *self, const char *id)
{
	rt *r = self;
	if (empty(id))
		return rt_fail(KUBE_EINVAL, "runtime-process: RemovePodSandbox needs an id");
	pthread_mutex_lock(&r->mu);
	sandbox *s = find_sandbox(r, id);
	if (!s) {
		pthread_mutex_unlock(&r->mu);
#ifdef RT_BREAK_IDEMPOTENCY
		return rt_fail(KUBE_ENOTFOUND, "runtime-process: no sandbox %s", id);
#else
		return 0;
#endif
	}
	for (container *c = r->containers, *next; c; c = next) {
		next = c->next;
		if (strcmp(c->sandbox_id, id) == 0) {
			remove_locked(r, c);
			next = r->containers;   /* the list may have changed while unlocked */
		}
	}
	for (sandbox **pp = &r->sandboxes; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&r->mu);
	if (s->own_cgroup)
		rt_cgroup_destroy(&s->cg);
	sandbox_free(s);
	return 0;
}

static int rt_pod_sandbox_status(void *self, const char *id, int verbose, kube_cri_sandbox_status *out)
{
	(void)verbose;
	rt *r = self;
	pthread_mutex_lock(&r->mu);
	sandbox *s = find_sandbox(r, id);
	if (!s) {
		pthread_mutex_unlock(&r->mu);
		return rt_fail(KUBE_ENOTFOUND, "runtime-process: no sandbox %s", id ? id : "");
	}
	int rc = 0;
	out->id = hdup(s->id);
	out->metadata.name = hdup(s->name);
	out->metadata.uid = hdup(s->uid);
	out->metadata.ns = hdup(s->ns);
	out->metadata.attempt = s->attempt;
	out->state = s->state;
	out->created_at = s->created_at;
	out->linux_namespaces.network = s->host_network ? KUBE_CRI_NAMESPACE_NODE : KUBE_CRI_NAMESPACE_POD;
	out->linux_namespaces.pid = KUBE_CRI_NAMESPACE_CONTAINER;
	out->linux_namespaces.ipc = s->host_ipc ? KUBE_CRI_NAMESPACE_NODE : KUBE_CRI_NAMESPACE_POD;
	if (!out->id || !out->metadata.name || !out->metadata.uid || !out->metadata.ns ||
	    kvs_out(&out->labels, &out->n_labels, &s->labels) ||
	    kvs_out(&out->annotations, &out->n_annotations, &s->annotations))
		rc = KUBE_ENOMEM;
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static int rt_list_pod_sandbox(void *self, const kube_cri_sandbox_filter *f, kube_cri_sandbox_list *out)
{
	rt *r = self;
	pthread_mutex_lock(&r->mu);
	size_t n = 0;
	for (sandbox *s = r->sandboxes; s; s = s->next)
		n++;
	int rc = 0;
	if (n && !(out->items = rt_host->calloc(n, sizeof(*out->items))))
		rc = KUBE_ENOMEM;
	for (sandbox *s = r->sandboxes; s && !rc; s = s->next) {
		if (f && !empty(f->id) && strcmp(f->id, s->id) != 0)
			continue;
		if (f && f->has_state && f->state != s->state)
			continue;
		if (f && !kvs_match(&s->labels, f->label_selector, f->n_label_selector))
			continue;
		kube_cri_sandbox *it = &out->items[out->n_items++];
		it->id = hdup(s->id);
		it->metadata.name = hdup(s->name);
		it->metadata.uid = hdup(s->uid);
		it->metadata.ns = hdup(s->ns);
		it->metadata.attempt = s->attempt;
		it->state = s->state;
		it->created_at = s->created_at;
		if (!it->id || !it->metadata.name || !it->metadata.uid || !it->metadata.ns ||
		    kvs_out(&it->labels, &it->n_labels, &s->labels) ||
		    kvs_out(&it->annotations, &it->n_annotations, &s->annotations))
			rc = KUBE_ENOMEM;
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

/* ---- containers ---- */

static const char *const cap_names[] = {
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
	"SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
	"LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
	"WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};
#define N_CAPS (sizeof(cap_names) / sizeof(cap_names[0]))

/* "NET_BIND_SERVICE", "CAP_NET_BIND_SERVICE" or "ALL" -> a mask; 0 for unknown. */
static uint64_t cap_mask(const char *name)
{
	if (!name)
		return 0;
	if (strncmp(name, "CAP_", 4) == 0)
		name += 4;
	if (strcmp(name, "ALL") == 0)
		return (UINT64_C(1) << N_CAPS) - 1;
	for (size_t i = 0; i < N_CAPS; i++)
		if (strcmp(cap_names[i], name) == 0)
			return UINT64_C(1) << i;
	return 0;
}

/* Parses an image's "uid[:gid]"; names need /etc/passwd, which this runtime does not read. */
static int parse_user(const char *user, uid_t *uid, gid_t *gid)
{
	if (empty(user))
		return 0;
	char *end;
	unsigned long u = strtoul(user, &end, 10);
	if (end == user || (*end && *end != ':'))
		return rt_fail(KUBE_ENOTSUP, "runtime-process: image user \"%s\" is not numeric", user);
	*uid = (uid_t)u;
	*gid = (gid_t)u;
	if (*end == ':') {
		const char *g = end + 1;
		unsigned long gv = strtoul(g, &end, 10);
		if (end == g || *end)
			return rt_fail(KUBE_ENOTSUP, "runtime-process: image group in \"%s\" is not numeric", user);
		*gid = (gid_t)gv;
	}
	return 0;
}

/* "<rootfs><path>", refusing ".." and any symlink on the way (it could lead out). */
static int container_path(char *out, size_t cap, const char *rootfs, const char *path)
{
	if (empty(path) || path[0] != '/')
		return rt_fail(KUBE_EINVAL, "runtime-process: mount path \"%s\" is not absolute", path ? path : "");
	if (strstr(path, "/../") || (strlen(path) >= 3 && strcmp(path + strlen(path) - 3, "/..") == 0))
		return rt_fail(KUBE_EINVAL, "runtime-process: mount path \"%s\" has \"..\"", path);
	if (snprintf(out, cap, "%s%s", rootfs, path) >= (int)cap)
		return rt_fail(KUBE_EINVAL, "runtime-process: mount path too long");
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", out);
	for (char *s = p + strlen(rootfs) + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char save = *s;
			*s = '\0';
			struct stat st;
			if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode))
				return rt_fail(KUBE_EINVAL, "runtime-process: mount path \"%s\" goes through a "
				               "symlink of the image", path);
			*s = save;
			if (!save)
				break;
		}
	}
	return 0;
}

static char **strv_new(size_t n)
{
	return calloc(n + 1, sizeof(char *));
}

/* argv as containerd builds it: command (or the image entrypoint) then args (or cmd). */
static int build_argv(container *c, const kube_cri_container_config *cfg, const rt_image *img)
{
	char *const *head = cfg->n_command ? cfg->command : img->entrypoint;
	size_t nh = cfg->n_command ? cfg->n_command : img->n_entrypoint;
	char *const *tail = cfg->n_args ? cfg->args : (cfg->n_command ? NULL : img->cmd);
	size_t nt = cfg->n_args ? cfg->n_args : (cfg->n_command ? 0 : img->n_cmd);
	if (nh + nt == 0)
		return rt_fail(KUBE_EINVAL, "runtime-process: no command: neither the container nor the image has one");
	if (!(c->argv = strv_new(nh + nt)))
		return KUBE_ENOMEM;
	for (size_t i = 0; i < nh + nt; i++) {
		const char *s = i < nh ? head[i] : tail[i - nh];
		if (!(c->argv[i] = strdup(s ? s : "")))
			return KUBE_ENOMEM;
	}
	return 0;
}

static int build_env(container *c, const kube_cri_container_config *cfg, const rt_image *img)
{
	size_t n = img->n_env + cfg->n_envs + 2;
	if (!(c->envp = strv_new(n)))
		return KUBE_ENOMEM;
	size_t k = 0;
	int has_path = 0;
	for (size_t i = 0; i < img->n_env + cfg->n_envs; i++) {
		char *s;
		if (i < img->n_env) {
			s = strdup(img->env[i]);
		} else {
			const kube_cri_kv *kv = &cfg->envs[i - img->n_env];
			size_t l = strlen(kv->key ? kv->key : "") + strlen(kv->value ? kv->value : "") + 2;
			if ((s = malloc(l)))
				snprintf(s, l, "%s=%s", kv->key ? kv->key : "", kv->value ? kv->value : "");
		}
		if (!s)
			return KUBE_ENOMEM;
		/* A later value of the same name replaces the earlier one. */
		size_t kl = strcspn(s, "=");
		size_t j;
		for (j = 0; j < k; j++)
			if (strncmp(c->envp[j], s, kl + 1) == 0)
				break;
		if (j < k) {
			free(c->envp[j]);
			c->envp[j] = s;
		} else {
			c->envp[k++] = s;
		}
		has_path |= strncmp(s, "PATH=", 5) == 0;
	}
	if (!has_path && !(c->envp[k++] = strdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")))
		return KUBE_ENOMEM;
	return 0;
}

static int place(pid_t pid, void *arg)
{
	return rt_cgroup_add(arg, pid);
}

static int prepare(rt *r, container *c, const sandbox *s, const kube_cri_container_config *cfg,
                   const rt_image *img)
{
	int rc;
	rt_launch *l = &c->launch;
	if ((rc = build_argv(c, cfg, img)) || (rc = build_env(c, cfg, img)))
		return rc;
	uid_t uid = 0;
	gid_t gid = 0;
	if ((rc = parse_user(img->user, &uid, &gid)))
		return rc;
	if (!empty(cfg->linux_run_as_username))
		return rt_fail(KUBE_ENOTSUP, "runtime-process: run_as_username needs /etc/passwd; give run_as_user");
	if (cfg->linux_run_as_user.set)
		uid = (uid_t)cfg->linux_run_as_user.value, gid = cfg->linux_run_as_group.set ? gid : 0;
	if (cfg->linux_run_as_group.set)
		gid = (gid_t)cfg->linux_run_as_group.value;
	if (cfg->n_linux_supplemental_groups) {
		if (!(c->groups = calloc(cfg->n_linux_supplemental_groups, sizeof(gid_t))))
			return KUBE_ENOMEM;
		for (size_t i = 0; i < cfg->n_linux_supplemental_groups; i++)
			c->groups[i] = (gid_t)cfg->linux_supplemental_groups[i];
	}
	/* No capabilities unless asked for: drop applies after add, "ALL" included. */
	uint64_t caps = 0;
	for (size_t i = 0; i < cfg->n_linux_add_capabilities; i++) {
		uint64_t m = cap_mask(cfg->linux_add_capabilities[i]);
		if (!m)
			return rt_fail(KUBE_EINVAL, "runtime-process: unknown capability \"%s\"",
			               cfg->linux_add_capabilities[i]);
		caps |= m;
	}
	for (size_t i = 0; i < cfg->n_linux_drop_capabilities; i++)
		caps &= ~cap_mask(cfg->linux_drop_capabilities[i]);
	const struct sock_fprog *filter = NULL;
	const kube_cri_security_profile *sp = cfg->linux_seccomp;
	if (cfg->linux_privileged) {
		caps = cap_mask("ALL");
	} else if (sp && sp->profile_type == KUBE_CRI_PROFILE_LOCALHOST) {
		return rt_fail(KUBE_ENOTSUP, "runtime-process: Localhost seccomp profiles are not supported");
	} else if (!sp || sp->profile_type == KUBE_CRI_PROFILE_RUNTIME_DEFAULT) {
		if ((rc = rt_seccomp_default(&filter)))
			return rc;
	}
	const char *wd = !empty(cfg->working_dir) ? cfg->working_dir : img->workdir;
	if (!empty(wd) && !(c->cwd = strdup(wd)))
		return KUBE_ENOMEM;
	if (cfg->n_mounts) {
		if (!(c->binds = calloc(cfg->n_mounts, sizeof(*c->binds))) ||
		    !(c->mounts = calloc(cfg->n_mounts, sizeof(*c->mounts))))
			return KUBE_ENOMEM;
		for (size_t i = 0; i < cfg->n_mounts; i++) {
			const kube_cri_mount *m = &cfg->mounts[i];
			char target[PATH_MAX];
			if (empty(m->host_path) || m->host_path[0] != '/')
				return rt_fail(KUBE_EINVAL, "runtime-process: mount host path \"%s\" is not absolute",
				               m->host_path ? m->host_path : "");
			if ((rc = container_path(target, sizeof(target), c->rootfs, m->container_path)))
				return rc;
			c->binds[i].readonly = m->readonly;
			c->mounts[i].readonly = m->readonly;
			c->mounts[i].propagation = m->propagation;
			c->n_binds = c->n_mounts = i + 1;
			if (!(c->binds[i].source = strdup(m->host_path)) || !(c->binds[i].target = strdup(target)) ||
			    !(c->mounts[i].host_path = strdup(m->host_path)) ||
			    !(c->mounts[i].container_path = strdup(m->container_path)))
				return KUBE_ENOMEM;
		}
	}
	memset(l, 0, sizeof(*l));
	l->rootfs = c->rootfs;
	l->hostname = NULL;   /* the pod's uts namespace has it */
	for (int i = 0; i < 3; i++) {
		/* The container's own copies: the sandbox may go while it is being made. */
		int fd = s->nsfd[i] >= 0 ? fcntl(s->nsfd[i], F_DUPFD_CLOEXEC, 3) : -1;
		if (s->nsfd[i] >= 0 && fd < 0)
			return rt_fail(KUBE_EIO, "runtime-process: dup: %s", strerror(errno));
		*(i == 0 ? &l->ns_net : i == 1 ? &l->ns_ipc : &l->ns_uts) = fd;
	}
	l->argv = c->argv;
	l->envp = c->envp;
	l->cwd = c->cwd;
	l->host_network = s->host_network;
	l->uid = uid;
	l->gid = gid;
	l->groups = c->groups;
	l->n_groups = cfg->n_linux_supplemental_groups;
	l->readonly_rootfs = cfg->linux_readonly_rootfs;
	l->caps = caps;
	l->binds = c->binds;
	l->n_binds = c->n_binds;
	l->filter = filter;
	l->out_fd = l->err_fd = -1;
	(void)r;
	return 0;
}

static int rt_create_container(void *self, const char *sandbox_id, const kube_cri_container_config *cfg,
                               const kube_cri_sandbox_config *scfg, char **out_id)
{
	(void)scfg;   /* the sandbox keeps what it was run with */
	rt *r = self;
	if (!cfg || empty(cfg->metadata.name) || empty(cfg->image))
		return rt_fail(KUBE_EINVAL, "runtime-process: CreateContainer needs metadata name and an image");
	container *c = calloc(1, sizeof(*c));
	if (!c)
		return KUBE_ENOMEM;
	c->refs = 1;
	c->child.ctl_fd = c->child.status_fd = -1;
	c->launch.ns_net = c->launch.ns_ipc = c->launch.ns_uts = -1;
	new_id(c->id);
	c->state = KUBE_CRI_CONTAINER_CREATED;
	c->created_at = rt_now_ns();
	c->attempt = cfg->metadata.attempt;
	int rc = 0;
	char dir[PATH_MAX + 96], rootfs[PATH_MAX + 112], rel[PATH_MAX + 96];
	char *image_rootfs = NULL;
	snprintf(dir, sizeof(dir), "%s/containers/%s", r->root, c->id);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);

	pthread_mutex_lock(&r->mu);
	sandbox *s = find_sandbox(r, sandbox_id);
	rt_image *img = find_image(r, cfg->image);
	if (!s)
		rc = rt_fail(KUBE_ENOTFOUND, "runtime-process: no sandbox %s", sandbox_id ? sandbox_id : "");
	else if (s->state != KUBE_CRI_SANDBOX_READY)
		rc = rt_fail(KUBE_ECONFLICT, "runtime-process: sandbox %s is not ready", s->id);
	else if (!img)
		rc = rt_fail(KUBE_ENOTFOUND, "runtime-process: image \"%s\" has not been pulled", cfg->image);
	for (container *o = r->containers; o && !rc; o = o->next)
		if (strcmp(o->sandbox_id, s->id) == 0 && strcmp(o->name, cfg->metadata.name) == 0 &&
		    o->attempt == c->attempt)
			rc = rt_fail(KUBE_EEXISTS, "runtime-process: container \"%s\" attempt %u exists in "
			             "sandbox %s: %s", o->name, o->attempt, s->id, o->id);
	if (!rc) {
		memcpy(c->sandbox_id, s->id, sizeof(c->sandbox_id));
		snprintf(rel, sizeof(rel), "%s/%s", s->cgroup_rel, c->id);
		if (!(c->name = strdup(cfg->metadata.name)) || !(c->image = strdup(cfg->image)) ||
		    !(c->image_ref = strdup(img->id)) || !(c->dir = strdup(dir)) ||
		    !(c->rootfs = strdup(rootfs)) || !(image_rootfs = strdup(img->rootfs)) ||
		    kvs_copy(&c->labels, cfg->labels, cfg->n_labels) ||
		    kvs_copy(&c->annotations, cfg->annotations, cfg->n_annotations))
			rc = KUBE_ENOMEM;
		if (!rc && !empty(s->log_dir) && !empty(cfg->log_path)) {
			size_t ll = strlen(s->log_dir) + strlen(cfg->log_path) + 2;
			if ((c->log_path = malloc(ll)))
				snprintf(c->log_path, ll, "%s/%s", s->log_dir, cfg->log_path);
			else
				rc = KUBE_ENOMEM;
		}
		if (!rc && rt_mkdir_p(rootfs, 0755) != 0)
			rc = rt_fail(KUBE_EIO, "runtime-process: %s: %s", rootfs, strerror(errno));
		if (!rc)
			rc = prepare(r, c, s, cfg, img);
		/* The sandbox's strings are borrowed by the launch: copy what outlives the lock. */
		if (!rc && c->launch.hostname) {
			c->hostname = strdup(c->launch.hostname);
			c->launch.hostname = c->hostname;
			if (!c->hostname)
				rc = KUBE_ENOMEM;
		}
	}
	pthread_mutex_unlock(&r->mu);

	int pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	if (!rc && rt_copy_tree(image_rootfs, rootfs) != 0)
		rc = rt_fail(KUBE_EIO, "runtime-process: copying the image into %s: %s", rootfs, strerror(errno));
	free(image_rootfs);
	if (!rc && cfg->linux_resources) {
		size_t n = cfg->linux_resources->struct_size < sizeof(c->res) ? cfg->linux_resources->struct_size
		                                                               : sizeof(c->res);
		memcpy(&c->res, cfg->linux_resources, n);
		c->res.cpuset_cpus = c->res.cpuset_mems = NULL;
		c->res.hugepage_limits = NULL;
		c->res.n_hugepage_limits = 0;
		c->res.unified = NULL;
		c->res.n_unified = 0;
	}
	if (!rc)
		rc = rt_cgroup_create(&c->cg, rel);
	if (!rc)
		rc = rt_cgroup_limit(&c->cg, cfg->linux_resources);
	if (!rc)
		rt_cgroup_procs_paths(&c->cg, c->launch.cgroup_procs);
	if (!rc && (pipe2(pout, O_CLOEXEC) != 0 || pipe2(perr, O_CLOEXEC) != 0))
		rc = rt_fail(KUBE_EIO, "runtime-process: pipe: %s", strerror(errno));
	if (!rc) {
		c->launch.out_fd = pout[1];
		c->launch.err_fd = perr[1];
		rc = rt_spawn(&c->child, &c->launch, place, &c->cg);
	}
	int *nsfd[3] = { &c->launch.ns_net, &c->launch.ns_ipc, &c->launch.ns_uts };
	for (int i = 0; i < 3; i++) {
		if (*nsfd[i] >= 0)
			close(*nsfd[i]);   /* the child has joined them, or is gone */
		*nsfd[i] = -1;
	}
	if (pout[1] >= 0)
		close(pout[1]);
	if (perr[1] >= 0)
		close(perr[1]);
	c->launch.out_fd = c->launch.err_fd = -1;
	if (!rc) {
		rc = rt_logger_start(&c->logger, c->log_path, pout[0], perr[0]);
		pout[0] = perr[0] = -1;
		if (rc) {
			kill(c->child.pid, SIGKILL);
			waitpid(c->child.pid, NULL, 0);
		}
	}
	if (pout[0] >= 0)
		close(pout[0]);
	if (perr[0] >= 0)
		close(perr[0]);
	void **arg = NULL;
	if (!rc && !(arg = malloc(2 * sizeof(void *)))) {
		rc = KUBE_ENOMEM;
	}
	if (!rc) {
		arg[0] = r;
		arg[1] = c;
		if (pthread_create(&c->waiter, NULL, waiter, arg) != 0) {
			free(arg);
			rc = rt_fail(KUBE_ERROR, "runtime-process: cannot start the waiter thread");
		} else {
			c->has_waiter = 1;
		}
		if (rc) {
			kill(c->child.pid, SIGKILL);
			waitpid(c->child.pid, NULL, 0);
			rt_logger_join(c->logger);
			c->logger = NULL;
		}
	}
	if (!rc && !(*out_id = hdup(c->id)))
		rc = KUBE_ENOMEM;   /* the container exists; removed below */
	pthread_mutex_lock(&r->mu);
	c->next = r->containers;
	r->containers = c;
	if (rc)
		remove_locked(r, c);
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static int rt_start_container(void *self, const char *id)
{
	rt *r = self;
	pthread_mutex_lock(&r->mu);
	container *c = find_container(r, id);
	int rc = 0;
	if (!c)
		rc = rt_fail(KUBE_ENOTFOUND, "runtime-process: no container %s", id ? id : "");
	else if (c->state != KUBE_CRI_CONTAINER_CREATED || c->exited || c->child.ctl_fd < 0)
		rc = rt_fail(KUBE_ECONFLICT, "runtime-process: container %s is not in the CREATED state", id);
	if (!rc) {
		c->refs++;
		c->state = KUBE_CRI_CONTAINER_RUNNING;
		c->started_at = rt_now_ns();
	}
	pthread_mutex_unlock(&r->mu);
	if (rc)
		return rc;
	rc = rt_spawn_start(&c->child);
	if (rc) {
		pthread_mutex_lock(&r->mu);
		free(c->message);
		c->message = strdup("the container's command could not be started");
		kill_and_wait(r, c);
		c->state = KUBE_CRI_CONTAINER_EXITED;
		c->exit_code = 128;
		c->reason = "StartError";
		pthread_mutex_unlock(&r->mu);
	}
	container_unref(r, c);
	return rc;
}

static int rt_stop_container(void *self, const char *id, int64_t timeout)
{
	rt *r = self;
	if (empty(id))
		return rt_fail(KUBE_EINVAL, "runtime-process: StopContainer needs an id");
	pthread_mutex_lock(&r->mu);
	container *c = find_container(r, id);
	int rc = 0;
	if (c) {
		c->refs++;
		rc = stop_locked(r, c, timeout);
	}
	pthread_mutex_unlock(&r->mu);
	if (c)
		container_unref(r, c);
#ifdef RT_BREAK_IDEMPOTENCY
	if (!c)
		return rt_fail(KUBE_ENOTFOUND, "runtime-process: no container %s", id);
#endif
	return rc;
}

static int rt_remove_container(void *self, const char *id)
{
	rt *r = self;
	if (empty(id))
		return rt_fail(KUBE_EINVAL, "runtime-process: RemoveContainer needs an id");
	pthread_mutex_lock(&r->mu);
	container *c = find_container(r, id);
	if (c)
		remove_locked(r, c);
	pthread_mutex_unlock(&r->mu);
#ifdef RT_BREAK_IDEMPOTENCY
	if (!c)
		return rt_fail(KUBE_ENOTFOUND, "runtime-process: no container %s", id);
#endif
	return 0;
}

static int container_out(const container *c, kube_cri_container *it)
{
	it->id = hdup(c->id);
	it->pod_sandbox_id = hdup(c->sandbox_id);
	it->metadata.name = hdup(c->name);
	it->metadata.attempt = c->attempt;
	it->image = hdup(c->image);
	it->image_ref = hdup(c->image_ref);
	it->state = c->state;
	it->created_at = c->created_at;
	if (!it->id || !it->pod_sandbox_id || !it->metadata.name || !it->image || !it->image_ref ||
	    kvs_out(&it->labels, &it->n_labels, &c->labels) ||
	    kvs_out(&it->annotations, &it->n_annotations, &c->annotations))
		return KUBE_ENOMEM;
	return 0;
}

static int rt_list_containers(void *self, const kube_cri_container_filter *f, kube_cri_container_list *out)
{
	rt *r = self;
	pthread_mutex_lock(&r->mu);
	size_t n = 0;
	for (container *c = r->containers; c; c = c->next)
		n++;
	int rc = 0;
	if (n && !(out->items = rt_host->calloc(n, sizeof(*out->items))))
		rc = KUBE_ENOMEM;
	for (container *c = r->containers; c && !rc; c = c->next) {
		if (f && !empty(f->id) && strcmp(f->id, c->id) != 0)
			continue;
		if (f && f->has_state && f->state != c->state)
			continue;
		if (f && !empty(f->pod_sandbox_id) && strcmp(f->pod_sandbox_id, c->sandbox_id) != 0)
			continue;
		if (f && !kvs_match(&c->labels, f->label_selector, f->n_label_selector))
			continue;
		rc = container_out(c, &out->items[out->n_items++]);
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static int rt_container_status(void *self, const char *id, int verbose, kube_cri_container_status *out)
{
	(void)verbose;
	rt *r = self;
	pthread_mutex_lock(&r->mu);
	container *c = find_container(r, id);
	if (!c) {
		pthread_mutex_unlock(&r->mu);
		return rt_fail(KUBE_ENOTFOUND, "runtime-process: no container %s", id ? id : "");
	}
	int rc = 0;
	out->id = hdup(c->id);
	out->metadata.name = hdup(c->name);
	out->metadata.attempt = c->attempt;
	out->state = c->state;
	out->created_at = c->created_at;
	out->started_at = c->started_at;
	out->finished_at = c->finished_at;
	out->exit_code = c->exit_code;
	out->image = hdup(c->image);
	out->image_ref = hdup(c->image_ref);
	out->reason = c->reason ? hdup(c->reason) : NULL;
	out->log_path = c->log_path ? hdup(c->log_path) : NULL;
	if (!out->id || !out->metadata.name || !out->image || !out->image_ref ||
	    (c->reason && !out->reason) || (c->log_path && !out->log_path) ||
	    kvs_out(&out->labels, &out->n_labels, &c->labels) ||
	    kvs_out(&out->annotations, &out->n_annotations, &c->annotations))
		rc = KUBE_ENOMEM;
	if (!rc && c->n_mounts) {
		if (!(out->mounts = rt_host->calloc(c->n_mounts, sizeof(*out->mounts))))
			rc = KUBE_ENOMEM;
		for (size_t i = 0; i < c->n_mounts && !rc; i++) {
			out->n_mounts = i + 1;
			out->mounts[i] = c->mounts[i];
			out->mounts[i].container_path = hdup(c->mounts[i].container_path);
			out->mounts[i].host_path = hdup(c->mounts[i].host_path);
			if (!out->mounts[i].container_path || !out->mounts[i].host_path)
				rc = KUBE_ENOMEM;
		}
	}
	if (!rc && c->res.struct_size) {
		if (!(out->linux_resources = rt_host->calloc(1, sizeof(*out->linux_resources))))
			rc = KUBE_ENOMEM;
		else
			*out->linux_resources = c->res, out->linux_resources->struct_size = sizeof(c->res);
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static int rt_update_container_resources(void *self, const char *id, const kube_cri_linux_resources *res)
{
	rt *r = self;
	pthread_mutex_lock(&r->mu);
	container *c = find_container(r, id);
	int rc = 0;
	if (!c)
		rc = rt_fail(KUBE_ENOTFOUND, "runtime-process: no container %s", id ? id : "");
	else if (c->state == KUBE_CRI_CONTAINER_EXITED)
		rc = rt_fail(KUBE_ECONFLICT, "runtime-process: container %s has exited", id);
	else if (res && !(rc = rt_cgroup_limit(&c->cg, res))) {
		c->res.cpu_period = res->cpu_period;
		c->res.cpu_quota = res->cpu_quota;
		c->res.cpu_shares = res->cpu_shares;
		c->res.memory_limit_in_bytes = res->memory_limit_in_bytes;
		c->res.struct_size = sizeof(c->res);
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static int rt_reopen_container_log(void *self, const char *id)
{
	rt *r = self;
	pthread_mutex_lock(&r->mu);
	container *c = find_container(r, id);
	int rc;
	if (!c)
		rc = rt_fail(KUBE_ENOTFOUND, "runtime-process: no container %s", id ? id : "");
	else if (c->state != KUBE_CRI_CONTAINER_RUNNING || !c->logger)
		rc = rt_fail(KUBE_ECONFLICT, "runtime-process: container %s is not running", id);
	else
		rc = rt_logger_reopen(c->logger);
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static int rt_exec_sync_call(void *self, const char *id, const char *const *cmd, size_t n_cmd,
                             int64_t timeout, kube_cri_exec_result *out)
{
	rt *r = self;
	if (!cmd || !n_cmd || empty(cmd[0]))
		return rt_fail(KUBE_EINVAL, "runtime-process: ExecSync needs a command");
	pthread_mutex_lock(&r->mu);
	container *c = find_container(r, id);
	int rc = 0;
	if (!c)
		rc = rt_fail(KUBE_ENOTFOUND, "runtime-process: no container %s", id ? id : "");
	else if (c->state != KUBE_CRI_CONTAINER_RUNNING || c->exited)
		rc = rt_fail(KUBE_ECONFLICT, "runtime-process: container %s is not running", id);
	rt_launch l;
	if (!rc) {
		c->refs++;
		l = c->launch;
	}
	pthread_mutex_unlock(&r->mu);
	if (rc)
		return rc;
	char **argv = strv_new(n_cmd);
	if (!argv) {
		container_unref(r, c);
		return KUBE_ENOMEM;
	}
	for (size_t i = 0; i < n_cmd; i++)
		argv[i] = (char *)(cmd[i] ? cmd[i] : "");
	l.argv = argv;
	rc = rt_exec_sync(c->child.pid, &l, timeout, out);
	free(argv);
	container_unref(r, c);
	return rc;
}

static int stats_out(const container *c, kube_cri_container_stats *it)
{
	rt_cg_stats st;
	rt_cgroup_stats(&c->cg, &st);
	int64_t now = rt_now_ns();
	it->id = hdup(c->id);
	it->metadata.name = hdup(c->name);
	it->metadata.attempt = c->attempt;
	if (st.has_cpu) {
		it->has_cpu = 1;
		it->cpu.timestamp = now;
		it->cpu.usage_core_nano_seconds.value = st.cpu_ns;
		it->cpu.usage_core_nano_seconds.set = 1;
	}
	if (st.has_mem) {
		it->has_memory = 1;
		it->memory.timestamp = now;
		it->memory.working_set_bytes = (kube_cri_uint64){ .value = st.mem_working_set, .set = 1 };
		it->memory.usage_bytes = (kube_cri_uint64){ .value = st.mem_usage, .set = 1 };
		it->memory.rss_bytes = (kube_cri_uint64){ .value = st.mem_rss, .set = 1 };
		it->memory.page_faults = (kube_cri_uint64){ .value = st.pgfault, .set = 1 };
		it->memory.major_page_faults = (kube_cri_uint64){ .value = st.pgmajfault, .set = 1 };
		if (c->res.memory_limit_in_bytes > 0) {
			uint64_t lim = (uint64_t)c->res.memory_limit_in_bytes;
			it->memory.available_bytes = (kube_cri_uint64){
				.value = lim > st.mem_working_set ? lim - st.mem_working_set : 0, .set = 1 };
		}
	}
	if (!it->id || !it->metadata.name || kvs_out(&it->labels, &it->n_labels, &c->labels) ||
	    kvs_out(&it->annotations, &it->n_annotations, &c->annotations))
		return KUBE_ENOMEM;
	return 0;
}

static int rt_container_stats(void *self, const char *id, kube_cri_container_stats_list *out)
{
	rt *r = self;
	pthread_mutex_lock(&r->mu);
	container *c = find_container(r, id);
	int rc = 0;
	if (!c)
		rc = rt_fail(KUBE_ENOTFOUND, "runtime-process: no container %s", id ? id : "");
	else if (!(out->items = rt_host->calloc(1, sizeof(*out->items))))
		rc = KUBE_ENOMEM;
	else
		out->n_items = 1, rc = stats_out(c, &out->items[0]);
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static int rt_list_container_stats(void *self, const kube_cri_container_stats_filter *f,
                                   kube_cri_container_stats_list *out)
{
	rt *r = self;
	pthread_mutex_lock(&r->mu);
	size_t n = 0;
	for (container *c = r->containers; c; c = c->next)
		n++;
	int rc = 0;
	if (n && !(out->items = rt_host->calloc(n, sizeof(*out->items))))
		rc = KUBE_ENOMEM;
	for (container *c = r->containers; c && !rc; c = c->next) {
		if (f && !empty(f->id) && strcmp(f->id, c->id) != 0)
			continue;
		if (f && !empty(f->pod_sandbox_id) && strcmp(f->pod_sandbox_id, c->sandbox_id) != 0)
			continue;
		if (f && !kvs_match(&c->labels, f->label_selector, f->n_label_selector))
			continue;
		rc = stats_out(c, &out->items[out->n_items++]);
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static int rt_update_runtime_config(void *self, const char *pod_cidr)
{
	/* No pod network to configure: containers have loopback or the host's network. */
	(void)self;
	(void)pod_cidr;
	return 0;
}

/* ---- ImageService ---- */

static int image_out(const rt_image *img, kube_cri_image *it)
{
	it->id = hdup(img->id);
	it->size = img->size;
	it->spec_image = hdup(img->id);
	if (!it->id || !it->spec_image)
		return KUBE_ENOMEM;
	if (img->n_tags) {
		if (!(it->repo_tags = rt_host->calloc(img->n_tags, sizeof(char *))))
			return KUBE_ENOMEM;
		for (size_t t = 0; t < img->n_tags; t++) {
			it->n_repo_tags = t + 1;
			if (!(it->repo_tags[t] = hdup(img->tags[t])))
				return KUBE_ENOMEM;
		}
	}
	uid_t uid = 0;
	gid_t gid = 0;
	if (!empty(img->user) && parse_user(img->user, &uid, &gid) == 0)
		it->uid = (kube_cri_int64){ .value = uid, .set = 1 };
	else if (!empty(img->user) && !(it->username = hdup(img->user)))
		return KUBE_ENOMEM;
	return 0;
}

static int rt_list_images(void *self, const char *filter, kube_cri_image_list *out)
{
	rt *r = self;
	pthread_mutex_lock(&r->mu);
	int rc = 0;
	if (r->n_images && !(out->items = rt_host->calloc(r->n_images, sizeof(*out->items))))
		rc = KUBE_ENOMEM;
	rt_image *only = empty(filter) ? NULL : find_image(r, filter);
	for (size_t i = 0; i < r->n_images && !rc; i++) {
		if (!empty(filter) && r->images[i] != only)
			continue;
		rc = image_out(r->images[i], &out->items[out->n_items++]);
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static int rt_image_status(void *self, const char *image, int verbose, kube_cri_image_status *out)
{
	(void)verbose;
	rt *r = self;
	pthread_mutex_lock(&r->mu);
	rt_image *img = find_image(r, image);
	int rc = img ? image_out(img, &out->image)
	             : rt_fail(KUBE_ENOTFOUND, "runtime-process: no image \"%s\"", image ? image : "");
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static int rt_pull_image(void *self, const char *image, const kube_cri_auth_config *auth,
                         const kube_cri_sandbox_config *scfg, char **out_ref)
{
	(void)auth;   /* no registries */
	(void)scfg;
	rt *r = self;
	if (empty(image))
		return rt_fail(KUBE_EINVAL, "runtime-process: PullImage needs an image");
	rt_image *img = NULL;
	/* Pulls of one image serialise on the instance lock: unpacking twice at once would collide. */
	pthread_mutex_lock(&r->mu);
	int rc = rt_image_pull(&img, image, r->image_path, r->images_dir);
	if (!rc) {
		rt_image *have = NULL;
		for (size_t i = 0; i < r->n_images && !have; i++)
			if (strcmp(r->images[i]->id, img->id) == 0)
				have = r->images[i];
		if (have) {
			int tagged = 0;
			for (size_t t = 0; t < have->n_tags; t++)
				tagged |= strcmp(have->tags[t], image) == 0;
			char **nt = tagged ? have->tags : realloc(have->tags, (have->n_tags + 1) * sizeof(char *));
			if (!nt) {
				rc = KUBE_ENOMEM;
			} else if (!tagged) {
				have->tags = nt;
				if (!(have->tags[have->n_tags] = strdup(image)))
					rc = KUBE_ENOMEM;
				else
					have->n_tags++;
			}
			rt_image_free(img);
			img = have;
		} else {
			rt_image **ni = realloc(r->images, (r->n_images + 1) * sizeof(*ni));
			if (!ni) {
				rt_image_free(img);
				img = NULL;
				rc = KUBE_ENOMEM;
			} else {
				r->images = ni;
				r->images[r->n_images++] = img;
			}
		}
	}
	if (!rc && !(*out_ref = hdup(img->id)))
		rc = KUBE_ENOMEM;
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static int rt_remove_image(void *self, const char *image)
{
	rt *r = self;
	if (empty(image))
		return rt_fail(KUBE_EINVAL, "runtime-process: RemoveImage needs an image");
	pthread_mutex_lock(&r->mu);
	rt_image *img = find_image(r, image);
	char *dir = NULL;
	if (img) {
		/* Containers run from copies, so an image in use can go. */
		for (size_t i = 0; i < r->n_images; i++) {
			if (r->images[i] == img) {
				r->images[i] = r->images[--r->n_images];
				break;
			}
		}
		dir = img->rootfs ? strdup(img->rootfs) : NULL;
		rt_image_free(img);
	}
	pthread_mutex_unlock(&r->mu);
	if (dir) {
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';   /* <images>/<hex> */
		rt_remove_tree(dir);
		free(dir);
	}
	return 0;
}

static __thread uint64_t du_total, du_inodes;

static int du_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)flag;
	(void)ftw;
	du_total += (uint64_t)st->st_blocks * 512;
	du_inodes++;
	return 0;
}

static int rt_image_fs_info(void *self, kube_cri_fs_info *out)
{
	rt *r = self;
	du_total = du_inodes = 0;
	pthread_mutex_lock(&r->mu);
	nftw(r->images_dir, du_entry, 32, FTW_PHYS | FTW_MOUNT);
	pthread_mutex_unlock(&r->mu);
	if (!(out->image_filesystems = rt_host->calloc(1, sizeof(*out->image_filesystems))))
		return KUBE_ENOMEM;
	out->n_image_filesystems = 1;
	kube_cri_filesystem_usage *u = &out->image_filesystems[0];
	u->timestamp = rt_now_ns();
	u->used_bytes = (kube_cri_uint64){ .value = du_total, .set = 1 };
	u->inodes_used = (kube_cri_uint64){ .value = du_inodes, .set = 1 };
	return (u->mountpoint = hdup(r->images_dir)) ? 0 : KUBE_ENOMEM;
}

/* ---- the entry point ---- */

static const kube_runtime_driver vtable = {
	.abi_version = KUBE_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(kube_runtime_driver),
	.open = rt_open,
	.close = rt_close,
	.version = rt_version,
	.status = rt_status,
	.run_pod_sandbox = rt_run_pod_sandbox,
	.stop_pod_sandbox = rt_stop_pod_sandbox,
	.remove_pod_sandbox = rt_remove_pod_sandbox,
	.pod_sandbox_status = rt_pod_sandbox_status,
	.list_pod_sandbox = rt_list_pod_sandbox,
	.create_container = rt_create_container,
	.start_container = rt_start_container,
	.stop_container = rt_stop_container,
	.remove_container = rt_remove_container,
	.list_containers = rt_list_containers,
	.container_status = rt_container_status,
	.update_container_resources = rt_update_container_resources,
	.reopen_container_log = rt_reopen_container_log,
	.exec_sync = rt_exec_sync_call,
	.container_stats = rt_container_stats,
	.list_container_stats = rt_list_container_stats,
	.update_runtime_config = rt_update_runtime_config,
	.list_images = rt_list_images,
	.image_status = rt_image_status,
	.pull_image = rt_pull_image,
	.remove_image = rt_remove_image,
	.image_fs_info = rt_image_fs_info,
};

static const kube_plugin_descriptor descriptor = {
	.abi_major = KUBE_PLUGIN_ABI_MAJOR,
	.abi_minor = KUBE_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(kube_plugin_descriptor),
	.name = PLUGIN_NAME,
	.version = PLUGIN_VERSION,
	.kind = KUBE_PLUGIN_RUNTIME,
	.vtable = &vtable,
};

KUBE_PLUGIN_DEFINE_ENTRY(h)
{
	if (!h || KUBE_PLUGIN_ABI_MAJOR_OF(h->abi_version) != KUBE_PLUGIN_ABI_MAJOR ||
	    !KUBE_HOST_HAS(h, error_set))
		return NULL;
	rt_host = h;
	return &descriptor;
}
