/* metrics.c: request and latency counters, rendered for Prometheus. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static const unsigned statuses[M_NSTATUS - 1] = {200, 400, 401, 403, 404,
						 405, 413, 415, 500, 503};
/* Upper bounds of the latency buckets, microseconds (printed in seconds
 * by %g: 0.0025, 1, 2.5). */
static const uint64_t bounds[M_NBUCKETS] = {1000,  2500,   5000,   10000,  25000, 50000,
					    100000, 250000, 500000, 1000000, 2500000};
static const char *const names[RT__COUNT] = {"/v1/records", "/v1/codes", "/v1/events",
					     "/v1/revocations", "/v1/audit", "/healthz",
					     "/metrics", "/", "other"};

const char *route_name(enum route rt)
{
	return (unsigned)rt < RT__COUNT ? names[rt] : "other";
}

void metrics_request(struct metrics *m, enum route rt, unsigned status)
{
	size_t i = 0;

	while (i < M_NSTATUS - 1 && statuses[i] != status)
		i++;
	if ((unsigned)rt >= RT__COUNT)
		rt = RT_OTHER;
	atomic_fetch_add(&m->req[rt][i], 1);
}

void metrics_latency(struct metrics *m, uint64_t us)
{
	size_t i = 0;

	while (i < M_NBUCKETS && us > bounds[i])
		i++;
	atomic_fetch_add(&m->lat[i], 1);
	atomic_fetch_add(&m->lat_sum_us, us);
	atomic_fetch_add(&m->lat_count, 1);
}

static const char *const ev_types[M_EV_TYPES + 1] = {"nat", "vac", "trv", "visit", "flag",
						     "none"};
static const char *const ev_verdicts[M_EV_VERDICTS] = {"accepted", "duplicate", "rejected"};

void metrics_event(struct metrics *m, int type, int verdict)
{
	if (type < 0 || type >= M_EV_TYPES)
		type = M_EV_TYPES;
	if (verdict >= 0 && verdict < M_EV_VERDICTS)
		atomic_fetch_add(&m->ev[type][verdict], 1);
}

void metrics_reevaluated(struct metrics *m, bool changed)
{
	atomic_fetch_add(&m->reevaluated, 1);
	if (changed)
		atomic_fetch_add(&m->status_changes, 1);
}

struct buf {
	char *p;
	size_t len, cap;
	bool bad;
};

static void put(struct buf *b, const char *fmt, ...) HC_PRINTF(2, 3);

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	for (;;) {
		if (b->bad)
			return;
		va_start(ap, fmt);
		r = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (r < 0) {
			b->bad = true;
			return;
		}
		if ((size_t)r < b->cap - b->len) {
			b->len += (size_t)r;
			return;
		}
		{
			size_t ncap = b->cap * 2 + (size_t)r;
			char *np = realloc(b->p, ncap);

			if (!np) {
				b->bad = true;
				return;
			}
			b->p = np;
			b->cap = ncap;
		}
	}
}

/* NAME_bucket lines of a reg_stats histogram (registry.h), cumulative:
 * le the bounds of all slots but the last ("+Inf"), printed divided by
 * unit (%g: 127, 0.001, 0.05); the total. */
static unsigned long long put_buckets(struct buf *b, const char *name,
				      const int64_t le[REG_HIST_SLOTS - 1], double unit,
				      const int64_t counts[REG_HIST_SLOTS])
{
	unsigned long long cum = 0;

	for (size_t i = 0; i < REG_HIST_SLOTS; i++) {
		cum += (unsigned long long)counts[i];
		if (i < REG_HIST_SLOTS - 1)
			put(b, "%s_bucket{le=\"%g\"} %llu\n", name, (double)le[i] / unit, cum);
		else
			put(b, "%s_bucket{le=\"+Inf\"} %llu\n", name, cum);
	}
	return cum;
}

hc_err metrics_render(struct metrics *m, const struct reg_stats *st, int64_t revlist_seq,
		      int64_t audit_published, char **out, size_t *n)
{
	struct buf b = {.cap = 8192};
	unsigned long long cum = 0;

	*out = NULL;
	if (!(b.p = malloc(b.cap)))
		return HC_ERR_NOMEM;
	put(&b, "# HELP hc_requests_total HTTP requests by path and status.\n"
		"# TYPE hc_requests_total counter\n");
	for (int r = 0; r < RT__COUNT; r++)
		for (size_t i = 0; i < M_NSTATUS; i++) {
			unsigned long long v = atomic_load(&m->req[r][i]);
			char code[8];

			if (!v)
				continue;
			if (i < M_NSTATUS - 1)
				(void)snprintf(code, sizeof(code), "%u", statuses[i]);
			else
				(void)snprintf(code, sizeof(code), "other");
			put(&b, "hc_requests_total{path=\"%s\",status=\"%s\"} %llu\n", names[r], code,
			    v);
		}
	put(&b, "# HELP hc_issue_seconds Time to evaluate, sign and commit a new code.\n"
		"# TYPE hc_issue_seconds histogram\n");
	for (size_t i = 0; i < M_NBUCKETS; i++) {
		cum += atomic_load(&m->lat[i]);
		put(&b, "hc_issue_seconds_bucket{le=\"%g\"} %llu\n", (double)bounds[i] / 1e6, cum);
	}
	cum += atomic_load(&m->lat[M_NBUCKETS]);
	put(&b, "hc_issue_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
	put(&b, "hc_issue_seconds_sum %.6f\nhc_issue_seconds_count %llu\n",
	    (double)atomic_load(&m->lat_sum_us) / 1e6, atomic_load(&m->lat_count));
	put(&b, "# HELP hc_events_total Event lines by type and verdict.\n"
		"# TYPE hc_events_total counter\n");
	for (int t = 0; t <= M_EV_TYPES; t++)
		for (int v = 0; v < M_EV_VERDICTS; v++) {
			unsigned long long x = atomic_load(&m->ev[t][v]);

			if (x)
				put(&b, "hc_events_total{type=\"%s\",verdict=\"%s\"} %llu\n",
				    ev_types[t], ev_verdicts[v], x);
		}
	put(&b, "# HELP hc_reevaluations_total People re-evaluated after an event.\n"
		"# TYPE hc_reevaluations_total counter\nhc_reevaluations_total %llu\n"
		"# HELP hc_status_changes_total Status changes after an event.\n"
		"# TYPE hc_status_changes_total counter\nhc_status_changes_total %llu\n",
	    atomic_load(&m->reevaluated), atomic_load(&m->status_changes));
	put(&b, "# HELP hc_codes Unrevoked, unexpired codes by status.\n# TYPE hc_codes gauge\n");
	for (int s = HC_ST_GREEN; s <= HC_ST_RED; s++)
		put(&b, "hc_codes{status=\"%s\"} %lld\n", hc_status_name((enum hc_status)s),
		    (long long)st->codes[s]);
	put(&b, "# HELP hc_codes_revoked Revoked codes that the revocation list names (those"
		" expired less than 5 minutes ago included).\n# TYPE hc_codes_revoked gauge\nhc_codes_revoked %lld\n",
	    (long long)st->revoked);
	put(&b, "# HELP hc_people People in the registry.\n# TYPE hc_people gauge\nhc_people %lld\n",
	    (long long)st->people);
	put(&b, "# HELP hc_revocation_list_seq Seq of the published revocation list.\n"
		"# TYPE hc_revocation_list_seq gauge\nhc_revocation_list_seq %lld\n",
	    (long long)revlist_seq);
	put(&b, "# HELP hc_audit_seq Last audit entry in the registry.\n"
		"# TYPE hc_audit_seq gauge\nhc_audit_seq %lld\n",
	    (long long)st->audit_seq);
	put(&b, "# HELP hc_audit_published_seq Last audit entry published.\n"
		"# TYPE hc_audit_published_seq gauge\nhc_audit_published_seq %lld\n",
	    (long long)audit_published);
	put(&b, "# HELP hc_commit_batch_size Changes per group commit (this process).\n"
		"# TYPE hc_commit_batch_size histogram\n");
	(void)put_buckets(&b, "hc_commit_batch_size", reg_batch_le, 1, st->batch_hist);
	put(&b, "hc_commit_batch_size_sum %lld\nhc_commit_batch_size_count %lld\n",
	    (long long)st->changes, (long long)st->commits);
	put(&b, "# HELP hc_commit_seconds Time of a group commit's transaction: its changes"
		" written and the WAL synced (this process).\n# TYPE hc_commit_seconds histogram\n");
	cum = put_buckets(&b, "hc_commit_seconds", reg_commit_le_us, 1e6, st->commit_hist);
	put(&b, "hc_commit_seconds_sum %.6f\nhc_commit_seconds_count %llu\n",
	    (double)st->commit_us / 1e6, cum);
	put(&b, "# HELP hc_writer_checkpoints_total Checkpoints the registry's writer made"
		" itself, the changes queued meanwhile waiting (this process).\n"
		"# TYPE hc_writer_checkpoints_total counter\nhc_writer_checkpoints_total %lld\n"
		"# HELP hc_writer_checkpoint_seconds_total Their time in all.\n"
		"# TYPE hc_writer_checkpoint_seconds_total counter\n"
		"hc_writer_checkpoint_seconds_total %.6f\n",
	    (long long)st->self_ck, (double)st->self_ck_us / 1e6);
	put(&b, "# HELP hc_wal_pages_total Pages the commits appended to the WAL (this process).\n"
		"# TYPE hc_wal_pages_total counter\nhc_wal_pages_total %lld\n",
	    (long long)st->wal_pages);
	if (b.bad) {
		free(b.p);
		return HC_ERR_NOMEM;
	}
	*out = b.p;
	*n = b.len;
	return HC_OK;
}
