/* log.c: one-line log messages on standard error. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

void log_line(const char *msg)
{
	/* the time as text, formatted again only when the second changes
	 * (a line a request) */
	static _Thread_local int64_t at = -1;
	static _Thread_local char t[32];
	char line[1024];
	int64_t now = hc_now();
	size_t n = 0;

	if (now != at) {
		hc_time_format(now, t, sizeof(t));
		at = now;
	}
	/* "%s hc-issued: %s\n" of t and msg, cut to the line's size with its
	 * newline kept, as snprintf would (without its cost: a line a request) */
	if (!hc_append(line, sizeof(line), &n, t) || !hc_append(line, sizeof(line), &n, " hc-issued: ") ||
	    !hc_append(line, sizeof(line), &n, msg) || !hc_append(line, sizeof(line), &n, "\n")) {
		const char *parts[] = {t, " hc-issued: ", msg, "\n"};

		n = 0;
		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && n < sizeof(line) - 1; i++) {
			size_t k = strnlen(parts[i], sizeof(line) - 1 - n);

			memcpy(line + n, parts[i], k);
			n += k;
		}
		line[n - 1] = '\n';
	}
	/* Nothing to do when the log itself cannot be written. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void log_msg(const char *fmt, ...)
{
	char msg[LOG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap); /* a long message is cut */
	va_end(ap);
	log_line(msg);
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
