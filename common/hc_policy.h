/* hc_policy.h: issuer inputs (person record, risk areas) and the status
 * policy engine of DESIGN 5. */
#ifndef HC_POLICY_H
#define HC_POLICY_H

#include "hc_token.h"

/* The longest validity of a code, seconds (a policy's validity_h and
 * hc-issue --validity: 720 hours, 30 days). */
#define HC_POLICY_MAX_VALIDITY ((int64_t)720 * 3600)

struct hc_policy;
struct hc_risk;
struct hc_record;

/* The built-in default policy ("default-1"). */
hc_err hc_policy_default(struct hc_policy **out) HC_WUR;
/* A policy file (JSON, strict; see doc/FORMATS.md). */
hc_err hc_policy_parse(const char *json, size_t n, struct hc_policy **out) HC_WUR;
void hc_policy_free(struct hc_policy *p);
const char *hc_policy_id(const struct hc_policy *p);
/* Validity of a code under this policy, seconds. */
int64_t hc_policy_validity(const struct hc_policy *p);

/* A risk-area list (JSON, strict): the unsigned form {"updated","areas"}. */
hc_err hc_risk_parse(const char *json, size_t n, struct hc_risk **out) HC_WUR;
/* The payload of a signed list {"seq","iat","areas","venues"} (no
 * signature checked: hc-keys riskareas checks a payload before signing). */
hc_err hc_risk_parse_payload(const char *json, size_t n, struct hc_risk **out) HC_WUR;
struct hc_trust;
/* The largest signed list: a 16 MiB payload in base64url and its header. */
#define HC_MAX_RISK_JWS (22u << 20)
/* The signed national list risk-areas.jws (a JWS, ES256, no zip, of at
 * most HC_MAX_RISK_JWS bytes with a payload of at most 16 MiB, one
 * trailing newline allowed): signed by one of t's pinned
 * roots (HC_ERR_RISK, the detail starting "signature:", otherwise: a bad
 * signature, a key that is not a root, a JWS that does not parse), its
 * payload as hc_risk_parse_payload wants (HC_ERR_RISK, the detail starting
 * "payload:"). The signature is checked before the payload is read. */
hc_err hc_risk_verify(const struct hc_trust *t, const char *jws, size_t n,
		      struct hc_risk **out) HC_WUR;
/* A signed list's seq (0 for the unsigned form) and its iat (the
 * unsigned form's updated). */
int64_t hc_risk_seq(const struct hc_risk *r);
int64_t hc_risk_iat(const struct hc_risk *r);
/* Whether s is a venue code "RRRRRR-NNNNNN" as records and lists take it:
 * a region code (its province not 00; a city of 00 only in the province's
 * own code XX0000), a hyphen and six digits. */
bool hc_venue_valid(const char *s);
/* Number of areas; *venues (if not NULL) the number of venue windows. */
size_t hc_risk_count(const struct hc_risk *r, size_t *venues);
void hc_risk_free(struct hc_risk *r);
/* An entry of a list: an area (code a region, [from, end) its days, end
 * the midnight CST after the last) or a venue (code "RRRRRR-NNNNNN",
 * [from, end) its window). */
struct hc_risk_entry {
	bool venue;
	char code[16];
	int64_t from, end;
};
/* Calls fn for each entry (level included) in exactly one of a and b
 * (either may be NULL: no entries): the entries whose change may change
 * the status of someone who stayed or visited there. */
void hc_risk_diff(const struct hc_risk *a, const struct hc_risk *b,
		  void (*fn)(void *arg, const struct hc_risk_entry *e), void *arg);

/* A person's record (JSON, strict; DESIGN 5). */
hc_err hc_record_parse(const char *json, size_t n, struct hc_record **out) HC_WUR;
/* The same for a record already parsed by hc_json_parse (a caller that
 * reads other members of it too parses it once). */
struct cJSON;
hc_err hc_record_of_json(const struct cJSON *root, struct hc_record **out) HC_WUR;
void hc_record_free(struct hc_record *r);
/* A person's inputs: a record without "person" (the same members and
 * rules otherwise; "person" is refused as an unknown member), for a
 * service that keeps only the masked identity. hc_policy_apply copies
 * masked_name and masked_id into the claims instead of masking (each
 * valid UTF-8 without controls, at most 127 and 63 bytes:
 * HC_ERR_INVALID_ARG otherwise); no birth date is checked. */
hc_err hc_record_parse_inputs(const char *json, size_t n, const char *masked_name,
			      const char *masked_id, struct hc_record **out) HC_WUR;
/* A record's entries when they are at most one (an events line's), kept
 * small (a record is some 18 KiB) so that a person first seen in the line
 * gets their record of inputs from it (hc_record_of_one) instead of from
 * the entry's text parsed once more. */
struct hc_record_one {
	int kind;            /* 0 none, 1 nat, 2 vaccinations, 3 travel, 4 visits */
	int64_t v[3];        /* the entry's parsed values */
	unsigned flags;
};
/* r's entries into *o (HC_ERR_INVALID_ARG when it has more than one). */
hc_err hc_record_one_of(const struct hc_record *r, struct hc_record_one *o) HC_WUR;
/* The record hc_record_parse_inputs gives for {KIND:[the entry]} (or
 * {} with no entry, flags as in o) with the same masked name and id,
 * checked as it checks them. */
hc_err hc_record_of_one(const struct hc_record_one *o, const char *masked_name,
			const char *masked_id, struct hc_record **out) HC_WUR;
/* A parsed record as a flat copy (its identity part, counts and only the
 * entries counted), for a cache that keeps a record already parsed (the
 * held codes' cache: parsing the stored inputs again was a sixth of a
 * cached answer's instructions). hc_record_pack writes at most
 * hc_record_packed_size(r) bytes; hc_record_unpack gives the same record
 * back (HC_ERR_INVALID_ARG when p is not such a copy). */
size_t hc_record_packed_size(const struct hc_record *r);
void hc_record_pack(const struct hc_record *r, void *out);
hc_err hc_record_unpack(const void *p, size_t n, struct hc_record **out) HC_WUR;
/* HC_OK when none of rec's entries is dated after now (plus the clock
 * skew allowance, 300 s) and its birth date (when it has one) is not after
 * the day of issue, nor an entry before it: hc_policy_apply's first
 * check, the same HC_ERR_RECORD and detail ("nat[0].at is after the time
 * of issue"), for a caller that stores entries without evaluating them
 * (a queried source's answer: stored, such an entry would fail every
 * later evaluation of the person). */
hc_err hc_record_dates_check(const struct hc_record *rec, int64_t now) HC_WUR;
/* HC_OK when id is a valid GB 11643 identity number as a record's
 * person.id must be (HC_ERR_RECORD with a detail otherwise). */
hc_err hc_person_id_check(const char *id) HC_WUR;

/* HC_OK when risk list r may be used at time now under policy p: its
 * "updated" is neither after now (plus the clock skew allowance) nor more
 * than the policy's risk_max_age_h before now; else HC_ERR_RISK with a
 * detail. r NULL: HC_OK (whether a record needs a list is its own matter). */
hc_err hc_policy_risk_check(const struct hc_policy *p, const struct hc_risk *r,
			    int64_t now) HC_WUR;

/* Applies policy p to record rec at time now with risk areas risk (NULL:
 * none). Fills c->st, pol, why, name, id (masked), nat, vac, trv, and
 * c->iat = c->nbf = now, c->exp = now + validity (validity 0: the
 * policy's; at most HC_POLICY_MAX_VALIDITY), never later than the first
 * moment a reason of the status (or a green's test) lapses, and always
 * after now. Refuses (HC_ERR_RECORD) entries dated after now and a birth
 * date after the day of issue, and (HC_ERR_RISK) a list that fails
 * hc_policy_risk_check, or no list when a stay ends within the policy's
 * longest window. Leaves iss and jti alone. */
hc_err hc_policy_apply(const struct hc_policy *p, const struct hc_record *rec,
		       const struct hc_risk *risk, int64_t now, int64_t validity,
		       struct hc_claims *c) HC_WUR;

#endif
