/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_status_core.c - counting requests for mod_status, httpd-free
 * (include/invite_status.h).
 */
#include <apr_atomic.h>
#include <apr_strings.h>

#include "invite_status.h"

static const char *const endpoint_names[INVITE_EP_COUNT] = {
    "findOrCreateInvite", "listInvites", "removeInvite", "useInviteToken",
    "validateInviteToken",
    "sendInvitationEmail", "other"
};

const char *invite_status_endpoint_name(invite_endpoint_e ep)
{
    return (unsigned)ep < INVITE_EP_COUNT ? endpoint_names[ep] : "other";
}

static void raise_max(volatile apr_uint32_t *max, apr_uint32_t v)
{
    apr_uint32_t seen = apr_atomic_read32(max);

    /* Another writer may raise it meanwhile: retry only while ours is
     * still the larger. */
    while (v > seen) {
        apr_uint32_t was = apr_atomic_cas32(max, v, seen);
        if (was == seen) {
            break;
        }
        seen = was;
    }
}

void invite_status_record(invite_status_t *st,
                          const invite_status_request_t *req)
{
    invite_endpoint_e ep = (unsigned)req->endpoint < INVITE_EP_COUNT
                           ? req->endpoint : INVITE_EP_OTHER;
    int cls = (req->status >= 100 && req->status <= 599)
              ? req->status / 100 - 1 : 4;

    apr_atomic_inc32(&st->requests[ep][cls]);
    if (req->created) {
        apr_atomic_inc32(&st->created);
    }
    if (req->status == 401) {
        apr_atomic_inc32(&st->unauthorized);
    }
    else if (req->status == 503) {
        apr_atomic_inc32(&st->unavailable);
    }
    if (req->used_db) {
        apr_uint64_t us = req->db_time > 0 ? (apr_uint64_t)req->db_time : 0;
        apr_atomic_inc32(&st->db_requests);
        apr_atomic_add64(&st->db_time_us, us);
        raise_max(&st->db_time_max_us,
                  us > 0xffffffffu ? 0xffffffffu : (apr_uint32_t)us);
    }
}

apr_uint64_t invite_status_db_mean_us(const invite_status_t *st)
{
    return st->db_requests ? st->db_time_us / st->db_requests : 0;
}

const char *invite_status_auto(apr_pool_t *p, const invite_status_t *st)
{
    char *out = "";
    int ep, cls;

    for (ep = 0; ep < INVITE_EP_COUNT; ep++) {
        for (cls = 0; cls < INVITE_STATUS_CLASSES; cls++) {
            out = apr_psprintf(p, "%sInviteRequests_%s_%dxx: %u\n", out,
                               endpoint_names[ep], cls + 1,
                               st->requests[ep][cls]);
        }
    }
    return apr_psprintf(p,
        "%sInviteCreated: %u\nInvite401: %u\nInvite503: %u\n"
        "InviteDBRequests: %u\nInviteDBTimeMeanUs: %" APR_UINT64_T_FMT "\n"
        "InviteDBTimeMaxUs: %u\nInviteRateLimitEvicted: %u\n",
        out, st->created, st->unauthorized, st->unavailable,
        st->db_requests, invite_status_db_mean_us(st), st->db_time_max_us,
        st->ratelimit_evicted);
}

void invite_status_sync_read(invite_sync_status_t *s, const char *last_ok,
                             const char *last_ok_updated,
                             const char *outbox, long long now_ms)
{
    invite_ms_t at, n;

    s->state = INVITE_SYNC_STATUS_READ;
    s->lag_s = invite_time_parse_ms(last_ok, &at)
               || invite_time_parse_ms(last_ok_updated, &at)
               ? invite_time_age_s(at, now_ms) : -1;
    s->outbox = invite_time_parse_ms(outbox, &n) && n >= 0 ? n : -1;
}

/* A number, or "-" when it is not known (-1). */
static const char *known(apr_pool_t *p, long long v)
{
    return v < 0 ? "-" : apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)v);
}

const char *invite_status_sync(apr_pool_t *p, const invite_sync_status_t *s,
                               int html)
{
    int read = s->state == INVITE_SYNC_STATUS_READ;
    long long lag = read ? s->lag_s : -1, outbox = read ? s->outbox : -1;

    if (s->state == INVITE_SYNC_STATUS_NONE) {
        return "";
    }
    if (!html) {
        return apr_psprintf(p, "InviteSyncLag: %s\nInviteJoinOutbox: %s\n",
                            known(p, lag), known(p, outbox));
    }
    if (!read) {
        return "<dl><dt>invite-sync: the database could not be read (see "
               "the error log)</dt></dl>\n";
    }
    return apr_psprintf(p, "<dl><dt>invite-sync lag: %s</dt>\n"
                        "<dt>Joins waiting for invite-sync (join_outbox): "
                        "%s</dt></dl>\n",
                        lag < 0 ? "never synced"
                                : apr_psprintf(p, "%" APR_INT64_T_FMT " s",
                                               (apr_int64_t)lag),
                        known(p, outbox));
}
