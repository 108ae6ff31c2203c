/* fuzz_json.c: the strict JSON layer and the claims parser. */
#include "hc_json.h"
#include "hc_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct hc_claims c;
	cJSON *j = NULL;

	if (hc_json_parse((const char *)data, n, &j) == HC_OK)
		cJSON_Delete(j);
	if (hc_claims_parse((const char *)data, n, &c) != HC_OK)
		return 0;
	return 0;
}
