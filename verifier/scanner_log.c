/* scanner_log.c: the scan log: each verdict one JSON line in hc-verify
 * batch's input format ({"code","at","checkpoint"}) plus "verdict" and
 * "reason", in a file of mode 0600, on disk within a second. --log DIR
 * (an existing directory) writes DIR/scan-YYYY-MM-DD.jsonl, the day of
 * each scan in local time; any other --log is one file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hc_json.h"
#include "scanner.h"

int64_t scan_mono_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int log_sync(struct scan_log *l)
{
	if (l->fd < 0 || !l->dirty)
		return 0;
	if (fdatasync(l->fd) != 0) {
		fprintf(stderr, "hc-verify scan: %s: %s\n", l->path, strerror(errno));
		return -1;
	}
	l->dirty = false;
	l->synced_ms = scan_mono_ms();
	return 0;
}

/* Opens path for appending; an existing file must be a regular file that
 * only its owner may read. */
static int log_file(struct scan_log *l, const char *path)
{
	struct stat st;
	int fd;

	if (hc_path(l->path, sizeof(l->path), "%s", path) != HC_OK) {
		fprintf(stderr, "hc-verify scan: --log: path too long\n");
		return -1;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		fprintf(stderr, "hc-verify scan: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		fprintf(stderr, "hc-verify scan: %s: not a regular file of mode 0600\n", path);
		(void)close(fd);
		return -1;
	}
	l->fd = fd;
	l->synced_ms = scan_mono_ms();
	return 0;
}

int scan_log_open(struct scan_log *l, const char *spec)
{
	struct stat st;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->spec = spec;
	if (!spec)
		return 0;
	if (stat(spec, &st) == 0 && S_ISDIR(st.st_mode)) {
		l->daily = true;
		return 0;
	}
	return log_file(l, spec);
}

/* The day file for time at, opened when it is not the one open. */
static int log_day(struct scan_log *l, int64_t at)
{
	time_t t = (time_t)at;
	struct tm tm;
	char day[16], path[4096];

	if (!localtime_r(&t, &tm) || strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0) {
		fprintf(stderr, "hc-verify scan: scan time %lld out of range\n", (long long)at);
		return -1;
	}
	if (l->fd >= 0 && strcmp(day, l->day) == 0)
		return 0;
	if (hc_path(path, sizeof(path), "%s/scan-%s.jsonl", l->spec, day) != HC_OK) {
		fprintf(stderr, "hc-verify scan: --log: path too long\n");
		return -1;
	}
	if (l->fd >= 0 && scan_log_close(l) != 0)
		return -1;
	if (log_file(l, path) != 0)
		return -1;
	memcpy(l->day, day, sizeof(day));
	return 0;
}

int scan_log_write(struct scan_log *l, const struct verdict *v, const char *checkpoint)
{
	cJSON *o;
	char *s = NULL;
	size_t n, off = 0;
	int rc = -1;

	if (!l->spec)
		return 0;
	if (l->daily && log_day(l, v->at) != 0)
		return -1;
	if (!(o = cJSON_CreateObject()) || !cJSON_AddStringToObject(o, "code", v->code) ||
	    !cJSON_AddNumberToObject(o, "at", (double)v->at) ||
	    (checkpoint && !cJSON_AddStringToObject(o, "checkpoint", checkpoint)) ||
	    !cJSON_AddStringToObject(o, "verdict", v->r.err == HC_OK ? "pass" : "fail") ||
	    !cJSON_AddStringToObject(o, "reason", hc_reason(v->r.err)) ||
	    !(s = cJSON_PrintUnformatted(o))) {
		fprintf(stderr, "hc-verify scan: out of memory\n");
		goto out;
	}
	/* One write of the whole line: O_APPEND keeps lines whole. */
	n = strlen(s);
	s[n++] = '\n'; /* over the NUL: the text is not used as a string again */
	while (off < n) {
		ssize_t w = write(l->fd, s + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "hc-verify scan: %s: %s\n", l->path,
				w < 0 ? strerror(errno) : "short write");
			goto out;
		}
		off += (size_t)w;
	}
	l->dirty = true;
	rc = scan_log_tick(l);
out:
	free(s);
	cJSON_Delete(o);
	return rc;
}

int scan_log_tick(struct scan_log *l)
{
	if (l->fd < 0 || !l->dirty || scan_mono_ms() - l->synced_ms < 1000)
		return 0;
	return log_sync(l);
}

int scan_log_close(struct scan_log *l)
{
	int rc;

	if (l->fd < 0)
		return 0;
	rc = log_sync(l);
	if (close(l->fd) != 0 && rc == 0) {
		fprintf(stderr, "hc-verify scan: %s: %s\n", l->path, strerror(errno));
		rc = -1;
	}
	l->fd = -1;
	return rc;
}
