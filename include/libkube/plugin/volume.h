/*
 * plugin/volume.h - the volume driver vtable: CSI's Identity, Controller and
 * Node services (container-storage-interface/spec csi.proto v1.12.0) as C
 * calls.
 *
 * The messages become plain structs with the same fields; maps become
 * kube_plugin_kv arrays.  Every request and result struct begins with
 * struct_size, which the caller sets: a plugin reads no member past it.
 * Results are zeroed by the host before the call; whatever the plugin puts in
 * them is allocated with host->malloc/strdup and freed by the host
 * (kube_volume_*_clear in libkube/plugin.h).
 *
 * Errors: each call returns 0 or a KUBE_E* code, the gRPC status of CSI
 * mapped as follows (kube_volume_from_grpc / kube_volume_to_grpc):
 *
 *   gRPC / CSI                KUBE_E*          gRPC / CSI              KUBE_E*
 *   0  OK                     KUBE_OK          9  FAILED_PRECONDITION  KUBE_ECONFLICT
 *   1  CANCELLED              KUBE_ECANCELED   10 ABORTED              KUBE_EBUSY
 *   2  UNKNOWN                KUBE_ERROR       11 OUT_OF_RANGE         KUBE_ERANGE
 *   3  INVALID_ARGUMENT       KUBE_EINVAL      12 UNIMPLEMENTED        KUBE_ENOTSUP
 *   4  DEADLINE_EXCEEDED      KUBE_ETIMEDOUT   13 INTERNAL             KUBE_EIO
 *   5  NOT_FOUND              KUBE_ENOTFOUND   14 UNAVAILABLE          KUBE_EUNAVAILABLE
 *   6  ALREADY_EXISTS         KUBE_EEXISTS     15 DATA_LOSS            KUBE_EDATALOSS
 *   7  PERMISSION_DENIED      KUBE_EPERM       16 UNAUTHENTICATED      KUBE_EUNAUTHENTICATED
 *   8  RESOURCE_EXHAUSTED     KUBE_ENOSPC
 *
 * The map is one to one, so a CSI status survives a round trip through a
 * plugin; KUBE_ENOMEM goes out as RESOURCE_EXHAUSTED and any other code
 * as UNKNOWN.  See doc/plugin-abi.md.
 */
#ifndef LIBKUBE_PLUGIN_VOLUME_H
#define LIBKUBE_PLUGIN_VOLUME_H

#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- gRPC status <-> KUBE_E* ---- */

static inline int kube_volume_from_grpc(int grpc_code)
{
	static const int map[17] = {
		KUBE_OK, KUBE_ECANCELED, KUBE_ERROR, KUBE_EINVAL, KUBE_ETIMEDOUT,
		KUBE_ENOTFOUND, KUBE_EEXISTS, KUBE_EPERM, KUBE_ENOSPC, KUBE_ECONFLICT,
		KUBE_EBUSY, KUBE_ERANGE, KUBE_ENOTSUP, KUBE_EIO, KUBE_EUNAVAILABLE,
		KUBE_EDATALOSS, KUBE_EUNAUTHENTICATED,
	};
	return grpc_code >= 0 && grpc_code < 17 ? map[grpc_code] : KUBE_ERROR;
}

static inline int kube_volume_to_grpc(int code)
{
	for (int i = 0; i < 17; i++)
		if (kube_volume_from_grpc(i) == code)
			return i;
	return code == KUBE_ENOMEM ? 8 : 2;   /* RESOURCE_EXHAUSTED, else UNKNOWN */
}

/* ---- capabilities (CSI enum numbers; sets are bitmasks of 1 << value) ---- */

enum {  /* PluginCapability.Service.Type */
	KUBE_VOLUME_PLUGIN_CONTROLLER_SERVICE = 1,
	KUBE_VOLUME_PLUGIN_VOLUME_ACCESSIBILITY_CONSTRAINTS = 2,
	KUBE_VOLUME_PLUGIN_GROUP_CONTROLLER_SERVICE = 3,
	KUBE_VOLUME_PLUGIN_SNAPSHOT_METADATA_SERVICE = 4
};

enum {  /* PluginCapability.VolumeExpansion.Type */
	KUBE_VOLUME_EXPANSION_UNKNOWN = 0,
	KUBE_VOLUME_EXPANSION_ONLINE = 1,
	KUBE_VOLUME_EXPANSION_OFFLINE = 2
};

enum {  /* ControllerServiceCapability.RPC.Type */
	KUBE_VOLUME_CTRL_CREATE_DELETE_VOLUME = 1,
	KUBE_VOLUME_CTRL_PUBLISH_UNPUBLISH_VOLUME = 2,
	KUBE_VOLUME_CTRL_LIST_VOLUMES = 3,
	KUBE_VOLUME_CTRL_GET_CAPACITY = 4,
	KUBE_VOLUME_CTRL_CREATE_DELETE_SNAPSHOT = 5,
	KUBE_VOLUME_CTRL_LIST_SNAPSHOTS = 6,
	KUBE_VOLUME_CTRL_CLONE_VOLUME = 7,
	KUBE_VOLUME_CTRL_PUBLISH_READONLY = 8,
	KUBE_VOLUME_CTRL_EXPAND_VOLUME = 9,
	KUBE_VOLUME_CTRL_LIST_VOLUMES_PUBLISHED_NODES = 10,
	KUBE_VOLUME_CTRL_VOLUME_CONDITION = 11,
	KUBE_VOLUME_CTRL_GET_VOLUME = 12,
	KUBE_VOLUME_CTRL_SINGLE_NODE_MULTI_WRITER = 13,
	KUBE_VOLUME_CTRL_MODIFY_VOLUME = 14,
	KUBE_VOLUME_CTRL_GET_SNAPSHOT = 15
};

enum {  /* NodeServiceCapability.RPC.Type */
	KUBE_VOLUME_NODE_STAGE_UNSTAGE_VOLUME = 1,
	KUBE_VOLUME_NODE_GET_VOLUME_STATS = 2,
	KUBE_VOLUME_NODE_EXPAND_VOLUME = 3,
	KUBE_VOLUME_NODE_VOLUME_CONDITION = 4,
	KUBE_VOLUME_NODE_SINGLE_NODE_MULTI_WRITER = 5,
	KUBE_VOLUME_NODE_VOLUME_MOUNT_GROUP = 6
};

#define KUBE_VOLUME_CAP(x) ((uint64_t)1 << (x))

enum {  /* VolumeCapability.access_type */
	KUBE_VOLUME_ACCESS_MOUNT = 0,
	KUBE_VOLUME_ACCESS_BLOCK = 1
};

enum {  /* VolumeCapability.AccessMode.Mode */
	KUBE_VOLUME_MODE_UNKNOWN = 0,
	KUBE_VOLUME_MODE_SINGLE_NODE_WRITER = 1,
	KUBE_VOLUME_MODE_SINGLE_NODE_READER_ONLY = 2,
	KUBE_VOLUME_MODE_MULTI_NODE_READER_ONLY = 3,
	KUBE_VOLUME_MODE_MULTI_NODE_SINGLE_WRITER = 4,
	KUBE_VOLUME_MODE_MULTI_NODE_MULTI_WRITER = 5,
	KUBE_VOLUME_MODE_SINGLE_NODE_SINGLE_WRITER = 6,
	KUBE_VOLUME_MODE_SINGLE_NODE_MULTI_WRITER = 7
};

/* ---- messages ---- */

typedef struct kube_volume_capability {
	uint32_t access_type;             /* KUBE_VOLUME_ACCESS_* */
	uint32_t access_mode;             /* KUBE_VOLUME_MODE_* */
	const char *fs_type;              /* mount only; NULL = driver default */
	const char *const *mount_flags;   /* mount only */
	size_t n_mount_flags;
	const char *volume_mount_group;   /* mount only */
} kube_volume_capability;

typedef struct kube_volume_create_request {
	uint32_t struct_size;
	const char *name;                 /* the idempotency key chosen by the CO */
	int64_t required_bytes;           /* capacity_range; 0 = unset */
	int64_t limit_bytes;              /* capacity_range; 0 = unset */
	const kube_volume_capability *capabilities;
	size_t n_capabilities;
	const kube_plugin_kv *parameters;
	size_t n_parameters;
	const kube_plugin_kv *secrets;
	size_t n_secrets;
	const char *source_snapshot_id;   /* volume_content_source, at most one set */
	const char *source_volume_id;
} kube_volume_create_request;

typedef struct kube_volume_info {     /* csi.Volume */
	uint32_t struct_size;
	int64_t capacity_bytes;           /* 0 = unknown */
	char *volume_id;
	kube_plugin_kv_owned *context;    /* volume_context */
	size_t n_context;
	char *source_snapshot_id;
	char *source_volume_id;
} kube_volume_info;

typedef struct kube_volume_publish_request {   /* ControllerPublishVolume */
	uint32_t struct_size;
	const char *volume_id;
	const char *node_id;
	const kube_volume_capability *capability;
	int readonly;
	const kube_plugin_kv *secrets;
	size_t n_secrets;
	const kube_plugin_kv *volume_context;
	size_t n_volume_context;
} kube_volume_publish_request;

typedef struct kube_volume_node_request {     /* NodeStageVolume and NodePublishVolume */
	uint32_t struct_size;
	const char *volume_id;
	const kube_plugin_kv *publish_context;
	size_t n_publish_context;
	const char *staging_target_path;
	const char *target_path;          /* NodePublish only */
	const kube_volume_capability *capability;
	int readonly;                     /* NodePublish only */
	const kube_plugin_kv *secrets;
	size_t n_secrets;
	const kube_plugin_kv *volume_context;
	size_t n_volume_context;
} kube_volume_node_request;

typedef struct kube_volume_plugin_info {
	uint32_t struct_size;
	char *name;
	char *vendor_version;
	kube_plugin_kv_owned *manifest;
	size_t n_manifest;
} kube_volume_plugin_info;

typedef struct kube_volume_plugin_caps {
	uint32_t struct_size;
	uint64_t services;                /* KUBE_VOLUME_CAP(KUBE_VOLUME_PLUGIN_*) */
	uint32_t volume_expansion;        /* KUBE_VOLUME_EXPANSION_* */
} kube_volume_plugin_caps;

typedef struct kube_volume_snapshot {
	uint32_t struct_size;
	int64_t size_bytes;
	char *snapshot_id;
	char *source_volume_id;
	int64_t creation_time_s;          /* seconds since the epoch */
	int ready_to_use;
} kube_volume_snapshot;

typedef struct kube_volume_stats {    /* NodeGetVolumeStats: VolumeUsage for BYTES and INODES */
	uint32_t struct_size;
	int64_t bytes_available, bytes_total, bytes_used;
	int64_t inodes_available, inodes_total, inodes_used;
	int abnormal;                     /* VolumeCondition */
	char *condition_message;
} kube_volume_stats;

typedef struct kube_volume_node_info {
	uint32_t struct_size;
	char *node_id;
	int64_t max_volumes_per_node;     /* 0 = no limit */
	kube_plugin_kv_owned *topology;   /* accessible_topology.segments */
	size_t n_topology;
} kube_volume_node_info;

/*
 * The vtable.  REQUIRED methods must be non-NULL or the host refuses the
 * plugin; a NULL optional method makes the host answer KUBE_ENOTSUP.
 * `self` is what open() returned.  Calls on one instance may come from
 * several threads; CSI lets a plugin answer KUBE_EBUSY (ABORTED) when an
 * operation on the same volume is in flight.
 */
typedef struct kube_volume_driver {
	uint32_t abi_version;             /* KUBE_PLUGIN_ABI_VERSION */
	uint32_t struct_size;             /* sizeof(kube_volume_driver) */

	/* REQUIRED 1.0: an instance; config is plugin-defined bytes (may be NULL). */
	int (*open)(void **out_self, const char *config, size_t config_len,
	            kube_host_loop *loop);
	/* REQUIRED 1.0 */
	void (*close)(void *self);

	/* -- Identity -- */
	int (*get_plugin_info)(void *self, kube_volume_plugin_info *out);        /* REQUIRED 1.0 */
	int (*get_plugin_capabilities)(void *self, kube_volume_plugin_caps *out);/* REQUIRED 1.0 */
	int (*probe)(void *self, int *ready);                                    /* REQUIRED 1.0 */

	/* -- Controller -- */
	int (*controller_get_capabilities)(void *self, uint64_t *rpcs);          /* 1.0 */
	int (*create_volume)(void *self, const kube_volume_create_request *req,
	                     kube_volume_info *out);                             /* 1.0 */
	int (*delete_volume)(void *self, const char *volume_id,
	                     const kube_plugin_kv *secrets, size_t n_secrets);   /* 1.0 */
	int (*controller_publish_volume)(void *self, const kube_volume_publish_request *req,
	                                 kube_plugin_kv_owned **publish_context,
	                                 size_t *n_publish_context);             /* 1.0 */
	int (*controller_unpublish_volume)(void *self, const char *volume_id,
	                                   const char *node_id);                 /* 1.0 */
	/* *confirmed = 1 if every capability (and parameter) is supported. */
	int (*validate_volume_capabilities)(void *self, const char *volume_id,
	                                    const kube_volume_capability *caps, size_t n_caps,
	                                    const kube_plugin_kv *parameters, size_t n_parameters,
	                                    int *confirmed);                     /* 1.0 */
	/* Paged: starting_token NULL/"" = first page; *next_token NULL = last page. */
	int (*list_volumes)(void *self, uint32_t max_entries, const char *starting_token,
	                    kube_volume_info **entries, size_t *n_entries,
	                    char **next_token);                                  /* 1.0 */
	int (*get_capacity)(void *self, const kube_volume_capability *caps, size_t n_caps,
	                    const kube_plugin_kv *parameters, size_t n_parameters,
	                    int64_t *available_bytes);                           /* 1.0 */
	int (*create_snapshot)(void *self, const char *source_volume_id, const char *name,
	                       const kube_plugin_kv *parameters, size_t n_parameters,
	                       kube_volume_snapshot *out);                       /* 1.0 */
	int (*delete_snapshot)(void *self, const char *snapshot_id);             /* 1.0 */
	int (*list_snapshots)(void *self, const char *snapshot_id, const char *source_volume_id,
	                      uint32_t max_entries, const char *starting_token,
	                      kube_volume_snapshot **entries, size_t *n_entries,
	                      char **next_token);                                /* 1.0 */
	int (*controller_expand_volume)(void *self, const char *volume_id,
	                                int64_t required_bytes, int64_t limit_bytes,
	                                int64_t *capacity_bytes,
	                                int *node_expansion_required);           /* 1.0 */
	int (*controller_get_volume)(void *self, const char *volume_id,
	                             kube_volume_info *out);                     /* 1.0 */

	/* -- Node -- */
	int (*node_get_capabilities)(void *self, uint64_t *rpcs);                /* REQUIRED 1.0 */
	int (*node_get_info)(void *self, kube_volume_node_info *out);            /* REQUIRED 1.0 */
	int (*node_stage_volume)(void *self, const kube_volume_node_request *req);        /* 1.0 */
	int (*node_unstage_volume)(void *self, const char *volume_id,
	                           const char *staging_target_path);             /* 1.0 */
	int (*node_publish_volume)(void *self, const kube_volume_node_request *req);      /* REQUIRED 1.0 */
	int (*node_unpublish_volume)(void *self, const char *volume_id,
	                             const char *target_path);                   /* REQUIRED 1.0 */
	int (*node_get_volume_stats)(void *self, const char *volume_id, const char *volume_path,
	                             kube_volume_stats *out);                    /* 1.0 */
	int (*node_expand_volume)(void *self, const char *volume_id, const char *volume_path,
	                          int64_t required_bytes, int64_t limit_bytes,
	                          int64_t *capacity_bytes);                      /* 1.0 */
} kube_volume_driver;

/* The size a 1.0 plugin's vtable must have. */
#define KUBE_VOLUME_DRIVER_SIZE_1_0 KUBE_PLUGIN_SIZE_UPTO(kube_volume_driver, node_expand_volume)

#ifdef __cplusplus
}
#endif

#endif /* LIBKUBE_PLUGIN_VOLUME_H */
