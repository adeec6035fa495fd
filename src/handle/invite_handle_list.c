/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_handle_list.c - GET /api/v1/listInvites: every invite of every
 * user as a bare JSON array, for holders of the global
 * create-invite-links permission (docs/api.md#list-invites).
 */
#include <apr_strings.h>
#include <http_protocol.h>

#include "handle.h"
#include "mod_invite_db.h"
#include "mod_invite_http.h"
#include "invite_core.h"
#include "invite_sql.h"

int invite_handle_list(request_rec *r, const invite_dir_cfg_t *cfg)
{
    invite_db_t *db = NULL;
    apr_array_header_t *rows;
    apr_array_header_t *pieces;
    invite_db_rc_e rc;
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
    /* Each invite is shaped and serialised on its own and the pieces
     * joined once: a jansson tree of the whole table would cost its
     * malloc'd nodes per thread for every list (about 1 KB per invite),
     * which glibc keeps in the thread's arena afterwards. */
    pieces = apr_array_make(r->pool, rows->nelts * 2 + 2, sizeof(const char *));
    APR_ARRAY_PUSH(pieces, const char *) = "[";
    for (i = 0; i < rows->nelts; i++) {
        invite_record_t inv;
        const char *one;

        invite_record_from_row(APR_ARRAY_IDX(rows, i, const char **), &inv);
        /* As stored: Rocket.Chat keeps url "" and builds links on demand. */
        one = invite_json_dump(r->pool,
                               invite_json_invite_object(r->pool, &inv, ""));
        if (!one) {
            return invite_http_send_json(r, HTTP_OK, NULL);   /* 500 */
        }
        if (i > 0) {
            APR_ARRAY_PUSH(pieces, const char *) = ",";
        }
        APR_ARRAY_PUSH(pieces, const char *) = one;
    }
    APR_ARRAY_PUSH(pieces, const char *) = "]";
    /* A bare array: the REST layer drops `success` from non-objects. */
    return invite_http_send_json(r, HTTP_OK,
                                 apr_array_pstrcat(r->pool, pieces, 0));
}
