/* fuzz_revocations.c: the revocation-list payload parser and the index
 * reader. The index's digest is taken from the input itself, and its
 * header's own SHA-256 computed, so that the fuzzer gets past both into the
 * structural checks. */
#include <stdlib.h>
#include <string.h>

#include "hc_crypto.h"
#include "trust_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct rev_list l;
	uint8_t *idx = NULL;
	char iss[256];
	size_t at;
	hc_err err;

	memset(&l, 0, sizeof(l));
	err = hc__rev_parse(data, n, iss, sizeof(iss), &l);
	(void)err; /* any outcome but a crash is fine */
	for (size_t i = 1; i < l.n; i++)
		if (memcmp(l.e[i - 1].jti, l.e[i].jti, 16) >= 0)
			__builtin_trap(); /* lookups need sorted, unique entries */
	hc__rev_clear(&l);
	if (n >= 48)
		memcpy(l.digest, data + 16, 32);
	/* The header's own SHA-256 is made right too, for the same reason. */
	at = hc__rev_idx_hdr_sha_at();
	if (n >= at + 32 && (idx = malloc(n))) {
		memcpy(idx, data, n);
		if (hc_sha256(idx, at, idx + at) != HC_OK)
			__builtin_trap();
	}
	if (hc__rev_idx_load(idx ? idx : data, n, &l, iss, sizeof(iss)))
		for (size_t i = 1; i < l.n; i++)
			if (memcmp(l.e[i - 1].jti, l.e[i].jti, 16) >= 0)
				__builtin_trap();
	hc__rev_clear(&l);
	free(idx);
	return 0;
}
