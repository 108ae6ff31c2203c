/* registry_sqlite_exposure.c: who is exposed by a changed risk-area or
 * venue entry: the travel and visits tables (schema version 2), written
 * with the inputs they come from (registry_sqlite_write.c), keyed by region
 * and by venue. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "registry_sqlite.h"

/* With the person's rowid (the place; the LEFT JOIN keeps travel and
 * visits the outer loop, one people_key lookup a row found). The stays
 * in regions ?1 .. ?2 that overlap days ?3 .. ?4: r walks the regions
 * held in that range (one descent each), and in each the stays that end
 * on ?3 or later are a range of travel_last; those that begin after ?4
 * are left out as they come. Not a range of regions read whole: that is
 * every stay ever made there. */
const char rs_q_travel[] =
	"WITH RECURSIVE r(region) AS ("
	" SELECT (SELECT min(region) FROM travel WHERE region BETWEEN ?1 AND ?2)"
	" UNION ALL SELECT (SELECT min(region) FROM travel WHERE region > r.region"
	" AND region <= ?2) FROM r WHERE r.region IS NOT NULL)"
	" SELECT DISTINCT t.person, p.n FROM r JOIN travel t INDEXED BY travel_last"
	" ON t.region = r.region LEFT JOIN people p ON p.key = t.person"
	" WHERE t.last >= ?3 AND t.first <= ?4";
/* v.n: the visits (inputs) that give the row. A range of visits_at: the
 * times that are numbers inside [?2, ?3) (SQLite orders numbers before
 * text), then those given as text (an RFC 3339 time or a date, from a
 * record: their order is not the time's), which run() parses and keeps
 * when inside. Named, not left to the planner: without statistics it
 * might take the primary key, every visit ever made to the venue. */
#define VISITS_FROM \
	"SELECT v.person, p.n, v.at, v.n FROM visits v INDEXED BY visits_at" \
	" LEFT JOIN people p ON p.key = v.person WHERE v.venue = ?1 AND "
const char rs_q_visits[] = VISITS_FROM "v.at >= ?2 AND v.at < ?3"
			   " UNION ALL " VISITS_FROM "v.at >= ''";

static bool text_ok(const char *s, size_t len)
{
	size_t n = strnlen(s, len + 1);

	return n == len && strspn(s, "0123456789-") == n;
}

/* Runs one of the queries above on a read connection: fn per row
 * (visits: only when the visit's time is inside [from, to)). */
static hc_err run(struct reg *r, const char *sql, const char *a, const char *b, const char *d1,
		  const char *d2, int64_t from, int64_t to, reg_exposed_fn *fn, void *arg)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	hc_err err;
	int rc;

	if ((err = rs_read_get(r, &c)) != HC_OK)
		return err;
	if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC) != SQLITE_OK ||
	    (b && (sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC) != SQLITE_OK ||
		   sqlite3_bind_text(s, 3, d1, -1, SQLITE_STATIC) != SQLITE_OK ||
		   sqlite3_bind_text(s, 4, d2, -1, SQLITE_STATIC) != SQLITE_OK)) ||
	    (!b && (sqlite3_bind_int64(s, 2, from) != SQLITE_OK ||
		    sqlite3_bind_int64(s, 3, to) != SQLITE_OK))) {
		err = rs_dberr(c, "exposure query");
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 0);
		int64_t place = sqlite3_column_type(s, 1) == SQLITE_INTEGER
					? sqlite3_column_int64(s, 1)
					: INT64_MAX;

		if (!key)
			continue;
		if (!b) {
			int64_t at;

			if (sqlite3_column_type(s, 2) == SQLITE_INTEGER)
				at = sqlite3_column_int64(s, 2);
			else if (sqlite3_column_type(s, 2) != SQLITE_TEXT ||
				 hc_time_parse_text((const char *)sqlite3_column_text(s, 2), &at) !=
					 HC_OK)
				continue; /* the record parser refuses it: nobody has it */
			if (at < from || at >= to)
				continue;
			for (int64_t i = sqlite3_column_int64(s, 3); i > 1; i--)
				fn(arg, key, place);
		}
		fn(arg, key, place);
	}
	if (rc != SQLITE_DONE)
		err = rs_dberr(c, "exposure query");
out:
	sqlite3_finalize(s);
	rs_read_put(r, c);
	return err;
}

hc_err reg_exposed_travel(struct reg *r, const char *lo, const char *hi, const char *from,
			  const char *to, reg_exposed_fn *fn, void *arg)
{
	if (!r || !fn || !lo || !hi || !from || !to || !text_ok(lo, 6) || !text_ok(hi, 6) ||
	    !text_ok(from, 10) || !text_ok(to, 10)) {
		hc_set_detail("registry: exposure: a region is six digits, a date YYYY-MM-DD");
		return HC_ERR_INVALID_ARG;
	}
	return run(r, rs_q_travel, lo, hi, from, to, 0, 0, fn, arg);
}

hc_err reg_exposed_visits(struct reg *r, const char *venue, int64_t from, int64_t to,
			  reg_exposed_fn *fn, void *arg)
{
	if (!r || !fn || !venue || !text_ok(venue, 13)) {
		hc_set_detail("registry: exposure: a venue is RRRRRR-NNNNNN");
		return HC_ERR_INVALID_ARG;
	}
	return run(r, rs_q_visits, venue, NULL, NULL, NULL, from, to, fn, arg);
}
