/* trust.c: the trust store: pinned root keys and the signed trust list (DESIGN 6). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "foreign_int.h"
#include "hc_json.h"
#include "trust_int.h"

static void list_clear(struct trust_list *l)
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

void hc_trust_free(struct hc_trust *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nroots; i++)
		hc_pubkey_free(t->roots[i]);
	list_clear(&t->list);
	hc_foreign_free(t->foreign);
	free(t);
}

static hc_err parse_key(const cJSON *j, struct trust_key *k)
{
	static const char *const members[] = {"kty", "crv", "x", "y", "kid", "alg", "use",
					      "nbf", "exp", "status", NULL};
	char st[16];
	hc_err err;

	if (!cJSON_IsObject(j))
		return HC_ERR_JSON_TYPE;
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "kid"))) {
		hc_set_detail("key without kid");
		return HC_ERR_JSON_MISSING;
	}
	if ((err = hc_json_only(j, members)) != HC_OK ||
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

static hc_err parse_issuer(const cJSON *j, struct trust_issuer *is)
{
	static const char *const members[] = {"iss", "name", "region", "keys", "revocations",
					      "max_validity", NULL};
	const cJSON *keys, *kj;
	size_t il;
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
	il = strlen(is->iss);
	if (il < 9 || strncmp(is->iss, "https://", 8) != 0 || is->iss[il - 1] == '/') {
		hc_set_detail("iss \"%.60s\" is not an https URL without a trailing slash", is->iss);
		return HC_ERR_TRUST_LIST;
	}
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
	if (sk && (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(sk, "kid")) ||
		   hc_json_only(sk, jwk) != HC_OK || hc_pubkey_from_jwk(sk, &l->snap_key) != HC_OK)) {
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

	list_clear(&l);
	return err;
}

/* Verifies a trust-list JWS under the roots of t and parses it into l. */
static hc_err check_list(const struct hc_trust *t, const char *s, size_t n, struct trust_list *l)
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
	hc_err err = check_list(t, jws, n, &l);

	if (err == HC_OK)
		*seq = l.seq;
	list_clear(&l);
	return err;
}

static hc_err load_roots(struct hc_trust *t, const char *dir)
{
	char path[4096];
	struct dirent *de;
	DIR *d;
	hc_err err = HC_OK;

	if (hc_path(path, sizeof(path), "%s/roots", dir) != HC_OK)
		return HC_ERR_TRUST_DIR;
	if (!(d = opendir(path))) {
		hc_set_detail("%s: cannot open", path);
		return HC_ERR_TRUST_DIR;
	}
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		uint8_t *buf = NULL;
		size_t len;
		cJSON *jwk = NULL;
		int r;

		if (nl < 5 || strcmp(de->d_name + nl - 4, ".jwk") != 0 || de->d_name[0] == '.')
			continue;
		if (t->nroots == MAX_ROOTS) {
			err = HC_ERR_TOO_LARGE;
			break;
		}
		r = snprintf(path, sizeof(path), "%s/roots/%s", dir, de->d_name);
		if (r < 0 || (size_t)r >= sizeof(path)) {
			err = HC_ERR_TRUST_DIR;
			break;
		}
		if ((err = hc_read_file(path, 65536, &buf, &len)) == HC_OK &&
		    (err = hc_json_parse((const char *)buf, len, &jwk)) == HC_OK)
			err = hc_pubkey_from_jwk(jwk, &t->roots[t->nroots]);
		cJSON_Delete(jwk);
		free(buf);
		if (err != HC_OK) {
			char d2[160];

			(void)snprintf(d2, sizeof(d2), "%s", hc_detail());
			hc_set_detail("%s: %s%s%s", path, hc_strerror(err), d2[0] ? ": " : "", d2);
			err = HC_ERR_JWK;
			break;
		}
		t->nroots++;
	}
	closedir(d);
	if (err == HC_OK && t->nroots == 0)
		err = HC_ERR_NO_ROOTS;
	return err;
}

hc_err hc_trust_load_roots(const char *dir, struct hc_trust **out)
{
	struct hc_trust *t;
	hc_err err;

	*out = NULL;
	if (!(t = calloc(1, sizeof(*t))))
		return HC_ERR_NOMEM;
	if ((err = load_roots(t, dir)) != HC_OK) {
		hc_trust_free(t);
		return err;
	}
	*out = t;
	return HC_OK;
}

hc_err hc_trust_set_list(struct hc_trust *t, const char *jws, size_t n)
{
	struct trust_list l;
	hc_err err = check_list(t, jws, n, &l);

	if (err != HC_OK) {
		list_clear(&l);
		return err;
	}
	list_clear(&t->list);
	t->list = l;
	return HC_OK;
}

#define MAX_REV_FILES 4096

bool hc_trust_rev_file(const char *name)
{
	size_t nl = strlen(name);

	return nl >= 5 && strcmp(name + nl - 4, ".jws") == 0 && name[0] != '.';
}

hc_err hc_trust_check_rev_path(const struct hc_trust *t, const char *file, const char *name,
			       const char *iss)
{
	static const char pre[] = "revocations/";

	for (size_t i = 0; i < t->list.n; i++) {
		const struct trust_issuer *is = &t->list.issuers[i];

		if (strncmp(is->revocations, pre, sizeof(pre) - 1) == 0 &&
		    strcmp(is->revocations + sizeof(pre) - 1, file) == 0 && strcmp(is->iss, iss) != 0) {
			hc_set_detail("%s: the trust list names this file for %.100s, it holds a list of "
				      "%.100s",
				      name, is->iss, iss);
			return HC_ERR_REVOCATION_LIST;
		}
	}
	return HC_OK;
}

/* Loads every DIR/revocations/\*.jws; each must verify under its issuer's
 * keys. Of two lists for one issuer the higher seq is kept. */
static hc_err load_revocations(struct hc_trust *t, const char *dir, unsigned flags)
{
	char path[4096];
	struct dirent *de;
	size_t files = 0;
	DIR *d;
	hc_err err = HC_OK;

	if (hc_path(path, sizeof(path), "%s/revocations", dir) != HC_OK)
		return HC_ERR_TRUST_DIR;
	if (!(d = opendir(path)))
		return errno == ENOENT ? HC_OK : HC_ERR_TRUST_DIR;
	while ((de = readdir(d))) {
		struct hc_revinfo info;
		struct hc_rev_src src, *srcp = NULL;
		struct stat st;
		uint8_t *buf = NULL;
		char ipath[4200];
		bool used = false;
		size_t len;
		int r;

		if (!hc_trust_rev_file(de->d_name))
			continue;
		if (++files > MAX_REV_FILES) {
			hc_set_detail("%s: more than %d lists", path, MAX_REV_FILES);
			err = HC_ERR_TOO_LARGE;
			break;
		}
		r = snprintf(path, sizeof(path), "%s/revocations/%s", dir, de->d_name);
		if (r < 0 || (size_t)r >= sizeof(path)) {
			err = HC_ERR_TRUST_DIR;
			break;
		}
		(void)snprintf(ipath, sizeof(ipath), "%s.idx", path); /* path < 4096 */
		if (stat(path, &st) == 0) {
			hc__rev_src(&st, &src);
			srcp = &src;
		}
		if (srcp && (flags & HC_TRUST_LAZY_REVOCATIONS))
			err = hc__rev_add_lazy(t, path, ipath, srcp, &info, &used);
		if (used) {
			if (err == HC_OK || err == HC_ERR_ROLLBACK)
				err = hc_trust_check_rev_path(t, de->d_name, path, info.iss);
		} else if (err == HC_OK &&
			   (err = hc_read_file(path, HC_MAX_REVOCATION_FILE, &buf, &len)) == HC_OK) {
			uint8_t *idx = NULL, *nidx = NULL;
			size_t ilen = 0, nlen = 0;

			if (hc_read_file(ipath, sizeof(struct rev_entry) * (size_t)HC_MAX_REVOKED + 65536,
					 &idx, &ilen) != HC_OK)
				idx = NULL;
			err = hc__rev_add(t, path, (const char *)buf, len, idx, ilen, srcp,
					  (flags & HC_TRUST_WRITE_INDEX) ? &nidx : NULL, &nlen, &info);
			if (err == HC_OK || err == HC_ERR_ROLLBACK)
				err = hc_trust_check_rev_path(t, de->d_name, path, info.iss);
			if (nidx && hc_write_file_atomic(ipath, nidx, nlen, 0644) != HC_OK)
				hc_set_detail(NULL); /* a cache that cannot be written is no error */
			free(nidx);
			free(idx);
		}
		free(buf);
		if (err == HC_ERR_ROLLBACK)
			err = HC_OK; /* superseded by a newer list already held */
		if (err != HC_OK)
			break;
	}
	closedir(d);
	return err;
}

hc_err hc_trust_load(const char *dir, struct hc_trust **out)
{
	return hc_trust_load_ex(dir, 0, out);
}

/* A generation is "gen/N", N a decimal number without leading zeros. */
static bool gen_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 4 && n < 4 + 19 && strncmp(s, "gen/", 4) == 0 && s[4] != '0' &&
	       strspn(s + 4, "0123456789") == n - 4;
}

hc_err hc_trust_data_dir(const char *dir, char *out, size_t n)
{
	char p[4096], link[64];
	ssize_t r;

	if (hc_path(p, sizeof(p), "%s/current", dir) != HC_OK)
		return HC_ERR_TRUST_DIR;
	if ((r = readlink(p, link, sizeof(link) - 1)) == -1) {
		if (errno == ENOENT)
			return hc_path(out, n, "%s", dir) == HC_OK ? HC_OK : HC_ERR_TRUST_DIR;
		hc_set_detail("%s: %s", p, strerror(errno));
		return HC_ERR_TRUST_DIR;
	}
	link[r] = '\0';
	if (!gen_name_ok(link)) {
		hc_set_detail("%s: not a link to gen/N", p);
		return HC_ERR_TRUST_DIR;
	}
	return hc_path(out, n, "%s/%s", dir, link) == HC_OK ? HC_OK : HC_ERR_TRUST_DIR;
}

hc_err hc_foreign_check(const struct hc_trust *t, const char *name, const char *s, size_t n,
			struct hc_foreign **out)
{
	struct hc_jws j;
	const struct hc_pubkey *root = NULL;
	hc_err err;

	*out = NULL;
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--; /* a file may end in a newline */
	if ((err = hc_jws_parse(s, n, HC_MAX_FOREIGN_FILE, false, HC_MAX_FOREIGN_FILE, &j)) !=
	    HC_OK) {
		hc_set_detail("%s: %s", name, hc_strerror(err));
		return HC_ERR_TRUST_SIG;
	}
	for (size_t i = 0; i < t->nroots; i++)
		if (strcmp(hc_pubkey_kid(t->roots[i]), j.kid) == 0)
			root = t->roots[i];
	if (!root) {
		hc_set_detail("%s signed by %s, which is not a pinned root", name, j.kid);
		err = HC_ERR_TRUST_SIG;
	} else if (hc_jws_verify(&j, s, root) != HC_OK) {
		hc_set_detail("%s: the signature does not verify", name);
		err = HC_ERR_TRUST_SIG;
	} else if ((err = hc_foreign_parse(j.payload, j.payload_len, out)) != HC_OK) {
		char d[160];

		(void)snprintf(d, sizeof(d), "%s", hc_detail());
		hc_set_detail("%s payload: %s%s%s", name, hc_strerror(err), d[0] ? ": " : "", d);
		err = HC_ERR_TRUST_LIST;
	}
	hc_jws_clear(&j);
	return err;
}

/* DATA/foreign.jws when it is there: it must verify under a pinned root. */
static hc_err load_foreign(struct hc_trust *t, const char *data)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len;
	hc_err err;

	if (hc_path(path, sizeof(path), "%s/foreign.jws", data) != HC_OK)
		return HC_ERR_TRUST_DIR;
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return HC_OK;
	if ((err = hc_read_file(path, HC_MAX_FOREIGN_FILE, &buf, &len)) != HC_OK)
		return err == HC_ERR_IO ? HC_ERR_TRUST_DIR : err;
	err = hc_foreign_check(t, path, (const char *)buf, len, &t->foreign);
	free(buf);
	return err;
}

const struct hc_foreign *hc_trust_foreign(const struct hc_trust *t)
{
	return t->foreign;
}

const char *hc_trust_foreign_path(const struct hc_trust *t)
{
	return t->list.foreign;
}

/* Loads the roots of dir and the trust data of data. */
static hc_err load_at(const char *dir, const char *data, unsigned flags, struct hc_trust **out)
{
	struct hc_trust *t = NULL;
	char path[4096];
	uint8_t *buf = NULL;
	size_t len;
	hc_err err;

	*out = NULL;
	if ((err = hc_trust_load_roots(dir, &t)) != HC_OK)
		goto out;
	if (hc_path(path, sizeof(path), "%s/trustlist.jws", data) != HC_OK) {
		err = HC_ERR_TRUST_DIR;
		goto out;
	}
	if ((err = hc_read_file(path, HC_MAX_TRUST_FILE, &buf, &len)) != HC_OK) {
		if (err == HC_ERR_IO)
			err = HC_ERR_TRUST_DIR;
		goto out;
	}
	if ((err = check_list(t, (const char *)buf, len, &t->list)) != HC_OK ||
	    (err = load_revocations(t, data, flags)) != HC_OK || (err = load_foreign(t, data)) != HC_OK)
		goto out;
	hc__trust_load_snapshot(t, data, buf, len);
	*out = t;
	t = NULL;
out:
	free(buf);
	hc_trust_free(t);
	return err;
}

hc_err hc_trust_load_data(const char *dir, const char *data, unsigned flags,
			  struct hc_trust **out)
{
	return load_at(dir, data, flags, out);
}

/* The generation is resolved once per attempt and read from that path
 * only. sync removes a generation only after switching away from it, so a
 * load that finds the same generation current when it is done read it
 * whole; otherwise it may have seen a part of it and is tried again. */
hc_err hc_trust_load_ex(const char *dir, unsigned flags, struct hc_trust **out)
{
	char data[4096], again[4096];
	hc_err err;

	for (int i = 0; i < 8; i++) {
		if ((err = hc_trust_data_dir(dir, data, sizeof(data))) != HC_OK)
			return err;
		err = load_at(dir, data, flags, out);
		if (hc_trust_data_dir(dir, again, sizeof(again)) == HC_OK && strcmp(data, again) == 0)
			return err;
		hc_trust_free(*out);
		*out = NULL;
	}
	hc_set_detail("%s: the trust data changed during each of 8 loads", dir);
	return HC_ERR_TRUST_DIR;
}

const struct trust_issuer *hc__trust_issuer(const struct hc_trust *t, const char *iss)
{
	for (size_t i = 0; i < t->list.n; i++)
		if (strcmp(t->list.issuers[i].iss, iss) == 0)
			return &t->list.issuers[i];
	return NULL;
}

int64_t hc_trust_seq(const struct hc_trust *t)
{
	return t->list.seq;
}

int64_t hc_trust_next_update(const struct hc_trust *t)
{
	return t->list.next_update;
}

size_t hc_trust_issuer_count(const struct hc_trust *t)
{
	return t->list.n;
}

int64_t hc_trust_iat(const struct hc_trust *t)
{
	return t->list.iat;
}

void hc_trust_issuer_info(const struct hc_trust *t, size_t i, struct hc_issuer_info *o)
{
	const struct trust_issuer *is = &t->list.issuers[i];

	memset(o, 0, sizeof(*o));
	o->iss = is->iss;
	o->name = is->name;
	o->region = is->region;
	o->revocations = is->revocations;
	for (size_t k = 0; k < is->nkeys; k++)
		o->keys[is->keys[k].status]++;
	o->rev_seq = is->rev.seq;
	o->rev_iat = is->rev.iat;
	o->rev_count = is->rev.n;
	memcpy(o->rev_digest, is->rev.digest, 32);
}

int64_t hc_trust_max_validity(const struct hc_trust *t, const char *iss)
{
	const struct trust_issuer *is = hc__trust_issuer(t, iss);

	return is ? is->max_validity : 0;
}

hc_err hc_trust_signing_key_ok(const struct hc_trust *t, const char *iss, const char *kid,
			       int64_t at)
{
	static const char *const st[] = {"active", "retired", "revoked"};
	const struct trust_issuer *is = hc__trust_issuer(t, iss);

	if (!is) {
		hc_set_detail("%.100s", iss);
		return HC_ERR_UNKNOWN_ISSUER;
	}
	for (size_t i = 0; i < is->nkeys; i++) {
		const struct trust_key *k = &is->keys[i];

		if (strcmp(hc_pubkey_kid(k->k), kid) != 0)
			continue;
		if (k->status != KEY_ACTIVE || hc__key_valid_at(k, at) != HC_OK) {
			char a[24], b[24];

			hc_time_format(k->nbf, a, sizeof(a));
			hc_time_format(k->exp, b, sizeof(b));
			if (k->status != KEY_ACTIVE)
				hc_set_detail("key %s is %s: it no longer signs", kid, st[k->status]);
			else if (at < k->nbf)
				hc_set_detail("key %s is not valid until %s (its nbf)", kid, a);
			else
				hc_set_detail("key %s stopped signing at %s (its exp)", kid, b);
			return HC_ERR_KEY_WINDOW;
		}
		return HC_OK;
	}
	hc_set_detail("key %s is not a key of %.100s", kid, iss);
	return HC_ERR_UNKNOWN_KEY;
}
