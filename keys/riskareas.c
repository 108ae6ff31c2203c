/* riskareas.c: hc-keys riskareas, the national operator signs the
 * risk-area list (risk-areas.jws) with a root key. */
#include <stdlib.h>
#include <string.h>

#include "hc_policy.h"
#include "hc_sign.h"
#include "hc_token.h"
#include "keys.h"

#define MAX_RISK_FILE (16u << 20)

int cmd_riskareas(int argc, char **argv);

int cmd_riskareas(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 0},
		{"in", required_argument, NULL, 1},
		{"out", required_argument, NULL, 2},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *root = NULL, *in = NULL, *outp = NULL;
	const char **slots[] = {&root, &in, &outp};
	struct hc_pubkey *pub = NULL;
	struct hc_risk *r = NULL;
	uint8_t *payload = NULL;
	size_t plen = 0, nv = 0, na;
	int c, rc = EXIT_USAGE;
	hc_err err;

	if ((c = read_opts(argc, argv, opts, slots, 3)) >= 0)
		return c;
	/* cppcheck-suppress knownConditionTrueFalse ; read_opts sets them through slots */
	if (!root || !in || !outp || optind != argc)
		return usage(stderr, EXIT_USAGE);
	if ((err = hc_read_file(in, MAX_RISK_FILE, &payload, &plen)) != HC_OK) {
		die_err(in, err);
		goto out;
	}
	/* The payload is checked as a verifier will read it before it is signed. */
	if ((err = hc_risk_parse_payload((const char *)payload, plen, &r)) != HC_OK) {
		die_err(in, err);
		rc = EXIT_FAIL;
		goto out;
	}
	na = hc_risk_count(r, &nv);
	if ((rc = keys_sign_root(root, payload, plen, HC_MAX_RISK_JWS, outp, &pub)) != 0)
		goto out;
	printf("%s seq %lld areas %zu venues %zu\n", hc_pubkey_kid(pub),
	       (long long)hc_risk_seq(r), na, nv);
out:
	free(payload);
	hc_risk_free(r);
	hc_pubkey_free(pub);
	return rc;
}
