/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_body.c - request bodies: invite_body_parse for any Content-Type and
 * bytes, then invite_schema_validate with every endpoint's schema
 * (findOrCreateInvite {rid,days,maxUses}; useInviteToken and
 * validateInviteToken {token}).
 *
 * Input: the Content-Type, a newline, the body (any bytes).  An empty first
 * line is no Content-Type at all; an input without a newline is a body
 * without one.
 *
 * Properties: the parse is an object or array; the validator either
 * returns NULL with exactly the schema's fields, each a json string
 * without an embedded NUL or a json integer, or one of ajv's messages;
 * validating again changes nothing; coerced values agree with the
 * original ones; every parse dumps (invite_json_dump) to JSON that reads
 * back equal.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "fuzz_common.h"
#include "invite_core.h"
#include "invite_use.h"

static const invite_field_t find_fields[] = {
    { "rid", INVITE_FIELD_STRING },
    { "days", INVITE_FIELD_INTEGER },
    { "maxUses", INVITE_FIELD_INTEGER },
};
/* findOrCreateInvite's schema, as src/handle declares it. */
static const invite_schema_t find_schema = { find_fields, 3 };

static int known_message(const invite_schema_t *s, const char *msg)
{
    if (!strcmp(msg, "must be object")
        || !strcmp(msg, "must NOT have additional properties")
        || !strcmp(msg, "must be integer") || !strcmp(msg, "must be string"))
        return 1;
    for (int i = 0; i < s->nfields; i++)
        if (!strcmp(msg, apr_psprintf(fz_pool,
                                      "must have required property '%s'",
                                      s->fields[i].name)))
            return 1;
    return 0;
}

/* 1 if s is 1 to 15 ASCII digits, optionally signed: exact in a double. */
static int plain_decimal(const char *s)
{
    size_t i = (*s == '-' || *s == '+') ? 1 : 0, n = 0;

    for (; s[i]; i++, n++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return n > 0 && n <= 15;
}

static void check_integer(json_t *orig, json_t *v, const char *what)
{
    long long iv;

    FZ_CHECK(json_is_integer(v), what);
    iv = json_integer_value(v);
    switch (json_typeof(orig)) {
    case JSON_INTEGER:
        FZ_CHECK(iv == json_integer_value(orig), what);
        break;
    case JSON_REAL: {
        double d = json_real_value(orig);

        if (fabs(d) < 0x1p53)
            FZ_CHECK(iv == (long long)d, what);
        break;
    }
    case JSON_STRING:
        if (plain_decimal(json_string_value(orig)))
            FZ_CHECK(iv == atoll(json_string_value(orig)), what);
        break;
    case JSON_TRUE:
        FZ_CHECK(iv == 1, what);
        break;
    case JSON_FALSE:
    case JSON_NULL:
        FZ_CHECK(iv == 0, what);
        break;
    default:
        FZ_CHECK(0 && "objects and arrays never coerce", what);
    }
}

static void check_string(json_t *orig, json_t *v, const char *what)
{
    const char *s;
    char buf[32];

    FZ_CHECK(json_is_string(v), what);
    s = json_string_value(v);
    FZ_CHECK(strlen(s) == json_string_length(v), what);
    switch (json_typeof(orig)) {
    case JSON_STRING:
        FZ_CHECK(json_equal(orig, v), what);
        break;
    case JSON_REAL: {
        /* Number::toString reads back as the same double */
        double d = json_real_value(orig);

        FZ_CHECK(d == 0 ? !strcmp(s, "0") : strtod(s, NULL) == d, what);
        FZ_CHECK(strlen(s) <= 25, what);
        break;
    }
    case JSON_INTEGER:
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(orig));
        FZ_CHECK(!strcmp(s, buf), what);
        break;
    case JSON_TRUE:
        FZ_CHECK(!strcmp(s, "true"), what);
        break;
    case JSON_FALSE:
        FZ_CHECK(!strcmp(s, "false"), what);
        break;
    case JSON_NULL:
        FZ_CHECK(!strcmp(s, ""), what);
        break;
    default:
        FZ_CHECK(0 && "objects and arrays never coerce", what);
    }
}

static void validate(const invite_schema_t *s, const char *ct,
                     const char *body, size_t len)
{
    json_t *b = invite_body_parse(ct, body, len), *orig, *again, *back;
    const char *msg, *text, *what;
    json_error_t err;

    FZ_CHECK(json_is_object(b) || json_is_array(b), ct);
    orig = json_deep_copy(b);
    FZ_CHECK(orig != NULL, "copy");

    /* The parse dumps and reads back as itself (numbers are doubles). */
    text = invite_json_dump(fz_pool, json_incref(b));
    FZ_CHECK(text != NULL, "dump of a parsed body");
    back = json_loads(text, JSON_DECODE_INT_AS_REAL, &err);
    FZ_CHECK(back && json_equal(back, orig), text);
    json_decref(back);

    msg = invite_schema_validate(fz_pool, s, b);
    what = invite_json_dump(fz_pool, json_incref(orig));
    if (msg) {
        json_t *e;

        FZ_CHECK(known_message(s, msg), msg);
        e = fz_reparse_object(invite_json_invalid_params(fz_pool, msg));
        FZ_CHECK(!strcmp(fz_get_str(e, "error"), msg), msg);
        json_decref(e);
    }
    else {
        FZ_CHECK(json_is_object(b) && json_object_size(b)
                                          == (size_t)s->nfields, what);
        for (int i = 0; i < s->nfields; i++) {
            json_t *o = json_object_get(orig, s->fields[i].name);
            json_t *v = json_object_get(b, s->fields[i].name);

            FZ_CHECK(o && v, what);
            if (s->fields[i].type == INVITE_FIELD_INTEGER)
                check_integer(o, v, what);
            else
                check_string(o, v, what);
        }
        /* Coercion is done once and for all. */
        again = json_deep_copy(b);
        FZ_CHECK(invite_schema_validate(fz_pool, s, again) == NULL, what);
        FZ_CHECK(json_equal(again, b), what);
        json_decref(again);
    }
    json_decref(orig);
    json_decref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    const char *ct = NULL;
    const char *body;
    size_t len;

    if (nl) {
        size_t ctlen = (size_t)(nl - data);

        if (ctlen)
            ct = fz_str(data, ctlen);
        len = size - ctlen - 1;
        body = fz_copy(nl + 1, len);
    }
    else {
        len = size;
        body = fz_copy(data, size);
    }
    validate(&find_schema, ct, body, len);
    validate(&invite_token_body_schema, ct, body, len);
    fz_done();
    return 0;
}
