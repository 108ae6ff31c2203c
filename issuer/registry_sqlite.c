/* registry_sqlite.c: the registry of registry.h on SQLite. WAL,
 * synchronous=FULL, foreign keys on, the file made with mode 0600 by
 * open(O_CREAT|O_EXCL) before SQLite opens it (umask untouched; SQLite
 * gives -wal and -shm the file's mode).
 *
 * Threads. One writer thread owns the write connection: reg_apply,
 * reg_revoke, the token writes and reg_revlist_next_seq queue a job and
 * wait on their own condition variable; the writer takes every queued
 * job, BEGIN IMMEDIATE, runs each in its own SAVEPOINT (a job that fails
 * is rolled back alone and gets its own error), COMMIT (one fsync for
 * all), then wakes each caller (and yields once, so that they can
 * queue their next changes for the next commit): nobody returns before
 * the commit holding its change has returned. A checkpointer thread with its own connection
 * copies the WAL into the database beside the writer. Readers take an
 * idle connection from a pool guarded by a mutex, or open one when none
 * is idle (so there are as many as concurrent readers, at most), and put
 * it back; WAL lets them read beside the writer. Statements are prepared
 * once per connection and reused. reg_close must come after every other
 * call has returned.
 *
 * This file opens and closes the registry, lends read connections and
 * makes backups; the writer, the checkpointer and the writes that wait on
 * them are registry_sqlite_writer.c. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hc_audit.h"
#include "registry_sqlite.h"

#define WAL_SHM_REGION 32768  /* bytes of a region of SQLite's WAL index */

/* ---- open and close ---- */

/* Makes the new file's name durable. */
static hc_err sync_dir(const char *path)
{
	char d[4096];
	const char *slash = strrchr(path, '/');
	int fd;

	if (hc_path(d, sizeof(d), "%.*s", slash ? (int)(slash - path) + 1 : 1,
		    slash ? path : ".") != HC_OK)
		return HC_ERR_INVALID_ARG;
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		hc_set_detail("%s: %s", d, strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		return HC_ERR_IO;
	}
	(void)close(fd);
	return HC_OK;
}

/* The file is made here, O_EXCL and mode 0600 whatever the umask, so that
 * it is never wider; SQLite gives its -wal and -shm the same mode. A WAL
 * left beside the path by another database is refused, not adopted. */
static hc_err create_file(const char *path)
{
	char side[4096];
	struct stat st;
	int fd;

	for (int i = 0; i < 2; i++) {
		if (hc_path(side, sizeof(side), "%s%s", path, i ? "-shm" : "-wal") != HC_OK)
			return HC_ERR_INVALID_ARG;
		if (lstat(side, &st) == 0) {
			hc_set_detail("%s: exists (left from another registry?)", side);
			return HC_ERR_EXISTS;
		}
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		hc_set_detail("%s: %s", path, strerror(errno));
		return errno == EEXIST ? HC_ERR_EXISTS : HC_ERR_IO;
	}
	if (fchmod(fd, 0600) != 0 || fsync(fd) != 0) {
		hc_set_detail("%s: %s", path, strerror(errno));
		(void)close(fd);
		(void)unlink(path);
		return HC_ERR_IO;
	}
	if (close(fd) != 0) {
		hc_set_detail("%s: %s", path, strerror(errno));
		(void)unlink(path);
		return HC_ERR_IO;
	}
	if (sync_dir(path) != HC_OK) {
		(void)unlink(path);
		return HC_ERR_IO;
	}
	return HC_OK;
}

static void remove_files(const char *path)
{
	char side[4096];

	(void)unlink(path);
	if (hc_path(side, sizeof(side), "%s-wal", path) == HC_OK)
		(void)unlink(side);
	if (hc_path(side, sizeof(side), "%s-shm", path) == HC_OK)
		(void)unlink(side);
}

static hc_err reg_open_with(const char *path, bool create, bool migrate, struct reg **out);

/* The WAL index header: the start of the first region of the shared
 * memory beside a WAL database (its -shm file), as SQLite's VFS maps it
 * for the connection c (which must stay open while it is used). NULL when
 * there is none. */
static const volatile uint32_t *wal_header(struct conn *c)
{
	sqlite3_file *f = NULL;
	void volatile *p = NULL;

	/* A read first: SQLite opens the WAL and maps its index on a
	 * connection's first read in WAL mode (a registry just made has had
	 * none), and unmaps it at close only when it did so. */
	if (sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_file_control(c->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK ||
	    !f || !f->pMethods || f->pMethods->iVersion < 2 || !f->pMethods->xShmMap ||
	    f->pMethods->xShmMap(f, 0, WAL_SHM_REGION, 0, &p) != SQLITE_OK)
		return NULL;
	return p;
}

/* The header (walformat.html, "WAL-Index Header Format") is two copies
 * of 48 bytes in native byte order, the first the one readers trust:
 * iChange (bytes 8..11) is raised by every commit, and the checksum
 * (bytes 40..47) covers the frame count, the salts that a restarted WAL
 * changes and iChange. A commit by any process writes them into the
 * shared memory before it returns. */
bool rs_stamp(const struct reg *r, struct rs_stamp *out)
{
	const volatile uint32_t *h = r->walhdr;

	if (!h)
		return false;
	out->v[0] = __atomic_load_n(&h[2], __ATOMIC_ACQUIRE);
	out->v[1] = __atomic_load_n(&h[10], __ATOMIC_ACQUIRE);
	out->v[2] = __atomic_load_n(&h[11], __ATOMIC_ACQUIRE);
	return true;
}

hc_err reg_open(const char *path, bool create, struct reg **out)
{
	return reg_open_with(path, create, false, out);
}

hc_err reg_open_migrate(const char *path, struct reg **out)
{
	return reg_open_with(path, false, true, out);
}

static hc_err reg_open_with(const char *path, bool create, bool migrate, struct reg **out)
{
	struct reg *r;
	struct stat st;
	hc_err err;
	bool made = false, locks = false;

	*out = NULL;
	if (!path || !*path) {
		hc_set_detail("registry: no path");
		return HC_ERR_INVALID_ARG;
	}
	if (!sqlite3_threadsafe()) {
		hc_set_detail("registry: SQLite is built without threads");
		return HC_ERR_STORE;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->path = strdup(path))) {
		free(r);
		return HC_ERR_NOMEM;
	}
	if (create) {
		err = create_file(path);
		if (err != HC_OK)
			goto fail;
		made = true;
	} else if (stat(path, &st) != 0) {
		hc_set_detail("%s: %s", path, strerror(errno));
		err = HC_ERR_IO;
		goto fail;
	}
	err = rs_conn_open(&r->w, path, true);
	if (err == HC_OK)
		err = create ? rs_schema_create(&r->w) : rs_schema_check(&r->w, path, migrate);
	if (err == HC_OK)
		err = rs_schema_extend(&r->w);
	if (err == HC_OK)
		err = rs_conn_pragmas(&r->w, true);
	if (err == HC_OK)
		err = rs_conn_open(&r->ck, path, false);
	if (err == HC_OK)
		err = rs_conn_pragmas(&r->ck, false);
	if (err != HC_OK)
		goto fail;
	if (pthread_mutex_init(&r->mu, NULL) != 0 || pthread_mutex_init(&r->pool_mu, NULL) != 0 ||
	    pthread_mutex_init(&r->tok_mu, NULL) != 0 ||
	    pthread_mutex_init(&r->census.mu, NULL) != 0 ||
	    pthread_cond_init(&r->work, NULL) != 0 || hc_cond_init_mono(&r->ck_work) != 0 /* the checkpointer's idle second */) {
		hc_set_detail("registry: cannot make locks");
		err = HC_ERR_NOMEM;
		goto fail;
	}
	locks = true;
	r->walhdr = wal_header(&r->w);
	if (pthread_create(&r->checkpointer, NULL, rs_checkpointer_main, r) != 0) {
		hc_set_detail("registry: cannot start the checkpoint thread");
		err = HC_ERR_NOMEM;
		goto fail;
	}
	r->ck_started = true;
	(void)sqlite3_wal_hook(r->w.db, rs_wal_hook, r);
	if (pthread_create(&r->writer, NULL, rs_writer_main, r) != 0) {
		hc_set_detail("registry: cannot start the writer thread");
		err = HC_ERR_NOMEM;
		goto fail;
	}
	*out = r;
	return HC_OK;
fail:
	if (r->ck_started) {
		pthread_mutex_lock(&r->mu);
		r->stop = true;
		pthread_cond_signal(&r->ck_work);
		pthread_mutex_unlock(&r->mu);
		(void)pthread_join(r->checkpointer, NULL);
	}
	rs_conn_close(&r->ck);
	rs_conn_close(&r->w);
	if (locks) {
		pthread_mutex_destroy(&r->mu);
		pthread_mutex_destroy(&r->pool_mu);
		pthread_mutex_destroy(&r->tok_mu);
		pthread_mutex_destroy(&r->census.mu);
		pthread_cond_destroy(&r->work);
		pthread_cond_destroy(&r->ck_work);
	}
	if (made)
		remove_files(path);
	free(r->path);
	free(r);
	return err;
}

void reg_close(struct reg *r)
{
	struct conn *c, *next;

	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_signal(&r->work);
	pthread_cond_signal(&r->ck_work);
	pthread_mutex_unlock(&r->mu);
	(void)pthread_join(r->writer, NULL);
	(void)pthread_join(r->checkpointer, NULL);
	for (int i = 0; i < 2; i++)
		for (c = i ? r->idle : r->idle_warm; c; c = next) {
			next = c->next;
			rs_conn_close(c);
			free(c);
		}
	rs_conn_close(&r->ck);
	rs_conn_close(&r->w);  /* last: it checkpoints and removes the WAL */
	pthread_mutex_destroy(&r->mu);
	pthread_mutex_destroy(&r->pool_mu);
	pthread_mutex_destroy(&r->tok_mu);
	pthread_mutex_destroy(&r->census.mu);
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->ck_work);
	rs_census_free(&r->census);
	OPENSSL_cleanse(r->tok, sizeof(r->tok));
	free(r->path);
	free(r);
}

/* ---- the read pool: an idle connection, or a new one ---- */

/* A warm connection while one is idle (or fewer than RS_WARM are open),
 * else another: most reads find the inner pages of the b-trees in the
 * connection's own page cache (rs_conn_cache), and the memory of the
 * caches stays bounded (at 10^6 people, some 30 connections of the
 * default 2 MB each were open under load, none of them holding enough). */
hc_err rs_read_get(struct reg *r, struct conn **out)
{
	struct conn *c;
	bool warm = false;
	hc_err err;

	pthread_mutex_lock(&r->pool_mu);
	if ((c = r->idle_warm) != NULL) {
		r->idle_warm = c->next;
	} else if (r->nwarm < RS_WARM) {
		r->nwarm++;
		warm = true;
	} else if ((c = r->idle) != NULL) {
		r->idle = c->next;
	}
	pthread_mutex_unlock(&r->pool_mu);
	if (c) {
		*out = c;
		return HC_OK;
	}
	c = calloc(1, sizeof(*c));
	err = c ? rs_conn_open(c, r->path, false) : HC_ERR_NOMEM;
	if (err == HC_OK)
		err = rs_conn_pragmas(c, false);
	if (err == HC_OK)
		err = rs_conn_cache(c, warm);
	if (err != HC_OK) {
		if (c)
			rs_conn_close(c);
		free(c);
		if (warm) {
			pthread_mutex_lock(&r->pool_mu);
			r->nwarm--;
			pthread_mutex_unlock(&r->pool_mu);
		}
		return err;
	}
	c->warm = warm;
	*out = c;
	return HC_OK;
}

void rs_read_put(struct reg *r, struct conn *c)
{
	struct conn **top = c->warm ? &r->idle_warm : &r->idle;

	if (!sqlite3_get_autocommit(c->db))
		rs_rollback(c);
	pthread_mutex_lock(&r->pool_mu);
	c->next = *top;
	*top = c;
	pthread_mutex_unlock(&r->pool_mu);
}

/* ---- online backup ---- */

hc_err reg_backup(struct reg *r, const char *path)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	struct conn *src;
	hc_err err;
	int rc;

	err = create_file(path);
	if (err != HC_OK)
		return err;
	err = rs_read_get(r, &src);
	if (err != HC_OK)
		goto out;
	rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		hc_set_detail("%s: %s", path, dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		err = HC_ERR_STORE;
		goto out_src;
	}
	b = sqlite3_backup_init(dst, "main", src->db, "main");
	if (!b) {
		hc_set_detail("%s: backup: %s", path, sqlite3_errmsg(dst));
		err = HC_ERR_STORE;
		goto out_src;
	}
	rc = sqlite3_backup_step(b, -1);
	if (sqlite3_backup_finish(b) != SQLITE_OK || rc != SQLITE_DONE) {
		hc_set_detail("%s: backup: %s", path, sqlite3_errmsg(dst));
		err = HC_ERR_STORE;
	}
out_src:
	rs_read_put(r, src);
out:
	if (dst && sqlite3_close(dst) != SQLITE_OK && err == HC_OK) {
		hc_set_detail("%s: close: %s", path, sqlite3_errmsg(dst));
		err = HC_ERR_STORE;
	}
	if (err != HC_OK)
		remove_files(path);
	return err;
}

const char *reg_engine(void)
{
	static char v[48];

	/* one thread (--version) */
	(void)snprintf(v, sizeof(v), "SQLite %s", sqlite3_libversion());
	return v;
}
