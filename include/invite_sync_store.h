/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_sync_store.h - invite-sync's SQL side, free of httpd and of
 * MongoDB I/O (src/sync/invite_sync_store.c, src/sync/invite_sync_copy.c):
 *
 *  - apply one change event of Rocket.Chat's MongoDB (a bson_t as the
 *    change stream delivers it, fullDocument: updateLookup) to SQL,
 *    idempotently: each event means "make SQL equal this document now";
 *  - the full copy: documents staged in batches, then one transaction that
 *    diff-applies them and stores the resume token;
 *  - sync_state, the lease, the join outbox.
 *
 * The mapping is docs/import.md's (the retired one-shot import's).  All
 * SQL is in src/invite_sql.c (invite_sync_sql).
 *
 * Transactions: invite_sync_store_begin / _commit / _rollback bracket a
 * batch (SQLite: BEGIN IMMEDIATE under PRAGMA busy_timeout; PostgreSQL:
 * BEGIN).  Every other call runs in the caller's open transaction if there
 * is one, else in one of its own (committed before it returns), except
 * invite_sync_apply_event, which requires an open transaction, and the
 * copy, which manages its own.  While a copy is staging, a write of its own
 * (lease, heartbeat, outbox) still commits at once.
 *
 * Return codes: INVITE_SYNC_OK (0) and the values below.  After
 * INVITE_SYNC_DB_ERROR inside a transaction, roll it back and retry the
 * batch later; invite_sync_store_error() says why.
 */
#ifndef INVITE_SYNC_STORE_H
#define INVITE_SYNC_STORE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <bson/bson.h>

typedef struct invite_sync_store_s invite_sync_store_t;

enum {
    INVITE_SYNC_OK = 0,
    INVITE_SYNC_RESYNC = 1,       /* invalidate, drop, rename, dropDatabase:
                                   * run the full copy */
    INVITE_SYNC_DB_ERROR = -1,    /* roll back, retry later */
    INVITE_SYNC_BAD_EVENT = -2    /* not a change event (no operationType,
                                   * no ns): counted as skipped */
};

/* What an apply, a batch or a switch did.  Add them up freely. */
typedef struct {
    long applied;     /* events / documents that changed SQL */
    long unchanged;   /* events that found SQL already equal (no write) */
    long skipped;     /* malformed, missing user or room (FK), or not a
                       * change event: nothing written for that part */
    long deleted;     /* delete events that removed a row */
    long ignored;     /* other collections, fullDocument null */
} invite_sync_counts_t;

/* The collections followed, in copy order (users and rooms before the
 * subscriptions that need them): */
#define INVITE_SYNC_USERS         "users"
#define INVITE_SYNC_ROOMS         "rocketchat_room"
#define INVITE_SYNC_SUBSCRIPTIONS "rocketchat_subscription"
#define INVITE_SYNC_PERMISSIONS   "rocketchat_permissions"
#define INVITE_SYNC_NCOLL 4
/* Those four names in that order, NULL-terminated. */
extern const char *const invite_sync_collections[];
/* Not followed: Rocket.Chat's invite links, copied once, on request
 * (invite_sync_copy_invites), when mod_invite takes the invite API over. */
#define INVITE_SYNC_INVITES       "rocketchat_invites"
/* The find projection of a followed collection or of rocketchat_invites
 * (canonical Extended JSON of a document: the fields of docs/import.md,
 * nothing secret beyond the login tokens); NULL for another collection.
 * Usable in a change stream's $project as "fullDocument.<field>" too. */
const char *invite_sync_projection(const char *coll);

/* sync_state keys. */
#define INVITE_SYNC_KEY_RESUME_TOKEN   "resume_token"   /* canonical ExtJSON */
#define INVITE_SYNC_KEY_SOURCE         "source"         /* setName/db */
#define INVITE_SYNC_KEY_LAST_EVENT_AT  "last_event_at"  /* epoch ms */
#define INVITE_SYNC_KEY_LAST_OK_AT     "last_ok_at"     /* epoch ms */
#define INVITE_SYNC_KEY_LAST_FULL_COPY "last_full_copy_at" /* epoch ms */

/* ------------------------------------------------------------ connection */

/* Opens driver ("sqlite3", "pgsql") with DBDParams params, prepares the
 * statements and checks the schema version (INVITE_SCHEMA_VERSION).
 * The store allocates in a subpool of p.  On failure *err says why (no
 * secret: the params are never quoted).  apr_dbd_init must have run. */
apr_status_t invite_sync_store_open(invite_sync_store_t **st, apr_pool_t *p,
                                    const char *driver, const char *params,
                                    const char **err);
void invite_sync_store_close(invite_sync_store_t *st);
/* The last database error, one line, or NULL. */
const char *invite_sync_store_error(const invite_sync_store_t *st);
/* "sqlite3" or "pgsql". */
const char *invite_sync_store_driver(const invite_sync_store_t *st);

int invite_sync_store_begin(invite_sync_store_t *st);
int invite_sync_store_commit(invite_sync_store_t *st);
int invite_sync_store_rollback(invite_sync_store_t *st);

/* Rows the store's statements have changed since it was opened (inserted,
 * updated or deleted; for tests: an unchanged document adds nothing). */
long invite_sync_store_changes(const invite_sync_store_t *st);

/* ---------------------------------------------------------------- events */

/* Applies one change event inside the open transaction: INVITE_SYNC_OK
 * (c says how), INVITE_SYNC_RESYNC, INVITE_SYNC_BAD_EVENT or
 * INVITE_SYNC_DB_ERROR.  Reads only operationType, ns,
 * documentKey and fullDocument; never updateDescription.  Malformed
 * documents and missing users or rooms are skipped and counted; they
 * never fail the batch. */
int invite_sync_apply_event(invite_sync_store_t *st, const bson_t *event,
                            invite_sync_counts_t *c);

/* ----------------------------------------------------------- sync_state */

/* Sets key to value (NULL: SQL NULL), updated_at now. */
int invite_sync_state_set(invite_sync_store_t *st, const char *key,
                          const char *value);
/* Sets key to an epoch-ms number (last_ok_at, ...). */
int invite_sync_state_set_ms(invite_sync_store_t *st, const char *key,
                             apr_int64_t ms);
/* The value of key in p; NULL when there is none (or on a database error:
 * then invite_sync_store_error is set). */
const char *invite_sync_state_get(invite_sync_store_t *st, const char *key,
                                  apr_pool_t *p);

/* ------------------------------------------------------------ full copy */

/* Starts a full copy: empties the staging tables (TEMP tables of the
 * connection, made by invite_sync_store_open: staging never takes the
 * database's write lock on SQLite) and opens a staging transaction; a copy
 * begun again drops what the last one staged. */
int invite_sync_copy_begin(invite_sync_store_t *st);
/* Stages one document of coll (one of invite_sync_collections), in
 * batches of its own; a malformed document is skipped and counted.
 * INVITE_SYNC_OK, or INVITE_SYNC_DB_ERROR (start again with _begin). */
int invite_sync_copy_doc(invite_sync_store_t *st, const char *coll,
                         const bson_t *doc);
/* Progress of the copy for coll: documents received, staged, skipped
 * (malformed); for rocketchat_invites, after the switch, written: the
 * invites it inserted (staged - written: their id was in SQL already,
 * kept as it was). */
typedef struct {
    long docs, staged, skipped, written;
} invite_sync_copy_progress_t;
invite_sync_copy_progress_t invite_sync_copy_progress(
    const invite_sync_store_t *st, const char *coll);
/* on: the copies from now on take rocketchat_invites too (`invite-sync
 * --once --invites`, once, when mod_invite takes the invite API over):
 * invite_sync_copy_doc accepts its documents, mapped and skipped as
 * the retired import's --invites did (docs/import.md), and the
 * switch inserts those whose id SQL does not hold, slot NULL, in the
 * same transaction as the rest of the copy (all or nothing: a failed
 * switch stores neither the copy nor its invites, and running it again is
 * the whole remedy); an invite already in SQL is never updated, and none
 * is ever deleted.  Off (the default): invites are left alone. */
void invite_sync_copy_invites(invite_sync_store_t *st, int on);
/* 1 when the copy takes rocketchat_invites. */
int invite_sync_copy_invites_wanted(const invite_sync_store_t *st);
/* One transaction: diff-applies the staged copy (upserts what changed,
 * deletes what is gone from users, user_roles, login_tokens, rooms,
 * subscriptions - but never one that still has a join_outbox row -,
 * subscription_roles and sync_subscription_ids; replaces the roles of
 * each copied permission; leaves invites alone unless
 * invite_sync_copy_invites asked for the new ones), stores
 * resume_token_json (NULL: leaves it) and last_full_copy_at, commits.
 * c->applied: rows inserted or updated; c->deleted: rows deleted (not
 * counting cascades); c->skipped: documents and tokens skipped while
 * staging, and subscriptions whose user or room is not in the copy.  Must
 * be called outside a transaction; rolls back on failure (then begin the
 * copy again).  A switch that finds nothing to change writes only
 * last_full_copy_at (and the token). */
int invite_sync_copy_switch(invite_sync_store_t *st,
                            const char *resume_token_json,
                            invite_sync_counts_t *c);

/* ---------------------------------------------------------------- lease */

/* Takes or renews the lease `name` ("invite-sync") for owner (host:pid)
 * until now + ttl_ms: 1 taken or renewed; 0 held by another, *holder
 * (valid until the next call) and *until (epoch ms) set; -1 database
 * error.  One statement: atomic between two daemons. */
int invite_sync_lease_take(invite_sync_store_t *st, const char *owner,
                           long ttl_ms, const char **holder,
                           apr_int64_t *until);
/* Gives the lease back if owner holds it. */
void invite_sync_lease_release(invite_sync_store_t *st, const char *owner);
#define INVITE_SYNC_LEASE "invite-sync"

/* --------------------------------------------------------------- outbox */

typedef struct {
    const char *user_id, *rid;
    const char *room_type;     /* rooms.t: c, p, ... */
    int attempts;
    const char *last_error;    /* NULL: none */
} invite_sync_outbox_row_t;

/* Up to max rows due now (next_attempt_at <= now), oldest first, pushed
 * as invite_sync_outbox_row_t onto rows (allocated in p). 0, or
 * INVITE_SYNC_DB_ERROR. */
int invite_sync_outbox_due(invite_sync_store_t *st, int max,
                           apr_array_header_t *rows, apr_pool_t *p);
/* Delivered: deletes the row. */
int invite_sync_outbox_done(invite_sync_store_t *st, const char *user_id,
                            const char *rid);
/* Failed: attempts + 1, next_attempt_at, last_error (one line; never a
 * token). */
int invite_sync_outbox_retry(invite_sync_store_t *st, const char *user_id,
                             const char *rid, apr_int64_t next_attempt_at_ms,
                             const char *error);
/* Rows waiting (for --status), or -1 on a database error. */
long invite_sync_outbox_pending(invite_sync_store_t *st);

#endif
