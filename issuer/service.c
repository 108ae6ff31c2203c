/* service.c: issuance: a person's record or ID in, the policy over all of
 * the person's stored inputs, a signed code committed to the registry, the
 * code object (or its QR image) out. Opening and closing the service is
 * service_open.c; re-evaluating many people, service_reeval.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "hc_image.h"
#include "hc_json.h"
#include "hc_policy.h"
#include "hc_sign.h"
#include "held.h"
#include "publish.h"
#include "service.h"

static const char *const kinds[] = {"nat", "vaccinations", "travel", "flags", "visits"};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* The stored inputs (a record without person) plus the new entries of
 * rec (the record of a request, or NULL), each kind in order, an entry
 * the person already has left out, and of a kind with more than
 * REG_KIND_MAX the newest REG_KIND_MAX: what the registry gives back once
 * they are stored (reg_person's inputs; events.c's merged_inputs alike).
 * Not capped, a record with one test for a person holding 256 (a lab's
 * events) was refused as having more than 256. */
static hc_err merge_inputs(const char *stored, const cJSON *rec, char **out)
{
	cJSON *all = NULL;
	hc_err err = HC_ERR_NOMEM;

	*out = NULL;
	if (hc_json_parse(stored && stored[0] ? stored : "{}", stored && stored[0] ? strlen(stored) : 2,
			  &all) != HC_OK) {
		hc_set_detail("the registry's inputs of this person do not parse");
		return HC_ERR_STORE;
	}
	for (size_t k = 0; rec && k < NKINDS; k++) {
		const cJSON *add = cJSON_GetObjectItemCaseSensitive(rec, kinds[k]), *e;
		cJSON *have = cJSON_GetObjectItemCaseSensitive(all, kinds[k]);

		if (!cJSON_IsArray(add) || !cJSON_GetArraySize(add))
			continue;
		if (!have && !(have = cJSON_AddArrayToObject(all, kinds[k])))
			goto out;
		cJSON_ArrayForEach(e, add)
		{
			const cJSON *h;
			bool dup = false;
			cJSON *copy;

			cJSON_ArrayForEach(h, have)
			{
				if (cJSON_Compare(h, e, true)) {
					dup = true;
					break;
				}
			}
			if (dup)
				continue;
			if (!(copy = cJSON_Duplicate(e, true)) || !cJSON_AddItemToArray(have, copy)) {
				cJSON_Delete(copy);
				goto out;
			}
		}
		for (int n = cJSON_GetArraySize(have); n > REG_KIND_MAX; n--)
			cJSON_DeleteItemFromArray(have, 0);
	}
	if ((*out = cJSON_PrintUnformatted(all)) != NULL)
		err = HC_OK;
out:
	cJSON_Delete(all);
	return err;
}

/* The stored inputs do not parse as JSON (the registry is damaged). */
static bool stored_broken(hc_err err)
{
	return err == HC_ERR_JSON || err == HC_ERR_JSON_DUP || err == HC_ERR_JSON_DEPTH ||
	       err == HC_ERR_JSON_UTF8;
}

static unsigned err_status(hc_err err)
{
	switch (err) {
	case HC_ERR_JSON: case HC_ERR_JSON_DUP: case HC_ERR_JSON_DEPTH: case HC_ERR_JSON_UTF8:
	case HC_ERR_JSON_MISSING: case HC_ERR_JSON_TYPE: case HC_ERR_JSON_UNKNOWN:
	case HC_ERR_JSON_INT: case HC_ERR_RECORD: case HC_ERR_TIME:
		return 400;
	case HC_ERR_TOO_LARGE: return 413;
	case HC_ERR_NOT_FOUND: return 404;
	case HC_ERR_RISK: case HC_ERR_CONFLICT: case HC_ERR_UNAVAILABLE: return 503;
	default: return 500;
	}
}

static void fail(struct reply *r, const char *what, hc_err err)
{
	const char *d = hc_detail();

	reply_error(r, err_status(err), "%s%s%s%s%s", what, what[0] ? ": " : "", hc_strerror(err),
		    d[0] ? ": " : "", d);
}

hc_err svc_policy_apply(struct svc *s, const struct hc_record *rec, int64_t now,
			   struct hc_claims *c)
{
	struct hc_risk *risk = svc_risk_get(s);
	hc_err err = hc_policy_apply(s->pol, rec, risk, now, s->cfg->validity, c);

	svc_risk_put(s, risk);
	return err;
}

/* One request's issuance: who, the person, their new inputs (records) or
 * none (codes); on the heap, with all that must outlive the wait for its
 * commit (the change points into it): the job is queued to the registry
 * (reg_apply_async), its thread goes on with other requests, and the
 * caller calls svc_job_step again once wake has been called. */
struct svc_job {
	struct svc *s;
	const struct caller *who;
	char key[REG_KEY_LEN + 1];
	char mname[128], mid[64];      /* records: the masked name and id */
	const char *name, *id;        /* mname and mid, or NULL (codes) */
	cJSON *root;                  /* records: the request's record, else NULL */
	struct reg_input *in;
	char **texts;                 /* the inputs' JSON texts */
	size_t nin;
	bool may_hold;                /* codes: the held code while still true */
	enum image img;
	bool svg;
	bool cached;                  /* the held code's answer may come from the cache */
	bool looked;                  /* svc_codes looked it up there already (a miss) */
	svc_wake_fn *wake;
	void *arg;
	/* one try, kept across the wait for its commit */
	uint64_t t0;
	int tries;
	bool changed;                 /* the person's status changes */
	struct held_ticket ticket;
	struct reg_person p;
	struct hc_record *rec;
	struct hc_claims c;
	struct reg_code code;
	struct reg_change ch;
	const char *why[HC_MAX_WHY];
	char *merged, *jws;
	char text[HC_MAX_QR_TEXT + 8];
	/* the commit's outcome, set by job_done in the registry's writer */
	hc_err err;
	char detail[REG_DETAIL_LEN];
};

void svc_job_free(struct svc_job *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->nin; i++)
		free(j->texts[i]);
	free(j->texts);
	free(j->in);
	if (j->root) {
		const cJSON *person = cJSON_GetObjectItemCaseSensitive(j->root, "person");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(person, "id");

		if (cJSON_IsString(v))
			OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
	}
	cJSON_Delete(j->root);
	reg_person_clear(&j->p);
	hc_record_free(j->rec);
	free(j->merged);
	free(j->jws);
	OPENSSL_cleanse(j, sizeof(*j));
	free(j);
}

/* The registry's writer, after the commit holding j's change: only the
 * outcome is stored here; the rest is the caller's thread's. */
static void job_done(void *arg, hc_err err, const char *detail, int64_t version)
{
	struct svc_job *j = arg;

	(void)version;
	j->err = err;
	(void)snprintf(j->detail, sizeof(j->detail), "%s", detail);
	/* The revocation list is told here, not when the answer is built: a
	 * connection that ends between its resume and its answer (SIGTERM,
	 * the client gone) would otherwise leave a committed change
	 * unpublished until the next start. pub_revoked only marks the
	 * publisher and signals it: quick, and no call into the registry. */
	if (err == HC_OK && j->changed)
		pub_revoked(j->s->publisher);
	j->wake(j->arg);
}

/* Tries from j->tries on: true with the answer in r, or false when a
 * change is queued (job_done will be called). */
static bool job_tries(struct svc_job *j, struct reply *r)
{
	struct svc *s = j->s;
	struct hc_claims *c = &j->c;
	struct reg_person *p = &j->p;
	struct reg_change *ch = &j->ch;
	struct reg_code *code = &j->code;
	hc_err err;

	for (; j->tries < SVC_MAX_TRIES; j->tries++) {
		int64_t now = hc_now(), version = 0;
		bool found;

		reg_person_clear(p);
		free(j->merged);
		free(j->jws);
		hc_record_free(j->rec);
		j->merged = j->jws = NULL;
		j->rec = NULL;
		memset(c, 0, sizeof(*c));
		if (j->cached)
			j->ticket = held_ticket(s->held, j->key);
		err = reg_person_get(s->reg, j->key, p);
		if (err != HC_OK && err != HC_ERR_NOT_FOUND) {
			fail(r, "registry", err);
			return true;
		}
		found = err == HC_OK;
		if (!found && !j->root) {
			reply_error(r, 404, "no person with this id");
			return true;
		}
		if (found)
			version = p->version;
		/* codes: the stored inputs as they are */
		if (j->root &&
		    (err = merge_inputs(found ? p->inputs : NULL, j->root, &j->merged)) != HC_OK) {
			fail(r, "inputs", err);
			return true;
		}
		if (!j->name && !p->name[0]) {
			reply_error(r, 404, "no name on file for this person (first seen in an "
					    "event): file a record at the counter");
			return true;
		}
		err = svc_record_of_inputs(j->root ? j->merged : p->inputs,
					   j->name ? j->name : p->name, j->id ? j->id : p->id, &j->rec);
		if (!j->root && stored_broken(err)) {
			hc_set_detail("the registry's inputs of this person do not parse");
			fail(r, "inputs", HC_ERR_STORE);
			return true;
		}
		if (err != HC_OK || (err = svc_policy_apply(s, j->rec, now, c)) != HC_OK) {
			fail(r, err == HC_ERR_RISK ? "risk-area list" : "record", err);
			return true;
		}
		if (j->may_hold && found &&
		    svc_held_reply(s, j->key, p, j->rec, c, now, j->img, j->svg,
				   j->cached ? &j->ticket : NULL, r))
			return true;
		if (c->exp - c->iat > s->max_validity) {
			reply_error(r, 500, "valid %lld s, the issuer's max_validity is %lld s",
				    (long long)(c->exp - c->iat), (long long)s->max_validity);
			return true;
		}
		(void)snprintf(c->iss, sizeof(c->iss), "%s", s->cfg->iss); /* both 256 bytes */
		if ((err = hc_code_sign(s->key, s->pub, c, &j->jws)) != HC_OK) {
			fail(r, "signing", err);
			return true;
		}
		if (hc_qr_encode(HC_QR_PREFIX, j->jws, strlen(j->jws), j->text, sizeof(j->text)) !=
			    HC_OK ||
		    strlen(j->text) - strlen(HC_QR_PREFIX) > HC_QR_MAX_DIGITS) {
			reply_error(r, 500, "the code does not fit a QR symbol");
			return true;
		}
		memset(code, 0, sizeof(*code));
		memcpy(code->jti, c->jti, REG_JTI_LEN);
		memcpy(code->person, j->key, REG_KEY_LEN);
		code->st = c->st;
		memcpy(code->why, c->why, sizeof(code->why));
		code->nwhy = c->nwhy;
		(void)snprintf(code->policy, sizeof(code->policy), "%s", c->pol);
		(void)snprintf(code->kid, sizeof(code->kid), "%s", hc_privkey_kid(s->key));
		code->iat = c->iat;
		code->exp = c->exp;
		code->jws = j->jws;
		for (size_t i = 0; i < c->nwhy; i++)
			j->why[i] = c->why[i];
		memset(ch, 0, sizeof(*ch));
		ch->actor = j->who->name;
		ch->cause = j->who->reqid;
		ch->action = "record";
		ch->now = now;
		ch->person = j->key;
		ch->name = j->name ? j->name : p->name;
		ch->id = j->id ? j->id : p->id;
		ch->expect_version = version;
		ch->inputs = j->in;
		ch->ninputs = j->nin;
		ch->has_status = true;
		ch->st = c->st;
		ch->why = j->why;
		ch->nwhy = c->nwhy;
		ch->code = code;
		j->changed = found && p->has_status && p->st != c->st;
		j->err = HC_OK;
		j->detail[0] = '\0';
		if ((err = reg_apply_async(s->reg, ch, job_done, j)) != HC_OK) {
			fail(r, "registry", err);
			return true;
		}
		return false;
	}
	reply_error(r, 503, "the person changed %d times meanwhile, try again", SVC_MAX_TRIES);
	return true;
}

/* After its commit: j's answer, or another try (when again). */
static bool job_after(struct svc_job *j, bool again, struct reply *r)
{
	struct svc *s = j->s;
	const struct hc_claims *c = &j->c;

	if (j->err == HC_ERR_CONFLICT || j->err == HC_ERR_EXISTS) {
		/* a concurrent change, or (2^-128) a jti taken: again */
		if (!again) {
			reply_error(r, 503, "the service is stopping: try again");
			return true;
		}
		j->tries++;
		return job_tries(j, r);
	}
	if (j->err != HC_OK) {
		hc_set_detail("%s", j->detail);
		fail(r, "registry", j->err);
		return true;
	}
	metrics_latency(&s->m, hc_mono_us() - j->t0);
	{
		const struct code_view v = {
			.st = c->st, .why = (const char(*)[HC_WHY_LEN])c->why, .nwhy = c->nwhy,
			.pol = c->pol, .jti = c->jti, .name = c->name, .id = c->id, .jws = j->jws,
			.qr = j->text, .iat = c->iat, .exp = c->exp};

		code_reply(&v, j->img, j->svg, r);
	}
	return true;
}

bool svc_job_step(struct svc_job **jp, bool again, struct reply *r)
{
	if (!job_after(*jp, again, r))
		return false;
	svc_job_free(*jp);
	*jp = NULL;
	return true;
}

/* A job for who's request (records or codes); NULL when out of memory. */
static struct svc_job *job_new(struct svc *s, const struct caller *who, svc_wake_fn *wake,
			       void *arg, bool svg)
{
	struct svc_job *j = calloc(1, sizeof(*j));

	if (j) {
		j->s = s;
		j->who = who;
		j->wake = wake;
		j->arg = arg;
		j->svg = svg;
	}
	return j;
}

/* The first step of j (qid: the full id, for the queried sources). */
static enum svc_done job_start(struct svc_job **jp, const char *qid, bool may_block,
			       struct reply *r)
{
	struct svc_job *j = *jp;
	struct svc *s = j->s;
	enum svc_done done = SVC_ANSWERED;
	hc_err err;

	j->t0 = hc_mono_us();
	/* the plain JSON answer of a held code may come from the cache */
	j->cached = j->may_hold && j->img == IMG_NONE && !j->svg && s->held;
	/* A source the service asks: its answer first, or no code at all;
	 * asked only where the thread may wait for it. */
	if (qid && s->query && !may_block && svc_query_due(s, j->key))
		done = SVC_MUST_BLOCK;
	else if (qid && may_block && (err = svc_query(s, j->who, j->key, qid, j->name, j->id)) !=
					      HC_OK)
		fail(r, "", err);
	else if (!(j->cached && !j->looked && svc_held_cached(s, j->key, r)) && !job_tries(j, r))
		return SVC_WAITING;
	svc_job_free(j);
	*jp = NULL;
	return done;
}

enum svc_done svc_records(struct svc *s, const struct caller *who, const char *body, size_t n,
			  bool svg, bool may_block, svc_wake_fn *wake, void *arg,
			  struct svc_job **jp, struct reply *r)
{
	struct svc_job *j;
	struct hc_record *rec = NULL;
	const cJSON *person;
	char id[24], name[260];
	size_t total = 0;
	int64_t now = hc_now();
	hc_err err;
	enum svc_done done = SVC_ANSWERED;

	if (!(*jp = j = job_new(s, who, wake, arg, svg))) {
		reply_error(r, 500, "out of memory");
		return SVC_ANSWERED;
	}
	/* The full check first: the first problem is named. */
	if ((err = n > HC_MAX_JSON_FILE ? HC_ERR_TOO_LARGE : hc_json_parse(body, n, &j->root)) !=
		    HC_OK ||
	    (err = hc_record_of_json(j->root, &rec)) != HC_OK) {
		fail(r, "record", err);
		goto out;
	}
	if ((err = hc_json_obj(j->root, "person", true, &person)) != HC_OK ||
	    (err = hc_json_str(person, "name", true, name, sizeof(name), NULL)) != HC_OK ||
	    (err = hc_json_str(person, "id", true, id, sizeof(id), NULL)) != HC_OK ||
	    (err = hc_mask_name(name, j->mname, sizeof(j->mname))) != HC_OK ||
	    (err = hc_mask_id(id, j->mid, sizeof(j->mid))) != HC_OK ||
	    (err = svc_person_key(s, id, j->key)) != HC_OK) {
		fail(r, "record", err);
		goto out;
	}
	j->name = j->mname;
	j->id = j->mid;
	for (size_t k = 0; k < NKINDS; k++)
		total += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j->root,
										    kinds[k]));
	if (total > NKINDS * 256 || !(j->in = calloc(total ? total : 1, sizeof(*j->in))) ||
	    !(j->texts = calloc(total ? total : 1, sizeof(*j->texts)))) {
		reply_error(r, 500, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < NKINDS; k++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(j->root, kinds[k]), *e;

		cJSON_ArrayForEach(e, a)
		{
			if (j->nin == total || !(j->texts[j->nin] = cJSON_PrintUnformatted(e))) {
				reply_error(r, 500, "out of memory");
				goto out;
			}
			j->in[j->nin].kind = kinds[k];
			j->in[j->nin].json = j->texts[j->nin];
			j->in[j->nin].source = who->name;
			j->in[j->nin].cause = who->reqid;
			j->in[j->nin].at = now;
			j->nin++;
		}
	}
	done = job_start(jp, id, may_block, r);
out:
	OPENSSL_cleanse(id, sizeof(id));
	OPENSSL_cleanse(name, sizeof(name));
	hc_record_free(rec);
	if (done != SVC_WAITING && *jp) {
		svc_job_free(*jp);
		*jp = NULL;
	}
	return done;
}

enum svc_done svc_codes(struct svc *s, const struct caller *who, const char *body, size_t n,
			enum image img, bool svg, bool may_block, svc_wake_fn *wake, void *arg,
			struct svc_job **jp, struct reply *r)
{
	static const char *const members[] = {"id", NULL};
	struct svc_job *j;
	cJSON *root = NULL;
	char id[24], key[REG_KEY_LEN + 1];
	hc_err err;
	enum svc_done done = SVC_ANSWERED;
	bool looked;

	*jp = NULL;
	if ((err = hc_json_parse(body, n, &root)) != HC_OK ||
	    (err = hc_json_only(root, members)) != HC_OK) {
		fail(r, "", err);
		goto out;
	}
	err = hc_json_str(root, "id", true, id, sizeof(id), NULL);
	if (err == HC_ERR_TOO_LARGE) {
		reply_error(r, 400, "id: not 18 characters");
		goto out;
	}
	if (err != HC_OK) {
		fail(r, "id", err);
		goto out;
	}
	if ((err = hc_person_id_check(id)) != HC_OK) {
		fail(r, "", err);
		goto out;
	}
	if ((err = svc_person_key(s, id, key)) != HC_OK) {
		fail(r, "", err);
		goto out;
	}
	/* A held code's plain answer from the cache, else from the
	 * registry's copy (held_read), without a job (some 6 KB made and
	 * wiped), when no source must be asked first (job_start's order
	 * otherwise) */
	looked = img == IMG_NONE && !svg && s->held && s->cfg->nsources == 0;
	if (looked && (svc_held_cached(s, key, r) || svc_held_read(s, key, r)))
		goto out;
	if (!(*jp = j = job_new(s, who, wake, arg, svg))) {
		reply_error(r, 500, "out of memory");
		goto out;
	}
	/* a miss is not looked up (nor counted) twice */
	j->looked = looked;
	j->may_hold = true;
	j->img = img;
	memcpy(j->key, key, sizeof(j->key));
	done = job_start(jp, id, may_block, r);
out:
	OPENSSL_cleanse(id, sizeof(id));
	if (root) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "id");

		if (cJSON_IsString(v))
			OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
	}
	cJSON_Delete(root);
	return done;
}
