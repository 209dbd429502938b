/*
 * cri.c - the runtime-cri plugin: every runtime call forwarded to a CRI
 * endpoint (containerd, CRI-O) through libkube's CRI client.
 *
 * A plugin never links libkube, yet the CRI client is libkube code (lib/cri
 * on lib/grpc, lib/loop and lib/base).  So this plugin carries a private,
 * static copy of those objects (the kube_core archive, position-independent)
 * and exports nothing but kube_plugin_entry (runtime-cri.map): every kube_*
 * symbol inside binds to the private copy, never to the host's.  The copy's
 * global state is wired to the host at entry:
 *
 *   - its allocator is the host's (kube_set_allocator with host->malloc,
 *     realloc and free), so the results the client allocates are the
 *     host's to free, as the ABI says;
 *   - its errors (kube_error_last of the copy) are handed to
 *     host->error_set after each call, message included.
 *
 * Results: the client returns heap structs; their members are moved into
 * the host's zeroed result and the empty shell freed.
 *
 * Threads: the client's blocking calls run a loop that must belong to the
 * calling thread, and the host calls a runtime from any worker.  Each call
 * therefore makes a client with a private loop, calls, and frees it: one
 * unix-socket connection per call, cheap next to what a runtime does per
 * call, and nothing shared between threads.
 *
 * Config lines: endpoint=unix:///run/containerd/containerd.sock (required),
 * timeout_ms=N (each call's deadline; default the client's 2 minutes),
 * api=auto|v1|v1alpha2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/alloc.h"
#include "libkube/cri.h"
#include "libkube/error.h"
#include "libkube/plugin/runtime.h"

#define PLUGIN_NAME "cri"
#define PLUGIN_VERSION "0.1.0"

static const kube_host_api *host;

typedef struct crip {
	char endpoint[1024];
	kube_cri_options opts;
} crip;

static int relay(int rc)
{
	if (rc == 0)
		return 0;
	const kube_error *e = kube_error_last();
	return host->error_set(rc, e && e->message ? e->message : "runtime-cri: call failed");
}

static int client(kube_cri_client **out, crip *c)
{
	return relay(kube_cri_client_new(out, NULL, c->endpoint, &c->opts));
}

static int cp_open(void **out, const char *config, size_t len, kube_host_loop *loop)
{
	(void)loop;
	crip *c = calloc(1, sizeof(*c));
	if (!c)
		return KUBE_ENOMEM;
	kube_cri_options_init(&c->opts, KUBE_CRI_OPTIONS_VERSION);
	size_t i = 0;
	int rc = 0;
	while (config && i < len && !rc) {
		size_t j = i;
		while (j < len && config[j] != '\n')
			j++;
		char line[1100];
		size_t ll = j - i < sizeof(line) - 1 ? j - i : sizeof(line) - 1;
		memcpy(line, config + i, ll);
		line[ll] = '\0';
		i = j + 1;
		char *eq = strchr(line, '=');
		if (!line[0] || line[0] == '#')
			continue;
		if (!eq) {
			rc = host->error_set(KUBE_EINVAL, "runtime-cri: a config line is not key=value");
			break;
		}
		*eq = '\0';
		const char *v = eq + 1;
		if (strcmp(line, "endpoint") == 0)
			snprintf(c->endpoint, sizeof(c->endpoint), "%s", v);
		else if (strcmp(line, "timeout_ms") == 0)
			c->opts.timeout_ms = strtoull(v, NULL, 10);
		else if (strcmp(line, "api") == 0 && strcmp(v, "v1") == 0)
			c->opts.api = KUBE_CRI_API_V1;
		else if (strcmp(line, "api") == 0 && strcmp(v, "v1alpha2") == 0)
			c->opts.api = KUBE_CRI_API_V1ALPHA2;
		else if (strcmp(line, "api") == 0 && strcmp(v, "auto") == 0)
			c->opts.api = KUBE_CRI_API_AUTO;
		else
			rc = host->error_set(KUBE_EINVAL, "runtime-cri: unknown config key");
	}
	if (!rc && !c->endpoint[0])
		rc = host->error_set(KUBE_EINVAL, "runtime-cri: config needs endpoint=<unix socket>");
	if (rc) {
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

static void cp_close(void *self)
{
	free(self);
}

/*
 * One forwarded call: a client, the call, the client freed.  RES is the
 * client's heap result; its members move into *out (struct_size kept).
 */
#define FORWARD_RESULT(TYPE, CALL, ...) \
	do { \
		kube_cri_client *cl; \
		int rc_ = client(&cl, self); \
		if (rc_) \
			return rc_; \
		TYPE *res_ = NULL; \
		rc_ = CALL(&res_, cl, __VA_ARGS__); \
		int err_ = relay(rc_); \
		kube_cri_client_free(cl); \
		if (!rc_ && res_) { \
			uint32_t size_ = out->struct_size; \
			*out = *res_; \
			out->struct_size = size_; \
			kube_free(res_); \
		} \
		return err_; \
	} while (0)

#define FORWARD(CALL, ...) \
	do { \
		kube_cri_client *cl; \
		int rc_ = client(&cl, self); \
		if (rc_) \
			return rc_; \
		rc_ = relay(CALL(cl, __VA_ARGS__)); \
		kube_cri_client_free(cl); \
		return rc_; \
	} while (0)

#define FORWARD_STRING(CALL, OUT, ...) \
	do { \
		kube_cri_client *cl; \
		int rc_ = client(&cl, self); \
		if (rc_) \
			return rc_; \
		rc_ = relay(CALL(OUT, cl, __VA_ARGS__)); \
		kube_cri_client_free(cl); \
		return rc_; \
	} while (0)

/* The client's calls that take no argument after the client. */
static int version_call(kube_cri_version **out, kube_cri_client *cl, int unused)
{
	(void)unused;
	return kube_cri_version_sync(out, cl);
}

static int fs_info_call(kube_cri_fs_info **out, kube_cri_client *cl, int unused)
{
	(void)unused;
	return kube_cri_image_fs_info_sync(out, cl);
}

static int cp_version(void *self, const char *api, kube_cri_version *out)
{
	(void)api;
	FORWARD_RESULT(kube_cri_version, version_call, 0);
}

static int cp_status(void *self, int verbose, kube_cri_runtime_status *out)
{
	FORWARD_RESULT(kube_cri_runtime_status, kube_cri_status_sync, verbose);
}

static int cp_run_pod_sandbox(void *self, const kube_cri_sandbox_config *cfg, const char *handler,
                              char **out_id)
{
	FORWARD_STRING(kube_cri_run_pod_sandbox_sync, out_id, cfg, handler);
}

static int cp_stop_pod_sandbox(void *self, const char *id)
{
	FORWARD(kube_cri_stop_pod_sandbox_sync, id);
}

static int cp_remove_pod_sandbox(void *self, const char *id)
{
	FORWARD(kube_cri_remove_pod_sandbox_sync, id);
}

static int cp_pod_sandbox_status(void *self, const char *id, int verbose, kube_cri_sandbox_status *out)
{
	FORWARD_RESULT(kube_cri_sandbox_status, kube_cri_pod_sandbox_status_sync, id, verbose);
}

static int cp_list_pod_sandbox(void *self, const kube_cri_sandbox_filter *f, kube_cri_sandbox_list *out)
{
	FORWARD_RESULT(kube_cri_sandbox_list, kube_cri_list_pod_sandbox_sync, f);
}

static int cp_create_container(void *self, const char *sb, const kube_cri_container_config *cfg,
                               const kube_cri_sandbox_config *scfg, char **out_id)
{
	FORWARD_STRING(kube_cri_create_container_sync, out_id, sb, cfg, scfg);
}

static int cp_start_container(void *self, const char *id)
{
	FORWARD(kube_cri_start_container_sync, id);
}

static int cp_stop_container(void *self, const char *id, int64_t timeout)
{
	FORWARD(kube_cri_stop_container_sync, id, timeout);
}

static int cp_remove_container(void *self, const char *id)
{
	FORWARD(kube_cri_remove_container_sync, id);
}

static int cp_list_containers(void *self, const kube_cri_container_filter *f, kube_cri_container_list *out)
{
	FORWARD_RESULT(kube_cri_container_list, kube_cri_list_containers_sync, f);
}

static int cp_container_status(void *self, const char *id, int verbose, kube_cri_container_status *out)
{
	FORWARD_RESULT(kube_cri_container_status, kube_cri_container_status_sync, id, verbose);
}

static int cp_update_container_resources(void *self, const char *id, const kube_cri_linux_resources *r)
{
	FORWARD(kube_cri_update_container_resources_sync, id, r);
}

static int cp_reopen_container_log(void *self, const char *id)
{
	FORWARD(kube_cri_reopen_container_log_sync, id);
}

static int cp_exec_sync(void *self, const char *id, const char *const *cmd, size_t n, int64_t timeout,
                        kube_cri_exec_result *out)
{
	FORWARD_RESULT(kube_cri_exec_result, kube_cri_exec_sync_sync, id, cmd, n, timeout);
}

static int cp_container_stats(void *self, const char *id, kube_cri_container_stats_list *out)
{
	FORWARD_RESULT(kube_cri_container_stats_list, kube_cri_container_stats_sync, id);
}

static int cp_list_container_stats(void *self, const kube_cri_container_stats_filter *f,
                                   kube_cri_container_stats_list *out)
{
	FORWARD_RESULT(kube_cri_container_stats_list, kube_cri_list_container_stats_sync, f);
}

static int cp_list_images(void *self, const char *filter, kube_cri_image_list *out)
{
	FORWARD_RESULT(kube_cri_image_list, kube_cri_list_images_sync, filter);
}

static int cp_image_status(void *self, const char *image, int verbose, kube_cri_image_status *out)
{
	FORWARD_RESULT(kube_cri_image_status, kube_cri_image_status_sync, image, verbose);
}

static int cp_pull_image(void *self, const char *image, const kube_cri_auth_config *auth,
                         const kube_cri_sandbox_config *scfg, char **out_ref)
{
	FORWARD_STRING(kube_cri_pull_image_sync, out_ref, image, auth, scfg);
}

static int cp_remove_image(void *self, const char *image)
{
	FORWARD(kube_cri_remove_image_sync, image);
}

static int cp_image_fs_info(void *self, kube_cri_fs_info *out)
{
	FORWARD_RESULT(kube_cri_fs_info, fs_info_call, 0);
}

static const kube_runtime_driver vtable = {
	.abi_version = KUBE_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(kube_runtime_driver),
	.open = cp_open,
	.close = cp_close,
	.version = cp_version,
	.status = cp_status,
	.run_pod_sandbox = cp_run_pod_sandbox,
	.stop_pod_sandbox = cp_stop_pod_sandbox,
	.remove_pod_sandbox = cp_remove_pod_sandbox,
	.pod_sandbox_status = cp_pod_sandbox_status,
	.list_pod_sandbox = cp_list_pod_sandbox,
	.create_container = cp_create_container,
	.start_container = cp_start_container,
	.stop_container = cp_stop_container,
	.remove_container = cp_remove_container,
	.list_containers = cp_list_containers,
	.container_status = cp_container_status,
	.update_container_resources = cp_update_container_resources,
	.reopen_container_log = cp_reopen_container_log,
	.exec_sync = cp_exec_sync,
	.container_stats = cp_container_stats,
	.list_container_stats = cp_list_container_stats,
	.list_images = cp_list_images,
	.image_status = cp_image_status,
	.pull_image = cp_pull_image,
	.remove_image = cp_remove_image,
	.image_fs_info = cp_image_fs_info,
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

static void *a_malloc(size_t n, void *u) { (void)u; return host->malloc(n); }
static void *a_realloc(void *p, size_t n, void *u) { (void)u; return host->realloc(p, n); }
static void a_free(void *p, void *u) { (void)u; host->free(p); }

KUBE_PLUGIN_DEFINE_ENTRY(h)
{
	if (!h || KUBE_PLUGIN_ABI_MAJOR_OF(h->abi_version) != KUBE_PLUGIN_ABI_MAJOR ||
	    !KUBE_HOST_HAS(h, error_set))
		return NULL;
	if (host && host != h)
		return NULL;   /* one host per loaded copy: the allocator is set once */
	if (!host) {
		host = h;
		/* The private libkube copy allocates what the host will free. */
		kube_allocator a = { a_malloc, a_realloc, a_free, NULL };
		if (kube_set_allocator(&a) != 0)
			return NULL;
	}
	return &descriptor;
}
