/* audit_int.h: hc-verify audit's parts: string-keyed counters. */
#ifndef HC_VERIFIER_AUDIT_INT_H
#define HC_VERIFIER_AUDIT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "hc.h"

/* Counters by string key: a hash table that grows, then a sorted list. */
struct tally_item {
	char *key;
	uint64_t n;
};
struct tally {
	struct tally_item *slot; /* open addressing; key NULL when free */
	size_t cap, used;
};
/* Adds by to key's counter (created at 0); *was receives the count before
 * (may be NULL). HC_ERR_NOMEM when it cannot grow. */
hc_err tally_add(struct tally *t, const char *key, uint64_t by, uint64_t *was) HC_WUR;
/* The counter of key, 0 when there is none. */
uint64_t tally_get(const struct tally *t, const char *key);
/* The items sorted by key (malloc'd array of pointers into t), or NULL. */
const struct tally_item **tally_sorted(const struct tally *t);
void tally_free(struct tally *t);

#endif
