/* SPDX-License-Identifier: Apache-2.0 */
/*
 * statement-loop.c - one of the module's SQLite statements alone, in a
 * tight loop on one connection: what it costs without httpd around it
 * (make bench, "The find statement alone").
 *
 *   statement-loop DB SQLFILE TARGETS ARGS EXECUTIONS
 *
 * SQLFILE holds the statement as src/invite_sql.c writes it (`make sql`):
 * apr_dbd's %s, %d and %lld placeholders, which become SQLite's ?.
 * TARGETS has one find target per line: "user_id rid days max_uses".
 * ARGS names each placeholder's value, in order: u user id, r rid, d days,
 * m max_uses, c the login cutoff (0: every token), n now (epoch ms).
 * The statement runs once for every target (warm-up), then EXECUTIONS
 * times over the targets in a scattered order.  Each execution must return the find
 * answer of an admin's live invite (tokens, granted, subscribed, the
 * invite's id), so arguments bound in the wrong order fail the run instead
 * of timing a different query.  Prints microseconds per execution.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TARGETS 100000
#define MAX_SQL 65536

typedef struct {
    char uid[64], rid[64];
    int days, max_uses;
} target_t;

static int fail(const char *what, const char *detail)
{
    fprintf(stderr, "statement-loop: %s%s%s\n", what, detail ? ": " : "",
            detail ? detail : "");
    return 1;
}

/* apr_dbd's placeholders -> '?'; returns the number converted. */
static int to_sqlite_placeholders(char *sql)
{
    static const char *const marks[] = { "%lld", "%s", "%d" };
    char *in = sql, *out = sql;
    int n = 0;
    while (*in) {
        size_t i, len = 0;
        for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
            if (!strncmp(in, marks[i], strlen(marks[i]))) {
                len = strlen(marks[i]);
                break;
            }
        }
        if (len) {
            *out++ = '?';
            in += len;
            n++;
        }
        else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    return n;
}

static int bind_target(sqlite3_stmt *st, const char *args, const target_t *t,
                       sqlite3_int64 now)
{
    int i, rc = SQLITE_OK;
    for (i = 0; args[i] && rc == SQLITE_OK; i++) {
        switch (args[i]) {
        case 'u': rc = sqlite3_bind_text(st, i + 1, t->uid, -1, SQLITE_STATIC); break;
        case 'r': rc = sqlite3_bind_text(st, i + 1, t->rid, -1, SQLITE_STATIC); break;
        case 'd': rc = sqlite3_bind_int(st, i + 1, t->days); break;
        case 'm': rc = sqlite3_bind_int(st, i + 1, t->max_uses); break;
        case 'c': rc = sqlite3_bind_int64(st, i + 1, 0); break;
        case 'n': rc = sqlite3_bind_int64(st, i + 1, now); break;
        default: return SQLITE_MISUSE;
        }
    }
    return rc;
}

/* The find answer of an admin's live invite: tokens, granted = 1,
 * subscribed = 1, and the invite (column 5, its id). */
static int is_find_answer(sqlite3_stmt *st)
{
    return sqlite3_column_count(st) > 5
           && sqlite3_column_type(st, 0) != SQLITE_NULL
           && sqlite3_column_int(st, 1) == 1
           && sqlite3_column_int(st, 2) == 1
           && sqlite3_column_type(st, 5) != SQLITE_NULL;
}

static int run(sqlite3_stmt *st, const char *args, const target_t *t,
               sqlite3_int64 now)
{
    int rows = 0, good = 0, rc;
    if (bind_target(st, args, t, now) != SQLITE_OK) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rows++;
        good = is_find_answer(st);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE && rows == 1 && good ? 0 : -1;
}

int main(int argc, char **argv)
{
    static char sql[MAX_SQL];
    static target_t targets[MAX_TARGETS];
    sqlite3 *db;
    sqlite3_stmt *st;
    struct timespec t0, t1;
    sqlite3_int64 now;
    long executions, i, stride;
    int ntargets = 0, nparams;
    size_t len;
    double us;
    FILE *f;

    if (argc != 6 || (executions = atol(argv[5])) <= 0) {
        fprintf(stderr, "usage: %s DB SQLFILE TARGETS ARGS EXECUTIONS\n", argv[0]);
        return 2;
    }
    if (!(f = fopen(argv[2], "r"))) {
        return fail("cannot read", argv[2]);
    }
    len = fread(sql, 1, sizeof(sql) - 1, f);
    fclose(f);
    sql[len] = '\0';
    nparams = to_sqlite_placeholders(sql);
    if ((size_t)nparams != strlen(argv[4])) {
        return fail("ARGS does not name every placeholder", argv[4]);
    }
    if (!(f = fopen(argv[3], "r"))) {
        return fail("cannot read", argv[3]);
    }
    while (ntargets < MAX_TARGETS
           && fscanf(f, "%63s %63s %d %d", targets[ntargets].uid,
                     targets[ntargets].rid, &targets[ntargets].days,
                     &targets[ntargets].max_uses) == 4) {
        ntargets++;
    }
    fclose(f);
    if (ntargets == 0) {
        return fail("no targets in", argv[3]);
    }
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        return fail("cannot open", sqlite3_errmsg(db));
    }
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        return fail("cannot prepare", sqlite3_errmsg(db));
    }
    clock_gettime(CLOCK_REALTIME, &t0);
    now = (sqlite3_int64)t0.tv_sec * 1000 + t0.tv_nsec / 1000000;

    for (i = 0; i < ntargets; i++) {
        if (run(st, argv[4], &targets[i], now)) {
            fprintf(stderr, "statement-loop: target %ld (%s %s %d %d): not a find"
                    " answer (%s)\n", i + 1, targets[i].uid, targets[i].rid,
                    targets[i].days, targets[i].max_uses, sqlite3_errmsg(db));
            return 1;
        }
    }
    /* Targets in a scattered order, as wrk's requests pick them. */
    stride = ntargets % 7919 ? 7919 : 1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < executions; i++) {
        if (run(st, argv[4], &targets[(i * stride) % ntargets], now)) {
            return fail("an execution failed", sqlite3_errmsg(db));
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9
          + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 / (double)executions;
    printf("%ld executions over %d targets: %.2f us per execution\n",
           executions, ntargets, us);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}
