/*
 * plugin.h - loading plugins: cloud providers, volume drivers and container
 * runtimes built as shared objects against the plugin ABI (the headers in
 * libkube/plugin/).
 *
 * The host checks a plugin before it calls anything in it (file ownership
 * and mode, the entry symbol, ABI major/minor, struct sizes, required
 * methods, a unique name), then copies the plugin's vtable into its own
 * zeroed struct and fills every missing optional method with one that
 * returns KUBE_ENOTSUP.  So the vtable the host hands out has no NULL slot:
 * call it directly.
 *
 * Loaded plugins live in one process-wide registry, keyed by kind and name.
 * Handles are refcounted; the shared object is closed when the last
 * reference goes.  All functions here are thread-safe.
 */
#ifndef LIBKUBE_PLUGIN_H
#define LIBKUBE_PLUGIN_H

#include "common.h"
#include "error.h"
#include "plugin/host.h"
#include "plugin/cloud.h"
#include "plugin/volume.h"
#include "plugin/runtime.h"

KUBE_BEGIN_DECLS

typedef struct kube_plugin kube_plugin;

/*
 * Loads one shared object, checks it and registers it.  On success *out is
 * a new reference (the registry holds another until kube_plugin_unload).
 * Errors (the message names the file and both ABI versions):
 *   KUBE_EPERM   the file or its directory is writable by group or others,
 *                or owned by neither root nor the current user
 *   KUBE_EABI    dlopen failed, no kube_plugin_entry, the entry returned
 *                NULL, a different major, a newer minor, a struct smaller
 *                than its version needs, a NULL required method, an
 *                unknown kind, or a plugin of that kind and name is loaded
 *   KUBE_ENOTFOUND  no such file
 *   KUBE_EINVAL, KUBE_ENOMEM
 */
KUBE_EXTERN int kube_plugin_load(kube_plugin **out, const char *path);

/*
 * Loads every "*.so" in dir, in name order.  A file that is refused is
 * logged (subsystem "plugin", level warn) and skipped; the directory itself
 * must pass the ownership and mode check.  *loaded (optional) is the number
 * loaded.  Returns 0 if the directory could be read, else KUBE_EPERM,
 * KUBE_ENOTFOUND, KUBE_EIO or KUBE_EINVAL.
 */
KUBE_EXTERN int kube_plugin_load_dir(const char *dir, size_t *loaded);

/* A new reference to the loaded plugin of that kind and name, or KUBE_ENOTFOUND. */
KUBE_EXTERN int kube_plugin_lookup(kube_plugin **out, kube_plugin_kind kind, const char *name);

/* Takes another reference; returns p. */
KUBE_EXTERN kube_plugin *kube_plugin_ref(kube_plugin *p);

/* Drops a reference; the last one closes the shared object.  NULL-safe; returns NULL. */
KUBE_EXTERN kube_plugin *kube_plugin_unref(kube_plugin *p);

/*
 * Removes the plugin from the registry (its name can be loaded again) and
 * drops the registry's reference.  Handles still held stay usable.
 * Returns 0, or KUBE_ENOTFOUND if it was already unloaded.
 */
KUBE_EXTERN int kube_plugin_unload(kube_plugin *p);

/* Unloads every registered plugin (for tests and shutdown). */
KUBE_EXTERN void kube_plugin_unload_all(void);

/* Borrowed strings, valid while the handle is held. */
KUBE_EXTERN const char *kube_plugin_name(const kube_plugin *p);
KUBE_EXTERN const char *kube_plugin_version(const kube_plugin *p);
KUBE_EXTERN const char *kube_plugin_path(const kube_plugin *p);
KUBE_EXTERN kube_plugin_kind kube_plugin_get_kind(const kube_plugin *p);
/* The ABI minor the plugin was built for. */
KUBE_EXTERN uint32_t kube_plugin_abi_minor(const kube_plugin *p);

/*
 * The host's copy of the vtable (no NULL slots), or NULL if the plugin is of
 * another kind.  Valid while the handle is held.
 */
KUBE_EXTERN const kube_volume_driver *kube_plugin_volume(const kube_plugin *p);
KUBE_EXTERN const kube_cloud_provider *kube_plugin_cloud(const kube_plugin *p);
KUBE_EXTERN const kube_runtime_driver *kube_plugin_runtime(const kube_plugin *p);

/* The host services table given to every plugin. */
KUBE_EXTERN const kube_host_api *kube_plugin_host_api(void);

/*
 * Release what a plugin put into a result (and zero it, keeping
 * struct_size).  NULL-safe.
 */
KUBE_EXTERN void kube_plugin_kv_free(kube_plugin_kv_owned *kv, size_t n);
KUBE_EXTERN void kube_volume_info_clear(kube_volume_info *v);
KUBE_EXTERN void kube_volume_info_array_free(kube_volume_info *v, size_t n);
KUBE_EXTERN void kube_volume_plugin_info_clear(kube_volume_plugin_info *v);
KUBE_EXTERN void kube_volume_snapshot_clear(kube_volume_snapshot *v);
KUBE_EXTERN void kube_volume_stats_clear(kube_volume_stats *v);
KUBE_EXTERN void kube_volume_node_info_clear(kube_volume_node_info *v);
KUBE_EXTERN void kube_cloud_address_list_clear(kube_cloud_address_list *v);
KUBE_EXTERN void kube_cloud_lb_status_clear(kube_cloud_lb_status *v);
KUBE_EXTERN void kube_cloud_zone_clear(kube_cloud_zone *v);
KUBE_EXTERN void kube_cloud_instance_metadata_clear(kube_cloud_instance_metadata *v);
KUBE_EXTERN void kube_cloud_route_list_clear(kube_cloud_route_list *v);
KUBE_EXTERN void kube_cloud_string_list_clear(kube_cloud_string_list *v);

/*
 * A runtime plugin's results are the CRI client's structs (cri_types.h),
 * allocated with the host's allocator, which is libkube's: release them with
 * the CRI client's kube_cri_*_free (libkube/cri.h).
 */

KUBE_END_DECLS

#endif /* LIBKUBE_PLUGIN_H */
