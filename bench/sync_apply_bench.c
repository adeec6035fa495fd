/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite-sync-apply-bench - the speed of invite-sync's store
 * (include/invite_sync_store.h), without MongoDB:
 *
 *  1. the full copy of --users users with --tokens login tokens each (and
 *     --rooms rooms, one subscription per user), fed as BSON documents
 *     as a find would return them, staged, then switched in one
 *     transaction: seconds per phase;
 *  2. --events change events on those users, logins and logouts
 *     alternately (each adds or removes one token), applied in
 *     transactions of --batch events that also store the resume token,
 *     as invite-sync does: events per second; then as many presence
 *     updates (nothing to write);
 *  3. the same full copy again over what is there (a resync).
 *
 *   invite-sync-apply-bench --driver sqlite3 --params /tmp/b.db --init
 *   invite-sync-apply-bench --driver pgsql --params "host=... dbname=..." --init
 *
 * --init (re)creates the schema first: SQLite removes the file, PostgreSQL
 * DROPs the public schema of the database.  Prints one line per figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_dbd.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_getopt.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <sqlite3.h>

#include "invite_sync_store.h"

static const char *driver_name = "sqlite3", *params;
static long n_users = 100000, n_tokens = 5, n_rooms = 100, n_events = 100000;
static int batch = 500, init;

static void die(const char *what, const char *why)
{
    fprintf(stderr, "invite-sync-apply-bench: %s: %s\n", what,
            why ? why : "failed");
    exit(1);
}

static double secs(apr_time_t t0)
{
    return (double)(apr_time_now() - t0) / APR_USEC_PER_SEC;
}

/* A hashed token of user u, number k: 44 characters like a real one. */
static void token_of(char out[48], long u, long k)
{
    snprintf(out, 48, "%08x%04xbenchbenchbenchbenchbenchbench=",
             (unsigned)(u & 0xffffffff), (unsigned)(k & 0xffff));
}

/* The users document of user u: its tokens 0..n-1, and token `extra`
 * when it is not negative. */
static bson_t *user_doc(long u, long n, long extra, const char *status)
{
    bson_t *d = bson_new(), roles, services, resume, tokens, t;
    char id[32], key[24], tok[48];
    long k, i = 0;

    snprintf(id, sizeof(id), "u%07ld", u);
    BSON_APPEND_UTF8(d, "_id", id);
    BSON_APPEND_UTF8(d, "username", id + 1);
    BSON_APPEND_ARRAY_BEGIN(d, "roles", &roles);
    BSON_APPEND_UTF8(&roles, "0", "user");
    bson_append_array_end(d, &roles);
    BSON_APPEND_BOOL(d, "active", true);
    BSON_APPEND_UTF8(d, "status", status);
    BSON_APPEND_DOCUMENT_BEGIN(d, "services", &services);
    BSON_APPEND_DOCUMENT_BEGIN(&services, "resume", &resume);
    BSON_APPEND_ARRAY_BEGIN(&resume, "loginTokens", &tokens);
    for (k = 0; k < n + (extra >= 0); k++) {
        long which = k < n ? k : extra;

        snprintf(key, sizeof(key), "%ld", i++);
        token_of(tok, u, which);
        BSON_APPEND_DOCUMENT_BEGIN(&tokens, key, &t);
        BSON_APPEND_DATE_TIME(&t, "when", 1700000000000LL + which * 1000);
        BSON_APPEND_UTF8(&t, "hashedToken", tok);
        bson_append_document_end(&tokens, &t);
    }
    bson_append_array_end(&resume, &tokens);
    bson_append_document_end(&services, &resume);
    bson_append_document_end(d, &services);
    return d;
}

/* A change event of the users collection around fullDocument doc. */
static bson_t *user_event(long seq, long u, bson_t *doc)
{
    bson_t *ev = bson_new(), id, ns, key;
    char data[64], uid[32];

    snprintf(data, sizeof(data), "8265A1B2C3%016lX2B0229296E5A1004", seq);
    snprintf(uid, sizeof(uid), "u%07ld", u);
    BSON_APPEND_DOCUMENT_BEGIN(ev, "_id", &id);
    BSON_APPEND_UTF8(&id, "_data", data);
    bson_append_document_end(ev, &id);
    BSON_APPEND_UTF8(ev, "operationType", "update");
    BSON_APPEND_DOCUMENT_BEGIN(ev, "ns", &ns);
    BSON_APPEND_UTF8(&ns, "db", "rocketchat");
    BSON_APPEND_UTF8(&ns, "coll", "users");
    bson_append_document_end(ev, &ns);
    BSON_APPEND_DOCUMENT_BEGIN(ev, "documentKey", &key);
    BSON_APPEND_UTF8(&key, "_id", uid);
    bson_append_document_end(ev, &key);
    BSON_APPEND_DOCUMENT(ev, "fullDocument", doc);
    bson_destroy(doc);
    return ev;
}

static void load_schema(apr_pool_t *p)
{
    const char *file = strcmp(driver_name, "pgsql") ? "conf/schema-sqlite3.sql"
                                                    : "conf/schema-pgsql.sql";
    apr_file_t *f;
    apr_finfo_t fi;
    char *sql;

    if (apr_file_open(&f, file, APR_FOPEN_READ, 0, p) != APR_SUCCESS
        || apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        die(file, "cannot read it (run from the source tree)");
    }
    sql = apr_pcalloc(p, (apr_size_t)fi.size + 1);
    apr_file_read_full(f, sql, (apr_size_t)fi.size, NULL);
    apr_file_close(f);
    if (strcmp(driver_name, "pgsql")) {
        sqlite3 *db;

        unlink(params);
        unlink(apr_pstrcat(p, params, "-wal", NULL));
        unlink(apr_pstrcat(p, params, "-shm", NULL));
        if (sqlite3_open(params, &db) != SQLITE_OK
            || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            die(params, sqlite3_errmsg(db));
        }
        sqlite3_close(db);
    }
    else {
        const apr_dbd_driver_t *d;
        apr_dbd_t *h;
        const char *err = NULL;
        int n;

        if (apr_dbd_get_driver(p, "pgsql", &d)
            || apr_dbd_open_ex(d, p, params, &h, &err)) {
            die("pgsql", err);
        }
        apr_dbd_query(d, h, &n, "DROP SCHEMA public CASCADE");
        apr_dbd_query(d, h, &n, "CREATE SCHEMA public");
        if (apr_dbd_query(d, h, &n, sql)) {
            die("schema", apr_dbd_error(d, h, 1));
        }
        apr_dbd_close(d, h);
    }
}

static void full_copy(invite_sync_store_t *st, const char *what)
{
    invite_sync_counts_t c = { 0 };
    apr_time_t t0 = apr_time_now(), t1;
    long u, r;

    if (invite_sync_copy_begin(st)) {
        die("copy", invite_sync_store_error(st));
    }
    for (r = 0; r < n_rooms; r++) {
        bson_t *d = bson_new();
        char id[32];

        snprintf(id, sizeof(id), "r%05ld", r);
        BSON_APPEND_UTF8(d, "_id", id);
        BSON_APPEND_UTF8(d, "t", r % 2 ? "p" : "c");
        BSON_APPEND_UTF8(d, "name", id);
        if (invite_sync_copy_doc(st, "rocketchat_room", d)) {
            die("copy", invite_sync_store_error(st));
        }
        bson_destroy(d);
    }
    for (u = 0; u < n_users; u++) {
        bson_t *d = user_doc(u, n_tokens, -1, "offline");

        if (invite_sync_copy_doc(st, "users", d)) {
            die("copy", invite_sync_store_error(st));
        }
        bson_destroy(d);
        if (n_rooms) {
            bson_t *s = bson_new(), uu;
            char id[32], rid[32], uid[32];

            snprintf(id, sizeof(id), "s%07ld", u);
            snprintf(rid, sizeof(rid), "r%05ld", u % n_rooms);
            snprintf(uid, sizeof(uid), "u%07ld", u);
            BSON_APPEND_UTF8(s, "_id", id);
            BSON_APPEND_UTF8(s, "rid", rid);
            BSON_APPEND_DOCUMENT_BEGIN(s, "u", &uu);
            BSON_APPEND_UTF8(&uu, "_id", uid);
            bson_append_document_end(s, &uu);
            if (invite_sync_copy_doc(st, "rocketchat_subscription", s)) {
                die("copy", invite_sync_store_error(st));
            }
            bson_destroy(s);
        }
    }
    t1 = apr_time_now();
    if (invite_sync_copy_switch(st, "{\"_data\": \"8200\"}", &c)) {
        die("switch", invite_sync_store_error(st));
    }
    printf("%s: %s of %ld users x %ld tokens, %ld rooms, %ld"
           " subscriptions: %.2f s (staging %.2f s, switch %.2f s);"
           " %ld rows written, %ld deleted, %ld skipped\n",
           driver_name, what, n_users, n_tokens, n_rooms, n_rooms ? n_users : 0,
           secs(t0), (double)(t1 - t0) / APR_USEC_PER_SEC, secs(t1),
           c.applied, c.deleted, c.skipped);
}

/* Applies events[0..n-1] in transactions of `batch`, each storing the
 * resume token; returns the seconds taken. */
static double apply_all(invite_sync_store_t *st, bson_t **events, long n,
                        invite_sync_counts_t *c)
{
    apr_time_t t0 = apr_time_now();
    long i = 0;

    while (i < n) {
        long end = i + batch < n ? i + batch : n;
        char token[64];

        if (invite_sync_store_begin(st)) {
            die("begin", invite_sync_store_error(st));
        }
        for (; i < end; i++) {
            if (invite_sync_apply_event(st, events[i], c)) {
                die("apply", invite_sync_store_error(st));
            }
        }
        snprintf(token, sizeof(token), "{\"_data\": \"82%016lX\"}", i);
        if (invite_sync_state_set(st, INVITE_SYNC_KEY_RESUME_TOKEN, token)
            || invite_sync_store_commit(st)) {
            die("commit", invite_sync_store_error(st));
        }
    }
    return secs(t0);
}

static void events_bench(invite_sync_store_t *st)
{
    bson_t **events = malloc(sizeof(*events) * n_events);
    char *extra = calloc(n_users, 1);
    invite_sync_counts_t c = { 0 };
    long i, before;
    double s;

    if (!events || !extra) {
        die("memory", "out of memory");
    }
    /* Logins and logouts: user u gains token n_tokens, then loses it. */
    for (i = 0; i < n_events; i++) {
        long u = (i * 7919) % n_users;

        extra[u] = !extra[u];
        events[i] = user_event(i, u, user_doc(u, n_tokens,
                                              extra[u] ? n_tokens : -1,
                                              "online"));
    }
    before = invite_sync_store_changes(st);
    s = apply_all(st, events, n_events, &c);
    printf("%s: %ld token events (logins, logouts) in transactions of %d:"
           " %.2f s, %.0f events/s (%ld applied, %ld rows written)\n",
           driver_name, n_events, batch, s, n_events / s, c.applied,
           invite_sync_store_changes(st) - before - (n_events + batch - 1)
           / batch);
    for (i = 0; i < n_events; i++) {
        bson_destroy(events[i]);
    }
    /* Presence: the same documents again with another status. */
    memset(&c, 0, sizeof(c));
    for (i = 0; i < n_events; i++) {
        long u = (i * 7919) % n_users;

        events[i] = user_event(i, u, user_doc(u, n_tokens,
                                              extra[u] ? n_tokens : -1,
                                              "away"));
    }
    s = apply_all(st, events, n_events, &c);
    printf("%s: %ld presence events (nothing to write): %.2f s, %.0f"
           " events/s (%ld unchanged)\n", driver_name, n_events, s,
           n_events / s, c.unchanged);
    for (i = 0; i < n_events; i++) {
        bson_destroy(events[i]);
    }
    free(events);
    free(extra);
}

int main(int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        { "driver", 'd', 1, "sqlite3 or pgsql" },
        { "params", 'p', 1, "DBDParams" },
        { "users", 'u', 1, "users copied (100000)" },
        { "tokens", 't', 1, "tokens per user (5)" },
        { "rooms", 'r', 1, "rooms; one subscription per user (100)" },
        { "events", 'e', 1, "token events applied (100000)" },
        { "batch", 'b', 1, "events per transaction (500)" },
        { "init", 'i', 0, "create the schema first (destroys the data)" },
        { NULL, 0, 0, NULL }
    };
    apr_pool_t *p;
    apr_getopt_t *g;
    invite_sync_store_t *st;
    const char *arg, *err = NULL;
    int opt;
    apr_status_t rv;

    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&p, NULL);
    apr_dbd_init(p);
    apr_getopt_init(&g, p, argc, argv);
    while ((rv = apr_getopt_long(g, opts, &opt, &arg)) == APR_SUCCESS) {
        switch (opt) {
        case 'd': driver_name = arg; break;
        case 'p': params = arg; break;
        case 'u': n_users = atol(arg); break;
        case 't': n_tokens = atol(arg); break;
        case 'r': n_rooms = atol(arg); break;
        case 'e': n_events = atol(arg); break;
        case 'b': batch = atoi(arg); break;
        case 'i': init = 1; break;
        }
    }
    if (rv != APR_EOF || !params || n_users < 1 || n_tokens < 0
        || n_rooms < 0 || n_events < 0 || batch < 1) {
        fprintf(stderr, "usage: invite-sync-apply-bench --driver sqlite3|pgsql"
                " --params DBDPARAMS [--init] [--users N] [--tokens N]"
                " [--rooms N] [--events N] [--batch N]\n");
        return 2;
    }
    if (init) {
        load_schema(p);
    }
    if (invite_sync_store_open(&st, p, driver_name, params, &err)) {
        die("open", err);
    }
    full_copy(st, "full copy");
    events_bench(st);
    /* A resync: the same copy over what is there, the tokens the events
     * left (logins not yet logged out) deleted. */
    full_copy(st, "full copy again (resync)");
    invite_sync_store_close(st);
    apr_pool_destroy(p);
    apr_terminate();
    return 0;
}
