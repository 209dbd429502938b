/*
 * endpoints.c - the Endpoints controller, as upstream's
 * pkg/controller/endpoint (with the helpers it takes from
 * k8s.io/endpointslice/util and pkg/api/v1/endpoints).
 *
 * One sync of a Service ("ns/name"):
 *
 *   gone              its Endpoints are deleted (not found is fine);
 *   type ExternalName, or no selector (a missing or empty spec.selector:
 *                     upstream's nil, which an empty map becomes in its
 *                     protobuf storage)  -> nothing: those Endpoints are
 *                     the user's;
 *   else              the pods of its namespace that the selector matches
 *                     -> one address each (ShouldPodBeInEndpoints: not
 *                     Succeeded/Failed, an IP, not being deleted unless
 *                     publishNotReadyAddresses), of the IP family of
 *                     spec.ipFamilies[0] (else of the clusterIP, else of
 *                     the pod's IP), with nodeName, targetRef (Pod,
 *                     namespace, name, uid) and hostname when
 *                     spec.hostname is set and spec.subdomain names the
 *                     Service; ready (Ready condition True, or
 *                     publishNotReadyAddresses) or not ready;
 *                     per service port, targetPort resolved on the pod
 *                     (FindPort: a name against the ports of its
 *                     containers and restartable init containers, by name
 *                     and protocol; a number as is; unset = port), a pod
 *                     that cannot serve a port being left out of that
 *                     port; a headless Service without ports gets the
 *                     addresses with no ports; then RepackSubsets.
 *
 * RepackSubsets groups the ports that have the same addresses with the
 * same readiness (an address not ready on any contribution is not ready),
 * and sorts: addresses by IP then targetRef uid, ports and subsets by the
 * MD5 of their Go printing under k8s.io/utils/dump.ForHash (spew's %#v),
 * which is reproduced here byte for byte so that the order is upstream's.
 *
 * The Endpoints is written only when its subsets (targetRef
 * resourceVersion aside), or its labels without the headless label,
 * differ from what they should be, or the over-capacity annotation is
 * wrong: labels = the Service's, plus service.kubernetes.io/headless ""
 * when clusterIP is "None"; more than 1000 addresses are truncated as
 * upstream's truncateEndpoints (ready ones first, spread over the subsets
 * in proportion, rounded up) with endpoints.kubernetes.io/over-capacity:
 * truncated; endpoints.kubernetes.io/last-change-trigger-time from
 * upstream's TriggerTimeTracker (the Service's creationTimestamp the first
 * time; then the earliest Ready-condition transition, or Service creation,
 * newer than at the previous sync; none: the annotation goes).
 *
 * Pod events enqueue the Services whose selectors match the pod
 * (GetPodServiceMemberships / GetServicesToUpdateOnPodChange: on a label
 * change, both the old and the new ones when the pod's endpoint also
 * changed, else those that match only one of the two).  Endpoints events:
 * a deletion enqueues its Service (to write it again); those present when
 * the controller starts are enqueued once (checkLeftoverEndpoints: with no
 * Service they are deleted), except leader-election records.  After an
 * update, a cache still showing the old resourceVersion makes the sync
 * requeue (staleEndpointsTracker); a key failing 15 times is dropped
 * (maxRetries).
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers_private.h"

#define MAX_CAPACITY 1000
#define MAX_RETRIES 15
#define HEADLESS_LABEL "service.kubernetes.io/headless"
#define TRIGGER_TIME_ANNOTATION "endpoints.kubernetes.io/last-change-trigger-time"
#define OVER_CAPACITY_ANNOTATION "endpoints.kubernetes.io/over-capacity"
#define LEADER_ANNOTATION "control-plane.alpha.kubernetes.io/leader"

/* One Service's TriggerTimeTracker state. */
typedef struct pod_time {
	char *name;
	int64_t t;
} pod_time;

typedef struct svc_state {
	char *key;                   /* owns the map's key */
	int64_t svc_time;
	pod_time *pods;              /* sorted by name */
	size_t npods;
} svc_state;

/* staleEndpointsTracker: the resourceVersion an update replaced. */
typedef struct stale_rv {
	char *key;
	char *rv;
} stale_rv;

struct kube_endpoints_controller {
	kube_store *store;
	kube_informer *pods, *services, *endpoints;
	kube_informer_handler *pods_h, *services_h, *endpoints_h;
	kube_controller *runner;
	kube__strmap triggers;       /* "ns/name" -> svc_state */
	kube__strmap stale;          /* "ns/name" -> stale_rv */
	int synced;                  /* a sync has run: the start-up is over */
};

/* ---- MD5 (RFC 1321), for upstream's hash order ---- */

static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
	0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
	0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
	0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
	0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
	0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
	0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
	0xeb86d391
};

static const unsigned char md5_s[64] = {
	7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
	5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
	4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
	6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21
};

static void md5_block(uint32_t h[4], const unsigned char *p)
{
	uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
		       (uint32_t)p[4 * i + 3] << 24;
	for (int i = 0; i < 64; i++) {
		uint32_t f, x, t;
		int g;
		if (i < 16) {
			f = (b & c) | (~b & d);
			g = i;
		} else if (i < 32) {
			f = (d & b) | (~d & c);
			g = (5 * i + 1) % 16;
		} else if (i < 48) {
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
		} else {
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
		}
		x = a + f + md5_k[i] + w[g];
		t = d;
		d = c;
		c = b;
		b = b + ((x << md5_s[i]) | (x >> (32 - md5_s[i])));
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

/* Exposed to the unit tests (not in a header: nothing else uses it). */
KUBE_INTERNAL void kube__endpoints_md5(const void *data, size_t len, unsigned char out[16]);

void kube__endpoints_md5(const void *data, size_t len, unsigned char out[16])
{
	uint32_t h[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
	const unsigned char *p = data;
	unsigned char tail[128];
	size_t full = len / 64 * 64, rest = len - full, tl;
	uint64_t bits = (uint64_t)len * 8;

	for (size_t i = 0; i < full; i += 64)
		md5_block(h, p + i);
	memset(tail, 0, sizeof(tail));
	if (rest)
		memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	tl = rest + 1 + 8 <= 64 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[tl - 8 + i] = (unsigned char)(bits >> (8 * i));
	md5_block(h, tail);
	if (tl == 128)
		md5_block(h, tail + 64);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (unsigned char)(h[i] >> (8 * j));
}

/* ---- the subsets ---- */

typedef struct ep_addr {
	const char *ip, *hostname;   /* hostname "" when none */
	const char *node;            /* NULL: no nodeName (Go's nil pointer) */
	int has_ref;
	/* targetRef, "" when absent; its resourceVersion is never compared */
	const char *kind, *ns, *name, *uid, *api_version, *rv, *field_path;
} ep_addr;

typedef struct ep_port {
	const char *name, *protocol;  /* "" when absent */
	const char *app_protocol;     /* NULL: nil */
	int64_t port;
	int sentinel;                 /* RepackSubsets' "no ports" marker */
	unsigned char md5[16];
} ep_port;

typedef struct ep_subset {
	const ep_addr **ready;
	size_t nready;
	const ep_addr **not_ready;
	size_t nnot;
	const ep_port **ports;
	size_t nports;
	unsigned char md5[16];
} ep_subset;

/* Subsets and the addresses and ports they point at. */
typedef struct ep_set {
	ep_subset *v;
	size_t n;
	ep_addr *addrs;
	size_t naddrs;
	ep_port *ports;
	size_t nports;
} ep_set;

static void set_free(ep_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		kube_free(s->v[i].ready);
		kube_free(s->v[i].not_ready);
		kube_free(s->v[i].ports);
	}
	kube_free(s->v);
	kube_free(s->addrs);
	kube_free(s->ports);
	memset(s, 0, sizeof(*s));
}

static size_t set_address_count(const ep_set *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += s->v[i].nready + s->v[i].nnot;
	return n;
}

/* ---- Go's printing (dump.ForHash: spew %#v) ---- */

static void spew_port(kube__buf *b, const ep_port *p)
{
	kube__buf_printf(b, "{Name:(string)%s Port:(int32)%lld Protocol:(v1.Protocol)%s "
	                    "AppProtocol:(*string)%s}",
	                 p->name, (long long)p->port, p->protocol,
	                 p->app_protocol ? p->app_protocol : "<nil>");
}

static void spew_addr(kube__buf *b, const ep_addr *a)
{
	kube__buf_printf(b, "{IP:(string)%s Hostname:(string)%s NodeName:(*string)%s "
	                    "TargetRef:(*v1.ObjectReference)",
	                 a->ip, a->hostname, a->node ? a->node : "<nil>");
	if (a->has_ref)
		kube__buf_printf(b, "{Kind:(string)%s Namespace:(string)%s Name:(string)%s "
		                    "UID:(types.UID)%s APIVersion:(string)%s ResourceVersion:(string)%s "
		                    "FieldPath:(string)%s}}",
		                 a->kind, a->ns, a->name, a->uid, a->api_version, a->rv, a->field_path);
	else
		kube__buf_puts(b, "<nil>}");
}

/* A slice: "<nil>" when empty (RepackSubsets leaves empty ones nil). */
static void spew_addrs(kube__buf *b, const ep_addr *const *v, size_t n)
{
	if (n == 0) {
		kube__buf_puts(b, "<nil>");
		return;
	}
	kube__buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			kube__buf_putc(b, ' ');
		spew_addr(b, v[i]);
	}
	kube__buf_putc(b, ']');
}

static int port_hash(ep_port *p)
{
	kube__buf b = KUBE__BUF_INIT;

	kube__buf_puts(&b, "(v1.EndpointPort)");
	spew_port(&b, p);
	if (b.failed) {
		kube__buf_free(&b);
		return kube__error_oom();
	}
	kube__endpoints_md5(b.data, b.len, p->md5);
	kube__buf_free(&b);
	return 0;
}

static int subset_hash(ep_subset *s)
{
	kube__buf b = KUBE__BUF_INIT;

	kube__buf_puts(&b, "(v1.EndpointSubset){Addresses:([]v1.EndpointAddress)");
	spew_addrs(&b, s->ready, s->nready);
	kube__buf_puts(&b, " NotReadyAddresses:([]v1.EndpointAddress)");
	spew_addrs(&b, s->not_ready, s->nnot);
	kube__buf_puts(&b, " Ports:([]v1.EndpointPort)");
	if (s->nports == 0) {
		kube__buf_puts(&b, "<nil>");
	} else {
		kube__buf_putc(&b, '[');
		for (size_t i = 0; i < s->nports; i++) {
			if (i)
				kube__buf_putc(&b, ' ');
			spew_port(&b, s->ports[i]);
		}
		kube__buf_putc(&b, ']');
	}
	kube__buf_putc(&b, '}');
	if (b.failed) {
		kube__buf_free(&b);
		return kube__error_oom();
	}
	kube__endpoints_md5(b.data, b.len, s->md5);
	kube__buf_free(&b);
	return 0;
}

/* Exposed to the unit tests: the MD5 upstream sorts a port by. */
KUBE_INTERNAL int kube__endpoints_port_md5(const char *name, int64_t port, const char *protocol,
                                           const char *app_protocol, unsigned char out[16]);

int kube__endpoints_port_md5(const char *name, int64_t port, const char *protocol,
                             const char *app_protocol, unsigned char out[16])
{
	ep_port p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.port = port;
	p.protocol = protocol;
	p.app_protocol = app_protocol;
	if ((rc = port_hash(&p)) == 0)
		memcpy(out, p.md5, 16);
	return rc;
}

/* ---- comparing (apiequality.Semantic, targetRef resourceVersion aside) ---- */

static int str_eq_opt(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static int addr_eq(const ep_addr *a, const ep_addr *b)
{
	if (strcmp(a->ip, b->ip) != 0 || strcmp(a->hostname, b->hostname) != 0 ||
	    !str_eq_opt(a->node, b->node) || a->has_ref != b->has_ref)
		return 0;
	return !a->has_ref ||
	       (strcmp(a->kind, b->kind) == 0 && strcmp(a->ns, b->ns) == 0 &&
	        strcmp(a->name, b->name) == 0 && strcmp(a->uid, b->uid) == 0 &&
	        strcmp(a->api_version, b->api_version) == 0 &&
	        strcmp(a->field_path, b->field_path) == 0);
}

static int port_eq(const ep_port *a, const ep_port *b)
{
	return a->port == b->port && strcmp(a->name, b->name) == 0 &&
	       strcmp(a->protocol, b->protocol) == 0 && str_eq_opt(a->app_protocol, b->app_protocol);
}

static int addrs_eq(const ep_addr *const *a, size_t na, const ep_addr *const *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (!addr_eq(a[i], b[i]))
			return 0;
	return 1;
}

static int sets_eq(const ep_set *a, const ep_set *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const ep_subset *x = &a->v[i], *y = &b->v[i];
		if (!addrs_eq(x->ready, x->nready, y->ready, y->nready) ||
		    !addrs_eq(x->not_ready, x->nnot, y->not_ready, y->nnot) || x->nports != y->nports)
			return 0;
		for (size_t j = 0; j < x->nports; j++)
			if (!port_eq(x->ports[j], y->ports[j]))
				return 0;
	}
	return 1;
}

/* ---- reading an Endpoints' subsets ---- */

static const char *str_at(const kube_object *o, const char *path, const char *def)
{
	const char *v;
	return kube_object_get_string(o, path, &v) == 0 && v ? v : def;
}

static size_t len_at(const kube_object *o, const char *path)
{
	size_t n = 0;
	return kube_object_get_len(o, path, &n) == 0 ? n : 0;
}

static void read_addr(ep_addr *a, const kube_object *o, const char *base)
{
	char path[160];
	kube_value_type t;

	memset(a, 0, sizeof(*a));
#define AT(field) (snprintf(path, sizeof(path), "%s.%s", base, field), path)
	a->ip = str_at(o, AT("ip"), "");
	a->hostname = str_at(o, AT("hostname"), "");
	a->node = str_at(o, AT("nodeName"), NULL);
	a->has_ref = kube_object_get_type(o, AT("targetRef"), &t) == 0 && t == KUBE_VALUE_MAP;
	a->kind = str_at(o, AT("targetRef.kind"), "");
	a->ns = str_at(o, AT("targetRef.namespace"), "");
	a->name = str_at(o, AT("targetRef.name"), "");
	a->uid = str_at(o, AT("targetRef.uid"), "");
	a->api_version = str_at(o, AT("targetRef.apiVersion"), "");
	a->rv = str_at(o, AT("targetRef.resourceVersion"), "");
	a->field_path = str_at(o, AT("targetRef.fieldPath"), "");
#undef AT
}

/* The subsets of ep (strings borrowed from it) into *s. */
static int read_subsets(ep_set *s, const kube_object *ep)
{
	size_t n = len_at(ep, "subsets"), na = 0, np = 0, ai = 0, pi = 0;
	char path[128];

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "subsets[%zu].addresses", i);
		na += len_at(ep, path);
		snprintf(path, sizeof(path), "subsets[%zu].notReadyAddresses", i);
		na += len_at(ep, path);
		snprintf(path, sizeof(path), "subsets[%zu].ports", i);
		np += len_at(ep, path);
	}
	if (!(s->v = kube_calloc(n ? n : 1, sizeof(*s->v))) ||
	    !(s->addrs = kube_calloc(na ? na : 1, sizeof(*s->addrs))) ||
	    !(s->ports = kube_calloc(np ? np : 1, sizeof(*s->ports)))) {
		set_free(s);
		return kube__error_oom();
	}
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		ep_subset *sub = &s->v[i];
		size_t nr, nn, npo;
		snprintf(path, sizeof(path), "subsets[%zu].addresses", i);
		nr = len_at(ep, path);
		snprintf(path, sizeof(path), "subsets[%zu].notReadyAddresses", i);
		nn = len_at(ep, path);
		snprintf(path, sizeof(path), "subsets[%zu].ports", i);
		npo = len_at(ep, path);
		if (!(sub->ready = kube_calloc(nr ? nr : 1, sizeof(*sub->ready))) ||
		    !(sub->not_ready = kube_calloc(nn ? nn : 1, sizeof(*sub->not_ready))) ||
		    !(sub->ports = kube_calloc(npo ? npo : 1, sizeof(*sub->ports)))) {
			set_free(s);
			return kube__error_oom();
		}
		for (size_t j = 0; j < nr; j++) {
			snprintf(path, sizeof(path), "subsets[%zu].addresses[%zu]", i, j);
			read_addr(&s->addrs[ai], ep, path);
			sub->ready[sub->nready++] = &s->addrs[ai++];
		}
		for (size_t j = 0; j < nn; j++) {
			snprintf(path, sizeof(path), "subsets[%zu].notReadyAddresses[%zu]", i, j);
			read_addr(&s->addrs[ai], ep, path);
			sub->not_ready[sub->nnot++] = &s->addrs[ai++];
		}
		for (size_t j = 0; j < npo; j++) {
			ep_port *p = &s->ports[pi++];
			char pp[128];
			snprintf(pp, sizeof(pp), "subsets[%zu].ports[%zu].name", i, j);
			p->name = str_at(ep, pp, "");
			snprintf(pp, sizeof(pp), "subsets[%zu].ports[%zu].protocol", i, j);
			p->protocol = str_at(ep, pp, "");
			snprintf(pp, sizeof(pp), "subsets[%zu].ports[%zu].appProtocol", i, j);
			p->app_protocol = str_at(ep, pp, NULL);
			snprintf(pp, sizeof(pp), "subsets[%zu].ports[%zu].port", i, j);
			p->port = kube__get_int_or(ep, pp, 0);
			sub->ports[sub->nports++] = p;
		}
	}
	s->naddrs = ai;
	s->nports = pi;
	return 0;
}

/* ---- pods -> addresses and ports ---- */

/* utilnet.IsIPv6String: an IP that is not IPv4 (nor IPv4-mapped). */
static int is_ipv6(const char *s)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char buf[16];

	if (!s || !*s || inet_pton(AF_INET6, s, buf) != 1)
		return 0;
	return memcmp(buf, mapped, sizeof(mapped)) != 0;
}

/* status.podIPs as the API server keeps them: podIPs, or [podIP] when
 * podIPs is empty or does not start with podIP (its conversion makes
 * podIP authoritative).  Up to max; returns how many. */
static size_t pod_ips(const kube_object *pod, const char **ips, size_t max)
{
	const char *ip = str_at(pod, "status.podIP", "");
	size_t n = len_at(pod, "status.podIPs"), k = 0;
	char path[64];

	if (*ip && (n == 0 || strcmp(str_at(pod, "status.podIPs[0].ip", ""), ip) != 0)) {
		ips[0] = ip;
		return 1;
	}
	for (size_t i = 0; i < n && k < max; i++) {
		snprintf(path, sizeof(path), "status.podIPs[%zu].ip", i);
		ips[k++] = str_at(pod, path, "");
	}
	return k;
}

/* spec.clusterIP, or spec.clusterIPs[0] as the API server keeps them equal. */
static const char *cluster_ip(const kube_object *svc)
{
	const char *ip = str_at(svc, "spec.clusterIP", "");
	return *ip ? ip : str_at(svc, "spec.clusterIPs[0]", "");
}

/* ShouldPodBeInEndpoints. */
static int pod_in_endpoints(const kube_object *pod, int include_terminating)
{
	const char *phase = kube__pod_phase(pod), *ips[1];

	if (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0)
		return 0;
	if (pod_ips(pod, ips, 1) == 0)
		return 0;
	return include_terminating || !kube_object_deletion_timestamp(pod);
}

/* podToEndpointAddressForService, plus the hostname (ShouldSetHostname).
 * 0, or KUBE_ENOTFOUND when the pod has no IP of the Service's family. */
static int pod_address(ep_addr *a, const kube_object *svc, const kube_object *pod)
{
	const char *ips[8], *cip = cluster_ip(svc), *fam;
	size_t n = pod_ips(pod, ips, KUBE_ARRAY_SIZE(ips));
	const char *hostname = str_at(pod, "spec.hostname", "");
	int v6;

	if (len_at(svc, "spec.ipFamilies") > 0) {
		fam = str_at(svc, "spec.ipFamilies[0]", "");
		v6 = strcmp(fam, "IPv6") == 0;
	} else if (*cip && strcmp(cip, "None") != 0) {
		v6 = is_ipv6(cip);
	} else {
		/* headless: the family of the pod's (first) IP */
		v6 = n > 0 && is_ipv6(ips[0]);
	}
	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < n; i++) {
		if (is_ipv6(ips[i]) == v6) {
			a->ip = ips[i];
			break;
		}
	}
	if (!a->ip || !*a->ip)
		return KUBE_ENOTFOUND;
	a->hostname = "";
	if (*hostname && strcmp(str_at(pod, "spec.subdomain", ""), kube_object_name(svc)) == 0 &&
	    strcmp(kube_object_namespace(pod), kube_object_namespace(svc)) == 0)
		a->hostname = hostname;
	a->node = str_at(pod, "spec.nodeName", "");   /* &pod.Spec.NodeName: never nil */
	a->has_ref = 1;
	a->kind = "Pod";
	a->ns = kube_object_namespace(pod);
	a->name = kube_object_name(pod);
	a->uid = kube_object_uid(pod) ? kube_object_uid(pod) : "";
	a->api_version = a->rv = a->field_path = "";
	return 0;
}

/* A protocol as the API server defaults it. */
static const char *default_tcp(const char *protocol)
{
	return *protocol ? protocol : "TCP";
}

/* A named port of the containers at `list` ("spec.containers", ...). */
static int find_named(const kube_object *pod, const char *list, int sidecars_only,
                      const char *name, const char *protocol, int64_t *out)
{
	size_t nc = len_at(pod, list);
	char path[128];

	for (size_t i = 0; i < nc; i++) {
		size_t np;
		if (sidecars_only) {
			snprintf(path, sizeof(path), "%s[%zu].restartPolicy", list, i);
			if (strcmp(str_at(pod, path, ""), "Always") != 0)
				continue;
		}
		snprintf(path, sizeof(path), "%s[%zu].ports", list, i);
		np = len_at(pod, path);
		for (size_t j = 0; j < np; j++) {
			snprintf(path, sizeof(path), "%s[%zu].ports[%zu].name", list, i, j);
			if (strcmp(str_at(pod, path, ""), name) != 0)
				continue;
			snprintf(path, sizeof(path), "%s[%zu].ports[%zu].protocol", list, i, j);
			if (strcmp(default_tcp(str_at(pod, path, "")), protocol) != 0)
				continue;
			snprintf(path, sizeof(path), "%s[%zu].ports[%zu].containerPort", list, i, j);
			*out = kube__get_int_or(pod, path, 0);
			return 0;
		}
	}
	return KUBE_ENOTFOUND;
}

/* podutil.FindPort for service port i: a name is looked up in the pod's
 * containers, then its restartable init containers (by name and
 * protocol); a number is used as is; unset (0 or "") is the port itself,
 * as the API server defaults it.  0 or KUBE_ENOTFOUND. */
static int find_port(const kube_object *pod, const kube_object *svc, size_t i,
                     const char *protocol, int64_t *out)
{
	char path[64];
	kube_value_type t;
	const char *name;
	int64_t port;

	snprintf(path, sizeof(path), "spec.ports[%zu].port", i);
	port = kube__get_int_or(svc, path, 0);
	snprintf(path, sizeof(path), "spec.ports[%zu].targetPort", i);
	if (kube_object_get_type(svc, path, &t) != 0)
		t = KUBE_VALUE_NULL;
	if (t == KUBE_VALUE_STRING && kube_object_get_string(svc, path, &name) == 0 && name &&
	    *name) {
		if (find_named(pod, "spec.containers", 0, name, protocol, out) == 0 ||
		    find_named(pod, "spec.initContainers", 1, name, protocol, out) == 0)
			return 0;
		return KUBE_ENOTFOUND;
	}
	if (t == KUBE_VALUE_INT) {
		int64_t v = kube__get_int_or(svc, path, 0);
		*out = v ? v : port;
		return 0;
	}
	*out = port;
	return 0;
}

/* One address contributing to one port (or to the "no ports" sentinel). */
typedef struct contrib {
	size_t ai;                   /* the address's index in the builder */
	const ep_addr *addr;         /* set once every address is in */
	size_t port;
	int ready;
} contrib;

/* LessEndpointAddress: IP bytes, then targetRef uid (nil first). */
static int addr_cmp(const ep_addr *a, const ep_addr *b)
{
	int c = strcmp(a->ip, b->ip);

	if (c)
		return c;
	if (!a->has_ref || !b->has_ref)
		return a->has_ref - b->has_ref;
	return strcmp(a->uid, b->uid);
}

static int contrib_cmp(const void *x, const void *y)
{
	const contrib *a = x, *b = y;

	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return addr_cmp(a->addr, b->addr);
}

static int hash_cmp(const unsigned char *a, const unsigned char *b)
{
	return memcmp(a, b, 16);
}

static int port_ptr_cmp(const void *x, const void *y)
{
	const ep_port *const *a = x, *const *b = y;
	return hash_cmp((*a)->md5, (*b)->md5);
}

static int subset_cmp(const void *x, const void *y)
{
	const ep_subset *a = x, *b = y;
	return hash_cmp(a->md5, b->md5);
}

/* The address runs of two ports are the same set with the same readiness
 * (upstream's hashAddresses keys). */
static int runs_eq(const contrib *a, size_t na, const contrib *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (a[i].addr != b[i].addr || a[i].ready != b[i].ready)
			return 0;
	return 1;
}

typedef struct builder {
	ep_addr *addrs;
	size_t naddrs, capaddrs;
	ep_port *ports;
	size_t nports, capports;
	contrib *cs;
	size_t ncs, capcs;
} builder;

static void builder_free(builder *b)
{
	kube_free(b->addrs);
	kube_free(b->ports);
	kube_free(b->cs);
}

/* The index of port p among the distinct ports, added if new; -1 on OOM. */
static long builder_port(builder *b, const ep_port *p)
{
	for (size_t i = 0; i < b->nports; i++)
		if (b->ports[i].sentinel == p->sentinel && port_eq(&b->ports[i], p))
			return (long)i;
	if (b->nports == b->capports) {
		size_t cap = b->capports ? 2 * b->capports : 8;
		ep_port *v = kube_realloc(b->ports, cap * sizeof(*v));
		if (!v)
			return -1;
		b->ports = v;
		b->capports = cap;
	}
	b->ports[b->nports] = *p;
	return (long)b->nports++;
}

static int builder_contrib(builder *b, size_t addr, size_t port, int ready)
{
	if (b->ncs == b->capcs) {
		size_t cap = b->capcs ? 2 * b->capcs : 16;
		contrib *v = kube_realloc(b->cs, cap * sizeof(*v));
		if (!v)
			return kube__error_oom();
		b->cs = v;
		b->capcs = cap;
	}
	/* addresses move when the array grows: keep the index for now */
	b->cs[b->ncs].ai = addr;
	b->cs[b->ncs].addr = NULL;
	b->cs[b->ncs].port = port;
	b->cs[b->ncs].ready = ready;
	b->ncs++;
	return 0;
}

/* One pod's contributions (the loop body of upstream's syncService). */
static int add_pod(builder *b, const kube_object *svc, const kube_object *pod, int publish)
{
	size_t nports = len_at(svc, "spec.ports"), ai;
	int ready;
	ep_addr a;

	if (!pod_in_endpoints(pod, publish))
		return 0;
	if (pod_address(&a, svc, pod) != 0) {
		KUBE_LOG(KUBE_LOG_DEBUG, "endpoints", "%s/%s: no IP of the family of service %s",
		         kube_object_namespace(pod), kube_object_name(pod), kube_object_name(svc));
		return 0;
	}
	ready = publish || kube__pod_ready(pod, NULL);
	if (nports == 0 && strcmp(cluster_ip(svc), "None") != 0)
		return 0;   /* ports are needed, but for a headless Service */
	if (b->naddrs == b->capaddrs) {
		size_t cap = b->capaddrs ? 2 * b->capaddrs : 16;
		ep_addr *v = kube_realloc(b->addrs, cap * sizeof(*v));
		if (!v)
			return kube__error_oom();
		b->addrs = v;
		b->capaddrs = cap;
	}
	ai = b->naddrs;
	b->addrs[b->naddrs++] = a;
	if (nports == 0) {
		ep_port sentinel;
		long pi;
		memset(&sentinel, 0, sizeof(sentinel));
		sentinel.name = sentinel.protocol = "";
		sentinel.port = -1;
		sentinel.sentinel = 1;
		if ((pi = builder_port(b, &sentinel)) < 0)
			return kube__error_oom();
		return builder_contrib(b, ai, (size_t)pi, ready);
	}
	for (size_t i = 0; i < nports; i++) {
		char path[64];
		ep_port p;
		long pi;
		int rc;
		memset(&p, 0, sizeof(p));
		snprintf(path, sizeof(path), "spec.ports[%zu].protocol", i);
		p.protocol = default_tcp(str_at(svc, path, ""));
		if (find_port(pod, svc, i, p.protocol, &p.port) != 0) {
			KUBE_LOG(KUBE_LOG_DEBUG, "endpoints", "%s/%s: no suitable port for service %s",
			         kube_object_namespace(pod), kube_object_name(pod),
			         kube_object_name(svc));
			continue;
		}
		snprintf(path, sizeof(path), "spec.ports[%zu].name", i);
		p.name = str_at(svc, path, "");
		snprintf(path, sizeof(path), "spec.ports[%zu].appProtocol", i);
		p.app_protocol = str_at(svc, path, NULL);
		p.port = (int32_t)p.port;   /* int32(portNum) */
		if ((pi = builder_port(b, &p)) < 0)
			return kube__error_oom();
		if ((rc = builder_contrib(b, ai, (size_t)pi, ready)) != 0)
			return rc;
	}
	return 0;
}

/* RepackSubsets over the builder's contributions: *out borrows the
 * builder's addresses and ports (it owns only its subsets' arrays). */
static int repack(ep_set *out, builder *b)
{
	size_t ncs = 0, ngroups = 0, *run_start = NULL, *run_len = NULL, *group_of = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < b->ncs; i++)
		b->cs[i].addr = &b->addrs[b->cs[i].ai];
	if (b->ncs)
		qsort(b->cs, b->ncs, sizeof(*b->cs), contrib_cmp);
	/* one entry per (port, address): not ready on any contribution wins */
	for (size_t i = 0; i < b->ncs; i++) {
		if (ncs > 0 && b->cs[ncs - 1].port == b->cs[i].port &&
		    b->cs[ncs - 1].addr == b->cs[i].addr) {
			b->cs[ncs - 1].ready &= b->cs[i].ready;
			continue;
		}
		b->cs[ncs++] = b->cs[i];
	}
	b->ncs = ncs;
	run_start = kube_calloc(b->nports + 1, sizeof(*run_start));
	run_len = kube_calloc(b->nports + 1, sizeof(*run_len));
	group_of = kube_calloc(b->nports + 1, sizeof(*group_of));
	out->v = kube_calloc(b->nports + 1, sizeof(*out->v));
	if (!run_start || !run_len || !group_of || !out->v) {
		rc = kube__error_oom();
		goto out;
	}
	for (size_t i = 0; i < ncs; i++) {
		if (run_len[b->cs[i].port]++ == 0)
			run_start[b->cs[i].port] = i;
	}
	/* ports with the same addresses go together */
	for (size_t p = 0; p < b->nports; p++) {
		size_t g;
		if (run_len[p] == 0)
			continue;   /* cannot happen: a port comes with an address */
		for (g = 0; g < ngroups; g++) {
			size_t q = group_of[g];
			if (runs_eq(&b->cs[run_start[p]], run_len[p], &b->cs[run_start[q]], run_len[q]))
				break;
		}
		if (g == ngroups)
			group_of[ngroups++] = p;   /* the group's first port */
		ep_subset *s = &out->v[g];
		if (!s->ports && !(s->ports = kube_calloc(b->nports, sizeof(*s->ports)))) {
			rc = kube__error_oom();
			goto out;
		}
		if (!b->ports[p].sentinel)
			s->ports[s->nports++] = &b->ports[p];
	}
	out->n = ngroups;
	for (size_t g = 0; g < ngroups; g++) {
		ep_subset *s = &out->v[g];
		size_t p = group_of[g], n = run_len[p];
		const contrib *run = &b->cs[run_start[p]];
		s->ready = kube_calloc(n, sizeof(*s->ready));
		s->not_ready = kube_calloc(n, sizeof(*s->not_ready));
		if (!s->ready || !s->not_ready) {
			rc = kube__error_oom();
			goto out;
		}
		/* the run is sorted by IP and uid already, as SortSubsets sorts */
		for (size_t i = 0; i < n; i++) {
			if (run[i].ready)
				s->ready[s->nready++] = run[i].addr;
			else
				s->not_ready[s->nnot++] = run[i].addr;
		}
		for (size_t i = 0; i < s->nports; i++)
			if ((rc = port_hash((ep_port *)s->ports[i])) != 0)
				goto out;
		qsort(s->ports, s->nports, sizeof(*s->ports), port_ptr_cmp);
		if ((rc = subset_hash(s)) != 0)
			goto out;
	}
	qsort(out->v, out->n, sizeof(*out->v), subset_cmp);
out:
	if (rc != 0) {
		for (size_t g = 0; g <= b->nports && out->v; g++) {
			kube_free(out->v[g].ready);
			kube_free(out->v[g].not_ready);
			kube_free(out->v[g].ports);
		}
		kube_free(out->v);
		memset(out, 0, sizeof(*out));
	}
	kube_free(run_start);
	kube_free(run_len);
	kube_free(group_of);
	return rc;
}

/* truncateEndpoints: 1 when the subsets were over capacity and cut. */
static int truncate_set(ep_set *s)
{
	size_t total_ready = 0, total_not = 0, max, num_total, can;
	int truncate_ready = 0;

	for (size_t i = 0; i < s->n; i++) {
		total_ready += s->v[i].nready;
		total_not += s->v[i].nnot;
	}
	if (total_ready + total_not <= MAX_CAPACITY)
		return 0;
	if (total_ready > MAX_CAPACITY) {
		truncate_ready = 1;
		max = MAX_CAPACITY;
		num_total = total_ready;
	} else {
		max = MAX_CAPACITY - total_ready;
		num_total = total_not;
	}
	can = max;
	for (size_t i = 0; i < s->n; i++) {
		ep_subset *sub = &s->v[i];
		size_t in = truncate_ready ? sub->nready : sub->nnot;
		/* the proportion of this subset, rounded up, as float64 in Go */
		size_t add = (size_t)ceil(((double)in / (double)num_total) * (double)max);
		if (add > can)
			add = can;
		if (truncate_ready) {
			if (sub->nready > add)
				sub->nready = add;
			sub->nnot = 0;
			can -= sub->nready;
		} else {
			if (sub->nnot > add)
				sub->nnot = add;
			can -= sub->nnot;
		}
	}
	return 1;
}

/* ---- writing ---- */

static void json_str(kube__buf *b, const char *s)
{
	kube__go_json_string(b, s, strlen(s));
}

static void json_addrs(kube__buf *b, const char *field, const ep_addr *const *v, size_t n)
{
	if (n == 0)
		return;   /* omitempty */
	kube__buf_printf(b, "\"%s\":[", field);
	for (size_t i = 0; i < n; i++) {
		const ep_addr *a = v[i];
		kube__buf_puts(b, i ? ",{\"ip\":" : "{\"ip\":");
		json_str(b, a->ip);
		if (*a->hostname) {
			kube__buf_puts(b, ",\"hostname\":");
			json_str(b, a->hostname);
		}
		if (a->node) {
			kube__buf_puts(b, ",\"nodeName\":");
			json_str(b, a->node);
		}
		if (a->has_ref) {
			const char *names[] = { "kind", "namespace", "name", "uid", "apiVersion",
			                        "resourceVersion", "fieldPath" };
			const char *vals[] = { a->kind, a->ns, a->name, a->uid, a->api_version, a->rv,
			                       a->field_path };
			int first = 1;
			kube__buf_puts(b, ",\"targetRef\":{");
			for (size_t k = 0; k < KUBE_ARRAY_SIZE(names); k++) {
				if (!*vals[k])
					continue;
				kube__buf_printf(b, "%s\"%s\":", first ? "" : ",", names[k]);
				json_str(b, vals[k]);
				first = 0;
			}
			kube__buf_putc(b, '}');
		}
		kube__buf_putc(b, '}');
	}
	kube__buf_putc(b, ']');
}

/* The subsets as the API writes them ("[]" when there are none). */
static void json_subsets(kube__buf *b, const ep_set *s)
{
	kube__buf_putc(b, '[');
	for (size_t i = 0; i < s->n; i++) {
		const ep_subset *sub = &s->v[i];
		int any = 0;
		kube__buf_puts(b, i ? ",{" : "{");
		if (sub->nready) {
			json_addrs(b, "addresses", sub->ready, sub->nready);
			any = 1;
		}
		if (sub->nnot) {
			if (any)
				kube__buf_putc(b, ',');
			json_addrs(b, "notReadyAddresses", sub->not_ready, sub->nnot);
			any = 1;
		}
		if (sub->nports) {
			kube__buf_puts(b, any ? ",\"ports\":[" : "\"ports\":[");
			for (size_t j = 0; j < sub->nports; j++) {
				const ep_port *p = sub->ports[j];
				kube__buf_puts(b, j ? ",{" : "{");
				if (*p->name) {
					kube__buf_puts(b, "\"name\":");
					json_str(b, p->name);
					kube__buf_putc(b, ',');
				}
				kube__buf_printf(b, "\"port\":%lld", (long long)p->port);
				if (*p->protocol) {
					kube__buf_puts(b, ",\"protocol\":");
					json_str(b, p->protocol);
				}
				if (p->app_protocol) {
					kube__buf_puts(b, ",\"appProtocol\":");
					json_str(b, p->app_protocol);
				}
				kube__buf_putc(b, '}');
			}
			kube__buf_putc(b, ']');
		}
		kube__buf_putc(b, '}');
	}
	kube__buf_putc(b, ']');
}

/* The labels as a JSON map (sorted, as Go marshals maps). */
static void json_labels(kube__buf *b, const kube_labels *l)
{
	kube__buf_putc(b, '{');
	for (size_t i = 0; i < kube_labels_count(l); i++) {
		const char *k, *v;
		if (kube_labels_at(l, i, &k, &v) != 0)
			continue;
		if (i)
			kube__buf_putc(b, ',');
		json_str(b, k);
		kube__buf_putc(b, ':');
		json_str(b, v);
	}
	kube__buf_putc(b, '}');
}

/* time.Time.UTC().Format(time.RFC3339Nano): fractions without trailing
 * zeros, none when whole. */
static void format_rfc3339_nano(int64_t ns, char out[48])
{
	char sec[32], frac[16];
	int64_t f = ns % KUBE__NS_PER_SEC;
	int64_t s = ns - f;

	if (f < 0) {
		f += KUBE__NS_PER_SEC;
		s -= KUBE__NS_PER_SEC;
	}
	kube__format_rfc3339(s, sec);
	if (f == 0) {
		snprintf(out, 48, "%s", sec);
		return;
	}
	snprintf(frac, sizeof(frac), ".%09lld", (long long)f);
	for (size_t n = strlen(frac); n > 1 && frac[n - 1] == '0'; n--)
		frac[n - 1] = 0;
	sec[strlen(sec) - 1] = 0;   /* the 'Z' goes after the fraction */
	snprintf(out, 48, "%s%sZ", sec, frac);
}

/* ---- TriggerTimeTracker ---- */

static void svc_state_free(svc_state *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->npods; i++)
		kube_free(s->pods[i].name);
	kube_free(s->pods);
	kube_free(s->key);
	kube_free(s);
}

static int pod_time_cmp(const void *x, const void *y)
{
	return strcmp(((const pod_time *)x)->name, ((const pod_time *)y)->name);
}

/* The Ready condition's lastTransitionTime, whatever its status (0: none). */
static int64_t pod_trigger_time(const kube_object *pod)
{
	size_t n = len_at(pod, "status.conditions");
	char path[64];

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "status.conditions[%zu].type", i);
		if (strcmp(str_at(pod, path, ""), "Ready") != 0)
			continue;
		snprintf(path, sizeof(path), "status.conditions[%zu].lastTransitionTime", i);
		return kube__rfc3339_ns(str_at(pod, path, NULL));
	}
	return 0;
}

static int64_t min_time(int64_t cur, int64_t t)
{
	return cur == 0 || t < cur ? t : cur;
}

/* ComputeEndpointLastChangeTriggerTime over the pods the selector
 * matches; updates the state even when nothing is written.  0: none. */
static int64_t trigger_time(kube_endpoints_controller *c, const char *key,
                            const kube_object *svc, const kube_object_list *pods)
{
	svc_state *st = kube__strmap_get(&c->triggers, key), *fresh;
	size_t n = kube_object_list_count(pods);
	int64_t min_changed = 0, svc_time = kube__rfc3339_ns(kube_object_creation_timestamp(svc));
	int known = st != NULL;

	fresh = kube_calloc(1, sizeof(*fresh));
	if (fresh) {
		fresh->key = kube_strdup(key);
		fresh->pods = kube_calloc(n ? n : 1, sizeof(*fresh->pods));
	}
	for (size_t i = 0; i < n; i++) {
		const kube_object *pod = kube_object_list_get(pods, i);
		int64_t t = pod_trigger_time(pod), last = 0;
		pod_time probe, *hit;
		if (t == 0)
			continue;
		if (st && st->npods) {
			probe.name = (char *)kube_object_name(pod);
			hit = bsearch(&probe, st->pods, st->npods, sizeof(*st->pods), pod_time_cmp);
			if (hit)
				last = hit->t;
		}
		if (t > last)
			min_changed = min_time(min_changed, t);
		if (fresh && fresh->pods) {
			pod_time *pt = &fresh->pods[fresh->npods];
			if ((pt->name = kube_strdup(kube_object_name(pod))) != NULL) {
				pt->t = t;
				fresh->npods++;
			}
		}
	}
	if (svc_time > (st ? st->svc_time : 0))
		min_changed = min_time(min_changed, svc_time);
	if (fresh && fresh->key && fresh->pods) {
		void *old = NULL;
		fresh->svc_time = svc_time;
		qsort(fresh->pods, fresh->npods, sizeof(*fresh->pods), pod_time_cmp);
		if (kube__strmap_put(&c->triggers, fresh->key, fresh, &old) == 0)
			svc_state_free(old);
		else
			svc_state_free(fresh);
	} else {
		/* out of memory: forget, so the next sync counts as a first one */
		svc_state_free(kube__strmap_remove(&c->triggers, key));
		svc_state_free(fresh);
	}
	return known ? min_changed : svc_time;
}

static void trigger_forget(kube_endpoints_controller *c, const char *key)
{
	svc_state_free(kube__strmap_remove(&c->triggers, key));
}

/* ---- staleEndpointsTracker ---- */

static void stale_free(stale_rv *s)
{
	if (!s)
		return;
	kube_free(s->key);
	kube_free(s->rv);
	kube_free(s);
}

static void stale_mark(kube_endpoints_controller *c, const char *key, const char *rv)
{
	stale_rv *s = kube_calloc(1, sizeof(*s));
	void *old = NULL;

	if (s && (s->key = kube_strdup(key)) && (s->rv = kube_strdup(rv)) &&
	    kube__strmap_put(&c->stale, s->key, s, &old) == 0) {
		stale_free(old);
		return;
	}
	stale_free(s);
}

static int stale_is(const kube_endpoints_controller *c, const char *key, const char *rv)
{
	const stale_rv *s = kube__strmap_get(&c->stale, key);
	return s && rv && strcmp(s->rv, rv) == 0;
}

/* ---- sync ---- */

/* The labels an Endpoints should have: the Service's, with the headless
 * label for clusterIP None. */
static int wanted_labels(kube_labels **out, const kube_object *svc)
{
	int rc;

	if ((rc = kube_labels_copy(out, kube_object_labels(svc))) != 0)
		return rc;
	if (strcmp(cluster_ip(svc), "None") == 0)
		rc = kube_labels_set(*out, HEADLESS_LABEL, "");
	else if (kube_labels_has(*out, HEADLESS_LABEL))
		rc = kube_labels_remove(*out, HEADLESS_LABEL);
	if (rc != 0) {
		kube_labels_free(*out);
		*out = NULL;
	}
	return rc;
}

/* capacityAnnotationSetCorrectly. */
static int capacity_ok(const kube_object *ep, const ep_set *cur)
{
	if (set_address_count(cur) > MAX_CAPACITY)
		return 0;
	return kube_object_annotation(ep, OVER_CAPACITY_ANNOTATION) == NULL;
}

/* Whether the Endpoints already is what it should be. */
static int up_to_date(const kube_object *ep, const kube_object *svc, const ep_set *want, int *err)
{
	kube_labels *cmp = NULL;
	ep_set cur;
	int same;

	*err = 0;
	if ((*err = read_subsets(&cur, ep)) != 0)
		return 0;
	/* the headless label is not the Service's: compare without it */
	if ((*err = kube_labels_copy(&cmp, kube_object_labels(ep))) != 0) {
		set_free(&cur);
		return 0;
	}
	if (kube_labels_has(cmp, HEADLESS_LABEL))
		kube_labels_remove(cmp, HEADLESS_LABEL);
	same = sets_eq(&cur, want) && kube_labels_equal(cmp, kube_object_labels(svc)) &&
	       capacity_ok(ep, &cur);
	kube_labels_free(cmp);
	set_free(&cur);
	return same;
}

static int set_or_remove(kube_object *o, const char *path, const char *json)
{
	int rc;

	if (json)
		return kube_object_set_json(o, path, json);
	rc = kube_object_remove(o, path);
	return rc == KUBE_ENOTFOUND ? 0 : rc;
}

/* Writes the Endpoints: a new one, or cur updated (optimistically, on
 * the cached resourceVersion). */
static int write_endpoints(kube_endpoints_controller *c, const char *key,
                           const kube_object *svc, const kube_object *cur, ep_set *want,
                           int64_t trigger)
{
	kube__buf subsets = KUBE__BUF_INIT, labels = KUBE__BUF_INIT;
	kube_labels *wl = NULL;
	kube_object *o = NULL, *written = NULL;
	char when[48];
	int truncated = truncate_set(want), rc;

	if ((rc = wanted_labels(&wl, svc)) != 0)
		return rc;
	json_subsets(&subsets, want);
	json_labels(&labels, wl);
	if (trigger)
		format_rfc3339_nano(trigger, when);
	if (subsets.failed || labels.failed) {
		rc = kube__error_oom();
		goto out;
	}
	if (!cur) {
		kube__buf b = KUBE__BUF_INIT;
		kube__buf_puts(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\",\"metadata\":{\"name\":");
		json_str(&b, kube_object_name(svc));
		kube__buf_puts(&b, ",\"namespace\":");
		json_str(&b, kube_object_namespace(svc));
		if (kube_labels_count(wl))
			kube__buf_printf(&b, ",\"labels\":%s", labels.data);
		if (trigger || truncated) {
			kube__buf_puts(&b, ",\"annotations\":{");
			if (trigger) {
				kube__buf_puts(&b, "\"" TRIGGER_TIME_ANNOTATION "\":");
				json_str(&b, when);
			}
			if (truncated)
				kube__buf_printf(&b, "%s\"" OVER_CAPACITY_ANNOTATION "\":\"truncated\"",
				                 trigger ? "," : "");
			kube__buf_putc(&b, '}');
		}
		kube__buf_putc(&b, '}');
		if (want->n)
			kube__buf_printf(&b, ",\"subsets\":%s", subsets.data);
		kube__buf_putc(&b, '}');
		if ((rc = kube__object_from_buf(&o, &b)) != 0)
			goto out;
		rc = kube_store_create_take(NULL, c->store, o);
		if (rc != 0)
			KUBE_LOG(KUBE_LOG_WARN, "endpoints",
			         "FailedToCreateEndpoint: Failed to create endpoint for service %s: %s", key,
			         kube_error_last() ? kube_error_last()->message : kube_strerror(rc));
		goto out;
	}
	if ((rc = kube_object_mutable(&o, cur)) != 0 ||
	    (rc = set_or_remove(o, "subsets", want->n ? subsets.data : NULL)) != 0 ||
	    (rc = set_or_remove(o, "metadata.labels", kube_labels_count(wl) ? labels.data : NULL)) !=
	            0 ||
	    (rc = kube_object_set_annotation(o, TRIGGER_TIME_ANNOTATION, trigger ? when : NULL)) !=
	            0 ||
	    (rc = kube_object_set_annotation(o, OVER_CAPACITY_ANNOTATION,
	                                     truncated ? "truncated" : NULL)) != 0) {
		kube_object_unref(o);
		goto out;
	}
	if (kube_object_annotation_count(o) == 0 &&
	    (rc = set_or_remove(o, "metadata.annotations", NULL)) != 0) {
		kube_object_unref(o);
		goto out;
	}
	rc = kube_store_update_take(&written, c->store, o);
	if (rc == 0) {
		const char *old_rv = kube_object_resource_version(cur);
		const char *new_rv = kube_object_resource_version(written);
		if (old_rv && new_rv && strcmp(old_rv, new_rv) != 0)
			stale_mark(c, key, old_rv);
	} else {
		KUBE_LOG(KUBE_LOG_WARN, "endpoints",
		         "FailedToUpdateEndpoint: Failed to update endpoint %s: %s", key,
		         kube_error_last() ? kube_error_last()->message : kube_strerror(rc));
	}
	kube_object_unref(written);
out:
	kube_labels_free(wl);
	kube__buf_free(&subsets);
	kube__buf_free(&labels);
	return rc;
}

static int sync_service(kube_endpoints_controller *c, const char *key)
{
	kube_object *svc, *cur = NULL;
	kube_selector *sel = NULL;
	kube_object_list *pods = NULL;
	char *ns = NULL, *name = NULL;
	builder b;
	ep_set want;
	int64_t trigger;
	int rc, publish = 0, err;

	memset(&b, 0, sizeof(b));
	memset(&want, 0, sizeof(want));
	if (kube_cache_key_split(&ns, &name, key) != 0)
		return 0;   /* a malformed key never becomes valid: drop it */
	svc = kube_informer_get(c->services, ns, name);
	if (!svc) {
		/* the Service is gone: so are its Endpoints */
		rc = kube_store_delete(NULL, c->store, "endpoints", ns, name, NULL);
		if (rc == KUBE_ENOTFOUND)
			rc = 0;
		if (rc == 0) {
			trigger_forget(c, key);
			stale_free(kube__strmap_remove(&c->stale, key));
		}
		goto out;
	}
	svc = kube_object_ref(svc);   /* writes below may drop the cached one */
	rc = 0;
	if (strcmp(str_at(svc, "spec.type", ""), "ExternalName") == 0 ||
	    len_at(svc, "spec.selector") == 0)
		goto out;   /* no endpoints from this controller */
	if ((rc = kube__selector_from_map(&sel, svc, "spec.selector", NULL)) != 0 ||
	    (rc = kube_informer_list(&pods, c->pods, ns, sel)) != 0)
		goto out;
	trigger = trigger_time(c, key, svc, pods);
	kube_object_get_bool(svc, "spec.publishNotReadyAddresses", &publish);
	for (size_t i = 0; i < kube_object_list_count(pods); i++)
		if ((rc = add_pod(&b, svc, kube_object_list_get(pods, i), publish)) != 0)
			goto out;
	if ((rc = repack(&want, &b)) != 0)
		goto out;
	if ((cur = kube_informer_get(c->endpoints, ns, name)) != NULL) {
		cur = kube_object_ref(cur);
		if (stale_is(c, key, kube_object_resource_version(cur))) {
			KUBE_LOG(KUBE_LOG_DEBUG, "endpoints",
			         "endpoints informer cache is out of date, resource version %s already "
			         "processed for endpoints %s",
			         kube_object_resource_version(cur), key);
			rc = KUBE_RECONCILE_REQUEUE;
			goto out;
		}
		if (up_to_date(cur, svc, &want, &err) || err) {
			rc = err;
			goto out;
		}
	}
	rc = write_endpoints(c, key, svc, cur, &want, trigger);
out:
	for (size_t i = 0; i < want.n; i++) {
		kube_free(want.v[i].ready);
		kube_free(want.v[i].not_ready);
		kube_free(want.v[i].ports);
	}
	kube_free(want.v);
	builder_free(&b);
	kube_object_list_free(pods);
	kube_selector_free(sel);
	kube_object_unref(cur);
	kube_object_unref(svc);
	kube_free(ns);
	kube_free(name);
	return rc;
}

static int reconcile(kube_controller *runner, const char *key, int64_t *after, void *ud)
{
	kube_endpoints_controller *c = ud;
	int rc;

	KUBE_UNUSED(after);
	c->synced = 1;
	rc = sync_service(c, key);
	if (rc != 0 &&
	    kube_workqueue_num_requeues(kube_controller_queue(runner), key) >= MAX_RETRIES) {
		KUBE_LOG(KUBE_LOG_WARN, "endpoints", "Dropping service %s out of the queue: %s", key,
		         rc == KUBE_RECONCILE_REQUEUE ? "stale cache"
		         : kube_error_last()          ? kube_error_last()->message
		                                      : kube_strerror(rc));
		return 0;
	}
	return rc;
}

/* ---- events ---- */

/* A Service's selector, when it has one (nil and empty are alike). */
static int service_selector(kube_selector **out, const kube_object *svc)
{
	*out = NULL;
	if (len_at(svc, "spec.selector") == 0)
		return KUBE_ENOTFOUND;
	return kube__selector_from_map(out, svc, "spec.selector", NULL);
}

/*
 * Enqueues the Services of the pod's namespace that match: `cur` labels
 * alone (old NULL), or, after a label change, those matching both old and
 * cur when the pod's endpoint changed too, else those matching only one
 * of them (GetServicesToUpdate).
 */
static void enqueue_services(kube_endpoints_controller *c, const kube_object *pod,
                             const kube_labels *cur, const kube_labels *old, int pod_changed)
{
	kube_object_list *l = NULL;

	if (kube_informer_list(&l, c->services, kube_object_namespace(pod), NULL) != 0)
		return;
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *svc = kube_object_list_get(l, i);
		kube_selector *sel = NULL;
		int m_cur, m_old, want;
		if (service_selector(&sel, svc) != 0)
			continue;
		m_cur = kube_selector_matches(sel, cur);
		if (!old)
			want = m_cur;
		else {
			m_old = kube_selector_matches(sel, old);
			want = pod_changed ? (m_cur || m_old) : (m_cur != m_old);
		}
		if (want)
			kube_controller_enqueue_object(c->runner, svc);
		kube_selector_free(sel);
	}
	kube_object_list_free(l);
}

static void on_pod_add(kube_informer *inf, kube_object *pod, int initial, void *ud)
{
	KUBE_UNUSED(inf);
	KUBE_UNUSED(initial);
	enqueue_services(ud, pod, kube_object_labels(pod), NULL, 0);
}

static void on_pod_delete(kube_informer *inf, kube_object *pod, int unknown, void *ud)
{
	KUBE_UNUSED(inf);
	KUBE_UNUSED(unknown);
	enqueue_services(ud, pod, kube_object_labels(pod), NULL, 0);
}

/* The pods' IPs are the same (podIPs, as the API server keeps them). */
static int same_pod_ips(const kube_object *a, const kube_object *b)
{
	const char *x[16], *y[16];
	size_t n = pod_ips(a, x, KUBE_ARRAY_SIZE(x));

	if (n != pod_ips(b, y, KUBE_ARRAY_SIZE(y)))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(x[i], y[i]) != 0)
			return 0;
	return 1;
}

static void on_pod_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	const char *orv = kube_object_resource_version(old), *crv = kube_object_resource_version(cur);
	int labels_changed, pod_changed;

	KUBE_UNUSED(inf);
	if (old == cur || (orv && crv && strcmp(orv, crv) == 0))
		return;   /* a resync: the Services' own resync covers it */
	/* podEndpointsChanged */
	labels_changed = !kube_labels_equal(kube_object_labels(old), kube_object_labels(cur)) ||
	                 strcmp(str_at(old, "spec.hostname", ""), str_at(cur, "spec.hostname", "")) ||
	                 strcmp(str_at(old, "spec.subdomain", ""), str_at(cur, "spec.subdomain", ""));
	/* upstream compares the deletionTimestamp pointers of two decoded
	 * objects: different whenever either is set */
	pod_changed = kube_object_deletion_timestamp(old) || kube_object_deletion_timestamp(cur) ||
	              kube__pod_ready(old, NULL) != kube__pod_ready(cur, NULL) ||
	              !same_pod_ips(old, cur);
	if (!pod_changed && !labels_changed)
		return;
	if (!labels_changed)
		enqueue_services(ud, cur, kube_object_labels(cur), NULL, 0);
	else
		enqueue_services(ud, cur, kube_object_labels(cur), kube_object_labels(old), pod_changed);
}

static void on_service_add(kube_informer *inf, kube_object *svc, int initial, void *ud)
{
	kube_endpoints_controller *c = ud;

	KUBE_UNUSED(inf);
	KUBE_UNUSED(initial);
	kube_controller_enqueue_object(c->runner, svc);
}

static void on_service_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	KUBE_UNUSED(old);
	on_service_add(inf, cur, 0, ud);
}

static void on_service_delete(kube_informer *inf, kube_object *svc, int unknown, void *ud)
{
	KUBE_UNUSED(unknown);
	on_service_add(inf, svc, 0, ud);
}

/* checkLeftoverEndpoints: what is there at start-up is looked at once, so
 * that Endpoints whose Service went while no controller ran are deleted. */
static void on_endpoints_add(kube_informer *inf, kube_object *ep, int initial, void *ud)
{
	kube_endpoints_controller *c = ud;

	KUBE_UNUSED(inf);
	if (!initial || c->synced || kube_object_annotation(ep, LEADER_ANNOTATION))
		return;
	kube_controller_enqueue_object(c->runner, ep);
}

static void on_endpoints_delete(kube_informer *inf, kube_object *ep, int unknown, void *ud)
{
	kube_endpoints_controller *c = ud;

	KUBE_UNUSED(inf);
	KUBE_UNUSED(unknown);
	kube_controller_enqueue_object(c->runner, ep);
}

/* ---- life cycle ---- */

int kube_endpoints_controller_new(kube_endpoints_controller **out, kube_informer_factory *f,
                                  kube_store *store, const kube_workload_controller_options *opts)
{
	kube__workload_setup setup;
	kube_endpoints_controller *c;
	kube_informer_handlers ph = { KUBE_INFORMER_HANDLERS_VERSION, on_pod_add, on_pod_update,
	                              on_pod_delete };
	kube_informer_handlers sh = { KUBE_INFORMER_HANDLERS_VERSION, on_service_add,
	                              on_service_update, on_service_delete };
	kube_informer_handlers eh = { KUBE_INFORMER_HANDLERS_VERSION, on_endpoints_add, NULL,
	                              on_endpoints_delete };
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(f);
	KUBE_CHECK_ARG(store);
	if ((rc = kube__workload_setup_init(&setup, opts, "kube_endpoints_controller_new", "endpoint",
	                                    0)) != 0)
		return rc;
	if (!(c = kube_calloc(1, sizeof(*c))))
		return kube__error_oom();
	c->store = store;
	if ((rc = kube_informer_factory_get(&c->pods, f, "pods")) != 0 ||
	    (rc = kube_informer_factory_get(&c->services, f, "services")) != 0 ||
	    (rc = kube_informer_factory_get(&c->endpoints, f, "endpoints")) != 0 ||
	    (rc = kube_controller_new(&c->runner, kube__informer_loop(c->pods), &setup.runner,
	                              reconcile, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->services_h, c->services, &sh, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->pods_h, c->pods, &ph, c, NULL)) != 0 ||
	    (rc = kube_informer_add_handler(&c->endpoints_h, c->endpoints, &eh, c, NULL)) != 0 ||
	    (rc = kube_controller_start(c->runner)) != 0) {
		kube_endpoints_controller_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

static void free_triggers(kube__strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			svc_state_free(m->slots[i].val);
	kube__strmap_fini(m);
}

static void free_stale(kube__strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			stale_free(m->slots[i].val);
	kube__strmap_fini(m);
}

void kube_endpoints_controller_free(kube_endpoints_controller *c)
{
	if (!c)
		return;
	if (c->pods_h)
		kube_informer_remove_handler(c->pods, c->pods_h);
	if (c->services_h)
		kube_informer_remove_handler(c->services, c->services_h);
	if (c->endpoints_h)
		kube_informer_remove_handler(c->endpoints, c->endpoints_h);
	kube_controller_free(c->runner);
	free_triggers(&c->triggers);
	free_stale(&c->stale);
	kube_free(c);
}

kube_controller *kube_endpoints_controller_runner(kube_endpoints_controller *c)
{
	return c ? c->runner : NULL;
}
