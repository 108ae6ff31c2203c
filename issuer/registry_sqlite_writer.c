/* registry_sqlite_writer.c: the registry's writer thread and its queue
 * of jobs (one transaction for every job queued: run_batch, or a
 * SAVEPOINT each when a job failed after it wrote: run_batch_savepoints),
 * and the writes that queue a job and wait for its commit (reg_apply,
 * reg_revoke, the token writes, reg_revlist_next_seq) or are told of it
 * (reg_apply_async). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry_sqlite.h"

/* One job for the writer; the caller waits on sem, which the writer posts
 * once per job when the commit holding it has returned, or (reg_apply_async:
 * sem NULL, the job on the heap) the writer calls done and frees the job. */
enum job_kind { J_APPLY, J_REVOKE, J_TOKEN_ADD, J_TOKEN_REVOKE, J_SEQ, J_PING };
struct job {
	enum job_kind kind;
	const struct reg_change *change;
	const char *jti, *reason, *actor, *cause, *name, *role;
	const uint8_t *hash;
	int64_t now;
	int64_t out;  /* version (apply) or seq */
	bool already;
	size_t idx;   /* reg_apply_many: the change's index */
	hc_err err;
	char detail[256];
	sem_t *sem;  /* the waiter's (shared by the jobs of reg_apply_many) */
	reg_done_fn *done;  /* reg_apply_async: called instead of a post */
	void *arg;
	struct job *next;
};

/* ---- the writer ---- */

static void job_fail(struct job *j, hc_err e, const char *detail)
{
	j->err = e;
	(void)snprintf(j->detail, sizeof(j->detail), "%s", detail);
}

static hc_err run_job(struct reg *r, struct job *j, struct chain *ch)
{
	switch (j->kind) {
	case J_APPLY:
		return rs_apply(&r->w, ch, j->change, &j->out);
	case J_REVOKE:
		return rs_revoke(&r->w, ch, j->jti, j->reason, j->actor, j->cause, j->now,
				 &j->already, &j->out);
	case J_TOKEN_ADD:
		return rs_token_add(&r->w, ch, j->hash, j->role, j->name, j->actor, j->now);
	case J_TOKEN_REVOKE:
		return rs_token_revoke(&r->w, ch, j->name, j->actor, j->now);
	case J_SEQ:
		return rs_next_seq(&r->w, &j->out);
	case J_PING:
		break;
	}
	return HC_OK;
}

/* The end of a batch: the audit entries not inserted yet, COMMIT, or when
 * the transaction was lost (lost), every job that had not failed fails.
 * The census takes the batch's changes to the codes with its COMMIT, under
 * its lock (a count in reg_stats sees both or neither), before any waiter
 * is woken; a batch lost drops them. Returns the number of changes
 * committed. */
static int64_t end_batch(struct reg *r, struct job *batch, int64_t n, bool lost)
{
	struct conn *c = &r->w;
	struct job *j;

	if (!lost)
		lost = rs_audit_flush(c) != HC_OK;
	if (!lost) {
		pthread_mutex_lock(&r->census.mu);
		lost = rs_exec(c, S_COMMIT, "commit") != HC_OK;
		if (!lost)
			rs_census_apply(&r->census, c);
		pthread_mutex_unlock(&r->census.mu);
	}
	c->ndl = 0;
	if (!lost)
		return n;
	rs_audit_drop(c, 0);
	if (!sqlite3_get_autocommit(c->db))
		rs_rollback(c);
	for (j = batch; j; j = j->next)
		if (j->err == HC_OK || j->kind == J_PING)
			job_fail(j, HC_ERR_STORE,
			         hc_detail()[0] ? hc_detail() : "registry: transaction lost");
	return 0;
}

/* Runs a batch in one transaction, each job in its own savepoint (a job
 * that fails after it wrote is rolled back alone); returns the number of
 * changes committed (0 when the transaction was lost, and then every job
 * has an error). */
static int64_t run_batch_savepoints(struct reg *r, struct job *batch)
{
	struct conn *c = &r->w;
	struct chain ch;
	struct job *j;
	int64_t n = 0;

	for (j = batch; j; j = j->next)
		j->err = HC_OK;
	c->ndl = 0;
	if (rs_exec(c, S_BEGIN_IMM, "begin") != HC_OK || rs_chain_load(c, &ch) != HC_OK)
		return end_batch(r, batch, 0, true);
	for (j = batch; j; j = j->next) {
		struct chain saved = ch;
		size_t mark = c->ndl;  /* the census's changes before the job */

		if (j->kind == J_PING)
			continue;
		hc_set_detail(NULL);
		j->err = rs_exec(c, S_SAVEPOINT, "savepoint");
		if (j->err == HC_OK)
			j->err = run_job(r, j, &ch);
		/* the job's audit entries inside its savepoint */
		if (j->err == HC_OK)
			j->err = rs_audit_flush(c);
		if (j->err == HC_OK && rs_exec(c, S_RELEASE, "release") == HC_OK) {
			n++;
			continue;
		}
		if (j->err == HC_OK)
			j->err = HC_ERR_STORE;
		job_fail(j, j->err, hc_detail());
		ch = saved;
		c->ndl = mark;
		rs_audit_drop(c, 0);
		/* Some errors (I/O, a full disk) end the whole transaction. */
		if (sqlite3_get_autocommit(c->db) ||
		    rs_exec(c, S_ROLLBACK_TO, "rollback") != HC_OK ||
		    rs_exec(c, S_RELEASE, "release") != HC_OK)
			return end_batch(r, batch, 0, true);
	}
	return end_batch(r, batch, n, false);
}

/* Runs a batch in one transaction without savepoints: a savepoint per job
 * copies every page the job changes that an earlier job of the batch had
 * changed (events: 1,000 jobs a commit), and nearly every job succeeds or
 * fails before it writes (a duplicate event, a version conflict). A job
 * that fails without changing a row (sqlite3_total_changes64 unchanged)
 * gets its error and the batch goes on; one that fails after it wrote
 * makes the whole transaction roll back, and the batch runs again with a
 * savepoint each. Returns as run_batch_savepoints. */
static int64_t run_batch(struct reg *r, struct job *batch)
{
	struct conn *c = &r->w;
	struct chain ch;
	struct job *j;
	int64_t n = 0;

	c->careful = false;
again:
	n = 0;
	c->ndl = 0;  /* a transaction rolled back took its census changes along */
	if (rs_exec(c, S_BEGIN_IMM, "begin") != HC_OK || rs_chain_load(c, &ch) != HC_OK)
		return end_batch(r, batch, 0, true);
	for (j = batch; j; j = j->next) {
		struct chain saved = ch;
		sqlite3_int64 before = sqlite3_total_changes64(c->db);
		size_t mark = c->ndl;

		j->err = HC_OK;
		if (j->kind == J_PING)
			continue;
		hc_set_detail(NULL);
		if ((j->err = run_job(r, j, &ch)) == HC_OK) {
			n++;
			continue;
		}
		job_fail(j, j->err, hc_detail());
		ch = saved;
		if (sqlite3_get_autocommit(c->db))
			return end_batch(r, batch, 0, true);  /* I/O, a full disk */
		/* A job that wrote, or that took the earlier jobs' audit
		 * entries into an insert (rs_audit_add: one that failed too,
		 * and then they are gone), has the transaction rolled back. */
		if (sqlite3_total_changes64(c->db) != before || c->naud < saved.npend) {
			rs_rollback(c);
			/* A new person made meanwhile (a request that raced
			 * another, or one sent again while its first copy was
			 * under way) fails only after it wrote: once more with
			 * every new person read first, so that such a job fails
			 * before writing and the others keep one transaction. */
			if (!c->careful && j->kind == J_APPLY && j->change->new_person &&
			    j->err == HC_ERR_CONFLICT) {
				c->careful = true;
				goto again;
			}
			c->careful = false;
			return run_batch_savepoints(r, batch);
		}
		/* its own audit entries, none inserted; the earlier jobs' stay
		 * (and its census changes, none without a write) */
		rs_audit_drop(c, saved.npend);
		c->ndl = mark;
	}
	c->careful = false;
	return end_batch(r, batch, n, false);
}

/* reg_on_change: the people a batch changed (a failed job too: telling
 * of a change that did not happen costs a cache miss, nothing more). */
static void tell_changes(const struct reg *r, const struct job *batch)
{
	for (const struct job *j = batch; r->on_change && j; j = j->next)
		if (j->kind == J_APPLY)
			r->on_change(r->on_change_arg, j->change->person);
		else if (j->kind == J_REVOKE)
			r->on_change(r->on_change_arg, NULL);
}

void reg_on_change(struct reg *r, void (*fn)(void *arg, const char *person), void *arg)
{
	pthread_mutex_lock(&r->mu);
	r->on_change = fn;
	r->on_change_arg = arg;
	pthread_mutex_unlock(&r->mu);
}

const int64_t reg_batch_le[REG_HIST_SLOTS - 1] = {1, 3, 7, 15, 31, 63, 127};
const int64_t reg_commit_le_us[REG_HIST_SLOTS - 1] = {1000,  2000,  5000,  10000,
						      20000, 50000, 100000};

/* The slot of a reg_stats histogram with bounds le for a value v. */
static unsigned hist_slot(const int64_t le[REG_HIST_SLOTS - 1], int64_t v)
{
	unsigned k = 0;

	while (k < REG_HIST_SLOTS - 1 && v > le[k])
		k++;
	return k;
}

void *rs_writer_main(void *arg)
{
	struct reg *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct job *batch, *j, *next;
		int64_t n, us;
		uint64_t t0;

		while (!r->head && !r->stop)
			pthread_cond_wait(&r->work, &r->mu);
		if (!r->head)
			break;
		batch = r->head;
		r->head = r->tail = NULL;
		pthread_mutex_unlock(&r->mu);
		t0 = hc_mono_us();
		n = run_batch(r, batch);
		us = (int64_t)(hc_mono_us() - t0);
		tell_changes(r, batch);
		pthread_mutex_lock(&r->mu);
		if (n > 0) {
			r->commits++;
			r->changes += n;
			r->hist[hist_slot(reg_batch_le, n)]++;
			r->commit_hist[hist_slot(reg_commit_le_us, us)]++;
			r->commit_us += us;
		}
		pthread_mutex_unlock(&r->mu);
		/* The waiters are woken outside the lock: a waiter woken by a
		 * condition variable under it first blocked again on the mutex
		 * the writer held, a second context switch per change (new codes
		 * over HTTPS, 2 cores: 3.8 switches a request before).
		 * A waiter needs no lock after: sem_post orders the job's results
		 * before its sem_wait returns. */
		for (j = batch; j; j = next) {
			next = j->next;  /* the waiter may return once its job is posted */
			if (j->done) {
				j->done(j->arg, j->err, j->detail, j->out);
				free(j);
			} else {
				(void)sem_post(j->sem);
			}
		}
		/* After a shared commit, let the callers just woken queue their
		 * next changes before taking the queue again: on a busy 2-core
		 * machine the writer otherwise takes the few jobs that came in
		 * during the commit (bench_registry: 7.4 changes a commit; with
		 * the yield 13, and 19% less CPU a change). A lone caller
		 * (n == 1) is not delayed. */
		if (n > 1)
			(void)sched_yield();
		/* The WAL's tail (catch_up), or past WAL_LIMIT (rs_wal_hook):
		 * after the waiters are told, so that they prepare their next
		 * changes meanwhile. */
		pthread_mutex_lock(&r->mu);
		if (r->ck_self) {
			r->ck_self = false;
			pthread_mutex_unlock(&r->mu);
			t0 = hc_mono_us();
			(void)sqlite3_wal_checkpoint_v2(r->w.db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
							NULL);
			us = (int64_t)(hc_mono_us() - t0);
			pthread_mutex_lock(&r->mu);
			r->self_ck++;
			r->self_ck_us += us;
		}
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* Queues the n jobs of v at once (so that the writer takes them into one
 * transaction) and waits until the commits holding them have returned:
 * one post of sem per job. */
static hc_err submit_n(struct reg *r, struct job *v, size_t n)
{
	sem_t sem;
	size_t posts = n;

	if (sem_init(&sem, 0, 0) != 0) {
		hc_set_detail("registry: cannot make a semaphore");
		return HC_ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		v[i].sem = &sem;
		v[i].err = HC_OK;
		v[i].next = i + 1 < n ? &v[i + 1] : NULL;
	}
	pthread_mutex_lock(&r->mu);
	if (r->stop) {
		for (size_t i = 0; i < n; i++)
			job_fail(&v[i], HC_ERR_UNAVAILABLE, "registry: closing");
		posts = 0;
	} else if (n) {
		if (r->tail)
			r->tail->next = &v[0];
		else
			r->head = &v[0];
		r->tail = &v[n - 1];
		pthread_cond_signal(&r->work);
	}
	pthread_mutex_unlock(&r->mu);
	/* sem_wait fails only when a signal interrupts it: wait again. Any
	 * other failure cannot be (the semaphore is ours and valid), and
	 * returning would leave the writer with jobs on a stack that is gone. */
	for (size_t i = 0; i < posts; i++)
		while (sem_wait(&sem) != 0)
			if (errno != EINTR)
				abort();
	(void)sem_destroy(&sem);
	return HC_OK;
}

/* Queues j and waits until the commit holding it has returned. */
static hc_err submit(struct reg *r, struct job *j)
{
	hc_err err = submit_n(r, j, 1);

	if (err != HC_OK)
		return err;
	if (j->err != HC_OK)
		hc_set_detail("%s", j->detail);
	return j->err;
}

/* ---- the writes: checked here, run by the writer ---- */

hc_err reg_apply(struct reg *r, const struct reg_change *c, int64_t *version_out)
{
	struct job j = {.kind = J_APPLY, .change = c};
	hc_err err = rs_change_check(c);

	if (err != HC_OK)
		return err;
	err = submit(r, &j);
	if (err == HC_OK && version_out)
		*version_out = j.out;
	return err;
}

hc_err reg_apply_async(struct reg *r, const struct reg_change *c, reg_done_fn *done, void *arg)
{
	struct job *j;
	hc_err err = rs_change_check(c);

	if (err != HC_OK)
		return err;
	if (!done) {
		/* (the writer tells a job with no done through its semaphore) */
		hc_set_detail("registry: an asynchronous change needs its done function");
		return HC_ERR_INVALID_ARG;
	}
	if (!(j = calloc(1, sizeof(*j)))) {
		hc_set_detail("registry: cannot queue a change");
		return HC_ERR_NOMEM;
	}
	j->kind = J_APPLY;
	j->change = c;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&r->mu);
	if (r->stop) {
		pthread_mutex_unlock(&r->mu);
		free(j);
		hc_set_detail("registry: closing");
		return HC_ERR_UNAVAILABLE;
	}
	if (r->tail)
		r->tail->next = j;
	else
		r->head = j;
	r->tail = j;
	pthread_cond_signal(&r->work);
	pthread_mutex_unlock(&r->mu);
	return HC_OK;
}

hc_err reg_apply_many(struct reg *r, const struct reg_change *c, size_t n, hc_err *err,
		      char (*detail)[REG_DETAIL_LEN], int64_t *version)
{
	struct job *v = calloc(n ? n : 1, sizeof(*v));
	size_t m = 0;
	hc_err e;

	if (!v)
		return HC_ERR_NOMEM;
	/* The checks first: only the changes that pass are queued. */
	for (size_t i = 0; i < n; i++) {
		err[i] = rs_change_check(&c[i]);
		if (err[i] != HC_OK) {
			if (detail)
				(void)snprintf(detail[i], REG_DETAIL_LEN, "%s", hc_detail());
			continue;
		}
		v[m].kind = J_APPLY;
		v[m].change = &c[i];
		v[m].idx = i;
		m++;
	}
	if ((e = submit_n(r, v, m)) != HC_OK) {
		free(v);
		return e;
	}
	for (size_t k = 0; k < m; k++) {
		size_t i = v[k].idx;

		err[i] = v[k].err;
		if (detail && v[k].err != HC_OK)
			(void)snprintf(detail[i], REG_DETAIL_LEN, "%s", v[k].detail);
		else if (detail)
			detail[i][0] = '\0';
		if (version)
			version[i] = v[k].out;
	}
	free(v);
	return HC_OK;
}

hc_err reg_revoke(struct reg *r, const char *jti, const char *reason, const char *actor,
		  const char *cause, int64_t now, bool *already, int64_t *at)
{
	struct job j = {.kind = J_REVOKE, .jti = jti, .reason = reason, .actor = actor,
			.cause = cause, .now = now};
	hc_err err;

	if (already)
		*already = false;
	if (at)
		*at = 0;
	if (!rs_is_b64u(jti, REG_JTI_LEN)) {
		hc_set_detail("jti: not %d base64url characters", REG_JTI_LEN);
		return HC_ERR_INVALID_ARG;
	}
	if (!rs_name_ok(actor, REG_NAME_LEN, "actor") ||
	    (reason && !rs_name_ok(reason, RS_MAX_TEXT, "reason")) ||
	    (cause && !rs_name_ok(cause, RS_MAX_TEXT, "cause")))
		return HC_ERR_INVALID_ARG;
	err = submit(r, &j);
	if (err == HC_OK && already)
		*already = j.already;
	if (err == HC_OK && at)
		*at = j.out;
	return err;
}

hc_err reg_token_add(struct reg *r, const uint8_t hash[32], const char *role, const char *name,
		     const char *actor, int64_t now)
{
	struct job j = {.kind = J_TOKEN_ADD, .hash = hash, .role = role, .name = name,
			.actor = actor, .now = now};

	if (!hash || !rs_name_ok(role, REG_ROLE_LEN, "role") ||
	    !rs_name_ok(name, REG_NAME_LEN, "name") || !rs_name_ok(actor, REG_NAME_LEN, "actor"))
		return HC_ERR_INVALID_ARG;
	return submit(r, &j);
}

hc_err reg_token_revoke(struct reg *r, const char *name, const char *actor, int64_t now)
{
	struct job j = {.kind = J_TOKEN_REVOKE, .name = name, .actor = actor, .now = now};

	if (!rs_name_ok(name, REG_NAME_LEN, "name") || !rs_name_ok(actor, REG_NAME_LEN, "actor"))
		return HC_ERR_INVALID_ARG;
	return submit(r, &j);
}

hc_err reg_revlist_next_seq(struct reg *r, int64_t *seq)
{
	struct job j = {.kind = J_SEQ};
	hc_err err = submit(r, &j);

	if (err == HC_OK)
		*seq = j.out;
	return err;
}

bool reg_writable(struct reg *r)
{
	struct job j = {.kind = J_PING};

	return submit(r, &j) == HC_OK;
}

void rs_stats_counters(struct reg *r, struct reg_stats *out)
{
	pthread_mutex_lock(&r->mu);
	out->commits = r->commits;
	out->changes = r->changes;
	out->wal_pages = r->wal_frames;
	memcpy(out->batch_hist, r->hist, sizeof(out->batch_hist));
	memcpy(out->commit_hist, r->commit_hist, sizeof(out->commit_hist));
	out->commit_us = r->commit_us;
	out->self_ck = r->self_ck;
	out->self_ck_us = r->self_ck_us;
	pthread_mutex_unlock(&r->mu);
}
