/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invitectl.h - what invitectl (src/ctl/), mod_invite's admin
 * command, embeds at build time: the schemas and migrations of conf/,
 * turned into C by tools/embed-sql.pl (a Makefile rule).
 */
#ifndef INVITECTL_H
#define INVITECTL_H

typedef struct {
    const char *engine;    /* apr_dbd driver name: sqlite3, pgsql */
    int version;           /* 1: conf/schema-<engine>.sql; N: NNN-name.sql */
    const char *name;      /* file name */
    const char *sql;       /* the file's text */
} invite_ctl_sql_file_t;

/* Every embedded file, in the Makefile's order; ends with engine NULL. */
extern const invite_ctl_sql_file_t invite_ctl_embedded_sql[];

#endif
