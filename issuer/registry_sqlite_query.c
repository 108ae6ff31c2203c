/* registry_sqlite_query.c: what the registry keeps of the sources the
 * service asks (issuer/query.c): when each last answered for each person
 * (table answers, so that max_age holds across restarts), and which of
 * the person's inputs a new answer no longer holds. An answer is the
 * source's whole word on the person: an input that source supplied
 * before and leaves out now (a cancelled itinerary) is removed, in the
 * same transaction as the answer's inputs; what anyone else supplied is
 * never touched. An input is held once, under its first supplier; when
 * a record or an event supplies it again it becomes theirs (a desk's
 * record of a stay the carrier reported first stays when the carrier
 * drops it), but an answer never takes one over. */
#include <stdlib.h>
#include <string.h>

#include "registry_sqlite.h"

hc_err reg_answered(struct reg *r, const char *person, const char *source, int64_t *at)
{
	struct conn *c;
	sqlite3_stmt *s;
	hc_err err;
	int rc;

	*at = 0;
	err = rs_read_get(r, &c);
	if (err != HC_OK)
		return err;
	s = rs_q(c, S_ANSWER_GET, "tt", person, source);
	rc = s ? sqlite3_step(s) : SQLITE_ERROR;
	if (rc == SQLITE_ROW) {
		*at = sqlite3_column_int64(s, 0);
	} else if (rc == SQLITE_DONE) {
		hc_set_detail("source %s: never answered for the person", source);
		err = HC_ERR_NOT_FOUND;
	} else {
		err = s ? rs_dberr(c, "answers") : HC_ERR_STORE;
	}
	rs_done(s);
	rs_read_put(r, c);
	return err;
}

void rs_answer_free(struct reg_input *rm, size_t n)
{
	for (size_t i = 0; rm && i < n; i++)
		free((char *)rm[i].json);
	free(rm);
}

/* Whether the change's inputs hold kind and json (n bytes). */
static bool in_answer(const struct reg_change *x, int kind, const char *json, size_t n)
{
	for (size_t i = 0; i < x->ninputs; i++)
		if (rs_kind_index(x->inputs[i].kind) == kind && strlen(x->inputs[i].json) == n &&
		    memcmp(x->inputs[i].json, json, n) == 0)
			return true;
	return false;
}

static hc_err add_remove(struct reg_input **rm, size_t *n, size_t *cap, int kind,
			 const char *json, size_t nj)
{
	char *t;

	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 8;
		struct reg_input *v = realloc(*rm, c * sizeof(*v));

		if (!v)
			return HC_ERR_NOMEM;
		*rm = v;
		*cap = c;
	}
	if (!(t = malloc(nj + 1)))
		return HC_ERR_NOMEM;
	memcpy(t, json, nj);
	t[nj] = '\0';
	memset(&(*rm)[*n], 0, sizeof(**rm));
	(*rm)[*n].kind = rs_kind_name(kind);
	(*rm)[*n].json = t;
	(*n)++;
	return HC_OK;
}

hc_err rs_answer_apply(struct conn *c, const struct reg_change *x, const struct rs_row *w,
		       struct reg_input **rm, size_t *nrm)
{
	size_t ns = strlen(x->answer), cap = 0;
	sqlite3_stmt *s;
	hc_err err = HC_OK;

	*rm = NULL;
	*nrm = 0;
	for (size_t i = 0; err == HC_OK && i < w->nin; i++) {
		const struct rs_in *e = &w->in[i];

		if (e->nsource == ns && memcmp(e->source, x->answer, ns) == 0 &&
		    !in_answer(x, e->kind, e->json, e->njson))
			err = add_remove(rm, nrm, &cap, e->kind, e->json, e->njson);
	}
	if (err == HC_OK) {
		s = rs_q(c, S_VISIT_INPUTS_OF, "tt", x->person, x->answer);
		err = s ? HC_OK : HC_ERR_STORE;
		while (err == HC_OK) {
			int rc = sqlite3_step(s);
			const char *j;
			size_t nj;

			if (rc == SQLITE_DONE)
				break;
			if (rc != SQLITE_ROW) {
				err = rs_dberr(c, "visit inputs");
				break;
			}
			j = (const char *)sqlite3_column_text(s, 0);
			nj = (size_t)sqlite3_column_bytes(s, 0);
			if (!j)
				err = HC_ERR_NOMEM;
			else if (!in_answer(x, RS_KIND_VISITS, j, nj))
				err = add_remove(rm, nrm, &cap, RS_KIND_VISITS, j, nj);
		}
		rs_done(s);
	}
	if (err == HC_OK)
		err = rs_run(c, rs_q(c, S_ANSWER_SET, "tti", x->person, x->answer, x->now),
			     "answers");
	if (err != HC_OK) {
		rs_answer_free(*rm, *nrm);
		*rm = NULL;
		*nrm = 0;
	}
	return err;
}

bool rs_answer_takeover(const struct reg_change *x, struct rs_in *held, const struct rs_in *add)
{
	if (x->answer ||
	    (held->nsource == add->nsource && memcmp(held->source, add->source, add->nsource) == 0))
		return false;
	held->source = add->source;
	held->nsource = add->nsource;
	held->cause = add->cause;
	held->ncause = add->ncause;
	held->at = add->at;
	return true;
}

hc_err rs_answer_takeover_visit(struct conn *c, const struct reg_change *x,
				const struct reg_input *in, bool *took)
{
	hc_err err;

	*took = false;
	if (x->answer)
		return HC_OK;
	err = rs_run(c, rs_q(c, S_VISIT_INPUT_TAKE, "tttti", x->person, in->json, in->source,
			     in->cause, in->at),
		     "input");
	*took = err == HC_OK && sqlite3_changes(c->db) > 0;
	return err;
}
