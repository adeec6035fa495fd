/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_handle_common.c - what several endpoint handlers share: the
 * caller's authentication, the body's parameters and row decoding.
 */
#include <apr_strings.h>
#include <http_protocol.h>

#include "handle.h"
#include "mod_invite_config.h"
#include "mod_invite_db.h"
#include "mod_invite_http.h"
#include "mod_invite_ratelimit.h"
#include "invite_core.h"
#include "invite_sql.h"

void invite_record_from_row(const char **col, invite_record_t *inv)
{
    inv->id = col[INVITE_COL_ID];
    inv->days = apr_atoi64(col[INVITE_COL_DAYS]);
    inv->max_uses = apr_atoi64(col[INVITE_COL_MAX_USES]);
    inv->rid = col[INVITE_COL_RID];
    inv->user_id = col[INVITE_COL_USER_ID];
    inv->created_at = apr_atoi64(col[INVITE_COL_CREATED_AT]);
    inv->has_expires = col[INVITE_COL_EXPIRES] != NULL;
    inv->expires = inv->has_expires ? apr_atoi64(col[INVITE_COL_EXPIRES]) : 0;
    inv->uses = apr_atoi64(col[INVITE_COL_USES]);
    inv->updated_at = apr_atoi64(col[INVITE_COL_UPDATED_AT]);
}

int invite_credentials(request_rec *r, const char **user_id,
                       const char **token_hash, int *done)
{
    const char *token = invite_http_header(r, "X-Auth-Token");

    *user_id = invite_http_header(r, "X-User-Id");
    if (!*user_id || !token) {
        /* Answered before any body is read, so that a client without
         * credentials cannot hold a worker by sending it slowly; the
         * unread body ends the connection rather than being drained. */
        invite_http_refuse_body(r);
        invite_log_missing_credentials(r, *user_id);
        *done = invite_http_send_json(r, HTTP_UNAUTHORIZED,
                                      INVITE_JSON_UNAUTHORIZED);
        return 1;
    }
    *token_hash = invite_token_hash(r->pool, token);
    return 0;
}

int invite_read_params(request_rec *r, const invite_dir_cfg_t *cfg,
                       const invite_schema_t *schema, json_t **params,
                       const char **schema_error, int *done)
{
    const char *body = NULL, *type;
    apr_size_t len = 0;

    if (invite_http_read_body(r, invite_config_max_body(cfg), &body, &len,
                              done) != APR_SUCCESS) {
        return 1;
    }
    type = apr_table_get(r->headers_in, "Content-Type");
    invite_log_body_ignored(r, type, len);
    *params = invite_body_parse(type, body, len);
    *schema_error = invite_schema_validate(r->pool, schema, *params);
    return 0;
}

const char **invite_select_row(invite_db_t *db, invite_stmt_e stmt, int nargs,
                               const char **args, int min_cols, int *done)
{
    request_rec *r = db->r;
    apr_array_header_t *rows;
    int ncols;
    invite_db_rc_e rc = invite_db_select(db, stmt, nargs, args, &rows,
                                         &ncols);

    if (rc != INVITE_DB_OK) {
        *done = invite_http_db_failure(r, rc);
        return NULL;
    }
    if (rows->nelts != 1 || ncols < min_cols) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, INVLOGNO(00204)
                      "%s returned %d rows of %d columns",
                      db->engine->statements[stmt].label, rows->nelts, ncols);
        *done = invite_http_internal_error(r);
        return NULL;
    }
    return APR_ARRAY_IDX(rows, 0, const char **);
}

int invite_authenticate(request_rec *r, const invite_dir_cfg_t *cfg,
                        invite_db_t **db, invite_caller_t *caller, int *done)
{
    const char *token_hash;

    if (invite_credentials(r, &caller->user_id, &token_hash, done)) {
        return 1;
    }
    /* These routes take no body, and the caller is not known yet: an
     * unread body ends the connection rather than being drained. */
    invite_http_refuse_body(r);
    return invite_check_login(r, cfg, INVITE_STMT_AUTH, token_hash, db,
                              caller, done);
}

int invite_check_login(request_rec *r, const invite_dir_cfg_t *cfg,
                       invite_stmt_e stmt, const char *token_hash,
                       invite_db_t **db, invite_caller_t *caller, int *done)
{
    const char *args[4], **row;

    *db = invite_db_acquire(r);
    if (!*db) {
        *done = invite_http_db_failure(r, invite_db_unacquired(r));
        return 1;
    }
    args[0] = args[2] = args[3] = caller->user_id;
    args[1] = invite_config_login_cutoff(r->pool, cfg, invite_time_now_ms());
    row = invite_select_row(*db, stmt, 4, args, INVITE_AUTH_COL_COUNT, done);
    if (!row) {
        return 1;
    }
    if (!invite_token_hash_in_list(token_hash,
                                   row[INVITE_AUTH_COL_TOKEN_HASHES])) {
        invite_log_auth_failure(*db, cfg, caller->user_id, token_hash);
        *done = invite_http_send_json(r, HTTP_UNAUTHORIZED,
                                      INVITE_JSON_UNAUTHORIZED);
        return 1;
    }
    caller->granted = invite_db_flag(row[INVITE_AUTH_COL_GRANTED]);
    caller->rate_limit_exempt = invite_db_flag(row[INVITE_AUTH_COL_BYPASS]);
    return 0;
}

int invite_authorize_admin(request_rec *r, const invite_dir_cfg_t *cfg,
                           const char *route, invite_db_t **db, int *done)
{
    invite_caller_t caller;

    if (invite_authenticate(r, cfg, db, &caller, done)
        || invite_ratelimit_check(r, cfg, route, caller.rate_limit_exempt,
                                  done)) {
        return 1;
    }
    if (!caller.granted) {
        int status;
        /* 403 error-forbidden from Rocket.Chat 9.0 */
        const char *body = invite_json_refusal(
            r->pool, invite_config_rc_version(cfg), "not_authorized", NULL,
            NULL, NULL, &status);

        invite_log_not_permitted(r, caller.user_id, NULL);
        *done = invite_http_send_json(r, status, body);
        return 1;
    }
    return 0;
}
