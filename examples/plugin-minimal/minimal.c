/*
 * minimal.c - the smallest volume driver libkube will load: every REQUIRED
 * method of kube_volume_driver and nothing else.
 *
 * It has no controller service, so CreateVolume and friends are left NULL
 * and the host answers KUBE_ENOTSUP (UNIMPLEMENTED) for them.  Publishing a
 * volume makes an empty directory at the target path; that is the whole
 * "storage".  Build it as a shared module that links nothing from libkube:
 *
 *   cc -std=c11 -shared -fPIC -fvisibility=hidden -I<prefix>/include \
 *      minimal.c -o minimal.so
 *
 * then check it with the conformance kit:
 *
 *   kube-plugin-conformance ./minimal.so
 */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libkube/plugin/volume.h>

/* The host's services, kept from the entry point: all memory goes through it. */
static const kube_host_api *host;

static int open_driver(void **out_self, const char *config, size_t config_len,
                       kube_host_loop *loop)
{
	(void)config; (void)config_len; (void)loop;
	*out_self = NULL;   /* no state */
	return 0;
}

static void close_driver(void *self) { (void)self; }

static int plugin_info(void *self, kube_volume_plugin_info *out)
{
	(void)self;
	/* Results are freed by the host, so they are allocated by the host. */
	out->name = host->strdup("minimal.example.com");
	out->vendor_version = host->strdup("1.0.0");
	return out->name && out->vendor_version ? KUBE_OK : KUBE_ENOMEM;
}

static int plugin_caps(void *self, kube_volume_plugin_caps *out)
{
	(void)self;
	out->services = 0;   /* no CONTROLLER_SERVICE */
	return KUBE_OK;
}

static int probe(void *self, int *ready)
{
	(void)self;
	*ready = 1;
	return KUBE_OK;
}

static int node_caps(void *self, uint64_t *rpcs)
{
	(void)self;
	*rpcs = 0;   /* no STAGE_UNSTAGE_VOLUME, no GET_VOLUME_STATS */
	return KUBE_OK;
}

static int node_info(void *self, kube_volume_node_info *out)
{
	(void)self;
	out->node_id = host->strdup("node-1");
	return out->node_id ? KUBE_OK : KUBE_ENOMEM;
}

static int node_publish(void *self, const kube_volume_node_request *req)
{
	(void)self;
	if (!req->volume_id || !req->volume_id[0] || !req->target_path || req->target_path[0] != '/')
		return host->error_set(KUBE_EINVAL, "volume id and an absolute target path are required");
	/* Idempotent, as CSI demands: an existing target is success. */
	if (mkdir(req->target_path, 0750) != 0 && errno != EEXIST)
		return host->error_set(KUBE_EIO, "cannot create the target directory");
	return KUBE_OK;
}

static int node_unpublish(void *self, const char *volume_id, const char *target_path)
{
	(void)self; (void)volume_id;
	if (!target_path || !target_path[0])
		return host->error_set(KUBE_EINVAL, "target path is required");
	if (rmdir(target_path) != 0 && errno != ENOENT)
		return host->error_set(KUBE_EIO, "cannot remove the target directory");
	return KUBE_OK;
}

static const kube_volume_driver driver = {
	.abi_version = KUBE_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(kube_volume_driver),
	.open = open_driver,
	.close = close_driver,
	.get_plugin_info = plugin_info,
	.get_plugin_capabilities = plugin_caps,
	.probe = probe,
	.node_get_capabilities = node_caps,
	.node_get_info = node_info,
	.node_publish_volume = node_publish,
	.node_unpublish_volume = node_unpublish,
};

static const kube_plugin_descriptor descriptor = {
	.abi_major = KUBE_PLUGIN_ABI_MAJOR,
	.abi_minor = KUBE_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(kube_plugin_descriptor),
	.name = "minimal.example.com",
	.version = "1.0.0",
	.kind = KUBE_PLUGIN_VOLUME,
	.vtable = &driver,
};

/* The one exported symbol. */
KUBE_PLUGIN_DEFINE_ENTRY(h)
{
	host = h;
	return &descriptor;
}
