/* issue_fx.c: fixed issuer inputs for the issuer fuzz targets (so that a
 * fuzzed record meets real policies and risk areas, a fuzzed risk list
 * real travel, a fuzzed policy real records) and the invariants of the
 * status decision, checked on every decision the fuzzer reaches. */
#include <string.h>

#include "issue_fx.h"
#include "policy_int.h"

static const char strict_json[] =
	"{\"id\":\"strict-48h-1\",\"validity_h\":24,\"nat_required\":true,\"nat_max_age_h\":48,"
	"\"high_red_days\":7,\"high_yellow_days\":14,\"medium_yellow_days\":14,"
	"\"red_flags\":[\"confirmed\",\"close-contact\"],\"yellow_flags\":[\"secondary-contact\"]}";

static const char risk_json[] =
	"{\"updated\":\"2026-11-22T20:00:00+08:00\",\"areas\":["
	"{\"region\":\"310115\",\"level\":\"medium\",\"from\":\"2026-11-15\",\"to\":\"2026-11-30\"},"
	"{\"region\":\"440300\",\"level\":\"high\",\"from\":\"2026-11-18\",\"to\":\"2026-11-30\"},"
	"{\"region\":\"420100\",\"level\":\"high\",\"from\":\"2026-11-01\",\"to\":\"2026-11-12\"},"
	"{\"region\":\"110105\",\"level\":\"medium\",\"from\":\"2026-11-20\",\"to\":\"2026-11-30\"},"
	"{\"region\":\"650000\",\"level\":\"high\",\"from\":\"2026-10-20\",\"to\":\"2026-11-30\"}]}";

static const char *const record_json[IX_NRECORD] = {
	"{\"person\":{\"name\":\"张三\",\"id\":\"33010619900101123X\"},"
	"\"nat\":[{\"at\":\"2026-11-19T10:15:00+08:00\",\"result\":\"negative\",\"lab\":\"a\"},"
	"{\"at\":\"2026-11-22T09:30:00+08:00\",\"result\":\"negative\",\"lab\":\"a\"}],"
	"\"vaccinations\":[{\"at\":\"2021-05-01\",\"product\":\"BBIBP-CorV\",\"dose\":1},"
	"{\"at\":\"2021-12-10\",\"product\":\"BBIBP-CorV\",\"dose\":3}],"
	"\"travel\":[{\"region\":\"310104\",\"from\":\"2026-11-10\",\"to\":\"2026-11-12\"}],\"flags\":[]}",
	"{\"person\":{\"name\":\"李四\",\"id\":\"310115199207150043\"},"
	"\"nat\":[{\"at\":\"2026-11-21T16:00:00+08:00\",\"result\":\"negative\",\"lab\":\"b\"}],"
	"\"travel\":[{\"region\":\"310115\",\"from\":\"2026-11-18\",\"to\":\"2026-11-18\"}]}",
	"{\"person\":{\"name\":\"王芳\",\"id\":\"330106198503120028\"},"
	"\"nat\":[{\"at\":\"2026-11-22T08:45:00+08:00\",\"result\":\"negative\",\"lab\":\"c\"}],"
	"\"travel\":[{\"region\":\"440305\",\"from\":\"2026-11-19\",\"to\":\"2026-11-20\"}]}",
	"{\"person\":{\"name\":\"Ada\",\"id\":\"33010619900101123X\"},"
	"\"nat\":[{\"at\":1795000000,\"result\":\"positive\",\"lab\":\"d\"},"
	"{\"at\":1795300000,\"result\":\"negative\",\"lab\":\"d\"}],"
	"\"travel\":[{\"region\":\"420100\",\"from\":\"2026-11-08\",\"to\":\"2026-11-11\"},"
	"{\"region\":\"650000\",\"from\":\"2026-11-01\",\"to\":\"2026-11-02\"},"
	"{\"region\":\"110000\",\"from\":\"2026-11-21\",\"to\":\"2026-11-21\"}],"
	"\"flags\":[\"secondary-contact\"]}",
};

static struct hc_policy *policies[IX_NPOLICY];
static struct hc_record *records[IX_NRECORD];
static struct hc_risk *risk;

const struct hc_policy *ix_policy(size_t i)
{
	if (!policies[0]) {
		FX_CHECK(hc_policy_default(&policies[0]) == HC_OK);
		FX_CHECK(hc_policy_parse(strict_json, sizeof(strict_json) - 1, &policies[1]) == HC_OK);
	}
	return policies[i];
}

const struct hc_record *ix_record(size_t i)
{
	if (!records[0])
		for (size_t r = 0; r < IX_NRECORD; r++)
			FX_CHECK(hc_record_parse(record_json[r], strlen(record_json[r]), &records[r]) ==
				 HC_OK);
	return records[i];
}

const struct hc_risk *ix_risk(void)
{
	if (!risk)
		FX_CHECK(hc_risk_parse(risk_json, sizeof(risk_json) - 1, &risk) == HC_OK);
	return risk;
}

static void check(const struct hc_policy *p, const struct hc_claims *c, bool listed)
{
	struct hc_claims w = *c, back;
	char *json = NULL;

	FX_CHECK(c->st == HC_ST_GREEN || c->st == HC_ST_YELLOW || c->st == HC_ST_RED);
	FX_CHECK((c->st == HC_ST_GREEN) == (c->nwhy == 0));
	FX_CHECK(c->nwhy <= HC_MAX_WHY);
	for (size_t i = 0; i < c->nwhy; i++) {
		FX_CHECK(c->why[i][0] != '\0');
		for (size_t j = 0; j < i; j++)
			FX_CHECK(strcmp(c->why[i], c->why[j]) != 0);
	}
	FX_CHECK(c->iat == FX_AT && c->nbf == FX_AT && c->has_nbf);
	/* Never a code valid for zero seconds (issue 18, point 19). */
	FX_CHECK(c->exp > c->iat && c->exp <= c->iat + hc_policy_validity(p));
	FX_CHECK(strcmp(c->pol, hc_policy_id(p)) == 0);
	FX_CHECK(c->has_trv == listed);
	/* What the issuer signs, the verifier must read back the same. */
	snprintf(w.iss, sizeof(w.iss), "https://hc.fuzz.example");
	snprintf(w.jti, sizeof(w.jti), "3q2-7wAAAAAAAAAAAAAAAA");
	FX_CHECK(hc_claims_json(&w, &json) == HC_OK);
	FX_CHECK(hc_claims_parse(json, strlen(json), &back) == HC_OK);
	free(json);
	FX_CHECK(back.st == w.st && back.iat == w.iat && back.exp == w.exp && back.nbf == w.nbf);
	FX_CHECK(back.nwhy == w.nwhy);
	for (size_t i = 0; i < w.nwhy; i++)
		FX_CHECK(strcmp(back.why[i], w.why[i]) == 0);
	FX_CHECK(strcmp(back.pol, w.pol) == 0 && strcmp(back.name, w.name) == 0 &&
		 strcmp(back.id, w.id) == 0);
	FX_CHECK(back.has_nat == w.has_nat && back.nat_at == w.nat_at &&
		 strcmp(back.nat_res, w.nat_res) == 0);
	FX_CHECK(back.has_vac == w.has_vac && back.vac_doses == w.vac_doses &&
		 back.vac_at == w.vac_at);
	FX_CHECK(back.has_trv == w.has_trv && strcmp(back.trv_risk, w.trv_risk) == 0);
}

/* Whether every reason of a is also a reason of b. */
static bool reasons_kept(const struct hc_claims *a, const struct hc_claims *b)
{
	for (size_t i = 0; i < a->nwhy; i++) {
		size_t j = 0;

		while (j < b->nwhy && strcmp(a->why[i], b->why[j]) != 0)
			j++;
		if (j == b->nwhy)
			return false;
	}
	return true;
}

/* A status lasts until its basis lapses and no longer (issue 18, point
 * 20): decided again 1 s before exp, the same record gets the same status
 * with every reason still listed; and when exp is before the validity ends,
 * decided at exp it gets another status or loses a reason. */
static void check_lapse(const struct hc_policy *p, const struct hc_record *rec,
			const struct hc_risk *r, const struct hc_claims *c)
{
	struct hc_claims later;

	memset(&later, 0, sizeof(later));
	FX_CHECK(hc__policy_decide(p, rec, r, c->exp - 1, 0, &later) == HC_OK);
	FX_CHECK(later.st == c->st && reasons_kept(c, &later));
	if (c->exp == c->iat + hc_policy_validity(p))
		return;
	memset(&later, 0, sizeof(later));
	FX_CHECK(hc__policy_decide(p, rec, r, c->exp, 0, &later) == HC_OK);
	FX_CHECK(later.st != c->st || !reasons_kept(c, &later));
}

/* Whether a stay ends inside the longest window of p (then no risk list
 * is no answer: issue 18, point 18). */
static bool travel_in_window(const struct hc_policy *p, const struct hc_record *rec)
{
	int64_t days = p->high_red_days;

	if (p->high_yellow_days > days)
		days = p->high_yellow_days;
	if (p->medium_yellow_days > days)
		days = p->medium_yellow_days;
	for (size_t i = 0; i < rec->ntrv; i++)
		if (rec->trv[i].end + days * HC__DAY > FX_AT)
			return true;
	/* A visit's exposure may last to the end of its day: one within a
	 * day before the window counts too (doc/FORMATS.md, section 5). */
	for (size_t i = 0; i < rec->nvis; i++)
		if (rec->vis[i].at + (days + 1) * HC__DAY > FX_AT)
			return true;
	return false;
}

void ix_apply(const struct hc_policy *p, const struct hc_record *rec, const struct hc_risk *r)
{
	struct hc_claims with, without;
	hc_err e1, e2, ek;

	memset(&with, 0, sizeof(with));
	memset(&without, 0, sizeof(without));
	e1 = hc_policy_apply(p, rec, r, FX_AT, 0, &with);
	/* A list that is not current is refused whatever the record; the
	 * decision on it is still checked, as hc__policy_decide makes it. */
	ek = hc_policy_risk_check(p, r, FX_AT);
	FX_CHECK(ek == HC_OK || ek == HC_ERR_RISK);
	FX_CHECK((ek == HC_OK) ==
		 (!r || (hc__risk_updated(r) <= FX_AT + HC__SKEW &&
			 hc__risk_updated(r) >= FX_AT - p->risk_max_age_h * 3600)));
	if (ek != HC_OK) {
		FX_CHECK(e1 == ek);
		memset(&with, 0, sizeof(with));
		e1 = hc__policy_decide(p, rec, r, FX_AT, 0, &with);
	}
	e2 = hc_policy_apply(p, rec, NULL, FX_AT, 0, &without);
	/* The record's own errors (such as dates after now) do not depend on
	 * the risk areas; without a list, a stay inside the window is refused. */
	if (e1 != HC_OK) {
		FX_CHECK(e2 == e1);
		return;
	}
	FX_CHECK((e2 == HC_ERR_RISK) == travel_in_window(p, rec));
	FX_CHECK(e2 == HC_OK || e2 == HC_ERR_RISK);
	check(p, &with, r != NULL);
	check_lapse(p, rec, r, &with);
	if (e2 != HC_OK)
		return;
	check(p, &without, false);
	check_lapse(p, rec, NULL, &without);
	FX_CHECK(with.st >= without.st);
}
