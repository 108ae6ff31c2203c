/* dl_curl.h: libcurl, opened on first use (common/dl.c). Call hc_dl_curl()
 * before any sym_curl_* pointer; each has the type of the function of the
 * same name in <curl/curl.h>. */
#ifndef HC_DL_CURL_H
#define HC_DL_CURL_H

#include <curl/curl.h>

#include "hc.h"

#define HC_DL_CURL(X)                                                             \
	X(curl_global_init) X(curl_global_cleanup) X(curl_easy_init)              \
	X(curl_easy_cleanup) X(curl_easy_reset) X(curl_easy_setopt)               \
	X(curl_easy_perform) X(curl_easy_getinfo) X(curl_easy_strerror)           \
	X(curl_slist_append) X(curl_slist_free_all)

#ifndef HC_DL_EXTERN
#define HC_DL_EXTERN(f) extern __typeof__(f) *sym_##f;
#endif
HC_DL_CURL(HC_DL_EXTERN)

/* HC_OK once libcurl is loaded and every function above found (the first
 * call loads it; thread-safe); HC_ERR_UNAVAILABLE with a detail when it
 * cannot be. */
hc_err hc_dl_curl(void) HC_WUR;

#endif
