/*
 * cri_internal.h - what the CRI client's files share (never installed).
 *
 * convert.c turns the public structs into protobuf-c requests and packed
 * responses back into public structs; client.c runs the calls.  The table
 * of calls is here because both sides and the fuzz target walk it.
 */
#ifndef KUBE_CRI_INTERNAL_H
#define KUBE_CRI_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "grpc/grpc.h"
#include "libkube/cri.h"

/* Every call, in the order of the table in convert.c. */
enum kube__cri_call {
	KUBE__CRI_VERSION,
	KUBE__CRI_STATUS,
	KUBE__CRI_RUN_POD_SANDBOX,
	KUBE__CRI_STOP_POD_SANDBOX,
	KUBE__CRI_REMOVE_POD_SANDBOX,
	KUBE__CRI_POD_SANDBOX_STATUS,
	KUBE__CRI_LIST_POD_SANDBOX,
	KUBE__CRI_CREATE_CONTAINER,
	KUBE__CRI_START_CONTAINER,
	KUBE__CRI_STOP_CONTAINER,
	KUBE__CRI_REMOVE_CONTAINER,
	KUBE__CRI_LIST_CONTAINERS,
	KUBE__CRI_CONTAINER_STATUS,
	KUBE__CRI_UPDATE_CONTAINER_RESOURCES,
	KUBE__CRI_REOPEN_CONTAINER_LOG,
	KUBE__CRI_EXEC_SYNC,
	KUBE__CRI_CONTAINER_STATS,
	KUBE__CRI_LIST_CONTAINER_STATS,
	KUBE__CRI_LIST_IMAGES,
	KUBE__CRI_IMAGE_STATUS,
	KUBE__CRI_PULL_IMAGE,
	KUBE__CRI_REMOVE_IMAGE,
	KUBE__CRI_IMAGE_FS_INFO,
	KUBE__CRI_NCALLS
};

/* What a call's result is, which picks its callback type. */
enum kube__cri_result {
	KUBE__CRI_R_DONE,
	KUBE__CRI_R_STRING,
	KUBE__CRI_R_VERSION,
	KUBE__CRI_R_RUNTIME_STATUS,
	KUBE__CRI_R_SANDBOX_STATUS,
	KUBE__CRI_R_SANDBOX_LIST,
	KUBE__CRI_R_CONTAINER_LIST,
	KUBE__CRI_R_CONTAINER_STATUS,
	KUBE__CRI_R_EXEC,
	KUBE__CRI_R_STATS_LIST,
	KUBE__CRI_R_IMAGE_LIST,
	KUBE__CRI_R_IMAGE_STATUS,
	KUBE__CRI_R_FS_INFO,
};

typedef struct kube__cri_call_info {
	const char *name;       /* "ContainerStatus": the method, and the prefix of errors */
	int image_service;      /* 1: ImageService, 0: RuntimeService */
	int result;             /* enum kube__cri_result */
} kube__cri_call_info;

KUBE_INTERNAL const kube__cri_call_info *kube__cri_call(int call);

/*
 * Decodes a packed response of `call` into its public result (*out; NULL
 * for KUBE__CRI_R_DONE), allocated with kube_malloc.  0, or KUBE_EIO (the
 * bytes are not that message; "<Call>: malformed response"), KUBE_ENOTFOUND
 * (ImageStatus without an image; `subject` names it), KUBE_ENOMEM.
 * This is the parser of peer data that fuzz_cri drives.
 */
KUBE_INTERNAL int kube__cri_decode(int call, const uint8_t *data, size_t len,
                                   const char *subject, void **out);

/* Frees a result of `call` as kube__cri_decode made it. */
KUBE_INTERNAL void kube__cri_result_free(int call, void *result);

/* ---- requests (convert.c): each packs a request into *out (kube_free) ---- */

KUBE_INTERNAL int kube__cri_pack_version(uint8_t **out, size_t *len, const char *api_version);
KUBE_INTERNAL int kube__cri_pack_verbose(uint8_t **out, size_t *len, int verbose);
KUBE_INTERNAL int kube__cri_pack_id(uint8_t **out, size_t *len, const char *id);
KUBE_INTERNAL int kube__cri_pack_id_verbose(uint8_t **out, size_t *len, const char *id,
                                            int verbose);
KUBE_INTERNAL int kube__cri_pack_run_pod_sandbox(uint8_t **out, size_t *len,
                                                 const kube_cri_sandbox_config *config,
                                                 const char *runtime_handler);
KUBE_INTERNAL int kube__cri_pack_list_pod_sandbox(uint8_t **out, size_t *len,
                                                  const kube_cri_sandbox_filter *filter);
KUBE_INTERNAL int kube__cri_pack_create_container(uint8_t **out, size_t *len,
                                                  const char *sandbox_id,
                                                  const kube_cri_container_config *config,
                                                  const kube_cri_sandbox_config *sandbox_config);
KUBE_INTERNAL int kube__cri_pack_stop_container(uint8_t **out, size_t *len, const char *id,
                                                int64_t timeout_s);
KUBE_INTERNAL int kube__cri_pack_list_containers(uint8_t **out, size_t *len,
                                                 const kube_cri_container_filter *filter);
KUBE_INTERNAL int kube__cri_pack_update_resources(uint8_t **out, size_t *len, const char *id,
                                                  const kube_cri_linux_resources *res);
KUBE_INTERNAL int kube__cri_pack_exec_sync(uint8_t **out, size_t *len, const char *id,
                                           const char *const *cmd, size_t n_cmd,
                                           int64_t timeout_s);
KUBE_INTERNAL int kube__cri_pack_list_container_stats(uint8_t **out, size_t *len,
                                                      const kube_cri_container_stats_filter *f);
KUBE_INTERNAL int kube__cri_pack_list_images(uint8_t **out, size_t *len, const char *filter_image);
KUBE_INTERNAL int kube__cri_pack_image(uint8_t **out, size_t *len, const char *image);
KUBE_INTERNAL int kube__cri_pack_image_verbose(uint8_t **out, size_t *len, const char *image,
                                               int verbose);
KUBE_INTERNAL int kube__cri_pack_pull_image(uint8_t **out, size_t *len, const char *image,
                                            const kube_cri_auth_config *auth,
                                            const kube_cri_sandbox_config *sandbox_config);
KUBE_INTERNAL int kube__cri_pack_empty(uint8_t **out, size_t *len);

/* ---- the transport under the client (client.c) ----
 *
 * lib/grpc by default.  Tests put a stub here to answer calls from a table
 * without a runtime (the v1alpha2 fallback, malformed answers). */
typedef struct kube__cri_transport {
	int (*unary)(void *ctx, const char *method, const uint8_t *req, size_t len,
	             uint64_t timeout_ms, kube__grpc_unary_cb cb, void *userdata);
	void (*free)(void *ctx);   /* may be NULL */
} kube__cri_transport;

/* Replaces the client's transport (before its first call); the client calls
 * t->free(ctx) when it is freed. */
KUBE_INTERNAL void kube__cri_client_set_transport(kube_cri_client *client,
                                                  const kube__cri_transport *t, void *ctx);

#endif /* KUBE_CRI_INTERNAL_H */
