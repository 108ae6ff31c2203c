/* batch_int.h: the parts of hc-verify batch shared by its files. */
#ifndef HC_BATCH_INT_H
#define HC_BATCH_INT_H

#include "verifier.h"

/* What one worker counted (merged at the end, and across MPI ranks). */
struct counts {
	struct hc_vctx *v; /* the worker's verification contexts */
	uint64_t records, pass, fail;
	uint64_t by_err[HC_ERR__COUNT];
	uint64_t status[3];
	uint64_t *issuer; /* per trust-list issuer, verified codes only */
};

struct counts *counts_new(const struct hc_trust *t, size_t n);
void counts_free(struct counts *c, size_t n);
void counts_add(struct counts *c, const struct hc_bresult *r);

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

int cmd_batch(int argc, char **argv);

#endif
