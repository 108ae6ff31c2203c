/* http_int.h: what http.c (MHD's handlers, routes and answers) and
 * http_jobs.c (the job threads, and the handshake by which a suspended
 * connection is resumed) share. */
#ifndef HC_ISSUED_HTTP_INT_H
#define HC_ISSUED_HTTP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <microhttpd.h>

#include "http.h"

struct http {
	struct svc *s;
	struct MHD_Daemon *d;
	uint8_t *cert, *key;
	size_t certlen, keylen;
	atomic_int inflight;
	atomic_int pending;       /* requests whose job waits or may wait for a commit */
	atomic_bool draining;
	atomic_bool stopping;     /* no job may wait any more */
	unsigned port;
	/* the job threads: they run the blocking handlers (see run_job) */
	pthread_mutex_t jmu;
	pthread_cond_t jcv;
	struct req *jhead, *jtail; /* the requests queued for them, in order */
	bool jquit;               /* under jmu: the threads end once the queue is empty */
	bool jinit;               /* jmu and jcv initialised */
	pthread_t *jthreads;
	unsigned njobs;           /* threads started */
};

/* Who may call a route: NULL-terminated roles; none: open to all. */
struct route_def {
	const char *path;
	enum route rt;
	const char *method;       /* "POST" or "GET" */
	const char *body;         /* the body's type, or NULL for none */
	size_t max_body;          /* 0: the config's max_body */
	const char *roles[7];
};

struct req {
	const struct route_def *route;
	enum route rt;
	bool queued;              /* an answer is on its way */
	bool corked;              /* its TLS records held until completed() (send_reply) */
	bool too_large;
	char *body;
	size_t len, cap;
	unsigned status;
	uint64_t t0;
	struct caller who;
	/* records and codes: the job waiting for its commit, its connection
	 * suspended meanwhile (see job_wait) */
	struct svc_job *job;
	struct http *h;
	struct MHD_Connection *c;
	atomic_uint wait;         /* WAIT_DONE | WAIT_SUSPENDED */
	/* a blocking handler run by a job thread (run_job): what it needs of
	 * the connection, taken before, and its answer */
	struct req *jnext;        /* the job threads' queue */
	enum image img;
	bool svg;
	bool ready;               /* answer holds the answer to send */
	struct reply answer;
};

#define WAIT_DONE 1u
#define WAIT_SUSPENDED 2u

/* http_reply.c: sends r (taking its body) on c, corked over TLS when
 * small; reply_uncork, at the request's end, sends what was corked
 * (false when the client made no room for it: its connection is ended).
 * send_error: an error answer (reply_error's JSON) of status, with an
 * Allow header when allow is not NULL. */
enum MHD_Result send_reply(struct http *h, struct MHD_Connection *c, struct req *q,
			   struct reply *r);
bool reply_uncork(struct MHD_Connection *c);
enum MHD_Result send_error(struct http *h, struct MHD_Connection *c, struct req *q,
			   unsigned status, const char *allow, const char *fmt, ...)
	HC_PRINTF(6, 7);
/* http_auth.c: 0 when the caller may go on (q->who set), else the status
 * already sent (401, 403, 500). */
unsigned http_authorize(struct http *h, struct MHD_Connection *c, struct req *q);
/* http_jobs.c: see there. */
void job_wake(void *arg);
enum MHD_Result job_wait(struct http *h, struct MHD_Connection *c, struct req *q);
bool job_begin(struct http *h, struct req *q);
bool job_blocking(const struct req *q);
/* svc_records or svc_codes for q, as its route says; may_block: on a job
 * thread, where a source may be asked. */
enum svc_done job_call(struct http *h, struct req *q, bool may_block, struct reply *r);
void job_queue(struct http *h, struct req *q);
/* Starts the job threads, jobs of them (0: JOBS_PER_CORE a core), their
 * number in h->njobs; msg says what failed (http_stop cleans up). */
hc_err jobs_start(struct http *h, unsigned jobs, char *msg, size_t msgsz) HC_WUR;
void jobs_stop(struct http *h);

#endif
