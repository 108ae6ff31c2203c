/* crypto_int.h: the layout of hc_pubkey, shared by crypto.c and sign.c only. */
#ifndef HC_CRYPTO_INT_H
#define HC_CRYPTO_INT_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "hc_crypto.h"

/* A key's verification table (ecverify.c), built on first use. */
struct pubkey_tab {
	struct hc_ectab *_Atomic t;
	bool failed; /* under ecverify.c's build lock: no table, use EVP */
};

struct hc_pubkey {
	EVP_PKEY *pkey;
	struct pubkey_tab *tab; /* NULL: never a table (out of memory at wrap) */
	uint8_t x[32], y[32];
	char xb[44], yb[44];
	char kid[HC_KID_LEN + 1];
};

/* Wraps an EC P-256 public (or private) EVP_PKEY: fills coordinates and
 * kid. Takes ownership of pkey on success only. */
hc_err hc__pubkey_wrap(EVP_PKEY *pkey, struct hc_pubkey **out);

#endif
