/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite-mail-send - sends invitations the way POST
 * /api/v1/sendInvitationEmail does (invite_mail_invite of
 * include/invite_mail.h), from the command line: for t/mail.t, which
 * runs it against the test relay of t/lib/smtp-sink.py, and for an
 * operator who wants to see that the relay of InviteMailRelay takes mail.
 *
 * Usage: invite-mail-send [--url URL] [--from FROM] [--timeout MS]
 *            [--subject TEMPLATE] [--html TEMPLATE] [--site-name NAME]
 *            [--site-url URL] ADDRESS...
 * The defaults are the directives' (docs/mail.md), the sender
 * noreply@localhost and the site http://localhost.  Prints one line
 * "sent ADDRESS" per mail the relay took, then "result ok" or
 * "result error MESSAGE" with "detail TEXT", "count N" and "elapsed-ms N".
 * Exit status 0 when every address was sent, 1 on an error, 2 on usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "invite_mail.h"

static void print_sent(void *baton, const char *address)
{
    (void)baton;
    printf("sent %s\n", address);
    fflush(stdout);
}

static int usage(void)
{
    fprintf(stderr, "usage: invite-mail-send [--url URL] [--from FROM] "
            "[--timeout MS] [--subject T] [--html T] [--site-name NAME] "
            "[--site-url URL] ADDRESS...\n");
    return 2;
}

int main(int argc, char **argv)
{
    apr_pool_t *pool;
    invite_mail_cfg_t cfg = {
        INVITE_MAIL_DEFAULT_RELAY, "noreply@localhost",
        INVITE_MAIL_DEFAULT_TIMEOUT,
        INVITE_MAIL_DEFAULT_SUBJECT, INVITE_MAIL_DEFAULT_HTML,
        INVITE_MAIL_DEFAULT_SITE_NAME, "http://localhost"
    };
    invite_mail_str_t *emails;
    const char *err, *detail = NULL;
    apr_time_t t0;
    int i, n = 0, sent = 0;

    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&pool, NULL) != APR_SUCCESS
        || invite_mail_global_init(pool) != APR_SUCCESS) {
        fprintf(stderr, "invite-mail-send: cannot set up APR or libcurl\n");
        return 1;
    }
    emails = apr_pcalloc(pool, sizeof(*emails) * (argc + 1));
    for (i = 1; i < argc; i++) {
        const char *o = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(o, "--url") && has_value) {
            cfg.relay_url = argv[++i];
        }
        else if (!strcmp(o, "--from") && has_value) {
            cfg.from = argv[++i];
        }
        else if (!strcmp(o, "--timeout") && has_value) {
            cfg.timeout_ms = atol(argv[++i]);
        }
        else if (!strcmp(o, "--subject") && has_value) {
            cfg.subject = argv[++i];
        }
        else if (!strcmp(o, "--html") && has_value) {
            cfg.html = argv[++i];
        }
        else if (!strcmp(o, "--site-name") && has_value) {
            cfg.site_name = argv[++i];
        }
        else if (!strcmp(o, "--site-url") && has_value) {
            cfg.site_url = argv[++i];
        }
        else if (!strcmp(o, "--")) {
            for (i++; i < argc; i++) {
                emails[n].s = argv[i];
                emails[n++].len = strlen(argv[i]);
            }
        }
        else if (o[0] == '-' && o[1] == '-') {
            return usage();
        }
        else {
            emails[n].s = o;
            emails[n++].len = strlen(o);
        }
    }
    t0 = apr_time_now();
    err = invite_mail_invite(pool, &cfg, emails, n, print_sent, NULL, &sent,
                             &detail);
    if (err) {
        printf("result error %s\n", err);
    }
    else {
        printf("result ok\n");
    }
    if (detail) {
        printf("detail %s\n", detail);
    }
    printf("count %d\n", sent);
    printf("elapsed-ms %ld\n", (long)apr_time_as_msec(apr_time_now() - t0));
    apr_pool_destroy(pool);
    apr_terminate();
    return err ? 1 : 0;
}
