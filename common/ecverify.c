/* ecverify.c: ES256 verification over a precomputed table per issuer key.
 *
 * OpenSSL's ECDSA verify computes u1*G with its built-in table for the
 * generator but u2*Q with a variable-base method on every call. Here each
 * issuer key gets a copy of the P-256 group whose generator is Q (order n,
 * cofactor 1) with EC_GROUP_precompute_mult, so that u2*Q is a table
 * multiplication too; a block of signatures by one key shares a single
 * modular inversion (Montgomery's trick); x(R) is compared with r in
 * Jacobian form, without an inversion. Only OpenSSL's EC point and BIGNUM
 * API is used; no field arithmetic is written here.
 *
 * The one file where OpenSSL's deprecated EC declarations are allowed
 * (EC_GROUP_precompute_mult, EC_POINT_get_Jprojective_coordinates_GFp):
 * OpenSSL 3 has no replacement for either. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include "crypto_int.h"

struct hc_ectab {
	EC_GROUP *gq; /* P-256 with generator Q and its precomputed table */
};

/* The P-256 group (generator G, OpenSSL's built-in table), its order n
 * and field prime p: fetched once, read only afterwards. */
static EC_GROUP *p256;
static BIGNUM *p256_n, *p256_p;
static pthread_once_t p256_once = PTHREAD_ONCE_INIT;

static void p256_init(void)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *n = BN_new(), *p = BN_new();

	if (!g || !n || !p || !EC_GROUP_get_order(g, n, NULL) ||
	    !EC_GROUP_get_curve(g, p, NULL, NULL, NULL)) {
		EC_GROUP_free(g);
		BN_free(n);
		BN_free(p);
		ERR_clear_error();
		return;
	}
	p256 = g;
	p256_n = n;
	p256_p = p;
}

static bool p256_ready(void)
{
	return pthread_once(&p256_once, p256_init) == 0 && p256;
}

void hc_ectab_free(struct hc_ectab *t)
{
	if (!t)
		return;
	EC_GROUP_free(t->gq);
	free(t);
}

hc_err hc_ectab_new(const struct hc_pubkey *k, struct hc_ectab **out)
{
	struct hc_ectab *t = NULL;
	EC_POINT *q = NULL;
	BIGNUM *x = NULL, *y = NULL;
	BN_CTX *ctx = NULL;
	hc_err err = HC_ERR_NOMEM;

	*out = NULL;
	if (k->alg != HC_ALG_ES256)
		return HC_ERR_ALG; /* the tables are P-256's */
	if (!p256_ready())
		return HC_ERR_CRYPTO;
	if (!(t = calloc(1, sizeof(*t))) || !(ctx = BN_CTX_new()) ||
	    !(x = BN_bin2bn(k->x, 32, NULL)) || !(y = BN_bin2bn(k->y, 32, NULL)) ||
	    !(t->gq = EC_GROUP_dup(p256)) || !(q = EC_POINT_new(t->gq)))
		goto out;
	err = HC_ERR_CRYPTO;
	/* set_affine checks that Q is on the curve; with cofactor 1 and Q not
	 * at infinity, Q generates the whole group of order n. */
	if (!EC_POINT_set_affine_coordinates(t->gq, q, x, y, ctx) ||
	    EC_POINT_is_at_infinity(t->gq, q) ||
	    !EC_GROUP_set_generator(t->gq, q, p256_n, BN_value_one()) ||
	    !EC_GROUP_precompute_mult(t->gq, ctx) || !EC_GROUP_have_precompute_mult(t->gq))
		goto out;
	*out = t;
	t = NULL;
	err = HC_OK;
out:
	ERR_clear_error();
	EC_POINT_free(q);
	BN_free(x);
	BN_free(y);
	BN_CTX_free(ctx);
	hc_ectab_free(t);
	return err;
}

/* Builds of tables: rare, so one lock for all keys. */
static pthread_mutex_t build_mu = PTHREAD_MUTEX_INITIALIZER;

const struct hc_ectab *hc_pubkey_table(const struct hc_pubkey *k)
{
	struct hc_ectab *t;

	if (!k->tab)
		return NULL;
	if ((t = atomic_load_explicit(&k->tab->t, memory_order_acquire)))
		return t;
	pthread_mutex_lock(&build_mu);
	if (!(t = atomic_load_explicit(&k->tab->t, memory_order_relaxed)) && !k->tab->failed) {
		if (hc_ectab_new(k, &t) == HC_OK)
			atomic_store_explicit(&k->tab->t, t, memory_order_release);
		else
			k->tab->failed = true; /* EVP_PKEY_verify then, every time */
	}
	pthread_mutex_unlock(&build_mu);
	return t;
}

/* x(R) = r (mod n) for R in Jacobian coordinates (X, Y, Z), x = X/Z^2:
 * since p < 2n, that is x = r or x = r + n (the latter only if r + n < p),
 * checked as X = r*Z^2 (mod p) without inverting Z. */
static bool x_matches(const EC_POINT *R, const BIGNUM *r, BN_CTX *ctx, bool *ok)
{
	BIGNUM *X, *Z, *z2, *t;
	bool m = false;

	*ok = false;
	BN_CTX_start(ctx);
	X = BN_CTX_get(ctx);
	Z = BN_CTX_get(ctx);
	z2 = BN_CTX_get(ctx);
	if (!(t = BN_CTX_get(ctx)) ||
	    !EC_POINT_get_Jprojective_coordinates_GFp(p256, R, X, NULL, Z, ctx) ||
	    !BN_mod_sqr(z2, Z, p256_p, ctx) || !BN_mod_mul(t, r, z2, p256_p, ctx))
		goto out;
	m = BN_cmp(t, X) == 0;
	if (!m) {
		if (!BN_add(t, r, p256_n))
			goto out;
		if (BN_cmp(t, p256_p) < 0) {
			if (!BN_mod_mul(t, t, z2, p256_p, ctx))
				goto out;
			m = BN_cmp(t, X) == 0;
		}
	}
	*ok = true;
out:
	BN_CTX_end(ctx);
	return m;
}

/* One signature's equation once w = s^-1 mod n is known. */
static hc_err verify_one(const struct hc_ectab *tab, const uint8_t digest[32], const BIGNUM *r,
			 const BIGNUM *w, BN_CTX *ctx, EC_POINT *R, EC_POINT *R2)
{
	BIGNUM *e, *u1, *u2;
	bool ok = false, m = false;

	BN_CTX_start(ctx);
	e = BN_CTX_get(ctx);
	u1 = BN_CTX_get(ctx);
	/* For P-256 and SHA-256 the digest has as many bits as n: e is all of
	 * it (e may exceed n; the products reduce it). */
	if (!(u2 = BN_CTX_get(ctx)) || !BN_bin2bn(digest, 32, e) ||
	    !BN_mod_mul(u1, e, w, p256_n, ctx) || !BN_mod_mul(u2, r, w, p256_n, ctx) ||
	    !EC_POINT_mul(p256, R, u1, NULL, NULL, ctx) ||
	    !EC_POINT_mul(tab->gq, R2, u2, NULL, NULL, ctx) || !EC_POINT_add(p256, R, R, R2, ctx))
		goto out;
	if (EC_POINT_is_at_infinity(p256, R)) {
		ok = true;
		m = false;
	} else {
		m = x_matches(R, r, ctx, &ok);
	}
out:
	BN_CTX_end(ctx);
	if (!ok)
		return HC_ERR_CRYPTO;
	return m ? HC_OK : HC_ERR_BAD_SIG;
}

hc_err hc_ectab_verify(const struct hc_ectab *tab, size_t n, const uint8_t (*digest)[32],
		       const uint8_t (*sig)[HC_SIG_LEN], hc_err *res)
{
	BIGNUM *r[HC_EC_BLOCK], *s[HC_EC_BLOCK], *acc[HC_EC_BLOCK], *inv, *w;
	bool valid[HC_EC_BLOCK];
	size_t prev[HC_EC_BLOCK], last = n; /* prev: the valid one before, or n */
	EC_POINT *R = NULL, *R2 = NULL;
	BN_CTX *ctx = NULL;
	hc_err err = HC_ERR_NOMEM;

	if (n > HC_EC_BLOCK)
		return HC_ERR_INVALID_ARG;
	if (!p256_ready())
		return HC_ERR_CRYPTO;
	if (!(ctx = BN_CTX_new()) || !(R = EC_POINT_new(p256)) || !(R2 = EC_POINT_new(tab->gq)))
		goto out;
	BN_CTX_start(ctx);
	err = HC_ERR_CRYPTO;
	/* r and s in [1, n-1]; acc[i] the product of the valid s up to i. */
	for (size_t i = 0; i < n; i++) {
		r[i] = BN_CTX_get(ctx);
		s[i] = BN_CTX_get(ctx);
		if (!(acc[i] = BN_CTX_get(ctx)) || !BN_bin2bn(sig[i], 32, r[i]) ||
		    !BN_bin2bn(sig[i] + 32, 32, s[i]))
			goto end;
		valid[i] = !BN_is_zero(r[i]) && !BN_is_zero(s[i]) && BN_cmp(r[i], p256_n) < 0 &&
			   BN_cmp(s[i], p256_n) < 0;
		if (!valid[i])
			continue;
		prev[i] = last;
		if (last == n ? !BN_copy(acc[i], s[i])
			      : !BN_mod_mul(acc[i], acc[last], s[i], p256_n, ctx))
			goto end;
		last = i;
	}
	inv = BN_CTX_get(ctx);
	if (!(w = BN_CTX_get(ctx)))
		goto end;
	/* One inversion for the block (n is prime and every s is a unit),
	 * then each w from the back: w_i = inv * acc_prev, inv *= s_i. */
	if (last != n && !BN_mod_inverse(inv, acc[last], p256_n, ctx))
		goto end;
	for (size_t i = n; i-- > 0;) {
		if (!valid[i]) {
			res[i] = HC_ERR_BAD_SIG;
			continue;
		}
		if (prev[i] == n) {
			if (!BN_copy(w, inv))
				goto end;
		} else if (!BN_mod_mul(w, inv, acc[prev[i]], p256_n, ctx) ||
			   !BN_mod_mul(inv, inv, s[i], p256_n, ctx)) {
			goto end;
		}
		if ((res[i] = verify_one(tab, digest[i], r[i], w, ctx, R, R2)) == HC_ERR_CRYPTO)
			goto end;
	}
	err = HC_OK;
end:
	BN_CTX_end(ctx);
out:
	ERR_clear_error();
	EC_POINT_free(R);
	EC_POINT_free(R2);
	BN_CTX_free(ctx);
	return err;
}
