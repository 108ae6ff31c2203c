/* risk.c: the risk-area list (parse, region matching, exposure look-up). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

/*
 * Risk-area list, JSON (strict: no unknown or duplicate members):
 *
 *   {"updated": TIME,
 *    "areas": [{"region": "310115", "level": "medium" | "high",
 *               "from": "2026-11-10", "to": "2026-11-20"}, ...]}
 *
 * - updated (required): when the list was published; TIME is integer
 *   seconds (a JSON number only: a string of digits is refused), an RFC
 *   3339 string, or a calendar date (midnight China Standard Time).
 * - areas (required, may be empty): at most 100000 entries, each with all
 *   four members.
 * - region: six ASCII digits (GB/T 2260); the province digits are not
 *   "00", and city digits "00" need district digits "00". "XX0000" covers
 *   the whole province XX, "XXXX00" the whole city XXXX, anything else is
 *   one district. A stay matches an area when either code covers the other.
 * - from, to: calendar dates "YYYY-MM-DD" in CST, from <= to; the period
 *   runs from the start of `from` to the end of `to` (both days included).
 * - The same region may appear any number of times, with any periods.
 * JSON errors keep their HC_ERR_JSON_* code; a bad value (region, level,
 * date, from > to, too many areas) is HC_ERR_RISK. hc_detail() names the
 * entry, e.g. "areas[12].region".
 *
 * The signed national list (risk-areas.jws, risk_sign.c) has the payload
 *
 *   {"seq": N, "iat": TIME,
 *    "areas": [...as above...],
 *    "venues": [{"venue": "330106-000042", "level": "medium" | "high",
 *                "from": TIME, "to": TIME}, ...]}
 *
 * - seq (required): integer 1..2^53-1; a list replaces a held one only
 *   with a higher seq.
 * - iat (required): when it was signed; it plays the part of "updated".
 * - areas (required, may be empty), as above.
 * - venues (optional, may be empty): at most 100000 entries, each with
 *   all four members. venue: a region code as above, a hyphen and six
 *   digits (13 bytes). from, to: TIME, from < to; the exposure window is
 *   [from, to): a visit at a time t counts when from <= t < to (a date is
 *   its first second, CST).
 */

struct venue {
	uint64_t id; /* region * 10^6 + number */
	int64_t from, to;
	enum hc__level level;
};

struct area {
	struct hc__span s;
	enum hc__level level;
};

struct hc_risk {
	int64_t updated; /* iat of a signed list */
	int64_t seq;     /* 0: the unsigned form */
	struct area *areas; /* sorted by region, then from */
	size_t n;
	struct venue *venues; /* sorted by id, then from */
	size_t nv;
};

bool hc__venue_parse(const char *s, uint64_t *out)
{
	uint32_t region;
	uint64_t num = 0;
	char rs[7];

	if (strlen(s) != 13 || s[6] != '-')
		return false;
	memcpy(rs, s, 6);
	rs[6] = '\0';
	if (!hc__region_parse(rs, &region))
		return false;
	for (size_t i = 7; i < 13; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		num = num * 10 + (uint64_t)(s[i] - '0');
	}
	*out = (uint64_t)region * 1000000u + num;
	return true;
}

bool hc_venue_valid(const char *s)
{
	uint64_t id;

	return s && hc__venue_parse(s, &id);
}

bool hc__region_parse(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	if (strlen(s) != 6)
		return false;
	for (size_t i = 0; i < 6; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v / 10000 == 0 || (v / 100 % 100 == 0 && v % 100 != 0))
		return false;
	*out = v;
	return true;
}

void hc__detail_at(const char *fmt, ...)
{
	char old[160], path[96];
	va_list ap;

	(void)snprintf(old, sizeof(old), "%s", hc_detail());
	va_start(ap, fmt);
	(void)vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (old[0])
		hc_set_detail("%s: %s", path, old);
	else
		hc_set_detail("%s", path);
}

hc_err hc__json_time(const cJSON *obj, const char *name, bool required, int64_t *out,
		     bool *present)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
	hc_err err;

	if (present)
		*present = false;
	if (!it) {
		if (!required)
			return HC_OK;
		hc_set_detail("member \"%s\" missing", name);
		return HC_ERR_JSON_MISSING;
	}
	if (cJSON_IsNumber(it)) {
		if ((err = hc_json_num_int(it, 0, HC__TIME_MAX, out)) != HC_OK) {
			hc_set_detail("member \"%s\"", name);
			return err;
		}
	} else if (cJSON_IsString(it)) {
		if (hc_time_parse_text(it->valuestring, out) != HC_OK) {
			hc_set_detail("member \"%s\" is not a time (RFC 3339 or YYYY-MM-DD; "
				      "seconds are a JSON number)",
				      name);
			return HC_ERR_TIME;
		}
	} else {
		hc_set_detail("member \"%s\"", name);
		return HC_ERR_JSON_TYPE;
	}
	if (present)
		*present = true;
	return HC_OK;
}

hc_err hc__json_date(const cJSON *obj, const char *name, int64_t *out)
{
	char buf[16];
	hc_err err;

	if ((err = hc_json_str(obj, name, true, buf, sizeof(buf), NULL)) != HC_OK) {
		if (err != HC_ERR_TOO_LARGE)
			return err;
	} else if (strlen(buf) == 10 && hc_time_parse_text(buf, out) == HC_OK) {
		return HC_OK;
	}
	hc_set_detail("member \"%s\" is not a date YYYY-MM-DD", name);
	return HC_ERR_TIME;
}

static int area_cmp(const void *a, const void *b)
{
	const struct area *x = a, *y = b;

	if (x->s.region != y->s.region)
		return x->s.region < y->s.region ? -1 : 1;
	if (x->s.from != y->s.from)
		return x->s.from < y->s.from ? -1 : 1;
	if (x->s.end != y->s.end)
		return x->s.end < y->s.end ? -1 : 1;
	return (x->level > y->level) - (x->level < y->level);
}

/* An entry's "level": "medium" or "high". */
static hc_err risk_level(const cJSON *a, enum hc__level *out)
{
	char level[8];
	hc_err err;

	if ((err = hc_json_str(a, "level", true, level, sizeof(level), NULL)) != HC_OK &&
	    err != HC_ERR_TOO_LARGE)
		return err;
	if (err == HC_OK && strcmp(level, "medium") == 0) {
		*out = HC__MEDIUM;
	} else if (err == HC_OK && strcmp(level, "high") == 0) {
		*out = HC__HIGH;
	} else {
		hc_set_detail("level");
		return HC_ERR_RISK;
	}
	return HC_OK;
}

static hc_err parse_area(const cJSON *a, struct area *out)
{
	static const char *const members[] = {"region", "level", "from", "to", NULL};
	char region[8];
	int64_t to;
	hc_err err;

	if (!cJSON_IsObject(a))
		return HC_ERR_JSON_TYPE;
	if ((err = hc_json_only(a, members)) != HC_OK)
		return err;
	if ((err = hc_json_str(a, "region", true, region, sizeof(region), NULL)) != HC_OK &&
	    err != HC_ERR_TOO_LARGE)
		return err;
	if (err != HC_OK || !hc__region_parse(region, &out->s.region)) {
		hc_set_detail("region");
		return HC_ERR_RISK;
	}
	if ((err = risk_level(a, &out->level)) != HC_OK)
		return err;
	if ((err = hc__json_date(a, "from", &out->s.from)) != HC_OK ||
	    (err = hc__json_date(a, "to", &to)) != HC_OK)
		return err == HC_ERR_TIME ? HC_ERR_RISK : err;
	if (out->s.from > to) {
		hc_set_detail("from is after to");
		return HC_ERR_RISK;
	}
	out->s.end = to + HC__DAY;
	return HC_OK;
}

static int venue_cmp(const void *a, const void *b)
{
	const struct venue *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	return (x->level > y->level) - (x->level < y->level);
}

static hc_err parse_venue(const cJSON *a, struct venue *out)
{
	static const char *const members[] = {"venue", "level", "from", "to", NULL};
	char venue[16];
	hc_err err;

	if (!cJSON_IsObject(a))
		return HC_ERR_JSON_TYPE;
	if ((err = hc_json_only(a, members)) != HC_OK)
		return err;
	if ((err = hc_json_str(a, "venue", true, venue, sizeof(venue), NULL)) != HC_OK &&
	    err != HC_ERR_TOO_LARGE)
		return err;
	if (err != HC_OK || !hc__venue_parse(venue, &out->id)) {
		hc_set_detail("venue is not a region code, '-' and six digits");
		return HC_ERR_RISK;
	}
	if ((err = risk_level(a, &out->level)) != HC_OK)
		return err;
	if ((err = hc__json_time(a, "from", true, &out->from, NULL)) != HC_OK ||
	    (err = hc__json_time(a, "to", true, &out->to, NULL)) != HC_OK)
		return err == HC_ERR_TIME ? HC_ERR_RISK : err;
	if (out->from >= out->to) {
		hc_set_detail("from is not before to");
		return HC_ERR_RISK;
	}
	return HC_OK;
}

static hc_err parse_venues(const cJSON *root, struct hc_risk *r)
{
	const cJSON *venues, *a;
	size_t count, i = 0;
	hc_err err;

	if ((err = hc_json_arr(root, "venues", false, &venues)) != HC_OK || !venues)
		return err;
	count = (size_t)cJSON_GetArraySize(venues);
	if (count > HC__MAX_AREAS) {
		hc_set_detail("venues: more than %d entries", HC__MAX_AREAS);
		return HC_ERR_RISK;
	}
	if (count > 0 && (r->venues = calloc(count, sizeof(*r->venues))) == NULL)
		return HC_ERR_NOMEM;
	cJSON_ArrayForEach(a, venues)
	{
		if ((err = parse_venue(a, &r->venues[i])) != HC_OK) {
			hc__detail_at("venues[%zu]", i);
			return err;
		}
		i++;
	}
	r->nv = i;
	if (r->nv > 1)
		qsort(r->venues, r->nv, sizeof(*r->venues), venue_cmp);
	return HC_OK;
}

/* The head of a list: signed, {"seq","iat",...,"venues"}; else the
 * unsigned form {"updated",...}. */
static hc_err parse_head(const cJSON *root, bool is_signed, struct hc_risk *r)
{
	static const char *const old_members[] = {"updated", "areas", NULL};
	static const char *const members[] = {"seq", "iat", "areas", "venues", NULL};
	bool present;
	hc_err err;

	if (!is_signed) {
		if ((err = hc_json_only(root, old_members)) != HC_OK)
			return err;
		return hc__json_time(root, "updated", true, &r->updated, NULL);
	}
	if ((err = hc_json_only(root, members)) != HC_OK ||
	    (err = hc_json_int(root, "seq", true, 1, 9007199254740991LL, &r->seq, &present)) !=
		    HC_OK ||
	    (err = hc__json_time(root, "iat", true, &r->updated, NULL)) != HC_OK)
		return err;
	return parse_venues(root, r);
}

static hc_err risk_parse(const char *json, size_t n, bool is_signed, struct hc_risk **out)
{
	struct hc_risk *r = NULL;
	cJSON *root = NULL;
	const cJSON *areas, *a;
	size_t count, i = 0;
	hc_err err;

	if (!out || !json)
		return HC_ERR_INVALID_ARG;
	*out = NULL;
	if (n > HC__MAX_RISK_JSON)
		return HC_ERR_TOO_LARGE;
	if ((err = hc_json_parse(json, n, &root)) != HC_OK)
		goto out;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		err = HC_ERR_NOMEM;
		goto out;
	}
	if ((err = parse_head(root, is_signed, r)) != HC_OK ||
	    (err = hc_json_arr(root, "areas", true, &areas)) != HC_OK) {
		if (err == HC_ERR_TIME)
			err = HC_ERR_RISK;
		goto out;
	}
	count = (size_t)cJSON_GetArraySize(areas);
	if (count > HC__MAX_AREAS) {
		hc_set_detail("areas: more than %d entries", HC__MAX_AREAS);
		err = HC_ERR_RISK;
		goto out;
	}
	if (count > 0 && (r->areas = calloc(count, sizeof(*r->areas))) == NULL) {
		err = HC_ERR_NOMEM;
		goto out;
	}
	cJSON_ArrayForEach(a, areas)
	{
		if ((err = parse_area(a, &r->areas[i])) != HC_OK) {
			hc__detail_at("areas[%zu]", i);
			goto out;
		}
		i++;
	}
	r->n = i;
	if (r->n > 1)
		qsort(r->areas, r->n, sizeof(*r->areas), area_cmp);
	*out = r;
	r = NULL;
	err = HC_OK;
out:
	hc_risk_free(r);
	cJSON_Delete(root);
	return err;
}

hc_err hc_risk_parse(const char *json, size_t n, struct hc_risk **out)
{
	return risk_parse(json, n, false, out);
}

hc_err hc_risk_parse_payload(const char *json, size_t n, struct hc_risk **out)
{
	return risk_parse(json, n, true, out);
}

int64_t hc__risk_updated(const struct hc_risk *r)
{
	return r->updated;
}

int64_t hc_risk_seq(const struct hc_risk *r)
{
	return r ? r->seq : 0;
}

int64_t hc_risk_iat(const struct hc_risk *r)
{
	return r ? r->updated : 0;
}

size_t hc_risk_count(const struct hc_risk *r, size_t *venues)
{
	if (venues)
		*venues = r ? r->nv : 0;
	return r ? r->n : 0;
}

void hc_risk_free(struct hc_risk *r)
{
	if (!r)
		return;
	free(r->areas);
	free(r->venues);
	free(r);
}

/* Index of the first area with region >= code. */
static size_t lower_bound(const struct hc_risk *r, uint32_t code)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->areas[mid].s.region < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Reports the areas with codes in [lo, hi) that intersect the stay. */
static void scan(const struct hc_risk *r, uint32_t lo, uint32_t hi, const struct hc__span *stay,
		 hc__exposure_fn fn, void *arg)
{
	for (size_t i = lower_bound(r, lo); i < r->n && r->areas[i].s.region < hi; i++) {
		const struct area *a = &r->areas[i];
		int64_t from = a->s.from > stay->from ? a->s.from : stay->from;
		int64_t end = a->s.end < stay->end ? a->s.end : stay->end;

		if (from < end)
			fn(arg, a->level, end);
	}
}

void hc__risk_exposures(const struct hc_risk *r, const struct hc__span *stay,
			hc__exposure_fn fn, void *arg)
{
	uint32_t code = stay->region, prov = code / 10000 * 10000, city = code / 100 * 100;

	if (!r || r->n == 0)
		return;
	if (code == prov) {
		/* A whole province: every area inside it. */
		scan(r, prov, prov + 10000, stay, fn, arg);
		return;
	}
	scan(r, prov, prov + 1, stay, fn, arg);
	if (code == city) {
		/* A whole city: the city and its districts. */
		scan(r, city, city + 100, stay, fn, arg);
		return;
	}
	scan(r, city, city + 1, stay, fn, arg);
	scan(r, code, code + 1, stay, fn, arg);
}

/* The CST day that holds t: [*start, *start + HC__DAY). */
static int64_t cst_day_start(int64_t t)
{
	int64_t local = t + (int64_t)8 * 3600;
	int64_t d = local / HC__DAY - (local % HC__DAY < 0);

	return d * HC__DAY - (int64_t)8 * 3600;
}

void hc__risk_visit(const struct hc_risk *r, uint64_t venue, int64_t at, hc__exposure_fn fn,
		    void *arg)
{
	size_t lo = 0, hi;

	if (!r || r->nv == 0)
		return;
	hi = r->nv;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->venues[mid].id < venue)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Like a stay in an area of that level on the day of the visit. */
	for (size_t i = lo; i < r->nv && r->venues[i].id == venue; i++)
		if (r->venues[i].from <= at && at < r->venues[i].to)
			fn(arg, r->venues[i].level, cst_day_start(at) + HC__DAY);
}

void hc_risk_diff(const struct hc_risk *a, const struct hc_risk *b,
		  void (*fn)(void *arg, const struct hc_risk_entry *e), void *arg)
{
	struct hc_risk_entry e;
	size_t i = 0, j = 0, na = a ? a->n : 0, nb = b ? b->n : 0;

	/* Both arrays are sorted by area_cmp: a merge walk. */
	while (i < na || j < nb) {
		const struct area *x;
		int c = i == na ? 1 : j == nb ? -1 : area_cmp(&a->areas[i], &b->areas[j]);

		if (c == 0) {
			i++, j++;
			continue;
		}
		x = c < 0 ? &a->areas[i++] : &b->areas[j++];
		memset(&e, 0, sizeof(e));
		(void)snprintf(e.code, sizeof(e.code), "%06u", (unsigned)x->s.region);
		e.from = x->s.from;
		e.end = x->s.end;
		fn(arg, &e);
	}
	i = j = 0;
	na = a ? a->nv : 0;
	nb = b ? b->nv : 0;
	while (i < na || j < nb) {
		const struct venue *x;
		int c = i == na ? 1 : j == nb ? -1 : venue_cmp(&a->venues[i], &b->venues[j]);

		if (c == 0) {
			i++, j++;
			continue;
		}
		x = c < 0 ? &a->venues[i++] : &b->venues[j++];
		memset(&e, 0, sizeof(e));
		e.venue = true;
		(void)snprintf(e.code, sizeof(e.code), "%06u-%06u", (unsigned)(x->id / 1000000u),
			       (unsigned)(x->id % 1000000u));
		e.from = x->from;
		e.end = x->to;
		fn(arg, &e);
	}
}
