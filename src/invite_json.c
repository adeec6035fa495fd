/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_json.c - response bodies, shaped exactly as Rocket.Chat's REST
 * layer sends them (key order matters to byte-for-byte clients).
 */
#include <stdlib.h>
#include <apr_strings.h>

#include "invite_core.h"
#include "invite_use.h"

/* jansson writes "\u001F"; JSON.stringify "\u001f".  Lower-case the hex
 * digits of every \u escape (jansson's output is valid JSON, so a
 * backslash always starts an escape and "\\" is skipped whole). */
static void lower_unicode_escapes(char *s, size_t n)
{
    size_t i = 0, k;

    while (i < n) {
        if (s[i] != '\\' || i + 1 >= n) {
            i++;
            continue;
        }
        if (s[i + 1] == 'u') {
            for (k = i + 2; k < i + 6 && k < n; k++) {
                if (s[k] >= 'A' && s[k] <= 'F') {
                    s[k] = (char)(s[k] - 'A' + 'a');
                }
            }
            i += 6;
        }
        else {
            i += 2;
        }
    }
}

const char *invite_json_dump(apr_pool_t *p, json_t *v)
{
    /* JSON_COMPACT matches JSON.stringify; jansson keeps insertion order. */
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    char buf[1024];
    size_t n;
    char *out = NULL;

    if (!v) {
        return NULL;
    }
    /* Most bodies fit the stack buffer: no heap buffer to grow and free. */
    n = json_dumpb(v, buf, sizeof(buf), flags);
    if (n > 0 && n <= sizeof(buf)) {
        out = apr_pstrmemdup(p, buf, n);
    }
    else if (n > sizeof(buf)) {
        out = apr_palloc(p, n + 1);
        if (json_dumpb(v, out, n, flags) == n) {
            out[n] = '\0';
        }
        else {
            out = NULL;
        }
    }
    if (out) {
        lower_unicode_escapes(out, n);
    }
    json_decref(v);
    return out;
}

/* json_object_set_new that remembers a failure instead of losing it. */
static void set_new(json_t *o, const char *k, json_t *v, int *failed)
{
    if (!v || json_object_set_new(o, k, v) != 0) {
        *failed = 1;
    }
}

json_t *invite_json_invite_object(apr_pool_t *p, const invite_record_t *inv,
                                  const char *url)
{
    json_t *o = json_object();
    int failed = !o;

    if (failed) {
        return NULL;
    }
    set_new(o, "_id", json_string(inv->id), &failed);
    set_new(o, "days", json_integer(inv->days), &failed);
    set_new(o, "maxUses", json_integer(inv->max_uses), &failed);
    set_new(o, "rid", json_string(inv->rid), &failed);
    set_new(o, "userId", json_string(inv->user_id), &failed);
    set_new(o, "createdAt", json_string(invite_time_iso(p, inv->created_at)),
            &failed);
    set_new(o, "expires", inv->has_expires
                ? json_string(invite_time_iso(p, inv->expires)) : json_null(),
            &failed);
    set_new(o, "url", json_string(url), &failed);
    set_new(o, "uses", json_integer(inv->uses), &failed);
    set_new(o, "_updatedAt", json_string(invite_time_iso(p, inv->updated_at)),
            &failed);
    if (failed) {
        json_decref(o);
        return NULL;
    }
    return o;
}

const char *invite_json_invite(apr_pool_t *p, const invite_record_t *inv,
                               const char *url)
{
    json_t *o = invite_json_invite_object(p, inv, url);

    if (o && json_object_set_new(o, "success", json_true()) != 0) {
        json_decref(o);
        return NULL;
    }
    return invite_json_dump(p, o);
}

const char *invite_json_use(apr_pool_t *p, const invite_room_t *room)
{
    json_t *o = json_object(), *r = json_object();
    int failed = !o || !r;
    const char *keys[] = { "rid", "prid", "fname", "name", "t" };
    const char *vals[] = { room->rid, room->prid, room->fname, room->name,
                           room->t };
    size_t i;

    /* Undefined members vanish from JSON.stringify's output. */
    for (i = 0; !failed && i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (vals[i]) {
            set_new(r, keys[i], json_string(vals[i]), &failed);
        }
    }
    if (!failed) {
        set_new(o, "room", r, &failed);
        r = NULL;
        set_new(o, "success", json_true(), &failed);
    }
    json_decref(r);
    if (failed) {
        json_decref(o);
        return NULL;
    }
    return invite_json_dump(p, o);
}

const char *invite_json_valid(apr_pool_t *p, int valid)
{
    return invite_json_dump(p, json_pack("{s:b,s:b}", "valid", valid != 0,
                                         "success", 1));
}

/* Meteor.Error's message: "<reason> [<error>]", or "[<error>]". */
static const char *meteor_message(apr_pool_t *p, const char *error,
                                  const char *reason)
{
    return reason ? apr_psprintf(p, "%s [%s]", reason, error)
                  : apr_psprintf(p, "[%s]", error);
}

const char *invite_json_meteor_error(apr_pool_t *p, const char *error,
                                     const char *reason, const char *method,
                                     const char *field)
{
    json_t *o = json_object();
    int failed = !o;
    const char *message = meteor_message(p, error, reason);

    if (failed) {
        return NULL;
    }
    set_new(o, "success", json_false(), &failed);
    set_new(o, "error", json_string(message), &failed);
    set_new(o, "errorType", json_string(error), &failed);
    if (method) {
        json_t *details = json_object();
        if (details) {
            set_new(details, "method", json_string(method), &failed);
            if (field) {
                set_new(details, "field", json_string(field), &failed);
            }
        }
        set_new(o, "details", details, &failed);
    }
    if (failed) {
        json_decref(o);
        return NULL;
    }
    return invite_json_dump(p, o);
}

/* The codes 9.0's REST layer answers with 403 error-forbidden
 * (apps/meteor/server/api/ApiClass.ts after #43214). */
static int forbidden_in_9(const char *error)
{
    static const char *const codes[] = {
        "error-not-allowed", "not-allowed", "not-authorized",
        "not_authorized", "no-permission", "error-not-authorized-federation",
        NULL
    };
    int i;

    for (i = 0; codes[i]; i++) {
        if (!strcmp(error, codes[i])) {
            return 1;
        }
    }
    return 0;
}

const char *invite_json_refusal(apr_pool_t *p, int rc_version,
                                const char *error, const char *reason,
                                const char *method, const char *field,
                                int *status)
{
    json_t *o;
    int failed;

    if (rc_version < 9 || !forbidden_in_9(error)) {
        *status = 400;
        return invite_json_meteor_error(p, error, reason, method, field);
    }
    *status = 403;
    o = json_object();
    failed = !o;
    if (failed) {
        return NULL;
    }
    set_new(o, "success", json_false(), &failed);
    set_new(o, "error", json_string(meteor_message(p, error, reason)), &failed);
    set_new(o, "errorType", json_string("error-forbidden"), &failed);
    if (failed) {
        json_decref(o);
        return NULL;
    }
    return invite_json_dump(p, o);
}

const char *invite_json_route_failure(apr_pool_t *p, const char *message)
{
    return invite_json_dump(p, json_pack("{s:s,s:b}", "error", message,
                                         "success", 0));
}

const char *invite_json_plain_error(apr_pool_t *p, const char *message)
{
    return invite_json_dump(p, json_pack("{s:b,s:s}", "success", 0,
                                         "error", message));
}

const char *invite_json_invalid_params(apr_pool_t *p, const char *message)
{
    return invite_json_dump(p, json_pack("{s:b,s:s,s:s}", "success", 0,
                                         "errorType", "invalid-params",
                                         "error", message));
}
