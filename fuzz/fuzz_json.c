/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_json.c - response bodies from arbitrary values: invite_json_invite,
 * invite_json_invite_object, invite_json_meteor_error,
 * invite_json_plain_error, invite_json_invalid_params, invite_json_use,
 * invite_json_valid, invite_json_dump (with its lower-case \u escapes),
 * and invite_find_error_body / invite_use_error_body for every outcome
 * with arbitrary facts (and the outcomes invite_find_decide and
 * invite_use_decide pick from them).
 *
 * Input: newline-separated fields:
 *   0 flags: a authenticated, g granted, s subscribed, f found, i invite
 *     found, r room found, e has expires, v valid; N no schema error,
 *     T no room type, R no rid, K no token, E no error, P no reason,
 *     M no method, F no field, and p n m t drop room members
 *   1 numbers: days maxUses uses createdAt expires updatedAt now
 *   2-5 strings: id/error/token, rid/reason/schema error,
 *     userId/method/room type, url/field
 *   6 the rest: JSON text for invite_json_dump
 *
 * Properties: every body is NULL only when a string is not UTF-8 (or a
 * time is outside JavaScript's range) and otherwise reads back as an
 * object with the values and key order given; error statuses are 400, 401
 * or 500, and 500 only for outcomes that are not errors; decided outcomes
 * agree with the facts; dump output reads back equal.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "fuzz_common.h"
#include "invite_core.h"
#include "invite_find.h"
#include "invite_use.h"

#define JS_MAX_MS 8640000000000000LL

static char *flags;

static int flag(char c)
{
    return strchr(flags, c) != NULL;
}

/* The string unless flag c says NULL. */
static const char *opt(char c, const char *s)
{
    return flag(c) ? NULL : s;
}

static void check_keys(json_t *o, const char *const *keys, size_t n,
                       const char *text)
{
    void *it = json_object_iter(o);

    for (size_t i = 0; i < n; i++, it = json_object_iter_next(o, it))
        FZ_CHECK(it && !strcmp(json_object_iter_key(it), keys[i]), text);
    FZ_CHECK(it == NULL, text);
}

static int in_range(long long ms)
{
    return ms >= -JS_MAX_MS && ms <= JS_MAX_MS;
}

static void check_invite(const invite_record_t *inv, const char *url)
{
    static const char *const keys[] = {
        "_id", "days", "maxUses", "rid", "userId", "createdAt", "expires",
        "url", "uses", "_updatedAt", "success"
    };
    int ok = fz_utf8_ok(inv->id) && fz_utf8_ok(inv->rid)
             && fz_utf8_ok(inv->user_id) && fz_utf8_ok(url)
             && in_range(inv->created_at) && in_range(inv->updated_at)
             && (!inv->has_expires || in_range(inv->expires));
    const char *text = invite_json_invite(fz_pool, inv, url);
    json_t *o = invite_json_invite_object(fz_pool, inv, url);
    json_t *b;

    FZ_CHECK(!text == !ok && !o == !ok, text);
    if (!ok)
        return;
    {
        /* the listInvites element is the same text without "success" */
        const char *obj = invite_json_dump(fz_pool, o);

        FZ_CHECK(!strcmp(text, apr_pstrcat(fz_pool,
                                           apr_pstrndup(fz_pool, obj,
                                                        strlen(obj) - 1),
                                           ",\"success\":true}", NULL)),
                 text);
    }
    b = fz_reparse_object(text);
    check_keys(b, keys, sizeof keys / sizeof keys[0], text);
    FZ_CHECK(!strcmp(fz_get_str(b, "_id"), inv->id)
             && !strcmp(fz_get_str(b, "rid"), inv->rid)
             && !strcmp(fz_get_str(b, "userId"), inv->user_id)
             && !strcmp(fz_get_str(b, "url"), url)
             && json_integer_value(json_object_get(b, "days")) == inv->days
             && json_integer_value(json_object_get(b, "maxUses"))
                    == inv->max_uses
             && json_integer_value(json_object_get(b, "uses")) == inv->uses
             && json_is_true(json_object_get(b, "success")), text);
    FZ_CHECK(!strcmp(fz_get_str(b, "createdAt"),
                     invite_time_iso(fz_pool, inv->created_at)), text);
    FZ_CHECK(inv->has_expires ? json_is_string(json_object_get(b, "expires"))
                              : json_is_null(json_object_get(b, "expires")),
             text);
    json_decref(b);
}

static void check_meteor(const char *error, const char *reason,
                         const char *method, const char *field)
{
    const char *text = invite_json_meteor_error(fz_pool, error, reason,
                                                method, field);
    int ok = fz_utf8_ok(error) && (!reason || fz_utf8_ok(reason))
             && (!method || (fz_utf8_ok(method)
                             && (!field || fz_utf8_ok(field))));
    json_t *b, *d;

    FZ_CHECK(!text == !ok, text);
    if (!ok)
        return;
    b = fz_reparse_object(text);
    FZ_CHECK(json_is_false(json_object_get(b, "success")), text);
    FZ_CHECK(!strcmp(fz_get_str(b, "error"),
                     reason ? apr_psprintf(fz_pool, "%s [%s]", reason, error)
                            : apr_psprintf(fz_pool, "[%s]", error)), text);
    FZ_CHECK(!strcmp(fz_get_str(b, "errorType"), error), text);
    d = json_object_get(b, "details");
    FZ_CHECK(!d == !method, text);
    if (d) {
        FZ_CHECK(!strcmp(fz_get_str(d, "method"), method), text);
        FZ_CHECK(field ? !strcmp(fz_get_str(d, "field"), field)
                       : json_object_get(d, "field") == NULL, text);
    }
    json_decref(b);
}

/* plain_error and invalid_params: {"success":false,..,"error":message} */
static void check_message(const char *text, const char *message)
{
    json_t *b;

    FZ_CHECK(!text == !fz_utf8_ok(message), message);
    if (!text)
        return;
    b = fz_reparse_object(text);
    FZ_CHECK(json_is_false(json_object_get(b, "success"))
             && !strcmp(fz_get_str(b, "error"), message), text);
    json_decref(b);
}

static void check_use(const invite_room_t *room)
{
    const char *vals[] = { room->rid, room->prid, room->fname, room->name,
                           room->t };
    const char *keys[] = { "rid", "prid", "fname", "name", "t" };
    const char *text = invite_json_use(fz_pool, room);
    int ok = 1;
    json_t *b, *r;

    for (size_t i = 0; i < 5; i++)
        ok &= !vals[i] || fz_utf8_ok(vals[i]);
    FZ_CHECK(!text == !ok, text);
    if (!text)
        return;
    b = fz_reparse_object(text);
    r = json_object_get(b, "room");
    FZ_CHECK(json_is_object(r) && json_is_true(json_object_get(b, "success")),
             text);
    for (size_t i = 0; i < 5; i++)
        FZ_CHECK(vals[i] ? !strcmp(fz_get_str(r, keys[i]), vals[i])
                         : json_object_get(r, keys[i]) == NULL, text);
    json_decref(b);
}

static void check_dump(const char *json, size_t len)
{
    const size_t dflags = JSON_DECODE_ANY | JSON_ALLOW_NUL;
    json_error_t err;
    json_t *v = json_loadb(json, len, dflags, &err), *back;
    const char *text;

    FZ_CHECK(invite_json_dump(fz_pool, NULL) == NULL, "NULL");
    if (!v)
        return;
    text = invite_json_dump(fz_pool, json_incref(v));
    FZ_CHECK(text != NULL, json);
    fz_check_escapes(text);
    back = json_loads(text, dflags, &err);
    FZ_CHECK(back && json_equal(back, v), text);
    json_decref(back);
    json_decref(v);
}

/* An error body: status 400, 401 or 500 (500: not an error outcome). */
static void check_error_body(const char *text, int status, int is_error,
                             int strings_ok)
{
    FZ_CHECK(status == 400 || status == 401 || status == 500, text);
    FZ_CHECK((status == 500) == !is_error, text);
    FZ_CHECK(!text == !strings_ok, text);
    if (text) {
        json_t *b = fz_reparse_object(text);

        FZ_CHECK(json_is_false(json_object_get(b, "success")), text);
        json_decref(b);
    }
    if (status == 401)
        FZ_CHECK(!strcmp(text, INVITE_JSON_UNAUTHORIZED), text);
}

/* An endpoint's outcomes: the error bodies are those before `first_ok`
 * (then 500), up to `last`; `params` and `not_found` are the outcomes whose
 * body holds the schema error or the room type. */
typedef struct {
    int first_ok, last, params, not_found;
    const char *(*body)(int o, const void *facts, int *status);
} endpoint_t;

static const char *find_body(int o, const void *f, int *status)
{
    return invite_find_error_body(fz_pool, (invite_find_outcome_e)o, f,
                                  status);
}

static const char *use_body(int o, const void *f, int *status)
{
    return invite_use_error_body(fz_pool, (invite_use_outcome_e)o, f, status);
}

static const endpoint_t find_endpoint = {
    INVITE_FIND_RETURN_EXISTING, INVITE_FIND_CREATE,
    INVITE_FIND_INVALID_PARAMS, INVITE_FIND_ROOM_TYPE_NOT_FOUND, find_body
};
static const endpoint_t use_endpoint = {
    INVITE_USE_MEMBER, INVITE_USE_JOIN,
    INVITE_USE_INVALID_PARAMS, INVITE_USE_ROOM_TYPE_NOT_FOUND, use_body
};

/* Every outcome's body, and one past the last (an unknown outcome: 500).
 * The decided outcome's body shows no "(null)" unless the facts do, when
 * `room_type` is given. */
static void check_error_bodies(const endpoint_t *e, const void *facts,
                               const char *schema_error,
                               const char *room_type, int decided)
{
    for (int o = 0; o <= e->last + 1; o++) {
        int status, ok = 1;
        const char *text = e->body(o, facts, &status);

        if (o == e->params)
            ok = fz_utf8_ok(schema_error);
        if (o == e->not_found)
            ok = !room_type || fz_utf8_ok(room_type);
        check_error_body(text, status, o < e->first_ok, ok);
        if (o == decided && text && room_type)
            FZ_CHECK(!strstr(text, "(null)") || strstr(room_type, "(null)")
                     || (schema_error && strstr(schema_error, "(null)")),
                     text);
    }
}

static void check_find(const invite_find_facts_t *f)
{
    invite_find_outcome_e d = invite_find_decide(f);

    FZ_CHECK((d == INVITE_FIND_UNAUTHORIZED) == !f->authenticated, "401");
    if (d == INVITE_FIND_CREATE || d == INVITE_FIND_RETURN_EXISTING) {
        FZ_CHECK(f->authenticated && !f->schema_error && f->rid && *f->rid
                 && f->granted && f->subscribed && f->room_type
                 && invite_room_type_class(f->room_type)
                        == INVITE_ROOM_TYPE_INVITE
                 && invite_days_allowed(f->days)
                 && invite_max_uses_allowed(f->max_uses)
                 && (d == INVITE_FIND_RETURN_EXISTING) == !!f->found,
                 "find decided to answer with an invite");
    }
    /* find never decides "not found" without a room type */
    check_error_bodies(&find_endpoint, f, f->schema_error,
                       f->room_type ? f->room_type : "", (int)d);
}

static void check_use_facts(const invite_use_facts_t *f)
{
    invite_use_outcome_e d = invite_use_decide(f);

    FZ_CHECK((d == INVITE_USE_UNAUTHORIZED) == !f->authenticated, "401");
    if (d == INVITE_USE_JOIN || d == INVITE_USE_MEMBER)
        FZ_CHECK(f->authenticated && !f->schema_error
                 && invite_token_check(f->token, &f->invite, f->now)
                        == INVITE_TOKEN_VALID
                 && f->room_type
                 && invite_room_type_class(f->room_type)
                        == INVITE_ROOM_TYPE_INVITE
                 && (d == INVITE_USE_MEMBER) == !!f->subscribed,
                 "use decided to join");
    /* A room without a type (rooms.t NULL) reads "Room type (null) not
     * found": not checked here. */
    check_error_bodies(&use_endpoint, f, f->schema_error, f->room_type,
                       (int)d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *f[7];
    size_t lens[7];
    long long num[7] = { 0 };
    char *p, *end;
    invite_record_t inv;
    invite_room_t room;
    invite_find_facts_t ff;
    invite_use_facts_t uf;

    fz_split(data, size, 7, f, lens);
    flags = f[0];
    p = f[1];
    for (int i = 0; p && i < 7; i++, p = end) {
        num[i] = strtoll(p, &end, 10);
        if (end == p)
            break;
    }
    for (int i = 2; i < 6; i++)
        if (!f[i])
            f[i] = "";

    memset(&inv, 0, sizeof inv);
    inv.id = f[2];
    inv.rid = f[3];
    inv.user_id = f[4];
    inv.days = num[0];
    inv.max_uses = num[1];
    inv.uses = num[2];
    inv.created_at = num[3];
    inv.has_expires = flag('e');
    inv.expires = num[4];
    inv.updated_at = num[5];
    check_invite(&inv, f[5]);

    check_meteor(opt('E', f[2]), opt('P', f[3]), opt('M', f[4]),
                 opt('F', f[5]));
    for (int i = 2; i < 6; i++) {
        check_message(invite_json_plain_error(fz_pool, f[i]), f[i]);
        check_message(invite_json_invalid_params(fz_pool, f[i]), f[i]);
    }
    FZ_CHECK(invite_json_plain_error(fz_pool, NULL) == NULL
             && invite_json_invalid_params(fz_pool, NULL) == NULL, "NULL");

    room.rid = f[3];
    room.prid = opt('p', f[2]);
    room.fname = opt('n', f[5]);
    room.name = opt('m', f[4]);
    room.t = opt('t', f[4]);
    check_use(&room);

    FZ_CHECK(!strcmp(invite_json_valid(fz_pool, flag('v') && num[0] != 0),
                     flag('v') && num[0] ? "{\"valid\":true,\"success\":true}"
                                         : "{\"valid\":false,\"success\":true}"),
             "valid");

    check_dump(f[6] ? f[6] : "", lens[6]);

    memset(&ff, 0, sizeof ff);
    ff.authenticated = flag('a');
    ff.schema_error = opt('N', f[3]);
    ff.rid = opt('R', f[3]);
    ff.days = num[0];
    ff.max_uses = num[1];
    ff.granted = flag('g');
    ff.subscribed = flag('s');
    ff.room_type = opt('T', f[4]);
    ff.found = flag('f');
    check_find(&ff);

    memset(&uf, 0, sizeof uf);
    uf.authenticated = flag('a');
    uf.schema_error = opt('N', f[3]);
    uf.token = opt('K', f[2]);
    uf.invite.invite_found = flag('i');
    uf.invite.room_found = flag('r');
    uf.invite.has_expires = flag('e');
    uf.invite.expires = num[4];
    uf.invite.uses = num[2];
    uf.invite.max_uses = num[1];
    uf.room_type = opt('T', f[4]);
    uf.subscribed = flag('s');
    uf.now = num[6];
    check_use_facts(&uf);

    fz_done();
    return 0;
}
