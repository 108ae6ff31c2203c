/* dl_zbar.h: zbar, opened on first use (common/dl.c). Call hc_dl_zbar()
 * before any sym_zbar_* pointer; each has the type of the function of
 * the same name in <zbar.h>. */
#ifndef HC_DL_ZBAR_H
#define HC_DL_ZBAR_H

#include <zbar.h>

#include "hc.h"

#define HC_DL_ZBAR(X)                                                          \
	X(zbar_image_scanner_create) X(zbar_image_scanner_destroy)             \
	X(zbar_image_scanner_set_config) X(zbar_image_create)                  \
	X(zbar_image_destroy) X(zbar_image_set_format) X(zbar_image_set_size)  \
	X(zbar_image_set_data) X(zbar_image_free_data) X(zbar_scan_image)      \
	X(zbar_image_first_symbol) X(zbar_symbol_next) X(zbar_symbol_get_type) \
	X(zbar_symbol_get_data) X(zbar_symbol_get_data_length)                 \
	X(zbar_symbol_get_loc_size) X(zbar_symbol_get_loc_x)                   \
	X(zbar_symbol_get_loc_y)

#ifndef HC_DL_EXTERN
#define HC_DL_EXTERN(f) extern __typeof__(f) *sym_##f;
#endif
HC_DL_ZBAR(HC_DL_EXTERN)

/* HC_OK once libzbar is loaded and every function above found (the
 * first call loads it; thread-safe); HC_ERR_UNAVAILABLE with a detail
 * when it cannot be. */
hc_err hc_dl_zbar(void) HC_WUR;

#endif
