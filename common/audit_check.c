/* audit_check.c: the checking half of the audit chain: signed heads under a
 * trust list and the hash chain from entry 1 to the head, segment by
 * segment (doc/FORMATS.md, "Audit chain"). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"
#include "hc_audit_check.h"
#include "hc_json.h"
#include "trust_int.h"

static const char *const reason_names[HC_AUDIT__COUNT] = {
	"ok",
	"malformed-head",
	"unknown-key",
	"bad-head-signature",
	"unknown-issuer",
	"wrong-issuer",
	"head-key-revoked",
	"head-key-not-valid",
	"malformed-entry",
	"oversized-line",
	"oversized-segment",
	"bad-segment",
	"seq-gap",
	"prev-mismatch",
	"truncated",
	"head-hash-mismatch",
	"rolled-back",
	"rewritten",
};

const char *hc_audit_reason_name(enum hc_audit_reason r)
{
	return (unsigned)r < HC_AUDIT__COUNT ? reason_names[r] : "?";
}

static hc_err refuse(enum hc_audit_reason *why, enum hc_audit_reason r)
{
	*why = r;
	return HC_ERR_AUDIT;
}

hc_err hc_audit_head_parse(const uint8_t *p, size_t n, struct hc_audit_head *h)
{
	static const char *const members[] = {"iss", "seq", "hash", "at", NULL};
	char hash[64];
	cJSON *root = NULL;
	size_t got = 0;
	hc_err err;

	memset(h, 0, sizeof(*h));
	if ((err = hc_json_parse_untrusted((const char *)p, n, &root)) != HC_OK ||
	    (err = hc_json_only_in(root, members, "the head")) != HC_OK ||
	    (err = hc_json_str(root, "iss", true, h->iss, sizeof(h->iss), NULL)) != HC_OK ||
	    (err = hc_json_int(root, "seq", true, 1, HC_AUDIT_MAX_INT, &h->seq, NULL)) != HC_OK ||
	    (err = hc_json_int(root, "at", true, -HC_AUDIT_MAX_INT, HC_AUDIT_MAX_INT, &h->at,
			       NULL)) != HC_OK ||
	    (err = hc_json_str(root, "hash", true, hash, sizeof(hash), NULL)) != HC_OK)
		goto out;
	if (!h->iss[0] || !hc__audit_text_ok(h->iss)) {
		hc_set_detail("head: iss is not text");
		err = HC_ERR_JSON_TYPE;
		goto out;
	}
	if (hc_b64u_decode(hash, strlen(hash), h->hash, sizeof(h->hash), &got) != HC_OK ||
	    got != sizeof(h->hash)) {
		hc_set_detail("head: hash is not 32 bytes of base64url");
		err = HC_ERR_JSON_TYPE;
		goto out;
	}
	err = HC_OK;
out:
	cJSON_Delete(root);
	return err;
}

static const struct trust_key *key_by_kid(const struct hc_trust *t, const char *kid,
					  const struct trust_issuer **is)
{
	for (size_t i = 0; i < t->list.n; i++)
		for (size_t k = 0; k < t->list.issuers[i].nkeys; k++)
			if (strcmp(hc_pubkey_kid(t->list.issuers[i].keys[k].k), kid) == 0) {
				*is = &t->list.issuers[i];
				return &t->list.issuers[i].keys[k];
			}
	return NULL;
}

hc_err hc_audit_head_verify(const struct hc_trust *t, const char *jws, size_t n, bool check_key,
			    struct hc_audit_head *h, enum hc_audit_reason *why)
{
	const struct trust_issuer *owner = NULL, *is;
	const struct trust_key *k;
	struct hc_jws j;
	hc_err err;

	memset(h, 0, sizeof(*h));
	memset(&j, 0, sizeof(j));
	*why = HC_AUDIT_OK;
	hc_set_detail(NULL);
	while (n > 0 && (jws[n - 1] == '\n' || jws[n - 1] == '\r'))
		n--;
	/* Header, then the key, then the signature; only then the payload. */
	if ((err = hc_jws_parse(jws, n, HC_AUDIT_MAX_HEAD, false, HC_AUDIT_MAX_HEAD, &j)) != HC_OK) {
		hc_set_detail("head: %s", hc_strerror(err));
		return refuse(why, HC_AUDIT_MALFORMED_HEAD);
	}
	if (!(k = key_by_kid(t, j.kid, &owner))) {
		hc_set_detail("head: kid %s is no key of the trust list", j.kid);
		err = refuse(why, HC_AUDIT_UNKNOWN_KEY);
		goto out;
	}
	if (hc_jws_verify(&j, jws, k->k) != HC_OK) {
		hc_set_detail("head: the signature does not verify under key %s", j.kid);
		err = refuse(why, HC_AUDIT_BAD_HEAD_SIGNATURE);
		goto out;
	}
	if (hc_audit_head_parse(j.payload, j.payload_len, h) != HC_OK) {
		char d[200];

		(void)snprintf(d, sizeof(d), "%s", hc_detail());
		hc_set_detail("head payload: %s", d);
		err = refuse(why, HC_AUDIT_MALFORMED_HEAD);
		goto out;
	}
	(void)snprintf(h->kid, sizeof(h->kid), "%s", j.kid);
	if (!(is = hc__trust_issuer(t, h->iss))) {
		hc_set_detail("head: iss %.100s is not in the trust list", h->iss);
		err = refuse(why, HC_AUDIT_UNKNOWN_ISSUER);
		goto out;
	}
	if (is != owner) {
		hc_set_detail("head of %.100s signed by key %s of %.100s", h->iss, j.kid, owner->iss);
		err = refuse(why, HC_AUDIT_WRONG_ISSUER);
		goto out;
	}
	if (check_key && (err = hc__key_valid_at(k, h->at)) != HC_OK) {
		char at[24];

		hc_time_format(h->at, at, sizeof(at));
		hc_set_detail("head: key %s %s at %s", j.kid,
			      err == HC_ERR_KEY_REVOKED ? "is revoked" : "is outside its window", at);
		err = refuse(why, err == HC_ERR_KEY_REVOKED ? HC_AUDIT_HEAD_KEY_REVOKED
							    : HC_AUDIT_HEAD_KEY_NOT_VALID);
		goto out;
	}
	err = HC_OK;
out:
	if (err != HC_OK)
		memset(h, 0, sizeof(*h));
	hc_jws_clear(&j);
	return err;
}

/* ---- the chain ---- */

struct hc_audit_chain {
	struct hc_audit_head head, since;
	bool has_since;
	hc_audit_entry_fn fn;
	void *arg;
	int64_t next_k;   /* the segment expected next */
	int64_t next_seq; /* the entry expected next */
	uint8_t prev[32]; /* SHA-256 of the line before it */
	struct hc_audit_parsed p;
};

int64_t hc_audit_segments(const struct hc_audit_head *head)
{
	return head->seq < 1 ? 0 : (head->seq - 1) / HC_AUDIT_SEGMENT + 1;
}

hc_err hc_audit_chain_new(const struct hc_audit_head *head, const struct hc_audit_head *since,
			  hc_audit_entry_fn fn, void *arg, struct hc_audit_chain **out,
			  enum hc_audit_reason *why)
{
	struct hc_audit_chain *c;

	*out = NULL;
	*why = HC_AUDIT_OK;
	if (head->seq < 1)
		return HC_ERR_INVALID_ARG;
	if (since && since->seq > head->seq) {
		hc_set_detail("the head is at entry %" PRId64 ", an older head was at %" PRId64,
			      head->seq, since->seq);
		return refuse(why, HC_AUDIT_ROLLED_BACK);
	}
	if (!(c = calloc(1, sizeof(*c))))
		return HC_ERR_NOMEM;
	c->head = *head;
	if (since) {
		c->since = *since;
		c->has_since = true;
	}
	c->fn = fn;
	c->arg = arg;
	c->next_k = 1;
	c->next_seq = 1;
	*out = c;
	return HC_OK;
}

void hc_audit_chain_free(struct hc_audit_chain *c)
{
	free(c);
}

/* Checks one line, entry c->next_seq (line idx of segment k). */
static hc_err chain_line(struct hc_audit_chain *c, int64_t k, size_t idx, const char *line,
			 size_t len, enum hc_audit_reason *why)
{
	int64_t seq = c->next_seq;
	uint8_t hash[32];
	hc_err err;

	if (len > HC_MAX_AUDIT_LINE) {
		hc_set_detail("entry %" PRId64 " (segment %" PRId64 " line %zu): %zu bytes", seq, k,
			      idx + 1, len);
		return refuse(why, HC_AUDIT_OVERSIZED_LINE);
	}
	if (hc_audit_entry_parse(line, len, &c->p) != HC_OK) {
		char d[200];

		(void)snprintf(d, sizeof(d), "%s", hc_detail());
		hc_set_detail("entry %" PRId64 " (segment %" PRId64 " line %zu): %s", seq, k,
			      idx + 1, d);
		return refuse(why, HC_AUDIT_MALFORMED_ENTRY);
	}
	if (c->p.e.seq != seq) {
		hc_set_detail("segment %" PRId64 " line %zu: entry %" PRId64 " where %" PRId64
			      " belongs", k, idx + 1, c->p.e.seq, seq);
		return refuse(why, HC_AUDIT_SEQ_GAP);
	}
	if (memcmp(c->p.e.prev, c->prev, 32) != 0) {
		hc_set_detail("entry %" PRId64 ": prev is not the hash of entry %" PRId64, seq,
			      seq - 1);
		return refuse(why, HC_AUDIT_PREV_MISMATCH);
	}
	if ((err = hc_sha256((const uint8_t *)line, len, hash)) != HC_OK)
		return err;
	if (c->has_since && seq == c->since.seq && memcmp(hash, c->since.hash, 32) != 0) {
		hc_set_detail("entry %" PRId64 " is not the one the older head signed", seq);
		return refuse(why, HC_AUDIT_REWRITTEN);
	}
	if (seq == c->head.seq && memcmp(hash, c->head.hash, 32) != 0) {
		hc_set_detail("entry %" PRId64 " is not the one the head signed", seq);
		return refuse(why, HC_AUDIT_HEAD_HASH_MISMATCH);
	}
	memcpy(c->prev, hash, 32);
	c->next_seq++;
	if (c->fn)
		c->fn(&c->p.e, c->arg);
	return HC_OK;
}

hc_err hc_audit_chain_segment(struct hc_audit_chain *c, int64_t k, const uint8_t *buf, size_t n,
			      enum hc_audit_reason *why)
{
	int64_t base = (k - 1) * HC_AUDIT_SEGMENT;
	size_t need, pos = 0, idx, extra = 0;
	hc_err err;

	*why = HC_AUDIT_OK;
	if (k != c->next_k || k > hc_audit_segments(&c->head) || c->next_seq != base + 1) {
		hc_set_detail("segment %" PRId64 " out of order", k);
		return HC_ERR_INVALID_ARG;
	}
	if (n > HC_AUDIT_MAX_SEGMENT) {
		hc_set_detail("segment %" PRId64 ": more than %zu bytes", k,
			      (size_t)HC_AUDIT_MAX_SEGMENT);
		return refuse(why, HC_AUDIT_OVERSIZED_SEGMENT);
	}
	need = c->head.seq - base < HC_AUDIT_SEGMENT ? (size_t)(c->head.seq - base)
						      : HC_AUDIT_SEGMENT;
	for (idx = 0; idx < need; idx++) {
		const uint8_t *nl = pos < n ? memchr(buf + pos, '\n', n - pos) : NULL;

		if (!nl) {
			if (n - pos > HC_MAX_AUDIT_LINE)
				return chain_line(c, k, idx, (const char *)buf + pos, n - pos, why);
			hc_set_detail("segment %" PRId64 " ends %s entry %" PRId64 " (the head is "
				      "at %" PRId64 ")", k, pos < n ? "inside" : "before",
				      c->next_seq, c->head.seq);
			return refuse(why, HC_AUDIT_TRUNCATED);
		}
		if ((err = chain_line(c, k, idx, (const char *)buf + pos, (size_t)(nl - (buf + pos)),
				      why)) != HC_OK)
			return err;
		pos = (size_t)(nl - buf) + 1;
	}
	/* Entries published after the head was signed: not checked, but a
	 * segment holds HC_AUDIT_SEGMENT lines at most. */
	for (size_t i = pos; i < n; i++)
		extra += buf[i] == '\n';
	if (pos < n && buf[n - 1] != '\n')
		extra++;
	if (need + extra > HC_AUDIT_SEGMENT) {
		hc_set_detail("segment %" PRId64 " holds more than %d lines", k, HC_AUDIT_SEGMENT);
		return refuse(why, HC_AUDIT_BAD_SEGMENT);
	}
	c->next_k++;
	return HC_OK;
}

hc_err hc_audit_chain_finish(struct hc_audit_chain *c, enum hc_audit_reason *why)
{
	*why = HC_AUDIT_OK;
	if (c->next_seq <= c->head.seq) {
		hc_set_detail("the chain ends before entry %" PRId64 " (the head is at %" PRId64 ")",
			      c->next_seq, c->head.seq);
		return refuse(why, HC_AUDIT_TRUNCATED);
	}
	return HC_OK;
}
