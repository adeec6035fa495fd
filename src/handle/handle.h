/* SPDX-License-Identifier: Apache-2.0 */
/*
 * handle.h - the routes of src/handle/ and the steps they share: the
 * caller's authentication, the body's parameters and row decoding
 * (invite_handle_common.c), and why a request was refused, for operators
 * (invite_handle_log.c).  Only mod_invite.c, which dispatches to the
 * routes, and the files of src/handle/ include it: the glue below never
 * calls up into a route (src/mod_invite_private.h, the layers).
 */
#ifndef INVITE_HANDLE_H
#define INVITE_HANDLE_H

#include "mod_invite_private.h"
#include "mod_invite_db.h"
#include "invite_core.h"

/* ------------------------------------------------------------ the routes */

typedef int (*invite_endpoint_fn)(request_rec *r, const invite_dir_cfg_t *cfg);

int invite_handle_find_or_create(request_rec *r, const invite_dir_cfg_t *cfg);
int invite_handle_list(request_rec *r, const invite_dir_cfg_t *cfg);
int invite_handle_remove(request_rec *r, const invite_dir_cfg_t *cfg);
int invite_handle_use(request_rec *r, const invite_dir_cfg_t *cfg);
int invite_handle_validate(request_rec *r, const invite_dir_cfg_t *cfg);
int invite_handle_send_email(request_rec *r, const invite_dir_cfg_t *cfg);

/* ------------------------------ shared steps: invite_handle_common.c */

/* An invite block of a result row (INVITE_COL_* from `col`). */
void invite_record_from_row(const char **col, invite_record_t *inv);

/* The caller's X-User-Id and the hash of its X-Auth-Token.  Returns 0,
 * or 1 after answering 401 when either header is missing or empty (the
 * handler's return value in *done).  The token is hashed before any
 * lookup, so that an unknown user and a wrong token cost the same. */
int invite_credentials(request_rec *r, const char **user_id,
                       const char **token_hash, int *done);

/* Reads the request body and parses it as Rocket.Chat's router does;
 * *params is the body validated and coerced against `schema` (the caller
 * owns the reference), *schema_error NULL or ajv's message.  Returns 0,
 * or 1 when reading failed and it has answered (*done). */
int invite_read_params(request_rec *r, const invite_dir_cfg_t *cfg,
                       const invite_schema_t *schema, json_t **params,
                       const char **schema_error, int *done);

/* Runs a statement that answers exactly one row (INVITE_STMT_AUTH,
 * INVITE_STMT_USE_FACTS) and returns it, with at least `min_cols`
 * columns; NULL after answering 503 or 500 (logged), with the handler's
 * return value in *done. */
const char **invite_select_row(invite_db_t *db, invite_stmt_e stmt, int nargs,
                               const char **args, int min_cols, int *done);

/* An authenticated caller of listInvites, removeInvite or
 * sendInvitationEmail. */
typedef struct {
    const char *user_id;
    int granted;             /* the route's permission (create-invite-links,
                              * bulk-register-user) through global roles */
    int rate_limit_exempt;   /* api-bypass-rate-limit */
} invite_caller_t;

/* Authenticates the caller (X-User-Id, X-Auth-Token) with
 * INVITE_STMT_AUTH and fills *db and *caller.  Returns 0 to go on, or 1
 * when it has answered (401, 503, 500), leaving the handler's return
 * value in *done. */
int invite_authenticate(request_rec *r, const invite_dir_cfg_t *cfg,
                        invite_db_t **db, invite_caller_t *caller, int *done);
/* The login of a caller whose credentials invite_credentials() read:
 * statement `stmt` (INVITE_STMT_AUTH, or INVITE_STMT_AUTH_MAIL for the
 * grant of bulk-register-user) checks the token and fills *caller's grant
 * and bypass.  Returns as invite_authenticate(). */
int invite_check_login(request_rec *r, const invite_dir_cfg_t *cfg,
                       invite_stmt_e stmt, const char *token_hash,
                       invite_db_t **db, invite_caller_t *caller, int *done);

/* The first steps of the admin routes: authentication, the rate limit of
 * `route`, then the global create-invite-links permission (400
 * not_authorized).  Returns 0 to go on with *db, or 1 with *done. */
int invite_authorize_admin(request_rec *r, const invite_dir_cfg_t *cfg,
                           const char *route, invite_db_t **db, int *done);

/* ------------------------- operator debug logs: invite_handle_log.c */

/* Why a request was refused, at LogLevel debug for the module (INVLOGNO
 * 007xx); each returns at once, before any allocation, when debug is off
 * for r.  The user id and the request path are named, never a token or
 * its hash. */
void invite_log_missing_credentials(request_rec *r, const char *user_id);
/* 401 with both headers: no such user, no token matches, or the token
 * expired (InviteLoginExpiration); runs INVITE_STMT_AUTH_FAILURE on db
 * (only when debug is on).  NULL-safe. */
void invite_log_auth_failure(invite_db_t *db, const invite_dir_cfg_t *cfg,
                             const char *user_id, const char *token_hash);
/* not_authorized: create-invite-links missing for the room (rid), or
 * from the global roles (rid NULL: listInvites, removeInvite). */
void invite_log_not_permitted(request_rec *r, const char *user_id,
                              const char *rid);
void invite_log_invalid_room(request_rec *r, const char *user_id,
                             const char *rid, int subscribed, int room_exists);
/* A body whose Content-Type makes Rocket.Chat ignore it. */
void invite_log_body_ignored(request_rec *r, const char *content_type,
                             apr_size_t len);
/* useInviteToken: the facts said "join", but the write that re-checks
 * them counted no use (the invite died or the user joined meanwhile). */
void invite_log_use_not_counted(request_rec *r, const char *user_id,
                                const char *rid);

#endif
