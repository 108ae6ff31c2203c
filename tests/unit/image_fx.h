/* image_fx.h: what the t_image* tests share: a temporary directory,
 * QR texts made from numbers, PNGs read and written with libpng
 * independently of the scanner, and the check of a scan. */
#ifndef IMAGE_FX_H
#define IMAGE_FX_H

#include <stddef.h>
#include <stdint.h>

/* The kinds of PNG save_png writes. */
enum { K_GRAY8, K_RGBA, K_GRAY1_ADAM7, K_RGB16 };

/* The test's temporary directory (t_tmpdir), and name in it, in buf. */
extern char dir[256];
const char *tp(char *buf, size_t n, const char *name);
/* "hc:/" and ndigits digits made of the pairs 00..77, starting at pair k. */
char *mk_text(size_t ndigits, unsigned k);
/* The bytes of the file at path (malloc'd), or NULL. */
uint8_t *slurp(const char *path, size_t *n);
/* Pixels of a PNG through libpng's simplified API, independent of scan_decode.c. */
uint8_t *load_gray(const char *path, unsigned *w, unsigned *h);
/* Writes 8-bit gray pixels as a PNG of the given kind (low-level libpng). */
void save_png(const char *path, const uint8_t *pix, unsigned w, unsigned h, int kind);
/* Scans path and checks it holds exactly one QR code with text want. */
void expect_one(const char *path, const char *want);

#endif
