/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_handle_send_email.c - POST /api/v1/sendInvitationEmail
 * (docs/api.md#send-invitation-email, docs/mail.md): the login, the body
 * schema, the rate limit and the global bulk-register-user permission,
 * then one invitation mail per valid address through the machine's mail
 * relay (src/invite_mail.c).  Failures after the rate limit are caught by
 * the route, as upstream's are: 400 {"error":<message>,"success":false}.
 */
#include <apr_strings.h>
#include <http_protocol.h>
#include <jansson.h>

#include "handle.h"
#include "mod_invite_config.h"
#include "mod_invite_db.h"
#include "mod_invite_http.h"
#include "mod_invite_ratelimit.h"
#include "invite_core.h"
#include "invite_mail.h"

#define ROUTE "sendInvitationEmail"

static const invite_field_t email_fields[] = {
    { "emails", INVITE_FIELD_STRING_ARRAY },
};
static const invite_schema_t email_schema = { email_fields, 1 };

/* A debug line per mail the relay took (the address, never more). */
static void note_sent(void *baton, const char *address)
{
    request_rec *r = baton;
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, INVLOGNO(01002)
                  "sendInvitationEmail: the relay took the invitation to %s",
                  address);
}

static int send_mails(request_rec *r, const invite_dir_cfg_t *cfg,
                      const char *user_id, json_t *params)
{
    json_t *list = json_object_get(params, "emails"), *item;
    invite_mail_str_t *emails;
    invite_mail_cfg_t mail;
    const char *err, *detail = NULL;
    size_t i;
    int n = 0, sent = 0;

    emails = apr_pcalloc(r->pool, (json_array_size(list) + 1)
                                  * sizeof(*emails));
    json_array_foreach(list, i, item) {
        emails[n].s = json_string_value(item);
        emails[n++].len = json_string_length(item);
    }
    invite_config_mail(r, cfg, &mail);
    err = invite_mail_invite(r->pool, &mail, emails, n, note_sent, r, &sent,
                             &detail);
    if (err) {
        /* A failed delivery names its cause for the operator. */
        ap_log_rerror(APLOG_MARK, detail ? APLOG_ERR : APLOG_DEBUG, 0, r,
                      INVLOGNO(01001) "sendInvitationEmail by %s: %s (%d of "
                      "%d mail(s) handed to %s before)%s%s",
                      ap_escape_logitem(r->pool, user_id), err,
                      sent, n, mail.relay_url, detail ? ": " : "",
                      detail ? detail : "");
        return invite_http_send_json(r, HTTP_BAD_REQUEST,
                                     invite_json_route_failure(r->pool, err));
    }
    return invite_http_send_json(r, HTTP_OK, "{\"success\":true}");
}

int invite_handle_send_email(request_rec *r, const invite_dir_cfg_t *cfg)
{
    const char *token_hash, *schema_error = NULL;
    invite_caller_t caller;
    invite_db_t *db;
    json_t *params = NULL;
    int done, answer;

    if (invite_credentials(r, &caller.user_id, &token_hash, &done)) {
        return done;
    }
    if (invite_read_params(r, cfg, &email_schema, &params, &schema_error,
                           &done)) {
        return done;
    }
    /* The login before the schema, as Rocket.Chat checks them. */
    if (invite_check_login(r, cfg, INVITE_STMT_AUTH_MAIL, token_hash, &db,
                           &caller, &done)) {
        json_decref(params);
        return done;
    }
    /* Delivery may take InviteMailTimeout: the pooled connection goes
     * back now. */
    invite_db_release(db);
    if (schema_error) {
        answer = invite_http_send_json(r, HTTP_BAD_REQUEST,
            invite_json_invalid_params(r->pool, schema_error));
    }
    else if (invite_ratelimit_check(r, cfg, ROUTE, caller.rate_limit_exempt,
                                    &done)) {
        answer = done;
    }
    else if (!caller.granted) {
        /* Thrown by upstream's function and caught by the route: a 400
         * with the route's shape in 8.x and 9.x alike. */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, INVLOGNO(01003)
                      "user %s: not allowed to send invitation mails: "
                      "permission bulk-register-user missing (no global "
                      "role holds it)",
                      ap_escape_logitem(r->pool, caller.user_id));
        answer = invite_http_send_json(r, HTTP_BAD_REQUEST,
            invite_json_route_failure(r->pool,
                                      "Not allowed [error-not-allowed]"));
    }
    else {
        answer = send_mails(r, cfg, caller.user_id, params);
    }
    json_decref(params);
    return answer;
}
