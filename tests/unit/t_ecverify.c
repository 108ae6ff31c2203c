/* t_ecverify.c: ES256 by per-key tables (common/ecverify.c) against
 * EVP_PKEY_verify: every Wycheproof P-256 P1363 vector through both paths,
 * alone and in blocks mixed with valid signatures; blocks of our own
 * signatures with tampered ones among them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "hc_sign.h"
#include "t.h"

/* A coordinate as Wycheproof writes it (a DER integer's bytes: a leading
 * zero byte when the top bit is set) to 32 bytes. */
static bool coord32(const char *hex, uint8_t out[32])
{
	uint8_t b[33];
	long n = t_unhex(hex, b, sizeof(b));

	if (n < 0 || (n == 33 && b[0] != 0))
		return false;
	if (n == 33) {
		memcpy(out, b + 1, 32);
		return true;
	}
	memset(out, 0, 32);
	memcpy(out + 32 - n, b, (size_t)n);
	return true;
}

struct vec {
	int id;
	bool valid, raw; /* raw: a 64-byte r||s */
	uint8_t digest[32], sig[HC_SIG_LEN];
	uint8_t *msg;
	size_t msglen;
};

static int ntests, nsingle, nblock;

/* One vector through every path: EVP alone (whole message and digest),
 * the table alone, the one function a caller uses, a message by the
 * key's built table (hc_key_verify_tab). */
static void single(const struct hc_pubkey *k, struct hc_verctx *v, const struct hc_ectab *tab,
		   const struct vec *x)
{
	hc_err want = x->valid ? HC_OK : HC_ERR_BAD_SIG, res = HC_ERR_IO;

	CHECK_ERR(hc_es256_verify(k, x->msg, x->msglen, x->sig), want);
	CHECK_ERR(hc_es256_verify_digest_evp(v, x->digest, x->sig), want);
	CHECK_ERR(hc_ectab_verify(tab, 1, &x->digest, &x->sig, &res), HC_OK);
	CHECK_ERR(res, want);
	CHECK_ERR(hc_es256_verify_digest(v, x->digest, x->sig), want);
	CHECK_ERR(hc_key_verify_tab(k, x->msg, x->msglen, x->sig), want); /* k's table is built */
	nsingle++;
}

/* The group's raw vectors in blocks, each followed by one of the group's
 * valid signatures (when it has one), so that an invalid one sits among
 * valid ones and shares their inversion. */
static void blocks(const struct hc_ectab *tab, struct hc_verctx *v, const struct vec *x, size_t n)
{
	uint8_t dg[HC_EC_BLOCK][32], sg[HC_EC_BLOCK][HC_SIG_LEN];
	hc_err want[HC_EC_BLOCK], got[HC_EC_BLOCK], got2[HC_EC_BLOCK];
	const struct vec *good = NULL;
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (x[i].raw && x[i].valid && !good)
			good = &x[i];
	for (size_t i = 0; i <= n; i++) {
		if (i == n || m + 2 > HC_EC_BLOCK) {
			if (m == 0)
				break;
			for (size_t j = 0; j < m; j++)
				got[j] = got2[j] = HC_ERR_IO;
			CHECK_ERR(hc_ectab_verify(tab, m, (const uint8_t(*)[32])dg,
						  (const uint8_t(*)[HC_SIG_LEN])sg, got),
				  HC_OK);
			CHECK_ERR(hc_es256_verify_digests(v, m, (const uint8_t(*)[32])dg,
							  (const uint8_t(*)[HC_SIG_LEN])sg, got2),
				  HC_OK);
			for (size_t j = 0; j < m; j++) {
				CHECK_ERR(got[j], want[j]);
				CHECK_ERR(got2[j], want[j]);
			}
			nblock += (int)m;
			m = 0;
			if (i == n)
				break;
		}
		if (!x[i].raw)
			continue;
		memcpy(dg[m], x[i].digest, 32);
		memcpy(sg[m], x[i].sig, HC_SIG_LEN);
		want[m++] = x[i].valid ? HC_OK : HC_ERR_BAD_SIG;
		if (good) {
			memcpy(dg[m], good->digest, 32);
			memcpy(sg[m], good->sig, HC_SIG_LEN);
			want[m++] = HC_OK;
		}
	}
}

static void wycheproof(void)
{
	char *s = t_read("wycheproof/ecdsa_secp256r1_sha256_p1363_test.json", NULL);
	cJSON *root = cJSON_Parse(s), *g;
	int groups = 0, valid = 0, other_size = 0;

	CHECK(root != NULL);
	CHECK(cJSON_GetObjectItem(root, "numberOfTests") &&
	      cJSON_GetObjectItem(root, "numberOfTests")->valueint == 262);
	cJSON_ArrayForEach(g, cJSON_GetObjectItem(root, "testGroups"))
	{
		const cJSON *pk = cJSON_GetObjectItem(g, "publicKey"), *tc;
		const struct hc_ectab *tab;
		struct hc_pubkey *k = NULL;
		struct hc_verctx *v = NULL;
		uint8_t x[32], y[32];
		struct vec *vs;
		size_t n = 0;

		groups++;
		CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(g, "sha")), "SHA-256") == 0);
		if (!coord32(cJSON_GetStringValue(cJSON_GetObjectItem(pk, "wx")), x) ||
		    !coord32(cJSON_GetStringValue(cJSON_GetObjectItem(pk, "wy")), y)) {
			CHECK(!"a key's coordinates are not hex of 32 bytes");
			continue;
		}
		CHECK_ERR(hc_pubkey_from_xy(x, y, &k), HC_OK);
		if (!k)
			continue;
		CHECK_ERR(hc_verctx_new(k, &v), HC_OK);
		CHECK((tab = hc_pubkey_table(k)) != NULL);
		vs = calloc((size_t)cJSON_GetArraySize(cJSON_GetObjectItem(g, "tests")), sizeof(*vs));
		CHECK(vs != NULL);
		if (!v || !tab || !vs) {
			free(vs);
			hc_verctx_free(v);
			hc_pubkey_free(k);
			continue;
		}
		cJSON_ArrayForEach(tc, cJSON_GetObjectItem(g, "tests"))
		{
			struct vec *e = &vs[n++];
			const char *res = cJSON_GetStringValue(cJSON_GetObjectItem(tc, "result"));
			const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(tc, "msg"));
			uint8_t sig[HC_SIG_LEN + 64];
			long sl, ml = -1;

			ntests++;
			e->id = cJSON_GetObjectItem(tc, "tcId")->valueint;
			CHECK(res && (strcmp(res, "valid") == 0 || strcmp(res, "invalid") == 0));
			e->valid = res && strcmp(res, "valid") == 0;
			valid += e->valid;
			e->msg = malloc(strlen(msg) / 2 + 1);
			CHECK(e->msg && (ml = t_unhex(msg, e->msg, strlen(msg) / 2 + 1)) >= 0);
			e->msglen = e->msg && ml >= 0 ? (size_t)ml : 0;
			CHECK_ERR(hc_sha256(e->msg, e->msglen, e->digest), HC_OK);
			sl = t_unhex(cJSON_GetStringValue(cJSON_GetObjectItem(tc, "sig")), sig, sizeof(sig));
			if (sl != HC_SIG_LEN) {
				/* Any other size is refused before verification
				 * (a JWS signature is 64 bytes or HC_ERR_SIG_LEN):
				 * every such vector expects that. */
				other_size++;
				if (e->valid)
					t_fail(__FILE__, __LINE__, "tcId %d: a valid signature of %ld bytes",
					       e->id, sl);
				continue;
			}
			e->raw = true;
			memcpy(e->sig, sig, HC_SIG_LEN);
			single(k, v, tab, e);
		}
		blocks(tab, v, vs, n);
		for (size_t i = 0; i < n; i++)
			free(vs[i].msg);
		free(vs);
		hc_verctx_free(v);
		hc_pubkey_free(k);
	}
	cJSON_Delete(root);
	free(s);
	CHECK(groups == 112);
	CHECK(ntests == 262);
	CHECK(valid == 173);
	/* Every 64-byte vector ran alone and in a block (once each). */
	CHECK(nsingle == 262 - other_size);
	CHECK(nblock >= nsingle);
	printf("  %d vectors in %d groups: %d of 64 bytes through both paths alone and in blocks "
	       "(%d block entries), %d of other sizes\n",
	       ntests, groups, nsingle, nblock, other_size);
}

/* Our own key and signatures: a full block of valid ones verifies; each
 * kind of tampering fails where it is and nowhere else. */
static void own_blocks(void)
{
	struct hc_privkey *sk = NULL;
	struct hc_pubkey *k = NULL;
	struct hc_verctx *v = NULL;
	struct hc_ectab *tab = NULL;
	uint8_t dg[HC_EC_BLOCK][32], sg[HC_EC_BLOCK][HC_SIG_LEN];
	hc_err got[HC_EC_BLOCK], want[HC_EC_BLOCK];

	char path[512];

	(void)snprintf(path, sizeof(path), "%s/k.pem", t_tmpdir());
	CHECK_ERR(hc_privkey_generate(path, &sk), HC_OK);
	if (!sk)
		return;
	CHECK_ERR(hc_privkey_public(sk, &k), HC_OK);
	CHECK_ERR(hc_verctx_new(k, &v), HC_OK);
	CHECK_ERR(hc_ectab_new(k, &tab), HC_OK);
	if (!k || !v || !tab)
		goto out;
	for (size_t i = 0; i < HC_EC_BLOCK; i++) {
		uint8_t msg[8] = {(uint8_t)i, 'm', 's', 'g'};

		CHECK_ERR(hc_sha256(msg, sizeof(msg), dg[i]), HC_OK);
		CHECK_ERR(hc_es256_sign(sk, msg, sizeof(msg), sg[i]), HC_OK);
		want[i] = HC_OK;
	}
	CHECK_ERR(hc_ectab_verify(tab, HC_EC_BLOCK, (const uint8_t(*)[32])dg,
				  (const uint8_t(*)[HC_SIG_LEN])sg, got),
		  HC_OK);
	for (size_t i = 0; i < HC_EC_BLOCK; i++)
		CHECK_ERR(got[i], HC_OK);
	/* r = 0, s = 0, s = n (out of range), a flipped bit in r, in s, in
	 * the digest, r and s swapped, the first and the last of the block. */
	memset(sg[0], 0, 32);
	memset(sg[3] + 32, 0, 32);
	memcpy(sg[7] + 32,
	       "\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff"
	       "\xbc\xe6\xfa\xad\xa7\x17\x9e\x84\xf3\xb9\xca\xc2\xfc\x63\x25\x51",
	       32);
	sg[10][5] ^= 0x10;
	sg[20][40] ^= 0x01;
	dg[30][31] ^= 0x80;
	{
		uint8_t t[32];

		memcpy(t, sg[40], 32);
		memcpy(sg[40], sg[40] + 32, 32);
		memcpy(sg[40] + 32, t, 32);
	}
	sg[HC_EC_BLOCK - 1][63] ^= 0x02;
	want[0] = want[3] = want[7] = want[10] = want[20] = want[30] = want[40] = HC_ERR_BAD_SIG;
	want[HC_EC_BLOCK - 1] = HC_ERR_BAD_SIG;
	CHECK_ERR(hc_ectab_verify(tab, HC_EC_BLOCK, (const uint8_t(*)[32])dg,
				  (const uint8_t(*)[HC_SIG_LEN])sg, got),
		  HC_OK);
	for (size_t i = 0; i < HC_EC_BLOCK; i++) {
		CHECK_ERR(got[i], want[i]);
		CHECK_ERR(hc_es256_verify_digest_evp(v, dg[i], sg[i]), want[i]);
		CHECK_ERR(hc_es256_verify_digest(v, dg[i], sg[i]), want[i]);
	}
	/* A block of invalid ones only, an empty block, an oversized one. */
	CHECK_ERR(hc_ectab_verify(tab, 1, (const uint8_t(*)[32])dg, (const uint8_t(*)[HC_SIG_LEN])sg,
				  got),
		  HC_OK);
	CHECK_ERR(got[0], HC_ERR_BAD_SIG);
	CHECK_ERR(hc_ectab_verify(tab, 0, (const uint8_t(*)[32])dg, (const uint8_t(*)[HC_SIG_LEN])sg,
				  got),
		  HC_OK);
	CHECK_ERR(hc_ectab_verify(tab, HC_EC_BLOCK + 1, (const uint8_t(*)[32])dg,
				  (const uint8_t(*)[HC_SIG_LEN])sg, got),
		  HC_ERR_INVALID_ARG);
	CHECK_ERR(hc_es256_verify_digests(v, HC_EC_BLOCK + 1, (const uint8_t(*)[32])dg,
					  (const uint8_t(*)[HC_SIG_LEN])sg, got),
		  HC_ERR_INVALID_ARG);
	/* The key's shared table is built once. */
	CHECK(hc_pubkey_table(k) != NULL && hc_pubkey_table(k) == hc_pubkey_table(k));
out:
	hc_ectab_free(tab);
	hc_verctx_free(v);
	hc_pubkey_free(k);
	hc_privkey_free(sk);
}

/* hc_key_verify_tab before the key's table is built (EVP) and after (the
 * table): the same verdicts; it never builds the table itself. */
static void verify_tab(void)
{
	struct hc_privkey *sk = NULL;
	struct hc_pubkey *k = NULL;
	const uint8_t msg[] = "eyJhbGciOiJFUzI1NiJ9.e30";
	uint8_t sig[HC_SIG_LEN];
	char path[512];

	(void)snprintf(path, sizeof(path), "%s/tab.pem", t_tmpdir());
	CHECK_ERR(hc_privkey_generate(path, &sk), HC_OK);
	if (!sk)
		return;
	CHECK_ERR(hc_privkey_public(sk, &k), HC_OK);
	CHECK_ERR(hc_es256_sign(sk, msg, sizeof(msg) - 1, sig), HC_OK);
	for (int built = 0; k && built < 2; built++) {
		CHECK_ERR(hc_key_verify_tab(k, msg, sizeof(msg) - 1, sig), HC_OK);
		CHECK_ERR(hc_key_verify_tab(k, msg, sizeof(msg) - 2, sig), HC_ERR_BAD_SIG);
		sig[33] ^= 0x40;
		CHECK_ERR(hc_key_verify_tab(k, msg, sizeof(msg) - 1, sig), HC_ERR_BAD_SIG);
		sig[33] ^= 0x40;
		if (!built)
			CHECK(hc_pubkey_table(k) != NULL);
	}
	hc_pubkey_free(k);
	hc_privkey_free(sk);
}

void t_main(void)
{
	RUN(wycheproof);
	RUN(own_blocks);
	RUN(verify_tab);
}
