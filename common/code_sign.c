/* code_sign.c: signs a health code's claims and checks the result before
 * it is handed out (hc-issue and hc-issued share it). */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hc_sign.h"
#include "hc_token.h"

/* A code's jti: 16 random bytes from RAND_bytes, drawn 32 jtis at a time
 * per thread, as the service's request ids are (issuer/http.c): a call of
 * RAND_bytes costs OpenSSL's fork check (a getpid system call) and its
 * DRBG's update, 1.5 us for 16 bytes as for 512 on this machine. The
 * bytes are the same DRBG's output, each used once; a jti is public in
 * its code, no secret. A child of fork(2) would inherit its parent's
 * pool, and the two would hand out the same jtis: the child's copy (its
 * one thread, the one that forked) is emptied in the child. */
static _Thread_local uint8_t jti_pool[32 * 16];
static _Thread_local size_t jti_used = sizeof(jti_pool);
static pthread_once_t jti_once = PTHREAD_ONCE_INIT;
static bool jti_pooled; /* the handler is registered: the pool may be used */

static void jti_forked(void)
{
	jti_used = sizeof(jti_pool);
}

static void jti_init(void)
{
	jti_pooled = pthread_atfork(NULL, NULL, jti_forked) == 0;
}

static hc_err new_jti(uint8_t jti[16])
{
	uint8_t *pool = jti_pool;
	hc_err err;

	if (pthread_once(&jti_once, jti_init) != 0 || !jti_pooled)
		return hc_random(jti, 16);
	if (jti_used == sizeof(jti_pool)) {
		if ((err = hc_random(pool, sizeof(jti_pool))) != HC_OK)
			return err;
		jti_used = 0;
	}
	memcpy(jti, pool + jti_used, 16);
	jti_used += 16;
	return HC_OK;
}

hc_err hc_code_sign(struct hc_privkey *k, const struct hc_pubkey *pub, struct hc_claims *c,
		    char **jws)
{
	struct hc_claims back;
	struct hc_jws j;
	uint8_t jti[16];
	char *claims = NULL;
	size_t cap;
	hc_err err;

	if (!jws)
		return HC_ERR_INVALID_ARG;
	*jws = NULL;
	if (!k || !pub || !c)
		return HC_ERR_INVALID_ARG;
	memset(&j, 0, sizeof(j));
	if ((err = new_jti(jti)) != HC_OK ||
	    (err = hc_b64u_encode(jti, sizeof(jti), c->jti, sizeof(c->jti))) != HC_OK ||
	    (err = hc_claims_json(c, &claims)) != HC_OK ||
	    (err = hc_jws_sign(k, true, (const uint8_t *)claims, strlen(claims), jws)) != HC_OK)
		goto out;
	/* Verify what was signed before handing it out (by the key's table
	 * when the caller had it built: hc-issued does at start). The payload
	 * must inflate to the claims signed, so the inflater needs room for
	 * them only, plus the 258 bytes zlib's fast decoder wants free (with
	 * room for just the claims it takes its slow path: 6k instructions
	 * more a code by callgrind), within HC_MAX_INFLATED (every verifier's
	 * cap): a small allocation, not one of HC_MAX_INFLATED per code, which
	 * made glibc consolidate its free chunks each time. */
	cap = strlen(claims) + 258;
	if (cap > HC_MAX_INFLATED)
		cap = HC_MAX_INFLATED;
	if ((err = hc_jws_parse(*jws, strlen(*jws), HC_MAX_TOKEN, true, cap, &j)) != HC_OK ||
	    (err = hc_jws_verify_tab(&j, *jws, pub)) != HC_OK ||
	    (err = hc_claims_parse((const char *)j.payload, j.payload_len, &back)) != HC_OK)
		goto out;
	if (j.payload_len != strlen(claims) || memcmp(j.payload, claims, j.payload_len) != 0 ||
	    back.st != c->st || back.exp != c->exp || strcmp(back.jti, c->jti) != 0) {
		hc_set_detail("the signed code does not read back as signed");
		err = HC_ERR_CRYPTO;
	}
out:
	if (err != HC_OK) {
		free(*jws);
		*jws = NULL;
	}
	hc_jws_clear(&j);
	free(claims);
	return err;
}
