/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_config_walk.h - the start-up checks that walk the whole
 * configuration tree (ap_conftree) for every server
 * (src/mod_invite_config_walk.c).
 */
#ifndef MOD_INVITE_CONFIG_WALK_H
#define MOD_INVITE_CONFIG_WALK_H

#include "mod_invite_private.h"

/* check_config: logs each server that uses SetHandler invite (in its
 * <VirtualHost> or in the main server's sections, which it inherits) but
 * has no InviteDBD On, its own or the main server's; APR_EGENERAL if
 * any.  The main server itself only counts when some listener reaches
 * it. */
apr_status_t invite_config_walk_check_handlers(apr_pool_t *ptemp,
                                               server_rec *main_server);
/* Warns of each server with InviteDBD On whose SQLite database is not
 * there. */
void invite_config_walk_check_databases(apr_pool_t *ptemp,
                                        server_rec *main_server);
/* post_config: says which servers build their invite links from
 * ServerName (no InviteSiteUrl in reach), and which cannot send
 * invitation mails (no InviteMailFrom). */
void invite_config_walk_check_settings(apr_pool_t *ptemp,
                                       server_rec *main_server);

/* post_config: reads each server's DBDriver and DBDParams from the
 * configuration tree (for invite_db_name), logs the module's version and
 * the database of every server where InviteDBD is on, and warns when
 * such a server shares the main server's mod_dbd pool with another
 * mod_dbd consumer (DBDPrepareSQL, mod_authn_dbd, ...). */
void invite_config_walk_databases(apr_pool_t *pconf, apr_pool_t *ptemp,
                                  server_rec *main_server);

#endif
