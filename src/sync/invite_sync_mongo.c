/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_sync_mongo.c - invite-sync's MongoDB side over libmongoc
 * (src/sync/invite_sync_mongo.h).
 *
 * One database-level change stream (mongoc_database_watch) over users,
 * rocketchat_room, rocketchat_subscription and rocketchat_permissions,
 * with fullDocument: updateLookup; the password hashes, e-mails and
 * update descriptions are projected away on the server.  Its event _id is
 * the resume token, kept as canonical Extended JSON in SQL.
 */
#include <string.h>

#include <apr_strings.h>

#include "invite_sync.h"
#include "invite_sync_mongo.h"

/* libmongoc's own messages, through ours (secrets hidden). */
static void mongo_log(mongoc_log_level_t level, const char *domain,
                      const char *message, void *ud)
{
    (void)ud;
    if (level <= MONGOC_LOG_LEVEL_WARNING
        || (invite_sync_verbose && level <= MONGOC_LOG_LEVEL_INFO)) {
        invite_sync_log(SYNCLOGNO(01330), "libmongoc %s: %s",
                        domain ? domain : "", message ? message : "");
    }
}

int invite_sync_mongo_init(invite_sync_mongo_t *m, apr_pool_t *p,
                           const char *url, const char **why)
{
    bson_error_t err;
    const char *db;

    memset(m, 0, sizeof(*m));
    mongoc_log_set_handler(mongo_log, NULL);
    m->label = invite_sync_url_redact(p, url);
    /* Before the parse: its messages may quote the URL. */
    invite_sync_secret(invite_sync_url_password(p, url));
    if (!(m->uri = mongoc_uri_new_with_error(url, &err))) {
        /* Neither the URL nor libmongoc's message, which may quote it:
         * an invalid URL may hide its password from the redaction. */
        *why = "the MongoDB URL (mongo_url, INVITE_SYNC_MONGO_URL) is not"
               " valid: see mongodb's Connection String docs (a password"
               " must be %-encoded)";
        return INVITE_SYNC_M_FATAL;
    }
    invite_sync_secret(mongoc_uri_get_password(m->uri));
    db = mongoc_uri_get_database(m->uri);
    m->dbname = apr_pstrdup(p, db && *db ? db : INVITE_SYNC_DEFAULT_DB);
    mongoc_uri_set_appname(m->uri, "invite-sync");
    /* A server that stops answering (not closing) is given up after 30 s
     * rather than libmongoc's 5 min: getMore waits 1 s at most. */
    if (!mongoc_uri_has_option(m->uri, MONGOC_URI_SOCKETTIMEOUTMS)) {
        mongoc_uri_set_option_as_int32(m->uri, MONGOC_URI_SOCKETTIMEOUTMS,
                                       30000);
    }
    return INVITE_SYNC_M_OK;
}

/* The server's error as one line: libmongoc's message. */
static const char *mongo_why(apr_pool_t *p, const bson_error_t *err)
{
    return apr_psprintf(p, "%s (domain %u, code %u)", err->message,
                        err->domain, err->code);
}

int invite_sync_mongo_connect(invite_sync_mongo_t *m, apr_pool_t *p,
                              const char **why)
{
    bson_t cmd = BSON_INITIALIZER, reply;
    bson_error_t err;
    bson_iter_t it;
    const char *set_name = NULL;
    int ok;

    invite_sync_mongo_disconnect(m);
    if (!(m->client = mongoc_client_new_from_uri(m->uri))) {
        *why = apr_psprintf(p, "cannot use the MongoDB URL %s", m->label);
        return INVITE_SYNC_M_FATAL;
    }
    mongoc_client_set_error_api(m->client, MONGOC_ERROR_API_VERSION_2);
    BSON_APPEND_INT32(&cmd, "hello", 1);
    ok = mongoc_client_command_simple(m->client, "admin", &cmd, NULL, &reply,
                                      &err);
    if (!ok && err.domain == MONGOC_ERROR_SERVER && err.code == 59) {
        /* CommandNotFound: a server before 4.4.2 (and 5.0). */
        bson_destroy(&reply);
        bson_reinit(&cmd);
        BSON_APPEND_INT32(&cmd, "isMaster", 1);
        ok = mongoc_client_command_simple(m->client, "admin", &cmd, NULL,
                                          &reply, &err);
    }
    bson_destroy(&cmd);
    if (!ok) {
        bson_destroy(&reply);
        *why = apr_psprintf(p, "cannot reach MongoDB at %s: %s", m->label,
                            mongo_why(p, &err));
        invite_sync_mongo_disconnect(m);
        return INVITE_SYNC_M_RETRY;
    }
    if (bson_iter_init_find(&it, &reply, "setName")
        && BSON_ITER_HOLDS_UTF8(&it)) {
        set_name = apr_pstrdup(p, bson_iter_utf8(&it, NULL));
    }
    bson_destroy(&reply);
    if (!set_name || !*set_name) {
        *why = apr_psprintf(p, "MongoDB at %s is not a replica-set member"
                            " (hello gives no setName): change streams"
                            " need a replica set, as Rocket.Chat does",
                            m->label);
        invite_sync_mongo_disconnect(m);
        return INVITE_SYNC_M_FATAL;
    }
    m->source = apr_pstrcat(p, set_name, "/", m->dbname, NULL);
    m->db = mongoc_client_get_database(m->client, m->dbname);
    return INVITE_SYNC_M_OK;
}

void invite_sync_mongo_disconnect(invite_sync_mongo_t *m)
{
    if (m->db) {
        mongoc_database_destroy(m->db);
        m->db = NULL;
    }
    if (m->client) {
        mongoc_client_destroy(m->client);
        m->client = NULL;
    }
}

void invite_sync_mongo_free(invite_sync_mongo_t *m)
{
    invite_sync_mongo_disconnect(m);
    if (m->uri) {
        mongoc_uri_destroy(m->uri);
        m->uri = NULL;
    }
}

/* ------------------------------------------------------- change stream */

/* The pipeline: the followed collections' document events, and the
 * events that end a stream (drop, rename, dropDatabase, invalidate: those
 * have no ns.coll, or the watched name in to.coll); no update
 * description, password hash or e-mail.  The event _id stays: it is the
 * resume token. */
static bson_t *mongo_pipeline(void)
{
    static const char *const ops_doc[] = { "insert", "update", "replace",
                                           "delete", "drop", "rename" };
    bson_t *pipe = bson_new();
    bson_t arr, stage, match, or, alt, in, ops, colls, proj;
    char key[16];
    const char *k;
    unsigned i;

    BSON_APPEND_ARRAY_BEGIN(pipe, "pipeline", &arr);
    BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &stage);
    BSON_APPEND_DOCUMENT_BEGIN(&stage, "$match", &match);
    BSON_APPEND_ARRAY_BEGIN(&match, "$or", &or);
    /* 0: { ns.coll: {$in: colls}, operationType: {$in: ops_doc} }
     * 1: { to.coll: {$in: colls}, operationType: "rename" }
     * 2: { operationType: {$in: [dropDatabase, invalidate]} } */
    for (i = 0; i < 2; i++) {
        bson_uint32_to_string(i, &k, key, sizeof(key));
        BSON_APPEND_DOCUMENT_BEGIN(&or, k, &alt);
        BSON_APPEND_DOCUMENT_BEGIN(&alt, i ? "to.coll" : "ns.coll", &in);
        BSON_APPEND_ARRAY_BEGIN(&in, "$in", &colls);
        for (unsigned j = 0; invite_sync_collections[j]; j++) {
            bson_uint32_to_string(j, &k, key, sizeof(key));
            BSON_APPEND_UTF8(&colls, k, invite_sync_collections[j]);
        }
        bson_append_array_end(&in, &colls);
        bson_append_document_end(&alt, &in);
        if (i) {
            BSON_APPEND_UTF8(&alt, "operationType", "rename");
        }
        else {
            BSON_APPEND_DOCUMENT_BEGIN(&alt, "operationType", &in);
            BSON_APPEND_ARRAY_BEGIN(&in, "$in", &ops);
            for (unsigned j = 0; j < sizeof(ops_doc) / sizeof(*ops_doc); j++) {
                bson_uint32_to_string(j, &k, key, sizeof(key));
                BSON_APPEND_UTF8(&ops, k, ops_doc[j]);
            }
            bson_append_array_end(&in, &ops);
            bson_append_document_end(&alt, &in);
        }
        bson_append_document_end(&or, &alt);
    }
    BSON_APPEND_DOCUMENT_BEGIN(&or, "2", &alt);
    BSON_APPEND_DOCUMENT_BEGIN(&alt, "operationType", &in);
    BSON_APPEND_ARRAY_BEGIN(&in, "$in", &ops);
    BSON_APPEND_UTF8(&ops, "0", "dropDatabase");
    BSON_APPEND_UTF8(&ops, "1", "invalidate");
    bson_append_array_end(&in, &ops);
    bson_append_document_end(&alt, &in);
    bson_append_document_end(&or, &alt);
    bson_append_array_end(&match, &or);
    bson_append_document_end(&stage, &match);
    bson_append_document_end(&arr, &stage);

    BSON_APPEND_DOCUMENT_BEGIN(&arr, "1", &stage);
    BSON_APPEND_DOCUMENT_BEGIN(&stage, "$project", &proj);
    BSON_APPEND_INT32(&proj, "updateDescription", 0);
    BSON_APPEND_INT32(&proj, "fullDocument.services.password", 0);
    BSON_APPEND_INT32(&proj, "fullDocument.emails", 0);
    bson_append_document_end(&stage, &proj);
    bson_append_document_end(&arr, &stage);
    bson_append_array_end(pipe, &arr);
    return pipe;
}

int invite_sync_mongo_stream_error(const mongoc_change_stream_t *stream,
                                   apr_pool_t *p, const char **why)
{
    const bson_t *reply = NULL;
    bson_error_t err;
    bson_iter_t it;
    const char *code_name = NULL;

    if (!mongoc_change_stream_error_document(stream, &err, &reply)) {
        return INVITE_SYNC_M_OK;
    }
    if (reply && bson_iter_init_find(&it, reply, "codeName")
        && BSON_ITER_HOLDS_UTF8(&it)) {
        code_name = bson_iter_utf8(&it, NULL);
    }
    *why = apr_psprintf(p, "%s%s%s", mongo_why(p, &err),
                        code_name ? ", " : "", code_name ? code_name : "");
    /* 286 ChangeStreamHistoryLost: the token left the oplog;
     * 280 ChangeStreamFatalError: the resume token was not found;
     * 260 InvalidResumeToken. */
    if (err.domain == MONGOC_ERROR_SERVER
        && (err.code == 286 || err.code == 280 || err.code == 260)) {
        return INVITE_SYNC_M_LOST;
    }
    if (code_name && !strcmp(code_name, "ChangeStreamHistoryLost")) {
        return INVITE_SYNC_M_LOST;
    }
    return INVITE_SYNC_M_RETRY;
}

int invite_sync_mongo_watch(invite_sync_mongo_t *m, const bson_t *token,
                            mongoc_change_stream_t **stream, apr_pool_t *p,
                            const char **why)
{
    bson_t *pipe = mongo_pipeline();
    bson_t opts = BSON_INITIALIZER;

    BSON_APPEND_UTF8(&opts, "fullDocument", "updateLookup");
    BSON_APPEND_INT64(&opts, "maxAwaitTimeMS", INVITE_SYNC_BATCH_WINDOW_MS);
    if (token) {
        BSON_APPEND_DOCUMENT(&opts, "startAfter", token);
    }
    *stream = mongoc_database_watch(m->db, pipe, &opts);
    bson_destroy(pipe);
    bson_destroy(&opts);
    return invite_sync_mongo_stream_error(*stream, p, why);
}

/* ------------------------------------------------------------ full copy */

typedef struct {
    const char *coll;
    apr_int64_t started, last_report;
} copy_clock_t;

static void copy_report(invite_sync_store_t *st, copy_clock_t *k, int done)
{
    invite_sync_copy_progress_t pr = invite_sync_copy_progress(st, k->coll);
    apr_int64_t now = invite_sync_now_ms();
    double secs = (now - k->started) / 1000.0;

    k->last_report = now;
    invite_sync_log(SYNCLOGNO(01321), "copy: %s: %ld rows%s, %ld skipped,"
                    " %.1f s, %.0f rows/s", k->coll, pr.docs,
                    done ? " copied" : " so far", pr.skipped, secs,
                    pr.docs / (secs > 0.001 ? secs : 0.001));
}

/* Reads collection coll into the store's staging. */
static int copy_collection(invite_sync_mongo_t *m, invite_sync_store_t *st,
                           apr_pool_t *p, const char *coll, long batch,
                           invite_sync_renew_fn renew, void *ctx,
                           const char **why)
{
    mongoc_collection_t *c = mongoc_database_get_collection(m->db, coll);
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, *proj;
    bson_error_t err;
    mongoc_cursor_t *cur;
    const bson_t *doc;
    copy_clock_t k = { coll, invite_sync_now_ms(), 0 };
    long n = 0;
    int rc = INVITE_SYNC_M_OK;

    k.last_report = k.started;
    proj = bson_new_from_json((const uint8_t *)invite_sync_projection(coll),
                              -1, &err);
    if (proj) {
        BSON_APPEND_DOCUMENT(&opts, "projection", proj);
        bson_destroy(proj);
    }
    BSON_APPEND_INT32(&opts, "batchSize", (int32_t)batch);
    cur = mongoc_collection_find_with_opts(c, &filter, &opts, NULL);
    while (rc == INVITE_SYNC_M_OK && mongoc_cursor_next(cur, &doc)) {
        if (invite_sync_copy_doc(st, coll, doc) != INVITE_SYNC_OK) {
            *why = apr_psprintf(p, "copy of %s: database error: %s", coll,
                                invite_sync_store_error(st));
            rc = INVITE_SYNC_M_DB;
        }
        else if (++n % 256 == 0
                 && invite_sync_now_ms() - k.last_report >= 3000) {
            copy_report(st, &k, 0);
            if (!renew(ctx)) {
                *why = "stopped";
                rc = INVITE_SYNC_M_STOP;
            }
        }
    }
    if (rc == INVITE_SYNC_M_OK && mongoc_cursor_error(cur, &err)) {
        *why = apr_psprintf(p, "copy of %s: %s", coll, mongo_why(p, &err));
        rc = INVITE_SYNC_M_RETRY;
    }
    if (rc == INVITE_SYNC_M_OK) {
        copy_report(st, &k, 1);
    }
    mongoc_cursor_destroy(cur);
    mongoc_collection_destroy(c);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return rc;
}

int invite_sync_mongo_copy(invite_sync_mongo_t *m, invite_sync_store_t *st,
                           apr_pool_t *p, long batch,
                           invite_sync_renew_fn renew, void *ctx,
                           mongoc_change_stream_t **stream, const char **why)
{
    mongoc_change_stream_t *cs = NULL;
    const bson_t *doc, *t0;
    invite_sync_counts_t counts = { 0 };
    apr_int64_t started = invite_sync_now_ms();
    char *json;
    const char *t0_json;
    int rc, i;

    *stream = NULL;
    invite_sync_log(SYNCLOGNO(01320), "full copy of %s starts",
                    m->source);
    /* T0: the stream's postBatchResumeToken, before any document is
     * read; what changes while the copy runs replays after it. */
    rc = invite_sync_mongo_watch(m, NULL, &cs, p, why);
    if (rc == INVITE_SYNC_M_OK) {
        mongoc_change_stream_next(cs, &doc);
        rc = invite_sync_mongo_stream_error(cs, p, why);
    }
    if (rc == INVITE_SYNC_M_OK
        && !(t0 = mongoc_change_stream_get_resume_token(cs))) {
        *why = "the server gave no resume token (postBatchResumeToken)";
        rc = INVITE_SYNC_M_RETRY;
    }
    if (rc != INVITE_SYNC_M_OK) {
        mongoc_change_stream_destroy(cs);
        /* Without a token nothing can be lost: a retry. */
        return rc == INVITE_SYNC_M_LOST ? INVITE_SYNC_M_RETRY : rc;
    }
    json = bson_as_canonical_extended_json(t0, NULL);
    t0_json = apr_pstrdup(p, json);
    bson_free(json);

    if (invite_sync_copy_begin(st) != INVITE_SYNC_OK) {
        *why = apr_psprintf(p, "copy: database error: %s",
                            invite_sync_store_error(st));
        rc = INVITE_SYNC_M_DB;
    }
    for (i = 0; rc == INVITE_SYNC_M_OK && invite_sync_collections[i]; i++) {
        rc = copy_collection(m, st, p, invite_sync_collections[i], batch,
                             renew, ctx, why);
    }
    /* --once --invites: Rocket.Chat's invite links, read the same way. */
    if (rc == INVITE_SYNC_M_OK && invite_sync_copy_invites_wanted(st)) {
        rc = copy_collection(m, st, p, INVITE_SYNC_INVITES, batch, renew,
                             ctx, why);
    }
    if (rc == INVITE_SYNC_M_OK && !renew(ctx)) {
        *why = "stopped";
        rc = INVITE_SYNC_M_STOP;
    }
    if (rc == INVITE_SYNC_M_OK
        && invite_sync_copy_switch(st, t0_json, &counts) != INVITE_SYNC_OK) {
        *why = apr_psprintf(p, "copy: the switch failed: %s",
                            invite_sync_store_error(st));
        rc = INVITE_SYNC_M_DB;
    }
    if (rc != INVITE_SYNC_M_OK) {
        mongoc_change_stream_destroy(cs);
        return rc;
    }
    invite_sync_log(SYNCLOGNO(01322), "full copy done in %.1f s: %ld rows"
                    " written, %ld deleted, %ld documents skipped",
                    (invite_sync_now_ms() - started) / 1000.0,
                    counts.applied, counts.deleted, counts.skipped);
    if (invite_sync_copy_invites_wanted(st)) {
        invite_sync_copy_progress_t pr =
            invite_sync_copy_progress(st, INVITE_SYNC_INVITES);

        invite_sync_log(SYNCLOGNO(01327), "invites: %ld copied, %ld skipped"
                        " (%ld malformed, %ld already in the database, kept"
                        " as they are)", pr.written,
                        pr.skipped + pr.staged - pr.written, pr.skipped,
                        pr.staged - pr.written);
    }
    *stream = cs;
    return INVITE_SYNC_M_OK;
}
