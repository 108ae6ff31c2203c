/* page.c: a placeholder for the counter page (the page itself replaces
 * this file): one line of HTML at "/". */
#include <string.h>

#include "page.h"

static const char placeholder[] =
	"<!doctype html><meta charset=\"utf-8\"><title>hc-issued</title>"
	"<p>hc-issued: the counter page is not built into this daemon.</p>\n";

const char *hc_page_get(const char *path, size_t *n, const char **content_type)
{
	if (!path || strcmp(path, "/") != 0)
		return NULL;
	*n = sizeof(placeholder) - 1;
	*content_type = "text/html; charset=utf-8";
	return placeholder;
}
