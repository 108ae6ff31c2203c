/* scan.c: finds QR codes in pictures with zbar: an image file or a gray
 * picture once (hc_scan_*), or the frames of a camera (hc_scanner_*, in
 * part where it can). PNG and JPEG are decoded in scan_decode.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl_zbar.h"
#include "hc_image.h"
#include "scan_int.h"

#define SCAN_MAX_SYMBOLS 16
#define HC_SCAN_HALF_PIXELS ((uint64_t)1280 * 720) /* scanned at half size first */
#define SCAN_FULL_EVERY 8              /* frames: a whole frame at full size */
#define SCAN_STEP 8                    /* pixels between the samples of a thumbnail */
#define SCAN_STEP_DIFF 64              /* a sample changed by more has changed */
#define SCAN_STEP_MOVED 4              /* samples changed: something came into view */

/* ---- zbar ---- */

/* A rectangle of a picture, x0 and y0 included, x1 and y1 not. */
struct rect {
	unsigned x0, y0, x1, y1;
};

struct hc_scanner {
	zbar_image_scanner_t *sc;
	uint8_t *buf; /* a packed copy: at half size, of a region, or of padded rows */
	size_t cap;
	unsigned w, h;     /* the last frame's size */
	unsigned since;    /* frames since the last scan of a whole frame at full size */
	bool hit;          /* the last frame held codes, inside box */
	size_t whole_n;    /* codes found in the last whole frame scanned */
	struct rect box;
	uint8_t *thumb;    /* every SCAN_STEP-th pixel of the last whole frame scanned */
	size_t tcap;
	unsigned tw, th;
};

static zbar_image_scanner_t *qr_scanner(void)
{
	zbar_image_scanner_t *sc = sym_zbar_image_scanner_create();

	if (sc && (sym_zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_ENABLE, 0) != 0 ||
		   sym_zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1) != 0)) {
		sym_zbar_image_scanner_destroy(sc);
		sc = NULL;
	}
	return sc;
}

/* Widens *b (in the scanned picture's pixels) to hold the corners zbar
 * gives for sym. */
static void sym_box(const zbar_symbol_t *sym, struct rect *b, bool *any)
{
	unsigned n = sym_zbar_symbol_get_loc_size(sym);

	for (unsigned i = 0; i < n; i++) {
		int x = sym_zbar_symbol_get_loc_x(sym, i), y = sym_zbar_symbol_get_loc_y(sym, i);

		if (x < 0 || y < 0)
			continue;
		if (!*any) {
			*b = (struct rect){ (unsigned)x, (unsigned)y, (unsigned)x + 1, (unsigned)y + 1 };
			*any = true;
			continue;
		}
		b->x0 = (unsigned)x < b->x0 ? (unsigned)x : b->x0;
		b->y0 = (unsigned)y < b->y0 ? (unsigned)y : b->y0;
		b->x1 = (unsigned)x + 1 > b->x1 ? (unsigned)x + 1 : b->x1;
		b->y1 = (unsigned)y + 1 > b->y1 ? (unsigned)y + 1 : b->y1;
	}
}

/* Scans zi with sc and copies out the QR codes found; every line too
 * (after every second one) when all_lines. The box the codes' corners
 * span goes to *box (*any false when zbar gave none). */
static hc_err zbar_run(zbar_image_scanner_t *sc, zbar_image_t *zi, bool all_lines,
		       struct hc_scan *out, struct rect *box, bool *any)
{
	const zbar_symbol_t *sym;
	size_t k = 0;
	hc_err err = HC_ERR_NOMEM;

	*any = false;
	/* Every second row and column first: a third of the instructions on
	 * a code of 6 pixels a module (the work grows with the scan lines
	 * that cross a finder pattern). An image where that finds nothing,
	 * such as most codes of 2 pixels a module, is scanned again at every
	 * row and column. (Every third line finds no code at all: zbar's QR
	 * finder wants more lines across each finder pattern.) */
	for (int density = 2; density >= (all_lines ? 1 : 2); density--) {
		int r;

		if (sym_zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_X_DENSITY, density) != 0 ||
		    sym_zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_Y_DENSITY, density) != 0 ||
		    (r = sym_zbar_scan_image(sc, zi)) < 0)
			return HC_ERR_IMAGE;
		if (r > 0)
			break;
	}
	for (sym = sym_zbar_image_first_symbol(zi); sym; sym = sym_zbar_symbol_next(sym))
		if (sym_zbar_symbol_get_type(sym) == ZBAR_QRCODE)
			k++;
	if (k == 0)
		return HC_ERR_NO_QR;
	/* Every code found is verified and reported, so none may be dropped. */
	if (k > SCAN_MAX_SYMBOLS) {
		hc_set_detail("the image holds %zu QR codes, more than %d", k, SCAN_MAX_SYMBOLS);
		return HC_ERR_TOO_LARGE;
	}
	if (!(out->texts = calloc(k, sizeof(*out->texts))) ||
	    !(out->lens = calloc(k, sizeof(*out->lens))))
		goto out;
	for (sym = sym_zbar_image_first_symbol(zi); sym && out->n < k; sym = sym_zbar_symbol_next(sym)) {
		const char *d = sym_zbar_symbol_get_data(sym);
		size_t len = sym_zbar_symbol_get_data_length(sym);
		char *t;

		if (sym_zbar_symbol_get_type(sym) != ZBAR_QRCODE)
			continue;
		if (!d || !(t = malloc(len + 1)))
			goto out;
		memcpy(t, d, len);
		t[len] = '\0';
		out->texts[out->n] = t;
		out->lens[out->n] = len;
		out->n++;
		sym_box(sym, box, any);
	}
	err = HC_OK;
out:
	if (err != HC_OK)
		hc_scan_clear(out);
	return err;
}

static unsigned gcd(unsigned a, unsigned b)
{
	while (b) {
		unsigned t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* The factor by which g can be shrunk without changing what it shows:
 * software writes a QR image as squares of s x s pixels of one value (a
 * module at scale s) from its top-left corner, so every change between
 * neighbouring pixels lies at a multiple of s. Returns k >= 2 such that
 * k divides s, s / k >= 3 (zbar wants three pixels a module or more),
 * and k divides both sides; else 1 (any photograph: its first rows end
 * the search). One comparison of each row with the one above, and a
 * pass along the rows that differ from theirs. */
static unsigned shrink_factor(const struct gray *g)
{
	unsigned f = 0, k = 1;

	for (unsigned y = 0; y < g->h; y++) {
		const uint8_t *row = g->pix + (size_t)g->w * y;

		if (y > 0) {
			if (memcmp(row, row - g->w, g->w) == 0)
				continue;
			if ((f = gcd(f, y)) < 6)
				return 1;
		}
		for (unsigned x = 1; x < g->w; x++)
			if (row[x] != row[x - 1] && (f = gcd(f, x)) < 6)
				return 1;
	}
	for (unsigned d = 2; d <= f / 3; d++)
		if (f % d == 0 && g->w % d == 0 && g->h % d == 0)
			k = d;
	return k;
}

/* Scans g for QR codes; takes ownership of g->pix. An image of squares
 * (shrink_factor) is scanned first at its smaller size, with the same
 * content in a fraction of the pixels (a code of six pixels a module: a
 * quarter of zbar's work); if that finds no code, at its own. */
static hc_err zbar_find(struct gray *g, struct hc_scan *out)
{
	zbar_image_scanner_t *sc = NULL;
	zbar_image_t *zi = NULL;
	uint8_t *small = NULL;
	struct rect box;
	unsigned k;
	bool any;
	hc_err err;

	if ((err = hc_dl_zbar()) != HC_OK)
		return err;
	err = HC_ERR_NOMEM;
	if (!(sc = qr_scanner()))
		goto out;
	if ((k = shrink_factor(g)) > 1 && g->w >= k && g->h >= k) {
		unsigned sw = g->w / k, sh = g->h / k;

		if (!(small = malloc((size_t)sw * sh)) || !(zi = sym_zbar_image_create()))
			goto out;
		for (unsigned y = 0; y < sh; y++)
			for (unsigned x = 0; x < sw; x++)
				small[(size_t)sw * y + x] = g->pix[(size_t)g->w * y * k + (size_t)x * k];
		sym_zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
		sym_zbar_image_set_size(zi, sw, sh);
		sym_zbar_image_set_data(zi, small, (unsigned long)sw * sh, NULL);
		err = zbar_run(sc, zi, true, out, &box, &any);
		sym_zbar_image_destroy(zi);
		zi = NULL;
		if (err != HC_ERR_NO_QR)
			goto out;
		err = HC_ERR_NOMEM;
	}
	if (!(zi = sym_zbar_image_create()))
		goto out;
	sym_zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
	sym_zbar_image_set_size(zi, g->w, g->h);
	/* zbar frees the pixels when it is done with the image. */
	sym_zbar_image_set_data(zi, g->pix, (unsigned long)g->w * g->h, sym_zbar_image_free_data);
	g->pix = NULL;
	err = zbar_run(sc, zi, true, out, &box, &any);
out:
	if (zi)
		sym_zbar_image_destroy(zi);
	if (sc)
		sym_zbar_image_scanner_destroy(sc);
	free(small);
	return err;
}

hc_err hc_scanner_new(struct hc_scanner **out)
{
	struct hc_scanner *s;
	hc_err err;

	if (!out)
		return HC_ERR_INVALID_ARG;
	*out = NULL;
	if ((err = hc_dl_zbar()) != HC_OK)
		return err;
	if (!(s = calloc(1, sizeof(*s))))
		return HC_ERR_NOMEM;
	if (!(s->sc = qr_scanner())) {
		free(s);
		return HC_ERR_NOMEM;
	}
	*out = s;
	return HC_OK;
}

void hc_scanner_free(struct hc_scanner *s)
{
	if (!s)
		return;
	sym_zbar_image_scanner_destroy(s->sc);
	free(s->buf);
	free(s->thumb);
	free(s);
}

/* Scans the region r of the picture (rows stride bytes apart), at half
 * its size (each 2x2 pixels averaged) when half, every line too when
 * all_lines. On a hit, s->box is where the codes are, in the picture's
 * pixels. */
static hc_err scan_pic(struct hc_scanner *s, const uint8_t *pix, size_t stride, struct rect r,
		       bool half, bool all_lines, struct hc_scan *out)
{
	unsigned w = r.x1 - r.x0, h = r.y1 - r.y0, sh = half ? 1 : 0;
	const uint8_t *p = pix + stride * r.y0 + r.x0;
	zbar_image_t *zi;
	struct rect b = { 0, 0, 0, 0 };
	bool any;
	hc_err err;

	w >>= sh;
	h >>= sh;
	if (w == 0 || h == 0)
		return HC_ERR_NO_QR;
	if (half || stride != w) { /* zbar takes packed rows only */
		size_t need = (size_t)w * h;
		const uint8_t *src = p;

		if (need > s->cap) {
			free(s->buf);
			s->cap = 0;
			if (!(s->buf = malloc(need)))
				return HC_ERR_NOMEM;
			s->cap = need;
		}
		for (unsigned y = 0; y < h; y++) {
			uint8_t *d = s->buf + (size_t)w * y;
			const uint8_t *a, *c;

			if (!half) {
				memcpy(d, src + stride * y, w);
				continue;
			}
			a = src + stride * 2 * y;
			c = a + stride;
			for (size_t x = 0; x < w; x++)
				d[x] = (uint8_t)((a[2 * x] + a[2 * x + 1] + c[2 * x] + c[2 * x + 1] + 2u) / 4u);
		}
		p = s->buf;
	}
	if (!(zi = sym_zbar_image_create()))
		return HC_ERR_NOMEM;
	sym_zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
	sym_zbar_image_set_size(zi, w, h);
	/* zbar only reads the pixels, and the image goes before they do. */
	sym_zbar_image_set_data(zi, p, (unsigned long)w * h, NULL);
	err = zbar_run(s->sc, zi, all_lines, out, &b, &any);
	sym_zbar_image_destroy(zi);
	if (err == HC_OK) {
		s->hit = any;
		s->box = (struct rect){ r.x0 + (b.x0 << sh), r.y0 + (b.y0 << sh),
					r.x0 + (b.x1 << sh), r.y0 + (b.y1 << sh) };
	}
	return err;
}

/* The box of the last hit, widened by m and clipped to w x h. */
static struct rect widen(const struct hc_scanner *s, unsigned m, unsigned w, unsigned h)
{
	struct rect b = s->box;

	/* zbar's corners lie in the picture; if one did not, x0 <= x1 and
	 * y0 <= y1 still hold after this. */
	b.x0 = b.x0 < w ? b.x0 : w;
	b.x1 = b.x1 < w ? b.x1 : w;
	b.y0 = b.y0 < h ? b.y0 : h;
	b.y1 = b.y1 < h ? b.y1 : h;
	b.x0 = b.x0 > m ? b.x0 - m : 0;
	b.y0 = b.y0 > m ? b.y0 - m : 0;
	b.x1 = b.x1 + m < w ? b.x1 + m : w;
	b.y1 = b.y1 + m < h ? b.y1 + m : h;
	return b;
}

/* Keeps every SCAN_STEP-th pixel of every SCAN_STEP-th row (a frame
 * scanned whole), to tell later frames whether anything came into view. */
static void thumb_take(struct hc_scanner *s, const uint8_t *pix, size_t stride, unsigned w,
		       unsigned h)
{
	size_t need = (size_t)(w / SCAN_STEP) * (h / SCAN_STEP);

	s->tw = s->th = 0;
	if (need > s->tcap) {
		free(s->thumb);
		s->tcap = 0;
		if (!(s->thumb = malloc(need)))
			return; /* no thumbnail: every frame is scanned whole */
		s->tcap = need;
	}
	s->tw = w / SCAN_STEP;
	s->th = h / SCAN_STEP;
	for (unsigned j = 0; j < s->th; j++) {
		const uint8_t *row = pix + stride * (SCAN_STEP * j + SCAN_STEP / 2) + SCAN_STEP / 2;

		for (unsigned i = 0; i < s->tw; i++)
			s->thumb[(size_t)s->tw * j + i] = row[(size_t)SCAN_STEP * i];
	}
}

/* Whether the picture outside g differs from the thumbnail in
 * SCAN_STEP_MOVED samples by more than camera noise does: a code of 21
 * modules at 2 pixels a module covers 25 samples, about half of them
 * dark modules. */
static bool moved_outside(const struct hc_scanner *s, const uint8_t *pix, size_t stride,
			  struct rect g)
{
	unsigned n = 0;

	if (s->tw == 0 || s->th == 0)
		return true;
	for (unsigned j = 0; j < s->th; j++) {
		unsigned y = SCAN_STEP * j + SCAN_STEP / 2;
		const uint8_t *row = pix + stride * y + SCAN_STEP / 2;
		const uint8_t *t = s->thumb + (size_t)s->tw * j;

		for (unsigned i = 0; i < s->tw; i++) {
			unsigned x = SCAN_STEP * i + SCAN_STEP / 2;
			int d = (int)row[(size_t)SCAN_STEP * i] - (int)t[i];

			if (y >= g.y0 && y < g.y1 && x >= g.x0 && x < g.x1)
				continue;
			if ((d > SCAN_STEP_DIFF || d < -SCAN_STEP_DIFF) && ++n >= SCAN_STEP_MOVED)
				return true;
		}
	}
	return false;
}

hc_err hc_scanner_gray(struct hc_scanner *s, const uint8_t *pix, unsigned w, unsigned h,
		       size_t stride, struct hc_scan *out)
{
	struct rect all = { 0, 0, w, h };
	hc_err err;

	if (!out)
		return HC_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	if (!s || !pix || stride < w)
		return HC_ERR_INVALID_ARG;
	if (!hc__pixels_ok(w, h))
		return HC_ERR_TOO_LARGE;
	if (w != s->w || h != s->h) {
		s->w = w;
		s->h = h;
		s->hit = false;
		s->since = SCAN_FULL_EVERY;
	}
	/* Most frames are first scanned in part. A picture of
	 * HC_SCAN_HALF_PIXELS or more is scanned at half size (zbar's work
	 * grows with the pixels; a code big enough to be read there costs a
	 * quarter as much). A smaller one is scanned where the last frame's
	 * codes were (the code stays where it was while it is shown), widened
	 * by an eighth of their size (they move), when nothing changed further
	 * out than three eighths since the last frame scanned whole (so that a
	 * code coming into view elsewhere is found in its first frame). Every
	 * SCAN_FULL_EVERY-th frame, the first, and every frame where the part
	 * holds no code, are scanned whole at their own size: a code that the
	 * part misses (too small at half size, or outside the region) is found
	 * there. */
	if (++s->since < SCAN_FULL_EVERY) {
		if ((uint64_t)w * h >= HC_SCAN_HALF_PIXELS) {
			err = scan_pic(s, pix, stride, all, true, false, out);
		} else if (s->hit) {
			unsigned side = s->box.x1 - s->box.x0 > s->box.y1 - s->box.y0 ?
						s->box.x1 - s->box.x0 : s->box.y1 - s->box.y0;
			struct rect r = widen(s, side / 8 + 8, w, h);

			/* A region of most of the picture saves little. */
			if ((uint64_t)(r.x1 - r.x0) * (r.y1 - r.y0) * 4 <= (uint64_t)w * h * 3 &&
			    !moved_outside(s, pix, stride, widen(s, side / 8 + side / 4 + 8, w, h)))
				err = scan_pic(s, pix, stride, r, false, true, out);
			else
				err = HC_ERR_NO_QR;
		} else {
			err = HC_ERR_NO_QR;
		}
		/* A part that holds fewer codes than the last whole frame may
		 * have missed one that is still in view (it would then count as
		 * gone, and be verified again when it is found): scan whole. */
		if (err == HC_OK && out->n < s->whole_n)
			hc_scan_clear(out);
		else if (err != HC_ERR_NO_QR)
			return err;
	}
	s->since = 0;
	s->hit = false;
	thumb_take(s, pix, stride, w, h);
	err = scan_pic(s, pix, stride, all, false, true, out);
	s->whole_n = err == HC_OK ? out->n : 0;
	return err;
}

hc_err hc_scan_mem(const uint8_t *buf, size_t n, struct hc_scan *out)
{
	struct gray g = { 0 };
	hc_err err;

	if (!out)
		return HC_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	if ((err = hc__image_decode(buf, n, &g)) == HC_OK)
		err = zbar_find(&g, out);
	free(g.pix);
	return err;
}

/* The image file at path (PNG or JPEG, at most HC_MAX_IMAGE_FILE bytes),
 * in gray. */
static hc_err file_decode(const char *path, struct gray *g)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	hc_err err;

	if ((err = hc_read_file(path, HC_MAX_IMAGE_FILE, &buf, &n)) != HC_OK)
		return err;
	err = hc__image_decode(buf, n, g);
	free(buf);
	return err;
}

hc_err hc_scanner_file(struct hc_scanner *s, const char *path, struct hc_scan *out)
{
	struct gray g = { 0 };
	hc_err err;

	if (!out)
		return HC_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	if (!s || !path)
		return HC_ERR_INVALID_ARG;
	if ((err = file_decode(path, &g)) == HC_OK)
		err = hc_scanner_gray(s, g.pix, g.w, g.h, g.w, out);
	free(g.pix);
	return err;
}

hc_err hc_scan_gray(const uint8_t *pix, unsigned w, unsigned h, struct hc_scan *out)
{
	struct gray g = {0};
	hc_err err;

	if (!out)
		return HC_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	if (!pix)
		return HC_ERR_INVALID_ARG;
	if (!hc__pixels_ok(w, h))
		return HC_ERR_TOO_LARGE;
	if (!(g.pix = malloc((size_t)w * h)))
		return HC_ERR_NOMEM;
	memcpy(g.pix, pix, (size_t)w * h);
	g.w = w;
	g.h = h;
	err = zbar_find(&g, out);
	free(g.pix);
	return err;
}

hc_err hc_scan_file(const char *path, struct hc_scan *out)
{
	struct gray g = { 0 };
	hc_err err;

	if (!out)
		return HC_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	if (!path)
		return HC_ERR_INVALID_ARG;
	if ((err = file_decode(path, &g)) == HC_OK)
		err = zbar_find(&g, out);
	free(g.pix);
	return err;
}

void hc_scan_clear(struct hc_scan *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; s->texts && i < s->n; i++)
		free(s->texts[i]);
	free(s->texts);
	free(s->lens);
	memset(s, 0, sizeof(*s));
}
