/* hc-verify: offline verification of health codes from QR images, QR text
 * or standard input, against a pinned-root trust directory. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_foreign.h"
#include "hc_image.h"
#include "hc_json.h"
#include "hc_version.h"
#include "batch_int.h"

#define MAX_TEXTS 64

static const char usage_text[] =
	"usage: hc-verify --trust DIR [options] INPUT...\n"
	"       hc-verify sync --trust DIR [--cacert FILE] [--timeout SECONDS] [--wait SECONDS] URL\n"
	"       hc-verify status --trust DIR [--at TIME] [--grace DURATION] [--json]\n"
	"       hc-verify batch --trust DIR [--in FILE] [--out FILE] [--report FILE] ...\n"
	"       hc-verify audit --trust DIR [--since-head FILE] [--json] SOURCE\n"
	"       hc-verify scan --trust DIR [--log FILE] [--ui json|terminal] INPUT\n"
	"\n"
	"Verifies health codes offline. INPUT is a PNG or JPEG image, or - to read\n"
	"QR texts from standard input, one per line. Foreign codes (HC1: EU DCC,\n"
	"shc:/ SMART Health Cards; a chunked card's chunks one after the other)\n"
	"are verified against DIR/foreign.jws. `hc-verify sync --help`,\n"
	"`hc-verify status --help`, `hc-verify batch --help`,\n"
	"`hc-verify audit --help` and `hc-verify scan --help` describe the other\n"
	"commands.\n"
	"\n"
	"  --trust DIR          trust directory: roots/*.jwk, trustlist.jws,\n"
	"                       revocations/*.jws and foreign.jws\n"
	"  --text QRTEXT        verify this QR text (hc:/...); may be repeated\n"
	"  --at TIME            verify as of TIME: epoch seconds, RFC 3339\n"
	"                       (2026-11-23T08:00:00+08:00, ...Z) or YYYY-MM-DD\n"
	"                       (midnight China Standard Time, +08:00)\n"
	"  --skew SECONDS       clock skew allowed on not-before (default 300)\n"
	"  --any-status         accept yellow and red codes (default: green only)\n"
	"  --require-nat HOURS  require a negative test within HOURS hours\n"
	"  --require-doses N    require at least N vaccine doses\n"
	"  --grace DURATION     trust data older than its next_update plus this\n"
	"                       is stale (default 24h; e.g. 90m, 2d)\n"
	"  --strict             stale trust data fails every code (stale-trust)\n"
	"                       instead of adding a warning\n"
	"  --json               one JSON object per code instead of a line\n"
	"  --help               this text\n"
	"  --version            the version and the libraries'\n"
	"\n"
	"Exit status: 0 every code passed, 1 a code failed, 2 usage, I/O or\n"
	"configuration error.\n";

struct ctx {
	const struct hc_trust *trust;
	struct hc_verify_opts opts;
	bool json, show_src;
	int worst; /* exit status so far */
	/* the chunks of one shc:/I/N/ code read so far, one per line */
	char pend[HC_MAX_SHC_TEXT + 1];
	size_t plen;
	unsigned pgot, ptotal;
	bool pover;
	char psrc[64];
};

static void note_exit(struct ctx *x, int code)
{
	if (code > x->worst)
		x->worst = code;
}

static void add_str(cJSON *o, const char *k, const char *v, bool ok)
{
	char safe[512];

	if (!ok) {
		cJSON_AddNullToObject(o, k);
		return;
	}
	hc_display_safe(v, safe, sizeof(safe));
	cJSON_AddStringToObject(o, k, safe);
}

static void print_json(const char *src, const struct hc_result *r, const char *detail)
{
	cJSON *o = cJSON_CreateObject(), *why;
	char *s = NULL;
	bool v = r->verified;

	if (!o)
		return;
	add_str(o, "input", src, true);
	cJSON_AddStringToObject(o, "verdict", r->err == HC_OK ? "pass" : "fail");
	cJSON_AddStringToObject(o, "reason", hc_reason(r->err));
	add_str(o, "detail", detail, true);
	add_str(o, "status", hc_status_name(r->c.st), v);
	add_str(o, "iss", r->c.iss, v);
	add_str(o, "issuer", r->issuer_name, v);
	add_str(o, "region", r->region, v);
	add_str(o, "kid", r->kid, v);
	if (v) {
		cJSON_AddNumberToObject(o, "iat", (double)r->c.iat);
		cJSON_AddNumberToObject(o, "exp", (double)r->c.exp);
	} else {
		cJSON_AddNullToObject(o, "iat");
		cJSON_AddNullToObject(o, "exp");
	}
	add_str(o, "jti", r->c.jti, v);
	add_str(o, "name", r->c.name, v);
	add_str(o, "id", r->c.id, v);
	if (v && (why = cJSON_AddArrayToObject(o, "why")))
		for (size_t i = 0; i < r->c.nwhy; i++) {
			char safe[3 * HC_WHY_LEN];

			hc_display_safe(r->c.why[i], safe, sizeof(safe));
			cJSON_AddItemToArray(why, cJSON_CreateString(safe));
		}
	else if (!v)
		cJSON_AddNullToObject(o, "why");
	if ((why = cJSON_AddArrayToObject(o, "warnings")) && r->stale)
		cJSON_AddItemToArray(why, cJSON_CreateString("stale-trust"));
	if ((s = cJSON_PrintUnformatted(o)))
		printf("%s\n", s);
	free(s);
	cJSON_Delete(o);
}

static void print_line(const char *src, const struct hc_result *r, const char *detail)
{
	char name[256], id[128], iss[256], region[64], when[32], sd[1024];

	if (src) {
		hc_display_safe(src, sd, sizeof(sd));
		printf("%s: ", sd);
	}
	if (r->err == HC_OK) {
		printf("PASS %s", hc_status_name(r->c.st));
	} else {
		/* the detail may quote untrusted bytes (alg, member names) */
		hc_display_safe(detail, sd, sizeof(sd));
		printf("FAIL %s: %s", hc_reason(r->err), sd);
	}
	if (r->verified) {
		hc_display_safe(r->c.name, name, sizeof(name));
		hc_display_safe(r->c.id, id, sizeof(id));
		hc_display_safe(r->issuer_name, iss, sizeof(iss));
		hc_display_safe(r->region, region, sizeof(region));
		hc_time_format(r->c.exp, when, sizeof(when));
		if (r->err != HC_OK)
			printf("  | %s", hc_status_name(r->c.st));
		printf("  %s  %s  issuer: %s (%s)  expires %s", name, id, iss, region, when);
	}
	if (r->stale)
		printf("  WARNING stale-trust");
	putchar('\n');
}

static void report(struct ctx *x, const char *src, const struct hc_result *r)
{
	char detail[320];
	const char *d = hc_detail();

	(void)snprintf(detail, sizeof(detail), "%s%s%s%s", hc_strerror(r->err), d[0] ? " (" : "",
		       d, d[0] ? ")" : "");
	if (x->json)
		print_json(src, r, detail);
	else
		print_line(x->show_src ? src : NULL, r, detail);
	(void)fflush(stdout); /* errors: checked once in main */
	note_exit(x, r->err == HC_OK ? 0 : hc_err_is_verdict(r->err) ? EXIT_FAIL : EXIT_USAGE);
}

/* Whether a foreign verdict came after the signature verified (what the
 * code says is then shown). */
static bool foreign_verified(hc_err err, const struct hc_foreign_result *r)
{
	return r->verified && (err == HC_OK || err == HC_ERR_NOT_YET_VALID || err == HC_ERR_EXPIRED ||
				err == HC_ERR_REVOKED || err == HC_ERR_REQ_NAT ||
				err == HC_ERR_REQ_DOSES || err == HC_ERR_STALE_TRUST);
}

static const char *foreign_type(char t)
{
	return t == 'v' ? "vaccination" : t == 't' ? "test" : t == 'r' ? "recovery" : "other";
}

static void foreign_json(const char *src, hc_err err, const struct hc_foreign_result *r, bool stale,
			 const char *detail)
{
	cJSON *o = cJSON_CreateObject(), *sum = NULL, *w;
	bool v = foreign_verified(err, r);
	char *s = NULL;

	if (!o)
		return;
	add_str(o, "input", src, true);
	cJSON_AddStringToObject(o, "verdict", err == HC_OK ? "pass" : "fail");
	cJSON_AddStringToObject(o, "reason", hc_reason(err));
	add_str(o, "detail", detail, true);
	cJSON_AddStringToObject(o, "format", r->fmt == HC_FMT_DCC ? "dcc" : "shc");
	add_str(o, "issuer", r->issuer, v);
	add_str(o, "issuer_name", r->issuer_name, v && r->issuer_name[0]);
	add_str(o, "type", foreign_type(r->type), v);
	if (v && (sum = cJSON_AddObjectToObject(o, "summary"))) {
		if (r->type == 'v') {
			cJSON_AddNumberToObject(sum, "doses", (double)r->doses);
			if (r->doses_total)
				cJSON_AddNumberToObject(sum, "doses_total", (double)r->doses_total);
			add_str(sum, "date", r->vac_date, true);
		} else if (r->type == 't') {
			add_str(sum, "test_type", r->test_type, true);
			cJSON_AddStringToObject(sum, "result",
						r->test_negative ? "negative" : "not negative");
			if (r->test_at)
				cJSON_AddNumberToObject(sum, "at", (double)r->test_at);
		} else if (r->type == 'r') {
			add_str(sum, "from", r->rec_from, true);
			add_str(sum, "until", r->rec_until, true);
		}
	} else if (!v) {
		cJSON_AddNullToObject(o, "summary");
	}
	add_str(o, "name", r->name, v);
	add_str(o, "dob", r->dob, v);
	if (v) {
		cJSON_AddNumberToObject(o, "iat", (double)r->iat);
		if (r->exp)
			cJSON_AddNumberToObject(o, "exp", (double)r->exp);
		else
			cJSON_AddNullToObject(o, "exp");
	} else {
		cJSON_AddNullToObject(o, "iat");
		cJSON_AddNullToObject(o, "exp");
	}
	if ((w = cJSON_AddArrayToObject(o, "warnings")) && stale)
		cJSON_AddItemToArray(w, cJSON_CreateString("stale-trust"));
	if ((s = cJSON_PrintUnformatted(o)))
		printf("%s\n", s);
	free(s);
	cJSON_Delete(o);
}

static void foreign_line(const char *src, hc_err err, const struct hc_foreign_result *r, bool stale,
			 const char *detail)
{
	char a[64], c[64], sd[1024];

	if (src) {
		hc_display_safe(src, sd, sizeof(sd));
		printf("%s: ", sd);
	}
	if (err == HC_OK) {
		printf("PASS %s", r->fmt == HC_FMT_DCC ? "dcc" : "shc");
	} else {
		hc_display_safe(detail, sd, sizeof(sd));
		printf("FAIL %s: %s", hc_reason(err), sd);
	}
	if (foreign_verified(err, r)) {
		/* the result's strings are neutralised already */
		if (err != HC_OK)
			printf("  | %s", r->fmt == HC_FMT_DCC ? "dcc" : "shc");
		printf(" %s  %s  %s  issuer: %s%s%s%s", foreign_type(r->type), r->name, r->dob,
		       r->issuer_name[0] ? r->issuer_name : r->issuer, r->issuer_name[0] ? " (" : "",
		       r->issuer_name[0] ? r->issuer : "", r->issuer_name[0] ? ")" : "");
		if (r->type == 'v') {
			printf("  doses %lld", (long long)r->doses);
			if (r->doses_total)
				printf("/%lld", (long long)r->doses_total);
			printf(" last %s", r->vac_date);
		} else if (r->type == 't') {
			a[0] = '\0';
			if (r->test_at)
				hc_time_format(r->test_at, a, sizeof(a));
			printf("  test %s %s%s%s", r->test_type,
			       r->test_negative ? "negative" : "not negative", a[0] ? " at " : "", a);
		} else if (r->type == 'r') {
			printf("  recovered, valid %s to %s", r->rec_from, r->rec_until);
		}
		if (r->exp) {
			hc_time_format(r->exp, c, sizeof(c));
			printf("  expires %s", c);
		}
	}
	if (stale)
		printf("  WARNING stale-trust");
	putchar('\n');
}

static void check_foreign(struct ctx *x, const char *src, const char *text, size_t n)
{
	struct hc_foreign_result r;
	char detail[320];
	const char *d;
	bool stale = hc_trust_stale(x->trust, &x->opts);
	hc_err err = hc_foreign_verify(x->trust, text, n, &x->opts, &r);

	d = hc_detail();
	(void)snprintf(detail, sizeof(detail), "%s%s%s%s", hc_strerror(err), d[0] ? " (" : "", d,
		       d[0] ? ")" : "");
	if (x->json)
		foreign_json(src, err, &r, stale, detail);
	else
		foreign_line(x->show_src ? src : NULL, err, &r, stale, detail);
	(void)fflush(stdout); /* errors: checked once in main */
	note_exit(x, err == HC_OK ? 0 : hc_err_is_verdict(err) ? EXIT_FAIL : EXIT_USAGE);
}

static void check_one(struct ctx *x, const char *src, const char *text, size_t n)
{
	struct hc_result r;

	if (hc_foreign_format_of(text, n) != HC_FMT_DOMESTIC) {
		check_foreign(x, src, text, n);
		return;
	}
	hc_verify_qr(x->trust, text, n, &x->opts, &r);
	report(x, src, &r);
}

/* The chunks held so far, complete or not, verified as one code. */
static void flush_chunks(struct ctx *x)
{
	if (x->pgot == 0)
		return;
	if (x->pover) {
		struct hc_foreign_result r;
		char detail[160];

		memset(&r, 0, sizeof(r));
		r.fmt = HC_FMT_SHC;
		(void)snprintf(detail, sizeof(detail), "%s (the chunks are more than %u bytes)",
			       hc_strerror(HC_ERR_TOO_LARGE), HC_MAX_SHC_TEXT);
		if (x->json)
			foreign_json(x->psrc, HC_ERR_TOO_LARGE, &r, false, detail);
		else
			foreign_line(x->show_src ? x->psrc : NULL, HC_ERR_TOO_LARGE, &r, false, detail);
		note_exit(x, EXIT_FAIL);
	} else {
		check_foreign(x, x->psrc, x->pend, x->plen);
	}
	x->plen = 0;
	x->pgot = x->ptotal = 0;
	x->pover = false;
}

/* One QR text. The chunks of a chunked SMART Health Card (shc:/I/N/...)
 * are collected, one after the other, into one code: verified when N are
 * held, or when a text of another code or the end of the input comes
 * first (then it fails as incomplete). */
static void check_text(struct ctx *x, const char *src, const char *text, size_t n)
{
	unsigned i, total;

	if (!hc_shc_chunk(text, n, &i, &total) || total < 2 || memchr(text, '\n', n)) {
		flush_chunks(x);
		check_one(x, src, text, n);
		return;
	}
	if (x->pgot && x->ptotal != total)
		flush_chunks(x);
	if (x->pgot == 0) {
		(void)snprintf(x->psrc, sizeof(x->psrc), "%s", src);
		x->ptotal = total;
	}
	if (x->plen + n + 1 > HC_MAX_SHC_TEXT)
		x->pover = true;
	else {
		memcpy(x->pend + x->plen, text, n);
		x->plen += n;
		x->pend[x->plen++] = '\n';
		x->pend[x->plen] = '\0';
	}
	if (++x->pgot == total)
		flush_chunks(x);
}

/* A result for an input that held no code to verify. */
static void report_err(struct ctx *x, const char *src, hc_err err)
{
	struct hc_result r;

	memset(&r, 0, sizeof(r));
	r.err = err;
	r.stale = hc_trust_stale(x->trust, &x->opts);
	report(x, src, &r);
}

static void check_image(struct ctx *x, const char *path)
{
	struct hc_scan s;
	hc_err err;

	hc_set_detail(NULL);
	if ((err = hc_scan_file(path, &s)) != HC_OK) {
		if (err == HC_ERR_IO || err == HC_ERR_NOMEM) {
			const char *d = hc_detail();

			fprintf(stderr, "hc-verify: %s: %s\n", path, d[0] ? d : hc_strerror(err));
			note_exit(x, EXIT_USAGE);
			return;
		}
		report_err(x, path, err);
		return;
	}
	for (size_t i = 0; i < s.n; i++)
		check_text(x, path, s.texts[i], s.lens[i]);
	flush_chunks(x);
	hc_scan_clear(&s);
}

static void check_stdin(struct ctx *x)
{
	char line[HC_MAX_DCC_TEXT + 1]; /* HC1: texts may be longer than ours */
	unsigned long no = 0;
	int c = 0;

	/* Byte by byte, not fgets: a NUL byte in a line must not hide the
	 * rest of it, nor make the next line look like its tail. */
	while (c != EOF) {
		size_t n = 0;
		bool over = false;
		char src[32];

		while ((c = getchar()) != EOF && c != '\n') {
			if (n < sizeof(line))
				line[n++] = (char)c;
			else
				over = true;
		}
		if (c == EOF && n == 0)
			break;
		no++;
		(void)snprintf(src, sizeof(src), "stdin:%lu", no);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (over || (n > HC_MAX_QR_TEXT &&
			     hc_foreign_format_of(line, n) != HC_FMT_DCC)) {
			hc_set_detail("line longer than %d bytes (%u for HC1:)", HC_MAX_QR_TEXT,
				      HC_MAX_DCC_TEXT);
			report_err(x, src, HC_ERR_TOO_LARGE);
			continue;
		}
		if (n == 0)
			continue;
		check_text(x, src, line, n);
	}
	flush_chunks(x);
	if (ferror(stdin)) {
		fprintf(stderr, "hc-verify: error reading standard input\n");
		note_exit(x, EXIT_USAGE);
	}
}

const char *verifier_prog = "hc-verify";

void verifier_err(const char *what, hc_err err)
{
	char d[512];

	hc_display_safe(hc_detail(), d, sizeof(d));
	fprintf(stderr, "%s: %s: %s%s%s\n", verifier_prog, what, hc_strerror(err), d[0] ? ": " : "", d);
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"trust", required_argument, NULL, 't'},
		{"text", required_argument, NULL, 'x'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		VERIFY_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const char *texts[MAX_TEXTS], *trust_dir = NULL;
	struct hc_trust *trust = NULL;
	unsigned char seen[256] = {0};
	static struct ctx x; /* holds a buffer for shc:/ chunks */
	size_t ntext = 0;
	hc_err err;
	int c;

	memset(&x, 0, sizeof(x));
	hc_verify_opts_init(&x.opts);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int vo;

		if (c != 'x' && c != '?' && seen[c]++) {
			fprintf(stderr, "hc-verify: option given twice\n");
			return EXIT_USAGE;
		}
		if ((vo = verify_option(c, optarg, &x.opts)) != 0) {
			if (vo < 0)
				return EXIT_USAGE;
			continue;
		}
		switch (c) {
		case 't': trust_dir = optarg; break;
		case 'x':
			if (ntext == MAX_TEXTS) {
				fprintf(stderr, "hc-verify: more than %d --text\n", MAX_TEXTS);
				return EXIT_USAGE;
			}
			texts[ntext++] = optarg;
			break;
		case 'j': x.json = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	if (!trust_dir || (ntext == 0 && optind == argc)) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if ((err = hc_trust_load_ex(trust_dir, HC_TRUST_WRITE_INDEX | HC_TRUST_LAZY_REVOCATIONS,
				    &trust)) != HC_OK) {
		verifier_err(trust_dir, err);
		return EXIT_USAGE;
	}
	x.trust = trust;
	x.show_src = ntext + (size_t)(argc - optind) > 1;
	for (size_t i = 0; i < ntext; i++)
		check_text(&x, "text", texts[i], strlen(texts[i]));
	flush_chunks(&x);
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			x.show_src = true;
			check_stdin(&x);
		} else {
			check_image(&x, argv[i]);
		}
	}
	hc_trust_free(trust);
	return x.worst;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} cmds[] = {
	{"audit", cmd_audit},
	{"batch", cmd_batch},
	{"scan", cmd_scan},
	{"sync", cmd_sync},
	{"status", cmd_status},
};

static int dispatch(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		hc_version_print(stdout, "hc-verify", NULL);
		return 0;
	}
	for (size_t i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	return cmd_verify(argc, argv);
}

/* Output that could not be written (a full disk, a closed pipe) is a
 * failure, never a silent success. */
int main(int argc, char **argv)
{
	return hc_stdout_status("hc-verify", dispatch(argc, argv));
}
