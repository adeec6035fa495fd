/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_url.c - invite links from arbitrary directive values:
 * invite_url_build (InviteSiteUrl, InviteDeepLinkUrl, InviteCdnPrefix,
 * InviteUrlType direct or proxy, any invite id) and
 * invite_url_encode_component.
 *
 * Input: newline-separated fields: flags, Site_Url, DeepLink_Url,
 * CDN_PREFIX, the invite id.  Flags: 'd' direct; 'S', 'L', 'C', 'I' pass
 * NULL for that field (so does a missing field).
 *
 * Properties: encodeURIComponent output is only unreserved characters and
 * upper-case %XX and decodes back to its input; a link is built for any
 * values; a proxy link is <DeepLink_Url or the default>/invite?host=..
 * &path=..[&secure=no] with both parts encoded and the path naming the
 * invite; a direct link names the invite and does not end in '/'.
 */
#include <string.h>

#include <apr_strings.h>

#include "fuzz_common.h"
#include "invite_core.h"

static int unreserved(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || (c && strchr("-_.!~*'()", c));
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes an encodeURIComponent result of n bytes, checking its form. */
static char *decode(const char *e, size_t n)
{
    char *out = apr_palloc(fz_pool, n + 1), *o = out;
    size_t i;

    for (i = 0; i < n; i++) {
        if (e[i] == '%') {
            FZ_CHECK(i + 2 < n && hexval(e[i + 1]) >= 0
                         && hexval(e[i + 2]) >= 0, e);
            *o++ = (char)(hexval(e[i + 1]) * 16 + hexval(e[i + 2]));
            i += 2;
        }
        else {
            FZ_CHECK(unreserved(e[i]), e);
            *o++ = e[i];
        }
    }
    *o = '\0';
    return out;
}

static void check_encode(const char *s)
{
    const char *e = invite_url_encode_component(fz_pool, s);

    if (!s) {
        FZ_CHECK(e == NULL, "NULL in, NULL out");
        return;
    }
    FZ_CHECK(e != NULL, s);
    FZ_CHECK(!strcmp(decode(e, strlen(e)), s), e);
}

static void check_proxy(const char *url, const char *site,
                        const char *deep_link)
{
    const char *base = deep_link && *deep_link ? deep_link
                                               : INVITE_DEFAULT_DEEP_LINK_URL;
    size_t bl = strlen(base), hl;
    const char *host, *path, *end;

    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    FZ_CHECK(!strncmp(url, base, bl), url);
    FZ_CHECK(!strncmp(url + bl, "/invite?host=", 13), url);
    host = url + bl + 13;
    hl = strcspn(host, "&");
    FZ_CHECK(!strncmp(host + hl, "&path=", 6), url);
    decode(host, hl);
    path = host + hl + 6;
    end = path + strcspn(path, "&");
    FZ_CHECK(strstr(decode(path, (size_t)(end - path)), "invite") != NULL,
             url);
    if (*end) {
        FZ_CHECK(!strcmp(end, "&secure=no"), url);
        FZ_CHECK(site && strstr(site, "http://"), url);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *f[5];
    invite_url_cfg_t cfg;
    const char *flags, *url;
    size_t n;

    fz_split(data, size, 5, f, NULL);
    flags = f[0];
    cfg.direct = strchr(flags, 'd') != NULL;
    cfg.site_url = strchr(flags, 'S') ? NULL : f[1];
    cfg.deep_link_url = strchr(flags, 'L') ? NULL : f[2];
    cfg.cdn_prefix = strchr(flags, 'C') ? NULL : f[3];
    if (strchr(flags, 'I'))
        f[4] = NULL;

    for (int i = 0; i < 5; i++)
        check_encode(f[i]);

    FZ_CHECK(invite_url_build(NULL, &cfg, f[4]) == NULL, "NULL pool");
    FZ_CHECK(invite_url_build(fz_pool, NULL, f[4]) == NULL, "NULL cfg");
    url = invite_url_build(fz_pool, &cfg, f[4]);
    FZ_CHECK(url != NULL, "no link");
    if (!cfg.direct) {
        check_proxy(url, cfg.site_url, cfg.deep_link_url);
    }
    else {
        n = strlen(url);
        FZ_CHECK(strstr(url, "invite") != NULL, url);
        FZ_CHECK(n > 0 && url[n - 1] != '/', url);
    }
    fz_done();
    return 0;
}
