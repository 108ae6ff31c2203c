/* qrpng.c: qrpng OUT.png TEXT... writes each text as a QR code
 * (libqrencode, 8-bit mode, level L; 4 pixels a module, a quiet zone of 4
 * modules) side by side in one 8-bit gray PNG (libpng): for tests whose
 * codes hc-issue does not make, such as the chunks of a SMART Health Card
 * (shc:/I/N/...) in one frame. Exit 0, or 2 with a message. */
#include <png.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCALE 4
#define MARGIN 4
#define MAXQR 8

/* The codes side by side, w x h pixels, into f; 0 or -1. */
static int write_png(FILE *f, QRcode *const *qr, int n, int w, int h, png_bytep row)
{
	png_structp png;
	png_infop info = NULL;

	if (!(png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL)) ||
	    !(info = png_create_info_struct(png))) {
		png_destroy_write_struct(&png, &info);
		return -1;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -1;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < h; y++) {
		int x0 = 0;

		memset(row, 255, (size_t)w);
		for (int i = 0; i < n; i++) {
			int qw = qr[i]->width, my = y / SCALE - MARGIN;

			for (int x = 0; x < (qw + 2 * MARGIN) * SCALE; x++) {
				int mx = x / SCALE - MARGIN;

				if (my >= 0 && my < qw && mx >= 0 && mx < qw &&
				    (qr[i]->data[my * qw + mx] & 1))
					row[x0 + x] = 0;
			}
			x0 += (qw + 2 * MARGIN) * SCALE;
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

int main(int argc, char **argv)
{
	QRcode *qr[MAXQR] = { NULL };
	png_bytep row = NULL;
	FILE *f = NULL;
	int n = argc - 2, w = 0, h = 0, rc = 2;

	if (n < 1 || n > MAXQR) {
		fputs("usage: qrpng OUT.png TEXT... (1 to 8 texts)\n", stderr);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		int side;

		if (!(qr[i] = QRcode_encodeString8bit(argv[i + 2], 0, QR_ECLEVEL_L))) {
			perror("qrpng: QRcode_encodeString8bit");
			goto out;
		}
		side = (qr[i]->width + 2 * MARGIN) * SCALE;
		w += side;
		if (side > h)
			h = side;
	}
	if (!(f = fopen(argv[1], "wb"))) {
		perror(argv[1]);
		goto out;
	}
	if ((row = malloc((size_t)w)) && write_png(f, qr, n, w, h, row) == 0)
		rc = 0;
out:
	free(row);
	for (int i = 0; i < n; i++)
		QRcode_free(qr[i]);
	if (f && fclose(f) != 0)
		rc = 2;
	if (rc)
		fprintf(stderr, "qrpng: cannot write %s\n", argv[1]);
	return rc;
}
