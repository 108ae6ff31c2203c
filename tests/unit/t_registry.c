/* t_registry.c: the SQLite registry (registry.h) on real files in a temp
 * directory: open and refuse (garbage, another SQLite database, another
 * schema version), file modes, tokens, every rule of reg_apply, admin
 * revocation, the revocation list and its seq, stats, backup, damaged
 * rows, a queried source's answers, and the audit chain recomputed with hc_sha256. The load tests (64
 * threads, kill -9) are in t_registry_load.c. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reg_fx.h"
#include "t.h"

/* Ends the running case and starts the next (RUN ends the last). */
#define SECTION(name) (t_end(), t_begin(name))

/* The entries from seq first on, as "action:jti" words. */
static hc_err collect(void *arg, int64_t seq, const char *line, size_t n)
{
	char *out = arg;
	cJSON *j = cJSON_ParseWithLength(line, n);
	const cJSON *a = cJSON_GetObjectItem(j, "action"), *k = cJSON_GetObjectItem(j, "jti");
	size_t len = strlen(out);

	(void)seq;
	(void)snprintf(out + len, 4096 - len, "%s%s%s%s", len ? " " : "",
		       cJSON_IsString(a) ? a->valuestring : "?", cJSON_IsString(k) ? ":" : "",
		       cJSON_IsString(k) ? k->valuestring : "");
	cJSON_Delete(j);
	return HC_OK;
}

static hc_err stop_at_two(void *arg, int64_t seq, const char *line, size_t n)
{
	(void)line;
	(void)n;
	*(int *)arg += 1;
	return seq >= 2 ? HC_ERR_IO : HC_OK;
}

/* ---- open, create and refuse ---- */

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static void open_and_refuse(void)
{
	const char *path = in_dir("reg.db");
	struct reg *r = NULL, *r2 = NULL;
	sqlite3 *db = NULL;
	char key[REG_KEY_LEN + 1];
	struct reg_change c;
	mode_t old = umask(0); /* SQLite's own default would be 0644 */
	int fd;

	CHECK_ERR(reg_open(path, true, &r), HC_OK);
	make_key(1, key);
	change_base(&c, key, NOW);
	CHECK_ERR(reg_apply(r, &c, NULL), HC_OK);
	umask(old);
	CHECK(mode_of(path) == 0600);
	CHECK(mode_of(in_dir("reg.db-wal")) == 0600);
	CHECK(mode_of(in_dir("reg.db-shm")) == 0600);
	CHECK(reg_writable(r));
	CHECK_ERR(reg_open(path, true, &r2), HC_ERR_EXISTS);
	CHECK(r2 == NULL);
	reg_close(r);
	CHECK_ERR(reg_open(path, false, &r), HC_OK);
	CHECK(audit_seq(r) == 0); /* a person without inputs changes nothing */
	reg_close(r);

	CHECK_ERR(reg_open(in_dir("missing.db"), false, &r), HC_ERR_IO);
	CHECK(strstr(hc_detail(), "missing.db") != NULL);
	CHECK(r == NULL);

	/* Garbage bytes. */
	fd = open(in_dir("garbage.db"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	for (int i = 0; i < 64 && fd >= 0; i++) {
		char b[64];

		for (size_t k = 0; k < sizeof(b); k++)
			b[k] = (char)(i * 31 + (int)k * 7 + 1);
		CHECK(write(fd, b, sizeof(b)) == (ssize_t)sizeof(b));
	}
	if (fd >= 0)
		close(fd);
	CHECK_ERR(reg_open(in_dir("garbage.db"), false, &r), HC_ERR_STORE);
	CHECK(strstr(hc_detail(), "not a registry") != NULL);

	/* Another SQLite database: refused and left as it was (no WAL). */
	CHECK(sqlite3_open(in_dir("other.db"), &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1)", NULL, NULL, NULL) ==
	      SQLITE_OK);
	sqlite3_close(db);
	CHECK_ERR(reg_open(in_dir("other.db"), false, &r), HC_ERR_STORE);
	CHECK(strstr(hc_detail(), "application_id") != NULL);
	db = sql_open(in_dir("other.db"));
	CHECK(sql_int(db, "SELECT journal_mode = 'delete' FROM pragma_journal_mode", NULL, NULL,
		      0) == 1);
	CHECK(sql_int(db, "SELECT x FROM t", NULL, NULL, 0) == 1);
	sqlite3_close(db);
	CHECK(access(in_dir("other.db-wal"), F_OK) != 0);

	/* A registry of another schema version. */
	CHECK(sqlite3_open(in_dir("v99.db"), &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA application_id = 1749250663; PRAGMA user_version = 99",
			   NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK_ERR(reg_open(in_dir("v99.db"), false, &r), HC_ERR_STORE);
	CHECK(strstr(hc_detail(), "schema version 99") != NULL);

	/* A WAL left beside a new path is not adopted. */
	fd = open(in_dir("stale.db-wal"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK_ERR(reg_open(in_dir("stale.db"), true, &r), HC_ERR_EXISTS);
	CHECK(access(in_dir("stale.db"), F_OK) != 0);
}

/* ---- tokens ---- */

static void list_fn(void *arg, const struct reg_token *t)
{
	char *out = arg;
	size_t len = strlen(out);

	(void)snprintf(out + len, 512 - len, "%s=%s/%lld/%lld ", t->name, t->role,
		       (long long)t->created, (long long)t->revoked);
}

static void tokens(void)
{
	struct reg *r = NULL;
	struct reg_token t;
	uint8_t h1[32], h2[32], h3[32];
	char list[512] = "";
	int64_t seq0;

	memset(h1, 1, 32);
	memset(h2, 2, 32);
	memset(h3, 3, 32);
	CHECK_ERR(reg_open(in_dir("tokens.db"), true, &r), HC_OK);
	if (!r)
		return;
	CHECK_ERR(reg_token_add(r, h1, "counter", "desk-1", "system", NOW), HC_OK);
	CHECK_ERR(reg_token_add(r, h2, "admin", "boss", "system", NOW + 1), HC_OK);
	seq0 = audit_seq(r);
	CHECK(seq0 == 2);
	CHECK_ERR(reg_token_add(r, h3, "app", "desk-1", "system", NOW), HC_ERR_EXISTS);
	CHECK(strstr(hc_detail(), "desk-1") != NULL);
	CHECK_ERR(reg_token_add(r, h1, "app", "other", "system", NOW), HC_ERR_EXISTS);
	CHECK_ERR(reg_token_add(r, h3, "app", "", "system", NOW), HC_ERR_INVALID_ARG);
	CHECK_ERR(reg_token_add(r, h3, "app", "a\nb", "system", NOW), HC_ERR_INVALID_ARG);
	CHECK(audit_seq(r) == seq0);
	CHECK_ERR(reg_token_find(r, h1, &t), HC_OK);
	CHECK(strcmp(t.role, "counter") == 0 && strcmp(t.name, "desk-1") == 0);
	CHECK(t.created == NOW && t.revoked == 0);
	CHECK_ERR(reg_token_find(r, h3, &t), HC_ERR_NOT_FOUND);
	CHECK_ERR(reg_token_revoke(r, "desk-1", "system", NOW + 10), HC_OK);
	CHECK_ERR(reg_token_revoke(r, "desk-1", "system", NOW + 20), HC_OK);
	CHECK_ERR(reg_token_revoke(r, "nobody", "system", NOW + 20), HC_ERR_NOT_FOUND);
	CHECK(audit_seq(r) == seq0 + 1);
	CHECK_ERR(reg_token_find(r, h1, &t), HC_OK);
	CHECK(t.revoked == NOW + 10);
	CHECK_ERR(reg_token_list(r, list_fn, list), HC_OK);
	CHECK(strcmp(list, "boss=admin/1795392001/0 desk-1=counter/1795392000/1795392010 ") == 0);
	list[0] = '\0';
	CHECK_ERR(reg_audit_read(r, 0, 100, collect, list), HC_OK);
	CHECK(strcmp(list, "token-add token-add token-revoke") == 0);
	CHECK(check_chain(r) == 3);
	reg_close(r);

	/* The walk sees an entry edited behind the registry's back. */
	{
		sqlite3 *db = NULL;
		int64_t bad = 0;

		CHECK(sqlite3_open(in_dir("tokens.db"), &db) == SQLITE_OK);
		CHECK(sqlite3_exec(db, "UPDATE audit SET line = CAST(replace(CAST(line AS TEXT), "
				       "'boss', 'bass') AS BLOB) WHERE seq = 2",
				   NULL, NULL, NULL) == SQLITE_OK);
		CHECK(sqlite3_changes(db) == 1);
		sqlite3_close(db);
		CHECK_ERR(reg_open(in_dir("tokens.db"), false, &r), HC_OK);
		if (r) {
			fprintf(stderr, "  (a broken chain is expected here)\n");
			CHECK(walk_chain(r, &bad) == 3 && bad == 1);
			reg_close(r);
		}
	}
}

/* A token found is kept while nothing is committed to the registry; a
 * revocation through another opening of the file (as by `hc-issued token
 * revoke` beside the service) shows on the next find. */
static void tokens_kept(void)
{
	struct reg *r = NULL, *r2 = NULL;
	struct reg_token t;
	uint8_t h[32];

	memset(h, 4, 32);
	CHECK_ERR(reg_open(in_dir("tokens2.db"), true, &r), HC_OK);
	if (!r)
		return;
	CHECK_ERR(reg_token_add(r, h, "counter", "desk-9", "system", NOW), HC_OK);
	CHECK_ERR(reg_token_find(r, h, &t), HC_OK);
	CHECK_ERR(reg_token_find(r, h, &t), HC_OK); /* kept */
	CHECK(t.revoked == 0 && strcmp(t.name, "desk-9") == 0);
	CHECK_ERR(reg_open(in_dir("tokens2.db"), false, &r2), HC_OK);
	if (r2) {
		CHECK_ERR(reg_token_revoke(r2, "desk-9", "system", NOW + 5), HC_OK);
		reg_close(r2);
	}
	CHECK_ERR(reg_token_find(r, h, &t), HC_OK);
	CHECK(t.revoked == NOW + 5);
	reg_close(r);
}

/* ---- reg_apply's rules ---- */

static hc_err apply_code(struct reg *r, const char *person, const char *jti, enum hc_status st,
			 int64_t iat, int64_t exp)
{
	struct reg_change c;
	struct reg_code k;

	change_base(&c, person, iat);
	make_code(&k, person, jti, st, iat, exp);
	c.code = &k;
	return reg_apply(r, &c, NULL);
}

static int64_t revoked_at(sqlite3 *db, const char *jti, char *by)
{
	return sql_int(db, "SELECT revoked_at, superseded_by FROM codes WHERE jti = ?1", jti, by,
		       REG_JTI_LEN + 1);
}

/* The inputs of apply_rules, as reg_person_get lists them. */
static const char all_inputs[] =
	"{\"nat\":[{\"at\":1795390000,\"result\":\"negative\",\"lab\":\"L\"},"
	"{\"at\":1795391000,\"result\":\"positive\",\"lab\":\"L\"}],"
	"\"vaccinations\":[{\"at\":\"2021-05-01\",\"product\":\"BBIBP-CorV\",\"dose\":1}],"
	"\"travel\":[{\"region\":\"310115\",\"from\":\"2026-11-10\",\"to\":\"2026-11-12\"}],"
	"\"flags\":[\"close-contact\"]}";

static void apply_rules(void)
{
	const char *path = in_dir("apply.db");
	struct reg *r = NULL;
	struct reg_person p;
	struct reg_change c;
	struct reg_code k;
	struct reg_input nat = {"nat", "{\"at\":1795390000,\"result\":\"negative\",\"lab\":\"L\"}",
				"counter-1", "req-1", NOW};
	struct reg_input more[] = {
	    {"flags", "\"close-contact\"", "cdc", "ev-9", NOW},
	    {"vaccinations", "{\"at\":\"2021-05-01\",\"product\":\"BBIBP-CorV\",\"dose\":1}", "nip",
	     NULL, NOW},
	    {"nat", "{\"at\":1795391000,\"result\":\"positive\",\"lab\":\"L\"}", "lab", NULL, NOW},
	    {"travel", "{\"region\":\"310115\",\"from\":\"2026-11-10\",\"to\":\"2026-11-12\"}",
	     "cmcc", NULL, NOW},
	};
	const char *why_y[] = {"risk-area"};
	char key[REG_KEY_LEN + 1], other[REG_KEY_LEN + 1], j[8][REG_JTI_LEN + 1];
	char by[REG_JTI_LEN + 1], words[4096] = "";
	int64_t ver = -1, seq;
	sqlite3 *db;

	for (int i = 0; i < 8; i++)
		make_jti(1, i, j[i]);
	make_key(7, key);
	CHECK_ERR(reg_open(path, true, &r), HC_OK);
	if (!r)
		return;
	CHECK_ERR(reg_person_get(r, key, &p), HC_ERR_NOT_FOUND);

	/* 1 and 3 to 5: created, input added, status stored, code stored. */
	change_base(&c, key, NOW);
	c.expect_version = 0;
	c.inputs = &nat;
	c.ninputs = 1;
	c.has_status = true;
	c.st = HC_ST_GREEN;
	make_code(&k, key, j[0], HC_ST_GREEN, NOW, NOW + DAY);
	c.code = &k;
	CHECK_ERR(reg_apply(r, &c, &ver), HC_OK);
	CHECK(ver == 1);
	if (ver != 1) {
		fprintf(stderr, "  %s\n", hc_detail());
		reg_close(r);
		return;
	}
	CHECK_ERR(reg_person_get(r, key, &p), HC_OK);
	CHECK(strcmp(p.name, "张*") == 0 && strcmp(p.id, "330**************1234") == 0);
	CHECK(p.version == 1 && p.has_status && p.st == HC_ST_GREEN);
	CHECK(p.has_held && strcmp(p.held.jti, j[0]) == 0 && p.held.nwhy == 1);
	CHECK(strcmp(p.held.why[0], "nat-negative") == 0 && p.held.exp == NOW + DAY);
	CHECK(p.held.jws && strcmp(p.held.jws, k.jws) == 0 && p.held.revoked_at == 0);
	CHECK(p.inputs &&
	      strcmp(p.inputs,
	             "{\"nat\":[{\"at\":1795390000,\"result\":\"negative\",\"lab\":\"L\"}]}") == 0);
	reg_person_clear(&p);
	CHECK(audit_seq(r) == 3); /* record, status, issue */

	SECTION("apply: the same input again is skipped");
	change_base(&c, key, NOW + 1);
	c.expect_version = 1;
	c.inputs = &nat;
	c.ninputs = 1;
	CHECK_ERR(reg_apply(r, &c, &ver), HC_OK);
	CHECK(ver == 1 && audit_seq(r) == 3);

	SECTION("apply: a stale version is a conflict and changes nothing");
	c.expect_version = 0;
	c.inputs = more;
	c.ninputs = 1;
	CHECK_ERR(reg_apply(r, &c, &ver), HC_ERR_CONFLICT);
	CHECK(strstr(hc_detail(), "version") != NULL);
	CHECK(audit_seq(r) == 3);

	SECTION("apply: inputs listed by kind, each kind in the order supplied");
	c.expect_version = 1;
	c.ninputs = 4;
	CHECK_ERR(reg_apply(r, &c, &ver), HC_OK);
	CHECK(ver == 2 && audit_seq(r) == 7);
	CHECK_ERR(reg_person_get(r, key, &p), HC_OK);
	CHECK(p.inputs && strcmp(p.inputs, all_inputs) == 0);
	reg_person_clear(&p);

	/* Codes of every kind a status change must or must not touch. */
	CHECK_ERR(apply_code(r, key, j[1], HC_ST_GREEN, NOW + 2, NOW + DAY), HC_OK);
	CHECK_ERR(apply_code(r, key, j[2], HC_ST_GREEN, NOW - 2 * DAY, NOW - DAY), HC_OK);
	CHECK_ERR(apply_code(r, key, j[3], HC_ST_YELLOW, NOW + 3, NOW + DAY), HC_OK);
	CHECK_ERR(apply_code(r, key, j[4], HC_ST_GREEN, NOW + 4, NOW + DAY), HC_OK);
	CHECK_ERR(apply_code(r, key, j[5], HC_ST_GREEN, NOW + 5, NOW + 100), HC_OK);
	CHECK_ERR(reg_revoke(r, j[4], "lost-phone", "boss", "req-r", NOW + 50, NULL), HC_OK);
	seq = audit_seq(r);

	SECTION("apply: a jti is stored once; the change that reuses it is undone");
	change_base(&c, key, NOW + 60);
	c.inputs = &more[0];
	c.ninputs = 1;
	make_code(&k, key, j[1], HC_ST_RED, NOW + 60, NOW + DAY);
	k.jws = "other";
	c.code = &k;
	CHECK_ERR(reg_apply(r, &c, NULL), HC_ERR_EXISTS);
	CHECK(strstr(hc_detail(), j[1]) != NULL);
	CHECK(audit_seq(r) == seq);

	SECTION("apply: a status change revokes exactly the unexpired codes of another status");
	/* green -> yellow at NOW + 200 revokes j0 and j1 (green,
	 * unexpired), superseded by j6; not j2 (expired), j3 (yellow), j4
	 * (revoked before: its time stands), j5 (expired at NOW + 100). */
	change_base(&c, key, NOW + 200);
	c.cause = "ev-42";
	c.has_status = true;
	c.st = HC_ST_YELLOW;
	c.why = why_y;
	c.nwhy = 1;
	make_code(&k, key, j[6], HC_ST_YELLOW, NOW + 200, NOW + DAY);
	c.code = &k;
	CHECK_ERR(reg_apply(r, &c, &ver), HC_OK);
	CHECK(ver == 2);
	CHECK_ERR(reg_audit_read(r, seq, 100, collect, words), HC_OK);
	CHECK(strcmp(words, "") != 0);
	{
		char want[512];

		bool lt = strcmp(j[0], j[1]) < 0; /* revoked in jti order */

		(void)snprintf(want, sizeof(want), "status revoke:%s revoke:%s issue:%s",
			       lt ? j[0] : j[1], lt ? j[1] : j[0], j[6]);
		CHECK(strcmp(words, want) == 0);
		if (strcmp(words, want) != 0)
			fprintf(stderr, "  got %s\n  want %s\n", words, want);
	}
	db = sql_open(path);
	CHECK(revoked_at(db, j[0], by) == NOW + 200 && strcmp(by, j[6]) == 0);
	CHECK(revoked_at(db, j[1], by) == NOW + 200 && strcmp(by, j[6]) == 0);
	CHECK(revoked_at(db, j[2], by) == 0 && strcmp(by, "") == 0);
	CHECK(revoked_at(db, j[3], by) == 0);
	CHECK(revoked_at(db, j[4], by) == NOW + 50 && strcmp(by, "") == 0);
	CHECK(revoked_at(db, j[5], by) == 0);
	CHECK(sql_int(db, "SELECT count(*) FROM codes WHERE jws = 'other'", NULL, NULL, 0) == 0);
	sqlite3_close(db);
	CHECK_ERR(reg_person_get(r, key, &p), HC_OK);
	CHECK(p.st == HC_ST_YELLOW && p.has_held && strcmp(p.held.jti, j[6]) == 0);
	CHECK(p.inputs && strcmp(p.inputs, all_inputs) == 0);
	reg_person_clear(&p);

	SECTION("apply: the same status again changes nothing");
	seq = audit_seq(r);
	change_base(&c, key, NOW + 300);
	c.has_status = true;
	c.st = HC_ST_YELLOW;
	CHECK_ERR(reg_apply(r, &c, NULL), HC_OK);
	CHECK(audit_seq(r) == seq);

	SECTION("apply: malformed changes refused before the writer");
	change_base(&c, "short", NOW);
	CHECK_ERR(reg_apply(r, &c, NULL), HC_ERR_INVALID_ARG);
	change_base(&c, key, NOW);
	c.action = "status";
	CHECK_ERR(reg_apply(r, &c, NULL), HC_ERR_INVALID_ARG);
	change_base(&c, key, NOW);
	{
		struct reg_input bad[] = {{"nat", "{\"at\":", "x", NULL, NOW},
					  {"pets", "{}", "x", NULL, NOW},
					  {"nat", "{}", NULL, NULL, NOW}};

		for (size_t i = 0; i < 3; i++) {
			c.inputs = &bad[i];
			c.ninputs = 1;
			CHECK_ERR(reg_apply(r, &c, NULL), HC_ERR_INVALID_ARG);
		}
	}
	change_base(&c, key, NOW);
	c.id = "330106199001011234"; /* a full identity number is never stored */
	CHECK_ERR(reg_apply(r, &c, NULL), HC_ERR_INVALID_ARG);
	CHECK(strstr(hc_detail(), "not masked") != NULL);
	c.id = "330*1234";
	CHECK_ERR(reg_apply(r, &c, NULL), HC_OK);
	change_base(&c, key, NOW);
	c.has_status = true;
	c.st = (enum hc_status)3;
	CHECK_ERR(reg_apply(r, &c, NULL), HC_ERR_INVALID_ARG);
	make_key(8, other);
	make_code(&k, other, j[7], HC_ST_GREEN, NOW, NOW + DAY);
	change_base(&c, key, NOW);
	c.code = &k;
	CHECK_ERR(reg_apply(r, &c, NULL), HC_ERR_INVALID_ARG); /* another person's code */
	CHECK(audit_seq(r) == seq);

	SECTION("revoke: once, then already with the first time");
	{
		bool already = true;

		CHECK_ERR(reg_revoke(r, j[6], "mistake", "boss", "req-9", NOW + 400, &already),
			  HC_OK);
		CHECK(!already && audit_seq(r) == seq + 1);
		CHECK_ERR(reg_revoke(r, j[6], "again", "boss", "req-10", NOW + 500, &already),
			  HC_OK);
		CHECK(already && audit_seq(r) == seq + 1);
		CHECK_ERR(reg_revoke(r, j[7], "x", "boss", NULL, NOW, &already), HC_ERR_NOT_FOUND);
		CHECK_ERR(reg_revoke(r, "nope", "x", "boss", NULL, NOW, &already),
			  HC_ERR_INVALID_ARG);
		CHECK_ERR(reg_revoke(r, j[3], "a\nb", "boss", NULL, NOW, &already),
			  HC_ERR_INVALID_ARG);
		CHECK(strstr(hc_detail(), "reason") != NULL);
		db = sql_open(path);
		CHECK(revoked_at(db, j[6], by) == NOW + 400);
		sqlite3_close(db);
		CHECK_ERR(reg_person_get(r, key, &p), HC_OK);
		/* The newest unrevoked, even expired: j5 (iat NOW + 5). */
		CHECK(p.has_held && strcmp(p.held.jti, j[5]) == 0);
		reg_person_clear(&p);
	}
	check_chain(r);

	SECTION("person_get: damaged rows are refused, not guessed");
	{
		/* each damage, then its repair (the rows as they were, kept
		 * aside): the first input's kind byte, a code entry is 39 bytes */
		static const char *const damage[][2] = {
			{"UPDATE codes SET why = 'not json' WHERE revoked_at = 0",
			 "UPDATE codes SET why = '[]' WHERE revoked_at = 0"},
			{"UPDATE codes SET status = 7 WHERE revoked_at = 0",
			 "UPDATE codes SET status = 0 WHERE revoked_at = 0"},
			{"UPDATE people SET inputs = CAST(x'09' || substr(inputs, 2) AS BLOB)", NULL},
			{"UPDATE people SET inputs = substr(inputs, 1, length(inputs) - 1)", NULL},
			{"UPDATE people SET codes = CAST(codes || x'00' AS BLOB)", NULL},
			{"UPDATE people SET codes = CAST(x'21' || substr(codes, 2) AS BLOB)", NULL},
		};
		sqlite3 *w = NULL;

		CHECK(sqlite3_open(path, &w) == SQLITE_OK);
		CHECK(sql_int(w, "SELECT length(inputs) FROM people", NULL, NULL, 0) > 0);
		CHECK(sqlite3_exec(w, "CREATE TEMP TABLE keep AS SELECT inputs, codes FROM people",
				   NULL, NULL, NULL) == SQLITE_OK);
		for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
			CHECK(sqlite3_exec(w, damage[i][0], NULL, NULL, NULL) == SQLITE_OK);
			CHECK_ERR(reg_person_get(r, key, &p), HC_ERR_STORE);
			CHECK(strstr(hc_detail(), "damaged") != NULL);
			CHECK(p.inputs == NULL && p.held.jws == NULL);
			CHECK(sqlite3_exec(w,
					   damage[i][1] ? damage[i][1]
							: "UPDATE people SET inputs = (SELECT inputs"
							  " FROM keep), codes = (SELECT codes FROM keep)",
					   NULL, NULL, NULL) == SQLITE_OK);
			CHECK_ERR(reg_person_get(r, key, &p), HC_OK);
			reg_person_clear(&p);
		}
		sqlite3_close(w);
	}

	SECTION("person_get: the held code from the row's copy while it is the held one");
	{
		char jn[REG_JTI_LEN + 1], q[128];
		bool already = true;

		make_jti(2, 0, jn);
		CHECK_ERR(apply_code(r, key, jn, HC_ST_YELLOW, NOW + 600, NOW + DAY), HC_OK);
		CHECK(sqlite3_open(path, &db) == SQLITE_OK);
		CHECK(sql_int(db, "SELECT length(held) FROM people", NULL, NULL, 0) > 0);
		/* the table's jws changed behind the registry's back: the copy
		 * answers, as it was when issued */
		(void)snprintf(q, sizeof(q), "UPDATE codes SET jws = 'table' WHERE jti = '%s'", jn);
		CHECK(sqlite3_exec(db, q, NULL, NULL, NULL) == SQLITE_OK);
		CHECK_ERR(reg_person_get(r, key, &p), HC_OK);
		CHECK(p.has_held && strcmp(p.held.jti, jn) == 0 && p.held.st == HC_ST_YELLOW);
		CHECK(p.held.jws && strcmp(p.held.jws, "eyJhbGciOiJFUzI1NiJ9.eyJ0ZXN0Ijp0cnVlfQ.c2ln") == 0);
		CHECK(p.held.nwhy == 1 && strcmp(p.held.why[0], "risk-area") == 0);
		CHECK(strcmp(p.held.policy, "default-1") == 0 && strcmp(p.held.kid, "kid-test") == 0);
		CHECK(p.held.iat == NOW + 600 && p.held.exp == NOW + DAY && p.held.revoked_at == 0);
		reg_person_clear(&p);
		/* a copy that does not parse: the codes table */
		CHECK(sqlite3_exec(db, "UPDATE people SET held = substr(held, 1, length(held) - 1)",
				   NULL, NULL, NULL) == SQLITE_OK);
		CHECK_ERR(reg_person_get(r, key, &p), HC_OK);
		CHECK(p.has_held && strcmp(p.held.jti, jn) == 0 && p.held.jws &&
		      strcmp(p.held.jws, "table") == 0);
		reg_person_clear(&p);
		sqlite3_close(db);
		/* revoked: the copy stays, and is not the held code's any more */
		CHECK_ERR(reg_revoke(r, jn, "mistake", "boss", NULL, NOW + 700, &already), HC_OK);
		CHECK_ERR(reg_person_get(r, key, &p), HC_OK);
		CHECK(p.has_held && strcmp(p.held.jti, j[5]) == 0);
		reg_person_clear(&p);
		/* a registry without the column (made before it) gains it */
		reg_close(r);
		CHECK(sqlite3_open(path, &db) == SQLITE_OK);
		CHECK(sqlite3_exec(db, "ALTER TABLE people DROP COLUMN held", NULL, NULL, NULL) ==
		      SQLITE_OK);
		sqlite3_close(db);
		r = NULL;
		CHECK_ERR(reg_open(path, false, &r), HC_OK);
		if (!r)
			return;
		db = sql_open(path);
		CHECK(sql_int(db, "SELECT count(*) FROM pragma_table_info('people') WHERE name = 'held'",
			      NULL, NULL, 0) == 1);
		sqlite3_close(db);
		CHECK_ERR(reg_person_get(r, key, &p), HC_OK);
		CHECK(p.has_held && strcmp(p.held.jti, j[5]) == 0);
		reg_person_clear(&p);
	}
	reg_close(r);
}

/* ---- revocation list, seq, stats, backup ---- */

static void revoked_fn(void *arg, const char *jti, int64_t at)
{
	char *out = arg;
	size_t len = strlen(out);

	(void)snprintf(out + len, 1024 - len, "%s@%lld ", jti, (long long)(at - NOW));
}

static void lists_stats_backup(void)
{
	struct reg *r = NULL, *b = NULL;
	struct reg_stats st;
	char key[REG_KEY_LEN + 1], j[4][REG_JTI_LEN + 1], got[1024] = "", want[1024];
	uint8_t h1[32], h2[32];
	int64_t seq = 0, n;

	CHECK_ERR(reg_open(in_dir("lists.db"), true, &r), HC_OK);
	if (!r)
		return;
	CHECK_ERR(reg_revlist_next_seq(r, &seq), HC_OK);
	CHECK(seq == 1);
	CHECK_ERR(reg_revlist_next_seq(r, &seq), HC_OK);
	CHECK(seq == 2);
	make_key(1, key);
	/* Chosen so that jti order is j[2] < j[0] < j[1]. */
	(void)snprintf(j[0], sizeof(j[0]), "BAAAAAAAAAAAAAAAAAAAAA");
	(void)snprintf(j[1], sizeof(j[1]), "CAAAAAAAAAAAAAAAAAAAAA");
	(void)snprintf(j[2], sizeof(j[2]), "AAAAAAAAAAAAAAAAAAAAAA");
	(void)snprintf(j[3], sizeof(j[3]), "DAAAAAAAAAAAAAAAAAAAAA");
	CHECK_ERR(apply_code(r, key, j[0], HC_ST_GREEN, NOW, NOW + DAY), HC_OK);
	CHECK_ERR(apply_code(r, key, j[1], HC_ST_GREEN, NOW, NOW + 1000), HC_OK);
	CHECK_ERR(apply_code(r, key, j[2], HC_ST_RED, NOW, NOW + DAY), HC_OK);
	CHECK_ERR(apply_code(r, key, j[3], HC_ST_YELLOW, NOW, NOW + DAY), HC_OK);
	for (int i = 0; i < 3; i++)
		CHECK_ERR(reg_revoke(r, j[i], "test", "boss", NULL, NOW + 10 * (i + 1), NULL),
		          HC_OK);
	CHECK_ERR(reg_revoked(r, NOW + 20, revoked_fn, got), HC_OK);
	(void)snprintf(want, sizeof(want), "%s@30 %s@10 %s@20 ", j[2], j[0], j[1]);
	CHECK(strcmp(got, want) == 0);
	/* j[1] expired at NOW + 1000: listed until 300 s after. */
	got[0] = '\0';
	CHECK_ERR(reg_revoked(r, NOW + 1299, revoked_fn, got), HC_OK);
	CHECK(strcmp(got, want) == 0);
	got[0] = '\0';
	CHECK_ERR(reg_revoked(r, NOW + 1300, revoked_fn, got), HC_OK);
	(void)snprintf(want, sizeof(want), "%s@30 %s@10 ", j[2], j[0]);
	CHECK(strcmp(got, want) == 0);

	memset(h1, 1, 32);
	memset(h2, 2, 32);
	CHECK_ERR(reg_token_add(r, h1, "counter", "desk", "system", NOW), HC_OK);
	CHECK_ERR(reg_stats(r, NOW + 20, &st), HC_OK);
	CHECK(st.people == 1 && st.codes[HC_ST_YELLOW] == 1 && st.codes[HC_ST_GREEN] == 0 &&
	      st.codes[HC_ST_RED] == 0);
	CHECK(st.audit_seq == audit_seq(r) && st.audit_seq == 8);
	CHECK(st.commits >= 1 && st.changes == 10 && st.commits <= st.changes);
	n = 0;
	for (int i = 0; i < 8; i++)
		n += st.batch_hist[i];
	CHECK(n == st.commits);

	/* The audit pages and a callback that stops the walk. */
	{
		int calls = 0;

		CHECK_ERR(reg_audit_read(r, 0, 100, stop_at_two, &calls), HC_ERR_IO);
		CHECK(calls == 2);
		calls = 0;
		CHECK_ERR(reg_audit_read(r, 7, 100, stop_at_two, &calls), HC_ERR_IO);
		CHECK(calls == 1);
		calls = 0;
		CHECK_ERR(reg_audit_read(r, 8, 100, stop_at_two, &calls), HC_OK);
		CHECK(calls == 0);
		CHECK_ERR(reg_audit_read(r, 0, 0, stop_at_two, &calls), HC_OK);
		CHECK(calls == 0);
	}

	/* An online backup: a registry of its own with the same chain. */
	CHECK_ERR(reg_backup(r, in_dir("copy.db")), HC_OK);
	CHECK(mode_of(in_dir("copy.db")) == 0600);
	CHECK_ERR(reg_backup(r, in_dir("copy.db")), HC_ERR_EXISTS);
	CHECK_ERR(reg_open(in_dir("copy.db"), false, &b), HC_OK);
	if (b) {
		struct reg_token t;

		CHECK(audit_seq(b) == audit_seq(r));
		CHECK(check_chain(b) == 8);
		CHECK_ERR(reg_token_find(b, h1, &t), HC_OK);
		CHECK_ERR(reg_revlist_next_seq(b, &seq), HC_OK);
		CHECK(seq == 3);
		CHECK_ERR(reg_token_add(b, h2, "app", "phone", "system", NOW), HC_OK);
		reg_close(b);
	}
	CHECK_ERR(reg_token_find(r, h2, &(struct reg_token){0}), HC_ERR_NOT_FOUND);
	reg_close(r);

	/* The seq is durable across reopening. */
	CHECK_ERR(reg_open(in_dir("lists.db"), false, &r), HC_OK);
	if (r) {
		CHECK_ERR(reg_revlist_next_seq(r, &seq), HC_OK);
		CHECK(seq == 3);
		CHECK_ERR(reg_stats(r, NOW, &st), HC_OK);
		CHECK(st.commits == 1 && st.changes == 1);
		reg_close(r);
	}
}

/* ---- one batch of changes: each succeeds or fails on its own ---- */

/* c: person key, one input in, green; with why (one reason) when given,
 * and with a green code k numbered jti when k is given. */
static void green_change(struct reg_change *c, const char *key, struct reg_input *in,
			 const char *const *why, struct reg_code *k, const char *jti)
{
	change_base(c, key, NOW);
	c->inputs = in;
	c->ninputs = 1;
	c->has_status = true;
	c->st = HC_ST_GREEN;
	if (why) {
		c->why = why;
		c->nwhy = 1;
	}
	if (k) {
		make_code(k, key, jti, HC_ST_GREEN, NOW, NOW + DAY);
		c->code = k;
	}
}

/* reg_apply_many runs its changes in one transaction (the writer tries
 * without savepoints first): a change that fails before it writes (a
 * duplicate event, a stale version) and one that fails after it wrote (a
 * jti taken: the person, input and status are written first) each get
 * their own error and leave no trace; the others are all applied. */
static void batch(void)
{
	struct reg *r = NULL;
	struct reg_change c[6];
	struct reg_code k[6];
	struct reg_input in[6];
	char key[6][REG_KEY_LEN + 1], jti[6][REG_JTI_LEN + 1], ev[6][16];
	static const char *const why[] = {"nat-negative"};
	static const hc_err want[6] = {HC_OK, HC_ERR_EXISTS, HC_ERR_EXISTS, HC_OK,
				       HC_ERR_CONFLICT, HC_OK};
	hc_err err[6];
	char detail[6][REG_DETAIL_LEN];
	int64_t ver[6];
	sqlite3 *db;

	CHECK_ERR(reg_open(in_dir("batch.db"), true, &r), HC_OK);
	if (!r)
		return;
	for (int i = 0; i < 6; i++) {
		make_key(100 + i, key[i]);
		make_jti(100, i, jti[i]);
		(void)snprintf(ev[i], sizeof(ev[i]), "ev-%d", i);
		in[i] = (struct reg_input){.kind = "nat", .json = "{\"result\":\"negative\"}",
					   .source = "lab-1", .at = NOW};
		green_change(&c[i], key[i], &in[i], why, &k[i], jti[i]);
		c[i].action = "event";
		c[i].actor = "lab-1";
		c[i].event = ev[i];
	}
	/* 1: the jti of 0, found taken after its person, input and status */
	make_code(&k[1], key[1], jti[0], HC_ST_GREEN, NOW, NOW + DAY);
	c[2].event = ev[0];        /* 2: the event of 0 (same source): a duplicate */
	c[4].expect_version = 3;   /* 4: a new person is at version 0 */
	CHECK_ERR(reg_apply_many(r, c, 6, err, detail, ver), HC_OK);
	for (int i = 0; i < 6; i++)
		CHECK(err[i] == want[i]);
	CHECK(strstr(detail[1], "already issued") && strstr(detail[2], "seen before") &&
	      strstr(detail[4], "version"));
	CHECK(ver[0] == 1 && ver[3] == 1 && ver[5] == 1);
	/* 0, 3 and 5: event, status and issue each */
	CHECK(check_chain(r) == 9 && audit_seq(r) == 9);
	db = sql_open(in_dir("batch.db"));
	CHECK(db != NULL);
	if (db) {
		CHECK(sql_int(db, "SELECT count(*) FROM people", NULL, NULL, 0) == 3);
		CHECK(sql_int(db, "SELECT count(*) FROM events", NULL, NULL, 0) == 3);
		CHECK(sql_int(db, "SELECT count(*) FROM people WHERE length(inputs) > 0", NULL, NULL,
			      0) == 3);
		CHECK(sql_int(db, "SELECT count(*) FROM codes", NULL, NULL, 0) == 3);
		for (int i = 1; i < 5; i += 3)
			CHECK(sql_int(db, "SELECT count(*) FROM people WHERE key = ?1", key[i], NULL,
				      0) == 0);
		sqlite3_close(db);
	}
	/* the same batch again: the events are all seen (4's still at version 0) */
	CHECK_ERR(reg_apply_many(r, c, 6, err, detail, ver), HC_OK);
	CHECK(err[0] == HC_ERR_EXISTS && err[2] == HC_ERR_EXISTS && err[3] == HC_ERR_EXISTS &&
	      err[5] == HC_ERR_EXISTS && err[1] == HC_ERR_EXISTS && err[4] == HC_ERR_CONFLICT);
	CHECK(audit_seq(r) == 9);

	/* new_person: 1 (not read first) is 0's person, made before: its
	 * insert fails after its event and audit entries were written, and
	 * the batch runs again with every new person read first, so 0 (a new
	 * one) stays and 1 is a conflict that changed nothing. */
	make_key(106, key[1]);
	for (int i = 0; i < 2; i++) {
		(void)snprintf(ev[i], sizeof(ev[i]), "ev-n%d", i);
		green_change(&c[i], key[i], &in[i], NULL, NULL, NULL);
		c[i].action = "event";
		c[i].actor = "lab-1";
		c[i].event = ev[i];
		c[i].expect_version = 0;
		c[i].new_person = true;
	}
	c[0].person = key[1]; /* the new one first */
	c[1].person = key[0];
	CHECK_ERR(reg_apply_many(r, c, 2, err, detail, ver), HC_OK);
	CHECK(err[0] == HC_OK && ver[0] == 1);
	CHECK(err[1] == HC_ERR_CONFLICT && strstr(detail[1], "meanwhile"));
	CHECK(check_chain(r) == 11 && audit_seq(r) == 11); /* 0's event and status */
	db = sql_open(in_dir("batch.db"));
	CHECK(db != NULL);
	if (db) {
		CHECK(sql_int(db, "SELECT count(*) FROM people", NULL, NULL, 0) == 4);
		CHECK(sql_int(db, "SELECT count(*) FROM events WHERE event = ?1", ev[1], NULL, 0) ==
		      0);
		sqlite3_close(db);
	}
	c[1].expect_version = 3; /* a new person at a version: refused */
	CHECK_ERR(reg_apply(r, &c[1], NULL), HC_ERR_INVALID_ARG);

	/* Records (no event): 1's jti is taken, found after its input and
	 * status were chained but before any row was written (the writer
	 * inserts audit entries eight at a time, and before its commit):
	 * 1 fails and its entries are forgotten, 0's and 2's stay. */
	for (int i = 0; i < 3; i++) {
		make_key(110 + i, key[i]);
		make_jti(110, i, jti[i]);
		green_change(&c[i], key[i], &in[i], why, &k[i], jti[i]);
	}
	make_code(&k[1], key[1], jti[0], HC_ST_GREEN, NOW, NOW + DAY);
	CHECK_ERR(reg_apply_many(r, c, 3, err, detail, ver), HC_OK);
	CHECK(err[0] == HC_OK && err[1] == HC_ERR_EXISTS && err[2] == HC_OK);
	/* 0 and 2: record, status and issue each */
	CHECK(check_chain(r) == 17 && audit_seq(r) == 17);
	db = sql_open(in_dir("batch.db"));
	CHECK(db != NULL);
	if (db) {
		CHECK(sql_int(db, "SELECT count(*) FROM people WHERE key = ?1", key[1], NULL, 0) == 0);
		CHECK(sql_int(db, "SELECT count(*) FROM people", NULL, NULL, 0) == 6);
		sqlite3_close(db);
	}

	/* An audit insert that fails with no row changed, after it took the
	 * earlier jobs' entries: records without a code (a record and a
	 * status entry each, no row written before the person's), 0's
	 * entries refused (a trigger). 4's first entry takes the eight
	 * before it into one insert, which fails at 0's: the batch runs again
	 * in savepoints, 0 fails alone, 1 to 4 keep their entries and the
	 * chain has no gap. */
	for (int i = 0; i < 5; i++) {
		make_key(120 + i, key[i]);
		green_change(&c[i], key[i], &in[i], why, NULL, NULL);
	}
	db = NULL;
	CHECK(sqlite3_open_v2(in_dir("batch.db"), &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
	if (db) {
		char *sql = sqlite3_mprintf("CREATE TRIGGER refuse BEFORE INSERT ON audit"
					    " WHEN instr(NEW.line, '%q') > 0"
					    " BEGIN SELECT RAISE(ABORT, 'refused'); END",
					    key[0]);

		CHECK(sql && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
		sqlite3_free(sql);
		sqlite3_close(db);
	}
	CHECK_ERR(reg_apply_many(r, c, 5, err, detail, ver), HC_OK);
	CHECK(err[0] == HC_ERR_STORE && strstr(detail[0], "refused"));
	CHECK(err[1] == HC_OK && err[2] == HC_OK && err[3] == HC_OK && err[4] == HC_OK);
	CHECK(check_chain(r) == 25 && audit_seq(r) == 25); /* 1 to 4: record and status */
	db = sql_open(in_dir("batch.db"));
	CHECK(db != NULL);
	if (db) {
		CHECK(sql_int(db, "SELECT count(*) FROM people WHERE key = ?1", key[0], NULL, 0) == 0);
		CHECK(sql_int(db, "SELECT count(*) FROM people", NULL, NULL, 0) == 10);
		sqlite3_close(db);
	}
	reg_close(r);
}


/* A queried source's answer (reg_change.answer): what the source supplied
 * before and leaves out is removed (row inputs and visits, with their
 * exposure rows); what others supplied stays, also an input a record took
 * over from the source; when it answered is kept (reg_answered). */
#define T1 "{\"region\":\"310115\",\"from\":\"2026-11-10\",\"to\":\"2026-11-12\"}"
#define T2 "{\"region\":\"330106\",\"from\":\"2026-11-10\",\"to\":\"2026-11-11\"}"
#define V1 "{\"venue\":\"330106-000042\",\"at\":1795300000}"
#define V2 "{\"venue\":\"330106-000043\",\"at\":1795300100}"
#define N1 "{\"at\":1795390000,\"result\":\"negative\",\"lab\":\"L\"}"
static hc_err answer(struct reg *r, const char *key, const char *src, int64_t now,
		     const struct reg_input *in, size_t n)
{
	struct reg_change c;

	change_base(&c, key, now);
	c.actor = src;
	c.answer = src;
	c.inputs = in;
	c.ninputs = n;
	return reg_apply(r, &c, NULL);
}

static hc_err supply(struct reg *r, const char *key, const char *src, int64_t now,
		     const struct reg_input *in)
{
	struct reg_change c;

	change_base(&c, key, now);
	c.actor = src;
	c.inputs = in;
	c.ninputs = 1;
	return reg_apply(r, &c, NULL);
}

static bool holds(struct reg *r, const char *key, const char *json)
{
	struct reg_person p;
	bool yes = false;

	if (reg_person_get(r, key, &p) == HC_OK)
		yes = p.inputs && strstr(p.inputs, json) != NULL;
	reg_person_clear(&p);
	return yes;
}

static void answers(void)
{
	const char *path = in_dir("answers.db");
	struct reg *r = NULL;
	struct reg_input first[] = {{"travel", T1, "carrier", NULL, NOW},
				    {"visits", V1, "carrier", NULL, NOW},
				    {"visits", V2, "carrier", NULL, NOW}};
	struct reg_input desk_t1 = {"travel", T1, "counter-1", "req-7", NOW + 1};
	struct reg_input lab_n1 = {"nat", N1, "lab", "ev-1", NOW + 1};
	struct reg_input desk_t2 = {"travel", T2, "counter-1", NULL, NOW + 1};
	struct reg_input lab_v2 = {"visits", V2, "lab", NULL, NOW + 1};
	struct reg_change c;
	char key[REG_KEY_LEN + 1], other[REG_KEY_LEN + 1];
	int64_t at = -1, seq;
	sqlite3 *db;

	make_key(41, key);
	make_key(42, other);
	CHECK_ERR(reg_open(path, true, &r), HC_OK);
	if (!r)
		return;
	CHECK_ERR(reg_answered(r, key, "carrier", &at), HC_ERR_NOT_FOUND);
	CHECK_ERR(answer(r, key, "carrier", NOW, first, 3), HC_OK);
	CHECK_ERR(answer(r, other, "carrier", NOW, first, 1), HC_OK);
	CHECK_ERR(reg_answered(r, key, "carrier", &at), HC_OK);
	CHECK(at == NOW);
	CHECK_ERR(reg_answered(r, key, "carrier-2", &at), HC_ERR_NOT_FOUND);
	CHECK_ERR(supply(r, key, "lab", NOW + 1, &lab_n1), HC_OK);
	CHECK_ERR(supply(r, key, "counter-1", NOW + 1, &desk_t2), HC_OK);
	CHECK_ERR(supply(r, key, "lab", NOW + 1, &lab_v2), HC_OK); /* takes V2 over */
	seq = audit_seq(r);

	/* another source's empty answer touches nothing of the carrier's */
	CHECK_ERR(answer(r, key, "carrier-2", NOW + 5, NULL, 0), HC_OK);
	CHECK(audit_seq(r) == seq && holds(r, key, "310115") && holds(r, key, "000042"));
	CHECK_ERR(reg_answered(r, key, "carrier-2", &at), HC_OK);
	CHECK(at == NOW + 5);

	/* the carrier drops V1 and V2: V1 goes (with its exposure row), V2
	 * is the lab's now and stays; T1 is repeated and stays */
	CHECK_ERR(answer(r, key, "carrier", NOW + 10, first, 1), HC_OK);
	CHECK(audit_seq(r) == seq + 1);
	CHECK(!holds(r, key, "000042") && holds(r, key, "000043") && holds(r, key, "310115"));
	CHECK(holds(r, key, "negative") && holds(r, key, "330106\",\"from"));
	CHECK_ERR(reg_answered(r, key, "carrier", &at), HC_OK);
	CHECK(at == NOW + 10);

	/* the desk records T1 too (taken over, audited as the desk's
	 * supply): the carrier's empty answer removes nothing, and is still
	 * recorded */
	CHECK_ERR(supply(r, key, "counter-1", NOW + 11, &desk_t1), HC_OK);
	CHECK(audit_seq(r) == seq + 2);
	CHECK_ERR(answer(r, key, "carrier", NOW + 20, NULL, 0), HC_OK);
	CHECK(audit_seq(r) == seq + 2 && holds(r, key, "310115") && holds(r, key, "000043"));
	CHECK_ERR(reg_answered(r, key, "carrier", &at), HC_OK);
	CHECK(at == NOW + 20);

	/* the other person's T1 is the carrier's alone: removed */
	CHECK_ERR(answer(r, other, "carrier", NOW + 20, NULL, 0), HC_OK);
	CHECK(!holds(r, other, "310115") && audit_seq(r) == seq + 3);

	/* a source's name is checked like an actor's */
	change_base(&c, key, NOW + 30);
	c.answer = "bad\nname";
	CHECK_ERR(reg_apply(r, &c, NULL), HC_ERR_INVALID_ARG);
	reg_close(r);
	r = NULL;

	db = sql_open(path);
	CHECK(sql_int(db, "SELECT count(*) FROM visits WHERE venue = '330106-000042'", NULL, NULL,
		      0) == 0);
	CHECK(sql_int(db, "SELECT count(*) FROM visits WHERE venue = '330106-000043'", NULL, NULL,
		      0) == 1);
	CHECK(sql_int(db, "SELECT count(*) FROM travel WHERE person = ?1", other, NULL, 0) == 0);
	CHECK(sql_int(db, "SELECT count(*) FROM travel WHERE person = ?1", key, NULL, 0) == 2);
	CHECK(sql_int(db, "SELECT count(*) FROM audit WHERE CAST(line AS TEXT) LIKE '%removed%'",
		      NULL, NULL, 0) == 2);
	sqlite3_close(db);
	/* kept across a reopen */
	CHECK_ERR(reg_open(path, false, &r), HC_OK);
	if (r) {
		CHECK_ERR(reg_answered(r, key, "carrier", &at), HC_OK);
		CHECK(at == NOW + 20);
		check_chain(r);
		reg_close(r);
	}
}

void t_main(void)
{
	dir = t_tmpdir();
	RUN(open_and_refuse);
	RUN(tokens);
	RUN(tokens_kept);
	t_begin("apply: a new person with an input, a status and a code");
	apply_rules();
	t_end();
	RUN(lists_stats_backup);
	RUN(batch);
	RUN(answers);
	fx_cleanup();
}
