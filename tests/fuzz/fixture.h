/* fixture.h: the fixed trust store of fuzz_verify and fuzz_batch (made by
 * make_trust.sh) and a signature check that does not use libhc. */
#ifndef HC_FUZZ_FIXTURE_H
#define HC_FUZZ_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "hc_trust.h"

/* The fixed verification time of the seeds, 2026-11-23T08:00:00+08:00. */
#define FX_AT 1795392000

/* A property the target asserts: on failure, say which and abort (a
 * finding for libFuzzer, a failed replay for make check). */
#define FX_CHECK(c)                                                                     \
	do {                                                                            \
		if (!(c)) {                                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                        \
		}                                                                       \
	} while (0)

/* The trust store in $HC_FUZZ_DIR/trust (default tests/fuzz/trust),
 * loaded on the first call; aborts when it does not load. */
const struct hc_trust *fx_trust(void);

/* Whether the compact JWS tok (n bytes) carries a signature that verifies,
 * checked with OpenSSL directly (own base64url, R||S -> DER, EVP verify),
 * under the key kid of $HC_FUZZ_DIR/pub/KID.pem, and whether that key
 * belongs to iss (the file's first line). */
bool fx_really_signed(const char *tok, size_t n, const char *kid, const char *iss);

/* Decodes QR text "hc:/" + digit pairs (at most HC_MAX_QR_TEXT bytes)
 * into tok (toksz bytes, NUL-terminated) without libhc; false when it is
 * not well formed. */
bool fx_qr_decode(const char *text, size_t n, char *tok, size_t toksz, size_t *toklen);

#endif
