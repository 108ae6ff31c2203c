/* config.h: hc-issued's configuration file (strict JSON, paths relative to
 * the file's directory). */
#ifndef HC_ISSUED_CONFIG_H
#define HC_ISSUED_CONFIG_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "hc.h"

#define CFG_PATH 4096
#define CFG_MAX_FILE (64u << 10)
#define CFG_MAX_SOURCES 4

struct cfg {
	char file[CFG_PATH];           /* the config file itself */
	char listen[128];              /* as written */
	struct sockaddr_storage addr;  /* parsed */
	socklen_t addrlen;
	bool tls;
	char tls_cert[CFG_PATH], tls_key[CFG_PATH];
	char registry[CFG_PATH];
	char iss[256];
	char name[128];
	char region[8];
	char key[CFG_PATH];
	char id_secret[CFG_PATH];
	char policy[CFG_PATH];         /* "" = built-in default-1 */
	int64_t validity;              /* 0 = the policy's */
	char publish[CFG_PATH];
	char revocations[256];         /* path inside publish/ */
	char trust[CFG_PATH];          /* "" = none */
	unsigned threads;              /* 0 = 8 per core (http.c) */
	unsigned jobs;                 /* job threads (blocking handlers); 0 = 4 per core (http.c) */
	unsigned timeout;              /* seconds */
	size_t max_body;               /* bytes */
	unsigned audit_interval;       /* seconds between audit heads */
	/* risk_feed: the national risk-area list over HTTPS (riskfeed.c). */
	struct {
		char url[1024];        /* "" = no feed */
		int64_t every, grace;  /* seconds */
		char cacert[CFG_PATH]; /* "" = the system's CAs */
		char held[CFG_PATH];   /* the list held, kept across restarts */
	} feed;
	/* sources: the sources the service asks (query.c). */
	struct cfg_source {
		char name[64];
		char url[1024];
		char cert[CFG_PATH], key[CFG_PATH], cacert[CFG_PATH]; /* cacert "": system */
		int64_t timeout, max_age; /* seconds */
	} sources[CFG_MAX_SOURCES];
	size_t nsources;
};

/* Loads and checks path. On failure returns the error and writes a
 * message naming the member at fault into msg. Files are not opened. */
hc_err cfg_load(const char *path, struct cfg *c, char *msg, size_t msgsz) HC_WUR;

#endif
