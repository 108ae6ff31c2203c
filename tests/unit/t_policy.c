/* t_policy.c: the DESIGN 5 rules: the status of a record (table), when a
 * status lapses with its basis, the examples, the claims and the masked
 * identity. The refusals and venue lists are in t_policy_risk.c, malformed
 * input in t_policy_bad.c, the API's edges in t_policy_api.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "policy_fx.h"
#include "t.h"

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

void t_main(void)
{
	risk_load();
	test_status();
	test_lapse();
	RUN(test_examples);
	RUN(test_claims);
	RUN(test_masking);
	hc_risk_free(risk);
}
