/* file.c: capped whole-file reads and atomic replacement (temp, fsync, rename). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc.h"

hc_err hc_read_file(const char *path, size_t cap, uint8_t **out, size_t *outlen)
{
	hc_err err;
	int fd;

	*out = NULL;
	*outlen = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		hc_set_detail("%s: %s", path, strerror(errno));
		return HC_ERR_IO;
	}
	err = hc_read_fd(fd, path, cap, out, outlen);
	close(fd);
	return err;
}

hc_err hc_path(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (n == 0)
		return HC_ERR_INVALID_ARG;
	va_start(ap, fmt);
	r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= n) {
		hc_set_detail("path too long: %.60s...", buf);
		return HC_ERR_INVALID_ARG;
	}
	return HC_OK;
}

hc_err hc_read_fd(int fd, const char *path, size_t cap, uint8_t **out, size_t *outlen)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0, alloc;
	hc_err err = HC_ERR_IO;

	*out = NULL;
	*outlen = 0;
	if (fstat(fd, &st) == -1)
		goto out;
	if (S_ISDIR(st.st_mode)) {
		hc_set_detail("%s: is a directory", path);
		goto out;
	}
	/* Regular files are sized up front; pipes grow to the cap. */
	alloc = S_ISREG(st.st_mode) && (uint64_t)st.st_size < cap ? (size_t)st.st_size + 1 : 4096;
	if (!(buf = malloc(alloc + 1))) {
		err = HC_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (len == alloc) {
			uint8_t *nb;

			if (alloc > cap) {
				err = HC_ERR_TOO_LARGE;
				hc_set_detail("%s: larger than %zu bytes", path, cap);
				goto out;
			}
			alloc = alloc * 2 > cap + 1 ? cap + 1 : alloc * 2;
			if (!(nb = realloc(buf, alloc + 1))) {
				err = HC_ERR_NOMEM;
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + len, alloc - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			hc_set_detail("%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > cap) {
		err = HC_ERR_TOO_LARGE;
		hc_set_detail("%s: larger than %zu bytes", path, cap);
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	buf = NULL;
	err = HC_OK;
out:
	free(buf);
	return err;
}

/* Makes a rename in path's directory durable. */
static hc_err sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	int fd;

	if (n >= sizeof(dir))
		return HC_ERR_INVALID_ARG;
	if (slash && n == 0)
		n = 1; /* "/file" lives in "/" */
	memcpy(dir, slash ? path : ".", slash ? n : 1);
	dir[slash ? n : 1] = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (fsync(fd) == -1 && errno != EINVAL)) {
		hc_set_detail("%s: %s", dir, strerror(errno));
		if (fd != -1)
			close(fd);
		return HC_ERR_IO;
	}
	close(fd);
	return HC_OK;
}

hc_err hc_write_all(int fd, const void *data, size_t n)
{
	const uint8_t *p = data;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return HC_ERR_IO;
		p += w;
		n -= (size_t)w;
	}
	return HC_OK;
}

hc_err hc_file_stage(const char *path, const void *data, size_t n, int mode, char *tmp,
		     size_t tmpsz)
{
	int fd, r;

	r = snprintf(tmp, tmpsz, "%s.tmp.XXXXXX", path);
	if (r < 0 || (size_t)r >= tmpsz)
		return HC_ERR_INVALID_ARG;
	if ((fd = mkstemp(tmp)) == -1) {
		hc_set_detail("%s: %s", path, strerror(errno));
		return HC_ERR_IO;
	}
	if (fchmod(fd, (mode_t)mode) == -1)
		goto fail;
	if (hc_write_all(fd, data, n) != HC_OK)
		goto fail;
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	return HC_OK;
fail:
	hc_set_detail("%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return HC_ERR_IO;
}

hc_err hc_file_commit(const char *tmp, const char *path)
{
	if (rename(tmp, path) == -1) {
		hc_set_detail("%s: %s", path, strerror(errno));
		unlink(tmp);
		return HC_ERR_IO;
	}
	return sync_dir(path);
}

hc_err hc_write_file_atomic(const char *path, const void *data, size_t n, int mode)
{
	char tmp[4096];
	hc_err err = hc_file_stage(path, data, n, mode, tmp, sizeof(tmp));

	return err != HC_OK ? err : hc_file_commit(tmp, path);
}

int hc_stdout_status(const char *prog, int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write standard output\n", prog);
		return 2;
	}
	return rc;
}
