/* fuzz_qr.c: QR text framing, compact JWS (header, signature length,
 * payload inflate under the cap) and strict claims, as hc-verify meets them. */
#include <string.h>

#include "hc_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	char tok[HC_MAX_QR_TEXT / 2 + 1];
	struct hc_jws j;
	struct hc_claims c;
	size_t tl;

	if (hc_qr_decode(HC_QR_PREFIX, (const char *)data, n, tok, sizeof(tok), &tl) != HC_OK) {
		/* Also take the input as a bare token. */
		if (n >= sizeof(tok))
			return 0;
		memcpy(tok, data, n);
		tok[n] = '\0';
		tl = n;
	}
	if (hc_jws_parse(tok, tl, HC_MAX_TOKEN, true, HC_MAX_INFLATED, &j) == HC_OK) {
		if (hc_claims_parse((const char *)j.payload, j.payload_len, &c) != HC_OK)
			c.st = HC_ST_RED;
		hc_jws_clear(&j);
	}
	return 0;
}
