/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rcfake_watch: libmongoc's own change-stream code against the simulated
 * replica-set member of t/lib/RCFake.pm (t/rcfake.t builds and runs it).
 *
 *   rcfake_watch URI DB SECONDS [resumeAfter|startAfter TOKEN_JSON]
 *
 * Watches database DB with the pipeline invite-sync uses (live-sync.md
 * §4.2) and fullDocument updateLookup for SECONDS seconds, printing each
 * event as canonical Extended JSON on one line ("event {...}"), then the
 * resume token ("token {...}"), or "error DOMAIN CODE MESSAGE" and exit 1.
 * "ready" is printed once the stream is open.  A find of the collection
 * "users" is printed as "doc {...}" lines first when DB's users exist.
 */
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_json(const char *tag, const bson_t *b)
{
    char *s = bson_as_canonical_extended_json(b, NULL);
    printf("%s %s\n", tag, s);
    bson_free(s);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    mongoc_client_t *client;
    mongoc_database_t *db;
    mongoc_collection_t *users;
    mongoc_cursor_t *cur;
    mongoc_change_stream_t *cs;
    bson_t *pipeline, *opts, *filter;
    const bson_t *doc, *err_doc;
    bson_error_t err;
    int64_t until;
    int rc = 0;

    if (argc != 4 && argc != 6) {
        fprintf(stderr, "usage: rcfake_watch URI DB SECONDS [resumeAfter|startAfter TOKEN_JSON]\n");
        return 2;
    }
    mongoc_init();
    client = mongoc_client_new(argv[1]);
    if (!client) {
        fprintf(stderr, "bad URI\n");
        return 2;
    }
    mongoc_client_set_error_api(client, MONGOC_ERROR_API_VERSION_2);
    db = mongoc_client_get_database(client, argv[2]);

    users = mongoc_database_get_collection(db, "users");
    filter = bson_new();
    opts = BCON_NEW("projection", "{", "username", BCON_INT32(1), "roles", BCON_INT32(1),
                    "services.resume.loginTokens", BCON_INT32(1), "}", "batchSize", BCON_INT32(2));
    cur = mongoc_collection_find_with_opts(users, filter, opts, NULL);
    while (mongoc_cursor_next(cur, &doc))
        print_json("doc", doc);
    if (mongoc_cursor_error(cur, &err)) {
        printf("error %u %u %s\n", err.domain, err.code, err.message);
        return 1;
    }
    mongoc_cursor_destroy(cur);
    bson_destroy(opts);
    bson_destroy(filter);
    mongoc_collection_destroy(users);

    pipeline = BCON_NEW("pipeline", "[",
        "{", "$match", "{",
            "ns.coll", "{", "$in", "[", "users", "rocketchat_room", "rocketchat_subscription",
                                   "rocketchat_permissions", "]", "}",
            "operationType", "{", "$in", "[", "insert", "update", "replace", "delete", "drop",
                                   "rename", "dropDatabase", "invalidate", "]", "}",
        "}", "}",
        "{", "$project", "{", "updateDescription", BCON_INT32(0),
                              "fullDocument.services.password", BCON_INT32(0),
                              "fullDocument.emails", BCON_INT32(0), "}", "}",
        "]");
    opts = BCON_NEW("fullDocument", "updateLookup", "maxAwaitTimeMS", BCON_INT64(300));
    if (argc == 6) {
        bson_t *tok = bson_new_from_json((const uint8_t *) argv[5], -1, &err);
        if (!tok) {
            fprintf(stderr, "bad token: %s\n", err.message);
            return 2;
        }
        BSON_APPEND_DOCUMENT(opts, argv[4], tok);
        bson_destroy(tok);
    }
    cs = mongoc_database_watch(db, pipeline, opts);
    until = bson_get_monotonic_time() + (int64_t) atoi(argv[3]) * 1000000;
    printf("ready\n");
    fflush(stdout);
    while (bson_get_monotonic_time() < until) {
        if (mongoc_change_stream_next(cs, &doc)) {
            print_json("event", doc);
            continue;
        }
        if (mongoc_change_stream_error_document(cs, &err, &err_doc)) {
            printf("error %u %u %s\n", err.domain, err.code, err.message);
            rc = 1;
            break;
        }
        {
            const bson_t *t = mongoc_change_stream_get_resume_token(cs);
            if (t)
                print_json("idle", t);
        }
    }
    if (!rc) {
        const bson_t *t = mongoc_change_stream_get_resume_token(cs);
        if (t)
            print_json("token", t);
    }
    mongoc_change_stream_destroy(cs);
    bson_destroy(opts);
    bson_destroy(pipeline);
    mongoc_database_destroy(db);
    mongoc_client_destroy(client);
    mongoc_cleanup();
    return rc;
}
