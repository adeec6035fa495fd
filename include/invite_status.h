/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_status.h - the module's counters for mod_status
 * (docs/operations.md#server-status), httpd-free (src/invite_status_core.c).  One invite_status_t lives
 * in shared memory (mod_slotmem_shm, src/mod_invite_status.c) and every
 * thread of every child process adds to it with atomic operations, so
 * the counts are the whole host's and need no lock.
 */
#ifndef INVITE_STATUS_H
#define INVITE_STATUS_H

#include <apr_pools.h>
#include <apr_time.h>

#include "invite_core.h"

/* The endpoints, in the dispatcher's order, then everything else under
 * the API prefix (404s). */
typedef enum {
    INVITE_EP_FIND_OR_CREATE,
    INVITE_EP_LIST,
    INVITE_EP_REMOVE,
    INVITE_EP_USE,
    INVITE_EP_VALIDATE,
    INVITE_EP_SEND_EMAIL,
    INVITE_EP_OTHER,
    INVITE_EP_COUNT
} invite_endpoint_e;

/* Status classes 1xx to 5xx. */
#define INVITE_STATUS_CLASSES 5

typedef struct {
    apr_uint32_t requests[INVITE_EP_COUNT][INVITE_STATUS_CLASSES];
    apr_uint32_t created;            /* invites created */
    apr_uint32_t unauthorized;       /* 401 answers */
    apr_uint32_t unavailable;        /* 503 answers */
    apr_uint32_t ratelimit_evicted;  /* rate-limit windows the cache lost
                                      * before their end (seen by the
                                      * rate limiter; a lower bound) */
    apr_uint32_t db_requests;        /* requests that used the database */
    apr_uint32_t db_time_max_us;     /* the longest of those, microseconds */
    apr_uint64_t db_time_us;         /* their total, microseconds */
} invite_status_t;

/* What one request did. */
typedef struct {
    invite_endpoint_e endpoint;
    int status;                      /* the HTTP status sent */
    int created;                     /* it created an invite */
    int used_db;                     /* it acquired a database connection */
    apr_interval_time_t db_time;     /* time spent in database calls */
} invite_status_request_t;

/* The endpoint's name as the counters show it ("other" for the rest). */
const char *invite_status_endpoint_name(invite_endpoint_e ep);

/* Adds one request to *st (atomically; safe from any thread or process
 * sharing *st).  Statuses outside 100-599 are counted as 5xx. */
void invite_status_record(invite_status_t *st,
                          const invite_status_request_t *req);

/* The mod_status "?auto" lines ("Name: value\n"), from a snapshot. */
const char *invite_status_auto(apr_pool_t *p, const invite_status_t *st);

/* The mean database time per database-using request, microseconds. */
apr_uint64_t invite_status_db_mean_us(const invite_status_t *st);

/* invite-sync as the page shows it: read when the page is asked for, from
 * the database of the first server with InviteDBD On (mod_invite_db.c,
 * invite_db_sync_status). */
typedef enum {
    INVITE_SYNC_STATUS_NONE,     /* no mod_invite database there: no lines */
    INVITE_SYNC_STATUS_UNREAD,   /* the database could not be read */
    INVITE_SYNC_STATUS_READ
} invite_sync_status_e;

typedef struct {
    invite_sync_status_e state;
    long long lag_s;     /* seconds since invite-sync's last heartbeat
                          * (sync_state last_ok_at); -1: never synced */
    long long outbox;    /* join_outbox rows not yet delivered */
} invite_sync_status_t;

/* *s from the columns of INVITE_STMT_SYNC_STATUS (last_ok_at's value and
 * updated_at, the outbox count; text, NULL for SQL NULL) at `now_ms`:
 * last_ok_at is its value when that is epoch ms, else its updated_at. */
void invite_status_sync_read(invite_sync_status_t *s, const char *last_ok,
                             const char *last_ok_updated,
                             const char *outbox, long long now_ms);

/* The page's sync lines: "?auto" ("InviteSyncLag: N\nInviteJoinOutbox:
 * N\n", "-" for what is not known), or HTML when html is set; "" for
 * INVITE_SYNC_STATUS_NONE. */
const char *invite_status_sync(apr_pool_t *p, const invite_sync_status_t *s,
                               int html);

#endif
