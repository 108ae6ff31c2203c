/* code_sign.c: signs a health code's claims and checks the result before
 * it is handed out (hc-issue and hc-issued share it). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hc_sign.h"
#include "hc_token.h"

hc_err hc_code_sign(struct hc_privkey *k, const struct hc_pubkey *pub, struct hc_claims *c,
		    char **jws)
{
	struct hc_claims back;
	struct hc_jws j;
	uint8_t jti[16];
	char *claims = NULL;
	size_t cap;
	hc_err err;

	if (!jws)
		return HC_ERR_INVALID_ARG;
	*jws = NULL;
	if (!k || !pub || !c)
		return HC_ERR_INVALID_ARG;
	memset(&j, 0, sizeof(j));
	/* The jti: public in the code, unique (hc_random_pooled). */
	if ((err = hc_random_pooled(jti, sizeof(jti))) != HC_OK ||
	    (err = hc_b64u_encode(jti, sizeof(jti), c->jti, sizeof(c->jti))) != HC_OK ||
	    (err = hc_claims_json(c, &claims)) != HC_OK ||
	    (err = hc_jws_sign(k, true, (const uint8_t *)claims, strlen(claims), jws)) != HC_OK)
		goto out;
	/* Verify what was signed before handing it out (by the key's table
	 * when the caller had it built: hc-issued does at start). The payload
	 * must inflate to the claims signed, so the inflater needs room for
	 * them only, plus the 258 bytes zlib's fast decoder wants free (with
	 * room for just the claims it takes its slow path: 6k instructions
	 * more a code by callgrind), within HC_MAX_INFLATED (every verifier's
	 * cap): a small allocation, not one of HC_MAX_INFLATED per code, which
	 * made glibc consolidate its free chunks each time. */
	cap = strlen(claims) + 258;
	if (cap > HC_MAX_INFLATED)
		cap = HC_MAX_INFLATED;
	if ((err = hc_jws_parse(*jws, strlen(*jws), HC_MAX_TOKEN, true, cap, &j)) != HC_OK ||
	    (err = hc_jws_verify_tab(&j, *jws, pub)) != HC_OK ||
	    (err = hc_claims_parse((const char *)j.payload, j.payload_len, &back)) != HC_OK)
		goto out;
	if (j.payload_len != strlen(claims) || memcmp(j.payload, claims, j.payload_len) != 0 ||
	    back.st != c->st || back.exp != c->exp || strcmp(back.jti, c->jti) != 0) {
		hc_set_detail("the signed code does not read back as signed");
		err = HC_ERR_CRYPTO;
	}
out:
	if (err != HC_OK) {
		free(*jws);
		*jws = NULL;
	}
	hc_jws_clear(&j);
	free(claims);
	return err;
}
