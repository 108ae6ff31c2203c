/* events_line.c: one line of POST /v1/events (events.c) checked on its
 * own: its event id, its type against the token's role, the person, and
 * the entry by the rules of a record's entry (doc/FORMATS.md section 5). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "events_int.h"
#include "hc_json.h"
#include "hc_policy.h"

static const char *const type_names[EV__N] = {"nat", "vac", "trv", "visit", "flag"};
const char *const ev_type_kinds[EV__N] = {"nat", "vaccinations", "travel", "visits", "flags"};

void ev_reject(struct ev *e, bool retry, const char *fmt, ...)
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
void ev_reject_err(struct ev *e, bool retry, const char *what, hc_err err)
{
	const char *d = hc_detail();

	ev_reject(e, retry, "%s%s%s%s%s", what, what[0] ? ": " : "", hc_strerror(err),
		  d[0] ? ": " : "", d);
}

/* A line's fault: a bad value names itself (the detail), a JSON error
 * says its kind too. */
static void reject_line(struct ev *e, hc_err err)
{
	if (err == HC_ERR_RECORD && hc_detail()[0])
		ev_reject(e, false, "%s", hc_detail());
	else
		ev_reject_err(e, false, "", err);
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

/* v's text as cJSON prints it when v is a whole number of magnitude below
 * 10^15 and not -0 ("%1.15g" writes such a number as its digits, and
 * "%d" too where cJSON takes it), into b[cap] at *len; false for any
 * other value, left to cJSON's print. printf's "%1.15g" and the read
 * back that checks it were a twentieth of a line's work. */
static bool put_whole(const cJSON *v, char *b, size_t cap, size_t *len)
{
	char t[24];
	double d = v->valuedouble;

	if (!cJSON_IsNumber(v) || !(d > -1e15 && d < 1e15) || d != (double)(int64_t)d ||
	    (d == 0 && signbit(d)))
		return false;
	return hc_append(b, cap, len, hc_decimal((int64_t)d, t));
}

/* The entry's text: an object of the members of root named in members
 * (those present, in that order), each printed by cJSON
 * (cJSON_PrintPreallocated), so the bytes are those cJSON_PrintUnformatted
 * gives for a copy of them; n is the line's length. Written directly
 * rather than through a copied object and its print: 4k instructions a
 * line fewer (of 88k in the request's thread). NULL when out of memory. */
static char *entry_text(const cJSON *root, const char *const *members, size_t n)
{
	/* A member's print is at most 4 times its text ("1e9" is printed
	 * 1000000000); a larger buffer is tried when it is not enough. */
	for (size_t cap = 4 * n + 64; cap <= 64 * n + 1024; cap *= 2) {
		char *b = malloc(cap);
		size_t len = 1;
		bool ok = b != NULL;

		if (!b)
			return NULL;
		b[0] = '{';
		b[1] = '\0';
		for (size_t i = 0; ok && members[i]; i++) {
			cJSON *v = cJSON_GetObjectItemCaseSensitive(root, members[i]);

			if (!v)
				continue;
			if (len > 1)
				b[len++] = ','; /* where the last print put its NUL */
			ok = hc_json_put_str(b, cap, &len, members[i]) && cap - len > 8;
			if (ok) {
				b[len++] = ':';
				if (put_whole(v, b, cap, &len))
					continue;
				ok = cJSON_PrintPreallocated(v, b + len, (int)(cap - len), false);
			}
			if (ok)
				len += strlen(b + len);
		}
		if (ok && cap - len > 2) {
			b[len++] = '}';
			b[len] = '\0';
			return b;
		}
		free(b);
	}
	return NULL;
}

/* Whether each entry member of root reads back the same from the
 * entry's text (entry_text): then the record can be made of the line's
 * own values (record_of_line) rather than parsed from that text. */
static bool entry_reads_back(const cJSON *root, const char *const *members)
{
	for (size_t i = 0; members[i]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, members[i]);

		if (v && !hc_json_reads_back(v))
			return false;
	}
	return true;
}

/* Adds item to obj under the constant name (cJSON frees neither); item
 * deleted when it cannot be added. */
static bool add_cs(cJSON *obj, const char *name, cJSON *item)
{
	if (!item)
		return false;
	if (!cJSON_AddItemToObjectCS(obj, name, item)) {
		cJSON_Delete(item);
		return false;
	}
	return true;
}

/* The record {"person":{"name":name,"id":id},KIND:[entry]} (a visit: no
 * entry; a flag: the flag) as hc_record_parse reads the text the caller
 * would otherwise build of it, made of the line's values: the entry's
 * members are moved out of root (read back the same: entry_reads_back),
 * name, id and flag referenced, not copied. Saves a parse of the line's
 * size, a sixth of a line's work. */
static hc_err record_of_line(cJSON *root, enum ev_type t, const char *const *members,
			     const char *name, const char *id, const char *flag,
			     struct hc_record **r)
{
	cJSON *rec = cJSON_CreateObject(), *person = cJSON_CreateObject(), *arr, *entry;
	bool ok = rec && add_cs(rec, "person", person);
	hc_err err;

	if (!ok && !rec)
		cJSON_Delete(person);
	ok = ok && add_cs(person, "name", cJSON_CreateStringReference(name)) &&
	     add_cs(person, "id", cJSON_CreateStringReference(id));
	if (ok && t != EV_VISIT) {
		ok = add_cs(rec, ev_type_kinds[t], arr = cJSON_CreateArray());
		entry = t == EV_FLAG ? cJSON_CreateStringReference(flag) : cJSON_CreateObject();
		if (ok && entry && !cJSON_AddItemToArray(arr, entry)) {
			cJSON_Delete(entry);
			entry = NULL;
		}
		ok = ok && entry;
		for (size_t i = 0; ok && t != EV_FLAG && members[i]; i++) {
			cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(root, members[i]);

			if (v)
				ok = add_cs(entry, members[i], v);
		}
	}
	err = ok ? hc_record_of_json(rec, r) : HC_ERR_NOMEM;
	cJSON_Delete(rec);
	return err;
}

/* Checks one line into e: its event id, type, role, person and entry. */
void ev_parse_line(struct evp_mac_ctx_st *mac, const struct caller *who, const char *p,
		   size_t n, struct ev *e)
{
	static const char *const entry_members[EV__N][4] = {
		{"at", "result", "lab", NULL}, {"at", "product", "dose", NULL},
		{"region", "from", "to", NULL}, {"venue", "at", NULL}, {NULL}};
	cJSON *root = NULL;
	struct hc_record *r = NULL;
	char type[8], id[24], name[260], casebuf[CASE_LEN + 1], flag[32], *text = NULL;
	bool named = false, has_case = false;
	const cJSON *set;
	hc_err err;
	int t;

	if (n > MAX_LINE) {
		ev_reject(e, false, "the line is longer than %d bytes", MAX_LINE);
		return;
	}
	if (n == 0) {
		ev_reject(e, false, "an empty line");
		return;
	}
	if ((err = hc_json_parse(p, n, &root)) != HC_OK) {
		reject_line(e, err);
		goto out;
	}
	if ((err = text_member(root, "event", true, e->event, sizeof(e->event), NULL)) != HC_OK ||
	    (err = hc_json_str(root, "type", true, type, sizeof(type), NULL)) != HC_OK) {
		ev_reject_err(e, false, "", err == HC_ERR_TOO_LARGE ? HC_ERR_RECORD : err);
		if (err == HC_ERR_TOO_LARGE)
			(void)snprintf(e->reason, sizeof(e->reason), "type: not an event type");
		goto out;
	}
	for (t = 0; t < EV__N && strcmp(type, type_names[t]) != 0; t++)
		;
	if (t == EV__N) {
		ev_reject(e, false, "type: not nat, vac, trv, visit or flag");
		goto out;
	}
	e->type = (enum ev_type)t;
	e->typed = true;
	if (!role_may(who->role, e->type)) {
		ev_reject(e, false, "role %s may not send %s events", who->role, type);
		goto out;
	}
	if ((err = hc_json_only(root, type_members(e->type))) != HC_OK) {
		reject_line(e, err);
		goto out;
	}
	err = hc_json_str(root, "id", true, id, sizeof(id), NULL);
	if (err == HC_ERR_TOO_LARGE) {
		ev_reject(e, false, "id: not 18 characters");
		goto out;
	}
	if (err != HC_OK || (err = hc_person_id_check(id)) != HC_OK) {
		if (err == HC_ERR_RECORD)
			ev_reject(e, false, "%s", hc_detail());
		else
			ev_reject_err(e, false, "id", err);
		goto out;
	}
	err = hc_json_str(root, "name", false, name, sizeof(name), &named);
	if (err == HC_ERR_TOO_LARGE) {
		ev_reject(e, false, "name: longer than 64 characters");
		goto out;
	}
	if (err != HC_OK) {
		ev_reject_err(e, false, "name", err);
		goto out;
	}
	/* The entry, then a record around it for the record's own checks
	 * (name, id and entry: the first problem named). */
	if (e->type == EV_FLAG) {
		if ((err = text_member(root, "flag", true, flag, sizeof(flag), NULL)) != HC_OK ||
		    (err = text_member(root, "case", false, casebuf, sizeof(casebuf), &has_case)) !=
			HC_OK) {
			reject_line(e, err);
			goto out;
		}
		set = cJSON_GetObjectItemCaseSensitive(root, "set");
		if (!cJSON_IsBool(set)) {
			ev_reject(e, false, "set: %s", set ? "not true or false" : "missing");
			goto out;
		}
		e->set = cJSON_IsTrue(set);
		{
			size_t cap = 6 * strlen(flag) + 8, len = 0;

			if ((text = malloc(cap)) != NULL && !hc_json_put_str(text, cap, &len, flag)) {
				free(text);
				text = NULL;
			}
		}
	} else {
		text = entry_text(root, entry_members[t], n);
	}
	if (!text)
		goto nomem;
	if (e->type == EV_VISIT) {
		char venue[16];
		int64_t at = 0;

		err = hc_json_str(root, "venue", true, venue, sizeof(venue), NULL);
		/* the record's own rule (a line's record holds no visit, so
		 * nothing else checks it before the person's evaluation,
		 * which would blame the line as dated after its receipt) */
		if (err == HC_OK && !hc_venue_valid(venue))
			err = HC_ERR_RECORD;
		if (err != HC_OK) {
			ev_reject(e, false, "venue: not a region code, '-' and six digits");
			goto out;
		}
		if ((err = time_member(root, "at", &at)) != HC_OK) {
			reject_line(e, err);
			goto out;
		}
		if (at > hc_now() + 300) {
			ev_reject(e, false, "dated after the time it was received (at)");
			goto out;
		}
	}
	/* {"person":{"name":N,"id":I},KIND:[ENTRY]} (a visit: no entry) as
	 * text, the entry as printed: a number is taken as the API has always
	 * taken it, after cJSON's print ("at": 1.0e9 is a whole second).
	 * When the entry's values read back the same from that text, the
	 * record is made of them without the text. */
	if (e->type == EV_FLAG || entry_reads_back(root, entry_members[t])) {
		err = record_of_line(root, e->type, entry_members[t], named ? name : "-", id, flag,
				     &r);
		if (err == HC_ERR_NOMEM)
			goto nomem;
	} else {
		size_t cap = strlen(text) + 6 * ((named ? strlen(name) : 1) + strlen(id)) + 96;
		size_t len = 0;
		char *rtext = malloc(cap);
		bool ok;

		if (!rtext)
			goto nomem;
		memcpy(rtext, "{\"person\":{\"name\":", 18);
		len = 18;
		ok = hc_json_put_str(rtext, cap, &len, named ? name : "-");
		if (ok && cap - len > 8) {
			memcpy(rtext + len, ",\"id\":", 6);
			len += 6;
			ok = hc_json_put_str(rtext, cap, &len, id);
		} else {
			ok = false;
		}
		if (ok && e->type != EV_VISIT)
			ok = hc_append(rtext, cap, &len, "},\"") &&
			     hc_append(rtext, cap, &len, ev_type_kinds[t]) &&
			     hc_append(rtext, cap, &len, "\":[") && hc_append(rtext, cap, &len, text) &&
			     hc_append(rtext, cap, &len, "]}");
		else if (ok)
			ok = hc_append(rtext, cap, &len, "}}");
		err = ok ? hc_record_parse(rtext, len, &r) : HC_ERR_NOMEM;
		OPENSSL_cleanse(rtext, cap);
		free(rtext);
		if (!ok)
			goto nomem;
	}
	if (err != HC_OK) {
		const char *d = entry_detail(hc_detail(), ev_type_kinds[t]);

		if (err == HC_ERR_RECORD && d[0])
			ev_reject(e, false, "%s", d);
		else
			ev_reject(e, false, "%s%s%s", hc_strerror(err), d[0] ? ": " : "", d);
		goto out;
	}
	if ((named && hc_mask_name(name, e->mname, sizeof(e->mname)) != HC_OK) ||
	    hc_mask_id(id, e->mid, sizeof(e->mid)) != HC_OK ||
	    svc_person_key_with(mac, id, e->key) != HC_OK) {
		ev_reject(e, false, "the name or id cannot be masked");
		goto out;
	}
	/* The inputs of a person first seen: {KIND:[entry]}, or {} for a
	 * flag cleared (merged_inputs). */
	if (e->type == EV_FLAG && !e->set)
		e->has_one = true; /* e->one zeroed: no entry, no flag */
	else if (e->type != EV_VISIT)
		e->has_one = hc_record_one_of(r, &e->one) == HC_OK;
	e->named = named;
	if (has_case)
		(void)snprintf(e->cause, sizeof(e->cause), "%s case %s", e->event, casebuf);
	else
		memcpy(e->cause, e->event, strlen(e->event) + 1); /* it fits: EVENT_LEN < cause */
	e->json = text;
	text = NULL;
	goto out;
nomem:
	ev_reject(e, true, "out of memory");
out:
	OPENSSL_cleanse(id, sizeof(id));
	OPENSSL_cleanse(name, sizeof(name));
	if (root) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "id");

		if (cJSON_IsString(v))
			OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
	}
	hc_record_free(r);
	cJSON_Delete(root);
	free(text);
}
