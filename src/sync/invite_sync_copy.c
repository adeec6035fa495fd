/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_sync_copy.c - the full copy (design §4.5): the documents of the
 * four collections (and, with invite_sync_copy_invites, of
 * rocketchat_invites) are staged, in multi-row inserts, into TEMP tables of
 * the connection, outside the database's write lock; then one transaction
 * diff-applies the staging to the real tables (deleting what is gone,
 * upserting what differs) and stores the resume token, so the module sees
 * the store before or after the copy, never half of it.
 */
#include <stdarg.h>
#include <string.h>

#include <apr_strings.h>

#include "invite_core.h"
#include "invite_sync_private.h"

/* Columns of each staging table (INVITE_SYNC_STAGE_*). */
static const int stage_cols[INVITE_SYNC_STAGE_TABLES] = {
    2, 2, 3, 5, 3, 3, 3, 1, 2, 9
};

/* A staging transaction is committed after this many rows, so that
 * SQLite's WAL can be checkpointed meanwhile. */
#define STAGE_ROWS_PER_TX 20000

static int stage_flush_full(invite_sync_store_t *st, int table)
{
    invite_sync_stage_buf_t *b = &st->stage[table];
    long changes = st->changes;
    int rv = invite_sync_run(st, INVITE_SYNC_SQL_STAGE_INSERT_N + table,
                             b->rows * b->ncols, b->args, NULL, NULL);

    st->changes = changes;      /* staging is not the store's data */
    st->stage_rows_in_tx += b->rows;
    b->rows = 0;
    apr_pool_clear(b->pool);
    if (rv == INVITE_SYNC_OK && st->stage_tx
        && st->stage_rows_in_tx >= STAGE_ROWS_PER_TX) {
        st->stage_rows_in_tx = 0;
        rv = invite_sync_query(st, INVITE_SYNC_SQL_COMMIT);
        st->stage_tx = 0;
        if (rv == INVITE_SYNC_OK) {
            rv = invite_sync_query(st, INVITE_SYNC_SQL_STAGE_BEGIN);
            st->stage_tx = rv == INVITE_SYNC_OK;
        }
    }
    return rv;
}

/* The rows left in the buffer of table, one statement each. */
static int stage_flush_rest(invite_sync_store_t *st, int table)
{
    invite_sync_stage_buf_t *b = &st->stage[table];
    long changes = st->changes;
    int r, rv = INVITE_SYNC_OK;

    for (r = 0; r < b->rows && rv == INVITE_SYNC_OK; r++) {
        rv = invite_sync_run(st, INVITE_SYNC_SQL_STAGE_INSERT_1 + table,
                             b->ncols, b->args + r * b->ncols, NULL, NULL);
    }
    st->changes = changes;
    b->rows = 0;
    apr_pool_clear(b->pool);
    return rv;
}

/* Adds a row (the table's column count of strings) to table's buffer. */
static int stage_row(invite_sync_store_t *st, int table, ...)
{
    invite_sync_stage_buf_t *b = &st->stage[table];
    const char **row = b->args + b->rows * b->ncols;
    va_list ap;
    int i;

    va_start(ap, table);
    for (i = 0; i < b->ncols; i++) {
        const char *v = va_arg(ap, const char *);

        row[i] = v ? apr_pstrdup(b->pool, v) : NULL;
    }
    va_end(ap);
    st->progress_rows++;
    if (++b->rows == INVITE_SYNC_STAGE_ROWS) {
        return stage_flush_full(st, table);
    }
    return INVITE_SYNC_OK;
}

int invite_sync_copy_begin(invite_sync_store_t *st)
{
    int i, rv = INVITE_SYNC_OK;

    if (st->in_tx) {
        invite_sync_fail(st, "copy", "a transaction is open");
        return INVITE_SYNC_DB_ERROR;
    }
    if (st->stage_tx) {
        invite_sync_query(st, INVITE_SYNC_SQL_ROLLBACK);
        st->stage_tx = 0;
    }
    for (i = 0; i < INVITE_SYNC_STAGE_TABLES; i++) {
        st->stage[i].ncols = stage_cols[i];
        st->stage[i].rows = 0;
        apr_pool_clear(st->stage[i].pool);
    }
    memset(st->progress, 0, sizeof(st->progress));
    st->progress_rows = 0;
    st->stage_rows_in_tx = 0;
    /* The staging tables were created by invite_sync_store_open. */
    rv = invite_sync_query(st, INVITE_SYNC_SQL_STAGE_BEGIN);
    st->stage_tx = rv == INVITE_SYNC_OK;
    for (i = 0; i < INVITE_SYNC_STAGE_TABLES && !rv; i++) {
        rv = invite_sync_query(st, INVITE_SYNC_SQL_STAGE_CLEAR + i);
    }
    st->stage_open = rv == INVITE_SYNC_OK;
    return rv;
}

static int stage_user(invite_sync_store_t *st, const invite_sync_user_t *u)
{
    int i, rv = stage_row(st, INVITE_SYNC_STAGE_USERS, u->id, u->username);

    for (i = 0; !rv && i < u->roles->nelts; i++) {
        rv = stage_row(st, INVITE_SYNC_STAGE_USER_ROLES, u->id,
                       APR_ARRAY_IDX(u->roles, i, const char *));
    }
    for (i = 0; !rv && i < u->tokens->nelts; i++) {
        const invite_sync_token_t *t =
            &APR_ARRAY_IDX(u->tokens, i, invite_sync_token_t);

        rv = stage_row(st, INVITE_SYNC_STAGE_TOKENS, u->id, t->hash,
                       t->created_at);
    }
    return rv;
}

static int stage_sub(invite_sync_store_t *st, const invite_sync_sub_t *s)
{
    int i, rv = stage_row(st, INVITE_SYNC_STAGE_SUBS, s->user_id, s->rid,
                          s->status);

    if (!rv && s->sub_id) {
        rv = stage_row(st, INVITE_SYNC_STAGE_SUB_IDS, s->sub_id, s->user_id,
                       s->rid);
    }
    for (i = 0; !rv && i < s->roles->nelts; i++) {
        rv = stage_row(st, INVITE_SYNC_STAGE_SUB_ROLES, s->user_id, s->rid,
                       APR_ARRAY_IDX(s->roles, i, const char *));
    }
    return rv;
}

static int stage_perm(invite_sync_store_t *st, const invite_sync_perm_t *p)
{
    int i, rv = stage_row(st, INVITE_SYNC_STAGE_PERMS, p->id);

    for (i = 0; !rv && i < p->roles->nelts; i++) {
        rv = stage_row(st, INVITE_SYNC_STAGE_PERM_ROLES, p->id,
                       APR_ARRAY_IDX(p->roles, i, const char *));
    }
    return rv;
}

void invite_sync_copy_invites(invite_sync_store_t *st, int on)
{
    st->copy_invites = on != 0;
}

int invite_sync_copy_invites_wanted(const invite_sync_store_t *st)
{
    return st->copy_invites;
}

int invite_sync_copy_doc(invite_sync_store_t *st, const char *coll,
                         const bson_t *doc)
{
    int i = invite_sync_coll_index(coll), rv = INVITE_SYNC_OK, bad = 0;
    invite_sync_copy_progress_t *pr;
    const char *why = NULL;

    if (!st->stage_open) {
        invite_sync_fail(st, "copy", "invite_sync_copy_begin first");
        return INVITE_SYNC_DB_ERROR;
    }
    if (i < 0 && st->copy_invites && coll
        && !strcmp(coll, INVITE_SYNC_INVITES)) {
        i = INVITE_SYNC_COLL_INVITES;
    }
    if (i < 0) {
        invite_sync_fail(st, "copy", "not a followed collection");
        return INVITE_SYNC_BAD_EVENT;
    }
    pr = &st->progress[i];
    pr->docs++;
    switch (i) {
    case INVITE_SYNC_COLL_USERS: {
        invite_sync_user_t u;

        bad = invite_sync_parse_user(st->scratch, doc, &u, &why);
        if (!bad) {
            pr->skipped += u.tokens_skipped;
            rv = stage_user(st, &u);
        }
        break;
    }
    case INVITE_SYNC_COLL_ROOMS: {
        invite_sync_room_t r;

        bad = invite_sync_parse_room(st->scratch, doc, &r, &why);
        if (!bad) {
            rv = stage_row(st, INVITE_SYNC_STAGE_ROOMS, r.id, r.t, r.name,
                           r.fname, r.prid);
        }
        break;
    }
    case INVITE_SYNC_COLL_SUBSCRIPTIONS: {
        invite_sync_sub_t s;

        bad = invite_sync_parse_sub(st->scratch, doc, &s, &why);
        if (!bad) {
            rv = stage_sub(st, &s);
        }
        break;
    }
    case INVITE_SYNC_COLL_PERMISSIONS: {
        invite_sync_perm_t p;

        bad = invite_sync_parse_perm(st->scratch, doc, &p, &why);
        if (!bad) {
            rv = stage_perm(st, &p);
        }
        break;
    }
    default: {
        invite_sync_invite_t v;

        bad = invite_sync_parse_invite(st->scratch, doc, &v, &why);
        if (!bad) {
            rv = stage_row(st, INVITE_SYNC_STAGE_INVITES, v.id, v.days,
                           v.max_uses, v.rid, v.user_id, v.created_at,
                           v.expires, v.uses, v.updated_at);
        }
        break;
    }
    }
    if (bad) {
        pr->skipped++;
    }
    else if (rv == INVITE_SYNC_OK) {
        pr->staged++;
    }
    apr_pool_clear(st->scratch);
    if (rv) {
        st->stage_open = 0;
    }
    return rv;
}

invite_sync_copy_progress_t invite_sync_copy_progress(
    const invite_sync_store_t *st, const char *coll)
{
    invite_sync_copy_progress_t none = { 0, 0, 0, 0 };
    int i = invite_sync_coll_index(coll);

    if (i < 0 && coll && !strcmp(coll, INVITE_SYNC_INVITES)) {
        i = INVITE_SYNC_COLL_INVITES;
    }
    return i < 0 ? none : st->progress[i];
}

int invite_sync_copy_switch(invite_sync_store_t *st,
                            const char *resume_token_json,
                            invite_sync_counts_t *c)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int i, rv = INVITE_SYNC_OK;

    if (!st->stage_open || st->in_tx) {
        invite_sync_fail(st, "copy", st->in_tx ? "a transaction is open"
                         : "invite_sync_copy_begin first");
        return INVITE_SYNC_DB_ERROR;
    }
    st->stage_open = 0;
    for (i = 0; i < INVITE_SYNC_STAGE_TABLES && !rv; i++) {
        rv = stage_flush_rest(st, i);
    }
    if (!rv && st->stage_tx) {
        rv = invite_sync_query(st, INVITE_SYNC_SQL_COMMIT);
    }
    if (rv) {
        if (st->stage_tx) {
            invite_sync_query(st, INVITE_SYNC_SQL_ROLLBACK);
        }
        st->stage_tx = 0;
        return rv;
    }
    st->stage_tx = 0;
    for (i = 0; i < INVITE_SYNC_NCOLL; i++) {
        c->skipped += st->progress[i].skipped;
    }
    rv = invite_sync_query(st, INVITE_SYNC_SQL_STAGE_ANALYZE);
    if (!rv) {
        rv = invite_sync_store_begin(st);
    }
    if (rv) {
        return rv;
    }
    rv = invite_sync_run(st, INVITE_SYNC_SQL_STAGE_SKIPPED, 0, NULL, &res,
                         NULL);
    while (!rv && invite_sync_next(st, res, &row)) {
        const char *v = invite_sync_col(st, row, 0, st->scratch);

        c->skipped += v ? apr_atoi64(v) : 0;
    }
    for (i = INVITE_SYNC_SQL_SWITCH_DEL_SUBS; !rv && i < INVITE_SYNC_SQL_COUNT;
         i++) {
        int nrows = 0;

        rv = invite_sync_run(st, i, 0, NULL, NULL, &nrows);
        if (i < INVITE_SYNC_SQL_SWITCH_PUT_USERS) {
            c->deleted += nrows;
        }
        else {
            c->applied += nrows;
        }
    }
    /* The invites in the same transaction: the copy and its invites
     * are stored together or not at all. */
    if (!rv && st->copy_invites) {
        int nrows = 0;

        rv = invite_sync_run(st, INVITE_SYNC_SQL_INVITES_PUT, 0, NULL, NULL,
                             &nrows);
        st->progress[INVITE_SYNC_COLL_INVITES].written = nrows;
    }
    if (!rv && resume_token_json) {
        rv = invite_sync_state_set(st, INVITE_SYNC_KEY_RESUME_TOKEN,
                                   resume_token_json);
    }
    if (!rv) {
        rv = invite_sync_state_set_ms(st, INVITE_SYNC_KEY_LAST_FULL_COPY,
                                      invite_time_now_ms());
    }
    if (rv) {
        invite_sync_store_rollback(st);
        return rv;
    }
    return invite_sync_store_commit(st);
}
