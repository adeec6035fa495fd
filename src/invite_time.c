/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_time.c - millisecond timestamps as Rocket.Chat stores them, the
 * expiry maths of findOrCreateInvite (docs/api.md#find-create) and
 * Date#toISOString().
 */
#include <errno.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "invite_core.h"

/* JavaScript Date's range: +-8.64e15 ms (ECMA-262 TimeClip).  Staying inside
 * it also keeps ms * 1000 (APR's microseconds) far from int64 overflow. */
#define JS_MAX_MS 8640000000000000LL
/* Far more than any caller needs (days is 0, 1, 7, 15 or 30: row 12 of
 * docs/api.md#find-check-order) and small enough that the day arithmetic
 * below cannot overflow. */
#define MAX_ABS_DAYS 1000000

invite_ms_t invite_time_now_ms(void)
{
    return (invite_ms_t)apr_time_as_msec(apr_time_now());
}

/* UTC offset (seconds east) of the server's local zone at instant `ms`. */
static int local_offset(invite_ms_t ms, apr_int32_t *off)
{
    apr_time_exp_t xt;

    if (apr_time_exp_lt(&xt, (apr_time_t)ms * 1000) != APR_SUCCESS)
        return 0;
    *off = xt.tm_gmtoff;
    return 1;
}

/*
 * JavaScript's d.setDate(d.getDate() + days): move the local calendar date,
 * keep the local wall-clock time, convert back with the local zone.
 *
 * Wall-clock times are handled as "local time read as if it were UTC"
 * (`wall`).  Converting a wall time back to an instant follows ECMA-262's
 * UTC(t) (and V8/ICU's FORMER/FORMER rule): a time that occurs twice (clocks
 * go back) takes the earlier instant; a time skipped by a forward change is
 * read with the offset in force before the change (02:30 -> 03:30 DST).
 * Offsets are sampled a day either side of the wall time, which brackets the
 * single transition any real zone can have near it.
 */
invite_ms_t invite_time_add_days(invite_ms_t created, int days)
{
    apr_time_exp_t xt;
    apr_time_t wall_us;
    invite_ms_t wall, cand[2], best = 0;
    apr_int32_t off_before, off_after, off;
    int i, found = 0;

    if (days == 0 || created > JS_MAX_MS || created < -JS_MAX_MS
        || days > MAX_ABS_DAYS || days < -MAX_ABS_DAYS)
        return created;
    /* Pre-1970 dates never occur here, and APR cannot implode them. */
    if (created < 0)
        goto utc;

    if (apr_time_exp_lt(&xt, (apr_time_t)created * 1000) != APR_SUCCESS)
        goto utc;
    /* Implode the local fields with a zero offset: the wall clock as UTC. */
    xt.tm_gmtoff = 0;
    if (apr_time_exp_gmt_get(&wall_us, &xt) != APR_SUCCESS)
        goto utc;
    /* created is whole milliseconds and offsets whole seconds, so this is
     * exact and keeps the milliseconds. */
    wall = (invite_ms_t)(wall_us / 1000)
           + (invite_ms_t)days * INVITE_MS_PER_DAY;

    if (!local_offset(wall - INVITE_MS_PER_DAY, &off_before)
        || !local_offset(wall + INVITE_MS_PER_DAY, &off_after))
        goto utc;

    cand[0] = wall - (invite_ms_t)off_before * 1000;
    cand[1] = wall - (invite_ms_t)off_after * 1000;
    for (i = 0; i < 2; ++i) {
        /* A candidate is real when its own offset maps it back to `wall`. */
        if (local_offset(cand[i], &off)
            && cand[i] + (invite_ms_t)off * 1000 == wall
            && (!found || cand[i] < best)) {
            best = cand[i];
            found = 1;
        }
    }
    /* No instant shows this wall time: it lies in a forward gap. */
    return found ? best : cand[0];

utc:
    /* Pre-1970, or the C library cannot convert the time: fall back to
     * what every UTC server computes. */
    return created + (invite_ms_t)days * INVITE_MS_PER_DAY;
}

/*
 * Date#toISOString(): "YYYY-MM-DDTHH:MM:SS.mmmZ".  Returns NULL outside
 * JavaScript's Date range, where toISOString throws RangeError.
 */
const char *invite_time_iso(apr_pool_t *p, invite_ms_t ms)
{
    apr_time_exp_t xt;
    invite_ms_t secs, frac;
    int year;

    if (p == NULL || ms > JS_MAX_MS || ms < -JS_MAX_MS)
        return NULL;
    /* Floor division: APR splits negative times toward zero, which would give
     * a negative millisecond field before 1970. */
    secs = ms / 1000;
    frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        --secs;
    }
    if (apr_time_exp_gmt(&xt, apr_time_from_sec(secs)) != APR_SUCCESS)
        return NULL;
    year = xt.tm_year + 1900;
    if (year >= 0 && year <= 9999)
        return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                            year, xt.tm_mon + 1, xt.tm_mday,
                            xt.tm_hour, xt.tm_min, xt.tm_sec, (int)frac);
    /* Outside 0000-9999 JavaScript writes a signed six-digit year. */
    return apr_psprintf(p, "%c%06d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                        year < 0 ? '-' : '+', year < 0 ? -year : year,
                        xt.tm_mon + 1, xt.tm_mday,
                        xt.tm_hour, xt.tm_min, xt.tm_sec, (int)frac);
}

int invite_time_parse_ms(const char *s, invite_ms_t *ms)
{
    const char *digits = s && *s == '-' ? s + 1 : s;
    char *end;
    apr_int64_t v;

    /* apr_strtoi64 would take leading spaces and a '+' as well. */
    if (!digits || !apr_isdigit(*digits)) {
        return 0;
    }
    errno = 0;
    v = apr_strtoi64(s, &end, 10);
    if (*end || errno) {
        return 0;
    }
    *ms = (invite_ms_t)v;
    return 1;
}

long long invite_time_age_s(invite_ms_t then, invite_ms_t now)
{
    return now > then ? (now - then) / 1000 : 0;
}
