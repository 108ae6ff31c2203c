/* fuzz_batch.c: hc-verify batch's record lines (verifier/batch_record.c:
 * the record parsers and the result-line assembly) with the fixed trust
 * store of tests/fuzz/trust. The input is split into lines as the batch
 * reader does (at '\n'; a byte-order mark at the very start dropped; too
 * long past MAX_LINE bytes besides a final CR, then cut and flagged; NUL
 * bytes kept) and each line goes through batch_result. Asserts: one result
 * line per input line, each strict JSON (valid UTF-8, no duplicate
 * members; also parsed by plain cJSON), no raw control byte, its "line"
 * the input line number, verdict, reason, detail and status that agree;
 * a record with a space after its '{' (the strict cJSON path) gives the
 * same bytes as the record itself (which the flat fast path may take),
 * the second time from the cache with the first one's detail; where the
 * harness can read the record by itself (a bare line, or strict JSON with
 * a "code" string, numbers and whitespace as RFC 8259 has them), the
 * reason hc_verify_qr gives for that code at that time, with a signature
 * that OpenSSL verifies directly behind every verified code, or
 * "malformed" and the run's time for an "at" that is not a time from 1970
 * to 9999 in integer digits or a string; the result's "at" the time used;
 * and every member of such a record but "code" and "at" in the result,
 * equal, at its top level or, when named like a result member, under
 * "record". */
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

#define TIME_MAX 253402300799LL

/* What the harness expects of one line. */
struct want {
	const char *reason; /* NULL: not known here */
	bool verified;
	int64_t at;  /* the time used */
	cJSON *rec;  /* the record, when the reason is known */
};

static bool ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Whether s[0..n) is one number as RFC 8259 writes it. */
static bool json_number(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == d || (s[d] == '0' && i - d > 1))
		return false;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return false;
	}
	return i == n;
}

/* Whether the JSON text (accepted by hc_json_parse) has only RFC 8259's
 * whitespace between tokens and numbers in its grammar; the top-level
 * "at" member's raw value (unescaped name only) goes to *at, *atn. */
static bool rfc_text(const char *s, size_t n, const char **at, size_t *atn)
{
	int depth = 0;
	bool key = false;

	*at = NULL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '"') {
			size_t st = ++i;

			for (; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			if (depth == 1 && key && i - st == 2 && memcmp(s + st, "at", 2) == 0) {
				size_t v = i + 1;

				while (v < n && (ws(s[v]) || s[v] == ':'))
					v++;
				*at = s + v;
				for (*atn = 0; v + *atn < n && !ws(s[v + *atn]) && s[v + *atn] != ',' &&
					       s[v + *atn] != '}';
				     (*atn)++)
					if (s[v + *atn] == '"')
						break;
			}
			key = false;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t st = i;

			while (i + 1 < n && s[i + 1] && strchr("0123456789+-.eE", s[i + 1]))
				i++;
			if (!json_number(s + st, i + 1 - st))
				return false;
		} else if ((unsigned char)c < 0x20 && !ws(c)) {
			return false;
		} else if (c == '{' || c == '[' || c == ',') {
			depth += c != ',';
			key = c != '[' && (c == '{' || depth == 1);
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return true;
}

/* What hc-verify would say of the line's code alone (DESIGN 8), when the
 * record can be read here. */
static void expect(const char *line, size_t n, struct want *w)
{
	struct hc_verify_opts o = b.opts;
	struct hc_result res;
	const cJSON *code, *at;
	const char *text, *atraw;
	char tok[HC_MAX_QR_TEXT / 2 + 1];
	size_t tl, atn = 0;

	memset(w, 0, sizeof(*w));
	w->at = FX_AT;
	while (n > 0 && ws(line[n - 1]))
		n--;
	while (n > 0 && ws(line[0])) {
		line++;
		n--;
	}
	text = line;
	if (n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		w->reason = "malformed"; /* not at the start of the input */
		return;
	}
	if (n > 0 && line[0] == '{') {
		if (hc_json_parse(line, n, &w->rec) != HC_OK || !rfc_text(line, n, &atraw, &atn)) {
			cJSON_Delete(w->rec);
			w->rec = NULL;
			return;
		}
		code = cJSON_GetObjectItemCaseSensitive(w->rec, "code");
		at = cJSON_GetObjectItemCaseSensitive(w->rec, "at");
		if (!cJSON_IsString(code)) {
			w->reason = "malformed";
			return;
		}
		if (at && !atraw) {
			cJSON_Delete(w->rec); /* "at" written with escapes */
			w->rec = NULL;
			return;
		}
		if (at && cJSON_IsString(at)) {
			if (hc_time_parse_text(at->valuestring, &o.at) != HC_OK) {
				w->reason = "malformed";
				return;
			}
		} else if (at) {
			int64_t t = 0;

			for (size_t i = 0; i < atn; i++) {
				if (atn > 12 || atraw[i] < '0' || atraw[i] > '9') {
					w->reason = "malformed";
					return;
				}
				t = t * 10 + (atraw[i] - '0');
			}
			if (t > TIME_MAX) {
				w->reason = "malformed";
				return;
			}
			o.at = t;
		}
		text = code->valuestring;
		n = strlen(text);
	}
	w->at = o.at;
	hc_verify_qr(b.t, text, n, &o, &res);
	if ((w->verified = res.verified))
		FX_CHECK(fx_qr_decode(text, n, tok, sizeof(tok), &tl) &&
			 fx_really_signed(tok, tl, res.kid, res.c.iss));
	w->reason = hc_reason(res.err);
}

/* Whether a record member keeps its name in the result (else it goes
 * under "record"). */
static bool own_name(const char *name)
{
	static const char *const res[] = {"line", "verdict", "reason", "detail", "status",
					  "iss",  "region",  "at",     "warnings", "record"};

	for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++)
		if (strcmp(name, res[i]) == 0)
			return false;
	return true;
}

/* One result line (without its '\n'); want: the expected reason or NULL. */
static void check_line(const char *s, size_t n, uint64_t lineno, const struct want *w)
{
	const cJSON *line, *verdict, *reason, *detail, *status, *at, *record, *m;
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
	record = cJSON_GetObjectItemCaseSensitive(j, "record");
	FX_CHECK(!record || cJSON_IsObject(record));
	if (w->reason) {
		FX_CHECK(strcmp(reason->valuestring, w->reason) == 0);
		FX_CHECK(w->verified == cJSON_IsString(status));
		FX_CHECK(at->valuedouble == (double)w->at);
	}
	/* Nothing of the record is dropped but its code and time. */
	for (m = w->rec ? w->rec->child : NULL; m; m = m->next) {
		const cJSON *got;

		if (strcmp(m->string, "code") == 0 || strcmp(m->string, "at") == 0)
			continue;
		got = cJSON_GetObjectItemCaseSensitive(own_name(m->string) ? j : record, m->string);
		FX_CHECK(got && cJSON_Compare(m, got, true));
	}
	if (w->rec && record) {
		for (m = record->child; m; m = m->next)
			FX_CHECK(!own_name(m->string));
		FX_CHECK(cJSON_GetArraySize(record) > 0);
	}
	cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct job j;
	uint64_t lines = 0;
	size_t pos = 0, start;
	struct want *want;

	if (!b.t)
		setup();
	memset(&j, 0, sizeof(j));
	/* at most one line per byte, and one after the last newline */
	FX_CHECK((want = calloc(n + 1, sizeof(*want))) != NULL);
	if (n >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		pos = 3; /* the reader drops it */
	while (pos < n) {
		const uint8_t *nl = memchr(data + pos, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - (data + pos)) : n - pos;
		const uint8_t *stop = data + pos + len; /* the '\n' or the end */
		bool toolong = len - (stop > data + pos && stop[-1] == '\r') > MAX_LINE;
		size_t keep = toolong ? MAX_LINE : len;
		char *line = malloc(keep + 1), *wide = NULL;

		FX_CHECK(line != NULL);
		memcpy(line, data + pos, keep);
		line[keep] = '\0';
		if (!toolong) {
			expect(line, len, &want[lines]);
			/* The same record with a space after its '{' goes the
			 * strict path (cJSON) and must give the same result line
			 * as the fast path (parse_flat) may have given. */
			if (line[0] == '{') { /* NUL when empty */
				FX_CHECK((wide = malloc(len + 2)) != NULL);
				wide[0] = '{';
				wide[1] = ' ';
				memcpy(wide + 2, line + 1, len); /* with the NUL */
			}
		} else {
			want[lines].reason = "malformed";
			want[lines].at = FX_AT;
		}
		lines++;
		if (wide) {
			/* With the cache: the second sees the first one's entry,
			 * and a cached failure keeps its detail. */
			size_t flat;

			js.outlen = 0;
			batch_result(&b, &js, k, lines, line, len, false);
			flat = js.outlen;
			memcpy(line, wide, 1);
			memcpy(line + 1, wide + 2, len - 1); /* undo the trimming */
			line[len] = '\0';
			batch_result(&b, &js, k, lines, wide, len + 1, false);
			FX_CHECK(!js.oom && js.outlen == 2 * flat &&
				 memcmp(js.out, js.out + flat, flat) == 0);
			free(wide);
		}
		batch_result(&b, &j, k, lines, line, keep, toolong);
		free(line);
		pos += len + (nl ? 1 : 0);
	}
	FX_CHECK(!j.oom);
	start = 0;
	for (uint64_t i = 1; i <= lines; i++) {
		const char *nl = memchr(j.out + start, '\n', j.outlen - start);

		FX_CHECK(nl != NULL);
		check_line(j.out + start, (size_t)(nl - (j.out + start)), i, &want[i - 1]);
		start = (size_t)(nl - j.out) + 1;
		cJSON_Delete(want[i - 1].rec);
	}
	FX_CHECK(start == j.outlen);
	free(j.out);
	free(want);
	return 0;
}
