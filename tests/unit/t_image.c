/* t_image.c: QR scanning round trips (PNG of every kind, JPEG, two codes
 * in a picture, codes at different scales), checked against zbarimg too,
 * and the images the scanner refuses. The writers (SVG, memory, terminal)
 * are in t_image_render.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>
#include <zlib.h>

#include "hc_image.h"
#include "image_fx.h"
#include "t.h"

static void save_jpeg(const char *path, const uint8_t *pix, unsigned w, unsigned h)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	FILE *f = fopen(path, "wb");

	if (!f)
		abort();
	c.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, f);
	c.image_width = w;
	c.image_height = h;
	c.input_components = 1;
	c.in_color_space = JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 90, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < h) {
		JSAMPROW r = (JSAMPROW)(pix + (size_t)c.next_scanline * w);

		jpeg_write_scanlines(&c, &r, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	fclose(f);
}

/* Writes text as a PNG (scale pixels a module, margin 4) at path. */
static void make_png_at(const char *text, const char *path, int scale)
{
	struct hc_qrimg *q = NULL;

	CHECK_ERR(hc_qrimg_make(text, &q), HC_OK);
	if (q)
		CHECK_ERR(hc_qrimg_write_png(q, path, scale, 4), HC_OK);
	hc_qrimg_free(q);
}

/* The same at scale 4. */
static void make_png(const char *text, const char *path)
{
	make_png_at(text, path, 4);
}

/* Writes text as a PNG at path and returns its pixels. */
static uint8_t *qr_pixels(const char *text, const char *path, unsigned *w, unsigned *h)
{
	uint8_t *pix;

	make_png(text, path);
	pix = load_gray(path, w, h);
	CHECK(pix != NULL);
	return pix;
}

static void t_png_roundtrip(void)
{
	char p[512], *text = mk_text(600, 0);
	struct hc_qrimg *q = NULL;
	unsigned w = 0, h = 0;
	uint8_t *pix;

	CHECK_ERR(hc_qrimg_make(text, &q), HC_OK);
	CHECK(hc_qrimg_version(q) >= 1 && hc_qrimg_version(q) <= HC_QR_MAX_VERSION);
	CHECK(hc_qrimg_width(q) == 17 + 4 * hc_qrimg_version(q));
	CHECK_ERR(hc_qrimg_write_png(q, tp(p, sizeof(p), "a.png"), 3, 4), HC_OK);
	pix = load_gray(p, &w, &h);
	CHECK(pix && w == h && w == (unsigned)(hc_qrimg_width(q) + 8) * 3);
	if (pix) /* quiet zone white, top-left finder module black */
		CHECK(pix[0] == 255 && pix[(size_t)12 * w + 12] == 0);
	expect_one(p, text);
	free(pix);
	hc_qrimg_free(q);
	free(text);
}

static void t_zbarimg(void)
{
	char p[512], cmd[600], out[8192], *text = mk_text(600, 5);
	size_t n;
	FILE *f;

	make_png(text, tp(p, sizeof(p), "z.png"));
	CHECK(strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") ==
	      strlen(p));
	snprintf(cmd, sizeof(cmd), "zbarimg --raw -q '%s' 2>/dev/null", p);
	CHECK((f = popen(cmd, "r")) != NULL);
	if (f) {
		n = fread(out, 1, sizeof(out) - 1, f);
		out[n] = '\0';
		CHECK(pclose(f) == 0);
		while (n > 0 && out[n - 1] == '\n')
			out[--n] = '\0';
		CHECK(strcmp(out, text) == 0);
	}
	free(text);
}

static void t_version_limits(void)
{
	char *big = mk_text(1200, 0), *huge = mk_text(4000, 0);
	struct hc_qrimg *q = NULL;

	CHECK_ERR(hc_qrimg_make(big, &q), HC_OK);
	CHECK(hc_qrimg_version(q) > 1 && hc_qrimg_version(q) <= HC_QR_MAX_VERSION);
	hc_qrimg_free(q);
	q = (struct hc_qrimg *)1;
	CHECK_ERR(hc_qrimg_make(huge, &q), HC_ERR_QR_TOO_BIG);
	CHECK(q == NULL);
	hc_qrimg_free(NULL);
	CHECK(hc_qrimg_version(NULL) == 0);
	free(big);
	free(huge);
	/* HC_QR_MAX_DIGITS is exactly the capacity libqrencode has. */
	big = mk_text(HC_QR_MAX_DIGITS, 3);
	huge = mk_text(HC_QR_MAX_DIGITS + 2, 3);
	CHECK_ERR(hc_qrimg_make(big, &q), HC_OK);
	CHECK(hc_qrimg_version(q) == HC_QR_MAX_VERSION);
	hc_qrimg_free(q);
	q = NULL;
	CHECK_ERR(hc_qrimg_make(huge, &q), HC_ERR_QR_TOO_BIG);
	free(big);
	free(huge);
}

static void t_bad_input(void)
{
	static const char *bad[] = { "0123456789", "hc:/12a4", "hc:/", "hc:/12 34", "" };
	struct hc_qrimg *q = NULL;
	char p[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_ERR(hc_qrimg_make(bad[i], &q), HC_ERR_INVALID_ARG);
		CHECK(q == NULL);
	}
	CHECK_ERR(hc_qrimg_make(NULL, &q), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_qrimg_make("x/1/2", &q), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_qrimg_make("shc:/0123", &q), HC_OK);
	tp(p, sizeof(p), "bad.png");
	CHECK_ERR(hc_qrimg_write_png(q, p, 0, 4), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_qrimg_write_png(q, p, 65, 4), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_qrimg_write_png(q, p, 4, -1), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_qrimg_write_png(q, p, 4, 17), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_qrimg_write_svg(q, p, 17), HC_ERR_INVALID_ARG);
	CHECK(access(p, F_OK) != 0);
	CHECK_ERR(hc_qrimg_write_png(q, tp(p, sizeof(p), "nodir/x.png"), 4, 4), HC_ERR_IO);
	CHECK_ERR(hc_qrimg_write_png(q, tp(p, sizeof(p), "s.png"), 1, 0), HC_OK);
	hc_qrimg_free(q);
}

/* PNG variants the decoder must turn into the same gray picture. */
static void t_png_kinds(void)
{
	char p[512], name[32], *text = mk_text(300, 9);
	unsigned w = 0, h = 0;
	uint8_t *pix;
	int k;

	if (!(pix = qr_pixels(text, tp(p, sizeof(p), "k.png"), &w, &h)))
		goto out;
	for (k = K_GRAY8; k <= K_RGB16; k++) {
		snprintf(name, sizeof(name), "k%d.png", k);
		save_png(tp(p, sizeof(p), name), pix, w, h, k);
		expect_one(p, text);
	}
out:
	free(pix);
	free(text);
}

static void t_jpeg(void)
{
	char p[512], *text = mk_text(400, 3);
	struct hc_scan s;
	unsigned w = 0, h = 0;
	uint8_t *pix, *buf;
	size_t n = 0;
	hc_err e;

	if (!(pix = qr_pixels(text, tp(p, sizeof(p), "j.png"), &w, &h)))
		goto out;
	save_jpeg(tp(p, sizeof(p), "j.jpg"), pix, w, h);
	expect_one(p, text);
	/* Truncated: libjpeg would pad with gray; refused as damaged. */
	if ((buf = slurp(p, &n))) {
		CHECK_ERR(hc_scan_mem(buf, n / 2, &s), HC_ERR_IMAGE);
		CHECK(s.n == 0);
		CHECK(n > 1000);
		memset(buf + 400, 0x5a, n - 800); /* garbage entropy data */
		e = hc_scan_mem(buf, n, &s);
		CHECK(e == HC_ERR_IMAGE || e == HC_ERR_NO_QR);
		hc_scan_clear(&s);
		CHECK_ERR(hc_scan_mem(buf, 3, &s), HC_ERR_IMAGE);
	}
	CHECK(buf);
	free(buf);
out:
	free(pix);
	free(text);
}

/* a (w1 x h1) and b (w2 x h2) side by side on white, *w x *h. */
static uint8_t *side_by_side(const uint8_t *a, unsigned w1, unsigned h1, const uint8_t *b,
			     unsigned w2, unsigned h2, unsigned *w, unsigned *h)
{
	uint8_t *pix;

	*w = w1 + w2;
	*h = h1 > h2 ? h1 : h2;
	if (!(pix = malloc((size_t)*w * *h)))
		abort();
	memset(pix, 255, (size_t)*w * *h);
	for (unsigned y = 0; y < h1; y++)
		memcpy(pix + (size_t)y * *w, a + (size_t)y * w1, w1);
	for (unsigned y = 0; y < h2; y++)
		memcpy(pix + (size_t)y * *w + w1, b + (size_t)y * w2, w2);
	return pix;
}

/* The two codes of s are t1 and t2, in either order. */
static bool both_texts(const struct hc_scan *s, const char *t1, const char *t2)
{
	return (strcmp(s->texts[0], t1) == 0 && strcmp(s->texts[1], t2) == 0) ||
	       (strcmp(s->texts[0], t2) == 0 && strcmp(s->texts[1], t1) == 0);
}

static void t_two_codes(void)
{
	char p[512], *t1 = mk_text(200, 0), *t2 = mk_text(200, 40);
	unsigned w1 = 0, h1 = 0, w2 = 0, h2 = 0, w, h;
	uint8_t *a, *b, *pix = NULL;
	struct hc_scan s;

	a = qr_pixels(t1, tp(p, sizeof(p), "t1.png"), &w1, &h1);
	b = qr_pixels(t2, tp(p, sizeof(p), "t2.png"), &w2, &h2);
	if (!a || !b)
		goto out;
	pix = side_by_side(a, w1, h1, b, w2, h2, &w, &h);
	save_png(tp(p, sizeof(p), "two.png"), pix, w, h, K_GRAY8);
	CHECK_ERR(hc_scan_file(p, &s), HC_OK);
	CHECK(s.n == 2);
	if (s.n == 2)
		CHECK(both_texts(&s, t1, t2));
	hc_scan_clear(&s);
out:
	free(pix);
	free(a);
	free(b);
	free(t1);
	free(t2);
}

/* Codes at different scales side by side, the picture as a whole tiled
 * by squares of the scales' common divisor: scan.c shrinks a picture of
 * squares of 6 pixels or more before it scans (by 2 for 6 and 12, by 3
 * for 9), and must not when the squares are smaller (6 and 4, 6 and 3). Every
 * code is found either way. */
static void t_scaled_codes(void)
{
	static const int sc[][2] = { { 6, 12 }, { 9, 9 }, { 6, 4 }, { 6, 3 }, { 8, 8 } };
	char p[512], *t1 = mk_text(200, 0), *t2 = mk_text(120, 40);

	for (size_t c = 0; c < sizeof(sc) / sizeof(sc[0]); c++) {
		unsigned w1 = 0, h1 = 0, w2 = 0, h2 = 0, w, h;
		uint8_t *a = NULL, *b = NULL, *pix = NULL;
		struct hc_scan s;

		make_png_at(t1, tp(p, sizeof(p), "s1.png"), sc[c][0]);
		a = load_gray(p, &w1, &h1);
		make_png_at(t2, tp(p, sizeof(p), "s2.png"), sc[c][1]);
		b = load_gray(p, &w2, &h2);
		CHECK(a && b);
		if (!a || !b)
			goto next;
		pix = side_by_side(a, w1, h1, b, w2, h2, &w, &h);
		CHECK_ERR(hc_scan_gray(pix, w, h, &s), HC_OK);
		CHECK(s.n == 2);
		if (s.n == 2)
			CHECK(both_texts(&s, t1, t2));
		else
			fprintf(stderr, "  scales %d and %d: %zu codes\n", sc[c][0], sc[c][1], s.n);
		hc_scan_clear(&s);
next:
		free(pix);
		free(a);
		free(b);
	}
	free(t1);
	free(t2);
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static void put_chunk(uint8_t *b, size_t *n, const char *type, const uint8_t *d, uint32_t len)
{
	put32(b + *n, len);
	memcpy(b + *n + 4, type, 4);
	if (len)
		memcpy(b + *n + 8, d, len);
	put32(b + *n + 8 + len, (uint32_t)crc32(crc32(0, (const uint8_t *)type, 4), d, len));
	*n += 12 + len;
}

/* Scans a PNG of IHDR (w x h, 8-bit gray), one IDAT holding a single
 * one-pixel row, and IEND. */
static hc_err scan_dims(uint32_t w, uint32_t h)
{
	static const uint8_t row[2] = { 0, 0 };
	uint8_t b[128] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' }, ihdr[13] = { 0 };
	uint8_t idat[64];
	uLongf zn = sizeof(idat);
	struct hc_scan s;
	size_t n = 8;
	hc_err e;

	if (compress(idat, &zn, row, sizeof(row)) != Z_OK)
		abort();
	put32(ihdr, w);
	put32(ihdr + 4, h);
	ihdr[8] = 8;
	put_chunk(b, &n, "IHDR", ihdr, sizeof(ihdr));
	put_chunk(b, &n, "IDAT", idat, (uint32_t)zn);
	put_chunk(b, &n, "IEND", NULL, 0);
	e = hc_scan_mem(b, n, &s);
	CHECK(s.n == 0 && !s.texts);
	return e;
}

static void t_bad_images(void)
{
	char p[512], *text = mk_text(300, 2);
	uint8_t *buf = NULL, *white, *idat;
	struct hc_scan s;
	size_t n = 0;
	hc_err e;

	CHECK_ERR(hc_write_file_atomic(tp(p, sizeof(p), "text.png"), "not an image\n", 13, 0644),
		  HC_OK);
	CHECK_ERR(hc_scan_file(p, &s), HC_ERR_IMAGE_FORMAT);
	CHECK_ERR(hc_write_file_atomic(tp(p, sizeof(p), "empty.png"), "", 0, 0644), HC_OK);
	CHECK_ERR(hc_scan_file(p, &s), HC_ERR_IMAGE_FORMAT);
	CHECK_ERR(hc_scan_file(tp(p, sizeof(p), "missing.png"), &s), HC_ERR_IO);
	CHECK_ERR(hc_scan_file(dir, &s), HC_ERR_IO);
	CHECK(s.n == 0 && !s.texts && !s.lens);

	if (!(white = malloc((size_t)200 * 150)))
		abort();
	memset(white, 255, (size_t)200 * 150);
	save_png(tp(p, sizeof(p), "white.png"), white, 200, 150, K_GRAY8);
	CHECK_ERR(hc_scan_file(p, &s), HC_ERR_NO_QR);
	save_jpeg(tp(p, sizeof(p), "white.jpg"), white, 200, 150);
	CHECK_ERR(hc_scan_file(p, &s), HC_ERR_NO_QR);
	free(white);

	make_png(text, tp(p, sizeof(p), "good.png"));
	if (!(buf = slurp(p, &n))) {
		CHECK(buf);
		goto out;
	}
	CHECK_ERR(hc_scan_mem(buf, n / 2, &s), HC_ERR_IMAGE);
	CHECK_ERR(hc_scan_mem(buf, 8, &s), HC_ERR_IMAGE);
	CHECK(s.n == 0 && !s.texts);
	for (idat = buf; idat + 4 <= buf + n && memcmp(idat, "IDAT", 4) != 0; idat++)
		;
	if (idat + 4 > buf + n)
		idat = NULL;
	CHECK(idat && idat + 14 < buf + n);
	if (idat && idat + 14 < buf + n) {
		idat[14] ^= 0x55;
		e = hc_scan_mem(buf, n, &s);
		CHECK(e == HC_ERR_IMAGE || e == HC_ERR_NO_QR);
		hc_scan_clear(&s);
	}
	e = scan_dims(100000, 100000);
	CHECK(e == HC_ERR_IMAGE || e == HC_ERR_TOO_LARGE);
	CHECK_ERR(scan_dims(20000, 20000), HC_ERR_TOO_LARGE);
	CHECK_ERR(scan_dims(0, 10), HC_ERR_IMAGE);
	/* Small and valid: decodes (gray, all zero), no code. */
	CHECK_ERR(scan_dims(1, 1), HC_ERR_NO_QR);
	CHECK_ERR(hc_scan_mem(NULL, 0, &s), HC_ERR_IMAGE_FORMAT);
	hc_scan_clear(&s);
	hc_scan_clear(NULL);
out:
	free(buf);
	free(text);
}

/* The runner's caller removes the temporary directory (t.h). */
void t_main(void)
{
	snprintf(dir, sizeof(dir), "%s", t_tmpdir());
	RUN(t_png_roundtrip);
	RUN(t_zbarimg);
	RUN(t_version_limits);
	RUN(t_bad_input);
	RUN(t_png_kinds);
	RUN(t_jpeg);
	RUN(t_two_codes);
	RUN(t_scaled_codes);
	RUN(t_bad_images);
}
