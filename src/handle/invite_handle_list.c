/*
 * invite_handle_list.c - GET /api/v1/listInvites: every invite of every
 * user as a bare JSON array, for holders of the global
 * create-invite-links permission (spec 6.1).
 */
#include <http_protocol.h>

#include "mod_invite_private.h"

int invite_handle_list(request_rec *r, const invite_dir_cfg_t *cfg)
{
    invite_db_t *db = NULL;
    apr_array_header_t *rows;
    invite_db_rc_e rc;
    json_t *list;
    int done, ncols, i;

    if (invite_authorize_admin(r, cfg, "listInvites", &db, &done)) {
        return done;
    }
    rc = invite_db_select(db, INVITE_STMT_LIST, 0, NULL, &rows, &ncols);
    if (rc != INVITE_DB_OK) {
        return invite_http_db_failure(r, rc);
    }
    if (rows->nelts > 0 && ncols < INVITE_COL_COUNT) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, INVLOGNO(00205)
                      "invite_list returned %d columns", ncols);
        return invite_http_internal_error(r);
    }
    list = json_array();
    for (i = 0; list && i < rows->nelts; i++) {
        invite_record_t inv;
        json_t *o;

        invite_record_from_row(APR_ARRAY_IDX(rows, i, const char **), &inv);
        /* As stored: Rocket.Chat keeps url "" and builds links on demand. */
        o = invite_json_invite_object(r->pool, &inv, "");
        if (!o || json_array_append_new(list, o) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    /* A bare array: the REST layer drops `success` from non-objects. */
    return invite_http_send_json(r, HTTP_OK, invite_json_dump(r->pool, list));
}
