/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_status.h - mod_invite's lines on the server-status page
 * (src/mod_invite_status.c): host-wide counters in mod_slotmem_shm, shown
 * by mod_status.  Without mod_slotmem_shm they are off (logged once).
 */
#ifndef MOD_INVITE_STATUS_H
#define MOD_INVITE_STATUS_H

#include "mod_invite_private.h"
#include "invite_status.h"

void invite_status_post_config(apr_pool_t *pconf, server_rec *s);
/* Reads invite-sync's lines for the page serving r (mod_invite.c passes
 * the database layer's, invite_db_sync_status: the status layer is below
 * it). */
typedef void (*invite_status_sync_reader_t)(request_rec *r,
                                            invite_sync_status_t *out);
void invite_status_register_hooks(apr_pool_t *p,
                                  invite_status_sync_reader_t sync_reader);
/* The request is counted (under `ep`) when it is logged. */
void invite_status_begin(request_rec *r, invite_endpoint_e ep);
/* The request used the database from `since` until now (a connection, a
 * statement, a wait for the writer lock). */
void invite_status_db_time(request_rec *r, apr_time_t since);
void invite_status_note_created(request_rec *r);
/* The rate limiter saw a window the cache lost before its end. */
void invite_status_note_evicted(void);

#endif
