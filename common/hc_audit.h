/* hc_audit.h: the issuing service's audit chain (DESIGN 12): entries, their
 * hash chain, signed heads and the published segment files. The writer
 * half (encode, head, publish) is used by hc-issued; the checking half
 * (hc_audit_check.h) by hc-verify audit. Formats: doc/FORMATS.md, "Audit
 * chain". */
#ifndef HC_AUDIT_H
#define HC_AUDIT_H

#include "hc.h"

#define HC_AUDIT_SEGMENT 1000   /* entries per segment file */
#define HC_MAX_AUDIT_LINE 4096  /* bytes of one entry, without the newline */
#define HC_AUDIT_MAX_WHY 8

/* One entry. Strings are NULL when the entry has no such member value
 * (written as JSON null); why is an array (possibly empty). */
struct hc_audit_entry {
	int64_t seq;        /* 1, 2, 3, ... without gaps */
	int64_t at;         /* epoch seconds */
	const char *actor;  /* token name, or "system" */
	const char *action; /* "record", "event", "status", "issue", "revoke",
			     * "flag", "token-add", "token-revoke" */
	const char *person; /* base64url HMAC key (43 characters) or NULL */
	const char *from;   /* status (or flag state) before, or NULL */
	const char *to;     /* after, or NULL */
	const char *why[HC_AUDIT_MAX_WHY]; /* reason codes */
	size_t nwhy;
	const char *cause;  /* event id or request id, or NULL */
	const char *jti;    /* code concerned, or NULL */
	uint8_t prev[32];   /* SHA-256 of the previous entry's line; all zero for seq 1 */
};

/* The entry as one line of minified JSON with its members in this order:
 * seq, at, actor, action, person, from, to, why, cause, jti, prev (prev as
 * base64url); no newline. Refuses (HC_ERR_INVALID_ARG) seq < 1, seq or at
 * of magnitude 2^53 or more (JSON readers hold no more exactly), a NULL
 * actor or action, more than HC_AUDIT_MAX_WHY reasons or a NULL one, a
 * string that is not valid UTF-8 or has a control character (C0, DEL,
 * C1), and a line longer than HC_MAX_AUDIT_LINE. *line is malloc'd and
 * NUL-terminated. */
hc_err hc_audit_entry_encode(const struct hc_audit_entry *e, char **line, size_t *n) HC_WUR;

struct hc_privkey;
/* The head {"iss","seq","hash","at"} (hash: base64url SHA-256 of entry
 * seq's line) signed as a compact JWS, ES256, no zip. malloc'd. seq >= 1
 * (a chain with no entry has no head) and iss at most 255 bytes. */
hc_err hc_audit_head_sign(struct hc_privkey *k, const char *iss, int64_t seq,
			  const uint8_t hash[32], int64_t at, char **jws) HC_WUR;

/* Publishing into DIR/audit/ (created when missing; DIR must exist).
 * Segment k (1, 2, ...) is DIR/audit/NNNNNN.jsonl (k, six digits) and
 * holds entries (k-1)*HC_AUDIT_SEGMENT+1 .. k*HC_AUDIT_SEGMENT, one line
 * each ending in '\n'. hc_audit_publish_lines appends the lines of
 * entries first .. first+count-1 (lines[i] without newline): a segment
 * only ever grows, and first must follow the last published entry
 * (HC_ERR_CONFLICT otherwise; an entry already there with the same bytes
 * is skipped). The last published entry is the last complete line of the
 * highest segment file, found from the segment of entry first in a few
 * lstat calls: the files are contiguous from 1, and one missing below the
 * highest is not looked for (checking the chain finds it). Each segment is fsync'd. hc_audit_publish_head replaces
 * DIR/audit/head.jws atomically (temp file, fsync, rename, fsync of the
 * directory); call it only after the entries it covers are published. */
hc_err hc_audit_publish_lines(const char *dir, int64_t first, const char *const *lines,
			      const size_t *lens, size_t count) HC_WUR;
hc_err hc_audit_publish_head(const char *dir, const char *jws) HC_WUR;

#endif
