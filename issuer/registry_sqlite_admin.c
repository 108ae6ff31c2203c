/* registry_sqlite_admin.c: the writer's jobs for tokens (added, revoked,
 * each with its audit entry) and the revocation list's next seq, run
 * inside the writer's transaction as registry_sqlite_write.c's are. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_audit.h"
#include "registry_sqlite.h"

hc_err rs_token_add(struct conn *c, struct chain *ch, const uint8_t hash[32], const char *role,
		    const char *name, const char *actor, int64_t now)
{
	struct hc_audit_entry e = {.at = now, .actor = actor, .action = "token-add", .to = role,
				   .cause = name};
	sqlite3_stmt *s = rs_q(c, S_TOKEN_BY_NAME, "t", name);
	int rc;

	if (!s)
		return HC_ERR_STORE;
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		(void)rs_dberr(c, "token");
	rs_done(s);
	if (rc == SQLITE_ROW) {
		hc_set_detail("token name %s: taken", name);
		return HC_ERR_EXISTS;
	}
	if (rc != SQLITE_DONE)
		return HC_ERR_STORE;
	s = rs_q(c, S_TOKEN_ADD, "htti", hash, role, name, now);
	if (!s)
		return HC_ERR_STORE;
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		(void)rs_dberr(c, "token");
	rs_done(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		hc_set_detail("token %s: the same token is stored already", name);
		return HC_ERR_EXISTS;
	}
	if (rc != SQLITE_DONE)
		return HC_ERR_STORE;
	return rs_audit_add(c, ch, &e);
}

hc_err rs_token_revoke(struct conn *c, struct chain *ch, const char *name, const char *actor,
		       int64_t now)
{
	struct hc_audit_entry e = {.at = now, .actor = actor, .action = "token-revoke",
				   .cause = name};
	char role[REG_ROLE_LEN] = "";
	sqlite3_stmt *s = rs_q(c, S_TOKEN_BY_NAME, "t", name);
	int64_t revoked = 0;
	hc_err err = HC_OK;
	int rc;

	if (!s)
		return HC_ERR_STORE;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 0);

		(void)snprintf(role, sizeof(role), "%s", t ? (const char *)t : "");
		revoked = sqlite3_column_int64(s, 1);
	} else if (rc == SQLITE_DONE) {
		hc_set_detail("token %s: no such token", name);
		err = HC_ERR_NOT_FOUND;
	} else {
		err = rs_dberr(c, "token");
	}
	rs_done(s);
	if (err != HC_OK || revoked > 0)
		return err; /* revoked before: the first time stands */
	err = rs_run(c, rs_q(c, S_TOKEN_REVOKE, "ti", name, now), "token");
	e.from = role;
	if (err == HC_OK)
		err = rs_audit_add(c, ch, &e);
	return err;
}

hc_err rs_next_seq(struct conn *c, int64_t *seq)
{
	sqlite3_stmt *s;
	hc_err err = rs_exec(c, S_SEQ_BUMP, "seq");

	if (err != HC_OK)
		return err;
	s = rs_q(c, S_SEQ_GET, "");
	if (!s)
		return HC_ERR_STORE;
	if (sqlite3_step(s) == SQLITE_ROW)
		*seq = sqlite3_column_int64(s, 0);
	else
		err = rs_dberr(c, "seq");
	rs_done(s);
	return err;
}
