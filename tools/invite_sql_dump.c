/*
 * invite_sql_dump - prints every statement mod_invite prepares, as
 * "label<TAB>sql" lines, for DBAs and for the query-plan tests.
 */
#include <stdio.h>

#include "invite_sql.h"

int main(void)
{
    int i;
    for (i = 0; i < INVITE_STMT_COUNT; i++) {
        printf("%s\t%s\n", invite_statements[i].label, invite_statements[i].sql);
    }
    return 0;
}
