/* batch_record.c: one scan record of hc-verify batch: the line parsed
 * strictly, the code verified at the record's own time, the result line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_int.h"
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

/* Reads a record line: *code, *codelen and *at; rec keeps the members to
 * pass through (without code). HC_ERR_* with a detail when malformed. */
static hc_err parse_record(char *line, size_t n, const struct hc_verify_opts *o, cJSON **rec,
			   const char **code, size_t *codelen, int64_t *at)
{
	cJSON *c, *a;
	hc_err err;

	*rec = NULL;
	*at = o->at;
	if (n == 0) {
		hc_set_detail("empty line");
		return HC_ERR_QR_EMPTY;
	}
	if (line[0] != '{') {
		*code = line;
		*codelen = n;
		return HC_OK;
	}
	if ((err = hc_json_parse(line, n, rec)) != HC_OK)
		return err;
	c = cJSON_GetObjectItemCaseSensitive(*rec, "code");
	a = cJSON_GetObjectItemCaseSensitive(*rec, "at");
	if (!cJSON_IsString(c)) {
		hc_set_detail("record without a \"code\" string");
		return c ? HC_ERR_JSON_TYPE : HC_ERR_JSON_MISSING;
	}
	*code = c->valuestring;
	*codelen = strlen(c->valuestring);
	if (cJSON_IsString(a)) {
		if (hc_time_parse(a->valuestring, at) != HC_OK) {
			hc_set_detail("\"at\" is not a time");
			return HC_ERR_JSON_TYPE;
		}
	} else if (a && (err = hc_json_num_int(a, 0, INT64_MAX / 4, at)) != HC_OK) {
		hc_set_detail("\"at\" is not a time");
		return err;
	}
	return HC_OK;
}

/* Appends s as a JSON string (cJSON does the escaping). */
static void out_json_str(struct job *j, const char *s)
{
	cJSON *str = cJSON_CreateString(s);
	char *p = str ? cJSON_PrintUnformatted(str) : NULL;

	if (p)
		out_append(j, p, strlen(p));
	else
		j->oom = true;
	free(p);
	cJSON_Delete(str);
}

/* Members of a result; a record member of the same name is not copied. */
static const char *const reserved[] = {"line", "verdict", "reason", "detail", "status",
				       "iss", "region", "at", "warnings", "code"};

void batch_result(struct batch *b, struct job *j, struct counts *k, uint64_t lineno, char *line,
		  size_t n, bool toolong)
{
	struct hc_verify_opts o = b->opts;
	struct hc_bresult r;
	cJSON *rec = NULL;
	const char *code = NULL;
	size_t codelen = 0;
	char buf[256];
	int bl;
	hc_err err;

	memset(&r, 0, sizeof(r));
	r.issuer = -1;
	hc_set_detail(NULL);
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (toolong) {
		hc_set_detail("line longer than %u bytes", MAX_LINE);
		err = HC_ERR_TOO_LARGE;
	} else {
		err = parse_record(line, n, &b->opts, &rec, &code, &codelen, &o.at);
	}
	if (err == HC_OK)
		err = hc_verify_qr_batch(b->t, k->v, b->cache, code, codelen, &o, &r);
	r.err = err;
	counts_add(k, &r);
	/* The line is assembled here: our members hold known ASCII, and
	 * cJSON escapes every string that comes from outside. */
	bl = snprintf(buf, sizeof(buf), "{\"line\":%llu,\"verdict\":\"%s\",\"reason\":\"%s\"",
		      (unsigned long long)lineno, err == HC_OK ? "pass" : "fail", hc_reason(err));
	out_append(j, buf, (size_t)bl);
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
		bl = snprintf(buf, sizeof(buf), ",\"status\":\"%s\",\"iss\":", hc_status_name(r.st));
		out_append(j, buf, (size_t)bl);
		out_append(j, b->iss_json[r.issuer], strlen(b->iss_json[r.issuer]));
		/* a region is six digits (checked when the trust list loads) */
		bl = snprintf(buf, sizeof(buf), ",\"region\":\"%s\"",
			      hc_trust_issuer_region(b->t, (size_t)r.issuer));
		out_append(j, buf, (size_t)bl);
	} else {
		static const char nulls[] = ",\"status\":null,\"iss\":null,\"region\":null";

		out_append(j, nulls, sizeof(nulls) - 1);
	}
	bl = snprintf(buf, sizeof(buf), ",\"at\":%lld%s", (long long)o.at,
		      r.stale ? ",\"warnings\":[\"stale-trust\"]" : "");
	out_append(j, buf, (size_t)bl);
	/* The record's own members, but the code, follow unchanged. */
	if (rec && err != HC_ERR_JSON && err != HC_ERR_JSON_DUP && err != HC_ERR_JSON_UTF8 &&
	    err != HC_ERR_JSON_DEPTH) {
		for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
			cJSON_DeleteItemFromObjectCaseSensitive(rec, reserved[i]);
		if (rec->child) {
			char *p = cJSON_PrintUnformatted(rec);

			if (p) {
				out_append(j, ",", 1);
				out_append(j, p + 1, strlen(p + 1)); /* without its '{' */
			} else {
				j->oom = true;
			}
			free(p);
		} else {
			out_append(j, "}", 1);
		}
	} else {
		out_append(j, "}", 1);
	}
	out_append(j, "\n", 1);
	cJSON_Delete(rec);
}
