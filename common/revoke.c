/* revoke.c: revocation lists (DESIGN 6): verified under the issuer's own
 * keys, held sorted by jti, looked up by binary search. Their index and
 * lazy lists are in revoke_idx.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hc_json.h"
#include "revoke_int.h"

void hc__rev_clear(struct rev_list *l)
{
	if (l->lz) {
		if (l->lz->fd >= 0)
			(void)close(l->lz->fd);
		free(l->lz->table);
		free(l->lz->full);
		free(l->lz);
	}
	free(l->e);
	memset(l, 0, sizeof(*l));
}

static int entry_cmp(const void *a, const void *b)
{
	return memcmp(((const struct rev_entry *)a)->jti, ((const struct rev_entry *)b)->jti, 16);
}

const struct rev_entry *hc__revoked(const struct trust_issuer *is, const uint8_t jti[16])
{
	size_t lo = 0, hi = is->rev.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(is->rev.e[mid].jti, jti, 16);

		if (c == 0)
			return &is->rev.e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

hc_err hc__key_valid_at(const struct trust_key *k, int64_t iat)
{
	if (k->status == KEY_REVOKED)
		return HC_ERR_KEY_REVOKED;
	if (iat < k->nbf || (k->has_exp && iat > k->exp))
		return HC_ERR_KEY_NOT_VALID;
	return HC_OK;
}

/* Fills l->e from the "revoked" array: each {"jti","at"}, jti 16 bytes. */
static hc_err parse_entries(const cJSON *arr, struct rev_list *l)
{
	static const char *const members[] = {"jti", "at", NULL};
	const cJSON *ej;
	size_t i = 0, cap = 0;
	bool sorted = true;
	hc_err err;

	for (ej = arr->child; ej; ej = ej->next)
		if (++cap > HC_MAX_REVOKED) {
			hc_set_detail("more than %u entries", HC_MAX_REVOKED);
			return HC_ERR_TOO_LARGE;
		}
	if (cap && !(l->e = malloc(cap * sizeof(*l->e))))
		return HC_ERR_NOMEM;
	for (ej = arr->child; ej; ej = ej->next, i++) {
		struct rev_entry *e = &l->e[i];
		const cJSON *jti;
		size_t dl;

		if (!cJSON_IsObject(ej)) {
			err = HC_ERR_JSON_TYPE;
			goto bad;
		}
		if ((err = hc_json_only(ej, members)) != HC_OK ||
		    (err = hc_json_int(ej, "at", true, 0, INT64_MAX / 2, &e->at, NULL)) != HC_OK)
			goto bad;
		jti = cJSON_GetObjectItemCaseSensitive(ej, "jti");
		if (!cJSON_IsString(jti) || strlen(jti->valuestring) != 22 ||
		    hc_b64u_decode(jti->valuestring, 22, e->jti, sizeof(e->jti), &dl) != HC_OK ||
		    dl != 16) {
			err = HC_ERR_JSON_TYPE;
			hc_set_detail("entry %zu: jti is not 16 bytes of base64url", i);
			return err;
		}
		if (i > 0 && sorted && memcmp(l->e[i - 1].jti, e->jti, 16) >= 0)
			sorted = false;
	}
	l->n = i;
	if (!sorted && l->n > 1) {
		/* hc-keys writes sorted, unique lists; others are sorted here
		 * and a jti listed twice keeps its earliest time. */
		size_t w = 0;

		qsort(l->e, l->n, sizeof(*l->e), entry_cmp);
		for (size_t r = 1; r < l->n; r++) {
			if (memcmp(l->e[w].jti, l->e[r].jti, 16) == 0) {
				if (l->e[r].at < l->e[w].at)
					l->e[w].at = l->e[r].at;
			} else {
				l->e[++w] = l->e[r];
			}
		}
		l->n = w + 1;
	}
	return HC_OK;
bad:
	if (!hc_detail()[0])
		hc_set_detail("entry %zu: %s", i, hc_strerror(err));
	return err;
}

/* Parses a verified payload into l and returns its iss. */
hc_err hc__rev_parse(const uint8_t *p, size_t n, char *iss, size_t isssz,
			    struct rev_list *l)
{
	static const char *const members[] = {"iss", "seq", "iat", "revoked", NULL};
	cJSON *root = NULL;
	const cJSON *arr;
	hc_err err;

	if ((err = hc_json_parse((const char *)p, n, &root)) != HC_OK ||
	    (err = hc_json_only(root, members)) != HC_OK ||
	    (err = hc_json_str(root, "iss", true, iss, isssz, NULL)) != HC_OK ||
	    (err = hc_json_int(root, "seq", true, 1, INT64_MAX / 2, &l->seq, NULL)) != HC_OK ||
	    (err = hc_json_int(root, "iat", true, 0, INT64_MAX / 2, &l->iat, NULL)) != HC_OK ||
	    (err = hc_json_arr(root, "revoked", true, &arr)) != HC_OK)
		goto out;
	err = parse_entries(arr, l);
out:
	cJSON_Delete(root);
	return err;
}

/* The key with this kid, and whether some issuer holds it. */
static const struct trust_key *key_by_kid(const struct hc_trust *t, const char *kid)
{
	for (size_t i = 0; i < t->list.n; i++)
		for (size_t k = 0; k < t->list.issuers[i].nkeys; k++)
			if (strcmp(hc_pubkey_kid(t->list.issuers[i].keys[k].k), kid) == 0)
				return &t->list.issuers[i].keys[k];
	return NULL;
}

hc_err hc__rev_fail(hc_err err, const char *name, const char *why)
{
	char d[200];

	(void)snprintf(d, sizeof(d), "%s", hc_detail());
	hc_set_detail("%s: %s%s%s", name, why, d[0] ? ": " : "", d);
	return err;
}

#define MAX_SEEN 4096

/* Records that a list of is with l's seq and digest was read. Two different
 * lists under one seq are refused whenever both are read, whatever else
 * comes between them (a list of a higher seq that supersedes both would
 * otherwise hide the conflict or not, by the order of the files). */
static hc_err seen_add(struct trust_issuer *is, const struct rev_list *l, const char *name)
{
	struct rev_seen *p;

	for (size_t i = 0; i < is->nseen; i++) {
		if (is->seen[i].seq != l->seq)
			continue;
		if (memcmp(is->seen[i].digest, l->digest, 32) == 0)
			return HC_OK;
		hc_set_detail("%s: seq %lld, like another list of %.100s with other contents", name,
			      (long long)l->seq, is->iss);
		return HC_ERR_REVOCATION_LIST;
	}
	if (is->nseen == MAX_SEEN) {
		hc_set_detail("%s: more than %d lists of %.100s", name, MAX_SEEN, is->iss);
		return HC_ERR_TOO_LARGE;
	}
	if (!(p = realloc(is->seen, (is->nseen + 1) * sizeof(*p))))
		return HC_ERR_NOMEM;
	is->seen = p;
	p[is->nseen].seq = l->seq;
	memcpy(p[is->nseen].digest, l->digest, 32);
	is->nseen++;
	return HC_OK;
}

hc_err hc_trust_add_revocations(struct hc_trust *t, const char *name, const char *s, size_t n,
				struct hc_revinfo *info)
{
	return hc__rev_add(t, name, s, n, NULL, 0, NULL, NULL, NULL, info);
}

/* What follows the signature check for a list of iss signed by kid, from
 * its payload or its index: the key must be one of the named issuer's own
 * keys and valid at the list's iat, a list of the same seq must have the
 * same contents, and a lower seq than the list held is a rollback. Takes
 * l's entries when l is kept. */
hc_err hc__rev_accept(struct hc_trust *t, const char *name, struct rev_list *l, const char *iss,
		      const char *kid, struct hc_revinfo *info)
{
	struct trust_issuer *is = (struct trust_issuer *)hc__trust_issuer(t, iss);
	const struct trust_key *k = NULL;
	hc_err err;

	for (size_t i = 0; is && i < is->nkeys; i++)
		if (strcmp(hc_pubkey_kid(is->keys[i].k), kid) == 0)
			k = &is->keys[i];
	if (!is || !k) {
		hc_set_detail("iss %.100s", iss);
		return hc__rev_fail(HC_ERR_REVOCATION_LIST, name,
			    is ? "not signed by a key of its issuer" : "issuer not in the trust list");
	}
	if (hc__key_valid_at(k, l->iat) != HC_OK)
		return hc__rev_fail(HC_ERR_REVOCATION_LIST, name,
			    "signing key revoked or outside its window at the list's iat");
	(void)snprintf(info->iss, sizeof(info->iss), "%s", is->iss);
	if ((err = seen_add(is, l, name)) != HC_OK)
		return err;
	if (l->seq < is->rev.seq) {
		hc_set_detail("%s: seq %lld, held %lld", name, (long long)l->seq,
			      (long long)is->rev.seq);
		return HC_ERR_ROLLBACK;
	}
	if (l->seq > is->rev.seq) {
		hc__rev_clear(&is->rev);
		is->rev = *l;
		memset(l, 0, sizeof(*l));
	}
	info->seq = is->rev.seq;
	info->iat = is->rev.iat;
	info->count = is->rev.n;
	memcpy(info->digest, is->rev.digest, 32);
	return HC_OK;
}

hc_err hc__rev_add(struct hc_trust *t, const char *name, const char *s, size_t n,
		   const uint8_t *idx, size_t idxlen, const struct hc_rev_src *src,
		   uint8_t **newidx, size_t *newidxlen, struct hc_revinfo *info)
{
	struct rev_list l;
	const struct trust_key *k = NULL;
	struct hc_jws j;
	char iss[256];
	hc_err err;

	memset(&l, 0, sizeof(l));
	memset(info, 0, sizeof(*info));
	if (newidx)
		*newidx = NULL;
	hc_set_detail(NULL);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	/* Header, then the key, then the signature; only then the payload. */
	if ((err = hc_jws_parse(s, n, HC_MAX_REVOCATION_FILE, false, HC_MAX_REVOCATION_FILE, &j)) !=
	    HC_OK)
		return hc__rev_fail(HC_ERR_REVOCATION_LIST, name, hc_strerror(err));
	hc_set_detail(NULL);
	if (!(k = key_by_kid(t, j.kid))) {
		hc_set_detail("kid %s", j.kid);
		err = hc__rev_fail(HC_ERR_REVOCATION_LIST, name, "signed by a key no issuer holds");
		goto out;
	}
	if (hc_jws_verify(&j, s, k->k) != HC_OK) {
		err = hc__rev_fail(HC_ERR_REVOCATION_LIST, name, "signature does not verify");
		goto out;
	}
	if ((err = hc_sha256(j.payload, j.payload_len, l.digest)) != HC_OK)
		goto out;
	if (!hc__rev_idx_load(idx, idxlen, &l, iss, sizeof(iss))) {
		if ((err = hc__rev_parse(j.payload, j.payload_len, iss, sizeof(iss), &l)) != HC_OK) {
			err = hc__rev_fail(HC_ERR_REVOCATION_LIST, name, hc_strerror(err));
			goto out;
		}
		if (newidx && hc__rev_idx_make(&l, iss, j.kid, src, newidx, newidxlen) != HC_OK)
			*newidx = NULL; /* only a cache */
	} else if (newidx && src && !hc__rev_idx_from(idx, src, j.kid) &&
		   hc__rev_idx_make(&l, iss, j.kid, src, newidx, newidxlen) != HC_OK) {
		*newidx = NULL; /* right contents, made from another file: lazy loads need this one */
	}
	err = hc__rev_accept(t, name, &l, iss, j.kid, info);
out:
	hc__rev_clear(&l);
	hc_jws_clear(&j);
	return err;
}
