/* bench_scan.c: the checkpoint scanner's decoding, per camera frame, next
 * to zbar alone on the same frames in the same run, and against the
 * issue's targets (median 5 ms a frame at 640x480, 10 ms at 1280x720).
 *
 * The frames (tests/bench/scan_frames.sh): three issued codes on phone
 * screens, rotated and moving over a background, with blur and noise,
 * 100 frames a size (20 without a code), as the 8-bit Y plane a camera
 * or video decoder gives. Each frame is decoded by each path in turn
 * (alternating, so that both see the same machine), PASSES times; the
 * figure is the CPU time of this thread (one core), so that the other
 * work on a shared machine does not count. Printed: median and p99 ms a
 * frame, and the frames where a code was found.
 *
 *   zbar alone      one zbar image scanner (QR only) reused, each frame
 *                   scanned once at every row and column (zbarimg's way)
 *   hc_scan_gray    the one-shot call: the frame copied, a new scanner
 *   hc_scanner      the scanner's path (hc-verify scan --video/--camera):
 *                   most frames scanned in part (around the last frame's
 *                   codes, or at half size from 1280x720), every eighth
 *                   whole; the frames where zbar alone finds a code and
 *                   this path none are counted ("missed"; any: exit 1)
 *
 * usage: bench_scan BUILD_DIR    (BENCH_KEEP=1 keeps the temp dir;
 *        BENCH_SCAN_FRAMES=DIR uses the frames a kept dir holds) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dl_zbar.h"
#include "hc_image.h"

#define NFRAMES 100
#define PASSES 3
#define NS ((size_t)NFRAMES * PASSES)

static char W[256];
static int missed; /* frames a path of ours missed, over the run: exit 1 */

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_scan: %s\n", what);
	exit(2);
}

/* zbar alone: 1 when a QR code is found. */
static int zbar_alone(zbar_image_scanner_t *sc, const uint8_t *pix, unsigned w, unsigned h)
{
	zbar_image_t *zi = sym_zbar_image_create();
	int r;

	if (!zi)
		die("zbar_image_create");
	sym_zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
	sym_zbar_image_set_size(zi, w, h);
	sym_zbar_image_set_data(zi, pix, (unsigned long)w * h, NULL);
	r = sym_zbar_scan_image(sc, zi);
	sym_zbar_image_destroy(zi);
	if (r < 0)
		die("zbar_scan_image");
	return r > 0;
}

struct path {
	const char *name;
	double ms[NS];
	int found;  /* frames with a code, first pass */
	int missed; /* frames where zbar alone found a code and this path none */
};

static void report(const struct path *p, double target, int nframes)
{
	double v[NS], med, p99;

	memcpy(v, p->ms, sizeof(v));
	qsort(v, NS, sizeof(v[0]), cmp_d);
	med = v[NS / 2];
	p99 = v[(NS * 99) / 100];
	printf("  %-14s median %6.2f ms  p99 %6.2f ms  (median %.2fx the %.0f ms target)"
	       "  found in %d of %d frames, %d missed\n",
	       p->name, med, p99, med / target, target, p->found, nframes, p->missed);
}

static void bench(unsigned w, unsigned h, double target)
{
	char path[512];
	size_t fsz = (size_t)w * h;
	uint8_t *all;
	FILE *f;
	struct path *zb, *one, *st;
	zbar_image_scanner_t *sc;
	struct hc_scanner *hs;
	hc_err err;

	(void)snprintf(path, sizeof(path), "%s/f%ux%u.raw", W, w, h);
	if (!(all = malloc(fsz * NFRAMES)) || !(f = fopen(path, "rb")))
		die(path);
	if (fread(all, fsz, NFRAMES, f) != NFRAMES)
		die("short frame file");
	(void)fclose(f);
	if (!(zb = calloc(3, sizeof(*zb))))
		die("out of memory");
	one = zb + 1;
	st = zb + 2;
	zb->name = "zbar alone";
	one->name = "hc_scan_gray";
	st->name = "hc_scanner";
	if (!(sc = sym_zbar_image_scanner_create()) ||
	    sym_zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_ENABLE, 0) != 0 ||
	    sym_zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1) != 0)
		die("zbar scanner");
	if ((err = hc_scanner_new(&hs)) != HC_OK)
		die(hc_strerror(err));
	for (int pass = 0; pass < PASSES; pass++) {
		for (int i = 0; i < NFRAMES; i++) {
			const uint8_t *px = all + fsz * (size_t)i;
			struct hc_scan s;
			double t0;
			int k = pass * NFRAMES + i, z;

			t0 = cpu_ms();
			z = zbar_alone(sc, px, w, h);
			zb->ms[k] = cpu_ms() - t0;
			t0 = cpu_ms();
			err = hc_scan_gray(px, w, h, &s);
			one->ms[k] = cpu_ms() - t0;
			if (err != HC_OK && err != HC_ERR_NO_QR)
				die(hc_strerror(err));
			if (pass == 0) {
				zb->found += z;
				one->found += s.n > 0;
				one->missed += z && s.n == 0;
			}
			hc_scan_clear(&s);
			t0 = cpu_ms();
			err = hc_scanner_gray(hs, px, w, h, w, &s);
			st->ms[k] = cpu_ms() - t0;
			if (err != HC_OK && err != HC_ERR_NO_QR)
				die(hc_strerror(err));
			if (pass == 0) {
				st->found += s.n > 0;
				st->missed += z && s.n == 0;
			}
			hc_scan_clear(&s);
		}
	}
	printf("%ux%u, %d frames x %d passes, CPU ms a frame on one core:\n", w, h, NFRAMES, PASSES);
	report(zb, target, NFRAMES);
	report(one, target, NFRAMES);
	report(st, target, NFRAMES);
	missed += one->missed + st->missed;
	sym_zbar_image_scanner_destroy(sc);
	hc_scanner_free(hs);
	free(zb);
	free(all);
}

int main(int argc, char **argv)
{
	char cmd[1024];

	if (argc != 2)
		die("usage: bench_scan BUILD_DIR");
	if (hc_dl_zbar() != HC_OK)
		die("zbar cannot be loaded");
	if (getenv("BENCH_SCAN_FRAMES")) {
		(void)snprintf(W, sizeof(W), "%s", getenv("BENCH_SCAN_FRAMES"));
		bench(640, 480, 5.0);
		bench(1280, 720, 10.0);
		return missed > 0;
	}
	(void)snprintf(W, sizeof(W), "/tmp/hc-bench-scan.XXXXXX");
	if (!mkdtemp(W))
		die("mkdtemp");
	(void)snprintf(cmd, sizeof(cmd), "bash tests/bench/scan_frames.sh '%s' '%s'", argv[1], W);
	if (system(cmd) != 0)
		die("making the frames failed (tests/bench/scan_frames.sh)");
	bench(640, 480, 5.0);
	bench(1280, 720, 10.0);
	if (!getenv("BENCH_KEEP")) {
		(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", W);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_scan: cannot remove %s\n", W);
	} else {
		printf("frames kept in %s\n", W);
	}
	return missed > 0;
}
