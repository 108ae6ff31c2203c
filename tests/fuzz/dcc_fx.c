/* dcc_fx.c: EU DCC QR text made from bytes (dcc_fx.h). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dcc_fx.h"

void dcc_fx_b45(const uint8_t *in, size_t n, char *out)
{
	static const char a[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 2) {
		unsigned v = n - i >= 2 ? (unsigned)in[i] << 8 | in[i + 1] : in[i];

		out[o++] = a[v % 45];
		out[o++] = a[v / 45 % 45];
		if (n - i >= 2)
			out[o++] = a[v / 2025];
	}
	out[o] = '\0';
}

char *dcc_fx_frame(const uint8_t *in, size_t n)
{
	char *out = malloc(4 + n / 2 * 3 + 3);

	if (out) {
		memcpy(out, "HC1:", 4);
		dcc_fx_b45(in, n, out + 4);
	}
	return out;
}

char *dcc_fx_text(const uint8_t *cose, size_t n, int level)
{
	uLongf zl = compressBound((uLong)n);
	uint8_t *z = malloc(zl);
	char *out = NULL;

	if (z && compress2(z, &zl, cose, (uLong)n, level) == Z_OK)
		out = dcc_fx_frame(z, zl);
	free(z);
	return out;
}
