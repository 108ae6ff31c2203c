/* fuzz_foreign.c: the foreign trust payload parser (common/foreign.c):
 * whatever it accepts holds what verification relies on: counts within
 * the caps, every certificate's kid the first 8 bytes of its SHA-256,
 * every SHC key a P-256 key, each key's rids sorted and unique. */
#include <string.h>

#include "foreign_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct hc_foreign *f = NULL;
	size_t nrids = 0;
	uint8_t h[32];

	if (hc_foreign_parse(data, n, &f) != HC_OK)
		return 0;
	if (f->ncerts > HC_MAX_FOREIGN_CERTS || f->nissuers > HC_MAX_SHC_ISSUERS || f->seq < 1)
		__builtin_trap();
	for (size_t i = 0; i < f->ncerts; i++)
		if (hc_sha256(f->certs[i].der, f->certs[i].der_len, h) != HC_OK ||
		    memcmp(h, f->certs[i].kid, 8) != 0 || strlen(f->certs[i].country) != 2)
			__builtin_trap();
	for (size_t i = 0; i < f->nissuers; i++) {
		const struct shc_issuer *is = &f->issuers[i];

		if (is->nkeys == 0 || is->nkeys > HC_MAX_SHC_KEYS || hc__shc_issuer(f, is->iss) != is)
			__builtin_trap();
		for (size_t k = 0; k < is->nkeys; k++) {
			if (hc_pubkey_alg(is->keys[k].k) != HC_ALG_ES256)
				__builtin_trap();
			for (size_t r = 1; r < is->keys[k].nrids; r++)
				if (strcmp(is->keys[k].rids[r - 1].rid, is->keys[k].rids[r].rid) >= 0)
					__builtin_trap();
			nrids += is->keys[k].nrids;
		}
	}
	if (nrids != f->nrids || nrids > HC_MAX_SHC_RIDS)
		__builtin_trap();
	hc_foreign_free(f);
	return 0;
}
