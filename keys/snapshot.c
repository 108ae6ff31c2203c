/* snapshot.c: hc-keys snapshot, the trust operator signs the snapshot of
 * a published tree (each file's sequence number and SHA-256) with the
 * snapshot key. */
#include <stdlib.h>
#include <string.h>

#include "hc_sign.h"
#include "hc_trust.h"
#include "keys.h"

int cmd_snapshot(int argc, char **argv);

int cmd_snapshot(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 0},
		{"seq", required_argument, NULL, 1},
		{"expires", required_argument, NULL, 2},
		{"dir", required_argument, NULL, 3},
		{"out", required_argument, NULL, 4},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *seqs = NULL, *exps = NULL, *dir = NULL, *outp = NULL;
	struct hc_privkey *k = NULL;
	struct hc_pubkey *pub = NULL;
	struct hc_snapshot *snap = NULL;
	char *payload = NULL, *jws = NULL;
	size_t nfiles = 0;
	int64_t seq, life, now = hc_now();
	int c, rc = EXIT_USAGE;
	hc_err err;
	const char **slots[] = {&key, &seqs, &exps, &dir, &outp};

	if ((c = read_opts(argc, argv, opts, slots, 5)) >= 0)
		return c;
	/* cppcheck-suppress knownConditionTrueFalse ; read_opts sets them through slots */
	if (!key || !seqs || !exps || !dir || !outp || optind != argc)
		return usage(stderr, EXIT_USAGE);
	if (!keys_seq(seqs, &seq)) {
		fprintf(stderr, "hc-keys: --seq must be an integer from 1 to 2^53 - 1\n");
		return EXIT_USAGE;
	}
	if (hc_duration_parse(exps, &life) != HC_OK || life > 366LL * 86400) {
		fprintf(stderr, "hc-keys: --expires: a duration up to 366d, e.g. 10m\n");
		return EXIT_USAGE;
	}
	if ((err = hc_snapshot_build(dir, seq, now, now + life, &payload, &nfiles)) != HC_OK) {
		die_err(dir, err);
		rc = err == HC_ERR_IO || err == HC_ERR_NOMEM ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	if ((err = hc_privkey_load(key, &k)) != HC_OK || (err = hc_privkey_public(k, &pub)) != HC_OK) {
		die_err(key, err);
		goto out;
	}
	if ((err = hc_jws_sign(k, false, (const uint8_t *)payload, strlen(payload), &jws)) != HC_OK) {
		die_err("sign", err);
		goto out;
	}
	/* The signer checks its own output as a verifier will read it. */
	if ((err = hc_snapshot_parse(pub, jws, strlen(jws), &snap)) != HC_OK) {
		die_err("self-check", err);
		goto out;
	}
	if ((err = hc_write_file_atomic(outp, jws, strlen(jws), 0644)) != HC_OK) {
		die_err(outp, err);
		goto out;
	}
	printf("%s %zu files\n", hc_pubkey_kid(pub), nfiles);
	rc = 0;
out:
	hc_snapshot_free(snap);
	free(jws);
	free(payload);
	hc_pubkey_free(pub);
	hc_privkey_free(k);
	return rc;
}
