/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_url.c - getInviteUrl() (docs/api.md#invite-url) and
 * encodeURIComponent.  Expected values match Rocket.Chat's
 * getURL()/getCloudUrl() run under Node.js.
 */
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "invite_core.h"
#include "tap.h"

static apr_pool_t *pool;

static const char *url(const char *site, int direct, const char *deep_link,
                       const char *cdn, const char *id)
{
    invite_url_cfg_t cfg;

    cfg.site_url = site;
    cfg.direct = direct;
    cfg.deep_link_url = deep_link;
    cfg.cdn_prefix = cdn;
    return invite_url_build(pool, &cfg, id);
}

#define PROXY 0
#define DIRECT 1

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);

    /* ------------------------------------------------ encodeURIComponent */
    is_str(invite_url_encode_component(pool, "a b&c/d?e=f~!*'()"),
           "a%20b%26c%2Fd%3Fe%3Df~!*'()", "reserved characters");
    is_str(invite_url_encode_component(pool, "\xc3\xa9"), "%C3%A9",
           "UTF-8 bytes, uppercase hex");
    is_str(invite_url_encode_component(pool, "\xe6\x97\xa5\xe6\x9c\xac"),
           "%E6%97%A5%E6%9C%AC", "three-byte UTF-8");
    is_str(invite_url_encode_component(pool, "\xf0\x9f\x98\x80"),
           "%F0%9F%98%80", "four-byte UTF-8");
    is_str(invite_url_encode_component(
               pool, "ABCXYZabcxyz0189-_.!~*'()@#$%^+=[]{}|\\:;\"<>,`"),
           "ABCXYZabcxyz0189-_.!~*'()"
           "%40%23%24%25%5E%2B%3D%5B%5D%7B%7D%7C%5C%3A%3B%22%3C%3E%2C%60",
           "unreserved kept, every other ASCII escaped");
    is_str(invite_url_encode_component(pool, "\t\n\x7f"), "%09%0A%7F",
           "control characters");
    is_str(invite_url_encode_component(pool, ""), "", "empty string");
    ok(invite_url_encode_component(pool, NULL) == NULL, "NULL gives NULL");

    /* ------------------------------------------------------- proxy mode */
    is_str(url("https://chat.example.com", PROXY, NULL, NULL, "z6ag6J"),
           "https://go.rocket.chat/invite?host=chat.example.com"
           "&path=invite%2Fz6ag6J",
           "proxy, default deep link (docs/api.md#find-success)");
    is_str(url("https://chat.example.com", PROXY, "", "", "z6ag6J"),
           "https://go.rocket.chat/invite?host=chat.example.com"
           "&path=invite%2Fz6ag6J",
           "proxy, empty deep link means the default");
    is_str(url("http://localhost:3000", PROXY, NULL, NULL, "ID"),
           "https://go.rocket.chat/invite?host=localhost%3A3000"
           "&path=invite%2FID&secure=no",
           "proxy, http:// site adds secure=no");
    is_str(url("https://h/chat", PROXY, NULL, NULL, "ID"),
           "https://go.rocket.chat/invite?host=h%2Fchat&path=chat%2Finvite%2FID",
           "proxy, sub-directory quirk: directory in host and path");
    is_str(url("http://h:8080/sub/dir/", PROXY, NULL, NULL, "ID"),
           "https://go.rocket.chat/invite?host=h%3A8080%2Fsub%2Fdir"
           "&path=sub%2Fdir%2Finvite%2FID&secure=no",
           "proxy, two-level sub-directory with port over http");
    is_str(url("https://chat.example.com", PROXY, "https://127.0.0.1:3000//",
               NULL, "ID"),
           "https://127.0.0.1:3000/invite?host=chat.example.com&path=invite%2FID",
           "proxy, custom deep link with trailing slashes (issue #31250)");
    is_str(url("  https://chat.example.com///  ", PROXY, NULL, NULL, "ID"),
           "https://go.rocket.chat/invite?host=chat.example.com&path=invite%2FID",
           "proxy, site URL whitespace and trailing slashes trimmed");
    is_str(url("HTTPS://Chat.Example.com", PROXY, NULL, NULL, "ID"),
           "https://go.rocket.chat/invite?host=Chat.Example.com&path=invite%2FID",
           "proxy, HTTPS:// stripped case-insensitively, host case kept");
    is_str(url("HTTP://chat.example.com", PROXY, NULL, NULL, "ID"),
           "https://go.rocket.chat/invite?host=chat.example.com&path=invite%2FID",
           "proxy, HTTP:// uppercase: no secure=no (case-sensitive test)");
    is_str(url("\thttp://chat.example.com/\n", PROXY, NULL, NULL, "ID"),
           "https://go.rocket.chat/invite?host=chat.example.com"
           "&path=invite%2FID&secure=no",
           "proxy, tab/newline trimmed, secure=no kept");
    is_str(url("https://[::1]:3000", PROXY, NULL, NULL, "ID"),
           "https://go.rocket.chat/invite?host=%5B%3A%3A1%5D%3A3000"
           "&path=invite%2FID",
           "proxy, IPv6 literal host encoded");
    is_str(url("https://chat.example.com", PROXY, NULL,
               "https://cdn.example.com", "ID"),
           "https://go.rocket.chat/invite?host=chat.example.com&path=invite%2FID",
           "proxy ignores the CDN prefix");
    is_str(url(NULL, PROXY, NULL, NULL, "ID"),
           "https://go.rocket.chat/invite?host=&path=invite%2FID",
           "proxy, no site URL");

    /* ------------------------------------------------------ direct mode */
    is_str(url("https://chat.example.com", DIRECT, NULL, NULL, "z6ag6J"),
           "https://chat.example.com/invite/z6ag6J", "direct, plain");
    is_str(url("https://h/chat", DIRECT, NULL, NULL, "ID"),
           "https://h/chat/invite/ID", "direct, sub-directory");
    is_str(url("https://h/chat/", DIRECT, NULL, "", "ID"),
           "https://h/chat/invite/ID", "direct, sub-directory, trailing slash");
    is_str(url("http://h:8080/sub/dir/", DIRECT, NULL, NULL, "ID"),
           "http://h:8080/sub/dir/invite/ID", "direct, two-level sub-directory");
    is_str(url("  https://chat.example.com///  ", DIRECT, NULL, NULL, "ID"),
           "https://chat.example.com/invite/ID",
           "direct, site URL whitespace and trailing slashes trimmed");
    is_str(url("https://chat.example.com", DIRECT, NULL,
               " https://cdn.example.com/ ", "z6ag6J"),
           "https://cdn.example.com/invite/z6ag6J",
           "direct, CDN prefix (trimmed) wins");
    is_str(url("https://h/chat", DIRECT, NULL, "https://cdn.example.com", "ID"),
           "https://cdn.example.com/chat/invite/ID",
           "direct, CDN prefix keeps the sub-directory");
    is_str(url("https://chat.example.com", DIRECT, NULL, "   ", "ID"),
           "https://chat.example.com/invite/ID",
           "direct, blank CDN prefix is no CDN");
    is_str(url("https://chat.example.com", DIRECT, "https://other.example",
               NULL, "ID"),
           "https://chat.example.com/invite/ID",
           "direct ignores the deep link URL");
    is_str(url(NULL, DIRECT, NULL, NULL, "ID"), "/invite/ID",
           "direct, no site URL gives the bare path");

    ok(invite_url_build(pool, NULL, "ID") == NULL, "NULL cfg gives NULL");

    /* ------------------------------------ URL settings (directives) */
    {
        static const char *const good[] = {
            "https://chat.example.com", "https://chat.example.com/",
            "https://h.example.org/chat", "https://links.example.org/",
            "http://localhost:3000", "http://127.0.0.1:8080/",
            "https://[::1]:8443/chat/", "https://go.rocket.chat",
            "https://cdn.example.com/assets/%20x", "https://x/a~b-c_d.e!$&'()*+,;=:@",
        };
        static const struct { const char *url, *says; } bad[] = {
            { "htps://chat.example.com", "has the scheme 'htps'" },
            { "ftp://files.example.com", "has the scheme 'ftp'" },
            { "HTTPS://chat.example.com", "has the scheme 'HTTPS'" },
            { "chat.example.com", "is not a valid absolute URL" },
            { "//chat.example.com", "is not a valid absolute URL" },
            { "https:///chat", "is not a valid absolute URL" },
            { "https://", "is not a valid absolute URL" },
            { "https://h:abc", "is not a valid absolute URL" },
            { "https://h:0", "has the port '0'" },
            { "https://h:70000", "has the port '70000'" },
            { "https://h:", "has the port ''" },
            { "https://chat.example.com/?a=1", "has a query" },
            { "https://chat.example.com?", "has a query" },
            { "https://chat.example.com/#top", "has a fragment" },
            { "https://user:pw@chat.example.com", "has a user name" },
            { "https://user@chat.example.com", "has a user name" },
            { "https://chat.example.com/a b",
              "has a space at character 27, which must be percent-encoded "
              "(%20)" },
            { "https://chat.example.com/\t", "has a control character" },
            { "https://chat.example.com/\x7f", "has a control character" },
            { "https://chat.example.com/<x>", "has '<'" },
            { "https://chat.example.com/\"", "has '\"'" },
            { "https://chat.example.com/a\\b", "has '\\'" },
            { "https://chat.example.com/^", "has '^'" },
            { "https://chat.example.com/`", "has '`'" },
            { "https://chat.example.com/{}", "has '{'" },
            { "https://chat.example.com/|", "has '|'" },
            { "https://chat.example.com/%zz",
              "has a '%' not followed by two hex digits at character 26" },
        };
        size_t i;

        for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
            const char *err = invite_url_setting_error(pool, good[i]);
            ok(err == NULL, apr_psprintf(pool, "URL setting accepted: %s",
                                         good[i]));
            if (err)
                printf("#   %s\n", err);
        }
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            const char *err = invite_url_setting_error(pool, bad[i].url);
            ok(err && strncmp(err, bad[i].says, strlen(bad[i].says)) == 0,
               apr_psprintf(pool, "URL setting refused: %s", bad[i].says));
            if (err && strncmp(err, bad[i].says, strlen(bad[i].says)))
                printf("#   got: %s\n", err);
        }
    }

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
