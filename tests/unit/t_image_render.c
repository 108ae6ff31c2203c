/* t_image_render.c: QR rendering: the SVG's path against the PNG's
 * modules, 200 codes at every scale and margin against the former
 * writers' sizes, the in-memory images and the terminal output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_image.h"
#include "image_fx.h"
#include "t.h"

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

/* The runner's caller removes the temporary directory (t.h). */
void t_main(void)
{
	snprintf(dir, sizeof(dir), "%s", t_tmpdir());
	RUN(t_svg);
	RUN(t_many);
	RUN(t_mem);
	RUN(t_print);
}
