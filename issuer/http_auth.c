/* http_auth.c: a request's bearer token checked against the registry's
 * tokens and its route's roles (http.c calls it for every route that
 * needs a token). */
#include <string.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "hc_sign.h"
#include "http_int.h"

/* The SHA-256 of a token, from this thread's last token when it is the
 * same text (compared in constant time): a connection sends its token
 * with every request, and the digest's EVP_Digest was 3% of a held
 * code's instructions. Only the text to digest is remembered, not what
 * the registry says of it. */
static hc_err token_hash(const char *auth, uint8_t hash[32])
{
	static _Thread_local char last[44];
	static _Thread_local uint8_t last_hash[32];
	static _Thread_local bool have;
	uint8_t raw[32];
	size_t rawlen = 0;
	hc_err err;

	if (have && CRYPTO_memcmp(auth, last, 43) == 0) {
		memcpy(hash, last_hash, 32);
		return HC_OK;
	}
	if (hc_b64u_decode(auth, 43, raw, sizeof(raw), &rawlen) != HC_OK || rawlen != sizeof(raw)) {
		OPENSSL_cleanse(raw, sizeof(raw));
		return HC_ERR_INVALID_ARG;
	}
	err = hc_sha256(raw, sizeof(raw), hash);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (err == HC_OK) {
		memcpy(last, auth, 43);
		memcpy(last_hash, hash, 32);
		have = true;
	}
	return err;
}

/* 0: the caller may go on; else the status sent. The token is looked up
 * by its SHA-256 on every request, so a revoked token fails at once. */
unsigned http_authorize(struct http *h, struct MHD_Connection *c, struct req *q)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);
	const struct route_def *rd = q->route;
	struct reg_token t;
	uint8_t hash[32];
	bool role_ok = false;
	hc_err err;

	if (!rd->roles[0])
		return 0;
	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0) {
		(void)send_error(h, c, q, 401, NULL, "an Authorization: Bearer token is needed");
		return 401;
	}
	auth += 7;
	if (strlen(auth) != 43 || (err = token_hash(auth, hash)) == HC_ERR_INVALID_ARG) {
		(void)send_error(h, c, q, 401, NULL, "the token is not 32 bytes of base64url");
		return 401;
	}
	if (err == HC_OK)
		err = reg_token_find(h->s->reg, hash, &t);
	if (err == HC_ERR_NOT_FOUND) {
		(void)send_error(h, c, q, 401, NULL, "unknown token");
		return 401;
	}
	if (err != HC_OK) {
		(void)send_error(h, c, q, 500, NULL, "registry: %s", hc_strerror(err));
		return 500;
	}
	if (t.revoked) {
		(void)send_error(h, c, q, 401, NULL, "the token was revoked");
		return 401;
	}
	for (size_t i = 0; i < sizeof(rd->roles) / sizeof(rd->roles[0]) && rd->roles[i]; i++)
		role_ok |= strcmp(t.role, rd->roles[i]) == 0;
	if (!role_ok) {
		(void)send_error(h, c, q, 403, NULL, "role %s may not use %s", t.role, rd->path);
		return 403;
	}
	hc_copy(q->who.name, sizeof(q->who.name), t.name);
	hc_copy(q->who.role, sizeof(q->who.role), t.role);
	return 0;
}

/* The body cap of q's route. */
