/* riskfeed.c: the national risk-area list the service holds, and the feed
 * that keeps it current: a thread fetches risk-areas.jws over HTTPS (as
 * hc-verify sync does: conditional requests, the signature checked first,
 * no rollback, the held list kept on any failure), re-evaluates exactly the
 * people whose stays or visits overlap an entry that changed, then keeps
 * the new list in a file beside the registry so that a restart holds it.
 * The re-evaluation is riskfeed_reeval.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hc_policy.h"
#include "hc_trust.h"
#include "log.h"
#include "riskfeed_int.h"

#define FEED_TIMEOUT 30L   /* seconds for one fetch */
#define FEED_SKEW 300      /* a list's iat may be this far after now */

/* Monotonic seconds, for last_ok: the grace is an interval, which a wall
 * clock stepped forward would end at once (/healthz 503 until the next
 * fetch) and one stepped back would stretch by the step. */
static int64_t mono_s(void)
{
	return (int64_t)(hc_mono_us() / 1000000u);
}

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
	int64_t seq = hc_risk_seq(r), t0 = mono_s();
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
	f->last_ok = mono_s();
	f->last_err[0] = '\0';
	held_unref(f, old);
	h->refs++; /* the thread's, for the re-evaluation and the base */
	pthread_mutex_unlock(&f->mu);
	free(f->raw);
	f->raw = body;
	f->rawlen = len;
	na = hc_risk_count(r, &nv);
	err = feed_reevaluate(f, f->base ? f->base->r : NULL, r, seq, &np, &nc);
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
		(long long)seq, na, nv, np, nc, (long long)(mono_s() - t0));
}

static void feed_once(struct feed *f)
{
	const struct cfg *c = f->s->cfg;
	struct fetch_opts o = {.h = f->h,
			       .cacert = c->feed.cacert[0] ? c->feed.cacert : NULL,
			       .timeout = FEED_TIMEOUT,
			       .ua = "hc-issued-riskfeed/1",
			       .stop = &f->halt};
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
		f->last_ok = mono_s();
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
		while (!atomic_load(&f->halt) && pthread_cond_timedwait(&f->cv, &f->mu, &ts) == 0)
			;
		if (atomic_load(&f->halt)) {
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
	struct feed *f;
	hc_err err;

	if (!c->feed.url[0])
		return HC_OK;
	if (!(f = calloc(1, sizeof(*f))))
		return HC_ERR_NOMEM;
	f->s = s;
	atomic_init(&f->halt, false);
	f->last_ok = mono_s();
	if (pthread_mutex_init(&f->mu, NULL) != 0) {
		free(f);
		return HC_ERR_NOMEM;
	}
	if (hc_cond_init_mono(&f->cv) != 0) {
		pthread_mutex_destroy(&f->mu);
		free(f);
		return HC_ERR_NOMEM;
	}
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
		atomic_store(&f->halt, true);
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
	int64_t now = mono_s();
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
		     (long long)(mono_s() - f->last_ok), f->fetch_ok, f->fetch_fail, f->refused,
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
