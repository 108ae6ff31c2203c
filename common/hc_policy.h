/* hc_policy.h: issuer inputs (person record, risk areas) and the status
 * policy engine of DESIGN 5. */
#ifndef HC_POLICY_H
#define HC_POLICY_H

#include "hc_token.h"

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

/* A risk-area list (JSON, strict). */
hc_err hc_risk_parse(const char *json, size_t n, struct hc_risk **out) HC_WUR;
void hc_risk_free(struct hc_risk *r);

/* A person's record (JSON, strict; DESIGN 5). */
hc_err hc_record_parse(const char *json, size_t n, struct hc_record **out) HC_WUR;
void hc_record_free(struct hc_record *r);

/* Applies policy p to record rec at time now with risk areas risk (NULL:
 * none). Fills c->st, pol, why, name, id (masked), nat, vac, trv, and
 * c->iat = c->nbf = now, c->exp = now + validity (validity 0: the
 * policy's), never later than the moment the basis of the status lapses.
 * Leaves iss and jti alone. */
hc_err hc_policy_apply(const struct hc_policy *p, const struct hc_record *rec,
		       const struct hc_risk *risk, int64_t now, int64_t validity,
		       struct hc_claims *c) HC_WUR;

#endif
