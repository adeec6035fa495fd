/*
 * mod_invite_config.c - directives and their configuration records.
 */
#include <apr_strings.h>
#include <apr_uri.h>
#include <ap_listen.h>
#include <http_protocol.h>
#include <util_cfgtree.h>

#include "mod_invite_private.h"
#include "invite_version.h"

void *invite_create_dir_cfg(apr_pool_t *p, char *dir)
{
    invite_dir_cfg_t *cfg = apr_pcalloc(p, sizeof(*cfg));
    (void)dir;
    cfg->url_type_direct = -1;
    cfg->max_body = -1;
    cfg->auth_cache_ttl = -1;
    cfg->login_expiration_days = -1;
    cfg->id_length = -1;
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

static const char *set_login_expiration(cmd_parms *cmd, void *cfgv,
                                        const char *arg)
{
    invite_dir_cfg_t *cfg = cfgv;
    (void)cmd;
    /* Up to ~27 years, so the cutoff never leaves 64-bit milliseconds. */
    cfg->login_expiration_days = int_in_range(arg, 0, 10000);
    return cfg->login_expiration_days < 0
           ? "InviteLoginExpiration must be a number of days from 0 (never) "
             "to 10000" : NULL;
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

/* server_rec * -> invite_dbname_t *: each server's database, made in
 * post_config from pconf.  Not in invite_srv_cfg_t: virtual hosts without
 * a mod_invite directive share the main server's record. */
static apr_hash_t *server_dbs;

void invite_config_reset(void)
{
    auth_cache_slots = 0;
    auth_cache = NULL;
    server_dbs = NULL;
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

/* The first `name` directive among `d` and its siblings whose first
 * argument is `arg` (case-insensitive; any when NULL), looking inside
 * every section but <VirtualHost> (<IfModule> and the like, and for
 * SetHandler the <Location>-style sections). */
static const ap_directive_t *directive_in(apr_pool_t *p,
                                          const ap_directive_t *d,
                                          const char *name, const char *arg)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, name)) {
            const char *args = d->args;
            if (!arg || !strcasecmp(ap_getword_conf(p, &args), arg)) {
                return d;
            }
        }
        if (d->first_child && strcasecmp(d->directive, "<VirtualHost")) {
            const ap_directive_t *found = directive_in(p, d->first_child,
                                                       name, arg);
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

    d = directive_in(p, d, "DBDriver", NULL);
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

/* The <VirtualHost> section that defined the virtual host s, or NULL. */
static const ap_directive_t *vhost_section(const ap_directive_t *d,
                                           const server_rec *s)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "<VirtualHost")) {
            if ((unsigned)d->line_num == s->defn_line_number && d->filename
                && s->defn_name && !strcmp(d->filename, s->defn_name)) {
                return d;
            }
        }
        else if (d->first_child) {
            const ap_directive_t *found = vhost_section(d->first_child, s);
            if (found) {
                return found;
            }
        }
    }
    return NULL;
}

/* Whether some listener takes connections that no virtual host claims,
 * which the main server then serves. */
static int main_server_reachable(const server_rec *main_server)
{
    const ap_listen_rec *lr;

    if (!main_server->next || !ap_listeners) {
        return 1;
    }
    for (lr = ap_listeners; lr; lr = lr->next) {
        const server_rec *v;
        int claimed = 0;

        for (v = main_server->next; v && !claimed; v = v->next) {
            const server_addr_rec *a;
            for (a = v->addrs; a && !claimed; a = a->next) {
                claimed = (!a->host_port || a->host_port == lr->bind_addr->port)
                          && (apr_sockaddr_is_wildcard(a->host_addr)
                              || apr_sockaddr_equal(a->host_addr,
                                                    lr->bind_addr));
            }
        }
        if (!claimed) {
            return 1;
        }
    }
    return 0;
}

/* "host:port" for a log line: ServerName's port, else the first
 * <VirtualHost> address's; just the host when neither has one. */
static const char *server_label(apr_pool_t *p, const server_rec *s)
{
    unsigned port = s->port ? s->port
                  : s->addrs ? s->addrs->host_port : 0;
    return port ? apr_psprintf(p, "%s:%u", s->server_hostname, port)
                : s->server_hostname;
}

static int statements_registered(const server_rec *s)
{
    const invite_srv_cfg_t *srv = ap_get_module_config(s->module_config,
                                                       &invite_module);
    return srv && srv->statements_registered;
}

apr_status_t invite_config_check_handlers(apr_pool_t *ptemp,
                                          server_rec *main_server)
{
    const ap_directive_t *main_use = directive_in(ptemp, ap_conftree,
                                                  "SetHandler",
                                                  INVITE_HANDLER_NAME);
    apr_status_t rv = APR_SUCCESS;
    server_rec *s;

    /* Virtual hosts inherit the main server's InviteDBD On. */
    if (statements_registered(main_server)) {
        return APR_SUCCESS;
    }
    if (main_use && main_server_reachable(main_server)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, main_server, INVLOGNO(00601)
                     "the main server %s uses SetHandler invite (%s:%d) "
                     "without InviteDBD On, so every API call would fail: "
                     "add InviteDBD On to the main server",
                     server_label(ptemp, main_server), main_use->filename,
                     main_use->line_num);
        rv = APR_EGENERAL;
    }
    for (s = main_server->next; s; s = s->next) {
        const ap_directive_t *vhost, *use = NULL;

        if (statements_registered(s)) {
            continue;
        }
        vhost = vhost_section(ap_conftree, s);
        if (vhost) {
            use = directive_in(ptemp, vhost->first_child, "SetHandler",
                               INVITE_HANDLER_NAME);
        }
        if (!use) {
            use = main_use;   /* the main server's sections apply here too */
        }
        if (use) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, main_server,
                         INVLOGNO(00602) "virtual host %s (%s:%d) uses "
                         "SetHandler invite (%s:%d) without InviteDBD On, "
                         "so every API call would fail: add InviteDBD On "
                         "to this virtual host or to the main server",
                         server_label(ptemp, s), s->defn_name ? s->defn_name : "?",
                         (int)s->defn_line_number, use->filename,
                         use->line_num);
            rv = APR_EGENERAL;
        }
    }
    return rv;
}

/* The site URL without InviteSiteUrl: the configured ServerName of the
 * virtual host, never the client's Host header. */
static const char *server_site_url(apr_pool_t *p, const server_rec *s)
{
    const char *scheme = s->server_scheme ? s->server_scheme
                       : (s->port == 443 ? "https" : "http");
    apr_port_t dflt = apr_uri_port_of_scheme(scheme);

    return (s->port && s->port != dflt)
        ? apr_psprintf(p, "%s://%s:%u", scheme, s->server_hostname,
                       (unsigned)s->port)
        : apr_psprintf(p, "%s://%s", scheme, s->server_hostname);
}

/* Said once at start-up for each server whose invite handler has no
 * InviteSiteUrl in reach: its links are then built from ServerName, and
 * an http one makes every proxy link say secure=no, which no client
 * questions.  An InviteSiteUrl anywhere in the server's scope (or the
 * main server's) counts as set. */
void invite_config_check_site_urls(apr_pool_t *ptemp, server_rec *main_server)
{
    const ap_directive_t *main_use = directive_in(ptemp, ap_conftree,
                                                  "SetHandler",
                                                  INVITE_HANDLER_NAME);
    int main_set = directive_in(ptemp, ap_conftree, "InviteSiteUrl",
                                NULL) != NULL;
    server_rec *s;

    for (s = main_server; s; s = s->next) {
        const ap_directive_t *vhost = s == main_server ? NULL
                                    : vhost_section(ap_conftree, s);
        const ap_directive_t *use = vhost
            ? directive_in(ptemp, vhost->first_child, "SetHandler",
                           INVITE_HANDLER_NAME) : NULL;
        const char *url;

        if (!use) {
            use = main_use;
        }
        if (!use || main_set
            || (vhost && directive_in(ptemp, vhost->first_child,
                                      "InviteSiteUrl", NULL))) {
            continue;
        }
        url = server_site_url(ptemp, s);
        ap_log_error(APLOG_MARK, strncmp(url, "https:", 6) ? APLOG_WARNING
                     : APLOG_NOTICE, 0, main_server, INVLOGNO(00604)
                     "%s%s uses SetHandler invite (%s:%d) without "
                     "InviteSiteUrl: invite links are built from its "
                     "ServerName as %s%s; set InviteSiteUrl to "
                     "Rocket.Chat's Site_Url", s == main_server
                     ? "the main server " : "virtual host ",
                     server_label(ptemp, s), use->filename, use->line_num,
                     url, strncmp(url, "https:", 6)
                     ? " (http: every proxy link says secure=no)" : "");
    }
}

/* ------------------------------------------- which database, and sharing */

/* The first `name` directive of server s's own scope: its <VirtualHost>
 * section (NULL when it has none), or for the main server everything
 * outside <VirtualHost> sections. */
static const ap_directive_t *own_directive(apr_pool_t *p,
                                           const ap_directive_t *scope,
                                           const char *name)
{
    return scope ? directive_in(p, scope, name, NULL) : NULL;
}

static const char *first_arg(apr_pool_t *p, const ap_directive_t *d)
{
    const char *args = d ? d->args : NULL;
    return args ? ap_getword_conf(p, &args) : NULL;
}

/* Whether directive d makes its server a mod_dbd consumer: it prepares
 * statements or looks things up through mod_dbd's pool. */
static int dbd_consumer(apr_pool_t *p, const ap_directive_t *d)
{
    static const char *const names[] = {
        "DBDPrepareSQL", "AuthDBDUserPWQuery", "AuthDBDUserRealmQuery",
        "AuthzDBDQuery", "AuthzDBDRedirectQuery", "SessionDBDCookieName",
        "SessionDBDCookieName2", "SessionDBDSelectLabel",
        "SessionDBDInsertLabel", "SessionDBDUpdateLabel",
        "SessionDBDDeleteLabel", NULL
    };
    const char *args = d->args;
    int i;

    for (i = 0; names[i]; i++) {
        if (!strcasecmp(d->directive, names[i])) {
            return 1;
        }
    }
    if (!strcasecmp(d->directive, "AuthBasicProvider")
        || !strcasecmp(d->directive, "AuthDigestProvider")) {
        while (args && *args) {
            if (!strcasecmp(ap_getword_conf(p, &args), "dbd")) {
                return 1;
            }
        }
    }
    if (!strcasecmp(d->directive, "<AuthnProviderAlias")) {
        return !strcasecmp(ap_getword_conf(p, &args), "dbd");
    }
    if (!strcasecmp(d->directive, "RewriteMap")) {
        ap_getword_conf(p, &args);   /* the map's name */
        args = ap_getword_conf(p, &args);
        return !strncasecmp(args, "dbd:", 4) || !strncasecmp(args, "fastdbd:", 8);
    }
    return 0;
}

/* The first mod_dbd consumer among d and its siblings, not looking
 * inside <VirtualHost> sections. */
static const ap_directive_t *consumer_in(apr_pool_t *p,
                                         const ap_directive_t *d)
{
    for (; d; d = d->next) {
        if (dbd_consumer(p, d)) {
            return d;
        }
        if (d->first_child && strcasecmp(d->directive, "<VirtualHost")) {
            const ap_directive_t *found = consumer_in(p, d->first_child);
            if (found) {
                return found;
            }
        }
    }
    return NULL;
}

/* One server's database settings as mod_dbd resolves them. */
typedef struct {
    server_rec *s;
    const ap_directive_t *scope;      /* its own directives */
    const ap_directive_t *driver, *params;   /* in effect, or NULL */
    int own;                          /* sets DBDriver or DBDParams itself */
    int invite;                       /* InviteDBD On, own or inherited */
} server_db_t;

static int same_text(apr_pool_t *p, const ap_directive_t *a,
                     const ap_directive_t *b)
{
    const char *x = first_arg(p, a), *y = first_arg(p, b);
    return x && y ? !strcmp(x, y) : x == y;
}

/* Warns (once per server) when a server with InviteDBD On takes the main
 * server's DBDriver/DBDParams while another mod_dbd consumer draws on the
 * same pool: a connection that fails for one (its statements cannot be
 * prepared, the tables are missing) then fails for both. */
static void warn_shared_pool(apr_pool_t *p, server_db_t *all, int n)
{
    int i, j;

    for (i = 0; i < n; i++) {
        const server_db_t *inv = &all[i];
        if (!inv->invite || inv->own || !inv->driver) {
            continue;
        }
        for (j = 0; j < n; j++) {
            const server_db_t *other = &all[j];
            const ap_directive_t *use;
            if (!same_text(p, other->driver, inv->driver)
                || !same_text(p, other->params, inv->params)) {
                continue;
            }
            use = consumer_in(p, other->scope);
            if (!use) {
                continue;
            }
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, inv->s,
                         INVLOGNO(00910) "%s%s (%s:%d) with InviteDBD On "
                         "takes its DBDriver/DBDParams from the main server "
                         "(%s:%d), and %s%s uses the same mod_dbd connection "
                         "pool (%s, %s:%d): a connection that fails for one "
                         "fails for both; give mod_invite its own DBDriver "
                         "and DBDParams in its virtual host, or keep both "
                         "consumers' tables in one database",
                         inv->s->is_virtual ? "virtual host " : "the main server ",
                         server_label(p, inv->s),
                         inv->s->defn_name ? inv->s->defn_name
                                           : inv->driver->filename,
                         inv->s->defn_name ? (int)inv->s->defn_line_number
                                           : inv->driver->line_num,
                         inv->driver->filename, inv->driver->line_num,
                         other->s->is_virtual ? "virtual host " : "the main server ",
                         server_label(p, other->s), use->directive,
                         use->filename, use->line_num);
            break;
        }
    }
}

/* Server s's database directives as mod_dbd resolves them: its own
 * DBDriver/DBDParams, else the main server's. */
static void server_database(apr_pool_t *ptemp, server_rec *main_server,
                            server_rec *s, int main_on, server_db_t *e)
{
    const ap_directive_t *vhost = s == main_server ? NULL
                                : vhost_section(ap_conftree, s);
    const ap_directive_t *own_driver, *own_params;

    e->s = s;
    e->scope = s == main_server ? ap_conftree
             : vhost ? vhost->first_child : NULL;
    own_driver = s == main_server ? NULL
               : own_directive(ptemp, e->scope, "DBDriver");
    own_params = s == main_server ? NULL
               : own_directive(ptemp, e->scope, "DBDParams");
    e->own = own_driver || own_params;
    e->driver = own_driver ? own_driver
              : directive_in(ptemp, ap_conftree, "DBDriver", NULL);
    e->params = own_params ? own_params
              : directive_in(ptemp, ap_conftree, "DBDParams", NULL);
    e->invite = main_on || statements_registered(s);
}

/* A SQLite database that is not there, reported where apache2 -t reports
 * it: SQLite would create an empty file at a mistyped path (or fail for
 * a missing directory), and the requests would then get 503s.  A warning,
 * not a refusal: a missing database is a JSON 503, never a server that
 * does not start. */
void invite_config_check_databases(apr_pool_t *ptemp, server_rec *main_server)
{
    int main_on = statements_registered(main_server);
    server_rec *s;

    for (s = main_server; s; s = s->next) {
        server_db_t e;
        invite_dbname_t db;
        const char *missing;

        server_database(ptemp, main_server, s, main_on, &e);
        if (!e.invite) {
            continue;
        }
        invite_dbname_parse(ptemp, first_arg(ptemp, e.driver),
                            first_arg(ptemp, e.params), &db);
        missing = db.sqlite_path
                  ? invite_dbname_sqlite_missing(ptemp, db.sqlite_path) : NULL;
        if (missing) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, main_server,
                         INVLOGNO(00603) "%s%s: no such database %s (%s, "
                         "DBDParams %s:%d): requests will get a JSON 503 "
                         "until it is there; check the path, or create it "
                         "with \"%s\"",
                         s == main_server ? "the main server "
                                          : "virtual host ",
                         server_label(ptemp, s), db.sqlite_path, missing,
                         e.params ? e.params->filename : "?",
                         e.params ? e.params->line_num : 0,
                         invite_dbname_invitectl(ptemp, &db, "init"));
        }
    }
}

void invite_config_databases(apr_pool_t *pconf, apr_pool_t *ptemp,
                             server_rec *main_server)
{
    int main_on = statements_registered(main_server), n = 0, i;
    server_rec *s;
    server_db_t *all;

    for (s = main_server; s; s = s->next) {
        n++;
    }
    all = apr_pcalloc(ptemp, n * sizeof(*all));
    server_dbs = apr_hash_make(pconf);
    for (s = main_server, i = 0; s; s = s->next, i++) {
        invite_dbname_t *db = apr_palloc(pconf, sizeof(*db));
        server_db_t *e = &all[i];

        server_database(ptemp, main_server, s, main_on, e);
        invite_dbname_parse(pconf, first_arg(pconf, e->driver),
                            first_arg(pconf, e->params), db);
        apr_hash_set(server_dbs, &e->s, sizeof(server_rec *), db);
        if (e->invite) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, INVLOGNO(00911)
                         "mod_invite %s: %s%s uses database %s",
                         INVITE_VERSION,
                         s == main_server ? "the main server "
                                          : "virtual host ",
                         server_label(ptemp, s), db->label);
        }
    }
    warn_shared_pool(ptemp, all, n);
}

const invite_dbname_t *invite_config_db(const server_rec *s)
{
    static const invite_dbname_t unknown = {
        "", NULL, "the server's database", NULL
    };
    const invite_dbname_t *db = server_dbs
        ? apr_hash_get(server_dbs, &s, sizeof(server_rec *)) : NULL;
    return db ? db : &unknown;
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
    AP_INIT_TAKE1("InviteLoginExpiration", set_login_expiration, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Days after which a login token is refused (default 90, "
                  "as Rocket.Chat's Accounts_LoginExpiration; 0: never)"),
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
        out->site_url = server_site_url(r->pool, r->server);
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
