/* t_audit_check.c: reading the audit chain back: the strict entry parser
 * (refused lines, one form per entry, round trips) and the chain check over
 * segments in memory (every refusal reason the chain itself can give). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_audit_check.h"
#include "t.h"

#define ZERO43 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define PERSON "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c"

static void entry_base(struct hc_audit_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->seq = 1;
	e->at = 1795392000;
	e->actor = "counter-1";
	e->action = "status";
}

static hc_err encode(const struct hc_audit_entry *e, char **line, size_t *n)
{
	return hc_audit_entry_encode(e, line, n);
}

/* Lines the parser refuses, each with what makes it wrong. */
static void parse_refused(void)
{
	static const char *const bad[] = {
		/* member order, set and types */
		"{\"at\":1,\"seq\":1,\"actor\":\"a\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}",
		"{\"seq\":1,\"at\":1,\"actor\":\"a\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null}",
		"{\"seq\":1,\"at\":1,\"actor\":\"a\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\",\"x\":1}",
		"{\"seq\":0,\"at\":1,\"actor\":\"a\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}",
		"{\"seq\":1.0,\"at\":1,\"actor\":\"a\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}",
		"{\"seq\":\"1\",\"at\":1,\"actor\":\"a\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}",
		"{\"seq\":1,\"at\":1,\"actor\":null,\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}",
		"{\"seq\":1,\"at\":1,\"actor\":\"a\",\"action\":\"b\",\"person\":7,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}",
		"{\"seq\":1,\"at\":1,\"actor\":\"a\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":null,\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}",
		"{\"seq\":1,\"at\":1,\"actor\":\"a\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[1],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}",
		"{\"seq\":1,\"at\":1,\"actor\":\"a\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}",
		"{\"seq\":1,\"at\":1,\"actor\":\"a\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":\"AAAA\"}",
		"{\"seq\":1,\"at\":1,\"actor\":\"a\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":null}",
		/* text rules */
		"{\"seq\":1,\"at\":1,\"actor\":\"a\\u0001\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}",
		"{\"seq\":1,\"at\":1,\"actor\":\"a\\u0085\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}",
		/* JSON, but not the one form the encoder writes */
		"{\"seq\":1,\"at\":1,\"actor\":\"\\u0061\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}",
		"{\"seq\":1, \"at\":1,\"actor\":\"a\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}",
		"{\"seq\":1,\"at\":1,\"actor\":\"a\\/\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}",
		/* not JSON, or not an object */
		"", "[]", "{\"seq\":1", "\xff",
		"{\"seq\":1,\"seq\":1,\"actor\":\"a\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}",
	};
	static const char good[] = "{\"seq\":1,\"at\":1,\"actor\":\"a\",\"action\":\"b\",\"person\":null,\"from\":null,\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,\"prev\":\"" ZERO43 "\"}";
	struct hc_audit_parsed *p = malloc(sizeof(*p));

	if (!p)
		return;
	CHECK_ERR(hc_audit_entry_parse(good, strlen(good), p), HC_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hc_err e = hc_audit_entry_parse(bad[i], strlen(bad[i]), p);

		if (e == HC_OK)
			t_fail(__FILE__, __LINE__, "bad line %zu parsed", i);
		CHECK(p->e.actor == NULL && p->e.seq == 0);
	}
	CHECK_ERR(hc_audit_entry_parse(good, HC_MAX_AUDIT_LINE + 1, p), HC_ERR_TOO_LARGE);
	free(p);
}

/* Every entry the encoder writes parses back to itself. */
static void parse_roundtrip(void)
{
	struct hc_audit_parsed *p = malloc(sizeof(*p));
	struct hc_audit_entry e;
	char *line = NULL, *again = NULL;
	size_t n = 0, n2 = 0;

	if (!p)
		return;
	entry_base(&e);
	e.seq = 77;
	e.at = -9007199254740991;
	e.actor = "张三 \"q\" \\ /";
	e.person = PERSON;
	e.from = "";
	e.to = "red";
	for (int i = 0; i < HC_AUDIT_MAX_WHY; i++)
		e.why[i] = i % 2 ? "nat-positive" : "\xf0\x9f\x98\x80";
	e.nwhy = HC_AUDIT_MAX_WHY;
	e.jti = "AAAAAAAAAAAAAAAAAAAAAA";
	memset(e.prev, 0xab, sizeof(e.prev));
	CHECK_ERR(encode(&e, &line, &n), HC_OK);
	CHECK_ERR(hc_audit_entry_parse(line, n, p), HC_OK);
	CHECK(p->e.seq == 77 && p->e.at == e.at && p->e.nwhy == HC_AUDIT_MAX_WHY);
	CHECK(p->e.actor && strcmp(p->e.actor, e.actor) == 0);
	CHECK(p->e.from && p->e.from[0] == '\0' && p->e.cause == NULL);
	CHECK(p->e.why[7] && strcmp(p->e.why[7], "nat-positive") == 0);
	CHECK(memcmp(p->e.prev, e.prev, 32) == 0);
	CHECK_ERR(encode(&p->e, &again, &n2), HC_OK);
	CHECK(again && n2 == n && memcmp(again, line, n) == 0);
	free(again);
	free(line);
	free(p);
}

/* A chain of N entries in memory, segment by segment, as a publisher lays it out. */
#define CHAIN_N 2300
static char *seg[4];
static size_t seglen[4];
static uint8_t chain_hash[CHAIN_N + 1][32];

static void chain_build(void)
{
	struct hc_audit_entry e;
	uint8_t prev[32] = {0};

	for (int k = 0; k < 4; k++) {
		free(seg[k]);
		seg[k] = malloc(HC_AUDIT_MAX_SEGMENT);
		seglen[k] = 0;
	}
	for (int64_t s = 1; s <= CHAIN_N; s++) {
		char *line = NULL;
		size_t n = 0, k = (size_t)((s - 1) / HC_AUDIT_SEGMENT);

		entry_base(&e);
		e.seq = s;
		e.actor = s % 3 ? "counter-1" : "source:nat";
		e.to = s % 5 ? NULL : "red";
		memcpy(e.prev, prev, 32);
		if (encode(&e, &line, &n) != HC_OK || !seg[k])
			return;
		memcpy(seg[k] + seglen[k], line, n);
		seg[k][seglen[k] + n] = '\n';
		seglen[k] += n + 1;
		CHECK_ERR(hc_sha256((const uint8_t *)line, n, prev), HC_OK);
		memcpy(chain_hash[s], prev, 32);
		free(line);
	}
}

struct tally {
	int64_t n, red;
};

static void on_entry(const struct hc_audit_entry *e, void *arg)
{
	struct tally *t = arg;

	t->n++;
	t->red += e->to && strcmp(e->to, "red") == 0;
}

/* Runs the chain check over the segments; returns the reason. */
static enum hc_audit_reason chain_run(int64_t head_seq, const uint8_t *head_hash,
				      int64_t since_seq, const uint8_t *since_hash,
				      struct tally *t)
{
	struct hc_audit_head h = {.seq = head_seq, .at = 1}, s = {.seq = since_seq};
	struct hc_audit_chain *c = NULL;
	enum hc_audit_reason why = HC_AUDIT_OK;
	hc_err err;

	memcpy(h.hash, head_hash, 32);
	if (since_hash)
		memcpy(s.hash, since_hash, 32);
	memset(t, 0, sizeof(*t));
	err = hc_audit_chain_new(&h, since_hash ? &s : NULL, on_entry, t, &c, &why);
	for (int64_t k = 1; err == HC_OK && k <= hc_audit_segments(&h); k++)
		err = hc_audit_chain_segment(c, k, (const uint8_t *)seg[k - 1],
					     k <= 4 ? seglen[k - 1] : 0, &why);
	if (err == HC_OK)
		err = hc_audit_chain_finish(c, &why);
	hc_audit_chain_free(c);
	if (err != HC_OK && err != HC_ERR_AUDIT)
		t_fail(__FILE__, __LINE__, "chain check error %s", hc_strerror(err));
	return err == HC_OK ? HC_AUDIT_OK : why;
}

static void chain_checks(void)
{
	struct tally t;
	uint8_t other[32] = {1};
	char *p;

	chain_build();
	CHECK(chain_run(CHAIN_N, chain_hash[CHAIN_N], 0, NULL, &t) == HC_AUDIT_OK);
	CHECK(t.n == CHAIN_N && t.red == CHAIN_N / 5);
	/* A head before the end covers less; an older head it extends. */
	CHECK(chain_run(1500, chain_hash[1500], 1000, chain_hash[1000], &t) == HC_AUDIT_OK);
	CHECK(t.n == 1500);
	CHECK(chain_run(1000, chain_hash[1000], 1000, chain_hash[1000], &t) == HC_AUDIT_OK);
	CHECK(chain_run(CHAIN_N, other, 0, NULL, &t) == HC_AUDIT_HEAD_HASH_MISMATCH);
	CHECK(chain_run(CHAIN_N, chain_hash[CHAIN_N], 7, other, &t) == HC_AUDIT_REWRITTEN);
	CHECK(t.n == 6);
	CHECK(chain_run(100, chain_hash[100], 101, chain_hash[101], &t) == HC_AUDIT_ROLLED_BACK);
	CHECK(chain_run(CHAIN_N + 1, other, 0, NULL, &t) == HC_AUDIT_TRUNCATED);
	CHECK(chain_run(4001, other, 0, NULL, &t) == HC_AUDIT_TRUNCATED);
	/* An edited entry: the next one's prev no longer matches. */
	p = strstr(seg[1], "\"seq\":1500,\"at\":1795392000");
	CHECK(p != NULL);
	if (p) {
		p[20] = '4'; /* at 1795492000 */
		CHECK(chain_run(CHAIN_N, chain_hash[CHAIN_N], 0, NULL, &t) == HC_AUDIT_PREV_MISMATCH);
		CHECK(t.n == 1500);
		CHECK(chain_run(1500, chain_hash[1500], 0, NULL, &t) == HC_AUDIT_HEAD_HASH_MISMATCH);
		p[20] = '3';
	}
	/* A line cut short in the last segment. */
	seglen[2] -= 2;
	CHECK(chain_run(CHAIN_N, chain_hash[CHAIN_N], 0, NULL, &t) == HC_AUDIT_TRUNCATED);
	CHECK(chain_run(CHAIN_N - 1, chain_hash[CHAIN_N - 1], 0, NULL, &t) == HC_AUDIT_OK);
	seglen[2] += 2;
	/* Segment 2 without its first line: entry 1002 where 1001 belongs. */
	p = memchr(seg[1], '\n', seglen[1]);
	if (p) {
		size_t cut = (size_t)(p - seg[1]) + 1;

		CHECK(chain_run(CHAIN_N, chain_hash[CHAIN_N], 0, NULL, &t) == HC_AUDIT_OK);
		memmove(seg[1], seg[1] + cut, seglen[1] - cut);
		seglen[1] -= cut;
		CHECK(chain_run(CHAIN_N, chain_hash[CHAIN_N], 0, NULL, &t) == HC_AUDIT_SEQ_GAP);
		CHECK(t.n == 1000);
	}
	chain_build();
	/* A full segment with one line more. */
	memcpy(seg[0] + seglen[0], "x\n", 2);
	seglen[0] += 2;
	CHECK(chain_run(CHAIN_N, chain_hash[CHAIN_N], 0, NULL, &t) == HC_AUDIT_BAD_SEGMENT);
	chain_build();
	/* Garbage. */
	memset(seg[2] + 5, 'x', 3);
	CHECK(chain_run(CHAIN_N, chain_hash[CHAIN_N], 0, NULL, &t) == HC_AUDIT_MALFORMED_ENTRY);
	CHECK(t.n == 2000);
	/* A line over the cap. */
	memset(seg[2], 'x', HC_MAX_AUDIT_LINE + 1);
	CHECK(chain_run(CHAIN_N, chain_hash[CHAIN_N], 0, NULL, &t) == HC_AUDIT_OVERSIZED_LINE);
	for (int k = 0; k < 4; k++) {
		free(seg[k]);
		seg[k] = NULL;
	}
	CHECK(strcmp(hc_audit_reason_name(HC_AUDIT_SEQ_GAP), "seq-gap") == 0);
	CHECK(strcmp(hc_audit_reason_name(HC_AUDIT__COUNT), "?") == 0);
	for (int r = 0; r < HC_AUDIT__COUNT; r++)
		CHECK(hc_audit_reason_name((enum hc_audit_reason)r) != NULL);
}

void t_main(void)
{
	RUN(parse_refused);
	RUN(parse_roundtrip);
	RUN(chain_checks);
}
