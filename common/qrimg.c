/* qrimg.c: QR symbol encoding (libqrencode) and output as PNG, SVG or terminal text. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>
#include <qrencode.h>

#include "hc_image.h"
#include "png_int.h"

/* libqrencode's encoder with the data mask given (0-7; -1 searches all 8,
 * as QRcode_encodeInput does). Not declared in qrencode.h: upstream marks
 * it STATIC_IN_RELEASE (a test hook), but Debian's build exports it and
 * its libqrencode4 symbols file lists it (QRcode_encodeMask@Base 3.2.0),
 * so on Debian, the platform this project builds for, it is a part of
 * the library's ABI. A libqrencode built with STATIC_IN_RELEASE=static
 * fails the link here. Declared here only. */
QRcode *QRcode_encodeMask(QRinput *input, int mask);

/* Every symbol is made with data mask 1 (the data modules of even rows
 * inverted). Any of the eight masks decodes (the format
 * information names it); libqrencode's search scores all eight by ISO
 * 18004's penalty rules, which cost 85% of encoding a code here and, over
 * 600 issued codes read back by zbar, helped no scan: at 6 and at 2 pixels
 * a module every symbol read back with every mask and with the search; at
 * 1.5 pixels a module (box-filtered) 386 of 600 with the search, 348 to
 * 431 with a fixed mask, 431 with mask 1 (doc/FORMATS.md, section 2). */
#define QR_MASK 1

#define QR_MAX_SCALE 64
#define QR_MAX_MARGIN 16
#define OUT_MAX (256u << 20) /* rendered file, bytes */

struct hc_qrimg {
	QRcode *qr;
};

/* A growing output buffer; nomem records a failed allocation. */
struct obuf {
	uint8_t *p;
	size_t len, cap;
	bool nomem;
};

static bool obuf_reserve(struct obuf *b, size_t more)
{
	size_t ncap;
	uint8_t *np;

	if (b->nomem || more > OUT_MAX - b->len) {
		b->nomem = true;
		return false;
	}
	if (b->len + more <= b->cap)
		return true;
	ncap = b->cap ? b->cap : 4096;
	while (ncap < b->len + more)
		ncap *= 2;
	if (!(np = realloc(b->p, ncap))) {
		b->nomem = true;
		return false;
	}
	b->p = np;
	b->cap = ncap;
	return true;
}

static bool obuf_add(struct obuf *b, const void *data, size_t n)
{
	if (!obuf_reserve(b, n))
		return false;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return true;
}

static bool obuf_printf(struct obuf *b, const char *fmt, ...) HC_PRINTF(2, 3);

static bool obuf_printf(struct obuf *b, const char *fmt, ...)
{
	va_list ap;
	char tmp[256];
	int r;

	va_start(ap, fmt);
	r = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(tmp)) {
		b->nomem = true;
		return false;
	}
	return obuf_add(b, tmp, (size_t)r);
}

hc_err hc_qrimg_make(const char *text, struct hc_qrimg **out)
{
	struct hc_qrimg *q = NULL;
	QRinput *in = NULL;
	QRcode *qr = NULL;
	const char *slash;
	size_t len, plen, i;
	hc_err err;

	if (out)
		*out = NULL;
	if (!text || !out)
		return HC_ERR_INVALID_ARG;
	len = strnlen(text, HC_MAX_QR_TEXT + 1);
	if (len > HC_MAX_QR_TEXT)
		return HC_ERR_QR_TOO_BIG;
	if (!(slash = memchr(text, '/', len)))
		return HC_ERR_INVALID_ARG;
	plen = (size_t)(slash - text) + 1;
	if (plen == len)
		return HC_ERR_INVALID_ARG;
	for (i = plen; i < len; i++)
		if (text[i] < '0' || text[i] > '9')
			return HC_ERR_INVALID_ARG;

	err = HC_ERR_NOMEM;
	if (!(q = calloc(1, sizeof(*q))))
		goto out;
	if (!(in = QRinput_new2(0, QR_ECLEVEL_M)))
		goto out;
	errno = 0;
	if (QRinput_append(in, QR_MODE_8, (int)plen, (const unsigned char *)text) != 0 ||
	    QRinput_append(in, QR_MODE_NUM, (int)(len - plen),
			   (const unsigned char *)text + plen) != 0) {
		err = errno == ENOMEM ? HC_ERR_NOMEM : HC_ERR_INVALID_ARG;
		goto out;
	}
	errno = 0;
	if (!(qr = QRcode_encodeMask(in, QR_MASK))) {
		if (errno == ERANGE)
			err = HC_ERR_QR_TOO_BIG;
		else if (errno == ENOMEM)
			err = HC_ERR_NOMEM;
		else
			err = HC_ERR_INVALID_ARG;
		goto out;
	}
	if (qr->version > HC_QR_MAX_VERSION) {
		hc_set_detail("needs QR version %d, at most %d allowed", qr->version,
			      HC_QR_MAX_VERSION);
		err = HC_ERR_QR_TOO_BIG;
		goto out;
	}
	q->qr = qr;
	qr = NULL;
	*out = q;
	q = NULL;
	err = HC_OK;
out:
	QRcode_free(qr);
	QRinput_free(in);
	free(q);
	return err;
}

void hc_qrimg_free(struct hc_qrimg *q)
{
	if (!q)
		return;
	QRcode_free(q->qr);
	free(q);
}

int hc_qrimg_version(const struct hc_qrimg *q)
{
	return q ? q->qr->version : 0;
}

int hc_qrimg_width(const struct hc_qrimg *q)
{
	return q ? q->qr->width : 0;
}

/* Whether module (x, y) is dark; coordinates may lie in the quiet zone. */
static bool dark(const QRcode *qr, int x, int y)
{
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return false;
	return qr->data[(size_t)y * (size_t)qr->width + (size_t)x] & 1;
}

/* ---- PNG ---- */

void hc__png_error(png_structp png, png_const_charp msg)
{
	hc_set_detail("png: %s", msg);
	png_longjmp(png, 1);
}

void hc__png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void png_write_cb(png_structp png, png_bytep data, size_t n)
{
	if (!obuf_add(png_get_io_ptr(png), data, n))
		png_error(png, "out of memory");
}

static void png_flush_cb(png_structp png)
{
	(void)png;
}

/* Clears pixels [from, to) of a packed row (most significant bit first). */
static void clear_px(uint8_t *row, size_t from, size_t to)
{
	size_t a = from >> 3, b = to >> 3;
	uint8_t head = (uint8_t)(0xffu >> (from & 7)), tail = (uint8_t)~(0xffu >> (to & 7));

	if (a == b) {
		row[a] &= (uint8_t)~(head & tail);
		return;
	}
	row[a] &= (uint8_t)~head;
	memset(row + a + 1, 0, b - a - 1);
	if (to & 7)
		row[b] &= (uint8_t)~tail;
}

/* One row of pixels of module row my (quiet zone included), packed eight
 * pixels a byte, most significant bit first, 1 = white: a run of dark
 * modules at a time. */
static void png_pack_row(const QRcode *qr, int my, int scale, int margin, uint8_t *row,
			 size_t rowbytes)
{
	const unsigned char *d;
	int y = my - margin, x, e;

	memset(row, 0xff, rowbytes);
	if (y < 0 || y >= qr->width)
		return;
	d = qr->data + (size_t)y * (size_t)qr->width;
	for (x = 0; x < qr->width; x = e) {
		if (!(d[x] & 1)) {
			e = x + 1;
			continue;
		}
		for (e = x + 1; e < qr->width && (d[e] & 1); e++)
			;
		clear_px(row, (size_t)(x + margin) * (size_t)scale,
			 (size_t)(e + margin) * (size_t)scale);
	}
}

/* The libpng calls, kept apart so that no local here changes after setjmp.
 * Measured on 600 codes of about 1,000 digits at scale 6: 1 bit a pixel,
 * no filter and zlib's level 1 give files 16-30% smaller than 8 bits at
 * level 9 did, and the batch a tenth of its CPU time; levels 6 and 9 save
 * another quarter of the bytes at 1.5 and 2.7 times the batch's time, and
 * filter Up or adaptive filtering only make the files larger (a repeated
 * row is already one deflate match). Level 2 (zlib's deflate_fast still)
 * makes them 5% smaller than level 1 for 2% more instructions; a smaller
 * window or memLevel, Z_RLE (with filter Up) or Z_FIXED made them larger,
 * slower or both, and one png_write_image call for the rows saved nothing
 * (callgrind). What is left is zlib's own cost, about 30 instructions a
 * byte of the 32 KB of pixels at scale 6, a fifth of it Adler-32. */
static int png_encode(png_structp png, png_infop info, const QRcode *qr, int scale,
		      int margin, uint8_t *row, size_t rowbytes, struct obuf *ob)
{
	int side = qr->width + 2 * margin, y, i;

	if (setjmp(png_jmpbuf(png)))
		return -1;
	png_set_write_fn(png, ob, png_write_cb, png_flush_cb);
	png_set_IHDR(png, info, (png_uint_32)(side * scale), (png_uint_32)(side * scale), 1,
		     PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_set_compression_level(png, 2);
	png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
	png_write_info(png, info);
	for (y = 0; y < side; y++) {
		png_pack_row(qr, y, scale, margin, row, rowbytes);
		for (i = 0; i < scale; i++)
			png_write_row(png, row);
	}
	png_write_end(png, NULL);
	return 0;
}

hc_err hc_qrimg_png(const struct hc_qrimg *q, int scale, int margin, uint8_t **out, size_t *n)
{
	png_structp png = NULL;
	png_infop info = NULL;
	struct obuf ob = { 0 };
	uint8_t *row = NULL;
	hc_err err = HC_ERR_NOMEM;
	size_t rowbytes;

	if (out)
		*out = NULL;
	if (n)
		*n = 0;
	if (!q || !out || !n || scale < 1 || scale > QR_MAX_SCALE || margin < 0 ||
	    margin > QR_MAX_MARGIN)
		return HC_ERR_INVALID_ARG;
	rowbytes = ((size_t)(q->qr->width + 2 * margin) * (size_t)scale + 7) / 8;
	if (!(row = malloc(rowbytes)))
		goto out;
	if (!(png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, hc__png_error,
					    hc__png_warning)))
		goto out;
	if (!(info = png_create_info_struct(png)))
		goto out;
	if (png_encode(png, info, q->qr, scale, margin, row, rowbytes, &ob) != 0) {
		err = ob.nomem ? HC_ERR_NOMEM : HC_ERR_IMAGE;
		goto out;
	}
	*out = ob.p;
	*n = ob.len;
	ob.p = NULL;
	err = HC_OK;
out:
	png_destroy_write_struct(&png, &info);
	free(ob.p);
	free(row);
	return err;
}

hc_err hc_qrimg_write_png(const struct hc_qrimg *q, const char *path, int scale, int margin)
{
	uint8_t *p = NULL;
	size_t n = 0;
	hc_err err;

	if (!path)
		return HC_ERR_INVALID_ARG;
	if ((err = hc_qrimg_png(q, scale, margin, &p, &n)) == HC_OK)
		err = hc_write_file_atomic(path, p, n, 0644);
	free(p);
	return err;
}

/* ---- SVG ---- */

/* One path: a rectangle a height of one module for every horizontal run of
 * dark modules, each closed so that the next starts from its top-left
 * corner. A row's first run is placed absolutely ("M"), the others by
 * their distance from the run before ("m"). */
hc_err hc_qrimg_svg(const struct hc_qrimg *q, int margin, char **out, size_t *n)
{
	struct obuf ob = { 0 };
	const QRcode *qr;
	int side, x, y;
	hc_err err;

	if (out)
		*out = NULL;
	if (n)
		*n = 0;
	if (!q || !out || !n || margin < 0 || margin > QR_MAX_MARGIN)
		return HC_ERR_INVALID_ARG;
	qr = q->qr;
	side = qr->width + 2 * margin;
	obuf_printf(&ob,
		    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		    "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">\n"
		    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path d=\"",
		    side * 8, side * 8, side, side, side, side);
	for (y = 0; y < qr->width; y++) {
		int last = -1;

		for (x = 0; x < qr->width;) {
			int run = 0;

			while (x + run < qr->width && dark(qr, x + run, y))
				run++;
			if (run == 0) {
				x++;
				continue;
			}
			if (last < 0)
				obuf_printf(&ob, "M%d %d", x + margin, y + margin);
			else
				obuf_printf(&ob, "m%d 0", x - last);
			obuf_printf(&ob, "h%dv1h-%dz", run, run);
			last = x;
			x += run;
		}
		if (last >= 0)
			obuf_add(&ob, "\n", 1);
	}
	obuf_printf(&ob, "\"/>\n</svg>\n");
	if (ob.nomem || !obuf_add(&ob, "", 1)) {
		err = HC_ERR_NOMEM;
		goto out;
	}
	*out = (char *)ob.p;
	*n = ob.len - 1;
	ob.p = NULL;
	err = HC_OK;
out:
	free(ob.p);
	return err;
}

hc_err hc_qrimg_write_svg(const struct hc_qrimg *q, const char *path, int margin)
{
	char *p = NULL;
	size_t n = 0;
	hc_err err;

	if (!path)
		return HC_ERR_INVALID_ARG;
	if ((err = hc_qrimg_svg(q, margin, &p, &n)) == HC_OK)
		err = hc_write_file_atomic(path, p, n, 0644);
	free(p);
	return err;
}

/* ---- terminal ---- */

/* Light modules are drawn with the foreground colour, dark ones are left as
 * background: correct on the usual light-on-dark terminal.  On a terminal
 * the colours are pinned (bright white on black) so that a dark-on-light
 * terminal shows the same, scannable picture. */
hc_err hc_qrimg_print(const struct hc_qrimg *q, FILE *f, int margin)
{
	static const char on[] = "\033[97;40m", off[] = "\033[0m";
	char line[1024];
	const QRcode *qr;
	bool color;
	int side, x, y;

	if (!q || !f || margin < 0 || margin > QR_MAX_MARGIN)
		return HC_ERR_INVALID_ARG;
	qr = q->qr;
	side = qr->width + 2 * margin;
	if ((size_t)side * 3 + sizeof(on) + sizeof(off) + 1 > sizeof(line))
		return HC_ERR_INVALID_ARG;
	color = isatty(fileno(f));
	for (y = 0; y < side; y += 2) {
		size_t n = 0;

		if (color) {
			memcpy(line, on, sizeof(on) - 1);
			n = sizeof(on) - 1;
		}
		for (x = 0; x < side; x++) {
			bool top = !dark(qr, x - margin, y - margin);
			/* Below the last row is the terminal background. */
			bool bot = y + 1 < side && !dark(qr, x - margin, y + 1 - margin);
			const char *g = top && bot ? "\xe2\x96\x88" : top ? "\xe2\x96\x80"
						      : bot ? "\xe2\x96\x84" : " ";

			memcpy(line + n, g, strlen(g));
			n += strlen(g);
		}
		if (color) {
			memcpy(line + n, off, sizeof(off) - 1);
			n += sizeof(off) - 1;
		}
		line[n++] = '\n';
		if (fwrite(line, 1, n, f) != n)
			return HC_ERR_IO;
	}
	if (fflush(f) != 0)
		return HC_ERR_IO;
	return HC_OK;
}
