/* fuzz_sm2verify.c: SM2 by a key's precomputed table (common/ecverify.c)
 * against OpenSSL's SM2 verify, differentially.
 * Input: a public key x || y (32 bytes each), then up to HC_EC_BLOCK
 * records of m (32 bytes) || r || s (32 bytes each); a short tail is
 * ignored, and so is an input whose key is not a point of the SM2 curve
 * (the trust list refuses such keys before any verification).
 * Each record is checked twice: as a message (EVP_DigestVerify with SM3
 * and the ID HC_SM2_ID against the table over e = SM3(Z || m)), and with
 * m taken as e itself (EVP_PKEY_verify against the table).
 * Asserts: each verdict by the table, alone and within the block, and by
 * hc_es256_verify_digest(s) (the functions callers use) equals OpenSSL's;
 * the block verifies as a whole (no resource failure); a verdict is
 * HC_OK or HC_ERR_BAD_SIG and nothing else. */
#include <string.h>

#include "ectab_fx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

#define REC (32 + HC_SIG_LEN)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static uint8_t me[HC_EC_BLOCK][32], ee[HC_EC_BLOCK][32], sg[HC_EC_BLOCK][HC_SIG_LEN];
	hc_err wm[HC_EC_BLOCK], we[HC_EC_BLOCK];
	const struct ectab_key *x;
	size_t m;

	if (n < 64 || !(x = ectab_key_for(HC_ALG_SM2, data)))
		return 0;
	data += 64;
	n -= 64;
	m = n / REC > HC_EC_BLOCK ? HC_EC_BLOCK : n / REC;
	for (size_t j = 0; j < m; j++) {
		const uint8_t *msg = data + j * REC;

		memcpy(sg[j], msg + 32, HC_SIG_LEN);
		/* as a message */
		wm[j] = hc_key_verify(x->k, msg, 32, sg[j]);
		FX_CHECK(hc_sm2_digest(x->k, msg, 32, me[j]) == HC_OK);
		ectab_one(x, me[j], sg[j], wm[j]);
		/* as e */
		memcpy(ee[j], msg, 32);
		we[j] = hc_es256_verify_digest_evp(x->evp, ee[j], sg[j]);
		ectab_one(x, ee[j], sg[j], we[j]);
	}
	ectab_block(x, m, me, sg, wm);
	ectab_block(x, m, ee, sg, we);
	return 0;
}
