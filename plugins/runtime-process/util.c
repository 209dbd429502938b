/*
 * util.c - small helpers the runtime-process files share: errors through
 * the host, the clock, and directory trees (make, remove, copy).
 *
 * Tree walks never follow symlinks (FTW_PHYS) and never leave the file
 * system they start on (FTW_MOUNT): a container's rootfs may hold links to
 * anywhere, and a mount left behind must not have its contents removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"

const kube_host_api *rt_host;

int rt_fail(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rt_host->error_set(code, msg);
}

int64_t rt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int rt_mkdir_p(const char *path, mode_t mode)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, mode) != 0 && errno != EEXIST)
				return -1;
			*s = '/';
		}
	}
	return mkdir(p, mode) != 0 && errno != EEXIST ? -1 : 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		return rmdir(path) != 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) != 0 && errno != ENOENT ? -1 : 0;
}

int rt_remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	/* Read-only directories inside an image would stop rmdir of their entries. */
	return nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* ---- copy ---- */

static __thread const char *copy_from, *copy_to;

static int copy_file(const char *src, const char *dst, const struct stat *st)
{
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return -1;
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		close(in);
		return -1;
	}
	int rc = 0;
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -1 : 0;
			break;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				rc = -1;
				break;
			}
			off += w;
		}
		if (rc)
			break;
	}
	if (!rc && (fchown(out, st->st_uid, st->st_gid) != 0 || fchmod(out, st->st_mode & 07777) != 0))
		rc = -1;
	close(in);
	if (close(out) != 0)
		rc = -1;
	return rc;
}

static int copy_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	char dst[PATH_MAX];
	if (snprintf(dst, sizeof(dst), "%s%s", copy_to, path + strlen(copy_from)) >= (int)sizeof(dst)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (S_ISDIR(st->st_mode)) {
		/* Created writable; the final mode follows at the end (post-order is not available
		 * with pre-order creation, so a read-only directory is made 0755 until then). */
		if (mkdir(dst, 0700) != 0 && errno != EEXIST)
			return -1;
		if (lchown(dst, st->st_uid, st->st_gid) != 0)
			return -1;
		return chmod(dst, (st->st_mode & 07777) | 0700);
	}
	if (S_ISREG(st->st_mode))
		return copy_file(path, dst, st);
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			return -1;
		target[n] = '\0';
		if (symlink(target, dst) != 0)
			return -1;
		return lchown(dst, st->st_uid, st->st_gid);
	}
	/* Devices and fifos: harmless, since the rootfs is mounted nodev. */
	if (mknod(dst, st->st_mode, st->st_rdev) != 0)
		return -1;
	return lchown(dst, st->st_uid, st->st_gid);
}

static int fix_dir_mode(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag != FTW_DP)
		return 0;
	char dst[PATH_MAX];
	snprintf(dst, sizeof(dst), "%s%s", copy_to, path + strlen(copy_from));
	return chmod(dst, st->st_mode & 07777);
}

int rt_copy_tree(const char *from, const char *to)
{
	copy_from = from;
	copy_to = to;
	int rc = nftw(from, copy_entry, 32, FTW_PHYS | FTW_MOUNT);
	if (!rc)
		rc = nftw(from, fix_dir_mode, 32, FTW_PHYS | FTW_MOUNT | FTW_DEPTH);
	copy_from = copy_to = NULL;
	return rc;
}

char *rt_read_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) != 0 || (size_t)st.st_size > max) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t n = 0;
	while (buf && n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}
