/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_sync_private.h - what the files of the sync store share
 * (src/sync/invite_sync_*.c): the store, its statement runner, and the
 * mapping of Rocket.Chat's documents to rows (invite_sync_doc.c), which
 * the apply of an event and the full copy both use.
 */
#ifndef INVITE_SYNC_PRIVATE_H
#define INVITE_SYNC_PRIVATE_H

#include <apr_dbd.h>

#include "invite_dbc.h"
#include "invite_sql.h"
#include "invite_sync_store.h"

/* Rows waiting for a multi-row insert into one staging table. */
typedef struct {
    apr_pool_t *pool;               /* their strings; cleared per flush */
    int ncols, rows;
    const char *args[INVITE_SYNC_STAGE_ROWS * INVITE_SYNC_STAGE_MAXCOLS];
} invite_sync_stage_buf_t;

struct invite_sync_store_s {
    apr_pool_t *pool;               /* the store's: prepared statements */
    apr_pool_t *scratch;            /* results and rows; cleared per call */
    invite_dbc_t dbc;               /* allocates in pool */
    invite_dbc_t sdbc;              /* the same handle, in scratch */
    const invite_engine_t *engine;
    const invite_stmt_t *sql;       /* invite_sync_sql(engine) */
    apr_dbd_prepared_t *prepared[INVITE_SYNC_SQL_COUNT];
    int in_tx;                      /* begin ... commit / rollback */
    long changes;
    char error[512];
    char holder[256];               /* the lease's other owner */
    /* the full copy */
    int stage_open, stage_tx;
    long stage_rows_in_tx, progress_rows;
    invite_sync_stage_buf_t stage[INVITE_SYNC_STAGE_TABLES];
    invite_sync_copy_progress_t progress[INVITE_SYNC_NCOLL + 1];
    int copy_invites;               /* progress[INVITE_SYNC_COLL_INVITES] */
};

/* Runs statement i (prepared on first use) with nargs arguments: a select
 * into *res (allocated in the scratch pool) when res is not NULL, else a
 * write whose changed rows are added to st->changes and, when nrows is not
 * NULL, stored there.  INVITE_SYNC_OK or INVITE_SYNC_DB_ERROR (st->error
 * set). */
int invite_sync_run(invite_sync_store_t *st, int i, int nargs,
                    const char **args, apr_dbd_results_t **res, int *nrows);
/* Runs query i (no arguments, unprepared); a NULL query does nothing. */
int invite_sync_query(invite_sync_store_t *st, int i);
/* The next row of res, or NULL. */
apr_dbd_row_t *invite_sync_next(invite_sync_store_t *st,
                                apr_dbd_results_t *res, apr_dbd_row_t **row);
/* Column col of row copied into p; NULL for SQL NULL. */
const char *invite_sync_col(invite_sync_store_t *st, apr_dbd_row_t *row,
                            int col, apr_pool_t *p);
/* Records a failure: st->error. */
void invite_sync_fail(invite_sync_store_t *st, const char *what,
                      const char *why);

/* ---------------------------------------------------------------- mapping
 * Rocket.Chat's documents as rows, by docs/import.md's rules ("Field
 * mapping").  Each parse returns 0, or -1 when the document is
 * skipped (*why: a reason without any value of the document). */

typedef struct {
    const char *hash;
    const char *created_at;         /* epoch ms in decimal; NULL: never
                                     * expires (personal access token) */
} invite_sync_token_t;

typedef struct {
    const char *id, *username;
    apr_array_header_t *roles;      /* const char *, no duplicates */
    apr_array_header_t *tokens;     /* invite_sync_token_t, no duplicate
                                     * hashes; empty when inactive */
    long tokens_skipped;            /* malformed, or the user inactive */
} invite_sync_user_t;

typedef struct {
    const char *id, *t, *name, *fname, *prid;
} invite_sync_room_t;

typedef struct {
    const char *sub_id;             /* _id; NULL: neither string nor
                                     * ObjectId (no id-map row) */
    const char *user_id, *rid;
    const char *status;             /* "BANNED" or NULL */
    apr_array_header_t *roles;
} invite_sync_sub_t;

typedef struct {
    const char *id;
    apr_array_header_t *roles;
} invite_sync_perm_t;

/* An invite link (rocketchat_invites), numbers in decimal. */
typedef struct {
    const char *id, *rid, *user_id;
    const char *days, *max_uses, *uses;     /* uses "0" when absent */
    const char *created_at, *updated_at;    /* updated_at = created_at
                                             * when absent */
    const char *expires;                    /* NULL: never */
} invite_sync_invite_t;

int invite_sync_parse_user(apr_pool_t *p, const bson_t *doc,
                           invite_sync_user_t *u, const char **why);
int invite_sync_parse_room(apr_pool_t *p, const bson_t *doc,
                           invite_sync_room_t *r, const char **why);
int invite_sync_parse_sub(apr_pool_t *p, const bson_t *doc,
                          invite_sync_sub_t *s, const char **why);
int invite_sync_parse_perm(apr_pool_t *p, const bson_t *doc,
                           invite_sync_perm_t *perm, const char **why);
int invite_sync_parse_invite(apr_pool_t *p, const bson_t *doc,
                             invite_sync_invite_t *inv, const char **why);
/* The document key of a delete: _id as a string (an ObjectId as its hex
 * form when oid_ok), or NULL when it is neither. */
const char *invite_sync_parse_key(apr_pool_t *p, const bson_iter_t *id,
                                  int oid_ok);

/* The index of a followed collection in invite_sync_collections, or -1. */
int invite_sync_coll_index(const char *coll);
enum {
    INVITE_SYNC_COLL_USERS, INVITE_SYNC_COLL_ROOMS,
    INVITE_SYNC_COLL_SUBSCRIPTIONS, INVITE_SYNC_COLL_PERMISSIONS,
    INVITE_SYNC_COLL_INVITES        /* not followed: progress only */
};

#endif
