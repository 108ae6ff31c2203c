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
 *
 * The answer: {"accepted":N,"duplicate":N,"rejected":N,"results":[{"line":
 * L,"event":ID,"verdict":"accepted","status":S}, {"line":L,"verdict":
 * "rejected","reason":TEXT,"retry":B}, ...]}, one result per line in
 * order. retry true: the line was not applied for a passing reason (no
 * risk-area list, the registry busy) and may be sent again as it is. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hc_json.h"
#include "hc_policy.h"
#include "publish.h"
#include "service.h"

#define MAX_LINE 4096     /* bytes of one line */
#define CHUNK 1000        /* lines whose changes go to the registry together */
#define MAX_TRIES 16      /* a line's retries on a concurrent change */
#define EVENT_LEN 128     /* bytes of an event id */
#define CASE_LEN 64       /* bytes of a case reference */

enum ev_type { EV_NAT, EV_VAC, EV_TRV, EV_VISIT, EV_FLAG, EV__N = M_EV_TYPES };
enum verdict { V_ACCEPTED, V_DUPLICATE, V_REJECTED, V__N = M_EV_VERDICTS };
static const char *const type_names[EV__N] = {"nat", "vac", "trv", "visit", "flag"};
/* The input kind (registry) of each type. */
static const char *const type_kinds[EV__N] = {"nat", "vaccinations", "travel", "visits",
					      "flags"};
static const char *const verdict_names[V__N] = {"accepted", "duplicate", "rejected"};

/* One line. */
struct ev {
	size_t line;
	char event[EVENT_LEN + 1];
	enum ev_type type;
	bool typed;                    /* type is known */
	bool set;                      /* flag: set (true) or cleared */
	char key[REG_KEY_LEN + 1];
	char mname[128], mid[64];
	bool named;
	char *json;                    /* the input's entry, minified */
	char cause[EVENT_LEN + CASE_LEN + 16];
	bool done;
	enum verdict v;
	bool retry;
	char reason[256];
	enum hc_status st;
};

static void reject(struct ev *e, bool retry, const char *fmt, ...) HC_PRINTF(3, 4);

static void reject(struct ev *e, bool retry, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
	e->v = V_REJECTED;
	e->retry = retry;
	e->done = true;
}

/* The error's name and its detail. */
static void reject_err(struct ev *e, bool retry, const char *what, hc_err err)
{
	const char *d = hc_detail();

	reject(e, retry, "%s%s%s%s%s", what, what[0] ? ": " : "", hc_strerror(err),
	       d[0] ? ": " : "", d);
}

/* A line's fault: a bad value names itself (the detail), a JSON error
 * says its kind too. */
static void reject_line(struct ev *e, hc_err err)
{
	if (err == HC_ERR_RECORD && hc_detail()[0])
		reject(e, false, "%s", hc_detail());
	else
		reject_err(e, false, "", err);
}

/* Printable UTF-8 (hc_json_parse checked the encoding): no C0, DEL, C1. */
static bool printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return false;
	return true;
}

/* A string member of 1..cap-1 printable bytes. */
static hc_err text_member(const cJSON *o, const char *name, bool required, char *out,
			  size_t cap, bool *present)
{
	hc_err err = hc_json_str(o, name, required, out, cap, present);

	if (err == HC_ERR_TOO_LARGE) {
		hc_set_detail("%s: longer than %zu bytes", name, cap - 1);
		return HC_ERR_RECORD;
	}
	if (err == HC_OK && (present == NULL || *present) && (!out[0] || !printable(out))) {
		hc_set_detail("%s: empty or with a control character", name);
		return HC_ERR_RECORD;
	}
	return err;
}

/* The members a type's line may have; the entry members follow "name". */
static const char *const *type_members(enum ev_type t)
{
	static const char *const nat[] = {"event", "type", "id", "name", "at", "result", "lab", NULL};
	static const char *const vac[] = {"event", "type", "id", "name", "at", "product", "dose",
					  NULL};
	static const char *const trv[] = {"event", "type", "id", "name", "region", "from", "to",
					  NULL};
	static const char *const visit[] = {"event", "type", "id", "name", "venue", "at", NULL};
	static const char *const flag[] = {"event", "type", "id", "name", "flag", "set", "case",
					   NULL};
	static const char *const *const all[EV__N] = {nat, vac, trv, visit, flag};

	return all[t];
}

hc_err svc_record_of_inputs(const char *inputs, const char *mname, const char *mid,
			    struct hc_record **rec)
{
	const char *in = inputs && inputs[0] ? inputs : "{}";

	/* A person first seen in an event may have no name yet. */
	if (!mname || !mname[0])
		mname = "-";
	return hc_record_parse_inputs(in, strlen(in), mname, mid && mid[0] ? mid : "-", rec);
}

/* "330106-000042": a six-digit region, '-', six digits. */
static bool venue_ok(const char *v)
{
	if (strlen(v) != 13 || v[6] != '-')
		return false;
	for (int i = 0; i < 13; i++)
		if (i != 6 && (v[i] < '0' || v[i] > '9'))
			return false;
	return v[0] != '0' || v[1] != '0';
}

/* A TIME member: integer seconds or an RFC 3339 string or a date. */
static hc_err time_member(const cJSON *o, const char *name, int64_t *t)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!v) {
		hc_set_detail("member \"%s\" missing", name);
		return HC_ERR_JSON_MISSING;
	}
	if (cJSON_IsNumber(v))
		return hc_json_num_int(v, 0, 253402300799LL, t);
	if (!cJSON_IsString(v) || hc_time_parse_text(v->valuestring, t) != HC_OK) {
		hc_set_detail("%s: not a time", name);
		return HC_ERR_RECORD;
	}
	return HC_OK;
}

/* Removes "nat[0]." or "nat[0]: " from the front of the record parser's
 * detail: the line has no array. */
static const char *entry_detail(const char *d, const char *member)
{
	size_t n = strlen(member);

	if (strncmp(d, member, n) == 0 && strncmp(d + n, "[0]", 3) == 0) {
		d += n + 3;
		if (*d == '.' || *d == ':')
			d++;
		while (*d == ' ')
			d++;
	}
	return d;
}

/* May this role send this type? source:TYPE, and admin flags. */
static bool role_may(const char *role, enum ev_type t)
{
	return (strncmp(role, "source:", 7) == 0 && strcmp(role + 7, type_names[t]) == 0) ||
	       (t == EV_FLAG && strcmp(role, "admin") == 0);
}

/* Checks one line into e: its event id, type, role, person and entry. */
static void parse_line(struct svc *s, const struct caller *who, const char *p, size_t n,
		       struct ev *e)
{
	static const char *const entry_members[EV__N][4] = {
		{"at", "result", "lab", NULL}, {"at", "product", "dose", NULL},
		{"region", "from", "to", NULL}, {"venue", "at", NULL}, {NULL}};
	cJSON *root = NULL, *rec = NULL, *entry = NULL, *person, *arr;
	struct hc_record *r = NULL;
	char type[8], id[24], name[260], casebuf[CASE_LEN + 1], flag[32], *text = NULL;
	bool named = false, has_case = false;
	const cJSON *set;
	hc_err err;
	int t;

	if (n > MAX_LINE) {
		reject(e, false, "the line is longer than %d bytes", MAX_LINE);
		return;
	}
	if (n == 0) {
		reject(e, false, "an empty line");
		return;
	}
	if ((err = hc_json_parse(p, n, &root)) != HC_OK) {
		reject_line(e, err);
		goto out;
	}
	if ((err = text_member(root, "event", true, e->event, sizeof(e->event), NULL)) != HC_OK ||
	    (err = hc_json_str(root, "type", true, type, sizeof(type), NULL)) != HC_OK) {
		reject_err(e, false, "", err == HC_ERR_TOO_LARGE ? HC_ERR_RECORD : err);
		if (err == HC_ERR_TOO_LARGE)
			(void)snprintf(e->reason, sizeof(e->reason), "type: not an event type");
		goto out;
	}
	for (t = 0; t < EV__N && strcmp(type, type_names[t]) != 0; t++)
		;
	if (t == EV__N) {
		reject(e, false, "type: not nat, vac, trv, visit or flag");
		goto out;
	}
	e->type = (enum ev_type)t;
	e->typed = true;
	if (!role_may(who->role, e->type)) {
		reject(e, false, "role %s may not send %s events", who->role, type);
		goto out;
	}
	if ((err = hc_json_only(root, type_members(e->type))) != HC_OK) {
		reject_line(e, err);
		goto out;
	}
	err = hc_json_str(root, "id", true, id, sizeof(id), NULL);
	if (err == HC_ERR_TOO_LARGE) {
		reject(e, false, "id: not 18 characters");
		goto out;
	}
	if (err != HC_OK || (err = hc_person_id_check(id)) != HC_OK) {
		if (err == HC_ERR_RECORD)
			reject(e, false, "%s", hc_detail());
		else
			reject_err(e, false, "id", err);
		goto out;
	}
	err = hc_json_str(root, "name", false, name, sizeof(name), &named);
	if (err == HC_ERR_TOO_LARGE) {
		reject(e, false, "name: longer than 64 characters");
		goto out;
	}
	if (err != HC_OK) {
		reject_err(e, false, "name", err);
		goto out;
	}
	/* The entry, and a record around it for the record's own checks
	 * (name, id and entry: the first problem named). */
	if (!(rec = cJSON_CreateObject()) || !(person = cJSON_AddObjectToObject(rec, "person")) ||
	    !cJSON_AddStringToObject(person, "name", named ? name : "-") ||
	    !cJSON_AddStringToObject(person, "id", id))
		goto nomem;
	if (e->type == EV_FLAG) {
		if ((err = text_member(root, "flag", true, flag, sizeof(flag), NULL)) != HC_OK ||
		    (err = text_member(root, "case", false, casebuf, sizeof(casebuf), &has_case)) !=
			HC_OK) {
			reject_line(e, err);
			goto out;
		}
		set = cJSON_GetObjectItemCaseSensitive(root, "set");
		if (!cJSON_IsBool(set)) {
			reject(e, false, "set: %s", set ? "not true or false" : "missing");
			goto out;
		}
		e->set = cJSON_IsTrue(set);
		entry = cJSON_CreateString(flag);
	} else {
		entry = cJSON_CreateObject();
		for (size_t i = 0; entry && entry_members[t][i]; i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, entry_members[t][i]);
			cJSON *c;

			if (!v)
				continue;
			if (!(c = cJSON_Duplicate(v, true)) ||
			    !cJSON_AddItemToObject(entry, entry_members[t][i], c)) {
				cJSON_Delete(c);
				goto nomem;
			}
		}
	}
	if (!entry)
		goto nomem;
	if (!(text = cJSON_PrintUnformatted(entry)))
		goto nomem;
	if (e->type == EV_VISIT) {
		char venue[16];
		int64_t at = 0;

		err = hc_json_str(entry, "venue", true, venue, sizeof(venue), NULL);
		if (err == HC_OK && !venue_ok(venue))
			err = HC_ERR_RECORD;
		if (err != HC_OK) {
			reject(e, false, "venue: not a six-digit region, '-' and six digits");
			goto out;
		}
		if ((err = time_member(entry, "at", &at)) != HC_OK) {
			reject_line(e, err);
			goto out;
		}
		if (at > hc_now() + 300) {
			reject(e, false, "dated after the time it was received (at)");
			goto out;
		}
	} else {
		if (!(arr = cJSON_AddArrayToObject(rec, type_kinds[t])) ||
		    !cJSON_AddItemToArray(arr, entry))
			goto nomem;
		entry = NULL;
	}
	{
		char *rtext = cJSON_PrintUnformatted(rec);

		if (!rtext)
			goto nomem;
		err = hc_record_parse(rtext, strlen(rtext), &r);
		OPENSSL_cleanse(rtext, strlen(rtext));
		free(rtext);
	}
	if (err != HC_OK) {
		const char *d = entry_detail(hc_detail(), type_kinds[t]);

		if (err == HC_ERR_RECORD && d[0])
			reject(e, false, "%s", d);
		else
			reject(e, false, "%s%s%s", hc_strerror(err), d[0] ? ": " : "", d);
		goto out;
	}
	if ((named && hc_mask_name(name, e->mname, sizeof(e->mname)) != HC_OK) ||
	    hc_mask_id(id, e->mid, sizeof(e->mid)) != HC_OK ||
	    svc_person_key(s, id, e->key) != HC_OK) {
		reject(e, false, "the name or id cannot be masked");
		goto out;
	}
	e->named = named;
	if (has_case)
		(void)snprintf(e->cause, sizeof(e->cause), "%s case %s", e->event, casebuf);
	else
		(void)snprintf(e->cause, sizeof(e->cause), "%s", e->event);
	e->json = text;
	text = NULL;
	goto out;
nomem:
	reject(e, true, "out of memory");
out:
	OPENSSL_cleanse(id, sizeof(id));
	OPENSSL_cleanse(name, sizeof(name));
	if (root) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "id");

		if (cJSON_IsString(v))
			OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
	}
	if (rec) {
		const cJSON *pp = cJSON_GetObjectItemCaseSensitive(rec, "person");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(pp, "id");

		if (cJSON_IsString(v))
			OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
	}
	hc_record_free(r);
	cJSON_Delete(root);
	cJSON_Delete(rec);
	cJSON_Delete(entry);
	free(text);
}

/* The stored inputs with e applied: its entry added to its member (the
 * oldest dropped past REG_KIND_MAX) unless the same is there, or a flag
 * cleared removed. */
static hc_err merged_inputs(const char *stored, const struct ev *e, char **out)
{
	const char *member = e->type == EV_VISIT ? "visits" : type_kinds[e->type];
	cJSON *all = NULL, *entry = NULL, *have, *h;
	hc_err err;

	*out = NULL;
	if (hc_json_parse(stored && stored[0] ? stored : "{}", stored && stored[0] ? strlen(stored) : 2,
			  &all) != HC_OK) {
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

/* The work for one line in a round: what was read, the change. */
struct step {
	struct ev *e;
	struct reg_person p;
	struct hc_claims c;
	const char *why[HC_MAX_WHY];
	struct reg_input in;
	struct reg_change ch;
};

/* Evaluates e's person (st->p, read already; found: whether the person
 * is in the registry) with e applied into st->ch; false when e got its
 * verdict here (rejected). */
static bool prepare(struct svc *s, const struct caller *who, int64_t now, bool found,
		    struct step *st)
{
	struct ev *e = st->e;
	struct hc_record *rec = NULL;
	char *merged = NULL;
	hc_err err;

	if ((err = merged_inputs(found ? st->p.inputs : NULL, e, &merged)) != HC_OK) {
		reject_err(e, true, "inputs", err);
		return false;
	}
	err = svc_record_of_inputs(merged, e->named ? e->mname : st->p.name, e->mid, &rec);
	free(merged);
	if (err == HC_OK)
		err = svc_policy_apply(s, rec, now, &st->c);
	hc_record_free(rec);
	if (err == HC_ERR_RISK) {
		reject_err(e, true, "risk-area list", err);
		return false;
	}
	if (err == HC_ERR_RECORD) {
		/* Stored entries were accepted before: the new one is at fault
		 * (a date after now). */
		reject(e, false, "dated after the time it was received (%s)", hc_detail());
		return false;
	}
	if (err != HC_OK) {
		reject_err(e, true, "evaluation", err);
		return false;
	}
	for (size_t i = 0; i < st->c.nwhy; i++)
		st->why[i] = st->c.why[i];
	st->in = (struct reg_input){.kind = type_kinds[e->type], .json = e->json,
				    .source = who->name, .cause = e->cause, .at = now};
	memset(&st->ch, 0, sizeof(st->ch));
	st->ch.actor = who->name;
	st->ch.cause = e->event;
	st->ch.action = "event";
	st->ch.now = now;
	st->ch.person = e->key;
	st->ch.name = e->named ? e->mname : NULL;
	st->ch.id = e->mid;
	st->ch.expect_version = found ? st->p.version : 0;
	if (e->type == EV_FLAG && !e->set) {
		st->ch.removes = &st->in;
		st->ch.nremoves = 1;
	} else {
		st->ch.inputs = &st->in;
		st->ch.ninputs = 1;
	}
	st->ch.event = e->event;
	st->ch.has_status = true;
	st->ch.st = st->c.st;
	st->ch.why = st->why;
	st->ch.nwhy = st->c.nwhy;
	return true;
}

/* Applies the lines of v (at most CHUNK, no person twice) that have no
 * verdict yet: their people read in one transaction, each evaluated, all
 * changes to the registry at once; a line that met a concurrent change of
 * its person goes again. */
static void apply_chunk(struct svc *s, const struct caller *who, struct ev **v, size_t n)
{
	struct step *st = calloc(n, sizeof(*st));
	struct reg_change *ch = calloc(n, sizeof(*ch));
	struct reg_person *people = calloc(n, sizeof(*people));
	const char **keys = calloc(n, sizeof(*keys));
	size_t *idx = calloc(n, sizeof(*idx));
	hc_err *errs = calloc(n, sizeof(*errs));
	char(*details)[REG_DETAIL_LEN] = calloc(n, sizeof(*details));
	bool revoked = false;
	hc_err err;

	if (!st || !ch || !people || !keys || !idx || !errs || !details) {
		for (size_t i = 0; i < n; i++)
			if (!v[i]->done)
				reject(v[i], true, "out of memory");
		goto out;
	}
	for (int tries = 0; tries < MAX_TRIES; tries++) {
		int64_t now = hc_now();
		size_t m = 0, q = 0;

		for (size_t i = 0; i < n; i++)
			if (!v[i]->done) {
				st[m].e = v[i];
				keys[m++] = v[i]->key;
			}
		if (m == 0)
			break;
		if ((err = reg_people_get(s->reg, keys, m, people, errs)) != HC_OK) {
			for (size_t k = 0; k < m; k++) {
				reg_person_clear(&people[k]);
				reject_err(st[k].e, true, "registry", err);
			}
			break;
		}
		for (size_t k = 0; k < m; k++) {
			st[k].p = people[k];
			if (prepare(s, who, now, errs[k] == HC_OK, &st[k])) {
				ch[q] = st[k].ch;
				idx[q++] = k;
			}
		}
		if (q && reg_apply_many(s->reg, ch, q, errs, details, NULL) != HC_OK) {
			for (size_t j = 0; j < q; j++)
				reject(st[idx[j]].e, true, "registry: out of memory");
		}
		for (size_t j = 0; j < q; j++) {
			struct step *x = &st[idx[j]];
			struct ev *e = x->e;
			bool changed = x->p.has_status && x->p.st != x->c.st;

			if (e->done) {
				/* rejected above */
			} else if (errs[j] == HC_OK) {
				e->v = V_ACCEPTED;
				e->st = x->c.st;
				e->done = true;
				metrics_reevaluated(&s->m, changed);
				revoked |= changed;
			} else if (errs[j] == HC_ERR_EXISTS) {
				e->v = V_DUPLICATE;
				e->done = true;
			} else if (errs[j] != HC_ERR_CONFLICT) {
				reject(e, errs[j] != HC_ERR_INVALID_ARG, "registry: %s: %s",
				       hc_strerror(errs[j]), details[j]);
			}
		}
		for (size_t k = 0; k < m; k++) {
			reg_person_clear(&st[k].p);
			OPENSSL_cleanse(&st[k].c, sizeof(st[k].c));
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!v[i]->done)
			reject(v[i], true, "the person changed %d times meanwhile", MAX_TRIES);
	if (revoked)
		pub_revoked(s->publisher);
out:
	free(st);
	free(ch);
	free(people);
	free(keys);
	free(idx);
	free(errs);
	free(details);
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

static bool result_add(cJSON *arr, const struct ev *e)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return false;
	}
	if (!cJSON_AddNumberToObject(o, "line", (double)e->line) ||
	    (e->event[0] && !cJSON_AddStringToObject(o, "event", e->event)) ||
	    !cJSON_AddStringToObject(o, "verdict", verdict_names[e->v]))
		return false;
	if (e->v == V_ACCEPTED)
		return cJSON_AddStringToObject(o, "status", hc_status_name(e->st)) != NULL;
	if (e->v == V_REJECTED)
		return cJSON_AddStringToObject(o, "reason", e->reason) &&
		       cJSON_AddBoolToObject(o, "retry", e->retry);
	return true;
}

void svc_events(struct svc *s, const struct caller *who, const char *body, size_t n,
		struct reply *r)
{
	struct ev *v = calloc(CHUNK, sizeof(*v));
	struct ev **todo = calloc(CHUNK, sizeof(struct ev *));
	const char **set = calloc(SET_SIZE, sizeof(*set));
	size_t count[V__N] = {0}, line = 0, off = 0;
	cJSON *o = cJSON_CreateObject(), *res = NULL;
	char *text;

	if (!v || !todo || !set || !o || !(res = cJSON_CreateArray())) {
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
			parse_line(s, who, p, len, e);
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
			apply_chunk(s, who, todo, t);
		for (size_t i = 0; i < m; i++) {
			count[v[i].v]++;
			metrics_event(&s->m, v[i].typed ? (int)v[i].type : -1, (int)v[i].v);
			if (!result_add(res, &v[i])) {
				reply_error(r, 500, "out of memory");
				for (size_t k = i; k < m; k++)
					free(v[k].json);
				goto out;
			}
			free(v[i].json);
			v[i].json = NULL;
		}
	}
	if (!cJSON_AddNumberToObject(o, "accepted", (double)count[V_ACCEPTED]) ||
	    !cJSON_AddNumberToObject(o, "duplicate", (double)count[V_DUPLICATE]) ||
	    !cJSON_AddNumberToObject(o, "rejected", (double)count[V_REJECTED]) ||
	    !cJSON_AddItemToObject(o, "results", res)) {
		reply_error(r, 500, "out of memory");
		goto out;
	}
	res = NULL;
	if (!(text = cJSON_PrintUnformatted(o))) {
		reply_error(r, 500, "out of memory");
		goto out;
	}
	reply_json(r, 200, text);
out:
	cJSON_Delete(res);
	cJSON_Delete(o);
	free(set);
	free(todo);
	free(v);
}
