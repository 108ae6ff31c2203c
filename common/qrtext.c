/* qrtext.c: the numeric QR framing (DESIGN 4): PREFIX then two decimal
 * digits per token character, value = character - 45. */
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
	for (size_t i = 0; i < nd; i++)
		if (text[i] < '0' || text[i] > '9')
			return HC_ERR_QR_DIGIT;
	if (nd % 2 != 0)
		return HC_ERR_QR_ODD;
	if (nd / 2 + 1 > toksz)
		return HC_ERR_TOO_LARGE;
	for (size_t i = 0; i < nd; i += 2) {
		int v = (text[i] - '0') * 10 + (text[i + 1] - '0');

		if (v > 77)
			return HC_ERR_QR_RANGE;
		tok[i / 2] = (char)(v + 45);
	}
	*toklen = nd / 2;
	tok[*toklen] = '\0';
	return HC_OK;
}

hc_err hc_qr_encode(const char *prefix, const char *tok, size_t n, char *out, size_t outsz)
{
	size_t pl = strlen(prefix), o;

	if (n > HC_MAX_QR_TEXT || pl + 2 * n + 1 > outsz)
		return HC_ERR_TOO_LARGE;
	memcpy(out, prefix, pl);
	o = pl;
	for (size_t i = 0; i < n; i++) {
		int v = (unsigned char)tok[i] - 45;

		if (v < 0 || v > 77)
			return HC_ERR_INVALID_ARG;
		out[o++] = (char)('0' + v / 10);
		out[o++] = (char)('0' + v % 10);
	}
	out[o] = '\0';
	return HC_OK;
}
