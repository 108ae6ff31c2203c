/* t_random.c: hc_random_pooled hands out each byte of its pool once:
 * draws never repeat or overlap, also across refills and with odd sizes;
 * a draw larger than the pool and an empty one work; a child of fork(2)
 * does not hand out the bytes its parent will. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc_sign.h"
#include "t.h"

#define POOL 768 /* hc_random_pooled's pool (common/sign.c) */

static int cmp64(const void *a, const void *b)
{
	uint64_t x, y;

	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	return x < y ? -1 : x > y;
}

/* True when no 8 bytes of s (at any offset) occur twice in it: bytes
 * handed out twice show up as a repeat (random bytes repeat 8 of them
 * with a chance of about n^2 / 2^65, 1e-9 for the largest n here). */
static bool no_repeats(const uint8_t *s, size_t n)
{
	size_t w = n >= 8 ? n - 7 : 0;
	uint64_t *v = malloc((w ? w : 1) * sizeof(*v));
	bool ok = v != NULL;

	for (size_t i = 0; ok && i < w; i++)
		memcpy(&v[i], s + i, 8);
	if (ok)
		qsort(v, w, sizeof(*v), cmp64);
	for (size_t i = 1; ok && i < w; i++)
		ok = v[i] != v[i - 1];
	free(v);
	return ok;
}

/* True when consecutive draws of len bytes in s do not overlap: no draw
 * starts with 4 or more of the bytes the draw before it ended with (too
 * short for no_repeats), and not more than 1 in 16 with 1 to 3 of them
 * (random bytes: 1 in 255 or fewer; bytes given twice: every one). */
static bool no_overlaps(const uint8_t *s, size_t draws, size_t len)
{
	size_t few = 0;

	for (size_t d = 1; d < draws; d++)
		for (size_t k = 1; k < len; k++)
			if (memcmp(s + d * len - k, s + d * len, k) == 0) {
				if (k >= 4)
					return false;
				few++;
			}
	return few <= draws / 16;
}

/* 10,000 jti-sized draws: all distinct, consecutive ones not
 * overlapping, over 208 refills of the pool. */
static void t_distinct(void)
{
	enum { N = 10000, L = 16 };
	uint8_t *s = malloc((size_t)N * L);
	bool drawn = s != NULL;

	CHECK(s);
	for (size_t i = 0; drawn && i < N; i++)
		drawn = hc_random_pooled(s + i * L, L) == HC_OK;
	CHECK(drawn);
	CHECK(drawn && memcmp(s, s + L, L) != 0);
	CHECK(drawn && no_repeats(s, (size_t)N * L));
	CHECK(drawn && no_overlaps(s, N, L));
	free(s);
}

/* Request-id (12) and odd sizes: draws that straddle the pool's refill
 * take its last bytes and the first of the next; nothing is given twice,
 * nothing is left zero. */
static void t_odd_sizes(void)
{
	static const size_t sizes[] = {12, 1, 3, 7, 13, 31, 12, 97, 255, 5, 511, 12};
	enum { TOTAL = 40 * POOL };
	uint8_t *s = calloc(TOTAL, 1);
	size_t at = 0, i = 0;
	bool drawn = s != NULL;

	CHECK(s);
	while (drawn && at + 511 <= TOTAL) {
		size_t n = sizes[i++ % (sizeof(sizes) / sizeof(sizes[0]))];

		drawn = hc_random_pooled(s + at, n) == HC_OK;
		at += n;
	}
	CHECK(drawn && at > (size_t)30 * POOL);
	CHECK(drawn && no_repeats(s, at));
	/* 12-byte draws, as the service's request ids, after a draw of 5:
	 * one of them straddles each refill */
	drawn = drawn && hc_random_pooled(s + 12000, 5) == HC_OK;
	for (size_t d = 0; drawn && d < 1000; d++)
		drawn = hc_random_pooled(s + d * 12, 12) == HC_OK;
	CHECK(drawn && no_repeats(s, (size_t)1000 * 12) && no_overlaps(s, 1000, 12));
	free(s);
}

/* n larger than the pool: hc_random's bytes, none from the pool; the
 * pool's draws go on as before. */
static void t_large(void)
{
	enum { N = 3 * POOL + 7 };
	uint8_t *s = calloc(N + 64, 1);
	static const uint8_t zero[64];

	CHECK(s);
	if (!s)
		return;
	CHECK_ERR(hc_random_pooled(s, 32), HC_OK);
	CHECK_ERR(hc_random_pooled(s + 32, N), HC_OK);
	CHECK_ERR(hc_random_pooled(s + 32 + N, 32), HC_OK);
	CHECK(memcmp(s + 32 + N - 64, zero, 64) != 0);
	CHECK(no_repeats(s, N + 64));
	CHECK_ERR(hc_random_pooled(s, POOL), HC_OK);
	CHECK_ERR(hc_random_pooled(s, POOL + 1), HC_OK);
	free(s);
}

/* n = 0: nothing written, no error; the next draw as usual. */
static void t_empty(void)
{
	uint8_t b[16], was[16];

	memset(b, 0xa5, sizeof(b));
	memcpy(was, b, sizeof(b));
	CHECK_ERR(hc_random_pooled(b, 0), HC_OK);
	CHECK(memcmp(b, was, sizeof(b)) == 0);
	CHECK_ERR(hc_random_pooled(b, sizeof(b)), HC_OK);
	CHECK(memcmp(b, was, sizeof(b)) != 0);
}

/* A fork()ed child's first draw is not its parent's next: the child's
 * copy of the pool was emptied. Its bytes come back through a pipe. */
static void t_fork(void)
{
	uint8_t first[16], mine[16], child[16];
	int fd[2], st = 0;
	pid_t pid;

	CHECK_ERR(hc_random_pooled(first, sizeof(first)), HC_OK); /* the pool filled */
	CHECK(pipe(fd) == 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		uint8_t b[16];
		int rc = hc_random_pooled(b, sizeof(b)) == HC_OK &&
				 write(fd[1], b, sizeof(b)) == (ssize_t)sizeof(b)
			 ? 0
			 : 1;

		_exit(rc);
	}
	CHECK(pid > 0);
	close(fd[1]);
	CHECK_ERR(hc_random_pooled(mine, sizeof(mine)), HC_OK);
	CHECK(read(fd[0], child, sizeof(child)) == (ssize_t)sizeof(child));
	close(fd[0]);
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(memcmp(child, mine, sizeof(mine)) != 0);
	CHECK(memcmp(child, first, sizeof(first)) != 0);
}

void t_main(void)
{
	RUN(t_distinct);
	RUN(t_odd_sizes);
	RUN(t_large);
	RUN(t_empty);
	RUN(t_fork);
}
