/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_db_error.c - what a failed database call means (the error
 * mapping: unavailable, an error, or a database the operator must fix),
 * and the log lines that name the database and the fix: a SQLite file or
 * directory httpd cannot write, a file moved under its connection, no
 * schema.  Part of mod_invite_db.c, which alone calls it.
 */
#include <apr_atomic.h>
#include <apr_strings.h>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "mod_invite_db.h"
#include "mod_invite_db_error.h"

static int is_pgsql(const invite_db_t *db)
{
    return db->engine->id == INVITE_ENGINE_PGSQL;
}

/* The server's database, for log lines. */
static const invite_dbname_t *dbname(const invite_db_t *db)
{
    return invite_db_name(db->server);
}

/* The driver's message for a failure, copied: checking (and so resetting)
 * a pgsql connection replaces libpq's message. */
const char *invite_db_error_text(invite_db_t *db, int rv)
{
    const char *msg = apr_dbd_error(db->dbd->driver, db->dbd->handle, rv);
    return apr_pstrdup(db->r->pool, msg ? msg : "???");
}

/* Driver messages that mean "not there or not free right now", not
 * "wrong", matched on text: apr_dbd exposes no SQLSTATE. */
static const char *const timeouts[] = {   /* the options in DBDParams */
    "lock timeout", "statement timeout", NULL
};
static const char *const unavailable[] = {
    /* a backend that was terminated or a connection that broke */
    "terminating connection", "server closed the connection",
    "no connection to the server", "could not receive data",
    "could not send data", "connection to server",
    /* a standby: being promoted, or an old primary back as one */
    "conflict with recovery", "the database system is",
    /* SQLite's lock: a SELECT that stays busy comes back as SQLITE_ERROR */
    "database is locked", "database table is locked", NULL
};

static int mentions(const char *msg, const char *const *words)
{
    for (; *words; words++) {
        if (strstr(msg, *words)) {
            return 1;
        }
    }
    return 0;
}

int invite_db_error_timed_out(const char *msg)
{
    return mentions(msg, timeouts);
}

/* SQLSTATE 25006: a write on a standby or a read-only server. */
int invite_db_error_read_only(const char *msg)
{
    return strstr(msg, "read-only transaction") != NULL;
}

int invite_db_error_transient(const char *msg)
{
    return invite_db_error_timed_out(msg) || mentions(msg, unavailable)
        || invite_db_error_read_only(msg);
}

/* A named statement the server session does not know even after it was
 * prepared again, or one a new connection finds prepared already: the
 * PREPAREs and statements run in different server sessions, as behind a
 * pooler in transaction or statement mode (docs/postgresql.md#pgbouncer).
 * The request is not at fault, so it is a 503, and the process says once
 * what the likely cause is. */
static int statement_lost(invite_db_t *db, const char *msg)
{
    static apr_uint32_t hinted;

    if (!is_pgsql(db) || !strstr(msg, "prepared statement")
        || !(strstr(msg, "does not exist") || strstr(msg, "already exists"))) {
        return 0;
    }
    if (apr_atomic_cas32(&hinted, 1, 0) == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, INVLOGNO(00850)
                      "PostgreSQL lost this connection's prepared statements "
                      "again right after they were prepared: is a pooler in "
                      "transaction or statement mode (PgBouncer pool_mode) "
                      "between httpd and the server?  mod_invite needs "
                      "session pooling (docs/postgresql.md, PgBouncer); "
                      "answering 503");
    }
    return 1;
}

static invite_db_rc_e sqlite_readonly(invite_db_t *db, const char *what,
                                      const char *msg);

/* `up` is connected(db) as the caller last saw it, so that a lost server
 * is not reconnected to twice in one request; `msg` is
 * invite_db_error_text() from before that check. */
invite_db_rc_e invite_db_error_classify(invite_db_t *db, const char *what,
                                        int rv, int up, const char *msg)
{
    int unavailable;

    /* The sqlite3 driver returns SQLITE_ERROR for a failed step, with
     * the message of the real code. */
    if (!is_pgsql(db) && ((rv & 0xff) == SQLITE_READONLY
                          || strstr(msg, "readonly database"))) {
        return sqlite_readonly(db, what, msg);
    }
    unavailable = !up || invite_db_error_transient(msg)
        || (!is_pgsql(db) && (rv == SQLITE_BUSY || rv == SQLITE_LOCKED))
        || statement_lost(db, msg);

    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, INVLOGNO(00103)
                  "%s failed on %s (%s, code %d): %s", what, dbname(db)->label,
                  unavailable ? "database unavailable" : "database error",
                  rv, msg);
    return unavailable ? INVITE_DB_UNAVAILABLE : INVITE_DB_ERROR;
}

/* The user httpd's children run as, for the fixes the log lines give. */
static const char *process_user(apr_pool_t *p)
{
    struct passwd pw, *found = NULL;
    char buf[1024];

    if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &found) == 0 && found) {
        return apr_pstrdup(p, found->pw_name);
    }
    return apr_psprintf(p, "%lu", (unsigned long)geteuid());
}

/* SQLite writes its -wal, -shm and -journal files beside the database:
 * a file or a directory httpd cannot write fails every request or every
 * write ("attempt to write a readonly database"), so say which and how to
 * fix it, once per connection.  A -wal or -shm that
 * SQLite made while the database file was read-only is read-only too,
 * and stays so when the file is fixed: it is named with the file. */
invite_db_rc_e invite_db_error_sqlite_access(invite_db_t *db)
{
    request_rec *r = db->r;
    const char *path = dbname(db)->sqlite_path, *dir, *user, *files;

    if (!path || !*path || !strcmp(path, ":memory:")) {
        return INVITE_DB_OK;
    }
    dir = invite_dbname_dir(r->pool, path);
    files = invite_dbname_sqlite_unwritable(r->pool, path);
    if (files) {
        user = process_user(r->pool);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, INVLOGNO(00901)
                      "database %s cannot be written by user %s: run "
                      "\"chown %s %s && chmod u+rw %s\", then \"apache2ctl "
                      "graceful\" (SQLite opened it read-only); answering "
                      "503",
                      dbname(db)->label, user, user, files, files);
        return INVITE_DB_MISCONFIGURED;
    }
    if (invite_dbname_denied(dir, W_OK | X_OK)) {
        const char *wal = apr_pstrcat(r->pool, path, "-wal", NULL);
        const char *shm = apr_pstrcat(r->pool, path, "-shm", NULL);
        int files_there = access(wal, R_OK | W_OK) == 0
                          && access(shm, R_OK | W_OK) == 0;

        user = process_user(r->pool);
        /* With its WAL files in place SQLite works, until they go. */
        ap_log_rerror(APLOG_MARK, files_there ? APLOG_WARNING : APLOG_ERR, 0,
                      r, INVLOGNO(00902) "the directory %s of database %s "
                      "cannot be written by user %s, so SQLite cannot "
                      "create its -wal, -shm and -journal files there: run "
                      "\"chown %s %s\"%s", dir, dbname(db)->label, user, user,
                      dir, files_there ? "" : "; answering 503");
        if (!files_there) {
            return INVITE_DB_MISCONFIGURED;
        }
    }
    return INVITE_DB_OK;
}

/* SQLite refused a write as read-only (SQLITE_READONLY, "attempt to write
 * a readonly database"): the files or the connection are wrong, not the
 * request, and a retry would not help, so a 503 without Retry-After,
 * never a 500.  invite_db_error_sqlite_access() names a file or directory
 * still unwritable; when all are writable, the connection itself is
 * read-only: opened while they were not (it stays so until httpd opens it
 * again), or made so by PRAGMA query_only. */
static invite_db_rc_e sqlite_readonly(invite_db_t *db, const char *what,
                                      const char *msg)
{
    if (invite_db_error_sqlite_access(db) == INVITE_DB_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, INVLOGNO(00921)
                      "%s on database %s was refused (%s) although user %s "
                      "can write its files: this connection is read-only, "
                      "opened while they were not writable (run \"apache2ctl "
                      "graceful\") or set so by PRAGMA query_only (in "
                      "DBDInitSQL?); answering 503", what, dbname(db)->label,
                      msg, process_user(db->r->pool));
    }
    return INVITE_DB_MISCONFIGURED;
}

/* Whether the SQLite file this connection has open is still the one at
 * the configured path.  A file moved or deleted, or replaced by another
 * (a backup restored with mv, or cp --remove-destination), stays open
 * under its old inode: writes to it would be answered 200 and lost.  So
 * they are refused, before the write, until httpd opens the path again. */
invite_db_rc_e invite_db_error_sqlite_moved(invite_db_t *db)
{
    sqlite3 *conn = apr_dbd_native_handle(db->dbd->driver, db->dbd->handle);
    int moved = 0;

    if (!conn || sqlite3_file_control(conn, "main", SQLITE_FCNTL_HAS_MOVED,
                                      &moved) != SQLITE_OK || !moved) {
        return INVITE_DB_OK;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, INVLOGNO(00922)
                  "database %s was moved, deleted or replaced since this "
                  "connection opened it, so its writes would go to the old "
                  "file: refused; run \"apache2ctl graceful\" to open the "
                  "file now at that path; answering 503", dbname(db)->label);
    return INVITE_DB_MISCONFIGURED;
}

/* The driver's message says that a table is missing. */
int invite_db_error_no_such_table(const char *msg)
{
    return strstr(msg, "no such table")                       /* sqlite3 */
        || (strstr(msg, "relation") && strstr(msg, "does not exist"));
}

/* The fix for a database without the schema, or with another version. */
const char *invite_db_error_hint(invite_db_t *db, const char *command)
{
    const char *line = invite_dbname_invitectl(db->r->pool, dbname(db),
                                               command);
    return line ? apr_psprintf(db->r->pool, "run \"%s\"", line)
                : apr_psprintf(db->r->pool, "run invitectl %s", command);
}

invite_db_rc_e invite_db_error_no_schema(invite_db_t *db)
{
    const char *path = dbname(db)->sqlite_path;
    struct stat st;
    /* SQLite makes an empty file at a path that names none: most often a
     * mistyped DBDParams, where running init would be the wrong fix. */
    int empty = !is_pgsql(db) && path && stat(path, &st) == 0
                && st.st_size == 0;

    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, INVLOGNO(00903)
                  "database %s has no mod_invite schema%s: %s (or load "
                  "conf/schema-%s.sql); if it holds mod_invite's tables from "
                  "before schema versions, %s; answering 503",
                  dbname(db)->label, empty ? " (the file is empty: SQLite "
                  "creates a file where DBDParams names none, so first check "
                  "DBDParams for a mistyped path; a file:PATH?mode=rw URI "
                  "never creates one)" : "",
                  invite_db_error_hint(db, "init"), db->engine->driver,
                  invite_db_error_hint(db, "migrate"));
    return INVITE_DB_MISCONFIGURED;
}
