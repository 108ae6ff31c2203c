/* policy_int.h: layouts and helpers shared by policy.c, record.c and risk.c only. */
#ifndef HC_POLICY_INT_H
#define HC_POLICY_INT_H

#include "hc_json.h"
#include "hc_policy.h"

#define HC__TIME_MAX 253402300799LL /* 9999-12-31T23:59:59Z */
#define HC__DAY 86400
#define HC__SKEW 300                /* entries may be dated this far past now */
#define HC__MAX_ENTRIES 256         /* per array of a record */
#define HC__MAX_AREAS 100000        /* areas in a risk list */
#define HC__MAX_RISK_JSON (16u << 20) /* 100000 areas do not fit HC_MAX_JSON_FILE */
#define HC__NAME_CHARS 64           /* code points in person.name */

/* Record flags, one bit each; hc__flag_names[i] names bit 1u << i. */
#define HC__NFLAGS 3
#define HC__FLAG_CONFIRMED (1u << 0)
#define HC__FLAG_CLOSE (1u << 1)
#define HC__FLAG_SECONDARY (1u << 2)
extern const char *const hc__flag_names[HC__NFLAGS];
/* The bit of a known flag name, 0 for an unknown one. */
unsigned hc__flag_bit(const char *name);

struct hc_policy {
	char id[64];
	int64_t validity_h;
	bool nat_required;
	int64_t nat_max_age_h, risk_max_age_h;
	int64_t high_red_days, high_yellow_days, medium_yellow_days;
	unsigned red_flags, yellow_flags;
};

struct hc__nat {
	int64_t at;
	bool positive;
};

struct hc__vac {
	int64_t at;
	int64_t dose;
};

/* A stay or a risk period: the half-open interval [from, end), where end is
 * the midnight (CST) after the last day. */
struct hc__span {
	uint32_t region;
	int64_t from, end;
};

/* A venue visit: the venue (region * 10^6 + number) and when. */
struct hc__visit {
	uint64_t venue;
	int64_t at;
};

struct hc_record {
	char name[HC__NAME_CHARS * 4 + 1];
	char id[19];
	int birth; /* from id: YYYYMMDD */
	/* hc_record_parse_inputs: no person, the masked identity given */
	bool premasked;
	char mname[128], mid[64];
	struct hc__nat nat[HC__MAX_ENTRIES];
	size_t nnat;
	struct hc__vac vac[HC__MAX_ENTRIES];
	size_t nvac;
	struct hc__span trv[HC__MAX_ENTRIES];
	size_t ntrv;
	struct hc__visit vis[HC__MAX_ENTRIES];
	size_t nvis;
	unsigned flags;
};

enum hc__level { HC__MEDIUM = 1, HC__HIGH = 2 };

/* Called once per exposure: a risk area whose code covers (or is covered
 * by) the stay's region and whose period intersects the stay; end is the
 * end of that intersection. */
typedef void (*hc__exposure_fn)(void *arg, enum hc__level level, int64_t end);
void hc__risk_exposures(const struct hc_risk *r, const struct hc__span *stay,
			hc__exposure_fn fn, void *arg);

/* Calls fn once per venue window of r that holds a visit to venue at
 * time at, with end the midnight (CST) after the day of the visit: a
 * visit counts like a stay in an area of that level on that day. */
void hc__risk_visit(const struct hc_risk *r, uint64_t venue, int64_t at, hc__exposure_fn fn,
		    void *arg);
/* A venue code "RRRRRR-NNNNNN": a region code as hc__region_parse wants,
 * a hyphen and six digits; *out is region * 10^6 + number. */
bool hc__venue_parse(const char *s, uint64_t *out);

/* When the list was published (its "updated"). */
int64_t hc__risk_updated(const struct hc_risk *r);
/* hc_policy_apply without hc_policy_risk_check: the status decision itself
 * (so the fuzz targets can decide with a list of any age). */
hc_err hc__policy_decide(const struct hc_policy *p, const struct hc_record *rec,
			 const struct hc_risk *risk, int64_t now, int64_t validity,
			 struct hc_claims *c) HC_WUR;

/* A six-digit GB/T 2260 code: province digits not "00", and a code whose
 * city digits are "00" has district digits "00" too. */
bool hc__region_parse(const char *s, uint32_t *out);
/* A time member: integer seconds (a JSON number), or a JSON string for
 * hc_time_parse_text (RFC 3339 or a date; never a string of digits). */
hc_err hc__json_time(const cJSON *obj, const char *name, bool required, int64_t *out,
		     bool *present) HC_WUR;
/* A calendar-date member "YYYY-MM-DD" (CST): *out is its first second. */
hc_err hc__json_date(const cJSON *obj, const char *name, int64_t *out) HC_WUR;
/* The identity part of a record: what precedes its entry arrays. */
#define RECORD_HEAD offsetof(struct hc_record, nat)
/* An empty record (its identity part and counts zeroed); NULL: no memory. */
struct hc_record *hc__record_new(void);
/* HC_OK when a record of inputs may be made with this masked name and id
 * (valid UTF-8 without control characters, fitting a record's fields);
 * HC_ERR_INVALID_ARG with a detail otherwise. */
hc_err hc__masked_check(const char *mname, const char *mid) HC_WUR;
/* r marked premasked, with mname and mid (passed by hc__masked_check). */
void hc__record_set_masked(struct hc_record *r, const char *mname, const char *mid);
/* Prefixes the current detail with a path ("nat[3]: member \"at\""). */
void hc__detail_at(const char *fmt, ...) HC_PRINTF(1, 2);

#endif
