/* query_int.h: a queried source's answer as the person's inputs
 * (query.c), apart from asking it, so that its check can be fuzzed
 * (tests/fuzz/fuzz_query.c) without a service or a network. */
#ifndef HC_QUERY_INT_H
#define HC_QUERY_INT_H

#include "service.h"

#define QUERY_MAX_ANSWER (1u << 20) /* bytes of an answer */
#define QUERY_MAX_INPUTS 1280       /* entries of an answer: 5 kinds of at most 256 */

/* The kinds of an answer's entries, in the order they are taken. */
extern const char *const query_kinds[5];

/* The answer body[0..n) of source about a person, asked for by request
 * cause, at now: checked by the record rules without "person"
 * (hc_record_parse_inputs) and refused (HC_ERR_RECORD, the detail naming
 * the entry, as hc_policy_apply would) when an entry is dated after now;
 * then each entry of each kind, in the order of query_kinds and of the
 * answer, minified by cJSON_PrintUnformatted into texts[i] (malloc'd:
 * the caller frees texts[0..*nin)) and described by in[i] (kind, json,
 * source and cause pointing at those given, at now). in and texts hold
 * QUERY_MAX_INPUTS. On failure nothing is left: *nin is 0. */
hc_err query_answer_inputs(const char *source, const char *cause, const char *body, size_t n,
			   int64_t now, struct reg_input *in, char **texts, size_t *nin) HC_WUR;

#endif
