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

#endif
