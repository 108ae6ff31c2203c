/* registry_sqlite_check.c: the checks on what callers hand the registry
 * (a change, its inputs and code, names and keys), made before a job is
 * queued, so that the writer never stores what the registry refuses. */
#include <string.h>

#include "hc_json.h"
#include "registry_sqlite.h"

#define REG_MAX_INPUT 65536   /* bytes of one input's JSON */
#define REG_MAX_INPUTS 1280   /* inputs in one change: 5 kinds of 256 */

bool rs_is_b64u(const char *s, size_t len)
{
	/* A table rather than a memchr over the alphabet a character: this
	 * runs on every change's person key (events: 1,000 a request). */
	static const char b64u[256] = {
		['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
		['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
		['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
		['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1,
		['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
		['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
		['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1,
		['x'] = 1, ['y'] = 1, ['z'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
		['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['-'] = 1,
		['_'] = 1};

	if (!s || strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!b64u[(unsigned char)s[i]])
			return false;
	return true;
}

static bool text_ok(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap || !hc_utf8_valid(s, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		/* C0, DEL and C1 (U+0080..U+009F: C2 80..C2 9F), as the audit
		 * chain refuses them. */
		if (c < 0x20 || c == 0x7f || (c == 0xc2 && (unsigned char)s[i + 1] < 0xa0))
			return false;
	}
	return true;
}

bool rs_name_ok(const char *s, size_t cap, const char *what)
{
	if (!s || !*s || !text_ok(s, cap)) {
		hc_set_detail("%s: %s", what,
		              !s || !*s ? "missing"
		                        : "too long, not UTF-8 or with a control character");
		return false;
	}
	return true;
}

static bool opt_ok(const char *s, size_t cap, const char *what)
{
	return !s || rs_name_ok(s, cap, what);
}

static bool why_ok(const char *const *why, size_t n)
{
	if (n > HC_MAX_WHY || (n && !why)) {
		hc_set_detail("why: more than %d reasons", HC_MAX_WHY);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (!rs_name_ok(why[i], HC_WHY_LEN, "why"))
			return false;
	return true;
}

/* The shape hc_mask_id gives: 3 characters kept, at least one '*', the
 * last 4 kept. The registry refuses anything else, so that a full
 * identity number handed in by mistake is never stored. */
static bool masked_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0)
		return true;
	if (n < 8)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool star = i >= 3 && i < n - 4;

		if (star ? id[i] != '*'
		         : !((id[i] >= '0' && id[i] <= '9') || id[i] == 'X' || id[i] == 'x'))
			return false;
	}
	return true;
}

static const char *const kinds[] = {"nat", "vaccinations", "travel", "flags", "visits", NULL};

const char *rs_kind_name(int i)
{
	return i >= 0 && i < RS_KINDS ? kinds[i] : NULL;
}

int rs_kind_index(const char *kind)
{
	for (int i = 0; kind && kinds[i]; i++)
		if (strcmp(kind, kinds[i]) == 0)
			return i;
	return -1;
}

static bool input_ok(const struct reg_input *in, size_t i)
{
	size_t n;

	if (rs_kind_index(in->kind) < 0) {
		hc_set_detail("inputs[%zu]: unknown kind", i);
		return false;
	}
	n = in->json ? strnlen(in->json, REG_MAX_INPUT + 1) : 0;
	if (n == 0 || n > REG_MAX_INPUT || !hc_utf8_valid(in->json, n)) {
		hc_set_detail("inputs[%zu]: json missing, over %d bytes or not UTF-8", i,
		              REG_MAX_INPUT);
		return false;
	}
	if (!hc_json_valid(in->json, n)) {
		hc_set_detail("inputs[%zu]: json is not JSON", i);
		return false;
	}
	return rs_name_ok(in->source, REG_NAME_LEN, "source") &&
	       opt_ok(in->cause, RS_MAX_TEXT, "cause");
}

static bool code_ok(const struct reg_change *c)
{
	const struct reg_code *k = c->code;
	const char *why[HC_MAX_WHY];

	if (!rs_is_b64u(k->jti, REG_JTI_LEN)) {
		hc_set_detail("code: jti is not %d base64url characters", REG_JTI_LEN);
		return false;
	}
	if (strcmp(k->person, c->person) != 0) {
		hc_set_detail("code: of another person");
		return false;
	}
	if ((unsigned)k->st > HC_ST_RED || k->nwhy > HC_MAX_WHY) {
		hc_set_detail("code: status or why out of range");
		return false;
	}
	for (size_t i = 0; i < k->nwhy; i++)
		why[i] = k->why[i];
	if (!why_ok(why, k->nwhy) || !rs_name_ok(k->policy, sizeof(k->policy), "code: policy") ||
	    !rs_name_ok(k->kid, sizeof(k->kid), "code: kid"))
		return false;
	if (!k->jws || !*k->jws || strnlen(k->jws, HC_MAX_TOKEN + 1) > HC_MAX_TOKEN ||
	    k->iat > k->exp) {
		hc_set_detail("code: jws missing or over %d bytes, or exp before iat",
		              HC_MAX_TOKEN);
		return false;
	}
	return true;
}

hc_err rs_change_check(const struct reg_change *c)
{
	if (!c || !rs_name_ok(c->actor, REG_NAME_LEN, "actor") ||
	    !opt_ok(c->cause, RS_MAX_TEXT, "cause"))
		return HC_ERR_INVALID_ARG;
	if (!c->action || (strcmp(c->action, "record") != 0 && strcmp(c->action, "event") != 0)) {
		hc_set_detail("action: not record or event");
		return HC_ERR_INVALID_ARG;
	}
	if (!rs_is_b64u(c->person, REG_KEY_LEN)) {
		hc_set_detail("person: not a %d-character base64url key", REG_KEY_LEN);
		return HC_ERR_INVALID_ARG;
	}
	if ((c->name && !text_ok(c->name, 128)) || (c->id && !text_ok(c->id, 64))) {
		hc_set_detail("person: masked name or id too long or not text");
		return HC_ERR_INVALID_ARG;
	}
	if (c->id && !masked_id(c->id)) {
		hc_set_detail("person: id is not masked (3 characters, '*'s, the last 4)");
		return HC_ERR_INVALID_ARG;
	}
	if (c->expect_version < -1 || c->ninputs > REG_MAX_INPUTS || (c->ninputs && !c->inputs)) {
		hc_set_detail("expect_version or inputs out of range");
		return HC_ERR_INVALID_ARG;
	}
	if (c->new_person && c->expect_version != 0) {
		hc_set_detail("a new person with expect_version %lld, not 0",
			      (long long)c->expect_version);
		return HC_ERR_INVALID_ARG;
	}
	for (size_t i = 0; i < c->ninputs; i++)
		if (!input_ok(&c->inputs[i], i))
			return HC_ERR_INVALID_ARG;
	if (c->nremoves > REG_MAX_INPUTS || (c->nremoves && !c->removes)) {
		hc_set_detail("removes out of range");
		return HC_ERR_INVALID_ARG;
	}
	for (size_t i = 0; i < c->nremoves; i++)
		if (rs_kind_index(c->removes[i].kind) < 0 || !c->removes[i].json) {
			hc_set_detail("removes[%zu]: unknown kind or no json", i);
			return HC_ERR_INVALID_ARG;
		}
	if (c->event && !rs_name_ok(c->event, RS_MAX_TEXT, "event"))
		return HC_ERR_INVALID_ARG;
	if (c->answer && !rs_name_ok(c->answer, REG_NAME_LEN, "answer"))
		return HC_ERR_INVALID_ARG;
	if (c->has_status && ((unsigned)c->st > HC_ST_RED || !why_ok(c->why, c->nwhy))) {
		if ((unsigned)c->st > HC_ST_RED)
			hc_set_detail("status out of range");
		return HC_ERR_INVALID_ARG;
	}
	if (c->code && !code_ok(c))
		return HC_ERR_INVALID_ARG;
	return HC_OK;
}
