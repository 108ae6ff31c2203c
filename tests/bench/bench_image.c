/* bench_image.c: issuance images and a checkpoint's answer, each figure
 * next to its limit from the same run, as a ratio.
 *
 *   PNG issuance: `hc-issue --batch RECORDS --png-dir DIR` over 600
 *       records (examples/records.jsonl 100 times), codes per CPU second
 *       of the process (per core: the machine may be shared; signing,
 *       QR encoding, PNG and a file each, one syncfs for all), against
 *       the 3,000; and, in this process, what a code costs in QR
 *       encoding (libqrencode) and in PNG encoding apart, and how many of
 *       the codes zbar reads back from the batch's files and at 2 pixels
 *       a module.
 *   checkpoint: `hc-verify FILE.png --trust DIR` in a new process each
 *       time (trust loading, image decode, scan, verify), median of 50,
 *       against `zbarimg` on the same PNG in the same run (runs
 *       alternate), and against the 8 ms; with no revocation
 *       list and with a list of 10^6 entries (its index written by a
 *       first run), to show the start-up does not grow with the list.
 *
 * Wall times on a shared machine are rough: the CPU time of each child
 * (user + system, from wait4) is printed beside them.
 *
 * usage: bench_image BUILD_DIR    (BENCH_KEEP=1 keeps the temp dir) */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hc_image.h"
#include "hc_sign.h"

#define ISS "https://hc.zj.example"
#define AT "2026-11-23T08:00:00+08:00"
#define ATS "1795392000"
#define COPIES 100 /* of examples/records.jsonl */
#define RUNS 50
#define NREV 1000000u
#define TARGET_RATE 3000.0 /* codes per CPU second */
#define TARGET_MS 8.0

static char W[256], B[4096];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv(const struct timeval *t)
{
	return (double)t->tv_sec + (double)t->tv_usec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return v[n / 2];
}

static void sh(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_image: failed: %s\n", cmd);
		exit(2);
	}
}

static void die(const char *what, hc_err err)
{
	fprintf(stderr, "bench_image: %s: %s (%s)\n", what, hc_strerror(err), hc_detail());
	exit(2);
}

/* Runs argv with standard output to out (or /dev/null) and standard error
 * to /dev/null; *wall and *cpu receive its times. Its exit status. */
static int run(char *const argv[], const char *out, double *wall, double *cpu)
{
	struct rusage ru;
	double t0 = now();
	int st = 0;
	pid_t pid = fork();

	if (pid == -1)
		exit(2);
	if (pid == 0) {
		int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open("/dev/null", O_WRONLY);

		if (o == -1 || e == -1 || dup2(o, 1) == -1 || dup2(e, 2) == -1)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) != pid)
		exit(2);
	*wall = now() - t0;
	*cpu = tv(&ru.ru_utime) + tv(&ru.ru_stime);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* 1 if zbar finds exactly the code want in the PNG file (or buffer). */
static size_t read_back(const char *path, const uint8_t *buf, size_t n, const char *want)
{
	struct hc_scan sc = {0};
	hc_err err = path ? hc_scan_file(path, &sc) : hc_scan_mem(buf, n, &sc);
	size_t ok = err == HC_OK && sc.n == 1 && sc.lens[0] == strlen(want) &&
		    memcmp(sc.texts[0], want, sc.lens[0]) == 0;

	hc_scan_clear(&sc);
	return ok;
}

static void issuance(void)
{
	char recs[512], dir[512], out[512], key[512], risk[4200], cmd[9000], line[4096];
	char path[1024];
	char *argv[16];
	double wall, cpu, t_qr = 0, t_png = 0, t0;
	size_t ncodes = 0, bytes = 0, read6 = 0, read2 = 0;
	FILE *f;

	snprintf(recs, sizeof(recs), "%s/records.jsonl", W);
	snprintf(dir, sizeof(dir), "%s/png", W);
	snprintf(out, sizeof(out), "%s/codes.txt", W);
	snprintf(key, sizeof(key), "%s/is.key", W);
	snprintf(risk, sizeof(risk), "%s/../examples/risk-areas.json", B);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s && for i in $(seq %d); do cat %s/../examples/records.jsonl; done > %s",
		 dir, COPIES, B, recs);
	sh(cmd);
	snprintf(cmd, sizeof(cmd), "%s/hc-issue", B);
	argv[0] = cmd;
	argv[1] = "--key", argv[2] = key, argv[3] = "--iss", argv[4] = ISS;
	argv[5] = "--batch", argv[6] = recs, argv[7] = "--risk-areas", argv[8] = risk;
	argv[9] = "--at", argv[10] = AT, argv[11] = "--png-dir", argv[12] = dir;
	argv[13] = NULL;
	if (run(argv, out, &wall, &cpu) != 0) {
		fprintf(stderr, "bench_image: hc-issue --batch failed\n");
		exit(2);
	}
	/* The same codes again, in this process: QR encoding and PNG apart. */
	if (!(f = fopen(out, "r")))
		exit(2);
	while (fgets(line, sizeof(line), f)) {
		struct hc_qrimg *q = NULL;
		uint8_t *png = NULL;
		size_t n = 0;
		hc_err err;

		line[strcspn(line, "\n")] = '\0';
		t0 = now();
		if ((err = hc_qrimg_make(line, &q)) != HC_OK)
			die("qr", err);
		t_qr += now() - t0;
		t0 = now();
		if ((err = hc_qrimg_png(q, 6, 4, &png, &n)) != HC_OK)
			die("png", err);
		t_png += now() - t0;
		bytes += n;
		free(png);
		/* zbar reads every image back: the batch's file, and the same
		 * code at 2 pixels a module */
		snprintf(path, sizeof(path), "%s/%06zu.png", dir, ncodes + 1);
		read6 += read_back(path, NULL, 0, line);
		if ((err = hc_qrimg_png(q, 2, 4, &png, &n)) != HC_OK)
			die("png", err);
		read2 += read_back(NULL, png, n, line);
		free(png);
		hc_qrimg_free(q);
		ncodes++;
	}
	fclose(f);
	if (ncodes != (size_t)6 * COPIES) {
		fprintf(stderr, "bench_image: %zu codes, want %d\n", ncodes, 6 * COPIES);
		exit(2);
	}
	printf("PNG issuance (hc-issue --batch --png-dir, %zu codes, scale 6)\n", ncodes);
	printf("  %.0f codes per CPU second (%.2f s CPU, %.2f s wall)   target %.0f   ratio %.3f\n",
	       (double)ncodes / cpu, cpu, wall, TARGET_RATE, (double)ncodes / cpu / TARGET_RATE);
	printf("  in this process (wall): QR encoding %.0f us a code, PNG encoding in memory %.0f us "
	       "a code (%.0f bytes)\n",
	       t_qr / (double)ncodes * 1e6, t_png / (double)ncodes * 1e6,
	       (double)bytes / (double)ncodes);
	printf("  zbar reads back %zu of %zu files (scale 6) and %zu of %zu at scale 2\n", read6,
	       ncodes, read2, ncodes);
	printf("  QR encoding alone allows %.0f codes/s   ratio to target %.3f\n",
	       (double)ncodes / t_qr, (double)ncodes / t_qr / TARGET_RATE);
}

/* W/trust/revocations/330000.jws with n random entries. */
static void write_list(struct hc_privkey *k, size_t n)
{
	size_t cap = n * 64 + 16, len = 0, count;
	char *json = malloc(cap), *payload = NULL, *jws = NULL, path[512];
	hc_err err;

	if (!json)
		exit(2);
	json[len++] = '[';
	for (size_t i = 0; i < n; i++) {
		uint8_t jti[16];
		char b[32];

		if ((err = hc_random(jti, sizeof(jti))) != HC_OK ||
		    (err = hc_b64u_encode(jti, 16, b, sizeof(b))) != HC_OK)
			die("random", err);
		len += (size_t)snprintf(json + len, cap - len, "%s\"%s\"", i ? "," : "", b);
	}
	json[len++] = ']';
	if ((err = hc_revlist_build(ISS, 1, 1795392000LL - 3600, json, len, &payload, &count)) !=
		    HC_OK ||
	    (err = hc_jws_sign(k, false, (const uint8_t *)payload, strlen(payload), &jws)) != HC_OK)
		die("build list", err);
	snprintf(path, sizeof(path), "%s/trust/revocations/330000.jws", W);
	if ((err = hc_write_file_atomic(path, jws, strlen(jws), 0644)) != HC_OK)
		die(path, err);
	free(json);
	free(payload);
	free(jws);
}

static void checkpoint(const char *what)
{
	char v[4200], z[] = "/usr/bin/zbarimg", png[512], trust[512];
	char *va[] = {v, png, "--trust", trust, "--at", ATS, NULL};
	char *za[] = {z, "-q", "--raw", png, NULL};
	double vw[RUNS], vc[RUNS], zw[RUNS], zc[RUNS], mv, mz;

	snprintf(v, sizeof(v), "%s/hc-verify", B);
	snprintf(png, sizeof(png), "%s/png/000001.png", W);
	snprintf(trust, sizeof(trust), "%s/trust", W);
	if (run(va, NULL, &vw[0], &vc[0]) != 0) { /* writes the index */
		fprintf(stderr, "bench_image: hc-verify did not pass the code\n");
		exit(2);
	}
	for (int i = 0; i < RUNS; i++) {
		if (run(va, NULL, &vw[i], &vc[i]) != 0 || run(za, NULL, &zw[i], &zc[i]) != 0) {
			fprintf(stderr, "bench_image: hc-verify or zbarimg failed\n");
			exit(2);
		}
	}
	mv = median(vw, RUNS) * 1e3;
	mz = median(zw, RUNS) * 1e3;
	printf("one PNG to a verdict, whole process, %s (median of %d)\n", what, RUNS);
	printf("  hc-verify %.1f ms (CPU %.1f ms)   limit: zbarimg %.1f ms (CPU %.1f ms)   ratio "
	       "%.3f\n",
	       mv, median(vc, RUNS) * 1e3, mz, median(zc, RUNS) * 1e3, mv / mz);
	printf("  hc-verify %.1f ms   target %.0f ms   ratio %.3f\n", mv, TARGET_MS, mv / TARGET_MS);
}

int main(int argc, char **argv)
{
	struct hc_privkey *k = NULL;
	char cmd[16384], path[512];
	hc_err err;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_image BUILD_DIR\n");
		return 2;
	}
	(void)mallopt(M_TRIM_THRESHOLD, 16 << 20); /* as hc-issue: no page faults per image */
	if (!realpath(argv[1], B))
		return 2;
	snprintf(W, sizeof(W), "/tmp/hc-bench-image.XXXXXX");
	if (!mkdtemp(W))
		return 2;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && K=%s/hc-keys && $K gen root.key >/dev/null && $K gen is.key >/dev/null"
		 " && mkdir -p trust/roots trust/revocations && $K pub root.key > trust/roots/r.jwk"
		 " && printf '{\"seq\":1,\"iat\":1795300000,\"next_update\":1795500000,"
		 "\"issuers\":[{\"iss\":\"" ISS "\",\"name\":\"Bench\",\"region\":\"330000\","
		 "\"revocations\":\"revocations/330000.jws\",\"keys\":[%%s]}]}'"
		 " \"$($K pub --status active is.key)\" > tl.json"
		 " && $K trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null",
		 W, B);
	sh(cmd);
	issuance();
	checkpoint("no revocation list");
	snprintf(path, sizeof(path), "%s/is.key", W);
	if ((err = hc_privkey_load(path, &k)) != HC_OK)
		die(path, err);
	write_list(k, NREV);
	hc_privkey_free(k);
	checkpoint("a revocation list of 10^6 entries");
	if (getenv("BENCH_KEEP")) {
		printf("kept %s\n", W);
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", W);
	return system(cmd) == 0 ? 0 : 2;
}
