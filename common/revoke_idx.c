/* revoke_idx.c: the index of a revocation list (NAME.jws.idx, a cache of
 * the parsed list beside the signed file) and lazy lists, held by their
 * index alone and read one block a lookup (HC_TRUST_LAZY_REVOCATIONS). */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "revoke_int.h"

/* The index of a revocation list: the parsed list in host byte order,
 * valid only for the payload whose SHA-256 it records. A cache beside the
 * signed file (NAME.jws.idx), so that loading a 10^6-entry list need not
 * parse its JSON again. A full load checks the signature on every load; a
 * lazy one (HC_TRUST_LAZY_REVOCATIONS) trusts an index made from the same
 * signed file (same size, inode and modification time) without reading
 * that file, and reads of the entries only the block a lookup needs.
 *
 * Layout: the header, n entries sorted by jti, then the block table: for
 * each block of IDX_BLOCK entries its first jti and SHA-256. The header
 * carries the table's SHA-256 and its own, so that damage anywhere a
 * lookup reads is seen (the entries a lookup does not read cannot change
 * its answer). */
#define IDX_MAGIC "HCRIDX2\n"
#define IDX_BLOCK 4096u
struct idx_hdr {
	char magic[8];
	uint32_t order; /* 0x01020304 in the writer's byte order */
	uint32_t entry_size;
	uint8_t digest[32];
	int64_t seq, iat;
	char iss[256];
	uint64_t n;
	uint64_t src_size, src_ino; /* the signed file it was made from */
	int64_t src_mtime, src_mtime_ns;
	char kid[48]; /* the key that signed it */
	uint8_t table_sha[32];
	uint8_t hdr_sha[32]; /* of the bytes before this member */
};

struct idx_block {
	uint8_t first[16];
	uint8_t sha[32];
};

size_t hc__rev_idx_hdr_sha_at(void)
{
	return offsetof(struct idx_hdr, hdr_sha);
}

static size_t idx_nblocks(uint64_t n)
{
	return (size_t)((n + IDX_BLOCK - 1) / IDX_BLOCK);
}

static size_t idx_size(uint64_t n)
{
	return sizeof(struct idx_hdr) + (size_t)n * sizeof(struct rev_entry) +
	       idx_nblocks(n) * sizeof(struct idx_block);
}

/* The checks every index header must pass, whatever the load. */
static bool idx_hdr_ok(const struct idx_hdr *h, char *iss, size_t isssz)
{
	uint8_t sha[32];

	if (memcmp(h->magic, IDX_MAGIC, 8) != 0 || h->order != 0x01020304u ||
	    h->entry_size != sizeof(struct rev_entry) || h->n > HC_MAX_REVOKED || h->seq < 1 ||
	    h->iat < 0 || !memchr(h->iss, '\0', sizeof(h->iss)) || strlen(h->iss) >= isssz ||
	    strnlen(h->kid, sizeof(h->kid)) != HC_KID_LEN ||
	    hc_sha256((const uint8_t *)h, offsetof(struct idx_hdr, hdr_sha), sha) != HC_OK ||
	    memcmp(sha, h->hdr_sha, 32) != 0)
		return false;
	memcpy(iss, h->iss, strlen(h->iss) + 1);
	return true;
}

/* Fills l and iss from an index for the payload digest l->digest; false
 * when the index is absent, stale or inconsistent in any way. */
bool hc__rev_idx_load(const uint8_t *p, size_t len, struct rev_list *l, char *iss, size_t isssz)
{
	struct idx_hdr h;

	if (!p || len < sizeof(h))
		return false;
	memcpy(&h, p, sizeof(h));
	if (!idx_hdr_ok(&h, iss, isssz) || memcmp(h.digest, l->digest, 32) != 0 ||
	    len != idx_size(h.n))
		return false;
	if (h.n && !(l->e = malloc(h.n * sizeof(*l->e))))
		return false;
	if (h.n)
		memcpy(l->e, p + sizeof(h), h.n * sizeof(*l->e));
	for (size_t i = 0; i < h.n; i++)
		if (l->e[i].at < 0 || (i && memcmp(l->e[i - 1].jti, l->e[i].jti, 16) >= 0)) {
			free(l->e); /* l->digest stays: the caller parses next */
			l->e = NULL;
			return false; /* bsearch needs strictly sorted entries */
		}
	l->n = h.n;
	l->seq = h.seq;
	l->iat = h.iat;
	return true;
}

/* Whether an index (already checked) was made from the file src, signed by kid. */
bool hc__rev_idx_from(const uint8_t *p, const struct hc_rev_src *src, const char *kid)
{
	struct idx_hdr h;

	memcpy(&h, p, sizeof(h));
	return h.src_size == src->size && h.src_ino == src->ino && h.src_mtime == src->mtime &&
	       h.src_mtime_ns == src->mtime_ns && strcmp(h.kid, kid) == 0;
}

hc_err hc__rev_idx_make(const struct rev_list *l, const char *iss, const char *kid,
			const struct hc_rev_src *src, uint8_t **out, size_t *outlen)
{
	struct idx_hdr h;
	size_t len = idx_size(l->n), nb = idx_nblocks(l->n);
	struct idx_block *tb;
	uint8_t *p;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, IDX_MAGIC, 8);
	h.order = 0x01020304u;
	h.entry_size = sizeof(struct rev_entry);
	memcpy(h.digest, l->digest, 32);
	h.seq = l->seq;
	h.iat = l->iat;
	(void)snprintf(h.iss, sizeof(h.iss), "%s", iss);
	h.n = l->n;
	if (src) {
		h.src_size = src->size;
		h.src_ino = src->ino;
		h.src_mtime = src->mtime;
		h.src_mtime_ns = src->mtime_ns;
	}
	(void)snprintf(h.kid, sizeof(h.kid), "%s", kid);
	if (!(p = malloc(len)))
		return HC_ERR_NOMEM;
	if (l->n)
		memcpy(p + sizeof(h), l->e, l->n * sizeof(*l->e));
	tb = (struct idx_block *)(p + sizeof(h) + l->n * sizeof(*l->e));
	for (size_t b = 0; b < nb; b++) {
		size_t first = b * IDX_BLOCK, cnt = l->n - first < IDX_BLOCK ? l->n - first : IDX_BLOCK;
		struct idx_block blk;

		memcpy(blk.first, l->e[first].jti, 16);
		if (hc_sha256((const uint8_t *)&l->e[first], cnt * sizeof(*l->e), blk.sha) != HC_OK)
			goto fail;
		memcpy(&tb[b], &blk, sizeof(blk));
	}
	if (hc_sha256((const uint8_t *)tb, nb * sizeof(*tb), h.table_sha) != HC_OK ||
	    hc_sha256((const uint8_t *)&h, offsetof(struct idx_hdr, hdr_sha), h.hdr_sha) != HC_OK)
		goto fail;
	memcpy(p, &h, sizeof(h));
	*out = p;
	*outlen = len;
	return HC_OK;
fail:
	free(p);
	return HC_ERR_NOMEM;
}

/* ---- lazy lists: the index alone, one block a lookup ---- */

static bool pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = pread(fd, p, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r, n -= (size_t)r, off += (uint64_t)r;
	}
	return true;
}

hc_err hc__rev_add_lazy(struct hc_trust *t, const char *name, const char *ipath,
			const struct hc_rev_src *src, struct hc_revinfo *info, bool *used)
{
	struct rev_lazy *lz = NULL;
	struct rev_list l;
	struct idx_hdr h;
	struct stat st;
	char iss[256];
	uint8_t sha[32];
	size_t nb;
	hc_err err = HC_OK;

	*used = false;
	memset(&l, 0, sizeof(l));
	memset(info, 0, sizeof(*info));
	if (!(lz = calloc(1, sizeof(*lz))))
		return HC_ERR_NOMEM;
	l.lz = lz;
	if ((lz->fd = open(ipath, O_RDONLY | O_CLOEXEC)) == -1 || fstat(lz->fd, &st) == -1 ||
	    !S_ISREG(st.st_mode) || !pread_all(lz->fd, &h, sizeof(h), 0) ||
	    !idx_hdr_ok(&h, iss, sizeof(iss)) || (uint64_t)st.st_size != idx_size(h.n) ||
	    h.src_size != src->size || h.src_ino != src->ino || h.src_mtime != src->mtime ||
	    h.src_mtime_ns != src->mtime_ns)
		goto out; /* not usable: the caller reads the signed file */
	nb = idx_nblocks(h.n);
	if (nb && !(lz->table = malloc(nb * sizeof(*lz->table)))) {
		err = HC_ERR_NOMEM;
		goto out;
	}
	if (nb && (!pread_all(lz->fd, lz->table, nb * sizeof(*lz->table),
			      sizeof(h) + h.n * sizeof(struct rev_entry)) ||
		   hc_sha256((const uint8_t *)lz->table, nb * sizeof(*lz->table), sha) != HC_OK ||
		   memcmp(sha, h.table_sha, 32) != 0))
		goto out;
	for (size_t b = 1; b < nb; b++)
		if (memcmp(lz->table[b - 1].first, lz->table[b].first, 16) >= 0)
			goto out;
	(void)snprintf(lz->path, sizeof(lz->path), "%s", name);
	memcpy(lz->kid, h.kid, sizeof(lz->kid));
	lz->nblocks = nb;
	l.n = h.n;
	l.seq = h.seq;
	l.iat = h.iat;
	memcpy(l.digest, h.digest, 32);
	*used = true;
	err = hc__rev_accept(t, name, &l, iss, h.kid, info);
out:
	hc__rev_clear(&l);
	return err;
}

static int entry_find(const struct rev_entry *e, size_t n, const uint8_t jti[16])
{
	size_t lo = 0, hi = e ? n : 0; /* e is NULL for an empty list only */

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(e[mid].jti, jti, 16);

		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Replaces a damaged index with one made from the list (a cache: a
 * failure here changes nothing). l->e is lz->full. */
static void rewrite_idx(const struct rev_lazy *lz, const struct rev_list *l, const char *iss)
{
	struct rev_list v = *l;
	struct hc_rev_src src;
	struct stat st;
	char ipath[sizeof(lz->path) + 8];
	uint8_t *p = NULL;
	size_t len = 0;

	v.e = lz->full;
	if (stat(lz->path, &st) == -1)
		return;
	hc__rev_src(&st, &src);
	(void)snprintf(ipath, sizeof(ipath), "%s.idx", lz->path);
	if (hc__rev_idx_make(&v, iss, lz->kid, &src, &p, &len) == HC_OK &&
	    hc_write_file_atomic(ipath, p, len, 0644) != HC_OK)
		hc_set_detail(NULL);
	free(p);
}

void hc__rev_src(const struct stat *st, struct hc_rev_src *src)
{
	src->size = (uint64_t)st->st_size;
	src->ino = (uint64_t)st->st_ino;
	src->mtime = (int64_t)st->st_mtim.tv_sec;
	src->mtime_ns = (int64_t)st->st_mtim.tv_nsec;
}

/* Reads, verifies and parses the signed list a lazy index stands for, when
 * a block of the index turns out damaged: the list must be the one the
 * index described (same signing key, same payload digest). */
static hc_err lazy_full(const struct trust_issuer *is, struct rev_lazy *lz)
{
	const struct trust_key *k = NULL;
	struct rev_list l;
	struct hc_jws j;
	uint8_t *buf = NULL;
	size_t len = 0;
	char iss[256];
	hc_err err;

	memset(&l, 0, sizeof(l));
	memset(&j, 0, sizeof(j));
	if (hc_read_file(lz->path, HC_MAX_REVOCATION_FILE, &buf, &len) != HC_OK)
		return hc__rev_fail(HC_ERR_REVOCATION_LIST, lz->path,
				    "index damaged, list unreadable");
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	for (size_t i = 0; i < is->nkeys; i++)
		if (strcmp(hc_pubkey_kid(is->keys[i].k), lz->kid) == 0)
			k = &is->keys[i];
	if (!k || hc_jws_parse((const char *)buf, len, HC_MAX_REVOCATION_FILE, false,
			       HC_MAX_REVOCATION_FILE, &j) != HC_OK ||
	    strcmp(j.kid, lz->kid) != 0 || hc_jws_verify(&j, (const char *)buf, k->k) != HC_OK ||
	    hc_sha256(j.payload, j.payload_len, l.digest) != HC_OK ||
	    memcmp(l.digest, is->rev.digest, 32) != 0 ||
	    hc__rev_parse(j.payload, j.payload_len, iss, sizeof(iss), &l) != HC_OK) {
		err = hc__rev_fail(HC_ERR_REVOCATION_LIST, lz->path,
				   "index damaged, and the list is no longer the one it described");
		goto out;
	}
	lz->full = l.e;
	lz->nfull = l.n;
	l.e = NULL;
	rewrite_idx(lz, &l, iss);
	err = HC_OK;
out:
	hc__rev_clear(&l);
	hc_jws_clear(&j);
	free(buf);
	return err;
}

hc_err hc__rev_lookup(const struct trust_issuer *is, const uint8_t jti[16], struct rev_entry *out,
		      bool *found)
{
	struct rev_lazy *lz = is->rev.lz;
	const struct rev_entry *e;
	struct rev_entry *blk = NULL;
	size_t lo = 0, hi, b, first, cnt;
	uint8_t sha[32];
	int i;
	hc_err err;

	*found = false;
	if (!lz) {
		if (is->rev.n && (e = hc__revoked(is, jti))) {
			*out = *e;
			*found = true;
		}
		return HC_OK;
	}
	if (lz->full)
		goto full;
	/* The last block whose first jti is not above jti. */
	for (hi = lz->nblocks; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(lz->table[mid].first, jti, 16) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return HC_OK; /* below every entry */
	b = lo - 1;
	first = b * IDX_BLOCK;
	cnt = is->rev.n - first < IDX_BLOCK ? is->rev.n - first : IDX_BLOCK;
	if (!(blk = malloc(cnt * sizeof(*blk))))
		return HC_ERR_NOMEM;
	if (!pread_all(lz->fd, blk, cnt * sizeof(*blk),
		       sizeof(struct idx_hdr) + first * sizeof(*blk)) ||
	    hc_sha256((const uint8_t *)blk, cnt * sizeof(*blk), sha) != HC_OK ||
	    memcmp(sha, lz->table[b].sha, 32) != 0 || memcmp(blk[0].jti, lz->table[b].first, 16) != 0)
		goto damaged;
	for (size_t k = 0; k < cnt; k++)
		if (blk[k].at < 0 || (k && memcmp(blk[k - 1].jti, blk[k].jti, 16) >= 0))
			goto damaged;
	if ((i = entry_find(blk, cnt, jti)) >= 0) {
		*out = blk[i];
		*found = true;
	}
	free(blk);
	return HC_OK;
damaged:
	free(blk);
	if ((err = lazy_full(is, lz)) != HC_OK)
		return err;
full:
	if ((i = entry_find(lz->full, lz->nfull, jti)) >= 0) {
		*out = lz->full[i];
		*found = true;
	}
	return HC_OK;
}
