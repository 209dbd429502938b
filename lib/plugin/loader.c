/*
 * loader.c - dlopen a plugin, check it against the ABI, register it.
 *
 * Nothing in a plugin runs before the file passes the safety check (a
 * shared object's constructors run inside dlopen, so a file someone else
 * could have written is refused before it is opened).  After dlopen the
 * only call into the plugin is kube_plugin_entry; its descriptor and vtable
 * are then checked field by field, in this order, and the first failure is
 * the error:
 *
 *   file/dir mode+owner -> dlopen -> entry symbol -> entry != NULL
 *   -> descriptor major == host major -> minor <= host minor
 *   -> descriptor size -> name/kind/vtable present
 *   -> vtable major/minor -> vtable size -> required methods -> unique name
 *
 * Every refusal message names the file and both ABI versions, because the
 * person reading it is usually holding a plugin built for another libkube.
 *
 * The registry is a list under one mutex; a handle is refcounted and holds
 * the host's own zeroed copy of the vtable, with NULL optional slots filled
 * by KUBE_ENOTSUP stubs (stubs.c).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_private.h"

struct kube_plugin {
	int refs;                 /* under registry_mu */
	int registered;           /* in the registry list; under registry_mu */
	struct kube_plugin *next;
	void *dl;
	char *path;
	char *name;
	char *version;
	kube_plugin_kind kind;
	uint32_t abi_minor;
	union {
		kube_volume_driver volume;
		kube_cloud_provider cloud;
		kube_runtime_driver runtime;
	} vt;
};

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static kube_plugin *registry;

#define HOST_MAJOR KUBE_PLUGIN_ABI_MAJOR
#define HOST_MINOR KUBE_PLUGIN_ABI_MINOR

static const char *kind_name(uint32_t kind)
{
	switch (kind) {
	case KUBE_PLUGIN_CLOUD: return "cloud";
	case KUBE_PLUGIN_VOLUME: return "volume";
	case KUBE_PLUGIN_RUNTIME: return "runtime";
	default: return "unknown";
	}
}

/* The size a vtable of `kind` declaring minor `minor` must at least have. */
static size_t vtable_size_needed(uint32_t kind, uint32_t minor)
{
	KUBE_UNUSED(minor);   /* one entry per minor once 1.1 exists */
	switch (kind) {
	case KUBE_PLUGIN_VOLUME: return KUBE_VOLUME_DRIVER_SIZE_1_0;
	case KUBE_PLUGIN_CLOUD: return KUBE_CLOUD_PROVIDER_SIZE_1_0;
	case KUBE_PLUGIN_RUNTIME: return KUBE_RUNTIME_DRIVER_SIZE_1_0;
	default: return 0;
	}
}

static size_t vtable_size_host(uint32_t kind)
{
	switch (kind) {
	case KUBE_PLUGIN_VOLUME: return sizeof(kube_volume_driver);
	case KUBE_PLUGIN_CLOUD: return sizeof(kube_cloud_provider);
	default: return sizeof(kube_runtime_driver);
	}
}

/* ---- file safety ---- */

static int check_mode(const char *path, const char *what, const char *shown, struct stat *st)
{
	if (stat(what, st) != 0) {
		int e = errno;
		return kube__error_set(e == ENOENT ? KUBE_ENOTFOUND : KUBE_EIO, NULL,
		                       "plugin %s: cannot stat %s: %s", path, shown, strerror(e));
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return kube__error_set(KUBE_EPERM, NULL,
		                       "plugin %s: refused: %s is writable by group or others (mode %04o)",
		                       path, shown, (unsigned)(st->st_mode & 07777));
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return kube__error_set(KUBE_EPERM, NULL,
		                       "plugin %s: refused: %s is owned by uid %u, not by root or the "
		                       "current user (uid %u)",
		                       path, shown, (unsigned)st->st_uid, (unsigned)geteuid());
	return 0;
}

/* Checks the file (after following links) and the directory that holds it. */
static int check_file_safety(const char *path, char real[PATH_MAX])
{
	struct stat st;
	if (!realpath(path, real)) {
		int e = errno;
		return kube__error_set(e == ENOENT ? KUBE_ENOTFOUND : KUBE_EIO, NULL,
		                       "plugin %s: %s", path, strerror(e));
	}
	int rc = check_mode(path, real, "the file", &st);
	if (rc)
		return rc;
	if (!S_ISREG(st.st_mode))
		return kube__error_set(KUBE_EINVAL, NULL, "plugin %s: not a regular file", path);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", real);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	char shown[PATH_MAX + 16];
	snprintf(shown, sizeof(shown), "directory %s", dir);
	return check_mode(path, dir, shown, &st);
}

/* ---- handles ---- */

static void plugin_destroy(kube_plugin *p)
{
	if (p->dl)
		dlclose(p->dl);
	kube_free(p->path);
	kube_free(p->name);
	kube_free(p->version);
	kube_free(p);
}

kube_plugin *kube_plugin_ref(kube_plugin *p)
{
	if (p) {
		pthread_mutex_lock(&registry_mu);
		p->refs++;
		pthread_mutex_unlock(&registry_mu);
	}
	return p;
}

kube_plugin *kube_plugin_unref(kube_plugin *p)
{
	if (!p)
		return NULL;
	pthread_mutex_lock(&registry_mu);
	int last = --p->refs == 0;
	pthread_mutex_unlock(&registry_mu);
	if (last)
		plugin_destroy(p);
	return NULL;
}

/* ---- the checks ---- */

#define VFMT "plugin ABI %u.%u, host ABI %u.%u"

/* Refuses with the file and both versions in the message. */
#define REFUSE(fmt, ...) \
	kube__error_set(KUBE_EABI, NULL, "plugin %s: " fmt " (" VFMT ")", path, __VA_ARGS__, \
	                d.abi_major, d.abi_minor, HOST_MAJOR, HOST_MINOR)

typedef struct required {
	size_t offset;
	const char *name;
} required;

#define REQ(type, m) { offsetof(type, m), #m }

static const required volume_required[] = {
	REQ(kube_volume_driver, open), REQ(kube_volume_driver, close),
	REQ(kube_volume_driver, get_plugin_info), REQ(kube_volume_driver, get_plugin_capabilities),
	REQ(kube_volume_driver, probe), REQ(kube_volume_driver, node_get_capabilities),
	REQ(kube_volume_driver, node_get_info), REQ(kube_volume_driver, node_publish_volume),
	REQ(kube_volume_driver, node_unpublish_volume),
};

static const required cloud_required[] = {
	REQ(kube_cloud_provider, open), REQ(kube_cloud_provider, close),
	REQ(kube_cloud_provider, provider_name), REQ(kube_cloud_provider, has_cluster_id),
};

/*
 * What a node agent cannot do without: the pod and container lifecycle and
 * the images it needs.  Streaming, stats, exec and resource updates are
 * optional (KUBE_ENOTSUP).
 */
static const required runtime_required[] = {
	REQ(kube_runtime_driver, open), REQ(kube_runtime_driver, close),
	REQ(kube_runtime_driver, version), REQ(kube_runtime_driver, status),
	REQ(kube_runtime_driver, run_pod_sandbox), REQ(kube_runtime_driver, stop_pod_sandbox),
	REQ(kube_runtime_driver, remove_pod_sandbox), REQ(kube_runtime_driver, pod_sandbox_status),
	REQ(kube_runtime_driver, list_pod_sandbox), REQ(kube_runtime_driver, create_container),
	REQ(kube_runtime_driver, start_container), REQ(kube_runtime_driver, stop_container),
	REQ(kube_runtime_driver, remove_container), REQ(kube_runtime_driver, list_containers),
	REQ(kube_runtime_driver, container_status), REQ(kube_runtime_driver, list_images),
	REQ(kube_runtime_driver, image_status), REQ(kube_runtime_driver, pull_image),
	REQ(kube_runtime_driver, remove_image),
};

static int check_descriptor(kube_plugin *p, const char *path, const kube_plugin_descriptor *raw)
{
	/* The first three members are there in every version. */
	kube_plugin_descriptor d = { 0 };
	memcpy(&d, raw, offsetof(kube_plugin_descriptor, name));

	if (d.abi_major != HOST_MAJOR)
		return REFUSE("%s", "built for a different major version of the plugin ABI");
	if (d.abi_minor > HOST_MINOR)
		return REFUSE("%s", "built for a newer minor version of the plugin ABI");
	if (d.struct_size < KUBE_PLUGIN_DESCRIPTOR_SIZE_1_0)
		return REFUSE("descriptor struct_size %u is smaller than its ABI version needs (%zu)",
		              d.struct_size, (size_t)KUBE_PLUGIN_DESCRIPTOR_SIZE_1_0);
	memcpy(&d, raw, d.struct_size < sizeof(d) ? d.struct_size : sizeof(d));
	if (!d.name || !d.name[0])
		return REFUSE("%s", "descriptor has no name");
	if (d.kind != KUBE_PLUGIN_VOLUME && d.kind != KUBE_PLUGIN_CLOUD &&
	    d.kind != KUBE_PLUGIN_RUNTIME)
		return REFUSE("unsupported plugin kind %u", d.kind);
	if (!d.vtable)
		return REFUSE("%s", "descriptor has no vtable");

	const char *kn = kind_name(d.kind);
	uint32_t vhead[2];
	memcpy(vhead, d.vtable, sizeof(vhead));
	uint32_t vmaj = KUBE_PLUGIN_ABI_MAJOR_OF(vhead[0]), vmin = KUBE_PLUGIN_ABI_MINOR_OF(vhead[0]);
	if (vmaj != HOST_MAJOR || vmin > HOST_MINOR)
		return REFUSE("%s vtable declares ABI %u.%u, which this host cannot use", kn, vmaj, vmin);
	size_t need = vtable_size_needed(d.kind, vmin);
	if (vhead[1] < need)
		return REFUSE("%s vtable struct_size %u is smaller than ABI %u.%u needs (%zu)",
		              kn, vhead[1], vmaj, vmin, need);

	size_t have = vtable_size_host(d.kind);
	memcpy(&p->vt, d.vtable, vhead[1] < have ? vhead[1] : have);
	const required *req = cloud_required;
	size_t nreq = KUBE_ARRAY_SIZE(cloud_required);
	if (d.kind == KUBE_PLUGIN_VOLUME) {
		req = volume_required;
		nreq = KUBE_ARRAY_SIZE(volume_required);
	} else if (d.kind == KUBE_PLUGIN_RUNTIME) {
		req = runtime_required;
		nreq = KUBE_ARRAY_SIZE(runtime_required);
	}
	for (size_t i = 0; i < nreq; i++) {
		void (*fn)(void);
		memcpy(&fn, (const char *)&p->vt + req[i].offset, sizeof(fn));
		if (!fn)
			return REFUSE("required method %s.%s is NULL", kn, req[i].name);
	}
	if (d.kind == KUBE_PLUGIN_VOLUME)
		kube__volume_fill_stubs(&p->vt.volume);
	else if (d.kind == KUBE_PLUGIN_RUNTIME)
		kube__runtime_fill_stubs(&p->vt.runtime);
	else
		kube__cloud_fill_stubs(&p->vt.cloud);

	p->kind = (kube_plugin_kind)d.kind;
	p->abi_minor = d.abi_minor;
	p->name = kube_strdup(d.name);
	p->version = kube_strdup(d.version ? d.version : "");
	if (!p->name || !p->version)
		return kube__error_oom();

	pthread_mutex_lock(&registry_mu);
	for (kube_plugin *q = registry; q; q = q->next) {
		if (q->kind == p->kind && strcmp(q->name, p->name) == 0) {
			int rc = REFUSE("a %s plugin named \"%s\" is already loaded from %s",
			                kn, p->name, q->path);
			pthread_mutex_unlock(&registry_mu);
			return rc;
		}
	}
	p->registered = 1;
	p->refs = 2;   /* the registry's and the caller's */
	p->next = registry;
	registry = p;
	pthread_mutex_unlock(&registry_mu);
	return 0;
}

int kube_plugin_load(kube_plugin **out, const char *path)
{
	KUBE_CHECK_ARG(out != NULL);
	KUBE_CHECK_ARG(path != NULL && path[0] != '\0');
	*out = NULL;

	char real[PATH_MAX];
	int rc = check_file_safety(path, real);
	if (rc)
		return rc;

	kube_plugin *p = kube_calloc(1, sizeof(*p));
	if (!p || !(p->path = kube_strdup(path))) {
		kube_free(p);
		return kube__error_oom();
	}
	p->dl = dlopen(real, RTLD_NOW | RTLD_LOCAL);
	if (!p->dl) {
		const char *e = dlerror();
		rc = kube__error_set(KUBE_EABI, NULL, "plugin %s: cannot be loaded: %s (host ABI %u.%u)",
		                     path, e ? e : "dlopen failed", HOST_MAJOR, HOST_MINOR);
		plugin_destroy(p);
		return rc;
	}
	kube_plugin_entry_fn entry;
	void *sym = dlsym(p->dl, KUBE_PLUGIN_ENTRY_SYMBOL);
	/* POSIX guarantees a data pointer from dlsym converts to a function pointer. */
	memcpy(&entry, &sym, sizeof(entry));
	if (!entry) {
		rc = kube__error_set(KUBE_EABI, NULL,
		                     "plugin %s: no kube_plugin_entry symbol (plugin ABI unknown, "
		                     "host ABI %u.%u)", path, HOST_MAJOR, HOST_MINOR);
		plugin_destroy(p);
		return rc;
	}
	const kube_plugin_descriptor *desc = entry(&kube__host_api);
	if (!desc) {
		rc = kube__error_set(KUBE_EABI, NULL,
		                     "plugin %s: kube_plugin_entry returned NULL (plugin ABI unknown, "
		                     "host ABI %u.%u)", path, HOST_MAJOR, HOST_MINOR);
		plugin_destroy(p);
		return rc;
	}
	if ((rc = check_descriptor(p, path, desc))) {
		plugin_destroy(p);
		return rc;
	}
	KUBE_LOG(KUBE_LOG_INFO, "plugin", "loaded %s plugin %s %s from %s", kind_name(p->kind),
	         p->name, p->version, path);
	*out = p;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int kube_plugin_load_dir(const char *dir, size_t *loaded)
{
	KUBE_CHECK_ARG(dir != NULL);
	if (loaded)
		*loaded = 0;
	struct stat st;
	int rc = check_mode(dir, dir, "the directory", &st);
	if (rc)
		return rc;
	DIR *d = opendir(dir);
	if (!d)
		return kube__error_set(KUBE_EIO, NULL, "plugin directory %s: %s", dir, strerror(errno));
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	rc = 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 4 || strcmp(e->d_name + len - 3, ".so") != 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			char **nn = kube_realloc(names, ncap * sizeof(*nn));
			if (!nn) {
				rc = kube__error_oom();
				break;
			}
			names = nn;
			cap = ncap;
		}
		if (!(names[n] = kube_strdup(e->d_name))) {
			rc = kube__error_oom();
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (!rc) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			kube_plugin *p = NULL;
			if (kube_plugin_load(&p, path) == 0) {
				kube_plugin_unref(p);   /* the registry keeps its reference */
				if (loaded)
					(*loaded)++;
			} else {
				KUBE_LOG(KUBE_LOG_WARN, "plugin", "%s", kube_error_last()->message);
			}
		}
		kube_free(names[i]);
	}
	kube_free(names);
	if (!rc)
		kube_error_clear();
	return rc;
}

int kube_plugin_lookup(kube_plugin **out, kube_plugin_kind kind, const char *name)
{
	KUBE_CHECK_ARG(out != NULL);
	KUBE_CHECK_ARG(name != NULL);
	*out = NULL;
	pthread_mutex_lock(&registry_mu);
	for (kube_plugin *q = registry; q; q = q->next) {
		if (q->kind == kind && strcmp(q->name, name) == 0) {
			q->refs++;
			*out = q;
			break;
		}
	}
	pthread_mutex_unlock(&registry_mu);
	if (!*out)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "no %s plugin named \"%s\" is loaded",
		                       kind_name(kind), name);
	return 0;
}

int kube_plugin_unload(kube_plugin *p)
{
	KUBE_CHECK_ARG(p != NULL);
	pthread_mutex_lock(&registry_mu);
	int found = 0;
	for (kube_plugin **pp = &registry; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			p->next = NULL;
			p->registered = 0;
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&registry_mu);
	if (!found)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "plugin %s is not loaded", p->name);
	kube_plugin_unref(p);
	return 0;
}

void kube_plugin_unload_all(void)
{
	pthread_mutex_lock(&registry_mu);
	kube_plugin *list = registry;
	registry = NULL;
	for (kube_plugin *q = list; q; q = q->next)
		q->registered = 0;
	pthread_mutex_unlock(&registry_mu);
	while (list) {
		kube_plugin *next = list->next;
		list->next = NULL;
		kube_plugin_unref(list);
		list = next;
	}
}

const char *kube_plugin_name(const kube_plugin *p) { return p ? p->name : NULL; }
const char *kube_plugin_version(const kube_plugin *p) { return p ? p->version : NULL; }
const char *kube_plugin_path(const kube_plugin *p) { return p ? p->path : NULL; }
kube_plugin_kind kube_plugin_get_kind(const kube_plugin *p) { return p ? p->kind : (kube_plugin_kind)0; }
uint32_t kube_plugin_abi_minor(const kube_plugin *p) { return p ? p->abi_minor : 0; }

const kube_volume_driver *kube_plugin_volume(const kube_plugin *p)
{
	return p && p->kind == KUBE_PLUGIN_VOLUME ? &p->vt.volume : NULL;
}

const kube_cloud_provider *kube_plugin_cloud(const kube_plugin *p)
{
	return p && p->kind == KUBE_PLUGIN_CLOUD ? &p->vt.cloud : NULL;
}

const kube_runtime_driver *kube_plugin_runtime(const kube_plugin *p)
{
	return p && p->kind == KUBE_PLUGIN_RUNTIME ? &p->vt.runtime : NULL;
}
