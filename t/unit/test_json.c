/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_json.c - response bodies byte for byte (docs/api.md: #error-shapes,
 * the bodies of #find-check-order, #find-success: body and key order).
 */
#include <limits.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <jansson.h>

#include "invite_core.h"
#include "tap.h"

static apr_pool_t *pool;

#define CREATED 1595323929563LL /* 2020-07-21T09:32:09.563Z */
#define DAY_MS 86400000LL

/* The new invite of the example in docs/api.md#find-success. */
static invite_record_t example(void)
{
    invite_record_t r;

    memset(&r, 0, sizeof(r));
    r.id = "z6ag6J";
    r.days = 1;
    r.max_uses = 10;
    r.rid = "GENERAL";
    r.user_id = "aavXXXX";
    r.created_at = CREATED;
    r.has_expires = 1;
    r.expires = CREATED + DAY_MS;
    r.uses = 0;
    r.updated_at = CREATED + 2;
    return r;
}

#define EXAMPLE_URL \
    "https://go.rocket.chat/invite?host=chat.example.com&path=invite%2Fz6ag6J"

static void test_dump(void)
{
    json_t *v;

    ok(invite_json_dump(pool, NULL) == NULL, "dump(NULL) is NULL");
    is_str(invite_json_dump(pool, json_true()), "true",
           "bare true (removeInvite's body)");
    is_str(invite_json_dump(pool, json_false()), "false", "bare false");
    is_str(invite_json_dump(pool, json_null()), "null", "bare null");
    is_str(invite_json_dump(pool, json_integer(-42)), "-42", "bare integer");
    is_str(invite_json_dump(pool, json_string("a")), "\"a\"", "bare string");
    is_str(invite_json_dump(pool, json_array()), "[]", "empty array");
    is_str(invite_json_dump(pool, json_object()), "{}", "empty object");
    is_str(invite_json_dump(pool, json_pack("[{s:i},{s:n}]", "a", 1, "b")),
           "[{\"a\":1},{\"b\":null}]",
           "array of objects, compact (listInvites' shape)");
    is_str(invite_json_dump(pool, json_pack("{s:i,s:i,s:i,s:i}", "z", 1, "a",
                                            2, "m", 3, "_id", 4)),
           "{\"z\":1,\"a\":2,\"m\":3,\"_id\":4}",
           "insertion order kept, no sorting, no spaces");
    is_str(invite_json_dump(pool, json_pack("{s:{s:[i,i]}}", "k", "l", 1, 2)),
           "{\"k\":{\"l\":[1,2]}}", "nested, no whitespace");
    is_str(invite_json_dump(pool, json_string("/\xc3\xa9\xe2\x80\xa8\x7f")),
           "\"/\xc3\xa9\xe2\x80\xa8\x7f\"",
           "slash, UTF-8, U+2028 and DEL unescaped (JSON.stringify)");
    is_str(invite_json_dump(pool, json_string("\"\\\n\r\t\b\f")),
           "\"\\\"\\\\\\n\\r\\t\\b\\f\"", "short escapes");
    /* Control characters as JSON.stringify writes them: lower-case hex. */
    {
        char ctl[40], want[300], *w = want;
        int c, k = 0;
        for (c = 1; c < 0x20; c++) {
            ctl[k++] = (char)c;
        }
        ctl[k] = '\0';
        *w++ = '"';
        for (c = 1; c < 0x20; c++) {
            const char *shortesc = c == '\b' ? "\\b" : c == '\f' ? "\\f"
                : c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t"
                : NULL;
            w += shortesc ? sprintf(w, "%s", shortesc)
                          : sprintf(w, "\\u%04x", c);
        }
        *w++ = '"';
        *w = '\0';
        is_str(invite_json_dump(pool, json_string(ctl)), want,
               "every control character escaped in lower-case hex");
    }
    is_str(invite_json_dump(pool, json_string("\\u001F \x1f")),
           "\"\\\\u001F \\u001f\"",
           "an escaped backslash before 'u001F' is text, left as it is");
    is_str(invite_json_dump(pool, json_integer(LLONG_MAX)),
           "9223372036854775807", "64-bit integer");

    /* The reference is dropped. */
    v = json_object();
    json_incref(v);
    is_str(invite_json_dump(pool, v), "{}", "dump of a shared object");
    is_int(v->refcount, 1, "dump drops exactly one reference");
    json_decref(v);
}

static void test_invite(void)
{
    invite_record_t r = example();
    const char *got;

    got = invite_json_invite(pool, &r, EXAMPLE_URL);
    is_str(got,
           "{\"_id\":\"z6ag6J\",\"days\":1,\"maxUses\":10,\"rid\":\"GENERAL\","
           "\"userId\":\"aavXXXX\",\"createdAt\":\"2020-07-21T09:32:09.563Z\","
           "\"expires\":\"2020-07-22T09:32:09.563Z\",\"url\":\"https://go."
           "rocket.chat/invite?host=chat.example.com&path=invite%2Fz6ag6J\","
           "\"uses\":0,\"_updatedAt\":\"2020-07-21T09:32:09.565Z\","
           "\"success\":true}",
           "docs/api.md#find-success example, byte for byte");

    r.days = 0;
    r.max_uses = 0;
    r.has_expires = 0;
    r.expires = CREATED + DAY_MS;    /* ignored */
    is_str(invite_json_invite(pool, &r, EXAMPLE_URL),
           "{\"_id\":\"z6ag6J\",\"days\":0,\"maxUses\":0,\"rid\":\"GENERAL\","
           "\"userId\":\"aavXXXX\",\"createdAt\":\"2020-07-21T09:32:09.563Z\","
           "\"expires\":null,\"url\":\"https://go."
           "rocket.chat/invite?host=chat.example.com&path=invite%2Fz6ag6J\","
           "\"uses\":0,\"_updatedAt\":\"2020-07-21T09:32:09.565Z\","
           "\"success\":true}",
           "never-expiring, unlimited: \"expires\":null");

    r = example();
    r.days = 30;
    r.max_uses = 100;
    r.expires = CREATED + 30 * DAY_MS;
    r.uses = 99;
    r.updated_at = CREATED + 5 * DAY_MS;
    r.id = "99ScEP";
    r.rid = "a\"b\\c/\xc3\xa9";
    r.user_id = "";
    is_str(invite_json_invite(pool, &r,
                              "https://chat.example.com/invite/99ScEP"),
           "{\"_id\":\"99ScEP\",\"days\":30,\"maxUses\":100,"
           "\"rid\":\"a\\\"b\\\\c/\xc3\xa9\",\"userId\":\"\","
           "\"createdAt\":\"2020-07-21T09:32:09.563Z\","
           "\"expires\":\"2020-08-20T09:32:09.563Z\","
           "\"url\":\"https://chat.example.com/invite/99ScEP\","
           "\"uses\":99,\"_updatedAt\":\"2020-07-26T09:32:09.563Z\","
           "\"success\":true}",
           "direct URL, uses 99, escaped rid, empty userId");

    r = example();
    r.created_at = 0;
    r.expires = 0;
    r.updated_at = 999;
    is_str(invite_json_invite(pool, &r, ""),
           "{\"_id\":\"z6ag6J\",\"days\":1,\"maxUses\":10,\"rid\":\"GENERAL\","
           "\"userId\":\"aavXXXX\",\"createdAt\":\"1970-01-01T00:00:00.000Z\","
           "\"expires\":\"1970-01-01T00:00:00.000Z\",\"url\":\"\","
           "\"uses\":0,\"_updatedAt\":\"1970-01-01T00:00:00.999Z\","
           "\"success\":true}",
           "epoch times keep .000 milliseconds; empty url kept");

    /* A value jansson cannot hold: no body rather than a broken one. */
    r = example();
    ok(invite_json_invite(pool, &r, NULL) == NULL, "NULL url: NULL");
    r.rid = "\xff\xfe";
    ok(invite_json_invite(pool, &r, EXAMPLE_URL) == NULL,
       "invalid UTF-8 rid: NULL");
    r = example();
    r.id = NULL;
    ok(invite_json_invite(pool, &r, EXAMPLE_URL) == NULL, "NULL id: NULL");
}

static void test_meteor_error(void)
{
    is_str(invite_json_meteor_error(pool, "not_authorized", NULL, NULL, NULL),
           "{\"success\":false,\"error\":\"[not_authorized]\","
           "\"errorType\":\"not_authorized\"}",
           "no reason: \"[error]\", no details (#error-shapes)");

    is_str(invite_json_meteor_error(pool, "invalid-number-of-days",
               "Invite should expire in 1, 7, 15 or 30 days, or send 0 to "
               "never expire.", NULL, NULL),
           "{\"success\":false,\"error\":\"Invite should expire in 1, 7, 15 "
           "or 30 days, or send 0 to never expire. [invalid-number-of-days]\","
           "\"errorType\":\"invalid-number-of-days\"}",
           "reason, no details (row 12)");

    is_str(invite_json_meteor_error(pool, "error-room-type-not-allowed",
               "Cannot create invite links for this room type",
               "findOrCreateInvite", NULL),
           "{\"success\":false,\"error\":\"Cannot create invite links for "
           "this room type [error-room-type-not-allowed]\",\"errorType\":"
           "\"error-room-type-not-allowed\",\"details\":{\"method\":"
           "\"findOrCreateInvite\"}}",
           "details with method only (row 10)");

    is_str(invite_json_meteor_error(pool, "error-the-field-is-required",
               "The field rid is required", "findOrCreateInvite", "rid"),
           "{\"success\":false,\"error\":\"The field rid is required "
           "[error-the-field-is-required]\",\"errorType\":"
           "\"error-the-field-is-required\",\"details\":{\"method\":"
           "\"findOrCreateInvite\",\"field\":\"rid\"}}",
           "details with method then field (row 5)");

    is_str(invite_json_meteor_error(pool, "not_authorized", NULL,
                                    "findOrCreateInvite", "rid"),
           "{\"success\":false,\"error\":\"[not_authorized]\","
           "\"errorType\":\"not_authorized\",\"details\":{\"method\":"
           "\"findOrCreateInvite\",\"field\":\"rid\"}}",
           "no reason, with details");

    is_str(invite_json_meteor_error(pool, "e", "r", NULL, "rid"),
           "{\"success\":false,\"error\":\"r [e]\",\"errorType\":\"e\"}",
           "field without method: no details");

    is_str(invite_json_meteor_error(pool, "error-invalid-room",
               "Say \"hi\" \\ %s", "m", NULL),
           "{\"success\":false,\"error\":\"Say \\\"hi\\\" \\\\ %s "
           "[error-invalid-room]\",\"errorType\":\"error-invalid-room\","
           "\"details\":{\"method\":\"m\"}}",
           "reason escaped and not a format");

    ok(invite_json_meteor_error(pool, NULL, NULL, NULL, NULL) == NULL,
       "NULL error: NULL");
    ok(invite_json_meteor_error(pool, "e", "\xc3", NULL, NULL) == NULL,
       "invalid UTF-8 reason: NULL");
    ok(invite_json_meteor_error(pool, "e", "r", "\xc3", NULL) == NULL,
       "invalid UTF-8 method: NULL");
    ok(invite_json_meteor_error(pool, "e", "r", "m", "\xc3") == NULL,
       "invalid UTF-8 field: NULL");
}

static void test_plain_and_params(void)
{
    is_str(invite_json_plain_error(pool, "Room type x not found"),
           "{\"success\":false,\"error\":\"Room type x not found\"}",
           "plain Error: no errorType (#error-shapes)");
    is_str(invite_json_plain_error(pool, ""),
           "{\"success\":false,\"error\":\"\"}", "plain, empty message");
    is_str(invite_json_plain_error(pool, "a\"b\\c\n"),
           "{\"success\":false,\"error\":\"a\\\"b\\\\c\\n\"}",
           "plain, escaped message");
    ok(invite_json_plain_error(pool, NULL) == NULL, "plain, NULL message: NULL");
    ok(invite_json_plain_error(pool, "\x80") == NULL,
       "plain, invalid UTF-8: NULL");

    is_str(invite_json_invalid_params(pool,
                                      "must have required property 'rid'"),
           "{\"success\":false,\"errorType\":\"invalid-params\","
           "\"error\":\"must have required property 'rid'\"}",
           "invalid-params: errorType before error, no suffix, no details");
    is_str(invite_json_invalid_params(pool, "must be integer"),
           "{\"success\":false,\"errorType\":\"invalid-params\","
           "\"error\":\"must be integer\"}", "invalid-params, must be integer");
    is_str(invite_json_invalid_params(pool, "x \"y\""),
           "{\"success\":false,\"errorType\":\"invalid-params\","
           "\"error\":\"x \\\"y\\\"\"}", "invalid-params, escaped");
    ok(invite_json_invalid_params(pool, NULL) == NULL,
       "invalid-params, NULL message: NULL");
}

/* The refusals of the selected release (docs/api.md#releases). */
static void test_refusal(void)
{
    int status = 0;

    is_str(invite_json_refusal(pool, 8, "not_authorized", NULL, NULL, NULL,
                               &status),
           "{\"success\":false,\"error\":\"[not_authorized]\","
           "\"errorType\":\"not_authorized\"}", "8: not_authorized, 400 body");
    is_int(status, 400, "8: 400");
    is_str(invite_json_refusal(pool, 9, "not_authorized", NULL, NULL, NULL,
                               &status),
           "{\"success\":false,\"error\":\"[not_authorized]\","
           "\"errorType\":\"error-forbidden\"}", "9: error-forbidden");
    is_int(status, 403, "9: 403");
    is_str(invite_json_refusal(pool, 9, "error-not-allowed", "Not allowed",
                               "m", NULL, &status),
           "{\"success\":false,\"error\":\"Not allowed [error-not-allowed]\","
           "\"errorType\":\"error-forbidden\"}", "9: the reason kept, no details");
    is_str(invite_json_refusal(pool, 9, "error-invalid-room", "Bad", "m", "rid",
                               &status),
           "{\"success\":false,\"error\":\"Bad [error-invalid-room]\","
           "\"errorType\":\"error-invalid-room\",\"details\":{\"method\":"
           "\"m\",\"field\":\"rid\"}}", "9: another code stays a 400");
    is_int(status, 400, "9: 400 for it");
    is_str(invite_json_route_failure(pool, "No subject [error-email-send-failed]"),
           "{\"error\":\"No subject [error-email-send-failed]\",\"success\":false}",
           "a route's own failure: error first, no errorType");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);

    test_refusal();

    test_dump();
    test_invite();
    test_meteor_error();
    test_plain_and_params();

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
