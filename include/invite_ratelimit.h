/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_ratelimit.h - the httpd-free part of Rocket.Chat's API rate
 * limiter (docs/api.md#rate-limit; src/invite_ratelimit_core.c): the
 * fixed-window arithmetic, the rule key and cache id, the stored value and
 * the 429 message.  The glue (src/mod_invite_ratelimit.c) keeps the windows in
 * mod_socache.
 */
#ifndef INVITE_RATELIMIT_H
#define INVITE_RATELIMIT_H

#include <apr_pools.h>

#include "invite_core.h"

/* Rocket.Chat's defaults: API_Enable_Rate_Limiter_Limit_Calls_Default and
 * API_Enable_Rate_Limiter_Limit_Time_Default. */
#define INVITE_RL_DEFAULT_CALLS 10
#define INVITE_RL_DEFAULT_INTERVAL_MS 60000

/* One client's window for one rule. */
typedef struct {
    long long count;       /* calls counted, at most limit + 1 */
    invite_ms_t reset;     /* end of the window, epoch ms */
} invite_rl_window_t;

/* Rocket.Chat's rule key: "/api/v1/" route method, e.g.
 * "/api/v1/removeInvite/:_idDELETE". */
const char *invite_ratelimit_rule(apr_pool_t *p, const char *route,
                                  const char *method);

/* The cache id of a client's window: SHA-256 over the site, the scope
 * (the configuration section that set the limit), the rule and the client
 * address, so that ids have a fixed length whatever the parts (memcache
 * and redis keys are short) and the parts cannot run into each other. */
#define INVITE_RL_ID_LEN INVITE_SHA256_LEN
int invite_ratelimit_id(const char *site, const char *scope,
                        const char *rule, const char *ip,
                        unsigned char id[INVITE_RL_ID_LEN]);

/* Counts one call at `now` in *w (`found`: *w holds a stored window; a
 * window that has ended starts anew), incremented before the check as
 * Meteor's limiter does.  Returns 1 when the call is allowed, 0 when it
 * is over `limit`.  *store says whether *w changed and must be written
 * back (a call over the limit changes nothing once the count is past it). */
int invite_ratelimit_count(invite_rl_window_t *w, int found, invite_ms_t now,
                           long long limit, invite_ms_t interval, int *store);

/* X-RateLimit-Remaining: calls left in the window, never negative. */
long long invite_ratelimit_remaining(const invite_rl_window_t *w,
                                     long long limit);

/* Whole seconds until the window ends, rounded up (at least 1). */
long long invite_ratelimit_wait(const invite_rl_window_t *w, invite_ms_t now);

/* The stored value: "<count> <reset>" in decimal, so that hosts of any
 * byte order can share a cache.  encode returns the length written (the
 * buffer needs INVITE_RL_VALUE_MAX bytes); decode returns 1 for a well
 * formed value. */
#define INVITE_RL_VALUE_MAX 48
unsigned int invite_ratelimit_encode(const invite_rl_window_t *w,
                                     char buf[INVITE_RL_VALUE_MAX]);
int invite_ratelimit_decode(const char *buf, unsigned int len,
                            invite_rl_window_t *w);

/* The 429 body's message for a wait of `seconds`. */
const char *invite_ratelimit_message(apr_pool_t *p, long long seconds);

/* The shmcb cache's size when InviteRateLimitCache names shmcb without
 * one: room for INVITE_RL_EXPECTED_CLIENTS client addresses that each use
 * all INVITE_RL_DEFAULT_CALLS calls of a window at once, before the first
 * window is lost.  Every counted call stores its window anew, and shmcb
 * keeps the room of the copy it replaced until that reaches the head of
 * its subcache, so a call costs one entry: 112 bytes, an entry (32-byte
 * id, value, index: about 72) and the slack of shmcb's unevenly filled
 * subcaches.  Not a law: shmcb's geometry changes with the size (2400000
 * bytes hold fewer than 2240000), so the size is measured, not derived
 * (make rl-capacity, docs/directives.md; t/rl_capacity.t checks it). */
#define INVITE_RL_EXPECTED_CLIENTS 2000
#define INVITE_RL_SHMCB_BYTES_PER_CALL 112
#define INVITE_RL_SHMCB_DEFAULT_BYTES \
    ((apr_size_t)INVITE_RL_EXPECTED_CLIENTS * INVITE_RL_DEFAULT_CALLS \
     * INVITE_RL_SHMCB_BYTES_PER_CALL)

/* Records of the windows a host stored, to tell a window the cache lost
 * before its end (evicted: shmcb scrolls the oldest entries out of a full
 * subcache, memcache and redis evict under memory pressure, a cache
 * server may restart) from one that was never stored or has ended; the
 * socache API says neither.  The table is INVITE_RL_SEEN_SLOTS records
 * in buckets of INVITE_RL_SEEN_WAYS, chosen and tagged by bytes of the
 * window's id; a new record takes the bucket's record that ends first.  A
 * record can so be displaced by later ones while its window lives, and
 * that window's loss then goes unseen: what is reported is a lower bound,
 * never a loss that did not happen (but for a 32-bit tag matching by
 * chance).  The caller serialises access (the rate-limit mutex). */
#define INVITE_RL_SEEN_WAYS 4
#define INVITE_RL_SEEN_SLOTS 65536
typedef struct {
    apr_uint32_t tag;       /* bytes 4 to 7 of the id */
    apr_uint32_t until;     /* the window's end, epoch s rounded down;
                             * 0: an empty record */
} invite_rl_seen_t;

/* Notes that the window `id` ending at `reset` (epoch ms) was stored. */
void invite_ratelimit_seen_store(invite_rl_seen_t *table,
                                 const unsigned char *id, invite_ms_t reset);

/* Called when the cache did not find `id` at `now`: 1 when this host
 * stored that window and it has not ended, a window lost (its record is
 * then forgotten, so that the loss counts once); 0 otherwise. */
int invite_ratelimit_seen_lost(invite_rl_seen_t *table,
                               const unsigned char *id, invite_ms_t now);

#endif
