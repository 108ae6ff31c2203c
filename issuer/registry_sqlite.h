/* registry_sqlite.h: internals shared by the SQLite registry's files
 * (registry_sqlite*.c): connections with their prepared statements, the
 * audit chain cursor, the writer's jobs and the readers. */
#ifndef HC_REGISTRY_SQLITE_H
#define HC_REGISTRY_SQLITE_H

#include <pthread.h>
#include <sqlite3.h>

#include "registry.h"

/* Every statement, prepared on a connection the first time it is used
 * there and reused after (registry_sqlite_sql.c holds the text). */
enum rs_stmt {
	S_BEGIN,
	S_BEGIN_IMM,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_PERSON,
	S_PERSON_ADD,
	S_PERSON_SET,
	S_PERSON_CODES,
	S_TRAVEL_ADD,
	S_TRAVEL_DEL,
	S_TRAVEL_GC,
	S_VISIT_ADD,
	S_VISIT_DEL,
	S_VISIT_GC,
	S_VISIT_INPUT_ADD,
	S_VISIT_INPUT_DEL,
	S_VISIT_INPUTS,
	S_EVENT_ADD,
	S_ANSWER_GET,
	S_ANSWER_SET,
	S_VISIT_INPUTS_OF,
	S_VISIT_INPUT_TAKE,
	S_CODE_ADD,
	S_CODE_GET,
	S_CODE_REVOKE,
	S_CODE_FULL,
	S_REVOKED,
	S_AUDIT_LAST,
	S_AUDIT_ADD,
	S_AUDIT_ADD_ROWS,
	S_AUDIT_READ,
	S_TOKEN_ADD,
	S_TOKEN_FIND,
	S_TOKEN_BY_NAME,
	S_TOKEN_REVOKE,
	S_TOKENS,
	S_SEQ_BUMP,
	S_SEQ_GET,
	S_N_PEOPLE,
	S_N_CODES,
	S_N_CODES_RANGE,
	S_CODES_BY_EXP,
	S_SNAPSHOT,
	S_N_REVOKED,
	S_N
};

/* Audit entries inserted by one statement (rs_audit_flush). */
#define RS_AUDIT_ROWS 8

struct conn {
	sqlite3 *db;
	sqlite3_stmt *st[S_N];
	struct conn *next;  /* in the pool of idle read connections */
	bool warm;          /* a read connection with the larger page cache */
	bool careful;       /* writer: read a new person first (rs_apply) */
	struct hc_sha256_ctx *sha;  /* the audit entries' hashes (audit_add) */
	/* writer: audit entries chained but not yet inserted, in seq order
	 * (rs_audit_add), each line malloc'd */
	struct rs_audit_row {
		int64_t seq;
		char *line;
		size_t n;
		uint8_t hash[32];
	} aud[RS_AUDIT_ROWS];
	unsigned naud;
	/* writer: the census's changes of the transaction, not committed yet
	 * (rs_census_note) */
	struct rs_delta *dl;
	size_t ndl, capdl;
};

/* The VFS every registry connection opens with: SQLite's default with
 * the writes to the WAL gathered (registry_sqlite_vfs.c); rs_vfs()
 * registers it the first time and gives its name, or NULL (the default)
 * when it could not be. */
#define RS_VFS "hc-wal"
const char *rs_vfs(void);
/* registry_sqlite_pcache.c: SQLite's default page cache wrapped so that
 * a commit's truncation that can drop no page is skipped; installed by
 * rs_vfs before SQLite initializes. rs_pcache_skipped: how many were. */
void rs_pcache_install(void);
unsigned long rs_pcache_skipped(void);
/* Drops db's WAL writes still gathered: those of a transaction rolled
 * back (the connection's rollback hook, set by rs_conn_open). */
void rs_wal_discard(sqlite3 *db);

#define RS_TOKS 16  /* tokens kept by reg_token_find */
#define RS_WARM 4   /* read connections with the larger page cache */

/* An open registry (registry_sqlite.c opens and closes it; the writer's
 * queue is registry_sqlite_writer.c's). */
/* rs_stamp's value: the WAL index header's iChange and both words of
 * its checksum (96 bits: a header rebuilt by another process's recovery
 * starts iChange at 0 again, and only the checksum then tells). */
struct rs_stamp {
	uint32_t v[3];
};

/* registry_sqlite_census.c: the unrevoked codes by expiry minute and
 * status, that reg_stats counts hc_codes from (the file's comment says
 * how it is kept exact). */
#define RS_STATUSES 3  /* reg_stats's codes[] */
struct rs_delta {      /* a code inserted (d +1) or revoked (d -1) */
	int64_t exp;
	int st, d;
};
struct rs_minute {
	int64_t m;                /* exp / 60, rounded down */
	int64_t n[RS_STATUSES];   /* unrevoked codes expiring in it, by status */
};
struct rs_minutes {
	struct rs_minute *b;      /* sorted by m */
	size_t n, cap;
};
enum rs_census_state { RS_CENSUS_NONE, RS_CENSUS_BUILDING, RS_CENSUS_READY };
struct rs_census {
	pthread_mutex_t mu;  /* held by the writer across its COMMIT */
	enum rs_census_state state;
	unsigned gen;        /* builds begun */
	int64_t floor;       /* the first minute held */
	struct rs_minutes min;
	int64_t total[RS_STATUSES];  /* the sum of min */
};

struct job;
struct reg {
	char *path;
	struct conn w;  /* the writer's, used by the writer thread only */
	struct conn ck; /* the checkpointer's */
	pthread_t writer, checkpointer;
	bool ck_started;
	pthread_mutex_t mu;  /* queue, stats, ck_want */
	pthread_cond_t work, ck_work;
	struct job *head, *tail;
	bool stop, ck_want;
	int64_t commits, changes, hist[REG_HIST_SLOTS];
	int64_t commit_hist[REG_HIST_SLOTS], commit_us, self_ck, self_ck_us;  /* reg_stats */
	int64_t wal_frames, wal_last;  /* pages the commits appended; the WAL's length */
	int64_t wal_commits;  /* commits seen by rs_wal_hook */
	int64_t ck_len;  /* the WAL's length when the checkpointer was last asked */
	bool ck_self;    /* the writer checkpoints after its batch (rs_wal_hook,
			    catch_up) */
	pthread_mutex_t pool_mu;
	/* Read connections not in use: the first RS_WARM opened, with a
	 * page cache that holds the tables' and indexes' inner pages, taken
	 * first; the others, opened while those were all in use. */
	struct conn *idle_warm, *idle;
	unsigned nwarm;
	void (*on_change)(void *arg, const char *person);  /* reg_on_change */
	void *on_change_arg;
	/* SQLite's WAL index header, in the shared memory that every process
	 * with the registry open maps (the writer connection's mapping, kept
	 * until reg_close), read by rs_stamp; NULL: none, nothing cached. */
	const volatile uint32_t *walhdr;
	/* Tokens found, each with the stamp of before it was read
	 * (registry_sqlite_read.c). */
	pthread_mutex_t tok_mu;
	struct rs_tok {
		uint8_t hash[32];
		struct rs_stamp stamp;
		struct reg_token t;
		bool used;
	} tok[RS_TOKS];
	unsigned tok_next;
	struct rs_census census;
};

/* The end of the audit chain inside the writer's transaction; npend: of
 * its entries, those not inserted yet (the connection's naud). */
struct chain {
	int64_t seq;
	uint8_t hash[32];
	unsigned npend;
};

/* registry_sqlite_sql.c: connections, schema, statements, checks. */
hc_err rs_conn_open(struct conn *c, const char *path, bool writer) HC_WUR;
hc_err rs_conn_pragmas(struct conn *c, bool writer) HC_WUR;
/* The page cache of a read connection: warm (struct reg's idle_warm) or
 * not. */
hc_err rs_conn_cache(struct conn *c, bool warm) HC_WUR;
void rs_conn_close(struct conn *c);
hc_err rs_schema_create(struct conn *c) HC_WUR;
/* The file's schema version (HC_ERR_STORE when it is not a registry). */
hc_err rs_schema_version(struct conn *c, const char *path, int64_t *ver) HC_WUR;
hc_err rs_schema_check(struct conn *c, const char *path, bool migrate) HC_WUR;
/* The tables added after version 1 (CREATE ... IF NOT EXISTS), so that a
 * registry made by an older program opens and gains them. */
hc_err rs_schema_extend(struct conn *c) HC_WUR;
hc_err rs_dberr(struct conn *c, const char *what);
/* The statement id with its parameters bound in order from fmt: 't' text
 * (NULL binds NULL), 'i' int64_t, 'I' int64_t
 * (negative binds NULL), 'h' 32-byte blob, 'b' blob and size_t.
 * NULL (detail set) on failure. rs_done resets it for its next use. */
sqlite3_stmt *rs_q(struct conn *c, enum rs_stmt id, const char *fmt, ...);
void rs_done(sqlite3_stmt *s);
/* Steps a statement with no rows to the end (and resets it). */
hc_err rs_run(struct conn *c, sqlite3_stmt *s, const char *what) HC_WUR;
hc_err rs_exec(struct conn *c, enum rs_stmt id, const char *what) HC_WUR;
/* Ends a transaction that is open (after a failure). */
void rs_rollback(struct conn *c);
bool rs_is_b64u(const char *s, size_t len);
/* Column col of s as text into out (n bytes, cut), "" for NULL
 * (registry_sqlite_read.c). */
void rs_copy_col(sqlite3_stmt *s, int col, char *out, size_t n);
/* Bytes (with the NUL) of a cause or a revocation reason. */
#define RS_MAX_TEXT 256
/* True when s is set, shorter than cap and free of control characters
 * (detail names what otherwise). */
bool rs_name_ok(const char *s, size_t cap, const char *what);
hc_err rs_change_check(const struct reg_change *c) HC_WUR;
/* An input kind's index, or -1 when it is not one. */
int rs_kind_index(const char *kind);
/* The kind of an index (NULL when it is not one). */
const char *rs_kind_name(int i);

/* registry_sqlite_write.c: the writer's jobs, inside its transaction. */
hc_err rs_apply(struct conn *c, struct chain *ch, const struct reg_change *x,
		int64_t *version) HC_WUR;
hc_err rs_revoke(struct conn *c, struct chain *ch, const char *jti, const char *reason,
		 const char *actor, const char *cause, int64_t now, bool *already,
		 int64_t *when) HC_WUR;
hc_err rs_token_add(struct conn *c, struct chain *ch, const uint8_t hash[32], const char *role,
		    const char *name, const char *actor, int64_t now) HC_WUR;
hc_err rs_token_revoke(struct conn *c, struct chain *ch, const char *name, const char *actor,
		       int64_t now) HC_WUR;
hc_err rs_next_seq(struct conn *c, int64_t *seq) HC_WUR;
/* registry_sqlite_chain.c: the audit chain's end, read at the start of
 * the writer's transaction (the pending entries forgotten). */
hc_err rs_chain_load(struct conn *c, struct chain *ch) HC_WUR;
struct hc_audit_entry;
/* Appends e at the end of the chain: seq and prev are set there. The entry is inserted into the audit table
 * with the next RS_AUDIT_ROWS - 1 or by rs_audit_flush, which the writer
 * calls before its commit (and after each job when it runs them in
 * savepoints); rs_audit_drop forgets those not inserted past the first
 * keep (a job that failed before it wrote anything, a transaction rolled
 * back; rs_chain_load forgets them all). */
hc_err rs_audit_add(struct conn *c, struct chain *ch, struct hc_audit_entry *e) HC_WUR;
hc_err rs_audit_flush(struct conn *c) HC_WUR;
void rs_audit_drop(struct conn *c, unsigned keep);

/* registry_sqlite_row.c: a person's inputs and codes inside their row
 * (the format is described there). An input points into the row's blob
 * or into a change's strings. */
#define RS_KINDS 5
#define RS_KIND_VISITS 4  /* kept in visit_inputs, not in the row */
struct rs_in {
	int kind;  /* rs_kind_index */
	const char *json, *source, *cause;  /* cause NULL: none */
	size_t njson, nsource, ncause;
	int64_t at;
};
struct rs_live {
	char jti[REG_JTI_LEN + 1];
	int st;
	int64_t iat, exp;
};
struct rs_row {
	struct rs_in *in;
	size_t nin, capin;
	struct rs_live *code;
	size_t ncode, capcode;
	uint8_t *blob;  /* the inputs' bytes that in[] points into */
};
hc_err rs_row_decode(struct rs_row *w, const void *inputs, size_t ni, const void *codes,
		     size_t nc) HC_WUR;
/* Both blobs malloc'd (never NULL on success, even when empty). */
hc_err rs_row_encode(const struct rs_row *w, uint8_t **in, size_t *ni, uint8_t **codes,
		     size_t *nc) HC_WUR;
void rs_row_free(struct rs_row *w);
hc_err rs_row_add_input(struct rs_row *w, const struct rs_in *in) HC_WUR;
hc_err rs_row_add_code(struct rs_row *w, const struct rs_live *k) HC_WUR;
void rs_row_drop_input(struct rs_row *w, size_t i);
void rs_row_drop_code(struct rs_row *w, size_t i);
/* The index of the same kind and json, or -1. */
long rs_row_find_input(const struct rs_row *w, int kind, const char *json, size_t n);
/* The held code: the last issued (whatever its iat, which a clock
 * stepped back makes earlier); -1 when none. */
long rs_row_held(const struct rs_row *w);
/* Drops the codes expired at now but the last issued of them; true when
 * it dropped one. */
bool rs_row_prune(struct rs_row *w, int64_t now);
/* The held code's copy in its person's row (registry_sqlite_row.c): its
 * entry of the codes blob and the codes table's other columns that its
 * answer needs, the texts unterminated. */
struct rs_held {
	struct rs_live k;
	const char *policy, *kid, *why, *jws;
	size_t npolicy, nkid, nwhy, njws;
};
/* The copy's bytes (malloc'd). */
hc_err rs_held_encode(const struct rs_held *h, uint8_t **out, size_t *n) HC_WUR;
/* h pointing into b; false when b does not parse exactly. */
bool rs_held_decode(const void *b, size_t n, struct rs_held *h);

/* registry_sqlite_query.c: a queried source's answer (reg_change.answer):
 * the inputs of x->answer that w and the person's visits hold and that
 * x->inputs lacks, as removes (kind and json, malloc'd with their texts:
 * rs_answer_free), and the time of the answer recorded. */
hc_err rs_answer_apply(struct conn *c, const struct reg_change *x, const struct rs_row *w,
		       struct reg_input **rm, size_t *nrm) HC_WUR;
void rs_answer_free(struct reg_input *rm, size_t n);
/* A change that is not an answer supplies an input the person holds from
 * another: the held input becomes the change's (source, cause, time), so
 * that the first supplier's next answer does not remove it. True (or
 * *took) when it did. */
bool rs_answer_takeover(const struct reg_change *x, struct rs_in *held, const struct rs_in *add);
hc_err rs_answer_takeover_visit(struct conn *c, const struct reg_change *x,
				const struct reg_input *in, bool *took) HC_WUR;

/* registry_sqlite_exposure.c: the queries of a venue's visits inside a
 * window (?1 venue, ?2 from, ?3 to) and of the stays in regions ?1 .. ?2
 * overlapping days ?3 .. ?4, which the tests explain. */
extern const char rs_q_visits[];
extern const char rs_q_travel[];

/* registry_sqlite_migrate.c: a registry of schema version 1 brought to
 * version 2 in one transaction (on the writer's connection, at open). */
extern const char rs_schema_v1[];
/* Version 2's people, codes, travel and visits (registry_sqlite_sql.c). */
extern const char rs_schema_v2_people[];
hc_err rs_migrate_v1(struct conn *c, const char *path) HC_WUR;

/* registry_sqlite_census.c. rs_census_note: a change of the writer's job
 * to the unrevoked codes (d +1: a code inserted; -1: revoked), pending in
 * c (c->ndl: the writer truncates it to a mark when a job or a savepoint
 * fails, to 0 when the transaction ends). rs_census_apply: c's pending
 * changes added to the census, then dropped; called with the census's
 * lock held, right after the COMMIT that made them durable. */
hc_err rs_census_note(struct conn *c, int64_t exp, int st, int d) HC_WUR;
void rs_census_apply(struct rs_census *k, struct conn *c);
void rs_census_free(struct rs_census *k);
/* reg_stats's codes[] at now, in c's read transaction (just begun: the
 * census fixes its snapshot). */
hc_err rs_census_codes(struct reg *r, struct conn *c, int64_t now,
		       int64_t codes[RS_STATUSES]) HC_WUR;

/* registry_sqlite.c: the pool of read connections. */
hc_err rs_read_get(struct reg *r, struct conn **out) HC_WUR;
void rs_read_put(struct reg *r, struct conn *c);
/* A value that changes with every commit to the registry, by any process
 * (false: not known, so nothing may be kept). No lock, no system call. */
bool rs_stamp(const struct reg *r, struct rs_stamp *out);

/* registry_sqlite_writer.c: the writer and checkpointer threads (started
 * by reg_open, arg the struct reg), the WAL hook that wakes the
 * checkpointer, the commit counters. */
void *rs_writer_main(void *arg);
void *rs_checkpointer_main(void *arg);
int rs_wal_hook(void *arg, sqlite3 *db, const char *name, int frames);
void rs_stats_counters(struct reg *r, struct reg_stats *out);

#endif
