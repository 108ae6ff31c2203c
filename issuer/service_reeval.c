/* service_reeval.c: svc_reevaluate_many, the policy run again over the
 * stored inputs of many people (after an event or a new risk-area list),
 * each status that changed stored (revoking the codes it makes untrue). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hc_policy.h"
#include "publish.h"
#include "service.h"

/* One person of svc_reevaluate_many: the evaluation and its change. */
struct reeval {
	struct reg_person p;
	struct hc_claims c;
	const char *why[HC_MAX_WHY];
	struct reg_change ch;
	bool pending;
};

/* Evaluates x->p (read at now); true when its status changed and x->ch
 * is the change to store. */
static hc_err reeval_one(struct svc *s, const char *actor, const char *cause, const char *key,
			 int64_t now, struct reeval *x, bool *store)
{
	struct hc_record *rec = NULL;
	hc_err err;

	*store = false;
	memset(&x->c, 0, sizeof(x->c));
	err = svc_record_of_inputs(x->p.inputs, x->p.name, x->p.id, &rec);
	if (err == HC_OK)
		err = svc_policy_apply(s, rec, now, &x->c);
	hc_record_free(rec);
	if (err != HC_OK || (x->p.has_status && x->p.st == x->c.st))
		return err; /* nothing to store */
	for (size_t i = 0; i < x->c.nwhy; i++)
		x->why[i] = x->c.why[i];
	memset(&x->ch, 0, sizeof(x->ch));
	x->ch.actor = actor;
	x->ch.cause = cause;
	x->ch.action = "event";
	x->ch.now = now;
	x->ch.person = key;
	x->ch.name = x->p.name;
	x->ch.id = x->p.id;
	x->ch.expect_version = x->p.version;
	x->ch.has_status = true;
	x->ch.st = x->c.st;
	x->ch.why = x->why;
	x->ch.nwhy = x->c.nwhy;
	*store = true;
	return HC_OK;
}

hc_err svc_reevaluate_many(struct svc *s, const char *actor, const char *cause,
			   const char *const *keys, size_t n, hc_err *errs,
			   char (*details)[REG_DETAIL_LEN], bool *changed)
{
	struct reeval *x = calloc(n ? n : 1, sizeof(*x));
	struct reg_person *people = calloc(n ? n : 1, sizeof(*people));
	struct reg_change *ch = calloc(n ? n : 1, sizeof(*ch));
	const char **rk = calloc(n ? n : 1, sizeof(*rk));
	size_t *idx = calloc(n ? n : 1, sizeof(*idx)), *at = calloc(n ? n : 1, sizeof(*at));
	hc_err *e = calloc(n ? n : 1, sizeof(*e)), err = HC_OK;
	char(*d)[REG_DETAIL_LEN] = details ? calloc(n ? n : 1, sizeof(*d)) : NULL;
	bool revoked = false;

	if (!x || !people || !ch || !rk || !idx || !at || !e || (details && !d)) {
		err = HC_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		errs[i] = HC_ERR_CONFLICT;
		if (details)
			details[i][0] = '\0';
		changed[i] = false;
		x[i].pending = true;
	}
	for (int tries = 0; tries < SVC_MAX_TRIES; tries++) {
		int64_t now = hc_now();
		size_t m = 0, q = 0;

		for (size_t i = 0; i < n; i++)
			if (x[i].pending) {
				at[m] = i;
				rk[m++] = keys[i];
			}
		if (m == 0)
			break;
		/* The people in one read transaction, without their codes. */
		if ((err = reg_people_get(s->reg, rk, m, people, e)) != HC_OK) {
			for (size_t k = 0; k < m; k++)
				reg_person_clear(&people[k]);
			break;
		}
		for (size_t k = 0; k < m; k++) {
			struct reeval *y = &x[at[k]];
			bool store = false;

			y->p = people[k];
			if (e[k] == HC_OK &&
			    (e[k] = reeval_one(s, actor, cause, keys[at[k]], now, y, &store)) !=
				    HC_OK &&
			    details)
				(void)snprintf(details[at[k]], REG_DETAIL_LEN, "%s", hc_detail());
			if (!store) {
				errs[at[k]] = e[k];
				y->pending = false;
				continue;
			}
			ch[q] = y->ch;
			idx[q++] = at[k];
		}
		if (q && (err = reg_apply_many(s->reg, ch, q, e, d, NULL)) != HC_OK)
			break;
		for (size_t j = 0; j < q; j++) {
			struct reeval *y = &x[idx[j]];

			if (e[j] == HC_ERR_CONFLICT)
				continue; /* changed meanwhile: read and evaluate again */
			errs[idx[j]] = e[j];
			if (details && e[j] != HC_OK)
				memcpy(details[idx[j]], d[j], REG_DETAIL_LEN);
			y->pending = false;
			if (e[j] == HC_OK && y->p.has_status) {
				changed[idx[j]] = true;
				revoked = true;
			}
		}
		for (size_t k = 0; k < m; k++) {
			reg_person_clear(&x[at[k]].p);
			OPENSSL_cleanse(&x[at[k]].c, sizeof(x[at[k]].c));
		}
	}
	if (revoked)
		pub_revoked(s->publisher);
out:
	if (x)
		for (size_t i = 0; i < n; i++) {
			/* a break above leaves the last round's people and claims */
			reg_person_clear(&x[i].p);
			OPENSSL_cleanse(&x[i].c, sizeof(x[i].c));
		}
	free(x);
	free(people);
	free(ch);
	free(rk);
	free(idx);
	free(at);
	free(e);
	free(d);
	return err;
}
