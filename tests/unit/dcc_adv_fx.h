/* dcc_adv_fx.h: EU DCCs made for t_dcc_adv: a COSE_Sign1 (CBOR written
 * byte by byte) signed with a real key, with knobs that make it hostile,
 * and self-signed signer certificates. */
#ifndef DCC_ADV_FX_H
#define DCC_ADV_FX_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "hc_foreign.h"

/* What to make: a valid code unless a knob says otherwise. */
struct spec {
	char type;           /* 'v', 't', 'r' */
	int64_t alg;         /* -7 or -37 */
	EVP_PKEY *key;
	const uint8_t *kid;  /* 8 bytes */
	int64_t iat, exp;
	bool float_times, kid_unprot, der_sig, dup_claim, dup_prot, indefinite, huge_exp;
	bool bignum_exp, trailing, uncompressed, deep, tamper, dup_text, no_iss;
	int tag;             /* 18 (default 0 means 18), -1 none, 61 for 61(18), else that tag */
	int crit;            /* crit (2): 0 none; [1, 4]; [99]; ["x"]; unprotected [1]; []; [1.5] */
	int64_t nbf;         /* claim 5 when not 0 */
	const char *tt, *tr;
	int64_t sc;
};

/* The QR text of s (malloc'd), or NULL when it could not be signed. */
char *make(const struct spec *s);
/* A self-signed signer certificate for key, valid nb..na, with an
 * extended key usage (OIDs, comma separated) when eku is not NULL; its
 * DER in *der (OPENSSL_free), der_len 0 when it could not be made. */
struct hc_dcc_cert cert_of(EVP_PKEY *key, int64_t nb, int64_t na, const char *eku,
			   uint8_t **der);

#endif
