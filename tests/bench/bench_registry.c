/* bench_registry.c: the registry alone, as hc-issued's new codes use it:
 * THREADS threads each apply changes that create a person with one input,
 * a status and a code (a 620-byte JWS), durably (group commit), on a fresh
 * registry in the build directory (never tmpfs). Printed per change: the
 * CPU of this process (user and system, from getrusage), the bytes it
 * wrote to storage (/proc/self/io write_bytes: the WAL and the
 * checkpoints; it varies with how many pages a checkpoint finds written
 * twice), the pages the commits appended to the WAL (the steadier figure:
 * pages a change dirties) and the changes per commit, against the
 * service's budget:
 * 5,000 new codes/s on 2 cores is 400 us of CPU for everything a request
 * costs, of which the registry is one part.
 *
 * usage: bench_registry BUILD_DIR [CHANGES]  (default 20000) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "hc_crypto.h"
#include "hc_sign.h"
#include "registry.h"

#define THREADS 16

static struct reg *reg;
static int per_thread;
static char jws[621];

static void key_of(int n, char out[REG_KEY_LEN + 1])
{
	uint8_t h[32];
	char s[32];

	(void)snprintf(s, sizeof(s), "bench-person-%d", n);
	if (hc_sha256((const uint8_t *)s, strlen(s), h) != HC_OK ||
	    hc_b64u_encode(h, 32, out, REG_KEY_LEN + 1) != HC_OK)
		abort();
}

static void *worker(void *arg)
{
	int t = *(const int *)arg;

	for (int i = 0; i < per_thread; i++) {
		int n = t * per_thread + i;
		char key[REG_KEY_LEN + 1], input[96];
		uint8_t j[16];
		struct reg_code k;
		struct reg_change c;
		struct reg_input in;
		const char *why[1] = {"nat-negative"};
		int64_t now = (int64_t)time(NULL);

		key_of(n, key);
		memset(&k, 0, sizeof(k));
		if (hc_random(j, sizeof(j)) != HC_OK ||
		    hc_b64u_encode(j, sizeof(j), k.jti, sizeof(k.jti)) != HC_OK)
			abort();
		memcpy(k.person, key, sizeof(k.person));
		k.st = HC_ST_GREEN;
		(void)snprintf(k.why[0], HC_WHY_LEN, "nat-negative");
		k.nwhy = 1;
		(void)snprintf(k.policy, sizeof(k.policy), "default-1");
		(void)snprintf(k.kid, sizeof(k.kid), "bench-kid");
		k.iat = now;
		k.exp = now + 86400;
		k.jws = jws;
		(void)snprintf(input, sizeof(input),
			       "{\"at\":\"2026-11-30T08:00:00+08:00\",\"result\":\"negative\",\"n\":%d}", n);
		in.kind = "nat";
		in.json = input;
		in.source = "counter-1";
		in.cause = "req";
		in.at = now;
		memset(&c, 0, sizeof(c));
		c.actor = "counter-1";
		c.cause = "req";
		c.action = "record";
		c.now = now;
		c.person = key;
		c.name = "张*";
		c.id = "330**************1234";
		c.expect_version = 0;
		c.inputs = &in;
		c.ninputs = 1;
		c.has_status = true;
		c.st = HC_ST_GREEN;
		c.why = why;
		c.nwhy = 1;
		c.code = &k;
		if (reg_apply(reg, &c, NULL) != HC_OK) {
			fprintf(stderr, "bench_registry: reg_apply: %s\n", hc_detail());
			abort();
		}
	}
	return NULL;
}

static long long io_written(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	long long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "write_bytes: ", 13) == 0) {
			v = strtoll(line + 13, NULL, 10);
			break;
		}
	if (f)
		(void)fclose(f);
	return v;
}

static double secs(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	char path[4096];
	pthread_t th[THREADS];
	struct rusage r0, r1;
	struct timespec w0, w1;
	struct reg_stats st0, st1;
	long long b0, b1;
	int total = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 20000, ids[THREADS];
	double wall, user, sys;

	if (argc < 2 || total < THREADS) {
		fprintf(stderr, "usage: bench_registry BUILD_DIR [CHANGES >= %d]\n", THREADS);
		return 2;
	}
	per_thread = total / THREADS;
	memset(jws, 'A', sizeof(jws) - 1);
	(void)snprintf(path, sizeof(path), "%s/bench-registry.%d.db", argv[1], (int)getpid());
	if (reg_open(path, true, &reg) != HC_OK) {
		fprintf(stderr, "bench_registry: %s: %s\n", path, hc_detail());
		return 2;
	}
	if (reg_stats(reg, 0, &st0) != HC_OK)
		return 2;
	b0 = io_written();
	(void)getrusage(RUSAGE_SELF, &r0);
	(void)clock_gettime(CLOCK_MONOTONIC, &w0);
	for (int t = 0; t < THREADS; t++)
		if ((ids[t] = t, pthread_create(&th[t], NULL, worker, &ids[t])) != 0)
			return 2;
	for (int t = 0; t < THREADS; t++)
		(void)pthread_join(th[t], NULL);
	(void)clock_gettime(CLOCK_MONOTONIC, &w1);
	(void)getrusage(RUSAGE_SELF, &r1);
	b1 = io_written();
	if (reg_stats(reg, 0, &st1) != HC_OK)
		return 2;
	reg_close(reg);
	total = per_thread * THREADS;
	wall = (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) / 1e9;
	user = secs(&r1.ru_utime) - secs(&r0.ru_utime);
	sys = secs(&r1.ru_stime) - secs(&r0.ru_stime);
	printf("registry: %d new people with a code each, %d threads, durable\n", total, THREADS);
	printf("  %.0f changes/s wall; CPU %.0f us a change (%.0f user, %.0f system)"
	       "   budget of a whole request 400 us   ratio %.2f\n",
	       total / wall, (user + sys) * 1e6 / total, user * 1e6 / total, sys * 1e6 / total,
	       (user + sys) * 1e6 / total / 400.0);
	printf("  %.1f KiB written a change; %.2f WAL pages a change; %.1f changes a commit"
	       " (%lld commits)\n",
	       b0 >= 0 && b1 >= 0 ? (double)(b1 - b0) / 1024.0 / total : -1.0,
	       (double)(st1.wal_pages - st0.wal_pages) / total,
	       (double)(st1.changes - st0.changes) / (double)(st1.commits - st0.commits),
	       (long long)(st1.commits - st0.commits));
	{
		int64_t n = st1.commits - st0.commits, ck = st1.self_ck - st0.self_ck;

		printf("  commits %.2f ms on average (written and synced), ms at most:",
		       n > 0 ? (double)(st1.commit_us - st0.commit_us) / 1e3 / (double)n : 0.0);
		for (int i = 0; i < REG_HIST_SLOTS; i++) {
			if (i < REG_HIST_SLOTS - 1)
				printf(" %g", (double)reg_commit_le_us[i] / 1e3);
			else
				printf(" more");
			printf(" %lld%s", (long long)(st1.commit_hist[i] - st0.commit_hist[i]),
			       i < REG_HIST_SLOTS - 1 ? "," : "\n");
		}
		printf("  the writer's own checkpoints (every change waiting): %lld, %.1f ms each\n",
		       (long long)ck,
		       ck > 0 ? (double)(st1.self_ck_us - st0.self_ck_us) / 1e3 / (double)ck : 0.0);
	}
	(void)unlink(path);
	(void)snprintf(path + strlen(path), sizeof(path) - strlen(path), "-wal");
	(void)unlink(path);
	path[strlen(path) - 4] = '\0';
	(void)snprintf(path + strlen(path), sizeof(path) - strlen(path), "-shm");
	(void)unlink(path);
	return 0;
}
