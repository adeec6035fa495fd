/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_apconf.h - what invitectl and invite-sync read of an Apache
 * configuration file (src/invite_apconf.c; httpd-free): DBDriver,
 * DBDParams and User, with ${NAME} resolved as httpd resolves it.
 */
#ifndef INVITE_APCONF_H
#define INVITE_APCONF_H

#include <apr_pools.h>
#include <apr_tables.h>

/* line with each ${NAME} replaced as httpd's ap_resolve_env replaces it:
 * by the value in defines, else of the environment; an undefined one, or
 * a "${" without "}", stays as it is. */
const char *invite_apconf_resolve(apr_pool_t *p, apr_table_t *defines,
                                  const char *line);

/* DBDriver, DBDParams and User from an Apache configuration file: the
 * first occurrence of each in the file's own lines (Include is not
 * followed; sections are not told apart); left as they are (NULL, or
 * given) when absent.  ${NAME} is replaced as httpd does, from the Define
 * lines read so far (UnDefine too) and the environment; one left
 * unresolved in DBDriver or DBDParams is an error, in User it stays.
 * driver_opt and params_opt name the caller's options that give them
 * instead ("-d DRIVER"), for that message.  0, or -1 with the message in
 * *err. */
int invite_apconf_read(apr_pool_t *p, const char *file,
                       const char *driver_opt, const char *params_opt,
                       const char **driver, const char **params,
                       const char **user, const char **err);

#endif
