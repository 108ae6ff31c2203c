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

#include "fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

#define REC (32 + HC_SIG_LEN)
#define KEYS 4

/* The last keys seen with their tables (seeds and mutations mostly reuse
 * a few keys). */
static struct {
	uint8_t xy[64];
	struct hc_pubkey *k;
	struct hc_verctx *evp, *v;
	const struct hc_ectab *tab; /* the key's own, as batch verification uses */
} keys[KEYS];
static unsigned next_slot;

static int key_for(const uint8_t xy[64])
{
	struct hc_pubkey *k = NULL;
	int i;

	for (i = 0; i < KEYS; i++)
		if (keys[i].k && memcmp(keys[i].xy, xy, 64) == 0)
			return i;
	if (hc_pubkey_from_xy_alg(HC_ALG_SM2, xy, xy + 32, &k) != HC_OK)
		return -1;
	i = (int)(next_slot++ % KEYS);
	hc_verctx_free(keys[i].evp);
	hc_verctx_free(keys[i].v);
	hc_pubkey_free(keys[i].k);
	memset(&keys[i], 0, sizeof(keys[i]));
	memcpy(keys[i].xy, xy, 64);
	keys[i].k = k;
	FX_CHECK(hc_verctx_new_ex(k, false, &keys[i].evp) == HC_OK);
	FX_CHECK(hc_verctx_new(k, &keys[i].v) == HC_OK);
	/* Every point of the SM2 curve but infinity has a table. */
	FX_CHECK((keys[i].tab = hc_pubkey_table(k)) != NULL);
	return i;
}

/* The m block's verdicts by the table and by hc_es256_verify_digests
 * equal want. */
static void block(int i, size_t m, uint8_t (*e)[32], uint8_t (*sg)[HC_SIG_LEN], const hc_err *want)
{
	hc_err blk[HC_EC_BLOCK], viav[HC_EC_BLOCK];

	FX_CHECK(hc_ectab_verify(keys[i].tab, m, (const uint8_t(*)[32])e,
				 (const uint8_t(*)[HC_SIG_LEN])sg, blk) == HC_OK);
	FX_CHECK(hc_es256_verify_digests(keys[i].v, m, (const uint8_t(*)[32])e,
					 (const uint8_t(*)[HC_SIG_LEN])sg, viav) == HC_OK);
	for (size_t j = 0; j < m; j++) {
		FX_CHECK(blk[j] == want[j]);
		FX_CHECK(viav[j] == want[j]);
	}
}

/* One signature over e: the table alone and the callers' function give
 * want. */
static void one(int i, const uint8_t e[32], const uint8_t sig[HC_SIG_LEN], hc_err want)
{
	hc_err res;

	FX_CHECK(want == HC_OK || want == HC_ERR_BAD_SIG);
	FX_CHECK(hc_ectab_verify(keys[i].tab, 1, (const uint8_t(*)[32])e,
				 (const uint8_t(*)[HC_SIG_LEN])sig, &res) == HC_OK);
	FX_CHECK(res == want);
	FX_CHECK(hc_es256_verify_digest(keys[i].v, e, sig) == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static uint8_t me[HC_EC_BLOCK][32], ee[HC_EC_BLOCK][32], sg[HC_EC_BLOCK][HC_SIG_LEN];
	hc_err wm[HC_EC_BLOCK], we[HC_EC_BLOCK];
	size_t m;
	int i;

	if (n < 64 || (i = key_for(data)) < 0)
		return 0;
	data += 64;
	n -= 64;
	m = n / REC > HC_EC_BLOCK ? HC_EC_BLOCK : n / REC;
	for (size_t j = 0; j < m; j++) {
		const uint8_t *msg = data + j * REC;

		memcpy(sg[j], msg + 32, HC_SIG_LEN);
		/* as a message */
		wm[j] = hc_key_verify(keys[i].k, msg, 32, sg[j]);
		FX_CHECK(hc_sm2_digest(keys[i].k, msg, 32, me[j]) == HC_OK);
		one(i, me[j], sg[j], wm[j]);
		/* as e */
		memcpy(ee[j], msg, 32);
		we[j] = hc_es256_verify_digest_evp(keys[i].evp, ee[j], sg[j]);
		one(i, ee[j], sg[j], we[j]);
	}
	block(i, m, me, sg, wm);
	block(i, m, ee, sg, we);
	return 0;
}
