/* hc-issue: builds a person's status from a record, signs it as a health
 * code and prints it as QR text and images (PNG, SVG, terminal). */
/* syncfs(2), for a batch's images, is a GNU extension. */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): glibc's feature macro */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_image.h"
#include "hc_json.h"
#include "hc_policy.h"
#include "hc_sign.h"
#include "hc_token.h"
#include "hc_trust.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

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
	"\n"
	"Exit status: 0 success, 1 a record was refused, 2 usage, I/O or key error.\n";

struct issuer {
	struct hc_privkey *key;
	struct hc_pubkey *pub;
	struct hc_policy *pol;
	struct hc_risk *risk;
	const char *iss;
	int64_t at, validity;
	int64_t max_validity; /* the trust list's bound for iss, or the default */
	int scale;
};

static void perr(const char *what, hc_err err)
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
static hc_err issue(const struct issuer *is, const char *json, size_t n, char **tok,
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

/* A batch's images are written, without an fsync each, into a staging
 * directory DIR/.hc-issue.XXXXXX, and committed in groups of up to
 * GROUP lines: one syncfs makes the group's images durable, each is
 * renamed into DIR by its name, and DIR is fsynced; only then do the
 * group's lines go to standard output and to the records file. So a
 * line that was printed or recorded has its image whole under its final
 * name, whatever stops the batch, and a file under a final name is
 * always whole. A batch killed before a group's commit leaves that
 * group's images, which nothing names yet, in the staging directory. */
#define GROUP 256

struct stage {
	char path[4096];
	const char *dir;
	int dirfd, fd;
	unsigned long no[GROUP]; /* the group's staged images by line */
	size_t n;
	bool failed; /* a commit failed: the staging directory is kept */
};

static hc_err stage_open(struct stage *st, const char *dir)
{
	st->dir = dir;
	st->dirfd = st->fd = -1;
	st->n = 0;
	st->failed = false;
	if (hc_path(st->path, sizeof(st->path), "%s/.hc-issue.XXXXXX", dir) != HC_OK)
		return HC_ERR_INVALID_ARG;
	if ((st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    !mkdtemp(st->path)) {
		hc_set_detail("%s: %s", dir, strerror(errno));
		return HC_ERR_IO;
	}
	if ((st->fd = open(st->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		hc_set_detail("%s: %s", st->path, strerror(errno));
		(void)rmdir(st->path);
		return HC_ERR_IO;
	}
	return HC_OK;
}

static void stage_name(char *name, size_t n, unsigned long no)
{
	(void)snprintf(name, n, "%06lu.png", no);
}

/* Line no's PNG into the staging directory (removed again on failure). */
static hc_err stage_put(struct stage *st, unsigned long no, const uint8_t *p, size_t n)
{
	char name[32];
	int fd;

	stage_name(name, sizeof(name), no);
	if ((fd = openat(st->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) == -1 ||
	    fchmod(fd, 0644) == -1)
		goto fail;
	if (hc_write_all(fd, p, n) != HC_OK)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	st->no[st->n++] = no;
	return HC_OK;
fail:
	hc_set_detail("%s/%s: %s", st->dir, name, strerror(errno));
	if (fd != -1)
		(void)close(fd);
	(void)unlinkat(st->fd, name, 0);
	return HC_ERR_IO;
}

/* The group's images durable, then in DIR, then DIR durable. On a
 * failure the images not yet moved stay in the staging directory (none
 * is ever removed: its line may still be recovered) and the batch stops. */
static hc_err stage_commit(struct stage *st)
{
	char name[32];

	if (st->n == 0)
		return HC_OK;
	if (syncfs(st->fd) == -1) {
		hc_set_detail("%s: syncfs: %s", st->path, strerror(errno));
		goto fail;
	}
	for (size_t i = 0; i < st->n; i++) {
		stage_name(name, sizeof(name), st->no[i]);
		if (renameat(st->fd, name, st->dirfd, name) == -1) {
			hc_set_detail("%s/%s: %s", st->dir, name, strerror(errno));
			goto fail;
		}
	}
	if (fsync(st->dirfd) == -1) {
		hc_set_detail("%s: %s", st->dir, strerror(errno));
		goto fail;
	}
	st->n = 0;
	return HC_OK;
fail:
	st->failed = true;
	return HC_ERR_IO;
}

/* The staging directory removed (empty after the last commit, or after
 * a batch that staged nothing), unless a commit failed. */
static void stage_close(struct stage *st)
{
	if (!st->failed && st->n == 0 && rmdir(st->path) == -1)
		fprintf(stderr, "hc-issue: %s: %s\n", st->path, strerror(errno));
	if (st->failed || st->n > 0)
		fprintf(stderr, "hc-issue: the images of lines not printed are in %s\n", st->path);
	(void)close(st->fd);
	(void)close(st->dirfd);
	st->fd = st->dirfd = -1;
}

struct outputs {
	const char *png, *svg;
	struct stage *stage; /* batch: png staged there for line no */
	unsigned long no;
	FILE *out; /* where the code's text goes */
	bool terminal, jws;
};

static hc_err emit(const struct issuer *is, const char *tok, const struct outputs *o)
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

/* The issuance record of one batch line: what the office keeps to find,
 * and revoke, the code issued for it (never the person's data). */
static bool put_record(FILE *rf, unsigned long no, hc_err err, const struct hc_claims *c,
		       const char *png)
{
	cJSON *o = cJSON_CreateObject(), *why;
	char *s = NULL;
	bool ok = false;

	if (!o || !cJSON_AddNumberToObject(o, "line", (double)no))
		goto out;
	if (err != HC_OK) {
		if (!cJSON_AddStringToObject(o, "refused", hc_reason(err)) ||
		    !cJSON_AddStringToObject(o, "detail", hc_detail()))
			goto out;
	} else {
		if (!cJSON_AddStringToObject(o, "jti", c->jti) ||
		    !cJSON_AddStringToObject(o, "status", hc_status_name(c->st)) ||
		    !(why = cJSON_AddArrayToObject(o, "why")))
			goto out;
		for (size_t i = 0; i < c->nwhy; i++)
			if (!cJSON_AddItemToArray(why, cJSON_CreateString(c->why[i])))
				goto out;
		if (!cJSON_AddNumberToObject(o, "iat", (double)c->iat) ||
		    !cJSON_AddNumberToObject(o, "exp", (double)c->exp) ||
		    (png && !cJSON_AddStringToObject(o, "png", png)))
			goto out;
	}
	if (hc_json_print(o, &s) == HC_OK && fprintf(rf, "%s\n", s) > 0)
		ok = true;
out:
	free(s);
	cJSON_Delete(o);
	return ok;
}

/* A group's lines, held until its images are committed (--png-dir). */
struct held {
	FILE *out, *rec;
	char *obuf, *rbuf;
	size_t olen, rlen;
};

static bool held_open(struct held *h)
{
	h->obuf = h->rbuf = NULL;
	h->out = open_memstream(&h->obuf, &h->olen);
	h->rec = open_memstream(&h->rbuf, &h->rlen);
	return h->out && h->rec;
}

/* Closes the group's streams; their bytes go to stdout and rf when
 * flush (the group's images are in place), else nowhere. */
static bool held_close(struct held *h, bool flush, FILE *rf)
{
	bool ok = true;

	if (h->out && fclose(h->out) != 0)
		ok = false;
	if (h->rec && fclose(h->rec) != 0)
		ok = false;
	h->out = h->rec = NULL;
	if (ok && flush) {
		if (h->olen && fwrite(h->obuf, 1, h->olen, stdout) != h->olen)
			ok = false;
		if (rf && h->rlen && fwrite(h->rbuf, 1, h->rlen, rf) != h->rlen)
			ok = false;
	}
	free(h->obuf);
	free(h->rbuf);
	h->obuf = h->rbuf = NULL;
	return ok;
}

static int run_batch(const struct issuer *is, const char *path, const char *pngdir, bool jws,
		     const char *recpath)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r"), *rf = NULL;
	struct stage st = {.dirfd = -1, .fd = -1};
	struct held h = {0};
	char *line = NULL;
	size_t cap = 0, ingroup = 0;
	ssize_t n;
	unsigned long no = 0, bad = 0, done = 0, by[3] = {0, 0, 0};
	int rc = 0;

	if (!f) {
		perror(path);
		return EXIT_USAGE;
	}
	if (pngdir && stage_open(&st, pngdir) != HC_OK) {
		perr("--png-dir", HC_ERR_IO);
		if (f != stdin)
			(void)fclose(f);
		return EXIT_USAGE;
	}
	/* Records are never overwritten: they are how the office finds the
	 * codes of an earlier batch. */
	if (recpath && !(rf = fopen(recpath, "wx"))) {
		fprintf(stderr, "hc-issue: --records %s: %s\n", recpath,
			errno == EEXIST ? "exists (records are never overwritten)" : strerror(errno));
		if (pngdir)
			stage_close(&st);
		if (f != stdin)
			(void)fclose(f);
		return EXIT_USAGE;
	}
	for (;;) {
		struct outputs o = {.jws = jws, .stage = pngdir ? &st : NULL};
		struct hc_claims c;
		char png[4096], where[64];
		char *tok = NULL;
		FILE *out = stdout, *rec = rf;
		hc_err err;

		/* A group ends at GROUP lines or at the end of the input: its
		 * images in place, then its lines out. */
		if (pngdir && ingroup == GROUP) {
			if (stage_commit(&st) != HC_OK) {
				perr("--png-dir: images not in place", HC_ERR_IO);
				(void)held_close(&h, false, rf);
				rc = EXIT_USAGE;
				break;
			}
			if (!held_close(&h, true, rf) && rc == 0) {
				fprintf(stderr, "hc-issue: cannot write the output\n");
				rc = EXIT_USAGE;
			}
			done = no;
			ingroup = 0;
		}
		if ((n = getline(&line, &cap, f)) == -1)
			break;
		if (pngdir && ingroup == 0 && !held_open(&h)) {
			fprintf(stderr, "hc-issue: out of memory\n");
			(void)held_close(&h, false, rf);
			rc = EXIT_USAGE;
			break;
		}
		if (pngdir) {
			out = h.out;
			rec = rf ? h.rec : NULL;
			ingroup++;
		}
		no++;
		memset(&c, 0, sizeof(c));
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		(void)snprintf(where, sizeof(where), "line %lu", no);
		o.png = pngdir ? png : NULL;
		o.no = no;
		o.out = out;
		err = pngdir ? hc_path(png, sizeof(png), "%s/%06lu.png", pngdir, no) : HC_OK;
		if (err == HC_OK && (size_t)n > HC_MAX_JSON_FILE)
			err = HC_ERR_TOO_LARGE;
		else if (err == HC_OK && (err = issue(is, line, (size_t)n, &tok, &c)) == HC_OK)
			err = emit(is, tok, &o);
		if (err != HC_OK) {
			perr(where, err);
			fputc('\n', out); /* keep output lines aligned with input lines */
			bad++;
		} else if ((unsigned)c.st < 3) {
			by[c.st]++;
		}
		if (rec && !put_record(rec, no, err, &c, o.png) && rc == 0) {
			fprintf(stderr, "hc-issue: --records %s: cannot write\n", recpath);
			rc = EXIT_USAGE;
		}
		free(tok);
	}
	if (pngdir && ingroup > 0 && rc == 0) {
		if (stage_commit(&st) != HC_OK) {
			perr("--png-dir: images not in place", HC_ERR_IO);
			(void)held_close(&h, false, rf);
			rc = EXIT_USAGE;
		} else {
			if (!held_close(&h, true, rf)) {
				fprintf(stderr, "hc-issue: cannot write the output\n");
				rc = EXIT_USAGE;
			}
			done = no;
		}
	} else if (pngdir && ingroup > 0) {
		(void)held_close(&h, false, rf);
	}
	free(line);
	if (ferror(f)) {
		fprintf(stderr, "hc-issue: %s: read error\n", path);
		rc = EXIT_USAGE;
	}
	if (f != stdin)
		(void)fclose(f); /* read only: every read error was seen by ferror */
	if (pngdir) {
		stage_close(&st);
		if (done < no)
			fprintf(stderr, "hc-issue: lines %lu to %lu were not printed or recorded\n",
				done + 1, no);
	}
	if (rf && (fflush(rf) != 0 || fsync(fileno(rf)) != 0 || ferror(rf))) {
		fprintf(stderr, "hc-issue: --records %s: cannot write\n", recpath);
		rc = EXIT_USAGE;
	}
	if (rf && fclose(rf) != 0 && rc == 0) {
		fprintf(stderr, "hc-issue: --records %s: cannot write\n", recpath);
		rc = EXIT_USAGE;
	}
	fprintf(stderr, "hc-issue: %lu records: %lu issued (%lu green, %lu yellow, %lu red)", no,
		no - bad, by[HC_ST_GREEN], by[HC_ST_YELLOW], by[HC_ST_RED]);
	if (bad)
		fprintf(stderr, "; %lu of %lu records refused", bad, no);
	fprintf(stderr, "%s%s\n", recpath ? "; records in " : "", recpath ? recpath : "");
	return rc ? rc : bad ? EXIT_FAIL : 0;
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
	return hc_stdout_status("hc-issue", issue_main(argc, argv));
}
