/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_find.c - findOrCreateInvite's check order and error bodies
 * (docs/api.md#find-check-order, #error-shapes, #room-types): the allowed
 * lists, invite_find_decide() and invite_find_error_body().
 */
#include <limits.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "invite_find.h"
#include "tap.h"

static apr_pool_t *pool;

/* ---------------------------- the bodies of docs/api.md#find-check-order */

#define BODY_401 \
    "{\"success\":false,\"error\":\"You must be logged in to do this.\"," \
    "\"status\":\"error\",\"message\":\"You must be logged in to do this.\"}"
#define BODY_RID_REQUIRED \
    "{\"success\":false,\"error\":\"The field rid is required " \
    "[error-the-field-is-required]\",\"errorType\":" \
    "\"error-the-field-is-required\",\"details\":{\"method\":" \
    "\"findOrCreateInvite\",\"field\":\"rid\"}}"
#define BODY_NOT_AUTHORIZED \
    "{\"success\":false,\"error\":\"[not_authorized]\"," \
    "\"errorType\":\"not_authorized\"}"
#define BODY_INVALID_ROOM \
    "{\"success\":false,\"error\":\"The rid field is invalid " \
    "[error-invalid-room]\",\"errorType\":\"error-invalid-room\"," \
    "\"details\":{\"method\":\"findOrCreateInvite\",\"field\":\"rid\"}}"
#define BODY_TYPE_NOT_ALLOWED \
    "{\"success\":false,\"error\":\"Cannot create invite links for this " \
    "room type [error-room-type-not-allowed]\",\"errorType\":" \
    "\"error-room-type-not-allowed\",\"details\":{\"method\":" \
    "\"findOrCreateInvite\"}}"
#define BODY_BAD_DAYS \
    "{\"success\":false,\"error\":\"Invite should expire in 1, 7, 15 or " \
    "30 days, or send 0 to never expire. [invalid-number-of-days]\"," \
    "\"errorType\":\"invalid-number-of-days\"}"
#define BODY_BAD_USES \
    "{\"success\":false,\"error\":\"Invite should be valid for 1, 5, 10, " \
    "25, 50, 100 or infinite (0) uses. [invalid-number-of-uses]\"," \
    "\"errorType\":\"invalid-number-of-uses\"}"

static const char *outcome_name(invite_find_outcome_e o)
{
    switch (o) {
    case INVITE_FIND_UNAUTHORIZED:          return "UNAUTHORIZED";
    case INVITE_FIND_INVALID_PARAMS:        return "INVALID_PARAMS";
    case INVITE_FIND_RID_REQUIRED:          return "RID_REQUIRED";
    case INVITE_FIND_NOT_AUTHORIZED:        return "NOT_AUTHORIZED";
    case INVITE_FIND_INVALID_ROOM:          return "INVALID_ROOM";
    case INVITE_FIND_ROOM_TYPE_NOT_ALLOWED: return "ROOM_TYPE_NOT_ALLOWED";
    case INVITE_FIND_ROOM_TYPE_NOT_FOUND:   return "ROOM_TYPE_NOT_FOUND";
    case INVITE_FIND_INVALID_DAYS:          return "INVALID_DAYS";
    case INVITE_FIND_INVALID_USES:          return "INVALID_USES";
    case INVITE_FIND_RETURN_EXISTING:       return "RETURN_EXISTING";
    case INVITE_FIND_CREATE:                return "CREATE";
    }
    return "?";
}

/* A request that passes every check: an admin in #general, 1 day, 10 uses. */
static invite_find_facts_t good(void)
{
    invite_find_facts_t f;

    memset(&f, 0, sizeof(f));
    f.authenticated = 1;
    f.schema_error = NULL;
    f.rid = "GENERAL";
    f.days = 1;
    f.max_uses = 10;
    f.granted = 1;
    f.subscribed = 1;
    f.room_type = "c";
    f.found = 0;
    return f;
}

#define is_outcome(f, want, name) \
    is_str(outcome_name(invite_find_decide(&(f))), outcome_name(want), name)

/* ------------------------------------------- failures, in check order
 *
 * Each breaker makes exactly one check of the check order fail.  Breakers sharing a
 * `slot` change the same fact and cannot be combined.  The table is in the
 * spec's order, so when several are applied the first one must win. */
typedef struct {
    const char *name;
    int slot;
    void (*apply)(invite_find_facts_t *f);
    invite_find_outcome_e want;
} breaker_t;

enum { S_AUTH, S_SCHEMA, S_RID, S_GRANT, S_SUB, S_ROOM, S_DAYS, S_USES };

static void b_unauth(invite_find_facts_t *f)   { f->authenticated = 0; }
static void b_schema(invite_find_facts_t *f)   { f->schema_error = "must be integer"; }
static void b_rid_empty(invite_find_facts_t *f) { f->rid = ""; }
static void b_rid_null(invite_find_facts_t *f) { f->rid = NULL; }
static void b_no_grant(invite_find_facts_t *f) { f->granted = 0; }
static void b_no_sub(invite_find_facts_t *f)   { f->subscribed = 0; }
static void b_no_room(invite_find_facts_t *f)  { f->room_type = NULL; }
static void b_type_d(invite_find_facts_t *f)   { f->room_type = "d"; }
static void b_type_v(invite_find_facts_t *f)   { f->room_type = "v"; }
static void b_type_x(invite_find_facts_t *f)   { f->room_type = "x"; }
static void b_days(invite_find_facts_t *f)     { f->days = 10; }
static void b_uses(invite_find_facts_t *f)     { f->max_uses = 3; }

static const breaker_t breakers[] = {
    {"unauthenticated",  S_AUTH,   b_unauth,    INVITE_FIND_UNAUTHORIZED},
    {"schema error",     S_SCHEMA, b_schema,    INVITE_FIND_INVALID_PARAMS},
    {"empty rid",        S_RID,    b_rid_empty, INVITE_FIND_RID_REQUIRED},
    {"NULL rid",         S_RID,    b_rid_null,  INVITE_FIND_RID_REQUIRED},
    {"no permission",    S_GRANT,  b_no_grant,  INVITE_FIND_NOT_AUTHORIZED},
    {"not subscribed",   S_SUB,    b_no_sub,    INVITE_FIND_INVALID_ROOM},
    {"missing room",     S_ROOM,   b_no_room,   INVITE_FIND_INVALID_ROOM},
    {"room type d",      S_ROOM,   b_type_d,    INVITE_FIND_ROOM_TYPE_NOT_ALLOWED},
    {"room type v",      S_ROOM,   b_type_v,    INVITE_FIND_ROOM_TYPE_NOT_ALLOWED},
    {"room type x",      S_ROOM,   b_type_x,    INVITE_FIND_ROOM_TYPE_NOT_FOUND},
    {"days 10",          S_DAYS,   b_days,      INVITE_FIND_INVALID_DAYS},
    {"maxUses 3",        S_USES,   b_uses,      INVITE_FIND_INVALID_USES},
};
#define NBREAKERS ((int)(sizeof(breakers) / sizeof(breakers[0])))

static const char *body_of(const invite_find_facts_t *f, int *status)
{
    *status = -1;
    return invite_find_error_body(pool, invite_find_decide(f), f, status);
}

#define is_body(f, want_status, want_body, name) do {                       \
    int st_;                                                                \
    const char *b_ = body_of(&(f), &st_);                                   \
    is_int(st_, (want_status), name " (status)");                           \
    is_str(b_, (want_body), name " (body)");                                \
} while (0)

static void test_allowed_lists(void)
{
    static const long long days_ok[] = {0, 1, 7, 15, 30};
    static const long long uses_ok[] = {0, 1, 5, 10, 25, 50, 100};
    static const long long days_bad[] = {
        -1, -7, -30, 2, 6, 8, 14, 16, 29, 31, 10, 60, 365, LLONG_MIN,
        LLONG_MAX, 4294967296LL, 4294967297LL, 4294967303LL,
        -4294967296LL + 7, 0x100000000001eLL /* 30 + 2^44 */
    };
    static const long long uses_bad[] = {
        -1, -5, -100, 2, 4, 6, 9, 11, 24, 26, 49, 51, 99, 101, 3, 20, 1000,
        LLONG_MIN, LLONG_MAX, 4294967296LL, 4294967297LL, 4294967306LL,
        0x10000000064LL /* 100 + 2^40 */
    };
    long long v;
    size_t i;
    int n_days = 0, n_uses = 0, strays = 0;

    for (i = 0; i < sizeof(days_ok) / sizeof(days_ok[0]); i++)
        ok(invite_days_allowed(days_ok[i]),
           apr_psprintf(pool, "days %lld allowed", days_ok[i]));
    for (i = 0; i < sizeof(days_bad) / sizeof(days_bad[0]); i++)
        ok(!invite_days_allowed(days_bad[i]),
           apr_psprintf(pool, "days %lld refused", days_bad[i]));
    for (i = 0; i < sizeof(uses_ok) / sizeof(uses_ok[0]); i++)
        ok(invite_max_uses_allowed(uses_ok[i]),
           apr_psprintf(pool, "maxUses %lld allowed", uses_ok[i]));
    for (i = 0; i < sizeof(uses_bad) / sizeof(uses_bad[0]); i++)
        ok(!invite_max_uses_allowed(uses_bad[i]),
           apr_psprintf(pool, "maxUses %lld refused", uses_bad[i]));

    /* Exactly the listed values in a wide window, nothing else. */
    for (v = -10000; v <= 10000; v++) {
        int d = invite_days_allowed(v), u = invite_max_uses_allowed(v);
        n_days += d != 0;
        n_uses += u != 0;
        if ((d != 0) != (v == 0 || v == 1 || v == 7 || v == 15 || v == 30)
            || (u != 0) != (v == 0 || v == 1 || v == 5 || v == 10 || v == 25
                            || v == 50 || v == 100)) {
            if (!strays++)
                printf("# first stray value: %lld (days %d, maxUses %d)\n",
                       v, d, u);
        }
    }
    is_int(n_days, 5, "5 allowed days in [-10000, 10000]");
    is_int(n_uses, 7, "7 allowed maxUses in [-10000, 10000]");
    is_int(strays, 0, "no value outside the lists is allowed");
    ok(!invite_days_allowed(5) && !invite_days_allowed(10)
       && !invite_days_allowed(100),
       "maxUses-only values are not days");
    ok(!invite_max_uses_allowed(7) && !invite_max_uses_allowed(15)
       && !invite_max_uses_allowed(30),
       "days-only values are not maxUses");
}

static void test_each_outcome(void)
{
    invite_find_facts_t f;
    int i;

    f = good();
    is_outcome(f, INVITE_FIND_CREATE, "all checks pass, none found: CREATE");
    f.found = 1;
    is_outcome(f, INVITE_FIND_RETURN_EXISTING,
               "all checks pass, one found: RETURN_EXISTING");

    for (i = 0; i < NBREAKERS; i++) {
        f = good();
        breakers[i].apply(&f);
        is_outcome(f, breakers[i].want,
                   apr_psprintf(pool, "only %s: %s", breakers[i].name,
                                outcome_name(breakers[i].want)));
        /* A found invite never hides an error. */
        f.found = 1;
        is_outcome(f, breakers[i].want,
                   apr_psprintf(pool, "only %s, invite found: still %s",
                                breakers[i].name,
                                outcome_name(breakers[i].want)));
    }

    /* docs/api.md#room-types: c, p and l allow invites; d and v do not;
     * others are unknown. */
    {
        static const char *const allowed[] = {"c", "p", "l"};
        static const char *const unknown[] = {"x", "", "C", "P", "cc", "c ",
                                              "D", "dv", "public", "lc"};
        size_t k;

        for (k = 0; k < 3; k++) {
            f = good();
            f.room_type = allowed[k];
            is_outcome(f, INVITE_FIND_CREATE,
                       apr_psprintf(pool, "room type %s allows invites",
                                    allowed[k]));
            f.found = 1;
            is_outcome(f, INVITE_FIND_RETURN_EXISTING,
                       apr_psprintf(pool, "room type %s, found: existing",
                                    allowed[k]));
        }
        for (k = 0; k < sizeof(unknown) / sizeof(unknown[0]); k++) {
            f = good();
            f.room_type = unknown[k];
            is_outcome(f, INVITE_FIND_ROOM_TYPE_NOT_FOUND,
                       apr_psprintf(pool, "room type '%s' is not registered",
                                    unknown[k]));
        }
    }

    /* Every allowed days x maxUses pair goes on to CREATE. */
    {
        static const long long days_ok[] = {0, 1, 7, 15, 30};
        static const long long uses_ok[] = {0, 1, 5, 10, 25, 50, 100};
        size_t d, u;
        int bad = 0;

        for (d = 0; d < 5; d++)
            for (u = 0; u < 7; u++) {
                f = good();
                f.days = days_ok[d];
                f.max_uses = uses_ok[u];
                bad += invite_find_decide(&f) != INVITE_FIND_CREATE;
            }
        is_int(bad, 0, "all 35 allowed days/maxUses pairs: CREATE");
    }

    /* An admin (granted) without a subscription, room present or not. */
    f = good();
    f.subscribed = 0;
    f.room_type = NULL;
    is_outcome(f, INVITE_FIND_INVALID_ROOM,
               "granted, no subscription, no room: INVALID_ROOM (e2e case)");
    f = good();
    f.subscribed = 1;
    f.room_type = NULL;
    is_outcome(f, INVITE_FIND_INVALID_ROOM,
               "subscription to a missing room: INVALID_ROOM");
}

static void test_order(void)
{
    invite_find_facts_t f;
    int i, j, mismatches = 0, combos = 0;

    /* The pairs named in docs/api.md#find-check-order, spelled out. */
    f = good();
    f.authenticated = 0;
    f.schema_error = "must have required property 'rid'";
    is_outcome(f, INVITE_FIND_UNAUTHORIZED, "unauthenticated beats schema error");

    f = good();
    f.schema_error = "must be string";
    f.rid = "";
    is_outcome(f, INVITE_FIND_INVALID_PARAMS, "schema error beats empty rid");

    f = good();
    f.rid = "";
    f.granted = 0;
    is_outcome(f, INVITE_FIND_RID_REQUIRED, "empty rid beats no permission");

    f = good();
    f.granted = 0;
    f.subscribed = 0;
    f.room_type = NULL;
    is_outcome(f, INVITE_FIND_NOT_AUTHORIZED,
               "no permission beats missing room (permission before existence)");

    f = good();
    f.granted = 0;
    f.room_type = "x";
    is_outcome(f, INVITE_FIND_NOT_AUTHORIZED,
               "no permission beats unknown room type");

    f = good();
    f.subscribed = 0;
    f.room_type = "d";
    is_outcome(f, INVITE_FIND_INVALID_ROOM,
               "not subscribed beats room type not allowed");

    f = good();
    f.subscribed = 0;
    f.room_type = "x";
    is_outcome(f, INVITE_FIND_INVALID_ROOM,
               "not subscribed beats room type not found");

    f = good();
    f.room_type = "d";
    f.days = 2;
    f.max_uses = 2;
    is_outcome(f, INVITE_FIND_ROOM_TYPE_NOT_ALLOWED,
               "room type not allowed beats bad days and maxUses");

    f = good();
    f.room_type = "x";
    f.days = 2;
    is_outcome(f, INVITE_FIND_ROOM_TYPE_NOT_FOUND,
               "room type not found beats bad days");

    f = good();
    f.days = -1;
    f.max_uses = -1;
    is_outcome(f, INVITE_FIND_INVALID_DAYS, "bad days reported before bad maxUses");

    f = good();
    f.days = 10;
    f.max_uses = 7;
    f.found = 1;
    is_outcome(f, INVITE_FIND_INVALID_DAYS, "bad days beats a found invite");

    /* Everything wrong at once, then fixed one check at a time. */
    memset(&f, 0, sizeof(f));
    f.room_type = "x";
    f.rid = "";
    f.schema_error = "must be object";
    f.days = 3;
    f.max_uses = 3;
    f.found = 1;
    is_outcome(f, INVITE_FIND_UNAUTHORIZED, "cascade: all wrong");
    f.authenticated = 1;
    is_outcome(f, INVITE_FIND_INVALID_PARAMS, "cascade: + authenticated");
    f.schema_error = NULL;
    is_outcome(f, INVITE_FIND_RID_REQUIRED, "cascade: + schema ok");
    f.rid = "GENERAL";
    is_outcome(f, INVITE_FIND_NOT_AUTHORIZED, "cascade: + rid");
    f.granted = 1;
    is_outcome(f, INVITE_FIND_INVALID_ROOM, "cascade: + permission");
    f.subscribed = 1;
    is_outcome(f, INVITE_FIND_ROOM_TYPE_NOT_FOUND, "cascade: + subscription");
    f.room_type = "v";
    is_outcome(f, INVITE_FIND_ROOM_TYPE_NOT_ALLOWED, "cascade: + registered type");
    f.room_type = "p";
    is_outcome(f, INVITE_FIND_INVALID_DAYS, "cascade: + private room");
    f.days = 30;
    is_outcome(f, INVITE_FIND_INVALID_USES, "cascade: + days");
    f.max_uses = 100;
    is_outcome(f, INVITE_FIND_RETURN_EXISTING, "cascade: + maxUses");
    f.found = 0;
    is_outcome(f, INVITE_FIND_CREATE, "cascade: nothing found");

    /* Every pair of compatible failures: the earlier check wins. */
    for (i = 0; i < NBREAKERS; i++) {
        for (j = i + 1; j < NBREAKERS; j++) {
            invite_find_outcome_e got;

            if (breakers[i].slot == breakers[j].slot)
                continue;
            f = good();
            breakers[j].apply(&f);   /* later one first: order of apply */
            breakers[i].apply(&f);   /* must not matter                 */
            got = invite_find_decide(&f);
            ++combos;
            if (got != breakers[i].want) {
                if (!mismatches)
                    printf("# %s + %s gave %s, expected %s\n",
                           breakers[i].name, breakers[j].name,
                           outcome_name(got), outcome_name(breakers[i].want));
                ++mismatches;
            }
        }
    }
    is_int(combos, 59, "pairs of compatible failures tried");
    is_int(mismatches, 0, "in every pair, the earlier check of the check order wins");
}

static void test_bodies(void)
{
    invite_find_facts_t f;
    int st;
    const char *b;

    is_str(INVITE_JSON_UNAUTHORIZED, BODY_401, "401 constant is row 1 of the check order");

    f = good();
    f.authenticated = 0;
    is_body(f, 401, BODY_401, "unauthenticated");

    f = good();
    f.schema_error = "must have required property 'rid'";
    is_body(f, 400,
            "{\"success\":false,\"errorType\":\"invalid-params\","
            "\"error\":\"must have required property 'rid'\"}",
            "schema error");

    f = good();
    f.schema_error = "must NOT have additional properties";
    is_body(f, 400,
            "{\"success\":false,\"errorType\":\"invalid-params\","
            "\"error\":\"must NOT have additional properties\"}",
            "schema error, another message");

    f = good();
    f.rid = "";
    is_body(f, 400, BODY_RID_REQUIRED, "empty rid");
    f.rid = NULL;
    is_body(f, 400, BODY_RID_REQUIRED, "NULL rid");

    f = good();
    f.granted = 0;
    is_body(f, 400, BODY_NOT_AUTHORIZED, "no permission");

    f = good();
    f.subscribed = 0;
    is_body(f, 400, BODY_INVALID_ROOM, "not subscribed");
    f = good();
    f.room_type = NULL;
    is_body(f, 400, BODY_INVALID_ROOM, "missing room");

    f = good();
    f.room_type = "d";
    is_body(f, 400, BODY_TYPE_NOT_ALLOWED, "direct room");
    f.room_type = "v";
    is_body(f, 400, BODY_TYPE_NOT_ALLOWED, "room type v");

    f = good();
    f.room_type = "x";
    is_body(f, 400, "{\"success\":false,\"error\":\"Room type x not found\"}",
            "unregistered room type x (plain Error, no errorType)");
    f.room_type = "";
    is_body(f, 400, "{\"success\":false,\"error\":\"Room type  not found\"}",
            "empty room type");
    f.room_type = "a\"b\\c";
    is_body(f, 400,
            "{\"success\":false,\"error\":\"Room type a\\\"b\\\\c not found\"}",
            "room type with quote and backslash is escaped");
    f.room_type = "%s%n";
    is_body(f, 400, "{\"success\":false,\"error\":\"Room type %s%n not found\"}",
            "room type is data, not a format");

    f = good();
    f.days = 10;
    is_body(f, 400, BODY_BAD_DAYS, "days 10 (issue #18332)");

    f = good();
    f.max_uses = 3;
    is_body(f, 400, BODY_BAD_USES, "maxUses 3");

    /* Not error outcomes: a 500, never a 200 or a half-made body. */
    f = good();
    b = invite_find_error_body(pool, INVITE_FIND_CREATE, &f, &st);
    is_int(st, 500, "CREATE is no error: 500");
    is_str(b, "{\"success\":false,\"error\":\"Internal error\"}",
           "CREATE is no error: body");
    st = 0;
    b = invite_find_error_body(pool, INVITE_FIND_RETURN_EXISTING, &f, &st);
    is_int(st, 500, "RETURN_EXISTING is no error: 500");
    is_str(b, "{\"success\":false,\"error\":\"Internal error\"}",
           "RETURN_EXISTING is no error: body");
    st = 0;
    b = invite_find_error_body(pool, (invite_find_outcome_e)99, &f, &st);
    is_int(st, 500, "out-of-range outcome: 500");

    /* The body does not depend on unrelated facts: outcome decides. */
    f = good();
    f.days = 3;
    f.granted = 0;    /* decide says NOT_AUTHORIZED; ask for DAYS anyway */
    b = invite_find_error_body(pool, INVITE_FIND_INVALID_DAYS, &f, &st);
    is_int(st, 400, "explicit INVALID_DAYS: 400");
    is_str(b, BODY_BAD_DAYS, "explicit INVALID_DAYS: its body");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);

    test_allowed_lists();
    test_each_outcome();
    test_order();
    test_bodies();

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
