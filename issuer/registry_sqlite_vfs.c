/* registry_sqlite_vfs.c: "hc-wal", SQLite's default VFS with the writes
 * to a WAL file gathered. SQLite writes a WAL frame as two pwrite calls
 * (its 24-byte header, then the page), and the kernel handles each call
 * page by page of its page cache: the header and the page straddle page
 * boundaries, so a frame cost two system calls and three page writes, a
 * third of the writer's time with 10^6 events. Here a write that follows
 * the one before goes into a buffer (up to WBUF bytes), written with one
 * pwrite when a write does not follow, the buffer is full, or any other
 * call is made on the file (read, sync, size, truncate, file control,
 * close): a commit's sync still finds every frame in the file first, and
 * no connection can read a frame before the commit holding it is synced
 * and published in the WAL index (synchronous=FULL, every connection).
 * A process killed with frames in the buffer had not synced them, so had
 * not committed them: the WAL's checksums end it before them, as before.
 * A failed write keeps the buffer, tried again at the next call, so the
 * sync fails while any frame SQLite wrote is not in the file. Frames of a
 * transaction rolled back (pages spilled before its commit) are dropped,
 * never written: SQLite has released the WAL's write lock by then, and
 * another process may have written its own frames at those offsets
 * (rs_wal_discard from the connection's rollback hook, and at close,
 * where a commit's frames can no longer be in the buffer).
 * Files other than a WAL are the default VFS's own. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "registry_sqlite.h"

/* SQLite's own write (unix VFS, seekAndWrite) masks a write's length to
 * 17 bits: a buffer stays below 128 KB. */
#define WBUF (64 << 10)

struct wfile {
	sqlite3_file base;  /* pMethods: &wal_methods */
	sqlite3_file *real; /* the default VFS's file, after this struct */
	char *buf;          /* NULL until the first write */
	sqlite3_int64 off;  /* the file offset of buf[0] */
	size_t len;
};

static sqlite3_vfs vfs, *real_vfs;

static sqlite3_file *real_of(sqlite3_file *f)
{
	return ((struct wfile *)f)->real;
}

static int flush(struct wfile *w)
{
	int rc;

	if (!w->len)
		return SQLITE_OK;
	rc = w->real->pMethods->xWrite(w->real, w->buf, (int)w->len, w->off);
	if (rc == SQLITE_OK)
		w->len = 0; /* else kept: the next call tries again, the sync fails */
	return rc;
}

/* A connection closes its WAL after any commit's sync (synchronous=FULL)
 * and after rolling back what it had not committed: what is left in the
 * buffer is a rolled-back transaction's, and is dropped. */
static int w_close(sqlite3_file *f)
{
	struct wfile *w = (struct wfile *)f;
	int rc = w->real->pMethods->xClose(w->real);

	free(w->buf);
	w->buf = NULL;
	w->len = 0;
	return rc;
}

static int w_read(sqlite3_file *f, void *p, int amt, sqlite3_int64 off)
{
	int rc = flush((struct wfile *)f);

	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xRead(real_of(f), p, amt, off);
}

static int w_write(sqlite3_file *f, const void *p, int amt, sqlite3_int64 off)
{
	struct wfile *w = (struct wfile *)f;
	int rc;

	if (w->len && off == w->off + (sqlite3_int64)w->len && w->len + (size_t)amt <= WBUF) {
		memcpy(w->buf + w->len, p, (size_t)amt);
		w->len += (size_t)amt;
		return SQLITE_OK;
	}
	if ((rc = flush(w)) != SQLITE_OK)
		return rc;
	if (!w->buf)
		w->buf = malloc(WBUF);
	if (!w->buf || (size_t)amt > WBUF / 2)
		return w->real->pMethods->xWrite(w->real, p, amt, off);
	memcpy(w->buf, p, (size_t)amt);
	w->off = off;
	w->len = (size_t)amt;
	return SQLITE_OK;
}

static int w_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int rc = flush((struct wfile *)f);

	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xTruncate(real_of(f), size);
}

static int w_sync(sqlite3_file *f, int flags)
{
	int rc = flush((struct wfile *)f);

	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xSync(real_of(f), flags);
}

static int w_size(sqlite3_file *f, sqlite3_int64 *size)
{
	int rc = flush((struct wfile *)f);

	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xFileSize(real_of(f), size);
}

static int w_lock(sqlite3_file *f, int level)
{
	return real_of(f)->pMethods->xLock(real_of(f), level);
}

static int w_unlock(sqlite3_file *f, int level)
{
	return real_of(f)->pMethods->xUnlock(real_of(f), level);
}

static int w_reserved(sqlite3_file *f, int *out)
{
	return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}

static int w_control(sqlite3_file *f, int op, void *arg)
{
	int rc = flush((struct wfile *)f);

	return rc != SQLITE_OK ? rc : real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}

static int w_sector(sqlite3_file *f)
{
	return real_of(f)->pMethods->xSectorSize(real_of(f));
}

static int w_device(sqlite3_file *f)
{
	return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}

/* A WAL file has no shared memory or mapping of its own (SQLite asks the
 * database file for those): these are here for a complete version 3. */
static int w_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	const struct sqlite3_io_methods *m = real_of(f)->pMethods;

	return m->iVersion >= 2 ? m->xShmMap(real_of(f), pg, pgsz, extend, pp) : SQLITE_IOERR;
}

static int w_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	const struct sqlite3_io_methods *m = real_of(f)->pMethods;

	return m->iVersion >= 2 ? m->xShmLock(real_of(f), offset, n, flags) : SQLITE_IOERR;
}

static void w_shm_barrier(sqlite3_file *f)
{
	const struct sqlite3_io_methods *m = real_of(f)->pMethods;

	if (m->iVersion >= 2)
		m->xShmBarrier(real_of(f));
}

static int w_shm_unmap(sqlite3_file *f, int del)
{
	const struct sqlite3_io_methods *m = real_of(f)->pMethods;

	return m->iVersion >= 2 ? m->xShmUnmap(real_of(f), del) : SQLITE_OK;
}

static int w_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
	const struct sqlite3_io_methods *m = real_of(f)->pMethods;
	int rc = flush((struct wfile *)f);

	*pp = NULL;
	return rc != SQLITE_OK || m->iVersion < 3 ? rc : m->xFetch(real_of(f), off, amt, pp);
}

static int w_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	const struct sqlite3_io_methods *m = real_of(f)->pMethods;

	return m->iVersion >= 3 ? m->xUnfetch(real_of(f), off, p) : SQLITE_OK;
}

static const struct sqlite3_io_methods wal_methods = {
	.iVersion = 3,
	.xClose = w_close,
	.xRead = w_read,
	.xWrite = w_write,
	.xTruncate = w_truncate,
	.xSync = w_sync,
	.xFileSize = w_size,
	.xLock = w_lock,
	.xUnlock = w_unlock,
	.xCheckReservedLock = w_reserved,
	.xFileControl = w_control,
	.xSectorSize = w_sector,
	.xDeviceCharacteristics = w_device,
	.xShmMap = w_shm_map,
	.xShmLock = w_shm_lock,
	.xShmBarrier = w_shm_barrier,
	.xShmUnmap = w_shm_unmap,
	.xFetch = w_fetch,
	.xUnfetch = w_unfetch,
};

/* The real file lies after struct wfile, 8-aligned. */
#define REAL_AT ((sizeof(struct wfile) + 7) & ~(size_t)7)

static int v_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
	struct wfile *w = (struct wfile *)f;
	int rc;

	(void)v;
	if (!(flags & SQLITE_OPEN_WAL))
		return real_vfs->xOpen(real_vfs, name, f, flags, out); /* the default's own */
	memset(w, 0, sizeof(*w));
	w->real = (sqlite3_file *)((char *)f + REAL_AT);
	rc = real_vfs->xOpen(real_vfs, name, w->real, flags, out);
	if (rc == SQLITE_OK && w->real->pMethods)
		w->base.pMethods = &wal_methods;
	else if (w->real->pMethods)
		(void)w->real->pMethods->xClose(w->real); /* SQLite closes a file that has methods */
	return rc;
}

void rs_wal_discard(sqlite3 *db)
{
	sqlite3_file *f = NULL;

	/* SQLite answers this op itself: the WAL's file, not a call on it */
	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f) == SQLITE_OK && f &&
	    f->pMethods == &wal_methods)
		((struct wfile *)f)->len = 0;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int registered = SQLITE_ERROR;

static void vfs_register(void)
{
	/* Before SQLite initializes (sqlite3_vfs_find does): no count of its
	 * memory, which takes a mutex shared by every connection at each
	 * malloc and free (a few percent of the registry writer's CPU, some
	 * of it waiting on the upload threads' reads). Nothing here reads
	 * sqlite3_memory_used or sets a heap limit. A process that started
	 * SQLite before (a test) keeps its setting: SQLITE_MISUSE, ignored. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	rs_pcache_install();
	if (!(real_vfs = sqlite3_vfs_find(NULL)))
		return;
	vfs = *real_vfs;
	vfs.pNext = NULL;
	vfs.zName = RS_VFS;
	vfs.szOsFile = (int)(REAL_AT + (size_t)real_vfs->szOsFile);
	vfs.xOpen = v_open;
	registered = sqlite3_vfs_register(&vfs, 0);
}

const char *rs_vfs(void)
{
	(void)pthread_once(&once, vfs_register);
	return registered == SQLITE_OK ? RS_VFS : NULL;
}
