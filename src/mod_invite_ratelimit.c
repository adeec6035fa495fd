/*
 * mod_invite_ratelimit.c - Rocket.Chat's API rate limiter (spec section 7).
 *
 * Placeholder until the socache-backed limiter lands: every call goes on.
 */
#include "mod_invite_private.h"

int invite_ratelimit_check(request_rec *r, const invite_dir_cfg_t *cfg,
                           const char *route, int exempt, int *done)
{
    (void)r;
    (void)cfg;
    (void)route;
    (void)exempt;
    (void)done;
    return 0;
}
