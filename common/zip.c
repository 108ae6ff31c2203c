/* zip.c: raw DEFLATE (RFC 1951, no zlib header) both ways; inflate capped. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "hc.h"

hc_err hc_deflate(const uint8_t *in, size_t n, uint8_t **out, size_t *outlen)
{
	z_stream zs;
	uint8_t *buf = NULL;
	size_t cap;
	hc_err err = HC_ERR_NOMEM;

	*out = NULL;
	*outlen = 0;
	if (n > HC_MAX_JSON_FILE)
		return HC_ERR_TOO_LARGE;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return HC_ERR_NOMEM;
	cap = deflateBound(&zs, (uLong)n);
	if (!(buf = malloc(cap)))
		goto out;
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	zs.next_out = buf;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		err = HC_ERR_CRYPTO;
		goto out;
	}
	*outlen = zs.total_out;
	*out = buf;
	buf = NULL;
	err = HC_OK;
out:
	deflateEnd(&zs);
	free(buf);
	return err;
}

hc_err hc_inflate(const uint8_t *in, size_t n, size_t cap, uint8_t **out, size_t *outlen)
{
	z_stream zs;
	uint8_t *buf = NULL;
	hc_err err = HC_ERR_NOMEM;
	int r;

	*out = NULL;
	*outlen = 0;
	if (n > UINT32_MAX || cap > UINT32_MAX - 2)
		return HC_ERR_TOO_LARGE;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -15) != Z_OK)
		return HC_ERR_NOMEM;
	/* One byte of room past the cap tells "exactly cap" from "more". */
	if (!(buf = malloc(cap + 2)))
		goto out;
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	zs.next_out = buf;
	zs.avail_out = (uInt)cap + 1;
	r = inflate(&zs, Z_FINISH);
	if (r == Z_STREAM_END && zs.avail_in == 0 && zs.total_out <= cap) {
		*outlen = zs.total_out;
		buf[*outlen] = '\0';
		*out = buf;
		buf = NULL;
		err = HC_OK;
	} else if (zs.total_out > cap) {
		err = HC_ERR_INFLATE_CAP;
	} else if (r == Z_MEM_ERROR) {
		err = HC_ERR_NOMEM;
	} else {
		err = HC_ERR_INFLATE; /* corrupt, truncated, or trailing bytes */
	}
out:
	inflateEnd(&zs);
	free(buf);
	return err;
}
