/* fuzz_trustlist.c: trust-list payload validation (keys, kids, issuers). */
#include "hc_trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	hc_err err = hc_trustlist_validate((const char *)data, n);

	(void)err; /* any outcome but a crash is fine */
	return 0;
}
