/* bench_census.c: what a scrape of /metrics costs the registry
 * (reg_stats) with many unexpired codes. A registry is made in the build
 * directory (never tmpfs) and filled by SQL, fast: CODES codes of the
 * three statuses expiring over the next 7 days, one in REVOKED revoked
 * (10; 0: none. hc_codes_revoked counts them: a cost of its own, in time
 * with the revocation list), their JWS a few bytes (the counts read
 * only the indexes).
 * Then reg_stats is timed (wall and CPU) SCRAPES times with the file in the page cache
 * (the first on its own: it builds the census of the codes by expiry
 * minute), then SCRAPES times with the file dropped from the page cache
 * before each (posix_fadvise: the registry was closed, so its pages are
 * clean), and the counts are checked against SQL's.
 *
 * usage: bench_census BUILD_DIR [CODES] [SCRAPES] [REVOKED]  (1000000, 5, 10) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "registry.h"

static double mono(void)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* This thread's CPU (reg_stats reads in the caller's thread): steadier
 * than the wall clock on a shared machine. */
static double cpu(void)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int fill(const char *path, long n, int64_t now, long every)
{
	sqlite3 *db = NULL;
	char q[1024];
	char *msg = NULL;
	int len = snprintf(q, sizeof(q),
			   "BEGIN; INSERT INTO codes (jti, person, status, why, policy, kid, iat,"
			   " exp, revoked_at, superseded_by, jws)"
			   " WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s"
			   " WHERE i < %ld) SELECT printf('%%022d', i), 'p', i %% 3, '[]', 'p', 'k',"
			   " %lld, %lld + 60 + i * 604800 / %ld,"
			   " CASE WHEN i %% %ld = 0 THEN %lld ELSE 0 END, '', 'jws' FROM s; COMMIT;",
			   n, (long long)now, (long long)now, n, every > 0 ? every : n + 1,
			   (long long)now);

	if (len < 0 || (size_t)len >= sizeof(q) ||
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "bench_census: fill: %s\n", msg ? msg : db ? sqlite3_errmsg(db) : "?");
		sqlite3_free(msg);
		(void)sqlite3_close(db);
		return -1;
	}
	return sqlite3_close(db) == SQLITE_OK ? 0 : -1;
}

static int64_t sql_count(const char *path, int64_t now, int st)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db,
			       "SELECT count(*) FROM codes WHERE revoked_at = 0 AND exp > ?1"
			       " AND status = ?2",
			       -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 1, now) == SQLITE_OK && sqlite3_bind_int(s, 2, st) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	(void)sqlite3_close(db);
	return v;
}

static void uncache(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		(void)close(fd);
	}
}

/* k timings of reg_stats at the wall clock less back on one registry
 * opened anew, in ms (the first, which builds the census of the codes by
 * expiry minute, on its own; with back, the census is built at the wall
 * clock first, untimed); with cold, the file dropped from the page cache
 * before each. The last answer in *st. */
static int scrapes(const char *path, int k, bool cold, int64_t back, struct reg_stats *st)
{
	struct reg *r = NULL;

	if (cold)
		uncache(path);
	if (reg_open(path, false, &r) != HC_OK) {
		fprintf(stderr, "bench_census: %s: %s\n", path, hc_detail());
		return -1;
	}
	if (back && reg_stats(r, (int64_t)time(NULL), st) != HC_OK) {
		reg_close(r);
		return -1;
	}
	for (int i = 0; i < k; i++) {
		double t0, c0;

		if (cold)
			uncache(path);
		c0 = cpu();
		t0 = mono();
		if (reg_stats(r, (int64_t)time(NULL) - back, st) != HC_OK) {
			fprintf(stderr, "bench_census: reg_stats: %s\n", hc_detail());
			reg_close(r);
			return -1;
		}
		printf("%s%.2f (%.2f)", i == 0 ? "" : i == 1 ? " | " : " ", (mono() - t0) * 1e3,
		       (cpu() - c0) * 1e3);
	}
	printf(" ms\n");
	reg_close(r);
	return 0;
}

int main(int argc, char **argv)
{
	char path[4096];
	struct reg *r = NULL;
	struct reg_stats st;
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
	int k = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 5;
	long every = argc > 4 ? strtol(argv[4], NULL, 10) : 10;
	int64_t now = (int64_t)time(NULL);
	double t0;

	if (argc < 2 || n < 1 || k < 2) {
		fprintf(stderr, "usage: bench_census BUILD_DIR [CODES] [SCRAPES >= 2] [REVOKED]\n");
		return 2;
	}
	(void)snprintf(path, sizeof(path), "%s/bench-census.%d.db", argv[1], (int)getpid());
	if (reg_open(path, true, &r) != HC_OK) {
		fprintf(stderr, "bench_census: %s: %s\n", path, hc_detail());
		return 2;
	}
	reg_close(r);
	t0 = mono();
	if (fill(path, n, now, every) != 0)
		return 2;
	printf("census: %ld codes filled in %.1f s\n", n, mono() - t0);
	printf("  reg_stats, ms wall (CPU), file cached (first | then): ");
	if (scrapes(path, k, false, 0, &st) != 0)
		return 2;
	printf("  reg_stats, file dropped from the page cache before each (first | then): ");
	if (scrapes(path, k, true, 0, &st) != 0)
		return 2;
	/* the same codes (none expires within the hour) counted at an hour
	 * ago, before the census's first minute: by SQL, as every scrape was */
	printf("  reg_stats an hour back (SQL's count, as before), file cached: ");
	if (scrapes(path, k, false, 3600, &st) != 0)
		return 2;
	now = (int64_t)time(NULL);
	for (int s = 0; s < 3; s++)
		if (st.codes[s] != sql_count(path, now, s)) {
			fprintf(stderr, "bench_census: status %d: %lld codes, SQL %lld\n", s,
				(long long)st.codes[s], (long long)sql_count(path, now, s));
			return 1;
		}
	printf("  counts %lld %lld %lld, as SQL's\n", (long long)st.codes[0],
	       (long long)st.codes[1], (long long)st.codes[2]);
	for (const char *sfx = ""; sfx; sfx = *sfx ? NULL : "-wal") {
		char p[4200];

		(void)snprintf(p, sizeof(p), "%s%s", path, sfx);
		(void)unlink(p);
	}
	return 0;
}
