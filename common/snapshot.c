/* snapshot.c: the snapshot of a published trust tree (DESIGN 6a): the seq
 * and SHA-256 of every signed file, signed by the operator's online
 * snapshot key that the trust list names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "trust_int.h"

#define SEQ_MAX 9007199254740991LL /* 2^53 - 1 */
#define TIME_MAX 253402300799LL    /* year 9999 */

struct snap_file {
	char path[300];
	int64_t seq;
	uint8_t sha[32];
};

struct hc_snapshot {
	int64_t seq, iat, expires;
	struct snap_file *f;
	size_t n;
};

void hc_snapshot_free(struct hc_snapshot *s)
{
	if (!s)
		return;
	free(s->f);
	free(s);
}

/* "trustlist.jws" or "revocations/NAME.jws" (NAME of [A-Za-z0-9._-], not
 * starting with a dot): the paths a trust tree holds. */
bool hc_snapshot_path_ok(const char *p)
{
	static const char pre[] = "revocations/";
	size_t n = strlen(p), b = sizeof(pre) - 1;

	if (strcmp(p, "trustlist.jws") == 0 || strcmp(p, "foreign.jws") == 0)
		return true;
	if (n <= b + 4 || n >= 300 || strncmp(p, pre, b) != 0 || strcmp(p + n - 4, ".jws") != 0 ||
	    p[b] == '.')
		return false;
	for (size_t i = b; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", p[i]))
			return false;
	return true;
}

static bool unhex(const char *s, uint8_t out[32])
{
	if (strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 32; i++) {
		int v = 0;

		for (size_t k = 0; k < 2; k++) {
			char c = s[2 * i + k];

			if (c >= '0' && c <= '9')
				v = v * 16 + (c - '0');
			else if (c >= 'a' && c <= 'f')
				v = v * 16 + (c - 'a' + 10);
			else
				return false; /* lowercase only: one spelling per digest */
		}
		out[i] = (uint8_t)v;
	}
	return true;
}

static hc_err parse_payload(const uint8_t *p, size_t n, struct hc_snapshot *s)
{
	static const char *const members[] = {"seq", "iat", "expires", "files", NULL};
	static const char *const fmembers[] = {"seq", "sha256", NULL};
	cJSON *root = NULL;
	const cJSON *files, *f;
	hc_err err;

	if ((err = hc_json_parse((const char *)p, n, &root)) != HC_OK)
		return err;
	if ((err = hc_json_only(root, members)) != HC_OK ||
	    (err = hc_json_int(root, "seq", true, 1, SEQ_MAX, &s->seq, NULL)) != HC_OK ||
	    (err = hc_json_int(root, "iat", true, 0, TIME_MAX, &s->iat, NULL)) != HC_OK ||
	    (err = hc_json_int(root, "expires", true, 0, TIME_MAX, &s->expires, NULL)) != HC_OK ||
	    (err = hc_json_obj(root, "files", true, &files)) != HC_OK)
		goto out;
	err = HC_ERR_SNAPSHOT;
	if (!cJSON_IsObject(files) || s->expires <= s->iat) {
		hc_set_detail("snapshot: files is not an object, or expires is not after iat");
		goto out;
	}
	if (cJSON_GetArraySize(files) > MAX_SNAPSHOT_FILES) {
		hc_set_detail("snapshot: more than %d files", MAX_SNAPSHOT_FILES);
		goto out;
	}
	if (!(s->f = calloc((size_t)cJSON_GetArraySize(files) + 1, sizeof(*s->f)))) {
		err = HC_ERR_NOMEM;
		goto out;
	}
	cJSON_ArrayForEach(f, files)
	{
		struct snap_file *e = &s->f[s->n];
		char sha[80];

		if (!f->string || !hc_snapshot_path_ok(f->string) || !cJSON_IsObject(f)) {
			hc_set_detail("snapshot: a file entry is not PATH: {seq, sha256}");
			err = HC_ERR_SNAPSHOT;
			goto out;
		}
		(void)snprintf(e->path, sizeof(e->path), "%s", f->string); /* checked < 300 */
		if ((err = hc_json_only(f, fmembers)) != HC_OK ||
		    (err = hc_json_int(f, "seq", true, 1, SEQ_MAX, &e->seq, NULL)) != HC_OK ||
		    (err = hc_json_str(f, "sha256", true, sha, sizeof(sha), NULL)) != HC_OK)
			goto out;
		if (!unhex(sha, e->sha)) {
			hc_set_detail("snapshot: sha256 of %s is not 64 lowercase hex digits", e->path);
			err = HC_ERR_SNAPSHOT;
			goto out;
		}
		s->n++;
	}
	err = HC_OK;
out:
	cJSON_Delete(root);
	return err;
}

hc_err hc__snapshot_payload(const uint8_t *p, size_t n, struct hc_snapshot **out)
{
	struct hc_snapshot *s = calloc(1, sizeof(*s));
	hc_err err;

	*out = NULL;
	if (!s)
		return HC_ERR_NOMEM;
	if ((err = parse_payload(p, n, s)) != HC_OK) {
		hc_snapshot_free(s);
		return err;
	}
	*out = s;
	return HC_OK;
}

bool hc__snapshot_sane(const struct hc_snapshot *s)
{
	if (s->seq < 1 || s->expires <= s->iat || s->n > MAX_SNAPSHOT_FILES)
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (!hc_snapshot_path_ok(s->f[i].path) || s->f[i].seq < 1)
			return false;
	return true;
}

hc_err hc_snapshot_parse(const struct hc_pubkey *k, const char *jws, size_t n,
			 struct hc_snapshot **out)
{
	struct hc_snapshot *s = NULL;
	struct hc_jws j;
	hc_err err;

	*out = NULL;
	memset(&j, 0, sizeof(j));
	while (n > 0 && (jws[n - 1] == '\n' || jws[n - 1] == '\r'))
		n--; /* a file may end in a newline */
	if ((err = hc_jws_parse(jws, n, HC_MAX_SNAPSHOT_FILE, false, HC_MAX_SNAPSHOT_FILE, &j)) !=
	    HC_OK) {
		hc_set_detail("snapshot.jws: %s", hc_strerror(err));
		return HC_ERR_SNAPSHOT;
	}
	if (strcmp(j.kid, hc_pubkey_kid(k)) != 0) {
		hc_set_detail("snapshot signed by %s, not by the snapshot key the trust list names",
			      j.kid);
		err = HC_ERR_SNAPSHOT;
	} else if (hc_jws_verify(&j, jws, k) != HC_OK) {
		hc_set_detail("snapshot.jws: bad signature");
		err = HC_ERR_SNAPSHOT;
	} else if ((err = hc__snapshot_payload(j.payload, j.payload_len, &s)) != HC_OK) {
		char d[160];

		(void)snprintf(d, sizeof(d), "%s", hc_detail());
		hc_set_detail("snapshot payload: %s%s%s", hc_strerror(err), d[0] ? ": " : "", d);
		err = HC_ERR_SNAPSHOT;
	}
	hc_jws_clear(&j);
	if (err != HC_OK) {
		hc_snapshot_free(s);
		return err;
	}
	*out = s;
	return HC_OK;
}

int64_t hc_snapshot_seq(const struct hc_snapshot *s)
{
	return s->seq;
}

int64_t hc_snapshot_expires(const struct hc_snapshot *s)
{
	return s->expires;
}

hc_err hc_snapshot_match(const struct hc_snapshot *s, const char *path, int64_t seq,
			 const uint8_t *body, size_t n)
{
	uint8_t d[32];
	hc_err err;

	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->f[i].path, path) != 0)
			continue;
		if ((err = hc_sha256(body, n, d)) != HC_OK)
			return err;
		if (s->f[i].seq != seq || memcmp(s->f[i].sha, d, 32) != 0) {
			hc_set_detail("%s: seq %lld is not the file of snapshot %lld (seq %lld)", path,
				      (long long)seq, (long long)s->seq, (long long)s->f[i].seq);
			return HC_ERR_SNAPSHOT;
		}
		return HC_OK;
	}
	hc_set_detail("%s is not in snapshot %lld", path, (long long)s->seq);
	return HC_ERR_SNAPSHOT;
}

void hc__trust_load_snapshot(struct hc_trust *t, const char *data, const uint8_t *tl, size_t n)
{
	struct hc_snapshot *s = NULL;
	char path[4096];
	uint8_t *buf = NULL;
	size_t len;

	t->snap_seq = t->snap_expires = 0;
	if (!t->list.snap_key || hc_path(path, sizeof(path), "%s/snapshot.jws", data) != HC_OK)
		return;
	if (hc_read_file(path, HC_MAX_SNAPSHOT_FILE, &buf, &len) == HC_OK &&
	    hc_snapshot_parse(t->list.snap_key, (const char *)buf, len, &s) == HC_OK &&
	    hc_snapshot_match(s, "trustlist.jws", t->list.seq, tl, n) == HC_OK) {
		t->snap_seq = s->seq;
		t->snap_expires = s->expires;
	}
	hc_set_detail(NULL); /* none valid: the data is stale, not unloadable */
	hc_snapshot_free(s);
	free(buf);
}

bool hc_trust_snapshot_info(const struct hc_trust *t, int64_t *seq, int64_t *expires)
{
	*seq = t->snap_seq;
	*expires = t->snap_expires;
	return t->list.snap_key != NULL;
}

const struct hc_pubkey *hc_trust_snapshot_key(const struct hc_trust *t)
{
	return t->list.snap_key;
}
