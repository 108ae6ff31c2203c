/* b45.c: base45 (RFC 9285) decoding, strict: only the 45-character
 * alphabet, no triplet above 65535, no pair above 255, no lone trailing
 * character. Used for the QR text of EU Digital COVID Certificates. */
#include "hc_foreign.h"

/* The value of each alphabet byte, -1 otherwise: 0-9 A-Z space $ % * + - . / : */
static int b45_value(unsigned char c)
{
	static const char extra[] = " $%*+-./:";

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	for (int i = 0; extra[i]; i++)
		if (c == (unsigned char)extra[i])
			return 36 + i;
	return -1;
}

size_t hc_b45_declen(size_t n)
{
	return n / 3 * 2 + (n % 3 == 2 ? 1 : 0);
}

hc_err hc_b45_decode(const char *in, size_t n, uint8_t *out, size_t outsz, size_t *outlen)
{
	size_t o = 0;

	*outlen = 0;
	if (n % 3 == 1) {
		hc_set_detail("base45 text of %zu characters leaves one over", n);
		return HC_ERR_B45;
	}
	if (hc_b45_declen(n) > outsz) {
		hc_set_detail("base45 text decodes to more than %zu bytes", outsz);
		return HC_ERR_TOO_LARGE;
	}
	for (size_t i = 0; i < n; i += 3) {
		size_t k = n - i >= 3 ? 3 : 2;
		uint32_t v = 0, m = 1;

		for (size_t j = 0; j < k; j++) {
			int d = b45_value((unsigned char)in[i + j]);

			if (d < 0) {
				hc_set_detail("base45: byte 0x%02x at offset %zu is not in the alphabet",
					      (unsigned)(unsigned char)in[i + j], i + j);
				return HC_ERR_B45;
			}
			v += (uint32_t)d * m;
			m *= 45;
		}
		if (v > (k == 3 ? 65535u : 255u)) {
			hc_set_detail("base45: group at offset %zu has the value %u, above %u", i,
				      (unsigned)v, k == 3 ? 65535u : 255u);
			return HC_ERR_B45;
		}
		if (k == 3)
			out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)(v & 0xff);
	}
	*outlen = o;
	return HC_OK;
}
