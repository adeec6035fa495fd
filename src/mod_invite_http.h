/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_invite_http.h - request body input and JSON output
 * (src/mod_invite_http.c).
 */
#ifndef MOD_INVITE_HTTP_H
#define MOD_INVITE_HTTP_H

#include "mod_invite_private.h"
#include "mod_invite_db.h"

/* Sends a JSON body with `status` and the no-cache headers; returns OK.
 * The request's database connection goes back to the pool first. */
int invite_http_send_json(request_rec *r, int status, const char *body);

/* Reads the whole request body, up to `cap` bytes.  On failure it has
 * answered already (JSON 413, 400 or 500) and leaves the handler's return
 * value in *done. */
apr_status_t invite_http_read_body(request_rec *r, apr_off_t cap,
                                   const char **body, apr_size_t *len,
                                   int *done);

/* A request header, or NULL when absent or empty. */
const char *invite_http_header(request_rec *r, const char *name);
/* Answer without reading the body: the connection closes instead. */
void invite_http_refuse_body(request_rec *r);

/* Canned error replies. */
int invite_http_unavailable(request_rec *r);     /* 503 with Retry-After */
int invite_http_misconfigured(request_rec *r);   /* 503, not temporary */
int invite_http_internal_error(request_rec *r);  /* 500 */
/* 503 for INVITE_DB_UNAVAILABLE (with Retry-After) and
 * INVITE_DB_MISCONFIGURED (without), else 500. */
int invite_http_db_failure(request_rec *r, invite_db_rc_e rc);

#endif
