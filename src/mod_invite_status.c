/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_status.c - mod_invite's lines on the server-status page.
 *
 * The counters (include/invite_status.h) live in one slot of
 * mod_slotmem_shm, created by the parent before the children are forked,
 * so that every child process adds to the same memory with atomic
 * operations: the page shows the whole host, whichever child serves it.
 * mod_slotmem_shm makes a new segment for each generation, so the slot is
 * of the persisting type: the parent stores it when a restart clears the
 * configuration and the next generation reads it back, and a graceful
 * restart (logrotate's, every day) keeps the counts.  A start that is no
 * restart removes the stored copy first, so that, as with mod_status's
 * own counters, a full stop and start begins at zero.
 *
 * After the counters come invite-sync's lag and the joins waiting in
 * join_outbox, which are no counters: the database layer reads them (the
 * reader mod_invite.c hands over) each time the page is asked for.
 */
#include <apr_atomic.h>
#include <apr_strings.h>
#include <ap_provider.h>
#include <ap_slotmem.h>
#include <http_protocol.h>
#include <mod_status.h>

#include "mod_invite_status.h"

#define STATUS_SLOT_NAME "mod_invite_status"
/* Where mod_slotmem_shm stores a persisting slot of that name. */
#define STATUS_SLOT_STORE "slotmem-shm-" STATUS_SLOT_NAME ".shm.persist"
/* The parent's mark that its counters were set up once already. */
#define STATUS_STARTED_KEY "invite-status-started"

static invite_status_t *counters;   /* NULL: counting is off */
static invite_status_sync_reader_t read_sync;

/* What the request being served has done so far. */
static invite_status_request_t *request_of(request_rec *r)
{
    return ap_get_module_config(r->request_config, &invite_module);
}

void invite_status_post_config(apr_pool_t *pconf, server_rec *s)
{
    const ap_slotmem_provider_t *shm;
    ap_slotmem_instance_t *slot = NULL;
    apr_status_t rv;
    void *mem = NULL, *started = NULL;

    counters = NULL;
    shm = ap_lookup_provider(AP_SLOTMEM_PROVIDER_GROUP, "shm",
                             AP_SLOTMEM_PROVIDER_VERSION);
    if (!shm) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, INVLOGNO(00801)
                     "mod_slotmem_shm is not loaded: no mod_invite "
                     "counters on the server-status page");
        return;
    }
    apr_pool_userdata_get(&started, STATUS_STARTED_KEY, s->process->pool);
    if (!started) {
        apr_file_remove(ap_runtime_dir_relative(pconf, STATUS_SLOT_STORE),
                        pconf);
        /* _set copies the key, which must outlive this DSO. */
        apr_pool_userdata_set((void *)1, STATUS_STARTED_KEY,
                              apr_pool_cleanup_null, s->process->pool);
    }
    rv = shm->create(&slot, STATUS_SLOT_NAME, sizeof(invite_status_t), 1,
                     AP_SLOTMEM_TYPE_PERSIST, pconf);
    if (rv == APR_SUCCESS) {
        rv = shm->dptr(slot, 0, &mem);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, INVLOGNO(00802)
                     "could not create the shared memory for mod_invite's "
                     "server-status counters; they are off");
        return;   /* counting is optional, serving is not */
    }
    counters = mem;
}

void invite_status_begin(request_rec *r, invite_endpoint_e ep)
{
    invite_status_request_t *req;

    if (!counters) {
        return;
    }
    req = apr_pcalloc(r->pool, sizeof(*req));
    req->endpoint = ep;
    ap_set_module_config(r->request_config, &invite_module, req);
}

void invite_status_db_time(request_rec *r, apr_time_t since)
{
    invite_status_request_t *req = request_of(r);

    if (req) {
        req->used_db = 1;
        req->db_time += apr_time_now() - since;
    }
}

void invite_status_note_created(request_rec *r)
{
    invite_status_request_t *req = request_of(r);

    if (req) {
        req->created = 1;
    }
}

void invite_status_note_evicted(void)
{
    if (counters) {
        apr_atomic_inc32(&counters->ratelimit_evicted);
    }
}

/* Counted when logged: r->status is then what was sent. */
static int invite_status_log_transaction(request_rec *r)
{
    invite_status_request_t *req = request_of(r);

    if (req && counters) {
        req->status = r->status;
        invite_status_record(counters, req);
    }
    return DECLINED;
}

/* invite-sync's lines, read from the database only now that the page is
 * asked for; a database that cannot be read shows "-", never an error
 * page. */
static void sync_lines(request_rec *r, int html, int heading)
{
    invite_sync_status_t sync = { INVITE_SYNC_STATUS_NONE, -1, -1 };

    if (read_sync) {
        read_sync(r, &sync);
    }
    if (html && heading && sync.state != INVITE_SYNC_STATUS_NONE) {
        ap_rputs("<hr />\n<h2>mod_invite</h2>\n", r);
    }
    ap_rputs(invite_status_sync(r->pool, &sync, html), r);
}

static int invite_status_hook(request_rec *r, int flags)
{
    invite_status_t snap;
    int ep, cls;

    if (!counters) {
        /* counting is off: the sync lines alone */
        sync_lines(r, !(flags & AP_STATUS_SHORT), 1);
        return OK;
    }
    snap = *counters;   /* each field read whole; a moment's skew is fine */
    if (flags & AP_STATUS_SHORT) {
        ap_rputs(invite_status_auto(r->pool, &snap), r);
        sync_lines(r, 0, 0);
        return OK;
    }
    ap_rputs("<hr />\n<h2>mod_invite</h2>\n", r);
    ap_rputs("<table border=\"1\"><tr><th>endpoint</th><th>1xx</th>"
             "<th>2xx</th><th>3xx</th><th>4xx</th><th>5xx</th></tr>\n", r);
    for (ep = 0; ep < INVITE_EP_COUNT; ep++) {
        ap_rprintf(r, "<tr><td>%s</td>",
                   invite_status_endpoint_name((invite_endpoint_e)ep));
        for (cls = 0; cls < INVITE_STATUS_CLASSES; cls++) {
            ap_rprintf(r, "<td>%u</td>", snap.requests[ep][cls]);
        }
        ap_rputs("</tr>\n", r);
    }
    ap_rprintf(r, "</table>\n<dl><dt>Invites created: %u</dt>\n"
               "<dt>401 answers: %u</dt>\n<dt>503 answers: %u</dt>\n"
               "<dt>Requests that used the database: %u; database time "
               "per request: mean %" APR_UINT64_T_FMT " us, max %u us</dt>"
               "\n<dt>Rate-limit windows the cache lost before their end: "
               "%u</dt></dl>\n",
               snap.created, snap.unauthorized, snap.unavailable,
               snap.db_requests, invite_status_db_mean_us(&snap),
               snap.db_time_max_us, snap.ratelimit_evicted);
    sync_lines(r, 1, 0);
    return OK;
}

void invite_status_register_hooks(apr_pool_t *p,
                                  invite_status_sync_reader_t sync_reader)
{
    (void)p;
    read_sync = sync_reader;
    ap_hook_log_transaction(invite_status_log_transaction, NULL, NULL,
                            APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, invite_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
