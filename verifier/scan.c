/* scan.c: hc-verify scan becomes hc-verify-scan, from the directory
 * hc-verify runs from, with the same arguments and environment (and the
 * same pid): the scanner's decoders and screen are not loaded by every
 * hc-verify start. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "verifier.h"

int cmd_scan(int argc, char **argv)
{
	char self[4096], path[4096 + 16], *slash, **nargv;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0) {
		fprintf(stderr, "hc-verify scan: cannot find this program: %s\n", strerror(errno));
		return EXIT_USAGE;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	(void)snprintf(path, sizeof(path), "%s/hc-verify-scan", self);
	if (!(nargv = calloc((size_t)argc + 1, sizeof(*nargv)))) {
		fprintf(stderr, "hc-verify scan: out of memory\n");
		return EXIT_USAGE;
	}
	nargv[0] = path;
	for (int i = 1; i < argc; i++)
		nargv[i] = argv[i];
	(void)fflush(stdout);
	(void)execv(path, nargv);
	fprintf(stderr, "hc-verify scan: needs %s: %s\n", path, strerror(errno));
	free(nargv);
	return EXIT_USAGE;
}
