/* hc_sign.h: signing-side crypto. Never linked into hc-verify. */
#ifndef HC_SIGN_H
#define HC_SIGN_H

#include "hc_crypto.h"
#include "hc_token.h"

struct hc_privkey;

/* Generates a P-256 key and writes it as PEM PKCS#8 to path, created with
 * O_EXCL|O_NOFOLLOW and mode 0600 (HC_ERR_EXISTS if path exists). */
hc_err hc_privkey_generate(const char *path, struct hc_privkey **out) HC_WUR;
/* The same for a key of algorithm a (P-256 or SM2). */
hc_err hc_privkey_generate_alg(const char *path, enum hc_alg a, struct hc_privkey **out) HC_WUR;
/* Loads a PEM private key; refuses a file readable by group or others
 * (HC_ERR_KEY_PERM) and any key that is not P-256 or SM2. */
hc_err hc_privkey_load(const char *path, struct hc_privkey **out) HC_WUR;
void hc_privkey_free(struct hc_privkey *k);
/* The key id (RFC 7638 thumbprint) of the matching public key. */
const char *hc_privkey_kid(const struct hc_privkey *k);
enum hc_alg hc_privkey_alg(const struct hc_privkey *k);
/* The matching public key (caller frees). */
hc_err hc_privkey_public(const struct hc_privkey *k, struct hc_pubkey **out) HC_WUR;
/* ES256 over msg: raw r||s. Several threads may sign with one key: one at a
 * time reuses the key's signing context, the others set up their own. */
hc_err hc_es256_sign(struct hc_privkey *k, const uint8_t *msg, size_t n,
		     uint8_t sig[HC_SIG_LEN]) HC_WUR;
/* Signs msg in k's own algorithm: hc_es256_sign, or SM2 with SM3 and the
 * ID HC_SM2_ID set on the context. Raw r||s. */
hc_err hc_key_sign(struct hc_privkey *k, const uint8_t *msg, size_t n,
		   uint8_t sig[HC_SIG_LEN]) HC_WUR;
hc_err hc_random(uint8_t *buf, size_t n) HC_WUR;
/* The same bytes (RAND_bytes), drawn from a pool per thread that one call
 * of hc_random fills: cheaper for many small draws. For values that must
 * be unique and unguessable but are no secret (a code's jti, a request
 * id): the pool keeps the bytes not yet drawn. Each byte is handed out
 * once, in this process only (a child of fork(2) starts with an empty
 * pool). n larger than the pool (768 bytes) is a call of hc_random. */
hc_err hc_random_pooled(uint8_t *buf, size_t n) HC_WUR;

/* Signs payload as a compact JWS, header {"alg":ALG,"kid":..} (ALG the
 * key's: "ES256" or "SM2") plus
 * "zip":"DEF" (payload deflated first) when zip. Returns a malloc'd string. */
hc_err hc_jws_sign(struct hc_privkey *k, bool zip, const uint8_t *payload, size_t n,
		   char **out) HC_WUR;

/* Signs claims c as a health code (compact JWS, zip): sets c->jti to 16
 * fresh random bytes (base64url), signs, then parses and verifies the
 * result with pub and checks that it reads back as signed (HC_ERR_CRYPTO
 * otherwise). c->iss and the rest are the caller's. *jws malloc'd. */
hc_err hc_code_sign(struct hc_privkey *k, const struct hc_pubkey *pub, struct hc_claims *c,
		    char **jws) HC_WUR;

/* Builds a revocation-list payload (DESIGN 6):
 * {"iss":..,"seq":..,"iat":..,"revoked":[{"jti":..,"at":..},..]}, minified,
 * from entries, a JSON array whose elements are a jti string or an object
 * {"jti":..,"at":TIME} (TIME: integer seconds or an RFC 3339 / date string;
 * a missing at means iat). Each jti is 16 bytes of base64url. The entries
 * come out sorted by their decoded jti bytes; a jti given twice keeps its
 * earliest at. Returns a malloc'd NUL-terminated payload and the count. */
hc_err hc_revlist_build(const char *iss, int64_t seq, int64_t iat, const char *entries, size_t n,
			char **payload, size_t *count) HC_WUR;

/* Builds a snapshot payload (DESIGN 6a) over the trust tree TREE:
 * {"seq","iat","expires","files":{PATH:{"seq","sha256"}}} for
 * TREE/trustlist.jws and every TREE/revocations/NAME.jws: each file's seq
 * read from its payload, the SHA-256 of its bytes. Returns a malloc'd
 * payload and the number of files. */
hc_err hc_snapshot_build(const char *tree, int64_t seq, int64_t iat, int64_t expires,
			 char **payload, size_t *nfiles) HC_WUR;

#endif
