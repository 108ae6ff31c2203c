/* http.c: libmicrohttpd glue: routes, roles, content types, body caps and
 * the specific error of each bad request; answers carry X-Request-Id. */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "hc_sign.h"
#include "http_int.h"
#include "log.h"
#include "page.h"

#define CONNECTION_LIMIT 1024
/* Each connection's memory pool (MHD's default 32 KiB), which MHD clears
 * between two requests: the request line and headers, and the buffers the
 * body is read through (bodies are copied out in pieces) and the answer's
 * headers are written to. */
#define CONNECTION_MEMORY (16u * 1024)
/* Threads per core when the config says 0. No handler holds its thread
 * for long any more: records and codes wait for their commit with their
 * connection suspended (job_wait), and an events upload, a revocation
 * and a record or code whose source must be asked run on the job
 * threads (run_job, http_jobs.c), their connection suspended meanwhile. (Before, MHD's
 * pool keeping each connection on one thread, a blocking handler stalled
 * every connection on its thread, and the pool had 64 threads a core so
 * that held codes beside 4 events uploads kept a p99 of 36-65 ms: 344-
 * 1,255 ms at 16 threads.) The pool now needs only enough threads for
 * the short waits left (a registry page read from disk), and fewer cost
 * less a request. Measured on 2 cores shared with two other builds and
 * benchmarks (load 7 to 25: rates and p99s moved by 2-5x from run to
 * run, so compare the CPU and the context switches), tests/bench/
 * service.sh (b), held codes, 64 connections, 20,000 people: at 16
 * threads 0.074-0.096 ms of CPU and 0.23-0.49 voluntary context switches
 * a request, against 0.088-0.119 ms and 0.59-0.93 at 128 (8 threads:
 * 0.083-0.090 ms, 0.25-0.36); p99 19-53 ms either way but for outliers
 * when others took a fifth to half of the machine. Beside 4 connections
 * uploading events (BENCH_UPLOADS=1), see doc/CAPACITY.md.
 * Two a core since 2026-12-02: on the quiet 2-core machine 4 threads
 * beat 16 in every case measured, a registry of 10^6 people read from
 * the disk included (held codes 4,380/s, p99 34 ms, against 3,719/s and
 * 88 ms; new codes p99 35-41 ms against 51-54): a commit resumes
 * connections on fewer threads, each resume a wakeup that costs this VM
 * up to 30 us of CPU, and the disk gains nothing from more reads at once
 * (doc/CAPACITY.md). */
#define THREADS_PER_CORE 2


#define JSON "application/json"


static const struct route_def routes[] = {
	{"/v1/records", RT_RECORDS, "POST", JSON, 0, {"counter", NULL}},
	{"/v1/codes", RT_CODES, "POST", JSON, 0, {"counter", "app", NULL}},
	{"/v1/events", RT_EVENTS, "POST", "application/x-ndjson", EVENTS_MAX_BODY,
	 {"source:nat", "source:vac", "source:trv", "source:visit", "source:flag", "admin", NULL}},
	{"/v1/revocations", RT_REVOCATIONS, "POST", JSON, 0, {"admin", NULL}},
	{"/v1/audit", RT_AUDIT, "GET", NULL, 0, {"auditor", NULL}},
	{"/healthz", RT_HEALTHZ, "GET", NULL, 0, {NULL}},
	{"/metrics", RT_METRICS, "GET", NULL, 0, {NULL}},
};



static size_t max_body(const struct http *h, const struct req *q)
{
	return q->route && q->route->max_body ? q->route->max_body : h->s->cfg->max_body;
}

/* Media type type, with parameters or not. */
static bool is_type(const char *ct, const char *type)
{
	size_t n = strlen(type);

	if (!ct || strncasecmp(ct, type, n) != 0)
		return false;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* The first call of a request: route, method, token, role, type, size. */
static enum MHD_Result begin(struct http *h, struct MHD_Connection *c, struct req *q,
			     const char *url, const char *method)
{
	const char *v;
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	size_t n;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(url, routes[i].path) == 0)
			q->route = &routes[i];
	if (!q->route) {
		const char *type;

		q->rt = RT_PAGE;
		if (!hc_page_get(url, &n, &type)) {
			q->rt = RT_OTHER;
			return send_error(h, c, q, 404, NULL, "no such resource");
		}
		if (!get)
			return send_error(h, c, q, 405, "GET, HEAD", "%s is not allowed here", method);
		return MHD_YES;
	}
	q->rt = q->route->rt;
	if (strcmp(method, q->route->method) != 0 && !(get && strcmp(q->route->method, "GET") == 0))
		return send_error(h, c, q, 405, strcmp(q->route->method, "GET") == 0 ? "GET, HEAD"
										   : "POST",
				  "%s is not allowed here", method);
	if (http_authorize(h, c, q) != 0)
		return MHD_YES;
	if (!q->route->body)
		return MHD_YES;
	if (!is_type(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
		     q->route->body))
		return send_error(h, c, q, 415, NULL, "the body must be %s", q->route->body);
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (v) {
		char *end;
		unsigned long long len = strtoull(v, &end, 10);

		if (*end == '\0' && len > max_body(h, q))
			return send_error(h, c, q, 413, NULL, "the body is longer than %zu bytes",
					  max_body(h, q));
	}
	return MHD_YES;
}

static enum image wanted_image(struct MHD_Connection *c)
{
	const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);

	if (a && strstr(a, "image/png"))
		return IMG_PNG;
	if (a && strstr(a, "image/svg+xml"))
		return IMG_SVG;
	return IMG_NONE;
}

/* The handler again after the resume: the answer, or another try (after
 * a concurrent change; not once stopping: the change was not made). */
static enum MHD_Result resume_job(struct http *h, struct MHD_Connection *c, struct req *q)
{
	struct reply r = {0};
	bool again;

	atomic_store(&q->wait, 0u);
	atomic_fetch_add(&h->pending, 1);
	again = !atomic_load(&h->stopping);
	if (!svc_job_step(&q->job, again, &r))
		return job_wait(h, c, q);
	atomic_fetch_sub(&h->pending, 1);
	return send_reply(h, c, q, &r);
}

/* The whole request is in: do it. */
static enum MHD_Result finish(struct http *h, struct MHD_Connection *c, struct req *q,
			      const char *url)
{
	struct reply r = {0};
	const char *svgarg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "svg");
	bool svg = svgarg && strcmp(svgarg, "1") == 0;

	if (q->too_large)
		return send_error(h, c, q, 413, NULL, "the body is longer than %zu bytes",
				  max_body(h, q));
	if (job_blocking(q)) {
		if (!job_begin(h, q))
			return send_error(h, c, q, 503, NULL, "the service is stopping");
		job_queue(h, q);
		return job_wait(h, c, q);
	}
	switch (q->rt) {
	case RT_RECORDS:
	case RT_CODES: {
		enum svc_done done;

		if (!job_begin(h, q))
			return send_error(h, c, q, 503, NULL, "the service is stopping");
		q->img = q->rt == RT_CODES ? wanted_image(c) : IMG_NONE;
		q->svg = svg;
		done = job_call(h, q, false, &r);
		if (done == SVC_MUST_BLOCK)
			job_queue(h, q); /* a source to ask: again on a job thread */
		if (done != SVC_ANSWERED)
			return job_wait(h, c, q);
		atomic_fetch_sub(&h->pending, 1);
		break;
	}
	case RT_AUDIT:
		svc_audit(h->s, MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after"),
			  MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit"), &r);
		break;
	case RT_HEALTHZ:
		svc_healthz(h->s, &r);
		break;
	case RT_METRICS:
		svc_metrics(h->s, &r);
		break;
	case RT_PAGE: {
		const char *type = NULL;
		size_t n = 0;
		const char *p = hc_page_get(url, &n, &type);

		if (!p) {
			reply_error(&r, 404, "no such resource");
			break;
		}
		if (!(r.body = malloc(n ? n : 1))) {
			reply_error(&r, 500, "out of memory");
			break;
		}
		memcpy(r.body, p, n);
		r.len = n;
		r.status = 200;
		r.ctype = type;
		break;
	}
	default:
		reply_error(&r, 404, "no such resource");
		break;
	}
	return send_reply(h, c, q, &r);
}

/* A request id: 12 random bytes (hc_random_pooled: an id only has to be
 * unique, not secret) in base64url. */
static hc_err new_reqid(char *out, size_t n)
{
	uint8_t raw[12];
	hc_err err;

	if ((err = hc_random_pooled(raw, sizeof(raw))) != HC_OK)
		return err;
	return hc_b64u_encode(raw, sizeof(raw), out, n);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *size, void **con_cls)
{
	struct http *h = cls;
	struct req *q = *con_cls;

	(void)version;
	if (!q) {
		if (!(q = calloc(1, sizeof(*q))))
			return MHD_NO;
		*con_cls = q;
		q->h = h;
		q->c = c;
		atomic_fetch_add(&h->inflight, 1);
		q->t0 = hc_mono_us();
		q->rt = RT_OTHER;
		if (new_reqid(q->who.reqid, sizeof(q->who.reqid)) != HC_OK)
			return MHD_NO;
		return begin(h, c, q, url, method);
	}
	if (q->queued) {
		*size = 0; /* an early answer: the rest of the body is not wanted */
		return MHD_YES;
	}
	if (q->ready) {
		q->ready = false;
		return send_reply(h, c, q, &q->answer);
	}
	if (q->job)
		return resume_job(h, c, q);
	if (*size) {
		size_t cap = max_body(h, q);

		if (!q->too_large && *size > cap - q->len)
			q->too_large = true;
		if (!q->too_large) {
			if (q->len + *size + 1 > q->cap) {
				size_t ncap = q->cap ? q->cap : 4096;
				char *np;

				while (ncap < q->len + *size + 1)
					ncap *= 2;
				if (!(np = realloc(q->body, ncap)))
					return MHD_NO;
				q->body = np;
				q->cap = ncap;
			}
			memcpy(q->body + q->len, data, *size);
			q->len += *size;
			q->body[q->len] = '\0';
		}
		*size = 0;
		return MHD_YES;
	}
	return finish(h, c, q, url);
}

/* The request's log line, "%s %u %llu.%u ms %s %s%s" of its route,
 * status, time in tenths of a millisecond us, id, caller and end, made
 * without printf (whose two passes were 4% of a held code's
 * instructions). */
static void log_request(const struct req *q, uint64_t us, const char *end)
{
	char msg[LOG_MSG_MAX], num[24];
	size_t n = 0;

	if (hc_append(msg, sizeof(msg), &n, route_name(q->rt)) &&
	    hc_append(msg, sizeof(msg), &n, " ") &&
	    hc_append(msg, sizeof(msg), &n, hc_decimal(q->queued ? q->status : 0, num)) &&
	    hc_append(msg, sizeof(msg), &n, " ") &&
	    hc_append(msg, sizeof(msg), &n, hc_decimal((int64_t)(us / 10), num)) &&
	    hc_append(msg, sizeof(msg), &n, ".") &&
	    hc_append(msg, sizeof(msg), &n, hc_decimal((int64_t)(us % 10), num)) &&
	    hc_append(msg, sizeof(msg), &n, " ms ") && hc_append(msg, sizeof(msg), &n, q->who.reqid) &&
	    hc_append(msg, sizeof(msg), &n, " ") &&
	    hc_append(msg, sizeof(msg), &n, q->who.name[0] ? q->who.name : "-") &&
	    hc_append(msg, sizeof(msg), &n, end))
		log_request_line(msg);
	else /* longer than a message: cut as log_msg cuts it */
		log_msg("%s %u %llu.%u ms %s %s%s", route_name(q->rt), q->queued ? q->status : 0,
			(unsigned long long)(us / 10), (unsigned)(us % 10), q->who.reqid,
			q->who.name[0] ? q->who.name : "-", end);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct req *q = *con_cls;
	uint64_t us;

	if (!q)
		return;
	/* (an answer that did not complete is dropped with its connection) */
	if (q->corked && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && !reply_uncork(c))
		toe = MHD_REQUEST_TERMINATED_WITH_ERROR;
	metrics_request(&h->s->m, q->rt, q->queued ? q->status : 0);
	/* tenths of a millisecond in integers: a double through printf was
	 * a measurable part of a held code's answer */
	us = (hc_mono_us() - q->t0 + 50) / 100;
	log_request(q, us, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection ended)");
	svc_job_free(q->job); /* the connection ended after its commit, before its answer */
	reply_clear(&q->answer);
	free(q->body);
	free(q);
	*con_cls = NULL;
	atomic_fetch_sub(&h->inflight, 1);
}

/* libmicrohttpd's own messages, its format and arguments */
static void mhd_log(void *cls, const char *fmt, va_list ap) HC_PRINTF(2, 0);
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_msg("http: %s", msg);
}

hc_err http_start(struct svc *s, struct http **out, char *msg, size_t msgsz)
{
	const struct cfg *cf = s->cfg;
	struct http *h;
	unsigned threads = cf->threads;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	hc_err err;

	*out = NULL;
	if (!(h = calloc(1, sizeof(*h))))
		return HC_ERR_NOMEM;
	h->s = s;
	if (!threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n > 0 && n <= 256 / THREADS_PER_CORE ? (unsigned)n * THREADS_PER_CORE : 256;
	}
	/* The job threads before MHD: a request queued for them is run. */
	if ((err = jobs_start(h, cf->jobs, msg, msgsz)) != HC_OK) {
		http_stop(h, 0);
		return err;
	}
	if (cf->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (cf->tls) {
		flags |= MHD_USE_TLS;
		if ((err = hc_read_file(cf->tls_cert, 1u << 20, &h->cert, &h->certlen)) != HC_OK ||
		    (err = hc_read_file(cf->tls_key, 1u << 20, &h->key, &h->keylen)) != HC_OK) {
			(void)snprintf(msg, msgsz, "tls: %s: %s", hc_strerror(err), hc_detail());
			http_stop(h, 0);
			return err;
		}
	}
	/* The logger first, so that MHD says everything through it; the pool
	 * option only for more than one thread (else MHD warns). */
	h->d = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&cf->addr,
		threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_CONNECTION_TIMEOUT,
		threads > 1 ? threads : cf->timeout, MHD_OPTION_CONNECTION_TIMEOUT, cf->timeout,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY, MHD_OPTION_NOTIFY_COMPLETED,
		completed, h, cf->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
		(const char *)h->cert, MHD_OPTION_HTTPS_MEM_KEY, (const char *)h->key, MHD_OPTION_END);
	if (!h->d) {
		(void)snprintf(msg, msgsz, "cannot listen on %s (in use, or a bad TLS certificate or key)",
			       cf->listen);
		http_stop(h, 0);
		return HC_ERR_IO;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : 0;
	log_msg("listening on %s (port %u), %s, %u threads, %u job threads", cf->listen, h->port,
		cf->tls ? "HTTPS" : "plain HTTP", threads, h->njobs);
	*out = h;
	return HC_OK;
}

unsigned http_port(const struct http *h)
{
	return h ? h->port : 0;
}

void http_stop(struct http *h, unsigned wait)
{
	if (!h)
		return;
	if (h->d) {
		MHD_socket fd;
		uint64_t until = hc_mono_us() + (uint64_t)wait * 1000000u;

		atomic_store(&h->draining, true);
		fd = MHD_quiesce_daemon(h->d);
		if (fd != MHD_INVALID_SOCKET)
			(void)close(fd);
		while (atomic_load(&h->inflight) > 0 && hc_mono_us() < until) {
			const struct timespec tick = {0, 10000000L}; /* 10 ms */

			(void)nanosleep(&tick, NULL);
		}
		if (atomic_load(&h->inflight) > 0)
			log_msg("stopping with %d requests unfinished", atomic_load(&h->inflight));
		/* MHD must not be stopped with a connection suspended, nor the
		 * registry closed with a job of ours queued: wait for every job
		 * queued (the writer ends each, committed or failed), however
		 * long the wait above was. */
		atomic_store(&h->stopping, true);
		while (atomic_load(&h->pending) > 0) {
			const struct timespec tick = {0, 1000000L}; /* 1 ms */

			(void)nanosleep(&tick, NULL);
		}
		jobs_stop(h); /* their queue is empty: each queued job counts as pending */
		/* The last jobs' connections are resumed with their answers made
		 * (a 503 for those not begun): a second to send them, which MHD
		 * stopped now would not. */
		until = hc_mono_us() + 1000000u;
		while (atomic_load(&h->inflight) > 0 && hc_mono_us() < until) {
			const struct timespec tick = {0, 10000000L}; /* 10 ms */

			(void)nanosleep(&tick, NULL);
		}
		MHD_stop_daemon(h->d);
	}
	jobs_stop(h);
	if (h->jinit) {
		(void)pthread_cond_destroy(&h->jcv);
		(void)pthread_mutex_destroy(&h->jmu);
	}
	free(h->jthreads);
	if (h->key)
		OPENSSL_cleanse(h->key, h->keylen);
	free(h->key);
	free(h->cert);
	free(h);
}
