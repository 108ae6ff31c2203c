/* t_registry.c: the SQLite registry (registry.h) on real files in a temp
 * directory: open and refuse (garbage, another SQLite database, another
 * schema version), file modes, tokens, the revocation list and its seq,
 * stats and backup. Every rule of reg_apply is in t_registry_apply.c, a
 * batch of changes and a queried source's answers in t_registry_batch.c,
 * the load tests (64 threads, kill -9) in t_registry_load.c. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reg_fx.h"
#include "t.h"

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
	/* Chosen so that jti order is j[2] < j[0] < j[1]; the list comes by
	 * expiry, then jti: j[1] (NOW + 1000), j[2], j[0] (NOW + DAY). */
	(void)snprintf(j[0], sizeof(j[0]), "BAAAAAAAAAAAAAAAAAAAAA");
	(void)snprintf(j[1], sizeof(j[1]), "CAAAAAAAAAAAAAAAAAAAAA");
	(void)snprintf(j[2], sizeof(j[2]), "AAAAAAAAAAAAAAAAAAAAAA");
	(void)snprintf(j[3], sizeof(j[3]), "DAAAAAAAAAAAAAAAAAAAAA");
	CHECK_ERR(apply_code(r, key, j[0], HC_ST_GREEN, NOW, NOW + DAY), HC_OK);
	CHECK_ERR(apply_code(r, key, j[1], HC_ST_GREEN, NOW, NOW + 1000), HC_OK);
	CHECK_ERR(apply_code(r, key, j[2], HC_ST_RED, NOW, NOW + DAY), HC_OK);
	CHECK_ERR(apply_code(r, key, j[3], HC_ST_YELLOW, NOW, NOW + DAY), HC_OK);
	for (int i = 0; i < 3; i++)
		CHECK_ERR(reg_revoke(r, j[i], "test", "boss", NULL, NOW + 10 * (i + 1), NULL, NULL),
		          HC_OK);
	CHECK_ERR(reg_revoked(r, NOW + 20, revoked_fn, got), HC_OK);
	(void)snprintf(want, sizeof(want), "%s@20 %s@30 %s@10 ", j[1], j[2], j[0]);
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
	for (int i = 0; i < REG_HIST_SLOTS; i++)
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

	/* A registry made before codes_revoked_exp (the revoked codes by jti):
	 * opened, it has the index by expiry and not the other, and the list
	 * is the same, read as a range of that index. */
	{
		sqlite3 *db = NULL;
		sqlite3_stmt *q = NULL;
		char plan[256] = "";

		CHECK(sqlite3_open_v2(in_dir("lists.db"), &db, SQLITE_OPEN_READWRITE, NULL) ==
		      SQLITE_OK);
		CHECK(db && sql_exec(db, "DROP INDEX codes_revoked_exp; CREATE INDEX codes_revoked"
					 " ON codes (jti, exp, revoked_at) WHERE revoked_at > 0") ==
				    SQLITE_OK);
		sqlite3_close(db);
		CHECK_ERR(reg_open(in_dir("lists.db"), false, &r), HC_OK);
		if (r) {
			got[0] = '\0';
			CHECK_ERR(reg_revoked(r, NOW + 1300, revoked_fn, got), HC_OK);
			(void)snprintf(want, sizeof(want), "%s@30 %s@10 ", j[2], j[0]);
			CHECK(strcmp(got, want) == 0);
			CHECK_ERR(reg_stats(r, NOW + 1300, &st), HC_OK);
			CHECK(st.revoked == 2);
			reg_close(r);
		}
		db = sql_open(in_dir("lists.db"));
		CHECK(sql_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'codes_revoked'",
			      NULL, NULL, 0) == 0);
		/* a range of the index (the statements name it: with an ORDER BY
		 * jti SQLite would rather walk codes_jti whole than sort) */
		CHECK(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT jti, revoked_at FROM codes"
					     " INDEXED BY codes_revoked_exp WHERE revoked_at > 0"
					     " AND exp > 5", -1, &q, NULL) == SQLITE_OK);
		while (q && sqlite3_step(q) == SQLITE_ROW) {
			const unsigned char *d = sqlite3_column_text(q, 3);
			size_t len = strlen(plan);

			(void)snprintf(plan + len, sizeof(plan) - len, "%s;", d ? (const char *)d : "");
		}
		sqlite3_finalize(q);
		CHECK(strstr(plan, "SEARCH codes USING COVERING INDEX codes_revoked_exp (exp>?)"));
		sqlite3_close(db);
	}
}


void t_main(void)
{
	dir = t_tmpdir();
	RUN(open_and_refuse);
	RUN(tokens);
	RUN(tokens_kept);
	RUN(lists_stats_backup);
	fx_cleanup();
}
