/* verify.c: verification of a health code in the normative order of DESIGN 7. */
#include <stdio.h>
#include <string.h>

#include "trust_int.h"

#define DEFAULT_SKEW 300 /* seconds of clock skew allowed on nbf */

void hc_verify_opts_init(struct hc_verify_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->at = hc_now();
	o->skew = DEFAULT_SKEW;
	o->grace = HC_DEFAULT_GRACE;
}

/* Step 4: the issuer, then the key among that issuer's keys only, then the
 * key's window at the time of issue. */
static hc_err find_key(const struct hc_trust *t, const struct hc_claims *c, const char *kid,
		       const struct trust_issuer **isp, const struct trust_key **kp)
{
	const struct trust_issuer *is = hc__trust_issuer(t, c->iss);

	if (!is)
		return HC_ERR_UNKNOWN_ISSUER;
	*isp = is;
	for (size_t i = 0; i < is->nkeys; i++) {
		const struct trust_key *k = &is->keys[i];

		if (strcmp(hc_pubkey_kid(k->k), kid) != 0)
			continue;
		*kp = k;
		return hc__key_valid_at(k, c->iat);
	}
	return HC_ERR_UNKNOWN_KEY;
}

static hc_err revoked(const struct trust_issuer *is, const struct hc_brief *b, int64_t at)
{
	struct rev_entry e;
	bool found = false;
	hc_err err;

	if (is->rev.n && (err = hc__rev_lookup(is, b->jti, &e, &found)) != HC_OK)
		return err;
	if (found && at >= e.at) {
		char when[24];

		hc_time_format(e.at, when, sizeof(when));
		hc_set_detail("revoked since %s (list seq %lld)", when, (long long)is->rev.seq);
		return HC_ERR_REVOKED;
	}
	return HC_OK;
}

bool hc_trust_stale(const struct hc_trust *t, const struct hc_verify_opts *o)
{
	return o->at > t->list.next_update + o->grace ||
	       (t->list.snap_key && o->at > t->snap_expires);
}

static hc_err requirements(const struct hc_brief *b, const struct hc_verify_opts *o)
{
	if (!o->any_status && b->st != HC_ST_GREEN)
		return HC_ERR_REQ_STATUS;
	if (o->nat_max_age > 0 && (!b->has_nat || !b->nat_neg || b->nat_at < o->at - o->nat_max_age ||
				   b->nat_at > o->at + o->skew))
		return HC_ERR_REQ_NAT;
	if (o->min_doses > 0 && (!b->has_vac || b->vac_doses < o->min_doses))
		return HC_ERR_REQ_DOSES;
	return HC_OK;
}

hc_err hc__brief(const struct hc_claims *c, const struct trust_issuer *is, struct hc_brief *b)
{
	size_t n;

	memset(b, 0, sizeof(*b));
	b->is = is;
	b->iat = c->iat;
	b->nbf = c->nbf;
	b->exp = c->exp;
	b->st = c->st;
	b->has_nat = c->has_nat;
	b->nat_neg = strcmp(c->nat_res, "neg") == 0;
	b->nat_at = c->nat_at;
	b->has_vac = c->has_vac;
	b->vac_doses = c->vac_doses;
	/* The claims parser already checked jti is 16 bytes of base64url. */
	if (hc_b64u_decode(c->jti, strlen(c->jti), b->jti, sizeof(b->jti), &n) != HC_OK || n != 16)
		return HC_ERR_CLAIMS;
	return HC_OK;
}

/* Steps 2 to 4: header, payload, strict claims, issuer and key. j is to
 * be cleared by the caller whatever the outcome. */
static hc_err steps24(const struct hc_trust *t, const char *tok, size_t n, struct hc_jws *j,
		      struct hc_claims *c, char kid[HC_KID_LEN + 1], const struct trust_issuer **isp,
		      const struct trust_key **kp)
{
	hc_err err;

	if ((err = hc_jws_parse(tok, n, HC_MAX_TOKEN, true, HC_MAX_INFLATED, j)) != HC_OK)
		return err;
	memcpy(kid, j->kid, HC_KID_LEN + 1);
	if ((err = hc_claims_parse((const char *)j->payload, j->payload_len, c)) != HC_OK)
		return err;
	if ((err = find_key(t, c, j->kid, isp, kp)) != HC_OK)
		return err;
	/* The header's alg must be the key's (ES256 for P-256, SM2 for SM2):
	 * a key is never used under the other algorithm, in any path. */
	if (j->alg != hc_pubkey_alg((*kp)->k)) {
		hc_set_detail("alg %s names a %s key", hc_alg_name(j->alg),
			      hc_alg_crv(hc_pubkey_alg((*kp)->k)));
		return HC_ERR_ALG;
	}
	return HC_OK;
}

hc_err hc__steps24(const struct hc_trust *t, const char *tok, size_t n, struct hc_claims *c,
		   char kid[HC_KID_LEN + 1], const struct trust_issuer **isp,
		   const struct trust_key **kp, uint8_t sig[HC_SIG_LEN])
{
	struct hc_jws j;
	hc_err err;

	if ((err = steps24(t, tok, n, &j, c, kid, isp, kp)) == HC_OK)
		memcpy(sig, j.sig, HC_SIG_LEN);
	hc_jws_clear(&j);
	return err;
}

hc_err hc__steps15(const struct hc_trust *t, const char *tok, size_t n, const uint8_t *digest,
		   struct hc_verctx **kctx, struct hc_claims *c, char kid[HC_KID_LEN + 1],
		   const struct trust_issuer **isp)
{
	const struct trust_key *k = NULL;
	struct hc_jws j;
	hc_err err;

	/* Steps 2 to 4, then 5: the signature. */
	if ((err = steps24(t, tok, n, &j, c, kid, isp, &k)) != HC_OK)
		goto out;
	if (digest && kctx && hc_pubkey_alg(k->k) == HC_ALG_ES256) {
		if (!kctx[k->idx] && (err = hc_verctx_new(k->k, &kctx[k->idx])) != HC_OK)
			goto out;
		err = hc_es256_verify_digest(kctx[k->idx], digest, j.sig);
	} else {
		err = hc_jws_verify(&j, tok, k->k);
	}
out:
	hc_jws_clear(&j);
	return err;
}

hc_err hc__steps68(const struct hc_trust *t, const struct hc_brief *b,
		   const struct hc_verify_opts *o, bool stale)
{
	hc_err err;

	(void)t;
	/* Step 6: the validity the issuer allows, whatever the key: a retired
	 * key that leaks cannot mint codes that outlive it by more. */
	if (b->exp - b->iat > b->is->max_validity) {
		hc_set_detail("exp - iat is %lld s, the issuer allows %lld s",
			      (long long)(b->exp - b->iat), (long long)b->is->max_validity);
		return HC_ERR_VALIDITY;
	}
	/* Then time, with skew on nbf and iat only (an expired code stays
	 * expired); a code issued in the future is no code of a real office. */
	if (o->at < b->nbf - o->skew) {
		char when[24];

		hc_time_format(b->nbf, when, sizeof(when));
		hc_set_detail("not valid until %s", when);
		return HC_ERR_NOT_YET_VALID;
	}
	if (o->at < b->iat - o->skew) {
		hc_set_detail("iat is %lld s after the time of verification",
			      (long long)(b->iat - o->at));
		return HC_ERR_IAT_FUTURE;
	}
	if (o->at > b->exp)
		return HC_ERR_EXPIRED;
	/* Step 7: the issuer's own revocation list, from the entry's time on. */
	if ((err = revoked(b->is, b, o->at)) != HC_OK)
		return err;
	/* Step 8: checkpoint requirements. */
	if ((err = requirements(b, o)) != HC_OK)
		return err;
	return stale && o->strict ? HC_ERR_STALE_TRUST : HC_OK;
}

hc_err hc_verify_token(const struct hc_trust *t, const char *tok, size_t n,
		       const struct hc_verify_opts *o, struct hc_result *res)
{
	const struct trust_issuer *is = NULL;
	struct hc_brief b;
	hc_err err;

	memset(res, 0, sizeof(*res));
	hc_set_detail(NULL);
	res->stale = hc_trust_stale(t, o);
	if ((err = hc__steps15(t, tok, n, NULL, NULL, &res->c, res->kid, &is)) != HC_OK)
		goto out;
	res->verified = true;
	(void)snprintf(res->issuer_name, sizeof(res->issuer_name), "%s", is->name);
	(void)snprintf(res->region, sizeof(res->region), "%s", is->region);
	if ((err = hc__brief(&res->c, is, &b)) != HC_OK)
		goto out;
	err = hc__steps68(t, &b, o, res->stale);
out:
	if (!res->verified)
		memset(&res->c, 0, sizeof(res->c)); /* nothing untrusted leaks out */
	res->err = err;
	return err;
}

hc_err hc_verify_qr(const struct hc_trust *t, const char *text, size_t n,
		    const struct hc_verify_opts *o, struct hc_result *res)
{
	char tok[HC_MAX_QR_TEXT / 2 + 1];
	size_t tl;
	hc_err err;

	memset(res, 0, sizeof(*res));
	hc_set_detail(NULL);
	/* Step 1: the framing. */
	if ((err = hc_qr_decode(HC_QR_PREFIX, text, n, tok, sizeof(tok), &tl)) != HC_OK) {
		res->err = err;
		res->stale = hc_trust_stale(t, o); /* every verdict carries it */
		return err;
	}
	return hc_verify_token(t, tok, tl, o, res);
}
