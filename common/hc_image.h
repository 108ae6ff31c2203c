/* hc_image.h: QR images: rendering (libqrencode, libpng) and scanning
 * (libpng, libjpeg, zbar). */
#ifndef HC_IMAGE_H
#define HC_IMAGE_H

#include <stdio.h>

#include "hc.h"

#define HC_QR_MAX_VERSION 22
/* Digits after "hc:/" that fit version HC_QR_MAX_VERSION at level M with
 * the two segments hc_qrimg_make uses (t_image checks it against
 * libqrencode). Lets the issuer check the size without building the
 * symbol. */
#define HC_QR_MAX_DIGITS 1856
#define HC_MAX_IMAGE_PIXELS ((uint64_t)8192 * 8192)

struct hc_qrimg;

/* Encodes QR text "PREFIX/DIGITS" (prefix up to and including the first
 * '/', then digits only) as two segments, byte mode then numeric mode, at
 * error-correction level M, smallest version that fits, data mask 1
 * (qrimg.c says why).
 * HC_ERR_QR_TOO_BIG past version HC_QR_MAX_VERSION. */
hc_err hc_qrimg_make(const char *text, struct hc_qrimg **out) HC_WUR;
void hc_qrimg_free(struct hc_qrimg *q);
int hc_qrimg_version(const struct hc_qrimg *q);
int hc_qrimg_width(const struct hc_qrimg *q); /* modules, without margin */
/* Writes a 1-bit grayscale PNG (black modules on white), scale pixels per
 * module, margin modules of quiet zone on every side, atomically. */
hc_err hc_qrimg_write_png(const struct hc_qrimg *q, const char *path, int scale,
			  int margin) HC_WUR;
hc_err hc_qrimg_write_svg(const struct hc_qrimg *q, const char *path, int margin) HC_WUR;
/* The same images in memory (malloc'd; the SVG NUL-terminated, *n
 * without the NUL). */
hc_err hc_qrimg_png(const struct hc_qrimg *q, int scale, int margin, uint8_t **out,
		    size_t *n) HC_WUR;
hc_err hc_qrimg_svg(const struct hc_qrimg *q, int margin, char **out, size_t *n) HC_WUR;
/* Draws the code on a UTF-8 terminal with half-block characters. */
hc_err hc_qrimg_print(const struct hc_qrimg *q, FILE *f, int margin) HC_WUR;

/* The QR codes found in an image. */
struct hc_scan {
	size_t n;
	char **texts; /* NUL-terminated; binary-safe lengths in lens */
	size_t *lens;
};
/* Loads a PNG or JPEG (recognised by its signature, at most
 * HC_MAX_IMAGE_FILE bytes and HC_MAX_IMAGE_PIXELS pixels) and scans it for
 * QR codes with zbar. HC_ERR_IMAGE_FORMAT for a file that is neither,
 * HC_ERR_IMAGE for a damaged one, HC_ERR_NO_QR when none is found,
 * HC_ERR_TOO_LARGE when it holds more than 16 (none is dropped silently).
 * Every code found is returned, in zbar's order. */
hc_err hc_scan_file(const char *path, struct hc_scan *out) HC_WUR;
hc_err hc_scan_mem(const uint8_t *buf, size_t n, struct hc_scan *out) HC_WUR;
/* The same on an 8-bit grayscale picture in memory (a video frame), w*h
 * bytes, rows packed; HC_ERR_TOO_LARGE past HC_MAX_IMAGE_PIXELS. */
hc_err hc_scan_gray(const uint8_t *pix, unsigned w, unsigned h, struct hc_scan *out) HC_WUR;
void hc_scan_clear(struct hc_scan *s);

/* A scanner kept across the frames of a camera or video: zbar's scanner
 * made once, the picture read where it is (rows stride bytes apart, at
 * least w; copied only when stride != w, at half size or for a region).
 * It remembers where the last frame's codes were: most frames are scanned
 * in part (see scan.c), every eighth whole. Results as hc_scan_gray. */
struct hc_scanner;
hc_err hc_scanner_new(struct hc_scanner **out) HC_WUR;
hc_err hc_scanner_gray(struct hc_scanner *s, const uint8_t *pix, unsigned w, unsigned h,
		       size_t stride, struct hc_scan *out) HC_WUR;
/* A PNG or JPEG file (as hc_scan_file) through the scanner. */
hc_err hc_scanner_file(struct hc_scanner *s, const char *path, struct hc_scan *out) HC_WUR;
void hc_scanner_free(struct hc_scanner *s);

#endif
