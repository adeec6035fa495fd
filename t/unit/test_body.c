/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_body.c - request body parsing by Content-Type and ajv-style schema
 * validation with coercion (docs/api.md#body-parsing and #find-body-schema).
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

static const invite_field_t find_fields[] = {
    {"rid", INVITE_FIELD_STRING},
    {"days", INVITE_FIELD_INTEGER},
    {"maxUses", INVITE_FIELD_INTEGER},
};
static const invite_schema_t find_schema = {find_fields, 3};

static const invite_field_t token_fields[] = {
    {"token", INVITE_FIELD_STRING},
};
static const invite_schema_t token_schema = {token_fields, 1};

#define NOT_INT (-424242LL)

static json_t *parse(const char *ct, const char *text)
{
    return invite_body_parse(ct, text, strlen(text));
}

/* Parses text with ct and validates it; *out keeps the body if given. */
static const char *check(const invite_schema_t *s, const char *ct,
                         const char *text, json_t **out)
{
    json_t *b = parse(ct, text);
    const char *msg = invite_schema_validate(pool, s, b);

    if (out)
        *out = b;
    else
        json_decref(b);
    return msg;
}

static const char *check_json(const char *text, json_t **out)
{
    return check(&find_schema, "application/json", text, out);
}

static long long int_field(json_t *b, const char *name)
{
    json_t *v = json_object_get(b, name);

    return json_is_integer(v) ? (long long)json_integer_value(v) : NOT_INT;
}

static const char *str_field(json_t *b, const char *name)
{
    json_t *v = json_object_get(b, name);

    return json_is_string(v) ? apr_pstrdup(pool, json_string_value(v)) : NULL;
}

/* days given as a JSON value text; *iv is the coerced value or NOT_INT. */
static const char *days_of(const char *value, long long *iv)
{
    json_t *b;
    const char *msg = check_json(
        apr_psprintf(pool, "{\"rid\":\"r\",\"days\":%s,\"maxUses\":0}", value),
        &b);

    *iv = int_field(b, "days");
    json_decref(b);
    return msg;
}

/* rid given as a JSON value text; *sv is the coerced string or NULL. */
static const char *rid_of(const char *value, const char **sv)
{
    json_t *b;
    const char *msg = check_json(
        apr_psprintf(pool, "{\"rid\":%s,\"days\":1,\"maxUses\":0}", value), &b);

    *sv = str_field(b, "rid");
    json_decref(b);
    return msg;
}

#define INT_OK(value, want) do {                                          \
    long long iv_;                                                        \
    is_str(days_of(value, &iv_), NULL, "days " value " is valid");        \
    is_int(iv_, want, "days " value " becomes " #want);                   \
} while (0)

#define INT_BAD(value) do {                                               \
    long long iv_;                                                        \
    is_str(days_of(value, &iv_), "must be integer",                       \
           "days " value ": must be integer");                            \
} while (0)

#define STR_OK(value, want) do {                                          \
    const char *sv_;                                                      \
    is_str(rid_of(value, &sv_), NULL, "rid " value " is valid");          \
    is_str(sv_, want, "rid " value " becomes \"" want "\"");              \
} while (0)

#define STR_BAD(value) do {                                               \
    const char *sv_;                                                      \
    is_str(rid_of(value, &sv_), "must be string",                         \
           "rid " value ": must be string");                              \
} while (0)

static void test_parse_json(void)
{
    json_t *b;

    b = parse("application/json", "{\"rid\":\"GENERAL\",\"days\":7}");
    ok(json_is_object(b) && json_object_size(b) == 2, "json: object");
    is_str(str_field(b, "rid"), "GENERAL", "json: string member");
    /* numbers are doubles until coerced, as in JavaScript */
    ok(json_is_real(json_object_get(b, "days")), "json: 7 decoded as a real");
    json_decref(b);

    b = parse("application/json; charset=utf-8", "{\"rid\":\"x\"}");
    is_str(str_field(b, "rid"), "x", "json with charset parameter");
    json_decref(b);

    b = parse("application/json", "");
    ok(json_is_object(b) && json_object_size(b) == 0, "json: empty body is {}");
    json_decref(b);

    b = invite_body_parse("application/json", NULL, 0);
    ok(json_is_object(b) && json_object_size(b) == 0, "json: NULL body is {}");
    json_decref(b);

    b = parse("application/json", "{\"rid\":");
    ok(json_is_object(b) && json_object_size(b) == 0, "json: malformed is {}");
    json_decref(b);
    is_str(check_json("{\"rid\":", NULL), "must have required property 'rid'",
           "json: malformed reports missing rid");
    is_str(check_json("{\"rid\":\"a\"} x", NULL),
           "must have required property 'rid'", "json: trailing garbage");

    b = parse("application/json", "[1,2]");
    ok(json_is_array(b), "json: an array stays an array");
    json_decref(b);
    is_str(check_json("[\"rid\",\"days\",\"maxUses\"]", NULL), "must be object",
           "json: array body must be object");

    /* the router's { ...parsedBody } makes every other scalar an object */
    b = parse("application/json", "\"rid\"");
    ok(json_is_object(b) && json_object_size(b) == 0, "json: string is {}");
    json_decref(b);
    b = parse("application/json", "42");
    ok(json_is_object(b) && json_object_size(b) == 0, "json: number is {}");
    json_decref(b);
    b = parse("application/json", "null");
    ok(json_is_object(b) && json_object_size(b) == 0, "json: null is {}");
    json_decref(b);
    is_str(check_json("true", NULL), "must have required property 'rid'",
           "json: true reports missing rid");

    b = parse("application/json", "{\"rid\":\"a\",\"rid\":\"b\"}");
    is_str(str_field(b, "rid"), "b", "json: last duplicate key wins");
    json_decref(b);

    b = parse("application/json", "\xEF\xBB\xBF{\"rid\":\"bom\"}");
    is_str(str_field(b, "rid"), "bom", "json: leading BOM is dropped");
    json_decref(b);

    b = parse("application/json", "{\"rid\":\"a\xFF" "b\xE2\x82\"}");
    is_str(str_field(b, "rid"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD",
           "json: invalid UTF-8 becomes U+FFFD");
    json_decref(b);

    is_str(check_json("{\"rid\":\"a\\u0000b\",\"days\":1,\"maxUses\":0}", NULL),
           "must have required property 'rid'",
           "json: \\u0000 makes the body unusable");

    /* the router's test is String.prototype.includes: case-sensitive */
    b = parse("Application/JSON", "{\"rid\":\"x\"}");
    ok(json_is_object(b) && json_object_size(b) == 0,
       "Application/JSON is not JSON to the router");
    json_decref(b);
}

static void test_parse_other(void)
{
    json_t *b;

    b = parse("application/x-www-form-urlencoded", "rid=GENERAL&days=7&maxUses=0");
    ok(json_is_object(b) && json_object_size(b) == 3, "form: three fields");
    is_str(str_field(b, "days"), "7", "form: values are strings");
    json_decref(b);

    b = parse("application/x-www-form-urlencoded; charset=UTF-8",
              "rid=a+b%2Bc%C3%A9%2f&x%20y=1");
    is_str(str_field(b, "rid"), "a b+c\xC3\xA9/", "form: + and %XX decoded");
    is_str(str_field(b, "x y"), "1", "form: names decoded too");
    json_decref(b);

    b = parse("application/x-www-form-urlencoded", "rid=a&rid=b");
    is_str(str_field(b, "rid"), "b", "form: last repeated name wins");
    json_decref(b);

    b = parse("application/x-www-form-urlencoded", "&&rid&days=1=2&");
    ok(json_object_size(b) == 2, "form: empty pairs skipped");
    is_str(str_field(b, "rid"), "", "form: name without = has value \"\"");
    is_str(str_field(b, "days"), "1=2", "form: split at the first =");
    json_decref(b);

    b = parse("application/x-www-form-urlencoded", "rid=%zz%4&days=%");
    is_str(str_field(b, "rid"), "%zz%4", "form: bad escapes stay literal");
    is_str(str_field(b, "days"), "%", "form: lone % stays literal");
    json_decref(b);

    b = parse("application/x-www-form-urlencoded", "rid=%FFa");
    is_str(str_field(b, "rid"), "\xEF\xBF\xBD" "a", "form: invalid UTF-8 is U+FFFD");
    json_decref(b);

    b = parse("application/x-www-form-urlencoded", "rid=GENERAL%00x&days=1");
    ok(json_is_object(b) && json_object_size(b) == 0, "form: %00 makes it {}");
    json_decref(b);

    b = parse("application/x-www-form-urlencoded", "");
    ok(json_is_object(b) && json_object_size(b) == 0, "form: empty body is {}");
    json_decref(b);

    b = parse("multipart/form-data; boundary=x",
              "--x\r\nContent-Disposition: form-data; name=\"rid\"\r\n\r\nG\r\n--x--\r\n");
    ok(json_is_object(b) && json_object_size(b) == 0, "multipart is {}");
    json_decref(b);
    /* the newest router tests multipart before JSON */
    b = parse("multipart/form-data; x=application/json", "{\"rid\":\"x\"}");
    ok(json_is_object(b) && json_object_size(b) == 0,
       "multipart wins over application/json");
    json_decref(b);

    b = invite_body_parse(NULL, "{\"rid\":\"x\"}", 11);
    ok(json_is_object(b) && json_object_size(b) == 0, "no Content-Type: {}");
    json_decref(b);
    is_str(check(&find_schema, NULL,
                 "{\"rid\":\"x\",\"days\":1,\"maxUses\":0}", NULL),
           "must have required property 'rid'",
           "no Content-Type: JSON body fails validation");
    is_str(check(&find_schema, "text/plain",
                 "{\"rid\":\"x\",\"days\":1,\"maxUses\":0}", NULL),
           "must have required property 'rid'", "text/plain: missing rid");
    b = invite_body_parse(NULL, NULL, 0);
    ok(json_is_object(b) && json_object_size(b) == 0, "no body at all: {}");
    json_decref(b);
}

static void test_form_validation(void)
{
    json_t *b;
    const char *ct = "application/x-www-form-urlencoded";

    is_str(check(&find_schema, ct, "rid=GENERAL&days=7&maxUses=0", &b), NULL,
           "form: valid after coercion");
    is_int(int_field(b, "days"), 7, "form: days \"7\" coerced to 7");
    is_int(int_field(b, "maxUses"), 0, "form: maxUses \"0\" coerced to 0");
    is_str(str_field(b, "rid"), "GENERAL", "form: rid unchanged");
    json_decref(b);

    is_str(check(&find_schema, ct, "rid=G&days=7.5&maxUses=0", NULL),
           "must be integer", "form: days 7.5");
    is_str(check(&find_schema, ct, "rid=&days=&maxUses=", NULL),
           "must be integer", "form: empty days");
    /* '+' is a space, and JavaScript trims it */
    is_str(check(&find_schema, ct, "rid=G&days=+7&maxUses=%2B1", &b), NULL,
           "form: days=+7 and maxUses=%2B1 are valid");
    is_int(int_field(b, "days"), 7, "form: \" 7\" coerced to 7");
    is_int(int_field(b, "maxUses"), 1, "form: \"+1\" coerced to 1");
    json_decref(b);
}

static void test_order(void)
{
    json_t *b;

    is_str(check_json("{\"rid\":\"GENERAL\",\"days\":7,\"maxUses\":0}", &b),
           NULL, "valid body");
    is_int(int_field(b, "days"), 7, "valid: days is a json integer");
    is_int(int_field(b, "maxUses"), 0, "valid: maxUses is a json integer");
    is_str(str_field(b, "rid"), "GENERAL", "valid: rid");
    json_decref(b);

    ok(invite_schema_validate(pool, &find_schema, NULL) != NULL,
       "NULL body is rejected");
    b = json_null();
    is_str(invite_schema_validate(pool, &find_schema, b), "must be object",
           "null must be object");
    b = json_string("rid");
    is_str(invite_schema_validate(pool, &find_schema, b), "must be object",
           "string must be object");
    json_decref(b);

    is_str(check_json("{}", NULL), "must have required property 'rid'",
           "{}: missing rid");
    is_str(check_json("{\"days\":1,\"maxUses\":0}", NULL),
           "must have required property 'rid'", "missing rid");
    is_str(check_json("{\"rid\":\"r\",\"maxUses\":0}", NULL),
           "must have required property 'days'", "missing days");
    is_str(check_json("{\"rid\":\"r\",\"days\":1}", NULL),
           "must have required property 'maxUses'", "missing maxUses");
    is_str(check_json("{\"maxUses\":0,\"days\":1}", NULL),
           "must have required property 'rid'", "schema order, not body order");
    is_str(check_json("{\"rid\":[],\"days\":\"x\"}", NULL),
           "must have required property 'maxUses'",
           "required before property types");

    is_str(check_json("{\"days\":1,\"maxUses\":0,\"extra\":1}", NULL),
           "must have required property 'rid'",
           "missing rid and an extra key: missing rid");
    is_str(check_json("{\"rid\":\"r\",\"days\":1,\"maxUses\":0,\"x\":1}", NULL),
           "must NOT have additional properties", "extra key");
    is_str(check_json("{\"rid\":[],\"days\":\"abc\",\"maxUses\":{},\"x\":1}", NULL),
           "must NOT have additional properties",
           "extra key and wrong types: extra key");
    is_str(check_json("{\"rid\":\"r\",\"days\":1,\"maxUses\":0,\"Rid\":\"r\"}", NULL),
           "must NOT have additional properties", "names are case-sensitive");

    is_str(check_json("{\"rid\":[],\"days\":\"abc\",\"maxUses\":0}", NULL),
           "must be string", "rid checked before days");
    is_str(check_json("{\"maxUses\":[],\"days\":\"abc\",\"rid\":\"r\"}", NULL),
           "must be integer", "days checked before maxUses");

    /* ajv stops at the first error: earlier fields are already coerced */
    is_str(check_json("{\"rid\":5,\"days\":\"7\",\"maxUses\":\"x\"}", &b),
           "must be integer", "maxUses fails");
    is_str(str_field(b, "rid"), "5", "rid coerced before the failure");
    is_int(int_field(b, "days"), 7, "days coerced before the failure");
    json_decref(b);

    is_str(check(&token_schema, "application/json", "{}", NULL),
           "must have required property 'token'", "token: missing");
    is_str(check(&token_schema, "application/json", "{\"token\":\"abc\",\"rid\":1}",
                 NULL),
           "must NOT have additional properties", "token: extra key");
    is_str(check(&token_schema, "application/json", "{\"token\":5}", &b), NULL,
           "token: number accepted");
    is_str(str_field(b, "token"), "5", "token: 5 becomes \"5\"");
    json_decref(b);
    is_str(check(&token_schema, "application/json", "{\"token\":{}}", NULL),
           "must be string", "token: object");
    is_str(check(&token_schema, "application/json", "[]", NULL),
           "must be object", "token: array");
}

static void test_integer(void)
{
    json_t *b;

    /* the coercion table of docs/api.md#find-body-schema */
    INT_OK("\"7\"", 7);
    INT_OK("\"7.0\"", 7);
    INT_BAD("\"7.5\"");
    INT_BAD("\"\"");
    INT_BAD("\"abc\"");
    INT_BAD("1.5");
    INT_OK("1.0", 1);
    INT_OK("true", 1);
    INT_OK("false", 0);
    INT_OK("null", 0);
    INT_BAD("[]");
    INT_BAD("[7]");
    INT_BAD("{}");

    /* JSON numbers */
    INT_OK("7", 7);
    INT_OK("-0", 0);
    INT_OK("1e2", 100);
    INT_OK("0.7e1", 7);
    INT_OK("1e30", LLONG_MAX);
    INT_OK("-1e30", LLONG_MIN);
    INT_OK("9007199254740993", 9007199254740992LL);
    INT_BAD("1e-7");

    /* JavaScript StringToNumber */
    INT_OK("\" 7 \"", 7);
    INT_OK("\"\\t\\n7\\r\\u000b\\f\"", 7);
    INT_OK("\"\\u00a07\\u3000\"", 7);
    INT_OK("\"\\ufeff\\u20287\\u2029\\u202f\\u205f\\u1680\\u200a\"", 7);
    INT_BAD("\"\\u180e7\"");
    INT_BAD("\"\\u200b7\"");
    INT_OK("\" \"", 0);
    INT_OK("\"+7\"", 7);
    INT_OK("\"-7\"", -7);
    INT_OK("\"-0\"", 0);
    INT_OK("\"007\"", 7);
    INT_OK("\"7.\"", 7);
    INT_OK("\".7e1\"", 7);
    INT_OK("\"70E-1\"", 7);
    INT_OK("\"0.07e+2\"", 7);
    INT_OK("\"7.0000000000000001\"", 7);
    INT_OK("\"0x1F\"", 31);
    INT_OK("\"0X1f\"", 31);
    INT_OK("\"0o17\"", 15);
    INT_OK("\"0b111\"", 7);
    INT_OK("\"1e-400\"", 0);
    INT_OK("\"-9223372036854775808\"", LLONG_MIN);
    INT_OK("\"9007199254740993\"", 9007199254740992LL);
    INT_OK("\"1e400\"", LLONG_MAX);
    INT_OK("\"0x10000000000000000\"", LLONG_MAX);
    /* ajv's !(data % 1) lets "Infinity" through; saturated for the caller */
    INT_OK("\"Infinity\"", LLONG_MAX);
    INT_OK("\" -Infinity \"", LLONG_MIN);
    INT_OK("\"+Infinity\"", LLONG_MAX);
    INT_BAD("\"infinity\"");
    INT_BAD("\"inf\"");
    INT_BAD("\"NaN\"");
    INT_BAD("\"nan\"");
    INT_BAD("\"1_000\"");
    INT_BAD("\"1,5\"");
    INT_BAD("\"0x\"");
    INT_BAD("\"-0x7\"");
    INT_BAD("\"0x1g\"");
    INT_BAD("\"0x1.8\"");
    INT_BAD("\"0b2\"");
    INT_BAD("\"0o8\"");
    INT_BAD("\"1e\"");
    INT_BAD("\"1e+\"");
    INT_BAD("\".\"");
    INT_BAD("\"+\"");
    INT_BAD("\"-\"");
    INT_BAD("\"++7\"");
    INT_BAD("\"7 7\"");
    INT_BAD("\"7abc\"");
    INT_BAD("\"0x1p3\"");
    INT_BAD("\"\\u0661\"");
    INT_BAD("\"1e-7\"");

    /* an embedded NUL is not whitespace */
    b = json_pack("{s:s,s:s%,s:i}", "rid", "r", "days", "7\0", (size_t)2,
                  "maxUses", 0);
    is_str(invite_schema_validate(pool, &find_schema, b), "must be integer",
           "days \"7\\0\": must be integer");
    json_decref(b);

    /* a json integer built by a caller is kept */
    b = json_pack("{s:s,s:I,s:i}", "rid", "r", "days", (json_int_t)30,
                  "maxUses", 5);
    is_str(invite_schema_validate(pool, &find_schema, b), NULL,
           "json integers are valid");
    is_int(int_field(b, "days"), 30, "json integer kept");
    json_decref(b);
}

static void test_string(void)
{
    json_t *b;

    /* the coercion table of docs/api.md#find-body-schema */
    STR_OK("5", "5");
    STR_OK("true", "true");
    STR_OK("false", "false");
    STR_OK("null", "");
    STR_BAD("[]");
    STR_BAD("[\"GENERAL\"]");
    STR_BAD("{}");
    STR_BAD("{\"a\":1}");
    STR_OK("\"GENERAL\"", "GENERAL");
    STR_OK("\"\"", "");

    /* JavaScript String(number) */
    STR_OK("1.5", "1.5");
    STR_OK("-2.5", "-2.5");
    STR_OK("-0", "0");
    STR_OK("100", "100");
    STR_OK("1e2", "100");
    STR_OK("0.1", "0.1");
    STR_OK("0.30000000000000004", "0.30000000000000004");
    STR_OK("4.35", "4.35");
    STR_OK("12345.6789", "12345.6789");
    STR_OK("0.000001", "0.000001");
    STR_OK("2.5e-5", "0.000025");
    STR_OK("1e-7", "1e-7");
    STR_OK("-1e-7", "-1e-7");
    STR_OK("123e-20", "1.23e-18");
    STR_OK("1e20", "100000000000000000000");
    STR_OK("123456789012345678901", "123456789012345680000");
    STR_OK("1e21", "1e+21");
    STR_OK("1.5e300", "1.5e+300");
    STR_OK("9007199254740993", "9007199254740992");
    STR_OK("1.7976931348623157e308", "1.7976931348623157e+308");
    STR_OK("5e-324", "5e-324");
    /* 2^-1017: the nearest 16 digits do not read back, a neighbour does */
    STR_OK("7.120236347223045e-307", "7.120236347223045e-307");

    b = json_pack("{s:I,s:i,s:i}", "rid", (json_int_t)-42, "days", 1,
                  "maxUses", 0);
    is_str(invite_schema_validate(pool, &find_schema, b), NULL,
           "json integer rid is valid");
    is_str(str_field(b, "rid"), "-42", "json integer rid becomes \"-42\"");
    json_decref(b);
}

/* Which bodies become parameters: what the debug log reports as
 * ignored is exactly what invite_body_parse turns into {}. */
static void test_kind(void)
{
    ok(invite_body_kind("application/json") == INVITE_BODY_JSON, "kind: json");
    ok(invite_body_kind("application/json; charset=utf-8") == INVITE_BODY_JSON,
       "kind: json with a charset");
    ok(invite_body_kind("application/x-www-form-urlencoded")
       == INVITE_BODY_FORM, "kind: form");
    ok(invite_body_kind("multipart/form-data; boundary=x")
       == INVITE_BODY_MULTIPART, "kind: multipart (not read)");
    ok(invite_body_kind("Application/JSON") == INVITE_BODY_OTHER,
       "kind: the router's test is case-sensitive");
    ok(invite_body_kind("text/plain") == INVITE_BODY_OTHER, "kind: other");
    ok(invite_body_kind(NULL) == INVITE_BODY_NO_TYPE, "kind: no Content-Type");
}

/* sendInvitationEmail's {emails: [string]}: no scalar is wrapped, items
 * coerce as strings, objects and arrays among them do not. */
static void test_string_array(void)
{
    static const invite_field_t f[] = {
        { "emails", INVITE_FIELD_STRING_ARRAY }
    };
    static const invite_schema_t s = { f, 1 };
    json_t *b = NULL;

    is_str(check(&s, "application/json", "{\"emails\":[\"a@b\",5,true,null]}",
                 &b), NULL, "an array of strings, numbers, booleans, null");
    is_str(json_string_value(json_array_get(json_object_get(b, "emails"), 1)),
           "5", "... a number becomes its string");
    is_str(json_string_value(json_array_get(json_object_get(b, "emails"), 3)),
           "", "... null becomes \"\"");
    json_decref(b);
    is_str(check(&s, "application/json", "{\"emails\":\"a@b\"}", NULL),
           "must be array", "a string is not wrapped");
    is_str(check(&s, "application/json", "{\"emails\":[[\"a@b\"]]}", NULL),
           "must be string", "an array among the items");
    is_str(check(&s, "application/json", "{\"emails\":[{}]}", NULL),
           "must be string", "an object among the items");
    is_str(check(&s, "application/json", "{}", NULL),
           "must have required property 'emails'", "no emails");
    is_str(check(&s, "application/json", "{\"emails\":[]}", NULL), NULL,
           "an empty array passes the schema");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);

    test_string_array();
    test_parse_json();
    test_parse_other();
    test_form_validation();
    test_order();
    test_integer();
    test_string();
    test_kind();

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
