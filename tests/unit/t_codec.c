/* t_codec.c: table-driven tests of base64url, raw deflate, QR framing,
 * times, text safety and masking, and strict JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "hc_token.h"
#include "t.h"

static void b64_vectors(void)
{
	/* RFC 4648 section 10, unpadded, plus the two url-safe characters. */
	static const struct { const char *in, *out; } v[] = {
		{"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"},
		{"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char enc[32];
		uint8_t dec[32];
		size_t n;

		t_begin(v[i].out[0] ? v[i].out : "b64 empty");
		CHECK_ERR(hc_b64u_encode((const uint8_t *)v[i].in, strlen(v[i].in), enc, sizeof(enc)),
			  HC_OK);
		CHECK(strcmp(enc, v[i].out) == 0);
		CHECK_ERR(hc_b64u_decode(v[i].out, strlen(v[i].out), dec, sizeof(dec), &n), HC_OK);
		CHECK(n == strlen(v[i].in) && memcmp(dec, v[i].in, n) == 0);
		t_end();
	}
}

static void b64_rejects(void)
{
	static const char *bad[] = {"Zg==", "Z", "Zh", "Zm9v\n", "Zm+v", "Zm/v", "Zm9 v", "Zm8=",
				    "Zm9vYmF"};
	static const hc_err want[] = {HC_ERR_B64, HC_ERR_B64, HC_ERR_B64, HC_ERR_B64, HC_ERR_B64,
				      HC_ERR_B64, HC_ERR_B64, HC_ERR_B64, HC_ERR_B64};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t d[16];
		size_t n;

		t_begin("b64 rejects non-canonical or foreign input");
		CHECK_ERR(hc_b64u_decode(bad[i], strlen(bad[i]), d, sizeof(d), &n), want[i]);
		t_end();
	}
	{
		uint8_t d[2];
		size_t n;

		t_begin("b64 decode respects the output size");
		CHECK_ERR(hc_b64u_decode("Zm9v", 4, d, sizeof(d), &n), HC_ERR_TOO_LARGE);
		t_end();
	}
}

static void zip_roundtrip_and_cap(void)
{
	uint8_t *big = malloc(HC_MAX_INFLATED + 1), *z = NULL, *out = NULL;
	size_t zn, on;

	memset(big, 'a', HC_MAX_INFLATED + 1);
	CHECK_ERR(hc_deflate(big, HC_MAX_INFLATED, &z, &zn), HC_OK);
	CHECK(zn < 100); /* raw deflate of a run is tiny */
	CHECK_ERR(hc_inflate(z, zn, HC_MAX_INFLATED, &out, &on), HC_OK);
	CHECK(on == HC_MAX_INFLATED && memcmp(out, big, on) == 0 && out[on] == '\0');
	free(out), free(z);
	out = z = NULL;
	/* One byte past the cap is refused: a deflate bomb stops at the cap. */
	CHECK_ERR(hc_deflate(big, HC_MAX_INFLATED + 1, &z, &zn), HC_OK);
	CHECK_ERR(hc_inflate(z, zn, HC_MAX_INFLATED, &out, &on), HC_ERR_INFLATE_CAP);
	CHECK(out == NULL);
	/* Truncated stream and trailing garbage. */
	CHECK_ERR(hc_inflate(z, zn - 1, HC_MAX_INFLATED + 1, &out, &on), HC_ERR_INFLATE);
	free(z);
	CHECK_ERR(hc_deflate((const uint8_t *)"hello", 5, &z, &zn), HC_OK);
	{
		uint8_t tz[64];

		memcpy(tz, z, zn);
		tz[zn] = 0x00;
		CHECK_ERR(hc_inflate(tz, zn + 1, 100, &out, &on), HC_ERR_INFLATE);
	}
	/* A zlib-wrapped stream is not raw deflate. */
	CHECK_ERR(hc_inflate((const uint8_t *)"\x78\x9c\xcb\x48\xcd\xc9\xc9\x07\x00\x06\x2c\x02\x15", 13,
			     100, &out, &on),
		  HC_ERR_INFLATE);
	CHECK_ERR(hc_inflate((const uint8_t *)"\xff\xff\xff", 3, 100, &out, &on), HC_ERR_INFLATE);
	free(z);
	free(big);
}

static void qr_framing(void)
{
	static const struct { const char *text; hc_err err; const char *tok; } v[] = {
		{"hc:/0077", HC_OK, "-z"},
		{"hc:/5676", HC_OK, "ey"},
		{"hc:/", HC_ERR_QR_EMPTY, NULL},
		{"HC:/0077", HC_ERR_QR_PREFIX, NULL},
		{"hc/0077", HC_ERR_QR_PREFIX, NULL},
		{"shc:/0077", HC_ERR_QR_PREFIX, NULL},
		{"hc:/007", HC_ERR_QR_ODD, NULL},
		{"hc:/0078", HC_ERR_QR_RANGE, NULL},
		{"hc:/9900", HC_ERR_QR_RANGE, NULL},
		{"hc:/00a7", HC_ERR_QR_DIGIT, NULL},
		{"hc:/0077\n", HC_ERR_QR_DIGIT, NULL},
		{"hc:/00 77", HC_ERR_QR_DIGIT, NULL},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char tok[64], back[64];
		size_t n;

		t_begin(v[i].text);
		CHECK_ERR(hc_qr_decode(HC_QR_PREFIX, v[i].text, strlen(v[i].text), tok, sizeof(tok), &n),
			  v[i].err);
		if (v[i].tok) {
			CHECK(strcmp(tok, v[i].tok) == 0);
			CHECK_ERR(hc_qr_encode(HC_QR_PREFIX, tok, n, back, sizeof(back)), HC_OK);
			CHECK(strcmp(back, v[i].text) == 0);
		}
		t_end();
	}
	t_begin("qr encode refuses characters outside - .. z");
	{
		char out[16];
		CHECK_ERR(hc_qr_encode(HC_QR_PREFIX, "a{", 2, out, sizeof(out)), HC_ERR_INVALID_ARG);
		CHECK_ERR(hc_qr_encode(HC_QR_PREFIX, "a,", 2, out, sizeof(out)), HC_ERR_INVALID_ARG);
		CHECK_ERR(hc_qr_encode(HC_QR_PREFIX, "abc", 3, out, 8), HC_ERR_TOO_LARGE);
	}
	t_end();
}

static void times(void)
{
	static const struct { const char *s; hc_err err; int64_t t; } v[] = {
		{"1795224600", HC_OK, 1795224600},
		{"2026-11-21T09:30:00+08:00", HC_OK, 1795224600},
		{"2026-11-21T01:30:00Z", HC_OK, 1795224600},
		{"2026-11-21t01:30:00z", HC_OK, 1795224600},
		{"2026-11-21T09:30:00.123-05:30", HC_OK, 1795273200},
		{"2024-02-29T23:59:60Z", HC_OK, 1709251199},
		{"2026-11-21", HC_OK, 1795190400}, /* midnight CST */
		{"2026-02-29", HC_ERR_TIME, 0},
		{"2026-13-01", HC_ERR_TIME, 0},
		{"2026-11-21T24:00:00Z", HC_ERR_TIME, 0},
		{"2026-11-21T09:30:00", HC_ERR_TIME, 0},
		{"2026-11-21 09:30:00Z", HC_ERR_TIME, 0},
		{"2026-11-21T09:30:00+8:00", HC_ERR_TIME, 0},
		{"-1", HC_ERR_TIME, 0},
		{"1e9", HC_ERR_TIME, 0},
		{"", HC_ERR_TIME, 0},
		{"99999999999999", HC_ERR_TIME, 0},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int64_t t = -1;

		t_begin(v[i].s[0] ? v[i].s : "time empty");
		CHECK_ERR(hc_time_parse(v[i].s, &t), v[i].err);
		if (v[i].err == HC_OK)
			CHECK(t == v[i].t);
		t_end();
	}
	static const struct { const char *s; int64_t d; } dv[] = {
		{"90", 90}, {"90s", 90}, {"30m", 1800}, {"24h", 86400}, {"7d", 604800},
		{"0", -1}, {"h", -1}, {"-1h", -1}, {"5y", -1}, {"24hh", -1}, {"400d", -1},
	};
	for (size_t i = 0; i < sizeof(dv) / sizeof(dv[0]); i++) {
		int64_t d = 0;

		t_begin(dv[i].s);
		CHECK_ERR(hc_duration_parse(dv[i].s, &d), dv[i].d < 0 ? HC_ERR_TIME : HC_OK);
		if (dv[i].d >= 0)
			CHECK(d == dv[i].d);
		t_end();
	}
	t_begin("time format");
	{
		char b[32];
		hc_time_format(1795224600, b, sizeof(b));
		CHECK(strcmp(b, "2026-11-21T01:30:00Z") == 0);
	}
	t_end();
}

static void text(void)
{
	static const struct { const char *s; bool ok; } u[] = {
		{"张三", true}, {"abc", true}, {"\xc0\xaf", false}, {"\xe0\x80\xaf", false},
		{"\xed\xa0\x80", false}, {"\xf4\x90\x80\x80", false}, {"\xe5\xbc", false},
		{"\xff", false}, {"\xf0\x9f\x98\x80", true},
	};
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		t_begin("utf8 validity");
		CHECK(hc_utf8_valid(u[i].s, strlen(u[i].s)) == u[i].ok);
		t_end();
	}
	static const struct { const char *in, *out; } d[] = {
		{"张三", "张三"},
		{"a\x1b[31mb", "a\xef\xbf\xbd[31mb"},
		/* NOLINTBEGIN(misc-misleading-bidirectional): the bidi controls are the test */
		{"x\xe2\x80\xaey", "x\xef\xbf\xbdy"},     /* RLO */
		{"x\xe2\x81\xa6y", "x\xef\xbf\xbdy"},     /* LRI */
		/* NOLINTEND(misc-misleading-bidirectional) */
		{"x\xc2\x9by", "x\xef\xbf\xbdy"},         /* C1 CSI */
		{"x\xffy", "x\xef\xbf\xbdy"},             /* invalid byte */
		{"x\x7fy\r\n", "x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd"},
	};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		char out[64];

		t_begin("display neutralises controls and bidi");
		hc_display_safe(d[i].in, out, sizeof(out));
		CHECK(strcmp(out, d[i].out) == 0);
		t_end();
	}
	t_begin("display truncates on a character boundary");
	{
		char out[5];
		hc_display_safe("张三李", out, sizeof(out));
		CHECK(strcmp(out, "张") == 0);
	}
	t_end();
	t_begin("masking");
	{
		char out[64];
		CHECK_ERR(hc_mask_name("张三", out, sizeof(out)), HC_OK);
		CHECK(strcmp(out, "张*") == 0);
		CHECK_ERR(hc_mask_name("欧阳娜娜", out, sizeof(out)), HC_OK);
		CHECK(strcmp(out, "欧***") == 0);
		CHECK_ERR(hc_mask_name("Li", out, sizeof(out)), HC_OK);
		CHECK(strcmp(out, "L*") == 0);
		CHECK_ERR(hc_mask_name("", out, sizeof(out)), HC_ERR_INVALID_ARG);
		CHECK_ERR(hc_mask_name("\xc0\xaf", out, sizeof(out)), HC_ERR_INVALID_ARG);
		CHECK_ERR(hc_mask_id("330106199001011234", out, sizeof(out)), HC_OK);
		CHECK(strcmp(out, "330***********1234") == 0);
		CHECK_ERR(hc_mask_id("33010619900101123X", out, sizeof(out)), HC_OK);
		CHECK(strcmp(out, "330***********123X") == 0);
		CHECK_ERR(hc_mask_id("1234", out, sizeof(out)), HC_ERR_INVALID_ARG);
		CHECK_ERR(hc_mask_id("33010619900101123;", out, sizeof(out)), HC_ERR_INVALID_ARG);
	}
	t_end();
}

static void json_strict(void)
{
	static const struct { const char *s; hc_err err; } v[] = {
		{"{\"a\":1}", HC_OK},
		{"{\"a\":1,\"a\":2}", HC_ERR_JSON_DUP},
		{"{\"a\":{\"b\":1,\"b\":1}}", HC_ERR_JSON_DUP},
		{"{\"a\":[{\"b\":1,\"b\":1}]}", HC_ERR_JSON_DUP},
		{"{\"a\":1,\"\\u0061\":2}", HC_ERR_JSON_DUP},
		{"{\"a\":1} x", HC_ERR_JSON},
		{"{\"a\":1}  \n", HC_OK},
		{"{\"a\":1,}", HC_ERR_JSON},
		{"{\"a\":\"x\\u0000y\"}", HC_ERR_JSON},
		{"{\"a\":1e400}", HC_ERR_JSON},
		{"{\"a\":NaN}", HC_ERR_JSON},
		{"{\"a\":\"\xc0\xaf\"}", HC_ERR_JSON_UTF8},
		{"{\"a\":\"\\ud800\"}", HC_ERR_JSON},
		{"[1]", HC_ERR_JSON_TYPE},
		{"1", HC_ERR_JSON_TYPE},
		{"", HC_ERR_JSON},
		{"{\"a\":/*c*/1}", HC_ERR_JSON},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cJSON *j = NULL;
		hc_err e = hc_json_parse(v[i].s, strlen(v[i].s), &j);

		t_begin(v[i].s[0] ? v[i].s : "json empty");
		/* A lone surrogate may be refused by cJSON or by the UTF-8 check. */
		if (v[i].err == HC_ERR_JSON && e == HC_ERR_JSON_UTF8)
			e = HC_ERR_JSON;
		CHECK_ERR(e, v[i].err);
		CHECK((e == HC_OK) == (j != NULL));
		cJSON_Delete(j);
		t_end();
	}
	t_begin("json depth cap");
	{
		char deep[200];
		size_t o = 0;
		cJSON *j = NULL;

		memcpy(deep, "{\"a\":", 5), o = 5;
		for (int i = 0; i < 40; i++)
			deep[o++] = '[';
		deep[o] = '\0';
		CHECK_ERR(hc_json_parse(deep, o, &j), HC_ERR_JSON_DEPTH);
		o = 0;
		deep[o++] = '{';
		memcpy(deep + o, "\"a\":", 4), o += 4;
		for (int i = 0; i < 30; i++)
			deep[o++] = '[';
		for (int i = 0; i < 30; i++)
			deep[o++] = ']';
		deep[o++] = '}';
		CHECK_ERR(hc_json_parse(deep, o, &j), HC_OK);
		cJSON_Delete(j);
	}
	t_end();
	static const struct { const char *s; hc_err err; int64_t v; } n[] = {
		{"{\"t\":1795224600}", HC_OK, 1795224600},
		{"{\"t\":1.5}", HC_ERR_JSON_INT, 0},
		{"{\"t\":-0}", HC_ERR_JSON_INT, 0},
		{"{\"t\":1.0}", HC_ERR_JSON_INT, 0},
		{"{\"t\":-1}", HC_ERR_JSON_INT, 0},
		{"{\"t\":9223372036854775808}", HC_ERR_JSON_INT, 0},
		{"{\"t\":9007199254740992}", HC_ERR_JSON_INT, 0},
		{"{\"t\":\"5\"}", HC_ERR_JSON_TYPE, 0},
		{"{\"t\":true}", HC_ERR_JSON_TYPE, 0},
		{"{\"u\":1}", HC_ERR_JSON_MISSING, 0},
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
}

/* The decoder reads eight digits a step; a plain one, written from the
 * framing's definition, must agree with it on every text: the errors in
 * their order (non-digit, odd count, too large, pair above 77) and the
 * token. Random texts of up to 120 digits, mostly valid pairs, some with
 * a stray byte (any of the 256) or a pair out of range at a random place,
 * some of odd length, into outputs of random sizes. */
static hc_err qr_ref(const char *txt, size_t n, char *tok, size_t toksz, size_t *len)
{
	size_t nd = n - 4;

	*len = 0;
	if (nd == 0)
		return HC_ERR_QR_EMPTY;
	for (size_t i = 4; i < n; i++)
		if (txt[i] < '0' || txt[i] > '9')
			return HC_ERR_QR_DIGIT;
	if (nd % 2)
		return HC_ERR_QR_ODD;
	if (nd / 2 + 1 > toksz)
		return HC_ERR_TOO_LARGE;
	for (size_t i = 0; i < nd / 2; i++) {
		int v = (txt[4 + 2 * i] - '0') * 10 + (txt[4 + 2 * i + 1] - '0');

		if (v > 77)
			return HC_ERR_QR_RANGE;
		tok[i] = (char)(v + 45);
	}
	tok[nd / 2] = '\0';
	*len = nd / 2;
	return HC_OK;
}

static void qr_decode_ref(void)
{
	unsigned long long x = 0x9e3779b97f4a7c15ull;
	unsigned bad = 0, ok = 0;

	t_begin("qr decode agrees with a plain decoder on 200,000 random texts");
	for (int it = 0; it < 200000 && bad < 5; it++) {
		char txt[256], a[128], b[128];
		size_t n = 4, np, la, lb, toksz;
		hc_err ea, eb;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		np = (size_t)(x % 61);
		memcpy(txt, "hc:/", 4);
		for (size_t k = 0; k < np; k++) {
			unsigned v;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			v = x % 400 ? (unsigned)(x >> 20) % 78 : 78 + (unsigned)(x >> 20) % 22;
			txt[n++] = (char)('0' + v / 10);
			txt[n++] = (char)('0' + v % 10);
		}
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (x % 40 == 0 && n > 4)
			txt[4 + (x >> 8) % (n - 4)] = (char)((x >> 24) & 0xff);
		if ((x >> 32) % 40 == 0)
			txt[n++] = '5';
		toksz = 1 + (size_t)((x >> 40) % 70);
		ea = qr_ref(txt, n, a, toksz, &la);
		eb = hc_qr_decode(HC_QR_PREFIX, txt, n, b, toksz, &lb);
		if (ea != eb || la != lb || (ea == HC_OK && memcmp(a, b, la + 1) != 0)) {
			fprintf(stderr, "  text of %zu bytes, out %zu: %s vs %s\n", n, toksz,
				hc_reason(ea), hc_reason(eb));
			bad++;
		}
		ok += ea == HC_OK;
	}
	CHECK(bad == 0);
	CHECK(ok > 10000); /* the valid case is exercised, not only the errors */
	t_end();
}

void t_main(void)
{
	b64_vectors();
	b64_rejects();
	RUN(zip_roundtrip_and_cap);
	qr_framing();
	qr_decode_ref();
	times();
	text();
	json_strict();
}
