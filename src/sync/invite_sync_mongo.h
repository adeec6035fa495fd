/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_sync_mongo.h - invite-sync's MongoDB side over libmongoc
 * (src/sync/invite_sync_mongo.c): the connection and its replica-set
 * check, the database-level change stream, the full copy.
 */
#ifndef INVITE_SYNC_MONGO_H
#define INVITE_SYNC_MONGO_H

#include <mongoc/mongoc.h>

#include <apr_pools.h>

#include "invite_sync_store.h"

typedef struct {
    mongoc_uri_t *uri;
    mongoc_client_t *client;
    mongoc_database_t *db;
    const char *dbname;         /* the URI's, else rocketchat */
    const char *source;         /* "setName/dbname": sync_state source */
    const char *label;          /* the URL without its password */
} invite_sync_mongo_t;

/* What a failure means. */
enum {
    INVITE_SYNC_M_OK = 0,
    INVITE_SYNC_M_RETRY = -1,   /* network, server selection: back off and
                                 * reconnect, resume from SQL */
    INVITE_SYNC_M_LOST = -2,    /* the resume point is gone (286...): full
                                 * copy */
    INVITE_SYNC_M_FATAL = -3,   /* bad URL, not a replica set: stop */
    INVITE_SYNC_M_DB = -4,      /* SQL failed (full copy): retry later */
    INVITE_SYNC_M_STOP = -5     /* stopping, or the lease is lost */
};

/* Parses url (redacting it for messages, libmongoc's too), installs
 * libmongoc's log handler.  INVITE_SYNC_M_OK or _FATAL with *why. */
int invite_sync_mongo_init(invite_sync_mongo_t *m, apr_pool_t *p,
                           const char *url, const char **why);

/* Connects (appname invite-sync) and asks `hello`: INVITE_SYNC_M_OK with
 * m->source set; _RETRY when the server cannot be reached; _FATAL when
 * it is not a replica-set member (no setName). */
int invite_sync_mongo_connect(invite_sync_mongo_t *m, apr_pool_t *p,
                              const char **why);

/* Drops the connection (and keeps the parsed URL). */
void invite_sync_mongo_disconnect(invite_sync_mongo_t *m);

/* Drops everything. */
void invite_sync_mongo_free(invite_sync_mongo_t *m);

/* A batch of events is applied once it is this old (or full); an empty
 * getMore waits as long, so that the first event of a quiet stream is
 * applied within it rather than after a longer wait for a second one. */
#define INVITE_SYNC_BATCH_WINDOW_MS 200

/* Opens the change stream over the followed collections, after `token`
 * (NULL: from now).  *stream is set even on failure (destroy it); the
 * result classifies its error. */
int invite_sync_mongo_watch(invite_sync_mongo_t *m, const bson_t *token,
                            mongoc_change_stream_t **stream, apr_pool_t *p,
                            const char **why);

/* The stream's error, classified: INVITE_SYNC_M_OK when there is none. */
int invite_sync_mongo_stream_error(const mongoc_change_stream_t *stream,
                                   apr_pool_t *p, const char **why);

/* Called often during the full copy: 1 to go on, 0 to stop (lease lost,
 * stopping). */
typedef int (*invite_sync_renew_fn)(void *ctx);

/* The full copy (also the resync): opens a stream from now and reads its
 * first (empty) batch for the resume point T0, reads the four
 * collections (and rocketchat_invites when
 * invite_sync_copy_invites_wanted) with projections (batch documents per
 * reply) into the
 * store's staging, then switches with T0.  Progress on stderr.  On
 * INVITE_SYNC_M_OK *stream is the open stream to follow from T0; else
 * NULL and *why says why. */
int invite_sync_mongo_copy(invite_sync_mongo_t *m, invite_sync_store_t *st,
                           apr_pool_t *p, long batch,
                           invite_sync_renew_fn renew, void *ctx,
                           mongoc_change_stream_t **stream, const char **why);

#endif
