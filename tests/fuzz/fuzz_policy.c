/* fuzz_policy.c: the policy file parser; each policy that parses decides
 * the fixed records with the fixed risk areas and the decision is checked
 * (issue_fx.c). */
#include "issue_fx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct hc_policy *pol = NULL;

	if (hc_policy_parse((const char *)data, n, &pol) != HC_OK)
		return 0;
	for (size_t i = 0; i < IX_NRECORD; i++)
		ix_apply(pol, ix_record(i), ix_risk());
	hc_policy_free(pol);
	return 0;
}
