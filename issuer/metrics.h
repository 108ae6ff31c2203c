/* metrics.h: the service's counters and their Prometheus text. */
#ifndef HC_ISSUED_METRICS_H
#define HC_ISSUED_METRICS_H

#include <stdatomic.h>

#include "registry.h"

enum route {
	RT_RECORDS,
	RT_CODES,
	RT_EVENTS,
	RT_REVOCATIONS,
	RT_AUDIT,
	RT_HEALTHZ,
	RT_METRICS,
	RT_PAGE,
	RT_OTHER,
	RT__COUNT
};
/* The label of a route ("/v1/records", ..., "other"). */
const char *route_name(enum route rt);

#define M_NSTATUS 11   /* 200, 400, 401, 403, 404, 405, 413, 415, 500, 503, other */
#define M_NBUCKETS 11  /* issuance latency buckets, +Inf excluded */

/* Events by type (nat, vac, trv, visit, flag; and lines of no known
 * type) and verdict (accepted, duplicate, rejected). */
#define M_EV_TYPES 5
#define M_EV_VERDICTS 3

struct metrics {
	atomic_ullong ev[M_EV_TYPES + 1][M_EV_VERDICTS];
	atomic_ullong reevaluated, status_changes;
	atomic_ullong req[RT__COUNT][M_NSTATUS];
	atomic_ullong lat[M_NBUCKETS + 1];  /* non-cumulative, last = +Inf */
	atomic_ullong lat_sum_us, lat_count;
};

void metrics_request(struct metrics *m, enum route rt, unsigned status);
/* One code issued (evaluated, signed, committed) in us microseconds. */
void metrics_latency(struct metrics *m, uint64_t us);
/* One event line's verdict; type -1: a line of no known type. */
void metrics_event(struct metrics *m, int type, int verdict);
/* One person re-evaluated (by an event); changed: their status changed. */
void metrics_reevaluated(struct metrics *m, bool changed);
/* The text exposition format; *out malloc'd. */
hc_err metrics_render(struct metrics *m, const struct reg_stats *st, int64_t revlist_seq,
		      int64_t audit_published, char **out, size_t *n) HC_WUR;

#endif
