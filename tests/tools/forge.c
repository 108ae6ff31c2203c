/* forge.c: test tool that builds arbitrary (hostile) tokens: any header,
 * any payload, deflated or not, signed with a given key, signature as R||S
 * or DER, or left unsigned for the openssl command line to sign. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_sign.h"

static int usage(void)
{
	fputs("usage: forge KEY HEADER PAYLOADFILE [zip|raw] [rs|der|unsigned]\n", stderr);
	return 2;
}

static char *b64(const uint8_t *p, size_t n)
{
	char *s = malloc(hc_b64u_enclen(n) + 1);

	if (!s || hc_b64u_encode(p, n, s, hc_b64u_enclen(n) + 1) != HC_OK)
		exit(2);
	return s;
}

int main(int argc, char **argv)
{
	struct hc_privkey *k = NULL;
	uint8_t *pl = NULL, *z = NULL, sig[HC_SIG_LEN], *der = NULL;
	size_t pn, zn, dn;
	char *h = NULL, *p = NULL, *si = NULL, *msg = NULL;
	bool zip, dersig, unsig;
	int rc = 2;

	if (argc != 6)
		return usage();
	zip = strcmp(argv[4], "zip") == 0;
	dersig = strcmp(argv[5], "der") == 0;
	unsig = strcmp(argv[5], "unsigned") == 0;
	if (hc_read_file(argv[3], 1u << 22, &pl, &pn) != HC_OK)
		return 2;
	if (zip) {
		if (hc_deflate(pl, pn, &z, &zn) != HC_OK)
			goto out;
	} else {
		z = pl, zn = pn, pl = NULL;
	}
	h = b64((const uint8_t *)argv[2], strlen(argv[2]));
	p = b64(z, zn);
	if (!(msg = malloc(strlen(h) + strlen(p) + 2)))
		goto out;
	(void)snprintf(msg, strlen(h) + strlen(p) + 2, "%s.%s", h, p);
	if (unsig) {
		printf("%s\n", msg);
		rc = 0;
		goto out;
	}
	if (hc_privkey_load(argv[1], &k) != HC_OK ||
	    hc_es256_sign(k, (const uint8_t *)msg, strlen(msg), sig) != HC_OK)
		goto out;
	if (dersig) {
		if (hc_sig_raw_to_der(sig, &der, &dn) != HC_OK)
			goto out;
		si = b64(der, dn);
	} else {
		si = b64(sig, sizeof(sig));
	}
	printf("%s.%s\n", msg, si);
	rc = 0;
out:
	free(si), free(msg), free(h), free(p), free(pl), free(z), free(der);
	hc_privkey_free(k);
	return fflush(stdout) == 0 ? rc : 2;
}
