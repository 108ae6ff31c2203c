/* foreign.c: the foreign trust data (DIR/foreign.jws, doc/FORMATS.md):
 * the DCC signer certificates and the SMART Health Card issuers a
 * checkpoint accepts, signed by a pinned root. */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "foreign_int.h"
#include "hc_json.h"

enum hc_foreign_format hc_foreign_format_of(const char *text, size_t n)
{
	if (n >= 4 && memcmp(text, "HC1:", 4) == 0)
		return HC_FMT_DCC;
	if (n >= 5 && memcmp(text, "shc:/", 5) == 0)
		return HC_FMT_SHC;
	return HC_FMT_DOMESTIC;
}

void hc_foreign_free(struct hc_foreign *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->ncerts; i++)
		free((void *)f->certs[i].der);
	free(f->certs);
	for (size_t i = 0; i < f->nissuers; i++)
		for (size_t k = 0; k < f->issuers[i].nkeys; k++) {
			hc_pubkey_free(f->issuers[i].keys[k].k);
			free(f->issuers[i].keys[k].rids);
		}
	free(f->issuers);
	free(f);
}

static hc_err parse_cert(const cJSON *j, struct hc_dcc_cert *c)
{
	static const char *const members[] = {"country", "kid", "cert", NULL};
	const cJSON *cj = cJSON_GetObjectItemCaseSensitive(j, "cert");
	const unsigned char *p;
	uint8_t kid[8], h[32], *der = NULL, *k = NULL;
	char ks[16];
	size_t len, klen;
	X509 *x;
	hc_err err;

	if (!cJSON_IsObject(j))
		return HC_ERR_JSON_TYPE;
	if ((err = hc_json_only(j, members)) != HC_OK ||
	    (err = hc_json_str(j, "country", true, c->country, sizeof(c->country), NULL)) != HC_OK ||
	    (err = hc_json_str(j, "kid", true, ks, sizeof(ks), NULL)) != HC_OK)
		return err;
	if (!cJSON_IsString(cj)) {
		hc_set_detail("certificate without cert");
		return HC_ERR_JSON_MISSING;
	}
	if (strlen(c->country) != 2 || c->country[0] < 'A' || c->country[0] > 'Z' ||
	    c->country[1] < 'A' || c->country[1] > 'Z') {
		hc_set_detail("country \"%s\" is not two capital letters", c->country);
		return HC_ERR_TRUST_LIST;
	}
	if (hc_b64_decode(ks, strlen(ks), sizeof(kid) + 1, &k, &klen) != HC_OK || klen != 8) {
		free(k);
		hc_set_detail("kid \"%s\" is not 8 bytes in base64", ks);
		return HC_ERR_TRUST_LIST;
	}
	memcpy(kid, k, 8);
	free(k);
	if (hc_b64_decode(cj->valuestring, strlen(cj->valuestring), HC_MAX_DCC_CERT, &der, &len) !=
	    HC_OK) {
		hc_set_detail("certificate of %s (kid %s) is not base64 DER of at most %u bytes",
			      c->country, ks, HC_MAX_DCC_CERT);
		return HC_ERR_TRUST_LIST;
	}
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	X509_free(x);
	if (!x || p != der + len) {
		free(der);
		hc_set_detail("certificate of %s (kid %s) is not one X.509 certificate", c->country, ks);
		return HC_ERR_TRUST_LIST;
	}
	if ((err = hc_dcc_kid(der, len, h)) != HC_OK) {
		free(der);
		return err;
	}
	if (memcmp(h, kid, 8) != 0) {
		free(der);
		hc_set_detail("certificate of %s: kid %s is not the first 8 bytes of its SHA-256",
			      c->country, ks);
		return HC_ERR_TRUST_LIST;
	}
	memcpy(c->kid, kid, 8);
	c->der = der;
	c->der_len = len;
	return HC_OK;
}

static int rid_cmp(const void *a, const void *b)
{
	return strcmp(((const struct shc_rid *)a)->rid, ((const struct shc_rid *)b)->rid);
}

/* "RID" or "RID.TIMESTAMP": RID base64url, TIMESTAMP decimal seconds. */
static hc_err parse_rid(const cJSON *j, struct shc_rid *r)
{
	const char *s = cJSON_IsString(j) ? j->valuestring : NULL, *dot;
	size_t rl;

	memset(r, 0, sizeof(*r));
	if (!s) {
		hc_set_detail("a rid is not a string");
		return HC_ERR_TRUST_LIST;
	}
	dot = strchr(s, '.');
	rl = dot ? (size_t)(dot - s) : strlen(s);
	if (rl == 0 || rl > HC_SHC_RID_MAX ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != rl) {
		hc_set_detail("rid \"%.40s\" is not base64url of at most %u characters", s,
			      HC_SHC_RID_MAX);
		return HC_ERR_TRUST_LIST;
	}
	memcpy(r->rid, s, rl);
	if (dot) {
		const char *t = dot + 1;
		size_t tl = strlen(t);

		if (tl == 0 || tl > 15 || strspn(t, "0123456789") != tl || (t[0] == '0' && tl > 1)) {
			hc_set_detail("rid \"%.40s\": the timestamp is not decimal seconds", s);
			return HC_ERR_TRUST_LIST;
		}
		r->at = strtoll(t, NULL, 10);
		r->has_at = true;
	}
	return HC_OK;
}

static hc_err parse_crl(const cJSON *j, struct shc_issuer *is, size_t *total)
{
	static const char *const members[] = {"kid", "method", "ctr", "rids", NULL};
	const cJSON *rids, *rj;
	struct shc_key *k = NULL;
	char kid[HC_KID_LEN + 1], method[8];
	bool has_method;
	int64_t ctr;
	size_t n;
	hc_err err;

	if (!cJSON_IsObject(j))
		return HC_ERR_JSON_TYPE;
	if ((err = hc_json_only(j, members)) != HC_OK ||
	    (err = hc_json_str(j, "kid", true, kid, sizeof(kid), NULL)) != HC_OK ||
	    (err = hc_json_str(j, "method", false, method, sizeof(method), &has_method)) != HC_OK ||
	    (err = hc_json_int(j, "ctr", true, 1, INT64_MAX / 2, &ctr, NULL)) != HC_OK ||
	    (err = hc_json_arr(j, "rids", true, &rids)) != HC_OK)
		return err;
	if (has_method && strcmp(method, "rid") != 0) {
		hc_set_detail("crl method \"%s\" (only rid is known)", method);
		return HC_ERR_TRUST_LIST;
	}
	for (size_t i = 0; i < is->nkeys; i++)
		if (strcmp(hc_pubkey_kid(is->keys[i].k), kid) == 0)
			k = &is->keys[i];
	if (!k) {
		hc_set_detail("crl for %s, which is not a key of %.100s", kid, is->iss);
		return HC_ERR_TRUST_LIST;
	}
	if (k->crl_ctr) {
		hc_set_detail("two crls for key %s", kid);
		return HC_ERR_TRUST_LIST;
	}
	k->crl_ctr = ctr;
	n = (size_t)cJSON_GetArraySize(rids);
	if (n > HC_MAX_SHC_RIDS - *total) {
		hc_set_detail("more than %u rids", HC_MAX_SHC_RIDS);
		return HC_ERR_TOO_LARGE;
	}
	if (n == 0)
		return HC_OK;
	if (!(k->rids = calloc(n, sizeof(*k->rids))))
		return HC_ERR_NOMEM;
	cJSON_ArrayForEach(rj, rids)
	{
		if ((err = parse_rid(rj, &k->rids[k->nrids])) != HC_OK)
			return err;
		k->nrids++;
	}
	qsort(k->rids, k->nrids, sizeof(*k->rids), rid_cmp);
	for (size_t i = 1; i < k->nrids; i++)
		if (strcmp(k->rids[i - 1].rid, k->rids[i].rid) == 0) {
			hc_set_detail("rid %s listed twice for key %s", k->rids[i].rid, kid);
			return HC_ERR_TRUST_LIST;
		}
	*total += k->nrids;
	return HC_OK;
}

static hc_err parse_shc_key(const cJSON *j, struct shc_key *k)
{
	static const char *const members[] = {"kty", "crv", "x", "y", "kid", "alg", "use", NULL};
	hc_err err;

	if ((err = hc_jwk_listed(j, members, "SHC key")) != HC_OK ||
	    (err = hc_pubkey_from_jwk(j, &k->k)) != HC_OK)
		return err;
	if (hc_pubkey_alg(k->k) != HC_ALG_ES256) {
		hc_set_detail("SHC key %s is not a P-256 key", hc_pubkey_kid(k->k));
		return HC_ERR_TRUST_LIST;
	}
	return HC_OK;
}

static hc_err parse_issuer(const cJSON *j, struct shc_issuer *is, size_t *nrids)
{
	static const char *const members[] = {"iss", "name", "keys", "crls", NULL};
	const cJSON *keys, *crls, *kj;
	hc_err err;

	if (!cJSON_IsObject(j))
		return HC_ERR_JSON_TYPE;
	if ((err = hc_json_only(j, members)) != HC_OK ||
	    (err = hc_json_str(j, "iss", true, is->iss, sizeof(is->iss), NULL)) != HC_OK ||
	    (err = hc_json_str(j, "name", true, is->name, sizeof(is->name), NULL)) != HC_OK ||
	    (err = hc_json_arr(j, "keys", true, &keys)) != HC_OK ||
	    (err = hc_json_arr(j, "crls", false, &crls)) != HC_OK)
		return err;
	if ((err = hc_iss_check(is->iss)) != HC_OK)
		return err;
	cJSON_ArrayForEach(kj, keys)
	{
		if (is->nkeys == HC_MAX_SHC_KEYS) {
			hc_set_detail("more than %u keys for %.100s", HC_MAX_SHC_KEYS, is->iss);
			return HC_ERR_TOO_LARGE;
		}
		err = parse_shc_key(kj, &is->keys[is->nkeys]);
		if (is->keys[is->nkeys].k)
			is->nkeys++; /* counted once made so that it is freed */
		if (err != HC_OK)
			return err;
		for (size_t i = 0; i + 1 < is->nkeys; i++)
			if (strcmp(hc_pubkey_kid(is->keys[i].k),
				   hc_pubkey_kid(is->keys[is->nkeys - 1].k)) == 0) {
				hc_set_detail("key listed twice for %.100s", is->iss);
				return HC_ERR_TRUST_LIST;
			}
	}
	if (is->nkeys == 0) {
		hc_set_detail("SHC issuer %.100s has no keys", is->iss);
		return HC_ERR_TRUST_LIST;
	}
	cJSON_ArrayForEach(kj, crls)
	{
		if ((err = parse_crl(kj, is, nrids)) != HC_OK)
			return err;
	}
	return HC_OK;
}

static hc_err parse_all(const cJSON *root, struct hc_foreign *f)
{
	static const char *const members[] = {"seq", "iat", "dcc", "shc", NULL};
	const cJSON *dcc, *shc, *ej;
	size_t nc, ni;
	hc_err err;

	if ((err = hc_json_only(root, members)) != HC_OK ||
	    (err = hc_json_int(root, "seq", true, 1, INT64_MAX / 2, &f->seq, NULL)) != HC_OK ||
	    (err = hc_json_int(root, "iat", true, 0, INT64_MAX / 2, &f->iat, NULL)) != HC_OK ||
	    (err = hc_json_arr(root, "dcc", true, &dcc)) != HC_OK ||
	    (err = hc_json_arr(root, "shc", true, &shc)) != HC_OK)
		return err;
	nc = (size_t)cJSON_GetArraySize(dcc);
	ni = (size_t)cJSON_GetArraySize(shc);
	if (nc > HC_MAX_FOREIGN_CERTS || ni > HC_MAX_SHC_ISSUERS) {
		hc_set_detail("more than %u certificates or %u SHC issuers", HC_MAX_FOREIGN_CERTS,
			      HC_MAX_SHC_ISSUERS);
		return HC_ERR_TOO_LARGE;
	}
	if ((nc && !(f->certs = calloc(nc, sizeof(*f->certs)))) ||
	    (ni && !(f->issuers = calloc(ni, sizeof(*f->issuers)))))
		return HC_ERR_NOMEM;
	cJSON_ArrayForEach(ej, dcc)
	{
		struct hc_dcc_cert *c = &f->certs[f->ncerts];

		if ((err = parse_cert(ej, c)) != HC_OK)
			return err;
		f->ncerts++;
		for (size_t i = 0; i + 1 < f->ncerts; i++)
			if (f->certs[i].der_len == c->der_len &&
			    memcmp(f->certs[i].der, c->der, c->der_len) == 0) {
				hc_set_detail("certificate listed twice (%s)", c->country);
				return HC_ERR_TRUST_LIST;
			}
	}
	cJSON_ArrayForEach(ej, shc)
	{
		struct shc_issuer *is = &f->issuers[f->nissuers];

		err = parse_issuer(ej, is, &f->nrids);
		f->nissuers++; /* counted even on failure so its keys are freed */
		if (err != HC_OK)
			return err;
		f->nkeys += is->nkeys;
		for (size_t i = 0; i + 1 < f->nissuers; i++)
			if (strcmp(f->issuers[i].iss, is->iss) == 0) {
				hc_set_detail("SHC issuer %.100s listed twice", is->iss);
				return HC_ERR_TRUST_LIST;
			}
	}
	return HC_OK;
}

hc_err hc_foreign_parse(const uint8_t *p, size_t n, struct hc_foreign **out)
{
	struct hc_foreign *f;
	cJSON *root = NULL;
	hc_err err;

	*out = NULL;
	if (n > HC_MAX_FOREIGN_FILE)
		return HC_ERR_TOO_LARGE;
	if (!(f = calloc(1, sizeof(*f))))
		return HC_ERR_NOMEM;
	if ((err = hc_sha256(p, n, f->digest)) == HC_OK &&
	    (err = hc_json_parse((const char *)p, n, &root)) == HC_OK)
		err = parse_all(root, f);
	cJSON_Delete(root);
	if (err != HC_OK) {
		hc_foreign_free(f);
		return err;
	}
	*out = f;
	return HC_OK;
}

void hc_foreign_info(const struct hc_foreign *f, struct hc_foreign_info *o)
{
	memset(o, 0, sizeof(*o));
	o->seq = f->seq;
	o->iat = f->iat;
	o->ncerts = f->ncerts;
	o->nissuers = f->nissuers;
	o->nkeys = f->nkeys;
	o->nrids = f->nrids;
	memcpy(o->digest, f->digest, sizeof(o->digest));
}

const struct hc_dcc_cert *hc_foreign_certs(const struct hc_foreign *f, size_t *n)
{
	*n = f->ncerts;
	return f->certs;
}

const struct shc_issuer *hc__shc_issuer(const struct hc_foreign *f, const char *iss)
{
	for (size_t i = 0; i < f->nissuers; i++)
		if (strcmp(f->issuers[i].iss, iss) == 0)
			return &f->issuers[i];
	return NULL;
}
