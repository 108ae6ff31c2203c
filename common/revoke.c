/* revoke.c: revocation lists (DESIGN 6): verified under the issuer's own
 * keys, held sorted by jti, looked up by binary search. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "trust_int.h"

void hc__rev_clear(struct rev_list *l)
{
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

static hc_err fail(hc_err err, const char *name, const char *why)
{
	char d[200];

	(void)snprintf(d, sizeof(d), "%s", hc_detail());
	hc_set_detail("%s: %s%s%s", name, why, d[0] ? ": " : "", d);
	return err;
}

/* The index of a revocation list: the parsed list in host byte order,
 * valid only for the payload whose SHA-256 it records. A cache beside the
 * signed file (NAME.jws.idx), so that loading a 10^6-entry list need not
 * parse its JSON again; the signature is checked on every load. */
#define IDX_MAGIC "HCRIDX1\n"
struct idx_hdr {
	char magic[8];
	uint32_t order; /* 0x01020304 in the writer's byte order */
	uint32_t entry_size;
	uint8_t digest[32];
	int64_t seq, iat;
	char iss[256];
	uint64_t n;
};

/* Fills l and iss from an index for the payload digest l->digest; false
 * when the index is absent, stale or inconsistent in any way. */
bool hc__rev_idx_load(const uint8_t *p, size_t len, struct rev_list *l, char *iss, size_t isssz)
{
	struct idx_hdr h;

	if (!p || len < sizeof(h))
		return false;
	memcpy(&h, p, sizeof(h));
	if (memcmp(h.magic, IDX_MAGIC, 8) != 0 || h.order != 0x01020304u ||
	    h.entry_size != sizeof(struct rev_entry) || memcmp(h.digest, l->digest, 32) != 0 ||
	    h.n > HC_MAX_REVOKED || len != sizeof(h) + h.n * sizeof(struct rev_entry) ||
	    h.seq < 1 || h.iat < 0 || !memchr(h.iss, '\0', sizeof(h.iss)) ||
	    strlen(h.iss) >= isssz)
		return false;
	if (h.n && !(l->e = malloc(h.n * sizeof(*l->e))))
		return false;
	if (h.n)
		memcpy(l->e, p + sizeof(h), h.n * sizeof(*l->e));
	for (size_t i = 0; i < h.n; i++)
		if (l->e[i].at < 0 || (i && memcmp(l->e[i - 1].jti, l->e[i].jti, 16) >= 0)) {
			free(l->e); /* l->digest stays: the caller parses next */
			l->e = NULL;
			return false; /* bsearch needs strictly sorted entries */
		}
	l->n = h.n;
	l->seq = h.seq;
	l->iat = h.iat;
	memcpy(iss, h.iss, strlen(h.iss) + 1);
	return true;
}

static hc_err idx_make(const struct rev_list *l, const char *iss, uint8_t **out, size_t *outlen)
{
	struct idx_hdr h;
	size_t len = sizeof(h) + l->n * sizeof(*l->e);
	uint8_t *p;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, IDX_MAGIC, 8);
	h.order = 0x01020304u;
	h.entry_size = sizeof(struct rev_entry);
	memcpy(h.digest, l->digest, 32);
	h.seq = l->seq;
	h.iat = l->iat;
	(void)snprintf(h.iss, sizeof(h.iss), "%s", iss);
	h.n = l->n;
	if (!(p = malloc(len)))
		return HC_ERR_NOMEM;
	memcpy(p, &h, sizeof(h));
	if (l->n)
		memcpy(p + sizeof(h), l->e, l->n * sizeof(*l->e));
	*out = p;
	*outlen = len;
	return HC_OK;
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
	return hc__rev_add(t, name, s, n, NULL, 0, NULL, NULL, info);
}

hc_err hc__rev_add(struct hc_trust *t, const char *name, const char *s, size_t n,
		   const uint8_t *idx, size_t idxlen, uint8_t **newidx, size_t *newidxlen,
		   struct hc_revinfo *info)
{
	struct rev_list l;
	struct trust_issuer *is;
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
		return fail(HC_ERR_REVOCATION_LIST, name, hc_strerror(err));
	hc_set_detail(NULL);
	if (!(k = key_by_kid(t, j.kid))) {
		hc_set_detail("kid %s", j.kid);
		err = fail(HC_ERR_REVOCATION_LIST, name, "signed by a key no issuer holds");
		goto out;
	}
	if (hc_jws_verify(&j, s, k->k) != HC_OK) {
		err = fail(HC_ERR_REVOCATION_LIST, name, "signature does not verify");
		goto out;
	}
	if ((err = hc_sha256(j.payload, j.payload_len, l.digest)) != HC_OK)
		goto out;
	if (!hc__rev_idx_load(idx, idxlen, &l, iss, sizeof(iss))) {
		if ((err = hc__rev_parse(j.payload, j.payload_len, iss, sizeof(iss), &l)) != HC_OK) {
			err = fail(HC_ERR_REVOCATION_LIST, name, hc_strerror(err));
			goto out;
		}
		if (newidx && idx_make(&l, iss, newidx, newidxlen) != HC_OK)
			*newidx = NULL; /* only a cache */
	}
	/* The key must be one of the named issuer's own keys. */
	is = (struct trust_issuer *)hc__trust_issuer(t, iss);
	k = NULL;
	for (size_t i = 0; is && i < is->nkeys; i++)
		if (strcmp(hc_pubkey_kid(is->keys[i].k), j.kid) == 0)
			k = &is->keys[i];
	if (!is || !k) {
		hc_set_detail("iss %.100s", iss);
		err = fail(HC_ERR_REVOCATION_LIST, name,
			   is ? "not signed by a key of its issuer" : "issuer not in the trust list");
		goto out;
	}
	if (hc__key_valid_at(k, l.iat) != HC_OK) {
		err = fail(HC_ERR_REVOCATION_LIST, name,
			   "signing key revoked or outside its window at the list's iat");
		goto out;
	}
	(void)snprintf(info->iss, sizeof(info->iss), "%s", is->iss);
	if ((err = seen_add(is, &l, name)) != HC_OK)
		goto out;
	if (l.seq < is->rev.seq) {
		hc_set_detail("%s: seq %lld, held %lld", name, (long long)l.seq,
			      (long long)is->rev.seq);
		err = HC_ERR_ROLLBACK;
		goto out;
	}
	if (l.seq > is->rev.seq) {
		hc__rev_clear(&is->rev);
		is->rev = l;
		memset(&l, 0, sizeof(l));
	}
	info->seq = is->rev.seq;
	info->iat = is->rev.iat;
	info->count = is->rev.n;
	memcpy(info->digest, is->rev.digest, 32);
	err = HC_OK;
out:
	hc__rev_clear(&l);
	hc_jws_clear(&j);
	return err;
}
