/* policy_fx.h: what the t_policy* tests share: the time of issue, records
 * written with ' for ", policies, the unsigned risk-area list of
 * tests/data/policy/risk.json and the check of issued claims. */
#ifndef POLICY_FX_H
#define POLICY_FX_H

#include <stdint.h>

#include "hc_policy.h"

#define NOW 1795392000LL /* 2026-11-23T08:00:00+08:00 */
#define H 3600LL
#define DAY 86400LL
/* Midnight CST of 2026-11-23, from NOW. */
#define MIDNIGHT (-8 * H)
#define PERSON "{'person':{'name':'张三','id':'33010619900101123X'}"
/* A record's only stay: ,"travel":[{"region":R,"from":F,"to":T}] */
#define STAY(r, f, t) ",'travel':[{'region':'" r "','from':'" f "','to':'" t "'}]"
#define NAT1(at, res) ",'nat':[{'at':" at ",'result':'" res "'}]"
#define FLAGS(f) ",'flags':[" f "]"
#define WHO(id) "{'person':{'name':'张三','id':" id "}}"
#define STRICT48 "{'id':'strict-48','nat_required':true,'nat_max_age_h':48}"

/* tests/data/policy/risk.json, loaded by risk_load (which exits 2 when it
 * cannot be read); the test frees it at its end. */
extern struct hc_risk *risk;
void risk_load(void);

/* Table rows write JSON with ' for "; this turns them into real JSON
 * (malloc'd; aborts when out of memory). */
char *q(const char *s);
/* The policy of json (with ' for "), or the built-in default for NULL;
 * a failure to parse fails the running case and gives NULL. */
struct hc_policy *policy(const char *json);
/* Checks status, the exact why list ("a,b") and exp of claims issued at now. */
void check_claims_at(const struct hc_claims *c, int64_t now, enum hc_status st, const char *why,
		     int64_t exp);
/* The same, issued at NOW. */
void check_claims(const struct hc_claims *c, enum hc_status st, const char *why, int64_t exp);

#endif
