/* SPDX-License-Identifier: Apache-2.0 */
/*
 * invite_mail.c - the invitation mail: address filter, placeholders, MIME
 * message and SMTP delivery to a local relay (include/invite_mail.h,
 * docs/mail.md).
 *
 * Rocket.Chat builds the mail in apps/meteor/app/mailer/server/api.ts
 * (replace, replaceEscaped, wrap, send) and hands it to nodemailer, which
 * sends a multipart/alternative of a text and an html part.  Here the
 * message is built by hand from APR pieces (apr_rfc822_date,
 * apr_generate_random_bytes, apr_base64_encode, apr_pescape_hex) and
 * given to libcurl's SMTP client.
 */
#include <string.h>
#include <sys/socket.h>

#include <apr_base64.h>
#include <apr_escape.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <curl/curl.h>

#include "invite_mail.h"

#define ERR_SEND "[error-email-send-failed]"

/* ------------------------------------------------------------ addresses */

int invite_mail_address_ok(const char *s, apr_size_t len)
{
    apr_size_t i, at = 0;
    int ats = 0;

    if (!s || len == 0 || len > INVITE_MAIL_ADDRESS_MAX) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || strchr("()<>[]:;,\\\"", c)) {
            return 0;
        }
        if (c == '@') {
            ats++;
            at = i;
        }
    }
    /* /^[^@]+@[^@]+$/ */
    return ats == 1 && at > 0 && at < len - 1;
}

apr_array_header_t *invite_mail_filter(apr_pool_t *p,
                                       const invite_mail_str_t *in, int n)
{
    apr_array_header_t *out = apr_array_make(p, n > 0 ? n : 1,
                                             sizeof(const char *));
    int i;

    for (i = 0; i < n; i++) {
        if (invite_mail_address_ok(in[i].s, in[i].len)) {
            APR_ARRAY_PUSH(out, const char *) =
                apr_pstrmemdup(p, in[i].s, in[i].len);
        }
    }
    return out;
}

static int has_control(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return 1;
        }
    }
    return 0;
}

static const char *trim(apr_pool_t *p, const char *s, apr_size_t len)
{
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
        len--;
    }
    return apr_pstrmemdup(p, s, len);
}

const char *invite_mail_parse_from(apr_pool_t *p, const char *from,
                                   const char **addr, const char **name)
{
    const char *lt, *a, *n = NULL;
    apr_size_t len;

    if (!from || !*from) {
        return "no sender address";
    }
    if (has_control(from)) {
        return "a control character in the sender";
    }
    len = strlen(from);
    lt = strrchr(from, '<');
    if (lt) {
        const char *gt = strchr(lt, '>');
        if (!gt || gt[1] != '\0') {
            return "the sender's <address> must end it";
        }
        a = apr_pstrmemdup(p, lt + 1, gt - lt - 1);
        n = trim(p, from, lt - from);
        len = strlen(n);
        if (len >= 2 && n[0] == '"' && n[len - 1] == '"') {
            n = apr_pstrmemdup(p, n + 1, len - 2);
        }
        if (strpbrk(n, "\"\\<>")) {
            return "the sender's name holds \" \\ < or >";
        }
        if (!*n) {
            n = NULL;
        }
    }
    else {
        a = trim(p, from, len);
    }
    if (!invite_mail_address_ok(a, strlen(a))) {
        return apr_psprintf(p, "'%s' is not a usable address", a);
    }
    *addr = a;
    *name = n;
    return NULL;
}

/* --------------------------------------------------------- placeholders */

/* packages/i18n/src/locales/en.i18n.json @ 001d4ed5 */
static const struct {
    const char *key, *en;
} i18n_en[] = {
    { "Invitation_Subject_Default", "You have been invited to [Site_Name]" },
    { "Invitation_HTML_Default",
      "<h1>You have been invited to <strong>[Site_Name]</strong></h1>"
      "<p>Go to [Site_URL] and try the best open source chat solution "
      "available today!</p>" },
    { "Welcome_to", "Welcome to [Site_Name]" },
    { "Visit_Site_Url_and_try_the_best_open_source_chat_solution_available_today",
      "Visit [Site_URL] and try the best open source chat solution "
      "available today!" },
    { "Join_Chat", "Join Chat" },
    { NULL, NULL }
};

const char *invite_mail_translate(const char *key, apr_size_t len)
{
    int i;

    for (i = 0; i18n_en[i].key; i++) {
        if (strlen(i18n_en[i].key) == len
            && !memcmp(i18n_en[i].key, key, len)) {
            return i18n_en[i].en;
        }
    }
    return NULL;
}

/* replaceVariables.ts: /\{ *([^\{\} ]+)[^\{\}]*\}/gm, every match
 * replaced by the translation of its first group. */
static const char *translate_all(apr_pool_t *p, const char *s)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char *));
    const char *done = s, *c;

    for (c = s; *c; c++) {
        const char *k, *e, *en;
        if (*c != '{') {
            continue;
        }
        for (k = c + 1; *k == ' '; k++) {
        }
        for (e = k; *e && !strchr("{} ", *e); e++) {
        }
        if (e == k) {
            continue;
        }
        en = e + strcspn(e, "{}");
        if (*en != '}') {
            continue;
        }
        APR_ARRAY_PUSH(out, const char *) = apr_pstrmemdup(p, done, c - done);
        APR_ARRAY_PUSH(out, const char *) =
            invite_mail_translate(k, e - k) ? invite_mail_translate(k, e - k)
                                            : apr_pstrmemdup(p, k, e - k);
        done = en + 1;
        c = en;
    }
    APR_ARRAY_PUSH(out, const char *) = done;
    return apr_array_pstrcat(p, out, 0);
}

/* @rocket.chat/string-helpers escapeHTML: & < > " ' */
static void put_escaped(apr_array_header_t *out, apr_pool_t *p,
                        const char *v)
{
    const char *c, *done = v;

    for (c = v; *c; c++) {
        const char *ent;
        switch (*c) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: continue;
        }
        APR_ARRAY_PUSH(out, const char *) = apr_pstrmemdup(p, done, c - done);
        APR_ARRAY_PUSH(out, const char *) = ent;
        done = c + 1;
    }
    APR_ARRAY_PUSH(out, const char *) = done;
}

char *invite_mail_expand(apr_pool_t *p, const char *tmpl,
                         const invite_mail_vars_t *v, int html)
{
    const char *site_url = v->site_url ? v->site_url : "";
    apr_size_t ulen = strlen(site_url);
    const char *keys[4] = { "Site_Name", "Site_URL", "Site_URL_Slash",
                            "email" };
    const char *vals[4];
    apr_array_header_t *out = apr_array_make(p, 16, sizeof(const char *));
    const char *s, *c, *done;
    int i;

    if (!tmpl) {
        return apr_pstrdup(p, "");
    }
    vals[0] = v->site_name ? v->site_name : "";
    vals[1] = site_url;
    /* Site_Url.replace(/\/?$/, '/') */
    vals[2] = ulen && site_url[ulen - 1] == '/'
              ? site_url : apr_pstrcat(p, site_url, "/", NULL);
    vals[3] = v->email ? v->email : "";

    s = translate_all(p, tmpl);
    for (c = done = s; *c; c++) {
        int bracket = *c == '[';
        if (!bracket && !(c[0] == '_' && c[1] == '_')) {
            continue;
        }
        for (i = 0; i < 4; i++) {
            apr_size_t klen = strlen(keys[i]);
            const char *k = c + (bracket ? 1 : 2), *end = k + klen;
            if (strncasecmp(k, keys[i], klen)
                || (bracket ? *end != ']' : (end[0] != '_' || end[1] != '_'))) {
                continue;
            }
            APR_ARRAY_PUSH(out, const char *) =
                apr_pstrmemdup(p, done, c - done);
            if (html) {
                put_escaped(out, p, vals[i]);
            }
            else {
                APR_ARRAY_PUSH(out, const char *) = vals[i];
            }
            c = end + (bracket ? 0 : 1);
            done = c + 1;
            break;
        }
    }
    APR_ARRAY_PUSH(out, const char *) = done;
    return apr_array_pstrcat(p, out, 0);
}

/* ---------------------------------------------------------- html → text */

/* The strings of arr (const char *) joined by sep. */
static char *join(apr_pool_t *p, const apr_array_header_t *arr,
                  const char *sep)
{
    apr_array_header_t *parts = apr_array_make(p, 2 * arr->nelts + 1,
                                               sizeof(const char *));
    int i;

    for (i = 0; i < arr->nelts; i++) {
        if (i) {
            APR_ARRAY_PUSH(parts, const char *) = sep;
        }
        APR_ARRAY_PUSH(parts, const char *) = APR_ARRAY_IDX(arr, i,
                                                            const char *);
    }
    return apr_array_pstrcat(p, parts, 0);
}

static void put_utf8(apr_array_header_t *buf, unsigned long cp)
{
    if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        cp = 0xfffd;
    }
    if (cp < 0x80) {
        APR_ARRAY_PUSH(buf, char) = (char)cp;
    }
    else if (cp < 0x800) {
        APR_ARRAY_PUSH(buf, char) = (char)(0xc0 | (cp >> 6));
        APR_ARRAY_PUSH(buf, char) = (char)(0x80 | (cp & 0x3f));
    }
    else if (cp < 0x10000) {
        APR_ARRAY_PUSH(buf, char) = (char)(0xe0 | (cp >> 12));
        APR_ARRAY_PUSH(buf, char) = (char)(0x80 | ((cp >> 6) & 0x3f));
        APR_ARRAY_PUSH(buf, char) = (char)(0x80 | (cp & 0x3f));
    }
    else {
        APR_ARRAY_PUSH(buf, char) = (char)(0xf0 | (cp >> 18));
        APR_ARRAY_PUSH(buf, char) = (char)(0x80 | ((cp >> 12) & 0x3f));
        APR_ARRAY_PUSH(buf, char) = (char)(0x80 | ((cp >> 6) & 0x3f));
        APR_ARRAY_PUSH(buf, char) = (char)(0x80 | (cp & 0x3f));
    }
}

/* An entity at s ("&..."): appends what it stands for and returns its
 * length, or 0 when it is none of those known. */
static apr_size_t entity(apr_array_header_t *buf, const char *s)
{
    static const struct {
        const char *name;
        unsigned long cp;
    } named[] = {
        { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
        { "&quot;", '"' }, { "&apos;", '\'' }, { "&nbsp;", ' ' },
        { NULL, 0 }
    };
    int i;

    for (i = 0; named[i].name; i++) {
        apr_size_t n = strlen(named[i].name);
        if (!strncasecmp(s, named[i].name, n)) {
            put_utf8(buf, named[i].cp);
            return n;
        }
    }
    if (s[1] == '#') {
        int hex = s[2] == 'x' || s[2] == 'X';
        const char *d = s + 2 + hex, *e = d;
        unsigned long cp = 0;
        while (hex ? apr_isxdigit(*e) : apr_isdigit(*e)) {
            if (cp <= 0x10ffff) {
                cp = cp * (hex ? 16 : 10)
                     + (apr_isdigit(*e) ? *e - '0'
                                        : (apr_tolower(*e) - 'a' + 10));
            }
            e++;
        }
        if (e > d && e - d <= 8 && *e == ';') {
            put_utf8(buf, cp);
            return e + 1 - s;
        }
    }
    return 0;
}

static int tag_is(const char *name, apr_size_t len, const char *list)
{
    const char *w = list;

    while (*w) {
        apr_size_t n = strcspn(w, " ");
        if (n == len && !strncasecmp(w, name, len)) {
            return 1;
        }
        w += n;
        w += *w == ' ';
    }
    return 0;
}

/* The end of the tag that starts at s ('<'), past quoted attribute
 * values: the '>' or the string's end. */
static const char *tag_end(const char *s)
{
    char q = 0;

    for (s++; *s; s++) {
        if (q) {
            q = *s == q ? 0 : q;
        }
        else if (*s == '"' || *s == '\'') {
            q = *s;
        }
        else if (*s == '>') {
            return s;
        }
    }
    return s;
}

char *invite_mail_html_to_text(apr_pool_t *p, const char *html)
{
    apr_array_header_t *buf = apr_array_make(p, 256, 1);
    apr_array_header_t *lines = apr_array_make(p, 8, sizeof(const char *));
    const char *c = html ? html : "";
    char *raw, *line, *last;
    apr_size_t n;

    while (*c) {
        if (c[0] == '<' && !strncmp(c, "<!--", 4)) {
            const char *e = strstr(c + 4, "-->");
            c = e ? e + 3 : c + strlen(c);
        }
        else if (c[0] == '<' && (apr_isalpha(c[1]) || c[1] == '/')) {
            const char *nm = c + 1 + (c[1] == '/'), *e = nm, *end;
            while (apr_isalnum(*e)) {
                e++;
            }
            end = tag_end(c);
            if (c[1] != '/' && tag_is(nm, e - nm, "style script")) {
                const char *close = apr_pstrcat(p, "</",
                                                apr_pstrmemdup(p, nm, e - nm),
                                                NULL);
                const char *x = end;
                while (*x && strncasecmp(x, close, strlen(close))) {
                    x++;
                }
                end = *x ? tag_end(x) : x;
            }
            else if (tag_is(nm, e - nm, "br p div h1 h2 h3 h4 h5 h6 li tr "
                            "table ul ol hr blockquote title")) {
                APR_ARRAY_PUSH(buf, char) = '\n';
            }
            else if (tag_is(nm, e - nm, "td th")) {
                APR_ARRAY_PUSH(buf, char) = ' ';
            }
            c = *end ? end + 1 : end;
        }
        else if (c[0] == '&' && (n = entity(buf, c)) > 0) {
            c += n;
        }
        else {
            APR_ARRAY_PUSH(buf, char) = *c++;
        }
    }
    APR_ARRAY_PUSH(buf, char) = '\0';
    raw = buf->elts;

    /* White space collapsed within each line; blank lines dropped. */
    for (line = apr_strtok(raw, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        char *r = line, *w = line;
        int space = 1;
        for (; *r; r++) {
            if (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\f'
                || *r == '\v') {
                if (!space) {
                    *w++ = ' ';
                }
                space = 1;
            }
            else {
                *w++ = *r;
                space = 0;
            }
        }
        if (w > line && w[-1] == ' ') {
            w--;
        }
        *w = '\0';
        if (*line) {
            APR_ARRAY_PUSH(lines, const char *) = line;
        }
    }
    return join(p, lines, "\r\n");
}

/* -------------------------------------------------------------- message */

/* The base64 of len bytes at s (apr_base64_encode), no line breaks. */
static char *b64(apr_pool_t *p, const char *s, apr_size_t len)
{
    char *out = apr_palloc(p, apr_base64_encode_len((int)len));

    apr_base64_encode(out, s, (int)len);
    return out;
}

char *invite_mail_header_encode(apr_pool_t *p, const char *value,
                                apr_size_t field_len)
{
    char *v = apr_pstrdup(p, value ? value : "");
    apr_size_t len = strlen(v), off = 0, i;
    apr_array_header_t *words = apr_array_make(p, 4, sizeof(const char *));
    int plain = 1;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f) {
            v[i] = ' ';
        }
        else if (c > 0x7f) {
            plain = 0;
        }
    }
    /* "Field: value" within 78 characters */
    if (plain && !strstr(v, "=?") && field_len + 2 + len <= 78) {
        return v;
    }
    while (off < len) {
        /* 75 characters a word (RFC 2047 2.), 12 of them =?UTF-8?B? ?=;
         * the first line also holds "Field: ", the others a space. */
        apr_size_t room = off ? 75 : 78 - field_len - 2;
        apr_size_t take = room > 12 ? (room - 12) / 4 * 3 : 3;
        if (take > len - off) {
            take = len - off;
        }
        else {
            apr_size_t cut = take;
            /* never inside a UTF-8 character */
            while (cut > 0 && ((unsigned char)v[off + cut] & 0xc0) == 0x80) {
                cut--;
            }
            take = cut ? cut : take;
        }
        APR_ARRAY_PUSH(words, const char *) =
            apr_pstrcat(p, "=?UTF-8?B?", b64(p, v + off, take), "?=", NULL);
        off += take;
    }
    return join(p, words, "\r\n ");
}

/* A UTF-8 body part: base64 in lines of 76. */
static const char *b64_lines(apr_pool_t *p, const char *s)
{
    const char *all = b64(p, s, strlen(s));
    apr_size_t len = strlen(all), off;
    apr_array_header_t *lines = apr_array_make(p, len / 76 + 1,
                                               sizeof(const char *));

    for (off = 0; off < len; off += 76) {
        APR_ARRAY_PUSH(lines, const char *) =
            apr_pstrmemdup(p, all + off, len - off < 76 ? len - off : 76);
    }
    return apr_pstrcat(p, join(p, lines, "\r\n"), "\r\n", NULL);
}

/* n random bytes in lowercase hex. */
static const char *random_hex(apr_pool_t *p, apr_size_t n)
{
    unsigned char buf[32];

    if (n > sizeof(buf) || apr_generate_random_bytes(buf, n) != APR_SUCCESS) {
        return NULL;
    }
    return apr_pescape_hex(p, buf, n, 0);
}

/* The From: header's value: the address, after a display name that is a
 * plain atom list, a quoted string or RFC 2047 words. */
static const char *from_header(apr_pool_t *p, const char *addr,
                               const char *name)
{
    const char *c;
    int ascii = 1, special = 0;

    if (!name) {
        return addr;
    }
    for (c = name; *c; c++) {
        if ((unsigned char)*c > 0x7e) {
            ascii = 0;
        }
        else if (!apr_isalnum(*c) && !strchr(" !#$%&'*+-/=?^_`{|}~", *c)) {
            special = 1;
        }
    }
    if (!ascii || strstr(name, "=?") || strlen(name) > 60) {
        return apr_pstrcat(p, invite_mail_header_encode(p, name, 4),
                           "\r\n <", addr, ">", NULL);
    }
    /* invite_mail_parse_from let no " or \ through */
    return apr_pstrcat(p, special ? "\"" : "", name, special ? "\"" : "",
                       " <", addr, ">", NULL);
}

const char *invite_mail_build(apr_pool_t *p, const invite_mail_msg_t *m,
                              const char **out, apr_size_t *len)
{
    const char *addr, *name, *why, *id, *boundary, *text, *body;
    char date[APR_RFC822_DATE_LEN];
    int alternative = m->html && *m->html;

    if ((why = invite_mail_parse_from(p, m->from, &addr, &name))) {
        return why;
    }
    if (!m->to || !invite_mail_address_ok(m->to, strlen(m->to))) {
        return "the recipient is not a usable address";
    }
    if (apr_rfc822_date(date, m->date ? m->date : apr_time_now())
        != APR_SUCCESS) {
        return "no date";
    }
    id = random_hex(p, 16);
    boundary = random_hex(p, 12);
    if (!id || !boundary) {
        return "no random bytes for the Message-ID";
    }
    boundary = apr_pstrcat(p, "=_invite_", boundary, NULL);
    text = m->text ? m->text : invite_mail_html_to_text(p, m->html);

    if (alternative) {
        body = apr_pstrcat(p,
            "Content-Type: multipart/alternative; boundary=\"", boundary,
            "\"\r\n"
            "\r\n"
            "This is a multi-part message in MIME format.\r\n"
            "\r\n"
            "--", boundary, "\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "\r\n",
            b64_lines(p, text),
            "--", boundary, "\r\n"
            "Content-Type: text/html; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "\r\n",
            b64_lines(p, m->html),
            "--", boundary, "--\r\n", NULL);
    }
    else {
        body = apr_pstrcat(p,
            "Content-Type: text/plain; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "\r\n",
            b64_lines(p, text), NULL);
    }
    *out = apr_pstrcat(p,
        "Date: ", date, "\r\n"
        "From: ", from_header(p, addr, name), "\r\n"
        "To: ", m->to, "\r\n"
        "Subject: ", invite_mail_header_encode(p, m->subject, 7), "\r\n"
        "Message-ID: <", id, "@", strchr(addr, '@') + 1, ">\r\n"
        "MIME-Version: 1.0\r\n",
        body, NULL);
    *len = strlen(*out);
    return NULL;
}

/* ------------------------------------------------------------- delivery */

static apr_status_t curl_cleanup(void *unused)
{
    (void)unused;
    curl_global_cleanup();
    return APR_SUCCESS;
}

apr_status_t invite_mail_global_init(apr_pool_t *pconf)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return APR_EGENERAL;
    }
    apr_pool_cleanup_register(pconf, NULL, curl_cleanup,
                              apr_pool_cleanup_null);
    return APR_SUCCESS;
}

typedef struct {
    const char *buf;
    apr_size_t len, off;
    apr_time_t deadline;
} reader_t;

/* libcurl 7.88 (Debian 12) waits for the reply to the end of DATA, and
 * to QUIT when the handle is cleaned up, in a loop of its own that
 * CURLOPT_TIMEOUT_MS does not end (t/mail.t, the slow relay).  That loop
 * looks every second at the most at this progress callback, which ends
 * the transfer at the deadline; CURLOPT_SERVER_RESPONSE_TIMEOUT (whole
 * seconds) bounds the QUIT after a success, and after a failure the
 * connection is cut before the cleanup, so that no QUIT waits. */
static int past_deadline(void *ud, curl_off_t dltotal, curl_off_t dlnow,
                         curl_off_t ultotal, curl_off_t ulnow)
{
    reader_t *r = ud;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return apr_time_now() >= r->deadline;
}

static size_t read_message(char *dst, size_t size, size_t nmemb, void *ud)
{
    reader_t *r = ud;
    size_t n = size * nmemb;

    if (n > r->len - r->off) {
        n = r->len - r->off;
    }
    memcpy(dst, r->buf + r->off, n);
    r->off += n;
    return n;
}

const char *invite_mail_send(apr_pool_t *p, const char *url,
                             const char *from, const char *to,
                             long timeout_ms, const char *msg,
                             apr_size_t len, const char **detail)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *rcpt;
    reader_t r = { msg, len, 0, 0 };
    CURL *h;
    CURLcode rc;
    curl_socket_t sock = CURL_SOCKET_BAD;
    const char *reason = NULL;
    long code = 0;

    if (detail) {
        *detail = NULL;
    }
    if (!from || !invite_mail_address_ok(from, strlen(from))
        || !to || !invite_mail_address_ok(to, strlen(to))) {
        if (detail) {
            *detail = "an envelope address was refused before sending";
        }
        return "Invalid address";
    }
    if (timeout_ms <= 0) {
        if (detail) {
            *detail = "no time left to send";
        }
        return curl_easy_strerror(CURLE_OPERATION_TIMEDOUT);
    }
    r.deadline = apr_time_now() + apr_time_from_msec(timeout_ms);
    rcpt = curl_slist_append(NULL, apr_pstrcat(p, "<", to, ">", NULL));
    if (!rcpt || !(h = curl_easy_init())) {
        curl_slist_free_all(rcpt);
        return "Out of memory";
    }

    curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, CURLPROTO_SMTP | CURLPROTO_SMTPS);
#endif
    curl_easy_setopt(h, CURLOPT_PROXY, "");         /* no *_proxy from env */
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT,
                     (timeout_ms + 999) / 1000);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, past_deadline);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &r);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM,
                     apr_pstrcat(p, "<", from, ">", NULL));
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(h, CURLOPT_READDATA, &r);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);

    rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        if (curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &sock) == CURLE_OK
            && sock != CURL_SOCKET_BAD) {
            shutdown(sock, SHUT_RDWR);
        }
        if (rc == CURLE_ABORTED_BY_CALLBACK) {
            rc = CURLE_OPERATION_TIMEDOUT;
            apr_snprintf(errbuf, sizeof(errbuf), "no reply within %ld ms",
                         timeout_ms);
        }
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (detail) {
            *detail = apr_psprintf(p, "%s (curl %d%s%s, last reply %ld)",
                                   *errbuf ? errbuf : curl_easy_strerror(rc),
                                   (int)rc, *errbuf ? ": " : "",
                                   *errbuf ? curl_easy_strerror(rc) : "",
                                   code);
        }
        reason = code >= 400 ? apr_psprintf(p, "%s (relay reply %ld)",
                                            curl_easy_strerror(rc), code)
                             : curl_easy_strerror(rc);
    }
    /* Here, while r and errbuf live: the cleanup may call back (QUIT). */
    curl_easy_cleanup(h);
    curl_slist_free_all(rcpt);
    return reason;
}

/* ------------------------------------------------------------ the route */

const char *invite_mail_invite(apr_pool_t *p, const invite_mail_cfg_t *cfg,
                               const invite_mail_str_t *emails, int n,
                               invite_mail_sent_fn *on_sent, void *baton,
                               int *sent, const char **detail)
{
    apr_array_header_t *to = invite_mail_filter(p, emails, n);
    const char *from_addr, *from_name, *why, *reason = NULL;
    apr_time_t deadline;
    int i;

    if (sent) {
        *sent = 0;
    }
    if (detail) {
        *detail = NULL;
    }
    if (to->nelts == 0) {
        return "No valid email addresses " ERR_SEND;
    }
    if (!cfg->subject || !*cfg->subject) {
        return "No subject " ERR_SEND;
    }
    if ((why = invite_mail_parse_from(p, cfg->from, &from_addr,
                                      &from_name))) {
        if (detail) {
            *detail = apr_pstrcat(p, "InviteMailFrom: ", why, NULL);
        }
        return "Error trying to send email: Invalid from address " ERR_SEND;
    }
    deadline = apr_time_now() + apr_time_from_msec(cfg->timeout_ms);
    for (i = 0; i < to->nelts; i++) {
        apr_pool_t *sub;
        const char *addr = APR_ARRAY_IDX(to, i, const char *), *msg;
        invite_mail_vars_t v = { cfg->site_name, cfg->site_url, addr };
        invite_mail_msg_t m = { cfg->from, addr, NULL, NULL, NULL, 0 };
        apr_size_t len;
        apr_time_t left;

        apr_pool_create(&sub, p);
        m.subject = invite_mail_expand(sub, cfg->subject, &v, 0);
        m.html = invite_mail_expand(sub, cfg->html, &v, 1);
        if ((why = invite_mail_build(sub, &m, &msg, &len))) {
            reason = apr_pstrdup(p, why);
            if (detail) {
                *detail = apr_pstrdup(p, why);
            }
        }
        else {
            left = deadline - apr_time_now();
            reason = invite_mail_send(sub, cfg->relay_url, from_addr, addr,
                                      left > 0 ? (long)apr_time_as_msec(left)
                                               : 0,
                                      msg, len, detail);
            if (reason && detail && *detail) {
                *detail = apr_pstrdup(p, *detail);
            }
        }
        apr_pool_destroy(sub);
        if (reason) {
            return apr_pstrcat(p, "Error trying to send email: ", reason,
                               " " ERR_SEND, NULL);
        }
        if (sent) {
            ++*sent;
        }
        if (on_sent) {
            on_sent(baton, addr);
        }
    }
    return NULL;
}
