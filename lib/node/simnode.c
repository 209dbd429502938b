/*
 * simnode.c - a pool of nodes over a store: Node objects, Lease heartbeats,
 * and pods bound to the nodes taken to Running/Ready through a runtime
 * vtable (the simulated runtime when the embedder gives none).
 *
 * One pod watch serves the whole pool, with the field selector
 * spec.nodeName!= so unbound pods never reach it; a node's index comes
 * from its name (<prefix><1..count>) without a lookup table.  Every pod
 * the pool has handed to the runtime has an entry, found by uid:
 *
 *   pods watch ──ADDED/MODIFIED, ours, not running──▶ entry STARTING ──start_pod──▶ runtime
 *   runtime ──done(0)──▶ status write (async, group commit) ──▶ entry RUNNING
 *   pods watch ──DELETED──▶ stop_pod, entry dropped (or left to its done)
 *
 * The entry stays while the pod exists, so a stale MODIFIED event of the
 * Pending version that arrives after the pool wrote Running does not start
 * the pod twice.
 *
 * A pod that runs to completion (restartPolicy Never or OnFailure: Job
 * pods) is written Succeeded complete_after_ms after it was written
 * Running, by a second FIFO of uids drained by one timer (delays are
 * equal, so due times are in order); a uid whose entry went meanwhile is
 * skipped.  A node whose heartbeat is switched off (a failed node) renews
 * no Lease, starts no pod and completes none; switched on again, it posts
 * its Node conditions afresh, as a kubelet that comes back does.  Entries are on a list too: an entry whose pod went while
 * the runtime had it is off the uid table but on the list until its done
 * arrives or the pool is freed, so `ctx` handed to a runtime is never
 * dangling.
 *
 * The pool reads the pods it is shown without their trees (peek.c: the
 * store would keep a tree on every stored version read through
 * kube_object_get_*), and writes a pod's Running status as JSON text
 * through the pod's /status (kube_store_update_status_async: the store
 * splices it into the stored text, and nobody parses the pod).  A
 * runtime may report thousands of pods started at once: they wait on the
 * `waiting` list and at most MAX_WRITING status writes are in flight.
 *
 * Every asynchronous store write holds a reference on the pool, so the
 * pool may be freed with writes in flight: their callbacks see `freed`
 * and only release what they hold.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libkube/kube.h"
#include "libkube/node.h"
#include "../base/base.h"
#include "object/object_private.h"

#define LEASE_NS "kube-node-lease"
#define MAX_NODES 65000u
#define STATUS_RETRIES 16
#define LEASE_SLICES 10u         /* the pool's Leases are renewed a slice at a time */
#define MAX_WRITING 1024u       /* status writes in flight (pump_writes) */

enum { E_STARTING = 1, E_RUNNING = 2, E_FAILED = 3, E_SUCCEEDED = 4 };

typedef struct entry {
	struct entry *next, *prev;     /* the list of every entry */
	struct entry *hnext;           /* uid table chain */
	struct entry *wnext, *wprev;   /* on the pool's `waiting`: started, status not written */
	char *uid, *ns, *name;
	struct kube_nodes *pool;
	unsigned int node;             /* index */
	int state;
	int deleted;                   /* pod gone: off the table, waits for done */
	int finishes;                  /* restartPolicy Never / OnFailure */
	char start_time[32];
	char run_time[32];             /* when it was written Running */
} entry;

typedef struct node_info {
	char *name;
	char *uid;                     /* once created (lease ownerReference) */
	char host_ip[24];
	unsigned int next_ip;          /* last octet of the next pod IP */
	int silent;                    /* heartbeats off: a failed node */
} node_info;

/* The simulated runtime: a FIFO (delays are equal, so due times are in
 * order) drained by one timer. */
typedef struct sim_item {
	struct sim_item *next;
	kube_node_started_cb done;
	void *ctx;
	uint64_t due_ms;
} sim_item;

/* Pods due to complete (uids: the entry may go before its turn). */
typedef struct fin_item {
	struct fin_item *next;
	char *uid;
	uint64_t due_ms;
} fin_item;

typedef struct sim_runtime {
	struct kube_nodes *pool;
	kube_loop *loop;
	kube_timer *timer;
	sim_item *head, *tail;
	uint64_t delay_ms;
} sim_runtime;

struct kube_nodes {
	kube_store *store;
	kube_loop *loop;
	unsigned int refs;
	int freed;
	kube_nodes_options opts;
	char *prefix;
	size_t prefix_len;
	node_info *nodes;
	unsigned int count;
	kube_node_runtime rt;
	void *rt_ud;
	sim_runtime *sim;
	kube_watch *watch;
	kube_timer *lease_timer;       /* every lease_period_ms / lease_slices */
	unsigned int lease_slices;     /* LEASE_SLICES, fewer for a small pool or period */
	unsigned int lease_slice;      /* the one the next tick renews */
	entry list;                    /* sentinel */
	entry **table;
	size_t table_size, table_used;
	size_t starting;               /* entries STARTING and not deleted */
	kube_nodes_stats stats;
	kube_timer *fin_timer;
	fin_item *fin_head, *fin_tail;
	entry waiting;                 /* sentinel: pods waiting for their status write */
	size_t writing;                /* status writes in flight */
	unsigned int busy_depth;       /* callbacks of the pool on the stack */
	uint64_t busy_since;           /* when the outermost began (ns) */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Each callback of the pool (loop thread) is bracketed by busy_begin /
 * busy_end, for stats.busy_ns; one nested in another (a write that
 * completes inside the call that made it) counts once. */
static void busy_begin(struct kube_nodes *n)
{
	if (n->busy_depth++ == 0)
		n->busy_since = now_ns();
}

static void busy_end(struct kube_nodes *n)
{
	if (--n->busy_depth == 0)
		n->stats.busy_ns += now_ns() - n->busy_since;
}

static void now_rfc3339(char out[32], int micro)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (micro) {
		/* a Lease's renewTime is a MicroTime: six fraction digits */
		size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(out + n, 32 - n, ".%06dZ", (int)(ts.tv_nsec / 1000) % 1000000);
	} else {
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = kube_malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* ---- the pool's reference count ---- */

static void pool_destroy(kube_nodes *n);

static kube_nodes *pool_ref(kube_nodes *n)
{
	n->refs++;
	return n;
}

static void pool_unref(void *ud)
{
	kube_nodes *n = ud;
	if (--n->refs == 0)
		pool_destroy(n);
}

/* ---- entries by uid ---- */

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static entry *table_find(kube_nodes *n, const char *uid)
{
	if (!n->table_size)
		return NULL;
	for (entry *e = n->table[hash_str(uid) & (n->table_size - 1)]; e; e = e->hnext)
		if (strcmp(e->uid, uid) == 0)
			return e;
	return NULL;
}

static int table_insert(kube_nodes *n, entry *e)
{
	if (n->table_used + 1 > n->table_size) {
		size_t size = n->table_size ? n->table_size * 2 : 1024;
		entry **t = kube_calloc(size, sizeof(*t));
		if (!t)
			return kube__error_oom();
		for (size_t i = 0; i < n->table_size; i++) {
			entry *c = n->table[i];
			while (c) {
				entry *next = c->hnext;
				size_t b = hash_str(c->uid) & (size - 1);
				c->hnext = t[b];
				t[b] = c;
				c = next;
			}
		}
		kube_free(n->table);
		n->table = t;
		n->table_size = size;
	}
	size_t b = hash_str(e->uid) & (n->table_size - 1);
	e->hnext = n->table[b];
	n->table[b] = e;
	n->table_used++;
	return 0;
}

static void table_remove(kube_nodes *n, entry *e)
{
	entry **p = &n->table[hash_str(e->uid) & (n->table_size - 1)];
	for (; *p; p = &(*p)->hnext) {
		if (*p == e) {
			*p = e->hnext;
			n->table_used--;
			return;
		}
	}
}

static void wait_push(kube_nodes *n, entry *e)
{
	e->wnext = &n->waiting;
	e->wprev = n->waiting.wprev;
	n->waiting.wprev->wnext = e;
	n->waiting.wprev = e;
}

static void wait_remove(entry *e)
{
	e->wprev->wnext = e->wnext;
	e->wnext->wprev = e->wprev;
	e->wnext = e->wprev = NULL;
}

static void entry_free(entry *e)
{
	if (e->wnext)
		wait_remove(e);
	e->prev->next = e->next;
	e->next->prev = e->prev;
	kube_free(e->uid);
	kube_free(e->ns);
	kube_free(e->name);
	kube_free(e);
}

/* ---- the simulated runtime ---- */

static void sim_fire_(kube_timer *t, void *ud)
{
	sim_runtime *s = ud;
	uint64_t now = now_ms();
	(void)t;
	while (s->head && s->head->due_ms <= now) {
		sim_item *it = s->head;
		s->head = it->next;
		if (!s->head)
			s->tail = NULL;
		it->done(0, it->ctx);
		kube_free(it);
	}
	if (s->head)
		kube_timer_start(s->timer, s->head->due_ms - now, 0);
}

static void sim_fire(kube_timer *t, void *ud)
{
	kube_nodes *n = ((sim_runtime *)ud)->pool;
	busy_begin(n);
	sim_fire_(t, ud);
	busy_end(n);
}

static int sim_start(const kube_object *pod, const char *node, kube_node_started_cb done, void *ctx,
                     void *ud)
{
	sim_runtime *s = ud;
	sim_item *it = kube_calloc(1, sizeof(*it));
	(void)pod;
	(void)node;
	if (!it)
		return kube__error_oom();
	it->done = done;
	it->ctx = ctx;
	it->due_ms = now_ms() + s->delay_ms;
	if (s->tail)
		s->tail->next = it;
	else
		s->head = it;
	s->tail = it;
	if (!kube_timer_is_active(s->timer))
		kube_timer_start(s->timer, s->delay_ms, 0);
	return 0;
}

/* The pool keeps a deleted pod's entry until done arrives, so the
 * simulation needs nothing here: its done just finds the entry deleted. */
static void sim_stop(const char *uid, void *ud)
{
	(void)uid;
	(void)ud;
}

static void sim_free(sim_runtime *s)
{
	if (!s)
		return;
	while (s->head) {
		sim_item *it = s->head;
		s->head = it->next;
		kube_free(it);
	}
	kube_timer_free(s->timer);
	kube_free(s);
}

/* ---- objects the pool writes ---- */

/* Node index of a node name, or -1 when it is not one of ours. */
static long node_index(const kube_nodes *n, const char *name)
{
	char *end;
	unsigned long v;
	if (!name || strncmp(name, n->prefix, n->prefix_len) != 0)
		return -1;
	name += n->prefix_len;
	if (*name < '1' || *name > '9')
		return -1;
	v = strtoul(name, &end, 10);
	if (*end || v == 0 || v > n->count)
		return -1;
	return (long)v - 1;
}

static void conditions_json(kube__buf *b, const char *ts);

static void node_json(kube__buf *b, const kube_nodes *n, unsigned int i)
{
	char ts[32];
	unsigned int k = i + 1;
	const node_info *ni = &n->nodes[i];
	now_rfc3339(ts, 0);
	kube__buf_printf(b,
	        "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\",\"labels\":{"
	        "\"kubernetes.io/arch\":\"amd64\",\"kubernetes.io/hostname\":\"%s\","
	        "\"kubernetes.io/os\":\"linux\",\"topology.kubernetes.io/zone\":\"zone-%c\"}},"
	        "\"spec\":{\"podCIDR\":\"10.%u.%u.0/24\",\"podCIDRs\":[\"10.%u.%u.0/24\"]},",
	        ni->name, ni->name, 'a' + (int)(i % n->opts.zones), k >> 8, k & 255u, k >> 8, k & 255u);
	kube__buf_printf(b,
	        "\"status\":{\"capacity\":{\"cpu\":\"%s\",\"ephemeral-storage\":\"100Gi\",\"memory\":\"%s\","
	        "\"pods\":\"%s\"},\"allocatable\":{\"cpu\":\"%s\",\"ephemeral-storage\":\"100Gi\","
	        "\"memory\":\"%s\",\"pods\":\"%s\"},\"conditions\":",
	        n->opts.cpu, n->opts.memory, n->opts.pods, n->opts.cpu, n->opts.memory, n->opts.pods);
	conditions_json(b, ts);
	kube__buf_printf(b,
	        ",\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"%s\"},"
	        "{\"type\":\"Hostname\",\"address\":\"%s\"}],"
	        "\"nodeInfo\":{\"architecture\":\"amd64\",\"operatingSystem\":\"linux\","
	        "\"containerRuntimeVersion\":\"%s\",\"kubeletVersion\":\"v%s\","
	        "\"kubeProxyVersion\":\"\",\"osImage\":\"libkube\",\"kernelVersion\":\"\","
	        "\"machineID\":\"\",\"systemUUID\":\"\",\"bootID\":\"\"}}}",
	        ni->host_ip, ni->name, n->sim ? "simulated://1.0" : "libkube://1.0", kube_version());
}

/* The conditions a healthy kubelet posts, all stamped ts. */
static void conditions_json(kube__buf *b, const char *ts)
{
	static const char *const pressure[][3] = {
		{ "MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available" },
		{ "DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure" },
		{ "PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available" },
	};
	kube__buf_putc(b, '[');
	for (size_t c = 0; c < KUBE_ARRAY_SIZE(pressure); c++)
		kube__buf_printf(b,
		        "{\"type\":\"%s\",\"status\":\"False\",\"lastHeartbeatTime\":\"%s\","
		        "\"lastTransitionTime\":\"%s\",\"reason\":\"%s\",\"message\":\"%s\"},",
		        pressure[c][0], ts, ts, pressure[c][1], pressure[c][2]);
	kube__buf_printf(b,
	        "{\"type\":\"Ready\",\"status\":\"True\",\"lastHeartbeatTime\":\"%s\","
	        "\"lastTransitionTime\":\"%s\",\"reason\":\"KubeletReady\","
	        "\"message\":\"kubelet is posting ready status\"}]",
	        ts, ts);
}

static void lease_json(kube__buf *b, const kube_nodes *n, unsigned int i)
{
	char ts[32];
	const node_info *ni = &n->nodes[i];
	now_rfc3339(ts, 1);
	kube__buf_printf(b,
	        "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{"
	        "\"name\":\"%s\",\"namespace\":\"" LEASE_NS "\"",
	        ni->name);
	if (ni->uid)
		kube__buf_printf(b,
		        ",\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"%s\","
		        "\"uid\":\"%s\"}]",
		        ni->name, ni->uid);
	kube__buf_printf(b,
	        "},\"spec\":{\"holderIdentity\":\"%s\",\"leaseDurationSeconds\":40,"
	        "\"renewTime\":\"%s\"}}",
	        ni->name, ts);
}

static int object_of(kube_object **out, kube__buf *b)
{
	int rc;
	if (b->failed) {
		kube__buf_free(b);
		return kube__error_oom();
	}
	rc = kube_object_from_json(out, b->data, b->len);
	kube__buf_free(b);
	return rc;
}

/* ---- writes ---- */

typedef struct write_ctx {
	kube_nodes *pool;
	unsigned int node;
	char *uid;                     /* status writes: the pod */
	unsigned int attempts;
} write_ctx;

static void write_ctx_free(void *ud)
{
	write_ctx *w = ud;
	kube_nodes *n = w->pool;
	kube_free(w->uid);
	kube_free(w);
	pool_unref(n);
}

static write_ctx *write_ctx_new(kube_nodes *n, unsigned int node, const char *uid)
{
	write_ctx *w = kube_calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	if (uid && !(w->uid = dup_str(uid))) {
		kube_free(w);
		return NULL;
	}
	w->pool = pool_ref(n);
	w->node = node;
	return w;
}

static void lease_written(int status, kube_object *obj, void *ud);
static void node_written(int status, kube_object *obj, void *ud);
static void status_written(int status, kube_object *obj, void *ud);

static void write_failed(kube_nodes *n, const char *what, int status)
{
	const kube_error *e = kube_error_last();
	n->stats.write_errors++;
	KUBE_LOG(KUBE_LOG_WARN, "node", "%s: %s", what,
	         e && e->message ? e->message : kube_strerror(status));
}

static void lease_written_(int status, kube_object *obj, void *ud)
{
	write_ctx *w = ud;
	kube_nodes *n = w->pool;
	(void)obj;
	if (n->freed)
		return;
	if (status == 0)
		n->stats.heartbeats++;
	else if (status == KUBE_ENOTFOUND) {
		/* Someone deleted the Lease: make it again. */
		kube__buf b = KUBE__BUF_INIT;
		kube_object *o = NULL;
		write_ctx *w2;
		lease_json(&b, n, w->node);
		if (object_of(&o, &b) == 0 && (w2 = write_ctx_new(n, w->node, NULL)) != NULL &&
		    kube_store_create_async_take(n->store, o, lease_written, w2, write_ctx_free) != 0)
			write_failed(n, "lease", KUBE_ENOMEM);
	} else if (status != KUBE_EEXISTS)
		write_failed(n, "lease", status);
}

static void lease_written(int status, kube_object *obj, void *ud)
{
	kube_nodes *n = ((write_ctx *)ud)->pool;
	busy_begin(n);
	lease_written_(status, obj, ud);
	busy_end(n);
}

static int write_lease(kube_nodes *n, unsigned int i, int create)
{
	kube__buf b = KUBE__BUF_INIT;
	kube_object *o = NULL;
	write_ctx *w;
	int rc;

	lease_json(&b, n, i);
	if ((rc = object_of(&o, &b)) != 0)
		return rc;
	if (!(w = write_ctx_new(n, i, NULL))) {
		kube_object_unref(o);
		return kube__error_oom();
	}
	/* An update without resourceVersion is unconditional: a renewal
	 * replaces whatever the Lease held, as the kubelet's would. */
	return create ? kube_store_create_async_take(n->store, o, lease_written, w, write_ctx_free)
	              : kube_store_update_async_take(n->store, o, lease_written, w, write_ctx_free);
}

static void node_written_(int status, kube_object *obj, void *ud)
{
	write_ctx *w = ud;
	kube_nodes *n = w->pool;
	node_info *ni;

	if (n->freed)
		return;
	ni = &n->nodes[w->node];
	if (status == KUBE_EEXISTS) {
		/* Taken over from an earlier run: rewrite it, keeping its uid. */
		kube__buf b = KUBE__BUF_INIT;
		kube_object *o = NULL;
		write_ctx *w2;
		node_json(&b, n, w->node);
		if (object_of(&o, &b) != 0 || !(w2 = write_ctx_new(n, w->node, NULL))) {
			kube_object_unref(o);
			write_failed(n, "node", KUBE_ENOMEM);
			return;
		}
		if (kube_store_update_async_take(n->store, o, node_written, w2, write_ctx_free) != 0)
			write_failed(n, "node", KUBE_ENOMEM);
		return;
	}
	if (status != 0) {
		write_failed(n, "node", status);
		return;
	}
	if (!ni->uid && kube_object_uid(obj)) {
		ni->uid = dup_str(kube_object_uid(obj));
		if (write_lease(n, w->node, 1) != 0)
			write_failed(n, "lease", KUBE_ENOMEM);
	}
}

static void node_written(int status, kube_object *obj, void *ud)
{
	kube_nodes *n = ((write_ctx *)ud)->pool;
	busy_begin(n);
	node_written_(status, obj, ud);
	busy_end(n);
}

/* One slice of the pool renews its Leases: node i in slice i % slices,
 * so that a pool of 1,000 nodes writes 100 Leases every tenth of the
 * period rather than 1,000 at once, and each node still renews once a
 * period, as each kubelet does on its own clock. */
static void lease_tick(kube_timer *t, void *ud)
{
	kube_nodes *n = ud;
	(void)t;
	busy_begin(n);
	for (unsigned int i = n->lease_slice; i < n->count; i += n->lease_slices)
		if (n->nodes[i].uid && !n->nodes[i].silent && write_lease(n, i, 0) != 0)
			write_failed(n, "lease", KUBE_ENOMEM);
	n->lease_slice = (n->lease_slice + 1) % n->lease_slices;
	busy_end(n);
}

/* ---- pods ---- */

/* Appends ,"key":"v" (or without the comma: first) to b. */
static void put_member(kube__buf *b, const char *key, const char *v, size_t vlen, int first)
{
	/* by hand: one status has some twenty of these, and a printf costs
	 * more than the rest of a member */
	if (!first)
		kube__buf_putc(b, ',');
	kube__buf_putc(b, '"');
	kube__buf_puts(b, key);
	kube__buf_puts(b, "\":");
	kube__json_put_string(b, v, vlen);
}

/*
 * The status the kubelet writes for a running pod, with a containerStatus
 * for each of the pod's spec.containers, as JSON text into b (which the
 * store checks and splices into the stored pod: kube_store_update_status):
 *   {"phase":"Running","conditions":[{"type":..,"status":"True",
 *    "lastProbeTime":null,"lastTransitionTime":..} x5],"hostIP":..,
 *    "hostIPs":[{"ip":..}],"podIP":..,"podIPs":[{"ip":..}],"startTime":..,
 *    "containerStatuses":[{"name":..,"state":{"running":{"startedAt":..}},
 *    "lastState":{},"ready":true,"restartCount":0,"image":..,"imageID":"",
 *    "containerID":..,"started":true}]}
 * Returns 0 or KUBE_ENOMEM (raised).
 */
static int status_json(kube__buf *b, kube_nodes *n, const kube_object *pod, entry *e)
{
	static const char *const conds[] = { "PodReadyToStartContainers", "Initialized", "Ready",
		                             "ContainersReady", "PodScheduled" };
	char ts[32], pod_ip[24];
	node_info *ni = &n->nodes[e->node];
	unsigned int k = e->node + 1, ip = ni->next_ip;
	kube__buf ctrs = KUBE__BUF_INIT, name = KUBE__BUF_INIT, image = KUBE__BUF_INIT;

	ni->next_ip = ni->next_ip >= 254 ? 2 : ni->next_ip + 1;
	now_rfc3339(ts, 0);
	memcpy(e->run_time, ts, sizeof(e->run_time));
	snprintf(pod_ip, sizeof(pod_ip), "10.%u.%u.%u", k >> 8, k & 255u, ip);
	kube__buf_puts(b, "{\"phase\":\"Running\",\"conditions\":[");
	for (size_t c = 0; c < KUBE_ARRAY_SIZE(conds); c++) {
		const char *since = c == 4 ? e->start_time : ts;
		kube__buf_puts(b, c ? ",{\"type\":\"" : "{\"type\":\"");
		kube__buf_puts(b, conds[c]);
		kube__buf_puts(b, "\",\"status\":\"True\",\"lastProbeTime\":null,");
		put_member(b, "lastTransitionTime", since, strlen(since), 1);
		kube__buf_putc(b, '}');
	}
	kube__buf_putc(b, ']');
	put_member(b, "hostIP", ni->host_ip, strlen(ni->host_ip), 0);
	kube__buf_puts(b, ",\"hostIPs\":[{");
	put_member(b, "ip", ni->host_ip, strlen(ni->host_ip), 1);
	kube__buf_puts(b, "}]");
	put_member(b, "podIP", pod_ip, strlen(pod_ip), 0);
	kube__buf_puts(b, ",\"podIPs\":[{");
	put_member(b, "ip", pod_ip, strlen(pod_ip), 1);
	kube__buf_puts(b, "}]");
	put_member(b, "startTime", e->start_time, strlen(e->start_time), 0);
	kube__buf_puts(b, ",\"containerStatuses\":[");
	/* spec.containers, as compact JSON (from the stored text) */
	if (kube__object_peek_json(pod, "spec.containers", &ctrs) && ctrs.len && ctrs.data[0] == '[') {
		size_t p = 1, i = 0;
		while (p < ctrs.len && ctrs.data[p] != ']') {
			size_t end = kube__json_text_skip(ctrs.data, ctrs.len, p);
			char id[160];
			kube__json_text_member_string(ctrs.data, ctrs.len, p, "name", &name);
			kube__json_text_member_string(ctrs.data, ctrs.len, p, "image", &image);
			snprintf(id, sizeof(id), "%s://%s-%zu", n->sim ? "simulated" : "libkube", e->uid, i);
			kube__buf_puts(b, i ? ",{" : "{");
			put_member(b, "name", name.data ? name.data : "", name.len, 1);
			kube__buf_puts(b, ",\"state\":{\"running\":{");
			put_member(b, "startedAt", ts, strlen(ts), 1);
			kube__buf_puts(b, "}},\"lastState\":{},\"ready\":true,\"restartCount\":0");
			put_member(b, "image", image.data ? image.data : "", image.len, 0);
			kube__buf_puts(b, ",\"imageID\":\"\"");
			put_member(b, "containerID", id, strlen(id), 0);
			kube__buf_puts(b, ",\"started\":true}");
			i++;
			p = end < ctrs.len && ctrs.data[end] == ',' ? end + 1 : end;
		}
	}
	kube__buf_puts(b, "]}");
	kube__buf_free(&ctrs);
	kube__buf_free(&name);
	kube__buf_free(&image);
	return b->failed ? kube__error_oom() : 0;
}

static int write_status(kube_nodes *n, entry *e, unsigned int attempts);
static void pump_writes(kube_nodes *n);
static int fin_push(kube_nodes *n, const char *uid);

static void status_written_(int status, kube_object *obj, void *ud)
{
	write_ctx *w = ud;
	kube_nodes *n = w->pool;
	entry *e;
	(void)obj;

	n->writing--;
	if (n->freed)
		return;
	e = table_find(n, w->uid);
	if (status == 0) {
		n->stats.running++;
		if (e && e->finishes && n->opts.complete_after_ms && fin_push(n, e->uid) != 0)
			write_failed(n, "pod completion", KUBE_ENOMEM);
	} else if (!e || status == KUBE_ENOTFOUND) {
		;   /* the pod went meanwhile */
	} else if (status != KUBE_ECONFLICT || w->attempts >= STATUS_RETRIES ||
	           write_status(n, e, w->attempts + 1) != 0) {
		e->state = E_FAILED;
		write_failed(n, "pod status", status);
	}
	pump_writes(n);
}

static void status_written(int status, kube_object *obj, void *ud)
{
	kube_nodes *n = ((write_ctx *)ud)->pool;
	busy_begin(n);
	status_written_(status, obj, ud);
	busy_end(n);
}

/* Writes the Running status on the pod as the store has it now (one of
 * the `writing` in flight), through its /status: the store edits the
 * stored text, and the pod's uid is the precondition (a pod made again
 * under the name is another pod), as the kubelet's status patches have it. */
static int write_status(kube_nodes *n, entry *e, unsigned int attempts)
{
	kube_object *cur = NULL;
	kube_preconditions pre = KUBE_PRECONDITIONS_INIT;
	kube__buf st = KUBE__BUF_INIT;
	write_ctx *w;
	int rc;

	if ((rc = kube_store_get(&cur, n->store, "pods", e->ns, e->name)) != 0)
		return rc;
	if (strcmp(kube_object_uid(cur), e->uid) != 0 || kube_object_deletion_timestamp(cur)) {
		kube_object_unref(cur);
		return KUBE_ENOTFOUND;
	}
	rc = status_json(&st, n, cur, e);
	kube_object_unref(cur);
	if (rc != 0) {
		kube__buf_free(&st);
		return rc;
	}
	if (!(w = write_ctx_new(n, e->node, e->uid))) {
		kube__buf_free(&st);
		return kube__error_oom();
	}
	w->attempts = attempts;
	pre.uid = e->uid;
	if ((rc = kube_store_update_status_async(n->store, "pods", e->ns, e->name, st.data, &pre,
	                                         status_written, w, write_ctx_free)) == 0)
		n->writing++;
	kube__buf_free(&st);
	return rc;
}

/* Starts the status writes of the pods that wait for one, up to
 * MAX_WRITING in flight: a runtime that starts 10,000 pods at once would
 * otherwise queue 10,000 writes in one go (each holds its status text and
 * request until the store has applied it).  Fewer in flight means more
 * rounds of writes, and the controllers that watch the pods (a ReplicaSet
 * counting its ready pods) sync once a round: 256 took 15% longer than
 * 1,024 in bench_controllers, 2,048 no shorter. */
static void pump_writes(kube_nodes *n)
{
	while (n->writing < MAX_WRITING && n->waiting.wnext != &n->waiting) {
		entry *e = n->waiting.wnext;
		int rc;
		wait_remove(e);
		if ((rc = write_status(n, e, 0)) != 0 && rc != KUBE_ENOTFOUND) {
			e->state = E_FAILED;
			write_failed(n, "pod status", rc);
		}
	}
}

static void pod_started(int status, void *ctx)
{
	entry *e = ctx;
	kube_nodes *n;

	if (e->deleted) {
		entry_free(e);
		return;
	}
	n = e->pool;
	n->starting--;
	if (status != 0) {
		e->state = E_FAILED;
		n->stats.start_failures++;
		return;
	}
	e->state = E_RUNNING;
	wait_push(n, e);
	pump_writes(n);
}

/* A pod the watch shows (or a list, when a node comes back): stored, so
 * read without its tree (peek.c), which the store would otherwise keep on
 * every version the pool is shown. */
static void pod_event(kube_nodes *n, kube_object *pod, int deleted)
{
	const char *uid = kube_object_uid(pod), *phase = NULL;
	kube__buf scratch = KUBE__BUF_INIT;
	entry *e;
	long idx;
	int rc, done;

	if (!uid)
		return;
	e = table_find(n, uid);
	if (deleted) {
		if (!e)
			return;
		table_remove(n, e);
		if (e->state == E_STARTING) {
			n->starting--;
			e->deleted = 1;   /* freed when its done comes */
			if (n->rt.stop_pod)
				n->rt.stop_pod(e->uid, n->rt_ud);
		} else {
			entry_free(e);
		}
		return;
	}
	if (e || kube_object_deletion_timestamp(pod))
		return;
	if ((idx = node_index(n, kube__object_node_name(pod))) < 0 || n->nodes[idx].silent)
		return;
	done = kube__object_peek_string(pod, "status.phase", &scratch, &phase) &&
	       (strcmp(phase, "Running") == 0 || strcmp(phase, "Succeeded") == 0 ||
	        strcmp(phase, "Failed") == 0);
	kube__buf_free(&scratch);
	if (done)
		return;
	if (!(e = kube_calloc(1, sizeof(*e))) || !(e->uid = dup_str(uid)) ||
	    !(e->ns = dup_str(kube_object_namespace(pod) ? kube_object_namespace(pod) : "")) ||
	    !(e->name = dup_str(kube_object_name(pod)))) {
		if (e) {
			kube_free(e->uid);
			kube_free(e->ns);
			kube_free(e->name);
		}
		kube_free(e);
		write_failed(n, "pod", KUBE_ENOMEM);
		return;
	}
	e->pool = n;
	e->node = (unsigned int)idx;
	e->state = E_STARTING;
	{
		const char *rp = NULL;
		e->finishes = kube__object_peek_string(pod, "spec.restartPolicy", &scratch, &rp) &&
		              (strcmp(rp, "Never") == 0 || strcmp(rp, "OnFailure") == 0);
		kube__buf_free(&scratch);
	}
	now_rfc3339(e->start_time, 0);
	e->next = &n->list;
	e->prev = n->list.prev;
	n->list.prev->next = e;
	n->list.prev = e;
	if (table_insert(n, e) != 0) {
		entry_free(e);
		write_failed(n, "pod", KUBE_ENOMEM);
		return;
	}
	n->stats.started++;
	n->starting++;
	if ((rc = n->rt.start_pod(pod, n->nodes[idx].name, pod_started, e, n->rt_ud)) != 0) {
		n->starting--;
		e->state = E_FAILED;
		n->stats.start_failures++;
	}
}

/* ---- pods that finish ---- */

static int fin_push(kube_nodes *n, const char *uid)
{
	fin_item *it = kube_calloc(1, sizeof(*it));
	if (!it || !(it->uid = dup_str(uid))) {
		kube_free(it);
		return kube__error_oom();
	}
	it->due_ms = now_ms() + n->opts.complete_after_ms;
	if (n->fin_tail)
		n->fin_tail->next = it;
	else
		n->fin_head = it;
	n->fin_tail = it;
	if (!kube_timer_is_active(n->fin_timer))
		kube_timer_start(n->fin_timer, n->opts.complete_after_ms, 0);
	return 0;
}

typedef struct fin_edit {
	entry *e;
	const char *now;
} fin_edit;

/* What the kubelet writes once every container exited 0: phase Succeeded,
 * the containers terminated ("Completed"), Ready and ContainersReady
 * False with the reason PodCompleted, Initialized True (PodCompleted),
 * the sandbox gone (PodReadyToStartContainers False). */
static int complete_mutate(kube_object *pod, void *ud)
{
	const fin_edit *f = ud;
	const entry *e = f->e;
	const char *phase = NULL;
	kube__buf b = KUBE__BUF_INIT;
	size_t containers = 0;
	int rc;

	if (strcmp(kube_object_uid(pod), e->uid) != 0 || kube_object_deletion_timestamp(pod) ||
	    kube_object_get_string(pod, "status.phase", &phase) != 0 || strcmp(phase, "Running") != 0)
		return KUBE_ECANCELED;
	kube__buf_printf(&b,
	        "[{\"type\":\"PodReadyToStartContainers\",\"status\":\"False\",\"lastProbeTime\":null,"
	        "\"lastTransitionTime\":\"%s\"},"
	        "{\"type\":\"Initialized\",\"status\":\"True\",\"lastProbeTime\":null,"
	        "\"lastTransitionTime\":\"%s\",\"reason\":\"PodCompleted\"},"
	        "{\"type\":\"Ready\",\"status\":\"False\",\"lastProbeTime\":null,"
	        "\"lastTransitionTime\":\"%s\",\"reason\":\"PodCompleted\"},"
	        "{\"type\":\"ContainersReady\",\"status\":\"False\",\"lastProbeTime\":null,"
	        "\"lastTransitionTime\":\"%s\",\"reason\":\"PodCompleted\"},"
	        "{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastProbeTime\":null,"
	        "\"lastTransitionTime\":\"%s\"}]",
	        f->now, e->run_time, f->now, f->now, e->start_time);
	if (b.failed) {
		kube__buf_free(&b);
		return kube__error_oom();
	}
	if ((rc = kube_object_set_string(pod, "status.phase", "Succeeded")) != 0 ||
	    (rc = kube_object_set_json(pod, "status.conditions", b.data)) != 0) {
		kube__buf_free(&b);
		return rc;
	}
	kube__buf_free(&b);
	kube__buf_putc(&b, '[');
	kube_object_get_len(pod, "spec.containers", &containers);
	for (size_t i = 0; i < containers; i++) {
		char path[64];
		const char *name = "", *image = "";
		const char *rt = e->pool->sim ? "simulated" : "libkube";
		snprintf(path, sizeof(path), "spec.containers[%zu].name", i);
		kube_object_get_string(pod, path, &name);
		snprintf(path, sizeof(path), "spec.containers[%zu].image", i);
		kube_object_get_string(pod, path, &image);
		kube__buf_printf(&b, "%s{\"name\":", i ? "," : "");
		kube__go_json_string(&b, name, strlen(name));
		kube__buf_printf(&b,
		        ",\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\","
		        "\"startedAt\":\"%s\",\"finishedAt\":\"%s\",\"containerID\":\"%s://%s-%zu\"}},"
		        "\"lastState\":{},\"ready\":false,\"restartCount\":0,\"image\":",
		        e->run_time, f->now, rt, e->uid, i);
		kube__go_json_string(&b, image, strlen(image));
		kube__buf_printf(&b, ",\"imageID\":\"\",\"containerID\":\"%s://%s-%zu\",\"started\":false}",
		                 rt, e->uid, i);
	}
	kube__buf_putc(&b, ']');
	rc = b.failed ? kube__error_oom() : kube_object_set_json(pod, "status.containerStatuses", b.data);
	kube__buf_free(&b);
	return rc;
}

static void fin_fire_(kube_timer *t, void *ud)
{
	kube_nodes *n = ud;
	uint64_t now = now_ms();
	(void)t;
	while (n->fin_head && n->fin_head->due_ms <= now) {
		fin_item *it = n->fin_head;
		entry *e;
		n->fin_head = it->next;
		if (!n->fin_head)
			n->fin_tail = NULL;
		e = table_find(n, it->uid);
		/* a pod deleted meanwhile, or on a node that failed, never ends */
		if (e && e->state == E_RUNNING && !n->nodes[e->node].silent) {
			char ts[32];
			fin_edit f = { e, ts };
			int rc;
			now_rfc3339(ts, 0);
			rc = kube_store_guaranteed_update(NULL, n->store, "pods", e->ns, e->name,
			                                  complete_mutate, &f);
			if (rc == 0) {
				e->state = E_SUCCEEDED;
				n->stats.completed++;
			} else if (rc != KUBE_ECANCELED && rc != KUBE_ENOTFOUND) {
				write_failed(n, "pod completion", rc);
			}
		}
		kube_free(it->uid);
		kube_free(it);
	}
	if (n->fin_head)
		kube_timer_start(n->fin_timer, n->fin_head->due_ms - now, 0);
}

static void fin_fire(kube_timer *t, void *ud)
{
	kube_nodes *n = ud;
	busy_begin(n);
	fin_fire_(t, ud);
	busy_end(n);
}

static int start_watch(kube_nodes *n);

static void watch_cb_(kube_watch *w, const kube_watch_event *ev, void *ud)
{
	kube_nodes *n = ud;
	(void)w;
	switch (ev->type) {
	case KUBE_WATCH_ADDED:
	case KUBE_WATCH_MODIFIED:
		pod_event(n, ev->object, 0);
		break;
	case KUBE_WATCH_DELETED:
		pod_event(n, ev->object, 1);
		break;
	case KUBE_WATCH_ERROR:
		/* Fell behind or lost history: watch again from "now", which
		 * replays what exists; entries keep the pods already handled. */
		n->watch = NULL;
		if (ev->error != KUBE_ECANCELED && start_watch(n) != 0)
			write_failed(n, "pod watch", ev->error);
		break;
	default:
		break;
	}
}

static void watch_cb(kube_watch *w, const kube_watch_event *ev, void *ud)
{
	kube_nodes *n = ud;
	busy_begin(n);
	watch_cb_(w, ev, ud);
	busy_end(n);
}

static int start_watch(kube_nodes *n)
{
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	wo.field_selector = "spec.nodeName!=";
	return kube_store_watch(&n->watch, n->store, "pods", &wo, watch_cb, pool_ref(n), pool_unref);
}

/* ---- the public API ---- */

/* The size of the options struct a caller of `version` has. */
static size_t options_size(unsigned int version)
{
	return version == 1 ? offsetof(kube_nodes_options, complete_after_ms)
	                    : sizeof(kube_nodes_options);
}

int kube_nodes_options_init(kube_nodes_options *opts, unsigned int version)
{
	KUBE_CHECK_ARG(opts);
	KUBE_CHECK_ARG(version >= 1 && version <= KUBE_NODES_OPTIONS_VERSION);
	kube_nodes_options d = KUBE_NODES_OPTIONS_INIT;
	d.version = version;
	memcpy(opts, &d, options_size(version));
	return 0;
}

static int check_quantity(const char *what, const char *v)
{
	kube_quantity q;
	if (!v || kube_quantity_parse(&q, v) != 0)
		return kube__error_set(KUBE_EINVAL, what, "kube_nodes_new: %s: not a quantity: \"%s\"",
		                       what, v ? v : "(null)");
	return 0;
}

static void pool_destroy(kube_nodes *n)
{
	while (n->list.next != &n->list)
		entry_free(n->list.next);
	kube_free(n->table);
	for (unsigned int i = 0; i < n->count; i++) {
		kube_free(n->nodes[i].name);
		kube_free(n->nodes[i].uid);
	}
	kube_free(n->nodes);
	kube_free(n->prefix);
	kube_free(n);
}

int kube_nodes_new(kube_nodes **out, kube_loop *loop, kube_store *store,
                   const kube_nodes_options *opts)
{
	kube_nodes *n;
	kube_object *ns = NULL;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(loop && store);
	KUBE_CHECK_ARG(opts && opts->version >= 1 && opts->version <= KUBE_NODES_OPTIONS_VERSION);
	KUBE_CHECK_ARG(opts->count >= 1 && opts->count <= MAX_NODES);
	KUBE_CHECK_ARG(opts->zones >= 1 && opts->zones <= 26);
	KUBE_CHECK_ARG(opts->name_prefix && *opts->name_prefix);
	if ((rc = check_quantity("cpu", opts->cpu)) != 0 ||
	    (rc = check_quantity("memory", opts->memory)) != 0 ||
	    (rc = check_quantity("pods", opts->pods)) != 0)
		return rc;
	if (opts->runtime) {
		if (opts->runtime->abi_version != KUBE_NODE_RUNTIME_VERSION ||
		    opts->runtime->struct_size < sizeof(kube_node_runtime))
			return kube__error_set(KUBE_EABI, NULL,
			                       "kube_nodes_new: runtime has version %u, size %u; want %u, %zu",
			                       opts->runtime->abi_version, opts->runtime->struct_size,
			                       KUBE_NODE_RUNTIME_VERSION, sizeof(kube_node_runtime));
		if (!opts->runtime->start_pod)
			return kube__error_set(KUBE_EINVAL, NULL, "kube_nodes_new: runtime has no start_pod");
	}
	if (!(n = kube_calloc(1, sizeof(*n))))
		return kube__error_oom();
	n->refs = 1;
	n->store = store;
	/* a version 1 caller's struct ends before complete_after_ms: its pods
	 * never complete, as they did not before */
	memcpy(&n->opts, opts, options_size(opts->version));
	n->list.next = n->list.prev = &n->list;
	n->waiting.wnext = n->waiting.wprev = &n->waiting;
	n->count = opts->count;
	if (!(n->prefix = dup_str(opts->name_prefix)) ||
	    !(n->nodes = kube_calloc(n->count, sizeof(*n->nodes)))) {
		pool_destroy(n);
		return kube__error_oom();
	}
	n->prefix_len = strlen(n->prefix);
	for (unsigned int i = 0; i < n->count; i++) {
		char name[256];
		snprintf(name, sizeof(name), "%s%u", n->prefix, i + 1);
		if (!(n->nodes[i].name = dup_str(name))) {
			pool_destroy(n);
			return kube__error_oom();
		}
		snprintf(n->nodes[i].host_ip, sizeof(n->nodes[i].host_ip), "192.168.%u.%u",
		         (i + 1) / 250, (i + 1) % 250 + 1);
		n->nodes[i].next_ip = 2;
		/* the Node name must be usable: check the first and the longest */
		if ((i == 0 || i + 1 == n->count) && kube_validate_dns1123_subdomain(name) != 0) {
			rc = kube_error_last()->code;
			pool_destroy(n);
			return rc;
		}
	}
	if (opts->runtime) {
		memcpy(&n->rt, opts->runtime, sizeof(n->rt));
		n->rt_ud = opts->runtime_userdata;
	} else {
		static const kube_node_runtime sim_ops = { KUBE_NODE_RUNTIME_VERSION,
			                                   sizeof(kube_node_runtime), sim_start,
			                                   sim_stop };
		n->rt = sim_ops;
	}
	n->loop = loop;
	if (!opts->runtime) {
		if (!(n->sim = kube_calloc(1, sizeof(*n->sim))) ||
		    (rc = kube_timer_new(&n->sim->timer, n->loop, sim_fire, n->sim, NULL)) != 0) {
			kube_free(n->sim);
			n->sim = NULL;
			pool_destroy(n);
			return rc ? rc : kube__error_oom();
		}
		n->sim->pool = n;
		n->sim->loop = n->loop;
		n->sim->delay_ms = opts->ready_delay_ms;
		n->rt_ud = n->sim;
	}
	/* The Leases' namespace, as kube-apiserver makes it at start. */
	if ((rc = kube_object_new(&ns, "v1", "Namespace")) == 0 &&
	    (rc = kube_object_set_string(ns, "metadata.name", LEASE_NS)) == 0)
		rc = kube_store_create(NULL, store, ns);
	kube_object_unref(ns);
	if (rc != 0 && rc != KUBE_EEXISTS)
		goto fail;
	for (unsigned int i = 0; i < n->count; i++) {
		kube__buf b = KUBE__BUF_INIT;
		kube_object *o = NULL;
		write_ctx *w;
		node_json(&b, n, i);
		if ((rc = object_of(&o, &b)) != 0)
			goto fail;
		if (!(w = write_ctx_new(n, i, NULL))) {
			kube_object_unref(o);
			rc = kube__error_oom();
			goto fail;
		}
		if ((rc = kube_store_create_async_take(store, o, node_written, w, write_ctx_free)) != 0)
			goto fail;
	}
	if ((rc = kube_timer_new(&n->fin_timer, n->loop, fin_fire, n, NULL)) != 0)
		goto fail;
	if (opts->lease_period_ms) {
		uint64_t tick;
		n->lease_slices = n->count < LEASE_SLICES ? n->count : LEASE_SLICES;
		if (opts->lease_period_ms < n->lease_slices)
			n->lease_slices = (unsigned int)opts->lease_period_ms;
		tick = opts->lease_period_ms / n->lease_slices;
		if ((rc = kube_timer_new(&n->lease_timer, n->loop, lease_tick, n, NULL)) != 0 ||
		    (rc = kube_timer_start(n->lease_timer, tick, tick)) != 0)
			goto fail;
	}
	if ((rc = start_watch(n)) != 0)
		goto fail;
	*out = n;
	return 0;
fail:
	kube_nodes_free(n);
	return rc;
}

void kube_nodes_free(kube_nodes *n)
{
	if (!n)
		return;
	n->freed = 1;
	kube_watch_cancel(n->watch);
	n->watch = NULL;
	kube_timer_free(n->lease_timer);
	kube_timer_free(n->fin_timer);
	while (n->fin_head) {
		fin_item *it = n->fin_head;
		n->fin_head = it->next;
		kube_free(it->uid);
		kube_free(it);
	}
	for (entry *e = n->list.next; e != &n->list; e = e->next)
		if (e->state == E_STARTING && !e->deleted && n->rt.stop_pod && !n->sim)
			n->rt.stop_pod(e->uid, n->rt_ud);
	sim_free(n->sim);
	n->sim = NULL;
	pool_unref(n);
}

const char *kube_nodes_name(const kube_nodes *n, size_t i)
{
	if (!n || i >= n->count)
		return NULL;
	return n->nodes[i].name;
}

int kube_nodes_get_stats(const kube_nodes *n, kube_nodes_stats *out)
{
	KUBE_CHECK_ARG(n);
	KUBE_CHECK_ARG(out && out->version >= 1 && out->version <= KUBE_NODES_STATS_VERSION);
	kube_nodes_stats s = n->stats;
	s.version = out->version;
	s.starting = n->starting;
	/* an older caller's struct ends before `completed` (1) or `busy_ns` (2) */
	memcpy(out, &s, out->version == 1   ? offsetof(kube_nodes_stats, completed)
	                : out->version == 2 ? offsetof(kube_nodes_stats, busy_ns)
	                                    : sizeof(s));
	return 0;
}

int kube_nodes_heartbeat(kube_nodes *n)
{
	int first = 0;
	KUBE_CHECK_ARG(n);
	for (unsigned int i = 0; i < n->count; i++) {
		int rc;
		if (!n->nodes[i].uid || n->nodes[i].silent)
			continue;   /* its Lease comes with the Node; a failed node renews none */
		if ((rc = write_lease(n, i, 0)) != 0 && !first)
			first = rc;
	}
	return first;
}

static int post_conditions(kube_object *node, void *ud)
{
	return kube_object_set_json(node, "status.conditions", ud);
}

int kube_nodes_set_heartbeat(kube_nodes *n, const char *node, int on)
{
	kube_list_options lo = KUBE_LIST_OPTIONS_INIT;
	kube_object_list *pods = NULL;
	kube__buf b = KUBE__BUF_INIT;
	char ts[32], sel[320];
	node_info *ni;
	long i;
	int rc;

	KUBE_CHECK_ARG(n && node);
	if ((i = node_index(n, node)) < 0)
		return kube__error_set(KUBE_ENOTFOUND, NULL,
		                       "kube_nodes_set_heartbeat: no node \"%s\" in the pool", node);
	ni = &n->nodes[i];
	if (!on || !ni->silent) {
		ni->silent = !on;
		return 0;
	}
	/* back: the kubelet renews its Lease and posts its conditions at once
	 * (the node stays silent until both are written, so a failed return
	 * can be retried).
	 * The Lease first, and synchronously: a watcher then sees it renewed
	 * before it sees Ready True, never a Ready node with a stale Lease. */
	if (ni->uid) {
		kube_object *lease = NULL;
		lease_json(&b, n, (unsigned int)i);
		if ((rc = object_of(&lease, &b)) != 0)
			return rc;
		rc = kube_store_update(NULL, n->store, lease);
		if (rc == KUBE_ENOTFOUND)
			rc = kube_store_create(NULL, n->store, lease);
		kube_object_unref(lease);
		if (rc != 0)
			return rc;
		n->stats.heartbeats++;
	}
	b = (kube__buf)KUBE__BUF_INIT;
	now_rfc3339(ts, 0);
	conditions_json(&b, ts);
	if (b.failed) {
		kube__buf_free(&b);
		return kube__error_oom();
	}
	rc = kube_store_guaranteed_update(NULL, n->store, "nodes", NULL, ni->name, post_conditions,
	                                  b.data);
	kube__buf_free(&b);
	if (rc != 0)
		return rc;
	ni->silent = 0;
	/* and starts the pods bound to it while it was down */
	snprintf(sel, sizeof(sel), "spec.nodeName=%s", ni->name);
	lo.field_selector = sel;
	if ((rc = kube_store_list(&pods, n->store, "pods", &lo, NULL, NULL)) != 0)
		return rc;
	for (size_t k = 0; k < kube_object_list_count(pods); k++)
		pod_event(n, kube_object_list_get(pods, k), 0);
	kube_object_list_free(pods);
	return 0;
}
