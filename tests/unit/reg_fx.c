/* reg_fx.c: what the registry's unit tests share: a temp directory,
 * person keys, jtis, codes and changes made from numbers, direct SQL on
 * the file, and the audit chain walked and recomputed with hc_sha256. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hc_audit_check.h"
#include "hc_crypto.h"
#include "reg_fx.h"
#include "t.h"

const char *dir;

const char *in_dir(const char *name)
{
	static char buf[16][512];
	static int k;

	k = (k + 1) % 16;
	(void)snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/* A person key (43 base64url characters) and a jti (22) from numbers. */
void make_key(int n, char out[REG_KEY_LEN + 1])
{
	uint8_t h[32];
	char s[32];

	(void)snprintf(s, sizeof(s), "person-%d", n);
	if (hc_sha256((const uint8_t *)s, strlen(s), h) != HC_OK ||
	    hc_b64u_encode(h, 32, out, REG_KEY_LEN + 1) != HC_OK)
		abort();
}

void make_jti(int a, int b, char out[REG_JTI_LEN + 1])
{
	uint8_t v[16] = {0};

	memcpy(v, &a, sizeof(a));
	memcpy(v + 8, &b, sizeof(b));
	if (hc_b64u_encode(v, 16, out, REG_JTI_LEN + 1) != HC_OK)
		abort();
}

void make_code(struct reg_code *k, const char *person, const char *jti, enum hc_status st,
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

void change_base(struct reg_change *c, const char *person, int64_t now)
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

void status_change(struct reg_change *c, const char *person, struct reg_input *in,
		   enum hc_status st, struct reg_code *k, const char *jti)
{
	change_base(c, person, NOW);
	c->inputs = in;
	c->ninputs = 1;
	c->has_status = true;
	c->st = st;
	if (k && jti) {
		make_code(k, person, jti, st, NOW, NOW + DAY);
		c->code = k;
	}
}

/* ---- direct SQL, to see what the interface does not show ---- */

sqlite3 *sql_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		t_fail(__FILE__, __LINE__, "sqlite3_open %s", path);
	return db;
}

/* The first column of the first row of q with one text parameter, as an
 * integer, or -1 with no row; text columns copied into txt when given. */
int64_t sql_int(sqlite3 *db, const char *q, const char *p, char *txt, size_t n)
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

int sql_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		t_fail(__FILE__, __LINE__, "%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc;
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
int64_t walk_chain(struct reg *r, int64_t *bad)
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

int64_t check_chain(struct reg *r)
{
	int64_t bad = 0, n = walk_chain(r, &bad);

	CHECK(bad == 0);
	return n;
}

int64_t audit_seq(struct reg *r)
{
	uint8_t h[32];
	int64_t seq = -1;

	if (reg_audit_last(r, &seq, h) != HC_OK)
		return -1;
	return seq;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fx_cleanup(void)
{
	char cmd[600];

	if (getenv("HC_KEEP_TMP"))
		return;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

/* The entries from seq first on, as "action:jti" words. */
hc_err collect(void *arg, int64_t seq, const char *line, size_t n)
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

hc_err apply_code(struct reg *r, const char *person, const char *jti, enum hc_status st,
		  int64_t iat, int64_t exp)
{
	struct reg_change c;
	struct reg_code k;

	change_base(&c, person, iat);
	make_code(&k, person, jti, st, iat, exp);
	c.code = &k;
	return reg_apply(r, &c, NULL);
}
