/* fuzz_regrow.c: the decoders of what a person's registry row holds
 * besides its columns (issuer/registry_sqlite_row.c): the inputs and
 * codes blobs, and the held code's copy. The registry file is read back
 * as it is on disk: damaged, or written by another program. The input is
 * a 2-byte length (little-endian) of the inputs blob, that blob, then the
 * codes blob; the whole input is also tried as a held copy.
 *
 * A blob either is refused or parses exactly: it encodes back to the very
 * same bytes. The held code of a row that parses is one of its codes;
 * pruning at a time taken from the input leaves a row that encodes and
 * parses back with the same codes. */
#include <stdlib.h>
#include <string.h>

#include "registry_sqlite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

#define MAX_INPUT (1u << 20) /* a row's blobs are bounded by the body caps */

static void held(const uint8_t *data, size_t n)
{
	struct rs_held h;
	uint8_t *b = NULL;
	size_t nb = 0;

	if (!rs_held_decode(data, n, &h))
		return;
	if (rs_held_encode(&h, &b, &nb) != HC_OK || nb != n || memcmp(b, data, n) != 0)
		abort();
	free(b);
}

/* w encodes to the bytes (in, ni) and (co, nc) when given, and what it
 * encodes to parses back to a row with the same codes. */
static void round_trip(const struct rs_row *w, const uint8_t *in, size_t ni, const uint8_t *co,
		       size_t nc)
{
	uint8_t *bi = NULL, *bc = NULL;
	size_t ei = 0, ec = 0;
	struct rs_row back;

	if (rs_row_encode(w, &bi, &ei, &bc, &ec) != HC_OK)
		abort();
	if (in && (ei != ni || (ni && memcmp(bi, in, ni) != 0) || ec != nc ||
		   (nc && memcmp(bc, co, nc) != 0)))
		abort();
	if (rs_row_decode(&back, bi, ei, bc, ec) != HC_OK || back.nin != w->nin ||
	    back.ncode != w->ncode)
		abort();
	for (size_t i = 0; i < w->ncode; i++) {
		const struct rs_live *a = &back.code[i], *b = &w->code[i];

		if (strcmp(a->jti, b->jti) != 0 || a->st != b->st || a->iat != b->iat ||
		    a->exp != b->exp)
			abort();
	}
	rs_row_free(&back);
	free(bi);
	free(bc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct rs_row w;
	size_t split;
	long h;
	int64_t now = 0;

	if (n > MAX_INPUT)
		return 0;
	held(data, n);
	if (n < 2)
		return 0;
	split = (size_t)data[0] | (size_t)data[1] << 8;
	if (split > n - 2)
		split = n - 2;
	if (rs_row_decode(&w, data + 2, split, data + 2 + split, n - 2 - split) == HC_OK) {
		round_trip(&w, data + 2, split, data + 2 + split, n - 2 - split);
		h = rs_row_held(&w);
		if (h < -1 || h >= (long)w.ncode || (h == -1) != (w.ncode == 0))
			abort();
		if (n >= 10)
			memcpy(&now, data + n - 8, sizeof(now));
		(void)rs_row_prune(&w, now);
		round_trip(&w, NULL, 0, NULL, 0);
	}
	rs_row_free(&w);
	return 0;
}
