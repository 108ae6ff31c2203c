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
	/* One pass over the digit pairs for a well-formed text (a batch
	 * decodes every code of every record); at the first oddity the
	 * checks below name the exact fault. */
	if (nd % 2 == 0 && nd / 2 + 1 <= toksz) {
		size_t i;

		for (i = 0; i < nd; i += 2) {
			unsigned a = (unsigned char)text[i] - (unsigned)'0';
			unsigned b = (unsigned char)text[i + 1] - (unsigned)'0';

			if (a > 9 || b > 9 || a * 10 + b > 77)
				break;
			tok[i / 2] = (char)(a * 10 + b + 45);
		}
		if (i == nd) {
			*toklen = nd / 2;
			tok[*toklen] = '\0';
			return HC_OK;
		}
	}
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
