/* Routes being built: answer 501 until their handlers land. */
#include <http_protocol.h>
#include "mod_invite_private.h"

static int pending(request_rec *r)
{
    ap_discard_request_body(r);
    return invite_http_send_json(r, HTTP_NOT_IMPLEMENTED,
        invite_json_plain_error(r->pool, "Not implemented yet"));
}

int invite_handle_list(request_rec *r, const invite_dir_cfg_t *cfg)
{ (void)cfg; return pending(r); }
int invite_handle_remove(request_rec *r, const invite_dir_cfg_t *cfg)
{ (void)cfg; return pending(r); }
int invite_handle_use(request_rec *r, const invite_dir_cfg_t *cfg)
{ (void)cfg; return pending(r); }
int invite_handle_validate(request_rec *r, const invite_dir_cfg_t *cfg)
{ (void)cfg; return pending(r); }
