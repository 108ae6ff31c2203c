/* p11.c: private keys in PKCS#11 tokens, named by RFC 7512 URIs, through
 * libp11 (Debian's libp11). The private key never leaves the token: the
 * EVP_PKEY libp11 returns signs by calling the token. The PIN is read from
 * the file that pin-source names, never taken from the URI itself.
 * Signing side only: hc-verify never links this file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libp11.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "crypto_int.h"

#define URI_MAX 1024
#define PIN_MAX 256
/* p11-kit's proxy: every module configured for p11-kit. */
#define DEFAULT_MODULE "p11-kit-proxy.so"

struct hc__p11 {
	PKCS11_CTX *ctx;
	PKCS11_SLOT *slots;
	unsigned int nslots;
	bool loaded;
};

/* The attributes of a URI this code knows, percent-decoded. */
struct uri {
	char token[128], serial[64], manufacturer[64], model[64], object[128], type[16];
	unsigned char id[64];
	size_t id_len;
	bool has_token, has_serial, has_manufacturer, has_model, has_object, has_id, has_type;
	char pin_source[512], module[512];
	bool has_pin_source, has_module;
};

/* Percent-decodes v (n bytes) into out (cap bytes, NUL-terminated when
 * text); *len the decoded length. */
static bool pct_decode(const char *v, size_t n, unsigned char *out, size_t cap, bool text,
		       size_t *len)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)v[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n || (hi = hc_hexval(v[i + 1])) < 0 || (lo = hc_hexval(v[i + 2])) < 0)
				return false;
			c = hi * 16 + lo;
			i += 2;
		}
		if (o + (text ? 1 : 0) >= cap || (text && c == 0))
			return false;
		out[o++] = (unsigned char)c;
	}
	if (text)
		out[o] = '\0';
	*len = o;
	return true;
}

static bool attr(const char *name, size_t nl, const char *want)
{
	return nl == strlen(want) && memcmp(name, want, nl) == 0;
}

/* One name=value of the path (query false) or the query (query true). */
static hc_err uri_attr(struct uri *u, const char *a, size_t n, bool query)
{
	const char *eq = memchr(a, '=', n);
	const char *v;
	size_t nl, vl, len;
	char *dst = NULL;
	size_t cap = 0;
	bool *has = NULL;

	if (!eq) {
		hc_set_detail("PKCS#11 URI: attribute without a value");
		return HC_ERR_INVALID_ARG;
	}
	nl = (size_t)(eq - a);
	v = eq + 1;
	vl = n - nl - 1;
#define TEXT(NAME, FIELD)                                                                          \
	else if (attr(a, nl, NAME)) { dst = u->FIELD; cap = sizeof(u->FIELD); has = &u->has_##FIELD; }
	if (query && attr(a, nl, "pin-value")) {
		hc_set_detail("PKCS#11 URI: pin-value refused; give the PIN in a file "
			      "(?pin-source=file:PATH, mode 0600)");
		return HC_ERR_INVALID_ARG;
	}
	if (query) {
		if (attr(a, nl, "pin-source")) {
			dst = u->pin_source;
			cap = sizeof(u->pin_source);
			has = &u->has_pin_source;
		} else if (attr(a, nl, "module-path")) {
			dst = u->module;
			cap = sizeof(u->module);
			has = &u->has_module;
		}
	} else if (attr(a, nl, "id")) {
		if (u->has_id || !pct_decode(v, vl, u->id, sizeof(u->id), false, &u->id_len)) {
			hc_set_detail("PKCS#11 URI: id given twice or not percent-encoded bytes");
			return HC_ERR_INVALID_ARG;
		}
		u->has_id = true;
		return HC_OK;
	}
	TEXT("token", token)
	TEXT("serial", serial)
	TEXT("manufacturer", manufacturer)
	TEXT("model", model)
	TEXT("object", object)
	TEXT("type", type)
#undef TEXT
	if (!dst) {
		hc_set_detail("PKCS#11 URI: attribute '%.*s' not supported", (int)(nl < 32 ? nl : 32), a);
		return HC_ERR_INVALID_ARG;
	}
	if (*has || !pct_decode(v, vl, (unsigned char *)dst, cap, true, &len)) {
		hc_set_detail("PKCS#11 URI: '%.*s' given twice, too long or badly encoded",
			      (int)(nl < 32 ? nl : 32), a);
		return HC_ERR_INVALID_ARG;
	}
	*has = true;
	return HC_OK;
}

static hc_err uri_parse(const char *s, struct uri *u)
{
	size_t n = strlen(s);
	const char *p, *end, *q;
	hc_err err;

	memset(u, 0, sizeof(*u));
	if (n > URI_MAX || strncmp(s, "pkcs11:", 7) != 0) {
		hc_set_detail("PKCS#11 URI: not pkcs11:... or longer than %d bytes", URI_MAX);
		return HC_ERR_INVALID_ARG;
	}
	p = s + 7;
	q = strchr(p, '?');
	end = q ? q : s + n;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *e = semi ? semi : end;

		if (e > p && (err = uri_attr(u, p, (size_t)(e - p), false)) != HC_OK)
			return err;
		p = e + 1;
	}
	for (p = q ? q + 1 : end; q && p <= s + n;) {
		const char *amp = strchr(p, '&');
		const char *e = amp ? amp : s + n;

		if (e > p && (err = uri_attr(u, p, (size_t)(e - p), true)) != HC_OK)
			return err;
		p = e + 1;
	}
	if (u->has_type && strcmp(u->type, "private") != 0) {
		hc_set_detail("PKCS#11 URI: type must be private");
		return HC_ERR_INVALID_ARG;
	}
	if (!u->has_object && !u->has_id) {
		hc_set_detail("PKCS#11 URI: name the key with object= or id=");
		return HC_ERR_INVALID_ARG;
	}
	if (u->has_pin_source && strncmp(u->pin_source, "file:", 5) != 0) {
		hc_set_detail("PKCS#11 URI: pin-source must be file:PATH");
		return HC_ERR_INVALID_ARG;
	}
	return HC_OK;
}

/* The PIN from pin-source=file:PATH (or file:///PATH): a regular file of
 * mode 0600 or 0400, one line. */
static hc_err read_pin(const char *src, char pin[PIN_MAX + 1])
{
	const char *path = src + 5;
	struct stat st;
	ssize_t r;
	size_t len = 0;
	int fd;

	if (strncmp(path, "//", 2) == 0)
		path += 2; /* file:///abs -> /abs */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1) {
		hc_set_detail("PIN file %s: %s", path, strerror(errno));
		return HC_ERR_IO;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO))) {
		close(fd);
		hc_set_detail("PIN file %s: not a regular file of mode 0600 or 0400", path);
		return HC_ERR_KEY_PERM;
	}
	while (len <= PIN_MAX) {
		r = read(fd, pin + len, PIN_MAX + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (len > PIN_MAX) {
		OPENSSL_cleanse(pin, PIN_MAX + 1);
		hc_set_detail("PIN file %s: longer than %d bytes", path, PIN_MAX);
		return HC_ERR_KEY_FILE;
	}
	pin[len] = '\0';
	if (len > 0 && pin[len - 1] == '\n')
		pin[--len] = '\0';
	if (len > 0 && pin[len - 1] == '\r')
		pin[--len] = '\0';
	if (len == 0 || strlen(pin) != len || strchr(pin, '\n')) {
		OPENSSL_cleanse(pin, PIN_MAX + 1);
		hc_set_detail("PIN file %s: not one line", path);
		return HC_ERR_KEY_FILE;
	}
	return HC_OK;
}

void hc__p11_free(struct hc__p11 *h)
{
	if (!h)
		return;
	if (h->slots)
		PKCS11_release_all_slots(h->ctx, h->slots, h->nslots);
	if (h->loaded)
		PKCS11_CTX_unload(h->ctx);
	if (h->ctx)
		PKCS11_CTX_free(h->ctx);
	free(h);
}

static const char *last_reason(void)
{
	const char *r = ERR_reason_error_string(ERR_peek_last_error());

	return r ? r : "no reason given";
}

static bool tok_match(const struct uri *u, const PKCS11_TOKEN *t)
{
	return t && t->initialized && (!u->has_token || strcmp(t->label, u->token) == 0) &&
	       (!u->has_serial || strcmp(t->serialnr, u->serial) == 0) &&
	       (!u->has_manufacturer || strcmp(t->manufacturer, u->manufacturer) == 0) &&
	       (!u->has_model || strcmp(t->model, u->model) == 0);
}

static bool key_match(const struct uri *u, const PKCS11_KEY *k)
{
	return (!u->has_object || (k->label && strcmp(k->label, u->object) == 0)) &&
	       (!u->has_id || (k->id_len == u->id_len && memcmp(k->id, u->id, u->id_len) == 0));
}

hc_err hc__p11_load(const char *s, EVP_PKEY **out, struct hc__p11 **hp)
{
	struct uri u;
	struct hc__p11 *h = NULL;
	PKCS11_SLOT *slot = NULL;
	PKCS11_KEY *keys = NULL, *key = NULL;
	unsigned int nkeys = 0, nmatch = 0;
	const char *module, *label;
	char pin[PIN_MAX + 1];
	hc_err err;

	*out = NULL;
	*hp = NULL;
	pin[0] = '\0';
	if ((err = uri_parse(s, &u)) != HC_OK)
		return err;
	module = u.has_module ? u.module : getenv("HC_PKCS11_MODULE");
	if (!module || !*module)
		module = DEFAULT_MODULE;
	if (u.has_pin_source && (err = read_pin(u.pin_source, pin)) != HC_OK)
		return err;
	err = HC_ERR_NOMEM;
	if (!(h = calloc(1, sizeof(*h))) || !(h->ctx = PKCS11_CTX_new()))
		goto out;
	err = HC_ERR_KEY_FILE;
	if (PKCS11_CTX_load(h->ctx, module) != 0) {
		hc_set_detail("cannot load the PKCS#11 module %s", module);
		goto out;
	}
	h->loaded = true;
	if (PKCS11_enumerate_slots(h->ctx, &h->slots, &h->nslots) != 0) {
		h->slots = NULL;
		hc_set_detail("PKCS#11 module %s: cannot list its slots: %s", module, last_reason());
		goto out;
	}
	for (unsigned int i = 0; i < h->nslots; i++)
		if (tok_match(&u, h->slots[i].token) && nmatch++ == 0)
			slot = &h->slots[i];
	if (nmatch != 1) {
		if (nmatch)
			hc_set_detail("%u tokens match; name one with token= or serial=", nmatch);
		else
			hc_set_detail("no token%s%s%s in the PKCS#11 module %s",
				      u.has_token ? " labelled '" : "", u.has_token ? u.token : "",
				      u.has_token ? "'" : "", module);
		goto out;
	}
	label = slot->token->label;
	if (slot->token->loginRequired) {
		if (!u.has_pin_source) {
			hc_set_detail("token '%s' needs its PIN: add ?pin-source=file:PATH to the URI",
				      label);
			goto out;
		}
		if (PKCS11_login(slot, 0, pin) != 0) {
			hc_set_detail("token '%s' refused the PIN: %s", label, last_reason());
			goto out;
		}
	}
	if (PKCS11_enumerate_keys(slot->token, &keys, &nkeys) != 0) {
		hc_set_detail("token '%s': cannot list its private keys: %s", label, last_reason());
		goto out;
	}
	nmatch = 0;
	for (unsigned int i = 0; i < nkeys; i++)
		if (key_match(&u, &keys[i]) && nmatch++ == 0)
			key = &keys[i];
	if (nmatch != 1) {
		if (nmatch)
			hc_set_detail("token '%s': %u private keys match; name one with object= and id=",
				      label, nmatch);
		else
			hc_set_detail("token '%s': no private key%s%s%s", label,
				      u.has_object ? " labelled '" : " with that id",
				      u.has_object ? u.object : "", u.has_object ? "'" : "");
		goto out;
	}
	if (!(*out = PKCS11_get_private_key(key))) {
		hc_set_detail("token '%s': cannot use the private key: %s", label, last_reason());
		goto out;
	}
	*hp = h;
	h = NULL;
	err = HC_OK;
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	ERR_clear_error();
	hc__p11_free(h);
	return err;
}
