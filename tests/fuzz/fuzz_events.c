/* fuzz_events.c: one line of POST /v1/events, as a source sends it,
 * through ev_parse_line (issuer/events_line.c) under the token role that
 * the input's first byte picks (the rest is the line, handed over with
 * its exact length: nothing past it may be read).
 *
 * A line is either rejected with a reason, or taken, and then: its type is
 * one the role may send; its person key is the HMAC-SHA256 of its "id"
 * under the office's secret, computed here again with OpenSSL's one-shot
 * EVP_Q_mac and encoded with OpenSSL's base64; the masked id is not the
 * id; the entry's text (written by hand, events_line.c's entry_text) is
 * byte for byte what cJSON_PrintUnformatted gives for a copy of the
 * entry's members; and the inputs of a person first seen (made of the
 * line's own values, record_of_line) are those hc_record_parse reads from
 * the record text built around that entry, the slow path they stand for;
 * a visit's entry (its line has no record) is one hc_record_parse takes.
 * The same line parsed twice gives the same verdict, reason, key and
 * entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cjson/cJSON.h>

#include "events_int.h"
#include "hc_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

#define FUZZ_MAX (MAX_LINE + 64) /* ev_parse_line refuses past MAX_LINE */

static const char *const roles[] = {"source:nat",  "source:vac", "source:trv", "source:visit",
				    "source:flag", "admin",      "counter",    "source:"};
static const char *const types[EV__N] = {"nat", "vac", "trv", "visit", "flag"};
static const char *const entry_members[EV__N][4] = {{"at", "result", "lab", NULL},
						    {"at", "product", "dose", NULL},
						    {"region", "from", "to", NULL},
						    {"venue", "at", NULL},
						    {NULL}};
static const uint8_t secret[32] = "hcode fuzz_events identity key.";

/* The office's keyed HMAC, as svc_open makes it (EVP_MAC_init with the
 * key once; ev_parse_line starts it again for each id). */
static EVP_MAC_CTX *idmac(void)
{
	static EVP_MAC_CTX *m;
	EVP_MAC *hmac;
	OSSL_PARAM p[2];

	if (m)
		return m;
	if (!(hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) || !(m = EVP_MAC_CTX_new(hmac)))
		abort();
	EVP_MAC_free(hmac);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(m, secret, sizeof(secret), p))
		abort();
	return m;
}

/* The person key of id, without the service's code: HMAC-SHA256 by
 * EVP_Q_mac, base64url (no padding) from EVP_EncodeBlock. */
static void key_of(const char *id, char out[REG_KEY_LEN + 1])
{
	unsigned char mac[32], b64[48];
	size_t len = 0;

	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, sizeof(secret),
		       (const unsigned char *)id, strlen(id), mac, sizeof(mac), &len) ||
	    len != 32 || EVP_EncodeBlock(b64, mac, 32) != 44)
		abort();
	for (int i = 0; i < REG_KEY_LEN; i++) {
		char c = (char)b64[i];

		if (c == '+')
			c = '-';
		else if (c == '/')
			c = '_';
		out[i] = c;
	}
	out[REG_KEY_LEN] = '\0';
}

/* The entry as cJSON prints a copy of the line's entry members. */
static char *entry_print(const cJSON *root, enum ev_type t)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	if (!o)
		abort();
	for (size_t i = 0; entry_members[t][i]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, entry_members[t][i]);

		if (v && !cJSON_AddItemToObject(o, entry_members[t][i], cJSON_Duplicate(v, true)))
			abort();
	}
	if (!(s = cJSON_PrintUnformatted(o)))
		abort();
	cJSON_Delete(o);
	return s;
}

/* The taken line's entry as a tree: an object by the strict parser, a
 * flag's string by cJSON (the strict parser takes only objects). */
static cJSON *entry_tree(const struct ev *e)
{
	cJSON *t = NULL;

	if (e->type == EV_FLAG)
		t = cJSON_ParseWithLength(e->json, strlen(e->json));
	else if (hc_json_parse(e->json, strlen(e->json), &t) != HC_OK)
		t = NULL;
	if (!t)
		abort();
	return t;
}

/* The inputs hc_record_parse gives for {"person":{"name":N,"id":I},
 * KIND:[entry]}, entry being the taken line's text (a flag's: its
 * string). */
static void inputs_of_text(const struct ev *e, const char *name, const char *id,
			   struct hc_record_one *one)
{
	cJSON *rec = cJSON_CreateObject(), *person = cJSON_AddObjectToObject(rec, "person"), *arr;
	cJSON *entry = entry_tree(e);
	struct hc_record *r = NULL;
	char *text;

	if (!person || !cJSON_AddStringToObject(person, "name", name) ||
	    !cJSON_AddStringToObject(person, "id", id) ||
	    !(arr = cJSON_AddArrayToObject(rec, ev_type_kinds[e->type])) ||
	    !cJSON_AddItemToArray(arr, entry) || !(text = cJSON_PrintUnformatted(rec)))
		abort();
	if (hc_record_parse(text, strlen(text), &r) != HC_OK || hc_record_one_of(r, one) != HC_OK)
		abort(); /* the line was taken: its record must parse */
	hc_record_free(r);
	free(text);
	cJSON_Delete(rec);
}

static void taken(const char *role, const char *line, size_t n, const struct ev *e)
{
	cJSON *root = NULL, *entry;
	const cJSON *id, *name, *flag;
	char key[REG_KEY_LEN + 1];

	if (!e->typed || !e->event[0] || !e->json || e->retry)
		abort();
	if (!(strncmp(role, "source:", 7) == 0 && strcmp(role + 7, types[e->type]) == 0) &&
	    !(e->type == EV_FLAG && strcmp(role, "admin") == 0))
		abort();
	if (hc_json_parse(line, n, &root) != HC_OK)
		abort();
	id = cJSON_GetObjectItemCaseSensitive(root, "id");
	name = cJSON_GetObjectItemCaseSensitive(root, "name");
	if (!cJSON_IsString(id) || strlen(id->valuestring) != 18)
		abort();
	key_of(id->valuestring, key);
	if (strcmp(key, e->key) != 0)
		abort();
	if (strstr(e->mid, id->valuestring) || !strchr(e->mid, '*'))
		abort();
	entry = entry_tree(e);
	flag = cJSON_GetObjectItemCaseSensitive(root, "flag");
	if (e->type == EV_FLAG &&
	    (!cJSON_IsString(entry) || !cJSON_IsString(flag) ||
	     strcmp(entry->valuestring, flag->valuestring) != 0))
		abort();
	cJSON_Delete(entry);
	if (e->type != EV_FLAG) {
		char *want = entry_print(root, e->type);

		if (strcmp(want, e->json) != 0)
			abort();
		free(want);
	}
	if (e->type == EV_VISIT) {
		/* A visit's line holds no record: ev_parse_line checks its
		 * entry itself, and it must be one a record takes (a venue
		 * it let through and the record refused failed every later
		 * evaluation of the person). */
		struct hc_record_one one;

		memset(&one, 0, sizeof(one));
		inputs_of_text(e, cJSON_IsString(name) ? name->valuestring : "-", id->valuestring,
			       &one);
	}
	if (e->has_one && (e->type != EV_FLAG || e->set)) {
		struct hc_record_one one;

		memset(&one, 0, sizeof(one));
		inputs_of_text(e, cJSON_IsString(name) ? name->valuestring : "-", id->valuestring,
			       &one);
		if (one.kind != e->one.kind || one.flags != e->one.flags ||
		    memcmp(one.v, e->one.v, sizeof(one.v)) != 0)
			abort();
	}
	cJSON_Delete(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct caller who;
	struct ev a, b;
	const char *line;

	if (n < 1 || n > FUZZ_MAX)
		return 0;
	memset(&who, 0, sizeof(who));
	(void)snprintf(who.role, sizeof(who.role), "%s",
		       roles[data[0] % (sizeof(roles) / sizeof(roles[0]))]);
	(void)snprintf(who.name, sizeof(who.name), "fuzz");
	line = (const char *)data + 1;
	n--;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.line = b.line = 1;
	ev_parse_line(idmac(), &who, line, n, &a);
	ev_parse_line(idmac(), &who, line, n, &b);
	if (a.v != b.v || strcmp(a.reason, b.reason) != 0 || strcmp(a.key, b.key) != 0 ||
	    (a.json == NULL) != (b.json == NULL) || (a.json && strcmp(a.json, b.json) != 0))
		abort();
	if (a.v == V_REJECTED) {
		if (!a.reason[0] || a.json || a.retry) /* retry: out of memory only */
			abort();
	} else {
		taken(who.role, line, n, &a);
	}
	free(a.json);
	free(b.json);
	return 0;
}
