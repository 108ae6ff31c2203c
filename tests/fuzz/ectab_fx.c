/* ectab_fx.c: the key cache and the checks of fuzz_ecverify and
 * fuzz_sm2verify (ectab_fx.h). */
#include <string.h>

#include "ectab_fx.h"

#define KEYS 4

static struct ectab_key keys[KEYS];
static unsigned next_slot;

const struct ectab_key *ectab_key_for(enum hc_alg alg, const uint8_t xy[64])
{
	struct hc_pubkey *k = NULL;
	int i;

	for (i = 0; i < KEYS; i++)
		if (keys[i].k && memcmp(keys[i].xy, xy, 64) == 0)
			return &keys[i];
	if (hc_pubkey_from_xy_alg(alg, xy, xy + 32, &k) != HC_OK)
		return NULL;
	i = (int)(next_slot++ % KEYS);
	hc_verctx_free(keys[i].evp);
	hc_verctx_free(keys[i].v);
	hc_pubkey_free(keys[i].k);
	memset(&keys[i], 0, sizeof(keys[i]));
	memcpy(keys[i].xy, xy, 64);
	keys[i].k = k;
	FX_CHECK(hc_verctx_new_ex(k, false, &keys[i].evp) == HC_OK);
	FX_CHECK(hc_verctx_new(k, &keys[i].v) == HC_OK);
	/* Every point of the curve but infinity has a table. */
	FX_CHECK((keys[i].tab = hc_pubkey_table(k)) != NULL);
	return &keys[i];
}

void ectab_one(const struct ectab_key *x, const uint8_t e[32], const uint8_t sig[HC_SIG_LEN],
	       hc_err want)
{
	hc_err res;

	FX_CHECK(want == HC_OK || want == HC_ERR_BAD_SIG);
	FX_CHECK(hc_ectab_verify(x->tab, 1, (const uint8_t(*)[32])e,
				 (const uint8_t(*)[HC_SIG_LEN])sig, &res) == HC_OK);
	FX_CHECK(res == want);
	FX_CHECK(hc_es256_verify_digest(x->v, e, sig) == want);
}

void ectab_block(const struct ectab_key *x, size_t m, uint8_t (*e)[32],
		 uint8_t (*sg)[HC_SIG_LEN], const hc_err *want)
{
	hc_err blk[HC_EC_BLOCK], viav[HC_EC_BLOCK];

	FX_CHECK(hc_ectab_verify(x->tab, m, (const uint8_t(*)[32])e,
				 (const uint8_t(*)[HC_SIG_LEN])sg, blk) == HC_OK);
	FX_CHECK(hc_es256_verify_digests(x->v, m, (const uint8_t(*)[32])e,
					 (const uint8_t(*)[HC_SIG_LEN])sg, viav) == HC_OK);
	for (size_t j = 0; j < m; j++) {
		FX_CHECK(blk[j] == want[j]);
		FX_CHECK(viav[j] == want[j]);
	}
}
