/* sync_check.c: what hc-verify sync (sync.c) checks of the revocation
 * lists and the snapshot it fetched against the directory as it was held:
 * each list its own issuer's, no seq below the one held, the snapshot
 * signed by the key the list names, not expired, not older. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_int.h"


/* The sequence number and digest of the revocation list of iss in the
 * directory as it loaded before this sync: the rollback baseline, whatever
 * happened to the keys since. */
static bool held_rev(const struct sync *s, const char *iss, int64_t *seq, uint8_t digest[32])
{
	for (size_t i = 0; s->held && i < hc_trust_issuer_count(s->held); i++) {
		struct hc_issuer_info ii;

		hc_trust_issuer_info(s->held, i, &ii);
		if (strcmp(ii.iss, iss) == 0 && ii.rev_seq) {
			*seq = ii.rev_seq;
			memcpy(digest, ii.rev_digest, 32);
			return true;
		}
	}
	return false;
}

/* Verifies one revocation list under the new trust list: a named path must
 * hold its own issuer's list, and no seq may go below what was held. */
hc_err sync_check_revocations(struct sync *s, struct sync_item *it)
{
	struct hc_revinfo info;
	uint8_t d[32];
	int64_t base;
	hc_err err;

	if (it->held && !sync_same(it) &&
	    hc_trust_add_revocations(s->t, it->rel, (const char *)it->held, it->held_len, &info) ==
		    HC_OK)
		it->old_seq = info.seq;
	if ((err = hc_trust_add_revocations(s->t, it->rel, (const char *)it->body, it->len, &info)) !=
	    HC_OK)
		return err;
	if (it->named && strcmp(info.iss, it->owner) != 0) {
		hc_set_detail("%s is the list of %.100s, but the trust list names it for %.100s",
			      it->rel, info.iss, it->owner);
		return HC_ERR_REVOCATION_LIST;
	}
	if (it->named && held_rev(s, info.iss, &base, d)) {
		if (base > it->old_seq)
			it->old_seq = base;
		if (info.seq < base || (info.seq == base && memcmp(info.digest, d, 32) != 0)) {
			hc_set_detail("%s: seq %lld, held %lld", it->rel, (long long)info.seq,
				      (long long)base);
			return HC_ERR_ROLLBACK;
		}
	}
	it->new_seq = info.seq;
	it->count = info.count;
	(void)snprintf(it->iss, sizeof(it->iss), "%s", info.iss); /* both 256 */
	memcpy(it->digest, info.digest, 32);
	if (sync_same(it))
		it->old_seq = info.seq;
	return HC_OK;
}

/* Fetches URL/snapshot.jws when the new trust list names a snapshot key:
 * signed by that key, not expired, and not older than the one held. */
hc_err sync_fetch_snapshot(struct sync *s)
{
	const struct hc_pubkey *k = hc_trust_snapshot_key(s->t);
	char url[4096], path[4096], when[32];
	uint8_t *held = NULL;
	size_t hl = 0;
	int64_t hseq = 0, hexp;
	struct fetch f;
	hc_err err;

	if (!k)
		return HC_OK; /* whether that is still allowed: baseline_check */
	(void)snprintf(url, sizeof(url), "%s/snapshot.jws", s->url); /* fits: MAX_DIR */
	if ((err = fetch_url(&s->fo, url, NULL, 0, HC_MAX_SNAPSHOT_FILE, &f)) != HC_OK)
		return err;
	s->snap_body = f.body;
	s->snap_len = f.len;
	if ((err = hc_snapshot_parse(k, (const char *)f.body, f.len, &s->snap)) != HC_OK)
		return err;
	if (hc_snapshot_expires(s->snap) <= hc_now()) {
		hc_time_format(hc_snapshot_expires(s->snap), when, sizeof(when));
		hc_set_detail("snapshot %lld expired at %s", (long long)hc_snapshot_seq(s->snap),
			      when);
		return HC_ERR_SNAPSHOT;
	}
	if (s->held && hc_trust_snapshot_info(s->held, &hseq, &hexp) &&
	    hc_snapshot_seq(s->snap) < hseq) {
		hc_set_detail("snapshot.jws: seq %lld, held %lld", (long long)hc_snapshot_seq(s->snap),
			      (long long)hseq);
		return HC_ERR_ROLLBACK;
	}
	if (hc_path(path, sizeof(path), "%s/snapshot.jws", s->data) == HC_OK &&
	    hc_read_file(path, HC_MAX_SNAPSHOT_FILE, &held, &hl) == HC_OK)
		s->snap_same = hl == f.len && memcmp(held, f.body, hl) == 0;
	hc_set_detail(NULL);
	free(held);
	return HC_OK;
}
