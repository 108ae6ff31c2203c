/* scan_int.h: what scan.c (the zbar scans) and scan_decode.c (the PNG and
 * JPEG decoders) share. */
#ifndef HC_SCAN_INT_H
#define HC_SCAN_INT_H

#include "hc.h"

/* An 8-bit grayscale picture, one byte per pixel, rows packed. */
struct gray {
	uint8_t *pix;
	unsigned w, h;
};

/* Whether a picture of w x h pixels is within HC_MAX_IMAGE_PIXELS (and
 * not empty). */
bool hc__pixels_ok(unsigned long w, unsigned long h);
/* A PNG or JPEG in memory, in gray (g->pix to be freed). */
hc_err hc__image_decode(const uint8_t *buf, size_t n, struct gray *g);

#endif
