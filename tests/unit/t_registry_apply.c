/* t_registry_apply.c: every rule of reg_apply (the SQLite registry on a
 * real file in a temp directory): inputs, statuses, codes and what
 * supersedes them, admin revocation, damaged rows, and the audit chain
 * recomputed with hc_sha256. */
#include <stdio.h>
#include <string.h>

#include "reg_fx.h"
#include "t.h"

/* Ends the running case and starts the next (RUN ends the last). */
#define SECTION(name) (t_end(), t_begin(name))

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
	status_change(&c, key, &nat, HC_ST_GREEN, &k, j[0]);
	c.expect_version = 0;
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
	CHECK_ERR(reg_revoke(r, j[4], "lost-phone", "boss", "req-r", NOW + 50, NULL, NULL), HC_OK);
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
		int64_t at = 0;

		CHECK_ERR(reg_revoke(r, j[6], "mistake", "boss", "req-9", NOW + 400, &already, &at),
			  HC_OK);
		CHECK(!already && at == NOW + 400 && audit_seq(r) == seq + 1);
		CHECK_ERR(reg_revoke(r, j[6], "again", "boss", "req-10", NOW + 500, &already, &at),
			  HC_OK);
		CHECK(already && at == NOW + 400 && audit_seq(r) == seq + 1);
		CHECK_ERR(reg_revoke(r, j[7], "x", "boss", NULL, NOW, &already, &at), HC_ERR_NOT_FOUND);
		CHECK(at == 0);
		CHECK_ERR(reg_revoke(r, "nope", "x", "boss", NULL, NOW, &already, NULL),
			  HC_ERR_INVALID_ARG);
		CHECK_ERR(reg_revoke(r, j[3], "a\nb", "boss", NULL, NOW, &already, NULL),
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
		CHECK_ERR(reg_revoke(r, jn, "mistake", "boss", NULL, NOW + 700, &already, NULL), HC_OK);
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


void t_main(void)
{
	dir = t_tmpdir();
	t_begin("apply: a new person with an input, a status and a code");
	apply_rules();
	t_end();
	fx_cleanup();
}
