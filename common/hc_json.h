/* hc_json.h: strict JSON on top of cJSON (duplicates, depth, UTF-8, integers). */
#ifndef HC_JSON_H
#define HC_JSON_H

#include <cjson/cJSON.h>

#include "hc.h"

/* Parses exactly n bytes of JSON: the RFC 8259 grammar exactly (no
 * byte-order mark, whitespace only space, tab, LF and CR, numbers without
 * leading zeros or a bare decimal point, only the escapes of the RFC),
 * valid UTF-8, no \u0000 and no lone surrogate, no duplicate member names
 * at any depth, nesting at most HC_MAX_JSON_DEPTH, no NUL bytes. The root
 * must be an object. Grammar failures are HC_ERR_JSON with a detail naming
 * the rule (no offset: the same record gives the same result however it is
 * spaced); a duplicate's detail quotes its name. */
hc_err hc_json_parse(const char *s, size_t n, cJSON **out) HC_WUR;
/* Whether s[0..n) is one JSON text by RFC 8259 in UTF-8, without a NUL
 * (the checks of hc_json_parse before its tree, nothing allocated: a
 * number too large for a double, such as 1e400, passes). */
bool hc_json_valid(const char *s, size_t n);
/* The same for text that is not yet authenticated (a token's header and
 * claims): no detail quotes a byte of it. */
hc_err hc_json_parse_untrusted(const char *s, size_t n, cJSON **out) HC_WUR;

/* Fails with HC_ERR_JSON_UNKNOWN if obj has a member not in the
 * NULL-terminated list. */
hc_err hc_json_only(const cJSON *obj, const char *const *allowed) HC_WUR;
/* The same with the detail "unknown member in WHERE": for text that is not
 * yet authenticated, whose member names must not be shown. */
hc_err hc_json_only_in(const cJSON *obj, const char *const *allowed, const char *where) HC_WUR;

/* Typed getters. A missing member is HC_ERR_JSON_MISSING when required,
 * otherwise HC_OK with *present false (present may be NULL). */
hc_err hc_json_int(const cJSON *obj, const char *name, bool required, int64_t min,
		   int64_t max, int64_t *out, bool *present) HC_WUR;
hc_err hc_json_str(const cJSON *obj, const char *name, bool required, char *out,
		   size_t outsz, bool *present) HC_WUR;
/* Object or array member; *out is NULL when absent and not required. */
hc_err hc_json_obj(const cJSON *obj, const char *name, bool required, const cJSON **out) HC_WUR;
hc_err hc_json_arr(const cJSON *obj, const char *name, bool required, const cJSON **out) HC_WUR;
/* An integer in [min, max], written as digits in the text: a number with a
 * fraction or an exponent (1.0, 1e9) or -0 is HC_ERR_JSON_INT. */
hc_err hc_json_num_int(const cJSON *item, int64_t min, int64_t max, int64_t *out) HC_WUR;
/* Whether v (from hc_json_parse) is what hc_json_parse gives for the
 * text cJSON (or hc_json_put_str) prints for it, type bits included,
 * known without printing: a string, true, false, null, or a number
 * written as digits of magnitude below 10^15. */
bool hc_json_reads_back(const cJSON *v);
/* Appends s as a JSON string (quoted, escaped as cJSON does) at buf + *len and
 * advances *len; false when it does not fit in cap (with 5 bytes to spare,
 * as cJSON asks). */
bool hc_json_put_str(char *buf, size_t cap, size_t *len, const char *s);
/* The same for s of n bytes that the caller knows JSON does not escape
 * (no '"', '\\' nor control character): copied between its quotes,
 * without the scan for them. */
bool hc_json_put_plain(char *buf, size_t cap, size_t *len, const char *s, size_t n);
/* Serialises compactly into a malloc'd string. */
hc_err hc_json_print(const cJSON *item, char **out) HC_WUR;

#endif
