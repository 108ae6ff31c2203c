/* t_audit.c: the audit chain writer: exact entry lines (member order, null,
 * escapes, caps, refused text), signed heads checked by the verifying
 * code, and segment files that only grow, across segment boundaries. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_audit.h"
#include "hc_json.h"
#include "hc_sign.h"
#include "hc_token.h"
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

static void entry_exact(void)
{
	struct hc_audit_entry e;
	char *line = NULL;
	size_t n = 0;

	entry_base(&e);
	CHECK_ERR(encode(&e, &line, &n), HC_OK);
	CHECK(line && strcmp(line, "{\"seq\":1,\"at\":1795392000,\"actor\":\"counter-1\","
				   "\"action\":\"status\",\"person\":null,\"from\":null,"
				   "\"to\":null,\"why\":[],\"cause\":null,\"jti\":null,"
				   "\"prev\":\"" ZERO43 "\"}") == 0);
	CHECK(line && n == strlen(line));
	free(line);

	entry_base(&e);
	e.seq = 9007199254740991;
	e.at = -5;
	e.person = PERSON;
	e.from = "green";
	e.to = "red";
	e.why[0] = "nat-positive";
	e.why[1] = "contact";
	e.nwhy = 2;
	e.cause = "req-\"1\"\\x/y";
	e.jti = "AAAAAAAAAAAAAAAAAAAAAA";
	for (int i = 0; i < 32; i++)
		e.prev[i] = (uint8_t)(0xf8 + i);
	CHECK_ERR(encode(&e, &line, &n), HC_OK);
	CHECK(line &&
	      strcmp(line, "{\"seq\":9007199254740991,\"at\":-5,\"actor\":\"counter-1\","
			   "\"action\":\"status\",\"person\":\"" PERSON "\","
			   "\"from\":\"green\",\"to\":\"red\","
			   "\"why\":[\"nat-positive\",\"contact\"],"
			   "\"cause\":\"req-\\\"1\\\"\\\\x/y\","
			   "\"jti\":\"AAAAAAAAAAAAAAAAAAAAAA\","
			   "\"prev\":\"-Pn6-_z9_v8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhc\"}") == 0);
	free(line);
}

/* What cJSON (an independent parser) reads back is what went in. */
static void entry_roundtrip(void)
{
	struct hc_audit_entry e;
	char *line = NULL;
	size_t n = 0;
	cJSON *j = NULL;
	const cJSON *it;
	const char *names[] = {"seq", "at",  "actor", "action", "person", "from",
			       "to",  "why", "cause", "jti",    "prev"};
	int i = 0;

	entry_base(&e);
	e.actor = "张三 \xe2\x80\x94 operator";
	e.person = PERSON;
	e.to = "yellow";
	e.why[0] = "risk-area";
	e.nwhy = 1;
	e.cause = "\xf0\x9f\x98\x80";
	CHECK_ERR(encode(&e, &line, &n), HC_OK);
	CHECK_ERR(hc_json_parse(line, n, &j), HC_OK);
	CHECK(j != NULL);
	if (!j)
		goto out;
	cJSON_ArrayForEach(it, j)
	{
		CHECK(i < 11 && strcmp(it->string, names[i]) == 0);
		i++;
	}
	CHECK(i == 11);
	CHECK(strcmp(cJSON_GetObjectItem(j, "actor")->valuestring, e.actor) == 0);
	CHECK(strcmp(cJSON_GetObjectItem(j, "cause")->valuestring, e.cause) == 0);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "from")));
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "why")) == 1);
out:
	cJSON_Delete(j);
	free(line);
}

static void entry_refused(void)
{
	static const char *bad[] = {
	    "a\x01",    "tab\there", "new\nline", "del\x7f",      "c1 \xc2\x85",
	    "\xc2\x9f", "\xff",      "\xc0\xaf",  "\xed\xa0\x80", "cut \xe4\xb8",
	};
	struct hc_audit_entry e;
	char *line = (char *)"x", big[HC_MAX_AUDIT_LINE + 8];
	size_t n = 7, fixed;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		entry_base(&e);
		switch (i % 4) {
		case 0:
			e.actor = bad[i];
			break;
		case 1:
			e.cause = bad[i];
			break;
		case 2:
			e.why[0] = bad[i];
			e.nwhy = 1;
			break;
		default:
			e.person = bad[i];
			break;
		}
		CHECK_ERR(encode(&e, &line, &n), HC_ERR_INVALID_ARG);
		CHECK(line == NULL && n == 0);
	}
	/* U+00A0 follows the C1 range: allowed. */
	entry_base(&e);
	e.cause = "nb\xc2\xa0sp";
	CHECK_ERR(encode(&e, &line, &n), HC_OK);
	free(line);

	entry_base(&e);
	e.seq = 0;
	CHECK_ERR(encode(&e, &line, &n), HC_ERR_INVALID_ARG);
	e.seq = 9007199254740992; /* 2^53: no longer exact in a JSON reader */
	CHECK_ERR(encode(&e, &line, &n), HC_ERR_INVALID_ARG);
	e.seq = 1;
	e.at = -9007199254740992;
	CHECK_ERR(encode(&e, &line, &n), HC_ERR_INVALID_ARG);
	entry_base(&e);
	e.actor = NULL;
	CHECK_ERR(encode(&e, &line, &n), HC_ERR_INVALID_ARG);
	entry_base(&e);
	e.nwhy = HC_AUDIT_MAX_WHY + 1;
	for (int i = 0; i < HC_AUDIT_MAX_WHY; i++)
		e.why[i] = "w";
	CHECK_ERR(encode(&e, &line, &n), HC_ERR_INVALID_ARG);
	e.nwhy = HC_AUDIT_MAX_WHY;
	CHECK_ERR(encode(&e, &line, &n), HC_OK);
	free(line);
	entry_base(&e);
	e.nwhy = 2;
	e.why[0] = "w";
	CHECK_ERR(encode(&e, &line, &n), HC_ERR_INVALID_ARG); /* why[1] is NULL */

	/* The cap: exactly HC_MAX_AUDIT_LINE bytes pass, one more is refused. */
	entry_base(&e);
	e.cause = "";
	CHECK_ERR(encode(&e, &line, &n), HC_OK);
	free(line);
	fixed = n;
	memset(big, 'a', sizeof(big));
	big[HC_MAX_AUDIT_LINE - fixed] = '\0';
	e.cause = big;
	CHECK_ERR(encode(&e, &line, &n), HC_OK);
	CHECK(n == HC_MAX_AUDIT_LINE);
	free(line);
	big[HC_MAX_AUDIT_LINE - fixed] = 'a';
	big[HC_MAX_AUDIT_LINE - fixed + 1] = '\0';
	CHECK_ERR(encode(&e, &line, &n), HC_ERR_INVALID_ARG);
	/* Escapes count: a quote is two bytes. */
	big[HC_MAX_AUDIT_LINE - fixed] = '\0';
	big[0] = '"';
	CHECK_ERR(encode(&e, &line, &n), HC_ERR_INVALID_ARG);
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	e.cause = NULL;
	e.why[0] = big;
	e.nwhy = 1;
	CHECK_ERR(encode(&e, &line, &n), HC_ERR_INVALID_ARG);
	CHECK(line == NULL);
}

/* Removes a directory the tests made, its files and its audit/ folder. */
static void rm_tree(const char *path)
{
	char sub[4096];

	for (int pass = 0; pass < 2; pass++) {
		DIR *d;
		struct dirent *de;

		snprintf(sub, sizeof(sub), pass == 0 ? "%s/audit" : "%s", path);
		if (!(d = opendir(sub)))
			continue;
		while ((de = readdir(d))) {
			char f[sizeof(sub) + 260];

			snprintf(f, sizeof(f), "%s/%s", sub, de->d_name);
			if (de->d_name[0] != '.')
				unlink(f);
		}
		closedir(d);
		rmdir(sub);
	}
}

static void head_signed(void)
{
	const char *dir = t_tmpdir();
	char path[4096], *jws = NULL;
	struct hc_privkey *k = NULL;
	struct hc_pubkey *pub = NULL;
	struct hc_jws j;
	uint8_t hash[32];
	char want[256], h[44];

	snprintf(path, sizeof(path), "%s/office.key", dir);
	CHECK_ERR(hc_privkey_generate(path, &k), HC_OK);
	if (!k)
		return;
	CHECK_ERR(hc_privkey_public(k, &pub), HC_OK);
	for (int i = 0; i < 32; i++)
		hash[i] = (uint8_t)(i * 7);
	CHECK_ERR(hc_audit_head_sign(k, "https://hc.zj.example", 2500, hash, 1795392060, &jws),
		  HC_OK);
	CHECK(jws != NULL);
	if (!jws)
		goto out;
	CHECK_ERR(hc_jws_parse(jws, strlen(jws), 4096, false, 4096, &j), HC_OK);
	CHECK(strcmp(j.kid, hc_privkey_kid(k)) == 0);
	CHECK_ERR(hc_jws_verify(&j, jws, pub), HC_OK);
	CHECK_ERR(hc_b64u_encode(hash, 32, h, sizeof(h)), HC_OK);
	snprintf(
	    want, sizeof(want),
	    "{\"iss\":\"https://hc.zj.example\",\"seq\":2500,\"hash\":\"%s\",\"at\":1795392060}",
	    h);
	CHECK(j.payload_len == strlen(want) && memcmp(j.payload, want, j.payload_len) == 0);
	hc_jws_clear(&j);
	/* No zip member: the parse that wants one refuses the header. */
	CHECK_ERR(hc_jws_parse(jws, strlen(jws), 4096, true, 4096, &j), HC_ERR_HEADER);
	free(jws);
	jws = NULL;
	CHECK_ERR(hc_audit_head_sign(k, "https://hc.zj.example", 0, hash, 1, &jws),
		  HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_audit_head_sign(k, "bad\x01iss", 1, hash, 1, &jws), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_audit_head_sign(k, "", 1, hash, 1, &jws), HC_ERR_INVALID_ARG);
	{
		char iss[300];

		memset(iss, 'a', sizeof(iss));
		iss[256] = '\0'; /* 256 bytes: more than a trust list's iss holds */
		CHECK_ERR(hc_audit_head_sign(k, iss, 1, hash, 1, &jws), HC_ERR_INVALID_ARG);
		iss[255] = '\0';
		CHECK_ERR(hc_audit_head_sign(k, iss, 1, hash, 1, &jws), HC_OK);
		free(jws);
		jws = NULL;
	}
	CHECK(jws == NULL);
out:
	free(jws);
	hc_pubkey_free(pub);
	hc_privkey_free(k);
	rm_tree(dir);
}

static char linebuf[3100][24];
static const char *lines[3100];
static size_t lens[3100];

static size_t count_lines(const char *dir, int k, size_t *bytes)
{
	char path[4096];
	uint8_t *b = NULL;
	size_t n = 0, c = 0;

	snprintf(path, sizeof(path), "%s/audit/%06d.jsonl", dir, k);
	if (hc_read_file(path, 1u << 24, &b, &n) != HC_OK)
		return (size_t)-1;
	for (size_t i = 0; i < n; i++)
		c += b[i] == '\n';
	if (bytes)
		*bytes = n;
	free(b);
	return c;
}

static size_t dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	size_t c = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		c += de->d_name[0] != '.';
	closedir(d);
	return c;
}

static void publish_segments(void)
{
	const char *dir = t_tmpdir();
	char path[4096], other[] = "other";
	size_t other_len = 5, b1, b3, b3b;
	uint8_t *got = NULL;
	size_t n = 0;
	int fd;

	for (int i = 0; i < 3100; i++) {
		snprintf(linebuf[i], sizeof(linebuf[i]), "{\"seq\":%d}", i + 1);
		lines[i] = linebuf[i];
		lens[i] = strlen(linebuf[i]);
	}
	/* Chunks that start and end on either side of segment boundaries. */
	CHECK_ERR(hc_audit_publish_lines(dir, 1, lines, lens, 1), HC_OK);
	CHECK_ERR(hc_audit_publish_lines(dir, 2, lines + 1, lens + 1, 998), HC_OK);
	CHECK_ERR(hc_audit_publish_lines(dir, 1000, lines + 999, lens + 999, 2), HC_OK);
	CHECK_ERR(hc_audit_publish_lines(dir, 1002, lines + 1001, lens + 1001, 1499), HC_OK);
	CHECK(count_lines(dir, 1, &b1) == 1000);
	CHECK(count_lines(dir, 2, NULL) == 1000);
	CHECK(count_lines(dir, 3, &b3) == 500);
	snprintf(path, sizeof(path), "%s/audit", dir);
	CHECK(dir_entries(path) == 3);
	/* Segment 1 line 1000 is entry 1000. */
	snprintf(path, sizeof(path), "%s/audit/000001.jsonl", dir);
	CHECK_ERR(hc_read_file(path, 1u << 24, &got, &n), HC_OK);
	CHECK(n == b1 && n > 13 && memcmp(got + n - 13, "{\"seq\":1000}\n", 13) == 0);
	free(got);

	/* Published again with the same bytes: skipped, nothing grows. */
	CHECK_ERR(hc_audit_publish_lines(dir, 1, lines, lens, 2500), HC_OK);
	CHECK_ERR(hc_audit_publish_lines(dir, 999, lines + 998, lens + 998, 1502), HC_OK);
	CHECK(count_lines(dir, 3, &b3b) == 500 && b3b == b3);
	/* Overlap plus new entries: the new ones are appended. */
	CHECK_ERR(hc_audit_publish_lines(dir, 2401, lines + 2400, lens + 2400, 200), HC_OK);
	CHECK(count_lines(dir, 3, NULL) == 600);
	/* Different bytes for a published entry, or a gap: conflict. */
	lines[0] = other;
	lens[0] = other_len;
	CHECK_ERR(hc_audit_publish_lines(dir, 2, lines, lens, 1), HC_ERR_CONFLICT);
	CHECK_ERR(hc_audit_publish_lines(dir, 1500, lines, lens, 1), HC_ERR_CONFLICT);
	CHECK_ERR(hc_audit_publish_lines(dir, 2602, lines + 2601, lens + 2601, 1), HC_ERR_CONFLICT);
	CHECK(count_lines(dir, 3, NULL) == 600);
	lines[0] = linebuf[0];
	lens[0] = strlen(linebuf[0]);
	/* Lines that cannot be one line. */
	lines[2600] = "a\nb";
	lens[2600] = 3;
	CHECK_ERR(hc_audit_publish_lines(dir, 2601, lines + 2600, lens + 2600, 1),
		  HC_ERR_INVALID_ARG);
	lens[2600] = 0;
	CHECK_ERR(hc_audit_publish_lines(dir, 2601, lines + 2600, lens + 2600, 1),
		  HC_ERR_INVALID_ARG);
	lens[2600] = HC_MAX_AUDIT_LINE + 1;
	CHECK_ERR(hc_audit_publish_lines(dir, 2601, lines + 2600, lens + 2600, 1),
		  HC_ERR_INVALID_ARG);
	lines[2600] = linebuf[2600];
	lens[2600] = strlen(linebuf[2600]);
	CHECK_ERR(hc_audit_publish_lines(dir, 0, lines, lens, 1), HC_ERR_INVALID_ARG);

	/* A torn last line (a crash before its newline) is cut, then appended over. */
	snprintf(path, sizeof(path), "%s/audit/000003.jsonl", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd != -1 && write(fd, "{\"seq\":26", 9) == 9);
	if (fd != -1)
		close(fd);
	CHECK_ERR(hc_audit_publish_lines(dir, 2600, lines + 2599, lens + 2599, 1), HC_OK);
	CHECK_ERR(hc_audit_publish_lines(dir, 2601, lines + 2600, lens + 2600, 401), HC_OK);
	CHECK(count_lines(dir, 3, &b3) == 1000);
	CHECK(count_lines(dir, 4, NULL) == 1);
	CHECK_ERR(hc_read_file(path, 1u << 24, &got, &n), HC_OK);
	CHECK(got && !strstr((const char *)got, "{\"seq\":26{"));
	free(got);
	/* A segment file over the cap of a full segment is refused. */
	snprintf(path, sizeof(path), "%s/audit/000004.jsonl", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	for (int i = 0; fd != -1 && i < 1000; i++)
		CHECK(write(fd, "x\n", 2) == 2);
	if (fd != -1)
		close(fd);
	CHECK(hc_audit_publish_lines(dir, 3002, lines, lens, 1) == HC_ERR_AUDIT);
	rm_tree(dir);
}

/* The last segment is found from the one the entries go to (doubling
 * steps, then halving), over eleven segments: whatever the chunks and
 * wherever the first entry given lies, the entries already there are
 * compared and the new ones appended after the last line. A file missing
 * below the last one is not looked for (hc_audit_check finds it). */
static char manybuf[10600][16];
static const char *many[10600];
static size_t manylens[10600];

static void publish_many_segments(void)
{
	const char *dir = t_tmpdir();
	char path[4096], other[] = "other";
	size_t i;

	for (i = 0; i < 10600; i++) {
		snprintf(manybuf[i], sizeof(manybuf[i]), "{\"seq\":%zu}", i + 1);
		many[i] = manybuf[i];
		manylens[i] = strlen(manybuf[i]);
	}
	for (i = 0; i < 10500; i += 700)
		CHECK_ERR(hc_audit_publish_lines(dir, (int64_t)i + 1, many + i, manylens + i,
						 i + 700 <= 10500 ? 700 : 10500 - i),
			  HC_OK);
	for (int k = 1; k <= 10; k++)
		CHECK(count_lines(dir, k, NULL) == 1000);
	CHECK(count_lines(dir, 11, NULL) == 500);
	/* From segment 1, 5 or 11: the same bytes skipped; past the end, a gap. */
	CHECK_ERR(hc_audit_publish_lines(dir, 1, many, manylens, 10500), HC_OK);
	CHECK_ERR(hc_audit_publish_lines(dir, 4321, many + 4320, manylens + 4320, 10), HC_OK);
	CHECK_ERR(hc_audit_publish_lines(dir, 10500, many + 10499, manylens + 10499, 1), HC_OK);
	CHECK(count_lines(dir, 11, NULL) == 500);
	CHECK_ERR(hc_audit_publish_lines(dir, 10502, many + 10501, manylens + 10501, 1),
		  HC_ERR_CONFLICT);
	many[4320] = other;
	manylens[4320] = strlen(other);
	CHECK_ERR(hc_audit_publish_lines(dir, 4321, many + 4320, manylens + 4320, 1),
		  HC_ERR_CONFLICT);
	many[4320] = manybuf[4320];
	manylens[4320] = strlen(manybuf[4320]);
	/* Segment 3 gone: the next entries still follow segment 11's last;
	 * an entry of segment 3 given again leaves a gap after segment 2. */
	snprintf(path, sizeof(path), "%s/audit/000003.jsonl", dir);
	CHECK(unlink(path) == 0);
	CHECK_ERR(hc_audit_publish_lines(dir, 10501, many + 10500, manylens + 10500, 100), HC_OK);
	CHECK(count_lines(dir, 11, NULL) == 600);
	CHECK_ERR(hc_audit_publish_lines(dir, 2500, many + 2499, manylens + 2499, 1),
		  HC_ERR_CONFLICT);
	rm_tree(dir);
}

static void publish_head(void)
{
	const char *dir = t_tmpdir();
	char path[4096];
	uint8_t *got = NULL;
	size_t n = 0;

	CHECK_ERR(hc_audit_publish_head(dir, "aaa.bbb.ccc"), HC_OK);
	snprintf(path, sizeof(path), "%s/audit/head.jws", dir);
	CHECK_ERR(hc_read_file(path, 4096, &got, &n), HC_OK);
	CHECK(got && n == 12 && memcmp(got, "aaa.bbb.ccc\n", 12) == 0);
	free(got);
	CHECK_ERR(hc_audit_publish_head(dir, "ddd.eee.fff"), HC_OK);
	CHECK_ERR(hc_read_file(path, 4096, &got, &n), HC_OK);
	CHECK(got && n == 12 && memcmp(got, "ddd.eee.fff\n", 12) == 0);
	free(got);
	snprintf(path, sizeof(path), "%s/audit", dir);
	CHECK(dir_entries(path) == 1); /* no temporary file left */
	CHECK_ERR(hc_audit_publish_head(dir, ""), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_audit_publish_head(dir, "a\nb"), HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_audit_publish_head("/nonexistent/dir", "a.b.c"), HC_ERR_IO);
	rm_tree(dir);
}


void t_main(void)
{
	RUN(entry_exact);
	RUN(entry_roundtrip);
	RUN(entry_refused);
	RUN(head_signed);
	RUN(publish_segments);
	RUN(publish_many_segments);
	RUN(publish_head);
}
