/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rl_shmcb_capacity - how many rate-limit windows httpd's own
 * mod_socache_shmcb.so holds at a given size, with the hints, ids and
 * values mod_invite gives it (make rl-capacity; docs/directives.md,
 * InviteRateLimitCache).
 *
 * The module is loaded with dlopen; the few httpd functions it calls are
 * defined here (logging is dropped, paths are taken as they are).  For
 * each size it reports, all windows live (none expires while measuring):
 *
 *   first loss  the most one-call windows of distinct clients stored
 *               before shmcb drops one of them: the number of clients a
 *               fresh cache serves without forgetting any
 *   when full   how many of those windows a cache that has been filled
 *               far beyond that still holds (the steady state)
 *   10 calls    first loss again, for clients that each call 10 times:
 *               every call stores the window anew, and shmcb keeps the
 *               replaced copy's room until it reaches the head of its
 *               subcache
 *
 * How evenly shmcb's subcaches fill depends on the ids: the first losses
 * are the least of KEY_SETS sets of clients (other site names).
 *
 * Usage: rl-shmcb-capacity [-m MODULE.so] [BYTES...]
 * (0 as BYTES: shmcb's own default, 524288; without BYTES, a range of
 * sizes and mod_invite's default, INVITE_RL_SHMCB_DEFAULT_BYTES), or
 * rl-shmcb-capacity [-m MODULE.so] --check: whether mod_invite's default
 * holds INVITE_RL_EXPECTED_CLIENTS clients of 10 calls (exit status 1 if
 * not).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <ap_provider.h>

#include "mod_invite_ratelimit_socache.h"

#define DEFAULT_MODULE "/usr/lib/apache2/modules/mod_socache_shmcb.so"
/* What shmcb allocates when given no size (1024 * 512). */
#define SHMCB_OWN_DEFAULT 524288

static const ap_socache_provider_t *shmcb;

/* --- the httpd functions mod_socache_shmcb.so calls --------------------- */

AP_DECLARE(apr_status_t) ap_register_provider(apr_pool_t *pool,
                                              const char *group,
                                              const char *name,
                                              const char *version,
                                              const void *provider)
{
    (void)pool;
    (void)version;
    if (!strcmp(group, AP_SOCACHE_PROVIDER_GROUP) && !strcmp(name, "shmcb")) {
        shmcb = provider;
    }
    return APR_SUCCESS;
}

AP_DECLARE(void) ap_log_error_(const char *file, int line, int module_index,
                               int level, apr_status_t status,
                               const server_rec *s, const char *fmt, ...)
{
    (void)file; (void)line; (void)module_index; (void)level; (void)status;
    (void)s; (void)fmt;
}

AP_DECLARE(void) ap_log_rerror_(const char *file, int line, int module_index,
                                int level, apr_status_t status,
                                const request_rec *r, const char *fmt, ...)
{
    (void)file; (void)line; (void)module_index; (void)level; (void)status;
    (void)r; (void)fmt;
}

AP_DECLARE(char *) ap_server_root_relative(apr_pool_t *p, const char *fname)
{
    return apr_pstrdup(p, fname);
}

AP_DECLARE(char *) ap_runtime_dir_relative(apr_pool_t *p, const char *fname)
{
    return apr_pstrdup(p, fname);
}

AP_DECLARE(int) ap_rwrite(const void *buf, int nbyte, request_rec *r)
{
    (void)buf; (void)r;
    return nbyte;
}

AP_DECLARE_NONSTD(int) ap_rprintf(request_rec *r, const char *fmt, ...)
{
    (void)r; (void)fmt;
    return 0;
}

/* --- the measurement ----------------------------------------------------- */

#define KEY_SETS 5

/* Client n's window id in key set `set`, as the module builds it for one
 * route. */
static void client_id(int set, long n, unsigned char id[INVITE_RL_ID_LEN])
{
    char ip[64], site[64];

    snprintf(ip, sizeof(ip), "2001:db8:%lx:%lx::1", n >> 16, n & 0xffff);
    snprintf(site, sizeof(site), "chat%d.example.com", set);
    invite_ratelimit_id(site, "/api/v1", "/api/v1/validateInviteTokenPOST",
                        ip, id);
}

/* A fresh cache of `bytes` (0: shmcb's default) holding `clients` windows
 * of `calls` calls each, stored as the module stores them. */
static ap_socache_instance_t *filled(apr_pool_t *p, server_rec *s,
                                     apr_size_t bytes, int set,
                                     long clients, int calls)
{
    ap_socache_instance_t *c;
    struct ap_socache_hints hints;
    invite_ms_t now = (invite_ms_t)apr_time_as_msec(apr_time_now());
    const char *err;
    long n;
    int k;

    err = shmcb->create(&c, bytes ? apr_psprintf(p, "(%" APR_SIZE_T_FMT ")",
                                                 bytes) : NULL, p, p);
    invite_ratelimit_hints(&hints);
    if (err || shmcb->init(c, INVITE_RL_CACHE_NAME, &hints, s, p)) {
        fprintf(stderr, "rl-shmcb-capacity: shmcb (%lu bytes): %s\n",
                (unsigned long)bytes, err ? err : "init failed");
        exit(1);
    }
    for (n = 0; n < clients; n++) {
        unsigned char id[INVITE_RL_ID_LEN];
        invite_rl_window_t w = { 0, now + INVITE_RL_DEFAULT_INTERVAL_MS };
        char value[INVITE_RL_VALUE_MAX];

        client_id(set, n, id);
        for (k = 1; k <= calls; k++) {
            unsigned int len;
            w.count = k;
            len = invite_ratelimit_encode(&w, value);
            if (shmcb->store(c, s, id, INVITE_RL_ID_LEN,
                             apr_time_from_msec(w.reset + 1000),
                             (unsigned char *)value, len, p)) {
                fprintf(stderr, "rl-shmcb-capacity: store failed\n");
                exit(1);
            }
        }
    }
    return c;
}

/* How many of clients 0 .. clients-1 still have their window; with
 * `stop`, stops at the first missing. */
static long live(apr_pool_t *p, server_rec *s, ap_socache_instance_t *c,
                 int set, long clients, int stop)
{
    long n, found = 0;

    for (n = 0; n < clients; n++) {
        unsigned char id[INVITE_RL_ID_LEN], value[INVITE_RL_VALUE_MAX];
        unsigned int len = sizeof(value);

        client_id(set, n, id);
        if (shmcb->retrieve(c, s, id, INVITE_RL_ID_LEN, value, &len, p)
            == APR_SUCCESS) {
            found++;
        }
        else if (stop) {
            break;
        }
    }
    return found;
}

static void done(ap_socache_instance_t *c, server_rec *s, apr_pool_t *p)
{
    shmcb->destroy(c, s);
    apr_pool_clear(p);
}

/* The most clients whose windows of `calls` calls all stay: shmcb drops
 * the oldest of a full subcache, so a larger prefix of the same clients
 * loses one as soon as a smaller one does. */
static long first_loss_of(apr_pool_t *p, server_rec *s, apr_size_t bytes,
                          int set, int calls)
{
    long lo = 0, hi = 1;

    for (;;) {
        ap_socache_instance_t *c = filled(p, s, bytes, set, hi, calls);
        int all = live(p, s, c, set, hi, 1) == hi;
        done(c, s, p);
        if (!all) {
            break;
        }
        lo = hi;
        hi *= 2;
    }
    while (hi - lo > 1) {
        long mid = lo + (hi - lo) / 2;
        ap_socache_instance_t *c = filled(p, s, bytes, set, mid, calls);
        int all = live(p, s, c, set, mid, 1) == mid;
        done(c, s, p);
        if (all) {
            lo = mid;
        }
        else {
            hi = mid;
        }
    }
    return lo;
}

/* The least over the key sets. */
static long first_loss(apr_pool_t *p, server_rec *s, apr_size_t bytes,
                       int calls)
{
    long least = -1;
    int set;

    for (set = 0; set < KEY_SETS; set++) {
        long n = first_loss_of(p, s, bytes, set, calls);
        if (least < 0 || n < least) {
            least = n;
        }
    }
    return least;
}

int main(int argc, char **argv)
{
    static const apr_size_t sizes[] = { 8192, 65536, 0, 1048576,
                                        INVITE_RL_SHMCB_DEFAULT_BYTES,
                                        4194304 };
    const char *path = DEFAULT_MODULE;
    apr_pool_t *pool, *p;
    server_rec s;
    module *mod;
    void *dl;
    int i, first = 1, count, check;

    if (argc > 2 && !strcmp(argv[1], "-m")) {
        path = argv[2];
        first = 3;
    }
    check = argc > first && !strcmp(argv[first], "--check");
    dl = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    mod = dl ? dlsym(dl, "socache_shmcb_module") : NULL;
    if (!mod) {
        fprintf(stderr, "rl-shmcb-capacity: %s\n", dlerror());
        return 1;
    }
    apr_initialize();
    apr_pool_create(&pool, NULL);
    apr_pool_create(&p, pool);
    mod->register_hooks(pool);
    if (!shmcb) {
        fprintf(stderr, "rl-shmcb-capacity: %s registers no shmcb\n", path);
        return 1;
    }
    memset(&s, 0, sizeof(s));
    if (check) {
        long n = first_loss(p, &s, INVITE_RL_SHMCB_DEFAULT_BYTES,
                            INVITE_RL_DEFAULT_CALLS);
        printf("%s: shmcb of %lu bytes holds %ld clients of %d calls "
               "before the first loss; expected clients %d\n",
               n >= INVITE_RL_EXPECTED_CLIENTS ? "ok" : "too small",
               (unsigned long)INVITE_RL_SHMCB_DEFAULT_BYTES, n,
               INVITE_RL_DEFAULT_CALLS, INVITE_RL_EXPECTED_CLIENTS);
        return n >= INVITE_RL_EXPECTED_CLIENTS ? 0 : 1;
    }
    count = argc > first ? argc - first : (int)(sizeof(sizes) / sizeof(*sizes));
    printf("%10s %12s %12s %12s\n", "bytes", "first loss", "when full",
           "10 calls");
    printf("%10s %12s %12s %12s\n", "", "(clients)", "(windows)",
           "(clients)");
    for (i = 0; i < count; i++) {
        apr_size_t bytes = argc > first
            ? (apr_size_t)strtoul(argv[first + i], NULL, 10) : sizes[i];
        /* Each window takes more than 40 bytes: this many overfill it. */
        long over = (long)((bytes ? bytes : SHMCB_OWN_DEFAULT) / 40);
        ap_socache_instance_t *c = filled(p, &s, bytes, 0, over, 1);
        long full = live(p, &s, c, 0, over, 0);

        done(c, &s, p);
        printf("%10lu %12ld %12ld %12ld\n",
               (unsigned long)(bytes ? bytes : SHMCB_OWN_DEFAULT),
               first_loss(p, &s, bytes, 1), full,
               first_loss(p, &s, bytes, INVITE_RL_DEFAULT_CALLS));
        fflush(stdout);
    }
    apr_pool_destroy(pool);
    apr_terminate();
    return 0;
}
