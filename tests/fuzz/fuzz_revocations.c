/* fuzz_revocations.c: the revocation-list payload parser and the index
 * reader. The index's digest is taken from the input itself so that the
 * fuzzer gets past the digest comparison into the structural checks. */
#include <string.h>

#include "trust_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct rev_list l;
	char iss[256];
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
	if (hc__rev_idx_load(data, n, &l, iss, sizeof(iss)))
		for (size_t i = 1; i < l.n; i++)
			if (memcmp(l.e[i - 1].jti, l.e[i].jti, 16) >= 0)
				__builtin_trap();
	hc__rev_clear(&l);
	return 0;
}
