/* cose.c: a strict CBOR reader over libcbor and the COSE_Sign1 envelope
 * of EU Digital COVID Certificates (RFC 9052 with the DCC's ES256 and
 * PS256): structure, headers and the signature over Sig_structure. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "dcc_int.h"

/* Reads one item head at *i: major type, additional info, argument. */
static hc_err head(const uint8_t *p, size_t n, size_t *i, unsigned *mt, uint64_t *v, hc_err err,
		   const char *what)
{
	unsigned ai;
	size_t len;

	if (*i >= n) {
		hc_set_detail("%s: CBOR truncated at byte %zu", what, *i);
		return err;
	}
	*mt = p[*i] >> 5;
	ai = p[*i] & 31u;
	(*i)++;
	if (ai < 24) {
		*v = ai;
		return HC_OK;
	}
	if (ai == 31) {
		hc_set_detail("%s: CBOR indefinite length or break at byte %zu (refused)", what,
			      *i - 1);
		return err;
	}
	if (ai > 27) {
		hc_set_detail("%s: CBOR reserved additional information %u at byte %zu", what, ai,
			      *i - 1);
		return err;
	}
	len = (size_t)1 << (ai - 24);
	if (n - *i < len) {
		hc_set_detail("%s: CBOR truncated at byte %zu", what, *i);
		return err;
	}
	*v = 0;
	for (size_t k = 0; k < len; k++)
		*v = *v << 8 | p[(*i)++];
	if (*mt == 7 && ai == 24) {
		hc_set_detail("%s: CBOR simple value %u is not assigned", what, (unsigned)*v);
		return err;
	}
	return HC_OK;
}

/* A map key seen in the walk: integer (mt 0, 1) or text at off, v bytes. */
struct key {
	unsigned mt;
	uint64_t v;
	size_t off;
};
#define DCC_CBOR_KEYS ((size_t)DCC_CBOR_DEPTH * DCC_CBOR_MAP) /* keys open at once */

/* A map key must be an integer or text, and new among its map's keys
 * keys[from..*nk). Compared by value: integers by number, text by bytes. */
static hc_err key_once(const uint8_t *p, size_t n, unsigned mt, uint64_t v, size_t off,
		       struct key *keys, size_t from, size_t *nk, hc_err err, const char *what)
{
	if (mt != 0 && mt != 1 && mt != 3) {
		hc_set_detail("%s: CBOR map key that is not an integer or text", what);
		return err;
	}
	if (mt == 3 && v > n - off) /* past the end: the string check says so */
		return HC_OK;
	for (size_t k = from; k < *nk; k++)
		if (keys[k].mt == mt && keys[k].v == v &&
		    (mt != 3 || memcmp(p + keys[k].off, p + off, (size_t)v) == 0)) {
			hc_set_detail("%s: CBOR map has a duplicate key", what);
			return err;
		}
	if (*nk == DCC_CBOR_KEYS) {
		hc_set_detail("%s: CBOR has too many map keys at once", what);
		return err;
	}
	keys[(*nk)++] = (struct key){mt, v, off};
	return HC_OK;
}

/* The well-formedness walk: every count is checked against the bytes
 * left before libcbor allocates anything for it. Copies the item without
 * its tags into copy (n bytes), or refuses tags when tags is false. */
static hc_err wellformed(const uint8_t *p, size_t n, hc_err err, const char *what, bool tags,
			 uint8_t *copy, size_t *cl, struct key *keys)
{
	uint64_t rem[DCC_CBOR_DEPTH + 1];
	size_t i = 0, d = 0, nk = 0, kstart[DCC_CBOR_DEPTH + 1];
	bool map[DCC_CBOR_DEPTH + 1];
	hc_err e;

	*cl = 0;
	rem[0] = 1;
	map[0] = false;
	kstart[0] = 0;
	for (;;) {
		unsigned mt = 0;
		uint64_t v = 0;
		size_t at;

		bool is_key;

		while (d > 0 && rem[d] == 0)
			nk = kstart[d--]; /* a map's keys go when it ends */
		if (rem[d] == 0)
			break;
		is_key = map[d] && rem[d] % 2 == 0;
		rem[d]--;
		at = i;
		if ((e = head(p, n, &i, &mt, &v, err, what)) != HC_OK)
			return e;
		if (is_key && (e = key_once(p, n, mt, v, i, keys, kstart[d], &nk, err, what)) != HC_OK)
			return e;
		if (mt != 6) { /* the head, and below a string's bytes */
			size_t l = i - at + (mt == 2 || mt == 3 ? (size_t)(v <= n - i ? v : 0) : 0);

			memcpy(copy + *cl, p + at, l);
			*cl += l;
		}
		switch (mt) {
		case 0:
		case 1:
			if (v > INT64_MAX) {
				hc_set_detail("%s: CBOR integer beyond 64-bit signed range", what);
				return err;
			}
			continue;
		case 2:
		case 3:
			if (v > n - i) {
				hc_set_detail("%s: CBOR string of %llu bytes past the end", what,
					      (unsigned long long)v);
				return err;
			}
			if (mt == 3 && !hc_utf8_valid((const char *)p + i, (size_t)v)) {
				hc_set_detail("%s: CBOR text at byte %zu is not UTF-8", what, i);
				return err;
			}
			i += (size_t)v;
			continue;
		case 4:
		case 5:
			if (v > (mt == 4 ? DCC_CBOR_ARRAY : DCC_CBOR_MAP) ||
			    v > (n - i) / (mt == 4 ? 1 : 2)) {
				hc_set_detail("%s: CBOR %s of %llu entries too long", what,
					      mt == 4 ? "array" : "map", (unsigned long long)v);
				return err;
			}
			if (v == 0)
				continue;
			v *= mt == 4 ? 1 : 2;
			break;
		case 6:
			if (!tags) {
				hc_set_detail("%s: CBOR tag %llu where none belongs", what,
					      (unsigned long long)v);
				return err;
			}
			if (v == 2 || v == 3) {
				hc_set_detail("%s: CBOR bignum (tag %u) refused", what, (unsigned)v);
				return err;
			}
			v = 1;
			break;
		default: /* 7: false, true, null, undefined, floats */
			if ((p[at] & 31u) < 20) {
				hc_set_detail("%s: CBOR simple value %u is not assigned", what,
					      (unsigned)(p[at] & 31u));
				return err;
			}
			continue;
		}
		if (d == DCC_CBOR_DEPTH) {
			hc_set_detail("%s: CBOR nested deeper than %d", what, DCC_CBOR_DEPTH);
			return err;
		}
		rem[++d] = v;
		map[d] = mt == 5;
		kstart[d] = nk;
	}
	if (i != n) {
		hc_set_detail("%s: %zu bytes after the CBOR item", what, n - i);
		return err;
	}
	return HC_OK;
}

hc_err hc__cbor_load(const uint8_t *p, size_t n, bool tags, hc_err err, const char *what,
		     cbor_item_t **out)
{
	struct cbor_load_result res;
	cbor_item_t *it = NULL;
	uint8_t *copy;
	struct key *keys;
	size_t cl = 0;
	hc_err e;

	*out = NULL;
	copy = malloc(n ? n : 1);
	keys = malloc(DCC_CBOR_KEYS * sizeof(*keys));
	if (!copy || !keys) {
		e = HC_ERR_NOMEM;
		goto out;
	}
	if ((e = wellformed(p, n, err, what, tags, copy, &cl, keys)) != HC_OK)
		goto out;
	/* libcbor 0.8 refuses tags 6 to 20 in their one-byte form (COSE_Sign1
	 * is 18): it is given the item without its tags. */
	if (!(it = cbor_load(copy, cl, &res))) {
		e = res.error.code == CBOR_ERR_MEMERROR ? HC_ERR_NOMEM : err;
		if (e == err)
			hc_set_detail("%s: CBOR not loaded (libcbor error %d)", what,
				      (int)res.error.code);
		goto out;
	}
	e = err;
	if (res.read != cl)
		hc_set_detail("%s: CBOR not read to its end", what);
	else
		e = HC_OK;
out:
	if (e == HC_OK)
		*out = it;
	else if (it)
		cbor_decref(&it);
	free(keys);
	free(copy);
	return e;
}

bool hc__cbor_int(const cbor_item_t *it, int64_t *v)
{
	if (cbor_isa_uint(it)) {
		*v = (int64_t)cbor_get_int(it); /* wellformed: at most INT64_MAX */
		return true;
	}
	if (cbor_isa_negint(it)) {
		*v = -1 - (int64_t)cbor_get_int(it);
		return true;
	}
	return false;
}

const cbor_item_t *hc__cbor_get_int(const cbor_item_t *map, int64_t k)
{
	struct cbor_pair *m;
	int64_t v;

	if (!cbor_isa_map(map))
		return NULL;
	m = cbor_map_handle(map);
	for (size_t i = 0; i < cbor_map_size(map); i++)
		if (hc__cbor_int(m[i].key, &v) && v == k)
			return m[i].value;
	return NULL;
}

const cbor_item_t *hc__cbor_get_str(const cbor_item_t *map, const char *s)
{
	struct cbor_pair *m;
	size_t l = strlen(s);

	if (!cbor_isa_map(map))
		return NULL;
	m = cbor_map_handle(map);
	for (size_t i = 0; i < cbor_map_size(map); i++)
		if (cbor_isa_string(m[i].key) && cbor_string_length(m[i].key) == l &&
		    memcmp(cbor_string_handle(m[i].key), s, l) == 0)
			return m[i].value;
	return NULL;
}

static bool bstr(const cbor_item_t *it, const uint8_t **p, size_t *n)
{
	if (!cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
		return false;
	*p = cbor_bytestring_handle(it);
	*n = cbor_bytestring_length(it);
	if (!*p) /* libcbor keeps no buffer for an empty string */
		*p = (const uint8_t *)"";
	return true;
}

/* Header label l from the protected map, else the unprotected one. */
static const cbor_item_t *header(const struct hc_cose *c, const cbor_item_t *unprot, int64_t l)
{
	const cbor_item_t *v = c->prot_map ? hc__cbor_get_int(c->prot_map, l) : NULL;

	return v ? v : hc__cbor_get_int(unprot, l);
}

/* crit (2), RFC 9052 section 3.1: in the protected header only, an array
 * of one or more labels (integers or text), each one this verifier acts
 * on: alg (1) and kid (4). Any other label is a parameter the signer says
 * must be understood, and it is not: the message is refused. */
static hc_err crit_check(const struct hc_cose *c, const cbor_item_t *unprot)
{
	const cbor_item_t *cr = c->prot_map ? hc__cbor_get_int(c->prot_map, 2) : NULL;
	int64_t l;

	if (hc__cbor_get_int(unprot, 2)) {
		hc_set_detail("COSE: crit (2) in the unprotected header");
		return HC_ERR_HEADER;
	}
	if (!cr)
		return HC_OK;
	if (!cbor_isa_array(cr) || cbor_array_size(cr) == 0) {
		hc_set_detail("COSE: crit (2) is not an array of one or more labels");
		return HC_ERR_HEADER;
	}
	for (size_t i = 0; i < cbor_array_size(cr); i++) {
		const cbor_item_t *it = cbor_array_handle(cr)[i];

		/* RFC 9052: a label named critical is in the protected header */
		if (hc__cbor_int(it, &l) && (l == 1 || l == 4) && hc__cbor_get_int(c->prot_map, l))
			continue;
		if (hc__cbor_int(it, &l) && (l == 1 || l == 4)) {
			hc_set_detail("COSE: crit (2) names %s (%lld), which the protected header "
				      "does not hold", l == 1 ? "alg" : "kid", (long long)l);
			return HC_ERR_HEADER;
		}
		if (hc__cbor_int(it, &l))
			hc_set_detail("COSE: critical header parameter %lld is not understood",
				      (long long)l);
		else if (cbor_isa_string(it))
			hc_set_detail("COSE: a critical header parameter named by text is not "
				      "understood");
		else
			hc_set_detail("COSE: crit (2) holds something that is not a label");
		return HC_ERR_HEADER;
	}
	return HC_OK;
}

hc_err hc__cose_parse(const uint8_t *p, size_t n, struct hc_cose *c)
{
	const cbor_item_t *it, *unprot, *v;
	cbor_item_t **a;
	size_t i = 0;
	hc_err e;

	memset(c, 0, sizeof(*c));
	/* Tags: 61 (CWT) around 18 (COSE_Sign1), 18, or none. */
	for (int k = 0; k < 2 && i < n && p[i] >> 5 == 6; k++) {
		unsigned mt;
		uint64_t tag;

		if ((e = head(p, n, &i, &mt, &tag, HC_ERR_CBOR, "COSE")) != HC_OK)
			return e;
		if (tag != (k == 0 && i < n && p[i] >> 5 == 6 ? 61u : 18u)) {
			hc_set_detail("COSE: tag %llu where %s belongs", (unsigned long long)tag,
				      k == 0 && i < n && p[i] >> 5 == 6 ? "CWT (61)" : "COSE_Sign1 (18)");
			return HC_ERR_CBOR;
		}
	}
	if ((e = hc__cbor_load(p + i, n - i, false, HC_ERR_CBOR, "COSE", &c->root)) != HC_OK)
		return e;
	it = c->root;
	if (!cbor_isa_array(it) || cbor_array_size(it) != 4) {
		hc_set_detail("COSE: COSE_Sign1 is not an array of four");
		return HC_ERR_CBOR;
	}
	a = cbor_array_handle(it);
	unprot = a[1];
	if (!bstr(a[0], &c->prot, &c->prot_len) || !cbor_isa_map(unprot) ||
	    !bstr(a[2], &c->payload, &c->payload_len) || !bstr(a[3], &c->sig, &c->sig_len)) {
		hc_set_detail("COSE: COSE_Sign1 is not [bstr, map, bstr, bstr]");
		return HC_ERR_CBOR;
	}
	if (c->prot_len > 0) {
		if ((e = hc__cbor_load(c->prot, c->prot_len, true, HC_ERR_HEADER, "protected header",
				       &c->prot_map)) != HC_OK)
			return e;
		if (!cbor_isa_map(c->prot_map)) {
			hc_set_detail("COSE: protected header is not a map");
			return HC_ERR_HEADER;
		}
	}
	if (!(v = header(c, unprot, 1)) || !hc__cbor_int(v, &c->alg)) {
		hc_set_detail("COSE: %s", v ? "alg (1) is not an integer" : "no alg (1)");
		return HC_ERR_HEADER;
	}
	if (!(v = header(c, unprot, 4)) || !bstr(v, &c->kid, &c->kid_len)) {
		hc_set_detail("COSE: %s", v ? "kid (4) is not a byte string" : "no kid (4)");
		return HC_ERR_HEADER;
	}
	if ((e = crit_check(c, unprot)) != HC_OK)
		return e;
	if (c->alg != -7 && c->alg != -37) {
		hc_set_detail("COSE: alg %lld is not ES256 (-7) or PS256 (-37)", (long long)c->alg);
		return HC_ERR_ALG;
	}
	return HC_OK;
}

void hc__cose_clear(struct hc_cose *c)
{
	if (c->root)
		cbor_decref(&c->root);
	if (c->prot_map)
		cbor_decref(&c->prot_map);
	memset(c, 0, sizeof(*c));
}

/* A CBOR head for a byte string of length n. */
static size_t bstr_head(uint8_t *o, size_t n)
{
	if (n < 24) {
		o[0] = (uint8_t)(0x40 | n);
		return 1;
	}
	if (n < 0x100) {
		o[0] = 0x58;
		o[1] = (uint8_t)n;
		return 2;
	}
	if (n < 0x10000) {
		o[0] = 0x59;
		o[1] = (uint8_t)(n >> 8);
		o[2] = (uint8_t)n;
		return 3;
	}
	o[0] = 0x5a;
	for (int k = 0; k < 4; k++)
		o[1 + k] = (uint8_t)(n >> (24 - 8 * k));
	return 5;
}

/* ES256's raw r||s as the DER ECDSA-Sig-Value EVP_DigestVerify takes. */
static hc_err es256_der(const uint8_t *sig, uint8_t **der, int *dlen)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32, NULL);
	hc_err err = HC_ERR_NOMEM;

	*der = NULL;
	if (!s || !r || !ss || ECDSA_SIG_set0(s, r, ss) != 1)
		goto out;
	r = ss = NULL;
	if ((*dlen = i2d_ECDSA_SIG(s, der)) <= 0)
		goto out;
	err = HC_OK;
out:
	BN_free(r);
	BN_free(ss);
	ECDSA_SIG_free(s);
	return err;
}

/* Whether pk is the key alg needs: P-256 for ES256, RSA of 2048 bits or
 * more for PS256. */
static bool key_fits(const struct hc_cose *c, EVP_PKEY *pk)
{
	char group[32];

	if (c->alg == -7)
		return EVP_PKEY_is_a(pk, "EC") &&
		       EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
						      sizeof(group), NULL) == 1 &&
		       strcmp(group, "prime256v1") == 0;
	return (EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS")) &&
	       EVP_PKEY_get_bits(pk) >= 2048;
}

hc_err hc__cose_verify(const struct hc_cose *c, EVP_PKEY *pk)
{
	static const uint8_t ctx[] = {0x84, 0x6a, 'S', 'i', 'g', 'n', 'a', 't', 'u', 'r', 'e', '1'};
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pc = NULL;
	uint8_t *tbs = NULL, *der = NULL;
	const uint8_t *sig = c->sig;
	size_t tl = 0, sl = c->sig_len;
	int dl = 0, r;
	hc_err err = HC_ERR_NOMEM;

	if (!key_fits(c, pk)) {
		hc_set_detail("alg %s but the signer certificate holds a %s key of %d bits",
			      c->alg == -7 ? "ES256 needs P-256" : "PS256 needs RSA >= 2048",
			      EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "?",
			      EVP_PKEY_get_bits(pk));
		return HC_ERR_BAD_SIG;
	}
	if (c->alg == -7 && c->sig_len != 64) {
		hc_set_detail("ES256 signature of %zu bytes, not 64 of raw r||s", c->sig_len);
		return HC_ERR_SIG_LEN;
	}
	if (c->alg == -37 && c->sig_len != (size_t)EVP_PKEY_get_size(pk)) {
		hc_set_detail("PS256 signature of %zu bytes for a %d-byte modulus", c->sig_len,
			      EVP_PKEY_get_size(pk));
		return HC_ERR_SIG_LEN;
	}
	/* Sig_structure = ["Signature1", protected as sent, h'', payload] */
	if (!(tbs = malloc(sizeof(ctx) + 5 + c->prot_len + 1 + 5 + c->payload_len)))
		goto out;
	memcpy(tbs, ctx, sizeof(ctx));
	tl = sizeof(ctx);
	tl += bstr_head(tbs + tl, c->prot_len);
	memcpy(tbs + tl, c->prot, c->prot_len);
	tl += c->prot_len;
	tbs[tl++] = 0x40;
	tl += bstr_head(tbs + tl, c->payload_len);
	memcpy(tbs + tl, c->payload, c->payload_len);
	tl += c->payload_len;
	if (c->alg == -7) {
		if ((err = es256_der(c->sig, &der, &dl)) != HC_OK)
			goto out;
		sig = der;
		sl = (size_t)dl;
	}
	err = HC_ERR_CRYPTO;
	if (!(md = EVP_MD_CTX_new()) ||
	    EVP_DigestVerifyInit(md, &pc, EVP_sha256(), NULL, pk) != 1)
		goto out;
	if (c->alg == -37 && (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) != 1 ||
			      EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 32) != 1 ||
			      EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256()) != 1))
		goto out;
	r = EVP_DigestVerify(md, sig, sl, tbs, tl);
	if (r == 1) {
		err = HC_OK;
	} else if (r < 0) {
		/* OpenSSL failed, which says nothing about the signature (and
		 * must not be cached as a bad one) */
		hc_set_detail("COSE: EVP_DigestVerify failed");
	} else {
		hc_set_detail("%s signature does not verify under the signer certificate",
			      c->alg == -7 ? "ES256" : "PS256");
		err = HC_ERR_BAD_SIG;
	}
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	free(tbs);
	return err;
}
