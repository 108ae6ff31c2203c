/* config.c: reads hc-issued's configuration file. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hc_json.h"
#include "hc_policy.h"

#define DEFAULT_TIMEOUT 30
#define DEFAULT_MAX_BODY (1u << 20)
#define DEFAULT_AUDIT_INTERVAL 60

/* dir + "/" + rel, or rel alone when it is absolute or a pkcs11: URI
 * (a key in a token, DESIGN 13). */
static bool resolve(const char *dir, const char *rel, char *out, size_t outsz)
{
	int r;

	if (rel[0] == '/' || strncmp(rel, "pkcs11:", 7) == 0)
		r = snprintf(out, outsz, "%s", rel);
	else
		r = snprintf(out, outsz, "%s/%s", dir, rel);
	return r > 0 && (size_t)r < outsz;
}

static bool parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 5)
		return false;
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* "1.2.3.4:PORT" or "[v6]:PORT". */
static bool parse_listen(const char *s, struct cfg *c)
{
	char host[64];
	const char *colon;
	uint16_t port;
	size_t n;

	memset(&c->addr, 0, sizeof(c->addr));
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&c->addr;
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':' || (n = (size_t)(close - s - 1)) >= sizeof(host))
			return false;
		memcpy(host, s + 1, n);
		host[n] = '\0';
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1 || !parse_port(close + 2, &port))
			return false;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		c->addrlen = sizeof(*a);
		return true;
	}
	if (!(colon = strrchr(s, ':')) || (n = (size_t)(colon - s)) >= sizeof(host))
		return false;
	memcpy(host, s, n);
	host[n] = '\0';
	{
		struct sockaddr_in *a = (struct sockaddr_in *)&c->addr;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1 || !parse_port(colon + 1, &port))
			return false;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		c->addrlen = sizeof(*a);
	}
	return true;
}

/* A path member: a non-empty string, resolved against dir. */
static hc_err path_member(const cJSON *o, const char *name, bool required, const char *dir,
			  char *out, size_t outsz, char *msg, size_t msgsz)
{
	char rel[CFG_PATH];
	bool present = false;
	hc_err err;

	out[0] = '\0';
	err = hc_json_str(o, name, required, rel, sizeof(rel), &present);
	if (err == HC_OK && present && (!rel[0] || !resolve(dir, rel, out, outsz)))
		err = HC_ERR_TOO_LARGE;
	if (err != HC_OK)
		(void)snprintf(msg, msgsz, "member \"%s\": %s", name,
			       err == HC_ERR_TOO_LARGE ? "empty or too long a path"
						       : hc_strerror(err));
	return err;
}

static hc_err uint_member(const cJSON *o, const char *name, int64_t min, int64_t max,
			  int64_t dflt, int64_t *out, char *msg, size_t msgsz)
{
	bool present = false;
	hc_err err = hc_json_int(o, name, false, min, max, out, &present);

	if (err != HC_OK)
		(void)snprintf(msg, msgsz, "member \"%s\": %s (an integer %lld..%lld)", name,
			       hc_strerror(err), (long long)min, (long long)max);
	else if (!present)
		*out = dflt;
	return err;
}

/* "risk_feed": {"url": HTTPS URL, "every": DURATION, "grace": DURATION,
 * "cacert": PATH}; url required; every 1s..24h (default 5m), grace
 * 1s..30d (default 1h). Needs "trust" (the list's signers are its roots).
 * The list held is kept in REGISTRY.risk-areas.jws. */
static hc_err feed_member(const cJSON *root, const char *dir, struct cfg *c, char *msg,
			  size_t msgsz)
{
	static const char *const members[] = {"url", "every", "grace", "cacert", NULL};
	const cJSON *f;
	char v[64];
	bool present;
	int r;
	hc_err err;

	if ((err = hc_json_obj(root, "risk_feed", false, &f)) != HC_OK || !f) {
		if (err != HC_OK)
			(void)snprintf(msg, msgsz, "member \"risk_feed\": %s", hc_strerror(err));
		return err;
	}
	if ((err = hc_json_only(f, members)) != HC_OK) {
		(void)snprintf(msg, msgsz, "member \"risk_feed\": %s: %s", hc_strerror(err),
			       hc_detail());
		return err;
	}
	err = hc_json_str(f, "url", true, c->feed.url, sizeof(c->feed.url), NULL);
	if (err != HC_OK || strncmp(c->feed.url, "https://", 8) != 0 || !c->feed.url[8]) {
		(void)snprintf(msg, msgsz, "member \"risk_feed.url\": not an https URL");
		return err != HC_OK ? err : HC_ERR_INVALID_ARG;
	}
	c->feed.every = 300;
	c->feed.grace = 3600;
	if (hc_json_str(f, "every", false, v, sizeof(v), &present) != HC_OK ||
	    (present && (hc_duration_parse(v, &c->feed.every) != HC_OK || c->feed.every < 1 ||
			 c->feed.every > 86400))) {
		(void)snprintf(msg, msgsz, "member \"risk_feed.every\": not a duration of 1s to 24h");
		return HC_ERR_INVALID_ARG;
	}
	if (hc_json_str(f, "grace", false, v, sizeof(v), &present) != HC_OK ||
	    (present && (hc_duration_parse(v, &c->feed.grace) != HC_OK || c->feed.grace < 1 ||
			 c->feed.grace > (int64_t)30 * 86400))) {
		(void)snprintf(msg, msgsz, "member \"risk_feed.grace\": not a duration of 1s to 30d");
		return HC_ERR_INVALID_ARG;
	}
	if ((err = path_member(f, "cacert", false, dir, c->feed.cacert, sizeof(c->feed.cacert), msg,
			       msgsz)) != HC_OK)
		return err;
	if (!c->trust[0]) {
		(void)snprintf(msg, msgsz, "member \"risk_feed\": needs \"trust\" (the list is "
					   "signed by its roots)");
		return HC_ERR_INVALID_ARG;
	}
	r = snprintf(c->feed.held, sizeof(c->feed.held), "%s.risk-areas.jws", c->registry);
	if (r < 0 || (size_t)r >= sizeof(c->feed.held)) {
		(void)snprintf(msg, msgsz, "member \"registry\": too long a path");
		return HC_ERR_TOO_LARGE;
	}
	return HC_OK;
}

/* "sources": [{"name", "url", "cert", "key", "cacert", "timeout",
 * "max_age"}], at most CFG_MAX_SOURCES: name 1..63 of [a-z0-9-], unique;
 * url https; cert and key (PEM, the client certificate) required; cacert
 * optional; timeout "5s" by default (1s..60s); max_age "1h" by default
 * (1s..30d). */
static hc_err sources_member(const cJSON *root, const char *dir, struct cfg *c, char *msg,
			     size_t msgsz)
{
	static const char *const members[] = {"name",	 "url",	    "cert",    "key",
					      "cacert", "timeout", "max_age", NULL};
	const cJSON *arr, *e;
	char v[64];
	bool present;
	hc_err err;

	if ((err = hc_json_arr(root, "sources", false, &arr)) != HC_OK || !arr) {
		if (err != HC_OK)
			(void)snprintf(msg, msgsz, "member \"sources\": %s", hc_strerror(err));
		return err;
	}
	if (cJSON_GetArraySize(arr) > CFG_MAX_SOURCES) {
		(void)snprintf(msg, msgsz, "member \"sources\": more than %d", CFG_MAX_SOURCES);
		return HC_ERR_TOO_LARGE;
	}
	cJSON_ArrayForEach(e, arr)
	{
		struct cfg_source *q = &c->sources[c->nsources];
		size_t i = c->nsources;

		if (!cJSON_IsObject(e) || (err = hc_json_only(e, members)) != HC_OK) {
			(void)snprintf(msg, msgsz, "sources[%zu]: not an object of known members", i);
			return cJSON_IsObject(e) ? err : HC_ERR_JSON_TYPE;
		}
		err = hc_json_str(e, "name", true, q->name, sizeof(q->name), NULL);
		if (err != HC_OK || !q->name[0] ||
		    strspn(q->name, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(q->name)) {
			(void)snprintf(msg, msgsz, "sources[%zu].name: not 1..63 of [a-z0-9-]", i);
			return err != HC_OK ? err : HC_ERR_INVALID_ARG;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(c->sources[k].name, q->name) == 0) {
				(void)snprintf(msg, msgsz, "sources[%zu].name: given twice", i);
				return HC_ERR_INVALID_ARG;
			}
		err = hc_json_str(e, "url", true, q->url, sizeof(q->url), NULL);
		if (err != HC_OK || strncmp(q->url, "https://", 8) != 0 || !q->url[8]) {
			(void)snprintf(msg, msgsz, "sources[%zu].url: not an https URL", i);
			return err != HC_OK ? err : HC_ERR_INVALID_ARG;
		}
		if ((err = path_member(e, "cert", true, dir, q->cert, sizeof(q->cert), msg, msgsz)) !=
			    HC_OK ||
		    (err = path_member(e, "key", true, dir, q->key, sizeof(q->key), msg, msgsz)) !=
			    HC_OK ||
		    (err = path_member(e, "cacert", false, dir, q->cacert, sizeof(q->cacert), msg,
				       msgsz)) != HC_OK)
			return err;
		q->timeout = 5;
		q->max_age = 3600;
		if (hc_json_str(e, "timeout", false, v, sizeof(v), &present) != HC_OK ||
		    (present && (hc_duration_parse(v, &q->timeout) != HC_OK || q->timeout < 1 ||
				 q->timeout > 60))) {
			(void)snprintf(msg, msgsz, "sources[%zu].timeout: not a duration of 1s to 60s", i);
			return HC_ERR_INVALID_ARG;
		}
		if (hc_json_str(e, "max_age", false, v, sizeof(v), &present) != HC_OK ||
		    (present && (hc_duration_parse(v, &q->max_age) != HC_OK || q->max_age < 1 ||
				 q->max_age > (int64_t)30 * 86400))) {
			(void)snprintf(msg, msgsz, "sources[%zu].max_age: not a duration of 1s to 30d", i);
			return HC_ERR_INVALID_ARG;
		}
		c->nsources++;
	}
	return HC_OK;
}

static hc_err check(const cJSON *root, const char *dir, struct cfg *c, char *msg, size_t msgsz)
{
	static const char *const members[] = {
		"listen",  "tls",	  "registry", "iss",	     "name",	"region",
		"key",	   "id_secret",	  "policy",   "validity",    "publish", "revocations",
		"trust",   "threads",	  "timeout",  "max_body",    "audit_interval", "risk_feed",
		"sources", "jobs", NULL};
	static const char *const tls_members[] = {"cert", "key", NULL};
	const cJSON *tls;
	char v[64];
	bool present;
	int64_t x;
	size_t n;
	hc_err err;

	if ((err = hc_json_only(root, members)) != HC_OK) {
		(void)snprintf(msg, msgsz, "%s%s%s", hc_strerror(err), hc_detail()[0] ? ": " : "",
			       hc_detail());
		return err;
	}
#define STR(name, out, req)                                                               \
	do {                                                                              \
		if ((err = hc_json_str(root, name, req, out, sizeof(out), &present)) != HC_OK) { \
			(void)snprintf(msg, msgsz, "member \"%s\": %s", name, hc_strerror(err)); \
			return err;                                                       \
		}                                                                         \
	} while (0)
	STR("listen", c->listen, true);
	if (!parse_listen(c->listen, c)) {
		(void)snprintf(msg, msgsz, "member \"listen\": not ADDRESS:PORT (IPv4 or [IPv6])");
		return HC_ERR_INVALID_ARG;
	}
	STR("iss", c->iss, true);
	n = strlen(c->iss);
	if (n < 9 || strncmp(c->iss, "https://", 8) != 0 || c->iss[n - 1] == '/') {
		(void)snprintf(msg, msgsz, "member \"iss\": not an https URL without a trailing slash");
		return HC_ERR_INVALID_ARG;
	}
	STR("name", c->name, true);
	if (!c->name[0] || !hc_utf8_valid(c->name, strlen(c->name))) {
		(void)snprintf(msg, msgsz, "member \"name\": empty or not UTF-8");
		return HC_ERR_INVALID_ARG;
	}
	STR("region", c->region, true);
	if (strlen(c->region) != 6 || strspn(c->region, "0123456789") != 6) {
		(void)snprintf(msg, msgsz, "member \"region\": not six digits");
		return HC_ERR_INVALID_ARG;
	}
	if ((err = path_member(root, "registry", true, dir, c->registry, sizeof(c->registry), msg,
			       msgsz)) != HC_OK ||
	    (err = path_member(root, "key", true, dir, c->key, sizeof(c->key), msg, msgsz)) != HC_OK ||
	    (err = path_member(root, "id_secret", true, dir, c->id_secret, sizeof(c->id_secret), msg,
			       msgsz)) != HC_OK ||
	    (err = path_member(root, "publish", true, dir, c->publish, sizeof(c->publish), msg,
			       msgsz)) != HC_OK ||
	    (err = path_member(root, "policy", false, dir, c->policy, sizeof(c->policy), msg,
			       msgsz)) != HC_OK ||
	    (err = path_member(root, "trust", false, dir, c->trust, sizeof(c->trust), msg, msgsz)) !=
		    HC_OK)
		return err;
	if ((err = hc_json_obj(root, "tls", false, &tls)) != HC_OK) {
		(void)snprintf(msg, msgsz, "member \"tls\": %s", hc_strerror(err));
		return err;
	}
	if (tls) {
		if ((err = hc_json_only(tls, tls_members)) != HC_OK) {
			(void)snprintf(msg, msgsz, "member \"tls\": %s: %s", hc_strerror(err),
				       hc_detail());
			return err;
		}
		if ((err = path_member(tls, "cert", true, dir, c->tls_cert, sizeof(c->tls_cert), msg,
				       msgsz)) != HC_OK ||
		    (err = path_member(tls, "key", true, dir, c->tls_key, sizeof(c->tls_key), msg,
				       msgsz)) != HC_OK)
			return err;
		c->tls = true;
	}
	STR("validity", v, false);
	c->validity = 0;
	if (present && (hc_duration_parse(v, &c->validity) != HC_OK ||
			c->validity > HC_POLICY_MAX_VALIDITY)) {
		(void)snprintf(msg, msgsz, "member \"validity\": not a duration of 1s to 720h");
		return HC_ERR_INVALID_ARG;
	}
	STR("revocations", c->revocations, false);
	if (!present) {
		(void)snprintf(c->revocations, sizeof(c->revocations), "revocations/%s.jws",
			       c->region); /* six digits: fits */
	} else if (!c->revocations[0] || c->revocations[0] == '/' || strstr(c->revocations, "..") ||
		   strspn(c->revocations, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					  "0123456789._-/") != strlen(c->revocations)) {
		(void)snprintf(msg, msgsz,
			       "member \"revocations\": not a relative path of [A-Za-z0-9._-/] "
			       "without \"..\"");
		return HC_ERR_INVALID_ARG;
	}
#undef STR
	if ((err = uint_member(root, "threads", 0, 256, 0, &x, msg, msgsz)) != HC_OK)
		return err;
	c->threads = (unsigned)x;
	if ((err = uint_member(root, "jobs", 0, 256, 0, &x, msg, msgsz)) != HC_OK)
		return err;
	c->jobs = (unsigned)x;
	if ((err = uint_member(root, "timeout", 1, 3600, DEFAULT_TIMEOUT, &x, msg, msgsz)) != HC_OK)
		return err;
	c->timeout = (unsigned)x;
	if ((err = uint_member(root, "max_body", 1024, 16 << 20, DEFAULT_MAX_BODY, &x, msg,
			       msgsz)) != HC_OK)
		return err;
	c->max_body = (size_t)x;
	if ((err = uint_member(root, "audit_interval", 1, 3600, DEFAULT_AUDIT_INTERVAL, &x, msg,
			       msgsz)) != HC_OK)
		return err;
	c->audit_interval = (unsigned)x;
	if ((err = feed_member(root, dir, c, msg, msgsz)) != HC_OK)
		return err;
	return sources_member(root, dir, c, msg, msgsz);
}

hc_err cfg_load(const char *path, struct cfg *c, char *msg, size_t msgsz)
{
	uint8_t *buf = NULL;
	cJSON *root = NULL;
	char dir[CFG_PATH];
	const char *slash;
	size_t n;
	hc_err err;

	memset(c, 0, sizeof(*c));
	msg[0] = '\0';
	if (snprintf(c->file, sizeof(c->file), "%s", path) >= (int)sizeof(c->file)) {
		(void)snprintf(msg, msgsz, "path too long");
		return HC_ERR_INVALID_ARG;
	}
	if ((slash = strrchr(path, '/')) == NULL) {
		(void)snprintf(dir, sizeof(dir), ".");
	} else {
		n = (size_t)(slash - path);
		memcpy(dir, path, n);
		dir[n ? n : 1] = '\0'; /* "/x.json": the root */
		if (!n)
			dir[0] = '/';
	}
	if ((err = hc_read_file(path, CFG_MAX_FILE, &buf, &n)) != HC_OK) {
		(void)snprintf(msg, msgsz, "%s%s%s", hc_strerror(err), hc_detail()[0] ? ": " : "",
			       hc_detail());
		goto out;
	}
	if ((err = hc_json_parse((const char *)buf, n, &root)) != HC_OK) {
		(void)snprintf(msg, msgsz, "%s%s%s", hc_strerror(err), hc_detail()[0] ? ": " : "",
			       hc_detail());
		goto out;
	}
	err = check(root, dir, c, msg, msgsz);
out:
	cJSON_Delete(root);
	free(buf);
	return err;
}
