/* fuzz_risk.c: the risk-area list parsers (the unsigned form and the
 * signed list's payload, with venues); each list that parses is applied
 * to the fixed records (whose travel it may match) under the default
 * policy and the status decision is checked (issue_fx.c), and its
 * difference from the empty list is walked. */
#include <stdlib.h>

#include "issue_fx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static void count_entry(void *arg, const struct hc_risk_entry *e)
{
	(void)e;
	(*(size_t *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct hc_risk *risk = NULL;
	size_t count = 0, nv = 0;

	if (hc_risk_parse((const char *)data, n, &risk) != HC_OK &&
	    hc_risk_parse_payload((const char *)data, n, &risk) != HC_OK)
		return 0;
	for (size_t i = 0; i < IX_NRECORD; i++)
		ix_apply(ix_policy(0), ix_record(i), risk);
	hc_risk_diff(NULL, risk, count_entry, &count);
	if (count != hc_risk_count(risk, &nv) + nv)
		abort();
	hc_risk_free(risk);
	return 0;
}
