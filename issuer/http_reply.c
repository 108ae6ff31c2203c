/* http_reply.c: hc-issued's answers on their way: the headers every answer
 * carries, and over TLS a small answer's headers and body as one record
 * (corked by send_reply, sent by reply_uncork when the request ends). */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <poll.h>
#include <sys/socket.h>

#include "http_int.h"

/* An answer of at most this many body bytes goes out corked over TLS
 * (see send_reply): with its headers it fits the socket's send buffer
 * of a client that reads its answers. */
#define CORK_MAX 4096u
/* How long (us) reply_uncork waits for a client to make room for a corked
 * answer before ending its connection (only a client that sends
 * requests ahead without reading its answers gets there). */
#define CORK_WAIT_US 100000u

static void free_body(void *p)
{
	free(p);
}

/* Every answer, the counter page's files included: no framing, no
 * referrer, only the daemon's own script, styles and API. */
#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

enum MHD_Result send_reply(struct http *h, struct MHD_Connection *c, struct req *q,
			   struct reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer_with_free_callback(r->len, r->body, free_body);
	if (!resp) {
		reply_clear(r);
		return MHD_NO;
	}
	r->body = NULL;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				    r->ctype ? r->ctype : "application/json") != MHD_YES ||
	    MHD_add_response_header(resp, "X-Request-Id", q->who.reqid) != MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
	    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES ||
	    MHD_add_response_header(resp, "Content-Security-Policy", CSP) != MHD_YES ||
	    MHD_add_response_header(resp, "X-Frame-Options", "DENY") != MHD_YES ||
	    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") != MHD_YES ||
	    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin") != MHD_YES ||
	    (h->cert && MHD_add_response_header(resp, "Strict-Transport-Security",
						"max-age=31536000") != MHD_YES) ||
	    (r->allow && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow) != MHD_YES) ||
	    (atomic_load(&h->draining) &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	q->status = r->status;
	q->queued = true;
	/* libmicrohttpd 0.9.75 sends the headers and the body over TLS as two
	 * records, each its own sendmsg and TCP segment (it joins them only
	 * in plain HTTP). Corked, GnuTLS keeps both sends and completed()
	 * sends them as one record in one sendmsg: a held code's answer cost
	 * 2 sendmsg, now 1, and its client one read fewer. Only for answers
	 * that fit a send buffer: a larger one (a PNG, an audit page) goes
	 * out as before. completed() runs on this connection's thread once
	 * the answer is handed over and before the connection is closed
	 * (libmicrohttpd tells the end of a request before it closes). */
	if (h->cert && r->len <= CORK_MAX) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);

		if (ci && ci->tls_session) {
			gnutls_record_cork((gnutls_session_t)ci->tls_session);
			q->corked = true;
		}
	}
	ret = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result send_error(struct http *h, struct MHD_Connection *c, struct req *q,
			   unsigned status, const char *allow, const char *fmt, ...)
{
	struct reply r = {0};
	char detail[256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	reply_error(&r, status, "%s", detail);
	r.allow = allow;
	return send_reply(h, c, q, &r);
}

/* Sends the answer send_reply corked on c. A client that does not make
 * room for it within CORK_WAIT_US (it sent requests ahead and reads none
 * of the answers) has its connection ended: the answer is not kept back
 * for it, nor is the next one corked behind it. False when not sent. */
bool reply_uncork(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	const union MHD_ConnectionInfo *fi = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	uint64_t until = 0;

	if (!ci || !ci->tls_session || !fi)
		return false;
	for (;;) {
		int ret = gnutls_record_uncork((gnutls_session_t)ci->tls_session, 0);
		struct pollfd pfd = {.fd = fi->connect_fd, .events = POLLOUT};
		uint64_t now;

		if (ret >= 0)
			return true;
		now = hc_mono_us();
		if (!until)
			until = now + CORK_WAIT_US;
		if ((ret != GNUTLS_E_AGAIN && ret != GNUTLS_E_INTERRUPTED) || now >= until)
			break;
		(void)poll(&pfd, 1, (int)((until - now + 999) / 1000));
	}
	(void)shutdown(fi->connect_fd, SHUT_RDWR); /* libmicrohttpd then closes it */
	return false;
}

void http_versions(char *buf, size_t n)
{
	const char *g = gnutls_check_version(NULL);

	(void)snprintf(buf, n, "libmicrohttpd %s, GnuTLS %s", MHD_get_version(), g ? g : "?");
}
