/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_dbname.c - the database a DBDParams string names, without its
 * password, for log lines and the invitectl hints (include/invite_dbname.h).
 *
 * pgsql: libpq's two connection-string forms.  key=value pairs separated
 * by white space, a value bare (a backslash escapes the next character)
 * or in single quotes (\' and \\ inside); or a URI,
 * postgresql://[user[:password]@][host[:port][,...]][/dbname][?key=value&...]
 * with %-escapes.  Only host, hostaddr, port, dbname and user are kept.
 */
#include <errno.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <apr_tables.h>

#include "invite_dbname.h"

/* The keys that say which database, in the order they are shown, then
 * the password, which is read (for invite_dbname_passwords) but never
 * shown. */
static const char *const identity_keys[] = {
    "host", "hostaddr", "port", "dbname", "user", "password", NULL
};
#define NKEYS 5
#define PASSWORD NKEYS

static int key_index(const char *key, apr_size_t len)
{
    int i;
    for (i = 0; identity_keys[i]; i++) {
        if (strlen(identity_keys[i]) == len
            && !strncmp(identity_keys[i], key, len)) {
            return i;
        }
    }
    return -1;
}

/* A conninfo value as libpq reads it back: bare when it can be, else in
 * single quotes with ' and \ escaped. */
static const char *conninfo_quote(apr_pool_t *p, const char *v)
{
    apr_size_t n = strlen(v), i, o = 0;
    char *out;

    if (*v && !strpbrk(v, " \t\n\r\f\v'\\")) {
        return v;
    }
    out = apr_palloc(p, 2 * n + 3);
    out[o++] = '\'';
    for (i = 0; i < n; i++) {
        if (v[i] == '\'' || v[i] == '\\') {
            out[o++] = '\\';
        }
        out[o++] = v[i];
    }
    out[o++] = '\'';
    out[o] = '\0';
    return out;
}

/* Records a password's forms in secrets (when not NULL): as libpq reads
 * it and as written in DBDParams (quoted, escaped, %-encoded). */
static void add_secret(apr_pool_t *p, apr_array_header_t *secrets,
                       const char *value, const char *raw, apr_size_t rawlen)
{
    if (secrets) {
        APR_ARRAY_PUSH(secrets, const char *) = value;
        APR_ARRAY_PUSH(secrets, const char *) = apr_pstrmemdup(p, raw,
                                                               rawlen);
    }
}

/* libpq's key=value form; 0 when it is not well formed. */
static int parse_conninfo(apr_pool_t *p, const char *s, const char **vals,
                          apr_array_header_t *secrets)
{
    while (*s) {
        const char *key, *raw;
        apr_size_t klen;
        char *val, *o;
        int k;

        while (apr_isspace(*s)) {
            s++;
        }
        if (!*s) {
            break;
        }
        key = s;
        while (*s && *s != '=' && !apr_isspace(*s)) {
            s++;
        }
        klen = (apr_size_t)(s - key);
        while (apr_isspace(*s)) {
            s++;
        }
        if (*s != '=' || !klen) {
            return 0;
        }
        s++;
        while (apr_isspace(*s)) {
            s++;
        }
        raw = s;
        o = val = apr_palloc(p, strlen(s) + 1);
        if (*s == '\'') {
            for (s++; *s && *s != '\''; s++) {
                if (*s == '\\' && s[1]) {
                    s++;
                }
                *o++ = *s;
            }
            if (*s != '\'') {
                return 0;   /* unterminated quote */
            }
            s++;
        }
        else {
            for (; *s && !apr_isspace(*s); s++) {
                if (*s == '\\' && s[1]) {
                    s++;
                }
                *o++ = *s;
            }
        }
        *o = '\0';
        k = key_index(key, klen);
        if (k >= 0) {
            vals[k] = val;
        }
        if (k == PASSWORD) {
            add_secret(p, secrets, val, raw, (apr_size_t)(s - raw));
        }
    }
    return 1;
}

/* %XX-decoded copy of s[0..len-1]; a malformed escape stays as it is. */
static const char *uri_decode(apr_pool_t *p, const char *s, apr_size_t len)
{
    char *out = apr_palloc(p, len + 1), *o = out;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && apr_isxdigit(s[i + 1]) && apr_isxdigit(s[i + 2])) {
            char hex[3] = { s[i + 1], s[i + 2], '\0' };
            *o++ = (char)strtol(hex, NULL, 16);
            i += 2;
        }
        else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

/* One host[:port] of a URI's host list ([v6]:port too). */
static void uri_host(apr_pool_t *p, const char *h, apr_size_t len,
                     const char **host, const char **port)
{
    const char *colon, *end = h + len;

    if (len && *h == '[') {
        const char *close = memchr(h, ']', len);
        if (close) {
            *host = apr_pstrmemdup(p, h + 1, (apr_size_t)(close - h - 1));
            *port = (close + 1 < end && close[1] == ':')
                    ? uri_decode(p, close + 2, (apr_size_t)(end - close - 2))
                    : "";
            return;
        }
    }
    colon = memchr(h, ':', len);
    if (colon) {
        *host = uri_decode(p, h, (apr_size_t)(colon - h));
        *port = uri_decode(p, colon + 1, (apr_size_t)(end - colon - 1));
    }
    else {
        *host = uri_decode(p, h, len);
        *port = "";
    }
}

static const char *join_with(apr_pool_t *p, const char *list,
                             const char *sep, const char *item)
{
    return list ? apr_pstrcat(p, list, sep, item, NULL) : item;
}

static const char *join(apr_pool_t *p, const char *list, const char *item)
{
    return join_with(p, list, ",", item);
}

/* libpq's URI form (the caller checked the scheme; `s` follows "://"). */
static void parse_uri(apr_pool_t *p, const char *s, const char **vals,
                      apr_array_header_t *secrets)
{
    apr_size_t alen = strcspn(s, "/?");
    const char *at = memchr(s, '@', alen), *hosts = s, *rest = s + alen;
    const char *hl = NULL, *pl = NULL;
    int any_port = 0;

    if (at) {
        apr_size_t ulen = strcspn(s, ":@");   /* the password follows ':' */
        if (ulen) {
            vals[4] = uri_decode(p, s, ulen);
        }
        if (s[ulen] == ':') {
            apr_size_t plen = (apr_size_t)(at - s - ulen - 1);
            vals[PASSWORD] = uri_decode(p, s + ulen + 1, plen);
            add_secret(p, secrets, vals[PASSWORD], s + ulen + 1, plen);
        }
        hosts = at + 1;
    }
    while (hosts < rest) {
        apr_size_t n = 0;
        const char *host, *port;
        /* a comma inside [v6] brackets does not separate hosts */
        int in_brackets = 0;
        while (hosts + n < rest && (in_brackets || hosts[n] != ',')) {
            in_brackets = hosts[n] == '[' ? 1 : hosts[n] == ']' ? 0
                        : in_brackets;
            n++;
        }
        uri_host(p, hosts, n, &host, &port);
        hl = join(p, hl, host);
        pl = join(p, pl, port);
        any_port |= *port != '\0';
        hosts += n + (hosts + n < rest);
    }
    if (hl && hl[strspn(hl, ",")]) {   /* some host is named */
        vals[0] = hl;
    }
    if (any_port) {
        vals[2] = pl;
    }
    if (*rest == '/') {
        apr_size_t n = strcspn(rest + 1, "?");
        if (n) {
            vals[3] = uri_decode(p, rest + 1, n);
        }
        rest += 1 + n;
    }
    if (*rest == '?') {
        for (rest++; *rest; ) {
            apr_size_t n = strcspn(rest, "&");
            const char *eq = memchr(rest, '=', n);
            if (eq) {
                const char *key = uri_decode(p, rest, (apr_size_t)(eq - rest));
                int k = key_index(key, strlen(key));
                apr_size_t vlen = (apr_size_t)(rest + n - eq - 1);
                if (k >= 0) {
                    vals[k] = uri_decode(p, eq + 1, vlen);
                }
                if (k == PASSWORD) {
                    add_secret(p, secrets, vals[k], eq + 1, vlen);
                }
            }
            rest += n + (rest[n] == '&');
        }
    }
}

/* The values of identity_keys in a pgsql DBDParams string, URI or
 * key=value; 0 when it is not well formed.  Every password's forms go to
 * secrets unless it is NULL. */
static int pgsql_values(apr_pool_t *p, const char *params, const char **vals,
                        apr_array_header_t *secrets)
{
    if (!strncmp(params, "postgresql://", 13)) {
        parse_uri(p, params + 13, vals, secrets);
        return 1;
    }
    if (!strncmp(params, "postgres://", 11)) {
        parse_uri(p, params + 11, vals, secrets);
        return 1;
    }
    return parse_conninfo(p, params, vals, secrets);
}

static void pgsql_name(apr_pool_t *p, const char *params, invite_dbname_t *out)
{
    const char *vals[NKEYS + 1] = { NULL };
    const char *text = "";
    int i, ok = pgsql_values(p, params, vals, NULL);
    for (i = 0; ok && i < NKEYS; i++) {
        if (vals[i]) {
            text = apr_pstrcat(p, text, *text ? " " : "", identity_keys[i],
                               "=", conninfo_quote(p, vals[i]), NULL);
        }
    }
    out->params = text;
    out->label = !ok ? "unparsable DBDParams (pgsql)"
               : *text ? apr_pstrcat(p, text, " (pgsql)", NULL)
               : "libpq's default database (pgsql)";
}

/* The file a sqlite3 DBDParams opens.  apr_dbd_sqlite3 hands the string
 * to sqlite3_open(), which (Debian's SQLite is built with SQLITE_USE_URI)
 * also takes a URI: file:PATH, file:///PATH or file://localhost/PATH,
 * %-escaped, with ?mode=rw (never create the file) and other parameters
 * after the path. */
static void sqlite_file(apr_pool_t *p, const char *params,
                        invite_dbname_t *out)
{
    const char *path = params;
    apr_size_t len;

    out->sqlite_path = params;
    if (strncmp(params, "file:", 5)) {
        return;
    }
    path += 5;
    if (!strncmp(path, "//", 2)) {
        const char *slash = strchr(path + 2, '/');
        if (!slash || (slash != path + 2
                       && strncmp(path + 2, "localhost/", 10))) {
            out->sqlite_path = NULL;   /* another host: not a local file */
            return;
        }
        path = slash;
    }
    len = strcspn(path, "?#");
    out->sqlite_path = uri_decode(p, path, len);
    if (path[len] == '?') {
        const char *q = path + len;
        out->sqlite_no_create = strstr(q, "mode=rw") || strstr(q, "mode=ro");
    }
}

void invite_dbname_parse(apr_pool_t *p, const char *driver,
                         const char *params, invite_dbname_t *out)
{
    memset(out, 0, sizeof(*out));
    out->driver = driver ? driver : "";
    if (!params) {
        params = "";
    }
    if (!strcmp(out->driver, "sqlite3")) {
        out->params = params;
        sqlite_file(p, params, out);
        out->label = *params ? apr_pstrcat(p, params, " (sqlite3)", NULL)
                             : "no DBDParams (sqlite3)";
    }
    else if (!strcmp(out->driver, "pgsql")) {
        pgsql_name(p, params, out);
    }
    else {
        /* Where another driver keeps its password is unknown: no params. */
        out->label = *out->driver
                     ? apr_psprintf(p, "a %s database", out->driver)
                     : "no DBDriver";
    }
}

/* s for a POSIX shell: as it is when it is plain, else in double quotes
 * with " $ ` \ escaped. */
static const char *shell_quote(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s), i, o = 0;
    char *out;

    for (i = 0; i < n; i++) {
        if (!apr_isalnum(s[i]) && !strchr("/._+-,:=@%", s[i])) {
            break;
        }
    }
    if (n && i == n) {
        return s;
    }
    out = apr_palloc(p, 2 * n + 3);
    out[o++] = '"';
    for (i = 0; i < n; i++) {
        if (strchr("\"$`\\", s[i])) {
            out[o++] = '\\';
        }
        out[o++] = s[i];
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

const char *invite_dbname_invitectl(apr_pool_t *p, const invite_dbname_t *db,
                                    const char *command)
{
    if (!db->params) {
        return NULL;
    }
    return apr_psprintf(p, "invitectl -d %s -p %s %s", db->driver,
                        shell_quote(p, db->params), command);
}

/* Longest first: a form inside another is then hidden with it. */
static int longest_first(const void *a, const void *b)
{
    apr_size_t x = strlen(*(const char *const *)a);
    apr_size_t y = strlen(*(const char *const *)b);
    return (x < y) - (x > y);
}

const char **invite_dbname_passwords(apr_pool_t *p, const char *driver,
                                     const char *params)
{
    const char *vals[NKEYS + 1] = { NULL };
    apr_array_header_t *all, *out;
    int i, j;

    if (!driver || strcmp(driver, "pgsql") || !params) {
        return NULL;
    }
    all = apr_array_make(p, 4, sizeof(const char *));
    pgsql_values(p, params, vals, all);
    qsort(all->elts, (size_t)all->nelts, sizeof(const char *),
          longest_first);
    out = apr_array_make(p, all->nelts + 1, sizeof(const char *));
    for (i = 0; i < all->nelts; i++) {
        const char *s = APR_ARRAY_IDX(all, i, const char *);
        for (j = 0; j < out->nelts
                    && strcmp(s, APR_ARRAY_IDX(out, j, const char *)); j++) {
        }
        if (*s && j == out->nelts) {
            APR_ARRAY_PUSH(out, const char *) = s;
        }
    }
    if (!out->nelts) {
        return NULL;
    }
    APR_ARRAY_PUSH(out, const char *) = NULL;
    return (const char **)out->elts;
}

const char *invite_dbname_dir(apr_pool_t *p, const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash) {
        return ".";
    }
    return slash == path ? "/"
                         : apr_pstrmemdup(p, path, (apr_size_t)(slash - path));
}

int invite_dbname_denied(const char *path, int mode)
{
    return access(path, mode) != 0 && (errno == EACCES || errno == EROFS
                                       || errno == EPERM);
}

const char *invite_dbname_sqlite_missing(apr_pool_t *p, const char *path)
{
    const char *dir;
    struct stat st;

    if (!*path || !strcmp(path, ":memory:") || stat(path, &st) == 0
        || errno != ENOENT) {
        return NULL;   /* there, or a problem of another kind */
    }
    dir = invite_dbname_dir(p, path);
    if (stat(dir, &st) != 0 && errno == ENOENT) {
        return apr_psprintf(p, "no directory %s", dir);
    }
    return apr_psprintf(p, "no file %s", path);
}

const char *invite_dbname_sqlite_unwritable(apr_pool_t *p, const char *path)
{
    static const char *const suffixes[] = { "", "-wal", "-shm", NULL };
    const char *files = NULL;
    int i;

    for (i = 0; suffixes[i]; i++) {
        const char *file = apr_pstrcat(p, path, suffixes[i], NULL);
        if (invite_dbname_denied(file, R_OK | W_OK)) {
            files = join_with(p, files, " ", shell_quote(p, file));
        }
    }
    return files;
}
