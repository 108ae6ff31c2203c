/* fuzz_ecverify.c: ES256 by a key's precomputed table (common/ecverify.c)
 * against EVP_PKEY_verify, differentially.
 * Input: a public key x || y (32 bytes each), then up to HC_EC_BLOCK
 * records of digest (32 bytes) || r || s (32 bytes each); a short tail is
 * ignored, and so is an input whose key is not a point of P-256 (the
 * trust list refuses such keys before any verification).
 * Asserts: each record's verdict by the table, alone and within the block,
 * and by hc_es256_verify_digest (the function callers use) equals
 * EVP_PKEY_verify's; the block verifies as a whole (no resource failure);
 * a verdict is HC_OK or HC_ERR_BAD_SIG and nothing else. */
#include <string.h>

#include "ectab_fx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

#define REC (32 + HC_SIG_LEN)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static uint8_t dg[HC_EC_BLOCK][32], sg[HC_EC_BLOCK][HC_SIG_LEN];
	hc_err evp[HC_EC_BLOCK];
	const struct ectab_key *x;
	size_t m;

	if (n < 64 || !(x = ectab_key_for(HC_ALG_ES256, data)))
		return 0;
	data += 64;
	n -= 64;
	m = n / REC > HC_EC_BLOCK ? HC_EC_BLOCK : n / REC;
	for (size_t j = 0; j < m; j++) {
		memcpy(dg[j], data + j * REC, 32);
		memcpy(sg[j], data + j * REC + 32, HC_SIG_LEN);
		evp[j] = hc_es256_verify_digest_evp(x->v, dg[j], sg[j]);
		ectab_one(x, dg[j], sg[j], evp[j]);
	}
	ectab_block(x, m, dg, sg, evp);
	return 0;
}
