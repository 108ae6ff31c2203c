/* t_policy_api.c: the policy API's edges (arguments, times given as text),
 * records of inputs only with a masked identity given (hc-issued), their
 * packed form, and the record of one entry (hc_record_one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_fx.h"
#include "t.h"

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
	/* The date check alone (a queried source's answer is checked so
	 * before it is stored): the policy's, its 300 s of skew included. */
	{
		static const char *const in[] = {
			"{'nat':[{'at':1795392300,'result':'negative'}]}",
			"{'nat':[{'at':1795392301,'result':'negative'}]}",
			"{'travel':[{'region':'310115','from':'2026-11-20','to':'2026-11-24'}]}"};
		static const hc_err want[] = {HC_OK, HC_ERR_RECORD, HC_ERR_RECORD};

		for (size_t i = 0; i < 3; i++) {
			char *f = q(in[i]);

			CHECK_ERR(hc_record_parse_inputs(f, strlen(f), "x", "y", &r), HC_OK);
			CHECK_ERR(hc_record_dates_check(r, NOW), want[i]);
			CHECK(want[i] == HC_OK || strstr(hc_detail(), "after the time of issue"));
			hc_record_free(r);
			r = NULL;
			free(f);
		}
		CHECK_ERR(hc_record_dates_check(NULL, NOW), HC_ERR_INVALID_ARG);
	}
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

void t_main(void)
{
	risk_load();
	RUN(test_api);
	RUN(test_inputs);
	RUN(test_record_one);
	hc_risk_free(risk);
}
