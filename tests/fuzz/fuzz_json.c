/* fuzz_json.c: the strict JSON layer and the claims parser. The layer's
 * accept or refuse is checked against an independent recognizer of RFC
 * 8259 written here differently (recursive descent over a cursor, its own
 * UTF-8 decoder), which also tells which numbers are written as integers. */
#include <string.h>

#include "fixture.h"
#include "hc_json.h"
#include "hc_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

struct rd {
	const uint8_t *p, *end;
	int depth;
	size_t ints;    /* numbers of at most 15 digits, no fraction, exponent, -0 */
	size_t notints; /* numbers with a fraction or an exponent, or -0 */
	size_t nums;
	bool huge; /* a number that may not be finite as a double */
};

static bool value(struct rd *r);

static void skip_ws(struct rd *r)
{
	while (r->p < r->end && strchr(" \t\n\r", *r->p) && *r->p)
		r->p++;
}

static bool eat(struct rd *r, char c)
{
	skip_ws(r);
	if (r->p < r->end && *r->p == (uint8_t)c) {
		r->p++;
		return true;
	}
	return false;
}

static long hexval(struct rd *r)
{
	long v = 0;

	for (int k = 0; k < 4; k++, r->p++) {
		int d;

		if (r->p >= r->end)
			return -1;
		if (*r->p >= '0' && *r->p <= '9')
			d = *r->p - '0';
		else if ((*r->p | 0x20) >= 'a' && (*r->p | 0x20) <= 'f')
			d = (*r->p | 0x20) - 'a' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static bool str(struct rd *r)
{
	if (r->p >= r->end || *r->p != '"')
		return false;
	for (r->p++; r->p < r->end; r->p++) {
		long u, lo;

		if (*r->p == '"') {
			r->p++;
			return true;
		}
		if (*r->p < 0x20)
			return false;
		if (*r->p != '\\')
			continue;
		if (++r->p >= r->end)
			return false;
		switch (*r->p) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			continue;
		case 'u':
			r->p++;
			u = hexval(r);
			if (u <= 0 || (u >= 0xdc00 && u < 0xe000))
				return false;
			if (u >= 0xd800 && u < 0xdc00) {
				if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
					return false;
				r->p += 2;
				lo = hexval(r);
				if (lo < 0xdc00 || lo >= 0xe000)
					return false;
			}
			r->p--; /* the loop steps over the last hex digit */
			continue;
		default:
			return false;
		}
	}
	return false;
}

static size_t digits(struct rd *r)
{
	const uint8_t *s = r->p;

	while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
		r->p++;
	return (size_t)(r->p - s);
}

static bool num(struct rd *r)
{
	bool neg = false, frac = false, ex = false;
	size_t id;

	if (r->p < r->end && *r->p == '-') {
		neg = true;
		r->p++;
	}
	if (r->p < r->end && *r->p == '0') {
		r->p++;
		id = 1;
		if (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			return false;
	} else if ((id = digits(r)) == 0) {
		return false;
	}
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		frac = true;
		if (digits(r) == 0)
			return false;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		ex = true;
		if (r->p < r->end && (*r->p == '-' || *r->p == '+'))
			r->p++;
		if (digits(r) == 0)
			return false;
	}
	r->nums++;
	if (frac || ex || (neg && id == 1 && r->p[-1] == '0'))
		r->notints++;
	else if (id <= 15)
		r->ints++;
	if (ex || id > 300)
		r->huge = true;
	return true;
}

static bool lit(struct rd *r, const char *w)
{
	size_t l = strlen(w);

	if ((size_t)(r->end - r->p) < l || memcmp(r->p, w, l) != 0)
		return false;
	r->p += l;
	return true;
}

/* Containers: depth counted from 1 at the root, at most 32 (HC_MAX_JSON_DEPTH). */
static bool container(struct rd *r, char close) /* NOLINT(misc-no-recursion): depth capped */
{
	if (++r->depth > 32)
		return false;
	r->p++;
	if (eat(r, close)) {
		r->depth--;
		return true;
	}
	do {
		if (close == '}') {
			skip_ws(r);
			if (!str(r) || !eat(r, ':'))
				return false;
		}
		if (!value(r))
			return false;
	} while (eat(r, ','));
	if (!eat(r, close))
		return false;
	r->depth--;
	return true;
}

static bool value(struct rd *r) /* NOLINT(misc-no-recursion): depth capped */
{
	skip_ws(r);
	if (r->p >= r->end)
		return false;
	switch (*r->p) {
	case '{': return container(r, '}');
	case '[': return container(r, ']');
	case '"': return str(r);
	case 't': return lit(r, "true");
	case 'f': return lit(r, "false");
	case 'n': return lit(r, "null");
	default: return (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) && num(r);
	}
}

/* UTF-8 as RFC 3629 table 3-7 has it, NUL refused. */
static bool utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint8_t lo = 0x80, hi = 0xbf;
		size_t more;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			more = 1;
		else if (c >= 0xe0 && c <= 0xef)
			more = 2, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		else if (c >= 0xf0 && c <= 0xf4)
			more = 3, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		else
			return false;
		if (n - i <= more)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= more; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		i += more + 1;
	}
	return true;
}

static bool recognise(const uint8_t *s, size_t n, struct rd *r)
{
	memset(r, 0, sizeof(*r));
	r->p = s;
	r->end = s + n;
	if (!utf8_ok(s, n))
		return false;
	skip_ws(r);
	if (r->p >= r->end || *r->p != '{' || !value(r))
		return false;
	skip_ws(r);
	return r->p == r->end;
}

/* Numbers of the tree hc_json_num_int takes (preorder, like the text). */
static size_t int_items(const cJSON *item) /* NOLINT(misc-no-recursion): depth capped */
{
	size_t k = 0;
	int64_t v;

	if (cJSON_IsNumber(item) && hc_json_num_int(item, INT64_MIN, INT64_MAX, &v) == HC_OK)
		k++;
	for (const cJSON *c = item->child; c; c = c->next)
		k += int_items(c);
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct hc_claims c;
	struct rd r;
	cJSON *j = NULL;
	bool ok = recognise(data, n, &r);
	hc_err err = hc_json_parse((const char *)data, n, &j);

	/* Taken by the layer: grammatical. Refused by the grammar: refused. */
	FX_CHECK(err != HC_OK || ok);
	/* Grammatical: taken, unless for what the grammar does not see
	 * (a duplicate name, too many members, a number past a double). */
	FX_CHECK(!ok || err == HC_OK || err == HC_ERR_JSON_DUP || err == HC_ERR_TOO_LARGE ||
		 (err == HC_ERR_JSON && r.huge));
	if (err == HC_OK) {
		size_t k = int_items(j);

		/* Integers: every short run of digits, never a fraction,
		 * an exponent or -0. */
		FX_CHECK(k >= r.ints && k <= r.nums - r.notints);
		cJSON_Delete(j);
	}
	if (hc_claims_parse((const char *)data, n, &c) != HC_OK)
		return 0;
	FX_CHECK(ok);
	return 0;
}
