/* qrtext.c: the numeric QR framing (DESIGN 4): PREFIX then two decimal
 * digits per token character, value = character - 45. */
#include <stdint.h>
#include <string.h>

#include "hc_token.h"

hc_err hc_qr_decode(const char *prefix, const char *text, size_t n, char *tok, size_t toksz,
		    size_t *toklen)
{
	size_t pl = strlen(prefix), nd;

	*toklen = 0;
	if (n > HC_MAX_QR_TEXT)
		return HC_ERR_TOO_LARGE;
	if (n < pl || memcmp(text, prefix, pl) != 0)
		return HC_ERR_QR_PREFIX;
	text += pl;
	nd = n - pl;
	if (nd == 0)
		return HC_ERR_QR_EMPTY;
	if (nd / 2 + 1 > toksz) { /* the errors in their order, without decoding */
		for (size_t i = 0; i < nd; i++)
			if (text[i] < '0' || text[i] > '9')
				return HC_ERR_QR_DIGIT;
		return nd % 2 != 0 ? HC_ERR_QR_ODD : HC_ERR_TOO_LARGE;
	}
	/* One pass: decode every pair and note a non-digit or a pair above 77
	 * on the way (unsigned: a byte below '0' wraps to a large value); the
	 * errors are then reported in their order: a non-digit anywhere, an
	 * odd count, a pair out of range. */
	unsigned bad = 0, over = 0;
	size_t i = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* Eight digits (four pairs) a step, in a 64-bit word (SWAR; a QR text
	 * is about a thousand digits, and a batch reads millions). Any byte
	 * below '0' or above '9' sets bad (exact tests: "has less" and "has
	 * more", Anderson's bit hacks); with none, d holds 0..9 a byte and
	 * v = 10 a + b one pair a 16-bit lane, at most 99, so the range test
	 * (v + 0x7fff - 77 sets bit 15 when v > 77) and the packing carry
	 * nothing into the next lane. */
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull,
		       lane = 0x00ff00ff00ff00ffull;
	uint64_t badw = 0, overw = 0;

	for (; i + 8 <= nd; i += 8) {
		uint64_t w, d, v, x;
		uint32_t o;

		memcpy(&w, text + i, 8);
		badw |= ((w - ones * '0') & ~w) | ((w + ones * (127 - '9')) | w);
		d = w - ones * '0';
		v = (d & lane) * 10 + ((d >> 8) & lane);
		overw |= v + 0x7fb27fb27fb27fb2ull;
		x = v + 0x002d002d002d002dull; /* + 45 */
		x = (x | (x >> 8)) & 0x0000ffff0000ffffull;
		o = (uint32_t)(x | (x >> 16));
		memcpy(tok + i / 2, &o, 4);
	}
	bad = (badw & high) != 0;
	over = (overw & 0x8000800080008000ull) != 0;
#endif
	for (; i + 1 < nd; i += 2) {
		unsigned a = (unsigned)(unsigned char)text[i] - '0';
		unsigned b = (unsigned)(unsigned char)text[i + 1] - '0';
		unsigned v = a * 10 + b;

		bad |= (unsigned)(a > 9) | (unsigned)(b > 9);
		over |= (unsigned)(v > 77);
		tok[i / 2] = (char)(v + 45);
	}
	if (i < nd)
		bad |= (unsigned)((unsigned)(unsigned char)text[i] - '0' > 9);
	if (bad)
		return HC_ERR_QR_DIGIT;
	if (nd % 2 != 0)
		return HC_ERR_QR_ODD;
	if (over)
		return HC_ERR_QR_RANGE;
	*toklen = nd / 2;
	tok[*toklen] = '\0';
	return HC_OK;
}

/* "00" .. "77": the two digits of each value (character - 45). */
static const char qr_pairs[78][2] = {
	{'0', '0'}, {'0', '1'}, {'0', '2'}, {'0', '3'}, {'0', '4'}, {'0', '5'}, {'0', '6'},
	{'0', '7'}, {'0', '8'}, {'0', '9'}, {'1', '0'}, {'1', '1'}, {'1', '2'}, {'1', '3'},
	{'1', '4'}, {'1', '5'}, {'1', '6'}, {'1', '7'}, {'1', '8'}, {'1', '9'}, {'2', '0'},
	{'2', '1'}, {'2', '2'}, {'2', '3'}, {'2', '4'}, {'2', '5'}, {'2', '6'}, {'2', '7'},
	{'2', '8'}, {'2', '9'}, {'3', '0'}, {'3', '1'}, {'3', '2'}, {'3', '3'}, {'3', '4'},
	{'3', '5'}, {'3', '6'}, {'3', '7'}, {'3', '8'}, {'3', '9'}, {'4', '0'}, {'4', '1'},
	{'4', '2'}, {'4', '3'}, {'4', '4'}, {'4', '5'}, {'4', '6'}, {'4', '7'}, {'4', '8'},
	{'4', '9'}, {'5', '0'}, {'5', '1'}, {'5', '2'}, {'5', '3'}, {'5', '4'}, {'5', '5'},
	{'5', '6'}, {'5', '7'}, {'5', '8'}, {'5', '9'}, {'6', '0'}, {'6', '1'}, {'6', '2'},
	{'6', '3'}, {'6', '4'}, {'6', '5'}, {'6', '6'}, {'6', '7'}, {'6', '8'}, {'6', '9'},
	{'7', '0'}, {'7', '1'}, {'7', '2'}, {'7', '3'}, {'7', '4'}, {'7', '5'}, {'7', '6'},
	{'7', '7'}};

hc_err hc_qr_encode(const char *prefix, const char *tok, size_t n, char *out, size_t outsz)
{
	size_t pl = strlen(prefix), o;

	if (n > HC_MAX_QR_TEXT || pl + 2 * n + 1 > outsz)
		return HC_ERR_TOO_LARGE;
	memcpy(out, prefix, pl);
	o = pl;
	/* Each character's two digits from a table (a division and a modulo
	 * a character were a tenth of a held code's answer: callgrind, a
	 * JWS of some 550 characters a code). */
	for (size_t i = 0; i < n; i++) {
		unsigned v = (unsigned)(unsigned char)tok[i] - 45u;

		if (v > 77u)
			return HC_ERR_INVALID_ARG;
		memcpy(out + o, qr_pairs[v], 2);
		o += 2;
	}
	out[o] = '\0';
	return HC_OK;
}
