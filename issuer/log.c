/* log.c: one-line log messages on standard error. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

void log_msg(const char *fmt, ...)
{
	/* the time as text, formatted again only when the second changes
	 * (a line a request) */
	static _Thread_local int64_t at = -1;
	static _Thread_local char t[32];
	char line[1024], msg[900];
	int64_t now = hc_now();
	va_list ap;
	int n;

	if (now != at) {
		hc_time_format(now, t, sizeof(t));
		at = now;
	}
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap); /* a long message is cut */
	va_end(ap);
	n = snprintf(line, sizeof(line), "%s hc-issued: %s\n", t, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* Nothing to do when the log itself cannot be written. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

hc_err log_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);

	if (fd == -1) {
		hc_set_detail("%s: %s", path, strerror(errno));
		return HC_ERR_IO;
	}
	if (dup2(fd, STDERR_FILENO) == -1) {
		hc_set_detail("%s: %s", path, strerror(errno));
		(void)close(fd);
		return HC_ERR_IO;
	}
	(void)close(fd);
	return HC_OK;
}
