/* resources.c: the service's other resources: revocations (admin), the
 * audit entries (auditor), health and metrics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "hc_json.h"
#include "hc_sign.h"
#include "held.h"
#include "publish.h"
#include "service.h"

#define AUDIT_DEFAULT_LIMIT 1000
#define AUDIT_MAX_LIMIT 10000
#define AUDIT_MAX_REPLY (16u << 20)
/* Below this many bytes free where the registry or publish/ is, /healthz
 * answers 503: a group commit's WAL frames, a revocation list or an audit
 * segment's next lines may no longer fit (a full disk fails them one by
 * one, each with its 5xx; the registry keeps what it acknowledged). */
#define HEALTH_MIN_FREE (1 << 20)

/* A reason: 1..64 bytes of UTF-8 without control characters. */
static bool reason_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || !hc_utf8_valid(s, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

void svc_revocations(struct svc *s, const struct caller *who, const char *body, size_t n,
		     struct reply *r)
{
	static const char *const members[] = {"jti", "reason", NULL};
	cJSON *root = NULL, *o = NULL;
	char jti[REG_JTI_LEN + 2], reason[80], *out;
	uint8_t raw[16];
	size_t rawlen = 0;
	int64_t at = 0;
	bool already = false;
	int64_t now = hc_now();
	hc_err err;

	if ((err = hc_json_parse(body, n, &root)) != HC_OK ||
	    (err = hc_json_only(root, members)) != HC_OK) {
		reply_error(r, 400, "%s%s%s", hc_strerror(err), hc_detail()[0] ? ": " : "",
			    hc_detail());
		goto out;
	}
	err = hc_json_str(root, "jti", true, jti, sizeof(jti), NULL);
	if (err == HC_OK && (strlen(jti) != REG_JTI_LEN ||
			     hc_b64u_decode(jti, REG_JTI_LEN, raw, sizeof(raw), &rawlen) != HC_OK ||
			     rawlen != sizeof(raw)))
		err = HC_ERR_TOO_LARGE;
	if (err != HC_OK) {
		reply_error(r, 400, "jti: %s",
			    err == HC_ERR_TOO_LARGE ? "not 16 bytes of base64url" : hc_strerror(err));
		goto out;
	}
	err = hc_json_str(root, "reason", true, reason, sizeof(reason), NULL);
	if (err != HC_OK || !reason_ok(reason)) {
		reply_error(r, 400, "reason: %s",
			    err == HC_OK || err == HC_ERR_TOO_LARGE
				    ? "not 1..64 bytes of text without control characters"
				    : hc_strerror(err));
		goto out;
	}
	err = reg_revoke(s->reg, jti, reason, who->name, who->reqid, now, &already, &at);
	if (err == HC_ERR_NOT_FOUND) {
		reply_error(r, 404, "no code with this jti");
		goto out;
	}
	if (err != HC_OK) {
		reply_error(r, 500, "registry: %s%s%s", hc_strerror(err), hc_detail()[0] ? ": " : "",
			    hc_detail());
		goto out;
	}
	if (!already)
		pub_revoked(s->publisher);
	if (!(o = cJSON_CreateObject()) || !cJSON_AddStringToObject(o, "jti", jti) ||
	    !cJSON_AddNumberToObject(o, "revoked_at", (double)at) ||
	    !cJSON_AddBoolToObject(o, "already", already) || !(out = cJSON_PrintUnformatted(o))) {
		reply_error(r, 500, "out of memory");
		goto out;
	}
	reply_json(r, 200, out);
out:
	cJSON_Delete(o);
	cJSON_Delete(root);
}

/* A query number: digits only, at most max. */
static bool query_num(const char *v, int64_t max, int64_t *out)
{
	int64_t x = 0;

	if (!v || !*v || strlen(v) > 18 || strspn(v, "0123456789") != strlen(v))
		return false;
	for (; *v; v++)
		x = x * 10 + (*v - '0');
	if (x > max)
		return false;
	*out = x;
	return true;
}

struct lines {
	char *p;
	size_t len, cap;
};

static hc_err add_line(void *arg, int64_t seq, const char *line, size_t n)
{
	struct lines *l = arg;

	(void)seq;
	if (n + 1 > AUDIT_MAX_REPLY - l->len)
		return HC_ERR_TOO_LARGE;
	if (l->len + n + 1 > l->cap) {
		size_t ncap = (l->cap ? l->cap * 2 : 65536);
		char *np;

		while (ncap < l->len + n + 1)
			ncap *= 2;
		if (!(np = realloc(l->p, ncap)))
			return HC_ERR_NOMEM;
		l->p = np;
		l->cap = ncap;
	}
	memcpy(l->p + l->len, line, n);
	l->p[l->len + n] = '\n';
	l->len += n + 1;
	return HC_OK;
}

void svc_audit(struct svc *s, const char *after, const char *limit, struct reply *r)
{
	struct lines l = {0};
	int64_t a = 0, lim = AUDIT_DEFAULT_LIMIT;
	hc_err err;

	if (after && !query_num(after, INT64_MAX / 2, &a)) {
		reply_error(r, 400, "after: not a number");
		return;
	}
	if (limit && (!query_num(limit, AUDIT_MAX_LIMIT, &lim) || lim < 1)) {
		reply_error(r, 400, "limit: not a number 1..%d", AUDIT_MAX_LIMIT);
		return;
	}
	if ((err = reg_audit_read(s->reg, a, (size_t)lim, add_line, &l)) != HC_OK) {
		free(l.p);
		reply_error(r, 500, "registry: %s", hc_strerror(err));
		return;
	}
	reply_clear(r);
	r->status = 200;
	r->ctype = "application/x-ndjson";
	r->body = l.p;
	r->len = l.len;
}

/* Bytes free on the file system of path to a writer without root's
 * reserve; -1 when statvfs fails. */
static long long free_bytes(const char *path)
{
	struct statvfs v;

	if (statvfs(path, &v) == -1)
		return -1;
	return (long long)v.f_bavail * (long long)v.f_frsize;
}

void svc_healthz(struct svc *s, struct reply *r)
{
	static const uint8_t probe[] = "hc-issued health probe";
	uint8_t sig[HC_SIG_LEN];
	char *body, why[400];
	bool key_ok = hc_key_sign(s->key, probe, sizeof(probe), sig) == HC_OK &&
		      hc_key_verify(s->pub, probe, sizeof(probe), sig) == HC_OK;

	if (!reg_writable(s->reg)) {
		reply_error(r, 503, "the registry is not writable");
		return;
	}
	if (!key_ok) {
		reply_error(r, 503, "the office key does not sign");
		return;
	}
	for (int i = 0; i < 2; i++) {
		const char *path = i == 0 ? s->cfg->registry : s->cfg->publish;
		long long left = free_bytes(path);

		if (left >= 0 && left < HEALTH_MIN_FREE) {
			reply_error(r, 503, "low on space: %lld bytes free on the file system of %s",
				    left, path);
			return;
		}
	}
	if (!svc_feed_ok(s, why, sizeof(why))) {
		reply_error(r, 503, "%s", why);
		return;
	}
	if (!(body = strdup("{\"ok\":true}"))) {
		reply_error(r, 500, "out of memory");
		return;
	}
	reply_json(r, 200, body);
}

/* Appends buf, of len bytes as snprintf into size bytes gave them, to
 * *text of *n bytes. */
static hc_err append_text(char **text, size_t *n, const char *buf, int len, size_t size)
{
	char *nt;

	if (len < 0 || (size_t)len >= size)
		return HC_ERR_TOO_LARGE;
	if (!(nt = realloc(*text, *n + (size_t)len + 1)))
		return HC_ERR_NOMEM;
	memcpy(nt + *n, buf, (size_t)len + 1);
	*text = nt;
	*n += (size_t)len;
	return HC_OK;
}

/* Appends the bytes free where the registry and publish/ are. */
static hc_err disk_metrics(struct svc *s, char **text, size_t *n)
{
	char buf[400];
	int len = snprintf(buf, sizeof(buf),
			   "# HELP hc_disk_free_bytes Bytes free on the file system of the "
			   "registry and of publish/ (-1: unknown).\n"
			   "# TYPE hc_disk_free_bytes gauge\n"
			   "hc_disk_free_bytes{dir=\"registry\"} %lld\n"
			   "hc_disk_free_bytes{dir=\"publish\"} %lld\n",
			   free_bytes(s->cfg->registry), free_bytes(s->cfg->publish));

	return append_text(text, n, buf, len, sizeof(buf));
}

/* Appends the held-code cache's counters to *text of *n bytes. */
static hc_err held_metrics(struct svc *s, char **text, size_t *n)
{
	uint64_t hits, misses;
	char buf[400];
	int len;

	held_counts(s->held, &hits, &misses);
	len = snprintf(buf, sizeof(buf),
		       "# HELP hc_held_answers_total Held codes looked up in the answer cache.\n"
		       "# TYPE hc_held_answers_total counter\n"
		       "hc_held_answers_total{cache=\"hit\"} %llu\n"
		       "hc_held_answers_total{cache=\"miss\"} %llu\n",
		       (unsigned long long)hits, (unsigned long long)misses);
	return append_text(text, n, buf, len, sizeof(buf));
}

void svc_metrics(struct svc *s, struct reply *r)
{
	struct reg_stats st;
	char *out = NULL;
	size_t n = 0;
	hc_err err;

	memset(&st, 0, sizeof(st));
	if ((err = reg_stats(s->reg, hc_now(), &st)) != HC_OK ||
	    (err = metrics_render(&s->m, &st, pub_revlist_seq(s->publisher),
				  pub_audit_seq(s->publisher), &out, &n)) != HC_OK ||
	    (err = svc_feed_metrics(s, &out, &n)) != HC_OK ||
	    (err = held_metrics(s, &out, &n)) != HC_OK ||
	    (err = disk_metrics(s, &out, &n)) != HC_OK) {
		free(out);
		reply_error(r, 500, "metrics: %s", hc_strerror(err));
		return;
	}
	reply_clear(r);
	r->status = 200;
	r->ctype = "text/plain; version=0.0.4; charset=utf-8";
	r->body = out;
	r->len = n;
}
