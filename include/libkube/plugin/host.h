/*
 * plugin/host.h - what a plugin sees of libkube: the ABI version, the entry
 * point's descriptor and the host services table.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * kube_plugin_entry.  It never links libkube: everything it needs from the
 * host (memory, logging, errors, object getters, the event loop) reaches it
 * through the kube_host_api table passed to that entry point, in the manner
 * of SQLite's sqlite3_api_routines.  This header needs only <stdint.h> and
 * <stddef.h>.
 *
 * Compatibility rules (doc/plugin-abi.md says more):
 *   - The ABI is MAJOR.MINOR.  A host loads a plugin built for the same
 *     major and a minor not newer than its own.
 *   - Every table (the host table, each vtable, each request/result struct)
 *     begins with its size and only grows at its end; each member is marked
 *     with the minor that added it.  A reader never touches a member past
 *     the struct_size it was given.
 *   - Numbers never change meaning and are never reused.
 */
#ifndef LIBKUBE_PLUGIN_HOST_H
#define LIBKUBE_PLUGIN_HOST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KUBE_PLUGIN_ABI_MAJOR 1
#define KUBE_PLUGIN_ABI_MINOR 0

/* major and minor packed in one uint32_t, as each vtable's abi_version holds them. */
#define KUBE_PLUGIN_ABI(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))
#define KUBE_PLUGIN_ABI_VERSION KUBE_PLUGIN_ABI(KUBE_PLUGIN_ABI_MAJOR, KUBE_PLUGIN_ABI_MINOR)
#define KUBE_PLUGIN_ABI_MAJOR_OF(v) ((uint32_t)(v) >> 16)
#define KUBE_PLUGIN_ABI_MINOR_OF(v) ((uint32_t)(v) & 0xffffu)

/* The size a struct must have for the members up to and including `last`. */
#define KUBE_PLUGIN_SIZE_UPTO(type, last) (offsetof(type, last) + sizeof(((type *)0)->last))

#if defined(__GNUC__) || defined(__clang__)
#  define KUBE_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#  define KUBE_PLUGIN_EXPORT
#endif

/*
 * The result codes.  They are libkube's KUBE_E* codes (libkube/error.h),
 * repeated here so that a plugin needs no other header; error.h and this
 * header share the guard, so they may be included in either order.
 */
#ifndef KUBE_ERROR_CODES_DEFINED
#define KUBE_ERROR_CODES_DEFINED
enum {
	KUBE_OK        = 0,
	KUBE_ERROR     = -1,
	KUBE_ENOMEM    = -2,
	KUBE_EINVAL    = -3,
	KUBE_ENOTFOUND = -4,
	KUBE_EEXISTS   = -5,
	KUBE_ECONFLICT = -6,
	KUBE_EGONE     = -7,
	KUBE_ENOTSUP   = -8,
	KUBE_EABI      = -9,
	KUBE_EBUSY     = -10,
	KUBE_ETIMEDOUT = -11,
	KUBE_EIO       = -12,
	KUBE_ERANGE    = -13,
	KUBE_ECANCELED = -14,
	KUBE_EPERM     = -15,
	KUBE_ENOSPC    = -16,
	KUBE_ETOOBIG   = -17,
	KUBE_EUNAVAILABLE = -18,
	KUBE_EDATALOSS    = -19,
	KUBE_EUNAUTHENTICATED = -20
};
#endif

/* What a plugin implements; the descriptor's vtable has the matching type. */
typedef enum kube_plugin_kind {
	KUBE_PLUGIN_CLOUD   = 1,   /* kube_cloud_provider (plugin/cloud.h) */
	KUBE_PLUGIN_VOLUME  = 2,   /* kube_volume_driver (plugin/volume.h) */
	KUBE_PLUGIN_RUNTIME = 3    /* kube_runtime_driver (plugin/runtime.h) */
} kube_plugin_kind;

/* Log levels, the same numbers as libkube/log.h's kube_log_level. */
enum {
	KUBE_PLUGIN_LOG_ERROR = 0,
	KUBE_PLUGIN_LOG_WARN  = 1,
	KUBE_PLUGIN_LOG_INFO  = 2,
	KUBE_PLUGIN_LOG_DEBUG = 3,
	KUBE_PLUGIN_LOG_TRACE = 4
};

/* Opaque host handles.  An object handle is a libkube kube_object. */
typedef struct kube_host_object kube_host_object;
typedef struct kube_host_loop kube_host_loop;
typedef struct kube_host_timer kube_host_timer;

/* A borrowed key/value pair (maps: parameters, secrets, contexts). */
typedef struct kube_plugin_kv {
	const char *key;
	const char *value;
} kube_plugin_kv;

/* A key/value pair the plugin allocated with host->malloc/strdup; the host frees both. */
typedef struct kube_plugin_kv_owned {
	char *key;
	char *value;
} kube_plugin_kv_owned;

/*
 * The host services.  Append-only: a member, once published, keeps its
 * offset and meaning forever.  A plugin must check struct_size before it
 * uses a member added after the minor it was built for
 * (KUBE_HOST_HAS(host, member)).
 */
typedef struct kube_host_api {
	uint32_t abi_version;   /* KUBE_PLUGIN_ABI(major, minor) of the host */
	uint32_t struct_size;   /* sizeof(kube_host_api) in the host */

	/* -- memory: everything that crosses the boundary (1.0) -- */
	void *(*malloc)(size_t size);                         /* 1.0 */
	void *(*calloc)(size_t count, size_t size);           /* 1.0 */
	void *(*realloc)(void *ptr, size_t size);             /* 1.0 */
	char *(*strdup)(const char *s);                       /* 1.0: NULL in, NULL out */
	void (*free)(void *ptr);                              /* 1.0 */

	/* -- logging, through the embedder's sink (1.0) -- */
	int (*log_enabled)(int level);                        /* 1.0 */
	void (*log)(int level, const char *plugin, const char *message);   /* 1.0 */

	/*
	 * -- errors (1.0) --
	 * Records code and message as the calling thread's error (what the
	 * embedder reads with kube_error_last()) and returns code, so a plugin
	 * writes `return host->error_set(KUBE_EEXISTS, "...")`.
	 */
	int (*error_set)(int code, const char *message);      /* 1.0 */

	/*
	 * -- objects (1.0) --
	 * Read-only getters on objects the host lends for one call.  Strings are
	 * borrowed from the object.  The path getters take libkube's dotted
	 * paths ("spec.ports[0].port") and return 0, KUBE_ENOTFOUND or
	 * KUBE_EINVAL (wrong type).
	 */
	const char *(*object_kind)(const kube_host_object *o);             /* 1.0 */
	const char *(*object_namespace)(const kube_host_object *o);        /* 1.0 */
	const char *(*object_name)(const kube_host_object *o);             /* 1.0 */
	const char *(*object_uid)(const kube_host_object *o);              /* 1.0 */
	const char *(*object_label)(const kube_host_object *o, const char *key);       /* 1.0 */
	const char *(*object_annotation)(const kube_host_object *o, const char *key);  /* 1.0 */
	int (*object_get_string)(const kube_host_object *o, const char *path,
	                         const char **out);                        /* 1.0 */
	int (*object_get_int)(const kube_host_object *o, const char *path,
	                      int64_t *out);                               /* 1.0 */
	int (*object_get_bool)(const kube_host_object *o, const char *path,
	                       int *out);                                  /* 1.0 */
	int (*object_get_len)(const kube_host_object *o, const char *path,
	                      size_t *out);                                /* 1.0 */
	/* Keep an object past the call: ref, then unref when done. */
	const kube_host_object *(*object_ref)(const kube_host_object *o);  /* 1.0 */
	void (*object_unref)(const kube_host_object *o);                   /* 1.0 */

	/*
	 * -- the event loop (1.0) --
	 * loop_post is thread-safe: cb(userdata) runs on the loop thread, then
	 * destroy(userdata) if given.  Timers are loop-thread only; a one-shot
	 * timer fires once after timeout_ms, then the host frees it and calls
	 * destroy.  timer_cancel frees an unfired timer (and calls destroy).
	 */
	int (*loop_post)(kube_host_loop *loop, void (*cb)(void *userdata), void *userdata,
	                 void (*destroy)(void *userdata));                 /* 1.0 */
	int (*timer_start)(kube_host_timer **out, kube_host_loop *loop, uint64_t timeout_ms,
	                   void (*cb)(void *userdata), void *userdata,
	                   void (*destroy)(void *userdata));               /* 1.0 */
	void (*timer_cancel)(kube_host_timer *timer);                      /* 1.0 */
} kube_host_api;

/* True if the host's table is large enough to hold `member`. */
#define KUBE_HOST_HAS(host, member) \
	((host)->struct_size >= KUBE_PLUGIN_SIZE_UPTO(kube_host_api, member))

/*
 * What kube_plugin_entry returns: a pointer to static data that lives as
 * long as the shared object is loaded.
 */
typedef struct kube_plugin_descriptor {
	uint32_t abi_major;     /* KUBE_PLUGIN_ABI_MAJOR the plugin was built for */
	uint32_t abi_minor;     /* KUBE_PLUGIN_ABI_MINOR the plugin was built for */
	uint32_t struct_size;   /* sizeof(kube_plugin_descriptor) */
	const char *name;       /* unique among loaded plugins of one kind, e.g. "hostpath.csi.k8s.io" */
	const char *version;    /* the plugin's own version, free-form */
	uint32_t kind;          /* kube_plugin_kind */
	const void *vtable;     /* kube_cloud_provider / kube_volume_driver */
} kube_plugin_descriptor;

#define KUBE_PLUGIN_DESCRIPTOR_SIZE_1_0 KUBE_PLUGIN_SIZE_UPTO(kube_plugin_descriptor, vtable)

/*
 * The one symbol a plugin exports.  Called once per load, before anything
 * else, on the thread that loads the plugin.  `host` stays valid until the
 * plugin is unloaded.  Return NULL to refuse to load.
 */
typedef const kube_plugin_descriptor *(*kube_plugin_entry_fn)(const kube_host_api *host);

#define KUBE_PLUGIN_ENTRY_SYMBOL "kube_plugin_entry"

/* Declares the entry point with the right visibility in a plugin. */
#define KUBE_PLUGIN_DEFINE_ENTRY(hostvar) \
	KUBE_PLUGIN_EXPORT const kube_plugin_descriptor *kube_plugin_entry(const kube_host_api *hostvar); \
	KUBE_PLUGIN_EXPORT const kube_plugin_descriptor *kube_plugin_entry(const kube_host_api *hostvar)

#ifdef __cplusplus
}
#endif

#endif /* LIBKUBE_PLUGIN_HOST_H */
