/* audit.c: hc-verify audit: checks an issuing office's published audit
 * chain (a directory or an https:// URL) under the trust list and counts
 * what it records by action and actor. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit_int.h"
#include "hc_audit_check.h"
#include "hc_json.h"
#include "verifier.h"

static const char usage_text[] =
	"usage: hc-verify audit --trust DIR [--since-head FILE] [--save-head FILE]\n"
	"                       [--cacert FILE] [--timeout SECONDS] [--json] SOURCE\n"
	"\n"
	"Checks the audit chain an issuing office publishes: SOURCE is its publish\n"
	"directory (holding audit/head.jws and audit/NNNNNN.jsonl) or the https://\n"
	"URL of it. The head must be signed by a key of its issuer in the trust\n"
	"list (not revoked, inside its window); every entry from 1 to the head's\n"
	"seq must be there, in order, each naming the hash of the one before; the\n"
	"head's hash must be that of its last entry. Then prints the counts of\n"
	"entries by action, by actor, by actor and action, and the status changes\n"
	"by actor, new status and reason (with the number of people).\n"
	"\n"
	"  --trust DIR          trust directory\n"
	"  --since-head FILE    an older head (from --save-head): the chain must\n"
	"                       extend it, history not rewritten\n"
	"  --save-head FILE     after a chain verifies, write its head to FILE\n"
	"  --cacert FILE        CA certificates for an https:// SOURCE\n"
	"  --timeout SECONDS    limit for each transfer (default 60)\n"
	"  --json               one JSON object\n"
	"  --help               this text\n"
	"\n"
	"Exit status: 0 the chain verifies, 1 it is refused (the reason is\n"
	"printed: doc/FORMATS.md lists them), 2 usage, I/O, network or trust\n"
	"directory error.\n";

#define SEP "\x1f" /* between the parts of a counter's key: a control, never in an entry */
#define MAX_SOURCE 2048

struct source {
	const char *path; /* a directory, or */
	char url[MAX_SOURCE]; /* an https:// URL without a trailing slash */
	struct fetch_opts fo;
};

/* Reads audit/NAME of the source, at most cap bytes. A missing file is
 * HC_OK with *missing set (404 over HTTPS). */
static hc_err source_get(struct source *s, const char *name, size_t cap, uint8_t **buf,
			 size_t *n, bool *missing)
{
	char path[MAX_SOURCE + 64];
	struct fetch f;
	struct stat st;
	hc_err err;

	*buf = NULL;
	*n = 0;
	*missing = false;
	if (s->path) {
		if ((err = hc_path(path, sizeof(path), "%s/audit/%s", s->path, name)) != HC_OK)
			return err;
		if (stat(path, &st) == -1 && errno == ENOENT) {
			*missing = true;
			return HC_OK;
		}
		return hc_read_file(path, cap, buf, n);
	}
	if ((err = hc_path(path, sizeof(path), "%s/audit/%s", s->url, name)) != HC_OK)
		return err;
	err = fetch_url(&s->fo, path, NULL, 0, cap, &f);
	if (err == HC_ERR_NET && f.status == 404) {
		*missing = true;
		return HC_OK;
	}
	if (err != HC_OK)
		return err;
	*buf = f.body;
	*n = f.len;
	return HC_OK;
}

/* What the entries say. */
struct counter {
	struct tally t;
	hc_err err; /* HC_ERR_NOMEM once a counter could not be added */
	uint64_t n;
	int64_t first_at, last_at;
};

static void count_key(struct counter *c, uint64_t *was, const char *a, const char *b,
		      const char *d, const char *e)
{
	/* The parts are strings of one entry line: together shorter than it. */
	char key[HC_MAX_AUDIT_LINE + 16];
	int r;

	if (c->err != HC_OK)
		return;
	r = snprintf(key, sizeof(key), "%s%s%s%s%s%s%s", a, SEP, b, d ? SEP : "", d ? d : "",
		     e ? SEP : "", e ? e : "");
	if (r < 0 || (size_t)r >= sizeof(key))
		c->err = HC_ERR_INVALID_ARG;
	else
		c->err = tally_add(&c->t, key, 1, was);
}

/* Counter keys: a SEP action; u SEP actor; x SEP actor SEP action; for
 * status entries s SEP actor SEP to (entries), w ... SEP why (reasons),
 * p ... SEP person (one per person) and q SEP actor SEP to (people). */
static void on_entry(const struct hc_audit_entry *e, void *arg)
{
	struct counter *c = arg;
	const char *to = e->to ? e->to : "-";
	uint64_t was = 1;

	if (c->n++ == 0)
		c->first_at = e->at;
	c->last_at = e->at;
	count_key(c, NULL, "a", e->action, NULL, NULL);
	count_key(c, NULL, "u", e->actor, NULL, NULL);
	count_key(c, NULL, "x", e->actor, e->action, NULL);
	if (strcmp(e->action, "status") != 0)
		return;
	count_key(c, NULL, "s", e->actor, to, NULL);
	for (size_t i = 0; i < e->nwhy; i++)
		count_key(c, NULL, "w", e->actor, to, e->why[i]);
	if (e->nwhy == 0)
		count_key(c, NULL, "w", e->actor, to, "-");
	if (e->person)
		count_key(c, &was, "p", e->actor, to, e->person);
	if (was == 0)
		count_key(c, NULL, "q", e->actor, to, NULL);
}

#define PART (HC_MAX_AUDIT_LINE + 1)

/* The parts of key (after its tag) split at SEP: as they are (for JSON,
 * which escapes them) or display-safe (for text). */
static size_t key_parts(const char *key, bool safe, char part[3][PART])
{
	const char *p = key + 2;
	size_t n = 0;

	while (n < 3) {
		const char *sep = strchr(p, SEP[0]);
		char raw[PART];
		size_t l = sep ? (size_t)(sep - p) : strlen(p);

		if (l >= sizeof(raw))
			l = sizeof(raw) - 1;
		memcpy(raw, p, l);
		raw[l] = '\0';
		if (safe)
			hc_display_safe(raw, part[n], PART);
		else
			memcpy(part[n], raw, l + 1);
		n++;
		if (!sep)
			break;
		p = sep + 1;
	}
	return n;
}

/* The index of the first key with tag, or of the NULL at the end. */
static size_t first_of(const struct tally_item **v, char tag)
{
	size_t i = 0;

	while (v[i] && v[i]->key[0] < tag)
		i++;
	return i;
}

/* Walks the w keys (from *j on) that belong to s key sk: they sort in the
 * order of their s keys, so one pass over both lists visits each once.
 * Returns the next one or NULL. */
static const struct tally_item *next_why(const struct tally_item **v, size_t *j, const char *sk)
{
	size_t l = strlen(sk + 1);

	for (; v[*j] && v[*j]->key[0] == 'w'; (*j)++) {
		int c = strncmp(v[*j]->key + 1, sk + 1, l);

		if (c > 0 || (c == 0 && v[*j]->key[1 + l] != SEP[0]))
			return NULL; /* past this s key's reasons */
		if (c == 0)
			return v[(*j)++];
	}
	return NULL;
}

static void print_text(const struct hc_audit_head *h, const struct hc_audit_head *since,
		       const struct counter *c, const struct tally_item **v)
{
	static const char *const titles[] = {"a", "by action:", "u", "by actor:", "x",
					     "by actor and action:"};
	static char part[3][PART];
	char iss[300], t1[32], t2[32], q[HC_MAX_AUDIT_LINE + 16];
	const struct tally_item *w;
	size_t j = first_of(v, 'w');

	hc_display_safe(h->iss, iss, sizeof(iss));
	hc_time_format(h->at, t1, sizeof(t1));
	printf("verified: %s, entries 1..%" PRId64 ", head signed %s by key %s\n", iss, h->seq, t1,
	       h->kid);
	if (since)
		printf("extends the older head at entry %" PRId64 "\n", since->seq);
	hc_time_format(c->first_at, t1, sizeof(t1));
	hc_time_format(c->last_at, t2, sizeof(t2));
	printf("entries: %" PRIu64 ", from %s to %s\n", c->n, t1, t2);
	for (size_t s = 0; s < sizeof(titles) / sizeof(titles[0]); s += 2) {
		printf("%s\n", titles[s + 1]);
		for (size_t i = first_of(v, titles[s][0]); v[i] && v[i]->key[0] == titles[s][0];
		     i++) {
			size_t np = key_parts(v[i]->key, true, part);

			printf("  %s%s%s %" PRIu64 "\n", part[0], np > 1 ? " " : "",
			       np > 1 ? part[1] : "", v[i]->n);
		}
	}
	printf("status changes by actor and new status:\n");
	for (size_t i = first_of(v, 's'); v[i] && v[i]->key[0] == 's'; i++) {
		(void)snprintf(q, sizeof(q), "q%s", v[i]->key + 1);
		key_parts(v[i]->key, true, part);
		printf("  %s -> %s: %" PRIu64 " entries, %" PRIu64 " people\n", part[0], part[1],
		       v[i]->n, tally_get(&c->t, q));
		while ((w = next_why(v, &j, v[i]->key)))
			if (key_parts(w->key, true, part) == 3)
				printf("      %s %" PRIu64 "\n", part[2], w->n);
	}
}

static void print_json(const struct hc_audit_head *h, const struct hc_audit_head *since,
		       const struct counter *c, const struct tally_item **v)
{
	static char part[3][PART];
	cJSON *r = cJSON_CreateObject(), *o, *arr, *st, *why, *a = NULL;
	char *s, q[HC_MAX_AUDIT_LINE + 16];
	const struct tally_item *w;
	size_t j = first_of(v, 'w');

	if (!r)
		return;
	cJSON_AddBoolToObject(r, "verified", true);
	cJSON_AddStringToObject(r, "iss", h->iss);
	cJSON_AddNumberToObject(r, "seq", (double)h->seq);
	cJSON_AddNumberToObject(r, "at", (double)h->at);
	cJSON_AddStringToObject(r, "kid", h->kid);
	if (since)
		cJSON_AddNumberToObject(r, "since_seq", (double)since->seq);
	cJSON_AddNumberToObject(r, "entries", (double)c->n);
	cJSON_AddNumberToObject(r, "first_at", (double)c->first_at);
	cJSON_AddNumberToObject(r, "last_at", (double)c->last_at);
	/* Keys are unique and sorted: each member is added once, in order. */
	if ((o = cJSON_AddObjectToObject(r, "by_action")))
		for (size_t i = first_of(v, 'a'); v[i] && v[i]->key[0] == 'a'; i++)
			cJSON_AddNumberToObject(o, v[i]->key + 2, (double)v[i]->n);
	if ((o = cJSON_AddObjectToObject(r, "by_actor")))
		for (size_t i = first_of(v, 'u'); v[i] && v[i]->key[0] == 'u'; i++)
			cJSON_AddNumberToObject(o, v[i]->key + 2, (double)v[i]->n);
	if ((o = cJSON_AddObjectToObject(r, "by_actor_action"))) {
		char last[PART] = "";

		for (size_t i = first_of(v, 'x'); v[i] && v[i]->key[0] == 'x'; i++) {
			if (key_parts(v[i]->key, false, part) != 2)
				continue;
			/* One actor's keys are next to each other. */
			if (!a || strcmp(last, part[0]) != 0) {
				a = cJSON_AddObjectToObject(o, part[0]);
				memcpy(last, part[0], sizeof(last));
			}
			if (a)
				cJSON_AddNumberToObject(a, part[1], (double)v[i]->n);
		}
	}
	if ((arr = cJSON_AddArrayToObject(r, "status")))
		for (size_t i = first_of(v, 's'); v[i] && v[i]->key[0] == 's'; i++) {
			if (!(st = cJSON_CreateObject()))
				break;
			(void)snprintf(q, sizeof(q), "q%s", v[i]->key + 1);
			key_parts(v[i]->key, false, part);
			cJSON_AddStringToObject(st, "actor", part[0]);
			cJSON_AddStringToObject(st, "to", part[1]);
			cJSON_AddNumberToObject(st, "entries", (double)v[i]->n);
			cJSON_AddNumberToObject(st, "people", (double)tally_get(&c->t, q));
			why = cJSON_AddObjectToObject(st, "why");
			while ((w = next_why(v, &j, v[i]->key)))
				if (why && key_parts(w->key, false, part) == 3)
					cJSON_AddNumberToObject(why, part[2], (double)w->n);
			cJSON_AddItemToArray(arr, st);
		}
	if ((s = cJSON_PrintUnformatted(r)))
		printf("%s\n", s);
	free(s);
	cJSON_Delete(r);
}

static int refused(bool json, enum hc_audit_reason why)
{
	char d[600];

	hc_display_safe(hc_detail(), d, sizeof(d));
	if (json) {
		cJSON *r = cJSON_CreateObject();
		char *s = NULL;

		if (r) {
			cJSON_AddBoolToObject(r, "verified", false);
			cJSON_AddStringToObject(r, "reason", hc_audit_reason_name(why));
			cJSON_AddStringToObject(r, "detail", d);
			s = cJSON_PrintUnformatted(r);
		}
		if (s)
			printf("%s\n", s);
		free(s);
		cJSON_Delete(r);
	} else {
		printf("REFUSED %s: %s\n", hc_audit_reason_name(why), d);
	}
	return EXIT_FAIL;
}

struct run {
	struct source src;
	const struct hc_trust *t;
	const char *since_file, *save_file;
	bool json;
	uint8_t *head;
	size_t head_len;
};

/* Reads and verifies the older head given with --since-head. */
static int since_head(const struct run *r, const struct hc_audit_head *h,
		      struct hc_audit_head *since)
{
	enum hc_audit_reason why;
	uint8_t *b = NULL;
	size_t n = 0;
	hc_err err;

	if ((err = hc_read_file(r->since_file, HC_AUDIT_MAX_HEAD, &b, &n)) != HC_OK) {
		verifier_err(r->since_file, err);
		return EXIT_USAGE;
	}
	/* The key may have been retired or revoked since: only its signature. */
	err = hc_audit_head_verify(r->t, (const char *)b, n, false, since, &why);
	free(b);
	if (err != HC_OK) {
		char d[300];

		hc_display_safe(hc_detail(), d, sizeof(d));
		fprintf(stderr, "hc-verify audit: %s: not a head the trust list verifies: %s: %s\n",
			r->since_file, err == HC_ERR_AUDIT ? hc_audit_reason_name(why) : hc_strerror(err),
			d);
		return EXIT_USAGE;
	}
	if (strcmp(since->iss, h->iss) != 0) {
		fprintf(stderr, "hc-verify audit: %s: a head of another issuer\n", r->since_file);
		return EXIT_USAGE;
	}
	return 0;
}

static int check(struct run *r)
{
	struct hc_audit_head h, since;
	struct hc_audit_chain *c = NULL;
	struct counter cnt;
	const struct tally_item **v = NULL;
	enum hc_audit_reason why = HC_AUDIT_OK;
	bool missing;
	int rc = EXIT_USAGE;
	hc_err err;

	memset(&cnt, 0, sizeof(cnt));
	memset(&h, 0, sizeof(h));
	memset(&since, 0, sizeof(since));
	err = source_get(&r->src, "head.jws", HC_AUDIT_MAX_HEAD, &r->head, &r->head_len, &missing);
	if (err == HC_ERR_TOO_LARGE)
		return refused(r->json, HC_AUDIT_MALFORMED_HEAD);
	if (err != HC_OK || missing) {
		if (missing)
			hc_set_detail("audit/head.jws: not published");
		verifier_err("head", err != HC_OK ? err : HC_ERR_IO);
		return EXIT_USAGE;
	}
	if ((err = hc_audit_head_verify(r->t, (const char *)r->head, r->head_len, true, &h, &why)) !=
	    HC_OK) {
		if (err == HC_ERR_AUDIT)
			return refused(r->json, why);
		verifier_err("head", err);
		return EXIT_USAGE;
	}
	if (r->since_file && (rc = since_head(r, &h, &since)) != 0)
		return rc;
	err = hc_audit_chain_new(&h, r->since_file ? &since : NULL, on_entry, &cnt, &c, &why);
	for (int64_t k = 1; err == HC_OK && k <= hc_audit_segments(&h); k++) {
		char name[32];
		uint8_t *b = NULL;
		size_t n = 0;

		(void)snprintf(name, sizeof(name), "%06" PRId64 ".jsonl", k);
		err = source_get(&r->src, name, HC_AUDIT_MAX_SEGMENT, &b, &n, &missing);
		if (err == HC_ERR_TOO_LARGE) {
			hc_set_detail("segment %s: larger than %zu bytes", name,
				      (size_t)HC_AUDIT_MAX_SEGMENT);
			why = HC_AUDIT_OVERSIZED_SEGMENT;
			err = HC_ERR_AUDIT;
		} else if (err == HC_OK) {
			err = hc_audit_chain_segment(c, k, b, n, &why);
		}
		free(b);
	}
	if (err == HC_OK)
		err = hc_audit_chain_finish(c, &why);
	if (err == HC_OK && cnt.err != HC_OK)
		err = cnt.err;
	if (err == HC_ERR_AUDIT) {
		rc = refused(r->json, why);
	} else if (err != HC_OK) {
		verifier_err("audit chain", err);
		rc = EXIT_USAGE;
	} else if (!(v = tally_sorted(&cnt.t))) {
		verifier_err("audit chain", HC_ERR_NOMEM);
		rc = EXIT_USAGE;
	} else {
		if (r->json)
			print_json(&h, r->since_file ? &since : NULL, &cnt, v);
		else
			print_text(&h, r->since_file ? &since : NULL, &cnt, v);
		rc = 0;
		if (r->save_file &&
		    (err = hc_write_file_atomic(r->save_file, r->head, r->head_len, 0644)) != HC_OK) {
			verifier_err(r->save_file, err);
			rc = EXIT_USAGE;
		}
	}
	free(v);
	tally_free(&cnt.t);
	hc_audit_chain_free(c);
	return rc;
}

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"trust", required_argument, NULL, 't'},
		{"since-head", required_argument, NULL, 's'},
		{"save-head", required_argument, NULL, 'S'},
		{"cacert", required_argument, NULL, 'c'},
		{"timeout", required_argument, NULL, 'T'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct run r;
	struct hc_trust *t = NULL;
	unsigned char seen[256] = {0};
	const char *dir = NULL, *src;
	int c, rc = EXIT_USAGE;
	size_t ul;
	hc_err err;

	memset(&r, 0, sizeof(r));
	verifier_prog = "hc-verify audit";
	r.src.fo.timeout = 60;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;

		if (c != '?' && seen[c]++) {
			fprintf(stderr, "hc-verify audit: option given twice\n");
			return EXIT_USAGE;
		}
		switch (c) {
		case 't': dir = optarg; break;
		case 's': r.since_file = optarg; break;
		case 'S': r.save_file = optarg; break;
		case 'c': r.src.fo.cacert = optarg; break;
		case 'T':
			r.src.fo.timeout = strtol(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end || r.src.fo.timeout < 1 ||
			    r.src.fo.timeout > 3600) {
				fprintf(stderr, "hc-verify audit: --timeout: 1 to 3600 seconds\n");
				return EXIT_USAGE;
			}
			break;
		case 'j': r.json = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	if (!dir || optind != argc - 1) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	src = argv[optind];
	ul = strlen(src);
	if (strncmp(src, "https://", 8) == 0) {
		if (ul < 9 || ul >= sizeof(r.src.url)) {
			fprintf(stderr, "hc-verify audit: SOURCE: URL too long or empty\n");
			return EXIT_USAGE;
		}
		memcpy(r.src.url, src, ul + 1);
		while (ul > 8 && r.src.url[ul - 1] == '/')
			r.src.url[--ul] = '\0';
	} else if (strstr(src, "://")) {
		fprintf(stderr, "hc-verify audit: SOURCE: a directory or an https:// URL\n");
		return EXIT_USAGE;
	} else {
		r.src.path = src;
	}
	if ((err = hc_trust_load(dir, &t)) != HC_OK) {
		verifier_err(dir, err);
		return EXIT_USAGE;
	}
	r.t = t;
	if (!r.src.path && (err = hc_dl_curl()) != HC_OK) {
		verifier_err("audit", err);
		hc_trust_free(t);
		return EXIT_USAGE;
	}
	if (!r.src.path) {
		if (sym_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
		    !(r.src.fo.h = sym_curl_easy_init())) {
			fprintf(stderr, "hc-verify audit: cannot initialise libcurl\n");
			goto out;
		}
	}
	hc_set_detail(NULL);
	rc = check(&r);
out:
	if (r.src.fo.h)
		sym_curl_easy_cleanup(r.src.fo.h);
	if (!r.src.path)
		sym_curl_global_cleanup();
	free(r.head);
	hc_trust_free(t);
	return rc;
}
