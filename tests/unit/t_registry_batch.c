/* t_registry_batch.c: the SQLite registry on real files in a temp
 * directory: one batch of changes (reg_apply_many), each succeeding or
 * failing on its own, and a queried source's answers, with the audit
 * chain recomputed with hc_sha256. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reg_fx.h"
#include "t.h"

/* ---- one batch of changes: each succeeds or fails on its own ---- */

/* c: person key, one input in, green; with why (one reason) when given,
 * and with a green code k numbered jti when k and jti are given (the
 * callers give both or neither; testing jti too keeps cppcheck's
 * whole-program check from following a NULL jti into make_code). */
static void green_change(struct reg_change *c, const char *key, struct reg_input *in,
			 const char *const *why, struct reg_code *k, const char *jti)
{
	status_change(c, key, in, HC_ST_GREEN, k, jti);
	if (why) {
		c->why = why;
		c->nwhy = 1;
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
	/* the metrics' count (the largest n) after inserts rolled back */
	{
		struct reg_stats st;

		CHECK_ERR(reg_stats(r, NOW, &st), HC_OK);
		CHECK(st.people == 4);
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
	RUN(batch);
	RUN(answers);
	fx_cleanup();
}
