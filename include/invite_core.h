/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_core.h - the httpd-free core of mod_invite.
 *
 * Everything declared here depends only on APR, jansson and OpenSSL's
 * libcrypto, so it is unit-tested without httpd (t/unit/).  The httpd glue
 * (mod_invite*.c, src/handle/) calls into it.
 *
 * Times are milliseconds since the Unix epoch, UTC, as stored in the
 * database (Rocket.Chat keeps millisecond precision).
 */
#ifndef INVITE_CORE_H
#define INVITE_CORE_H

#include <apr_pools.h>
#include <apr_time.h>
#include <jansson.h>

/* ---------------------------------------------------------------- ids */

#define INVITE_ID_LEN 6
/* Meteor's Random.id alphabet (UNMISTAKABLE_CHARS): no 0 1 I O U V l */
#define INVITE_ID_ALPHABET \
    "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"

#define INVITE_ID_MAX_LEN 64   /* InviteIdLength's upper bound */

/* Fills out[0..INVITE_ID_LEN-1] from apr_generate_random_bytes without
 * modulo bias and NUL-terminates it. */
apr_status_t invite_id_generate(char out[INVITE_ID_LEN + 1]);
/* The same for `len` symbols (1..INVITE_ID_MAX_LEN; else APR_EINVAL);
 * out holds len + 1 bytes. */
apr_status_t invite_id_generate_len(char *out, int len);

/* 1 if s is INVITE_ID_LEN characters of INVITE_ID_ALPHABET. */
int invite_id_is_valid(const char *s);

/* -------------------------------------------------------------- tokens */

#define INVITE_TOKEN_HASH_LEN 44 /* padded base64 of 32 bytes */

/* Fetches OpenSSL's SHA-256 once, until p is cleared (call it before
 * threads hash; without it every hash looks the digest up by name). */
apr_status_t invite_token_init(apr_pool_t *p);

#define INVITE_SHA256_LEN 32

/* SHA-256 of len bytes into md; 0 on failure. */
int invite_sha256(const void *data, apr_size_t len,
                  unsigned char md[INVITE_SHA256_LEN]);

/* Rocket.Chat's stored login-token form: base64(SHA-256(token)). */
const char *invite_token_hash(apr_pool_t *p, const char *token);

/* Constant-time equality of two token hashes (CRYPTO_memcmp); 0 when
 * either is NULL or the lengths differ. */
int invite_token_hash_equal(const char *a, const char *b);

/* 1 if `hash` equals one of the space-separated hashes in `list` (NULL or
 * "" for none).  Every entry is compared, in constant time, whether or not
 * an earlier one matched. */
int invite_token_hash_in_list(const char *hash, const char *list);

/* --------------------------------------------------------------- time */

typedef long long invite_ms_t;

/* Milliseconds in a day: expiry days, login-token expiration, purge. */
#define INVITE_MS_PER_DAY 86400000LL

invite_ms_t invite_time_now_ms(void);

/* createdAt plus `days` calendar days in the server's local time zone,
 * keeping the wall-clock time (JavaScript's setDate(getDate() + days)). */
invite_ms_t invite_time_add_days(invite_ms_t created, int days);

/* "2020-07-21T09:32:09.563Z" */
const char *invite_time_iso(apr_pool_t *p, invite_ms_t ms);

/* A time stored as text in epoch ms (sync_state's values): 1 with *ms
 * when s is a whole number (an optional '-', 1 to 18 digits), else 0
 * (NULL, "", anything else). */
int invite_time_parse_ms(const char *s, invite_ms_t *ms);

/* Whole seconds from `then` to `now` (epoch ms), rounded down; 0 when
 * `then` is later (a writer's clock a little ahead). */
long long invite_time_age_s(invite_ms_t then, invite_ms_t now);

/* ---------------------------------------------------------------- URL */

typedef struct {
    const char *site_url;      /* Site_Url, e.g. https://chat.example.com/chat */
    int direct;                /* Accounts_Registration_InviteUrlType == direct */
    const char *deep_link_url; /* DeepLink_Url, default https://go.rocket.chat */
    const char *cdn_prefix;    /* CDN_PREFIX, may be NULL or "" */
} invite_url_cfg_t;

#define INVITE_DEFAULT_DEEP_LINK_URL "https://go.rocket.chat"

/* Rocket.Chat's getInviteUrl(): proxy or direct invite link for an id. */
const char *invite_url_build(apr_pool_t *p, const invite_url_cfg_t *cfg,
                             const char *invite_id);

/* What is wrong with `url` as the value of a URL setting (InviteSiteUrl,
 * InviteDeepLinkUrl, InviteCdnPrefix), or NULL when it is usable: an
 * absolute http or https URL (scheme in lowercase, as getURL's
 * "http://" test for &secure=no is case-sensitive) with a host, an
 * optional port and path, no user name or password, no query, no
 * fragment, and no character that must be percent-encoded. */
const char *invite_url_setting_error(apr_pool_t *p, const char *url);

/* JavaScript encodeURIComponent over the bytes of a UTF-8 string. */
const char *invite_url_encode_component(apr_pool_t *p, const char *s);

/* --------------------------------------------------------- room types */

/* Room types registered in Rocket.Chat and whether their members may be
 * invited (allowMemberAction(room, 'invite')): c, p and l may; d and v
 * may not; any other type is unknown ("Room type X not found"). */
typedef enum {
    INVITE_ROOM_TYPE_UNKNOWN,
    INVITE_ROOM_TYPE_NO_INVITE,
    INVITE_ROOM_TYPE_INVITE
} invite_room_type_e;

invite_room_type_e invite_room_type_class(const char *t);

/* ------------------------------------------------- request body schema */

typedef enum {
    INVITE_FIELD_STRING,
    INVITE_FIELD_INTEGER,
    /* {type: array, items: {type: string}}: coerceTypes without 'array'
     * wraps no scalar ("must be array"); items coerce as strings. */
    INVITE_FIELD_STRING_ARRAY
} invite_field_type_e;

typedef struct {
    const char *name;
    invite_field_type_e type;
} invite_field_t;

/* An ajv-style object schema: every field required, no additional
 * properties, types coerced as ajv's coerceTypes: true does. */
typedef struct {
    const invite_field_t *fields;
    int nfields;
} invite_schema_t;

/* How Rocket.Chat's router reads a body of this Content-Type (may be
 * NULL): only JSON and form bodies become parameters; the others are
 * ignored (the route sees {}). */
typedef enum {
    INVITE_BODY_JSON,        /* application/json anywhere in the value */
    INVITE_BODY_FORM,        /* application/x-www-form-urlencoded */
    INVITE_BODY_MULTIPART,   /* multipart/form-data: left to routes */
    INVITE_BODY_OTHER,       /* any other type */
    INVITE_BODY_NO_TYPE      /* no Content-Type at all */
} invite_body_kind_e;
invite_body_kind_e invite_body_kind(const char *content_type);

/* Parses a request body the way Rocket.Chat's router does for the given
 * Content-Type (may be NULL).  Never fails: unparseable JSON is {}.
 * The caller owns the returned reference (json_decref). */
json_t *invite_body_parse(const char *content_type, const char *body,
                          apr_size_t len);

/* Validates and coerces `body` in place against `schema` in ajv's keyword
 * order.  Returns NULL when valid, else ajv's message for the first error
 * (e.g. "must have required property 'rid'"), allocated from p.
 * On success every field is present with a json string or json integer. */
const char *invite_schema_validate(apr_pool_t *p, const invite_schema_t *schema,
                                   json_t *body);

/* -------------------------------------------------------------- JSON out */

typedef struct {
    const char *id;
    long long days;
    long long max_uses;
    const char *rid;
    const char *user_id;
    invite_ms_t created_at;
    int has_expires;           /* 0: "expires": null */
    invite_ms_t expires;
    long long uses;
    invite_ms_t updated_at;
} invite_record_t;

/* Serialises a json value compactly (as JSON.stringify does) into p and
 * drops the reference.  NULL if v is NULL or cannot be dumped. */
const char *invite_json_dump(apr_pool_t *p, json_t *v);

/* The invite object of findOrCreateInvite without `success` (a new
 * reference, NULL on failure), with url as given: listInvites' elements. */
json_t *invite_json_invite_object(apr_pool_t *p, const invite_record_t *inv,
                                  const char *url);

/* The findOrCreateInvite success body: the invite in Rocket.Chat's key
 * order with `url` in its place, then "success": true. */
const char *invite_json_invite(apr_pool_t *p, const invite_record_t *inv,
                               const char *url);

/* Meteor.Error(error, reason, details) as the REST layer sends it:
 * {"success":false,"error":"<reason> [<error>]","errorType":<error>,
 *  "details":{"method":..,"field":..}}; reason, method and field may be
 * NULL (no reason: "[<error>]"; no method: no details). */
const char *invite_json_meteor_error(apr_pool_t *p, const char *error,
                                     const char *reason, const char *method,
                                     const char *field);

/* The Rocket.Chat release whose answers are reproduced when the
 * configuration names none: 9.0, the newest. */
#define INVITE_RC_VERSION_DEFAULT 9

/* A refusal as the selected Rocket.Chat release answers it.  From 9.0.0
 * (PR #43214) the REST layer answers the codes error-not-allowed,
 * not-allowed, not-authorized, not_authorized, no-permission and
 * error-not-authorized-federation with 403
 * {"success":false,"error":<message>,"errorType":"error-forbidden"}, the
 * message as Meteor.Error builds it ("<reason> [<error>]" or "[<error>]");
 * before, and for every other code, it is invite_json_meteor_error()'s
 * 400.  *status is set to the status. */
const char *invite_json_refusal(apr_pool_t *p, int rc_version,
                                const char *error, const char *reason,
                                const char *method, const char *field,
                                int *status);

/* {"error":<message>,"success":false}: what a route answers that catches
 * its own error (sendInvitationEmail's API.v1.failure({error})). */
const char *invite_json_route_failure(apr_pool_t *p, const char *message);

/* {"success":false,"error":<message>} */
const char *invite_json_plain_error(apr_pool_t *p, const char *message);

/* {"success":false,"errorType":"invalid-params","error":<message>} */
const char *invite_json_invalid_params(apr_pool_t *p, const char *message);

/* The exact 401 body of a released Rocket.Chat server. */
#define INVITE_JSON_UNAUTHORIZED \
    "{\"success\":false,\"error\":\"You must be logged in to do this.\"," \
    "\"status\":\"error\",\"message\":\"You must be logged in to do this.\"}"

#endif /* INVITE_CORE_H */
