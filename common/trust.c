/* trust.c: the trust store (DESIGN 6): pinned root keys, and the trust
 * data of a directory loaded under them (the signed trust list, whose
 * parser is trust_list.c; revocation lists; foreign data). */
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

void hc_trust_free(struct hc_trust *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nroots; i++)
		hc_pubkey_free(t->roots[i]);
	hc__trust_list_clear(&t->list);
	hc_foreign_free(t->foreign);
	free(t);
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
	if ((err = hc__trust_list_check(t, (const char *)buf, len, &t->list)) != HC_OK ||
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
