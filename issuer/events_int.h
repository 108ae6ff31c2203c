/* events_int.h: what the two halves of POST /v1/events share: a line
 * checked on its own (events_line.c) and the chunks of lines applied to
 * the registry (events.c). */
#ifndef HC_EVENTS_INT_H
#define HC_EVENTS_INT_H

#include "hc_policy.h"
#include "service.h"

#define MAX_LINE 4096     /* bytes of one line */
#define CHUNK 1000        /* lines whose changes go to the registry together */
#define MAX_TRIES 16      /* a line's retries on a concurrent change */
#define EVENT_LEN 128     /* bytes of an event id */
#define CASE_LEN 64       /* bytes of a case reference */

enum ev_type { EV_NAT, EV_VAC, EV_TRV, EV_VISIT, EV_FLAG, EV__N = M_EV_TYPES };
enum verdict { V_ACCEPTED, V_DUPLICATE, V_REJECTED, V__N = M_EV_VERDICTS };

/* One line. */
struct ev {
	size_t line;
	char event[EVENT_LEN + 1];
	enum ev_type type;
	bool typed;                    /* type is known */
	bool set;                      /* flag: set (true) or cleared */
	char key[REG_KEY_LEN + 1];
	char mname[128], mid[64];
	bool named;
	char *json;                    /* the input's entry, minified */
	/* The record of inputs of a person first seen in this line, as
	 * parsed with the line (has_one; not for a visit, whose line's
	 * record holds no entry): the evaluation then parses nothing. */
	bool has_one;
	struct hc_record_one one;
	char cause[EVENT_LEN + CASE_LEN + 16];
	bool done;
	enum verdict v;
	bool retry;
	char reason[256];
	enum hc_status st;
};

/* The input kind (registry) of each type. */
extern const char *const ev_type_kinds[EV__N];

/* e rejected (its verdict, reason and retry set). */
void ev_reject(struct ev *e, bool retry, const char *fmt, ...) HC_PRINTF(3, 4);
/* The error's name and its detail. */
void ev_reject_err(struct ev *e, bool retry, const char *what, hc_err err);
/* Checks one line into e: its event id, type, role, person and entry;
 * mac is the request's copy of the keyed HMAC (svc_idmac_copy). */
void ev_parse_line(struct evp_mac_ctx_st *mac, const struct caller *who, const char *p,
		   size_t n, struct ev *e);

#endif
