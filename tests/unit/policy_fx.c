/* policy_fx.c: what the t_policy* tests share (policy_fx.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_fx.h"
#include "t.h"

struct hc_risk *risk;

void risk_load(void)
{
	size_t n;
	char *j = t_read("policy/risk.json", &n);
	hc_err err = hc_risk_parse(j, n, &risk);

	if (err != HC_OK) {
		fprintf(stderr, "policy/risk.json: %s (%s)\n", hc_strerror(err), hc_detail());
		exit(2);
	}
	free(j);
}

/* Table rows write JSON with ' for "; this turns them into real JSON. */
char *q(const char *s)
{
	size_t n = strlen(s);
	char *o = malloc(n + 1);

	if (!o)
		abort();
	for (size_t i = 0; i <= n; i++)
		o[i] = s[i] == '\'' ? '"' : s[i]; /* NOLINT(bugprone-narrowing-conversions): ASCII */
	return o;
}

struct hc_policy *policy(const char *json)
{
	struct hc_policy *p = NULL;
	char *j = json ? q(json) : NULL;

	CHECK_ERR(j ? hc_policy_parse(j, strlen(j), &p) : hc_policy_default(&p), HC_OK);
	free(j);
	return p;
}

void check_claims_at(const struct hc_claims *c, int64_t now, enum hc_status st, const char *why,
		     int64_t exp)
{
	char got[512] = "";
	size_t o = 0;

	for (size_t i = 0; i < c->nwhy && i < HC_MAX_WHY && o < sizeof(got); i++)
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s", i ? "," : "", c->why[i]);
	if (c->st != st)
		t_fail(__FILE__, __LINE__, "status %s, want %s", hc_status_name(c->st),
		       hc_status_name(st));
	if (strcmp(got, why) != 0)
		t_fail(__FILE__, __LINE__, "why \"%s\", want \"%s\"", got, why);
	if (c->exp != exp)
		t_fail(__FILE__, __LINE__, "exp now%+lld, want now%+lld", (long long)(c->exp - now),
		       (long long)(exp - now));
	CHECK(c->iat == now && c->nbf == now && c->exp > now);
}

void check_claims(const struct hc_claims *c, enum hc_status st, const char *why, int64_t exp)
{
	check_claims_at(c, NOW, st, why, exp);
}
