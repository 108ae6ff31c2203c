/* registry_sqlite_read.c: the registry's reads of people (their row,
 * inputs, visits and held code), each on a connection from the read pool,
 * several statements inside one read transaction so that they see one
 * state; the other reads are in registry_sqlite_lists.c. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "registry_sqlite.h"

/* By hc_copy, not snprintf: a person's read copies three or four
 * (callgrind: snprintf was 9% of reg_person_get's instructions). */
void rs_copy_col(sqlite3_stmt *s, int col, char *out, size_t n)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	hc_copy(out, n, t ? (const char *)t : "");
}

/* A growing string. */
struct sbuf {
	char *p;
	size_t n, cap;
};

static bool sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (n >= b->cap - b->n || !b->p) {
		size_t cap = b->cap ? b->cap : 256;
		char *t;

		while (n >= cap - b->n) {
			if (cap > SIZE_MAX / 2)
				return false;
			cap *= 2;
		}
		t = realloc(b->p, cap);
		if (!t)
			return false;
		b->p = t;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return true;
}

static bool sb_str(struct sbuf *b, const char *s)
{
	return sb_add(b, s, strlen(s));
}

/* A visit kept by visits_json. */
struct visit {
	int64_t seq;
	char *json;
};

static int by_seq(const void *a, const void *b)
{
	const struct visit *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The person's newest REG_KIND_MAX visits (by seq, the order supplied)
 * into b, oldest first, separated by commas; *n of them. */
static hc_err visits_json(struct conn *c, const char *key, struct sbuf *b, size_t *n)
{
	sqlite3_stmt *s = rs_q(c, S_VISIT_INPUTS, "t", key);
	struct visit v[REG_KIND_MAX];
	size_t oldest = 0; /* in v, once it is full */
	hc_err err = HC_OK;
	int rc = SQLITE_ERROR;

	*n = 0;
	while (s && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(s, 0);
		const char *j = (const char *)sqlite3_column_text(s, 1);
		char *dup;
		size_t at = *n;

		if (!j) {
			err = rs_dberr(c, "visits");
			break;
		}
		if (*n == REG_KIND_MAX) {
			if (seq < v[oldest].seq)
				continue; /* older than every one kept */
			at = oldest;
		}
		if (!(dup = strdup(j))) {
			err = HC_ERR_NOMEM;
			break;
		}
		if (at == *n) {
			(*n)++;
		} else {
			free(v[at].json);
		}
		v[at].seq = seq;
		v[at].json = dup;
		if (*n == REG_KIND_MAX)
			for (size_t i = 0; i < *n; i++)
				if (v[i].seq < v[oldest].seq)
					oldest = i;
	}
	if (err == HC_OK && rc != SQLITE_DONE)
		err = s ? rs_dberr(c, "visits") : HC_ERR_STORE;
	rs_done(s);
	if (err == HC_OK && *n > 1)
		qsort(v, *n, sizeof(v[0]), by_seq);
	for (size_t i = 0; i < *n; i++) {
		if (err == HC_OK && !((i == 0 || sb_str(b, ",")) && sb_str(b, v[i].json)))
			err = HC_ERR_NOMEM;
		free(v[i].json);
	}
	return err;
}

/* {"nat":[..],"vaccinations":[..],...}: the kinds in a fixed order, each
 * in the order supplied; of a kind with more than REG_KIND_MAX, the newest
 * REG_KIND_MAX. */
static hc_err inputs_json(struct conn *c, const char *key, const struct rs_row *w, char **out)
{
	struct sbuf b = {0};
	bool ok = sb_str(&b, "{"), first = true;
	hc_err err = HC_OK;

	for (int k = 0; ok && k < RS_KINDS; k++) {
		size_t n = 0, skip, seen = 0;

		for (size_t i = 0; i < w->nin; i++)
			n += w->in[i].kind == k;
		if (k == RS_KIND_VISITS) {
			size_t at = b.n;

			ok = sb_str(&b, first ? "\"visits\":[" : ",\"visits\":[");
			if (ok && (err = visits_json(c, key, &b, &n)) != HC_OK)
				break;
			if (ok && n) {
				ok = sb_str(&b, "]");
				first = false;
			} else if (ok) {
				b.n = at; /* none: the kind is left out */
				b.p[b.n] = '\0';
			}
			continue;
		}
		if (!n)
			continue;
		skip = n > REG_KIND_MAX ? n - REG_KIND_MAX : 0;
		ok = sb_str(&b, first ? "\"" : ",\"") && sb_str(&b, rs_kind_name(k)) &&
		     sb_str(&b, "\":[");
		first = false;
		for (size_t i = 0; ok && i < w->nin; i++) {
			if (w->in[i].kind != k || seen++ < skip)
				continue;
			ok = (seen == skip + 1 || sb_str(&b, ",")) &&
			     sb_add(&b, w->in[i].json, w->in[i].njson);
		}
		ok = ok && sb_str(&b, "]");
	}
	if (err == HC_OK && (!ok || !sb_str(&b, "}")))
		err = HC_ERR_NOMEM;
	if (err != HC_OK) {
		free(b.p);
		return err;
	}
	*out = b.p;
	return HC_OK;
}

/* The stored why (a JSON array of strings) into k; false when it is not
 * one. */
static bool why_of(const char *why, size_t n, struct reg_code *k)
{
	cJSON *arr = why ? cJSON_ParseWithLength(why, n) : NULL;
	const cJSON *it;
	bool ok;

	k->nwhy = 0;
	cJSON_ArrayForEach(it, arr)
	{
		if (k->nwhy < HC_MAX_WHY && cJSON_IsString(it))
			(void)snprintf(k->why[k->nwhy++], HC_WHY_LEN, "%s", it->valuestring);
	}
	ok = cJSON_IsArray(arr);
	cJSON_Delete(arr);
	return ok;
}

/* A row of CODE_COLS into k (k->jws malloc'd). */
static hc_err code_row(sqlite3_stmt *s, struct reg_code *k)
{
	const char *why = (const char *)sqlite3_column_text(s, 3);
	const char *jws = (const char *)sqlite3_column_text(s, 10);
	bool ok = why_of(why, (size_t)sqlite3_column_bytes(s, 3), k);

	rs_copy_col(s, 0, k->jti, sizeof(k->jti));
	rs_copy_col(s, 1, k->person, sizeof(k->person));
	k->st = (enum hc_status)sqlite3_column_int(s, 2);
	rs_copy_col(s, 4, k->policy, sizeof(k->policy));
	rs_copy_col(s, 5, k->kid, sizeof(k->kid));
	k->iat = sqlite3_column_int64(s, 6);
	k->exp = sqlite3_column_int64(s, 7);
	k->revoked_at = sqlite3_column_int64(s, 8);
	rs_copy_col(s, 9, k->superseded_by, sizeof(k->superseded_by));
	if (!ok || (unsigned)k->st > HC_ST_RED || !jws) {
		hc_set_detail("registry: code %s: stored why, status or jws is damaged", k->jti);
		return HC_ERR_STORE;
	}
	k->jws = strdup(jws);
	return k->jws ? HC_OK : HC_ERR_NOMEM;
}

/* The held code from the row's copy (b, n: the held column) when it is
 * the codes blob's held one k (the same jti, status, iat and exp: a copy
 * left behind by a revocation or a newer code is not), as the codes table
 * has it: k is listed, so it is not revoked (a revocation drops it from
 * the list in the same transaction). False: read the codes table. */
static bool held_copy(const void *b, size_t n, const struct rs_live *k,
		      const char p_key[REG_KEY_LEN + 1], struct reg_code *out)
{
	struct rs_held h;

	if (!b || !rs_held_decode(b, n, &h) || strcmp(h.k.jti, k->jti) != 0 || h.k.st != k->st ||
	    h.k.iat != k->iat || h.k.exp != k->exp || h.npolicy >= sizeof(out->policy) ||
	    h.nkid >= sizeof(out->kid) || !why_of(h.why, h.nwhy, out))
		return false;
	memcpy(out->jti, k->jti, sizeof(out->jti));
	memcpy(out->person, p_key, sizeof(out->person));
	out->st = (enum hc_status)k->st;
	memcpy(out->policy, h.policy, h.npolicy);
	out->policy[h.npolicy] = '\0';
	memcpy(out->kid, h.kid, h.nkid);
	out->kid[h.nkid] = '\0';
	out->iat = k->iat;
	out->exp = k->exp;
	out->revoked_at = 0;
	out->superseded_by[0] = '\0';
	if ((out->jws = malloc(h.njws + 1)) != NULL) {
		memcpy(out->jws, h.jws, h.njws);
		out->jws[h.njws] = '\0';
	}
	return out->jws != NULL;
}

/* One person's reads. Their row's statement stays active (stepped, not
 * reset) until the end, so that the held column is used where SQLite
 * keeps it (no copy) and, outside a transaction (reg_person_get), the
 * visits and the code are read in the read transaction the row opened:
 * one snapshot without BEGIN and COMMIT. */
static hc_err person_read(struct conn *c, const char *key, bool held, struct reg_person *p)
{
	sqlite3_stmt *s = rs_q(c, S_PERSON, "t", key), *q;
	struct rs_row w;
	hc_err err = HC_OK;
	long h = -1;
	const void *copy = NULL;  /* the held column's bytes, in s */
	size_t ncopy = 0;
	int rc;

	memset(&w, 0, sizeof(w));
	if (!s)
		return HC_ERR_STORE;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		hc_copy(p->key, sizeof(p->key), key);
		rs_copy_col(s, 0, p->name, sizeof(p->name));
		rs_copy_col(s, 1, p->id, sizeof(p->id));
		p->version = sqlite3_column_int64(s, 2);
		p->has_status = sqlite3_column_type(s, 3) != SQLITE_NULL;
		p->st = (enum hc_status)sqlite3_column_int(s, 3);
		err = rs_row_decode(&w, sqlite3_column_blob(s, 4), (size_t)sqlite3_column_bytes(s, 4),
				    sqlite3_column_blob(s, 5), (size_t)sqlite3_column_bytes(s, 5));
		if (err == HC_OK && held && sqlite3_column_type(s, 7) == SQLITE_BLOB &&
		    (copy = sqlite3_column_blob(s, 7)) != NULL)
			ncopy = (size_t)sqlite3_column_bytes(s, 7);
	} else if (rc == SQLITE_DONE) {
		hc_set_detail("person: not in the registry");
		err = HC_ERR_NOT_FOUND;
	} else {
		err = rs_dberr(c, "person");
	}
	if (err == HC_OK)
		err = inputs_json(c, key, &w, &p->inputs);
	if (err == HC_OK && held)
		h = rs_row_held(&w);
	if (h >= 0 && held_copy(copy, ncopy, &w.code[h], p->key, &p->held)) {
		p->has_held = true;
		h = -1;
	} else if (h >= 0) {
		free(p->held.jws);
		memset(&p->held, 0, sizeof(p->held));
	}
	if (h >= 0) {
		q = rs_q(c, S_CODE_FULL, "t", w.code[h].jti);
		rc = q ? sqlite3_step(q) : SQLITE_ERROR;
		if (rc == SQLITE_ROW) {
			p->has_held = true;
			err = code_row(q, &p->held);
		} else if (rc == SQLITE_DONE) {
			hc_set_detail("registry: code %s: listed by its person, not stored",
				      w.code[h].jti);
			err = HC_ERR_STORE;
		} else {
			err = q ? rs_dberr(c, "code") : HC_ERR_STORE;
		}
		rs_done(q);
	}
	rs_done(s);
	rs_row_free(&w);
	return err;
}

hc_err reg_person_get(struct reg *r, const char *key, struct reg_person *out)
{
	struct conn *c;
	hc_err err;

	memset(out, 0, sizeof(*out));
	if (!rs_is_b64u(key, REG_KEY_LEN)) {
		hc_set_detail("person: not a %d-character base64url key", REG_KEY_LEN);
		return HC_ERR_INVALID_ARG;
	}
	err = rs_read_get(r, &c);
	if (err != HC_OK)
		return err;
	/* no BEGIN: person_read's statements share the read transaction its
	 * first one opens (8% of a read's instructions went to BEGIN and
	 * COMMIT) */
	err = person_read(c, key, true, out);
	rs_read_put(r, c);
	if (err != HC_OK)
		reg_person_clear(out);
	return err;
}

hc_err reg_people_get(struct reg *r, const char *const *keys, size_t n, struct reg_person *out,
		      hc_err *errs)
{
	struct conn *c;
	hc_err err;

	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		errs[i] = HC_ERR_STORE;
	}
	err = rs_read_get(r, &c);
	if (err != HC_OK)
		return err;
	/* Many people (an events chunk: 1,000) read with the small cache: their
	 * leaves are read once each, and any commit empties the cache before
	 * the next read. In the warm 8 MB each page was malloc'd on its own,
	 * freed at that next read, and the freed heap (above the 2 MB trim
	 * threshold) went back to the kernel to be faulted in again: 1 MB holds
	 * the inner pages and recycles the leaves. */
	if (c->warm && n > 64)
		err = rs_conn_cache(c, false);
	if (err == HC_OK)
		err = rs_exec(c, S_BEGIN, "begin");
	for (size_t i = 0; err == HC_OK && i < n; i++) {
		if (!rs_is_b64u(keys[i], REG_KEY_LEN)) {
			errs[i] = HC_ERR_INVALID_ARG;
			continue;
		}
		errs[i] = person_read(c, keys[i], false, &out[i]);
		if (errs[i] != HC_OK)
			reg_person_clear(&out[i]);
		if (errs[i] != HC_OK && errs[i] != HC_ERR_NOT_FOUND)
			err = errs[i];
	}
	if (err == HC_OK)
		err = rs_exec(c, S_COMMIT, "commit");
	if (c->warm && n > 64 && rs_conn_cache(c, true) != HC_OK && err == HC_OK)
		err = HC_ERR_STORE;
	rs_read_put(r, c);
	return err;
}

void reg_person_clear(struct reg_person *p)
{
	if (!p)
		return;
	free(p->inputs);
	free(p->held.jws);
	memset(p, 0, sizeof(*p));
}
