/*
 * cri.h - a client of the Container Runtime Interface (CRI): containerd,
 * CRI-O or any runtime that serves runtime.v1 (or runtime.v1alpha2) over
 * gRPC on a unix socket.
 *
 * The data are the plain structs of cri_types.h.  Every call exists twice:
 *
 *   kube_cri_<call>_async(client, ..., cb, userdata)
 *       starts the call and returns; cb runs later on the client's loop
 *       thread, exactly once (also when the client is freed first: then
 *       with KUBE_ECANCELED).  If _async itself fails, cb never runs.
 *   kube_cri_<call>_sync(out, client, ...)
 *       starts the call and runs the client's loop until it ends.  For
 *       simple embedders: the loop must belong to the calling thread and
 *       must not be running (not from inside a loop callback).
 *
 * Results: what a callback receives or *out gets belongs to the caller, who
 * releases it with the matching kube_cri_*_free() (strings with
 * kube_free()).  A callback whose status is not 0 receives NULL.  Strings
 * in results are never NULL (an empty field is "").
 *
 * Errors: 0, or KUBE_EINVAL (bad argument; raised before anything is sent),
 * KUBE_ENOMEM, or the runtime's gRPC status mapped to a code:
 *
 *   NOT_FOUND -> KUBE_ENOTFOUND         ALREADY_EXISTS -> KUBE_EEXISTS
 *   DEADLINE_EXCEEDED -> KUBE_ETIMEDOUT UNAVAILABLE -> KUBE_EUNAVAILABLE
 *   UNIMPLEMENTED -> KUBE_ENOTSUP       CANCELLED -> KUBE_ECANCELED
 *   (the rest as lib/grpc maps them; a response that does not decode is
 *   KUBE_EIO).
 *
 * kube_error_last()->message names the call and the gRPC code, then the
 * runtime's text: "ContainerStatus: NOT_FOUND: an error occurred when try to
 * find container \"x\": not found".  In a callback, the message is the
 * thread's error while the callback runs.
 *
 * API version: the client speaks runtime.v1.  When the runtime answers
 * UNIMPLEMENTED to a v1 call before any v1 call has succeeded, the same
 * request is sent again as runtime.v1alpha2 (the messages are the same on
 * the wire), and if that succeeds the client stays on v1alpha2.  Options can
 * pin either version.
 */
#ifndef LIBKUBE_CRI_H
#define LIBKUBE_CRI_H

#include "common.h"
#include "cri_types.h"
#include "loop.h"

KUBE_BEGIN_DECLS

typedef struct kube_cri_client kube_cri_client;

/* Which CRI API the client speaks (kube_cri_options.api, kube_cri_client_api). */
#define KUBE_CRI_API_AUTO      0   /* v1, falling back to v1alpha2; "not known yet" */
#define KUBE_CRI_API_V1        1
#define KUBE_CRI_API_V1ALPHA2  2

typedef struct kube_cri_options {
	unsigned int version;       /* KUBE_CRI_OPTIONS_VERSION */
	int api;                    /* KUBE_CRI_API_* */
	uint64_t timeout_ms;        /* deadline of each call; 0 = 2 minutes (kubelet's) */
	uint64_t pull_timeout_ms;   /* PullImage's deadline; 0 = 30 minutes */
	size_t max_recv_message;    /* 0 = 16 MiB */
} kube_cri_options;

#define KUBE_CRI_OPTIONS_VERSION 1
#define KUBE_CRI_OPTIONS_INIT { KUBE_CRI_OPTIONS_VERSION, KUBE_CRI_API_AUTO, 0, 0, 0 }

/* Fills opts with the defaults of `version` (for bindings).  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_cri_options_init(kube_cri_options *opts, unsigned int version);

/*
 * A client of the runtime at `endpoint`: "unix:///run/containerd/containerd.sock",
 * "unix:/path" or a plain absolute path.  Connects on the first call.
 * loop NULL: the client makes a private loop of its own, which only the
 * _sync calls run (then do not use _async calls).  opts may be NULL.
 * Loop thread only.  0, KUBE_EINVAL, KUBE_ENOMEM, KUBE_EIO.
 */
KUBE_EXTERN int kube_cri_client_new(kube_cri_client **out, kube_loop *loop,
                                    const char *endpoint, const kube_cri_options *opts);

/* Ends every call still open (their callbacks run with KUBE_ECANCELED before
 * this returns) and frees the client.  Not from inside one of its callbacks.
 * NULL is a no-op. */
KUBE_EXTERN void kube_cri_client_free(kube_cri_client *client);

/* The API the client speaks now: KUBE_CRI_API_V1 or _V1ALPHA2 once a call
 * succeeded (or as pinned), KUBE_CRI_API_AUTO before that, or KUBE_EINVAL. */
KUBE_EXTERN int kube_cri_client_api(const kube_cri_client *client);

/* The loop the client runs on (borrowed). */
KUBE_EXTERN kube_loop *kube_cri_client_loop(const kube_cri_client *client);

/* ---- callbacks ---- */

/* Calls without a result. */
typedef void (*kube_cri_done_cb)(int status, void *userdata);
/* Calls whose result is one string (an id, an image ref); kube_free it. */
typedef void (*kube_cri_string_cb)(int status, char *value, void *userdata);
typedef void (*kube_cri_version_cb)(int status, kube_cri_version *result, void *userdata);
typedef void (*kube_cri_runtime_status_cb)(int status, kube_cri_runtime_status *result,
                                           void *userdata);
typedef void (*kube_cri_sandbox_status_cb)(int status, kube_cri_sandbox_status *result,
                                           void *userdata);
typedef void (*kube_cri_sandbox_list_cb)(int status, kube_cri_sandbox_list *result,
                                         void *userdata);
typedef void (*kube_cri_container_list_cb)(int status, kube_cri_container_list *result,
                                           void *userdata);
typedef void (*kube_cri_container_status_cb)(int status, kube_cri_container_status *result,
                                             void *userdata);
typedef void (*kube_cri_exec_result_cb)(int status, kube_cri_exec_result *result,
                                        void *userdata);
typedef void (*kube_cri_container_stats_list_cb)(int status,
                                                 kube_cri_container_stats_list *result,
                                                 void *userdata);
typedef void (*kube_cri_image_list_cb)(int status, kube_cri_image_list *result, void *userdata);
typedef void (*kube_cri_image_status_cb)(int status, kube_cri_image_status *result,
                                         void *userdata);
typedef void (*kube_cri_fs_info_cb)(int status, kube_cri_fs_info *result, void *userdata);

/* ---- RuntimeService ---- */

/* Version: the runtime's name and versions. */
KUBE_EXTERN int kube_cri_version_async(kube_cri_client *client, kube_cri_version_cb cb,
                                       void *userdata);
KUBE_EXTERN int kube_cri_version_sync(kube_cri_version **out, kube_cri_client *client);

/* Status: the runtime's conditions (RuntimeReady, NetworkReady); verbose adds info. */
KUBE_EXTERN int kube_cri_status_async(kube_cri_client *client, int verbose,
                                      kube_cri_runtime_status_cb cb, void *userdata);
KUBE_EXTERN int kube_cri_status_sync(kube_cri_runtime_status **out, kube_cri_client *client,
                                     int verbose);

/* RunPodSandbox: the result is the sandbox id.  runtime_handler may be NULL.
 * config->struct_size must be set. */
KUBE_EXTERN int kube_cri_run_pod_sandbox_async(kube_cri_client *client,
                                               const kube_cri_sandbox_config *config,
                                               const char *runtime_handler,
                                               kube_cri_string_cb cb, void *userdata);
KUBE_EXTERN int kube_cri_run_pod_sandbox_sync(char **out_id, kube_cri_client *client,
                                              const kube_cri_sandbox_config *config,
                                              const char *runtime_handler);

/* StopPodSandbox (idempotent at the runtime). */
KUBE_EXTERN int kube_cri_stop_pod_sandbox_async(kube_cri_client *client, const char *sandbox_id,
                                                kube_cri_done_cb cb, void *userdata);
KUBE_EXTERN int kube_cri_stop_pod_sandbox_sync(kube_cri_client *client, const char *sandbox_id);

/* RemovePodSandbox (idempotent at the runtime). */
KUBE_EXTERN int kube_cri_remove_pod_sandbox_async(kube_cri_client *client,
                                                  const char *sandbox_id,
                                                  kube_cri_done_cb cb, void *userdata);
KUBE_EXTERN int kube_cri_remove_pod_sandbox_sync(kube_cri_client *client,
                                                 const char *sandbox_id);

/* PodSandboxStatus: KUBE_ENOTFOUND for an unknown id. */
KUBE_EXTERN int kube_cri_pod_sandbox_status_async(kube_cri_client *client,
                                                  const char *sandbox_id, int verbose,
                                                  kube_cri_sandbox_status_cb cb,
                                                  void *userdata);
KUBE_EXTERN int kube_cri_pod_sandbox_status_sync(kube_cri_sandbox_status **out,
                                                 kube_cri_client *client,
                                                 const char *sandbox_id, int verbose);

/* ListPodSandbox: filter may be NULL (every sandbox). */
KUBE_EXTERN int kube_cri_list_pod_sandbox_async(kube_cri_client *client,
                                                const kube_cri_sandbox_filter *filter,
                                                kube_cri_sandbox_list_cb cb, void *userdata);
KUBE_EXTERN int kube_cri_list_pod_sandbox_sync(kube_cri_sandbox_list **out,
                                               kube_cri_client *client,
                                               const kube_cri_sandbox_filter *filter);

/* CreateContainer in a sandbox: the result is the container id.
 * sandbox_config is the config the sandbox was run with. */
KUBE_EXTERN int kube_cri_create_container_async(kube_cri_client *client, const char *sandbox_id,
                                                const kube_cri_container_config *config,
                                                const kube_cri_sandbox_config *sandbox_config,
                                                kube_cri_string_cb cb, void *userdata);
KUBE_EXTERN int kube_cri_create_container_sync(char **out_id, kube_cri_client *client,
                                               const char *sandbox_id,
                                               const kube_cri_container_config *config,
                                               const kube_cri_sandbox_config *sandbox_config);

/* StartContainer */
KUBE_EXTERN int kube_cri_start_container_async(kube_cri_client *client, const char *container_id,
                                               kube_cri_done_cb cb, void *userdata);
KUBE_EXTERN int kube_cri_start_container_sync(kube_cri_client *client, const char *container_id);

/* StopContainer: SIGKILL after timeout_s seconds.  The call's deadline is
 * timeout_s plus the client's timeout. */
KUBE_EXTERN int kube_cri_stop_container_async(kube_cri_client *client, const char *container_id,
                                              int64_t timeout_s, kube_cri_done_cb cb,
                                              void *userdata);
KUBE_EXTERN int kube_cri_stop_container_sync(kube_cri_client *client, const char *container_id,
                                             int64_t timeout_s);

/* RemoveContainer */
KUBE_EXTERN int kube_cri_remove_container_async(kube_cri_client *client,
                                                const char *container_id,
                                                kube_cri_done_cb cb, void *userdata);
KUBE_EXTERN int kube_cri_remove_container_sync(kube_cri_client *client,
                                               const char *container_id);

/* ListContainers: filter may be NULL. */
KUBE_EXTERN int kube_cri_list_containers_async(kube_cri_client *client,
                                               const kube_cri_container_filter *filter,
                                               kube_cri_container_list_cb cb, void *userdata);
KUBE_EXTERN int kube_cri_list_containers_sync(kube_cri_container_list **out,
                                              kube_cri_client *client,
                                              const kube_cri_container_filter *filter);

/* ContainerStatus: KUBE_ENOTFOUND for an unknown id. */
KUBE_EXTERN int kube_cri_container_status_async(kube_cri_client *client,
                                                const char *container_id, int verbose,
                                                kube_cri_container_status_cb cb,
                                                void *userdata);
KUBE_EXTERN int kube_cri_container_status_sync(kube_cri_container_status **out,
                                               kube_cri_client *client,
                                               const char *container_id, int verbose);

/* UpdateContainerResources: resources->struct_size must be set. */
KUBE_EXTERN int kube_cri_update_container_resources_async(
	kube_cri_client *client, const char *container_id,
	const kube_cri_linux_resources *resources, kube_cri_done_cb cb, void *userdata);
KUBE_EXTERN int kube_cri_update_container_resources_sync(
	kube_cri_client *client, const char *container_id,
	const kube_cri_linux_resources *resources);

/* ReopenContainerLog */
KUBE_EXTERN int kube_cri_reopen_container_log_async(kube_cri_client *client,
                                                    const char *container_id,
                                                    kube_cri_done_cb cb, void *userdata);
KUBE_EXTERN int kube_cri_reopen_container_log_sync(kube_cri_client *client,
                                                   const char *container_id);

/*
 * ExecSync: runs cmd[0..n_cmd) in the container and waits.  timeout_s 0:
 * no limit at the runtime; the call's deadline is timeout_s plus the
 * client's timeout.  A command that ran and failed is a success whose
 * result has a non-zero exit_code.  n_cmd must be > 0.
 */
KUBE_EXTERN int kube_cri_exec_sync_async(kube_cri_client *client, const char *container_id,
                                         const char *const *cmd, size_t n_cmd,
                                         int64_t timeout_s, kube_cri_exec_result_cb cb,
                                         void *userdata);
KUBE_EXTERN int kube_cri_exec_sync_sync(kube_cri_exec_result **out, kube_cri_client *client,
                                        const char *container_id, const char *const *cmd,
                                        size_t n_cmd, int64_t timeout_s);

/* ContainerStats: a list of one. */
KUBE_EXTERN int kube_cri_container_stats_async(kube_cri_client *client,
                                               const char *container_id,
                                               kube_cri_container_stats_list_cb cb,
                                               void *userdata);
KUBE_EXTERN int kube_cri_container_stats_sync(kube_cri_container_stats_list **out,
                                              kube_cri_client *client,
                                              const char *container_id);

/* ListContainerStats: filter may be NULL. */
KUBE_EXTERN int kube_cri_list_container_stats_async(
	kube_cri_client *client, const kube_cri_container_stats_filter *filter,
	kube_cri_container_stats_list_cb cb, void *userdata);
KUBE_EXTERN int kube_cri_list_container_stats_sync(
	kube_cri_container_stats_list **out, kube_cri_client *client,
	const kube_cri_container_stats_filter *filter);

/* ---- ImageService ---- */

/* ListImages: filter_image NULL or "": every image. */
KUBE_EXTERN int kube_cri_list_images_async(kube_cri_client *client, const char *filter_image,
                                           kube_cri_image_list_cb cb, void *userdata);
KUBE_EXTERN int kube_cri_list_images_sync(kube_cri_image_list **out, kube_cri_client *client,
                                          const char *filter_image);

/* ImageStatus: KUBE_ENOTFOUND when the runtime does not have the image
 * (it answers with no image). */
KUBE_EXTERN int kube_cri_image_status_async(kube_cri_client *client, const char *image,
                                            int verbose, kube_cri_image_status_cb cb,
                                            void *userdata);
KUBE_EXTERN int kube_cri_image_status_sync(kube_cri_image_status **out,
                                           kube_cri_client *client, const char *image,
                                           int verbose);

/* PullImage: the result is the image ref (an id or digest).  auth and
 * sandbox_config may be NULL.  Deadline: options' pull_timeout_ms. */
KUBE_EXTERN int kube_cri_pull_image_async(kube_cri_client *client, const char *image,
                                          const kube_cri_auth_config *auth,
                                          const kube_cri_sandbox_config *sandbox_config,
                                          kube_cri_string_cb cb, void *userdata);
KUBE_EXTERN int kube_cri_pull_image_sync(char **out_ref, kube_cri_client *client,
                                         const char *image, const kube_cri_auth_config *auth,
                                         const kube_cri_sandbox_config *sandbox_config);

/* RemoveImage (idempotent at the runtime). */
KUBE_EXTERN int kube_cri_remove_image_async(kube_cri_client *client, const char *image,
                                            kube_cri_done_cb cb, void *userdata);
KUBE_EXTERN int kube_cri_remove_image_sync(kube_cri_client *client, const char *image);

/* ImageFsInfo */
KUBE_EXTERN int kube_cri_image_fs_info_async(kube_cri_client *client, kube_cri_fs_info_cb cb,
                                             void *userdata);
KUBE_EXTERN int kube_cri_image_fs_info_sync(kube_cri_fs_info **out, kube_cri_client *client);

/* ---- releasing results ----
 *
 * _clear frees what the struct points to and zeroes it, keeping
 * struct_size (for structs the caller owns, as the runtime plugin host
 * does); _free clears and frees the struct itself.  NULL is a no-op. */

KUBE_EXTERN void kube_cri_version_clear(kube_cri_version *v);
KUBE_EXTERN void kube_cri_version_free(kube_cri_version *v);
KUBE_EXTERN void kube_cri_runtime_status_clear(kube_cri_runtime_status *s);
KUBE_EXTERN void kube_cri_runtime_status_free(kube_cri_runtime_status *s);
KUBE_EXTERN void kube_cri_sandbox_status_clear(kube_cri_sandbox_status *s);
KUBE_EXTERN void kube_cri_sandbox_status_free(kube_cri_sandbox_status *s);
KUBE_EXTERN void kube_cri_sandbox_list_clear(kube_cri_sandbox_list *l);
KUBE_EXTERN void kube_cri_sandbox_list_free(kube_cri_sandbox_list *l);
KUBE_EXTERN void kube_cri_container_list_clear(kube_cri_container_list *l);
KUBE_EXTERN void kube_cri_container_list_free(kube_cri_container_list *l);
KUBE_EXTERN void kube_cri_container_status_clear(kube_cri_container_status *s);
KUBE_EXTERN void kube_cri_container_status_free(kube_cri_container_status *s);
KUBE_EXTERN void kube_cri_exec_result_clear(kube_cri_exec_result *r);
KUBE_EXTERN void kube_cri_exec_result_free(kube_cri_exec_result *r);
KUBE_EXTERN void kube_cri_container_stats_list_clear(kube_cri_container_stats_list *l);
KUBE_EXTERN void kube_cri_container_stats_list_free(kube_cri_container_stats_list *l);
KUBE_EXTERN void kube_cri_image_list_clear(kube_cri_image_list *l);
KUBE_EXTERN void kube_cri_image_list_free(kube_cri_image_list *l);
KUBE_EXTERN void kube_cri_image_status_clear(kube_cri_image_status *s);
KUBE_EXTERN void kube_cri_image_status_free(kube_cri_image_status *s);
KUBE_EXTERN void kube_cri_fs_info_clear(kube_cri_fs_info *f);
KUBE_EXTERN void kube_cri_fs_info_free(kube_cri_fs_info *f);

KUBE_END_DECLS

#endif /* LIBKUBE_CRI_H */
