/* t_policy.c: records, risk-area lists, policy files and the DESIGN 5 rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "hc_policy.h"
#include "t.h"

#define NOW 1795392000LL /* 2026-11-23T08:00:00+08:00 */
#define H 3600LL
#define DAY 86400LL
#define PERSON "{'person':{'name':'张三','id':'33010619900101123X'}"
/* A record's only stay: ,"travel":[{"region":R,"from":F,"to":T}] */
#define STAY(r, f, t) ",'travel':[{'region':'" r "','from':'" f "','to':'" t "'}]"
#define NAT1(at, res) ",'nat':[{'at':" at ",'result':'" res "'}]"
#define FLAGS(f) ",'flags':[" f "]"
#define WHO(id) "{'person':{'name':'张三','id':" id "}}"
#define STRICT48 "{'id':'strict-48','nat_required':true,'nat_max_age_h':48}"

/* Table rows write JSON with ' for "; this turns them into real JSON. */
static char *q(const char *s)
{
	size_t n = strlen(s);
	char *o = malloc(n + 1);

	if (!o)
		abort();
	for (size_t i = 0; i <= n; i++)
		o[i] = s[i] == '\'' ? '"' : s[i]; /* NOLINT(bugprone-narrowing-conversions): ASCII */
	return o;
}

static struct hc_risk *risk;

static struct hc_policy *policy(const char *json)
{
	struct hc_policy *p = NULL;
	char *j = json ? q(json) : NULL;

	CHECK_ERR(j ? hc_policy_parse(j, strlen(j), &p) : hc_policy_default(&p), HC_OK);
	free(j);
	return p;
}

/* Checks status, the exact why list ("a,b") and exp of claims issued at now. */
static void check_claims_at(const struct hc_claims *c, int64_t now, enum hc_status st,
			    const char *why, int64_t exp)
{
	char got[512] = "";
	size_t o = 0;

	for (size_t i = 0; i < c->nwhy && i < HC_MAX_WHY && o < sizeof(got); i++)
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s", i ? "," : "", c->why[i]);
	if (c->st != st)
		t_fail(__FILE__, __LINE__, "status %s, want %s", hc_status_name(c->st),
		       hc_status_name(st));
	if (strcmp(got, why) != 0)
		t_fail(__FILE__, __LINE__, "why \"%s\", want \"%s\"", got, why);
	if (c->exp != exp)
		t_fail(__FILE__, __LINE__, "exp now%+lld, want now%+lld", (long long)(c->exp - now),
		       (long long)(exp - now));
	CHECK(c->iat == now && c->nbf == now && c->exp > now);
}

static void check_claims(const struct hc_claims *c, enum hc_status st, const char *why,
			 int64_t exp)
{
	check_claims_at(c, NOW, st, why, exp);
}

static const struct status_case {
	const char *name;
	const char *pol; /* NULL: the built-in default */
	bool no_risk;
	int64_t validity;
	const char *rec; /* members after person */
	enum hc_status st;
	const char *why;
	int64_t exp; /* from NOW */
} status_cases[] = {
	{"green baseline", NULL, false, 0, NAT1("'2026-11-22T09:30:00+08:00'", "negative"),
	 HC_ST_GREEN, "", DAY},
	{"green, nothing on record", NULL, false, 0, "", HC_ST_GREEN, "", DAY},
	{"validity argument", NULL, false, 2 * H, "", HC_ST_GREEN, "", 2 * H},
	{"positive latest test", NULL, false, 0,
	 ",'nat':[{'at':'2026-11-20','result':'negative'},"
	 "{'at':'2026-11-22T10:00:00+08:00','result':'positive'}]",
	 HC_ST_RED, "nat-positive", DAY},
	{"positive then a later negative", NULL, false, 0,
	 ",'nat':[{'at':'2026-11-20','result':'positive'},"
	 "{'at':'2026-11-22T10:00:00+08:00','result':'negative'}]",
	 HC_ST_GREEN, "", DAY},
	{"positive and negative at once", NULL, false, 0,
	 ",'nat':[{'at':1795300000,'result':'negative'},{'at':1795300000,'result':'positive'}]",
	 HC_ST_RED, "nat-positive", DAY},
	{"flag confirmed", NULL, false, 0, FLAGS("'confirmed'"), HC_ST_RED, "flag-confirmed", DAY},
	{"flag close-contact", NULL, false, 0, FLAGS("'close-contact'"), HC_ST_RED,
	 "flag-close-contact", DAY},
	{"flag secondary-contact", NULL, false, 0, FLAGS("'secondary-contact'"), HC_ST_YELLOW,
	 "flag-secondary-contact", DAY},
	{"all flags", NULL, false, 0, FLAGS("'secondary-contact','close-contact','confirmed'"),
	 HC_ST_RED, "flag-confirmed,flag-close-contact,flag-secondary-contact", DAY},
	{"flag in neither policy list", "{'id':'lax','red_flags':[]}", false, 0,
	 FLAGS("'confirmed'"), HC_ST_GREEN, "", DAY},
	{"high-risk 3 days ago", NULL, false, 0, STAY("110105", "2026-11-20", "2026-11-20"),
	 HC_ST_RED, "high-risk-recent", DAY},
	/* Leaves the 7 days at 2026-11-24T00:00+08:00, 16 h from now: so does
	 * the red (then high-risk-earlier). */
	{"high-risk 7 days ago", NULL, false, 0, STAY("110105", "2026-11-16", "2026-11-16"),
	 HC_ST_RED, "high-risk-recent", 16 * H},
	{"high-risk 8 days ago", NULL, false, 0, STAY("110105", "2026-11-15", "2026-11-15"),
	 HC_ST_YELLOW, "high-risk-earlier", DAY},
	{"high-risk 10 days ago", NULL, false, 0, STAY("110105", "2026-11-12", "2026-11-13"),
	 HC_ST_YELLOW, "high-risk-earlier", DAY},
	{"high-risk 14 days ago", NULL, false, 0, STAY("110105", "2026-11-09", "2026-11-09"),
	 HC_ST_YELLOW, "high-risk-earlier", 16 * H},
	{"high-risk 15 days ago", NULL, false, 0, STAY("110105", "2026-11-08", "2026-11-08"),
	 HC_ST_GREEN, "", DAY},
	{"high-risk 20 days ago", NULL, false, 0, STAY("110105", "2026-11-01", "2026-11-03"),
	 HC_ST_GREEN, "", DAY},
	{"old stay, no risk list", NULL, true, 0, STAY("110105", "2026-11-06", "2026-11-08"),
	 HC_ST_GREEN, "", DAY},
	{"two high-risk stays", NULL, false, 0,
	 ",'travel':[{'region':'110105','from':'2026-11-12','to':'2026-11-12'},"
	 "{'region':'110105','from':'2026-11-21','to':'2026-11-21'}]",
	 HC_ST_RED, "high-risk-recent,high-risk-earlier", DAY},
	{"medium-risk 5 days ago", NULL, false, 0, STAY("310115", "2026-11-18", "2026-11-18"),
	 HC_ST_YELLOW, "medium-risk-recent", DAY},
	{"medium, stay before", NULL, false, 0, STAY("310104", "2026-11-10", "2026-11-19"),
	 HC_ST_GREEN, "", DAY},
	{"medium, stay meets it", NULL, false, 0, STAY("310104", "2026-11-10", "2026-11-20"),
	 HC_ST_YELLOW, "medium-risk-recent", DAY},
	{"province area, district", NULL, false, 0, STAY("440305", "2026-11-20", "2026-11-20"),
	 HC_ST_RED, "high-risk-recent", DAY},
	{"city area covers a district", NULL, false, 0, STAY("420102", "2026-11-18", "2026-11-18"),
	 HC_ST_YELLOW, "medium-risk-recent", DAY},
	{"other district of a city", NULL, false, 0, STAY("310112", "2026-11-18", "2026-11-18"),
	 HC_ST_GREEN, "", DAY},
	{"city stay meets a district", NULL, false, 0, STAY("310100", "2026-11-18", "2026-11-18"),
	 HC_ST_YELLOW, "medium-risk-recent", DAY},
	{"province stay, district", NULL, false, 0, STAY("110000", "2026-11-20", "2026-11-20"),
	 HC_ST_RED, "high-risk-recent", DAY},
	{"every rule that fires is listed", NULL, false, 0,
	 ",'nat':[{'at':'2026-11-22','result':'positive'}],"
	 "'travel':[{'region':'310115','from':'2026-11-18','to':'2026-11-18'},"
	 "{'region':'440305','from':'2026-11-20','to':'2026-11-20'}],'flags':['secondary-contact']",
	 HC_ST_RED, "nat-positive,high-risk-recent,flag-secondary-contact,medium-risk-recent", DAY},
	{"strict: negative 30 h old", STRICT48, false, 0, NAT1("1795284000", "negative"),
	 HC_ST_GREEN, "", 18 * H},
	{"strict: newest negative counts", STRICT48, false, 0,
	 ",'nat':[{'at':1795284000,'result':'negative'},{'at':1795176000,'result':'negative'}]",
	 HC_ST_GREEN, "", 18 * H},
	{"strict: negative 2 h old", STRICT48, false, 0, NAT1("1795384800", "negative"),
	 HC_ST_GREEN, "", DAY},
	{"strict: negative 60 h old", STRICT48, false, 0, NAT1("1795176000", "negative"),
	 HC_ST_YELLOW, "no-recent-nat", DAY},
	{"strict: no test", STRICT48, false, 0, "", HC_ST_YELLOW, "no-recent-nat", DAY},
	{"strict: positive latest", STRICT48, false, 0,
	 ",'nat':[{'at':1795284000,'result':'negative'},{'at':1795300000,'result':'positive'}]",
	 HC_ST_RED, "nat-positive", DAY},
	{"strict: yellow keeps its validity", STRICT48, false, 0,
	 NAT1("1795284000", "negative") STAY("310115", "2026-11-18", "2026-11-18"),
	 HC_ST_YELLOW, "medium-risk-recent", DAY},
};

static void test_status(void)
{
	char rec[2048];

	for (size_t i = 0; i < sizeof(status_cases) / sizeof(status_cases[0]); i++) {
		const struct status_case *tc = &status_cases[i];
		struct hc_policy *p;
		struct hc_record *r = NULL;
		struct hc_claims c;
		char *j;

		t_begin(tc->name);
		p = policy(tc->pol);
		snprintf(rec, sizeof(rec), PERSON "%s}", tc->rec);
		j = q(rec);
		memset(&c, 0, sizeof(c));
		CHECK_ERR(hc_record_parse(j, strlen(j), &r), HC_OK);
		if (p && r) {
			struct hc_record *r2 = NULL;
			cJSON *root = NULL;

			CHECK_ERR(hc_policy_apply(p, r, tc->no_risk ? NULL : risk, NOW, tc->validity,
						  &c),
				  HC_OK);
			check_claims(&c, tc->st, tc->why, NOW + tc->exp);
			/* the same claims from a tree parsed once (hc-issued) */
			CHECK_ERR(hc_json_parse(j, strlen(j), &root), HC_OK);
			CHECK_ERR(hc_record_of_json(root, &r2), HC_OK);
			memset(&c, 0, sizeof(c));
			if (r2) {
				CHECK_ERR(hc_policy_apply(p, r2, tc->no_risk ? NULL : risk, NOW,
							  tc->validity, &c),
					  HC_OK);
				check_claims(&c, tc->st, tc->why, NOW + tc->exp);
			}
			hc_record_free(r2);
			cJSON_Delete(root);
			CHECK(strcmp(c.pol, hc_policy_id(p)) == 0);
			CHECK(c.has_trv == !tc->no_risk);
		}
		hc_record_free(r);
		hc_policy_free(p);
		free(j);
		t_end();
	}
}

/*
 * Issue 18, points 19 and 20: a status lasts no longer than its basis. Each
 * row is issued at NOW + at; exp is counted from that time. Midnight CST of
 * 2026-11-23 is NOW - 8 h, the moment a stay of 11-08 leaves a 14-day
 * window and one of 11-15 a 7-day one; a stay of 11-09 leaves 14 days at
 * 2026-11-24T00:00+08:00 = NOW + 16 h.
 */
#define MIDNIGHT (-8 * H)
static const struct lapse_case {
	const char *name;
	const char *pol; /* NULL: the built-in default */
	int64_t at;      /* from NOW */
	int64_t validity;
	const char *rec;
	enum hc_status st;
	const char *why;
	int64_t exp; /* from NOW + at */
} lapse_cases[] = {
	{"medium leaves the window in 16 h", NULL, 0, 0, STAY("310115", "2026-11-09", "2026-11-09"),
	 HC_ST_YELLOW, "medium-risk-recent", 16 * H},
	{"medium lapses: 1 s before", NULL, MIDNIGHT - 1, 0,
	 STAY("310115", "2026-11-08", "2026-11-08"), HC_ST_YELLOW, "medium-risk-recent", 1},
	{"medium lapses: at the moment", NULL, MIDNIGHT, 0, STAY("310115", "2026-11-08", "2026-11-08"),
	 HC_ST_GREEN, "", DAY},
	{"medium lapses: 1 s after", NULL, MIDNIGHT + 1, 0,
	 STAY("310115", "2026-11-08", "2026-11-08"), HC_ST_GREEN, "", DAY},
	{"high red lapses: 1 s before", NULL, MIDNIGHT - 1, 0,
	 STAY("110105", "2026-11-15", "2026-11-15"), HC_ST_RED, "high-risk-recent", 1},
	{"high red lapses: at the moment", NULL, MIDNIGHT, 0,
	 STAY("110105", "2026-11-15", "2026-11-15"), HC_ST_YELLOW, "high-risk-earlier", DAY},
	{"high earlier lapses: 1 s before", NULL, MIDNIGHT - 1, 0,
	 STAY("110105", "2026-11-08", "2026-11-08"), HC_ST_YELLOW, "high-risk-earlier", 1},
	{"high earlier lapses: at the moment", NULL, MIDNIGHT, 0,
	 STAY("110105", "2026-11-08", "2026-11-08"), HC_ST_GREEN, "", DAY},
	{"red: a listed reason lapses first", NULL, 0, 0,
	 NAT1("'2026-11-22'", "positive") STAY("110105", "2026-11-16", "2026-11-16"), HC_ST_RED,
	 "nat-positive,high-risk-recent", 16 * H},
	{"red: a positive test does not lapse", NULL, 0, 0, NAT1("'2026-11-01'", "positive"),
	 HC_ST_RED, "nat-positive", DAY},
	{"yellow flag and a lapsing stay", NULL, 0, 0,
	 STAY("310115", "2026-11-09", "2026-11-09") FLAGS("'secondary-contact'"), HC_ST_YELLOW,
	 "flag-secondary-contact,medium-risk-recent", 16 * H},
	{"validity shorter than the basis", NULL, 0, 2 * H, STAY("310115", "2026-11-09", "2026-11-09"),
	 HC_ST_YELLOW, "medium-risk-recent", 2 * H},
	{"strict: yellow ends with its stay", STRICT48, 0, 0,
	 NAT1("1795284000", "negative") STAY("310115", "2026-11-09", "2026-11-09"), HC_ST_YELLOW,
	 "medium-risk-recent", 16 * H},
	/* Point 19: a negative test exactly 48 h old no longer counts. */
	{"strict: negative exactly 48 h old", STRICT48, 0, 0, NAT1("1795219200", "negative"),
	 HC_ST_YELLOW, "no-recent-nat", DAY},
	{"strict: negative 48 h - 1 s old", STRICT48, 0, 0, NAT1("1795219201", "negative"),
	 HC_ST_GREEN, "", 1},
	{"strict: negative 48 h + 1 s old", STRICT48, 0, 0, NAT1("1795219199", "negative"),
	 HC_ST_YELLOW, "no-recent-nat", DAY},
	{"strict: the same test, issued 1 s earlier", STRICT48, -1, 0, NAT1("1795219200", "negative"),
	 HC_ST_GREEN, "", 1},
	{"zero-day windows: a stay of today", "{'id':'z','high_red_days':0,'high_yellow_days':0,"
	 "'medium_yellow_days':0}", 0, 0, STAY("110105", "2026-11-23", "2026-11-23"), HC_ST_RED,
	 "high-risk-recent", 16 * H},
	{"zero-day windows: a stay of yesterday", "{'id':'z','high_red_days':0,'high_yellow_days':0,"
	 "'medium_yellow_days':0}", 0, 0, STAY("110105", "2026-11-22", "2026-11-22"), HC_ST_GREEN,
	 "", DAY},
};

static void test_lapse(void)
{
	char rec[2048];

	for (size_t i = 0; i < sizeof(lapse_cases) / sizeof(lapse_cases[0]); i++) {
		const struct lapse_case *tc = &lapse_cases[i];
		struct hc_policy *p;
		struct hc_record *r = NULL;
		struct hc_claims c;
		char *j;

		t_begin(tc->name);
		p = policy(tc->pol);
		snprintf(rec, sizeof(rec), PERSON "%s}", tc->rec);
		j = q(rec);
		memset(&c, 0, sizeof(c));
		CHECK_ERR(hc_record_parse(j, strlen(j), &r), HC_OK);
		if (p && r) {
			CHECK_ERR(hc_policy_apply(p, r, risk, NOW + tc->at, tc->validity, &c), HC_OK);
			check_claims_at(&c, NOW + tc->at, tc->st, tc->why, NOW + tc->at + tc->exp);
		}
		hc_record_free(r);
		hc_policy_free(p);
		free(j);
		t_end();
	}
}

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

static hc_err apply_file(const char *path, const struct hc_policy *p, struct hc_claims *c)
{
	struct hc_record *r = NULL;
	char *j = t_read(path, NULL);
	hc_err err;

	memset(c, 0, sizeof(*c));
	if ((err = hc_record_parse(j, strlen(j), &r)) == HC_OK)
		err = hc_policy_apply(p, r, risk, NOW, 0, c);
	hc_record_free(r);
	free(j);
	return err;
}

static void test_examples(void)
{
	static const struct {
		const char *file;
		enum hc_status st;
		const char *why, *trv;
	} ex[] = {
		{"../../examples/green.json", HC_ST_GREEN, "", "low"},
		{"../../examples/yellow.json", HC_ST_YELLOW, "medium-risk-recent", "medium"},
		{"../../examples/red.json", HC_ST_RED, "high-risk-recent", "high"},
	};
	static const char *const line_why[] = {"", "medium-risk-recent", "high-risk-recent",
					       "nat-positive", "flag-secondary-contact",
					       "high-risk-earlier"};
	static const enum hc_status line_st[] = {HC_ST_GREEN, HC_ST_YELLOW, HC_ST_RED,
						 HC_ST_RED,   HC_ST_YELLOW, HC_ST_YELLOW};
	struct hc_risk *exrisk = NULL, *saved = risk;
	struct hc_policy *p = policy(NULL), *strict = NULL;
	struct hc_claims c;
	char *j, *line, *next;
	size_t n, i = 0;

	j = t_read("../../examples/risk-areas.json", &n);
	CHECK_ERR(hc_risk_parse(j, n, &exrisk), HC_OK);
	free(j);
	risk = exrisk;
	for (size_t k = 0; k < sizeof(ex) / sizeof(ex[0]); k++) {
		CHECK_ERR(apply_file(ex[k].file, p, &c), HC_OK);
		check_claims(&c, ex[k].st, ex[k].why, NOW + DAY);
		CHECK(c.has_trv && strcmp(c.trv_risk, ex[k].trv) == 0);
	}
	/* The green example stays green under the strict policy. */
	j = t_read("../../examples/policy-strict.json", &n);
	CHECK_ERR(hc_policy_parse(j, n, &strict), HC_OK);
	free(j);
	if (strict) {
		CHECK(strcmp(hc_policy_id(strict), "strict-48h-1") == 0);
		CHECK_ERR(apply_file("../../examples/green.json", strict, &c), HC_OK);
		check_claims(&c, HC_ST_GREEN, "", NOW + DAY);
	}
	j = t_read("../../examples/records.jsonl", &n);
	for (line = j; line && *line; line = next, i++) {
		struct hc_record *r = NULL;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		CHECK(i < sizeof(line_st) / sizeof(line_st[0]));
		if (i >= sizeof(line_st) / sizeof(line_st[0]))
			break;
		CHECK_ERR(hc_record_parse(line, strlen(line), &r), HC_OK);
		if (r) {
			CHECK_ERR(hc_policy_apply(p, r, risk, NOW, 0, &c), HC_OK);
			check_claims(&c, line_st[i], line_why[i], NOW + DAY);
		}
		hc_record_free(r);
	}
	CHECK(i == sizeof(line_st) / sizeof(line_st[0]));
	free(j);
	risk = saved;
	hc_risk_free(exrisk);
	hc_policy_free(strict);
	hc_policy_free(p);
}

static void test_claims(void)
{
	struct hc_policy *p = policy(NULL);
	struct hc_claims c, back;
	char *json = NULL;

	memset(&c, 0, sizeof(c));
	CHECK_ERR(apply_file("../../examples/green.json", p, &c), HC_OK);
	CHECK(strcmp(c.pol, "default-1") == 0);
	CHECK(strcmp(c.name, "张*") == 0);
	CHECK(strcmp(c.id, "330***********123X") == 0);
	CHECK(c.has_nat && c.nat_at == 1795311000 && strcmp(c.nat_res, "neg") == 0);
	CHECK(c.has_vac && c.vac_doses == 3 && c.vac_at == 1639065600);
	CHECK(c.has_trv && strcmp(c.trv_risk, "low") == 0);
	CHECK(hc_policy_validity(p) == DAY);
	/* The claims go through the token's own strict parser. */
	snprintf(c.iss, sizeof(c.iss), "https://hc.zj.example");
	snprintf(c.jti, sizeof(c.jti), "3q2-7wAAAAAAAAAAAAAAAA");
	CHECK_ERR(hc_claims_json(&c, &json), HC_OK);
	if (json) {
		CHECK_ERR(hc_claims_parse(json, strlen(json), &back), HC_OK);
		CHECK(back.st == c.st && back.exp == c.exp && back.vac_doses == 3);
		CHECK(strcmp(back.id, c.id) == 0 && strstr(json, "123X") && !strstr(json, "1990"));
	}
	free(json);
	hc_policy_free(p);
}

static void test_masking(void)
{
	static const struct {
		const char *rec, *name, *id;
	} m[] = {
		{"{'person':{'name':'张三','id':'330106199001191234'}}", "张*",
		 "330***********1234"},
		{"{'person':{'name':'欧阳娜娜','id':'330106198503120028'}}", "欧***",
		 "330***********0028"},
		{"{'person':{'name':'Li Si','id':'33010619900101123X'}}", "L****",
		 "330***********123X"},
	};
	struct hc_policy *p = policy(NULL);

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		struct hc_record *r = NULL;
		struct hc_claims c;
		char *j = q(m[i].rec);

		memset(&c, 0, sizeof(c));
		CHECK_ERR(hc_record_parse(j, strlen(j), &r), HC_OK);
		if (r) {
			CHECK_ERR(hc_policy_apply(p, r, NULL, NOW, 0, &c), HC_OK);
			CHECK(strcmp(c.name, m[i].name) == 0);
			CHECK(strcmp(c.id, m[i].id) == 0);
			CHECK(!c.has_nat && !c.has_vac && !c.has_trv);
		}
		hc_record_free(r);
		free(j);
	}
	hc_policy_free(p);
}

enum kind { REC, RISK, POL, APPLY };

#define AREA(r, l, f, t) \
	"{'updated':1,'areas':[{'region':'" r "','level':'" l "','from':'" f "','to':'" t "'}]}"

static const struct bad_case {
	const char *name;
	enum kind kind;
	const char *json;
	hc_err err;
	const char *detail; /* substring of hc_detail() */
} bad_cases[] = {
	{"id check digit", REC, WHO("'330106199001011234'"), HC_ERR_RECORD, "person.id check digit"},
	{"id too short", REC, WHO("'33010619900101123'"), HC_ERR_RECORD, "person.id"},
	{"id too long", REC, WHO("'33010619900101123X0000000'"), HC_ERR_RECORD, "person.id"},
	{"id lower-case x", REC, WHO("'33010619900101123x'"), HC_ERR_RECORD, "person.id"},
	{"id birth date", REC, WHO("'330106199002301230'"), HC_ERR_RECORD, "person.id birth date"},
	{"id a number", REC, WHO("330106199001191234"), HC_ERR_JSON_TYPE, "person"},
	{"name empty", REC, "{'person':{'name':'','id':'33010619900101123X'}}", HC_ERR_RECORD,
	 "person: name"},
	{"name control", REC, "{'person':{'name':'张\\u0007三','id':'33010619900101123X'}}",
	 HC_ERR_RECORD, "person: name"},
	{"person missing", REC, "{'nat':[]}", HC_ERR_JSON_MISSING, "person"},
	{"id missing", REC, "{'person':{'name':'张三'}}", HC_ERR_JSON_MISSING, "id"},
	{"duplicate member", REC, PERSON ",'flags':[],'flags':[]}", HC_ERR_JSON_DUP, "flags"},
	{"duplicate in person", REC, WHO("'33010619900101123X','name':'李四'"), HC_ERR_JSON_DUP,
	 "name"},
	{"unknown member", REC, PERSON ",'notes':'x'}", HC_ERR_JSON_UNKNOWN, "notes"},
	{"unknown member in nat", REC,
	 PERSON ",'nat':[{'at':'2026-11-20','result':'negative','ct':30}]}", HC_ERR_JSON_UNKNOWN,
	 "nat[0]"},
	{"nat result unknown", REC, PERSON NAT1("'2026-11-20'", "unclear") "}", HC_ERR_RECORD,
	 "nat[0]: result"},
	{"nat time invalid", REC, PERSON NAT1("'yesterday'", "negative") "}", HC_ERR_RECORD,
	 "nat[0]"},
	{"nat time fraction", REC, PERSON NAT1("1795300000.5", "negative") "}", HC_ERR_JSON_INT,
	 "nat[0]"},
	{"nat not an array", REC, PERSON ",'nat':{}}", HC_ERR_JSON_TYPE, "nat"},
	{"nat entry not an object", REC, PERSON ",'nat':[1]}", HC_ERR_JSON_TYPE, "nat[0]"},
	{"string dose", REC, PERSON ",'vaccinations':[{'at':'2021-05-01','dose':'1'}]}",
	 HC_ERR_JSON_TYPE, "vaccinations[0]: dose"},
	{"dose 0", REC, PERSON ",'vaccinations':[{'at':'2021-05-01','dose':0}]}", HC_ERR_RECORD,
	 "vaccinations[0]: dose"},
	{"dose missing", REC, PERSON ",'vaccinations':[{'at':'2021-05-01'}]}",
	 HC_ERR_JSON_MISSING, "vaccinations[0]"},
	{"region 31011", REC, PERSON STAY("31011", "2026-11-10", "2026-11-12") "}", HC_ERR_RECORD,
	 "travel[0]: region"},
	{"region 310015", REC, PERSON STAY("310015", "2026-11-10", "2026-11-12") "}",
	 HC_ERR_RECORD, "travel[0]: region"},
	{"region a number", REC,
	 PERSON ",'travel':[{'region':310115,'from':'2026-11-10','to':'2026-11-12'}]}",
	 HC_ERR_JSON_TYPE, "travel[0]"},
	{"from after to", REC, PERSON STAY("310115", "2026-11-12", "2026-11-10") "}",
	 HC_ERR_RECORD, "travel[0]: from is after to"},
	{"travel time not a date", REC, PERSON STAY("310115", "2026-11-10T08:00:00Z", "2026-11-12")
	 "}", HC_ERR_RECORD, "travel[0]"},
	{"unknown flag", REC, PERSON FLAGS("'quarantined'") "}", HC_ERR_RECORD,
	 "flags[0]: unknown flag"},
	{"repeated flag", REC, PERSON FLAGS("'confirmed','confirmed'") "}", HC_ERR_RECORD,
	 "flags[1]"},
	{"trailing garbage", REC, PERSON "} x", HC_ERR_JSON, ""},
	/* Issue 18, point 17: a string of digits is not a time. */
	{"nat at \"20261119\"", REC,
	 PERSON ",'nat':[{'at':'20261119','result':'positive'},"
	 "{'at':'2026-11-10','result':'negative'}]}",
	 HC_ERR_RECORD, "nat[0]: member \"at\" is not a time"},
	{"nat at seconds as a string", REC, PERSON NAT1("'1795300000'", "negative") "}",
	 HC_ERR_RECORD, "nat[0]: member \"at\" is not a time"},
	{"vaccination at seconds as a string", REC,
	 PERSON ",'vaccinations':[{'at':'1620000000','dose':1}]}", HC_ERR_RECORD,
	 "vaccinations[0]: member \"at\""},
	{"travel from seconds as a string", REC, PERSON STAY("310115", "1795305600", "2026-11-20")
	 "}", HC_ERR_RECORD, "travel[0]: member \"from\" is not a date"},
	{"travel to 8 digits", REC, PERSON STAY("310115", "2026-11-20", "20261120") "}",
	 HC_ERR_RECORD, "travel[0]: member \"to\""},
	{"nat at an empty string", REC, PERSON NAT1("''", "negative") "}", HC_ERR_RECORD,
	 "nat[0]: member \"at\""},
	{"id birth date 2023-02-29", REC, WHO("'330106202302291233'"), HC_ERR_RECORD,
	 "person.id birth date"},
	{"risk updated seconds as a string", RISK, "{'updated':'1795300000','areas':[]}", HC_ERR_RISK,
	 "member \"updated\" is not a time"},
	{"risk from seconds as a string", RISK, AREA("310115", "high", "1795305600", "2026-11-20"),
	 HC_ERR_RISK, "areas[0]: member \"from\""},
	{"risk unknown member", RISK, "{'updated':1795300000,'areas':[],'source':'x'}",
	 HC_ERR_JSON_UNKNOWN, "source"},
	{"risk updated missing", RISK, "{'areas':[]}", HC_ERR_JSON_MISSING, "updated"},
	{"risk level", RISK, AREA("310115", "low", "2026-11-01", "2026-11-02"), HC_ERR_RISK,
	 "areas[0]: level"},
	{"risk region", RISK, AREA("000115", "high", "2026-11-01", "2026-11-02"), HC_ERR_RISK,
	 "areas[0]: region"},
	{"risk from after to", RISK, AREA("310115", "high", "2026-11-03", "2026-11-02"),
	 HC_ERR_RISK, "areas[0]: from is after to"},
	{"risk to missing", RISK,
	 "{'updated':1,'areas':[{'region':'310115','level':'high','from':'2026-11-03'}]}",
	 HC_ERR_JSON_MISSING, "areas[0]"},
	{"policy id missing", POL, "{'validity_h':24}", HC_ERR_JSON_MISSING, "id"},
	{"policy id characters", POL, "{'id':'my policy'}", HC_ERR_POLICY, "id"},
	{"policy id 64 chars", POL,
	 "{'id':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}", HC_ERR_POLICY,
	 "id"},
	{"policy validity 0", POL, "{'id':'p','validity_h':0}", HC_ERR_POLICY, "validity_h"},
	{"policy validity 721", POL, "{'id':'p','validity_h':721}", HC_ERR_POLICY, "validity_h"},
	{"policy validity fraction", POL, "{'id':'p','validity_h':1.5}", HC_ERR_JSON_INT,
	 "validity_h"},
	{"policy nat age 0", POL, "{'id':'p','nat_max_age_h':0}", HC_ERR_POLICY, "nat_max_age_h"},
	{"policy days 61", POL, "{'id':'p','medium_yellow_days':61}", HC_ERR_POLICY,
	 "medium_yellow_days"},
	{"policy days negative", POL, "{'id':'p','high_red_days':-1}", HC_ERR_POLICY,
	 "high_red_days"},
	{"policy red after yellow", POL, "{'id':'p','high_red_days':15}", HC_ERR_POLICY,
	 "high_red_days"},
	/* Issue 18, point 21: a high-risk stay never counts less than a medium one. */
	{"policy high yellow shorter than medium", POL, "{'id':'p','high_yellow_days':10}",
	 HC_ERR_POLICY, "medium_yellow_days is greater than high_yellow_days"},
	{"policy high 3/5 days, medium 14", POL,
	 "{'id':'p','high_red_days':3,'high_yellow_days':5,'medium_yellow_days':14}", HC_ERR_POLICY,
	 "medium_yellow_days"},
	{"policy medium 15 days", POL, "{'id':'p','medium_yellow_days':15}", HC_ERR_POLICY,
	 "medium_yellow_days"},
	{"policy risk age 0", POL, "{'id':'p','risk_max_age_h':0}", HC_ERR_POLICY,
	 "risk_max_age_h is not 1..720"},
	{"policy risk age 721", POL, "{'id':'p','risk_max_age_h':721}", HC_ERR_POLICY,
	 "risk_max_age_h"},
	{"policy risk age string", POL, "{'id':'p','risk_max_age_h':'24'}", HC_ERR_JSON_TYPE,
	 "risk_max_age_h"},
	{"policy nat_required string", POL, "{'id':'p','nat_required':'yes'}", HC_ERR_JSON_TYPE,
	 "nat_required"},
	{"policy unknown member", POL, "{'id':'p','validity':24}", HC_ERR_JSON_UNKNOWN,
	 "validity"},
	{"policy unknown flag", POL, "{'id':'p','red_flags':['positive']}", HC_ERR_POLICY,
	 "red_flags[0]"},
	{"policy flag twice", POL, "{'id':'p','yellow_flags':['confirmed','confirmed']}",
	 HC_ERR_POLICY, "yellow_flags[1]"},
	{"policy flag red and yellow", POL, "{'id':'p','yellow_flags':['confirmed']}",
	 HC_ERR_POLICY, "both"},
	{"test from the future", APPLY, PERSON NAT1("1795395600", "negative") "}", HC_ERR_RECORD,
	 "nat[0].at"},
	{"vaccination from the future", APPLY,
	 PERSON ",'vaccinations':[{'at':'2026-11-24','dose':1}]}", HC_ERR_RECORD,
	 "vaccinations[0].at"},
	{"stay from the future", APPLY, PERSON STAY("310115", "2026-11-24", "2026-11-25") "}",
	 HC_ERR_RECORD, "travel[0].from is after the time of issue"},
	{"test within the clock skew", APPLY, PERSON NAT1("1795392240", "negative") "}", HC_OK,
	 ""},
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *tc = &bad_cases[i];
		struct hc_record *r = NULL;
		struct hc_risk *k = NULL;
		struct hc_policy *p = NULL, *def;
		struct hc_claims c;
		char *j = q(tc->json);
		size_t n = strlen(j);
		hc_err err = HC_OK;

		t_begin(tc->name);
		def = policy(NULL);
		switch (tc->kind) {
		case REC:
			err = hc_record_parse(j, n, &r);
			/* the same verdict from a tree parsed once (hc-issued) */
			{
				char detail[512];
				cJSON *root = NULL;
				struct hc_record *r2 = NULL;
				hc_err e2;

				(void)snprintf(detail, sizeof(detail), "%s", hc_detail());
				e2 = hc_json_parse(j, n, &root);
				if (e2 == HC_OK)
					e2 = hc_record_of_json(root, &r2);
				CHECK_ERR(e2, err);
				CHECK(strcmp(hc_detail(), detail) == 0);
				CHECK((r2 != NULL) == (r != NULL));
				hc_record_free(r2);
				cJSON_Delete(root);
			}
			break;
		case RISK:
			err = hc_risk_parse(j, n, &k);
			break;
		case POL:
			err = hc_policy_parse(j, n, &p);
			break;
		case APPLY:
			CHECK_ERR(hc_record_parse(j, n, &r), HC_OK);
			if (r)
				err = hc_policy_apply(def, r, risk, NOW, 0, &c);
			break;
		}
		CHECK_ERR(err, tc->err);
		if (tc->kind != APPLY)
			CHECK(!r && !k && !p);
		if (!strstr(hc_detail(), tc->detail))
			t_fail(__FILE__, __LINE__, "detail \"%s\", want \"%s\"", hc_detail(),
			       tc->detail);
		hc_record_free(r);
		hc_risk_free(k);
		hc_policy_free(p);
		hc_policy_free(def);
		free(j);
		t_end();
	}
}

/* head, then count copies of entry separated by commas, then tail; as JSON. */
static char *repeat(const char *head, const char *entry, size_t count, const char *tail)
{
	size_t hl = strlen(head), el = strlen(entry), o = hl;
	char *s = malloc(hl + count * (el + 1) + strlen(tail) + 1), *j;

	if (!s)
		abort();
	memcpy(s, head, hl);
	for (size_t i = 0; i < count; i++, o += el) {
		if (i)
			s[o++] = ',';
		memcpy(s + o, entry, el);
	}
	memcpy(s + o, tail, strlen(tail) + 1);
	j = q(s);
	free(s);
	return j;
}

static void test_caps(void)
{
	static const char nat[] = "{'at':1795300000,'result':'negative'}";
	static const char area[] =
		"{'region':'310115','level':'medium','from':'2026-11-01','to':'2026-11-30'}";
	static const struct {
		bool risk;
		const char *head, *entry;
		size_t count;
		hc_err err;
		const char *detail;
	} caps[] = {
		{false, PERSON ",'nat':[", nat, 256, HC_OK, ""},
		{false, PERSON ",'nat':[", nat, 257, HC_ERR_RECORD, "nat: more than 256"},
		{false, PERSON ",'flags':[", "'confirmed'", 257, HC_ERR_RECORD, "flags: more"},
		{true, "{'updated':1795300000,'areas':[", area, 100000, HC_OK, ""},
		{true, "{'updated':1795300000,'areas':[", area, 100001, HC_ERR_RISK, "areas: more"},
	};

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		char *s = repeat(caps[i].head, caps[i].entry, caps[i].count, "]}");
		struct hc_record *r = NULL;
		struct hc_risk *k = NULL;

		CHECK_ERR(caps[i].risk ? hc_risk_parse(s, strlen(s), &k)
				       : hc_record_parse(s, strlen(s), &r),
			  caps[i].err);
		CHECK((caps[i].err == HC_OK) == (r || k));
		CHECK(strstr(hc_detail(), caps[i].detail) != NULL);
		hc_record_free(r);
		hc_risk_free(k);
		free(s);
	}
}

static void test_api(void)
{
	struct hc_policy *p = policy(NULL), *d = policy("{'id':'default-1'}");
	struct hc_policy *v = policy("{'id':'v.2_x','validity_h':720}");
	struct hc_record *r = NULL;
	struct hc_claims c;
	char *j = q(PERSON "}");

	CHECK(p && strcmp(hc_policy_id(p), "default-1") == 0 && hc_policy_validity(p) == DAY);
	CHECK(d && strcmp(hc_policy_id(d), "default-1") == 0 && hc_policy_validity(d) == DAY);
	CHECK(v && strcmp(hc_policy_id(v), "v.2_x") == 0 && hc_policy_validity(v) == 720 * H);
	CHECK_ERR(hc_policy_parse("{}", 2, NULL), HC_ERR_INVALID_ARG);
	/* The window order holds at its edges. */
	{
		struct hc_policy *e = policy("{'id':'e','high_red_days':10,'high_yellow_days':10,"
					     "'medium_yellow_days':10,'risk_max_age_h':720}");
		hc_policy_free(e);
	}
	/* Seconds in a string: for the command line only, never inside JSON. */
	{
		int64_t t = 0;

		CHECK_ERR(hc_time_parse("1795392000", &t), HC_OK);
		CHECK(t == NOW);
		CHECK_ERR(hc_time_parse_text("1795392000", &t), HC_ERR_TIME);
		CHECK_ERR(hc_time_parse_text("20261119", &t), HC_ERR_TIME);
		CHECK_ERR(hc_time_parse_text("", &t), HC_ERR_TIME);
		CHECK_ERR(hc_time_parse_text("2026-11-23", &t), HC_OK);
		CHECK(t == NOW + MIDNIGHT);
		CHECK_ERR(hc_time_parse_text("2026-11-23T00:00:00Z", &t), HC_OK);
		CHECK(t == NOW);
		/* 1970-01-01 CST began before the epoch: refused, *out untouched */
		t = 7;
		CHECK_ERR(hc_time_parse_text("1970-01-01", &t), HC_ERR_TIME);
		CHECK(t == 7);
		CHECK_ERR(hc_time_parse_text("1970-01-02", &t), HC_OK);
		CHECK(t == 86400 - 8 * 3600);
	}
	CHECK_ERR(hc_policy_risk_check(NULL, NULL, NOW), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_policy_risk_check(p, NULL, NOW), HC_OK);
	CHECK_ERR(hc_record_parse(j, strlen(j), &r), HC_OK);
	CHECK_ERR(hc_policy_apply(p, r, NULL, NOW, -1, &c), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_policy_apply(p, r, NULL, NOW, HC_POLICY_MAX_VALIDITY + 1, &c),
		  HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_policy_apply(p, r, NULL, -1, 0, &c), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_policy_apply(NULL, r, NULL, NOW, 0, &c), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_policy_apply(p, NULL, NULL, NOW, 0, &c), HC_ERR_INVALID_ARG);
	/* iss and jti are the caller's. */
	memset(&c, 0, sizeof(c));
	snprintf(c.iss, sizeof(c.iss), "https://x.example");
	snprintf(c.jti, sizeof(c.jti), "kept");
	CHECK_ERR(hc_policy_apply(p, r, NULL, NOW, 0, &c), HC_OK);
	CHECK(strcmp(c.iss, "https://x.example") == 0 && strcmp(c.jti, "kept") == 0);
	/* NULL is a no-op everywhere. */
	hc_policy_free(NULL);
	hc_record_free(NULL);
	hc_risk_free(NULL);
	hc_record_free(r);
	hc_policy_free(p);
	hc_policy_free(d);
	hc_policy_free(v);
	free(j);
}

/* hc_record_parse_inputs: a record without "person", evaluated with the
 * masked identity given, the same rules otherwise. */
static void test_inputs(void)
{
	static const struct {
		const char *json;
		hc_err err;
		const char *detail;
	} bad[] = {
		{PERSON "}", HC_ERR_JSON_UNKNOWN, ""},
		{"{'nat':[{'at':1,'result':'maybe'}]}", HC_ERR_RECORD, "nat[0]"},
		{"{'flags':['confirmed','confirmed']}", HC_ERR_RECORD, "flags[1]"},
		{"{'travel':[{'region':'31011','from':'2026-11-10','to':'2026-11-11'}]}",
		 HC_ERR_RECORD, "travel[0]"},
		{"{'x':1}", HC_ERR_JSON_UNKNOWN, ""},
		{"[]", HC_ERR_JSON_TYPE, ""},
		{"{'nat':[{'at':1,'result':'negative'}]", HC_ERR_JSON, ""},
	};
	struct hc_policy *p = policy(NULL);
	struct hc_record *r = NULL;
	struct hc_claims c, full;
	char *j, *k, big[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = q(bad[i].json);
		CHECK_ERR(hc_record_parse_inputs(j, strlen(j), "张*", "330***", &r), bad[i].err);
		if (!strstr(hc_detail(), bad[i].detail))
			t_fail(__FILE__, __LINE__, "row %zu: detail '%s', want '%s'", i, hc_detail(),
			       bad[i].detail);
		CHECK(r == NULL);
		free(j);
	}
	/* The same inputs give the same verdict as the full record, with the
	 * given masked identity instead of one computed from it. */
	j = q("{'nat':[{'at':'2026-11-22T09:00:00+08:00','result':'positive'}],"
	      "'flags':['secondary-contact']}");
	k = q(PERSON ",'nat':[{'at':'2026-11-22T09:00:00+08:00','result':'positive'}],"
		     "'flags':['secondary-contact']}");
	CHECK_ERR(hc_record_parse_inputs(j, strlen(j), "李*", "110**********0000", &r), HC_OK);
	memset(&c, 0, sizeof(c));
	CHECK_ERR(hc_policy_apply(p, r, NULL, NOW, 0, &c), HC_OK);
	check_claims(&c, HC_ST_RED, "nat-positive,flag-secondary-contact", NOW + DAY);
	CHECK(strcmp(c.name, "李*") == 0 && strcmp(c.id, "110**********0000") == 0);
	{
		/* hc_record_pack: the same record back (the held codes' cache),
		 * and no copy of another size taken for one */
		size_t n = hc_record_packed_size(r);
		uint8_t *pk = malloc(n + 1);
		struct hc_record *back = NULL;
		struct hc_claims bc;

		CHECK(pk != NULL);
		if (pk) {
			hc_record_pack(r, pk);
			pk[n] = 0;
			CHECK_ERR(hc_record_unpack(pk, n + 1, &back), HC_ERR_INVALID_ARG);
			CHECK_ERR(hc_record_unpack(pk, n - 1, &back), HC_ERR_INVALID_ARG);
			CHECK(back == NULL);
			CHECK_ERR(hc_record_unpack(pk, n, &back), HC_OK);
			memset(&bc, 0, sizeof(bc));
			CHECK_ERR(hc_policy_apply(p, back, NULL, NOW, 0, &bc), HC_OK);
			CHECK(bc.st == c.st && bc.nwhy == c.nwhy && bc.iat == c.iat && bc.exp == c.exp &&
			      strcmp(bc.why[0], c.why[0]) == 0 && strcmp(bc.why[1], c.why[1]) == 0 &&
			      strcmp(bc.name, c.name) == 0 &&
			      strcmp(bc.id, c.id) == 0 && bc.has_nat == c.has_nat && bc.nat_at == c.nat_at &&
			      bc.has_vac == c.has_vac && bc.has_trv == c.has_trv);
			hc_record_free(back);
			free(pk);
		}
	}
	hc_record_free(r);
	r = NULL;
	CHECK_ERR(hc_record_parse(k, strlen(k), &r), HC_OK);
	memset(&full, 0, sizeof(full));
	CHECK_ERR(hc_policy_apply(p, r, NULL, NOW, 0, &full), HC_OK);
	CHECK(full.st == c.st && full.nwhy == c.nwhy && full.exp == c.exp);
	CHECK(strcmp(full.id, "330***********123X") == 0);
	hc_record_free(r);
	r = NULL;
	/* No inputs at all: green. */
	CHECK_ERR(hc_record_parse_inputs("{}", 2, "x", "y", &r), HC_OK);
	CHECK_ERR(hc_policy_apply(p, r, NULL, NOW, 0, &c), HC_OK);
	check_claims(&c, HC_ST_GREEN, "", NOW + DAY);
	hc_record_free(r);
	r = NULL;
	/* The masked identity must be short text. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_ERR(hc_record_parse_inputs("{}", 2, big, "y", &r), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_record_parse_inputs("{}", 2, "", "y", &r), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_record_parse_inputs("{}", 2, "x", "a\nb", &r), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_record_parse_inputs("{}", 2, "\xff", "y", &r), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_record_parse_inputs("{}", 2, NULL, "y", &r), HC_ERR_INVALID_ARG);
	CHECK(r == NULL);
	/* The identity number check alone. */
	CHECK_ERR(hc_person_id_check("33010619900101123X"), HC_OK);
	CHECK_ERR(hc_person_id_check("330106199001011234"), HC_ERR_RECORD);
	CHECK(strstr(hc_detail(), "check digit") != NULL);
	CHECK_ERR(hc_person_id_check("33010619901301123X"), HC_ERR_RECORD);
	CHECK(strstr(hc_detail(), "birth date") != NULL);
	CHECK_ERR(hc_person_id_check("3301061990010112"), HC_ERR_RECORD);
	CHECK_ERR(hc_person_id_check(NULL), HC_ERR_INVALID_ARG);
	free(j);
	free(k);
	hc_policy_free(p);
}

/* hc_record_one: the record made of a line's one entry (hc_record_of_one)
 * evaluates as hc_record_parse_inputs' of that entry alone, the person's
 * birth date not kept (an entry before it is no fault of a masked record). */
static void test_record_one(void)
{
	static const char *const entries[] = {
		"",
		NAT1("'2026-11-22T09:00:00+08:00'", "positive"),
		NAT1("'2026-11-22T09:00:00+08:00'", "negative"),
		",'vaccinations':[{'at':'2021-05-01','dose':3}]",
		STAY("110105", "2026-11-20", "2026-11-20"),
		",'visits':[{'venue':'330106-000042','at':'2026-11-20T12:00:00+08:00'}]",
		FLAGS("'confirmed'"),
		NAT1("'1980-01-01'", "negative"), /* before the person's birth */
	};
	struct hc_policy *p = policy(NULL);

	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		char full[512], in[512], *f, *n;
		struct hc_record *r = NULL, *a = NULL, *b = NULL;
		struct hc_record_one one;
		struct hc_claims x, y;
		hc_err ea, eb;

		(void)snprintf(full, sizeof(full), PERSON "%s}", entries[i]);
		(void)snprintf(in, sizeof(in), "{%s}", entries[i][0] ? entries[i] + 1 : "");
		f = q(full);
		n = q(in);
		CHECK_ERR(hc_record_parse(f, strlen(f), &r), HC_OK);
		CHECK_ERR(hc_record_one_of(r, &one), HC_OK);
		CHECK_ERR(hc_record_of_one(&one, "张*", "330***", &a), HC_OK);
		CHECK_ERR(hc_record_parse_inputs(n, strlen(n), "张*", "330***", &b), HC_OK);
		memset(&x, 0, sizeof(x));
		memset(&y, 0, sizeof(y));
		ea = a ? hc_policy_apply(p, a, risk, NOW, 0, &x) : HC_ERR_INVALID_ARG;
		eb = b ? hc_policy_apply(p, b, risk, NOW, 0, &y) : HC_ERR_INVALID_ARG;
		if (ea != HC_OK || eb != HC_OK || x.st != y.st || x.nwhy != y.nwhy ||
		    x.exp != y.exp || strcmp(x.name, y.name) != 0 || strcmp(x.id, y.id) != 0 ||
		    x.has_nat != y.has_nat || x.nat_at != y.nat_at ||
		    strcmp(x.nat_res, y.nat_res) != 0 || x.has_vac != y.has_vac ||
		    x.vac_doses != y.vac_doses || x.vac_at != y.vac_at || x.has_trv != y.has_trv ||
		    strcmp(x.trv_risk, y.trv_risk) != 0)
			t_fail(__FILE__, __LINE__, "entry %zu: %s/%s, %s against %s", i,
			       hc_strerror(ea), hc_strerror(eb), hc_status_name(x.st),
			       hc_status_name(y.st));
		for (size_t k = 0; k < x.nwhy && k < y.nwhy; k++)
			CHECK(strcmp(x.why[k], y.why[k]) == 0);
		hc_record_free(r);
		hc_record_free(a);
		hc_record_free(b);
		free(f);
		free(n);
	}
	{
		/* more than one entry has no hc_record_one; the masked identity is checked */
		char *f = q(PERSON NAT1("1", "negative") FLAGS("'confirmed'") STAY("110105",
			    "2026-11-20", "2026-11-20") "}");
		char *g = q(PERSON ",'nat':[{'at':1,'result':'negative'},{'at':2,'result':'negative'}]}");
		struct hc_record *r = NULL, *a = NULL;
		struct hc_record_one one = {0};

		CHECK_ERR(hc_record_parse(f, strlen(f), &r), HC_OK);
		CHECK_ERR(hc_record_one_of(r, &one), HC_ERR_INVALID_ARG);
		hc_record_free(r);
		r = NULL;
		CHECK_ERR(hc_record_parse(g, strlen(g), &r), HC_OK);
		CHECK_ERR(hc_record_one_of(r, &one), HC_ERR_INVALID_ARG);
		hc_record_free(r);
		CHECK_ERR(hc_record_of_one(&one, "", "y", &a), HC_ERR_INVALID_ARG);
		CHECK_ERR(hc_record_of_one(&one, "x", "a\nb", &a), HC_ERR_INVALID_ARG);
		CHECK(a == NULL);
		free(f);
		free(g);
	}
	hc_policy_free(p);
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
	size_t n;
	char *j = t_read("policy/risk.json", &n);
	hc_err err = hc_risk_parse(j, n, &risk);

	if (err != HC_OK) {
		fprintf(stderr, "policy/risk.json: %s (%s)\n", hc_strerror(err), hc_detail());
		exit(2);
	}
	free(j);
	test_status();
	test_lapse();
	test_refuse();
	test_risk_age();
	RUN(test_examples);
	RUN(test_claims);
	RUN(test_masking);
	test_bad();
	RUN(test_caps);
	RUN(test_api);
	RUN(test_inputs);
	RUN(test_record_one);
	RUN(test_venues);
	test_venue_bad();
	hc_risk_free(risk);
}
