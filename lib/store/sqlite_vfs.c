/*
 * sqlite_vfs.c - a VFS shim that writes a commit's WAL frames in one call.
 *
 * SQLite appends a commit to the WAL frame by frame, with two pwrite(2)s
 * each (the 24-byte frame header, then the page), and then syncs the WAL.
 * A group commit of 16 pods is about 20 frames: 40 system calls, and the
 * disk's writeback sees the pages one partial page at a time.  This shim
 * sits over the default (unix) VFS and, for WAL files only, gathers writes
 * that continue one another in a buffer, and writes the buffer with one
 * pwrite before anything that must see the file: a sync, a read, a size
 * query or change, a file control, a lock change, a close.  On this
 * 2-core virtual machine that made a 20-frame commit and its fdatasync
 * some 10-15 % faster, and cost the commit thread 19 fewer system calls
 * (doc/store.md, Figures).
 *
 * What this relies on: nobody reads the frames of a commit before its
 * sync, which holds for the connections of the sqlite backend.  They run
 * with synchronous=FULL, under which SQLite syncs the WAL at every commit
 * before it publishes the new frames in the wal-index (the shared memory
 * every reader looks frames up in); a reader in another process or
 * connection finds only published frames.  The same process reading its
 * own WAL goes through xRead, which writes the buffer out first.  With
 * synchronous=NORMAL or OFF the frames would be published unsynced, and
 * a buffer could hide them from other connections: do not use this VFS
 * with them.
 *
 * A failed gathered write surfaces at the call that wrote it out (a sync,
 * most often) with what the write returned (SQLITE_FULL for a full disk),
 * and the commit fails and rolls back as if the frame write itself had
 * failed.  Everything but WAL files passes straight through: the file
 * object is the default VFS's own.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "store_private.h"

/* Past this many gathered bytes the buffer is written out: the unix VFS
 * writes at most 128 KB - 1 in one call (it masks the length with 0x1ffff,
 * as SQLite's own writes are at most a 64 KB page and its header), so a
 * larger commit goes out in 120 KB writes (14 frames of 8 KB pages). */
#define GATHER_MAX (120 * 1024)

typedef struct gather_file {
	sqlite3_file base;           /* pMethods: gather_io */
	sqlite3_file *real;          /* the default VFS's file, after this struct */
	unsigned char *buf;          /* bytes [off, off + len) of the file, unwritten */
	sqlite3_int64 off;
	size_t len, cap;
} gather_file;

static sqlite3_vfs gather_vfs;
static sqlite3_vfs *real_vfs;

/* Writes the gathered bytes out: one call.  The buffer is empty after,
 * whatever the outcome (a failed write is the caller's error now). */
static int gather_flush(gather_file *g)
{
	int rc;

	if (g->len == 0)
		return SQLITE_OK;
	rc = g->real->pMethods->xWrite(g->real, g->buf, (int)g->len, g->off);
	g->len = 0;
	return rc;
}

static int gather_close(sqlite3_file *f)
{
	gather_file *g = (gather_file *)f;
	int rc = gather_flush(g);
	int rc2 = g->real->pMethods->xClose(g->real);

	sqlite3_free(g->buf);
	g->buf = NULL;
	g->cap = 0;
	return rc != SQLITE_OK ? rc : rc2;
}

static int gather_read(sqlite3_file *f, void *out, int n, sqlite3_int64 off)
{
	gather_file *g = (gather_file *)f;
	int rc = gather_flush(g);

	return rc != SQLITE_OK ? rc : g->real->pMethods->xRead(g->real, out, n, off);
}

static int gather_write(sqlite3_file *f, const void *data, int n, sqlite3_int64 off)
{
	gather_file *g = (gather_file *)f;
	int rc;

	/* Only a write that continues the gathered bytes joins them. */
	if (g->len && (off != g->off + (sqlite3_int64)g->len || g->len + (size_t)n > GATHER_MAX) &&
	    (rc = gather_flush(g)) != SQLITE_OK)
		return rc;
	if ((size_t)n > GATHER_MAX)
		return g->real->pMethods->xWrite(g->real, data, n, off);
	if (g->len + (size_t)n > g->cap) {
		size_t cap = g->cap ? g->cap : 64 * 1024;
		unsigned char *nb;
		while (cap < g->len + (size_t)n)
			cap *= 2;
		if (!(nb = sqlite3_realloc64(g->buf, cap))) {
			/* No memory to gather: write what there is, then this. */
			if ((rc = gather_flush(g)) != SQLITE_OK)
				return rc;
			return g->real->pMethods->xWrite(g->real, data, n, off);
		}
		g->buf = nb;
		g->cap = cap;
	}
	if (g->len == 0)
		g->off = off;
	memcpy(g->buf + g->len, data, (size_t)n);
	g->len += (size_t)n;
	return SQLITE_OK;
}

static int gather_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	gather_file *g = (gather_file *)f;
	int rc = gather_flush(g);

	return rc != SQLITE_OK ? rc : g->real->pMethods->xTruncate(g->real, size);
}

static int gather_sync(sqlite3_file *f, int flags)
{
	gather_file *g = (gather_file *)f;
	int rc = gather_flush(g);

	return rc != SQLITE_OK ? rc : g->real->pMethods->xSync(g->real, flags);
}

static int gather_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	gather_file *g = (gather_file *)f;
	int rc = gather_flush(g);

	return rc != SQLITE_OK ? rc : g->real->pMethods->xFileSize(g->real, size);
}

static int gather_lock(sqlite3_file *f, int level)
{
	gather_file *g = (gather_file *)f;
	int rc = gather_flush(g);

	return rc != SQLITE_OK ? rc : g->real->pMethods->xLock(g->real, level);
}

static int gather_unlock(sqlite3_file *f, int level)
{
	gather_file *g = (gather_file *)f;
	int rc = gather_flush(g);

	return rc != SQLITE_OK ? rc : g->real->pMethods->xUnlock(g->real, level);
}

static int gather_check_reserved(sqlite3_file *f, int *out)
{
	gather_file *g = (gather_file *)f;

	return g->real->pMethods->xCheckReservedLock(g->real, out);
}

static int gather_file_control(sqlite3_file *f, int op, void *arg)
{
	gather_file *g = (gather_file *)f;
	int rc = gather_flush(g);

	return rc != SQLITE_OK ? rc : g->real->pMethods->xFileControl(g->real, op, arg);
}

static int gather_sector_size(sqlite3_file *f)
{
	gather_file *g = (gather_file *)f;

	return g->real->pMethods->xSectorSize(g->real);
}

static int gather_device_characteristics(sqlite3_file *f)
{
	gather_file *g = (gather_file *)f;

	return g->real->pMethods->xDeviceCharacteristics(g->real);
}

/* Version 1 methods: SQLite calls the shared-memory and mmap methods on
 * the database file only, never on a WAL file. */
static const sqlite3_io_methods gather_io = {
	1,
	gather_close,
	gather_read,
	gather_write,
	gather_truncate,
	gather_sync,
	gather_file_size,
	gather_lock,
	gather_unlock,
	gather_check_reserved,
	gather_file_control,
	gather_sector_size,
	gather_device_characteristics,
	NULL, NULL, NULL, NULL, NULL, NULL,
};

/* The real file sits after our struct, aligned for anything. */
#define REAL_OFFSET ((sizeof(gather_file) + 15) & ~(size_t)15)

static int gather_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
                       int *out_flags)
{
	gather_file *g = (gather_file *)f;
	sqlite3_file *real;
	int rc;

	KUBE_UNUSED(vfs);
	if (!(flags & SQLITE_OPEN_WAL))
		/* Not a WAL: the default VFS's file as it is (it fits, as
		 * szOsFile is the larger of the two). */
		return real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
	real = (sqlite3_file *)((char *)f + REAL_OFFSET);
	memset(g, 0, sizeof(*g));
	rc = real_vfs->xOpen(real_vfs, name, real, flags, out_flags);
	if (!real->pMethods) {
		g->base.pMethods = NULL;   /* SQLite closes nothing */
		return rc;
	}
	g->real = real;
	g->base.pMethods = &gather_io;
	return rc;
}

/* The rest of the VFS is the default's. */
static int gather_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	KUBE_UNUSED(v);
	return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int gather_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	KUBE_UNUSED(v);
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int gather_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	KUBE_UNUSED(v);
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *gather_dlopen(sqlite3_vfs *v, const char *name)
{
	KUBE_UNUSED(v);
	return real_vfs->xDlOpen(real_vfs, name);
}

static void gather_dlerror(sqlite3_vfs *v, int n, char *out)
{
	KUBE_UNUSED(v);
	real_vfs->xDlError(real_vfs, n, out);
}

static void (*gather_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	KUBE_UNUSED(v);
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void gather_dlclose(sqlite3_vfs *v, void *h)
{
	KUBE_UNUSED(v);
	real_vfs->xDlClose(real_vfs, h);
}

static int gather_randomness(sqlite3_vfs *v, int n, char *out)
{
	KUBE_UNUSED(v);
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int gather_sleep(sqlite3_vfs *v, int us)
{
	KUBE_UNUSED(v);
	return real_vfs->xSleep(real_vfs, us);
}

static int gather_current_time(sqlite3_vfs *v, double *out)
{
	KUBE_UNUSED(v);
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int gather_get_last_error(sqlite3_vfs *v, int n, char *out)
{
	KUBE_UNUSED(v);
	return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, n, out) : 0;
}

static int gather_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	KUBE_UNUSED(v);
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static pthread_once_t register_once = PTHREAD_ONCE_INIT;
static int register_rc = SQLITE_ERROR;

static void register_vfs(void)
{
	size_t sz;

	if (!(real_vfs = sqlite3_vfs_find(NULL)) || real_vfs->iVersion < 2 ||
	    !real_vfs->xCurrentTimeInt64)
		return;
	sz = REAL_OFFSET + (size_t)real_vfs->szOsFile;
	gather_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sz,
		.mxPathname = real_vfs->mxPathname,
		.zName = KUBE__SQLITE_VFS,
		.xOpen = gather_open,
		.xDelete = gather_delete,
		.xAccess = gather_access,
		.xFullPathname = gather_full_pathname,
		.xDlOpen = gather_dlopen,
		.xDlError = gather_dlerror,
		.xDlSym = gather_dlsym,
		.xDlClose = gather_dlclose,
		.xRandomness = gather_randomness,
		.xSleep = gather_sleep,
		.xCurrentTime = gather_current_time,
		.xGetLastError = gather_get_last_error,
		.xCurrentTimeInt64 = gather_current_time_int64,
	};
	register_rc = sqlite3_vfs_register(&gather_vfs, 0);
}

const char *kube__sqlite_gather_vfs(void)
{
	pthread_once(&register_once, register_vfs);
	return register_rc == SQLITE_OK ? KUBE__SQLITE_VFS : NULL;
}
