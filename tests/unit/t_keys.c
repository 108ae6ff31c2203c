/* t_keys.c: private key files. hc_privkey_generate creates mode 0600 under
 * any umask and never overwrites; hc_privkey_load refuses a file open to
 * group or others (naming the mode and the fix), a symbolic link, a FIFO
 * (without blocking), a directory, an oversized file and any key that is
 * not a PEM P-256 private key. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "hc_sign.h"
#include "t.h"

static char dir[256];

/* dir/name; two buffers in turn, for calls that take two paths. */
static const char *at(const char *name)
{
	static char buf[2][512];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd == -1 || write(fd, data, n) != (ssize_t)n || fchmod(fd, mode) == -1) {
		perror(path);
		exit(2);
	}
	close(fd);
}

static void t_generate_mode(void)
{
	static const mode_t masks[] = {0, 022, 077, 0277, 0777};
	mode_t old = umask(0);

	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		struct hc_privkey *k = NULL, *k2 = NULL;
		struct stat st;
		char name[32];

		snprintf(name, sizeof(name), "umask-%03o.key", (unsigned)masks[i]);
		umask(masks[i]);
		CHECK_ERR(hc_privkey_generate(at(name), &k), HC_OK);
		umask(0);
		CHECK(stat(at(name), &st) == 0 && (st.st_mode & 07777) == 0600);
		CHECK_ERR(hc_privkey_load(at(name), &k2), HC_OK);
		CHECK(k && k2 && strcmp(hc_privkey_kid(k), hc_privkey_kid(k2)) == 0);
		hc_privkey_free(k);
		hc_privkey_free(k2);
	}
	umask(old);
}

static void t_generate_no_overwrite(void)
{
	struct hc_privkey *k = NULL;
	struct stat st;

	/* An existing file is kept as it was. */
	write_file(at("exists.key"), "keep", 4, 0600);
	CHECK_ERR(hc_privkey_generate(at("exists.key"), &k), HC_ERR_EXISTS);
	CHECK(k == NULL && stat(at("exists.key"), &st) == 0 && st.st_size == 4);
	/* A dangling symbolic link is not followed to create its target. */
	CHECK(symlink(at("target.key"), at("dangling.key")) == 0);
	CHECK_ERR(hc_privkey_generate(at("dangling.key"), &k), HC_ERR_EXISTS);
	CHECK(k == NULL && lstat(at("target.key"), &st) == -1 && errno == ENOENT);
}

static void t_load_modes(void)
{
	static const struct {
		mode_t mode;
		hc_err want;
	} v[] = {
		{0600, HC_OK},          {0400, HC_OK},          {0640, HC_ERR_KEY_PERM},
		{0604, HC_ERR_KEY_PERM}, {0644, HC_ERR_KEY_PERM}, {0620, HC_ERR_KEY_PERM},
		{0602, HC_ERR_KEY_PERM}, {0610, HC_ERR_KEY_PERM}, {0601, HC_ERR_KEY_PERM},
		{0660, HC_ERR_KEY_PERM}, {0666, HC_ERR_KEY_PERM},
	};
	struct hc_privkey *k = NULL;

	CHECK_ERR(hc_privkey_generate(at("modes.key"), &k), HC_OK);
	hc_privkey_free(k);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char want[64];

		k = NULL;
		CHECK(chmod(at("modes.key"), v[i].mode) == 0);
		hc_set_detail(NULL);
		CHECK_ERR(hc_privkey_load(at("modes.key"), &k), v[i].want);
		CHECK((k != NULL) == (v[i].want == HC_OK));
		hc_privkey_free(k);
		if (v[i].want == HC_OK)
			continue;
		/* The message names the mode and the fix. */
		snprintf(want, sizeof(want), "mode %04o", (unsigned)v[i].mode);
		if (!strstr(hc_detail(), want) || !strstr(hc_detail(), "chmod 600 ") ||
		    !strstr(hc_detail(), at("modes.key")))
			t_fail(__FILE__, __LINE__, "mode %04o: detail \"%s\"", (unsigned)v[i].mode,
			       hc_detail());
	}
}

static void t_load_not_a_key_file(void)
{
	struct hc_privkey *k = NULL;
	EVP_PKEY *p384 = NULL;
	BIO *mem = NULL;
	char *pem, *big;
	long n;

	/* A symbolic link, even to a good key. */
	CHECK_ERR(hc_privkey_generate(at("real.key"), &k), HC_OK);
	hc_privkey_free(k);
	k = NULL;
	CHECK(symlink(at("real.key"), at("link.key")) == 0);
	CHECK_ERR(hc_privkey_load(at("link.key"), &k), HC_ERR_IO);
	CHECK(strstr(hc_detail(), "symbolic link") != NULL);
	/* A FIFO: refused at once, not waiting for a writer (alarm: a hang
	 * kills the run instead of stalling it). */
	CHECK(mkfifo(at("fifo.key"), 0600) == 0);
	alarm(20);
	CHECK_ERR(hc_privkey_load(at("fifo.key"), &k), HC_ERR_KEY_FILE);
	alarm(0);
	CHECK(strstr(hc_detail(), "not a regular file") != NULL);
	CHECK_ERR(hc_privkey_load(dir, &k), HC_ERR_KEY_FILE);
	CHECK_ERR(hc_privkey_load(at("missing.key"), &k), HC_ERR_IO);
	/* Too large to be a key, not PEM, and a PEM key on another curve. */
	if (!(big = malloc(16385)))
		abort();
	memset(big, 'A', 16385);
	write_file(at("big.key"), big, 16385, 0600);
	free(big);
	CHECK_ERR(hc_privkey_load(at("big.key"), &k), HC_ERR_KEY_FILE);
	CHECK(strstr(hc_detail(), "larger than") != NULL);
	write_file(at("text.key"), "not a key\n", 10, 0600);
	CHECK_ERR(hc_privkey_load(at("text.key"), &k), HC_ERR_KEY_FILE);
	CHECK((p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384")) != NULL);
	CHECK((mem = BIO_new(BIO_s_mem())) != NULL);
	if (p384 && mem && PEM_write_bio_PrivateKey(mem, p384, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (n = BIO_get_mem_data(mem, &pem)) > 0) {
		write_file(at("p384.key"), pem, (size_t)n, 0600);
		CHECK_ERR(hc_privkey_load(at("p384.key"), &k), HC_ERR_KEY_FILE);
	} else {
		t_fail(__FILE__, __LINE__, "cannot make a P-384 key");
	}
	BIO_free(mem);
	EVP_PKEY_free(p384);
	CHECK(k == NULL);
}

void t_main(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/hc-keys-XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(2);
	}
	RUN(t_generate_mode);
	RUN(t_generate_no_overwrite);
	RUN(t_load_modes);
	RUN(t_load_not_a_key_file);
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "t_keys: cannot remove %s\n", dir);
	}
}
