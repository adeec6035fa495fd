/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_sync_doc.c - invite-sync's mapping of Rocket.Chat's documents to
 * rows (src/sync/invite_sync_doc.c): invite_sync_parse_user, _room, _sub,
 * _perm, _invite and _key on any BSON document.
 *
 * Input: the bytes of a BSON document (any bytes: libbson refuses what is
 * not one).
 *
 * Properties: every string a parse returns is valid UTF-8 without NUL (the
 * engines could not store it otherwise), ids and required fields are not
 * empty, role lists hold no duplicate, a user's tokens no duplicate hash,
 * and created_at is a decimal number or NULL; an invite's numbers are
 * decimal, days, max_uses and uses within 32 bits, its times set but
 * expires.
 */
#include <string.h>

#include <apr_strings.h>

#include "fuzz_common.h"
#include "invite_sync_private.h"

static void check_text(const char *s, int required)
{
    if (!s) {
        FZ_CHECK(!required, "a required field is NULL");
        return;
    }
    FZ_CHECK(!required || *s, "a required field is empty");
    FZ_CHECK(bson_utf8_validate(s, strlen(s), false), s);
}

/* A decimal number, within 32 bits when small. */
static void check_number(const char *s, int small)
{
    apr_int64_t v;

    FZ_CHECK(s && *s && strspn(s + (*s == '-'), "0123456789")
             == strlen(s + (*s == '-')), s ? s : "NULL number");
    v = apr_atoi64(s);
    FZ_CHECK(!small || (v >= -2147483648LL && v <= 2147483647LL), s);
}

static void check_roles(const apr_array_header_t *roles)
{
    int i, j;

    for (i = 0; i < roles->nelts; i++) {
        const char *r = APR_ARRAY_IDX(roles, i, const char *);

        check_text(r, 1);
        for (j = 0; j < i; j++) {
            FZ_CHECK(strcmp(r, APR_ARRAY_IDX(roles, j, const char *)), r);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    invite_sync_user_t u;
    invite_sync_room_t r;
    invite_sync_sub_t s;
    invite_sync_perm_t p;
    invite_sync_invite_t v;
    const char *why;
    bson_iter_t it;
    bson_t doc;
    int i, j;

    /* An exactly-sized copy, so that ASan sees a read past its end. */
    if (!bson_init_static(&doc, (const uint8_t *)fz_copy(data, size), size)) {
        fz_done();
        return 0;
    }
    if (!invite_sync_parse_user(fz_pool, &doc, &u, &why)) {
        check_text(u.id, 1);
        check_text(u.username, 0);
        check_roles(u.roles);
        for (i = 0; i < u.tokens->nelts; i++) {
            const invite_sync_token_t *t =
                &APR_ARRAY_IDX(u.tokens, i, invite_sync_token_t);

            check_text(t->hash, 1);
            FZ_CHECK(!t->created_at || strspn(t->created_at, "-0123456789")
                     == strlen(t->created_at), t->created_at);
            for (j = 0; j < i; j++) {
                FZ_CHECK(strcmp(t->hash, APR_ARRAY_IDX(u.tokens, j,
                         invite_sync_token_t).hash), t->hash);
            }
        }
    }
    if (!invite_sync_parse_room(fz_pool, &doc, &r, &why)) {
        check_text(r.id, 1);
        check_text(r.t, 1);
        check_text(r.name, 0);
        check_text(r.fname, 0);
        check_text(r.prid, 0);
    }
    if (!invite_sync_parse_sub(fz_pool, &doc, &s, &why)) {
        check_text(s.user_id, 1);
        check_text(s.rid, 1);
        check_text(s.sub_id, 0);
        FZ_CHECK(!s.status || !strcmp(s.status, "BANNED"), s.status);
        check_roles(s.roles);
    }
    if (!invite_sync_parse_perm(fz_pool, &doc, &p, &why)) {
        check_text(p.id, 1);
        check_roles(p.roles);
    }
    if (!invite_sync_parse_invite(fz_pool, &doc, &v, &why)) {
        check_text(v.id, 1);
        check_text(v.rid, 1);
        check_text(v.user_id, 1);
        check_number(v.days, 1);
        check_number(v.max_uses, 1);
        check_number(v.uses, 1);
        check_number(v.created_at, 0);
        check_number(v.updated_at, 0);
        if (v.expires) {
            check_number(v.expires, 0);
        }
    }
    if (bson_iter_init_find(&it, &doc, "_id")) {
        check_text(invite_sync_parse_key(fz_pool, &it, 1), 0);
    }
    fz_done();
    return 0;
}
