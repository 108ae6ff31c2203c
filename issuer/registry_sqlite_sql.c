/* registry_sqlite_sql.c: the registry's SQL: schema, connections and
 * their pragmas, prepared statements with bound parameters (no SQL is
 * ever built from input). The checks on what callers hand in are
 * registry_sqlite_check.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry_sqlite.h"

#define REG_APP_ID 0x68437267 /* "hCrg": PRAGMA application_id of a registry */
#define REG_SCHEMA 2          /* PRAGMA user_version */
#define REG_BUSY_MS 10000

/* Schema version 2, laid out so that a change to a person writes few
 * pages that other changes of the same commit do not (every one of them
 * is written to the WAL and again at the checkpoint):
 *
 *   people   one row a person: its columns, its inputs and the codes a
 *            status change may revoke (registry_sqlite_row.c's blobs), so
 *            that a change rewrites one row. A rowid table: a new person
 *            is appended (one page for a whole commit of new people), and
 *            the row may grow to nearly a page before it spills; the key
 *            is found through people_key, written only for a new person.
 *            Since: held, a copy of the held code (registry_sqlite_row.c),
 *            added by rs_schema_extend to a registry without it.
 *   codes    every code issued, appended in the order issued (the 620
 *            bytes of a JWS land on pages shared by a commit's codes), found
 *            by jti through codes_jti (the one random page a new code
 *            writes, with small entries); no index by person (the person's
 *            row lists the codes that matter). Revoked ones by expiry
 *            for the revocation list (codes_revoked_exp, below) and
 *            unrevoked ones by expiry for the metrics (both partial and
 *            covering; codes_open is appended to, since codes are issued
 *            in expiry order).
 *   visit_inputs   a person's visits (the inputs of kind "visits"), not in
 *            their row: a person may gather hundreds, and a row is written
 *            whole at each change (one appended, one unique-index entry at
 *            a random place a visit, as in version 1).
 *   travel, visits   the exposure lookups of the risk feed: a stay's region
 *            with its first and last day, a visit's venue with its time,
 *            keyed by region or venue first so that one entry's people lie
 *            together; n counts the inputs that give the same row.
 *   audit, tokens, meta, events   as in version 1. */
/* The revoked codes by expiry: the revocation list and the metrics read
 * only those not yet expired, a range at the index's end (the list's
 * builder sorts them by jti: a sort by SQLite of more entries than a read
 * connection's cache holds would spill to a temporary file). Keyed by jti, as it was
 * until 2026-12 (codes_revoked), every publication read every code ever
 * revoked, expired or not: with 10^6 of them 0.2 s, and it grows for as
 * long as the office runs (a status change revokes codes). A revocation's
 * entry now lands near the others of its time, not at a random jti. */
#define REVOKED_INDEX \
	"CREATE INDEX IF NOT EXISTS codes_revoked_exp ON codes (exp, jti, revoked_at)" \
	" WHERE revoked_at > 0;"

/* A venue's visits by time: the risk feed asks for those inside a
 * window of a changed venue entry, a range of this index (visits_at,
 * covering). By the primary key (venue, person, at) it read every visit
 * ever made to the venue, each with a people_key lookup, and kept those
 * in the window: with 10^6 visits of a year 0.13 s of SQLite alone with
 * the file in the page cache and nobody in people, growing for as long as
 * the office runs (visits stay in the registry). A registry made before
 * (December 2026) gets it the first time a new program opens it. */
#define VISITS_INDEX "CREATE INDEX IF NOT EXISTS visits_at ON visits (venue, at, n);"
/* A region's stays by their last day: a changed area asks, in each region
 * that may concern it, for the stays that end on or after the entry's
 * first day, a range of this index (travel_last, covering). By the
 * primary key (region, first, last, person) it read every stay ever
 * made in the regions, those long over too: 10^6 stays of a year in one
 * province, 0.19 s of SQLite alone with the file in the page cache and
 * nobody in people, 0.9 s from the disk, growing for as long as the
 * office runs. Added at open as visits_at is. */
#define TRAVEL_INDEX "CREATE INDEX IF NOT EXISTS travel_last ON travel (region, last, first);"

const char rs_schema_v2_people[] =
	"CREATE TABLE people ("
	" n INTEGER PRIMARY KEY, key TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL,"
	" version INTEGER NOT NULL, status INTEGER, created INTEGER NOT NULL,"
	" inputs BLOB NOT NULL, codes BLOB NOT NULL);"
	"CREATE UNIQUE INDEX people_key ON people (key);"
	"CREATE TABLE codes ("
	" n INTEGER PRIMARY KEY, jti TEXT NOT NULL, person TEXT NOT NULL,"
	" status INTEGER NOT NULL, why TEXT NOT NULL, policy TEXT NOT NULL, kid TEXT NOT NULL,"
	" iat INTEGER NOT NULL, exp INTEGER NOT NULL, revoked_at INTEGER NOT NULL DEFAULT 0,"
	" superseded_by TEXT NOT NULL DEFAULT '', jws TEXT NOT NULL);"
	"CREATE UNIQUE INDEX codes_jti ON codes (jti);"
	REVOKED_INDEX
	"CREATE INDEX codes_open ON codes (exp, status, revoked_at) WHERE revoked_at = 0;"
	"CREATE TABLE travel ("
	" region NOT NULL, first NOT NULL, last NOT NULL, person TEXT NOT NULL,"
	" n INTEGER NOT NULL, PRIMARY KEY (region, first, last, person)) WITHOUT ROWID;"
	"CREATE TABLE visit_inputs ("
	" seq INTEGER PRIMARY KEY, person TEXT NOT NULL, json TEXT NOT NULL, source TEXT NOT NULL,"
	" cause TEXT, at INTEGER NOT NULL, UNIQUE (person, json));"
	"CREATE TABLE visits ("
	" venue NOT NULL, person TEXT NOT NULL, at NOT NULL, n INTEGER NOT NULL,"
	" PRIMARY KEY (venue, person, at)) WITHOUT ROWID;"
	VISITS_INDEX TRAVEL_INDEX;
static const char schema[] =
	"CREATE TABLE audit (seq INTEGER PRIMARY KEY, line BLOB NOT NULL, hash BLOB NOT NULL);"
	"CREATE TABLE tokens ("
	" hash BLOB NOT NULL UNIQUE, role TEXT NOT NULL, name TEXT NOT NULL UNIQUE,"
	" created INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO meta VALUES ('revlist_seq', 0);";

/* The exposure rows of a stay or a visit, from the input's json as
 * version 1's expression indexes took them (json_extract; an entry
 * without one of the values is never found, so it has no row). */
#define TRAVEL_VALS \
	"json_extract(?1, '$.region') AS r, json_extract(?1, '$.from') AS f," \
	" json_extract(?1, '$.to') AS l"
#define TRAVEL_KEY \
	"region = json_extract(?1, '$.region') AND first = json_extract(?1, '$.from')" \
	" AND last = json_extract(?1, '$.to') AND person = ?2"
#define VISIT_KEY "venue = json_extract(?1, '$.venue') AND at = json_extract(?1, '$.at') AND person = ?2"

/* S_AUDIT_ADD_ROWS below lists that many rows */
_Static_assert(RS_AUDIT_ROWS == 8, "S_AUDIT_ADD_ROWS has 8 rows");

#define CODE_COLS "jti, person, status, why, policy, kid, iat, exp, revoked_at, superseded_by, jws"

static const char *const sql[S_N] = {
	[S_BEGIN] = "BEGIN",
	[S_BEGIN_IMM] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SAVEPOINT] = "SAVEPOINT job",
	[S_RELEASE] = "RELEASE job",
	[S_ROLLBACK_TO] = "ROLLBACK TO job",
	[S_PERSON] = "SELECT name, id, version, status, inputs, codes, n, held FROM people"
		     " WHERE key = ?1",
	[S_PERSON_ADD] = "INSERT INTO people (key, name, id, version, status, created, inputs, codes,"
			 " held) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_PERSON_SET] = "UPDATE people SET name = ?2, id = ?3, version = ?4, status = ?5,"
			 " inputs = ?6, codes = ?7, held = ?8 WHERE n = ?1",
	[S_PERSON_CODES] = "UPDATE people SET codes = ?2 WHERE n = ?1",
	[S_TRAVEL_ADD] = "INSERT INTO travel (region, first, last, person, n)"
			 " SELECT r, f, l, ?2, 1 FROM (SELECT " TRAVEL_VALS ")"
			 " WHERE r IS NOT NULL AND f IS NOT NULL AND l IS NOT NULL"
			 " ON CONFLICT DO UPDATE SET n = n + 1",
	[S_TRAVEL_DEL] = "UPDATE travel SET n = n - 1 WHERE " TRAVEL_KEY,
	[S_TRAVEL_GC] = "DELETE FROM travel WHERE " TRAVEL_KEY " AND n <= 0",
	[S_VISIT_ADD] = "INSERT INTO visits (venue, person, at, n)"
			" SELECT v, ?2, a, 1 FROM (SELECT json_extract(?1, '$.venue') AS v,"
			" json_extract(?1, '$.at') AS a) WHERE v IS NOT NULL AND a IS NOT NULL"
			" ON CONFLICT DO UPDATE SET n = n + 1",
	[S_VISIT_DEL] = "UPDATE visits SET n = n - 1 WHERE " VISIT_KEY,
	[S_VISIT_GC] = "DELETE FROM visits WHERE " VISIT_KEY " AND n <= 0",
	[S_VISIT_INPUT_ADD] = "INSERT INTO visit_inputs (person, json, source, cause, at)"
			      " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (person, json) DO NOTHING",
	[S_VISIT_INPUT_DEL] = "DELETE FROM visit_inputs WHERE person = ?1 AND json = ?2",
	/* in the unique index's order (ORDER BY seq would sort them in a
	 * temporary b-tree, 30k instructions a person even with none): the
	 * reader keeps the newest REG_KIND_MAX */
	[S_VISIT_INPUTS] = "SELECT seq, json FROM visit_inputs WHERE person = ?1",
	[S_EVENT_ADD] = "INSERT INTO events (source, event, person, at) VALUES (?1, ?2, ?3, ?4)"
			" ON CONFLICT (source, event) DO NOTHING",
	[S_ANSWER_GET] = "SELECT at FROM answers WHERE person = ?1 AND source = ?2",
	[S_ANSWER_SET] = "INSERT INTO answers (person, source, at) VALUES (?1, ?2, ?3)"
			 " ON CONFLICT (person, source) DO UPDATE SET at = excluded.at",
	[S_VISIT_INPUTS_OF] = "SELECT json FROM visit_inputs WHERE person = ?1 AND source = ?2",
	[S_VISIT_INPUT_TAKE] = "UPDATE visit_inputs SET source = ?3, cause = ?4, at = ?5"
			       " WHERE person = ?1 AND json = ?2 AND source <> ?3",
	[S_CODE_ADD] = "INSERT INTO codes (" CODE_COLS ")"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, '', ?9)",
	[S_CODE_GET] = "SELECT revoked_at, person, status FROM codes WHERE jti = ?1",
	/* the row revoked, if any, gives the census its expiry and status */
	[S_CODE_REVOKE] = "UPDATE codes SET revoked_at = ?2, superseded_by = ?3"
			  " WHERE jti = ?1 AND revoked_at = 0 RETURNING exp, status",
	[S_CODE_FULL] = "SELECT " CODE_COLS " FROM codes WHERE jti = ?1",
	[S_REVOKED] = "SELECT jti, revoked_at FROM codes INDEXED BY codes_revoked_exp"
		      " WHERE revoked_at > 0 AND exp > ?1",
	[S_AUDIT_LAST] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
	[S_AUDIT_ADD] = "INSERT INTO audit (seq, line, hash) VALUES (?1, ?2, ?3)",
	/* RS_AUDIT_ROWS entries at once (one statement's work, not eight).
	 * OR FAIL: an insert of several rows that may abort keeps a statement
	 * journal (a copy of every page it changes, to undo its first rows:
	 * with two rows that cost more than the second statement saved); a
	 * failure here fails the job or the batch, which the writer rolls
	 * back anyway. */
	[S_AUDIT_ADD_ROWS] = "INSERT OR FAIL INTO audit (seq, line, hash) VALUES (?1, ?2, ?3),"
			     " (?4, ?5, ?6), (?7, ?8, ?9), (?10, ?11, ?12), (?13, ?14, ?15),"
			     " (?16, ?17, ?18), (?19, ?20, ?21), (?22, ?23, ?24)",
	[S_AUDIT_READ] = "SELECT seq, line FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	[S_TOKEN_ADD] = "INSERT INTO tokens (hash, role, name, created, revoked)"
			" VALUES (?1, ?2, ?3, ?4, 0)",
	[S_TOKEN_FIND] = "SELECT role, name, created, revoked FROM tokens WHERE hash = ?1",
	[S_TOKEN_BY_NAME] = "SELECT role, revoked FROM tokens WHERE name = ?1",
	[S_TOKEN_REVOKE] = "UPDATE tokens SET revoked = ?2 WHERE name = ?1 AND revoked = 0",
	[S_TOKENS] = "SELECT role, name, created, revoked FROM tokens ORDER BY name",
	[S_SEQ_BUMP] = "UPDATE meta SET value = value + 1 WHERE name = 'revlist_seq'",
	[S_SEQ_GET] = "SELECT value FROM meta WHERE name = 'revlist_seq'",
	/* People are never deleted and their n is the rowid SQLite gives (the
	 * largest plus one), so the largest n is their number: one descent of
	 * the table, where count(*) reads all of people_key (with 10^6 people
	 * 0.07-0.13 s a scrape with the file in the page cache, 6.6 s from the
	 * disk). */
	[S_N_PEOPLE] = "SELECT coalesce(max(n), 0) FROM people",
	[S_N_CODES] = "SELECT status, count(*) FROM codes WHERE revoked_at = 0 AND exp > ?1"
		      " GROUP BY status",
	/* the census (registry_sqlite_census.c): one minute of expiries, and
	 * its build, codes_open read in order (each row summed in C: with
	 * 10^6 codes 190 ms of CPU, where GROUP BY exp, status took 460 and
	 * S_N_CODES 260-350) */
	[S_N_CODES_RANGE] = "SELECT status, count(*) FROM codes WHERE revoked_at = 0 AND exp > ?1"
			    " AND exp < ?2 GROUP BY status",
	[S_CODES_BY_EXP] = "SELECT exp, status FROM codes WHERE revoked_at = 0 AND exp >= ?1"
			   " ORDER BY exp",
	/* a read transaction's first read: its snapshot (page 1 only) */
	[S_SNAPSHOT] = "PRAGMA schema_version",
	[S_N_REVOKED] = "SELECT count(*) FROM codes INDEXED BY codes_revoked_exp"
			" WHERE revoked_at > 0 AND exp > ?1",
};

hc_err rs_dberr(struct conn *c, const char *what)
{
	hc_set_detail("registry: %s: %s", what, c->db ? sqlite3_errmsg(c->db) : "no connection");
	return HC_ERR_STORE;
}

static void on_rollback(void *db)
{
	rs_wal_discard(db);
}

hc_err rs_conn_open(struct conn *c, const char *path, bool writer)
{
	int rc;

	(void)writer;
	memset(c, 0, sizeof(*c));
	rc = sqlite3_open_v2(path, &c->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
			     rs_vfs());
	if (rc != SQLITE_OK) {
		hc_set_detail("%s: %s", path, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		return HC_ERR_STORE;
	}
	(void)sqlite3_extended_result_codes(c->db, 1);
	(void)sqlite3_busy_timeout(c->db, REG_BUSY_MS);
	/* FULL from the start, before the schema's writes too: the hc-wal VFS
	 * holds a WAL's writes until the commit's sync, and a build of SQLite
	 * whose WAL default is NORMAL would not sync (set by hand, the level
	 * stays when the connection turns to WAL). It reads the schema: a file
	 * that is no database is left to the schema's check, which refuses it
	 * by name; any other failure (busy past the timeout, I/O) fails here. */
	rc = sqlite3_exec(c->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	if (rc != SQLITE_OK && (sqlite3_extended_errcode(c->db) & 0xff) != SQLITE_NOTADB)
		return rs_dberr(c, "PRAGMA synchronous = FULL");
	/* a rolled-back transaction's gathered WAL writes are dropped */
	(void)sqlite3_rollback_hook(c->db, on_rollback, c->db);
	return HC_OK;
}

/* Runs a pragma (fixed text) and returns its first column as an integer
 * or, when text is given, as text. */
static hc_err pragma(struct conn *c, const char *stmt, int64_t *v, char *text, size_t n)
{
	sqlite3_stmt *s = NULL;
	hc_err err = HC_OK;
	int rc;

	if (sqlite3_prepare_v2(c->db, stmt, -1, &s, NULL) != SQLITE_OK)
		return rs_dberr(c, stmt);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (v)
			*v = sqlite3_column_int64(s, 0);
		if (text) {
			const unsigned char *t = sqlite3_column_text(s, 0);
			(void)snprintf(text, n, "%s", t ? (const char *)t : "");
		}
		rc = sqlite3_step(s);
	}
	if (rc != SQLITE_DONE)
		err = rs_dberr(c, stmt);
	sqlite3_finalize(s);
	return err;
}

hc_err rs_conn_pragmas(struct conn *c, bool writer)
{
	char mode[16];
	int64_t sync = 0;
	hc_err err;

	if (writer) {
		err = pragma(c, "PRAGMA journal_mode = WAL", NULL, mode, sizeof(mode));
		if (err != HC_OK)
			return err;
		if (strcmp(mode, "wal") != 0) {
			hc_set_detail("registry: journal mode %s, not wal", mode);
			return HC_ERR_STORE;
		}
	}
	/* FULL after WAL is on, and on every connection: the checkpointer's
	 * and the last one to close also write the database. */
	err = pragma(c, "PRAGMA synchronous = FULL", NULL, NULL, 0);
	/* and read back: the hc-wal VFS needs a sync before every commit */
	if (err == HC_OK && (err = pragma(c, "PRAGMA synchronous", &sync, NULL, 0)) == HC_OK &&
	    sync != 2) {
		hc_set_detail("registry: synchronous is %lld, not FULL (2)", (long long)sync);
		err = HC_ERR_STORE;
	}
	if (err == HC_OK)
		err = pragma(c, "PRAGMA foreign_keys = ON", NULL, NULL, 0);
	/* A larger page cache for the writer (events write people spread
	 * over the whole file); no memory mapping, which would count the
	 * whole file as the service's resident memory. 64 MB: with 10^6
	 * people the people_key index alone is some 56 MB, and a new
	 * person's insert reads a random leaf of it; with 32 MB the writer
	 * read ~0.8 pages an event from the file (from 8x10^5 to 10^6
	 * people), with 64 MB ~0.3, 0.7 s less of its CPU a 2x10^5 events,
	 * for ~40 MB more resident at the end. 128 MB was tried: 10^6 events
	 * went from 29,000-29,400/s to 31,700/s (one run; the writer's
	 * commits 30.2 s to 28.0 s), but resident memory from 122 to 194 MiB
	 * there and from 181 to 248 MiB in tests/bench/service.sh, where the
	 * held codes' cache is full too: too near the 256 MiB target. */
	if (err == HC_OK && writer)
		err = pragma(c, "PRAGMA cache_size = -65536", NULL, NULL, 0);
	/* The writer's statement and savepoint journals in memory: on disk
	 * (a deleted file in /var/tmp) every page a job touched that an
	 * earlier job of the same commit had changed was copied out with a
	 * pwrite, four for every one to the WAL (events: 1,000 changes a
	 * commit), and registry pages lay in a temporary file. */
	if (err == HC_OK && writer)
		err = pragma(c, "PRAGMA temp_store = MEMORY", NULL, NULL, 0);
	return err;
}

/* Warm, 8 MB: most of the inner pages that a person's read passes
 * (people, people_key, codes, codes_jti: 929 pages of 4 KB with 10^6
 * people and 1.17 million codes, by the dbstat table) stay among the
 * leaves read since. Reading people at random from one connection took
 * 6.7 pages a person from the file with the default 2 MB, 4.7 with 8 MB
 * and 3.8 with 16 MB (4 are leaves, rarely read twice). The others, used
 * while every warm one is busy, 1 MB. */
hc_err rs_conn_cache(struct conn *c, bool warm)
{
	return pragma(c, warm ? "PRAGMA cache_size = -8192" : "PRAGMA cache_size = -1024", NULL,
		      NULL, 0);
}

void rs_conn_close(struct conn *c)
{
	for (int i = 0; i < S_N; i++)
		sqlite3_finalize(c->st[i]);
	memset(c->st, 0, sizeof(c->st));
	(void)sqlite3_close(c->db);
	c->db = NULL;
	hc_sha256_ctx_free(c->sha);
	c->sha = NULL;
	rs_audit_drop(c, 0);
	free(c->dl);
	c->dl = NULL;
	c->ndl = c->capdl = 0;
}

hc_err rs_schema_create(struct conn *c)
{
	char *msg = NULL;
	char stmt[96];

	if (snprintf(stmt, sizeof(stmt), "PRAGMA application_id = %d; PRAGMA user_version = %d",
		     REG_APP_ID, REG_SCHEMA) >= (int)sizeof(stmt))
		return HC_ERR_INVALID_ARG;
	if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(c->db, rs_schema_v2_people, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(c->db, schema, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(c->db, stmt, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(c->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		hc_set_detail("registry: schema: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return HC_ERR_STORE;
	}
	return HC_OK;
}

/* The events sources sent, by (token name, the source's event id): a
 * second with the same pair is a duplicate. */
static const char schema_events[] =
	"CREATE TABLE IF NOT EXISTS events ("
	" source TEXT NOT NULL, event TEXT NOT NULL, person TEXT NOT NULL, at INTEGER NOT NULL,"
	" PRIMARY KEY (source, event)) WITHOUT ROWID;"
	/* When each queried source last answered for each person (its
	 * max_age runs from there, across restarts). */
	"CREATE TABLE IF NOT EXISTS answers ("
	" person TEXT NOT NULL, source TEXT NOT NULL, at INTEGER NOT NULL,"
	" PRIMARY KEY (person, source)) WITHOUT ROWID;";

/* people.held (registry_sqlite_row.c): added to a registry without it,
 * NULL in every row until that person's next code (their held code is
 * read from the codes table meanwhile). A program that does not know the
 * column leaves it as it was, which the readers tell (the copy is used
 * only while it is the codes blob's held code). */
static const char held_count[] =
	"SELECT count(*) FROM pragma_table_info('people') WHERE name = 'held'";

hc_err rs_schema_extend(struct conn *c)
{
	char *msg = NULL;
	int64_t n = 0;
	int rc;

	/* A registry made before codes_revoked_exp: it is built once (the
	 * codes read once, some seconds with 10^6 of them), and the index by
	 * jti that it replaces is dropped. One made before visits_at and
	 * travel_last: the visits and the stays read once. */
	if (sqlite3_exec(c->db, schema_events, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(c->db, REVOKED_INDEX "DROP INDEX IF EXISTS codes_revoked;" VISITS_INDEX
			 TRAVEL_INDEX,
			 NULL, NULL, &msg) != SQLITE_OK) {
		hc_set_detail("registry: schema: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return HC_ERR_STORE;
	}
	if (pragma(c, held_count, &n, NULL, 0) != HC_OK)
		return HC_ERR_STORE;
	if (n)
		return HC_OK;
	rc = sqlite3_exec(c->db, "ALTER TABLE people ADD COLUMN held BLOB", NULL, NULL, &msg);
	/* another process may have added it meanwhile */
	if (rc != SQLITE_OK && (pragma(c, held_count, &n, NULL, 0) != HC_OK || !n)) {
		hc_set_detail("registry: schema: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return HC_ERR_STORE;
	}
	sqlite3_free(msg);
	return HC_OK;
}

/* Read only, so that a file that is not ours is left as it was. */
hc_err rs_schema_version(struct conn *c, const char *path, int64_t *ver)
{
	int64_t app = 0;

	*ver = 0;
	if (pragma(c, "PRAGMA application_id", &app, NULL, 0) != HC_OK ||
	    pragma(c, "PRAGMA user_version", ver, NULL, 0) != HC_OK) {
		hc_set_detail("%s: not a registry: %s", path, sqlite3_errmsg(c->db));
		return HC_ERR_STORE;
	}
	if (app != REG_APP_ID) {
		hc_set_detail("%s: not a registry (an SQLite database with application_id %lld)",
			      path, (long long)app);
		return HC_ERR_STORE;
	}
	return HC_OK;
}

/* Version 1 is migrated when migrate (registry_sqlite_migrate.c), else
 * refused with what to do; any other but ours is refused. */
hc_err rs_schema_check(struct conn *c, const char *path, bool migrate)
{
	int64_t ver;
	hc_err err = rs_schema_version(c, path, &ver);

	if (err == HC_OK && ver == 1 && !migrate) {
		hc_set_detail("%s: registry schema version 1: `hc-issued serve` of this version "
			      "migrates it to version %d (one way: back it up first with the "
			      "previous version or sqlite3's .backup)", path, REG_SCHEMA);
		err = HC_ERR_STORE;
	} else if (err == HC_OK && ver == 1) {
		err = rs_migrate_v1(c, path);
	} else if (err == HC_OK && ver != REG_SCHEMA) {
		hc_set_detail("%s: registry schema version %lld, this program knows 1 and %d",
			      path, (long long)ver, REG_SCHEMA);
		err = HC_ERR_STORE;
	}
	return err;
}

sqlite3_stmt *rs_q(struct conn *c, enum rs_stmt id, const char *fmt, ...)
{
	sqlite3_stmt *s = c->st[id];
	va_list ap;
	int rc = SQLITE_OK;

	if (!s) {
		if (sqlite3_prepare_v3(c->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) !=
		    SQLITE_OK) {
			(void)rs_dberr(c, "prepare");
			return NULL;
		}
		c->st[id] = s;
	}
	va_start(ap, fmt);
	for (int i = 0; fmt[i] && rc == SQLITE_OK; i++) {
		const char *t;
		const void *p;

		switch (fmt[i]) {
		case 't':
			t = va_arg(ap, const char *);
			rc = t ? sqlite3_bind_text(s, i + 1, t, -1, SQLITE_STATIC)
			       : sqlite3_bind_null(s, i + 1);
			break;
		case 'i':
			rc = sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
			break;
		case 'I': {
			int64_t v = va_arg(ap, int64_t);

			rc = v >= 0 ? sqlite3_bind_int64(s, i + 1, v) : sqlite3_bind_null(s, i + 1);
			break;
		}
		case 'h':
			rc = sqlite3_bind_blob(s, i + 1, va_arg(ap, const void *), 32,
			                       SQLITE_STATIC);
			break;
		default: /* 'b' */
			p = va_arg(ap, const void *);
			rc = sqlite3_bind_blob64(s, i + 1, p, va_arg(ap, size_t), SQLITE_STATIC);
			break;
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		(void)rs_dberr(c, "bind");
		rs_done(s);
		return NULL;
	}
	return s;
}

void rs_done(sqlite3_stmt *s)
{
	if (s) {
		(void)sqlite3_reset(s);
		(void)sqlite3_clear_bindings(s);
	}
}

hc_err rs_run(struct conn *c, sqlite3_stmt *s, const char *what)
{
	hc_err err = HC_OK;

	if (!s)
		return HC_ERR_STORE;
	if (sqlite3_step(s) != SQLITE_DONE)
		err = rs_dberr(c, what);
	rs_done(s);
	return err;
}

hc_err rs_exec(struct conn *c, enum rs_stmt id, const char *what)
{
	return rs_run(c, rs_q(c, id, ""), what);
}

void rs_rollback(struct conn *c)
{
	if (!sqlite3_get_autocommit(c->db) && rs_exec(c, S_ROLLBACK, "rollback") != HC_OK)
		(void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}
