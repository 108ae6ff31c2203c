/* registry_sqlite_migrate.c: a registry of schema version 1 brought to
 * version 2 when it is opened, in one transaction (a crash or a failure
 * leaves version 1 as it was): the people gain their inputs (but visits,
 * which move to visit_inputs) and the codes
 * a status change may revoke (registry_sqlite_row.c), the codes move to a
 * table keyed by jti, the stays and visits to the exposure tables; audit,
 * tokens, meta and events are kept as they are. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry_sqlite.h"

/* Version 1 as its last program left a file: the tables, the events table
 * and the exposure indexes it added at open. Kept exactly, for the tests
 * that make a version-1 file. */
const char rs_schema_v1[] =
	"CREATE TABLE people ("
	" key TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL,"
	" version INTEGER NOT NULL, status INTEGER, created INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE inputs ("
	" seq INTEGER PRIMARY KEY, person TEXT NOT NULL REFERENCES people(key),"
	" kind TEXT NOT NULL, json TEXT NOT NULL, source TEXT NOT NULL, cause TEXT,"
	" at INTEGER NOT NULL, UNIQUE (person, kind, json));"
	"CREATE TABLE codes ("
	" jti TEXT PRIMARY KEY NOT NULL, person TEXT NOT NULL REFERENCES people(key),"
	" status INTEGER NOT NULL, why TEXT NOT NULL, policy TEXT NOT NULL, kid TEXT NOT NULL,"
	" iat INTEGER NOT NULL, exp INTEGER NOT NULL, revoked_at INTEGER NOT NULL DEFAULT 0,"
	" superseded_by TEXT NOT NULL DEFAULT '', jws TEXT NOT NULL);"
	"CREATE INDEX codes_person ON codes (person, exp);"
	"CREATE INDEX codes_revoked ON codes (jti, exp, revoked_at) WHERE revoked_at > 0;"
	"CREATE INDEX codes_open ON codes (exp, status, revoked_at) WHERE revoked_at = 0;"
	"CREATE TABLE audit (seq INTEGER PRIMARY KEY, line BLOB NOT NULL, hash BLOB NOT NULL);"
	"CREATE TABLE tokens ("
	" hash BLOB NOT NULL UNIQUE, role TEXT NOT NULL, name TEXT NOT NULL UNIQUE,"
	" created INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO meta VALUES ('revlist_seq', 0);"
	"CREATE TABLE IF NOT EXISTS events ("
	" source TEXT NOT NULL, event TEXT NOT NULL, person TEXT NOT NULL, at INTEGER NOT NULL,"
	" PRIMARY KEY (source, event)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS inputs_travel_region"
	" ON inputs (json_extract(json, '$.region')) WHERE kind = 'travel';"
	"CREATE INDEX IF NOT EXISTS inputs_visit_venue"
	" ON inputs (json_extract(json, '$.venue')) WHERE kind = 'visits';";

/* Before: version 1's people and codes out of the way of version 2's
 * (index names are the database's: version 2 makes its own codes_open,
 * and its revoked codes are indexed by codes_revoked_exp). codes_person stays with codes_v1 until it is dropped:
 * people() reads each person's codes by it (without it, a scan of every
 * code for every person). */
static const char before[] =
	"DROP INDEX IF EXISTS inputs_travel_region;"
	"DROP INDEX IF EXISTS inputs_visit_venue;"
	"DROP INDEX codes_revoked; DROP INDEX codes_open;"
	"ALTER TABLE people RENAME TO people_v1;"
	"ALTER TABLE codes RENAME TO codes_v1;";

/* After version 2's tables are made and its people filled. */
static const char after[] =
	"INSERT INTO codes (n, jti, person, status, why, policy, kid, iat, exp, revoked_at,"
	" superseded_by, jws) SELECT rowid, jti, person, status, why, policy, kid, iat, exp,"
	" revoked_at, superseded_by, jws FROM codes_v1 ORDER BY rowid;"
	"INSERT INTO visit_inputs (seq, person, json, source, cause, at)"
	" SELECT seq, person, json, source, cause, at FROM inputs WHERE kind = 'visits';"
	"INSERT INTO travel (region, first, last, person, n)"
	" SELECT r, f, l, person, count(*) FROM (SELECT json_extract(json, '$.region') AS r,"
	" json_extract(json, '$.from') AS f, json_extract(json, '$.to') AS l, person"
	" FROM inputs WHERE kind = 'travel')"
	" WHERE r IS NOT NULL AND f IS NOT NULL AND l IS NOT NULL GROUP BY r, f, l, person;"
	"INSERT INTO visits (venue, person, at, n)"
	" SELECT v, person, a, count(*) FROM (SELECT json_extract(json, '$.venue') AS v,"
	" json_extract(json, '$.at') AS a, person FROM inputs WHERE kind = 'visits')"
	" WHERE v IS NOT NULL AND a IS NOT NULL GROUP BY v, person, a;"
	"DROP TABLE inputs; DROP TABLE codes_v1; DROP TABLE people_v1;"
	"CREATE TABLE IF NOT EXISTS events ("
	" source TEXT NOT NULL, event TEXT NOT NULL, person TEXT NOT NULL, at INTEGER NOT NULL,"
	" PRIMARY KEY (source, event)) WITHOUT ROWID;"
	"PRAGMA user_version = 2;";

static hc_err exec(struct conn *c, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		hc_set_detail("registry: migration to version 2: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return HC_ERR_STORE;
	}
	return HC_OK;
}

static sqlite3_stmt *prep(struct conn *c, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK) {
		(void)rs_dberr(c, "migration");
		return NULL;
	}
	return s;
}

/* One person's inputs (in the order supplied) and unrevoked codes (in the
 * order issued) into w. */
static hc_err gather(struct conn *c, sqlite3_stmt *in, sqlite3_stmt *codes, const char *key,
		     struct rs_row *w, int64_t now)
{
	hc_err err = HC_OK;
	int rc;

	memset(w, 0, sizeof(*w));
	if (sqlite3_bind_text(in, 1, key, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(codes, 1, key, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		return rs_dberr(c, "migration");
	while (err == HC_OK && (rc = sqlite3_step(in)) == SQLITE_ROW) {
		struct rs_in e = {.kind = rs_kind_index((const char *)sqlite3_column_text(in, 0))};
		const char *f[3] = {NULL, NULL, NULL};
		size_t n[3] = {0, 0, 0};

		for (int i = 0; i < 3; i++) {
			const unsigned char *t = sqlite3_column_text(in, i + 1);
			char *copy;

			n[i] = (size_t)sqlite3_column_bytes(in, i + 1);
			/* the strings outlive the statement's row: copied into
			 * one block per input, freed with the row's blob below */
			copy = t ? malloc(n[i] + 1) : NULL;
			if (t && !copy) {
				err = HC_ERR_NOMEM;
				break;
			}
			if (copy)
				memcpy(copy, t, n[i] + 1);
			f[i] = copy;
		}
		if (err == HC_OK && (e.kind < 0 || !f[0] || !f[1])) {
			hc_set_detail("registry: migration: person %s: an input of unknown kind", key);
			err = HC_ERR_STORE;
		}
		e.json = f[0];
		e.njson = n[0];
		e.source = f[1];
		e.nsource = n[1];
		e.cause = f[2];
		e.ncause = f[2] ? n[2] : 0;
		e.at = sqlite3_column_int64(in, 4);
		if (err == HC_OK)
			err = rs_row_add_input(w, &e);
		if (err != HC_OK)
			for (int i = 0; i < 3; i++)
				free((void *)f[i]);
	}
	if (err == HC_OK && rc != SQLITE_DONE)
		err = rs_dberr(c, "migration: inputs");
	while (err == HC_OK && (rc = sqlite3_step(codes)) == SQLITE_ROW) {
		struct rs_live k = {.st = sqlite3_column_int(codes, 1),
				    .iat = sqlite3_column_int64(codes, 2),
				    .exp = sqlite3_column_int64(codes, 3)};
		const unsigned char *jti = sqlite3_column_text(codes, 0);

		(void)snprintf(k.jti, sizeof(k.jti), "%s", jti ? (const char *)jti : "");
		if (!rs_is_b64u(k.jti, REG_JTI_LEN) || k.st < 0 || k.st > HC_ST_RED) {
			hc_set_detail("registry: migration: person %s: a damaged code", key);
			err = HC_ERR_STORE;
		} else {
			err = rs_row_add_code(w, &k);
		}
	}
	if (err == HC_OK && rc != SQLITE_DONE)
		err = rs_dberr(c, "migration: codes");
	(void)rs_row_prune(w, now);
	(void)sqlite3_reset(in);
	(void)sqlite3_reset(codes);
	return err;
}

static void gather_free(struct rs_row *w)
{
	for (size_t i = 0; i < w->nin; i++) {
		free((void *)w->in[i].json);
		free((void *)w->in[i].source);
		free((void *)w->in[i].cause);
	}
	rs_row_free(w);
}

/* Every person of version 1 into version 2's people. */
static hc_err people(struct conn *c)
{
	sqlite3_stmt *p = prep(c, "SELECT key, name, id, version, status, created FROM people_v1"
				  " ORDER BY key");
	sqlite3_stmt *in = prep(c, "SELECT kind, json, source, cause, at FROM inputs"
				   " WHERE person = ?1 AND kind <> 'visits' ORDER BY seq");
	sqlite3_stmt *codes = prep(c, "SELECT jti, status, iat, exp FROM codes_v1"
				      " WHERE person = ?1 AND revoked_at = 0 ORDER BY rowid");
	sqlite3_stmt *add = prep(c, "INSERT INTO people (key, name, id, version, status, created,"
				    " inputs, codes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	int64_t now = (int64_t)time(NULL);
	hc_err err = p && in && codes && add ? HC_OK : HC_ERR_STORE;
	int rc = SQLITE_DONE;

	while (err == HC_OK && (rc = sqlite3_step(p)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(p, 0);
		uint8_t *bi = NULL, *bc = NULL;
		size_t ni = 0, nc = 0;
		struct rs_row w;

		err = gather(c, in, codes, key ? key : "", &w, now);
		if (err == HC_OK)
			err = rs_row_encode(&w, &bi, &ni, &bc, &nc);
		for (int i = 0; err == HC_OK && i < 6; i++)
			if (sqlite3_bind_value(add, i + 1, sqlite3_column_value(p, i)) != SQLITE_OK)
				err = rs_dberr(c, "migration");
		if (err == HC_OK &&
		    (sqlite3_bind_blob64(add, 7, bi, ni, SQLITE_STATIC) != SQLITE_OK ||
		     sqlite3_bind_blob64(add, 8, bc, nc, SQLITE_STATIC) != SQLITE_OK ||
		     sqlite3_step(add) != SQLITE_DONE))
			err = rs_dberr(c, "migration: person");
		(void)sqlite3_reset(add);
		free(bi);
		free(bc);
		gather_free(&w);
	}
	if (err == HC_OK && rc != SQLITE_DONE)
		err = rs_dberr(c, "migration: people");
	sqlite3_finalize(p);
	sqlite3_finalize(in);
	sqlite3_finalize(codes);
	sqlite3_finalize(add);
	return err;
}

hc_err rs_migrate_v1(struct conn *c, const char *path)
{
	int64_t ver = 0;
	hc_err err = exec(c, "BEGIN IMMEDIATE");

	if (err != HC_OK)
		return err;
	/* another program may have migrated it since it was looked at */
	err = rs_schema_version(c, path, &ver);
	if (err == HC_OK && ver == 1) {
		err = exec(c, before);
		if (err == HC_OK)
			err = exec(c, rs_schema_v2_people);
		if (err == HC_OK)
			err = people(c);
		if (err == HC_OK)
			err = exec(c, after);
	} else if (err == HC_OK && ver != 2) {
		hc_set_detail("%s: registry schema version %lld during its migration", path,
			      (long long)ver);
		err = HC_ERR_STORE;
	}
	if (err == HC_OK)
		err = exec(c, "COMMIT");
	if (err != HC_OK) {
		char keep[256];

		(void)snprintf(keep, sizeof(keep), "%s", hc_detail());
		(void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		hc_set_detail("%s: left at version 1: %s", path, keep);
	}
	return err;
}
