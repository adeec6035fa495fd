/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_sync_apply.c - one change event of Rocket.Chat's MongoDB applied
 * to mod_invite's SQL (docs/live-sync design, §4.3).  Each event means
 * "make SQL equal this document now": the document (fullDocument, read by
 * updateLookup) is compared with what SQL holds and only the differences
 * are written, so a replayed event, or a presence update of a user,
 * writes nothing.  updateDescription is never read.
 */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "invite_sync_private.h"

/* A role set as SQL holds it. */
static apr_hash_t *role_set(invite_sync_store_t *st)
{
    return apr_hash_make(st->scratch);
}

static void role_add(apr_hash_t *h, const char *role)
{
    if (role) {
        apr_hash_set(h, role, APR_HASH_KEY_STRING, role);
    }
}

/* Makes the role rows of an owner (nkey key arguments) that SQL holds,
 * `have`, equal `roles`: adds with add(key..., role), removes with
 * del(key..., role). */
static int sync_roles(invite_sync_store_t *st, const char **key, int nkey,
                      apr_hash_t *have, const apr_array_header_t *roles,
                      int add, int del)
{
    const char *args[4];
    apr_hash_index_t *hi;
    int i;

    memcpy(args, key, nkey * sizeof(*key));
    for (i = 0; i < roles->nelts; i++) {
        const char *role = APR_ARRAY_IDX(roles, i, const char *);

        if (apr_hash_get(have, role, APR_HASH_KEY_STRING)) {
            apr_hash_set(have, role, APR_HASH_KEY_STRING, NULL);
            continue;
        }
        args[nkey] = role;
        if (invite_sync_run(st, add, nkey + 1, args, NULL, NULL)) {
            return INVITE_SYNC_DB_ERROR;
        }
    }
    /* What is left is no longer granted. */
    for (hi = apr_hash_first(st->scratch, have); hi; hi = apr_hash_next(hi)) {
        args[nkey] = apr_hash_this_key(hi);
        if (invite_sync_run(st, del, nkey + 1, args, NULL, NULL)) {
            return INVITE_SYNC_DB_ERROR;
        }
    }
    return INVITE_SYNC_OK;
}

static int same(const char *a, const char *b)
{
    return a && b ? !strcmp(a, b) : a == b;
}

/* Runs a state statement (rows of kind, a, b) and hands each row to fn. */
typedef void (*state_row_fn)(invite_sync_store_t *st, void *baton,
                             char kind, const char *a, const char *b);
static int read_state(invite_sync_store_t *st, int stmt, int nargs,
                      const char **args, state_row_fn fn, void *baton)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;

    if (invite_sync_run(st, stmt, nargs, args, &res, NULL)) {
        return INVITE_SYNC_DB_ERROR;
    }
    while (invite_sync_next(st, res, &row)) {
        const char *kind = invite_sync_col(st, row, 0, st->scratch);

        fn(st, baton, kind ? kind[0] : 0,
           invite_sync_col(st, row, 1, st->scratch),
           invite_sync_col(st, row, 2, st->scratch));
    }
    return INVITE_SYNC_OK;
}

typedef struct {
    int found;
    const char *username;
    apr_hash_t *roles;
    apr_hash_t *tokens;     /* hash -> created_at ("" for NULL) */
} user_state_t;

static void user_row(invite_sync_store_t *st, void *baton, char kind,
                     const char *a, const char *b)
{
    user_state_t *u = baton;

    (void)st;
    if (kind == 'u') {
        u->found = 1;
        u->username = a;
    }
    else if (kind == 'r') {
        role_add(u->roles, a);
    }
    else if (kind == 't' && a) {
        apr_hash_set(u->tokens, a, APR_HASH_KEY_STRING, b ? b : "");
    }
}

static int apply_user(invite_sync_store_t *st, const bson_t *doc,
                      invite_sync_counts_t *c)
{
    invite_sync_user_t u;
    user_state_t have = { 0, NULL, NULL, NULL };
    apr_hash_index_t *hi;
    const char *why, *args[3];
    int i;

    if (invite_sync_parse_user(st->scratch, doc, &u, &why)) {
        c->skipped++;
        return INVITE_SYNC_OK;
    }
    c->skipped += u.tokens_skipped;
    have.roles = role_set(st);
    have.tokens = apr_hash_make(st->scratch);
    args[0] = args[1] = args[2] = u.id;
    if (read_state(st, INVITE_SYNC_SQL_USER_STATE, 3, args, user_row,
                   &have)) {
        return INVITE_SYNC_DB_ERROR;
    }
    if (!have.found || !same(have.username, u.username)) {
        args[1] = u.username;
        if (invite_sync_run(st, INVITE_SYNC_SQL_USER_PUT, 2, args, NULL,
                            NULL)) {
            return INVITE_SYNC_DB_ERROR;
        }
    }
    if (sync_roles(st, args, 1, have.roles, u.roles,
                   INVITE_SYNC_SQL_USER_ROLE_ADD,
                   INVITE_SYNC_SQL_USER_ROLE_DEL)) {
        return INVITE_SYNC_DB_ERROR;
    }
    for (i = 0; i < u.tokens->nelts; i++) {
        const invite_sync_token_t *t =
            &APR_ARRAY_IDX(u.tokens, i, invite_sync_token_t);
        const char *now = apr_hash_get(have.tokens, t->hash,
                                       APR_HASH_KEY_STRING);
        const char *targs[3];
        int stmt = INVITE_SYNC_SQL_TOKEN_ADD;

        if (now) {
            apr_hash_set(have.tokens, t->hash, APR_HASH_KEY_STRING, NULL);
            if (!strcmp(now, t->created_at ? t->created_at : "")) {
                continue;
            }
            stmt = INVITE_SYNC_SQL_TOKEN_TIME;
            targs[0] = t->created_at;
            targs[1] = u.id;
            targs[2] = t->hash;
        }
        else {
            targs[0] = u.id;
            targs[1] = t->hash;
            targs[2] = t->created_at;
        }
        if (invite_sync_run(st, stmt, 3, targs, NULL, NULL)) {
            return INVITE_SYNC_DB_ERROR;
        }
    }
    /* What is left is gone from Rocket.Chat: logged out, expired,
     * deactivated. */
    for (hi = apr_hash_first(st->scratch, have.tokens); hi;
         hi = apr_hash_next(hi)) {
        args[1] = apr_hash_this_key(hi);
        if (invite_sync_run(st, INVITE_SYNC_SQL_TOKEN_DEL, 2, args, NULL,
                            NULL)) {
            return INVITE_SYNC_DB_ERROR;
        }
    }
    return INVITE_SYNC_OK;
}

static int apply_room(invite_sync_store_t *st, const bson_t *doc,
                      invite_sync_counts_t *c)
{
    invite_sync_room_t r;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *why, *args[5];
    int equal = 0;

    if (invite_sync_parse_room(st->scratch, doc, &r, &why)) {
        c->skipped++;
        return INVITE_SYNC_OK;
    }
    args[0] = r.id;
    if (invite_sync_run(st, INVITE_SYNC_SQL_ROOM_GET, 1, args, &res, NULL)) {
        return INVITE_SYNC_DB_ERROR;
    }
    while (invite_sync_next(st, res, &row)) {
        equal = same(invite_sync_col(st, row, 0, st->scratch), r.t)
                && same(invite_sync_col(st, row, 1, st->scratch), r.name)
                && same(invite_sync_col(st, row, 2, st->scratch), r.fname)
                && same(invite_sync_col(st, row, 3, st->scratch), r.prid);
    }
    if (equal) {
        return INVITE_SYNC_OK;
    }
    args[1] = r.t;
    args[2] = r.name;
    args[3] = r.fname;
    args[4] = r.prid;
    return invite_sync_run(st, INVITE_SYNC_SQL_ROOM_PUT, 5, args, NULL, NULL);
}

/* The (user_id, rid) pair a subscription _id was last seen with:
 * *found 0 when the id map has none. */
static int sub_pair(invite_sync_store_t *st, const char *sub_id,
                    const char **user_id, const char **rid, int *found)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;

    *found = 0;
    if (invite_sync_run(st, INVITE_SYNC_SQL_SUB_ID_GET, 1, &sub_id, &res,
                        NULL)) {
        return INVITE_SYNC_DB_ERROR;
    }
    while (invite_sync_next(st, res, &row)) {
        *found = 1;
        *user_id = invite_sync_col(st, row, 0, st->scratch);
        *rid = invite_sync_col(st, row, 1, st->scratch);
    }
    return INVITE_SYNC_OK;
}

typedef struct {
    int mapped, user, room, subscribed;
    const char *old_user, *old_rid, *status;
    apr_hash_t *roles;
} sub_state_t;

static void sub_row(invite_sync_store_t *st, void *baton, char kind,
                    const char *a, const char *b)
{
    sub_state_t *s = baton;

    (void)st;
    switch (kind) {
    case 'm':
        s->mapped = 1;
        s->old_user = a;
        s->old_rid = b;
        break;
    case 'u':
        s->user = 1;
        break;
    case 'r':
        s->room = 1;
        break;
    case 's':
        s->subscribed = 1;
        s->status = a;
        break;
    case 'o':
        role_add(s->roles, a);
        break;
    }
}

static int apply_sub(invite_sync_store_t *st, const bson_t *doc,
                     invite_sync_counts_t *c)
{
    invite_sync_sub_t s;
    sub_state_t have;
    const char *why, *args[7];
    int moved;

    if (invite_sync_parse_sub(st->scratch, doc, &s, &why)) {
        c->skipped++;
        return INVITE_SYNC_OK;
    }
    memset(&have, 0, sizeof(have));
    have.roles = role_set(st);
    args[0] = s.sub_id;
    args[1] = args[3] = args[5] = s.user_id;
    args[2] = args[4] = args[6] = s.rid;
    if (read_state(st, INVITE_SYNC_SQL_SUB_STATE, 7, args, sub_row, &have)) {
        return INVITE_SYNC_DB_ERROR;
    }
    moved = have.mapped && !(same(have.old_user, s.user_id)
                             && same(have.old_rid, s.rid));
    if (moved) {
        /* rid or u._id changed: the old pair is no longer this
         * subscription. */
        args[0] = have.old_user;
        args[1] = have.old_rid;
        if (invite_sync_run(st, INVITE_SYNC_SQL_SUB_DEL, 2, args, NULL,
                            NULL)) {
            return INVITE_SYNC_DB_ERROR;
        }
    }
    if (!have.user || !have.room) {
        /* Its user or room is not here (yet): skipped, as in the import;
         * a later event or the next full copy brings it. */
        c->skipped++;
        if (have.mapped && invite_sync_run(st, INVITE_SYNC_SQL_SUB_ID_DEL, 1,
                                           &s.sub_id, NULL, NULL)) {
            return INVITE_SYNC_DB_ERROR;
        }
        return INVITE_SYNC_OK;
    }
    args[0] = s.user_id;
    args[1] = s.rid;
    if (!have.subscribed || !same(have.status, s.status)) {
        args[2] = s.status;
        if (invite_sync_run(st, INVITE_SYNC_SQL_SUB_PUT, 3, args, NULL,
                            NULL)) {
            return INVITE_SYNC_DB_ERROR;
        }
    }
    if (sync_roles(st, args, 2, have.roles, s.roles,
                   INVITE_SYNC_SQL_SUB_ROLE_ADD,
                   INVITE_SYNC_SQL_SUB_ROLE_DEL)) {
        return INVITE_SYNC_DB_ERROR;
    }
    if (s.sub_id && (!have.mapped || moved)) {
        args[0] = s.sub_id;
        args[1] = s.user_id;
        args[2] = s.rid;
        if (invite_sync_run(st, INVITE_SYNC_SQL_SUB_ID_PUT, 3, args, NULL,
                            NULL)) {
            return INVITE_SYNC_DB_ERROR;
        }
    }
    return INVITE_SYNC_OK;
}

static void perm_row(invite_sync_store_t *st, void *baton, char kind,
                     const char *a, const char *b)
{
    (void)st;
    (void)b;
    if (kind == 'r') {
        role_add(baton, a);
    }
}

static int apply_perm(invite_sync_store_t *st, const bson_t *doc,
                      invite_sync_counts_t *c)
{
    invite_sync_perm_t perm;
    apr_hash_t *have;
    const char *why;

    if (invite_sync_parse_perm(st->scratch, doc, &perm, &why)) {
        c->skipped++;
        return INVITE_SYNC_OK;
    }
    /* Replaced, not merged (docs/import.md). */
    have = role_set(st);
    if (read_state(st, INVITE_SYNC_SQL_PERM_ROLES, 1, &perm.id, perm_row,
                   have)) {
        return INVITE_SYNC_DB_ERROR;
    }
    return sync_roles(st, &perm.id, 1, have, perm.roles,
                      INVITE_SYNC_SQL_PERM_ROLE_ADD,
                      INVITE_SYNC_SQL_PERM_ROLE_DEL);
}

static int apply_delete(invite_sync_store_t *st, int coll,
                        const bson_iter_t *id, invite_sync_counts_t *c)
{
    const char *key = invite_sync_parse_key(
        st->scratch, id, coll == INVITE_SYNC_COLL_SUBSCRIPTIONS);
    const char *args[2];
    int mapped = 0;

    if (!key) {
        c->skipped++;
        return INVITE_SYNC_OK;
    }
    switch (coll) {
    case INVITE_SYNC_COLL_USERS:
        /* Tokens, roles, subscriptions and outbox rows cascade. */
        return invite_sync_run(st, INVITE_SYNC_SQL_USER_DEL, 1, &key, NULL,
                               NULL);
    case INVITE_SYNC_COLL_ROOMS:
        return invite_sync_run(st, INVITE_SYNC_SQL_ROOM_DEL, 1, &key, NULL,
                               NULL);
    case INVITE_SYNC_COLL_PERMISSIONS:
        return invite_sync_run(st, INVITE_SYNC_SQL_PERM_DEL, 1, &key, NULL,
                               NULL);
    default:
        /* The event carries only the _id: the id map knows the pair. */
        if (sub_pair(st, key, &args[0], &args[1], &mapped)) {
            return INVITE_SYNC_DB_ERROR;
        }
        if (!mapped) {
            return INVITE_SYNC_OK;
        }
        if (invite_sync_run(st, INVITE_SYNC_SQL_SUB_DEL, 2, args, NULL, NULL)
            || invite_sync_run(st, INVITE_SYNC_SQL_SUB_ID_DEL, 1, &key, NULL,
                               NULL)) {
            return INVITE_SYNC_DB_ERROR;
        }
        return INVITE_SYNC_OK;
    }
}

/* The string at `key` of doc (dotted path), or NULL. */
static const char *string_at(const bson_t *doc, const char *path)
{
    bson_iter_t it, found;

    if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path,
                                                                &found)
        || !BSON_ITER_HOLDS_UTF8(&found)) {
        return NULL;
    }
    return bson_iter_utf8(&found, NULL);
}

static int apply(invite_sync_store_t *st, const bson_t *event,
                 invite_sync_counts_t *c)
{
    const char *op = string_at(event, "operationType");
    const char *coll = string_at(event, "ns.coll");
    bson_iter_t it, key;
    int i = invite_sync_coll_index(coll);
    long before = st->changes;
    int rv, upsert, del;

    if (!op) {
        c->skipped++;
        invite_sync_fail(st, "event", "no operationType");
        return INVITE_SYNC_BAD_EVENT;
    }
    /* The stream's history is gone or a followed collection changed
     * under it: only a full copy is right again. */
    if (!strcmp(op, "invalidate") || !strcmp(op, "dropDatabase")) {
        return INVITE_SYNC_RESYNC;
    }
    if (!strcmp(op, "drop") || !strcmp(op, "rename")) {
        if (i >= 0 || invite_sync_coll_index(string_at(event, "to.coll"))
                      >= 0) {
            return INVITE_SYNC_RESYNC;
        }
        c->ignored++;
        return INVITE_SYNC_OK;
    }
    upsert = !strcmp(op, "insert") || !strcmp(op, "update")
             || !strcmp(op, "replace");
    del = !strcmp(op, "delete");
    if (!coll) {
        c->skipped++;
        invite_sync_fail(st, "event", "no ns.coll");
        return INVITE_SYNC_BAD_EVENT;
    }
    if (i < 0 || (!upsert && !del)) {
        c->ignored++;
        return INVITE_SYNC_OK;
    }
    if (del) {
        if (!bson_iter_init(&it, event)
            || !bson_iter_find_descendant(&it, "documentKey._id", &key)) {
            c->skipped++;
            return INVITE_SYNC_OK;
        }
        rv = apply_delete(st, i, &key, c);
        if (rv == INVITE_SYNC_OK) {
            if (st->changes > before) {
                c->deleted++;
            }
            else {
                c->unchanged++;
            }
        }
        return rv;
    }
    /* updateLookup found no document (deleted since): the delete event
     * that follows removes it. */
    if (!bson_iter_init_find(&it, event, "fullDocument")
        || !BSON_ITER_HOLDS_DOCUMENT(&it)) {
        c->ignored++;
        return INVITE_SYNC_OK;
    }
    {
        const uint8_t *data;
        uint32_t len;
        bson_t doc;
        long skipped = c->skipped;

        bson_iter_document(&it, &len, &data);
        if (!bson_init_static(&doc, data, len)) {
            c->skipped++;
            return INVITE_SYNC_OK;
        }
        switch (i) {
        case INVITE_SYNC_COLL_USERS:
            rv = apply_user(st, &doc, c);
            break;
        case INVITE_SYNC_COLL_ROOMS:
            rv = apply_room(st, &doc, c);
            break;
        case INVITE_SYNC_COLL_SUBSCRIPTIONS:
            rv = apply_sub(st, &doc, c);
            break;
        default:
            rv = apply_perm(st, &doc, c);
            break;
        }
        if (rv == INVITE_SYNC_OK) {
            if (st->changes > before) {
                c->applied++;
            }
            else if (c->skipped == skipped) {
                c->unchanged++;
            }
        }
    }
    return rv;
}

int invite_sync_apply_event(invite_sync_store_t *st, const bson_t *event,
                            invite_sync_counts_t *c)
{
    invite_sync_counts_t ignore;

    if (!c) {
        memset(&ignore, 0, sizeof(ignore));
        c = &ignore;
    }
    if (!st->in_tx) {
        invite_sync_fail(st, "apply", "no transaction is open");
        return INVITE_SYNC_DB_ERROR;
    }
    if (!event) {
        c->skipped++;
        return INVITE_SYNC_BAD_EVENT;
    }
    return apply(st, event, c);
}
