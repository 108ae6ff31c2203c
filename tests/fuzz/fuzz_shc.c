/* fuzz_shc.c: SMART Health Card text (common/shc.c): the numeric framing
 * and chunk reassembly, then the whole verification against fixed foreign
 * trust data (the specification examples' issuer keys and crl) at a fixed
 * time. Asserts: what reassembly gives is token characters within the
 * cap; a pass was signed by a key of the trust data (checked again here by
 * hc_jws_verify) and names its issuer. */
#include <stdlib.h>
#include <string.h>

#include "foreign_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static const char payload[] =
	"{\"seq\":1,\"iat\":1700000000,\"dcc\":[],"
	"\"shc\":[{\"iss\":\"https://spec.smarthealth.cards/examples/issuer\","
	"\"name\":\"SMART Health Card Example Issuer\","
	"\"crls\":[{\"kid\":\"3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s\","
	"\"method\":\"rid\",\"ctr\":1,\"rids\":[\"vwAjHdarZuc.1687450765\",\"FKDIxsTCGlU\","
	"\"XkNHp2Iyk0Y.1687450765\",\"TqB_qu_6OtM\"]}],\"keys\":[{\"kty\":\"EC\","
	"\"crv\":\"P-256\",\"x\":\"11XvRWy1I2S0EyJlyf_bWfw_TQ5CJJNLw78bHXNxcgw\","
	"\"y\":\"eZXwxvO1hvCY0KucrPfKo7yAyMT6Ajc3N7OkAB6VYy8\","
	"\"kid\":\"3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s\",\"alg\":\"ES256\","
	"\"use\":\"sig\"},{\"kty\":\"EC\",\"crv\":\"P-256\","
	"\"x\":\"PQHApUWm94mflvswQgAnfHlETMwJFqjUVSs7WU6LQy4\","
	"\"y\":\"7mj8IO-8V5VZjDbRVsJINC_Rq5ai5CDhFX18ceRsLWQ\","
	"\"kid\":\"EBKOr72QQDcTBUuVzAzkfBTGew0ZA16GuWty64nS-sw\",\"alg\":\"ES256\","
	"\"use\":\"sig\"}]}]}";

static struct hc_foreign *trust_data(void)
{
	static struct hc_foreign *f;

	if (!f && hc_foreign_parse((const uint8_t *)payload, sizeof(payload) - 1, &f) != HC_OK)
		__builtin_trap();
	return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static char tok[HC_MAX_SHC_TEXT / 2 + 1];
	const struct hc_foreign *f = trust_data();
	struct hc_foreign_result r;
	struct hc_verify_opts o;
	struct hc_jws j;
	size_t len;
	bool signed_ok = false;
	hc_err err;

	if (hc_shc_decode((const char *)data, n, tok, sizeof(tok), &len) == HC_OK) {
		if (len >= sizeof(tok) || tok[len] != '\0')
			__builtin_trap();
		for (size_t i = 0; i < len; i++)
			if (tok[i] < '-' || tok[i] > 'z')
				__builtin_trap();
	}
	hc_verify_opts_init(&o);
	o.at = 1704067200; /* 2024-01-01 */
	err = hc_shc_verify(f, (const char *)data, n, &o, &r);
	if (err != HC_OK)
		return 0;
	if (!r.issuer[0] || r.fmt != HC_FMT_SHC ||
	    hc_shc_decode((const char *)data, n, tok, sizeof(tok), &len) != HC_OK ||
	    hc_jws_parse(tok, len, sizeof(tok), true, HC_MAX_SHC_INFLATED, &j) != HC_OK)
		__builtin_trap();
	for (size_t i = 0; i < f->nissuers; i++)
		for (size_t k = 0; k < f->issuers[i].nkeys; k++)
			if (strcmp(hc_pubkey_kid(f->issuers[i].keys[k].k), j.kid) == 0 &&
			    hc_jws_verify(&j, tok, f->issuers[i].keys[k].k) == HC_OK)
				signed_ok = true;
	hc_jws_clear(&j);
	if (!signed_ok)
		__builtin_trap();
	return 0;
}
