/* replay.c: runs a fuzz target over files (a committed corpus) without
 * libFuzzer, so `make check` replays the corpora with gcc and sanitizers.
 * Prints "N inputs replayed"; exit 1 when a file cannot be read or no input
 * ran at all (a missing or empty corpus tests nothing). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static int run(const char *path, unsigned *count)
{
	uint8_t *buf = NULL;
	size_t n;

	if (hc_read_file(path, 1u << 24, &buf, &n) != HC_OK) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		return 1;
	}
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	(*count)++;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int bad = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *de;

		if (!d) {
			/* a file, or a corpus directory that is not there */
			bad |= run(argv[i], &count);
			continue;
		}
		while ((de = readdir(d))) {
			char p[4096];

			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
			bad |= run(p, &count);
		}
		closedir(d);
	}
	printf("%u inputs replayed\n", count);
	if (count == 0) {
		fprintf(stderr, "replay: no input replayed\n");
		bad = 1;
	}
	return bad;
}
