/* t_dcc_adv.c: hostile and edge-case EU DCCs made here with real keys
 * (P-256, P-384, RSA-2048) and real certificates (dcc_adv_fx.c): each one
 * a specific failure with its reason, or a pass; and base45 (RFC 9285's
 * vectors). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "../fuzz/dcc_fx.h"
#include "dcc_adv_fx.h"
#include "hc_foreign.h"
#include "hc_trust.h"
#include "t.h"

#define T0 INT64_C(1780000000) /* the verification time */
#define DAY INT64_C(86400)
#define HOUR INT64_C(3600)

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
