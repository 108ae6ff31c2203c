/* batch_int.h: the parts of hc-verify batch shared by its files. */
#ifndef HC_BATCH_INT_H
#define HC_BATCH_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdio.h>

#include "verifier.h"

/* What one worker counted (merged at the end, and across MPI ranks). */
struct lstate;
struct counts {
	struct hc_vctx *v; /* the worker's verification contexts */
	struct lstate *ls; /* its lines between the passes of a job */
	uint64_t records, pass, fail;
	uint64_t by_err[HC_ERR__COUNT];
	uint64_t status[3];
	uint64_t *issuer; /* per trust-list issuer, verified codes only */
};

struct counts *counts_new(const struct hc_trust *t, size_t n);
void counts_free(struct counts *c, size_t n);
void counts_add(struct counts *c, const struct hc_bresult *r);

#define LINES_PER_JOB HC_BATCH_MAX /* a job is one run of hc_batch_start */
#define JOB_BYTES (256u << 10)
#define MAX_LINE (64u << 10)
#define CACHE_ENTRIES (1u << 18)

enum { J_FREE, J_FILLED, J_TAKEN, J_DONE };

/* A run of input lines and, once verified, their result lines. */
struct job {
	int state;
	uint64_t seq, first_line;
	char *in;          /* lines, each NUL-terminated */
	size_t inlen, incap;
	size_t off[LINES_PER_JOB];
	size_t len[LINES_PER_JOB]; /* a line may hold NUL bytes */
	bool toolong[LINES_PER_JOB];
	size_t nlines;
	char *out;
	size_t outlen, outcap;
	bool oom;
};

/* The state the main thread and the workers share. */
struct batch {
	const struct hc_trust *t;
	struct hc_verify_opts opts;
	struct hc_sigcache *cache;
	struct job *jobs;
	size_t njobs;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	bool eof;
	struct counts *counts; /* one per worker */
	char **iss_json;       /* each issuer's iss as a JSON string */
	size_t nthreads;
};

/* Verifies j's lines and appends their result lines to j->out, in order,
 * in three passes (batch_record.c) so that the signatures of one key are
 * verified in blocks (hc_batch_start). */
void batch_job(struct batch *b, struct job *j, struct counts *k);
/* Verifies one input line and appends its result line to j->out. */
void batch_result(struct batch *b, struct job *j, struct counts *k, uint64_t lineno, char *line,
		  size_t n, bool toolong);

/* This process's share of the input under MPI. */
struct batch_part {
	int rank, size;
	uint64_t start, end; /* byte range: lines that start inside it */
	uint64_t first_line; /* global number of its first line */
};

int batch_mpi_init(int *argc, char ***argv, struct batch_part *p);
int batch_mpi_range(int fd, struct batch_part *p);
void batch_mpi_finish(int rc);
/* Sums v[0..n) over the ranks into rank 0; max of *secs. */
int batch_mpi_reduce(uint64_t *v, size_t n, double *secs);

/* Prints the summary line on stderr and writes the JSON report (rank 0
 * only under MPI, after reducing the counts). 0 or an exit status. */
int batch_summary(const struct hc_trust *t, struct counts *c, size_t n, uint64_t hits,
		  double secs, const char *report, const struct batch_part *mpi);

/* The results' destination: standard output, or a file written through a
 * temporary beside it (PATH.tmp.XXXXXX) renamed over it at the end. */
struct batch_out {
	FILE *f;
	char path[PATH_MAX]; /* the file replaced (a symbolic link resolved) */
	char tmp[PATH_MAX + 16];
};

/* Opens path (NULL: standard output) for results, refusing the file that
 * in_fd reads. 0, or prints why and returns an exit status. */
int batch_out_open(struct batch_out *o, const char *path, int in_fd);
/* Flushes and closes; when ok, fsyncs and renames the temporary into
 * place, else removes it. 0, or prints why and returns an exit status. */
int batch_out_close(struct batch_out *o, bool ok);

int cmd_batch(int argc, char **argv);

#endif
