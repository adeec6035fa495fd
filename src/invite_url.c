/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_url.c - Rocket.Chat's getInviteUrl() (docs/api.md#invite-url):
 * getURL('invite/' + _id, { full: direct, cloud: !direct,
 * cloud_route: 'invite' }, DeepLink_Url)
 * with getURL's trimming, its sub-directory quirk and encodeURIComponent.
 */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "invite_core.h"

/* JavaScript's String#trim() whitespace, ASCII part.  (Unicode spaces such
 * as U+00A0 are not expected in a URL setting and are kept.) */
static int is_js_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f'
           || c == '\r';
}

/* rtrim(trim(s), '/') as getURL applies it to each setting; a copy in p. */
static const char *trim_setting(apr_pool_t *p, const char *s)
{
    const char *end;

    if (s == NULL)
        return "";
    while (is_js_space(*s))
        ++s;
    end = s + strlen(s);
    while (end > s && is_js_space(end[-1]))
        --end;
    while (end > s && end[-1] == '/')
        --end;
    return apr_pstrmemdup(p, s, (apr_size_t)(end - s));
}

static const char *rtrim_slash(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s);

    while (n > 0 && s[n - 1] == '/')
        --n;
    return apr_pstrmemdup(p, s, n);
}

/*
 * ROOT_URL_PATH_PREFIX: Meteor derives it from the path of the site URL
 * ("https://h/chat" -> "/chat", no path -> "").  The URL is already trimmed
 * of trailing '/', so "/" never survives as a prefix.
 */
static const char *path_prefix(apr_pool_t *p, const char *site)
{
    const char *s = site, *scheme = strstr(site, "://"), *path, *end;

    /* Skip "scheme://" only if it precedes any '/' (a real scheme). */
    if (scheme != NULL && memchr(site, '/', (apr_size_t)(scheme - site)) == NULL)
        s = scheme + 3;
    path = strchr(s, '/');
    if (path == NULL)
        return "";
    end = path + strcspn(path, "?#");
    return rtrim_slash(p, apr_pstrmemdup(p, path, (apr_size_t)(end - path)));
}

/*
 * host = siteUrl.replace(/https?:\/\//i, ''): the first match is removed
 * wherever it is; for any real Site_Url that is the leading scheme.
 */
static const char *strip_http_scheme(apr_pool_t *p, const char *site)
{
    const char *s;

    for (s = site; *s; ++s) {
        apr_size_t n;

        if (apr_tolower(s[0]) != 'h' || apr_tolower(s[1]) != 't'
            || apr_tolower(s[2]) != 't' || apr_tolower(s[3]) != 'p')
            continue;
        n = 4;
        if (s[n] == 's' || s[n] == 'S')
            ++n;
        if (strncmp(s + n, "://", 3) == 0)
            return apr_pstrcat(p, apr_pstrmemdup(p, site,
                                                 (apr_size_t)(s - site)),
                               s + n + 3, NULL);
    }
    return site;
}

/* encodeURIComponent's unreserved set: A-Z a-z 0-9 - _ . ! ~ * ' ( ).
 * Explicit ranges, not isalnum(): a locale could class Latin-1 bytes as
 * letters. */
static int js_uri_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9')
           || (c != '\0' && strchr("-_.!~*'()", c) != NULL);
}

const char *invite_url_encode_component(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *in;
    char *out, *o;
    apr_size_t n = 0;

    if (s == NULL)
        return NULL;
    /* Size first, so the result is a single exact allocation. */
    for (in = (const unsigned char *)s; *in; ++in)
        n += js_uri_unreserved(*in) ? 1 : 3;
    o = out = apr_palloc(p, n + 1);
    for (in = (const unsigned char *)s; *in; ++in) {
        if (js_uri_unreserved(*in)) {
            *o++ = (char)*in;
        }
        else {
            /* UTF-8 bytes are escaped one by one, as JS does with the
             * UTF-8 encoding of each code point. */
            *o++ = '%';
            *o++ = hex[*in >> 4];
            *o++ = hex[*in & 0x0F];
        }
    }
    *o = '\0';
    return out;
}

const char *invite_url_build(apr_pool_t *p, const invite_url_cfg_t *cfg,
                             const char *invite_id)
{
    const char *site, *prefix, *cdn, *path, *url;
    apr_size_t n;

    if (p == NULL || cfg == NULL)
        return NULL;

    site = trim_setting(p, cfg->site_url);
    prefix = path_prefix(p, site);
    cdn = trim_setting(p, cfg->cdn_prefix);

    /* finalPath = ltrim(trim('invite/' + _id), '/') */
    path = apr_pstrcat(p, "invite/", invite_id ? invite_id : "", NULL);
    while (is_js_space(*path))
        ++path;
    n = strlen(path);
    while (n > 0 && is_js_space(path[n - 1]))
        --n;
    path = apr_pstrmemdup(p, path, n);
    while (*path == '/')
        ++path;
    url = rtrim_slash(p, apr_pstrcat(p, prefix, "/", path, NULL));

    if (!cfg->direct) {
        /* getCloudUrl(): base is DeepLink_Url with trailing '/'s removed
         * (no whitespace trim upstream); path keeps any sub-directory, and
         * so does host: the quirk of docs/api.md#invite-url. */
        const char *base = cfg->deep_link_url && *cfg->deep_link_url
                               ? cfg->deep_link_url
                               : INVITE_DEFAULT_DEEP_LINK_URL;
        const char *cloud_path = url;

        while (*cloud_path == '/')
            ++cloud_path;
        return apr_pstrcat(
            p, rtrim_slash(p, base), "/invite?host=",
            invite_url_encode_component(p, strip_http_scheme(p, site)),
            "&path=", invite_url_encode_component(p, cloud_path),
            /* Case-sensitive substring test, as upstream. */
            strstr(site, "http://") != NULL ? "&secure=no" : "", NULL);
    }

    /* Direct: the CDN wins when set (getURL's cdn defaults to true). */
    if (*cdn)
        return apr_pstrcat(p, cdn, url, NULL);

    /* siteUrl.replace(new RegExp(escape(pathPrefix) + '$'), '') + url */
    n = strlen(site);
    if (*prefix && n >= strlen(prefix)
        && strcmp(site + n - strlen(prefix), prefix) == 0)
        n -= strlen(prefix);
    return apr_pstrcat(p, apr_pstrmemdup(p, site, n), url, NULL);
}

/* Characters a URL may not hold unencoded: controls, space, DEL and the
 * ASCII ones RFC 3986 leaves out.  Bytes above 0x7f (an IDN host, a
 * UTF-8 path) are left to the browser, as Rocket.Chat does. */
static int url_forbidden(unsigned char c)
{
    return c <= 0x20 || c == 0x7f || strchr("<>\"\\^`{|}", c) != NULL;
}

static int hex_digit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
           || (c >= 'A' && c <= 'F');
}

static const char *url_char_error(apr_pool_t *p, const char *url)
{
    const unsigned char *c;

    for (c = (const unsigned char *)url; *c; ++c) {
        apr_size_t at = (apr_size_t)(c - (const unsigned char *)url) + 1;

        if (url_forbidden(*c)) {
            const char *what = *c == ' ' ? "a space"
                             : *c < 0x20 || *c == 0x7f ? "a control character"
                             : apr_psprintf(p, "'%c'", *c);
            return apr_psprintf(p, "has %s at character %" APR_SIZE_T_FMT
                                ", which must be percent-encoded (%%%02X)",
                                what, at, *c);
        }
        if (*c == '%' && !(hex_digit((char)c[1]) && hex_digit((char)c[2])))
            return apr_psprintf(p, "has a '%%' not followed by two hex "
                                "digits at character %" APR_SIZE_T_FMT, at);
    }
    return NULL;
}

const char *invite_url_setting_error(apr_pool_t *p, const char *url)
{
    const char *err = url_char_error(p, url);
    apr_uri_t uri;

    if (err)
        return err;
    if (apr_uri_parse(p, url, &uri) != APR_SUCCESS || !uri.scheme
        || !uri.hostname || !*uri.hostname)
        return "is not a valid absolute URL";
    if (strcmp(uri.scheme, "http") && strcmp(uri.scheme, "https"))
        return apr_psprintf(p, "has the scheme '%s': it must be http or "
                            "https, in lowercase", uri.scheme);
    if (uri.user || uri.password)
        return "has a user name or password (user:pass@): links must not "
               "carry credentials";
    if (uri.port_str && (!*uri.port_str || uri.port == 0
                         || strlen(uri.port_str) > 5
                         || apr_atoi64(uri.port_str) > 65535))
        return apr_psprintf(p, "has the port '%s': it must be a number "
                            "from 1 to 65535", uri.port_str);
    if (uri.query)
        return "has a query ('?'): invite links are built by appending a "
               "path, so none is allowed";
    if (uri.fragment)
        return "has a fragment ('#'): invite links are built by appending "
               "a path, so none is allowed";
    return NULL;
}
