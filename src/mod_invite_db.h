/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_db.h - mod_invite's statements on mod_dbd's pooled
 * connections (src/mod_invite_db.c; what a failure means, and the log
 * line that says what to fix, in src/mod_invite_db_error.c).
 */
#ifndef MOD_INVITE_DB_H
#define MOD_INVITE_DB_H

#include <apr_dbd.h>
#include <apr_global_mutex.h>
#include <apr_hash.h>
#include <mod_dbd.h>

#include "mod_invite_private.h"
#include "invite_dbname.h"
#include "invite_sql.h"
#include "invite_status.h"

/* Outcome of a database call, mapped by the handlers to HTTP. */
typedef enum {
    INVITE_DB_OK,
    INVITE_DB_UNAVAILABLE,   /* no connection, lost, busy or locked: 503 */
    INVITE_DB_ERROR,         /* anything else: 500 (logged) */
    /* The database is not one mod_invite can serve until the operator
     * acts (no schema, another schema version, a file or directory httpd
     * cannot write): 503 without Retry-After (logged with the fix). */
    INVITE_DB_MISCONFIGURED
} invite_db_rc_e;

typedef struct {
    request_rec *r;
    server_rec *server;              /* whose mod_dbd pool: r's server,
                                      * or the status page's choice */
    ap_dbd_t *dbd;
    const invite_engine_t *engine;   /* from the connection's driver */
    int in_transaction;
    int writer_locked;               /* holds the SQLite writer lock */
    int writer_lock_cleanup;         /* its safety cleanup is registered */
    apr_dbd_transaction_t *txn;
} invite_db_t;

/* NULL-safe: NULL means the pool has no working connection (503).  The
 * same connection for every call of one request, until released. */
invite_db_t *invite_db_acquire(request_rec *r);
/* Why invite_db_acquire() gave no connection: INVITE_DB_MISCONFIGURED for
 * a SQLite database that is not there (logged), else UNAVAILABLE. */
invite_db_rc_e invite_db_unacquired(const request_rec *r);
/* The connection back to mod_dbd's pool now (an open transaction rolled
 * back, the writer lock let go); later statements fail (INV00110).  The
 * request pool's cleanup does the same for a connection not released.
 * _request: the request's connection, if it has one. */
void invite_db_release(invite_db_t *db);
void invite_db_release_request(request_rec *r);

/* Runs a registered select; args as const char * (NULL binds SQL NULL).
 * Reads every row into *rows (an array of const char ** of ncols each,
 * NULL for SQL NULL) so results never outlive the call half-read. */
invite_db_rc_e invite_db_select(invite_db_t *db, invite_stmt_e stmt,
                                int nargs, const char **args,
                                apr_array_header_t **rows, int *ncols);
invite_db_rc_e invite_db_query(invite_db_t *db, invite_stmt_e stmt,
                               int nargs, const char **args, int *nrows);
/* The host-wide SQLite writer lock (a no-op on pgsql, or when held):
 * taken before any SQLite write, released by invite_db_write_unlock, by
 * invite_db_end, or at the latest when the request ends. */
invite_db_rc_e invite_db_write_lock(invite_db_t *db);
void invite_db_write_unlock(invite_db_t *db);

/* sqlite3 only (INVITE_ENGINE_SQLITE3): BEGIN IMMEDIATE under
 * the host-wide SQLite writer lock. */
invite_db_rc_e invite_db_begin(invite_db_t *db);
/* Commits when every statement succeeded, else rolls back; releases the
 * writer lock. */
invite_db_rc_e invite_db_end(invite_db_t *db, int commit);

/* Database flags come back as "1" or "0" (NULL when SQL NULL). */
int invite_db_flag(const char *value);
/* An integer as a bound statement argument. */
const char *invite_db_int_arg(apr_pool_t *p, long long v);

/* Each server's database (server_rec * -> invite_dbname_t *), for log
 * lines: set in post_config from the configuration tree
 * (src/mod_invite_config_walk.c), forgotten (NULL) in pre_config. */
void invite_db_set_names(apr_hash_t *names);
/* The database a server uses (never NULL). */
const invite_dbname_t *invite_db_name(const server_rec *s);

/* The host-wide SQLite writer lock (Mutex invite-sqlite-writer):
 * pre_config, post_config and child_init. */
apr_status_t invite_db_mutex_register(apr_pool_t *pconf);
apr_status_t invite_db_mutex_create(server_rec *s, int *kept);
void invite_db_mutex_child_init(apr_pool_t *pchild, server_rec *s);
/* child_init of any host-wide mutex made in post_config (the writer
 * lock, the rate limiter's): attaches *mutex (nothing to do when NULL);
 * on failure logs `failure` (a message with its INVLOGNO tag) and sets
 * it NULL. */
void invite_db_mutex_attach(apr_global_mutex_t **mutex, apr_pool_t *pchild,
                            server_rec *s, const char *failure);

/* invite-sync's lag and the join outbox for the server-status page
 * serving r: INVITE_STMT_SYNC_STATUS on the database of the first server
 * (the main server, then the virtual hosts, in configuration order)
 * whose own configuration has InviteDBD On, through a connection of that
 * server's pool released before it returns.  State NONE when no server
 * has InviteDBD On, UNREAD when the database cannot be read. */
void invite_db_sync_status(request_rec *r, invite_sync_status_t *out);

/* Fetches mod_dbd's optional functions (optional_fn_retrieve hook). */
void invite_db_retrieve_optional_fns(void);

#endif
