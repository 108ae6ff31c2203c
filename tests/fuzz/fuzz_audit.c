/* fuzz_audit.c: the audit chain checker over one buffer: each line through
 * the strict entry parser (what parses must encode back to the very same
 * bytes), the buffer as a head payload, and the buffer as segment 1 of a
 * chain whose head names its last complete line. A chain that passes must
 * hold what the checker claims, recomputed here: seq 1, 2, ... and each
 * prev the SHA-256 of the line before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_audit_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

struct seen {
	int64_t count;
	bool bad;
};

static void on_entry(const struct hc_audit_entry *e, void *arg)
{
	struct seen *s = arg;

	if (e->seq != ++s->count || !e->actor || !e->action || e->nwhy > HC_AUDIT_MAX_WHY)
		s->bad = true;
}

/* Every line that parses encodes back to itself. */
static void lines_roundtrip(const uint8_t *data, size_t n, struct hc_audit_parsed *p)
{
	size_t pos = 0;

	while (pos < n) {
		const uint8_t *nl = memchr(data + pos, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - (data + pos)) : n - pos;
		char *line = NULL;
		size_t ln = 0;

		if (hc_audit_entry_parse((const char *)data + pos, len, p) == HC_OK) {
			if (hc_audit_entry_encode(&p->e, &line, &ln) != HC_OK || ln != len ||
			    memcmp(line, data + pos, len) != 0)
				__builtin_trap(); /* parsed, but not the encoder's bytes */
			free(line);
		}
		pos += len + 1;
	}
}

/* The chain check, and what a pass must mean. */
static void chain(const uint8_t *data, size_t n)
{
	struct hc_audit_head h;
	struct hc_audit_chain *c = NULL;
	enum hc_audit_reason why;
	struct seen s = {0, false};
	size_t pos = 0, last = 0, lastlen = 0;
	uint8_t prev[32] = {0};
	int64_t lines = 0;
	hc_err err;

	memset(&h, 0, sizeof(h));
	h.at = 1795392000;
	(void)snprintf(h.iss, sizeof(h.iss), "https://hc.fuzz.example");
	while (pos < n && lines < HC_AUDIT_SEGMENT) {
		const uint8_t *nl = memchr(data + pos, '\n', n - pos);

		if (!nl)
			break;
		last = pos;
		lastlen = (size_t)(nl - (data + pos));
		lines++;
		pos += lastlen + 1;
	}
	h.seq = lines > 0 ? lines : 1;
	if (lines > 0 && hc_sha256(data + last, lastlen, h.hash) != HC_OK)
		return;
	if (hc_audit_chain_new(&h, NULL, on_entry, &s, &c, &why) != HC_OK)
		return;
	err = hc_audit_chain_segment(c, 1, data, n, &why);
	if (err == HC_OK)
		err = hc_audit_chain_finish(c, &why);
	hc_audit_chain_free(c);
	if (err != HC_OK) {
		if (err == HC_ERR_AUDIT && (why == HC_AUDIT_OK || why >= HC_AUDIT__COUNT))
			__builtin_trap(); /* refused without a reason */
		return;
	}
	if (s.bad || s.count != h.seq || lines != h.seq)
		__builtin_trap();
	/* Recompute the chain: each line's prev is the hash of the one before. */
	pos = 0;
	for (int64_t i = 0; i < lines; i++) {
		const uint8_t *nl = memchr(data + pos, '\n', n - pos);
		size_t len = (size_t)(nl - (data + pos));
		struct hc_audit_parsed *p = malloc(sizeof(*p));

		if (!p)
			return;
		if (hc_audit_entry_parse((const char *)data + pos, len, p) != HC_OK ||
		    p->e.seq != i + 1 || memcmp(p->e.prev, prev, 32) != 0 ||
		    hc_sha256(data + pos, len, prev) != HC_OK)
			__builtin_trap(); /* passed, yet not a chain */
		free(p);
		pos += len + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct hc_audit_parsed *p = malloc(sizeof(*p));
	struct hc_audit_head h;

	if (!p)
		return 0;
	if (n > HC_AUDIT_MAX_SEGMENT + 1) {
		free(p);
		return 0;
	}
	lines_roundtrip(data, n, p);
	free(p);
	if (hc_audit_head_parse(data, n, &h) == HC_OK && (h.seq < 1 || !h.iss[0]))
		__builtin_trap();
	chain(data, n);
	return 0;
}
