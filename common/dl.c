/* dl.c: libraries that only some commands need are opened on first use
 * (dlopen), not linked: zbar and what it pulls in (D-Bus, V4L2, X11) are
 * for reading images only, libcurl and its two dozen libraries for
 * fetching. Linked, hc-verify loaded 60 shared objects at
 * every start, and loading them was most of a checkpoint's time to a
 * verdict (systemd opens its optional libraries the same way). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "dl_curl.h"
#include "dl_zbar.h"

#define HC_DL_DEFINE(f) __typeof__(f) *sym_##f;
HC_DL_ZBAR(HC_DL_DEFINE)
HC_DL_CURL(HC_DL_DEFINE)

struct dl_sym {
	const char *name;
	void **slot;
};

/* Opens soname (for good: its handle is never closed) and finds every
 * symbol; on any failure no slot is set. */
static hc_err dl_open(const char *soname, int flags, const struct dl_sym *syms, size_t n,
		      char *why, size_t whysz)
{
	void *h, *p[32];
	const char *e;

	if (n > sizeof(p) / sizeof(p[0])) {
		(void)snprintf(why, whysz, "%s: too many symbols", soname);
		return HC_ERR_UNAVAILABLE;
	}
	(void)dlerror();
	if (!(h = dlopen(soname, flags))) {
		e = dlerror();
		(void)snprintf(why, whysz, "%s", e ? e : soname);
		return HC_ERR_UNAVAILABLE;
	}
	for (size_t i = 0; i < n; i++) {
		(void)dlerror();
		p[i] = dlsym(h, syms[i].name);
		if (dlerror() != NULL || !p[i]) {
			(void)snprintf(why, whysz, "%s: no %s", soname, syms[i].name);
			return HC_ERR_UNAVAILABLE; /* h stays open: harmless */
		}
	}
	for (size_t i = 0; i < n; i++)
		*syms[i].slot = p[i];
	return HC_OK;
}

#define HC_DL_SYM(f) {#f, (void **)&sym_##f},

static pthread_once_t zbar_once = PTHREAD_ONCE_INIT;
static hc_err zbar_err;
static char zbar_why[256];

static void zbar_load(void)
{
	static const struct dl_sym syms[] = {HC_DL_ZBAR(HC_DL_SYM)};

	zbar_err = dl_open("libzbar.so.0", RTLD_NOW | RTLD_LOCAL, syms,
			   sizeof(syms) / sizeof(syms[0]), zbar_why, sizeof(zbar_why));
}

hc_err hc_dl_zbar(void)
{
	if (pthread_once(&zbar_once, zbar_load) != 0) {
		hc_set_detail("zbar: cannot load");
		return HC_ERR_UNAVAILABLE;
	}
	if (zbar_err != HC_OK)
		hc_set_detail("zbar (for reading images): %s", zbar_why);
	return zbar_err;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static hc_err curl_err;
static char curl_why[256];

static void curl_load(void)
{
	static const struct dl_sym syms[] = {HC_DL_CURL(HC_DL_SYM)};

	curl_err = dl_open("libcurl.so.4", RTLD_NOW | RTLD_LOCAL, syms,
			   sizeof(syms) / sizeof(syms[0]), curl_why, sizeof(curl_why));
}

hc_err hc_dl_curl(void)
{
	if (pthread_once(&curl_once, curl_load) != 0) {
		hc_set_detail("libcurl: cannot load");
		return HC_ERR_UNAVAILABLE;
	}
	if (curl_err != HC_OK)
		hc_set_detail("libcurl (for fetching): %s", curl_why);
	return curl_err;
}
