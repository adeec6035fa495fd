/* SPDX-License-Identifier: Apache-2.0 */
/* test_cache.c - the per-process authentication cache: hits, expiry,
 * keys that must all match, what is never cached, fixed memory. */
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "invite_cache.h"
#include "invite_core.h"
#include "tap.h"

#define H1 "mKvHbpuMqYlkjo15nA68sXqlJ4hvDUDKrQL+ffChrE8="
#define H2 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

static invite_auth_facts_t facts(int granted, int subscribed, const char *t)
{
    invite_auth_facts_t f;
    memset(&f, 0, sizeof(f));
    f.granted = granted;
    f.subscribed = subscribed;
    f.has_room = t != NULL;
    if (t) {
        apr_cpystrn(f.room_type, t, sizeof(f.room_type));
    }
    return f;
}

int main(void)
{
    apr_pool_t *pool;
    invite_auth_cache_t *c;
    invite_auth_facts_t f = facts(1, 1, "p"), out;
    apr_time_t now = apr_time_from_sec(1000000);
    char long_id[INVITE_CACHE_ID_MAX + 2];
    int i, hits;

    apr_initialize();
    apr_pool_create(&pool, NULL);

    ok(invite_auth_cache_create(pool, 0) == NULL, "no cache of zero slots");
    c = invite_auth_cache_create(pool, 64);
    ok(c != NULL, "a cache of 64 slots");

    ok(!invite_auth_cache_get(c, "u1", H1, "GENERAL", now, &out),
       "empty cache: miss");
    invite_auth_cache_put(c, "u1", H1, "GENERAL", now + apr_time_from_sec(2), &f);
    memset(&out, 0, sizeof(out));
    ok(invite_auth_cache_get(c, "u1", H1, "GENERAL", now, &out), "hit");
    ok(out.granted == 1 && out.subscribed == 1 && out.has_room == 1
       && !strcmp(out.room_type, "p"), "the stored facts come back");
    ok(invite_auth_cache_get(c, "u1", H1, "GENERAL",
                             now + apr_time_from_sec(2) - 1, &out),
       "hit just before expiry");
    ok(!invite_auth_cache_get(c, "u1", H1, "GENERAL",
                              now + apr_time_from_sec(2), &out),
       "miss at expiry: staleness is bounded by the TTL");
    ok(!invite_auth_cache_get(c, "u1", H2, "GENERAL", now, &out),
       "another token of the same user: miss");
    ok(!invite_auth_cache_get(c, "u2", H1, "GENERAL", now, &out),
       "another user with the same token hash: miss");
    ok(!invite_auth_cache_get(c, "u1", H1, "OTHER", now, &out),
       "another room: miss");
    ok(!invite_auth_cache_get(c, "u1", "short", "GENERAL", now, &out),
       "a malformed hash: miss");
    ok(!invite_auth_cache_get(c, NULL, H1, "GENERAL", now, &out), "NULL user");
    ok(!invite_auth_cache_get(NULL, "u1", H1, "GENERAL", now, &out),
       "NULL cache");

    /* Facts with no room and no grant are kept as they are. */
    f = facts(0, 0, NULL);
    invite_auth_cache_put(c, "u3", H1, "NOROOM", now + 5, &f);
    ok(invite_auth_cache_get(c, "u3", H1, "NOROOM", now, &out)
       && !out.granted && !out.subscribed && !out.has_room,
       "negative facts of an authenticated caller are cached");

    /* Keys that do not fit are not cached. */
    memset(long_id, 'x', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    f = facts(1, 1, "c");
    invite_auth_cache_put(c, long_id, H1, "GENERAL", now + 5, &f);
    ok(!invite_auth_cache_get(c, long_id, H1, "GENERAL", now, &out),
       "a user id longer than INVITE_CACHE_ID_MAX is not cached");
    invite_auth_cache_put(c, "u1", H1, long_id, now + 5, &f);
    ok(!invite_auth_cache_get(c, "u1", H1, long_id, now, &out),
       "a room id longer than INVITE_CACHE_ID_MAX is not cached");

    /* A newer put replaces the entry (a changed room type). */
    f = facts(1, 1, "c");
    invite_auth_cache_put(c, "u1", H1, "GENERAL", now + 10, &f);
    f = facts(1, 1, "d");
    invite_auth_cache_put(c, "u1", H1, "GENERAL", now + 10, &f);
    ok(invite_auth_cache_get(c, "u1", H1, "GENERAL", now, &out)
       && !strcmp(out.room_type, "d"), "the latest put wins");

    /* Direct-mapped: many keys in few slots evict each other, never mix. */
    c = invite_auth_cache_create(pool, 4);
    for (i = 0; i < 100; i++) {
        const char *uid = apr_psprintf(pool, "user%d", i);
        f = facts(i % 2, 1, (i % 3) ? "c" : "p");
        invite_auth_cache_put(c, uid, H1, "R", now + 10, &f);
    }
    hits = 0;
    for (i = 0; i < 100; i++) {
        const char *uid = apr_psprintf(pool, "user%d", i);
        if (invite_auth_cache_get(c, uid, H1, "R", now, &out)) {
            hits++;
            if (out.granted != i % 2
                || strcmp(out.room_type, (i % 3) ? "c" : "p")) {
                break;
            }
        }
    }
    ok(i == 100, "every hit carries its own key's facts");
    ok(hits >= 1 && hits <= 4, "at most one entry per slot stays");

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
