/* batch_parse_int.h: what the two halves of hc-verify batch's record
 * share: a record line read (batch_parse.c) and its result line written
 * from the record's own bytes (batch_record.c). */
#ifndef HC_BATCH_PARSE_INT_H
#define HC_BATCH_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "verifier.h"

/* What a record's member is to the result: passed through, named like a
 * result member (kept under "record"), the code, or its scan time. */
enum { M_PASS, M_RESULT, M_CODE, M_AT };

#define FLAT_MEMBERS 16

/* A record line as read: the code, its scan time, and the members to pass
 * through, either as the checked object text (obj, with rec its cJSON
 * tree) or as spans of the line (flat). */
struct record {
	const char *code;
	size_t codelen;
	int64_t at;
	cJSON *rec;
	const char *obj, *objend;
	size_t nspan;
	struct {
		const char *p;
		size_t n;
	} span[FLAT_MEMBERS];
};

/* One member of the object: its name's and its value's source bytes. */
struct member {
	const char *k, *kend, *v, *vend;
};

/* JSON's whitespace. */
bool batch_is_ws(char c);
/* p past any whitespace, at most to e. */
const char *batch_skip_ws(const char *p, const char *e);
/* The kind (M_*) of the member named k (n bytes). */
int batch_member_kind(const char *k, size_t n);
/* After the string whose opening quote is at p: the first quote after an
 * even number of backslashes. */
const char *batch_str_end(const char *p, const char *e);
/* The member after *pp (just after the '{' or the previous member): 1, or
 * 0 at the closing '}', or -1 (with *why) for text cJSON lets through. */
int batch_next_member(const char **pp, const char *e, struct member *m, const char **why);
/* Reads a record line into r. HC_ERR_* with a detail when malformed. */
hc_err batch_parse_record(char *line, size_t n, const struct hc_verify_opts *o, struct record *r);

#endif
