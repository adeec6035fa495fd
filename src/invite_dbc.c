/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_dbc.c - mod_invite's database calls over apr_dbd, free of httpd
 * (include/invite_dbc.h), for the module, invitectl and the sync daemon.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "invite_dbc.h"

invite_dbc_t invite_dbc_of(const apr_dbd_driver_t *driver, apr_dbd_t *handle,
                           apr_pool_t *pool)
{
    invite_dbc_t c;

    c.pool = pool;
    c.driver = driver;
    c.handle = handle;
    return c;
}

apr_status_t invite_dbc_driver(invite_dbc_t *c, apr_pool_t *pool,
                               const char *driver_name)
{
    c->pool = pool;
    c->driver = NULL;
    c->handle = NULL;
    return apr_dbd_get_driver(pool, driver_name, &c->driver);
}

apr_status_t invite_dbc_open(invite_dbc_t *c, const char *params,
                             const char **err)
{
    const char *e = NULL;
    apr_status_t rv;

    *err = NULL;
    c->handle = NULL;
    rv = apr_dbd_open_ex(c->driver, c->pool, params, &c->handle, &e);
    if (rv == APR_SUCCESS && c->handle) {
        return APR_SUCCESS;
    }
    c->handle = NULL;
    if (e && *e) {
        *err = apr_pstrmemdup(c->pool, e, strcspn(e, "\n"));
    }
    return rv != APR_SUCCESS ? rv : APR_EGENERAL;
}

void invite_dbc_close(invite_dbc_t *c)
{
    if (c->handle) {
        apr_dbd_close(c->driver, c->handle);
    }
    c->handle = NULL;
}

const char *invite_dbc_error(const invite_dbc_t *c, int rv)
{
    const char *e = apr_dbd_error(c->driver, c->handle, rv);

    if (!e || !*e) {
        return apr_psprintf(c->pool, "database error %d", rv);
    }
    if (!strncmp(e, "ERROR:  ", 8)) {
        e += 8;
    }
    return apr_pstrmemdup(c->pool, e, strcspn(e, "\n"));
}

int invite_dbc_prepare(const invite_dbc_t *c, const invite_stmt_t *s,
                       apr_dbd_prepared_t **st)
{
    return apr_dbd_prepare(c->driver, c->pool, c->handle, s->sql, s->label,
                           st);
}

int invite_dbc_run(const invite_dbc_t *c, apr_dbd_prepared_t *st, int nargs,
                   const char **args, apr_dbd_results_t **res, int *nrows)
{
    if (res) {
        return apr_dbd_pselect(c->driver, c->pool, c->handle, res, st, 1,
                               nargs, args);
    }
    return apr_dbd_pquery(c->driver, c->pool, c->handle, nrows, st, nargs,
                          args);
}

apr_dbd_row_t *invite_dbc_next(const invite_dbc_t *c, apr_dbd_results_t *res,
                               apr_dbd_row_t **row)
{
    if (apr_dbd_get_row(c->driver, c->pool, res, row, -1) != 0) {
        return NULL;
    }
    return *row;
}

void invite_dbc_drain(const invite_dbc_t *c, apr_dbd_results_t *res,
                      apr_dbd_row_t **row)
{
    while (invite_dbc_next(c, res, row)) {
        continue;
    }
}

int invite_dbc_is_null(const invite_dbc_t *c, apr_dbd_row_t *row, int col)
{
    char *datum = NULL;

    return apr_dbd_datum_get(c->driver, row, col, APR_DBD_TYPE_STRING,
                             &datum) == APR_ENOENT;
}

const char *invite_dbc_value(const invite_dbc_t *c, apr_dbd_row_t *row,
                             int col)
{
    const char *v;

    if (invite_dbc_is_null(c, row, col)) {
        return NULL;
    }
    v = apr_dbd_get_entry(c->driver, row, col);
    return v ? v : "";
}

int invite_dbc_version(const invite_dbc_t *c, apr_dbd_results_t *res,
                       long *version)
{
    apr_dbd_row_t *row = NULL;
    const char *value = NULL;

    while (invite_dbc_next(c, res, &row)) {
        const char *v = invite_dbc_value(c, row, 0);

        value = v ? apr_pstrdup(c->pool, v) : NULL;
    }
    if (!value || !*value) {
        return 0;
    }
    *version = strtol(value, NULL, 10);
    return 1;
}
