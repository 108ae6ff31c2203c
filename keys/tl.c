/* tl.c: hc-keys tl, the operator's edits of a trust-list payload (a new
 * list, issuers and keys added, keys retired, revoked or removed, the next
 * seq), so that nobody edits the JSON by hand; and the public JWK files
 * the operator receives from the offices. Every edit is checked as
 * hc-keys trustlist checks a payload before signing, and the file changes
 * (atomically) only when the edited payload passes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_json.h"
#include "hc_sign.h"
#include "hc_trust.h"
#include "keys.h"

#define MAX_JWK_FILE 65536

/* A time as hc_time_parse reads it (seconds, RFC 3339, a date at
 * midnight China Standard Time), or "now", or "now+DURATION". */
bool keys_time(const char *s, int64_t *out)
{
	int64_t d;

	if (strcmp(s, "now") == 0) {
		*out = hc_now();
		return true;
	}
	if (strncmp(s, "now+", 4) == 0) {
		if (hc_duration_parse(s + 4, &d) != HC_OK)
			return false;
		*out = hc_now() + d;
		return true;
	}
	return hc_time_parse(s, out) == HC_OK;
}

/* 1 when the file at path starts (after white space) with '{', 0 when it
 * does not, -1 when it cannot be opened. */
int keys_is_json_file(const char *path)
{
	struct stat st;
	char buf[256];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -1;
	/* Not a regular file (a FIFO, a device): not a JWK file; whoever
	 * reads it next refuses it with its reason, without waiting. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		r = buf[strspn(buf, " \t\r\n")] == '{';
	}
	(void)close(fd);
	return r;
}

/* Sets member name of o to item (in its place when o has it). */
static bool set_member(cJSON *o, const char *name, cJSON *item)
{
	cJSON_bool ok;

	if (!item)
		return false;
	if (cJSON_GetObjectItemCaseSensitive(o, name))
		ok = cJSON_ReplaceItemInObjectCaseSensitive(o, name, item);
	else
		ok = cJSON_AddItemToObject(o, name, item);
	if (!ok)
		cJSON_Delete(item);
	return ok != 0;
}

static bool num_member(cJSON *o, const char *name, int64_t v)
{
	return set_member(o, name, cJSON_CreateNumber((double)v));
}

static bool str_member(cJSON *o, const char *name, const char *v)
{
	return set_member(o, name, cJSON_CreateString(v));
}

/* Reads a public JWK file: the members of a public key (kty, crv, x, y,
 * kid, alg, use), optionally those of a trust-list entry (status, nbf,
 * exp), never a private member. *out is the key as hc-keys pub prints it,
 * with the entry members found in the file. */
hc_err keys_load_jwk(const char *path, cJSON **out)
{
	static const char *const allowed[] = {"kty", "crv", "x", "y", "kid", "alg", "use",
					      "status", "nbf", "exp", NULL};
	uint8_t *buf = NULL;
	size_t len = 0;
	cJSON *in = NULL, *jwk = NULL;
	struct hc_pubkey *pub = NULL;
	char st[16];
	int64_t t;
	bool has;
	hc_err err;

	*out = NULL;
	/* Checked before reading: a private key's bytes are never read here. */
	if (keys_is_json_file(path) == 0) {
		hc_set_detail("not a JWK (a private key? give its public JWK: hc-keys pub KEY > KEY.jwk)");
		return HC_ERR_JWK;
	}
	if ((err = hc_read_file(path, MAX_JWK_FILE, &buf, &len)) != HC_OK)
		return err;
	if ((err = hc_json_parse((const char *)buf, len, &in)) != HC_OK)
		goto out;
	if (cJSON_GetObjectItemCaseSensitive(in, "d")) {
		hc_set_detail("a private JWK: give the public key only (hc-keys pub KEY > KEY.jwk)");
		err = HC_ERR_JWK;
		goto out;
	}
	if ((err = hc_json_only(in, allowed)) != HC_OK ||
	    (err = hc_pubkey_from_jwk(in, &pub)) != HC_OK || (err = hc_pubkey_jwk(pub, &jwk)) != HC_OK)
		goto out;
	if ((err = hc_json_str(in, "status", false, st, sizeof(st), &has)) != HC_OK)
		goto out;
	if (has && !str_member(jwk, "status", st))
		goto nomem;
	if ((err = hc_json_int(in, "nbf", false, 0, INT64_MAX / 2, &t, &has)) != HC_OK)
		goto out;
	if (has && !num_member(jwk, "nbf", t))
		goto nomem;
	if ((err = hc_json_int(in, "exp", false, 0, INT64_MAX / 2, &t, &has)) != HC_OK)
		goto out;
	if (has && !num_member(jwk, "exp", t))
		goto nomem;
	*out = jwk;
	jwk = NULL;
	goto out;
nomem:
	err = HC_ERR_NOMEM;
out:
	cJSON_Delete(jwk);
	cJSON_Delete(in);
	hc_pubkey_free(pub);
	free(buf);
	return err;
}

enum { O_ISS, O_NAME, O_REGION, O_REV, O_MAXV, O_JWK, O_NBF, O_EXP, O_STATUS, O_KID, O_SEQ,
       O_NEXT, O_N };

static const struct {
	const char *name;
	unsigned need, allow; /* bit masks of options: required, optional */
} actions[] = {
	{"new", 1u << O_NEXT, 1u << O_SEQ},
	{"add-issuer", 1u << O_ISS | 1u << O_NAME | 1u << O_REGION | 1u << O_JWK,
	 1u << O_REV | 1u << O_MAXV | 1u << O_NBF | 1u << O_EXP},
	{"remove-issuer", 1u << O_ISS, 0},
	{"add-key", 1u << O_ISS | 1u << O_JWK, 1u << O_NBF | 1u << O_EXP | 1u << O_STATUS},
	{"retire-key", 1u << O_EXP, 1u << O_KID | 1u << O_JWK},
	{"revoke-key", 0, 1u << O_KID | 1u << O_JWK},
	{"remove-key", 0, 1u << O_KID | 1u << O_JWK},
	{"snapshot-key", 1u << O_JWK, 0},
	{"next", 0, 1u << O_SEQ | 1u << O_NEXT},
	{"foreign", 0, 0},
	{"no-foreign", 0, 0},
};

struct edit {
	const char *v[O_N];
	int64_t nbf, exp, next, seq, maxv;
	cJSON *root, *jwk;
};

/* The issuer object with this iss, or NULL. */
static cJSON *find_issuer(cJSON *root, const char *iss)
{
	cJSON *is;

	cJSON_ArrayForEach(is, cJSON_GetObjectItemCaseSensitive(root, "issuers"))
	{
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(is, "iss");

		if (cJSON_IsString(s) && strcmp(s->valuestring, iss) == 0)
			return is;
	}
	return NULL;
}

/* The key object with this kid (and its issuer's keys array), or NULL. */
static cJSON *find_key(cJSON *root, const char *kid, cJSON **keys, cJSON **issuer)
{
	cJSON *is, *k;

	cJSON_ArrayForEach(is, cJSON_GetObjectItemCaseSensitive(root, "issuers"))
	{
		*keys = cJSON_GetObjectItemCaseSensitive(is, "keys");
		*issuer = is;
		cJSON_ArrayForEach(k, *keys)
		{
			const cJSON *s = cJSON_GetObjectItemCaseSensitive(k, "kid");

			if (cJSON_IsString(s) && strcmp(s->valuestring, kid) == 0)
				return k;
		}
	}
	return NULL;
}

static int refuse(const char *act, const char *fmt, ...) HC_PRINTF(2, 3);
static int refuse(const char *act, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hc-keys: tl %s: ", act);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

/* The key entry of e->jwk with the window and status of the options
 * (those of the file otherwise, status active by default). */
static bool key_entry(struct edit *e)
{
	if (e->v[O_STATUS] && !str_member(e->jwk, "status", e->v[O_STATUS]))
		return false;
	if (!cJSON_GetObjectItemCaseSensitive(e->jwk, "status") &&
	    !cJSON_AddStringToObject(e->jwk, "status", "active"))
		return false;
	if (e->v[O_NBF] && !num_member(e->jwk, "nbf", e->nbf))
		return false;
	return !e->v[O_EXP] || num_member(e->jwk, "exp", e->exp);
}

static const char *str_of(const cJSON *o, const char *name)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(s) ? s->valuestring : "?";
}

static int64_t int_of(const cJSON *o, const char *name)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(n) ? (int64_t)n->valuedouble : 0;
}

/* Applies action a to e->root; EXIT_FAIL (with a message) when refused,
 * EXIT_USAGE when out of memory, -1 when done. msg gets what changed. */
static int apply(const char *act, struct edit *e, char *msg, size_t msz)
{
	cJSON *is, *keys, *k;
	char t[24];

	if (strcmp(act, "add-issuer") == 0) {
		if (find_issuer(e->root, e->v[O_ISS]))
			return refuse(act, "issuer %s is already in the list", e->v[O_ISS]);
		if (!(is = cJSON_CreateObject()) ||
		    !cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(e->root, "issuers"), is))
			return EXIT_USAGE;
		if (!key_entry(e) || !str_member(is, "iss", e->v[O_ISS]) ||
		    !str_member(is, "name", e->v[O_NAME]) || !str_member(is, "region", e->v[O_REGION]) ||
		    (e->v[O_REV] && !str_member(is, "revocations", e->v[O_REV])) ||
		    (e->v[O_MAXV] && !num_member(is, "max_validity", e->maxv)) ||
		    !(keys = cJSON_AddArrayToObject(is, "keys")) || !cJSON_AddItemToArray(keys, e->jwk))
			return EXIT_USAGE;
		(void)snprintf(msg, msz, "added issuer %s with key %s", e->v[O_ISS],
			       str_of(e->jwk, "kid"));
		e->jwk = NULL;
	} else if (strcmp(act, "remove-issuer") == 0) {
		if (!(is = find_issuer(e->root, e->v[O_ISS])))
			return refuse(act, "no issuer %s in the list", e->v[O_ISS]);
		cJSON_Delete(cJSON_DetachItemViaPointer(
			cJSON_GetObjectItemCaseSensitive(e->root, "issuers"), is));
		(void)snprintf(msg, msz, "removed issuer %s", e->v[O_ISS]);
	} else if (strcmp(act, "add-key") == 0) {
		if (!(is = find_issuer(e->root, e->v[O_ISS])))
			return refuse(act, "no issuer %s in the list (add it with tl add-issuer)",
				      e->v[O_ISS]);
		if (find_key(e->root, str_of(e->jwk, "kid"), &keys, &is))
			return refuse(act, "key %s is already listed, for %s", str_of(e->jwk, "kid"),
				      str_of(is, "iss"));
		is = find_issuer(e->root, e->v[O_ISS]);
		if (!key_entry(e) ||
		    !cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(is, "keys"), e->jwk))
			return EXIT_USAGE;
		(void)snprintf(msg, msz, "added key %s (%s) to %s", str_of(e->jwk, "kid"),
			       str_of(e->jwk, "status"), e->v[O_ISS]);
		e->jwk = NULL;
	} else if (strcmp(act, "snapshot-key") == 0) {
		/* the public key alone: no status or window */
		cJSON_DeleteItemFromObjectCaseSensitive(e->jwk, "status");
		cJSON_DeleteItemFromObjectCaseSensitive(e->jwk, "nbf");
		cJSON_DeleteItemFromObjectCaseSensitive(e->jwk, "exp");
		(void)snprintf(msg, msz, "snapshot key %s", str_of(e->jwk, "kid"));
		if (!set_member(e->root, "snapshot_key", e->jwk)) {
			e->jwk = NULL; /* set_member freed it */
			return EXIT_USAGE;
		}
		e->jwk = NULL;
	} else if (strcmp(act, "foreign") == 0) {
		/* the only name a trust list may give the foreign trust data */
		if (!str_member(e->root, "foreign", "foreign.jws"))
			return EXIT_USAGE;
		(void)snprintf(msg, msz, "names foreign.jws (hc-verify sync fetches it)");
	} else if (strcmp(act, "no-foreign") == 0) {
		if (!cJSON_GetObjectItemCaseSensitive(e->root, "foreign"))
			return refuse(act, "the list names no foreign trust data");
		cJSON_DeleteItemFromObjectCaseSensitive(e->root, "foreign");
		(void)snprintf(msg, msz, "names no foreign trust data (a held foreign.jws is kept "
					 "while it verifies)");
	} else if (strcmp(act, "next") == 0) {
		int64_t cur = int_of(e->root, "seq"), now = hc_now();

		if (e->v[O_SEQ] && e->seq <= cur) {
			return refuse(act, "--seq %lld is not above the list's seq %lld: "
					   "verifiers refuse a lower or equal seq",
				      (long long)e->seq, (long long)cur);
		}
		if (!num_member(e->root, "seq", e->v[O_SEQ] ? e->seq : cur + 1) ||
		    !num_member(e->root, "iat", now) ||
		    (e->v[O_NEXT] && !num_member(e->root, "next_update", e->next)))
			return EXIT_USAGE;
		if (int_of(e->root, "next_update") <= now) {
			hc_time_format(int_of(e->root, "next_update"), t, sizeof(t));
			return refuse(act, "next_update %s is not in the future (give --next-update)", t);
		}
		hc_time_format(int_of(e->root, "next_update"), t, sizeof(t));
		(void)snprintf(msg, msz, "seq %lld, next_update %s", (long long)int_of(e->root, "seq"),
			       t);
	} else {
		if (!e->v[O_KID])
			e->v[O_KID] = str_of(e->jwk, "kid");
		if (!(k = find_key(e->root, e->v[O_KID], &keys, &is)))
			return refuse(act, "no key %s in the list", e->v[O_KID]);
		if (strcmp(act, "remove-key") == 0) {
			cJSON_Delete(cJSON_DetachItemViaPointer(keys, k));
			(void)snprintf(msg, msz, "removed key %s of %s", e->v[O_KID], str_of(is, "iss"));
			return -1;
		}
		if (strcmp(str_of(k, "status"), "revoked") == 0)
			return refuse(act, "key %s is revoked; a revoked key stays revoked",
				      e->v[O_KID]);
		if (strcmp(act, "revoke-key") == 0) {
			if (!str_member(k, "status", "revoked"))
				return EXIT_USAGE;
			(void)snprintf(msg, msz, "revoked key %s of %s", e->v[O_KID], str_of(is, "iss"));
			cJSON_ArrayForEach(k, keys)
			{
				if (strcmp(str_of(k, "status"), "revoked") != 0)
					return -1;
			}
			fprintf(stderr, "hc-keys: warning: %s has no key left that is not revoked: "
					"every code it signed fails\n", str_of(is, "iss"));
			return -1;
		}
		if (!str_member(k, "status", "retired") || !num_member(k, "exp", e->exp))
			return EXIT_USAGE;
		hc_time_format(e->exp, t, sizeof(t));
		(void)snprintf(msg, msz, "retired key %s of %s, exp %s", e->v[O_KID], str_of(is, "iss"),
			       t);
	}
	return -1;
}

/* Reads and checks the options of action a. */
static int read_edit(size_t a, struct edit *e, int argc, char **argv)
{
	static const struct option opts[] = {
		{"iss", required_argument, NULL, O_ISS},
		{"name", required_argument, NULL, O_NAME},
		{"region", required_argument, NULL, O_REGION},
		{"revocations", required_argument, NULL, O_REV},
		{"max-validity", required_argument, NULL, O_MAXV},
		{"jwk", required_argument, NULL, O_JWK},
		{"nbf", required_argument, NULL, O_NBF},
		{"exp", required_argument, NULL, O_EXP},
		{"status", required_argument, NULL, O_STATUS},
		{"kid", required_argument, NULL, O_KID},
		{"seq", required_argument, NULL, O_SEQ},
		{"next-update", required_argument, NULL, O_NEXT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char **slots[O_N];
	int c;

	for (int i = 0; i < O_N; i++)
		slots[i] = &e->v[i];
	if ((c = read_opts(argc, argv, opts, slots, O_N)) >= 0)
		return c;
	if (argc - optind != 1)
		return usage(stderr, EXIT_USAGE);
	for (int i = 0; i < O_N; i++) {
		if ((actions[a].need >> i & 1) && !e->v[i]) {
			fprintf(stderr, "hc-keys: tl %s needs --%s\n", actions[a].name, opts[i].name);
			return EXIT_USAGE;
		}
		if (e->v[i] && !((actions[a].need | actions[a].allow) >> i & 1)) {
			fprintf(stderr, "hc-keys: tl %s takes no --%s\n", actions[a].name,
				opts[i].name);
			return EXIT_USAGE;
		}
	}
	if ((e->v[O_NBF] && !keys_time(e->v[O_NBF], &e->nbf)) ||
	    (e->v[O_EXP] && !keys_time(e->v[O_EXP], &e->exp)) ||
	    (e->v[O_NEXT] && !keys_time(e->v[O_NEXT], &e->next))) {
		fprintf(stderr, "hc-keys: tl %s: invalid time (seconds since 1970, RFC 3339 such as "
				"2027-01-01T00:00:00+08:00, a date, now or now+DURATION)\n",
			actions[a].name);
		return EXIT_USAGE;
	}
	if (e->v[O_SEQ] && !keys_seq(e->v[O_SEQ], &e->seq)) {
		fprintf(stderr, "hc-keys: --seq must be an integer from 1 to 2^53 - 1\n");
		return EXIT_USAGE;
	}
	if (e->v[O_MAXV] && (hc_duration_parse(e->v[O_MAXV], &e->maxv) != HC_OK ||
			     e->maxv > HC_MAX_MAX_VALIDITY)) {
		fprintf(stderr, "hc-keys: --max-validity: a duration up to 366d, e.g. 7d\n");
		return EXIT_USAGE;
	}
	/* A key to retire, revoke or remove is named by kid or by its JWK. */
	if (strstr(actions[a].name, "-key") && strcmp(actions[a].name, "add-key") != 0 &&
	    !e->v[O_KID] == !e->v[O_JWK]) {
		fprintf(stderr, "hc-keys: tl %s needs --kid or --jwk (one of them)\n",
			actions[a].name);
		return EXIT_USAGE;
	}
	if (e->v[O_STATUS] && strcmp(e->v[O_STATUS], "active") != 0 &&
	    strcmp(e->v[O_STATUS], "retired") != 0 && strcmp(e->v[O_STATUS], "revoked") != 0) {
		fprintf(stderr, "hc-keys: --status must be active, retired or revoked\n");
		return EXIT_USAGE;
	}
	return -1;
}

/* hc-keys tl ACTION FILE [options] */
int cmd_tl(int argc, char **argv)
{
	struct edit e;
	const char *file;
	uint8_t *buf = NULL;
	char *out = NULL, msg[512] = "";
	size_t a, len = 0;
	int rc;
	hc_err err;

	memset(&e, 0, sizeof(e));
	if (argc < 2)
		return usage(stderr, EXIT_USAGE);
	for (a = 0; a < sizeof(actions) / sizeof(actions[0]); a++)
		if (strcmp(argv[1], actions[a].name) == 0)
			break;
	if (a == sizeof(actions) / sizeof(actions[0])) {
		fprintf(stderr, "hc-keys: tl: unknown edit '%s'\n", argv[1]);
		return usage(stderr, EXIT_USAGE);
	}
	if ((rc = read_edit(a, &e, argc - 1, argv + 1)) >= 0)
		return rc;
	file = argv[optind + 1];
	rc = EXIT_USAGE;
	if (e.v[O_JWK] && (err = keys_load_jwk(e.v[O_JWK], &e.jwk)) != HC_OK) {
		die_err(e.v[O_JWK], err);
		rc = err == HC_ERR_IO || err == HC_ERR_NOMEM ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	if (a == 0) {
		struct stat st;

		if (lstat(file, &st) == 0) {
			fprintf(stderr, "hc-keys: %s: exists (tl new never overwrites)\n", file);
			goto out;
		}
		if (!(e.root = cJSON_CreateObject()) || !num_member(e.root, "seq", e.v[O_SEQ] ? e.seq : 1) ||
		    !num_member(e.root, "iat", hc_now()) || !num_member(e.root, "next_update", e.next) ||
		    !cJSON_AddArrayToObject(e.root, "issuers"))
			goto out;
		if (e.next <= hc_now()) {
			rc = refuse("new", "--next-update %s is not in the future", e.v[O_NEXT]);
			goto out;
		}
		(void)snprintf(msg, sizeof(msg), "new trust-list payload, seq %lld",
			       (long long)int_of(e.root, "seq"));
	} else {
		if ((err = hc_read_file(file, HC_MAX_TRUST_FILE, &buf, &len)) != HC_OK) {
			die_err(file, err);
			goto out;
		}
		/* Only a payload hc-keys trustlist would sign is edited. */
		if ((err = hc_trustlist_validate((const char *)buf, len)) != HC_OK ||
		    (err = hc_json_parse((const char *)buf, len, &e.root)) != HC_OK) {
			die_err(file, err);
			rc = EXIT_FAIL;
			goto out;
		}
		if ((rc = apply(actions[a].name, &e, msg, sizeof(msg))) >= 0)
			goto out;
		rc = EXIT_USAGE;
	}
	if (!(out = cJSON_Print(e.root)))
		goto out;
	if ((err = hc_trustlist_validate(out, strlen(out))) != HC_OK) {
		char what[64];

		(void)snprintf(what, sizeof(what), "tl %s refused", actions[a].name);
		die_err(what, err);
		rc = EXIT_FAIL;
		goto out;
	}
	if (strlen(out) > HC_MAX_TRUST_FILE) {
		fprintf(stderr, "hc-keys: tl %s: the payload would exceed %u bytes\n", actions[a].name,
			HC_MAX_TRUST_FILE);
		rc = EXIT_FAIL;
		goto out;
	}
	{
		size_t n = strlen(out);
		char *nl = realloc(out, n + 2);

		if (!nl)
			goto out;
		out = nl;
		out[n] = '\n';
		out[n + 1] = '\0';
	}
	if ((err = hc_write_file_atomic(file, out, strlen(out), 0644)) != HC_OK) {
		die_err(file, err);
		goto out;
	}
	printf("%s: %s\n", file, msg);
	rc = 0;
out:
	free(out);
	free(buf);
	cJSON_Delete(e.jwk);
	cJSON_Delete(e.root);
	return rc;
}
