/* hc-issue_batch.c: hc-issue --batch: one code a record line, each
 * line's PNG staged and committed with its group (--png-dir), and the
 * issuance records (--records). */
/* syncfs(2), for a batch's images, is a GNU extension. */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): glibc's feature macro */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_json.h"
#include "hc-issue_int.h"

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
hc_err stage_put(struct stage *st, unsigned long no, const uint8_t *p, size_t n)
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
/* The issuance record of one batch line: what the office keeps to find,
 * and revoke, the code issued for it (never the person's data). */
bool put_record(FILE *rf, unsigned long no, hc_err err, const struct hc_claims *c,
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

int run_batch(const struct issuer *is, const char *path, const char *pngdir, bool jws,
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

