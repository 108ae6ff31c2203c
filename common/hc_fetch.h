/* hc_fetch.h: HTTPS GET with libcurl (hc-verify sync, the service's risk
 * feed and queried sources): certificate verification, https-only
 * redirects, timeouts, a size cap and conditional requests. */
#ifndef HC_FETCH_H
#define HC_FETCH_H

#include <stdatomic.h>
#include <curl/curl.h>

#include "hc.h"

#define FETCH_ETAG_LEN 256

struct fetch_opts {
	CURL *h; /* reused between fetches for its connection cache */
	const char *cacert; /* CA bundle; NULL: the system's */
	long timeout;       /* whole transfer, seconds */
	/* Optional (NULL: none): a client certificate and its key (PEM), and
	 * the User-Agent (NULL: hc-verify's). */
	const char *cert, *key, *ua;
	/* Optional: POSTs this JSON body (Content-Type application/json, no
	 * redirects followed) instead of a GET. */
	const char *post;
	/* Optional: the transfer stops (HC_ERR_NET, "stopped") soon after
	 * this becomes true, at the latest about a second later (libcurl's
	 * progress callback), so that a service's shutdown need not wait for
	 * a slow server's timeout. */
	const atomic_bool *stop;
};

struct fetch {
	long status; /* 200 (body set) or 304 (not modified) */
	uint8_t *body;
	size_t len;
	char etag[FETCH_ETAG_LEN];
	int64_t last_modified; /* 0 when the server sent none */
};

/* GETs (or with o->post, POSTs to) url over HTTPS, at most cap bytes. etag (If-None-Match) or since
 * (If-Modified-Since) make it conditional. HC_ERR_NET for network, TLS or
 * HTTP errors (status other than 200 and 304; out->status then holds the
 * HTTP status, 0 when there was none), HC_ERR_TOO_LARGE over cap. */
hc_err fetch_url(const struct fetch_opts *o, const char *url, const char *etag, int64_t since,
		 size_t cap, struct fetch *out) HC_WUR;
void fetch_clear(struct fetch *f);

#endif
