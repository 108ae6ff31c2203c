/* trust_list.c: the signed trust list (DESIGN 6): its JWS verified under
 * the pinned roots, its payload parsed and checked (issuers, keys and
 * their windows, revocation paths). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "trust_int.h"

void hc__trust_list_clear(struct trust_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		for (size_t j = 0; j < l->issuers[i].nkeys; j++)
			hc_pubkey_free(l->issuers[i].keys[j].k);
		hc__rev_clear(&l->issuers[i].rev);
		free(l->issuers[i].seen);
	}
	free(l->issuers);
	hc_pubkey_free(l->snap_key);
	memset(l, 0, sizeof(*l));
}

static hc_err parse_key(const cJSON *j, struct trust_key *k)
{
	static const char *const members[] = {"kty", "crv", "x", "y", "kid", "alg", "use",
					      "nbf", "exp", "status", NULL};
	char st[16];
	hc_err err;

	if ((err = hc_jwk_listed(j, members, "key")) != HC_OK ||
	    (err = hc_json_int(j, "nbf", false, 0, INT64_MAX / 2, &k->nbf, NULL)) != HC_OK ||
	    (err = hc_json_int(j, "exp", false, 0, INT64_MAX / 2, &k->exp, &k->has_exp)) != HC_OK ||
	    (err = hc_json_str(j, "status", true, st, sizeof(st), NULL)) != HC_OK)
		return err;
	if (strcmp(st, "active") == 0)
		k->status = KEY_ACTIVE;
	else if (strcmp(st, "retired") == 0)
		k->status = KEY_RETIRED;
	else if (strcmp(st, "revoked") == 0)
		k->status = KEY_REVOKED;
	else {
		hc_set_detail("key status \"%s\"", st);
		return HC_ERR_TRUST_LIST;
	}
	if (k->status == KEY_RETIRED && !k->has_exp) {
		hc_set_detail("retired key without exp (the end of its signing window)");
		return HC_ERR_TRUST_LIST;
	}
	if (k->has_exp && k->exp < k->nbf) {
		hc_set_detail("key exp before nbf");
		return HC_ERR_TRUST_LIST;
	}
	return hc_pubkey_from_jwk(j, &k->k);
}

/* A revocation list path is "revocations/NAME.jws", NAME of [A-Za-z0-9._-]
 * not starting with a dot: the same relative path on the server and in the
 * trust directory, with no way out of either. */
static bool rev_path_ok(const char *p)
{
	static const char pre[] = "revocations/";
	size_t n = strlen(p), b = sizeof(pre) - 1;

	if (n <= b + 4 || strncmp(p, pre, b) != 0 || strcmp(p + n - 4, ".jws") != 0 || p[b] == '.')
		return false;
	for (size_t i = b; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", p[i]))
			return false;
	return true;
}

hc_err hc_iss_check(const char *iss)
{
	size_t il = strlen(iss);

	if (il < 9 || strncmp(iss, "https://", 8) != 0 || iss[il - 1] == '/') {
		hc_set_detail("iss \"%.60s\" is not an https URL without a trailing slash", iss);
		return HC_ERR_TRUST_LIST;
	}
	return HC_OK;
}

static hc_err parse_issuer(const cJSON *j, struct trust_issuer *is)
{
	static const char *const members[] = {"iss", "name", "region", "keys", "revocations",
					      "max_validity", NULL};
	const cJSON *keys, *kj;
	bool has_mv;
	hc_err err;

	if (!cJSON_IsObject(j))
		return HC_ERR_JSON_TYPE;
	if ((err = hc_json_only(j, members)) != HC_OK ||
	    (err = hc_json_str(j, "iss", true, is->iss, sizeof(is->iss), NULL)) != HC_OK ||
	    (err = hc_json_str(j, "name", true, is->name, sizeof(is->name), NULL)) != HC_OK ||
	    (err = hc_json_str(j, "region", true, is->region, sizeof(is->region), NULL)) != HC_OK ||
	    (err = hc_json_str(j, "revocations", false, is->revocations, sizeof(is->revocations),
			       NULL)) != HC_OK ||
	    (err = hc_json_int(j, "max_validity", false, 1, HC_MAX_MAX_VALIDITY, &is->max_validity,
			       &has_mv)) != HC_OK ||
	    (err = hc_json_arr(j, "keys", true, &keys)) != HC_OK)
		return err;
	if (!has_mv)
		is->max_validity = HC_DEFAULT_MAX_VALIDITY;
	if ((err = hc_iss_check(is->iss)) != HC_OK)
		return err;
	if (strlen(is->region) != 6 || strspn(is->region, "0123456789") != 6) {
		hc_set_detail("region \"%s\" is not a six-digit code", is->region);
		return HC_ERR_TRUST_LIST;
	}
	if (is->revocations[0] && !rev_path_ok(is->revocations)) {
		hc_set_detail("revocations path \"%.60s\" is not revocations/NAME.jws",
			      is->revocations);
		return HC_ERR_TRUST_LIST;
	}
	cJSON_ArrayForEach(kj, keys)
	{
		if (is->nkeys == MAX_KEYS) {
			hc_set_detail("more than %d keys for %s", MAX_KEYS, is->iss);
			return HC_ERR_TOO_LARGE;
		}
		if ((err = parse_key(kj, &is->keys[is->nkeys])) != HC_OK)
			return err;
		for (size_t i = 0; i < is->nkeys; i++)
			if (strcmp(hc_pubkey_kid(is->keys[i].k), hc_pubkey_kid(is->keys[is->nkeys].k)) ==
			    0) {
				hc_pubkey_free(is->keys[is->nkeys].k);
				hc_set_detail("key listed twice for %s", is->iss);
				return HC_ERR_TRUST_LIST;
			}
		is->nkeys++;
	}
	if (is->nkeys == 0) {
		hc_set_detail("issuer %s has no keys", is->iss);
		return HC_ERR_TRUST_LIST;
	}
	return HC_OK;
}

/* A key (by thumbprint) belongs to one issuer only: were it listed under
 * two, a status of revoked under one would not stop the other's codes. */
static hc_err key_elsewhere(const struct trust_list *l, const struct trust_issuer *is)
{
	for (size_t i = 0; i + 1 < l->n; i++)
		for (size_t a = 0; a < l->issuers[i].nkeys; a++)
			for (size_t b = 0; b < is->nkeys; b++)
				if (strcmp(hc_pubkey_kid(l->issuers[i].keys[a].k),
					   hc_pubkey_kid(is->keys[b].k)) == 0) {
					hc_set_detail("key %s listed for %.100s and for %.100s",
						      hc_pubkey_kid(is->keys[b].k),
						      l->issuers[i].iss, is->iss);
					return HC_ERR_TRUST_LIST;
				}
	return HC_OK;
}

/* Parses a trust-list payload into l (which the caller clears). */
static hc_err parse_list(const char *json, size_t n, struct trust_list *l)
{
	static const char *const members[] = {"seq", "iat", "next_update", "issuers",
					      "snapshot_key", "foreign", NULL};
	static const char *const jwk[] = {"kty", "crv", "x", "y", "kid", "alg", "use", NULL};
	cJSON *root = NULL;
	const cJSON *issuers, *ij, *sk;
	int count;
	hc_err err;

	memset(l, 0, sizeof(*l));
	if ((err = hc_json_parse(json, n, &root)) != HC_OK)
		return err;
	if ((err = hc_json_only(root, members)) != HC_OK ||
	    (err = hc_json_int(root, "seq", true, 1, INT64_MAX / 2, &l->seq, NULL)) != HC_OK ||
	    (err = hc_json_int(root, "iat", true, 0, INT64_MAX / 2, &l->iat, NULL)) != HC_OK ||
	    (err = hc_json_int(root, "next_update", true, 0, INT64_MAX / 2, &l->next_update, NULL)) !=
		    HC_OK ||
	    (err = hc_json_arr(root, "issuers", true, &issuers)) != HC_OK ||
	    (err = hc_json_obj(root, "snapshot_key", false, &sk)) != HC_OK ||
	    (err = hc_json_str(root, "foreign", false, l->foreign, sizeof(l->foreign), NULL)) !=
		    HC_OK)
		goto out;
	/* The foreign trust data has one place, the same relative path on the
	 * server and in the trust directory. */
	if (l->foreign[0] && strcmp(l->foreign, "foreign.jws") != 0) {
		hc_set_detail("foreign \"%.40s\" is not foreign.jws", l->foreign);
		err = HC_ERR_TRUST_LIST;
		goto out;
	}
	if (sk && (hc_jwk_listed(sk, jwk, "snapshot_key") != HC_OK ||
		   hc_pubkey_from_jwk(sk, &l->snap_key) != HC_OK)) {
		hc_set_detail("snapshot_key is not a public JWK with its kid");
		err = HC_ERR_TRUST_LIST;
		goto out;
	}
	count = cJSON_GetArraySize(issuers);
	if (count > MAX_ISSUERS) {
		err = HC_ERR_TOO_LARGE;
		goto out;
	}
	if (count > 0 && !(l->issuers = calloc((size_t)count, sizeof(*l->issuers)))) {
		err = HC_ERR_NOMEM;
		goto out;
	}
	cJSON_ArrayForEach(ij, issuers)
	{
		struct trust_issuer *is = &l->issuers[l->n];

		err = parse_issuer(ij, is);
		l->n++; /* counted even on failure so its keys are freed */
		if (err != HC_OK)
			goto out;
		for (size_t k = 0; k < is->nkeys; k++)
			is->keys[k].idx = l->nkeys++;
		if ((err = key_elsewhere(l, is)) != HC_OK)
			goto out;
		for (size_t i = 0; i + 1 < l->n; i++) {
			if (strcmp(l->issuers[i].iss, is->iss) == 0) {
				hc_set_detail("issuer %s listed twice", is->iss);
				err = HC_ERR_TRUST_LIST;
				goto out;
			}
			if (is->revocations[0] &&
			    strcmp(l->issuers[i].revocations, is->revocations) == 0) {
				hc_set_detail("revocations path %s named twice", is->revocations);
				err = HC_ERR_TRUST_LIST;
				goto out;
			}
		}
	}
	err = HC_OK;
out:
	cJSON_Delete(root);
	return err;
}

hc_err hc_trustlist_validate(const char *json, size_t n)
{
	struct trust_list l;
	hc_err err = parse_list(json, n, &l);

	hc__trust_list_clear(&l);
	return err;
}

/* Verifies a trust-list JWS under the roots of t and parses it into l. */
hc_err hc__trust_list_check(const struct hc_trust *t, const char *s, size_t n, struct trust_list *l)
{
	struct hc_jws j;
	const struct hc_pubkey *root = NULL;
	hc_err err;

	memset(l, 0, sizeof(*l));
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--; /* a file may end in a newline */
	if ((err = hc_jws_parse(s, n, HC_MAX_TRUST_FILE, false, HC_MAX_TRUST_FILE, &j)) != HC_OK) {
		hc_set_detail("trustlist.jws: %s", hc_strerror(err));
		return HC_ERR_TRUST_SIG;
	}
	for (size_t i = 0; i < t->nroots; i++)
		if (strcmp(hc_pubkey_kid(t->roots[i]), j.kid) == 0)
			root = t->roots[i];
	if (!root) {
		hc_set_detail("trust list signed by %s, which is not a pinned root", j.kid);
		err = HC_ERR_TRUST_SIG;
	} else if (hc_jws_verify(&j, s, root) != HC_OK) {
		err = HC_ERR_TRUST_SIG;
	} else if ((err = parse_list((const char *)j.payload, j.payload_len, l)) != HC_OK) {
		char d[160];

		(void)snprintf(d, sizeof(d), "%s", hc_detail());
		hc_set_detail("trust list payload: %s%s%s", hc_strerror(err), d[0] ? ": " : "", d);
		err = HC_ERR_TRUST_LIST;
	}
	hc_jws_clear(&j);
	return err;
}

hc_err hc_trust_check_list(const struct hc_trust *t, const char *jws, size_t n, int64_t *seq)
{
	struct trust_list l;
	hc_err err = hc__trust_list_check(t, jws, n, &l);

	if (err == HC_OK)
		*seq = l.seq;
	hc__trust_list_clear(&l);
	return err;
}

hc_err hc_trust_set_list(struct hc_trust *t, const char *jws, size_t n)
{
	struct trust_list l;
	hc_err err = hc__trust_list_check(t, jws, n, &l);

	if (err != HC_OK) {
		hc__trust_list_clear(&l);
		return err;
	}
	hc__trust_list_clear(&t->list);
	t->list = l;
	return HC_OK;
}
