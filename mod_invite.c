/*
 * mod_invite.c - Rocket.Chat's invite-link REST API for Apache httpd 2.4.
 *
 * This file holds the module record, the hooks and the dispatcher; each
 * endpoint lives in src/handle/, the httpd-free logic in src/invite_*.c.
 *
 *   <Location /api/v1/findOrCreateInvite>
 *       SetHandler invite
 *   </Location>
 */
#define INVITE_NO_APLOG_USE_MODULE
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>

#include "mod_invite_private.h"

typedef struct {
    const char *name;        /* path segment after .../api/v1/ */
    int method;              /* M_POST, M_GET, ... */
    const char *allow;       /* the Allow header for a 405 */
    invite_endpoint_fn handle;
} invite_route_t;

static const invite_route_t invite_routes[] = {
    { "findOrCreateInvite", M_POST, "POST", invite_handle_find_or_create },
};

#define API_PREFIX "/api/v1/"

static const invite_route_t *route_for(const char *uri)
{
    const char *at = ap_strstr_c(uri, API_PREFIX);
    const char *name;
    size_t i;

    /* The last "/api/v1/" wins, so the API may sit under a sub-path. */
    while (at) {
        const char *next = ap_strstr_c(at + 1, API_PREFIX);
        if (!next) {
            break;
        }
        at = next;
    }
    name = at ? at + sizeof(API_PREFIX) - 1 : NULL;
    for (i = 0; name && i < sizeof(invite_routes) / sizeof(invite_routes[0]);
         i++) {
        if (!strcmp(name, invite_routes[i].name)) {
            return &invite_routes[i];
        }
    }
    return NULL;
}

static int invite_handler(request_rec *r)
{
    const invite_route_t *route;
    const invite_dir_cfg_t *cfg;

    if (!r->handler || strcmp(r->handler, INVITE_HANDLER_NAME)) {
        return DECLINED;
    }
    route = route_for(r->uri);
    if (!route) {
        ap_discard_request_body(r);
        return invite_http_send_json(r, HTTP_NOT_FOUND,
            invite_json_plain_error(r->pool, "Not found"));
    }
    if (r->method_number != route->method) {
        ap_discard_request_body(r);
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

static void invite_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(invite_handler, NULL, NULL, APR_HOOK_MIDDLE);
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
