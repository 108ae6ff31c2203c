/* json.c: strict JSON on top of cJSON: whole input, UTF-8, depth, no
 * duplicate members, no NUL, integer numbers checked exactly. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"

#define MAX_MEMBERS 4096 /* members of one object (duplicate check is quadratic) */

/* Checks nesting depth and rejects "\u0000" and raw control characters in
 * strings (RFC 8259 7; cJSON lets them through) before cJSON sees the text. */
static hc_err prescan(const char *s, size_t n)
{
	int depth = 0;
	bool str = false;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (str) {
			if ((unsigned char)c < 0x20) {
				hc_set_detail("control character in a string");
				return HC_ERR_JSON;
			}
			if (c == '\\') {
				if (i + 1 < n && s[i + 1] == 'u' && i + 5 < n &&
				    memcmp(s + i + 2, "0000", 4) == 0)
					return HC_ERR_JSON;
				i++;
			} else if (c == '"') {
				str = false;
			}
		} else if (c == '"') {
			str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > HC_MAX_JSON_DEPTH)
				return HC_ERR_JSON_DEPTH;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return HC_OK;
}

/* Recursion is bounded: prescan() refused text nested more than
 * HC_MAX_JSON_DEPTH deep before cJSON parsed it. */
static hc_err walk(const cJSON *item) /* NOLINT(misc-no-recursion): bounded, see above */
{
	const cJSON *c, *d;
	size_t count = 0;
	hc_err err;

	if (cJSON_IsString(item) &&
	    !hc_utf8_valid(item->valuestring, strlen(item->valuestring)))
		return HC_ERR_JSON_UTF8;
	if (cJSON_IsNumber(item) && !isfinite(item->valuedouble))
		return HC_ERR_JSON;
	for (c = item->child; c; c = c->next) {
		if (cJSON_IsObject(item)) {
			if (!c->string || !hc_utf8_valid(c->string, strlen(c->string)))
				return HC_ERR_JSON_UTF8;
			if (++count > MAX_MEMBERS)
				return HC_ERR_TOO_LARGE;
			for (d = item->child; d != c; d = d->next)
				if (strcmp(d->string, c->string) == 0) {
					hc_set_detail("member \"%.40s\"", c->string);
					return HC_ERR_JSON_DUP;
				}
		}
		if ((err = walk(c)) != HC_OK)
			return err;
	}
	return HC_OK;
}

hc_err hc_json_parse(const char *s, size_t n, cJSON **out)
{
	const char *end = NULL;
	cJSON *root = NULL;
	hc_err err;

	*out = NULL;
	hc_set_detail(NULL);
	if (n == 0 || memchr(s, '\0', n))
		return HC_ERR_JSON;
	if (!hc_utf8_valid(s, n))
		return HC_ERR_JSON_UTF8;
	if ((err = prescan(s, n)) != HC_OK)
		return err;
	root = cJSON_ParseWithLengthOpts(s, n, &end, 0);
	if (!root)
		return HC_ERR_JSON;
	for (; end && end < s + n; end++)
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
			err = HC_ERR_JSON;
			goto fail;
		}
	if (!cJSON_IsObject(root)) {
		err = HC_ERR_JSON_TYPE;
		goto fail;
	}
	if ((err = walk(root)) != HC_OK)
		goto fail;
	*out = root;
	return HC_OK;
fail:
	cJSON_Delete(root);
	return err;
}

hc_err hc_json_only(const cJSON *obj, const char *const *allowed)
{
	for (const cJSON *c = obj->child; c; c = c->next) {
		const char *const *a;

		for (a = allowed; *a; a++)
			if (strcmp(*a, c->string) == 0)
				break;
		if (!*a) {
			hc_set_detail("member \"%.40s\"", c->string);
			return HC_ERR_JSON_UNKNOWN;
		}
	}
	return HC_OK;
}

static hc_err member(const cJSON *obj, const char *name, bool required, const cJSON **out)
{
	*out = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!*out && required) {
		hc_set_detail("member \"%s\"", name);
		return HC_ERR_JSON_MISSING;
	}
	return HC_OK;
}

hc_err hc_json_num_int(const cJSON *item, int64_t min, int64_t max, int64_t *out)
{
	double v;

	if (!cJSON_IsNumber(item))
		return HC_ERR_JSON_TYPE;
	v = item->valuedouble;
	/* Exactly representable integers only: |v| < 2^53. */
	if (!isfinite(v) || v != floor(v) || fabs(v) >= 9007199254740992.0)
		return HC_ERR_JSON_INT;
	if ((int64_t)v < min || (int64_t)v > max)
		return HC_ERR_JSON_INT;
	*out = (int64_t)v;
	return HC_OK;
}

hc_err hc_json_int(const cJSON *obj, const char *name, bool required, int64_t min,
		   int64_t max, int64_t *out, bool *present)
{
	const cJSON *it;
	hc_err err;

	if (present)
		*present = false;
	if ((err = member(obj, name, required, &it)) != HC_OK || !it)
		return err;
	if ((err = hc_json_num_int(it, min, max, out)) != HC_OK) {
		hc_set_detail("member \"%s\"", name);
		return err;
	}
	if (present)
		*present = true;
	return HC_OK;
}

hc_err hc_json_str(const cJSON *obj, const char *name, bool required, char *out,
		   size_t outsz, bool *present)
{
	const cJSON *it;
	size_t len;
	hc_err err;

	if (present)
		*present = false;
	if ((err = member(obj, name, required, &it)) != HC_OK || !it)
		return err;
	if (!cJSON_IsString(it)) {
		hc_set_detail("member \"%s\"", name);
		return HC_ERR_JSON_TYPE;
	}
	len = strlen(it->valuestring);
	if (len >= outsz) {
		hc_set_detail("member \"%s\" longer than %zu bytes", name, outsz - 1);
		return HC_ERR_TOO_LARGE;
	}
	memcpy(out, it->valuestring, len + 1);
	if (present)
		*present = true;
	return HC_OK;
}

hc_err hc_json_obj(const cJSON *obj, const char *name, bool required, const cJSON **out)
{
	hc_err err;

	if ((err = member(obj, name, required, out)) != HC_OK || !*out)
		return err;
	if (!cJSON_IsObject(*out)) {
		hc_set_detail("member \"%s\"", name);
		*out = NULL;
		return HC_ERR_JSON_TYPE;
	}
	return HC_OK;
}

hc_err hc_json_arr(const cJSON *obj, const char *name, bool required, const cJSON **out)
{
	hc_err err;

	if ((err = member(obj, name, required, out)) != HC_OK || !*out)
		return err;
	if (!cJSON_IsArray(*out)) {
		hc_set_detail("member \"%s\"", name);
		*out = NULL;
		return HC_ERR_JSON_TYPE;
	}
	return HC_OK;
}

bool hc_json_put_str(char *buf, size_t cap, size_t *len, const char *s)
{
	cJSON item;

	if (*len >= cap || cap - *len > INT_MAX)
		return false;
	memset(&item, 0, sizeof(item));
	item.type = cJSON_String | cJSON_IsReference;
	item.valuestring = (char *)(uintptr_t)s; /* NOLINT(performance-no-int-to-ptr): only read */
	if (!cJSON_PrintPreallocated(&item, buf + *len, (int)(cap - *len), false))
		return false;
	*len += strlen(buf + *len);
	return true;
}

hc_err hc_json_print(const cJSON *item, char **out)
{
	*out = cJSON_PrintUnformatted(item);
	return *out ? HC_OK : HC_ERR_NOMEM;
}
