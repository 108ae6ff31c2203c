/* hc_version.h: what --version prints. */
#ifndef HC_VERSION_H
#define HC_VERSION_H

#include <stdio.h>

/* hcode's release, raised by hand with a change its users must know of
 * (a format, the registry's schema, an option). The build's commit is
 * printed beside it. */
#define HC_VERSION "1.0"

/* "PROG 1.0 (git COMMIT)" and a line of the libraries linked, as they
 * report their own versions at run time, then more (a line of the
 * program's own libraries, or NULL). */
void hc_version_print(FILE *f, const char *prog, const char *more);

#endif
