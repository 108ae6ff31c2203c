/* batch.c: hc-verify batch: scan records in, one result per line out, in
 * input order, on every core, in constant memory; optionally as one rank
 * of an MPI job over a line-aligned byte range of the input. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch_int.h"
#include "hc_json.h"

static const char usage_text[] =
	"usage: hc-verify batch --trust DIR [--in FILE] [--out FILE] [--report FILE]\n"
	"                       [--threads N] [--mpi] [--no-cache] [--no-tables]\n"
	"                       [verification options]\n"
	"\n"
	"Verifies scan records, one per line: a JSON object\n"
	"{\"code\":\"hc:/...\",\"at\":TIME,\"checkpoint\":\"...\"} (at: epoch seconds as a\n"
	"number, or a string in RFC 3339 or YYYY-MM-DD, midnight +08:00; 1970 to\n"
	"9999; other members are passed through as written, those named like a\n"
	"result member under \"record\") or a line of QR text. Writes one\n"
	"JSON result per input line, in input order, each verified at its own time.\n"
	"A code may also be a foreign one (HC1: or shc:/, a chunked SMART Health\n"
	"Card as its chunks joined by newlines in \"code\"): its result adds\n"
	"\"format\" (dcc or shc) and \"issuer\" (null until its signature verified).\n"
	"\n"
	"  --trust DIR          trust directory (as for verification)\n"
	"  --in FILE            records (default: standard input)\n"
	"  --out FILE           results (default: standard output), written to a\n"
	"                       temporary file renamed over FILE at the end\n"
	"  --report FILE        write the summary as JSON (counts by verdict, reason,\n"
	"                       status, issuer and region; throughput)\n"
	"  --threads N          worker threads (default: the number of CPUs)\n"
	"  --no-cache           verify every record's signature, even for a code\n"
	"                       seen before\n"
	"  --no-tables          verify each signature alone by EVP_PKEY_verify, without\n"
	"                       the issuer keys' tables and blocks (slower; the same\n"
	"                       results, for comparison)\n"
	"  --mpi                run as one rank of an MPI job: --in and --out needed;\n"
	"                       rank R writes FILE.R; rank 0 writes the report\n"
	"  --at TIME            time for records without one (default now)\n"
	"  --skew, --any-status, --require-nat, --require-doses, --grace, --strict\n"
	"                       as for verification\n"
	"  --help               this text\n"
	"\n"
	"Exit status: 0 every line was processed (failed codes are results, not\n"
	"errors), 2 usage, I/O or trust-directory error.\n";

struct worker {
	struct batch *b;
	struct counts *c;
	pthread_t tid;
};

/* ---- reading lines ---- */

struct reader {
	int fd;
	char buf[1 << 16];
	size_t pos, len;
	bool eof;
	uint64_t offset; /* file offset of buf[pos] */
	uint64_t end;    /* stop before a line starting at or after this */
};

static int rd_fill(struct reader *r)
{
	ssize_t n;

	if (r->pos < r->len || r->eof)
		return 0;
	do
		n = read(r->fd, r->buf, sizeof(r->buf));
	while (n == -1 && errno == EINTR);
	if (n < 0)
		return -1;
	r->pos = 0;
	r->len = (size_t)n;
	if (n == 0)
		r->eof = true;
	return 0;
}

/* Bytes of a line kept: a byte-order mark and a CR besides MAX_LINE. */
#define KEEP (MAX_LINE + 4)

/* Appends the next line to j, without its '\n' and without a byte-order
 * mark at the very start of the input; *more false at the end. A line is
 * too long when it holds more than MAX_LINE bytes besides those and a
 * final CR (of at most KEEP bytes are kept). */
static int rd_line(struct reader *r, struct job *j, bool *more)
{
	size_t start = j->inlen, n = 0, kept = 0, bom = 0;
	bool got = false, first = r->offset == 0;
	char last = '\0';

	*more = false;
	if (r->offset >= r->end)
		return 0;
	for (;;) {
		char *nl;
		size_t take, keep;

		if (rd_fill(r) == -1)
			return -1;
		if (r->pos == r->len)
			break; /* end of input */
		got = true;
		nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		take = nl ? (size_t)(nl - (r->buf + r->pos)) : r->len - r->pos;
		if (take)
			last = r->buf[r->pos + take - 1];
		keep = kept + take > KEEP ? KEEP - kept : take;
		if (j->inlen + keep + 1 > j->incap) {
			size_t cap = j->incap ? j->incap : JOB_BYTES;
			char *p;

			while (cap < j->inlen + keep + 1)
				cap *= 2;
			if (!(p = realloc(j->in, cap)))
				return -1;
			j->in = p;
			j->incap = cap;
		}
		memcpy(j->in + j->inlen, r->buf + r->pos, keep);
		j->inlen += keep;
		kept += keep;
		n += take;
		/* skip what was not kept (a line over the cap) */
		take += nl != NULL;
		r->pos += take;
		r->offset += take;
		if (nl)
			break;
	}
	if (!got)
		return 0;
	if (first && kept >= 3 && memcmp(j->in + start, "\xef\xbb\xbf", 3) == 0)
		bom = 3;
	j->len[j->nlines] = kept - bom;
	j->in[j->inlen++] = '\0';
	j->off[j->nlines] = start + bom;
	j->toolong[j->nlines] = n - bom - (n > bom && last == '\r') > MAX_LINE;
	j->nlines++;
	*more = true;
	return 0;
}

/* ---- threads ---- */

static void *work(void *arg)
{
	struct worker *w = arg;
	struct batch *b = w->b;

	for (;;) {
		struct job *j = NULL;

		pthread_mutex_lock(&b->mu);
		for (;;) {
			for (size_t i = 0; i < b->njobs; i++)
				if (b->jobs[i].state == J_FILLED && (!j || b->jobs[i].seq < j->seq))
					j = &b->jobs[i];
			if (j || b->eof)
				break;
			pthread_cond_wait(&b->work, &b->mu);
		}
		if (!j) {
			pthread_mutex_unlock(&b->mu);
			return NULL;
		}
		j->state = J_TAKEN;
		pthread_mutex_unlock(&b->mu);
		j->outlen = 0;
		batch_job(b, j, w->c);
		pthread_mutex_lock(&b->mu);
		j->state = J_DONE;
		pthread_cond_broadcast(&b->done);
		pthread_mutex_unlock(&b->mu);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(uint64_t done, double t0, uint64_t pos, uint64_t total, bool last)
{
	double el = now() - t0, rate = el > 0 ? (double)done / el : 0;

	if (total && pos > 0 && pos <= total && !last)
		fprintf(stderr, "\r%llu records  %.0f/s  %.0f%%  about %.0f s left   ",
			(unsigned long long)done, rate, 100.0 * (double)pos / (double)total,
			el * (double)(total - pos) / (double)pos);
	else
		fprintf(stderr, "\r%llu records  %.0f/s   %s", (unsigned long long)done, rate,
			last ? "\n" : "");
}

/* Feeds jobs to the workers and writes finished ones in order. */
static int pump(struct batch *b, struct reader *r, FILE *out, uint64_t first_line, bool show,
		uint64_t total, uint64_t *records)
{
	uint64_t next_seq = 0, write_seq = 0, line = first_line;
	double t0 = now(), last = 0;
	int rc = 0;

	pthread_mutex_lock(&b->mu);
	for (;;) {
		struct job *free_j = NULL, *head = NULL;

		for (size_t i = 0; i < b->njobs; i++) {
			struct job *j = &b->jobs[i];

			if (j->state == J_FREE && !free_j)
				free_j = j;
			if (j->state != J_FREE && j->seq == write_seq)
				head = j;
		}
		if (head && head->state == J_DONE) {
			pthread_mutex_unlock(&b->mu);
			if (head->oom ||
			    (head->outlen && fwrite(head->out, 1, head->outlen, out) != head->outlen)) {
				fprintf(stderr, "%s: %s\n", verifier_prog,
					head->oom ? "out of memory" : "error writing results");
				rc = EXIT_USAGE;
			}
			*records += head->nlines;
			pthread_mutex_lock(&b->mu);
			head->state = J_FREE;
			write_seq++;
			if (rc)
				break;
			if (show && now() - last > 0.5) {
				last = now();
				progress(*records, t0, r->offset, total, false);
			}
			continue;
		}
		if (free_j && !b->eof) {
			bool more = true;

			pthread_mutex_unlock(&b->mu);
			free_j->inlen = free_j->nlines = 0;
			free_j->oom = false;
			while (free_j->nlines < LINES_PER_JOB && free_j->inlen < JOB_BYTES && more)
				if (rd_line(r, free_j, &more) == -1) {
					fprintf(stderr, "%s: error reading records: %s\n", verifier_prog,
						strerror(errno));
					rc = EXIT_USAGE;
					break;
				}
			pthread_mutex_lock(&b->mu);
			if (rc) {
				b->eof = true;
				break;
			}
			if (free_j->nlines) {
				free_j->seq = next_seq++;
				free_j->first_line = line;
				line += free_j->nlines;
				free_j->state = J_FILLED;
				pthread_cond_signal(&b->work);
			}
			if (!more) {
				b->eof = true;
				pthread_cond_broadcast(&b->work);
			}
			continue;
		}
		if (b->eof && write_seq == next_seq)
			break;
		pthread_cond_wait(&b->done, &b->mu);
	}
	b->eof = true; /* cppcheck-suppress redundantAssignment ; read by the workers */
	pthread_cond_broadcast(&b->work);
	pthread_mutex_unlock(&b->mu);
	if (show)
		progress(*records, t0, 0, 0, true);
	return rc;
}

/* ---- the command ---- */

int cmd_batch(int argc, char **argv)
{
	static const struct option opts[] = {
		{"trust", required_argument, NULL, 't'},
		{"in", required_argument, NULL, 'i'},
		{"out", required_argument, NULL, 'o'},
		{"report", required_argument, NULL, 'r'},
		{"threads", required_argument, NULL, 'T'},
		{"no-cache", no_argument, NULL, 'C'},
		{"no-tables", no_argument, NULL, 'E'},
		{"mpi", no_argument, NULL, 'M'},
		{"help", no_argument, NULL, 'h'},
		VERIFY_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *inp = NULL, *outp = NULL, *report = NULL;
	struct hc_trust *t = NULL;
	struct batch b;
	struct worker *w = NULL;
	struct reader *r = NULL;
	struct batch_part part;
	unsigned char seen[256] = {0};
	bool nocache = false, mpi = false, notables = false;
	int64_t threads = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t records = 0;
	struct batch_out out;
	double t0;
	int c, rc = EXIT_USAGE;
	hc_err err;

	memset(&b, 0, sizeof(b));
	memset(&part, 0, sizeof(part));
	memset(&out, 0, sizeof(out));
	verifier_prog = "hc-verify batch";
	hc_verify_opts_init(&b.opts);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int vo;

		if (c != '?' && seen[c]++) {
			fprintf(stderr, "hc-verify batch: option given twice\n");
			return EXIT_USAGE;
		}
		if ((vo = verify_option(c, optarg, &b.opts)) != 0) {
			if (vo < 0)
				return EXIT_USAGE;
			continue;
		}
		switch (c) {
		case 't': dir = optarg; break;
		case 'i': inp = optarg; break;
		case 'o': outp = optarg; break;
		case 'r': report = optarg; break;
		case 'C': nocache = true; break;
		case 'E': notables = true; break;
		case 'M': mpi = true; break;
		case 'T':
			if (!parse_count(optarg, 256, &threads) || threads == 0) {
				fprintf(stderr, "hc-verify batch: --threads: 1 to 256\n");
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	if (!dir || optind != argc || threads < 1) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (mpi && !inp) {
		fprintf(stderr, "hc-verify batch: --mpi needs --in FILE\n");
		return EXIT_USAGE;
	}
	if (mpi && !outp) { /* the ranks' lines would mix on one standard output */
		fprintf(stderr, "hc-verify batch: --mpi needs --out FILE (rank R writes FILE.R)\n");
		return EXIT_USAGE;
	}
	if (mpi && batch_mpi_init(&argc, &argv, &part) != 0)
		return EXIT_USAGE;
	if ((err = hc_trust_load_ex(dir, HC_TRUST_WRITE_INDEX, &t)) != HC_OK) {
		verifier_err(dir, err);
		goto out;
	}
	b.t = t;
	if (!(b.iss_json = calloc(hc_trust_issuer_count(t) + 1, sizeof(*b.iss_json)))) {
		fprintf(stderr, "hc-verify batch: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < hc_trust_issuer_count(t); i++) {
		char safe[512];
		cJSON *str;

		hc_display_safe(hc_trust_issuer_iss(t, i), safe, sizeof(safe));
		str = cJSON_CreateString(safe);

		b.iss_json[i] = str ? cJSON_PrintUnformatted(str) : NULL;
		cJSON_Delete(str);
		if (!b.iss_json[i]) {
			fprintf(stderr, "hc-verify batch: out of memory\n");
			goto out;
		}
	}
	/* Workers free and allocate small blocks all the time: keep the heap
	 * from being trimmed and regrown (each trim is a TLB shootdown). */
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	b.nthreads = (size_t)threads;
	b.njobs = 4 * b.nthreads;
	if (!(r = calloc(1, sizeof(*r))) || !(b.jobs = calloc(b.njobs, sizeof(*b.jobs))) ||
	    !(w = calloc(b.nthreads, sizeof(*w))) || !(b.counts = counts_new(t, b.nthreads)) ||
	    (!nocache && hc_sigcache_new(CACHE_ENTRIES, &b.cache) != HC_OK)) {
		fprintf(stderr, "hc-verify batch: out of memory\n");
		goto out;
	}
	for (size_t i = 0; notables && i < b.nthreads; i++)
		hc_vctx_evp(b.counts[i].v, true);
	r->end = UINT64_MAX;
	r->fd = 0;
	if (inp && (r->fd = open(inp, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "hc-verify batch: %s: %s\n", inp, strerror(errno));
		goto out;
	}
	if (mpi && batch_mpi_range(r->fd, &part) != 0)
		goto out;
	if (mpi) {
		if (lseek(r->fd, (off_t)part.start, SEEK_SET) == (off_t)-1) {
			fprintf(stderr, "hc-verify batch: %s: %s\n", inp, strerror(errno));
			goto out;
		}
		r->offset = part.start;
		r->end = part.end;
	}
	{
		char path[4096];

		if (outp && (mpi ? hc_path(path, sizeof(path), "%s.%d", outp, part.rank)
				 : hc_path(path, sizeof(path), "%s", outp)) != HC_OK) {
			fprintf(stderr, "hc-verify batch: --out: %s\n", hc_detail());
			goto out;
		}
		if (batch_out_open(&out, outp ? path : NULL, r->fd) != 0)
			goto out;
	}
	for (size_t i = 0; i < b.njobs; i++)
		b.jobs[i].state = J_FREE;
	pthread_mutex_init(&b.mu, NULL);
	pthread_cond_init(&b.work, NULL);
	pthread_cond_init(&b.done, NULL);
	t0 = now();
	for (size_t i = 0; i < b.nthreads; i++) {
		w[i].b = &b;
		w[i].c = &b.counts[i];
		if (pthread_create(&w[i].tid, NULL, work, &w[i]) != 0) {
			fprintf(stderr, "hc-verify batch: cannot start threads\n");
			b.nthreads = i;
			b.eof = true;
			break;
		}
	}
	{
		struct stat st;
		uint64_t total = 0;
		bool show = !mpi && isatty(2);

		if (!mpi && fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode))
			total = (uint64_t)st.st_size;
		rc = b.nthreads ? pump(&b, r, out.f, mpi ? part.first_line : 1, show, total, &records)
				: EXIT_USAGE;
	}
	for (size_t i = 0; i < b.nthreads; i++)
		pthread_join(w[i].tid, NULL);
	if (batch_out_close(&out, rc == 0) != 0)
		rc = EXIT_USAGE;
	if (batch_summary(t, b.counts, b.nthreads, hc_sigcache_hits(b.cache), now() - t0, report,
			  mpi ? &part : NULL) != 0)
		rc = EXIT_USAGE;
	pthread_mutex_destroy(&b.mu);
	pthread_cond_destroy(&b.work);
	pthread_cond_destroy(&b.done);
out:
	(void)batch_out_close(&out, false); /* an error: no half file is left */
	if (r && r->fd > 0)
		close(r->fd);
	for (size_t i = 0; b.jobs && i < b.njobs; i++) {
		free(b.jobs[i].in);
		free(b.jobs[i].out);
	}
	free(b.jobs);
	for (size_t i = 0; b.iss_json && i < hc_trust_issuer_count(t); i++)
		free(b.iss_json[i]);
	free(b.iss_json);
	free(w);
	free(r);
	counts_free(b.counts, b.nthreads);
	hc_sigcache_free(b.cache);
	hc_trust_free(t);
	if (mpi)
		batch_mpi_finish(rc);
	return rc;
}
