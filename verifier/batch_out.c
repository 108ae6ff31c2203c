/* batch_out.c: where hc-verify batch writes its results: never over its
 * own input, and through a temporary file beside the output that is
 * renamed into place only when the whole run succeeded. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_int.h"

static bool same_file(const struct stat *a, const struct stat *b)
{
	return S_ISREG(a->st_mode) && S_ISREG(b->st_mode) && a->st_dev == b->st_dev &&
	       a->st_ino == b->st_ino;
}

int batch_out_open(struct batch_out *o, const char *path, int in_fd)
{
	struct stat in, st;
	bool have_in = fstat(in_fd, &in) == 0;
	mode_t mode;
	int fd, r;

	memset(o, 0, sizeof(*o));
	if (!path) {
		if (have_in && fstat(STDOUT_FILENO, &st) == 0 && same_file(&in, &st)) {
			fprintf(stderr, "%s: standard output is the input file\n", verifier_prog);
			return EXIT_USAGE;
		}
		o->f = stdout;
		return 0;
	}
	if (stat(path, &st) == 0) {
		if (have_in && same_file(&in, &st)) {
			fprintf(stderr, "%s: %s: the output is the input file\n", verifier_prog, path);
			return EXIT_USAGE;
		}
		if (!S_ISREG(st.st_mode)) { /* a pipe, /dev/null: written as it is */
			if (!(o->f = fopen(path, "w"))) {
				fprintf(stderr, "%s: %s: %s\n", verifier_prog, path, strerror(errno));
				return EXIT_USAGE;
			}
			return 0;
		}
		/* A symbolic link keeps pointing at the file it names. */
		if (!realpath(path, o->path)) {
			fprintf(stderr, "%s: %s: %s\n", verifier_prog, path, strerror(errno));
			return EXIT_USAGE;
		}
		mode = st.st_mode & 0777;
	} else if (errno == ENOENT) {
		mode_t mask = umask(0);

		(void)umask(mask);
		mode = 0666 & ~mask;
		if (hc_path(o->path, sizeof(o->path), "%s", path) != HC_OK) {
			fprintf(stderr, "%s: --out: %s\n", verifier_prog, hc_detail());
			return EXIT_USAGE;
		}
	} else {
		fprintf(stderr, "%s: %s: %s\n", verifier_prog, path, strerror(errno));
		return EXIT_USAGE;
	}
	r = snprintf(o->tmp, sizeof(o->tmp), "%s.tmp.XXXXXX", o->path);
	if (r < 0 || (size_t)r >= sizeof(o->tmp)) {
		fprintf(stderr, "%s: %s: path too long\n", verifier_prog, path);
		return EXIT_USAGE;
	}
	if ((fd = mkstemp(o->tmp)) == -1) {
		fprintf(stderr, "%s: %s: %s\n", verifier_prog, o->tmp, strerror(errno));
		o->tmp[0] = '\0';
		return EXIT_USAGE;
	}
	if (fchmod(fd, mode) == -1 || !(o->f = fdopen(fd, "w"))) {
		fprintf(stderr, "%s: %s: %s\n", verifier_prog, o->tmp, strerror(errno));
		close(fd);
		(void)unlink(o->tmp);
		o->tmp[0] = '\0';
		return EXIT_USAGE;
	}
	return 0;
}

int batch_out_close(struct batch_out *o, bool ok)
{
	bool staged = o->tmp[0] != '\0';
	int rc = 0;

	if (!o->f)
		return 0;
	if (fflush(o->f) != 0 || ferror(o->f) || (staged && fsync(fileno(o->f)) != 0))
		rc = EXIT_USAGE;
	if (o->f != stdout && fclose(o->f) != 0)
		rc = EXIT_USAGE;
	o->f = NULL;
	if (rc && ok)
		fprintf(stderr, "%s: error writing results: %s\n", verifier_prog, strerror(errno));
	if (staged && ok && !rc && hc_file_commit(o->tmp, o->path) != HC_OK) {
		fprintf(stderr, "%s: %s\n", verifier_prog, hc_detail());
		rc = EXIT_USAGE;
	} else if (staged && (!ok || rc)) {
		(void)unlink(o->tmp); /* a failed run leaves no half file */
	}
	o->tmp[0] = '\0';
	return rc;
}
