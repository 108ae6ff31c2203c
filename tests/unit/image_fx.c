/* image_fx.c: what the t_image* tests share (image_fx.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "hc_image.h"
#include "image_fx.h"
#include "t.h"

char dir[256];

const char *tp(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
	return buf;
}

/* "hc:/" and ndigits digits made of the pairs 00..77, starting at pair k. */
char *mk_text(size_t ndigits, unsigned k)
{
	char *s = malloc(ndigits + 5);
	size_t i;

	if (!s)
		abort();
	memcpy(s, "hc:/", 4);
	for (i = 0; i < ndigits; i++) {
		unsigned v = (unsigned)((i / 2 + k) % 78);

		s[4 + i] = (char)('0' + (i % 2 ? v % 10 : v / 10));
	}
	s[4 + ndigits] = '\0';
	return s;
}

uint8_t *slurp(const char *path, size_t *n)
{
	uint8_t *b = NULL;

	return hc_read_file(path, 1u << 26, &b, n) == HC_OK ? b : NULL;
}

/* Pixels of a PNG through libpng's simplified API, independent of scan_decode.c. */
uint8_t *load_gray(const char *path, unsigned *w, unsigned *h)
{
	png_image im;
	uint8_t *pix;

	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&im, path))
		return NULL;
	im.format = PNG_FORMAT_GRAY;
	if (!(pix = malloc((size_t)PNG_IMAGE_SIZE(im))))
		abort();
	if (!png_image_finish_read(&im, NULL, pix, 0, NULL)) {
		free(pix);
		return NULL;
	}
	*w = im.width;
	*h = im.height;
	return pix;
}

/* Writes 8-bit gray pixels as a PNG of the given kind (low-level libpng). */
void save_png(const char *path, const uint8_t *pix, unsigned w, unsigned h, int kind)
{
	static const int ct[] = { PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_RGBA, PNG_COLOR_TYPE_GRAY,
				  PNG_COLOR_TYPE_RGB };
	static const int bd[] = { 8, 8, 1, 16 };
	static const size_t bpp[] = { 1, 4, 1, 6 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	uint8_t *row = malloc((size_t)w * bpp[kind]);
	FILE *f = fopen(path, "wb");
	unsigned x, y;
	int pass, npass;

	if (!png || !info || !row || !f)
		abort();
	png_init_io(png, f);
	png_set_IHDR(png, info, w, h, bd[kind], ct[kind],
		     kind == K_GRAY1_ADAM7 ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (kind == K_GRAY8) /* as hc_qrimg_write_png wrote until 1-bit output */
		png_set_compression_level(png, 9);
	png_write_info(png, info);
	if (kind == K_GRAY1_ADAM7)
		png_set_packing(png);
	npass = png_set_interlace_handling(png);
	for (pass = 0; pass < npass; pass++) {
		for (y = 0; y < h; y++) {
			for (x = 0; x < w; x++) {
				uint8_t v = pix[(size_t)y * w + x];
				uint8_t *p = row + (size_t)x * bpp[kind];

				if (kind == K_GRAY8)
					p[0] = v;
				else if (kind == K_GRAY1_ADAM7)
					p[0] = v > 127;
				else if (kind == K_RGBA) /* transparent black background */
					p[0] = p[1] = p[2] = 0, p[3] = v > 127 ? 0 : 255;
				else
					p[0] = p[2] = p[4] = v, p[1] = p[3] = p[5] = v;
			}
			png_write_row(png, row);
		}
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	fclose(f);
	free(row);
}

/* Scans path and checks it holds exactly one QR code with text want. */
void expect_one(const char *path, const char *want)
{
	struct hc_scan s;

	CHECK_ERR(hc_scan_file(path, &s), HC_OK);
	CHECK(s.n == 1);
	if (s.n == 1) {
		CHECK(s.lens[0] == strlen(want));
		CHECK(strcmp(s.texts[0], want) == 0);
	}
	hc_scan_clear(&s);
	CHECK(s.n == 0 && !s.texts && !s.lens);
}
