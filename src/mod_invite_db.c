/*
 * mod_invite_db.c - running the registered statements on mod_dbd's pooled
 * connection, with the error mapping and the pgsql reconnect repair.
 */
#include <apr_strings.h>
#include <apr_optional.h>

#include "mod_invite_private.h"

static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire_fn;

void invite_db_retrieve_optional_fns(void)
{
    dbd_acquire_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
}

static int is_pgsql(const invite_db_t *db)
{
    return !strcmp(apr_dbd_name(db->dbd->driver), "pgsql");
}

invite_db_t *invite_db_acquire(request_rec *r)
{
    ap_dbd_t *dbd;
    invite_db_t *db;

    if (!dbd_acquire_fn) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, INVLOGNO(00101)
                      "mod_dbd is not loaded: no database connection");
        return NULL;
    }
    /* mod_dbd logs why when it has no connection to give. */
    dbd = dbd_acquire_fn(r);
    if (!dbd) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, INVLOGNO(00102)
                      "no database connection from mod_dbd (see its "
                      "messages above); answering 503");
        return NULL;
    }
    db = apr_pcalloc(r->pool, sizeof(*db));
    db->r = r;
    db->dbd = dbd;
    return db;
}

/* Whether the connection is usable.  For pgsql, check_conn reconnects a
 * lost connection (PQreset), waiting at most connect_timeout. */
static int connected(invite_db_t *db)
{
    ap_dbd_t *d = db->dbd;
    return !is_pgsql(db)
        || apr_dbd_check_conn(d->driver, db->r->pool, d->handle) == APR_SUCCESS;
}

/* After a PostgreSQL restart libpq reconnects but the server has forgotten
 * the connection's prepared statements, and mod_dbd never prepares them
 * again (craft guide P7): do it here. */
static void pgsql_reprepare(invite_db_t *db)
{
    ap_dbd_t *d = db->dbd;
    int i;

    for (i = 0; i < INVITE_STMT_COUNT; i++) {
        apr_dbd_prepared_t *st = NULL;
        /* Fails harmlessly ("already exists") where the statement
         * survived; the old handle then stays valid. */
        if (apr_dbd_prepare(d->driver, d->pool, d->handle,
                            invite_statements[i].sql,
                            invite_statements[i].label, &st) == 0) {
            apr_hash_set(d->prepared, invite_statements[i].label,
                         APR_HASH_KEY_STRING, st);
        }
    }
}

/* `up` is connected(db) as the caller last saw it, so that a lost server
 * is not reconnected to twice in one request. */
static invite_db_rc_e classify(invite_db_t *db, const char *what, int rv,
                               int up)
{
    ap_dbd_t *d = db->dbd;
    const char *msg = apr_dbd_error(d->driver, d->handle, rv);
    int unavailable;

    if (is_pgsql(db)) {
        /* A lost server, or a lock or statement timeout (the options in
         * DBDParams) while another transaction holds what we need. */
        unavailable = !up
                   || (msg && (strstr(msg, "lock timeout")
                               || strstr(msg, "statement timeout")));
    }
    else {
        unavailable = (rv == 5 /* SQLITE_BUSY */ || rv == 6 /* LOCKED */);
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, INVLOGNO(00103)
                  "%s failed (%s, code %d): %s", what,
                  unavailable ? "database unavailable" : "database error",
                  rv, msg ? msg : "???");
    return unavailable ? INVITE_DB_UNAVAILABLE : INVITE_DB_ERROR;
}

static apr_dbd_prepared_t *statement(invite_db_t *db, invite_stmt_e stmt)
{
    apr_dbd_prepared_t *st = apr_hash_get(db->dbd->prepared,
                                          invite_statements[stmt].label,
                                          APR_HASH_KEY_STRING);
    if (!st) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, INVLOGNO(00104)
                      "statement %s is not prepared on this server: add "
                      "\"InviteDBD On\" to the server or virtual host",
                      invite_statements[stmt].label);
    }
    return st;
}

static int run(invite_db_t *db, invite_stmt_e stmt, int nargs,
               const char **args, apr_dbd_results_t **res, int *nrows)
{
    ap_dbd_t *d = db->dbd;
    apr_dbd_prepared_t *st = statement(db, stmt);

    if (!st) {
        return -1;
    }
    /* random = 1: pgsql's sequential mode swallows errors (P10). */
    return res ? apr_dbd_pselect(d->driver, db->r->pool, d->handle, res, st,
                                 1, nargs, args)
               : apr_dbd_pquery(d->driver, db->r->pool, d->handle, nrows, st,
                                nargs, args);
}

static invite_db_rc_e execute(invite_db_t *db, invite_stmt_e stmt, int nargs,
                              const char **args, apr_dbd_results_t **res,
                              int *nrows)
{
    int rv = run(db, stmt, nargs, args, res, nrows);
    int up;

    if (rv == -1) {
        return INVITE_DB_ERROR;
    }
    if (rv == 0) {
        return INVITE_DB_OK;
    }
    up = connected(db);
    /* Outside a transaction a failed statement changed nothing, so one
     * retry on a repaired pgsql connection is safe. */
    if (up && !db->in_transaction && is_pgsql(db)) {
        pgsql_reprepare(db);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, db->r, INVLOGNO(00105)
                      "%s failed (code %d); retrying once on the "
                      "re-prepared connection", invite_statements[stmt].label,
                      rv);
        rv = run(db, stmt, nargs, args, res, nrows);
        if (rv == 0) {
            return INVITE_DB_OK;
        }
        up = connected(db);
    }
    return classify(db, invite_statements[stmt].label, rv, up);
}

invite_db_rc_e invite_db_select(invite_db_t *db, invite_stmt_e stmt,
                                int nargs, const char **args,
                                apr_array_header_t **rows, int *ncols)
{
    ap_dbd_t *d = db->dbd;
    apr_pool_t *p = db->r->pool;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    invite_db_rc_e rc = execute(db, stmt, nargs, args, &res, NULL);
    int rv, n;

    if (rc != INVITE_DB_OK) {
        return rc;
    }
    n = apr_dbd_num_cols(d->driver, res);
    *ncols = n;
    *rows = apr_array_make(p, 2, sizeof(const char **));
    /* Drain every row: breaking early leaves pgsql results uncleared. */
    for (rv = apr_dbd_get_row(d->driver, p, res, &row, -1); rv != -1;
         rv = apr_dbd_get_row(d->driver, p, res, &row, -1)) {
        const char **vals;
        int c;
        if (rv != 0) {
            return classify(db, invite_statements[stmt].label, rv,
                            connected(db));
        }
        vals = apr_pcalloc(p, n * sizeof(*vals));
        for (c = 0; c < n; c++) {
            char *datum = NULL;
            /* The portable NULL test: sqlite3 gives NULL, pgsql "". */
            if (apr_dbd_datum_get(d->driver, row, c, APR_DBD_TYPE_STRING,
                                  &datum) != APR_ENOENT) {
                const char *v = apr_dbd_get_entry(d->driver, row, c);
                vals[c] = apr_pstrdup(p, v ? v : "");
            }
        }
        APR_ARRAY_PUSH(*rows, const char **) = vals;
    }
    return INVITE_DB_OK;
}

invite_db_rc_e invite_db_query(invite_db_t *db, invite_stmt_e stmt,
                               int nargs, const char **args, int *nrows)
{
    *nrows = 0;
    return execute(db, stmt, nargs, args, NULL, nrows);
}

/* A transaction must never go back to the pool open (SQLite would keep
 * its write lock): this cleanup rolls back one the handler left. */
static apr_status_t end_forgotten_transaction(void *data)
{
    invite_db_t *db = data;
    if (db->in_transaction) {
        invite_db_end(db, 0);
    }
    return APR_SUCCESS;
}

invite_db_rc_e invite_db_begin(invite_db_t *db)
{
    ap_dbd_t *d = db->dbd;
    int rv;

    db->txn = NULL;
    /* sqlite3: BEGIN IMMEDIATE, the write lock up front; pgsql: BEGIN. */
    rv = apr_dbd_transaction_start(d->driver, db->r->pool, d->handle, &db->txn);
    if (rv != 0) {
        return classify(db, "BEGIN", rv, connected(db));
    }
    db->in_transaction = 1;
    apr_pool_cleanup_register(db->r->pool, db, end_forgotten_transaction,
                              apr_pool_cleanup_null);
    return INVITE_DB_OK;
}

invite_db_rc_e invite_db_end(invite_db_t *db, int commit)
{
    ap_dbd_t *d = db->dbd;
    int rv;

    if (!db->in_transaction) {
        return INVITE_DB_OK;
    }
    db->in_transaction = 0;
    if (!commit) {
        apr_dbd_transaction_mode_set(d->driver, db->txn,
                                     APR_DBD_TRANSACTION_ROLLBACK);
    }
    /* Returns 0 after an automatic rollback too: callers pass commit only
     * when every statement succeeded. */
    rv = apr_dbd_transaction_end(d->driver, db->r->pool, db->txn);
    if (rv != 0) {
        invite_db_rc_e rc = classify(db, commit ? "COMMIT" : "ROLLBACK", rv,
                                     connected(db));
        if (!is_pgsql(db)) {
            int n;
            /* SQLite keeps a transaction open after a failed COMMIT; the
             * connection must not return to the pool holding its lock. */
            apr_dbd_query(d->driver, d->handle, &n, "ROLLBACK");
        }
        return rc;
    }
    return INVITE_DB_OK;
}
