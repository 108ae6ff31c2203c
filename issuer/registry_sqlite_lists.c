/* registry_sqlite_lists.c: the registry's reads other than a person's:
 * tokens (kept in memory while the registry has not changed), the
 * revoked codes, the audit chain and the stats; each on a connection from
 * the read pool. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "registry_sqlite.h"

static void token_row(sqlite3_stmt *s, struct reg_token *t)
{
	rs_copy_col(s, 0, t->role, sizeof(t->role));
	rs_copy_col(s, 1, t->name, sizeof(t->name));
	t->created = sqlite3_column_int64(s, 2);
	t->revoked = sqlite3_column_int64(s, 3);
}

/* Every request looks its token up: a token found is kept with the
 * registry's stamp of before the read, and answered from memory while the
 * stamp has not moved (no commit since, by any process: a revocation by
 * `hc-issued token revoke` counts from the next request on). */
static bool same_stamp(const struct rs_stamp *a, const struct rs_stamp *b)
{
	return a->v[0] == b->v[0] && a->v[1] == b->v[1] && a->v[2] == b->v[2];
}

static bool token_kept(struct reg *r, const uint8_t hash[32], const struct rs_stamp *stamp,
		       struct reg_token *out)
{
	bool hit = false;

	pthread_mutex_lock(&r->tok_mu);
	for (size_t i = 0; i < RS_TOKS && !hit; i++)
		if (r->tok[i].used && same_stamp(&r->tok[i].stamp, stamp) &&
		    CRYPTO_memcmp(r->tok[i].hash, hash, 32) == 0) {
			*out = r->tok[i].t;
			hit = true;
		}
	pthread_mutex_unlock(&r->tok_mu);
	return hit;
}

static void token_keep(struct reg *r, const uint8_t hash[32], const struct rs_stamp *stamp,
		       const struct reg_token *t)
{
	struct rs_tok *k = NULL;

	pthread_mutex_lock(&r->tok_mu);
	for (size_t i = 0; i < RS_TOKS && !k; i++)
		if (r->tok[i].used && CRYPTO_memcmp(r->tok[i].hash, hash, 32) == 0)
			k = &r->tok[i];
	if (!k)
		k = &r->tok[r->tok_next++ % RS_TOKS];
	memcpy(k->hash, hash, 32);
	k->stamp = *stamp;
	k->t = *t;
	k->used = true;
	pthread_mutex_unlock(&r->tok_mu);
}

hc_err reg_token_find(struct reg *r, const uint8_t hash[32], struct reg_token *out)
{
	struct conn *c;
	sqlite3_stmt *s;
	struct rs_stamp stamp;
	bool stamped = rs_stamp(r, &stamp);
	hc_err err;
	int rc;

	memset(out, 0, sizeof(*out));
	if (stamped && token_kept(r, hash, &stamp, out))
		return HC_OK;
	err = rs_read_get(r, &c);
	if (err != HC_OK)
		return err;
	s = rs_q(c, S_TOKEN_FIND, "h", hash);
	rc = s ? sqlite3_step(s) : SQLITE_ERROR;
	if (rc == SQLITE_ROW) {
		token_row(s, out);
	} else if (rc == SQLITE_DONE) {
		hc_set_detail("token: unknown");
		err = HC_ERR_NOT_FOUND;
	} else {
		err = s ? rs_dberr(c, "token") : HC_ERR_STORE;
	}
	rs_done(s);
	rs_read_put(r, c);
	if (err == HC_OK && stamped)
		token_keep(r, hash, &stamp, out);
	return err;
}

hc_err reg_token_list(struct reg *r, void (*fn)(void *arg, const struct reg_token *t), void *arg)
{
	struct conn *c;
	sqlite3_stmt *s;
	hc_err err;
	int rc = SQLITE_ERROR;

	err = rs_read_get(r, &c);
	if (err != HC_OK)
		return err;
	s = rs_q(c, S_TOKENS, "");
	while (s && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct reg_token t;

		token_row(s, &t);
		fn(arg, &t);
	}
	if (rc != SQLITE_DONE)
		err = s ? rs_dberr(c, "tokens") : HC_ERR_STORE;
	rs_done(s);
	rs_read_put(r, c);
	return err;
}

hc_err reg_revoked(struct reg *r, int64_t now, void (*fn)(void *arg, const char *jti, int64_t at),
		   void *arg)
{
	struct conn *c;
	sqlite3_stmt *s;
	hc_err err;
	int rc = SQLITE_ERROR;

	err = rs_read_get(r, &c);
	if (err != HC_OK)
		return err;
	s = rs_q(c, S_REVOKED, "i", now - 300);
	while (s && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *jti = (const char *)sqlite3_column_text(s, 0);

		fn(arg, jti ? jti : "", sqlite3_column_int64(s, 1));
	}
	if (rc != SQLITE_DONE)
		err = s ? rs_dberr(c, "codes") : HC_ERR_STORE;
	rs_done(s);
	rs_read_put(r, c);
	return err;
}

hc_err reg_audit_read(struct reg *r, int64_t after, size_t limit,
		      hc_err (*fn)(void *arg, int64_t seq, const char *line, size_t n), void *arg)
{
	struct conn *c;
	sqlite3_stmt *s;
	hc_err err;
	int rc = SQLITE_ERROR;

	if (limit == 0)
		return HC_OK;
	err = rs_read_get(r, &c);
	if (err != HC_OK)
		return err;
	s = rs_q(c, S_AUDIT_READ, "ii", after, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
	while (s && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *line = sqlite3_column_blob(s, 1);

		err = fn(arg, sqlite3_column_int64(s, 0), line ? line : "",
			 (size_t)sqlite3_column_bytes(s, 1));
		if (err != HC_OK)
			break;
	}
	if (err == HC_OK && rc != SQLITE_DONE)
		err = s ? rs_dberr(c, "audit") : HC_ERR_STORE;
	rs_done(s);
	rs_read_put(r, c);
	return err;
}

hc_err reg_audit_last(struct reg *r, int64_t *seq, uint8_t hash[32])
{
	struct chain ch;
	struct conn *c;
	hc_err err;

	err = rs_read_get(r, &c);
	if (err != HC_OK)
		return err;
	err = rs_chain_load(c, &ch);
	rs_read_put(r, c);
	if (err == HC_OK) {
		*seq = ch.seq;
		memcpy(hash, ch.hash, 32);
	}
	return err;
}

static hc_err stats_read(struct reg *r, struct conn *c, int64_t now, struct reg_stats *out)
{
	struct chain ch;
	sqlite3_stmt *s;
	/* first: it fixes the snapshot that the rest reads */
	hc_err err = rs_census_codes(r, c, now, out->codes);

	if (err != HC_OK)
		return err;
	if (!(s = rs_q(c, S_N_PEOPLE, "")))
		return HC_ERR_STORE;
	if (sqlite3_step(s) == SQLITE_ROW)
		out->people = sqlite3_column_int64(s, 0);
	else
		err = rs_dberr(c, "people");
	rs_done(s);
	if (err != HC_OK)
		return err;
	/* the window of reg_revoked(), so that it counts the list's entries */
	if (!(s = rs_q(c, S_N_REVOKED, "i", now - 300)))
		return HC_ERR_STORE;
	if (sqlite3_step(s) == SQLITE_ROW)
		out->revoked = sqlite3_column_int64(s, 0);
	else
		err = rs_dberr(c, "revoked codes");
	rs_done(s);
	if (err == HC_OK)
		err = rs_chain_load(c, &ch);
	if (err == HC_OK)
		out->audit_seq = ch.seq;
	return err;
}

hc_err reg_stats(struct reg *r, int64_t now, struct reg_stats *out)
{
	struct conn *c;
	hc_err err;

	memset(out, 0, sizeof(*out));
	err = rs_read_get(r, &c);
	if (err != HC_OK)
		return err;
	err = rs_exec(c, S_BEGIN, "begin");
	if (err == HC_OK)
		err = stats_read(r, c, now, out);
	if (err == HC_OK)
		err = rs_exec(c, S_COMMIT, "commit");
	rs_read_put(r, c);
	rs_stats_counters(r, out);
	return err;
}
