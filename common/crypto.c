/* crypto.c: verification-side OpenSSL calls: P-256 public keys, JWK,
 * RFC 7638 thumbprints, ES256 verify, R||S <-> DER. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto_int.h"
#include "hc_json.h"

void hc_pubkey_free(struct hc_pubkey *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	if (k->tab)
		hc_ectab_free(atomic_load(&k->tab->t));
	free(k->tab);
	free(k);
}

const char *hc_pubkey_kid(const struct hc_pubkey *k)
{
	return k->kid;
}

/* Fetched once: EVP_sha256() makes every EVP_Digest look the algorithm up
 * in the provider tables again, a third of hashing a token. Kept for the
 * life of the process. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

hc_err hc_sha256(const uint8_t *in, size_t n, uint8_t out[32])
{
	if (pthread_once(&sha256_once, sha256_fetch) != 0 || !sha256_md ||
	    EVP_Digest(in, n, out, NULL, sha256_md, NULL) != 1) {
		ERR_clear_error();
		return HC_ERR_CRYPTO;
	}
	return HC_OK;
}

hc_err hc_thumbprint(const char *x, const char *y, char out[HC_KID_LEN + 1])
{
	char buf[160];
	uint8_t h[32];
	int r;
	hc_err err;

	/* RFC 7638: required members only, lexicographic order, no spaces. */
	r = snprintf(buf, sizeof(buf), "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		     x, y);
	if (r < 0 || (size_t)r >= sizeof(buf))
		return HC_ERR_JWK;
	if ((err = hc_sha256((const uint8_t *)buf, (size_t)r, h)) != HC_OK)
		return err;
	return hc_b64u_encode(h, sizeof(h), out, HC_KID_LEN + 1);
}

hc_err hc__pubkey_wrap(EVP_PKEY *pkey, struct hc_pubkey **out)
{
	struct hc_pubkey *k = NULL;
	uint8_t pt[65];
	size_t ptlen = 0;
	hc_err err = HC_ERR_JWK;

	if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt),
					    &ptlen) != 1 ||
	    ptlen != 65 || pt[0] != 0x04)
		goto out;
	if (!(k = calloc(1, sizeof(*k))) || !(k->tab = calloc(1, sizeof(*k->tab)))) {
		err = HC_ERR_NOMEM;
		goto out;
	}
	memcpy(k->x, pt + 1, 32);
	memcpy(k->y, pt + 33, 32);
	if (hc_b64u_encode(k->x, 32, k->xb, sizeof(k->xb)) != HC_OK ||
	    hc_b64u_encode(k->y, 32, k->yb, sizeof(k->yb)) != HC_OK ||
	    hc_thumbprint(k->xb, k->yb, k->kid) != HC_OK)
		goto out;
	k->pkey = pkey;
	*out = k;
	return HC_OK;
out:
	ERR_clear_error();
	if (k)
		free(k->tab);
	free(k);
	return err;
}

hc_err hc_pubkey_from_xy(const uint8_t x[32], const uint8_t y[32], struct hc_pubkey **out)
{
	EVP_PKEY_CTX *ctx = NULL, *chk = NULL;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM params[3];
	uint8_t pt[65];
	hc_err err = HC_ERR_JWK;

	*out = NULL;
	pt[0] = 0x04;
	memcpy(pt + 1, x, 32);
	memcpy(pt + 33, y, 32);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt));
	params[2] = OSSL_PARAM_construct_end();
	if (!(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	/* fromdata does not promise a point check; do it explicitly. */
	if (!(chk = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) || EVP_PKEY_public_check(chk) != 1)
		goto out;
	if ((err = hc__pubkey_wrap(pkey, out)) == HC_OK)
		pkey = NULL;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(chk);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return err;
}

static hc_err coord(const cJSON *jwk, const char *name, uint8_t out[32])
{
	char b[64];
	size_t n;

	if (hc_json_str(jwk, name, true, b, sizeof(b), NULL) != HC_OK ||
	    hc_b64u_decode(b, strlen(b), out, 32, &n) != HC_OK || n != 32) {
		hc_set_detail("JWK member \"%s\" is not 32 bytes of base64url", name);
		return HC_ERR_JWK;
	}
	return HC_OK;
}

hc_err hc_pubkey_from_jwk(const cJSON *jwk, struct hc_pubkey **out)
{
	char kty[8], crv[8], alg[8], use[8], kid[64];
	bool has_alg, has_use, has_kid;
	uint8_t x[32], y[32];
	hc_err err;

	*out = NULL;
	if (!cJSON_IsObject(jwk))
		return HC_ERR_JWK;
	if (hc_json_str(jwk, "kty", true, kty, sizeof(kty), NULL) != HC_OK || strcmp(kty, "EC") != 0 ||
	    hc_json_str(jwk, "crv", true, crv, sizeof(crv), NULL) != HC_OK ||
	    strcmp(crv, "P-256") != 0) {
		hc_set_detail("JWK is not kty EC, crv P-256");
		return HC_ERR_JWK;
	}
	if (hc_json_str(jwk, "alg", false, alg, sizeof(alg), &has_alg) != HC_OK ||
	    (has_alg && strcmp(alg, "ES256") != 0) ||
	    hc_json_str(jwk, "use", false, use, sizeof(use), &has_use) != HC_OK ||
	    (has_use && strcmp(use, "sig") != 0) ||
	    hc_json_str(jwk, "kid", false, kid, sizeof(kid), &has_kid) != HC_OK) {
		hc_set_detail("JWK alg, use or kid is not as required");
		return HC_ERR_JWK;
	}
	if ((err = coord(jwk, "x", x)) != HC_OK || (err = coord(jwk, "y", y)) != HC_OK)
		return err;
	if ((err = hc_pubkey_from_xy(x, y, out)) != HC_OK) {
		hc_set_detail("JWK point is not on P-256");
		return err;
	}
	if (has_kid && strcmp(kid, (*out)->kid) != 0) {
		hc_set_detail("JWK kid is not its RFC 7638 thumbprint");
		hc_pubkey_free(*out);
		*out = NULL;
		return HC_ERR_JWK;
	}
	return HC_OK;
}

hc_err hc_pubkey_jwk(const struct hc_pubkey *k, cJSON **out)
{
	cJSON *o = cJSON_CreateObject();

	*out = NULL;
	if (!o || !cJSON_AddStringToObject(o, "kty", "EC") ||
	    !cJSON_AddStringToObject(o, "crv", "P-256") || !cJSON_AddStringToObject(o, "x", k->xb) ||
	    !cJSON_AddStringToObject(o, "y", k->yb) || !cJSON_AddStringToObject(o, "kid", k->kid) ||
	    !cJSON_AddStringToObject(o, "alg", "ES256") || !cJSON_AddStringToObject(o, "use", "sig")) {
		cJSON_Delete(o);
		return HC_ERR_NOMEM;
	}
	*out = o;
	return HC_OK;
}

hc_err hc_sig_raw_to_der(const uint8_t raw[HC_SIG_LEN], uint8_t **der, size_t *n)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
	unsigned char *p = NULL;
	int len;
	hc_err err = HC_ERR_NOMEM;

	*der = NULL;
	*n = 0;
	if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by sig now */
	if ((len = i2d_ECDSA_SIG(sig, &p)) <= 0)
		goto out;
	*der = p;
	*n = (size_t)len;
	err = HC_OK;
out:
	ERR_clear_error();
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return err;
}

hc_err hc_sig_der_to_raw(const uint8_t *der, size_t n, uint8_t out[HC_SIG_LEN])
{
	const unsigned char *p = der;
	ECDSA_SIG *sig;
	const BIGNUM *r, *s;
	hc_err err = HC_ERR_CRYPTO;

	if (n > 80 || !(sig = d2i_ECDSA_SIG(NULL, &p, (long)n))) {
		ERR_clear_error();
		return HC_ERR_CRYPTO;
	}
	ECDSA_SIG_get0(sig, &r, &s);
	/* Exact-length DER only, and both values fit 32 bytes. */
	if (p == der + n && BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(s, out + 32, 32) == 32)
		err = HC_OK;
	ECDSA_SIG_free(sig);
	ERR_clear_error();
	return err;
}

hc_err hc_es256_verify(const struct hc_pubkey *k, const uint8_t *msg, size_t n,
		       const uint8_t sig[HC_SIG_LEN])
{
	EVP_MD_CTX *md = NULL;
	uint8_t *der = NULL;
	size_t dlen;
	hc_err err;
	int r;

	if ((err = hc_sig_raw_to_der(sig, &der, &dlen)) != HC_OK)
		return err;
	err = HC_ERR_NOMEM;
	if (!(md = EVP_MD_CTX_new()))
		goto out;
	err = HC_ERR_CRYPTO;
	if (EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, k->pkey, NULL) != 1)
		goto out;
	r = EVP_DigestVerify(md, der, dlen, msg, n);
	err = r == 1 ? HC_OK : HC_ERR_BAD_SIG;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return err;
}

struct hc_verctx {
	EVP_PKEY_CTX *ctx;
	const struct hc_ectab *tab; /* NULL: EVP_PKEY_verify only */
};

hc_err hc_verctx_new(const struct hc_pubkey *k, struct hc_verctx **out)
{
	return hc_verctx_new_ex(k, true, out);
}

hc_err hc_verctx_new_ex(const struct hc_pubkey *k, bool table, struct hc_verctx **out)
{
	struct hc_verctx *v;

	*out = NULL;
	if (!(v = calloc(1, sizeof(*v))))
		return HC_ERR_NOMEM;
	if (!(v->ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL)) ||
	    EVP_PKEY_verify_init(v->ctx) != 1) {
		ERR_clear_error();
		hc_verctx_free(v);
		return HC_ERR_CRYPTO;
	}
	v->tab = table ? hc_pubkey_table(k) : NULL;
	*out = v;
	return HC_OK;
}

void hc_verctx_free(struct hc_verctx *v)
{
	if (!v)
		return;
	EVP_PKEY_CTX_free(v->ctx);
	free(v);
}

hc_err hc_es256_verify_digest_evp(struct hc_verctx *v, const uint8_t digest[32],
				  const uint8_t sig[HC_SIG_LEN])
{
	uint8_t *der = NULL;
	size_t dlen;
	hc_err err;

	if ((err = hc_sig_raw_to_der(sig, &der, &dlen)) != HC_OK)
		return err;
	err = EVP_PKEY_verify(v->ctx, der, dlen, digest, 32) == 1 ? HC_OK : HC_ERR_BAD_SIG;
	ERR_clear_error();
	OPENSSL_free(der);
	return err;
}

/* The one verdict for every caller: the key's table when it has one,
 * EVP_PKEY_verify when it has none or the table's computation could not
 * be done (out of memory): the same answer either way. */
hc_err hc_es256_verify_digests(struct hc_verctx *v, size_t n, const uint8_t (*digest)[32],
			       const uint8_t (*sig)[HC_SIG_LEN], hc_err *res)
{
	hc_err err;

	if (n > HC_EC_BLOCK)
		return HC_ERR_INVALID_ARG;
	if (v->tab && hc_ectab_verify(v->tab, n, digest, sig, res) == HC_OK)
		return HC_OK;
	for (size_t i = 0; i < n; i++) {
		err = hc_es256_verify_digest_evp(v, digest[i], sig[i]);
		if (err != HC_OK && err != HC_ERR_BAD_SIG)
			return err;
		res[i] = err;
	}
	return HC_OK;
}

hc_err hc_es256_verify_digest(struct hc_verctx *v, const uint8_t digest[32],
			      const uint8_t sig[HC_SIG_LEN])
{
	hc_err res, err;

	if ((err = hc_es256_verify_digests(v, 1, (const uint8_t(*)[32])digest,
					   (const uint8_t(*)[HC_SIG_LEN])sig, &res)) != HC_OK)
		return err;
	return res;
}
