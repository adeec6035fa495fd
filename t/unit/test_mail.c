/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_mail.c - the invitation mail without a relay (include/invite_mail.h):
 * the address filter, the placeholders and their escaping, RFC 2047, the
 * MIME structure read back, and that no input adds a header line.
 * t/mail.t delivers through a real SMTP relay.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_base64.h>
#include <apr_date.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "invite_mail.h"
#include "tap.h"

static apr_pool_t *pool;

static int addr_ok(const char *s)
{
    return invite_mail_address_ok(s, strlen(s));
}

#define ADDR_LEN(lit) invite_mail_address_ok((lit), sizeof(lit) - 1)

/* The base64 text between off and the next blank or boundary line,
 * decoded. */
static char *unbase64(const char *s)
{
    char *clean = apr_palloc(pool, strlen(s) + 1), *out;
    const char *c;
    apr_size_t n = 0;
    int len;

    for (c = s; *c; c++) {
        if (*c != '\r' && *c != '\n') {
            clean[n++] = *c;
        }
    }
    clean[n] = '\0';
    out = apr_palloc(pool, apr_base64_decode_len(clean) + 1);
    len = apr_base64_decode(out, clean);
    out[len] = '\0';
    return out;
}

/* The decoded RFC 2047 B words of a header value (and plain text as is). */
static char *decode_words(const char *v)
{
    char *out = apr_pstrdup(pool, ""), *copy = apr_pstrdup(pool, v), *w,
         *last;

    if (!strstr(v, "=?")) {
        return copy;
    }
    for (w = apr_strtok(copy, " \r\n", &last); w;
         w = apr_strtok(NULL, " \r\n", &last)) {
        apr_size_t n = strlen(w);
        if (strncmp(w, "=?UTF-8?B?", 10) || n < 12
            || strcmp(w + n - 2, "?=")) {
            return NULL;
        }
        w[n - 2] = '\0';
        out = apr_pstrcat(pool, out, unbase64(w + 10), NULL);
    }
    return out;
}

typedef struct {
    int nheaders;
    const char *names[32];
    const char *values[32];     /* unfolded */
    const char *body;
    int bad_line;               /* a header line that is neither
                                 * "Name: value" nor a continuation */
    int long_line;              /* a line longer than 998 */
    int bare_lf;                /* a LF without CR, or CR without LF */
} parsed_t;

static void parse(const char *msg, parsed_t *p)
{
    const char *c = msg;

    memset(p, 0, sizeof(*p));
    for (c = msg; *c; c++) {
        if ((*c == '\n' && (c == msg || c[-1] != '\r'))
            || (*c == '\r' && c[1] != '\n')) {
            p->bare_lf = 1;
        }
    }
    c = msg;
    while (*c) {
        const char *eol = strstr(c, "\r\n"), *colon;
        apr_size_t n;
        if (!eol) {
            p->bad_line = 1;
            return;
        }
        n = eol - c;
        if (n > 998) {
            p->long_line = 1;
        }
        if (n == 0) {
            p->body = eol + 2;
            return;
        }
        if (*c == ' ' || *c == '\t') {
            if (!p->nheaders) {
                p->bad_line = 1;
            }
            else {
                p->values[p->nheaders - 1] = apr_pstrcat(
                    pool, p->values[p->nheaders - 1], "\r\n",
                    apr_pstrmemdup(pool, c, n), NULL);
            }
        }
        else if ((colon = memchr(c, ':', n)) && colon > c
                 && p->nheaders < 32) {
            p->names[p->nheaders] = apr_pstrmemdup(pool, c, colon - c);
            p->values[p->nheaders] = apr_pstrmemdup(
                pool, colon + 1 + (colon[1] == ' '), eol - colon - 1
                                                     - (colon[1] == ' '));
            p->nheaders++;
        }
        else {
            p->bad_line = 1;
        }
        c = eol + 2;
    }
}

static const char *header(const parsed_t *p, const char *name)
{
    int i;
    for (i = 0; i < p->nheaders; i++) {
        if (!strcasecmp(p->names[i], name)) {
            return p->values[i];
        }
    }
    return NULL;
}

/* The headers are exactly the seven we write, once each, well formed. */
static int headers_are_ours(const parsed_t *p)
{
    static const char *const want[] = {
        "Date", "From", "To", "Subject", "Message-ID", "MIME-Version",
        "Content-Type"
    };
    int i;

    if (p->bad_line || p->long_line || p->bare_lf || !p->body
        || p->nheaders != 7) {
        return 0;
    }
    for (i = 0; i < 7; i++) {
        if (strcmp(p->names[i], want[i])) {
            return 0;
        }
    }
    return 1;
}

/* The parts of a multipart body: fills text and html (decoded) from the
 * boundary in Content-Type; returns how many parts there were. */
static int mime_parts(const parsed_t *p, const char **text,
                      const char **html, const char **boundary_out)
{
    const char *ct = header(p, "Content-Type"), *b, *e, *c;
    const char *delim;
    int n = 0;

    *text = *html = NULL;
    if (!ct || strncmp(ct, "multipart/alternative; boundary=\"", 33)) {
        return -1;
    }
    b = ct + 33;
    e = strchr(b, '"');
    if (!e) {
        return -1;
    }
    *boundary_out = apr_pstrmemdup(pool, b, e - b);
    delim = apr_pstrcat(pool, "\r\n--", *boundary_out, NULL);
    c = strstr(p->body, delim);
    while (c) {
        const char *start = c + strlen(delim), *next, *hdr_end;
        parsed_t part;
        const char *pct, *cte, *content;
        if (!strncmp(start, "--\r\n", 4)) {
            return start[4] == '\0' ? n : -1;
        }
        if (strncmp(start, "\r\n", 2)) {
            return -1;
        }
        start += 2;
        next = strstr(start, delim);
        if (!next) {
            return -1;
        }
        hdr_end = apr_pstrmemdup(pool, start, next - start);
        parse(hdr_end, &part);
        pct = header(&part, "Content-Type");
        cte = header(&part, "Content-Transfer-Encoding");
        if (!pct || !cte || strcmp(cte, "base64") || !part.body) {
            return -1;
        }
        content = unbase64(part.body);
        if (!strcmp(pct, "text/plain; charset=UTF-8")) {
            *text = content;
        }
        else if (!strcmp(pct, "text/html; charset=UTF-8")) {
            *html = content;
        }
        n++;
        c = next;
    }
    return -1;
}

static const char *build(const char *from, const char *to,
                         const char *subject, const char *html,
                         parsed_t *out)
{
    invite_mail_msg_t m = { from, to, subject, html, NULL, 0 };
    const char *msg, *why;
    apr_size_t len;

    why = invite_mail_build(pool, &m, &msg, &len);
    if (why) {
        return why;
    }
    if (strlen(msg) != len) {
        return "length";
    }
    parse(msg, out);
    return NULL;
}

int main(void)
{
    static const char *const hostile_bytes = "\r\n\t\v\f\x01\x1b\x7f ,;<>()[]:\\\"";
    const char *c;
    invite_mail_vars_t v;
    parsed_t pm;
    const char *text, *html, *boundary;
    int i;

    apr_initialize();
    apr_pool_create(&pool, NULL);

    /* ------------------------------------------------ the address filter */
    ok(addr_ok("alice@example.com"), "plain address");
    ok(addr_ok("a@b"), "upstream's /^[^@]+@[^@]+$/: no dot needed");
    ok(addr_ok("first.last+tag@sub.example.org"), "dots and plus");
    ok(addr_ok("o'neil@example.com"), "apostrophe");
    ok(addr_ok("x!#$%&*=?^_`{|}~-@example.com"), "atext punctuation");
    ok(!addr_ok(""), "empty");
    ok(!addr_ok("alice"), "no @");
    ok(!addr_ok("@example.com"), "nothing before @");
    ok(!addr_ok("alice@"), "nothing after @");
    ok(!addr_ok("a@b@c"), "two @");
    ok(!invite_mail_address_ok(NULL, 0), "NULL");
    ok(!ADDR_LEN("alice@example.com\r\nBcc: evil@example.com"),
       "CRLF and a header after it");
    ok(!ADDR_LEN("alice@example.com\nBcc: evil@example.com"), "bare LF");
    ok(!ADDR_LEN("alice@example.com\r"), "bare CR");
    ok(!ADDR_LEN("alice@exa\0mple.com"), "NUL inside (JSON \\u0000)");
    ok(!ADDR_LEN("alice\t@example.com"), "tab");
    ok(!ADDR_LEN("alice@example.com,evil@example.com"), "comma");
    ok(!ADDR_LEN("alice@example.com;evil@example.com"), "semicolon");
    ok(!ADDR_LEN("Alice <alice@example.com>"), "display name form");
    ok(!ADDR_LEN("alice@example.com>\r\nRCPT TO:<evil@example.com"),
       "SMTP command smuggling");
    ok(!ADDR_LEN(" alice@example.com"), "space (upstream keeps it)");
    ok(!ADDR_LEN("\"a b\"@example.com"), "quoted local part");
    ok(!ADDR_LEN("alice@[127.0.0.1]"), "domain literal");
    ok(!ADDR_LEN("j\xc3\xbcrgen@example.com"), "UTF-8 (no SMTPUTF8)");
    ok(!ADDR_LEN("alice@example.com\x7f"), "DEL");
    for (c = hostile_bytes; *c; c++) {
        char a[] = "ab@cd";
        a[1] = *c;
        if (invite_mail_address_ok(a, 5)) {
            break;
        }
    }
    ok(!*c, "every control and separator byte refused in the local part");
    {
        char big[300];
        memset(big, 'a', sizeof(big));
        big[10] = '@';
        ok(invite_mail_address_ok(big, 254), "254 bytes kept");
        ok(!invite_mail_address_ok(big, 255), "255 bytes dropped");
    }
    {
        invite_mail_str_t in[] = {
            { "one@example.com", 15 },
            { "bad", 3 },
            { "two@example.com\r\nX: y", 22 },
            { "two@example.com", 15 },
            { "nul@exa\0mple.com", 16 },
        };
        apr_array_header_t *out = invite_mail_filter(pool, in, 5);
        is_int(out->nelts, 2, "filter keeps the two good addresses");
        is_str(APR_ARRAY_IDX(out, 0, const char *), "one@example.com",
               "... in order, first");
        is_str(APR_ARRAY_IDX(out, 1, const char *), "two@example.com",
               "... second");
        is_int(invite_mail_filter(pool, in, 0)->nelts, 0, "none in, none out");
    }

    /* --------------------------------------------------------- the sender */
    {
        const char *a, *n;
        ok(!invite_mail_parse_from(pool, "noreply@example.com", &a, &n)
           && !strcmp(a, "noreply@example.com") && !n, "bare sender");
        ok(!invite_mail_parse_from(pool, "Rocket.Chat <rc@example.com>", &a, &n)
           && !strcmp(a, "rc@example.com") && !strcmp(n, "Rocket.Chat"),
           "sender with a display name");
        ok(!invite_mail_parse_from(pool, "\"Chat, Inc.\" <rc@example.com>",
                                   &a, &n) && !strcmp(n, "Chat, Inc."),
           "quoted display name");
        ok(invite_mail_parse_from(pool, "", &a, &n) != NULL, "empty sender");
        ok(invite_mail_parse_from(pool, "x <rc@example.com\r\nBcc: e@x>",
                                  &a, &n) != NULL, "CRLF in the sender");
        ok(invite_mail_parse_from(pool, "x <rc@example.com> y", &a, &n) != NULL,
           "text after the address");
        ok(invite_mail_parse_from(pool, "a\"b <rc@example.com>", &a, &n) != NULL,
           "quote inside the name");
    }

    /* ------------------------------------------------------ placeholders */
    v.site_name = "Acme & <Co>";
    v.site_url = "https://chat.example.com";
    v.email = "o'neil@example.com";
    is_str(invite_mail_expand(pool, INVITE_MAIL_DEFAULT_SUBJECT, &v, 0),
           "You have been invited to Acme & <Co>",
           "default subject: {Invitation_Subject_Default} in English");
    is_str(invite_mail_expand(pool, INVITE_MAIL_DEFAULT_HTML, &v, 1),
           "<h2>Welcome to Acme &amp; &lt;Co&gt;</h2>"
           "<p>Visit https://chat.example.com and try the best open source "
           "chat solution available today!</p>"
           "<a class=\"btn\" href=\"https://chat.example.com\">Join Chat</a>",
           "default html, values escaped");
    is_str(invite_mail_expand(pool, "[email] [EMAIL] __email__ __Email__", &v, 1),
           "o&#39;neil@example.com o&#39;neil@example.com "
           "o&#39;neil@example.com o&#39;neil@example.com",
           "[email] and __email__, any case, escaped in html");
    is_str(invite_mail_expand(pool, "[email]", &v, 0), "o'neil@example.com",
           "not escaped outside html");
    is_str(invite_mail_expand(pool, "[site_url_slash]|__SITE_URL__|[Site_Name]",
                              &v, 0),
           "https://chat.example.com/|https://chat.example.com|Acme & <Co>",
           "Site_URL_Slash adds one /, Site_URL, Site_Name");
    v.site_url = "https://chat.example.com/";
    is_str(invite_mail_expand(pool, "[Site_URL_Slash]", &v, 0),
           "https://chat.example.com/", "Site_URL_Slash keeps a single /");
    is_str(invite_mail_expand(pool, "[Site_Name [email [nope] _email__ "
                              "___email__ [email]]", &v, 0),
           "[Site_Name [email [nope] _email__ _o'neil@example.com "
           "o'neil@example.com]", "near misses left alone");
    is_str(invite_mail_expand(pool, "{ Join_Chat with extra} {Unknown_Key x} "
                              "{} { } {a{b} {Join_Chat", &v, 0),
           "Join Chat Unknown_Key {} { } {ab {Join_Chat",
           "{Key ...} translated, unknown keys give the key");
    v.site_name = "[email]";
    v.email = "[Site_Name]@x";
    is_str(invite_mail_expand(pool, "[Site_Name] [email]", &v, 0),
           "[email] [Site_Name]@x", "a value is not expanded again");
    is_str(invite_mail_expand(pool, NULL, &v, 0), "", "NULL template");
    v.site_name = NULL;
    v.site_url = NULL;
    is_str(invite_mail_expand(pool, "[Site_Name]|[Site_URL]|[Site_URL_Slash]",
                              &v, 0), "||/", "unset values");

    /* -------------------------------------------------------- html → text */
    is_str(invite_mail_html_to_text(pool,
               "<h2>Welcome to Acme &amp; Co</h2><p>Visit  https://x  and"
               "\n try!</p><a class=\"btn\" href=\"https://x\">Join Chat</a>"),
           "Welcome to Acme & Co\r\nVisit https://x and\r\ntry!\r\nJoin Chat",
           "text part of the default body");
    is_str(invite_mail_html_to_text(pool,
               "<style>p { color: red }</style><!-- c --><p title='a>b'>"
               "x&lt;y&#x41;&#66;&nbsp;z</p><script>alert(1)</script>"),
           "x<yAB z", "style, script, comments, quoted >, entities");
    is_str(invite_mail_html_to_text(pool, "a &bogus; &#0; b"),
           "a &bogus; \xef\xbf\xbd b", "unknown entity kept, NUL replaced");
    is_str(invite_mail_html_to_text(pool, NULL), "", "NULL html");

    /* ------------------------------------------------------------ RFC 2047 */
    is_str(invite_mail_header_encode(pool, "You have been invited", 7),
           "You have been invited", "short ASCII subject as is");
    is_str(invite_mail_header_encode(pool, "a\r\nBcc: x@y", 7),
           "a  Bcc: x@y", "control characters become spaces");
    {
        const char *subj = "Einladung zu M\xc3\xbcnchen \xe6\x97\xa5\xe6\x9c\xac "
                           "\xf0\x9f\x98\x80 und noch viel mehr Text, damit es "
                           "mehrere Zeilen werden";
        char *enc = invite_mail_header_encode(pool, subj, 7);
        char *copy = apr_pstrdup(pool, enc), *line, *last;
        int lines = 0, fits = 1;
        ok(!strncmp(enc, "=?UTF-8?B?", 10), "non-ASCII subject B-encoded");
        is_str(decode_words(enc), subj, "... decodes back to the subject");
        for (line = apr_strtok(copy, "\n", &last); line;
             line = apr_strtok(NULL, "\n", &last)) {
            apr_size_t n = strlen(line) - (line[strlen(line) - 1] == '\r');
            lines++;
            if ((lines == 1 ? n + 9 : n) > 78 || (lines > 1 && *line != ' ')) {
                fits = 0;
            }
        }
        ok(lines > 1 && fits, "... folded into lines of 78 at most");
        {
            /* every word holds whole UTF-8 characters */
            char *w, *l2;
            int whole = 1;
            copy = apr_pstrdup(pool, enc);
            for (w = apr_strtok(copy, " \r\n", &l2); w;
                 w = apr_strtok(NULL, " \r\n", &l2)) {
                char *d = decode_words(w);
                unsigned char last_lead = 0;
                apr_size_t k, n = d ? strlen(d) : 0;
                if (!d || (n && ((unsigned char)d[0] & 0xc0) == 0x80)) {
                    whole = 0;
                }
                for (k = n; k > 0; k--) {
                    if (((unsigned char)d[k - 1] & 0xc0) != 0x80) {
                        last_lead = (unsigned char)d[k - 1];
                        break;
                    }
                }
                if (last_lead >= 0xf0 ? n - k + 1 != 4
                    : last_lead >= 0xe0 ? n - k + 1 != 3
                    : last_lead >= 0xc0 ? n - k + 1 != 2 : 0) {
                    whole = 0;
                }
            }
            ok(whole, "... no character split between words");
        }
    }
    ok(!strncmp(invite_mail_header_encode(pool, "=?UTF-8?B?QQ==?=", 7),
                "=?UTF-8?B?", 10), "an ASCII subject that looks encoded is encoded");

    /* --------------------------------------------------------------- MIME */
    v.site_name = "M\xc3\xbcnchen Chat";
    v.site_url = "https://chat.example.com";
    v.email = "alice@example.com";
    ok(!build("Rocket.Chat <noreply@example.com>", "alice@example.com",
              invite_mail_expand(pool, INVITE_MAIL_DEFAULT_SUBJECT, &v, 0),
              invite_mail_expand(pool, INVITE_MAIL_DEFAULT_HTML, &v, 1), &pm),
       "build the default invitation");
    ok(headers_are_ours(&pm), "seven headers, well formed, CRLF only");
    is_str(header(&pm, "From"), "\"Rocket.Chat\" <noreply@example.com>",
           "From with a display name, quoted for its dot");
    is_str(header(&pm, "To"), "alice@example.com", "To");
    is_str(decode_words(header(&pm, "Subject")),
           "You have been invited to M\xc3\xbcnchen Chat",
           "Subject RFC 2047 decodes to the UTF-8 subject");
    is_str(header(&pm, "MIME-Version"), "1.0", "MIME-Version");
    ok(header(&pm, "Date") && apr_date_parse_rfc(header(&pm, "Date")) > 0,
       "Date parses as RFC 822");
    {
        const char *id = header(&pm, "Message-ID");
        ok(id && strlen(id) == 1 + 32 + 1 + 11 + 1 && id[0] == '<'
           && !strcmp(id + 33, "@example.com>")
           && strspn(id + 1, "0123456789abcdef") == 32,
           "Message-ID: 32 hex digits @ the sender's domain");
    }
    is_int(mime_parts(&pm, &text, &html, &boundary), 2,
           "multipart/alternative with two parts, closed");
    is_str(text, "Welcome to M\xc3\xbcnchen Chat\r\nVisit "
           "https://chat.example.com and try the best open source chat "
           "solution available today!\r\nJoin Chat", "text part decoded");
    is_str(html, "<h2>Welcome to M\xc3\xbcnchen Chat</h2><p>Visit "
           "https://chat.example.com and try the best open source chat "
           "solution available today!</p><a class=\"btn\" "
           "href=\"https://chat.example.com\">Join Chat</a>",
           "html part decoded");
    ok(boundary && strlen(boundary) == 9 + 24
       && !strncmp(boundary, "=_invite_", 9), "random boundary");
    {
        parsed_t again;
        const char *t2, *h2, *b2;
        build("noreply@example.com", "alice@example.com", "s", "<p>x</p>",
              &again);
        mime_parts(&again, &t2, &h2, &b2);
        ok(strcmp(b2, boundary) && strcmp(header(&again, "Message-ID"),
                                          header(&pm, "Message-ID")),
           "boundary and Message-ID differ between messages");
        is_str(header(&again, "From"), "noreply@example.com", "bare From");
    }
    {
        parsed_t one;
        ok(!build("noreply@example.com", "alice@example.com", "s", NULL, &one)
           && one.nheaders == 8 && one.body
           && !strcmp(header(&one, "Content-Type"), "text/plain; charset=UTF-8"),
           "no html: a single text/plain body");
    }
    {
        parsed_t big;
        char *long_html = apr_palloc(pool, 5001);
        memset(long_html, 'x', 5000);
        long_html[5000] = '\0';
        ok(!build("noreply@example.com", "alice@example.com", "s", long_html,
                  &big) && !big.long_line, "long body in base64 lines");
        is_int(mime_parts(&big, &text, &html, &boundary), 2, "... two parts");
        ok(html && !strcmp(html, long_html), "... read back whole");
    }
    ok(build("noreply@example.com", "alice@example.com\r\nBcc: e@x", "s",
             "x", &pm) != NULL, "build refuses a hostile recipient");
    ok(build("noreply@example.com\r\nBcc: e@x", "alice@example.com", "s",
             "x", &pm) != NULL, "build refuses a hostile sender");

    /* ------------------------------------------- no forged header, any input */
    {
        static const char *const evil[] = {
            "\r\nBcc: evil@example.com", "\nBcc: evil@example.com",
            "\rBcc: evil@example.com", "x\r\n\r\nbody", "=?UTF-8?B?DQpCY2M6?=",
            "\r\n.\r\nMAIL FROM:<e@x>", "\x00\x01\x02", "\xff\xfe\r\n",
            "\xc3\r\nX: y", "--=_invite_\r\nContent-Type: text/evil",
        };
        int forged = 0, n = 0, j;
        srand(1234);
        for (i = 0; i < 400; i++) {
            char junk[64];
            const char *s1;
            parsed_t pj;
            for (j = 0; j < (int)sizeof(junk) - 1; j++) {
                junk[j] = (char)(rand() % 4 ? "\r\n:\t =?B<>@\xc3\x80"[rand() % 14]
                                            : rand() % 256);
                if (!junk[j]) {
                    junk[j] = '\n';
                }
            }
            junk[sizeof(junk) - 1] = '\0';
            s1 = i < 10 ? evil[i] : junk;
            v.site_name = s1;
            v.site_url = s1;
            v.email = "alice@example.com";
            if (build(i % 2 ? apr_pstrcat(pool, "N", i % 4 == 1 ? "\xc3\xa9" : "",
                                          " <noreply@example.com>", NULL)
                            : "noreply@example.com",
                      "alice@example.com",
                      invite_mail_expand(pool, apr_pstrcat(pool, s1, "[Site_Name]",
                                                           NULL), &v, 0),
                      invite_mail_expand(pool, apr_pstrcat(pool, s1,
                                                           "<p>[Site_Name]</p>",
                                                           NULL), &v, 1),
                      &pj)) {
                forged++;
                continue;
            }
            n++;
            if (!headers_are_ours(&pj)
                || mime_parts(&pj, &text, &html, &boundary) != 2) {
                forged++;
                printf("# forged with input %d\n", i);
            }
        }
        is_int(forged, 0, "hostile subjects, names and bodies: never a header "
                          "of their own, the MIME structure intact");
        is_int(n, 400, "... all 400 built");
    }

    /* ---------------------------------------------- the route, no relay */
    {
        invite_mail_cfg_t cfg = {
            "smtp://127.0.0.1:1", "noreply@example.com", 2000,
            INVITE_MAIL_DEFAULT_SUBJECT, INVITE_MAIL_DEFAULT_HTML, "Chat",
            "https://chat.example.com"
        };
        invite_mail_str_t none[] = { { "bad", 3 }, { "a@b\n", 4 } };
        invite_mail_str_t one[] = { { "alice@example.com", 17 } };
        const char *detail;
        int sent = -1;
        is_str(invite_mail_invite(pool, &cfg, none, 2, NULL, NULL, &sent,
                                  &detail),
               "No valid email addresses [error-email-send-failed]",
               "no valid address");
        is_str(invite_mail_invite(pool, &cfg, none, 0, NULL, NULL, &sent,
                                  &detail),
               "No valid email addresses [error-email-send-failed]",
               "empty list");
        cfg.subject = "";
        is_str(invite_mail_invite(pool, &cfg, one, 1, NULL, NULL, &sent,
                                  &detail),
               "No subject [error-email-send-failed]", "empty subject");
        is_str(invite_mail_invite(pool, &cfg, none, 2, NULL, NULL, &sent,
                                  &detail),
               "No valid email addresses [error-email-send-failed]",
               "addresses are checked before the subject");
        cfg.subject = "s";
        cfg.from = "";
        is_str(invite_mail_invite(pool, &cfg, one, 1, NULL, NULL, &sent,
                                  &detail),
               "Error trying to send email: Invalid from address "
               "[error-email-send-failed]", "no sender");
        ok(detail && strstr(detail, "InviteMailFrom"), "... the log names it");
        is_int(sent, 0, "... nothing sent");
        cfg.from = "noreply@example.com";
        cfg.relay_url = "http://127.0.0.1:1/";
        is_str(invite_mail_invite(pool, &cfg, one, 1, NULL, NULL, &sent,
                                  &detail),
               "Error trying to send email: Unsupported protocol "
               "[error-email-send-failed]",
               "a relay URL that is not smtp:// or smtps:// is refused");
        ok(detail && strstr(detail, "last reply"), "... with a detail for the log");
    }

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
