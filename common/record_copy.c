/* record_copy.c: a record's small copies: the one entry of an events
 * line (hc_record_one) and the flat copy the held codes' cache keeps
 * (hc_record_pack); record.c parses records. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy_int.h"

hc_err hc_record_one_of(const struct hc_record *r, struct hc_record_one *o)
{
	if (!r || !o)
		return HC_ERR_INVALID_ARG;
	memset(o, 0, sizeof(*o));
	if (r->nnat + r->nvac + r->ntrv + r->nvis > 1)
		return HC_ERR_INVALID_ARG;
	o->flags = r->flags;
	if (r->nnat) {
		o->kind = 1;
		o->v[0] = r->nat[0].at;
		o->v[1] = r->nat[0].positive;
	} else if (r->nvac) {
		o->kind = 2;
		o->v[0] = r->vac[0].at;
		o->v[1] = r->vac[0].dose;
	} else if (r->ntrv) {
		o->kind = 3;
		o->v[0] = r->trv[0].region;
		o->v[1] = r->trv[0].from;
		o->v[2] = r->trv[0].end;
	} else if (r->nvis) {
		o->kind = 4;
		o->v[0] = (int64_t)r->vis[0].venue; /* below 10^12 */
		o->v[1] = r->vis[0].at;
	}
	return HC_OK;
}

hc_err hc_record_of_one(const struct hc_record_one *o, const char *masked_name,
			const char *masked_id, struct hc_record **out)
{
	struct hc_record *r;
	hc_err err;

	if (!out || !o || !masked_name || !masked_id || o->kind < 0 || o->kind > 4)
		return HC_ERR_INVALID_ARG;
	*out = NULL;
	if ((err = hc__masked_check(masked_name, masked_id)) != HC_OK)
		return err; /* as hc_record_parse_inputs checks them */
	if ((r = hc__record_new()) == NULL)
		return HC_ERR_NOMEM;
	hc__record_set_masked(r, masked_name, masked_id);
	r->flags = o->flags;
	switch (o->kind) {
	case 1:
		r->nat[0] = (struct hc__nat){.at = o->v[0], .positive = o->v[1] != 0};
		r->nnat = 1;
		break;
	case 2:
		r->vac[0] = (struct hc__vac){.at = o->v[0], .dose = o->v[1]};
		r->nvac = 1;
		break;
	case 3:
		r->trv[0] = (struct hc__span){.region = (uint32_t)o->v[0], .from = o->v[1],
					      .end = o->v[2]};
		r->ntrv = 1;
		break;
	case 4:
		r->vis[0] = (struct hc__visit){.venue = (uint64_t)o->v[0], .at = o->v[1]};
		r->nvis = 1;
		break;
	default:
		break;
	}
	*out = r;
	return HC_OK;
}

/* The packed form: the identity part, the four counts and the flags, then
 * each array's counted entries in turn. */
struct packed_head {
	size_t nnat, nvac, ntrv, nvis;
	unsigned flags;
};

size_t hc_record_packed_size(const struct hc_record *r)
{
	return RECORD_HEAD + sizeof(struct packed_head) + r->nnat * sizeof(r->nat[0]) +
	       r->nvac * sizeof(r->vac[0]) + r->ntrv * sizeof(r->trv[0]) +
	       r->nvis * sizeof(r->vis[0]);
}

void hc_record_pack(const struct hc_record *r, void *out)
{
	const struct packed_head ph = {r->nnat, r->nvac, r->ntrv, r->nvis, r->flags};
	uint8_t *o = out;

	memcpy(o, r, RECORD_HEAD);
	o += RECORD_HEAD;
	memcpy(o, &ph, sizeof(ph));
	o += sizeof(ph);
	memcpy(o, r->nat, r->nnat * sizeof(r->nat[0]));
	o += r->nnat * sizeof(r->nat[0]);
	memcpy(o, r->vac, r->nvac * sizeof(r->vac[0]));
	o += r->nvac * sizeof(r->vac[0]);
	memcpy(o, r->trv, r->ntrv * sizeof(r->trv[0]));
	o += r->ntrv * sizeof(r->trv[0]);
	memcpy(o, r->vis, r->nvis * sizeof(r->vis[0]));
}

hc_err hc_record_unpack(const void *p, size_t n, struct hc_record **out)
{
	const uint8_t *i = p;
	struct packed_head ph;
	struct hc_record *r;

	if (!out)
		return HC_ERR_INVALID_ARG;
	*out = NULL;
	if (!p || n < RECORD_HEAD + sizeof(ph))
		return HC_ERR_INVALID_ARG;
	memcpy(&ph, i + RECORD_HEAD, sizeof(ph));
	if (ph.nnat > HC__MAX_ENTRIES || ph.nvac > HC__MAX_ENTRIES ||
	    ph.ntrv > HC__MAX_ENTRIES || ph.nvis > HC__MAX_ENTRIES ||
	    n != RECORD_HEAD + sizeof(ph) + ph.nnat * sizeof(r->nat[0]) +
			 ph.nvac * sizeof(r->vac[0]) + ph.ntrv * sizeof(r->trv[0]) +
			 ph.nvis * sizeof(r->vis[0]))
		return HC_ERR_INVALID_ARG;
	if (!(r = hc__record_new()))
		return HC_ERR_NOMEM;
	memcpy(r, i, RECORD_HEAD);
	i += RECORD_HEAD + sizeof(ph);
	r->nnat = ph.nnat;
	r->nvac = ph.nvac;
	r->ntrv = ph.ntrv;
	r->nvis = ph.nvis;
	r->flags = ph.flags;
	memcpy(r->nat, i, ph.nnat * sizeof(r->nat[0]));
	i += ph.nnat * sizeof(r->nat[0]);
	memcpy(r->vac, i, ph.nvac * sizeof(r->vac[0]));
	i += ph.nvac * sizeof(r->vac[0]);
	memcpy(r->trv, i, ph.ntrv * sizeof(r->trv[0]));
	i += ph.ntrv * sizeof(r->trv[0]);
	memcpy(r->vis, i, ph.nvis * sizeof(r->vis[0]));
	*out = r;
	return HC_OK;
}
