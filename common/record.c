/* record.c: a person's record (identity, tests, vaccinations, travel, flags). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

/*
 * Person record, JSON (strict: no unknown or duplicate members):
 *
 *   {"person": {"name": "张三", "id": "33010619900101123X"},
 *    "nat": [{"at": TIME, "result": "negative" | "positive", "lab": "..."}],
 *    "vaccinations": [{"at": TIME, "product": "...", "dose": 1}],
 *    "travel": [{"region": "310115", "from": DATE, "to": DATE}],
 *    "visits": [{"venue": "330106-000042", "at": TIME}],
 *    "flags": ["confirmed" | "close-contact" | "secondary-contact", ...]}
 *
 * - person (required) with name and id (both required).
 * - name: 1..64 characters (code points) of UTF-8, no control characters
 *   (C0, DEL, C1).
 * - id: 18 characters, 17 ASCII digits then a digit or 'X' (upper case),
 *   GB 11643: characters 7..14 are a valid birth date YYYYMMDD (year
 *   1900..2099, a real calendar date, not after the day of issue) and the
 *   last is the ISO 7064 MOD 11-2 check character.
 * - nat, vaccinations, travel, flags: optional arrays of at most 256
 *   entries each (an empty array is the same as none).
 * - TIME: integer seconds (a JSON number only: a string of digits such as
 *   "20261119" is refused, never read as seconds), an RFC 3339 string
 *   ("2026-11-21T09:30:00+08:00"), or a calendar date "2026-11-21"
 *   (midnight China Standard Time). DATE: a calendar date only.
 * - nat[]: at and result required; lab optional, at most 127 bytes.
 * - vaccinations[]: at and dose (integer 1..10) required; product
 *   optional, at most 63 bytes.
 * - travel[]: region (six digits, as in the risk-area list; normally a
 *   district), from and to (DATE, from <= to, both days included).
 * - visits[]: venue (a region code, a hyphen and six digits, as in the
 *   risk-area list's venues) and at (TIME), both required.
 * - flags[]: each a known flag, no flag twice.
 * Entries dated after the time of issue (a test, a vaccination, either
 * end of a stay, a visit) and a birth date after the day of issue are rejected by
 * hc_policy_apply, not here (the parser has no clock). JSON errors keep their HC_ERR_JSON_* code; a
 * bad value is HC_ERR_RECORD. hc_detail() names the member, e.g.
 * "nat[2].result" or "person.id check digit".
 */

const char *const hc__flag_names[HC__NFLAGS] = {"confirmed", "close-contact",
						 "secondary-contact"};

unsigned hc__flag_bit(const char *name)
{
	for (unsigned i = 0; i < HC__NFLAGS; i++)
		if (strcmp(name, hc__flag_names[i]) == 0)
			return 1u << i;
	return 0;
}

/* 1..64 code points of (already valid) UTF-8 without C0, DEL or C1. */
static bool name_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;

	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return false;
		if ((*p & 0xc0) != 0x80)
			chars++;
	}
	return chars >= 1 && chars <= HC__NAME_CHARS;
}

static bool digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* GB 11643 citizen identity number; sets the detail on failure. *birth is
 * its birth date as the number YYYYMMDD (hc_policy_apply refuses one after
 * the day of issue: the parser has no clock). */
static bool id_ok(const char *id, int *birth)
{
	static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, sum = 0, check;

	if (strlen(id) != 18 || strspn(id, "0123456789") < 17 ||
	    !((id[17] >= '0' && id[17] <= '9') || id[17] == 'X')) {
		hc_set_detail("person.id is not 17 digits and a digit or X");
		return false;
	}
	if (!digits(id + 6, 4, &y) || !digits(id + 10, 2, &m) || !digits(id + 12, 2, &d) ||
	    y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) {
		hc_set_detail("person.id birth date");
		return false;
	}
	for (int i = 0; i < 17; i++)
		sum += (id[i] - '0') * w[i];
	check = (12 - sum % 11) % 11;
	if (id[17] != (check == 10 ? 'X' : '0' + check)) {
		hc_set_detail("person.id check digit");
		return false;
	}
	*birth = y * 10000 + m * 100 + d;
	return true;
}

static hc_err parse_person(const cJSON *p, struct hc_record *r)
{
	static const char *const members[] = {"name", "id", NULL};
	char id[24];
	hc_err err;

	if ((err = hc_json_only(p, members)) != HC_OK)
		return err;
	err = hc_json_str(p, "name", true, r->name, sizeof(r->name), NULL);
	if (err == HC_ERR_TOO_LARGE || (err == HC_OK && !name_ok(r->name))) {
		hc_set_detail("name is not 1..%d characters without controls", HC__NAME_CHARS);
		return HC_ERR_RECORD;
	}
	if (err != HC_OK)
		return err;
	err = hc_json_str(p, "id", true, id, sizeof(id), NULL);
	if (err == HC_ERR_TOO_LARGE) {
		hc_set_detail("person.id is not 18 characters");
		return HC_ERR_RECORD;
	}
	if (err != HC_OK)
		return err;
	if (!id_ok(id, &r->birth))
		return HC_ERR_RECORD;
	memcpy(r->id, id, sizeof(r->id));
	return HC_OK;
}

/* An optional string member of at most cap - 1 bytes, not kept. */
static hc_err opt_str(const cJSON *e, const char *name, size_t cap)
{
	char buf[128];
	hc_err err;

	err = hc_json_str(e, name, false, buf, cap < sizeof(buf) ? cap : sizeof(buf), NULL);
	if (err == HC_ERR_TOO_LARGE) {
		hc_set_detail("%s longer than %zu bytes", name, cap - 1);
		return HC_ERR_RECORD;
	}
	return err;
}

static hc_err parse_nat(const cJSON *e, struct hc__nat *out)
{
	static const char *const members[] = {"at", "result", "lab", NULL};
	char res[12];
	hc_err err;

	if (!cJSON_IsObject(e))
		return HC_ERR_JSON_TYPE;
	if ((err = hc_json_only(e, members)) != HC_OK ||
	    (err = hc__json_time(e, "at", true, &out->at, NULL)) != HC_OK ||
	    (err = opt_str(e, "lab", 128)) != HC_OK)
		return err;
	err = hc_json_str(e, "result", true, res, sizeof(res), NULL);
	if (err != HC_OK && err != HC_ERR_TOO_LARGE)
		return err;
	if (err == HC_OK && strcmp(res, "negative") == 0) {
		out->positive = false;
	} else if (err == HC_OK && strcmp(res, "positive") == 0) {
		out->positive = true;
	} else {
		hc_set_detail("result");
		return HC_ERR_RECORD;
	}
	return HC_OK;
}

static hc_err parse_vac(const cJSON *e, struct hc__vac *out)
{
	static const char *const members[] = {"at", "product", "dose", NULL};
	const cJSON *dose;
	hc_err err;

	if (!cJSON_IsObject(e))
		return HC_ERR_JSON_TYPE;
	if ((err = hc_json_only(e, members)) != HC_OK ||
	    (err = hc__json_time(e, "at", true, &out->at, NULL)) != HC_OK ||
	    (err = opt_str(e, "product", 64)) != HC_OK)
		return err;
	if ((dose = cJSON_GetObjectItemCaseSensitive(e, "dose")) == NULL) {
		hc_set_detail("member \"dose\" missing");
		return HC_ERR_JSON_MISSING;
	}
	if ((err = hc_json_num_int(dose, INT32_MIN, INT32_MAX, &out->dose)) != HC_OK) {
		hc_set_detail("dose");
		return err;
	}
	if (out->dose < 1 || out->dose > 10) {
		hc_set_detail("dose is not 1..10");
		return HC_ERR_RECORD;
	}
	return HC_OK;
}

static hc_err parse_stay(const cJSON *e, struct hc__span *out)
{
	static const char *const members[] = {"region", "from", "to", NULL};
	char region[8];
	int64_t to;
	hc_err err;

	if (!cJSON_IsObject(e))
		return HC_ERR_JSON_TYPE;
	if ((err = hc_json_only(e, members)) != HC_OK)
		return err;
	err = hc_json_str(e, "region", true, region, sizeof(region), NULL);
	if (err != HC_OK && err != HC_ERR_TOO_LARGE)
		return err;
	if (err != HC_OK || !hc__region_parse(region, &out->region)) {
		hc_set_detail("region is not a six-digit code");
		return HC_ERR_RECORD;
	}
	if ((err = hc__json_date(e, "from", &out->from)) != HC_OK ||
	    (err = hc__json_date(e, "to", &to)) != HC_OK)
		return err;
	if (out->from > to) {
		hc_set_detail("from is after to");
		return HC_ERR_RECORD;
	}
	out->end = to + HC__DAY;
	return HC_OK;
}

static hc_err parse_visit(const cJSON *e, struct hc__visit *out)
{
	static const char *const members[] = {"venue", "at", NULL};
	char venue[16];
	hc_err err;

	if (!cJSON_IsObject(e))
		return HC_ERR_JSON_TYPE;
	if ((err = hc_json_only(e, members)) != HC_OK)
		return err;
	err = hc_json_str(e, "venue", true, venue, sizeof(venue), NULL);
	if (err != HC_OK && err != HC_ERR_TOO_LARGE)
		return err;
	if (err != HC_OK || !hc__venue_parse(venue, &out->venue)) {
		hc_set_detail("venue is not a region code, '-' and six digits");
		return HC_ERR_RECORD;
	}
	return hc__json_time(e, "at", true, &out->at, NULL);
}

static hc_err parse_flag(const cJSON *e, unsigned *flags)
{
	unsigned bit;

	if (!cJSON_IsString(e))
		return HC_ERR_JSON_TYPE;
	if ((bit = hc__flag_bit(e->valuestring)) == 0) {
		hc_set_detail("unknown flag");
		return HC_ERR_RECORD;
	}
	if (*flags & bit) {
		hc_set_detail("flag given twice");
		return HC_ERR_RECORD;
	}
	*flags |= bit;
	return HC_OK;
}

/* Gets optional array member name, at most HC__MAX_ENTRIES long. */
static hc_err entries(const cJSON *root, const char *name, const cJSON **arr)
{
	hc_err err;

	if ((err = hc_json_arr(root, name, false, arr)) != HC_OK || !*arr)
		return err;
	if (cJSON_GetArraySize(*arr) > HC__MAX_ENTRIES) {
		hc_set_detail("%s: more than %d entries", name, HC__MAX_ENTRIES);
		return HC_ERR_RECORD;
	}
	return HC_OK;
}

/* with_person: a full record; else the inputs alone (no "person"). */
static hc_err parse_record(const cJSON *root, bool with_person, struct hc_record *r)
{
	static const char *const members[] = {"person", "nat",	  "vaccinations", "travel",
					      "visits", "flags", NULL};
	const cJSON *person, *nat, *vac, *trv, *vis, *flags, *e;
	size_t i = 0;
	hc_err err;

	if ((err = hc_json_only(root, with_person ? members : members + 1)) != HC_OK)
		return err;
	if (with_person) {
		if ((err = hc_json_obj(root, "person", true, &person)) != HC_OK)
			return err;
		if ((err = parse_person(person, r)) != HC_OK) {
			if (strncmp(hc_detail(), "person.", 7) != 0)
				hc__detail_at("person");
			return err;
		}
	}
	if ((err = entries(root, "nat", &nat)) != HC_OK ||
	    (err = entries(root, "vaccinations", &vac)) != HC_OK ||
	    (err = entries(root, "travel", &trv)) != HC_OK ||
	    (err = entries(root, "visits", &vis)) != HC_OK ||
	    (err = entries(root, "flags", &flags)) != HC_OK)
		return err;
	cJSON_ArrayForEach(e, nat)
	{
		if ((err = parse_nat(e, &r->nat[r->nnat])) != HC_OK) {
			hc__detail_at("nat[%zu]", r->nnat);
			return err;
		}
		r->nnat++;
	}
	cJSON_ArrayForEach(e, vac)
	{
		if ((err = parse_vac(e, &r->vac[r->nvac])) != HC_OK) {
			hc__detail_at("vaccinations[%zu]", r->nvac);
			return err;
		}
		r->nvac++;
	}
	cJSON_ArrayForEach(e, trv)
	{
		if ((err = parse_stay(e, &r->trv[r->ntrv])) != HC_OK) {
			hc__detail_at("travel[%zu]", r->ntrv);
			return err;
		}
		r->ntrv++;
	}
	cJSON_ArrayForEach(e, vis)
	{
		if ((err = parse_visit(e, &r->vis[r->nvis])) != HC_OK) {
			hc__detail_at("visits[%zu]", r->nvis);
			return err;
		}
		r->nvis++;
	}
	cJSON_ArrayForEach(e, flags)
	{
		if ((err = parse_flag(e, &r->flags)) != HC_OK) {
			hc__detail_at("flags[%zu]", i);
			return err;
		}
		i++;
	}
	return HC_OK;
}

/* An empty record. Only its identity part and counts are zeroed: an entry
 * is written before it is counted and read only below its array's count.
 * Zeroing the 18 KiB of arrays here and again at hc_record_free cost more
 * than parsing a record (a new code parses two). */
struct hc_record *hc__record_new(void)
{
	struct hc_record *r = malloc(sizeof(*r));

	if (!r)
		return NULL;
	memset(r, 0, RECORD_HEAD);
	r->nnat = r->nvac = r->ntrv = r->nvis = 0;
	r->flags = 0;
	return r;
}

/* A record of root: with its person member when mname and mid are NULL,
 * else a record of inputs made with them (checked: hc__masked_check). */
static hc_err record_of_tree(const cJSON *root, const char *mname, const char *mid,
			     struct hc_record **out)
{
	struct hc_record *r;
	hc_err err;

	if ((r = hc__record_new()) == NULL)
		return HC_ERR_NOMEM;
	if (mname && mid)
		hc__record_set_masked(r, mname, mid);
	if ((err = parse_record(root, !mname, r)) != HC_OK) {
		hc_record_free(r);
		return err == HC_ERR_TIME ? HC_ERR_RECORD : err;
	}
	*out = r;
	return HC_OK;
}

static hc_err record_parse(const char *json, size_t n, const char *mname, const char *mid,
			   struct hc_record **out)
{
	cJSON *root = NULL;
	hc_err err;

	if ((err = hc_json_parse(json, n, &root)) == HC_OK)
		err = record_of_tree(root, mname, mid, out);
	cJSON_Delete(root);
	return err;
}

hc_err hc_record_of_json(const cJSON *root, struct hc_record **out)
{
	if (!out || !root)
		return HC_ERR_INVALID_ARG;
	*out = NULL;
	return record_of_tree(root, NULL, NULL, out);
}

hc_err hc_record_parse(const char *json, size_t n, struct hc_record **out)
{
	if (!out || !json)
		return HC_ERR_INVALID_ARG;
	*out = NULL;
	if (n > HC_MAX_JSON_FILE)
		return HC_ERR_TOO_LARGE;
	return record_parse(json, n, NULL, NULL, out);
}

/* A masked display string: valid UTF-8, no control character, fits. */
static bool masked_ok(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == 0 || n == cap || !hc_utf8_valid(s, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

hc_err hc__masked_check(const char *mname, const char *mid)
{
	const struct hc_record *r = NULL;

	if (!masked_ok(mname, sizeof(r->mname)) || !masked_ok(mid, sizeof(r->mid))) {
		hc_set_detail("masked name or id is empty, too long or not text");
		return HC_ERR_INVALID_ARG;
	}
	return HC_OK;
}

void hc__record_set_masked(struct hc_record *r, const char *mname, const char *mid)
{
	r->premasked = true;
	memcpy(r->mname, mname, strlen(mname) + 1); /* lengths checked (hc__masked_check) */
	memcpy(r->mid, mid, strlen(mid) + 1);
}

hc_err hc_record_parse_inputs(const char *json, size_t n, const char *masked_name,
			      const char *masked_id, struct hc_record **out)
{
	hc_err err;

	if (!out || !json || !masked_name || !masked_id)
		return HC_ERR_INVALID_ARG;
	*out = NULL;
	if ((err = hc__masked_check(masked_name, masked_id)) != HC_OK)
		return err;
	if (n > HC_MAX_JSON_FILE)
		return HC_ERR_TOO_LARGE;
	return record_parse(json, n, masked_name, masked_id, out);
}

hc_err hc_person_id_check(const char *id)
{
	int birth;

	if (!id)
		return HC_ERR_INVALID_ARG;
	hc_set_detail(NULL);
	return id_ok(id, &birth) ? HC_OK : HC_ERR_RECORD;
}

/* The entries of an array of count n that may have been written. */
static size_t written(size_t n)
{
	return n < HC__MAX_ENTRIES ? n + 1 : HC__MAX_ENTRIES;
}

void hc_record_free(struct hc_record *r)
{
	if (!r)
		return;
	/* The record holds a full identity number: do not leave it behind,
	 * nor the entries (and the one a failed parse may have half written
	 * past its count). */
	explicit_bzero(r, RECORD_HEAD);
	explicit_bzero(r->nat, sizeof(r->nat[0]) * written(r->nnat));
	explicit_bzero(r->vac, sizeof(r->vac[0]) * written(r->nvac));
	explicit_bzero(r->trv, sizeof(r->trv[0]) * written(r->ntrv));
	explicit_bzero(r->vis, sizeof(r->vis[0]) * written(r->nvis));
	explicit_bzero(&r->flags, sizeof(r->flags));
	free(r);
}
