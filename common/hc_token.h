/* hc_token.h: the health-code token: QR framing, compact JWS, claims. */
#ifndef HC_TOKEN_H
#define HC_TOKEN_H

#include "hc_crypto.h"

#define HC_QR_PREFIX "hc:/"

/* ---- QR framing (DESIGN 4) ---- */
/* Decodes "PREFIX" + digit pairs into the token characters (each pair
 * d -> d + 45, d <= 77). tok receives a NUL-terminated string. */
hc_err hc_qr_decode(const char *prefix, const char *text, size_t n, char *tok, size_t toksz,
		    size_t *toklen) HC_WUR;
/* Encodes a token as PREFIX + digits into out (needs strlen(prefix) +
 * 2 * n + 1 bytes). Every token character must be in '-'..'z'. */
hc_err hc_qr_encode(const char *prefix, const char *tok, size_t n, char *out,
		    size_t outsz) HC_WUR;

/* ---- compact JWS ---- */
struct hc_jws {
	enum hc_alg alg;     /* the header's: ES256 or SM2 */
	char kid[HC_KID_LEN + 1];
	size_t signing_len;  /* bytes of "header.payload" at the start of the input */
	uint8_t sig[HC_SIG_LEN];
	uint8_t *payload;    /* decoded and, for zip, inflated; NUL-terminated */
	size_t payload_len;
};
/* Parses a compact JWS of at most max bytes. The header must be exactly
 * alg (ES256 or SM2), kid (a 43-character thumbprint) and, when zip is true,
 * "zip":"DEF" (when false, no zip member). Unknown members, "crit", or
 * another alg are refused: HC_ERR_HEADER / HC_ERR_ALG. The payload is
 * inflated under payload_cap when zip. No signature is checked here. */
hc_err hc_jws_parse(const char *s, size_t n, size_t max, bool zip, size_t payload_cap,
		    struct hc_jws *out) HC_WUR;
void hc_jws_clear(struct hc_jws *j);
/* Verifies j's signature over the first j->signing_len bytes of s:
 * HC_ERR_ALG when j's alg is not k's (ES256 for P-256, SM2 for SM2). */
hc_err hc_jws_verify(const struct hc_jws *j, const char *s, const struct hc_pubkey *k) HC_WUR;
/* The same by k's table when it is built (hc_key_verify_tab). */
hc_err hc_jws_verify_tab(const struct hc_jws *j, const char *s, const struct hc_pubkey *k) HC_WUR;

/* ---- claims (DESIGN 3) ---- */
enum hc_status { HC_ST_GREEN = 0, HC_ST_YELLOW, HC_ST_RED };
const char *hc_status_name(enum hc_status st);
hc_err hc_status_parse(const char *s, enum hc_status *st) HC_WUR;

#define HC_MAX_WHY 8
#define HC_WHY_LEN 32
struct hc_claims {
	char iss[256];
	int64_t iat, nbf, exp;
	bool has_nbf;
	char jti[32];
	int64_t v;
	enum hc_status st;
	char pol[64];
	char why[HC_MAX_WHY][HC_WHY_LEN];
	size_t nwhy;
	char name[128]; /* masked display name */
	char id[64];    /* masked identity number */
	bool has_nat;
	int64_t nat_at;
	char nat_res[8]; /* "neg" or "pos" */
	bool has_vac;
	int64_t vac_doses, vac_at;
	bool has_trv;
	char trv_risk[8]; /* "low", "medium" or "high" */
};
/* Strict parse of the claims JSON: required iss, iat, exp, jti, hc (v 1,
 * st, pol, why, sub); no unknown members; times are integers;
 * nbf <= exp, iat <= exp. */
hc_err hc_claims_parse(const char *json, size_t n, struct hc_claims *c) HC_WUR;
/* Compact JSON of the claims (malloc'd). */
hc_err hc_claims_json(const struct hc_claims *c, char **out) HC_WUR;

#endif
