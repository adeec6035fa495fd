/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_db.c - running mod_invite's statements on mod_dbd's pooled
 * connections: each connection is checked (schema version, SQLite file
 * and directory permissions) and its statements prepared the first time
 * mod_invite uses it; the pgsql reconnect repair and failover (a server
 * that takes no writes is left for the primary DBDParams lists); the
 * SQLite writer lock.
 * The error mapping and the checks' log lines are in
 * mod_invite_db_error.c.
 */
#include <apr_strings.h>
#include <apr_optional.h>
#include <apr_global_mutex.h>
#include <http_main.h>
#include <util_mutex.h>

#include <sqlite3.h>
#include <libpq-fe.h>

#include "mod_invite_db.h"
#include "mod_invite_db_error.h"
#include "mod_invite_status.h"
#include "invite_dbc.h"
#include "invite_version.h"

static APR_OPTIONAL_FN_TYPE(ap_dbd_open) *dbd_open_fn;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) *dbd_close_fn;

/* The request's connection, for invite_db_release_request(). */
#define REQUEST_DB_KEY "invite-db"

/* SQLite writers of this host take turns on this lock before BEGIN.  The
 * database still decides every conflict; the lock only keeps two httpd
 * processes from meeting SQLite's write lock, where apr_dbd's sqlite3
 * driver would sleep 100 ms per retry (craft guide P1). */
#define WRITER_MUTEX_TYPE "invite-sqlite-writer"
static apr_global_mutex_t *sqlite_writer;
#define WRITER_WAIT apr_time_from_sec(3)

apr_status_t invite_db_mutex_register(apr_pool_t *pconf)
{
    return ap_mutex_register(pconf, WRITER_MUTEX_TYPE, NULL, APR_LOCK_DEFAULT,
                             0);
}

/* One lock for the life of the parent process, not one per generation:
 * after a graceful restart the old generation's children finish their
 * writes while the new one's start, and with a lock each they would meet
 * on SQLite's lock and its 100 ms retries, a 503 after 1.6 s.  So the lock
 * lives in the process pool (the module's statics do not survive the
 * reload of its DSO) and a changed Mutex directive takes a full restart. */
apr_status_t invite_db_mutex_create(server_rec *s, int *kept)
{
    apr_pool_t *pproc = s->process->pool;
    void *earlier = NULL;
    apr_status_t rv;

    apr_pool_userdata_get(&earlier, WRITER_MUTEX_TYPE, pproc);
    *kept = earlier != NULL;
    if (earlier) {
        sqlite_writer = earlier;
        return APR_SUCCESS;
    }
    rv = ap_global_mutex_create(&sqlite_writer, NULL, WRITER_MUTEX_TYPE,
                                NULL, s, pproc, 0);
    if (rv == APR_SUCCESS) {
        /* _set copies the key, which must outlive this DSO. */
        apr_pool_userdata_set(sqlite_writer, WRITER_MUTEX_TYPE,
                              apr_pool_cleanup_null, pproc);
    }
    return rv;
}

void invite_db_mutex_attach(apr_global_mutex_t **mutex, apr_pool_t *pchild,
                            server_rec *s, const char *failure)
{
    apr_status_t rv;
    if (!*mutex) {
        return;
    }
    rv = apr_global_mutex_child_init(mutex, apr_global_mutex_lockfile(*mutex),
                                     pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "%s", failure);
        *mutex = NULL;
    }
}

void invite_db_mutex_child_init(apr_pool_t *pchild, server_rec *s)
{
    invite_db_mutex_attach(&sqlite_writer, pchild, s, INVLOGNO(00106)
                           "could not attach the SQLite writer lock; SQLite "
                           "writers fall back on the database's own locking");
}

void invite_db_retrieve_optional_fns(void)
{
    dbd_open_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    dbd_close_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
}

int invite_db_flag(const char *value)
{
    return value && !strcmp(value, "1");
}

const char *invite_db_int_arg(apr_pool_t *p, long long v)
{
    /* apr_psprintf knows no %lld */
    return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)v);
}

/* server_rec * -> invite_dbname_t *: each server's database, made in
 * post_config from pconf.  Not in the server's configuration record:
 * virtual hosts without a mod_invite directive share the main server's
 * record. */
static apr_hash_t *server_dbs;

void invite_db_set_names(apr_hash_t *names)
{
    server_dbs = names;
}

const invite_dbname_t *invite_db_name(const server_rec *s)
{
    static const invite_dbname_t unknown = {
        "", NULL, "the server's database", NULL
    };
    const invite_dbname_t *db = server_dbs
        ? apr_hash_get(server_dbs, &s, sizeof(server_rec *)) : NULL;
    return db ? db : &unknown;
}

/* The server's database, for log lines: looked up only when one is
 * written, never on the request path. */
static const invite_dbname_t *dbname(const invite_db_t *db)
{
    return invite_db_name(db->server);
}

static int is_pgsql(const invite_db_t *db)
{
    return db->engine->id == INVITE_ENGINE_PGSQL;
}

/* A connection is set up once (connection_setup: checks, statements,
 * session statement); the mark lives in the connection's own pool, so it
 * goes with the connection, and the hot path only reads it. */
#define SESSION_MARK "invite-session-ready"

static int session_ready(const ap_dbd_t *d)
{
    void *mark = NULL;
    apr_pool_userdata_get(&mark, SESSION_MARK, d->pool);
    return mark != NULL;
}

static void session_set_ready(const ap_dbd_t *d, int ready)
{
    apr_pool_userdata_setn(ready ? (void *)d : NULL, SESSION_MARK, NULL,
                           d->pool);
}

/* Back to mod_dbd's pool, once (a pool cleanup, run early by
 * invite_db_release). */
static apr_status_t close_connection(void *data)
{
    invite_db_t *db = data;
    if (db->dbd) {
        dbd_close_fn(db->server, db->dbd);
        db->dbd = NULL;
    }
    return APR_SUCCESS;
}

void invite_db_release(invite_db_t *db)
{
    if (!db || !db->dbd) {
        return;
    }
    if (db->in_transaction) {
        invite_db_end(db, 0);   /* never pooled with a transaction open */
    }
    invite_db_write_unlock(db);
    apr_pool_cleanup_run(db->r->pool, db, close_connection);
}

void invite_db_release_request(request_rec *r)
{
    void *db = NULL;
    apr_pool_userdata_get(&db, REQUEST_DB_KEY, r->pool);
    invite_db_release(db);
}

/* Set by invite_db_acquire() when the database is not there at all. */
#define NO_DATABASE_NOTE "invite-no-database"

invite_db_rc_e invite_db_unacquired(const request_rec *r)
{
    return apr_table_get(r->notes, NO_DATABASE_NOTE)
           ? INVITE_DB_MISCONFIGURED : INVITE_DB_UNAVAILABLE;
}

/* Released as soon as the answer is known (invite_http_send_json), not
 * with the request pool: ap_dbd_acquire would keep the connection while
 * the answer is written and logged, and a process's other requests queue
 * behind it for mod_dbd's small pool. */
static invite_db_t *acquire_from(request_rec *r, server_rec *s)
{
    ap_dbd_t *dbd;
    invite_db_t *db;
    apr_time_t t0;
    void *held = NULL;

    /* One connection per request: a second one from a pool of two could
     * wait for ever on requests that wait the same way. */
    apr_pool_userdata_get(&held, REQUEST_DB_KEY, r->pool);
    if (held && ((invite_db_t *)held)->dbd) {
        return held;
    }
    if (!dbd_open_fn || !dbd_close_fn) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, INVLOGNO(00101)
                      "mod_dbd is not loaded: no database connection");
        return NULL;
    }
    /* mod_dbd logs why when it has no connection to give. */
    t0 = apr_time_now();
    dbd = dbd_open_fn(r->pool, s);
    invite_status_db_time(r, t0);
    if (!dbd) {
        const invite_dbname_t *name = invite_db_name(s);
        const char *missing = name->sqlite_path
            ? invite_dbname_sqlite_missing(r->pool, name->sqlite_path) : NULL;

        if (missing) {
            /* Not a passing outage: the operator has to act. */
            const char *init = invite_dbname_invitectl(r->pool, name, "init");
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, INVLOGNO(00121)
                          "no such database %s (%s): correct DBDParams, or "
                          "create it with \"%s\"; answering 503",
                          name->label, missing, init ? init : "invitectl init");
            apr_table_setn(r->notes, NO_DATABASE_NOTE, "1");
            return NULL;
        }
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, INVLOGNO(00102)
                      "no database connection to %s from mod_dbd (see its "
                      "messages above); answering 503", name->label);
        return NULL;
    }
    db = apr_pcalloc(r->pool, sizeof(*db));
    db->r = r;
    db->server = s;
    db->dbd = dbd;
    apr_pool_cleanup_register(r->pool, db, close_connection,
                              apr_pool_cleanup_null);
    apr_pool_userdata_setn(db, REQUEST_DB_KEY, NULL, r->pool);
    db->engine = invite_sql_engine(apr_dbd_name(dbd->driver));
    if (!db->engine) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, INVLOGNO(00107)
                      "DBDriver %s is not supported (sqlite3 or pgsql)",
                      apr_dbd_name(dbd->driver));
        return NULL;
    }
    return db;
}

invite_db_t *invite_db_acquire(request_rec *r)
{
    return acquire_from(r, r->server);
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
    const invite_stmt_t *stmts = db->engine->statements;
    invite_dbc_t c = invite_dbc_of(d->driver, d->handle, d->pool);
    int i;

    for (i = 0; i < INVITE_STMT_COUNT; i++) {
        apr_dbd_prepared_t *st = NULL;
        if (!stmts[i].sql) {
            continue;
        }
        /* Fails harmlessly ("already exists") where the statement
         * survived; the old handle then stays valid. */
        if (invite_dbc_prepare(&c, &stmts[i], &st) == 0) {
            apr_hash_set(d->prepared, stmts[i].label, APR_HASH_KEY_STRING, st);
        }
    }
    /* A new server session: its settings are gone too. */
    session_set_ready(d, 0);
}

/* The pgsql connection's server takes no writes: a standby (in hot
 * standby, before or instead of its promotion) or a server set read-only
 * (default_transaction_read_only).  PostgreSQL 14 and later report both
 * parameters on connecting and whenever they change, so this costs no
 * round trip; behind a pooler that does not pass them on, the refusal of
 * a write (SQLSTATE 25006, invite_db_error_read_only) says it instead. */
static int pgsql_read_only(const invite_db_t *db)
{
    PGconn *conn = apr_dbd_native_handle(db->dbd->driver, db->dbd->handle);
    const char *standby, *read_only;

    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        return 0;
    }
    standby = PQparameterStatus(conn, "in_hot_standby");
    read_only = PQparameterStatus(conn, "default_transaction_read_only");
    return (standby && !strcmp(standby, "on"))
        || (read_only && !strcmp(read_only, "on"));
}

/* A pooled connection that finds itself on a server that takes no writes
 * (an old primary back as a standby, a standby behind an address that
 * moved, a primary set read-only) is connected again, as DBDParams says:
 * with a host list and target_session_attrs=read-write libpq skips every
 * server but the primary.  mod_dbd would go on handing the connection out
 * (apr_dbd_check_conn resets only a broken one), so it is reset here, in
 * the request, bounded by connect_timeout per host.  Returns whether the
 * connection now reaches a server that takes writes, its statements
 * prepared again (the caller sets the session up); else the request gets
 * the 503 and the connection's next user tries again. */
static int pgsql_reconnect_primary(invite_db_t *db, const char *what,
                                   const char *msg)
{
    PGconn *conn = apr_dbd_native_handle(db->dbd->driver, db->dbd->handle);

    if (!conn) {
        return 0;
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, db->r, INVLOGNO(01100)
                  "%s: the server of this connection to %s takes no writes "
                  "(a standby, or read-only: %.*s); connecting again to the "
                  "primary DBDParams lists", what, dbname(db)->label,
                  (int)strcspn(msg, "\n"), msg);
    PQreset(conn);
    if (PQstatus(conn) != CONNECTION_OK) {
        const char *e = PQerrorMessage(conn);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, INVLOGNO(01101)
                      "no primary of %s reachable: %.*s; answering 503",
                      dbname(db)->label, (int)strcspn(e, "\n"), e);
        return 0;
    }
    pgsql_reprepare(db);
    if (pgsql_read_only(db)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, INVLOGNO(01102)
                      "%s reached a server that takes no writes again: give "
                      "DBDParams every server (host=a,b port=p,q) and "
                      "target_session_attrs=read-write, so that libpq finds "
                      "the primary; answering 503", dbname(db)->label);
        return 0;
    }
    return 1;
}

/* PostgreSQL ends a commit's wait for its synchronous standby when the
 * statement is cancelled (pg_cancel_backend; statement_timeout does not
 * reach that wait): the commit then stands on the primary alone, and is reported as a success with only a warning,
 * which apr_dbd does not pass on.  Answered 200, such a write would be
 * lost if the primary failed before the standby caught up.  So libpq's
 * notices on mod_invite's connections come here; the warning marks the
 * connection, and execute() answers the statement 503 instead.  Other
 * notices go on to libpq's own receiver (the error log, as before). */
#define SYNC_CANCELLED_MARK "invite-sync-cancelled"
static PQnoticeReceiver libpq_receiver;

static void pgsql_notice(void *arg, const PGresult *res)
{
    ap_dbd_t *d = arg;
    const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

    if (m && strstr(m, "wait for synchronous replication")) {
        apr_pool_userdata_setn(d, SYNC_CANCELLED_MARK, NULL, d->pool);
    }
    else if (libpq_receiver) {
        libpq_receiver(NULL, res);   /* libpq's ignores its argument */
    }
}

static void pgsql_watch_notices(invite_db_t *db)
{
    PGconn *conn = apr_dbd_native_handle(db->dbd->driver, db->dbd->handle);
    PQnoticeReceiver was;

    if (!conn) {
        return;
    }
    was = PQsetNoticeReceiver(conn, pgsql_notice, db->dbd);
    if (was != pgsql_notice) {
        libpq_receiver = was;
    }
}

/* Whether the statement just run on the connection had its commit's wait
 * for the synchronous standby cancelled (and forgets it). */
static int pgsql_sync_cancelled(invite_db_t *db)
{
    void *mark = NULL;

    apr_pool_userdata_get(&mark, SYNC_CANCELLED_MARK, db->dbd->pool);
    if (mark) {
        apr_pool_userdata_setn(NULL, SYNC_CANCELLED_MARK, NULL, db->dbd->pool);
    }
    return mark != NULL;
}

static apr_dbd_prepared_t *statement(invite_db_t *db, invite_stmt_e stmt)
{
    apr_dbd_prepared_t *st = apr_hash_get(db->dbd->prepared,
                                          db->engine->statements[stmt].label,
                                          APR_HASH_KEY_STRING);
    if (!st) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, INVLOGNO(00104)
                      "statement %s is not prepared on this connection to "
                      "%s", db->engine->statements[stmt].label,
                      dbname(db)->label);
    }
    return st;
}

static int run(invite_db_t *db, invite_stmt_e stmt, int nargs,
               const char **args, apr_dbd_results_t **res, int *nrows)
{
    ap_dbd_t *d = db->dbd;
    apr_dbd_prepared_t *st = statement(db, stmt);
    invite_dbc_t c = invite_dbc_of(d->driver, d->handle, db->r->pool);

    if (!st) {
        return -1;
    }
    /* Selects in random-access mode: pgsql's sequential mode swallows
     * errors (P10). */
    return invite_dbc_run(&c, st, nargs, args, res, nrows);
}

/* Prepares statement i on the connection unless it is there already
 * (a prepared handle stays valid for the connection's life; after a
 * pgsql reconnect pgsql_reprepare() replaces them all).  Returns the
 * driver's code, with its message in *msg on failure. */
static int prepare_one(invite_db_t *db, int i, const char **msg)
{
    ap_dbd_t *d = db->dbd;
    const invite_stmt_t *st = &db->engine->statements[i];
    apr_dbd_prepared_t *handle = NULL;
    invite_dbc_t c = invite_dbc_of(d->driver, d->handle, d->pool);
    int rv;

    if (!st->sql || apr_hash_get(d->prepared, st->label, APR_HASH_KEY_STRING)) {
        return 0;
    }
    rv = invite_dbc_prepare(&c, st, &handle);
    if (rv == 0) {
        apr_hash_set(d->prepared, st->label, APR_HASH_KEY_STRING, handle);
    }
    else {
        *msg = invite_db_error_text(db, rv);
    }
    return rv;
}

static invite_db_rc_e connection_setup(invite_db_t *db);

/* The schema changed under the connection's statements (invitectl
 * migrate while httpd runs): apr_dbd's sqlite3 driver prepares with the
 * legacy interface, whose statements fail with SQLITE_SCHEMA instead of
 * preparing themselves again, and PostgreSQL refuses a statement whose
 * result columns changed. */
static int schema_changed(const invite_db_t *db, const char *msg)
{
    return strstr(msg, is_pgsql(db)
                       ? "cached plan must not change result type"
                       : "database schema has changed") != NULL;
}

/* Forgets mod_invite's statements on the connection, so that its next
 * use checks the schema version again and prepares them afresh (other
 * consumers' statements on a shared pool are left alone).  PostgreSQL
 * keeps named statements for the session: they are deallocated first,
 * which an aborted transaction cannot do, so then only the set-up mark
 * goes and the next request that finds the connection deallocates. */
#define STALE_MARK "invite-statements-stale"

static void forget_statements(invite_db_t *db)
{
    ap_dbd_t *d = db->dbd;
    const invite_stmt_t *stmts = db->engine->statements;
    int i;

    session_set_ready(d, 0);
    if (is_pgsql(db) && db->in_transaction) {
        apr_pool_userdata_setn(d, STALE_MARK, NULL, d->pool);
        return;
    }
    for (i = 0; i < INVITE_STMT_COUNT; i++) {
        int nrows = 0;
        if (!stmts[i].sql) {
            continue;
        }
        if (is_pgsql(db)
            && apr_hash_get(d->prepared, stmts[i].label, APR_HASH_KEY_STRING)) {
            /* The label is a constant of invite_sql.c, never input. */
            apr_dbd_query(d->driver, d->handle, &nrows, apr_pstrcat(
                db->r->pool, "DEALLOCATE ", stmts[i].label, NULL));
        }
        apr_hash_set(d->prepared, stmts[i].label, APR_HASH_KEY_STRING, NULL);
    }
    apr_pool_userdata_setn(NULL, STALE_MARK, NULL, d->pool);
}

static int statements_stale(const ap_dbd_t *d)
{
    void *mark = NULL;
    apr_pool_userdata_get(&mark, STALE_MARK, d->pool);
    return mark != NULL;
}

/* Runs a statement on a set-up connection (or, `setting_up`, during the
 * set-up).  Outside a transaction a failed pgsql statement changed
 * nothing, so it is retried once on the repaired connection. */
static invite_db_rc_e run_repairing(invite_db_t *db, invite_stmt_e stmt,
                                    int nargs, const char **args,
                                    apr_dbd_results_t **res, int *nrows,
                                    int setting_up)
{
    const char *msg;
    int rv, up;

    rv = run(db, stmt, nargs, args, res, nrows);
    if (rv == -1) {
        return INVITE_DB_ERROR;
    }
    if (rv == 0) {
        return INVITE_DB_OK;
    }
    msg = invite_db_error_text(db, rv);
    if (schema_changed(db, msg)) {
        /* In a transaction apr_dbd refuses every further statement once
         * one failed: this request gets the 503 with Retry-After, and the
         * connection's next one finds it set up afresh. */
        ap_log_rerror(APLOG_MARK, db->in_transaction ? APLOG_WARNING
                      : APLOG_INFO, 0, db->r, INVLOGNO(00120)
                      "%s: the schema of %s changed under this connection's "
                      "statements; checking its version and preparing them "
                      "again%s", db->engine->statements[stmt].label,
                      dbname(db)->label, db->in_transaction
                      ? " (this request, in a transaction, is answered 503)"
                      : "");
        forget_statements(db);
        if (db->in_transaction) {
            return INVITE_DB_UNAVAILABLE;
        }
        if (setting_up) {
            /* check_schema's own statement: prepared again, run below */
            rv = prepare_one(db, stmt, &msg);
        }
        else {
            invite_db_rc_e rc = connection_setup(db);
            if (rc != INVITE_DB_OK) {
                return rc;   /* e.g. a version this build does not serve */
            }
            rv = 0;
        }
        if (rv == 0) {
            /* A SQLite statement prepared right after the schema was read
             * again can fail once more (code 1, "not an error"), then
             * runs: one more try, as a failed statement changed nothing. */
            int tries = is_pgsql(db) ? 1 : 2;
            do {
                if (res) {
                    *res = NULL;   /* the driver would refill a failed one */
                }
                rv = run(db, stmt, nargs, args, res, nrows);
            } while (rv != 0 && --tries > 0);
            if (rv == 0) {
                return INVITE_DB_OK;
            }
            msg = invite_db_error_text(db, rv);
        }
    }
    /* A server that takes no writes: the statement changed nothing, so it
     * runs again on the primary, if one is reachable. */
    if (is_pgsql(db) && !db->in_transaction
        && (invite_db_error_read_only(msg) || pgsql_read_only(db))) {
        const char *label = db->engine->statements[stmt].label;
        if (!pgsql_reconnect_primary(db, label, msg)) {
            /* no primary: unavailable, whatever the message */
            return invite_db_error_classify(db, label, rv, 0, msg);
        }
        if (!setting_up) {
            invite_db_rc_e rc = connection_setup(db);
            if (rc != INVITE_DB_OK) {
                return rc;
            }
        }
        if (res) {
            *res = NULL;
        }
        rv = run(db, stmt, nargs, args, res, nrows);
        if (rv == 0) {
            return INVITE_DB_OK;
        }
        msg = invite_db_error_text(db, rv);
        return invite_db_error_classify(db, label, rv, connected(db), msg);
    }
    up = connected(db);
    /* A timeout is not a broken connection: retrying would only wait as
     * long again. */
    if (up && !db->in_transaction && is_pgsql(db)
        && !invite_db_error_timed_out(msg)) {
        pgsql_reprepare(db);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, db->r, INVLOGNO(00105)
                      "%s failed (code %d); retrying once on the "
                      "re-prepared connection",
                      db->engine->statements[stmt].label, rv);
        if (!setting_up) {
            invite_db_rc_e rc = connection_setup(db);
            if (rc != INVITE_DB_OK) {
                return rc;
            }
        }
        rv = run(db, stmt, nargs, args, res, nrows);
        if (rv == 0) {
            return INVITE_DB_OK;
        }
        msg = invite_db_error_text(db, rv);
        up = connected(db);
    }
    return invite_db_error_classify(db, db->engine->statements[stmt].label,
                                    rv, up, msg);
}

/* The schema version of the connection's database: INVITE_DB_OK when it
 * is INVITE_SCHEMA_VERSION, else logged with its fix. */
static invite_db_rc_e check_schema(invite_db_t *db)
{
    ap_dbd_t *d = db->dbd;
    invite_dbc_t c = invite_dbc_of(d->driver, d->handle, db->r->pool);
    apr_dbd_results_t *res = NULL;
    const char *msg = NULL;
    long version;
    invite_db_rc_e rc;
    int rv = prepare_one(db, INVITE_STMT_SCHEMA_VERSION, &msg);

    /* This is a connection's first statement: one whose backend died
     * while it sat idle in the pool (a PostgreSQL restart, a killed
     * backend) fails it, is reconnected by connected(), and is prepared
     * afresh, as run_repairing() does for a statement. */
    if (rv != 0 && is_pgsql(db) && invite_db_error_transient(msg)
        && !invite_db_error_timed_out(msg)
        && connected(db)) {
        pgsql_reprepare(db);
        rv = prepare_one(db, INVITE_STMT_SCHEMA_VERSION, &msg);
    }
    if (rv != 0) {
        return invite_db_error_no_such_table(msg)
            ? invite_db_error_no_schema(db)
            : invite_db_error_classify(db, "invite_schema_version", rv,
                                       connected(db), msg);
    }
    /* A handle from before a pgsql reconnect is repaired here. */
    rc = run_repairing(db, INVITE_STMT_SCHEMA_VERSION, 0, NULL, &res, NULL, 1);
    if (rc != INVITE_DB_OK) {
        return rc;
    }
    /* Every row is read: a pgsql result must not be left uncleared. */
    if (!invite_dbc_version(&c, res, &version)) {
        /* an empty schema_version table */
        return invite_db_error_no_schema(db);
    }
    if (version == INVITE_SCHEMA_VERSION) {
        return INVITE_DB_OK;
    }
    if (version > INVITE_SCHEMA_VERSION) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, INVLOGNO(00904)
                      "database %s has schema version %ld, newer than the "
                      "%d this mod_invite %s serves: upgrade mod_invite; "
                      "answering 503", dbname(db)->label, version,
                      INVITE_SCHEMA_VERSION, INVITE_VERSION);
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, INVLOGNO(00905)
                      "database %s has schema version %ld, older than the "
                      "%d this mod_invite %s serves: %s; answering 503",
                      dbname(db)->label, version, INVITE_SCHEMA_VERSION,
                      INVITE_VERSION, invite_db_error_hint(db, "migrate"));
    }
    return INVITE_DB_MISCONFIGURED;
}

/* A connection's first use (and the first after a pgsql reconnect):
 * the SQLite file and directory, the schema version, every statement of
 * the engine prepared, and the engine's session statement.  Only then is
 * the connection marked; until then each request tries again, so a fixed
 * database serves without a restart. */
static invite_db_rc_e connection_setup(invite_db_t *db)
{
    apr_dbd_results_t *res = NULL;
    invite_db_rc_e rc;
    int i;

    /* Every statement and BEGIN starts here.  One after
     * invite_db_release() is a bug in the caller: a 500, never a use of a
     * connection another request holds now. */
    if (!db->dbd) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, INVLOGNO(00110)
                      "database used after its connection went back to "
                      "the pool");
        return INVITE_DB_ERROR;
    }
    if (session_ready(db->dbd)) {
        return INVITE_DB_OK;
    }
    if (statements_stale(db->dbd) && !db->in_transaction) {
        forget_statements(db);
    }
    if (is_pgsql(db)) {
        pgsql_watch_notices(db);
    }
    /* A new session (a new connection, or one libpq connected again) on
     * a standby: reads there could miss what the primary acknowledged. */
    if (is_pgsql(db) && pgsql_read_only(db)
        && !pgsql_reconnect_primary(db, "a new session", "in_hot_standby "
                                    "or default_transaction_read_only")) {
        return INVITE_DB_UNAVAILABLE;
    }
    rc = is_pgsql(db) ? INVITE_DB_OK : invite_db_error_sqlite_access(db);
    if (rc == INVITE_DB_OK) {
        rc = check_schema(db);
    }
    for (i = 0; rc == INVITE_DB_OK && i < INVITE_STMT_COUNT; i++) {
        const char *msg = NULL;
        int rv = prepare_one(db, i, &msg);
        if (rv != 0) {
            int up = connected(db);
            rc = invite_db_error_classify(db, db->engine->statements[i].label,
                                          rv, up, msg);
            if (rc == INVITE_DB_ERROR) {
                /* The version is right but a statement does not fit the
                 * tables: the schema was changed by hand. */
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r,
                              INVLOGNO(00906) "database %s has schema "
                              "version %d but %s cannot be prepared on it: "
                              "restore the tables of conf/schema-%s.sql; "
                              "answering 503", dbname(db)->label,
                              INVITE_SCHEMA_VERSION,
                              db->engine->statements[i].label,
                              db->engine->driver);
                rc = INVITE_DB_MISCONFIGURED;
            }
        }
    }
    if (rc != INVITE_DB_OK) {
        return rc;
    }
    /* A failure of the session statement is left to the statement that
     * follows, which meets the same broken connection and reports it. */
    if (!db->engine->statements[INVITE_STMT_SESSION].sql
        || run(db, INVITE_STMT_SESSION, 0, NULL, &res, NULL) == 0) {
        session_set_ready(db->dbd, 1);
    }
    return INVITE_DB_OK;
}

static invite_db_rc_e execute(invite_db_t *db, invite_stmt_e stmt, int nargs,
                              const char **args, apr_dbd_results_t **res,
                              int *nrows)
{
    invite_db_rc_e rc = connection_setup(db);

    if (rc != INVITE_DB_OK) {
        return rc;
    }
    if (!is_pgsql(db)) {
        return run_repairing(db, stmt, nargs, args, res, nrows, 0);
    }
    pgsql_sync_cancelled(db);   /* a mark left by another statement */
    rc = run_repairing(db, stmt, nargs, args, res, nrows, 0);
    if (rc == INVITE_DB_OK && pgsql_sync_cancelled(db)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, INVLOGNO(01103)
                      "%s: the commit on %s was not confirmed by its "
                      "synchronous standby (the wait was cancelled, e.g. "
                      "by pg_cancel_backend): it stands on the primary "
                      "alone; answering 503 (is the standby down or "
                      "behind?)", db->engine->statements[stmt].label,
                      dbname(db)->label);
        return INVITE_DB_UNAVAILABLE;
    }
    return rc;
}

static invite_db_rc_e select_rows(invite_db_t *db, invite_stmt_e stmt,
                                  int nargs, const char **args,
                                  apr_array_header_t **rows, int *ncols)
{
    ap_dbd_t *d = db->dbd;
    apr_pool_t *p = db->r->pool;
    invite_dbc_t conn = invite_dbc_of(d->driver, d->handle, p);
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
            const char *msg = invite_db_error_text(db, rv);
            return invite_db_error_classify(
                db, db->engine->statements[stmt].label, rv, connected(db),
                msg);
        }
        vals = apr_pcalloc(p, n * sizeof(*vals));
        for (c = 0; c < n; c++) {
            /* NULL stays NULL (sqlite3 gives NULL for it, pgsql ""). */
            const char *v = invite_dbc_value(&conn, row, c);
            if (v) {
                vals[c] = apr_pstrdup(p, v);
            }
        }
        APR_ARRAY_PUSH(*rows, const char **) = vals;
    }
    return INVITE_DB_OK;
}

/* The statements, timed for the server-status page (rows included:
 * sqlite3 steps through them as they are fetched). */
invite_db_rc_e invite_db_select(invite_db_t *db, invite_stmt_e stmt,
                                int nargs, const char **args,
                                apr_array_header_t **rows, int *ncols)
{
    apr_time_t t0 = apr_time_now();
    invite_db_rc_e rc = select_rows(db, stmt, nargs, args, rows, ncols);

    invite_status_db_time(db->r, t0);
    return rc;
}

invite_db_rc_e invite_db_query(invite_db_t *db, invite_stmt_e stmt,
                               int nargs, const char **args, int *nrows)
{
    apr_time_t t0 = apr_time_now();
    invite_db_rc_e rc;

    *nrows = 0;
    rc = execute(db, stmt, nargs, args, NULL, nrows);
    invite_status_db_time(db->r, t0);
    return rc;
}

void invite_db_write_unlock(invite_db_t *db)
{
    if (db->writer_locked) {
        db->writer_locked = 0;
        apr_global_mutex_unlock(sqlite_writer);
    }
}

static apr_status_t release_forgotten_lock(void *data)
{
    invite_db_write_unlock(data);
    return APR_SUCCESS;
}

invite_db_rc_e invite_db_write_lock(invite_db_t *db)
{
    invite_db_rc_e rc;
    apr_status_t lrv;
    apr_time_t t0;

    if (is_pgsql(db) || db->writer_locked) {
        return INVITE_DB_OK;
    }
    /* Every SQLite write comes here first. */
    rc = invite_db_error_sqlite_moved(db);
    if (rc != INVITE_DB_OK || !sqlite_writer) {
        return rc;
    }
    /* Bounded: behind an outside writer that keeps the database locked,
     * each holder waits ~1.6 s for SQLite; queued requests give up. */
    t0 = apr_time_now();
    lrv = apr_global_mutex_timedlock(sqlite_writer, WRITER_WAIT);
    if (lrv == APR_ENOTIMPL) {
        lrv = apr_global_mutex_lock(sqlite_writer);
    }
    invite_status_db_time(db->r, t0);   /* waiting for another writer */
    if (lrv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, lrv, db->r, INVLOGNO(00109)
                      "could not take the SQLite writer lock");
        return INVITE_DB_UNAVAILABLE;
    }
    if (!db->writer_lock_cleanup) {
        /* Never left held, whatever path the request takes. */
        apr_pool_cleanup_register(db->r->pool, db, release_forgotten_lock,
                                  apr_pool_cleanup_null);
        db->writer_lock_cleanup = 1;
    }
    db->writer_locked = 1;
    return INVITE_DB_OK;
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
    invite_db_rc_e rc;
    apr_time_t t0;
    int rv;

    /* apr-util's pgsql driver writes through a NULL transaction when BEGIN
     * fails (a lost connection), killing the process: mod_invite's pgsql
     * statements are single-statement atomic and never come here. */
    if (is_pgsql(db)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, INVLOGNO(00108)
                      "explicit transactions are not used on pgsql");
        return INVITE_DB_ERROR;
    }
    rc = connection_setup(db);
    if (rc == INVITE_DB_OK) {
        rc = invite_db_write_lock(db);
    }
    if (rc != INVITE_DB_OK) {
        return rc;
    }
    db->txn = NULL;
    /* sqlite3: BEGIN IMMEDIATE, the write lock up front. */
    t0 = apr_time_now();
    rv = apr_dbd_transaction_start(d->driver, db->r->pool, d->handle, &db->txn);
    invite_status_db_time(db->r, t0);
    if (rv != 0) {
        const char *msg = invite_db_error_text(db, rv);
        rc = invite_db_error_classify(db, "BEGIN", rv, connected(db),
                                      msg);
        invite_db_write_unlock(db);
        return rc;
    }
    db->in_transaction = 1;
    apr_pool_cleanup_register(db->r->pool, db, end_forgotten_transaction,
                              apr_pool_cleanup_null);
    return INVITE_DB_OK;
}

invite_db_rc_e invite_db_end(invite_db_t *db, int commit)
{
    ap_dbd_t *d = db->dbd;
    apr_time_t t0;
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
    t0 = apr_time_now();
    rv = apr_dbd_transaction_end(d->driver, db->r->pool, db->txn);
    invite_status_db_time(db->r, t0);
    if (rv != 0) {
        const char *msg = invite_db_error_text(db, rv);
        invite_db_rc_e rc = invite_db_error_classify(
            db, commit ? "COMMIT" : "ROLLBACK", rv, connected(db), msg);
        if (!is_pgsql(db)) {
            int n;
            /* SQLite keeps a transaction open after a failed COMMIT; the
             * connection must not return to the pool holding its lock. */
            apr_dbd_query(d->driver, d->handle, &n, "ROLLBACK");
        }
        invite_db_write_unlock(db);
        return rc;
    }
    invite_db_write_unlock(db);
    return INVITE_DB_OK;
}

/* The server whose database the status page reads: the first whose own
 * configuration record says InviteDBD On.  Virtual hosts without a
 * mod_invite directive share the main server's record, which comes
 * first; another mod_dbd consumer's virtual host is never picked for
 * what it inherits. */
static server_rec *sync_status_server(void)
{
    server_rec *s;

    for (s = ap_server_conf; s; s = s->next) {
        const invite_srv_cfg_t *srv = ap_get_module_config(s->module_config,
                                                           &invite_module);
        if (srv && srv->statements_registered) {
            return s;
        }
    }
    return NULL;
}

void invite_db_sync_status(request_rec *r, invite_sync_status_t *out)
{
    server_rec *s = sync_status_server();
    apr_array_header_t *rows;
    invite_db_t *db;
    int ncols = 0;

    out->state = INVITE_SYNC_STATUS_NONE;
    out->lag_s = out->outbox = -1;
    if (!s) {
        return;
    }
    out->state = INVITE_SYNC_STATUS_UNREAD;
    /* A database that cannot be used is logged as for any request; the
     * page then shows "-". */
    db = acquire_from(r, s);
    if (!db) {
        return;
    }
    if (invite_db_select(db, INVITE_STMT_SYNC_STATUS, 0, NULL, &rows, &ncols)
        == INVITE_DB_OK && rows->nelts == 1
        && ncols >= INVITE_SYNC_STATUS_COL_COUNT) {
        const char **col = APR_ARRAY_IDX(rows, 0, const char **);
        invite_status_sync_read(out, col[INVITE_SYNC_STATUS_COL_LAST_OK],
                                col[INVITE_SYNC_STATUS_COL_LAST_OK_AT],
                                col[INVITE_SYNC_STATUS_COL_OUTBOX],
                                invite_time_now_ms());
    }
    invite_db_release(db);
}
