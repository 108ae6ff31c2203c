/* fuzz_snapshot.c: the snapshot payload parser (DESIGN 6a): whatever it
 * accepts holds the invariants sync relies on. */
#include "trust_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct hc_snapshot *s = NULL;

	if (hc__snapshot_payload(data, n, &s) == HC_OK && !hc__snapshot_sane(s))
		__builtin_trap();
	hc_snapshot_free(s);
	return 0;
}
