/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_cache.h - a per-process cache of who a caller is and what they
 * may do in a room (httpd-free, src/invite_cache.c).
 *
 * Opt-in (InviteAuthCache): it trades a bounded staleness for speed.  An
 * entry says that a (user id, token hash) pair authenticated and what the
 * database said about that user and room - permission, subscription,
 * room type - and lives at most `ttl` from the lookup that filled it.  So
 * a revoked token, a removed role or subscription, or a changed permission
 * keeps working for at most that long in a process that cached it.
 * Failed authentications are never cached (a new token works at once),
 * and invites never are: every answer with an invite reads it from the
 * database, so hosts cannot disagree about it.
 *
 * Memory is fixed at creation (a direct-mapped table of `slots` entries,
 * touched at once), so the cache never grows a process.
 */
#ifndef INVITE_CACHE_H
#define INVITE_CACHE_H

#include <apr_pools.h>
#include <apr_time.h>

/* Longest user id and room id that are cached (Rocket.Chat's are 17;
 * direct-message rooms join two user ids). */
#define INVITE_CACHE_ID_MAX 63
#define INVITE_CACHE_ROOM_TYPE_MAX 15

typedef struct invite_auth_cache_t invite_auth_cache_t;

/* What invite_find returned for an authenticated caller and room. */
typedef struct {
    int granted;
    int subscribed;
    int rate_limit_exempt;                         /* api-bypass-rate-limit */
    int has_room;                                  /* rooms.t was found */
    char room_type[INVITE_CACHE_ROOM_TYPE_MAX + 1];
} invite_auth_facts_t;

/* A cache of `slots` entries (at least 1) in pool p, or NULL on failure. */
invite_auth_cache_t *invite_auth_cache_create(apr_pool_t *p, unsigned slots);

/* 1 and *out filled when an entry for the key is younger than its expiry
 * at `now`; 0 otherwise. */
int invite_auth_cache_get(invite_auth_cache_t *c, const char *user_id,
                          const char *token_hash, const char *rid,
                          apr_time_t now, invite_auth_facts_t *out);

/* Stores the facts of an authenticated caller until `expires`.  Keys or a
 * room type too long to store are not cached. */
void invite_auth_cache_put(invite_auth_cache_t *c, const char *user_id,
                           const char *token_hash, const char *rid,
                           apr_time_t expires, const invite_auth_facts_t *f);

#endif
