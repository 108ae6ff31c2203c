/* reg_fx.h: helpers shared by the registry's unit tests (t_registry*). */
#ifndef REG_FX_H
#define REG_FX_H

#include <sqlite3.h>

#include "registry.h"

#define NOW 1795392000
#define DAY 86400

/* The test's temporary directory (t_tmpdir), and a path in it (one of 16
 * rotating buffers). fx_cleanup removes it unless HC_KEEP_TMP is set. */
extern const char *dir;
const char *in_dir(const char *name);
void fx_cleanup(void);

/* A person key (43 base64url characters) and a jti (22) from numbers. */
void make_key(int n, char out[REG_KEY_LEN + 1]);
void make_jti(int a, int b, char out[REG_JTI_LEN + 1]);
void make_code(struct reg_code *k, const char *person, const char *jti, enum hc_status st,
	       int64_t iat, int64_t exp);
/* actor counter-1, cause req-1, action record, masked name and id. */
void change_base(struct reg_change *c, const char *person, int64_t now);
/* change_base at NOW, then the one input in and status st; with k and
 * jti, also code jti of that status, valid NOW .. NOW + DAY, made in k. */
void status_change(struct reg_change *c, const char *person, struct reg_input *in,
		   enum hc_status st, struct reg_code *k, const char *jti);

/* Direct SQL, to see what the interface does not show: read only; the
 * first column of the first row of q with one text parameter p (or
 * none), -1 with no row; the second column copied into txt when given. */
sqlite3 *sql_open(const char *path);
int64_t sql_int(sqlite3 *db, const char *q, const char *p, char *txt, size_t n);
/* sqlite3_exec of sql, which fails the running case when it fails;
 * returns SQLite's code. */
int sql_exec(sqlite3 *db, const char *sql);

/* The whole audit chain walked in pages: contiguous from 1, each entry
 * read back strictly (hc_audit_entry_parse), each prev the SHA-256 of the
 * line before, the last hash matching reg_audit_last. walk_chain counts
 * what is wrong in *bad; check_chain fails the running case on any. Both
 * return the number of entries. */
int64_t walk_chain(struct reg *r, int64_t *bad);
int64_t check_chain(struct reg *r);
/* The last audit seq, or -1. */
int64_t audit_seq(struct reg *r);
double now_s(void);

/* reg_audit_read's callback: the entries from seq first on appended to
 * arg (4096 bytes) as "action:jti" words. */
hc_err collect(void *arg, int64_t seq, const char *line, size_t n);
/* One change at iat: person gets code jti of status st, valid iat..exp. */
hc_err apply_code(struct reg *r, const char *person, const char *jti, enum hc_status st,
		  int64_t iat, int64_t exp);

#endif
