/* risk_sign.c: the signed national risk-area list (risk-areas.jws),
 * verified under the pinned roots of a trust directory. */
#include <stdio.h>
#include <string.h>

#include "policy_int.h"
#include "trust_int.h"

hc_err hc_risk_verify(const struct hc_trust *t, const char *s, size_t n, struct hc_risk **out)
{
	const struct hc_pubkey *root = NULL;
	struct hc_jws j;
	char d[160];
	hc_err err;

	if (!t || !s || !out)
		return HC_ERR_INVALID_ARG;
	*out = NULL;
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--; /* a file may end in a newline */
	if ((err = hc_jws_parse(s, n, HC_MAX_RISK_JWS, false, HC__MAX_RISK_JSON, &j)) != HC_OK) {
		hc_set_detail("signature: not a compact JWS (%s)", hc_strerror(err));
		return HC_ERR_RISK;
	}
	for (size_t i = 0; i < t->nroots; i++)
		if (strcmp(hc_pubkey_kid(t->roots[i]), j.kid) == 0)
			root = t->roots[i];
	if (!root) {
		hc_set_detail("signature: signed by %s, which is not a pinned root", j.kid);
		err = HC_ERR_RISK;
	} else if (hc_jws_verify(&j, s, root) != HC_OK) {
		hc_set_detail("signature: does not verify under root %s", j.kid);
		err = HC_ERR_RISK;
	} else if ((err = hc_risk_parse_payload((const char *)j.payload, j.payload_len, out)) !=
		   HC_OK) {
		(void)snprintf(d, sizeof(d), "%s", hc_detail());
		hc_set_detail("payload: %s%s%s", hc_strerror(err), d[0] ? ": " : "", d);
		err = HC_ERR_RISK;
	}
	hc_jws_clear(&j);
	return err;
}
