/* hc-issue: builds a person's status from a record, signs it as a health
 * code and prints it as QR text and images (PNG, SVG, terminal). This
 * file: the command line and one record (--record); --batch is in
 * hc-issue_batch.c. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc-issue_int.h"
#include "hc_image.h"
#include "hc_trust.h"
#include "hc_version.h"

static const char usage_text[] =
	"usage: hc-issue --key FILE --iss URL --record REC.json [options]\n"
	"       hc-issue --key FILE --iss URL --batch RECORDS.jsonl|- [--png-dir DIR] [options]\n"
	"\n"
	"  --key FILE          issuer private key (PEM P-256 or SM2, mode 0600), or a\n"
	"                      pkcs11: URI with ?pin-source=file:PATH (a token's key)\n"
	"  --iss URL           issuer identifier (https URL, no trailing slash)\n"
	"  --record FILE       one person's record (JSON)\n"
	"  --batch FILE        one record per line (JSON lines), - for stdin;\n"
	"                      one QR text per line on stdout (empty for a failed record)\n"
	"  --png-dir DIR       batch: write NNNNNN.png per line into DIR; 256 lines at\n"
	"                      a time, the images are made durable by one sync and\n"
	"                      moved into DIR before those lines are printed\n"
	"  --records FILE      write one JSON line per record to FILE (new):\n"
	"                      {line, jti, status, why, iat, exp, png} for a code,\n"
	"                      {line, refused, detail} for a refused record; the jti\n"
	"                      is what hc-keys revoke takes\n"
	"  --risk-areas FILE   risk-area list: the signed national list (risk-areas.jws,\n"
	"                      needs --trust: signed by one of its roots) or the\n"
	"                      unsigned JSON form; at most the policy's risk_max_age_h\n"
	"                      old; needed for a record with travel or visits in the\n"
	"                      policy's window\n"
	"  --policy FILE       policy file (JSON; default: built-in default-1)\n"
	"  --at TIME           issue as of TIME: epoch seconds, RFC 3339\n"
	"                      (2026-11-23T08:00:00+08:00, ...Z) or YYYY-MM-DD\n"
	"                      (midnight China Standard Time, +08:00)\n"
	"  --validity DUR      validity, e.g. 24h, at most 720h (default: the policy's)\n"
	"  --png FILE          write the QR code as PNG\n"
	"  --svg FILE          write the QR code as SVG\n"
	"  --scale N           PNG pixels per module (default 6)\n"
	"  --terminal          draw the QR code on the terminal\n"
	"  --jws               print the bare JWS instead of the QR text\n"
	"  --trust DIR         refuse to sign unless the key is an active key of\n"
	"                      --iss in DIR's trust list, inside its nbf..exp;\n"
	"                      codes are bounded by --iss's max_validity there\n"
	"                      (without --trust: 7 days, the default)\n"
	"  --help              this text\n"
	"  --version           the version and the libraries'\n"
	"\n"
	"Exit status: 0 success, 1 a record was refused, 2 usage, I/O or key error.\n";

void perr(const char *what, hc_err err)
{
	const char *d = hc_detail();

	fprintf(stderr, "hc-issue: %s: %s%s%s\n", what, hc_strerror(err), d[0] ? ": " : "", d);
}

/* With --trust: the key must be one of iss's keys there, active and inside
 * its window at the time of issue; a retired or revoked key no longer signs.
 * The issuer's max_validity there bounds the codes. */
static hc_err check_window(const char *dir, struct issuer *is)
{
	struct hc_trust *t = NULL;
	hc_err err;

	if ((err = hc_trust_load(dir, &t)) != HC_OK) {
		perr(dir, err);
		return err;
	}
	if ((err = hc_trust_signing_key_ok(t, is->iss, hc_privkey_kid(is->key), is->at)) != HC_OK)
		perr("refusing to sign", err);
	else
		is->max_validity = hc_trust_max_validity(t, is->iss);
	hc_trust_free(t);
	return err;
}

/* A risk-area list: JSON (the unsigned form) when it starts with '{', else
 * the signed national list, which must verify under a root of trustd. */
static hc_err load_risk(const char *trustd, const char *buf, size_t n, struct hc_risk **out)
{
	struct hc_trust *t = NULL;
	size_t i = 0;
	hc_err err;

	while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
		i++;
	if (i < n && buf[i] == '{')
		return hc_risk_parse(buf, n, out);
	if (!trustd) {
		hc_set_detail("a signed list is checked against the roots of --trust DIR: give it");
		return HC_ERR_RISK;
	}
	if ((err = hc_trust_load_roots(trustd, &t)) != HC_OK)
		return err;
	err = hc_risk_verify(t, buf, n, out);
	hc_trust_free(t);
	return err;
}

/* Record JSON -> signed, self-verified token, with its claims in c. */
hc_err issue(const struct issuer *is, const char *json, size_t n, char **tok,
	     struct hc_claims *cl)
{
	struct hc_record *rec = NULL;
	struct hc_claims c;
	hc_err err;

	*tok = NULL;
	memset(&c, 0, sizeof(c));
	if ((err = hc_record_parse(json, n, &rec)) != HC_OK ||
	    (err = hc_policy_apply(is->pol, rec, is->risk, is->at, is->validity, &c)) != HC_OK)
		goto out;
	if (c.exp - c.iat > is->max_validity) {
		/* every verifier would refuse it (validity-too-long) */
		hc_set_detail("valid %lld s, the issuer's max_validity is %lld s",
			      (long long)(c.exp - c.iat), (long long)is->max_validity);
		err = HC_ERR_VALIDITY;
		goto out;
	}
	(void)snprintf(c.iss, sizeof(c.iss), "%s", is->iss); /* length checked in main */
	err = hc_code_sign(is->key, is->pub, &c, tok);
	*cl = c;
out:
	hc_record_free(rec);
	return err;
}

hc_err emit(const struct issuer *is, const char *tok, const struct outputs *o)
{
	char text[HC_MAX_QR_TEXT + 8];
	struct hc_qrimg *q = NULL;
	hc_err err;

	if ((err = hc_qr_encode(HC_QR_PREFIX, tok, strlen(tok), text, sizeof(text))) != HC_OK)
		goto out;
	if (o->png || o->svg || o->terminal) {
		if ((err = hc_qrimg_make(text, &q)) != HC_OK)
			goto out;
	} else if (strlen(text) - strlen(HC_QR_PREFIX) > HC_QR_MAX_DIGITS) {
		err = HC_ERR_QR_TOO_BIG;
		goto out;
	}
	if (o->png && o->stage) {
		uint8_t *p = NULL;
		size_t n = 0;

		if ((err = hc_qrimg_png(q, is->scale, 4, &p, &n)) == HC_OK)
			err = stage_put(o->stage, o->no, p, n);
		free(p);
		if (err != HC_OK)
			goto out;
	} else if (o->png && (err = hc_qrimg_write_png(q, o->png, is->scale, 4)) != HC_OK) {
		goto out;
	}
	if (o->svg && (err = hc_qrimg_write_svg(q, o->svg, 4)) != HC_OK)
		goto out;
	if (o->terminal && (err = hc_qrimg_print(q, stderr, 2)) != HC_OK)
		goto out;
	fprintf(o->out ? o->out : stdout, "%s\n", o->jws ? tok : text);
out:
	hc_qrimg_free(q);
	return err;
}

static hc_err load_json_file(const char *path, size_t cap, uint8_t **buf, size_t *n)
{
	hc_err err = hc_read_file(path, cap, buf, n);

	if (err != HC_OK)
		perr(path, err);
	return err;
}

static int issue_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},     {"iss", required_argument, NULL, 'i'},
		{"record", required_argument, NULL, 'r'},  {"batch", required_argument, NULL, 'b'},
		{"png-dir", required_argument, NULL, 'D'}, {"risk-areas", required_argument, NULL, 'R'},
		{"policy", required_argument, NULL, 'p'},  {"at", required_argument, NULL, 'a'},
		{"validity", required_argument, NULL, 'v'}, {"png", required_argument, NULL, 'P'},
		{"svg", required_argument, NULL, 'S'},     {"scale", required_argument, NULL, 's'},
		{"terminal", no_argument, NULL, 'T'},      {"jws", no_argument, NULL, 'J'},
		{"trust", required_argument, NULL, 't'},   {"help", no_argument, NULL, 'h'},
		{"records", required_argument, NULL, 'O'},
		{NULL, 0, NULL, 0},
	};
	const char *keyf = NULL, *recf = NULL, *batch = NULL, *pngdir = NULL, *riskf = NULL,
		   *polf = NULL, *trustd = NULL, *recs = NULL;
	struct issuer is;
	struct outputs o;
	unsigned char seen[256] = {0};
	uint8_t *buf = NULL;
	size_t n;
	char *tok = NULL;
	struct hc_claims cl = {0};
	FILE *rf = NULL;
	int c, rc = EXIT_USAGE;
	hc_err err;

	memset(&is, 0, sizeof(is));
	memset(&o, 0, sizeof(o));
	is.at = hc_now();
	is.max_validity = HC_DEFAULT_MAX_VALIDITY;
	is.scale = 6;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c != '?' && seen[c]++) {
			fprintf(stderr, "hc-issue: option given twice\n");
			return EXIT_USAGE;
		}
		switch (c) {
		case 'k': keyf = optarg; break;
		case 'i': is.iss = optarg; break;
		case 'r': recf = optarg; break;
		case 'b': batch = optarg; break;
		case 'D': pngdir = optarg; break;
		case 'O': recs = optarg; break;
		case 'R': riskf = optarg; break;
		case 'p': polf = optarg; break;
		case 'a':
			if (hc_time_parse(optarg, &is.at) != HC_OK) {
				fprintf(stderr, "hc-issue: --at: invalid time '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'v':
			if (hc_duration_parse(optarg, &is.validity) != HC_OK ||
			    is.validity > HC_POLICY_MAX_VALIDITY) {
				fprintf(stderr,
					"hc-issue: --validity: invalid duration '%s' (1s to 720h)\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'P': o.png = optarg; break;
		case 'S': o.svg = optarg; break;
		case 's': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 64) {
				fprintf(stderr, "hc-issue: --scale: 1 to 64\n");
				return EXIT_USAGE;
			}
			is.scale = (int)v;
			break;
		}
		case 'T': o.terminal = true; break;
		case 't': trustd = optarg; break;
		case 'J': o.jws = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	if (!keyf || !is.iss || optind != argc || (!recf == !batch) ||
	    (batch && (o.png || o.svg || o.terminal)) || (pngdir && !batch)) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	n = strlen(is.iss);
	if (n < 9 || n > 255 || strncmp(is.iss, "https://", 8) != 0 || is.iss[n - 1] == '/') {
		fprintf(stderr, "hc-issue: --iss must be an https URL without a trailing slash\n");
		return EXIT_USAGE;
	}
	if ((err = hc_privkey_load(keyf, &is.key)) != HC_OK ||
	    (err = hc_privkey_public(is.key, &is.pub)) != HC_OK) {
		perr(keyf, err);
		goto out;
	}
	if (trustd && check_window(trustd, &is) != HC_OK)
		goto out;
	if (!trustd)
		fprintf(stderr, "hc-issue: warning: without --trust, the key's status and window in "
				"the trust list are not checked (a code signed outside them fails "
				"at every checkpoint)\n");
	if (is.validity > is.max_validity) {
		fprintf(stderr, "hc-issue: --validity: longer than the issuer's max_validity (%lld s%s)\n",
			(long long)is.max_validity, trustd ? "" : ", the default without --trust");
		goto out;
	}
	if (polf) {
		if (load_json_file(polf, HC_MAX_JSON_FILE, &buf, &n) != HC_OK)
			goto out;
		err = hc_policy_parse((const char *)buf, n, &is.pol);
		free(buf);
		buf = NULL;
		if (err != HC_OK) {
			perr(polf, err);
			goto out;
		}
	} else if ((err = hc_policy_default(&is.pol)) != HC_OK) {
		perr("policy", err);
		goto out;
	}
	if (riskf) {
		if (load_json_file(riskf, HC_MAX_RISK_JWS, &buf, &n) != HC_OK)
			goto out;
		err = load_risk(trustd, (const char *)buf, n, &is.risk);
		free(buf);
		buf = NULL;
		/* A list too old (or too new) for the time of issue fails every
		 * record alike: say so once. */
		if (err == HC_OK)
			err = hc_policy_risk_check(is.pol, is.risk, is.at);
		if (err != HC_OK) {
			perr(riskf, err);
			goto out;
		}
	}
	if (pngdir) {
		struct stat st;

		if (stat(pngdir, &st) == -1 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "hc-issue: --png-dir %s: not a directory\n", pngdir);
			goto out;
		}
	}
	if (batch) {
		rc = run_batch(&is, batch, pngdir, o.jws, recs);
		goto out;
	}
	if (load_json_file(recf, HC_MAX_JSON_FILE, &buf, &n) != HC_OK)
		goto out;
	if (recs && !(rf = fopen(recs, "wx"))) {
		fprintf(stderr, "hc-issue: --records %s: %s\n", recs,
			errno == EEXIST ? "exists (records are never overwritten)" : strerror(errno));
		goto out;
	}
	if ((err = issue(&is, (const char *)buf, n, &tok, &cl)) != HC_OK) {
		perr(recf, err);
		rc = err == HC_ERR_NOMEM || err == HC_ERR_CRYPTO ? EXIT_USAGE : EXIT_FAIL;
	} else if ((err = emit(&is, tok, &o)) != HC_OK) {
		perr("output", err);
	} else {
		rc = 0;
	}
	if (rf && (!put_record(rf, 1, err, &cl, o.png) || fflush(rf) != 0 || fsync(fileno(rf)) != 0)) {
		fprintf(stderr, "hc-issue: --records %s: cannot write\n", recs);
		rc = EXIT_USAGE;
	}
out:
	if (rf && fclose(rf) != 0 && rc == 0) {
		fprintf(stderr, "hc-issue: --records %s: cannot write\n", recs);
		rc = EXIT_USAGE;
	}
	free(buf);
	free(tok);
	hc_risk_free(is.risk);
	hc_policy_free(is.pol);
	hc_pubkey_free(is.pub);
	hc_privkey_free(is.key);
	return rc;
}

/* Output that could not be written (a full disk, a closed pipe) is a
 * failure, never a silent success. */
int main(int argc, char **argv)
{
	/* Every PNG allocates zlib's state (about 300 KB) and frees it; glibc
	 * would give that top of the heap back to the kernel each time and
	 * fault it in again for the next image, which cost a batch more CPU
	 * time (in the kernel) than all the images' encoding. 16 MB of free
	 * heap may stay. */
	(void)mallopt(M_TRIM_THRESHOLD, 16 << 20);
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		hc_version_print(stdout, "hc-issue", NULL);
		return hc_stdout_status("hc-issue", 0);
	}
	return hc_stdout_status("hc-issue", issue_main(argc, argv));
}
