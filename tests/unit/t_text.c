/* t_text.c: hc_copy and hc_decimal against snprintf; the display filter: the characters it must neutralise, one per
 * case, and its whole table against Python's unicodedata (through
 * tests/tools/unicode_hidden.py --ranges) when python3 is there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"

static size_t utf8(uint32_t c, char *o)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Whether hc_display_safe replaces code point c (between two letters). */
static bool hidden(uint32_t c)
{
	char in[8], out[32];
	size_t n = 0;

	in[n++] = 'a';
	n += utf8(c, in + n);
	in[n++] = 'b';
	in[n] = '\0';
	hc_display_safe(in, out, sizeof(out));
	if (strcmp(out, in) == 0) /* kept (U+FFFD too) */
		return false;
	if (strcmp(out, "a\xef\xbf\xbd" "b") == 0)
		return true;
	if (c != 0)
		t_fail(__FILE__, __LINE__, "U+%04X neither kept nor replaced", (unsigned)c);
	return false;
}

static void cases(void)
{
	static const struct {
		uint32_t c;
		bool hide;
	} v[] = {
		{0x01, true}, {0x09, true}, {0x0a, true}, {0x1b, true}, {0x7f, true},
		{0x80, true}, {0x85, true}, {0x9b, true}, {0x9f, true}, {0xad, true},
		{0x600, true}, {0x605, true}, {0x61c, true}, {0x6dd, true}, {0x70f, true},
		{0x180e, true}, {0x200b, true}, {0x200c, true}, {0x200d, true}, {0x200e, true},
		{0x200f, true}, {0x2028, true}, {0x2029, true}, {0x202a, true}, {0x202e, true},
		{0x2060, true}, {0x2064, true}, {0x2065, true}, {0x2066, true}, {0x2069, true},
		{0x206a, true}, {0x206f, true}, {0xfeff, true}, {0xfff9, true}, {0xfffb, true},
		{0x110bd, true}, {0x1bca0, true}, {0x1d173, true}, {0x1d17a, true},
		{0xe0000, true}, {0xe0001, true}, {0xe0041, true}, {0xe007f, true},
		/* shown as they are */
		{' ', false}, {'~', false}, {0xa0, false}, {0xe9, false}, {0x4e09, false},
		{0x2027, false}, {0x202f, false}, {0x205f, false}, {0x2070, false},
		{0xfffc, false}, {0xfffd, false}, {0x1f600, false}, {0xe0080, false},
		{0xe0100, false}, {0x10ffff, false},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char name[48];

		(void)snprintf(name, sizeof(name), "display U+%04X %s", (unsigned)v[i].c,
			       v[i].hide ? "neutralised" : "kept");
		t_begin(name);
		CHECK(hidden(v[i].c) == v[i].hide);
		t_end();
	}
}

/* The version of Unicode the table of common/text.c was made from. */
static bool table_version(char *v, size_t vsz)
{
	uint8_t *b = NULL;
	size_t n;
	const char *p;
	bool ok = false;

	if (hc_read_file("common/text.c", 1u << 20, &b, &n) != HC_OK)
		return false;
	if ((p = strstr((const char *)b, "from Unicode ")) != NULL) {
		size_t l;

		p += strlen("from Unicode ");
		l = strspn(p, "0123456789.");
		if (l > 0 && l < vsz) {
			memcpy(v, p, l);
			v[l] = '\0';
			ok = true;
		}
	}
	free(b);
	return ok;
}

static void against_python(void)
{
	char line[128], tv[32], pv[32] = "";
	FILE *f = popen("python3 tests/tools/unicode_hidden.py --ranges 2>/dev/null", "r");
	uint32_t next = 0;
	size_t ranges = 0, bad = 0;

	if (!f || !fgets(line, sizeof(line), f) || strncmp(line, "unicode ", 8) != 0 ||
	    strlen(line + 8) >= sizeof(pv)) {
		if (f)
			pclose(f);
		printf("skip display table against unicodedata: no python3\n");
		return;
	}
	memcpy(pv, line + 8, strlen(line + 8) + 1);
	pv[strcspn(pv, "\n")] = '\0';
	t_begin("display table made from this Unicode version");
	CHECK(table_version(tv, sizeof(tv)));
	if (strcmp(tv, pv) != 0) {
		t_end();
		pclose(f);
		printf("skip display table against unicodedata: python3 has Unicode %s, the "
		       "table %s\n", pv, tv);
		return;
	}
	t_end();
	t_begin("display table equals unicodedata's Cc, Cf, Zl, Zp");
	while (fgets(line, sizeof(line), f)) {
		char *e1 = NULL, *e2 = NULL;
		unsigned long a = strtoul(line, &e1, 16), z = strtoul(e1, &e2, 16);

		if (e1 == line || *e1 != ' ' || e2 == e1 + 1 || *e2 != '\n' || a > z || a < next ||
		    z > 0x10ffff) {
			t_fail(__FILE__, __LINE__, "bad line %s", line);
			break;
		}
		ranges++;
		for (; next < a; next++)
			if (!(next >= 0xd800 && next <= 0xdfff) && hidden(next) && bad++ < 10)
				t_fail(__FILE__, __LINE__, "U+%04X replaced, not in unicodedata's set",
				       (unsigned)next);
		for (; next <= z; next++)
			if (next != 0 && !hidden(next) && bad++ < 10)
				t_fail(__FILE__, __LINE__, "U+%04X kept, in unicodedata's set",
				       (unsigned)next);
	}
	for (; next <= 0x10ffff; next++)
		if (!(next >= 0xd800 && next <= 0xdfff) && hidden(next) && bad++ < 10)
			t_fail(__FILE__, __LINE__, "U+%04X replaced, not in unicodedata's set",
			       (unsigned)next);
	CHECK(pclose(f) == 0);
	CHECK(ranges > 10);
	t_end();
}

/* hc_copy writes what snprintf(out, n, "%s", s) writes. */
static void copies(void)
{
	static const char *const v[] = {"", "a", "abc", "abcd", "abcdefgh", "张三"};
	char a[8], b[8];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (size_t n = 1; n <= sizeof(a); n++) {
			memset(a, 'x', sizeof(a));
			memset(b, 'x', sizeof(b));
			hc_copy(a, n, v[i]);
			(void)snprintf(b, n, "%s", v[i]);
			if (memcmp(a, b, sizeof(a)) != 0)
				t_fail(__FILE__, __LINE__, "hc_copy(%zu, \"%s\")", n, v[i]);
		}
}

/* hc_decimal writes what snprintf(num, 24, "%lld", v) writes. */
static void decimals(void)
{
	int64_t v[] = {0, 1, -1, 9, 10, -10, 99, 100, 1796157477, -1796157477,
		       (int64_t)9007199254740991, INT64_MAX, INT64_MIN, INT64_MIN + 1};
	char a[24], b[24];
	uint64_t x = 0x9e3779b97f4a7c15u;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]) + 1000; i++) {
		int64_t y;

		if (i < sizeof(v) / sizeof(v[0])) {
			y = v[i];
		} else {
			x = x * 6364136223846793005u + 1442695040888963407u;
			y = (int64_t)x >> (i % 64);
		}

		(void)snprintf(b, sizeof(b), "%lld", (long long)y);
		if (hc_decimal(y, a) != a || strcmp(a, b) != 0)
			t_fail(__FILE__, __LINE__, "hc_decimal(%s) gave %s", b, a);
	}
}

void t_main(void)
{
	RUN(copies);
	RUN(decimals);
	cases();
	against_python();
}
