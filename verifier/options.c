/* options.c: the verification options that hc-verify, hc-verify batch and
 * hc-verify status share, parsed in one place. */
#include <stdio.h>
#include <stdlib.h>

#include "verifier.h"

bool parse_count(const char *s, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < 0 || v > max)
		return false;
	*out = v;
	return true;
}

int verify_option(int c, const char *arg, struct hc_verify_opts *o)
{
	int64_t v;

	switch (c) {
	case 'a':
		if (hc_time_parse(arg, &o->at) != HC_OK) {
			fprintf(stderr, "%s: --at: invalid time '%s'\n", verifier_prog, arg);
			return -1;
		}
		return 1;
	case 'k':
		if (!parse_count(arg, 86400, &o->skew)) {
			fprintf(stderr, "%s: --skew: 0 to 86400 seconds\n", verifier_prog);
			return -1;
		}
		return 1;
	case 'A': o->any_status = true; return 1;
	case 'n':
		if (!parse_count(arg, (int64_t)24 * 366, &v) || v == 0) {
			fprintf(stderr, "%s: --require-nat: 1 to 8784 hours\n", verifier_prog);
			return -1;
		}
		o->nat_max_age = v * 3600;
		return 1;
	case 'd':
		if (!parse_count(arg, 20, &o->min_doses) || o->min_doses == 0) {
			fprintf(stderr, "%s: --require-doses: 1 to 20\n", verifier_prog);
			return -1;
		}
		return 1;
	case 'g':
		if (hc_duration_parse(arg, &o->grace) != HC_OK) {
			fprintf(stderr, "%s: --grace: invalid duration '%s'\n", verifier_prog, arg);
			return -1;
		}
		return 1;
	case 'S': o->strict = true; return 1;
	default: return 0;
	}
}
