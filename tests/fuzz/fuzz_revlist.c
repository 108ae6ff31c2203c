/* fuzz_revlist.c: hc-keys revoke's input parser (hc_revlist_build). What
 * it builds must parse back strictly, with the same number of entries. */
#include <stdlib.h>
#include <string.h>

#include "hc_sign.h"
#include "trust_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	char *payload = NULL, iss[256];
	size_t count = 0;
	struct rev_list l;

	if (hc_revlist_build("https://hc.fuzz.example", 7, 1795392000, (const char *)data, n,
			     &payload, &count) != HC_OK)
		return 0;
	memset(&l, 0, sizeof(l));
	if (hc__rev_parse((const uint8_t *)payload, strlen(payload), iss, sizeof(iss), &l) != HC_OK ||
	    l.n != count || l.seq != 7 || strcmp(iss, "https://hc.fuzz.example") != 0)
		__builtin_trap(); /* the signer wrote what the verifier refuses */
	hc__rev_clear(&l);
	free(payload);
	return 0;
}
