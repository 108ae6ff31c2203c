/* revoke_int.h: what revoke.c (lists: parsed, accepted) and revoke_idx.c
 * (their index, lazy lists) share. */
#ifndef HC_REVOKE_INT_H
#define HC_REVOKE_INT_H

#include "trust_int.h"

/* err, with the detail "name: why: (the detail set before)". */
hc_err hc__rev_fail(hc_err err, const char *name, const char *why);
/* What follows the signature check of a list (revoke.c); takes l's
 * entries when l is kept. */
hc_err hc__rev_accept(struct hc_trust *t, const char *name, struct rev_list *l, const char *iss,
		      const char *kid, struct hc_revinfo *info);
/* An index of l (of iss, signed by kid, made from the file src, which may
 * be NULL) in *out, malloc'd. */
hc_err hc__rev_idx_make(const struct rev_list *l, const char *iss, const char *kid,
			const struct hc_rev_src *src, uint8_t **out, size_t *outlen);
/* Whether an index (already checked) was made from the file src, signed by kid. */
bool hc__rev_idx_from(const uint8_t *p, const struct hc_rev_src *src, const char *kid);

#endif
