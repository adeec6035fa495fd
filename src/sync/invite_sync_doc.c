/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_sync_doc.c - Rocket.Chat's documents (libbson) as mod_invite's
 * rows, by the rules of docs/import.md ("Field mapping"), the retired
 * one-shot import's (t/data/first-copy-expected.txt):
 *
 *  - ids and required fields are non-empty strings; optional strings may
 *    be absent or null; a string holding NUL or invalid UTF-8 (a lone
 *    surrogate among them) makes its document malformed;
 *  - role lists are arrays of non-empty strings, duplicates collapsed;
 *  - a login token is { hashedToken } or the old plain { token } (hashed
 *    here as base64(SHA-256)), with "when" (a date: created_at) or, for a
 *    personal access token, no "when" (created_at NULL; its "createdAt"
 *    must still be a date when present); a bad token is skipped alone;
 *  - active: false (or 0, "" or "0", what Perl calls false) means no
 *    tokens;
 *  - a subscription's status is kept only when it is 'BANNED';
 *  - an invite's numbers are whole: int32, int64, an integral double, or
 *    a string of digits (as the import read mongoexport's text).
 *
 * Nothing here logs or returns a value of the document in a reason: ids
 * and tokens are secrets or personal data.
 */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "invite_core.h"
#include "invite_sync_private.h"

const char *const invite_sync_collections[] = {
    INVITE_SYNC_USERS, INVITE_SYNC_ROOMS, INVITE_SYNC_SUBSCRIPTIONS,
    INVITE_SYNC_PERMISSIONS, NULL
};

/* The find projections: the fields docs/import.md exports. */
static const char *const projections[] = {
    ("{\"_id\": 1, \"username\": 1, \"roles\": 1, \"active\": 1,"
     " \"services.resume.loginTokens\": 1}"),
    "{\"_id\": 1, \"t\": 1, \"name\": 1, \"fname\": 1, \"prid\": 1}",
    "{\"_id\": 1, \"rid\": 1, \"u._id\": 1, \"roles\": 1, \"status\": 1}",
    "{\"_id\": 1, \"roles\": 1}",
    ("{\"_id\": 1, \"days\": 1, \"maxUses\": 1, \"rid\": 1, \"userId\": 1,"
     " \"createdAt\": 1, \"expires\": 1, \"uses\": 1, \"_updatedAt\": 1}"),
};

int invite_sync_coll_index(const char *coll)
{
    int i;

    for (i = 0; coll && invite_sync_collections[i]; i++) {
        if (!strcmp(coll, invite_sync_collections[i])) {
            return i;
        }
    }
    return -1;
}

const char *invite_sync_projection(const char *coll)
{
    int i = invite_sync_coll_index(coll);

    if (i < 0 && coll && !strcmp(coll, INVITE_SYNC_INVITES)) {
        i = INVITE_SYNC_COLL_INVITES;
    }
    return i < 0 ? NULL : projections[i];
}

/* Absent, null or undefined: Perl's undef. */
static int is_undef(const bson_iter_t *it)
{
    return !it || BSON_ITER_HOLDS_NULL(it) || BSON_ITER_HOLDS_UNDEFINED(it);
}

/* 1 if the len bytes at s are storable text: valid UTF-8 without NUL
 * and without an encoded surrogate (ED A0..BF). */
static int storable(const char *s, uint32_t len)
{
    uint32_t i;

    if (memchr(s, 0, len) || !bson_utf8_validate(s, len, false)) {
        return 0;
    }
    for (i = 0; i + 1 < len; i++) {
        if ((unsigned char)s[i] == 0xED && (unsigned char)s[i + 1] >= 0xA0) {
            return 0;
        }
    }
    return 1;
}

/* Perl's text(): *out the string (NULL when undef); -1 when it is not a
 * storable string. */
static int text(apr_pool_t *p, const bson_iter_t *it, const char **out)
{
    const char *s;
    uint32_t len;

    *out = NULL;
    if (is_undef(it)) {
        return 0;
    }
    if (!BSON_ITER_HOLDS_UTF8(it)) {
        return -1;
    }
    s = bson_iter_utf8(it, &len);
    if (!storable(s, len)) {
        return -1;
    }
    *out = apr_pstrmemdup(p, s, len);
    return 0;
}

/* Perl's required_text(): a non-empty storable string. */
static int required_text(apr_pool_t *p, const bson_iter_t *it,
                         const char **out)
{
    return text(p, it, out) == 0 && *out && **out ? 0 : -1;
}

/* The element `key` of doc, or NULL. */
static const bson_iter_t *field(const bson_t *doc, const char *key,
                                bson_iter_t *it)
{
    return doc && bson_iter_init_find(it, doc, key) ? it : NULL;
}

/* The element `key` of the subdocument at it (NULL when it is not a
 * document: Perl's `ref ... eq 'HASH' ? ... : {}`). */
static const bson_iter_t *subfield(const bson_iter_t *it, const char *key,
                                   bson_iter_t *child)
{
    bson_iter_t sub;

    if (!it || !BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &sub)
        || !bson_iter_find(&sub, key)) {
        return NULL;
    }
    *child = sub;
    return child;
}

/* Perl's text_list(): the strings of an array, duplicates collapsed, into
 * a new array; undef gives an empty one.  -1 when it is not an array or an
 * element is not a non-empty string. */
static int text_list(apr_pool_t *p, const bson_iter_t *it,
                     apr_array_header_t **out)
{
    apr_array_header_t *a = apr_array_make(p, 4, sizeof(const char *));
    bson_iter_t el;

    *out = a;
    if (is_undef(it)) {
        return 0;
    }
    if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &el)) {
        return -1;
    }
    while (bson_iter_next(&el)) {
        const char *s;
        int i, seen = 0;

        if (required_text(p, &el, &s) != 0) {
            return -1;
        }
        for (i = 0; i < a->nelts && !seen; i++) {
            seen = !strcmp(APR_ARRAY_IDX(a, i, const char *), s);
        }
        if (!seen) {
            APR_ARRAY_PUSH(a, const char *) = s;
        }
    }
    return 0;
}

/* Perl's epoch_ms() of a date: *ms; 0 when undef (*ms untouched), 1 for a
 * date, -1 when it is not one (or beyond the import's 18 digits). */
static int epoch_ms(const bson_iter_t *it, apr_int64_t *ms)
{
    apr_int64_t v;

    if (is_undef(it)) {
        return 0;
    }
    if (!BSON_ITER_HOLDS_DATE_TIME(it)) {
        return -1;
    }
    v = bson_iter_date_time(it);
    if (v > 999999999999999999LL || v < -999999999999999999LL) {
        return -1;
    }
    *ms = v;
    return 1;
}

/* Perl's falsehood of `active`: false, 0, 0.0, "" and "0". */
static int is_false(const bson_iter_t *it)
{
    switch (bson_iter_type(it)) {
    case BSON_TYPE_BOOL:
        return !bson_iter_bool(it);
    case BSON_TYPE_INT32:
        return bson_iter_int32(it) == 0;
    case BSON_TYPE_INT64:
        return bson_iter_int64(it) == 0;
    case BSON_TYPE_DOUBLE:
        return bson_iter_double(it) == 0.0;
    case BSON_TYPE_UTF8: {
        uint32_t len;
        const char *s = bson_iter_utf8(it, &len);
        return len == 0 || (len == 1 && s[0] == '0');
    }
    default:
        return 0;
    }
}

/* One entry of services.resume.loginTokens: 0 with *t, or -1. */
static int parse_token(apr_pool_t *p, const bson_iter_t *el,
                       invite_sync_token_t *t)
{
    bson_iter_t f;
    const bson_iter_t *v;
    apr_int64_t when = 0;
    const char *s;
    int r;

    if (!BSON_ITER_HOLDS_DOCUMENT(el)) {
        return -1;
    }
    if (!is_undef(v = subfield(el, "hashedToken", &f))) {
        if (required_text(p, v, &t->hash) != 0) {
            return -1;
        }
    }
    else if (!is_undef(v = subfield(el, "token", &f))) {
        if (required_text(p, v, &s) != 0) {
            return -1;
        }
        t->hash = invite_token_hash(p, s);
        if (!t->hash) {
            return -1;
        }
    }
    else {
        return -1;
    }
    /* Login tokens carry "when" and expire; personal access tokens carry
     * "createdAt" and never do: no created_at. */
    r = epoch_ms(subfield(el, "when", &f), &when);
    if (r < 0) {
        return -1;
    }
    t->created_at = r ? apr_psprintf(p, "%" APR_INT64_T_FMT, when) : NULL;
    if (!r && epoch_ms(subfield(el, "createdAt", &f), &when) < 0) {
        return -1;
    }
    return 0;
}

int invite_sync_parse_user(apr_pool_t *p, const bson_t *doc,
                           invite_sync_user_t *u, const char **why)
{
    bson_iter_t it, f, r, el;
    const bson_iter_t *tokens, *active;
    apr_hash_t *seen;

    memset(u, 0, sizeof(*u));
    u->tokens = apr_array_make(p, 4, sizeof(invite_sync_token_t));
    if (required_text(p, field(doc, "_id", &it), &u->id) != 0) {
        *why = "_id is missing or not a string";
        return -1;
    }
    if (text(p, field(doc, "username", &it), &u->username) != 0) {
        *why = "username is not a string";
        return -1;
    }
    if (text_list(p, field(doc, "roles", &it), &u->roles) != 0) {
        *why = "roles is not an array of strings";
        return -1;
    }
    tokens = subfield(subfield(field(doc, "services", &it), "resume", &r),
                      "loginTokens", &f);
    if (is_undef(tokens)) {
        return 0;
    }
    if (!BSON_ITER_HOLDS_ARRAY(tokens) || !bson_iter_recurse(tokens, &el)) {
        u->tokens_skipped++;
        return 0;
    }
    /* Rocket.Chat clears the tokens of a user it deactivates; leftovers
     * must not let the account create invites here. */
    active = field(doc, "active", &it);
    if (!is_undef(active) && is_false(active)) {
        while (bson_iter_next(&el)) {
            u->tokens_skipped++;
        }
        return 0;
    }
    seen = apr_hash_make(p);
    while (bson_iter_next(&el)) {
        invite_sync_token_t t;

        if (parse_token(p, &el, &t) != 0) {
            u->tokens_skipped++;
            continue;
        }
        if (apr_hash_get(seen, t.hash, APR_HASH_KEY_STRING)) {
            continue;
        }
        apr_hash_set(seen, t.hash, APR_HASH_KEY_STRING, t.hash);
        APR_ARRAY_PUSH(u->tokens, invite_sync_token_t) = t;
    }
    return 0;
}

int invite_sync_parse_room(apr_pool_t *p, const bson_t *doc,
                           invite_sync_room_t *r, const char **why)
{
    bson_iter_t it;

    memset(r, 0, sizeof(*r));
    if (required_text(p, field(doc, "_id", &it), &r->id) != 0) {
        *why = "_id is missing or not a string";
        return -1;
    }
    if (required_text(p, field(doc, "t", &it), &r->t) != 0) {
        *why = "t is missing or not a string";
        return -1;
    }
    if (text(p, field(doc, "name", &it), &r->name) != 0
        || text(p, field(doc, "fname", &it), &r->fname) != 0
        || text(p, field(doc, "prid", &it), &r->prid) != 0) {
        *why = "name, fname or prid is not a string";
        return -1;
    }
    return 0;
}

const char *invite_sync_parse_key(apr_pool_t *p, const bson_iter_t *id,
                                  int oid_ok)
{
    const char *s = NULL;

    if (!id) {
        return NULL;
    }
    if (BSON_ITER_HOLDS_OID(id) && oid_ok) {
        char hex[25];

        bson_oid_to_string(bson_iter_oid(id), hex);
        return apr_pstrdup(p, hex);
    }
    return required_text(p, id, &s) == 0 ? s : NULL;
}

int invite_sync_parse_sub(apr_pool_t *p, const bson_t *doc,
                          invite_sync_sub_t *s, const char **why)
{
    bson_iter_t it, f;
    uint32_t len;

    memset(s, 0, sizeof(*s));
    if (required_text(p, subfield(field(doc, "u", &it), "_id", &f),
                      &s->user_id) != 0) {
        *why = "u._id is missing or not a string";
        return -1;
    }
    if (required_text(p, field(doc, "rid", &it), &s->rid) != 0) {
        *why = "rid is missing or not a string";
        return -1;
    }
    if (text_list(p, field(doc, "roles", &it), &s->roles) != 0) {
        *why = "roles is not an array of strings";
        return -1;
    }
    /* Rocket.Chat 8.4 and later mark a banned member's subscription
     * 'BANNED'; anything else is no ban. */
    if (field(doc, "status", &it) && BSON_ITER_HOLDS_UTF8(&it)
        && !strcmp(bson_iter_utf8(&it, &len), "BANNED") && len == 6) {
        s->status = "BANNED";
    }
    s->sub_id = invite_sync_parse_key(p, field(doc, "_id", &it), 1);
    return 0;
}

int invite_sync_parse_perm(apr_pool_t *p, const bson_t *doc,
                           invite_sync_perm_t *perm, const char **why)
{
    bson_iter_t it;
    const bson_iter_t *roles;

    memset(perm, 0, sizeof(*perm));
    if (required_text(p, field(doc, "_id", &it), &perm->id) != 0) {
        *why = "_id is missing or not a string";
        return -1;
    }
    roles = field(doc, "roles", &it);
    if (is_undef(roles)) {
        *why = "roles is missing";
        return -1;
    }
    if (text_list(p, roles, &perm->roles) != 0) {
        *why = "roles is not an array of strings";
        return -1;
    }
    return 0;
}

/* Perl's integer(): *out the whole number in decimal (NULL when undef);
 * -1 when it is none.  The import took a JSON number or a string that
 * reads /\A-?\d{1,18}(\.0*)?\z/: an int32 or int64 of at most 18 digits,
 * an integral double below 1e15 (Perl prints larger ones with an
 * exponent), or such a string.  Then in [min, max]: an invite's numbers
 * are integer columns (beyond them, the import's SQL failed on
 * PostgreSQL). */
static int integer(apr_pool_t *p, const bson_iter_t *it, apr_int64_t min,
                   apr_int64_t max, const char **out)
{
    apr_int64_t v;

    *out = NULL;
    if (is_undef(it)) {
        return 0;
    }
    switch (bson_iter_type(it)) {
    case BSON_TYPE_INT32:
        v = bson_iter_int32(it);
        break;
    case BSON_TYPE_INT64:
        v = bson_iter_int64(it);
        if (v > 999999999999999999LL || v < -999999999999999999LL) {
            return -1;
        }
        break;
    case BSON_TYPE_DOUBLE: {
        double d = bson_iter_double(it);

        if (!(d > -1e15 && d < 1e15) || d != (double)(apr_int64_t)d) {
            return -1;
        }
        v = (apr_int64_t)d;
        break;
    }
    case BSON_TYPE_UTF8: {
        uint32_t len, i = 0, digits = 0;
        const char *s = bson_iter_utf8(it, &len);
        int neg = len > 0 && s[0] == '-';

        v = 0;
        for (i = neg; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            v = v * 10 + (s[i] - '0');
            if (++digits > 18) {
                return -1;
            }
        }
        if (!digits) {
            return -1;
        }
        if (i < len && s[i] == '.') {
            for (i++; i < len && s[i] == '0'; i++) {
            }
        }
        if (i != len) {
            return -1;
        }
        v = neg ? -v : v;
        break;
    }
    default:
        return -1;
    }
    if (v < min || v > max) {
        return -1;
    }
    *out = apr_psprintf(p, "%" APR_INT64_T_FMT, v);
    return 0;
}

/* An epoch-ms date in decimal: 0 with *out (NULL when undef), or -1. */
static int date_text(apr_pool_t *p, const bson_iter_t *it, const char **out)
{
    apr_int64_t ms;
    int r = epoch_ms(it, &ms);

    *out = r > 0 ? apr_psprintf(p, "%" APR_INT64_T_FMT, ms) : NULL;
    return r < 0 ? -1 : 0;
}

#define INT32_LIMIT 2147483647

int invite_sync_parse_invite(apr_pool_t *p, const bson_t *doc,
                             invite_sync_invite_t *inv, const char **why)
{
    /* Each field checked as the import checked it; the first that
     * fails is the reason. */
    static const char *const dates[] = { "createdAt", "expires",
                                         "_updatedAt" };
    static const char *const numbers[] = { "days", "maxUses", "uses" };
    static const char *const texts[] = { "_id", "rid", "userId" };
    const char **date_out[] = { &inv->created_at, &inv->expires,
                                &inv->updated_at };
    const char **number_out[] = { &inv->days, &inv->max_uses, &inv->uses };
    const char **text_out[] = { &inv->id, &inv->rid, &inv->user_id };
    bson_iter_t it;
    int i;

    memset(inv, 0, sizeof(*inv));
    for (i = 0; i < 3; i++) {
        if (date_text(p, field(doc, dates[i], &it), date_out[i]) != 0) {
            *why = apr_pstrcat(p, dates[i], " is not a date", NULL);
            return -1;
        }
        if (integer(p, field(doc, numbers[i], &it), -INT32_LIMIT - 1,
                    INT32_LIMIT, number_out[i]) != 0) {
            *why = apr_pstrcat(p, numbers[i], " is not an integer", NULL);
            return -1;
        }
        if (required_text(p, field(doc, texts[i], &it), text_out[i]) != 0) {
            *why = apr_pstrcat(p, texts[i], " is missing or not a string",
                               NULL);
            return -1;
        }
    }
    /* Required: createdAt, days, maxUses; uses 0 and _updatedAt
     * createdAt when absent; expires NULL: never. */
    if (!inv->created_at || !inv->days || !inv->max_uses) {
        *why = !inv->created_at ? "createdAt is missing"
               : !inv->days ? "days is missing" : "maxUses is missing";
        return -1;
    }
    if (!inv->uses) {
        inv->uses = "0";
    }
    if (!inv->updated_at) {
        inv->updated_at = inv->created_at;
    }
    return 0;
}
