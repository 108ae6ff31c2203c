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

#include "fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

#define REC (32 + HC_SIG_LEN)
#define KEYS 4

/* The last keys seen with their tables (a table takes milliseconds to
 * build; seeds and mutations mostly reuse a few keys). */
static struct {
	uint8_t xy[64];
	struct hc_pubkey *k;
	struct hc_verctx *v;
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
	if (hc_pubkey_from_xy(xy, xy + 32, &k) != HC_OK)
		return -1;
	i = (int)(next_slot++ % KEYS);
	hc_verctx_free(keys[i].v);
	hc_pubkey_free(keys[i].k);
	memset(&keys[i], 0, sizeof(keys[i]));
	memcpy(keys[i].xy, xy, 64);
	keys[i].k = k;
	FX_CHECK(hc_verctx_new(k, &keys[i].v) == HC_OK);
	/* Every point of P-256 but infinity has a table. */
	FX_CHECK((keys[i].tab = hc_pubkey_table(k)) != NULL);
	return i;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static uint8_t dg[HC_EC_BLOCK][32], sg[HC_EC_BLOCK][HC_SIG_LEN];
	hc_err evp[HC_EC_BLOCK], blk[HC_EC_BLOCK], one, viav[HC_EC_BLOCK];
	size_t m;
	int i;

	if (n < 64 || (i = key_for(data)) < 0)
		return 0;
	data += 64;
	n -= 64;
	m = n / REC > HC_EC_BLOCK ? HC_EC_BLOCK : n / REC;
	for (size_t j = 0; j < m; j++) {
		memcpy(dg[j], data + j * REC, 32);
		memcpy(sg[j], data + j * REC + 32, HC_SIG_LEN);
		evp[j] = hc_es256_verify_digest_evp(keys[i].v, dg[j], sg[j]);
		FX_CHECK(evp[j] == HC_OK || evp[j] == HC_ERR_BAD_SIG);
		FX_CHECK(hc_ectab_verify(keys[i].tab, 1, &dg[j], &sg[j], &one) == HC_OK);
		FX_CHECK(one == evp[j]);
		FX_CHECK(hc_es256_verify_digest(keys[i].v, dg[j], sg[j]) == evp[j]);
	}
	FX_CHECK(hc_ectab_verify(keys[i].tab, m, (const uint8_t(*)[32])dg,
				 (const uint8_t(*)[HC_SIG_LEN])sg, blk) == HC_OK);
	FX_CHECK(hc_es256_verify_digests(keys[i].v, m, (const uint8_t(*)[32])dg,
					 (const uint8_t(*)[HC_SIG_LEN])sg, viav) == HC_OK);
	for (size_t j = 0; j < m; j++) {
		FX_CHECK(blk[j] == evp[j]);
		FX_CHECK(viav[j] == evp[j]);
	}
	return 0;
}
