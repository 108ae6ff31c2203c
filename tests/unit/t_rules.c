/* t_rules.c: the rules of the trust list (key windows, one key per issuer,
 * max_validity) and of step 6 (validity bound, iat ahead, nbf, exp). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_crypto.h"
#include "hc_json.h"
#include "hc_sign.h"
#include "t.h"
#include "trust_int.h"

/* A JWK of a fresh key, without its closing brace, so that members follow. */
static char *jwk_open(const char *name)
{
	char path[512];
	struct hc_privkey *k = NULL;
	struct hc_pubkey *pub = NULL;
	cJSON *j = NULL;
	char *s = NULL;

	(void)snprintf(path, sizeof(path), "%s/%s", t_tmpdir(), name);
	if (hc_privkey_generate(path, &k) != HC_OK || hc_privkey_public(k, &pub) != HC_OK ||
	    hc_pubkey_jwk(pub, &j) != HC_OK || hc_json_print(j, &s) != HC_OK) {
		t_fail(__FILE__, __LINE__, "key %s", name);
		exit(1);
	}
	s[strlen(s) - 1] = '\0';
	cJSON_Delete(j);
	hc_pubkey_free(pub);
	hc_privkey_free(k);
	return s;
}

/* tpl with every "@A" and "@B" replaced by a and b. */
static char *expand(const char *tpl, const char *a, const char *b)
{
	size_t n = strlen(tpl) + 1, w = 0;
	char *out;

	for (const char *p = tpl; *p; p++)
		if (p[0] == '@' && (p[1] == 'A' || p[1] == 'B'))
			n += strlen(a) + strlen(b);
	if (!(out = malloc(n)))
		exit(1);
	for (const char *p = tpl; *p; p++) {
		if (p[0] == '@' && (p[1] == 'A' || p[1] == 'B')) {
			const char *s = p[1] == 'A' ? a : b;

			memcpy(out + w, s, strlen(s));
			w += strlen(s);
			p++;
		} else {
			out[w++] = *p;
		}
	}
	out[w] = '\0';
	return out;
}

#define TL(x) "{\"seq\":1,\"iat\":0,\"next_update\":1,\"issuers\":[" x "]}"
#define IA "{\"iss\":\"https://a.example\",\"name\":\"A\",\"region\":\"330000\""
#define IB "{\"iss\":\"https://b.example\",\"name\":\"B\",\"region\":\"310000\""
#define KA(m) "@A,\"status\":" m "}"
#define KB(m) "@B,\"status\":" m "}"
#define ACT "\"active\""

static void trustlist(void)
{
	static const struct {
		const char *name, *tpl;
		hc_err want;
	} cases[] = {
		{"control: one issuer, one key", TL(IA ",\"keys\":[" KA(ACT) "]}"), HC_OK},
		/* a key's exp: present is a time, absent is open-ended */
		{"exp 0, no nbf: a window in 1970", TL(IA ",\"keys\":[" KA(ACT ",\"exp\":0") "]}"), HC_OK},
		{"exp 0 before nbf 1", TL(IA ",\"keys\":[" KA(ACT ",\"nbf\":1,\"exp\":0") "]}"),
		 HC_ERR_TRUST_LIST},
		{"exp 1 before nbf 2", TL(IA ",\"keys\":[" KA(ACT ",\"nbf\":2,\"exp\":1") "]}"),
		 HC_ERR_TRUST_LIST},
		{"exp equal to nbf", TL(IA ",\"keys\":[" KA(ACT ",\"nbf\":5,\"exp\":5") "]}"), HC_OK},
		{"retired with exp 0 (present)", TL(IA ",\"keys\":[" KA("\"retired\",\"exp\":0") "]}"),
		 HC_OK},
		{"retired without exp", TL(IA ",\"keys\":[" KA("\"retired\",\"nbf\":5") "]}"),
		 HC_ERR_TRUST_LIST},
		/* a key belongs to one issuer */
		{"one key under two issuers",
		 TL(IA ",\"keys\":[" KA(ACT) "]}," IB ",\"keys\":[" KA("\"revoked\"") "]}"),
		 HC_ERR_TRUST_LIST},
		{"one key under two issuers, both active",
		 TL(IA ",\"keys\":[" KB(ACT) "," KA(ACT) "]}," IB ",\"keys\":[" KA(ACT) "]}"),
		 HC_ERR_TRUST_LIST},
		{"one key twice under one issuer", TL(IA ",\"keys\":[" KA(ACT) "," KA(ACT) "]}"),
		 HC_ERR_TRUST_LIST},
		{"two issuers, a key each", TL(IA ",\"keys\":[" KA(ACT) "]}," IB ",\"keys\":[" KB(ACT) "]}"),
		 HC_OK},
		/* max_validity */
		{"max_validity 1", TL(IA ",\"max_validity\":1,\"keys\":[" KA(ACT) "]}"), HC_OK},
		{"max_validity 366 days", TL(IA ",\"max_validity\":31622400,\"keys\":[" KA(ACT) "]}"),
		 HC_OK},
		{"max_validity 366 days + 1 s",
		 TL(IA ",\"max_validity\":31622401,\"keys\":[" KA(ACT) "]}"), HC_ERR_JSON_INT},
		{"max_validity 0", TL(IA ",\"max_validity\":0,\"keys\":[" KA(ACT) "]}"), HC_ERR_JSON_INT},
		{"max_validity -1", TL(IA ",\"max_validity\":-1,\"keys\":[" KA(ACT) "]}"), HC_ERR_JSON_INT},
		{"max_validity 1.5", TL(IA ",\"max_validity\":1.5,\"keys\":[" KA(ACT) "]}"),
		 HC_ERR_JSON_INT},
		{"max_validity a string", TL(IA ",\"max_validity\":\"7d\",\"keys\":[" KA(ACT) "]}"),
		 HC_ERR_JSON_TYPE},
		{"max_validity twice",
		 TL(IA ",\"max_validity\":1,\"max_validity\":2,\"keys\":[" KA(ACT) "]}"), HC_ERR_JSON_DUP},
	};
	char *a = jwk_open("a.key"), *b = jwk_open("b.key");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = expand(cases[i].tpl, a, b);
		hc_err err = hc_trustlist_validate(s, strlen(s));

		if (err != cases[i].want)
			t_fail(__FILE__, __LINE__, "%s: got %s (%s), want %s", cases[i].name,
			       hc_strerror(err), hc_detail(), hc_strerror(cases[i].want));
		free(s);
	}
	free(a);
	free(b);
}

/* Step 6 on a code whose signature verified: the validity bound, then nbf,
 * iat and exp against the verification time with the skew. */
static void step6(void)
{
	enum { T = 1795392000, W = 604800 };
	static const struct {
		const char *name;
		int64_t max, iat, nbf, exp, at;
		hc_err want;
	} cases[] = {
		{"control", W, T, T, T + 3600, T, HC_OK},
		{"validity exactly the bound", W, T, T, T + W, T, HC_OK},
		{"validity one second over", W, T, T, T + W + 1, T, HC_ERR_VALIDITY},
		{"validity ten years", W, T, T, T + 3650LL * 86400, T, HC_ERR_VALIDITY},
		{"over the bound, expired too", W, T - 30 * 86400, T - 30 * 86400, T - 86400, T,
		 HC_ERR_VALIDITY},
		{"a bound of one hour", 3600, T, T, T + 3601, T, HC_ERR_VALIDITY},
		{"iat ten days ahead, nbf an hour ago", W, T + 10 * 86400, T - 3600,
		 T + 10 * 86400 + 3600, T, HC_ERR_IAT_FUTURE},
		{"iat at the skew", W, T + 300, T - 3600, T + 3600, T, HC_OK},
		{"iat past the skew", W, T + 301, T - 3600, T + 3600, T, HC_ERR_IAT_FUTURE},
		{"nbf past the skew, iat too", W, T + 3600, T + 3600, T + 7200, T,
		 HC_ERR_NOT_YET_VALID},
		{"exp equal to the time", W, T - 3600, T - 3600, T, T, HC_OK},
		{"exp one second before", W, T - 3600, T - 3600, T - 1, T, HC_ERR_EXPIRED},
	};
	struct trust_issuer is;
	struct hc_verify_opts o;
	struct hc_brief b;

	memset(&is, 0, sizeof(is));
	hc_verify_opts_init(&o);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hc_err err;

		memset(&b, 0, sizeof(b));
		is.max_validity = cases[i].max;
		b.is = &is;
		b.iat = cases[i].iat;
		b.nbf = cases[i].nbf;
		b.exp = cases[i].exp;
		b.st = HC_ST_GREEN;
		o.at = cases[i].at;
		if ((err = hc__steps68(NULL, &b, &o, false)) != cases[i].want)
			t_fail(__FILE__, __LINE__, "%s: got %s, want %s", cases[i].name,
			       hc_strerror(err), hc_strerror(cases[i].want));
	}
}

void t_main(void)
{
	RUN(trustlist);
	RUN(step6);
}
