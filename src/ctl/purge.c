/* SPDX-License-Identifier: Apache-2.0 */
/*
 * purge.c - invitectl stats and purge (src/ctl/ctl.h): counts of what
 * the database holds, and the deletion of dead invites in short
 * transactions.
 */
#include <stdio.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "invite_core.h"
#include "ctl.h"

#define CTL_PURGE_DAYS 30
#define CTL_PURGE_BATCH 500
#define CTL_PURGE_BATCH_MAX 10000

enum { PURGE_DAYS, PURGE_BATCH, PURGE_OUTBOX_DAYS };

static const ctl_option_t purge_options[] = {
    [PURGE_DAYS] = { "--days", 1 },
    [PURGE_BATCH] = { "--batch", 1 },
    [PURGE_OUTBOX_DAYS] = { "--outbox-days", 1 },
    { NULL, 0 }
};

/* Runs a purge statement (args: cutoff, then the batch size) in batches,
 * each in its own short transaction, until one deletes fewer than
 * `batch`; *total counts what went.  CTL_OK or CTL_FAIL. */
static int purge_batches(ctl_db_t *db, invite_admin_stmt_e stmt, int nargs,
                         const char **args, long long batch,
                         long long *total)
{
    int nrows;

    do {
        apr_dbd_transaction_t *txn;
        int ok;

        if (ctl_begin(db, &txn) != CTL_OK) {
            return CTL_FAIL;
        }
        ok = ctl_query(db, stmt, &nrows, nargs, args);
        if (ctl_end(db, txn, ok) != CTL_OK) {
            return CTL_FAIL;
        }
        *total += nrows;
    } while (nrows >= batch);
    return CTL_OK;
}

static const char *cutoff_arg(apr_pool_t *p, long long days)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT,
                        (apr_int64_t)(invite_time_now_ms()
                                      - days * INVITE_MS_PER_DAY));
}

static int cmd_purge(ctl_db_t *db, apr_array_header_t *args,
                     apr_array_header_t **opts)
{
    long long days = CTL_PURGE_DAYS, batch = CTL_PURGE_BATCH, total = 0;
    long long outbox_days = -1, outbox_total = 0;
    const char *a[3];
    int rv;

    if (args->nelts) {
        return ctl_usage_error(db->pool, "purge", "purge takes no arguments");
    }
    if (ctl_opt(opts[PURGE_DAYS])
        && (days = ctl_number(ctl_opt(opts[PURGE_DAYS]), 0, 100000)) < 0) {
        return ctl_usage_error(db->pool, "purge",
                               "--days is a number of days (0 to 100000)");
    }
    if (ctl_opt(opts[PURGE_OUTBOX_DAYS])
        && (outbox_days = ctl_number(ctl_opt(opts[PURGE_OUTBOX_DAYS]), 0,
                                     100000)) < 0) {
        return ctl_usage_error(db->pool, "purge", "--outbox-days is a number"
                               " of days (0 to 100000)");
    }
    if (ctl_opt(opts[PURGE_BATCH])
        && (batch = ctl_number(ctl_opt(opts[PURGE_BATCH]), 1,
                               CTL_PURGE_BATCH_MAX)) < 0) {
        return ctl_usage_error(db->pool, "purge",
                               "--batch is a number from 1 to %d",
                               CTL_PURGE_BATCH_MAX);
    }
    if (ctl_connect(db, 1) != CTL_OK) {
        return CTL_FAIL;
    }
    a[0] = a[1] = cutoff_arg(db->pool, days);
    a[2] = apr_psprintf(db->pool, "%" APR_INT64_T_FMT, (apr_int64_t)batch);
    rv = purge_batches(db, INVITE_ADMIN_PURGE, 3, a, batch, &total);
    printf("purged %lld invites\n", total);
    if (rv != CTL_OK || outbox_days < 0) {
        return rv;
    }
    /* Joins Rocket.Chat never learned of, on a site without invite-sync
     * (InviteJoinOutbox left On). */
    a[0] = cutoff_arg(db->pool, outbox_days);
    a[1] = a[2];
    rv = purge_batches(db, INVITE_ADMIN_OUTBOX_PURGE, 2, a, batch,
                       &outbox_total);
    printf("purged %lld join outbox rows\n", outbox_total);
    return rv;
}

static int cmd_stats(ctl_db_t *db, apr_array_header_t *args,
                     apr_array_header_t **opts)
{
    static const char *const names[INVITE_ADMIN_STATS_COL_COUNT] = {
        "users", "rooms", "subscriptions", "tokens", "invites live",
        "invites expired", "invites used up", "schema version"
    };
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char *a[2];
    int i;

    (void)opts;
    if ((i = ctl_connect_bare(db, "stats", args, 1)) != CTL_OK) {
        return i;
    }
    a[0] = a[1] = apr_psprintf(db->pool, "%" APR_INT64_T_FMT,
                               (apr_int64_t)invite_time_now_ms());
    if (ctl_select(db, INVITE_ADMIN_STATS, &res, 2, a) != CTL_OK) {
        return CTL_FAIL;
    }
    if (!ctl_row(db, res, &row)) {
        return ctl_fail(db->pool, "stats: no row");
    }
    for (i = 0; i < INVITE_ADMIN_STATS_COL_COUNT; i++) {
        const char *v = ctl_col(db, row, i);
        printf("%s: %s\n", names[i], v ? v : "none");
    }
    invite_dbc_drain(&db->dbc, res, &row);
    return CTL_OK;
}

const ctl_command_t ctl_cmd_stats = {
    "stats", NULL, cmd_stats, "stats",
    "Counts users, rooms, subscriptions, tokens, invites (live, expired,\n"
    "used up) and shows the schema version.\n"
};

const ctl_command_t ctl_cmd_purge = {
    "purge", purge_options, cmd_purge,
    "purge [--days N] [--batch N] [--outbox-days N]",
    "Deletes invites expired or used up at least N days ago (default 30),\n"
    "in batches of at most --batch (default 500, at most 10000), each in\n"
    "its own short transaction.  Prints the number deleted.\n"
    "  --outbox-days N  also delete the join_outbox rows written at least\n"
    "                   N days ago: joins no invite-sync handed to\n"
    "                   Rocket.Chat (a site that left InviteJoinOutbox On\n"
    "                   without invite-sync)\n"
};
