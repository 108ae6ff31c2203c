/* t_image.c: QR rendering and scanning round trips, checked against zbarimg too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "hc_image.h"
#include "t.h"

enum { K_GRAY8, K_RGBA, K_GRAY1_ADAM7, K_RGB16 };

static char dir[256];

static const char *tp(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
	return buf;
}

/* "hc:/" and ndigits digits made of the pairs 00..77, starting at pair k. */
static char *mk_text(size_t ndigits, unsigned k)
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

static uint8_t *slurp(const char *path, size_t *n)
{
	uint8_t *b = NULL;

	return hc_read_file(path, 1u << 26, &b, n) == HC_OK ? b : NULL;
}

static size_t file_size(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return 0;
	n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	fclose(f);
	return n > 0 ? (size_t)n : 0;
}

/* Pixels of a PNG through libpng's simplified API, independent of scan_decode.c. */
static uint8_t *load_gray(const char *path, unsigned *w, unsigned *h)
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
static void save_png(const char *path, const uint8_t *pix, unsigned w, unsigned h, int kind)
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

/* Scans path and checks it holds exactly one QR code with text want. */
static void expect_one(const char *path, const char *want)
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

/* Draws a module grid (1 = dark, 4 px per module, 4 modules of margin) as
 * a PNG at path and checks it scans as want. */
static void expect_grid(const uint8_t *grid, unsigned side, const char *path,
			const char *want)
{
	unsigned n = (side + 8) * 4, x, y;
	uint8_t *pix = malloc((size_t)n * n);

	if (!pix)
		abort();
	for (y = 0; y < n; y++)
		for (x = 0; x < n; x++) {
			unsigned mx = x / 4, my = y / 4;
			bool d = mx >= 4 && my >= 4 && mx < side + 4 && my < side + 4 &&
				 grid[(my - 4) * side + (mx - 4)];

			pix[(size_t)y * n + x] = d ? 0 : 255;
		}
	save_png(path, pix, n, n, K_GRAY8);
	expect_one(path, want);
	free(pix);
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

/* Reads the one path of an SVG written by hc_qrimg_write_svg into grid
 * (side x side, 1 = dark), as a renderer would: commands M, m, h, v and z
 * with integer arguments, every subpath a closed rectangle one module high
 * inside the picture, no module covered twice. 0 if the file is exactly
 * that, -1 otherwise. */
static int svg_grid(const char *svg, unsigned side, uint8_t *grid)
{
	const char *d, *end;
	long cx = 0, cy = 0, sx = 0, sy = 0, vx[5] = {0}, vy[5] = {0};
	int nv = 0;

	memset(grid, 0, (size_t)side * side);
	if (!(d = strstr(svg, "<path ")) || strstr(d + 1, "<path") ||
	    !(d = strstr(d, " d=\"")) || !(end = strchr(d + 4, '"')))
		return -1;
	for (d += 4; d < end;) {
		char c = *d++, *e;
		long a, b = 0;

		if (c == '\n')
			continue;
		if (c == 'z') {
			long x0 = vx[0], y0 = vy[0], w = vx[1] - vx[0];

			if (nv != 4)
				return -1;
			if (vy[1] != y0 || w <= 0 || vx[2] != vx[1] ||
			    vy[2] != y0 + 1 || vx[3] != x0 || vy[3] != y0 + 1 || x0 < 0 ||
			    y0 < 0 || x0 + w > (long)side || y0 >= (long)side)
				return -1;
			for (a = x0; a < x0 + w; a++) {
				if (grid[(size_t)y0 * side + (size_t)a])
					return -1;
				grid[(size_t)y0 * side + (size_t)a] = 1;
			}
			cx = sx, cy = sy, nv = 0;
			continue;
		}
		a = strtol(d, &e, 10);
		if (e == d || e > end)
			return -1;
		d = e;
		if (c == 'M' || c == 'm') {
			if (*d++ != ' ')
				return -1;
			b = strtol(d, &e, 10);
			if (e == d || e > end || nv != 0)
				return -1;
			d = e;
			cx = c == 'M' ? a : cx + a;
			cy = c == 'M' ? b : cy + b;
			sx = cx, sy = cy;
		} else if (c == 'h' && nv >= 1 && nv < 4) {
			cx += a;
		} else if (c == 'v' && nv >= 1 && nv < 4) {
			cy += a;
		} else {
			return -1;
		}
		vx[nv] = cx, vy[nv] = cy, nv++;
	}
	return nv == 0 ? 0 : -1;
}

static void t_svg(void)
{
	char p[512], *text = mk_text(500, 1);
	struct hc_qrimg *q = NULL;
	uint8_t *buf = NULL, *grid = NULL;
	unsigned side;
	size_t n = 0;

	CHECK_ERR(hc_qrimg_make(text, &q), HC_OK);
	if (!q)
		goto out;
	CHECK_ERR(hc_qrimg_write_svg(q, tp(p, sizeof(p), "a.svg"), 2), HC_OK);
	if (!(buf = slurp(p, &n))) {
		CHECK(buf);
		goto out;
	}
	CHECK(strncmp((char *)buf, "<?xml", 5) == 0 || strncmp((char *)buf, "<svg", 4) == 0);
	CHECK(n > 7 && strcmp((char *)buf + n - 7, "</svg>\n") == 0);
	side = (unsigned)hc_qrimg_width(q) + 4;
	snprintf(p, sizeof(p), "viewBox=\"0 0 %u %u\"", side, side);
	CHECK(strstr((char *)buf, p) != NULL);
	CHECK(strstr((char *)buf, "fill=\"#fff\"") != NULL);
	/* Rasterise the path's runs and scan the result. */
	if (!(grid = calloc(side, side)))
		abort();
	CHECK(svg_grid((char *)buf, side, grid) == 0);
	CHECK(grid[(size_t)2 * side + 2] == 1 && grid[0] == 0);
	expect_grid(grid, side, tp(p, sizeof(p), "svg.png"), text);
	/* The reader refuses what is not such a path. */
	CHECK(svg_grid("<path d=\"M1 1h2v1h-2\"/>", side, grid) == -1);
	CHECK(svg_grid("<path d=\"M1 1h2v1h-1z\"/>", side, grid) == -1);
	CHECK(svg_grid("<path d=\"M1 1h2v1h-2zm1 0h2v1h-2z\"/>", side, grid) == -1);
	CHECK(svg_grid("<path d=\"M1 1h2v1h-2zm2 0h2v1h-2z\"/>", side, grid) == 0);
	CHECK(svg_grid("<path d=\"M1 1h2v1h-2z\"/><path d=\"\"/>", side, grid) == -1);
out:
	free(grid);
	free(buf);
	hc_qrimg_free(q);
	free(text);
}

/* Bytes the SVG writer produced before runs were placed relatively: an
 * XML declaration, version="1.1", fill="#000", "M<x> <y>h<n>v1h-<n>z" for
 * every run and a newline after every row of the symbol. */
static size_t svg_former_size(const uint8_t *grid, unsigned side, unsigned margin)
{
	size_t n = (size_t)snprintf(NULL, 0,
				    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
				    "width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" "
				    "shape-rendering=\"crispEdges\">\n"
				    "<rect width=\"%u\" height=\"%u\" fill=\"#fff\"/>\n"
				    "<path fill=\"#000\" d=\"\"/>\n</svg>\n",
				    side * 8, side * 8, side, side, side, side);

	for (unsigned y = margin; y < side - margin; y++) {
		for (unsigned x = 0; x < side;) {
			unsigned r = 0;

			while (x + r < side && grid[(size_t)y * side + x + r])
				r++;
			if (r)
				n += (size_t)snprintf(NULL, 0, "M%u %uh%uv1h-%uz", x, y, r, r);
			x += r ? r : 1;
		}
		n++;
	}
	return n;
}

/* 200 codes of lengths spread up to the largest version, at scales 2 to 8
 * and margins 2 to 4: every PNG holds exactly the modules the SVG of the
 * same code draws, scans back through zbar to its text, and is no larger
 * than the 8-bit PNG at zlib's level 9 the renderer wrote before; every
 * SVG is smaller than the former writer's. (At
 * scale 1 zbar misses most codes, in the former 8-bit files as well: the
 * pixels are the same.) */
static void t_many(void)
{
	enum { N = 200 };
	unsigned i, maxv = 0, bad_pix = 0, bad_svg = 0, bad_scan = 0, bigger = 0, bigger_svg = 0;
	size_t sum_new = 0, sum_old = 0;
	char p[512], ps[512], po[512];

	for (i = 0; i < N; i++) {
		size_t nd = i % 20 == 19 ? HC_QR_MAX_DIGITS
					 : 10 + (size_t)(i * 7919u) % (HC_QR_MAX_DIGITS - 10);
		int scale = 2 + (int)(i % 7), margin = 2 + (int)(i % 3);
		char *text = mk_text(nd, i);
		struct hc_qrimg *q = NULL;
		uint8_t *pix = NULL, *grid = NULL, *svg = NULL;
		unsigned w = 0, h = 0, side, x, y;
		size_t n = 0, nn = 0, no = 0;
		struct hc_scan s;

		CHECK_ERR(hc_qrimg_make(text, &q), HC_OK);
		if (!q)
			goto next;
		if ((unsigned)hc_qrimg_version(q) > maxv)
			maxv = (unsigned)hc_qrimg_version(q);
		side = (unsigned)hc_qrimg_width(q) + 2 * (unsigned)margin;
		CHECK_ERR(hc_qrimg_write_png(q, tp(p, sizeof(p), "m.png"), scale, margin), HC_OK);
		CHECK_ERR(hc_qrimg_write_svg(q, tp(ps, sizeof(ps), "m.svg"), margin), HC_OK);
		pix = load_gray(p, &w, &h);
		svg = slurp(ps, &n);
		if (!(grid = malloc((size_t)side * side)))
			abort();
		CHECK(pix && svg && w == h && w == side * (unsigned)scale);
		if (!pix || !svg || w != side * (unsigned)scale)
			goto next;
		if (svg_grid((char *)svg, side, grid) != 0) {
			bad_svg++;
			goto next;
		}
		if (n >= svg_former_size(grid, side, (unsigned)margin))
			bigger_svg++;
		for (y = 0; y < h; y++)
			for (x = 0; x < w; x++)
				if (pix[(size_t)y * w + x] !=
				    (grid[(size_t)(y / (unsigned)scale) * side + x / (unsigned)scale]
					     ? 0 : 255))
					bad_pix++;
		if (hc_scan_file(p, &s) != HC_OK || s.n != 1 || strcmp(s.texts[0], text) != 0)
			bad_scan++;
		hc_scan_clear(&s);
		if (i % 4 == 0) { /* the former rendering, on a sample */
			save_png(tp(po, sizeof(po), "m8.png"), pix, w, h, K_GRAY8);
			nn = file_size(p);
			no = file_size(po);
			sum_new += nn, sum_old += no;
			if (nn == 0 || nn > no)
				bigger++;
		}
next:
		free(svg);
		free(grid);
		free(pix);
		hc_qrimg_free(q);
		free(text);
	}
	CHECK(maxv == HC_QR_MAX_VERSION);
	CHECK(bad_svg == 0);
	CHECK(bad_pix == 0);
	CHECK(bad_scan == 0);
	CHECK(bigger == 0);
	CHECK(bigger_svg == 0);
	CHECK(sum_new > 0 && sum_new < sum_old);
	if (bad_svg || bad_pix || bad_scan || bigger)
		fprintf(stderr, "t_many: %u SVG, %u pixels, %u scans, %u larger\n", bad_svg,
			bad_pix, bad_scan, bigger);
}

/* The in-memory images are the files' bytes; bad arguments leave NULL. */
static void t_mem(void)
{
	char p[512], *text = mk_text(700, 2), *svg = NULL;
	struct hc_qrimg *q = NULL;
	uint8_t *png = NULL, *f = NULL;
	size_t n = 1, fn = 0;

	CHECK_ERR(hc_qrimg_make(text, &q), HC_OK);
	if (!q)
		goto out;
	CHECK_ERR(hc_qrimg_png(q, 5, 3, &png, &n), HC_OK);
	CHECK_ERR(hc_qrimg_write_png(q, tp(p, sizeof(p), "mem.png"), 5, 3), HC_OK);
	f = slurp(p, &fn);
	CHECK(png && f && n == fn && n > 8 && memcmp(png, f, n) == 0);
	free(f);
	f = NULL;
	CHECK_ERR(hc_qrimg_svg(q, 3, &svg, &n), HC_OK);
	CHECK_ERR(hc_qrimg_write_svg(q, tp(p, sizeof(p), "mem.svg"), 3), HC_OK);
	f = slurp(p, &fn);
	CHECK(svg && f && n == fn && memcmp(svg, f, n) == 0);
	free(png);
	free(svg);
	png = (uint8_t *)1, svg = (char *)1, n = 5;
	CHECK_ERR(hc_qrimg_png(q, 0, 3, &png, &n), HC_ERR_INVALID_ARG);
	CHECK(png == NULL && n == 0);
	CHECK_ERR(hc_qrimg_svg(q, 17, &svg, &n), HC_ERR_INVALID_ARG);
	CHECK(svg == NULL && n == 0);
	CHECK_ERR(hc_qrimg_png(NULL, 4, 4, &png, &n), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_qrimg_svg(q, 4, NULL, &n), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_qrimg_write_png(q, NULL, 4, 4), HC_ERR_INVALID_ARG);
out:
	free(f);
	hc_qrimg_free(q);
	free(text);
}

static void t_print(void)
{
	static const char *g[4] = { " ", "\xe2\x96\x84", "\xe2\x96\x80", "\xe2\x96\x88" };
	char p[512], *text = mk_text(300, 7), line[2048];
	struct hc_qrimg *q = NULL;
	unsigned side, lines = 0, i;
	uint8_t *grid = NULL;
	FILE *f = tmpfile();

	CHECK(f != NULL);
	CHECK_ERR(hc_qrimg_make(text, &q), HC_OK);
	if (!q || !f)
		goto out;
	CHECK_ERR(hc_qrimg_print(q, f, 2), HC_OK);
	rewind(f);
	side = (unsigned)hc_qrimg_width(q) + 4;
	if (!(grid = calloc(side + 1, side)))
		abort();
	/* Decode the half blocks: the glyph shows the light modules. */
	while (fgets(line, sizeof(line), f)) {
		char *c = line;
		unsigned x = 0;

		while (*c && *c != '\n') {
			for (i = 0; i < 4 && strncmp(c, g[i], strlen(g[i])) != 0; i++)
				;
			if (i == 4 || x >= side || lines * 2 >= side + 1)
				break;
			grid[(size_t)lines * 2 * side + x] = !(i & 2);
			grid[((size_t)lines * 2 + 1) * side + x] = !(i & 1);
			c += strlen(g[i]);
			x++;
		}
		CHECK(x == side && *c == '\n');
		lines++;
	}
	CHECK(lines == (side + 1) / 2);
	CHECK(grid[0] == 0 && grid[(size_t)2 * side + 2] == 1);
	expect_grid(grid, side, tp(p, sizeof(p), "print.png"), text);
out:
	if (f)
		fclose(f);
	free(grid);
	hc_qrimg_free(q);
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
	RUN(t_svg);
	RUN(t_many);
	RUN(t_mem);
	RUN(t_print);
	RUN(t_two_codes);
	RUN(t_scaled_codes);
	RUN(t_bad_images);
}
