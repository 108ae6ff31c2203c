/* publish.h: the publisher thread: the office's revocation list and the
 * audit chain's segments and heads in the publish directory. */
#ifndef HC_ISSUED_PUBLISH_H
#define HC_ISSUED_PUBLISH_H

#include "config.h"
#include "registry.h"

struct hc_privkey;
struct publisher;

/* Publishes what is due at once (the audit entries not yet published and
 * a head; the revocation list when the published one differs from the
 * registry's), then starts the thread. */
hc_err pub_start(const struct cfg *c, struct reg *r, struct hc_privkey *key,
		 struct publisher **out) HC_WUR;
/* A revocation was committed: the list is re-signed within 10 s
 * (revocations arriving meanwhile share one new list). */
void pub_revoked(struct publisher *p);
/* The last of many revocations was committed (the end of a risk-area
 * re-evaluation): the list is re-signed now, not after the gathering
 * delay (after the one being signed, if any). */
void pub_revoked_now(struct publisher *p);
/* Stops the thread after a last publication of the audit entries and a
 * head; NULL is a no-op. */
void pub_stop(struct publisher *p);
/* Seq of the revocation list last published (0: none yet). */
int64_t pub_revlist_seq(struct publisher *p);
/* Seq of the last audit entry published. */
int64_t pub_audit_seq(struct publisher *p);

#endif
