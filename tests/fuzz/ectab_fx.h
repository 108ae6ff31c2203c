/* ectab_fx.h: what fuzz_ecverify and fuzz_sm2verify share: the last keys
 * seen with their contexts and tables, and the checks of one signature
 * and of a block by the table and by the functions callers use. */
#ifndef HC_FUZZ_ECTAB_FX_H
#define HC_FUZZ_ECTAB_FX_H

#include "fixture.h"

struct ectab_key {
	uint8_t xy[64];
	struct hc_pubkey *k;
	struct hc_verctx *evp, *v; /* evp: EVP_PKEY_verify only */
	const struct hc_ectab *tab; /* the key's own, as batch verification uses */
};

/* The key x || y (32 bytes each) on the curve of alg, made on first use
 * and kept among the last few (a table takes milliseconds to build; seeds
 * and mutations mostly reuse a few keys); NULL when xy is not a point of
 * that curve. Every other point has a table. */
const struct ectab_key *ectab_key_for(enum hc_alg alg, const uint8_t xy[64]);
/* One signature over e: the table alone and the callers' function give
 * want, which is HC_OK or HC_ERR_BAD_SIG. */
void ectab_one(const struct ectab_key *x, const uint8_t e[32], const uint8_t sig[HC_SIG_LEN],
	       hc_err want);
/* The m block's verdicts by the table and by hc_es256_verify_digests
 * equal want; the block verifies as a whole. */
void ectab_block(const struct ectab_key *x, size_t m, uint8_t (*e)[32],
		 uint8_t (*sg)[HC_SIG_LEN], const hc_err *want);

#endif
