/* verifier.h: the parts of hc-verify shared between its subcommands. */
#ifndef HC_VERIFIER_H
#define HC_VERIFIER_H

#include <curl/curl.h>

#include "hc_trust.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

/* hc-verify sync and hc-verify status (argv[0] is the subcommand). */
int cmd_sync(int argc, char **argv);
int cmd_status(int argc, char **argv);

/* Prints "PROG: WHAT: error: detail" to stderr; PROG is verifier_prog. */
extern const char *verifier_prog;
void verifier_err(const char *what, hc_err err);

#define FETCH_ETAG_LEN 256

struct fetch_opts {
	CURL *h; /* reused between fetches for its connection cache */
	const char *cacert; /* CA bundle; NULL: the system's */
	long timeout;       /* whole transfer, seconds */
};

struct fetch {
	long status; /* 200 (body set) or 304 (not modified) */
	uint8_t *body;
	size_t len;
	char etag[FETCH_ETAG_LEN];
	int64_t last_modified; /* 0 when the server sent none */
};

/* GETs url over HTTPS, at most cap bytes. etag (If-None-Match) or since
 * (If-Modified-Since) make it conditional. HC_ERR_NET for network, TLS or
 * HTTP errors (status other than 200 and 304), HC_ERR_TOO_LARGE over cap. */
hc_err fetch_url(const struct fetch_opts *o, const char *url, const char *etag, int64_t since,
		 size_t cap, struct fetch *out) HC_WUR;
void fetch_clear(struct fetch *f);

#endif
