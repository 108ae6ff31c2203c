/* hc_trust.h: the verifier's trust store and the verification procedure. */
#ifndef HC_TRUST_H
#define HC_TRUST_H

#include "hc_token.h"

struct hc_trust;

/* Caps on revocation lists (DESIGN 6): the signed file, and its entries. */
#define HC_MAX_REVOCATION_FILE (144u << 20) /* holds HC_MAX_REVOKED entries */
#define HC_MAX_REVOKED (1u << 21)
/* Default grace after a trust list's next_update before verdicts carry the
 * stale-trust warning. */
#define HC_DEFAULT_GRACE ((int64_t)24 * 3600)
/* An issuer's max_validity (the longest exp - iat of its codes) when its
 * trust-list entry has none, and the most an entry may give. */
#define HC_DEFAULT_MAX_VALIDITY ((int64_t)7 * 86400)
#define HC_MAX_MAX_VALIDITY ((int64_t)366 * 86400)

/* Loads DIR/roots/\*.jwk (pinned roots) and DIR/trustlist.jws, whose
 * signature must verify under one of the roots and whose payload must be a
 * valid trust list (DESIGN 6). Errors here are configuration errors. */
hc_err hc_trust_load(const char *dir, struct hc_trust **out) HC_WUR;
/* The same; with HC_TRUST_WRITE_INDEX it also stores, beside each
 * revocation list it had to parse, an index (NAME.jws.idx) that later loads
 * use instead of parsing the JSON again while the list is unchanged. The
 * index is a cache: failing to write it is not an error. */
#define HC_TRUST_WRITE_INDEX 1u
/* With HC_TRUST_LAZY_REVOCATIONS a list whose index was made from the very
 * file now there (same size, inode and modification time) is not read: the
 * index's header and block table are checked, and each lookup reads and
 * checks one block of it (at most 4096 entries). A damaged block makes that
 * lookup read and verify the list itself. The signature is then trusted as
 * checked when the index was written. Lookups of such a trust store change
 * it: one thread only (hc-verify's single codes, never batch). */
#define HC_TRUST_LAZY_REVOCATIONS 2u
hc_err hc_trust_load_ex(const char *dir, unsigned flags, struct hc_trust **out) HC_WUR;
/* An issuer's iss in a trust list (domestic or foreign): an https URL
 * without a trailing slash; HC_ERR_TRUST_LIST with a detail if not. */
hc_err hc_iss_check(const char *iss) HC_WUR;
/* The directory that holds DIR's trust data: DIR/gen/N when DIR/current is
 * a link to gen/N (the layout hc-verify sync writes), else DIR itself (laid
 * out by hand). hc_trust_load resolves it once per load. */
hc_err hc_trust_data_dir(const char *dir, char *out, size_t n) HC_WUR;
/* Loads DIR/roots and the trust data in DATA (sync checks a staged
 * generation with it before switching to it). */
hc_err hc_trust_load_data(const char *dir, const char *data, unsigned flags,
			  struct hc_trust **out) HC_WUR;
/* Loads only DIR/roots (sync uses it when no trust list is held yet). */
hc_err hc_trust_load_roots(const char *dir, struct hc_trust **out) HC_WUR;
void hc_trust_free(struct hc_trust *t);

/* Replaces t's trust list with the JWS in jws (verified under t's roots);
 * revocation lists held by t are dropped. On error t is unchanged. */
hc_err hc_trust_set_list(struct hc_trust *t, const char *jws, size_t n) HC_WUR;

/* Whether a file name in DIR/revocations/ is a revocation list that
 * loading reads (NAME.jws, not starting with a dot). */
bool hc_trust_rev_file(const char *name);

/* HC_ERR_REVOCATION_LIST when the trust list names revocations/FILE as the
 * list of an issuer other than iss (the issuer of the list it holds); name
 * is used in the detail. */
hc_err hc_trust_check_rev_path(const struct hc_trust *t, const char *file, const char *name,
			       const char *iss) HC_WUR;

struct hc_revinfo {
	char iss[256];
	int64_t seq, iat;
	size_t count;
	uint8_t digest[32]; /* SHA-256 of the payload */
};
/* Verifies a revocation list JWS under the keys of t's trust list: its kid
 * must be a key of the issuer named by the payload's iss, not revoked and
 * valid at the list's iat. On success the list replaces the one t holds for
 * that issuer if its seq is higher (HC_ERR_ROLLBACK if lower; equal seq is
 * accepted only for identical contents). name is used in details. */
hc_err hc_trust_add_revocations(struct hc_trust *t, const char *name, const char *jws, size_t n,
				struct hc_revinfo *info) HC_WUR;

/* Parses and verifies a trust list JWS against t's roots (without
 * installing it); *seq receives its sequence number. For sync and tests. */
hc_err hc_trust_check_list(const struct hc_trust *t, const char *jws, size_t n, int64_t *seq) HC_WUR;

/* Validates a trust list payload (JSON object) as hc-keys does before
 * signing: keys well formed, kid equal to thumbprint, iss unique, seq. */
hc_err hc_trustlist_validate(const char *json, size_t n) HC_WUR;

/* ---- snapshots (DESIGN 6a) ---- */
#define HC_MAX_SNAPSHOT_FILE (1u << 20)
struct hc_snapshot;
/* Verifies a snapshot JWS under k (the snapshot key the trust list names)
 * and parses {"seq","iat","expires","files":{PATH:{"seq","sha256"}}}.
 * HC_ERR_SNAPSHOT with a detail when it does not verify or parse. */
hc_err hc_snapshot_parse(const struct hc_pubkey *k, const char *jws, size_t n,
			 struct hc_snapshot **out) HC_WUR;
void hc_snapshot_free(struct hc_snapshot *s);
int64_t hc_snapshot_seq(const struct hc_snapshot *s);
int64_t hc_snapshot_expires(const struct hc_snapshot *s);
/* HC_OK when the snapshot lists path with this seq and the SHA-256 of the
 * n bytes of body; HC_ERR_SNAPSHOT otherwise. */
hc_err hc_snapshot_match(const struct hc_snapshot *s, const char *path, int64_t seq,
			 const uint8_t *body, size_t n) HC_WUR;
/* Whether p is a path a snapshot may list: trustlist.jws, foreign.jws,
 * revocations/NAME.jws. */
bool hc_snapshot_path_ok(const char *p);
/* Whether t's trust list names a snapshot key; *seq and *expires are those
 * of the valid snapshot held, 0 when there is none (then t is stale). */
bool hc_trust_snapshot_info(const struct hc_trust *t, int64_t *seq, int64_t *expires);
const struct hc_pubkey *hc_trust_snapshot_key(const struct hc_trust *t);

int64_t hc_trust_seq(const struct hc_trust *t);
int64_t hc_trust_next_update(const struct hc_trust *t);
int64_t hc_trust_iat(const struct hc_trust *t);
size_t hc_trust_issuer_count(const struct hc_trust *t);

/* What the trust store holds for issuer i (< hc_trust_issuer_count); the
 * strings live as long as t's list. */
struct hc_issuer_info {
	const char *iss, *name, *region;
	const char *revocations; /* path named by the trust list, or "" */
	size_t keys[3];          /* by status: active, retired, revoked */
	int64_t rev_seq, rev_iat; /* rev_seq 0: no revocation list held */
	size_t rev_count;
	uint8_t rev_digest[32];
};
void hc_trust_issuer_info(const struct hc_trust *t, size_t i, struct hc_issuer_info *o);
/* Key j of issuer i as the trust list gives it (false when there is no
 * such key); kid lives as long as t's list. */
struct hc_key_info {
	const char *kid, *status; /* status: "active", "retired" or "revoked" */
	int64_t nbf, exp;         /* the signing window; exp only when has_exp */
	bool has_exp;
};
bool hc_trust_key_info(const struct hc_trust *t, size_t i, size_t j, struct hc_key_info *o);

/* For the issuer: HC_OK when kid is an active key of iss, with at inside
 * its nbf..exp; otherwise HC_ERR_UNKNOWN_ISSUER, HC_ERR_UNKNOWN_KEY or
 * HC_ERR_KEY_WINDOW, with a detail. */
/* The max_validity of issuer iss in t's trust list, or 0 when iss is not
 * there. */
int64_t hc_trust_max_validity(const struct hc_trust *t, const char *iss);

hc_err hc_trust_signing_key_ok(const struct hc_trust *t, const char *iss, const char *kid,
			       int64_t at) HC_WUR;

struct hc_verify_opts {
	int64_t at;           /* verification time */
	int64_t skew;         /* allowance on nbf, seconds */
	bool any_status;      /* accept yellow and red */
	int64_t nat_max_age;  /* > 0: a negative test within this many seconds */
	int64_t min_doses;    /* > 0: at least this many doses */
	int64_t grace;        /* stale-trust after next_update + grace */
	bool strict;          /* stale trust is a failure, not a warning */
};
void hc_verify_opts_init(struct hc_verify_opts *o);
/* Whether t is past its next_update plus o->grace at time o->at, or its
 * trust list names a snapshot key and no snapshot valid at o->at is held
 * (a snapshot's expires has no grace: the operator chose it). */
bool hc_trust_stale(const struct hc_trust *t, const struct hc_verify_opts *o);

struct hc_result {
	hc_err err;    /* HC_OK on pass */
	bool verified; /* signature verified: claims and issuer are trusted */
	bool stale;    /* trust data past next_update + grace (stale-trust) */
	struct hc_claims c;
	char kid[HC_KID_LEN + 1];
	char issuer_name[128];
	char region[8];
};

/* Verifies QR text (DESIGN 7 order) and fills res; returns res->err. */
hc_err hc_verify_qr(const struct hc_trust *t, const char *text, size_t n,
		    const struct hc_verify_opts *o, struct hc_result *res);
/* The same, from a bare compact JWS. */
hc_err hc_verify_token(const struct hc_trust *t, const char *tok, size_t n,
		       const struct hc_verify_opts *o, struct hc_result *res);

/* ---- batch verification ---- */
/* Per-thread state: OpenSSL verification contexts per key, created on
 * first use. Bound to one trust store, which must outlive it. */
struct hc_vctx;
hc_err hc_vctx_new(const struct hc_trust *t, struct hc_vctx **out) HC_WUR;
void hc_vctx_free(struct hc_vctx *v);
/* evp true: every signature by EVP_PKEY_verify alone, without the keys'
 * tables and blocks (the same verdicts; for comparison). */
void hc_vctx_evp(struct hc_vctx *v, bool evp);
/* A thread-safe cache of signature outcomes by token bytes, of fixed
 * size (about 200 bytes per entry; older entries are replaced). */
struct hc_sigcache;
hc_err hc_sigcache_new(size_t entries, struct hc_sigcache **out) HC_WUR;
void hc_sigcache_free(struct hc_sigcache *c);
uint64_t hc_sigcache_hits(const struct hc_sigcache *c);

struct hc_bresult {
	hc_err err;     /* HC_OK on pass; the same as hc_verify_qr's */
	bool verified;  /* signature verified */
	bool stale;
	bool cached;    /* steps 1-5 came from the cache */
	enum hc_status st;
	int issuer;     /* index in the trust list when verified, else -1 */
};
/* hc_verify_qr for batches: the same verdict for the same input and
 * options, with steps 2 to 5 taken from c (may be NULL) when this token
 * was seen before; time, revocation and requirements are always checked
 * at o->at. Uses v's contexts (one vctx per thread). */
hc_err hc_verify_qr_batch(const struct hc_trust *t, struct hc_vctx *v, struct hc_sigcache *c,
			  const char *text, size_t n, const struct hc_verify_opts *o,
			  struct hc_bresult *r);
/* The same in three passes over a run of up to HC_BATCH_MAX records, so
 * that signatures by one key are verified in blocks: hc_batch_start for
 * records i = 0, 1, 2... (0 begins a run: steps 1 to 4, or the cache),
 * hc_batch_sigs once (step 5 for every record of the run), then
 * hc_batch_finish for each i (caching, steps 6 to 8; sets hc_detail as
 * hc_verify_qr_batch would). Each record's result is the same as
 * hc_verify_qr_batch's; a duplicate within one run is verified twice
 * rather than taken from the cache. hc_batch_start fails only for a bad
 * i or out of memory (nothing started). */
#define HC_BATCH_MAX 256
hc_err hc_batch_start(const struct hc_trust *t, struct hc_vctx *v, struct hc_sigcache *c,
		      size_t i, const char *text, size_t n, const struct hc_verify_opts *o) HC_WUR;
void hc_batch_sigs(struct hc_vctx *v);
hc_err hc_batch_finish(const struct hc_trust *t, struct hc_vctx *v, struct hc_sigcache *c,
		       size_t i, const struct hc_verify_opts *o, struct hc_bresult *r);
const char *hc_trust_issuer_iss(const struct hc_trust *t, size_t i);
const char *hc_trust_issuer_region(const struct hc_trust *t, size_t i);

#endif
