/* mpi.c: hc-verify batch --mpi: each rank takes the lines that start in
 * its share of the input's bytes; line numbers and the summary are
 * combined over the ranks. Without MPI at build time, --mpi is refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_int.h"

#ifdef HC_MPI
#include <mpi.h>

int batch_mpi_init(int *argc, char ***argv, struct batch_part *p)
{
	if (MPI_Init(argc, argv) != MPI_SUCCESS) {
		fprintf(stderr, "hc-verify batch: MPI_Init failed\n");
		return -1;
	}
	MPI_Comm_rank(MPI_COMM_WORLD, &p->rank);
	MPI_Comm_size(MPI_COMM_WORLD, &p->size);
	return 0;
}

/* Counts the lines that start in [start, end): a line starts at 0 and
 * after every newline. */
static int count_lines(int fd, uint64_t start, uint64_t end, uint64_t *n)
{
	char buf[1 << 16], prev = '\n';
	uint64_t pos = start;

	*n = 0;
	if (start > 0 && pread(fd, &prev, 1, (off_t)(start - 1)) != 1)
		return -1;
	while (pos < end) {
		size_t want = end - pos < sizeof(buf) ? (size_t)(end - pos) : sizeof(buf);
		ssize_t got = pread(fd, buf, want, (off_t)pos);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -1 : 0;
		for (ssize_t i = 0; i < got; i++) {
			if (prev == '\n')
				(*n)++;
			prev = buf[i];
		}
		pos += (uint64_t)got;
	}
	return 0;
}

int batch_mpi_range(int fd, struct batch_part *p)
{
	struct stat st;
	uint64_t size, mine = 0, before = 0, skip = 0;
	char c;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "hc-verify batch: --mpi needs a regular input file\n");
		return -1;
	}
	size = (uint64_t)st.st_size;
	p->start = size * (uint64_t)p->rank / (uint64_t)p->size;
	p->end = size * ((uint64_t)p->rank + 1) / (uint64_t)p->size;
	/* A line belongs to the rank where it starts: move start past the
	 * line that began before it. */
	if (p->start > 0 && pread(fd, &c, 1, (off_t)(p->start - 1)) == 1 && c != '\n') {
		while (p->start + skip < size && pread(fd, &c, 1, (off_t)(p->start + skip)) == 1) {
			skip++;
			if (c == '\n')
				break;
		}
	}
	p->start += skip;
	if (p->start > p->end)
		p->end = p->start; /* a line longer than a share: nothing here */
	if (count_lines(fd, p->start, p->end, &mine) != 0) {
		fprintf(stderr, "hc-verify batch: reading input: %s\n", strerror(errno));
		return -1;
	}
	MPI_Exscan(&mine, &before, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
	if (p->rank == 0)
		before = 0;
	p->first_line = before + 1;
	return 0;
}

int batch_mpi_reduce(uint64_t *v, size_t n, double *secs)
{
	uint64_t *sum = calloc(n, sizeof(*sum));
	double max = 0;
	int rc;

	if (!sum)
		return -1;
	rc = MPI_Reduce(v, sum, (int)n, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD) == MPI_SUCCESS &&
			     MPI_Reduce(secs, &max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD) ==
				     MPI_SUCCESS
		     ? 0
		     : -1;
	memcpy(v, sum, n * sizeof(*v));
	*secs = max;
	free(sum);
	return rc;
}

void batch_mpi_finish(int rc)
{
	if (rc != 0)
		MPI_Abort(MPI_COMM_WORLD, rc);
	MPI_Finalize();
}

#elif defined(HC_MPI_EXEC)

/* hc-verify is not linked with MPI (its libraries were a third of every
 * start-up): batch --mpi becomes hc-verify-mpi, the same program linked
 * with it, from the directory hc-verify runs from, with the same
 * arguments and environment (the pid stays, as mpirun expects). */
int batch_mpi_init(int *argc, char ***argv, struct batch_part *p)
{
	char self[4096], path[4096 + 16], *slash, **nargv;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	(void)p;
	if (n <= 0) {
		fprintf(stderr, "hc-verify batch: --mpi: cannot find this program: %s\n",
			strerror(errno));
		return -1;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	(void)snprintf(path, sizeof(path), "%s/hc-verify-mpi", self);
	if (!(nargv = calloc((size_t)*argc + 2, sizeof(*nargv)))) {
		fprintf(stderr, "hc-verify batch: out of memory\n");
		return -1;
	}
	nargv[0] = path;
	for (int i = 0; i < *argc; i++)
		nargv[i + 1] = (*argv)[i];
	(void)execv(path, nargv);
	fprintf(stderr, "hc-verify batch: --mpi needs %s: %s\n", path, strerror(errno));
	free(nargv);
	return -1;
}
#else

int batch_mpi_init(int *argc, char ***argv, struct batch_part *p)
{
	(void)argc;
	(void)argv;
	(void)p;
	fprintf(stderr, "hc-verify batch: built without MPI (install libopenmpi-dev and rebuild)\n");
	return -1;
}
#endif

#ifndef HC_MPI

int batch_mpi_range(int fd, struct batch_part *p)
{
	(void)fd;
	(void)p;
	return -1;
}

int batch_mpi_reduce(uint64_t *v, size_t n, double *secs)
{
	(void)v;
	(void)n;
	(void)secs;
	return -1;
}

void batch_mpi_finish(int rc)
{
	(void)rc;
}

#endif
