/* issue_fx.h: fixed issuer inputs for fuzz_record, fuzz_risk and
 * fuzz_policy, and the properties every status decision must have. */
#ifndef HC_FUZZ_ISSUE_FX_H
#define HC_FUZZ_ISSUE_FX_H

#include "fixture.h"
#include "hc_policy.h"

#define IX_NPOLICY 2 /* the built-in default-1 and examples/policy-strict.json */
#define IX_NRECORD 4 /* like examples/{green,yellow,red}.json, and one with flags */

const struct hc_policy *ix_policy(size_t i);
const struct hc_record *ix_record(size_t i);
/* examples/risk-areas.json */
const struct hc_risk *ix_risk(void);

/* Applies p to rec at FX_AT, with risk and without, and asserts what any
 * decision must satisfy: green exactly when no reason fired, reasons
 * unique and non-empty, iat = nbf = now < exp <= now + validity, a risk
 * list never makes the status better, the claims written for it parse
 * back strictly (as hc-verify will read them) with the same values; a list
 * not current at FX_AT is refused, and no list exactly when a stay ends in
 * the policy's window; decided 1 s before exp the status and its reasons
 * still hold, and at exp (when before the validity ends) they do not. */
void ix_apply(const struct hc_policy *p, const struct hc_record *rec, const struct hc_risk *risk);

#endif
