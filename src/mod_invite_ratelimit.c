/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_ratelimit.c - Rocket.Chat's API rate limiter
 * (docs/api.md#rate-limit).
 *
 * A fixed window per client address, route and method, as Rocket.Chat's
 * default rule: 10 calls per 60 s, counted before the check, the 11th
 * call answered 429.  Windows live in a mod_socache provider (shmcb by
 * default, InviteRateLimitCache) so that every process of a host, and
 * with memcache or redis every host, counts together.  socache has no
 * atomic increment: the read-modify-write runs under an httpd global
 * mutex (Mutex invite-ratelimit), exact within a host; across hosts two
 * hosts can read the same count at once
 * (docs/operations.md#several-hosts).  Every
 * provider call is under that mutex, which also covers the providers
 * that are not safe across processes (AP_SOCACHE_FLAG_NOTMPSAFE: shmcb).
 *
 * A failing cache lets calls through (fail open) with a warning: the
 * limiter protects the service, it must not take it down.
 *
 * A full cache forgets windows without a word (shmcb scrolls the oldest
 * entries out of a full subcache; memcache and redis evict): the client
 * then starts a fresh window.  The host keeps records of the windows it
 * stored (invite_rl_seen_t, in its own shared memory) so that a window
 * missing before its end is seen, counted on the server-status page and
 * logged, at most once a minute per process.
 */
#include <apr_atomic.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include <ap_provider.h>
#include <ap_socache.h>
#include <http_protocol.h>
#include <util_mutex.h>

#include "mod_invite_ratelimit.h"
#include "mod_invite_db.h"
#include "mod_invite_http.h"
#include "mod_invite_status.h"
#include "invite_core.h"
#include "mod_invite_ratelimit_socache.h"

#define RL_MUTEX_TYPE "invite-ratelimit"
#define RL_DEFAULT_PROVIDER "shmcb"
/* A stuck cache server must not queue the whole host behind the mutex:
 * past this wait a call goes on unlimited. */
#define RL_LOCK_WAIT apr_time_from_msec(500)
/* Fail-open warnings, at most one per process this often (s). */
#define RL_WARN_EVERY 10
/* Lost-window warnings, at most one per process this often (s). */
#define RL_LOST_EVERY 60

/* The configuration's choice of provider (InviteRateLimitCache) and
 * whether some section sets a limit explicitly; reset by pre_config. */
static const char *cache_provider_name;
static const char *cache_provider_args;
static int limit_set_somewhere;

/* This generation's cache, created by post_config when needed. */
static const ap_socache_provider_t *cache_provider;
static ap_socache_instance_t *cache;
static apr_global_mutex_t *cache_mutex;
/* The records of stored windows (NULL: losses are not looked for). */
static invite_rl_seen_t *seen;

static apr_uint32_t last_warning;
/* Windows this process saw lost since its last line about them. */
static apr_uint32_t last_lost_warning, lost_unlogged;

const char *invite_ratelimit_set_limit(cmd_parms *cmd, void *cfgv,
                                       const char *calls,
                                       const char *seconds)
{
    invite_dir_cfg_t *cfg = cfgv;
    apr_int64_t n, secs;
    char *end;

    if (!strcasecmp(calls, "off")) {
        if (seconds) {
            return "InviteRateLimit off takes no other argument";
        }
        cfg->ratelimit_calls = 0;
        cfg->ratelimit_interval = 0;
        cfg->ratelimit_scope = "";
        return NULL;
    }
    n = apr_strtoi64(calls, &end, 10);
    if (*end || end == calls || n < 1 || n > 1000000) {
        return "InviteRateLimit: CALLS is a number from 1 to 1000000 "
               "(or off)";
    }
    if (!seconds) {
        return "InviteRateLimit: give CALLS and SECONDS, e.g. "
               "InviteRateLimit 10 60";
    }
    secs = apr_strtoi64(seconds, &end, 10);
    if (*end || end == seconds || secs < 1 || secs > 86400) {
        return "InviteRateLimit: SECONDS is a number from 1 to 86400";
    }
    cfg->ratelimit_calls = (int)n;
    cfg->ratelimit_interval = apr_time_from_sec(secs);
    /* Each section that sets a limit counts its own windows. */
    cfg->ratelimit_scope = cmd->path ? apr_pstrdup(cmd->pool, cmd->path) : "";
    limit_set_somewhere = 1;
    return NULL;
}

const char *invite_ratelimit_set_cache(cmd_parms *cmd, void *dummy,
                                       const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *colon = ap_strchr_c(arg, ':');
    (void)dummy;

    if (err) {
        return err;
    }
    cache_provider_name = colon ? apr_pstrmemdup(cmd->pool, arg, colon - arg)
                                : apr_pstrdup(cmd->pool, arg);
    cache_provider_args = colon ? apr_pstrdup(cmd->pool, colon + 1) : NULL;
    if (!*cache_provider_name) {
        return "InviteRateLimitCache: name a mod_socache provider, e.g. "
               "shmcb, memcache:host:11211 or redis:host:6379";
    }
    return NULL;
}

apr_status_t invite_ratelimit_pre_config(apr_pool_t *pconf)
{
    cache_provider_name = RL_DEFAULT_PROVIDER;
    cache_provider_args = NULL;
    limit_set_somewhere = 0;
    cache_provider = NULL;
    cache = NULL;
    cache_mutex = NULL;
    seen = NULL;
    return ap_mutex_register(pconf, RL_MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

/* Whether any location can apply the limit: mod_invite serves somewhere
 * (InviteDBD On), and the limit is not off at the level of every server
 * (the default is on) or some section turns it on.  So a site that loads
 * the module without using it, or says InviteRateLimit off for the
 * server, needs no socache provider. */
static int limit_needed(server_rec *s)
{
    int serving = 0, on = limit_set_somewhere;

    for (; s; s = s->next) {
        const invite_srv_cfg_t *srv =
            ap_get_module_config(s->module_config, &invite_module);
        const invite_dir_cfg_t *dir = s->lookup_defaults
            ? ap_get_module_config(s->lookup_defaults, &invite_module) : NULL;
        serving |= srv && srv->statements_registered;
        on |= !dir || dir->ratelimit_calls != 0;
    }
    return serving && on;
}

static apr_status_t destroy_cache(void *data)
{
    server_rec *s = data;
    if (cache) {
        cache_provider->destroy(cache, s);
        cache = NULL;
    }
    return APR_SUCCESS;
}

/* shmcb without a size gets room for the expected clients
 * (INVITE_RL_SHMCB_DEFAULT_BYTES), not shmcb's own 524288 bytes; its
 * file, used only where anonymous shared memory is not, is the one shmcb
 * would name. */
static const char *provider_args(apr_pool_t *ptemp)
{
    const char *file;

    if (strcmp(cache_provider_name, "shmcb")
        || (cache_provider_args && *cache_provider_args)) {
        return cache_provider_args;
    }
    file = ap_runtime_dir_relative(ptemp, "socache-shmcb-"
                                   INVITE_RL_CACHE_NAME ".cache");
    return apr_psprintf(ptemp, "%s(%" APR_SIZE_T_FMT ")", file ? file : "",
                        INVITE_RL_SHMCB_DEFAULT_BYTES);
}

/* The records of stored windows, in anonymous shared memory that the
 * children inherit.  Without it losses go unseen; the limit still works. */
static void create_seen(apr_pool_t *pconf, server_rec *s)
{
    apr_size_t size = INVITE_RL_SEEN_SLOTS * sizeof(invite_rl_seen_t);
    apr_shm_t *shm;
    apr_status_t rv = apr_shm_create(&shm, size, NULL, pconf);

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, INVLOGNO(00510)
                     "no shared memory for the records of rate-limit "
                     "windows: windows the cache loses before their end "
                     "will not be reported");
        return;
    }
    seen = apr_shm_baseaddr_get(shm);
    memset(seen, 0, size);
}

/* The provider named by InviteRateLimitCache, or NULL (logged).  Looked up
 * once the whole configuration is read, not when the directive is: the
 * provider's LoadModule may come later (Debian loads the .load files of
 * mods-enabled in alphabetical order). */
static const ap_socache_provider_t *find_provider(server_rec *s)
{
    const ap_socache_provider_t *provider = ap_lookup_provider(
        AP_SOCACHE_PROVIDER_GROUP, cache_provider_name,
        AP_SOCACHE_PROVIDER_VERSION);

    if (!provider) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, INVLOGNO(00501)
                     "mod_invite's rate limit needs the mod_socache provider "
                     "'%s', which is not loaded: add \"LoadModule "
                     "socache_%s_module /usr/lib/apache2/modules/"
                     "mod_socache_%s.so\" (Debian: a2enmod socache_%s), "
                     "choose another with InviteRateLimitCache, or set "
                     "InviteRateLimit off", cache_provider_name,
                     cache_provider_name, cache_provider_name,
                     cache_provider_name);
    }
    return provider;
}

static const char *create_cache(const ap_socache_provider_t *provider,
                                ap_socache_instance_t **instance,
                                apr_pool_t *ptemp, apr_pool_t *p,
                                server_rec *s)
{
    const char *err = provider->create(instance, provider_args(ptemp), ptemp,
                                       p);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, INVLOGNO(00502)
                     "InviteRateLimitCache %s: %s", cache_provider_name, err);
    }
    return err;
}

/* What would stop httpd at post_config, checked where apache2 -t (and so
 * a reload's configtest) runs: a provider not loaded, arguments it
 * refuses.  The instance made here is only parsed, never initialised. */
apr_status_t invite_ratelimit_check_config(apr_pool_t *ptemp, server_rec *s)
{
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *probe = NULL;

    if (!limit_needed(s)) {
        return APR_SUCCESS;
    }
    provider = find_provider(s);
    if (!provider || create_cache(provider, &probe, ptemp, ptemp, s)) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t invite_ratelimit_post_config(apr_pool_t *pconf,
                                          apr_pool_t *ptemp, server_rec *s)
{
    struct ap_socache_hints hints;
    apr_status_t rv;

    if (!limit_needed(s)) {
        return APR_SUCCESS;
    }
    cache_provider = find_provider(s);
    if (!cache_provider
        || create_cache(cache_provider, &cache, ptemp, pconf, s)) {
        cache = NULL;
        return APR_EGENERAL;
    }
    invite_ratelimit_hints(&hints);
    rv = cache_provider->init(cache, INVITE_RL_CACHE_NAME, &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, INVLOGNO(00503)
                     "could not initialise the rate-limit cache (%s)",
                     cache_provider_name);
        cache = NULL;
        return rv;
    }
    apr_pool_cleanup_register(pconf, s, destroy_cache, apr_pool_cleanup_null);
    create_seen(pconf, s);
    rv = ap_global_mutex_create(&cache_mutex, NULL, RL_MUTEX_TYPE, NULL, s,
                                pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, INVLOGNO(00504)
                     "could not create the rate-limit mutex");
    }
    return rv;
}

void invite_ratelimit_child_init(apr_pool_t *pchild, server_rec *s)
{
    /* Without the mutex neither the count nor (for shmcb) the cache itself
     * is safe: such a process does not limit. */
    invite_db_mutex_attach(&cache_mutex, pchild, s, INVLOGNO(00505)
                           "could not attach the rate-limit mutex; this "
                           "process applies no rate limit");
}

/* Whether to log now a line that this process logs at most every
 * `every` seconds (*last_time: when it last did): a cache that is down
 * would otherwise write one line per call. */
static int once_every(volatile apr_uint32_t *last_time, apr_uint32_t every)
{
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(apr_time_now());
    apr_uint32_t last = apr_atomic_read32(last_time);

    if (last && now - last < every) {
        return 0;
    }
    return apr_atomic_cas32(last_time, now, last) == last;
}

static int warn_now(void)
{
    return once_every(&last_warning, RL_WARN_EVERY);
}

/* A window was seen lost: counted at once, logged with the others this
 * process saw since its last line about them. */
static void note_lost(request_rec *r)
{
    apr_uint32_t n;

    invite_status_note_evicted();
    apr_atomic_inc32(&lost_unlogged);
    if (!once_every(&last_lost_warning, RL_LOST_EVERY)) {
        return;
    }
    n = apr_atomic_xchg32(&lost_unlogged, 0);
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, INVLOGNO(00511)
                  "rate limit: the %s cache lost %u window%s before %s "
                  "end (this process, since its last such line; "
                  "InviteRateLimitEvicted on the server-status page counts "
                  "the host's): those clients counted from 0 again.  The "
                  "cache is too small for the clients calling (see "
                  "InviteRateLimitCache), or it was emptied",
                  cache_provider->name, n, n == 1 ? "" : "s",
                  n == 1 ? "its" : "their");
}

/* Counts the call in its window under the host's mutex.  Returns
 * APR_SUCCESS with *allowed and *w filled, or the error that makes the
 * call go on unlimited (logged). */
static apr_status_t count_call(request_rec *r, const unsigned char *id,
                               long long limit, invite_ms_t interval,
                               invite_rl_window_t *w, invite_ms_t *now,
                               int *allowed)
{
    char value[INVITE_RL_VALUE_MAX];
    unsigned int len = sizeof(value);
    apr_status_t rv;
    int found, store, lost = 0;

    rv = apr_global_mutex_timedlock(cache_mutex, RL_LOCK_WAIT);
    if (rv == APR_ENOTIMPL) {
        rv = apr_global_mutex_lock(cache_mutex);
    }
    if (rv != APR_SUCCESS) {
        if (warn_now()) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r, INVLOGNO(00506)
                          "rate limit not applied: the invite-ratelimit "
                          "mutex was not free within %d ms",
                          (int)apr_time_as_msec(RL_LOCK_WAIT));
        }
        return rv;
    }
    /* The clock is read under the lock, so windows only move forward. */
    *now = invite_time_now_ms();
    rv = cache_provider->retrieve(cache, r->server, id, INVITE_RL_ID_LEN,
                                  (unsigned char *)value, &len, r->pool);
    found = rv == APR_SUCCESS && invite_ratelimit_decode(value, len, w);
    if (rv == APR_NOTFOUND && seen) {
        lost = invite_ratelimit_seen_lost(seen, id, *now);
    }
    if (rv == APR_SUCCESS || rv == APR_NOTFOUND) {
        *allowed = invite_ratelimit_count(w, found, *now, limit, interval,
                                          &store);
        rv = APR_SUCCESS;
        if (store) {
            len = invite_ratelimit_encode(w, value);
            /* The window's end is in the value; the entry's own expiry
             * only frees it, a second late (redis keeps whole seconds). */
            rv = cache_provider->store(cache, r->server, id,
                                       INVITE_RL_ID_LEN,
                                       apr_time_from_msec(w->reset + 1000),
                                       (unsigned char *)value, len, r->pool);
            if (rv == APR_SUCCESS && seen) {
                invite_ratelimit_seen_store(seen, id, w->reset);
            }
        }
    }
    apr_global_mutex_unlock(cache_mutex);
    if (lost) {
        note_lost(r);
    }
    if (rv != APR_SUCCESS && warn_now()) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r, INVLOGNO(00507)
                      "rate limit not applied: the %s cache failed",
                      cache_provider->name);
    }
    return rv;
}

int invite_ratelimit_check(request_rec *r, const invite_dir_cfg_t *cfg,
                           const char *route, int exempt, int *done)
{
    long long limit = cfg->ratelimit_calls == -1 ? INVITE_RL_DEFAULT_CALLS
                                                 : cfg->ratelimit_calls;
    invite_ms_t interval = cfg->ratelimit_calls == -1
        ? INVITE_RL_DEFAULT_INTERVAL_MS
        : (invite_ms_t)apr_time_as_msec(cfg->ratelimit_interval);
    unsigned char id[INVITE_RL_ID_LEN];
    invite_rl_window_t w;
    invite_ms_t now;
    int allowed;

    if (limit == 0 || exempt) {
        return 0;
    }
    if (!cache || !cache_mutex) {
        if (warn_now()) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, INVLOGNO(00508)
                          "rate limit not applied: this process has no "
                          "rate-limit cache (see the startup log)");
        }
        return 0;
    }
    /* The rule names the method by its number, not as sent: HEAD is
     * M_GET in httpd, served by the GET route, and counts with GET. */
    if (!invite_ratelimit_id(r->server->server_hostname,
                             cfg->ratelimit_scope,
                             invite_ratelimit_rule(r->pool, route,
                                 ap_method_name_of(r->pool,
                                                   r->method_number)),
                             r->useragent_ip, id)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, INVLOGNO(00509)
                      "rate limit not applied: could not build the key");
        return 0;
    }
    if (count_call(r, id, limit, interval, &w, &now, &allowed)
        != APR_SUCCESS) {
        return 0;
    }
    /* On every counted call, allowed or not; err_headers_out so that they
     * survive an error page as well. */
    apr_table_setn(r->err_headers_out, "X-RateLimit-Limit",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                (apr_int64_t)limit));
    apr_table_setn(r->err_headers_out, "X-RateLimit-Remaining",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                (apr_int64_t)invite_ratelimit_remaining(
                                    &w, limit)));
    apr_table_setn(r->err_headers_out, "X-RateLimit-Reset",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                (apr_int64_t)w.reset));
    if (allowed) {
        return 0;
    }
    *done = invite_http_send_json(r, HTTP_TOO_MANY_REQUESTS,
        invite_json_plain_error(r->pool, invite_ratelimit_message(
            r->pool, invite_ratelimit_wait(&w, now))));
    return 1;
}
