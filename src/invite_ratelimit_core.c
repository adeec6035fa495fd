/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_ratelimit_core.c - fixed windows, keys and messages of the API
 * rate limiter (include/invite_ratelimit.h), over APR only.
 */
#include <errno.h>
#include <string.h>

#include <apr_strings.h>

#include "invite_ratelimit.h"

const char *invite_ratelimit_rule(apr_pool_t *p, const char *route,
                                  const char *method)
{
    return apr_pstrcat(p, "/api/v1/", route, method, NULL);
}

int invite_ratelimit_id(const char *site, const char *scope,
                        const char *rule, const char *ip,
                        unsigned char id[INVITE_RL_ID_LEN])
{
    const char *parts[4];
    char buf[1024];
    apr_size_t len = 0;
    int i;

    parts[0] = site ? site : "";
    parts[1] = scope ? scope : "";
    parts[2] = rule ? rule : "";
    parts[3] = ip ? ip : "";
    /* Each part ends with its NUL: no part holds one, so two different
     * lists never hash the same bytes. */
    for (i = 0; i < 4; i++) {
        apr_size_t n = strlen(parts[i]) + 1;
        if (len + n > sizeof(buf)) {
            return 0;
        }
        memcpy(buf + len, parts[i], n);
        len += n;
    }
    return invite_sha256(buf, len, id);
}

int invite_ratelimit_count(invite_rl_window_t *w, int found, invite_ms_t now,
                           long long limit, invite_ms_t interval, int *store)
{
    if (!found || w->reset <= now) {
        w->count = 0;
        w->reset = now + interval;
    }
    /* Past limit + 1 the answer no longer changes: blocked calls then
     * cost a read only. */
    *store = w->count <= limit;
    if (*store) {
        w->count++;
    }
    return w->count <= limit;
}

long long invite_ratelimit_remaining(const invite_rl_window_t *w,
                                     long long limit)
{
    return w->count >= limit ? 0 : limit - w->count;
}

long long invite_ratelimit_wait(const invite_rl_window_t *w, invite_ms_t now)
{
    long long ms = w->reset - now;
    return ms <= 0 ? 1 : (ms + 999) / 1000;
}

unsigned int invite_ratelimit_encode(const invite_rl_window_t *w,
                                     char buf[INVITE_RL_VALUE_MAX])
{
    apr_snprintf(buf, INVITE_RL_VALUE_MAX, "%" APR_INT64_T_FMT " %"
                 APR_INT64_T_FMT, (apr_int64_t)w->count,
                 (apr_int64_t)w->reset);
    return (unsigned int)strlen(buf);
}

/* A non-negative decimal number ending at `end` or at a space. */
static int parse_number(const char *s, char **end, long long *out)
{
    apr_int64_t v;

    if (*s < '0' || *s > '9') {
        return 0;
    }
    errno = 0;
    v = apr_strtoi64(s, end, 10);
    *out = (long long)v;
    return errno == 0 && v >= 0;
}

int invite_ratelimit_decode(const char *buf, unsigned int len,
                            invite_rl_window_t *w)
{
    char copy[INVITE_RL_VALUE_MAX];
    char *end;

    if (!buf || len == 0 || len >= sizeof(copy)) {
        return 0;
    }
    memcpy(copy, buf, len);
    copy[len] = '\0';
    return parse_number(copy, &end, &w->count) && *end == ' '
           && parse_number(end + 1, &end, &w->reset) && *end == '\0';
}

const char *invite_ratelimit_message(apr_pool_t *p, long long seconds)
{
    return apr_psprintf(p, "Error, too many requests. Please slow down. You "
                        "must wait %" APR_INT64_T_FMT " seconds before trying "
                        "this endpoint again. [error-too-many-requests]",
                        (apr_int64_t)seconds);
}

static apr_uint32_t id_word(const unsigned char *id, int at)
{
    return (apr_uint32_t)id[at] << 24 | (apr_uint32_t)id[at + 1] << 16
           | (apr_uint32_t)id[at + 2] << 8 | (apr_uint32_t)id[at + 3];
}

/* The bucket of `id`: bytes 8 to 11 (shmcb picks its subcache by byte 0). */
static invite_rl_seen_t *seen_bucket(invite_rl_seen_t *table,
                                     const unsigned char *id)
{
    return table + (id_word(id, 8)
                    % (INVITE_RL_SEEN_SLOTS / INVITE_RL_SEEN_WAYS))
                   * INVITE_RL_SEEN_WAYS;
}

void invite_ratelimit_seen_store(invite_rl_seen_t *table,
                                 const unsigned char *id, invite_ms_t reset)
{
    invite_rl_seen_t *b = seen_bucket(table, id), *slot = b;
    apr_uint32_t tag = id_word(id, 4);
    int i;

    for (i = 0; i < INVITE_RL_SEEN_WAYS; i++) {
        if (b[i].until && b[i].tag == tag) {
            slot = b + i;
            break;
        }
        if (b[i].until < slot->until) {
            slot = b + i;
        }
    }
    slot->tag = tag;
    slot->until = (apr_uint32_t)(reset / 1000);
}

int invite_ratelimit_seen_lost(invite_rl_seen_t *table,
                               const unsigned char *id, invite_ms_t now)
{
    invite_rl_seen_t *b = seen_bucket(table, id);
    apr_uint32_t tag = id_word(id, 4);
    int i;

    for (i = 0; i < INVITE_RL_SEEN_WAYS; i++) {
        if (b[i].until && b[i].tag == tag) {
            int lost = now < (invite_ms_t)b[i].until * 1000;
            b[i].until = 0;
            return lost;
        }
    }
    return 0;
}
