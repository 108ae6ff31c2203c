/* counts.c: hc-verify batch's per-worker counters (apart from the
 * summary, so that the record code links without the report and MPI). */
#include <stdlib.h>

#include "batch_int.h"

struct counts *counts_new(const struct hc_trust *t, size_t n)
{
	struct counts *c = calloc(n, sizeof(*c));
	size_t ni = hc_trust_issuer_count(t);

	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(c[i].issuer = calloc(ni + 1, sizeof(uint64_t))) ||
		    hc_vctx_new(t, &c[i].v) != HC_OK) {
			counts_free(c, n);
			return NULL;
		}
	return c;
}

void counts_free(struct counts *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		free(c[i].issuer);
		free(c[i].ls);
		hc_vctx_free(c[i].v);
	}
	free(c);
}

void counts_add(struct counts *c, const struct hc_bresult *r)
{
	c->records++;
	if (r->err == HC_OK)
		c->pass++;
	else
		c->fail++;
	c->by_err[r->err < HC_ERR__COUNT ? r->err : HC_ERR_INVALID_ARG]++;
	if (r->verified) {
		c->status[r->st <= HC_ST_RED ? r->st : HC_ST_RED]++;
		c->issuer[r->issuer]++;
	}
}
