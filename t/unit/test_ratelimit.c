/* SPDX-License-Identifier: Apache-2.0 */
/* test_ratelimit.c - the rate limiter's httpd-free part: Rocket.Chat's
 * rule key, cache ids, the fixed window (counted before the check, the
 * 11th call blocked, reset when the interval has elapsed), the stored
 * value, the 429 message and the records that tell a window lost. */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "invite_ratelimit.h"
#include "tap.h"

static int same_id(const char *a1, const char *a2, const char *a3,
                   const char *a4, const char *b1, const char *b2,
                   const char *b3, const char *b4)
{
    unsigned char x[INVITE_RL_ID_LEN], y[INVITE_RL_ID_LEN];
    return invite_ratelimit_id(a1, a2, a3, a4, x)
           && invite_ratelimit_id(b1, b2, b3, b4, y)
           && memcmp(x, y, sizeof(x)) == 0;
}

/* An id whose bucket is chosen by `bucket` and whose tag is `tag`. */
static void seen_id(unsigned char id[INVITE_RL_ID_LEN], unsigned bucket,
                    unsigned tag)
{
    memset(id, 0xab, INVITE_RL_ID_LEN);
    id[4] = (unsigned char)(tag >> 24);
    id[5] = (unsigned char)(tag >> 16);
    id[6] = (unsigned char)(tag >> 8);
    id[7] = (unsigned char)tag;
    id[8] = id[9] = 0;
    id[10] = (unsigned char)(bucket >> 8);
    id[11] = (unsigned char)bucket;
}

/* The records that tell a window lost before its end. */
static void test_seen(invite_ms_t t)
{
    invite_rl_seen_t *table = calloc(INVITE_RL_SEEN_SLOTS, sizeof(*table));
    unsigned char a[INVITE_RL_ID_LEN], b[INVITE_RL_ID_LEN];
    unsigned char ways[INVITE_RL_SEEN_WAYS + 1][INVITE_RL_ID_LEN];
    int i, seen = 0;

    invite_ratelimit_id("h", "/a", "r", "1.2.3.4", a);
    invite_ratelimit_id("h", "/a", "r", "1.2.3.5", b);
    ok(!invite_ratelimit_seen_lost(table, a, t),
       "seen: a window never stored is not lost");
    invite_ratelimit_seen_store(table, a, t + 60000);
    ok(!invite_ratelimit_seen_lost(table, b, t + 1000),
       "seen: another client's window is not lost");
    ok(invite_ratelimit_seen_lost(table, a, t + 1000),
       "seen: missing before its end: lost");
    ok(!invite_ratelimit_seen_lost(table, a, t + 1000),
       "seen: ... counted once");

    invite_ratelimit_seen_store(table, a, t + 60000);
    ok(!invite_ratelimit_seen_lost(table, a, t + 60000),
       "seen: missing at its end: not lost");
    invite_ratelimit_seen_store(table, a, t + 60500);
    ok(!invite_ratelimit_seen_lost(table, a, t + 60000),
       "seen: nor in the second its end falls in (rounded down)");
    ok(!invite_ratelimit_seen_lost(table, a, t + 60000),
       "seen: ... after which it is forgotten");

    /* A window stored anew keeps one record, with the new end. */
    invite_ratelimit_seen_store(table, a, t + 2000);
    invite_ratelimit_seen_store(table, a, t + 70000);
    ok(invite_ratelimit_seen_lost(table, a, t + 10000),
       "seen: stored anew, lost before the new end");

    /* One bucket: a fifth window takes the record that ends first. */
    for (i = 0; i <= INVITE_RL_SEEN_WAYS; i++) {
        seen_id(ways[i], 7, 100 + i);
    }
    for (i = 0; i < INVITE_RL_SEEN_WAYS; i++) {
        /* ways[1] ends first */
        invite_ratelimit_seen_store(table, ways[i],
                                    t + (i == 1 ? 30000 : 60000 + i * 1000));
    }
    invite_ratelimit_seen_store(table, ways[INVITE_RL_SEEN_WAYS], t + 90000);
    ok(!invite_ratelimit_seen_lost(table, ways[1], t + 1000),
       "seen: a full bucket's record that ends first is displaced (its "
       "loss goes unseen)");
    for (i = 0; i <= INVITE_RL_SEEN_WAYS; i++) {
        seen += i != 1 && invite_ratelimit_seen_lost(table, ways[i], t + 1000);
    }
    is_int(seen, INVITE_RL_SEEN_WAYS, "seen: the bucket's other windows are kept");

    /* A record forgotten (its loss counted) makes room before a live
     * one, even the one that ends first. */
    for (i = 0; i < INVITE_RL_SEEN_WAYS; i++) {
        invite_ratelimit_seen_store(table, ways[i], t + 60000 + i * 1000);
    }
    ok(invite_ratelimit_seen_lost(table, ways[2], t + 1000),
       "seen: a full bucket, one window lost");
    invite_ratelimit_seen_store(table, ways[INVITE_RL_SEEN_WAYS], t + 90000);
    seen = 0;
    for (i = 0; i <= INVITE_RL_SEEN_WAYS; i++) {
        seen += i != 2 && invite_ratelimit_seen_lost(table, ways[i], t + 1000);
    }
    is_int(seen, INVITE_RL_SEEN_WAYS,
           "seen: the lost window's record made room for the next");
    free(table);
}

int main(void)
{
    apr_pool_t *pool;
    invite_rl_window_t w, d;
    invite_ms_t t = 1795000000000LL;   /* 2026-11-18 */
    char value[INVITE_RL_VALUE_MAX], big[2000];
    unsigned char id[INVITE_RL_ID_LEN];
    unsigned int len;
    int i, allowed, store, all_allowed = 1, remaining_ok = 1;

    apr_initialize();
    apr_pool_create(&pool, NULL);

    /* Rocket.Chat's rule key: '/api/v1/<route><METHOD>'. */
    is_str(invite_ratelimit_rule(pool, "removeInvite/:_id", "DELETE"),
           "/api/v1/removeInvite/:_idDELETE", "rule key of removeInvite");
    is_str(invite_ratelimit_rule(pool, "findOrCreateInvite", "POST"),
           "/api/v1/findOrCreateInvitePOST", "rule key of findOrCreateInvite");

    /* Cache ids: one per (site, scope, rule, address), fixed length. */
    ok(same_id("h", "/a", "r", "1.2.3.4", "h", "/a", "r", "1.2.3.4"),
       "id: the same parts give the same id");
    ok(!same_id("h", "/a", "/api/v1/xPOST", "1.2.3.4",
                "h", "/a", "/api/v1/xGET", "1.2.3.4"),
       "id: the method is part of it");
    ok(!same_id("h", "/a", "r", "1.2.3.4", "h", "/a", "r", "1.2.3.5"),
       "id: the client address is part of it");
    ok(!same_id("h", "/a", "r", "1.2.3.4", "h", "/b", "r", "1.2.3.4"),
       "id: the scope is part of it");
    ok(!same_id("h", "/a", "r", "1.2.3.4", "g", "/a", "r", "1.2.3.4"),
       "id: the site is part of it");
    ok(!same_id("h", "ab", "c", "1", "h", "a", "bc", "1"),
       "id: parts do not run into each other");
    ok(same_id(NULL, NULL, "r", "1", "", "", "r", "1"),
       "id: a missing part is the empty one");
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ok(!invite_ratelimit_id("h", big, "r", "1", id),
       "id: refuses parts too long to key");

    /* Fixed window, 10 per 60 s: incremented before the check. */
    memset(&w, 0, sizeof(w));
    for (i = 1; i <= 10; i++) {
        allowed = invite_ratelimit_count(&w, i > 1, t + i * 100, 10, 60000,
                                         &store);
        all_allowed &= allowed && store;
        remaining_ok &= invite_ratelimit_remaining(&w, 10) == 10 - i;
    }
    ok(all_allowed, "calls 1 to 10 are allowed and stored");
    ok(remaining_ok, "remaining counts down 9 .. 0");
    is_int(w.reset, t + 100 + 60000, "the window ends 60 s after its first call");
    allowed = invite_ratelimit_count(&w, 1, t + 5000, 10, 60000, &store);
    ok(!allowed, "call 11 is blocked");
    ok(store, "... and stored once (count 11)");
    is_int(w.count, 11, "... count 11");
    is_int(invite_ratelimit_remaining(&w, 10), 0, "... remaining 0");
    allowed = invite_ratelimit_count(&w, 1, t + 6000, 10, 60000, &store);
    ok(!allowed && !store, "call 12: blocked, nothing to store");
    is_int(w.count, 11, "... the count stays at limit + 1");
    is_int(w.reset, t + 100 + 60000, "blocked calls do not move the window");
    is_int(invite_ratelimit_wait(&w, t + 6000), 55, "wait: 54.1 s rounds up to 55");
    is_int(invite_ratelimit_wait(&w, t + 100 + 59999), 1, "wait: 1 ms left is 1 s");
    is_int(invite_ratelimit_wait(&w, t + 100 + 59000), 1, "wait: 1000 ms left is 1 s");
    is_int(invite_ratelimit_wait(&w, t + 100 + 60000), 1, "wait: never below 1");

    /* Reset when the interval has elapsed: exactly at the end. */
    allowed = invite_ratelimit_count(&w, 1, t + 100 + 59999, 10, 60000, &store);
    ok(!allowed, "1 ms before the end: still blocked");
    allowed = invite_ratelimit_count(&w, 1, t + 100 + 60000, 10, 60000, &store);
    ok(allowed && store, "at the end: a new window, allowed");
    is_int(w.count, 1, "... count 1");
    is_int(w.reset, t + 100 + 120000, "... ending one interval later");

    /* A window that was not found starts anew whatever *w held. */
    w.count = 99;
    w.reset = t + 999999;
    allowed = invite_ratelimit_count(&w, 0, t, 3, 2000, &store);
    ok(allowed && w.count == 1 && w.reset == t + 2000,
       "not found: a fresh window");

    /* Limit 1. */
    memset(&w, 0, sizeof(w));
    ok(invite_ratelimit_count(&w, 0, t, 1, 1000, &store), "limit 1: first allowed");
    ok(!invite_ratelimit_count(&w, 1, t + 1, 1, 1000, &store), "limit 1: second blocked");

    /* The stored value. */
    w.count = 7;
    w.reset = 1795000060000LL;
    len = invite_ratelimit_encode(&w, value);
    is_str(value, "7 1795000060000", "encode: decimal count and reset");
    is_int(len, strlen("7 1795000060000"), "encode: its length");
    memset(&d, 0, sizeof(d));
    ok(invite_ratelimit_decode(value, len, &d) && d.count == 7
       && d.reset == 1795000060000LL, "decode: round trip");
    ok(invite_ratelimit_decode("11 5", 4, &d) && d.count == 11 && d.reset == 5,
       "decode: not NUL-terminated input of the given length");
    ok(invite_ratelimit_decode("3 12345junk", 7, &d) && d.reset == 12345,
       "decode: stops at the given length");
    ok(!invite_ratelimit_decode("", 0, &d), "decode: empty");
    ok(!invite_ratelimit_decode(NULL, 4, &d), "decode: NULL");
    ok(!invite_ratelimit_decode("7", 1, &d), "decode: one number");
    ok(!invite_ratelimit_decode("7 ", 2, &d), "decode: no reset");
    ok(!invite_ratelimit_decode("-1 5", 4, &d), "decode: negative count");
    ok(!invite_ratelimit_decode("1 -5", 4, &d), "decode: negative reset");
    ok(!invite_ratelimit_decode(" 1 5", 4, &d), "decode: leading space");
    ok(!invite_ratelimit_decode("1 5 ", 4, &d), "decode: trailing space");
    ok(!invite_ratelimit_decode("1  5", 4, &d), "decode: two spaces");
    ok(!invite_ratelimit_decode("1 99999999999999999999", 22, &d),
       "decode: overflow");
    memset(big, '1', sizeof(big));
    ok(!invite_ratelimit_decode(big, sizeof(big), &d), "decode: too long");

    /* The 429 message. */
    is_str(invite_ratelimit_message(pool, 60),
           "Error, too many requests. Please slow down. You must wait 60 "
           "seconds before trying this endpoint again. "
           "[error-too-many-requests]", "message: Rocket.Chat's text");
    is_str(invite_json_plain_error(pool, invite_ratelimit_message(pool, 1)),
           "{\"success\":false,\"error\":\"Error, too many requests. Please "
           "slow down. You must wait 1 seconds before trying this endpoint "
           "again. [error-too-many-requests]\"}", "the 429 body");

    test_seen(t);

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
