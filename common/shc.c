/* shc.c: SMART Health Cards as a checkpoint accepts them (doc/FORMATS.md):
 * "shc:/" numeric text, single or chunked, a compact JWS (ES256, raw
 * DEFLATE) by an issuer of the foreign trust data, nbf/exp, revocation by
 * rid, and what the FHIR bundle says. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "foreign_int.h"
#include "hc_json.h"

#define SHC_JWS_MAX (HC_MAX_SHC_TEXT / 2)
#define HEALTH_CARD "https://smarthealth.cards#health-card"
#define SNOMED_NEGATIVE "260385009"

/* "shc:/I/N/" with I and N decimal without leading zeros, 1 <= I <= N. */
static bool chunk_head(const char *s, size_t n, unsigned *i, unsigned *total, size_t *hl)
{
	unsigned v[2];
	size_t p = 5;

	if (n < 5 || memcmp(s, "shc:/", 5) != 0)
		return false;
	for (int k = 0; k < 2; k++) {
		size_t st = p;

		v[k] = 0;
		while (p < n && s[p] >= '0' && s[p] <= '9' && p - st < 3)
			v[k] = v[k] * 10 + (unsigned)(s[p++] - '0');
		if (p == st || p >= n || s[p] != '/' || (s[st] == '0'))
			return false;
		p++;
	}
	if (v[0] < 1 || v[0] > v[1])
		return false;
	*i = v[0];
	*total = v[1];
	*hl = p;
	return true;
}

bool hc_shc_chunk(const char *text, size_t n, unsigned *i, unsigned *total)
{
	size_t hl;

	return chunk_head(text, n, i, total, &hl);
}

hc_err hc_shc_decode(const char *text, size_t n, char *jws, size_t cap, size_t *len)
{
	const char *part[HC_MAX_SHC_CHUNKS];
	size_t plen[HC_MAX_SHC_CHUNKS], np = 0, o = 0, hl;
	unsigned total = 0;
	hc_err err;

	*len = 0;
	if (n > HC_MAX_SHC_TEXT) {
		hc_set_detail("more than %u bytes of shc:/ text", HC_MAX_SHC_TEXT);
		return HC_ERR_TOO_LARGE;
	}
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	/* One line, or lines of chunks. */
	for (size_t at = 0; at < n;) {
		const char *nl = memchr(text + at, '\n', n - at);
		size_t l = nl ? (size_t)(nl - text) - at : n - at;

		if (np == HC_MAX_SHC_CHUNKS) {
			hc_set_detail("more than %u chunks", HC_MAX_SHC_CHUNKS);
			return HC_ERR_TOO_LARGE;
		}
		part[np] = text + at;
		plen[np] = l > 0 && text[at + l - 1] == '\r' ? l - 1 : l;
		np++;
		at += l + 1;
	}
	if (np == 0)
		return HC_ERR_QR_EMPTY;
	if (np == 1 && !hc_shc_chunk(part[0], plen[0], &(unsigned){0}, &total)) {
		err = hc_qr_decode("shc:/", part[0], plen[0], jws, cap, len);
		if (err == HC_ERR_TOO_LARGE)
			hc_set_detail("one shc:/ QR text is at most %d bytes", HC_MAX_QR_TEXT);
		return err;
	}
	/* Chunks: each once, all of one N, joined in the order 1..N. */
	for (unsigned want = 1; want <= np; want++) {
		size_t k, got = 0;

		for (k = 0; k < np; k++) {
			unsigned ci, ct;

			if (!chunk_head(part[k], plen[k], &ci, &ct, &hl)) {
				hc_set_detail("line %zu is not a chunk shc:/I/N/...", k + 1);
				return HC_ERR_QR_PREFIX;
			}
			if (ct != np || ct < 2) {
				hc_set_detail(ct > np ? "chunks missing: %zu of %u given"
						      : "%zu chunks given of %u", np, ct);
				return HC_ERR_QR_PREFIX;
			}
			if (ci == want && got++ == 0) {
				char *piece = jws + o;
				size_t pl;

				/* Each chunk is one QR text: the domestic cap applies. */
				err = hc_qr_decode("", part[k] + hl, plen[k] - hl, piece, cap - o, &pl);
				if (err != HC_OK) {
					hc_set_detail("chunk %u: %s", ci, hc_strerror(err));
					return err;
				}
				o += pl;
			}
		}
		if (got != 1) {
			hc_set_detail("chunk %u of %zu %s", want, np, got ? "given twice" : "missing");
			return HC_ERR_QR_PREFIX;
		}
	}
	*len = o;
	return HC_OK;
}

/* A JSON number of seconds, fractions allowed, in [0, 2^53). */
static hc_err get_time(const cJSON *o, const char *name, bool required, double *out,
		       bool *present)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	if (present)
		*present = j != NULL;
	if (!j) {
		if (!required)
			return HC_OK;
		hc_set_detail("no %s", name);
		return HC_ERR_JSON_MISSING;
	}
	if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble) || j->valuedouble < 0 ||
	    j->valuedouble >= 9007199254740992.0) {
		hc_set_detail("%s is not a time in seconds", name);
		return HC_ERR_CLAIMS;
	}
	*out = j->valuedouble;
	return HC_OK;
}

static const char *str_of(const cJSON *o, const char *name)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

/* Whether a coding array (code.coding, valueCodeableConcept.coding) has
 * code; *first the first code. */
static bool has_code(const cJSON *concept, const char *code, const char **first)
{
	const cJSON *c;

	if (first)
		*first = NULL;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(concept, "coding"))
	{
		const char *s = str_of(c, "code");

		if (!s)
			continue;
		if (first && !*first)
			*first = s;
		if (code && strcmp(s, code) == 0)
			return true;
	}
	return false;
}

/* LOINC codes of SARS-CoV-2 nucleic acid tests (NAAT, RT-PCR and the
 * like): a negative one meets --require-nat. */
static bool naat_code(const char *c)
{
	static const char *const naat[] = {"94309-2", "94500-6", "94306-8", "94307-6", "94308-4",
					   "94315-9", "94316-7", "94502-2", "94533-7", "94534-5",
					   "94559-2", "94565-9", "94639-2", "94640-0", "94756-4",
					   "94757-2", "94759-8", "94760-6", "94845-5", "95406-5",
					   "95409-9", "95425-5", "96091-4", "96120-1", NULL};

	for (size_t i = 0; c && naat[i]; i++)
		if (strcmp(c, naat[i]) == 0)
			return true;
	return false;
}

static void copy_safe(char *dst, size_t n, const char *s)
{
	hc_display_safe(s ? s : "", dst, n);
}

/* The patient's name as "Given Given Family" and birthDate. */
static void patient(const cJSON *res, struct hc_foreign_result *r)
{
	const cJSON *nm = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "name"), 0), *g;
	char buf[256];
	size_t o = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(nm, "given"))
	{
		if (cJSON_IsString(g) && o < sizeof(buf))
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? " " : "",
					      g->valuestring);
	}
	if (str_of(nm, "family") && o < sizeof(buf))
		(void)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? " " : "", str_of(nm, "family"));
	copy_safe(r->name, sizeof(r->name), buf);
	(void)snprintf(buf, 11, "%s", str_of(res, "birthDate") ? str_of(res, "birthDate") : "");
	copy_safe(r->dob, sizeof(r->dob), buf);
}

/* What the FHIR bundle says; *nat whether a negative NAAT is within the
 * requirement's window. */
static void bundle(const cJSON *entries, const struct hc_verify_opts *o,
		   struct hc_foreign_result *r, bool *nat)
{
	const cJSON *e;
	bool shown = false;

	*nat = false;
	cJSON_ArrayForEach(e, entries)
	{
		const cJSON *res = cJSON_GetObjectItemCaseSensitive(e, "resource");
		const char *rt = str_of(res, "resourceType"), *code, *when;

		if (!rt)
			continue;
		if (strcmp(rt, "Patient") == 0) {
			patient(res, r);
		} else if (strcmp(rt, "Immunization") == 0) {
			const char *st = str_of(res, "status"), *d = str_of(res, "occurrenceDateTime");
			char day[11];

			if (!st || strcmp(st, "completed") != 0)
				continue;
			r->type = 'v';
			r->doses++;
			(void)snprintf(day, sizeof(day), "%s", d ? d : "");
			if (strcmp(day, r->vac_date) > 0)
				copy_safe(r->vac_date, sizeof(r->vac_date), day);
		} else if (strcmp(rt, "Observation") == 0) {
			const char *ost = str_of(res, "status");
			bool neg = has_code(cJSON_GetObjectItemCaseSensitive(res, "valueCodeableConcept"),
					    SNOMED_NEGATIVE, NULL);
			int64_t at = 0;

			(void)has_code(cJSON_GetObjectItemCaseSensitive(res, "code"), NULL, &code);
			when = str_of(res, "effectiveDateTime");
			if (!when || hc_time_parse(when, &at) != HC_OK)
				at = 0;
			/* a result withdrawn, cancelled or not yet final meets nothing */
			if (!ost || (strcmp(ost, "final") != 0 && strcmp(ost, "amended") != 0 &&
				     strcmp(ost, "corrected") != 0))
				continue;
			if (naat_code(code) && neg && at && at >= o->at - o->nat_max_age &&
			    at <= o->at + o->skew)
				*nat = true;
			/* The first test is shown, or the first NAAT when there is one. */
			if (r->test_type[0] && (shown || !naat_code(code)))
				continue;
			if (r->type != 'v')
				r->type = 't';
			copy_safe(r->test_type, sizeof(r->test_type), code);
			r->test_negative = neg;
			r->test_at = at;
			shown = naat_code(code);
		}
	}
}

static int rid_key_cmp(const void *key, const void *e)
{
	return strcmp(key, ((const struct shc_rid *)e)->rid);
}

/* Whether the card (rid, nbf) is on key k's revocation list. */
static bool revoked(const struct shc_key *k, const char *rid, double nbf)
{
	const struct shc_rid *e;

	if (!rid || !k->nrids ||
	    !(e = bsearch(rid, k->rids, k->nrids, sizeof(*k->rids), rid_key_cmp)))
		return false;
	if (e->has_at && !(nbf < (double)e->at))
		return false; /* issued again after the revocation */
	hc_set_detail("rid %s revoked by the crl of key %s (ctr %lld)", rid, hc_pubkey_kid(k->k),
		      (long long)k->crl_ctr);
	return true;
}

/* hc_jws_verify of the card under key k, or its outcome from the cache:
 * the key binds k (its RFC 7638 thumbprint, computed from its point, and
 * its alg) and the whole token (header, payload and signature as sent). */
static hc_err jws_verify_cached(struct hc_sigcache *cache, const struct hc_jws *j,
				const char *tok, size_t tl, const struct hc_pubkey *k)
{
	const char *kid = hc_pubkey_kid(k);
	uint8_t alg = (uint8_t)hc_pubkey_alg(k), key[32];
	struct hc_span parts[3] = {{kid, strlen(kid)}, {&alg, 1}, {tok, tl}};
	bool keyed = cache && hc__sigkey("hcode SHC JWS", 3, parts, key) == HC_OK;
	hc_err e;

	if (keyed && hc__sigcache_get_sig(cache, key, &e))
		return e;
	e = hc_jws_verify(j, tok, k);
	if (keyed)
		hc__sigcache_put_sig(cache, key, e);
	return e;
}

static hc_err check_card(const struct hc_foreign *f, struct hc_sigcache *cache, const char *tok,
			 size_t tl, const struct hc_verify_opts *o, struct hc_foreign_result *r)
{
	const struct shc_issuer *is;
	const struct shc_key *k = NULL;
	const cJSON *vc, *types, *t, *entries;
	struct hc_jws j;
	cJSON *root = NULL;
	char iss[256];
	double nbf = 0, exp = 0;
	bool has_exp, card = false, nat;
	hc_err err;

	if ((err = hc_jws_parse(tok, tl, SHC_JWS_MAX, true, HC_MAX_SHC_INFLATED, &j)) != HC_OK) {
		if (err == HC_ERR_INFLATE_CAP)
			hc_set_detail("an SHC payload inflates to at most %u bytes", HC_MAX_SHC_INFLATED);
		return err;
	}
	if ((err = hc_json_parse_untrusted((const char *)j.payload, j.payload_len, &root)) != HC_OK)
		goto out;
	if ((err = hc_json_str(root, "iss", true, iss, sizeof(iss), NULL)) != HC_OK) {
		hc_set_detail("no iss of at most 255 bytes");
		goto out;
	}
	if (!(is = f ? hc__shc_issuer(f, iss) : NULL)) {
		hc_set_detail("SHC issuer not in the foreign trust data");
		err = HC_ERR_UNKNOWN_ISSUER;
		goto out;
	}
	for (size_t i = 0; i < is->nkeys; i++)
		if (strcmp(hc_pubkey_kid(is->keys[i].k), j.kid) == 0)
			k = &is->keys[i];
	if (!k) {
		hc_set_detail("key %s is not a key of %.100s", j.kid, is->iss);
		err = HC_ERR_UNKNOWN_KEY;
		goto out;
	}
	if ((err = jws_verify_cached(cache, &j, tok, tl, k->k)) != HC_OK)
		goto out;
	/* Signed: what follows is the issuer's word. */
	r->verified = true;
	copy_safe(r->issuer, sizeof(r->issuer), is->iss);
	copy_safe(r->issuer_name, sizeof(r->issuer_name), is->name);
	if ((err = get_time(root, "nbf", true, &nbf, NULL)) != HC_OK ||
	    (err = get_time(root, "exp", false, &exp, &has_exp)) != HC_OK)
		goto out;
	if (has_exp && exp < nbf) {
		hc_set_detail("exp before nbf");
		err = HC_ERR_CLAIMS;
		goto out;
	}
	r->iat = (int64_t)nbf; /* both >= 0: rounded down */
	r->exp = has_exp ? (int64_t)exp + ((double)(int64_t)exp < exp) : 0;
	vc = cJSON_GetObjectItemCaseSensitive(root, "vc");
	types = cJSON_GetObjectItemCaseSensitive(vc, "type");
	cJSON_ArrayForEach(t, types)
	{
		if (cJSON_IsString(t) && strcmp(t->valuestring, HEALTH_CARD) == 0)
			card = true;
	}
	entries = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(vc, "credentialSubject"), "fhirBundle"),
		"entry");
	if (!card || !cJSON_IsArray(entries)) {
		hc_set_detail(card ? "no vc.credentialSubject.fhirBundle.entry"
				   : "vc.type does not name a health card");
		err = HC_ERR_CLAIMS;
		goto out;
	}
	bundle(entries, o, r, &nat);
	if (nbf > (double)(o->at + o->skew)) {
		err = HC_ERR_NOT_YET_VALID;
		goto out;
	}
	if (has_exp && (double)o->at > exp) {
		err = HC_ERR_EXPIRED;
		goto out;
	}
	if (revoked(k, str_of(vc, "rid"), nbf)) {
		err = HC_ERR_REVOKED;
		goto out;
	}
	if (o->nat_max_age > 0 && !nat)
		err = HC_ERR_REQ_NAT;
	else if (o->min_doses > 0 && (r->type != 'v' || r->doses < o->min_doses))
		err = HC_ERR_REQ_DOSES;
	else
		err = HC_OK;
out:
	cJSON_Delete(root);
	hc_jws_clear(&j);
	return err;
}

static hc_err shc_verify(const struct hc_foreign *f, struct hc_sigcache *cache, const char *text,
			 size_t n, const struct hc_verify_opts *o, struct hc_foreign_result *r)
{
	char *tok;
	size_t tl;
	hc_err err;

	memset(r, 0, sizeof(*r));
	r->fmt = HC_FMT_SHC;
	hc_set_detail(NULL);
	if (!(tok = malloc(SHC_JWS_MAX + 1)))
		return HC_ERR_NOMEM;
	if ((err = hc_shc_decode(text, n, tok, SHC_JWS_MAX + 1, &tl)) == HC_OK)
		err = check_card(f, cache, tok, tl, o, r);
	free(tok);
	return err;
}

hc_err hc_shc_verify(const struct hc_foreign *f, const char *text, size_t n,
		     const struct hc_verify_opts *o, struct hc_foreign_result *r)
{
	return shc_verify(f, NULL, text, n, o, r);
}

hc_err hc_foreign_verify(const struct hc_trust *t, const char *text, size_t n,
			 const struct hc_verify_opts *o, struct hc_foreign_result *r)
{
	return hc_foreign_verify_cached(t, NULL, text, n, o, r);
}

hc_err hc_foreign_verify_cached(const struct hc_trust *t, struct hc_sigcache *cache,
				const char *text, size_t n, const struct hc_verify_opts *o,
				struct hc_foreign_result *r)
{
	const struct hc_foreign *f = hc_trust_foreign(t);
	enum hc_foreign_format fmt = hc_foreign_format_of(text, n);
	const struct hc_dcc_cert *certs = NULL;
	size_t nc = 0;
	hc_err err;

	memset(r, 0, sizeof(*r));
	r->fmt = fmt;
	hc_set_detail(NULL);
	if (fmt == HC_FMT_SHC) {
		err = shc_verify(f, cache, text, n, o, r);
	} else if (fmt == HC_FMT_DCC) {
		if (f)
			certs = hc_foreign_certs(f, &nc);
		err = hc__dcc_verify(certs, nc, cache, text, n, o, r);
		/* a well-formed code with no foreign trust data at all: its
		 * issuer is unknown, as for a card (the DCC verifier, given no
		 * certificates, can only say no kid matched) */
		if (!f && err == HC_ERR_UNKNOWN_KEY) {
			hc_set_detail("no foreign trust data (DIR/foreign.jws) holds DCC signers");
			err = HC_ERR_UNKNOWN_ISSUER;
		}
	} else {
		return HC_ERR_QR_PREFIX;
	}
	/* As for domestic codes: stale trust fails only a code that passed. */
	if (err == HC_OK && o->strict && hc_trust_stale(t, o))
		err = HC_ERR_STALE_TRUST;
	return err;
}
