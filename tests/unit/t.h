/* t.h: the unit-test harness: named cases, checks, test data paths. */
#ifndef T_H
#define T_H

#include <stddef.h>
#include <stdint.h>

#include "hc.h"

void t_fail(const char *file, int line, const char *fmt, ...) HC_PRINTF(3, 4);
void t_begin(const char *name);
void t_end(void);
#define RUN(fn) (t_begin(#fn), fn(), t_end())

#define CHECK(c) \
	do { \
		if (!(c)) \
			t_fail(__FILE__, __LINE__, "%s", #c); \
	} while (0)
#define CHECK_ERR(got, want) \
	do { \
		hc_err g_ = (got), w_ = (want); \
		if (g_ != w_) \
			t_fail(__FILE__, __LINE__, "%s: got %d (%s), want %d (%s)", #got, (int)g_, \
			       hc_strerror(g_), (int)w_, hc_strerror(w_)); \
	} while (0)

/* Path of a file under tests/data (HC_TESTDATA overrides the directory). */
const char *t_path(const char *name);
/* Reads tests/data/name, NUL-terminated, trailing newline stripped; aborts
 * the run if it is missing. */
char *t_read(const char *name, size_t *n);
/* A fresh temporary directory, removed by the runner's caller. */
const char *t_tmpdir(void);
/* Hex (either case) to bytes: their number, or -1 on a bad digit, an odd
 * length or more than cap bytes. */
long t_unhex(const char *s, uint8_t *out, size_t cap);

/* Each test program defines this and calls RUN() or t_begin()/t_end(). */
void t_main(void);

#endif
