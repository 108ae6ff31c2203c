/* sync_install.c: the end of hc-verify sync: the checks against the durable
 * baselines, and the install of a verified set as a new generation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "sync_int.h"

bool sync_same(const struct sync_item *it)
{
	return it->held && it->len == it->held_len && memcmp(it->body, it->held, it->len) == 0;
}

static hc_err write_state(const struct sync *s)
{
	cJSON *root = cJSON_CreateObject(), *files;
	char path[4096], *txt = NULL;
	hc_err err = HC_ERR_NOMEM;

	if (!root || !cJSON_AddStringToObject(root, "url", s->url) ||
	    !cJSON_AddNumberToObject(root, "synced", (double)hc_now()) ||
	    !(files = cJSON_AddObjectToObject(root, "files")))
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		const struct sync_item *it = &s->items[i];
		uint8_t d[32];
		char dh[65];
		cJSON *f;

		if (!it->named)
			continue;
		if (hc_sha256(it->body, it->len, d) != HC_OK)
			goto out;
		hc_hex(d, 32, dh);
		if (!(f = cJSON_AddObjectToObject(files, it->rel)) ||
		    !cJSON_AddStringToObject(f, "sha256", dh) ||
		    !cJSON_AddStringToObject(f, "etag", it->etag) ||
		    !cJSON_AddNumberToObject(f, "last_modified", (double)it->last_modified) ||
		    !cJSON_AddNumberToObject(f, "seq", (double)it->new_seq))
			goto out;
	}
	if (!(txt = cJSON_Print(root)))
		goto out;
	(void)snprintf(path, sizeof(path), "%s/" STATE_FILE, s->dir); /* fits: MAX_DIR */
	err = hc_write_file_atomic(path, txt, strlen(txt), 0644);
out:
	free(txt);
	cJSON_Delete(root);
	return err;
}

/* Whether the new set matches the durable baselines of b: no file's seq
 * below the highest installed before, and an equal seq only for the same
 * contents (the trust list's bytes, a revocation list's payload). */
hc_err sync_baseline_check(const struct sync *s, const cJSON *b)
{
	char sha[65], bsha[65];
	uint8_t d[32];
	int64_t seq;
	hc_err err;

	for (size_t i = 0; i < s->n; i++) {
		const struct sync_item *it = &s->items[i];
		const char *group = i == 0 || it->foreign ? NULL : "revocations";
		const char *key = i == 0 ? "trustlist" : it->foreign ? "foreign" : it->iss;

		if (!it->body || it->drop || (i > 0 && !it->new_seq))
			continue; /* (a held list superseded by a newer one) */
		if (i == 0) {
			if ((err = hc_sha256(it->body, it->len, d)) != HC_OK)
				return err;
			hc_hex(d, 32, sha);
		} else {
			hc_hex(it->digest, 32, sha);
		}
		if (!sync_baseline_get(b, group, key, &seq, bsha))
			continue;
		if (it->new_seq < seq || (it->new_seq == seq && bsha[0] && strcmp(sha, bsha) != 0)) {
			hc_set_detail("%s: seq %lld, installed before: seq %lld%s", it->rel,
				      (long long)it->new_seq, (long long)seq,
				      it->new_seq == seq ? " with other contents" : "");
			return HC_ERR_ROLLBACK;
		}
	}
	if (!s->snap) {
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "snapshot_required")))
			return HC_OK;
		hc_set_detail("this device installed a trust list that names a snapshot key: it "
			      "accepts no state without a valid snapshot since");
		return HC_ERR_SNAPSHOT;
	}
	if ((err = hc_sha256(s->snap_body, s->snap_len, d)) != HC_OK)
		return err;
	hc_hex(d, 32, sha);
	if (sync_baseline_get(b, NULL, "snapshot", &seq, bsha) &&
	    (hc_snapshot_seq(s->snap) < seq ||
	     (hc_snapshot_seq(s->snap) == seq && bsha[0] && strcmp(sha, bsha) != 0))) {
		hc_set_detail("snapshot.jws: seq %lld, installed before: seq %lld%s",
			      (long long)hc_snapshot_seq(s->snap), (long long)seq,
			      hc_snapshot_seq(s->snap) == seq ? " with other contents" : "");
		return HC_ERR_ROLLBACK;
	}
	return HC_OK;
}

/* b raised to the new set. */
static hc_err baseline_raise(const struct sync *s, cJSON *b)
{
	char sha[65];
	uint8_t d[32];
	hc_err err;

	for (size_t i = 0; i < s->n; i++) {
		const struct sync_item *it = &s->items[i];

		if (!it->body || it->drop || (i > 0 && !it->new_seq))
			continue;
		if (i == 0 && (err = hc_sha256(it->body, it->len, d)) != HC_OK)
			return err;
		hc_hex(i == 0 ? d : it->digest, 32, sha);
		if ((err = sync_baseline_raise(b, i == 0 || it->foreign ? NULL : "revocations",
					       i == 0 ? "trustlist" : it->foreign ? "foreign" : it->iss,
					       it->new_seq, sha)) != HC_OK)
			return err;
	}
	if (!s->snap)
		return HC_OK;
	if ((err = hc_sha256(s->snap_body, s->snap_len, d)) != HC_OK)
		return err;
	hc_hex(d, 32, sha);
	/* Once a trust list names a snapshot key, snapshots are required. */
	cJSON_DeleteItemFromObjectCaseSensitive(b, "snapshot_required");
	if (!cJSON_AddTrueToObject(b, "snapshot_required"))
		return HC_ERR_NOMEM;
	return sync_baseline_raise(b, NULL, "snapshot", hc_snapshot_seq(s->snap), sha);
}

/* Stages the new set complete as a new generation (unchanged files linked
 * from the held one), loads it as verification will (which also writes
 * the revocation indexes), raises the baselines read again from disk, and
 * switches to it with one rename. Without a change only the baselines and
 * the validators are written. */
hc_err sync_install(struct sync *s)
{
	struct hc_trust *check = NULL;
	struct sync_gen g;
	cJSON *b = NULL;
	char *was = NULL, *now = NULL;
	bool change = false;
	hc_err err;

	for (size_t i = 0; i < s->n; i++)
		change |= s->items[i].drop || (s->items[i].body && !sync_same(&s->items[i]));
	change |= s->snap && !s->snap_same;
	/* Under the lock nothing else writes them; read again all the same, as
	 * the rule is checked against what is on disk right before the switch. */
	if ((err = sync_baseline_read(s->dir, &b)) != HC_OK ||
	    (err = sync_baseline_check(s, b)) != HC_OK || !(was = cJSON_PrintUnformatted(b)) ||
	    (err = baseline_raise(s, b)) != HC_OK || !(now = cJSON_PrintUnformatted(b)))
		goto out;
	if (!change) {
		sync_gen_tidy(s->dir);
		if (strcmp(was, now) != 0 && (err = sync_baseline_write(s->dir, b)) != HC_OK)
			goto out;
		err = write_state(s);
		goto out;
	}
	memset(&g, 0, sizeof(g));
	if ((err = sync_gen_begin(s->dir, &g)) != HC_OK)
		goto fail;
	for (size_t i = 0; i < s->n; i++) {
		const struct sync_item *it = &s->items[i];
		char from[4096];

		if (!it->body || it->drop)
			continue;
		if (hc_path(from, sizeof(from), "%s/%s", s->data, it->rel) != HC_OK) {
			err = HC_ERR_INVALID_ARG;
			goto fail;
		}
		if ((err = sync_gen_put(&g, it->rel, it->body, it->len, sync_same(it) ? from : NULL)) !=
		    HC_OK)
			goto fail;
	}
	if (s->snap && (err = sync_gen_put(&g, "snapshot.jws", s->snap_body, s->snap_len, NULL)) !=
			       HC_OK)
		goto fail;
	if ((err = hc_trust_load_data(s->dir, g.path, HC_TRUST_WRITE_INDEX, &check)) != HC_OK) {
		char d[200];

		(void)snprintf(d, sizeof(d), "%s", hc_detail());
		hc_set_detail("the new trust data does not load: %s%s%s", hc_strerror(err),
			      d[0] ? ": " : "", d);
		err = HC_ERR_IO;
		goto fail;
	}
	if ((err = sync_baseline_write(s->dir, b)) != HC_OK ||
	    (err = sync_gen_switch(s->dir, &g)) != HC_OK)
		goto fail;
	sync_gen_cleanup(s->dir, &g);
	err = write_state(s);
	goto out;
fail:
	sync_gen_abandon(&g);
out:
	hc_trust_free(check);
	cJSON_Delete(b);
	free(was);
	free(now);
	return err;
}
