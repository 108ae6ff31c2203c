/* t_jwk_listed.c: the checks of a key listed in signed trust data before
 * hc_pubkey_from_jwk (hc_jwk_listed), shared by the trust list's keys,
 * its snapshot_key and the foreign data's SHC keys: each refusal with its
 * error and detail, through each parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_foreign.h"
#include "hc_json.h"
#include "hc_trust.h"
#include "t.h"

#define ISSUER(KEYS)                                                                         \
	"{\"seq\":1,\"iat\":0,\"next_update\":0,\"issuers\":[{\"iss\":\"https://hc.zj.example\"," \
	"\"name\":\"ZJ\",\"region\":\"330000\",\"keys\":[" KEYS "]}]}"
#define SHC(KEYS)                                                                            \
	"{\"seq\":1,\"iat\":0,\"dcc\":[],\"shc\":[{\"iss\":\"https://shc.example\",\"name\":\"X\"," \
	"\"keys\":[" KEYS "]}]}"

static void want(hc_err got, hc_err err, const char *detail, const char *what)
{
	if (got != err)
		t_fail(__FILE__, __LINE__, "%s: %s, want %s", what, hc_strerror(got),
		       hc_strerror(err));
	else if (strcmp(hc_detail(), detail) != 0)
		t_fail(__FILE__, __LINE__, "%s: detail \"%s\", want \"%s\"", what, hc_detail(),
		       detail);
}

static void direct(void)
{
	static const char *const members[] = {"kty", "kid", NULL};
	static const struct {
		const char *json;
		hc_err err;
		const char *detail;
	} cases[] = {
		{"[]", HC_ERR_JSON_TYPE, ""},
		{"\"k\"", HC_ERR_JSON_TYPE, ""},
		{"{\"kty\":\"EC\"}", HC_ERR_JSON_MISSING, "thing without kid"},
		{"{\"kid\":7}", HC_ERR_JSON_MISSING, "thing without kid"},
		{"{\"kid\":\"a\",\"x\":\"b\"}", HC_ERR_JSON_UNKNOWN, "member \"x\""},
		{"{\"kid\":\"a\",\"kty\":\"EC\"}", HC_OK, ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *j = cJSON_Parse(cases[i].json);

		CHECK(j != NULL);
		hc_set_detail(NULL);
		want(hc_jwk_listed(j, members, "thing"), cases[i].err, cases[i].detail,
		     cases[i].json);
		cJSON_Delete(j);
	}
}

/* The trust list: a key without kid, a key with a member outside the
 * JWK and its window, a snapshot_key with either. */
static void trust_list(void)
{
	static const struct {
		const char *json;
		hc_err err;
		const char *detail;
	} cases[] = {
		{ISSUER("{\"kty\":\"EC\"}"), HC_ERR_JSON_MISSING, "key without kid"},
		{ISSUER("7"), HC_ERR_JSON_TYPE, ""},
		{ISSUER("{\"kid\":\"a\",\"status\":\"active\",\"crit\":1}"), HC_ERR_JSON_UNKNOWN,
		 "member \"crit\""},
		{"{\"seq\":1,\"iat\":0,\"next_update\":0,\"issuers\":[],\"snapshot_key\":{\"kty\":"
		 "\"EC\"}}",
		 HC_ERR_TRUST_LIST, "snapshot_key is not a public JWK with its kid"},
		{"{\"seq\":1,\"iat\":0,\"next_update\":0,\"issuers\":[],\"snapshot_key\":{\"kid\":"
		 "\"a\",\"nbf\":0}}",
		 HC_ERR_TRUST_LIST, "snapshot_key is not a public JWK with its kid"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hc_set_detail(NULL);
		want(hc_trustlist_validate(cases[i].json, strlen(cases[i].json)), cases[i].err,
		     cases[i].detail, cases[i].json);
	}
}

/* The foreign data: an SHC key without kid, or with a member outside the
 * JWK (nbf is the trust list's, not the foreign data's). */
static void foreign(void)
{
	static const struct {
		const char *json;
		hc_err err;
		const char *detail;
	} cases[] = {
		{SHC("{\"kty\":\"EC\"}"), HC_ERR_JSON_MISSING, "SHC key without kid"},
		{SHC("[]"), HC_ERR_JSON_TYPE, ""},
		{SHC("{\"kid\":\"a\",\"nbf\":0}"), HC_ERR_JSON_UNKNOWN, "member \"nbf\""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hc_foreign *f = NULL;

		hc_set_detail(NULL);
		want(hc_foreign_parse((const uint8_t *)cases[i].json, strlen(cases[i].json), &f),
		     cases[i].err, cases[i].detail, cases[i].json);
		CHECK(f == NULL);
		hc_foreign_free(f);
	}
}

void t_main(void)
{
	RUN(direct);
	RUN(trust_list);
	RUN(foreign);
}
