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

/* Through each parser: the trust list's keys (without kid, with a member
 * outside the JWK and its window), its snapshot_key (either), the foreign
 * data's SHC keys (without kid, or with nbf, the trust list's member). */
static void parsers(void)
{
	static const struct {
		bool foreign;
		const char *json;
		hc_err err;
		const char *detail;
	} cases[] = {
		{false, ISSUER("{\"kty\":\"EC\"}"), HC_ERR_JSON_MISSING, "key without kid"},
		{false, ISSUER("7"), HC_ERR_JSON_TYPE, ""},
		{false, ISSUER("{\"kid\":\"a\",\"status\":\"active\",\"crit\":1}"),
		 HC_ERR_JSON_UNKNOWN, "member \"crit\""},
		{false,
		 "{\"seq\":1,\"iat\":0,\"next_update\":0,\"issuers\":[],\"snapshot_key\":{\"kty\":"
		 "\"EC\"}}",
		 HC_ERR_TRUST_LIST, "snapshot_key is not a public JWK with its kid"},
		{false,
		 "{\"seq\":1,\"iat\":0,\"next_update\":0,\"issuers\":[],\"snapshot_key\":{\"kid\":"
		 "\"a\",\"nbf\":0}}",
		 HC_ERR_TRUST_LIST, "snapshot_key is not a public JWK with its kid"},
		{true, SHC("{\"kty\":\"EC\"}"), HC_ERR_JSON_MISSING, "SHC key without kid"},
		{true, SHC("[]"), HC_ERR_JSON_TYPE, ""},
		{true, SHC("{\"kid\":\"a\",\"nbf\":0}"), HC_ERR_JSON_UNKNOWN, "member \"nbf\""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *j = cases[i].json;
		struct hc_foreign *f = NULL;

		hc_set_detail(NULL);
		want(cases[i].foreign ? hc_foreign_parse((const uint8_t *)j, strlen(j), &f)
				      : hc_trustlist_validate(j, strlen(j)),
		     cases[i].err, cases[i].detail, j);
		CHECK(f == NULL);
		hc_foreign_free(f);
	}
}

void t_main(void)
{
	RUN(direct);
	RUN(parsers);
}
