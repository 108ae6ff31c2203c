/* audit.c: the writer half of the audit chain: entry lines, signed heads and
 * the append-only segment files under DIR/audit/ (doc/FORMATS.md, "Audit
 * chain"). The checking half is audit_check.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_int.h"
#include "hc_json.h"
#include "hc_sign.h"

/* The bytes a full segment may hold. */
#define SEGMENT_CAP ((size_t)HC_AUDIT_SEGMENT * (HC_MAX_AUDIT_LINE + 1))

hc_err hc_audit_head_sign(struct hc_privkey *k, const char *iss, int64_t seq,
			  const uint8_t hash[32], int64_t at, char **jws)
{
	char buf[512], h[44], tail[160];
	size_t len = 0;
	hc_err err;

	*jws = NULL;
	if (seq < 1 || seq > HC_AUDIT_MAX_INT || at < -HC_AUDIT_MAX_INT || at > HC_AUDIT_MAX_INT ||
	    !iss || !*iss || strlen(iss) > 255 || !hc__audit_text_ok(iss)) {
		hc_set_detail("audit head: seq or at out of range, or a bad iss");
		return HC_ERR_INVALID_ARG;
	}
	if ((err = hc_b64u_encode(hash, 32, h, sizeof(h))) != HC_OK)
		return err;
	(void)snprintf(tail, sizeof(tail),
		       ",\"seq\":%" PRId64 ",\"hash\":\"%s\",\"at\":%" PRId64 "}", seq, h, at);
	if (!hc_append(buf, sizeof(buf), &len, "{\"iss\":") ||
	    !hc_json_put_str(buf, sizeof(buf), &len, iss) ||
	    !hc_append(buf, sizeof(buf), &len, tail)) {
		hc_set_detail("audit head: iss too long");
		return HC_ERR_INVALID_ARG;
	}
	return hc_jws_sign(k, false, (const uint8_t *)buf, len, jws);
}

/* ---- publishing ---- */

static hc_err audit_dir(const char *dir, char *out, size_t n)
{
	hc_err err = hc_path(out, n, "%s/audit", dir);

	if (err != HC_OK)
		return err;
	if (mkdir(out, 0755) == -1 && errno != EEXIST) {
		hc_set_detail("%s: %s", out, strerror(errno));
		return HC_ERR_IO;
	}
	return HC_OK;
}

static hc_err segment_path(const char *adir, int64_t k, char *out, size_t n)
{
	return hc_path(out, n, "%s/%06" PRId64 ".jsonl", adir, k);
}

static int64_t segment_of(int64_t seq)
{
	return (seq - 1) / HC_AUDIT_SEGMENT + 1;
}

static hc_err sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1 || (fsync(fd) == -1 && errno != EINVAL)) {
		hc_set_detail("%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return HC_ERR_IO;
	}
	close(fd);
	return HC_OK;
}

/* One segment's bytes and the offsets of its complete lines. */
struct segment {
	int64_t k; /* 0: none loaded */
	uint8_t *buf;
	size_t len; /* bytes of complete lines (a torn tail is not counted) */
	size_t nlines;
	size_t *off; /* HC_AUDIT_SEGMENT + 1 offsets: line i is off[i] .. off[i+1]-1 */
};

static void segment_clear(struct segment *s)
{
	free(s->buf);
	s->buf = NULL;
	s->k = 0;
	s->len = s->nlines = 0;
}

/* Loads segment k; a missing file is an empty segment. */
static hc_err segment_load(const char *adir, int64_t k, struct segment *s)
{
	char path[4096];
	struct stat st;
	size_t n = 0;
	hc_err err;

	segment_clear(s);
	if ((err = segment_path(adir, k, path, sizeof(path))) != HC_OK)
		return err;
	s->off[0] = 0;
	if (lstat(path, &st) == -1 && errno == ENOENT) {
		s->k = k;
		return HC_OK;
	}
	if ((err = hc_read_file(path, SEGMENT_CAP, &s->buf, &n)) != HC_OK)
		return err;
	s->k = k;
	for (size_t i = 0; i < n; i++) {
		if (s->buf[i] != '\n')
			continue;
		if (s->nlines == HC_AUDIT_SEGMENT) {
			hc_set_detail("%s: more than %d entries", path, HC_AUDIT_SEGMENT);
			return HC_ERR_AUDIT;
		}
		s->off[++s->nlines] = i + 1;
	}
	s->len = s->off[s->nlines];
	return HC_OK;
}

/* Whether segment file k is there (lstat: a link counts, and is refused
 * when opened). */
static hc_err segment_there(const char *adir, int64_t k, bool *there)
{
	char path[4096];
	struct stat st;
	hc_err err;

	if ((err = segment_path(adir, k, path, sizeof(path))) != HC_OK)
		return err;
	*there = lstat(path, &st) == 0;
	if (!*there && errno != ENOENT) {
		hc_set_detail("%s: %s", path, strerror(errno));
		return HC_ERR_IO;
	}
	return HC_OK;
}

/* The seq of the last published entry: the last segment file's complete
 * lines after full segments. The files are contiguous from 1 (each made
 * only once the one before is full), so the last is found from the
 * segment where entry first goes, by doubling steps up (or down) and
 * halving between the last file found and the first one missing: a few
 * lstat calls, where counting up from 1 made publishing quadratic (a
 * thousand calls a chunk after 10^6 entries). A file missing below the
 * last one is not looked for here: hc_audit_check's walk finds it. */
static hc_err last_published(const char *adir, int64_t first, struct segment *s,
			     int64_t *last)
{
	int64_t lo = 0, hi, step = 1, k = segment_of(first); /* lo there (0: none), hi not */
	bool there;
	hc_err err;

	if ((err = segment_there(adir, k, &there)) != HC_OK)
		return err;
	if (there) {
		for (lo = k;; step *= 2) {
			if (step > INT64_MAX / 2 || lo > INT64_MAX - step) {
				hc_set_detail("audit publish: no end to the segments");
				return HC_ERR_AUDIT;
			}
			if ((err = segment_there(adir, lo + step, &there)) != HC_OK)
				return err;
			if (!there)
				break;
			lo += step;
		}
		hi = lo + step;
	} else {
		for (hi = k; hi > 1; step *= 2) {
			int64_t probe = hi - step > 1 ? hi - step : 1;

			if ((err = segment_there(adir, probe, &there)) != HC_OK)
				return err;
			if (there) {
				lo = probe;
				break;
			}
			hi = probe;
		}
	}
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		if ((err = segment_there(adir, mid, &there)) != HC_OK)
			return err;
		if (there)
			lo = mid;
		else
			hi = mid;
	}
	if (lo == 0) {
		*last = 0;
		return HC_OK;
	}
	if ((err = segment_load(adir, lo, s)) != HC_OK)
		return err;
	*last = (lo - 1) * HC_AUDIT_SEGMENT + (int64_t)s->nlines;
	return HC_OK;
}

/* Writes each line (checked by line_ok) and its newline to fd, gathered
 * into writes of up to APPEND_CHUNK bytes: two system calls a line cost
 * more than the rest of publishing an entry. */
#define APPEND_CHUNK 65536
_Static_assert(HC_MAX_AUDIT_LINE + 1 <= APPEND_CHUNK, "a line and its newline fit a chunk");
static hc_err append_lines(int fd, const char *const *lines, const size_t *lens, size_t count)
{
	char *buf = malloc(APPEND_CHUNK);
	size_t n = 0;
	hc_err err = HC_OK;

	if (!buf)
		return HC_ERR_NOMEM;
	for (size_t i = 0; i < count; i++) {
		if (n + lens[i] + 1 > APPEND_CHUNK) {
			if ((err = hc_write_all(fd, buf, n)) != HC_OK)
				break;
			n = 0;
		}
		memcpy(buf + n, lines[i], lens[i]);
		buf[n + lens[i]] = '\n';
		n += lens[i] + 1;
	}
	if (err == HC_OK && n > 0)
		err = hc_write_all(fd, buf, n);
	free(buf);
	return err;
}

/* Appends lines[0 .. count-1], entries seq .., all in segment k. A torn
 * last line (a crash before its newline was written, so never covered by
 * a head) is cut first, at valid_len. An append that fails (a full disk
 * writes part of it) is cut back to valid_len, and a segment it created
 * removed: a reader of the published tree never sees half a line. */
static hc_err segment_append(const char *adir, int64_t k, size_t valid_len,
			     const char *const *lines, const size_t *lens, size_t count)
{
	char path[4096];
	struct stat st;
	bool created;
	hc_err err;
	int fd;

	if ((err = segment_path(adir, k, path, sizeof(path))) != HC_OK)
		return err;
	created = lstat(path, &st) == -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644)) == -1) {
		hc_set_detail("%s: %s", path, strerror(errno));
		return HC_ERR_IO;
	}
	err = HC_ERR_IO;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		goto out;
	if ((size_t)st.st_size != valid_len && ftruncate(fd, (off_t)valid_len) == -1)
		goto out;
	if (append_lines(fd, lines, lens, count) != HC_OK)
		goto out;
	if (fsync(fd) == -1)
		goto out;
	err = HC_OK;
out:
	if (err != HC_OK) {
		int e = errno;

		/* cutting frees space: it works on a full disk (failing, the
		 * next append cuts the tail first, as after a crash) */
		if (created)
			(void)unlink(path);
		else if (ftruncate(fd, (off_t)valid_len) == -1)
			e = errno;
		hc_set_detail("%s: %s", path, strerror(e));
	}
	if (close(fd) == -1 && err == HC_OK) {
		hc_set_detail("%s: %s", path, strerror(errno));
		err = HC_ERR_IO;
	}
	return err == HC_OK && created ? sync_path(adir) : err;
}

static bool line_ok(const char *l, size_t n)
{
	return l && n > 0 && n <= HC_MAX_AUDIT_LINE && !memchr(l, '\n', n);
}

hc_err hc_audit_publish_lines(const char *dir, int64_t first, const char *const *lines,
			      const size_t *lens, size_t count)
{
	struct segment s = {0};
	char adir[4096];
	int64_t last, seq;
	size_t i = 0;
	hc_err err;

	if (first < 1 || count > (size_t)(INT64_MAX - first)) {
		hc_set_detail("audit publish: first %" PRId64 " is below 1", first);
		return HC_ERR_INVALID_ARG;
	}
	for (size_t j = 0; j < count; j++)
		if (!line_ok(lines[j], lens[j])) {
			hc_set_detail("audit publish: line of entry %" PRId64 " is empty, too long "
				      "or holds a newline",
				      first + (int64_t)j);
			return HC_ERR_INVALID_ARG;
		}
	if ((err = audit_dir(dir, adir, sizeof(adir))) != HC_OK)
		return err;
	if (!(s.off = malloc((HC_AUDIT_SEGMENT + 1) * sizeof(*s.off))))
		return HC_ERR_NOMEM;
	if ((err = last_published(adir, first, &s, &last)) != HC_OK)
		goto out;
	if (first > last + 1) {
		hc_set_detail("audit publish: entry %" PRId64 " after %" PRId64 " leaves a gap",
			      first, last);
		err = HC_ERR_CONFLICT;
		goto out;
	}
	/* Entries already published must be the same bytes. */
	for (seq = first; i < count && seq <= last; i++, seq++) {
		size_t idx = (size_t)((seq - 1) % HC_AUDIT_SEGMENT), o;

		if (s.k != segment_of(seq) &&
		    (err = segment_load(adir, segment_of(seq), &s)) != HC_OK)
			goto out;
		o = s.off[idx];
		if (idx >= s.nlines || s.off[idx + 1] - o - 1 != lens[i] ||
		    memcmp(s.buf + o, lines[i], lens[i]) != 0) {
			hc_set_detail("audit publish: entry %" PRId64 " differs from the one "
				      "published",
				      seq);
			err = HC_ERR_CONFLICT;
			goto out;
		}
	}
	/* The rest, one segment at a time. */
	while (i < count) {
		int64_t k = segment_of(seq);
		size_t room = (size_t)(k * HC_AUDIT_SEGMENT - seq + 1), m = count - i;
		size_t valid = 0;

		if (m > room)
			m = room;
		if ((seq - 1) % HC_AUDIT_SEGMENT != 0) {
			/* Appending to a segment that has lines: know its valid length. */
			if (s.k != k && (err = segment_load(adir, k, &s)) != HC_OK)
				goto out;
			valid = s.len;
		}
		if ((err = segment_append(adir, k, valid, lines + i, lens + i, m)) != HC_OK)
			goto out;
		segment_clear(&s);
		i += m;
		seq += (int64_t)m;
	}
	err = HC_OK;
out:
	segment_clear(&s);
	free(s.off);
	return err;
}

hc_err hc_audit_publish_head(const char *dir, const char *jws)
{
	char adir[4096], path[4096], *buf;
	size_t n = jws ? strlen(jws) : 0;
	hc_err err;

	if (n == 0 || memchr(jws, '\n', n)) {
		hc_set_detail("audit head: empty or holds a newline");
		return HC_ERR_INVALID_ARG;
	}
	if ((err = audit_dir(dir, adir, sizeof(adir))) != HC_OK ||
	    (err = hc_path(path, sizeof(path), "%s/head.jws", adir)) != HC_OK)
		return err;
	if (!(buf = malloc(n + 1)))
		return HC_ERR_NOMEM;
	memcpy(buf, jws, n);
	buf[n] = '\n';
	err = hc_write_file_atomic(path, buf, n + 1, 0644);
	free(buf);
	return err;
}
