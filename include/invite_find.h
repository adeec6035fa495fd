/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_find.h - findOrCreateInvite's check order, decided from the
 * columns of the single lookup statement (httpd-free).
 */
#ifndef INVITE_FIND_H
#define INVITE_FIND_H

#include "invite_core.h"

/* The allowed lists of Rocket.Chat (rows 12 and 13 of the check table). */
int invite_days_allowed(long long days);
int invite_max_uses_allowed(long long max_uses);

/* What the one lookup statement told us, plus what the request said. */
typedef struct {
    int authenticated;          /* a login token of X-User-Id matched */
    const char *schema_error;   /* NULL when the body passed the schema */
    const char *rid;            /* coerced body values (valid when no   */
    long long days;             /*   schema_error)                      */
    long long max_uses;
    int granted;                /* create-invite-links via global or room roles */
    int subscribed;             /* caller has a subscription to rid */
    const char *room_type;      /* rooms.t, NULL when the room does not exist */
    int found;                  /* a live matching invite was returned */
    int rc_version;             /* InviteRocketChatVersion (0: before 9) */
} invite_find_facts_t;

typedef enum {
    INVITE_FIND_UNAUTHORIZED,        /* 401 */
    INVITE_FIND_INVALID_PARAMS,      /* 400 invalid-params (schema_error) */
    INVITE_FIND_RID_REQUIRED,        /* 400 error-the-field-is-required */
    INVITE_FIND_NOT_AUTHORIZED,      /* 400 not_authorized */
    INVITE_FIND_INVALID_ROOM,        /* 400 error-invalid-room */
    INVITE_FIND_ROOM_TYPE_NOT_ALLOWED,
    INVITE_FIND_ROOM_TYPE_NOT_FOUND, /* 400 plain "Room type X not found" */
    INVITE_FIND_INVALID_DAYS,
    INVITE_FIND_INVALID_USES,
    INVITE_FIND_RETURN_EXISTING,     /* 200 with the found invite */
    INVITE_FIND_CREATE               /* go and create one */
} invite_find_outcome_e;

/* Applies the check order of docs/api.md#find-check-order to the facts. */
invite_find_outcome_e invite_find_decide(const invite_find_facts_t *f);

/* Status and JSON body for an error outcome (not RETURN_EXISTING/CREATE). */
const char *invite_find_error_body(apr_pool_t *p, invite_find_outcome_e o,
                                   const invite_find_facts_t *f, int *status);

#endif
