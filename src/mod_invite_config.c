/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_config.c - directives and their configuration records.  The
 * start-up checks that walk the whole configuration tree are in
 * mod_invite_config_walk.c.
 */
#include <apr_strings.h>
#include <apr_uri.h>
#include <http_protocol.h>
#include <apr_dbd.h>
#include <apr_optional.h>
#include <mod_dbd.h>

#include "mod_invite_config.h"
#include "mod_invite_db.h"
#include "mod_invite_ratelimit.h"
#include "invite_sql.h"

void *invite_create_dir_cfg(apr_pool_t *p, char *dir)
{
    invite_dir_cfg_t *cfg = apr_pcalloc(p, sizeof(*cfg));
    (void)dir;
    cfg->url_type_direct = -1;
    cfg->max_body = -1;
    cfg->auth_cache_ttl = -1;
    cfg->login_expiration_days = -1;
    cfg->id_length = -1;
    cfg->rc_version = -1;
    cfg->join_outbox = -1;
    cfg->mail_timeout_ms = -1;
    cfg->ratelimit_calls = -1;
    return cfg;
}

void *invite_merge_dir_cfg(apr_pool_t *p, void *basev, void *addv)
{
    const invite_dir_cfg_t *base = basev, *add = addv;
    invite_dir_cfg_t *cfg = apr_palloc(p, sizeof(*cfg));

    cfg->site_url = add->site_url ? add->site_url : base->site_url;
    cfg->url_type_direct = add->url_type_direct != -1 ? add->url_type_direct
                                                      : base->url_type_direct;
    cfg->deep_link_url = add->deep_link_url ? add->deep_link_url
                                            : base->deep_link_url;
    cfg->cdn_prefix = add->cdn_prefix ? add->cdn_prefix : base->cdn_prefix;
    cfg->max_body = add->max_body != -1 ? add->max_body : base->max_body;
    cfg->auth_cache_ttl = add->auth_cache_ttl != -1 ? add->auth_cache_ttl
                                                    : base->auth_cache_ttl;
    cfg->login_expiration_days = add->login_expiration_days != -1
                                 ? add->login_expiration_days
                                 : base->login_expiration_days;
    cfg->id_length = add->id_length != -1 ? add->id_length : base->id_length;
    cfg->rc_version = add->rc_version != -1 ? add->rc_version
                                            : base->rc_version;
    cfg->join_outbox = add->join_outbox != -1 ? add->join_outbox
                                              : base->join_outbox;
#define MERGE_STR(f) cfg->f = add->f ? add->f : base->f
    MERGE_STR(mail_relay);
    MERGE_STR(mail_from);
    MERGE_STR(invitation_subject);
    MERGE_STR(invitation_html);
    MERGE_STR(site_name);
#undef MERGE_STR
    cfg->mail_timeout_ms = add->mail_timeout_ms != -1 ? add->mail_timeout_ms
                                                      : base->mail_timeout_ms;
    /* The three rate-limit fields travel together: an inner section that
     * sets the limit also starts its own windows. */
    if (add->ratelimit_calls != -1) {
        cfg->ratelimit_calls = add->ratelimit_calls;
        cfg->ratelimit_interval = add->ratelimit_interval;
        cfg->ratelimit_scope = add->ratelimit_scope;
    }
    else {
        cfg->ratelimit_calls = base->ratelimit_calls;
        cfg->ratelimit_interval = base->ratelimit_interval;
        cfg->ratelimit_scope = base->ratelimit_scope;
    }
    return cfg;
}

void *invite_create_srv_cfg(apr_pool_t *p, server_rec *s)
{
    (void)s;
    return apr_pcalloc(p, sizeof(invite_srv_cfg_t));
}

/* InviteSiteUrl, InviteDeepLinkUrl and InviteCdnPrefix: an http or https
 * URL that invite links can be built on (invite_url_setting_error). */
static const char *check_absolute_url(cmd_parms *cmd, const char *url)
{
    const char *wrong = invite_url_setting_error(cmd->temp_pool, url);

    if (wrong) {
        return apr_psprintf(cmd->pool, "%s: '%s' %s (e.g. "
                            "https://chat.example.com)",
                            cmd->directive->directive, url, wrong);
    }
    return NULL;
}

static const char *set_url(cmd_parms *cmd, void *cfg, const char *url)
{
    const char *err = check_absolute_url(cmd, url);
    return err ? err : ap_set_string_slot(cmd, cfg, url);
}

static const char *set_url_type(cmd_parms *cmd, void *cfgv, const char *arg)
{
    invite_dir_cfg_t *cfg = cfgv;
    (void)cmd;
    if (!strcasecmp(arg, "proxy")) {
        cfg->url_type_direct = 0;
    }
    else if (!strcasecmp(arg, "direct")) {
        cfg->url_type_direct = 1;
    }
    else {
        return "InviteUrlType must be 'proxy' or 'direct'";
    }
    return NULL;
}

static const char *set_max_body(cmd_parms *cmd, void *cfgv, const char *arg)
{
    invite_dir_cfg_t *cfg = cfgv;
    char *end;
    apr_off_t n;
    (void)cmd;
    if (apr_strtoff(&n, arg, &end, 10) != APR_SUCCESS || *end || n < 1
        || n > 1024 * 1024) {
        return "InviteMaxBodySize must be a number of bytes from 1 to 1048576";
    }
    cfg->max_body = n;
    return NULL;
}

/* A whole number from lo to hi, or -1. */
static int int_in_range(const char *arg, int lo, int hi)
{
    char *end;
    apr_int64_t n = apr_strtoi64(arg, &end, 10);
    return (*arg && !*end && n >= lo && n <= hi) ? (int)n : -1;
}

/* A directive taking a whole number in [lo, hi] into an int of the
 * directory configuration; cmd->info is its int_directive_t. */
typedef struct {
    apr_size_t offset;
    int lo, hi;
    const char *refusal;
} int_directive_t;

static const char *set_int(cmd_parms *cmd, void *cfg, const char *arg)
{
    const int_directive_t *d = cmd->info;
    int *field = (int *)((char *)cfg + d->offset);

    *field = int_in_range(arg, d->lo, d->hi);
    return *field < 0 ? d->refusal : NULL;
}

/* Up to ~27 years, so the cutoff never leaves 64-bit milliseconds. */
static const int_directive_t login_expiration = {
    APR_OFFSETOF(invite_dir_cfg_t, login_expiration_days), 0, 10000,
    "InviteLoginExpiration must be a number of days from 0 (never) to 10000"
};
static const int_directive_t mail_timeout = {
    APR_OFFSETOF(invite_dir_cfg_t, mail_timeout_ms), 100, 600000,
    "InviteMailTimeout must be milliseconds from 100 to 600000"
};
/* 8: Rocket.Chat 8.4 to 8.9; 9: 9.0 and later (the newest release). */
static const int_directive_t rc_version = {
    APR_OFFSETOF(invite_dir_cfg_t, rc_version), 8, 9,
    "InviteRocketChatVersion must be 8 (Rocket.Chat 8.4 to 8.x) or 9 "
    "(9.0 and later)"
};

/* InviteMailRelay: the local relay, smtp:// or smtps:// only. */
static const char *set_mail_relay(cmd_parms *cmd, void *cfgv,
                                  const char *arg)
{
    invite_dir_cfg_t *cfg = cfgv;
    (void)cmd;
    if (strncasecmp(arg, "smtp://", 7) && strncasecmp(arg, "smtps://", 8)) {
        return "InviteMailRelay must be an smtp:// or smtps:// URL of the "
               "machine's mail relay";
    }
    cfg->mail_relay = arg;
    return NULL;
}

static const char *set_mail_from(cmd_parms *cmd, void *cfgv, const char *arg)
{
    invite_dir_cfg_t *cfg = cfgv;
    const char *addr, *name, *why = invite_mail_parse_from(cmd->pool, arg,
                                                           &addr, &name);
    if (why) {
        return apr_psprintf(cmd->pool, "InviteMailFrom: '%s': %s", arg, why);
    }
    cfg->mail_from = arg;
    return NULL;
}

static const char *set_id_length(cmd_parms *cmd, void *cfgv, const char *arg)
{
    invite_dir_cfg_t *cfg = cfgv;
    cfg->id_length = int_in_range(arg, INVITE_ID_LEN, INVITE_ID_MAX_LEN);
    return cfg->id_length < 0
           ? apr_psprintf(cmd->pool, "InviteIdLength must be from %d "
                          "(Rocket.Chat's) to %d", INVITE_ID_LEN,
                          INVITE_ID_MAX_LEN) : NULL;
}

/* The largest InviteAuthCache size of the configuration (0: no location
 * caches), and the cache each child process makes of it. */
static unsigned auth_cache_slots;
static invite_auth_cache_t *auth_cache;

static const char *set_auth_cache(cmd_parms *cmd, void *cfgv,
                                  const char *ttl_arg, const char *slots_arg)
{
    invite_dir_cfg_t *cfg = cfgv;
    apr_int64_t ttl, slots = INVITE_DEFAULT_AUTH_CACHE_SLOTS;
    char *end;
    (void)cmd;

    if (!strcasecmp(ttl_arg, "off")) {
        cfg->auth_cache_ttl = 0;
        return slots_arg ? "InviteAuthCache off takes no size" : NULL;
    }
    ttl = apr_strtoi64(ttl_arg, &end, 10);
    if (*end || end == ttl_arg || ttl < 0 || ttl > 3600) {
        return "InviteAuthCache: seconds from 0 (off) to 3600, or off";
    }
    if (slots_arg) {
        slots = apr_strtoi64(slots_arg, &end, 10);
        if (*end || end == slots_arg || slots < 16 || slots > 1000000) {
            return "InviteAuthCache: the size is a number of entries from 16 "
                   "to 1000000";
        }
    }
    cfg->auth_cache_ttl = apr_time_from_sec(ttl);
    if (ttl > 0 && (unsigned)slots > auth_cache_slots) {
        auth_cache_slots = (unsigned)slots;
    }
    return NULL;
}

void invite_config_reset(void)
{
    auth_cache_slots = 0;
    auth_cache = NULL;
}

apr_status_t invite_config_child_init(apr_pool_t *pchild)
{
    if (!auth_cache_slots) {
        return APR_SUCCESS;
    }
    auth_cache = invite_auth_cache_create(pchild, auth_cache_slots);
    return auth_cache ? APR_SUCCESS : APR_ENOMEM;
}

invite_auth_cache_t *invite_config_auth_cache(const invite_dir_cfg_t *cfg,
                                              apr_interval_time_t *ttl)
{
    *ttl = cfg->auth_cache_ttl > 0 ? cfg->auth_cache_ttl : 0;
    return *ttl ? auth_cache : NULL;
}

const ap_directive_t *invite_config_directive_in(apr_pool_t *p,
                                                 const ap_directive_t *d,
                                                 const char *name,
                                                 const char *arg)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, name)) {
            const char *args = d->args;
            if (!arg || !strcasecmp(ap_getword_conf(p, &args), arg)) {
                return d;
            }
        }
        if (d->first_child && strcasecmp(d->directive, "<VirtualHost")) {
            const ap_directive_t *found = invite_config_directive_in(
                p, d->first_child, name, arg);
            if (found) {
                return found;
            }
        }
    }
    return NULL;
}

/* The first DBDriver among `d` and its siblings (DBDriver is server-wide,
 * so the sections around it are <IfModule>-style wrappers). */
static const char *driver_in(apr_pool_t *p, const ap_directive_t *d)
{
    const char *args;

    d = invite_config_directive_in(p, d, "DBDriver", NULL);
    if (!d) {
        return NULL;
    }
    args = d->args;
    return ap_getword_conf(p, &args);
}

/* The DBDriver in effect where `InviteDBD` stands: the virtual host's own,
 * else the main server's (mod_dbd's inheritance).  The whole configuration
 * tree is read before any directive runs, so the order of the two
 * directives does not matter. */
static const char *driver_for(cmd_parms *cmd)
{
    const ap_directive_t *d;
    for (d = cmd->directive->parent; d; d = d->parent) {
        if (!strcasecmp(d->directive, "<VirtualHost")) {
            const char *found = driver_in(cmd->temp_pool, d->first_child);
            if (found) {
                return found;
            }
            break;
        }
    }
    return driver_in(cmd->temp_pool, ap_conftree);
}

static const char *set_dbd(cmd_parms *cmd, void *dummy, int on)
{
    invite_srv_cfg_t *srv = ap_get_module_config(cmd->server->module_config,
                                                 &invite_module);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_HTACCESS);
    const invite_engine_t *engine;
    const char *driver;
    (void)dummy;
    if (err) {
        return err;
    }
    if (!on || srv->statements_registered) {
        return NULL;
    }
    if (!APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open)) {
        return "InviteDBD: mod_dbd must be loaded before mod_invite "
               "(a2enmod dbd, or LoadModule dbd_module first)";
    }
    driver = driver_for(cmd);
    if (!driver) {
        return "InviteDBD: no DBDriver for this server; set DBDriver "
               "(sqlite3 or pgsql) in the same server or virtual host";
    }
    engine = invite_sql_engine(driver);
    if (!engine) {
        return apr_psprintf(cmd->pool, "InviteDBD: DBDriver %s is not "
                            "supported by mod_invite (sqlite3 or pgsql)",
                            driver);
    }
    /* Nothing is registered with mod_dbd: its statements would reach
     * every virtual host's pool (craft guide P8).  mod_invite prepares
     * its own on each connection it uses (mod_invite_db.c). */
    srv->statements_registered = 1;
    return NULL;
}

const char *invite_config_site_url(apr_pool_t *p, const server_rec *s)
{
    const char *scheme = s->server_scheme ? s->server_scheme
                       : (s->port == 443 ? "https" : "http");
    apr_port_t dflt = apr_uri_port_of_scheme(scheme);

    return (s->port && s->port != dflt)
        ? apr_psprintf(p, "%s://%s:%u", scheme, s->server_hostname,
                       (unsigned)s->port)
        : apr_psprintf(p, "%s://%s", scheme, s->server_hostname);
}

const command_rec invite_cmds[] = {
    AP_INIT_FLAG("InviteDBD", set_dbd, NULL, RSRC_CONF,
        "On: serve mod_invite's API from this server's mod_dbd pool "
        "(needed wherever the invite handler runs)"),
    AP_INIT_TAKE1("InviteSiteUrl", set_url,
        (void *)APR_OFFSETOF(invite_dir_cfg_t, site_url),
        RSRC_CONF | ACCESS_CONF,
        "The Rocket.Chat Site_Url invite links point at; default: this "
        "server's ServerName"),
    AP_INIT_TAKE1("InviteUrlType", set_url_type, NULL,
        RSRC_CONF | ACCESS_CONF,
        "proxy (default: links through InviteDeepLinkUrl) or direct"),
    AP_INIT_TAKE1("InviteDeepLinkUrl", set_url,
        (void *)APR_OFFSETOF(invite_dir_cfg_t, deep_link_url),
        RSRC_CONF | ACCESS_CONF,
        "Deep-link service for proxy links; default https://go.rocket.chat"),
    AP_INIT_TAKE1("InviteCdnPrefix", set_url,
        (void *)APR_OFFSETOF(invite_dir_cfg_t, cdn_prefix),
        RSRC_CONF | ACCESS_CONF,
        "CDN_PREFIX used by direct links; default none"),
    AP_INIT_TAKE1("InviteMaxBodySize", set_max_body, NULL,
        RSRC_CONF | ACCESS_CONF,
        "Largest accepted request body in bytes (JSON 413 above); "
        "default 8192"),
    AP_INIT_TAKE1("InviteLoginExpiration", set_int, (void *)&login_expiration,
                  RSRC_CONF | ACCESS_CONF,
                  "Days after which a login token is refused (default 90, "
                  "as Rocket.Chat's Accounts_LoginExpiration; 0: never)"),
    AP_INIT_TAKE1("InviteMailRelay", set_mail_relay, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "sendInvitationEmail: the machine's mail relay, "
                  "smtp://HOST[:PORT] (default smtp://127.0.0.1:25)"),
    AP_INIT_TAKE1("InviteMailFrom", set_mail_from, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "sendInvitationEmail: the sender, addr or "
                  "\"Name <addr>\" (Rocket.Chat's From_Email)"),
    AP_INIT_TAKE1("InviteMailTimeout", set_int, (void *)&mail_timeout,
                  RSRC_CONF | ACCESS_CONF,
                  "sendInvitationEmail: the longest a call may take, in ms "
                  "(default 10000)"),
    AP_INIT_TAKE1("InviteInvitationSubject", ap_set_string_slot,
                  (void *)APR_OFFSETOF(invite_dir_cfg_t, invitation_subject),
                  RSRC_CONF | ACCESS_CONF,
                  "sendInvitationEmail: the subject template "
                  "(Rocket.Chat's Invitation_Subject)"),
    AP_INIT_TAKE1("InviteInvitationEmail", ap_set_string_slot,
                  (void *)APR_OFFSETOF(invite_dir_cfg_t, invitation_html),
                  RSRC_CONF | ACCESS_CONF,
                  "sendInvitationEmail: the HTML body template "
                  "(Rocket.Chat's Invitation_Email)"),
    AP_INIT_TAKE1("InviteSiteName", ap_set_string_slot,
                  (void *)APR_OFFSETOF(invite_dir_cfg_t, site_name),
                  RSRC_CONF | ACCESS_CONF,
                  "[Site_Name] in the invitation mail (Rocket.Chat's "
                  "Site_Name; default Rocket.Chat)"),
    AP_INIT_TAKE1("InviteRocketChatVersion", set_int, (void *)&rc_version,
                  RSRC_CONF | ACCESS_CONF,
                  "The Rocket.Chat release whose answers are reproduced: 8 "
                  "(8.4 to 8.x) or 9 (9.0 and later; the default)"),
    AP_INIT_FLAG("InviteJoinOutbox", ap_set_flag_slot,
                 (void *)APR_OFFSETOF(invite_dir_cfg_t, join_outbox),
                 RSRC_CONF | ACCESS_CONF,
                 "On (default): useInviteToken records each newcomer it "
                 "subscribes in join_outbox, for invite-sync to hand to "
                 "Rocket.Chat; Off where no Rocket.Chat is followed"),
    AP_INIT_TAKE1("InviteIdLength", set_id_length, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Length of new invite ids, which are the link tokens "
                  "(default 6, as Rocket.Chat; up to 64)"),
    AP_INIT_TAKE12("InviteAuthCache", set_auth_cache, NULL,
        RSRC_CONF | ACCESS_CONF,
        "Seconds a process may reuse a caller's authentication, roles, "
        "subscription and room type (0 or off: never, the default), "
        "and optionally the cache size in entries (default 8192)"),
    AP_INIT_TAKE12("InviteRateLimit", invite_ratelimit_set_limit, NULL,
        RSRC_CONF | ACCESS_CONF,
        "Rocket.Chat's API rate limit: CALLS SECONDS per client address, "
        "route and method (default 10 60), or off"),
    AP_INIT_TAKE1("InviteRateLimitCache", invite_ratelimit_set_cache, NULL,
        RSRC_CONF,
        "mod_socache provider[:arguments] holding the rate-limit windows "
        "(main server; default shmcb)"),
    { NULL }
};

void invite_config_url(request_rec *r, const invite_dir_cfg_t *cfg,
                       invite_url_cfg_t *out)
{
    out->direct = cfg->url_type_direct == 1;
    out->deep_link_url = cfg->deep_link_url;
    out->cdn_prefix = cfg->cdn_prefix;
    out->site_url = cfg->site_url;
    if (!out->site_url) {
        out->site_url = invite_config_site_url(r->pool, r->server);
    }
}

apr_off_t invite_config_max_body(const invite_dir_cfg_t *cfg)
{
    return cfg->max_body == -1 ? INVITE_DEFAULT_MAX_BODY : cfg->max_body;
}

const char *invite_config_login_cutoff(apr_pool_t *p,
                                       const invite_dir_cfg_t *cfg,
                                       invite_ms_t now)
{
    int days = cfg->login_expiration_days == -1
               ? INVITE_DEFAULT_LOGIN_EXPIRATION_DAYS
               : cfg->login_expiration_days;
    /* 0 days: any created_at passes (none precedes the epoch).  Tokens
     * without one never expire, as personal access tokens. */
    return invite_db_int_arg(p, days == 0 ? -1
                                : now - (invite_ms_t)days * INVITE_MS_PER_DAY);
}

int invite_config_id_length(const invite_dir_cfg_t *cfg)
{
    return cfg->id_length == -1 ? INVITE_ID_LEN : cfg->id_length;
}

void invite_config_mail(request_rec *r, const invite_dir_cfg_t *cfg,
                        invite_mail_cfg_t *out)
{
    invite_url_cfg_t url;

    invite_config_url(r, cfg, &url);
    out->relay_url = cfg->mail_relay ? cfg->mail_relay
                                     : INVITE_MAIL_DEFAULT_RELAY;
    out->from = cfg->mail_from ? cfg->mail_from : "";
    out->timeout_ms = cfg->mail_timeout_ms != -1 ? cfg->mail_timeout_ms
                                                 : INVITE_MAIL_DEFAULT_TIMEOUT;
    out->subject = cfg->invitation_subject ? cfg->invitation_subject
                                           : INVITE_MAIL_DEFAULT_SUBJECT;
    out->html = cfg->invitation_html ? cfg->invitation_html
                                     : INVITE_MAIL_DEFAULT_HTML;
    out->site_name = cfg->site_name ? cfg->site_name
                                    : INVITE_MAIL_DEFAULT_SITE_NAME;
    out->site_url = url.site_url;
}

int invite_config_rc_version(const invite_dir_cfg_t *cfg)
{
    return cfg->rc_version == -1 ? INVITE_RC_VERSION_DEFAULT : cfg->rc_version;
}

int invite_config_join_outbox(const invite_dir_cfg_t *cfg)
{
    return cfg->join_outbox != 0;
}
