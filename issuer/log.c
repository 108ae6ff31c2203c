/* log.c: one-line log messages on standard error. A request's line
 * (log_request_line) goes into a buffer that a thread of its own writes
 * LOG_EVERY_MS after the first line it holds (idle while none is held,
 * never polling): a write(2) a request was 5 % of a held code's CPU,
 * and an HTTP thread waiting in it on the file system's journal (up to
 * 17 ms under new codes) held its connections' answers meanwhile. Any
 * other line writes the buffer first, then itself, so the file keeps
 * the order the lines were made in; so do SIGHUP's reopen and the end
 * (log_flush, log_stop). A kill -9 loses at most LOG_EVERY_MS of request
 * lines, never one that was written. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_BUF (64u << 10) /* bytes of request lines held, each buffer */
#define LOG_EVERY_MS 5
#define LOG_LINE 1024 /* bytes of a line, its newline included */

static struct {
	pthread_mutex_t mu;  /* cur, len */
	pthread_mutex_t wmu; /* the writes to the file, in order */
	pthread_cond_t cv;   /* a first line held, or stop */
	char bufs[2][LOG_BUF];
	int cur;             /* the buffer lines go into */
	size_t len;
	bool started, stop;
	pthread_t t;
	pthread_once_t once; /* cv made, on CLOCK_MONOTONIC */
} lg = {.mu = PTHREAD_MUTEX_INITIALIZER, .wmu = PTHREAD_MUTEX_INITIALIZER,
	.once = PTHREAD_ONCE_INIT};

/* The writer's LOG_EVERY_MS are timed on CLOCK_MONOTONIC: on the default
 * CLOCK_REALTIME a wall clock stepped back (NTP correcting it) would
 * stretch the wait by as much, held lines going out only when the buffer
 * fills and lost to a kill -9 meanwhile. */
static void make_cv(void)
{
	(void)hc_cond_init_mono(&lg.cv); /* cannot fail on Linux */
}

static void put_all(const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(STDERR_FILENO, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return; /* nothing to do when the log itself cannot be written */
		p += k;
		n -= (size_t)k;
	}
}

/* Writes the held lines, and then line (n bytes) if any. Under lg.wmu:
 * the other buffer is free again once a write returns, so swapping the
 * two under lg.mu leaves the threads' lines going into an empty one. */
static void flush_then(const char *line, size_t n)
{
	const char *held;
	size_t len;

	pthread_mutex_lock(&lg.wmu);
	pthread_mutex_lock(&lg.mu);
	held = lg.bufs[lg.cur];
	len = lg.len;
	lg.cur ^= 1;
	lg.len = 0;
	pthread_mutex_unlock(&lg.mu);
	if (len)
		put_all(held, len);
	if (n)
		put_all(line, n);
	pthread_mutex_unlock(&lg.wmu);
}

static void *writer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lg.mu);
	while (!lg.stop) {
		struct timespec until;

		/* idle until a line is held, then LOG_EVERY_MS for the lines
		 * that come after it */
		if (!lg.len) {
			pthread_cond_wait(&lg.cv, &lg.mu);
			continue;
		}
		(void)clock_gettime(CLOCK_MONOTONIC, &until); /* lg.cv's clock */
		until.tv_sec += LOG_EVERY_MS / 1000;
		until.tv_nsec += LOG_EVERY_MS % 1000 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&lg.cv, &lg.mu, &until);
		if (lg.len) {
			pthread_mutex_unlock(&lg.mu);
			flush_then(NULL, 0);
			pthread_mutex_lock(&lg.mu);
		}
	}
	pthread_mutex_unlock(&lg.mu);
	return NULL;
}

void log_flush(void)
{
	flush_then(NULL, 0);
}

void log_stop(void)
{
	bool started;

	(void)pthread_once(&lg.once, make_cv);
	pthread_mutex_lock(&lg.mu);
	started = lg.started;
	lg.stop = true;
	lg.started = false;
	pthread_cond_signal(&lg.cv);
	pthread_mutex_unlock(&lg.mu);
	if (started)
		(void)pthread_join(lg.t, NULL);
	flush_then(NULL, 0);
}

/* "TIME hc-issued: MSG\n" into line (LOG_LINE bytes); its length. */
static size_t make_line(const char *msg, char *line)
{
	/* the time as text, formatted again only when the second changes
	 * (a line a request) */
	static _Thread_local int64_t at = -1;
	static _Thread_local char t[32];
	int64_t now = hc_now();
	size_t n = 0;

	if (now != at) {
		hc_time_format(now, t, sizeof(t));
		at = now;
	}
	/* "%s hc-issued: %s\n" of t and msg, cut to the line's size with its
	 * newline kept, as snprintf would (without its cost: a line a request) */
	if (!hc_append(line, LOG_LINE, &n, t) || !hc_append(line, LOG_LINE, &n, " hc-issued: ") ||
	    !hc_append(line, LOG_LINE, &n, msg) || !hc_append(line, LOG_LINE, &n, "\n")) {
		const char *parts[] = {t, " hc-issued: ", msg, "\n"};

		n = 0;
		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && n < LOG_LINE - 1; i++) {
			size_t k = strnlen(parts[i], LOG_LINE - 1 - n);

			memcpy(line + n, parts[i], k);
			n += k;
		}
		line[n - 1] = '\n';
	}
	return n;
}

void log_line(const char *msg)
{
	char line[LOG_LINE];

	flush_then(line, make_line(msg, line));
}

void log_request_line(const char *msg)
{
	char line[LOG_LINE];
	size_t n = make_line(msg, line);
	bool ok = false;

	(void)pthread_once(&lg.once, make_cv);
	pthread_mutex_lock(&lg.mu);
	if (!lg.started && !lg.stop)
		lg.started = pthread_create(&lg.t, NULL, writer_main, NULL) == 0;
	if (lg.started && lg.len + n <= LOG_BUF) {
		if (!lg.len) /* the thread waits for a first line */
			pthread_cond_signal(&lg.cv);
		memcpy(lg.bufs[lg.cur] + lg.len, line, n);
		lg.len += n;
		ok = true;
	}
	pthread_mutex_unlock(&lg.mu);
	if (!ok) /* the buffer full, no thread, or stopped: written now */
		flush_then(line, n);
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
