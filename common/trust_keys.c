/* trust_keys.c: what the trust store holds for each key of an issuer, for
 * hc-verify status. */
#include <string.h>

#include "trust_int.h"

bool hc_trust_key_info(const struct hc_trust *t, size_t i, size_t j, struct hc_key_info *o)
{
	static const char *const st[] = {"active", "retired", "revoked"};
	const struct trust_key *k;

	memset(o, 0, sizeof(*o));
	if (i >= t->list.n || j >= t->list.issuers[i].nkeys)
		return false;
	k = &t->list.issuers[i].keys[j];
	o->kid = hc_pubkey_kid(k->k);
	o->status = st[k->status];
	o->nbf = k->nbf;
	o->exp = k->exp;
	o->has_exp = k->has_exp;
	return true;
}
