/*
 * convert.c - CRI messages between the public structs (cri_types.h) and
 * protobuf-c (api.pb-c.h, generated from proto/runtime/v1/api.proto).
 *
 * Requests: a request is built from protobuf-c structs that point at the
 * caller's strings (nothing is copied); the few pieces the caller's structs
 * do not have (sub-messages, map entries, pointer arrays) come from an arena
 * that is dropped as soon as the request is packed.  A NULL string is sent
 * as "" (proto3 leaves it out), so callers may leave any string NULL.
 *
 * Responses: protobuf-c unpacks the peer's bytes, then every field we keep
 * is copied into the public struct, allocated with kube_malloc, so that the
 * result outlives the protobuf-c message and is freed by kube_cri_*_free.
 * The peer is not trusted: every sub-message may be absent, and absence
 * yields zeros (strings "").  One `failed` flag per conversion collects
 * allocation failures so the copying reads straight; a failed result is
 * freed by the same _clear functions, which accept partly filled structs
 * (an array's count is set only once the array exists).
 *
 * Map entries: protobuf-c makes one entry type per map field, all laid out
 * as { base, key, value }; they are handled through one struct of that
 * layout (kv_entry), with each field's own descriptor when building.
 */
#include <string.h>

#include "cri_internal.h"

#undef linux   /* a GNU C predefined macro; it is a field name in the messages */
#include "cri/api.pb-c.h"

/* ---- the call table ---- */

static const kube__cri_call_info calls[KUBE__CRI_NCALLS] = {
	[KUBE__CRI_VERSION] = { "Version", 0, KUBE__CRI_R_VERSION },
	[KUBE__CRI_STATUS] = { "Status", 0, KUBE__CRI_R_RUNTIME_STATUS },
	[KUBE__CRI_RUN_POD_SANDBOX] = { "RunPodSandbox", 0, KUBE__CRI_R_STRING },
	[KUBE__CRI_STOP_POD_SANDBOX] = { "StopPodSandbox", 0, KUBE__CRI_R_DONE },
	[KUBE__CRI_REMOVE_POD_SANDBOX] = { "RemovePodSandbox", 0, KUBE__CRI_R_DONE },
	[KUBE__CRI_POD_SANDBOX_STATUS] = { "PodSandboxStatus", 0, KUBE__CRI_R_SANDBOX_STATUS },
	[KUBE__CRI_LIST_POD_SANDBOX] = { "ListPodSandbox", 0, KUBE__CRI_R_SANDBOX_LIST },
	[KUBE__CRI_CREATE_CONTAINER] = { "CreateContainer", 0, KUBE__CRI_R_STRING },
	[KUBE__CRI_START_CONTAINER] = { "StartContainer", 0, KUBE__CRI_R_DONE },
	[KUBE__CRI_STOP_CONTAINER] = { "StopContainer", 0, KUBE__CRI_R_DONE },
	[KUBE__CRI_REMOVE_CONTAINER] = { "RemoveContainer", 0, KUBE__CRI_R_DONE },
	[KUBE__CRI_LIST_CONTAINERS] = { "ListContainers", 0, KUBE__CRI_R_CONTAINER_LIST },
	[KUBE__CRI_CONTAINER_STATUS] = { "ContainerStatus", 0, KUBE__CRI_R_CONTAINER_STATUS },
	[KUBE__CRI_UPDATE_CONTAINER_RESOURCES] = { "UpdateContainerResources", 0, KUBE__CRI_R_DONE },
	[KUBE__CRI_REOPEN_CONTAINER_LOG] = { "ReopenContainerLog", 0, KUBE__CRI_R_DONE },
	[KUBE__CRI_EXEC_SYNC] = { "ExecSync", 0, KUBE__CRI_R_EXEC },
	[KUBE__CRI_CONTAINER_STATS] = { "ContainerStats", 0, KUBE__CRI_R_STATS_LIST },
	[KUBE__CRI_LIST_CONTAINER_STATS] = { "ListContainerStats", 0, KUBE__CRI_R_STATS_LIST },
	[KUBE__CRI_LIST_IMAGES] = { "ListImages", 1, KUBE__CRI_R_IMAGE_LIST },
	[KUBE__CRI_IMAGE_STATUS] = { "ImageStatus", 1, KUBE__CRI_R_IMAGE_STATUS },
	[KUBE__CRI_PULL_IMAGE] = { "PullImage", 1, KUBE__CRI_R_STRING },
	[KUBE__CRI_REMOVE_IMAGE] = { "RemoveImage", 1, KUBE__CRI_R_DONE },
	[KUBE__CRI_IMAGE_FS_INFO] = { "ImageFsInfo", 1, KUBE__CRI_R_FS_INFO },
};

/* The response message of each call. */
static const ProtobufCMessageDescriptor *const response_desc[KUBE__CRI_NCALLS] = {
	[KUBE__CRI_VERSION] = &runtime__v1__version_response__descriptor,
	[KUBE__CRI_STATUS] = &runtime__v1__status_response__descriptor,
	[KUBE__CRI_RUN_POD_SANDBOX] = &runtime__v1__run_pod_sandbox_response__descriptor,
	[KUBE__CRI_STOP_POD_SANDBOX] = &runtime__v1__stop_pod_sandbox_response__descriptor,
	[KUBE__CRI_REMOVE_POD_SANDBOX] = &runtime__v1__remove_pod_sandbox_response__descriptor,
	[KUBE__CRI_POD_SANDBOX_STATUS] = &runtime__v1__pod_sandbox_status_response__descriptor,
	[KUBE__CRI_LIST_POD_SANDBOX] = &runtime__v1__list_pod_sandbox_response__descriptor,
	[KUBE__CRI_CREATE_CONTAINER] = &runtime__v1__create_container_response__descriptor,
	[KUBE__CRI_START_CONTAINER] = &runtime__v1__start_container_response__descriptor,
	[KUBE__CRI_STOP_CONTAINER] = &runtime__v1__stop_container_response__descriptor,
	[KUBE__CRI_REMOVE_CONTAINER] = &runtime__v1__remove_container_response__descriptor,
	[KUBE__CRI_LIST_CONTAINERS] = &runtime__v1__list_containers_response__descriptor,
	[KUBE__CRI_CONTAINER_STATUS] = &runtime__v1__container_status_response__descriptor,
	[KUBE__CRI_UPDATE_CONTAINER_RESOURCES] =
		&runtime__v1__update_container_resources_response__descriptor,
	[KUBE__CRI_REOPEN_CONTAINER_LOG] = &runtime__v1__reopen_container_log_response__descriptor,
	[KUBE__CRI_EXEC_SYNC] = &runtime__v1__exec_sync_response__descriptor,
	[KUBE__CRI_CONTAINER_STATS] = &runtime__v1__container_stats_response__descriptor,
	[KUBE__CRI_LIST_CONTAINER_STATS] = &runtime__v1__list_container_stats_response__descriptor,
	[KUBE__CRI_LIST_IMAGES] = &runtime__v1__list_images_response__descriptor,
	[KUBE__CRI_IMAGE_STATUS] = &runtime__v1__image_status_response__descriptor,
	[KUBE__CRI_PULL_IMAGE] = &runtime__v1__pull_image_response__descriptor,
	[KUBE__CRI_REMOVE_IMAGE] = &runtime__v1__remove_image_response__descriptor,
	[KUBE__CRI_IMAGE_FS_INFO] = &runtime__v1__image_fs_info_response__descriptor,
};

const kube__cri_call_info *kube__cri_call(int call)
{
	return call >= 0 && call < KUBE__CRI_NCALLS ? &calls[call] : NULL;
}

/* The layout every generated map entry has. */
typedef struct kv_entry {
	ProtobufCMessage base;
	char *key;
	char *value;
} kv_entry;

static char empty[] = "";

static char *S(const char *s)
{
	return s ? (char *)s : empty;
}

/* ==================== requests ==================== */

/* Allocations of one request, dropped together once it is packed. */
typedef struct arena {
	void **ptrs;
	size_t n, cap;
	int failed;
} arena;

static void *a_alloc(arena *a, size_t size)
{
	if (a->failed)
		return NULL;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		void **p = kube_realloc(a->ptrs, cap * sizeof(*p));
		if (!p) {
			a->failed = 1;
			return NULL;
		}
		a->ptrs = p;
		a->cap = cap;
	}
	void *m = kube_calloc(1, size ? size : 1);
	if (!m) {
		a->failed = 1;
		return NULL;
	}
	a->ptrs[a->n++] = m;
	return m;
}

static void a_free(arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		kube_free(a->ptrs[i]);
	kube_free(a->ptrs);
}

/* A new message of type `d`, initialised to its defaults. */
static void *a_msg(arena *a, const ProtobufCMessageDescriptor *d)
{
	void *m = a_alloc(a, d->sizeof_message);
	if (m)
		protobuf_c_message_init(d, m);
	return m;
}

/* Map entries for a map<string,string> field whose entry type is `d`. */
static void *a_map(arena *a, const ProtobufCMessageDescriptor *d, const kube_cri_kv *kv,
                   size_t n, size_t *n_out)
{
	*n_out = 0;
	if (n == 0 || !kv)
		return NULL;
	kv_entry **v = a_alloc(a, n * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!(v[i] = a_msg(a, d)))
			return NULL;
		v[i]->key = S(kv[i].key);
		v[i]->value = S(kv[i].value);
	}
	*n_out = n;
	return v;
}

#define MAP(a, msg, field, desc, kv, n) \
	((msg)->field = a_map((a), &(desc), (kv), (n), &(msg)->n_##field))

/* A string array with NULL members sent as "". */
static char **a_strv(arena *a, char *const *src, size_t n, size_t *n_out)
{
	*n_out = 0;
	if (n == 0 || !src)
		return NULL;
	char **v = a_alloc(a, n * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = S(src[i]);
	*n_out = n;
	return v;
}

#define STRV(a, msg, field, src, n) ((msg)->field = a_strv((a), (src), (n), &(msg)->n_##field))

static int64_t *a_i64v(int64_t *src, size_t n, size_t *n_out)
{
	*n_out = src ? n : 0;
	return src && n ? src : NULL;
}

static Runtime__V1__Int64Value *a_i64(arena *a, const kube_cri_int64 *v)
{
	if (!v->set)
		return NULL;
	Runtime__V1__Int64Value *m = a_msg(a, &runtime__v1__int64_value__descriptor);
	if (m)
		m->value = v->value;
	return m;
}

static Runtime__V1__NamespaceOption *a_ns(arena *a, const kube_cri_namespace_option *ns)
{
	Runtime__V1__NamespaceOption *m = a_msg(a, &runtime__v1__namespace_option__descriptor);
	if (!m)
		return NULL;
	m->network = (Runtime__V1__NamespaceMode)ns->network;
	m->pid = (Runtime__V1__NamespaceMode)ns->pid;
	m->ipc = (Runtime__V1__NamespaceMode)ns->ipc;
	m->target_id = S(ns->target_id);
	return m;
}

static Runtime__V1__SecurityProfile *a_profile(arena *a, const kube_cri_security_profile *p)
{
	if (!p)
		return NULL;
	Runtime__V1__SecurityProfile *m = a_msg(a, &runtime__v1__security_profile__descriptor);
	if (m) {
		m->profile_type = (Runtime__V1__SecurityProfile__ProfileType)p->profile_type;
		m->localhost_ref = S(p->localhost_ref);
	}
	return m;
}

static Runtime__V1__LinuxContainerResources *a_res(arena *a, const kube_cri_linux_resources *r)
{
	if (!r)
		return NULL;
	Runtime__V1__LinuxContainerResources *m =
		a_msg(a, &runtime__v1__linux_container_resources__descriptor);
	if (!m)
		return NULL;
	m->cpu_period = r->cpu_period;
	m->cpu_quota = r->cpu_quota;
	m->cpu_shares = r->cpu_shares;
	m->memory_limit_in_bytes = r->memory_limit_in_bytes;
	m->oom_score_adj = r->oom_score_adj;
	m->cpuset_cpus = S(r->cpuset_cpus);
	m->cpuset_mems = S(r->cpuset_mems);
	if (r->n_hugepage_limits && r->hugepage_limits) {
		m->hugepage_limits = a_alloc(a, r->n_hugepage_limits * sizeof(*m->hugepage_limits));
		if (!m->hugepage_limits)
			return NULL;
		for (size_t i = 0; i < r->n_hugepage_limits; i++) {
			Runtime__V1__HugepageLimit *h = a_msg(a, &runtime__v1__hugepage_limit__descriptor);
			if (!h)
				return NULL;
			h->page_size = S(r->hugepage_limits[i].page_size);
			h->limit = r->hugepage_limits[i].limit;
			m->hugepage_limits[i] = h;
		}
		m->n_hugepage_limits = r->n_hugepage_limits;
	}
	MAP(a, m, unified, runtime__v1__linux_container_resources__unified_entry__descriptor,
	    r->unified, r->n_unified);
	m->memory_swap_limit_in_bytes = r->memory_swap_limit_in_bytes;
	return m;
}

static Runtime__V1__PodSandboxConfig *a_sandbox_config(arena *a, const kube_cri_sandbox_config *c)
{
	Runtime__V1__PodSandboxConfig *m = a_msg(a, &runtime__v1__pod_sandbox_config__descriptor);
	Runtime__V1__PodSandboxMetadata *md = a_msg(a, &runtime__v1__pod_sandbox_metadata__descriptor);
	Runtime__V1__LinuxPodSandboxConfig *lx =
		a_msg(a, &runtime__v1__linux_pod_sandbox_config__descriptor);
	Runtime__V1__LinuxSandboxSecurityContext *sc =
		a_msg(a, &runtime__v1__linux_sandbox_security_context__descriptor);
	if (!m || !md || !lx || !sc)
		return NULL;
	md->name = S(c->metadata.name);
	md->uid = S(c->metadata.uid);
	md->namespace_ = S(c->metadata.ns);
	md->attempt = c->metadata.attempt;
	m->metadata = md;
	m->hostname = S(c->hostname);
	m->log_directory = S(c->log_directory);
	if (c->dns_config) {
		Runtime__V1__DNSConfig *d = a_msg(a, &runtime__v1__dnsconfig__descriptor);
		if (!d)
			return NULL;
		STRV(a, d, servers, c->dns_config->servers, c->dns_config->n_servers);
		STRV(a, d, searches, c->dns_config->searches, c->dns_config->n_searches);
		STRV(a, d, options, c->dns_config->options, c->dns_config->n_options);
		m->dns_config = d;
	}
	if (c->n_port_mappings && c->port_mappings) {
		m->port_mappings = a_alloc(a, c->n_port_mappings * sizeof(*m->port_mappings));
		if (!m->port_mappings)
			return NULL;
		for (size_t i = 0; i < c->n_port_mappings; i++) {
			Runtime__V1__PortMapping *p = a_msg(a, &runtime__v1__port_mapping__descriptor);
			if (!p)
				return NULL;
			p->protocol = (Runtime__V1__Protocol)c->port_mappings[i].protocol;
			p->container_port = c->port_mappings[i].container_port;
			p->host_port = c->port_mappings[i].host_port;
			p->host_ip = S(c->port_mappings[i].host_ip);
			m->port_mappings[i] = p;
		}
		m->n_port_mappings = c->n_port_mappings;
	}
	MAP(a, m, labels, runtime__v1__pod_sandbox_config__labels_entry__descriptor,
	    c->labels, c->n_labels);
	MAP(a, m, annotations, runtime__v1__pod_sandbox_config__annotations_entry__descriptor,
	    c->annotations, c->n_annotations);
	lx->cgroup_parent = S(c->linux_cgroup_parent);
	MAP(a, lx, sysctls, runtime__v1__linux_pod_sandbox_config__sysctls_entry__descriptor,
	    c->linux_sysctls, c->n_linux_sysctls);
	lx->overhead = a_res(a, c->linux_overhead);
	lx->resources = a_res(a, c->linux_resources);
	sc->namespace_options = a_ns(a, &c->linux_namespaces);
	sc->run_as_user = a_i64(a, &c->linux_run_as_user);
	sc->run_as_group = a_i64(a, &c->linux_run_as_group);
	sc->readonly_rootfs = c->linux_readonly_rootfs != 0;
	sc->privileged = c->linux_privileged != 0;
	sc->supplemental_groups = a_i64v(c->linux_supplemental_groups,
	                                 c->n_linux_supplemental_groups, &sc->n_supplemental_groups);
	sc->seccomp = a_profile(a, c->linux_seccomp);
	sc->apparmor = a_profile(a, c->linux_apparmor);
	lx->security_context = sc;
	m->linux = lx;
	return a->failed ? NULL : m;
}

static Runtime__V1__ContainerConfig *a_container_config(arena *a,
                                                        const kube_cri_container_config *c)
{
	Runtime__V1__ContainerConfig *m = a_msg(a, &runtime__v1__container_config__descriptor);
	Runtime__V1__ContainerMetadata *md = a_msg(a, &runtime__v1__container_metadata__descriptor);
	Runtime__V1__ImageSpec *img = a_msg(a, &runtime__v1__image_spec__descriptor);
	Runtime__V1__LinuxContainerConfig *lx =
		a_msg(a, &runtime__v1__linux_container_config__descriptor);
	Runtime__V1__LinuxContainerSecurityContext *sc =
		a_msg(a, &runtime__v1__linux_container_security_context__descriptor);
	Runtime__V1__Capability *caps = a_msg(a, &runtime__v1__capability__descriptor);
	if (!m || !md || !img || !lx || !sc || !caps)
		return NULL;
	md->name = S(c->metadata.name);
	md->attempt = c->metadata.attempt;
	m->metadata = md;
	img->image = S(c->image);
	m->image = img;
	STRV(a, m, command, c->command, c->n_command);
	STRV(a, m, args, c->args, c->n_args);
	m->working_dir = S(c->working_dir);
	if (c->n_envs && c->envs) {
		m->envs = a_alloc(a, c->n_envs * sizeof(*m->envs));
		if (!m->envs)
			return NULL;
		for (size_t i = 0; i < c->n_envs; i++) {
			Runtime__V1__KeyValue *kv = a_msg(a, &runtime__v1__key_value__descriptor);
			if (!kv)
				return NULL;
			kv->key = S(c->envs[i].key);
			kv->value = S(c->envs[i].value);
			m->envs[i] = kv;
		}
		m->n_envs = c->n_envs;
	}
	if (c->n_mounts && c->mounts) {
		m->mounts = a_alloc(a, c->n_mounts * sizeof(*m->mounts));
		if (!m->mounts)
			return NULL;
		for (size_t i = 0; i < c->n_mounts; i++) {
			Runtime__V1__Mount *mt = a_msg(a, &runtime__v1__mount__descriptor);
			if (!mt)
				return NULL;
			mt->container_path = S(c->mounts[i].container_path);
			mt->host_path = S(c->mounts[i].host_path);
			mt->readonly = c->mounts[i].readonly != 0;
			mt->selinux_relabel = c->mounts[i].selinux_relabel != 0;
			mt->propagation = (Runtime__V1__MountPropagation)c->mounts[i].propagation;
			m->mounts[i] = mt;
		}
		m->n_mounts = c->n_mounts;
	}
	if (c->n_devices && c->devices) {
		m->devices = a_alloc(a, c->n_devices * sizeof(*m->devices));
		if (!m->devices)
			return NULL;
		for (size_t i = 0; i < c->n_devices; i++) {
			Runtime__V1__Device *d = a_msg(a, &runtime__v1__device__descriptor);
			if (!d)
				return NULL;
			d->container_path = S(c->devices[i].container_path);
			d->host_path = S(c->devices[i].host_path);
			d->permissions = S(c->devices[i].permissions);
			m->devices[i] = d;
		}
		m->n_devices = c->n_devices;
	}
	MAP(a, m, labels, runtime__v1__container_config__labels_entry__descriptor,
	    c->labels, c->n_labels);
	MAP(a, m, annotations, runtime__v1__container_config__annotations_entry__descriptor,
	    c->annotations, c->n_annotations);
	m->log_path = S(c->log_path);
	m->stdin = c->stdin_open != 0;
	m->stdin_once = c->stdin_once != 0;
	m->tty = c->tty != 0;
	lx->resources = a_res(a, c->linux_resources);
	STRV(a, caps, add_capabilities, c->linux_add_capabilities, c->n_linux_add_capabilities);
	STRV(a, caps, drop_capabilities, c->linux_drop_capabilities, c->n_linux_drop_capabilities);
	if (caps->n_add_capabilities || caps->n_drop_capabilities)
		sc->capabilities = caps;
	sc->privileged = c->linux_privileged != 0;
	sc->namespace_options = a_ns(a, &c->linux_namespaces);
	sc->run_as_user = a_i64(a, &c->linux_run_as_user);
	sc->run_as_group = a_i64(a, &c->linux_run_as_group);
	sc->run_as_username = S(c->linux_run_as_username);
	sc->readonly_rootfs = c->linux_readonly_rootfs != 0;
	sc->no_new_privs = c->linux_no_new_privs != 0;
	sc->supplemental_groups = a_i64v(c->linux_supplemental_groups,
	                                 c->n_linux_supplemental_groups, &sc->n_supplemental_groups);
	STRV(a, sc, masked_paths, c->linux_masked_paths, c->n_linux_masked_paths);
	STRV(a, sc, readonly_paths, c->linux_readonly_paths, c->n_linux_readonly_paths);
	sc->seccomp = a_profile(a, c->linux_seccomp);
	sc->apparmor = a_profile(a, c->linux_apparmor);
	lx->security_context = sc;
	m->linux = lx;
	return a->failed ? NULL : m;
}

/* Packs m (built in a) into a kube_malloc'd buffer and drops the arena. */
static int pack(arena *a, const ProtobufCMessage *m, uint8_t **out, size_t *len)
{
	if (a->failed || !m) {
		a_free(a);
		return kube__error_oom();
	}
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = kube_malloc(n ? n : 1);
	if (!buf) {
		a_free(a);
		return kube__error_oom();
	}
	protobuf_c_message_pack(m, buf);
	a_free(a);
	*out = buf;
	*len = n;
	return 0;
}

int kube__cri_pack_version(uint8_t **out, size_t *len, const char *api_version)
{
	arena a = { 0 };
	Runtime__V1__VersionRequest m = RUNTIME__V1__VERSION_REQUEST__INIT;
	m.version = S(api_version);
	return pack(&a, &m.base, out, len);
}

int kube__cri_pack_verbose(uint8_t **out, size_t *len, int verbose)
{
	arena a = { 0 };
	Runtime__V1__StatusRequest m = RUNTIME__V1__STATUS_REQUEST__INIT;
	m.verbose = verbose != 0;
	return pack(&a, &m.base, out, len);
}

/* Every request whose only field is the id as field 1 (StopPodSandbox,
 * RemovePodSandbox, StartContainer, RemoveContainer, ReopenContainerLog,
 * ContainerStats): one message type serves them all on the wire. */
int kube__cri_pack_id(uint8_t **out, size_t *len, const char *id)
{
	arena a = { 0 };
	Runtime__V1__StopPodSandboxRequest m = RUNTIME__V1__STOP_POD_SANDBOX_REQUEST__INIT;
	m.pod_sandbox_id = S(id);
	return pack(&a, &m.base, out, len);
}

/* PodSandboxStatusRequest and ContainerStatusRequest: id = 1, verbose = 2. */
int kube__cri_pack_id_verbose(uint8_t **out, size_t *len, const char *id, int verbose)
{
	arena a = { 0 };
	Runtime__V1__PodSandboxStatusRequest m = RUNTIME__V1__POD_SANDBOX_STATUS_REQUEST__INIT;
	m.pod_sandbox_id = S(id);
	m.verbose = verbose != 0;
	return pack(&a, &m.base, out, len);
}

int kube__cri_pack_run_pod_sandbox(uint8_t **out, size_t *len,
                                   const kube_cri_sandbox_config *config,
                                   const char *runtime_handler)
{
	arena a = { 0 };
	Runtime__V1__RunPodSandboxRequest m = RUNTIME__V1__RUN_POD_SANDBOX_REQUEST__INIT;
	m.config = a_sandbox_config(&a, config);
	m.runtime_handler = S(runtime_handler);
	return pack(&a, m.config ? &m.base : NULL, out, len);
}

int kube__cri_pack_list_pod_sandbox(uint8_t **out, size_t *len,
                                    const kube_cri_sandbox_filter *filter)
{
	arena a = { 0 };
	Runtime__V1__ListPodSandboxRequest m = RUNTIME__V1__LIST_POD_SANDBOX_REQUEST__INIT;
	if (filter) {
		Runtime__V1__PodSandboxFilter *f = a_msg(&a, &runtime__v1__pod_sandbox_filter__descriptor);
		if (f) {
			f->id = S(filter->id);
			if (filter->has_state) {
				f->state = a_msg(&a, &runtime__v1__pod_sandbox_state_value__descriptor);
				if (f->state)
					f->state->state = (Runtime__V1__PodSandboxState)filter->state;
			}
			MAP(&a, f, label_selector,
			    runtime__v1__pod_sandbox_filter__label_selector_entry__descriptor,
			    filter->label_selector, filter->n_label_selector);
		}
		m.filter = f;
	}
	return pack(&a, &m.base, out, len);
}

int kube__cri_pack_create_container(uint8_t **out, size_t *len, const char *sandbox_id,
                                    const kube_cri_container_config *config,
                                    const kube_cri_sandbox_config *sandbox_config)
{
	arena a = { 0 };
	Runtime__V1__CreateContainerRequest m = RUNTIME__V1__CREATE_CONTAINER_REQUEST__INIT;
	m.pod_sandbox_id = S(sandbox_id);
	m.config = a_container_config(&a, config);
	if (sandbox_config)
		m.sandbox_config = a_sandbox_config(&a, sandbox_config);
	return pack(&a, &m.base, out, len);
}

int kube__cri_pack_stop_container(uint8_t **out, size_t *len, const char *id, int64_t timeout_s)
{
	arena a = { 0 };
	Runtime__V1__StopContainerRequest m = RUNTIME__V1__STOP_CONTAINER_REQUEST__INIT;
	m.container_id = S(id);
	m.timeout = timeout_s;
	return pack(&a, &m.base, out, len);
}

int kube__cri_pack_list_containers(uint8_t **out, size_t *len,
                                   const kube_cri_container_filter *filter)
{
	arena a = { 0 };
	Runtime__V1__ListContainersRequest m = RUNTIME__V1__LIST_CONTAINERS_REQUEST__INIT;
	if (filter) {
		Runtime__V1__ContainerFilter *f = a_msg(&a, &runtime__v1__container_filter__descriptor);
		if (f) {
			f->id = S(filter->id);
			f->pod_sandbox_id = S(filter->pod_sandbox_id);
			if (filter->has_state) {
				f->state = a_msg(&a, &runtime__v1__container_state_value__descriptor);
				if (f->state)
					f->state->state = (Runtime__V1__ContainerState)filter->state;
			}
			MAP(&a, f, label_selector,
			    runtime__v1__container_filter__label_selector_entry__descriptor,
			    filter->label_selector, filter->n_label_selector);
		}
		m.filter = f;
	}
	return pack(&a, &m.base, out, len);
}

int kube__cri_pack_update_resources(uint8_t **out, size_t *len, const char *id,
                                    const kube_cri_linux_resources *res)
{
	arena a = { 0 };
	Runtime__V1__UpdateContainerResourcesRequest m =
		RUNTIME__V1__UPDATE_CONTAINER_RESOURCES_REQUEST__INIT;
	m.container_id = S(id);
	m.linux = a_res(&a, res);
	return pack(&a, &m.base, out, len);
}

int kube__cri_pack_exec_sync(uint8_t **out, size_t *len, const char *id,
                             const char *const *cmd, size_t n_cmd, int64_t timeout_s)
{
	arena a = { 0 };
	Runtime__V1__ExecSyncRequest m = RUNTIME__V1__EXEC_SYNC_REQUEST__INIT;
	m.container_id = S(id);
	STRV(&a, &m, cmd, (char *const *)cmd, n_cmd);
	m.timeout = timeout_s;
	return pack(&a, &m.base, out, len);
}

int kube__cri_pack_list_container_stats(uint8_t **out, size_t *len,
                                        const kube_cri_container_stats_filter *filter)
{
	arena a = { 0 };
	Runtime__V1__ListContainerStatsRequest m = RUNTIME__V1__LIST_CONTAINER_STATS_REQUEST__INIT;
	if (filter) {
		Runtime__V1__ContainerStatsFilter *f =
			a_msg(&a, &runtime__v1__container_stats_filter__descriptor);
		if (f) {
			f->id = S(filter->id);
			f->pod_sandbox_id = S(filter->pod_sandbox_id);
			MAP(&a, f, label_selector,
			    runtime__v1__container_stats_filter__label_selector_entry__descriptor,
			    filter->label_selector, filter->n_label_selector);
		}
		m.filter = f;
	}
	return pack(&a, &m.base, out, len);
}

static Runtime__V1__ImageSpec *a_image_spec(arena *a, const char *image)
{
	Runtime__V1__ImageSpec *s = a_msg(a, &runtime__v1__image_spec__descriptor);
	if (s)
		s->image = S(image);
	return s;
}

/* ListImagesRequest: NULL or "" asks for every image (no filter). */
int kube__cri_pack_list_images(uint8_t **out, size_t *len, const char *filter_image)
{
	arena a = { 0 };
	Runtime__V1__ListImagesRequest m = RUNTIME__V1__LIST_IMAGES_REQUEST__INIT;
	if (filter_image && *filter_image) {
		m.filter = a_msg(&a, &runtime__v1__image_filter__descriptor);
		if (m.filter)
			m.filter->image = a_image_spec(&a, filter_image);
	}
	return pack(&a, &m.base, out, len);
}

/* RemoveImageRequest */
int kube__cri_pack_image(uint8_t **out, size_t *len, const char *image)
{
	arena a = { 0 };
	Runtime__V1__RemoveImageRequest m = RUNTIME__V1__REMOVE_IMAGE_REQUEST__INIT;
	m.image = a_image_spec(&a, image);
	return pack(&a, &m.base, out, len);
}

int kube__cri_pack_image_verbose(uint8_t **out, size_t *len, const char *image, int verbose)
{
	arena a = { 0 };
	Runtime__V1__ImageStatusRequest m = RUNTIME__V1__IMAGE_STATUS_REQUEST__INIT;
	m.image = a_image_spec(&a, image);
	m.verbose = verbose != 0;
	return pack(&a, &m.base, out, len);
}

int kube__cri_pack_pull_image(uint8_t **out, size_t *len, const char *image,
                              const kube_cri_auth_config *auth,
                              const kube_cri_sandbox_config *sandbox_config)
{
	arena a = { 0 };
	Runtime__V1__PullImageRequest m = RUNTIME__V1__PULL_IMAGE_REQUEST__INIT;
	m.image = a_image_spec(&a, image);
	if (auth) {
		Runtime__V1__AuthConfig *ac = a_msg(&a, &runtime__v1__auth_config__descriptor);
		if (ac) {
			ac->username = S(auth->username);
			ac->password = S(auth->password);
			ac->auth = S(auth->auth);
			ac->server_address = S(auth->server_address);
			ac->identity_token = S(auth->identity_token);
			ac->registry_token = S(auth->registry_token);
		}
		m.auth = ac;
	}
	if (sandbox_config)
		m.sandbox_config = a_sandbox_config(&a, sandbox_config);
	return pack(&a, &m.base, out, len);
}

int kube__cri_pack_empty(uint8_t **out, size_t *len)
{
	arena a = { 0 };
	Runtime__V1__ImageFsInfoRequest m = RUNTIME__V1__IMAGE_FS_INFO_REQUEST__INIT;
	return pack(&a, &m.base, out, len);
}

/* ==================== results: releasing ==================== */

static void free_kv(kube_cri_kv *kv, size_t n)
{
	if (!kv)
		return;
	for (size_t i = 0; i < n; i++) {
		kube_free(kv[i].key);
		kube_free(kv[i].value);
	}
	kube_free(kv);
}

static void free_strv(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		kube_free(v[i]);
	kube_free(v);
}

static void free_resources(kube_cri_linux_resources *r)
{
	if (!r)
		return;
	kube_free(r->cpuset_cpus);
	kube_free(r->cpuset_mems);
	if (r->hugepage_limits) {
		for (size_t i = 0; i < r->n_hugepage_limits; i++)
			kube_free(r->hugepage_limits[i].page_size);
		kube_free(r->hugepage_limits);
	}
	free_kv(r->unified, r->n_unified);
	kube_free(r);
}

static void free_sandbox_metadata(kube_cri_sandbox_metadata *m)
{
	kube_free(m->name);
	kube_free(m->uid);
	kube_free(m->ns);
}

/* Zeroes s but keeps its struct_size (the first member of every result). */
#define CLEAR_KEEP_SIZE(s) \
	do { \
		uint32_t size_ = (s)->struct_size; \
		memset((s), 0, sizeof(*(s))); \
		(s)->struct_size = size_; \
	} while (0)

void kube_cri_version_clear(kube_cri_version *v)
{
	if (!v)
		return;
	kube_free(v->version);
	kube_free(v->runtime_name);
	kube_free(v->runtime_version);
	kube_free(v->runtime_api_version);
	CLEAR_KEEP_SIZE(v);
}

void kube_cri_runtime_status_clear(kube_cri_runtime_status *s)
{
	if (!s)
		return;
	if (s->conditions) {
		for (size_t i = 0; i < s->n_conditions; i++) {
			kube_free(s->conditions[i].type);
			kube_free(s->conditions[i].reason);
			kube_free(s->conditions[i].message);
		}
		kube_free(s->conditions);
	}
	free_kv(s->info, s->n_info);
	CLEAR_KEEP_SIZE(s);
}

void kube_cri_sandbox_status_clear(kube_cri_sandbox_status *s)
{
	if (!s)
		return;
	kube_free(s->id);
	free_sandbox_metadata(&s->metadata);
	kube_free(s->network_ip);
	free_strv(s->network_additional_ips, s->n_network_additional_ips);
	kube_free(s->linux_namespaces.target_id);
	free_kv(s->labels, s->n_labels);
	free_kv(s->annotations, s->n_annotations);
	kube_free(s->runtime_handler);
	free_kv(s->info, s->n_info);
	CLEAR_KEEP_SIZE(s);
}

void kube_cri_sandbox_list_clear(kube_cri_sandbox_list *l)
{
	if (!l)
		return;
	if (l->items) {
		for (size_t i = 0; i < l->n_items; i++) {
			kube_cri_sandbox *s = &l->items[i];
			kube_free(s->id);
			free_sandbox_metadata(&s->metadata);
			free_kv(s->labels, s->n_labels);
			free_kv(s->annotations, s->n_annotations);
			kube_free(s->runtime_handler);
		}
		kube_free(l->items);
	}
	CLEAR_KEEP_SIZE(l);
}

void kube_cri_container_list_clear(kube_cri_container_list *l)
{
	if (!l)
		return;
	if (l->items) {
		for (size_t i = 0; i < l->n_items; i++) {
			kube_cri_container *c = &l->items[i];
			kube_free(c->id);
			kube_free(c->pod_sandbox_id);
			kube_free(c->metadata.name);
			kube_free(c->image);
			kube_free(c->image_ref);
			free_kv(c->labels, c->n_labels);
			free_kv(c->annotations, c->n_annotations);
		}
		kube_free(l->items);
	}
	CLEAR_KEEP_SIZE(l);
}

void kube_cri_container_status_clear(kube_cri_container_status *s)
{
	if (!s)
		return;
	kube_free(s->id);
	kube_free(s->metadata.name);
	kube_free(s->image);
	kube_free(s->image_ref);
	kube_free(s->reason);
	kube_free(s->message);
	free_kv(s->labels, s->n_labels);
	free_kv(s->annotations, s->n_annotations);
	if (s->mounts) {
		for (size_t i = 0; i < s->n_mounts; i++) {
			kube_free(s->mounts[i].container_path);
			kube_free(s->mounts[i].host_path);
		}
		kube_free(s->mounts);
	}
	kube_free(s->log_path);
	free_resources(s->linux_resources);
	free_kv(s->info, s->n_info);
	CLEAR_KEEP_SIZE(s);
}

void kube_cri_exec_result_clear(kube_cri_exec_result *r)
{
	if (!r)
		return;
	kube_free(r->out);
	kube_free(r->err);
	CLEAR_KEEP_SIZE(r);
}

void kube_cri_container_stats_list_clear(kube_cri_container_stats_list *l)
{
	if (!l)
		return;
	if (l->items) {
		for (size_t i = 0; i < l->n_items; i++) {
			kube_cri_container_stats *s = &l->items[i];
			kube_free(s->id);
			kube_free(s->metadata.name);
			free_kv(s->labels, s->n_labels);
			free_kv(s->annotations, s->n_annotations);
			kube_free(s->writable_layer.mountpoint);
		}
		kube_free(l->items);
	}
	CLEAR_KEEP_SIZE(l);
}

static void free_image(kube_cri_image *im)
{
	kube_free(im->id);
	free_strv(im->repo_tags, im->n_repo_tags);
	free_strv(im->repo_digests, im->n_repo_digests);
	kube_free(im->username);
	kube_free(im->spec_image);
}

void kube_cri_image_list_clear(kube_cri_image_list *l)
{
	if (!l)
		return;
	if (l->items) {
		for (size_t i = 0; i < l->n_items; i++)
			free_image(&l->items[i]);
		kube_free(l->items);
	}
	CLEAR_KEEP_SIZE(l);
}

void kube_cri_image_status_clear(kube_cri_image_status *s)
{
	if (!s)
		return;
	free_image(&s->image);
	free_kv(s->info, s->n_info);
	CLEAR_KEEP_SIZE(s);
}

void kube_cri_fs_info_clear(kube_cri_fs_info *f)
{
	if (!f)
		return;
	if (f->image_filesystems) {
		for (size_t i = 0; i < f->n_image_filesystems; i++)
			kube_free(f->image_filesystems[i].mountpoint);
		kube_free(f->image_filesystems);
	}
	CLEAR_KEEP_SIZE(f);
}

#define DEFINE_FREE(type) \
	void type##_free(type *x) \
	{ \
		if (!x) \
			return; \
		type##_clear(x); \
		kube_free(x); \
	}

DEFINE_FREE(kube_cri_version)
DEFINE_FREE(kube_cri_runtime_status)
DEFINE_FREE(kube_cri_sandbox_status)
DEFINE_FREE(kube_cri_sandbox_list)
DEFINE_FREE(kube_cri_container_list)
DEFINE_FREE(kube_cri_container_status)
DEFINE_FREE(kube_cri_exec_result)
DEFINE_FREE(kube_cri_container_stats_list)
DEFINE_FREE(kube_cri_image_list)
DEFINE_FREE(kube_cri_image_status)
DEFINE_FREE(kube_cri_fs_info)

/* ==================== results: converting ==================== */

typedef struct conv {
	int failed;
} conv;

static char *c_str(conv *c, const char *s)
{
	char *d = kube_strdup(s ? s : "");
	if (!d)
		c->failed = 1;
	return d;
}

static void *c_array(conv *c, size_t n, size_t size)
{
	if (n == 0)
		return NULL;
	void *p = kube_calloc(n, size);
	if (!p)
		c->failed = 1;
	return p;
}

static kube_cri_kv *c_kv(conv *c, kv_entry *const *e, size_t n, size_t *n_out)
{
	kube_cri_kv *kv = c_array(c, n, sizeof(*kv));
	if (!kv)
		return NULL;
	*n_out = n;
	for (size_t i = 0; i < n; i++) {
		kv[i].key = c_str(c, e[i] ? e[i]->key : NULL);
		kv[i].value = c_str(c, e[i] ? e[i]->value : NULL);
	}
	return kv;
}

/* Maps of any generated entry type: they share kv_entry's layout. */
#define KV(c, msg, field, out) ((out)->field = c_kv((c), (kv_entry *const *)(msg)->field, \
                                                    (msg)->n_##field, &(out)->n_##field))

static char **c_strv(conv *c, char *const *v, size_t n, size_t *n_out)
{
	char **d = c_array(c, n, sizeof(*d));
	if (!d)
		return NULL;
	*n_out = n;
	for (size_t i = 0; i < n; i++)
		d[i] = c_str(c, v[i]);
	return d;
}

static kube_cri_uint64 c_u64(const Runtime__V1__UInt64Value *v)
{
	kube_cri_uint64 r = { 0, 0, 0 };
	if (v) {
		r.value = v->value;
		r.set = 1;
	}
	return r;
}

static kube_cri_int64 c_i64(const Runtime__V1__Int64Value *v)
{
	kube_cri_int64 r = { 0, 0, 0 };
	if (v) {
		r.value = v->value;
		r.set = 1;
	}
	return r;
}

static void c_sandbox_metadata(conv *c, const Runtime__V1__PodSandboxMetadata *m,
                               kube_cri_sandbox_metadata *out)
{
	out->name = c_str(c, m ? m->name : NULL);
	out->uid = c_str(c, m ? m->uid : NULL);
	out->ns = c_str(c, m ? m->namespace_ : NULL);
	out->attempt = m ? m->attempt : 0;
}

static void c_container_metadata(conv *c, const Runtime__V1__ContainerMetadata *m,
                                 kube_cri_container_metadata *out)
{
	out->name = c_str(c, m ? m->name : NULL);
	out->attempt = m ? m->attempt : 0;
}

static kube_cri_linux_resources *c_resources(conv *c, const Runtime__V1__LinuxContainerResources *m)
{
	if (!m)
		return NULL;
	kube_cri_linux_resources *r = kube_calloc(1, sizeof(*r));
	if (!r) {
		c->failed = 1;
		return NULL;
	}
	r->struct_size = sizeof(*r);
	r->cpu_period = m->cpu_period;
	r->cpu_quota = m->cpu_quota;
	r->cpu_shares = m->cpu_shares;
	r->memory_limit_in_bytes = m->memory_limit_in_bytes;
	r->oom_score_adj = m->oom_score_adj;
	r->cpuset_cpus = c_str(c, m->cpuset_cpus);
	r->cpuset_mems = c_str(c, m->cpuset_mems);
	r->hugepage_limits = c_array(c, m->n_hugepage_limits, sizeof(*r->hugepage_limits));
	if (r->hugepage_limits) {
		r->n_hugepage_limits = m->n_hugepage_limits;
		for (size_t i = 0; i < m->n_hugepage_limits; i++) {
			const Runtime__V1__HugepageLimit *h = m->hugepage_limits[i];
			r->hugepage_limits[i].page_size = c_str(c, h ? h->page_size : NULL);
			r->hugepage_limits[i].limit = h ? h->limit : 0;
		}
	}
	KV(c, m, unified, r);
	r->memory_swap_limit_in_bytes = m->memory_swap_limit_in_bytes;
	return r;
}

static void c_filesystem(conv *c, const Runtime__V1__FilesystemUsage *m,
                         kube_cri_filesystem_usage *out)
{
	out->timestamp = m ? m->timestamp : 0;
	out->mountpoint = c_str(c, m && m->fs_id ? m->fs_id->mountpoint : NULL);
	out->used_bytes = c_u64(m ? m->used_bytes : NULL);
	out->inodes_used = c_u64(m ? m->inodes_used : NULL);
}

static void c_stats(conv *c, const Runtime__V1__ContainerStats *m, kube_cri_container_stats *out)
{
	const Runtime__V1__ContainerAttributes *at = m ? m->attributes : NULL;
	out->id = c_str(c, at ? at->id : NULL);
	c_container_metadata(c, at ? at->metadata : NULL, &out->metadata);
	if (at) {
		KV(c, at, labels, out);
		KV(c, at, annotations, out);
	}
	if (m && m->cpu) {
		out->has_cpu = 1;
		out->cpu.timestamp = m->cpu->timestamp;
		out->cpu.usage_core_nano_seconds = c_u64(m->cpu->usage_core_nano_seconds);
		out->cpu.usage_nano_cores = c_u64(m->cpu->usage_nano_cores);
	}
	if (m && m->memory) {
		const Runtime__V1__MemoryUsage *mu = m->memory;
		out->has_memory = 1;
		out->memory.timestamp = mu->timestamp;
		out->memory.working_set_bytes = c_u64(mu->working_set_bytes);
		out->memory.available_bytes = c_u64(mu->available_bytes);
		out->memory.usage_bytes = c_u64(mu->usage_bytes);
		out->memory.rss_bytes = c_u64(mu->rss_bytes);
		out->memory.page_faults = c_u64(mu->page_faults);
		out->memory.major_page_faults = c_u64(mu->major_page_faults);
	}
	out->has_writable_layer = m && m->writable_layer;
	/* mountpoint is always a string, also without a writable layer */
	c_filesystem(c, m ? m->writable_layer : NULL, &out->writable_layer);
}

static void c_image(conv *c, const Runtime__V1__Image *m, kube_cri_image *out)
{
	out->id = c_str(c, m->id);
	out->repo_tags = c_strv(c, m->repo_tags, m->n_repo_tags, &out->n_repo_tags);
	out->repo_digests = c_strv(c, m->repo_digests, m->n_repo_digests, &out->n_repo_digests);
	out->size = m->size;
	out->uid = c_i64(m->uid);
	out->username = c_str(c, m->username);
	out->spec_image = c_str(c, m->spec ? m->spec->image : NULL);
	out->pinned = m->pinned != 0;
}

/* One converter per response type: from the unpacked message to a new
 * result (NULL on allocation failure, with whatever was made freed). */

static void *r_version(conv *c, const ProtobufCMessage *pm)
{
	const Runtime__V1__VersionResponse *m = (const void *)pm;
	kube_cri_version *v = kube_calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->struct_size = sizeof(*v);
	v->version = c_str(c, m->version);
	v->runtime_name = c_str(c, m->runtime_name);
	v->runtime_version = c_str(c, m->runtime_version);
	v->runtime_api_version = c_str(c, m->runtime_api_version);
	if (c->failed)
		kube_cri_version_free(v), v = NULL;
	return v;
}

static void *r_status(conv *c, const ProtobufCMessage *pm)
{
	const Runtime__V1__StatusResponse *m = (const void *)pm;
	kube_cri_runtime_status *s = kube_calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->struct_size = sizeof(*s);
	if (m->status) {
		size_t n = m->status->n_conditions;
		s->conditions = c_array(c, n, sizeof(*s->conditions));
		if (s->conditions) {
			s->n_conditions = n;
			for (size_t i = 0; i < n; i++) {
				const Runtime__V1__RuntimeCondition *rc = m->status->conditions[i];
				s->conditions[i].type = c_str(c, rc ? rc->type : NULL);
				s->conditions[i].status = rc && rc->status;
				s->conditions[i].reason = c_str(c, rc ? rc->reason : NULL);
				s->conditions[i].message = c_str(c, rc ? rc->message : NULL);
			}
		}
	}
	KV(c, m, info, s);
	if (c->failed)
		kube_cri_runtime_status_free(s), s = NULL;
	return s;
}

static void *r_sandbox_status(conv *c, const ProtobufCMessage *pm)
{
	const Runtime__V1__PodSandboxStatusResponse *m = (const void *)pm;
	const Runtime__V1__PodSandboxStatus *st = m->status;
	kube_cri_sandbox_status *s = kube_calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->struct_size = sizeof(*s);
	s->id = c_str(c, st ? st->id : NULL);
	c_sandbox_metadata(c, st ? st->metadata : NULL, &s->metadata);
	s->state = st ? (int32_t)st->state : 0;
	s->created_at = st ? st->created_at : 0;
	s->network_ip = c_str(c, st && st->network ? st->network->ip : NULL);
	if (st && st->network && st->network->n_additional_ips) {
		size_t n = st->network->n_additional_ips;
		s->network_additional_ips = c_array(c, n, sizeof(char *));
		if (s->network_additional_ips) {
			s->n_network_additional_ips = n;
			for (size_t i = 0; i < n; i++) {
				const Runtime__V1__PodIP *ip = st->network->additional_ips[i];
				s->network_additional_ips[i] = c_str(c, ip ? ip->ip : NULL);
			}
		}
	}
	const Runtime__V1__NamespaceOption *ns =
		st && st->linux && st->linux->namespaces ? st->linux->namespaces->options : NULL;
	if (ns) {
		s->linux_namespaces.network = ns->network;
		s->linux_namespaces.pid = ns->pid;
		s->linux_namespaces.ipc = ns->ipc;
	}
	s->linux_namespaces.target_id = c_str(c, ns ? ns->target_id : NULL);
	if (st) {
		KV(c, st, labels, s);
		KV(c, st, annotations, s);
	}
	s->runtime_handler = c_str(c, st ? st->runtime_handler : NULL);
	KV(c, m, info, s);
	if (c->failed)
		kube_cri_sandbox_status_free(s), s = NULL;
	return s;
}

static void *r_sandbox_list(conv *c, const ProtobufCMessage *pm)
{
	const Runtime__V1__ListPodSandboxResponse *m = (const void *)pm;
	kube_cri_sandbox_list *l = kube_calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->struct_size = sizeof(*l);
	l->items = c_array(c, m->n_items, sizeof(*l->items));
	if (l->items) {
		l->n_items = m->n_items;
		for (size_t i = 0; i < m->n_items; i++) {
			const Runtime__V1__PodSandbox *p = m->items[i];
			kube_cri_sandbox *s = &l->items[i];
			s->id = c_str(c, p ? p->id : NULL);
			c_sandbox_metadata(c, p ? p->metadata : NULL, &s->metadata);
			if (!p)
				continue;
			s->state = p->state;
			s->created_at = p->created_at;
			KV(c, p, labels, s);
			KV(c, p, annotations, s);
			s->runtime_handler = c_str(c, p->runtime_handler);
		}
	}
	if (c->failed)
		kube_cri_sandbox_list_free(l), l = NULL;
	return l;
}

static void *r_container_list(conv *c, const ProtobufCMessage *pm)
{
	const Runtime__V1__ListContainersResponse *m = (const void *)pm;
	kube_cri_container_list *l = kube_calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->struct_size = sizeof(*l);
	l->items = c_array(c, m->n_containers, sizeof(*l->items));
	if (l->items) {
		l->n_items = m->n_containers;
		for (size_t i = 0; i < m->n_containers; i++) {
			const Runtime__V1__Container *p = m->containers[i];
			kube_cri_container *o = &l->items[i];
			o->id = c_str(c, p ? p->id : NULL);
			o->pod_sandbox_id = c_str(c, p ? p->pod_sandbox_id : NULL);
			c_container_metadata(c, p ? p->metadata : NULL, &o->metadata);
			o->image = c_str(c, p && p->image ? p->image->image : NULL);
			o->image_ref = c_str(c, p ? p->image_ref : NULL);
			if (!p)
				continue;
			o->state = p->state;
			o->created_at = p->created_at;
			KV(c, p, labels, o);
			KV(c, p, annotations, o);
		}
	}
	if (c->failed)
		kube_cri_container_list_free(l), l = NULL;
	return l;
}

static void *r_container_status(conv *c, const ProtobufCMessage *pm)
{
	const Runtime__V1__ContainerStatusResponse *m = (const void *)pm;
	const Runtime__V1__ContainerStatus *st = m->status;
	kube_cri_container_status *s = kube_calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->struct_size = sizeof(*s);
	s->id = c_str(c, st ? st->id : NULL);
	c_container_metadata(c, st ? st->metadata : NULL, &s->metadata);
	s->image = c_str(c, st && st->image ? st->image->image : NULL);
	s->image_ref = c_str(c, st ? st->image_ref : NULL);
	s->reason = c_str(c, st ? st->reason : NULL);
	s->message = c_str(c, st ? st->message : NULL);
	s->log_path = c_str(c, st ? st->log_path : NULL);
	if (st) {
		s->state = st->state;
		s->created_at = st->created_at;
		s->started_at = st->started_at;
		s->finished_at = st->finished_at;
		s->exit_code = st->exit_code;
		KV(c, st, labels, s);
		KV(c, st, annotations, s);
		s->mounts = c_array(c, st->n_mounts, sizeof(*s->mounts));
		if (s->mounts) {
			s->n_mounts = st->n_mounts;
			for (size_t i = 0; i < st->n_mounts; i++) {
				const Runtime__V1__Mount *mt = st->mounts[i];
				s->mounts[i].container_path = c_str(c, mt ? mt->container_path : NULL);
				s->mounts[i].host_path = c_str(c, mt ? mt->host_path : NULL);
				s->mounts[i].readonly = mt && mt->readonly;
				s->mounts[i].selinux_relabel = mt && mt->selinux_relabel;
				s->mounts[i].propagation = mt ? (int32_t)mt->propagation : 0;
			}
		}
		if (st->resources)
			s->linux_resources = c_resources(c, st->resources->linux);
	}
	KV(c, m, info, s);
	if (c->failed)
		kube_cri_container_status_free(s), s = NULL;
	return s;
}

static uint8_t *c_bytes(conv *c, const ProtobufCBinaryData *b, size_t *len)
{
	/* one byte more for the NUL that makes text output printable as is */
	uint8_t *p = kube_malloc(b->len + 1);
	if (!p) {
		c->failed = 1;
		return NULL;
	}
	if (b->len)
		memcpy(p, b->data, b->len);
	p[b->len] = 0;
	*len = b->len;
	return p;
}

static void *r_exec(conv *c, const ProtobufCMessage *pm)
{
	const Runtime__V1__ExecSyncResponse *m = (const void *)pm;
	kube_cri_exec_result *r = kube_calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->struct_size = sizeof(*r);
	r->out = c_bytes(c, &m->stdout, &r->out_len);
	r->err = c_bytes(c, &m->stderr, &r->err_len);
	r->exit_code = m->exit_code;
	if (c->failed)
		kube_cri_exec_result_free(r), r = NULL;
	return r;
}

static kube_cri_container_stats_list *new_stats_list(conv *c, size_t n)
{
	kube_cri_container_stats_list *l = kube_calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->struct_size = sizeof(*l);
	l->items = c_array(c, n, sizeof(*l->items));
	if (l->items)
		l->n_items = n;
	return l;
}

/* ContainerStats: a list of one (none if the runtime sent no stats). */
static void *r_stats(conv *c, const ProtobufCMessage *pm)
{
	const Runtime__V1__ContainerStatsResponse *m = (const void *)pm;
	kube_cri_container_stats_list *l = new_stats_list(c, m->stats ? 1 : 0);
	if (!l)
		return NULL;
	if (l->items)
		c_stats(c, m->stats, &l->items[0]);
	if (c->failed)
		kube_cri_container_stats_list_free(l), l = NULL;
	return l;
}

static void *r_stats_list(conv *c, const ProtobufCMessage *pm)
{
	const Runtime__V1__ListContainerStatsResponse *m = (const void *)pm;
	kube_cri_container_stats_list *l = new_stats_list(c, m->n_stats);
	if (!l)
		return NULL;
	for (size_t i = 0; l->items && i < m->n_stats; i++)
		c_stats(c, m->stats[i], &l->items[i]);
	if (c->failed)
		kube_cri_container_stats_list_free(l), l = NULL;
	return l;
}

static void *r_image_list(conv *c, const ProtobufCMessage *pm)
{
	const Runtime__V1__ListImagesResponse *m = (const void *)pm;
	kube_cri_image_list *l = kube_calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->struct_size = sizeof(*l);
	size_t n = 0;
	for (size_t i = 0; i < m->n_images; i++)
		n += m->images[i] != NULL;
	l->items = c_array(c, n, sizeof(*l->items));
	if (l->items) {
		l->n_items = n;
		for (size_t i = 0, j = 0; i < m->n_images; i++)
			if (m->images[i])
				c_image(c, m->images[i], &l->items[j++]);
	}
	if (c->failed)
		kube_cri_image_list_free(l), l = NULL;
	return l;
}

static void *r_image_status(conv *c, const ProtobufCMessage *pm)
{
	const Runtime__V1__ImageStatusResponse *m = (const void *)pm;
	kube_cri_image_status *s = kube_calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->struct_size = sizeof(*s);
	c_image(c, m->image, &s->image);   /* the caller made sure there is one */
	KV(c, m, info, s);
	if (c->failed)
		kube_cri_image_status_free(s), s = NULL;
	return s;
}

static void *r_fs_info(conv *c, const ProtobufCMessage *pm)
{
	const Runtime__V1__ImageFsInfoResponse *m = (const void *)pm;
	kube_cri_fs_info *f = kube_calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->struct_size = sizeof(*f);
	f->image_filesystems = c_array(c, m->n_image_filesystems, sizeof(*f->image_filesystems));
	if (f->image_filesystems) {
		f->n_image_filesystems = m->n_image_filesystems;
		for (size_t i = 0; i < m->n_image_filesystems; i++)
			c_filesystem(c, m->image_filesystems[i], &f->image_filesystems[i]);
	}
	if (c->failed)
		kube_cri_fs_info_free(f), f = NULL;
	return f;
}

/* The single string of RunPodSandbox, CreateContainer and PullImage (field 1
 * of each response). */
static void *r_string(conv *c, const ProtobufCMessage *pm)
{
	const Runtime__V1__RunPodSandboxResponse *m = (const void *)pm;
	return c_str(c, m->pod_sandbox_id);
}

int kube__cri_decode(int call, const uint8_t *data, size_t len, const char *subject, void **out)
{
	*out = NULL;
	if (call < 0 || call >= KUBE__CRI_NCALLS)
		return kube__error_set(KUBE_EINVAL, NULL, "CRI: no call %d", call);
	const kube__cri_call_info *info = &calls[call];
	const ProtobufCMessageDescriptor *d = response_desc[call];
	/* the three string answers share a layout; decode them as one type */
	if (info->result == KUBE__CRI_R_STRING)
		d = &runtime__v1__run_pod_sandbox_response__descriptor;
	ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, len, data);
	if (!m)
		return kube__error_set(KUBE_EIO, NULL, "%s: malformed response (%zu bytes)",
		                       info->name, len);
	conv c = { 0 };
	void *r = NULL;
	int rc = 0;
	switch (info->result) {
	case KUBE__CRI_R_DONE:
		break;
	case KUBE__CRI_R_STRING: r = r_string(&c, m); break;
	case KUBE__CRI_R_VERSION: r = r_version(&c, m); break;
	case KUBE__CRI_R_RUNTIME_STATUS: r = r_status(&c, m); break;
	case KUBE__CRI_R_SANDBOX_STATUS: r = r_sandbox_status(&c, m); break;
	case KUBE__CRI_R_SANDBOX_LIST: r = r_sandbox_list(&c, m); break;
	case KUBE__CRI_R_CONTAINER_LIST: r = r_container_list(&c, m); break;
	case KUBE__CRI_R_CONTAINER_STATUS: r = r_container_status(&c, m); break;
	case KUBE__CRI_R_EXEC: r = r_exec(&c, m); break;
	case KUBE__CRI_R_STATS_LIST:
		r = call == KUBE__CRI_CONTAINER_STATS ? r_stats(&c, m) : r_stats_list(&c, m);
		break;
	case KUBE__CRI_R_IMAGE_LIST: r = r_image_list(&c, m); break;
	case KUBE__CRI_R_IMAGE_STATUS:
		if (!((const Runtime__V1__ImageStatusResponse *)(const void *)m)->image) {
			rc = kube__error_set(KUBE_ENOTFOUND, NULL, "%s: image \"%s\" not found",
			                     info->name, subject ? subject : "");
			break;
		}
		r = r_image_status(&c, m);
		break;
	case KUBE__CRI_R_FS_INFO: r = r_fs_info(&c, m); break;
	}
	protobuf_c_message_free_unpacked(m, NULL);
	if (rc)
		return rc;
	if (info->result != KUBE__CRI_R_DONE && !r) {
		if (info->result == KUBE__CRI_R_STRING)
			kube_free(r);
		return kube__error_oom();
	}
	*out = r;
	return 0;
}

void kube__cri_result_free(int call, void *r)
{
	const kube__cri_call_info *info = kube__cri_call(call);
	if (!info || !r)
		return;
	switch (info->result) {
	case KUBE__CRI_R_DONE: break;
	case KUBE__CRI_R_STRING: kube_free(r); break;
	case KUBE__CRI_R_VERSION: kube_cri_version_free(r); break;
	case KUBE__CRI_R_RUNTIME_STATUS: kube_cri_runtime_status_free(r); break;
	case KUBE__CRI_R_SANDBOX_STATUS: kube_cri_sandbox_status_free(r); break;
	case KUBE__CRI_R_SANDBOX_LIST: kube_cri_sandbox_list_free(r); break;
	case KUBE__CRI_R_CONTAINER_LIST: kube_cri_container_list_free(r); break;
	case KUBE__CRI_R_CONTAINER_STATUS: kube_cri_container_status_free(r); break;
	case KUBE__CRI_R_EXEC: kube_cri_exec_result_free(r); break;
	case KUBE__CRI_R_STATS_LIST: kube_cri_container_stats_list_free(r); break;
	case KUBE__CRI_R_IMAGE_LIST: kube_cri_image_list_free(r); break;
	case KUBE__CRI_R_IMAGE_STATUS: kube_cri_image_status_free(r); break;
	case KUBE__CRI_R_FS_INFO: kube_cri_fs_info_free(r); break;
	}
}
