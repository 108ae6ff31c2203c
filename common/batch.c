/* batch.c: verification at batch speed: per-thread OpenSSL contexts and a
 * shared cache of signature results keyed by the token's bytes, with the
 * time, revocation and requirement checks applied per record. */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <openssl/evp.h>

#include "foreign_int.h"
#include "trust_int.h"

#define SEEN ((size_t)2 * HC_BATCH_MAX) /* slots of hc_vctx.seen */

/* A record between hc_batch_start and hc_batch_finish. */
struct pend {
	hc_err err;       /* of steps 1 to 5 so far */
	bool sig_pending; /* steps 2 to 4 passed: the signature is left */
	bool cached;      /* the outcome came from the cache */
	bool have_key;    /* key below is the record's cache key */
	bool stale;
	size_t same; /* a record earlier in the run with the same token, or SIZE_MAX */
	const struct trust_key *k;
	uint8_t key[32], digest[32], sig[HC_SIG_LEN];
	hc_err brief_err; /* of hc__brief, for when the signature verifies */
	struct hc_brief b;
	char detail[160]; /* hc_detail() as steps 1 to 4 left it */
};

struct hc_vctx {
	const struct hc_trust *t;
	struct hc_verctx **kctx; /* by trust_key.idx */
	bool evp;                /* hc_vctx_evp: EVP_PKEY_verify, one by one */
	struct pend *pend;       /* HC_BATCH_MAX, allocated on first use */
	size_t npend;
	/* The run's cache keys: an open-addressed table of slot + 1 (0:
	 * empty), so that a repeat within a run is verified once. */
	uint16_t seen[SEEN];
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

void hc_vctx_evp(struct hc_vctx *v, bool evp)
{
	v->evp = evp;
}

void hc_vctx_free(struct hc_vctx *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->t->list.nkeys; i++)
		hc_verctx_free(v->kctx[i]);
	free(v->kctx);
	free(v->pend);
	free(v);
}

/* The cache: 4-way set associative, fixed size, one lock per set group.
 * A key is the SHA-256 of the whole token (signature included, so the
 * same header and payload with another signature is another entry); the
 * value is the outcome of steps 2 to 5: the brief of a verified code, or
 * a failure's detail, so that a repeat gives the same result as the first
 * sight (a failure whose detail does not fit is not cached).
 *
 * A set's four tags (eight more bytes of each key, nonzero when used) sit
 * together in one cache line apart from the entries, so that a miss - a
 * code seen for the first time - reads one line, not four entries; the
 * full key is compared only on a tag's match. Both arrays are one mapping
 * that the kernel may back with huge pages: a run of distinct codes
 * touches every page, and a fault each 4 KiB cost more than the lookups
 * (perf, 40,000 distinct codes: 8,080 faults). */
#define WAYS 4
#define LOCKS 256
#define DETAIL_CAP sizeof(struct hc_brief) /* a failure's detail shares its room */
#define HUGE ((size_t)2 << 20)

struct entry {
	uint8_t key[32];
	hc_err err; /* of steps 2-5 */
	union {
		struct hc_brief b;       /* when err is HC_OK */
		char detail[DETAIL_CAP]; /* otherwise */
	} u;
};

struct hc_sigcache {
	uint64_t *tag; /* sets * WAYS, 0: empty */
	struct entry *e;
	size_t sets;
	unsigned *next; /* per set: the way to replace next */
	void *map;      /* tag and e live in it */
	size_t maplen;
	pthread_mutex_t lock[LOCKS];
	/* Counted by every thread under different set locks: atomic. */
	_Atomic uint64_t hits, misses;
};

hc_err hc_sigcache_new(size_t entries, struct hc_sigcache **out)
{
	struct hc_sigcache *c;
	size_t sets = 1, tags, len;
	uint8_t *p;

	*out = NULL;
	while (sets * WAYS < entries && sets < ((size_t)1 << 24))
		sets <<= 1;
	if (!(c = calloc(1, sizeof(*c))))
		return HC_ERR_NOMEM;
	c->sets = sets;
	tags = sets * WAYS * sizeof(*c->tag);
	len = tags + sets * WAYS * sizeof(*c->e);
	/* anonymous memory is zero: every tag empty */
	c->maplen = len + HUGE;
	if ((c->map = mmap(NULL, c->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			   0)) == MAP_FAILED) {
		free(c);
		return HC_ERR_NOMEM;
	}
	p = (uint8_t *)c->map + (HUGE - (uintptr_t)c->map % HUGE) % HUGE;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, len, MADV_HUGEPAGE); /* advice only: without it, 4 KiB pages */
#endif
	c->tag = (uint64_t *)(void *)p;
	c->e = (struct entry *)(void *)(p + tags);
	if (!(c->next = calloc(sets, sizeof(*c->next)))) {
		munmap(c->map, c->maplen);
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
	munmap(c->map, c->maplen);
	free(c->next);
	free(c);
}

uint64_t hc_sigcache_hits(const struct hc_sigcache *c)
{
	return c ? atomic_load_explicit(&c->hits, memory_order_relaxed) : 0;
}

static size_t set_of(const struct hc_sigcache *c, const uint8_t digest[32])
{
	uint64_t h;

	memcpy(&h, digest, sizeof(h)); /* SHA-256 output: already uniform */
	return (size_t)(h & (c->sets - 1));
}

/* The tag of a key: bytes the set index does not use, never 0. */
static uint64_t tag_of(const uint8_t digest[32])
{
	uint64_t t;

	memcpy(&t, digest + 8, sizeof(t));
	return t | 1;
}

static bool cache_get(struct hc_sigcache *c, const uint8_t digest[32], hc_err *err,
		      struct hc_brief *b)
{
	size_t s = set_of(c, digest);
	uint64_t t = tag_of(digest);
	pthread_mutex_t *l = &c->lock[s % LOCKS];
	bool hit = false;

	pthread_mutex_lock(l);
	for (size_t w = 0; w < WAYS; w++) {
		const struct entry *e = &c->e[s * WAYS + w];

		if (c->tag[s * WAYS + w] == t && memcmp(e->key, digest, 32) == 0) {
			*err = e->err;
			if (e->err == HC_OK)
				*b = e->u.b;
			else
				hc_set_detail("%s", e->u.detail);
			hit = true;
			break;
		}
	}
	pthread_mutex_unlock(l);
	atomic_fetch_add_explicit(hit ? &c->hits : &c->misses, 1, memory_order_relaxed);
	return hit;
}

static void cache_put(struct hc_sigcache *c, const uint8_t digest[32], hc_err err,
		      const struct hc_brief *b)
{
	size_t s = set_of(c, digest), w;
	pthread_mutex_t *l = &c->lock[s % LOCKS];
	struct entry *e;

	pthread_mutex_lock(l);
	w = c->next[s];
	c->next[s] = (w + 1) % WAYS;
	e = &c->e[s * WAYS + w];
	memcpy(e->key, digest, 32);
	e->err = err;
	if (err == HC_OK)
		e->u.b = *b;
	else
		memcpy(e->u.detail, hc_detail(), strlen(hc_detail()) + 1);
	c->tag[s * WAYS + w] = tag_of(digest);
	pthread_mutex_unlock(l);
}

/* ---- foreign codes: one signature check per entry ----
 * A foreign code's key names the signed bytes, the signature and the
 * public key that checked them, under a label of its own (a domestic key
 * hashes a 32-byte digest and a ".signature": no preimage of one is a
 * preimage of the other). The entry holds the outcome of that one check;
 * everything after it (claims, times, revocation, requirements) is done
 * again for every record. */
hc_err hc__sigkey(const char *label, size_t n, const struct hc_span *parts, uint8_t key[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
		  EVP_DigestUpdate(md, label, strlen(label) + 1) == 1;

	for (size_t i = 0; ok && i < n; i++) {
		uint8_t len[8];

		for (size_t b = 0; b < 8; b++)
			len[b] = (uint8_t)((uint64_t)parts[i].n >> (56 - 8 * b));
		ok = EVP_DigestUpdate(md, len, sizeof(len)) == 1 &&
		     EVP_DigestUpdate(md, parts[i].p, parts[i].n) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(md, key, NULL) == 1;
	EVP_MD_CTX_free(md);
	return ok ? HC_OK : HC_ERR_CRYPTO;
}

bool hc__sigcache_get_sig(struct hc_sigcache *c, const uint8_t key[32], hc_err *err)
{
	struct hc_brief b;

	return c && cache_get(c, key, err, &b);
}

void hc__sigcache_put_sig(struct hc_sigcache *c, const uint8_t key[32], hc_err err)
{
	static const struct hc_brief none;

	/* fixed by the bytes and the key: a pass, a signature that does not
	 * verify or has the wrong form; never a resource failure */
	if (c && (err == HC_OK || err == HC_ERR_BAD_SIG || err == HC_ERR_SIG_LEN ||
		  err == HC_ERR_ALG) &&
	    (err == HC_OK || strlen(hc_detail()) < DETAIL_CAP))
		cache_put(c, key, err, &none);
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

static void save_detail(struct pend *p)
{
	const char *d = hc_detail();
	size_t n = strlen(d);

	if (n >= sizeof(p->detail))
		n = sizeof(p->detail) - 1;
	memcpy(p->detail, d, n);
	p->detail[n] = '\0';
}

/* Whether record i's token came earlier in the run (then p->same says
 * which record); else notes it. */
static bool run_seen(struct hc_vctx *v, size_t i)
{
	struct pend *p = &v->pend[i];
	size_t h;

	memcpy(&h, p->key, sizeof(h)); /* SHA-256 output: already uniform */
	for (h %= SEEN;; h = (h + 1) % SEEN) {
		if (!v->seen[h]) {
			v->seen[h] = (uint16_t)(i + 1);
			return false;
		}
		if (memcmp(v->pend[v->seen[h] - 1].key, p->key, 32) == 0) {
			p->same = v->seen[h] - 1u;
			return true;
		}
	}
}

hc_err hc_batch_start(const struct hc_trust *t, struct hc_vctx *v, struct hc_sigcache *c,
		      size_t i, const char *text, size_t n, const struct hc_verify_opts *o)
{
	char tok[HC_MAX_QR_TEXT / 2 + 1], kid[HC_KID_LEN + 1];
	const struct trust_issuer *is = NULL;
	const char *d1, *d2 = NULL;
	struct hc_claims claims;
	struct pend *p;
	bool have_digest = false;
	size_t tl;
	hc_err err;

	if (i >= HC_BATCH_MAX || (i > 0 && i != v->npend))
		return HC_ERR_INVALID_ARG;
	if (!v->pend && !(v->pend = calloc(HC_BATCH_MAX, sizeof(*v->pend))))
		return HC_ERR_NOMEM;
	v->npend = i + 1;
	if (i == 0)
		memset(v->seen, 0, sizeof(v->seen));
	p = &v->pend[i];
	memset(p, 0, offsetof(struct pend, b));
	p->same = SIZE_MAX;
	p->detail[0] = '\0';
	p->stale = hc_trust_stale(t, o);
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
	    hc_sha256((const uint8_t *)tok, (size_t)(d2 - tok), p->digest) == HC_OK)
		have_digest = true;
	p->have_key = c && have_digest && cache_key(p->digest, d2, tl - (size_t)(d2 - tok), p->key);
	if (p->have_key && run_seen(v, i)) {
		atomic_fetch_add_explicit(&c->hits, 1, memory_order_relaxed);
		p->cached = true;
		return HC_OK; /* its outcome is the earlier one's (hc_batch_finish) */
	}
	if (p->have_key && cache_get(c, p->key, &err, &p->b)) {
		p->cached = true;
		goto out;
	}
	if (!have_digest) { /* fails in step 2 whatever: no signature to check */
		err = hc__steps15(t, tok, tl, NULL, NULL, &claims, kid, &is);
		goto out;
	}
	if ((err = hc__steps24(t, tok, tl, &claims, kid, &is, &p->k, p->sig)) != HC_OK)
		goto out;
	/* An SM2 key signs e = SM3(Z || header.payload), not its SHA-256:
	 * the digest (already used for the cache key) becomes e. */
	if (hc_pubkey_alg(p->k->k) == HC_ALG_SM2 &&
	    (err = hc_sm2_digest(p->k->k, (const uint8_t *)tok, (size_t)(d2 - tok), p->digest)) !=
		    HC_OK)
		goto out;
	p->sig_pending = true;
	p->brief_err = hc__brief(&claims, is, &p->b);
out:
	p->err = err;
	save_detail(p);
	return HC_OK;
}

/* The signatures left by hc_batch_start, key by key, in blocks. */
void hc_batch_sigs(struct hc_vctx *v)
{
	uint8_t dg[HC_EC_BLOCK][32], sg[HC_EC_BLOCK][HC_SIG_LEN];
	struct pend *who[HC_EC_BLOCK];
	hc_err res[HC_EC_BLOCK];
	bool done[HC_BATCH_MAX];

	for (size_t i = 0; i < v->npend; i++)
		done[i] = !v->pend[i].sig_pending;
	for (size_t i = 0; i < v->npend; i++) {
		const struct trust_key *k = v->pend[i].k;
		size_t m = 0, j = i;
		hc_err err = HC_OK;

		if (done[i])
			continue;
		/* this key's pending ones from i on, up to a block */
		for (; j < v->npend && m < HC_EC_BLOCK; j++) {
			if (done[j] || v->pend[j].k != k)
				continue;
			done[j] = true;
			who[m] = &v->pend[j];
			memcpy(dg[m], v->pend[j].digest, 32);
			memcpy(sg[m], v->pend[j].sig, HC_SIG_LEN);
			m++;
		}
		if (!v->kctx[k->idx])
			err = hc_verctx_new_ex(k->k, !v->evp, &v->kctx[k->idx]);
		if (err == HC_OK && !v->evp)
			err = hc_es256_verify_digests(v->kctx[k->idx], m, (const uint8_t(*)[32])dg,
						      (const uint8_t(*)[HC_SIG_LEN])sg, res);
		for (size_t w = 0; err == HC_OK && v->evp && w < m; w++)
			if ((res[w] = hc_es256_verify_digest_evp(v->kctx[k->idx], dg[w], sg[w])) !=
				    HC_OK &&
			    res[w] != HC_ERR_BAD_SIG)
				err = res[w];
		for (size_t w = 0; w < m; w++) {
			who[w]->err = err == HC_OK ? res[w] : err;
			if (who[w]->err == HC_OK)
				who[w]->err = who[w]->brief_err;
			who[w]->sig_pending = false;
		}
		/* a key with more than a block: the rest start a block of their
		 * own when the loop reaches the first of them */
	}
}

hc_err hc_batch_finish(const struct hc_trust *t, struct hc_vctx *v, struct hc_sigcache *c,
		       size_t i, const struct hc_verify_opts *o, struct hc_bresult *r)
{
	struct pend *p;
	hc_err err;

	memset(r, 0, sizeof(*r));
	r->issuer = -1;
	if (i >= v->npend || v->pend[i].sig_pending) {
		r->err = HC_ERR_INVALID_ARG;
		return r->err;
	}
	p = &v->pend[i];
	r->stale = p->stale;
	r->cached = p->cached;
	if (p->same != SIZE_MAX) { /* the outcome of steps 1 to 5 is the earlier one's */
		const struct pend *q = &v->pend[p->same];

		p->err = q->err;
		p->b = q->b;
		memcpy(p->detail, q->detail, sizeof(p->detail));
		if (q->err == HC_OK)
			p->detail[0] = '\0';
	}
	err = p->err;
	hc_set_detail("%s", p->detail);
	if (!p->cached && p->have_key) {
		if (err == HC_OK)
			hc_set_detail(NULL); /* as after a hit: steps 6 to 8 set their own */
		else
			memset(&p->b, 0, sizeof(p->b));
		/* Only outcomes fixed by the token's bytes and the trust data
		 * are cached; a resource failure is retried next time, and so
		 * is a failure whose detail an entry cannot hold. */
		if (err != HC_ERR_NOMEM && err != HC_ERR_CRYPTO &&
		    (err == HC_OK || strlen(hc_detail()) < DETAIL_CAP))
			cache_put(c, p->key, err, &p->b);
	} else if (!p->cached && err == HC_OK) {
		hc_set_detail(NULL);
	}
	if (err != HC_OK)
		goto out;
	r->verified = true;
	r->st = p->b.st;
	r->issuer = (int)(p->b.is - t->list.issuers);
	err = hc__steps68(t, &p->b, o, r->stale);
out:
	r->err = err;
	return err;
}

hc_err hc_verify_qr_batch(const struct hc_trust *t, struct hc_vctx *v, struct hc_sigcache *c,
			  const char *text, size_t n, const struct hc_verify_opts *o,
			  struct hc_bresult *r)
{
	hc_err err;

	if ((err = hc_batch_start(t, v, c, 0, text, n, o)) != HC_OK) {
		memset(r, 0, sizeof(*r));
		r->issuer = -1;
		r->stale = hc_trust_stale(t, o);
		r->err = err;
		return err;
	}
	hc_batch_sigs(v);
	return hc_batch_finish(t, v, c, 0, o, r);
}

const char *hc_trust_issuer_iss(const struct hc_trust *t, size_t i)
{
	return t->list.issuers[i].iss;
}

const char *hc_trust_issuer_region(const struct hc_trust *t, size_t i)
{
	return t->list.issuers[i].region;
}
