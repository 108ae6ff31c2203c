/* fuzz_image.c: arbitrary bytes to the PNG/JPEG loader and zbar. */
#include "hc_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct hc_scan s;

	if (hc_scan_mem(data, n, &s) == HC_OK)
		hc_scan_clear(&s);
	return 0;
}
