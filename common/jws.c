/* jws.c: compact JWS parsing (strict header, 64-byte signature, capped
 * payload) and ES256 or SM2 verification. Nothing of the header is quoted in a
 * failure's detail: it is parsed before the signature is checked. */
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "hc_token.h"

#define MAX_HEADER 512

static hc_err check_header(const char *h, size_t n, bool zip, struct hc_jws *out)
{
	static const char *const with_zip[] = {"alg", "zip", "kid", NULL};
	static const char *const no_zip[] = {"alg", "kid", NULL};
	cJSON *root = NULL;
	const cJSON *alg;
	char zv[8];
	hc_err err;

	if ((err = hc_json_parse_untrusted(h, n, &root)) != HC_OK)
		return err;
	/* The algorithm first: "none", "HS256", "ES384" are unsupported, not malformed. */
	alg = cJSON_GetObjectItemCaseSensitive(root, "alg");
	if (!cJSON_IsString(alg)) {
		err = HC_ERR_HEADER;
		goto out;
	}
	if (hc_alg_parse(alg->valuestring, &out->alg) != HC_OK) {
		err = HC_ERR_ALG;
		goto out;
	}
	err = HC_ERR_HEADER;
	if (hc_json_only_in(root, zip ? with_zip : no_zip, "the header") != HC_OK)
		goto out;
	if (zip && (hc_json_str(root, "zip", true, zv, sizeof(zv), NULL) != HC_OK ||
		    strcmp(zv, "DEF") != 0))
		goto out;
	if (hc_json_str(root, "kid", true, out->kid, sizeof(out->kid), NULL) != HC_OK ||
	    strlen(out->kid) != HC_KID_LEN ||
	    strspn(out->kid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
		    HC_KID_LEN) {
		hc_set_detail("kid is not a 43-character thumbprint");
		goto out;
	}
	err = HC_OK;
out:
	cJSON_Delete(root);
	return err;
}

void hc_jws_clear(struct hc_jws *j)
{
	if (!j)
		return;
	free(j->payload);
	memset(j, 0, sizeof(*j));
}

hc_err hc_jws_parse(const char *s, size_t n, size_t max, bool zip, size_t payload_cap,
		    struct hc_jws *out)
{
	const char *d1, *d2, *p;
	char hdr[MAX_HEADER + 1];
	uint8_t *raw = NULL, *plain = NULL;
	size_t hlen, plen, slen, rawlen, len;
	hc_err err;

	memset(out, 0, sizeof(*out));
	if (n > max)
		return HC_ERR_TOO_LARGE;
	if (memchr(s, '\0', n))
		return HC_ERR_B64;
	if (!(d1 = memchr(s, '.', n)) || !(d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - s))) ||
	    memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - s)))
		return HC_ERR_JWS_PARTS;
	hlen = (size_t)(d1 - s);
	plen = (size_t)(d2 - d1 - 1);
	slen = n - (size_t)(d2 + 1 - s);
	p = d1 + 1;

	/* Header */
	if ((err = hc_b64u_decode(s, hlen, (uint8_t *)hdr, MAX_HEADER, &len)) != HC_OK)
		return err == HC_ERR_TOO_LARGE ? HC_ERR_HEADER : err;
	hdr[len] = '\0';
	if ((err = check_header(hdr, len, zip, out)) != HC_OK) {
		if (err != HC_ERR_ALG && err != HC_ERR_HEADER && err != HC_ERR_B64)
			err = HC_ERR_HEADER; /* bad JSON in the header */
		return err;
	}

	/* Signature: exactly 64 bytes, so a DER signature is refused here. */
	if ((err = hc_b64u_decode(d2 + 1, slen, out->sig, sizeof(out->sig), &len)) != HC_OK)
		return err == HC_ERR_TOO_LARGE ? HC_ERR_SIG_LEN : err;
	if (len != HC_SIG_LEN)
		return HC_ERR_SIG_LEN;

	/* Payload */
	if (!(raw = malloc(plen / 4 * 3 + 3)))
		return HC_ERR_NOMEM;
	if ((err = hc_b64u_decode(p, plen, raw, plen / 4 * 3 + 3, &rawlen)) != HC_OK)
		goto out;
	if (zip) {
		if ((err = hc_inflate(raw, rawlen, payload_cap, &plain, &len)) != HC_OK)
			goto out;
	} else {
		if (rawlen > payload_cap) {
			err = HC_ERR_TOO_LARGE;
			goto out;
		}
		plain = raw;
		raw = NULL;
		plain[rawlen] = '\0';
		len = rawlen;
	}
	out->payload = plain;
	out->payload_len = len;
	out->signing_len = (size_t)(d2 - s);
	plain = NULL;
	err = HC_OK;
out:
	free(raw);
	free(plain);
	return err;
}

static hc_err jws_verify(const struct hc_jws *j, const char *s, const struct hc_pubkey *k,
			 bool tab)
{
	/* The header's alg must be the key's own: an ES256 header naming an
	 * SM2 key, or the reverse, is refused before any arithmetic. */
	if (j->alg != hc_pubkey_alg(k)) {
		hc_set_detail("alg %s names a %s key", hc_alg_name(j->alg),
			      hc_alg_crv(hc_pubkey_alg(k)));
		return HC_ERR_ALG;
	}
	return tab ? hc_key_verify_tab(k, (const uint8_t *)s, j->signing_len, j->sig)
		   : hc_key_verify(k, (const uint8_t *)s, j->signing_len, j->sig);
}

hc_err hc_jws_verify(const struct hc_jws *j, const char *s, const struct hc_pubkey *k)
{
	return jws_verify(j, s, k, false);
}

hc_err hc_jws_verify_tab(const struct hc_jws *j, const char *s, const struct hc_pubkey *k)
{
	return jws_verify(j, s, k, true);
}
