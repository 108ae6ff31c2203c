/* hc_json.h: strict JSON on top of cJSON (duplicates, depth, UTF-8, integers). */
#ifndef HC_JSON_H
#define HC_JSON_H

#include <cjson/cJSON.h>

#include "hc.h"

/* Parses exactly n bytes of JSON: one value, nothing but whitespace after
 * it, valid UTF-8, no duplicate member names at any depth, nesting at most
 * HC_MAX_JSON_DEPTH, no NUL bytes. The root must be an object. */
hc_err hc_json_parse(const char *s, size_t n, cJSON **out) HC_WUR;

/* Fails with HC_ERR_JSON_UNKNOWN if obj has a member not in the
 * NULL-terminated list. */
hc_err hc_json_only(const cJSON *obj, const char *const *allowed) HC_WUR;

/* Typed getters. A missing member is HC_ERR_JSON_MISSING when required,
 * otherwise HC_OK with *present false (present may be NULL). */
hc_err hc_json_int(const cJSON *obj, const char *name, bool required, int64_t min,
		   int64_t max, int64_t *out, bool *present) HC_WUR;
hc_err hc_json_str(const cJSON *obj, const char *name, bool required, char *out,
		   size_t outsz, bool *present) HC_WUR;
/* Object or array member; *out is NULL when absent and not required. */
hc_err hc_json_obj(const cJSON *obj, const char *name, bool required, const cJSON **out) HC_WUR;
hc_err hc_json_arr(const cJSON *obj, const char *name, bool required, const cJSON **out) HC_WUR;
/* An integer-valued JSON number in [min, max] (no fraction, finite). */
hc_err hc_json_num_int(const cJSON *item, int64_t min, int64_t max, int64_t *out) HC_WUR;
/* Appends s as a JSON string (quoted, escaped by cJSON) at buf + *len and
 * advances *len; false when it does not fit in cap (with 5 bytes to spare,
 * as cJSON asks). */
bool hc_json_put_str(char *buf, size_t cap, size_t *len, const char *s);
/* Serialises compactly into a malloc'd string. */
hc_err hc_json_print(const cJSON *item, char **out) HC_WUR;

#endif
