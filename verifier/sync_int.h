/* sync_int.h: what the files of hc-verify sync share: the on-disk side
 * (sync_store.c) and the run (sync.c, sync_check.c, sync_install.c). */
#ifndef HC_SYNC_INT_H
#define HC_SYNC_INT_H

#include <cjson/cJSON.h>

#include "verifier.h"

/* Test-only: when the environment variable HC_TEST_CRASH_AT equals name,
 * the process kills itself (SIGKILL) there, as a power cut would stop it.
 * The crash-injection test (tests/trust_attack.sh) names each point. */
void sync_crash_point(const char *name);

/* Takes the exclusive lock DIR/sync.lock (created if needed), waiting up to
 * wait seconds for another sync to finish; *fd holds it until closed.
 * HC_ERR_IO with a detail when it cannot. */
hc_err sync_lock(const char *dir, long wait, int *fd) HC_WUR;

/* A generation being staged: DIR/gen/N, after DIR/gen/OLD (0: none, the
 * directory is laid out by hand). */
struct sync_gen {
	unsigned long long old, n;
	char path[4096];
};
/* Removes generations other than the current one (left by earlier runs,
 * finished or not) and creates an empty new one with revocations/. */
hc_err sync_gen_begin(const char *dir, struct sync_gen *g) HC_WUR;
/* Puts rel (relative to the generation) into it: a hard link to from when
 * given and possible (an unchanged file), else body written and fsynced. */
hc_err sync_gen_put(const struct sync_gen *g, const char *rel, const uint8_t *body, size_t len,
		    const char *from) HC_WUR;
/* fsyncs the staged generation's directories, then makes it current with
 * one rename of DIR/current.tmp over DIR/current, and fsyncs DIR. */
hc_err sync_gen_switch(const char *dir, const struct sync_gen *g) HC_WUR;
/* After the switch: removes the other generations and, after the first
 * switch, the files of the layout by hand (no longer read). */
void sync_gen_cleanup(const char *dir, const struct sync_gen *g);
/* Without a new generation: the same cleanup around the current one. */
void sync_gen_tidy(const char *dir);
/* After a failure before the switch: removes the staged generation. */
void sync_gen_abandon(const struct sync_gen *g);

/* DIR/baseline.json: {"trustlist":{"seq","sha256"}, "revocations":{ISS:
 * {"seq","sha256"}}, "snapshot":{"seq"}, ...}. A missing file reads as an
 * empty object; a damaged one is an error (HC_ERR_TRUST_DIR). */
hc_err sync_baseline_read(const char *dir, cJSON **out) HC_WUR;
/* Writes b durably (temporary file, fsync, rename, fsync of DIR). */
hc_err sync_baseline_write(const char *dir, const cJSON *b) HC_WUR;
/* The entry key of group (NULL: top level): false when there is none. */
bool sync_baseline_get(const cJSON *b, const char *group, const char *key, int64_t *seq,
		       char sha[65]);
/* Sets the entry to seq and sha (may be NULL) unless it holds a higher seq. */
hc_err sync_baseline_raise(cJSON *b, const char *group, const char *key, int64_t seq,
			   const char *sha) HC_WUR;

/* ---- the run (sync.c, sync_check.c, sync_install.c) ---- */
#define STATE_FILE "sync-state.json"

/* Longest DIR: DIR/rel (rel < 300) and URL/rel (URL < 2048) fit 4096. */
#define MAX_DIR 2048

struct sync_item {
	char rel[300];          /* path relative to DIR and to URL */
	uint8_t *held, *body;   /* held: current file; body: the new contents */
	size_t held_len, len;
	bool named;             /* named by the trust list (fetched) */
	bool drop;              /* a held stray that no longer verifies: removed */
	bool foreign;           /* foreign.jws (baseline "foreign", not per issuer) */
	char owner[256];        /* named: the issuer that names this path */
	char iss[256];          /* a revocation list: the issuer it holds */
	uint8_t digest[32];     /* a revocation list, foreign.jws: SHA-256 of its payload */
	char etag[FETCH_ETAG_LEN];
	int64_t last_modified;
	int64_t old_seq, new_seq;
	size_t count;
};

/* One hc-verify sync run. */
struct sync {
	const char *dir, *url;
	char data[4096]; /* the held generation (or DIR when laid out by hand) */
	cJSON *base;     /* the durable baselines, DIR/baseline.json */
	struct hc_snapshot *snap; /* the snapshot fetched, when the list names its key */
	uint8_t *snap_body;
	size_t snap_len;
	bool snap_same; /* the snapshot held is the same file */
	struct fetch_opts fo;
	const char *hint; /* what to do about the first failed fetch, or NULL */
	struct hc_trust *t;
	const struct hc_trust *held; /* the directory as it loads now, or NULL */
	cJSON *state; /* previous sync-state.json, or NULL */
	struct sync_item *items;
	size_t n;
};

/* Whether the new bytes of it are the held ones. */
bool sync_same(const struct sync_item *it);
/* Whether the new set matches the durable baselines of b: no file's seq
 * below the highest installed before, an equal seq only for the same
 * contents, a snapshot when one is required. HC_ERR_ROLLBACK or
 * HC_ERR_SNAPSHOT with a detail otherwise. */
hc_err sync_baseline_check(const struct sync *s, const cJSON *b) HC_WUR;
/* Verifies one revocation list it under the new trust list: a named path
 * must hold its own issuer's list, and no seq may go below what was held
 * (sync_check.c). */
hc_err sync_check_revocations(struct sync *s, struct sync_item *it) HC_WUR;
/* Fetches URL/snapshot.jws when the new trust list names a snapshot key:
 * signed by that key, not expired, and not older than the one held. */
hc_err sync_fetch_snapshot(struct sync *s) HC_WUR;
/* Installs the verified set as a new generation (see sync_install.c). */
hc_err sync_install(struct sync *s) HC_WUR;

#endif
