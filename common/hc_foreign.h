/* hc_foreign.h: travellers' foreign codes, verified offline beside
 * domestic ones: EU Digital COVID Certificates (QR text "HC1:") and SMART
 * Health Cards ("shc:/"), and the signed foreign trust data that names
 * their signers (DIR/foreign.jws, made by hc-keys foreign). */
#ifndef HC_FOREIGN_H
#define HC_FOREIGN_H

#include "hc.h"
#include "hc_trust.h"

/* Caps on what a foreign code may make us hold. */
#define HC_MAX_FOREIGN_FILE (8u << 20)  /* foreign.jws */
#define HC_MAX_DCC_TEXT 8192u           /* "HC1:" QR text */
#define HC_MAX_DCC_INFLATED 65536u      /* the COSE message after zlib */
#define HC_MAX_SHC_TEXT 16384u          /* one "shc:/" text, or all chunks */

enum hc_foreign_format { HC_FMT_DOMESTIC = 0, HC_FMT_DCC, HC_FMT_SHC };

/* A DCC signer certificate the foreign trust data holds. */
struct hc_dcc_cert {
	char country[3];     /* ISO 3166-1 alpha-2 as the trust data names it */
	uint8_t kid[8];      /* first 8 bytes of SHA-256 over der */
	const uint8_t *der;  /* the certificate, DER */
	size_t der_len;
};

/* What a verified (or structurally read) foreign code says. Strings are
 * neutralised for display (no control or bidi characters). */
struct hc_foreign_result {
	enum hc_foreign_format fmt;
	bool verified;      /* the signature verified: what follows is the signer's */
	char issuer[256];    /* DCC: country (claim 1); SHC: iss URL */
	char issuer_name[128]; /* SHC: the trust data's name; DCC: "" */
	int64_t iat, exp;    /* exp 0 when the code has none (SHC) */
	char type;           /* 'v' vaccination, 't' test, 'r' recovery, 0 */
	char name[128];      /* as the certificate carries it */
	char dob[16];        /* as carried: YYYY, YYYY-MM or YYYY-MM-DD */
	/* vaccination */
	int64_t doses, doses_total; /* dn/sd; SHC: count of immunizations */
	char vac_date[16];
	/* test */
	char test_type[32];  /* "NAAT" / "RAT" (DCC tt mapped), or SHC code */
	bool test_negative;
	int64_t test_at;     /* sample time */
	/* recovery */
	char rec_from[16], rec_until[16];
};

/* Verifies DCC QR text against the given signer certificates (those
 * whose kid matches are tried in turn) at o->at, applying o's
 * requirements (min_doses to vaccinations, nat_max_age to tests); fills
 * r as far as it got. Returns HC_OK on pass, else the verdict error
 * (hc_err_is_verdict) or a non-verdict error. */
hc_err hc_dcc_verify(const struct hc_dcc_cert *certs, size_t ncerts, const char *text, size_t n,
		     const struct hc_verify_opts *o, struct hc_foreign_result *r) HC_WUR;

/* Reads DCC QR text as far as its certificate content without checking
 * its signature, times or signer: for tests and for showing what an
 * unverified code says (nothing in r is trusted). HC_OK when the content
 * has the structure hc_dcc_verify requires. */
hc_err hc_dcc_decode(const char *text, size_t n, struct hc_foreign_result *r) HC_WUR;

/* The DCC key id of a signer certificate: the first 8 bytes of SHA-256
 * over its DER. */
hc_err hc_dcc_kid(const uint8_t *der, size_t n, uint8_t kid[8]) HC_WUR;

/* Base45 (RFC 9285), strict: HC_ERR_B45 for a character outside the
 * alphabet, a group above 65535 (or a final pair above 255) or a lone
 * final character; HC_ERR_TOO_LARGE when out cannot hold the result. */
size_t hc_b45_declen(size_t n);
hc_err hc_b45_decode(const char *in, size_t n, uint8_t *out, size_t outsz, size_t *outlen) HC_WUR;

/* Whether text is DCC or SHC QR text, by its prefix. */
enum hc_foreign_format hc_foreign_format_of(const char *text, size_t n);

/* ---- the foreign trust data (common/foreign.c, doc/FORMATS.md) ---- */
#define HC_MAX_FOREIGN_CERTS 4096u    /* DCC signer certificates */
#define HC_MAX_DCC_CERT 16384u        /* bytes of one certificate's DER */
#define HC_MAX_SHC_ISSUERS 1024u
#define HC_MAX_SHC_KEYS 16u           /* per issuer */
#define HC_MAX_SHC_RIDS 1048576u      /* revoked rids, all keys together */
#define HC_SHC_RID_MAX 24u            /* characters of one rid */
#define HC_MAX_SHC_INFLATED 65536u    /* an SHC payload after raw inflate */
#define HC_MAX_SHC_CHUNKS 16u         /* chunks of one chunked shc:/ code */

struct hc_foreign;
/* Parses and checks a foreign trust payload (the JSON hc-keys foreign
 * signs): every certificate parsed and its kid recomputed, every SHC key
 * a P-256 JWK with its thumbprint kid, caps. Errors: HC_ERR_TRUST_LIST
 * (with a detail), HC_ERR_TOO_LARGE, the JSON errors. */
hc_err hc_foreign_parse(const uint8_t *p, size_t n, struct hc_foreign **out) HC_WUR;
void hc_foreign_free(struct hc_foreign *f);
/* Verifies a foreign.jws under t's pinned roots and parses its payload;
 * HC_ERR_TRUST_SIG or HC_ERR_TRUST_LIST with a detail naming name. */
hc_err hc_foreign_check(const struct hc_trust *t, const char *name, const char *jws, size_t n,
			struct hc_foreign **out) HC_WUR;
struct hc_foreign_info {
	int64_t seq, iat;
	size_t ncerts, nissuers, nkeys, nrids;
	uint8_t digest[32]; /* SHA-256 of the payload */
};
void hc_foreign_info(const struct hc_foreign *f, struct hc_foreign_info *o);
/* The DCC signer certificates (live as long as f). */
const struct hc_dcc_cert *hc_foreign_certs(const struct hc_foreign *f, size_t *n);
/* The foreign trust data t holds (DIR/foreign.jws), or NULL. */
const struct hc_foreign *hc_trust_foreign(const struct hc_trust *t);
/* The file name the trust list names for the foreign trust data
 * ("foreign.jws"), or "" when it names none. */
const char *hc_trust_foreign_path(const struct hc_trust *t);

/* ---- SMART Health Cards (common/shc.c) ---- */
/* Whether text (n bytes, one QR code) is a chunk "shc:/I/N/DIGITS"; then
 * *i and *total. Only the framing is looked at. */
bool hc_shc_chunk(const char *text, size_t n, unsigned *i, unsigned *total);
/* The compact JWS of "shc:/DIGITS", or of chunks "shc:/I/N/DIGITS"
 * joined by newlines (one per line, any order, each of 1..N once);
 * jws receives at most cap - 1 characters and a NUL. */
hc_err hc_shc_decode(const char *text, size_t n, char *jws, size_t cap, size_t *len) HC_WUR;
/* Verifies SHC text (as hc_shc_decode reads it) against f at o->at with
 * o's requirements; fills r as far as it got. */
hc_err hc_shc_verify(const struct hc_foreign *f, const char *text, size_t n,
		     const struct hc_verify_opts *o, struct hc_foreign_result *r) HC_WUR;
/* DCC or SHC text verified against t's foreign trust data (hc_dcc_verify
 * or hc_shc_verify); HC_ERR_UNKNOWN_ISSUER when t holds none. */
hc_err hc_foreign_verify(const struct hc_trust *t, const char *text, size_t n,
			 const struct hc_verify_opts *o, struct hc_foreign_result *r) HC_WUR;
/* The same with hc-verify batch's signature cache c (may be NULL): a
 * signature check already made for the same signed bytes, signature and
 * key is taken from c (and a new one kept there); everything else is
 * checked as for a first sight, at o->at. The same verdict and detail as
 * hc_foreign_verify. */
hc_err hc_foreign_verify_cached(const struct hc_trust *t, struct hc_sigcache *c, const char *text,
				size_t n, const struct hc_verify_opts *o,
				struct hc_foreign_result *r) HC_WUR;

#endif
