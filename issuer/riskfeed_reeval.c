/* riskfeed_reeval.c: the re-evaluation that follows a new risk-area list
 * (riskfeed.c): the people whose stays or visits overlap an entry that
 * changed, collected from the registry and re-evaluated in chunks by a
 * few threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hc_policy.h"
#include "log.h"
#include "publish.h"
#include "riskfeed_int.h"

#define FEED_CHUNK 512     /* people re-evaluated together: one read, one commit */
#define FEED_THREADS 8     /* chunks at once: some read while others wait for their commit */

/* The people to re-evaluate, in the order their rows lie in the
 * registry (reg_exposed_fn's place): a chunk's changes then share the
 * pages they write. */
struct person_at {
	int64_t place;
	char k[REG_KEY_LEN + 1];
};

struct keys {
	struct person_at *k;
	size_t n, alloc;
	bool nomem;
};

static void add_key(void *arg, const char *key, int64_t place)
{
	struct keys *ks = arg;

	if (ks->nomem || strlen(key) != REG_KEY_LEN)
		return;
	if (ks->n == ks->alloc) {
		size_t a = ks->alloc ? 2 * ks->alloc : 1024;
		struct person_at *nk = realloc(ks->k, a * sizeof(*ks->k));

		if (!nk) {
			ks->nomem = true;
			return;
		}
		ks->k = nk;
		ks->alloc = a;
	}
	ks->k[ks->n].place = place;
	memcpy(ks->k[ks->n++].k, key, REG_KEY_LEN + 1);
}

/* By place, then key (a person has one place: their copies end up
 * together). */
static int key_cmp(const void *a, const void *b)
{
	const struct person_at *x = a, *y = b;

	if (x->place != y->place)
		return x->place < y->place ? -1 : 1;
	return memcmp(x->k, y->k, REG_KEY_LEN);
}

/* The CST date of t, "YYYY-MM-DD". */
static void cst_date(int64_t t, char out[16])
{
	time_t tt = (time_t)(t + (int64_t)8 * 3600);
	struct tm tm;

	if (!gmtime_r(&tt, &tm))
		memset(&tm, 0, sizeof(tm));
	(void)snprintf(out, 16, "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
		       tm.tm_mday % 100);
}

struct collect {
	struct reg *reg;
	struct keys ks;
	hc_err err;
	size_t entries;
};

/* The people one changed entry may concern: for an area, stays in a
 * region that covers it or that it covers (a stay's province or city
 * covers a district), on days that overlap its period; for a venue,
 * visits inside its window. */
static void on_entry(void *arg, const struct hc_risk_entry *e)
{
	struct collect *c = arg;
	char lo[12], hi[12], from[16], to[16];
	unsigned v, prov, city;
	hc_err err = HC_OK;

	c->entries++;
	if (c->err != HC_OK)
		return;
	if (e->venue) {
		c->err = reg_exposed_visits(c->reg, e->code, e->from, e->end, add_key, &c->ks);
		return;
	}
	v = (unsigned)strtoul(e->code, NULL, 10);
	prov = v / 10000 * 10000;
	city = v / 100 * 100;
	cst_date(e->from, from);
	cst_date(e->end - 1, to);
#define RANGE(a, b)                                                                          \
	do {                                                                                 \
		(void)snprintf(lo, sizeof(lo), "%06u", (a));                                 \
		(void)snprintf(hi, sizeof(hi), "%06u", (b));                                 \
		if (err == HC_OK)                                                            \
			err = reg_exposed_travel(c->reg, lo, hi, from, to, add_key, &c->ks); \
	} while (0)
	if (v == prov) {
		RANGE(prov, prov + 9999);
	} else if (v == city) {
		RANGE(city, city + 99);
		RANGE(prov, prov);
	} else {
		RANGE(v, v);
		RANGE(city, city);
		RANGE(prov, prov);
	}
#undef RANGE
	c->err = err;
}

struct pool {
	struct feed *f;
	const struct keys *ks;
	char cause[64];
	size_t next;
	pthread_mutex_t mu;
	unsigned long long done, changed, failed;
	bool halted;  /* the service began to stop: no chunk was started after */
};

static void *reeval_main(void *arg)
{
	struct pool *p = arg;
	const char *keys[FEED_CHUNK];
	hc_err errs[FEED_CHUNK], err;
	char (*details)[REG_DETAIL_LEN];
	bool changed[FEED_CHUNK];

	/* FEED_CHUNK details are too big for a thread's stack (80 KiB) */
	if (!(details = calloc(FEED_CHUNK, sizeof(*details)))) {
		pthread_mutex_lock(&p->mu);
		if (p->failed++ == 0)
			log_msg("risk feed: re-evaluation: %s", hc_strerror(HC_ERR_NOMEM));
		pthread_mutex_unlock(&p->mu);
		return NULL;
	}
	for (;;) {
		size_t i, n;

		pthread_mutex_lock(&p->mu);
		i = p->next;
		n = i < p->ks->n ? p->ks->n - i : 0;
		if (n && atomic_load(&p->f->halt)) {
			p->halted = true;
			n = 0;
		}
		if (n > FEED_CHUNK)
			n = FEED_CHUNK;
		p->next += n;
		pthread_mutex_unlock(&p->mu);
		if (n == 0)
			break;
		for (size_t k = 0; k < n; k++)
			keys[k] = p->ks->k[i + k].k;
		err = svc_reevaluate_many(p->f->s, "risk-feed", p->cause, keys, n, errs, details,
					  changed);
		pthread_mutex_lock(&p->mu);
		for (size_t k = 0; k < n; k++) {
			/* not done for the chunk's error: not the person's */
			bool own = err == HC_OK || errs[k] != HC_ERR_CONFLICT;
			hc_err e = own ? errs[k] : err;

			if (e == HC_OK || e == HC_ERR_NOT_FOUND) {
				p->done++;
				p->changed += changed[k];
			} else if (p->failed++ == 0) {
				const char *d = own ? details[k] : "";

				log_msg("risk feed: re-evaluation: %s%s%s", hc_strerror(e),
					d[0] ? ": " : "", d);
			}
		}
		pthread_mutex_unlock(&p->mu);
	}
	free(details);
	return NULL;
}

hc_err feed_reevaluate(struct feed *f, const struct hc_risk *old, const struct hc_risk *new,
		       int64_t seq, size_t *npeople, size_t *nchanged)
{
	struct collect c = {.reg = f->s->reg, .err = HC_OK};
	struct pool p;
	pthread_t th[FEED_THREADS];
	size_t nth = 0, u = 0;
	hc_err err;

	*npeople = *nchanged = 0;
	hc_risk_diff(old, new, on_entry, &c);
	if (c.err != HC_OK || c.ks.nomem) {
		err = c.ks.nomem ? HC_ERR_NOMEM : c.err;
		free(c.ks.k);
		return err;
	}
	if (c.ks.n > 1)
		qsort(c.ks.k, c.ks.n, sizeof(*c.ks.k), key_cmp);
	for (size_t i = 0; i < c.ks.n; i++)
		if (u == 0 || key_cmp(&c.ks.k[u - 1], &c.ks.k[i]) != 0)
			c.ks.k[u++] = c.ks.k[i];
	c.ks.n = u;
	memset(&p, 0, sizeof(p));
	p.f = f;
	p.ks = &c.ks;
	(void)snprintf(p.cause, sizeof(p.cause), "risk-areas seq %lld", (long long)seq);
	log_msg("risk feed: seq %lld: %zu changed entries concern %zu people: re-evaluating",
		(long long)seq, c.entries, u);
	if (pthread_mutex_init(&p.mu, NULL) != 0) {
		free(c.ks.k);
		return HC_ERR_NOMEM;
	}
	while (nth < FEED_THREADS && nth < c.ks.n && pthread_create(&th[nth], NULL, reeval_main, &p) == 0)
		nth++;
	if (nth == 0)
		(void)reeval_main(&p);
	for (size_t i = 0; i < nth; i++)
		(void)pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
	/* the last chunks' revocations published now: their list need not
	 * gather more (svc_reevaluate_many asked for one after the delay) */
	if (p.changed)
		pub_revoked_now(f->s->publisher);
	*npeople = (size_t)p.done;
	*nchanged = (size_t)p.changed;
	pthread_mutex_lock(&f->mu);
	f->reevaluated += p.done;
	f->changed += p.changed;
	f->reeval_fail += p.failed;
	pthread_mutex_unlock(&f->mu);
	free(c.ks.k);
	if (p.halted && !p.failed) {
		hc_set_detail("stopping: %zu of %zu people re-evaluated, the rest at the next start",
			      (size_t)p.done, u);
		return HC_ERR_UNAVAILABLE;
	}
	if (p.failed) {
		/* u - done: a thread that could not start its work did none */
		hc_set_detail("%zu of %zu people could not be re-evaluated", u - (size_t)p.done, u);
		return HC_ERR_STORE;
	}
	return HC_OK;
}
