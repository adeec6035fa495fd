/* SPDX-License-Identifier: Apache-2.0 */
/* test_dbc.c - the database calls over apr_dbd (src/invite_dbc.c) on a
 * SQLite database in a temporary directory: loading a driver, opening
 * (and failing to, with the driver's message), labelled statements,
 * rows, the NULL test and the schema version. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "invite_dbc.h"
#include "tap.h"

static apr_pool_t *pool;

static const invite_stmt_t version_stmt = {
    "test_version", "SELECT max(version) FROM schema_version"
};
static const invite_stmt_t insert_stmt = {
    "test_insert", "INSERT INTO t (k, v) VALUES (%s, %s)"
};
static const invite_stmt_t select_stmt = {
    "test_select", "SELECT k, v FROM t WHERE k >= %s ORDER BY k"
};

/* The schema version of c's database, as invite_dbc_version reads it:
 * -1 for none. */
static long version_of(invite_dbc_t *c)
{
    apr_dbd_prepared_t *st = NULL;
    apr_dbd_results_t *res = NULL;
    long v = -2;

    if (invite_dbc_prepare(c, &version_stmt, &st) != 0
        || invite_dbc_run(c, st, 0, NULL, &res, NULL) != 0) {
        return -2;
    }
    return invite_dbc_version(c, res, &v) ? v : -1;
}

static void test_driver(void)
{
    invite_dbc_t c;
    const char *err = "unset";

    ok(invite_dbc_driver(&c, pool, "no-such-driver") != APR_SUCCESS,
       "driver: an unknown one is refused");
    ok(!c.driver && !c.handle, "driver: nothing loaded then");
    is_int(invite_dbc_driver(&c, pool, "sqlite3"), APR_SUCCESS,
           "driver: sqlite3 loads");
    ok(invite_dbc_open(&c, "/nonexistent-dir/sub/x.db", &err)
       != APR_SUCCESS, "open: a file in a missing directory fails");
    ok(!c.handle, "open: no handle after a failure");
    ok(!err || !strchr(err, '\n'), "open: the message is one line");
    invite_dbc_close(&c);
    ok(!c.handle, "close: nothing open is fine");
}

static void test_rows(const char *path)
{
    invite_dbc_t c;
    const char *err = NULL, *args[2];
    apr_dbd_prepared_t *ins = NULL, *sel = NULL;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int nrows = -1, rv, n;

    is_int(invite_dbc_driver(&c, pool, "sqlite3"), APR_SUCCESS,
           "rows: driver");
    is_int(invite_dbc_open(&c, path, &err), APR_SUCCESS, "open: a new file");
    is_str(err, NULL, "open: no message on success");
    ok(c.handle != NULL, "open: a handle");

    is_int(version_of(&c), -2, "version: no schema_version table");
    rv = invite_dbc_prepare(&c, &version_stmt, &sel);
    ok(rv != 0, "prepare: fails on a missing table");
    ok(strstr(invite_dbc_error(&c, rv), "no such table") != NULL,
       "error: the driver's message");

    apr_dbd_query(c.driver, c.handle, &nrows, "CREATE TABLE schema_version"
                  " (version integer NOT NULL PRIMARY KEY, applied_at"
                  " bigint NOT NULL)");
    apr_dbd_query(c.driver, c.handle, &nrows,
                  "CREATE TABLE t (k text PRIMARY KEY, v text)");
    is_int(version_of(&c), -1, "version: none in an empty table");
    apr_dbd_query(c.driver, c.handle, &nrows, "INSERT INTO schema_version"
                  " VALUES (2, 0), (3, 0)");
    is_int(version_of(&c), 3, "version: the highest");

    is_int(invite_dbc_prepare(&c, &insert_stmt, &ins), 0, "prepare: insert");
    args[0] = "a", args[1] = "one";
    nrows = -1;
    is_int(invite_dbc_run(&c, ins, 2, args, NULL, &nrows), 0, "run: insert");
    is_int(nrows, 1, "run: one row changed");
    args[0] = "b", args[1] = NULL;
    is_int(invite_dbc_run(&c, ins, 2, args, NULL, &nrows), 0,
           "run: insert a NULL");
    args[0] = "c", args[1] = "";
    is_int(invite_dbc_run(&c, ins, 2, args, NULL, &nrows), 0,
           "run: insert an empty string");
    rv = invite_dbc_run(&c, ins, 2, args, NULL, &nrows);
    ok(rv != 0, "run: a duplicate key fails");
    ok(strstr(invite_dbc_error(&c, rv), "UNIQUE") != NULL,
       "error: names the constraint");

    is_int(invite_dbc_prepare(&c, &select_stmt, &sel), 0, "prepare: select");
    args[0] = "a";
    is_int(invite_dbc_run(&c, sel, 1, args, &res, NULL), 0, "run: select");
    n = 0;
    while (invite_dbc_next(&c, res, &row)) {
        const char *k = invite_dbc_value(&c, row, 0);

        n++;
        if (!strcmp(k, "a")) {
            is_str(invite_dbc_value(&c, row, 1), "one", "value: text");
            ok(!invite_dbc_is_null(&c, row, 1), "is_null: not for text");
        }
        else if (!strcmp(k, "b")) {
            is_str(invite_dbc_value(&c, row, 1), NULL, "value: NULL");
            ok(invite_dbc_is_null(&c, row, 1), "is_null: SQL NULL");
        }
        else {
            is_str(invite_dbc_value(&c, row, 1), "", "value: empty string");
            ok(!invite_dbc_is_null(&c, row, 1), "is_null: not for ''");
        }
    }
    is_int(n, 3, "next: every row");

    args[0] = "b";
    res = NULL;
    row = NULL;
    is_int(invite_dbc_run(&c, sel, 1, args, &res, NULL), 0,
           "run: select again");
    ok(invite_dbc_next(&c, res, &row) != NULL, "next: a first row");
    invite_dbc_drain(&c, res, &row);
    ok(invite_dbc_next(&c, res, &row) == NULL, "drain: no row left");

    invite_dbc_close(&c);
    ok(!c.handle, "close: the handle is gone");
}

static void test_of(const char *path)
{
    invite_dbc_t c, d;
    const char *err = NULL;

    invite_dbc_driver(&c, pool, "sqlite3");
    invite_dbc_open(&c, path, &err);
    d = invite_dbc_of(c.driver, c.handle, pool);
    ok(d.driver == c.driver && d.handle == c.handle && d.pool == pool,
       "of: a connection of an open handle");
    is_int(version_of(&d), 3, "of: runs statements");
    invite_dbc_close(&c);
}

int main(void)
{
    char dir[] = "/tmp/test_dbc.XXXXXX";
    const char *path;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    apr_dbd_init(pool);
    if (!mkdtemp(dir)) {
        return 1;
    }
    path = apr_pstrcat(pool, dir, "/t.db", NULL);
    test_driver();
    test_rows(path);
    test_of(path);
    unlink(path);
    rmdir(dir);
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
