/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_find.c - the check order of findOrCreateInvite
 * (docs/api.md#find-check-order), decided in one place from the facts the
 * single lookup statement returns.
 */
#include <apr_strings.h>

#include "invite_find.h"

int invite_days_allowed(long long days)
{
    return days == 0 || days == 1 || days == 7 || days == 15 || days == 30;
}

int invite_max_uses_allowed(long long n)
{
    return n == 0 || n == 1 || n == 5 || n == 10 || n == 25 || n == 50
        || n == 100;
}

invite_room_type_e invite_room_type_class(const char *t)
{
    static const char *const invite[] = { "c", "p", "l" };
    /* registered, but allowMemberAction(invite) is false */
    static const char *const no_invite[] = { "d", "v" };
    size_t i;

    for (i = 0; i < sizeof(invite) / sizeof(invite[0]); i++) {
        if (!strcmp(t, invite[i])) {
            return INVITE_ROOM_TYPE_INVITE;
        }
    }
    for (i = 0; i < sizeof(no_invite) / sizeof(no_invite[0]); i++) {
        if (!strcmp(t, no_invite[i])) {
            return INVITE_ROOM_TYPE_NO_INVITE;
        }
    }
    return INVITE_ROOM_TYPE_UNKNOWN;
}

invite_find_outcome_e invite_find_decide(const invite_find_facts_t *f)
{
    if (!f->authenticated) {
        return INVITE_FIND_UNAUTHORIZED;
    }
    if (f->schema_error) {
        return INVITE_FIND_INVALID_PARAMS;
    }
    if (!f->rid || !*f->rid) {
        return INVITE_FIND_RID_REQUIRED;
    }
    /* Permission before existence: without a grant even a missing room
     * answers not_authorized. */
    if (!f->granted) {
        return INVITE_FIND_NOT_AUTHORIZED;
    }
    if (!f->subscribed || !f->room_type) {
        return INVITE_FIND_INVALID_ROOM;
    }
    switch (invite_room_type_class(f->room_type)) {
    case INVITE_ROOM_TYPE_UNKNOWN:
        return INVITE_FIND_ROOM_TYPE_NOT_FOUND;
    case INVITE_ROOM_TYPE_NO_INVITE:
        return INVITE_FIND_ROOM_TYPE_NOT_ALLOWED;
    case INVITE_ROOM_TYPE_INVITE:
        break;
    }
    if (!invite_days_allowed(f->days)) {
        return INVITE_FIND_INVALID_DAYS;
    }
    if (!invite_max_uses_allowed(f->max_uses)) {
        return INVITE_FIND_INVALID_USES;
    }
    return f->found ? INVITE_FIND_RETURN_EXISTING : INVITE_FIND_CREATE;
}

#define METHOD "findOrCreateInvite"

const char *invite_find_error_body(apr_pool_t *p, invite_find_outcome_e o,
                                   const invite_find_facts_t *f, int *status)
{
    *status = 400;
    switch (o) {
    case INVITE_FIND_UNAUTHORIZED:
        *status = 401;
        return INVITE_JSON_UNAUTHORIZED;
    case INVITE_FIND_INVALID_PARAMS:
        return invite_json_invalid_params(p, f->schema_error);
    case INVITE_FIND_RID_REQUIRED:
        return invite_json_meteor_error(p, "error-the-field-is-required",
                                        "The field rid is required", METHOD,
                                        "rid");
    case INVITE_FIND_NOT_AUTHORIZED:
        /* 403 error-forbidden from Rocket.Chat 9.0 */
        return invite_json_refusal(p, f->rc_version, "not_authorized", NULL,
                                   NULL, NULL, status);
    case INVITE_FIND_INVALID_ROOM:
        return invite_json_meteor_error(p, "error-invalid-room",
                                        "The rid field is invalid", METHOD,
                                        "rid");
    case INVITE_FIND_ROOM_TYPE_NOT_ALLOWED:
        return invite_json_meteor_error(p, "error-room-type-not-allowed",
                      "Cannot create invite links for this room type", METHOD,
                      NULL);
    case INVITE_FIND_ROOM_TYPE_NOT_FOUND:
        return invite_json_plain_error(p, apr_psprintf(p,
                                       "Room type %s not found", f->room_type));
    case INVITE_FIND_INVALID_DAYS:
        return invite_json_meteor_error(p, "invalid-number-of-days",
                      "Invite should expire in 1, 7, 15 or 30 days, or send 0 "
                      "to never expire.", NULL, NULL);
    case INVITE_FIND_INVALID_USES:
        return invite_json_meteor_error(p, "invalid-number-of-uses",
                      "Invite should be valid for 1, 5, 10, 25, 50, 100 or "
                      "infinite (0) uses.", NULL, NULL);
    case INVITE_FIND_RETURN_EXISTING:
    case INVITE_FIND_CREATE:
        break;
    }
    *status = 500;
    return invite_json_plain_error(p, "Internal error");
}
