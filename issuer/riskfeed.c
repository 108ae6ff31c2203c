/* riskfeed.c: the national risk-area list the service holds, and the feed
 * that keeps it current: a thread fetches risk-areas.jws over HTTPS (as
 * hc-verify sync does: conditional requests, the signature checked first,
 * no rollback, the held list kept on any failure), re-evaluates exactly the
 * people whose stays or visits overlap an entry that changed, then keeps
 * the new list in a file beside the registry so that a restart holds it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dl_curl.h"
#include "hc_fetch.h"
#include "hc_policy.h"
#include "hc_trust.h"
#include "log.h"
#include "service.h"

#define FEED_TIMEOUT 30L   /* seconds for one fetch */
#define FEED_CHUNK 512     /* people re-evaluated together: one read, one commit */
#define FEED_THREADS 4     /* chunks at once: one reads while another commits */
#define FEED_SKEW 300      /* a list's iat may be this far after now */

/* A list with its references: the one in force, the one last made
 * durable (the base of the next change), and requests that use one. */
struct held {
	struct hc_risk *r;
	unsigned refs;
	struct held *next;
};

struct feed {
	struct svc *s;
	pthread_t th;
	bool started;
	pthread_mutex_t mu; /* everything below except the thread's own */
	pthread_cond_t cv;
	bool stop;
	struct held *all;   /* every list still referenced */
	struct held *cur;   /* in force (NULL: none) */
	int64_t seq, iat;   /* of cur */
	int64_t last_ok;    /* when the feed last answered with a usable list */
	char last_err[256];
	unsigned long long fetch_ok, fetch_fail, refused, reevaluated, changed, reeval_fail;
	/* The thread's own: */
	struct held *base;  /* the list held durably (in cfg->feed.held) */
	uint8_t *raw;       /* bytes of cur */
	size_t rawlen;
	char etag[FETCH_ETAG_LEN];
	int64_t lastmod;
	struct hc_trust *roots;
	CURL *h;
};

/* ---- the list in force ---- */

static struct held *held_new(struct feed *f, struct hc_risk *r)
{
	struct held *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->r = r;
	h->refs = 1;
	h->next = f->all;
	f->all = h;
	return h;
}

/* Drops a reference (f->mu held). */
static void held_unref(struct feed *f, struct held *h)
{
	struct held **p;

	if (!h || --h->refs > 0)
		return;
	for (p = &f->all; *p; p = &(*p)->next)
		if (*p == h) {
			*p = h->next;
			break;
		}
	hc_risk_free(h->r);
	free(h);
}

struct hc_risk *svc_risk_get(struct svc *s)
{
	struct feed *f = s->feed;
	struct hc_risk *r = NULL;

	if (!f)
		return NULL;
	pthread_mutex_lock(&f->mu);
	if (f->cur) {
		f->cur->refs++;
		r = f->cur->r;
	}
	pthread_mutex_unlock(&f->mu);
	return r;
}

void svc_risk_put(struct svc *s, const struct hc_risk *r)
{
	struct feed *f = s->feed;

	if (!f || !r)
		return;
	pthread_mutex_lock(&f->mu);
	for (struct held *h = f->all; h; h = h->next)
		if (h->r == r) {
			held_unref(f, h);
			break;
		}
	pthread_mutex_unlock(&f->mu);
}

/* ---- re-evaluation of the exposed ---- */

struct keys {
	char (*k)[REG_KEY_LEN + 1];
	size_t n, alloc;
	bool nomem;
};

static void add_key(void *arg, const char *key)
{
	struct keys *ks = arg;

	if (ks->nomem || strlen(key) != REG_KEY_LEN)
		return;
	if (ks->n == ks->alloc) {
		size_t a = ks->alloc ? 2 * ks->alloc : 1024;
		char(*nk)[REG_KEY_LEN + 1] = realloc(ks->k, a * sizeof(*ks->k));

		if (!nk) {
			ks->nomem = true;
			return;
		}
		ks->k = nk;
		ks->alloc = a;
	}
	memcpy(ks->k[ks->n++], key, REG_KEY_LEN + 1);
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, REG_KEY_LEN);
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
};

static void *reeval_main(void *arg)
{
	struct pool *p = arg;
	const char *keys[FEED_CHUNK];
	hc_err errs[FEED_CHUNK], err;
	bool changed[FEED_CHUNK];

	for (;;) {
		size_t i, n;

		pthread_mutex_lock(&p->mu);
		i = p->next;
		n = i < p->ks->n ? p->ks->n - i : 0;
		if (n > FEED_CHUNK)
			n = FEED_CHUNK;
		p->next += n;
		pthread_mutex_unlock(&p->mu);
		if (n == 0)
			break;
		for (size_t k = 0; k < n; k++)
			keys[k] = p->ks->k[i + k];
		err = svc_reevaluate_many(p->f->s, "risk-feed", p->cause, keys, n, errs, changed);
		pthread_mutex_lock(&p->mu);
		for (size_t k = 0; k < n; k++) {
			hc_err e = err != HC_OK && errs[k] == HC_ERR_CONFLICT ? err : errs[k];

			if (e == HC_OK || e == HC_ERR_NOT_FOUND) {
				p->done++;
				p->changed += changed[k];
			} else if (p->failed++ == 0) {
				log_msg("risk feed: re-evaluation: %s", hc_strerror(e));
			}
		}
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

/* Re-evaluates everyone an entry in exactly one of old and new concerns.
 * HC_OK only when every one of them was. */
static hc_err reevaluate(struct feed *f, const struct hc_risk *old, const struct hc_risk *new,
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
		if (u == 0 || memcmp(c.ks.k[u - 1], c.ks.k[i], REG_KEY_LEN) != 0)
			memcpy(c.ks.k[u++], c.ks.k[i], REG_KEY_LEN + 1);
	c.ks.n = u;
	memset(&p, 0, sizeof(p));
	p.f = f;
	p.ks = &c.ks;
	(void)snprintf(p.cause, sizeof(p.cause), "risk-areas seq %lld", (long long)seq);
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
	*npeople = (size_t)p.done;
	*nchanged = (size_t)p.changed;
	pthread_mutex_lock(&f->mu);
	f->reevaluated += p.done;
	f->changed += p.changed;
	f->reeval_fail += p.failed;
	pthread_mutex_unlock(&f->mu);
	free(c.ks.k);
	if (p.failed) {
		hc_set_detail("%llu of %zu people could not be re-evaluated", p.failed, u);
		return HC_ERR_STORE;
	}
	return HC_OK;
}

/* ---- the feed ---- */

static void feed_error(struct feed *f, bool refused, const char *what, hc_err err)
{
	pthread_mutex_lock(&f->mu);
	(void)snprintf(f->last_err, sizeof(f->last_err), "%s: %s%s%s", what, hc_strerror(err),
		       hc_detail()[0] ? ": " : "", hc_detail());
	if (refused)
		f->refused++;
	else
		f->fetch_fail++;
	log_msg("risk feed: %s (the held list seq %lld stays in force)", f->last_err,
		(long long)f->seq);
	pthread_mutex_unlock(&f->mu);
}

/* Puts a verified list in force: re-evaluates the people an entry that
 * changed since the durable base concerns, then makes it the base. */
static void install(struct feed *f, struct hc_risk *r, uint8_t *body, size_t len)
{
	struct held *h, *old;
	int64_t seq = hc_risk_seq(r), t0 = hc_now();
	size_t na, nv, np = 0, nc = 0;
	hc_err err;

	pthread_mutex_lock(&f->mu);
	if (!(h = held_new(f, r))) {
		pthread_mutex_unlock(&f->mu);
		hc_risk_free(r);
		free(body);
		hc_set_detail("out of memory");
		feed_error(f, false, "install", HC_ERR_NOMEM);
		return;
	}
	old = f->cur;
	f->cur = h;
	f->seq = seq;
	f->iat = hc_risk_iat(r);
	f->last_ok = hc_now();
	f->last_err[0] = '\0';
	held_unref(f, old);
	h->refs++; /* the thread's, for the re-evaluation and the base */
	pthread_mutex_unlock(&f->mu);
	free(f->raw);
	f->raw = body;
	f->rawlen = len;
	na = hc_risk_count(r, &nv);
	err = reevaluate(f, f->base ? f->base->r : NULL, r, seq, &np, &nc);
	if (err == HC_OK)
		err = hc_write_file_atomic(f->s->cfg->feed.held, body, len, 0600);
	pthread_mutex_lock(&f->mu);
	if (err == HC_OK) {
		held_unref(f, f->base);
		f->base = h; /* keeps the thread's reference */
	} else {
		held_unref(f, h);
	}
	pthread_mutex_unlock(&f->mu);
	if (err != HC_OK) {
		/* In force, not yet durable: the next fetch of the same list
		 * re-evaluates again from the durable base. */
		feed_error(f, false, "seq in force, its re-evaluation is incomplete", err);
		return;
	}
	log_msg("risk feed: seq %lld in force (%zu areas, %zu venues): %zu people "
		"re-evaluated, %zu changed, %lld s",
		(long long)seq, na, nv, np, nc, (long long)(hc_now() - t0));
}

static void feed_once(struct feed *f)
{
	const struct cfg *c = f->s->cfg;
	struct fetch_opts o = {.h = f->h,
			       .cacert = c->feed.cacert[0] ? c->feed.cacert : NULL,
			       .timeout = FEED_TIMEOUT,
			       .ua = "hc-issued-riskfeed/1"};
	struct hc_risk *r = NULL;
	struct fetch fr;
	int64_t seq, now = hc_now();
	bool pending;
	hc_err err;

	if ((err = fetch_url(&o, c->feed.url, f->etag, f->lastmod, HC_MAX_RISK_JWS, &fr)) != HC_OK) {
		feed_error(f, false, "fetch", err);
		return;
	}
	pthread_mutex_lock(&f->mu);
	pending = f->cur && f->base != f->cur;
	pthread_mutex_unlock(&f->mu);
	if (fr.status == 304 || (f->raw && fr.len == f->rawlen && memcmp(fr.body, f->raw, fr.len) == 0)) {
		if (fr.status == 200 && fr.etag[0])
			memcpy(f->etag, fr.etag, sizeof(f->etag));
		fetch_clear(&fr);
		if (pending) {
			/* The list in force is not durable yet: again from the base. */
			uint8_t *copy = f->rawlen ? malloc(f->rawlen) : NULL;

			if (copy && hc_risk_verify(f->roots, (const char *)f->raw, f->rawlen, &r) ==
					    HC_OK) {
				memcpy(copy, f->raw, f->rawlen);
				install(f, r, copy, f->rawlen);
				return;
			}
			free(copy);
			return;
		}
		pthread_mutex_lock(&f->mu);
		f->fetch_ok++;
		f->last_ok = now;
		pthread_mutex_unlock(&f->mu);
		return;
	}
	/* The signature before anything else; then no rollback. */
	if ((err = hc_risk_verify(f->roots, (const char *)fr.body, fr.len, &r)) != HC_OK) {
		fetch_clear(&fr);
		feed_error(f, true, "refused", err);
		return;
	}
	seq = hc_risk_seq(r);
	pthread_mutex_lock(&f->mu);
	err = f->cur && seq <= f->seq ? HC_ERR_ROLLBACK : HC_OK;
	if (err != HC_OK)
		hc_set_detail("seq %lld, the held list has seq %lld", (long long)seq,
			      (long long)f->seq);
	pthread_mutex_unlock(&f->mu);
	if (err == HC_OK && hc_risk_iat(r) > now + FEED_SKEW) {
		hc_set_detail("iat is after now");
		err = HC_ERR_RISK;
	}
	if (err != HC_OK) {
		hc_risk_free(r);
		fetch_clear(&fr);
		feed_error(f, true, "refused", err);
		return;
	}
	memcpy(f->etag, fr.etag, sizeof(f->etag));
	f->lastmod = fr.last_modified;
	pthread_mutex_lock(&f->mu);
	f->fetch_ok++;
	pthread_mutex_unlock(&f->mu);
	install(f, r, fr.body, fr.len); /* takes r and the body */
}

static void *feed_main(void *arg)
{
	struct feed *f = arg;

	for (;;) {
		struct timespec ts;

		feed_once(f);
		(void)clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)f->s->cfg->feed.every;
		pthread_mutex_lock(&f->mu);
		while (!f->stop && pthread_cond_timedwait(&f->cv, &f->mu, &ts) == 0)
			;
		if (f->stop) {
			pthread_mutex_unlock(&f->mu);
			break;
		}
		pthread_mutex_unlock(&f->mu);
	}
	return NULL;
}

/* The list kept by the last run, if any: verified again before use. */
static void load_held(struct feed *f)
{
	const char *path = f->s->cfg->feed.held;
	struct hc_risk *r = NULL;
	uint8_t *buf = NULL;
	size_t n = 0;
	hc_err err;

	if ((err = hc_read_file(path, HC_MAX_RISK_JWS, &buf, &n)) != HC_OK) {
		if (err != HC_ERR_IO || access(path, F_OK) == 0)
			log_msg("risk feed: %s: %s%s%s (no list held)", path, hc_strerror(err),
				hc_detail()[0] ? ": " : "", hc_detail());
		return;
	}
	if ((err = hc_risk_verify(f->roots, (const char *)buf, n, &r)) != HC_OK) {
		log_msg("risk feed: %s: %s: %s (no list held)", path, hc_strerror(err), hc_detail());
		free(buf);
		return;
	}
	if (!(f->cur = held_new(f, r))) {
		hc_risk_free(r);
		free(buf);
		return;
	}
	f->cur->refs++;
	f->base = f->cur;
	f->seq = hc_risk_seq(r);
	f->iat = hc_risk_iat(r);
	f->raw = buf;
	f->rawlen = n;
	log_msg("risk feed: holding seq %lld from %s", (long long)f->seq, path);
}

hc_err svc_feed_start(struct svc *s, char *msg, size_t msgsz)
{
	const struct cfg *c = s->cfg;
	pthread_condattr_t ca;
	struct feed *f;
	hc_err err;

	if (!c->feed.url[0])
		return HC_OK;
	if (!(f = calloc(1, sizeof(*f))))
		return HC_ERR_NOMEM;
	f->s = s;
	f->last_ok = hc_now();
	if (pthread_mutex_init(&f->mu, NULL) != 0 || pthread_condattr_init(&ca) != 0) {
		free(f);
		return HC_ERR_NOMEM;
	}
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_cond_init(&f->cv, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		pthread_mutex_destroy(&f->mu);
		free(f);
		return HC_ERR_NOMEM;
	}
	pthread_condattr_destroy(&ca);
	s->feed = f;
	if ((err = hc_trust_load_roots(c->trust, &f->roots)) != HC_OK) {
		(void)snprintf(msg, msgsz, "risk_feed: %s: %s%s%s", c->trust, hc_strerror(err),
			       hc_detail()[0] ? ": " : "", hc_detail());
		svc_feed_stop(s);
		return err;
	}
	if (hc_dl_curl() != HC_OK || !(f->h = sym_curl_easy_init())) {
		(void)snprintf(msg, msgsz, "risk_feed: cannot start libcurl: %s", hc_detail());
		svc_feed_stop(s);
		return HC_ERR_NOMEM;
	}
	load_held(f);
	if (pthread_create(&f->th, NULL, feed_main, f) != 0) {
		(void)snprintf(msg, msgsz, "risk_feed: cannot start its thread");
		svc_feed_stop(s);
		return HC_ERR_NOMEM;
	}
	f->started = true;
	return HC_OK;
}

void svc_feed_stop(struct svc *s)
{
	struct feed *f = s ? s->feed : NULL;

	if (!f)
		return;
	if (f->started) {
		pthread_mutex_lock(&f->mu);
		f->stop = true;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		(void)pthread_join(f->th, NULL);
	}
	s->feed = NULL;
	while (f->all) {
		struct held *h = f->all;

		f->all = h->next;
		hc_risk_free(h->r);
		free(h);
	}
	if (f->h)
		sym_curl_easy_cleanup(f->h);
	hc_trust_free(f->roots);
	free(f->raw);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

bool svc_feed_ok(struct svc *s, char *why, size_t n)
{
	struct feed *f = s->feed;
	int64_t now = hc_now();
	bool ok;

	if (!f)
		return true;
	pthread_mutex_lock(&f->mu);
	ok = now - f->last_ok <= s->cfg->feed.grace;
	if (!ok)
		(void)snprintf(why, n, "the risk-area feed has not answered for %lld s (grace %lld s)%s%s",
			       (long long)(now - f->last_ok), (long long)s->cfg->feed.grace,
			       f->last_err[0] ? "; last: " : "", f->last_err);
	pthread_mutex_unlock(&f->mu);
	return ok;
}

hc_err svc_feed_metrics(struct svc *s, char **text, size_t *n)
{
	struct feed *f = s->feed;
	int64_t now = hc_now();
	char buf[2048];
	size_t len;
	char *nt;
	int r;

	if (!f)
		return HC_OK;
	pthread_mutex_lock(&f->mu);
	r = snprintf(buf, sizeof(buf),
		     "# HELP hc_riskfeed_seq Seq of the risk-area list in force (0: none).\n"
		     "# TYPE hc_riskfeed_seq gauge\nhc_riskfeed_seq %lld\n"
		     "# HELP hc_riskfeed_age_seconds Seconds since the list in force was signed.\n"
		     "# TYPE hc_riskfeed_age_seconds gauge\nhc_riskfeed_age_seconds %lld\n"
		     "# HELP hc_riskfeed_last_ok_seconds Seconds since the feed last answered.\n"
		     "# TYPE hc_riskfeed_last_ok_seconds gauge\nhc_riskfeed_last_ok_seconds %lld\n"
		     "# HELP hc_riskfeed_fetches_total Fetches of the list by result.\n"
		     "# TYPE hc_riskfeed_fetches_total counter\n"
		     "hc_riskfeed_fetches_total{result=\"ok\"} %llu\n"
		     "hc_riskfeed_fetches_total{result=\"failed\"} %llu\n"
		     "hc_riskfeed_fetches_total{result=\"refused\"} %llu\n"
		     "# HELP hc_riskfeed_reevaluations_total People re-evaluated on a new list.\n"
		     "# TYPE hc_riskfeed_reevaluations_total counter\n"
		     "hc_riskfeed_reevaluations_total{result=\"ok\"} %llu\n"
		     "hc_riskfeed_reevaluations_total{result=\"failed\"} %llu\n"
		     "# HELP hc_riskfeed_status_changes_total Statuses a new list changed.\n"
		     "# TYPE hc_riskfeed_status_changes_total counter\n"
		     "hc_riskfeed_status_changes_total %llu\n",
		     (long long)f->seq, (long long)(f->cur ? now - f->iat : 0),
		     (long long)(now - f->last_ok), f->fetch_ok, f->fetch_fail, f->refused,
		     f->reevaluated, f->reeval_fail, f->changed);
	pthread_mutex_unlock(&f->mu);
	if (r < 0 || (size_t)r >= sizeof(buf))
		return HC_ERR_TOO_LARGE;
	len = (size_t)r;
	if (!(nt = realloc(*text, *n + len + 1)))
		return HC_ERR_NOMEM;
	memcpy(nt + *n, buf, len + 1);
	*text = nt;
	*n += len;
	return HC_OK;
}
