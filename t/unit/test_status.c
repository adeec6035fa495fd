/* SPDX-License-Identifier: Apache-2.0 */
/* test_status.c - the mod_status counters: endpoint and status class,
 * creates, 401s and 503s, database time (mean and max), concurrent
 * writers, and the "?auto" lines. */
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "invite_status.h"
#include "tap.h"

#define THREADS 4
#define PER_THREAD 20000

static invite_status_t shared;

static void *APR_THREAD_FUNC hammer(apr_thread_t *t, void *data)
{
    long id = (long)data;
    int i;
    for (i = 0; i < PER_THREAD; i++) {
        invite_status_request_t req = { INVITE_EP_FIND_OR_CREATE, 200, 1, 1,
                                        (apr_interval_time_t)(id * 1000 + i % 7) };
        invite_status_record(&shared, &req);
    }
    /* Returns rather than apr_thread_exit(): pthread_exit's unwinding
     * trips ASan's stack checks (make unit-sanitize). */
    (void)t;
    return NULL;
}

static int has_line(const char *text, const char *line)
{
    const char *at = strstr(text, line);
    size_t n = strlen(line);
    return at && (at == text || at[-1] == '\n') && at[n] == '\n';
}

int main(void)
{
    apr_pool_t *pool;
    invite_status_t st;
    apr_thread_t *th[THREADS];
    const char *text;
    long i;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    memset(&st, 0, sizeof(st));

    {
        invite_status_request_t reqs[] = {
            { INVITE_EP_FIND_OR_CREATE, 200, 1, 1, 300 },
            { INVITE_EP_FIND_OR_CREATE, 200, 0, 1, 100 },
            { INVITE_EP_FIND_OR_CREATE, 401, 0, 1, 50 },
            { INVITE_EP_VALIDATE, 400, 0, 0, 0 },
            { INVITE_EP_USE, 503, 0, 1, 1500 },
            { INVITE_EP_OTHER, 404, 0, 0, 0 },
            { INVITE_EP_LIST, 700, 0, 0, 0 },      /* out of range: 5xx */
            { (invite_endpoint_e)42, 200, 0, 0, 0 }, /* unknown: other */
        };
        for (i = 0; i < (long)(sizeof(reqs) / sizeof(reqs[0])); i++) {
            invite_status_record(&st, &reqs[i]);
        }
    }
    is_int(st.requests[INVITE_EP_FIND_OR_CREATE][1], 2, "two 2xx finds");
    is_int(st.requests[INVITE_EP_FIND_OR_CREATE][3], 1, "one 4xx find");
    is_int(st.requests[INVITE_EP_VALIDATE][3], 1, "a 4xx validate");
    is_int(st.requests[INVITE_EP_USE][4], 1, "a 5xx use");
    is_int(st.requests[INVITE_EP_LIST][4], 1, "a status past 599 counts as 5xx");
    is_int(st.requests[INVITE_EP_OTHER][3], 1, "a 404 under other");
    is_int(st.requests[INVITE_EP_OTHER][1], 1, "an unknown endpoint counts as other");
    is_int(st.created, 1, "one invite created");
    is_int(st.unauthorized, 1, "one 401");
    is_int(st.unavailable, 1, "one 503");
    is_int(st.db_requests, 4, "four requests used the database");
    is_int((int)st.db_time_us, 1950, "their database time adds up");
    is_int((int)invite_status_db_mean_us(&st), 487, "mean database time");
    is_int(st.db_time_max_us, 1500, "max database time");

    st.ratelimit_evicted = 3;
    text = invite_status_auto(pool, &st);
    ok(has_line(text, "InviteRequests_findOrCreateInvite_2xx: 2"), "auto: find 2xx");
    ok(has_line(text, "InviteRequests_findOrCreateInvite_4xx: 1"), "auto: find 4xx");
    ok(has_line(text, "InviteRequests_useInviteToken_5xx: 1"), "auto: use 5xx");
    ok(has_line(text, "InviteRequests_other_4xx: 1"), "auto: other 4xx");
    ok(has_line(text, "InviteRequests_removeInvite_2xx: 0"), "auto: zero counts shown");
    ok(has_line(text, "InviteCreated: 1"), "auto: created");
    ok(has_line(text, "Invite401: 1"), "auto: 401");
    ok(has_line(text, "Invite503: 1"), "auto: 503");
    ok(has_line(text, "InviteDBRequests: 4"), "auto: database requests");
    ok(has_line(text, "InviteDBTimeMeanUs: 487"), "auto: mean");
    ok(has_line(text, "InviteDBTimeMaxUs: 1500"), "auto: max");
    ok(has_line(text, "InviteRateLimitEvicted: 3"),
       "auto: rate-limit windows lost");
    is_str(invite_status_endpoint_name(INVITE_EP_REMOVE), "removeInvite", "endpoint name");
    is_str(invite_status_endpoint_name((invite_endpoint_e)-1), "other", "name out of range");

    {
        invite_status_t empty;
        memset(&empty, 0, sizeof(empty));
        is_int((int)invite_status_db_mean_us(&empty), 0, "no database request: mean 0");
    }

    /* invite-sync's lines: the heartbeat's value (epoch ms), else the
     * time its row was written; "-" for what is not known. */
    {
        invite_sync_status_t sy;
        const long long now = 1700000000000LL;

        invite_status_sync_read(&sy, "1699999990500", "1699999999000", "3",
                                now);
        is_int(sy.state, INVITE_SYNC_STATUS_READ, "sync: read");
        is_int(sy.lag_s, 9, "sync: lag from last_ok_at's value, rounded down");
        is_int(sy.outbox, 3, "sync: outbox count");
        text = invite_status_sync(pool, &sy, 0);
        is_str(text, "InviteSyncLag: 9\nInviteJoinOutbox: 3\n",
               "sync: the ?auto lines");
        ok(strstr(invite_status_sync(pool, &sy, 1), "invite-sync lag: 9 s")
           && strstr(invite_status_sync(pool, &sy, 1), "join_outbox): 3<"),
           "sync: the HTML lines");

        invite_status_sync_read(&sy, "not a time", "1699999880000", "0", now);
        is_int(sy.lag_s, 120, "sync: a value that is no time: updated_at");
        invite_status_sync_read(&sy, "1700000005000", NULL, "0", now);
        is_int(sy.lag_s, 0, "sync: a heartbeat from a clock ahead: lag 0");

        invite_status_sync_read(&sy, NULL, NULL, "0", now);
        is_int(sy.lag_s, -1, "sync: never synced");
        is_str(invite_status_sync(pool, &sy, 0),
               "InviteSyncLag: -\nInviteJoinOutbox: 0\n",
               "sync: never synced shows -");
        ok(strstr(invite_status_sync(pool, &sy, 1), "never synced") != NULL,
           "sync: ... and says so in HTML");

        sy.state = INVITE_SYNC_STATUS_UNREAD;
        sy.lag_s = 5;
        sy.outbox = 2;
        is_str(invite_status_sync(pool, &sy, 0),
               "InviteSyncLag: -\nInviteJoinOutbox: -\n",
               "sync: a database that could not be read: both -");
        ok(strstr(invite_status_sync(pool, &sy, 1), "could not be read")
           != NULL, "sync: ... and says so in HTML");
        sy.state = INVITE_SYNC_STATUS_NONE;
        is_str(invite_status_sync(pool, &sy, 0), "",
               "sync: no mod_invite database: no lines");
        is_str(invite_status_sync(pool, &sy, 1), "", "sync: nor in HTML");
    }

    /* Concurrent writers lose nothing, and the max is the largest. */
    memset(&shared, 0, sizeof(shared));
    for (i = 0; i < THREADS; i++) {
        apr_thread_create(&th[i], NULL, hammer, (void *)(i + 1), pool);
    }
    for (i = 0; i < THREADS; i++) {
        apr_status_t rv;
        apr_thread_join(&rv, th[i]);
    }
    is_int(shared.requests[INVITE_EP_FIND_OR_CREATE][1], THREADS * PER_THREAD,
           "concurrent writers: every request counted");
    is_int(shared.created, THREADS * PER_THREAD, "concurrent writers: every create counted");
    is_int(shared.db_time_max_us, THREADS * 1000 + 6, "concurrent writers: the largest time is the max");
    {
        apr_uint64_t want = 0;
        for (i = 1; i <= THREADS; i++) {
            int k;
            for (k = 0; k < PER_THREAD; k++) {
                want += (apr_uint64_t)(i * 1000 + k % 7);
            }
        }
        ok(shared.db_time_us == want, "concurrent writers: the total time is exact");
    }

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
