/* crypto_int.h: the layout of hc_pubkey, shared by crypto.c and sign.c only. */
#ifndef HC_CRYPTO_INT_H
#define HC_CRYPTO_INT_H

#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "hc_crypto.h"

/* OpenSSL's error queue emptied, as ERR_clear_error does, but looked at
 * first: ERR_clear_error clears each of the queue's 16 slots even when
 * it is empty (840 instructions by callgrind, the look 200), and the
 * paths taken for every code signed and checked leave it empty. */
static inline void hc__err_clear(void)
{
	if (ERR_peek_error() != 0)
		ERR_clear_error();
}

/* A key's verification table (ecverify.c), built on first use. */
struct pubkey_tab {
	struct hc_ectab *_Atomic t;
	bool failed; /* under ecverify.c's build lock: no table, use EVP */
};

/* k's table if it is built, without building it (ecverify.c). */
const struct hc_ectab *hc__pubkey_table_built(const struct hc_pubkey *k);

struct hc_pubkey {
	EVP_PKEY *pkey;
	enum hc_alg alg;
	struct pubkey_tab *tab; /* NULL: never a table (out of memory at wrap) */
	uint8_t z[32];          /* SM2 only: Z of HC_SM2_ID and the point, once per key */
	uint8_t x[32], y[32];
	char xb[44], yb[44];
	char kid[HC_KID_LEN + 1];
};

/* Wraps an EC P-256 or SM2 public (or private) EVP_PKEY of algorithm a:
 * fills coordinates, kid and, for SM2, Z. Takes ownership of pkey on
 * success only. */
hc_err hc__pubkey_wrap(EVP_PKEY *pkey, enum hc_alg a, struct hc_pubkey **out);
/* An SM2 signature context for pkey with the ID HC_SM2_ID set on it
 * (EVP_PKEY_CTX_set1_id), into md for EVP_DigestSign/Verify over SM3. */
hc_err hc__sm2_md_init(EVP_MD_CTX *md, EVP_PKEY *pkey, bool sign);

/* A private key in a PKCS#11 token named by an RFC 7512 URI (p11.c):
 * *out signs in the token; *hp holds the module and the session, freed
 * by hc__p11_free after *out. */
struct hc__p11;
hc_err hc__p11_load(const char *s, EVP_PKEY **out, struct hc__p11 **hp);
void hc__p11_free(struct hc__p11 *h);

#endif
