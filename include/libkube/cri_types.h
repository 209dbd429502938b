/*
 * cri_types.h - the Container Runtime Interface's messages as plain C structs.
 *
 * These are the data of CRI runtime.v1 (k8s.io/cri-api api.proto), the part
 * that libkube's CRI client (cri.h) and the runtime plugin vtable
 * (plugin/runtime.h) exchange.  The header needs nothing but <stdint.h> and
 * <stddef.h>, so a plugin uses the same structs without linking libkube.
 *
 * Conventions, the same in every struct:
 *   - strings are NUL-terminated UTF-8, char * (NULL reads as "");
 *   - a repeated field is a pointer and a count: `char **args; size_t n_args;`
 *   - a map<string,string> is an array of kube_cri_kv, in the peer's order;
 *   - enums are int32_t holding the KUBE_CRI_* constants below, which are
 *     upstream's numbers;
 *   - bools are int32_t, 0 or 1;
 *   - upstream's wrapper messages (Int64Value, UInt64Value), whose absence
 *     means something, are kube_cri_int64 / kube_cri_uint64 with `set`.
 *
 * Ownership.  Results (what comes back from a call) are allocated by libkube
 * (or, across the plugin ABI, with the host's allocator) and belong to the
 * caller, who releases each with its kube_cri_*_free() (cri.h,
 * plugin.h), which frees every string and array it points to.  Requests
 * (configs, filters) belong to the caller and are only read.
 *
 * Compatibility (append only).  A struct that is passed alone by pointer (a
 * request, a result) begins with struct_size: the party that fills it sets
 * sizeof as it knows it, and a reader uses no member past struct_size, so
 * such structs may grow at their end.  Structs that are elements of arrays
 * (kube_cri_kv, kube_cri_mount, kube_cri_container, ...) have no size and
 * never change; later data goes into new members of the structs around
 * them.  New types are added at the end of this file.
 */
#ifndef LIBKUBE_CRI_TYPES_H
#define LIBKUBE_CRI_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- enums (upstream's numbers) ---- */

/* NamespaceMode */
#define KUBE_CRI_NAMESPACE_POD        0
#define KUBE_CRI_NAMESPACE_CONTAINER  1
#define KUBE_CRI_NAMESPACE_NODE       2
#define KUBE_CRI_NAMESPACE_TARGET     3

/* Protocol */
#define KUBE_CRI_PROTOCOL_TCP   0
#define KUBE_CRI_PROTOCOL_UDP   1
#define KUBE_CRI_PROTOCOL_SCTP  2

/* MountPropagation */
#define KUBE_CRI_PROPAGATION_PRIVATE            0
#define KUBE_CRI_PROPAGATION_HOST_TO_CONTAINER  1
#define KUBE_CRI_PROPAGATION_BIDIRECTIONAL      2

/* PodSandboxState */
#define KUBE_CRI_SANDBOX_READY     0
#define KUBE_CRI_SANDBOX_NOTREADY  1

/* ContainerState */
#define KUBE_CRI_CONTAINER_CREATED  0
#define KUBE_CRI_CONTAINER_RUNNING  1
#define KUBE_CRI_CONTAINER_EXITED   2
#define KUBE_CRI_CONTAINER_UNKNOWN  3

/* SecurityProfile.ProfileType */
#define KUBE_CRI_PROFILE_RUNTIME_DEFAULT  0
#define KUBE_CRI_PROFILE_UNCONFINED       1
#define KUBE_CRI_PROFILE_LOCALHOST        2

/* ---- small pieces (array elements: fixed forever) ---- */

typedef struct kube_cri_kv {
	char *key;
	char *value;
} kube_cri_kv;

/* Int64Value: set is 0 when the peer left the field out. */
typedef struct kube_cri_int64 {
	int64_t value;
	int32_t set;
	int32_t reserved_;
} kube_cri_int64;

/* UInt64Value. */
typedef struct kube_cri_uint64 {
	uint64_t value;
	int32_t set;
	int32_t reserved_;
} kube_cri_uint64;

/* PortMapping */
typedef struct kube_cri_port_mapping {
	int32_t protocol;          /* KUBE_CRI_PROTOCOL_* */
	int32_t container_port;
	int32_t host_port;
	char *host_ip;
} kube_cri_port_mapping;

/* Mount */
typedef struct kube_cri_mount {
	char *container_path;
	char *host_path;
	int32_t readonly;
	int32_t selinux_relabel;
	int32_t propagation;       /* KUBE_CRI_PROPAGATION_* */
} kube_cri_mount;

/* Device */
typedef struct kube_cri_device {
	char *container_path;
	char *host_path;
	char *permissions;
} kube_cri_device;

/* HugepageLimit */
typedef struct kube_cri_hugepage_limit {
	char *page_size;
	uint64_t limit;
} kube_cri_hugepage_limit;

/* NamespaceOption (without userns_options) */
typedef struct kube_cri_namespace_option {
	int32_t network;           /* KUBE_CRI_NAMESPACE_* */
	int32_t pid;
	int32_t ipc;
	char *target_id;
} kube_cri_namespace_option;

/* SecurityProfile */
typedef struct kube_cri_security_profile {
	int32_t profile_type;      /* KUBE_CRI_PROFILE_* */
	char *localhost_ref;
} kube_cri_security_profile;

/* PodSandboxMetadata */
typedef struct kube_cri_sandbox_metadata {
	char *name;
	char *uid;
	char *ns;                  /* "namespace" upstream */
	uint32_t attempt;
} kube_cri_sandbox_metadata;

/* ContainerMetadata */
typedef struct kube_cri_container_metadata {
	char *name;
	uint32_t attempt;
} kube_cri_container_metadata;

/* LinuxContainerResources.  Used by pointer (NULL: absent). */
typedef struct kube_cri_linux_resources {
	uint32_t struct_size;
	int64_t cpu_period;
	int64_t cpu_quota;
	int64_t cpu_shares;
	int64_t memory_limit_in_bytes;
	int64_t oom_score_adj;
	char *cpuset_cpus;
	char *cpuset_mems;
	kube_cri_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;
	kube_cri_kv *unified;
	size_t n_unified;
	int64_t memory_swap_limit_in_bytes;
} kube_cri_linux_resources;

/* DNSConfig */
typedef struct kube_cri_dns_config {
	char **servers;
	size_t n_servers;
	char **searches;
	size_t n_searches;
	char **options;
	size_t n_options;
} kube_cri_dns_config;

/* ---- requests ---- */

/*
 * PodSandboxConfig, with its linux part (LinuxPodSandboxConfig and its
 * LinuxSandboxSecurityContext) flattened into linux_* members.  A sandbox on
 * the host network sets linux_namespaces.network = KUBE_CRI_NAMESPACE_NODE
 * and leaves hostname NULL.
 */
typedef struct kube_cri_sandbox_config {
	uint32_t struct_size;
	kube_cri_sandbox_metadata metadata;
	char *hostname;
	char *log_directory;
	kube_cri_dns_config *dns_config;          /* NULL: none */
	kube_cri_port_mapping *port_mappings;
	size_t n_port_mappings;
	kube_cri_kv *labels;
	size_t n_labels;
	kube_cri_kv *annotations;
	size_t n_annotations;
	/* LinuxPodSandboxConfig */
	char *linux_cgroup_parent;
	kube_cri_kv *linux_sysctls;
	size_t n_linux_sysctls;
	kube_cri_linux_resources *linux_overhead;   /* NULL: none */
	kube_cri_linux_resources *linux_resources;  /* NULL: none */
	/* LinuxSandboxSecurityContext */
	kube_cri_namespace_option linux_namespaces;
	kube_cri_int64 linux_run_as_user;
	kube_cri_int64 linux_run_as_group;
	int32_t linux_readonly_rootfs;
	int32_t linux_privileged;
	int64_t *linux_supplemental_groups;
	size_t n_linux_supplemental_groups;
	kube_cri_security_profile *linux_seccomp;   /* NULL: none */
	kube_cri_security_profile *linux_apparmor;  /* NULL: none */
} kube_cri_sandbox_config;

/*
 * ContainerConfig, with LinuxContainerConfig and its
 * LinuxContainerSecurityContext flattened into linux_* members.
 */
typedef struct kube_cri_container_config {
	uint32_t struct_size;
	kube_cri_container_metadata metadata;
	char *image;                               /* ImageSpec.image */
	char **command;
	size_t n_command;
	char **args;
	size_t n_args;
	char *working_dir;
	kube_cri_kv *envs;                         /* KeyValue */
	size_t n_envs;
	kube_cri_mount *mounts;
	size_t n_mounts;
	kube_cri_device *devices;
	size_t n_devices;
	kube_cri_kv *labels;
	size_t n_labels;
	kube_cri_kv *annotations;
	size_t n_annotations;
	char *log_path;                            /* relative to the sandbox's log_directory */
	int32_t stdin_open;                        /* "stdin" upstream */
	int32_t stdin_once;
	int32_t tty;
	/* LinuxContainerConfig */
	kube_cri_linux_resources *linux_resources; /* NULL: none */
	/* LinuxContainerSecurityContext */
	char **linux_add_capabilities;
	size_t n_linux_add_capabilities;
	char **linux_drop_capabilities;
	size_t n_linux_drop_capabilities;
	int32_t linux_privileged;
	kube_cri_namespace_option linux_namespaces;
	kube_cri_int64 linux_run_as_user;
	kube_cri_int64 linux_run_as_group;
	char *linux_run_as_username;
	int32_t linux_readonly_rootfs;
	int32_t linux_no_new_privs;
	int64_t *linux_supplemental_groups;
	size_t n_linux_supplemental_groups;
	char **linux_masked_paths;
	size_t n_linux_masked_paths;
	char **linux_readonly_paths;
	size_t n_linux_readonly_paths;
	kube_cri_security_profile *linux_seccomp;  /* NULL: none */
	kube_cri_security_profile *linux_apparmor; /* NULL: none */
} kube_cri_container_config;

/* PodSandboxFilter.  has_state 0: any state. */
typedef struct kube_cri_sandbox_filter {
	uint32_t struct_size;
	char *id;
	int32_t has_state;
	int32_t state;                             /* KUBE_CRI_SANDBOX_* */
	kube_cri_kv *label_selector;
	size_t n_label_selector;
} kube_cri_sandbox_filter;

/* ContainerFilter */
typedef struct kube_cri_container_filter {
	uint32_t struct_size;
	char *id;
	int32_t has_state;
	int32_t state;                             /* KUBE_CRI_CONTAINER_* */
	char *pod_sandbox_id;
	kube_cri_kv *label_selector;
	size_t n_label_selector;
} kube_cri_container_filter;

/* ContainerStatsFilter */
typedef struct kube_cri_container_stats_filter {
	uint32_t struct_size;
	char *id;
	char *pod_sandbox_id;
	kube_cri_kv *label_selector;
	size_t n_label_selector;
} kube_cri_container_stats_filter;

/* AuthConfig */
typedef struct kube_cri_auth_config {
	uint32_t struct_size;
	char *username;
	char *password;
	char *auth;
	char *server_address;
	char *identity_token;
	char *registry_token;
} kube_cri_auth_config;

/* ---- results ---- */

/* VersionResponse */
typedef struct kube_cri_version {
	uint32_t struct_size;
	char *version;
	char *runtime_name;
	char *runtime_version;
	char *runtime_api_version;
} kube_cri_version;

/* RuntimeCondition */
typedef struct kube_cri_runtime_condition {
	char *type;
	int32_t status;
	char *reason;
	char *message;
} kube_cri_runtime_condition;

/* StatusResponse: RuntimeStatus.conditions and the verbose info map. */
typedef struct kube_cri_runtime_status {
	uint32_t struct_size;
	kube_cri_runtime_condition *conditions;
	size_t n_conditions;
	kube_cri_kv *info;
	size_t n_info;
} kube_cri_runtime_status;

/* PodSandboxStatusResponse: PodSandboxStatus, flattened, and info. */
typedef struct kube_cri_sandbox_status {
	uint32_t struct_size;
	char *id;
	kube_cri_sandbox_metadata metadata;
	int32_t state;                             /* KUBE_CRI_SANDBOX_* */
	int64_t created_at;                        /* ns since the epoch */
	char *network_ip;                          /* PodSandboxNetworkStatus.ip */
	char **network_additional_ips;
	size_t n_network_additional_ips;
	kube_cri_namespace_option linux_namespaces; /* LinuxPodSandboxStatus.namespaces.options */
	kube_cri_kv *labels;
	size_t n_labels;
	kube_cri_kv *annotations;
	size_t n_annotations;
	char *runtime_handler;
	kube_cri_kv *info;
	size_t n_info;
} kube_cri_sandbox_status;

/* PodSandbox (element of a list) */
typedef struct kube_cri_sandbox {
	char *id;
	kube_cri_sandbox_metadata metadata;
	int32_t state;
	int64_t created_at;
	kube_cri_kv *labels;
	size_t n_labels;
	kube_cri_kv *annotations;
	size_t n_annotations;
	char *runtime_handler;
} kube_cri_sandbox;

/* ListPodSandboxResponse */
typedef struct kube_cri_sandbox_list {
	uint32_t struct_size;
	kube_cri_sandbox *items;
	size_t n_items;
} kube_cri_sandbox_list;

/* Container (element of a list) */
typedef struct kube_cri_container {
	char *id;
	char *pod_sandbox_id;
	kube_cri_container_metadata metadata;
	char *image;                               /* ImageSpec.image */
	char *image_ref;
	int32_t state;                             /* KUBE_CRI_CONTAINER_* */
	int64_t created_at;
	kube_cri_kv *labels;
	size_t n_labels;
	kube_cri_kv *annotations;
	size_t n_annotations;
} kube_cri_container;

/* ListContainersResponse */
typedef struct kube_cri_container_list {
	uint32_t struct_size;
	kube_cri_container *items;
	size_t n_items;
} kube_cri_container_list;

/* ContainerStatusResponse: ContainerStatus, flattened, and info. */
typedef struct kube_cri_container_status {
	uint32_t struct_size;
	char *id;
	kube_cri_container_metadata metadata;
	int32_t state;                             /* KUBE_CRI_CONTAINER_* */
	int64_t created_at;                        /* ns since the epoch, 0: not yet */
	int64_t started_at;
	int64_t finished_at;
	int32_t exit_code;
	char *image;                               /* ImageSpec.image */
	char *image_ref;
	char *reason;
	char *message;
	kube_cri_kv *labels;
	size_t n_labels;
	kube_cri_kv *annotations;
	size_t n_annotations;
	kube_cri_mount *mounts;
	size_t n_mounts;
	char *log_path;                            /* absolute */
	kube_cri_linux_resources *linux_resources; /* ContainerResources.linux; NULL: absent */
	kube_cri_kv *info;
	size_t n_info;
} kube_cri_container_status;

/* ExecSyncResponse.  out and err are followed by a NUL (not counted). */
typedef struct kube_cri_exec_result {
	uint32_t struct_size;
	uint8_t *out;                              /* "stdout" upstream */
	size_t out_len;
	uint8_t *err;                              /* "stderr" upstream */
	size_t err_len;
	int32_t exit_code;
} kube_cri_exec_result;

/* CpuUsage; timestamp 0 and nothing set: absent. */
typedef struct kube_cri_cpu_usage {
	int64_t timestamp;
	kube_cri_uint64 usage_core_nano_seconds;
	kube_cri_uint64 usage_nano_cores;
} kube_cri_cpu_usage;

/* MemoryUsage */
typedef struct kube_cri_memory_usage {
	int64_t timestamp;
	kube_cri_uint64 working_set_bytes;
	kube_cri_uint64 available_bytes;
	kube_cri_uint64 usage_bytes;
	kube_cri_uint64 rss_bytes;
	kube_cri_uint64 page_faults;
	kube_cri_uint64 major_page_faults;
} kube_cri_memory_usage;

/* FilesystemUsage (fs_id.mountpoint flattened) */
typedef struct kube_cri_filesystem_usage {
	int64_t timestamp;
	char *mountpoint;
	kube_cri_uint64 used_bytes;
	kube_cri_uint64 inodes_used;
} kube_cri_filesystem_usage;

/* ContainerStats (ContainerAttributes flattened); has_* 0: the peer sent none. */
typedef struct kube_cri_container_stats {
	char *id;
	kube_cri_container_metadata metadata;
	kube_cri_kv *labels;
	size_t n_labels;
	kube_cri_kv *annotations;
	size_t n_annotations;
	int32_t has_cpu;
	int32_t has_memory;
	int32_t has_writable_layer;
	kube_cri_cpu_usage cpu;
	kube_cri_memory_usage memory;
	kube_cri_filesystem_usage writable_layer;
} kube_cri_container_stats;

/* ContainerStatsResponse and ListContainerStatsResponse: a list of one or
 * many. */
typedef struct kube_cri_container_stats_list {
	uint32_t struct_size;
	kube_cri_container_stats *items;
	size_t n_items;
} kube_cri_container_stats_list;

/* Image (element of a list) */
typedef struct kube_cri_image {
	char *id;
	char **repo_tags;
	size_t n_repo_tags;
	char **repo_digests;
	size_t n_repo_digests;
	uint64_t size;
	kube_cri_int64 uid;
	char *username;
	char *spec_image;                          /* spec.image */
	int32_t pinned;
} kube_cri_image;

/* ListImagesResponse */
typedef struct kube_cri_image_list {
	uint32_t struct_size;
	kube_cri_image *items;
	size_t n_items;
} kube_cri_image_list;

/* ImageStatusResponse (a runtime that does not have the image answers
 * without one: the client turns that into KUBE_ENOTFOUND). */
typedef struct kube_cri_image_status {
	uint32_t struct_size;
	kube_cri_image image;
	kube_cri_kv *info;
	size_t n_info;
} kube_cri_image_status;

/* ImageFsInfoResponse */
typedef struct kube_cri_fs_info {
	uint32_t struct_size;
	kube_cri_filesystem_usage *image_filesystems;
	size_t n_image_filesystems;
} kube_cri_fs_info;

#ifdef __cplusplus
}
#endif

#endif /* LIBKUBE_CRI_TYPES_H */
