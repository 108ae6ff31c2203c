/* t_registry_load.c: the SQLite registry under load: 64 threads applying
 * changes (all succeed, commits are shared, a failing change in a batch
 * fails alone, the chain stays contiguous; the rate and the batch sizes
 * are printed), and a process applying changes killed with kill -9 again
 * and again (every acknowledged change is there, the chain is intact, no
 * jti twice). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reg_fx.h"
#include "t.h"

/* ---- 64 threads: every change succeeds, commits are shared ---- */

#define THREADS 64
#define PER_THREAD 24
#define CHANGES ((int64_t)THREADS * PER_THREAD)

struct worker {
	struct reg *r;
	int id;
	int failed;
};

/* A change for a new person that reuses jti: it must fail alone, in
 * whatever batch it lands, and leave no trace (no person). */
static int reuse_jti(struct reg *r, int n, const char *jti)
{
	char key[REG_KEY_LEN + 1];
	struct reg_input in = {"nat", "{\"result\":\"positive\"}", "counter-1", NULL, NOW};
	struct reg_person p;
	struct reg_change c;
	struct reg_code k;

	make_key(n, key);
	status_change(&c, key, &in, HC_ST_RED, &k, jti);
	if (reg_apply(r, &c, NULL) != HC_ERR_EXISTS)
		return 1;
	return reg_person_get(r, key, &p) == HC_ERR_NOT_FOUND ? 0 : 1;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		char key[REG_KEY_LEN + 1], jti[REG_JTI_LEN + 1];
		struct reg_input in = {"nat", "{\"result\":\"negative\"}", "counter-1", NULL, NOW};
		struct reg_change c;
		struct reg_code k;

		make_key(1000 + w->id * PER_THREAD + i, key);
		make_jti(w->id + 100, i, jti);
		status_change(&c, key, &in, HC_ST_GREEN, &k, jti);
		c.expect_version = 0;
		if (reg_apply(w->r, &c, NULL) != HC_OK)
			w->failed++;
		if (i % 8 == 7)
			w->failed += reuse_jti(w->r, 900000 + w->id * PER_THREAD + i, jti);
	}
	return NULL;
}


static void concurrent(void)
{
	struct reg *r = NULL;
	struct worker w[THREADS];
	pthread_t th[THREADS];
	struct reg_stats st;
	double t0, t1;
	int failed = 0;

	CHECK_ERR(reg_open(in_dir("many.db"), true, &r), HC_OK);
	if (!r)
		return;
	t0 = now_s();
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){r, i, 0};
		CHECK(pthread_create(&th[i], NULL, worker_main, &w[i]) == 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		failed += w[i].failed;
	}
	t1 = now_s();
	CHECK(failed == 0);
	CHECK_ERR(reg_stats(r, NOW, &st), HC_OK);
	CHECK(st.people == CHANGES && st.codes[HC_ST_GREEN] == CHANGES);
	CHECK(st.changes == CHANGES);
	CHECK(st.commits < st.changes);
	CHECK(check_chain(r) == 3 * CHANGES);
	/* The checkpointer copies pages into the database file while the
	 * registry is open (a new one is a few pages of schema): woken after
	 * every 32,768 frames the commits append, or a second after the last
	 * commit (these changes append fewer), so it is given up to 10 s. */
	{
		struct stat sb;
		bool copied = false;

		for (int i = 0; i < 200 && !copied; i++) {
			copied = stat(in_dir("many.db"), &sb) == 0 && sb.st_size > (off_t)256 * 1024;
			if (!copied)
				(void)poll(NULL, 0, 50);
		}
		CHECK(copied);
	}
	printf("  %d changes by %d threads in %.2f s: %.0f changes/s, %lld commits, "
	       "%.1f changes per commit\n  batch sizes 1, 2-3, 4-7, ..., >=128:",
	       (int)CHANGES, THREADS, t1 - t0, (double)CHANGES / (t1 - t0),
	       (long long)st.commits, st.commits ? (double)st.changes / (double)st.commits : 0.0);
	for (int i = 0; i < REG_HIST_SLOTS; i++)
		printf(" %lld", (long long)st.batch_hist[i]);
	printf("\n");
	reg_close(r);
}

/* ---- kill -9 of a process that is applying changes ---- */

#define ROUNDS 5
#define CHILD_THREADS 8
#define MAX_ACKED 200000

struct child_worker {
	int round, id, fd;
	struct reg *r;
};

static void *child_main(void *arg)
{
	struct child_worker *w = arg;

	for (int i = 0;; i++) {
		char key[REG_KEY_LEN + 1], jti[REG_JTI_LEN + 2];
		struct reg_input in = {"nat", "{\"result\":\"negative\"}", "lab", NULL, NOW};
		struct reg_change c;
		struct reg_code k;

		make_key(w->round * 10000000 + w->id * 1000000 + i, key);
		make_jti(w->round * 100 + w->id, i, jti);
		status_change(&c, key, &in, HC_ST_GREEN, &k, jti);
		if (reg_apply(w->r, &c, NULL) != HC_OK)
			_exit(4);
		jti[REG_JTI_LEN] = '\n';
		if (write(w->fd, jti, REG_JTI_LEN + 1) != REG_JTI_LEN + 1) /* atomic: < PIPE_BUF */
			_exit(5);
	}
	return NULL;
}

static void child_run(const char *path, int round, int fd)
{
	struct child_worker w[CHILD_THREADS];
	pthread_t th;
	struct reg *r = NULL;

	if (reg_open(path, false, &r) != HC_OK)
		_exit(3);
	for (int i = 0; i < CHILD_THREADS; i++) {
		w[i] = (struct child_worker){round, i, fd, r};
		if (pthread_create(&th, NULL, child_main, &w[i]) != 0)
			_exit(3);
	}
	for (;;)
		pause();
}

static int jti_cmp(const void *a, const void *b)
{
	return memcmp(a, b, REG_JTI_LEN);
}

struct issued {
	char (*jti)[REG_JTI_LEN];
	size_t n;
};

static hc_err issued_fn(void *arg, int64_t seq, const char *line, size_t n)
{
	struct issued *is = arg;
	cJSON *j = cJSON_ParseWithLength(line, n);
	const cJSON *a = cJSON_GetObjectItem(j, "action"), *k = cJSON_GetObjectItem(j, "jti");

	(void)seq;
	if (cJSON_IsString(a) && strcmp(a->valuestring, "issue") == 0 && cJSON_IsString(k) &&
	    is->n < MAX_ACKED && strlen(k->valuestring) == REG_JTI_LEN)
		memcpy(is->jti[is->n++], k->valuestring, REG_JTI_LEN);
	cJSON_Delete(j);
	return HC_OK;
}

/* xorshift32: delays that differ from run to run, printed to repeat one. */
static unsigned next_rand(unsigned *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void durability(void)
{
	const char *path = in_dir("kill.db");
	char (*acked)[REG_JTI_LEN] = calloc(MAX_ACKED, REG_JTI_LEN);
	struct issued is = {calloc(MAX_ACKED, REG_JTI_LEN), 0};
	size_t nacked = 0, missing = 0, dup = 0;
	unsigned seed = ((unsigned)time(NULL) ^ (unsigned)getpid()) | 1;
	struct reg *r = NULL;
	sqlite3 *db;

	if (!acked || !is.jti)
		abort();
	CHECK_ERR(reg_open(path, true, &r), HC_OK);
	reg_close(r);
	printf("  kill -9 rounds, seed %u:", seed);
	for (int round = 0; round < ROUNDS; round++) {
		char buf[4096], part[REG_JTI_LEN + 1];
		size_t plen = 0, first;
		int fds[2], status = 0, delay_ms = 150 + (int)(next_rand(&seed) % 400);
		double end;
		pid_t pid;

		CHECK(pipe(fds) == 0);
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid == 0) {
			close(fds[0]);
			child_run(path, round, fds[1]);
		}
		close(fds[1]);
		/* The delay runs from the first acknowledged change (10 s at
		 * most), so that a slow start (valgrind) still kills mid-work. */
		end = now_s() + 10;
		first = nacked;
		for (;;) {
			struct pollfd pf = {fds[0], POLLIN, 0};
			int left = (int)((end - now_s()) * 1000);
			ssize_t got;

			if (left > 0 && poll(&pf, 1, left) <= 0)
				continue;
			if (left <= 0 && pid > 0) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				pid = 0;
			}
			got = read(fds[0], buf, sizeof(buf));
			if (got <= 0) {
				if (got < 0 && errno == EINTR)
					continue;
				if (pid == 0 || got == 0)
					break;
				continue;
			}
			for (ssize_t i = 0; i < got; i++) {
				if (buf[i] != '\n') {
					if (plen < REG_JTI_LEN)
						part[plen] = buf[i];
					plen++;
					continue;
				}
				if (plen == REG_JTI_LEN && nacked < MAX_ACKED)
					memcpy(acked[nacked++], part, REG_JTI_LEN);
				plen = 0;
			}
			if (first != SIZE_MAX && nacked > first) {
				end = now_s() + delay_ms / 1000.0;
				first = SIZE_MAX;
			}
		}
		if (pid > 0) { /* the child died by itself */
			waitpid(pid, &status, 0);
		}
		close(fds[0]);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		CHECK(plen == 0);
		CHECK(first == SIZE_MAX); /* killed after it acknowledged */
		printf(" %d ms/%zu", delay_ms, nacked);
	}
	printf(" acknowledged\n");
	CHECK(nacked > 0);

	CHECK_ERR(reg_open(path, false, &r), HC_OK);
	if (!r)
		goto out;
	check_chain(r);
	CHECK_ERR(reg_audit_read(r, 0, SIZE_MAX, issued_fn, &is), HC_OK);
	db = sql_open(path);
	for (size_t i = 0; i < nacked; i++) {
		char jti[REG_JTI_LEN + 1];

		memcpy(jti, acked[i], REG_JTI_LEN);
		jti[REG_JTI_LEN] = '\0';
		if (sql_int(db, "SELECT count(*) FROM codes WHERE jti = ?1", jti, NULL, 0) != 1)
			missing++;
	}
	CHECK(sql_int(db, "SELECT count(*) FROM codes", NULL, NULL, 0) == (int64_t)is.n);
	/* SQLite's own checks: pages, indexes and foreign keys. */
	CHECK(sql_int(db,
		      "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'",
		      NULL, NULL, 0) == 1);
	CHECK(sql_int(db, "SELECT count(*) FROM pragma_foreign_key_check", NULL, NULL, 0) == 0);
	sqlite3_close(db);
	CHECK(missing == 0);
	CHECK(is.n >= nacked);
	qsort(is.jti, is.n, REG_JTI_LEN, jti_cmp);
	for (size_t i = 1; i < is.n; i++)
		if (memcmp(is.jti[i - 1], is.jti[i], REG_JTI_LEN) == 0)
			dup++;
	CHECK(dup == 0);
	printf("  after %d kills: %zu acknowledged, %zu issued in the chain, %zu missing, %zu "
	       "twice\n",
	       ROUNDS, nacked, is.n, missing, dup);
	reg_close(r);
out:
	free(acked);
	free(is.jti);
}


void t_main(void)
{
	dir = t_tmpdir();
	RUN(concurrent);
	RUN(durability);
	fx_cleanup();
}
