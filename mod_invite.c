/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite.c - Rocket.Chat's invite-link REST API for Apache httpd 2.4.
 *
 * This file holds the module record, the hooks and the dispatcher; each
 * endpoint lives in src/handle/, the httpd-free logic in src/invite_*.c.
 *
 *   <Location /api/v1/>
 *       SetHandler invite
 *   </Location>
 *
 * serves findOrCreateInvite, listInvites, removeInvite/:_id,
 * useInviteToken, validateInviteToken and sendInvitationEmail; other
 * paths there get a JSON
 * 404, other methods a JSON 405 with Allow.
 */
#define INVITE_NO_APLOG_USE_MODULE
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>
#include <http_core.h>
#include <ap_expr.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "mod_invite_private.h"
#include "mod_invite_config.h"
#include "mod_invite_config_walk.h"
#include "mod_invite_db.h"
#include "mod_invite_http.h"
#include "mod_invite_ratelimit.h"
#include "mod_invite_status.h"
#include "handle/handle.h"
#include "invite_core.h"
#include "invite_mail.h"
#include "invite_version.h"

typedef struct {
    invite_endpoint_e endpoint;  /* its line on the server-status page */
    const char *name;        /* path after .../api/v1/; a trailing '/'
                              * takes one non-empty segment (":_id") */
    int method;              /* M_POST, M_GET, ... */
    const char *allow;       /* the Allow header for a 405 */
    invite_endpoint_fn handle;
} invite_route_t;

static const invite_route_t invite_routes[] = {
    { INVITE_EP_FIND_OR_CREATE, "findOrCreateInvite", M_POST, "POST",
      invite_handle_find_or_create },
    { INVITE_EP_LIST, "listInvites", M_GET, "GET, HEAD", invite_handle_list },
    { INVITE_EP_REMOVE, "removeInvite/", M_DELETE, "DELETE",
      invite_handle_remove },
    { INVITE_EP_USE, "useInviteToken", M_POST, "POST", invite_handle_use },
    { INVITE_EP_VALIDATE, "validateInviteToken", M_POST, "POST",
      invite_handle_validate },
    { INVITE_EP_SEND_EMAIL, "sendInvitationEmail", M_POST, "POST",
      invite_handle_send_email },
};

#define API_PREFIX "/api/v1/"

/* Whether `path` (after .../api/v1/) is `route`: the same name, or for a
 * name ending in '/' the name plus one non-empty segment. */
static int route_matches(const char *route, const char *path)
{
    size_t n = strlen(route);

    if (route[n - 1] != '/') {
        return !strcmp(route, path);
    }
    return !strncmp(route, path, n) && path[n] && !ap_strchr_c(path + n, '/');
}

/* The route named by r->uri, the path after its one "/api/v1/".  httpd
 * applies <Location> sections to the whole path, so a path holding a
 * second "/api/v1/" (".../api/v1/x/api/v1/listInvites") could otherwise
 * be served as the inner route under the outer location's rules: its
 * Require, its rate limit, or a site that gave mod_invite one route and
 * a proxy the rest.  Such a path names no route. */
static const invite_route_t *route_for(const char *uri)
{
    const char *at = ap_strstr_c(uri, API_PREFIX);
    const char *name;
    size_t i;

    if (!at || ap_strstr_c(at + 1, API_PREFIX)) {
        return NULL;
    }
    name = at + sizeof(API_PREFIX) - 1;
    for (i = 0; i < sizeof(invite_routes) / sizeof(invite_routes[0]); i++) {
        if (route_matches(invite_routes[i].name, name)) {
            return &invite_routes[i];
        }
    }
    return NULL;
}

/* An ErrorDocument that points into an invite location (docs/directives.md,
 * "httpd's own refusals"): httpd refused the request before any handler
 * ran (a malformed header or body framing, an over-long URL, a path it
 * will not map) and redirected here, so the answer is the API's JSON
 * with httpd's status instead of its HTML page.  0 when r is no such
 * redirect. */
static int error_document_status(const request_rec *r)
{
    if (!r->prev || !apr_table_get(r->subprocess_env, "REDIRECT_STATUS")
        || !ap_is_HTTP_ERROR(r->prev->status)) {
        return 0;
    }
    return r->prev->status;
}

static int send_error_document(request_rec *r, int status)
{
    /* "414 Request-URI Too Long" -> "Request-URI Too Long"; 404 reads as
     * the 404 of an unknown route. */
    const char *line = ap_get_status_line(status);
    const char *reason = status == HTTP_NOT_FOUND ? "Not found"
                         : ap_strchr_c(line, ' ') ? ap_strchr_c(line, ' ') + 1
                         : line;

    return invite_http_send_json(r, status,
                                 invite_json_plain_error(r->pool, reason));
}

static int invite_handler(request_rec *r)
{
    int refused;
    const invite_route_t *route;
    const invite_dir_cfg_t *cfg;

    if (!r->handler || strcmp(r->handler, INVITE_HANDLER_NAME)) {
        return DECLINED;
    }
    refused = error_document_status(r);
    if (refused) {
        invite_status_begin(r, INVITE_EP_OTHER);
        return send_error_document(r, refused);
    }
    route = route_for(r->uri);
    invite_status_begin(r, route ? route->endpoint : INVITE_EP_OTHER);
    if (!route) {
        invite_http_refuse_body(r);
        return invite_http_send_json(r, HTTP_NOT_FOUND,
            invite_json_plain_error(r->pool, "Not found"));
    }
    /* HEAD is M_GET in httpd, so a GET route answers HEAD as well. */
    if (r->method_number != route->method) {
        invite_http_refuse_body(r);
        apr_table_setn(r->headers_out, "Allow", route->allow);
        return invite_http_send_json(r, HTTP_METHOD_NOT_ALLOWED,
            invite_json_plain_error(r->pool, apr_psprintf(r->pool,
                "Method %s is not allowed here; use %s", r->method,
                route->allow)));
    }
    cfg = ap_get_module_config(r->per_dir_config, &invite_module);
    return route->handle(r, cfg);
}

static void invite_optional_fn_retrieve(void)
{
    invite_db_retrieve_optional_fns();
}

/* Whether SetHandler invite is in force for r's <Location> (the early
 * location walk that precedes translate_name has merged it). */
static int invite_location(request_rec *r)
{
    core_dir_config *d = ap_get_core_module_config(r->per_dir_config);
    const char *err = NULL, *handler;

    if (!d || !d->expr_handler) {
        return 0;
    }
    handler = ap_expr_str_exec(r, d->expr_handler, &err);
    return !err && handler && !strcmp(handler, INVITE_HANDLER_NAME);
}

static const char *const invite_note = "invite-no-file";

/* The API is no file: like mod_proxy, skip the file-system mapping (the
 * directory walk stats every path component and looks for .htaccess
 * files) for the invite handler's locations.  <Directory> sections do
 * not apply there; access control belongs in the <Location>. */
static int invite_translate_name(request_rec *r)
{
    if (invite_location(r)) {
        apr_table_setn(r->notes, invite_note, "1");
    }
    return DECLINED;
}

static int invite_map_to_storage(request_rec *r)
{
    return apr_table_get(r->notes, invite_note) ? OK : DECLINED;
}

static int invite_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    invite_config_reset();
    invite_db_set_names(NULL);
    return invite_db_mutex_register(pconf) == APR_SUCCESS
           && invite_ratelimit_pre_config(pconf) == APR_SUCCESS ? OK : !OK;
}

/* Every check that can refuse a configuration runs here, where apache2 -t
 * runs it too: Debian's reload paths (systemctl reload, logrotate's
 * graceful) trust configtest, and a refusal first seen at post_config of
 * a graceful restart takes the whole server down. */
static int invite_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)plog;
    if (invite_config_walk_check_handlers(ptemp, s) != APR_SUCCESS
        || invite_ratelimit_check_config(ptemp, s) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;   /* logged */
    }
    /* Warnings only: for apache2 -t, and once at a start (not in its
     * first pass) or restart. */
    if (ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_CONFIG_TEST
        || ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        invite_config_walk_check_databases(ptemp, s);
    }
    return OK;
}

static int invite_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    apr_status_t rv;
    int kept;
    (void)plog;
    /* Not on the first of the two startup passes (nothing is kept). */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    invite_config_walk_databases(pconf, ptemp, s);
    invite_config_walk_check_settings(ptemp, s);
    rv = invite_db_mutex_create(s, &kept);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, INVLOGNO(00001)
                     "could not create the SQLite writer lock");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (kept) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, INVLOGNO(00004)
                     "restart: the SQLite writer lock is kept, so the "
                     "children of the generation before take turns with "
                     "the new ones");
    }
    if (invite_ratelimit_post_config(pconf, ptemp, s) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;   /* logged */
    }
    invite_status_post_config(pconf, s);   /* optional: logs, never fails */
    /* libcurl's global set-up, once, before the children and their
     * threads (sendInvitationEmail's delivery). */
    if (invite_mail_global_init(pconf) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, INVLOGNO(00005)
                     "could not set up libcurl: sendInvitationEmail will "
                     "fail to deliver");
    }
    /* The libraries' versions as loaded, not as built against. */
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, INVLOGNO(00750)
                 "mod_invite " INVITE_VERSION " (jansson %s, OpenSSL %s) "
                 "configured", jansson_version_str(),
                 OpenSSL_version(OPENSSL_VERSION_STRING));
    return OK;
}

static void invite_child_init(apr_pool_t *pchild, server_rec *s)
{
    invite_db_mutex_child_init(pchild, s);
    invite_ratelimit_child_init(pchild, s);
    if (invite_token_init(pchild) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, INVLOGNO(00003)
                     "could not fetch SHA-256 once; hashing looks it up "
                     "per request");
    }
    if (invite_config_child_init(pchild) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, INVLOGNO(00002)
                     "no memory for the InviteAuthCache table; every "
                     "request reads the database");
    }
}

static void invite_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(invite_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(invite_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(invite_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(invite_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_translate_name(invite_translate_name, NULL, NULL,
                           APR_HOOK_REALLY_FIRST);
    ap_hook_map_to_storage(invite_map_to_storage, NULL, NULL,
                           APR_HOOK_FIRST);
    ap_hook_handler(invite_handler, NULL, NULL, APR_HOOK_MIDDLE);
    invite_status_register_hooks(p, invite_db_sync_status);
    ap_hook_optional_fn_retrieve(invite_optional_fn_retrieve, NULL, NULL,
                                 APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(invite) = {
    STANDARD20_MODULE_STUFF,
    invite_create_dir_cfg,
    invite_merge_dir_cfg,
    invite_create_srv_cfg,
    NULL,
    invite_cmds,
    invite_register_hooks
};
