/* ecverify.c: ES256 and SM2 verification over a precomputed table per
 * issuer key.
 *
 * OpenSSL's ECDSA verify computes u1*G with its built-in table for the
 * generator but u2*Q with a variable-base method on every call; its SM2
 * verify (OpenSSL 3.0 has no SM2 table at all) computes s*G + t*Q with a
 * variable-base method for both. ES256 here: each issuer key gets a copy
 * of P-256 whose generator is Q (order n, cofactor 1) with
 * EC_GROUP_precompute_mult, so that u2*Q is a table multiplication too,
 * and a block of signatures by one key shares a single modular inversion
 * (Montgomery's trick). SM2: s*G and t*Q by fixed-base combs of affine
 * points (below), one for G and one per key, and no inversion at all. In
 * both, x(R) is compared in Jacobian form, without an inversion. Only
 * OpenSSL's EC point and BIGNUM API is used; no field arithmetic is
 * written here.
 *
 * The one file where OpenSSL's deprecated EC declarations are allowed
 * (EC_GROUP_precompute_mult, EC_POINT_get_Jprojective_coordinates_GFp,
 * EC_POINTs_make_affine): OpenSSL 3 has no replacement for them. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include "crypto_int.h"

/* A curve, its order n and field prime p: P-256 (with OpenSSL's built-in
 * table for G) or SM2 (OpenSSL 3.0 has none: the comb below). Fetched
 * once, read only afterwards. */
struct curve {
	EC_GROUP *g;
	BIGNUM *n, *p;
	BN_MONT_CTX *mn, *mp; /* Montgomery multiplication mod n and mod p */
};

struct comb {
	EC_POINT **pt; /* win * d */
	unsigned bits;
	size_t win, d;
};

struct hc_ectab {
	enum hc_alg alg;
	const struct curve *c;
	EC_GROUP *gq; /* the curve with generator Q and (ES256) its precomputed table */
	struct comb cq; /* SM2: Q's comb */
};

static struct curve p256, sm2;
static pthread_once_t p256_once = PTHREAD_ONCE_INIT, sm2_once = PTHREAD_ONCE_INIT;

/* SM2 by fixed-base combs: comb[j][d - 1] = d * 2^(bits j) * P in
 * affine form, so that k*P is the sum of one point per nonzero bits-wide
 * digit of k: no doubling, no inversion. One for G (6-bit digits, 2,709
 * points, under 1 MB, built once per process) and one per key for Q
 * (5-bit digits, 1,612 points, about 0.5 MB, built in a few ms).
 * OpenSSL's own tables (EC_GROUP_precompute_mult) serve only a lone
 * generator scalar, through a windowed method that makes one point affine
 * per call (a field inversion) and doubles eight times. Measured with
 * callgrind, instructions per signature: 1.41M with OpenSSL's tables for
 * G and Q, 1.12M with the comb for G and OpenSSL's table for Q, 0.8M
 * with both combs (EVP_DigestVerify: 4.2M). */
static struct comb sm2_comb; /* G's, read only once built */

static void comb_free(struct comb *c)
{
	for (size_t i = 0; c->pt && i < c->win * c->d; i++)
		EC_POINT_free(c->pt[i]);
	free(c->pt);
	c->pt = NULL;
}

static bool comb_new(const EC_GROUP *g, const EC_POINT *p, unsigned bits, struct comb *c)
{
	EC_POINT *base = EC_POINT_dup(p, g);
	BN_CTX *ctx = BN_CTX_new();
	bool ok;

	c->bits = bits;
	c->win = (256 + bits - 1) / bits;
	c->d = ((size_t)1 << bits) - 1;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	c->pt = calloc(c->win * c->d, sizeof(*c->pt));
	ok = c->pt && base && ctx;
	/* row j: base, 2 base, ..., d base, with base = 2^(bits j) P */
	for (size_t j = 0; ok && j < c->win; j++) {
		EC_POINT **row = c->pt + j * c->d;

		ok = (row[0] = EC_POINT_dup(base, g)) != NULL;
		for (size_t d = 1; ok && d < c->d; d++)
			ok = (row[d] = EC_POINT_new(g)) && EC_POINT_add(g, row[d], row[d - 1], base, ctx);
		ok = ok && EC_POINT_add(g, base, row[c->d - 1], base, ctx);
	}
	/* one inversion for all of them (Montgomery's trick inside) */
	ok = ok && EC_POINTs_make_affine(g, c->win * c->d, c->pt, ctx);
	EC_POINT_free(base);
	BN_CTX_free(ctx);
	if (!ok)
		comb_free(c);
	return ok;
}

/* R = k*P by P's comb, k in [1, n-1]. */
static bool comb_mul(const EC_GROUP *g, const struct comb *c, const BIGNUM *k, EC_POINT *R,
		     BN_CTX *ctx)
{
	uint8_t b[32];
	bool first = true;

	if (BN_bn2binpad(k, b, 32) != 32)
		return false;
	for (size_t j = 0; j < c->win; j++) {
		const EC_POINT *p;
		size_t d = 0;

		/* the digit: bits j*bits and up of k (b is big-endian) */
		for (size_t i = 0, bit = j * c->bits; i < c->bits && bit < 256; i++, bit++)
			d |= (size_t)((b[31 - bit / 8] >> (bit % 8)) & 1) << i;
		if (!d)
			continue;
		p = c->pt[j * c->d + d - 1];
		if (first ? !EC_POINT_copy(R, p) : !EC_POINT_add(g, R, R, p, ctx))
			return false;
		first = false;
	}
	return !first; /* k is not 0 */
}

static void curve_init(struct curve *c, int nid)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(nid);
	BIGNUM *n = BN_new(), *p = BN_new();
	BN_MONT_CTX *mn = BN_MONT_CTX_new(), *mp = BN_MONT_CTX_new();
	BN_CTX *ctx = BN_CTX_new();

	if (!g || !n || !p || !mn || !mp || !ctx || !EC_GROUP_get_order(g, n, NULL) ||
	    !EC_GROUP_get_curve(g, p, NULL, NULL, NULL) || !BN_MONT_CTX_set(mn, n, ctx) ||
	    !BN_MONT_CTX_set(mp, p, ctx)) {
		EC_GROUP_free(g);
		BN_free(n);
		BN_free(p);
		BN_MONT_CTX_free(mn);
		BN_MONT_CTX_free(mp);
		BN_CTX_free(ctx);
		ERR_clear_error();
		return;
	}
	BN_CTX_free(ctx);
	c->g = g;
	c->n = n;
	c->p = p;
	c->mn = mn;
	c->mp = mp;
}

static void p256_init(void)
{
	curve_init(&p256, NID_X9_62_prime256v1);
}

static void sm2_init(void)
{
	curve_init(&sm2, NID_sm2);
	if (sm2.g && !comb_new(sm2.g, EC_GROUP_get0_generator(sm2.g), 6, &sm2_comb)) {
		EC_GROUP_free(sm2.g);
		BN_free(sm2.n);
		BN_free(sm2.p);
		BN_MONT_CTX_free(sm2.mn);
		BN_MONT_CTX_free(sm2.mp);
		memset(&sm2, 0, sizeof(sm2));
	}
	ERR_clear_error();
}

/* The curve of a, or NULL when it could not be set up. */
static const struct curve *curve_of(enum hc_alg a)
{
	if (a == HC_ALG_SM2)
		return pthread_once(&sm2_once, sm2_init) == 0 && sm2.g ? &sm2 : NULL;
	return pthread_once(&p256_once, p256_init) == 0 && p256.g ? &p256 : NULL;
}

void hc_ectab_free(struct hc_ectab *t)
{
	if (!t)
		return;
	EC_GROUP_free(t->gq);
	comb_free(&t->cq);
	free(t);
}

hc_err hc_ectab_new(const struct hc_pubkey *k, struct hc_ectab **out)
{
	const struct curve *c;
	struct hc_ectab *t = NULL;
	EC_POINT *q = NULL;
	BIGNUM *x = NULL, *y = NULL;
	BN_CTX *ctx = NULL;
	hc_err err = HC_ERR_NOMEM;

	*out = NULL;
	if (k->alg != HC_ALG_ES256 && k->alg != HC_ALG_SM2)
		return HC_ERR_ALG;
	if (!(c = curve_of(k->alg)))
		return HC_ERR_CRYPTO;
	if (!(t = calloc(1, sizeof(*t))) || !(ctx = BN_CTX_new()) ||
	    !(x = BN_bin2bn(k->x, 32, NULL)) || !(y = BN_bin2bn(k->y, 32, NULL)) ||
	    !(t->gq = EC_GROUP_dup(c->g)) || !(q = EC_POINT_new(t->gq)))
		goto out;
	t->alg = k->alg;
	t->c = c;
	err = HC_ERR_CRYPTO;
	/* set_affine checks that Q is on the curve; with cofactor 1 (both
	 * curves) and Q not at infinity, Q generates the whole group of
	 * order n. */
	if (!EC_POINT_set_affine_coordinates(t->gq, q, x, y, ctx) ||
	    EC_POINT_is_at_infinity(t->gq, q) ||
	    !EC_GROUP_set_generator(t->gq, q, c->n, BN_value_one()))
		goto out;
	if (k->alg == HC_ALG_SM2 ? !comb_new(t->gq, q, 5, &t->cq)
				 : !EC_GROUP_precompute_mult(t->gq, ctx) ||
					   !EC_GROUP_have_precompute_mult(t->gq))
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

const struct hc_ectab *hc__pubkey_table_built(const struct hc_pubkey *k)
{
	return k->tab ? atomic_load_explicit(&k->tab->t, memory_order_acquire) : NULL;
}

/* The verifications' BN_CTX and their two points, one set per thread and
 * kept: the BIGNUMs stay allocated from one call to the next (a BN_CTX
 * made and freed per call was some 8k of a verification's 400k
 * instructions, most of it malloc and free: callgrind), and so do the
 * points R and R2 (EC_POINT_new and EC_POINT_free of two points per
 * call: 3.9k of a verification's instructions less by callgrind). A point is kept per curve (R on the curve's
 * group, R2 made on the first key's group gq of that curve): a point
 * refers to no group of its own (its method and curve name only, and
 * every gq is a copy of its curve's group), so a key's table freed and
 * another built leave it usable with the new one; EC_POINT_mul writes
 * all of it. Freed when their thread ends; a thread that cannot keep
 * them makes its own per call. Nothing secret passes through them (a
 * verification's inputs are public). */
struct vthread {
	BN_CTX *ctx;
	EC_POINT *R[2], *R2[2]; /* [0] P-256, [1] SM2 */
};

static void vthread_free(void *p)
{
	struct vthread *v = p;

	for (size_t i = 0; i < 2; i++) {
		EC_POINT_free(v->R[i]);
		EC_POINT_free(v->R2[i]);
	}
	BN_CTX_free(v->ctx);
	free(v);
}

static struct hc_thread_blocks vthreads = HC_THREAD_BLOCKS(struct vthread, vthread_free);

/* A verification's BN_CTX and points R (on tab's curve) and R2 (on
 * tab->gq): the thread's, or new ones that the caller frees with
 * own_free (*own). */
static bool thread_state(const struct hc_ectab *tab, BN_CTX **ctx, EC_POINT **R, EC_POINT **R2,
			 bool *own)
{
	struct vthread *v = hc_thread_block(&vthreads);
	size_t i = tab->alg == HC_ALG_SM2;

	*own = false;
	if (v && (v->ctx || (v->ctx = BN_CTX_new())) &&
	    (v->R[i] || (v->R[i] = EC_POINT_new(tab->c->g))) &&
	    (v->R2[i] || (v->R2[i] = EC_POINT_new(tab->gq)))) {
		*ctx = v->ctx;
		*R = v->R[i];
		*R2 = v->R2[i];
		return true;
	}
	*own = true;
	*R = *R2 = NULL;
	return (*ctx = BN_CTX_new()) && (*R = EC_POINT_new(tab->c->g)) &&
	       (*R2 = EC_POINT_new(tab->gq));
}

/* What thread_state made for this call alone (own), freed. */
static void own_free(bool own, BN_CTX *ctx, EC_POINT *R, EC_POINT *R2)
{
	if (!own)
		return;
	EC_POINT_free(R);
	EC_POINT_free(R2);
	BN_CTX_free(ctx);
}

/* x(R) = v (mod n), v in [0, n-1], for R in Jacobian coordinates
 * (X, Y, Z), x = X/Z^2: since p < 2n on both curves, that is x = v or
 * x = v + n (the latter only if v + n < p), checked as X = v*Z^2 (mod p)
 * without inverting Z. The products are Montgomery's (BN_MONT_CTX):
 * with Zm = Z*R, Zm (x) Zm = Z^2*R, and v (x) Z^2*R = v*Z^2, where
 * a (x) b = a*b/R mod p; every operand is below p, every result too. */
static bool x_matches(const struct curve *c, const EC_POINT *R, const BIGNUM *v, BN_CTX *ctx,
		      bool *ok)
{
	BIGNUM *X, *Z, *z2, *t;
	bool m = false;

	*ok = false;
	BN_CTX_start(ctx);
	X = BN_CTX_get(ctx);
	Z = BN_CTX_get(ctx);
	z2 = BN_CTX_get(ctx);
	if (!(t = BN_CTX_get(ctx)) ||
	    !EC_POINT_get_Jprojective_coordinates_GFp(c->g, R, X, NULL, Z, ctx) ||
	    !BN_to_montgomery(Z, Z, c->mp, ctx) || !BN_mod_mul_montgomery(z2, Z, Z, c->mp, ctx) ||
	    !BN_mod_mul_montgomery(t, v, z2, c->mp, ctx))
		goto out;
	m = BN_cmp(t, X) == 0;
	if (!m) {
		if (!BN_add(t, v, c->n))
			goto out;
		if (BN_cmp(t, c->p) < 0) {
			if (!BN_mod_mul_montgomery(t, t, z2, c->mp, ctx))
				goto out;
			m = BN_cmp(t, X) == 0;
		}
	}
	*ok = true;
out:
	BN_CTX_end(ctx);
	return m;
}

/* ES256: R = a*G + b*Q by the two tables (P-256's own method uses them). */
static bool mul2(const struct hc_ectab *tab, const BIGNUM *a, const BIGNUM *b, EC_POINT *R,
		 EC_POINT *R2, BN_CTX *ctx)
{
	return EC_POINT_mul(tab->c->g, R, a, NULL, NULL, ctx) &&
	       EC_POINT_mul(tab->gq, R2, b, NULL, NULL, ctx) && EC_POINT_add(tab->c->g, R, R, R2, ctx);
}

/* SM2: R = a*G + b*Q by the two combs. */
static bool mul2_sm2(const struct hc_ectab *tab, const BIGNUM *a, const BIGNUM *b, EC_POINT *R,
		     EC_POINT *R2, BN_CTX *ctx)
{
	return comb_mul(tab->c->g, &sm2_comb, a, R, ctx) && comb_mul(tab->c->g, &tab->cq, b, R2, ctx) &&
	       EC_POINT_add(tab->c->g, R, R, R2, ctx);
}

/* One ES256 signature's equation once wm = s^-1 * R mod n (Montgomery
 * form) is known: u1 = e (x) wm = e/s, u2 = r (x) wm = r/s. */
static hc_err verify_one(const struct hc_ectab *tab, const uint8_t digest[32], const BIGNUM *r,
			 const BIGNUM *wm, BN_CTX *ctx, EC_POINT *R, EC_POINT *R2)
{
	const BIGNUM *n = tab->c->n;
	BIGNUM *e, *u1, *u2;
	bool ok = false, m = false;

	BN_CTX_start(ctx);
	e = BN_CTX_get(ctx);
	u1 = BN_CTX_get(ctx);
	/* For P-256 and SHA-256 the digest has as many bits as n: e is all of
	 * it. e < 2^256 < 2n, so one subtraction brings it below n, as a
	 * Montgomery product's operands must be. */
	if (!(u2 = BN_CTX_get(ctx)) || !BN_bin2bn(digest, 32, e) ||
	    (BN_cmp(e, n) >= 0 && !BN_usub(e, e, n)) ||
	    !BN_mod_mul_montgomery(u1, e, wm, tab->c->mn, ctx) ||
	    !BN_mod_mul_montgomery(u2, r, wm, tab->c->mn, ctx) || !mul2(tab, u1, u2, R, R2, ctx))
		goto out;
	if (EC_POINT_is_at_infinity(tab->c->g, R)) {
		ok = true;
		m = false;
	} else {
		m = x_matches(tab->c, R, r, ctx, &ok);
	}
out:
	BN_CTX_end(ctx);
	if (!ok)
		return HC_ERR_CRYPTO;
	return m ? HC_OK : HC_ERR_BAD_SIG;
}

/* One SM2 signature (GB/T 32918.2 verification) over e = SM3(Z || M):
 * r and s in [1, n-1], t = r + s mod n not 0, (x1, y1) = s*G + t*Q not
 * at infinity, and (e + x1) mod n = r, that is x1 = r - e (mod n),
 * compared in Jacobian form. No inversion at all. */
static hc_err verify_sm2(const struct hc_ectab *tab, const uint8_t e32[32],
			 const uint8_t sig[HC_SIG_LEN], BN_CTX *ctx, EC_POINT *R, EC_POINT *R2)
{
	const BIGNUM *n = tab->c->n;
	BIGNUM *r, *s, *t, *e;
	bool ok = false, m = false;

	BN_CTX_start(ctx);
	r = BN_CTX_get(ctx);
	s = BN_CTX_get(ctx);
	t = BN_CTX_get(ctx);
	if (!(e = BN_CTX_get(ctx)) || !BN_bin2bn(sig, 32, r) || !BN_bin2bn(sig + 32, 32, s) ||
	    !BN_bin2bn(e32, 32, e))
		goto out;
	if (BN_is_zero(r) || BN_is_zero(s) || BN_cmp(r, n) >= 0 || BN_cmp(s, n) >= 0) {
		ok = true;
		goto out;
	}
	if (!BN_mod_add(t, r, s, n, ctx))
		goto out;
	if (BN_is_zero(t)) {
		ok = true;
		goto out;
	}
	if (!mul2_sm2(tab, s, t, R, R2, ctx))
		goto out;
	if (EC_POINT_is_at_infinity(tab->c->g, R)) {
		ok = true;
		goto out;
	}
	/* e may exceed n: BN_mod_sub reduces the difference into [0, n-1]. */
	if (!BN_mod_sub(t, r, e, n, ctx))
		goto out;
	m = x_matches(tab->c, R, t, ctx, &ok);
out:
	BN_CTX_end(ctx);
	if (!ok)
		return HC_ERR_CRYPTO;
	return m ? HC_OK : HC_ERR_BAD_SIG;
}

static hc_err sm2_block(const struct hc_ectab *tab, size_t n, const uint8_t (*digest)[32],
			const uint8_t (*sig)[HC_SIG_LEN], hc_err *res)
{
	EC_POINT *R = NULL, *R2 = NULL;
	BN_CTX *ctx = NULL;
	bool own = false;
	hc_err err = HC_ERR_NOMEM;

	if (!thread_state(tab, &ctx, &R, &R2, &own))
		goto out;
	err = HC_OK;
	for (size_t i = 0; i < n && err == HC_OK; i++)
		if ((res[i] = verify_sm2(tab, digest[i], sig[i], ctx, R, R2)) == HC_ERR_CRYPTO)
			err = HC_ERR_CRYPTO;
out:
	ERR_clear_error();
	own_free(own, ctx, R, R2);
	return err;
}

hc_err hc_ectab_verify(const struct hc_ectab *tab, size_t n, const uint8_t (*digest)[32],
		       const uint8_t (*sig)[HC_SIG_LEN], hc_err *res)
{
	BIGNUM *r[HC_EC_BLOCK], *s[HC_EC_BLOCK], *acc[HC_EC_BLOCK], *inv, *w;
	const BIGNUM *order = tab->c->n;
	bool valid[HC_EC_BLOCK];
	size_t prev[HC_EC_BLOCK], last = n; /* prev: the valid one before, or n */
	EC_POINT *R = NULL, *R2 = NULL;
	BN_CTX *ctx = NULL;
	bool own = false;
	hc_err err = HC_ERR_NOMEM;

	if (n > HC_EC_BLOCK)
		return HC_ERR_INVALID_ARG;
	if (tab->alg == HC_ALG_SM2)
		return sm2_block(tab, n, digest, sig, res);
	if (!thread_state(tab, &ctx, &R, &R2, &own))
		goto out;
	BN_CTX_start(ctx);
	err = HC_ERR_CRYPTO;
	/* r and s in [1, n-1]; s[i] then in Montgomery form (s*R mod n) and
	 * acc[i] the product of the valid s up to i, in that form too
	 * (a (x) b = a*b/R mod n, BN_mod_mul_montgomery). */
	for (size_t i = 0; i < n; i++) {
		r[i] = BN_CTX_get(ctx);
		s[i] = BN_CTX_get(ctx);
		if (!(acc[i] = BN_CTX_get(ctx)) || !BN_bin2bn(sig[i], 32, r[i]) ||
		    !BN_bin2bn(sig[i] + 32, 32, s[i]))
			goto end;
		valid[i] = !BN_is_zero(r[i]) && !BN_is_zero(s[i]) && BN_cmp(r[i], order) < 0 &&
			   BN_cmp(s[i], order) < 0;
		if (!valid[i])
			continue;
		prev[i] = last;
		if (!BN_to_montgomery(s[i], s[i], tab->c->mn, ctx) ||
		    (last == n ? !BN_copy(acc[i], s[i])
			       : !BN_mod_mul_montgomery(acc[i], acc[last], s[i], tab->c->mn, ctx)))
			goto end;
		last = i;
	}
	inv = BN_CTX_get(ctx);
	if (!(w = BN_CTX_get(ctx)))
		goto end;
	/* One inversion for the block (n is prime and every s is a unit), of
	 * the plain product, back to Montgomery form: inv = R / prod. Then
	 * each w from the back: w_i = inv (x) acc_prev = R / s_i, and
	 * inv (x)= s_i. */
	/* (BN_mod_inverse's binary method: 158k instructions by callgrind;
	 * Fermat's a^(n-2) by BN_mod_exp_mont 177k, by its constant-time
	 * variant 215k.) */
	if (last != n &&
	    (!BN_from_montgomery(inv, acc[last], tab->c->mn, ctx) ||
	     !BN_mod_inverse(inv, inv, order, ctx) || !BN_to_montgomery(inv, inv, tab->c->mn, ctx)))
		goto end;
	for (size_t i = n; i-- > 0;) {
		if (!valid[i]) {
			res[i] = HC_ERR_BAD_SIG;
			continue;
		}
		if (prev[i] == n) {
			if (!BN_copy(w, inv))
				goto end;
		} else if (!BN_mod_mul_montgomery(w, inv, acc[prev[i]], tab->c->mn, ctx) ||
			   !BN_mod_mul_montgomery(inv, inv, s[i], tab->c->mn, ctx)) {
			goto end;
		}
		if ((res[i] = verify_one(tab, digest[i], r[i], w, ctx, R, R2)) == HC_ERR_CRYPTO)
			goto end;
	}
	err = HC_OK;
end:
	BN_CTX_end(ctx);
out:
	hc__err_clear();
	own_free(own, ctx, R, R2);
	return err;
}
