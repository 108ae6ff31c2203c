/* fuzz_query.c: the bytes as a queried source's answer body (what its
 * HTTPS server sends back, hostile input from the network) through
 * query_answer_inputs (issuer/query.c), at a fixed time.
 *
 * An answer is taken exactly when hc_record_parse_inputs takes it and
 * hc_policy_apply (default policy, no risk list) does not refuse it as a
 * record (an entry dated after now); refused otherwise, with that error
 * and detail (a detail always, but for a syntax error or an answer that
 * is not an object), no input and no text left. A taken answer gives at
 * most QUERY_MAX_INPUTS inputs, in the order of the kinds and of the
 * answer, one for each entry of each kind's array, each with a known
 * kind, the source, cause and time given, and a text that is strict JSON
 * (an object; a flag's a string), cJSON's print of itself (a fixpoint),
 * and that parses back to the answer's entry (cJSON_Compare); the texts
 * together ({KIND:[TEXT,...]}) are a record the rules take, with the
 * answer's values (compared by hc_record_one_of when the answer has one
 * entry besides flags). The same answer twice gives the same result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hc_json.h"
#include "hc_policy.h"
#include "query_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

#define NKINDS (sizeof(query_kinds) / sizeof(query_kinds[0]))

static const int64_t now = 1796083200; /* 2026-12-01T00:00:00Z */
static const char source[] = "carrier", cause[] = "fuzz-req-1";

struct run {
	hc_err err;
	char detail[512];
	size_t n;
	struct reg_input in[QUERY_MAX_INPUTS];
	char *texts[QUERY_MAX_INPUTS];
};

static struct run a, b;

static void run(const char *body, size_t n, struct run *r)
{
	memset(r->texts, 0, sizeof(r->texts));
	r->n = 12345; /* must be set either way */
	r->err = query_answer_inputs(source, cause, body, n, now, r->in, r->texts, &r->n);
	(void)snprintf(r->detail, sizeof(r->detail), "%s", hc_detail());
}

static void clear(struct run *r)
{
	for (size_t i = 0; i < r->n && i < QUERY_MAX_INPUTS; i++)
		free(r->texts[i]);
}

/* What the answer is by the record rules and the policy: HC_OK, or the
 * error (and *detail) the answer must be refused with; *one and *has_one:
 * the record's entries when it parses with at most one besides flags. */
static hc_err oracle(const char *body, size_t n, char *detail, size_t cap,
		     struct hc_record_one *one, bool *has_one)
{
	static struct hc_policy *pol;
	struct hc_record *rec = NULL;
	struct hc_claims c;
	hc_err err;

	if (!pol && hc_policy_default(&pol) != HC_OK)
		abort();
	*has_one = false;
	err = hc_record_parse_inputs(body, n, "-", "-", &rec);
	if (err == HC_OK) {
		*has_one = hc_record_one_of(rec, one) == HC_OK;
		memset(&c, 0, sizeof(c));
		err = hc_policy_apply(pol, rec, NULL, now, 0, &c);
		if (err != HC_ERR_RECORD) /* a stay with no risk list: not the answer's fault */
			err = HC_OK;
	}
	(void)snprintf(detail, cap, "%s", hc_detail());
	hc_record_free(rec);
	return err;
}

/* The errors that may name nothing more than their kind: of the JSON's
 * syntax, and a whole answer that is not an object (hc_json_parse sets
 * no detail for it). */
static bool bare(hc_err err, const char *body, size_t n)
{
	cJSON *t;
	bool obj;

	if (err == HC_ERR_JSON || err == HC_ERR_JSON_UTF8 || err == HC_ERR_JSON_DEPTH ||
	    err == HC_ERR_TOO_LARGE)
		return true;
	if (err != HC_ERR_JSON_TYPE)
		return false;
	t = cJSON_ParseWithLength(body, n);
	obj = cJSON_IsObject(t);
	cJSON_Delete(t);
	return !obj;
}

static void refused(const struct run *r, hc_err want, const char *wdetail, const char *body,
		    size_t n)
{
	if (r->err == HC_OK || r->err == HC_ERR_NOMEM || r->err != want ||
	    strcmp(r->detail, wdetail) != 0 || r->n != 0)
		abort();
	if (!r->detail[0] && !bare(r->err, body, n))
		abort(); /* a refusal of the answer's content names what */
	for (size_t i = 0; i < QUERY_MAX_INPUTS; i++)
		if (r->texts[i])
			abort(); /* nothing left behind */
}

/* A text as a tree: an object by the strict parser, a flag by cJSON (the
 * strict parser takes only objects), after the strict grammar. */
static cJSON *tree_of(const char *text, bool flag)
{
	cJSON *t = NULL;

	if (!hc_json_valid(text, strlen(text)))
		abort();
	if (flag)
		t = cJSON_ParseWithLength(text, strlen(text));
	else if (hc_json_parse(text, strlen(text), &t) != HC_OK)
		t = NULL;
	if (!t || (flag ? !cJSON_IsString(t) : !cJSON_IsObject(t)))
		abort();
	return t;
}

/* again[*len..] = s[0..n), growing again. */
static void put(char **again, size_t *len, size_t *cap, const char *s, size_t n)
{
	while (*len + n + 1 > *cap)
		if (!(*again = realloc(*again, *cap *= 2)))
			abort();
	memcpy(*again + *len, s, n);
	*len += n;
}

static void taken(const struct run *r, const char *body, size_t n,
		  const struct hc_record_one *one, bool has_one)
{
	cJSON *root = NULL;
	size_t i = 0, cap = 64, len = 0;
	char *again = malloc(cap);
	struct hc_record *rec = NULL;

	if (!again || r->n > QUERY_MAX_INPUTS || hc_json_parse(body, n, &root) != HC_OK)
		abort();
	put(&again, &len, &cap, "{", 1);
	for (size_t k = 0; k < NKINDS; k++) {
		const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, query_kinds[k]);
		const cJSON *e = arr ? arr->child : NULL;
		size_t first = i;

		for (; i < r->n && r->in[i].kind == query_kinds[k]; i++, e = e->next) {
			const struct reg_input *in = &r->in[i];
			cJSON *t = tree_of(r->texts[i], k == NKINDS - 1);
			char *print = cJSON_PrintUnformatted(t);

			if (!e)
				abort(); /* more inputs of the kind than entries */
			if (!print || strcmp(print, r->texts[i]) != 0 || !cJSON_Compare(t, e, true) ||
			    in->json != r->texts[i] || in->source != source || in->cause != cause ||
			    in->at != now)
				abort();
			free(print);
			cJSON_Delete(t);
			if (i == first) {
				if (len > 1)
					put(&again, &len, &cap, ",", 1);
				put(&again, &len, &cap, "\"", 1);
				put(&again, &len, &cap, query_kinds[k], strlen(query_kinds[k]));
				put(&again, &len, &cap, "\":[", 3);
			} else {
				put(&again, &len, &cap, ",", 1);
			}
			put(&again, &len, &cap, r->texts[i], strlen(r->texts[i]));
		}
		if (e)
			abort(); /* an entry of the kind left out */
		if (i > first)
			put(&again, &len, &cap, "]", 1);
	}
	if (i != r->n)
		abort(); /* an input of no kind, or out of the kinds' order */
	put(&again, &len, &cap, "}", 1);
	/* The texts together are a record the rules take (unless the
	 * numbers' prints made it longer than a record may be), with the
	 * answer's values where they can be compared. */
	if (len <= HC_MAX_JSON_FILE) {
		struct hc_record_one o;

		if (hc_record_parse_inputs(again, len, "-", "-", &rec) != HC_OK)
			abort();
		if (has_one && (hc_record_one_of(rec, &o) != HC_OK || o.kind != one->kind ||
				o.flags != one->flags || memcmp(o.v, one->v, sizeof(o.v)) != 0))
			abort();
		hc_record_free(rec);
	}
	free(again);
	cJSON_Delete(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char *body = (const char *)data;
	char wdetail[512];
	struct hc_record_one one;
	bool has_one;
	hc_err want;

	if (n > QUERY_MAX_ANSWER)
		return 0; /* fetch_url stops at the cap */
	run(body, n, &a);
	run(body, n, &b);
	if (a.err != b.err || strcmp(a.detail, b.detail) != 0 || a.n != b.n)
		abort();
	for (size_t i = 0; i < a.n && i < QUERY_MAX_INPUTS; i++)
		if (a.in[i].kind != b.in[i].kind || strcmp(a.texts[i], b.texts[i]) != 0)
			abort();
	memset(&one, 0, sizeof(one));
	want = oracle(body, n, wdetail, sizeof(wdetail), &one, &has_one);
	if (want != HC_OK)
		refused(&a, want, wdetail, body, n);
	else if (a.err != HC_OK)
		abort(); /* an answer the rules take, refused */
	else
		taken(&a, body, n, &one, has_one);
	clear(&a);
	clear(&b);
	return 0;
}
