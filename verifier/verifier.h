/* verifier.h: the parts of hc-verify shared between its subcommands. */
#ifndef HC_VERIFIER_H
#define HC_VERIFIER_H

#include <curl/curl.h>

#include "dl_curl.h"
#include "hc_fetch.h"

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

/* fetch_url and its options: common/hc_fetch.h (the service uses them too). */

#endif
