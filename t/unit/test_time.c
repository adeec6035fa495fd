/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_time.c - timestamps, Date#toISOString() and the expiry maths
 * (JavaScript's setDate(getDate() + days) in the server's local zone).
 * Expected values across DST changes were checked with Node.js.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_time.h>

#include "invite_core.h"
#include "tap.h"

static apr_pool_t *pool;

/* Milliseconds of a UTC calendar instant. */
static invite_ms_t utc_ms(int y, int mo, int d, int h, int mi, int s, int ms)
{
    apr_time_exp_t xt;
    apr_time_t t;

    memset(&xt, 0, sizeof(xt));
    xt.tm_year = y - 1900;
    xt.tm_mon = mo - 1;
    xt.tm_mday = d;
    xt.tm_hour = h;
    xt.tm_min = mi;
    xt.tm_sec = s;
    if (apr_time_exp_gmt_get(&t, &xt) != APR_SUCCESS)
        return -1;
    return (invite_ms_t)apr_time_sec(t) * 1000 + ms;
}

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    /* localtime_r does not re-read TZ on its own. */
    tzset();
}

/* ISO form of created + days in the current zone. */
static const char *add_iso(invite_ms_t created, int days)
{
    return invite_time_iso(pool, invite_time_add_days(created, days));
}

int main(void)
{
    invite_ms_t t, before, now, after;
    int have_tzdata;

    apr_initialize();
    apr_pool_create(&pool, NULL);

    /* ---------------------------------------------------------- now */
    before = (invite_ms_t)time(NULL) * 1000;
    now = invite_time_now_ms();
    after = (invite_ms_t)time(NULL) * 1000 + 1000;
    ok(now >= before && now <= after, "now_ms agrees with time(2)");
    ok(invite_time_now_ms() >= now, "now_ms does not go backwards");

    /* ---------------------------------------------------------- ISO */
    is_str(invite_time_iso(pool, 1595323929563LL), "2020-07-21T09:32:09.563Z",
           "ISO of docs/api.md's example createdAt");
    is_str(invite_time_iso(pool, 0), "1970-01-01T00:00:00.000Z", "ISO of epoch");
    is_str(invite_time_iso(pool, 1), "1970-01-01T00:00:00.001Z",
           "ISO keeps 1 ms");
    is_str(invite_time_iso(pool, 951782400000LL), "2000-02-29T00:00:00.000Z",
           "ISO of the 2000 leap day");
    is_str(invite_time_iso(pool, utc_ms(2024, 2, 29, 23, 59, 59, 999)),
           "2024-02-29T23:59:59.999Z", "ISO of the end of the 2024 leap day");
    is_str(invite_time_iso(pool, utc_ms(2024, 2, 29, 23, 59, 59, 999) + 1),
           "2024-03-01T00:00:00.000Z", "ISO rolls over to 1 March");
    is_str(invite_time_iso(pool, 4102444799999LL), "2099-12-31T23:59:59.999Z",
           "ISO of the end of 2099");
    is_str(invite_time_iso(pool, -1), "1969-12-31T23:59:59.999Z",
           "ISO before the epoch (floor, not truncation)");
    is_str(invite_time_iso(pool, 8640000000000000LL),
           "+275760-09-13T00:00:00.000Z", "ISO of the last JS date");
    is_str(invite_time_iso(pool, -8640000000000000LL),
           "-271821-04-20T00:00:00.000Z", "ISO of the first JS date");
    ok(invite_time_iso(pool, 8640000000000001LL) == NULL,
       "ISO beyond the JS range is NULL");
    /* ISO is UTC whatever the local zone. */
    set_tz("Asia/Kolkata");
    is_str(invite_time_iso(pool, 1595323929563LL), "2020-07-21T09:32:09.563Z",
           "ISO ignores the local zone");

    /* ---------------------------------------------------- add_days, UTC */
    set_tz("UTC");
    t = 1595323929563LL;
    is_int(invite_time_add_days(t, 1), t + 86400000LL, "UTC: +1 day");
    is_str(add_iso(t, 1), "2020-07-22T09:32:09.563Z",
           "UTC: +1 day is docs/api.md's example expires");
    is_int(invite_time_add_days(t, 7), t + 7 * 86400000LL, "UTC: +7 days");
    is_int(invite_time_add_days(t, 15), t + 15 * 86400000LL, "UTC: +15 days");
    is_int(invite_time_add_days(t, 30), t + 30 * 86400000LL, "UTC: +30 days");
    is_int(invite_time_add_days(t, 0), t, "UTC: +0 days is unchanged");
    is_str(add_iso(utc_ms(2020, 2, 28, 23, 59, 59, 999), 1),
           "2020-02-29T23:59:59.999Z", "UTC: into a leap day");
    is_str(add_iso(utc_ms(2020, 12, 31, 12, 0, 0, 1), 1),
           "2021-01-01T12:00:00.001Z", "UTC: across new year");
    is_int(invite_time_add_days(0, 1), 86400000LL, "UTC: from the epoch");

    have_tzdata = access("/usr/share/zoneinfo/America/New_York", R_OK) == 0
                  && access("/usr/share/zoneinfo/Europe/Berlin", R_OK) == 0;
    ok(have_tzdata, "tzdata is installed (/usr/share/zoneinfo)");

    /* ---------------------------------------- add_days, America/New_York */
    set_tz("America/New_York");
    /* Spring forward (14 March 2021): noon stays noon, 23 h later. */
    t = utc_ms(2021, 3, 13, 17, 0, 0, 0);
    is_str(add_iso(t, 1), "2021-03-14T16:00:00.000Z",
           "New York: +1 day across the March change keeps 12:00");
    is_int(invite_time_add_days(t, 1) - t, 23 * 3600000LL,
           "New York: that day is 23 hours long");
    is_str(add_iso(utc_ms(2021, 3, 7, 17, 0, 0, 0), 7),
           "2021-03-14T16:00:00.000Z", "New York: +7 days across March");
    is_int(invite_time_add_days(t, 0), t, "New York: +0 days is unchanged");
    /* Fall back (7 November 2021): 25 h. */
    t = utc_ms(2021, 11, 6, 16, 0, 0, 0);
    is_str(add_iso(t, 1), "2021-11-07T17:00:00.000Z",
           "New York: +1 day across the November change keeps 12:00");
    is_int(invite_time_add_days(t, 1) - t, 25 * 3600000LL,
           "New York: that day is 25 hours long");
    /* Milliseconds survive and no change in between: plain 30 days. */
    t = utc_ms(2021, 7, 1, 12, 0, 0, 123);
    is_int(invite_time_add_days(t, 30), t + 30 * 86400000LL,
           "New York: +30 days within summer time");
    /* 02:30 EST +1 day is 02:30 on 14 March, which does not exist: JS reads
     * it with the offset before the change, giving 03:30 EDT. */
    is_str(add_iso(utc_ms(2021, 3, 13, 7, 30, 0, 0), 1),
           "2021-03-14T07:30:00.000Z",
           "New York: a wall time in the spring gap moves forward");
    /* 01:30 on 7 November happens twice: JS takes the earlier (EDT). */
    is_str(add_iso(utc_ms(2021, 11, 6, 5, 30, 0, 0), 1),
           "2021-11-07T05:30:00.000Z",
           "New York: a repeated wall time takes the earlier instant");
    is_str(add_iso(utc_ms(2021, 11, 8, 6, 30, 0, 0), -1),
           "2021-11-07T05:30:00.000Z",
           "New York: -1 day onto a repeated wall time takes the earlier");
    is_str(add_iso(utc_ms(2021, 11, 6, 6, 30, 0, 0), 1),
           "2021-11-07T07:30:00.000Z",
           "New York: 02:30 after fall-back is EST");

    /* ------------------------------------------- add_days, Europe/Berlin */
    set_tz("Europe/Berlin");
    t = utc_ms(2021, 10, 30, 10, 0, 0, 0);
    is_str(add_iso(t, 1), "2021-10-31T11:00:00.000Z",
           "Berlin: +1 day across the October change keeps 12:00");
    is_int(invite_time_add_days(t, 1) - t, 25 * 3600000LL,
           "Berlin: that day is 25 hours long");
    is_str(add_iso(utc_ms(2021, 10, 20, 22, 30, 0, 250), 15),
           "2021-11-04T23:30:00.250Z",
           "Berlin: +15 days after midnight local, across October");
    is_str(add_iso(utc_ms(2021, 3, 27, 1, 30, 0, 0), 1),
           "2021-03-28T01:30:00.000Z",
           "Berlin: 02:30 in the March gap becomes 03:30 CEST");
    is_str(add_iso(utc_ms(2021, 10, 30, 0, 30, 0, 0), 1),
           "2021-10-31T00:30:00.000Z",
           "Berlin: repeated 02:30 in October takes CEST");

    /* ---------------------------------------- a zone without DST */
    set_tz("Asia/Kolkata");
    t = utc_ms(2021, 3, 13, 17, 0, 0, 0);
    is_int(invite_time_add_days(t, 7), t + 7 * 86400000LL,
           "Kolkata: +7 days is exactly 7 * 24 h");

    /* -------------------------------- stored epoch ms, and ages */
    {
        invite_ms_t ms = 7;
        ok(invite_time_parse_ms("1700000000123", &ms) && ms == 1700000000123LL,
           "parse_ms: epoch ms");
        ok(invite_time_parse_ms("-5", &ms) && ms == -5, "parse_ms: negative");
        ok(invite_time_parse_ms("0", &ms) && ms == 0, "parse_ms: zero");
        ms = 7;
        ok(!invite_time_parse_ms(NULL, &ms) && ms == 7,
           "parse_ms: NULL, *ms untouched");
        ok(!invite_time_parse_ms("", &ms), "parse_ms: empty");
        ok(!invite_time_parse_ms("-", &ms), "parse_ms: a sign alone");
        ok(!invite_time_parse_ms(" 12", &ms), "parse_ms: leading space");
        ok(!invite_time_parse_ms("+12", &ms), "parse_ms: a plus");
        ok(!invite_time_parse_ms("12s", &ms), "parse_ms: trailing text");
        ok(!invite_time_parse_ms("2026-12-07T08:00:00Z", &ms),
           "parse_ms: an ISO time is no epoch ms");
        ok(!invite_time_parse_ms("99999999999999999999", &ms),
           "parse_ms: out of range");
        is_int(invite_time_age_s(1000, 60999), 59, "age_s: rounded down");
        is_int(invite_time_age_s(1000, 61000), 60, "age_s: whole seconds");
        is_int(invite_time_age_s(5000, 1000), 0, "age_s: a time ahead is 0");
    }

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
