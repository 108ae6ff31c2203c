/* t_registry_pcache.c: the page cache wrapper of
 * issuer/registry_sqlite_pcache.c, which skips a truncation that could
 * drop no page. The cost it takes away comes from b-tree balances, which
 * number a page 2^30 / page size + 1 for a moment: random keys into an
 * index, many commits, in a database under 1 GiB, with the writer's
 * 64 MB cache. What must not change: every page beyond the database's
 * end is still dropped (a rolled-back transaction that grew the file,
 * here several times over, and a cache reset by another connection's
 * commit), and what is read back is what was written, by a second
 * connection too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reg_fx.h"
#include "registry_sqlite.h"
#include "t.h"

static bool intact(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	bool ok = false;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
	sqlite3_finalize(s);
	return ok;
}

static sqlite3 *open_db(const char *path, const char *cache)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, rs_vfs()) !=
	    SQLITE_OK) {
		t_fail(__FILE__, __LINE__, "open %s", path);
		sqlite3_close(db);
		return NULL;
	}
	sql_exec(db, "PRAGMA journal_mode = WAL");
	sql_exec(db, "PRAGMA synchronous = FULL");
	sql_exec(db, cache);
	return db;
}

/* n rows with keys from a linear congruential sequence (random order for
 * the index), one transaction; rolled back when keep is false. */
static void insert(sqlite3 *db, unsigned *seed, int n, bool keep)
{
	sqlite3_stmt *s = NULL;

	sql_exec(db, "BEGIN IMMEDIATE");
	if (sqlite3_prepare_v2(db, "INSERT INTO t (k, v) VALUES (?1, ?2)", -1, &s, NULL) !=
	    SQLITE_OK) {
		t_fail(__FILE__, __LINE__, "prepare");
		return;
	}
	for (int i = 0; i < n; i++) {
		char k[48];

		*seed = *seed * 1103515245u + 12345u;
		snprintf(k, sizeof(k), "%08x-%08x-key", *seed, *seed ^ 0x5a5a5a5au);
		sqlite3_bind_text(s, 1, k, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 2, (int64_t)(*seed % 1000));
		if (sqlite3_step(s) != SQLITE_DONE)
			t_fail(__FILE__, __LINE__, "insert: %s", sqlite3_errmsg(db));
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	sql_exec(db, keep ? "COMMIT" : "ROLLBACK");
}

static void skips_and_keeps(void)
{
	char path[512];
	sqlite3 *w, *r;
	unsigned seed = 1, seed_r, sum_seed = 1;
	unsigned long before = rs_pcache_skipped();
	int64_t pages, sum = 0;

	snprintf(path, sizeof(path), "%s/pc.db", t_tmpdir());
	if (!(w = open_db(path, "PRAGMA cache_size = -65536")) ||
	    !(r = open_db(path, "PRAGMA cache_size = -8192")))
		return;
	sql_exec(w, "CREATE TABLE t (n INTEGER PRIMARY KEY, k TEXT NOT NULL, v INTEGER NOT NULL);"
		"CREATE UNIQUE INDEX t_k ON t (k);");
	for (int c = 0; c < 200; c++)
		insert(w, &seed, 100, true);
	/* the commits that split pages skipped their truncation */
	CHECK(rs_pcache_skipped() > before);
	CHECK(sql_int(w, "SELECT count(*) FROM t", NULL, NULL, 0) == 20000);
	/* a transaction that grows the file several times over, rolled back:
	 * the pages past the end are dropped, not read back later */
	pages = sql_int(w, "PRAGMA page_count", NULL, NULL, 0);
	seed_r = seed;
	insert(w, &seed_r, 60000, false);
	CHECK(sql_int(w, "PRAGMA page_count", NULL, NULL, 0) == pages);
	CHECK(sql_int(w, "SELECT count(*) FROM t", NULL, NULL, 0) == 20000);
	for (int c = 0; c < 20; c++)
		insert(w, &seed, 100, true);
	for (unsigned i = 0, s = sum_seed; i < 22000; i++) {
		s = s * 1103515245u + 12345u;
		sum += (int64_t)(s % 1000);
	}
	CHECK(sql_int(w, "SELECT count(*) FROM t", NULL, NULL, 0) == 22000);
	CHECK(sql_int(w, "SELECT sum(v) FROM t", NULL, NULL, 0) == sum);
	CHECK(intact(w));
	/* the reader's cache, reset at each of the writer's commits */
	CHECK(sql_int(r, "SELECT count(*) FROM t", NULL, NULL, 0) == 22000);
	CHECK(sql_int(r, "SELECT sum(v) FROM t", NULL, NULL, 0) == sum);
	insert(w, &seed, 100, true);
	CHECK(sql_int(r, "SELECT count(*) FROM t", NULL, NULL, 0) == 22100);
	CHECK(intact(r));
	sqlite3_close(r);
	sqlite3_close(w);
	/* and from the file alone */
	if ((w = open_db(path, "PRAGMA cache_size = -2000"))) {
		CHECK(sql_int(w, "SELECT count(*) FROM t", NULL, NULL, 0) == 22100);
		CHECK(intact(w));
		sqlite3_close(w);
	}
}

void t_main(void)
{
	RUN(skips_and_keeps);
}
