/*
 * local.c - the cloud-local reference plugin: a "cloud" that is this one
 * machine, for appliances and tests.
 *
 *   instances   every Node the host asks about exists and runs here
 *               (InstancesV2); its provider id is local://<node name>, its
 *               zone and region come from the Node's
 *               topology.kubernetes.io/zone and /region labels
 *   load bal.   records keyed by upstream's default load balancer name
 *               ("a" + the Service UID without dashes, at most 32 bytes);
 *               the ingress is 127.0.0.1.  (Forwarding connections to the
 *               endpoints, the TCP proxy, is not built yet.)
 *   routes      kept in memory, per cluster
 *
 * Zones (deprecated upstream) and Instances v1 are left out: implementing
 * InstancesV2 turns them off in the host.  One mutex guards the state.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "libkube/plugin/cloud.h"

#define ZONE_LABEL "topology.kubernetes.io/zone"
#define REGION_LABEL "topology.kubernetes.io/region"
#define MAX_LBS 256
#define MAX_ROUTES 256

static const kube_host_api *host;

typedef struct lb {
	char name[33];
	char cluster[64];
	size_t n_nodes;
} lb;

typedef struct route {
	char cluster[64];
	char name[128];
	char target_node[254];
	char cidr[64];
} route;

typedef struct local {
	pthread_mutex_t mu;
	lb lbs[MAX_LBS];
	size_t n_lbs;
	route routes[MAX_ROUTES];
	size_t n_routes;
} local;

static int lc_open(void **out, const char *config, size_t len, kube_host_loop *loop)
{
	(void)config; (void)len; (void)loop;
	local *l = host->calloc(1, sizeof(*l));
	if (!l)
		return KUBE_ENOMEM;
	pthread_mutex_init(&l->mu, NULL);
	*out = l;
	return 0;
}

static void lc_close(void *self)
{
	local *l = self;
	if (!l)
		return;
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
		if (strcmp(l->lbs[i].name, name) == 0 && strcmp(l->lbs[i].cluster, cluster) == 0)
			return &l->lbs[i];
	return NULL;
}

static int fill_status(kube_cloud_lb_status *out)
{
	out->ingress = host->calloc(1, sizeof(*out->ingress));
	if (!out->ingress || !(out->ingress[0].ip = host->strdup("127.0.0.1"))) {
		host->free(out->ingress);
		out->ingress = NULL;
		return KUBE_ENOMEM;
	}
	out->n_ingress = 1;
	return 0;
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
	*exists = lb_find(l, cluster ? cluster : "", name) != NULL;
	pthread_mutex_unlock(&l->mu);
	return *exists ? fill_status(out) : 0;
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
	(void)nodes; (void)retry_after_s;
	local *l = self;
	char name[33];
	int rc = lb_name(svc, name);
	if (rc)
		return rc;
	if (!cluster)
		cluster = "";
	pthread_mutex_lock(&l->mu);
	lb *b = lb_find(l, cluster, name);
	if (!b && l->n_lbs == MAX_LBS) {
		pthread_mutex_unlock(&l->mu);
		return host->error_set(KUBE_ENOSPC, "cloud-local: too many load balancers");
	}
	if (!b) {
		b = &l->lbs[l->n_lbs++];
		snprintf(b->name, sizeof(b->name), "%s", name);
		snprintf(b->cluster, sizeof(b->cluster), "%s", cluster);
	}
	b->n_nodes = n_nodes;
	pthread_mutex_unlock(&l->mu);
	return fill_status(out);
}

static int lc_update_load_balancer(void *self, const char *cluster, const kube_host_object *svc,
                                   const kube_host_object *const *nodes, size_t n_nodes,
                                   uint32_t *retry_after_s)
{
	(void)nodes; (void)retry_after_s;
	local *l = self;
	char name[33];
	int rc = lb_name(svc, name);
	if (rc)
		return rc;
	pthread_mutex_lock(&l->mu);
	lb *b = lb_find(l, cluster ? cluster : "", name);
	if (b)
		b->n_nodes = n_nodes;
	pthread_mutex_unlock(&l->mu);
	return b ? 0 : host->error_set(KUBE_ENOTFOUND, "cloud-local: no such load balancer");
}

static int lc_ensure_load_balancer_deleted(void *self, const char *cluster,
                                           const kube_host_object *svc)
{
	local *l = self;
	char name[33];
	int rc = lb_name(svc, name);
	if (rc)
		return rc;
	pthread_mutex_lock(&l->mu);
	lb *b = lb_find(l, cluster ? cluster : "", name);
	if (b) {
		*b = l->lbs[--l->n_lbs];   /* order does not matter */
	}
	pthread_mutex_unlock(&l->mu);
	return 0;   /* already gone is success */
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
