/* dcc.c: EU Digital COVID Certificates ("HC1:" QR text) verified offline:
 * base45, zlib under a cap, COSE_Sign1 by a signer certificate found by
 * kid, CWT claims and times, the certificate content, the signer's key
 * usage and the checkpoint's requirements. Order and caps: doc/FORMATS.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dcc_int.h"

#define DCC_PREFIX "HC1:"

hc_err hc_dcc_kid(const uint8_t *der, size_t n, uint8_t kid[8])
{
	uint8_t h[SHA256_DIGEST_LENGTH];

	if (!SHA256(der, n, h))
		return HC_ERR_CRYPTO;
	memcpy(kid, h, 8);
	return HC_OK;
}

/* zlib (RFC 1950) inflate of the whole input into at most cap bytes. */
static hc_err dcc_inflate(const uint8_t *in, size_t n, uint8_t **out, size_t *outlen)
{
	hc_err err;

	*out = NULL;
	*outlen = 0;
	if (n == 0 || in[0] == 0xd2 || in[0] == 0xd8 || in[0] == 0x84) {
		hc_set_detail("DCC: %s", n ? "the COSE message is not zlib-compressed (refused)"
					   : "nothing after base45");
		return HC_ERR_INFLATE;
	}
	err = hc_zinflate(in, n, HC_MAX_DCC_INFLATED, out, outlen);
	if (err == HC_ERR_INFLATE_CAP)
		hc_set_detail("DCC: the COSE message inflates past %u bytes", HC_MAX_DCC_INFLATED);
	else if (err == HC_ERR_INFLATE)
		hc_set_detail("DCC: not one complete zlib stream (corrupt, truncated, or bytes after it)");
	return err;
}

/* Prefix, base45, inflate, COSE_Sign1. */
static hc_err dcc_open(const char *text, size_t n, struct hc_cose *c)
{
	uint8_t *raw = NULL, *z = NULL;
	size_t rl, zl;
	hc_err err;

	memset(c, 0, sizeof(*c));
	if (n > HC_MAX_DCC_TEXT) {
		hc_set_detail("DCC: QR text of %zu bytes, past the %u cap", n, HC_MAX_DCC_TEXT);
		return HC_ERR_TOO_LARGE;
	}
	if (hc_foreign_format_of(text, n) != HC_FMT_DCC) {
		hc_set_detail("DCC: QR text does not start with \"" DCC_PREFIX "\"");
		return HC_ERR_QR_PREFIX;
	}
	if (!(raw = malloc(hc_b45_declen(n - 4) + 1)))
		return HC_ERR_NOMEM;
	if ((err = hc_b45_decode(text + 4, n - 4, raw, hc_b45_declen(n - 4) + 1, &rl)) != HC_OK ||
	    (err = dcc_inflate(raw, rl, &z, &zl)) != HC_OK)
		goto out;
	err = hc__cose_parse(z, zl, c);
out:
	free(raw);
	free(z);
	return err;
}

/* A CBOR text (a tag 0 around it was dropped by the reader) copied for
 * display. */
static bool text_of(const cbor_item_t *it, char *out, size_t outsz)
{
	char tmp[512];
	size_t l;

	if (!it)
		return false;
	if (!cbor_isa_string(it))
		return false;
	l = cbor_string_length(it);
	if (l >= sizeof(tmp))
		l = sizeof(tmp) - 1;
	memcpy(tmp, cbor_string_handle(it) ? (const char *)cbor_string_handle(it) : "", l);
	tmp[l] = '\0';
	for (size_t i = 0; i < l; i++)
		if (tmp[i] == '\0')
			tmp[i] = '\x01'; /* shown as U+FFFD, not a truncation */
	hc_display_safe(tmp, out, outsz);
	return true;
}

/* A time claim: an integer or a float of seconds, 1970..9999. */
static bool time_of(const cbor_item_t *it, int64_t *t)
{
	double f;

	if (!it)
		return false;
	if (hc__cbor_int(it, t))
		return *t >= 0 && *t < INT64_C(253402300800);
	if (!cbor_isa_float_ctrl(it) || cbor_float_get_width(it) == CBOR_FLOAT_0)
		return false;
	f = cbor_float_get_float(it);
	if (!isfinite(f) || f < 0 || f >= 253402300800.0)
		return false;
	*t = (int64_t)f; /* f >= 0: truncation is floor */
	return true;
}

/* The CWT claims: iss (1), exp (4), iat (6), nbf (5) when there (else
 * *nbf stays 0), hcert (-260 -> 1). */
static hc_err dcc_claims(const struct hc_cose *c, struct hc_foreign_result *r, cbor_item_t **root,
			 const cbor_item_t **hcert, int64_t *nbf)
{
	const cbor_item_t *v;
	hc_err err;

	if ((err = hc__cbor_load(c->payload, c->payload_len, true, HC_ERR_CLAIMS, "CWT claims", root)) !=
	    HC_OK)
		return err;
	if (!cbor_isa_map(*root)) {
		hc_set_detail("CWT claims are not a map");
		return HC_ERR_CLAIMS;
	}
	if ((v = hc__cbor_get_int(*root, 1)) && !text_of(v, r->issuer, sizeof(r->issuer))) {
		hc_set_detail("CWT claim iss (1) is not text");
		return HC_ERR_CLAIMS;
	}
	if (!time_of(hc__cbor_get_int(*root, 6), &r->iat) ||
	    !time_of(hc__cbor_get_int(*root, 4), &r->exp)) {
		hc_set_detail("CWT claim %s missing or not a time in 1970..9999",
			      time_of(hc__cbor_get_int(*root, 6), &r->iat) ? "exp (4)" : "iat (6)");
		return HC_ERR_CLAIMS;
	}
	/* nbf (5), when there: the CWT's not-before (the EU's schema has none;
	 * a signer that sets it means it) */
	if ((v = hc__cbor_get_int(*root, 5)) && !time_of(v, nbf)) {
		hc_set_detail("CWT claim nbf (5) is not a time in 1970..9999");
		return HC_ERR_CLAIMS;
	}
	v = hc__cbor_get_int(*root, -260);
	if (!v || !cbor_isa_map(v) || !(*hcert = hc__cbor_get_int(v, 1)) || !cbor_isa_map(*hcert)) {
		hc_set_detail("CWT claim hcert (-260) is not a map holding the certificate (1)");
		return HC_ERR_CLAIMS;
	}
	return HC_OK;
}

/* Text members of m that must be there. */
static hc_err need_texts(const cbor_item_t *m, const char *what, const char *const *keys)
{
	char tmp[8];

	for (size_t i = 0; keys[i]; i++)
		if (!text_of(hc__cbor_get_str(m, keys[i]), tmp, sizeof(tmp))) {
			hc_set_detail("DCC %s: %s missing or not text", what, keys[i]);
			return HC_ERR_DCC_CONTENT;
		}
	return HC_OK;
}

/* A date as carried, cut before a time part. */
static bool date_of(const cbor_item_t *it, char *out, size_t outsz)
{
	char *t;

	if (!text_of(it, out, outsz))
		return false;
	if ((t = strchr(out, 'T')) && t - out == 10)
		*t = '\0';
	return true;
}

static bool int_member(const cbor_item_t *m, const char *key, int64_t *v)
{
	const cbor_item_t *x = hc__cbor_get_str(m, key);

	return x && hc__cbor_int(x, v);
}

static hc_err dcc_vac(const cbor_item_t *e, struct hc_foreign_result *r)
{
	static const char *const keys[] = {"tg", "vp", "mp", "ma", "co", "is", "ci", NULL};
	hc_err err;

	if ((err = need_texts(e, "v", keys)) != HC_OK)
		return err;
	if (!int_member(e, "dn", &r->doses) || !int_member(e, "sd", &r->doses_total) ||
	    r->doses < 1 || r->doses_total < 1) {
		hc_set_detail("DCC v: dn and sd must be positive integers");
		return HC_ERR_DCC_CONTENT;
	}
	if (!date_of(hc__cbor_get_str(e, "dt"), r->vac_date, sizeof(r->vac_date))) {
		hc_set_detail("DCC v: dt missing or not text");
		return HC_ERR_DCC_CONTENT;
	}
	return HC_OK;
}

static hc_err dcc_test(const cbor_item_t *e, struct hc_foreign_result *r)
{
	static const char *const keys[] = {"tg", "tt", "tr", "co", "is", "ci", NULL};
	char tt[32], tr[16], sc[64];
	hc_err err;

	if ((err = need_texts(e, "t", keys)) != HC_OK)
		return err;
	if (!text_of(hc__cbor_get_str(e, "sc"), sc, sizeof(sc)) ||
	    hc_time_parse_text(sc, &r->test_at) != HC_OK) {
		hc_set_detail("DCC t: sc missing or not an RFC 3339 time");
		return HC_ERR_DCC_CONTENT;
	}
	(void)text_of(hc__cbor_get_str(e, "tt"), tt, sizeof(tt));
	(void)text_of(hc__cbor_get_str(e, "tr"), tr, sizeof(tr));
	if (strcmp(tt, "LP6464-4") == 0)
		memcpy(r->test_type, "NAAT", 5);
	else if (strcmp(tt, "LP217198-3") == 0)
		memcpy(r->test_type, "RAT", 4);
	else
		memcpy(r->test_type, tt, sizeof(r->test_type));
	r->test_negative = strcmp(tr, "260415000") == 0;
	return HC_OK;
}

static hc_err dcc_rec(const cbor_item_t *e, struct hc_foreign_result *r)
{
	static const char *const keys[] = {"tg", "fr", "co", "is", "ci", NULL};
	hc_err err;

	if ((err = need_texts(e, "r", keys)) != HC_OK)
		return err;
	if (!date_of(hc__cbor_get_str(e, "df"), r->rec_from, sizeof(r->rec_from)) ||
	    !date_of(hc__cbor_get_str(e, "du"), r->rec_until, sizeof(r->rec_until))) {
		hc_set_detail("DCC r: df or du missing or not text");
		return HC_ERR_DCC_CONTENT;
	}
	return HC_OK;
}

/* The certificate content: ver, nam (fnt), dob, exactly one of v, t, r,
 * a one-element array with its required members. */
static hc_err dcc_content(const cbor_item_t *h, struct hc_foreign_result *r)
{
	static const char kinds[] = "vtr";
	const cbor_item_t *nam = hc__cbor_get_str(h, "nam"), *e = NULL;
	char fn[128], gn[128], both[260], ver[16];
	int found = 0;

	if (!text_of(hc__cbor_get_str(h, "ver"), ver, sizeof(ver)) || !ver[0]) {
		hc_set_detail("DCC: ver missing or not text");
		return HC_ERR_DCC_CONTENT;
	}
	if (!nam || !cbor_isa_map(nam) || !text_of(hc__cbor_get_str(nam, "fnt"), fn, sizeof(fn))) {
		hc_set_detail("DCC: nam missing or without fnt");
		return HC_ERR_DCC_CONTENT;
	}
	if (!text_of(hc__cbor_get_str(nam, "fn"), fn, sizeof(fn)))
		(void)text_of(hc__cbor_get_str(nam, "fnt"), fn, sizeof(fn));
	if (!text_of(hc__cbor_get_str(nam, "gn"), gn, sizeof(gn)) &&
	    !text_of(hc__cbor_get_str(nam, "gnt"), gn, sizeof(gn)))
		gn[0] = '\0';
	/* joined, then cut on a character boundary */
	(void)snprintf(both, sizeof(both), "%s%s%s", fn, gn[0] ? ", " : "", gn);
	hc_display_safe(both, r->name, sizeof(r->name));
	if (!date_of(hc__cbor_get_str(h, "dob"), r->dob, sizeof(r->dob))) {
		hc_set_detail("DCC: dob missing or not text");
		return HC_ERR_DCC_CONTENT;
	}
	for (int k = 0; k < 3; k++) {
		char key[2] = {kinds[k], '\0'};
		const cbor_item_t *a = hc__cbor_get_str(h, key);

		if (!a)
			continue;
		if (found++) {
			hc_set_detail("DCC: more than one of v, t and r");
			return HC_ERR_DCC_CONTENT;
		}
		if (!cbor_isa_array(a) || cbor_array_size(a) != 1 ||
		    !cbor_isa_map(cbor_array_handle(a)[0])) {
			hc_set_detail("DCC: %s is not an array of one entry", key);
			return HC_ERR_DCC_CONTENT;
		}
		e = cbor_array_handle(a)[0];
		r->type = kinds[k];
	}
	if (!e) {
		hc_set_detail("DCC: none of v, t and r");
		return HC_ERR_DCC_CONTENT;
	}
	return r->type == 'v' ? dcc_vac(e, r) : r->type == 't' ? dcc_test(e, r) : dcc_rec(e, r);
}

hc_err hc_dcc_decode(const char *text, size_t n, struct hc_foreign_result *r)
{
	struct hc_cose c;
	cbor_item_t *root = NULL;
	const cbor_item_t *h = NULL;
	hc_err err;

	memset(r, 0, sizeof(*r));
	r->fmt = HC_FMT_DCC;
	hc_set_detail(NULL);
	if ((err = dcc_open(text, n, &c)) == HC_OK &&
	    (err = dcc_claims(&c, r, &root, &h, &(int64_t){0})) == HC_OK)
		err = dcc_content(h, r);
	if (root)
		cbor_decref(&root);
	hc__cose_clear(&c);
	return err;
}

/* hc__cose_verify of c under certificate cert's key pk, or its outcome
 * from the cache: the key binds the certificate's DER, the alg (it may
 * come from the unprotected header), the protected header and payload as
 * signed, and the signature. */
static hc_err cose_verify_cached(struct hc_sigcache *cache, const struct hc_dcc_cert *cert,
				 const struct hc_cose *c, EVP_PKEY *pk)
{
	uint8_t alg[8], key[32];
	bool keyed = false;
	hc_err e;

	if (cache) {
		for (size_t b = 0; b < 8; b++)
			alg[b] = (uint8_t)((uint64_t)c->alg >> (56 - 8 * b));
		const struct hc_span parts[5] = {
			{cert->der, cert->der_len},   {alg, sizeof(alg)},   {c->prot, c->prot_len},
			{c->payload, c->payload_len}, {c->sig, c->sig_len},
		};
		keyed = hc__sigkey("hcode DCC COSE_Sign1", 5, parts, key) == HC_OK;
	}
	if (keyed && hc__sigcache_get_sig(cache, key, &e))
		return e;
	e = hc__cose_verify(c, pk);
	if (keyed)
		hc__sigcache_put_sig(cache, key, e);
	return e;
}

/* The signer: a certificate with the code's kid whose key verifies the
 * signature; every one with that kid is tried. */
static hc_err dcc_signer(const struct hc_dcc_cert *certs, size_t ncerts, struct hc_sigcache *cache,
			 const struct hc_cose *c, X509 **signer, size_t *which)
{
	hc_err err = HC_ERR_UNKNOWN_KEY;
	char detail[160] = "";

	*signer = NULL;
	for (size_t i = 0; i < ncerts; i++) {
		const uint8_t *p = certs[i].der;
		X509 *x;
		EVP_PKEY *pk;
		hc_err e;

		if (c->kid_len != 8 || memcmp(c->kid, certs[i].kid, 8) != 0)
			continue;
		if (!(x = d2i_X509(NULL, &p, (long)certs[i].der_len)) ||
		    p != certs[i].der + certs[i].der_len || !(pk = X509_get0_pubkey(x))) {
			ERR_clear_error();
			X509_free(x);
			if (err == HC_ERR_UNKNOWN_KEY) {
				err = HC_ERR_CRYPTO;
				(void)snprintf(detail, sizeof(detail),
					       "DCC: signer certificate %zu is not readable DER", i);
			}
			continue;
		}
		if ((e = cose_verify_cached(cache, &certs[i], c, pk)) == HC_OK) {
			*signer = x;
			*which = i;
			return HC_OK;
		}
		X509_free(x);
		if (e == HC_ERR_NOMEM)
			return e;
		/* A certificate that took the signature's form wins the detail. */
		if (err != HC_ERR_BAD_SIG || e == HC_ERR_SIG_LEN) {
			err = e;
			(void)snprintf(detail, sizeof(detail), "%s", hc_detail());
		}
	}
	if (err == HC_ERR_UNKNOWN_KEY) {
		char hex[17];

		hc_hex(c->kid, c->kid_len < 8 ? c->kid_len : 8, hex);
		hc_set_detail("DCC: no signer certificate has kid %s%s (%zu bytes)", hex,
			      c->kid_len > 8 ? "..." : "", c->kid_len);
	} else {
		hc_set_detail("%s", detail);
	}
	return err;
}

static int64_t asn1_time(const ASN1_TIME *t)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int days = 0, secs = 0;
	int ok = epoch && ASN1_TIME_diff(&days, &secs, epoch, t);

	ASN1_TIME_free(epoch);
	return ok ? (int64_t)days * 86400 + secs : INT64_MIN;
}

/* notBefore <= iat <= t (+ skew) <= exp <= notAfter, and nbf (when the
 * code has one) <= t + skew. */
static hc_err dcc_times(X509 *x, const struct hc_verify_opts *o, const struct hc_foreign_result *r,
			int64_t nbf)
{
	int64_t nb = asn1_time(X509_get0_notBefore(x)), na = asn1_time(X509_get0_notAfter(x));
	char a[24], b[24];

	if (nb == INT64_MIN || na == INT64_MIN) {
		hc_set_detail("DCC: signer certificate validity is unreadable");
		return HC_ERR_KEY_NOT_VALID;
	}
	if (r->iat > o->at + o->skew) {
		hc_time_format(r->iat, a, sizeof(a));
		hc_set_detail("DCC: issued at %s, in the future", a);
		return HC_ERR_IAT_FUTURE;
	}
	if (nbf > o->at + o->skew) {
		hc_time_format(nbf, a, sizeof(a));
		hc_set_detail("DCC: not valid before %s (nbf)", a);
		return HC_ERR_NOT_YET_VALID;
	}
	if (o->at > r->exp) {
		hc_time_format(r->exp, a, sizeof(a));
		hc_set_detail("DCC: expired at %s", a);
		return HC_ERR_EXPIRED;
	}
	if (r->iat < nb || r->exp > na) {
		hc_time_format(r->iat < nb ? r->iat : r->exp, a, sizeof(a));
		hc_time_format(r->iat < nb ? nb : na, b, sizeof(b));
		hc_set_detail("DCC: %s %s is %s the signer certificate's %s %s",
			      r->iat < nb ? "iat" : "exp", a, r->iat < nb ? "before" : "after",
			      r->iat < nb ? "notBefore" : "notAfter", b);
		return HC_ERR_KEY_NOT_VALID;
	}
	return HC_OK;
}

/* The DCC extended key usages: test, vaccination, recovery, in the
 * registered form and the form most test certificates carry. */
static char eku_type(const ASN1_OBJECT *obj)
{
	static const char *const pfx[] = {"1.3.6.1.4.1.1847.2021.1.", "1.3.6.1.4.1.0.1847.2021.1."};
	char oid[80];
	int l = OBJ_obj2txt(oid, sizeof(oid), obj, 1);

	if (l <= 0 || (size_t)l >= sizeof(oid))
		return 0;
	for (size_t i = 0; i < 2; i++) {
		size_t pl = strlen(pfx[i]);

		if (strncmp(oid, pfx[i], pl) != 0 || !oid[pl] || oid[pl + 1])
			continue;
		if (oid[pl] == '1')
			return 't';
		if (oid[pl] == '2')
			return 'v';
		if (oid[pl] == '3')
			return 'r';
	}
	return 0;
}

static hc_err dcc_key_usage(X509 *x, char type)
{
	EXTENDED_KEY_USAGE *eku;
	char named[4] = "";
	size_t nn = 0;
	int crit = 0;

	if (!(eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL))) {
		ERR_clear_error();
		if (crit == -1)
			return HC_OK; /* no extended key usage: every type */
		hc_set_detail("DCC: signer certificate's extended key usage is unreadable");
		return HC_ERR_KEY_USAGE;
	}
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		char t = eku_type(sk_ASN1_OBJECT_value(eku, i));

		if (t && !strchr(named, t) && nn < 3)
			named[nn++] = t;
	}
	EXTENDED_KEY_USAGE_free(eku);
	if (nn == 0 || strchr(named, type))
		return HC_OK;
	hc_set_detail("DCC: signer certificate is for type %s, not %c", named, type);
	return HC_ERR_KEY_USAGE;
}

/* The checkpoint's requirements: doses of a vaccination, a negative
 * NAAT within the hours for a test. */
static hc_err dcc_require(const struct hc_verify_opts *o, const struct hc_foreign_result *r)
{
	if (o->nat_max_age > 0 &&
	    (r->type != 't' || strcmp(r->test_type, "NAAT") != 0 || !r->test_negative ||
	     r->test_at < o->at - o->nat_max_age || r->test_at > o->at + o->skew)) {
		hc_set_detail("DCC: %s", r->type != 't' ? "not a test certificate"
					 : strcmp(r->test_type, "NAAT") != 0 ? "not a NAAT test"
					 : !r->test_negative ? "test result not negative"
							     : "sample not within the required time");
		return HC_ERR_REQ_NAT;
	}
	if (o->min_doses > 0 && (r->type != 'v' || r->doses < o->min_doses)) {
		hc_set_detail("DCC: %s", r->type != 'v' ? "not a vaccination certificate"
							: "fewer doses than required");
		return HC_ERR_REQ_DOSES;
	}
	return HC_OK;
}

hc_err hc_dcc_verify(const struct hc_dcc_cert *certs, size_t ncerts, const char *text, size_t n,
		     const struct hc_verify_opts *o, struct hc_foreign_result *r)
{
	return hc__dcc_verify(certs, ncerts, NULL, text, n, o, r);
}

hc_err hc__dcc_verify(const struct hc_dcc_cert *certs, size_t ncerts, struct hc_sigcache *cache,
		      const char *text, size_t n, const struct hc_verify_opts *o,
		      struct hc_foreign_result *r)
{
	struct hc_cose c;
	cbor_item_t *root = NULL;
	const cbor_item_t *h = NULL;
	X509 *signer = NULL;
	size_t which = 0;
	int64_t nbf = 0;
	hc_err err;

	memset(r, 0, sizeof(*r));
	r->fmt = HC_FMT_DCC;
	hc_set_detail(NULL);
	if ((err = dcc_open(text, n, &c)) != HC_OK ||
	    (err = dcc_signer(certs, ncerts, cache, &c, &signer, &which)) != HC_OK)
		goto out;
	r->verified = true;
	if ((err = dcc_claims(&c, r, &root, &h, &nbf)) != HC_OK)
		goto out;
	/* iss is optional: then the country the trust data names the signer by */
	if (!r->issuer[0])
		(void)snprintf(r->issuer, sizeof(r->issuer), "%s", certs[which].country);
	if ((err = dcc_times(signer, o, r, nbf)) != HC_OK || (err = dcc_content(h, r)) != HC_OK ||
	    (err = dcc_key_usage(signer, r->type)) != HC_OK)
		goto out;
	if ((err = dcc_require(o, r)) == HC_OK)
		hc_set_detail(NULL); /* a certificate tried before the signer left one */
out:
	X509_free(signer);
	if (root)
		cbor_decref(&root);
	hc__cose_clear(&c);
	return err;
}
