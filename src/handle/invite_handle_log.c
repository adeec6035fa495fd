/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_handle_log.c - why a request was refused, for operators, at
 * LogLevel debug (INVLOGNO 00701-00749): a missing credential header, a
 * failed authentication (no such user, no token matches, token expired),
 * a missing permission, an invalid room, a body that was not read, a
 * use that another request's committed use or join made void.
 *
 * Each function returns at once unless debug is on for the request's
 * module log level (per <Location> with LogLevel invite:debug), before
 * any allocation or database work, so that the refusals cost nothing
 * more than before when it is off.  Client-supplied strings are escaped;
 * no token, and no hash of one, is ever logged.
 */
#include <apr_strings.h>
#include <http_protocol.h>

#include "handle.h"
#include "mod_invite_config.h"
#include "mod_invite_db.h"
#include "invite_core.h"
#include "invite_sql.h"

#define DEBUG_ON(r) APLOG_R_IS_LEVEL(r, APLOG_DEBUG)

static const char *esc(request_rec *r, const char *s)
{
    return ap_escape_logitem(r->pool, s ? s : "");
}

void invite_log_missing_credentials(request_rec *r, const char *user_id)
{
    if (!DEBUG_ON(r)) {
        return;
    }
    if (!user_id) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, INVLOGNO(00702)
                      "authentication failure for \"%s\": no X-User-Id "
                      "header", esc(r, r->uri));
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, INVLOGNO(00702)
                      "user %s: authentication failure for \"%s\": no "
                      "X-Auth-Token header", esc(r, user_id), esc(r, r->uri));
    }
}

/* The reason, from INVITE_STMT_AUTH_FAILURE's rows: whether the user
 * exists, and which of their tokens, expired or not, matches. */
static const char *auth_failure_reason(invite_db_t *db,
                                       const invite_dir_cfg_t *cfg,
                                       const char *user_id,
                                       const char *token_hash)
{
    request_rec *r = db->r;
    const char *args[2] = { user_id, user_id };
    apr_array_header_t *rows;
    invite_ms_t now = invite_time_now_ms(), cutoff;
    int ncols, i, ntokens = 0;

    if (invite_db_select(db, INVITE_STMT_AUTH_FAILURE, 2, args, &rows,
                         &ncols) != INVITE_DB_OK
        || rows->nelts < 1 || ncols < INVITE_AUTH_FAILURE_COL_COUNT) {
        return "no login token matches (the database could not say more)";
    }
    if (!invite_db_flag(APR_ARRAY_IDX(rows, 0, const char **)
                        [INVITE_AUTH_FAILURE_COL_USER])) {
        return "no such user";
    }
    cutoff = apr_atoi64(invite_config_login_cutoff(r->pool, cfg, now));
    for (i = 0; i < rows->nelts; i++) {
        const char **col = APR_ARRAY_IDX(rows, i, const char **);
        const char *created = col[INVITE_AUTH_FAILURE_COL_CREATED_AT];

        if (!col[INVITE_AUTH_FAILURE_COL_HASH]) {
            continue;
        }
        ntokens++;
        if (!invite_token_hash_in_list(token_hash,
                                       col[INVITE_AUTH_FAILURE_COL_HASH])) {
            continue;
        }
        if (created && apr_atoi64(created) < cutoff) {
            return apr_psprintf(r->pool, "login token expired: created %"
                                APR_INT64_T_FMT " days ago, "
                                "InviteLoginExpiration is %" APR_INT64_T_FMT
                                " days",
                                (apr_int64_t)((now - apr_atoi64(created))
                                              / INVITE_MS_PER_DAY),
                                (apr_int64_t)((now - cutoff)
                                              / INVITE_MS_PER_DAY));
        }
        return "the matching login token was stored after the check";
    }
    return ntokens == 0
           ? "the user has no login token"
           : apr_psprintf(r->pool, "no login token matches (the user has %d)",
                          ntokens);
}

void invite_log_auth_failure(invite_db_t *db, const invite_dir_cfg_t *cfg,
                             const char *user_id, const char *token_hash)
{
    request_rec *r;

    if (!db || !DEBUG_ON(db->r)) {
        return;
    }
    r = db->r;
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, INVLOGNO(00701)
                  "user %s: authentication failure for \"%s\": %s",
                  esc(r, user_id), esc(r, r->uri),
                  auth_failure_reason(db, cfg, user_id, token_hash));
}

void invite_log_not_permitted(request_rec *r, const char *user_id,
                              const char *rid)
{
    if (!DEBUG_ON(r)) {
        return;
    }
    if (rid) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, INVLOGNO(00703)
                      "user %s: not_authorized for \"%s\": permission "
                      "create-invite-links missing for room %s (neither a "
                      "global role nor a role in the room holds it)",
                      esc(r, user_id), esc(r, r->uri), esc(r, rid));
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, INVLOGNO(00704)
                      "user %s: not_authorized for \"%s\": permission "
                      "create-invite-links missing (no global role holds "
                      "it)", esc(r, user_id), esc(r, r->uri));
    }
}

void invite_log_invalid_room(request_rec *r, const char *user_id,
                             const char *rid, int subscribed, int room_exists)
{
    if (!DEBUG_ON(r)) {
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, INVLOGNO(00705)
                  "user %s: error-invalid-room for \"%s\": room %s %s",
                  esc(r, user_id), esc(r, r->uri), esc(r, rid),
                  !room_exists ? "does not exist"
                  : !subscribed ? "exists but the user is not subscribed to it"
                  : "is invalid");
}

void invite_log_body_ignored(request_rec *r, const char *content_type,
                             apr_size_t len)
{
    const char *why;

    if (!DEBUG_ON(r)) {
        return;
    }
    switch (invite_body_kind(content_type)) {
    case INVITE_BODY_JSON:
    case INVITE_BODY_FORM:
        return;
    case INVITE_BODY_NO_TYPE:
        why = "the request has no Content-Type";
        break;
    case INVITE_BODY_MULTIPART:
        why = "multipart/form-data is not read by this route";
        break;
    default:
        why = apr_pstrcat(r->pool, "Content-Type \"",
                          esc(r, content_type), "\" is neither "
                          "application/json nor "
                          "application/x-www-form-urlencoded", NULL);
        break;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, INVLOGNO(00706)
                  "request body (%" APR_SIZE_T_FMT " bytes) for \"%s\" not "
                  "read as parameters, as Rocket.Chat ignores it: %s",
                  len, esc(r, r->uri), why);
}

void invite_log_use_not_counted(request_rec *r, const char *user_id,
                                const char *rid)
{
    if (!DEBUG_ON(r)) {
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, INVLOGNO(00707)
                  "user %s: useInviteToken counted no use of the invite to "
                  "room %s: another request used it up or joined the user "
                  "since its facts were read (or it expired); answering "
                  "from the facts as they are now", esc(r, user_id),
                  esc(r, rid));
}
