/* hc-keys: key generation, public JWKs and trust-list signing for the
 * national trust operator and the issuing offices. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "hc_sign.h"
#include "hc_token.h"
#include "hc_trust.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: hc-keys gen FILE\n"
	"       hc-keys pub [--status STATUS] [--nbf TIME] [--exp TIME] FILE\n"
	"       hc-keys trustlist --root ROOT.key --in PAYLOAD.json --out trustlist.jws\n"
	"       hc-keys help [COMMAND]\n"
	"\n"
	"  gen        write a new P-256 private key (PEM PKCS#8, mode 0600) to FILE,\n"
	"             which must not exist, and print its key id (kid)\n"
	"  pub        print the public JWK of the private key in FILE; with --status,\n"
	"             --nbf or --exp, as a trust-list key entry\n"
	"  trustlist  check a trust-list payload and sign it with a root key\n"
	"\n"
	"Exit status: 0 success, 1 the input was refused, 2 usage or I/O error.\n";

static void die_err(const char *what, hc_err err)
{
	const char *d = hc_detail();

	fprintf(stderr, "hc-keys: %s: %s%s%s\n", what, hc_strerror(err), d[0] ? ": " : "", d);
}

static int usage(FILE *f, int code)
{
	fputs(usage_text, f);
	return code;
}

static int cmd_gen(int argc, char **argv)
{
	struct hc_privkey *k = NULL;
	struct hc_pubkey *pub = NULL;
	hc_err err;

	if (argc != 2)
		return usage(stderr, EXIT_USAGE);
	if ((err = hc_privkey_generate(argv[1], &k)) != HC_OK) {
		die_err(argv[1], err);
		return EXIT_USAGE;
	}
	if ((err = hc_privkey_public(k, &pub)) != HC_OK) {
		hc_privkey_free(k);
		die_err("public key", err);
		return EXIT_USAGE;
	}
	printf("%s\n", hc_pubkey_kid(pub));
	hc_pubkey_free(pub);
	hc_privkey_free(k);
	return 0;
}

static int cmd_pub(int argc, char **argv)
{
	static const struct option opts[] = {
		{"status", required_argument, NULL, 's'},
		{"nbf", required_argument, NULL, 'n'},
		{"exp", required_argument, NULL, 'e'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *status = NULL, *nbf = NULL, *exp = NULL;
	struct hc_privkey *k = NULL;
	struct hc_pubkey *pub = NULL;
	cJSON *jwk = NULL;
	char *s = NULL;
	int64_t t;
	int c, rc = EXIT_USAGE;
	hc_err err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const char **slot = c == 's' ? &status : c == 'n' ? &nbf : c == 'e' ? &exp : NULL;

		if (c == 'h')
			return usage(stdout, 0);
		if (!slot)
			return usage(stderr, EXIT_USAGE);
		if (*slot) {
			fprintf(stderr, "hc-keys: option given twice\n");
			return EXIT_USAGE;
		}
		*slot = optarg;
	}
	if (argc - optind != 1)
		return usage(stderr, EXIT_USAGE);
	if (status && strcmp(status, "active") != 0 && strcmp(status, "retired") != 0 &&
	    strcmp(status, "revoked") != 0) {
		fprintf(stderr, "hc-keys: --status must be active, retired or revoked\n");
		return EXIT_USAGE;
	}
	if ((err = hc_privkey_load(argv[optind], &k)) != HC_OK ||
	    (err = hc_privkey_public(k, &pub)) != HC_OK || (err = hc_pubkey_jwk(pub, &jwk)) != HC_OK) {
		die_err(argv[optind], err);
		goto out;
	}
	if (status || nbf || exp) {
		if (!cJSON_AddStringToObject(jwk, "status", status ? status : "active"))
			goto out;
		if (nbf) {
			if (hc_time_parse(nbf, &t) != HC_OK) {
				fprintf(stderr, "hc-keys: --nbf: invalid time '%s'\n", nbf);
				goto out;
			}
			cJSON_AddNumberToObject(jwk, "nbf", (double)t);
		}
		if (exp) {
			if (hc_time_parse(exp, &t) != HC_OK) {
				fprintf(stderr, "hc-keys: --exp: invalid time '%s'\n", exp);
				goto out;
			}
			cJSON_AddNumberToObject(jwk, "exp", (double)t);
		}
	}
	if (hc_json_print(jwk, &s) != HC_OK)
		goto out;
	printf("%s\n", s);
	rc = 0;
out:
	free(s);
	cJSON_Delete(jwk);
	hc_pubkey_free(pub);
	hc_privkey_free(k);
	return rc;
}

static int cmd_trustlist(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"in", required_argument, NULL, 'i'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *root = NULL, *in = NULL, *outp = NULL;
	struct hc_privkey *k = NULL;
	struct hc_pubkey *pub = NULL;
	struct hc_jws j;
	uint8_t *payload = NULL;
	size_t plen = 0;
	char *jws = NULL;
	int c, rc = EXIT_USAGE;
	hc_err err;

	memset(&j, 0, sizeof(j));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const char **slot = c == 'r' ? &root : c == 'i' ? &in : c == 'o' ? &outp : NULL;

		if (c == 'h')
			return usage(stdout, 0);
		if (!slot)
			return usage(stderr, EXIT_USAGE);
		if (*slot) {
			fprintf(stderr, "hc-keys: option given twice\n");
			return EXIT_USAGE;
		}
		*slot = optarg;
	}
	if (!root || !in || !outp || optind != argc)
		return usage(stderr, EXIT_USAGE);
	if ((err = hc_read_file(in, HC_MAX_TRUST_FILE, &payload, &plen)) != HC_OK) {
		die_err(in, err);
		goto out;
	}
	if ((err = hc_trustlist_validate((const char *)payload, plen)) != HC_OK) {
		die_err(in, err);
		rc = EXIT_FAIL;
		goto out;
	}
	if ((err = hc_privkey_load(root, &k)) != HC_OK || (err = hc_privkey_public(k, &pub)) != HC_OK) {
		die_err(root, err);
		goto out;
	}
	if ((err = hc_jws_sign(k, false, payload, plen, &jws)) != HC_OK) {
		die_err("sign", err);
		goto out;
	}
	/* The signer checks its own output before handing it out. */
	if ((err = hc_jws_parse(jws, strlen(jws), HC_MAX_TRUST_FILE, false, HC_MAX_TRUST_FILE, &j)) !=
		    HC_OK ||
	    (err = hc_jws_verify(&j, jws, pub)) != HC_OK) {
		die_err("self-check", err);
		goto out;
	}
	if ((err = hc_write_file_atomic(outp, jws, strlen(jws), 0644)) != HC_OK) {
		die_err(outp, err);
		goto out;
	}
	printf("%s\n", hc_pubkey_kid(pub));
	rc = 0;
out:
	hc_jws_clear(&j);
	free(jws);
	free(payload);
	hc_pubkey_free(pub);
	hc_privkey_free(k);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} cmds[] = {
	{"gen", cmd_gen},
	{"pub", cmd_pub},
	{"trustlist", cmd_trustlist},
};

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, EXIT_USAGE);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return usage(stdout, 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			if (argc == 3 && strcmp(argv[2], "--help") == 0)
				return usage(stdout, 0);
			return cmds[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "hc-keys: unknown command '%s'\n", argv[1]);
	return usage(stderr, EXIT_USAGE);
}
