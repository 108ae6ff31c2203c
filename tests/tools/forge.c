/* forge.c: test tool that builds arbitrary (hostile) tokens: any header,
 * any payload, deflated or not, signed with a given key, signature as R||S
 * or DER, given as raw bytes, an HMAC-SHA256 (alg confusion), or left
 * unsigned for the openssl command line to sign. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "hc_sign.h"

#define MAX_IN (4u << 20)

static int usage(void)
{
	fputs("usage: forge KEY HEADER|@FILE PAYLOADFILE [zip|raw] "
	      "[rs|der|unsigned|hex:HEX|hmac:SECRETFILE]\n"
	      "  KEY is only read for rs and der (else give -)\n",
	      stderr);
	return 2;
}

static char *b64(const uint8_t *p, size_t n)
{
	char *s = malloc(hc_b64u_enclen(n) + 1);

	if (!s || hc_b64u_encode(p, n, s, hc_b64u_enclen(n) + 1) != HC_OK)
		exit(2);
	return s;
}

/* "hex:..." -> bytes (any length, so r or s can be 0, n, or too long). */
static uint8_t *unhex(const char *h, size_t *n)
{
	size_t l = strlen(h);
	uint8_t *b = malloc(l / 2 + 1);

	if (!b || l % 2)
		exit(2);
	for (size_t i = 0; i < l; i += 2) {
		char pair[3] = {h[i], h[i + 1], '\0'}, *end;
		long v = strtol(pair, &end, 16);

		if (*end != '\0')
			exit(2);
		b[i / 2] = (uint8_t)v;
	}
	*n = l / 2;
	return b;
}

int main(int argc, char **argv)
{
	struct hc_privkey *k = NULL;
	uint8_t *pl = NULL, *z = NULL, sig[HC_SIG_LEN], *der = NULL, *hb = NULL, *raw = NULL;
	uint8_t *secret = NULL, mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t pn, zn, dn, hn, rn, sn;
	char *h = NULL, *p = NULL, *si = NULL, *msg = NULL;
	const char *mode;
	bool zip;
	int rc = 2;

	if (argc != 6)
		return usage();
	zip = strcmp(argv[4], "zip") == 0;
	mode = argv[5];
	if (hc_read_file(argv[3], MAX_IN, &pl, &pn) != HC_OK)
		return 2;
	if (argv[2][0] == '@') {
		if (hc_read_file(argv[2] + 1, MAX_IN, &hb, &hn) != HC_OK)
			goto out;
	} else {
		hn = strlen(argv[2]);
		if (!(hb = malloc(hn + 1)))
			goto out;
		memcpy(hb, argv[2], hn + 1);
	}
	if (zip) {
		if (hc_deflate(pl, pn, &z, &zn) != HC_OK)
			goto out;
	} else {
		z = pl, zn = pn, pl = NULL;
	}
	h = b64(hb, hn);
	p = b64(z, zn);
	if (!(msg = malloc(strlen(h) + strlen(p) + 2)))
		goto out;
	(void)snprintf(msg, strlen(h) + strlen(p) + 2, "%s.%s", h, p);
	if (strcmp(mode, "unsigned") == 0) {
		printf("%s\n", msg);
		rc = 0;
		goto out;
	}
	if (strncmp(mode, "hex:", 4) == 0) {
		raw = unhex(mode + 4, &rn);
		si = b64(raw, rn);
	} else if (strncmp(mode, "hmac:", 5) == 0) {
		/* HS256 keyed with the bytes of a file (e.g. the issuer's public key) */
		if (hc_read_file(mode + 5, MAX_IN, &secret, &sn) != HC_OK ||
		    !HMAC(EVP_sha256(), secret, (int)sn, (const uint8_t *)msg, strlen(msg), mac,
			  &maclen))
			goto out;
		si = b64(mac, maclen);
	} else if (strcmp(mode, "rs") == 0 || strcmp(mode, "der") == 0) {
		if (hc_privkey_load(argv[1], &k) != HC_OK ||
		    hc_es256_sign(k, (const uint8_t *)msg, strlen(msg), sig) != HC_OK)
			goto out;
		if (strcmp(mode, "der") == 0) {
			if (hc_sig_raw_to_der(sig, &der, &dn) != HC_OK)
				goto out;
			si = b64(der, dn);
		} else {
			si = b64(sig, sizeof(sig));
		}
	} else {
		rc = usage();
		goto out;
	}
	printf("%s.%s\n", msg, si);
	rc = 0;
out:
	free(si), free(msg), free(h), free(p), free(pl), free(z), free(der), free(hb), free(raw);
	free(secret);
	hc_privkey_free(k);
	return fflush(stdout) == 0 ? rc : 2;
}
