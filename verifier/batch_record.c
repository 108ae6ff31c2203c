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

/* Members of a result; a record member of the same name is not copied. */
static const char *const reserved[] = {"line", "verdict", "reason", "detail", "status",
				       "iss", "region", "at", "warnings", "code"};

#define FLAT_MEMBERS 16

/* A record line as read: the code, its scan time, and the members to pass
 * through, either as cJSON (rec) or as spans of the line (flat). */
struct record {
	const char *code;
	size_t codelen;
	int64_t at;
	cJSON *rec;
	size_t nspan;
	struct {
		const char *p;
		size_t n;
	} span[FLAT_MEMBERS];
};

static bool is_reserved(const char *k, size_t n)
{
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strlen(reserved[i]) == n && memcmp(reserved[i], k, n) == 0)
			return true;
	return false;
}

/* Bytes that end a string of the fast path: its closing quote, or what it
 * leaves to the strict path (escapes, control characters, the line's NUL). */
static const char stop[] = "\"\\\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e"
			   "\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f";

/* The string at p (after its opening quote, inside the NUL-terminated
 * line before end): no escape, no control character, valid UTF-8 (ASCII
 * printable for a key). Returns its length or -1. */
static long flat_str(const char *p, const char *end, bool key)
{
	size_t k = strcspn(p, stop);

	if (p + k >= end || p[k] != '"')
		return -1;
	for (size_t i = 0; key && i < k; i++)
		if ((unsigned char)p[i] > 0x7e)
			return -1;
	if (!key && !hc_utf8_valid(p, k))
		return -1;
	return (long)k;
}

/* The fast path for the line every scanner writes: one flat object, no
 * whitespace, members whose values are strings without escapes or integers
 * of at most 15 digits, no duplicates, "code" a string, "at" absent or a
 * time. It takes only lines that the strict cJSON path reads the same way,
 * and its spans are exactly what cJSON would print for the members passed
 * through; anything else returns false and goes the strict path (the fuzz
 * target fuzz_batch checks both agree). */
static bool parse_flat(const char *line, size_t n, struct record *r, int64_t *at)
{
	const char *p = line + 1, *end, *keys[FLAT_MEMBERS + 2];
	size_t klen[FLAT_MEMBERS + 2], nkeys = 0;
	bool have_code = false;

	if (n < 3 || line[n - 1] != '}')
		return false;
	end = line + n - 1; /* the closing brace */
	for (;;) {
		const char *k, *v;
		long kl, vl;

		if (p >= end || *p != '"' || nkeys == FLAT_MEMBERS + 2)
			return false;
		k = p + 1;
		if ((kl = flat_str(k, end, true)) < 0)
			return false;
		for (size_t i = 0; i < nkeys; i++)
			if (klen[i] == (size_t)kl && memcmp(keys[i], k, (size_t)kl) == 0)
				return false;
		keys[nkeys] = k;
		klen[nkeys++] = (size_t)kl;
		p = k + kl + 1;
		if (p >= end || *p != ':')
			return false;
		v = ++p;
		if (p < end && *p == '"') {
			if ((vl = flat_str(p + 1, end, false)) < 0)
				return false;
			p += vl + 2;
		} else {
			const char *d = p + (p < end && *p == '-');

			vl = 0;
			while (d + vl < end && d[vl] >= '0' && d[vl] <= '9')
				vl++;
			if (vl == 0 || vl > 15 || (d[0] == '0' && vl > 1) ||
			    (d != p && d[0] == '0'))
				return false; /* also "-0": cJSON prints it as 0 */
			p = d + vl;
		}
		if (kl == 4 && memcmp(k, "code", 4) == 0) {
			if (*v != '"')
				return false;
			r->code = v + 1;
			r->codelen = (size_t)(p - v - 2);
			have_code = true;
		} else if (kl == 2 && memcmp(k, "at", 2) == 0) {
			char tbuf[64];
			const char *d = v;
			int64_t t = 0;

			if (*v == '"') {
				if ((size_t)(p - v - 2) >= sizeof(tbuf))
					return false;
				memcpy(tbuf, v + 1, (size_t)(p - v - 2));
				tbuf[p - v - 2] = '\0';
				if (hc_time_parse(tbuf, &t) != HC_OK)
					return false;
			} else {
				if (*d == '-')
					return false; /* out of range: the strict path says so */
				for (; d < p; d++)
					t = t * 10 + (*d - '0');
			}
			*at = t;
		} else if (!is_reserved(k, (size_t)kl)) {
			if (r->nspan == FLAT_MEMBERS)
				return false;
			r->span[r->nspan].p = k - 1;
			r->span[r->nspan++].n = (size_t)(p - (k - 1));
		}
		if (p == end)
			break;
		if (*p++ != ',')
			return false;
	}
	return have_code;
}

/* Reads a record line into r. HC_ERR_* with a detail when malformed. */
static hc_err parse_record(char *line, size_t n, const struct hc_verify_opts *o,
			   struct record *r)
{
	cJSON *c, *a;
	hc_err err;

	memset(r, 0, sizeof(*r));
	r->at = o->at;
	if (n == 0) {
		hc_set_detail("empty line");
		return HC_ERR_QR_EMPTY;
	}
	if (line[0] != '{') {
		r->code = line;
		r->codelen = n;
		return HC_OK;
	}
	if (parse_flat(line, n, r, &r->at))
		return HC_OK;
	memset(r, 0, sizeof(*r));
	r->at = o->at;
	if ((err = hc_json_parse(line, n, &r->rec)) != HC_OK)
		return err;
	c = cJSON_GetObjectItemCaseSensitive(r->rec, "code");
	a = cJSON_GetObjectItemCaseSensitive(r->rec, "at");
	if (!cJSON_IsString(c)) {
		hc_set_detail("record without a \"code\" string");
		return c ? HC_ERR_JSON_TYPE : HC_ERR_JSON_MISSING;
	}
	r->code = c->valuestring;
	r->codelen = strlen(c->valuestring);
	if (cJSON_IsString(a)) {
		if (hc_time_parse(a->valuestring, &r->at) != HC_OK) {
			hc_set_detail("\"at\" is not a time");
			return HC_ERR_JSON_TYPE;
		}
	} else if (a && (err = hc_json_num_int(a, 0, INT64_MAX / 4, &r->at)) != HC_OK) {
		hc_set_detail("\"at\" is not a time");
		return err;
	}
	return HC_OK;
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

void batch_result(struct batch *b, struct job *j, struct counts *k, uint64_t lineno, char *line,
		  size_t n, bool toolong)
{
	struct hc_verify_opts o = b->opts;
	struct hc_bresult r;
	struct record rec;
	char buf[256];
	int bl;
	hc_err err;

	memset(&r, 0, sizeof(r));
	r.issuer = -1;
	hc_set_detail(NULL);
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	memset(&rec, 0, sizeof(rec));
	if (toolong) {
		hc_set_detail("line longer than %u bytes", MAX_LINE);
		err = HC_ERR_TOO_LARGE;
	} else {
		err = parse_record(line, n, &b->opts, &rec);
	}
	o.at = rec.at;
	if (err == HC_OK)
		err = hc_verify_qr_batch(b->t, k->v, b->cache, rec.code, rec.codelen, &o, &r);
	else
		r.stale = hc_trust_stale(b->t, toolong ? &b->opts : &o); /* every verdict */
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
	if (rec.rec) {
		for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
			cJSON_DeleteItemFromObjectCaseSensitive(rec.rec, reserved[i]);
		if (rec.rec->child) {
			char *p = cJSON_PrintUnformatted(rec.rec);

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
		for (size_t i = 0; i < rec.nspan; i++) {
			out_append(j, ",", 1);
			out_append(j, rec.span[i].p, rec.span[i].n);
		}
		out_append(j, "}", 1);
	}
	out_append(j, "\n", 1);
	cJSON_Delete(rec.rec);
}
