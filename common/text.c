/* text.c: UTF-8 validation, terminal-safe display and identity masking. */
#include <string.h>

#include "hc.h"

/* Decodes one UTF-8 sequence at s (n bytes left); returns its length, or 0
 * if it is invalid (overlong, surrogate, above U+10FFFF, truncated). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

bool hc_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (n > 0) {
		size_t l;

		/* ASCII runs, eight bytes at a time: no high bit, no NUL. */
		while (n >= 8) {
			uint64_t w;

			memcpy(&w, p, 8);
			if ((w & 0x8080808080808080ull) ||
			    ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
				break;
			p += 8;
			n -= 8;
		}
		if (n == 0)
			break;
		l = utf8_next(p, n, &cp);
		if (l == 0 || cp == 0)
			return false;
		p += l;
		n -= l;
	}
	return true;
}

/* Characters that must not reach a terminal or a layout engine: C0, DEL,
 * C1, and the Unicode format controls that reorder or hide text. */
static bool unsafe(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200b ||
	       (c >= 0x200e && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x2069) || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb);
}

void hc_display_safe(const char *s, char *out, size_t outsz)
{
	static const char repl[] = "\xef\xbf\xbd"; /* U+FFFD */
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), o = 0;

	if (outsz == 0)
		return;
	while (n > 0) {
		uint32_t cp;
		size_t l = utf8_next(p, n, &cp);
		const char *src = (const char *)p;
		size_t sl = l;

		if (l == 0 || unsafe(cp)) {
			src = repl;
			sl = 3;
			if (l == 0)
				l = 1;
		}
		if (o + sl >= outsz)
			break;
		memcpy(out + o, src, sl);
		o += sl;
		p += l;
		n -= l;
	}
	out[o] = '\0';
}

hc_err hc_mask_name(const char *name, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = strlen(name), first, o;
	uint32_t cp;

	if (n == 0 || !hc_utf8_valid(name, n))
		return HC_ERR_INVALID_ARG;
	first = utf8_next(p, n, &cp);
	if (first + 1 > outsz)
		return HC_ERR_TOO_LARGE;
	memcpy(out, name, first);
	o = first;
	for (size_t i = first; i < n;) {
		i += utf8_next(p + i, n - i, &cp);
		if (o + 2 > outsz)
			return HC_ERR_TOO_LARGE;
		out[o++] = '*';
	}
	out[o] = '\0';
	return HC_OK;
}

hc_err hc_mask_id(const char *id, char *out, size_t outsz)
{
	size_t n = strlen(id);

	if (n < 8)
		return HC_ERR_INVALID_ARG;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || id[i] == 'X' || id[i] == 'x'))
			return HC_ERR_INVALID_ARG;
	if (n + 1 > outsz)
		return HC_ERR_TOO_LARGE;
	memcpy(out, id, n + 1); /* n >= 8: keep the first 3 and the last 4 */
	memset(out + 3, '*', n - 7);
	return HC_OK;
}
