/* foreign_int.h: the foreign trust data as held in memory (foreign.c),
 * read by the SMART Health Card verifier (shc.c). */
#ifndef HC_FOREIGN_INT_H
#define HC_FOREIGN_INT_H

#include "hc_foreign.h"

/* One entry of a key's revocation list: a card whose rid is rid is
 * revoked; with has_at only when its nbf is before at. */
struct shc_rid {
	char rid[HC_SHC_RID_MAX + 1];
	int64_t at;
	bool has_at;
};

struct shc_key {
	struct hc_pubkey *k;
	int64_t crl_ctr;          /* 0: no revocation list for this key */
	struct shc_rid *rids;     /* sorted by rid */
	size_t nrids;
};

struct shc_issuer {
	char iss[256];
	char name[128];
	struct shc_key keys[HC_MAX_SHC_KEYS];
	size_t nkeys;
};

struct hc_foreign {
	int64_t seq, iat;
	uint8_t digest[32]; /* SHA-256 of the payload */
	struct hc_dcc_cert *certs;
	size_t ncerts;
	struct shc_issuer *issuers;
	size_t nissuers;
	size_t nkeys, nrids;
};

const struct shc_issuer *hc__shc_issuer(const struct hc_foreign *f, const char *iss);

/* The signature cache of hc-verify batch for foreign codes (common/batch.c):
 * hc__sigkey makes the key of one signature check, SHA-256 over label
 * (with its NUL) and each part preceded by its length as 8 bytes, big
 * endian; the parts must name the signed bytes, the signature and the
 * public key (its bytes or a digest of them). hc__sigcache_get_sig gives
 * a cached outcome (and its detail, for a failure); c may be NULL (no
 * cache: a miss, nothing kept). */
struct hc_span {
	const void *p;
	size_t n;
};
hc_err hc__sigkey(const char *label, size_t n, const struct hc_span *parts, uint8_t key[32]) HC_WUR;
bool hc__sigcache_get_sig(struct hc_sigcache *c, const uint8_t key[32], hc_err *err);
void hc__sigcache_put_sig(struct hc_sigcache *c, const uint8_t key[32], hc_err err);
/* hc_dcc_verify with the cache c (may be NULL). */
hc_err hc__dcc_verify(const struct hc_dcc_cert *certs, size_t ncerts, struct hc_sigcache *c,
		      const char *text, size_t n, const struct hc_verify_opts *o,
		      struct hc_foreign_result *r) HC_WUR;

#endif
