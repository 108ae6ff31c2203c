/* revoke.c: hc-keys revoke, an issuing office signs its revocation list
 * (the jti of each code it revoked), checked against the trust list with
 * --trust. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hc_sign.h"
#include "hc_trust.h"
#include "keys.h"

#define B64U "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* --add: appends "jti" to the JSON array in *list (unless it is there),
 * keeping the rest of the text as it was. */
static int add_jti(uint8_t **list, size_t *llen, const char *jti, const char *in)
{
	char *s = (char *)*list, *end, *nl, quoted[32];
	size_t n = *llen, head, open;
	bool empty;

	(void)snprintf(quoted, sizeof(quoted), "\"%s\"", jti);
	if (strstr(s, quoted)) {
		fprintf(stderr, "hc-keys: %s already lists %s\n", in, jti);
		return 0;
	}
	open = strspn(s, " \t\r\n");
	if (!(end = strrchr(s, ']')) || s[open] != '[' ||
	    end[1 + strspn(end + 1, " \t\r\n")] != '\0') {
		fprintf(stderr, "hc-keys: %s: not a JSON array\n", in);
		return EXIT_FAIL;
	}
	head = (size_t)(end - s);
	empty = strspn(s + open + 1, " \t\r\n") == head - open - 1;
	if (!(nl = malloc(n + sizeof(quoted) + 4)))
		return EXIT_USAGE;
	(void)snprintf(nl, n + sizeof(quoted) + 4, "%.*s%s%s%s", (int)head, s, empty ? "" : ",\n ",
		       quoted, end);
	free(*list);
	*list = (uint8_t *)nl;
	*llen = strlen(nl);
	return 0;
}

/* --trust: the key must be a key of --iss there, active at the list's
 * iat, and --out must not be the file the trust list names for another
 * issuer: what checkpoints would refuse is not signed. */
static int revoke_check_trust(const char *dir, const char *iss, const char *kid, int64_t iat,
			      const char *outp)
{
	struct hc_trust *t = NULL;
	const char *base = strrchr(outp, '/');
	hc_err err;

	if ((err = hc_trust_load(dir, &t)) != HC_OK) {
		die_err(dir, err);
		return EXIT_USAGE;
	}
	err = hc_trust_signing_key_ok(t, iss, kid, iat);
	if (err == HC_OK)
		err = hc_trust_check_rev_path(t, base ? base + 1 : outp, outp, iss);
	hc_trust_free(t);
	if (err != HC_OK) {
		die_err("refusing to sign", err);
		return EXIT_FAIL;
	}
	return 0;
}

int cmd_revoke(int argc, char **argv);

int cmd_revoke(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 0},
		{"iss", required_argument, NULL, 1},
		{"in", required_argument, NULL, 2},
		{"seq", required_argument, NULL, 3},
		{"iat", required_argument, NULL, 4},
		{"out", required_argument, NULL, 5},
		{"trust", required_argument, NULL, 6},
		{"add", required_argument, NULL, 7},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *iss = NULL, *in = NULL, *seqs = NULL, *iats = NULL, *outp = NULL,
		   *trustd = NULL, *add = NULL;
	struct hc_privkey *k = NULL;
	struct hc_pubkey *pub = NULL;
	struct hc_jws j;
	uint8_t *list = NULL;
	char *payload = NULL, *jws = NULL;
	size_t llen = 0, count = 0, jlen;
	int64_t seq, iat;
	int c, rc = EXIT_USAGE;
	hc_err err;

	memset(&j, 0, sizeof(j));
	const char **slots[] = {&key, &iss, &in, &seqs, &iats, &outp, &trustd, &add};

	if ((c = read_opts(argc, argv, opts, slots, 8)) >= 0)
		return c;
	/* cppcheck-suppress knownConditionTrueFalse ; read_opts sets them through slots */
	if (!key || !iss || !in || !seqs || !outp || optind != argc)
		return usage(stderr, EXIT_USAGE);
	if (!keys_seq(seqs, &seq)) {
		fprintf(stderr, "hc-keys: --seq must be an integer from 1 to 2^53 - 1\n");
		return EXIT_USAGE;
	}
	iat = hc_now();
	if (iats && hc_time_parse(iats, &iat) != HC_OK) {
		fprintf(stderr, "hc-keys: --iat: invalid time '%s'\n", iats);
		return EXIT_USAGE;
	}
	/* --iss and the times are arguments: check them on an empty list first,
	 * so that only faults in the list itself exit 1. */
	if ((err = hc_revlist_build(iss, seq, iat, "[]", 2, &payload, &count)) != HC_OK) {
		die_err("arguments", err);
		return EXIT_USAGE;
	}
	free(payload);
	payload = NULL;
	if (add && (strcmp(in, "-") == 0 || strlen(add) != 22 ||
		    strspn(add, B64U) != 22)) {
		fprintf(stderr, "hc-keys: --add takes a jti (22 base64url characters) and a --in "
				"file\n");
		return EXIT_USAGE;
	}
	if (strcmp(in, "-") == 0) {
		in = "stdin";
		err = hc_read_fd(0, in, HC_MAX_REVOCATION_FILE, &list, &llen);
	} else {
		err = hc_read_file(in, HC_MAX_REVOCATION_FILE, &list, &llen);
		if (err == HC_ERR_IO && add && access(in, F_OK) != 0 && errno == ENOENT) {
			free(list);
			list = (uint8_t *)strdup("[]\n"); /* --add starts the office's list */
			llen = list ? 3 : 0;
			err = list ? HC_OK : HC_ERR_NOMEM;
		}
	}
	if (err != HC_OK) {
		die_err(in, err);
		goto out;
	}
	if (add && (rc = add_jti(&list, &llen, add, in)) != 0)
		goto out;
	rc = EXIT_USAGE;
	if ((err = hc_revlist_build(iss, seq, iat, (const char *)list, llen, &payload, &count)) !=
	    HC_OK) {
		die_err(in, err);
		rc = err == HC_ERR_NOMEM ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	if ((err = hc_privkey_load(key, &k)) != HC_OK || (err = hc_privkey_public(k, &pub)) != HC_OK) {
		die_err(key, err);
		goto out;
	}
	if (trustd && (rc = revoke_check_trust(trustd, iss, hc_pubkey_kid(pub), iat, outp)) != 0)
		goto out;
	if ((err = hc_jws_sign(k, false, (const uint8_t *)payload, strlen(payload), &jws)) != HC_OK) {
		die_err("sign", err);
		goto out;
	}
	jlen = strlen(jws);
	if (jlen > HC_MAX_REVOCATION_FILE) {
		fprintf(stderr, "hc-keys: %s: the signed list is %zu bytes, more than the %u a "
				"verifier accepts\n", in, jlen, HC_MAX_REVOCATION_FILE);
		rc = EXIT_FAIL;
		goto out;
	}
	/* The signer checks its own output before handing it out: the
	 * signature, and that it carries the payload built. */
	if ((err = hc_jws_parse(jws, jlen, HC_MAX_REVOCATION_FILE, false, HC_MAX_REVOCATION_FILE,
				&j)) != HC_OK ||
	    (err = hc_jws_verify(&j, jws, pub)) != HC_OK) {
		die_err("self-check", err);
		goto out;
	}
	if (j.payload_len != strlen(payload) || memcmp(j.payload, payload, j.payload_len) != 0) {
		fprintf(stderr, "hc-keys: self-check: signed payload differs from the one built\n");
		goto out;
	}
	/* The office's list of what it revoked first, then the signed list. */
	if (add && (err = hc_write_file_atomic(in, list, llen, 0644)) != HC_OK) {
		die_err(in, err);
		goto out;
	}
	if ((err = hc_write_file_atomic(outp, jws, jlen, 0644)) != HC_OK) {
		die_err(outp, err);
		goto out;
	}
	printf("%s %zu entries\n", hc_pubkey_kid(pub), count);
	rc = 0;
out:
	hc_jws_clear(&j);
	free(jws);
	free(payload);
	free(list);
	hc_pubkey_free(pub);
	hc_privkey_free(k);
	return rc;
}
