/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_use.c - validateInviteToken's checks and useInviteToken's check
 * order (docs/api.md#use-invite-token, #validate-invite-token), decided in
 * one place from the facts of the lookup statement.
 */
#include <apr_strings.h>

#include "invite_use.h"

static const invite_field_t token_fields[] = {
    { "token", INVITE_FIELD_STRING },
};
const invite_schema_t invite_token_body_schema = { token_fields, 1 };

invite_token_check_e invite_token_check(const char *token,
                                        const invite_token_facts_t *f,
                                        invite_ms_t now)
{
    if (!token || !*token || !f->invite_found) {
        return INVITE_TOKEN_INVALID;
    }
    if (!f->room_found) {
        return INVITE_TOKEN_INVALID_ROOM;
    }
    /* Inclusive: an invite is dead at its `expires` millisecond. */
    if (f->has_expires && f->expires <= now) {
        return INVITE_TOKEN_EXPIRED;
    }
    if (f->max_uses > 0 && f->uses >= f->max_uses) {
        return INVITE_TOKEN_USED_UP;
    }
    return INVITE_TOKEN_VALID;
}

invite_use_outcome_e invite_use_decide(const invite_use_facts_t *f)
{
    if (!f->authenticated) {
        return INVITE_USE_UNAUTHORIZED;
    }
    if (f->schema_error) {
        return INVITE_USE_INVALID_PARAMS;
    }
    if (!f->token || !*f->token) {
        return INVITE_USE_TOKEN_REQUIRED;
    }
    switch (invite_token_check(f->token, &f->invite, f->now)) {
    case INVITE_TOKEN_INVALID:
        return INVITE_USE_INVALID_TOKEN;
    case INVITE_TOKEN_INVALID_ROOM:
        return INVITE_USE_INVALID_ROOM;
    case INVITE_TOKEN_EXPIRED:
        return INVITE_USE_EXPIRED;
    case INVITE_TOKEN_USED_UP:
        return INVITE_USE_USED_UP;
    case INVITE_TOKEN_VALID:
        break;
    }
    switch (invite_room_type_class(f->room_type ? f->room_type : "")) {
    case INVITE_ROOM_TYPE_UNKNOWN:
        return INVITE_USE_ROOM_TYPE_NOT_FOUND;
    case INVITE_ROOM_TYPE_NO_INVITE:
        return INVITE_USE_ROOM_TYPE_NOT_ALLOWED;
    case INVITE_ROOM_TYPE_INVITE:
        break;
    }
    /* Rocket.Chat 8.4.0 (#39840) refuses a banned member after the room
     * type and before anything is written (docs/api.md#use-invite-token). */
    if (f->banned) {
        return INVITE_USE_BANNED;
    }
    /* Rocket.Chat counts a use only for a user without a subscription. */
    return f->subscribed ? INVITE_USE_MEMBER : INVITE_USE_JOIN;
}

/* validateInviteToken's errors, as useInviteToken passes them on. */
static const char *validate_error(apr_pool_t *p, const char *error,
                                  const char *reason, const char *field)
{
    return invite_json_meteor_error(p, error, reason, "validateInviteToken",
                                    field);
}

#define INVALID "The invite token is invalid."
#define EXPIRED "The invite token has expired."

const char *invite_use_error_body(apr_pool_t *p, invite_use_outcome_e o,
                                  const invite_use_facts_t *f, int *status)
{
    *status = 400;
    switch (o) {
    case INVITE_USE_UNAUTHORIZED:
        *status = 401;
        return INVITE_JSON_UNAUTHORIZED;
    case INVITE_USE_INVALID_PARAMS:
        return invite_json_invalid_params(p, f->schema_error);
    case INVITE_USE_TOKEN_REQUIRED:
        return invite_json_meteor_error(p, "error-invalid-token", INVALID,
                                        "useInviteToken", "token");
    case INVITE_USE_INVALID_TOKEN:
        return validate_error(p, "error-invalid-token", INVALID, "token");
    case INVITE_USE_INVALID_ROOM:
        return validate_error(p, "error-invalid-room", INVALID, "rid");
    case INVITE_USE_EXPIRED:
        return validate_error(p, "error-invite-expired", EXPIRED, "expires");
    case INVITE_USE_USED_UP:
        return validate_error(p, "error-invite-expired", EXPIRED, "maxUses");
    case INVITE_USE_ROOM_TYPE_NOT_ALLOWED:
        return invite_json_meteor_error(p, "error-room-type-not-allowed",
                                        "Can't join room of this type via "
                                        "invite", "useInviteToken", "token");
    case INVITE_USE_ROOM_TYPE_NOT_FOUND:
        /* A room without a type (impossible in the schema) reads as
         * JavaScript would print it. */
        return invite_json_plain_error(p, apr_psprintf(p,
                   "Room type %s not found",
                   f->room_type ? f->room_type : "undefined"));
    case INVITE_USE_BANNED:
        return invite_json_meteor_error(p, "error-user-is-banned",
                                        "User is banned from this room",
                                        "useInviteToken", NULL);
    case INVITE_USE_MEMBER:
    case INVITE_USE_JOIN:
        break;
    }
    *status = 500;
    return invite_json_plain_error(p, "Internal error");
}
