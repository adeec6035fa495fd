/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_http.c - request body input and JSON output.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_filter.h>

#include "mod_invite_http.h"
#include "mod_invite_db.h"
#include "invite_core.h"

int invite_http_send_json(request_rec *r, int status, const char *body)
{
    if (!body) {
        /* jansson refuses e.g. invalid UTF-8 read from the database */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, INVLOGNO(00301)
                      "could not serialise the %d response", status);
        status = HTTP_INTERNAL_SERVER_ERROR;
        body = "{\"success\":false,\"error\":\"Internal server error\"}";
    }
    /* The answer is known: the database connection is free for the
     * process's next request while this one is written and logged. */
    invite_db_release_request(r);
    r->status = status;
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Pragma", "no-cache");
    ap_set_content_length(r, (apr_off_t)strlen(body));
    if (!r->header_only) {
        ap_rwrite(body, (int)strlen(body), r);
    }
    /* OK, not the status: httpd would replace our JSON with its HTML page */
    return OK;
}

int invite_http_unavailable(request_rec *r)
{
    apr_table_setn(r->headers_out, "Retry-After", "5");
    return invite_http_send_json(r, HTTP_SERVICE_UNAVAILABLE,
        invite_json_plain_error(r->pool,
            "The invite database is unavailable. Try again later."));
}

/* Not temporary (no Retry-After): the error log says what to fix. */
int invite_http_misconfigured(request_rec *r)
{
    return invite_http_send_json(r, HTTP_SERVICE_UNAVAILABLE,
        invite_json_plain_error(r->pool,
            "The invite database is not set up for this server."));
}

int invite_http_internal_error(request_rec *r)
{
    return invite_http_send_json(r, HTTP_INTERNAL_SERVER_ERROR,
        invite_json_plain_error(r->pool, "Internal server error"));
}

int invite_http_db_failure(request_rec *r, invite_db_rc_e rc)
{
    return rc == INVITE_DB_UNAVAILABLE ? invite_http_unavailable(r)
         : rc == INVITE_DB_MISCONFIGURED ? invite_http_misconfigured(r)
         : invite_http_internal_error(r);
}

static int too_large(request_rec *r, apr_off_t cap)
{
    /* The rest of the body is not read: close rather than keep alive. */
    invite_http_refuse_body(r);
    return invite_http_send_json(r, HTTP_REQUEST_ENTITY_TOO_LARGE,
        invite_json_plain_error(r->pool, apr_psprintf(r->pool,
            "Request body larger than %" APR_OFF_T_FMT " bytes", cap)));
}

/* An answer given without reading the request's body: the body is left
 * unread and the connection ends, rather than draining up to
 * LimitRequestBody from a caller nobody has authenticated (httpd skips
 * its own discard on a connection that closes). */
void invite_http_refuse_body(request_rec *r)
{
    if (ap_request_has_body(r)) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
}

const char *invite_http_header(request_rec *r, const char *name)
{
    const char *v = apr_table_get(r->headers_in, name);
    return (v && *v) ? v : NULL;
}

apr_status_t invite_http_read_body(request_rec *r, apr_off_t cap,
                                   const char **body, apr_size_t *len,
                                   int *done)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_bucket_brigade *bb, *acc;
    apr_off_t total = 0, got = 0;
    int seen_eos = 0;
    apr_status_t rv;
    char *buf;

    if (cl) {
        apr_off_t n;
        char *end;
        if (apr_strtoff(&n, cl, &end, 10) == APR_SUCCESS && !*end && n > cap) {
            *done = too_large(r, cap);
            return APR_EGENERAL;
        }
    }
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    acc = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    do {
        apr_bucket *e;
        rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                            APR_BLOCK_READ, HUGE_STRING_LEN);
        if (rv != APR_SUCCESS) {
            /* LimitRequestBody and broken chunking end here; httpd has
             * answered already when it says AP_FILTER_ERROR. */
            int st = ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
            if (st == AP_FILTER_ERROR) {
                *done = st;
            }
            else {
                *done = invite_http_send_json(r, st,
                    invite_json_plain_error(r->pool,
                                            "Could not read the request body"));
            }
            return APR_EGENERAL;
        }
        for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb);
             e = APR_BUCKET_NEXT(e)) {
            if (APR_BUCKET_IS_EOS(e)) {
                seen_eos = 1;
            }
        }
        rv = apr_brigade_length(bb, 1, &got);
        total += got;
        if (rv == APR_SUCCESS) {
            rv = ap_save_brigade(NULL, &acc, &bb, r->pool);
        }
        apr_brigade_cleanup(bb);
        if (rv != APR_SUCCESS) {
            *done = invite_http_internal_error(r);
            return rv;
        }
        if (total > cap) {
            *done = too_large(r, cap);
            return APR_EGENERAL;
        }
    } while (!seen_eos);

    *len = (apr_size_t)total;
    rv = apr_brigade_pflatten(acc, &buf, len, r->pool);
    if (rv != APR_SUCCESS) {
        *done = invite_http_internal_error(r);
        return rv;
    }
    *body = buf;
    return APR_SUCCESS;
}
