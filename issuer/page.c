/* page.c: the counter page (issuer/page/) built into hc-issued. The
 * assembler copies each file's bytes in with .incbin at build time (the
 * Makefile makes this object depend on every file of issuer/page), so the
 * page stays ordinary HTML, CSS and JavaScript in the tree, unescaped. */
#include <stddef.h>
#include <string.h>

#include "page.h"

/* Defines NAME_start and NAME_end (local symbols) around FILE's bytes in
 * .rodata. FILE is relative to the top of the tree, where make runs. */
#define PAGE_FILE(name, file)                                                  \
	__asm__(".pushsection .rodata\n"                                       \
		".balign 16\n" #name "_start:\n"                               \
		".incbin \"" file "\"\n" #name "_end:\n"                       \
		".byte 0\n"                                                    \
		".popsection\n")

PAGE_FILE(hc_page_index, "issuer/page/index.html");
PAGE_FILE(hc_page_js, "issuer/page/app.js");
PAGE_FILE(hc_page_css, "issuer/page/app.css");

#define HIDDEN __attribute__((visibility("hidden")))
extern HIDDEN const char hc_page_index_start[], hc_page_index_end[];
extern HIDDEN const char hc_page_js_start[], hc_page_js_end[];
extern HIDDEN const char hc_page_css_start[], hc_page_css_end[];

const char *hc_page_get(const char *path, size_t *n, const char **content_type)
{
	static const struct {
		const char *path, *type, *start, *end;
	} files[] = {
		{ "/", "text/html; charset=utf-8", hc_page_index_start, hc_page_index_end },
		{ "/app.js", "text/javascript; charset=utf-8", hc_page_js_start, hc_page_js_end },
		{ "/app.css", "text/css; charset=utf-8", hc_page_css_start, hc_page_css_end },
	};
	size_t i;

	if (!path)
		return NULL;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(path, files[i].path) != 0)
			continue;
		if (n)
			*n = (size_t)(files[i].end - files[i].start);
		if (content_type)
			*content_type = files[i].type;
		return files[i].start;
	}
	return NULL;
}
