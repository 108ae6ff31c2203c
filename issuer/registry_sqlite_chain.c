/* registry_sqlite_chain.c: the audit chain inside the writer's
 * transaction: its end read at the transaction's start (rs_chain_load),
 * each entry chained to the one before and hashed as it is appended
 * (rs_audit_add), and the entries inserted several by one statement
 * before the commit (rs_audit_flush) or forgotten with a job or a
 * transaction that failed (rs_audit_drop). The entries' members are
 * registry_sqlite_write.c's. */
#include <stdlib.h>
#include <string.h>

#include "hc_audit.h"
#include "registry_sqlite.h"

hc_err rs_chain_load(struct conn *c, struct chain *ch)
{
	sqlite3_stmt *s = rs_q(c, S_AUDIT_LAST, "");
	hc_err err = HC_OK;
	int rc;

	memset(ch, 0, sizeof(*ch));
	rs_audit_drop(c, 0);
	if (!s)
		return HC_ERR_STORE;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		ch->seq = sqlite3_column_int64(s, 0);
		if (sqlite3_column_bytes(s, 1) != 32) {
			hc_set_detail("registry: audit entry %lld: stored hash is not 32 bytes",
				      (long long)ch->seq);
			err = HC_ERR_STORE;
		} else {
			memcpy(ch->hash, sqlite3_column_blob(s, 1), 32);
		}
	} else if (rc != SQLITE_DONE) {
		err = rs_dberr(c, "audit");
	}
	rs_done(s);
	return err;
}

void rs_audit_drop(struct conn *c, unsigned keep)
{
	while (c->naud > keep)
		free(c->aud[--c->naud].line);
}

/* The entries not inserted yet, RS_AUDIT_ROWS by one statement (an event
 * appends two entries: inserted one by one they took a quarter of the
 * writer's instructions, half of that each statement's own work), fewer
 * one by one. Forgotten whether they were inserted or not. */
hc_err rs_audit_flush(struct conn *c)
{
	hc_err err = HC_OK;
	unsigned i = 0;

	if (c->naud == RS_AUDIT_ROWS) {
		sqlite3_stmt *s = rs_q(c, S_AUDIT_ADD_ROWS, "");
		int rc = SQLITE_OK;

		for (unsigned k = 0; s && rc == SQLITE_OK && k < RS_AUDIT_ROWS; k++) {
			const struct rs_audit_row *a = &c->aud[k];
			int p = 3 * (int)k + 1;

			rc = sqlite3_bind_int64(s, p, a->seq);
			if (rc == SQLITE_OK)
				rc = sqlite3_bind_blob64(s, p + 1, a->line, a->n, SQLITE_STATIC);
			if (rc == SQLITE_OK)
				rc = sqlite3_bind_blob(s, p + 2, a->hash, 32, SQLITE_STATIC);
		}
		if (s && rc != SQLITE_OK) {
			err = rs_dberr(c, "bind");
			rs_done(s);
		} else {
			err = rs_run(c, s, "audit");
		}
		i = RS_AUDIT_ROWS;
	}
	for (; err == HC_OK && i < c->naud; i++) {
		const struct rs_audit_row *a = &c->aud[i];

		err = rs_run(c, rs_q(c, S_AUDIT_ADD, "ibh", a->seq, a->line, a->n, a->hash),
			     "audit");
	}
	rs_audit_drop(c, 0);
	return err;
}

/* Appends e at the end of the chain: seq and prev are set here. */
hc_err rs_audit_add(struct conn *c, struct chain *ch, struct hc_audit_entry *e)
{
	struct rs_audit_row *a;
	char *line = NULL;
	size_t n = 0;
	hc_err err;

	if (c->naud >= RS_AUDIT_ROWS && (err = rs_audit_flush(c)) != HC_OK)
		return err;
	a = &c->aud[c->naud];
	e->seq = ch->seq + 1;
	memcpy(e->prev, ch->hash, sizeof(e->prev));
	err = hc_audit_entry_encode(e, &line, &n);
	if (err == HC_OK)
		err = hc_sha256_with(&c->sha, (const uint8_t *)line, n, a->hash);
	if (err != HC_OK) {
		free(line);
		return err;
	}
	a->seq = e->seq;
	a->line = line;
	a->n = n;
	c->naud++;
	ch->seq = e->seq;
	memcpy(ch->hash, a->hash, sizeof(ch->hash));
	ch->npend = c->naud;
	return HC_OK;
}
