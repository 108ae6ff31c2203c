/* b64.c: unpadded base64url (RFC 4648 section 5), strict and canonical.
 * OpenSSL's EVP_EncodeBlock speaks only padded standard base64 and its
 * decoder tolerates whitespace and padding, so the strict form is here. */
#include "hc.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

size_t hc_b64u_enclen(size_t n)
{
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

hc_err hc_b64u_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	size_t o = 0, i;

	if (n > SIZE_MAX / 2 || hc_b64u_enclen(n) + 1 > outsz)
		return HC_ERR_TOO_LARGE;
	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		out[o++] = alphabet[in[i] >> 2];
		out[o++] = alphabet[(in[i] & 3) << 4];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];
		out[o++] = alphabet[v >> 10];
		out[o++] = alphabet[(v >> 4) & 63];
		out[o++] = alphabet[(v & 15) << 2];
	}
	out[o] = '\0';
	return HC_OK;
}

hc_err hc_b64u_decode(const char *in, size_t n, uint8_t *out, size_t outsz, size_t *outlen)
{
	size_t o = 0, need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
	uint32_t acc = 0;
	int bits = 0;

	*outlen = 0;
	if (n % 4 == 1)
		return HC_ERR_B64;
	if (need > outsz)
		return HC_ERR_TOO_LARGE;
	for (size_t i = 0; i < n; i++) {
		int v = val((unsigned char)in[i]);

		if (v < 0)
			return HC_ERR_B64;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero, or two encodings would decode alike. */
	if (acc != 0)
		return HC_ERR_B64;
	*outlen = o;
	return HC_OK;
}
