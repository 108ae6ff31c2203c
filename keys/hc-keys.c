/* hc-keys: key generation, public JWKs, trust-list and revocation-list
 * signing for the national trust operator and the issuing offices. This
 * file: the usage text, the options and the dispatch, and the commands
 * gen, pub and trustlist; the others each in keys/NAME.c (revoke,
 * snapshot, tl, riskareas, foreign). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "hc_sign.h"
#include "hc_token.h"
#include "hc_trust.h"
#include "hc_version.h"
#include "keys.h"

static const char usage_text[] =
	"usage: hc-keys gen [--alg ES256|SM2] FILE\n"
	"       hc-keys pub [--status STATUS] [--nbf TIME] [--exp TIME] FILE\n"
	"       hc-keys trustlist --root ROOT.key --in PAYLOAD.json --out trustlist.jws\n"
	"       hc-keys revoke --key ISSUER.key --iss URL --in LIST.json|- --seq N\n"
	"                      --out FILE.jws [--iat TIME] [--trust DIR] [--add JTI]\n"
	"       hc-keys snapshot --key SNAPSHOT.key --seq N --expires DURATION\n"
	"                      --dir TREE --out TREE/snapshot.jws\n"
	"       hc-keys tl new PAYLOAD.json --next-update TIME [--seq N]\n"
	"       hc-keys tl add-issuer PAYLOAD.json --iss URL --name NAME --region CODE\n"
	"                      --jwk KEY.jwk [--nbf TIME] [--exp TIME]\n"
	"                      [--revocations revocations/NAME.jws] [--max-validity DURATION]\n"
	"       hc-keys tl add-key PAYLOAD.json --iss URL --jwk KEY.jwk [--status STATUS]\n"
	"                      [--nbf TIME] [--exp TIME]\n"
	"       hc-keys tl retire-key|revoke-key|remove-key PAYLOAD.json\n"
	"                      --kid KID|--jwk KEY.jwk [--exp TIME (retire-key: required)]\n"
	"       hc-keys tl remove-issuer PAYLOAD.json --iss URL\n"
	"       hc-keys tl snapshot-key PAYLOAD.json --jwk SNAPSHOT.jwk\n"
	"       hc-keys tl next PAYLOAD.json [--seq N] [--next-update TIME]\n"
	"       hc-keys tl foreign|no-foreign PAYLOAD.json\n"
	"       hc-keys riskareas --root ROOT.key --in PAYLOAD.json --out risk-areas.jws\n"
	"       hc-keys foreign --root ROOT.key --seq N [--dcc CERTS.json]\n"
	"                      [--shc ISSUERS.json] --out foreign.jws\n"
	"       hc-keys help [COMMAND]\n"
	"\n"
	"  gen        write a new private key (PEM PKCS#8, mode 0600) to FILE,\n"
	"             which must not exist, and print its key id (kid); --alg SM2\n"
	"             makes an SM2 key (signatures SM2 with SM3), ES256 (P-256)\n"
	"             is the default\n"
	"  pub        print the public JWK of FILE (a private key, or a public JWK\n"
	"             file as an office sends it); with --status, --nbf or --exp,\n"
	"             as a trust-list key entry\n"
	"  trustlist  check a trust-list payload and sign it with a root key\n"
	"  revoke     build an issuer's revocation list from a JSON array of jti\n"
	"             strings or {\"jti\",\"at\"} objects, sign it with the issuer's\n"
	"             key and print its kid and entry count; --iat defaults to now;\n"
	"             --trust DIR: refuse unless the key is an active key of --iss\n"
	"             in DIR's trust list at --iat; --add JTI: add JTI to LIST.json\n"
	"             (created if missing) and write it back\n"
	"  tl         edit a trust-list payload (in place, atomically) for\n"
	"             hc-keys trustlist: a new one, issuers and keys added or removed,\n"
	"             keys retired (status retired, exp TIME) or revoked, the\n"
	"             snapshot key named, foreign.jws named (foreign) or not\n"
	"             (no-foreign), the next\n"
	"             seq (one up, or N above it) with iat now; an edit that\n"
	"             hc-keys trustlist would refuse exits 1 and changes nothing\n"
	"  snapshot   sign the seq and SHA-256 of TREE/trustlist.jws, TREE/foreign.jws\n"
	"             (when there) and every TREE/revocations/NAME.jws with the\n"
	"             snapshot key the trust list names, valid from now for DURATION\n"
	"             (e.g. 10m), and print the number of files\n"
	"  riskareas  check a risk-area list payload {\"seq\",\"iat\",\"areas\",\"venues\"}\n"
	"             and sign it with a root key; print the kid, seq and counts\n"
	"  foreign    sign the foreign trust data with a root key: DCC signer\n"
	"             certificates (CERTS.json: [{\"country\":\"AT\",\"cert\":BASE64_DER}],\n"
	"             kids computed) and SMART Health Card issuers (ISSUERS.json:\n"
	"             [{\"iss\":URL,\"name\":TEXT,\"keys\":[JWK...],\"crls\":[...]}]);\n"
	"             print the kid, seq and counts\n"
	"\n"
	"A private key may also be a pkcs11: URI naming a key in a PKCS#11 token,\n"
	"its PIN in a file: 'pkcs11:token=T;object=K?pin-source=file:PATH'.\n"
	"\n"
	"TIME is seconds since 1970 (1795392000), RFC 3339 (2026-11-23T08:00:00+08:00,\n"
	"2026-11-23T00:00:00Z) or a date (2026-11-23, midnight China Standard Time);\n"
	"pub and tl also take now and now+DURATION (now+7d). DURATION is 90, 90s,\n"
	"30m, 24h or 7d.\n"
	"\n"
	"hc-keys --version gives the version and the libraries'.\n"
	"\n"
	"Exit status: 0 success, 1 the input was refused, 2 usage or I/O error.\n";

void die_err(const char *what, hc_err err)
{
	const char *d = hc_detail();

	fprintf(stderr, "hc-keys: %s: %s%s%s\n", what, hc_strerror(err), d[0] ? ": " : "", d);
}

int usage(FILE *f, int code)
{
	fputs(usage_text, f);
	return code;
}

/* Reads options that each take one value and may be given once: the value
 * of the option whose val is i goes to *slots[i] (i < n). Returns -1 to go
 * on, or the exit status for --help or a usage error. */
int read_opts(int argc, char **argv, const struct option *opts, const char **slots[],
	      size_t n)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h')
			return usage(stdout, 0);
		if (c < 0 || (size_t)c >= n)
			return usage(stderr, EXIT_USAGE);
		if (*slots[c]) {
			fprintf(stderr, "hc-keys: option given twice\n");
			return EXIT_USAGE;
		}
		*slots[c] = optarg;
	}
	return -1;
}

static int cmd_gen(int argc, char **argv)
{
	static const struct option opts[] = {
		{"alg", required_argument, NULL, 0},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *alg = NULL;
	const char **slots[] = {&alg};
	struct hc_privkey *k = NULL;
	struct hc_pubkey *pub = NULL;
	enum hc_alg a = HC_ALG_ES256;
	hc_err err;
	int c;

	if ((c = read_opts(argc, argv, opts, slots, 1)) >= 0)
		return c;
	if (argc - optind != 1)
		return usage(stderr, EXIT_USAGE);
	if (alg && hc_alg_parse(alg, &a) != HC_OK) {
		fprintf(stderr, "hc-keys: --alg must be ES256 or SM2\n");
		return EXIT_USAGE;
	}
	if (strncmp(argv[optind], "pkcs11:", 7) == 0) {
		fprintf(stderr, "hc-keys: gen writes key files; make a token's key with the "
				"token's tools (e.g. pkcs11-tool --keypairgen)\n");
		return EXIT_USAGE;
	}
	if ((err = hc_privkey_generate_alg(argv[optind], a, &k)) != HC_OK) {
		die_err(argv[optind], err);
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
		{"status", required_argument, NULL, 0},
		{"nbf", required_argument, NULL, 1},
		{"exp", required_argument, NULL, 2},
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

	const char **slots[] = {&status, &nbf, &exp};

	if ((c = read_opts(argc, argv, opts, slots, 3)) >= 0)
		return c;
	if (argc - optind != 1)
		return usage(stderr, EXIT_USAGE);
	if (status && strcmp(status, "active") != 0 && strcmp(status, "retired") != 0 &&
	    strcmp(status, "revoked") != 0) {
		fprintf(stderr, "hc-keys: --status must be active, retired or revoked\n");
		return EXIT_USAGE;
	}
	/* A JSON file is a public JWK (the operator receives public keys
	 * only); anything else a private key. */
	if (keys_is_json_file(argv[optind]) == 1) {
		if ((err = keys_load_jwk(argv[optind], &jwk)) != HC_OK) {
			die_err(argv[optind], err);
			rc = err == HC_ERR_IO || err == HC_ERR_NOMEM ? EXIT_USAGE : EXIT_FAIL;
			goto out;
		}
	} else if ((err = hc_privkey_load(argv[optind], &k)) != HC_OK ||
		   (err = hc_privkey_public(k, &pub)) != HC_OK ||
		   (err = hc_pubkey_jwk(pub, &jwk)) != HC_OK) {
		die_err(argv[optind], err);
		goto out;
	}
	if (status || nbf || exp) {
		if (status)
			cJSON_DeleteItemFromObjectCaseSensitive(jwk, "status");
		if (!cJSON_GetObjectItemCaseSensitive(jwk, "status") &&
		    !cJSON_AddStringToObject(jwk, "status", status ? status : "active"))
			goto out;
		if (nbf) {
			if (!keys_time(nbf, &t)) {
				fprintf(stderr, "hc-keys: --nbf: invalid time '%s'\n", nbf);
				goto out;
			}
			cJSON_DeleteItemFromObjectCaseSensitive(jwk, "nbf");
			cJSON_AddNumberToObject(jwk, "nbf", (double)t);
		}
		if (exp) {
			if (!keys_time(exp, &t)) {
				fprintf(stderr, "hc-keys: --exp: invalid time '%s'\n", exp);
				goto out;
			}
			cJSON_DeleteItemFromObjectCaseSensitive(jwk, "exp");
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

/* The national operator's signing of a checked payload with a root key
 * (a key file or a pkcs11: URI): the JWS is parsed and verified again,
 * as a verifier will (at most max bytes, payload too), before it is
 * written to outp atomically. */
int keys_sign_root(const char *root, const uint8_t *payload, size_t plen, size_t max,
		   const char *outp, struct hc_pubkey **pubp)
{
	struct hc_privkey *k = NULL;
	struct hc_pubkey *pub = NULL;
	struct hc_jws j;
	char *jws = NULL;
	int rc = EXIT_USAGE;
	hc_err err;

	memset(&j, 0, sizeof(j));
	if ((err = hc_privkey_load(root, &k)) != HC_OK || (err = hc_privkey_public(k, &pub)) != HC_OK) {
		die_err(root, err);
		goto out;
	}
	if ((err = hc_jws_sign(k, false, payload, plen, &jws)) != HC_OK) {
		die_err("sign", err);
		goto out;
	}
	/* The signer checks its own output before handing it out. */
	if ((err = hc_jws_parse(jws, strlen(jws), max, false, max, &j)) != HC_OK ||
	    (err = hc_jws_verify(&j, jws, pub)) != HC_OK) {
		die_err("self-check", err);
		goto out;
	}
	if ((err = hc_write_file_atomic(outp, jws, strlen(jws), 0644)) != HC_OK) {
		die_err(outp, err);
		goto out;
	}
	rc = 0;
	if (pubp) {
		*pubp = pub;
		pub = NULL;
	}
out:
	hc_jws_clear(&j);
	free(jws);
	hc_pubkey_free(pub);
	hc_privkey_free(k);
	return rc;
}

static int cmd_trustlist(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 0},
		{"in", required_argument, NULL, 1},
		{"out", required_argument, NULL, 2},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *root = NULL, *in = NULL, *outp = NULL;
	struct hc_pubkey *pub = NULL;
	uint8_t *payload = NULL;
	size_t plen = 0;
	int c, rc = EXIT_USAGE;
	hc_err err;
	const char **slots[] = {&root, &in, &outp};

	if ((c = read_opts(argc, argv, opts, slots, 3)) >= 0)
		return c;
	/* cppcheck-suppress knownConditionTrueFalse ; read_opts sets them through slots */
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
	if ((rc = keys_sign_root(root, payload, plen, HC_MAX_TRUST_FILE, outp, &pub)) != 0)
		goto out;
	printf("%s\n", hc_pubkey_kid(pub));
out:
	free(payload);
	hc_pubkey_free(pub);
	return rc;
}

/* A decimal sequence number in [1, 2^53 - 1]. */
bool keys_seq(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 1 || v > 9007199254740991LL)
		return false;
	*out = v;
	return true;
}

int cmd_revoke(int argc, char **argv);    /* keys/revoke.c */
int cmd_snapshot(int argc, char **argv);  /* keys/snapshot.c */
int cmd_riskareas(int argc, char **argv); /* keys/riskareas.c */
int cmd_foreign(int argc, char **argv);   /* keys/foreign.c */

static const struct {
	const char *name;
	int (*fn)(int, char **);
} cmds[] = {
	{"gen", cmd_gen},
	{"pub", cmd_pub},
	{"trustlist", cmd_trustlist},
	{"revoke", cmd_revoke},
	{"snapshot", cmd_snapshot},
	{"tl", cmd_tl},
	{"riskareas", cmd_riskareas},
	{"foreign", cmd_foreign},
};

static int dispatch(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, EXIT_USAGE);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return usage(stdout, 0);
	if (strcmp(argv[1], "--version") == 0) {
		hc_version_print(stdout, "hc-keys", NULL);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			if (argc == 3 && strcmp(argv[2], "--help") == 0)
				return usage(stdout, 0);
			return cmds[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "hc-keys: unknown command '%s'\n", argv[1]);
	return usage(stderr, EXIT_USAGE);
}

/* Output that could not be written (a full disk, a closed pipe) is a
 * failure, never a silent success. */
int main(int argc, char **argv)
{
	return hc_stdout_status("hc-keys", dispatch(argc, argv));
}
