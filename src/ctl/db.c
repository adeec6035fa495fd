/* SPDX-License-Identifier: Apache-2.0 */
/*
 * db.c - invitectl's database connection (src/ctl/ctl.h): opening it,
 * with the reason when a SQLite file cannot be reached, read or created,
 * the admin statements of src/invite_sql.c, rows and transactions.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "ctl.h"
#include "invite_dbname.h"

static const char *ctl_sqlite_denied(apr_pool_t *p, const char *path);

/* The database's message for rv: its first line, without libpq's
 * "ERROR:  " prefix; for SQLite's "readonly" and "unable to open", what
 * the caller may not do that SQLite needs. */
const char *ctl_db_error(ctl_db_t *db, int rv)
{
    const char *e = invite_dbc_error(&db->dbc, rv);

    /* (apr_dbd passes on SQLITE_ERROR for them, from sqlite3_step.) */
    if (db->sqlite_file && (strstr(e, "readonly database")
                            || strstr(e, "unable to open database file"))) {
        e = apr_pstrcat(db->pool, e,
                        ctl_sqlite_denied(db->pool, db->sqlite_file), NULL);
    }
    return e;
}

/* Runs a SQLite PRAGMA, which may return a row (apr_dbd_query takes
 * that for an error): 0 or the driver's error code. */
int ctl_pragma(ctl_db_t *db, const char *pragma)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rv = apr_dbd_select(db->dbc.driver, db->pool, db->dbc.handle, &res,
                            pragma, 1);

    if (!rv) {
        invite_dbc_drain(&db->dbc, res, &row);
    }
    return rv;
}

/* 1 for a SQLite DBDParams that is a plain path (not a file: URI, not
 * :memory:). */
static int ctl_sqlite_path(const char *params)
{
    return *params && strncmp(params, "file:", 5)
        && strcmp(params, ":memory:");
}

/* Why the caller cannot reach the file at path: the first directory on
 * the way that is missing, is not a directory or has no search
 * permission for it; NULL when none.  (sqlite3 says "unable to open
 * database file" for all of them, and open(2) "No such file" for a
 * missing directory.) */
static const char *ctl_path_blocked(apr_pool_t *p, const char *path)
{
    const char *s;
    struct stat st;

    for (s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
        const char *dir = apr_pstrmemdup(p, path, s - path);

        if (stat(dir, &st) != 0) {
            return errno == ENOENT
                ? apr_psprintf(p, "no directory %s, on the way to %s", dir,
                               path)
                : apr_psprintf(p, "cannot reach the directory %s: %s", dir,
                               strerror(errno));
        }
        if (!S_ISDIR(st.st_mode)) {
            return apr_psprintf(p, "%s is not a directory, on the way to %s",
                                dir, path);
        }
        if (access(dir, X_OK) != 0) {
            return apr_psprintf(p, "no search permission on the directory"
                                " %s, on the way to %s", dir, path);
        }
    }
    return NULL;
}

/* What the caller may not do that SQLite needs, after a failure to open
 * or read path: write the file, or create its -wal, -shm and -journal
 * files beside it; "" when nothing. */
static const char *ctl_sqlite_denied(apr_pool_t *p, const char *path)
{
    const char *dir = invite_dbname_dir(p, path), *file = NULL;

    if (access(path, F_OK) == 0 && access(path, R_OK | W_OK) != 0) {
        file = apr_psprintf(p, "no %s permission on %s",
                            access(path, R_OK) ? "read" : "write", path);
    }
    if (access(dir, W_OK | X_OK) != 0) {
        return apr_psprintf(p, " (%s%sno write permission on the directory"
                            " %s, where SQLite makes %s-wal and -shm)",
                            file ? file : "", file ? "; " : "", dir, path);
    }
    return file ? apr_psprintf(p, " (%s)", file) : "";
}

/* Opens the database.  must_exist: a SQLite file that is not there is an
 * error (sqlite3_open would create an empty one), and so is one that
 * cannot be read, with the reason. */
int ctl_connect(ctl_db_t *db, int must_exist)
{
    const char *err = NULL, *path, *blocked;
    apr_status_t rv;
    apr_file_t *f;
    struct stat st;
    char why[256];

    db->engine = invite_sql_engine(db->driver_name);
    if (!db->engine) {
        return ctl_fail(db->pool, "unsupported driver '%s' (sqlite3 or pgsql)",
                        db->driver_name);
    }
    rv = invite_dbc_driver(&db->dbc, db->pool, db->driver_name);
    if (rv != APR_SUCCESS) {
        return ctl_fail(db->pool, "cannot load the apr_dbd driver '%s'"
                        " (install libaprutil1-dbd-%s)", db->driver_name,
                        db->driver_name);
    }
    path = db->sqlite_file = db->engine->id == INVITE_ENGINE_SQLITE3
        && ctl_sqlite_path(db->params) ? db->params : NULL;
    if (path && (blocked = ctl_path_blocked(db->pool, path))) {
        return ctl_fail(db->pool, "cannot open the database: %s", blocked);
    }
    if (path && must_exist) {
        rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT,
                           db->pool);
        if (APR_STATUS_IS_ENOENT(rv) && lstat(path, &st) == 0) {
            return ctl_fail(db->pool, "cannot open the database: %s is a"
                            " symbolic link to a missing file", path);
        }
        if (APR_STATUS_IS_ENOENT(rv)) {
            return ctl_fail(db->pool, "cannot open the database: no file %s"
                            " (invitectl init creates it)", path);
        }
        if (rv != APR_SUCCESS) {
            return ctl_fail(db->pool, "cannot open the database: cannot open"
                            " %s: %s", path,
                            apr_strerror(rv, why, sizeof(why)));
        }
        apr_file_close(f);
    }
    else if (path && lstat(path, &st) != 0 && errno == ENOENT
             && access(invite_dbname_dir(db->pool, path), W_OK | X_OK) != 0) {
        return ctl_fail(db->pool, "cannot create the database: no write"
                        " permission on the directory %s, to create %s",
                        invite_dbname_dir(db->pool, path), path);
    }
    rv = invite_dbc_open(&db->dbc, db->params, &err);
    if (rv != APR_SUCCESS) {
        return ctl_fail(db->pool, "cannot open the database: %s%s",
                        err ? err : "connection failed",
                        path ? ctl_sqlite_denied(db->pool, path) : "");
    }
    if (db->engine->id == INVITE_ENGINE_SQLITE3) {
        int nrows = 0;
        /* Deleting a user or room cascades to its rows, as on pgsql. */
        rv = apr_dbd_query(db->dbc.driver, db->dbc.handle, &nrows,
                           "PRAGMA foreign_keys = ON");
        /* A file that is not a database opens fine: read it once. */
        if (!rv) {
            rv = ctl_pragma(db, "PRAGMA schema_version");
        }
        if (rv) {
            return ctl_fail(db->pool, "cannot open the database: %s",
                            ctl_db_error(db, rv));
        }
    }
    return CTL_OK;
}

/* ctl_connect for a command that takes no arguments (init, migrate,
 * check, stats): a usage error for any. */
int ctl_connect_bare(ctl_db_t *db, const char *cmd,
                     const apr_array_header_t *args, int must_exist)
{
    if (args->nelts) {
        return ctl_usage_error(db->pool, cmd, "%s takes no arguments", cmd);
    }
    return ctl_connect(db, must_exist);
}

void ctl_close(ctl_db_t *db)
{
    invite_dbc_close(&db->dbc);
}

/* An admin statement, prepared on first use; NULL after a message. */
apr_dbd_prepared_t *ctl_stmt(ctl_db_t *db, invite_admin_stmt_e i)
{
    const invite_stmt_t *s = &db->engine->admin[i];

    if (!db->admin[i]) {
        int rv = invite_dbc_prepare(&db->dbc, s, &db->admin[i]);

        if (rv) {
            db->admin[i] = NULL;
            ctl_fail(db->pool, "preparing %s: %s", s->label,
                     ctl_db_error(db, rv));
            return NULL;
        }
    }
    return db->admin[i];
}

/* Runs admin statement i, a select into *res or (res NULL) a query that
 * changes *nrows rows.  CTL_OK or CTL_FAIL after a message. */
static int ctl_run_admin(ctl_db_t *db, invite_admin_stmt_e i, int nargs,
                         const char **args, apr_dbd_results_t **res,
                         int *nrows)
{
    apr_dbd_prepared_t *st = ctl_stmt(db, i);
    int rv;

    if (!st) {
        return CTL_FAIL;
    }
    /* Selects in random-access mode: pgsql then reports errors and empty
     * results at once. */
    rv = invite_dbc_run(&db->dbc, st, nargs, args, res, nrows);
    if (rv) {
        return ctl_fail(db->pool, "%s: %s", db->engine->admin[i].label,
                        ctl_db_error(db, rv));
    }
    return CTL_OK;
}

/* Runs admin statement i with nargs string arguments (NULL: SQL NULL);
 * *nrows gets the rows changed.  CTL_OK or CTL_FAIL after a message. */
int ctl_query(ctl_db_t *db, invite_admin_stmt_e i, int *nrows, int nargs,
              const char **args)
{
    *nrows = 0;
    return ctl_run_admin(db, i, nargs, args, NULL, nrows);
}

/* Selects with admin statement i; rows are read with ctl_row. */
int ctl_select(ctl_db_t *db, invite_admin_stmt_e i, apr_dbd_results_t **res,
               int nargs, const char **args)
{
    *res = NULL;
    return ctl_run_admin(db, i, nargs, args, res, NULL);
}

/* The next row into *row, which is NULL before the first call and then
 * the driver's (pgsql advances it), or NULL at the end, where pgsql may
 * free the result: copy what must outlive it. */
apr_dbd_row_t *ctl_row(ctl_db_t *db, apr_dbd_results_t *res,
                       apr_dbd_row_t **row)
{
    return invite_dbc_next(&db->dbc, res, row);
}

/* Column col as a string; NULL for SQL NULL (on both engines). */
const char *ctl_col(ctl_db_t *db, apr_dbd_row_t *row, int col)
{
    return invite_dbc_value(&db->dbc, row, col);
}

int ctl_begin(ctl_db_t *db, apr_dbd_transaction_t **txn)
{
    int rv;

    *txn = NULL;
    rv = apr_dbd_transaction_start(db->dbc.driver, db->pool, db->dbc.handle,
                                   txn);
    if (rv) {
        return ctl_fail(db->pool, "cannot start a transaction: %s",
                        ctl_db_error(db, rv));
    }
    return CTL_OK;
}

/* Commits when ok (and nothing failed inside), else rolls back.  Returns
 * CTL_OK only for a commit. */
int ctl_end(ctl_db_t *db, apr_dbd_transaction_t *txn, int ok)
{
    int rv;

    if (ok != CTL_OK) {
        apr_dbd_transaction_mode_set(db->dbc.driver, txn,
                                     APR_DBD_TRANSACTION_ROLLBACK);
    }
    rv = apr_dbd_transaction_end(db->dbc.driver, db->pool, txn);
    if (ok != CTL_OK) {
        return CTL_FAIL;
    }
    if (rv) {
        return ctl_fail(db->pool, "commit failed: %s", ctl_db_error(db, rv));
    }
    return CTL_OK;
}
