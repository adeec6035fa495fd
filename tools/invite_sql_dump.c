/*
 * invite_sql_dump - prints the statements mod_invite prepares, as
 * "label<TAB>sql" lines: those of one engine (`invite-sql-dump pgsql`),
 * for the query-plan tests, or of every engine under "-- engine" headers,
 * for DBAs (make sql).
 */
#include <stdio.h>
#include <string.h>

#include "invite_sql.h"

static void dump(const invite_engine_t *e)
{
    int i;
    for (i = 0; i < INVITE_STMT_COUNT; i++) {
        if (e->statements[i].sql) {
            printf("%s\t%s\n", e->statements[i].label, e->statements[i].sql);
        }
    }
}

int main(int argc, char **argv)
{
    int i;
    if (argc > 1) {
        const invite_engine_t *e = invite_sql_engine(argv[1]);
        if (!e) {
            fprintf(stderr, "invite-sql-dump: unknown engine '%s'\n", argv[1]);
            return 2;
        }
        dump(e);
        return 0;
    }
    for (i = 0; invite_sql_engines[i]; i++) {
        printf("-- %s\n", invite_sql_engines[i]->driver);
        dump(invite_sql_engines[i]);
    }
    return 0;
}
