/* t_registry_census.c: reg_stats's codes[] (hc_codes), counted from the
 * census of the unrevoked codes by expiry minute kept in memory
 * (registry_sqlite_census.c), is exactly SQL's count of the codes
 * unrevoked with exp > now, at the wall clock and around it, after rounds
 * of random changes from several threads while another thread scrapes
 * (the first scrape builds the census while the changes commit): new
 * codes of each status with all sorts of expiries, supersessions by a
 * status change, admin revocations, batches in which a change fails after
 * it wrote (a jti taken: the batch runs again with a savepoint each; a
 * person said to be new who is not: again, reading new people first) or
 * before (a duplicate event); and after the registry is opened again. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reg_fx.h"
#include "t.h"

#define THREADS 4
#define ROUNDS 4
#define OPS 48     /* operations a thread a round */
#define PEOPLE 16  /* a thread's: their status changes supersede codes */
#define MAXJTI (ROUNDS * OPS * 6)
#define BATCH 5

struct worker {
	struct reg *r;
	int id;
	uint64_t rng;
	int njti;                 /* jtis made (issued or refused) */
	int64_t exp[MAXJTI];      /* their expiries */
	bool issued[MAXJTI];      /* stored */
	bool made[PEOPLE];        /* the thread's people made */
	int last;                 /* the last jti stored, or -1 */
	int nev;                  /* events sent */
	int bad;                  /* unexpected answers */
	char why[200];
};

static uint64_t rnd(struct worker *w)
{
	/* xorshift64* */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return (w->rng * 0x2545F4914F6CDD1DULL) >> 11;
}

static void bad(struct worker *w, const char *what, hc_err err)
{
	if (!w->bad++)
		(void)snprintf(w->why, sizeof(w->why), "thread %d: %s: %s (%s)", w->id, what,
			       hc_strerror(err), hc_detail());
}

/* An expiry of any sort around now: past, in this minute or the next
 * ones, on a minute's bounds, hours or 30 days ahead. */
static int64_t pick_exp(struct worker *w, int64_t now)
{
	switch (rnd(w) % 8) {
	case 0:
		return now - 1 - (int64_t)(rnd(w) % 600);
	case 1:
		return now + (int64_t)(rnd(w) % 150);
	case 2:
		return (now / 60 + 1 + (int64_t)(rnd(w) % 4)) * 60 - 1 + (int64_t)(rnd(w) % 3);
	case 3:
		return now + 30 * (int64_t)DAY - (int64_t)(rnd(w) % 120);
	default:
		return now + (int64_t)(rnd(w) % (3ULL * 3600));
	}
}

/* A change to one of the thread's people (a random one): status st, and
 * a code of that status numbered n (-1: none) with a random expiry; the
 * person's index. */
static int one_change(struct worker *w, struct reg_change *c, struct reg_code *k, char *key,
		      char *jti, int n, enum hc_status st, int64_t now)
{
	int p = (int)(rnd(w) % PEOPLE);

	make_key(10000 * (w->id + 1) + p, key);
	change_base(c, key, now);
	c->has_status = true;
	c->st = st;
	if (n >= 0) {
		int64_t exp = pick_exp(w, now);

		make_jti(500 + w->id, n, jti);
		make_code(k, key, jti, st, exp < now ? exp - 10 : now, exp);
		c->code = k;
		if (n < MAXJTI)
			w->exp[n] = exp;
	}
	return p;
}

static void issued(struct worker *w, int n)
{
	w->issued[n] = true;
	w->last = n;
}

static int new_jti(struct worker *w)
{
	return w->njti < MAXJTI ? w->njti++ : MAXJTI - 1;
}

/* A batch: new codes (and statuses), one of which fails after it wrote
 * its person's status (the writer rolls the batch back and runs it again):
 * its jti was issued before (again with a savepoint each), or its person
 * is said to be new and is not (again with every new person read first);
 * and two with the same event (the later fails before it writes). */
static void batch(struct worker *w, int64_t now)
{
	struct reg_change c[BATCH];
	struct reg_code k[BATCH];
	char key[BATCH][REG_KEY_LEN + 1], jti[BATCH][REG_JTI_LEN + 1], ev[32];
	hc_err err[BATCH], want[BATCH];
	unsigned how = (unsigned)(rnd(w) % 3);  /* 0: none fails so; 1: jti; 2: person */
	int dup = 1 + (int)(rnd(w) % (BATCH - 2));  /* neither event's change */
	int nj[BATCH], who[BATCH];

	if (how == 1 && w->last < 0)
		how = 0;
	(void)snprintf(ev, sizeof(ev), "ev-%d-%d", w->id, w->nev++);
	for (int i = 0; i < BATCH; i++) {
		int n = how == 1 && i == dup ? w->last : new_jti(w);

		nj[i] = n;
		who[i] = one_change(w, &c[i], &k[i], key[i], jti[i], n,
				    (enum hc_status)(rnd(w) % 3), now);
		want[i] = how == 1 && i == dup ? HC_ERR_EXISTS : HC_OK;
	}
	if (how == 2 && w->made[who[dup]]) {
		c[dup].new_person = true;
		c[dup].expect_version = 0;
		want[dup] = HC_ERR_CONFLICT;
	}
	/* the event of the first twice: the later change fails (before the
	 * jti check, so that one fails this way whatever it holds) */
	for (int i = 0; i < 2; i++) {
		int at = i ? BATCH - 1 : 0;

		c[at].action = "event";
		c[at].actor = "lab-1";
		c[at].event = ev;
	}
	want[BATCH - 1] = HC_ERR_EXISTS;
	if (reg_apply_many(w->r, c, BATCH, err, NULL, NULL) != HC_OK) {
		bad(w, "reg_apply_many", HC_ERR_NOMEM);
		return;
	}
	for (int i = 0; i < BATCH; i++)
		if (err[i] != want[i]) {
			bad(w, "a change of a batch", err[i]);
		} else if (err[i] == HC_OK) {
			issued(w, nj[i]);
			w->made[who[i]] = true;
		}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < OPS; i++) {
		int64_t now = hc_now();
		unsigned op = (unsigned)(rnd(w) % 10);
		struct reg_change c;
		struct reg_code k;
		char key[REG_KEY_LEN + 1], jti[REG_JTI_LEN + 1];
		bool already;
		int64_t at;
		hc_err err;

		if (op <= 5) {
			/* a new code, or (5) a status change alone */
			int n = op == 5 ? -1 : new_jti(w);

			int p = one_change(w, &c, &k, key, jti, n, (enum hc_status)(rnd(w) % 3),
					   now);

			if ((err = reg_apply(w->r, &c, NULL)) != HC_OK) {
				bad(w, "reg_apply", err);
				continue;
			}
			w->made[p] = true;
			if (n >= 0)
				issued(w, n);
		} else if (op == 6) {
			batch(w, now);
		} else if (op <= 8 && w->njti) {
			/* an admin revocation: of a code issued, perhaps
			 * revoked already, or of a jti refused */
			int n = (int)(rnd(w) % (uint64_t)w->njti);

			make_jti(500 + w->id, n, jti);
			err = reg_revoke(w->r, jti, "test", "admin-1", "req-2", now, &already, &at);
			if (err != (w->issued[n] ? HC_OK : HC_ERR_NOT_FOUND))
				bad(w, "reg_revoke", err);
		} else {
			make_jti(999, i, jti);
			if ((err = reg_revoke(w->r, jti, "test", "admin-1", "req-2", now, &already,
					      &at)) != HC_ERR_NOT_FOUND)
				bad(w, "reg_revoke of an unknown jti", err);
		}
	}
	return NULL;
}

struct scraper {
	struct reg *r;
	volatile int stop;
	int n, failed;
};

/* reg_stats at the wall clock again and again while the writers run
 * (the first builds the census meanwhile). */
static void *scraper_main(void *arg)
{
	struct scraper *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		struct reg_stats st;

		if (reg_stats(s->r, hc_now(), &st) != HC_OK)
			s->failed++;
		s->n++;
	}
	return NULL;
}

/* reg_stats's codes[] at now against SQL's count, on the file. */
static void compare(struct reg *r, sqlite3 *db, int64_t now, const char *what)
{
	struct reg_stats st;
	int64_t want[3] = {0, 0, 0};
	sqlite3_stmt *s = NULL;

	CHECK_ERR(reg_stats(r, now, &st), HC_OK);
	CHECK(sqlite3_prepare_v2(db,
				 "SELECT status, count(*) FROM codes WHERE revoked_at = 0 AND"
				 " exp > ?1 GROUP BY status",
				 -1, &s, NULL) == SQLITE_OK);
	if (!s)
		return;
	(void)sqlite3_bind_int64(s, 1, now);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int k = sqlite3_column_int(s, 0);

		if (k >= 0 && k < 3)
			want[k] = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	for (int k = 0; k < 3; k++)
		if (st.codes[k] != want[k])
			t_fail(__FILE__, __LINE__, "%s (now %lld): status %d: %lld codes, SQL %lld",
			       what, (long long)now, k, (long long)st.codes[k],
			       (long long)want[k]);
}

/* At times around the clock and the codes' expiries: the future first
 * (which must not drop the present's minutes), then the present, then
 * the past (counted by SQL). */
static void compare_all(struct reg *r, const char *path, const struct worker *w)
{
	sqlite3 *db = sql_open(path);
	int64_t now = hc_now();

	if (!db)
		return;
	compare(r, db, now + 30 * (int64_t)DAY + 60, "after the last expiry");
	compare(r, db, now + (int64_t)3 * 3600, "in 3 h");
	for (int t = 0; t < THREADS; t++)
		for (int i = 0; i < w[t].njti && i < MAXJTI; i += 7)
			for (int64_t d = -1; d <= 1; d++)
				if (w[t].exp[i] + d >= now)
					compare(r, db, w[t].exp[i] + d, "around an expiry");
	compare(r, db, now + 61, "in 61 s");
	compare(r, db, now + 59, "in 59 s");
	compare(r, db, now - now % 60 + 60, "next minute");
	compare(r, db, now - now % 60 + 59, "this minute's last second");
	now = hc_now();
	compare(r, db, now, "now");
	compare(r, db, now - now % 60, "this minute's first second");
	compare(r, db, now - 3600, "an hour ago");
	compare(r, db, NOW, "NOW");
	compare(r, db, now, "now again");
	(void)sqlite3_close(db);
}

static void census(void)
{
	const char *path = in_dir("census.db");
	struct reg *r = NULL;
	static struct worker w[THREADS];
	pthread_t th[THREADS], sc;

	CHECK_ERR(reg_open(path, true, &r), HC_OK);
	if (!r)
		return;
	for (int t = 0; t < THREADS; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].id = t;
		w[t].last = -1;
		w[t].rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(t + 1) ^ (uint64_t)hc_now();
	}
	for (int round = 0; round < ROUNDS; round++) {
		struct scraper s = {.r = r};
		int started = 0;

		if (round == ROUNDS / 2) {
			/* opened again: the census is built anew, from the file */
			reg_close(r);
			r = NULL;
			CHECK_ERR(reg_open(path, false, &r), HC_OK);
			if (!r)
				return;
			compare_all(r, path, w);
			s.r = r;
		}
		CHECK(pthread_create(&sc, NULL, scraper_main, &s) == 0);
		for (int t = 0; t < THREADS; t++) {
			w[t].r = r;
			if (pthread_create(&th[t], NULL, worker_main, &w[t]) == 0)
				started++;
		}
		CHECK(started == THREADS);
		for (int t = 0; t < started; t++)
			(void)pthread_join(th[t], NULL);
		__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
		(void)pthread_join(sc, NULL);
		CHECK(s.failed == 0 && s.n > 0);
		for (int t = 0; t < THREADS; t++)
			if (w[t].bad)
				t_fail(__FILE__, __LINE__, "%d unexpected: %s", w[t].bad, w[t].why);
		compare_all(r, path, w);
	}
	reg_close(r);
	r = NULL;
	CHECK_ERR(reg_open(path, false, &r), HC_OK);
	if (r) {
		compare_all(r, path, w);
		(void)check_chain(r);
		reg_close(r);
	}
}

void t_main(void)
{
	dir = t_tmpdir();
	RUN(census);
	fx_cleanup();
}
