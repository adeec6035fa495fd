/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_handle_validate.c - POST /api/v1/validateInviteToken
 * (docs/api.md#validate-invite-token): no login; one statement; always
 * 200 {"valid":..,"success":true} except for a body that fails the schema.
 */
#include <apr_strings.h>
#include <http_protocol.h>

#include "handle.h"
#include "mod_invite_db.h"
#include "mod_invite_http.h"
#include "mod_invite_ratelimit.h"
#include "invite_core.h"
#include "invite_sql.h"
#include "invite_use.h"

/* Whether the token names a live invite whose room exists. */
static invite_db_rc_e token_is_valid(request_rec *r, const char *token,
                                     int *valid)
{
    invite_token_facts_t f = { 0 };
    apr_array_header_t *rows;
    invite_db_t *db;
    invite_db_rc_e rc;
    int ncols;

    *valid = 0;
    if (!*token) {
        return INVITE_DB_OK;   /* no statement for an empty token */
    }
    db = invite_db_acquire(r);
    if (!db) {
        return invite_db_unacquired(r);
    }
    rc = invite_db_select(db, INVITE_STMT_VALIDATE, 1, &token, &rows, &ncols);
    if (rc != INVITE_DB_OK) {
        return rc;
    }
    if (rows->nelts > 0 && ncols >= INVITE_VALIDATE_COL_COUNT) {
        const char **col = APR_ARRAY_IDX(rows, 0, const char **);
        f.invite_found = 1;
        f.room_found = invite_db_flag(col[INVITE_VALIDATE_COL_ROOM]);
        f.has_expires = col[INVITE_VALIDATE_COL_EXPIRES] != NULL;
        f.expires = f.has_expires
                    ? apr_atoi64(col[INVITE_VALIDATE_COL_EXPIRES]) : 0;
        f.uses = apr_atoi64(col[INVITE_VALIDATE_COL_USES]);
        f.max_uses = apr_atoi64(col[INVITE_VALIDATE_COL_MAX_USES]);
    }
    *valid = invite_token_check(token, &f, invite_time_now_ms())
             == INVITE_TOKEN_VALID;
    return INVITE_DB_OK;
}

int invite_handle_validate(request_rec *r, const invite_dir_cfg_t *cfg)
{
    const char *schema_error, *token;
    invite_db_rc_e rc;
    json_t *params;
    int done, valid;

    if (invite_read_params(r, cfg, &invite_token_body_schema, &params,
                           &schema_error, &done)) {
        return done;
    }
    token = schema_error ? NULL
            : apr_pstrdup(r->pool,
                          json_string_value(json_object_get(params, "token")));
    json_decref(params);
    if (schema_error) {
        return invite_http_send_json(r, HTTP_BAD_REQUEST,
            invite_json_invalid_params(r->pool, schema_error));
    }
    /* No login, so nobody is exempt. */
    if (invite_ratelimit_check(r, cfg, "validateInviteToken", 0, &done)) {
        return done;
    }
    rc = token_is_valid(r, token, &valid);
    return rc == INVITE_DB_OK
           ? invite_http_send_json(r, HTTP_OK, invite_json_valid(r->pool, valid))
           : invite_http_db_failure(r, rc);
}
