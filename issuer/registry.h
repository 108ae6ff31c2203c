/* registry.h: the office's registry behind a narrow interface. One backend
 * today (registry_sqlite.c: SQLite, WAL, synchronous=FULL, group commit);
 * a PostgreSQL backend can implement the same functions. Every function
 * may be called from any thread. Nothing here ever sees a full identity
 * number: a person is their key, base64url HMAC-SHA256(id secret, ID). */
#ifndef HC_REGISTRY_H
#define HC_REGISTRY_H

#include "hc.h"
#include "hc_token.h"

#define REG_KEY_LEN 43   /* base64url of 32 bytes */
#define REG_JTI_LEN 22   /* base64url of 16 bytes */
#define REG_NAME_LEN 64  /* token names, actors */
#define REG_ROLE_LEN 32

struct reg;

/* create: makes a new registry file (HC_ERR_EXISTS if path exists), mode
 * 0600, with its schema. Otherwise opens an existing one and checks its
 * schema version (HC_ERR_STORE with a detail when it is not ours, or of
 * version 1). */
hc_err reg_open(const char *path, bool create, struct reg **out) HC_WUR;
/* As reg_open of an existing registry, but one of version 1 is migrated
 * to version 2 first, in one transaction (a failure leaves it at version
 * 1: HC_ERR_STORE, the detail says so). Only for a caller that holds the
 * registry alone (hc-issued serve, under its lock): a migration under a
 * running service of the previous version would break it. */
hc_err reg_open_migrate(const char *path, struct reg **out) HC_WUR;
/* Waits for queued writes, then closes. */
void reg_close(struct reg *r);

/* ---- API tokens (only their SHA-256 is stored) ---- */
struct reg_token {
	char role[REG_ROLE_LEN];  /* "counter", "app", "admin", "auditor", "source:nat", ... */
	char name[REG_NAME_LEN];  /* unique among tokens */
	int64_t created;
	int64_t revoked;          /* 0: not revoked */
};
/* HC_ERR_EXISTS when name is taken. Audited as "token-add" by actor. */
hc_err reg_token_add(struct reg *r, const uint8_t hash[32], const char *role, const char *name,
		     const char *actor, int64_t now) HC_WUR;
/* HC_ERR_NOT_FOUND when no token has this hash (revoked ones are found,
 * with revoked set). */
hc_err reg_token_find(struct reg *r, const uint8_t hash[32], struct reg_token *out) HC_WUR;
hc_err reg_token_list(struct reg *r, void (*fn)(void *arg, const struct reg_token *t),
		      void *arg) HC_WUR;
/* HC_ERR_NOT_FOUND for an unknown name; revoking twice keeps the first
 * time. Audited as "token-revoke". */
hc_err reg_token_revoke(struct reg *r, const char *name, const char *actor, int64_t now) HC_WUR;

/* ---- people, their inputs and codes ---- */

/* One input of a person: an entry in the record format of doc/FORMATS.md
 * section 5, minified JSON: kind "nat", "vaccinations", "travel" (objects
 * as in a record), "flags" (a JSON string such as "\"close-contact\""),
 * "visits" (objects {"venue","at"} as in a record). Who supplied it (token name), why (request or event
 * id) and when are kept with it. */
struct reg_input {
	const char *kind;
	const char *json;
	const char *source;
	const char *cause;
	int64_t at;
};

struct reg_code {
	char jti[REG_JTI_LEN + 1];
	char person[REG_KEY_LEN + 1];
	enum hc_status st;
	char why[HC_MAX_WHY][HC_WHY_LEN];
	size_t nwhy;
	char policy[64];
	char kid[HC_KID_LEN + 1];
	int64_t iat, exp;
	int64_t revoked_at;                      /* 0: not revoked */
	char superseded_by[REG_JTI_LEN + 1];     /* "" unless superseded */
	char *jws;                               /* malloc'd by reg_person_get */
};

#define REG_KIND_MAX 256

struct reg_person {
	char key[REG_KEY_LEN + 1];
	char name[128], id[64];  /* masked, for display */
	int64_t version;         /* rises with every change to the inputs */
	/* The inputs as a record without "person", malloc'd:
	 * {"nat":[..],"vaccinations":[..],"travel":[..],"flags":[..],
	 * "visits":[..]} (empty arrays left out), entries in the order they
	 * were supplied, at most the newest REG_KIND_MAX of each kind (what a
	 * record holds; the older ones stay in the registry). */
	char *inputs;
	bool has_status;         /* evaluated at least once */
	enum hc_status st;       /* the status the policy last gave */
	/* The newest unrevoked code (by iat, then the later issued), if any,
	 * among those the person's row lists: every code unrevoked and
	 * unexpired at the person's last change, and the newest expired one
	 * (an older expired code, which a valid held code never is, is not
	 * looked for). */
	bool has_held;
	struct reg_code held;
};
/* HC_ERR_NOT_FOUND for an unknown person. */
hc_err reg_person_get(struct reg *r, const char *key, struct reg_person *out) HC_WUR;
void reg_person_clear(struct reg_person *p);
/* n people read in one read transaction (one state), without their held
 * codes (has_held false): errs[i] is HC_OK or HC_ERR_NOT_FOUND (out[i]
 * cleared) for each. Another error stops the reading and is returned. */
hc_err reg_people_get(struct reg *r, const char *const *keys, size_t n, struct reg_person *out,
		      hc_err *errs) HC_WUR;

/* One change to one person, applied atomically and durably:
 * 1. the person is created when new (name and id: masked display);
 * 2. with expect_version >= 0, HC_ERR_CONFLICT if the person's version
 *    differs (the caller re-reads, re-evaluates and retries);
 * 3. each input is added unless the person already holds the same kind
 *    and json (then skipped), audited as action "record" (or "event")
 *    with the actor and cause; each of removes that the person holds
 *    (same kind and json) is deleted, audited as action "event" with why
 *    [kind, "removed"]; any added or removed input raises the version;
 * 4. with has_status: when it differs from the stored status (or none was
 *    stored), audited as "status" from -> to with why and cause, and every
 *    code of the person not revoked, exp > now and st != new status is
 *    revoked at now (superseded_by = code's jti when code is given),
 *    each audited as "revoke"; the stored status becomes st;
 * 5. with code: stored (its jti unique: HC_ERR_EXISTS, never overwritten)
 *    and audited as "issue".
 * With event (a source's event id): after the version check of 2 and
 *    before anything else, (actor, event) is recorded as seen; when it was
 *    seen before, nothing is applied and the result is HC_ERR_EXISTS (a
 *    duplicate).
 * Returns only after the commit holding the change is durable; concurrent
 * changes share commits. *version_out (may be NULL): the version after. */
struct reg_change {
	const char *actor;
	const char *cause;
	const char *action;      /* audit action for the inputs: "record" or "event" */
	int64_t now;
	const char *person, *name, *id;
	int64_t expect_version;  /* -1: no precondition */
	/* The caller read no such person (expect_version 0): the writer
	 * inserts the row without reading it first, and a person made
	 * meanwhile fails the change with HC_ERR_CONFLICT, as a version
	 * would. */
	bool new_person;
	const struct reg_input *inputs;
	size_t ninputs;
	const struct reg_input *removes;  /* kind and json only */
	size_t nremoves;
	const char *event;       /* NULL: not an event */
	/* answer: a queried source's whole answer about the person, the
	 * source named as its inputs' source. After 2, the person's inputs
	 * supplied by that source and not among inputs join removes (those
	 * supplied by anyone else are never touched), and (person, source)
	 * is recorded as answered at now (reg_answered), even when nothing
	 * else changes. NULL: not an answer. */
	const char *answer;
	bool has_status;
	enum hc_status st;
	const char *const *why;
	size_t nwhy;
	const struct reg_code *code;  /* jws must be set */
};
hc_err reg_apply(struct reg *r, const struct reg_change *c, int64_t *version_out) HC_WUR;
/* reg_apply without waiting: c is checked, then queued; HC_OK: done(arg,
 * err, detail, version) is called exactly once, in the writer thread, after
 * the commit holding c has returned (err HC_OK: c is durable; else detail
 * says why), and c (with all it points to) must stay as it is until then.
 * done must be quick (it holds up every other caller of that commit) and
 * must not call into the registry. Else nothing was queued, done is never
 * called, and the error is returned (HC_ERR_UNAVAILABLE: closing). */
typedef void reg_done_fn(void *arg, hc_err err, const char *detail, int64_t version);
hc_err reg_apply_async(struct reg *r, const struct reg_change *c, reg_done_fn *done,
		       void *arg) HC_WUR;
/* n changes at once: each applied (or failed: err[i], with its detail in
 * detail[i] when detail is not NULL) on its own as reg_apply does, all in
 * as few commits as the writer makes (normally one); returns once every
 * one is durable or has failed. version (may be NULL): each version
 * after. HC_ERR_NOMEM when it cannot queue them (nothing applied). */
#define REG_DETAIL_LEN 160
hc_err reg_apply_many(struct reg *r, const struct reg_change *c, size_t n, hc_err *err,
		      char (*detail)[REG_DETAIL_LEN], int64_t *version) HC_WUR;

/* fn(arg, person) in the writer after each commit and before any caller
 * of its changes returns: once for every change to a person (its key),
 * and with person NULL for a revocation (which names a code, not a
 * person). Set before the registry is written. */
void reg_on_change(struct reg *r, void (*fn)(void *arg, const char *person), void *arg);

/* When source last answered for the person (a change with answer): *at;
 * HC_ERR_NOT_FOUND when it never did. */
hc_err reg_answered(struct reg *r, const char *person, const char *source,
		    int64_t *at) HC_WUR;

/* Revokes one code at now (admin): HC_ERR_NOT_FOUND for an unknown jti;
 * a code already revoked keeps its first time (HC_OK, *already = true).
 * *at (when given): the code's time of revocation, now or that first
 * time. Audited as "revoke" with why = {reason}. Durable before it
 * returns. */
hc_err reg_revoke(struct reg *r, const char *jti, const char *reason, const char *actor,
		  const char *cause, int64_t now, bool *already, int64_t *at) HC_WUR;

/* ---- what the publisher and the metrics read ---- */

/* Codes revoked and not yet expired at now (exp > now - 300), by expiry
 * (then jti): fn(jti, revoked_at). The revocation list sorts them by jti
 * itself (hc_revlist_build). */
hc_err reg_revoked(struct reg *r, int64_t now,
		   void (*fn)(void *arg, const char *jti, int64_t at), void *arg) HC_WUR;
/* A durable counter for the office's revocation list: returns the next
 * seq (1 for the first list, then strictly rising, even across restarts). */
hc_err reg_revlist_next_seq(struct reg *r, int64_t *seq) HC_WUR;

/* Audit entries with seq > after, at most limit, in order: fn(seq, line,
 * n) with the entry's exact bytes (no newline). */
hc_err reg_audit_read(struct reg *r, int64_t after, size_t limit,
		      hc_err (*fn)(void *arg, int64_t seq, const char *line, size_t n),
		      void *arg) HC_WUR;
/* The last entry: its seq (0 when none) and the SHA-256 of its line. */
hc_err reg_audit_last(struct reg *r, int64_t *seq, uint8_t hash[32]) HC_WUR;

/* reg_stats's two histograms: REG_HIST_SLOTS counts each, a commit in
 * the first slot whose bound it does not exceed, the last slot for those
 * above every bound. The writer sorts commits by them
 * (registry_sqlite_writer.c), /metrics prints them as its le labels
 * (metrics.c). */
#define REG_HIST_SLOTS 8
/* Changes in a commit: 1, 2-3, 4-7, ..., 64-127, more. */
extern const int64_t reg_batch_le[REG_HIST_SLOTS - 1];
/* A commit's time, microseconds: up to 1, 2, 5, 10, 20, 50, 100 ms, more. */
extern const int64_t reg_commit_le_us[REG_HIST_SLOTS - 1];

struct reg_stats {
	int64_t people;
	int64_t codes[3];       /* unrevoked, unexpired at now (exp > now), by hc_status */
	int64_t revoked;        /* revoked codes the revocation list names at now */
	int64_t audit_seq;
	int64_t commits;        /* group commits so far (this process) */
	int64_t changes;        /* changes committed in them */
	int64_t batch_hist[REG_HIST_SLOTS]; /* commits by their changes (reg_batch_le) */
	int64_t wal_pages;      /* pages the commits appended to the WAL (this process;
				   each is written again by a checkpoint) */
	int64_t commit_hist[REG_HIST_SLOTS]; /* commits by the time of their transaction,
				   changes written and WAL synced (reg_commit_le_us) */
	int64_t commit_us;      /* their time in all, microseconds */
	int64_t self_ck;        /* checkpoints the writer made itself, every change
				   queued meanwhile waiting (this process) */
	int64_t self_ck_us;     /* their time in all, microseconds */
};
/* All read in one snapshot of the registry. codes[] is counted from a
 * census of the unrevoked codes by expiry minute kept in memory (built by
 * the first call, with one read of every code unexpired then; then kept
 * by the writer at each commit), with now's own minute counted in the
 * registry: a call costs the minutes of validity, not the codes. A now
 * before the census's first minute (the clock set back, a time in the
 * past) is counted in the registry, every unexpired code read. Exact as
 * long as the registry's codes are written through this reg alone
 * (hc-issued serve holds its registry alone). */
hc_err reg_stats(struct reg *r, int64_t now, struct reg_stats *out) HC_WUR;

/* An online copy of the registry into path (SQLite backup API). */
hc_err reg_backup(struct reg *r, const char *path) HC_WUR;
/* True when a write transaction can be started (for /healthz). */
bool reg_writable(struct reg *r);
/* The storage's name and version, as it runs ("SQLite 3.40.1"). */
const char *reg_engine(void);

/* ---- exposure: who a changed risk-area entry concerns (risk feed) ---- */

/* fn(key, place) of the two lookups below: place orders the people as
 * their rows lie in the registry (INT64_MAX for a key with no row), so
 * that changes to many people taken in this order share pages. */
typedef void reg_exposed_fn(void *arg, const char *key, int64_t place);
/* Calls fn for each person with a stay (a "travel" input) whose region
 * lies in [lo, hi] (six-digit codes) and whose days overlap [from, to]
 * (dates "YYYY-MM-DD", both included); a person comes once per query.
 * Served by a table of the stays keyed by region. */
hc_err reg_exposed_travel(struct reg *r, const char *lo, const char *hi, const char *from,
			  const char *to, reg_exposed_fn *fn, void *arg) HC_WUR;
/* Calls fn for each visit (a "visits" input) to venue (13 bytes,
 * RRRRRR-NNNNNN) at a time in [from, to); a person may come more than
 * once. Served by a table of the visits keyed by venue. */
hc_err reg_exposed_visits(struct reg *r, const char *venue, int64_t from, int64_t to,
			  reg_exposed_fn *fn, void *arg) HC_WUR;

#endif
