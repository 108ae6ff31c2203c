/* batch_fx.c: bench_batch's harness (batch_fx.h): the other load on the
 * machine during a measurement, the runner that starts children from a
 * small address space, OpenSSL's limit and a run of hc-verify batch. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "batch_fx.h"

char W[256], B[4096];

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sh(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_batch: failed: %s\n", cmd);
		exit(2);
	}
}

void die(const char *what, hc_err err)
{
	fprintf(stderr, "bench_batch: %s: %s (%s)\n", what, hc_strerror(err), hc_detail());
	exit(2);
}

/* ---- other load on the machine during a measurement ---- */

double tv(const struct timeval *t)
{
	return (double)t->tv_sec + (double)t->tv_usec / 1e6;
}

void load_snap(struct load *l)
{
	unsigned long long v[8] = {0};
	char line[512], *p, *end;
	long hz = sysconf(_SC_CLK_TCK);
	struct rusage self, kids;
	FILE *f = fopen("/proc/stat", "r");

	memset(l, 0, sizeof(*l));
	if (f && fgets(line, sizeof(line), f) && strncmp(line, "cpu ", 4) == 0) {
		p = line + 4;
		for (int i = 0; i < 8; i++, p = end)
			v[i] = strtoull(p, &end, 10);
		l->busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)hz;
		l->total = l->busy + (double)(v[3] + v[4]) / (double)hz;
	}
	if (f)
		fclose(f);
	/* This process and its waited-for children (openssl, the runner's
	 * children are counted by the caller). */
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	l->own = tv(&self.ru_utime) + tv(&self.ru_stime) + tv(&kids.ru_utime) + tv(&kids.ru_stime);
}

/* Share of the machine other processes used since a, given the CPU seconds
 * the measured work used beyond what load_snap sees (extra). */
double load_other(const struct load *a, double extra)
{
	struct load b;
	double dt;

	load_snap(&b);
	dt = b.total - a->total;
	if (dt <= 0)
		return 0;
	dt = (b.busy - a->busy - (b.own - a->own) - extra) / dt;
	return dt < 0 ? 0 : dt;
}

bool noisy;

/* Warns when others took more than their share: a measurement on all cores
 * wants the machine (free > 0.9); one on one thread wants a core. */
void note_load(double other, double free_needed)
{
	if (other > 1.0 - free_needed) {
		printf("  WARNING: other processes used %.0f%% of the machine during this measurement; "
		       "the figure is low\n",
		       100.0 * other);
		noisy = true;
	}
}

/* ---- the runner: fork/exec + wait4 from a small address space ---- */

static int req_fd = -1, res_fd = -1;
static pid_t runner_pid = -1;

static int full_io(int fd, void *buf, size_t n, bool wr)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = wr ? write(fd, p, n) : read(fd, p, n);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Request: u32 length, then NUL-separated: stderr path, argv[0], argv[1]...
 * Reply: struct result. stdin and stdout of the child are /dev/null. */
static void runner(int in, int out) __attribute__((noreturn));
static void runner(int in, int out)
{
	static char req[16384];

	for (;;) {
		char *argv[32], *p, *end;
		const char *errpath;
		struct result r;
		uint32_t len;
		int argc = 0;
		double t0;
		pid_t pid;

		if (full_io(in, &len, sizeof(len), false) || len == 0 || len >= sizeof(req) ||
		    full_io(in, req, len, false))
			_exit(0);
		req[len] = '\0';
		end = req + len;
		errpath = req;
		for (p = req + strlen(req) + 1; p < end && argc < 31; p += strlen(p) + 1)
			argv[argc++] = p;
		argv[argc] = NULL;
		memset(&r, 0, sizeof(r));
		t0 = now();
		pid = fork();
		if (pid == 0) {
			int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

			if (argc == 0 || e == -1 || nul == -1 || dup2(nul, 0) == -1 ||
			    dup2(nul, 1) == -1 || dup2(e, 2) == -1)
				_exit(127);
			execv(argv[0], argv);
			_exit(127);
		}
		if (pid == -1 || wait4(pid, &r.status, 0, &r.ru) == -1)
			r.status = -1;
		r.wall = now() - t0;
		if (full_io(out, &r, sizeof(r), true))
			_exit(1);
	}
}

void runner_start(void)
{
	int a[2], b[2];

	if (pipe(a) == -1 || pipe(b) == -1 || fcntl(a[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(a[1], F_SETFD, FD_CLOEXEC) == -1 || fcntl(b[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(b[1], F_SETFD, FD_CLOEXEC) == -1) {
		perror("bench_batch: pipe");
		exit(2);
	}
	fflush(NULL);
	if ((runner_pid = fork()) == -1) {
		perror("bench_batch: fork");
		exit(2);
	}
	if (runner_pid == 0) {
		close(a[1]);
		close(b[0]);
		runner(a[0], b[1]);
	}
	close(a[0]);
	close(b[1]);
	req_fd = a[1];
	res_fd = b[0];
}

void runner_stop(void)
{
	uint32_t zero = 0;

	if (runner_pid == -1)
		return;
	if (full_io(req_fd, &zero, sizeof(zero), true) == 0)
		waitpid(runner_pid, NULL, 0);
	close(req_fd);
	close(res_fd);
	runner_pid = -1;
}

struct result run(const char *errpath, const char *const *argv)
{
	static char req[16384];
	struct result r;
	size_t len = 0;
	uint32_t l32;

	const char *s = errpath;

	for (size_t i = 0; s; s = argv[i++]) {
		size_t n = strlen(s) + 1;

		if (len + n > sizeof(req) - 1) {
			fprintf(stderr, "bench_batch: command too long\n");
			exit(2);
		}
		memcpy(req + len, s, n);
		len += n;
	}
	l32 = (uint32_t)len;
	if (full_io(req_fd, &l32, sizeof(l32), true) || full_io(req_fd, req, len, true) ||
	    full_io(res_fd, &r, sizeof(r), false)) {
		fprintf(stderr, "bench_batch: runner died\n");
		exit(2);
	}
	return r;
}

/* ---- the machine's limit ---- */

void openssl_speed(long ncpu, double *sign, double *verify, double *other, char *ver,
		   size_t versz)
{
	char cmd[256], line[1024], last[1024] = "";
	struct load l;
	char *tok[16], *save = NULL;
	int n = 0;
	FILE *p;

	if (!(p = popen("openssl version 2>/dev/null", "r")) || !fgets(ver, (int)versz, p) ||
	    pclose(p) != 0) {
		fprintf(stderr, "bench_batch: openssl version failed\n");
		exit(2);
	}
	ver[strcspn(ver, "\n")] = '\0';
	snprintf(cmd, sizeof(cmd), "openssl speed -seconds 3 -multi %ld ecdsap256 2>/dev/null", ncpu);
	load_snap(&l);
	if (!(p = popen(cmd, "r"))) {
		perror("bench_batch: popen");
		exit(2);
	}
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "bits ecdsa (nistp256)"))
			memcpy(last, line, sizeof(last));
	if (pclose(p) != 0 || !last[0]) {
		fprintf(stderr, "bench_batch: %s: no result line\n", cmd);
		exit(2);
	}
	*other = load_other(&l, 0);
	/* " 256 bits ecdsa (nistp256)   0.0000s   0.0000s  77008.3  24458.3" */
	for (char *t = strtok_r(last, " \t\n", &save); t && n < 16; t = strtok_r(NULL, " \t\n", &save))
		tok[n++] = t;
	if (n < 2) {
		fprintf(stderr, "bench_batch: cannot parse openssl speed output\n");
		exit(2);
	}
	*sign = strtod(tok[n - 2], NULL);
	*verify = strtod(tok[n - 1], NULL);
	if (!(*sign > 0) || !(*verify > 0)) {
		fprintf(stderr, "bench_batch: cannot parse openssl speed rates\n");
		exit(2);
	}
}

/* ---- running hc-verify batch ---- */

static double num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void print_stderr_of(const char *path)
{
	char line[512], last[512] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '\n')
			memcpy(last, line, sizeof(last));
	fclose(f);
	if (last[0])
		printf("  hc-verify: %s%s", last, strchr(last, '\n') ? "" : "\n");
	fflush(stdout);
}

bool run_batch(const char *name, size_t records, struct batch *out)
{
	char in[512], rep[512], err[512], trust[512], prog[4200];
	const char *argv[16];
	struct load l;
	uint8_t *buf = NULL;
	size_t n = 0;
	cJSON *j;
	hc_err e;

	snprintf(in, sizeof(in), "%s/%s.jsonl", W, name);
	snprintf(rep, sizeof(rep), "%s/%s.report.json", W, name);
	snprintf(err, sizeof(err), "%s/%s.stderr", W, name);
	snprintf(trust, sizeof(trust), "%s/trust", W);
	snprintf(prog, sizeof(prog), "%s/hc-verify", B);
	argv[0] = prog;
	argv[1] = "batch";
	argv[2] = "--trust";
	argv[3] = trust;
	argv[4] = "--in";
	argv[5] = in;
	argv[6] = "--out";
	argv[7] = "/dev/null";
	argv[8] = "--report";
	argv[9] = rep;
	argv[10] = NULL;
	unlink(rep);
	memset(out, 0, sizeof(*out));
	load_snap(&l);
	out->r = run(err, argv);
	out->other = load_other(&l, tv(&out->r.ru.ru_utime) + tv(&out->r.ru.ru_stime));
	print_stderr_of(err);
	if (!WIFEXITED(out->r.status) || WEXITSTATUS(out->r.status) != 0) {
		fprintf(stderr, "bench_batch: %s: hc-verify batch exited with status 0x%x (stderr in %s)\n",
			name, (unsigned)out->r.status, err);
		return false;
	}
	if ((e = hc_read_file(rep, 1u << 20, &buf, &n)) != HC_OK) {
		fprintf(stderr, "bench_batch: %s: no report: %s\n", name, hc_strerror(e));
		return false;
	}
	if (!(j = cJSON_ParseWithLength((const char *)buf, n)) || !cJSON_IsObject(j)) {
		fprintf(stderr, "bench_batch: %s: report is not a JSON object\n", name);
		free(buf);
		cJSON_Delete(j);
		return false;
	}
	out->records = num(j, "records");
	out->pass = num(j, "pass");
	out->cache_hits = num(j, "cache_hits");
	out->rps = num(j, "records_per_second");
	out->seconds = num(j, "seconds");
	cJSON_Delete(j);
	free(buf);
	if (out->records != (double)records || out->pass != out->records) {
		fprintf(stderr,
			"bench_batch: %s: report says records %.0f, pass %.0f; expected %zu records, "
			"all passing (report %s)\n",
			name, out->records, out->pass, records, rep);
		return false;
	}
	return true;
}

void print_rate(const char *label, size_t records, const struct batch *b, double verify,
		double target)
{
	double rps = (double)records / b->r.wall;
	double cpu = tv(&b->r.ru.ru_utime) + tv(&b->r.ru.ru_stime);

	printf("%s  %.0f records/s (wall %.2f s; report %.0f records/s)   limit %.0f verify/s "
	       "(openssl)   ratio %.2f",
	       label, rps, b->r.wall, b->rps, verify, rps / verify);
	if (target > 0)
		printf("   target >= %g%s", target, rps / verify >= target ? "" : "  MISSED");
	putchar('\n');
	printf("  cpu %.2f s (user %.2f, sys %.2f), %.0f%% of the cores; cache hits %.0f; peak RSS "
	       "%.1f MiB\n",
	       cpu, tv(&b->r.ru.ru_utime), tv(&b->r.ru.ru_stime),
	       100.0 * cpu / b->r.wall / (double)sysconf(_SC_NPROCESSORS_ONLN), b->cache_hits,
	       (double)b->r.ru.ru_maxrss / 1024.0);
	note_load(b->other, 0.9);
}
