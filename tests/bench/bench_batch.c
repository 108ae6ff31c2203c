/* bench_batch.c: `hc-verify batch` throughput and memory, and in-process
 * issuance speed. The limits come from the same run: `openssl speed
 * -multi NPROC ecdsap256` (sign/s and verify/s over all cores).
 *
 *   issue: claims -> JSON -> ES256 JWS -> QR text on one thread, per core,
 *          against OpenSSL's sign/s per core (target >= 0.7);
 *   single-code verify: µs per signature in this process, EVP_PKEY_verify
 *          against the key's precomputed table (common/ecverify.c), alone
 *          and in blocks;
 *   A:     200,000 distinct codes once each, records/s against OpenSSL's
 *          verify/s (target >= 2.0: the tables and blocks);
 *   B:     40,000 distinct codes x 5, shuffled, scan times spread over the
 *          validity: records/s against verify/s (target >= 6, the cache);
 *   C:     1,000,000 records (200,000 distinct x 5): peak resident memory
 *          against 64 MiB.
 *
 * Every record of A, B and C must pass (the report's pass == records), so
 * that real verifications are measured; otherwise the benchmark fails.
 *
 * Children are started by a small runner process forked before anything
 * big is allocated: Linux carries the RSS high-water mark of the address
 * space a process had before execve into its ru_maxrss, so hc-verify
 * forked straight from this (large) process would report our size.
 *
 * The harness (machine load, the runner, openssl speed, a run of hc-verify
 * batch) is in batch_fx.c.
 *
 * usage: bench_batch BUILD_DIR    (BENCH_KEEP=1 keeps the temp dir) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch_fx.h"
#include "hc_image.h"
#include "hc_policy.h"
#include "hc_sign.h"
#include "hc_token.h"

#define ATS 1795392000LL /* time of issue */
#define VALIDITY 86400LL
#define NCODES 200000u   /* distinct codes (A, C) */
#define NB_DISTINCT 40000u
#define DUP 5u
#define MEM_LIMIT_MIB 64.0
#define NPERSON 8 /* records per issuer */

static const struct {
	const char *iss, *name, *region, *key, *district;
} ISSUERS[3] = {
	{"https://hc.zj.example", "Zhejiang Health Commission", "330000", "zj.key", "330106"},
	{"https://hc.sh.example", "Shanghai Health Commission", "310000", "sh.key", "310104"},
	{"https://hc.gd.example", "Guangdong Health Commission", "440000", "gd.key", "440103"},
};
static const char *const NAMES[NPERSON] = {"张三", "李四", "王五",   "赵六",
					    "钱七", "孙八", "周九十", "吴晓明"};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void) /* xorshift64*: deterministic workloads */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* ---- issuing ---- */

struct issuer {
	struct hc_privkey *key;
	struct hc_pubkey *pub;
	struct hc_record *rec[NPERSON];
	char recjson[NPERSON][512];
};

/* GB 11643: 17 digits and the ISO 7064 MOD 11-2 check character. */
static void make_id(char out[19], const char *district, int k)
{
	static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	int sum = 0;

	snprintf(out, 19, "%s19%02d%02d%02d%03d", district, 60 + 4 * k, 1 + k, 1 + 3 * k,
		 100 + 7 * k);
	for (int i = 0; i < 17; i++)
		sum += (out[i] - '0') * w[i];
	out[17] = "10X98765432"[sum % 11];
	out[18] = '\0';
}

static void load_issuer(struct issuer *is, int which)
{
	char path[512], id[19];
	hc_err err;

	snprintf(path, sizeof(path), "%s/%s", W, ISSUERS[which].key);
	if ((err = hc_privkey_load(path, &is->key)) != HC_OK ||
	    (err = hc_privkey_public(is->key, &is->pub)) != HC_OK)
		die(path, err);
	for (int k = 0; k < NPERSON; k++) {
		make_id(id, ISSUERS[which].district, k);
		snprintf(is->recjson[k], sizeof(is->recjson[k]),
			 "{\"person\":{\"name\":\"%s\",\"id\":\"%s\"},"
			 "\"nat\":[{\"at\":%lld,\"result\":\"negative\",\"lab\":\"Lab %d\"}],"
			 "\"vaccinations\":[{\"at\":\"2021-05-01\",\"product\":\"BBIBP-CorV\",\"dose\":1},"
			 "{\"at\":\"2021-05-29\",\"product\":\"BBIBP-CorV\",\"dose\":2}],"
			 "\"travel\":[{\"region\":\"%s\",\"from\":\"2026-10-01\",\"to\":\"2026-10-03\"}],"
			 "\"flags\":[]}",
			 NAMES[k], id, ATS - 86400 + 600 * (long long)k, k, ISSUERS[which].district);
		if ((err = hc_record_parse(is->recjson[k], strlen(is->recjson[k]), &is->rec[k])) != HC_OK)
			die(is->recjson[k], err);
	}
}

/* A parsed record -> claims -> JSON -> signed token -> QR text. */
static hc_err issue(const struct issuer *is, const struct hc_policy *pol,
		    const struct hc_record *rec, int which, char *text, size_t textsz,
		    uint8_t jti[16])
{
	struct hc_claims c;
	char *claims = NULL, *tok = NULL;
	hc_err err;

	memset(&c, 0, sizeof(c));
	if ((err = hc_policy_apply(pol, rec, NULL, ATS, VALIDITY, &c)) != HC_OK)
		return err;
	snprintf(c.iss, sizeof(c.iss), "%s", ISSUERS[which].iss);
	if ((err = hc_random(jti, 16)) == HC_OK &&
	    (err = hc_b64u_encode(jti, 16, c.jti, sizeof(c.jti))) == HC_OK &&
	    (err = hc_claims_json(&c, &claims)) == HC_OK &&
	    (err = hc_jws_sign(is->key, true, (const uint8_t *)claims, strlen(claims), &tok)) == HC_OK)
		err = hc_qr_encode(HC_QR_PREFIX, tok, strlen(tok), text, textsz);
	free(claims);
	free(tok);
	return err;
}

/* Where one token's time goes: the ES256 signature and the DEFLATE of the
 * claims, each timed alone for half a second on the same thread. */
static void issue_breakdown(struct issuer *is, const struct hc_policy *pol, double per_token,
			    double sign_core)
{
	struct hc_claims c;
	char *claims = NULL, *tok = NULL;
	const char *dot;
	uint8_t sig[HC_SIG_LEN], *z;
	size_t zl;
	double t0, t, ts, tz;
	long n;
	hc_err err;

	memset(&c, 0, sizeof(c));
	if ((err = hc_policy_apply(pol, is->rec[0], NULL, ATS, VALIDITY, &c)) != HC_OK ||
	    (err = hc_claims_json(&c, &claims)) != HC_OK ||
	    (err = hc_jws_sign(is->key, true, (const uint8_t *)claims, strlen(claims), &tok)) != HC_OK)
		die("breakdown", err);
	dot = strrchr(tok, '.');
	for (n = 0, t0 = now(); (t = now() - t0) < 0.5; n++)
		if ((err = hc_es256_sign(is->key, (const uint8_t *)tok, (size_t)(dot - tok), sig)) !=
		    HC_OK)
			die("sign", err);
	ts = t / (double)n;
	for (n = 0, t0 = now(); (t = now() - t0) < 0.5; n++) {
		if ((err = hc_deflate((const uint8_t *)claims, strlen(claims), &z, &zl)) != HC_OK)
			die("deflate", err);
		free(z);
	}
	tz = t / (double)n;
	printf("  per token %.1f us: ES256 sign (SHA-256 + EVP_PKEY_sign) %.1f us (openssl speed: %.1f "
	       "us), zlib deflate of the %zu-byte claims %.1f us, the rest %.1f us\n",
	       per_token * 1e6, ts * 1e6, 1e6 / sign_core, strlen(claims), tz * 1e6,
	       (per_token - ts - tz) * 1e6);
	free(claims);
	free(tok);
}

/* What hc-issue does per record on top: parse the record, and verify the
 * signed token before handing it out. */
static hc_err issue_full(const struct issuer *is, const struct hc_policy *pol, int which, int k,
			 char *text, size_t textsz)
{
	struct hc_record *rec = NULL;
	struct hc_claims c, back;
	struct hc_jws j;
	uint8_t jti[16];
	char *claims = NULL, *tok = NULL;
	hc_err err;

	memset(&c, 0, sizeof(c));
	memset(&j, 0, sizeof(j));
	if ((err = hc_record_parse(is->recjson[k], strlen(is->recjson[k]), &rec)) != HC_OK ||
	    (err = hc_policy_apply(pol, rec, NULL, ATS, VALIDITY, &c)) != HC_OK)
		goto out;
	snprintf(c.iss, sizeof(c.iss), "%s", ISSUERS[which].iss);
	if ((err = hc_random(jti, 16)) != HC_OK ||
	    (err = hc_b64u_encode(jti, 16, c.jti, sizeof(c.jti))) != HC_OK ||
	    (err = hc_claims_json(&c, &claims)) != HC_OK ||
	    (err = hc_jws_sign(is->key, true, (const uint8_t *)claims, strlen(claims), &tok)) != HC_OK ||
	    (err = hc_jws_parse(tok, strlen(tok), HC_MAX_TOKEN, true, HC_MAX_INFLATED, &j)) != HC_OK ||
	    (err = hc_jws_verify(&j, tok, is->pub)) != HC_OK ||
	    (err = hc_claims_parse((const char *)j.payload, j.payload_len, &back)) != HC_OK)
		goto out;
	err = hc_qr_encode(HC_QR_PREFIX, tok, strlen(tok), text, textsz);
out:
	hc_jws_clear(&j);
	free(claims);
	free(tok);
	hc_record_free(rec);
	return err;
}

/* PNG files per second written into dir for secs seconds. */
static double png_rate(const char *dir, char *const *codes, double secs, bool show)
{
	char path[512];
	double t0, t;
	int n = 0;
	hc_err err;

	for (t0 = now(); (t = now() - t0) < secs; n++) {
		struct hc_qrimg *q = NULL;

		snprintf(path, sizeof(path), "%s/%02d.png", dir, n % 64);
		if ((err = hc_qrimg_make(codes[n % NCODES], &q)) != HC_OK ||
		    (err = hc_qrimg_write_png(q, path, 6, 4)) != HC_OK)
			die("png", err);
		if (show && n == 0)
			printf("  QR version %d, %d modules\n", hc_qrimg_version(q), hc_qrimg_width(q));
		hc_qrimg_free(q);
	}
	return n / t;
}

static int cmp_jti(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* ---- workloads ---- */

/* Writes n records, record i being codes[idx ? idx[i] : i] scanned at ATS +
 * 3600 (spread: anywhere inside the validity). Returns the file size. */
static size_t write_records(const char *path, char *const *codes, const uint32_t *idx, size_t n,
			    bool spread)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "w");
	long size;

	if (!f) {
		perror(path);
		exit(2);
	}
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	for (size_t i = 0; i < n; i++) {
		long long at = spread ? ATS + 60 + (long long)(rng() % (uint64_t)(VALIDITY - 120))
				      : ATS + 3600;

		fputs("{\"code\":\"", f);
		fputs(codes[idx ? idx[i] : i], f);
		fprintf(f, "\",\"at\":%lld,\"checkpoint\":\"cp-%u\"}\n", at, (unsigned)(i % 97));
	}
	if (fflush(f) != 0 || (size = ftell(f)) < 0 || fclose(f) != 0) {
		fprintf(stderr, "bench_batch: %s: write error\n", path);
		exit(2);
	}
	return (size_t)size;
}

/* idx[i] = i % distinct for n records, shuffled (Fisher-Yates). */
static uint32_t *shuffled(size_t n, uint32_t distinct)
{
	uint32_t *idx = malloc(n * sizeof(*idx));

	if (!idx)
		exit(2);
	for (size_t i = 0; i < n; i++)
		idx[i] = (uint32_t)(i % distinct);
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(rng() % (i + 1));
		uint32_t t = idx[i];

		idx[i] = idx[j];
		idx[j] = t;
	}
	return idx;
}

/* Single-code signature verification in this process, µs per signature:
 * EVP_PKEY_verify (the path of hc_es256_verify_digest without a table),
 * the key's table one at a time, and in blocks of HC_EC_BLOCK (as batch
 * verification does it), over the same NVSIG signatures; each verdict
 * must be a pass. */
#define NVSIG 1024
static void single_verify(struct issuer *is)
{
	static uint8_t dg[NVSIG][32], sg[NVSIG][HC_SIG_LEN];
	struct hc_verctx *v = NULL;
	const struct hc_ectab *tab;
	hc_err res[HC_EC_BLOCK];
	double t0, evp, one, blk, build;
	hc_err err;

	for (int i = 0; i < NVSIG; i++) {
		uint8_t msg[16] = {(uint8_t)i, (uint8_t)(i >> 8), 'b', 'e', 'n', 'c', 'h'};

		if ((err = hc_sha256(msg, sizeof(msg), dg[i])) != HC_OK ||
		    (err = hc_es256_sign(is->key, msg, sizeof(msg), sg[i])) != HC_OK)
			die("sign", err);
	}
	t0 = now();
	if ((err = hc_verctx_new(is->pub, &v)) != HC_OK || !(tab = hc_pubkey_table(is->pub)))
		die("verification context", err);
	build = now() - t0;
	t0 = now();
	for (int i = 0; i < NVSIG; i++)
		if ((err = hc_es256_verify_digest_evp(v, dg[i], sg[i])) != HC_OK)
			die("EVP verify", err);
	evp = (now() - t0) / NVSIG * 1e6;
	t0 = now();
	for (int i = 0; i < NVSIG; i++)
		if ((err = hc_ectab_verify(tab, 1, &dg[i], &sg[i], res)) != HC_OK || res[0] != HC_OK)
			die("table verify", err != HC_OK ? err : res[0]);
	one = (now() - t0) / NVSIG * 1e6;
	t0 = now();
	for (int i = 0; i < NVSIG; i += HC_EC_BLOCK) {
		if ((err = hc_ectab_verify(tab, HC_EC_BLOCK, &dg[i], &sg[i], res)) != HC_OK)
			die("block verify", err);
		for (int j = 0; j < HC_EC_BLOCK; j++)
			if (res[j] != HC_OK)
				die("block verify", res[j]);
	}
	blk = (now() - t0) / NVSIG * 1e6;
	printf("single-code ES256 verify, 1 thread, %d signatures: EVP_PKEY_verify %.1f us; key's "
	       "table %.1f us (ratio %.2f), in blocks of %d %.1f us (ratio %.2f); table built in "
	       "%.1f ms\n",
	       NVSIG, evp, one, evp / one, HC_EC_BLOCK, blk, evp / blk, build * 1e3);
	hc_verctx_free(v);
}

int main(int argc, char **argv)
{
	static struct issuer is[3];
	static uint8_t (*jtis)[16];
	char **codes;
	char cmd[16384], path[512], text[HC_MAX_QR_TEXT + 8], ver[256];
	struct hc_policy *pol = NULL;
	double sign, verify, sign_core, verify_core, t0, t, rate, other, one_core;
	struct load l;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t total = 0, sz_a, sz_b, sz_c;
	uint32_t *idx_b, *idx_c;
	struct batch ba, bb, bc;
	bool ok = true;
	hc_err err;
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_batch BUILD_DIR\n");
		return 2;
	}
	runner_start(); /* first: while this process is still small */
	if (!realpath(argv[1], B) || ncpu < 1)
		return 2;
	snprintf(W, sizeof(W), "/tmp/hc-bench-batch.XXXXXX");
	if (!mkdtemp(W))
		return 2;

	openssl_speed(ncpu, &sign, &verify, &other, ver, sizeof(ver));
	one_core = 1.0 / (double)ncpu + 0.05;
	sign_core = sign / (double)ncpu;
	verify_core = verify / (double)ncpu;
	printf("hc-verify batch / issuance: nproc %ld, %s\n", ncpu, ver);
	printf("openssl speed -multi %ld ecdsap256: %.1f sign/s, %.1f verify/s (%.0f and %.0f per "
	       "core)\n",
	       ncpu, sign, verify, sign_core, verify_core);
	note_load(other, 0.9);

	/* Root, three issuers, a trust list naming them. */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && K=%s/hc-keys && $K gen root.key >/dev/null && $K gen zj.key >/dev/null"
		 " && $K gen sh.key >/dev/null && $K gen gd.key >/dev/null"
		 " && mkdir -p trust/roots png && $K pub root.key > trust/roots/r.jwk"
		 " && printf '{\"seq\":1,\"iat\":1795300000,\"next_update\":1800000000,\"issuers\":["
		 "{\"iss\":\"%s\",\"name\":\"%s\",\"region\":\"%s\",\"keys\":[%%s]},"
		 "{\"iss\":\"%s\",\"name\":\"%s\",\"region\":\"%s\",\"keys\":[%%s]},"
		 "{\"iss\":\"%s\",\"name\":\"%s\",\"region\":\"%s\",\"keys\":[%%s]}]}'"
		 " \"$($K pub --status active zj.key)\" \"$($K pub --status active sh.key)\""
		 " \"$($K pub --status active gd.key)\" > tl.json"
		 " && $K trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null",
		 W, B, ISSUERS[0].iss, ISSUERS[0].name, ISSUERS[0].region, ISSUERS[1].iss,
		 ISSUERS[1].name, ISSUERS[1].region, ISSUERS[2].iss, ISSUERS[2].name,
		 ISSUERS[2].region);
	sh(cmd);
	for (int i = 0; i < 3; i++)
		load_issuer(&is[i], i);
	load_snap(&l);
	single_verify(&is[0]);
	note_load(load_other(&l, 0), one_core);
	if ((err = hc_policy_default(&pol)) != HC_OK)
		die("policy", err);

	/* Issue NCODES distinct codes on this one thread. */
	codes = calloc(NCODES, sizeof(*codes));
	jtis = calloc(NCODES, sizeof(*jtis));
	if (!codes || !jtis) {
		free(codes), free(jtis);
		return 2;
	}
	load_snap(&l);
	t0 = now();
	for (uint32_t i = 0; i < NCODES; i++) {
		int which = (int)(i % 3), k = (int)((i / 3) % NPERSON);

		if ((err = issue(&is[which], pol, is[which].rec[k], which, text, sizeof(text), jtis[i])) !=
		    HC_OK)
			die("issue", err);
		if (!(codes[i] = strdup(text)))
			die("strdup", HC_ERR_NOMEM);
		total += strlen(text);
	}
	t = now() - t0;
	other = load_other(&l, 0);
	rate = NCODES / t;
	qsort(jtis, NCODES, sizeof(*jtis), cmp_jti);
	for (uint32_t i = 1; i < NCODES; i++)
		if (memcmp(jtis[i - 1], jtis[i], 16) == 0) {
			fprintf(stderr, "bench_batch: duplicate jti\n");
			return 2;
		}
	printf("setup: 3 issuers (330000, 310000, 440000), %u distinct codes, %.0f bytes of QR text "
	       "each on average\n",
	       NCODES, (double)total / NCODES);
	printf("issue (policy -> claims JSON -> ES256 JWS -> QR text), 1 thread  %.0f tokens/s per "
	       "core (%.2f s)   limit %.0f sign/s per core (openssl)   ratio %.2f   target >= 0.7%s\n",
	       rate, t, sign_core, rate / sign_core, rate / sign_core >= 0.7 ? "" : "  MISSED");
	note_load(other, one_core);
	issue_breakdown(&is[0], pol, 1.0 / rate, sign_core);

	/* hc-issue's whole per-record path, for comparison: parse, sign,
	 * self-verify. Its limit is one sign plus one verify per code. */
	n = 0;
	for (t0 = now(); (t = now() - t0) < 1.0; n++)
		if ((err = issue_full(&is[n % 3], pol, n % 3, n % NPERSON, text, sizeof(text))) != HC_OK)
			die("issue (full)", err);
	rate = n / t;
	{
		double lim = 1.0 / (1.0 / sign_core + 1.0 / verify_core);

		printf("issue as hc-issue does (+ record parse, self-verify), 1 thread  %.0f tokens/s per "
		       "core   limit %.0f sign+verify/s per core (openssl)   ratio %.2f\n",
		       rate, lim, rate / lim);
	}

	/* PNG rendering as hc-issue --png does it (hc_qrimg_write_png writes a
	 * temp file, fsyncs, renames): into tmpfs, where fsync is free, for
	 * the rendering itself, and into the temp dir on disk. */
	{
		char shm[64] = "/dev/shm/hc-bench-png.XXXXXX";
		bool have_shm = access("/dev/shm", W_OK) == 0 && mkdtemp(shm);

		snprintf(path, sizeof(path), "%s/png", W);
		if (have_shm) {
			rate = png_rate(shm, codes, 1.5, true);
			printf("PNG render (hc_qrimg_make + hc_qrimg_write_png, scale 6, tmpfs), 1 thread  "
			       "%.0f PNG/s per core   limit %.0f sign/s per core (openssl)   ratio %.2f\n",
			       rate, sign_core, rate / sign_core);
			snprintf(cmd, sizeof(cmd), "rm -rf %s", shm);
			sh(cmd);
		}
		rate = png_rate(path, codes, 1.5, !have_shm);
		printf("PNG to disk (the same, fsync'd file in %s), 1 thread  %.0f PNG/s per core   "
		       "limit %.0f sign/s per core (openssl)   ratio %.3f\n",
		       W, rate, sign_core, rate / sign_core);
	}
	fflush(stdout);

	/* The three workloads. */
	t0 = now();
	snprintf(path, sizeof(path), "%s/A.jsonl", W);
	sz_a = write_records(path, codes, NULL, NCODES, false);
	idx_b = shuffled((size_t)NB_DISTINCT * DUP, NB_DISTINCT);
	snprintf(path, sizeof(path), "%s/B.jsonl", W);
	sz_b = write_records(path, codes, idx_b, (size_t)NB_DISTINCT * DUP, true);
	idx_c = shuffled((size_t)NCODES * DUP, NCODES);
	snprintf(path, sizeof(path), "%s/C.jsonl", W);
	sz_c = write_records(path, codes, idx_c, (size_t)NCODES * DUP, true);
	printf("workloads written in %.1f s: A %u records (%.0f MiB), B %u (%.0f MiB), C %u (%.0f "
	       "MiB)\n",
	       now() - t0, NCODES, (double)sz_a / 1048576.0, NB_DISTINCT * DUP,
	       (double)sz_b / 1048576.0, NCODES * DUP, (double)sz_c / 1048576.0);
	free(idx_b);
	free(idx_c);
	for (uint32_t i = 0; i < NCODES; i++)
		free(codes[i]);
	free(codes);
	free(jtis);
	fflush(stdout);

	printf("hc-verify batch --trust DIR --in FILE --out /dev/null --report R (default threads)\n");
	fflush(stdout);
	if (run_batch("A", NCODES, &ba))
		print_rate("A: 200000 distinct codes, once each", NCODES, &ba, verify, 2.0);
	else
		ok = false;
	fflush(stdout);
	if (run_batch("B", (size_t)NB_DISTINCT * DUP, &bb))
		print_rate("B: 40000 distinct codes x 5, shuffled", (size_t)NB_DISTINCT * DUP, &bb,
			   verify, 6.0);
	else
		ok = false;
	fflush(stdout);
	if (run_batch("C", (size_t)NCODES * DUP, &bc)) {
		double mib = (double)bc.r.ru.ru_maxrss / 1024.0;

		print_rate("C: 200000 distinct codes x 5, shuffled", (size_t)NCODES * DUP, &bc, verify,
			   0);
		printf("C: 1000000 records, peak resident memory  %.1f MiB   limit %.0f MiB   ratio "
		       "%.2f%s\n",
		       mib, MEM_LIMIT_MIB, mib / MEM_LIMIT_MIB, mib <= MEM_LIMIT_MIB ? "" : "  MISSED");
	} else
		ok = false;

	runner_stop();
	for (int i = 0; i < 3; i++) {
		for (int k = 0; k < NPERSON; k++)
			hc_record_free(is[i].rec[k]);
		hc_pubkey_free(is[i].pub);
		hc_privkey_free(is[i].key);
	}
	hc_policy_free(pol);
	if (getenv("BENCH_KEEP") || !ok)
		printf("kept %s\n", W);
	else {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", W);
		sh(cmd);
	}
	if (noisy)
		printf("note: the machine was not idle during some measurements (WARNING lines); rerun "
		       "on a quiet machine for figures to compare\n");
	if (!ok)
		fprintf(stderr, "bench_batch: FAILED: not every record was verified and passed\n");
	return ok ? 0 : 1;
}
