/* t_json.c: the strict JSON layer, one case per form of the RFC 8259
 * grammar it must take or refuse; integers written as digits; failure
 * details of the token parsers that never quote the token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "hc_token.h"
#include "t.h"

#define OK HC_OK
#define BAD HC_ERR_JSON

static const struct {
	const char *s;
	hc_err err;
} forms[] = {
	/* taken */
	{"{\"a\":0}", OK},
	{"{\"a\":-1}", OK},
	{"{\"a\":10}", OK},
	{"{\"a\":1.5}", OK},
	{"{\"a\":-0.25}", OK},
	{"{\"a\":1e5}", OK},
	{"{\"a\":1E+5}", OK},
	{"{\"a\":2.5e-3}", OK},
	{"{\"a\":-0}", OK}, /* JSON, but no integer (see ints) */
	{"{}", OK},
	{"{\"\":1}", OK},
	{"{\"a\":[]}", OK},
	{"{\"a\":{}}", OK},
	{"{\"a\":[true,false,null,\"x\",{},[]]}", OK},
	{" \t\r\n{ \"a\" : [ 1 , 2 ] }\r\n\t ", OK},
	{"{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u4E09\"}", OK},
	{"{\"a\":\"\\ud83d\\ude00\"}", OK},
	{"{\"a\":\"\x7f\"}", OK}, /* DEL is not a control character to JSON */
	/* numbers the grammar does not produce */
	{"{\"a\":01}", BAD},
	{"{\"a\":-01}", BAD},
	{"{\"a\":00}", BAD},
	{"{\"a\":1763856000.}", BAD},
	{"{\"a\":1.}", BAD},
	{"{\"a\":.5}", BAD},
	{"{\"a\":-.5}", BAD},
	{"{\"a\":+1}", BAD},
	{"{\"a\":-}", BAD},
	{"{\"a\":1e}", BAD},
	{"{\"a\":1e+}", BAD},
	{"{\"a\":1.e5}", BAD},
	{"{\"a\":0x10}", BAD},
	{"{\"a\":1_000}", BAD},
	{"{\"a\":- 1}", BAD},
	{"{\"a\":Infinity}", BAD},
	{"{\"a\":-Infinity}", BAD},
	{"{\"a\":NaN}", BAD},
	{"{\"a\":1e400}", BAD}, /* grammatical, but not a finite number */
	/* a byte-order mark, and bytes between tokens that are not whitespace */
	{"\xef\xbb\xbf{\"a\":1}", BAD},
	{" \xef\xbb\xbf{\"a\":1}", BAD},
	{"{\"a\":1}\xef\xbb\xbf", BAD},
	{"\x0b{\"a\":1}", BAD},
	{"{\x0c\"a\":1}", BAD},
	{"{\"a\"\x01:1}", BAD},
	{"{\"a\":\x1f" "1}", BAD},
	{"{\"a\":1\x1e}", BAD},
	{"{\"a\":1}\x7f", BAD},
	{"{\"a\":1}\xc2\xa0", BAD},
	{"{\"a\":\xc2\x85" "1}", BAD},
	{"{\"a\":1}\x1a", BAD},
	/* strings */
	{"{\"a\":\"x\ty\"}", BAD},
	{"{\"a\":\"x\ny\"}", BAD},
	{"{\"a\":\"\\a\"}", BAD},
	{"{\"a\":\"\\x41\"}", BAD},
	{"{\"a\":\"\\'\"}", BAD},
	{"{\"a\":\"\\U0041\"}", BAD},
	{"{\"a\":\"\\u12\"}", BAD},
	{"{\"a\":\"\\u12G4\"}", BAD},
	{"{\"a\":\"\\u0000\"}", BAD},
	{"{\"a\":\"\\udc00\"}", BAD},
	{"{\"a\":\"\\ud800x\"}", BAD},
	{"{\"a\":\"\\ud800\\u0041\"}", BAD},
	{"{\"a\":\"\\ud800\\ud800\"}", BAD},
	{"{\"a\":\"x}", BAD},
	{"{\"a\":\"x\\\"}", BAD},
	{"{'a':1}", BAD},
	{"{\"a\":'x'}", BAD},
	/* structure */
	{"{\"a\":1,}", BAD},
	{"{\"a\":[1,]}", BAD},
	{"{\"a\":[,1]}", BAD},
	{"{,}", BAD},
	{"{\"a\":1 \"b\":2}", BAD},
	{"{\"a\" 1}", BAD},
	{"{\"a\"::1}", BAD},
	{"{a:1}", BAD},
	{"{\"a\"}", BAD},
	{"{\"a\":}", BAD},
	{"{\"a\":1}}", BAD},
	{"{\"a\":[1}", BAD},
	{"{\"a\":{]}", BAD},
	{"{\"a\":1", BAD},
	{"{\"a\":True}", BAD},
	{"{\"a\":nul}", BAD},
	{"{\"a\":nulll}", BAD},
	{"{\"a\":1}{}", BAD},
	{"{\"a\":/*c*/1}", BAD},
	{"{\"a\":1}//", BAD},
	{"[1]", HC_ERR_JSON_TYPE},
	{"\"a\"", HC_ERR_JSON_TYPE},
	{"", BAD},
	{" ", BAD},
};

static void grammar_forms(void)
{
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char name[96];
		cJSON *j = NULL;
		hc_err e = hc_json_parse(forms[i].s, strlen(forms[i].s), &j);

		(void)snprintf(name, sizeof(name), "json form %zu", i);
		t_begin(name);
		CHECK_ERR(e, forms[i].err);
		CHECK((e == HC_OK) == (j != NULL));
		/* hc_json_valid: the grammar alone (any value at the top; 1e400
		 * is grammatical, only not finite) */
		if (forms[i].err == BAD && !strstr(forms[i].s, "e400"))
			CHECK(!hc_json_valid(forms[i].s, strlen(forms[i].s)));
		if (forms[i].err == HC_OK || forms[i].err == HC_ERR_JSON_TYPE)
			CHECK(hc_json_valid(forms[i].s, strlen(forms[i].s)));
		if (e != forms[i].err)
			fprintf(stderr, "  form: %s\n", forms[i].s);
		cJSON_Delete(j);
		t_end();
	}
}

/* Integers, times above all, are written as digits: no fraction, no
 * exponent, no -0, even where the value is whole. */
static void ints(void)
{
	static const struct {
		const char *s;
		hc_err err;
		int64_t v;
	} n[] = {
		{"{\"t\":1763856000}", OK, 1763856000},
		{"{\"t\":0}", OK, 0},
		{"{\"t\":1763856000.0}", HC_ERR_JSON_INT, 0},
		{"{\"t\":1.7e9}", HC_ERR_JSON_INT, 0},
		{"{\"t\":1763856000e0}", HC_ERR_JSON_INT, 0},
		{"{\"t\":17638560E2}", HC_ERR_JSON_INT, 0},
		{"{\"t\":0.0}", HC_ERR_JSON_INT, 0},
		{"{\"t\":-0}", HC_ERR_JSON_INT, 0},
		{"{\"t\":1.5}", HC_ERR_JSON_INT, 0},
		/* the source form is found after strings holding digits and signs */
		{"{\"x\":\"-1.5e3\",\"y\":[1.5,\"2\",-0.5],\"t\":7}", OK, 7},
		{"{\"x\":[1,2.0],\"\\\"1.0\":3,\"t\":7.0}", HC_ERR_JSON_INT, 0},
	};
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		cJSON *j = NULL;
		int64_t got = -7;

		t_begin(n[i].s);
		CHECK_ERR(hc_json_parse(n[i].s, strlen(n[i].s), &j), HC_OK);
		if (j) {
			CHECK_ERR(hc_json_int(j, "t", true, 0, INT64_MAX, &got, NULL), n[i].err);
			if (n[i].err == HC_OK)
				CHECK(got == n[i].v);
		}
		cJSON_Delete(j);
		t_end();
	}
	t_begin("whole and not whole numbers in one array, in order");
	{
		static const char s[] = "{\"a\":[1,2.0,3,4e0,5,-0,7]}";
		static const bool whole[] = {true, false, true, false, true, false, true};
		cJSON *j = NULL;
		const cJSON *a;

		CHECK_ERR(hc_json_parse(s, strlen(s), &j), HC_OK);
		a = cJSON_GetObjectItem(j, "a");
		CHECK(cJSON_GetArraySize(a) == 7);
		for (int k = 0; k < 7; k++) {
			const cJSON *e = cJSON_GetArrayItem(a, k);
			int64_t v;

			CHECK(e && (hc_json_num_int(e, -10, 10, &v) == HC_OK) == whole[k]);
		}
		cJSON_Delete(j);
	}
	t_end();
}

/* The claims and the header are parsed before the signature is checked:
 * whatever the failure, its detail holds none of their bytes. */
static const char claims_ok[] =
	"{\"iss\":\"https://hc.zj.example\",\"iat\":1763856000,\"exp\":1763942400,"
	"\"jti\":\"3q2-7wAAAAAAAAAAAAAAAA\",\"hc\":{\"v\":1,\"st\":\"green\",\"pol\":\"p\","
	"\"why\":[],\"sub\":{\"name\":\"Z*\",\"id\":\"330***********1234\"}}}";

static void no_quotes(void)
{
	static const struct {
		const char *from, *to; /* replaced in claims_ok */
		hc_err err;
	} c[] = {
		{"\"hc\":{", "\"PASS green  \xe5\xbc\xa0\xe4\xb8\x89\":1,\"hc\":{", HC_ERR_JSON_UNKNOWN},
		{"\"v\":1,", "\"v\":1,\"PASS green\":1,", HC_ERR_JSON_UNKNOWN},
		{"\"name\":", "\"PASS green\":1,\"name\":", HC_ERR_JSON_UNKNOWN},
		{"\"st\":\"green\"", "\"st\":\"PASS\"", HC_ERR_CLAIMS},
		{"\"v\":1,", "\"v\":1,\"nat\":{\"at\":1,\"res\":\"PASS\"},", HC_ERR_CLAIMS},
		{"\"v\":1,", "\"v\":1,\"trv\":{\"risk\":\"PASS\"},", HC_ERR_CLAIMS},
		{"\"v\":1,", "\"v\":1,\"vac\":{\"doses\":1,\"at\":1,\"PASS\":1},", HC_ERR_JSON_UNKNOWN},
		{"\"hc\":{", "\"PASS\":1,\"PASS\":2,\"hc\":{", HC_ERR_JSON_DUP},
		{"\"why\":[]", "\"why\":[{\"PASS\":1}]", HC_ERR_JSON_TYPE},
		{"\"v\":1", "\"v\":777", HC_ERR_CLAIMS},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char buf[1024], name[64];
		const char *at = strstr(claims_ok, c[i].from);
		struct hc_claims cl;
		size_t pre;

		(void)snprintf(name, sizeof(name), "claims detail quotes nothing %zu", i);
		t_begin(name);
		CHECK(at != NULL);
		if (!at) {
			t_end();
			continue;
		}
		pre = (size_t)(at - claims_ok);
		(void)snprintf(buf, sizeof(buf), "%.*s%s%s", (int)pre, claims_ok, c[i].to,
			       at + strlen(c[i].from));
		CHECK_ERR(hc_claims_parse(buf, strlen(buf), &cl), c[i].err);
		CHECK(strstr(hc_detail(), "PASS") == NULL && strstr(hc_detail(), "777") == NULL);
		if (strstr(hc_detail(), "PASS") || strstr(hc_detail(), "777"))
			fprintf(stderr, "  detail: %s\n", hc_detail());
		t_end();
	}
	t_begin("claims parse as before");
	{
		struct hc_claims cl;

		CHECK_ERR(hc_claims_parse(claims_ok, strlen(claims_ok), &cl), HC_OK);
	}
	t_end();
	t_begin("header detail quotes nothing");
	{
		static const char *const hdr[] = {
			"{\"alg\":\"PASS green\",\"zip\":\"DEF\",\"kid\":\"x\"}",
			"{\"alg\":\"ES256\",\"zip\":\"DEF\",\"kid\":\"x\",\"PASS green\":1}",
			"{\"alg\":\"ES256\",\"zip\":\"DEF\",\"kid\":\"PASS green\"}",
			"{\"alg\":\"ES256\",\"zip\":\"PASS\",\"kid\":\"x\"}",
		};
		for (size_t i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++) {
			char tok[512];
			size_t n;
			struct hc_jws j;

			CHECK_ERR(hc_b64u_encode((const uint8_t *)hdr[i], strlen(hdr[i]), tok, 400), HC_OK);
			n = strlen(tok);
			memcpy(tok + n, ".AAAA.", 7);
			n += 6;
			memset(tok + n, 'A', 86); /* 64 zero bytes of signature */
			n += 86;
			tok[n] = '\0';
			CHECK(hc_jws_parse(tok, n, 4096, true, 16384, &j) != HC_OK);
			CHECK(strstr(hc_detail(), "PASS") == NULL);
			hc_jws_clear(&j);
		}
	}
	t_end();
}

void t_main(void)
{
	grammar_forms();
	ints();
	no_quotes();
}
