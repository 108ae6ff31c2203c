/* log.h: the service's log: one line per event on standard error (or the
 * --log file, reopened on SIGHUP). Never a full identity number. */
#ifndef HC_ISSUED_LOG_H
#define HC_ISSUED_LOG_H

#include "hc.h"

/* "TIME hc-issued: MESSAGE\n" in one write (lines from threads do not mix);
 * a message is cut at LOG_MSG_MAX - 1 bytes. */
#define LOG_MSG_MAX 900
void log_msg(const char *fmt, ...) HC_PRINTF(1, 2);
/* The same for a message already made (no longer than log_msg's). */
void log_line(const char *msg);
/* A request's line, as log_line's but written by the log's own thread
 * within some milliseconds (log.c), started at the first such line. */
void log_request_line(const char *msg);
/* Writes the request lines held (before a reopen). */
void log_flush(void);
/* Writes them and stops the log's thread; later lines are written at
 * once. */
void log_stop(void);
/* Points standard error at path (appending; created mode 0640). */
hc_err log_open(const char *path) HC_WUR;

#endif
