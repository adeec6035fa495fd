/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_use.h - the token checks of validateInviteToken and the check
 * order of useInviteToken (docs/api.md#use-invite-token and
 * #validate-invite-token), decided from the columns of one lookup
 * statement (httpd-free).
 */
#ifndef INVITE_USE_H
#define INVITE_USE_H

#include "invite_core.h"

/* What the lookup told us about a token's invite and room. */
typedef struct {
    int invite_found;           /* an invite has _id = token */
    int room_found;             /* its room exists */
    int has_expires;
    invite_ms_t expires;
    long long uses;
    long long max_uses;
} invite_token_facts_t;

/* The body of both token endpoints: {token: string}, required, nothing
 * else. */
extern const invite_schema_t invite_token_body_schema;

/* validateInviteToken's internal checks, in order. */
typedef enum {
    INVITE_TOKEN_VALID,
    INVITE_TOKEN_INVALID,       /* empty token or no such invite */
    INVITE_TOKEN_INVALID_ROOM,  /* the invite's room is gone */
    INVITE_TOKEN_EXPIRED,       /* expires <= now (inclusive) */
    INVITE_TOKEN_USED_UP        /* max_uses > 0 && uses >= max_uses */
} invite_token_check_e;

invite_token_check_e invite_token_check(const char *token,
                                        const invite_token_facts_t *f,
                                        invite_ms_t now);

/* useInviteToken: the request, the lookup and the caller. */
typedef struct {
    int authenticated;          /* a login token of X-User-Id matched */
    const char *schema_error;   /* NULL when the body passed the schema */
    const char *token;          /* the coerced body token */
    invite_token_facts_t invite;
    const char *room_type;      /* rooms.t (when room_found) */
    int subscribed;             /* the caller is a member of the room */
    int banned;                 /* ... whose subscription is BANNED */
    invite_ms_t now;
} invite_use_facts_t;

typedef enum {
    INVITE_USE_UNAUTHORIZED,         /* 401 */
    INVITE_USE_INVALID_PARAMS,       /* 400 invalid-params */
    INVITE_USE_TOKEN_REQUIRED,       /* empty token: error-invalid-token */
    INVITE_USE_INVALID_TOKEN,        /* from validateInviteToken ... */
    INVITE_USE_INVALID_ROOM,
    INVITE_USE_EXPIRED,
    INVITE_USE_USED_UP,
    INVITE_USE_ROOM_TYPE_NOT_ALLOWED,
    INVITE_USE_ROOM_TYPE_NOT_FOUND,  /* 400 plain "Room type X not found" */
    INVITE_USE_BANNED,               /* error-user-is-banned (8.4 and later) */
    INVITE_USE_MEMBER,               /* 200, nothing counted */
    INVITE_USE_JOIN                  /* count a use and subscribe */
} invite_use_outcome_e;

/* Applies Rocket.Chat's order to the facts. */
invite_use_outcome_e invite_use_decide(const invite_use_facts_t *f);

/* Status and JSON body of an error outcome (not MEMBER or JOIN). */
const char *invite_use_error_body(apr_pool_t *p, invite_use_outcome_e o,
                                  const invite_use_facts_t *f, int *status);

/* The room as useInviteToken returns it. */
typedef struct {
    const char *rid;            /* the invite's rid */
    const char *prid;           /* NULL members are left out */
    const char *fname;
    const char *name;
    const char *t;
} invite_room_t;

/* {"room":{"rid":..,"prid":..,"fname":..,"name":..,"t":..},"success":true} */
const char *invite_json_use(apr_pool_t *p, const invite_room_t *room);

/* {"valid":true|false,"success":true} */
const char *invite_json_valid(apr_pool_t *p, int valid);

#endif
