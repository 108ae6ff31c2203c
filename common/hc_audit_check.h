/* hc_audit_check.h: checking a published audit chain (hc-verify audit):
 * entries read back strictly, signed heads verified under a trust list,
 * and the hash chain from entry 1 to the head, segment by segment. Each
 * refusal has a reason word (doc/FORMATS.md, "Audit chain"). */
#ifndef HC_AUDIT_CHECK_H
#define HC_AUDIT_CHECK_H

#include "hc_audit.h"
#include "hc_crypto.h"

struct hc_trust;

#define HC_AUDIT_MAX_HEAD (64u << 10) /* bytes of head.jws */
/* Bytes of a full segment file. */
#define HC_AUDIT_MAX_SEGMENT ((size_t)HC_AUDIT_SEGMENT * (HC_MAX_AUDIT_LINE + 1))

/* Why a chain is refused. */
enum hc_audit_reason {
	HC_AUDIT_OK = 0,
	HC_AUDIT_MALFORMED_HEAD,     /* head is not a JWS or its payload not a head */
	HC_AUDIT_UNKNOWN_KEY,        /* head's kid is no key of the trust list */
	HC_AUDIT_BAD_HEAD_SIGNATURE, /* head's signature does not verify */
	HC_AUDIT_UNKNOWN_ISSUER,     /* head's iss is not in the trust list */
	HC_AUDIT_WRONG_ISSUER,       /* head signed by a key of another issuer */
	HC_AUDIT_HEAD_KEY_REVOKED,   /* head's key is revoked */
	HC_AUDIT_HEAD_KEY_NOT_VALID, /* head's at is outside its key's window */
	HC_AUDIT_MALFORMED_ENTRY,    /* a line is not an entry in its exact form */
	HC_AUDIT_OVERSIZED_LINE,     /* a line longer than HC_MAX_AUDIT_LINE */
	HC_AUDIT_OVERSIZED_SEGMENT,  /* a segment file larger than a full segment */
	HC_AUDIT_BAD_SEGMENT,        /* a segment holds more than its entries */
	HC_AUDIT_SEQ_GAP,            /* an entry's seq is not the one expected there */
	HC_AUDIT_PREV_MISMATCH,      /* an entry's prev is not the hash of the line before */
	HC_AUDIT_TRUNCATED,          /* the chain ends before the head's seq */
	HC_AUDIT_HEAD_HASH_MISMATCH, /* the head's hash is not that of entry seq */
	HC_AUDIT_ROLLED_BACK,        /* the head is older than the head given */
	HC_AUDIT_REWRITTEN,          /* entry seq of the older head hashes otherwise */
	HC_AUDIT__COUNT
};
/* The reason word ("seq-gap", ...); "ok" for HC_AUDIT_OK. */
const char *hc_audit_reason_name(enum hc_audit_reason r);

/* One entry read back; the strings of e point into buf. */
struct hc_audit_parsed {
	struct hc_audit_entry e;
	char buf[HC_MAX_AUDIT_LINE + 1];
};
/* Parses one line (n bytes, no newline) strictly: at most HC_MAX_AUDIT_LINE
 * bytes (HC_ERR_TOO_LARGE), strict JSON, exactly the eleven members in
 * their order with their types, the same text rules as the encoder, prev
 * 32 bytes, and the very bytes hc_audit_entry_encode writes for it (one
 * form per entry). HC_ERR_JSON* with a detail otherwise. */
hc_err hc_audit_entry_parse(const char *line, size_t n, struct hc_audit_parsed *out) HC_WUR;

struct hc_audit_head {
	char iss[256];
	char kid[HC_KID_LEN + 1];
	int64_t seq, at;
	uint8_t hash[32];
};
/* Parses a head payload: exactly {"iss","seq","hash","at"}, seq >= 1. */
hc_err hc_audit_head_parse(const uint8_t *p, size_t n, struct hc_audit_head *h) HC_WUR;
/* Verifies a head JWS (n bytes, a trailing newline allowed) under t's trust
 * list: its kid a key of the list, its signature, its payload, its iss an
 * issuer of the list whose key kid is; with check_key, that key not revoked
 * and the head's at inside its window (the rules of revocation lists).
 * HC_ERR_AUDIT with *why and a detail when refused. */
hc_err hc_audit_head_verify(const struct hc_trust *t, const char *jws, size_t n, bool check_key,
			    struct hc_audit_head *h, enum hc_audit_reason *why) HC_WUR;

/* Checking the entries 1 .. head->seq, fed one segment at a time. */
struct hc_audit_chain;
/* Called for each entry checked so far, in order (its strings live only
 * during the call). */
typedef void (*hc_audit_entry_fn)(const struct hc_audit_entry *e, void *arg);
/* since (may be NULL): an older head of the same issuer that the chain must
 * extend. HC_ERR_AUDIT with *why HC_AUDIT_ROLLED_BACK when since->seq is
 * above head->seq. */
hc_err hc_audit_chain_new(const struct hc_audit_head *head, const struct hc_audit_head *since,
			  hc_audit_entry_fn fn, void *arg, struct hc_audit_chain **out,
			  enum hc_audit_reason *why) HC_WUR;
void hc_audit_chain_free(struct hc_audit_chain *c);
/* The number of segment files the head covers. */
int64_t hc_audit_segments(const struct hc_audit_head *head);
/* Checks the bytes of segment k (1, 2, ... in order; n 0 for a file that
 * is missing). Lines after the head's seq in its last segment are not
 * checked (entries not yet signed), but a segment holds at most
 * HC_AUDIT_SEGMENT lines. HC_ERR_AUDIT with *why and a detail. */
hc_err hc_audit_chain_segment(struct hc_audit_chain *c, int64_t k, const uint8_t *buf, size_t n,
			      enum hc_audit_reason *why) HC_WUR;
/* After the last segment: HC_ERR_AUDIT (truncated) unless every entry up
 * to the head's seq was checked. */
hc_err hc_audit_chain_finish(struct hc_audit_chain *c, enum hc_audit_reason *why) HC_WUR;

#endif
