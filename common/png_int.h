/* png_int.h: the libpng error and warning handlers that qrimg.c (writing
 * a code's PNG) and scan_decode.c (reading one) both install. */
#ifndef HC_PNG_INT_H
#define HC_PNG_INT_H

#include <png.h>

/* Sets the detail "png: MSG" and returns to the caller's setjmp. */
void hc__png_error(png_structp png, png_const_charp msg);
/* Warnings change nothing: dropped. */
void hc__png_warning(png_structp png, png_const_charp msg);

#endif
