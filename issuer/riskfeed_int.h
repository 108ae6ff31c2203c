/* riskfeed_int.h: the feed's state, shared by riskfeed.c (the list in
 * force, the fetching thread) and riskfeed_reeval.c (re-evaluation). */
#ifndef HC_RISKFEED_INT_H
#define HC_RISKFEED_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "dl_curl.h"
#include "hc_fetch.h"
#include "service.h"

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
	/* The service is stopping: set under mu (with cv broadcast), read
	 * without it too, so that a fetch or a re-evaluation ends early. */
	atomic_bool halt;
	struct held *all;   /* every list still referenced */
	struct held *cur;   /* in force (NULL: none) */
	int64_t seq, iat;   /* of cur */
	int64_t last_ok;    /* when the feed last answered with a usable list
			     * (monotonic seconds: riskfeed.c's mono_s) */
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

/* Re-evaluates everyone an entry in exactly one of old and new concerns
 * (riskfeed_reeval.c). HC_OK only when every one of them was;
 * HC_ERR_UNAVAILABLE when the service began to stop before all were (the
 * chunks under way are finished, no new one starts). */
hc_err feed_reevaluate(struct feed *f, const struct hc_risk *old, const struct hc_risk *new,
		       int64_t seq, size_t *npeople, size_t *nchanged);

#endif
