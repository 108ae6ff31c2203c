/* fuzz_batch.c: hc-verify batch's record lines (verifier/batch_record.c:
 * the record parsers and the result-line assembly) with the fixed trust
 * store of tests/fuzz/trust. The input is split into lines as the batch
 * reader does (at '\n', each cut at MAX_LINE and flagged too long, NUL
 * bytes kept) and each line goes through batch_result. Asserts: one result
 * line per input line, each strict JSON (valid UTF-8, no duplicate
 * members; also parsed by plain cJSON), no raw control byte, its "line"
 * the input line number, verdict, reason, detail and status that agree;
 * a record with a space after its '{' (the strict cJSON path) gives the
 * same bytes as the record itself (which the flat fast path may take);
 * and where the harness can read the record by itself (a bare line, or
 * strict JSON with a "code" string and an integer or no "at"), the reason
 * hc_verify_qr gives for that code at that time, with a signature that
 * OpenSSL verifies directly behind every verified code. */
#include <string.h>

#include "../../verifier/batch_int.h"
#include "fixture.h"
#include "hc_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static struct batch b;
static struct counts *k;
static struct job js; /* results of the strict-path copies */

static void setup(void)
{
	const struct hc_trust *t = fx_trust();
	size_t ni = hc_trust_issuer_count(t);

	b.t = t;
	hc_verify_opts_init(&b.opts);
	b.opts.at = FX_AT;
	b.nthreads = 1;
	FX_CHECK(hc_sigcache_new(1024, &b.cache) == HC_OK);
	FX_CHECK((k = counts_new(t, 1)) != NULL);
	FX_CHECK((b.iss_json = calloc(ni + 1, sizeof(*b.iss_json))) != NULL);
	for (size_t i = 0; i < ni; i++) { /* as cmd_batch does */
		cJSON *str = cJSON_CreateString(hc_trust_issuer_iss(t, i));

		FX_CHECK(str && (b.iss_json[i] = cJSON_PrintUnformatted(str)));
		cJSON_Delete(str);
	}
}

/* What hc-verify would say of the line's code alone (DESIGN 8), when the
 * record can be read here; NULL otherwise. */
static const char *expect(const char *line, size_t n, bool *verified)
{
	struct hc_verify_opts o = b.opts;
	struct hc_result res;
	const cJSON *code, *at;
	cJSON *j = NULL;
	const char *text = line;
	char tok[HC_MAX_QR_TEXT / 2 + 1];
	size_t tl;

	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (n > 0 && line[0] == '{') {
		if (hc_json_parse(line, n, &j) != HC_OK)
			return NULL;
		code = cJSON_GetObjectItemCaseSensitive(j, "code");
		at = cJSON_GetObjectItemCaseSensitive(j, "at");
		if (!cJSON_IsString(code) || (at && (!cJSON_IsNumber(at) || at->valuedouble < 0 ||
						     at->valuedouble > 1e15 ||
						     at->valuedouble != (double)(int64_t)at->valuedouble))) {
			cJSON_Delete(j);
			return NULL;
		}
		if (at)
			o.at = (int64_t)at->valuedouble;
		text = code->valuestring;
		n = strlen(text);
	}
	hc_verify_qr(b.t, text, n, &o, &res);
	if ((*verified = res.verified))
		FX_CHECK(fx_qr_decode(text, n, tok, sizeof(tok), &tl) &&
			 fx_really_signed(tok, tl, res.kid, res.c.iss));
	cJSON_Delete(j);
	return hc_reason(res.err);
}

/* One result line (without its '\n'); want: the expected reason or NULL. */
static void check_line(const char *s, size_t n, uint64_t lineno, const char *want, bool verified)
{
	const cJSON *line, *verdict, *reason, *detail, *status, *at;
	const char *end = NULL;
	cJSON *plain, *j = NULL;
	bool pass;

	for (size_t i = 0; i < n; i++)
		FX_CHECK((unsigned char)s[i] >= 0x20);
	FX_CHECK(hc_utf8_valid(s, n));
	plain = cJSON_ParseWithLengthOpts(s, n, &end, 0);
	FX_CHECK(plain && end == s + n);
	cJSON_Delete(plain);
	FX_CHECK(hc_json_parse(s, n, &j) == HC_OK);
	line = cJSON_GetObjectItemCaseSensitive(j, "line");
	verdict = cJSON_GetObjectItemCaseSensitive(j, "verdict");
	reason = cJSON_GetObjectItemCaseSensitive(j, "reason");
	detail = cJSON_GetObjectItemCaseSensitive(j, "detail");
	status = cJSON_GetObjectItemCaseSensitive(j, "status");
	at = cJSON_GetObjectItemCaseSensitive(j, "at");
	FX_CHECK(j->child == line && cJSON_IsNumber(line) && line->valuedouble == (double)lineno);
	FX_CHECK(cJSON_IsString(verdict) && cJSON_IsString(reason) && cJSON_IsNumber(at));
	pass = strcmp(verdict->valuestring, "pass") == 0;
	FX_CHECK(pass || strcmp(verdict->valuestring, "fail") == 0);
	FX_CHECK(pass == (strcmp(reason->valuestring, "ok") == 0));
	FX_CHECK(pass == !detail && (!detail || cJSON_IsString(detail)));
	FX_CHECK(cJSON_IsNull(status) || (cJSON_IsString(status) &&
					  (strcmp(status->valuestring, "green") == 0 ||
					   strcmp(status->valuestring, "yellow") == 0 ||
					   strcmp(status->valuestring, "red") == 0)));
	FX_CHECK(!pass || cJSON_IsString(status));
	if (want) {
		FX_CHECK(strcmp(reason->valuestring, want) == 0);
		FX_CHECK(verified == cJSON_IsString(status));
	}
	cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct job j;
	uint64_t lines = 0;
	size_t pos = 0, start;
	const char **want;
	bool *verified;

	if (!b.t)
		setup();
	memset(&j, 0, sizeof(j));
	/* at most one line per byte, and one after the last newline */
	FX_CHECK((want = calloc(n + 1, sizeof(*want))) && (verified = calloc(n + 1, sizeof(*verified))));
	while (pos < n) {
		const uint8_t *nl = memchr(data + pos, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - (data + pos)) : n - pos;
		bool toolong = len > MAX_LINE;
		char *line = malloc((toolong ? MAX_LINE : len) + 1);

		char *wide = NULL;

		FX_CHECK(line != NULL);
		memcpy(line, data + pos, toolong ? MAX_LINE : len);
		line[toolong ? MAX_LINE : len] = '\0';
		if (!toolong) {
			want[lines] = expect(line, len, &verified[lines]);
			/* The same record with a space after its '{' goes the
			 * strict path (cJSON) and must give the same result line
			 * as the fast path (parse_flat) may have given. */
			if (len > 0 && line[0] == '{') {
				FX_CHECK((wide = malloc(len + 2)) != NULL);
				wide[0] = '{';
				wide[1] = ' ';
				memcpy(wide + 2, line + 1, len); /* with the NUL */
			}
		}
		lines++;
		if (wide) {
			/* Without the cache on both sides: a code's first
			 * failure carries a detail its cached repeats do not. */
			struct batch nb = b;
			size_t flat;

			nb.cache = NULL;
			js.outlen = 0;
			batch_result(&nb, &js, k, lines, line, len, false);
			flat = js.outlen;
			memcpy(line + 1, wide + 2, len); /* undo the '\r' cut */
			batch_result(&nb, &js, k, lines, wide, len + 1, false);
			FX_CHECK(!js.oom && js.outlen == 2 * flat &&
				 memcmp(js.out, js.out + flat, flat) == 0);
			free(wide);
		}
		batch_result(&b, &j, k, lines, line, toolong ? MAX_LINE : len, toolong);
		free(line);
		pos += len + (nl ? 1 : 0);
	}
	FX_CHECK(!j.oom);
	start = 0;
	for (uint64_t i = 1; i <= lines; i++) {
		const char *nl = memchr(j.out + start, '\n', j.outlen - start);

		FX_CHECK(nl != NULL);
		check_line(j.out + start, (size_t)(nl - (j.out + start)), i, want[i - 1],
			   verified[i - 1]);
		start = (size_t)(nl - j.out) + 1;
	}
	FX_CHECK(start == j.outlen);
	free(j.out);
	free(want);
	free(verified);
	return 0;
}
