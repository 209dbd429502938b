/*
 * hostpath.c - the volume-hostpath reference plugin: CSI volumes as
 * directories under one root directory of this machine.
 *
 * Layout under the root (config "root=/path"):
 *
 *   <root>/volumes/<volume id>/     the volume's data
 *   <root>/meta/<volume id>         "capacity=<bytes>\n": what CreateVolume
 *                                   granted, for the idempotency check
 *   <root>/meta/<volume id>.source  the snapshot it was restored from, if any
 *   <root>/snapshots/<id>/data/     a snapshot: a copy of the volume's files
 *   <root>/snapshots/<id>/info      "source=<volume id>\nsize=<bytes>\ntime=<s>\n"
 *
 * The volume id is the CO's name, so a repeated CreateVolume finds its
 * volume by name after a restart too; names that are not safe as one path
 * component are refused.  Capacity is advisory (a directory has no size
 * limit): CreateVolume records the requested size and refuses one larger
 * than the free space statvfs reports.
 *
 * NodePublish bind-mounts the volume onto the target path when the process
 * may mount (root with CAP_SYS_ADMIN); otherwise, and whenever the config
 * says "publish=symlink", the target becomes a symlink to the volume
 * directory.  The fallback lets the tests run unprivileged; it cannot make
 * a volume read-only, so a readonly publish in symlink mode is refused with
 * FAILED_PRECONDITION rather than silently granted read-write.
 *
 * Every call takes the instance mutex: CSI lets calls arrive concurrently
 * and the checks below are check-then-act on the file system.
 *
 * Built with -DHOSTPATH_BREAK_IDEMPOTENCY it breaks CSI's idempotency
 * rules on purpose, as a fixture the conformance kit must fail.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "libkube/plugin/volume.h"

#define PLUGIN_NAME "hostpath.csi.libkube.io"
#define PLUGIN_VERSION "0.1.0"
#define MAX_NAME 128   /* CSI's string limit */

static const kube_host_api *host;

enum { PUBLISH_AUTO, PUBLISH_BIND, PUBLISH_SYMLINK };

typedef struct hostpath {
	pthread_mutex_t mu;
	char root[PATH_MAX / 2];   /* leaves room for "/volumes/<id>" */
	char node_id[256];
	int publish_mode;
} hostpath;

/* Reports through the host and returns code. */
static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return host->error_set(code, msg);
}

static int valid_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > MAX_NAME || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (id[i] == '/' || (unsigned char)id[i] < 0x20)
			return 0;
	return 1;
}

static void vol_path(const hostpath *hp, const char *id, char *out, size_t n)
{
	snprintf(out, n, "%s/volumes/%s", hp->root, id);
}

static void meta_path(const hostpath *hp, const char *id, char *out, size_t n)
{
	snprintf(out, n, "%s/meta/%s", hp->root, id);
}

static int volume_exists(const hostpath *hp, const char *id)
{
	char p[PATH_MAX];
	struct stat st;
	vol_path(hp, id, p, sizeof(p));
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The recorded capacity, or -1 if there is no record. */
static int64_t read_capacity(const hostpath *hp, const char *id)
{
	char p[PATH_MAX];
	meta_path(hp, id, p, sizeof(p));
	FILE *f = fopen(p, "r");
	if (!f)
		return -1;
	long long cap = -1;
	if (fscanf(f, "capacity=%lld", &cap) != 1)
		cap = -1;
	fclose(f);
	return cap;
}

static int write_capacity(const hostpath *hp, const char *id, int64_t cap)
{
	char p[PATH_MAX], tmp[PATH_MAX + 8];
	meta_path(hp, id, p, sizeof(p));
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	int ok = fprintf(f, "capacity=%lld\n", (long long)cap) > 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, p) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = buf + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			if (mkdir(buf, 0755) != 0 && errno != EEXIST)
				return -1;
			*s = '/';
		}
	}
	return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* ---- open/close ---- */

static int hp_open(void **out, const char *config, size_t len, kube_host_loop *loop)
{
	(void)loop;
	hostpath *hp = host->calloc(1, sizeof(*hp));
	if (!hp)
		return KUBE_ENOMEM;
	if (gethostname(hp->node_id, sizeof(hp->node_id) - 1) != 0)
		snprintf(hp->node_id, sizeof(hp->node_id), "localhost");
	/* Config: "key=value" lines; root is required. */
	size_t i = 0;
	int rc = 0;
	while (config && i < len && !rc) {
		size_t j = i;
		while (j < len && config[j] != '\n')
			j++;
		char line[PATH_MAX + 32];
		size_t ll = j - i < sizeof(line) - 1 ? j - i : sizeof(line) - 1;
		memcpy(line, config + i, ll);
		line[ll] = '\0';
		i = j + 1;
		char *eq = strchr(line, '=');
		if (!line[0] || line[0] == '#')
			continue;
		if (!eq) {
			rc = fail(KUBE_EINVAL, "hostpath: config line \"%s\" is not key=value", line);
			break;
		}
		*eq = '\0';
		const char *v = eq + 1;
		if (strcmp(line, "root") == 0)
			snprintf(hp->root, sizeof(hp->root), "%s", v);
		else if (strcmp(line, "node_id") == 0)
			snprintf(hp->node_id, sizeof(hp->node_id), "%s", v);
		else if (strcmp(line, "publish") == 0 && strcmp(v, "bind") == 0)
			hp->publish_mode = PUBLISH_BIND;
		else if (strcmp(line, "publish") == 0 && strcmp(v, "symlink") == 0)
			hp->publish_mode = PUBLISH_SYMLINK;
		else if (strcmp(line, "publish") == 0 && strcmp(v, "auto") == 0)
			hp->publish_mode = PUBLISH_AUTO;
		else
			rc = fail(KUBE_EINVAL, "hostpath: unknown config key \"%s\"", line);
	}
	if (!rc && hp->root[0] != '/')
		rc = fail(KUBE_EINVAL, "hostpath: config needs root=<absolute path>");
	if (!rc) {
		char p[PATH_MAX + 16];
		snprintf(p, sizeof(p), "%s/volumes", hp->root);
		if (mkdir_p(p) != 0)
			rc = fail(KUBE_EIO, "hostpath: cannot create %s: %s", p, strerror(errno));
		snprintf(p, sizeof(p), "%s/meta", hp->root);
		if (!rc && mkdir_p(p) != 0)
			rc = fail(KUBE_EIO, "hostpath: cannot create %s: %s", p, strerror(errno));
		snprintf(p, sizeof(p), "%s/snapshots", hp->root);
		if (!rc && mkdir_p(p) != 0)
			rc = fail(KUBE_EIO, "hostpath: cannot create %s: %s", p, strerror(errno));
	}
	if (rc) {
		host->free(hp);
		return rc;
	}
	pthread_mutex_init(&hp->mu, NULL);
	*out = hp;
	return 0;
}

static void hp_close(void *self)
{
	hostpath *hp = self;
	if (!hp)
		return;
	pthread_mutex_destroy(&hp->mu);
	host->free(hp);
}

/* ---- identity ---- */

static int hp_get_plugin_info(void *self, kube_volume_plugin_info *out)
{
	(void)self;
	out->name = host->strdup(PLUGIN_NAME);
	out->vendor_version = host->strdup(PLUGIN_VERSION);
	return out->name && out->vendor_version ? 0 : KUBE_ENOMEM;
}

static int hp_get_plugin_capabilities(void *self, kube_volume_plugin_caps *out)
{
	(void)self;
	out->services = KUBE_VOLUME_CAP(KUBE_VOLUME_PLUGIN_CONTROLLER_SERVICE);
	out->volume_expansion = KUBE_VOLUME_EXPANSION_ONLINE;   /* a record to change */
	return 0;
}

static int hp_probe(void *self, int *ready)
{
	hostpath *hp = self;
	*ready = access(hp->root, W_OK) == 0;
	return 0;
}

/* ---- controller ---- */

static int hp_controller_get_capabilities(void *self, uint64_t *rpcs)
{
	(void)self;
	*rpcs = KUBE_VOLUME_CAP(KUBE_VOLUME_CTRL_CREATE_DELETE_VOLUME) |
	        KUBE_VOLUME_CAP(KUBE_VOLUME_CTRL_LIST_VOLUMES) |
	        KUBE_VOLUME_CAP(KUBE_VOLUME_CTRL_GET_CAPACITY) |
	        KUBE_VOLUME_CAP(KUBE_VOLUME_CTRL_CREATE_DELETE_SNAPSHOT) |
	        KUBE_VOLUME_CAP(KUBE_VOLUME_CTRL_LIST_SNAPSHOTS) |
	        KUBE_VOLUME_CAP(KUBE_VOLUME_CTRL_EXPAND_VOLUME);
	return 0;
}

static int check_caps(const kube_volume_capability *caps, size_t n)
{
	if (!caps || n == 0)
		return fail(KUBE_EINVAL, "volume capabilities missing in request");
	for (size_t i = 0; i < n; i++) {
		if (caps[i].access_type != KUBE_VOLUME_ACCESS_MOUNT)
			return fail(KUBE_EINVAL, "hostpath: block access type is not supported");
		if (caps[i].access_mode == KUBE_VOLUME_MODE_UNKNOWN)
			return fail(KUBE_EINVAL, "access mode missing in volume capability");
	}
	return 0;
}

static int64_t available_bytes(const hostpath *hp)
{
	struct statvfs vfs;
	if (statvfs(hp->root, &vfs) != 0)
		return -1;
	return (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize;
}

/* ---- snapshots: helpers ---- */

static void snap_path(const hostpath *hp, const char *id, const char *leaf, char *out, size_t n)
{
	snprintf(out, n, "%s/snapshots/%s%s%s", hp->root, id, leaf ? "/" : "", leaf ? leaf : "");
}

typedef struct snap_info {
	char source[MAX_NAME + 64];   /* as long as a line of the info file */
	long long size;
	long long time;
} snap_info;

static int read_snap(const hostpath *hp, const char *id, snap_info *si)
{
	char p[PATH_MAX];
	snap_path(hp, id, "info", p, sizeof(p));
	FILE *f = fopen(p, "r");
	if (!f)
		return -1;
	/* Line by line: a volume id may hold spaces. */
	char line[MAX_NAME + 64];
	int have = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "source=", 7) == 0) {
			snprintf(si->source, sizeof(si->source), "%s", line + 7);
			have |= 1;
		} else if (sscanf(line, "size=%lld", &si->size) == 1) {
			have |= 2;
		} else if (sscanf(line, "time=%lld", &si->time) == 1) {
			have |= 4;
		}
	}
	fclose(f);
	return have == 7 ? 0 : -1;
}

/* Copies the tree under src into dst (which must not exist); adds the bytes copied. */
static int copy_tree(const char *src, const char *dst, int64_t *bytes)
{
	if (mkdir(dst, 0755) != 0)
		return -1;
	DIR *d = opendir(src);
	if (!d)
		return -1;
	int rc = 0;
	struct dirent *e;
	while (!rc && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char from[PATH_MAX], to[PATH_MAX];
		if (snprintf(from, sizeof(from), "%s/%s", src, e->d_name) >= (int)sizeof(from) ||
		    snprintf(to, sizeof(to), "%s/%s", dst, e->d_name) >= (int)sizeof(to)) {
			errno = ENAMETOOLONG;
			rc = -1;
			break;
		}
		struct stat st;
		if (lstat(from, &st) != 0) {
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			rc = copy_tree(from, to, bytes);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(from, target, sizeof(target) - 1);
			if (n < 0)
				rc = -1;
			else {
				target[n] = '\0';
				rc = symlink(target, to);
			}
		} else if (S_ISREG(st.st_mode)) {
			int in = open(from, O_RDONLY | O_CLOEXEC);
			int out = in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			                             st.st_mode & 07777);
			char buf[65536];
			ssize_t n = 0;
			while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0) {
				if (write(out, buf, (size_t)n) != n) {
					n = -1;
					break;
				}
				*bytes += n;
			}
			if (in < 0 || out < 0 || n < 0)
				rc = -1;
			if (in >= 0)
				close(in);
			if (out >= 0 && close(out) != 0)
				rc = -1;
		}   /* devices, fifos and sockets are not copied */
	}
	closedir(d);
	return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw);

static void remove_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static int fill_volume(const char *id, int64_t cap, kube_volume_info *out)
{
	out->volume_id = host->strdup(id);
	out->capacity_bytes = cap;
	return out->volume_id ? 0 : KUBE_ENOMEM;
}

/* Was volume id restored from snapshot `snap` (NULL: from nothing)? */
__attribute__((unused))   /* not in the idempotency-breaking fixture build */
static int same_source(const hostpath *hp, const char *id, const char *snap)
{
	char m[PATH_MAX + 8], have[MAX_NAME + 2] = "";
	meta_path(hp, id, m, sizeof(m));
	strcat(m, ".source");
	FILE *f = fopen(m, "r");
	if (f) {
		if (!fgets(have, sizeof(have), f))
			have[0] = '\0';
		fclose(f);
		have[strcspn(have, "\n")] = '\0';
	}
	return strcmp(have, snap ? snap : "") == 0;
}

static int hp_create_volume(void *self, const kube_volume_create_request *req,
                            kube_volume_info *out)
{
	hostpath *hp = self;
	if (!req->name || !req->name[0])
		return fail(KUBE_EINVAL, "volume name missing in request");
	if (!valid_id(req->name))
		return fail(KUBE_EINVAL, "hostpath: volume name \"%s\" cannot be a directory name",
		            req->name);
	int rc = check_caps(req->capabilities, req->n_capabilities);
	if (rc)
		return rc;
	if (req->required_bytes < 0 || req->limit_bytes < 0 ||
	    (req->limit_bytes && req->required_bytes > req->limit_bytes))
		return fail(KUBE_ERANGE, "capacity range: required %lld is more than limit %lld",
		            (long long)req->required_bytes, (long long)req->limit_bytes);
	if (req->source_volume_id)
		return fail(KUBE_EINVAL, "hostpath: cloning volumes is not supported");
	const char *snap = req->source_snapshot_id && req->source_snapshot_id[0]
	                   ? req->source_snapshot_id : NULL;
	snap_info si;
	if (snap && (!valid_id(snap) || read_snap(hp, snap, &si) != 0))
		return fail(KUBE_ENOTFOUND, "snapshot %s not found", snap);

	pthread_mutex_lock(&hp->mu);
	int64_t have = read_capacity(hp, req->name);
	if (have >= 0 && volume_exists(hp, req->name)) {
#ifdef HOSTPATH_BREAK_IDEMPOTENCY
		rc = fail(KUBE_EEXISTS, "volume %s already exists", req->name);
#else
		/* CSI: the same name with compatible arguments is the same volume. */
		if (have < req->required_bytes || (req->limit_bytes && have > req->limit_bytes))
			rc = fail(KUBE_EEXISTS, "volume %s already exists with capacity %lld, "
			          "incompatible with the requested range [%lld, %lld]", req->name,
			          (long long)have, (long long)req->required_bytes,
			          (long long)req->limit_bytes);
		else if (!same_source(hp, req->name, snap))
			rc = fail(KUBE_EEXISTS, "volume %s already exists with another content source",
			          req->name);
		else
			rc = fill_volume(req->name, have, out);
#endif
		pthread_mutex_unlock(&hp->mu);
		return rc;
	}
	int64_t avail = available_bytes(hp);
	if (avail >= 0 && req->required_bytes > avail) {
		pthread_mutex_unlock(&hp->mu);
		return fail(KUBE_ENOSPC, "hostpath: %lld bytes requested, %lld available",
		            (long long)req->required_bytes, (long long)avail);
	}
	char p[PATH_MAX];
	vol_path(hp, req->name, p, sizeof(p));
	int64_t copied = 0;
	if (snap) {
		char from[PATH_MAX], m[PATH_MAX + 8];
		snap_path(hp, snap, "data", from, sizeof(from));
		remove_tree(p);   /* a half-made copy of a crashed attempt */
		meta_path(hp, req->name, m, sizeof(m));
		strcat(m, ".source");
		FILE *f = NULL;
		if (copy_tree(from, p, &copied) != 0 || !(f = fopen(m, "w")) ||
		    fprintf(f, "%s\n", snap) < 0 || fclose(f) != 0) {
			int e = errno;
			remove_tree(p);
			pthread_mutex_unlock(&hp->mu);
			return fail(KUBE_EIO, "hostpath: restoring snapshot %s: %s", snap, strerror(e));
		}
	}
	if (!snap && mkdir(p, 0755) != 0 && errno != EEXIST)
		rc = fail(KUBE_EIO, "hostpath: mkdir %s: %s", p, strerror(errno));
	else if (write_capacity(hp, req->name, req->required_bytes) != 0)
		rc = fail(KUBE_EIO, "hostpath: cannot record volume %s: %s", req->name, strerror(errno));
	else
		rc = fill_volume(req->name, req->required_bytes, out);
	pthread_mutex_unlock(&hp->mu);
	return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

/* CSI: deleting a volume that does not exist succeeds. */
static int hp_delete_volume(void *self, const char *id, const kube_plugin_kv *secrets,
                            size_t n_secrets)
{
	(void)secrets; (void)n_secrets;
	hostpath *hp = self;
	if (!id || !id[0])
		return fail(KUBE_EINVAL, "volume id missing in request");
	if (!valid_id(id))
		return 0;   /* cannot exist, so it is already deleted */
	pthread_mutex_lock(&hp->mu);
	int rc = 0;
	char p[PATH_MAX], m[PATH_MAX + 8];
	vol_path(hp, id, p, sizeof(p));
	meta_path(hp, id, m, sizeof(m));
	struct stat st;
	if (stat(p, &st) != 0) {
#ifdef HOSTPATH_BREAK_IDEMPOTENCY
		rc = fail(KUBE_ENOTFOUND, "volume %s not found", id);
#endif
	} else if (nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0) {
		rc = fail(KUBE_EIO, "hostpath: removing %s: %s", p, strerror(errno));
	}
	if (!rc) {
		unlink(m);
		strcat(m, ".source");
		unlink(m);
	}
	pthread_mutex_unlock(&hp->mu);
	return rc;
}

static int hp_validate_volume_capabilities(void *self, const char *id,
                                           const kube_volume_capability *caps, size_t n_caps,
                                           const kube_plugin_kv *params, size_t n_params,
                                           int *confirmed)
{
	(void)params; (void)n_params;
	hostpath *hp = self;
	if (!id || !id[0])
		return fail(KUBE_EINVAL, "volume id missing in request");
	if (!caps || n_caps == 0)
		return fail(KUBE_EINVAL, "volume capabilities missing in request");
	if (!valid_id(id) || !volume_exists(hp, id))
		return fail(KUBE_ENOTFOUND, "volume %s not found", id);
	*confirmed = 1;
	for (size_t i = 0; i < n_caps; i++)
		if (caps[i].access_type != KUBE_VOLUME_ACCESS_MOUNT)
			*confirmed = 0;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int hp_list_volumes(void *self, uint32_t max_entries, const char *token,
                           kube_volume_info **entries, size_t *n_entries, char **next_token)
{
	hostpath *hp = self;
	size_t start = 0;
	if (token && token[0]) {
		char *end;
		unsigned long long v = strtoull(token, &end, 10);
		if (*end || end == token)
			return fail(KUBE_EBUSY, "invalid starting_token \"%s\"", token);   /* ABORTED */
		start = (size_t)v;
	}
	char dir[PATH_MAX + 16];
	snprintf(dir, sizeof(dir), "%s/volumes", hp->root);
	pthread_mutex_lock(&hp->mu);
	DIR *d = opendir(dir);
	if (!d) {
		pthread_mutex_unlock(&hp->mu);
		return fail(KUBE_EIO, "hostpath: %s: %s", dir, strerror(errno));
	}
	char **names = NULL;
	size_t n = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) && !rc) {
		if (e->d_name[0] == '.')
			continue;
		char **nn = host->realloc(names, (n + 1) * sizeof(*nn));
		if (!nn || !(nn[n] = host->strdup(e->d_name))) {
			names = nn ? nn : names;
			rc = KUBE_ENOMEM;
			break;
		}
		names = nn;
		n++;
	}
	closedir(d);
	if (!rc && start > n)
		rc = fail(KUBE_EBUSY, "invalid starting_token \"%s\"", token);
	size_t count = 0;
	if (!rc) {
		qsort(names, n, sizeof(*names), name_cmp);
		count = n - start;
		if (max_entries && count > max_entries)
			count = max_entries;
		*entries = count ? host->calloc(count, sizeof(**entries)) : NULL;
		if (count && !*entries)
			rc = KUBE_ENOMEM;
		for (size_t i = 0; !rc && i < count; i++) {
			(*entries)[i].struct_size = sizeof(kube_volume_info);
			rc = fill_volume(names[start + i], read_capacity(hp, names[start + i]),
			                 &(*entries)[i]);
		}
		*n_entries = count;
		if (!rc && start + count < n) {
			char t[32];
			snprintf(t, sizeof(t), "%zu", start + count);
			if (!(*next_token = host->strdup(t)))
				rc = KUBE_ENOMEM;
		}
	}
	for (size_t i = 0; i < n; i++)
		host->free(names[i]);
	host->free(names);
	pthread_mutex_unlock(&hp->mu);
	return rc;
}

static int hp_get_capacity(void *self, const kube_volume_capability *caps, size_t n_caps,
                           const kube_plugin_kv *params, size_t n_params, int64_t *available)
{
	(void)caps; (void)n_caps; (void)params; (void)n_params;
	int64_t a = available_bytes(self);
	if (a < 0)
		return fail(KUBE_EIO, "hostpath: statvfs: %s", strerror(errno));
	*available = a;
	return 0;
}

/*
 * Expansion changes the recorded capacity only: a directory has no size to
 * grow, so there is nothing for the node to do either.
 */
static int hp_controller_expand_volume(void *self, const char *id, int64_t required,
                                       int64_t limit, int64_t *capacity, int *node_expansion)
{
	hostpath *hp = self;
	if (!id || !id[0])
		return fail(KUBE_EINVAL, "volume id missing in request");
	if (required <= 0 && limit <= 0)
		return fail(KUBE_EINVAL, "capacity range missing in request");
	if (required < 0 || limit < 0 || (limit && required > limit))
		return fail(KUBE_ERANGE, "capacity range: required %lld is more than limit %lld",
		            (long long)required, (long long)limit);
	pthread_mutex_lock(&hp->mu);
	int rc = 0;
	int64_t have = valid_id(id) && volume_exists(hp, id) ? read_capacity(hp, id) : -1;
	int64_t avail = available_bytes(hp);
	if (have < 0)
		rc = fail(KUBE_ENOTFOUND, "volume %s not found", id);
	else if (limit && have > limit)
		rc = fail(KUBE_ERANGE, "volume %s has %lld bytes, more than the limit %lld (no shrinking)",
		          id, (long long)have, (long long)limit);
	else if (required > have && avail >= 0 && required - have > avail)
		rc = fail(KUBE_ENOSPC, "hostpath: %lld more bytes requested, %lld available",
		          (long long)(required - have), (long long)avail);
	else if (required > have && write_capacity(hp, id, required) != 0)
		rc = fail(KUBE_EIO, "hostpath: cannot record volume %s: %s", id, strerror(errno));
	if (!rc) {
		*capacity = required > have ? required : have;
		*node_expansion = 0;
	}
	pthread_mutex_unlock(&hp->mu);
	return rc;
}

/* ---- snapshots ---- */

static int fill_snapshot(const char *id, const snap_info *si, kube_volume_snapshot *out)
{
	out->snapshot_id = host->strdup(id);
	out->source_volume_id = host->strdup(si->source);
	out->size_bytes = si->size;
	out->creation_time_s = si->time;
	out->ready_to_use = 1;
	return out->snapshot_id && out->source_volume_id ? 0 : KUBE_ENOMEM;
}

static int hp_create_snapshot(void *self, const char *source, const char *name,
                              const kube_plugin_kv *params, size_t n_params,
                              kube_volume_snapshot *out)
{
	(void)params; (void)n_params;
	hostpath *hp = self;
	if (!name || !name[0])
		return fail(KUBE_EINVAL, "snapshot name missing in request");
	if (!source || !source[0])
		return fail(KUBE_EINVAL, "source volume id missing in request");
	if (!valid_id(name))
		return fail(KUBE_EINVAL, "hostpath: snapshot name \"%s\" cannot be a directory name", name);
	pthread_mutex_lock(&hp->mu);
	int rc = 0;
	snap_info si;
	if (read_snap(hp, name, &si) == 0) {
		/* CSI: the same name and source is the same snapshot; another source is not. */
		if (strcmp(si.source, source) != 0)
			rc = fail(KUBE_EEXISTS, "snapshot %s already exists for volume %s", name, si.source);
		else
			rc = fill_snapshot(name, &si, out);
		pthread_mutex_unlock(&hp->mu);
		return rc;
	}
	if (!valid_id(source) || !volume_exists(hp, source)) {
		pthread_mutex_unlock(&hp->mu);
		return fail(KUBE_ENOTFOUND, "volume %s not found", source);
	}
	char dir[PATH_MAX], data[PATH_MAX], info[PATH_MAX], tmp[PATH_MAX + 8], from[PATH_MAX];
	snap_path(hp, name, NULL, dir, sizeof(dir));
	snap_path(hp, name, "data", data, sizeof(data));
	snap_path(hp, name, "info", info, sizeof(info));
	snprintf(tmp, sizeof(tmp), "%s.tmp", info);
	vol_path(hp, source, from, sizeof(from));
	remove_tree(dir);   /* a half-made copy of a crashed attempt: info is written last */
	int64_t size = 0;
	FILE *f = NULL;
	snprintf(si.source, sizeof(si.source), "%s", source);
	si.time = (long long)time(NULL);
	if (mkdir(dir, 0755) != 0 || copy_tree(from, data, &size) != 0 || !(f = fopen(tmp, "w")) ||
	    fprintf(f, "source=%s\nsize=%lld\ntime=%lld\n", source, (long long)size, si.time) < 0 ||
	    fclose(f) != 0 || rename(tmp, info) != 0) {
		int e = errno;
		remove_tree(dir);
		rc = fail(KUBE_EIO, "hostpath: snapshot %s of %s: %s", name, source, strerror(e));
	} else {
		si.size = size;
		rc = fill_snapshot(name, &si, out);
	}
	pthread_mutex_unlock(&hp->mu);
	return rc;
}

static int hp_delete_snapshot(void *self, const char *id)
{
	hostpath *hp = self;
	if (!id || !id[0])
		return fail(KUBE_EINVAL, "snapshot id missing in request");
	if (!valid_id(id))
		return 0;
	char dir[PATH_MAX];
	snap_path(hp, id, NULL, dir, sizeof(dir));
	pthread_mutex_lock(&hp->mu);
	remove_tree(dir);   /* unknown: already deleted, OK */
	pthread_mutex_unlock(&hp->mu);
	return 0;
}

static int hp_list_snapshots(void *self, const char *snapshot_id, const char *source,
                             uint32_t max_entries, const char *token,
                             kube_volume_snapshot **entries, size_t *n_entries,
                             char **next_token)
{
	hostpath *hp = self;
	size_t start = 0;
	if (token && token[0]) {
		char *end;
		unsigned long long v = strtoull(token, &end, 10);
		if (*end || end == token)
			return fail(KUBE_EBUSY, "invalid starting_token \"%s\"", token);   /* ABORTED */
		start = (size_t)v;
	}
	*n_entries = 0;
	char dir[PATH_MAX + 16];
	snprintf(dir, sizeof(dir), "%s/snapshots", hp->root);
	pthread_mutex_lock(&hp->mu);
	DIR *d = opendir(dir);
	if (!d) {
		pthread_mutex_unlock(&hp->mu);
		return fail(KUBE_EIO, "hostpath: %s: %s", dir, strerror(errno));
	}
	char **names = NULL;
	size_t n = 0;
	int rc = 0;
	struct dirent *e;
	snap_info si;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || read_snap(hp, e->d_name, &si) != 0)
			continue;
		if ((snapshot_id && snapshot_id[0] && strcmp(snapshot_id, e->d_name) != 0) ||
		    (source && source[0] && strcmp(source, si.source) != 0))
			continue;
		char **nn = host->realloc(names, (n + 1) * sizeof(*nn));
		if (!nn) {
			rc = KUBE_ENOMEM;
			break;
		}
		names = nn;
		if (!(names[n] = host->strdup(e->d_name))) {
			rc = KUBE_ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (!rc && start > n)
		rc = fail(KUBE_EBUSY, "invalid starting_token \"%s\"", token);
	if (!rc && n) {
		qsort(names, n, sizeof(*names), name_cmp);
		size_t count = n - start;
		if (max_entries && count > max_entries)
			count = max_entries;
		*entries = count ? host->calloc(count, sizeof(**entries)) : NULL;
		if (count && !*entries)
			rc = KUBE_ENOMEM;
		for (size_t i = 0; !rc && i < count; i++) {
			(*entries)[i].struct_size = sizeof(kube_volume_snapshot);
			if (read_snap(hp, names[start + i], &si) == 0)
				rc = fill_snapshot(names[start + i], &si, &(*entries)[i]);
		}
		*n_entries = count;
		if (!rc && start + count < n) {
			char t[32];
			snprintf(t, sizeof(t), "%zu", start + count);
			if (!(*next_token = host->strdup(t)))
				rc = KUBE_ENOMEM;
		}
	}
	for (size_t i = 0; i < n; i++)
		host->free(names[i]);
	host->free(names);
	pthread_mutex_unlock(&hp->mu);
	return rc;
}

/* ---- node ---- */

static int hp_node_get_capabilities(void *self, uint64_t *rpcs)
{
	(void)self;
	*rpcs = KUBE_VOLUME_CAP(KUBE_VOLUME_NODE_GET_VOLUME_STATS);
	return 0;
}

static int hp_node_get_info(void *self, kube_volume_node_info *out)
{
	hostpath *hp = self;
	out->node_id = host->strdup(hp->node_id);
	return out->node_id ? 0 : KUBE_ENOMEM;
}

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static int is_readonly(const char *path)
{
	struct statvfs v;
	return statvfs(path, &v) == 0 && (v.f_flag & ST_RDONLY);
}

static int hp_node_publish_volume(void *self, const kube_volume_node_request *req)
{
	hostpath *hp = self;
	if (!req->volume_id || !req->volume_id[0])
		return fail(KUBE_EINVAL, "volume id missing in request");
	if (!req->target_path || req->target_path[0] != '/')
		return fail(KUBE_EINVAL, "target path missing in request or not absolute");
	if (!req->capability)
		return fail(KUBE_EINVAL, "volume capability missing in request");
	if (!valid_id(req->volume_id) || !volume_exists(hp, req->volume_id))
		return fail(KUBE_ENOTFOUND, "volume %s not found", req->volume_id);
	if (req->capability->access_type != KUBE_VOLUME_ACCESS_MOUNT)
		return fail(KUBE_ECONFLICT, "hostpath: block access type is not supported");

	char src[PATH_MAX];
	vol_path(hp, req->volume_id, src, sizeof(src));
	const char *dst = req->target_path;
	int rc = 0;
	pthread_mutex_lock(&hp->mu);
	struct stat lst;
	if (lstat(dst, &lst) == 0) {
		/* Something is there: the same publication again is OK, anything else is not. */
		if (S_ISLNK(lst.st_mode)) {
			char to[PATH_MAX];
			ssize_t n = readlink(dst, to, sizeof(to) - 1);
			to[n > 0 ? n : 0] = '\0';
			if (strcmp(to, src) != 0)
				rc = fail(KUBE_EEXISTS, "target %s already holds another volume", dst);
			else if (req->readonly)
				rc = fail(KUBE_EEXISTS, "volume %s is published read-write at %s",
				          req->volume_id, dst);
			pthread_mutex_unlock(&hp->mu);
			return rc;
		}
		if (same_file(dst, src)) {
			if (!!req->readonly != is_readonly(dst))
				rc = fail(KUBE_EEXISTS, "volume %s is published at %s with another "
				          "readonly flag", req->volume_id, dst);
			pthread_mutex_unlock(&hp->mu);
			return rc;
		}
		if (!S_ISDIR(lst.st_mode)) {
			pthread_mutex_unlock(&hp->mu);
			return fail(KUBE_EEXISTS, "target %s already exists and is not a directory", dst);
		}
	}
	int bind = hp->publish_mode == PUBLISH_BIND ||
	           (hp->publish_mode == PUBLISH_AUTO && geteuid() == 0);
	if (bind) {
		if (mkdir(dst, 0750) != 0 && errno != EEXIST) {
			rc = fail(KUBE_EIO, "mkdir %s: %s", dst, strerror(errno));
		} else if (mount(src, dst, NULL, MS_BIND, NULL) != 0) {
			int e = errno;
			if (hp->publish_mode == PUBLISH_AUTO && (e == EPERM || e == EACCES)) {
				rmdir(dst);
				bind = 0;   /* root without CAP_SYS_ADMIN: fall back */
			} else {
				rc = fail(KUBE_EIO, "bind mount %s on %s: %s", src, dst, strerror(e));
			}
		} else if (req->readonly &&
		           mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0) {
			rc = fail(KUBE_EIO, "remount %s read-only: %s", dst, strerror(errno));
			umount2(dst, MNT_DETACH);
		}
	}
	if (!bind && !rc) {
		if (req->readonly) {
			rc = fail(KUBE_ECONFLICT, "hostpath: a read-only publish needs bind mounts, "
			          "which this process may not make");
		} else {
			rmdir(dst);   /* an empty directory the CO made is replaced by the link */
			if (symlink(src, dst) != 0)
				rc = fail(KUBE_EIO, "symlink %s -> %s: %s", dst, src, strerror(errno));
		}
	}
	pthread_mutex_unlock(&hp->mu);
	return rc;
}

static int hp_node_unpublish_volume(void *self, const char *id, const char *target)
{
	hostpath *hp = self;
	if (!id || !id[0])
		return fail(KUBE_EINVAL, "volume id missing in request");
	if (!target || !target[0])
		return fail(KUBE_EINVAL, "target path missing in request");
	if (!valid_id(id) || !volume_exists(hp, id))
		return fail(KUBE_ENOTFOUND, "volume %s not found", id);
	int rc = 0;
	pthread_mutex_lock(&hp->mu);
	struct stat lst;
	if (lstat(target, &lst) != 0) {
		/* Already gone: unpublish is idempotent. */
	} else if (S_ISLNK(lst.st_mode)) {
		if (unlink(target) != 0)
			rc = fail(KUBE_EIO, "unlink %s: %s", target, strerror(errno));
	} else {
		char src[PATH_MAX];
		vol_path(hp, id, src, sizeof(src));
		if (same_file(target, src) && umount2(target, 0) != 0)
			rc = fail(KUBE_EIO, "unmount %s: %s", target, strerror(errno));
		else if (rmdir(target) != 0 && errno != ENOENT)
			rc = fail(KUBE_EIO, "rmdir %s: %s", target, strerror(errno));
	}
	pthread_mutex_unlock(&hp->mu);
	return rc;
}

static int64_t du_total;

static int du_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path; (void)flag; (void)ftw;
	du_total += (int64_t)st->st_blocks * 512;
	return 0;
}

static int hp_node_get_volume_stats(void *self, const char *id, const char *path,
                                    kube_volume_stats *out)
{
	hostpath *hp = self;
	if (!id || !id[0] || !path || !path[0])
		return fail(KUBE_EINVAL, "volume id and volume path are required");
	if (!valid_id(id) || !volume_exists(hp, id))
		return fail(KUBE_ENOTFOUND, "volume %s not found", id);
	struct stat st;
	if (stat(path, &st) != 0)
		return fail(KUBE_ENOTFOUND, "volume path %s not found", path);
	char src[PATH_MAX];
	vol_path(hp, id, src, sizeof(src));
	struct statvfs v;
	if (statvfs(src, &v) != 0)
		return fail(KUBE_EIO, "statvfs %s: %s", src, strerror(errno));
	pthread_mutex_lock(&hp->mu);   /* du_total is shared */
	du_total = 0;
	nftw(src, du_entry, 16, FTW_PHYS | FTW_MOUNT);
	out->bytes_used = du_total;
	pthread_mutex_unlock(&hp->mu);
	out->bytes_total = (int64_t)v.f_blocks * (int64_t)v.f_frsize;
	out->bytes_available = (int64_t)v.f_bavail * (int64_t)v.f_frsize;
	out->inodes_total = (int64_t)v.f_files;
	out->inodes_available = (int64_t)v.f_favail;
	out->inodes_used = (int64_t)(v.f_files - v.f_ffree);
	return 0;
}

static const kube_volume_driver vtable = {
	.abi_version = KUBE_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(kube_volume_driver),
	.open = hp_open,
	.close = hp_close,
	.get_plugin_info = hp_get_plugin_info,
	.get_plugin_capabilities = hp_get_plugin_capabilities,
	.probe = hp_probe,
	.controller_get_capabilities = hp_controller_get_capabilities,
	.create_volume = hp_create_volume,
	.delete_volume = hp_delete_volume,
	.validate_volume_capabilities = hp_validate_volume_capabilities,
	.list_volumes = hp_list_volumes,
	.get_capacity = hp_get_capacity,
	.create_snapshot = hp_create_snapshot,
	.delete_snapshot = hp_delete_snapshot,
	.list_snapshots = hp_list_snapshots,
	.controller_expand_volume = hp_controller_expand_volume,
	.node_get_capabilities = hp_node_get_capabilities,
	.node_get_info = hp_node_get_info,
	.node_publish_volume = hp_node_publish_volume,
	.node_unpublish_volume = hp_node_unpublish_volume,
	.node_get_volume_stats = hp_node_get_volume_stats,
};

static const kube_plugin_descriptor descriptor = {
	.abi_major = KUBE_PLUGIN_ABI_MAJOR,
	.abi_minor = KUBE_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(kube_plugin_descriptor),
	.name = PLUGIN_NAME,
	.version = PLUGIN_VERSION,
	.kind = KUBE_PLUGIN_VOLUME,
	.vtable = &vtable,
};

KUBE_PLUGIN_DEFINE_ENTRY(h)
{
	/* Everything this plugin uses is in the 1.0 table. */
	if (!h || KUBE_PLUGIN_ABI_MAJOR_OF(h->abi_version) != KUBE_PLUGIN_ABI_MAJOR ||
	    !KUBE_HOST_HAS(h, error_set))
		return NULL;
	host = h;
	return &descriptor;
}
