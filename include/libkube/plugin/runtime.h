/*
 * plugin/runtime.h - the container runtime vtable: CRI's RuntimeService and
 * ImageService (k8s.io/cri-api runtime.v1) as C calls, over the same structs
 * as libkube's CRI client (libkube/cri_types.h).
 *
 * A runtime plugin is what the node agent drives to run a pod: a sandbox
 * (RunPodSandbox), containers in it (CreateContainer, StartContainer), their
 * status, logs, ExecSync and stats, and the images they run.  A plugin may
 * run containers itself (plugins/runtime-process) or forward every call to a
 * CRI endpoint (plugins/runtime-cri).
 *
 * Conventions (the volume and cloud vtables' too):
 *   - every call returns 0 or a KUBE_E* code and may record a message with
 *     host->error_set;
 *   - results are zeroed by the host, which sets their struct_size, before
 *     the call; whatever the plugin puts in them is allocated with
 *     host->malloc/calloc/strdup and released by the host with the matching
 *     kube_cri_*_free/clear of the CRI client;
 *   - a plugin writes no member of a result past the struct_size the host
 *     set, and reads no member of a request past the request's struct_size;
 *   - requests are the caller's and only read during the call.
 *
 * CRI's rules that the conformance kit checks (tests/plugin-conformance):
 *   - StopPodSandbox, RemovePodSandbox, StopContainer, RemoveContainer and
 *     RemoveImage succeed when the work is already done; the Remove calls
 *     also for an id the runtime does not know (the Stop calls may answer
 *     KUBE_ENOTFOUND there, as containerd does);
 *   - PodSandboxStatus, ContainerStatus, StartContainer, ExecSync,
 *     ContainerStats and ImageStatus answer KUBE_ENOTFOUND for an unknown
 *     id or image (upstream ImageStatus answers an empty response; the CRI
 *     client turns that into KUBE_ENOTFOUND, and so does this ABI);
 *   - a second RunPodSandbox with the same metadata, or CreateContainer with
 *     the name and attempt of a container already in the sandbox, is
 *     refused: KUBE_EEXISTS (containerd answers UNKNOWN "failed to reserve
 *     sandbox name", which reaches the caller as KUBE_ERROR);
 *   - timestamps are nanoseconds since the epoch.
 *
 * This header needs only <stdint.h>, <stddef.h> and cri_types.h (which needs
 * nothing more).
 */
#ifndef LIBKUBE_PLUGIN_RUNTIME_H
#define LIBKUBE_PLUGIN_RUNTIME_H

#include "host.h"
#include "../cri_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The vtable.  REQUIRED methods must be non-NULL or the host refuses the
 * plugin; a NULL optional method makes the host answer KUBE_ENOTSUP.
 * `self` is what open() returned.  Calls on one instance may come from
 * several threads at once, and a call may block (StopContainer waits up to
 * its timeout, PullImage unpacks layers): the host makes them from a worker,
 * never from its loop thread.
 */
typedef struct kube_runtime_driver {
	uint32_t abi_version;             /* KUBE_PLUGIN_ABI_VERSION */
	uint32_t struct_size;             /* sizeof(kube_runtime_driver) */

	/* REQUIRED 1.0: an instance; config is plugin-defined bytes (may be NULL). */
	int (*open)(void **out_self, const char *config, size_t config_len,
	            kube_host_loop *loop);
	/* REQUIRED 1.0: stops and forgets whatever the instance still runs. */
	void (*close)(void *self);

	/* -- RuntimeService -- */

	/* REQUIRED 1.0: api_version is the CRI version the caller speaks ("v1"). */
	int (*version)(void *self, const char *api_version, kube_cri_version *out);
	/* REQUIRED 1.0: conditions RuntimeReady and NetworkReady at least. */
	int (*status)(void *self, int verbose, kube_cri_runtime_status *out);

	/* REQUIRED 1.0: *out_id is host->malloc'd. */
	int (*run_pod_sandbox)(void *self, const kube_cri_sandbox_config *config,
	                       const char *runtime_handler, char **out_id);
	/* REQUIRED 1.0: stops every container of the sandbox; idempotent. */
	int (*stop_pod_sandbox)(void *self, const char *sandbox_id);
	/* REQUIRED 1.0: removes the sandbox and its containers (forcibly); idempotent. */
	int (*remove_pod_sandbox)(void *self, const char *sandbox_id);
	/* REQUIRED 1.0: KUBE_ENOTFOUND for an unknown id. */
	int (*pod_sandbox_status)(void *self, const char *sandbox_id, int verbose,
	                          kube_cri_sandbox_status *out);
	/* REQUIRED 1.0: filter may be NULL (everything). */
	int (*list_pod_sandbox)(void *self, const kube_cri_sandbox_filter *filter,
	                        kube_cri_sandbox_list *out);

	/* REQUIRED 1.0: sandbox_config is the one the sandbox was run with. */
	int (*create_container)(void *self, const char *sandbox_id,
	                        const kube_cri_container_config *config,
	                        const kube_cri_sandbox_config *sandbox_config,
	                        char **out_id);
	/* REQUIRED 1.0: KUBE_ENOTFOUND for an unknown id, KUBE_ECONFLICT if not CREATED. */
	int (*start_container)(void *self, const char *container_id);
	/*
	 * REQUIRED 1.0: the stop signal, then SIGKILL after timeout_s seconds
	 * (0: at once); returns when the container has exited.  Idempotent.
	 */
	int (*stop_container)(void *self, const char *container_id, int64_t timeout_s);
	/* REQUIRED 1.0: a running container is killed first; idempotent. */
	int (*remove_container)(void *self, const char *container_id);
	/* REQUIRED 1.0: filter may be NULL. */
	int (*list_containers)(void *self, const kube_cri_container_filter *filter,
	                       kube_cri_container_list *out);
	/* REQUIRED 1.0: KUBE_ENOTFOUND for an unknown id. */
	int (*container_status)(void *self, const char *container_id, int verbose,
	                        kube_cri_container_status *out);

	/* 1.0: new limits for a created or running container. */
	int (*update_container_resources)(void *self, const char *container_id,
	                                  const kube_cri_linux_resources *resources);
	/* 1.0: reopen the log file (after the caller rotated it). */
	int (*reopen_container_log)(void *self, const char *container_id);
	/*
	 * 1.0: runs cmd in the container and waits for it; timeout_s 0: no
	 * limit, else KUBE_ETIMEDOUT when it passes.  A command that ran and
	 * failed is a success with a non-zero out->exit_code.
	 */
	int (*exec_sync)(void *self, const char *container_id, const char *const *cmd,
	                 size_t n_cmd, int64_t timeout_s, kube_cri_exec_result *out);
	/* 1.0: out holds one item. */
	int (*container_stats)(void *self, const char *container_id,
	                       kube_cri_container_stats_list *out);
	/* 1.0: filter may be NULL. */
	int (*list_container_stats)(void *self, const kube_cri_container_stats_filter *filter,
	                            kube_cri_container_stats_list *out);
	/* 1.0: UpdateRuntimeConfig's network_config.pod_cidr. */
	int (*update_runtime_config)(void *self, const char *pod_cidr);

	/* -- ImageService -- */

	/* REQUIRED 1.0: filter_image NULL or "": every image. */
	int (*list_images)(void *self, const char *filter_image, kube_cri_image_list *out);
	/* REQUIRED 1.0: KUBE_ENOTFOUND when the image is not there. */
	int (*image_status)(void *self, const char *image, int verbose,
	                    kube_cri_image_status *out);
	/* REQUIRED 1.0: auth and sandbox_config may be NULL; *out_image_ref is host->malloc'd. */
	int (*pull_image)(void *self, const char *image, const kube_cri_auth_config *auth,
	                  const kube_cri_sandbox_config *sandbox_config, char **out_image_ref);
	/* REQUIRED 1.0: idempotent. */
	int (*remove_image)(void *self, const char *image);
	/* 1.0 */
	int (*image_fs_info)(void *self, kube_cri_fs_info *out);
} kube_runtime_driver;

/* The size a 1.0 plugin's vtable must have. */
#define KUBE_RUNTIME_DRIVER_SIZE_1_0 KUBE_PLUGIN_SIZE_UPTO(kube_runtime_driver, image_fs_info)

#ifdef __cplusplus
}
#endif

#endif /* LIBKUBE_PLUGIN_RUNTIME_H */
