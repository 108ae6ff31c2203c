/* dcc_adv_fx.c: EU DCCs made for t_dcc_adv (dcc_adv_fx.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "../fuzz/dcc_fx.h"
#include "dcc_adv_fx.h"
#include "hc_foreign.h"

struct buf {
	uint8_t b[70000];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n <= sizeof(b->b)) {
		memcpy(b->b + b->n, p, n);
		b->n += n;
	}
}

static void hd(struct buf *b, unsigned mt, uint64_t v)
{
	uint8_t h[9];
	size_t l = 1;

	if (v < 24) {
		h[0] = (uint8_t)(mt << 5 | v);
	} else {
		int k = v < 0x100 ? 0 : v < 0x10000 ? 1 : v < 0x100000000 ? 2 : 3;

		h[0] = (uint8_t)(mt << 5 | (24 + k));
		l = 1 + ((size_t)1 << k);
		for (size_t i = 1; i < l; i++)
			h[i] = (uint8_t)(v >> (8 * (l - 1 - i)));
	}
	put(b, h, l);
}

static void num(struct buf *b, int64_t v)
{
	if (v >= 0)
		hd(b, 0, (uint64_t)v);
	else
		hd(b, 1, (uint64_t)(-1 - v));
}

static void tx(struct buf *b, const char *s)
{
	hd(b, 3, strlen(s));
	put(b, s, strlen(s));
}

static void by(struct buf *b, const uint8_t *p, size_t n)
{
	hd(b, 2, n);
	put(b, p, n);
}


static void hcert(struct buf *b, const struct spec *s)
{
	hd(b, 5, 4 + s->dup_text);
	tx(b, "ver"), tx(b, "1.3.0");
	if (s->dup_text)
		tx(b, "ver"), tx(b, "1.0.0");
	tx(b, "nam"), hd(b, 5, 3), tx(b, "fn"), tx(b, "Muster"), tx(b, "fnt"), tx(b, "MUSTER"),
		tx(b, "gn"), tx(b, "Erika");
	tx(b, "dob"), tx(b, "1964-08-12");
	hd(b, 3, 1), put(b, &s->type, 1), hd(b, 4, 1);
	if (s->type == 'v') {
		hd(b, 5, 10);
		tx(b, "tg"), tx(b, "840539006"), tx(b, "vp"), tx(b, "1119349007");
		tx(b, "mp"), tx(b, "EU/1/20/1528"), tx(b, "ma"), tx(b, "ORG-100030215");
		tx(b, "dn"), num(b, 2), tx(b, "sd"), num(b, 2), tx(b, "dt"), tx(b, "2026-05-29");
		tx(b, "co"), tx(b, "AT"), tx(b, "is"), tx(b, "Ministry"), tx(b, "ci"), tx(b, "URN:UVCI:1");
	} else if (s->type == 't') {
		char sc[24];

		hc_time_format(s->sc, sc, sizeof(sc));
		hd(b, 5, 7);
		tx(b, "tg"), tx(b, "840539006"), tx(b, "tt"), tx(b, s->tt ? s->tt : "LP6464-4");
		tx(b, "sc"), hd(b, 6, 0), tx(b, sc), tx(b, "tr"), tx(b, s->tr ? s->tr : "260415000");
		tx(b, "co"), tx(b, "AT"), tx(b, "is"), tx(b, "Ministry"), tx(b, "ci"), tx(b, "URN:UVCI:2");
	} else {
		hd(b, 5, 7);
		tx(b, "tg"), tx(b, "840539006"), tx(b, "fr"), tx(b, "2026-01-10");
		tx(b, "df"), tx(b, "2026-01-20"), tx(b, "du"), tx(b, "2026-07-10");
		tx(b, "co"), tx(b, "AT"), tx(b, "is"), tx(b, "Ministry"), tx(b, "ci"), tx(b, "URN:UVCI:3");
	}
}

static void time_claim(struct buf *b, const struct spec *s, int64_t t)
{
	if (s->float_times) {
		double d = (double)t + 0.5;
		uint64_t u;
		uint8_t f[9] = {0xfb};

		memcpy(&u, &d, 8);
		for (int i = 0; i < 8; i++)
			f[1 + i] = (uint8_t)(u >> (56 - 8 * i));
		put(b, f, 9);
	} else {
		num(b, t);
	}
}

static void claims(struct buf *b, const struct spec *s)
{
	if (s->deep) {
		for (int i = 0; i < 40; i++)
			hd(b, 4, 1);
		num(b, 0);
		return;
	}
	hd(b, 5, (s->dup_claim ? 5u : 4u) - (s->no_iss ? 1u : 0u) + (s->nbf ? 1u : 0u));
	if (!s->no_iss)
		num(b, 1), tx(b, "AT");
	if (s->nbf)
		num(b, 5), num(b, s->nbf);
	num(b, 6), time_claim(b, s, s->iat);
	num(b, 4);
	if (s->huge_exp)
		hd(b, 0, UINT64_MAX);
	else if (s->bignum_exp)
		hd(b, 6, 2), by(b, (const uint8_t *)"\x01\x00\x00\x00\x00\x00\x00\x00\x00", 9);
	else
		time_claim(b, s, s->exp);
	if (s->dup_claim)
		num(b, 4), num(b, s->exp);
	num(b, -260), hd(b, 5, 1), num(b, 1), hcert(b, s);
}

static bool sign(const struct spec *s, const uint8_t *tbs, size_t tl, uint8_t *sig, size_t *sl)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	uint8_t der[600];
	size_t dl = sizeof(der);
	bool ok = md && EVP_DigestSignInit(md, &pc, EVP_sha256(), NULL, s->key) == 1;

	if (ok && EVP_PKEY_is_a(s->key, "RSA"))
		ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 32) == 1;
	ok = ok && EVP_DigestSign(md, der, &dl, tbs, tl) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return false;
	if (s->der_sig || !EVP_PKEY_is_a(s->key, "EC")) {
		memcpy(sig, der, dl);
		*sl = dl;
		return true;
	}
	const uint8_t *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)dl);
	int half = (EVP_PKEY_get_bits(s->key) + 7) / 8;

	ok = es && BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, half) == half &&
	     BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + half, half) == half;
	ECDSA_SIG_free(es);
	*sl = 2 * (size_t)half;
	return ok;
}

/* The QR text of s in out (malloc'd). */
char *make(const struct spec *s)
{
	static struct buf prot, pay, tbs, cose;
	uint8_t sig[600];
	size_t sl = 0;

	prot.n = pay.n = tbs.n = cose.n = 0;
	hd(&prot, 5, (s->kid_unprot ? 1u : 2u) + s->dup_prot + (s->crit && s->crit != 4));
	num(&prot, 1), num(&prot, s->alg ? s->alg : -7);
	if (s->crit == 1)
		num(&prot, 2), hd(&prot, 4, 2), num(&prot, 1), num(&prot, 4);
	else if (s->crit == 2)
		num(&prot, 2), hd(&prot, 4, 1), num(&prot, 99);
	else if (s->crit == 3)
		num(&prot, 2), hd(&prot, 4, 1), tx(&prot, "x");
	else if (s->crit == 5)
		num(&prot, 2), hd(&prot, 4, 0);
	else if (s->crit == 6)
		num(&prot, 2), hd(&prot, 4, 1), put(&prot, "\xf9\x3e\x00", 3); /* 1.5, half float */
	if (!s->kid_unprot)
		num(&prot, 4), by(&prot, s->kid, 8);
	if (s->dup_prot)
		num(&prot, 1), num(&prot, -7);
	claims(&pay, s);
	hd(&tbs, 4, 4), tx(&tbs, "Signature1"), by(&tbs, prot.b, prot.n), by(&tbs, (const uint8_t *)"", 0),
		by(&tbs, pay.b, pay.n);
	if (!sign(s, tbs.b, tbs.n, sig, &sl))
		return NULL;
	if (s->tamper)
		pay.b[pay.n - 1] ^= 1;
	if (s->tag == 61)
		hd(&cose, 6, 61);
	if (s->tag == 0 || s->tag == 61)
		hd(&cose, 6, 18);
	else if (s->tag > 0)
		hd(&cose, 6, (uint64_t)s->tag);
	if (s->indefinite)
		put(&cose, "\x9f", 1);
	else
		hd(&cose, 4, 4);
	by(&cose, prot.b, prot.n);
	hd(&cose, 5, (s->kid_unprot ? 1u : 0u) + (s->crit == 4));
	if (s->kid_unprot)
		num(&cose, 4), by(&cose, s->kid, 8);
	if (s->crit == 4)
		num(&cose, 2), hd(&cose, 4, 1), num(&cose, 1);
	by(&cose, pay.b, pay.n), by(&cose, sig, sl);
	if (s->indefinite)
		put(&cose, "\xff", 1);
	if (s->trailing)
		put(&cose, "\x00", 1);
	return s->uncompressed ? dcc_fx_frame(cose.b, cose.n) : dcc_fx_text(cose.b, cose.n, 9);
}

/* A self-signed signer certificate for key, valid nb..na, with an
 * extended key usage (OIDs, comma separated) when eku is not NULL. */
struct hc_dcc_cert cert_of(EVP_PKEY *key, int64_t nb, int64_t na, const char *eku,
			   uint8_t **der)
{
	struct hc_dcc_cert c;
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	int l;

	memset(&c, 0, sizeof(c));
	*der = NULL;
	if (!x || !nm || X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na) ||
	    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"DSC", -1, -1,
				       0) != 1 ||
	    X509_set_subject_name(x, nm) != 1 || X509_set_issuer_name(x, nm) != 1 ||
	    X509_set_pubkey(x, key) != 1)
		goto out;
	if (eku) {
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage, eku);

		if (!ext || X509_add_ext(x, ext, -1) != 1)
			goto out;
		X509_EXTENSION_free(ext);
	}
	if (X509_sign(x, key, EVP_sha256()) <= 0 || (l = i2d_X509(x, der)) <= 0)
		goto out;
	c.der = *der;
	c.der_len = (size_t)l;
	if (hc_dcc_kid(c.der, c.der_len, c.kid) != HC_OK)
		c.der_len = 0;
	memcpy(c.country, "AT", 3);
out:
	X509_NAME_free(nm);
	X509_free(x);
	return c;
}
