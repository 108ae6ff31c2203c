/* revlist_build.c: an issuer's revocation-list payload (DESIGN 6) from a
 * JSON array of jti entries: strict parsing, sorting by decoded jti,
 * merging, minified output. Signing side only: hc-verify never calls it. */
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "hc_sign.h"
#include "hc_trust.h"

#define JTI_BYTES 16
#define JTI_CHARS 22
#define ISS_MAX 255
#define TIME_MAX 253402300799LL     /* year 9999, as everywhere else */
#define SEQ_MAX 9007199254740991LL  /* 2^53 - 1: read exactly by any JSON parser */
#define ENTRY_MAX (sizeof("{\"jti\":\"\",\"at\":},") - 1 + JTI_CHARS + 20)

struct rev {
	uint8_t jti[JTI_BYTES];
	int64_t at;
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The same rule as the trust list's issuers, plus nothing that would need
 * escaping in JSON (a URL has no quotes, backslashes, spaces or controls). */
static bool iss_ok(const char *iss)
{
	size_t n = strlen(iss);

	if (n < 9 || n > ISS_MAX || strncmp(iss, "https://", 8) != 0 || iss[n - 1] == '/' ||
	    !hc_utf8_valid(iss, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)iss[i];

		if (c <= 0x20 || c == 0x7f || c == '"' || c == '\\')
			return false;
	}
	return true;
}

/* Re-records the detail of a failed JSON call with the entry's index. */
static hc_err entry_fail(size_t idx, hc_err err)
{
	char d[128];
	size_t n = strlen(hc_detail());

	if (n >= sizeof(d))
		n = sizeof(d) - 1;
	memcpy(d, hc_detail(), n);
	d[n] = '\0';
	hc_set_detail("entries[%zu]%s%s", idx, d[0] ? ": " : "", d);
	return err;
}

static hc_err parse_jti(const cJSON *j, size_t idx, uint8_t out[JTI_BYTES])
{
	size_t len;

	if (!cJSON_IsString(j)) {
		hc_set_detail("entries[%zu]: jti is not a string", idx);
		return HC_ERR_JSON_TYPE;
	}
	if (strlen(j->valuestring) != JTI_CHARS ||
	    hc_b64u_decode(j->valuestring, JTI_CHARS, out, JTI_BYTES, &len) != HC_OK ||
	    len != JTI_BYTES) {
		hc_set_detail("entries[%zu]: jti is not 16 bytes of base64url (22 characters)", idx);
		return HC_ERR_INVALID_ARG;
	}
	return HC_OK;
}

/* One element of the array, s[0..n) with no leading whitespace: a jti
 * string, or {"jti":..,"at":TIME}. Each is parsed by the strict parser,
 * a bare string inside a one-member wrapper object. */
static hc_err parse_entry(const char *s, size_t n, size_t idx, int64_t iat, struct rev *r)
{
	static const char *const members[] = {"jti", "at", NULL};
	char wrap[160];
	cJSON *root = NULL;
	const cJSON *jti, *at;
	hc_err err;

	r->at = iat;
	if (s[0] == '"') {
		/* A 22-character jti, even with every character \u-escaped, fits. */
		if (n > sizeof(wrap) - 6) {
			hc_set_detail("entries[%zu]: jti is not 16 bytes of base64url (22 characters)",
				      idx);
			return HC_ERR_INVALID_ARG;
		}
		memcpy(wrap, "{\"\":", 4);
		memcpy(wrap + 4, s, n);
		wrap[4 + n] = '}';
		if ((err = hc_json_parse(wrap, n + 5, &root)) != HC_OK)
			return entry_fail(idx, err);
		err = parse_jti(root->child, idx, r->jti);
		goto out;
	}
	if (s[0] != '{') {
		hc_set_detail("entries[%zu] is not a jti string or an object", idx);
		return HC_ERR_JSON_TYPE;
	}
	if ((err = hc_json_parse(s, n, &root)) != HC_OK ||
	    (err = hc_json_only(root, members)) != HC_OK) {
		err = entry_fail(idx, err);
		goto out;
	}
	if (!(jti = cJSON_GetObjectItemCaseSensitive(root, "jti"))) {
		hc_set_detail("entries[%zu]: member \"jti\" missing", idx);
		err = HC_ERR_JSON_MISSING;
		goto out;
	}
	if ((err = parse_jti(jti, idx, r->jti)) != HC_OK)
		goto out;
	at = cJSON_GetObjectItemCaseSensitive(root, "at");
	if (cJSON_IsString(at)) {
		/* a string is RFC 3339 or a date, never digits read as seconds */
		if ((err = hc_time_parse_text(at->valuestring, &r->at)) != HC_OK)
			hc_set_detail("entries[%zu]: at \"%.40s\" is not a time", idx,
				      at->valuestring);
	} else if (at) {
		if ((err = hc_json_num_int(at, 0, TIME_MAX, &r->at)) != HC_OK)
			hc_set_detail("entries[%zu]: at is not a time in seconds (0 to %lld)", idx,
				      TIME_MAX);
	}
out:
	cJSON_Delete(root);
	return err;
}

/* Splits the top-level array into elements without building one tree for
 * all of them (a million entries would cost hundreds of megabytes as
 * cJSON nodes); every byte outside an element must be '[', ',', ']' or
 * whitespace, and every element is parsed strictly on its own. */
static hc_err parse_entries(const char *s, size_t n, int64_t iat, struct rev **out, size_t *count)
{
	struct rev *v = NULL, *nv;
	size_t i = 0, nv_cap = 0, cnt = 0;
	hc_err err;

	*out = NULL;
	*count = 0;
	while (i < n && is_ws(s[i]))
		i++;
	if (i == n || s[i] != '[') {
		cJSON *root = NULL;

		/* Say whether it is not JSON at all or JSON of the wrong kind. */
		err = n > 0 ? hc_json_parse(s, n, &root) : HC_ERR_JSON;
		cJSON_Delete(root);
		hc_set_detail("entries are not a JSON array");
		return err == HC_OK ? HC_ERR_JSON_TYPE : err;
	}
	for (i++; i < n && is_ws(s[i]); i++)
		;
	if (i < n && s[i] == ']') {
		i++;
		goto tail;
	}
	for (;;) {
		size_t start, end;
		int depth = 0;
		bool str = false;

		while (i < n && is_ws(s[i]))
			i++;
		for (start = i; i < n; i++) {
			char c = s[i];

			if (str) {
				if (c == '\\')
					i++;
				else if (c == '"')
					str = false;
			} else if (c == '"') {
				str = true;
			} else if (c == '{' || c == '[') {
				depth++;
			} else if (c == '}' || c == ']') {
				if (depth == 0)
					break;
				depth--;
			} else if (c == ',' && depth == 0) {
				break;
			}
		}
		if (i >= n) {
			hc_set_detail("entries: the array is not closed");
			err = HC_ERR_JSON;
			goto fail;
		}
		for (end = i; end > start && is_ws(s[end - 1]); end--)
			;
		if (end == start || (s[i] != ',' && s[i] != ']')) {
			hc_set_detail("entries[%zu]: invalid JSON", cnt);
			err = HC_ERR_JSON;
			goto fail;
		}
		if (cnt == HC_MAX_REVOKED) {
			hc_set_detail("entries[%zu]: more than %u entries", cnt, HC_MAX_REVOKED);
			err = HC_ERR_TOO_LARGE;
			goto fail;
		}
		if (cnt == nv_cap) {
			nv_cap = nv_cap ? nv_cap * 2 : 1024;
			err = HC_ERR_NOMEM;
			if (!(nv = realloc(v, nv_cap * sizeof(*v))))
				goto fail;
			v = nv;
		}
		if ((err = parse_entry(s + start, end - start, cnt, iat, &v[cnt])) != HC_OK)
			goto fail;
		cnt++;
		if (s[i++] == ']')
			break;
	}
tail:
	for (; i < n; i++)
		if (!is_ws(s[i])) {
			hc_set_detail("entries: data after the array");
			err = HC_ERR_JSON;
			goto fail;
		}
	*out = v;
	*count = cnt;
	return HC_OK;
fail:
	free(v);
	return err;
}

static int rev_cmp(const void *a, const void *b)
{
	const struct rev *x = a, *y = b;
	int c = memcmp(x->jti, y->jti, JTI_BYTES);

	if (c)
		return c;
	return (x->at > y->at) - (x->at < y->at);
}

/* Appends the decimal digits of v >= 0. */
static char *put_int(char *p, int64_t v)
{
	char d[24];
	size_t n = strlen(hc_decimal(v, d));

	memcpy(p, d, n);
	return p + n;
}

static char *put_str(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}
#define PUT(p, lit) put_str((p), (lit), sizeof(lit) - 1)

hc_err hc_revlist_build(const char *iss, int64_t seq, int64_t iat, const char *entries, size_t n,
			char **payload, size_t *count)
{
	struct rev *v = NULL;
	size_t cnt = 0, m = 0, cap;
	char *buf = NULL, *p;
	hc_err err;

	*payload = NULL;
	*count = 0;
	hc_set_detail(NULL);
	if (!iss_ok(iss)) {
		hc_set_detail("iss \"%.60s\" is not an https URL without a trailing slash", iss);
		return HC_ERR_INVALID_ARG;
	}
	if (seq < 1 || seq > SEQ_MAX) {
		hc_set_detail("seq %lld is not between 1 and 2^53 - 1", (long long)seq);
		return HC_ERR_INVALID_ARG;
	}
	if (iat < 0 || iat > TIME_MAX) {
		hc_set_detail("iat %lld is out of range", (long long)iat);
		return HC_ERR_INVALID_ARG;
	}
	if ((err = parse_entries(entries, n, iat, &v, &cnt)) != HC_OK)
		return err;
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), rev_cmp);
	/* Sorted with equal jtis by ascending at: keep the first of each run. */
	for (size_t i = 0; i < cnt; i++)
		if (m == 0 || memcmp(v[m - 1].jti, v[i].jti, JTI_BYTES) != 0)
			v[m++] = v[i];

	cap = sizeof("{\"iss\":\"\",\"seq\":,\"iat\":,\"revoked\":[]}") + strlen(iss) +
	      (size_t)2 * 20 + m * ENTRY_MAX;
	err = HC_ERR_NOMEM;
	if (!(buf = malloc(cap)))
		goto out;
	p = PUT(buf, "{\"iss\":\"");
	p = put_str(p, iss, strlen(iss));
	p = PUT(p, "\",\"seq\":");
	p = put_int(p, seq);
	p = PUT(p, ",\"iat\":");
	p = put_int(p, iat);
	p = PUT(p, ",\"revoked\":[");
	for (size_t i = 0; i < m; i++) {
		if (i > 0)
			*p++ = ',';
		p = PUT(p, "{\"jti\":\"");
		if ((err = hc_b64u_encode(v[i].jti, JTI_BYTES, p, JTI_CHARS + 1)) != HC_OK)
			goto out;
		p += JTI_CHARS;
		p = PUT(p, "\",\"at\":");
		p = put_int(p, v[i].at);
		*p++ = '}';
	}
	p = PUT(p, "]}");
	*p = '\0';
	*payload = buf;
	*count = m;
	buf = NULL;
	err = HC_OK;
out:
	free(buf);
	free(v);
	return err;
}
