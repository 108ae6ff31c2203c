/* dcc_fx.h: EU DCC QR text made from bytes, for fuzz_dcc and t_dcc_adv:
 * base45 (RFC 9285) and the "HC1:" framing, with or without the zlib
 * compression every issuer applies. */
#ifndef HC_FUZZ_DCC_FX_H
#define HC_FUZZ_DCC_FX_H

#include <stddef.h>
#include <stdint.h>

/* The base45 of in[0..n) into out (n / 2 * 3 + 3 bytes at least), with
 * a NUL. */
void dcc_fx_b45(const uint8_t *in, size_t n, char *out);
/* "HC1:" and the base45 of in[0..n) as it is (malloc'd), or NULL. */
char *dcc_fx_frame(const uint8_t *in, size_t n);
/* "HC1:" and the base45 of the zlib stream of cose[0..n) at level
 * (malloc'd), or NULL. */
char *dcc_fx_text(const uint8_t *cose, size_t n, int level);

#endif
