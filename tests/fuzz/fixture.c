/* fixture.c: the fixed trust store of the verification fuzz targets, and
 * an independent signature check for their "a pass is really signed"
 * assertion: OpenSSL's EVP API on the committed PEM public keys, with its
 * own QR and base64url decoding, so a libhc bug cannot hide itself. */
#include <dirent.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fixture.h"

#define MAX_PUB 16

static struct hc_trust *trust;
static struct pubkey {
	char kid[HC_KID_LEN + 1];
	char iss[256];
	EVP_PKEY *pkey;
} pub[MAX_PUB];
static size_t npub;

static const char *fx_dir(void)
{
	const char *d = getenv("HC_FUZZ_DIR");

	return d && d[0] ? d : "tests/fuzz";
}

/* DIR/pub/KID.pem: first line the iss, then the PEM public key. */
static void load_pub(const char *dir)
{
	char path[4096];
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "%s/pub", dir);
	if (!(d = opendir(path))) {
		fprintf(stderr, "fixture: cannot open %s\n", path);
		abort();
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		struct pubkey *k = &pub[npub];
		FILE *f;

		if (l != HC_KID_LEN + 4 || strcmp(de->d_name + HC_KID_LEN, ".pem") != 0)
			continue;
		FX_CHECK(npub < MAX_PUB);
		memcpy(k->kid, de->d_name, HC_KID_LEN);
		k->kid[HC_KID_LEN] = '\0';
		snprintf(path, sizeof(path), "%s/pub/%s", dir, de->d_name);
		FX_CHECK((f = fopen(path, "r")) != NULL);
		FX_CHECK(fgets(k->iss, sizeof(k->iss), f) != NULL);
		k->iss[strcspn(k->iss, "\n")] = '\0';
		/* PEM_read skips the text before the BEGIN line */
		FX_CHECK((k->pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL)) != NULL);
		fclose(f);
		npub++;
	}
	closedir(d);
	FX_CHECK(npub > 0);
}

const struct hc_trust *fx_trust(void)
{
	char path[4096];
	hc_err err;

	if (trust)
		return trust;
	snprintf(path, sizeof(path), "%s/trust", fx_dir());
	/* hc_trust_load writes nothing (no revocation index) into the dir */
	if ((err = hc_trust_load(path, &trust)) != HC_OK) {
		fprintf(stderr, "fixture: trust store %s: %s (%s); run tests/fuzz/make_trust.sh\n",
			path, hc_strerror(err), hc_detail());
		abort();
	}
	FX_CHECK(hc_trust_issuer_count(trust) > 0);
	load_pub(fx_dir());
	return trust;
}

bool fx_qr_decode(const char *text, size_t n, char *tok, size_t toksz, size_t *toklen)
{
	size_t o = 0;

	if (n < 4 || n > HC_MAX_QR_TEXT || memcmp(text, "hc:/", 4) != 0 || (n - 4) % 2 != 0 ||
	    (n - 4) / 2 >= toksz)
		return false;
	for (size_t i = 4; i < n; i += 2) {
		int hi = text[i] - '0', lo = text[i + 1] - '0';

		if (hi < 0 || hi > 9 || lo < 0 || lo > 9 || hi * 10 + lo > 77)
			return false;
		tok[o++] = (char)(hi * 10 + lo + 45);
	}
	tok[o] = '\0';
	*toklen = o;
	return o > 0;
}

/* Unpadded base64url into exactly outlen bytes. */
static bool b64u(const char *s, size_t n, unsigned char *out, size_t outlen)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	size_t bits = 0, o = 0;

	for (size_t i = 0; i < n; i++) {
		const char *p = s[i] ? memchr(alpha, s[i], 64) : NULL;

		if (!p)
			return false;
		acc = (acc << 6) | (uint32_t)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outlen)
				return false;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o == outlen;
}

bool fx_really_signed(const char *tok, size_t n, const char *kid, const char *iss)
{
	const char *d1, *d2;
	unsigned char rs[64], *der = NULL, *p;
	const struct pubkey *k = NULL;
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	EVP_MD_CTX *md = NULL;
	int derlen;
	bool ok = false;

	for (size_t i = 0; i < npub; i++)
		if (strcmp(pub[i].kid, kid) == 0)
			k = &pub[i];
	if (!k || strcmp(k->iss, iss) != 0)
		return false;
	if (!(d1 = memchr(tok, '.', n)) || !(d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - tok))) ||
	    !b64u(d2 + 1, n - (size_t)(d2 + 1 - tok), rs, sizeof(rs)))
		return false;
	if (!(sig = ECDSA_SIG_new()) || !(r = BN_bin2bn(rs, 32, NULL)) ||
	    !(s = BN_bin2bn(rs + 32, 32, NULL)) || ECDSA_SIG_set0(sig, r, s) != 1)
		goto out;
	r = s = NULL;
	if ((derlen = i2d_ECDSA_SIG(sig, NULL)) <= 0 || !(der = OPENSSL_malloc((size_t)derlen)))
		goto out;
	p = der;
	if (i2d_ECDSA_SIG(sig, &p) != derlen || !(md = EVP_MD_CTX_new()) ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k->pkey) != 1)
		goto out;
	ok = EVP_DigestVerify(md, der, (size_t)derlen, (const unsigned char *)tok,
			      (size_t)(d2 - tok)) == 1;
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return ok;
}
