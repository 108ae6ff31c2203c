/* batch_parse.c: one record line of hc-verify batch read: a bare code,
 * or a JSON object by the fast path for the flat line every scanner
 * writes, or else by the strict path (hc_json_parse and a walk over the
 * members' source bytes). */
#include <string.h>

#include "batch_parse_int.h"
#include "hc_json.h"

/* Times as hc_time_parse and --at take them: 1970 to 9999. */
#define TIME_MAX 253402300799LL /* 9999-12-31T23:59:59Z */

#define NAME(s, kind) {s, sizeof(s) - 1, kind}

/* The names of a result's own members. A record member named like one of
 * them (or "record") is kept under the result's "record" object; "code"
 * and "at" are read, not passed through. */
static const struct {
	const char *s;
	size_t n;
	int kind;
} names[] = {
	NAME("code", M_CODE),       NAME("at", M_AT),         NAME("line", M_RESULT),
	NAME("verdict", M_RESULT),  NAME("reason", M_RESULT), NAME("detail", M_RESULT),
	NAME("status", M_RESULT),   NAME("iss", M_RESULT),    NAME("region", M_RESULT),
	NAME("warnings", M_RESULT), NAME("record", M_RESULT),
};

bool batch_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

const char *batch_skip_ws(const char *p, const char *e)
{
	while (p < e && batch_is_ws(*p))
		p++;
	return p;
}

int batch_member_kind(const char *k, size_t n)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].n == n && names[i].s[0] == k[0] && memcmp(names[i].s, k, n) == 0)
			return names[i].kind;
	return M_PASS;
}

/* The string at p (after its opening quote, inside the line before end):
 * no escape, no control character, valid UTF-8 (ASCII printable for a
 * key). Returns its length or -1. The closing quote by memchr, then one
 * pass over the bytes before it for what the strict path must read
 * (escapes, control characters, NUL); UTF-8 is checked only when a byte
 * is not ASCII (the code of a scan line never has one). */
static long flat_str(const char *p, const char *end, bool key)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	const char *q = memchr(p, '"', (size_t)(end - p));
	uint64_t badw = 0, hiw = 0;
	unsigned bad, hi;
	size_t k, i = 0;

	if (!q)
		return -1;
	k = (size_t)(q - p);
	/* Eight bytes a step (exact "has less", "has zero" and "has more"
	 * tests, Anderson's bit hacks): a byte below 0x20, a backslash, a
	 * byte at or above 0x7f. */
	for (; i + 8 <= k; i += 8) {
		uint64_t w, bs;

		memcpy(&w, p + i, 8);
		bs = w ^ (ones * '\\');
		badw |= ((w - ones * 0x20) & ~w) | ((bs - ones) & ~bs);
		hiw |= (w + ones) | w;
	}
	bad = (badw & high) != 0;
	hi = (hiw & high) != 0;
	for (; i < k; i++) {
		unsigned char c = (unsigned char)p[i];

		bad |= (unsigned)(c < 0x20) | (unsigned)(c == '\\');
		hi |= (unsigned)(c >= 0x7f);
	}
	if (bad || (hi && (key || !hc_utf8_valid(p, k))))
		return -1;
	return (long)k;
}

/* The fast path for the line every scanner writes: one flat object, no
 * whitespace, members whose values are strings without escapes or integers
 * of at most 15 digits, no duplicates, none named like a result member,
 * "code" a string, "at" absent or a time. It takes only lines that the
 * strict path reads the same way; its spans are the members' bytes, as the
 * strict path copies them; anything else returns false and goes the strict
 * path (the fuzz target fuzz_batch checks both agree). */
static bool parse_flat(const char *line, size_t n, struct record *r, int64_t *at)
{
	const char *p = line + 1, *end, *keys[FLAT_MEMBERS + 2];
	size_t klen[FLAT_MEMBERS + 2], nkeys = 0;
	bool have_code = false;

	if (n < 3 || line[n - 1] != '}')
		return false;
	end = line + n - 1; /* the closing brace */
	for (;;) {
		const char *k, *v;
		long kl, vl;
		int kind;

		if (p >= end || *p != '"' || nkeys == FLAT_MEMBERS + 2)
			return false;
		k = p + 1;
		if ((kl = flat_str(k, end, true)) < 0)
			return false;
		for (size_t i = 0; i < nkeys; i++)
			if (klen[i] == (size_t)kl && memcmp(keys[i], k, (size_t)kl) == 0)
				return false;
		keys[nkeys] = k;
		klen[nkeys++] = (size_t)kl;
		p = k + kl + 1;
		if (p >= end || *p != ':')
			return false;
		v = ++p;
		if (p < end && *p == '"') {
			if ((vl = flat_str(p + 1, end, false)) < 0)
				return false;
			p += vl + 2;
		} else {
			const char *d = p + (p < end && *p == '-');

			vl = 0;
			while (d + vl < end && d[vl] >= '0' && d[vl] <= '9')
				vl++;
			if (vl == 0 || vl > 15 || (d[0] == '0' && vl > 1) ||
			    (d != p && d[0] == '0'))
				return false; /* also "-0", left to the strict path */
			p = d + vl;
		}
		kind = batch_member_kind(k, (size_t)kl);
		if (kind == M_CODE) {
			if (*v != '"')
				return false;
			r->code = v + 1;
			r->codelen = (size_t)(p - v - 2);
			have_code = true;
		} else if (kind == M_AT) {
			char tbuf[64];
			const char *d = v;
			int64_t t = 0;

			if (*v == '"') {
				if ((size_t)(p - v - 2) >= sizeof(tbuf))
					return false;
				memcpy(tbuf, v + 1, (size_t)(p - v - 2));
				tbuf[p - v - 2] = '\0';
				if (hc_time_parse_text(tbuf, &t) != HC_OK)
					return false;
			} else {
				if (*d == '-')
					return false; /* out of range: the strict path says so */
				for (; d < p; d++)
					t = t * 10 + (*d - '0');
				if (t > TIME_MAX)
					return false;
			}
			*at = t;
		} else if (kind == M_RESULT || r->nspan == FLAT_MEMBERS) {
			return false;
		} else {
			r->span[r->nspan].p = k - 1;
			r->span[r->nspan++].n = (size_t)(p - (k - 1));
		}
		if (p == end)
			break;
		if (*p++ != ',')
			return false;
	}
	return have_code;
}

/* ---- the strict path: members of an object hc_json_parse accepted ---- */

/* After the string whose opening quote is at p: the first quote after an
 * even number of backslashes (a code is a long string: memchr). */
const char *batch_str_end(const char *p, const char *e)
{
	const char *q = p + 1, *d;

	while ((d = memchr(q, '"', (size_t)(e - q)))) {
		size_t bs = 0;

		while (d - bs - 1 > p && d[-1 - (long)bs] == '\\')
			bs++;
		if (bs % 2 == 0)
			return d + 1;
		q = d + 1;
	}
	return e;
}

static bool digit(const char *p, const char *e)
{
	return p < e && *p >= '0' && *p <= '9';
}

/* The length of the number at p in RFC 8259's grammar, 0 if none. */
static size_t num_len(const char *p, const char *e)
{
	const char *s = p;

	p += p < e && *p == '-';
	if (!digit(p, e))
		return 0;
	if (*p == '0')
		p++;
	else
		while (digit(p, e))
			p++;
	if (p < e && *p == '.') {
		if (!digit(++p, e))
			return 0;
		while (digit(p, e))
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		p += p < e && (*p == '+' || *p == '-');
		if (!digit(p, e))
			return 0;
		while (digit(p, e))
			p++;
	}
	if (p < e && !batch_is_ws(*p) && *p != ',' && *p != '}' && *p != ']')
		return 0; /* "01", "1.", "0x1": cJSON reads them, JSON has none */
	return (size_t)(p - s);
}

/* The end of the value at p, or NULL (with *why) where the text holds what
 * RFC 8259 does not and cJSON lets through: a number outside the grammar,
 * a control byte between tokens. Strings, literals and nesting are as
 * cJSON checked them. */
static const char *value_end(const char *p, const char *e, const char **why)
{
	int depth = 0;

	do {
		char c = *p;
		size_t l;

		if (c == '"') {
			p = batch_str_end(p, e);
		} else if (c == '{' || c == '[') {
			depth++;
			p++;
		} else if (c == '}' || c == ']') {
			depth--;
			p++;
		} else if (c == ',' || c == ':' || batch_is_ws(c)) {
			p++;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			if ((l = num_len(p, e)) == 0) {
				*why = "a number outside JSON's grammar";
				return NULL;
			}
			p += l;
		} else if (c >= 'a' && c <= 'z') {
			while (p < e && *p >= 'a' && *p <= 'z')
				p++; /* true, false, null */
		} else {
			*why = "a control character between JSON tokens";
			return NULL;
		}
	} while (depth > 0 && p < e);
	return p;
}

/* The member after *pp (just after the '{' or the previous member): 1, or
 * 0 at the closing '}', or -1 (with *why) for text cJSON lets through. */
int batch_next_member(const char **pp, const char *e, struct member *m, const char **why)
{
	const char *p = batch_skip_ws(*pp, e);

	if (p < e && *p == ',')
		p = batch_skip_ws(p + 1, e);
	if (p < e && *p == '}' && p + 1 == e)
		return 0;
	if (p >= e || *p != '"')
		goto bad;
	m->k = p;
	m->kend = p = batch_str_end(p, e);
	p = batch_skip_ws(p, e);
	if (p >= e || *p != ':')
		goto bad;
	m->v = p = batch_skip_ws(p + 1, e);
	if (p >= e || !(m->vend = value_end(p, e, why)))
		return -1;
	*pp = m->vend;
	return 1;
bad:
	*why = "a control character between JSON tokens";
	return -1;
}

/* The strict path: hc_json_parse, then a walk over the members' source
 * bytes beside the cJSON tree (whose members are in the same order). */
static hc_err parse_strict(char *line, size_t n, struct record *r)
{
	const cJSON *c, *code = NULL, *at = NULL;
	const char *p = line + 1, *e = line + n, *why = NULL, *atv = NULL, *atend = NULL;
	struct member m;
	int64_t t;
	hc_err err;

	if ((err = hc_json_parse(line, n, &r->rec)) != HC_OK)
		return err;
	r->obj = line;
	r->objend = e;
	for (c = r->rec->child; c; c = c->next) {
		int kind;

		if (batch_next_member(&p, e, &m, &why) != 1)
			break;
		kind = batch_member_kind(c->string, strlen(c->string));
		if (kind == M_CODE) {
			code = c;
		} else if (kind == M_AT) {
			at = c;
			atv = m.v;
			atend = m.vend;
		}
	}
	if (c || (!why && batch_next_member(&p, e, &m, &why) != 0)) {
		hc_set_detail("%s", why ? why : "a control character between JSON tokens");
		cJSON_Delete(r->rec); /* not JSON: nothing of it is passed on */
		r->rec = NULL;
		return HC_ERR_JSON;
	}
	if (!code || !cJSON_IsString(code)) {
		hc_set_detail("record without a \"code\" string");
		return code ? HC_ERR_JSON_TYPE : HC_ERR_JSON_MISSING;
	}
	r->code = code->valuestring;
	r->codelen = strlen(code->valuestring);
	if (!at)
		return HC_OK;
	if (!cJSON_IsString(at) && !cJSON_IsNumber(at)) {
		hc_set_detail("\"at\" is not a time");
		return HC_ERR_JSON_TYPE;
	} else if (cJSON_IsString(at)) {
		if (hc_time_parse_text(at->valuestring, &t) != HC_OK) {
			hc_set_detail("\"at\" is not a time");
			return HC_ERR_JSON_TYPE;
		}
	} else {
		/* integer seconds as digits (no sign, fraction or exponent) */
		for (const char *d = atv; d < atend; d++)
			if (*d < '0' || *d > '9') {
				hc_set_detail("\"at\" is not a time from 1970 to 9999");
				return HC_ERR_JSON_INT;
			}
		if ((err = hc_json_num_int(at, 0, TIME_MAX, &t)) != HC_OK) {
			hc_set_detail("\"at\" is not a time from 1970 to 9999");
			return err;
		}
	}
	r->at = t;
	return HC_OK;
}

/* Reads a record line into r. HC_ERR_* with a detail when malformed. */
hc_err batch_parse_record(char *line, size_t n, const struct hc_verify_opts *o,
			   struct record *r)
{
	memset(r, 0, sizeof(*r));
	r->at = o->at;
	if (n == 0) {
		hc_set_detail("empty line");
		return HC_ERR_QR_EMPTY;
	}
	if (n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		hc_set_detail("a byte-order mark not at the start of the input");
		return HC_ERR_JSON;
	}
	if (line[0] != '{') {
		r->code = line;
		r->codelen = n;
		return HC_OK;
	}
	if (parse_flat(line, n, r, &r->at))
		return HC_OK;
	memset(r, 0, sizeof(*r));
	r->at = o->at;
	return parse_strict(line, n, r);
}
