/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_body.c - request bodies as Rocket.Chat's http-router parses them
 * (Router.parseBodyParams) and validated the way its ajv instance does
 * (ajv v8, coerceTypes: true, first error only).
 *
 * No libm: the Makefile links only jansson and libcrypto.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_escape.h>
#include <apr_strings.h>

#include "invite_core.h"

/* ------------------------------------------------------------ UTF-8 */

static unsigned char *put_fffd(unsigned char *d)
{
    *d++ = 0xEF;
    *d++ = 0xBF;
    *d++ = 0xBD;
    return d;
}

/* WHATWG "UTF-8 decode": each maximal invalid subpart becomes U+FFFD, as
 * Node does before JSON.parse or URLSearchParams see the text; jansson
 * would otherwise refuse the whole body.  Returns malloc'd, NUL-terminated
 * text (NULL when out of memory). */
static char *utf8_sanitize(const char *in, size_t n, size_t *outn)
{
    const unsigned char *s = (const unsigned char *)in;
    unsigned char *out, *d;
    unsigned need = 0, seen = 0, lower = 0x80, upper = 0xBF;
    size_t i = 0, start = 0;

    if (n > (SIZE_MAX - 1) / 3)
        return NULL;
    out = malloc(3 * n + 1);    /* one invalid byte grows to 3 */
    if (!out)
        return NULL;
    d = out;
    while (i < n) {
        unsigned char b = s[i];

        if (need == 0) {
            if (b < 0x80) {
                *d++ = b;
            }
            else if (b >= 0xC2 && b <= 0xDF) {
                need = 1;
            }
            else if (b >= 0xE0 && b <= 0xEF) {
                lower = b == 0xE0 ? 0xA0 : 0x80;    /* overlong */
                upper = b == 0xED ? 0x9F : 0xBF;    /* surrogates */
                need = 2;
            }
            else if (b >= 0xF0 && b <= 0xF4) {
                lower = b == 0xF0 ? 0x90 : 0x80;
                upper = b == 0xF4 ? 0x8F : 0xBF;    /* > U+10FFFF */
                need = 3;
            }
            else {
                d = put_fffd(d);
            }
            start = i++;
            continue;
        }
        if (b < lower || b > upper) {
            /* the offending byte starts afresh, so it is not consumed */
            need = seen = 0;
            lower = 0x80;
            upper = 0xBF;
            d = put_fffd(d);
            continue;
        }
        lower = 0x80;
        upper = 0xBF;
        i++;
        if (++seen == need) {
            memcpy(d, s + start, i - start);
            d += i - start;
            need = seen = 0;
        }
    }
    if (need)
        d = put_fffd(d);
    *d = '\0';
    *outn = (size_t)(d - out);
    return (char *)out;
}

/* ---------------------------------------------------------- parsing */

/* String.prototype.includes, as the router tests the header: anywhere in
 * the value and case-sensitive ("Application/JSON" is not JSON there). */
static int ct_has(const char *content_type, const char *what)
{
    return content_type && strstr(content_type, what) != NULL;
}

static json_t *parse_json(const char *body, apr_size_t len)
{
    size_t n;
    char *text = utf8_sanitize(body, len, &n);
    const char *t = text;
    json_error_t err;
    json_t *v;

    if (!text)
        return json_object();
    /* Request.json() drops a leading byte order mark before JSON.parse. */
    if (n >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0) {
        t += 3;
        n -= 3;
    }
    /* INT_AS_REAL: numbers are JavaScript doubles (1e30 is whole, 1.0 is
     * an integer).  No JSON_ALLOW_NUL: "\u0000" fails the parse, so no
     * caller ever sees a C string cut short at an embedded NUL. */
    v = json_loadb(t, n, JSON_DECODE_INT_AS_REAL | JSON_DECODE_ANY, &err);
    free(text);
    if (json_is_object(v) || json_is_array(v))
        return v;
    /* { ...parsedBody } turns null, numbers and booleans into {}, and a
     * string into {"0":c0,...}, which fails "required" exactly as {}. */
    json_decref(v);
    return json_object();
}

/* Percent-decodes one name or value of a form body into valid UTF-8.
 * -1 for a NUL (raw or %00): see parse_form. */
static int form_decode(const char *s, size_t n, char **out, size_t *outn)
{
    char *buf;

    if (memchr(s, '\0', n))
        return -1;
    buf = malloc(n + 1);
    if (!buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    /* '+' first, then %XX; a bad escape stays literal as URLSearchParams
     * keeps it (APR_EINVAL); APR_BADCH means a decoded NUL. */
    if (apr_unescape_url(buf, buf, APR_ESCAPE_STRING, NULL, NULL, 1, NULL)
            == APR_BADCH) {
        free(buf);
        return -1;
    }
    *out = utf8_sanitize(buf, strlen(buf), outn);
    free(buf);
    return *out ? 0 : -1;
}

static int form_pair(json_t *obj, const char *name, size_t nlen,
                     const char *value, size_t vlen)
{
    char *k, *v;
    size_t klen, vl;
    int rv;

    if (form_decode(name, nlen, &k, &klen) != 0)
        return -1;
    if (form_decode(value, vlen, &v, &vl) != 0) {
        free(k);
        return -1;
    }
    /* Object.fromEntries: the last of repeated names wins. */
    rv = json_object_set_new(obj, k, json_stringn(v, vl));
    free(k);
    free(v);
    return rv;
}

/* Request.formData() + Object.fromEntries: '&'-separated pairs, empty
 * ones skipped, a pair without '=' has the value "". */
static json_t *parse_form(const char *body, apr_size_t len)
{
    json_t *obj = json_object();
    const char *p = body, *end = body + len;

    if (!obj || !len)
        return obj;
    for (;;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *seg_end = amp ? amp : end;

        if (seg_end > p) {
            const char *eq = memchr(p, '=', (size_t)(seg_end - p));
            const char *nend = eq ? eq : seg_end;
            const char *val = eq ? eq + 1 : seg_end;

            if (form_pair(obj, p, (size_t)(nend - p), val,
                          (size_t)(seg_end - val)) != 0) {
                /* A NUL would be silently cut off by every C consumer
                 * (rid "GENERAL%00x" read as "GENERAL"), so the body is
                 * unusable, as the JSON path treats "\u0000". */
                json_decref(obj);
                return json_object();
            }
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    return obj;
}

invite_body_kind_e invite_body_kind(const char *content_type)
{
    /* The newest router tests multipart first and leaves it to routes. */
    if (ct_has(content_type, "multipart/form-data"))
        return INVITE_BODY_MULTIPART;
    if (ct_has(content_type, "application/json"))
        return INVITE_BODY_JSON;
    if (ct_has(content_type, "application/x-www-form-urlencoded"))
        return INVITE_BODY_FORM;
    return content_type ? INVITE_BODY_OTHER : INVITE_BODY_NO_TYPE;
}

json_t *invite_body_parse(const char *content_type, const char *body,
                          apr_size_t len)
{
    if (!body)
        len = 0;
    switch (invite_body_kind(content_type)) {
    case INVITE_BODY_JSON:
        return parse_json(body ? body : "", len);
    case INVITE_BODY_FORM:
        return parse_form(body, len);
    default:
        /* Other or missing: upstream spreads the raw text into
         * {"0":c0,...}.  Those keys never name a schema field and ajv
         * checks "required" before "additionalProperties", so {} gives
         * the same first error. */
        return json_object();
    }
}

/* ------------------------------------------------- JavaScript numbers */

/* Byte length of the StrWhiteSpaceChar (WhiteSpace or LineTerminator)
 * at s, 0 if none. */
static size_t js_ws_len(const unsigned char *s, const unsigned char *e)
{
    size_t n = (size_t)(e - s);

    switch (s[0]) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
        return 1;
    case 0xC2:                                  /* U+00A0 */
        return n >= 2 && s[1] == 0xA0 ? 2 : 0;
    case 0xE1:                                  /* U+1680 */
        return n >= 3 && s[1] == 0x9A && s[2] == 0x80 ? 3 : 0;
    case 0xE2:
        if (n < 3)
            return 0;
        if (s[1] == 0x80 && ((s[2] >= 0x80 && s[2] <= 0x8A) /* 2000-200A */
                             || s[2] == 0xA8 || s[2] == 0xA9 /* 2028-2029 */
                             || s[2] == 0xAF))               /* 202F */
            return 3;
        return s[1] == 0x81 && s[2] == 0x9F ? 3 : 0;         /* 205F */
    case 0xE3:                                  /* U+3000 */
        return n >= 3 && s[1] == 0x80 && s[2] == 0x80 ? 3 : 0;
    case 0xEF:                                  /* U+FEFF */
        return n >= 3 && s[1] == 0xBB && s[2] == 0xBF ? 3 : 0;
    }
    return 0;
}

static const unsigned char *js_skip_ws(const unsigned char *s,
                                       const unsigned char *e)
{
    size_t k;

    while (s < e && (k = js_ws_len(s, e)) > 0)
        s += k;
    return s;
}

static unsigned digit_val(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

static int is_dec(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* One StrNumericLiteral at *sp; 0 and *sp advanced, or -1. */
static int js_literal(apr_pool_t *p, const unsigned char **sp,
                      const unsigned char *e, double *out)
{
    const unsigned char *s = *sp, *ip, *fp = NULL;
    size_t ilen, flen = 0;
    long long exp = 0;
    char *buf, *q;
    int neg = 0;

    /* 0x / 0o / 0b take no sign and at least one digit. */
    if (e - s >= 3 && s[0] == '0') {
        unsigned base = 0;

        switch (s[1]) {
        case 'x': case 'X': base = 16; break;
        case 'o': case 'O': base = 8;  break;
        case 'b': case 'B': base = 2;  break;
        }
        if (base && digit_val(s[2]) < base) {
            uint64_t v = 0;
            int over = 0;

            for (s += 2; s < e && digit_val(*s) < base; s++) {
                unsigned dv = digit_val(*s);

                if (v > (UINT64_MAX - dv) / base)
                    over = 1;
                else
                    v = v * base + dv;
            }
            /* exact, then rounded once, as JS rounds the literal's value */
            *out = over ? 0x1p64 : (double)v;
            *sp = s;
            return 0;
        }
    }

    if (s < e && (*s == '+' || *s == '-'))
        neg = *s++ == '-';
    if (e - s >= 8 && memcmp(s, "Infinity", 8) == 0) {
        *out = neg ? -HUGE_VAL : HUGE_VAL;
        *sp = s + 8;
        return 0;
    }
    for (ip = s; s < e && is_dec(*s); s++)
        ;
    ilen = (size_t)(s - ip);
    if (s < e && *s == '.') {
        for (fp = ++s; s < e && is_dec(*s); s++)
            ;
        flen = (size_t)(s - fp);
    }
    if (ilen + flen == 0)
        return -1;
    if (s < e && (*s == 'e' || *s == 'E')) {
        int eneg = 0;

        s++;
        if (s < e && (*s == '+' || *s == '-'))
            eneg = *s++ == '-';
        if (s >= e || !is_dec(*s))
            return -1;
        for (; s < e && is_dec(*s); s++)
            if (exp < 100000000)    /* saturate: already 0 or Infinity */
                exp = exp * 10 + (*s - '0');
        if (eneg)
            exp = -exp;
    }

    /* "<digits>e<exp>" has no decimal point, so strtod's result does not
     * depend on the locale; glibc's strtod rounds correctly, as JS does. */
    buf = q = apr_palloc(p, ilen + flen + 32);
    if (neg)
        *q++ = '-';
    memcpy(q, ip, ilen);
    q += ilen;
    if (flen) {
        memcpy(q, fp, flen);
        q += flen;
    }
    snprintf(q, 32, "e%lld", exp - (long long)flen);
    *out = strtod(buf, NULL);
    *sp = s;
    return 0;
}

/* JavaScript StringToNumber: 0 and *out, or -1 where JS gives NaN.
 * Whitespace only is 0, as in JS. */
static int js_string_to_number(apr_pool_t *p, const char *str, size_t n,
                               double *out)
{
    const unsigned char *s = (const unsigned char *)str, *e = s + n;

    s = js_skip_ws(s, e);
    if (s == e) {
        *out = 0;
        return 0;
    }
    if (js_literal(p, &s, e, out) != 0)
        return -1;
    return js_skip_ws(s, e) == e ? 0 : -1;
}

static int is_whole(double d)
{
    /* every double of magnitude >= 2^52 is an integer */
    if (d >= 0x1p52 || d <= -0x1p52)
        return 1;
    return d == (double)(long long)d;
}

/* Values outside json_int_t (and the ±Infinity ajv accepts from the
 * string "Infinity") saturate: the caller compares against small allowed
 * lists, and LLONG_MAX/LLONG_MIN are in none of them. */
static json_int_t clamp_int(double d)
{
    if (d >= 0x1p63)
        return LLONG_MAX;
    if (d < -0x1p63)
        return LLONG_MIN;
    return (json_int_t)d;
}

/* Tries the k-digit decimal s * 10^e10 for an exact round trip. */
static int round_trips(unsigned long long s, int e10, double d)
{
    char buf[48];

    snprintf(buf, sizeof buf, "%llue%d", s, e10);
    return strtod(buf, NULL) == d;
}

/* JavaScript Number::toString(10): the fewest digits that read back as
 * d (the closest such on a tie), laid out by ECMA-262's rules. */
static const char *js_number_to_string(apr_pool_t *p, double d)
{
    char tmp[48], ds[24], out[64];
    unsigned long long s = 0, lo, hi;
    int k, n, e10 = 0, i;
    char *q;

    if (d != d)
        return "NaN";
    if (d == 0)
        return "0";         /* -0 too */
    if (!isfinite(d))
        return d > 0 ? "Infinity" : "-Infinity";
    if (d < 0)
        return apr_pstrcat(p, "-", js_number_to_string(p, -d), NULL);

    for (k = 1; k <= 17; k++) {
        const char *c;

        snprintf(tmp, sizeof tmp, "%.*e", k - 1, d);
        s = 0;
        /* digits only: the decimal point is whatever the locale says */
        for (c = tmp; *c && *c != 'e'; c++)
            if (is_dec((unsigned char)*c))
                s = s * 10 + (unsigned long long)(*c - '0');
        e10 = (int)strtol(c + 1, NULL, 10) - (k - 1);
        if (round_trips(s, e10, d))
            break;
        /* the nearest k digits can miss the narrow side of a power of
         * two while a neighbour still reads back */
        lo = 1;
        for (i = 1; i < k; i++)
            lo *= 10;
        hi = lo * 10;
        if (s + 1 < hi && round_trips(s + 1, e10, d)) {
            s++;
            break;
        }
        if (s > lo && round_trips(s - 1, e10, d)) {
            s--;
            break;
        }
    }
    while (s % 10 == 0) {
        s /= 10;
        e10++;
    }
    k = snprintf(ds, sizeof ds, "%llu", s);
    n = e10 + k;            /* d = 0.ds * 10^n */

    q = out;
    if (k <= n && n <= 21) {
        q += sprintf(q, "%s", ds);
        for (i = 0; i < n - k; i++)
            *q++ = '0';
        *q = '\0';
    }
    else if (0 < n && n <= 21) {
        sprintf(q, "%.*s.%s", n, ds, ds + n);
    }
    else if (-6 < n && n <= 0) {
        q += sprintf(q, "0.");
        for (i = 0; i < -n; i++)
            *q++ = '0';
        sprintf(q, "%s", ds);
    }
    else {
        sprintf(q, "%c%s%se%c%d", ds[0], k > 1 ? "." : "", ds + 1,
                n - 1 >= 0 ? '+' : '-', n - 1 >= 0 ? n - 1 : 1 - n);
    }
    return apr_pstrdup(p, out);
}

/* ------------------------------------------------------- validation */

/* ajv's integer coercion: boolean, null, and a non-empty string with
 * data == +data && !(data % 1) (so "Infinity" passes); a JSON number
 * must be finite and whole.  0 when v is now a json integer. */
static int coerce_integer(apr_pool_t *p, json_t *obj, const char *name,
                          json_t *v)
{
    json_int_t iv;
    double d;

    switch (json_typeof(v)) {
    case JSON_INTEGER:
        return 0;
    case JSON_REAL:
        d = json_real_value(v);
        if (!isfinite(d) || !is_whole(d))
            return -1;
        iv = clamp_int(d);
        break;
    case JSON_TRUE:
        iv = 1;
        break;
    case JSON_FALSE:
    case JSON_NULL:
        iv = 0;
        break;
    case JSON_STRING:
        if (json_string_length(v) == 0
                || js_string_to_number(p, json_string_value(v),
                                       json_string_length(v), &d) != 0
                || (isfinite(d) && !is_whole(d)))
            return -1;
        iv = clamp_int(d);
        break;
    default:
        return -1;
    }
    return json_object_set_new(obj, name, json_integer(iv)) == 0 ? 0 : -1;
}

/* ajv's string coercion: "" + data for numbers and booleans, null is "".
 * The coerced value (a new reference), v itself (borrowed) when it is a
 * string already, or NULL when v cannot be a string. */
static json_t *string_of(apr_pool_t *p, json_t *v)
{
    char ibuf[32];
    const char *s;

    switch (json_typeof(v)) {
    case JSON_STRING:
        return v;
    case JSON_REAL:
        s = js_number_to_string(p, json_real_value(v));
        break;
    case JSON_INTEGER:
        /* apr_psprintf has no %lld */
        snprintf(ibuf, sizeof ibuf, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        s = ibuf;
        break;
    case JSON_TRUE:
        s = "true";
        break;
    case JSON_FALSE:
        s = "false";
        break;
    case JSON_NULL:
        s = "";
        break;
    default:
        return NULL;
    }
    return json_string(s);
}

static int coerce_string(apr_pool_t *p, json_t *obj, const char *name,
                         json_t *v)
{
    json_t *s = string_of(p, v);

    if (!s) {
        return -1;
    }
    return s == v || json_object_set_new(obj, name, s) == 0 ? 0 : -1;
}

/* An array of strings, each item coerced in place.  The message of the
 * first failure, NULL when valid. */
static const char *coerce_string_array(apr_pool_t *p, json_t *v)
{
    size_t i;
    json_t *item;

    if (!json_is_array(v)) {
        return "must be array";
    }
    json_array_foreach(v, i, item) {
        json_t *s = string_of(p, item);
        if (!s) {
            return "must be string";
        }
        if (s != item && json_array_set_new(v, i, s) != 0) {
            return "must be string";
        }
    }
    return NULL;
}

static int is_field(const invite_schema_t *schema, const char *key)
{
    int i;

    for (i = 0; i < schema->nfields; i++)
        if (strcmp(schema->fields[i].name, key) == 0)
            return 1;
    return 0;
}

const char *invite_schema_validate(apr_pool_t *p, const invite_schema_t *schema,
                                   json_t *body)
{
    const char *key;
    json_t *v;
    int i;

    /* ajv v8 keyword order: type, required, additionalProperties, then
     * properties; without allErrors it stops at the first failure, and
     * properties coerced before that failure stay coerced. */
    if (!json_is_object(body))
        return "must be object";
    for (i = 0; i < schema->nfields; i++)
        if (!json_object_get(body, schema->fields[i].name))
            return apr_psprintf(p, "must have required property '%s'",
                                schema->fields[i].name);
    json_object_foreach(body, key, v)
        if (!is_field(schema, key))
            return "must NOT have additional properties";
    for (i = 0; i < schema->nfields; i++) {
        const invite_field_t *f = &schema->fields[i];

        v = json_object_get(body, f->name);
        if (f->type == INVITE_FIELD_STRING_ARRAY) {
            const char *err = coerce_string_array(p, v);
            if (err) {
                return err;
            }
        }
        else if (f->type == INVITE_FIELD_INTEGER) {
            if (coerce_integer(p, body, f->name, v) != 0)
                return "must be integer";
        }
        else if (coerce_string(p, body, f->name, v) != 0) {
            return "must be string";
        }
    }
    return NULL;
}
