/* held.h: a bounded in-memory cache of the JSON answer of POST /v1/codes
 * for a person whose held code was answered, keyed by person, with what it
 * takes to check that the code is still true (the stored inputs as
 * parsed, the masked name and id, status, expiry). The registry's writer
 * tells the cache of every change (held_forget) after its commit and before any
 * caller of that change returns, so that a revoked or superseded code is
 * never answered from it. */
#ifndef HC_ISSUED_HELD_H
#define HC_ISSUED_HELD_H

#include <stdint.h>

#include "registry.h"

struct held_cache;

/* What a hit gives (one malloc'd block: free(h) releases all). */
struct held {
	enum hc_status st;
	int64_t exp;
	char name[128], id[64];   /* masked, as reg_person */
	const char *body;         /* the JSON answer */
	size_t bodylen;
	/* reg_person.inputs parsed with name and id (hc_record_pack), so
	 * that a hit applies the policy without parsing them again */
	const void *rec;
	size_t reclen;
};

/* Taken before the registry is read; held_put refuses an entry read
 * before a change to that person (or a revocation) that came after. */
struct held_ticket {
	uint64_t all, set;
};

hc_err held_open(struct held_cache **out) HC_WUR;
void held_close(struct held_cache *c);
/* The person key changed (NULL: a change whose person is not known, such
 * as a revocation by jti: every entry). Safe from any thread. */
void held_forget(struct held_cache *c, const char *key);
/* A copy of key's entry, or NULL (none, or no memory). */
struct held *held_get(struct held_cache *c, const char *key);
struct held_ticket held_ticket(struct held_cache *c, const char *key);
/* Stores h for key unless a change came after t or the cache is full. */
void held_put(struct held_cache *c, const char *key, struct held_ticket t, const struct held *h);
/* Hits and misses so far. */
void held_counts(struct held_cache *c, uint64_t *hits, uint64_t *misses);

#endif
