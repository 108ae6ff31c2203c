/* verifier.h: the parts of hc-verify shared between its subcommands. */
#ifndef HC_VERIFIER_H
#define HC_VERIFIER_H

#include <curl/curl.h>

#include "dl_curl.h"

#include "hc_trust.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

/* hc-verify sync, status and audit (argv[0] is the subcommand). */
int cmd_sync(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_audit(int argc, char **argv);
/* hc-verify scan: executes hc-verify-scan (verifier/scan.c). */
int cmd_scan(int argc, char **argv);

/* Prints "PROG: WHAT: error: detail" to stderr; PROG is verifier_prog. */
extern const char *verifier_prog;
void verifier_err(const char *what, hc_err err);

/* The long options verify_option() handles, for getopt_long tables. */
#define VERIFY_OPTIONS                                                                   \
	{"at", required_argument, NULL, 'a'}, {"skew", required_argument, NULL, 'k'},    \
		{"any-status", no_argument, NULL, 'A'},                                  \
		{"require-nat", required_argument, NULL, 'n'},                           \
		{"require-doses", required_argument, NULL, 'd'},                         \
		{"grace", required_argument, NULL, 'g'}, {"strict", no_argument, NULL, 'S'}
/* Applies getopt result c (with arg) to o: 1 when c is one of
 * VERIFY_OPTIONS, 0 when it is not, -1 (message printed) when arg is
 * invalid. */
int verify_option(int c, const char *arg, struct hc_verify_opts *o);
/* A decimal integer 0..max, digits only. */
bool parse_count(const char *s, int64_t max, int64_t *out);

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
 * HTTP errors (status other than 200 and 304; out->status then holds the
 * HTTP status, 0 when there was none), HC_ERR_TOO_LARGE over cap. */
hc_err fetch_url(const struct fetch_opts *o, const char *url, const char *etag, int64_t since,
		 size_t cap, struct fetch *out) HC_WUR;
void fetch_clear(struct fetch *f);

#endif
