/* sign.c: signing-side OpenSSL calls: key generation, private key files,
 * ES256 and SM2 signing, randomness. hc-verify never links this file. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "crypto_int.h"
#include "hc_sign.h"

/* A PEM PKCS#8 P-256 key is about 240 bytes. */
#define KEY_FILE_MAX 16384

#define SIGN_SLOTS 4

struct hc_privkey {
	EVP_PKEY *pkey;
	enum hc_alg alg;
	char kid[HC_KID_LEN + 1]; /* computed once, at load or generation */
	/* Signing contexts set up once (EVP_PKEY_sign_init) and reused: setting
	 * one up per token costs a fifth of a signature. One thread at a time
	 * uses each; a thread that finds all of them busy makes its own
	 * (hc_es256_sign). A service's workers sign concurrently. */
	struct {
		pthread_mutex_t lock;
		EVP_PKEY_CTX *ctx;
	} slot[SIGN_SLOTS];
	struct hc__p11 *p11; /* a key in a PKCS#11 token: its module and session */
};

void hc_privkey_free(struct hc_privkey *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < SIGN_SLOTS; i++) {
		EVP_PKEY_CTX_free(k->slot[i].ctx);
		pthread_mutex_destroy(&k->slot[i].lock);
	}
	/* Clears the private scalar: EC_KEY_free uses BN_clear_free on it. */
	EVP_PKEY_free(k->pkey);
	hc__p11_free(k->p11);
	free(k);
}

hc_err hc_random(uint8_t *buf, size_t n)
{
	if (n > INT32_MAX || RAND_bytes(buf, (int)n) != 1) {
		ERR_clear_error();
		return HC_ERR_CRYPTO;
	}
	return HC_OK;
}

/* hc_random_pooled's bytes: drawn RANDOM_POOL at a time per thread. A
 * call of RAND_bytes costs OpenSSL's fork check (a getpid system call)
 * and its DRBG's update, 1.5 us for 16 bytes as for 512 or 768 on this
 * machine; a code's jti and a service request's id each took a call of
 * their own. 768 bytes: 48 jtis (16 bytes) or 64 request ids (12), no
 * draw of theirs straddling two fills. The bytes are the same DRBG's
 * output, each handed out once. A child of
 * fork(2) would inherit its parent's pool, and the two would hand out
 * the same bytes: the child's copy (its one thread, the one that forked)
 * is emptied in the child. Without that handler (pthread_atfork failed)
 * every call is a call of hc_random. */
#define RANDOM_POOL 768
static _Thread_local uint8_t rpool[RANDOM_POOL];
static _Thread_local size_t rpool_used = RANDOM_POOL;
static pthread_once_t rpool_once = PTHREAD_ONCE_INIT;
static bool rpool_safe; /* the handler is registered: the pool may be used */

static void rpool_forked(void)
{
	rpool_used = RANDOM_POOL;
}

static void rpool_init(void)
{
	rpool_safe = pthread_atfork(NULL, NULL, rpool_forked) == 0;
}

hc_err hc_random_pooled(uint8_t *buf, size_t n)
{
	hc_err err;

	if (n > RANDOM_POOL || pthread_once(&rpool_once, rpool_init) != 0 || !rpool_safe)
		return hc_random(buf, n);
	while (n > 0) {
		size_t k = RANDOM_POOL - rpool_used;

		if (k == 0) {
			if ((err = hc_random(rpool, RANDOM_POOL)) != HC_OK)
				return err;
			rpool_used = 0;
			k = RANDOM_POOL;
		}
		if (k > n)
			k = n;
		memcpy(buf, rpool + rpool_used, k);
		rpool_used += k;
		buf += k;
		n -= k;
	}
	return HC_OK;
}

/* The algorithm of a P-256 key (ES256) or an SM2 key (OpenSSL 3.0 gives
 * a PKCS#8 key on the SM2 curve the key type SM2); false for any other. */
static bool key_alg(EVP_PKEY *pkey, enum hc_alg *a)
{
	char name[32];

	if (EVP_PKEY_get_utf8_string_param(pkey, "group", name, sizeof(name), NULL) != 1)
		return false;
	if (EVP_PKEY_is_a(pkey, "EC") &&
	    (strcmp(name, "prime256v1") == 0 || strcmp(name, "P-256") == 0)) {
		*a = HC_ALG_ES256;
		return true;
	}
	if (EVP_PKEY_is_a(pkey, "SM2") && strcmp(name, "SM2") == 0) {
		*a = HC_ALG_SM2;
		return true;
	}
	return false;
}

static hc_err pubkey_of(EVP_PKEY *pkey, enum hc_alg a, struct hc_pubkey **out)
{
	uint8_t pt[65];
	size_t ptlen = 0;

	*out = NULL;
	if (EVP_PKEY_get_octet_string_param(pkey, "pub", pt, sizeof(pt), &ptlen) != 1 ||
	    ptlen != 65 || pt[0] != 0x04) {
		/* A token's key (libp11, a legacy EVP_PKEY) gives its point only
		 * as its encoded public key. */
		unsigned char *enc = NULL;
		size_t el = EVP_PKEY_get1_encoded_public_key(pkey, &enc);

		if (el == 65 && enc[0] == 0x04)
			memcpy(pt, enc, 65);
		OPENSSL_free(enc);
		ERR_clear_error();
		if (el != 65 || pt[0] != 0x04)
			return HC_ERR_CRYPTO;
	}
	return hc_pubkey_from_xy_alg(a, pt + 1, pt + 33, out);
}

/* Wraps pkey (owned on success) of algorithm a with its kid. */
static hc_err wrap(EVP_PKEY *pkey, enum hc_alg a, struct hc_privkey **out)
{
	struct hc_privkey *k;
	struct hc_pubkey *pub = NULL;
	hc_err err;

	if ((err = pubkey_of(pkey, a, &pub)) != HC_OK)
		return err;
	if (!(k = calloc(1, sizeof(*k)))) {
		hc_pubkey_free(pub);
		return HC_ERR_NOMEM;
	}
	memcpy(k->kid, hc_pubkey_kid(pub), sizeof(k->kid));
	hc_pubkey_free(pub);
	for (size_t i = 0; i < SIGN_SLOTS; i++)
		if (pthread_mutex_init(&k->slot[i].lock, NULL) != 0) {
			while (i-- > 0)
				pthread_mutex_destroy(&k->slot[i].lock);
			free(k);
			return HC_ERR_NOMEM;
		}
	k->pkey = pkey;
	k->alg = a;
	*out = k;
	return HC_OK;
}

const char *hc_privkey_kid(const struct hc_privkey *k)
{
	return k->kid;
}

enum hc_alg hc_privkey_alg(const struct hc_privkey *k)
{
	return k->alg;
}

hc_err hc_privkey_generate(const char *path, struct hc_privkey **out)
{
	return hc_privkey_generate_alg(path, HC_ALG_ES256, out);
}

hc_err hc_privkey_generate_alg(const char *path, enum hc_alg a, struct hc_privkey **out)
{
	EVP_PKEY *pkey = NULL;
	BIO *mem = NULL;
	char *pem;
	long plen;
	hc_err err = HC_ERR_CRYPTO;
	int fd = -1;

	*out = NULL;
	if (!(pkey = a == HC_ALG_SM2 ? EVP_PKEY_Q_keygen(NULL, NULL, "SM2")
				     : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")))
		goto out;
	if (!(mem = BIO_new(BIO_s_secmem())) ||
	    PEM_write_bio_PrivateKey(mem, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (plen = BIO_get_mem_data(mem, &pem)) <= 0)
		goto out;
	/* Created 0600 (less under a umask that removes owner bits, which the
	 * fchmod restores before anything is written): never more open. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		err = errno == EEXIST ? HC_ERR_EXISTS : HC_ERR_IO;
		hc_set_detail("%s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) == -1) {
		err = HC_ERR_IO;
		goto unlink;
	}
	for (const char *p = pem; plen > 0;) {
		ssize_t w = write(fd, p, (size_t)plen);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			err = HC_ERR_IO;
			goto unlink;
		}
		p += w;
		plen -= w;
	}
	if (fsync(fd) == -1) {
		err = HC_ERR_IO;
		goto unlink;
	}
	if ((err = wrap(pkey, a, out)) != HC_OK)
		goto unlink;
	pkey = NULL;
	goto out;
unlink:
	unlink(path);
out:
	if (fd != -1)
		close(fd);
	ERR_clear_error();
	BIO_free(mem); /* secure heap BIO: cleared on free */
	EVP_PKEY_free(pkey);
	return err;
}

/* Reads the key file of size bytes into one buffer, wiped when freed: no
 * realloc, which would leave copies of the key in freed memory. */
static hc_err read_key(int fd, const char *path, size_t size, uint8_t **out)
{
	uint8_t *buf;
	size_t len = 0;

	if (!(buf = malloc(size + 1)))
		return HC_ERR_NOMEM;
	while (len <= size) { /* one byte more than size: a file that grew */
		ssize_t r = read(fd, buf + len, size + 1 - len);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	if (len != size) {
		OPENSSL_clear_free(buf, size + 1);
		hc_set_detail("%s: read error or changed while read", path);
		return HC_ERR_IO;
	}
	*out = buf;
	return HC_OK;
}

/* A key in a PKCS#11 token: P-256 only (tokens have no SM2). */
static hc_err token_load(const char *uri, struct hc_privkey **out)
{
	struct hc__p11 *h = NULL;
	EVP_PKEY *pkey = NULL;
	enum hc_alg a;
	hc_err err;

	if ((err = hc__p11_load(uri, &pkey, &h)) != HC_OK)
		return err;
	if (!key_alg(pkey, &a) || a != HC_ALG_ES256) {
		hc_set_detail("the token's key is not a P-256 key");
		err = HC_ERR_KEY_FILE;
	} else if ((err = wrap(pkey, a, out)) == HC_OK) {
		(*out)->p11 = h;
		return HC_OK;
	}
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	hc__p11_free(h);
	return err;
}

hc_err hc_privkey_load(const char *path, struct hc_privkey **out)
{
	EVP_PKEY *pkey = NULL;
	enum hc_alg a = HC_ALG_ES256;
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *mem = NULL;
	hc_err err;
	int fd;

	*out = NULL;
	if (strncmp(path, "pkcs11:", 7) == 0)
		return token_load(path, out);
	/* O_NONBLOCK: a FIFO is refused below instead of waiting for a writer. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1) {
		if (errno == ELOOP)
			hc_set_detail("%s: a symbolic link; name the key file itself", path);
		else
			hc_set_detail("%s: %s", path, strerror(errno));
		return HC_ERR_IO;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		hc_set_detail("%s: not a regular file", path);
		return HC_ERR_KEY_FILE;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		hc_set_detail("mode %04o, want 0600 or 0400; run chmod 600 %s",
			      (unsigned)(st.st_mode & 07777), path);
		return HC_ERR_KEY_PERM;
	}
	if (st.st_size > KEY_FILE_MAX) {
		close(fd);
		hc_set_detail("%s: larger than %d bytes", path, KEY_FILE_MAX);
		return HC_ERR_KEY_FILE;
	}
	len = (size_t)st.st_size;
	err = read_key(fd, path, len, &buf);
	close(fd);
	if (err != HC_OK)
		return err;
	err = HC_ERR_KEY_FILE;
	if (!(mem = BIO_new_mem_buf(buf, (int)len)))
		goto out;
	if (!(pkey = PEM_read_bio_PrivateKey(mem, NULL, NULL, NULL)) || !key_alg(pkey, &a)) {
		hc_set_detail("%s: not a PEM P-256 or SM2 private key", path);
		goto out;
	}
	if ((err = wrap(pkey, a, out)) == HC_OK)
		pkey = NULL;
out:
	ERR_clear_error();
	BIO_free(mem); /* a read-only view of buf: it holds no copy */
	OPENSSL_clear_free(buf, len + 1);
	EVP_PKEY_free(pkey);
	return err;
}

hc_err hc_privkey_public(const struct hc_privkey *k, struct hc_pubkey **out)
{
	return pubkey_of(k->pkey, k->alg, out);
}

static EVP_PKEY_CTX *sign_ctx(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

	if (c && EVP_PKEY_sign_init(c) == 1)
		return c;
	EVP_PKEY_CTX_free(c);
	return NULL;
}

hc_err hc_es256_sign(struct hc_privkey *k, const uint8_t *msg, size_t n,
		     uint8_t sig[HC_SIG_LEN])
{
	static _Thread_local size_t hint; /* the slot this thread had last */
	EVP_PKEY_CTX *own = NULL, *c = NULL;
	uint8_t digest[32], der[80];
	size_t dlen = sizeof(der), i;
	pthread_mutex_t *locked = NULL;
	hc_err err;

	if (k->alg != HC_ALG_ES256)
		return HC_ERR_ALG;
	if ((err = hc_sha256(msg, n, digest)) != HC_OK)
		return err;
	err = HC_ERR_CRYPTO;
	for (i = 0; i < SIGN_SLOTS && !locked; i++) {
		size_t j = (hint + i) % SIGN_SLOTS;

		if (pthread_mutex_trylock(&k->slot[j].lock) != 0)
			continue;
		locked = &k->slot[j].lock;
		hint = j;
		if (!k->slot[j].ctx)
			k->slot[j].ctx = sign_ctx(k->pkey);
		c = k->slot[j].ctx;
	}
	/* no free slot, or its context could not be made: one of our own */
	if (!c)
		c = own = sign_ctx(k->pkey);
	if (!c)
		goto out;
	if (EVP_PKEY_sign(c, der, &dlen, digest, sizeof(digest)) == 1)
		err = hc_sig_der_to_raw(der, dlen, sig);
	else if (c != own) {
		/* a kept context that failed is not trusted again: rebuilt on
		 * the slot's next use */
		EVP_PKEY_CTX_free(c);
		k->slot[hint].ctx = NULL;
	}
out:
	if (locked)
		pthread_mutex_unlock(locked);
	hc__err_clear();
	EVP_PKEY_CTX_free(own);
	OPENSSL_cleanse(digest, sizeof(digest));
	return err;
}

/* SM2 with SM3 and the ID set on the context, every time (no context
 * kept: a signature's Z and digest state are its own). */
static hc_err sm2_sign(struct hc_privkey *k, const uint8_t *msg, size_t n,
		       uint8_t sig[HC_SIG_LEN])
{
	EVP_MD_CTX *md;
	EVP_PKEY_CTX *pc;
	uint8_t der[80];
	size_t dlen = sizeof(der);
	hc_err err;

	if (!(md = EVP_MD_CTX_new()))
		return HC_ERR_NOMEM;
	if ((err = hc__sm2_md_init(md, k->pkey, true)) == HC_OK)
		err = EVP_DigestSign(md, der, &dlen, msg, n) == 1 ? hc_sig_der_to_raw(der, dlen, sig)
								  : HC_ERR_CRYPTO;
	ERR_clear_error();
	pc = EVP_MD_CTX_get_pkey_ctx(md);
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(pc);
	return err;
}

hc_err hc_key_sign(struct hc_privkey *k, const uint8_t *msg, size_t n, uint8_t sig[HC_SIG_LEN])
{
	return k->alg == HC_ALG_SM2 ? sm2_sign(k, msg, n, sig) : hc_es256_sign(k, msg, n, sig);
}
