/*
 * image.c - images from OCI image layout directories
 * (opencontainers/image-spec image-layout.md):
 *
 *   <layout>/oci-layout                 {"imageLayoutVersion": "1.0.0"}
 *   <layout>/index.json                 an image index: manifests[]
 *   <layout>/blobs/<alg>/<hex>          content, named by digest
 *
 * A reference is either an absolute path to a layout (its only manifest, or
 * the first) or a name looked up in the layouts of the configured search
 * path: a manifest whose "org.opencontainers.image.ref.name" annotation is
 * the whole reference or its tag.  A nested index is followed to the
 * manifest for this machine's architecture.  There is no registry client:
 * this runtime runs what the product ships.
 *
 * Pulling unpacks the layers, in order, into <images>/<config hex>/rootfs.
 * Each layer is extracted by tar(1) (GNU tar: it detects gzip itself,
 * refuses members that climb out with "..", and keeps numeric owners)
 * into an empty staging directory, then merged into the rootfs with the
 * layer rules: ".wh.<name>" deletes <name> from the layers below,
 * ".wh..wh..opq" empties its directory first, anything else replaces what
 * was there.  The merge never follows a symlink of the rootfs (a directory
 * is descended into only when lstat says it is one).  Calling tar rather
 * than carrying a tar and gzip reader keeps this plugin small; the price is
 * a fork per layer, once per image.  A finished rootfs is marked with
 * ".complete", so a second pull of the same image does no work.
 *
 * Every blob is checked before it is used: its digest must be well formed
 * (so it cannot name a path outside the layout) and sha256, and the file's
 * SHA-256 must be that digest, so a layout altered after it was written is
 * refused rather than unpacked.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt.h"

#define JSON_MAX (4u << 20)
#define REF_NAME "org.opencontainers.image.ref.name"

void rt_image_free(rt_image *img)
{
	if (!img)
		return;
	free(img->id);
	for (size_t i = 0; i < img->n_tags; i++)
		free(img->tags[i]);
	free(img->tags);
	free(img->rootfs);
	char **lists[] = { img->entrypoint, img->cmd, img->env };
	size_t ns[] = { img->n_entrypoint, img->n_cmd, img->n_env };
	for (int l = 0; l < 3; l++) {
		for (size_t i = 0; i < ns[l]; i++)
			free(lists[l][i]);
		free(lists[l]);
	}
	free(img->workdir);
	free(img->user);
	free(img);
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* "sha256:<hex>" -> <layout>/blobs/sha256/<hex>, refusing anything else. */
static int blob_path(char *out, size_t cap, const char *layout, const char *digest)
{
	const char *colon = digest ? strchr(digest, ':') : NULL;
	if (!colon || colon == digest || !colon[1])
		return rt_fail(KUBE_EINVAL, "runtime-process: bad digest \"%s\"", digest ? digest : "");
	for (const char *s = digest; s < colon; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
			return rt_fail(KUBE_EINVAL, "runtime-process: bad digest \"%s\"", digest);
	for (const char *s = colon + 1; *s; s++)
		if (!((*s >= 'a' && *s <= 'f') || (*s >= '0' && *s <= '9')))
			return rt_fail(KUBE_EINVAL, "runtime-process: bad digest \"%s\"", digest);
	snprintf(out, cap, "%s/blobs/%.*s/%s", layout, (int)(colon - digest), digest, colon + 1);
	return 0;
}

/* blob_path, and the file's content must hash to the digest. */
static int checked_blob(char *out, size_t cap, const char *layout, const char *digest)
{
	int rc = blob_path(out, cap, layout, digest);
	if (rc)
		return rc;
	if (strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 7 + 64)
		return rt_fail(KUBE_ENOTSUP, "runtime-process: digest \"%s\": only sha256 is supported", digest);
	char hex[65];
	if (rt_sha256_file(out, hex) != 0)
		return rt_fail(errno == ENOENT ? KUBE_ENOTFOUND : KUBE_EIO, "runtime-process: blob %s: %s",
		               out, strerror(errno));
	if (strcmp(hex, digest + 7) != 0)
		return rt_fail(KUBE_EDATALOSS, "runtime-process: blob %s does not match its digest "
		               "(sha256:%s)", out, hex);
	return 0;
}

static int load_json(json_object **out, const char *path)
{
	size_t len = 0;
	char *text = rt_read_file(path, JSON_MAX, &len);
	if (!text)
		return rt_fail(errno == ENOENT ? KUBE_ENOTFOUND : KUBE_EIO, "runtime-process: %s: %s",
		               path, strerror(errno));
	*out = json_tokener_parse(text);
	free(text);
	if (!*out)
		return rt_fail(KUBE_EINVAL, "runtime-process: %s is not JSON", path);
	return 0;
}

static const char *machine_arch(void)
{
	struct utsname u;
	if (uname(&u) != 0)
		return "amd64";
	if (strcmp(u.machine, "x86_64") == 0)
		return "amd64";
	if (strcmp(u.machine, "aarch64") == 0)
		return "arm64";
	return "unknown";
}

/* Whether a manifest descriptor answers to ref (the whole reference, or its tag). */
static int ref_matches(json_object *desc, const char *ref)
{
	json_object *ann;
	if (!json_object_object_get_ex(desc, "annotations", &ann))
		return 0;
	const char *name = jstr(ann, REF_NAME);
	if (!name)
		return 0;
	if (strcmp(name, ref) == 0)
		return 1;
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(ref, ':');
	return colon && (!slash || colon > slash) && strcmp(name, colon + 1) == 0;
}

/*
 * The manifest descriptor of ref in layout (ref NULL: the first); a nested
 * index is followed for this architecture.  *manifest is a new reference.
 */
static int find_manifest(json_object **manifest, const char *layout, const char *ref)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/index.json", layout);
	json_object *index;
	int rc = load_json(&index, p);
	if (rc)
		return rc;
	json_object *ms;
	if (!json_object_object_get_ex(index, "manifests", &ms) || !json_object_is_type(ms, json_type_array)) {
		json_object_put(index);
		return rt_fail(KUBE_EINVAL, "runtime-process: %s has no manifests", p);
	}
	json_object *pick = NULL;
	for (size_t i = 0; i < json_object_array_length(ms) && !pick; i++) {
		json_object *d = json_object_array_get_idx(ms, i);
		if (!ref || ref_matches(d, ref))
			pick = d;
	}
	if (!pick) {
		json_object_put(index);
		return rt_fail(KUBE_ENOTFOUND, "runtime-process: %s is not in %s", ref ? ref : "an image", p);
	}
	for (int depth = 0; depth < 4; depth++) {
		const char *mt = jstr(pick, "mediaType");
		if (!mt || (strstr(mt, "image.index") == NULL && strstr(mt, "manifest.list") == NULL))
			break;
		/* A nested index: choose by platform. */
		if ((rc = checked_blob(p, sizeof(p), layout, jstr(pick, "digest")))) {
			json_object_put(index);
			return rc;
		}
		json_object *sub;
		if ((rc = load_json(&sub, p))) {
			json_object_put(index);
			return rc;
		}
		json_object_put(index);
		index = sub;
		pick = NULL;
		if (json_object_object_get_ex(index, "manifests", &ms) &&
		    json_object_is_type(ms, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(ms) && !pick; i++) {
				json_object *d = json_object_array_get_idx(ms, i), *plat;
				if (json_object_object_get_ex(d, "platform", &plat) &&
				    strcmp(jstr(plat, "architecture") ? jstr(plat, "architecture") : "",
				           machine_arch()) == 0)
					pick = d;
			}
		}
		if (!pick) {
			json_object_put(index);
			return rt_fail(KUBE_ENOTFOUND, "runtime-process: no manifest for %s in %s",
			               machine_arch(), layout);
		}
	}
	*manifest = json_object_get(pick);
	json_object_put(index);
	return 0;
}

static int run_tar(const char *blob, const char *dir)
{
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0)
			dup2(devnull, 0);
		char *const argv[] = {
			"tar", "--extract", "--numeric-owner", "--same-permissions", "--no-overwrite-dir",
			"--file", (char *)blob, "--directory", (char *)dir, NULL
		};
		char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
		execve("/usr/bin/tar", argv, envp);
		execve("/bin/tar", argv, envp);
		_exit(127);
	}
	if (pid < 0)
		return rt_fail(KUBE_ERROR, "runtime-process: fork: %s", strerror(errno));
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return rt_fail(KUBE_ERROR, "runtime-process: waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return rt_fail(KUBE_EIO, "runtime-process: tar could not extract %s (status %d)", blob,
		               WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

static int is_real_dir(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Empties dir (an opaque whiteout) without removing it. */
static int empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	struct dirent *e;
	int rc = 0;
	char p[PATH_MAX];
	while ((e = readdir(d)) && !rc) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		rc = rt_remove_tree(p);
	}
	closedir(d);
	return rc;
}

/* Moves the layer in src over dst, applying whiteouts. */
static int merge(const char *src, const char *dst)
{
	char sp[PATH_MAX], dp[PATH_MAX];
	snprintf(sp, sizeof(sp), "%s/.wh..wh..opq", src);
	if (access(sp, F_OK) == 0) {
		if (empty_dir(dst) != 0 || unlink(sp) != 0)
			return -1;
	}
	DIR *d = opendir(src);
	if (!d)
		return -1;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)) && !rc) {
		const char *n = e->d_name;
		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		if (snprintf(sp, sizeof(sp), "%s/%s", src, n) >= (int)sizeof(sp)) {
			errno = ENAMETOOLONG;
			rc = -1;
			break;
		}
		if (strncmp(n, ".wh.", 4) == 0) {
			snprintf(dp, sizeof(dp), "%s/%s", dst, n + 4);
			rc = rt_remove_tree(dp) != 0 || unlink(sp) != 0 ? -1 : 0;
			continue;
		}
		if (snprintf(dp, sizeof(dp), "%s/%s", dst, n) >= (int)sizeof(dp)) {
			errno = ENAMETOOLONG;
			rc = -1;
			break;
		}
		if (is_real_dir(sp) && is_real_dir(dp)) {
			struct stat st;
			rc = merge(sp, dp);
			if (!rc && lstat(sp, &st) == 0) {
				if (lchown(dp, st.st_uid, st.st_gid) != 0 || chmod(dp, st.st_mode & 07777) != 0)
					rc = -1;
			}
			if (!rc)
				rc = rmdir(sp);
			continue;
		}
		if (rt_remove_tree(dp) != 0 || rename(sp, dp) != 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

/* A JSON array of strings -> a malloc'd char** (NULL-terminated too). */
static int str_array(json_object *o, const char *key, char ***out, size_t *n)
{
	json_object *a;
	*out = NULL;
	*n = 0;
	if (!o || !json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		return 0;
	size_t len = json_object_array_length(a);
	char **v = calloc(len + 1, sizeof(*v));
	if (!v)
		return KUBE_ENOMEM;
	for (size_t i = 0; i < len; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(a, i));
		if (!(v[i] = strdup(s ? s : ""))) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return KUBE_ENOMEM;
		}
	}
	*out = v;
	*n = len;
	return 0;
}

/* Finds the layout that holds ref: an absolute path, or a name in search. */
static int resolve(char *layout, size_t cap, json_object **manifest, const char *ref,
                   const char *search)
{
	if (ref[0] == '/') {
		snprintf(layout, cap, "%s", ref);
		return find_manifest(manifest, layout, NULL);
	}
	const char *s = search ? search : "";
	while (*s) {
		const char *colon = strchr(s, ':');
		size_t n = colon ? (size_t)(colon - s) : strlen(s);
		snprintf(layout, cap, "%.*s", (int)n, s);
		s += n + (colon ? 1 : 0);
		if (!n)
			continue;
		int rc = find_manifest(manifest, layout, ref);
		if (rc != KUBE_ENOTFOUND)
			return rc;
		/* A search directory may itself hold one layout per subdirectory. */
		DIR *d = opendir(layout);
		struct dirent *e;
		char sub[PATH_MAX + 260];
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", layout, e->d_name) >= (int)cap)
				continue;   /* too long to be a layout we could name */
			char idx[PATH_MAX + 280];
			snprintf(idx, sizeof(idx), "%s/index.json", sub);
			if (access(idx, F_OK) != 0)
				continue;
			rc = find_manifest(manifest, sub, ref);
			if (rc != KUBE_ENOTFOUND) {
				closedir(d);
				memcpy(layout, sub, strlen(sub) + 1);
				return rc;
			}
		}
		if (d)
			closedir(d);
	}
	return rt_fail(KUBE_ENOTFOUND, "runtime-process: image \"%s\" not found in %s", ref,
	               search && search[0] ? search : "(no image_path configured)");
}

static int unpack(const char *layout, json_object *layers, const char *dir, uint64_t *size)
{
	char rootfs[PATH_MAX + 16], staging[PATH_MAX + 16], mark[PATH_MAX + 16], blob[PATH_MAX];
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	snprintf(staging, sizeof(staging), "%s/staging", dir);
	snprintf(mark, sizeof(mark), "%s/.complete", dir);
	*size = 0;
	size_t n = json_object_array_length(layers);
	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(layers, i), *sz;
		if (json_object_object_get_ex(l, "size", &sz))
			*size += (uint64_t)json_object_get_int64(sz);
	}
	if (access(mark, F_OK) == 0)
		return 0;
	rt_remove_tree(rootfs);
	rt_remove_tree(staging);
	if (rt_mkdir_p(rootfs, 0755) != 0)
		return rt_fail(KUBE_EIO, "runtime-process: %s: %s", rootfs, strerror(errno));
	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(layers, i);
		int rc = checked_blob(blob, sizeof(blob), layout, jstr(l, "digest"));
		if (rc)
			return rc;
		const char *mt = jstr(l, "mediaType");
		if (mt && strstr(mt, "zstd"))
			return rt_fail(KUBE_ENOTSUP, "runtime-process: zstd layers are not supported (%s)", blob);
		if (mkdir(staging, 0755) != 0)
			return rt_fail(KUBE_EIO, "runtime-process: %s: %s", staging, strerror(errno));
		if ((rc = run_tar(blob, staging)))
			return rc;
		if (merge(staging, rootfs) != 0)
			return rt_fail(KUBE_EIO, "runtime-process: merging layer %zu of %s: %s", i, layout,
			               strerror(errno));
		rt_remove_tree(staging);
	}
	int fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return rt_fail(KUBE_EIO, "runtime-process: %s: %s", mark, strerror(errno));
	close(fd);
	return 0;
}

int rt_image_pull(rt_image **out, const char *ref, const char *search, const char *images_dir)
{
	char layout[PATH_MAX], p[PATH_MAX + 16];
	json_object *desc = NULL, *manifest = NULL, *config = NULL, *layers;
	int rc = resolve(layout, sizeof(layout), &desc, ref, search);
	if (rc)
		return rc;
	if (!(rc = checked_blob(p, sizeof(p), layout, jstr(desc, "digest"))))
		rc = load_json(&manifest, p);
	json_object_put(desc);
	if (rc)
		return rc;
	json_object *cfgdesc;
	const char *cfgdigest = NULL;
	if (json_object_object_get_ex(manifest, "config", &cfgdesc))
		cfgdigest = jstr(cfgdesc, "digest");
	if (!json_object_object_get_ex(manifest, "layers", &layers) ||
	    !json_object_is_type(layers, json_type_array) || !cfgdigest) {
		json_object_put(manifest);
		return rt_fail(KUBE_EINVAL, "runtime-process: the manifest of %s has no config or layers", ref);
	}
	if ((rc = checked_blob(p, sizeof(p), layout, cfgdigest)) || (rc = load_json(&config, p))) {
		json_object_put(manifest);
		return rc;
	}
	rt_image *img = calloc(1, sizeof(*img));
	const char *hex = strchr(cfgdigest, ':') + 1;
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s/%s", images_dir, hex) >= (int)sizeof(dir)) {
		json_object_put(manifest);
		json_object_put(config);
		free(img);
		return rt_fail(KUBE_EINVAL, "runtime-process: images directory path too long");
	}
	if (!img || !(img->id = strdup(cfgdigest)) || !(img->tags = calloc(1, sizeof(char *))) ||
	    !(img->tags[0] = strdup(ref))) {
		rc = KUBE_ENOMEM;
		goto out;
	}
	img->n_tags = 1;
	if (rt_mkdir_p(dir, 0700) != 0) {
		rc = rt_fail(KUBE_EIO, "runtime-process: %s: %s", dir, strerror(errno));
		goto out;
	}
	if ((rc = unpack(layout, layers, dir, &img->size)))
		goto out;
	snprintf(p, sizeof(p), "%s/rootfs", dir);
	json_object *cc = NULL;
	json_object_object_get_ex(config, "config", &cc);
	if (!(img->rootfs = strdup(p)) ||
	    str_array(cc, "Entrypoint", &img->entrypoint, &img->n_entrypoint) ||
	    str_array(cc, "Cmd", &img->cmd, &img->n_cmd) || str_array(cc, "Env", &img->env, &img->n_env) ||
	    (jstr(cc, "WorkingDir") && !(img->workdir = strdup(jstr(cc, "WorkingDir")))) ||
	    (jstr(cc, "User") && !(img->user = strdup(jstr(cc, "User")))))
		rc = KUBE_ENOMEM;
out:
	json_object_put(manifest);
	json_object_put(config);
	if (rc) {
		rt_image_free(img);
		return rc;
	}
	*out = img;
	return 0;
}
