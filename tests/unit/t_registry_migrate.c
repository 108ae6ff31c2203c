/* t_registry_migrate.c: the layout of schema version 2 (a person's visits
 * apart from their row) and the migration to it: a registry of schema
 * version 1, made here with
 * version 1's own SQL (rs_schema_v1) and filled with people, inputs, codes
 * (unrevoked, revoked by an admin, superseded, expired), events, tokens,
 * the revocation list's seq and an audit chain, opened by this program:
 * migrated to version 2 at open, everything reads back as version 1 held
 * it, and the next changes work on it. A version-1 file that cannot be
 * migrated is left at version 1. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hc_audit.h"
#include "reg_fx.h"
#include "registry_sqlite.h"
#include "t.h"

#define SECTION(name) (t_end(), t_begin(name))

static int64_t T; /* now: the codes' expiry is against the real clock */
static char key[3][REG_KEY_LEN + 1], jti[7][REG_JTI_LEN + 1];
static uint8_t last_hash[32];

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	CHECK(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK);
	if (msg)
		fprintf(stderr, "  %s\n  in: %.120s\n", msg, sql);
	sqlite3_free(msg);
}

/* One row through a statement with text (t), integer (i) or NULL (n)
 * parameters. */
static void row(sqlite3 *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s = NULL;
	va_list ap;

	CHECK(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK);
	va_start(ap, fmt);
	for (int i = 0; s && fmt[i]; i++) {
		if (fmt[i] == 't')
			(void)sqlite3_bind_text(s, i + 1, va_arg(ap, const char *), -1,
						SQLITE_TRANSIENT);
		else if (fmt[i] == 'i')
			(void)sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
		else
			(void)sqlite3_bind_null(s, i + 1);
	}
	va_end(ap);
	CHECK(s && sqlite3_step(s) == SQLITE_DONE);
	sqlite3_finalize(s);
}

static void audit(sqlite3 *db, int64_t seq, const char *action, const char *person,
		  const char *jti_)
{
	struct hc_audit_entry e = {.seq = seq, .at = T, .actor = "counter-1", .action = action,
				   .person = person, .jti = jti_};
	char *line = NULL;
	size_t n = 0;
	uint8_t h[32];
	sqlite3_stmt *s = NULL;

	memcpy(e.prev, last_hash, 32);
	CHECK_ERR(hc_audit_entry_encode(&e, &line, &n), HC_OK);
	CHECK_ERR(hc_sha256((const uint8_t *)line, n, h), HC_OK);
	CHECK(sqlite3_prepare_v2(db, "INSERT INTO audit VALUES (?1, ?2, ?3)", -1, &s, NULL) ==
	      SQLITE_OK);
	(void)sqlite3_bind_int64(s, 1, seq);
	(void)sqlite3_bind_blob(s, 2, line, (int)n, SQLITE_TRANSIENT);
	(void)sqlite3_bind_blob(s, 3, h, 32, SQLITE_TRANSIENT);
	CHECK(sqlite3_step(s) == SQLITE_DONE);
	sqlite3_finalize(s);
	memcpy(last_hash, h, 32);
	free(line);
}

static const char *const in_sql =
	"INSERT INTO inputs (person, kind, json, source, cause, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char *const code_sql =
	"INSERT INTO codes (jti, person, status, why, policy, kid, iat, exp, revoked_at,"
	" superseded_by, jws) VALUES (?1, ?2, ?3, '[\"nat-negative\"]', 'default-1', 'k1', ?4, ?5,"
	" ?6, ?7, ?8)";

/* Version 1's file: person 0 with inputs of every kind (interleaved with
 * person 1's in seq order) and codes of every state, person 1 with two
 * codes, person 2 (seen in an event) with nothing. */
static void make_v1(const char *path)
{
	sqlite3 *db = NULL;
	uint8_t tok[32];

	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	exec(db, "PRAGMA journal_mode = WAL; PRAGMA application_id = 1749250663;"
		 " PRAGMA user_version = 1");
	exec(db, rs_schema_v1);
	exec(db, "BEGIN");
	row(db, "INSERT INTO people VALUES (?1, '张*', '330**************1234', 4, 1, ?2)", "ti",
	    key[0], T - 100);
	row(db, "INSERT INTO people VALUES (?1, '李*', '', 1, 0, ?2)", "ti", key[1], T - 90);
	row(db, "INSERT INTO people VALUES (?1, '', '', 0, NULL, ?2)", "ti", key[2], T - 80);
	row(db, in_sql, "ttttti", key[0], "nat", "{\"at\":1,\"result\":\"negative\"}", "lab",
	    "ev-1", T - 100);
	row(db, in_sql, "ttttti", key[1], "nat", "{\"at\":2,\"result\":\"negative\"}", "lab",
	    "ev-2", T - 90);
	row(db, in_sql, "ttttni", key[0], "visits", "{\"venue\":\"310115-000001\",\"at\":100}",
	    "scan", T - 90);
	row(db, in_sql, "ttttni", key[0], "travel",
	    "{\"region\":\"310115\",\"from\":\"2026-11-10\",\"to\":\"2026-11-12\"}", "cmcc",
	    T - 80);
	row(db, in_sql, "ttttti", key[0], "flags", "\"close-contact\"", "cdc", "ev-3", T - 70);
	row(db, in_sql, "ttttti", key[0], "nat", "{\"at\":3,\"result\":\"positive\"}", "lab",
	    "ev-4", T - 60);
	row(db, in_sql, "ttttni", key[0], "visits", "{\"venue\":\"310115-000001\",\"at\":200}",
	    "scan", T - 50);
	/* person 0: 0 green superseded by 2, 1 green revoked by an admin, 2
	 * yellow unrevoked (held), 3 yellow unrevoked and expired, issued
	 * before 2; person 1: 4 green expired, 5 green unrevoked */
	row(db, code_sql, "ttiiiitt", jti[0], key[0], (int64_t)0, T - 100, T + DAY, T - 60,
	    jti[2], "jws-0");
	row(db, code_sql, "ttiiiitt", jti[3], key[0], (int64_t)1, T - 2 * (int64_t)DAY, T - DAY,
	    (int64_t)0, "", "jws-3");
	row(db, code_sql, "ttiiiitt", jti[1], key[0], (int64_t)0, T - 90, T + DAY, T - 80, "",
	    "jws-1");
	row(db, code_sql, "ttiiiitt", jti[2], key[0], (int64_t)1, T - 60, T + DAY, (int64_t)0,
	    "", "jws-2");
	row(db, code_sql, "ttiiiitt", jti[4], key[1], (int64_t)0, T - 3 * (int64_t)DAY, T - 2 * (int64_t)DAY,
	    (int64_t)0, "", "jws-4");
	row(db, code_sql, "ttiiiitt", jti[5], key[1], (int64_t)0, T - 90, T + DAY, (int64_t)0,
	    "", "jws-5");
	row(db, "INSERT INTO events VALUES ('lab', 'ev-1', ?1, ?2)", "ti", key[0], T - 100);
	row(db, "INSERT INTO events VALUES ('lab', 'ev-9', ?1, ?2)", "ti", key[2], T - 80);
	memset(tok, 7, sizeof(tok));
	{
		sqlite3_stmt *s = NULL;

		CHECK(sqlite3_prepare_v2(db, "INSERT INTO tokens VALUES (?1, 'counter', 'desk', 5, 0)",
					 -1, &s, NULL) == SQLITE_OK);
		(void)sqlite3_bind_blob(s, 1, tok, 32, SQLITE_STATIC);
		CHECK(sqlite3_step(s) == SQLITE_DONE);
		sqlite3_finalize(s);
	}
	exec(db, "UPDATE meta SET value = 5 WHERE name = 'revlist_seq'");
	audit(db, 1, "record", key[0], NULL);
	audit(db, 2, "issue", key[0], jti[0]);
	audit(db, 3, "revoke", key[0], jti[0]);
	exec(db, "COMMIT");
	sqlite3_close(db);
}

static void revoked_fn(void *arg, const char *j, int64_t at)
{
	char *out = arg;
	size_t len = strlen(out);

	(void)snprintf(out + len, 512 - len, "%s@%lld ", j, (long long)(T - at));
}

static void count_fn(void *arg, const char *k, int64_t place)
{
	CHECK(place > 0 && place < INT64_MAX);
	if (strcmp(k, key[0]) == 0)
		*(int *)arg += 1;
	else
		*(int *)arg += 100;
}

static void migrate(void)
{
	const char *path = in_dir("v1.db");
	struct reg *r = NULL;
	struct reg_person p;
	struct reg_change c;
	struct reg_token t;
	char got[512] = "", want[512];
	uint8_t tok[32], h[32];
	int64_t seq = 0;
	int n = 0;
	sqlite3 *db;

	make_v1(path);
	/* Only the caller that holds the registry alone migrates it: a plain
	 * open (hc-issued token, backup) refuses version 1 and leaves it. */
	CHECK_ERR(reg_open(path, false, &r), HC_ERR_STORE);
	CHECK(r == NULL && strstr(hc_detail(), "schema version 1") &&
	      strstr(hc_detail(), "hc-issued serve"));
	db = sql_open(path);
	CHECK(sql_int(db, "PRAGMA user_version", NULL, NULL, 0) == 1);
	sqlite3_close(db);
	CHECK_ERR(reg_open_migrate(path, &r), HC_OK);
	if (!r) {
		fprintf(stderr, "  %s\n", hc_detail());
		return;
	}
	db = sql_open(path);
	CHECK(sql_int(db, "PRAGMA user_version", NULL, NULL, 0) == 2);
	CHECK(sql_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('inputs',"
			  " 'people_v1', 'codes_v1', 'codes_person')", NULL, NULL, 0) == 0);
	sqlite3_close(db);

	SECTION("migrate: each person reads back as version 1 held them");
	CHECK_ERR(reg_person_get(r, key[0], &p), HC_OK);
	CHECK(strcmp(p.name, "张*") == 0 && strcmp(p.id, "330**************1234") == 0);
	CHECK(p.version == 4 && p.has_status && p.st == HC_ST_YELLOW);
	CHECK(p.inputs && strcmp(p.inputs,
				 "{\"nat\":[{\"at\":1,\"result\":\"negative\"},"
				 "{\"at\":3,\"result\":\"positive\"}],"
				 "\"travel\":[{\"region\":\"310115\",\"from\":\"2026-11-10\","
				 "\"to\":\"2026-11-12\"}],\"flags\":[\"close-contact\"],"
				 "\"visits\":[{\"venue\":\"310115-000001\",\"at\":100},"
				 "{\"venue\":\"310115-000001\",\"at\":200}]}") == 0);
	CHECK(p.has_held && strcmp(p.held.jti, jti[2]) == 0 && p.held.st == HC_ST_YELLOW);
	CHECK(p.held.jws && strcmp(p.held.jws, "jws-2") == 0 && p.held.nwhy == 1 &&
	      strcmp(p.held.why[0], "nat-negative") == 0 && p.held.exp == T + DAY);
	reg_person_clear(&p);
	CHECK_ERR(reg_person_get(r, key[1], &p), HC_OK);
	CHECK(p.version == 1 && p.st == HC_ST_GREEN && p.has_held &&
	      strcmp(p.held.jti, jti[5]) == 0);
	reg_person_clear(&p);
	CHECK_ERR(reg_person_get(r, key[2], &p), HC_OK);
	CHECK(p.version == 0 && !p.has_status && !p.has_held && strcmp(p.inputs, "{}") == 0);
	reg_person_clear(&p);

	SECTION("migrate: the revocation list, its seq, tokens, the audit chain");
	CHECK_ERR(reg_revoked(r, T, revoked_fn, got), HC_OK);
	{
		bool lt = strcmp(jti[0], jti[1]) < 0;

		(void)snprintf(want, sizeof(want), "%s@%d %s@%d ", lt ? jti[0] : jti[1],
			       lt ? 60 : 80, lt ? jti[1] : jti[0], lt ? 80 : 60);
	}
	CHECK(strcmp(got, want) == 0);
	CHECK_ERR(reg_revlist_next_seq(r, &seq), HC_OK);
	CHECK(seq == 6);
	memset(tok, 7, sizeof(tok));
	CHECK_ERR(reg_token_find(r, tok, &t), HC_OK);
	CHECK(strcmp(t.name, "desk") == 0);
	CHECK(check_chain(r) == 3);
	CHECK_ERR(reg_audit_last(r, &seq, h), HC_OK);
	CHECK(seq == 3 && memcmp(h, last_hash, 32) == 0);

	SECTION("migrate: exposure lookups find the stays and visits");
	CHECK_ERR(reg_exposed_travel(r, "310000", "319999", "2026-11-12", "2026-11-20", count_fn,
				     &n),
		  HC_OK);
	CHECK(n == 1);
	n = 0;
	CHECK_ERR(reg_exposed_visits(r, "310115-000001", 0, 1000, count_fn, &n), HC_OK);
	CHECK(n == 2);

	SECTION("migrate: old events are duplicates, the next changes apply");
	change_base(&c, key[0], T);
	c.action = "event";
	c.actor = "lab";
	c.event = "ev-1";
	CHECK_ERR(reg_apply(r, &c, NULL), HC_ERR_EXISTS);
	/* yellow -> red revokes 2 (yellow, unexpired), not 3 (expired) */
	change_base(&c, key[0], T);
	c.has_status = true;
	c.st = HC_ST_RED;
	CHECK_ERR(reg_apply(r, &c, NULL), HC_OK);
	db = sql_open(path);
	CHECK(sql_int(db, "SELECT revoked_at FROM codes WHERE jti = ?1", jti[2], NULL, 0) == T);
	CHECK(sql_int(db, "SELECT revoked_at FROM codes WHERE jti = ?1", jti[3], NULL, 0) == 0);
	sqlite3_close(db);
	CHECK_ERR(reg_person_get(r, key[0], &p), HC_OK);
	CHECK(p.st == HC_ST_RED && p.has_held && strcmp(p.held.jti, jti[3]) == 0);
	reg_person_clear(&p);
	CHECK(check_chain(r) == 5);
	reg_close(r);

	/* Opened again: version 2 as it is. */
	CHECK_ERR(reg_open(path, false, &r), HC_OK);
	CHECK(audit_seq(r) == 5);
	reg_close(r);
}

/* A version-1 file that does not migrate (an input of an unknown kind) is
 * refused and left as it was. */
static void migrate_fails(void)
{
	const char *path = in_dir("v1-bad.db");
	struct reg *r = NULL;
	sqlite3 *db = NULL;

	memset(last_hash, 0, sizeof(last_hash));
	make_v1(path);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	exec(db, "UPDATE inputs SET kind = 'pets' WHERE kind = 'flags'");
	sqlite3_close(db);
	CHECK_ERR(reg_open_migrate(path, &r), HC_ERR_STORE);
	CHECK(strstr(hc_detail(), "left at version 1") && strstr(hc_detail(), "unknown kind"));
	CHECK(r == NULL);
	db = sql_open(path);
	CHECK(sql_int(db, "PRAGMA user_version", NULL, NULL, 0) == 1);
	CHECK(sql_int(db, "SELECT count(*) FROM inputs", NULL, NULL, 0) == 7);
	CHECK(sql_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('codes_person',"
			  " 'people') AND sql NOT LIKE '%people_v1%'", NULL, NULL, 0) == 2);
	sqlite3_close(db);
}

static int64_t count_of(const char *s, const char *what)
{
	int64_t n = 0;

	for (const char *p = s; p && (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

/* Visits live in visit_inputs, the other kinds in the row: both listed
 * newest REG_KIND_MAX of the kind, oldest first; duplicates skipped,
 * removes found. */
static void visits_apart(void)
{
	struct reg *r = NULL;
	struct reg_input *in = calloc((size_t)2 * (REG_KIND_MAX + 2), sizeof(*in));
	char (*json)[64] = calloc((size_t)2 * (REG_KIND_MAX + 2), 64);
	struct reg_person p;
	struct reg_change c;
	char k[REG_KEY_LEN + 1], first[64];
	int64_t ver = -1;
	size_t n = 0;
	int hits = 0;

	CHECK(in && json);
	CHECK_ERR(reg_open(in_dir("visits.db"), true, &r), HC_OK);
	if (!r || !in || !json)
		goto out;
	make_key(300, k);
	for (int i = 0; i < REG_KIND_MAX + 2; i++) {
		(void)snprintf(json[n], 64, "{\"venue\":\"330106-%06d\",\"at\":%d}", i % 3, 1000 + i);
		in[n] = (struct reg_input){"visits", json[n], "scan", NULL, T};
		n++;
		(void)snprintf(json[n], 64, "{\"at\":%d,\"result\":\"negative\"}", i);
		in[n] = (struct reg_input){"nat", json[n], "lab", "ev", T};
		n++;
	}
	change_base(&c, k, T);
	c.inputs = in;
	c.ninputs = n;
	CHECK_ERR(reg_apply(r, &c, &ver), HC_OK);
	CHECK(ver == 1 && audit_seq(r) == (int64_t)n);
	/* the same again, and one visit twice: nothing new */
	c.ninputs = 3;
	CHECK_ERR(reg_apply(r, &c, &ver), HC_OK);
	CHECK(ver == 1 && audit_seq(r) == (int64_t)n);
	CHECK_ERR(reg_person_get(r, k, &p), HC_OK);
	CHECK(p.inputs && count_of(p.inputs, "\"venue\"") == REG_KIND_MAX &&
	      count_of(p.inputs, "\"result\"") == REG_KIND_MAX);
	(void)snprintf(first, sizeof(first), "\"visits\":[{\"venue\":\"330106-%06d\",\"at\":%d}", 2 % 3,
		       1002);
	CHECK(p.inputs && strstr(p.inputs, "{\"nat\":[{\"at\":2,") && strstr(p.inputs, first) &&
	      strstr(p.inputs, "\"at\":1257}]}"));
	/* every visit kept in the order supplied (the reader picks them from
	 * the unique index's order, which is the json's) */
	for (int i = 2, ordered = 1; p.inputs && ordered && i < REG_KIND_MAX + 2; i++) {
		char a[64], b[64];
		const char *x, *y;

		(void)snprintf(a, sizeof(a), "-%06d\",\"at\":%d}", i % 3, 1000 + i);
		(void)snprintf(b, sizeof(b), "-%06d\",\"at\":%d}", (i + 1) % 3, 1001 + i);
		x = strstr(p.inputs, a);
		y = i + 1 < REG_KIND_MAX + 2 ? strstr(p.inputs, b) : NULL;
		ordered = x && (i + 1 == REG_KIND_MAX + 2 || (y && x < y));
		CHECK(ordered);
	}
	reg_person_clear(&p);
	CHECK_ERR(reg_exposed_visits(r, "330106-000000", 1000, 1003, count_fn, &hits), HC_OK);
	CHECK(hits == 100); /* not key[0]: counted by 100 */
	/* a visit removed: gone from the person and from the venue's */
	change_base(&c, k, T);
	c.removes = &in[0];
	c.nremoves = 1;
	CHECK_ERR(reg_apply(r, &c, &ver), HC_OK);
	CHECK(ver == 2);
	hits = 0;
	CHECK_ERR(reg_exposed_visits(r, "330106-000000", 1000, 1003, count_fn, &hits), HC_OK);
	CHECK(hits == 0);
	CHECK_ERR(reg_person_get(r, k, &p), HC_OK);
	CHECK(p.inputs && !strstr(p.inputs, "\"at\":1000}"));
	reg_person_clear(&p);
	check_chain(r);
out:
	reg_close(r);
	free(in);
	free(json);
}

/* The plan of an exposure query (registry_sqlite_exposure.c), its
 * details joined by ';'. */
static void query_plan(sqlite3 *db, const char *query, char *plan, size_t n)
{
	char q[1024];
	sqlite3_stmt *s = NULL;

	plan[0] = '\0';
	(void)snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", query);
	CHECK(sqlite3_prepare_v2(db, q, -1, &s, NULL) == SQLITE_OK);
	while (s && sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *d = sqlite3_column_text(s, 3);
		size_t len = strlen(plan);

		(void)snprintf(plan + len, n - len, "%s;", d ? (const char *)d : "");
	}
	sqlite3_finalize(s);
}

/* A venue's visits inside a window are a range of visits_at, not every
 * visit ever made there: 200 visits at times 1000..1199 (numbers) and
 * one given as text (2026-11-21T09:30:00+08:00, 1795224600), found
 * inside their windows only; a registry made before the index gets it at
 * open. */
static void visits_window(void)
{
	struct reg *r = NULL;
	struct reg_input in[201];
	char json[201][80], k[REG_KEY_LEN + 1], plan[512];
	struct reg_change c;
	sqlite3 *db = NULL;
	int64_t ver = -1;
	int hits;

	CHECK_ERR(reg_open(in_dir("window.db"), true, &r), HC_OK);
	if (!r)
		return;
	make_key(400, k);
	for (int i = 0; i < 200; i++) {
		(void)snprintf(json[i], sizeof(json[i]), "{\"venue\":\"330106-000007\",\"at\":%d}",
			       1000 + i);
		in[i] = (struct reg_input){"visits", json[i], "scan", NULL, T};
	}
	(void)snprintf(json[200], sizeof(json[200]),
		       "{\"venue\":\"330106-000007\",\"at\":\"2026-11-21T09:30:00+08:00\"}");
	in[200] = (struct reg_input){"visits", json[200], "scan", NULL, T};
	change_base(&c, k, T);
	c.inputs = in;
	c.ninputs = 201;
	CHECK_ERR(reg_apply(r, &c, &ver), HC_OK);
	for (int pass = 0; pass < 2; pass++) {
		hits = 0;
		CHECK_ERR(reg_exposed_visits(r, "330106-000007", 1100, 1110, count_fn, &hits), HC_OK);
		CHECK(hits == 10 * 100);
		hits = 0;
		CHECK_ERR(reg_exposed_visits(r, "330106-000007", 1795224600, 1795224601, count_fn,
					     &hits),
			  HC_OK);
		CHECK(hits == 100);
		hits = 0;
		CHECK_ERR(reg_exposed_visits(r, "330106-000007", 1795224601, 1795300000, count_fn,
					     &hits),
			  HC_OK);
		CHECK(hits == 0);
		reg_close(r);
		r = NULL;
		db = sql_open(in_dir("window.db"));
		query_plan(db, rs_q_visits, plan, sizeof(plan));
		CHECK(strstr(plan, "visits_at (venue=? AND at>? AND at<?)") &&
		      !strstr(plan, "PRIMARY KEY"));
		sqlite3_close(db);
		if (pass == 1)
			break;
		/* a registry made before visits_at: opened, it has it */
		db = NULL;
		CHECK(sqlite3_open_v2(in_dir("window.db"), &db, SQLITE_OPEN_READWRITE, NULL) ==
		      SQLITE_OK);
		CHECK(db && sql_exec(db, "DROP INDEX visits_at") == SQLITE_OK);
		CHECK(db && sql_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'visits_at'",
				    NULL, NULL, 0) == 0);
		sqlite3_close(db);
		CHECK_ERR(reg_open(in_dir("window.db"), false, &r), HC_OK);
		if (!r)
			return;
	}
}

/* The stays that overlap an area's days are, in each region of the
 * range, a range of travel_last (by last day), not every stay ever made
 * there: one person a stay, an old one, a recent one and a long one in
 * 330106, a recent one in 330108 and one in 310115 (outside the
 * province); a registry made before the index gets it at open. */
static void travel_window(void)
{
	static const char *const stays[][3] = {
		{"330106", "2025-01-01", "2025-01-03"}, {"330106", "2026-11-10", "2026-11-12"},
		{"330106", "2026-01-01", "2026-12-31"}, {"330108", "2026-11-11", "2026-11-11"},
		{"310115", "2026-11-11", "2026-11-12"}};
	struct reg *r = NULL;
	struct reg_input in;
	struct reg_change c;
	char json[96], k[REG_KEY_LEN + 1], plan[1024];
	sqlite3 *db = NULL;
	int64_t ver = -1;
	int hits;

	CHECK_ERR(reg_open(in_dir("stays.db"), true, &r), HC_OK);
	if (!r)
		return;
	for (int i = 0; i < 5; i++) {
		make_key(500 + i, k);
		(void)snprintf(json, sizeof(json), "{\"region\":\"%s\",\"from\":\"%s\",\"to\":\"%s\"}",
			       stays[i][0], stays[i][1], stays[i][2]);
		in = (struct reg_input){"travel", json, "carrier", NULL, T};
		change_base(&c, k, T);
		c.inputs = &in;
		c.ninputs = 1;
		CHECK_ERR(reg_apply(r, &c, &ver), HC_OK);
	}
	for (int pass = 0; pass < 2; pass++) {
		static const struct {
			const char *lo, *hi, *from, *to;
			int want;
		} q[] = {{"330000", "339999", "2026-11-11", "2026-11-11", 300},
			 {"330106", "330106", "2026-11-11", "2026-11-11", 200},
			 {"330100", "330199", "2026-11-12", "2026-11-20", 200},
			 {"330106", "330106", "2025-01-02", "2025-01-02", 100},
			 {"330106", "330106", "2026-11-13", "2026-11-20", 100},
			 {"330107", "330107", "2026-11-11", "2026-11-11", 0},
			 {"300000", "399999", "2026-11-12", "2026-11-12", 300}};

		for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
			hits = 0;
			CHECK_ERR(reg_exposed_travel(r, q[i].lo, q[i].hi, q[i].from, q[i].to, count_fn,
						     &hits),
				  HC_OK);
			CHECK(hits == q[i].want);
		}
		reg_close(r);
		r = NULL;
		db = sql_open(in_dir("stays.db"));
		query_plan(db, rs_q_travel, plan, sizeof(plan));
		CHECK(strstr(plan, "travel_last (region=? AND last>?)") &&
		      !strstr(plan, "PRIMARY KEY"));
		sqlite3_close(db);
		if (pass == 1)
			break;
		/* a registry made before travel_last: opened, it has it */
		db = NULL;
		CHECK(sqlite3_open_v2(in_dir("stays.db"), &db, SQLITE_OPEN_READWRITE, NULL) ==
		      SQLITE_OK);
		CHECK(db && sql_exec(db, "DROP INDEX travel_last") == SQLITE_OK);
		sqlite3_close(db);
		CHECK_ERR(reg_open(in_dir("stays.db"), false, &r), HC_OK);
		if (!r)
			return;
	}
}

void t_main(void)
{
	dir = t_tmpdir();
	T = (int64_t)time(NULL);
	for (int i = 0; i < 3; i++)
		make_key(200 + i, key[i]);
	for (int i = 0; i < 7; i++)
		make_jti(200, i, jti[i]);
	RUN(migrate);
	RUN(migrate_fails);
	RUN(visits_apart);
	RUN(visits_window);
	RUN(travel_window);
	fx_cleanup();
}
