/* keys.h: what hc-keys's command files share (keys/hc-keys.c has the
 * usage text and the dispatch table; each command may live in its own
 * keys/NAME.c). */
#ifndef HC_KEYS_H
#define HC_KEYS_H

#include <getopt.h>
#include <stdio.h>

#include "hc.h"

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

#endif
