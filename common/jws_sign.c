/* jws_sign.c: producing a compact JWS (ES256 or SM2, optional raw DEFLATE). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_sign.h"

hc_err hc_jws_sign(struct hc_privkey *k, bool zip, const uint8_t *payload, size_t n,
		   char **out)
{
	uint8_t *z = NULL, sig[HC_SIG_LEN];
	const uint8_t *body = payload;
	char hdr[128], *s = NULL;
	size_t blen = n, hl, pl, cap, o;
	hc_err err;
	int r;

	*out = NULL;
	r = snprintf(hdr, sizeof(hdr), zip ? "{\"alg\":\"%s\",\"zip\":\"DEF\",\"kid\":\"%s\"}"
					   : "{\"alg\":\"%s\",\"kid\":\"%s\"}",
		     hc_alg_name(hc_privkey_alg(k)), hc_privkey_kid(k));
	if (r < 0 || (size_t)r >= sizeof(hdr))
		return HC_ERR_CRYPTO;
	if (zip) {
		if ((err = hc_deflate(payload, n, &z, &blen)) != HC_OK)
			goto out;
		body = z;
	}
	hl = hc_b64u_enclen((size_t)r);
	pl = hc_b64u_enclen(blen);
	cap = hl + 1 + pl + 1 + hc_b64u_enclen(HC_SIG_LEN) + 1;
	err = HC_ERR_NOMEM;
	if (!(s = malloc(cap)))
		goto out;
	if ((err = hc_b64u_encode((const uint8_t *)hdr, (size_t)r, s, cap)) != HC_OK)
		goto out;
	s[hl] = '.';
	if ((err = hc_b64u_encode(body, blen, s + hl + 1, cap - hl - 1)) != HC_OK)
		goto out;
	o = hl + 1 + pl;
	if ((err = hc_key_sign(k, (const uint8_t *)s, o, sig)) != HC_OK)
		goto out;
	s[o++] = '.';
	if ((err = hc_b64u_encode(sig, sizeof(sig), s + o, cap - o)) != HC_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	free(s);
	free(z);
	return err;
}
