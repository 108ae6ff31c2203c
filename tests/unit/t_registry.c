/* t_registry.c: the SQLite registry (registry.h) on real files in a temp
 * directory: open and refuse, tokens, every rule of reg_apply, admin
 * revocation, the audit chain recomputed here with hc_sha256, 64 threads
 * sharing group commits, kill -9 of a writer process, file modes. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hc_audit_check.h"
#include "hc_crypto.h"
#include "registry.h"
#include "t.h"

#define NOW 1795392000
#define DAY 86400

static const char *dir;

/* Ends the running case and starts the next (RUN ends the last). */
#define SECTION(name) (t_end(), t_begin(name))

static const char *in_dir(const char *name)
{
	static char buf[16][512];
	static int k;

	k = (k + 1) % 16;
	(void)snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/* A person key (43 base64url characters) and a jti (22) from numbers. */
static void make_key(int n, char out[REG_KEY_LEN + 1])
{
	uint8_t h[32];
	char s[32];

	(void)snprintf(s, sizeof(s), "person-%d", n);
	if (hc_sha256((const uint8_t *)s, strlen(s), h) != HC_OK ||
	    hc_b64u_encode(h, 32, out, REG_KEY_LEN + 1) != HC_OK)
		abort();
}

static void make_jti(int a, int b, char out[REG_JTI_LEN + 1])
{
	uint8_t v[16] = {0};

	memcpy(v, &a, sizeof(a));
	memcpy(v + 8, &b, sizeof(b));
	if (hc_b64u_encode(v, 16, out, REG_JTI_LEN + 1) != HC_OK)
		abort();
}

static void make_code(struct reg_code *k, const char *person, const char *jti, enum hc_status st,
		      int64_t iat, int64_t exp)
{
	static char jws[] = "eyJhbGciOiJFUzI1NiJ9.eyJ0ZXN0Ijp0cnVlfQ.c2ln";

	memset(k, 0, sizeof(*k));
	(void)snprintf(k->jti, sizeof(k->jti), "%s", jti);
	(void)snprintf(k->person, sizeof(k->person), "%s", person);
	k->st = st;
	(void)snprintf(k->why[0], HC_WHY_LEN, "%s",
	               st == HC_ST_GREEN ? "nat-negative" : "risk-area");
	k->nwhy = 1;
	(void)snprintf(k->policy, sizeof(k->policy), "default-1");
	(void)snprintf(k->kid, sizeof(k->kid), "kid-test");
	k->iat = iat;
	k->exp = exp;
	k->jws = jws;
}

static void change_base(struct reg_change *c, const char *person, int64_t now)
{
	memset(c, 0, sizeof(*c));
	c->actor = "counter-1";
	c->cause = "req-1";
	c->action = "record";
	c->now = now;
	c->person = person;
	c->name = "张*";
	c->id = "330**************1234";
	c->expect_version = -1;
}

/* ---- direct SQL, to see what the interface does not show ---- */

static sqlite3 *sql_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		t_fail(__FILE__, __LINE__, "sqlite3_open %s", path);
	return db;
}

/* The first column of the first row of q with one text parameter, as an
 * integer, or -1 with no row; text columns copied into txt when given. */
static int64_t sql_int(sqlite3 *db, const char *q, const char *p, char *txt, size_t n)
{
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK)
		return -2;
	if (p)
		(void)sqlite3_bind_text(s, 1, p, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW) {
		v = sqlite3_column_int64(s, 0);
		if (txt) {
			const unsigned char *t = sqlite3_column_text(s, 1);
			(void)snprintf(txt, n, "%s", t ? (const char *)t : "");
		}
	}
	sqlite3_finalize(s);
	return v;
}

/* ---- the audit chain, checked entry by entry ---- */

struct chain_walk {
	int64_t n, bad;
	uint8_t prev[32]; /* SHA-256 of the last line walked, recomputed here */
};

static hc_err walk(void *arg, int64_t seq, const char *line, size_t n)
{
	struct chain_walk *w = arg;
	struct hc_audit_parsed *p = malloc(sizeof(*p));

	/* Read back strictly by the checker of hc-verify audit. */
	if (!p || hc_audit_entry_parse(line, n, p) != HC_OK || seq != w->n + 1 || p->e.seq != seq ||
	    memcmp(p->e.prev, w->prev, 32) != 0) {
		fprintf(stderr, "  chain broken at seq %lld: %.*s (%s)\n", (long long)seq, (int)n,
			line, hc_detail());
		w->bad++;
	}
	free(p);
	if (hc_sha256((const uint8_t *)line, n, w->prev) != HC_OK)
		return HC_ERR_CRYPTO;
	w->n = seq;
	return HC_OK;
}

/* Walks the whole chain in pages of 97: contiguous from 1, each entry
 * read back strictly, each prev the SHA-256 of the line before (zero for
 * the first), the last hash matching reg_audit_last. Returns the number
 * of entries. */
static int64_t walk_chain(struct reg *r, int64_t *bad)
{
	struct chain_walk w = {0};
	uint8_t last[32];
	int64_t seq = -1, before;

	do {
		before = w.n;
		if (reg_audit_read(r, w.n, 97, walk, &w) != HC_OK)
			w.bad++;
	} while (w.n > before);
	if (reg_audit_last(r, &seq, last) != HC_OK || seq != w.n ||
	    (w.n > 0 && memcmp(last, w.prev, 32) != 0))
		w.bad++;
	*bad = w.bad;
	return w.n;
}

static int64_t check_chain(struct reg *r)
{
	int64_t bad = 0, n = walk_chain(r, &bad);

	CHECK(bad == 0);
	return n;
}

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

static int64_t audit_seq(struct reg *r)
{
	uint8_t h[32];
	int64_t seq = -1;

	if (reg_audit_last(r, &seq, h) != HC_OK)
		return -1;
	return seq;
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
	CHECK(sql_int(db, "SELECT count(*) FROM inputs WHERE kind = 'flags'", NULL, NULL, 0) == 1);
	sqlite3_close(db);
	CHECK_ERR(reg_person_get(r, key, &p), HC_OK);
	CHECK(p.st == HC_ST_YELLOW && p.has_held && strcmp(p.held.jti, j[6]) == 0);
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
		static const char *const damage[] = {
			"UPDATE codes SET why = 'not json' WHERE revoked_at = 0",
			"UPDATE codes SET status = 7 WHERE revoked_at = 0",
			"UPDATE inputs SET kind = 'pets' WHERE kind = 'travel'",
		};

		for (size_t i = 0; i < 3; i++) {
			sqlite3 *w = NULL;

			CHECK(sqlite3_open(path, &w) == SQLITE_OK);
			CHECK(sqlite3_exec(w, damage[i], NULL, NULL, NULL) == SQLITE_OK);
			CHECK_ERR(reg_person_get(r, key, &p), HC_ERR_STORE);
			CHECK(strstr(hc_detail(), i < 2 ? "damaged" : "unknown kind") != NULL);
			CHECK(p.inputs == NULL && p.held.jws == NULL);
			CHECK(sqlite3_exec(
			          w,
			          i < 2 ? "UPDATE codes SET why = '[]', status = 0"
			                  " WHERE revoked_at = 0"
			                : "UPDATE inputs SET kind = 'travel' WHERE kind = 'pets'",
			          NULL, NULL, NULL) == SQLITE_OK);
			sqlite3_close(w);
			CHECK_ERR(reg_person_get(r, key, &p), HC_OK);
			reg_person_clear(&p);
		}
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

/* ---- 64 threads: every change succeeds, commits are shared ---- */

#define THREADS 64
#define PER_THREAD 24
#define CHANGES ((int64_t)THREADS * PER_THREAD)

struct worker {
	struct reg *r;
	int id;
	int failed;
};

/* A change for a new person that reuses jti: it must fail alone, in
 * whatever batch it lands, and leave no trace (no person). */
static int reuse_jti(struct reg *r, int n, const char *jti)
{
	char key[REG_KEY_LEN + 1];
	struct reg_input in = {"nat", "{\"result\":\"positive\"}", "counter-1", NULL, NOW};
	struct reg_person p;
	struct reg_change c;
	struct reg_code k;

	make_key(n, key);
	change_base(&c, key, NOW);
	c.inputs = &in;
	c.ninputs = 1;
	c.has_status = true;
	c.st = HC_ST_RED;
	make_code(&k, key, jti, HC_ST_RED, NOW, NOW + DAY);
	c.code = &k;
	if (reg_apply(r, &c, NULL) != HC_ERR_EXISTS)
		return 1;
	return reg_person_get(r, key, &p) == HC_ERR_NOT_FOUND ? 0 : 1;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		char key[REG_KEY_LEN + 1], jti[REG_JTI_LEN + 1];
		struct reg_input in = {"nat", "{\"result\":\"negative\"}", "counter-1", NULL, NOW};
		struct reg_change c;
		struct reg_code k;

		make_key(1000 + w->id * PER_THREAD + i, key);
		make_jti(w->id + 100, i, jti);
		change_base(&c, key, NOW);
		c.expect_version = 0;
		c.inputs = &in;
		c.ninputs = 1;
		c.has_status = true;
		c.st = HC_ST_GREEN;
		make_code(&k, key, jti, HC_ST_GREEN, NOW, NOW + DAY);
		c.code = &k;
		if (reg_apply(w->r, &c, NULL) != HC_OK)
			w->failed++;
		if (i % 8 == 7)
			w->failed += reuse_jti(w->r, 900000 + w->id * PER_THREAD + i, jti);
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void concurrent(void)
{
	struct reg *r = NULL;
	struct worker w[THREADS];
	pthread_t th[THREADS];
	struct reg_stats st;
	double t0, t1;
	int failed = 0;

	CHECK_ERR(reg_open(in_dir("many.db"), true, &r), HC_OK);
	if (!r)
		return;
	t0 = now_s();
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){r, i, 0};
		CHECK(pthread_create(&th[i], NULL, worker_main, &w[i]) == 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		failed += w[i].failed;
	}
	t1 = now_s();
	CHECK(failed == 0);
	CHECK_ERR(reg_stats(r, NOW, &st), HC_OK);
	CHECK(st.people == CHANGES && st.codes[HC_ST_GREEN] == CHANGES);
	CHECK(st.changes == CHANGES);
	CHECK(st.commits < st.changes);
	CHECK(check_chain(r) == 3 * CHANGES);
	/* The checkpointer has copied pages into the database file while
	 * the registry is open (a new one is a few pages of schema). */
	{
		struct stat sb;

		CHECK(stat(in_dir("many.db"), &sb) == 0 && sb.st_size > 256 * 1024);
	}
	printf("  %d changes by %d threads in %.2f s: %.0f changes/s, %lld commits, "
	       "%.1f changes per commit\n  batch sizes 1, 2-3, 4-7, ..., >=128:",
	       (int)CHANGES, THREADS, t1 - t0, (double)CHANGES / (t1 - t0),
	       (long long)st.commits, st.commits ? (double)st.changes / (double)st.commits : 0.0);
	for (int i = 0; i < 8; i++)
		printf(" %lld", (long long)st.batch_hist[i]);
	printf("\n");
	reg_close(r);
}

/* ---- kill -9 of a process that is applying changes ---- */

#define ROUNDS 5
#define CHILD_THREADS 8
#define MAX_ACKED 200000

struct child_worker {
	int round, id, fd;
	struct reg *r;
};

static void *child_main(void *arg)
{
	struct child_worker *w = arg;

	for (int i = 0;; i++) {
		char key[REG_KEY_LEN + 1], jti[REG_JTI_LEN + 2];
		struct reg_input in = {"nat", "{\"result\":\"negative\"}", "lab", NULL, NOW};
		struct reg_change c;
		struct reg_code k;

		make_key(w->round * 10000000 + w->id * 1000000 + i, key);
		make_jti(w->round * 100 + w->id, i, jti);
		change_base(&c, key, NOW);
		c.inputs = &in;
		c.ninputs = 1;
		c.has_status = true;
		c.st = HC_ST_GREEN;
		make_code(&k, key, jti, HC_ST_GREEN, NOW, NOW + DAY);
		c.code = &k;
		if (reg_apply(w->r, &c, NULL) != HC_OK)
			_exit(4);
		jti[REG_JTI_LEN] = '\n';
		if (write(w->fd, jti, REG_JTI_LEN + 1) != REG_JTI_LEN + 1) /* atomic: < PIPE_BUF */
			_exit(5);
	}
	return NULL;
}

static void child_run(const char *path, int round, int fd)
{
	struct child_worker w[CHILD_THREADS];
	pthread_t th;
	struct reg *r = NULL;

	if (reg_open(path, false, &r) != HC_OK)
		_exit(3);
	for (int i = 0; i < CHILD_THREADS; i++) {
		w[i] = (struct child_worker){round, i, fd, r};
		if (pthread_create(&th, NULL, child_main, &w[i]) != 0)
			_exit(3);
	}
	for (;;)
		pause();
}

static int jti_cmp(const void *a, const void *b)
{
	return memcmp(a, b, REG_JTI_LEN);
}

struct issued {
	char (*jti)[REG_JTI_LEN];
	size_t n;
};

static hc_err issued_fn(void *arg, int64_t seq, const char *line, size_t n)
{
	struct issued *is = arg;
	cJSON *j = cJSON_ParseWithLength(line, n);
	const cJSON *a = cJSON_GetObjectItem(j, "action"), *k = cJSON_GetObjectItem(j, "jti");

	(void)seq;
	if (cJSON_IsString(a) && strcmp(a->valuestring, "issue") == 0 && cJSON_IsString(k) &&
	    is->n < MAX_ACKED && strlen(k->valuestring) == REG_JTI_LEN)
		memcpy(is->jti[is->n++], k->valuestring, REG_JTI_LEN);
	cJSON_Delete(j);
	return HC_OK;
}

/* xorshift32: delays that differ from run to run, printed to repeat one. */
static unsigned next_rand(unsigned *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void durability(void)
{
	const char *path = in_dir("kill.db");
	char (*acked)[REG_JTI_LEN] = calloc(MAX_ACKED, REG_JTI_LEN);
	struct issued is = {calloc(MAX_ACKED, REG_JTI_LEN), 0};
	size_t nacked = 0, missing = 0, dup = 0;
	unsigned seed = ((unsigned)time(NULL) ^ (unsigned)getpid()) | 1;
	struct reg *r = NULL;
	sqlite3 *db;

	if (!acked || !is.jti)
		abort();
	CHECK_ERR(reg_open(path, true, &r), HC_OK);
	reg_close(r);
	printf("  kill -9 rounds, seed %u:", seed);
	for (int round = 0; round < ROUNDS; round++) {
		char buf[4096], part[REG_JTI_LEN + 1];
		size_t plen = 0, first;
		int fds[2], status = 0, delay_ms = 150 + (int)(next_rand(&seed) % 400);
		double end;
		pid_t pid;

		CHECK(pipe(fds) == 0);
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid == 0) {
			close(fds[0]);
			child_run(path, round, fds[1]);
		}
		close(fds[1]);
		/* The delay runs from the first acknowledged change (10 s at
		 * most), so that a slow start (valgrind) still kills mid-work. */
		end = now_s() + 10;
		first = nacked;
		for (;;) {
			struct pollfd pf = {fds[0], POLLIN, 0};
			int left = (int)((end - now_s()) * 1000);
			ssize_t got;

			if (left > 0 && poll(&pf, 1, left) <= 0)
				continue;
			if (left <= 0 && pid > 0) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				pid = 0;
			}
			got = read(fds[0], buf, sizeof(buf));
			if (got <= 0) {
				if (got < 0 && errno == EINTR)
					continue;
				if (pid == 0 || got == 0)
					break;
				continue;
			}
			for (ssize_t i = 0; i < got; i++) {
				if (buf[i] != '\n') {
					if (plen < REG_JTI_LEN)
						part[plen] = buf[i];
					plen++;
					continue;
				}
				if (plen == REG_JTI_LEN && nacked < MAX_ACKED)
					memcpy(acked[nacked++], part, REG_JTI_LEN);
				plen = 0;
			}
			if (first != SIZE_MAX && nacked > first) {
				end = now_s() + delay_ms / 1000.0;
				first = SIZE_MAX;
			}
		}
		if (pid > 0) { /* the child died by itself */
			waitpid(pid, &status, 0);
		}
		close(fds[0]);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		CHECK(plen == 0);
		CHECK(first == SIZE_MAX); /* killed after it acknowledged */
		printf(" %d ms/%zu", delay_ms, nacked);
	}
	printf(" acknowledged\n");
	CHECK(nacked > 0);

	CHECK_ERR(reg_open(path, false, &r), HC_OK);
	if (!r)
		goto out;
	check_chain(r);
	CHECK_ERR(reg_audit_read(r, 0, SIZE_MAX, issued_fn, &is), HC_OK);
	db = sql_open(path);
	for (size_t i = 0; i < nacked; i++) {
		char jti[REG_JTI_LEN + 1];

		memcpy(jti, acked[i], REG_JTI_LEN);
		jti[REG_JTI_LEN] = '\0';
		if (sql_int(db, "SELECT count(*) FROM codes WHERE jti = ?1", jti, NULL, 0) != 1)
			missing++;
	}
	CHECK(sql_int(db, "SELECT count(*) FROM codes", NULL, NULL, 0) == (int64_t)is.n);
	sqlite3_close(db);
	CHECK(missing == 0);
	CHECK(is.n >= nacked);
	qsort(is.jti, is.n, REG_JTI_LEN, jti_cmp);
	for (size_t i = 1; i < is.n; i++)
		if (memcmp(is.jti[i - 1], is.jti[i], REG_JTI_LEN) == 0)
			dup++;
	CHECK(dup == 0);
	printf("  after %d kills: %zu acknowledged, %zu issued in the chain, %zu missing, %zu "
	       "twice\n",
	       ROUNDS, nacked, is.n, missing, dup);
	reg_close(r);
out:
	free(acked);
	free(is.jti);
}

void t_main(void)
{
	dir = t_tmpdir();
	RUN(open_and_refuse);
	RUN(tokens);
	t_begin("apply: a new person with an input, a status and a code");
	apply_rules();
	t_end();
	RUN(lists_stats_backup);
	RUN(concurrent);
	RUN(durability);
	if (!getenv("HC_KEEP_TMP")) {
		char cmd[600];

		(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	}
}
