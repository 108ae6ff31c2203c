/* registry_sqlite_census.c: hc_codes (reg_stats's codes[]: the
 * unrevoked codes with exp > now, by status) counted from a census kept
 * in memory of the unrevoked codes by expiry minute, so that a scrape
 * costs the minutes of validity, not the codes. SQL's count read every
 * unexpired code through codes_open: with 10^6 of them 0.25-0.7 s a
 * scrape with the file cached and ~0.8-3 s from the disk.
 *
 * The census holds, for every minute m >= floor (m = exp / 60 rounded
 * down), the unrevoked codes expiring in it by status, exactly as the
 * committed registry has them. The first reg_stats builds it (one scan of
 * codes_open from its floor on: the cost of one count as before, so that
 * the programs that never ask, `hc-issued token` and `backup`, do not pay
 * it at open). The writer notes what each job changes (a code inserted:
 * +1 at its exp and status, a code revoked: -1, rs_census_note), keeps it
 * pending in its connection while the transaction may still be rolled
 * back (all of it on a rollback, a failed job's share back to its mark),
 * and adds it to the census under the census's lock held across its
 * COMMIT (rs_census_apply), before any waiter is woken. A count then
 * reads the census under that lock and fixes its read transaction's
 * snapshot there too: no commit can be half seen (in the snapshot and not
 * yet in the census, or the reverse). It sums the minutes after now's and
 * counts now's own minute (exp in (now, next minute)) by SQL over
 * codes_open, a range of one minute of expiries.
 *
 * Only this process's writer is seen: the codes of a registry are written
 * only by the hc-issued serve that holds it (under its lock; `hc-issued
 * token` writes tokens only), and a migration runs at open, before the
 * census is built. A time before the floor (the clock set back, a caller
 * asking about the past) is counted by SQL, as before. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry_sqlite.h"

/* The times the census answers for (a minute's bounds never overflow);
 * others are counted by SQL. */
#define SANE(t) ((t) >= 0 && (t) < INT64_MAX / 4)

/* exp / 60 rounded down (an odd exp may be negative). */
static int64_t minute_of(int64_t t)
{
	int64_t m = t / 60;

	return t % 60 < 0 ? m - 1 : m;
}

hc_err rs_census_note(struct conn *c, int64_t exp, int st, int d)
{
	if (c->ndl == c->capdl) {
		size_t cap = c->capdl ? 2 * c->capdl : 64;
		struct rs_delta *v = realloc(c->dl, cap * sizeof(*v));

		if (!v) {
			hc_set_detail("registry: no memory for the census");
			return HC_ERR_NOMEM;
		}
		c->dl = v;
		c->capdl = cap;
	}
	c->dl[c->ndl++] = (struct rs_delta){.exp = exp, .st = st, .d = d};
	return HC_OK;
}

/* Adds d codes of status st to minute m of v (kept sorted by minute;
 * codes are mostly issued in expiry order, so mostly the last or a new
 * last); false when out of memory. */
static bool minute_add(struct rs_minutes *v, int64_t m, int st, int64_t d)
{
	size_t lo = v->n, hi = v->n;  /* a new last, unless found below */

	if (v->n && v->b[v->n - 1].m == m) {
		v->b[v->n - 1].n[st] += d;
		return true;
	}
	if (v->n && v->b[v->n - 1].m > m) {
		lo = 0;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (v->b[mid].m < m)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (v->b[lo].m == m) {
			v->b[lo].n[st] += d;
			return true;
		}
	}
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 256;
		struct rs_minute *b = realloc(v->b, cap * sizeof(*b));

		if (!b)
			return false;
		v->b = b;
		v->cap = cap;
	}
	memmove(&v->b[lo + 1], &v->b[lo], (v->n - lo) * sizeof(*v->b));
	v->b[lo] = (struct rs_minute){.m = m};
	v->b[lo].n[st] = d;
	v->n++;
	return true;
}

static void census_clear(struct rs_census *k)
{
	free(k->min.b);
	memset(&k->min, 0, sizeof(k->min));
	memset(k->total, 0, sizeof(k->total));
}

void rs_census_free(struct rs_census *k)
{
	census_clear(k);
	k->state = RS_CENSUS_NONE;
}

/* The minutes before low dropped (their codes expired at any time the
 * census answers for from now on). */
static void census_drop(struct rs_census *k, int64_t low)
{
	size_t i = 0;

	if (low <= k->floor)
		return;
	while (i < k->min.n && k->min.b[i].m < low) {
		for (int s = 0; s < RS_STATUSES; s++)
			k->total[s] -= k->min.b[i].n[s];
		i++;
	}
	memmove(k->min.b, &k->min.b[i], (k->min.n - i) * sizeof(*k->min.b));
	k->min.n -= i;
	k->floor = low;
}

void rs_census_apply(struct rs_census *k, struct conn *c)
{
	int64_t wall = hc_now();

	/* the minutes gone, also when nobody asks for a while (a minute's
	 * worth of memory a minute otherwise) */
	if (k->state == RS_CENSUS_READY && SANE(wall))
		census_drop(k, minute_of(wall));
	for (size_t i = 0; k->state != RS_CENSUS_NONE && i < c->ndl; i++) {
		const struct rs_delta *x = &c->dl[i];
		int64_t m = minute_of(x->exp);

		/* a status reg_stats does not count (never one the writer
		 * stores), or a minute before the census */
		if (x->st < 0 || x->st >= RS_STATUSES || m < k->floor)
			continue;
		if (!minute_add(&k->min, m, x->st, x->d)) {
			/* counted by SQL until the next build */
			census_clear(k);
			k->state = RS_CENSUS_NONE;
			break;
		}
		k->total[x->st] += x->d;
	}
	c->ndl = 0;
}

/* The codes of the minutes after m0. */
static void census_after(const struct rs_census *k, int64_t m0, int64_t codes[RS_STATUSES])
{
	memcpy(codes, k->total, sizeof(k->total));
	for (size_t i = 0; i < k->min.n && k->min.b[i].m <= m0; i++)
		for (int s = 0; s < RS_STATUSES; s++)
			codes[s] -= k->min.b[i].n[s];
}

/* The census built from the registry as c's snapshot has it, from the
 * minute floor on, merged with what the writer added since that snapshot
 * (the census of generation gen, unless it was dropped meanwhile); the
 * count at now from the same rows. */
static hc_err build(struct rs_census *k, struct conn *c, int64_t floor, unsigned gen,
		    int64_t now, int64_t codes[RS_STATUSES])
{
	struct rs_minutes base = {0}, all = {0};
	sqlite3_stmt *s = rs_q(c, S_CODES_BY_EXP, "i", floor * 60);
	hc_err err = s ? HC_OK : HC_ERR_STORE;
	int rc = SQLITE_DONE;

	while (s && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t exp = sqlite3_column_int64(s, 0);
		int st = sqlite3_column_int(s, 1);

		if (st < 0 || st >= RS_STATUSES)
			continue;
		if (exp > now)
			codes[st]++;
		if (!minute_add(&base, minute_of(exp), st, 1)) {
			hc_set_detail("registry: no memory for the census");
			err = HC_ERR_NOMEM;
			break;
		}
	}
	if (err == HC_OK && rc != SQLITE_DONE)
		err = rs_dberr(c, "codes");
	rs_done(s);
	pthread_mutex_lock(&k->mu);
	if (err != HC_OK || k->state != RS_CENSUS_BUILDING || k->gen != gen) {
		if (k->state == RS_CENSUS_BUILDING && k->gen == gen) {
			census_clear(k);
			k->state = RS_CENSUS_NONE;
		}
		pthread_mutex_unlock(&k->mu);
		free(base.b);
		return err;
	}
	/* base and the writer's additions since, both sorted: merged */
	all.cap = base.n + k->min.n;
	all.b = malloc((all.cap ? all.cap : 1) * sizeof(*all.b));
	if (!all.b) {
		census_clear(k);
		k->state = RS_CENSUS_NONE;
	} else {
		size_t i = 0, j = 0;

		while (i < base.n || j < k->min.n) {
			struct rs_minute x;

			if (j == k->min.n || (i < base.n && base.b[i].m < k->min.b[j].m)) {
				x = base.b[i++];
			} else if (i == base.n || k->min.b[j].m < base.b[i].m) {
				x = k->min.b[j++];
			} else {
				x = base.b[i++];
				for (int st = 0; st < RS_STATUSES; st++)
					x.n[st] += k->min.b[j].n[st];
				j++;
			}
			all.b[all.n++] = x;
		}
		census_clear(k);
		k->min = all;
		for (size_t m = 0; m < all.n; m++)
			for (int st = 0; st < RS_STATUSES; st++)
				k->total[st] += all.b[m].n[st];
		k->state = RS_CENSUS_READY;
	}
	pthread_mutex_unlock(&k->mu);
	free(base.b);
	return HC_OK;
}

/* The codes with exp in (lo, hi) added to codes; or, all, those with
 * exp > lo (SQL's whole count, into codes that are 0). */
static hc_err count_sql(struct conn *c, int64_t lo, int64_t hi, bool all,
			int64_t codes[RS_STATUSES])
{
	sqlite3_stmt *s = all ? rs_q(c, S_N_CODES, "i", lo) : rs_q(c, S_N_CODES_RANGE, "ii", lo, hi);
	hc_err err = HC_OK;
	int rc;

	if (!s)
		return HC_ERR_STORE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int st = sqlite3_column_int(s, 0);

		if (st >= 0 && st < RS_STATUSES)
			codes[st] += sqlite3_column_int64(s, 1);
	}
	if (rc != SQLITE_DONE)
		err = rs_dberr(c, "codes");
	rs_done(s);
	return err;
}

hc_err rs_census_codes(struct reg *r, struct conn *c, int64_t now, int64_t codes[RS_STATUSES])
{
	struct rs_census *k = &r->census;
	enum { BY_SQL, BY_BUILD, BY_CENSUS } how = BY_SQL;
	int64_t wall = hc_now(), m0 = minute_of(now), floor = 0;
	unsigned gen = 0;
	sqlite3_stmt *s;
	hc_err err = HC_OK;

	memset(codes, 0, RS_STATUSES * sizeof(*codes));
	pthread_mutex_lock(&k->mu);
	if (SANE(now) && SANE(wall)) {
		/* the minutes before the earlier of now and the clock: expired
		 * for good (a caller asking about the future does not drop
		 * the present's) */
		int64_t low = minute_of(now < wall ? now : wall);

		if (k->state == RS_CENSUS_NONE) {
			how = BY_BUILD;
			census_clear(k);
			k->state = RS_CENSUS_BUILDING;
			k->floor = floor = low;
			gen = ++k->gen;
		} else if (k->state == RS_CENSUS_READY && m0 >= k->floor) {
			how = BY_CENSUS;
			census_drop(k, low);
			census_after(k, m0, codes);
		}
	}
	/* The read transaction's snapshot, fixed while no commit can reach
	 * the census (the writer holds the lock across its COMMIT). */
	if (!(s = rs_q(c, S_SNAPSHOT, "")))
		err = HC_ERR_STORE;
	else if (sqlite3_step(s) != SQLITE_ROW)
		err = rs_dberr(c, "snapshot");
	rs_done(s);
	if (err != HC_OK && how == BY_BUILD) {
		census_clear(k);
		k->state = RS_CENSUS_NONE;
	}
	pthread_mutex_unlock(&k->mu);
	if (err != HC_OK)
		return err;
	if (how == BY_BUILD)
		return build(k, c, floor, gen, now, codes);
	if (how == BY_CENSUS)
		return count_sql(c, now, (m0 + 1) * 60, false, codes);
	return count_sql(c, now, 0, true, codes);
}
