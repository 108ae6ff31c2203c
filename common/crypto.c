/* crypto.c: verification-side OpenSSL calls: P-256 and SM2 public keys,
 * JWK, RFC 7638 thumbprints, ES256 and SM2 verify, R||S <-> DER. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
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

enum hc_alg hc_pubkey_alg(const struct hc_pubkey *k)
{
	return k->alg;
}

const char *hc_alg_name(enum hc_alg a)
{
	return a == HC_ALG_SM2 ? "SM2" : "ES256";
}

const char *hc_alg_crv(enum hc_alg a)
{
	return a == HC_ALG_SM2 ? "SM2" : "P-256";
}

hc_err hc_alg_parse(const char *s, enum hc_alg *a)
{
	if (strcmp(s, "ES256") == 0)
		*a = HC_ALG_ES256;
	else if (strcmp(s, "SM2") == 0)
		*a = HC_ALG_SM2;
	else
		return HC_ERR_ALG;
	return HC_OK;
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

/* An EVP_MD_CTX under its own name, so that no header needs OpenSSL's. */
struct hc_sha256_ctx {
	EVP_MD_CTX *md;
};

hc_err hc_sha256_with(struct hc_sha256_ctx **ctx, const uint8_t *in, size_t n,
		      uint8_t out[32])
{
	struct hc_sha256_ctx *c = *ctx;
	unsigned int len = 0;

	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return HC_ERR_NOMEM;
		if (!(c->md = EVP_MD_CTX_new())) {
			free(c);
			return HC_ERR_NOMEM;
		}
		*ctx = c;
	}
	/* A context initialised again for the same digest keeps its state's
	 * memory (OpenSSL 3). */
	if (pthread_once(&sha256_once, sha256_fetch) != 0 || !sha256_md ||
	    EVP_DigestInit_ex2(c->md, sha256_md, NULL) != 1 ||
	    EVP_DigestUpdate(c->md, in, n) != 1 || EVP_DigestFinal_ex(c->md, out, &len) != 1 ||
	    len != 32) {
		ERR_clear_error();
		return HC_ERR_CRYPTO;
	}
	return HC_OK;
}

void hc_sha256_ctx_free(struct hc_sha256_ctx *ctx)
{
	if (!ctx)
		return;
	EVP_MD_CTX_free(ctx->md);
	free(ctx);
}

hc_err hc_thumbprint(const char *x, const char *y, char out[HC_KID_LEN + 1])
{
	return hc_thumbprint_alg(HC_ALG_ES256, x, y, out);
}

hc_err hc_thumbprint_alg(enum hc_alg a, const char *x, const char *y, char out[HC_KID_LEN + 1])
{
	char buf[160];
	uint8_t h[32];
	int r;
	hc_err err;

	/* RFC 7638: required members only, lexicographic order, no spaces. */
	r = snprintf(buf, sizeof(buf), "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		     hc_alg_crv(a), x, y);
	if (r < 0 || (size_t)r >= sizeof(buf))
		return HC_ERR_JWK;
	if ((err = hc_sha256((const uint8_t *)buf, (size_t)r, h)) != HC_OK)
		return err;
	return hc_b64u_encode(h, sizeof(h), out, HC_KID_LEN + 1);
}

/* Fetched once, like SHA-256. */
static EVP_MD *sm3_md;
static pthread_once_t sm3_once = PTHREAD_ONCE_INIT;

static void sm3_fetch(void)
{
	sm3_md = EVP_MD_fetch(NULL, "SM3", NULL);
}

static const EVP_MD *sm3(void)
{
	return pthread_once(&sm3_once, sm3_fetch) == 0 ? sm3_md : NULL;
}

/* GB/T 32918.2 Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA),
 * ENTL the ID's length in bits as two bytes big-endian. */
static hc_err sm2_z(const uint8_t x[32], const uint8_t y[32], uint8_t z[32])
{
	uint8_t buf[2 + HC_SM2_ID_LEN + 6 * 32];
	EC_GROUP *g = NULL;
	BIGNUM *a = BN_new(), *b = BN_new(), *gx = BN_new(), *gy = BN_new();
	uint8_t *p = buf;
	hc_err err = HC_ERR_CRYPTO;

	*p++ = (uint8_t)((HC_SM2_ID_LEN * 8) >> 8);
	*p++ = (uint8_t)(HC_SM2_ID_LEN * 8);
	memcpy(p, HC_SM2_ID, HC_SM2_ID_LEN);
	p += HC_SM2_ID_LEN;
	if (!a || !b || !gx || !gy || !sm3() || !(g = EC_GROUP_new_by_curve_name(NID_sm2)) ||
	    EC_GROUP_get_curve(g, NULL, a, b, NULL) != 1 ||
	    EC_POINT_get_affine_coordinates(g, EC_GROUP_get0_generator(g), gx, gy, NULL) != 1 ||
	    BN_bn2binpad(a, p, 32) != 32 || BN_bn2binpad(b, p + 32, 32) != 32 ||
	    BN_bn2binpad(gx, p + 64, 32) != 32 || BN_bn2binpad(gy, p + 96, 32) != 32)
		goto out;
	memcpy(p + 128, x, 32);
	memcpy(p + 160, y, 32);
	if (EVP_Digest(buf, sizeof(buf), z, NULL, sm3(), NULL) == 1)
		err = HC_OK;
out:
	ERR_clear_error();
	EC_GROUP_free(g);
	BN_free(a);
	BN_free(b);
	BN_free(gx);
	BN_free(gy);
	return err;
}

hc_err hc_sm2_digest(const struct hc_pubkey *k, const uint8_t *msg, size_t n, uint8_t e[32])
{
	EVP_MD_CTX *md;
	hc_err err = HC_ERR_CRYPTO;

	if (k->alg != HC_ALG_SM2)
		return HC_ERR_ALG;
	if (!sm3() || !(md = EVP_MD_CTX_new()))
		return HC_ERR_NOMEM;
	if (EVP_DigestInit_ex(md, sm3(), NULL) == 1 && EVP_DigestUpdate(md, k->z, 32) == 1 &&
	    EVP_DigestUpdate(md, msg, n) == 1 && EVP_DigestFinal_ex(md, e, NULL) == 1)
		err = HC_OK;
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	return err;
}

hc_err hc__sm2_md_init(EVP_MD_CTX *md, EVP_PKEY *pkey, bool sign)
{
	EVP_PKEY_CTX *pc;
	int r;

	/* The ID on the context, never OpenSSL's default: the context goes
	 * into md first, so DigestSign/VerifyInit computes Z with it. */
	if (!(pc = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)))
		return HC_ERR_NOMEM;
	if (EVP_PKEY_CTX_set1_id(pc, HC_SM2_ID, HC_SM2_ID_LEN) != 1) {
		EVP_PKEY_CTX_free(pc);
		return HC_ERR_CRYPTO;
	}
	EVP_MD_CTX_set_pkey_ctx(md, pc); /* md does not own pc: freed below */
	r = sign ? EVP_DigestSignInit_ex(md, NULL, "SM3", NULL, NULL, pkey, NULL)
		 : EVP_DigestVerifyInit_ex(md, NULL, "SM3", NULL, NULL, pkey, NULL);
	if (r != 1) {
		EVP_MD_CTX_set_pkey_ctx(md, NULL);
		EVP_PKEY_CTX_free(pc);
		return HC_ERR_CRYPTO;
	}
	return HC_OK;
}

hc_err hc__pubkey_wrap(EVP_PKEY *pkey, enum hc_alg a, struct hc_pubkey **out)
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
	k->alg = a;
	memcpy(k->x, pt + 1, 32);
	memcpy(k->y, pt + 33, 32);
	if (hc_b64u_encode(k->x, 32, k->xb, sizeof(k->xb)) != HC_OK ||
	    hc_b64u_encode(k->y, 32, k->yb, sizeof(k->yb)) != HC_OK ||
	    hc_thumbprint_alg(a, k->xb, k->yb, k->kid) != HC_OK ||
	    (a == HC_ALG_SM2 && sm2_z(k->x, k->y, k->z) != HC_OK))
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
	return hc_pubkey_from_xy_alg(HC_ALG_ES256, x, y, out);
}

hc_err hc_pubkey_from_xy_alg(enum hc_alg a, const uint8_t x[32], const uint8_t y[32],
			     struct hc_pubkey **out)
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
	/* OpenSSL 3.0 keeps SM2 keys apart from EC ones: key type SM2. */
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)(a == HC_ALG_SM2 ? "SM2" : "P-256"), 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt));
	params[2] = OSSL_PARAM_construct_end();
	if (!(ctx = EVP_PKEY_CTX_new_from_name(NULL, a == HC_ALG_SM2 ? "SM2" : "EC", NULL)) ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	/* fromdata does not promise a point check; do it explicitly. */
	if (!(chk = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) || EVP_PKEY_public_check(chk) != 1)
		goto out;
	if ((err = hc__pubkey_wrap(pkey, a, out)) == HC_OK)
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
	enum hc_alg a;
	hc_err err;

	*out = NULL;
	if (!cJSON_IsObject(jwk))
		return HC_ERR_JWK;
	if (hc_json_str(jwk, "kty", true, kty, sizeof(kty), NULL) != HC_OK || strcmp(kty, "EC") != 0 ||
	    hc_json_str(jwk, "crv", true, crv, sizeof(crv), NULL) != HC_OK ||
	    (strcmp(crv, "P-256") != 0 && strcmp(crv, "SM2") != 0)) {
		hc_set_detail("JWK is not kty EC, crv P-256 or SM2");
		return HC_ERR_JWK;
	}
	a = strcmp(crv, "SM2") == 0 ? HC_ALG_SM2 : HC_ALG_ES256;
	/* A key's alg is its curve's: "SM2" on a P-256 key is no key. */
	if (hc_json_str(jwk, "alg", false, alg, sizeof(alg), &has_alg) != HC_OK ||
	    (has_alg && strcmp(alg, hc_alg_name(a)) != 0) ||
	    hc_json_str(jwk, "use", false, use, sizeof(use), &has_use) != HC_OK ||
	    (has_use && strcmp(use, "sig") != 0) ||
	    hc_json_str(jwk, "kid", false, kid, sizeof(kid), &has_kid) != HC_OK) {
		hc_set_detail("JWK alg, use or kid is not as required");
		return HC_ERR_JWK;
	}
	if ((err = coord(jwk, "x", x)) != HC_OK || (err = coord(jwk, "y", y)) != HC_OK)
		return err;
	if ((err = hc_pubkey_from_xy_alg(a, x, y, out)) != HC_OK) {
		hc_set_detail("JWK point is not on %s", hc_alg_crv(a));
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

hc_err hc_jwk_listed(const cJSON *jwk, const char *const *members, const char *what)
{
	if (!cJSON_IsObject(jwk))
		return HC_ERR_JSON_TYPE;
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(jwk, "kid"))) {
		hc_set_detail("%s without kid", what);
		return HC_ERR_JSON_MISSING;
	}
	return hc_json_only(jwk, members);
}

hc_err hc_pubkey_jwk(const struct hc_pubkey *k, cJSON **out)
{
	cJSON *o = cJSON_CreateObject();

	*out = NULL;
	if (!o || !cJSON_AddStringToObject(o, "kty", "EC") ||
	    !cJSON_AddStringToObject(o, "crv", hc_alg_crv(k->alg)) ||
	    !cJSON_AddStringToObject(o, "x", k->xb) || !cJSON_AddStringToObject(o, "y", k->yb) ||
	    !cJSON_AddStringToObject(o, "kid", k->kid) ||
	    !cJSON_AddStringToObject(o, "alg", hc_alg_name(k->alg)) ||
	    !cJSON_AddStringToObject(o, "use", "sig")) {
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

	if (k->alg != HC_ALG_ES256) {
		hc_set_detail("ES256 over an SM2 key");
		return HC_ERR_ALG;
	}
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

static hc_err sm2_verify(const struct hc_pubkey *k, const uint8_t *msg, size_t n,
			 const uint8_t sig[HC_SIG_LEN])
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pc;
	uint8_t *der = NULL;
	size_t dlen;
	hc_err err;

	if ((err = hc_sig_raw_to_der(sig, &der, &dlen)) != HC_OK)
		return err;
	if (!(md = EVP_MD_CTX_new())) {
		err = HC_ERR_NOMEM;
		goto out;
	}
	if ((err = hc__sm2_md_init(md, k->pkey, false)) != HC_OK)
		goto out;
	/* r and s in [1, n-1] and the rest: OpenSSL's SM2 verify checks them. */
	err = EVP_DigestVerify(md, der, dlen, msg, n) == 1 ? HC_OK : HC_ERR_BAD_SIG;
out:
	ERR_clear_error();
	pc = md ? EVP_MD_CTX_get_pkey_ctx(md) : NULL;
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(pc);
	OPENSSL_free(der);
	return err;
}

hc_err hc_key_verify(const struct hc_pubkey *k, const uint8_t *msg, size_t n,
		     const uint8_t sig[HC_SIG_LEN])
{
	return k->alg == HC_ALG_SM2 ? sm2_verify(k, msg, n, sig) : hc_es256_verify(k, msg, n, sig);
}

hc_err hc_key_verify_tab(const struct hc_pubkey *k, const uint8_t *msg, size_t n,
			 const uint8_t sig[HC_SIG_LEN])
{
	const struct hc_ectab *t = hc__pubkey_table_built(k);
	uint8_t e[32];
	hc_err res;

	/* ES256 over SHA-256(msg), SM2 over e = SM3(Z || msg); EVP when the
	 * table's computation cannot be done (out of memory) */
	if (t && (k->alg == HC_ALG_SM2 ? hc_sm2_digest(k, msg, n, e) : hc_sha256(msg, n, e)) == HC_OK &&
	    hc_ectab_verify(t, 1, (const uint8_t(*)[32])e, (const uint8_t(*)[HC_SIG_LEN])sig, &res) ==
		    HC_OK)
		return res;
	return hc_key_verify(k, msg, n, sig);
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
