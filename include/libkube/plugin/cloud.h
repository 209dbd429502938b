/*
 * plugin/cloud.h - the cloud provider vtable: k8s.io/cloud-provider's
 * Interface (cloud.go) as C calls.
 *
 * Upstream's sub-interface getters (LoadBalancer() (LoadBalancer, bool) and
 * friends) become groups of optional methods: a provider without load
 * balancers leaves that group NULL and the host answers KUBE_ENOTSUP, which
 * is what `false` meant.  Services and Nodes are lent as read-only object
 * handles (read them with the host table's getters).  Everything a method
 * returns through a pointer is allocated with host->malloc/strdup and freed
 * by the host (kube_cloud_*_clear in libkube/plugin.h).
 *
 * Upstream's sentinel errors become return codes:
 *   InstanceNotFound       KUBE_ENOTFOUND (the VM does not exist; never for a
 *                          stopped VM)
 *   NotImplemented         KUBE_ENOTSUP
 *   ImplementedElsewhere   KUBE_CLOUD_IMPLEMENTED_ELSEWHERE (from ensure/update
 *                          load balancer only; the host treats it as success
 *                          and does nothing)
 *   api.RetryError         KUBE_CLOUD_RETRY, with *retry_after_s set
 * The two cloud results are positive so they can never be confused with a
 * KUBE_E* failure.
 */
#ifndef LIBKUBE_PLUGIN_CLOUD_H
#define LIBKUBE_PLUGIN_CLOUD_H

#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
	KUBE_CLOUD_IMPLEMENTED_ELSEWHERE = 1,
	KUBE_CLOUD_RETRY = 2
};

/* v1.NodeAddressType */
enum {
	KUBE_CLOUD_ADDR_HOSTNAME = 0,
	KUBE_CLOUD_ADDR_INTERNAL_IP = 1,
	KUBE_CLOUD_ADDR_EXTERNAL_IP = 2,
	KUBE_CLOUD_ADDR_INTERNAL_DNS = 3,
	KUBE_CLOUD_ADDR_EXTERNAL_DNS = 4
};

typedef struct kube_cloud_node_address {
	uint32_t type;            /* KUBE_CLOUD_ADDR_* */
	char *address;
} kube_cloud_node_address;

typedef struct kube_cloud_address_list {
	uint32_t struct_size;
	kube_cloud_node_address *items;
	size_t n;
} kube_cloud_address_list;

typedef struct kube_cloud_lb_ingress {   /* v1.LoadBalancerIngress */
	char *ip;
	char *hostname;
} kube_cloud_lb_ingress;

typedef struct kube_cloud_lb_status {
	uint32_t struct_size;
	kube_cloud_lb_ingress *ingress;
	size_t n_ingress;
} kube_cloud_lb_status;

typedef struct kube_cloud_zone {
	uint32_t struct_size;
	char *failure_domain;
	char *region;
} kube_cloud_zone;

typedef struct kube_cloud_instance_metadata {
	uint32_t struct_size;
	char *provider_id;
	char *instance_type;
	kube_cloud_node_address *addresses;
	size_t n_addresses;
	char *zone;
	char *region;
	kube_plugin_kv_owned *additional_labels;
	size_t n_additional_labels;
} kube_cloud_instance_metadata;

typedef struct kube_cloud_route {
	char *name;
	char *target_node;
	char *destination_cidr;
	int blackhole;
	int enable_node_addresses;
	kube_cloud_node_address *target_node_addresses;
	size_t n_target_node_addresses;
} kube_cloud_route;

typedef struct kube_cloud_route_list {
	uint32_t struct_size;
	kube_cloud_route *items;
	size_t n;
} kube_cloud_route_list;

typedef struct kube_cloud_string_list {
	uint32_t struct_size;
	char **items;
	size_t n;
} kube_cloud_string_list;

typedef struct kube_cloud_provider {
	uint32_t abi_version;     /* KUBE_PLUGIN_ABI_VERSION */
	uint32_t struct_size;     /* sizeof(kube_cloud_provider) */

	/* REQUIRED 1.0: upstream's Factory(config io.Reader). */
	int (*open)(void **out_self, const char *config, size_t config_len,
	            kube_host_loop *loop);
	void (*close)(void *self);                                             /* REQUIRED 1.0 */
	/* Initialize(clientBuilder, stop): the loop stands in for both. */
	int (*initialize)(void *self, kube_host_loop *loop);                   /* 1.0 */
	/* *out is borrowed: static, or owned by the instance. */
	int (*provider_name)(void *self, const char **out);                    /* REQUIRED 1.0 */
	int (*has_cluster_id)(void *self, int *out);                           /* REQUIRED 1.0 */

	/* -- LoadBalancer -- */
	int (*get_load_balancer)(void *self, const char *cluster_name,
	                         const kube_host_object *service,
	                         kube_cloud_lb_status *out, int *exists);      /* 1.0 */
	int (*get_load_balancer_name)(void *self, const char *cluster_name,
	                              const kube_host_object *service, char **out);  /* 1.0 */
	int (*ensure_load_balancer)(void *self, const char *cluster_name,
	                            const kube_host_object *service,
	                            const kube_host_object *const *nodes, size_t n_nodes,
	                            kube_cloud_lb_status *out, uint32_t *retry_after_s);  /* 1.0 */
	int (*update_load_balancer)(void *self, const char *cluster_name,
	                            const kube_host_object *service,
	                            const kube_host_object *const *nodes, size_t n_nodes,
	                            uint32_t *retry_after_s);                  /* 1.0 */
	/* 0 if already gone. */
	int (*ensure_load_balancer_deleted)(void *self, const char *cluster_name,
	                                    const kube_host_object *service);  /* 1.0 */

	/* -- Instances -- */
	int (*node_addresses)(void *self, const char *node_name,
	                      kube_cloud_address_list *out);                   /* 1.0 */
	int (*node_addresses_by_provider_id)(void *self, const char *provider_id,
	                                     kube_cloud_address_list *out);    /* 1.0 */
	int (*instance_id)(void *self, const char *node_name, char **out);     /* 1.0 */
	int (*instance_type)(void *self, const char *node_name, char **out);   /* 1.0 */
	int (*instance_type_by_provider_id)(void *self, const char *provider_id,
	                                    char **out);                       /* 1.0 */
	int (*add_ssh_key_to_all_instances)(void *self, const char *user,
	                                    const uint8_t *key, size_t key_len);  /* 1.0 */
	int (*current_node_name)(void *self, const char *hostname, char **out);   /* 1.0 */
	int (*instance_exists_by_provider_id)(void *self, const char *provider_id,
	                                      int *exists);                    /* 1.0 */
	int (*instance_shutdown_by_provider_id)(void *self, const char *provider_id,
	                                        int *shutdown);                /* 1.0 */

	/* -- InstancesV2 (implementing it turns off calls to Zones) -- */
	int (*instance_exists)(void *self, const kube_host_object *node, int *exists);     /* 1.0 */
	int (*instance_shutdown)(void *self, const kube_host_object *node, int *shutdown); /* 1.0 */
	int (*instance_metadata)(void *self, const kube_host_object *node,
	                         kube_cloud_instance_metadata *out);           /* 1.0 */

	/* -- Zones (deprecated upstream) -- */
	int (*get_zone)(void *self, kube_cloud_zone *out);                     /* 1.0 */
	int (*get_zone_by_provider_id)(void *self, const char *provider_id,
	                               kube_cloud_zone *out);                  /* 1.0 */
	int (*get_zone_by_node_name)(void *self, const char *node_name,
	                             kube_cloud_zone *out);                    /* 1.0 */

	/* -- Clusters -- */
	int (*list_clusters)(void *self, kube_cloud_string_list *out);         /* 1.0 */
	int (*master)(void *self, const char *cluster_name, char **out);       /* 1.0 */

	/* -- Routes -- */
	int (*list_routes)(void *self, const char *cluster_name,
	                   kube_cloud_route_list *out);                        /* 1.0 */
	int (*create_route)(void *self, const char *cluster_name, const char *name_hint,
	                    const kube_cloud_route *route);                    /* 1.0 */
	int (*delete_route)(void *self, const char *cluster_name,
	                    const kube_cloud_route *route);                    /* 1.0 */
} kube_cloud_provider;

#define KUBE_CLOUD_PROVIDER_SIZE_1_0 KUBE_PLUGIN_SIZE_UPTO(kube_cloud_provider, delete_route)

#ifdef __cplusplus
}
#endif

#endif /* LIBKUBE_PLUGIN_CLOUD_H */
