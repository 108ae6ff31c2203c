/* foreign.c: hc-keys foreign, the national operator signs the foreign
 * trust data (foreign.jws: DCC signer certificates and SMART Health Card
 * issuers) with a root key. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hc_foreign.h"
#include "hc_json.h"
#include "hc_sign.h"
#include "keys.h"

#define MAX_FOREIGN_INPUT (HC_MAX_FOREIGN_FILE / 2) /* each of CERTS.json, ISSUERS.json */

int cmd_foreign(int argc, char **argv);

/* Reads a file holding one JSON array (strictly, as hc_json_parse reads an
 * object: the array is parsed wrapped in one). */
static hc_err read_array(const char *path, cJSON **root, const cJSON **arr)
{
	uint8_t *buf = NULL;
	char *w = NULL;
	size_t len;
	hc_err err;

	*root = NULL;
	if ((err = hc_read_file(path, MAX_FOREIGN_INPUT, &buf, &len)) != HC_OK)
		return err;
	if (!(w = malloc(len + 8))) {
		free(buf);
		return HC_ERR_NOMEM;
	}
	memcpy(w, "{\"a\":", 5);
	memcpy(w + 5, buf, len);
	w[len + 5] = '}';
	free(buf);
	err = hc_json_parse(w, len + 6, root);
	free(w);
	if (err == HC_OK && !cJSON_IsArray(*arr = cJSON_GetObjectItemCaseSensitive(*root, "a"))) {
		hc_set_detail("not a JSON array");
		err = HC_ERR_JSON_TYPE;
	}
	return err;
}

/* {"country","cert"} -> {"country","kid","cert"}, the kid computed. */
static hc_err add_cert(const cJSON *e, cJSON *out)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "cert");
	const cJSON *cc = cJSON_GetObjectItemCaseSensitive(e, "country");
	unsigned char *der = NULL, h[32], kid[16];
	const unsigned char *p;
	cJSON *o;
	size_t len;
	X509 *x = NULL;
	hc_err err;

	if (!cJSON_IsObject(e) || !cJSON_IsString(c) || !cJSON_IsString(cc) ||
	    cJSON_GetArraySize(e) != 2) {
		hc_set_detail("an entry is not {\"country\",\"cert\"}");
		return HC_ERR_TRUST_LIST;
	}
	err = hc_b64_decode(c->valuestring, strlen(c->valuestring), HC_MAX_DCC_CERT, &der, &len);
	if (err == HC_ERR_NOMEM)
		return err;
	if (err != HC_OK) {
		hc_set_detail("the certificate of %.8s is not standard base64 of at most %u bytes",
			      cc->valuestring, HC_MAX_DCC_CERT);
		return HC_ERR_TRUST_LIST;
	}
	p = der;
	if (len == 0 || !(x = d2i_X509(NULL, &p, (long)len)) || p != der + len) {
		X509_free(x);
		free(der);
		hc_set_detail("the certificate of %.8s is not X.509 DER", cc->valuestring);
		return HC_ERR_TRUST_LIST;
	}
	X509_free(x);
	err = hc_dcc_kid(der, len, h);
	free(der);
	if (err != HC_OK)
		return err;
	(void)EVP_EncodeBlock(kid, h, 8);
	if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(out, o) ||
	    !cJSON_AddStringToObject(o, "country", cc->valuestring) ||
	    !cJSON_AddStringToObject(o, "kid", (const char *)kid) ||
	    !cJSON_AddStringToObject(o, "cert", c->valuestring))
		return HC_ERR_NOMEM;
	return HC_OK;
}

/* An issuer with its keys as public JWKs (kid the thumbprint; members
 * such as x5c are left out), its crls as given. */
static hc_err add_issuer(const cJSON *e, cJSON *out)
{
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(e, "keys"), *k, *m;
	cJSON *o, *ka;

	if (!cJSON_IsObject(e) || !cJSON_IsArray(keys)) {
		hc_set_detail("an issuer is not {\"iss\",\"name\",\"keys\":[...]}");
		return HC_ERR_TRUST_LIST;
	}
	if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(out, o))
		return HC_ERR_NOMEM;
	cJSON_ArrayForEach(m, e)
	{
		if (strcmp(m->string, "keys") == 0)
			continue;
		if (strcmp(m->string, "iss") != 0 && strcmp(m->string, "name") != 0 &&
		    strcmp(m->string, "crls") != 0) {
			hc_set_detail("unknown issuer member \"%.40s\"", m->string);
			return HC_ERR_JSON_UNKNOWN;
		}
		if (!cJSON_AddItemToObject(o, m->string, cJSON_Duplicate(m, true)))
			return HC_ERR_NOMEM;
	}
	if (!(ka = cJSON_AddArrayToObject(o, "keys")))
		return HC_ERR_NOMEM;
	cJSON_ArrayForEach(k, keys)
	{
		struct hc_pubkey *pk = NULL;
		cJSON *jwk = NULL;
		hc_err err;

		if (!cJSON_IsObject(k) || cJSON_GetObjectItemCaseSensitive(k, "d") ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(k, "kid"))) {
			hc_set_detail("an issuer key is not a public JWK with its kid");
			return HC_ERR_JWK;
		}
		if ((err = hc_pubkey_from_jwk(k, &pk)) != HC_OK)
			return err;
		err = hc_pubkey_jwk(pk, &jwk);
		hc_pubkey_free(pk);
		if (err != HC_OK)
			return err;
		if (!cJSON_AddItemToArray(ka, jwk)) {
			cJSON_Delete(jwk);
			return HC_ERR_NOMEM;
		}
	}
	return HC_OK;
}

static hc_err build(const char *dccp, const char *shcp, int64_t seq, char **payload)
{
	cJSON *p = NULL, *in = NULL, *dcc, *shc;
	const cJSON *arr, *e;
	const char *path = "payload";
	hc_err err = HC_ERR_NOMEM;

	*payload = NULL;
	if (!(p = cJSON_CreateObject()) || !cJSON_AddNumberToObject(p, "seq", (double)seq) ||
	    !cJSON_AddNumberToObject(p, "iat", (double)hc_now()) ||
	    !(dcc = cJSON_AddArrayToObject(p, "dcc")) || !(shc = cJSON_AddArrayToObject(p, "shc")))
		goto out;
	if (dccp) {
		path = dccp;
		if ((err = read_array(dccp, &in, &arr)) != HC_OK)
			goto out;
		cJSON_ArrayForEach(e, arr)
		{
			if (cJSON_GetArraySize(dcc) == (int)HC_MAX_FOREIGN_CERTS) {
				err = HC_ERR_TOO_LARGE;
				goto out;
			}
			if ((err = add_cert(e, dcc)) != HC_OK)
				goto out;
		}
		cJSON_Delete(in);
		in = NULL;
	}
	if (shcp) {
		path = shcp;
		if ((err = read_array(shcp, &in, &arr)) != HC_OK)
			goto out;
		cJSON_ArrayForEach(e, arr)
		{
			if (cJSON_GetArraySize(shc) == (int)HC_MAX_SHC_ISSUERS) {
				err = HC_ERR_TOO_LARGE;
				goto out;
			}
			if ((err = add_issuer(e, shc)) != HC_OK)
				goto out;
		}
	}
	path = "payload";
	err = hc_json_print(p, payload);
out:
	if (err != HC_OK)
		die_err(path, err);
	cJSON_Delete(in);
	cJSON_Delete(p);
	return err;
}

int cmd_foreign(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 0},
		{"seq", required_argument, NULL, 1},
		{"dcc", required_argument, NULL, 2},
		{"shc", required_argument, NULL, 3},
		{"out", required_argument, NULL, 4},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *root = NULL, *seqs = NULL, *dccp = NULL, *shcp = NULL, *outp = NULL;
	const char **slots[] = {&root, &seqs, &dccp, &shcp, &outp};
	struct hc_foreign *f = NULL;
	struct hc_foreign_info fi;
	struct hc_pubkey *pub = NULL;
	char *payload = NULL;
	int64_t seq;
	int c, rc = EXIT_FAIL;
	hc_err err;

	if ((c = read_opts(argc, argv, opts, slots, 5)) >= 0)
		return c;
	/* cppcheck-suppress knownConditionTrueFalse ; read_opts sets them through slots */
	if (!root || !seqs || !outp || (!dccp && !shcp) || optind != argc)
		return usage(stderr, EXIT_USAGE);
	if (!keys_seq(seqs, &seq)) {
		fprintf(stderr, "hc-keys: --seq: not a number from 1 to 2^53-1\n");
		return EXIT_USAGE;
	}
	if ((err = build(dccp, shcp, seq, &payload)) != HC_OK) {
		/* what could not be read is an I/O error, what was read is refused */
		rc = err == HC_ERR_IO || err == HC_ERR_TOO_LARGE || err == HC_ERR_NOMEM ? EXIT_USAGE
											  : EXIT_FAIL;
		goto out;
	}
	/* The payload is checked as a verifier will read it before it is signed. */
	if ((err = hc_foreign_parse((const uint8_t *)payload, strlen(payload), &f)) != HC_OK) {
		die_err("payload", err);
		goto out;
	}
	if ((rc = keys_sign_root(root, (const uint8_t *)payload, strlen(payload),
				 HC_MAX_FOREIGN_FILE, outp, &pub)) != 0)
		goto out;
	hc_foreign_info(f, &fi);
	printf("%s seq %lld certs %zu issuers %zu keys %zu rids %zu\n", hc_pubkey_kid(pub),
	       (long long)fi.seq, fi.ncerts, fi.nissuers, fi.nkeys, fi.nrids);
out:
	free(payload);
	hc_foreign_free(f);
	hc_pubkey_free(pub);
	return rc;
}
