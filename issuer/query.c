/* query.c: the sources the service asks rather than hears from (a
 * carrier's itinerary service, for example). When a code is requested and
 * a source's data about the person is older than its max_age, the service
 * POSTs {"id":ID} to the source over HTTPS with its client certificate;
 * the answer, inputs in the record format without "person", is the
 * source's whole word on the person: stored as the person's inputs
 * (supplied by the source), those it supplied before and leaves out now
 * removed, and the time of the answer recorded, in one registry change
 * before the status is computed (reg_change.answer). A source that
 * cannot answer (down, slow, an error, garbage) fails the request with
 * 503 and the reason: a status is never built on missing data. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "dl_curl.h"
#include "hc_fetch.h"
#include "hc_json.h"
#include "hc_policy.h"
#include "query_int.h"

#define QUERY_SLOTS 16384 /* per source; a slot lost to a collision reads the registry */

const char *const query_kinds[5] = {"nat", "vaccinations", "travel", "visits", "flags"};
#define NKINDS (sizeof(query_kinds) / sizeof(query_kinds[0]))

/* When each person was last answered for, by person key: a cache in
 * front of the registry's record of it (reg_answered), which holds across
 * restarts and collisions. */
struct asked {
	char key[REG_KEY_LEN + 1];
	int64_t at;
};

struct query {
	pthread_mutex_t mu;
	struct asked *slots[CFG_MAX_SOURCES];
};

struct clash {
	const struct cfg *cfg;
	const char *name;  /* a token named as a source, or NULL */
};

static void clash_one(void *arg, const struct reg_token *t)
{
	struct clash *c = arg;

	for (size_t i = 0; !c->name && i < c->cfg->nsources; i++)
		if (strcmp(t->name, c->cfg->sources[i].name) == 0)
			c->name = c->cfg->sources[i].name;
}

/* An input names who supplied it, a token or a source: a source's answer
 * removes what it supplied before, so no token may bear a source's name
 * (its events would be taken for the source's, and the audit's actor
 * could not tell them apart). */
hc_err svc_query_names_ok(struct svc *s)
{
	struct clash c = {.cfg = s->cfg, .name = NULL};
	hc_err err;

	if (s->cfg->nsources == 0)
		return HC_OK;
	if ((err = reg_token_list(s->reg, clash_one, &c)) != HC_OK)
		return err;
	if (c.name) {
		/* A revoked token counts too: the inputs it supplied still bear
		 * its name, and the source's answers would remove them. */
		hc_set_detail("source %s: a token (revoked or not) has the same name, and a "
			      "token's name is never freed: give the source another name "
			      "(inputs it supplied under the old name are then no longer "
			      "replaced by its answers)",
			      c.name);
		return HC_ERR_EXISTS;
	}
	return HC_OK;
}

hc_err svc_query_open(struct svc *s)
{
	struct query *q;
	hc_err err;

	if ((err = svc_query_names_ok(s)) != HC_OK || s->cfg->nsources == 0)
		return err;
	if (!(q = calloc(1, sizeof(*q))))
		return HC_ERR_NOMEM;
	if (pthread_mutex_init(&q->mu, NULL) != 0) {
		free(q);
		return HC_ERR_NOMEM;
	}
	for (size_t i = 0; i < s->cfg->nsources; i++)
		if (!(q->slots[i] = calloc(QUERY_SLOTS, sizeof(struct asked)))) {
			s->query = q;
			svc_query_close(s);
			return HC_ERR_NOMEM;
		}
	s->query = q;
	return HC_OK;
}

void svc_query_close(struct svc *s)
{
	struct query *q = s ? s->query : NULL;

	if (!q)
		return;
	for (size_t i = 0; i < CFG_MAX_SOURCES; i++)
		free(q->slots[i]);
	pthread_mutex_destroy(&q->mu);
	free(q);
	s->query = NULL;
}

static size_t slot_of(const char *key)
{
	uint32_t h = 2166136261u; /* FNV-1a over the key (itself a keyed hash) */

	for (size_t i = 0; i < REG_KEY_LEN && key[i]; i++)
		h = (h ^ (uint8_t)key[i]) * 16777619u;
	return h % QUERY_SLOTS;
}

/* Whether source i answered for key within max_age of now: the cache,
 * else the registry (a read that fails asks again: the answer's write
 * then says why). An answer dated after now (the clock set back) is not
 * fresh. */
static bool fresh(struct svc *s, size_t i, const char *key, int64_t max_age, int64_t now)
{
	struct query *q = s->query;
	struct asked *a = &q->slots[i][slot_of(key)];
	int64_t at = 0;
	bool ok;

	pthread_mutex_lock(&q->mu);
	ok = strcmp(a->key, key) == 0 && now >= a->at && now - a->at < max_age;
	pthread_mutex_unlock(&q->mu);
	if (ok)
		return true;
	if (reg_answered(s->reg, key, s->cfg->sources[i].name, &at) != HC_OK)
		return false;
	if (now < at || now - at >= max_age)
		return false;
	pthread_mutex_lock(&q->mu);
	memcpy(a->key, key, REG_KEY_LEN + 1);
	a->at = at;
	pthread_mutex_unlock(&q->mu);
	return true;
}

static void answered(struct query *q, size_t i, const char *key, int64_t now)
{
	struct asked *a = &q->slots[i][slot_of(key)];

	pthread_mutex_lock(&q->mu);
	memcpy(a->key, key, REG_KEY_LEN + 1);
	a->at = now;
	pthread_mutex_unlock(&q->mu);
}

/* The texts made so far, freed: a refused answer leaves nothing. */
static void texts_free(char **texts, size_t *nin)
{
	for (size_t k = 0; k < *nin; k++) {
		free(texts[k]);
		texts[k] = NULL;
	}
	*nin = 0;
}

hc_err query_answer_inputs(const char *source, const char *cause, const char *body, size_t n,
			   int64_t now, struct reg_input *in, char **texts, size_t *nin)
{
	struct hc_record *rec = NULL;
	cJSON *root = NULL;
	hc_err err;

	*nin = 0;
	/* The same strict rules as a record's, without the person; and no
	 * entry dated after now, which the evaluation refuses: a record's or
	 * an event's is refused before it is stored, and an answer's stored
	 * would fail every later evaluation of the person (their codes, and
	 * each event of theirs blamed for it) until the source dropped it. */
	if ((err = hc_record_parse_inputs(body, n, "-", "-", &rec)) != HC_OK)
		return err;
	err = hc_record_dates_check(rec, now);
	hc_record_free(rec);
	if (err != HC_OK)
		return err;
	if ((err = hc_json_parse(body, n, &root)) != HC_OK)
		return err;
	for (size_t k = 0; k < NKINDS; k++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, query_kinds[k]), *e;

		cJSON_ArrayForEach(e, a)
		{
			if (*nin == QUERY_MAX_INPUTS || !(texts[*nin] = cJSON_PrintUnformatted(e))) {
				cJSON_Delete(root);
				texts_free(texts, nin);
				return HC_ERR_NOMEM;
			}
			in[*nin].kind = query_kinds[k];
			in[*nin].json = texts[*nin];
			in[*nin].source = source;
			in[*nin].cause = cause;
			in[*nin].at = now;
			(*nin)++;
		}
	}
	cJSON_Delete(root);
	return HC_OK;
}

/* The person's status after source's answer about them was stored: the
 * policy run over their inputs as they now are, a changed status stored
 * and the codes it makes untrue revoked (actor the source, cause the
 * request), as an event's input is stored with its status. The answer is
 * stored without one (the source's removals are only known in the
 * registry's writer), and the request's own evaluation came after it:
 * when that failed (a record refused, a second source down, the
 * risk-area list stale), a stay or a positive test the answer brought
 * left the person's green code standing, and unlisted, until their next
 * evaluation. A failure here is not the answer's: the request's own
 * evaluation, which follows, answers it. */
static void answer_status(struct svc *s, const char *source, const char *cause, const char *key)
{
	const char *keys[1] = {key};
	hc_err e = HC_OK;
	bool changed = false;

	if (svc_reevaluate_many(s, source, cause, keys, 1, &e, NULL, &changed) != HC_OK ||
	    e != HC_OK)
		hc_set_detail(NULL); /* not the request's */
}

/* Asks source i about the person and stores what it says, and the
 * status that follows (answer_status); *at: when it answered. */
static hc_err ask(struct svc *s, size_t i, const struct caller *who, const char *key,
		  const char *id, const char *mname, const char *mid, int64_t *at)
{
	const struct cfg_source *src = &s->cfg->sources[i];
	struct reg_input *in = NULL;
	char **texts = NULL, post[64];
	struct fetch f;
	struct fetch_opts o;
	struct reg_change ch;
	size_t nin = 0;
	hc_err err;

	memset(&f, 0, sizeof(f));
	memset(&o, 0, sizeof(o));
	(void)snprintf(post, sizeof(post), "{\"id\":\"%s\"}", id); /* 18 checked characters */
	o.cacert = src->cacert[0] ? src->cacert : NULL;
	o.timeout = (long)src->timeout;
	o.cert = src->cert;
	o.key = src->key;
	o.ua = "hc-issued-query/1";
	o.post = post;
	if ((err = hc_dl_curl()) != HC_OK)
		return err;
	if (!(o.h = sym_curl_easy_init()))
		return HC_ERR_NOMEM;
	err = fetch_url(&o, src->url, NULL, 0, QUERY_MAX_ANSWER, &f);
	sym_curl_easy_cleanup(o.h);
	OPENSSL_cleanse(post, sizeof(post));
	if (err != HC_OK)
		return err;
	if (f.status != 200) {
		hc_set_detail("HTTP status %ld", f.status);
		err = HC_ERR_NET;
		goto out;
	}
	if (!(in = calloc(QUERY_MAX_INPUTS, sizeof(*in))) ||
	    !(texts = calloc(QUERY_MAX_INPUTS, sizeof(*texts)))) {
		err = HC_ERR_NOMEM;
		goto out;
	}
	if ((err = query_answer_inputs(src->name, who->reqid, (const char *)f.body, f.len,
				       hc_now(), in, texts, &nin)) != HC_OK) {
		char d[200];

		(void)snprintf(d, sizeof(d), "%s", hc_detail());
		hc_set_detail("answer: %s%s%s", hc_strerror(err), d[0] ? ": " : "", d);
		goto out;
	}
	/* Even an answer that adds nothing: it removes what the source left
	 * out and records when it answered. */
	memset(&ch, 0, sizeof(ch));
	ch.actor = src->name;
	ch.cause = who->reqid;
	ch.action = "record";
	ch.now = *at = hc_now();
	ch.person = key;
	ch.name = mname;
	ch.id = mid;
	ch.expect_version = -1;
	ch.inputs = in;
	ch.ninputs = nin;
	ch.answer = src->name;
	if ((err = reg_apply(s->reg, &ch, NULL)) == HC_OK)
		answer_status(s, src->name, who->reqid, key);
out:
	for (size_t k = 0; texts && k < nin; k++)
		free(texts[k]);
	free(texts);
	free(in);
	fetch_clear(&f);
	return err;
}

bool svc_query_due(struct svc *s, const char *key)
{
	int64_t now = hc_now();

	if (!s->query)
		return false;
	for (size_t i = 0; i < s->cfg->nsources; i++)
		if (!fresh(s, i, key, s->cfg->sources[i].max_age, now))
			return true;
	return false;
}

hc_err svc_query(struct svc *s, const struct caller *who, const char *key, const char *id,
		 const char *mname, const char *mid)
{
	struct reg_person p;
	int64_t now = hc_now(), at = 0;
	hc_err err;

	if (!s->query)
		return HC_OK;
	memset(&p, 0, sizeof(p));
	if (!mname || !mid) {
		/* A code for a known person only: an unknown one is not asked
		 * about (the request answers 404). */
		err = reg_person_get(s->reg, key, &p);
		if (err == HC_ERR_NOT_FOUND)
			return HC_OK;
		if (err != HC_OK)
			return err;
		mname = p.name;
		mid = p.id;
	}
	err = HC_OK;
	for (size_t i = 0; i < s->cfg->nsources && err == HC_OK; i++) {
		const struct cfg_source *src = &s->cfg->sources[i];

		if (fresh(s, i, key, src->max_age, now))
			continue;
		if ((err = ask(s, i, who, key, id, mname, mid, &at)) == HC_OK) {
			answered(s->query, i, key, at);
		} else {
			char d[300];

			(void)snprintf(d, sizeof(d), "%s", hc_detail());
			hc_set_detail("source %s: %s%s%s", src->name, hc_strerror(err),
				      d[0] ? ": " : "", d);
			err = HC_ERR_UNAVAILABLE;
		}
	}
	reg_person_clear(&p);
	return err;
}
