/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_private.h - what every httpd glue file shares: the module's
 * declaration and log tags, and the configuration records.
 * mod_invite.c declares the module and must not include APLOG_USE_MODULE
 * twice, hence INVITE_NO_APLOG_USE_MODULE there.
 *
 * Where headers live: include/ holds only the httpd-free core's headers
 * (invite_*.h: no httpd header, built into the unit tests, the fuzzers,
 * the tools and invitectl); src/ holds the glue's, each beside its .c
 * (mod_invite_db.h for mod_invite_db.c, ...), and src/handle/handle.h
 * the routes'.  A file includes the header of each file it calls.  The
 * layers, each calling only those below it:
 *
 *   mod_invite.c        module record, hooks, dispatch
 *   src/handle/         the routes, then the steps they share
 *                       (invite_handle_common.c, then invite_handle_log.c)
 *   glue, src/mod_invite_*.c:
 *                       config_walk > config > ratelimit > http > db > status
 *   core                src/invite_*.c, include/invite_*.h
 *   SQL                 src/invite_sql.c, include/invite_sql.h
 *
 * No glue file includes a header of src/handle/.  scripts/check-layers.pl
 * (make check-layers, run by make unit) checks the #include lines.
 */
#ifndef MOD_INVITE_PRIVATE_H
#define MOD_INVITE_PRIVATE_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

extern module AP_MODULE_DECLARE_DATA invite_module;
#ifndef INVITE_NO_APLOG_USE_MODULE
APLOG_USE_MODULE(invite);
#endif

/* Module log tags: INVLOGNO(00001) "..." (numbers unique per message). */
#define INVLOGNO(n) "INV" #n ": "

#define INVITE_HANDLER_NAME "invite"

/* The per-directory configuration (src/mod_invite_config.c makes and
 * merges it; the rate limiter and the routes read it). */
typedef struct {
    const char *site_url;       /* InviteSiteUrl; NULL: from ServerName */
    int url_type_direct;        /* InviteUrlType; -1 unset (proxy) */
    const char *deep_link_url;  /* InviteDeepLinkUrl */
    const char *cdn_prefix;     /* InviteCdnPrefix */
    apr_off_t max_body;         /* InviteMaxBodySize; -1 unset */
    apr_interval_time_t auth_cache_ttl;  /* InviteAuthCache; -1 unset, 0 off */
    int login_expiration_days;  /* InviteLoginExpiration; -1 unset, 0 never */
    int id_length;              /* InviteIdLength; -1 unset */
    int rc_version;             /* InviteRocketChatVersion; -1 unset (9) */
    int join_outbox;            /* InviteJoinOutbox; -1 unset (On) */
    /* sendInvitationEmail (docs/mail.md): InviteMailRelay, InviteMailFrom,
     * InviteMailTimeout (ms; -1 unset), InviteInvitationSubject,
     * InviteInvitationEmail, InviteSiteName; NULL: the default. */
    const char *mail_relay;
    const char *mail_from;
    int mail_timeout_ms;
    const char *invitation_subject;
    const char *invitation_html;
    const char *site_name;
    /* InviteRateLimit: calls per window (-1 unset: Rocket.Chat's 10 per
     * 60 s; 0 off), the window, and the section that set them (windows
     * are counted per section, "" for the server). */
    int ratelimit_calls;
    apr_interval_time_t ratelimit_interval;
    const char *ratelimit_scope;
} invite_dir_cfg_t;

/* The per-server configuration. */
typedef struct {
    /* InviteDBD On was seen for this server: mod_invite prepares its
     * statements on a connection when it first uses it (mod_invite_db.c);
     * nothing is registered with mod_dbd. */
    int statements_registered;
} invite_srv_cfg_t;

#endif
