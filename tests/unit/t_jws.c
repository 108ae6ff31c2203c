/* t_jws.c: JWS, JWK, thumbprints and ES256 against the SMART Health Cards
 * examples (an independent implementation), plus signing, claims and the
 * trust store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc_json.h"
#include "hc_sign.h"
#include "hc_trust.h"
#include "t.h"

static struct hc_pubkey *shc_keys[2];

static void shc_jwks(void)
{
	size_t n;
	char *s = t_read("shc/issuer-jwks.json", &n);
	cJSON *root = cJSON_Parse(s), *k;
	size_t i = 0;

	CHECK(root != NULL);
	cJSON_ArrayForEach(k, cJSON_GetObjectItem(root, "keys"))
	{
		/* hc_pubkey_from_jwk checks the kid against the RFC 7638 thumbprint. */
		CHECK_ERR(hc_pubkey_from_jwk(k, &shc_keys[i]), HC_OK);
		if (shc_keys[i])
			CHECK(strcmp(hc_pubkey_kid(shc_keys[i]),
				     cJSON_GetObjectItem(k, "kid")->valuestring) == 0);
		i++;
	}
	CHECK(i == 2);
	CHECK(shc_keys[0] && strcmp(hc_pubkey_kid(shc_keys[0]),
				    "3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s") == 0);
	/* A JWK whose kid is not its thumbprint is refused. */
	k = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "keys"), 0);
	cJSON_ReplaceItemInObject(k, "kid", cJSON_CreateString("3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9t"));
	{
		struct hc_pubkey *x = NULL;
		CHECK_ERR(hc_pubkey_from_jwk(k, &x), HC_ERR_JWK);
		/* A point off the curve. */
		cJSON_DeleteItemFromObject(k, "kid");
		cJSON_ReplaceItemInObject(k, "y", cJSON_CreateString("eZXwxvO1hvCY0KucrPfKo7yAyMT6Ajc3N7OkAB6VYy4"));
		CHECK_ERR(hc_pubkey_from_jwk(k, &x), HC_ERR_JWK);
		cJSON_ReplaceItemInObject(k, "y", cJSON_CreateString("eZXw"));
		CHECK_ERR(hc_pubkey_from_jwk(k, &x), HC_ERR_JWK);
		cJSON_ReplaceItemInObject(k, "crv", cJSON_CreateString("P-384"));
		CHECK_ERR(hc_pubkey_from_jwk(k, &x), HC_ERR_JWK);
		CHECK(x == NULL);
	}
	cJSON_Delete(root);
	free(s);
}

static const struct hc_pubkey *key_for(const char *kid)
{
	for (int i = 0; i < 2; i++)
		if (shc_keys[i] && strcmp(hc_pubkey_kid(shc_keys[i]), kid) == 0)
			return shc_keys[i];
	return NULL;
}

static void shc_examples(void)
{
	for (int ex = 0; ex < 4; ex++) {
		char name[64], *jws, *json, *qr, tok[4096];
		size_t jn, cn, qn, tn;
		struct hc_jws j;
		const struct hc_pubkey *k;

		snprintf(name, sizeof(name), "shc example %d", ex);
		t_begin(name);
		snprintf(name, sizeof(name), "shc/example-%02d-d-jws.txt", ex);
		jws = t_read(name, &jn);
		snprintf(name, sizeof(name), "shc/example-%02d-c-jws-payload-minified.json", ex);
		json = t_read(name, &cn);
		/* Payload: raw inflate gives the exact minified JSON; example 02
		 * (30,178 bytes) is past the 16 KiB cap of hcode. */
		CHECK_ERR(hc_jws_parse(jws, jn, 1 << 16, true, 1 << 16, &j), HC_OK);
		CHECK(j.payload_len == cn && memcmp(j.payload, json, cn) == 0);
		k = key_for(j.kid);
		CHECK(k != NULL);
		if (k)
			CHECK_ERR(hc_jws_verify(&j, jws, k), HC_OK);
		/* One changed byte in the payload part breaks the signature. */
		if (k) {
			char *m = strdup(jws);
			size_t at = j.signing_len - 5;

			m[at] = m[at] == 'A' ? 'B' : 'A';
			CHECK_ERR(hc_jws_verify(&j, m, k), HC_ERR_BAD_SIG);
			free(m);
		}
		hc_jws_clear(&j);
		if (ex == 2) {
			CHECK_ERR(hc_jws_parse(jws, jn, 1 << 16, true, HC_MAX_INFLATED, &j),
				  HC_ERR_INFLATE_CAP);
		} else {
			/* QR numeric framing with the shc:/ prefix gives the JWS. */
			snprintf(name, sizeof(name), "shc/example-%02d-f-qr-code-numeric-value-0.txt", ex);
			qr = t_read(name, &qn);
			CHECK_ERR(hc_qr_decode("shc:/", qr, qn, tok, sizeof(tok), &tn), HC_OK);
			CHECK(tn == jn && memcmp(tok, jws, jn) == 0);
			free(qr);
		}
		free(jws);
		free(json);
		t_end();
	}
	t_begin("shc example 02 chunks reassemble");
	{
		char *jws, buf[4096], tok[2048], *qr, name[80], pre[16];
		size_t jn, qn, tn, o = 0;

		jws = t_read("shc/example-02-d-jws.txt", &jn);
		for (int c = 0; c < 3; c++) {
			snprintf(name, sizeof(name), "shc/example-02-f-qr-code-numeric-value-%d.txt", c);
			snprintf(pre, sizeof(pre), "shc:/%d/3/", c + 1);
			qr = t_read(name, &qn);
			CHECK_ERR(hc_qr_decode(pre, qr, qn, tok, sizeof(tok), &tn), HC_OK);
			if (o + tn < sizeof(buf))
				memcpy(buf + o, tok, tn), o += tn;
			free(qr);
		}
		CHECK(o == jn && memcmp(buf, jws, jn) == 0);
		free(jws);
	}
	t_end();
}

static void der_conversion(void)
{
	uint8_t raw[64], back[64], *der = NULL;
	size_t dn;

	memset(raw, 0, sizeof(raw));
	raw[31] = 1;                 /* r = 1: short DER integer */
	memset(raw + 32, 0xff, 32);  /* s high bit set: DER needs a 00 pad */
	CHECK_ERR(hc_sig_raw_to_der(raw, &der, &dn), HC_OK);
	CHECK(dn == 2 + 3 + 2 + 33);
	CHECK_ERR(hc_sig_der_to_raw(der, dn, back), HC_OK);
	CHECK(memcmp(raw, back, 64) == 0);
	CHECK_ERR(hc_sig_der_to_raw(der, dn - 1, back), HC_ERR_CRYPTO);
	free(der);
}

static void sign_verify(void)
{
	const char *dir = t_tmpdir();
	char path[512], *jws = NULL;
	struct hc_privkey *k = NULL, *k2 = NULL;
	struct hc_pubkey *pub = NULL;
	struct hc_jws j;
	struct stat st;
	const char *msg = "{\"hello\":\"world\"}";

	snprintf(path, sizeof(path), "%s/k.key", dir);
	CHECK_ERR(hc_privkey_generate(path, &k), HC_OK);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_ERR(hc_privkey_generate(path, &k2), HC_ERR_EXISTS);
	CHECK_ERR(hc_privkey_load(path, &k2), HC_OK);
	chmod(path, 0640);
	{
		struct hc_privkey *k3 = NULL;
		CHECK_ERR(hc_privkey_load(path, &k3), HC_ERR_KEY_PERM);
	}
	CHECK_ERR(hc_privkey_public(k2, &pub), HC_OK);
	CHECK_ERR(hc_jws_sign(k, true, (const uint8_t *)msg, strlen(msg), &jws), HC_OK);
	CHECK_ERR(hc_jws_parse(jws, strlen(jws), HC_MAX_TOKEN, true, HC_MAX_INFLATED, &j), HC_OK);
	CHECK(strcmp(j.payload ? (char *)j.payload : "", msg) == 0);
	CHECK(strcmp(j.kid, hc_pubkey_kid(pub)) == 0);
	CHECK_ERR(hc_jws_verify(&j, jws, pub), HC_OK);
	j.sig[10] ^= 1;
	CHECK_ERR(hc_jws_verify(&j, jws, pub), HC_ERR_BAD_SIG);
	hc_jws_clear(&j);
	/* A zip token is refused where no zip is expected, and the reverse. */
	CHECK_ERR(hc_jws_parse(jws, strlen(jws), HC_MAX_TOKEN, false, 4096, &j), HC_ERR_HEADER);
	free(jws);
	CHECK_ERR(hc_jws_sign(k, false, (const uint8_t *)msg, strlen(msg), &jws), HC_OK);
	CHECK_ERR(hc_jws_parse(jws, strlen(jws), HC_MAX_TOKEN, true, 4096, &j), HC_ERR_HEADER);
	CHECK_ERR(hc_jws_parse(jws, strlen(jws), 10, false, 4096, &j), HC_ERR_TOO_LARGE);
	free(jws);
	hc_pubkey_free(pub);
	hc_privkey_free(k);
	hc_privkey_free(k2);
}

static const char good_claims[] =
	"{\"iss\":\"https://hc.zj.example\",\"iat\":1795392000,\"nbf\":1795392060,"
	"\"exp\":1795478400,\"jti\":\"3q2-7wAAAAAAAAAAAAAAAA\",\"hc\":{\"v\":1,\"st\":\"green\","
	"\"pol\":\"default-1\",\"why\":[],\"sub\":{\"name\":\"张*\",\"id\":\"330***********1234\"},"
	"\"nat\":{\"at\":1795300000,\"res\":\"neg\"},\"vac\":{\"doses\":3,\"at\":1700000000},"
	"\"trv\":{\"risk\":\"low\"}}}";

static void claims(void)
{
	static const struct { const char *from, *to; hc_err err; } v[] = {
		{NULL, NULL, HC_OK},
		{"\"exp\":1795478400", "\"exp\":\"1795478400\"", HC_ERR_JSON_TYPE},
		{"\"exp\":1795478400", "\"exp\":1795478400.5", HC_ERR_JSON_INT},
		{"\"exp\":1795478400", "\"exp\":1795000000", HC_ERR_CLAIMS},
		{"\"exp\":1795478400,", "", HC_ERR_JSON_MISSING},
		{"https://hc.zj.example", "http://hc.zj.example", HC_ERR_CLAIMS},
		{"https://hc.zj.example", "https://hc.zj.example/", HC_ERR_CLAIMS},
		{"3q2-7wAAAAAAAAAAAAAAAA", "3q2-7wAAAAAAAAAAAAAA", HC_ERR_CLAIMS},
		{"\"v\":1", "\"v\":2", HC_ERR_CLAIMS},
		{"\"st\":\"green\"", "\"st\":\"blue\"", HC_ERR_CLAIMS},
		{"\"res\":\"neg\"", "\"res\":\"unk\"", HC_ERR_CLAIMS},
		{"\"res\":\"neg\"", "\"res\":\"negative\"", HC_ERR_TOO_LARGE},
		{"\"risk\":\"low\"", "\"risk\":\"low\",\"x\":1", HC_ERR_JSON_UNKNOWN},
		{"\"why\":[]", "\"why\":[1]", HC_ERR_JSON_TYPE},
		{"\"why\":[]", "\"why\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]",
		 HC_ERR_TOO_LARGE},
		{"\"doses\":3", "\"doses\":3,\"doses\":4", HC_ERR_JSON_DUP},
		{"\"iat\":1795392000", "\"iat\":1e400", HC_ERR_JSON},
		{"\"iat\":1795392000", "\"iat\":-1", HC_ERR_JSON_INT},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char buf[1024], *p, *json = NULL;
		struct hc_claims c, c2;

		t_begin(v[i].to ? v[i].to : "claims: valid");
		if (v[i].from && (p = strstr(good_claims, v[i].from))) {
			size_t pre = (size_t)(p - good_claims);
			snprintf(buf, sizeof(buf), "%.*s%s%s", (int)pre, good_claims, v[i].to,
				 p + strlen(v[i].from));
		} else {
			CHECK(v[i].from == NULL);
			snprintf(buf, sizeof(buf), "%s", good_claims);
		}
		CHECK_ERR(hc_claims_parse(buf, strlen(buf), &c), v[i].err);
		if (v[i].err == HC_OK) {
			CHECK(c.st == HC_ST_GREEN && c.exp == 1795478400 && c.vac_doses == 3 &&
			      strcmp(c.name, "张*") == 0 && c.has_nat && c.has_trv);
			CHECK_ERR(hc_claims_json(&c, &json), HC_OK);
			CHECK(json && strcmp(json, good_claims) == 0);
			if (json)
				CHECK_ERR(hc_claims_parse(json, strlen(json), &c2), HC_OK);
			free(json);
		}
		t_end();
	}
}

/* hc_code_sign's jtis: distinct across its per-thread pool's refills, and
 * a child of fork(2) does not hand out the jtis its parent will (the pool
 * it inherits is emptied). */
static void code_sign_jtis(void)
{
	const char *dir = t_tmpdir();
	char path[512], seen[40][32], child[32] = "";
	struct hc_privkey *k = NULL;
	struct hc_pubkey *pub = NULL;
	struct hc_claims c;
	int fd[2];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/jti.key", dir);
	CHECK_ERR(hc_privkey_generate(path, &k), HC_OK);
	CHECK_ERR(hc_privkey_public(k, &pub), HC_OK);
	CHECK_ERR(hc_claims_parse(good_claims, strlen(good_claims), &c), HC_OK);
	if (!k || !pub)
		goto out;
	for (int i = 0; i < 40; i++) {
		char *jws = NULL;

		CHECK_ERR(hc_code_sign(k, pub, &c, &jws), HC_OK);
		snprintf(seen[i], sizeof(seen[i]), "%s", c.jti);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(seen[i], seen[j]) != 0);
		free(jws);
		if (i != 1)
			continue;
		/* the child signs one code and sends its jti; the parent's
		 * next (i = 2) must differ from it */
		CHECK(pipe(fd) == 0);
		if ((pid = fork()) == 0) {
			char *cj = NULL;
			int ok = hc_code_sign(k, pub, &c, &cj) == HC_OK &&
				 write(fd[1], c.jti, strlen(c.jti)) == (ssize_t)strlen(c.jti);
			_exit(ok ? 0 : 1);
		}
		close(fd[1]);
		{
			int status = 0;
			ssize_t n = read(fd[0], child, sizeof(child) - 1);

			child[n > 0 ? n : 0] = 0;
			CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
			      WEXITSTATUS(status) == 0);
		}
		close(fd[0]);
		CHECK(strlen(child) == 22);
	}
	for (int j = 0; j < 40; j++)
		CHECK(strcmp(child, seen[j]) != 0);
out:
	hc_pubkey_free(pub);
	hc_privkey_free(k);
}

void t_main(void)
{
	RUN(shc_jwks);
	shc_examples();
	RUN(der_conversion);
	RUN(sign_verify);
	claims();
	RUN(code_sign_jtis);
	hc_pubkey_free(shc_keys[0]);
	hc_pubkey_free(shc_keys[1]);
}
