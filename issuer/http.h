/* http.h: the HTTP(S) front of hc-issued (libmicrohttpd): routing, roles,
 * body caps, errors; the work is service.c's. */
#ifndef HC_ISSUED_HTTP_H
#define HC_ISSUED_HTTP_H

#include "service.h"

struct http;

/* Listens on the config's address (TLS with its certificate and key when
 * given) with a pool of threads; msg says what failed. */
hc_err http_start(struct svc *s, struct http **out, char *msg, size_t msgsz) HC_WUR;
/* The port bound (the config may say 0). */
unsigned http_port(const struct http *h);
/* Stops accepting connections, lets the requests in flight finish (at
 * most wait seconds), then stops; NULL is a no-op. */
void http_stop(struct http *h, unsigned wait);
/* "libmicrohttpd V, GnuTLS V", as they run (--version). */
void http_versions(char *buf, size_t n);

#endif
