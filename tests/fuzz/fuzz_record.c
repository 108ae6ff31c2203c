/* fuzz_record.c: the issuer's person-record parser; each record that
 * parses meets both fixed policies with the fixed risk areas and the
 * status decision is checked (issue_fx.c). */
#include "issue_fx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct hc_record *rec = NULL;

	if (hc_record_parse((const char *)data, n, &rec) != HC_OK)
		return 0;
	for (size_t i = 0; i < IX_NPOLICY; i++)
		ix_apply(ix_policy(i), rec, ix_risk());
	hc_record_free(rec);
	return 0;
}
