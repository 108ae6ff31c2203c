/* t_registry_wal.c: the hc-wal VFS (issuer/registry_sqlite_vfs.c), which
 * gathers a connection's writes to its WAL until the next other call on
 * the file. A transaction that spilled pages to the WAL and was rolled
 * back must leave nothing in the buffer: another connection then commits
 * frames at the same offsets, and stale frames written over them later
 * (at the rolled-back connection's next read or at its close) would
 * corrupt that commit, or lose it at the next recovery. And every
 * connection the registry opens runs with synchronous=FULL, on which the
 * VFS relies (a commit's sync is what writes the gathered frames). A
 * gathered write that fails (here the file size limit: EFBIG) fails the
 * commit, and nothing of it is in the file. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reg_fx.h"
#include "registry_sqlite.h"
#include "t.h"

static char path[512];

static sqlite3 *plain(void)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		t_fail(__FILE__, __LINE__, "open %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
	return db;
}

static void rollback_dropped(void)
{
	struct conn a;
	sqlite3 *b, *c;
	int64_t n;

	(void)snprintf(path, sizeof(path), "%s/wal.db", t_tmpdir());
	b = plain();
	(void)sql_exec(b, "PRAGMA journal_mode = WAL");
	(void)sql_exec(b, "CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB)");
	(void)sql_exec(b, "PRAGMA wal_checkpoint(TRUNCATE)");
	/* its commit stays in the WAL, read from there (as the service's
	 * writer leaves checkpoints to its own connection) */
	(void)sql_exec(b, "PRAGMA wal_autocheckpoint = 0");
	CHECK_ERR(rs_conn_open(&a, path, true), HC_OK);
	CHECK_ERR(rs_conn_pragmas(&a, false), HC_OK);
	CHECK(sql_int(a.db, "PRAGMA synchronous", NULL, NULL, 0) == 2);
	/* a page cache of a few pages: the transaction spills to the WAL */
	(void)sql_exec(a.db, "PRAGMA cache_size = 8");
	(void)sql_exec(a.db, "BEGIN");
	(void)sql_exec(a.db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
			 "WHERE i < 400) INSERT INTO t SELECT i, randomblob(3000) FROM n");
	(void)sql_exec(a.db, "ROLLBACK");
	/* another connection commits over the same offsets of the WAL */
	(void)sql_exec(b, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
		      "WHERE i < 1000) INSERT INTO t SELECT 1000 + i, zeroblob(3000) FROM n");
	/* the rolled-back connection reads (its WAL's first call since) */
	CHECK(sql_int(a.db, "SELECT count(*) FROM t", NULL, NULL, 0) == 1000);
	rs_conn_close(&a);
	c = plain();
	n = sql_int(c, "SELECT count(*) FROM t WHERE length(v) = 3000 AND v = zeroblob(3000)", NULL, NULL, 0);
	CHECK(n == 1000);
	sqlite3_close(c);
	sqlite3_close(b);
	/* recovery from the WAL alone (no connection left, no -shm kept) */
	c = plain();
	CHECK(sql_int(c, "SELECT count(*) FROM t WHERE v = zeroblob(3000)", NULL, NULL, 0) == 1000);
	CHECK(sql_int(c, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'", NULL, NULL, 0) ==
	      1);
	sqlite3_close(c);
}

/* In a child: a commit of ~1 MB through hc-wal with the file size
 * limited to 256 KB. Exit 0 when the commit failed, 1 when it passed. */
static int limited_commit(void)
{
	struct conn a;
	struct rlimit rl = {256 << 10, 256 << 10};
	int rc;

	(void)signal(SIGXFSZ, SIG_IGN);
	if (rs_conn_open(&a, path, true) != HC_OK || rs_conn_pragmas(&a, false) != HC_OK ||
	    setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 2;
	rc = sqlite3_exec(a.db,
			  "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
			  "WHERE i < 300) INSERT INTO t SELECT 5000 + i, zeroblob(3000) FROM n; COMMIT",
			  NULL, NULL, NULL);
	rs_conn_close(&a);
	return rc == SQLITE_OK ? 1 : 0;
}

static void write_fails(void)
{
	sqlite3 *b;
	pid_t pid;
	int st = 0;

	(void)snprintf(path, sizeof(path), "%s/full.db", t_tmpdir());
	b = plain();
	(void)sql_exec(b, "PRAGMA journal_mode = WAL");
	(void)sql_exec(b, "CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB)");
	(void)sql_exec(b, "INSERT INTO t VALUES (1, 'kept')");
	(void)sql_exec(b, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(b);
	fflush(NULL);
	if ((pid = fork()) == 0)
		_exit(limited_commit());
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	b = plain();
	CHECK(sql_int(b, "SELECT count(*) FROM t", NULL, NULL, 0) == 1);
	CHECK(sql_int(b, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'", NULL, NULL, 0) ==
	      1);
	sqlite3_close(b);
}

void t_main(void)
{
	RUN(rollback_dropped);
	RUN(write_fails);
}
