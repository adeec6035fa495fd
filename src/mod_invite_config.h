/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_config.h - the directives and their configuration records
 * (src/mod_invite_config.c; the start-up checks that walk the
 * configuration tree are in src/mod_invite_config_walk.c).
 */
#ifndef MOD_INVITE_CONFIG_H
#define MOD_INVITE_CONFIG_H

#include <util_cfgtree.h>

#include "mod_invite_private.h"
#include "invite_cache.h"
#include "invite_core.h"
#include "invite_mail.h"

#define INVITE_DEFAULT_MAX_BODY 8192
#define INVITE_DEFAULT_LOGIN_EXPIRATION_DAYS 90   /* Rocket.Chat's default */
#define INVITE_DEFAULT_AUTH_CACHE_SLOTS 8192

extern const command_rec invite_cmds[];
void *invite_create_dir_cfg(apr_pool_t *p, char *dir);
void *invite_merge_dir_cfg(apr_pool_t *p, void *base, void *add);
void *invite_create_srv_cfg(apr_pool_t *p, server_rec *s);

/* The URL settings in effect for r (site URL falls back to ServerName). */
void invite_config_url(request_rec *r, const invite_dir_cfg_t *cfg,
                       invite_url_cfg_t *out);
/* The site URL without InviteSiteUrl: the configured ServerName of s,
 * never the client's Host header. */
const char *invite_config_site_url(apr_pool_t *p, const server_rec *s);
apr_off_t invite_config_max_body(const invite_dir_cfg_t *cfg);

/* The oldest login-token created_at (epoch ms) still accepted at `now`,
 * as a bound argument: tokens older than InviteLoginExpiration days are
 * refused with the normal 401; 0 days accepts any age. */
const char *invite_config_login_cutoff(apr_pool_t *p,
                                       const invite_dir_cfg_t *cfg,
                                       invite_ms_t now);

/* InviteIdLength: the length of new invite ids (default INVITE_ID_LEN). */
int invite_config_id_length(const invite_dir_cfg_t *cfg);
/* sendInvitationEmail's settings for r (defaults: include/invite_mail.h;
 * the site URL as the invite links have it). */
void invite_config_mail(request_rec *r, const invite_dir_cfg_t *cfg,
                        invite_mail_cfg_t *out);
/* InviteRocketChatVersion: 8 or 9 (the default, the newest release). */
int invite_config_rc_version(const invite_dir_cfg_t *cfg);
/* InviteJoinOutbox: 1 (the default) when useInviteToken writes a
 * join_outbox row for each newcomer it subscribes, 0 when Off. */
int invite_config_join_outbox(const invite_dir_cfg_t *cfg);

/* The process's authentication cache (include/invite_cache.h) when cfg
 * turns it on, else NULL; *ttl is its lifetime. */
invite_auth_cache_t *invite_config_auth_cache(const invite_dir_cfg_t *cfg,
                                              apr_interval_time_t *ttl);
/* pre_config: forget the previous configuration's cache size. */
void invite_config_reset(void);
/* child_init: create this process's cache if any location uses one. */
apr_status_t invite_config_child_init(apr_pool_t *pchild);

/* The first `name` directive among `d` and its siblings whose first
 * argument is `arg` (case-insensitive; any when NULL), looking inside
 * every section but <VirtualHost> (<IfModule> and the like, and for
 * SetHandler the <Location>-style sections). */
const ap_directive_t *invite_config_directive_in(apr_pool_t *p,
                                                 const ap_directive_t *d,
                                                 const char *name,
                                                 const char *arg);

#endif
