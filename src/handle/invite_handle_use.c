/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_handle_use.c - POST /api/v1/useInviteToken
 * (docs/api.md#use-invite-token): joins the caller to the invite's room
 * and counts one use for a newcomer.
 *
 * One statement reads every fact (INVITE_STMT_USE_FACTS) and
 * invite_use_decide() applies Rocket.Chat's check order.  A newcomer then
 * writes once: pgsql checks, subscribes and counts in one statement;
 * sqlite3 counts and subscribes in one short transaction under the
 * host's writer lock.  Either way the database re-checks the invite as
 * it counts, so concurrent newcomers never push uses past maxUses: the
 * write that finds the invite dead counts nothing, and the facts are read
 * again to give that caller the answer it now deserves.
 *
 * A newcomer the write subscribes is also recorded in join_outbox, in the
 * same statement (pgsql) or transaction (sqlite3), for invite-sync to
 * hand the join to Rocket.Chat (InviteJoinOutbox, default On): a join
 * never commits without its outbox row, and a failed outbox write rolls
 * the join back like any failed write.
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
#include "invite_use.h"

typedef struct {
    request_rec *r;
    invite_db_t *db;
    const char *user_id;
    const char *token_hash;
    const char *login_cutoff;   /* InviteLoginExpiration, as an argument */
    int rate_limit_exempt;
    int join_outbox;            /* InviteJoinOutbox */
    invite_use_facts_t facts;
    invite_room_t room;
} use_request_t;

/* Reads the facts of q->facts.token (whatever the body said, "" matches
 * no invite) for the caller.  Returns 0 or 1 with *done, as handlers do. */
static int read_facts(use_request_t *q, int *done)
{
    const char *token = q->facts.token ? q->facts.token : "";
    const char *args[6] = { q->user_id, q->login_cutoff, q->user_id,
                            q->user_id, q->user_id, token };
    invite_use_facts_t *f = &q->facts;
    const char **col = invite_select_row(q->db, INVITE_STMT_USE_FACTS, 6,
                                         args, INVITE_USE_COL_COUNT, done);
    apr_int64_t membership;

    if (!col) {
        return 1;
    }
    f->authenticated = invite_token_hash_in_list(
        q->token_hash, col[INVITE_USE_COL_TOKEN_HASHES]);
    q->rate_limit_exempt = invite_db_flag(col[INVITE_USE_COL_BYPASS]);
    /* 0: no subscription, 1: a member, 2: a banned member */
    membership = col[INVITE_USE_COL_SUBSCRIBED]
                 ? apr_atoi64(col[INVITE_USE_COL_SUBSCRIBED]) : 0;
    f->subscribed = membership != 0;
    f->banned = membership == 2;
    f->invite.invite_found = col[INVITE_USE_COL_INVITE_ID] != NULL;
    f->invite.room_found = col[INVITE_USE_COL_ROOM_ID] != NULL;
    f->invite.has_expires = col[INVITE_USE_COL_EXPIRES] != NULL;
    f->invite.expires = f->invite.has_expires
                        ? apr_atoi64(col[INVITE_USE_COL_EXPIRES]) : 0;
    f->invite.uses = f->invite.invite_found
                     ? apr_atoi64(col[INVITE_USE_COL_USES]) : 0;
    f->invite.max_uses = f->invite.invite_found
                         ? apr_atoi64(col[INVITE_USE_COL_MAX_USES]) : 0;
    f->room_type = col[INVITE_USE_COL_ROOM_TYPE];
    f->now = invite_time_now_ms();
    q->room.rid = col[INVITE_USE_COL_RID];
    q->room.prid = col[INVITE_USE_COL_ROOM_PRID];
    q->room.fname = col[INVITE_USE_COL_ROOM_FNAME];
    q->room.name = col[INVITE_USE_COL_ROOM_NAME];
    q->room.t = col[INVITE_USE_COL_ROOM_TYPE];
    return 0;
}

/* pgsql: one statement checks, subscribes, counts and writes the
 * outbox row. */
static invite_db_rc_e pgsql_join(use_request_t *q, int *counted)
{
    const char *now = invite_db_int_arg(q->r->pool, invite_time_now_ms());
    const char *args[INVITE_USE_PGSQL_ARGS] = {
        q->facts.token, now, q->user_id, q->user_id, now, q->user_id,
        q->user_id, now, now, q->join_outbox ? "1" : "0"
    };
    apr_array_header_t *rows;
    int ncols;
    invite_db_rc_e rc = invite_db_select(q->db, INVITE_STMT_USE,
                                         INVITE_USE_PGSQL_ARGS, args, &rows,
                                         &ncols);
    *counted = 0;
    if (rc == INVITE_DB_OK && rows->nelts == 1 && ncols >= 2) {
        *counted = invite_db_flag(APR_ARRAY_IDX(rows, 0, const char **)[1]);
    }
    return rc;
}

/* sqlite3: count, then subscribe, then the outbox row of a user it
 * subscribed, in one transaction. */
static invite_db_rc_e sqlite_join(use_request_t *q, int *counted)
{
    const char *now = invite_db_int_arg(q->r->pool, invite_time_now_ms());
    const char *count_args[INVITE_USE_SQLITE_ARGS] = {
        now, q->facts.token, now, q->user_id
    };
    const char *join_args[INVITE_USE_JOIN_ARGS] = {
        q->user_id, q->facts.token, q->user_id
    };
    const char *outbox_args[INVITE_USE_OUTBOX_ARGS] = {
        q->user_id, q->room.rid, now, now
    };
    int nrows = 0;
    invite_db_rc_e rc = invite_db_begin(q->db), end;

    *counted = 0;
    if (rc != INVITE_DB_OK) {
        return rc;
    }
    rc = invite_db_query(q->db, INVITE_STMT_USE, INVITE_USE_SQLITE_ARGS,
                         count_args, &nrows);
    *counted = rc == INVITE_DB_OK && nrows == 1;
    if (*counted) {
        rc = invite_db_query(q->db, INVITE_STMT_USE_JOIN,
                             INVITE_USE_JOIN_ARGS, join_args, &nrows);
    }
    /* nrows 0: no username yet, counted but not subscribed. */
    if (*counted && rc == INVITE_DB_OK && nrows == 1 && q->join_outbox) {
        rc = invite_db_query(q->db, INVITE_STMT_USE_OUTBOX,
                             INVITE_USE_OUTBOX_ARGS, outbox_args, &nrows);
    }
    end = invite_db_end(q->db, rc == INVITE_DB_OK && *counted);
    if (rc == INVITE_DB_OK) {
        rc = end;
    }
    if (rc != INVITE_DB_OK) {
        *counted = 0;
    }
    return rc;
}

int invite_handle_use(request_rec *r, const invite_dir_cfg_t *cfg)
{
    use_request_t q = { 0 };
    const char *body;
    invite_use_outcome_e outcome;
    json_t *params;
    int done, status, counted = 0;

    q.r = r;
    q.join_outbox = invite_config_join_outbox(cfg);
    if (invite_credentials(r, &q.user_id, &q.token_hash, &done)
        || invite_read_params(r, cfg, &invite_token_body_schema, &params,
                              &q.facts.schema_error, &done)) {
        return done;
    }
    q.login_cutoff = invite_config_login_cutoff(r->pool, cfg,
                                                invite_time_now_ms());
    q.facts.token = q.facts.schema_error ? ""
        : apr_pstrdup(r->pool,
                      json_string_value(json_object_get(params, "token")));
    json_decref(params);

    q.db = invite_db_acquire(r);
    if (!q.db) {
        return invite_http_db_failure(r, invite_db_unacquired(r));
    }
    if (read_facts(&q, &done)) {
        return done;
    }
    if (q.facts.authenticated && !q.facts.schema_error
        && invite_ratelimit_check(r, cfg, "useInviteToken",
                                  q.rate_limit_exempt, &done)) {
        return done;
    }
    outcome = invite_use_decide(&q.facts);
    if (outcome == INVITE_USE_JOIN) {
        invite_db_rc_e rc = q.db->engine->id == INVITE_ENGINE_PGSQL
                            ? pgsql_join(&q, &counted)
                            : sqlite_join(&q, &counted);
        if (rc != INVITE_DB_OK) {
            return invite_http_db_failure(r, rc);
        }
        if (!counted) {
            /* The invite died (or the caller joined) meanwhile: answer
             * from what holds now, without writing again. */
            invite_log_use_not_counted(r, q.user_id, q.room.rid);
            if (read_facts(&q, &done)) {
                return done;
            }
            outcome = invite_use_decide(&q.facts);
            if (outcome == INVITE_USE_JOIN) {
                outcome = INVITE_USE_USED_UP;   /* it lost the race */
            }
        }
    }
    if (outcome == INVITE_USE_JOIN || outcome == INVITE_USE_MEMBER) {
        return invite_http_send_json(r, HTTP_OK,
                                     invite_json_use(r->pool, &q.room));
    }
    if (outcome == INVITE_USE_UNAUTHORIZED) {
        invite_log_auth_failure(q.db, cfg, q.user_id, q.token_hash);
    }
    body = invite_use_error_body(r->pool, outcome, &q.facts, &status);
    return invite_http_send_json(r, status, body);
}
