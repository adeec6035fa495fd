/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_db_error.h - what a failed database call means, and the log
 * lines that say what to fix (src/mod_invite_db_error.c).  Part of
 * mod_invite_db.c, the only file that includes it; each call needs the
 * request's connection (db->dbd).
 */
#ifndef MOD_INVITE_DB_ERROR_H
#define MOD_INVITE_DB_ERROR_H

#include "mod_invite_db.h"

/* The driver's message for failure rv, copied. */
const char *invite_db_error_text(invite_db_t *db, int rv);
/* The message says a DBDParams timeout ended the statement. */
int invite_db_error_timed_out(const char *msg);
/* The message says the server refused a write as read-only (a standby). */
int invite_db_error_read_only(const char *msg);
/* The message says "not there or not free right now", not "wrong". */
int invite_db_error_transient(const char *msg);
/* The failure rv of `what` (a statement's label, BEGIN, ...) logged and
 * mapped: INVITE_DB_UNAVAILABLE, INVITE_DB_ERROR, or for a read-only
 * SQLite database INVITE_DB_MISCONFIGURED. */
invite_db_rc_e invite_db_error_classify(invite_db_t *db, const char *what,
                                        int rv, int up, const char *msg);

/* SQLite's file and directory are writable by httpd's user: INVITE_DB_OK,
 * else INVITE_DB_MISCONFIGURED logged with the fix. */
invite_db_rc_e invite_db_error_sqlite_access(invite_db_t *db);
/* The SQLite file the connection has open is still the configured one:
 * INVITE_DB_OK, else INVITE_DB_MISCONFIGURED logged. */
invite_db_rc_e invite_db_error_sqlite_moved(invite_db_t *db);

/* The driver's message says that a table is missing. */
int invite_db_error_no_such_table(const char *msg);
/* The fix for a database without the schema, or with another version:
 * "run \"invitectl ... COMMAND\"". */
const char *invite_db_error_hint(invite_db_t *db, const char *command);
/* Logs that the database has no mod_invite schema, with the fix;
 * returns INVITE_DB_MISCONFIGURED. */
invite_db_rc_e invite_db_error_no_schema(invite_db_t *db);

#endif
