/* events.c: POST /v1/events. Sources push JSON lines, one event each:
 *
 *   {"event":ID,"type":"nat","id":ID18,"name":NAME?,"at":TIME,"result":R,"lab":L?}
 *   {"event":ID,"type":"vac","id":ID18,"name":NAME?,"at":TIME,"product":P?,"dose":N}
 *   {"event":ID,"type":"trv","id":ID18,"name":NAME?,"region":R,"from":DATE,"to":DATE}
 *   {"event":ID,"type":"visit","id":ID18,"name":NAME?,"venue":V,"at":TIME}
 *   {"event":ID,"type":"flag","id":ID18,"name":NAME?,"flag":F,"set":B,"case":C?}
 *
 * Each line is checked on its own (the rules of a record's entry, doc/
 * FORMATS.md section 5), against the token's role (source:TYPE; admin may
 * send flags), then applied with the person's stored inputs: the entry
 * added (a flag cleared: removed), the policy run over the result, and
 * input, event id and status stored in one change (reg_apply: a status
 * change revokes the codes it makes untrue, audited with the event as
 * cause). The lines are taken in chunks of at most CHUNK with no person
 * twice in a chunk; a chunk's changes go to the registry together, so
 * they share a commit. Every accepted line is durable before the answer.
 * A line is checked on its own in events_line.c, applied here.
 *
 * The answer: {"accepted":N,"duplicate":N,"rejected":N,"results":[{"line":
 * L,"event":ID,"verdict":"accepted","status":S}, {"line":L,"verdict":
 * "rejected","reason":TEXT,"retry":B}, ...]}, one result per line in
 * order. retry true: the line was not applied for a passing reason (no
 * risk-area list, the registry busy) and may be sent again as it is. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "events_int.h"
#include "hc_json.h"
#include "hc_policy.h"
#include "publish.h"

static const char *const verdict_names[V__N] = {"accepted", "duplicate", "rejected"};

hc_err svc_record_of_inputs(const char *inputs, const char *mname, const char *mid,
			    struct hc_record **rec)
{
	const char *in = inputs && inputs[0] ? inputs : "{}";

	/* A person first seen in an event may have no name yet. */
	if (!mname || !mname[0])
		mname = "-";
	return hc_record_parse_inputs(in, strlen(in), mname, mid && mid[0] ? mid : "-", rec);
}

/* The stored inputs with e applied: its entry added to its member (the
 * oldest dropped past REG_KIND_MAX) unless the same is there, or a flag
 * cleared removed. */
static hc_err merged_inputs(const char *stored, const struct ev *e, char **out)
{
	const char *member = e->type == EV_VISIT ? "visits" : ev_type_kinds[e->type];
	cJSON *all = NULL, *entry = NULL, *have, *h;
	hc_err err;

	*out = NULL;
	if (!stored || !stored[0] || strcmp(stored, "{}") == 0) {
		/* None stored (a person first seen): {member:[entry]}, or {} for
		 * a flag cleared; e->json is cJSON's own print, so the text is
		 * the one the general path below would print. */
		size_t n = strlen(member) + strlen(e->json) + 8;

		if (!(*out = malloc(n)))
			return HC_ERR_NOMEM;
		if (e->type == EV_FLAG && !e->set) {
			memcpy(*out, "{}", 3);
		} else {
			/* {"member":[entry]}: n holds it (not printf: a line's cost) */
			size_t k = strlen(member), j = strlen(e->json);
			char *o = *out;

			*o++ = '{';
			*o++ = '"';
			memcpy(o, member, k);
			o += k;
			memcpy(o, "\":[", 3);
			o += 3;
			memcpy(o, e->json, j);
			o += j;
			memcpy(o, "]}", 3);
		}
		return HC_OK;
	}
	if (hc_json_parse(stored, strlen(stored), &all) != HC_OK) {
		hc_set_detail("the registry's inputs of this person do not parse");
		return HC_ERR_STORE;
	}
	err = HC_ERR_NOMEM;
	if (!(entry = cJSON_ParseWithLength(e->json, strlen(e->json))))
		goto out;
	have = cJSON_GetObjectItemCaseSensitive(all, member);
	if (!have && !(have = cJSON_AddArrayToObject(all, member)))
		goto out;
	cJSON_ArrayForEach(h, have)
	{
		if (cJSON_Compare(h, entry, true))
			break;
	}
	if (e->type == EV_FLAG && !e->set) {
		if (h)
			cJSON_Delete(cJSON_DetachItemViaPointer(have, h));
	} else if (!h) {
		if (!cJSON_AddItemToArray(have, entry))
			goto out;
		entry = NULL;
		while (cJSON_GetArraySize(have) > REG_KIND_MAX)
			cJSON_DeleteItemFromArray(have, 0);
	}
	if (cJSON_GetArraySize(have) == 0)
		cJSON_DeleteItemFromObjectCaseSensitive(all, member);
	if ((*out = cJSON_PrintUnformatted(all)) != NULL)
		err = HC_OK;
out:
	cJSON_Delete(entry);
	cJSON_Delete(all);
	return err;
}

/* The work for one line in a round: the person read (people[k] of the
 * chunk's work), the policy's status and reasons, the change's input. */
struct step {
	struct ev *e;
	struct reg_person *p;
	enum hc_status st;
	size_t nwhy;
	char why[HC_MAX_WHY][HC_WHY_LEN];
	const char *whyp[HC_MAX_WHY];
	struct reg_input in;
};

/* Whether p's stored inputs alone are refused by the record rules or
 * dated after now (the detail says why); their evaluation failed with an
 * event's entry. */
static bool stored_refused(const struct reg_person *p, int64_t now)
{
	struct hc_record *rec = NULL;
	hc_err err = svc_record_of_inputs(p->inputs, p->name, p->id, &rec);

	if (err == HC_OK)
		err = hc_record_dates_check(rec, now);
	hc_record_free(rec);
	return err == HC_ERR_RECORD;
}

/* Evaluates e's person (st->p, read already; found: whether the person
 * is in the registry) with e applied into *ch; false when e got its
 * verdict here (rejected). */
static bool prepare(struct svc *s, const struct caller *who, int64_t now, bool found,
		    struct step *st, struct reg_change *ch)
{
	struct ev *e = st->e;
	struct hc_record *rec = NULL;
	struct hc_claims c;
	char *merged = NULL;
	hc_err err;

	if (!found && e->has_one) {
		/* the record merged_inputs' text would parse to, kept from the
		 * line's (svc_record_of_inputs' "-" for no name) */
		err = hc_record_of_one(&e->one, e->named && e->mname[0] ? e->mname : "-",
				       e->mid[0] ? e->mid : "-", &rec);
	} else {
		if ((err = merged_inputs(found ? st->p->inputs : NULL, e, &merged)) != HC_OK) {
			ev_reject_err(e, true, "inputs", err);
			return false;
		}
		err = svc_record_of_inputs(merged, e->named ? e->mname : st->p->name, e->mid,
					   &rec);
		free(merged);
	}
	if (err == HC_OK)
		err = svc_policy_apply(s, rec, now, &c);
	hc_record_free(rec);
	if (err == HC_OK) {
		/* only the status and its reasons are kept */
		st->st = c.st;
		st->nwhy = c.nwhy;
		for (size_t i = 0; i < c.nwhy; i++) {
			memcpy(st->why[i], c.why[i], sizeof(st->why[i]));
			st->whyp[i] = st->why[i];
		}
	}
	OPENSSL_cleanse(&c, sizeof(c));
	if (err == HC_ERR_RISK) {
		ev_reject_err(e, true, "risk-area list", err);
		return false;
	}
	if (err == HC_ERR_RECORD) {
		/* The new entry is at fault (a date after now) unless the
		 * stored ones fail alone: every entry is checked before it is
		 * stored, but a registry may hold one from before a check (an
		 * answer's dates were not), and blaming each event of the
		 * person for it (retry false) had their sources drop them. */
		char d[sizeof(e->reason)];

		(void)snprintf(d, sizeof(d), "%s", hc_detail());
		if (found && stored_refused(st->p, now))
			ev_reject(e, true, "the person's stored inputs: %s (not this line's entry)",
				  hc_detail());
		else
			ev_reject(e, false, "dated after the time it was received (%s)", d);
		return false;
	}
	if (err != HC_OK) {
		ev_reject_err(e, true, "evaluation", err);
		return false;
	}
	st->in = (struct reg_input){.kind = ev_type_kinds[e->type], .json = e->json,
				    .source = who->name, .cause = e->cause, .at = now};
	memset(ch, 0, sizeof(*ch));
	ch->actor = who->name;
	ch->cause = e->event;
	ch->action = "event";
	ch->now = now;
	ch->person = e->key;
	ch->name = e->named ? e->mname : NULL;
	ch->id = e->mid;
	ch->expect_version = found ? st->p->version : 0;
	ch->new_person = !found;
	if (e->type == EV_FLAG && !e->set) {
		ch->removes = &st->in;
		ch->nremoves = 1;
	} else {
		ch->inputs = &st->in;
		ch->ninputs = 1;
	}
	ch->event = e->event;
	ch->has_status = true;
	ch->st = st->st;
	ch->why = st->whyp;
	ch->nwhy = st->nwhy;
	return true;
}

/* The person keys of a chunk: a small open-addressed set. */
#define SET_SIZE 2048 /* > 2 * CHUNK, a power of two */

static bool set_add(const char **set, const char *key)
{
	size_t h = 0;

	for (int i = 0; i < 8; i++)
		h = h * 64 + (unsigned char)key[i];
	for (h &= SET_SIZE - 1; set[h]; h = (h + 1) & (SET_SIZE - 1))
		if (strcmp(set[h], key) == 0)
			return false;
	set[h] = key;
	return true;
}

/* What a request's chunks work in: some 2.4 MB, kept for the next
 * request (svc->evkeep) rather than freed. Allocated afresh for each
 * chunk, these arrays went back to the kernel when freed (above glibc's
 * trim threshold, 2 MB in hc-issued) and were faulted in again, page by
 * page, for the next: a tenth of the upload threads' CPU clearing pages. */
struct ev_work {
	struct ev v[CHUNK];            /* each zeroed when read into */
	struct ev *todo[CHUNK];
	const char *set[SET_SIZE];
	/* apply_chunk's; not zeroed: every member is written before it is
	 * read (reg_people_get fills people and errs, prepare the step and
	 * the change, and reg_apply_many errs and details) */
	struct step st[CHUNK];
	struct reg_change ch[CHUNK];
	struct reg_person people[CHUNK];
	const char *keys[CHUNK];
	size_t idx[CHUNK];
	hc_err errs[CHUNK];
	char details[CHUNK][REG_DETAIL_LEN];
};

static struct ev_work *work_take(struct svc *s)
{
	for (size_t i = 0; i < SVC_EV_KEEP; i++) {
		struct ev_work *w = atomic_exchange(&s->evkeep[i], NULL);

		if (w)
			return w;
	}
	return malloc(sizeof(struct ev_work));
}

static void work_give(struct svc *s, struct ev_work *w)
{
	for (size_t i = 0; w && i < SVC_EV_KEEP; i++) {
		struct ev_work *none = NULL;

		if (atomic_compare_exchange_strong(&s->evkeep[i], &none, w))
			return;
	}
	free(w);
}

void svc_events_work_free(struct svc *s)
{
	for (size_t i = 0; i < SVC_EV_KEEP; i++)
		free(atomic_exchange(&s->evkeep[i], NULL));
}

/* Applies the lines of v (at most CHUNK, no person twice) that have no
 * verdict yet: their people read in one transaction, each evaluated, all
 * changes to the registry at once; a line that met a concurrent change of
 * its person goes again. */
static void apply_chunk(struct svc *s, const struct caller *who, struct ev_work *w,
			struct ev **v, size_t n)
{
	struct step *st = w->st;
	struct reg_change *ch = w->ch;
	struct reg_person *people = w->people;
	hc_err *errs = w->errs;
	bool revoked = false;
	hc_err err;

	for (int tries = 0; tries < MAX_TRIES; tries++) {
		int64_t now = hc_now();
		size_t m = 0, q = 0;

		for (size_t i = 0; i < n; i++)
			if (!v[i]->done) {
				st[m].e = v[i];
				w->keys[m++] = v[i]->key;
			}
		if (m == 0)
			break;
		if ((err = reg_people_get(s->reg, w->keys, m, people, errs)) != HC_OK) {
			for (size_t k = 0; k < m; k++) {
				reg_person_clear(&people[k]);
				ev_reject_err(st[k].e, true, "registry", err);
			}
			break;
		}
		for (size_t k = 0; k < m; k++) {
			st[k].p = &people[k];
			st[k].nwhy = 0;
			if (prepare(s, who, now, errs[k] == HC_OK, &st[k], &ch[q]))
				w->idx[q++] = k;
		}
		if (q && reg_apply_many(s->reg, ch, q, errs, w->details, NULL) != HC_OK) {
			for (size_t j = 0; j < q; j++)
				ev_reject(st[w->idx[j]].e, true, "registry: out of memory");
		}
		for (size_t j = 0; j < q; j++) {
			struct step *x = &st[w->idx[j]];
			struct ev *e = x->e;
			bool changed = x->p->has_status && x->p->st != x->st;

			if (e->done) {
				/* rejected above */
			} else if (errs[j] == HC_OK) {
				e->v = V_ACCEPTED;
				e->st = x->st;
				e->done = true;
				metrics_reevaluated(&s->m, changed);
				revoked |= changed;
			} else if (errs[j] == HC_ERR_EXISTS) {
				e->v = V_DUPLICATE;
				e->done = true;
			} else if (errs[j] != HC_ERR_CONFLICT) {
				ev_reject(e, errs[j] != HC_ERR_INVALID_ARG, "registry: %s: %s",
					  hc_strerror(errs[j]), w->details[j]);
			}
		}
		for (size_t k = 0; k < m; k++) {
			reg_person_clear(&people[k]);
			OPENSSL_cleanse(st[k].why, st[k].nwhy * sizeof(st[k].why[0]));
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!v[i]->done)
			ev_reject(v[i], true, "the person changed %d times meanwhile", MAX_TRIES);
	if (revoked)
		pub_revoked(s->publisher);
}

/* The answer's results, written directly as JSON text: an object of cJSON
 * items per line, then printing them, cost a tenth of a line's work. */
struct results {
	char *b;
	size_t len, cap;
};

/* Room for more bytes (and a NUL) at r->b + r->len. */
static bool results_room(struct results *r, size_t more)
{
	size_t cap = r->cap ? r->cap : 4096;
	char *nb;

	while (cap - r->len <= more) {
		if (cap > SIZE_MAX / 2)
			return false;
		cap *= 2;
	}
	if (cap == r->cap)
		return true;
	if (!(nb = realloc(r->b, cap)))
		return false;
	r->b = nb;
	r->cap = cap;
	return true;
}

static bool result_lit(struct results *r, const char *t)
{
	size_t n = strlen(t);

	if (!results_room(r, n))
		return false;
	memcpy(r->b + r->len, t, n + 1);
	r->len += n;
	return true;
}

/* Appends e's result, after a comma unless it is the first: {"line",
 * "event" (when it has one), "verdict", then "status" (accepted) or
 * "reason" and "retry" (rejected)}. */
static bool result_add(struct results *r, const struct ev *e)
{
	/* an escaped string takes at most 6 bytes a byte; hc_json_put_str
	 * wants 5 to spare */
	size_t need = 160 + 6 * strlen(e->event) + 6 * strlen(e->reason);
	char num[24];

	if (!results_room(r, need))
		return false;
	if (!result_lit(r, r->len ? ",{\"line\":" : "{\"line\":") ||
	    !result_lit(r, hc_decimal((int64_t)e->line, num)))
		return false;
	if ((e->event[0] && (!result_lit(r, ",\"event\":") ||
			     !hc_json_put_str(r->b, r->cap, &r->len, e->event))) ||
	    !result_lit(r, ",\"verdict\":\"") || !result_lit(r, verdict_names[e->v]) ||
	    !result_lit(r, "\""))
		return false;
	if (e->v == V_ACCEPTED && (!result_lit(r, ",\"status\":\"") ||
				   !result_lit(r, hc_status_name(e->st)) || !result_lit(r, "\"")))
		return false;
	if (e->v == V_REJECTED &&
	    (!result_lit(r, ",\"reason\":") || !hc_json_put_str(r->b, r->cap, &r->len, e->reason) ||
	     !result_lit(r, e->retry ? ",\"retry\":true" : ",\"retry\":false")))
		return false;
	return result_lit(r, "}");
}

void svc_events(struct svc *s, const struct caller *who, const char *body, size_t n,
		struct reply *r)
{
	struct ev_work *wk = work_take(s);
	struct ev *v = wk ? wk->v : NULL, **todo = wk ? wk->todo : NULL;
	const char **set = wk ? wk->set : NULL;
	EVP_MAC_CTX *mac = svc_idmac_copy(s);
	size_t count[V__N] = {0}, line = 0, off = 0;
	struct results res = {NULL, 0, 0};
	char *text;
	int w;

	if (!wk || !mac) {
		reply_error(r, 500, "out of memory");
		goto out;
	}
	if (n == 0) {
		reply_error(r, 400, "no lines");
		goto out;
	}
	while (off < n) {
		size_t m = 0, t = 0;

		memset(set, 0, SET_SIZE * sizeof(*set));
		/* A chunk: up to CHUNK lines, ended early by a person seen in it. */
		while (off < n && m < CHUNK) {
			const char *p = body + off, *nl = memchr(p, '\n', n - off);
			const char *end = nl ? nl : body + n;
			size_t len0 = (size_t)(end - p), len;
			struct ev *e = &v[m];

			if (end > p && end[-1] == '\r')
				end--; /* CRLF */
			len = (size_t)(end - p);
			memset(e, 0, sizeof(*e));
			e->line = line + 1;
			ev_parse_line(mac, who, p, len, e);
			if (!e->done && !set_add(set, e->key)) {
				free(e->json);
				break; /* this line starts the next chunk */
			}
			line++;
			off += len0 + (nl ? 1 : 0);
			if (!e->done)
				todo[t++] = e;
			m++;
		}
		if (t)
			apply_chunk(s, who, wk, todo, t);
		for (size_t i = 0; i < m; i++) {
			count[v[i].v]++;
			metrics_event(&s->m, v[i].typed ? (int)v[i].type : -1, (int)v[i].v);
			if (!result_add(&res, &v[i])) {
				reply_error(r, 500, "out of memory");
				for (size_t k = i; k < m; k++)
					free(v[k].json);
				goto out;
			}
			free(v[i].json);
			v[i].json = NULL;
		}
	}
	/* {"accepted","duplicate","rejected","results":[...]} */
	if (!(text = malloc(res.len + 128))) {
		reply_error(r, 500, "out of memory");
		goto out;
	}
	w = snprintf(text, res.len + 128,
		     "{\"accepted\":%zu,\"duplicate\":%zu,\"rejected\":%zu,\"results\":[%s]}",
		     count[V_ACCEPTED], count[V_DUPLICATE], count[V_REJECTED], res.b ? res.b : "");
	if (w < 0 || (size_t)w >= res.len + 128) {
		free(text);
		reply_error(r, 500, "out of memory");
		goto out;
	}
	reply_json(r, 200, text);
out:
	EVP_MAC_CTX_free(mac);
	free(res.b);
	work_give(s, wk);
}
