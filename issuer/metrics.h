/* metrics.h: the service's counters and their Prometheus text. */
#ifndef HC_ISSUED_METRICS_H
#define HC_ISSUED_METRICS_H

#include <stdatomic.h>

#include "registry.h"

enum route {
	RT_RECORDS,
	RT_CODES,
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

struct metrics {
	atomic_ullong req[RT__COUNT][M_NSTATUS];
	atomic_ullong lat[M_NBUCKETS + 1];  /* non-cumulative, last = +Inf */
	atomic_ullong lat_sum_us, lat_count;
};

void metrics_request(struct metrics *m, enum route rt, unsigned status);
/* One code issued (evaluated, signed, committed) in us microseconds. */
void metrics_latency(struct metrics *m, uint64_t us);
/* The text exposition format; *out malloc'd. */
hc_err metrics_render(struct metrics *m, const struct reg_stats *st, int64_t revlist_seq,
		      int64_t audit_published, char **out, size_t *n) HC_WUR;

#endif
