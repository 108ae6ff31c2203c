/* trust_int.h: the layout of the trust store, shared by trust*.c, revoke*.c
 * and verify.c. */
#ifndef HC_TRUST_INT_H
#define HC_TRUST_INT_H

#include "hc_trust.h"

#define MAX_ROOTS 16
#define MAX_ISSUERS 1024
#define MAX_KEYS 16
#define MAX_SNAPSHOT_FILES 4097 /* the trust list and 4096 revocation lists */

enum key_status { KEY_ACTIVE, KEY_RETIRED, KEY_REVOKED };

struct trust_key {
	struct hc_pubkey *k;
	size_t idx; /* 0..list.nkeys-1 across all issuers (per-thread contexts) */
	int64_t nbf, exp; /* signing window */
	bool has_exp;     /* without exp the window is open-ended */
	enum key_status status;
};

/* One revoked code: its jti (16 bytes) and the time from which it fails. */
struct rev_entry {
	uint8_t jti[16];
	int64_t at;
};

/* A list held by its index alone (HC_TRUST_LAZY_REVOCATIONS): the open
 * index, its block table, and the list itself once a damaged block made
 * lookups read it. Changed by lookups: for one thread only. */
struct idx_block;
struct rev_lazy {
	int fd;
	size_t nblocks;
	struct idx_block *table;
	char path[4096]; /* the signed list */
	char kid[48];
	struct rev_entry *full;
	size_t nfull;
};

/* An issuer's revocation list, entries sorted by jti for bsearch; or, with
 * lz, n entries in an index on disk (e is NULL). */
struct rev_list {
	struct rev_entry *e;
	struct rev_lazy *lz;
	size_t n;
	int64_t seq, iat; /* seq 0: no list held */
	uint8_t digest[32]; /* SHA-256 of the payload: equal seq must mean equal contents */
};

/* A revocation list read for an issuer: its seq and payload digest. */
struct rev_seen {
	int64_t seq;
	uint8_t digest[32];
};

struct trust_issuer {
	char iss[256];
	char name[128];
	char region[8];
	char revocations[256];
	struct trust_key keys[MAX_KEYS];
	size_t nkeys;
	int64_t max_validity; /* the longest exp - iat a code may have */
	struct rev_list rev;
	struct rev_seen *seen; /* every list read, so that two lists of one */
	size_t nseen;          /* seq conflict whatever order they come in */
};

struct trust_list {
	int64_t seq, iat, next_update;
	struct trust_issuer *issuers;
	size_t n;
	size_t nkeys; /* keys of all issuers */
	struct hc_pubkey *snap_key; /* the operator's snapshot key, or NULL */
	char foreign[16];           /* "foreign.jws" when the list names it, or "" */
};

/* What steps 6 to 8 need of a code whose signature verified: small enough
 * to cache per distinct token in batch verification. */
struct hc_brief {
	const struct trust_issuer *is;
	int64_t iat, nbf, exp;
	enum hc_status st;
	uint8_t jti[16];
	bool has_nat, nat_neg, has_vac;
	int64_t nat_at, vac_doses;
};

/* Steps 2 to 5 on a compact JWS: header, payload, claims, issuer and key,
 * signature. With digest (SHA-256 of the signing input) and kctx (one
 * context per key, indexed by trust_key.idx, created on demand) the
 * signature check reuses OpenSSL contexts. Fills c, kid and *isp. */
hc_err hc__steps15(const struct hc_trust *t, const char *tok, size_t n, const uint8_t *digest,
		   struct hc_verctx **kctx, struct hc_claims *c, char kid[HC_KID_LEN + 1],
		   const struct trust_issuer **isp);
/* Steps 2 to 4 of hc__steps15, and the signature (R||S) for step 5 by the
 * key *kp, which the caller checks (batch verification, in blocks). */
hc_err hc__steps24(const struct hc_trust *t, const char *tok, size_t n, struct hc_claims *c,
		   char kid[HC_KID_LEN + 1], const struct trust_issuer **isp,
		   const struct trust_key **kp, uint8_t sig[HC_SIG_LEN]);
/* Steps 6 to 8 (time, revocation, requirements) and stale trust. */
hc_err hc__steps68(const struct hc_trust *t, const struct hc_brief *b,
		   const struct hc_verify_opts *o, bool stale);
hc_err hc__brief(const struct hc_claims *c, const struct trust_issuer *is, struct hc_brief *b);

struct hc_trust {
	struct hc_pubkey *roots[MAX_ROOTS];
	size_t nroots;
	struct trust_list list;
	int64_t snap_seq, snap_expires; /* the snapshot held; 0: none valid */
	struct hc_foreign *foreign;     /* DATA/foreign.jws, or NULL */
};

const struct trust_issuer *hc__trust_issuer(const struct hc_trust *t, const char *iss);
/* The trust list (trust_list.c): hc__trust_list_check verifies a JWS under
 * the roots of t and parses it into l, which the caller clears with
 * hc__trust_list_clear whatever the outcome. */
hc_err hc__trust_list_check(const struct hc_trust *t, const char *s, size_t n,
			    struct trust_list *l);
void hc__trust_list_clear(struct trust_list *l);
/* The revocation entry for jti (16 bytes) in is's list, or NULL. */
const struct rev_entry *hc__revoked(const struct trust_issuer *is, const uint8_t jti[16]);
void hc__rev_clear(struct rev_list *l);
/* Looks jti up in is's list, in memory or (lazy) in one block of its
 * index; a damaged block makes it read and verify the list itself.
 * HC_ERR_REVOCATION_LIST when neither can answer. */
hc_err hc__rev_lookup(const struct trust_issuer *is, const uint8_t jti[16], struct rev_entry *out,
		      bool *found) HC_WUR;
/* The identity of a signed list file an index was made from. */
struct hc_rev_src {
	uint64_t size, ino;
	int64_t mtime, mtime_ns;
};
struct stat;
void hc__rev_src(const struct stat *st, struct hc_rev_src *src);
/* The payload parser and the index reader (exposed for the fuzz target). */
hc_err hc__rev_parse(const uint8_t *p, size_t n, char *iss, size_t isssz, struct rev_list *l);
bool hc__rev_idx_load(const uint8_t *p, size_t len, struct rev_list *l, char *iss, size_t isssz);
/* Offset of the header's own SHA-256 in an index, and its length before
 * that (for the fuzz target, which fixes it up to reach the later checks). */
size_t hc__rev_idx_hdr_sha_at(void);
/* hc_trust_add_revocations with an index cache: idx (may be NULL) is used
 * when it matches the verified payload; otherwise, when newidx is not
 * NULL, *newidx receives a fresh index to store (or NULL), made from the
 * file src (may be NULL). */
hc_err hc__rev_add(struct hc_trust *t, const char *name, const char *s, size_t n,
		   const uint8_t *idx, size_t idxlen, const struct hc_rev_src *src,
		   uint8_t **newidx, size_t *newidxlen, struct hc_revinfo *info);
/* Holds the list name (a path) by its index ipath alone, when the index was
 * made from that very file (src) and its header and block table are
 * intact; *used false otherwise (and nothing held), for the caller to read
 * the list. Errors as hc__rev_add's, after its signature check. */
hc_err hc__rev_add_lazy(struct hc_trust *t, const char *name, const char *ipath,
			const struct hc_rev_src *src, struct hc_revinfo *info, bool *used);
/* The snapshot payload parser (exposed for the fuzz target), and the
 * invariants every parsed snapshot holds. */
hc_err hc__snapshot_payload(const uint8_t *p, size_t n, struct hc_snapshot **out);
bool hc__snapshot_sane(const struct hc_snapshot *s);
/* Reads DATA/snapshot.jws when t's list names a snapshot key and sets
 * t->snap_* when it verifies and lists tl (the trust list's bytes). */
void hc__trust_load_snapshot(struct hc_trust *t, const char *data, const uint8_t *tl, size_t n);
/* Whether key k may have signed at time iat (window and status). */
hc_err hc__key_valid_at(const struct trust_key *k, int64_t iat);

#endif
