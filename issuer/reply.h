/* reply.h: an HTTP answer as the service builds it (status, type, body);
 * http.c sends it. */
#ifndef HC_ISSUED_REPLY_H
#define HC_ISSUED_REPLY_H

#include "hc.h"

struct reply {
	unsigned status;
	const char *ctype;  /* static string */
	char *body;         /* malloc'd (may be NULL when len is 0) */
	size_t len;
	const char *allow;  /* 405: the Allow header */
};

/* {"error":CODE,"detail":TEXT} with the CODE of status (bad-request,
 * unauthorized, ...). Never fails: without memory the body is a fixed
 * string. */
void reply_error(struct reply *r, unsigned status, const char *fmt, ...) HC_PRINTF(3, 4);
/* The error CODE of an HTTP status ("internal" for an unknown one). */
const char *reply_code(unsigned status);
/* Takes ownership of body (a NUL-terminated JSON text). */
void reply_json(struct reply *r, unsigned status, char *body);
void reply_clear(struct reply *r);

#endif
