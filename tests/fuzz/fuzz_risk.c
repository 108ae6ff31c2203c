/* fuzz_risk.c: the risk-area list parser; each list that parses is
 * applied to the fixed records (whose travel it may match) under the
 * default policy and the status decision is checked (issue_fx.c). */
#include "issue_fx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct hc_risk *risk = NULL;

	if (hc_risk_parse((const char *)data, n, &risk) != HC_OK)
		return 0;
	for (size_t i = 0; i < IX_NRECORD; i++)
		ix_apply(ix_policy(0), ix_record(i), risk);
	hc_risk_free(risk);
	return 0;
}
