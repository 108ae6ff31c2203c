/* scan_decode.c: PNG and JPEG images decoded into gray pictures
 * (libpng, libjpeg), within the size caps, for scan.c. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "hc_image.h"
#include "png_int.h"
#include "scan_int.h"

#define SCAN_MAX_SIDE (1u << 15)       /* pixels, either dimension */
#define PNG_CHUNK_MAX (4u << 20)       /* bytes of one ancillary chunk */
#define JPEG_MAX_SCANS 256             /* progressive JPEG scans */
#define JPEG_MAX_MEM (512ul << 20)

bool hc__pixels_ok(unsigned long w, unsigned long h)
{
	if (w == 0 || h == 0)
		return false;
	return (uint64_t)w * (uint64_t)h <= HC_MAX_IMAGE_PIXELS;
}

/* ---- PNG ---- */

struct png_state {
	png_structp png;
	png_infop info;
	const uint8_t *buf;
	size_t n, off;
	png_bytepp rows;
	uint8_t *pix;
	unsigned w, h, ch;
	hc_err err; /* what a non-libpng failure was */
};

static void png_read_cb(png_structp png, png_bytep data, size_t n)
{
	struct png_state *st = png_get_io_ptr(png);

	if (n > st->n - st->off)
		png_error(png, "truncated");
	memcpy(data, st->buf + st->off, n);
	st->off += n;
}

/* Ancillary chunks png_run has libpng skip, each name NUL-terminated */
static const png_byte skipped_chunks[] = "bKGD\0eXIf\0hIST\0iCCP\0iTXt\0pCAL\0sCAL\0sPLT\0"
					 "tEXt\0tIME\0zTXt";

/* The libpng calls, kept apart so that no local here changes after setjmp;
 * everything that must be freed lives in *st. */
static int png_run(struct png_state *st)
{
	png_structp png = st->png;
	png_infop info = st->info;
	size_t rowbytes;
	png_byte ct;
	unsigned y;

	if (setjmp(png_jmpbuf(png)))
		return -1;
	png_set_read_fn(png, st, png_read_cb);
	png_set_user_limits(png, SCAN_MAX_SIDE, SCAN_MAX_SIDE);
	png_set_chunk_malloc_max(png, PNG_CHUNK_MAX);
	png_set_chunk_cache_max(png, 128);
	/* Text, profiles and other metadata are skipped unread, and so is
	 * every chunk libpng does not know: a QR code needs none of them.
	 * libpng allocates a chunk's declared length before it reads the
	 * chunk, and on reading the check of that length against
	 * PNG_CHUNK_MAX is only a warning: a 340-byte file claiming a zTXt
	 * chunk of 2 GB had it allocate and clear 2 GB (fuzz_image). A
	 * skipped chunk is read through in small pieces, and a length past
	 * the file's end fails in png_read_cb ("truncated"). */
	png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
	png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, skipped_chunks,
				    (int)(sizeof(skipped_chunks) / 5));
	png_read_info(png, info);
	st->w = png_get_image_width(png, info);
	st->h = png_get_image_height(png, info);
	if (!hc__pixels_ok(st->w, st->h)) {
		hc_set_detail("image is %ux%u pixels", st->w, st->h);
		st->err = HC_ERR_TOO_LARGE;
		return -1;
	}
	ct = png_get_color_type(png, info);
	png_set_expand(png);
	png_set_strip_16(png);
	png_set_packing(png);
	if (ct & PNG_COLOR_MASK_COLOR)
		png_set_rgb_to_gray_fixed(png, 1, -1, -1);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	st->ch = png_get_channels(png, info);
	rowbytes = png_get_rowbytes(png, info);
	if (png_get_bit_depth(png, info) != 8 || (st->ch != 1 && st->ch != 2) ||
	    rowbytes != (size_t)st->w * st->ch) {
		hc_set_detail("png: unexpected pixel layout");
		st->err = HC_ERR_IMAGE;
		return -1;
	}
	st->err = HC_ERR_NOMEM;
	/* calloc: zero pages from the kernel at this size, and no byte
	 * that a decoder failing half-way left unwritten is ever read */
	if (!(st->pix = calloc(st->h, rowbytes)))
		return -1;
	if (!(st->rows = malloc(sizeof(*st->rows) * st->h)))
		return -1;
	for (y = 0; y < st->h; y++)
		st->rows[y] = st->pix + rowbytes * y;
	st->err = HC_ERR_IMAGE;
	png_read_image(png, st->rows);
	return 0;
}

static hc_err png_decode(const uint8_t *buf, size_t n, struct gray *g)
{
	struct png_state st = { .buf = buf, .n = n, .err = HC_ERR_IMAGE };
	hc_err err = HC_ERR_NOMEM;

	if (!(st.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, hc__png_error,
					      hc__png_warning)))
		goto out;
	if (!(st.info = png_create_info_struct(st.png)))
		goto out;
	if (png_run(&st) != 0) {
		err = st.err;
		goto out;
	}
	/* Gray and alpha: composite over white, in place. */
	if (st.ch == 2) {
		size_t i, np = (size_t)st.w * st.h;

		for (i = 0; i < np; i++) {
			unsigned v = st.pix[2 * i], a = st.pix[2 * i + 1];

			st.pix[i] = (uint8_t)((v * a + 255u * (255u - a) + 127u) / 255u);
		}
	}
	g->pix = st.pix;
	g->w = st.w;
	g->h = st.h;
	st.pix = NULL;
	err = HC_OK;
out:
	png_destroy_read_struct(&st.png, &st.info, NULL);
	free(st.rows);
	free(st.pix);
	return err;
}

/* ---- JPEG ---- */

struct jpeg_state {
	struct jpeg_decompress_struct cinfo;
	struct jpeg_error_mgr jerr;
	struct jpeg_progress_mgr prog;
	jmp_buf jb;
	const uint8_t *buf;
	size_t n;
	uint8_t *pix;
	unsigned w, h;
	hc_err err;
};

static void jpeg_fail(j_common_ptr c, const char *msg)
{
	struct jpeg_state *st = c->client_data;

	hc_set_detail("jpeg: %s", msg);
	longjmp(st->jb, 1);
}

static void jpeg_error_exit_cb(j_common_ptr c)
{
	char msg[JMSG_LENGTH_MAX];

	(*c->err->format_message)(c, msg);
	jpeg_fail(c, msg);
}

/* Warnings (level -1) mean corrupt data, such as a truncated file: the
 * picture would be padded with gray, so it is refused instead. */
static void jpeg_emit_cb(j_common_ptr c, int level)
{
	if (level < 0)
		jpeg_error_exit_cb(c);
}

static void jpeg_output_cb(j_common_ptr c)
{
	(void)c;
}

static void jpeg_progress_cb(j_common_ptr c)
{
	if (c->is_decompressor &&
	    ((j_decompress_ptr)c)->input_scan_number > JPEG_MAX_SCANS)
		jpeg_fail(c, "too many scans");
}

/* The libjpeg calls, kept apart so that no local here changes after
 * setjmp; everything that must be freed lives in *st. */
static int jpeg_run(struct jpeg_state *st)
{
	struct jpeg_decompress_struct *ci = &st->cinfo;

	if (setjmp(st->jb))
		return -1;
	jpeg_create_decompress(ci);
	ci->mem->max_memory_to_use = JPEG_MAX_MEM;
	ci->progress = &st->prog;
	jpeg_mem_src(ci, st->buf, (unsigned long)st->n);
	jpeg_read_header(ci, TRUE);
	if (!hc__pixels_ok(ci->image_width, ci->image_height)) {
		hc_set_detail("image is %ux%u pixels", ci->image_width, ci->image_height);
		st->err = HC_ERR_TOO_LARGE;
		return -1;
	}
	ci->out_color_space = JCS_GRAYSCALE;
	jpeg_start_decompress(ci);
	if (ci->output_components != 1 ||
	    !hc__pixels_ok(ci->output_width, ci->output_height)) {
		hc_set_detail("jpeg: unexpected output layout");
		return -1;
	}
	st->w = ci->output_width;
	st->h = ci->output_height;
	st->err = HC_ERR_NOMEM;
	if (!(st->pix = calloc(st->h, st->w)))
		return -1;
	st->err = HC_ERR_IMAGE;
	while (ci->output_scanline < ci->output_height) {
		JSAMPROW row = st->pix + (size_t)ci->output_scanline * st->w;

		if (jpeg_read_scanlines(ci, &row, 1) != 1)
			return -1;
	}
	return 0;
}

static hc_err jpeg_decode(const uint8_t *buf, size_t n, struct gray *g)
{
	struct jpeg_state *st;
	hc_err err;

	/* On the heap: jmp_buf and the libjpeg state are large. */
	if (!(st = calloc(1, sizeof(*st))))
		return HC_ERR_NOMEM;
	st->buf = buf;
	st->n = n;
	st->err = HC_ERR_IMAGE;
	st->cinfo.err = jpeg_std_error(&st->jerr);
	st->jerr.error_exit = jpeg_error_exit_cb;
	st->jerr.emit_message = jpeg_emit_cb;
	st->jerr.output_message = jpeg_output_cb;
	st->prog.progress_monitor = jpeg_progress_cb;
	st->cinfo.client_data = st;
	if (jpeg_run(st) != 0) {
		err = st->err;
		goto out;
	}
	g->pix = st->pix;
	g->w = st->w;
	g->h = st->h;
	st->pix = NULL;
	err = HC_OK;
out:
	jpeg_destroy_decompress(&st->cinfo);
	free(st->pix);
	free(st);
	return err;
}

/* A PNG or JPEG in memory, in gray. */
hc_err hc__image_decode(const uint8_t *buf, size_t n, struct gray *g)
{
	static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	static const uint8_t jpeg_sig[3] = { 0xff, 0xd8, 0xff };

	if (!buf && n > 0)
		return HC_ERR_INVALID_ARG;
	if (n > HC_MAX_IMAGE_FILE)
		return HC_ERR_TOO_LARGE;
	if (n >= sizeof(png_sig) && memcmp(buf, png_sig, sizeof(png_sig)) == 0)
		return png_decode(buf, n, g);
	if (n >= sizeof(jpeg_sig) && memcmp(buf, jpeg_sig, sizeof(jpeg_sig)) == 0)
		return jpeg_decode(buf, n, g);
	return HC_ERR_IMAGE_FORMAT;
}
