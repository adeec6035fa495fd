/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_dbc.h - mod_invite's database calls over apr_dbd, free of httpd
 * (src/invite_dbc.c): open a connection, prepare and run the labelled
 * statements of src/invite_sql.c, read rows and the schema version.
 *
 * The module (src/mod_invite_db.c) uses them on mod_dbd's connections;
 * invitectl (src/ctl/) and the sync daemon on connections of their own.
 */
#ifndef INVITE_DBC_H
#define INVITE_DBC_H

#include <apr_dbd.h>
#include <apr_pools.h>

#include "invite_sql.h"

/* A connection: the driver, the handle and the pool that apr_dbd
 * allocates results, rows and messages in. */
typedef struct {
    apr_pool_t *pool;
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;            /* NULL until invite_dbc_open */
} invite_dbc_t;

/* The connection of an open handle (mod_dbd's), allocating in pool. */
invite_dbc_t invite_dbc_of(const apr_dbd_driver_t *driver, apr_dbd_t *handle,
                           apr_pool_t *pool);

/* Loads the apr_dbd driver named driver_name (sqlite3, pgsql) into c,
 * which allocates in pool: apr_dbd_get_driver's status (APR_ENOTIMPL or
 * APR_EDSOOPEN: not there).  apr_dbd_init must have run. */
apr_status_t invite_dbc_driver(invite_dbc_t *c, apr_pool_t *pool,
                               const char *driver_name);

/* Opens c's driver with params (DBDParams).  On failure *err is the first
 * line of the driver's message, or NULL when it gave none. */
apr_status_t invite_dbc_open(invite_dbc_t *c, const char *params,
                             const char **err);

/* Closes c's handle, if open. */
void invite_dbc_close(invite_dbc_t *c);

/* The first line of the driver's message for code rv, without libpq's
 * "ERROR:  " prefix; "database error N" when it has none. */
const char *invite_dbc_error(const invite_dbc_t *c, int rv);

/* Prepares statement s under its label: the driver's code, 0 for
 * success. */
int invite_dbc_prepare(const invite_dbc_t *c, const invite_stmt_t *s,
                       apr_dbd_prepared_t **st);

/* Runs a prepared statement with nargs string arguments (NULL: SQL
 * NULL): a select into *res when res is not NULL, in random-access mode
 * (pgsql's sequential mode swallows errors), else a query whose changed
 * rows go to *nrows.  The driver's code, 0 for success. */
int invite_dbc_run(const invite_dbc_t *c, apr_dbd_prepared_t *st, int nargs,
                   const char **args, apr_dbd_results_t **res, int *nrows);

/* The next row of res into *row (NULL before the first call), or NULL at
 * the end, where pgsql may free the result: copy what must outlive it. */
apr_dbd_row_t *invite_dbc_next(const invite_dbc_t *c, apr_dbd_results_t *res,
                               apr_dbd_row_t **row);

/* Reads the rest of res: a pgsql result must not be left uncleared. */
void invite_dbc_drain(const invite_dbc_t *c, apr_dbd_results_t *res,
                      apr_dbd_row_t **row);

/* 1 when column col of row is SQL NULL, on both engines (sqlite3 gives a
 * NULL entry for it, pgsql ""). */
int invite_dbc_is_null(const invite_dbc_t *c, apr_dbd_row_t *row, int col);

/* Column col of row as text; NULL for SQL NULL. */
const char *invite_dbc_value(const invite_dbc_t *c, apr_dbd_row_t *row,
                             int col);

/* Reads every row of the result of a schema-version statement
 * (INVITE_STMT_SCHEMA_VERSION, INVITE_ADMIN_VERSION: max(version)).
 * 1 with the version in *version; 0 when there is none (no row, or NULL:
 * an empty schema_version table). */
int invite_dbc_version(const invite_dbc_t *c, apr_dbd_results_t *res,
                       long *version);

#endif
