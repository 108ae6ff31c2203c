/* audit_int.h: what the audit chain's writer, entry and checking units share. */
#ifndef HC_AUDIT_INT_H
#define HC_AUDIT_INT_H

#include "hc_audit.h"

/* The largest integer (seq, at) a line may hold: 2^53 - 1, what a JSON
 * reader holds exactly. */
#define HC_AUDIT_MAX_INT ((int64_t)9007199254740991)

/* Valid UTF-8 without control characters (C0, DEL, C1). */
bool hc__audit_text_ok(const char *s);

#endif
