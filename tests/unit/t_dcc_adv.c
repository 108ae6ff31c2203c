/* t_dcc_adv.c: hostile and edge-case EU DCCs made here with real keys
 * (P-256, P-384, RSA-2048) and real certificates: each one a specific
 * failure with its reason, or a pass; and base45 (RFC 9285's vectors). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "../fuzz/dcc_fx.h"
#include "hc_foreign.h"
#include "hc_trust.h"
#include "t.h"

#define T0 INT64_C(1780000000) /* the verification time */
#define DAY INT64_C(86400)
#define HOUR INT64_C(3600)

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

/* What to make: a valid code unless a knob says otherwise. */
struct spec {
	char type;           /* 'v', 't', 'r' */
	int64_t alg;         /* -7 or -37 */
	EVP_PKEY *key;
	const uint8_t *kid;  /* 8 bytes */
	int64_t iat, exp;
	bool float_times, kid_unprot, der_sig, dup_claim, dup_prot, indefinite, huge_exp;
	bool bignum_exp, trailing, uncompressed, deep, tamper, dup_text, no_iss;
	int tag;             /* 18 (default 0 means 18), -1 none, 61 for 61(18), else that tag */
	int crit;            /* crit (2): 0 none; [1, 4]; [99]; ["x"]; unprotected [1]; []; [1.5] */
	int64_t nbf;         /* claim 5 when not 0 */
	const char *tt, *tr;
	int64_t sc;
};

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
static char *make(const struct spec *s)
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
static struct hc_dcc_cert cert_of(EVP_PKEY *key, int64_t nb, int64_t na, const char *eku,
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

static EVP_PKEY *ec, *ec384, *rsa;
static struct hc_dcc_cert c_ec, c_rsa, c_ec384, c_old, c_test_only, c_any;
static uint8_t *ders[6];

static struct spec base(char type)
{
	struct spec s;

	memset(&s, 0, sizeof(s));
	s.type = type;
	s.alg = -7;
	s.key = ec;
	s.kid = c_ec.kid;
	s.iat = T0 - DAY;
	s.exp = T0 + DAY * 30;
	s.sc = T0 - HOUR * 5;
	return s;
}

/* Verifies s's text against certs at T0: want, and a detail for a failure. */
static void expect(const char *name, const struct spec *s, const struct hc_dcc_cert *certs,
		   size_t n, int64_t doses, int64_t nat, hc_err want)
{
	struct hc_verify_opts o;
	struct hc_foreign_result r;
	char *text = make(s);

	t_begin(name);
	hc_verify_opts_init(&o);
	o.at = T0;
	o.min_doses = doses;
	o.nat_max_age = nat;
	CHECK(text != NULL);
	if (text) {
		CHECK_ERR(hc_dcc_verify(certs, n, text, strlen(text), &o, &r), want);
		CHECK(want == HC_OK ? hc_detail()[0] == '\0' : hc_detail()[0] != '\0');
		if (want == HC_OK)
			CHECK(r.fmt == HC_FMT_DCC && r.type == s->type && strcmp(r.issuer, "AT") == 0 &&
			      strcmp(r.name, "Muster, Erika") == 0 && strcmp(r.dob, "1964-08-12") == 0 &&
			      r.iat == s->iat && r.exp == s->exp);
	}
	free(text);
	t_end();
}

static void b45_vectors(void)
{
	static const struct { const char *enc, *dec; } v[] = {
		{"BB8", "AB"}, {"%69 VD92EX0", "Hello!!"}, {"UJCLQE7W581", "base-45"},
		{"QED8WEX0", "ietf!"}, {"", ""}, {"FGW", "\xff\xff"},
	};
	static const char *bad[] = {"GGW", "A", "ZZ", "bb8", "BB8=", "BB8\n", "AB C"};
	uint8_t out[32];
	size_t n;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		t_begin(v[i].enc[0] ? v[i].enc : "b45 empty");
		CHECK_ERR(hc_b45_decode(v[i].enc, strlen(v[i].enc), out, sizeof(out), &n), HC_OK);
		CHECK(n == strlen(v[i].dec) && memcmp(out, v[i].dec, n) == 0);
		t_end();
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t_begin("b45 rejects a bad character, a group above its range, a lone character");
		CHECK_ERR(hc_b45_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n), HC_ERR_B45);
		t_end();
	}
	t_begin("b45 decode respects the output size");
	CHECK_ERR(hc_b45_decode("%69 VD92EX0", 11, out, 6, &n), HC_ERR_TOO_LARGE);
	t_end();
}

static void framing(void)
{
	struct hc_verify_opts o;
	struct hc_foreign_result r;
	char *big = malloc(HC_MAX_DCC_TEXT + 2);
	uint8_t zeros[100000] = {0}, z[1000];
	uLongf zl = sizeof(z);
	char *text;

	hc_verify_opts_init(&o);
	o.at = T0;
	t_begin("format by prefix");
	CHECK(hc_foreign_format_of("HC1:6BF", 7) == HC_FMT_DCC);
	CHECK(hc_foreign_format_of("shc:/56", 7) == HC_FMT_SHC);
	CHECK(hc_foreign_format_of("HC2:6BF", 7) == HC_FMT_DOMESTIC);
	CHECK(hc_foreign_format_of("HC1", 3) == HC_FMT_DOMESTIC);
	t_end();
	t_begin("text past the cap");
	CHECK(big != NULL);
	if (big) {
		memcpy(big, "HC1:", 4);
		memset(big + 4, '0', HC_MAX_DCC_TEXT - 2);
		CHECK_ERR(hc_dcc_verify(&c_ec, 1, big, HC_MAX_DCC_TEXT + 2, &o, &r), HC_ERR_TOO_LARGE);
	}
	free(big);
	t_end();
	t_begin("wrong prefixes");
	CHECK_ERR(hc_dcc_verify(&c_ec, 1, "HC2:BB8", 7, &o, &r), HC_ERR_QR_PREFIX);
	CHECK_ERR(hc_dcc_verify(&c_ec, 1, "hc1:BB8", 7, &o, &r), HC_ERR_QR_PREFIX);
	CHECK_ERR(hc_dcc_verify(&c_ec, 1, "HC1:", 4, &o, &r), HC_ERR_INFLATE);
	t_end();
	t_begin("a zlib bomb stops at the cap");
	text = dcc_fx_text(zeros, sizeof(zeros), 9);
	CHECK(text && hc_dcc_verify(&c_ec, 1, text, strlen(text), &o, &r) == HC_ERR_INFLATE_CAP);
	free(text);
	t_end();
	t_begin("a truncated zlib stream");
	CHECK(compress2(z, &zl, zeros, 1000, 9) == Z_OK);
	text = dcc_fx_frame(z, zl - 4);
	CHECK(text && hc_dcc_verify(&c_ec, 1, text, strlen(text), &o, &r) == HC_ERR_INFLATE);
	free(text);
	t_end();
}

/* Raw bytes as the COSE message, compressed and framed here. */
static void raw(const char *name, const uint8_t *b, size_t n, hc_err want)
{
	struct hc_verify_opts o;
	struct hc_foreign_result r;
	char *text = dcc_fx_text(b, n, 9);

	t_begin(name);
	hc_verify_opts_init(&o);
	o.at = T0;
	CHECK(text != NULL);
	if (text) {
		CHECK_ERR(hc_dcc_verify(&c_ec, 1, text, strlen(text), &o, &r), want);
		CHECK(hc_detail()[0] != '\0');
	}
	free(text);
	t_end();
}

static void raw_cbor(void)
{
	static const struct {
		const char *name;
		const char *b;
		size_t n;
	} v[] = {
		{"empty COSE message", "", 0},
		{"COSE_Sign1 truncated", "\xd2\x84\x43\xa1\x01\x26", 6},
		{"a lone break byte", "\xff", 1},
		{"reserved additional information", "\xd2\x9c", 2},
		{"unassigned simple value", "\xd2\x84\xf0\xa0\x40\x40", 6},
		{"simple value in two bytes", "\xd2\x84\xf8\x20\xa0\x40\x40", 7},
		{"array of 2^32-1 elements", "\xd2\x9a\xff\xff\xff\xff\x00", 7},
		{"map of 2^63 pairs", "\xbb\x80\x00\x00\x00\x00\x00\x00\x00", 9},
		{"text key cut short after an equal-length key", "\xa2\x63" "abc\x01\x63" "a", 8},
		{"a map key that is a map", "\xa1\xa0\x01", 3},
		{"a tag inside COSE_Sign1", "\xd2\x84\xc0\x40\xa0\x40\x40", 7},
		{"tag 61 without tag 18", "\xd8\x3d\x84\x40\xa0\x40\x40", 7},
		{"tag 18 around tag 61", "\xd2\xd8\x3d\x84\x40\xa0\x40\x40", 8},
		{"COSE_Sign1 of three", "\xd2\x83\x40\xa0\x40", 5},
		{"payload nil (detached)", "\xd2\x84\x40\xa0\xf6\x40", 6},
		{"invalid UTF-8 text", "\xd2\x84\x40\xa1\x61\xff\x01\x40\x40", 9},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		raw(v[i].name, (const uint8_t *)v[i].b, v[i].n, HC_ERR_CBOR);
	raw("no alg", (const uint8_t *)"\xd2\x84\x40\xa1\x04\x41\x00\x40\x40", 9, HC_ERR_HEADER);
	raw("alg EdDSA", (const uint8_t *)"\xd2\x84\x40\xa2\x01\x27\x04\x41\x00\x40\x40", 11,
	    HC_ERR_ALG);
	raw("protected header not a map", (const uint8_t *)"\xd2\x84\x41\x01\xa0\x40\x40", 7,
	    HC_ERR_HEADER);
}

static void codes(void)
{
	struct spec s;
	struct hc_dcc_cert pair[2];

	s = base('v'), expect("valid ES256 vaccination", &s, &c_ec, 1, 0, 0, HC_OK);
	s = base('t'), expect("valid ES256 test", &s, &c_ec, 1, 0, 0, HC_OK);
	s = base('r'), expect("valid ES256 recovery", &s, &c_ec, 1, 0, 0, HC_OK);
	s = base('v'), s.alg = -37, s.key = rsa, s.kid = c_rsa.kid;
	expect("valid PS256 vaccination", &s, &c_rsa, 1, 0, 0, HC_OK);
	s = base('v'), s.tag = -1, expect("untagged COSE_Sign1", &s, &c_ec, 1, 0, 0, HC_OK);
	s = base('v'), s.tag = 61, expect("CWT tag 61 around tag 18", &s, &c_ec, 1, 0, 0, HC_OK);
	s = base('v'), s.tag = 98, expect("COSE_Sign tag 98: wrong tag", &s, &c_ec, 1, 0, 0, HC_ERR_CBOR);
	s = base('v'), s.tag = 17, expect("tag 17: wrong tag", &s, &c_ec, 1, 0, 0, HC_ERR_CBOR);
	{
		/* iss is optional: the issuer shown is then the country the
		 * trust data names the signer by; a code's own iss wins */
		struct hc_verify_opts o;
		struct hc_foreign_result r;
		struct hc_dcc_cert lu = c_ec;
		char *with, *without;

		memcpy(lu.country, "LU", 3);
		s = base('v'), with = make(&s);
		s.no_iss = true, without = make(&s);
		t_begin("no iss: the signer certificate's country is the issuer");
		hc_verify_opts_init(&o);
		o.at = T0;
		CHECK(without && hc_dcc_verify(&lu, 1, without, strlen(without), &o, &r) == HC_OK &&
		      r.verified && strcmp(r.issuer, "LU") == 0 && strcmp(r.name, "Muster, Erika") == 0);
		CHECK(with && hc_dcc_verify(&lu, 1, with, strlen(with), &o, &r) == HC_OK &&
		      r.verified && strcmp(r.issuer, "AT") == 0);
		CHECK(without && hc_dcc_verify(&c_rsa, 1, without, strlen(without), &o, &r) ==
					 HC_ERR_UNKNOWN_KEY && !r.verified && !r.issuer[0]);
		free(with);
		free(without);
		t_end();
	}
	s = base('v'), s.float_times = true;
	s.iat = T0 - DAY, s.exp = T0 + DAY;
	{
		struct hc_verify_opts o;
		struct hc_foreign_result r;
		char *text = make(&s);

		t_begin("float times are read (whole seconds)");
		hc_verify_opts_init(&o);
		o.at = T0;
		CHECK(text && hc_dcc_verify(&c_ec, 1, text, strlen(text), &o, &r) == HC_OK &&
		      r.iat == s.iat && r.exp == s.exp);
		free(text);
		t_end();
	}
	s = base('v'), s.kid_unprot = true;
	expect("kid in the unprotected header", &s, &c_ec, 1, 0, 0, HC_OK);
	s = base('v'), s.uncompressed = true;
	expect("uncompressed COSE refused", &s, &c_ec, 1, 0, 0, HC_ERR_INFLATE);
	s = base('v'), s.trailing = true;
	expect("a byte after the COSE item", &s, &c_ec, 1, 0, 0, HC_ERR_CBOR);
	s = base('v'), s.indefinite = true;
	expect("indefinite-length array refused", &s, &c_ec, 1, 0, 0, HC_ERR_CBOR);
	s = base('v'), s.dup_claim = true;
	expect("duplicate claim key", &s, &c_ec, 1, 0, 0, HC_ERR_CLAIMS);
	s = base('v'), s.dup_text = true;
	expect("duplicate text key in the content", &s, &c_ec, 1, 0, 0, HC_ERR_CLAIMS);
	s = base('v'), s.dup_prot = true;
	expect("duplicate protected header key", &s, &c_ec, 1, 0, 0, HC_ERR_HEADER);
	s = base('v'), s.huge_exp = true;
	expect("exp of 2^64-1", &s, &c_ec, 1, 0, 0, HC_ERR_CLAIMS);
	s = base('v'), s.bignum_exp = true;
	expect("exp as a bignum", &s, &c_ec, 1, 0, 0, HC_ERR_CLAIMS);
	s = base('v'), s.deep = true;
	expect("claims nested 40 deep", &s, &c_ec, 1, 0, 0, HC_ERR_CLAIMS);
	/* crit (RFC 9052): only labels this verifier acts on, protected */
	s = base('v'), s.crit = 1, expect("crit naming alg and kid", &s, &c_ec, 1, 0, 0, HC_OK);
	s = base('v'), s.crit = 2;
	expect("crit naming an unknown label", &s, &c_ec, 1, 0, 0, HC_ERR_HEADER);
	s = base('v'), s.crit = 3;
	expect("crit naming a text label", &s, &c_ec, 1, 0, 0, HC_ERR_HEADER);
	s = base('v'), s.crit = 4;
	expect("crit in the unprotected header", &s, &c_ec, 1, 0, 0, HC_ERR_HEADER);
	s = base('v'), s.crit = 5, expect("crit empty", &s, &c_ec, 1, 0, 0, HC_ERR_HEADER);
	s = base('v'), s.crit = 6, expect("crit holding a float", &s, &c_ec, 1, 0, 0, HC_ERR_HEADER);
	s = base('v'), s.crit = 1, s.kid_unprot = 1;
	expect("crit naming kid, which is in the unprotected header", &s, &c_ec, 1, 0, 0,
	       HC_ERR_HEADER);
	/* nbf (5), when there */
	s = base('v'), s.nbf = T0 - HOUR, expect("nbf an hour ago", &s, &c_ec, 1, 0, 0, HC_OK);
	s = base('v'), s.nbf = T0 + 200, expect("nbf within the skew", &s, &c_ec, 1, 0, 0, HC_OK);
	s = base('v'), s.nbf = T0 + HOUR;
	expect("nbf an hour ahead", &s, &c_ec, 1, 0, 0, HC_ERR_NOT_YET_VALID);
	s = base('v'), s.der_sig = true;
	expect("a DER signature, not raw r||s", &s, &c_ec, 1, 0, 0, HC_ERR_SIG_LEN);
	s = base('v'), s.tamper = true;
	expect("a payload byte changed", &s, &c_ec, 1, 0, 0, HC_ERR_BAD_SIG);
	s = base('v'), s.kid = c_rsa.kid;
	expect("ES256 header over an RSA certificate", &s, &c_rsa, 1, 0, 0, HC_ERR_BAD_SIG);
	s = base('v'), s.alg = -37;
	expect("PS256 header over an EC certificate", &s, &c_ec, 1, 0, 0, HC_ERR_BAD_SIG);
	s = base('v'), s.key = ec384, s.kid = c_ec384.kid;
	expect("ES256 header over a P-384 certificate", &s, &c_ec384, 1, 0, 0, HC_ERR_BAD_SIG);
	s = base('v'), s.kid = c_rsa.kid;
	expect("a kid that matches no certificate", &s, &c_ec, 1, 0, 0, HC_ERR_UNKNOWN_KEY);
	pair[0] = c_rsa, pair[1] = c_ec;
	memcpy(pair[0].kid, c_ec.kid, 8);
	s = base('v'), expect("every certificate with the kid is tried", &s, pair, 2, 0, 0, HC_OK);
	s = base('v'), s.kid = c_old.kid;
	expect("exp past the certificate's notAfter", &s, &c_old, 1, 0, 0, HC_ERR_KEY_NOT_VALID);
	s = base('v'), s.kid = c_old.kid, s.iat = T0 - DAY * 400, s.exp = T0 + 60;
	expect("iat before the certificate's notBefore", &s, &c_old, 1, 0, 0, HC_ERR_KEY_NOT_VALID);
	s = base('v'), s.exp = T0 - 1, expect("expired", &s, &c_ec, 1, 0, 0, HC_ERR_EXPIRED);
	s = base('v'), s.iat = T0 + HOUR;
	expect("issued in the future", &s, &c_ec, 1, 0, 0, HC_ERR_IAT_FUTURE);
	s = base('v'), s.iat = T0 + 200, expect("iat within the skew", &s, &c_ec, 1, 0, 0, HC_OK);
	s = base('v'), s.kid = c_test_only.kid;
	expect("vaccination by a test-only signer", &s, &c_test_only, 1, 0, 0, HC_ERR_KEY_USAGE);
	s = base('t'), s.kid = c_test_only.kid;
	expect("test by a test-only signer", &s, &c_test_only, 1, 0, 0, HC_OK);
	s = base('r'), s.kid = c_any.kid;
	expect("recovery by a TLS-only signer (no DCC purpose)", &s, &c_any, 1, 0, 0, HC_OK);
	s = base('v'), expect("2 doses meet 2", &s, &c_ec, 1, 2, 0, HC_OK);
	s = base('v'), expect("2 doses miss 3", &s, &c_ec, 1, 3, 0, HC_ERR_REQ_DOSES);
	s = base('t'), expect("a test for doses", &s, &c_ec, 1, 1, 0, HC_ERR_REQ_DOSES);
	s = base('t'), expect("NAAT 5 h old meets 24 h", &s, &c_ec, 1, 0, 86400, HC_OK);
	s = base('t'), expect("NAAT 5 h old misses 4 h", &s, &c_ec, 1, 0, 4 * HOUR, HC_ERR_REQ_NAT);
	s = base('t'), s.tt = "LP217198-3";
	expect("RAT for NAAT", &s, &c_ec, 1, 0, 86400, HC_ERR_REQ_NAT);
	s = base('t'), s.tr = "260373001";
	expect("positive test for NAAT", &s, &c_ec, 1, 0, 86400, HC_ERR_REQ_NAT);
	s = base('v'), expect("a vaccination for NAAT", &s, &c_ec, 1, 0, 86400, HC_ERR_REQ_NAT);
}

void t_main(void)
{
	b45_vectors();
	ec = EVP_EC_gen("P-256");
	ec384 = EVP_EC_gen("P-384");
	rsa = EVP_RSA_gen(2048);
	t_begin("keys");
	CHECK(ec && ec384 && rsa);
	t_end();
	if (!ec || !ec384 || !rsa)
		return;
	c_ec = cert_of(ec, T0 - DAY * 365, T0 + DAY * 365, NULL, &ders[0]);
	c_rsa = cert_of(rsa, T0 - DAY * 365, T0 + DAY * 365, NULL, &ders[1]);
	c_ec384 = cert_of(ec384, T0 - DAY * 365, T0 + DAY * 365, NULL, &ders[2]);
	c_old = cert_of(ec, T0 - DAY * 30, T0 + DAY, NULL, &ders[3]);
	c_test_only = cert_of(ec, T0 - DAY * 365, T0 + DAY * 365, "1.3.6.1.4.1.1847.2021.1.1",
			      &ders[4]);
	c_any = cert_of(ec, T0 - DAY * 365, T0 + DAY * 365, "clientAuth,emailProtection",
			&ders[5]);
	framing();
	raw_cbor();
	codes();
	for (size_t i = 0; i < 6; i++)
		OPENSSL_free(ders[i]);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec384);
	EVP_PKEY_free(rsa);
}
