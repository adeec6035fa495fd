/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_ratelimit.h - Rocket.Chat's API rate limiter
 * (docs/api.md#rate-limit), in src/mod_invite_ratelimit.c: a fixed window per client IP
 * (r->useragent_ip), route and method, counted in mod_socache so that all
 * processes of a host (and with a shared provider, all hosts) see one
 * count.
 */
#ifndef MOD_INVITE_RATELIMIT_H
#define MOD_INVITE_RATELIMIT_H

#include "mod_invite_private.h"

/* Handlers call it after authentication and the body schema and before
 * their business checks; `route` is the route's pattern after /api/v1/
 * ("findOrCreateInvite", "removeInvite/:_id").  `exempt`: the caller
 * holds api-bypass-rate-limit.  Returns 0 to go on (with the
 * X-RateLimit-* headers set when the limit applies), or 1 when it has
 * answered (429), leaving the handler's return value in *done. */
int invite_ratelimit_check(request_rec *r, const invite_dir_cfg_t *cfg,
                           const char *route, int exempt, int *done);

/* Directive handlers: InviteRateLimit (per directory) and
 * InviteRateLimitCache (main server). */
const char *invite_ratelimit_set_limit(cmd_parms *cmd, void *cfg,
                                       const char *calls,
                                       const char *seconds);
const char *invite_ratelimit_set_cache(cmd_parms *cmd, void *dummy,
                                       const char *arg);

/* pre_config: registers the invite-ratelimit mutex and forgets the
 * previous configuration's cache. */
apr_status_t invite_ratelimit_pre_config(apr_pool_t *pconf);
/* post_config: creates the cache and its mutex when some location may
 * apply the limit; logs and returns an error when the provider is not
 * loaded or fails. */
apr_status_t invite_ratelimit_check_config(apr_pool_t *ptemp, server_rec *s);
apr_status_t invite_ratelimit_post_config(apr_pool_t *pconf,
                                          apr_pool_t *ptemp, server_rec *s);
/* child_init: attaches the mutex. */
void invite_ratelimit_child_init(apr_pool_t *pchild, server_rec *s);

#endif
