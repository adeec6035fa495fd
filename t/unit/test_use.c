/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_use.c - validateInviteToken's checks and useInviteToken's check
 * order (docs/api.md#use-invite-token, #validate-invite-token):
 * invite_token_check(), invite_use_decide(), invite_use_error_body() and
 * the two response bodies.
 */
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "invite_use.h"
#include "tap.h"

static apr_pool_t *pool;

#define NOW 1700000000000LL

/* A live invite of a public room, for a newcomer. */
static invite_use_facts_t newcomer(void)
{
    invite_use_facts_t f;
    memset(&f, 0, sizeof(f));
    f.authenticated = 1;
    f.token = "AbCdEf";
    f.invite.invite_found = 1;
    f.invite.room_found = 1;
    f.invite.max_uses = 5;
    f.invite.uses = 4;
    f.room_type = "c";
    f.now = NOW;
    return f;
}

static void test_token_check(void)
{
    invite_use_facts_t f = newcomer();
    invite_token_facts_t *t = &f.invite;

    is_int(invite_token_check("AbCdEf", t, NOW), INVITE_TOKEN_VALID, "live");
    is_int(invite_token_check("", t, NOW), INVITE_TOKEN_INVALID, "empty token");
    is_int(invite_token_check(NULL, t, NOW), INVITE_TOKEN_INVALID, "no token");
    t->invite_found = 0;
    is_int(invite_token_check("AbCdEf", t, NOW), INVITE_TOKEN_INVALID,
           "no invite");
    t->invite_found = 1;
    t->room_found = 0;
    t->has_expires = 1;
    t->expires = NOW - 1;
    is_int(invite_token_check("AbCdEf", t, NOW), INVITE_TOKEN_INVALID_ROOM,
           "room before expiry");
    t->room_found = 1;
    is_int(invite_token_check("AbCdEf", t, NOW), INVITE_TOKEN_EXPIRED,
           "expired");
    t->expires = NOW;
    is_int(invite_token_check("AbCdEf", t, NOW), INVITE_TOKEN_EXPIRED,
           "expiry is inclusive: dead at exactly expires");
    t->expires = NOW + 1;
    is_int(invite_token_check("AbCdEf", t, NOW), INVITE_TOKEN_VALID,
           "one millisecond before expires");
    t->uses = 5;
    is_int(invite_token_check("AbCdEf", t, NOW), INVITE_TOKEN_USED_UP,
           "uses == maxUses");
    t->uses = 6;
    is_int(invite_token_check("AbCdEf", t, NOW), INVITE_TOKEN_USED_UP,
           "uses > maxUses");
    t->expires = NOW;
    is_int(invite_token_check("AbCdEf", t, NOW), INVITE_TOKEN_EXPIRED,
           "expiry before uses");
    t->has_expires = 0;
    t->max_uses = 0;
    t->uses = 1000000;
    is_int(invite_token_check("AbCdEf", t, NOW), INVITE_TOKEN_VALID,
           "maxUses 0: unlimited");
}

static void test_decide(void)
{
    invite_use_facts_t f = newcomer();

    is_int(invite_use_decide(&f), INVITE_USE_JOIN, "newcomer joins");
    f.subscribed = 1;
    is_int(invite_use_decide(&f), INVITE_USE_MEMBER, "member: no count");
    f.invite.uses = 5;
    is_int(invite_use_decide(&f), INVITE_USE_USED_UP,
           "a member of a used-up invite is refused too");
    f = newcomer();
    f.room_type = "d";
    is_int(invite_use_decide(&f), INVITE_USE_ROOM_TYPE_NOT_ALLOWED, "d");
    f.room_type = "v";
    is_int(invite_use_decide(&f), INVITE_USE_ROOM_TYPE_NOT_ALLOWED, "v");
    f.room_type = "x";
    is_int(invite_use_decide(&f), INVITE_USE_ROOM_TYPE_NOT_FOUND, "x");
    f.room_type = "p";
    is_int(invite_use_decide(&f), INVITE_USE_JOIN, "p");
    f.room_type = "l";
    is_int(invite_use_decide(&f), INVITE_USE_JOIN, "l");
    f.room_type = "d";
    f.invite.has_expires = 1;
    f.invite.expires = NOW;
    is_int(invite_use_decide(&f), INVITE_USE_EXPIRED,
           "token checks before the room type");
    f.token = "";
    is_int(invite_use_decide(&f), INVITE_USE_TOKEN_REQUIRED,
           "empty token before the lookup");
    f.schema_error = "must have required property 'token'";
    is_int(invite_use_decide(&f), INVITE_USE_INVALID_PARAMS,
           "schema before the token");
    f.authenticated = 0;
    is_int(invite_use_decide(&f), INVITE_USE_UNAUTHORIZED,
           "authentication first");

    /* Rocket.Chat 8.4.0: a banned member is refused after the token and
     * the room type are checked, before anything is counted. */
    f = newcomer();
    f.subscribed = f.banned = 1;
    is_int(invite_use_decide(&f), INVITE_USE_BANNED, "banned member: refused");
    f.room_type = "d";
    is_int(invite_use_decide(&f), INVITE_USE_ROOM_TYPE_NOT_ALLOWED,
           "banned: the room type first");
    f = newcomer();
    f.subscribed = f.banned = 1;
    f.invite.uses = f.invite.max_uses = 5;
    is_int(invite_use_decide(&f), INVITE_USE_USED_UP,
           "banned: the token's checks first");
}

static void test_bodies(void)
{
    invite_use_facts_t f = newcomer();
    invite_room_t room = { "GENERAL", NULL, NULL, "general", "c" };
    invite_room_t full = { "R1", "P1", "Full Name", "r1", "p" };
    int status = 0;

    is_str(invite_use_error_body(pool, INVITE_USE_USED_UP, &f, &status),
           "{\"success\":false,\"error\":\"The invite token has expired. "
           "[error-invite-expired]\",\"errorType\":\"error-invite-expired\","
           "\"details\":{\"method\":\"validateInviteToken\",\"field\":"
           "\"maxUses\"}}", "used up");
    is_int(status, 400, "used up: 400");
    is_str(invite_use_error_body(pool, INVITE_USE_BANNED, &f, &status),
           "{\"success\":false,\"error\":\"User is banned from this room "
           "[error-user-is-banned]\",\"errorType\":\"error-user-is-banned\","
           "\"details\":{\"method\":\"useInviteToken\"}}", "banned");
    is_int(status, 400, "banned: 400");
    is_str(invite_use_error_body(pool, INVITE_USE_EXPIRED, &f, &status),
           "{\"success\":false,\"error\":\"The invite token has expired. "
           "[error-invite-expired]\",\"errorType\":\"error-invite-expired\","
           "\"details\":{\"method\":\"validateInviteToken\",\"field\":"
           "\"expires\"}}", "expired");
    is_str(invite_use_error_body(pool, INVITE_USE_TOKEN_REQUIRED, &f, &status),
           "{\"success\":false,\"error\":\"The invite token is invalid. "
           "[error-invalid-token]\",\"errorType\":\"error-invalid-token\","
           "\"details\":{\"method\":\"useInviteToken\",\"field\":\"token\"}}",
           "empty token");
    f.room_type = "zz";
    is_str(invite_use_error_body(pool, INVITE_USE_ROOM_TYPE_NOT_FOUND, &f,
                                 &status),
           "{\"success\":false,\"error\":\"Room type zz not found\"}",
           "unknown room type");
    invite_use_error_body(pool, INVITE_USE_UNAUTHORIZED, &f, &status);
    is_int(status, 401, "unauthorized: 401");
    is_str(invite_json_use(pool, &room),
           "{\"room\":{\"rid\":\"GENERAL\",\"name\":\"general\",\"t\":\"c\"},"
           "\"success\":true}", "room without prid and fname");
    is_str(invite_json_use(pool, &full),
           "{\"room\":{\"rid\":\"R1\",\"prid\":\"P1\",\"fname\":\"Full Name\","
           "\"name\":\"r1\",\"t\":\"p\"},\"success\":true}",
           "every room field, in Rocket.Chat's order");
    is_str(invite_json_valid(pool, 1), "{\"valid\":true,\"success\":true}",
           "valid");
    is_str(invite_json_valid(pool, 0), "{\"valid\":false,\"success\":true}",
           "invalid");
}

static void test_schema(void)
{
    json_t *body = json_loads("{\"token\":42}", 0, NULL);
    ok(invite_schema_validate(pool, &invite_token_body_schema, body) == NULL,
       "a number token is coerced");
    is_str(json_string_value(json_object_get(body, "token")), "42",
           "to its string");
    json_decref(body);
    body = json_loads("{}", 0, NULL);
    is_str(invite_schema_validate(pool, &invite_token_body_schema, body),
           "must have required property 'token'", "token is required");
    json_decref(body);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_token_check();
    test_decide();
    test_bodies();
    test_schema();
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
