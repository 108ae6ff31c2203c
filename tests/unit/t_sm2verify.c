/* t_sm2verify.c: SM2 by per-key tables (common/ecverify.c) against
 * OpenSSL's SM2 verify: OpenSSL's own SM2 vectors (tests/data/sm2), our
 * own signatures with r and s at every edge, x1 >= n and R at infinity,
 * alone and in blocks; each verdict must equal EVP_DigestVerify's (the
 * message, ID HC_SM2_ID) and EVP_PKEY_verify's (over e). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "hc_sign.h"
#include "t.h"

static bool hex32(const char *s, uint8_t out[32])
{
	return t_unhex(s, out, 32) == 32;
}

/* n, p, 2^256 - 1 and the others of the edges, big-endian */
static const char *const EDGE[] = {
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0000000000000000000000000000000000000000000000000000000000000001",
	"fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54122", /* n-1 */
	"fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123", /* n */
	"fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54124", /* n+1 */
	"fffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffe", /* p-1 */
	"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
};
#define NEDGE (sizeof(EDGE) / sizeof(EDGE[0]))
#define N_HEX "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123"

/* A key with its two contexts: EVP_PKEY_verify only, and the table. */
struct key {
	struct hc_pubkey *k;
	struct hc_verctx *evp, *tab;
	const struct hc_ectab *t;
};

static void key_open(struct key *x, const uint8_t xy[64])
{
	memset(x, 0, sizeof(*x));
	CHECK_ERR(hc_pubkey_from_xy_alg(HC_ALG_SM2, xy, xy + 32, &x->k), HC_OK);
	if (!x->k)
		return;
	CHECK_ERR(hc_verctx_new_ex(x->k, false, &x->evp), HC_OK);
	CHECK_ERR(hc_verctx_new(x->k, &x->tab), HC_OK);
	CHECK((x->t = hc_pubkey_table(x->k)) != NULL);
}

static void key_close(struct key *x)
{
	hc_verctx_free(x->evp);
	hc_verctx_free(x->tab);
	hc_pubkey_free(x->k);
}

static int nchecked;

/* One signature over e through every path: EVP_PKEY_verify, the table
 * alone, the one function callers use; all give want. */
static void over_e(const struct key *x, const uint8_t e[32], const uint8_t sig[HC_SIG_LEN],
		   hc_err want, const char *what)
{
	hc_err res = HC_ERR_IO;

	if (!x->t)
		return;
	if (hc_es256_verify_digest_evp(x->evp, e, sig) != want)
		t_fail(__FILE__, __LINE__, "%s: EVP_PKEY_verify is not %s", what, hc_strerror(want));
	CHECK_ERR(hc_ectab_verify(x->t, 1, (const uint8_t(*)[32])e,
				  (const uint8_t(*)[HC_SIG_LEN])sig, &res),
		  HC_OK);
	if (res != want)
		t_fail(__FILE__, __LINE__, "%s: the table says %s, want %s", what, hc_strerror(res),
		       hc_strerror(want));
	CHECK_ERR(hc_es256_verify_digest(x->tab, e, sig), want);
	nchecked++;
}

/* The same for a message: EVP_DigestVerify (SM3, ID HC_SM2_ID) first. */
static void over_msg(const struct key *x, const uint8_t *msg, size_t n,
		     const uint8_t sig[HC_SIG_LEN], hc_err want, const char *what)
{
	uint8_t e[32];

	if (hc_key_verify(x->k, msg, n, sig) != want)
		t_fail(__FILE__, __LINE__, "%s: EVP_DigestVerify is not %s", what, hc_strerror(want));
	CHECK_ERR(hc_key_verify_tab(x->k, msg, n, sig), want); /* x->k's table is built */
	CHECK_ERR(hc_sm2_digest(x->k, msg, n, e), HC_OK);
	over_e(x, e, sig, want, what);
}

/* Each of OpenSSL's vectors passes both ways; with one bit of the input,
 * r or s changed it fails both ways. */
static void openssl_vectors(void)
{
	char *s = t_read("sm2/openssl_sm2_verify.txt", NULL), *save = NULL;
	int nvec = 0;

	for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		/* NAME KIND X Y INPUT R S */
		char *f[7] = {NULL}, *fsave = NULL, *name, *kind;
		uint8_t xy[64], msg[100], sig[HC_SIG_LEN];
		long mlen = -1;
		size_t nf = 0;
		struct key x;

		if (l[0] == '#')
			continue;
		for (char *w = strtok_r(l, " ", &fsave); w; w = strtok_r(NULL, " ", &fsave))
			if (nf < 7)
				f[nf++] = w;
		name = f[0];
		kind = f[1];
		if (nf != 7 || !hex32(f[2], xy) || !hex32(f[3], xy + 32) || !hex32(f[5], sig) ||
		    !hex32(f[6], sig + 32) || (mlen = t_unhex(f[4], msg, sizeof(msg))) < 1 ||
		    (strcmp(kind, "msg") != 0 && (strcmp(kind, "e") != 0 || mlen != 32))) {
			t_fail(__FILE__, __LINE__, "bad vector line (%zu fields)", nf);
			continue;
		}
		key_open(&x, xy);
		for (int v = 0; v < 4; v++) {
			uint8_t m2[100], s2[HC_SIG_LEN];
			char what[96];

			memcpy(m2, msg, (size_t)mlen);
			memcpy(s2, sig, HC_SIG_LEN);
			if (v == 1)
				m2[mlen - 1] ^= 1;
			else if (v == 2)
				s2[31] ^= 1;
			else if (v == 3)
				s2[63] ^= 1;
			snprintf(what, sizeof(what), "%s%s", name,
				 v == 0 ? "" : v == 1 ? " input changed" : v == 2 ? " r changed" : " s changed");
			if (kind[0] == 'm')
				over_msg(&x, m2, (size_t)mlen, s2, v ? HC_ERR_BAD_SIG : HC_OK, what);
			else
				over_e(&x, m2, s2, v ? HC_ERR_BAD_SIG : HC_OK, what);
		}
		key_close(&x);
		nvec++;
	}
	CHECK(nvec == 3);
	free(s);
}

/* b signatures at once: the table alone and the callers' function give
 * want[i] to each. */
static void in_block(const struct key *x, size_t b, const uint8_t (*e)[32],
		     const uint8_t (*sg)[HC_SIG_LEN], const hc_err *want)
{
	hc_err res[HC_EC_BLOCK];

	CHECK_ERR(hc_ectab_verify(x->t, b, e, sg, res), HC_OK);
	for (size_t i = 0; i < b; i++)
		CHECK_ERR(res[i], want[i]);
	CHECK_ERR(hc_es256_verify_digests(x->tab, b, e, sg, res), HC_OK);
	for (size_t i = 0; i < b; i++)
		CHECK_ERR(res[i], want[i]);
}

#define NSIG 8

/* Our own key and signatures: each valid one, then r, s or both at each
 * edge, t = 0 (s = n - r), r of another signature, r and s swapped;
 * alone, then all of them in blocks, mixed with the valid ones. */
static void edges(void)
{
	static uint8_t e[HC_EC_BLOCK * 2][32], sg[HC_EC_BLOCK * 2][HC_SIG_LEN];
	static hc_err want[HC_EC_BLOCK * 2];
	uint8_t msg[NSIG][24] = {{0}}, v[HC_SIG_LEN], nn[32];
	struct hc_privkey *sk = NULL;
	struct hc_pubkey *pk = NULL;
	char path[512], what[80];
	size_t m = 0;
	uint8_t xy[64];
	struct key x;

	snprintf(path, sizeof(path), "%s/sm2.key", t_tmpdir());
	CHECK_ERR(hc_privkey_generate_alg(path, HC_ALG_SM2, &sk), HC_OK);
	CHECK_ERR(hc_privkey_public(sk, &pk), HC_OK);
	if (!pk)
		return;
	{
		cJSON *j = NULL;
		size_t n;

		CHECK_ERR(hc_pubkey_jwk(pk, &j), HC_OK);
		CHECK_ERR(hc_b64u_decode(cJSON_GetObjectItem(j, "x")->valuestring, 43, xy, 32, &n),
			  HC_OK);
		CHECK_ERR(hc_b64u_decode(cJSON_GetObjectItem(j, "y")->valuestring, 43, xy + 32, 32, &n),
			  HC_OK);
		cJSON_Delete(j);
	}
	key_open(&x, xy);
	CHECK(hex32(N_HEX, nn));
	for (int i = 0; i < NSIG; i++) {
		snprintf((char *)msg[i], sizeof(msg[i]), "sm2 message %07d", i);
		CHECK_ERR(hc_key_sign(sk, msg[i], sizeof(msg[i]), v), HC_OK);
		snprintf(what, sizeof(what), "valid %d", i);
		over_msg(&x, msg[i], sizeof(msg[i]), v, HC_OK, what);
		CHECK_ERR(hc_sm2_digest(x.k, msg[i], sizeof(msg[i]), e[m]), HC_OK);
		memcpy(sg[m], v, HC_SIG_LEN);
		want[m++] = HC_OK;
	}
	for (size_t i = 0; i < NEDGE; i++) {
		for (int which = 0; which < 3; which++) {
			int k = (int)(i + (size_t)which) % NSIG;

			memcpy(v, sg[k], HC_SIG_LEN);
			if (which != 1)
				CHECK(hex32(EDGE[i], v));
			if (which != 0)
				CHECK(hex32(EDGE[i], v + 32));
			snprintf(what, sizeof(what), "%s = %.8s...", which == 0 ? "r" : which == 1 ? "s" : "r, s",
				 EDGE[i]);
			over_msg(&x, msg[k], sizeof(msg[k]), v, HC_ERR_BAD_SIG, what);
			memcpy(e[m], e[k], 32);
			memcpy(sg[m], v, HC_SIG_LEN);
			want[m++] = HC_ERR_BAD_SIG;
		}
	}
	for (int k = 0; k < NSIG; k++) {
		/* s = n - r: t = 0 */
		unsigned borrow = 0;

		memcpy(v, sg[k], HC_SIG_LEN);
		for (int b = 31; b >= 0; b--) {
			unsigned d = (unsigned)nn[b] - sg[k][b] - borrow;

			v[32 + b] = (uint8_t)d;
			borrow = (d >> 8) & 1;
		}
		over_msg(&x, msg[k], sizeof(msg[k]), v, HC_ERR_BAD_SIG, "t = 0");
		memcpy(e[m], e[k], 32);
		memcpy(sg[m], v, HC_SIG_LEN);
		want[m++] = HC_ERR_BAD_SIG;
		/* r of another signature */
		memcpy(v, sg[(k + 1) % NSIG], 32);
		memcpy(v + 32, sg[k] + 32, 32);
		over_msg(&x, msg[k], sizeof(msg[k]), v, HC_ERR_BAD_SIG, "r of another");
		memcpy(e[m], e[k], 32);
		memcpy(sg[m], v, HC_SIG_LEN);
		want[m++] = HC_ERR_BAD_SIG;
		/* swapped */
		memcpy(v, sg[k] + 32, 32);
		memcpy(v + 32, sg[k], 32);
		over_msg(&x, msg[k], sizeof(msg[k]), v, HC_ERR_BAD_SIG, "r and s swapped");
		memcpy(e[m], e[k], 32);
		memcpy(sg[m], v, HC_SIG_LEN);
		want[m++] = HC_ERR_BAD_SIG;
	}
	/* in blocks: the table alone and the callers' function */
	for (size_t at = 0; x.t && at < m; at += HC_EC_BLOCK)
		in_block(&x, m - at > HC_EC_BLOCK ? HC_EC_BLOCK : m - at,
			 (const uint8_t(*)[32])e + at, (const uint8_t(*)[HC_SIG_LEN])sg + at,
			 want + at);
	key_close(&x);
	hc_pubkey_free(pk);
	hc_privkey_free(sk);
}

/* Cases made for the equation's corners (over e, by a small script with
 * its own curve arithmetic): x1 = r - e + n, that is x1 >= n (a key Q made
 * as t^-1 (P - s*G) for a point P whose x is n + 4); R = s*G + t*Q at
 * infinity (Q = G, s = 1, r = n - 2, so t = n - 1 and s + t = n). */
static void corners(void)
{
	uint8_t xy[64], e[32], sig[HC_SIG_LEN];
	struct key x;

	CHECK(hex32("6413e7a786ec214c00729738319ed8019e18daf58e3b33933ce5c1fc060d02fc", xy));
	CHECK(hex32("e0104038f85ad9ac00b484d0c8388933c6045f90fb03f574561315447c46a825", xy + 32));
	CHECK(hex32("141da367aaf183734b2ae6b09b8e2461f4128c95b79fcae5ba45c810894a4910", e));
	CHECK(hex32("141da367aaf183734b2ae6b09b8e2461f4128c95b79fcae5ba45c810894a4914", sig));
	CHECK(hex32("61b339ff248174e5598b88dbaa99e07987751d4ca8501e2c44dcda6a797d76df", sig + 32));
	key_open(&x, xy);
	over_e(&x, e, sig, HC_OK, "x1 >= n");
	e[31] ^= 4; /* e changed (to r) */
	over_e(&x, e, sig, HC_ERR_BAD_SIG, "x1 >= n, e = r");
	key_close(&x);

	CHECK(hex32("32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7", xy));
	CHECK(hex32("bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0", xy + 32));
	CHECK(hex32("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54121", sig));
	CHECK(hex32("0000000000000000000000000000000000000000000000000000000000000001", sig + 32));
	key_open(&x, xy);
	for (int i = 0; i < 4; i++) {
		memset(e, 0, sizeof(e));
		e[31] = (uint8_t)i;
		over_e(&x, e, sig, HC_ERR_BAD_SIG, "R at infinity");
	}
	key_close(&x);
}

void t_main(void)
{
	RUN(openssl_vectors);
	RUN(edges);
	RUN(corners);
	printf("%d signatures checked through every path\n", nchecked);
}
