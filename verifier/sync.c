/* sync.c: hc-verify sync: brings a trust directory up to date from a
 * publishing URL. All or nothing: every fetched file is verified against
 * the new set, then the whole set is installed as a new generation by one
 * rename (sync_store.c); a failure leaves the old generation. The
 * revocation lists and the snapshot are checked against the held ones in
 * sync_check.c. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_foreign.h"
#include "hc_json.h"
#include "sync_int.h"

#define MAX_ITEMS 1100 /* the trust list, a list per issuer, stray files */

static const char usage_text[] =
	"usage: hc-verify sync --trust DIR [--cacert FILE] [--timeout SECONDS]\n"
	"                      [--wait SECONDS] URL\n"
	"\n"
	"Fetches URL/trustlist.jws, URL/snapshot.jws when the trust list names a\n"
	"snapshot key, and the revocation lists it names over HTTPS, and installs\n"
	"them in DIR as one new generation when every signature verifies, every\n"
	"file matches the snapshot and no sequence number goes below the highest\n"
	"ever installed. One sync at a time per DIR. DIR must hold the pinned\n"
	"roots in DIR/roots/.\n"
	"\n"
	"  --trust DIR        trust directory to update\n"
	"  --cacert FILE      CA certificates for the server (default: the system's)\n"
	"  --timeout SECONDS  limit for each transfer (default 60)\n"
	"  --wait SECONDS     how long to wait for another sync of DIR (default 120)\n"
	"  --help             this text\n"
	"\n"
	"Exit status: 0 updated or unchanged, 1 a file was refused (signature,\n"
	"format, rollback or snapshot), 2 usage, network, server or I/O error, or another\n"
	"sync still running after --wait. On any failure the trust directory\n"
	"is left as it was.\n";



/* The validators remembered for rel, if they belong to this URL and to
 * the bytes held now. */
static void validators(const struct sync *s, const struct sync_item *it, const char **etag,
		       int64_t *since)
{
	const cJSON *u, *f, *e, *h, *lm;
	uint8_t d[32];
	char dh[65];

	*etag = NULL;
	*since = 0;
	if (!s->state || !it->held || hc_sha256(it->held, it->held_len, d) != HC_OK)
		return;
	u = cJSON_GetObjectItemCaseSensitive(s->state, "url");
	f = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s->state, "files"),
					     it->rel);
	if (!cJSON_IsString(u) || strcmp(u->valuestring, s->url) != 0 || !cJSON_IsObject(f))
		return;
	hc_hex(d, 32, dh);
	h = cJSON_GetObjectItemCaseSensitive(f, "sha256");
	if (!cJSON_IsString(h) || strcmp(h->valuestring, dh) != 0)
		return;
	e = cJSON_GetObjectItemCaseSensitive(f, "etag");
	lm = cJSON_GetObjectItemCaseSensitive(f, "last_modified");
	if (cJSON_IsString(e) && e->valuestring[0] && strlen(e->valuestring) < FETCH_ETAG_LEN)
		*etag = e->valuestring;
	if (cJSON_IsNumber(lm) && lm->valuedouble > 0 && lm->valuedouble < 1e13)
		*since = (int64_t)lm->valuedouble;
}

static hc_err read_held(const struct sync *s, struct sync_item *it, size_t cap)
{
	char path[4096];
	hc_err err;

	if (hc_path(path, sizeof(path), "%s/%s", s->data, it->rel) != HC_OK)
		return HC_ERR_INVALID_ARG;
	err = hc_read_file(path, cap, &it->held, &it->held_len);
	if (err == HC_ERR_IO && errno == ENOENT)
		return HC_OK;
	return err;
}

/* Notes for the end of a failed sync what the user can do about a failed
 * fetch:
 * a certificate that does not verify wants --cacert (a private CA) or a
 * valid certificate; a missing revocation list means the operator
 * published a trust list before the list it names. */
static void suggest(struct sync *s, const struct sync_item *it, const struct fetch *f, hc_err err)
{
	const char *d = hc_detail(), *hint = NULL;

	if (err == HC_ERR_NET && f->status == 0 &&
	    (strstr(d, "SSL") || strstr(d, "certificate") || strstr(d, "TLS")))
		hint = s->fo.cacert ? "the server's certificate does not verify under --cacert "
				      "(wrong CA, or a name or address not in the certificate)"
				    : "the server's certificate does not verify under the system's "
				      "CAs: for a private CA give its certificate with --cacert FILE";
	else if (f->status == 404 && strncmp(it->rel, "revocations/", 12) == 0)
		hint = "the trust list names a revocation list the server does not have: the "
		       "operator must publish revocation lists before the trust list that names "
		       "them (doc/PUBLISHING.md, publishing order)";
	else if (f->status == 404 && strcmp(it->rel, "trustlist.jws") == 0)
		hint = "no trust list there: URL is the directory that holds trustlist.jws";
	else if (f->status == 404 && strcmp(it->rel, "snapshot.jws") == 0)
		hint = "the trust list names a snapshot key but the server has no snapshot.jws: "
		       "the operator must publish snapshot.jws (doc/PUBLISHING.md, snapshots)";
	if (hint && !s->hint)
		s->hint = hint;
}

/* Fetches one named file; a 304 answer means the held bytes. */
static hc_err fetch_item(struct sync *s, struct sync_item *it, size_t cap)
{
	char url[4096];
	const char *etag;
	int64_t since;
	struct fetch f;
	hc_err err;

	validators(s, it, &etag, &since);
	(void)snprintf(url, sizeof(url), "%s/%s", s->url, it->rel); /* fits: MAX_DIR */
	if ((err = fetch_url(&s->fo, url, etag, since, cap, &f)) != HC_OK) {
		suggest(s, it, &f, err);
		return err;
	}
	memcpy(it->etag, f.etag, sizeof(it->etag));
	it->last_modified = f.last_modified;
	if (f.status == 304) {
		if (!it->held) {
			hc_set_detail("%s: 304 Not Modified for a file not held", url);
			return HC_ERR_NET;
		}
		if (!(it->body = malloc(it->held_len + 1)))
			return HC_ERR_NOMEM;
		memcpy(it->body, it->held, it->held_len + 1);
		it->len = it->held_len;
		if (!it->etag[0] && etag)
			(void)snprintf(it->etag, sizeof(it->etag), "%s", etag);
		if (!it->last_modified)
			it->last_modified = since;
		return HC_OK;
	}
	it->body = f.body;
	it->len = f.len;
	return HC_OK;
}

static struct sync_item *add_item(struct sync *s, const char *rel, bool named)
{
	struct sync_item *it;

	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->items[i].rel, rel) == 0) {
			s->items[i].named |= named;
			return &s->items[i];
		}
	if (s->n == MAX_ITEMS)
		return NULL;
	it = &s->items[s->n++];
	memset(it, 0, sizeof(*it));
	(void)snprintf(it->rel, sizeof(it->rel), "%s", rel); /* every rel is < 300 bytes */
	it->named = named;
	return it;
}

/* Revocation lists held but not named by the new trust list must still
 * verify under it, or the directory would not load after the update. */
static hc_err add_stray(struct sync *s)
{
	char path[4096];
	struct dirent *de;
	DIR *d;

	if (hc_path(path, sizeof(path), "%s/revocations", s->data) != HC_OK)
		return HC_ERR_INVALID_ARG;
	if (!(d = opendir(path)))
		return HC_OK;
	while ((de = readdir(d))) {
		char rel[300];

		if (!hc_trust_rev_file(de->d_name))
			continue;
		(void)snprintf(rel, sizeof(rel), "revocations/%s", de->d_name); /* NAME_MAX 255 */
		if (!add_item(s, rel, false)) {
			closedir(d);
			return HC_ERR_TOO_LARGE;
		}
	}
	closedir(d);
	return HC_OK;
}

/* foreign.jws: fetched when the new trust list names it (else a held one
 * is kept while it verifies), signed by a pinned root, its seq not below
 * the one held (equal only for the same payload). */
static hc_err check_foreign(struct sync *s)
{
	const bool named = hc_trust_foreign_path(s->t)[0] != '\0';
	const struct hc_foreign *hf = s->held ? hc_trust_foreign(s->held) : NULL;
	struct hc_foreign *f = NULL;
	struct hc_foreign_info fi, hi;
	struct sync_item *it;
	hc_err err;

	if (!(it = add_item(s, "foreign.jws", named)))
		return HC_ERR_TOO_LARGE;
	it->foreign = true;
	if ((err = read_held(s, it, HC_MAX_FOREIGN_FILE)) != HC_OK)
		return err;
	if (named) {
		if ((err = fetch_item(s, it, HC_MAX_FOREIGN_FILE)) != HC_OK)
			return err;
	} else if (it->held) {
		if (!(it->body = malloc(it->held_len + 1)))
			return HC_ERR_NOMEM;
		memcpy(it->body, it->held, it->held_len + 1);
		it->len = it->held_len;
	} else {
		return HC_OK;
	}
	if ((err = hc_foreign_check(s->t, it->rel, (const char *)it->body, it->len, &f)) != HC_OK) {
		if (named)
			return err;
		it->drop = true; /* a held file no pinned root verifies any more */
		return HC_OK;
	}
	hc_foreign_info(f, &fi);
	hc_foreign_free(f);
	it->new_seq = fi.seq;
	memcpy(it->digest, fi.digest, 32);
	it->old_seq = sync_same(it) ? fi.seq : 0;
	if (hf) {
		hc_foreign_info(hf, &hi);
		it->old_seq = hi.seq;
		if (fi.seq < hi.seq || (fi.seq == hi.seq && memcmp(fi.digest, hi.digest, 32) != 0)) {
			hc_set_detail("%s: seq %lld, held %lld%s", it->rel, (long long)fi.seq,
				      (long long)hi.seq, fi.seq == hi.seq ? " with other contents" : "");
			return HC_ERR_ROLLBACK;
		}
	}
	if (s->snap && hc_snapshot_match(s->snap, it->rel, it->new_seq, it->body, it->len) != HC_OK)
		return HC_ERR_SNAPSHOT;
	return HC_OK;
}

static void report(const struct sync *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct sync_item *it = &s->items[i];

		if (it->drop)
			printf("%s: removed (its issuer's keys no longer verify it)\n", it->rel);
		if (!it->named)
			continue;
		if (sync_same(it))
			printf("%s: unchanged (seq %lld)\n", it->rel, (long long)it->new_seq);
		else if (!it->held)
			printf("%s: installed (seq %lld)\n", it->rel, (long long)it->new_seq);
		else
			printf("%s: updated (seq %lld -> %lld)\n", it->rel, (long long)it->old_seq,
			       (long long)it->new_seq);
	}
}

/* A verification failure is a refusal (1); memory, crypto library or I/O
 * trouble is not about the data (2). */
static int refusal(hc_err err)
{
	return err == HC_ERR_NOMEM || err == HC_ERR_CRYPTO || err == HC_ERR_IO ? EXIT_USAGE
									      : EXIT_FAIL;
}

/* The whole update; returns an exit status. */
static int run(struct sync *s)
{
	struct sync_item *tl = add_item(s, "trustlist.jws", true), *it;
	int64_t base;
	hc_err err;

	/* 1. The trust list: verified under the pinned roots, seq not lower. */
	if ((err = read_held(s, tl, HC_MAX_TRUST_FILE)) != HC_OK) {
		verifier_err("trustlist.jws (held)", err);
		return EXIT_USAGE;
	}
	if (tl->held && hc_trust_check_list(s->t, (const char *)tl->held, tl->held_len,
					    &tl->old_seq) != HC_OK)
		tl->old_seq = 0; /* an unusable held list protects nothing */
	if ((err = fetch_item(s, tl, HC_MAX_TRUST_FILE)) != HC_OK) {
		verifier_err("trustlist.jws", err);
		return EXIT_USAGE;
	}
	if ((err = hc_trust_set_list(s->t, (const char *)tl->body, tl->len)) != HC_OK) {
		verifier_err("trustlist.jws refused", err);
		return refusal(err);
	}
	tl->new_seq = hc_trust_seq(s->t);
	if (tl->new_seq < tl->old_seq || (tl->new_seq == tl->old_seq && tl->held && !sync_same(tl))) {
		hc_set_detail("seq %lld, held %lld", (long long)tl->new_seq, (long long)tl->old_seq);
		verifier_err("trustlist.jws refused", HC_ERR_ROLLBACK);
		return EXIT_FAIL;
	}
	/* 1b. The snapshot its key signed: every file installed must be the
	 * one it lists, so a list held back by the server shows. */
	if ((err = sync_fetch_snapshot(s)) != HC_OK ||
	    (s->snap && (err = hc_snapshot_match(s->snap, tl->rel, tl->new_seq, tl->body, tl->len)) !=
				HC_OK)) {
		verifier_err("snapshot.jws", err);
		return err == HC_ERR_SNAPSHOT || err == HC_ERR_ROLLBACK ? EXIT_FAIL : EXIT_USAGE;
	}
	/* The held list may be gone, damaged or signed by a root rotated out
	 * of band: the durable baseline holds all the same. */
	if ((err = sync_baseline_check(s, s->base)) != HC_OK) {
		verifier_err("refused", err);
		return EXIT_FAIL;
	}
	if (sync_baseline_get(s->base, NULL, "trustlist", &base, NULL) && base > tl->old_seq)
		tl->old_seq = base;
	/* 2. The revocation lists it names, then any others held. */
	for (size_t i = 0; i < hc_trust_issuer_count(s->t); i++) {
		struct hc_issuer_info ii;

		hc_trust_issuer_info(s->t, i, &ii);
		if (!ii.revocations[0])
			continue;
		if (!(it = add_item(s, ii.revocations, true))) {
			verifier_err("revocations", HC_ERR_TOO_LARGE);
			return EXIT_USAGE;
		}
		(void)snprintf(it->owner, sizeof(it->owner), "%s", ii.iss); /* both 256 */
	}
	if ((err = add_stray(s)) != HC_OK) {
		verifier_err("revocations", err);
		return EXIT_USAGE;
	}
	for (size_t i = 1; i < s->n; i++) {
		it = &s->items[i];
		if ((err = read_held(s, it, HC_MAX_REVOCATION_FILE)) != HC_OK) {
			verifier_err(it->rel, err);
			return EXIT_USAGE;
		}
		if (it->named) {
			if ((err = fetch_item(s, it, HC_MAX_REVOCATION_FILE)) != HC_OK) {
				verifier_err(it->rel, err);
				return EXIT_USAGE;
			}
		} else if (it->held) {
			if (!(it->body = malloc(it->held_len + 1))) {
				verifier_err(it->rel, HC_ERR_NOMEM);
				return EXIT_USAGE;
			}
			memcpy(it->body, it->held, it->held_len + 1);
			it->len = it->held_len;
		} else {
			continue;
		}
		err = sync_check_revocations(s, it);
		if (err == HC_ERR_ROLLBACK && !it->named)
			err = HC_OK; /* a stray list superseded by a newer one, as at load */
		if (err == HC_ERR_REVOCATION_LIST && !it->named) {
			it->drop = true; /* e.g. its issuer left the trust list */
			err = HC_OK;
		}
		if (err == HC_OK && !it->named && it->new_seq &&
		    sync_baseline_get(s->base, "revocations", it->iss, &base, NULL) &&
		    it->new_seq < base)
			it->drop = true; /* older than a list installed before */
		if (err == HC_OK && s->snap &&
		    hc_snapshot_match(s->snap, it->rel, it->new_seq, it->body, it->len) != HC_OK) {
			if (it->named)
				err = HC_ERR_SNAPSHOT;
			else
				it->drop = true; /* a held list the snapshot does not list */
		}
		if (err != HC_OK) {
			verifier_err(it->rel, err);
			return refusal(err);
		}
	}
	/* 2b. The foreign trust data. */
	if ((err = check_foreign(s)) != HC_OK) {
		verifier_err("foreign.jws", err);
		return err == HC_ERR_NET || err == HC_ERR_TOO_LARGE ? EXIT_USAGE : refusal(err);
	}
	if ((err = sync_baseline_check(s, s->base)) != HC_OK) {
		verifier_err("refused", err);
		return EXIT_FAIL;
	}
	/* 3. Everything verified together: install as one new generation. */
	if ((err = sync_install(s)) != HC_OK) {
		verifier_err(err == HC_ERR_ROLLBACK ? "refused" : s->dir, err);
		return err == HC_ERR_ROLLBACK ? EXIT_FAIL : EXIT_USAGE;
	}
	report(s);
	if (s->snap) {
		char when[32];

		hc_time_format(hc_snapshot_expires(s->snap), when, sizeof(when));
		printf("snapshot.jws: %s (seq %lld, expires %s)\n",
		       s->snap_same ? "unchanged" : "installed", (long long)hc_snapshot_seq(s->snap),
		       when);
	}
	return 0;
}

static void load_state(struct sync *s)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len;

	(void)snprintf(path, sizeof(path), "%s/" STATE_FILE, s->dir); /* fits: MAX_DIR */
	if (hc_read_file(path, HC_MAX_JSON_FILE, &buf, &len) == HC_OK &&
	    hc_json_parse((const char *)buf, len, &s->state) != HC_OK)
		s->state = NULL; /* unusable state: plain requests this time */
	free(buf);
}

int cmd_sync(int argc, char **argv)
{
	static const struct option opts[] = {
		{"trust", required_argument, NULL, 't'},
		{"cacert", required_argument, NULL, 'c'},
		{"timeout", required_argument, NULL, 'T'},
		{"wait", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct sync s;
	struct hc_trust *held = NULL;
	char url[2048];
	unsigned char seen[256] = {0};
	int c, rc = EXIT_USAGE, lock = -1;
	long wait = 120;
	size_t ul;
	hc_err err;

	memset(&s, 0, sizeof(s));
	verifier_prog = "hc-verify sync";
	s.fo.timeout = 60;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;

		if (c != '?' && seen[c]++) {
			fprintf(stderr, "hc-verify sync: option given twice\n");
			return EXIT_USAGE;
		}
		switch (c) {
		case 't': s.dir = optarg; break;
		case 'c': s.fo.cacert = optarg; break;
		case 'T':
			s.fo.timeout = strtol(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end || s.fo.timeout < 1 ||
			    s.fo.timeout > 3600) {
				fprintf(stderr, "hc-verify sync: --timeout: 1 to 3600 seconds\n");
				return EXIT_USAGE;
			}
			break;
		case 'w':
			wait = strtol(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end || wait < 0 || wait > 3600) {
				fprintf(stderr, "hc-verify sync: --wait: 0 to 3600 seconds\n");
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	if (!s.dir || optind != argc - 1) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (strlen(s.dir) > MAX_DIR) {
		fprintf(stderr, "hc-verify sync: --trust: longer than %d bytes\n", MAX_DIR);
		return EXIT_USAGE;
	}
	ul = strlen(argv[optind]);
	if (ul < 9 || ul >= sizeof(url) || strncmp(argv[optind], "https://", 8) != 0) {
		fprintf(stderr, "hc-verify sync: URL must be an https:// URL\n");
		return EXIT_USAGE;
	}
	memcpy(url, argv[optind], ul + 1);
	while (ul > 8 && url[ul - 1] == '/')
		url[--ul] = '\0';
	s.url = url;
	if ((err = hc_dl_curl()) != HC_OK) {
		verifier_err("sync", err);
		return EXIT_USAGE;
	}
	if ((err = hc_trust_load_roots(s.dir, &s.t)) != HC_OK) {
		verifier_err(s.dir, err);
		return EXIT_USAGE;
	}
	if (sym_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(s.fo.h = sym_curl_easy_init()) ||
	    !(s.items = calloc(MAX_ITEMS, sizeof(*s.items)))) {
		fprintf(stderr, "hc-verify sync: cannot initialise libcurl\n");
		goto out;
	}
	/* One sync at a time: everything below, from reading the baselines to
	 * the switch of generations, runs under the lock. */
	if ((err = sync_lock(s.dir, wait, &lock)) != HC_OK ||
	    (err = hc_trust_data_dir(s.dir, s.data, sizeof(s.data))) != HC_OK ||
	    (err = sync_baseline_read(s.dir, &s.base)) != HC_OK) {
		verifier_err(s.dir, err);
		goto out;
	}
	load_state(&s);
	if (hc_trust_load(s.dir, &held) == HC_OK)
		s.held = held; /* the rollback baseline for revocation lists */
	hc_set_detail(NULL);
	rc = run(&s);
	if (rc != 0 && s.hint)
		fprintf(stderr, "hc-verify sync: hint: %s\n", s.hint);
out:
	if (lock != -1)
		close(lock);
	cJSON_Delete(s.base);
	hc_snapshot_free(s.snap);
	free(s.snap_body);
	for (size_t i = 0; s.items && i < s.n; i++) {
		free(s.items[i].held);
		free(s.items[i].body);
	}
	free(s.items);
	cJSON_Delete(s.state);
	if (s.fo.h)
		sym_curl_easy_cleanup(s.fo.h);
	sym_curl_global_cleanup();
	hc_trust_free(s.t);
	hc_trust_free(held);
	return rc;
}
