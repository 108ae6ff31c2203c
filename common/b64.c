/* b64.c: unpadded base64url (RFC 4648 section 5), strict and canonical,
 * standard padded base64 read as strictly (through it), and hex.
 * OpenSSL's EVP_EncodeBlock speaks only padded standard base64 and its
 * decoder tolerates whitespace and padding, so the strict form is here. */
#include <stdlib.h>

#include "hc.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Decoding table: the 6-bit value of each alphabet byte, -1 otherwise. */
static const int8_t dtab[256] = {
#define R4(v) v, v, v, v
#define R16(v) R4(v), R4(v), R4(v), R4(v)
	R16(-1), R16(-1), /* 0x00-0x1f */
	R4(-1), R4(-1), R4(-1), -1, 62, -1, -1, /* 0x20-0x2f: '-' */
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1, /* 0-9 */
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, /* A-O */
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63, /* P-Z, '_' */
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, /* a-o */
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1, /* p-z */
	R16(-1), R16(-1), R16(-1), R16(-1), R16(-1), R16(-1), R16(-1), R16(-1),
#undef R16
#undef R4
};

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
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0;

	/* Whole groups of four characters, then the tail bit by bit. */
	for (; i + 4 <= n; i += 4) {
		int a = dtab[p[i]], b = dtab[p[i + 1]], c = dtab[p[i + 2]], d = dtab[p[i + 3]];
		uint32_t v;

		if ((a | b | c | d) < 0)
			return HC_ERR_B64;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		out[o++] = (uint8_t)(v >> 16);
		out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
	}
	for (; i < n; i++) {
		int v = dtab[p[i]];

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

void hc_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int hc_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Standard base64 (RFC 4648 section 4) with its padding, nothing else:
 * into a malloc'd buffer. */
hc_err hc_b64_decode(const char *s, size_t n, size_t cap, uint8_t **out, size_t *len)
{
	char *u;
	size_t pad = 0;
	hc_err err;

	*out = NULL;
	if (n == 0 || n % 4 != 0)
		return HC_ERR_B64;
	if (n / 4 * 3 > cap)
		return HC_ERR_TOO_LARGE;
	while (pad < 2 && s[n - 1 - pad] == '=')
		pad++;
	if (!(u = malloc(n)) || !(*out = malloc(n / 4 * 3 + 1))) {
		free(u);
		return HC_ERR_NOMEM;
	}
	for (size_t i = 0; i < n - pad; i++) {
		char c = s[i];

		if (c == '+')
			c = '-';
		else if (c == '/')
			c = '_';
		else if (c == '-' || c == '_' || c == '=')
			c = '!'; /* not in the standard alphabet */
		u[i] = c;
	}
	err = hc_b64u_decode(u, n - pad, *out, n / 4 * 3 + 1, len);
	free(u);
	if (err != HC_OK) {
		free(*out);
		*out = NULL;
	}
	return err;
}
