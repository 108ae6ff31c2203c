/* hc_trust.h: the verifier's trust store and the verification procedure. */
#ifndef HC_TRUST_H
#define HC_TRUST_H

#include "hc_token.h"

struct hc_trust;

/* Loads DIR/roots/\*.jwk (pinned roots) and DIR/trustlist.jws, whose
 * signature must verify under one of the roots and whose payload must be a
 * valid trust list (DESIGN 6). Errors here are configuration errors. */
hc_err hc_trust_load(const char *dir, struct hc_trust **out) HC_WUR;
void hc_trust_free(struct hc_trust *t);

/* Parses and verifies a trust list JWS against t's roots (without
 * installing it); *seq receives its sequence number. For sync and tests. */
hc_err hc_trust_check_list(const struct hc_trust *t, const char *jws, size_t n, int64_t *seq) HC_WUR;

/* Validates a trust list payload (JSON object) as hc-keys does before
 * signing: keys well formed, kid equal to thumbprint, iss unique, seq. */
hc_err hc_trustlist_validate(const char *json, size_t n) HC_WUR;

int64_t hc_trust_seq(const struct hc_trust *t);
int64_t hc_trust_next_update(const struct hc_trust *t);
size_t hc_trust_issuer_count(const struct hc_trust *t);

struct hc_verify_opts {
	int64_t at;           /* verification time */
	int64_t skew;         /* allowance on nbf, seconds */
	bool any_status;      /* accept yellow and red */
	int64_t nat_max_age;  /* > 0: a negative test within this many seconds */
	int64_t min_doses;    /* > 0: at least this many doses */
};
void hc_verify_opts_init(struct hc_verify_opts *o);

struct hc_result {
	hc_err err;    /* HC_OK on pass */
	bool verified; /* signature verified: claims and issuer are trusted */
	struct hc_claims c;
	char kid[HC_KID_LEN + 1];
	char issuer_name[128];
	char region[8];
};

/* Verifies QR text (DESIGN 7 order) and fills res; returns res->err. */
hc_err hc_verify_qr(const struct hc_trust *t, const char *text, size_t n,
		    const struct hc_verify_opts *o, struct hc_result *res);
/* The same, from a bare compact JWS. */
hc_err hc_verify_token(const struct hc_trust *t, const char *tok, size_t n,
		       const struct hc_verify_opts *o, struct hc_result *res);

#endif
