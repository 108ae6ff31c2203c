/* fuzz_dcc.c: EU DCC QR text ("HC1:") through base45, zlib, COSE_Sign1,
 * the CWT claims and the certificate content: hc_dcc_decode, and
 * hc_dcc_verify against signer certificates of the test data (P-256,
 * RSA-2048, P-384, a test-only signer). An input whose first byte is 0
 * is a raw COSE message, framed here, so that mutations reach the CBOR
 * reader directly. Asserts: base45 that decodes encodes back to the same
 * text; a failure has a detail and a verdict reason; a pass decodes to
 * the same content. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "dcc_fx.h"
#include "hc_foreign.h"
#include "hc_trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

#define NCERTS 4
static struct hc_dcc_cert certs[NCERTS];
static uint8_t ders[NCERTS][4096];

static void load_cert(size_t i, const char *name)
{
	const char *dir = getenv("HC_TESTDATA");
	char path[512];
	uint8_t *b = NULL;
	size_t n;
	cJSON *j;
	const cJSON *c;
	int l;

	(void)snprintf(path, sizeof(path), "%s/dcc/%s", dir && dir[0] ? dir : "tests/data", name);
	if (hc_read_file(path, 1u << 22, &b, &n) != HC_OK || !(j = cJSON_ParseWithLength((char *)b, n))) {
		fprintf(stderr, "fuzz_dcc: cannot read %s\n", path);
		abort();
	}
	c = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "TESTCTX"),
					     "CERTIFICATE");
	if (!cJSON_IsString(c) || strlen(c->valuestring) / 4 * 3 > sizeof(ders[i]) ||
	    (l = EVP_DecodeBlock(ders[i], (const unsigned char *)c->valuestring,
				 (int)strlen(c->valuestring))) <= 2)
		abort();
	l -= (c->valuestring[strlen(c->valuestring) - 1] == '=') +
	     (c->valuestring[strlen(c->valuestring) - 2] == '=');
	certs[i].der = ders[i];
	certs[i].der_len = (size_t)l;
	if (hc_dcc_kid(ders[i], (size_t)l, certs[i].kid) != HC_OK)
		abort();
	cJSON_Delete(j);
	free(b);
}

static void check(const char *text, size_t n)
{
	struct hc_verify_opts o;
	struct hc_foreign_result r, d;
	hc_err ev, ed;

	hc_verify_opts_init(&o);
	o.at = 1622505600; /* 2021-06-01 */
	ev = hc_dcc_verify(certs, NCERTS, text, n, &o, &r);
	if (ev != HC_OK && ev != HC_ERR_NOMEM && (!hc_err_is_verdict(ev) || !hc_detail()[0]))
		abort();
	ed = hc_dcc_decode(text, n, &d);
	if (ed != HC_OK && ed != HC_ERR_NOMEM && !hc_detail()[0])
		abort();
	if (ev == HC_OK && (ed != HC_OK || r.type != d.type || strcmp(r.name, d.name) != 0 ||
			    strcmp(r.dob, d.dob) != 0 || r.iat != d.iat || r.exp != d.exp))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static bool init;
	uint8_t *raw;
	size_t rl;

	if (!init) {
		load_cert(0, "common/CO1.json");
		load_cert(1, "CH/1.json");
		load_cert(2, "ES/401.json");
		load_cert(3, "common/CO6.json");
		init = true;
	}
	if (n > 0 && data[0] == 0 && n - 1 <= HC_MAX_DCC_INFLATED) {
		char *text = dcc_fx_text(data + 1, n - 1, 6);

		if (text)
			check(text, strlen(text));
		free(text);
		return 0;
	}
	check((const char *)data, n);
	/* base45 alone: what decodes encodes back to the same text */
	if ((raw = malloc(hc_b45_declen(n) + 1))) {
		if (hc_b45_decode((const char *)data, n, raw, hc_b45_declen(n) + 1, &rl) == HC_OK) {
			char *back = malloc(n + 3);

			if (!back)
				abort();
			dcc_fx_b45(raw, rl, back);
			if (strlen(back) != n || memcmp(back, data, n) != 0)
				abort();
			free(back);
		}
		free(raw);
	}
	return 0;
}
