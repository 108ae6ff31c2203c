/* json.c: strict JSON on top of cJSON: the RFC 8259 grammar checked over
 * the bytes first (cJSON is lenient), then whole input, UTF-8, depth, no
 * duplicate members, no NUL, integer numbers checked exactly. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"

#define MAX_MEMBERS 4096 /* members of one object (duplicate check is quadratic) */
/* A number written with a fraction, an exponent, or as -0: never an integer
 * (a bit of cJSON's type above the bits cJSON uses, see hc_json_num_int). */
#define NOT_WHOLE (1 << 12)

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 8259 whitespace: space, tab, LF, CR, nothing else. */
static size_t ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

static int hex4(const char *s, size_t n, size_t i)
{
	int v = 0;

	if (n - i < 4)
		return -1;
	for (size_t k = i; k < i + 4; k++) {
		char c = s[k];

		v <<= 4;
		if (digit(c))
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* The number at s[i]: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
 * Returns the index after it, or 0 (detail set). *whole: no fraction, no
 * exponent, not -0. */
static size_t number(const char *s, size_t n, size_t i, bool *whole)
{
	size_t st = i;

	if (s[i] == '-')
		i++;
	if (i == n || !digit(s[i])) {
		hc_set_detail("a minus sign without digits");
		return 0;
	}
	if (s[i] == '0') {
		if (++i < n && digit(s[i])) {
			hc_set_detail("a number with a leading zero");
			return 0;
		}
	} else {
		while (i < n && digit(s[i]))
			i++;
	}
	*whole = !(s[st] == '-' && i - st == 2 && s[st + 1] == '0');
	if (i < n && s[i] == '.') {
		if (++i == n || !digit(s[i])) {
			hc_set_detail("a decimal point without digits after it");
			return 0;
		}
		while (i < n && digit(s[i]))
			i++;
		*whole = false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i == n || !digit(s[i])) {
			hc_set_detail("an exponent without digits");
			return 0;
		}
		while (i < n && digit(s[i]))
			i++;
		*whole = false;
	}
	return i;
}

/* The string whose opening quote is s[i]: no raw control character, only
 * the escapes of RFC 8259, no \u0000, surrogates only as a high-low pair
 * (UTF-8 validity is checked over the whole text). Returns the index after
 * the closing quote, or 0 (detail set). */
static size_t string(const char *s, size_t n, size_t i)
{
	i++;

	for (;;) {
		unsigned char c;
		int u;

		if (i == n) {
			hc_set_detail("a string without its closing quote");
			return 0;
		}
		c = (unsigned char)s[i];
		if (c == '"')
			return i + 1;
		if (c < 0x20) {
			hc_set_detail("control character in a string");
			return 0;
		}
		if (c != '\\') {
			i++;
			continue;
		}
		if (++i == n)
			continue; /* no closing quote */
		if (strchr("\"\\/bfnrt", s[i]) && s[i] != '\0') {
			i++;
			continue;
		}
		if (s[i] != 'u' || (u = hex4(s, n, i + 1)) < 0) {
			hc_set_detail("an invalid escape");
			return 0;
		}
		i += 5;
		if (u == 0) {
			hc_set_detail("\\u0000 in a string");
			return 0;
		}
		if (u >= 0xdc00 && u <= 0xdfff) {
			hc_set_detail("an escaped lone surrogate");
			return 0;
		}
		if (u >= 0xd800 && u <= 0xdbff) {
			int lo = n - i >= 6 && s[i] == '\\' && s[i + 1] == 'u' ? hex4(s, n, i + 2) : -1;

			if (lo < 0xdc00 || lo > 0xdfff) {
				hc_set_detail("an escaped lone surrogate");
				return 0;
			}
			i += 6;
		}
	}
}

/* The length of the literal true, false or null at s[i], or 0. */
static size_t literal(const char *s, size_t n, size_t i)
{
	static const char *const words[] = {"true", "false", "null"};

	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		size_t l = strlen(words[w]);

		if (n - i >= l && memcmp(s + i, words[w], l) == 0)
			return l;
	}
	return 0;
}

/* Checks s[0..n) against the grammar of RFC 8259 (JSON-text = ws value ws),
 * without recursion: an explicit stack of the open arrays and objects,
 * HC_MAX_JSON_DEPTH deep at most. *odd counts the numbers that are not
 * whole (see number()). */
static hc_err grammar(const char *s, size_t n, size_t *odd)
{
	char open[HC_MAX_JSON_DEPTH];
	size_t depth = 0, i = 0;
	bool key = false; /* a member name comes next */

	*odd = 0;
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		hc_set_detail("a byte-order mark");
		return HC_ERR_JSON;
	}
	for (;;) {
		bool whole;
		size_t k;
		char c;

		i = ws(s, n, i);
		if (key) {
			if (i == n || s[i] != '"' || !(i = string(s, n, i)))
				goto bad;
			i = ws(s, n, i);
			if (i == n || s[i] != ':')
				goto bad;
			i = ws(s, n, i + 1);
		}
		if (i == n)
			goto bad;
		c = s[i];
		if (c == '{' || c == '[') {
			if (depth == HC_MAX_JSON_DEPTH)
				return HC_ERR_JSON_DEPTH;
			open[depth++] = c;
			i = ws(s, n, i + 1);
			if (i == n || s[i] != (c == '{' ? '}' : ']')) {
				key = c == '{';
				continue;
			}
			depth--;
			i++;
		} else if (c == '"') {
			if (!(i = string(s, n, i)))
				return HC_ERR_JSON;
		} else if (c == '-' || digit(c)) {
			if (!(i = number(s, n, i, &whole)))
				return HC_ERR_JSON;
			*odd += !whole;
		} else if ((k = literal(s, n, i)) > 0) {
			i += k;
		} else {
			goto bad;
		}
		/* After a value: a comma, the end of its container, or the end. */
		for (;;) {
			i = ws(s, n, i);
			if (depth == 0) {
				if (i == n)
					return HC_OK;
				hc_set_detail("data after the value");
				return HC_ERR_JSON;
			}
			if (i < n && s[i] == ',') {
				i++;
				key = open[depth - 1] == '{';
				break;
			}
			if (i == n || s[i] != (open[depth - 1] == '{' ? '}' : ']'))
				goto bad;
			depth--;
			i++;
		}
	}
bad:
	if (!hc_detail()[0]) {
		if (i == n)
			hc_set_detail("unexpected end of the text");
		else if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			hc_set_detail("a control byte outside a string");
		else
			hc_set_detail("a byte the grammar does not allow there");
	}
	return HC_ERR_JSON;
}

/* Where walk() is in the text, to find each number's source form: only
 * when the grammar saw a number that is not whole. */
struct cursor {
	const char *s;
	size_t n, i;
	size_t odd; /* numbers not whole still to come */
	bool quote; /* a detail may quote a member name */
	/* The text has no backslash: every string and member name cJSON made
	 * is a copy of bytes between two quotes of the text, which
	 * hc_utf8_valid accepted whole; the check is one code point at a time
	 * and a quote is never inside one, so each copy is valid too and is
	 * not checked again (a tenth of a parse). */
	bool plain;
};

/* Moves c past the next number token of the text (outside strings) and
 * tells whether it is whole. The text passed grammar(). */
static bool next_whole(struct cursor *c)
{
	bool whole = true;

	while (c->i < c->n) {
		char ch = c->s[c->i];

		if (ch == '"') {
			c->i = string(c->s, c->n, c->i);
		} else if (ch == '-' || digit(ch)) {
			c->i = number(c->s, c->n, c->i, &whole);
			break;
		} else {
			c->i++;
		}
	}
	return whole;
}

/* Recursion is bounded: grammar() refused text nested more than
 * HC_MAX_JSON_DEPTH deep before cJSON parsed it. cJSON keeps the order of
 * the text, and this visits values in that order. */
static hc_err walk(cJSON *item, struct cursor *cur) /* NOLINT(misc-no-recursion): bounded, see above */
{
	cJSON *c;
	const cJSON *d;
	size_t count = 0;
	hc_err err;

	if (!cur->plain && cJSON_IsString(item) &&
	    !hc_utf8_valid(item->valuestring, strlen(item->valuestring)))
		return HC_ERR_JSON_UTF8;
	if (cJSON_IsNumber(item)) {
		if (!isfinite(item->valuedouble))
			return HC_ERR_JSON;
		if (cur->odd && !next_whole(cur)) {
			item->type |= NOT_WHOLE;
			cur->odd--;
		}
	}
	for (c = item->child; c; c = c->next) {
		if (cJSON_IsObject(item)) {
			if (!c->string ||
			    (!cur->plain && !hc_utf8_valid(c->string, strlen(c->string))))
				return HC_ERR_JSON_UTF8;
			if (++count > MAX_MEMBERS)
				return HC_ERR_TOO_LARGE;
			for (d = item->child; d != c; d = d->next)
				if (strcmp(d->string, c->string) == 0) {
					if (cur->quote)
						hc_set_detail("member \"%.40s\"", c->string);
					return HC_ERR_JSON_DUP;
				}
		}
		if ((err = walk(c, cur)) != HC_OK)
			return err;
	}
	return HC_OK;
}

static hc_err parse(const char *s, size_t n, bool quote, cJSON **out)
{
	struct cursor cur = {s, n, 0, 0, quote, false};
	const char *end = NULL;
	cJSON *root = NULL;
	hc_err err;

	*out = NULL;
	hc_set_detail(NULL);
	if (n == 0 || memchr(s, '\0', n))
		return HC_ERR_JSON;
	if (!hc_utf8_valid(s, n))
		return HC_ERR_JSON_UTF8;
	if ((err = grammar(s, n, &cur.odd)) != HC_OK)
		return err;
	cur.plain = !memchr(s, '\\', n);
	root = cJSON_ParseWithLengthOpts(s, n, &end, 0);
	if (!root)
		return HC_ERR_JSON;
	for (; end && end < s + n; end++)
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
			err = HC_ERR_JSON;
			goto fail;
		}
	if (!cJSON_IsObject(root)) {
		err = HC_ERR_JSON_TYPE;
		goto fail;
	}
	if ((err = walk(root, &cur)) != HC_OK)
		goto fail;
	*out = root;
	return HC_OK;
fail:
	cJSON_Delete(root);
	return err;
}

bool hc_json_valid(const char *s, size_t n)
{
	size_t odd;

	return n > 0 && !memchr(s, '\0', n) && hc_utf8_valid(s, n) &&
	       grammar(s, n, &odd) == HC_OK;
}

hc_err hc_json_parse(const char *s, size_t n, cJSON **out)
{
	return parse(s, n, true, out);
}

hc_err hc_json_parse_untrusted(const char *s, size_t n, cJSON **out)
{
	return parse(s, n, false, out);
}

static const cJSON *unknown(const cJSON *obj, const char *const *allowed)
{
	for (const cJSON *c = obj->child; c; c = c->next) {
		const char *const *a;

		for (a = allowed; *a; a++)
			if (strcmp(*a, c->string) == 0)
				break;
		if (!*a)
			return c;
	}
	return NULL;
}

hc_err hc_json_only(const cJSON *obj, const char *const *allowed)
{
	const cJSON *c = unknown(obj, allowed);

	if (c) {
		hc_set_detail("member \"%.40s\"", c->string);
		return HC_ERR_JSON_UNKNOWN;
	}
	return HC_OK;
}

hc_err hc_json_only_in(const cJSON *obj, const char *const *allowed, const char *where)
{
	if (unknown(obj, allowed)) {
		hc_set_detail("unknown member in %s", where);
		return HC_ERR_JSON_UNKNOWN;
	}
	return HC_OK;
}

static hc_err member(const cJSON *obj, const char *name, bool required, const cJSON **out)
{
	*out = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!*out && required) {
		hc_set_detail("member \"%s\"", name);
		return HC_ERR_JSON_MISSING;
	}
	return HC_OK;
}

hc_err hc_json_num_int(const cJSON *item, int64_t min, int64_t max, int64_t *out)
{
	double v;

	if (!cJSON_IsNumber(item))
		return HC_ERR_JSON_TYPE;
	if (item->type & NOT_WHOLE)
		return HC_ERR_JSON_INT; /* 1.0, 1e9, -0: integers are written as digits */
	v = item->valuedouble;
	/* Exactly representable integers only: |v| < 2^53. */
	if (!isfinite(v) || v != floor(v) || fabs(v) >= 9007199254740992.0)
		return HC_ERR_JSON_INT;
	if ((int64_t)v < min || (int64_t)v > max)
		return HC_ERR_JSON_INT;
	*out = (int64_t)v;
	return HC_OK;
}

bool hc_json_reads_back(const cJSON *v)
{
	if (cJSON_IsString(v) || cJSON_IsBool(v) || cJSON_IsNull(v))
		return true;
	/* digits (no fraction, exponent or -0) below 10^15: exact, and
	 * printed as those digits */
	return cJSON_IsNumber(v) && !(v->type & NOT_WHOLE) && fabs(v->valuedouble) < 1e15;
}

hc_err hc_json_int(const cJSON *obj, const char *name, bool required, int64_t min,
		   int64_t max, int64_t *out, bool *present)
{
	const cJSON *it;
	hc_err err;

	if (present)
		*present = false;
	if ((err = member(obj, name, required, &it)) != HC_OK || !it)
		return err;
	if ((err = hc_json_num_int(it, min, max, out)) != HC_OK) {
		if (it->type & NOT_WHOLE)
			hc_set_detail("member \"%s\" is not written as digits", name);
		else
			hc_set_detail("member \"%s\"", name);
		return err;
	}
	if (present)
		*present = true;
	return HC_OK;
}

hc_err hc_json_str(const cJSON *obj, const char *name, bool required, char *out,
		   size_t outsz, bool *present)
{
	const cJSON *it;
	size_t len;
	hc_err err;

	if (present)
		*present = false;
	if ((err = member(obj, name, required, &it)) != HC_OK || !it)
		return err;
	if (!cJSON_IsString(it)) {
		hc_set_detail("member \"%s\"", name);
		return HC_ERR_JSON_TYPE;
	}
	len = strlen(it->valuestring);
	if (len >= outsz) {
		hc_set_detail("member \"%s\" longer than %zu bytes", name, outsz - 1);
		return HC_ERR_TOO_LARGE;
	}
	memcpy(out, it->valuestring, len + 1);
	if (present)
		*present = true;
	return HC_OK;
}

hc_err hc_json_obj(const cJSON *obj, const char *name, bool required, const cJSON **out)
{
	hc_err err;

	if ((err = member(obj, name, required, out)) != HC_OK || !*out)
		return err;
	if (!cJSON_IsObject(*out)) {
		hc_set_detail("member \"%s\"", name);
		*out = NULL;
		return HC_ERR_JSON_TYPE;
	}
	return HC_OK;
}

hc_err hc_json_arr(const cJSON *obj, const char *name, bool required, const cJSON **out)
{
	hc_err err;

	if ((err = member(obj, name, required, out)) != HC_OK || !*out)
		return err;
	if (!cJSON_IsArray(*out)) {
		hc_set_detail("member \"%s\"", name);
		*out = NULL;
		return HC_ERR_JSON_TYPE;
	}
	return HC_OK;
}

bool hc_json_put_plain(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len >= cap || n + 4 > cap - *len) /* cJSON's test: quotes, NUL and 1 */
		return false;
	buf[*len] = '"';
	memcpy(buf + *len + 1, s, n);
	buf[*len + 1 + n] = '"';
	buf[*len + 2 + n] = '\0';
	*len += n + 2;
	return true;
}

bool hc_json_put_str(char *buf, size_t cap, size_t *len, const char *s)
{
	cJSON item;
	size_t n;

	if (*len >= cap || cap - *len > INT_MAX)
		return false;
	/* A string with nothing to escape (the QR text and the JWS of a code,
	 * a thousand bytes and more) is copied between its quotes: what
	 * cJSON prints for it, without its pass to size the escapes and
	 * another to copy. */
	n = 0;
	/* The bytes cJSON escapes: '"', '\\' and controls (NUL ends). Not
	 * strcspn: with a set of 33 bytes glibc builds a table of 256 on each
	 * call, 500 instructions for the events line's short strings. */
	while (s && (unsigned char)s[n] >= 0x20 && s[n] != '"' && s[n] != '\\')
		n++;
	if (s && !s[n])
		return hc_json_put_plain(buf, cap, len, s, n);
	memset(&item, 0, sizeof(item));
	item.type = cJSON_String | cJSON_IsReference;
	item.valuestring = (char *)(uintptr_t)s; /* NOLINT(performance-no-int-to-ptr): only read */
	if (!cJSON_PrintPreallocated(&item, buf + *len, (int)(cap - *len), false))
		return false;
	*len += strlen(buf + *len);
	return true;
}

hc_err hc_json_print(const cJSON *item, char **out)
{
	*out = cJSON_PrintUnformatted(item);
	return *out ? HC_OK : HC_ERR_NOMEM;
}
