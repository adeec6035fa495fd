/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_sync_store.c - invite-sync's connection to mod_invite's database
 * (include/invite_sync_store.h): opening it, the statement runner,
 * transactions, sync_state, the lease and the join outbox.  The apply of
 * change events is in invite_sync_apply.c, the full copy in
 * invite_sync_copy.c, the document mapping in invite_sync_doc.c.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "invite_core.h"
#include "invite_sync_private.h"

void invite_sync_fail(invite_sync_store_t *st, const char *what,
                      const char *why)
{
    apr_snprintf(st->error, sizeof(st->error), "%s: %s", what,
                 why ? why : "failed");
}

static int db_fail(invite_sync_store_t *st, int i, int rv)
{
    invite_sync_fail(st, st->sql[i].label, invite_dbc_error(&st->sdbc, rv));
    return INVITE_SYNC_DB_ERROR;
}

int invite_sync_query(invite_sync_store_t *st, int i)
{
    int nrows = 0, rv;

    if (!st->sql[i].sql) {
        return INVITE_SYNC_OK;
    }
    rv = apr_dbd_query(st->dbc.driver, st->dbc.handle, &nrows,
                       st->sql[i].sql);
    return rv ? db_fail(st, i, rv) : INVITE_SYNC_OK;
}

int invite_sync_run(invite_sync_store_t *st, int i, int nargs,
                    const char **args, apr_dbd_results_t **res, int *nrows)
{
    int rv, n = 0;

    if (!st->prepared[i]) {
        rv = invite_dbc_prepare(&st->dbc, &st->sql[i], &st->prepared[i]);
        if (rv) {
            st->prepared[i] = NULL;
            return db_fail(st, i, rv);
        }
    }
    if (res) {
        *res = NULL;
    }
    rv = invite_dbc_run(&st->sdbc, st->prepared[i], nargs, args, res,
                        res ? NULL : &n);
    if (rv) {
        return db_fail(st, i, rv);
    }
    if (!res) {
        st->changes += n;
        if (nrows) {
            *nrows = n;
        }
    }
    return INVITE_SYNC_OK;
}

apr_dbd_row_t *invite_sync_next(invite_sync_store_t *st,
                                apr_dbd_results_t *res, apr_dbd_row_t **row)
{
    return invite_dbc_next(&st->sdbc, res, row);
}

const char *invite_sync_col(invite_sync_store_t *st, apr_dbd_row_t *row,
                            int col, apr_pool_t *p)
{
    const char *v = invite_dbc_value(&st->sdbc, row, col);

    return v ? apr_pstrdup(p, v) : NULL;
}

/* A session setting (a PRAGMA, which may answer a row): read through. */
static int session(invite_sync_store_t *st, int i)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rv;

    if (!st->sql[i].sql) {
        return INVITE_SYNC_OK;
    }
    rv = apr_dbd_select(st->sdbc.driver, st->scratch, st->sdbc.handle, &res,
                        st->sql[i].sql, 1);
    if (rv) {
        return db_fail(st, i, rv);
    }
    invite_dbc_drain(&st->sdbc, res, &row);
    return INVITE_SYNC_OK;
}

apr_status_t invite_sync_store_open(invite_sync_store_t **stp, apr_pool_t *p,
                                    const char *driver, const char *params,
                                    const char **err)
{
    invite_sync_store_t *st;
    apr_pool_t *pool;
    apr_dbd_results_t *res = NULL;
    long version = 0;
    apr_status_t rv;
    int i;

    *stp = NULL;
    *err = NULL;
    apr_pool_create(&pool, p);
    st = apr_pcalloc(pool, sizeof(*st));
    st->pool = pool;
    apr_pool_create(&st->scratch, pool);
    st->engine = invite_sql_engine(driver);
    if (!st->engine) {
        *err = apr_psprintf(p, "unsupported database driver '%s' (sqlite3,"
                            " pgsql)", driver ? driver : "");
        apr_pool_destroy(pool);
        return APR_ENOTIMPL;
    }
    st->sql = invite_sync_sql(st->engine->id);
    rv = invite_dbc_driver(&st->dbc, pool, driver);
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot load the apr_dbd driver '%s'", driver);
        apr_pool_destroy(pool);
        return rv;
    }
    rv = invite_dbc_open(&st->dbc, params, err);
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot open the database: %s",
                            *err ? *err : "connection failed");
        apr_pool_destroy(pool);
        return rv;
    }
    st->sdbc = invite_dbc_of(st->dbc.driver, st->dbc.handle, st->scratch);
    for (i = 0; i < INVITE_SYNC_STAGE_TABLES; i++) {
        apr_pool_create(&st->stage[i].pool, pool);
    }
    /* The staging tables of a copy first: on SQLite, statements prepared
     * before a CREATE would fail (apr_dbd's driver does not prepare them
     * again after a schema change). */
    for (i = 0; i < INVITE_SYNC_STAGE_TABLES && !rv; i++) {
        rv = invite_sync_query(st, INVITE_SYNC_SQL_STAGE_CREATE + i);
    }
    if (rv || session(st, INVITE_SYNC_SQL_SESSION_FK)
        || session(st, INVITE_SYNC_SQL_SESSION_BUSY)
        || invite_sync_run(st, INVITE_SYNC_SQL_SCHEMA_VERSION, 0, NULL, &res,
                           NULL)) {
        *err = apr_psprintf(p, "cannot read the database: %s", st->error);
        invite_sync_store_close(st);
        return APR_EGENERAL;
    }
    if (!invite_dbc_version(&st->sdbc, res, &version)
        || version != INVITE_SCHEMA_VERSION) {
        *err = apr_psprintf(p, "the database's schema version is %ld, this"
                            " build needs %d (invitectl migrate)", version,
                            INVITE_SCHEMA_VERSION);
        invite_sync_store_close(st);
        return APR_EGENERAL;
    }
    apr_pool_clear(st->scratch);
    *stp = st;
    return APR_SUCCESS;
}

void invite_sync_store_close(invite_sync_store_t *st)
{
    if (!st) {
        return;
    }
    if (st->in_tx || st->stage_tx) {
        invite_sync_query(st, INVITE_SYNC_SQL_ROLLBACK);
    }
    invite_dbc_close(&st->dbc);
    apr_pool_destroy(st->pool);
}

const char *invite_sync_store_error(const invite_sync_store_t *st)
{
    return st->error[0] ? st->error : NULL;
}

const char *invite_sync_store_driver(const invite_sync_store_t *st)
{
    return st->engine->driver;
}

long invite_sync_store_changes(const invite_sync_store_t *st)
{
    return st->changes;
}

int invite_sync_store_begin(invite_sync_store_t *st)
{
    int rv;

    if (st->in_tx || st->stage_tx) {
        invite_sync_fail(st, "begin", "a transaction is already open");
        return INVITE_SYNC_DB_ERROR;
    }
    rv = invite_sync_query(st, INVITE_SYNC_SQL_BEGIN);
    st->in_tx = rv == INVITE_SYNC_OK;
    return rv;
}

int invite_sync_store_commit(invite_sync_store_t *st)
{
    int rv;

    if (!st->in_tx) {
        invite_sync_fail(st, "commit", "no transaction is open");
        return INVITE_SYNC_DB_ERROR;
    }
    rv = invite_sync_query(st, INVITE_SYNC_SQL_COMMIT);
    if (rv != INVITE_SYNC_OK) {
        /* A failed COMMIT (pgsql: an error earlier in the transaction;
         * sqlite3: still busy) leaves nothing half-done: roll back. */
        invite_sync_query(st, INVITE_SYNC_SQL_ROLLBACK);
    }
    st->in_tx = 0;
    apr_pool_clear(st->scratch);
    return rv;
}

int invite_sync_store_rollback(invite_sync_store_t *st)
{
    int rv = invite_sync_query(st, INVITE_SYNC_SQL_ROLLBACK);

    st->in_tx = 0;
    apr_pool_clear(st->scratch);
    return rv;
}

/* Frees what a call read, unless a transaction still holds its results. */
static void scratch_done(invite_sync_store_t *st)
{
    if (!st->in_tx) {
        apr_pool_clear(st->scratch);
    }
}

/* A write of its own (no transaction of the caller's) while a copy is
 * staging, such as the lease renewed between two batches of documents:
 * the staging transaction is committed first, so that the write commits
 * now, and begun again after it (staging_resume).  1: paused; 0: nothing
 * to pause. */
static int staging_pause(invite_sync_store_t *st)
{
    if (!st->stage_tx || st->in_tx) {
        return 0;
    }
    st->stage_tx = 0;
    st->stage_rows_in_tx = 0;
    invite_sync_query(st, INVITE_SYNC_SQL_COMMIT);
    return 1;
}

static void staging_resume(invite_sync_store_t *st, int paused)
{
    if (paused) {
        st->stage_tx = invite_sync_query(st, INVITE_SYNC_SQL_STAGE_BEGIN)
                       == INVITE_SYNC_OK;
    }
}

/* Runs statement stmt as a write of its own (staging_pause around it):
 * its code, the rows it changed in *nrows unless NULL. */
static int write_now(invite_sync_store_t *st, int stmt, int nargs,
                     const char **args, int *nrows)
{
    int paused = staging_pause(st);
    int rv = invite_sync_run(st, stmt, nargs, args, NULL, nrows);

    staging_resume(st, paused);
    return rv;
}

/* ------------------------------------------------------------ sync_state */

int invite_sync_state_set(invite_sync_store_t *st, const char *key,
                          const char *value)
{
    const char *args[3];
    int rv;

    args[0] = key;
    args[1] = value;
    args[2] = apr_psprintf(st->scratch, "%" APR_INT64_T_FMT,
                           (apr_int64_t)invite_time_now_ms());
    rv = write_now(st, INVITE_SYNC_SQL_STATE_PUT, 3, args, NULL);
    scratch_done(st);
    return rv;
}

int invite_sync_state_set_ms(invite_sync_store_t *st, const char *key,
                             apr_int64_t ms)
{
    return invite_sync_state_set(st, key, apr_psprintf(st->scratch, "%"
                                 APR_INT64_T_FMT, ms));
}

const char *invite_sync_state_get(invite_sync_store_t *st, const char *key,
                                  apr_pool_t *p)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *value = NULL;

    if (invite_sync_run(st, INVITE_SYNC_SQL_STATE_GET, 1, &key, &res, NULL)) {
        return NULL;
    }
    while (invite_sync_next(st, res, &row)) {
        value = invite_sync_col(st, row, 0, p);
    }
    scratch_done(st);
    return value;
}

/* ----------------------------------------------------------------- lease */

int invite_sync_lease_take(invite_sync_store_t *st, const char *owner,
                           long ttl_ms, const char **holder,
                           apr_int64_t *until)
{
    apr_int64_t now = invite_time_now_ms();
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *args[4];
    int nrows = 0, taken = -1;

    *holder = NULL;
    *until = 0;
    args[0] = INVITE_SYNC_LEASE;
    args[1] = owner;
    args[2] = apr_psprintf(st->scratch, "%" APR_INT64_T_FMT, now + ttl_ms);
    args[3] = apr_psprintf(st->scratch, "%" APR_INT64_T_FMT, now);
    if (write_now(st, INVITE_SYNC_SQL_LEASE_TAKE, 4, args, &nrows)
        == INVITE_SYNC_OK) {
        taken = nrows > 0;
    }
    if (taken == 0 && invite_sync_run(st, INVITE_SYNC_SQL_LEASE_GET, 1, args,
                                      &res, NULL) == INVITE_SYNC_OK) {
        while (invite_sync_next(st, res, &row)) {
            const char *u = invite_sync_col(st, row, 1, st->scratch);

            const char *h = invite_sync_col(st, row, 0, st->scratch);

            /* Copied into the store: a waiting daemon asks again and
             * again. */
            apr_cpystrn(st->holder, h ? h : "", sizeof(st->holder));
            *holder = st->holder;
            *until = u ? apr_atoi64(u) : 0;
        }
        if (!*holder) {
            /* Released between the two statements: try again later. */
            *holder = "";
        }
    }
    scratch_done(st);
    return taken;
}

void invite_sync_lease_release(invite_sync_store_t *st, const char *owner)
{
    const char *args[2];

    args[0] = INVITE_SYNC_LEASE;
    args[1] = owner;
    write_now(st, INVITE_SYNC_SQL_LEASE_RELEASE, 2, args, NULL);
    scratch_done(st);
}

/* ---------------------------------------------------------------- outbox */

int invite_sync_outbox_due(invite_sync_store_t *st, int max,
                           apr_array_header_t *rows, apr_pool_t *p)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *args[2];

    args[0] = apr_psprintf(st->scratch, "%" APR_INT64_T_FMT,
                           (apr_int64_t)invite_time_now_ms());
    args[1] = apr_psprintf(st->scratch, "%d", max);
    if (invite_sync_run(st, INVITE_SYNC_SQL_OUTBOX_DUE, 2, args, &res,
                        NULL)) {
        return INVITE_SYNC_DB_ERROR;
    }
    while (invite_sync_next(st, res, &row)) {
        invite_sync_outbox_row_t *o = apr_array_push(rows);
        const char *attempts = invite_sync_col(st, row, 3, st->scratch);

        o->user_id = invite_sync_col(st, row, 0, p);
        o->rid = invite_sync_col(st, row, 1, p);
        o->room_type = invite_sync_col(st, row, 2, p);
        o->attempts = attempts ? atoi(attempts) : 0;
        o->last_error = invite_sync_col(st, row, 4, p);
    }
    scratch_done(st);
    return INVITE_SYNC_OK;
}

int invite_sync_outbox_done(invite_sync_store_t *st, const char *user_id,
                            const char *rid)
{
    const char *args[2];
    int rv;

    args[0] = user_id;
    args[1] = rid;
    rv = write_now(st, INVITE_SYNC_SQL_OUTBOX_DONE, 2, args, NULL);
    scratch_done(st);
    return rv;
}

int invite_sync_outbox_retry(invite_sync_store_t *st, const char *user_id,
                             const char *rid, apr_int64_t next_attempt_at_ms,
                             const char *error)
{
    const char *args[4];
    apr_size_t line = error ? strcspn(error, "\r\n") : 0;
    int rv;

    args[0] = apr_psprintf(st->scratch, "%" APR_INT64_T_FMT,
                           next_attempt_at_ms);
    /* One line, bounded: the REST server's message, never a token. */
    args[1] = error ? apr_pstrmemdup(st->scratch, error,
                                     line > 500 ? 500 : line)
                    : NULL;
    args[2] = user_id;
    args[3] = rid;
    rv = write_now(st, INVITE_SYNC_SQL_OUTBOX_RETRY, 4, args, NULL);
    scratch_done(st);
    return rv;
}

long invite_sync_outbox_pending(invite_sync_store_t *st)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    long n = -1;

    if (invite_sync_run(st, INVITE_SYNC_SQL_OUTBOX_PENDING, 0, NULL, &res,
                        NULL)) {
        return -1;
    }
    while (invite_sync_next(st, res, &row)) {
        const char *v = invite_sync_col(st, row, 0, st->scratch);

        n = v ? atol(v) : 0;
    }
    scratch_done(st);
    return n;
}
