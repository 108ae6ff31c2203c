/* bench_trust.c: revocation lists of 10^4, 10^5 and 10^6 entries: load
 * time (read, verify, parse, index) and lookup time, and hc-verify's cold
 * start on one code with a 10^6-entry list. Each figure is printed next to
 * its limit from the same run: 1 s for loading and cold start (the issue's
 * "well under a second"), one in-process ES256 verification for a lookup.
 * usage: bench_trust BUILD_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hc_sign.h"
#include "trust_int.h"

#define ATS 1795392000LL
#define ISS "https://hc.bench.example"

static char W[256], B[4096];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
		fprintf(stderr, "bench_trust: failed: %s\n", cmd);
		exit(2);
	}
}

static void die(const char *what, hc_err err)
{
	fprintf(stderr, "bench_trust: %s: %s (%s)\n", what, hc_strerror(err), hc_detail());
	exit(2);
}

/* Writes W/trust/revocations/bench.jws with n random entries; keeps the
 * first 1000 jtis in probe[] (present) for the lookup run. */
static void write_list(struct hc_privkey *k, size_t n, uint8_t (*probe)[16])
{
	size_t cap = n * 64 + 16, len = 0;
	char *json = malloc(cap), *payload = NULL, *jws = NULL, path[512];
	size_t count;
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
		if (i < 1000)
			memcpy(probe[i], jti, 16);
		len += (size_t)snprintf(json + len, cap - len, "%s{\"jti\":\"%s\",\"at\":%lld}",
					i ? "," : "", b, ATS - 3600);
	}
	json[len++] = ']';
	if ((err = hc_revlist_build(ISS, 1, ATS - 3600, json, len, &payload, &count)) != HC_OK ||
	    (err = hc_jws_sign(k, false, (const uint8_t *)payload, strlen(payload), &jws)) != HC_OK)
		die("build list", err);
	snprintf(path, sizeof(path), "%s/trust/revocations/bench.jws", W);
	if ((err = hc_write_file_atomic(path, jws, strlen(jws), 0644)) != HC_OK)
		die(path, err);
	printf("  list file: %zu entries, %.1f MiB\n", count, (double)strlen(jws) / 1048576.0);
	free(json);
	free(payload);
	free(jws);
}

/* One ES256 verification of a real signature, as hc-verify does it. */
static double verify_time(const struct hc_privkey *k, const struct trust_issuer *is)
{
	uint8_t msg[64] = {0}, sig[HC_SIG_LEN];
	double t0;
	int n = 0;

	if (hc_es256_sign(k, msg, sizeof(msg), sig) != HC_OK)
		exit(2);
	for (t0 = now(); now() - t0 < 0.5; n++)
		if (hc_es256_verify(is->keys[0].k, msg, sizeof(msg), sig) != HC_OK)
			abort();
	return (now() - t0) / n;
}

int main(int argc, char **argv)
{
	static uint8_t probe[1000][16];
	static const size_t sizes[] = {10000, 100000, 1000000};
	struct hc_privkey *k = NULL;
	char path[512], qr[4096], cmd[16384];
	double es256 = 0;
	hc_err err;
	FILE *p;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_trust BUILD_DIR\n");
		return 2;
	}
	if (!realpath(argv[1], B))
		return 2;
	snprintf(W, sizeof(W), "/tmp/hc-bench.XXXXXX");
	if (!mkdtemp(W))
		return 2;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && K=%s/hc-keys && $K gen root.key >/dev/null && $K gen is.key >/dev/null"
		 " && mkdir -p trust/roots trust/revocations && $K pub root.key > trust/roots/r.jwk"
		 " && printf '{\"seq\":1,\"iat\":1795300000,\"next_update\":1795400000,"
		 "\"issuers\":[{\"iss\":\"" ISS "\",\"name\":\"Bench\",\"region\":\"330000\","
		 "\"keys\":[%%s]}]}' \"$($K pub --status active is.key)\" > tl.json"
		 " && $K trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null",
		 W, B);
	sh(cmd);
	snprintf(path, sizeof(path), "%s/is.key", W);
	if ((err = hc_privkey_load(path, &k)) != HC_OK)
		die(path, err);
	snprintf(cmd, sizeof(cmd),
		 "%s/hc-issue --key %s/is.key --iss " ISS " --record %s/../examples/green.json"
		 " --at %lld",
		 B, W, B, ATS);
	if (!(p = popen(cmd, "r")) || !fgets(qr, sizeof(qr), p) || pclose(p) != 0) {
		fprintf(stderr, "bench_trust: hc-issue failed\n");
		return 2;
	}
	qr[strcspn(qr, "\n")] = '\0';
	snprintf(path, sizeof(path), "%s/trust", W);
	printf("revocation lists (limit: load 1 s; lookup: one ES256 verify)\n");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		double load[5], t0, per, first;
		int runs = sizes[s] >= 1000000 ? 3 : 5;
		struct hc_trust *t = NULL;
		const struct trust_issuer *is;
		size_t hits = 0, lookups = 0;

		printf("%zu entries\n", sizes[s]);
		write_list(k, sizes[s], probe);
		/* The first load parses the JSON and writes the index beside
		 * the list; the later ones verify the signature and use it. */
		t0 = now();
		if ((err = hc_trust_load_ex(path, HC_TRUST_WRITE_INDEX, &t)) != HC_OK)
			die("load", err);
		first = now() - t0;
		hc_trust_free(t);
		for (int r = 0; r < runs; r++) {
			t0 = now();
			if ((err = hc_trust_load_ex(path, HC_TRUST_WRITE_INDEX, &t)) != HC_OK)
				die("load", err);
			load[r] = now() - t0;
			if (r + 1 < runs)
				hc_trust_free(t);
		}
		is = hc__trust_issuer(t, ISS);
		if (!es256)
			es256 = verify_time(k, is);
		t0 = now();
		for (int rep = 0; rep < 1000; rep++)
			for (int i = 0; i < 1000; i++, lookups++) {
				uint8_t q[16];

				memcpy(q, probe[i], 16);
				if (i & 1)
					q[15] ^= 0x5a; /* half absent */
				hits += hc__revoked(is, q) != NULL;
			}
		per = (now() - t0) / (double)lookups;
		printf("  first load (verify, parse JSON, write index) %8.3f ms   limit 1000 ms   "
		       "ratio %.3f\n",
		       first * 1e3, first);
		printf("  load (verify, use index) %8.3f ms (median of %d)   limit 1000 ms   ratio %.3f\n",
		       median(load, runs) * 1e3, runs, median(load, runs));
		printf("  lookup %8.1f ns (%zu lookups, %zu hits)   limit %.1f ns (ES256 verify)   ratio "
		       "%.5f\n",
		       per * 1e9, lookups, hits, es256 * 1e9, per / es256);
		hc_trust_free(t);
	}
	/* Cold start: a new process loads the trust directory with the 10^6
	 * list and verifies one code. */
	{
		double cold[5];

		snprintf(cmd, sizeof(cmd), "%s/hc-verify --trust %s/trust --at %lld --text '%s' >/dev/null",
			 B, W, ATS, qr);
		for (int r = 0; r < 5; r++) {
			double t0 = now();

			if (system(cmd) != 0) {
				fprintf(stderr, "bench_trust: hc-verify did not pass the code\n");
				return 2;
			}
			cold[r] = now() - t0;
		}
		printf("hc-verify cold start, one code, 10^6-entry list: %.1f ms (median of 5)   limit "
		       "1000 ms   ratio %.3f\n",
		       median(cold, 5) * 1e3, median(cold, 5));
	}
	hc_privkey_free(k);
	snprintf(cmd, sizeof(cmd), "%s", getenv("BENCH_KEEP") ? "true" : "rm -rf ");
	if (!getenv("BENCH_KEEP"))
		snprintf(cmd, sizeof(cmd), "rm -rf %s", W);
	return system(cmd) == 0 ? 0 : 2;
}
