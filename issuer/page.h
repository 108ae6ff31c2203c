/* page.h: the counter page's files, built into the daemon. */
#ifndef HC_ISSUED_PAGE_H
#define HC_ISSUED_PAGE_H

#include <stddef.h>

/* The bytes of the page file at path ("/", "/app.js", ...) with their
 * length in *n and their Content-Type in *content_type; returns NULL for
 * an unknown path. */
const char *hc_page_get(const char *path, size_t *n, const char **content_type);

#endif
