/* publish.c: the publisher thread. The office's revocation list is
 * re-signed (seq + 1) and replaced atomically a short while after a
 * committed revocation, revocations close together sharing one list; the
 * audit entries are appended to the segment files and a signed head
 * replaces the last one every audit_interval seconds when there are new
 * entries, and at shutdown. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hc_audit.h"
#include "hc_json.h"
#include "hc_sign.h"
#include "hc_token.h"
#include "log.h"
#include "publish.h"

#define GATHER 2                      /* seconds revocations are gathered */
#define RETRY 5                       /* seconds before a failed publication is retried */
#define MAX_REVLIST (64u << 20)       /* bytes of a published list read back */
#define READ_CHUNK 1000               /* audit entries read at a time */

struct publisher {
	const struct cfg *cfg;
	struct reg *reg;
	struct hc_privkey *key;
	char revpath[CFG_PATH];
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool dirty, stop;
	int64_t dirty_at;                  /* monotonic seconds */
	atomic_llong revseq, audit_published;
	int64_t head_seq;                  /* seq of the last head signed */
};

static int64_t mono(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* mkdir -p of the directory part of path. */
static hc_err mkdirs(const char *path)
{
	char buf[CFG_PATH];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return HC_ERR_INVALID_ARG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST) {
			hc_set_detail("mkdir %s: %s", buf, strerror(errno));
			return HC_ERR_IO;
		}
		*p = '/';
	}
	return HC_OK;
}

/* ---- the revocation list ---- */

struct entries {
	char *p;
	size_t len, cap;
	bool nomem;
};

static void add_entry(void *arg, const char *jti, int64_t at)
{
	struct entries *e = arg;
	char item[96];
	int r = snprintf(item, sizeof(item), "%s{\"jti\":\"%s\",\"at\":%lld}", e->len > 1 ? "," : "",
			 jti, (long long)at);

	if (e->nomem || r < 0 || (size_t)r >= sizeof(item)) {
		e->nomem = true;
		return;
	}
	if (e->len + (size_t)r + 2 > e->cap) {
		size_t ncap = e->cap * 2 + (size_t)r + 2;
		char *np = realloc(e->p, ncap);

		if (!np) {
			e->nomem = true;
			return;
		}
		e->p = np;
		e->cap = ncap;
	}
	memcpy(e->p + e->len, item, (size_t)r);
	e->len += (size_t)r;
}

/* The registry's revoked codes as a JSON array for hc_revlist_build. */
static hc_err revoked_entries(struct publisher *p, int64_t now, struct entries *e)
{
	hc_err err;

	memset(e, 0, sizeof(*e));
	if (!(e->p = malloc(e->cap = 4096)))
		return HC_ERR_NOMEM;
	e->p[e->len++] = '[';
	if ((err = reg_revoked(p->reg, now, add_entry, e)) != HC_OK)
		return err;
	if (e->nomem)
		return HC_ERR_NOMEM;
	e->p[e->len++] = ']';
	e->p[e->len] = '\0';
	return HC_OK;
}

static hc_err publish_revlist(struct publisher *p)
{
	struct entries e;
	char *payload = NULL, *jws = NULL;
	int64_t seq = 0, now = hc_now();
	size_t count = 0;
	uint64_t t0 = hc_mono_us();
	hc_err err;

	if ((err = revoked_entries(p, now, &e)) != HC_OK ||
	    (err = reg_revlist_next_seq(p->reg, &seq)) != HC_OK ||
	    (err = hc_revlist_build(p->cfg->iss, seq, now, e.p, e.len, &payload, &count)) != HC_OK ||
	    (err = hc_jws_sign(p->key, false, (const uint8_t *)payload, strlen(payload), &jws)) !=
		    HC_OK ||
	    (err = mkdirs(p->revpath)) != HC_OK ||
	    (err = hc_write_file_atomic(p->revpath, jws, strlen(jws), 0644)) != HC_OK)
		goto out;
	atomic_store(&p->revseq, seq);
	/* its time too: the registry's read, the build, the signature and
	 * the file's sync (tests/soak.sh follows it over a long run) */
	log_msg("published revocation list seq %lld (%zu codes, %.1f ms)", (long long)seq, count,
		(double)(hc_mono_us() - t0) / 1e3);
out:
	if (err != HC_OK)
		log_msg("revocation list not published: %s%s%s", hc_strerror(err),
			hc_detail()[0] ? ": " : "", hc_detail());
	free(e.p);
	free(payload);
	free(jws);
	return err;
}

/* True when the published list holds exactly the registry's revocations
 * (its seq is kept then). */
static bool revlist_current(struct publisher *p)
{
	struct entries e;
	struct hc_jws j;
	uint8_t *buf = NULL;
	size_t n = 0, count = 0;
	char *payload = NULL;
	cJSON *old = NULL, *cur = NULL;
	int64_t now = hc_now(), seq = 0;
	bool same = false;

	memset(&e, 0, sizeof(e));
	memset(&j, 0, sizeof(j));
	if (hc_read_file(p->revpath, MAX_REVLIST, &buf, &n) != HC_OK ||
	    hc_jws_parse((const char *)buf, n, MAX_REVLIST, false, MAX_REVLIST, &j) != HC_OK ||
	    hc_json_parse((const char *)j.payload, j.payload_len, &old) != HC_OK ||
	    hc_json_int(old, "seq", true, 1, INT64_MAX, &seq, NULL) != HC_OK ||
	    revoked_entries(p, now, &e) != HC_OK)
		goto out;
	if (hc_revlist_build(p->cfg->iss, seq, now, e.p, e.len, &payload, &count) == HC_OK &&
	    hc_json_parse(payload, strlen(payload), &cur) == HC_OK)
		same = cJSON_Compare(cJSON_GetObjectItemCaseSensitive(old, "revoked"),
				     cJSON_GetObjectItemCaseSensitive(cur, "revoked"), true);
	if (same)
		atomic_store(&p->revseq, seq);
out:
	free(e.p);
	free(payload);
	cJSON_Delete(old);
	cJSON_Delete(cur);
	hc_jws_clear(&j);
	free(buf);
	return same;
}

/* ---- the audit chain ---- */

/* The last entry in the published segments: the highest NNNNNN.jsonl and
 * its complete lines. */
static hc_err audit_published(const char *publish, int64_t *seq)
{
	char dir[CFG_PATH], path[CFG_PATH + 32];
	struct dirent *d;
	uint8_t *buf = NULL;
	size_t n = 0, lines = 0;
	long best = 0;
	DIR *dp;
	hc_err err;

	*seq = 0;
	if ((err = hc_path(dir, sizeof(dir), "%s/audit", publish)) != HC_OK)
		return err;
	if (!(dp = opendir(dir)))
		return errno == ENOENT ? HC_OK : HC_ERR_IO;
	while ((d = readdir(dp)) != NULL) {
		char *end;
		long k;

		if (strlen(d->d_name) != 12 || strcmp(d->d_name + 6, ".jsonl") != 0 ||
		    strspn(d->d_name, "0123456789") != 6)
			continue;
		k = strtol(d->d_name, &end, 10);
		if (k > best)
			best = k;
	}
	(void)closedir(dp);
	if (best == 0)
		return HC_OK;
	if ((err = hc_path(path, sizeof(path), "%s/%06ld.jsonl", dir, best)) != HC_OK ||
	    (err = hc_read_file(path, (size_t)HC_AUDIT_SEGMENT * (HC_MAX_AUDIT_LINE + 1), &buf,
				&n)) != HC_OK)
		return err;
	for (size_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	free(buf);
	*seq = (int64_t)(best - 1) * HC_AUDIT_SEGMENT + (int64_t)lines;
	return HC_OK;
}

struct batch {
	char *lines[READ_CHUNK];
	size_t lens[READ_CHUNK];
	size_t n;
};

static hc_err take_line(void *arg, int64_t seq, const char *line, size_t n)
{
	struct batch *b = arg;

	(void)seq;
	if (b->n == READ_CHUNK || !(b->lines[b->n] = malloc(n + 1)))
		return HC_ERR_NOMEM;
	memcpy(b->lines[b->n], line, n);
	b->lines[b->n][n] = '\0';
	b->lens[b->n++] = n;
	return HC_OK;
}

static hc_err publish_audit(struct publisher *p)
{
	int64_t last = 0, done = atomic_load(&p->audit_published);
	uint8_t hash[32];
	char *jws = NULL;
	hc_err err;

	if ((err = reg_audit_last(p->reg, &last, hash)) != HC_OK)
		goto out;
	while (done < last) {
		struct batch b;
		int64_t want = last - done < READ_CHUNK ? last - done : READ_CHUNK;

		b.n = 0;
		err = reg_audit_read(p->reg, done, (size_t)want, take_line, &b);
		if (err == HC_OK && b.n == 0) {
			hc_set_detail("the registry has no entry after %lld", (long long)done);
			err = HC_ERR_AUDIT;
		}
		if (err == HC_OK)
			err = hc_audit_publish_lines(p->cfg->publish, done + 1,
						     (const char *const *)b.lines, b.lens, b.n);
		for (size_t i = 0; i < b.n; i++)
			free(b.lines[i]);
		if (err != HC_OK)
			goto out;
		done += (int64_t)b.n;
		atomic_store(&p->audit_published, done);
	}
	if (last > 0 && last != p->head_seq) {
		if ((err = hc_audit_head_sign(p->key, p->cfg->iss, last, hash, hc_now(), &jws)) !=
			    HC_OK ||
		    (err = hc_audit_publish_head(p->cfg->publish, jws)) != HC_OK)
			goto out;
		p->head_seq = last;
	}
out:
	if (err != HC_OK)
		log_msg("audit not published: %s%s%s", hc_strerror(err), hc_detail()[0] ? ": " : "",
			hc_detail());
	free(jws);
	return err;
}

/* ---- the thread ---- */

static void wait_until(struct publisher *p, int64_t mono_deadline)
{
	struct timespec ts;
	int64_t left = mono_deadline - mono();

	if (left <= 0)
		return;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += left;
	(void)pthread_cond_timedwait(&p->cv, &p->mu, &ts);
}

static void *run(void *arg)
{
	struct publisher *p = arg;
	int64_t next_audit = mono() + p->cfg->audit_interval;

	(void)pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		int64_t deadline = next_audit;

		if (p->dirty && p->dirty_at + GATHER < deadline)
			deadline = p->dirty_at + GATHER;
		wait_until(p, deadline);
		if (p->stop)
			break;
		if (p->dirty && mono() >= p->dirty_at + GATHER) {
			p->dirty = false;
			(void)pthread_mutex_unlock(&p->mu);
			if (publish_revlist(p) != HC_OK) {
				(void)pthread_mutex_lock(&p->mu);
				if (!p->dirty) {
					p->dirty = true;
					p->dirty_at = mono() + RETRY - GATHER;
				}
				(void)pthread_mutex_unlock(&p->mu);
			}
			(void)pthread_mutex_lock(&p->mu);
		}
		if (mono() >= next_audit) {
			(void)pthread_mutex_unlock(&p->mu);
			(void)publish_audit(p);
			(void)pthread_mutex_lock(&p->mu);
			next_audit = mono() + p->cfg->audit_interval;
		}
	}
	(void)pthread_mutex_unlock(&p->mu);
	return NULL;
}

hc_err pub_start(const struct cfg *c, struct reg *r, struct hc_privkey *key,
		 struct publisher **out)
{
	struct publisher *p;
	int64_t done = 0;
	hc_err err;

	*out = NULL;
	if (!(p = calloc(1, sizeof(*p))))
		return HC_ERR_NOMEM;
	p->cfg = c;
	p->reg = r;
	p->key = key;
	(void)pthread_mutex_init(&p->mu, NULL);
	(void)hc_cond_init_mono(&p->cv);
	if ((err = hc_path(p->revpath, sizeof(p->revpath), "%s/%s", c->publish, c->revocations)) !=
		    HC_OK ||
	    (err = audit_published(c->publish, &done)) != HC_OK)
		goto fail;
	atomic_store(&p->audit_published, done);
	if (!revlist_current(p) && (err = publish_revlist(p)) != HC_OK)
		goto fail;
	if ((err = publish_audit(p)) != HC_OK)
		goto fail;
	if (pthread_create(&p->thread, NULL, run, p) != 0) {
		err = HC_ERR_NOMEM;
		goto fail;
	}
	p->started = true;
	*out = p;
	return HC_OK;
fail:
	pub_stop(p);
	return err;
}

void pub_revoked(struct publisher *p)
{
	if (!p)
		return;
	(void)pthread_mutex_lock(&p->mu);
	if (!p->dirty) {
		p->dirty = true;
		p->dirty_at = mono();
	}
	(void)pthread_cond_signal(&p->cv);
	(void)pthread_mutex_unlock(&p->mu);
}

void pub_revoked_now(struct publisher *p)
{
	if (!p)
		return;
	(void)pthread_mutex_lock(&p->mu);
	p->dirty = true;
	p->dirty_at = mono() - GATHER;
	(void)pthread_cond_signal(&p->cv);
	(void)pthread_mutex_unlock(&p->mu);
}

void pub_stop(struct publisher *p)
{
	bool dirty;

	if (!p)
		return;
	if (p->started) {
		(void)pthread_mutex_lock(&p->mu);
		p->stop = true;
		(void)pthread_cond_signal(&p->cv);
		(void)pthread_mutex_unlock(&p->mu);
		(void)pthread_join(p->thread, NULL);
		dirty = p->dirty;
		if (dirty)
			(void)publish_revlist(p);
		(void)publish_audit(p);
	}
	(void)pthread_cond_destroy(&p->cv);
	(void)pthread_mutex_destroy(&p->mu);
	free(p);
}

int64_t pub_revlist_seq(struct publisher *p)
{
	return p ? atomic_load(&p->revseq) : 0;
}

int64_t pub_audit_seq(struct publisher *p)
{
	return p ? atomic_load(&p->audit_published) : 0;
}
