/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_handle_remove.c - DELETE /api/v1/removeInvite/:_id
 * (docs/api.md#remove-invite): any holder of the global
 * create-invite-links permission may delete any invite; the answer is the
 * bare literal true.
 */
#include <http_protocol.h>

#include "handle.h"
#include "mod_invite_db.h"
#include "mod_invite_http.h"
#include "invite_core.h"
#include "invite_sql.h"

/* The :_id segment (the dispatcher matched "removeInvite/<id>"). */
static const char *invite_id_of(request_rec *r)
{
    const char *slash = strrchr(r->uri, '/');
    return slash ? slash + 1 : "";
}

int invite_handle_remove(request_rec *r, const invite_dir_cfg_t *cfg)
{
    invite_db_t *db = NULL;
    const char *id = invite_id_of(r);
    invite_db_rc_e rc;
    int done, nrows = 0;

    if (invite_authorize_admin(r, cfg, "removeInvite/:_id", &db, &done)) {
        return done;
    }
    rc = invite_db_write_lock(db);
    if (rc == INVITE_DB_OK) {
        rc = invite_db_query(db, INVITE_STMT_REMOVE, 1, &id, &nrows);
        invite_db_write_unlock(db);
    }
    if (rc != INVITE_DB_OK) {
        return invite_http_db_failure(r, rc);
    }
    if (nrows == 0) {
        return invite_http_send_json(r, HTTP_BAD_REQUEST,
            invite_json_meteor_error(r->pool, "invalid-invitation-id",
                                     "Invalid Invitation _id", "removeInvite",
                                     NULL));
    }
    return invite_http_send_json(r, HTTP_OK, "true");
}
