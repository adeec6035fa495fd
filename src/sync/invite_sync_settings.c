/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_sync_settings.c - invite-sync's settings file and environment,
 * and its messages with secrets hidden (src/sync/invite_sync.h).
 *
 * The settings file holds the MongoDB URL (with its password) and the
 * bot's token: it must be readable by its owner only.  Its lines are
 * `key = value`, with `#` comments and blank lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "invite_sync.h"

int invite_sync_verbose;
volatile int invite_sync_stop;

/* ------------------------------------------------------ settings file */

/* s without the white space around it, in place. */
static char *settings_trim(char *s)
{
    char *e;

    while (apr_isspace(*s)) {
        s++;
    }
    e = s + strlen(s);
    while (e > s && apr_isspace(e[-1])) {
        *--e = '\0';
    }
    return s;
}

/* Sets key to value in c: 0, or -1 with *err. */
static int settings_set(apr_pool_t *p, invite_sync_conf_t *c,
                        const char *file, int lineno, const char *key,
                        const char *value, const char **err)
{
    const char *v = apr_pstrdup(p, value);

    if (!strcmp(key, "mongo_url")) {
        c->mongo_url = v;
    }
    else if (!strcmp(key, "rocketchat_url")) {
        c->rocketchat_url = v;
    }
    else if (!strcmp(key, "bot_user_id")) {
        c->bot_user_id = v;
    }
    else if (!strcmp(key, "bot_token")) {
        c->bot_token = v;
    }
    else if (!strcmp(key, "outbox")) {
        if (!strcasecmp(v, "on")) {
            c->outbox = 1;
        }
        else if (!strcasecmp(v, "off")) {
            c->outbox = 0;
        }
        else {
            *err = apr_psprintf(p, "%s:%d: outbox is on or off", file,
                                lineno);
            return -1;
        }
    }
    else {
        *err = apr_psprintf(p, "%s:%d: unknown setting '%s' (mongo_url,"
                            " rocketchat_url, bot_user_id, bot_token,"
                            " outbox)", file, lineno, key);
        return -1;
    }
    return 0;
}

int invite_sync_settings_read(apr_pool_t *p, const char *file,
                              int must_exist, invite_sync_conf_t *c,
                              const char **err)
{
    char buf[8192];
    struct stat st;
    FILE *f;
    int fd, lineno = 0, rv = 0;

    fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && !must_exist) {
            return 0;
        }
        *err = apr_psprintf(p, "cannot read the settings file %s: %s", file,
                            strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        *err = apr_psprintf(p, "the settings file %s is not a file", file);
        return -1;
    }
    /* It holds the MongoDB password and the bot's token. */
    if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
        close(fd);
        *err = apr_psprintf(p, "refused: the settings file %s is %s by"
                            " group or others (mode %04o): chmod 600 %s",
                            file, st.st_mode & (S_IRGRP | S_IROTH)
                                  ? "readable" : "writable",
                            (unsigned)(st.st_mode & 07777), file);
        return -1;
    }
    if (!(f = fdopen(fd, "r"))) {
        close(fd);
        *err = apr_psprintf(p, "cannot read the settings file %s: %s", file,
                            strerror(errno));
        return -1;
    }
    while (rv == 0 && fgets(buf, sizeof(buf), f)) {
        char *s, *eq, *key, *value;
        size_t n = strlen(buf);

        lineno++;
        if (n == sizeof(buf) - 1 && buf[n - 1] != '\n') {
            *err = apr_psprintf(p, "%s:%d: line too long", file, lineno);
            rv = -1;
            break;
        }
        s = settings_trim(buf);
        if (!*s || *s == '#') {
            continue;
        }
        if (!(eq = strchr(s, '='))) {
            *err = apr_psprintf(p, "%s:%d: not a 'key = value' line", file,
                                lineno);
            rv = -1;
            break;
        }
        *eq = '\0';
        key = settings_trim(s);
        value = settings_trim(eq + 1);
        /* "value" or 'value': the quotes go. */
        n = strlen(value);
        if (n >= 2 && (value[0] == '"' || value[0] == '\'')
            && value[n - 1] == value[0]) {
            value[n - 1] = '\0';
            value++;
        }
        rv = settings_set(p, c, file, lineno, key, value, err);
    }
    if (rv == 0 && ferror(f)) {
        *err = apr_psprintf(p, "cannot read the settings file %s", file);
        rv = -1;
    }
    fclose(f);
    return rv;
}

void invite_sync_settings_env(invite_sync_conf_t *c)
{
    static const struct {
        const char *name;
        size_t offset;
    } vars[] = {
        { "INVITE_SYNC_MONGO_URL", offsetof(invite_sync_conf_t, mongo_url) },
        { "INVITE_SYNC_ROCKETCHAT_URL",
          offsetof(invite_sync_conf_t, rocketchat_url) },
        { "INVITE_SYNC_BOT_USER_ID",
          offsetof(invite_sync_conf_t, bot_user_id) },
        { "INVITE_SYNC_BOT_TOKEN", offsetof(invite_sync_conf_t, bot_token) },
    };
    size_t i;

    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = getenv(vars[i].name);

        if (v && *v) {
            *(const char **)((char *)c + vars[i].offset) = v;
        }
    }
}

/* --------------------------------------------------------- redaction */

/* 1 when a URI option named name (n bytes) carries a secret. */
static int url_secret_option(const char *name, size_t n)
{
    static const char suffix[] = "password";
    size_t sn = sizeof(suffix) - 1;

    return (n >= sn && !strncasecmp(name + n - sn, suffix, sn))
        || (n == 23 && !strncasecmp(name, "authMechanismProperties", n));
}

/* The userinfo of url (NULL: none): from after "://" to the last '@'
 * before the options. */
static const char *url_userinfo(apr_pool_t *p, const char *url)
{
    const char *scheme = strstr(url, "://"), *host, *query, *at = NULL, *s;

    if (!scheme) {
        return NULL;
    }
    host = scheme + 3;
    query = strchr(host, '?');
    for (s = host; *s && (!query || s < query); s++) {
        if (*s == '@') {
            at = s;
        }
    }
    return at ? apr_pstrmemdup(p, host, at - host) : NULL;
}

const char *invite_sync_url_password(apr_pool_t *p, const char *url)
{
    const char *user = url_userinfo(p, url), *colon;

    colon = user ? strchr(user, ':') : NULL;
    return colon && colon[1] ? colon + 1 : NULL;
}

const char *invite_sync_url_redact(apr_pool_t *p, const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *host, *query, *user, *colon, *s;
    char *out;

    if (!scheme) {
        /* Not a URL: it may be anything, a password too. */
        return "***";
    }
    host = scheme + 3;
    out = apr_pstrmemdup(p, url, host - url);
    if ((user = url_userinfo(p, url))) {
        colon = strchr(user, ':');
        out = apr_pstrcat(p, out, colon ? apr_pstrmemdup(p, user,
                                                         colon - user)
                                        : user, colon ? ":***" : "", NULL);
        host += strlen(user);
    }
    query = strchr(host, '?');
    out = apr_pstrcat(p, out, query ? apr_pstrmemdup(p, host, query - host)
                                    : host, NULL);
    if (!query) {
        return out;
    }
    /* The options, each name=value, separated by & (or ;). */
    for (s = query; *s;) {
        const char *opt = s + 1, *end = opt + strcspn(opt, "&;");
        const char *eq = memchr(opt, '=', end - opt);

        out = apr_pstrcat(p, out, apr_pstrmemdup(p, s, 1), NULL);
        if (eq && url_secret_option(opt, eq - opt)) {
            out = apr_pstrcat(p, out, apr_pstrmemdup(p, opt, eq + 1 - opt),
                              "***", NULL);
        }
        else {
            out = apr_pstrcat(p, out, apr_pstrmemdup(p, opt, end - opt),
                              NULL);
        }
        s = end;
    }
    return out;
}

/* ----------------------------------------------------------- messages */

static pthread_mutex_t secrets_lock = PTHREAD_MUTEX_INITIALIZER;
static char **secrets;
static size_t n_secrets;

void invite_sync_secret(const char *s)
{
    char **grown;

    if (!s || !*s) {
        return;
    }
    pthread_mutex_lock(&secrets_lock);
    grown = realloc(secrets, (n_secrets + 1) * sizeof(*secrets));
    if (grown) {
        secrets = grown;
        if ((secrets[n_secrets] = strdup(s)) != NULL) {
            n_secrets++;
        }
    }
    pthread_mutex_unlock(&secrets_lock);
}

void invite_sync_secrets_clear(void)
{
    size_t i;

    pthread_mutex_lock(&secrets_lock);
    for (i = 0; i < n_secrets; i++) {
        free(secrets[i]);
    }
    free(secrets);
    secrets = NULL;
    n_secrets = 0;
    pthread_mutex_unlock(&secrets_lock);
}

/* s with each run of bytes that some secret covers (in s as given, so
 * that one secret's "***" is never taken for another's, and overlapping
 * secrets are hidden whole) replaced by "***"; malloc'd. */
char *invite_sync_redact(const char *s)
{
    size_t len = strlen(s), i, j, n;
    char *mark = calloc(len + 1, 1), *out, *o;
    const char *hit;

    if (!mark || !(out = malloc(len * 3 + 1))) {
        free(mark);
        return NULL;
    }
    pthread_mutex_lock(&secrets_lock);
    for (i = 0; i < n_secrets; i++) {
        n = strlen(secrets[i]);
        for (hit = strstr(s, secrets[i]); hit; hit = strstr(hit + 1,
                                                            secrets[i])) {
            memset(mark + (hit - s), 1, n);
        }
    }
    pthread_mutex_unlock(&secrets_lock);
    for (o = out, i = 0; i < len; i = j) {
        for (j = i; j < len && mark[j] == mark[i]; j++) {
        }
        if (mark[i]) {
            memcpy(o, "***", 3);
            o += 3;
        }
        else {
            memcpy(o, s + i, j - i);
            o += j - i;
        }
    }
    *o = '\0';
    free(mark);
    return out;
}

void invite_sync_vlog(const char *tag, const char *fmt, va_list ap)
{
    char buf[2048], *safe;

    vsnprintf(buf, sizeof(buf), fmt, ap);
    safe = invite_sync_redact(buf);
    /* Without memory, the message could not be checked: say less. */
    fprintf(stderr, "invite-sync: %s%s\n", tag ? tag : "",
            safe ? safe : "(message lost: out of memory)");
    free(safe);
}

void invite_sync_log(const char *tag, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    invite_sync_vlog(tag, fmt, ap);
    va_end(ap);
}

const char *invite_sync_iso(apr_pool_t *p, apr_int64_t ms)
{
    apr_time_exp_t t;

    if (apr_time_exp_gmt(&t, apr_time_from_msec(ms)) != APR_SUCCESS) {
        return "?";
    }
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                        t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour,
                        t.tm_min, t.tm_sec);
}

apr_int64_t invite_sync_now_ms(void)
{
    return apr_time_as_msec(apr_time_now());
}

int invite_sync_sleep(long ms)
{
    while (ms > 0 && !invite_sync_stop) {
        long slice = ms < 100 ? ms : 100;

        apr_sleep(apr_time_from_msec(slice));
        ms -= slice;
    }
    return invite_sync_stop ? 1 : 0;
}
