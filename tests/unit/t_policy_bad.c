/* t_policy_bad.c: malformed records, risk-area lists and policy files,
 * each refused with its specific reason, and the caps on their lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "policy_fx.h"
#include "t.h"

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

void t_main(void)
{
	risk_load();
	test_bad();
	RUN(test_caps);
	hc_risk_free(risk);
}
