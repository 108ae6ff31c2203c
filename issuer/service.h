/* service.h: the service's resources (records, codes, revocations, audit,
 * health, metrics) over the registry; no HTTP in here. */
#ifndef HC_ISSUED_SERVICE_H
#define HC_ISSUED_SERVICE_H

#include "config.h"
#include "metrics.h"
#include "registry.h"
#include "reply.h"

#define SVC_MAX_TRIES 16 /* optimistic retries on a concurrent change */
#define SVC_EV_KEEP 4     /* event uploads' workspaces kept for the next */

struct hc_privkey;
struct hc_pubkey;
struct hc_policy;
struct hc_record;
struct hc_claims;
struct publisher;
struct feed;
struct query;
struct held_cache;
struct ev_work;

struct svc {
	const struct cfg *cfg;
	struct reg *reg;
	struct hc_privkey *key;
	struct hc_pubkey *pub;
	struct hc_policy *pol;
	uint8_t id_secret[32];
	struct evp_mac_ctx_st *idmac; /* HMAC-SHA256 keyed with id_secret, copied per use */
	uint64_t idmac_gen;    /* tells this idmac's per-thread copies from another's */
	int64_t max_validity;  /* the trust list's bound for iss, or the default */
	struct publisher *publisher;
	struct metrics m;
	struct feed *feed;     /* the risk-area feed (riskfeed.c), NULL: none */
	struct query *query;   /* the queried sources (query.c), NULL: none */
	struct held_cache *held; /* answers of held codes (held.c), NULL: none */
	/* the workspaces of event uploads done, for the next (events.c) */
	struct ev_work *_Atomic evkeep[SVC_EV_KEEP];
};

/* Who asks: the token's name and role, and the request's id (the audit
 * cause). */
struct caller {
	char name[REG_NAME_LEN];
	char role[REG_ROLE_LEN];
	char reqid[24];
};

enum image { IMG_NONE, IMG_PNG, IMG_SVG };

/* What the code object says. */
struct code_view {
	enum hc_status st;
	const char (*why)[HC_WHY_LEN];
	size_t nwhy;
	const char *pol, *jti, *name, *id, *jws;
	const char *qr; /* jws's QR text when the caller has it, else NULL */
	int64_t iat, exp;
};
/* service_code.c: v's answer in r: the code object as JSON (with the QR
 * as SVG when svg), or the QR alone (img); a 500 when it cannot be made. */
void code_reply(const struct code_view *v, enum image img, bool svg, struct reply *r);
struct held_ticket;
struct reg_person;
/* The cached answer of key's held code while it still stands at now (its
 * status the policy's over the cached inputs, not near its expiry);
 * false: ask the registry. */
bool svc_held_cached(struct svc *s, const char *key, struct reply *r);
/* The answer of p's held code (p read after ticket t; t NULL: not kept
 * in the cache) when it still stands at now, c being the policy's over
 * rec, p's inputs parsed (svc_record_of_inputs); true with the answer
 * (or its error) in r. */
bool svc_held_reply(struct svc *s, const char *key, const struct reg_person *p,
		    const struct hc_record *rec, const struct hc_claims *c, int64_t now,
		    enum image img, bool svg, const struct held_ticket *t, struct reply *r);
/* A cache miss's plain JSON answer of key's held code from the registry,
 * without a job; false (nothing in r): anything else, for the job. */
bool svc_held_read(struct svc *s, const char *key, struct reply *r);

/* Opens the registry, loads the key, the id secret, the policy and the
 * trust directory of c; msg says what failed. */
hc_err svc_open(const struct cfg *c, struct svc **out, char *msg, size_t msgsz) HC_WUR;
void svc_close(struct svc *s);

/* The id secret: 32 bytes from a file of exactly that size, mode 0600. */
hc_err svc_load_secret(const char *path, uint8_t out[32]) HC_WUR;

/* Records and codes: SVC_ANSWERED with the answer in r; or SVC_WAITING
 * when the job's change waits for its commit (reg_apply_async) without
 * holding the thread: wake(arg) is called once, from the registry's
 * writer thread (so it must be quick and not call into the registry),
 * after that commit; the caller then calls svc_job_step(jp, again, r)
 * (in any thread but not in wake), which again answers (true) or waits
 * (false: another try after a concurrent change; !again: a 503 instead).
 * *jp is the job while it waits, else NULL; who must outlive it.
 * svc_job_free frees a job that is not waiting (a request whose
 * connection ended before its answer went). !may_block: when a queried
 * source must be asked first (an HTTPS call of up to its timeout),
 * SVC_MUST_BLOCK with nothing done and nothing in r: the caller calls
 * again, with may_block, from a thread that may wait that long. */
struct svc_job;
typedef void svc_wake_fn(void *arg);
enum svc_done { SVC_ANSWERED, SVC_WAITING, SVC_MUST_BLOCK };
enum svc_done svc_records(struct svc *s, const struct caller *who, const char *body, size_t n,
			  bool svg, bool may_block, svc_wake_fn *wake, void *arg,
			  struct svc_job **jp, struct reply *r) HC_WUR;
enum svc_done svc_codes(struct svc *s, const struct caller *who, const char *body, size_t n,
			enum image img, bool svg, bool may_block, svc_wake_fn *wake, void *arg,
			struct svc_job **jp, struct reply *r) HC_WUR;
bool svc_job_step(struct svc_job **jp, bool again, struct reply *r) HC_WUR;
void svc_job_free(struct svc_job *j);
void svc_revocations(struct svc *s, const struct caller *who, const char *body, size_t n,
		     struct reply *r);
/* after and limit: the query arguments as given (NULL when absent). */
void svc_audit(struct svc *s, const char *after, const char *limit, struct reply *r);
void svc_healthz(struct svc *s, struct reply *r);

/* Re-evaluates n people (HMAC keys) under the policy and the risk-area
 * list in force, with no new inputs: read in one read transaction
 * (reg_people_get), evaluated, and those whose status differs from the
 * stored one stored together (reg_apply_many: normally one commit), each
 * revoking the codes it makes untrue, audited with actor and cause,
 * durable before it returns; wakes the publisher. A person that met a
 * concurrent change is read again. errs[i]: HC_OK, HC_ERR_NOT_FOUND for
 * an unknown person, HC_ERR_CONFLICT after SVC_MAX_TRIES, or the person's
 * error, with its detail in details[i] when details is not NULL ("" for
 * the others); changed[i]: whether the status changed. Another error (out
 * of memory, the registry) is returned, and the people not done keep
 * HC_ERR_CONFLICT. */
hc_err svc_reevaluate_many(struct svc *s, const char *actor, const char *cause,
			   const char *const *keys, size_t n, hc_err *errs,
			   char (*details)[REG_DETAIL_LEN], bool *changed) HC_WUR;

/* The risk-area list in force (issuer/riskfeed.c), NULL when none; a
 * reference the caller drops with svc_risk_put (lists are replaced while
 * requests use the old one). */
struct hc_risk *svc_risk_get(struct svc *s);
void svc_risk_put(struct svc *s, const struct hc_risk *r);
/* The feed of cfg->feed (none when its url is empty): loads the list held
 * by the last run (verified again), then starts the thread that fetches
 * every cfg->feed.every seconds and, on a new list, re-evaluates the
 * people it concerns (svc_reevaluate_many). Start it after the publisher. */
hc_err svc_feed_start(struct svc *s, char *msg, size_t msgsz) HC_WUR;
void svc_feed_stop(struct svc *s);
/* False (why set) when the feed has not answered with a usable list for
 * longer than cfg->feed.grace. */
bool svc_feed_ok(struct svc *s, char *why, size_t n);
/* Appends the feed's metrics to the text *text of *n bytes. */
hc_err svc_feed_metrics(struct svc *s, char **text, size_t *n) HC_WUR;
void svc_metrics(struct svc *s, struct reply *r);

/* The queried sources of cfg->sources (query.c): svc_query asks each
 * source whose answer about the person (key; id the full identity number,
 * sent to the source only; mname and mid the masked name and id of a new
 * person, NULL for one that must exist) is older than its max_age, and
 * stores what it says as the person's inputs, durable before it returns.
 * A source that cannot answer: HC_ERR_UNAVAILABLE, the detail naming the
 * source and why. An unknown person with mname NULL: HC_OK, nothing asked. */
hc_err svc_query_open(struct svc *s) HC_WUR;
/* HC_ERR_EXISTS (the detail names it) when a token bears the name of a
 * source: inputs name who supplied them, tokens and sources alike. */
hc_err svc_query_names_ok(struct svc *s) HC_WUR;
void svc_query_close(struct svc *s);
hc_err svc_query(struct svc *s, const struct caller *who, const char *key, const char *id,
		 const char *mname, const char *mid) HC_WUR;
/* Whether svc_query may ask a source about key: one's answer is not
 * known to be within its max_age (an unknown person counts: svc_query
 * tells). Reads the registry at most, asks nobody. */
bool svc_query_due(struct svc *s, const char *key);

/* The person key of a full identity number: base64url(HMAC-SHA256(id
 * secret, id)). */
hc_err svc_person_key(const struct svc *s, const char *id, char out[REG_KEY_LEN + 1]) HC_WUR;
/* The same for many ids: a copy of the keyed HMAC (NULL: out of memory;
 * EVP_MAC_CTX_free it), then svc_person_key_with for each id. */
struct evp_mac_ctx_st *svc_idmac_copy(const struct svc *s);
hc_err svc_person_key_with(struct evp_mac_ctx_st *m, const char *id,
			   char out[REG_KEY_LEN + 1]) HC_WUR;
/* The policy over rec at now with the risk-area list in force. */
hc_err svc_policy_apply(struct svc *s, const struct hc_record *rec, int64_t now,
			struct hc_claims *c) HC_WUR;

/* A person's stored inputs (reg_person.inputs) as a record with the
 * masked name and id ("-" for a person not yet named). */
hc_err svc_record_of_inputs(const char *inputs, const char *mname, const char *mid,
			    struct hc_record **rec) HC_WUR;

/* POST /v1/events (issuer/events.c): body is JSON lines, one event each;
 * who's role limits the types. Answers one verdict per line; every
 * accepted line is durable before it returns. */
#define EVENTS_MAX_BODY (16u << 20)
/* Frees the workspaces kept (svc_close). */
void svc_events_work_free(struct svc *s);
void svc_events(struct svc *s, const struct caller *who, const char *body, size_t n,
		struct reply *r);

#endif
