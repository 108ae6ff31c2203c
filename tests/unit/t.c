/* t.c: the unit-test harness and main(); prints "N passed, N failed". */
#include "t.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *cur;
static int cur_failed, passed, failed;

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  %s:%d: %s: ", file, line, cur ? cur : "?");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cur_failed = 1;
}

void t_begin(const char *name)
{
	cur = name;
	cur_failed = 0;
}

void t_end(void)
{
	if (cur_failed) {
		failed++;
		printf("FAIL %s\n", cur);
	} else {
		passed++;
		printf("ok   %s\n", cur);
	}
	fflush(stdout);
	cur = NULL;
}

const char *t_path(const char *name)
{
	static char buf[4096];
	const char *dir = getenv("HC_TESTDATA");

	snprintf(buf, sizeof(buf), "%s/%s", dir ? dir : "tests/data", name);
	return buf;
}

char *t_read(const char *name, size_t *n)
{
	uint8_t *b = NULL;
	size_t len = 0;

	if (hc_read_file(t_path(name), 1u << 24, &b, &len) != HC_OK) {
		fprintf(stderr, "cannot read test data %s\n", t_path(name));
		exit(2);
	}
	while (len > 0 && (b[len - 1] == '\n' || b[len - 1] == '\r'))
		b[--len] = '\0';
	if (n)
		*n = len;
	return (char *)b;
}

const char *t_tmpdir(void)
{
	static char buf[256];
	const char *base = getenv("TMPDIR");

	snprintf(buf, sizeof(buf), "%s/hc-unit-XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(buf)) {
		perror("mkdtemp");
		exit(2);
	}
	return buf;
}

long t_unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int a = hc_hexval(s[2 * i]), b = hc_hexval(s[2 * i + 1]);

		if (a < 0 || b < 0)
			return -1;
		out[i] = (uint8_t)(a << 4 | b);
	}
	return (long)(n / 2);
}

int main(void)
{
	t_main();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
