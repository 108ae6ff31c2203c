/* registry_sqlite_write.c: the writer's jobs (reg_apply, reg_revoke, the
 * tokens, the revocation list's seq), each run inside the writer's
 * transaction and savepoint, with the audit entries they append
 * (registry_sqlite_chain.c: seq is the last + 1, prev the SHA-256 of the
 * last line, read inside the transaction, so that another process's
 * writes, such as `token add`, are chained too). The members each action
 * fills (others null, why []):
 *
 *   record, event   person; why [kind of the input], or [kind, "removed"]
 *                   for an input removed (a flag cleared), [kind] too for an
 *                   input taken over from another supplier; cause (the
 *                   input's, else the change's)
 *   status          person; from (null the first time), to; why (the
 *                   policy's reasons); cause
 *   issue           person; to (the code's status); why (the code's); cause; jti
 *   revoke          person; from (the code's status); why [the admin's
 *                   reason] or ["status-changed"] for a code revoked by a
 *                   status change; cause; jti
 *   token-add       to (the role); cause (the token's name)
 *   token-revoke    from (the role); cause (the token's name)
 *                   (registry_sqlite_admin.c: the tokens' and the
 *                   revocation list's seq)
 *
 * actor is the change's (the token name, or "system"); at its now. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_audit.h"
#include "hc_json.h"
#include "registry_sqlite.h"

/* Why a code revoked by a status change is revoked (its audit entry). */
#define WHY_SUPERSEDED "status-changed"

static void set_why(struct hc_audit_entry *e, const char *const *why, size_t n)
{
	for (size_t i = 0; i < n && i < HC_AUDIT_MAX_WHY; i++)
		e->why[e->nwhy++] = why[i];
}

/* A person's row as read in the writer's transaction. */
struct prow {
	bool exists;
	int64_t n;  /* its rowid */
	char name[128], id[64];
	int64_t ver, st;  /* st -1: none */
	struct rs_row w;
	uint8_t *held;  /* the held code's copy (malloc'd), or NULL */
	size_t nheld;
};

static void prow_free(struct prow *p)
{
	rs_row_free(&p->w);
	free(p->held);
	p->held = NULL;
	p->nheld = 0;
}

static hc_err prow_read(struct conn *c, const char *key, struct prow *p)
{
	sqlite3_stmt *s = rs_q(c, S_PERSON, "t", key);
	hc_err err = HC_OK;
	int rc;

	memset(p, 0, sizeof(*p));
	p->st = -1;
	if (!s)
		return HC_ERR_STORE;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *t;

		p->exists = true;
		if ((t = sqlite3_column_text(s, 0)) != NULL)
			(void)snprintf(p->name, sizeof(p->name), "%s", (const char *)t);
		if ((t = sqlite3_column_text(s, 1)) != NULL)
			(void)snprintf(p->id, sizeof(p->id), "%s", (const char *)t);
		p->ver = sqlite3_column_int64(s, 2);
		if (sqlite3_column_type(s, 3) != SQLITE_NULL)
			p->st = sqlite3_column_int64(s, 3);
		p->n = sqlite3_column_int64(s, 6);
		/* kept as it is (a copy that is no longer the held code's is
		 * never read) unless a code is added */
		if (sqlite3_column_type(s, 7) == SQLITE_BLOB && sqlite3_column_bytes(s, 7) > 0) {
			p->nheld = (size_t)sqlite3_column_bytes(s, 7);
			if (!(p->held = malloc(p->nheld))) {
				rs_done(s);
				return HC_ERR_NOMEM;
			}
			memcpy(p->held, sqlite3_column_blob(s, 7), p->nheld);
		}
		err = rs_row_decode(&p->w, sqlite3_column_blob(s, 4),
				    (size_t)sqlite3_column_bytes(s, 4), sqlite3_column_blob(s, 5),
				    (size_t)sqlite3_column_bytes(s, 5));
	} else if (rc != SQLITE_DONE) {
		err = rs_dberr(c, "person");
	}
	rs_done(s);
	return err;
}

/* The row written back: a new person's inserted, an existing one's
 * updated (one statement for the whole change). */
static hc_err prow_write(struct conn *c, const char *key, const struct prow *p, int64_t now)
{
	uint8_t *in = NULL, *codes = NULL;
	size_t ni = 0, nc = 0;
	hc_err err = rs_row_encode(&p->w, &in, &ni, &codes, &nc);

	if (err != HC_OK)
		return err;
	if (!p->exists) {
		sqlite3_stmt *s = rs_q(c, S_PERSON_ADD, "tttiIibbb", key, p->name, p->id, p->ver,
				       p->st, now, in, ni, codes, nc, p->held, p->nheld);
		int rc = s ? sqlite3_step(s) : SQLITE_ERROR;

		if (rc == SQLITE_CONSTRAINT_UNIQUE) {
			/* a new person (reg_change.new_person) made meanwhile */
			hc_set_detail("person made meanwhile");
			err = HC_ERR_CONFLICT;
		} else if (rc != SQLITE_DONE) {
			err = s ? rs_dberr(c, "person") : HC_ERR_STORE;
		}
		rs_done(s);
	} else
		err = rs_run(c, rs_q(c, S_PERSON_SET, "ittiIbbb", p->n, p->name, p->id, p->ver, p->st,
				     in, ni, codes, nc, p->held, p->nheld),
			     "person");
	free(in);
	free(codes);
	return err;
}

/* The exposure row of a stay or a visit, added or removed with it. */
static hc_err exposure(struct conn *c, const char *person, int kind, const char *json, bool add)
{
	bool travel = kind == rs_kind_index("travel");
	hc_err err;

	if (!travel && kind != rs_kind_index("visits"))
		return HC_OK;
	if (add)
		return rs_run(c, rs_q(c, travel ? S_TRAVEL_ADD : S_VISIT_ADD, "tt", json, person),
			      "exposure");
	err = rs_run(c, rs_q(c, travel ? S_TRAVEL_DEL : S_VISIT_DEL, "tt", json, person),
		     "exposure");
	if (err == HC_OK)
		err = rs_run(c, rs_q(c, travel ? S_TRAVEL_GC : S_VISIT_GC, "tt", json, person),
			     "exposure");
	return err;
}

/* Revokes the code jti at now (superseded by by, or ""), unless it is
 * revoked already; the code revoked goes to the census, with the expiry
 * and status of its row. */
static hc_err revoke_code(struct conn *c, const char *jti, int64_t now, const char *by)
{
	sqlite3_stmt *s = rs_q(c, S_CODE_REVOKE, "tit", jti, now, by);
	hc_err err = HC_OK;
	int rc;

	if (!s)
		return HC_ERR_STORE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && err == HC_OK)
		err = rs_census_note(c, sqlite3_column_int64(s, 0), sqlite3_column_int(s, 1), -1);
	if (err == HC_OK && rc != SQLITE_DONE)
		err = rs_dberr(c, "revoke");
	rs_done(s);
	return err;
}

static int by_jti(const void *a, const void *b)
{
	return strcmp(((const struct rs_live *)a)->jti, ((const struct rs_live *)b)->jti);
}

/* Revokes every code of the person that is not revoked, unexpired and of
 * another status than st (those the row lists), in jti order, and drops
 * them from the row. */
static hc_err supersede(struct conn *c, struct chain *ch, const struct reg_change *x,
			struct rs_row *w)
{
	struct rs_live *v;
	size_t n = 0, o = 0;
	hc_err err = HC_OK;

	if (!w->ncode)
		return HC_OK;
	v = malloc(w->ncode * sizeof(*v));
	if (!v)
		return HC_ERR_NOMEM;
	for (size_t i = 0; i < w->ncode; i++)
		if (w->code[i].exp > x->now && w->code[i].st != (int)x->st)
			v[n++] = w->code[i];
		else
			w->code[o++] = w->code[i];
	w->ncode = o;
	qsort(v, n, sizeof(*v), by_jti);
	for (size_t i = 0; err == HC_OK && i < n; i++) {
		struct hc_audit_entry e = {.at = x->now, .actor = x->actor, .action = "revoke",
					   .person = x->person, .cause = x->cause, .jti = v[i].jti,
					   .from = hc_status_name((enum hc_status)v[i].st)};

		e.why[e.nwhy++] = WHY_SUPERSEDED;
		err = revoke_code(c, v[i].jti, x->now, x->code ? x->code->jti : "");
		if (err == HC_OK)
			err = rs_audit_add(c, ch, &e);
	}
	free(v);
	return err;
}

/* The new code, into the codes table, the row's codes blob and, when it
 * is the held one (the newest by iat: a code issued now), the row's
 * copy. */
static hc_err code_add(struct conn *c, struct chain *ch, const struct reg_change *x,
		       struct prow *p)
{
	struct rs_row *w = &p->w;
	const struct reg_code *k = x->code;
	struct hc_audit_entry e = {.at = x->now, .actor = x->actor, .action = "issue",
				   .person = x->person, .to = hc_status_name(k->st),
				   .cause = x->cause, .jti = k->jti};
	struct rs_live live = {.st = (int)k->st, .iat = k->iat, .exp = k->exp};
	char why[HC_MAX_WHY * (6 * HC_WHY_LEN + 3) + 8];
	size_t len = 1;
	sqlite3_stmt *s;
	int rc;

	why[0] = '[';
	why[1] = '\0';
	for (size_t i = 0; i < k->nwhy; i++) {
		if (i)
			why[len++] = ','; /* the buffer holds every why at its longest */
		if (!hc_json_put_str(why, sizeof(why), &len, k->why[i]))
			return HC_ERR_INVALID_ARG;
		e.why[e.nwhy++] = k->why[i];
	}
	why[len++] = ']';
	why[len] = '\0';
	s = rs_q(c, S_CODE_ADD, "ttitttiit", k->jti, k->person, (int64_t)k->st, why, k->policy,
		 k->kid, k->iat, k->exp, k->jws);
	if (!s)
		return HC_ERR_STORE;
	rc = sqlite3_step(s);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
		rs_done(s);
		hc_set_detail("jti %s: already issued", k->jti);
		return HC_ERR_EXISTS;
	}
	if (rc != SQLITE_DONE) {
		(void)rs_dberr(c, "code");
		rs_done(s);
		return HC_ERR_STORE;
	}
	rs_done(s);
	if (rs_census_note(c, k->exp, (int)k->st, 1) != HC_OK)
		return HC_ERR_NOMEM;
	memcpy(live.jti, k->jti, sizeof(live.jti));
	if (rs_row_add_code(w, &live) != HC_OK)
		return HC_ERR_NOMEM;
	if (rs_row_held(w) == (long)w->ncode - 1) {
		const struct rs_held h = {.k = live, .policy = k->policy, .npolicy = strlen(k->policy),
					  .kid = k->kid, .nkid = strlen(k->kid), .why = why,
					  .nwhy = len, .jws = k->jws, .njws = strlen(k->jws)};
		uint8_t *b;
		size_t nb;
		hc_err err = rs_held_encode(&h, &b, &nb);

		if (err != HC_OK)
			return err;
		free(p->held);
		p->held = b;
		p->nheld = nb;
	}
	return rs_audit_add(c, ch, &e);
}

/* The inputs added (those the person does not hold) and removed (those
 * held, and an answer's: registry_sqlite_query.c), each audited; *changed
 * when any was. */
static hc_err inputs_apply(struct conn *c, struct chain *ch, const struct reg_change *x,
			   struct rs_row *w, bool *changed)
{
	struct reg_input *rm = NULL;
	size_t nrm = 0;
	hc_err err = x->answer ? rs_answer_apply(c, x, w, &rm, &nrm) : HC_OK;

	for (size_t i = 0; err == HC_OK && i < x->ninputs; i++) {
		const struct reg_input *in = &x->inputs[i];
		struct hc_audit_entry e = {.at = x->now, .actor = x->actor, .action = x->action,
					   .person = x->person,
					   .cause = in->cause ? in->cause : x->cause};
		bool took = false;
		long at;
		struct rs_in add = {.kind = rs_kind_index(in->kind), .json = in->json,
				    .njson = strlen(in->json), .source = in->source,
				    .nsource = strlen(in->source), .cause = in->cause,
				    .ncause = in->cause ? strlen(in->cause) : 0, .at = in->at};

		if (add.kind == RS_KIND_VISITS) {
			err = rs_run(c, rs_q(c, S_VISIT_INPUT_ADD, "tttti", x->person, in->json,
					     in->source, in->cause, in->at),
				     "input");
			if (err == HC_OK && sqlite3_changes(c->db) == 0) {
				/* held already (perhaps taken over) */
				err = rs_answer_takeover_visit(c, x, in, &took);
				if (!took)
					continue;
			}
		} else if ((at = rs_row_find_input(w, add.kind, add.json, add.njson)) >= 0) {
			/* the same kind and json is held already (perhaps taken over) */
			if (!(took = rs_answer_takeover(x, &w->in[at], &add)))
				continue;
		} else {
			err = rs_row_add_input(w, &add);
		}
		/* A takeover is audited as a supply by its new supplier (the
		 * exposure rows stay: the input itself is the same). */
		if (err == HC_OK && !took)
			err = exposure(c, x->person, add.kind, in->json, true);
		*changed = true;
		e.why[e.nwhy++] = in->kind;
		if (err == HC_OK)
			err = rs_audit_add(c, ch, &e);
	}
	for (size_t i = 0; err == HC_OK && i < x->nremoves + nrm; i++) {
		const struct reg_input *in =
			i < x->nremoves ? &x->removes[i] : &rm[i - x->nremoves];
		struct hc_audit_entry e = {.at = x->now, .actor = x->actor, .action = x->action,
					   .person = x->person,
					   .cause = in->cause ? in->cause : x->cause};
		int kind = rs_kind_index(in->kind);
		long at = -1;

		if (kind == RS_KIND_VISITS) {
			err = rs_run(c, rs_q(c, S_VISIT_INPUT_DEL, "tt", x->person, in->json), "input");
			if (err == HC_OK && sqlite3_changes(c->db) == 0)
				continue; /* not held */
		} else if ((at = rs_row_find_input(w, kind, in->json, strlen(in->json))) < 0) {
			continue; /* not held */
		} else {
			rs_row_drop_input(w, (size_t)at);
		}
		if (err == HC_OK)
			err = exposure(c, x->person, kind, in->json, false);
		*changed = true;
		e.why[e.nwhy++] = in->kind;
		e.why[e.nwhy++] = "removed";
		if (err == HC_OK)
			err = rs_audit_add(c, ch, &e);
	}
	rs_answer_free(rm, nrm);
	return err;
}

static hc_err apply(struct conn *c, struct chain *ch, const struct reg_change *x, struct prow *p,
		    int64_t *version)
{
	bool renamed = false, added = false, restatus, pruned;
	int64_t old;
	hc_err err;

	if (x->new_person && !c->careful) {
		/* Not read: the insert's unique key finds a person made
		 * meanwhile (prow_write), after this job wrote, and the writer
		 * then runs the batch again carefully (c->careful: read first,
		 * and fail before writing). Reading first was a random index
		 * descent, 6% of the writer's work. */
		memset(p, 0, sizeof(*p));
		p->st = -1;
	} else if ((err = prow_read(c, x->person, p)) != HC_OK) {
		return err;
	}
	if (x->new_person && p->exists) {
		hc_set_detail("person made meanwhile");
		return HC_ERR_CONFLICT;
	}
	if (x->expect_version >= 0 && p->ver != x->expect_version) {
		hc_set_detail("person version is %lld, not %lld", (long long)p->ver,
			      (long long)x->expect_version);
		return HC_ERR_CONFLICT;
	}
	/* Nothing is written before this point, nor when the event is a
	 * duplicate: the writer runs jobs without savepoints and counts on a
	 * job that fails here having changed nothing (a new person made
	 * meanwhile is the one failure after a write). */
	if (x->event) {
		err = rs_run(c, rs_q(c, S_EVENT_ADD, "ttti", x->actor, x->event, x->person, x->now),
			     "event");
		if (err != HC_OK)
			return err;
		if (sqlite3_changes(c->db) == 0) {
			hc_set_detail("event %s of %s: seen before", x->event, x->actor);
			return HC_ERR_EXISTS;
		}
	}
	/* The name is set the first time one is given (a person first seen
	 * in an event may have none). */
	if (!p->exists || (!p->name[0] && x->name && *x->name)) {
		renamed = true;
		hc_copy(p->name, sizeof(p->name), x->name ? x->name : "");
		hc_copy(p->id, sizeof(p->id), x->id ? x->id : "");
	}
	old = p->st;
	restatus = x->has_status && old != (int64_t)x->st;
	err = inputs_apply(c, ch, x, &p->w, &added);
	if (added)
		p->ver++;
	if (err == HC_OK && restatus) {
		struct hc_audit_entry e = {.at = x->now,
		                           .actor = x->actor,
		                           .action = "status",
		                           .person = x->person,
		                           .to = hc_status_name(x->st),
		                           .from =
		                               old >= 0 ? hc_status_name((enum hc_status)old) : NULL,
		                           .cause = x->cause};

		p->st = (int64_t)x->st;
		set_why(&e, x->why, x->nwhy);
		err = rs_audit_add(c, ch, &e);
		if (err == HC_OK)
			err = supersede(c, ch, x, &p->w);
	}
	if (err == HC_OK && x->code)
		err = code_add(c, ch, x, p);
	pruned = rs_row_prune(&p->w, x->now);
	if (err == HC_OK && (!p->exists || renamed || added || restatus || x->code || pruned))
		err = prow_write(c, x->person, p, x->now);
	if (err == HC_OK)
		*version = p->ver;
	return err;
}

hc_err rs_apply(struct conn *c, struct chain *ch, const struct reg_change *x, int64_t *version)
{
	struct prow p;
	hc_err err = apply(c, ch, x, &p, version);

	prow_free(&p);
	return err;
}

/* Drops a revoked code from its person's row (when the row lists it). */
static hc_err unlist(struct conn *c, const char *person, const char *jti)
{
	struct prow p;
	uint8_t *in = NULL, *codes = NULL;
	size_t ni, nc;
	hc_err err = prow_read(c, person, &p);
	size_t i;

	for (i = 0; err == HC_OK && i < p.w.ncode; i++)
		if (strcmp(p.w.code[i].jti, jti) == 0)
			break;
	if (err == HC_OK && p.exists && i < p.w.ncode) {
		rs_row_drop_code(&p.w, i);
		err = rs_row_encode(&p.w, &in, &ni, &codes, &nc);
		if (err == HC_OK)
			err = rs_run(c, rs_q(c, S_PERSON_CODES, "ib", p.n, codes, nc), "person");
	}
	free(in);
	free(codes);
	prow_free(&p);
	return err;
}

hc_err rs_revoke(struct conn *c, struct chain *ch, const char *jti, const char *reason,
		 const char *actor, const char *cause, int64_t now, bool *already, int64_t *when)
{
	struct hc_audit_entry e = {.at = now, .actor = actor, .action = "revoke", .cause = cause,
				   .jti = jti};
	char person[REG_KEY_LEN + 1] = "";
	sqlite3_stmt *s = rs_q(c, S_CODE_GET, "t", jti);
	int64_t at = 0;
	int st = 0, rc;
	hc_err err = HC_OK;

	if (!s)
		return HC_ERR_STORE;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_text(s, 1);

		at = sqlite3_column_int64(s, 0);
		(void)snprintf(person, sizeof(person), "%s", p ? (const char *)p : "");
		st = sqlite3_column_int(s, 2);
	} else if (rc == SQLITE_DONE) {
		hc_set_detail("jti %s: no such code", jti);
		err = HC_ERR_NOT_FOUND;
	} else {
		err = rs_dberr(c, "code");
	}
	rs_done(s);
	if (err != HC_OK)
		return err;
	if (at > 0) {
		*already = true; /* the first time stands; nothing changes */
		*when = at;
		return HC_OK;
	}
	*when = now;
	err = revoke_code(c, jti, now, "");
	if (err == HC_OK)
		err = unlist(c, person, jti);
	if (err != HC_OK)
		return err;
	e.person = person;
	e.from = hc_status_name((enum hc_status)st);
	if (reason)
		e.why[e.nwhy++] = reason;
	return rs_audit_add(c, ch, &e);
}
