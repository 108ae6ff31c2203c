/* fuzz_issuer.c: the issuer's inputs: record, risk-area list and policy
 * parsers, and the policy applied to whatever record parses. */
#include "hc_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct hc_record *rec = NULL;
	struct hc_risk *risk = NULL;
	struct hc_policy *pol = NULL, *def = NULL;
	struct hc_claims c;

	if (hc_policy_parse((const char *)data, n, &pol) == HC_OK)
		hc_policy_free(pol);
	if (hc_risk_parse((const char *)data, n, &risk) != HC_OK)
		risk = NULL;
	if (hc_record_parse((const char *)data, n, &rec) == HC_OK &&
	    hc_policy_default(&def) == HC_OK)
		if (hc_policy_apply(def, rec, risk, 1795392000, 0, &c) != HC_OK)
			c.st = HC_ST_RED;
	hc_policy_free(def);
	hc_record_free(rec);
	hc_risk_free(risk);
	return 0;
}
