/* batch.c: verification at batch speed: per-thread OpenSSL contexts and a
 * shared cache of signature results keyed by the token's bytes, with the
 * time, revocation and requirement checks applied per record. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "trust_int.h"

struct hc_vctx {
	const struct hc_trust *t;
	struct hc_verctx **kctx; /* by trust_key.idx */
};

hc_err hc_vctx_new(const struct hc_trust *t, struct hc_vctx **out)
{
	struct hc_vctx *v;

	*out = NULL;
	if (!(v = calloc(1, sizeof(*v))))
		return HC_ERR_NOMEM;
	v->t = t;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): kctx is an array of pointers */
	if (t->list.nkeys && !(v->kctx = calloc(t->list.nkeys, sizeof(*v->kctx)))) {
		free(v);
		return HC_ERR_NOMEM;
	}
	*out = v;
	return HC_OK;
}

void hc_vctx_free(struct hc_vctx *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->t->list.nkeys; i++)
		hc_verctx_free(v->kctx[i]);
	free(v->kctx);
	free(v);
}

/* The cache: 4-way set associative, fixed size, one lock per set group.
 * A key is the SHA-256 of the whole token (signature included, so the
 * same header and payload with another signature is another entry); the
 * value is the outcome of steps 2 to 5: the brief of a verified code, or
 * a failure's detail, so that a repeat gives the same result as the first
 * sight (a failure whose detail does not fit is not cached). */
#define WAYS 4
#define LOCKS 256
#define DETAIL_CAP sizeof(struct hc_brief) /* a failure's detail shares its room */

struct entry {
	uint8_t key[32];
	bool used;
	hc_err err; /* of steps 2-5 */
	union {
		struct hc_brief b;       /* when err is HC_OK */
		char detail[DETAIL_CAP]; /* otherwise */
	} u;
};

struct hc_sigcache {
	struct entry *e;
	size_t sets;
	unsigned *next; /* per set: the way to replace next */
	pthread_mutex_t lock[LOCKS];
	uint64_t hits, misses;
};

hc_err hc_sigcache_new(size_t entries, struct hc_sigcache **out)
{
	struct hc_sigcache *c;
	size_t sets = 1;

	*out = NULL;
	while (sets * WAYS < entries && sets < ((size_t)1 << 24))
		sets <<= 1;
	if (!(c = calloc(1, sizeof(*c))))
		return HC_ERR_NOMEM;
	c->sets = sets;
	if (!(c->e = calloc(sets * WAYS, sizeof(*c->e))) ||
	    !(c->next = calloc(sets, sizeof(*c->next)))) {
		free(c->e);
		free(c);
		return HC_ERR_NOMEM;
	}
	for (size_t i = 0; i < LOCKS; i++)
		pthread_mutex_init(&c->lock[i], NULL);
	*out = c;
	return HC_OK;
}

void hc_sigcache_free(struct hc_sigcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < LOCKS; i++)
		pthread_mutex_destroy(&c->lock[i]);
	free(c->e);
	free(c->next);
	free(c);
}

uint64_t hc_sigcache_hits(const struct hc_sigcache *c)
{
	return c ? c->hits : 0;
}

static size_t set_of(const struct hc_sigcache *c, const uint8_t digest[32])
{
	uint64_t h;

	memcpy(&h, digest, sizeof(h)); /* SHA-256 output: already uniform */
	return (size_t)(h & (c->sets - 1));
}

static bool cache_get(struct hc_sigcache *c, const uint8_t digest[32], hc_err *err,
		      struct hc_brief *b)
{
	size_t s = set_of(c, digest);
	pthread_mutex_t *l = &c->lock[s % LOCKS];
	bool hit = false;

	pthread_mutex_lock(l);
	for (size_t w = 0; w < WAYS; w++) {
		const struct entry *e = &c->e[s * WAYS + w];

		if (e->used && memcmp(e->key, digest, 32) == 0) {
			*err = e->err;
			if (e->err == HC_OK)
				*b = e->u.b;
			else
				hc_set_detail("%s", e->u.detail);
			hit = true;
			break;
		}
	}
	if (hit)
		c->hits++;
	else
		c->misses++;
	pthread_mutex_unlock(l);
	return hit;
}

static void cache_put(struct hc_sigcache *c, const uint8_t digest[32], hc_err err,
		      const struct hc_brief *b)
{
	size_t s = set_of(c, digest);
	pthread_mutex_t *l = &c->lock[s % LOCKS];
	struct entry *e;

	pthread_mutex_lock(l);
	e = &c->e[s * WAYS + c->next[s]];
	c->next[s] = (c->next[s] + 1) % WAYS;
	memcpy(e->key, digest, 32);
	e->err = err;
	if (err == HC_OK)
		e->u.b = *b;
	else
		memcpy(e->u.detail, hc_detail(), strlen(hc_detail()) + 1);
	e->used = true;
	pthread_mutex_unlock(l);
}

/* The cache key of a token with a digest of its "header.payload":
 * SHA-256(digest || the token from its second dot on). */
static bool cache_key(const uint8_t digest[32], const char *d2, size_t rest, uint8_t key[32])
{
	uint8_t buf[32 + HC_MAX_QR_TEXT / 2];

	if (rest > sizeof(buf) - 32)
		return false;
	memcpy(buf, digest, 32);
	memcpy(buf + 32, d2, rest);
	return hc_sha256(buf, 32 + rest, key) == HC_OK;
}

hc_err hc_verify_qr_batch(const struct hc_trust *t, struct hc_vctx *v, struct hc_sigcache *c,
			  const char *text, size_t n, const struct hc_verify_opts *o,
			  struct hc_bresult *r)
{
	char tok[HC_MAX_QR_TEXT / 2 + 1], kid[HC_KID_LEN + 1];
	const struct trust_issuer *is = NULL;
	const char *d1, *d2 = NULL;
	uint8_t digest[32], key[32];
	struct hc_claims claims;
	struct hc_brief b;
	bool have_digest = false;
	size_t tl;
	hc_err err;

	memset(r, 0, sizeof(*r));
	r->issuer = -1;
	r->stale = hc_trust_stale(t, o);
	hc_set_detail(NULL);
	/* Step 1, then the cache key. The signature check needs the SHA-256
	 * of "header.payload" anyway: the key is the SHA-256 of that digest
	 * and the rest of the token (".signature"), which names the token's
	 * bytes as well as hashing all of them would, for two blocks instead
	 * of a dozen. A token without two dots is not cached (it fails at
	 * once). */
	if ((err = hc_qr_decode(HC_QR_PREFIX, text, n, tok, sizeof(tok), &tl)) != HC_OK)
		goto out;
	if ((d1 = memchr(tok, '.', tl)) && (d2 = memchr(d1 + 1, '.', tl - (size_t)(d1 + 1 - tok))) &&
	    hc_sha256((const uint8_t *)tok, (size_t)(d2 - tok), digest) == HC_OK)
		have_digest = true;
	if (!have_digest || !cache_key(digest, d2, tl - (size_t)(d2 - tok), key))
		c = NULL;
	if (!c || !cache_get(c, key, &err, &b)) {
		err = hc__steps15(t, tok, tl, have_digest ? digest : NULL,
				  have_digest ? v->kctx : NULL, &claims, kid, &is);
		if (err == HC_OK)
			err = hc__brief(&claims, is, &b);
		if (err == HC_OK)
			hc_set_detail(NULL); /* as after a hit: steps 6 to 8 set their own */
		else
			memset(&b, 0, sizeof(b));
		/* Only outcomes fixed by the token's bytes and the trust data
		 * are cached; a resource failure is retried next time, and so
		 * is a failure whose detail an entry cannot hold. */
		if (c && err != HC_ERR_NOMEM && err != HC_ERR_CRYPTO &&
		    (err == HC_OK || strlen(hc_detail()) < DETAIL_CAP))
			cache_put(c, key, err, &b);
	} else {
		r->cached = true;
	}
	if (err != HC_OK)
		goto out;
	r->verified = true;
	r->st = b.st;
	r->issuer = (int)(b.is - t->list.issuers);
	err = hc__steps68(t, &b, o, r->stale);
out:
	r->err = err;
	return err;
}

const char *hc_trust_issuer_iss(const struct hc_trust *t, size_t i)
{
	return t->list.issuers[i].iss;
}

const char *hc_trust_issuer_region(const struct hc_trust *t, size_t i)
{
	return t->list.issuers[i].region;
}
