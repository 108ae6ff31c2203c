/* keys.h: what hc-keys's command files share (keys/hc-keys.c has the
 * usage text and the dispatch table; each command may live in its own
 * keys/NAME.c). */
#ifndef HC_KEYS_H
#define HC_KEYS_H

#include <getopt.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "hc.h"
#include "hc_crypto.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

/* "hc-keys: WHAT: error: detail" on stderr. */
void die_err(const char *what, hc_err err);
/* Prints the usage text to f and returns code. */
int usage(FILE *f, int code);
/* Reads options that each take one value and may be given once: the value
 * of the option whose val is i goes to *slots[i] (i < n). Returns -1 to go
 * on, or the exit status for --help or a usage error. */
int read_opts(int argc, char **argv, const struct option *opts, const char **slots[], size_t n);

/* hc-keys tl (keys/tl.c). */
int cmd_tl(int argc, char **argv);
/* A time as hc_time_parse reads it, or "now" or "now+DURATION". */
bool keys_time(const char *s, int64_t *out);
/* 1 when the file at path starts (after white space) with '{', 0 when it
 * does not, -1 when it cannot be opened. */
int keys_is_json_file(const char *path);
/* Reads a public JWK file (also one with the trust-list entry members
 * status, nbf, exp; never a private JWK) into the JWK hc-keys pub prints. */
hc_err keys_load_jwk(const char *path, cJSON **out);

/* A decimal sequence number in [1, 2^53 - 1]. */
bool keys_seq(const char *s, int64_t *out);
/* Signs the checked payload with the root key root (a key file or a
 * pkcs11: URI) as a JWS, parses and verifies it again as a verifier will
 * (at most max bytes), and writes it to outp atomically. Returns 0 (and
 * the root's public key in *pub when pub is not NULL) or the exit status,
 * the reason said on stderr. hc-keys trustlist, riskareas, foreign. */
int keys_sign_root(const char *root, const uint8_t *payload, size_t plen, size_t max,
		   const char *outp, struct hc_pubkey **pub);

#endif
