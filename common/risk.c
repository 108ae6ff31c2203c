/* risk.c: the risk-area list (parse, region matching, exposure look-up). */
#include <stdarg.h>
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
 */

struct area {
	struct hc__span s;
	enum hc__level level;
};

struct hc_risk {
	int64_t updated;
	struct area *areas; /* sorted by region, then from */
	size_t n;
};

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
	return (x->s.end > y->s.end) - (x->s.end < y->s.end);
}

static hc_err parse_area(const cJSON *a, struct area *out)
{
	static const char *const members[] = {"region", "level", "from", "to", NULL};
	char region[8], level[8];
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
	if ((err = hc_json_str(a, "level", true, level, sizeof(level), NULL)) != HC_OK &&
	    err != HC_ERR_TOO_LARGE)
		return err;
	if (err == HC_OK && strcmp(level, "medium") == 0) {
		out->level = HC__MEDIUM;
	} else if (err == HC_OK && strcmp(level, "high") == 0) {
		out->level = HC__HIGH;
	} else {
		hc_set_detail("level");
		return HC_ERR_RISK;
	}
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

hc_err hc_risk_parse(const char *json, size_t n, struct hc_risk **out)
{
	static const char *const members[] = {"updated", "areas", NULL};
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
	if ((err = hc_json_only(root, members)) != HC_OK ||
	    (err = hc__json_time(root, "updated", true, &r->updated, NULL)) != HC_OK ||
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

int64_t hc__risk_updated(const struct hc_risk *r)
{
	return r->updated;
}

void hc_risk_free(struct hc_risk *r)
{
	if (!r)
		return;
	free(r->areas);
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
