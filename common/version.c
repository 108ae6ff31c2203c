/* version.c: --version, the release, the build's commit and the versions
 * of the libraries as they run (not as they were when built: a Debian
 * update changes them under the program). */
#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <png.h>
#include <qrencode.h>
#include <zlib.h>

#include "hc_version.h"

/* The commit built (the Makefile's `git rev-parse`), empty outside git. */
#ifndef HC_GIT
#define HC_GIT ""
#endif

void hc_version_print(FILE *f, const char *prog, const char *more)
{
	(void)fprintf(f, "%s %s%s%s%s\n", prog, HC_VERSION, HC_GIT[0] ? " (git " : "", HC_GIT,
		      HC_GIT[0] ? ")" : "");
	(void)fprintf(f, "%s, zlib %s, libpng %s, libqrencode %s, cJSON %s\n",
		      OpenSSL_version(OPENSSL_VERSION), zlibVersion(), png_get_libpng_ver(NULL),
		      QRcode_APIVersionString(), cJSON_Version());
	if (more)
		(void)fprintf(f, "%s\n", more);
}
