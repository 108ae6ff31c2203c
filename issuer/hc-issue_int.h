/* hc-issue_int.h: what hc-issue's two files share: one record issued and
 * its code's outputs (hc-issue.c), and --batch, its images staged in
 * groups and its records file (hc-issue_batch.c). */
#ifndef HC_ISSUE_INT_H
#define HC_ISSUE_INT_H

#include <stdio.h>

#include "hc_policy.h"
#include "hc_sign.h"
#include "hc_token.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

/* What every code of a run is issued with (from the command line). */
struct issuer {
	struct hc_privkey *key;
	struct hc_pubkey *pub;
	struct hc_policy *pol;
	struct hc_risk *risk;
	const char *iss;
	int64_t at, validity;
	int64_t max_validity; /* the trust list's bound for iss, or the default */
	int scale;
};

/* A batch's staging directory for its images (hc-issue_batch.c). */
struct stage;

struct outputs {
	const char *png, *svg;
	struct stage *stage; /* batch: png staged there for line no */
	unsigned long no;
	FILE *out; /* where the code's text goes */
	bool terminal, jws;
};

/* "hc-issue: WHAT: error: detail" on stderr. */
void perr(const char *what, hc_err err);
/* Record JSON -> signed, self-verified token, with its claims in cl. */
hc_err issue(const struct issuer *is, const char *json, size_t n, char **tok, struct hc_claims *cl);
/* The code's QR text (to o->out, or the bare JWS), and its PNG (staged
 * with o->stage), SVG and terminal picture as o asks. */
hc_err emit(const struct issuer *is, const char *tok, const struct outputs *o);
/* Line no's PNG into the staging directory (removed again on failure). */
hc_err stage_put(struct stage *st, unsigned long no, const uint8_t *p, size_t n);
/* The issuance record of one line (a code's jti, status, why, iat, exp,
 * png; or why it was refused) as a JSON line to rf. */
bool put_record(FILE *rf, unsigned long no, hc_err err, const struct hc_claims *c, const char *png);
/* --batch: a code for each record line of path (- for stdin), their
 * images into pngdir and their issuance records to recpath when these are
 * given. Returns the exit status. */
int run_batch(const struct issuer *is, const char *path, const char *pngdir, bool jws,
	      const char *recpath);

#endif
