/*
 * local.c - the cloud-local reference plugin: a "cloud" that is this one
 * machine, for appliances and tests.
 *
 *   instances   every Node the host asks about exists and runs here
 *               (InstancesV2); its provider id is local://<node name>, its
 *               zone and region come from the Node's
 *               topology.kubernetes.io/zone and /region labels
 *   load bal.   TCP proxies on a loopback address of their own (127.x.y.z,
 *               so two Services may both use port 80), one listener per
 *               Service port, spreading connections round-robin over the
 *               nodes' InternalIP:nodePort; named as upstream's default
 *               ("a" + the Service UID without dashes, at most 32 bytes)
 *   routes      kept in memory, per cluster
 *
 * Zones (deprecated upstream) and Instances v1 are left out: implementing
 * InstancesV2 turns them off in the host.
 *
 * Threads: the proxies run on an event loop of the plugin's own (libevent,
 * one thread per instance), so they work whether or not the embedder runs a
 * loop.  Everything that touches listeners or connections runs on that
 * thread: the vtable methods hand it a closure through a pipe and wait
 * (run_on_loop).  The records (names, addresses, routes) are guarded by one
 * mutex.
 *
 *   lb ──ports[i]── listener 127.x.y.z:port ──accept──▶ conn { client ⇄ backend }
 *                   backends[] = node InternalIP : nodePort   (round-robin)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "libkube/plugin/cloud.h"

#define ZONE_LABEL "topology.kubernetes.io/zone"
#define REGION_LABEL "topology.kubernetes.io/region"
#define MAX_LBS 256
#define MAX_ROUTES 256
#define MAX_PORTS 16
#define MAX_BACKENDS 64

static const kube_host_api *host;

typedef struct lb lb;
typedef struct local local;

typedef struct lb_port {
	lb *owner;
	int port;                           /* the Service port, listened on */
	int node_port;                      /* where the backends listen */
	struct evconnlistener *listener;
	struct sockaddr_in backends[MAX_BACKENDS];
	size_t n_backends;
	size_t next;                        /* round-robin cursor */
} lb_port;

struct lb {
	local *l;
	char name[33];
	char cluster[64];
	struct in_addr ip;
	lb_port ports[MAX_PORTS];
	size_t n_ports;
};

typedef struct conn {
	struct bufferevent *side[2];        /* client, backend */
	int eof[2];                         /* that side sent EOF */
	int connected;                      /* the backend side is connected */
	struct conn *prev, *next;
	local *l;
} conn;

typedef struct route {
	char cluster[64];
	char name[128];
	char target_node[254];
	char cidr[64];
} route;

struct local {
	pthread_mutex_t mu;                 /* lbs[] membership and routes */
	lb *lbs[MAX_LBS];
	size_t n_lbs;
	route routes[MAX_ROUTES];
	size_t n_routes;
	uint32_t seed;                      /* picks loopback addresses */

	struct event_base *base;
	pthread_t thread;
	conn *conns;                        /* loop thread only */
	int wake[2];                        /* a pipe: run_on_loop -> the loop */
	struct event *wake_ev;
	pthread_mutex_t call_mu;            /* one run_on_loop at a time */
	struct call *pending;               /* under call_mu */
};

/* ---- the plugin's loop ---- */

static void *loop_main(void *arg)
{
	local *l = arg;
	event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

/*
 * Calls reach the loop thread through a pipe rather than libevent's own
 * cross-thread wakeup: that needs evthread_use_pthreads(), whose callbacks
 * live in libevent_pthreads.so and would dangle in the process-wide libevent
 * once this plugin (and with it that library) is unloaded.
 */
typedef struct call {
	int (*fn)(void *arg);
	void *arg;
	int rc;
	int done;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} call;

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	local *l = arg;
	char b;
	if (read(fd, &b, 1) != 1)
		return;
	call *c = l->pending;   /* set before the byte was written */
	int rc = c->fn(c->arg);
	pthread_mutex_lock(&c->mu);
	c->rc = rc;
	c->done = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* Runs fn(arg) on the loop thread and waits for it. */
static int run_on_loop(local *l, int (*fn)(void *), void *arg)
{
	call c = { .fn = fn, .arg = arg };
	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cv, NULL);
	pthread_mutex_lock(&l->call_mu);
	l->pending = &c;
	char b = 1;
	int rc;
	if (write(l->wake[1], &b, 1) != 1) {
		rc = host->error_set(KUBE_EIO, "cloud-local: cannot reach the proxy loop");
	} else {
		pthread_mutex_lock(&c.mu);
		while (!c.done)
			pthread_cond_wait(&c.cv, &c.mu);
		pthread_mutex_unlock(&c.mu);
		rc = c.rc;
	}
	l->pending = NULL;
	pthread_mutex_unlock(&l->call_mu);
	pthread_cond_destroy(&c.cv);
	pthread_mutex_destroy(&c.mu);
	return rc;
}

/* ---- connections (loop thread) ---- */

static void conn_free(conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	for (int i = 0; i < 2; i++)
		if (c->side[i])
			bufferevent_free(c->side[i]);
	free(c);
}

static int side_of(const conn *c, const struct bufferevent *bev)
{
	return c->side[0] == bev ? 0 : 1;
}

/*
 * Half-closes are passed on: when one side sends EOF, the other side's
 * write half is shut once everything read from the first has been written
 * to it, so a client that sends a request and shuts its write half still
 * gets the whole answer.  The connection ends when both sides sent EOF and
 * both outputs are drained, or at the first error.
 */
static void pass_eof(conn *c, int to)
{
	struct bufferevent *b = c->side[to];
	if (to == 1 && !c->connected)
		return;   /* after the connect (conn_event) */
	if (evbuffer_get_length(bufferevent_get_output(b)) == 0)
		shutdown(bufferevent_getfd(b), SHUT_WR);
}

static int finished(const conn *c)
{
	return c->eof[0] && c->eof[1] &&
	       evbuffer_get_length(bufferevent_get_output(c->side[0])) == 0 &&
	       evbuffer_get_length(bufferevent_get_output(c->side[1])) == 0;
}

static void conn_read(struct bufferevent *bev, void *arg)
{
	conn *c = arg;
	struct bufferevent *other = c->side[!side_of(c, bev)];
	evbuffer_add_buffer(bufferevent_get_output(other), bufferevent_get_input(bev));
}

/* An output drained: pass on a pending EOF, and end the connection when done. */
static void conn_written(struct bufferevent *bev, void *arg)
{
	conn *c = arg;
	int s = side_of(c, bev);
	if (c->eof[!s])
		pass_eof(c, s);
	if (finished(c))
		conn_free(c);
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
	conn *c = arg;
	int s = side_of(c, bev);
	if (what & BEV_EVENT_CONNECTED) {
		c->connected = 1;
		if (c->eof[0])
			pass_eof(c, 1);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		conn_free(c);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		conn_read(bev, c);   /* what was read before the EOF */
		c->eof[s] = 1;
		bufferevent_disable(bev, EV_READ);
		pass_eof(c, !s);
		if (finished(c))
			conn_free(c);
	}
}

static void on_accept(struct evconnlistener *lst, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
	(void)lst; (void)sa; (void)salen;
	lb_port *p = arg;
	local *l = p->owner->l;
	if (p->n_backends == 0) {
		evutil_closesocket(fd);   /* no endpoints: refuse by closing */
		return;
	}
	struct sockaddr_in to = p->backends[p->next++ % p->n_backends];
	conn *c = calloc(1, sizeof(*c));
	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	c->l = l;
	c->side[0] = bufferevent_socket_new(l->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->side[1] = bufferevent_socket_new(l->base, -1, BEV_OPT_CLOSE_ON_FREE);
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	if (!c->side[0] || !c->side[1]) {
		if (!c->side[0])
			evutil_closesocket(fd);
		conn_free(c);
		return;
	}
	for (int i = 0; i < 2; i++) {
		bufferevent_setcb(c->side[i], conn_read, conn_written, conn_event, c);
		bufferevent_enable(c->side[i], EV_READ | EV_WRITE);
	}
	if (bufferevent_socket_connect(c->side[1], (struct sockaddr *)&to, sizeof(to)) != 0)
		conn_free(c);
}

/* ---- open/close ---- */

static int lc_open(void **out, const char *config, size_t len, kube_host_loop *loop)
{
	(void)config; (void)len; (void)loop;
	local *l = host->calloc(1, sizeof(*l));
	if (!l)
		return KUBE_ENOMEM;
	l->wake[0] = l->wake[1] = -1;
	int ok = (l->base = event_base_new()) != NULL && pipe2(l->wake, O_CLOEXEC) == 0 &&
	         (l->wake_ev = event_new(l->base, l->wake[0], EV_READ | EV_PERSIST, wake_cb, l)) &&
	         event_add(l->wake_ev, NULL) == 0;
	if (ok) {
		pthread_mutex_init(&l->mu, NULL);
		pthread_mutex_init(&l->call_mu, NULL);
		l->seed = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
		if (pthread_create(&l->thread, NULL, loop_main, l) == 0) {
			*out = l;
			return 0;
		}
		pthread_mutex_destroy(&l->call_mu);
		pthread_mutex_destroy(&l->mu);
	}
	if (l->wake_ev)
		event_free(l->wake_ev);
	for (int i = 0; i < 2; i++)
		if (l->wake[i] >= 0)
			close(l->wake[i]);
	if (l->base)
		event_base_free(l->base);
	host->free(l);
	return host->error_set(KUBE_EIO, "cloud-local: cannot start the proxy loop");
}

static void lb_stop(lb *b)
{
	for (size_t i = 0; i < b->n_ports; i++) {
		if (b->ports[i].listener)
			evconnlistener_free(b->ports[i].listener);
		b->ports[i].listener = NULL;
	}
}

static int close_all(void *arg)
{
	local *l = arg;
	for (size_t i = 0; i < l->n_lbs; i++) {
		lb_stop(l->lbs[i]);
		host->free(l->lbs[i]);
	}
	l->n_lbs = 0;
	while (l->conns)
		conn_free(l->conns);
	event_base_loopbreak(l->base);
	return 0;
}

static void lc_close(void *self)
{
	local *l = self;
	if (!l)
		return;
	run_on_loop(l, close_all, l);
	pthread_join(l->thread, NULL);
	event_free(l->wake_ev);
	close(l->wake[0]);
	close(l->wake[1]);
	event_base_free(l->base);
	pthread_mutex_destroy(&l->call_mu);
	pthread_mutex_destroy(&l->mu);
	host->free(l);
}

static int lc_initialize(void *self, kube_host_loop *loop)
{
	(void)self; (void)loop;
	return 0;
}

static int lc_provider_name(void *self, const char **out)
{
	(void)self;
	*out = "local";
	return 0;
}

static int lc_has_cluster_id(void *self, int *out)
{
	(void)self;
	*out = 1;
	return 0;
}

/* ---- load balancers ---- */

/* Upstream's DefaultLoadBalancerName. */
static int lb_name(const kube_host_object *svc, char out[33])
{
	const char *uid = svc ? host->object_uid(svc) : NULL;
	if (!uid || !uid[0])
		return host->error_set(KUBE_EINVAL, "service has no metadata.uid");
	size_t n = 0;
	out[n++] = 'a';
	for (const char *s = uid; *s && n < 32; s++)
		if (*s != '-')
			out[n++] = *s;
	out[n] = '\0';
	return 0;
}

static lb *lb_find(local *l, const char *cluster, const char *name)
{
	for (size_t i = 0; i < l->n_lbs; i++)
		if (strcmp(l->lbs[i]->name, name) == 0 && strcmp(l->lbs[i]->cluster, cluster) == 0)
			return l->lbs[i];
	return NULL;
}

static int fill_status(const lb *b, kube_cloud_lb_status *out)
{
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &b->ip, ip, sizeof(ip));
	out->ingress = host->calloc(1, sizeof(*out->ingress));
	if (!out->ingress || !(out->ingress[0].ip = host->strdup(ip))) {
		host->free(out->ingress);
		out->ingress = NULL;
		return KUBE_ENOMEM;
	}
	out->n_ingress = 1;
	return 0;
}

/* What ensure/update hand to the loop thread. */
typedef struct lb_job {
	local *l;
	const char *cluster;
	const kube_host_object *svc;
	const kube_host_object *const *nodes;
	size_t n_nodes;
	int create;                 /* ensure: create if missing */
	char name[33];
	kube_cloud_lb_status *out;
} lb_job;

/* The ports the Service asks for, as (port, nodePort). */
static int read_ports(const kube_host_object *svc, lb_port *ports, size_t *n)
{
	size_t len = 0;
	*n = 0;
	if (host->object_get_len(svc, "spec.ports", &len) != 0)
		return 0;
	for (size_t i = 0; i < len && *n < MAX_PORTS; i++) {
		char path[64];
		int64_t port = 0, node_port = 0;
		const char *proto = NULL;
		snprintf(path, sizeof(path), "spec.ports[%zu].protocol", i);
		if (host->object_get_string(svc, path, &proto) == 0 && proto && strcmp(proto, "TCP") != 0)
			continue;   /* TCP proxies only */
		snprintf(path, sizeof(path), "spec.ports[%zu].port", i);
		if (host->object_get_int(svc, path, &port) != 0 || port <= 0 || port > 65535)
			return host->error_set(KUBE_EINVAL, "service port without a valid number");
		snprintf(path, sizeof(path), "spec.ports[%zu].nodePort", i);
		if (host->object_get_int(svc, path, &node_port) != 0)
			node_port = port;
		ports[*n].port = (int)port;
		ports[*n].node_port = (int)node_port;
		(*n)++;
	}
	return 0;
}

/* Every node's InternalIP (else its first address) at nodePort. */
static void read_backends(lb_port *p, const kube_host_object *const *nodes, size_t n_nodes)
{
	p->n_backends = 0;
	for (size_t i = 0; i < n_nodes && p->n_backends < MAX_BACKENDS; i++) {
		size_t len = 0;
		const char *addr = NULL;
		if (!nodes[i] || host->object_get_len(nodes[i], "status.addresses", &len) != 0)
			continue;
		for (size_t j = 0; j < len; j++) {
			char path[64];
			const char *type = NULL, *a = NULL;
			snprintf(path, sizeof(path), "status.addresses[%zu].type", j);
			host->object_get_string(nodes[i], path, &type);
			snprintf(path, sizeof(path), "status.addresses[%zu].address", j);
			if (host->object_get_string(nodes[i], path, &a) != 0)
				continue;
			if (!addr)
				addr = a;
			if (type && strcmp(type, "InternalIP") == 0) {
				addr = a;
				break;
			}
		}
		struct sockaddr_in *sa = &p->backends[p->n_backends];
		memset(sa, 0, sizeof(*sa));
		sa->sin_family = AF_INET;
		sa->sin_port = htons((uint16_t)p->node_port);
		if (addr && inet_pton(AF_INET, addr, &sa->sin_addr) == 1)
			p->n_backends++;
	}
}

static int lb_listen(lb *b)
{
	for (size_t i = 0; i < b->n_ports; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = b->ip,
		                          .sin_port = htons((uint16_t)b->ports[i].port) };
		b->ports[i].owner = b;
		b->ports[i].listener = evconnlistener_new_bind(b->l->base, on_accept, &b->ports[i],
		                                               LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
		                                               64, (struct sockaddr *)&sa, sizeof(sa));
		if (!b->ports[i].listener) {
			lb_stop(b);
			return -1;
		}
	}
	return 0;
}

/* A loopback address no other load balancer holds: 127.x.y.z, never 127.0.0.1. */
static struct in_addr pick_ip(local *l)
{
	for (;;) {
		l->seed = l->seed * 1103515245u + 12345u;
		uint32_t low = (l->seed >> 8) & 0xffffffu;
		if ((low & 0xff) == 0 || (low & 0xff) == 255 || low == 1)
			continue;
		struct in_addr ip = { htonl(0x7f000000u | low) };
		int taken = 0;
		for (size_t i = 0; i < l->n_lbs; i++)
			taken |= l->lbs[i]->ip.s_addr == ip.s_addr;
		if (!taken)
			return ip;
	}
}

static int lb_apply(void *arg)
{
	lb_job *j = arg;
	local *l = j->l;
	lb_port ports[MAX_PORTS];
	size_t n_ports = 0;
	memset(ports, 0, sizeof(ports));
	int rc = read_ports(j->svc, ports, &n_ports);
	if (rc)
		return rc;
	pthread_mutex_lock(&l->mu);
	lb *b = lb_find(l, j->cluster, j->name);
	pthread_mutex_unlock(&l->mu);
	if (!b && !j->create)
		return host->error_set(KUBE_ENOTFOUND, "cloud-local: no such load balancer");
	int fresh = !b;
	if (fresh) {
		if (l->n_lbs == MAX_LBS)
			return host->error_set(KUBE_ENOSPC, "cloud-local: too many load balancers");
		if (!(b = host->calloc(1, sizeof(*b))))
			return KUBE_ENOMEM;
		b->l = l;
		snprintf(b->name, sizeof(b->name), "%s", j->name);
		snprintf(b->cluster, sizeof(b->cluster), "%s", j->cluster);
	}
	/* Same ports: only the backends change.  Else listen anew. */
	int same = !fresh && n_ports == b->n_ports;
	for (size_t i = 0; same && i < n_ports; i++)
		same = ports[i].port == b->ports[i].port && ports[i].node_port == b->ports[i].node_port;
	if (!same) {
		lb_stop(b);
		memcpy(b->ports, ports, sizeof(ports));
		b->n_ports = n_ports;
		int tries = 0;
		for (;;) {
			if (fresh || tries > 0) {
				pthread_mutex_lock(&l->mu);
				b->ip = pick_ip(l);
				pthread_mutex_unlock(&l->mu);
			}
			if (lb_listen(b) == 0)
				break;
			int e = errno;
			if (++tries == 8 || e != EADDRINUSE) {
				char msg[160];
				snprintf(msg, sizeof(msg), "cloud-local: cannot listen for load balancer %s: %s",
				         b->name, strerror(e));
				if (fresh)
					host->free(b);
				else
					b->n_ports = 0;   /* keeps its record, serves nothing */
				return host->error_set(e == EACCES ? KUBE_EPERM : KUBE_EIO, msg);
			}
		}
	}
	for (size_t i = 0; i < b->n_ports; i++)
		read_backends(&b->ports[i], j->nodes, j->n_nodes);
	if (fresh) {
		pthread_mutex_lock(&l->mu);
		l->lbs[l->n_lbs++] = b;
		pthread_mutex_unlock(&l->mu);
	}
	return j->out ? fill_status(b, j->out) : 0;
}

static int lc_get_load_balancer(void *self, const char *cluster, const kube_host_object *svc,
                                kube_cloud_lb_status *out, int *exists)
{
	local *l = self;
	char name[33];
	int rc = lb_name(svc, name);
	if (rc)
		return rc;
	pthread_mutex_lock(&l->mu);
	lb *b = lb_find(l, cluster ? cluster : "", name);
	*exists = b != NULL;
	rc = b ? fill_status(b, out) : 0;
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static int lc_get_load_balancer_name(void *self, const char *cluster,
                                     const kube_host_object *svc, char **out)
{
	(void)self; (void)cluster;
	char name[33];
	int rc = lb_name(svc, name);
	if (rc)
		return rc;
	*out = host->strdup(name);
	return *out ? 0 : KUBE_ENOMEM;
}

static int lc_ensure_load_balancer(void *self, const char *cluster, const kube_host_object *svc,
                                   const kube_host_object *const *nodes, size_t n_nodes,
                                   kube_cloud_lb_status *out, uint32_t *retry_after_s)
{
	(void)retry_after_s;
	lb_job j = { .l = self, .cluster = cluster ? cluster : "", .svc = svc, .nodes = nodes,
	             .n_nodes = n_nodes, .create = 1, .out = out };
	int rc = lb_name(svc, j.name);
	return rc ? rc : run_on_loop(self, lb_apply, &j);
}

static int lc_update_load_balancer(void *self, const char *cluster, const kube_host_object *svc,
                                   const kube_host_object *const *nodes, size_t n_nodes,
                                   uint32_t *retry_after_s)
{
	(void)retry_after_s;
	lb_job j = { .l = self, .cluster = cluster ? cluster : "", .svc = svc, .nodes = nodes,
	             .n_nodes = n_nodes, .create = 0 };
	int rc = lb_name(svc, j.name);
	return rc ? rc : run_on_loop(self, lb_apply, &j);
}

static int lb_delete(void *arg)
{
	lb_job *j = arg;
	local *l = j->l;
	pthread_mutex_lock(&l->mu);
	lb *b = lb_find(l, j->cluster, j->name);
	if (b) {
		for (size_t i = 0; i < l->n_lbs; i++)
			if (l->lbs[i] == b)
				l->lbs[i] = l->lbs[--l->n_lbs];   /* order does not matter */
	}
	pthread_mutex_unlock(&l->mu);
	if (b) {
		lb_stop(b);   /* open connections run on to their end */
		host->free(b);
	}
	return 0;   /* already gone is success */
}

static int lc_ensure_load_balancer_deleted(void *self, const char *cluster,
                                           const kube_host_object *svc)
{
	lb_job j = { .l = self, .cluster = cluster ? cluster : "", .svc = svc };
	int rc = lb_name(svc, j.name);
	return rc ? rc : run_on_loop(self, lb_delete, &j);
}

/* ---- InstancesV2 ---- */

static int lc_instance_exists(void *self, const kube_host_object *node, int *exists)
{
	(void)self;
	if (!node || !host->object_name(node))
		return host->error_set(KUBE_EINVAL, "node has no name");
	*exists = 1;
	return 0;
}

static int lc_instance_shutdown(void *self, const kube_host_object *node, int *shutdown)
{
	(void)self;
	if (!node || !host->object_name(node))
		return host->error_set(KUBE_EINVAL, "node has no name");
	*shutdown = 0;
	return 0;
}

static int lc_instance_metadata(void *self, const kube_host_object *node,
                                kube_cloud_instance_metadata *out)
{
	(void)self;
	const char *name = node ? host->object_name(node) : NULL;
	if (!name)
		return host->error_set(KUBE_EINVAL, "node has no name");
	char id[300];
	snprintf(id, sizeof(id), "local://%s", name);
	const char *zone = host->object_label(node, ZONE_LABEL);
	const char *region = host->object_label(node, REGION_LABEL);
	out->provider_id = host->strdup(id);
	out->instance_type = host->strdup("local");
	out->zone = host->strdup(zone ? zone : "");
	out->region = host->strdup(region ? region : "");
	if (!out->provider_id || !out->instance_type || !out->zone || !out->region)
		return KUBE_ENOMEM;   /* the host frees what was set */
	return 0;
}

/* ---- routes ---- */

static int lc_list_routes(void *self, const char *cluster, kube_cloud_route_list *out)
{
	local *l = self;
	if (!cluster)
		cluster = "";
	pthread_mutex_lock(&l->mu);
	int rc = 0;
	size_t n = 0;
	for (size_t i = 0; i < l->n_routes; i++)
		n += strcmp(l->routes[i].cluster, cluster) == 0;
	out->items = n ? host->calloc(n, sizeof(*out->items)) : NULL;
	if (n && !out->items)
		rc = KUBE_ENOMEM;
	for (size_t i = 0; !rc && i < l->n_routes; i++) {
		const route *r = &l->routes[i];
		if (strcmp(r->cluster, cluster) != 0)
			continue;
		kube_cloud_route *o = &out->items[out->n++];
		o->name = host->strdup(r->name);
		o->target_node = host->strdup(r->target_node);
		o->destination_cidr = host->strdup(r->cidr);
		if (!o->name || !o->target_node || !o->destination_cidr)
			rc = KUBE_ENOMEM;
	}
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static route *route_find(local *l, const char *cluster, const char *cidr)
{
	for (size_t i = 0; i < l->n_routes; i++)
		if (strcmp(l->routes[i].cluster, cluster) == 0 && strcmp(l->routes[i].cidr, cidr) == 0)
			return &l->routes[i];
	return NULL;
}

static int lc_create_route(void *self, const char *cluster, const char *name_hint,
                           const kube_cloud_route *r)
{
	local *l = self;
	if (!r || !r->destination_cidr || !r->target_node)
		return host->error_set(KUBE_EINVAL, "route needs a target node and a destination CIDR");
	if (!cluster)
		cluster = "";
	pthread_mutex_lock(&l->mu);
	route *x = route_find(l, cluster, r->destination_cidr);
	int rc = 0;
	if (!x && l->n_routes == MAX_ROUTES)
		rc = host->error_set(KUBE_ENOSPC, "cloud-local: too many routes");
	else if (!x)
		x = &l->routes[l->n_routes++];
	if (x) {
		snprintf(x->cluster, sizeof(x->cluster), "%s", cluster);
		snprintf(x->name, sizeof(x->name), "%s", name_hint ? name_hint : r->destination_cidr);
		snprintf(x->target_node, sizeof(x->target_node), "%s", r->target_node);
		snprintf(x->cidr, sizeof(x->cidr), "%s", r->destination_cidr);
	}
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static int lc_delete_route(void *self, const char *cluster, const kube_cloud_route *r)
{
	local *l = self;
	if (!r || !r->destination_cidr)
		return host->error_set(KUBE_EINVAL, "route needs a destination CIDR");
	pthread_mutex_lock(&l->mu);
	route *x = route_find(l, cluster ? cluster : "", r->destination_cidr);
	if (x)
		*x = l->routes[--l->n_routes];
	pthread_mutex_unlock(&l->mu);
	return 0;
}

static const kube_cloud_provider vtable = {
	.abi_version = KUBE_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(kube_cloud_provider),
	.open = lc_open,
	.close = lc_close,
	.initialize = lc_initialize,
	.provider_name = lc_provider_name,
	.has_cluster_id = lc_has_cluster_id,
	.get_load_balancer = lc_get_load_balancer,
	.get_load_balancer_name = lc_get_load_balancer_name,
	.ensure_load_balancer = lc_ensure_load_balancer,
	.update_load_balancer = lc_update_load_balancer,
	.ensure_load_balancer_deleted = lc_ensure_load_balancer_deleted,
	.instance_exists = lc_instance_exists,
	.instance_shutdown = lc_instance_shutdown,
	.instance_metadata = lc_instance_metadata,
	.list_routes = lc_list_routes,
	.create_route = lc_create_route,
	.delete_route = lc_delete_route,
};

static const kube_plugin_descriptor descriptor = {
	.abi_major = KUBE_PLUGIN_ABI_MAJOR,
	.abi_minor = KUBE_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(kube_plugin_descriptor),
	.name = "local",
	.version = "0.1.0",
	.kind = KUBE_PLUGIN_CLOUD,
	.vtable = &vtable,
};

KUBE_PLUGIN_DEFINE_ENTRY(h)
{
	if (!h || KUBE_PLUGIN_ABI_MAJOR_OF(h->abi_version) != KUBE_PLUGIN_ABI_MAJOR ||
	    !KUBE_HOST_HAS(h, object_label))
		return NULL;
	host = h;
	return &descriptor;
}
