/* service_open.c: the service's lifetime: the office key, the id
 * secret, the policy and the trust list checked and loaded, the registry
 * opened (svc_open), all released (svc_close); and the person key made
 * with the id secret. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "hc_policy.h"
#include "hc_sign.h"
#include "hc_trust.h"
#include "held.h"
#include "service.h"

hc_err svc_load_secret(const char *path, uint8_t out[32])
{
	uint8_t *buf = NULL;
	struct stat st;
	size_t n = 0;
	int fd;
	hc_err err;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		hc_set_detail("%s: cannot open", path);
		return HC_ERR_IO;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		hc_set_detail("%s: not a regular file", path);
		err = HC_ERR_KEY_FILE;
	} else if (st.st_mode & 077) {
		hc_set_detail("%s: readable by group or others (mode must be 0600)", path);
		err = HC_ERR_KEY_PERM;
	} else if ((err = hc_read_fd(fd, path, 64, &buf, &n)) == HC_OK && n != 32) {
		hc_set_detail("%s: %zu bytes, not 32", path, n);
		err = HC_ERR_KEY_FILE;
	}
	if (err == HC_OK)
		memcpy(out, buf, 32);
	if (buf)
		OPENSSL_cleanse(buf, n);
	free(buf);
	(void)close(fd);
	return err;
}

static void msgf(char *msg, size_t msgsz, const char *what, hc_err err)
{
	const char *d = hc_detail();

	(void)snprintf(msg, msgsz, "%s: %s%s%s", what, hc_strerror(err), d[0] ? ": " : "", d);
}

/* Each svc's idmac a number of its own, which a thread's copy of it
 * carries (a later svc may have the same address). */
static atomic_ullong idmac_gens;

/* s->idmac: HMAC-SHA256 keyed with the id secret. */
static hc_err idmac_new(struct svc *s)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end()};
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	hc_err err = HC_ERR_CRYPTO;

	s->idmac_gen = atomic_fetch_add(&idmac_gens, 1) + 1;
	if (hmac && (s->idmac = EVP_MAC_CTX_new(hmac)) != NULL &&
	    EVP_MAC_init(s->idmac, s->id_secret, sizeof(s->id_secret), params))
		err = HC_OK;
	EVP_MAC_free(hmac);
	if (err != HC_OK)
		hc_set_detail("cannot key HMAC-SHA256");
	return err;
}

/* A thread's copy of an svc's idmac (pthread-specific: freed, and its
 * key with it, when the thread ends). */
struct idmac_mine {
	uint64_t gen;
	EVP_MAC_CTX *m;
};

static void idmac_mine_drop(void *p)
{
	struct idmac_mine *t = p;

	EVP_MAC_CTX_free(t->m);
	free(t);
}

static struct hc_thread_blocks idmacs = HC_THREAD_BLOCKS(struct idmac_mine, idmac_mine_drop);

/* This thread's copy of s->idmac, made now if it has none or one of
 * another svc's; NULL: none can be made. */
static struct idmac_mine *idmac_mine(const struct svc *s)
{
	struct idmac_mine *t = hc_thread_block(&idmacs);

	if (!t || t->gen == s->idmac_gen)
		return t;
	EVP_MAC_CTX_free(t->m);
	t->gen = 0;
	if (!(t->m = EVP_MAC_CTX_dup(s->idmac)))
		return NULL;
	t->gen = s->idmac_gen;
	return t;
}

/* The calling thread's copy of s->idmac, if it has one, freed (the other
 * threads' go when they end, or at their next use of another svc). */
static void idmac_mine_free(const struct svc *s)
{
	struct idmac_mine *t = hc_thread_block_peek(&idmacs);

	if (t && t->gen == s->idmac_gen)
		hc_thread_block_drop(&idmacs);
}

/* The registry's writer: person changed (NULL: a revocation). */
static void forget_held(void *arg, const char *person)
{
	held_forget(arg, person);
}

hc_err svc_open(const struct cfg *c, struct svc **out, char *msg, size_t msgsz)
{
	struct svc *s;
	struct hc_trust *t = NULL;
	uint8_t *buf = NULL;
	size_t n;
	hc_err err;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return HC_ERR_NOMEM;
	s->cfg = c;
	s->max_validity = HC_DEFAULT_MAX_VALIDITY;
	if ((err = hc_privkey_load(c->key, &s->key)) != HC_OK ||
	    (err = hc_privkey_public(s->key, &s->pub)) != HC_OK) {
		msgf(msg, msgsz, c->key, err);
		goto out;
	}
	/* The key's table, for the check of each code signed (hc_code_sign
	 * verifies by it: about half an EVP verify); without one (out of
	 * memory) that check goes through EVP. */
	(void)hc_pubkey_table(s->pub);
	if ((err = svc_load_secret(c->id_secret, s->id_secret)) != HC_OK) {
		msgf(msg, msgsz, "id_secret", err);
		goto out;
	}
	if ((err = idmac_new(s)) != HC_OK) {
		msgf(msg, msgsz, "id_secret", err);
		goto out;
	}
	if (c->policy[0]) {
		if ((err = hc_read_file(c->policy, HC_MAX_JSON_FILE, &buf, &n)) == HC_OK)
			err = hc_policy_parse((const char *)buf, n, &s->pol);
	} else {
		err = hc_policy_default(&s->pol);
	}
	if (err != HC_OK) {
		msgf(msg, msgsz, c->policy[0] ? c->policy : "policy", err);
		goto out;
	}
	if (c->trust[0]) {
		if ((err = hc_trust_load(c->trust, &t)) != HC_OK) {
			msgf(msg, msgsz, c->trust, err);
			goto out;
		}
		if ((err = hc_trust_signing_key_ok(t, c->iss, hc_privkey_kid(s->key), hc_now())) !=
		    HC_OK) {
			msgf(msg, msgsz, "the office key in the trust list", err);
			goto out;
		}
		s->max_validity = hc_trust_max_validity(t, c->iss);
	}
	if ((c->validity ? c->validity : hc_policy_validity(s->pol)) > s->max_validity) {
		(void)snprintf(msg, msgsz, "validity is longer than the issuer's max_validity (%lld s)",
			       (long long)s->max_validity);
		err = HC_ERR_VALIDITY;
		goto out;
	}
	if ((err = reg_open_migrate(c->registry, &s->reg)) != HC_OK) {
		msgf(msg, msgsz, c->registry, err);
		goto out;
	}
	if ((err = held_open(&s->held)) != HC_OK) {
		msgf(msg, msgsz, "held codes", err);
		goto out;
	}
	reg_on_change(s->reg, forget_held, s->held);
	*out = s;
	s = NULL;
out:
	hc_trust_free(t);
	free(buf);
	svc_close(s);
	return err;
}

void svc_close(struct svc *s)
{
	if (!s)
		return;
	reg_close(s->reg);
	held_close(s->held);  /* after the writer, which tells it of changes */
	svc_events_work_free(s);
	hc_policy_free(s->pol);
	hc_pubkey_free(s->pub);
	hc_privkey_free(s->key);
	idmac_mine_free(s);
	EVP_MAC_CTX_free(s->idmac);
	OPENSSL_cleanse(s->id_secret, sizeof(s->id_secret));
	free(s);
}

/* base64url(HMAC-SHA256(id secret, id)), from this thread's copy of the
 * keyed HMAC, made on its first use and freed when the thread ends (a
 * one-shot HMAC() looks the algorithms up and keys them on every request:
 * a fifth of a held code's instructions; a copy made and freed for each
 * request was still a third of the key's). */
hc_err svc_person_key(const struct svc *s, const char *id, char out[REG_KEY_LEN + 1])
{
	struct idmac_mine *t = idmac_mine(s);
	EVP_MAC_CTX *m;
	hc_err err;

	if (t)
		return svc_person_key_with(t->m, id, out);
	/* no thread-specific copy (out of memory): one for this id */
	m = svc_idmac_copy(s);
	err = m ? svc_person_key_with(m, id, out) : HC_ERR_CRYPTO;
	EVP_MAC_CTX_free(m);
	return err;
}

EVP_MAC_CTX *svc_idmac_copy(const struct svc *s)
{
	return EVP_MAC_CTX_dup(s->idmac);
}

/* EVP_MAC_init without a key starts m again with the key it holds: a
 * copy serves many ids (events: the lines of a request), where copying
 * and freeing it for each cost a third of the key's instructions. */
hc_err svc_person_key_with(EVP_MAC_CTX *m, const char *id, char out[REG_KEY_LEN + 1])
{
	uint8_t mac[32];
	size_t len = 0;
	hc_err err;

	if (!EVP_MAC_init(m, NULL, 0, NULL) ||
	    !EVP_MAC_update(m, (const uint8_t *)id, strlen(id)) ||
	    !EVP_MAC_final(m, mac, &len, sizeof(mac)) || len != sizeof(mac)) {
		OPENSSL_cleanse(mac, sizeof(mac));
		return HC_ERR_CRYPTO;
	}
	err = hc_b64u_encode(mac, sizeof(mac), out, REG_KEY_LEN + 1);
	OPENSSL_cleanse(mac, sizeof(mac));
	return err;
}
