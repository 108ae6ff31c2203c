/* registry_sqlite_row.c: what a person's row holds besides its columns
 * (schema version 2), so that a change to a person rewrites one row:
 *
 *   inputs  every input the person holds but their visits (visit_inputs),
 *           in the order supplied; each
 *           entry: kind (1 byte, the index of rs_kind_index), at (8 bytes),
 *           the json's length (4 bytes), the source's (2), the cause's (2,
 *           0xffff: none), then the json, source and cause bytes. Numbers
 *           little-endian.
 *   codes   the person's codes that a status change may revoke or that
 *           may be the held one: every unrevoked code unexpired at the
 *           last change, and the newest expired unrevoked one; in the
 *           order issued; each entry 39 bytes: jti (22), status (1), iat
 *           (8), exp (8).
 *   held    (a column added after version 2, NULL until the person's next
 *           code) a copy of the held code as the codes table has it, so
 *           that a held code's answer reads one row: jti (22), status
 *           (1), iat (8), exp (8), the lengths of policy (2), kid (2), why
 *           (2: its JSON array) and jws (4), then their bytes. A copy, not
 *           the record: it is used only while the codes blob's held code
 *           is the same code (rs_held_decode's caller checks), so that a
 *           copy left behind by a revocation, a newer code or a program
 *           that does not know the column is never answered.
 *
 * A blob that does not parse exactly is refused as damaged. */
#include <stdlib.h>
#include <string.h>

#include "registry_sqlite.h"

#define IN_HEAD 17
#define CODE_LEN (REG_JTI_LEN + 17)
#define HELD_HEAD (CODE_LEN + 10)
#define NO_CAUSE 0xffff

static void put64(uint8_t *p, int64_t v)
{
	uint64_t u = (uint64_t)v;

	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(u >> (8 * i));
}

static int64_t get64(const uint8_t *p)
{
	uint64_t u = 0;

	for (int i = 0; i < 8; i++)
		u |= (uint64_t)p[i] << (8 * i);
	return (int64_t)u;
}

static size_t get_n(const uint8_t *p, int bytes)
{
	size_t n = 0;

	for (int i = 0; i < bytes; i++)
		n |= (size_t)p[i] << (8 * i);
	return n;
}

static void put_n(uint8_t *p, size_t n, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(n >> (8 * i));
}

static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *t;
	size_t c;

	if (n < *cap)
		return true;
	c = *cap ? 2 * *cap : 8;
	t = realloc(*v, c * size);
	if (!t)
		return false;
	*v = t;
	*cap = c;
	return true;
}

hc_err rs_row_add_input(struct rs_row *w, const struct rs_in *in)
{
	if (!grow((void **)&w->in, &w->capin, w->nin, sizeof(*w->in)))
		return HC_ERR_NOMEM;
	w->in[w->nin++] = *in;
	return HC_OK;
}

hc_err rs_row_add_code(struct rs_row *w, const struct rs_live *k)
{
	if (!grow((void **)&w->code, &w->capcode, w->ncode, sizeof(*w->code)))
		return HC_ERR_NOMEM;
	w->code[w->ncode++] = *k;
	return HC_OK;
}

static hc_err damaged(const char *what)
{
	hc_set_detail("registry: a person's stored %s are damaged", what);
	return HC_ERR_STORE;
}

hc_err rs_row_decode(struct rs_row *w, const void *inputs, size_t ni, const void *codes,
		     size_t nc)
{
	const uint8_t *p;
	size_t off = 0;

	memset(w, 0, sizeof(*w));
	if (ni) {
		w->blob = malloc(ni);
		if (!w->blob)
			return HC_ERR_NOMEM;
		memcpy(w->blob, inputs, ni);
	}
	p = w->blob;
	while (off < ni) {
		struct rs_in in;
		size_t nj, ns, nk;

		if (ni - off < IN_HEAD || p[off] >= RS_KINDS || p[off] == RS_KIND_VISITS)
			return damaged("inputs");
		in.kind = p[off];
		in.at = get64(p + off + 1);
		nj = get_n(p + off + 9, 4);
		ns = get_n(p + off + 13, 2);
		nk = get_n(p + off + 15, 2);
		off += IN_HEAD;
		if (nj == 0 || nj > ni - off || ns > ni - off - nj ||
		    (nk != NO_CAUSE && nk > ni - off - nj - ns))
			return damaged("inputs");
		in.json = (const char *)p + off;
		in.njson = nj;
		in.source = (const char *)p + off + nj;
		in.nsource = ns;
		in.cause = nk == NO_CAUSE ? NULL : (const char *)p + off + nj + ns;
		in.ncause = nk == NO_CAUSE ? 0 : nk;
		off += nj + ns + in.ncause;
		if (rs_row_add_input(w, &in) != HC_OK)
			return HC_ERR_NOMEM;
	}
	if (nc % CODE_LEN != 0)
		return damaged("codes");
	p = codes;
	for (off = 0; off < nc; off += CODE_LEN) {
		struct rs_live k;

		memcpy(k.jti, p + off, REG_JTI_LEN);
		k.jti[REG_JTI_LEN] = '\0';
		k.st = p[off + REG_JTI_LEN];
		k.iat = get64(p + off + REG_JTI_LEN + 1);
		k.exp = get64(p + off + REG_JTI_LEN + 9);
		if (k.st > HC_ST_RED || !rs_is_b64u(k.jti, REG_JTI_LEN))
			return damaged("codes");
		if (rs_row_add_code(w, &k) != HC_OK)
			return HC_ERR_NOMEM;
	}
	return HC_OK;
}

hc_err rs_row_encode(const struct rs_row *w, uint8_t **in, size_t *ni, uint8_t **codes,
		     size_t *nc)
{
	size_t n = 0, off = 0;
	uint8_t *p;

	*in = *codes = NULL;
	*ni = *nc = 0;
	for (size_t i = 0; i < w->nin; i++)
		n += IN_HEAD + w->in[i].njson + w->in[i].nsource + w->in[i].ncause;
	/* a zero-length blob still needs a pointer for SQLite (not NULL) */
	p = malloc(n ? n : 1);
	if (!p)
		return HC_ERR_NOMEM;
	for (size_t i = 0; i < w->nin; i++) {
		const struct rs_in *e = &w->in[i];

		p[off] = (uint8_t)e->kind;
		put64(p + off + 1, e->at);
		put_n(p + off + 9, e->njson, 4);
		put_n(p + off + 13, e->nsource, 2);
		put_n(p + off + 15, e->cause ? e->ncause : NO_CAUSE, 2);
		off += IN_HEAD;
		memcpy(p + off, e->json, e->njson);
		off += e->njson;
		if (e->nsource)
			memcpy(p + off, e->source, e->nsource);
		off += e->nsource;
		if (e->cause && e->ncause)
			memcpy(p + off, e->cause, e->ncause);
		off += e->ncause;
	}
	*in = p;
	*ni = n;
	p = malloc(w->ncode ? w->ncode * CODE_LEN : 1);
	if (!p) {
		free(*in);
		*in = NULL;
		return HC_ERR_NOMEM;
	}
	for (size_t i = 0; i < w->ncode; i++) {
		const struct rs_live *k = &w->code[i];

		memcpy(p + i * CODE_LEN, k->jti, REG_JTI_LEN);
		p[i * CODE_LEN + REG_JTI_LEN] = (uint8_t)k->st;
		put64(p + i * CODE_LEN + REG_JTI_LEN + 1, k->iat);
		put64(p + i * CODE_LEN + REG_JTI_LEN + 9, k->exp);
	}
	*codes = p;
	*nc = w->ncode * CODE_LEN;
	return HC_OK;
}

void rs_row_free(struct rs_row *w)
{
	free(w->in);
	free(w->code);
	free(w->blob);
	memset(w, 0, sizeof(*w));
}

/* The held code is the one issued last: the list's order (codes are
 * appended, a version 1 registry's listed by rowid), not the largest iat:
 * after the clock was stepped back, a code issued later has the earlier
 * iat, and the one before it would be held in its place until it
 * expired. */
long rs_row_held(const struct rs_row *w)
{
	return (long)w->ncode - 1;
}

bool rs_row_prune(struct rs_row *w, int64_t now)
{
	long keep = -1;
	size_t o = 0;

	for (size_t i = 0; i < w->ncode; i++)
		if (w->code[i].exp <= now)
			keep = (long)i; /* the last issued of the expired */
	for (size_t i = 0; i < w->ncode; i++)
		if (w->code[i].exp > now || (long)i == keep)
			w->code[o++] = w->code[i];
	if (o == w->ncode)
		return false;
	w->ncode = o;
	return true;
}

void rs_row_drop_code(struct rs_row *w, size_t i)
{
	memmove(&w->code[i], &w->code[i + 1], (w->ncode - i - 1) * sizeof(*w->code));
	w->ncode--;
}

void rs_row_drop_input(struct rs_row *w, size_t i)
{
	memmove(&w->in[i], &w->in[i + 1], (w->nin - i - 1) * sizeof(*w->in));
	w->nin--;
}

long rs_row_find_input(const struct rs_row *w, int kind, const char *json, size_t n)
{
	for (size_t i = 0; i < w->nin; i++)
		if (w->in[i].kind == kind && w->in[i].njson == n && memcmp(w->in[i].json, json, n) == 0)
			return (long)i;
	return -1;
}

hc_err rs_held_encode(const struct rs_held *h, uint8_t **out, size_t *n)
{
	uint8_t *p;
	size_t len;

	*out = NULL;
	*n = 0;
	if (h->npolicy > 0xffff || h->nkid > 0xffff || h->nwhy > 0xffff || h->njws > 0xffffffffu)
		return HC_ERR_INVALID_ARG;
	len = HELD_HEAD + h->npolicy + h->nkid + h->nwhy + h->njws;
	if (!(p = malloc(len)))
		return HC_ERR_NOMEM;
	memcpy(p, h->k.jti, REG_JTI_LEN);
	p[REG_JTI_LEN] = (uint8_t)h->k.st;
	put64(p + REG_JTI_LEN + 1, h->k.iat);
	put64(p + REG_JTI_LEN + 9, h->k.exp);
	put_n(p + CODE_LEN, h->npolicy, 2);
	put_n(p + CODE_LEN + 2, h->nkid, 2);
	put_n(p + CODE_LEN + 4, h->nwhy, 2);
	put_n(p + CODE_LEN + 6, h->njws, 4);
	len = HELD_HEAD;
	memcpy(p + len, h->policy, h->npolicy);
	len += h->npolicy;
	memcpy(p + len, h->kid, h->nkid);
	len += h->nkid;
	memcpy(p + len, h->why, h->nwhy);
	len += h->nwhy;
	memcpy(p + len, h->jws, h->njws);
	*out = p;
	*n = len + h->njws;
	return HC_OK;
}

bool rs_held_decode(const void *b, size_t n, struct rs_held *h)
{
	const uint8_t *p = b;
	size_t off = HELD_HEAD;

	memset(h, 0, sizeof(*h));
	if (!p || n < HELD_HEAD)
		return false;
	memcpy(h->k.jti, p, REG_JTI_LEN);
	h->k.jti[REG_JTI_LEN] = '\0';
	h->k.st = p[REG_JTI_LEN];
	h->k.iat = get64(p + REG_JTI_LEN + 1);
	h->k.exp = get64(p + REG_JTI_LEN + 9);
	h->npolicy = get_n(p + CODE_LEN, 2);
	h->nkid = get_n(p + CODE_LEN + 2, 2);
	h->nwhy = get_n(p + CODE_LEN + 4, 2);
	h->njws = get_n(p + CODE_LEN + 6, 4);
	if (h->npolicy + h->nkid + h->nwhy > n - off || h->njws != n - off - h->npolicy - h->nkid -
								       h->nwhy)
		return false;
	h->policy = (const char *)p + off;
	off += h->npolicy;
	h->kid = (const char *)p + off;
	off += h->nkid;
	h->why = (const char *)p + off;
	off += h->nwhy;
	h->jws = (const char *)p + off;
	return h->k.st <= HC_ST_RED && h->njws > 0 && rs_is_b64u(h->k.jti, REG_JTI_LEN);
}
