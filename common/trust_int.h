/* trust_int.h: the layout of the trust store, shared by trust.c and verify.c. */
#ifndef HC_TRUST_INT_H
#define HC_TRUST_INT_H

#include "hc_trust.h"

#define MAX_ROOTS 16
#define MAX_ISSUERS 1024
#define MAX_KEYS 16

enum key_status { KEY_ACTIVE, KEY_RETIRED, KEY_REVOKED };

struct trust_key {
	struct hc_pubkey *k;
	int64_t nbf, exp; /* signing window; exp 0: open-ended */
	enum key_status status;
};

struct trust_issuer {
	char iss[256];
	char name[128];
	char region[8];
	char revocations[256];
	struct trust_key keys[MAX_KEYS];
	size_t nkeys;
};

struct trust_list {
	int64_t seq, iat, next_update;
	struct trust_issuer *issuers;
	size_t n;
};

struct hc_trust {
	struct hc_pubkey *roots[MAX_ROOTS];
	size_t nroots;
	struct trust_list list;
};

const struct trust_issuer *hc__trust_issuer(const struct hc_trust *t, const char *iss);

#endif
