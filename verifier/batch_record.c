/* batch_record.c: one scan record of hc-verify batch: the line read
 * (batch_parse.c), the code verified at the record's own time, the result
 * line. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "batch_int.h"
#include "batch_parse_int.h"
#include "hc_foreign.h"
#include "hc_json.h"

static void out_append(struct job *j, const char *s, size_t n)
{
	if (j->outlen + n + 1 > j->outcap) {
		size_t cap = j->outcap ? j->outcap * 2 : 65536;
		char *p;

		while (cap < j->outlen + n + 1)
			cap *= 2;
		if (!(p = realloc(j->out, cap))) {
			j->oom = true;
			return;
		}
		j->out = p;
		j->outcap = cap;
	}
	memcpy(j->out + j->outlen, s, n);
	j->outlen += n;
}

static void out_str(struct job *j, const char *s)
{
	out_append(j, s, strlen(s));
}

/* v in decimal (snprintf cost more than the rest of a cached record's
 * line). */
static void out_int(struct job *j, long long v)
{
	char d[24], *p = d + sizeof(d);
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	out_append(j, p, (size_t)(d + sizeof(d) - p));
}

/* Appends a value's bytes without the whitespace between its tokens. */
static void out_compact(struct job *j, const char *p, const char *e)
{
	while (p < e) {
		const char *s = p;

		while (p < e && !batch_is_ws(*p))
			p = *p == '"' ? batch_str_end(p, e) : p + 1;
		out_append(j, s, (size_t)(p - s));
		p = batch_skip_ws(p, e);
	}
}

/* Appends the strict path's members of one kind (M_PASS or M_RESULT),
 * each as ,"name":value from its source bytes; the walk cannot fail here
 * (parse_strict made it). */
static void out_members(struct job *j, const struct record *r, int want, bool first)
{
	const char *p = r->obj + 1, *why = NULL;
	struct member m;

	for (const cJSON *c = r->rec->child; c && batch_next_member(&p, r->objend, &m, &why) == 1;
	     c = c->next) {
		if (batch_member_kind(c->string, strlen(c->string)) != want)
			continue;
		if (!first)
			out_append(j, ",", 1);
		first = false;
		out_append(j, m.k, (size_t)(m.kend - m.k));
		out_append(j, ":", 1);
		out_compact(j, m.v, m.vend);
	}
}

/* Appends a failure's detail (under 320 bytes) as a JSON string:
 * hc_json_put_str escapes it, six bytes per byte at most. */
static void out_json_str(struct job *j, const char *s)
{
	char esc[6 * 320 + 8];
	size_t n = 0;

	if (hc_json_put_str(esc, sizeof(esc), &n, s))
		out_append(j, esc, n);
	else
		j->oom = true;
}

/* A line between the passes of a job (batch_job): its record, and the
 * slot of its code in the run of hc_batch_start, or why it has none. */
struct lstate {
	struct record rec;
	hc_err err; /* the record's own failure (no code verified), or HC_OK */
	size_t slot;
	char detail[160];
	bool foreign; /* a foreign code, verified whole in pass 1: err is its verdict */
	struct hc_foreign_result fr;
};

/* Pass 1 of a line: trim, parse the record, start its code's verification
 * (steps 1 to 4 or the cache) in slot *slot of the run. */
static void line_start(struct batch *b, struct counts *k, struct lstate *ls, char *line, size_t n,
		       bool toolong, size_t *slot)
{
	struct hc_verify_opts o = b->opts;
	hc_err err;

	hc_set_detail(NULL);
	/* JSON whitespace around the record or code is not part of it (the CR
	 * of a CRLF among it). */
	while (n > 0 && batch_is_ws(line[n - 1]))
		line[--n] = '\0';
	while (n > 0 && batch_is_ws(line[0])) {
		line++;
		n--;
	}
	memset(&ls->rec, 0, sizeof(ls->rec));
	ls->rec.at = b->opts.at;
	if (toolong) {
		hc_set_detail("line longer than %u bytes", MAX_LINE);
		err = HC_ERR_TOO_LARGE;
	} else {
		err = batch_parse_record(line, n, &b->opts, &ls->rec);
	}
	o.at = ls->rec.at;
	ls->foreign = false;
	if (err == HC_OK && hc_foreign_format_of(ls->rec.code, ls->rec.codelen) != HC_FMT_DOMESTIC) {
		/* HC1: and shc:/ codes have no per-key blocks: verified here,
		 * their signature check taken from the cache on a repeat. */
		ls->foreign = true;
		err = hc_foreign_verify_cached(b->t, b->cache, ls->rec.code, ls->rec.codelen, &o,
					       &ls->fr);
	} else if (err == HC_OK) {
		ls->slot = *slot;
		if ((err = hc_batch_start(b->t, k->v, b->cache, *slot, ls->rec.code, ls->rec.codelen,
					  &o)) == HC_OK)
			++*slot;
	}
	ls->err = err;
	(void)snprintf(ls->detail, sizeof(ls->detail), "%s", hc_detail());
}

/* Pass 3 of a line: its verdict and the result line. */
static void line_result(struct batch *b, struct job *j, struct counts *k, uint64_t lineno,
			struct lstate *ls)
{
	struct hc_verify_opts o = b->opts;
	const struct record *rec = &ls->rec;
	struct hc_bresult r;
	char buf[256];
	int bl;
	hc_err err = ls->err;

	memset(&r, 0, sizeof(r));
	r.issuer = -1;
	o.at = rec->at;
	if (err == HC_OK && !ls->foreign) {
		err = hc_batch_finish(b->t, k->v, b->cache, ls->slot, &o, &r);
	} else {
		hc_set_detail("%s", ls->detail);
		r.stale = hc_trust_stale(b->t, &o); /* every verdict carries it */
	}
	r.err = err;
	counts_add(k, &r);
	/* The line is assembled here: our members hold known ASCII, the
	 * detail is escaped, the record's members are checked JSON. */
	out_append(j, "{\"line\":", 8);
	out_int(j, (long long)lineno);
	out_str(j, err == HC_OK ? ",\"verdict\":\"pass\",\"reason\":\"" :
				  ",\"verdict\":\"fail\",\"reason\":\"");
	out_str(j, hc_reason(err));
	out_append(j, "\"", 1);
	if (err != HC_OK) {
		const char *d = hc_detail();
		char full[320], safe[320];

		(void)snprintf(full, sizeof(full), "%s%s%s%s", hc_strerror(err),
			       d[0] ? " (" : "", d, d[0] ? ")" : "");
		hc_display_safe(full, safe, sizeof(safe));
		out_append(j, ",\"detail\":", 10);
		out_json_str(j, safe);
	}
	if (r.verified) {
		out_append(j, ",\"status\":\"", 11);
		out_str(j, hc_status_name(r.st));
		out_append(j, "\",\"iss\":", 8);
		out_str(j, b->iss_json[r.issuer]);
		/* a region is six digits (checked when the trust list loads) */
		out_append(j, ",\"region\":\"", 11);
		out_str(j, hc_trust_issuer_region(b->t, (size_t)r.issuer));
		out_append(j, "\"", 1);
	} else {
		static const char nulls[] = ",\"status\":null,\"iss\":null,\"region\":null";

		out_append(j, nulls, sizeof(nulls) - 1);
	}
	if (ls->foreign) {
		/* the format, and the issuer (neutralised) once its key verified */
		bl = snprintf(buf, sizeof(buf), ",\"format\":\"%s\",\"issuer\":",
			      ls->fr.fmt == HC_FMT_DCC ? "dcc" : "shc");
		out_append(j, buf, (size_t)bl);
		if (ls->fr.verified && ls->fr.issuer[0])
			out_json_str(j, ls->fr.issuer);
		else
			out_append(j, "null", 4);
	}
	out_append(j, ",\"at\":", 6);
	out_int(j, (long long)o.at);
	if (r.stale)
		out_str(j, ",\"warnings\":[\"stale-trust\"]");
	/* The record's own members but "code" and "at" follow as they were
	 * written, those named like a result member under "record". */
	if (rec->rec) {
		bool any = false;

		out_members(j, rec, M_PASS, false);
		for (const cJSON *c = rec->rec->child; c && !any; c = c->next)
			any = batch_member_kind(c->string, strlen(c->string)) == M_RESULT;
		if (any) {
			out_append(j, ",\"record\":{", 11);
			out_members(j, rec, M_RESULT, true);
			out_append(j, "}", 1);
		}
	} else {
		for (size_t i = 0; i < rec->nspan; i++) {
			out_append(j, ",", 1);
			out_append(j, rec->span[i].p, rec->span[i].n);
		}
	}
	out_append(j, "}", 1);
	out_append(j, "\n", 1);
	cJSON_Delete(rec->rec);
}

void batch_job(struct batch *b, struct job *j, struct counts *k)
{
	size_t slot = 0;

	if (!k->ls && !(k->ls = calloc(LINES_PER_JOB, sizeof(*k->ls)))) {
		j->oom = true;
		return;
	}
	for (size_t i = 0; i < j->nlines; i++)
		line_start(b, k, &k->ls[i], j->in + j->off[i], j->len[i], j->toolong[i], &slot);
	hc_batch_sigs(k->v);
	for (size_t i = 0; i < j->nlines; i++)
		line_result(b, j, k, j->first_line + i, &k->ls[i]);
}

void batch_result(struct batch *b, struct job *j, struct counts *k, uint64_t lineno, char *line,
		  size_t n, bool toolong)
{
	struct lstate ls;
	size_t slot = 0;

	line_start(b, k, &ls, line, n, toolong, &slot);
	hc_batch_sigs(k->v);
	line_result(b, j, k, lineno, &ls);
}
