/*
 * stubs.c - the KUBE_ENOTSUP answers that stand in for a plugin's NULL
 * optional methods.
 *
 * The host copies a plugin's vtable into its own zeroed struct, so methods
 * the plugin did not provide (or that a newer minor added after the plugin
 * was built) are NULL there.  Rather than test every slot before every call,
 * the loader fills each NULL with one of these, which have the slot's exact
 * type: calling through a cast pointer of another type would be undefined
 * (and UBSan's -fsanitize=function says so).  Required methods are never
 * stubbed: a plugin without them is refused before this runs.
 */
#include "plugin_private.h"

#define STUB(name, ...) \
	static int name(__VA_ARGS__) \
	{ \
		return kube__error_set(KUBE_ENOTSUP, NULL, "%s: not supported by this plugin", \
		                       &#name[5]); \
	}

/* ---- volume ---- */
STUB(stub_controller_get_capabilities, void *s, uint64_t *r)
STUB(stub_create_volume, void *s, const kube_volume_create_request *q, kube_volume_info *o)
STUB(stub_delete_volume, void *s, const char *id, const kube_plugin_kv *sec, size_t n)
STUB(stub_controller_publish_volume, void *s, const kube_volume_publish_request *q,
     kube_plugin_kv_owned **pc, size_t *n)
STUB(stub_controller_unpublish_volume, void *s, const char *id, const char *node)
STUB(stub_validate_volume_capabilities, void *s, const char *id, const kube_volume_capability *c,
     size_t nc, const kube_plugin_kv *p, size_t np, int *ok)
STUB(stub_list_volumes, void *s, uint32_t max, const char *tok, kube_volume_info **e, size_t *n,
     char **next)
STUB(stub_get_capacity, void *s, const kube_volume_capability *c, size_t nc,
     const kube_plugin_kv *p, size_t np, int64_t *a)
STUB(stub_create_snapshot, void *s, const char *src, const char *name, const kube_plugin_kv *p,
     size_t np, kube_volume_snapshot *o)
STUB(stub_delete_snapshot, void *s, const char *id)
STUB(stub_list_snapshots, void *s, const char *id, const char *src, uint32_t max,
     const char *tok, kube_volume_snapshot **e, size_t *n, char **next)
STUB(stub_controller_expand_volume, void *s, const char *id, int64_t req, int64_t lim,
     int64_t *cap, int *node)
STUB(stub_controller_get_volume, void *s, const char *id, kube_volume_info *o)
STUB(stub_node_stage_volume, void *s, const kube_volume_node_request *q)
STUB(stub_node_unstage_volume, void *s, const char *id, const char *path)
STUB(stub_node_get_volume_stats, void *s, const char *id, const char *path, kube_volume_stats *o)
STUB(stub_node_expand_volume, void *s, const char *id, const char *path, int64_t req,
     int64_t lim, int64_t *cap)

#define FILL(vt, m) do { if (!(vt)->m) (vt)->m = stub_##m; } while (0)

void kube__volume_fill_stubs(kube_volume_driver *vt)
{
	FILL(vt, controller_get_capabilities);
	FILL(vt, create_volume);
	FILL(vt, delete_volume);
	FILL(vt, controller_publish_volume);
	FILL(vt, controller_unpublish_volume);
	FILL(vt, validate_volume_capabilities);
	FILL(vt, list_volumes);
	FILL(vt, get_capacity);
	FILL(vt, create_snapshot);
	FILL(vt, delete_snapshot);
	FILL(vt, list_snapshots);
	FILL(vt, controller_expand_volume);
	FILL(vt, controller_get_volume);
	FILL(vt, node_stage_volume);
	FILL(vt, node_unstage_volume);
	FILL(vt, node_get_volume_stats);
	FILL(vt, node_expand_volume);
}

/* ---- cloud ---- */
typedef const kube_host_object hobj;
STUB(stub_initialize, void *s, kube_host_loop *l)
STUB(stub_get_load_balancer, void *s, const char *c, hobj *svc, kube_cloud_lb_status *o, int *e)
STUB(stub_get_load_balancer_name, void *s, const char *c, hobj *svc, char **o)
STUB(stub_ensure_load_balancer, void *s, const char *c, hobj *svc, hobj *const *nodes, size_t n,
     kube_cloud_lb_status *o, uint32_t *retry)
STUB(stub_update_load_balancer, void *s, const char *c, hobj *svc, hobj *const *nodes, size_t n,
     uint32_t *retry)
STUB(stub_ensure_load_balancer_deleted, void *s, const char *c, hobj *svc)
STUB(stub_node_addresses, void *s, const char *n, kube_cloud_address_list *o)
STUB(stub_node_addresses_by_provider_id, void *s, const char *p, kube_cloud_address_list *o)
STUB(stub_instance_id, void *s, const char *n, char **o)
STUB(stub_instance_type, void *s, const char *n, char **o)
STUB(stub_instance_type_by_provider_id, void *s, const char *p, char **o)
STUB(stub_add_ssh_key_to_all_instances, void *s, const char *u, const uint8_t *k, size_t n)
STUB(stub_current_node_name, void *s, const char *h, char **o)
STUB(stub_instance_exists_by_provider_id, void *s, const char *p, int *o)
STUB(stub_instance_shutdown_by_provider_id, void *s, const char *p, int *o)
STUB(stub_instance_exists, void *s, hobj *node, int *o)
STUB(stub_instance_shutdown, void *s, hobj *node, int *o)
STUB(stub_instance_metadata, void *s, hobj *node, kube_cloud_instance_metadata *o)
STUB(stub_get_zone, void *s, kube_cloud_zone *o)
STUB(stub_get_zone_by_provider_id, void *s, const char *p, kube_cloud_zone *o)
STUB(stub_get_zone_by_node_name, void *s, const char *n, kube_cloud_zone *o)
STUB(stub_list_clusters, void *s, kube_cloud_string_list *o)
STUB(stub_master, void *s, const char *c, char **o)
STUB(stub_list_routes, void *s, const char *c, kube_cloud_route_list *o)
STUB(stub_create_route, void *s, const char *c, const char *hint, const kube_cloud_route *r)
STUB(stub_delete_route, void *s, const char *c, const kube_cloud_route *r)

void kube__cloud_fill_stubs(kube_cloud_provider *vt)
{
	FILL(vt, initialize);
	FILL(vt, get_load_balancer);
	FILL(vt, get_load_balancer_name);
	FILL(vt, ensure_load_balancer);
	FILL(vt, update_load_balancer);
	FILL(vt, ensure_load_balancer_deleted);
	FILL(vt, node_addresses);
	FILL(vt, node_addresses_by_provider_id);
	FILL(vt, instance_id);
	FILL(vt, instance_type);
	FILL(vt, instance_type_by_provider_id);
	FILL(vt, add_ssh_key_to_all_instances);
	FILL(vt, current_node_name);
	FILL(vt, instance_exists_by_provider_id);
	FILL(vt, instance_shutdown_by_provider_id);
	FILL(vt, instance_exists);
	FILL(vt, instance_shutdown);
	FILL(vt, instance_metadata);
	FILL(vt, get_zone);
	FILL(vt, get_zone_by_provider_id);
	FILL(vt, get_zone_by_node_name);
	FILL(vt, list_clusters);
	FILL(vt, master);
	FILL(vt, list_routes);
	FILL(vt, create_route);
	FILL(vt, delete_route);
}

/* ---- runtime ---- */
STUB(stub_update_container_resources, void *s, const char *id, const kube_cri_linux_resources *r)
STUB(stub_reopen_container_log, void *s, const char *id)
STUB(stub_exec_sync, void *s, const char *id, const char *const *cmd, size_t n, int64_t t,
     kube_cri_exec_result *o)
STUB(stub_container_stats, void *s, const char *id, kube_cri_container_stats_list *o)
STUB(stub_list_container_stats, void *s, const kube_cri_container_stats_filter *f,
     kube_cri_container_stats_list *o)
STUB(stub_update_runtime_config, void *s, const char *cidr)
STUB(stub_image_fs_info, void *s, kube_cri_fs_info *o)

void kube__runtime_fill_stubs(kube_runtime_driver *vt)
{
	FILL(vt, update_container_resources);
	FILL(vt, reopen_container_log);
	FILL(vt, exec_sync);
	FILL(vt, container_stats);
	FILL(vt, list_container_stats);
	FILL(vt, update_runtime_config);
	FILL(vt, image_fs_info);
}
