/* fuzz_verify.c: the whole verification path (QR framing, JWS header,
 * payload, signature, claims, time, revocation, requirements) against the
 * fixed trust store of tests/fuzz/trust at a fixed time, once through
 * hc_verify_qr, twice through hc_verify_qr_batch with its cache and once
 * without.
 * Asserts: the batch verdict equals the single one and does not change
 * when it comes from the cache; a verified code (let alone a pass) really
 * carries a signature by a trusted key of its own issuer, checked with
 * OpenSSL directly; nothing of an unverified code comes out.
 * An input that is not QR text is taken as a bare token and framed, so
 * the fuzzer can mutate tokens directly. */
#include <string.h>

#include "fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static struct hc_vctx *vctx;
static struct hc_sigcache *cache;

static void check_single(const struct hc_result *res, const char *tok, size_t tl)
{
	const unsigned char *cb = (const unsigned char *)&res->c;

	FX_CHECK(res->err != HC_OK || res->verified);
	if (!res->verified) {
		/* Nothing from the payload is shown as trusted before step 5:
		 * every byte of the claims is still zero. */
		for (size_t i = 0; i < sizeof(res->c); i++)
			FX_CHECK(cb[i] == 0);
		FX_CHECK(res->issuer_name[0] == '\0' && res->region[0] == '\0');
		return;
	}
	FX_CHECK(fx_really_signed(tok, tl, res->kid, res->c.iss));
}

static void same(const struct hc_trust *t, const struct hc_result *res,
		 const struct hc_bresult *r)
{
	FX_CHECK(r->err == res->err);
	FX_CHECK(r->verified == res->verified);
	FX_CHECK(r->stale == res->stale);
	if (r->verified) {
		FX_CHECK(r->st == res->c.st);
		FX_CHECK(r->issuer >= 0 && (size_t)r->issuer < hc_trust_issuer_count(t));
		FX_CHECK(strcmp(hc_trust_issuer_iss(t, (size_t)r->issuer), res->c.iss) == 0);
		FX_CHECK(strcmp(hc_trust_issuer_region(t, (size_t)r->issuer), res->region) == 0);
	} else {
		FX_CHECK(r->issuer == -1);
	}
}

static bool two_dots(const char *s, size_t n)
{
	const char *d = memchr(s, '.', n);

	return d && memchr(d + 1, '.', n - (size_t)(d + 1 - s));
}

/* One option set: single verification, then the batch path three times. */
static void verify_qr(const struct hc_trust *t, const char *text, size_t n,
		      const struct hc_verify_opts *o)
{
	struct hc_result res;
	struct hc_bresult r1, r2, r3;
	char tok[HC_MAX_QR_TEXT / 2 + 1];
	size_t tl = 0;
	bool framed;

	hc_verify_qr(t, text, n, o, &res);
	/* The framing by the spec, decoded here without libhc. */
	framed = fx_qr_decode(text, n, tok, sizeof(tok), &tl);
	if (res.verified)
		FX_CHECK(framed);
	check_single(&res, tok, tl);
	hc_verify_qr_batch(t, vctx, cache, text, n, o, &r1);
	same(t, &res, &r1);
	hc_verify_qr_batch(t, vctx, cache, text, n, o, &r2);
	same(t, &res, &r2);
	hc_verify_qr_batch(t, vctx, NULL, text, n, o, &r3); /* --no-cache */
	same(t, &res, &r3);
	FX_CHECK(!r3.cached);
	/* Past step 1, every outcome for a token with two dots but a
	 * resource failure is cached. */
	if (hc_qr_decode(HC_QR_PREFIX, text, n, tok, sizeof(tok), &tl) == HC_OK &&
	    two_dots(tok, tl) && r1.err != HC_ERR_NOMEM && r1.err != HC_ERR_CRYPTO)
		FX_CHECK(r2.cached);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static char qr[4 + 2 * HC_MAX_QR_TEXT + 1];
	const struct hc_trust *t = fx_trust();
	const char *text = (const char *)data;
	struct hc_verify_opts a, b;

	if (!vctx) {
		FX_CHECK(hc_vctx_new(t, &vctx) == HC_OK);
		FX_CHECK(hc_sigcache_new(1024, &cache) == HC_OK);
	}
	/* A: the checkpoint default (green only) at the fixed time. */
	hc_verify_opts_init(&a);
	a.at = FX_AT;
	/* B: an hour later, any status, a test within 48 h and two doses. */
	hc_verify_opts_init(&b);
	b.at = FX_AT + 3600;
	b.any_status = true;
	b.nat_max_age = (int64_t)48 * 3600;
	b.min_doses = 2;
	if (!(n >= 4 && memcmp(data, "hc:/", 4) == 0)) {
		struct hc_result res;

		/* A bare token: hc_verify_token as it is, and framed as QR text. */
		if (n < HC_MAX_QR_TEXT) {
			char tok[HC_MAX_QR_TEXT];

			memcpy(tok, data, n);
			tok[n] = '\0';
			hc_verify_token(t, tok, n, &a, &res);
			check_single(&res, tok, n);
		}
		if (hc_qr_encode(HC_QR_PREFIX, text, n, qr, sizeof(qr)) == HC_OK) {
			text = qr;
			n = strlen(qr);
		}
	}
	verify_qr(t, text, n, &a);
	verify_qr(t, text, n, &b);
	return 0;
}
