/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_ratelimit_socache.h - what the rate limiter tells a
 * mod_socache provider about its entries, shared by the module
 * (src/mod_invite_ratelimit.c) and the shmcb measurement
 * (tools/rl_shmcb_capacity.c), so that the measurement sizes the cache
 * the module gets.  httpd's, so in src/ with the glue.
 */
#ifndef MOD_INVITE_RATELIMIT_SOCACHE_H
#define MOD_INVITE_RATELIMIT_SOCACHE_H

#include <string.h>

#include <ap_socache.h>

#include "invite_ratelimit.h"

/* The consumer name socache providers key their storage by (at most 14
 * characters: redis and memcache add a ':' and need a NUL within 16). */
#define INVITE_RL_CACHE_NAME "mod_invite-rl"

/* shmcb divides its segment by avg_id_len + avg_obj_size to choose how
 * many entries (indexes) it has room for; an entry is the 32-byte id and
 * a value of 15 to 17 bytes ("<count> <reset ms>"). */
static APR_INLINE void invite_ratelimit_hints(struct ap_socache_hints *h)
{
    memset(h, 0, sizeof(*h));
    h->avg_id_len = INVITE_RL_ID_LEN;
    h->avg_obj_size = 40;
    h->expiry_interval = apr_time_from_sec(30);
}

#endif
