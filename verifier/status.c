/* status.c: hc-verify status: what a trust directory holds and how old it is. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_foreign.h"
#include "hc_json.h"
#include "verifier.h"

static const char usage_text[] =
	"usage: hc-verify status --trust DIR [--at TIME] [--grace DURATION] [--json]\n"
	"\n"
	"Loads and verifies DIR as verification does, then prints the trust list's\n"
	"sequence number and age, whether it is stale, the snapshot held (or that\n"
	"freshness is unchecked when the trust list names no snapshot key), the\n"
	"last sync, the foreign trust data (foreign.jws: seq, DCC certificates,\n"
	"SMART Health Card issuers, keys and revoked rids, SHA-256 of its payload)\n"
	"and for each issuer its region, keys by status and revocation list.\n"
	"\n"
	"  --trust DIR        trust directory\n"
	"  --at TIME          judge ages and staleness as of TIME (default now): epoch\n"
	"                     seconds, RFC 3339 or YYYY-MM-DD (midnight +08:00)\n"
	"  --grace DURATION   grace after next_update (default 24h)\n"
	"  --json             one JSON object\n"
	"  --help             this text\n"
	"\n"
	"Exit status: 0 the directory loads, 2 it does not (the reason is printed).\n";

/* "3d 4h", "5h 2m", "40s" for a span of seconds (negative: "in ..."). */
static void span(int64_t s, char *out, size_t n)
{
	const char *pre = s < 0 ? "in " : "";
	const char *post = s < 0 ? "" : " ago";

	if (s < 0)
		s = -s;
	if (s >= 86400)
		(void)snprintf(out, n, "%s%lldd %lldh%s", pre, (long long)(s / 86400),
			       (long long)(s % 86400 / 3600), post);
	else if (s >= 3600)
		(void)snprintf(out, n, "%s%lldh %lldm%s", pre, (long long)(s / 3600),
			       (long long)(s % 3600 / 60), post);
	else
		(void)snprintf(out, n, "%s%llds%s", pre, (long long)s, post);
}

/* Where a key stands at time at: its window in words that cannot be read
 * as valid when it is not ("not valid until ...", "signed until ..."). */
static void key_when(const struct hc_key_info *k, int64_t at, char *out, size_t n)
{
	char a[24], b[24];

	hc_time_format(k->nbf, a, sizeof(a));
	hc_time_format(k->exp, b, sizeof(b));
	if (strcmp(k->status, "revoked") == 0)
		(void)snprintf(out, n, "every code and list it signed fails");
	else if (at < k->nbf)
		(void)snprintf(out, n, "not valid until %s", a);
	else if (k->has_exp && at > k->exp)
		(void)snprintf(out, n, "signed until %s, no longer signs", b);
	else if (strcmp(k->status, "retired") == 0)
		(void)snprintf(out, n, "signs until %s (retired)", b);
	else if (k->has_exp)
		(void)snprintf(out, n, "signs %s%s until %s", k->nbf ? "from " : "", k->nbf ? a : "",
			       b);
	else if (k->nbf)
		(void)snprintf(out, n, "signs from %s, no end", a);
	else
		(void)snprintf(out, n, "signs, no start or end");
}

/* Last sync time and URL from sync-state.json, when there is one. */
static void last_sync(const char *dir, int64_t *when, char *url, size_t un)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len;
	cJSON *st = NULL;

	*when = 0;
	url[0] = '\0';
	if (hc_path(path, sizeof(path), "%s/sync-state.json", dir) == HC_OK &&
	    hc_read_file(path, HC_MAX_JSON_FILE, &buf, &len) == HC_OK &&
	    hc_json_parse((const char *)buf, len, &st) == HC_OK) {
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(st, "url");
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(st, "synced");

		if (cJSON_IsString(u))
			hc_display_safe(u->valuestring, url, un);
		if (cJSON_IsNumber(s) && s->valuedouble > 0 && s->valuedouble < 1e13)
			*when = (int64_t)s->valuedouble;
	}
	cJSON_Delete(st);
	free(buf);
}

static void print_text(const struct hc_trust *t, const struct hc_verify_opts *o, int64_t synced,
		       const char *url)
{
	char a[32], b[32], s1[40], s2[40];
	int64_t sseq, sexp;

	hc_time_format(hc_trust_iat(t), a, sizeof(a));
	hc_time_format(hc_trust_next_update(t), b, sizeof(b));
	span(o->at - hc_trust_iat(t), s1, sizeof(s1));
	span(o->at - hc_trust_next_update(t), s2, sizeof(s2));
	printf("trust list: seq %lld, issued %s (%s), next update %s (%s)\n",
	       (long long)hc_trust_seq(t), a, s1, b, s2);
	span(o->grace, s1, sizeof(s1));
	printf("state: %s (grace %.*s)\n", hc_trust_stale(t, o) ? "STALE (stale-trust)" : "fresh",
	       (int)(strlen(s1) - 4), s1);
	if (!hc_trust_snapshot_info(t, &sseq, &sexp)) {
		printf("snapshot: none (the trust list names no snapshot key): freshness unchecked\n");
	} else if (!sseq) {
		printf("snapshot: no valid snapshot held (stale-trust)\n");
	} else {
		hc_time_format(sexp, a, sizeof(a));
		span(o->at - sexp, s1, sizeof(s1));
		printf("snapshot: seq %lld, expires %s (%s)%s\n", (long long)sseq, a, s1,
		       o->at > sexp ? ", EXPIRED (stale-trust)" : "");
	}
	if (synced) {
		hc_time_format(synced, a, sizeof(a));
		span(o->at - synced, s1, sizeof(s1));
		printf("last sync: %s (%s) from %s\n", a, s1, url);
	} else {
		printf("last sync: never (installed by hand)\n");
	}
	if (hc_trust_foreign(t)) {
		struct hc_foreign_info fi;
		char hex[65];

		hc_foreign_info(hc_trust_foreign(t), &fi);
		hc_hex(fi.digest, 32, hex);
		hc_time_format(fi.iat, a, sizeof(a));
		printf("foreign: seq %lld, issued %s, %zu DCC certificates, %zu SHC issuers "
		       "(%zu keys, %zu revoked rids), sha256 %s\n",
		       (long long)fi.seq, a, fi.ncerts, fi.nissuers, fi.nkeys, fi.nrids, hex);
	} else {
		printf("foreign: none held%s\n",
		       hc_trust_foreign_path(t)[0] ? " (the trust list names foreign.jws)" : "");
	}
	printf("issuers: %zu\n", hc_trust_issuer_count(t));
	for (size_t i = 0; i < hc_trust_issuer_count(t); i++) {
		struct hc_issuer_info ii;
		struct hc_key_info ki;
		char iss[300], name[300];

		hc_trust_issuer_info(t, i, &ii);
		hc_display_safe(ii.iss, iss, sizeof(iss));
		hc_display_safe(ii.name, name, sizeof(name));
		printf("  %s  %s  region %s  keys: %zu active, %zu retired, %zu revoked\n", iss, name,
		       ii.region, ii.keys[0], ii.keys[1], ii.keys[2]);
		for (size_t j = 0; hc_trust_key_info(t, i, j, &ki); j++) {
			char when[80];

			key_when(&ki, o->at, when, sizeof(when));
			printf("    key %s  %s  %s\n", ki.kid, ki.status, when);
		}
		if (ii.rev_seq) {
			hc_time_format(ii.rev_iat, a, sizeof(a));
			span(o->at - ii.rev_iat, s1, sizeof(s1));
			printf("    revocations: seq %lld, %zu revoked, issued %s (%s)\n",
			       (long long)ii.rev_seq, ii.rev_count, a, s1);
		} else {
			printf("    revocations: none held%s%s\n", ii.revocations[0] ? ", published at " : "",
			       ii.revocations);
		}
	}
}

static void print_json(const struct hc_trust *t, const struct hc_verify_opts *o, int64_t synced,
		       const char *url)
{
	cJSON *r = cJSON_CreateObject(), *arr, *sn;
	char *s = NULL;
	int64_t sseq, sexp;

	if (!r)
		return;
	cJSON_AddNumberToObject(r, "seq", (double)hc_trust_seq(t));
	cJSON_AddNumberToObject(r, "iat", (double)hc_trust_iat(t));
	cJSON_AddNumberToObject(r, "next_update", (double)hc_trust_next_update(t));
	cJSON_AddNumberToObject(r, "age", (double)(o->at - hc_trust_iat(t)));
	cJSON_AddBoolToObject(r, "stale", hc_trust_stale(t, o));
	cJSON_AddNumberToObject(r, "grace", (double)o->grace);
	/* "snapshot": null when the trust list names no snapshot key (freshness
	 * unchecked), else {"seq","expires"}, seq 0 when none valid is held. */
	if (!hc_trust_snapshot_info(t, &sseq, &sexp))
		cJSON_AddNullToObject(r, "snapshot");
	else if ((sn = cJSON_AddObjectToObject(r, "snapshot"))) {
		cJSON_AddNumberToObject(sn, "seq", (double)sseq);
		cJSON_AddNumberToObject(sn, "expires", (double)sexp);
	}
	if (synced) {
		cJSON_AddNumberToObject(r, "synced", (double)synced);
		cJSON_AddStringToObject(r, "url", url);
	}
	/* "foreign": null when no foreign trust data is held. */
	if (!hc_trust_foreign(t)) {
		cJSON_AddNullToObject(r, "foreign");
	} else if ((sn = cJSON_AddObjectToObject(r, "foreign"))) {
		struct hc_foreign_info fi;
		char hex[65];

		hc_foreign_info(hc_trust_foreign(t), &fi);
		hc_hex(fi.digest, 32, hex);
		cJSON_AddNumberToObject(sn, "seq", (double)fi.seq);
		cJSON_AddNumberToObject(sn, "iat", (double)fi.iat);
		cJSON_AddNumberToObject(sn, "dcc_certs", (double)fi.ncerts);
		cJSON_AddNumberToObject(sn, "shc_issuers", (double)fi.nissuers);
		cJSON_AddNumberToObject(sn, "shc_keys", (double)fi.nkeys);
		cJSON_AddNumberToObject(sn, "shc_revoked", (double)fi.nrids);
		cJSON_AddStringToObject(sn, "sha256", hex);
	}
	if ((arr = cJSON_AddArrayToObject(r, "issuers")))
		for (size_t i = 0; i < hc_trust_issuer_count(t); i++) {
			struct hc_issuer_info ii;
			struct hc_key_info ki;
			cJSON *e = cJSON_CreateObject(), *ka;
			char iss[300], name[300];

			if (!e)
				break;
			hc_trust_issuer_info(t, i, &ii);
			hc_display_safe(ii.iss, iss, sizeof(iss));
			hc_display_safe(ii.name, name, sizeof(name));
			cJSON_AddStringToObject(e, "iss", iss);
			cJSON_AddStringToObject(e, "name", name);
			cJSON_AddStringToObject(e, "region", ii.region);
			cJSON_AddNumberToObject(e, "keys_active", (double)ii.keys[0]);
			cJSON_AddNumberToObject(e, "keys_retired", (double)ii.keys[1]);
			cJSON_AddNumberToObject(e, "keys_revoked", (double)ii.keys[2]);
			if ((ka = cJSON_AddArrayToObject(e, "keys")))
				for (size_t j = 0; hc_trust_key_info(t, i, j, &ki); j++) {
					cJSON *k = cJSON_CreateObject();

					if (!k || !cJSON_AddItemToArray(ka, k)) {
						cJSON_Delete(k);
						break;
					}
					cJSON_AddStringToObject(k, "kid", ki.kid);
					cJSON_AddStringToObject(k, "status", ki.status);
					cJSON_AddNumberToObject(k, "nbf", (double)ki.nbf);
					if (ki.has_exp)
						cJSON_AddNumberToObject(k, "exp", (double)ki.exp);
				}
			cJSON_AddNumberToObject(e, "revocations_seq", (double)ii.rev_seq);
			cJSON_AddNumberToObject(e, "revoked", (double)ii.rev_count);
			cJSON_AddItemToArray(arr, e);
		}
	if ((s = cJSON_PrintUnformatted(r)))
		printf("%s\n", s);
	free(s);
	cJSON_Delete(r);
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"trust", required_argument, NULL, 't'},
		{"at", required_argument, NULL, 'a'},
		{"grace", required_argument, NULL, 'g'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL;
	struct hc_verify_opts o;
	struct hc_trust *t = NULL;
	unsigned char seen[256] = {0};
	bool json = false;
	char url[512];
	int64_t synced;
	hc_err err;
	int c;

	hc_verify_opts_init(&o);
	verifier_prog = "hc-verify status";
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c != '?' && seen[c]++) {
			fprintf(stderr, "hc-verify status: option given twice\n");
			return EXIT_USAGE;
		}
		switch (c) {
		case 't': dir = optarg; break;
		case 'a':
		case 'g':
			if (verify_option(c, optarg, &o) < 0)
				return EXIT_USAGE;
			break;
		case 'j': json = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	if (!dir || optind != argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if ((err = hc_trust_load_ex(dir, HC_TRUST_WRITE_INDEX, &t)) != HC_OK) {
		verifier_err(dir, err);
		return EXIT_USAGE;
	}
	last_sync(dir, &synced, url, sizeof(url));
	if (json)
		print_json(t, &o, synced, url);
	else
		print_text(t, &o, synced, url);
	hc_trust_free(t);
	return 0;
}
