/*
 * host.c - the host services table every plugin receives, and the functions
 * that free what plugins return.
 *
 * The table is one constant, so its address is the same for every plugin
 * and it needs no initialisation.  Its members are thin wrappers over the
 * public API: a plugin sees kube_object as an opaque kube_host_object and
 * kube_loop as kube_host_loop.  Memory goes through kube_malloc, which is
 * why the host can free with kube_free what a plugin allocated.
 */
#include <string.h>

#include "plugin_private.h"
#include "libkube/labels.h"
#include "libkube/loop.h"
#include "libkube/object.h"

#define OBJ(o) ((const kube_object *)(const void *)(o))

static void *host_malloc(size_t size) { return kube_malloc(size); }
static void *host_calloc(size_t n, size_t size) { return kube_calloc(n, size); }
static void *host_realloc(void *p, size_t size) { return kube_realloc(p, size); }
static char *host_strdup(const char *s) { return s ? kube_strdup(s) : NULL; }
static void host_free(void *p) { kube_free(p); }

static int host_log_enabled(int level)
{
	return level >= KUBE_LOG_ERROR && level <= KUBE_LOG_TRACE &&
	       kube__log_enabled((kube_log_level)level);
}

static void host_log(int level, const char *plugin, const char *message)
{
	if (!host_log_enabled(level))
		return;
	kube_log_field f = { "plugin", plugin ? plugin : "" };
	kube__log((kube_log_level)level, "plugin", &f, 1, "%s", message ? message : "");
}

static int host_error_set(int code, const char *message)
{
	return kube__error_set(code, NULL, "%s", message ? message : kube_strerror(code));
}

static const char *host_object_kind(const kube_host_object *o) { return o ? kube_object_kind(OBJ(o)) : NULL; }
static const char *host_object_namespace(const kube_host_object *o) { return o ? kube_object_namespace(OBJ(o)) : NULL; }
static const char *host_object_name(const kube_host_object *o) { return o ? kube_object_name(OBJ(o)) : NULL; }
static const char *host_object_uid(const kube_host_object *o) { return o ? kube_object_uid(OBJ(o)) : NULL; }

static const char *host_object_label(const kube_host_object *o, const char *key)
{
	const kube_labels *l = o && key ? kube_object_labels(OBJ(o)) : NULL;
	return l ? kube_labels_get(l, key) : NULL;
}

static const char *host_object_annotation(const kube_host_object *o, const char *key)
{
	return o && key ? kube_object_annotation(OBJ(o), key) : NULL;
}

static int host_object_get_string(const kube_host_object *o, const char *path, const char **out)
{
	return kube_object_get_string(OBJ(o), path, out);
}

static int host_object_get_int(const kube_host_object *o, const char *path, int64_t *out)
{
	return kube_object_get_int(OBJ(o), path, out);
}

static int host_object_get_bool(const kube_host_object *o, const char *path, int *out)
{
	return kube_object_get_bool(OBJ(o), path, out);
}

static int host_object_get_len(const kube_host_object *o, const char *path, size_t *out)
{
	return kube_object_get_len(OBJ(o), path, out);
}

/* The host lends objects as const; the refcount lives beside the frozen data. */
static const kube_host_object *host_object_ref(const kube_host_object *o)
{
	if (o)
		kube_object_ref((kube_object *)(uintptr_t)o);
	return o;
}

static void host_object_unref(const kube_host_object *o)
{
	kube_object_unref((kube_object *)(uintptr_t)o);
}

static int host_loop_post(kube_host_loop *loop, void (*cb)(void *), void *userdata,
                          void (*destroy)(void *))
{
	return kube_loop_post((kube_loop *)(void *)loop, cb, userdata, destroy);
}

/* A one-shot timer: the plugin's callback, then the host frees the timer. */
typedef struct host_timer {
	kube_timer *timer;
	void (*cb)(void *);
	void (*destroy)(void *);
	void *userdata;
} host_timer;

static void host_timer_fire(kube_timer *t, void *userdata)
{
	host_timer *ht = userdata;
	ht->cb(ht->userdata);
	kube_timer_free(t);
}

static void host_timer_destroy(void *userdata)
{
	host_timer *ht = userdata;
	if (ht->destroy)
		ht->destroy(ht->userdata);
	kube_free(ht);
}

static int host_timer_start(kube_host_timer **out, kube_host_loop *loop, uint64_t timeout_ms,
                            void (*cb)(void *), void *userdata, void (*destroy)(void *))
{
	KUBE_CHECK_ARG(loop != NULL);
	KUBE_CHECK_ARG(cb != NULL);
	host_timer *ht = kube_calloc(1, sizeof(*ht));
	if (!ht)
		return kube__error_oom();
	ht->cb = cb;
	ht->destroy = destroy;
	ht->userdata = userdata;
	int rc = kube_timer_new(&ht->timer, (kube_loop *)(void *)loop, host_timer_fire, ht,
	                        host_timer_destroy);
	if (rc) {
		kube_free(ht);
		return rc;
	}
	if ((rc = kube_timer_start(ht->timer, timeout_ms, 0))) {
		kube_timer_free(ht->timer);
		return rc;
	}
	if (out)
		*out = (kube_host_timer *)(void *)ht;
	return 0;
}

static void host_timer_cancel(kube_host_timer *timer)
{
	if (timer)
		kube_timer_free(((host_timer *)(void *)timer)->timer);
}

const kube_host_api kube__host_api = {
	.abi_version = KUBE_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(kube_host_api),
	.malloc = host_malloc,
	.calloc = host_calloc,
	.realloc = host_realloc,
	.strdup = host_strdup,
	.free = host_free,
	.log_enabled = host_log_enabled,
	.log = host_log,
	.error_set = host_error_set,
	.object_kind = host_object_kind,
	.object_namespace = host_object_namespace,
	.object_name = host_object_name,
	.object_uid = host_object_uid,
	.object_label = host_object_label,
	.object_annotation = host_object_annotation,
	.object_get_string = host_object_get_string,
	.object_get_int = host_object_get_int,
	.object_get_bool = host_object_get_bool,
	.object_get_len = host_object_get_len,
	.object_ref = host_object_ref,
	.object_unref = host_object_unref,
	.loop_post = host_loop_post,
	.timer_start = host_timer_start,
	.timer_cancel = host_timer_cancel,
};

const kube_host_api *kube_plugin_host_api(void)
{
	return &kube__host_api;
}

/* ---- freeing results ---- */

void kube_plugin_kv_free(kube_plugin_kv_owned *kv, size_t n)
{
	if (!kv)
		return;
	for (size_t i = 0; i < n; i++) {
		kube_free(kv[i].key);
		kube_free(kv[i].value);
	}
	kube_free(kv);
}

/* Zero a result but keep the size the caller set. */
#define RESET(v) do { uint32_t sz_ = (v)->struct_size; memset((v), 0, sizeof(*(v))); \
                      (v)->struct_size = sz_; } while (0)

void kube_volume_info_clear(kube_volume_info *v)
{
	if (!v)
		return;
	kube_free(v->volume_id);
	kube_plugin_kv_free(v->context, v->n_context);
	kube_free(v->source_snapshot_id);
	kube_free(v->source_volume_id);
	RESET(v);
}

void kube_volume_info_array_free(kube_volume_info *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		kube_volume_info_clear(&v[i]);
	kube_free(v);
}

void kube_volume_plugin_info_clear(kube_volume_plugin_info *v)
{
	if (!v)
		return;
	kube_free(v->name);
	kube_free(v->vendor_version);
	kube_plugin_kv_free(v->manifest, v->n_manifest);
	RESET(v);
}

void kube_volume_snapshot_clear(kube_volume_snapshot *v)
{
	if (!v)
		return;
	kube_free(v->snapshot_id);
	kube_free(v->source_volume_id);
	RESET(v);
}

void kube_volume_stats_clear(kube_volume_stats *v)
{
	if (!v)
		return;
	kube_free(v->condition_message);
	RESET(v);
}

void kube_volume_node_info_clear(kube_volume_node_info *v)
{
	if (!v)
		return;
	kube_free(v->node_id);
	kube_plugin_kv_free(v->topology, v->n_topology);
	RESET(v);
}

static void addresses_free(kube_cloud_node_address *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++)
		kube_free(a[i].address);
	kube_free(a);
}

void kube_cloud_address_list_clear(kube_cloud_address_list *v)
{
	if (!v)
		return;
	addresses_free(v->items, v->n);
	RESET(v);
}

void kube_cloud_lb_status_clear(kube_cloud_lb_status *v)
{
	if (!v)
		return;
	for (size_t i = 0; v->ingress && i < v->n_ingress; i++) {
		kube_free(v->ingress[i].ip);
		kube_free(v->ingress[i].hostname);
	}
	kube_free(v->ingress);
	RESET(v);
}

void kube_cloud_zone_clear(kube_cloud_zone *v)
{
	if (!v)
		return;
	kube_free(v->failure_domain);
	kube_free(v->region);
	RESET(v);
}

void kube_cloud_instance_metadata_clear(kube_cloud_instance_metadata *v)
{
	if (!v)
		return;
	kube_free(v->provider_id);
	kube_free(v->instance_type);
	addresses_free(v->addresses, v->n_addresses);
	kube_free(v->zone);
	kube_free(v->region);
	kube_plugin_kv_free(v->additional_labels, v->n_additional_labels);
	RESET(v);
}

void kube_cloud_route_list_clear(kube_cloud_route_list *v)
{
	if (!v)
		return;
	for (size_t i = 0; v->items && i < v->n; i++) {
		kube_cloud_route *r = &v->items[i];
		kube_free(r->name);
		kube_free(r->target_node);
		kube_free(r->destination_cidr);
		addresses_free(r->target_node_addresses, r->n_target_node_addresses);
	}
	kube_free(v->items);
	RESET(v);
}

void kube_cloud_string_list_clear(kube_cloud_string_list *v)
{
	if (!v)
		return;
	for (size_t i = 0; v->items && i < v->n; i++)
		kube_free(v->items[i]);
	kube_free(v->items);
	RESET(v);
}
