/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_config_walk.c - the start-up checks that walk the whole
 * configuration tree (ap_conftree) for every server: SetHandler invite
 * without InviteDBD On, links built from ServerName, a SQLite database
 * that is not there, which database each server uses, and a mod_dbd pool
 * shared with another consumer.
 */
#include <apr_strings.h>
#include <ap_listen.h>
#include <http_protocol.h>
#include <util_cfgtree.h>

#include "mod_invite_config_walk.h"
#include "mod_invite_config.h"
#include "mod_invite_db.h"
#include "invite_dbname.h"
#include "invite_version.h"

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

/* The SetHandler invite that serves requests of server s: one in its
 * <VirtualHost> section (*vhost, NULL for the main server or a virtual
 * host without one), else main_use, the main server's, whose sections
 * apply to every virtual host.  NULL when s does not use the handler. */
static const ap_directive_t *handler_use(apr_pool_t *ptemp, server_rec *s,
                                        server_rec *main_server,
                                        const ap_directive_t *main_use,
                                        const ap_directive_t **vhost)
{
    const ap_directive_t *use = NULL;

    *vhost = s == main_server ? NULL : vhost_section(ap_conftree, s);
    if (*vhost) {
        use = invite_config_directive_in(ptemp, (*vhost)->first_child,
                                         "SetHandler", INVITE_HANDLER_NAME);
    }
    return use ? use : main_use;
}

apr_status_t invite_config_walk_check_handlers(apr_pool_t *ptemp,
                                               server_rec *main_server)
{
    const ap_directive_t *main_use = invite_config_directive_in(
        ptemp, ap_conftree, "SetHandler", INVITE_HANDLER_NAME);
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
        const ap_directive_t *vhost, *use;

        if (statements_registered(s)) {
            continue;
        }
        use = handler_use(ptemp, s, main_server, main_use, &vhost);
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

/* Whether directive `name` stands in the main server's scope or in the
 * <VirtualHost> section vhost (NULL: the main server). */
static int in_reach(apr_pool_t *p, const ap_directive_t *vhost,
                    const char *name)
{
    return invite_config_directive_in(p, ap_conftree, name, NULL)
           || (vhost && invite_config_directive_in(p, vhost->first_child,
                                                   name, NULL));
}

/* Said once at start-up for each server whose invite handler has no
 * InviteSiteUrl in reach: its links are then built from ServerName, and
 * an http one makes every proxy link say secure=no, which no client
 * questions; and (a notice) when it has no InviteMailFrom, without which
 * sendInvitationEmail cannot send.  A directive anywhere in the server's
 * scope (or the main server's) counts as set. */
void invite_config_walk_check_settings(apr_pool_t *ptemp,
                                       server_rec *main_server)
{
    const ap_directive_t *main_use = invite_config_directive_in(
        ptemp, ap_conftree, "SetHandler", INVITE_HANDLER_NAME);
    server_rec *s;

    for (s = main_server; s; s = s->next) {
        const ap_directive_t *vhost;
        const ap_directive_t *use = handler_use(ptemp, s, main_server,
                                                main_use, &vhost);
        const char *url;

        if (!use) {
            continue;
        }
        /* sendInvitationEmail cannot send without a sender. */
        if (!in_reach(ptemp, vhost, "InviteMailFrom")) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, main_server,
                         INVLOGNO(00605) "%s%s uses SetHandler invite "
                         "(%s:%d) without InviteMailFrom: "
                         "sendInvitationEmail answers \"Error trying to "
                         "send email: Invalid from address\" until it is "
                         "set", s == main_server ? "the main server "
                                                 : "virtual host ",
                         server_label(ptemp, s), use->filename,
                         use->line_num);
        }
        if (in_reach(ptemp, vhost, "InviteSiteUrl")) {
            continue;
        }
        url = invite_config_site_url(ptemp, s);
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
    return scope ? invite_config_directive_in(p, scope, name, NULL) : NULL;
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
              : invite_config_directive_in(ptemp, ap_conftree, "DBDriver",
                                           NULL);
    e->params = own_params ? own_params
              : invite_config_directive_in(ptemp, ap_conftree, "DBDParams",
                                           NULL);
    e->invite = main_on || statements_registered(s);
}

/* A SQLite database that is not there, reported where apache2 -t reports
 * it: SQLite would create an empty file at a mistyped path (or fail for
 * a missing directory), and the requests would then get 503s.  A warning,
 * not a refusal: a missing database is a JSON 503, never a server that
 * does not start. */
void invite_config_walk_check_databases(apr_pool_t *ptemp,
                                        server_rec *main_server)
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

void invite_config_walk_databases(apr_pool_t *pconf, apr_pool_t *ptemp,
                                  server_rec *main_server)
{
    int main_on = statements_registered(main_server), n = 0, i;
    server_rec *s;
    server_db_t *all;
    apr_hash_t *server_dbs;

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
    invite_db_set_names(server_dbs);
    warn_shared_pool(ptemp, all, n);
}

