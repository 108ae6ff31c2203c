/* t_policy_risk.c: the risk-area and venue lists a record is evaluated
 * against: what hc_policy_apply refuses (entries after the time of issue,
 * travel no list covers), a list's age, and venue visits against a signed
 * list's payload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_fx.h"
#include "t.h"

/*
 * Issue 18, points 16, 18 and 21: what hc_policy_apply refuses (or, on the
 * edge, accepts): entries and birth dates after the time of issue, and
 * travel that no current risk-area list covers.
 */
#define WEEK_POL "{'id':'w','high_red_days':7,'high_yellow_days':7,'medium_yellow_days':7}"
static const struct apply_case {
	const char *name;
	const char *pol; /* NULL: the built-in default */
	bool no_risk;
	int64_t at; /* from NOW */
	const char *rec; /* the whole record */
	hc_err err;
	const char *detail; /* substring of hc_detail() */
} apply_cases[] = {
	{"stay to tomorrow", NULL, false, 0, PERSON STAY("310115", "2026-11-22", "2026-11-24") "}",
	 HC_ERR_RECORD, "travel[0].to is after the time of issue"},
	{"stay to today", NULL, false, 0, PERSON STAY("310115", "2026-11-22", "2026-11-23") "}",
	 HC_OK, ""},
	{"stay to today, 300 s before it", NULL, false, MIDNIGHT - 300,
	 PERSON STAY("310115", "2026-11-22", "2026-11-23") "}", HC_OK, ""},
	{"stay to today, 301 s before it", NULL, false, MIDNIGHT - 301,
	 PERSON STAY("310115", "2026-11-22", "2026-11-23") "}", HC_ERR_RECORD, "travel[0].to"},
	{"second stay to tomorrow", NULL, false, 0,
	 PERSON ",'travel':[{'region':'310115','from':'2026-11-01','to':'2026-11-02'},"
	 "{'region':'110105','from':'2026-11-23','to':'2026-11-24'}]}",
	 HC_ERR_RECORD, "travel[1].to"},
	{"birth date tomorrow", NULL, false, 0, WHO("'33010620261124123X'"), HC_ERR_RECORD,
	 "person.id birth date is after the day of issue"},
	{"birth date today", NULL, false, 0, WHO("'330106202611231234'"), HC_OK, ""},
	{"birth date today, issued the day before", NULL, false, MIDNIGHT - 1,
	 WHO("'330106202611231234'"), HC_ERR_RECORD, "birth date"},
	{"birth date 1900-01-01", NULL, false, 0, WHO("'330106190001011239'"), HC_OK, ""},
	/* born 2026-11-20 (CST): nothing of theirs is dated before that day */
	{"vaccination the day before birth", NULL, false, 0,
	 "{'person':{'name':'张三','id':'330106202611201238'},"
	 "'vaccinations':[{'at':'2026-11-19','dose':1}]}",
	 HC_ERR_RECORD, "vaccinations[0].at is before the birth date"},
	{"vaccination on the day of birth", NULL, false, 0,
	 "{'person':{'name':'张三','id':'330106202611201238'},"
	 "'vaccinations':[{'at':'2026-11-20','dose':1}]}", HC_OK, ""},
	{"test the evening before birth (CST)", NULL, false, 0,
	 "{'person':{'name':'张三','id':'330106202611201238'},"
	 "'nat':[{'at':'2026-11-19T23:59:59+08:00','result':'negative'}]}",
	 HC_ERR_RECORD, "nat[0].at is before the birth date"},
	{"stay from before birth", NULL, false, 0,
	 "{'person':{'name':'张三','id':'330106202611201238'}"
	 STAY("310115", "2026-11-19", "2026-11-21") "}",
	 HC_ERR_RECORD, "travel[0].from is before the birth date"},
	{"no list: high-risk stay 3 days ago", NULL, true, 0,
	 PERSON STAY("110105", "2026-11-20", "2026-11-20") "}", HC_ERR_RISK,
	 "none given, but travel[0] ends within the 14 days"},
	{"no list: stay in the window's last day", NULL, true, 0,
	 PERSON STAY("310104", "2026-11-01", "2026-11-09") "}", HC_ERR_RISK, "travel[0]"},
	{"no list: stay before the window", NULL, true, 0,
	 PERSON STAY("310104", "2026-11-01", "2026-11-08") "}", HC_OK, ""},
	{"no list: second stay in the window", NULL, true, 0,
	 PERSON ",'travel':[{'region':'310115','from':'2026-11-01','to':'2026-11-02'},"
	 "{'region':'310104','from':'2026-11-20','to':'2026-11-21'}]}",
	 HC_ERR_RISK, "travel[1]"},
	{"no list: the window is the policy's (in)", WEEK_POL, true, 0,
	 PERSON STAY("310104", "2026-11-16", "2026-11-16") "}", HC_ERR_RISK, "within the 7 days"},
	{"no list: the window is the policy's (out)", WEEK_POL, true, 0,
	 PERSON STAY("310104", "2026-11-15", "2026-11-15") "}", HC_OK, ""},
	{"no list: no travel", NULL, true, 0, PERSON FLAGS("'secondary-contact'") "}", HC_OK, ""},
	{"no list: a future stay is still a record error", NULL, true, 0,
	 PERSON STAY("310115", "2026-11-22", "2026-11-24") "}", HC_ERR_RECORD, "travel[0].to"},
};

static void test_refuse(void)
{
	for (size_t i = 0; i < sizeof(apply_cases) / sizeof(apply_cases[0]); i++) {
		const struct apply_case *tc = &apply_cases[i];
		struct hc_policy *p;
		struct hc_record *r = NULL;
		struct hc_claims c;
		char *j = q(tc->rec);

		t_begin(tc->name);
		p = policy(tc->pol);
		memset(&c, 0, sizeof(c));
		CHECK_ERR(hc_record_parse(j, strlen(j), &r), HC_OK);
		if (p && r) {
			CHECK_ERR(hc_policy_apply(p, r, tc->no_risk ? NULL : risk, NOW + tc->at, 0, &c),
				  tc->err);
			if (!strstr(hc_detail(), tc->detail))
				t_fail(__FILE__, __LINE__, "detail \"%s\", want \"%s\"", hc_detail(),
				       tc->detail);
			if (tc->err == HC_OK)
				CHECK(c.iat == NOW + tc->at && c.exp > c.iat && c.has_trv == !tc->no_risk);
		}
		hc_record_free(r);
		hc_policy_free(p);
		free(j);
		t_end();
	}
}

/* Issue 18, point 18: a list older than risk_max_age_h (or from after the
 * time of issue) is refused, whatever the record. */
static const struct risk_age_case {
	const char *name;
	const char *pol; /* NULL: the built-in default (24 h) */
	int64_t updated; /* from NOW */
	hc_err err;
	const char *detail;
} risk_age_cases[] = {
	{"list of now", NULL, 0, HC_OK, ""},
	{"list 24 h old", NULL, -DAY, HC_OK, ""},
	{"list 24 h + 1 s old", NULL, -DAY - 1, HC_ERR_RISK, "more than risk_max_age_h (24 h)"},
	{"list 30 days old", NULL, -30 * DAY, HC_ERR_RISK, "updated 2026-10-24T00:00:00Z"},
	{"list 300 s ahead", NULL, 300, HC_OK, ""},
	{"list 301 s ahead", NULL, 301, HC_ERR_RISK, "after the time of issue"},
	{"risk_max_age_h 48: 48 h old", "{'id':'r','risk_max_age_h':48}", -2 * DAY, HC_OK, ""},
	{"risk_max_age_h 48: 48 h + 1 s old", "{'id':'r','risk_max_age_h':48}", -2 * DAY - 1,
	 HC_ERR_RISK, "(48 h)"},
	{"risk_max_age_h 1: 1 h + 1 s old", "{'id':'r','risk_max_age_h':1}", -H - 1, HC_ERR_RISK,
	 "(1 h)"},
};

static void test_risk_age(void)
{
	char *rec = q(PERSON "}");

	for (size_t i = 0; i < sizeof(risk_age_cases) / sizeof(risk_age_cases[0]); i++) {
		const struct risk_age_case *tc = &risk_age_cases[i];
		struct hc_policy *p;
		struct hc_record *r = NULL;
		struct hc_risk *k = NULL;
		struct hc_claims c;
		char json[128];

		t_begin(tc->name);
		p = policy(tc->pol);
		snprintf(json, sizeof(json), "{\"updated\":%lld,\"areas\":[]}",
			 (long long)(NOW + tc->updated));
		CHECK_ERR(hc_risk_parse(json, strlen(json), &k), HC_OK);
		CHECK_ERR(hc_record_parse(rec, strlen(rec), &r), HC_OK);
		if (p && r && k) {
			CHECK_ERR(hc_policy_risk_check(p, k, NOW), tc->err);
			memset(&c, 0, sizeof(c));
			CHECK_ERR(hc_policy_apply(p, r, k, NOW, 0, &c), tc->err);
			if (!strstr(hc_detail(), tc->detail))
				t_fail(__FILE__, __LINE__, "detail \"%s\", want \"%s\"", hc_detail(),
				       tc->detail);
			if (tc->err == HC_OK)
				CHECK(c.has_trv && strcmp(c.trv_risk, "low") == 0);
		}
		hc_record_free(r);
		hc_risk_free(k);
		hc_policy_free(p);
		t_end();
	}
	free(rec);
}

/* Venue visits against the venues of a signed list's payload (NOW is
 * 2026-11-23T08:00+08:00). */
#define VENUES "{'seq':7,'iat':'2026-11-23T06:00:00+08:00','areas':[" \
	"{'region':'110105','level':'high','from':'2026-11-15','to':'2026-11-22'}]," \
	"'venues':[" \
	"{'venue':'330106-000042','level':'high','from':'2026-11-20T10:00:00+08:00'," \
	"'to':'2026-11-20T14:00:00+08:00'}," \
	"{'venue':'330106-000043','level':'medium','from':'2026-11-18','to':'2026-11-19'}," \
	"{'venue':'330106-000044','level':'high','from':'2026-11-12','to':'2026-11-13'}," \
	"{'venue':'330106-000045','level':'medium','from':'2026-11-09','to':'2026-11-10'}]}"
#define VISIT(v, at) ",'visits':[{'venue':'" v "','at':'" at "'}]"
static const struct venue_case {
	const char *name;
	const char *rec;
	enum hc_status st;
	const char *why;
	int64_t exp;
} venue_cases[] = {
	{"high venue, inside the window", VISIT("330106-000042", "2026-11-20T12:00:00+08:00"),
	 HC_ST_RED, "high-risk-venue-recent", DAY},
	{"high venue, at its from", VISIT("330106-000042", "2026-11-20T10:00:00+08:00"), HC_ST_RED,
	 "high-risk-venue-recent", DAY},
	{"high venue, 1 s before", VISIT("330106-000042", "2026-11-20T09:59:59+08:00"),
	 HC_ST_GREEN, "", DAY},
	{"high venue, at its to", VISIT("330106-000042", "2026-11-20T14:00:00+08:00"), HC_ST_GREEN,
	 "", DAY},
	{"another venue of the district", VISIT("330106-000041", "2026-11-20T12:00:00+08:00"),
	 HC_ST_GREEN, "", DAY},
	{"medium venue", VISIT("330106-000043", "2026-11-18T20:00:00+08:00"), HC_ST_YELLOW,
	 "medium-risk-venue-recent", DAY},
	{"high venue 11 days ago", VISIT("330106-000044", "2026-11-12T08:00:00+08:00"),
	 HC_ST_YELLOW, "high-risk-venue-earlier", DAY},
	{"medium venue lapses in 16 h", VISIT("330106-000045", "2026-11-09T12:00:00+08:00"),
	 HC_ST_YELLOW, "medium-risk-venue-recent", 16 * H},
	{"stay and visit", STAY("110105", "2026-11-20", "2026-11-20")
	 VISIT("330106-000042", "2026-11-20T12:00:00+08:00"), HC_ST_RED,
	 "high-risk-recent,high-risk-venue-recent", DAY},
	{"a venue is not its region", STAY("330106", "2026-11-20", "2026-11-20"), HC_ST_GREEN, "",
	 DAY},
};

static void test_venues(void)
{
	struct hc_risk *vr = NULL, *k = NULL;
	struct hc_policy *p = policy(NULL);
	char rec[2048], *j = q(VENUES);
	size_t nv = 0;

	CHECK_ERR(hc_risk_parse_payload(j, strlen(j), &vr), HC_OK);
	CHECK(hc_risk_seq(vr) == 7 && hc_risk_iat(vr) == NOW - 2 * H);
	CHECK(hc_risk_count(vr, &nv) == 1 && nv == 4);
	/* The two forms do not mix. */
	CHECK_ERR(hc_risk_parse(j, strlen(j), &k), HC_ERR_JSON_UNKNOWN);
	free(j);
	for (size_t i = 0; vr && i < sizeof(venue_cases) / sizeof(venue_cases[0]); i++) {
		const struct venue_case *tc = &venue_cases[i];
		struct hc_record *r = NULL;
		struct hc_claims c;

		snprintf(rec, sizeof(rec), PERSON "%s}", tc->rec);
		j = q(rec);
		memset(&c, 0, sizeof(c));
		CHECK_ERR(hc_record_parse(j, strlen(j), &r), HC_OK);
		if (r) {
			CHECK_ERR(hc_policy_apply(p, r, vr, NOW, 0, &c), HC_OK);
			if (c.st != tc->st || c.exp != NOW + tc->exp)
				t_fail(__FILE__, __LINE__, "case \"%s\"", tc->name);
			check_claims(&c, tc->st, tc->why, NOW + tc->exp);
			/* The unsigned list of the other tests has no venues. */
			if (strstr(tc->rec, "travel") == NULL)
				CHECK_ERR(hc_policy_apply(p, r, risk, NOW, 0, &c), HC_OK);
			if (strstr(tc->rec, "travel") == NULL)
				CHECK(c.st == HC_ST_GREEN);
		}
		hc_record_free(r);
		free(j);
	}
	hc_risk_free(vr);
	hc_policy_free(p);
}

static const struct {
	const char *name;
	bool payload; /* hc_risk_parse_payload, else hc_record_parse + apply without a list */
	const char *json;
	hc_err err;
	const char *detail;
} venue_bad[] = {
	{"payload without seq", true, "{'iat':1795380000,'areas':[]}", HC_ERR_JSON_MISSING, "seq"},
	{"payload seq 0", true, "{'seq':0,'iat':1795380000,'areas':[]}", HC_ERR_JSON_INT, "seq"},
	{"payload without iat", true, "{'seq':1,'areas':[]}", HC_ERR_JSON_MISSING, "iat"},
	{"payload with updated", true, "{'seq':1,'iat':1,'updated':1,'areas':[]}",
	 HC_ERR_JSON_UNKNOWN, "updated"},
	{"venue code short", true,
	 "{'seq':1,'iat':1,'areas':[],'venues':[{'venue':'330106-00042','level':'high',"
	 "'from':1,'to':2}]}", HC_ERR_RISK, "venues[0]: venue"},
	{"venue region bad", true,
	 "{'seq':1,'iat':1,'areas':[],'venues':[{'venue':'000106-000042','level':'high',"
	 "'from':1,'to':2}]}", HC_ERR_RISK, "venues[0]: venue"},
	{"venue window empty", true,
	 "{'seq':1,'iat':1,'areas':[],'venues':[{'venue':'330106-000042','level':'high',"
	 "'from':2,'to':2}]}", HC_ERR_RISK, "venues[0]: from is not before to"},
	{"venue level", true,
	 "{'seq':1,'iat':1,'areas':[],'venues':[{'venue':'330106-000042','level':'low',"
	 "'from':1,'to':2}]}", HC_ERR_RISK, "venues[0]: level"},
	{"venue member unknown", true,
	 "{'seq':1,'iat':1,'areas':[],'venues':[{'venue':'330106-000042','level':'high',"
	 "'from':1,'to':2,'x':1}]}", HC_ERR_JSON_UNKNOWN, "venues[0]"},
	{"visit venue bad", false, PERSON VISIT("330106000042", "2026-11-20") "}", HC_ERR_RECORD,
	 "visits[0]: venue"},
	{"visit without at", false, PERSON ",'visits':[{'venue':'330106-000042'}]}",
	 HC_ERR_JSON_MISSING, "visits[0]"},
	{"visit from the future", false, PERSON VISIT("330106-000042", "2026-11-24") "}",
	 HC_ERR_RECORD, "visits[0].at is after"},
	{"recent visit, no list", false, PERSON VISIT("330106-000042", "2026-11-20") "}",
	 HC_ERR_RISK, "visits[0]"},
	{"old visit, no list", false, PERSON VISIT("330106-000042", "2026-10-20") "}", HC_OK, ""},
};

static void test_venue_bad(void)
{
	for (size_t i = 0; i < sizeof(venue_bad) / sizeof(venue_bad[0]); i++) {
		struct hc_policy *p = policy(NULL);
		struct hc_record *r = NULL;
		struct hc_risk *k = NULL;
		struct hc_claims c;
		char *j = q(venue_bad[i].json);
		hc_err err;

		t_begin(venue_bad[i].name);
		if (venue_bad[i].payload) {
			err = hc_risk_parse_payload(j, strlen(j), &k);
		} else if ((err = hc_record_parse(j, strlen(j), &r)) == HC_OK) {
			memset(&c, 0, sizeof(c));
			err = hc_policy_apply(p, r, NULL, NOW, 0, &c);
		}
		CHECK_ERR(err, venue_bad[i].err);
		if (!strstr(hc_detail(), venue_bad[i].detail))
			t_fail(__FILE__, __LINE__, "detail \"%s\", want \"%s\"", hc_detail(),
			       venue_bad[i].detail);
		hc_record_free(r);
		hc_risk_free(k);
		hc_policy_free(p);
		free(j);
		t_end();
	}
}

void t_main(void)
{
	risk_load();
	test_refuse();
	test_risk_age();
	RUN(test_venues);
	test_venue_bad();
	hc_risk_free(risk);
}
