/*
 * sqlite.c - the SQLite backend: the embedded, durable default.
 *
 * One database, <path>/store.db, in WAL mode with synchronous=FULL: a
 * commit returns only once its WAL frames are fsync'ed, so an acknowledged
 * write survives kill -9 and power loss (as far as the disk keeps its
 * promises).  WAL with synchronous=NORMAL would survive kill -9 too (the
 * frames are in the page cache) but not a power cut, so it is not used.
 * The database is opened in exclusive locking mode, so a second process
 * (or store) on the same directory is refused instead of corrupting it.
 *
 *   log(rev INTEGER PRIMARY KEY, key TEXT UNIQUE, value BLOB)
 *   meta(name TEXT PRIMARY KEY, value INTEGER): "revision"      WITHOUT ROWID
 *   PRAGMA user_version = 2, page_size = 4096 (new databases)
 *
 * The schema is etcd's shape: each key's current value sits in the row of
 * the revision that wrote it, so rows are appended in revision order and a
 * group commit of 16 creates fills two or three fresh pages of `log` (plus
 * one leaf of the small key index per key) instead of dirtying one big
 * page per key all over a table ordered by key.  What a commit costs is
 * mostly the bytes it appends to the WAL and syncs: schema 1 (kv ordered
 * by key, 16 KB pages) wrote ~330 KB per batch of 16 pods, this ~100 KB.
 * A write replaces the key's old row (INSERT OR REPLACE through the unique
 * key index), so only current values are kept; history lives in memory.
 * Schema 1 databases are converted on open.
 *
 * The revision lives in meta and is written in the same transaction as the
 * keys, because a delete advances it without leaving a row behind.  Values
 * are the objects' JSON without metadata.resourceVersion (the store stamps
 * it from the revision), as kube-apiserver stores objects in etcd.
 *
 * A test hook shows that the crash test can fail: with the environment
 * variable KUBE_STORE_SQLITE_UNSAFE_ACK_EARLY=1 at open, a commit is
 * acknowledged while its transaction is still open (it is committed at the
 * start of the next one), so a kill in between loses acknowledged writes.
 * Never set it outside that experiment.
 *
 * Every SQLite failure becomes a clear libkube error naming the database:
 * KUBE_ENOSPC for a full disk or a file size limit, KUBE_EIO for a corrupt
 * or foreign file, KUBE_EPERM for a directory or file we may not use,
 * KUBE_EBUSY when another store holds the database.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_private.h"

#define SCHEMA_VERSION 2

typedef struct sq_state {
	sqlite3 *db;
	char *file;
	sqlite3_stmt *get, *put, *del, *set_rev;
	int64_t revision;
	int ack_early;               /* the test hook (above) */
	int open_txn;                /* ... and a transaction it left open */
} sq_state;

/* Raises the libkube error for SQLite result `rc` during `what`. */
static int sq_error(sq_state *q, int rc, const char *what)
{
	int saved = errno;   /* first: before anything below can change it */
	int primary = rc & 0xff;
	int sys = q->db ? sqlite3_system_errno(q->db) : 0;
	const char *msg = q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc);
	int code;

	switch (primary) {
	case SQLITE_FULL:
		code = KUBE_ENOSPC;
		break;
	case SQLITE_IOERR:
		/* SQLite does not always keep the OS error of a failed write
		 * (sqlite3_system_errno() says 0 for a COMMIT that hit the file
		 * size limit); errno right after the call still has it. */
		if (!sys && (saved == ENOSPC || saved == EFBIG || saved == EDQUOT))
			sys = saved;
		code = (sys == ENOSPC || sys == EFBIG || sys == EDQUOT) ? KUBE_ENOSPC : KUBE_EIO;
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return kube__error_set(KUBE_EIO, NULL,
		                       "store: %s is corrupt or not a libkube database (%s, during %s)",
		                       q->file, msg, what);
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		code = KUBE_EPERM;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return kube__error_set(KUBE_EBUSY, NULL,
		                       "store: %s is in use by another store or process (%s)", q->file, msg);
	case SQLITE_NOMEM:
		return kube__error_oom();
	default:
		code = KUBE_EIO;
	}
	if (sys && code != KUBE_EIO)
		return kube__error_set(code, NULL, "store: %s: %s failed: %s (%s)", q->file, what, msg,
		                       strerror(sys));
	return kube__error_set(code, NULL, "store: %s: %s failed: %s", q->file, what, msg);
}

static int exec(sq_state *q, const char *sql, const char *what)
{
	int rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sq_error(q, rc, what);
}

static int prepare(sq_state *q, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	return rc == SQLITE_OK ? 0 : sq_error(q, rc, "prepare");
}

/* A single-integer query, e.g. PRAGMA user_version. */
static int query_int(sq_state *q, const char *sql, int64_t *out, int *found, const char *what)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return sq_error(q, rc, what);
	*found = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		*found = 1;
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_error(q, rc, what);
}

static void sq_close(void *state)
{
	sq_state *q = state;

	if (!q)
		return;
	if (q->open_txn)
		sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
	sqlite3_finalize(q->get);
	sqlite3_finalize(q->put);
	sqlite3_finalize(q->del);
	sqlite3_finalize(q->set_rev);
	if (q->db)
		sqlite3_close_v2(q->db);
	kube_free(q->file);
	kube_free(q);
}

static int make_dir(const char *path)
{
	struct stat sb;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return 0;
	if (errno == EEXIST)
		errno = ENOTDIR;
	return kube__error_set(errno == EACCES || errno == EPERM || errno == EROFS ? KUBE_EPERM : KUBE_EIO,
	                       NULL, "store: cannot use data directory %s: %s", path, strerror(errno));
}

static int sq_open(void **state, const kube_store_options *opts)
{
	sq_state *q;
	int64_t v = 0;
	int found, rc;

	*state = NULL;
	if (!opts->path || !*opts->path)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_store_open: the sqlite backend needs a data directory (path)");
	if ((rc = make_dir(opts->path)) != 0)
		return rc;
	if (!(q = kube_calloc(1, sizeof(*q))))
		return kube__error_oom();
	kube__buf b = KUBE__BUF_INIT;
	kube__buf_printf(&b, "%s/store.db", opts->path);
	if (b.failed || !(q->file = kube__buf_detach(&b, NULL))) {
		kube__buf_free(&b);
		kube_free(q);
		return kube__error_oom();
	}
	/* A directory we cannot write to: say so, before SQLite says "unable to
	 * open database file". */
	if (access(opts->path, W_OK | X_OK) != 0) {
		rc = kube__error_set(KUBE_EPERM, NULL, "store: cannot use data directory %s: %s",
		                     opts->path, strerror(errno));
		sq_close(q);
		return rc;
	}
	rc = sqlite3_open_v2(q->file, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = sq_error(q, rc, "open");
		sq_close(q);
		return rc;
	}
	sqlite3_extended_result_codes(q->db, 1);
	/* The header check: a foreign or garbled file fails here with NOTADB. */
	if ((rc = exec(q, "PRAGMA locking_mode=EXCLUSIVE", "locking")) != 0 ||
	    (rc = query_int(q, "PRAGMA user_version", &v, &found, "reading the schema version")) != 0)
		goto fail;
	if (v > SCHEMA_VERSION) {
		rc = kube__error_set(KUBE_EIO, NULL,
		                     "store: %s has schema version %lld; this libkube knows up to %d",
		                     q->file, (long long)v, SCHEMA_VERSION);
		goto fail;
	}
	/* 4 KB pages: a commit appends every page it dirtied to the WAL and
	 * syncs it, so small pages keep the key index's random leaves cheap
	 * (a new database only; an existing one keeps its size). */
	if ((rc = exec(q, "PRAGMA page_size=4096", "page size")) != 0 ||
	    (rc = exec(q, "PRAGMA journal_mode=WAL", "journal mode")) != 0 ||
	    (rc = exec(q, "PRAGMA synchronous=FULL", "synchronous")) != 0 ||
	    (rc = exec(q, "BEGIN IMMEDIATE;"
	                  "CREATE TABLE IF NOT EXISTS log(rev INTEGER PRIMARY KEY,"
	                  " key TEXT NOT NULL UNIQUE, value BLOB NOT NULL);"
	                  "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY NOT NULL,"
	                  " value INTEGER NOT NULL) WITHOUT ROWID;"
	                  "INSERT OR IGNORE INTO meta(name, value) VALUES('revision', 0);",
	                  "creating the schema")) != 0)
		goto rollback;
	if (v == 1 &&
	    (rc = exec(q, "INSERT INTO log(rev, key, value) SELECT mod_revision, key, value FROM kv;"
	                  "DROP TABLE kv;", "converting schema 1")) != 0)
		goto rollback;
	if ((rc = exec(q, "PRAGMA user_version=2; COMMIT", "creating the schema")) != 0)
		goto rollback;
	if ((rc = query_int(q, "SELECT value FROM meta WHERE name='revision'", &q->revision, &found,
	                    "reading the revision")) != 0)
		goto fail;
	if ((rc = prepare(q, "SELECT rev FROM log WHERE key=?1", &q->get)) != 0 ||
	    (rc = prepare(q, "INSERT OR REPLACE INTO log(rev, key, value) VALUES(?3, ?1, ?2)",
	                  &q->put)) != 0 ||
	    (rc = prepare(q, "DELETE FROM log WHERE rev=?1", &q->del)) != 0 ||
	    (rc = prepare(q, "UPDATE meta SET value=?1 WHERE name='revision'", &q->set_rev)) != 0)
		goto fail;
	q->ack_early = getenv("KUBE_STORE_SQLITE_UNSAFE_ACK_EARLY") &&
	               strcmp(getenv("KUBE_STORE_SQLITE_UNSAFE_ACK_EARLY"), "1") == 0;
	*state = q;
	return 0;
rollback:
	sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
fail:
	sq_close(q);
	return rc;
}

static int sq_load(void *state, kube__store_load_cb fn, void *userdata, int64_t *revision)
{
	sq_state *q = state;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(q->db, "SELECT key, value, rev FROM log ORDER BY key",
	                            -1, &st, NULL);

	if (rc != SQLITE_OK)
		return sq_error(q, rc, "loading");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		kube__store_kv kv;
		int frc;
		kv.key = (const char *)sqlite3_column_text(st, 0);
		kv.value = sqlite3_column_blob(st, 1);
		kv.len = (size_t)sqlite3_column_bytes(st, 1);
		kv.mod_revision = sqlite3_column_int64(st, 2);
		if (!kv.key || !kv.value || kv.mod_revision <= 0 || kv.mod_revision > q->revision) {
			sqlite3_finalize(st);
			return kube__error_set(KUBE_EIO, NULL, "store: %s is corrupt: a bad row (key %s)",
			                       q->file, kv.key ? kv.key : "NULL");
		}
		if (fn && (frc = fn(&kv, userdata)) != 0) {
			sqlite3_finalize(st);
			return frc;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_error(q, rc, "loading");
	*revision = q->revision;
	return 0;
}

static int step_done(sq_state *q, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sq_error(q, rc, what);
}

/* One op inside the open transaction: 0, a per-op condition code stored in
 * op->result (returns 0), or a hard error (returned). */
static int apply(sq_state *q, kube__store_op *op, int64_t rev)
{
	int64_t cur = 0;
	int rc;

	sqlite3_bind_text(q->get, 1, op->key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q->get);
	if (rc == SQLITE_ROW)
		cur = sqlite3_column_int64(q->get, 0);
	sqlite3_reset(q->get);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_error(q, rc, "reading a key");
	if (op->expect_revision != KUBE__EXPECT_ANY && op->expect_revision != cur) {
		op->result = cur == 0 ? KUBE_ENOTFOUND : op->expect_revision == 0 ? KUBE_EEXISTS
		                                                                 : KUBE_ECONFLICT;
		return 0;
	}
	if (op->type == KUBE__OP_DELETE) {
		if (cur == 0) {
			op->result = KUBE_ENOTFOUND;
			return 0;
		}
		sqlite3_bind_int64(q->del, 1, cur);
		rc = step_done(q, q->del, "deleting a key");
	} else {
		sqlite3_bind_text(q->put, 1, op->key, -1, SQLITE_STATIC);
		sqlite3_bind_blob64(q->put, 2, op->value, op->len, SQLITE_STATIC);
		sqlite3_bind_int64(q->put, 3, rev);
		rc = step_done(q, q->put, "writing a key");
	}
	if (rc == 0) {
		op->result = 0;
		op->revision = rev;
	}
	return rc;
}

static int sq_commit(void *state, kube__store_op *ops, size_t n)
{
	sq_state *q = state;
	int64_t rev = q->revision;
	int rc;

	if (q->open_txn) {
		q->open_txn = 0;
		if ((rc = exec(q, "COMMIT", "committing")) != 0)
			return rc;
	}
	if ((rc = exec(q, "BEGIN IMMEDIATE", "beginning a write")) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		ops[i].result = 0;
		ops[i].revision = 0;
		if ((rc = apply(q, &ops[i], rev + 1)) != 0)
			goto rollback;
		if (ops[i].result == 0)
			rev++;
	}
	if (rev != q->revision) {
		sqlite3_bind_int64(q->set_rev, 1, rev);
		if ((rc = step_done(q, q->set_rev, "writing the revision")) != 0)
			goto rollback;
	}
	if (q->ack_early) {
		q->open_txn = 1;   /* acknowledged, not committed: the test hook */
		q->revision = rev;
		return 0;
	}
	if ((rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
		rc = sq_error(q, rc, "committing");
		goto rollback;
	}
	q->revision = rev;
	return 0;
rollback:
	/* Keep the error of the failure, not of the rollback. */
	if (!sqlite3_get_autocommit(q->db))
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		ops[i].revision = 0;
	return rc;
}

const kube__store_backend_ops kube__store_sqlite_backend = {
	.abi_version = 1,
	.struct_size = sizeof(kube__store_backend_ops),
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.load = sq_load,
	.commit = sq_commit,
	.compact = NULL,
};
