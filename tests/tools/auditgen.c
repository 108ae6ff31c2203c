/* auditgen.c: test tool that writes an audit chain through the library
 * (hc_audit_entry_encode, hc_audit_publish_lines, hc_audit_head_sign,
 * hc_audit_publish_head) into a publish directory. The entries follow a
 * fixed pattern, so that a test can compute the counts on its own:
 *   seq % 4 == 1  counter-1  issue   person P(seq % 50), jti
 *   seq % 4 == 2  source:nat status  person P(seq % 100), green -> red
 *                 with ["nat-positive"] when seq % 8 == 2, else -> yellow
 *                 with ["contact","risk-area"]
 *   seq % 4 == 3  counter-2  record  person P(seq % 50)
 *   seq % 4 == 0  admin      revoke  jti
 * at = 1795392000 + seq; the head's at is 1795392000 + N + 10 unless given.
 * P(i) is 43 characters of base64url naming i. EDIT (optional) gives entry
 * EDIT the cause "edited", re-chaining everything after it (history
 * rewritten and re-signed). Entries are published in chunks of 333 lines,
 * so that chunks straddle segment boundaries. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_audit.h"
#include "hc_sign.h"

#define T0 1795392000
#define CHUNK 333

static int usage(void)
{
	fputs("usage: auditgen KEY ISS DIR N [EDIT [HEAD_AT]]\n", stderr);
	return 2;
}

static bool num(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s[0])
		return false;
	v = strtoll(s, &end, 10);
	if (*end || v < 0)
		return false;
	*out = v;
	return true;
}

static void person(int64_t i, char out[44])
{
	(void)snprintf(out, 44, "P%042" PRId64, i);
}

int main(int argc, char **argv)
{
	static const char *const nat[] = {"nat-positive"}, *const contact[] = {"contact", "risk-area"};
	struct hc_privkey *k = NULL;
	int64_t n, edit = 0, head_at = -1;
	uint8_t prev[32] = {0};
	char **lines = NULL, *jws = NULL, p[44];
	size_t *lens = NULL;
	int rc = 1;
	hc_err err;

	if (argc < 5 || argc > 7 || !num(argv[4], &n) || n < 1 ||
	    (argc > 5 && !num(argv[5], &edit)) || (argc > 6 && !num(argv[6], &head_at)))
		return usage();
	if (head_at < 0)
		head_at = T0 + n + 10;
	if ((err = hc_privkey_load(argv[1], &k)) != HC_OK) {
		fprintf(stderr, "auditgen: %s: %s\n", argv[1], hc_strerror(err));
		return 2;
	}
	lines = calloc((size_t)n, sizeof(*lines));
	lens = calloc((size_t)n, sizeof(*lens));
	if (!lines || !lens)
		goto out;
	for (int64_t s = 1; s <= n; s++) {
		struct hc_audit_entry e;

		memset(&e, 0, sizeof(e));
		e.seq = s;
		e.at = T0 + s;
		memcpy(e.prev, prev, 32);
		switch (s % 4) {
		case 1:
			e.actor = "counter-1";
			e.action = "issue";
			person(s % 50, p);
			e.person = p;
			e.jti = "AAAAAAAAAAAAAAAAAAAAAA";
			break;
		case 2:
			e.actor = "source:nat";
			e.action = "status";
			person(s % 100, p);
			e.person = p;
			e.from = "green";
			e.to = s % 8 == 2 ? "red" : "yellow";
			e.nwhy = s % 8 == 2 ? 1 : 2;
			for (size_t i = 0; i < e.nwhy; i++)
				e.why[i] = s % 8 == 2 ? nat[i] : contact[i];
			e.cause = "evt-nat";
			break;
		case 3:
			e.actor = "counter-2";
			e.action = "record";
			person(s % 50, p);
			e.person = p;
			e.cause = "req-1";
			break;
		default:
			e.actor = "admin";
			e.action = "revoke";
			e.jti = "AAAAAAAAAAAAAAAAAAAAAw";
			break;
		}
		if (s == edit)
			e.cause = "edited";
		if ((err = hc_audit_entry_encode(&e, &lines[s - 1], &lens[s - 1])) != HC_OK ||
		    (err = hc_sha256((const uint8_t *)lines[s - 1], lens[s - 1], prev)) != HC_OK) {
			fprintf(stderr, "auditgen: entry %" PRId64 ": %s\n", s, hc_strerror(err));
			goto out;
		}
	}
	for (int64_t s = 1; s <= n; s += CHUNK) {
		size_t c = n - s + 1 < CHUNK ? (size_t)(n - s + 1) : CHUNK;

		if ((err = hc_audit_publish_lines(argv[3], s, (const char *const *)lines + s - 1,
						  lens + s - 1, c)) != HC_OK) {
			fprintf(stderr, "auditgen: publish %" PRId64 ": %s: %s\n", s, hc_strerror(err),
				hc_detail());
			goto out;
		}
	}
	if ((err = hc_audit_head_sign(k, argv[2], n, prev, head_at, &jws)) != HC_OK ||
	    (err = hc_audit_publish_head(argv[3], jws)) != HC_OK) {
		fprintf(stderr, "auditgen: head: %s: %s\n", hc_strerror(err), hc_detail());
		goto out;
	}
	rc = 0;
out:
	for (int64_t s = 0; lines && s < n; s++)
		free(lines[s]);
	free(lines);
	free(lens);
	free(jws);
	hc_privkey_free(k);
	return rc;
}
