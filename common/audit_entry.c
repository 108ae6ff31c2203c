/* audit_entry.c: one audit chain entry as its line of JSON, written
 * (hc_audit_entry_encode) and read back strictly (hc_audit_entry_parse). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"
#include "hc_audit_check.h"
#include "hc_json.h"

/* Room for one line while it is built: the cap plus what cJSON asks to
 * spare, so that a line just over the cap is still measured, not cut. */
#define LINE_BUF (HC_MAX_AUDIT_LINE + 64)

bool hc__audit_text_ok(const char *s)
{
	size_t n = 0;

	/* Printable ASCII (most of an entry: keys, names, actions, masked
	 * ids) is text as it is; anything else gets the full check. */
	while ((unsigned char)s[n] >= 0x20 && (unsigned char)s[n] < 0x7f)
		n++;
	if (!s[n])
		return true;
	n += strlen(s + n);
	if (!hc_utf8_valid(s, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return false;
		/* U+0080..U+009F are C2 80..C2 9F in UTF-8. */
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0)
			return false;
	}
	return true;
}

/* s (checked by hc__audit_text_ok: no control character) as a JSON
 * string: only '"' and '\\' are escaped, which is what cJSON's print
 * (hc_json_put_str) writes for such text, byte for byte, without its
 * cost. */
static bool put_text(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t o = *len;

	if (o >= cap || cap - o < 3)
		return false;
	buf[o++] = '"';
	/* Runs without '"' or '\\' copied whole. As when they were copied
	 * one by one: each character needs 4 bytes left where it starts. */
	for (;;) {
		size_t run = strcspn(s, "\"\\");

		if (run && cap - o < run + 3)
			return false;
		memcpy(buf + o, s, run);
		o += run;
		s += run;
		if (!*s)
			break;
		if (cap - o < 4)
			return false;
		buf[o++] = '\\';
		buf[o++] = *s++;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	*len = o;
	return true;
}

/* ,"name":value with value a JSON string, or null when s is NULL. */
static bool put_member(char *buf, size_t cap, size_t *len, const char *name, const char *s)
{
	size_t n = strlen(name);

	if (n + 4 >= cap - *len)
		return false;
	buf[(*len)++] = ',';
	buf[(*len)++] = '"';
	memcpy(buf + *len, name, n);
	*len += n;
	buf[(*len)++] = '"';
	buf[(*len)++] = ':';
	buf[*len] = '\0';
	return s ? put_text(buf, cap, len, s) : hc_append(buf, cap, len, "null");
}

hc_err hc_audit_entry_encode(const struct hc_audit_entry *e, char **line, size_t *n)
{
	const char *strs[] = {e->actor, e->action, e->person, e->from, e->to, e->cause, e->jti};
	char *buf = NULL, num[64], prev[44];
	size_t len = 0;
	hc_err err = HC_ERR_INVALID_ARG;
	bool ok;

	*line = NULL;
	*n = 0;
	/* Integers a JSON reader holds exactly (below 2^53), as the checker reads them. */
	if (e->seq < 1 || e->seq > HC_AUDIT_MAX_INT || e->at < -HC_AUDIT_MAX_INT ||
	    e->at > HC_AUDIT_MAX_INT) {
		hc_set_detail("audit entry: seq %" PRId64 " or at %" PRId64 " out of range",
			      e->seq, e->at);
		return HC_ERR_INVALID_ARG;
	}
	if (!e->actor || !e->action) {
		hc_set_detail("audit entry %" PRId64 ": no actor or action", e->seq);
		return HC_ERR_INVALID_ARG;
	}
	if (e->nwhy > HC_AUDIT_MAX_WHY) {
		hc_set_detail("audit entry %" PRId64 ": more than %d reasons", e->seq,
			      HC_AUDIT_MAX_WHY);
		return HC_ERR_INVALID_ARG;
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strs[i] && !hc__audit_text_ok(strs[i]))
			goto bad_text;
	for (size_t i = 0; i < e->nwhy; i++)
		if (!e->why[i] || !hc__audit_text_ok(e->why[i]))
			goto bad_text;
	if ((err = hc_b64u_encode(e->prev, sizeof(e->prev), prev, sizeof(prev))) != HC_OK)
		return err;
	if (!(buf = malloc(LINE_BUF)))
		return HC_ERR_NOMEM;
	ok = hc_append(buf, LINE_BUF, &len, "{\"seq\":") &&
	     hc_append(buf, LINE_BUF, &len, hc_decimal(e->seq, num)) &&
	     hc_append(buf, LINE_BUF, &len, ",\"at\":") &&
	     hc_append(buf, LINE_BUF, &len, hc_decimal(e->at, num)) &&
	     put_member(buf, LINE_BUF, &len, "actor", e->actor) &&
	     put_member(buf, LINE_BUF, &len, "action", e->action) &&
	     put_member(buf, LINE_BUF, &len, "person", e->person) &&
	     put_member(buf, LINE_BUF, &len, "from", e->from) &&
	     put_member(buf, LINE_BUF, &len, "to", e->to) &&
	     hc_append(buf, LINE_BUF, &len, ",\"why\":[");
	for (size_t i = 0; ok && i < e->nwhy; i++)
		ok = (i == 0 || hc_append(buf, LINE_BUF, &len, ",")) &&
		     put_text(buf, LINE_BUF, &len, e->why[i]);
	ok = ok && hc_append(buf, LINE_BUF, &len, "]") &&
	     put_member(buf, LINE_BUF, &len, "cause", e->cause) &&
	     put_member(buf, LINE_BUF, &len, "jti", e->jti) &&
	     put_member(buf, LINE_BUF, &len, "prev", prev) &&
	     hc_append(buf, LINE_BUF, &len, "}");
	if (!ok || len > HC_MAX_AUDIT_LINE) {
		hc_set_detail("audit entry %" PRId64 ": longer than %d bytes", e->seq,
			      HC_MAX_AUDIT_LINE);
		free(buf);
		return HC_ERR_INVALID_ARG;
	}
	*line = buf;
	*n = len;
	return HC_OK;
bad_text:
	hc_set_detail("audit entry %" PRId64 ": a string is not UTF-8 text without controls",
		      e->seq);
	return HC_ERR_INVALID_ARG;
}

/* A string member (or null when nullable) copied into the buffer at *o. */
static bool take_str(const cJSON *it, bool nullable, char *buf, size_t *o, const char **out)
{
	size_t l;

	*out = NULL;
	if (nullable && cJSON_IsNull(it))
		return true;
	if (!cJSON_IsString(it) || !hc__audit_text_ok(it->valuestring))
		return false;
	l = strlen(it->valuestring);
	/* Unescaped text is never longer than its quoted form, so it fits. */
	if (l >= HC_MAX_AUDIT_LINE + 1 - *o)
		return false;
	memcpy(buf + *o, it->valuestring, l + 1);
	*out = buf + *o;
	*o += l + 1;
	return true;
}

static hc_err entry_fields(const cJSON *root, struct hc_audit_parsed *out)
{
	static const char *const names[] = {"seq", "at",  "actor", "action", "person", "from",
					    "to",  "why", "cause", "jti",    "prev"};
	struct hc_audit_entry *e = &out->e;
	const char **strs[] = {NULL, NULL, &e->actor, &e->action, &e->person, &e->from,
			       &e->to, NULL, &e->cause, &e->jti, NULL};
	const cJSON *it = root->child, *w;
	size_t o = 0, i, got;

	for (i = 0; i < 11; i++, it = it->next) {
		if (!it || strcmp(it->string, names[i]) != 0) {
			hc_set_detail("member %zu is not \"%s\"", i + 1, names[i]);
			return HC_ERR_JSON_MISSING;
		}
		if (i == 0 || i == 1) {
			if (hc_json_num_int(it, i == 0 ? 1 : -HC_AUDIT_MAX_INT, HC_AUDIT_MAX_INT,
					    i == 0 ? &e->seq : &e->at) != HC_OK)
				goto type;
		} else if (i == 7) {
			if (!cJSON_IsArray(it))
				goto type;
			e->nwhy = 0;
			cJSON_ArrayForEach(w, it)
			{
				if (e->nwhy == HC_AUDIT_MAX_WHY ||
				    !take_str(w, false, out->buf, &o, &e->why[e->nwhy]))
					goto type;
				e->nwhy++;
			}
		} else if (i == 10) {
			if (!cJSON_IsString(it) ||
			    hc_b64u_decode(it->valuestring, strlen(it->valuestring), e->prev,
					   sizeof(e->prev), &got) != HC_OK ||
			    got != sizeof(e->prev))
				goto type;
		} else if (!take_str(it, i > 3, out->buf, &o, strs[i])) {
			goto type;
		}
	}
	if (it) {
		hc_set_detail("a member after \"prev\"");
		return HC_ERR_JSON_UNKNOWN;
	}
	return HC_OK;
type:
	hc_set_detail("member \"%s\" has the wrong type or value", names[i]);
	return HC_ERR_JSON_TYPE;
}

hc_err hc_audit_entry_parse(const char *line, size_t n, struct hc_audit_parsed *out)
{
	cJSON *root = NULL;
	char *again = NULL;
	size_t n2 = 0;
	hc_err err;

	memset(&out->e, 0, sizeof(out->e));
	if (n > HC_MAX_AUDIT_LINE) {
		hc_set_detail("line longer than %d bytes", HC_MAX_AUDIT_LINE);
		return HC_ERR_TOO_LARGE;
	}
	if ((err = hc_json_parse_untrusted(line, n, &root)) != HC_OK)
		goto out;
	if ((err = entry_fields(root, out)) != HC_OK)
		goto out;
	/* One form per entry: the bytes the encoder writes, and no other. */
	if ((err = hc_audit_entry_encode(&out->e, &again, &n2)) != HC_OK)
		goto out;
	if (n2 != n || memcmp(again, line, n) != 0) {
		hc_set_detail("not in the one form the encoder writes");
		err = HC_ERR_JSON;
	}
out:
	free(again);
	cJSON_Delete(root);
	if (err != HC_OK)
		memset(&out->e, 0, sizeof(out->e));
	return err;
}
