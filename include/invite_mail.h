/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_mail.h - the invitation mail of POST /api/v1/sendInvitationEmail
 * (src/invite_mail.c; httpd-free over APR, APR-util and libcurl,
 * unit-tested by t/unit/test_mail.c, delivered for real by t/mail.t).
 *
 * Rocket.Chat's sendInvitationEmail
 * (apps/meteor/server/lib/rooms/invites/sendInvitationEmail.ts) filters
 * the addresses with Mailer.checkAddressFormat, refuses an empty subject,
 * then sends one mail per address in order through Mailer.send
 * (apps/meteor/app/mailer/server/api.ts), stopping at the first failure.
 * This file holds every piece of that but the HTTP route: the address
 * filter, the placeholders, the MIME message and the delivery by SMTP to
 * a relay of the machine's own mail system (docs/mail.md).
 */
#ifndef INVITE_MAIL_H
#define INVITE_MAIL_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

/* Rocket.Chat's setting defaults (apps/meteor/server/settings/email.ts),
 * whose {Key} parts become the English strings of invite_mail_translate. */
#define INVITE_MAIL_DEFAULT_SUBJECT "{Invitation_Subject_Default}"
#define INVITE_MAIL_DEFAULT_HTML \
    "<h2>{Welcome_to}</h2><p>" \
    "{Visit_Site_Url_and_try_the_best_open_source_chat_solution_available_today}" \
    "</p><a class=\"btn\" href=\"[Site_URL]\">{Join_Chat}</a>"
#define INVITE_MAIL_DEFAULT_RELAY    "smtp://127.0.0.1:25"
#define INVITE_MAIL_DEFAULT_TIMEOUT  10000      /* ms */
#define INVITE_MAIL_DEFAULT_SITE_NAME "Rocket.Chat"

/* The longest address kept (RFC 5321's 256-octet path less the <>). */
#define INVITE_MAIL_ADDRESS_MAX 254

/* A string that may hold NUL bytes (a JSON string does). */
typedef struct {
    const char *s;
    apr_size_t len;
} invite_mail_str_t;

/* ------------------------------------------------------------ addresses */

/* 1 when Rocket.Chat's address test accepts the address (newest
 * packages/tools/src/validateEmail.ts: /^[^@]+@[^@]+$/, exactly one @
 * with something on each side) and it is safe in a header and an SMTP
 * command: no byte below 0x20, no DEL, no byte above 0x7e (no SMTPUTF8),
 * no space and none of ( ) < > [ ] : ; , \ " ; at most
 * INVITE_MAIL_ADDRESS_MAX bytes.  0 otherwise (also for NULL). */
int invite_mail_address_ok(const char *s, apr_size_t len);

/* The addresses of in[0..n) that invite_mail_address_ok accepts, in
 * order, as an array of const char * (copied into p). */
apr_array_header_t *invite_mail_filter(apr_pool_t *p,
                                       const invite_mail_str_t *in, int n);

/* A sender as InviteMailFrom gives it, "addr" or "Display Name <addr>":
 * fills *addr and *name (NULL when none) and returns NULL, or returns why
 * it cannot be used.  The display name may be any UTF-8 without control
 * characters; it is quoted or RFC 2047-encoded in the From: header. */
const char *invite_mail_parse_from(apr_pool_t *p, const char *from,
                                   const char **addr, const char **name);

/* --------------------------------------------------------- placeholders */

/* What the placeholders stand for. */
typedef struct {
    const char *site_name;   /* [Site_Name]; NULL counts as "" */
    const char *site_url;    /* [Site_URL], and [Site_URL_Slash] with one
                              * trailing / */
    const char *email;       /* [email], the recipient */
} invite_mail_vars_t;

/* The English string of a Rocket.Chat i18n key that the default templates
 * use (packages/i18n/src/locales/en.i18n.json): Invitation_Subject_Default,
 * Welcome_to, Visit_Site_Url_and_try_the_best_open_source_chat_solution_
 * available_today, Join_Chat (and Invitation_HTML_Default); NULL for a
 * key it does not know, which invite_mail_expand then writes as the key
 * itself, as i18next does. */
const char *invite_mail_translate(const char *key, apr_size_t len);

/* Rocket.Chat's Mailer.replace: first every {Key ...} becomes
 * invite_mail_translate(Key) (replaceVariables.ts,
 * /\{ *([^\{\} ]+)[^\{\}]*\}/), then [Key] and __Key__, case-insensitive,
 * for Site_Name, Site_URL, Site_URL_Slash and email.  With html set the
 * values are HTML-escaped (& < > " ').  One pass: a value is never
 * scanned again for placeholders.  NULL tmpl gives "". */
char *invite_mail_expand(apr_pool_t *p, const char *tmpl,
                         const invite_mail_vars_t *v, int html);

/* The text part of an HTML body, as Rocket.Chat's string-strip-html gives
 * it in spirit: tags removed (<br>, </p>, </h1-6>, </div>, </li>, </tr>
 * end a line; <style> and <script> go with their content), the five
 * entities above and &nbsp; and numeric ones decoded, white space in a
 * line collapsed, blank lines dropped, lines joined with CRLF. */
char *invite_mail_html_to_text(apr_pool_t *p, const char *html);

/* -------------------------------------------------------------- message */

typedef struct {
    const char *from;        /* invite_mail_parse_from's forms */
    const char *to;          /* an address invite_mail_address_ok takes */
    const char *subject;     /* UTF-8, already expanded */
    const char *html;        /* UTF-8; NULL or "" for a text-only mail */
    const char *text;        /* UTF-8; NULL: invite_mail_html_to_text */
    apr_time_t date;         /* 0: now */
} invite_mail_msg_t;

/* A whole RFC 5322 message with CRLF line ends: Date (apr_rfc822_date),
 * From, To, Subject (RFC 2047 B-encoded UTF-8 unless it is short
 * printable ASCII; control characters become spaces), Message-ID (16
 * random bytes from apr_generate_random_bytes, in hex, @ the sender's
 * domain), MIME-Version, and a multipart/alternative body with a random
 * boundary: a text/plain part, then a text/html part, both UTF-8 in
 * base64 (apr_base64_encode) in lines of 76.  Without html a single
 * text/plain body.  Returns NULL and fills *out and *len, or returns why
 * it cannot (an address refused, no randomness). */
const char *invite_mail_build(apr_pool_t *p, const invite_mail_msg_t *m,
                              const char **out, apr_size_t *len);

/* The RFC 2047 form of a header value of `field_len` bytes of field name
 * ("Subject" is 7): the value as is when it is printable ASCII that fits
 * and holds no "=?", else encoded words =?UTF-8?B?...?= of at most 75
 * characters, split between UTF-8 characters, joined by CRLF SP.
 * Control characters become spaces first. */
char *invite_mail_header_encode(apr_pool_t *p, const char *value,
                                apr_size_t field_len);

/* ------------------------------------------------------------- delivery */

/* Once per process, before any thread sends (curl_global_init; cleaned
 * up with the pool). */
apr_status_t invite_mail_global_init(apr_pool_t *pconf);

/* Delivers one message by SMTP to the relay at url (smtp:// or smtps://
 * only) with libcurl: MAIL FROM:<from> RCPT TO:<to> and the data, the
 * whole exchange bounded by timeout_ms (connection included; no signals).
 * Returns NULL when the relay took the message, else a short reason for
 * the client ("Timeout was reached", "Couldn't connect to server", ...,
 * libcurl's curl_easy_strerror, with " (relay reply NNN)" when the relay
 * refused) and, when detail is not NULL, *detail for the log: libcurl's
 * error text and the relay's last reply code. */
const char *invite_mail_send(apr_pool_t *p, const char *url,
                             const char *from, const char *to,
                             long timeout_ms, const char *msg,
                             apr_size_t len, const char **detail);

/* ------------------------------------------------------------ the route */

typedef struct {
    const char *relay_url;      /* InviteMailRelay */
    const char *from;           /* InviteMailFrom */
    long timeout_ms;            /* InviteMailTimeout: bounds the whole
                                 * call, every delivery together */
    const char *subject;        /* InviteInvitationSubject (template) */
    const char *html;           /* InviteInvitationEmail (template) */
    const char *site_name;      /* InviteSiteName */
    const char *site_url;       /* InviteSiteUrl */
} invite_mail_cfg_t;

/* Called after each address the relay took, for a debug log line. */
typedef void invite_mail_sent_fn(void *baton, const char *address);

/* Steps 7 to 9 of sendInvitationEmail after the permission check: the
 * addresses filtered (none left: "No valid email addresses
 * [error-email-send-failed]"), the subject template checked (empty: "No
 * subject [error-email-send-failed]"), then one mail per address in
 * order, each with its own expansion of the templates; the first failure
 * stops the loop with "Error trying to send email: <reason>
 * [error-email-send-failed]", the addresses before it already sent.  A
 * sender invite_mail_parse_from refuses fails before any mail with the
 * reason "Invalid from address".  All deliveries together take at most
 * cfg->timeout_ms (and a little to build the messages): one that would
 * start later fails with "Timeout was reached".
 * Returns NULL when every address was sent, else that message; *sent
 * (may be NULL) counts the mails the relay took, *detail (may be NULL)
 * says for the log what failed. */
const char *invite_mail_invite(apr_pool_t *p, const invite_mail_cfg_t *cfg,
                               const invite_mail_str_t *emails, int n,
                               invite_mail_sent_fn *on_sent, void *baton,
                               int *sent, const char **detail);

#endif
