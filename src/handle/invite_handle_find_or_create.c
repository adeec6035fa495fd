/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_handle_find_or_create.c - POST /api/v1/findOrCreateInvite.
 *
 * The common case (a live invite exists) is one statement, one round trip:
 * INVITE_STMT_FIND answers authentication, permission, subscription, room
 * and existing invite together, and invite_find_decide() reports the first
 * failing check in Rocket.Chat's order.  Creation adds one statement on
 * PostgreSQL, one short transaction on SQLite (see src/invite_sql.c for
 * why neither can duplicate).
 *
 * Patched by bench/no-sql.patch, one-statement.patch, lookups.patch and
 * three-lookups.patch (bench/no-sql.sh, checked by make bench-smoke):
 * they replace gather()'s statement; a change there may need them made
 * again.
 */
#include <apr_strings.h>
#include <http_protocol.h>

#include "handle.h"
#include "mod_invite_config.h"
#include "mod_invite_db.h"
#include "mod_invite_http.h"
#include "mod_invite_ratelimit.h"
#include "mod_invite_status.h"
#include "invite_cache.h"
#include "invite_core.h"
#include "invite_find.h"

#define CREATE_ATTEMPTS 8

static const invite_field_t find_or_create_fields[] = {
    { "rid", INVITE_FIELD_STRING },
    { "days", INVITE_FIELD_INTEGER },
    { "maxUses", INVITE_FIELD_INTEGER },
};
static const invite_schema_t find_or_create_schema = {
    find_or_create_fields,
    sizeof(find_or_create_fields) / sizeof(find_or_create_fields[0])
};

typedef struct {
    request_rec *r;
    invite_db_t *db;
    const char *user_id;
    const char *rid;
    long long days;
    long long max_uses;
    const char *days_arg;       /* days and max_uses as bound arguments */
    const char *max_uses_arg;
    int rate_limit_exempt;      /* the caller holds api-bypass-rate-limit */
    int id_length;              /* InviteIdLength */
} find_request_t;

/* The invite this request creates, created now. */
static void new_invite(const find_request_t *q, const char *id,
                       invite_ms_t now, invite_record_t *inv)
{
    inv->id = id;
    inv->days = q->days;
    inv->max_uses = q->max_uses;
    inv->rid = q->rid;
    inv->user_id = q->user_id;
    inv->created_at = now;
    inv->has_expires = q->days != 0;
    inv->expires = inv->has_expires ? invite_time_add_days(now, (int)q->days)
                                    : 0;
    inv->uses = 0;
    /* Rocket.Chat stamps _updatedAt with a second clock reading. */
    inv->updated_at = invite_time_now_ms();
}

/* The slot holder, when it is live: the invite another request created
 * first.  *found says whether there was one. */
static invite_db_rc_e read_slot_holder(find_request_t *q, const char *now_s,
                                       invite_record_t *inv, int *found)
{
    const char *holder[] = { now_s, q->user_id, q->rid, q->days_arg,
                             q->max_uses_arg };
    apr_array_header_t *rows;
    int ncols;
    invite_db_rc_e rc = invite_db_select(q->db, INVITE_STMT_SLOT_HOLDER, 5,
                                         holder, &rows, &ncols);
    *found = 0;
    if (rc == INVITE_DB_OK && rows->nelts > 0) {
        const char **col = APR_ARRAY_IDX(rows, 0, const char **);
        if (invite_db_flag(col[INVITE_COL_COUNT])) {   /* the holder is live */
            invite_record_from_row(col, inv);
            *found = 1;
        }
    }
    return rc;
}

/* A new invite and the arguments of INVITE_STMT_CREATE for it: the
 * slot-release arguments, then the insert's (invite_sql.h). */
typedef struct {
    const char *args[INVITE_CREATE_RELEASE_ARGS + INVITE_CREATE_INSERT_ARGS];
    const char *now_s;
} create_args_t;

static invite_db_rc_e new_create_args(find_request_t *q, invite_record_t *inv,
                                      create_args_t *c)
{
    apr_pool_t *p = q->r->pool;
    invite_ms_t now = invite_time_now_ms();
    char *id = apr_palloc(p, q->id_length + 1);
    const char **insert = c->args + INVITE_CREATE_RELEASE_ARGS;

    if (invite_id_generate_len(id, q->id_length) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, INVLOGNO(00201)
                      "no random bytes for an invite id");
        return INVITE_DB_ERROR;
    }
    new_invite(q, id, now, inv);
    c->now_s = invite_db_int_arg(p, now);
    c->args[0] = q->user_id;
    c->args[1] = q->rid;
    c->args[2] = q->days_arg;
    c->args[3] = q->max_uses_arg;
    c->args[4] = c->now_s;
    insert[0] = id;
    insert[1] = q->days_arg;
    insert[2] = q->max_uses_arg;
    insert[3] = q->rid;
    insert[4] = q->user_id;
    insert[5] = c->now_s;
    insert[6] = inv->has_expires ? invite_db_int_arg(p, inv->expires) : NULL;
    insert[7] = invite_db_int_arg(p, inv->updated_at);
    return INVITE_DB_OK;
}

/* sqlite3's common case, when no invite holds the slot, dead or alive:
 * the insert alone, one autocommit statement under the writer lock.
 * *done is 0 when the slot (or, rarely, the id) was taken. */
static invite_db_rc_e sqlite_insert_alone(find_request_t *q,
                                          invite_record_t *inv, int *done)
{
    create_args_t c;
    int nrows = 0;
    invite_db_rc_e rc = new_create_args(q, inv, &c);

    *done = 0;
    if (rc == INVITE_DB_OK) {
        rc = invite_db_write_lock(q->db);
    }
    if (rc == INVITE_DB_OK) {
        rc = invite_db_query(q->db, INVITE_STMT_CREATE,
                             INVITE_CREATE_INSERT_ARGS,
                             c.args + INVITE_CREATE_RELEASE_ARGS, &nrows);
        invite_db_write_unlock(q->db);
    }
    *done = rc == INVITE_DB_OK && nrows == 1;
    if (*done) {
        invite_status_note_created(q->r);   /* autocommitted */
    }
    return rc;
}

/* Creates the invite, or returns the one a concurrent request created.
 * pgsql: one statement releases a dead holder's slot and inserts the new
 * invite holding it.  sqlite3: the insert alone when the slot is free,
 * else both steps as one short transaction under the host's writer lock. */
static invite_db_rc_e create_invite(find_request_t *q, invite_record_t *inv)
{
    int in_txn = q->db->engine->id == INVITE_ENGINE_SQLITE3;
    invite_db_rc_e rc = INVITE_DB_OK;
    int attempt, done = 0, inserted = 0;

    if (in_txn) {
        rc = sqlite_insert_alone(q, inv, &done);
        if (rc != INVITE_DB_OK || done) {
            return rc;
        }
        rc = invite_db_begin(q->db);
    }
    for (attempt = 0; rc == INVITE_DB_OK && !done && attempt < CREATE_ATTEMPTS;
         attempt++) {
        create_args_t c;
        int nrows = 0;

        rc = new_create_args(q, inv, &c);
        if (rc != INVITE_DB_OK) {
            break;
        }
        if (in_txn) {
            rc = invite_db_query(q->db, INVITE_STMT_RELEASE_SLOT,
                                 INVITE_CREATE_RELEASE_ARGS, c.args, &nrows);
            if (rc == INVITE_DB_OK) {
                rc = invite_db_query(q->db, INVITE_STMT_CREATE,
                                     INVITE_CREATE_INSERT_ARGS,
                                     c.args + INVITE_CREATE_RELEASE_ARGS,
                                     &nrows);
            }
        }
        else {
            rc = invite_db_query(q->db, INVITE_STMT_CREATE,
                                 INVITE_CREATE_RELEASE_ARGS
                                 + INVITE_CREATE_INSERT_ARGS, c.args, &nrows);
        }
        if (rc != INVITE_DB_OK || nrows == 1) {
            done = inserted = (rc == INVITE_DB_OK);
            break;
        }
        /* Someone holds the slot (or, rarely, the id was taken). */
        rc = read_slot_holder(q, c.now_s, inv, &done);
    }
    if (rc == INVITE_DB_OK && !done) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, INVLOGNO(00202)
                      "could not create an invite for room %s after %d "
                      "attempts", q->rid, CREATE_ATTEMPTS);
        rc = INVITE_DB_ERROR;
    }
    if (in_txn) {
        invite_db_rc_e end = invite_db_end(q->db, rc == INVITE_DB_OK);
        rc = rc != INVITE_DB_OK ? rc : end;
    }
    if (rc == INVITE_DB_OK && inserted) {
        invite_status_note_created(q->r);
    }
    return rc;
}

static int send_invite(request_rec *r, const invite_dir_cfg_t *cfg,
                       const invite_record_t *inv)
{
    invite_url_cfg_t url_cfg;
    const char *body;

    invite_config_url(r, cfg, &url_cfg);
    body = invite_json_invite(r->pool, inv,
                              invite_url_build(r->pool, &url_cfg, inv->id));
    return body ? invite_http_send_json(r, HTTP_OK, body)
                : invite_http_internal_error(r);
}

/* Fills the facts of an invite_find row and returns its invite block,
 * NULL when no live invite came back. */
static const char **facts_from_find(find_request_t *q, const char **row,
                                    const char *token_hash,
                                    invite_find_facts_t *facts)
{
    q->rate_limit_exempt = invite_db_flag(row[INVITE_FIND_COL_BYPASS]);
    facts->authenticated = invite_token_hash_in_list(
        token_hash, row[INVITE_FIND_COL_TOKEN_HASHES]);
    facts->granted = invite_db_flag(row[INVITE_FIND_COL_GRANTED]);
    facts->subscribed = invite_db_flag(row[INVITE_FIND_COL_SUBSCRIBED]);
    facts->room_type = row[INVITE_FIND_COL_ROOM_TYPE];
    return row[INVITE_FIND_COL_INVITE + INVITE_COL_ID]
           ? row + INVITE_FIND_COL_INVITE : NULL;
}

/* Remembers an authenticated caller's facts for InviteAuthCache. */
static void cache_facts(invite_auth_cache_t *cache, apr_interval_time_t ttl,
                        const find_request_t *q, const char *token_hash,
                        const invite_find_facts_t *facts)
{
    invite_auth_facts_t f;

    if (!cache || !facts->authenticated
        || (facts->room_type
            && strlen(facts->room_type) > INVITE_CACHE_ROOM_TYPE_MAX)) {
        return;
    }
    memset(&f, 0, sizeof(f));
    f.granted = facts->granted;
    f.subscribed = facts->subscribed;
    f.rate_limit_exempt = q->rate_limit_exempt;
    f.has_room = facts->room_type != NULL;
    if (f.has_room) {
        apr_cpystrn(f.room_type, facts->room_type, sizeof(f.room_type));
    }
    invite_auth_cache_put(cache, q->user_id, token_hash, q->rid,
                          apr_time_now() + ttl, &f);
}

/* The checks' facts and the live invite, if any: with InviteAuthCache and
 * a fresh entry, the facts come from the cache and only the invite from
 * the database (and not even that when a check fails); otherwise both
 * come from invite_find, one statement.  *invite is NULL when there is no
 * live invite or it was not needed.  Returns 0 to go on, or 1 when an
 * answer was sent, leaving the handler's return value in *done. */
static int gather(find_request_t *q, const invite_dir_cfg_t *cfg,
                  const char *token_hash, invite_find_facts_t *facts,
                  const char ***invite, int *done)
{
    request_rec *r = q->r;
    apr_interval_time_t ttl;
    invite_auth_cache_t *cache = invite_config_auth_cache(cfg, &ttl);
    invite_auth_facts_t cached;
    invite_ms_t now_ms = invite_time_now_ms();
    const char *now = invite_db_int_arg(r->pool, now_ms);
    const char *args[14], **row;
    apr_array_header_t *rows;
    invite_db_rc_e rc;
    int ncols, hit = cache && invite_auth_cache_get(cache, q->user_id,
                                                    token_hash, q->rid,
                                                    apr_time_now(), &cached);
    *invite = NULL;
    if (hit) {
        facts->authenticated = 1;
        facts->granted = cached.granted;
        facts->subscribed = cached.subscribed;
        q->rate_limit_exempt = cached.rate_limit_exempt;
        facts->room_type = cached.has_room
                           ? apr_pstrdup(r->pool, cached.room_type) : NULL;
        if (invite_find_decide(facts) != INVITE_FIND_CREATE) {
            return 0;   /* a failed check: no database work at all */
        }
        args[0] = q->user_id;
        args[1] = q->rid;
        args[2] = q->days_arg;
        args[3] = q->max_uses_arg;
        args[4] = now;
    }
    else {
        /* The argument order of FIND_SQL (src/invite_sql.c). */
        args[0] = args[2] = args[3] = args[5] = args[8] = args[9] = q->user_id;
        args[1] = invite_config_login_cutoff(r->pool, cfg, now_ms);
        args[4] = args[6] = args[7] = args[10] = q->rid;
        args[11] = q->days_arg;
        args[12] = q->max_uses_arg;
        args[13] = now;
    }

    q->db = invite_db_acquire(r);
    if (!q->db) {
        *done = invite_http_db_failure(r, invite_db_unacquired(r));
        return 1;
    }
    rc = hit ? invite_db_select(q->db, INVITE_STMT_FIND_INVITE, 5, args,
                                &rows, &ncols)
             : invite_db_select(q->db, INVITE_STMT_FIND, 14, args, &rows,
                                &ncols);
    if (rc != INVITE_DB_OK) {
        *done = invite_http_db_failure(r, rc);
        return 1;
    }
    if (hit) {
        if (rows->nelts > 0 && ncols >= INVITE_COL_COUNT) {
            *invite = APR_ARRAY_IDX(rows, 0, const char **);
        }
        return 0;
    }
    if (rows->nelts != 1 || ncols < INVITE_FIND_COL_INVITE + INVITE_COL_COUNT) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, INVLOGNO(00203)
                      "invite_find returned %d rows of %d columns",
                      rows->nelts, ncols);
        *done = invite_http_internal_error(r);
        return 1;
    }
    row = APR_ARRAY_IDX(rows, 0, const char **);
    *invite = facts_from_find(q, row, token_hash, facts);
    cache_facts(cache, ttl, q, token_hash, facts);
    return 0;
}

/* The debug log of a refusal an operator may need explained. */
static void log_refusal(const find_request_t *q, const invite_dir_cfg_t *cfg,
                        const char *token_hash,
                        const invite_find_facts_t *facts,
                        invite_find_outcome_e outcome)
{
    switch (outcome) {
    case INVITE_FIND_UNAUTHORIZED:
        invite_log_auth_failure(q->db, cfg, q->user_id, token_hash);
        break;
    case INVITE_FIND_NOT_AUTHORIZED:
        invite_log_not_permitted(q->r, q->user_id, q->rid);
        break;
    case INVITE_FIND_INVALID_ROOM:
        invite_log_invalid_room(q->r, q->user_id, q->rid, facts->subscribed,
                                facts->room_type != NULL);
        break;
    default:
        break;
    }
}

int invite_handle_find_or_create(request_rec *r, const invite_dir_cfg_t *cfg)
{
    invite_find_facts_t facts = { 0 };
    find_request_t q = { 0 };
    const char *body, *token_hash, **invite;
    invite_record_t inv;
    invite_db_rc_e rc;
    json_t *params;
    int done, status;
    invite_find_outcome_e outcome;

    q.r = r;
    q.id_length = invite_config_id_length(cfg);
    facts.rc_version = invite_config_rc_version(cfg);
    if (invite_credentials(r, &q.user_id, &token_hash, &done)
        || invite_read_params(r, cfg, &find_or_create_schema, &params,
                              &facts.schema_error, &done)) {
        return done;
    }
    q.rid = "";
    q.days = q.max_uses = -1;   /* matches no invite */
    if (!facts.schema_error) {
        q.rid = apr_pstrdup(r->pool,
                            json_string_value(json_object_get(params, "rid")));
        facts.days = json_integer_value(json_object_get(params, "days"));
        facts.max_uses = json_integer_value(json_object_get(params, "maxUses"));
        if (invite_days_allowed(facts.days)
            && invite_max_uses_allowed(facts.max_uses)) {
            q.days = facts.days;
            q.max_uses = facts.max_uses;
        }
    }
    json_decref(params);
    facts.rid = q.rid;
    q.days_arg = invite_db_int_arg(r->pool, q.days);
    q.max_uses_arg = invite_db_int_arg(r->pool, q.max_uses);

    if (gather(&q, cfg, token_hash, &facts, &invite, &done)) {
        return done;
    }
    /* Rocket.Chat's order: authentication, schema, rate limit, then the
     * business checks. */
    if (facts.authenticated && !facts.schema_error
        && invite_ratelimit_check(r, cfg, "findOrCreateInvite",
                                  q.rate_limit_exempt, &done)) {
        return done;
    }
    facts.found = invite != NULL;
    outcome = invite_find_decide(&facts);
    switch (outcome) {
    case INVITE_FIND_RETURN_EXISTING:
        invite_record_from_row(invite, &inv);
        return send_invite(r, cfg, &inv);
    case INVITE_FIND_CREATE:
        rc = create_invite(&q, &inv);
        return rc == INVITE_DB_OK ? send_invite(r, cfg, &inv)
                                  : invite_http_db_failure(r, rc);
    default:
        log_refusal(&q, cfg, token_hash, &facts, outcome);
        body = invite_find_error_body(r->pool, outcome, &facts, &status);
        return invite_http_send_json(r, status, body);
    }
}
