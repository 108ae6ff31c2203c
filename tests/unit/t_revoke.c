/* t_revoke.c: building revocation-list payloads (hc_revlist_build): order
 * by decoded jti, merging, strict entries, errors naming the entry, and a
 * million entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "hc_sign.h"
#include "hc_trust.h"
#include "t.h"

#define ISS "https://hc.zj.example"
#define IAT 1795392000
#define HEAD "{\"iss\":\"" ISS "\",\"seq\":7,\"iat\":1795392000,\"revoked\":["

/* jtis whose string order (- 0 A _ a) differs from their byte order
 * (A=00 a=68 0=d0 -=f8 _=fc). */
#define J_A "AAAAAAAAAAAAAAAAAAAAAA"
#define J_a "aAAAAAAAAAAAAAAAAAAAAA"
#define J_0 "0AAAAAAAAAAAAAAAAAAAAA"
#define J_M "-AAAAAAAAAAAAAAAAAAAAA"
#define J_U "_AAAAAAAAAAAAAAAAAAAAA"

static const struct {
	const char *name, *in;
	hc_err err;
	const char *out;    /* expected "revoked" array contents (after HEAD) */
	size_t count;
	const char *detail; /* substring of hc_detail() on failure */
} cases[] = {
	{"empty array", " [ ] \n", HC_OK, "", 0, NULL},
	{"sorted by decoded bytes, not by string",
	 "[\"" J_M "\",\"" J_0 "\",{\"jti\":\"" J_U "\",\"at\":5},\"" J_a "\",\"" J_A "\"]", HC_OK,
	 "{\"jti\":\"" J_A "\",\"at\":1795392000},{\"jti\":\"" J_a "\",\"at\":1795392000},"
	 "{\"jti\":\"" J_0 "\",\"at\":1795392000},{\"jti\":\"" J_M "\",\"at\":1795392000},"
	 "{\"jti\":\"" J_U "\",\"at\":5}",
	 5, NULL},
	{"duplicate keeps the earliest at",
	 "[{\"jti\":\"" J_a "\",\"at\":200},{\"jti\":\"" J_A "\",\"at\":9},{\"jti\":\"" J_a
	 "\",\"at\":100},{\"jti\":\"" J_a "\",\"at\":300}]",
	 HC_OK, "{\"jti\":\"" J_A "\",\"at\":9},{\"jti\":\"" J_a "\",\"at\":100}", 2, NULL},
	{"duplicate: bare string means iat, earlier at wins",
	 "[\"" J_A "\",{\"jti\":\"" J_A "\",\"at\":1795391999}]", HC_OK,
	 "{\"jti\":\"" J_A "\",\"at\":1795391999}", 1, NULL},
	{"at as RFC 3339 and as a date",
	 "[{\"jti\":\"" J_A "\",\"at\":\"2026-11-23T08:00:00+08:00\"},{\"jti\":\"" J_a
	 "\",\"at\":\"2026-11-23\"},{\"jti\":\"" J_0 "\",\"at\":\"2026-11-23T00:00:01Z\"}]",
	 HC_OK,
	 "{\"jti\":\"" J_A "\",\"at\":1795392000},{\"jti\":\"" J_a "\",\"at\":1795363200},"
	 "{\"jti\":\"" J_0 "\",\"at\":1795392001}",
	 3, NULL},
	{"at 0", "[{\"at\":0,\"jti\":\"" J_A "\"}]", HC_OK, "{\"jti\":\"" J_A "\",\"at\":0}", 1, NULL},
	{"escaped jti characters", "[\"\\u0041AAAAAAAAAAAAAAAAAAAAA\"]", HC_OK,
	 "{\"jti\":\"" J_A "\",\"at\":1795392000}", 1, NULL},
	{"jti of 21 characters", "[\"" J_A "\",\"AAAAAAAAAAAAAAAAAAAAA\"]", HC_ERR_INVALID_ARG, NULL,
	 0, "entries[1]: jti"},
	{"jti of 23 characters", "[{\"jti\":\"AAAAAAAAAAAAAAAAAAAAAAA\"}]", HC_ERR_INVALID_ARG,
	 NULL, 0, "entries[0]: jti"},
	{"jti not base64url", "[\"" J_A "\",\"" J_a "\",\"+AAAAAAAAAAAAAAAAAAAAA\"]",
	 HC_ERR_INVALID_ARG, NULL, 0, "entries[2]: jti"},
	{"jti with padding", "[\"AAAAAAAAAAAAAAAAAAAAA=\"]", HC_ERR_INVALID_ARG, NULL, 0,
	 "entries[0]"},
	{"jti with padding, 24 characters", "[\"AAAAAAAAAAAAAAAAAAAAAA==\"]", HC_ERR_INVALID_ARG,
	 NULL, 0, "entries[0]"},
	{"jti with non-zero trailing bits", "[\"AAAAAAAAAAAAAAAAAAAAAB\"]", HC_ERR_INVALID_ARG, NULL,
	 0, "entries[0]"},
	{"jti not a string", "[{\"jti\":5}]", HC_ERR_JSON_TYPE, NULL, 0, "entries[0]"},
	{"jti missing", "[{\"at\":5}]", HC_ERR_JSON_MISSING, NULL, 0, "entries[0]"},
	{"unknown member", "[\"" J_A "\",{\"jti\":\"" J_a "\",\"at\":1,\"why\":\"x\"}]",
	 HC_ERR_JSON_UNKNOWN, NULL, 0, "entries[1]: member \"why\""},
	{"duplicate member", "[{\"jti\":\"" J_A "\",\"jti\":\"" J_a "\"}]", HC_ERR_JSON_DUP, NULL, 0,
	 "entries[0]"},
	{"negative at", "[{\"jti\":\"" J_A "\",\"at\":-1}]", HC_ERR_JSON_INT, NULL, 0, "entries[0]"},
	{"fractional at", "[{\"jti\":\"" J_A "\",\"at\":1.5}]", HC_ERR_JSON_INT, NULL, 0,
	 "entries[0]"},
	{"at past year 9999", "[{\"jti\":\"" J_A "\",\"at\":253402300800}]", HC_ERR_JSON_INT, NULL, 0,
	 "entries[0]"},
	{"at not a time", "[{\"jti\":\"" J_A "\",\"at\":\"yesterday\"}]", HC_ERR_TIME, NULL, 0,
	 "entries[0]: at"},
	{"at of the wrong type", "[{\"jti\":\"" J_A "\",\"at\":[1]}]", HC_ERR_JSON_TYPE, NULL, 0,
	 "entries[0]"},
	{"not an array (object)", "{\"revoked\":[]}", HC_ERR_JSON_TYPE, NULL, 0, "not a JSON array"},
	{"not an array (string)", "\"" J_A "\"", HC_ERR_JSON_TYPE, NULL, 0, "not a JSON array"},
	{"not JSON", "revoked", HC_ERR_JSON, NULL, 0, "not a JSON array"},
	{"empty input", "", HC_ERR_JSON, NULL, 0, NULL},
	{"unclosed array", "[\"" J_A "\"", HC_ERR_JSON, NULL, 0, "not closed"},
	{"trailing comma", "[\"" J_A "\",]", HC_ERR_JSON, NULL, 0, "entries[1]"},
	{"missing comma", "[\"" J_A "\" \"" J_a "\"]", HC_ERR_JSON, NULL, 0, "entries[0]"},
	{"data after the array", "[\"" J_A "\"] []", HC_ERR_JSON, NULL, 0, "after the array"},
	{"number entry", "[\"" J_A "\",1]", HC_ERR_JSON_TYPE, NULL, 0, "entries[1]"},
	{"nested array entry", "[[\"" J_A "\"]]", HC_ERR_JSON_TYPE, NULL, 0, "entries[0]"},
	{"unbalanced object", "[{\"jti\":\"" J_A "\"]", HC_ERR_JSON, NULL, 0, NULL},
	{"escaped quote in a string", "[\"a\\\"],[\"]", HC_ERR_INVALID_ARG, NULL, 0, "entries[0]"},
	{"NUL escape", "[\"\\u0000AAAAAAAAAAAAAAAAAAAAA\"]", HC_ERR_JSON, NULL, 0, "entries[0]"},
};

static void table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = NULL, want[1024];
		size_t count = 99;

		t_begin(cases[i].name);
		CHECK_ERR(hc_revlist_build(ISS, 7, IAT, cases[i].in, strlen(cases[i].in), &p, &count),
			  cases[i].err);
		if (cases[i].err == HC_OK) {
			snprintf(want, sizeof(want), "%s%s]}", HEAD, cases[i].out);
			CHECK(p && strcmp(p, want) == 0);
			if (p && strcmp(p, want) != 0)
				fprintf(stderr, "  got  %s\n  want %s\n", p, want);
			CHECK(count == cases[i].count);
		} else {
			CHECK(p == NULL && count == 0);
			if (cases[i].detail && !strstr(hc_detail(), cases[i].detail))
				t_fail(__FILE__, __LINE__, "detail \"%s\", want \"%s\"", hc_detail(),
				       cases[i].detail);
		}
		free(p);
		t_end();
	}
}

static void header_args(void)
{
	static const struct {
		const char *iss;
		int64_t seq, iat;
		hc_err err;
	} v[] = {
		{ISS, 1, 0, HC_OK},
		{ISS, 9007199254740991LL, 253402300799LL, HC_OK},
		{"http://hc.zj.example", 1, IAT, HC_ERR_INVALID_ARG},
		{"https://hc.zj.example/", 1, IAT, HC_ERR_INVALID_ARG},
		{"https://", 1, IAT, HC_ERR_INVALID_ARG},
		{"https://hc.zj.example/a\"b", 1, IAT, HC_ERR_INVALID_ARG},
		{"https://hc.zj example", 1, IAT, HC_ERR_INVALID_ARG},
		{ISS, 0, IAT, HC_ERR_INVALID_ARG},
		{ISS, -3, IAT, HC_ERR_INVALID_ARG},
		{ISS, 9007199254740992LL, IAT, HC_ERR_INVALID_ARG},
		{ISS, 1, -1, HC_ERR_INVALID_ARG},
		{ISS, 1, 253402300800LL, HC_ERR_INVALID_ARG},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *p = NULL;
		size_t count;

		CHECK_ERR(hc_revlist_build(v[i].iss, v[i].seq, v[i].iat, "[]", 2, &p, &count),
			  v[i].err);
		CHECK((p != NULL) == (v[i].err == HC_OK));
		free(p);
	}
}

/* The output is a valid payload for the strict parser, in the exact form. */
static void output_parses(void)
{
	static const char in[] = "[\"" J_U "\",{\"jti\":\"" J_A "\",\"at\":\"2026-11-23\"}]";
	char *p = NULL;
	size_t count;
	cJSON *root = NULL;
	int64_t v;

	CHECK_ERR(hc_revlist_build(ISS, 3, IAT, in, strlen(in), &p, &count), HC_OK);
	if (!p)
		return;
	CHECK_ERR(hc_json_parse(p, strlen(p), &root), HC_OK);
	if (root) {
		static const char *const members[] = {"iss", "seq", "iat", "revoked", NULL};
		const cJSON *arr = NULL;

		CHECK_ERR(hc_json_only(root, members), HC_OK);
		CHECK_ERR(hc_json_int(root, "seq", true, 1, 10, &v, NULL), HC_OK);
		CHECK(v == 3);
		CHECK_ERR(hc_json_arr(root, "revoked", true, &arr), HC_OK);
		CHECK(arr && cJSON_GetArraySize(arr) == 2);
	}
	cJSON_Delete(root);
	free(p);
}

/* Writes the 22-character jti of counter i (big-endian in bytes 12..15, a
 * fixed prefix so every jti shares the first 12 bytes). */
static void jti_of(uint32_t i, char out[23])
{
	uint8_t b[16] = {0x5a, 0xa5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	hc_err err;

	b[12] = (uint8_t)(i >> 24);
	b[13] = (uint8_t)(i >> 16);
	b[14] = (uint8_t)(i >> 8);
	b[15] = (uint8_t)i;
	err = hc_b64u_encode(b, 16, out, 23);
	CHECK_ERR(err, HC_OK);
}

/* A million entries, given in descending order, a third of them as bare
 * strings, plus one duplicate: one build, sorted, merged. */
static void million(void)
{
	const uint32_t n = 1000000;
	size_t cap = (size_t)n * 48 + 64, o = 0, count = 0;
	char *in = malloc(cap), *p = NULL, jti[23], first[64];

	CHECK(in != NULL);
	if (!in)
		return;
	in[o++] = '[';
	for (uint32_t k = 0; k <= n; k++) {
		uint32_t i = k == n ? n / 2 : n - 1 - k; /* the last one repeats an earlier jti */
		int r;

		jti_of(i, jti);
		if (i % 3 == 0)
			r = snprintf(in + o, cap - o, "%s\"%s\"", k ? "," : "", jti);
		else
			r = snprintf(in + o, cap - o, "%s{\"jti\":\"%s\",\"at\":%u}", k ? "," : "",
				     jti, k == n ? 7u : 1700000000u + i);
		CHECK(r > 0 && (size_t)r < cap - o);
		o += (size_t)r;
	}
	in[o++] = ']';
	CHECK_ERR(hc_revlist_build(ISS, 1, IAT, in, o, &p, &count), HC_OK);
	CHECK(count == n);
	if (p) {
		jti_of(0, jti);
		snprintf(first, sizeof(first), "\"revoked\":[{\"jti\":\"%s\",\"at\":1795392000}", jti);
		CHECK(strstr(p, first) != NULL);
		jti_of(n / 2, jti);
		snprintf(first, sizeof(first), "{\"jti\":\"%s\",\"at\":7}", jti);
		CHECK(strstr(p, first) != NULL);
		jti_of(n - 1, jti);
		snprintf(first, sizeof(first), "{\"jti\":\"%s\",\"at\":%u}]}", jti,
			 /* cppcheck-suppress knownConditionTrueFalse ; true for this n only */
			 (n - 1) % 3 == 0 ? (unsigned)IAT : 1700000000u + n - 1);
		CHECK(strlen(p) > strlen(first) &&
		      strcmp(p + strlen(p) - strlen(first), first) == 0);
	}
	free(p);
	free(in);
}

/* One entry more than HC_MAX_REVOKED is refused, duplicates included:
 * the cap bounds the work before merging. */
static void over_cap(void)
{
	static const char e[] = ",\"" J_A "\"";
	size_t n = (size_t)HC_MAX_REVOKED + 1, el = sizeof(e) - 1, o = 0, count = 0;
	char *in = malloc(n * el + 2), *p = NULL;

	CHECK(in != NULL);
	if (!in)
		return;
	for (size_t i = 0; i < n; i++, o += el)
		memcpy(in + o, e, el);
	in[0] = '[';
	in[o++] = ']';
	CHECK_ERR(hc_revlist_build(ISS, 1, IAT, in, o, &p, &count), HC_ERR_TOO_LARGE);
	CHECK(p == NULL && strstr(hc_detail(), "more than") != NULL);
	/* One fewer is accepted and merges into one entry. */
	in[o - 1 - el] = ']';
	CHECK_ERR(hc_revlist_build(ISS, 1, IAT, in, o - el, &p, &count), HC_OK);
	CHECK(count == 1);
	free(p);
	free(in);
}

void t_main(void)
{
	table();
	RUN(header_args);
	RUN(output_parses);
	RUN(million);
	RUN(over_cap);
}
