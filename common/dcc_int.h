/* dcc_int.h: the strict CBOR reader and the COSE_Sign1 envelope under
 * hc_dcc_verify (common/cose.c), for common/dcc.c only. */
#ifndef HC_DCC_INT_H
#define HC_DCC_INT_H

#include <cbor.h>
#include <openssl/evp.h>

#include "foreign_int.h"

#define DCC_CBOR_DEPTH 16    /* nesting of arrays, maps and tags */
#define DCC_CBOR_ARRAY 1024u /* elements of one array */
#define DCC_CBOR_MAP 256u    /* pairs of one map */

/* Checks that p[0..n) is exactly one well-formed CBOR item within our
 * limits (definite lengths only, integers within int64, no bignums, no
 * unassigned simple values, valid UTF-8 text, depth and size caps, no
 * duplicate map keys, keys integers or text) and loads it with libcbor,
 * without its tags (tags false: a tag is refused). Fails with err
 * (HC_ERR_CBOR, HC_ERR_HEADER or HC_ERR_CLAIMS) and a detail naming what. */
hc_err hc__cbor_load(const uint8_t *p, size_t n, bool tags, hc_err err, const char *what,
		     cbor_item_t **out) HC_WUR;
/* The value of map key k (an integer) or s (text), or NULL. Borrowed. */
const cbor_item_t *hc__cbor_get_int(const cbor_item_t *map, int64_t k);
const cbor_item_t *hc__cbor_get_str(const cbor_item_t *map, const char *s);
/* The integer value of it, false when it is not an integer. */
bool hc__cbor_int(const cbor_item_t *it, int64_t *v);

struct hc_cose {
	cbor_item_t *root, *prot_map; /* owned; prot_map NULL for an empty bstr */
	const uint8_t *prot, *payload, *sig, *kid;
	size_t prot_len, payload_len, sig_len, kid_len;
	int64_t alg;
};

/* Reads a COSE_Sign1 (tag 18, untagged, or tag 61 around 18) with alg
 * and kid from the protected header first, then the unprotected one. */
hc_err hc__cose_parse(const uint8_t *p, size_t n, struct hc_cose *c) HC_WUR;
void hc__cose_clear(struct hc_cose *c);
/* Verifies c's signature under pk by its alg: HC_OK, HC_ERR_SIG_LEN, or
 * HC_ERR_BAD_SIG (also for a key of the wrong kind or size for alg). */
hc_err hc__cose_verify(const struct hc_cose *c, EVP_PKEY *pk) HC_WUR;

#endif
