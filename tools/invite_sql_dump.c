/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_sql_dump - prints the statements mod_invite prepares, as
 * "label<TAB>sql" lines: those of one engine (`invite-sql-dump pgsql`),
 * for the query-plan tests, invitectl's of one engine
 * (`invite-sql-dump --admin pgsql`), invite-sync's
 * (`invite-sql-dump --sync pgsql`), or all of every engine under
 * "-- engine", "-- engine (invitectl)" and "-- engine (invite-sync)"
 * headers, for DBAs (make sql).
 */
#include <stdio.h>
#include <string.h>

#include "invite_sql.h"

static void dump(const invite_stmt_t *statements, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        if (statements[i].sql) {
            printf("%s\t%s\n", statements[i].label, statements[i].sql);
        }
    }
}

int main(int argc, char **argv)
{
    int i, admin = argc > 2 && !strcmp(argv[1], "--admin");
    int sync = argc > 2 && !strcmp(argv[1], "--sync");
    if (argc > 1) {
        const invite_engine_t *e = invite_sql_engine(argv[admin || sync ? 2
                                                           : 1]);
        if (!e) {
            fprintf(stderr, "invite-sql-dump: unknown engine '%s'\n",
                    argv[admin || sync ? 2 : 1]);
            return 2;
        }
        if (sync)
            dump(invite_sync_sql(e->id), INVITE_SYNC_SQL_COUNT);
        else if (admin)
            dump(e->admin, INVITE_ADMIN_COUNT);
        else
            dump(e->statements, INVITE_STMT_COUNT);
        return 0;
    }
    for (i = 0; invite_sql_engines[i]; i++) {
        printf("-- %s\n", invite_sql_engines[i]->driver);
        dump(invite_sql_engines[i]->statements, INVITE_STMT_COUNT);
    }
    for (i = 0; invite_sql_engines[i]; i++) {
        printf("-- %s (invitectl)\n", invite_sql_engines[i]->driver);
        dump(invite_sql_engines[i]->admin, INVITE_ADMIN_COUNT);
    }
    for (i = 0; invite_sql_engines[i]; i++) {
        printf("-- %s (invite-sync)\n", invite_sql_engines[i]->driver);
        dump(invite_sync_sql(invite_sql_engines[i]->id),
             INVITE_SYNC_SQL_COUNT);
    }
    return 0;
}
