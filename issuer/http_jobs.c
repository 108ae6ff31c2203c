/* http_jobs.c: hc-issued's job threads, which run the handlers that would
 * hold an HTTP thread for long, and the handshake by which a connection
 * suspended for a job or a commit is resumed with its answer. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "http_int.h"

/* Job threads per core when the config says 0 (see run_job): an events
 * upload is mostly CPU and group commits, so a few a core keep the cores
 * and the writer busy; a slow queried source holds one for up to its
 * timeout, and the jobs past the threads queue in order of arrival.
 * They run at the HTTP threads' priority: at nice 10 (a held code at a
 * counter before an upload) nothing moved beyond the shared machine's
 * noise, and a job thread holding a lock the HTTP threads want (the
 * registry's, the risk list's) would then wait behind every other
 * process on a loaded machine. */
#define JOBS_PER_CORE 4

/* A records or codes request's job waits for its commit with its
 * connection suspended, so that its thread serves other connections
 * meanwhile. job_wake (the registry's writer, after the commit) and job_wait
 * (the handler, after queueing the job) may come in either order: each
 * marks its part and the second resumes the connection (MHD: never one
 * that is not suspended) and counts the wait ended. MHD neither calls the
 * handler nor ends a suspended connection (a client's disconnect shows
 * after the resume), so the job and q stay while the writer has them. */
void job_wake(void *arg)
{
	struct req *q = arg;
	struct http *h = q->h;
	struct MHD_Connection *c = q->c;

	if (atomic_fetch_or(&q->wait, WAIT_DONE) & WAIT_SUSPENDED) {
		MHD_resume_connection(c);
		atomic_fetch_sub(&h->pending, 1);
	}
}

enum MHD_Result job_wait(struct http *h, struct MHD_Connection *c, struct req *q)
{
	MHD_suspend_connection(c);
	if (atomic_fetch_or(&q->wait, WAIT_SUSPENDED) & WAIT_DONE) {
		MHD_resume_connection(c);
		atomic_fetch_sub(&h->pending, 1);
	}
	return MHD_YES;
}

/* Before a step that may queue a job: false once http_stop waits for the
 * last ones (it sees this count, or this sees stopping). */
bool job_begin(struct http *h, struct req *q)
{
	atomic_store(&q->wait, 0u);
	atomic_fetch_add(&h->pending, 1);
	if (atomic_load(&h->stopping)) {
		atomic_fetch_sub(&h->pending, 1);
		return false;
	}
	return true;
}

/* The handlers that hold their thread for long: an events upload (up to
 * 16 MiB of lines parsed and evaluated, a commit waited for each chunk:
 * some 40 ms of CPU and several commits for 1,000 lines), a revocation
 * (its commit), and a record or code for which a source must be asked
 * first (an HTTPS call of up to the source's timeout: svc_records and
 * svc_codes say SVC_MUST_BLOCK). MHD's pool keeps each connection on one
 * thread, so each of these would stall every connection on its thread
 * meanwhile: they run on a job thread instead (run_job), their
 * connection suspended as for a commit. */
bool job_blocking(const struct req *q)
{
	return q->rt == RT_EVENTS || q->rt == RT_REVOCATIONS;
}

enum svc_done job_call(struct http *h, struct req *q, bool may_block, struct reply *r)
{
	const char *body = q->body ? q->body : "";

	if (q->rt == RT_RECORDS)
		return svc_records(h->s, &q->who, body, q->len, q->svg, may_block, job_wake, q,
				   &q->job, r);
	return svc_codes(h->s, &q->who, body, q->len, q->img, q->svg, may_block, job_wake, q,
			 &q->job, r);
}

/* A job thread's turn at q (queued by finish, its connection suspended):
 * the handler as the MHD thread would have run it, its answer kept in q
 * for the handler, resumed by job_wake, to send (handle). A records or codes
 * change queued for its commit is woken by the writer instead, and the
 * resumed handler steps its job (resume_job). A job still queued once
 * http_stop has waited its time is not begun. */
static void run_job(struct http *h, struct req *q)
{
	struct reply r = {0};
	const char *body = q->body ? q->body : "";
	enum svc_done done = SVC_ANSWERED;

	if (atomic_load(&h->stopping)) {
		reply_error(&r, 503, "the service is stopping");
	} else {
		switch (q->rt) {
		case RT_EVENTS:
			svc_events(h->s, &q->who, body, q->len, &r);
			break;
		case RT_REVOCATIONS:
			svc_revocations(h->s, &q->who, body, q->len, &r);
			break;
		case RT_RECORDS:
		case RT_CODES:
			done = job_call(h, q, true, &r);
			break;
		default:
			reply_error(&r, 404, "no such resource");
			break;
		}
	}
	if (done == SVC_WAITING)
		return; /* q is the writer's now: it calls job_wake after the commit */
	q->answer = r;
	q->ready = true;
	job_wake(q); /* q may be gone from here on */
}

static void *job_thread(void *arg)
{
	struct http *h = arg;

	(void)pthread_mutex_lock(&h->jmu);
	for (;;) {
		struct req *q = h->jhead;

		if (!q) {
			if (h->jquit)
				break;
			(void)pthread_cond_wait(&h->jcv, &h->jmu);
			continue;
		}
		if (!(h->jhead = q->jnext))
			h->jtail = NULL;
		(void)pthread_mutex_unlock(&h->jmu);
		run_job(h, q);
		(void)pthread_mutex_lock(&h->jmu);
	}
	(void)pthread_mutex_unlock(&h->jmu);
	return NULL;
}

/* Queues q for a job thread, in order of arrival. */
void job_queue(struct http *h, struct req *q)
{
	q->jnext = NULL;
	(void)pthread_mutex_lock(&h->jmu);
	if (h->jtail)
		h->jtail->jnext = q;
	else
		h->jhead = q;
	h->jtail = q;
	(void)pthread_cond_signal(&h->jcv);
	(void)pthread_mutex_unlock(&h->jmu);
}

hc_err jobs_start(struct http *h, unsigned jobs, char *msg, size_t msgsz)
{
	if (!jobs) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		jobs = n > 0 && n <= 64 / JOBS_PER_CORE ? (unsigned)n * JOBS_PER_CORE : 64;
	}
	if (pthread_mutex_init(&h->jmu, NULL) != 0) {
		(void)snprintf(msg, msgsz, "out of memory");
		return HC_ERR_NOMEM;
	}
	if (pthread_cond_init(&h->jcv, NULL) != 0) {
		(void)snprintf(msg, msgsz, "out of memory");
		(void)pthread_mutex_destroy(&h->jmu);
		return HC_ERR_NOMEM;
	}
	h->jinit = true;
	if (!(h->jthreads = calloc(jobs, sizeof(*h->jthreads)))) {
		(void)snprintf(msg, msgsz, "out of memory");
		return HC_ERR_NOMEM;
	}
	for (; h->njobs < jobs; h->njobs++)
		if (pthread_create(&h->jthreads[h->njobs], NULL, job_thread, h) != 0) {
			(void)snprintf(msg, msgsz, "cannot start %u job threads", jobs);
			return HC_ERR_NOMEM;
		}
	return HC_OK;
}

/* Ends the job threads once their queue is empty; again: a no-op. */
void jobs_stop(struct http *h)
{
	if (!h->jinit)
		return;
	(void)pthread_mutex_lock(&h->jmu);
	h->jquit = true;
	(void)pthread_cond_broadcast(&h->jcv);
	(void)pthread_mutex_unlock(&h->jmu);
	for (unsigned i = 0; i < h->njobs; i++)
		(void)pthread_join(h->jthreads[i], NULL);
	h->njobs = 0;
}
