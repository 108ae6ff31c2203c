/* scanner_verify.c: hc-verify-scan's verification: the trust directory
 * reloaded when replaced, one code's verdict shown and logged, the chunks
 * of a SMART Health Card collected into one verdict, and the rule that
 * verifies a code in view when it comes into view (scan_frame). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_crypto.h"
#include "hc_foreign.h"
#include "scanner.h"

/* ---- trust, reloaded when replaced ---- */

/* What identifies the trust data in force: the generation link and the
 * trust list's and revocations' inode, size and change time. */
static void trust_stamp(const char *dir, char *out, size_t n)
{
	char data[4096], p[4200], link[64] = "";
	struct stat a, b;
	ssize_t r;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (hc_path(p, sizeof(p), "%s/current", dir) == HC_OK &&
	    (r = readlink(p, link, sizeof(link) - 1)) > 0)
		link[r] = '\0';
	if (hc_trust_data_dir(dir, data, sizeof(data)) == HC_OK) {
		if (hc_path(p, sizeof(p), "%s/trustlist.jws", data) == HC_OK)
			(void)stat(p, &a);
		if (hc_path(p, sizeof(p), "%s/revocations", data) == HC_OK)
			(void)stat(p, &b);
	}
	(void)snprintf(out, n, "%s|%llu:%lld:%lld.%ld|%llu:%lld.%ld", link,
		       (unsigned long long)a.st_ino, (long long)a.st_size, (long long)a.st_ctim.tv_sec,
		       a.st_ctim.tv_nsec, (unsigned long long)b.st_ino, (long long)b.st_mtim.tv_sec,
		       b.st_mtim.tv_nsec);
}

hc_err scan_trust_load(struct scanner *s)
{
	struct hc_trust *t = NULL;
	hc_err err;

	trust_stamp(s->trust_dir, s->trust_stamp, sizeof(s->trust_stamp));
	if ((err = hc_trust_load_ex(s->trust_dir, HC_TRUST_LAZY_REVOCATIONS, &t)) != HC_OK)
		return err;
	hc_trust_free(s->trust);
	s->trust = t;
	return HC_OK;
}

/* At most once a second: a replaced trust directory is loaded; when it
 * does not load, the one held stays in force (and this is said once). */
static void trust_check(struct scanner *s)
{
	char stamp[sizeof(s->trust_stamp)];
	int64_t now = scan_mono_ms();
	hc_err err;

	if (now - s->trust_checked_ms < 1000)
		return;
	s->trust_checked_ms = now;
	trust_stamp(s->trust_dir, stamp, sizeof(stamp));
	if (strcmp(stamp, s->trust_stamp) == 0)
		return;
	if ((err = scan_trust_load(s)) != HC_OK)
		verifier_err("trust directory changed but does not load; keeping the one held",
			     err);
	else
		fprintf(stderr, "hc-verify scan: trust directory reloaded\n");
}

/* ---- one code ---- */

/* A QR text as verified and logged: bytes outside printable ASCII (no
 * code has any) become '?', so that the log line is the same text. */
static void clean_text(const char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = in[i];
		if (in[i] < 0x20 || in[i] >= 0x7f)
			out[i] = '?';
	}
	out[n] = '\0';
}

/* The largest text verified as one code: the chunks of a card joined. */
#define CODE_MAX (HC_MAX_SHC_CHUNKS * (HC_MAX_QR_TEXT + 1))

/* scan_verdict() for one code, or the chunks of a card joined by newlines
 * (joined: its newlines are kept, so that the scan log's "code" reads as
 * batch reads a card's chunks). */
static int verdict_one(struct scanner *s, int64_t at, const char *text, size_t n, bool joined)
{
	static char code[CODE_MAX + 1];
	struct hc_verify_opts o = s->opts;
	enum hc_foreign_format fmt = hc_foreign_format_of(text, n);
	size_t cap = joined ? HC_MAX_SHC_TEXT : fmt == HC_FMT_DCC ? HC_MAX_DCC_TEXT : HC_MAX_QR_TEXT;
	struct verdict v;
	const char *d;

	if (s->raw) {
		/* errors: checked once at the end (hc_stdout_status) */
		(void)fwrite(text, 1, n, stdout);
		(void)putchar('\n');
		(void)fflush(stdout);
		return 0;
	}
	memset(&v, 0, sizeof(v));
	v.at = at;
	v.code = code;
	if (n > cap) {
		/* not logged: the log line could not hold the code */
		v.code = "";
		v.r.err = HC_ERR_TOO_LARGE;
		(void)snprintf(v.detail, sizeof(v.detail), "%s (%s of %zu bytes, more than %zu)",
			       hc_strerror(v.r.err), joined ? "a chunked card" : "a code", n, cap);
		scan_ui_verdict(s, &v);
		s->verdicts++;
		return 0;
	}
	clean_text(text, n, code);
	for (size_t i = 0; joined && i < n; i++)
		if (text[i] == '\n')
			code[i] = '\n';
	v.n = n;
	trust_check(s);
	o.at = at;
	hc_set_detail(NULL);
	if (fmt != HC_FMT_DOMESTIC) {
		/* A foreign code gets its verdict; what it says is not shown as a
		 * domestic code's status (verified stays false). */
		struct hc_foreign_result fr;

		v.r.err = hc_foreign_verify(s->trust, code, n, &o, &fr);
		v.r.stale = hc_trust_stale(s->trust, &o);
		d = hc_detail();
		(void)snprintf(v.detail, sizeof(v.detail), "%s: %s%s%s%s",
			       fr.fmt == HC_FMT_DCC ? "dcc" : "shc", hc_strerror(v.r.err),
			       d[0] ? " (" : "", d, d[0] ? ")" : "");
	} else {
		hc_verify_qr(s->trust, code, n, &o, &v.r);
		d = hc_detail();
		(void)snprintf(v.detail, sizeof(v.detail), "%s%s%s%s", hc_strerror(v.r.err),
			       d[0] ? " (" : "", d, d[0] ? ")" : "");
	}
	scan_ui_verdict(s, &v);
	s->verdicts++;
	return scan_log_write(&s->log, &v, s->checkpoint);
}

/* ---- chunked SMART Health Cards ----
 * The chunks of one card (shc:/I/N/...) are collected as they come into
 * view, in one frame or across frames or lines, and verified together
 * once all N are held: one verdict for the card. A chunk of another N, or
 * another text for an index held, ends the set held (its verdict: the
 * chunks missing) and starts a new one; a chunk seen again adds nothing.
 * A set not complete scan_shc_wait_ms after its first chunk, or at the end of
 * the input, gets its verdict then. Other codes are verified as they come
 * and leave the set alone. At most HC_MAX_SHC_CHUNKS chunks of at most
 * HC_MAX_QR_TEXT bytes are held (a chunk past those is verified alone and
 * fails); joined, at most HC_MAX_SHC_TEXT bytes are verified. */
static struct {
	unsigned total, held; /* N of the set held (0: none), chunks held */
	int64_t first_ms;     /* the input's clock when the first came */
	int64_t at;           /* scan time of the last */
	size_t len[HC_MAX_SHC_CHUNKS];
	char text[HC_MAX_SHC_CHUNKS][HC_MAX_QR_TEXT];
} set;
int64_t scan_clock_ms;            /* the input's clock: frame time, or monotonic */
int64_t scan_shc_wait_ms = 10000; /* --shc-wait */

/* A set ended incomplete: its chunks are forgotten by the camera's
 * "verified once in view" rule, so that those still in view are offered
 * again in the next frame and a card held in front of the camera
 * completes, instead of waiting SCAN_REPEAT_MS chunk by chunk (and, with
 * chunks that came more than --shc-wait apart, never completing). */
static void set_forget(struct scanner *s)
{
	uint8_t id[32];

	for (unsigned k = 0; k < set.total; k++) {
		if (!set.len[k] || hc_sha256((const uint8_t *)set.text[k], set.len[k], id) != HC_OK)
			continue;
		for (size_t i = 0; i < s->nseen; i++)
			if (memcmp(s->seen[i].id, id, sizeof(id)) == 0) {
				s->seen[i] = s->seen[--s->nseen];
				break;
			}
	}
}

/* The held set's verdict, complete or not; the set is emptied. */
int scan_set_flush(struct scanner *s)
{
	static char joined[CODE_MAX];
	size_t o = 0;

	if (!set.total)
		return 0;
	if (set.held < set.total)
		set_forget(s);
	for (unsigned i = 0; i < set.total; i++) {
		if (!set.len[i])
			continue;
		if (o)
			joined[o++] = '\n';
		memcpy(joined + o, set.text[i], set.len[i]);
		o += set.len[i];
	}
	memset(set.len, 0, sizeof(set.len));
	set.total = set.held = 0;
	return verdict_one(s, set.at, joined, o, true);
}

/* An incomplete set held past --shc-wait gets its verdict. */
int scan_set_tick(struct scanner *s)
{
	if (!set.total || scan_clock_ms - set.first_ms < scan_shc_wait_ms)
		return 0;
	return scan_set_flush(s);
}

static bool printable(const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t[i] < 0x20 || t[i] >= 0x7f)
			return false;
	return true;
}

int scan_verdict(struct scanner *s, int64_t at, const char *text, size_t n)
{
	unsigned i, total;

	/* A chunk is printable text: one with a control byte (a line break
	 * inside one QR would read as the joint of two chunks) is verified
	 * alone, as a code of its own, and fails so. */
	if (s->raw || n > HC_MAX_QR_TEXT || !hc_shc_chunk(text, n, &i, &total) || total < 2 ||
	    total > HC_MAX_SHC_CHUNKS || !printable(text, n))
		return verdict_one(s, at, text, n, false);
	if (set.total && (total != set.total || (set.len[i - 1] && (set.len[i - 1] != n ||
						memcmp(set.text[i - 1], text, n) != 0))) &&
	    scan_set_flush(s) != 0)
		return -1;
	if (set.len[i - 1])
		return 0; /* held already */
	if (!set.total) {
		set.total = total;
		set.first_ms = scan_clock_ms;
	}
	memcpy(set.text[i - 1], text, n);
	set.len[i - 1] = n;
	set.at = at;
	return ++set.held == set.total ? scan_set_flush(s) : 0;
}

/* ---- continuous verification ---- */

/* The codes of one frame at time t (ms): each verified when it comes into
 * view, when it was out of view for SCAN_GONE_MS, or when it was last
 * verified SCAN_REPEAT_MS ago. */
int scan_frame(struct scanner *s, int64_t t, const struct hc_scan *sc)
{
	size_t i, k;

	scan_ui_tick(s);
	scan_clock_ms = t;
	if (scan_set_tick(s) != 0)
		return -1;
	/* Codes out of view for SCAN_GONE_MS are forgotten: they count as new. */
	for (i = 0; i < s->nseen;) {
		if (t - s->seen[i].seen_ms - s->period_ms >= SCAN_GONE_MS)
			s->seen[i] = s->seen[--s->nseen];
		else
			i++;
	}
	for (k = 0; k < sc->n; k++) {
		struct seen *e = NULL;
		uint8_t id[32];
		bool check;

		if (hc_sha256((const uint8_t *)sc->texts[k], sc->lens[k], id) != HC_OK) {
			fprintf(stderr, "hc-verify scan: SHA-256 failed\n");
			return -1;
		}
		for (i = 0; i < s->nseen && !e; i++)
			if (memcmp(s->seen[i].id, id, sizeof(id)) == 0)
				e = &s->seen[i];
		if (!e) {
			if (s->nseen == SCAN_SEEN_MAX) { /* the longest out of view goes */
				size_t old = 0;

				for (i = 1; i < s->nseen; i++)
					if (s->seen[i].seen_ms < s->seen[old].seen_ms)
						old = i;
				e = &s->seen[old];
			} else {
				e = &s->seen[s->nseen++];
			}
			memcpy(e->id, id, sizeof(id));
			check = true;
		} else {
			check = e->seen_ms != t && t - e->verified_ms >= SCAN_REPEAT_MS;
		}
		e->seen_ms = t;
		if (!check)
			continue;
		e->verified_ms = t;
		if (scan_verdict(s, t / 1000, sc->texts[k], sc->lens[k]) != 0)
			return -1;
	}
	return scan_log_tick(&s->log);
}
