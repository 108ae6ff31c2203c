/* policy.c: status policies (default, file parse) and the rules of DESIGN 5. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy_int.h"

/*
 * Policy file, JSON (strict: no unknown or duplicate members):
 *
 *   {"id": "default-1", "validity_h": 24, "nat_required": false,
 *    "nat_max_age_h": 72, "risk_max_age_h": 24, "high_red_days": 7,
 *    "high_yellow_days": 14, "medium_yellow_days": 14,
 *    "red_flags": ["confirmed", "close-contact"],
 *    "yellow_flags": ["secondary-contact"]}
 *
 * - id (required): 1..63 characters of [A-Za-z0-9._-]; it becomes hc.pol.
 * - Every other member is optional; the defaults are the values above,
 *   which are also the built-in policy "default-1".
 * - validity_h, nat_max_age_h, risk_max_age_h: integers 1..720 (hours).
 *   risk_max_age_h is the oldest risk-area list (by its "updated") that a
 *   status may be built on.
 * - high_red_days, high_yellow_days, medium_yellow_days: integers 0..60,
 *   high_red_days <= high_yellow_days and medium_yellow_days <=
 *   high_yellow_days: a high-risk stay never counts for less time than a
 *   medium-risk one (else a high-risk stay could be green where a
 *   medium-risk stay of the same day is yellow).
 * - nat_required: true or false.
 * - red_flags, yellow_flags: arrays of known record flags ("confirmed",
 *   "close-contact", "secondary-contact"), each at most once, no flag in
 *   both; a given array replaces the default (an empty one means none). A
 *   flag in neither array has no effect.
 * JSON errors keep their HC_ERR_JSON_* code (a fraction is HC_ERR_JSON_INT);
 * a value out of range is HC_ERR_POLICY, with hc_detail() naming it.
 */

static const struct hc_policy default_policy = {
	.id = "default-1",
	.validity_h = 24,
	.nat_required = false,
	.nat_max_age_h = 72,
	.risk_max_age_h = 24,
	.high_red_days = 7,
	.high_yellow_days = 14,
	.medium_yellow_days = 14,
	.red_flags = HC__FLAG_CONFIRMED | HC__FLAG_CLOSE,
	.yellow_flags = HC__FLAG_SECONDARY,
};

#define JSON_INT_MAX 9007199254740991LL /* 2^53 - 1 */

hc_err hc_policy_default(struct hc_policy **out)
{
	if (!out)
		return HC_ERR_INVALID_ARG;
	if ((*out = malloc(sizeof(**out))) == NULL)
		return HC_ERR_NOMEM;
	**out = default_policy;
	return HC_OK;
}

void hc_policy_free(struct hc_policy *p)
{
	free(p);
}

const char *hc_policy_id(const struct hc_policy *p)
{
	return p ? p->id : "";
}

int64_t hc_policy_validity(const struct hc_policy *p)
{
	return p ? p->validity_h * 3600 : 0;
}

static bool id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* An optional integer member; a value outside [min, max] is HC_ERR_POLICY. */
static hc_err range(const cJSON *root, const char *name, int64_t min, int64_t max, int64_t *v)
{
	int64_t x;
	bool present;
	hc_err err;

	if ((err = hc_json_int(root, name, false, -JSON_INT_MAX, JSON_INT_MAX, &x, &present)) !=
	    HC_OK)
		return err;
	if (!present)
		return HC_OK;
	if (x < min || x > max) {
		hc_set_detail("%s is not %lld..%lld", name, (long long)min, (long long)max);
		return HC_ERR_POLICY;
	}
	*v = x;
	return HC_OK;
}

/* An optional array of flag names; replaces *bits when present. */
static hc_err flag_set(const cJSON *root, const char *name, unsigned *bits)
{
	const cJSON *arr, *e;
	unsigned set = 0, bit;
	size_t i = 0;
	hc_err err;

	if ((err = hc_json_arr(root, name, false, &arr)) != HC_OK || !arr)
		return err;
	cJSON_ArrayForEach(e, arr)
	{
		if (!cJSON_IsString(e)) {
			hc_set_detail("%s[%zu]", name, i);
			return HC_ERR_JSON_TYPE;
		}
		if ((bit = hc__flag_bit(e->valuestring)) == 0 || (set & bit)) {
			hc_set_detail("%s[%zu]: %s flag", name, i, bit ? "repeated" : "unknown");
			return HC_ERR_POLICY;
		}
		set |= bit;
		i++;
	}
	*bits = set;
	return HC_OK;
}

static hc_err parse_policy(const cJSON *root, struct hc_policy *p)
{
	static const char *const members[] = {
		"id", "validity_h", "nat_required", "nat_max_age_h", "risk_max_age_h",
		"high_red_days", "high_yellow_days", "medium_yellow_days", "red_flags",
		"yellow_flags", NULL};
	const cJSON *req;
	hc_err err;

	if ((err = hc_json_only(root, members)) != HC_OK)
		return err;
	err = hc_json_str(root, "id", true, p->id, sizeof(p->id), NULL);
	if (err == HC_ERR_TOO_LARGE || (err == HC_OK && !id_ok(p->id))) {
		hc_set_detail("id is not 1..63 characters of [A-Za-z0-9._-]");
		return HC_ERR_POLICY;
	}
	if (err != HC_OK)
		return err;
	if ((req = cJSON_GetObjectItemCaseSensitive(root, "nat_required")) != NULL) {
		if (!cJSON_IsBool(req)) {
			hc_set_detail("member \"nat_required\"");
			return HC_ERR_JSON_TYPE;
		}
		p->nat_required = cJSON_IsTrue(req);
	}
	if ((err = range(root, "validity_h", 1, 720, &p->validity_h)) != HC_OK ||
	    (err = range(root, "nat_max_age_h", 1, 720, &p->nat_max_age_h)) != HC_OK ||
	    (err = range(root, "risk_max_age_h", 1, 720, &p->risk_max_age_h)) != HC_OK ||
	    (err = range(root, "high_red_days", 0, 60, &p->high_red_days)) != HC_OK ||
	    (err = range(root, "high_yellow_days", 0, 60, &p->high_yellow_days)) != HC_OK ||
	    (err = range(root, "medium_yellow_days", 0, 60, &p->medium_yellow_days)) != HC_OK ||
	    (err = flag_set(root, "red_flags", &p->red_flags)) != HC_OK ||
	    (err = flag_set(root, "yellow_flags", &p->yellow_flags)) != HC_OK)
		return err;
	if (p->high_red_days > p->high_yellow_days) {
		hc_set_detail("high_red_days is greater than high_yellow_days");
		return HC_ERR_POLICY;
	}
	if (p->medium_yellow_days > p->high_yellow_days) {
		hc_set_detail("medium_yellow_days is greater than high_yellow_days (a high-risk "
			      "stay would count for less time than a medium-risk one)");
		return HC_ERR_POLICY;
	}
	if (p->red_flags & p->yellow_flags) {
		hc_set_detail("a flag is in both red_flags and yellow_flags");
		return HC_ERR_POLICY;
	}
	return HC_OK;
}

hc_err hc_policy_parse(const char *json, size_t n, struct hc_policy **out)
{
	struct hc_policy *p = NULL;
	cJSON *root = NULL;
	hc_err err;

	if (!out || !json)
		return HC_ERR_INVALID_ARG;
	*out = NULL;
	if (n > HC_MAX_JSON_FILE)
		return HC_ERR_TOO_LARGE;
	if ((err = hc_json_parse(json, n, &root)) != HC_OK)
		goto out;
	if ((p = malloc(sizeof(*p))) == NULL) {
		err = HC_ERR_NOMEM;
		goto out;
	}
	*p = default_policy;
	memset(p->id, 0, sizeof(p->id));
	if ((err = parse_policy(root, p)) != HC_OK)
		goto out;
	*out = p;
	p = NULL;
out:
	hc_policy_free(p);
	cJSON_Delete(root);
	return err;
}

/* ---- rules ---- */

hc_err hc_policy_risk_check(const struct hc_policy *p, const struct hc_risk *r, int64_t now)
{
	int64_t updated;
	char t[32];

	if (!p || !r)
		return p ? HC_OK : HC_ERR_INVALID_ARG;
	updated = hc__risk_updated(r);
	hc_time_format(updated, t, sizeof(t));
	if (updated > now + HC__SKEW) {
		hc_set_detail("updated %s, after the time of issue", t);
		return HC_ERR_RISK;
	}
	if (updated < now - p->risk_max_age_h * 3600) {
		hc_set_detail("updated %s, more than risk_max_age_h (%lld h) before the time of issue",
			      t, (long long)p->risk_max_age_h);
		return HC_ERR_RISK;
	}
	return HC_OK;
}

/* What the risk list says about a record's stays: for each reason, whether
 * it fires and the latest end of the exposures behind it. */
struct exposure {
	int64_t high_red_since, high_yellow_since, medium_since;
	bool high_recent, high_earlier, medium_recent;
	int64_t high_recent_end, high_earlier_end, medium_end;
};

static void latest(bool *fired, int64_t *at, int64_t end)
{
	if (!*fired || end > *at)
		*at = end;
	*fired = true;
}

static void on_exposure(void *arg, enum hc__level level, int64_t end)
{
	struct exposure *x = arg;

	if (level == HC__HIGH) {
		if (end > x->high_red_since)
			latest(&x->high_recent, &x->high_recent_end, end);
		else if (end > x->high_yellow_since)
			latest(&x->high_earlier, &x->high_earlier_end, end);
	} else if (level == HC__MEDIUM && end > x->medium_since) {
		latest(&x->medium_recent, &x->medium_end, end);
	}
}

struct verdict {
	enum hc_status st;
	char why[HC_MAX_WHY][HC_WHY_LEN];
	size_t nwhy;
};

static void fire(struct verdict *v, enum hc_status sev, const char *why)
{
	if (sev > v->st)
		v->st = sev;
	for (size_t i = 0; i < v->nwhy; i++)
		if (strcmp(v->why[i], why) == 0)
			return;
	if (v->nwhy < HC_MAX_WHY)
		hc_copy(v->why[v->nwhy++], HC_WHY_LEN, why);
}

/* The CST calendar day of t as the number YYYYMMDD. */
static int cst_day(int64_t t)
{
	time_t tt = (time_t)(t + (int64_t)8 * 3600);
	struct tm tm;

	if (!gmtime_r(&tt, &tm))
		return 0;
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* An entry at t dated (CST) before the person's birth date, when the
 * record has one (a service's inputs carry no identity number). */
static bool before_birth(const struct hc_record *r, int64_t t)
{
	return r->birth > 0 && cst_day(t) < r->birth;
}

/* Rejects entries dated after now (plus the clock skew allowance): a test,
 * a vaccination, either end of a stay (a day counts from its first
 * second), and a birth date after the day of issue; and entries dated
 * before the birth date. */
static hc_err check_dates(const struct hc_record *r, int64_t now)
{
	int64_t lim = now + HC__SKEW;

	if (r->birth > cst_day(now)) {
		hc_set_detail("person.id birth date is after the day of issue");
		return HC_ERR_RECORD;
	}
	for (size_t i = 0; i < r->nnat; i++) {
		if (r->nat[i].at > lim) {
			hc_set_detail("nat[%zu].at is after the time of issue", i);
			return HC_ERR_RECORD;
		}
		if (before_birth(r, r->nat[i].at)) {
			hc_set_detail("nat[%zu].at is before the birth date", i);
			return HC_ERR_RECORD;
		}
	}
	for (size_t i = 0; i < r->nvac; i++) {
		if (r->vac[i].at > lim) {
			hc_set_detail("vaccinations[%zu].at is after the time of issue", i);
			return HC_ERR_RECORD;
		}
		if (before_birth(r, r->vac[i].at)) {
			hc_set_detail("vaccinations[%zu].at is before the birth date", i);
			return HC_ERR_RECORD;
		}
	}
	for (size_t i = 0; i < r->ntrv; i++) {
		if (before_birth(r, r->trv[i].from)) {
			hc_set_detail("travel[%zu].from is before the birth date", i);
			return HC_ERR_RECORD;
		}
		if (r->trv[i].from > lim) {
			hc_set_detail("travel[%zu].from is after the time of issue", i);
			return HC_ERR_RECORD;
		}
		if (r->trv[i].end - HC__DAY > lim) {
			hc_set_detail("travel[%zu].to is after the time of issue (a stay that "
				      "has not ended yet ends today)",
				      i);
			return HC_ERR_RECORD;
		}
	}
	for (size_t i = 0; i < r->nvis; i++)
		if (r->vis[i].at > lim) {
			hc_set_detail("visits[%zu].at is after the time of issue", i);
			return HC_ERR_RECORD;
		}
	return HC_OK;
}

hc_err hc_record_dates_check(const struct hc_record *rec, int64_t now)
{
	if (!rec || now < 0 || now > HC__TIME_MAX)
		return HC_ERR_INVALID_ARG;
	hc_set_detail(NULL);
	return check_dates(rec, now);
}

/* Without a risk-area list, a stay that ends inside the longest window of
 * the policy cannot be judged: the status would rest on missing data. */
static hc_err check_travel_known(const struct hc_policy *p, const struct hc_record *r,
				 int64_t now)
{
	int64_t days = p->high_yellow_days;

	if (p->high_red_days > days)
		days = p->high_red_days;
	if (p->medium_yellow_days > days)
		days = p->medium_yellow_days;
	for (size_t i = 0; i < r->ntrv; i++)
		if (r->trv[i].end > now - days * HC__DAY) {
			hc_set_detail("none given, but travel[%zu] ends within the %lld days the "
				      "policy looks back",
				      i, (long long)days);
			return HC_ERR_RISK;
		}
	/* A visit's day ends at most one day after it (its exposure's end). */
	for (size_t i = 0; i < r->nvis; i++)
		if (r->vis[i].at + HC__DAY > now - days * HC__DAY) {
			hc_set_detail("none given, but visits[%zu] is within the %lld days the "
				      "policy looks back",
				      i, (long long)days);
			return HC_ERR_RISK;
		}
	return HC_OK;
}

static void cap(int64_t *exp, int64_t lapse)
{
	if (lapse < *exp)
		*exp = lapse;
}

/*
 * Rules, in the order their reasons are listed (red ones first):
 *   red:    nat-positive (the latest test, a positive winning a tie),
 *           flag-NAME for each flag in red_flags,
 *           high-risk-recent (a high-risk exposure ending within
 *           high_red_days days),
 *           high-risk-venue-recent (the same for a venue visit);
 *   yellow: flag-NAME for each flag in yellow_flags,
 *           high-risk-earlier (a high-risk exposure ending within
 *           high_yellow_days days but not high_red_days),
 *           high-risk-venue-earlier (the same for a venue visit),
 *           medium-risk-recent (a medium-risk exposure ending within
 *           medium_yellow_days days),
 *           medium-risk-venue-recent (the same for a venue visit),
 *           no-recent-nat (nat_required and no negative test within
 *           nat_max_age_h hours).
 * An exposure is the intersection of a stay [from, end of to) with the
 * period of a matching area; a visit inside a venue's window [from, to) is
 * an exposure of that level ending at the end of the visit's day (CST). Windows are half-open: an exposure is "within
 * N days" while now < end + N days, a test "within H hours" while now < at
 * + H hours; at that moment the reason lapses. exp is now + validity, and
 * no later than the first moment a listed reason lapses, or a green's test
 * (nat_required) does: until exp every reason in why still holds, and the
 * status is the one the same record gets at any time before exp. So exp >
 * now always (never a code valid for zero seconds).
 */
hc_err hc__policy_decide(const struct hc_policy *p, const struct hc_record *rec,
			 const struct hc_risk *risk, int64_t now, int64_t validity,
			 struct hc_claims *c)
{
	struct exposure x = {0}, xv;
	struct verdict v = {.st = HC_ST_GREEN};
	const struct hc__nat *last = NULL, *neg = NULL;
	int64_t nat_since, exp, doses = 0, vac_at = 0;
	char why[HC_WHY_LEN], name[sizeof(c->name)], id[sizeof(c->id)];
	const char *trv;
	hc_err err;

	if (!p || !rec || !c || now < 0 || now > HC__TIME_MAX || validity < 0 ||
	    validity > HC_POLICY_MAX_VALIDITY)
		return HC_ERR_INVALID_ARG;
	hc_set_detail(NULL);
	if ((err = check_dates(rec, now)) != HC_OK ||
	    (!risk && (err = check_travel_known(p, rec, now)) != HC_OK))
		return err;
	if (rec->premasked) {
		hc_copy(name, sizeof(name), rec->mname); /* same sizes */
		hc_copy(id, sizeof(id), rec->mid);
	} else if ((err = hc_mask_name(rec->name, name, sizeof(name))) != HC_OK ||
		   (err = hc_mask_id(rec->id, id, sizeof(id))) != HC_OK) {
		hc_set_detail("person cannot be masked");
		return err;
	}

	nat_since = now - p->nat_max_age_h * 3600;
	for (size_t i = 0; i < rec->nnat; i++) {
		const struct hc__nat *t = &rec->nat[i];

		if (!last || t->at > last->at || (t->at == last->at && t->positive))
			last = t;
		if (!t->positive && t->at > nat_since && (!neg || t->at > neg->at))
			neg = t;
	}
	for (size_t i = 0; i < rec->nvac; i++) {
		if (rec->vac[i].dose > doses)
			doses = rec->vac[i].dose;
		if (i == 0 || rec->vac[i].at > vac_at)
			vac_at = rec->vac[i].at;
	}
	x.high_red_since = now - p->high_red_days * HC__DAY;
	x.high_yellow_since = now - p->high_yellow_days * HC__DAY;
	x.medium_since = now - p->medium_yellow_days * HC__DAY;
	xv = x;
	for (size_t i = 0; risk && i < rec->ntrv; i++)
		hc__risk_exposures(risk, &rec->trv[i], on_exposure, &x);
	for (size_t i = 0; risk && i < rec->nvis; i++)
		hc__risk_visit(risk, rec->vis[i].venue, rec->vis[i].at, on_exposure, &xv);

	/* Red rules. */
	if (last && last->positive)
		fire(&v, HC_ST_RED, "nat-positive");
	for (unsigned i = 0; i < HC__NFLAGS; i++)
		if (rec->flags & p->red_flags & (1u << i)) {
			(void)snprintf(why, sizeof(why), "flag-%s", hc__flag_names[i]);
			fire(&v, HC_ST_RED, why);
		}
	if (x.high_recent)
		fire(&v, HC_ST_RED, "high-risk-recent");
	if (xv.high_recent)
		fire(&v, HC_ST_RED, "high-risk-venue-recent");
	/* Yellow rules. */
	for (unsigned i = 0; i < HC__NFLAGS; i++)
		if (rec->flags & p->yellow_flags & (1u << i)) {
			(void)snprintf(why, sizeof(why), "flag-%s", hc__flag_names[i]);
			fire(&v, HC_ST_YELLOW, why);
		}
	if (x.high_earlier)
		fire(&v, HC_ST_YELLOW, "high-risk-earlier");
	if (xv.high_earlier)
		fire(&v, HC_ST_YELLOW, "high-risk-venue-earlier");
	if (x.medium_recent)
		fire(&v, HC_ST_YELLOW, "medium-risk-recent");
	if (xv.medium_recent)
		fire(&v, HC_ST_YELLOW, "medium-risk-venue-recent");
	if (p->nat_required && !neg)
		fire(&v, HC_ST_YELLOW, "no-recent-nat");

	/* The status lasts no longer than its basis: each reason that can lapse
	 * (the others, a test result or a flag, do not change with time). */
	exp = now + (validity > 0 ? validity : p->validity_h * 3600);
	if (x.high_recent)
		cap(&exp, x.high_recent_end + p->high_red_days * HC__DAY);
	if (x.high_earlier)
		cap(&exp, x.high_earlier_end + p->high_yellow_days * HC__DAY);
	if (x.medium_recent)
		cap(&exp, x.medium_end + p->medium_yellow_days * HC__DAY);
	if (xv.high_recent)
		cap(&exp, xv.high_recent_end + p->high_red_days * HC__DAY);
	if (xv.high_earlier)
		cap(&exp, xv.high_earlier_end + p->high_yellow_days * HC__DAY);
	if (xv.medium_recent)
		cap(&exp, xv.medium_end + p->medium_yellow_days * HC__DAY);
	/* A green that rests on a test lapses when the test ages out. */
	if (p->nat_required && v.st == HC_ST_GREEN && neg)
		cap(&exp, neg->at + p->nat_max_age_h * 3600);
	if (x.high_recent || x.high_earlier || xv.high_recent || xv.high_earlier)
		trv = "high";
	else if (x.medium_recent || xv.medium_recent)
		trv = "medium";
	else
		trv = "low";

	c->v = 1;
	c->st = v.st;
	hc_copy(c->pol, sizeof(c->pol), p->id);
	memcpy(c->why, v.why, sizeof(c->why));
	c->nwhy = v.nwhy;
	memcpy(c->name, name, sizeof(c->name));
	memcpy(c->id, id, sizeof(c->id));
	c->has_nat = last != NULL;
	c->nat_at = last ? last->at : 0;
	hc_copy(c->nat_res, sizeof(c->nat_res), last ? (last->positive ? "pos" : "neg") : "");
	c->has_vac = rec->nvac > 0;
	c->vac_doses = doses;
	c->vac_at = vac_at;
	c->has_trv = risk != NULL;
	hc_copy(c->trv_risk, sizeof(c->trv_risk), risk ? trv : "");
	c->iat = c->nbf = now;
	c->has_nbf = true;
	c->exp = exp;
	return HC_OK;
}

hc_err hc_policy_apply(const struct hc_policy *p, const struct hc_record *rec,
		       const struct hc_risk *risk, int64_t now, int64_t validity,
		       struct hc_claims *c)
{
	hc_err err;

	if (!p || !rec || !c || now < 0 || now > HC__TIME_MAX)
		return HC_ERR_INVALID_ARG;
	hc_set_detail(NULL);
	if ((err = hc_policy_risk_check(p, risk, now)) != HC_OK)
		return err;
	return hc__policy_decide(p, rec, risk, now, validity, c);
}
