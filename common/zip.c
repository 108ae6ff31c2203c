/* zip.c: raw DEFLATE (RFC 1951, no zlib header) both ways; inflate capped. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST /* next_in is const: no cast to drop const from the input */
#include <zlib.h>

#include "hc.h"

/* Each thread keeps a deflate stream and an inflate stream from one call
 * to the next, reset before each use (deflateReset and inflateReset: a
 * stream reset is a fresh stream, its output byte for byte the same; the
 * memory is not set up again). Setting a stream up and tearing it down
 * allocated its state (deflate: state, window, hash chains and pending
 * buffer; inflate: a state of 7 KB), large requests before which glibc
 * consolidates its free chunks: callgrind on hc-issued, new codes (a
 * signature's deflate and its self-check's inflate), 3.0k instructions
 * a code less. Freed when their thread ends (a pthread key); a thread
 * that cannot keep them makes its own per call. What a stream keeps
 * between calls is the last input's and output's bytes: a code's claims
 * (the masked name and identity number the code shows to anyone who
 * scans it) or a token's; no full identity number or secret goes through
 * DEFLATE. Only the small windows are kept (claims are a few hundred
 * bytes): a larger input has a stream of its own. */
#define KEEP_WBITS 12

struct zthread {
	z_stream d, i;
	int dbits; /* d's window bits, 0 when d is not set up */
	bool iok;  /* i is set up */
	uint8_t *scratch; /* hc_inflate's output before its copy (below) */
	size_t scratch_cap;
};

static void zt_free(void *p)
{
	struct zthread *t = p;

	if (t->dbits)
		deflateEnd(&t->d);
	if (t->iok)
		inflateEnd(&t->i);
	free(t->scratch);
	free(t);
}

static struct hc_thread_blocks zt = HC_THREAD_BLOCKS(struct zthread, zt_free);

/* The thread's streams, or NULL (the caller then makes its own). */
static struct zthread *zthread(void)
{
	return hc_thread_block(&zt);
}

/* zs ready for a raw deflate with window bits wbits: the thread's stream
 * reset (*kept) or a new one that the caller ends. */
static bool deflate_ready(int wbits, z_stream **zs, z_stream *own, bool *kept)
{
	struct zthread *t = wbits <= KEEP_WBITS ? zthread() : NULL;

	*kept = false;
	if (t && t->dbits == wbits && deflateReset(&t->d) == Z_OK) {
		*zs = &t->d;
		*kept = true;
		return true;
	}
	if (t && t->dbits) {
		deflateEnd(&t->d);
		t->dbits = 0;
	}
	*zs = t ? &t->d : own;
	memset(*zs, 0, sizeof(**zs));
	if (deflateInit2(*zs, Z_BEST_COMPRESSION, Z_DEFLATED, -wbits, 2, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return false;
	if (t) {
		t->dbits = wbits;
		*kept = true;
	}
	return true;
}

hc_err hc_deflate(const uint8_t *in, size_t n, uint8_t **out, size_t *outlen)
{
	z_stream own, *zs;
	uint8_t *buf = NULL;
	size_t cap;
	int wbits = 9;
	bool kept;
	hc_err err = HC_ERR_NOMEM;

	*out = NULL;
	*outlen = 0;
	if (n > HC_MAX_JSON_FILE)
		return HC_ERR_TOO_LARGE;
	/* A window just large enough for the input compresses it as well as
	 * the largest, and a small hash table is cheap to set up: claims are
	 * a few hundred bytes, and issuing signs them one by one. Any raw
	 * inflater (window 15) reads the result. */
	while (wbits < 15 && ((size_t)1 << wbits) < n)
		wbits++;
	if (!deflate_ready(wbits, &zs, &own, &kept))
		return HC_ERR_NOMEM;
	cap = deflateBound(zs, (uLong)n);
	if (!(buf = malloc(cap)))
		goto out;
	zs->next_in = in;
	zs->avail_in = (uInt)n;
	zs->next_out = buf;
	zs->avail_out = (uInt)cap;
	if (deflate(zs, Z_FINISH) != Z_STREAM_END) {
		err = HC_ERR_CRYPTO;
		goto out;
	}
	*outlen = zs->total_out;
	*out = buf;
	buf = NULL;
	err = HC_OK;
out:
	if (!kept)
		deflateEnd(zs);
	free(buf);
	return err;
}

/* The whole of in through the stream zs (made ready by the caller) into
 * at most cap bytes plus a NUL: into buf (cap + 2 bytes) when given, then
 * copied out; else into an allocation of cap + 2. */
static hc_err inflate_all(z_stream *zs, const uint8_t *in, size_t n, size_t cap, uint8_t *buf,
			  uint8_t **out, size_t *outlen)
{
	uint8_t *own = NULL;
	hc_err err;
	int r;

	/* One byte of room past the cap tells "exactly cap" from "more". */
	if (!buf && !(buf = own = malloc(cap + 2)))
		return HC_ERR_NOMEM;
	zs->next_in = in;
	zs->avail_in = (uInt)n;
	zs->next_out = buf;
	zs->avail_out = (uInt)cap + 1;
	r = inflate(zs, Z_FINISH);
	if (r == Z_STREAM_END && zs->avail_in == 0 && zs->total_out <= cap) {
		*outlen = zs->total_out;
		buf[*outlen] = '\0';
		if (own) {
			*out = own;
			own = NULL;
			err = HC_OK;
		} else if ((*out = malloc(*outlen + 1))) {
			memcpy(*out, buf, *outlen + 1);
			err = HC_OK;
		} else {
			*outlen = 0;
			err = HC_ERR_NOMEM;
		}
	} else if (zs->total_out > cap) {
		err = HC_ERR_INFLATE_CAP;
	} else if (r == Z_MEM_ERROR) {
		err = HC_ERR_NOMEM;
	} else {
		err = HC_ERR_INFLATE; /* corrupt, truncated, or trailing bytes */
	}
	free(own);
	return err;
}

/* A raw inflate stream (window 15) ready: t's, reset, or own set up
 * (the caller ends it); NULL when out of memory. */
static z_stream *inflate_ready(struct zthread *t, z_stream *own)
{
	z_stream *zs = t ? &t->i : own;

	if (t && t->iok)
		return inflateReset(zs) == Z_OK ? zs : NULL;
	memset(zs, 0, sizeof(*zs));
	if (inflateInit2(zs, -15) != Z_OK)
		return NULL;
	if (t)
		t->iok = true;
	return zs;
}

/* hc_inflate inflates into the thread's scratch buffer and copies the
 * output into an allocation of its own size (a few hundred bytes, which
 * malloc serves from its per-thread cache), instead of allocating the
 * whole cap per token (16 KB for a code: a large request, before which
 * glibc consolidates its small free chunks). The buffer grows to the
 * largest cap asked for, up to SCRATCH_MAX (an SHC payload's 64 KiB; a
 * larger cap has its own allocation), and is kept with the thread's
 * streams. NULL: none (the caller allocates). */
#define SCRATCH_MAX ((size_t)65536 + 2)

static uint8_t *scratch(struct zthread *t, size_t n)
{
	uint8_t *p;

	if (!t || n > SCRATCH_MAX)
		return NULL;
	if (t->scratch_cap < n) {
		if (!(p = realloc(t->scratch, n)))
			return NULL;
		t->scratch = p;
		t->scratch_cap = n;
	}
	return t->scratch;
}

hc_err hc_inflate(const uint8_t *in, size_t n, size_t cap, uint8_t **out, size_t *outlen)
{
	struct zthread *t;
	z_stream own, *zs;
	hc_err err;

	*out = NULL;
	*outlen = 0;
	if (n > UINT32_MAX || cap > UINT32_MAX - 2)
		return HC_ERR_TOO_LARGE;
	t = zthread();
	if (!(zs = inflate_ready(t, &own)))
		return HC_ERR_NOMEM;
	err = inflate_all(zs, in, n, cap, scratch(t, cap + 2), out, outlen);
	if (zs == &own)
		inflateEnd(zs);
	return err;
}

hc_err hc_zinflate(const uint8_t *in, size_t n, size_t cap, uint8_t **out, size_t *outlen)
{
	z_stream zs;
	hc_err err;

	*out = NULL;
	*outlen = 0;
	if (n > UINT32_MAX || cap > UINT32_MAX - 2)
		return HC_ERR_TOO_LARGE;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return HC_ERR_NOMEM;
	err = inflate_all(&zs, in, n, cap, NULL, out, outlen);
	inflateEnd(&zs);
	return err;
}
