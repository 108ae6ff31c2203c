/* hc_crypto.h: verification-side crypto (ES256 and SM2 verify, JWK,
 * thumbprint). */
#ifndef HC_CRYPTO_H
#define HC_CRYPTO_H

#include <cjson/cJSON.h>

#include "hc.h"

#define HC_KID_LEN 43 /* base64url of a SHA-256 thumbprint */
#define HC_SIG_LEN 64 /* ES256 or SM2 R||S */

/* The two signature algorithms. A key has one, fixed by its curve: ES256
 * (ECDSA P-256, SHA-256) or SM2 (GB/T 32918.2 over the SM2 curve, SM3,
 * the distinguishing ID HC_SM2_ID). */
enum hc_alg { HC_ALG_ES256 = 0, HC_ALG_SM2 };
#define HC_SM2_ID "1234567812345678"
#define HC_SM2_ID_LEN 16
/* "ES256" or "SM2": the JWS alg and the JWK alg. */
const char *hc_alg_name(enum hc_alg a);
/* "P-256" or "SM2": the JWK crv. */
const char *hc_alg_crv(enum hc_alg a);
/* HC_OK and *a for "ES256" or "SM2", HC_ERR_ALG for anything else. */
hc_err hc_alg_parse(const char *s, enum hc_alg *a) HC_WUR;

struct hc_pubkey; /* a P-256 or SM2 public key with its RFC 7638 kid */

/* From a JWK object: kty EC, crv P-256 or SM2, x and y of 32 bytes each,
 * the point on that curve. If the JWK has a kid it must equal the
 * thumbprint. Members alg (ES256 for P-256, SM2 for SM2) and use (sig) are
 * checked when present; other members are left to the caller. */
hc_err hc_pubkey_from_jwk(const cJSON *jwk, struct hc_pubkey **out) HC_WUR;
/* The checks before hc_pubkey_from_jwk of a key listed in signed trust
 * data (trust list, foreign data): an object (HC_ERR_JSON_TYPE), with a
 * kid string (HC_ERR_JSON_MISSING, detail "WHAT without kid"), and no
 * member outside members (hc_json_only). */
hc_err hc_jwk_listed(const cJSON *jwk, const char *const *members, const char *what) HC_WUR;
/* A P-256 key from its coordinates. */
hc_err hc_pubkey_from_xy(const uint8_t x[32], const uint8_t y[32],
			 struct hc_pubkey **out) HC_WUR;
/* A key of algorithm a (the curve of a) from its coordinates. */
hc_err hc_pubkey_from_xy_alg(enum hc_alg a, const uint8_t x[32], const uint8_t y[32],
			     struct hc_pubkey **out) HC_WUR;
void hc_pubkey_free(struct hc_pubkey *k);
const char *hc_pubkey_kid(const struct hc_pubkey *k);
enum hc_alg hc_pubkey_alg(const struct hc_pubkey *k);
/* The public JWK as a new cJSON object: kty, crv, x, y, kid, alg, use. */
hc_err hc_pubkey_jwk(const struct hc_pubkey *k, cJSON **out) HC_WUR;

/* RFC 7638 thumbprint of an EC P-256 key given its base64url x and y. */
hc_err hc_thumbprint(const char *x_b64, const char *y_b64, char out[HC_KID_LEN + 1]) HC_WUR;
/* The same for a key of algorithm a: crv is hc_alg_crv(a). */
hc_err hc_thumbprint_alg(enum hc_alg a, const char *x_b64, const char *y_b64,
			 char out[HC_KID_LEN + 1]) HC_WUR;

/* HC_OK when sig (R||S) is a valid ES256 signature of msg by k,
 * HC_ERR_BAD_SIG when it is not; HC_ERR_ALG when k is not a P-256 key. */
hc_err hc_es256_verify(const struct hc_pubkey *k, const uint8_t *msg, size_t n,
		       const uint8_t sig[HC_SIG_LEN]) HC_WUR;
/* HC_OK when sig (R||S) is a valid signature of msg by k in k's own
 * algorithm (ES256, or SM2 with SM3 and the ID HC_SM2_ID set on the
 * context), HC_ERR_BAD_SIG when it is not. */
hc_err hc_key_verify(const struct hc_pubkey *k, const uint8_t *msg, size_t n,
		     const uint8_t sig[HC_SIG_LEN]) HC_WUR;
/* As hc_key_verify, by k's table when it is already built
 * (hc_pubkey_table, below; this never builds it): the same verdict, in
 * about half the time. A service that verifies each code it signs builds
 * its key's table once at start. */
hc_err hc_key_verify_tab(const struct hc_pubkey *k, const uint8_t *msg, size_t n,
			 const uint8_t sig[HC_SIG_LEN]) HC_WUR;
/* For an SM2 key: e = SM3(Z || msg), the value an SM2 signature of msg
 * signs, Z the key's GB/T 32918.2 hash of HC_SM2_ID, the curve and the
 * point. hc_es256_verify_digest(s) take e for an SM2 key. HC_ERR_ALG for
 * a P-256 key. */
hc_err hc_sm2_digest(const struct hc_pubkey *k, const uint8_t *msg, size_t n,
		     uint8_t e[32]) HC_WUR;

/* A context for verifying many signatures by one key in one thread:
 * ES256 over a SHA-256 digest computed by the caller, or for an SM2 key
 * SM2 over the e of hc_sm2_digest; by the key's table when it has one. */
struct hc_verctx;
hc_err hc_verctx_new(const struct hc_pubkey *k, struct hc_verctx **out) HC_WUR;
/* table false: EVP_PKEY_verify only, the key's table not built. */
hc_err hc_verctx_new_ex(const struct hc_pubkey *k, bool table, struct hc_verctx **out) HC_WUR;
void hc_verctx_free(struct hc_verctx *v);
/* Like hc_es256_verify, given the SHA-256 of the message. */
hc_err hc_es256_verify_digest(struct hc_verctx *v, const uint8_t digest[32],
			      const uint8_t sig[HC_SIG_LEN]) HC_WUR;

/* Like hc_es256_verify_digest for n (at most HC_EC_BLOCK) signatures at
 * once: res[i] is HC_OK or HC_ERR_BAD_SIG, the verdict hc_es256_verify
 * gives. Returns HC_OK, or an error when the block could not be computed
 * (then res is undefined). */
#define HC_EC_BLOCK 64
hc_err hc_es256_verify_digests(struct hc_verctx *v, size_t n, const uint8_t (*digest)[32],
			       const uint8_t (*sig)[HC_SIG_LEN], hc_err *res) HC_WUR;

/* ES256 or SM2 over a precomputed table for one key (common/ecverify.c):
 * about 150 KB for P-256, 0.5 MB for SM2, read only once built, shared
 * between threads.
 * For SM2 the digest is e = SM3(Z || M) (hc_sm2_digest). hc_verctx_new
 * uses the key's table, built on its first use; the functions below are
 * for tests and benchmarks, which compare it with EVP_PKEY_verify. */
struct hc_ectab;
hc_err hc_ectab_new(const struct hc_pubkey *k, struct hc_ectab **out) HC_WUR;
void hc_ectab_free(struct hc_ectab *t);
/* k's shared table, built on the first call; NULL when it cannot be. */
const struct hc_ectab *hc_pubkey_table(const struct hc_pubkey *k);
/* As hc_es256_verify_digests, by the table alone. */
hc_err hc_ectab_verify(const struct hc_ectab *t, size_t n, const uint8_t (*digest)[32],
		       const uint8_t (*sig)[HC_SIG_LEN], hc_err *res) HC_WUR;
/* As hc_es256_verify_digest, by EVP_PKEY_verify alone. */
hc_err hc_es256_verify_digest_evp(struct hc_verctx *v, const uint8_t digest[32],
				  const uint8_t sig[HC_SIG_LEN]) HC_WUR;

hc_err hc_sha256(const uint8_t *in, size_t n, uint8_t out[32]) HC_WUR;
/* The same with a context kept by the caller (*ctx NULL at first, made
 * here; freed by hc_sha256_ctx_free): a hash of a short text costs no
 * allocation (the registry's audit entries, two or more a change). */
struct hc_sha256_ctx;
hc_err hc_sha256_with(struct hc_sha256_ctx **ctx, const uint8_t *in, size_t n,
		      uint8_t out[32]) HC_WUR;
void hc_sha256_ctx_free(struct hc_sha256_ctx *ctx);

/* ECDSA signature conversions between DER and 64-byte R||S. */
hc_err hc_sig_der_to_raw(const uint8_t *der, size_t n, uint8_t out[HC_SIG_LEN]) HC_WUR;
hc_err hc_sig_raw_to_der(const uint8_t raw[HC_SIG_LEN], uint8_t **der, size_t *n) HC_WUR;

#endif
