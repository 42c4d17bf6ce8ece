/*
 * The text the sender delivers: an RFC 5322 / MIME email, or a letter as an
 * HTML file, built from a claimed message.  No I/O here.
 */
#include "sender.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------------
 * Buffers
 * ------------------------------------------------------------------------ */
static void
buf_grow(buf_t *b, size_t more)
{
    size_t      need = b->len + more + 1;

    if (need <= b->cap)
        return;
    size_t      cap = b->cap ? b->cap : 256;

    while (cap < need)
        cap *= 2;
    char       *p = realloc(b->data, cap);

    if (p == NULL)
    {
        fputs("dunning-sender: out of memory\n", stderr);
        abort();
    }
    b->data = p;
    b->cap = cap;
}

void
buf_init(buf_t *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
    buf_grow(b, 0);
    b->data[0] = '\0';
}

void
buf_free(buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
buf_reset(buf_t *b)
{
    b->len = 0;
    b->data[0] = '\0';
}

void
buf_putn(buf_t *b, const char *s, size_t n)
{
    buf_grow(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void
buf_puts(buf_t *b, const char *s)
{
    buf_putn(b, s, strlen(s));
}

void
buf_putc(buf_t *b, char c)
{
    buf_putn(b, &c, 1);
}

void
buf_vprintf(buf_t *b, const char *fmt, va_list ap)
{
    char        small[256];
    va_list     again;

    va_copy(again, ap);
    int         n = vsnprintf(small, sizeof(small), fmt, again);

    va_end(again);
    if (n < 0)
        return;
    if ((size_t) n < sizeof(small))
    {
        buf_putn(b, small, (size_t) n);
        return;
    }
    buf_grow(b, (size_t) n);
    vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    b->len += (size_t) n;
}

void
buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list     ap;

    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* Text for a log line: control characters and backslashes escaped. */
void
log_escape(buf_t *out, const char *s)
{
    if (s == NULL)
    {
        buf_puts(out, "(none)");
        return;
    }
    for (; *s; s++)
    {
        unsigned char c = (unsigned char) *s;

        if (c == '\\')
            buf_puts(out, "\\\\");
        else if (c == '\n')
            buf_puts(out, "\\n");
        else if (c == '\r')
            buf_puts(out, "\\r");
        else if (c < 0x20 || c == 0x7f)
            buf_printf(out, "\\x%02x", c);
        else
            buf_putc(out, (char) c);
    }
}

/* ------------------------------------------------------------------------
 * Addresses
 * ------------------------------------------------------------------------ */

/*
 * A minimal check of an email address before it goes into an SMTP command
 * and a header: one @ with something on each side, no whitespace, no
 * control character, no angle bracket, at most 254 bytes.  The SMTP server
 * judges the rest.  Returns 0 when it passes, else 1 with the reason in why.
 */
int
email_address_problem(const char *addr, buf_t *why)
{
    if (addr == NULL || addr[0] == '\0')
    {
        buf_puts(why, "no email address");
        return 1;
    }
    for (const unsigned char *p = (const unsigned char *) addr; *p; p++)
    {
        const char *bad = NULL;

        if (*p == '\r' || *p == '\n')
            bad = "it contains a line break";
        else if (*p == ' ' || *p == '\t')
            bad = "it contains a space";
        else if (*p < 0x20 || *p == 0x7f)
            bad = "it contains a control character";
        else if (*p == '<' || *p == '>')
            bad = "it contains an angle bracket";
        if (bad)
        {
            buf_printf(why, "not an email address (%s)", bad);
            return 1;
        }
    }
    const char *at = strchr(addr, '@');

    if (at == NULL)
        buf_puts(why, "not an email address (no @)");
    else if (strchr(at + 1, '@') != NULL)
        buf_puts(why, "not an email address (more than one @)");
    else if (at == addr)
        buf_puts(why, "not an email address (nothing before the @)");
    else if (at[1] == '\0')
        buf_puts(why, "not an email address (nothing after the @)");
    else if (strlen(addr) > 254)
        buf_puts(why, "not an email address (longer than 254 bytes)");
    else
        return 0;
    return 1;
}

/*
 * DUNNING_SMTP_FROM: "ar@example.com" or "Accounts receivable <ar@example.com>"
 * (the name may be in double quotes).  Returns 0 and sets *addr and *name
 * (NULL when there is none), or 1 when it is no address.
 */
int
parse_from(const char *from, char **addr, char **name)
{
    const char *lt = strrchr(from, '<');
    size_t      len = strlen(from);
    buf_t       why;

    *addr = *name = NULL;
    if (lt != NULL && len > 0 && from[len - 1] == '>')
    {
        *addr = strndup(lt + 1, (size_t) (from + len - 1 - (lt + 1)));
        const char *s = from;
        const char *e = lt;

        while (s < e && isspace((unsigned char) *s))
            s++;
        while (e > s && isspace((unsigned char) e[-1]))
            e--;
        if (e - s >= 2 && *s == '"' && e[-1] == '"')
        {
            s++;
            e--;
        }
        if (e > s)
            *name = strndup(s, (size_t) (e - s));
    }
    else
        *addr = strdup(from);
    if (*addr == NULL)
        abort();
    buf_init(&why);
    int         bad = email_address_problem(*addr, &why);

    buf_free(&why);
    return bad;
}

/* ------------------------------------------------------------------------
 * Headers
 * ------------------------------------------------------------------------ */
static size_t
utf8_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xc0 && c < 0xe0)
        return 2;
    if (c >= 0xe0 && c < 0xf0)
        return 3;
    if (c >= 0xf0 && c < 0xf8)
        return 4;
    return 1;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
put_base64(buf_t *out, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i += 3)
    {
        unsigned    v = (unsigned) s[i] << 16;

        if (i + 1 < n)
            v |= (unsigned) s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        buf_putc(out, b64[(v >> 18) & 63]);
        buf_putc(out, b64[(v >> 12) & 63]);
        buf_putc(out, i + 1 < n ? b64[(v >> 6) & 63] : '=');
        buf_putc(out, i + 2 < n ? b64[v & 63] : '=');
    }
}

/*
 * RFC 2047 encoded-words ("=?UTF-8?B?...?="), at most 45 bytes of text
 * each (75 characters with the delimiters), never splitting a UTF-8
 * character, folded onto continuation lines.
 */
static void
put_encoded_words(buf_t *out, const char *text)
{
    const unsigned char *s = (const unsigned char *) text;
    size_t      n = strlen(text);
    size_t      i = 0;

    if (n == 0)
        return;
    while (i < n)
    {
        size_t      chunk = 0;

        while (i + chunk < n)
        {
            size_t      c = utf8_len(s[i + chunk]);

            if (i + chunk + c > n)
                c = n - i - chunk;
            if (chunk + c > 45)
                break;
            chunk += c;
        }
        if (i > 0)
            buf_puts(out, "\r\n ");
        buf_puts(out, "=?UTF-8?B?");
        put_base64(out, s + i, chunk);
        buf_puts(out, "?=");
        i += chunk;
    }
}

/* Header text on one line: line breaks and other controls become spaces. */
static char *
one_line(const char *s)
{
    char       *t = strdup(s ? s : "");

    if (t == NULL)
        abort();
    for (char *p = t; *p; p++)
        if ((unsigned char) *p < 0x20 || *p == 0x7f)
            *p = ' ';
    return t;
}

static int
plain_ascii(const char *s, size_t max)
{
    size_t      n = 0;

    for (; *s; s++, n++)
        if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7e)
            return 0;
    return n <= max;
}

/* An unstructured header value (Subject). */
static void
put_unstructured(buf_t *out, const char *value)
{
    char       *v = one_line(value);

    if (plain_ascii(v, 900) && strstr(v, "=?") == NULL)
        buf_puts(out, v);
    else
        put_encoded_words(out, v);
    free(v);
}

/* A mailbox: "Name" <addr>, or <addr> alone when there is no name. */
static void
put_mailbox(buf_t *out, const char *name, const char *addr)
{
    char       *n = name ? one_line(name) : NULL;

    if (n != NULL && n[0] != '\0')
    {
        if (plain_ascii(n, 200) && strstr(n, "=?") == NULL)
        {
            buf_putc(out, '"');
            for (const char *p = n; *p; p++)
            {
                if (*p == '"' || *p == '\\')
                    buf_putc(out, '\\');
                buf_putc(out, *p);
            }
            buf_putc(out, '"');
        }
        else
            put_encoded_words(out, n);
        buf_putc(out, ' ');
    }
    buf_printf(out, "<%s>", addr);
    free(n);
}

/* ------------------------------------------------------------------------
 * Bodies
 * ------------------------------------------------------------------------ */

/* Does the body start (after white space) with <!DOCTYPE html or <html? */
static int
is_html(const char *body)
{
    while (*body && isspace((unsigned char) *body))
        body++;
    return strncasecmp(body, "<!DOCTYPE html", 14) == 0 || strncasecmp(body, "<html", 5) == 0;
}

/* The body with CRLF line ends, ending with one. */
static void
crlf_lines(buf_t *out, const char *body)
{
    for (const char *p = body; *p; p++)
    {
        if (*p == '\r')
        {
            if (p[1] == '\n')
                p++;
            buf_puts(out, "\r\n");
        }
        else if (*p == '\n')
            buf_puts(out, "\r\n");
        else
            buf_putc(out, *p);
    }
    if (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2) != 0)
        buf_puts(out, "\r\n");
}

/* 7bit is enough: ASCII without controls but tab, lines of at most 998. */
static int
needs_qp(const buf_t *crlf)
{
    size_t      line = 0;

    for (size_t i = 0; i < crlf->len; i++)
    {
        unsigned char c = (unsigned char) crlf->data[i];

        if (c == '\r' && i + 1 < crlf->len && crlf->data[i + 1] == '\n')
        {
            i++;
            line = 0;
            continue;
        }
        if (c > 0x7e || (c < 0x20 && c != '\t') || ++line > 998)
            return 1;
    }
    return 0;
}

/* RFC 2045 quoted-printable of CRLF-terminated lines, lines of at most 76. */
static void
put_quoted_printable(buf_t *out, const buf_t *crlf)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t      col = 0;

    for (size_t i = 0; i < crlf->len; i++)
    {
        unsigned char c = (unsigned char) crlf->data[i];

        if (c == '\r' && i + 1 < crlf->len && crlf->data[i + 1] == '\n')
        {
            buf_puts(out, "\r\n");
            i++;
            col = 0;
            continue;
        }
        /* a UTF-8 character is encoded whole, never split by a soft break */
        size_t      n = c >= 0xc0 ? utf8_len(c) : 1;

        if (i + n > crlf->len)
            n = crlf->len - i;
        for (size_t k = 1; k < n; k++)
            if (((unsigned char) crlf->data[i + k] & 0xc0) != 0x80)
            {
                n = k;
                break;
            }
        int         at_line_end = i + n >= crlf->len || crlf->data[i + n] == '\r';
        char        tok[12];
        size_t      toklen = 0;

        if (n == 1 && ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_line_end)))
            tok[toklen++] = (char) c;
        else
            for (size_t k = 0; k < n; k++)
            {
                unsigned char b = (unsigned char) crlf->data[i + k];

                tok[toklen++] = '=';
                tok[toklen++] = hex[b >> 4];
                tok[toklen++] = hex[b & 15];
            }
        i += n - 1;
        /* room for the token and, unless the line ends after it, a soft break */
        if (col + toklen > (at_line_end ? 76 : 75))
        {
            buf_puts(out, "=\r\n");
            col = 0;
        }
        buf_putn(out, tok, toklen);
        col += toklen;
    }
}

/* ------------------------------------------------------------------------
 * The email
 * ------------------------------------------------------------------------ */
void
build_email(buf_t *out, const config_t *cfg, const message_t *m, time_t now)
{
    char        date[64];
    struct tm   tm;
    buf_t       body;

    localtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);

    buf_puts(out, "From: ");
    put_mailbox(out, cfg->from_name, cfg->from_addr);
    buf_puts(out, "\r\nTo: ");
    put_mailbox(out, m->customer_name, m->recipient);
    buf_puts(out, "\r\nSubject: ");
    put_unstructured(out, m->subject ? m->subject : "");
    buf_printf(out, "\r\nDate: %s\r\n", date);
    /* the same at every attempt: the receiving side can deduplicate */
    buf_printf(out, "Message-ID: <dunning-%s@%s>\r\n", m->message_id, cfg->msgid_domain);
    buf_puts(out, "MIME-Version: 1.0\r\n");
    buf_printf(out, "Content-Type: %s; charset=UTF-8\r\n", is_html(m->body) ? "text/html" : "text/plain");

    buf_init(&body);
    crlf_lines(&body, m->body);
    int         qp = needs_qp(&body);

    buf_printf(out, "Content-Transfer-Encoding: %s\r\n", qp ? "quoted-printable" : "7bit");
    buf_puts(out, "Auto-Submitted: auto-generated\r\n");
    buf_printf(out, "X-Dunning-Message-Id: %s\r\n", m->message_id);
    buf_printf(out, "X-Dunning-Action-Id: %s\r\n", m->action_id);
    buf_puts(out, "\r\n");
    if (qp)
        put_quoted_printable(out, &body);
    else
        buf_putn(out, body.data, body.len);
    buf_free(&body);
}

/* ------------------------------------------------------------------------
 * The letter
 * ------------------------------------------------------------------------ */
static void
put_html_escaped(buf_t *out, const char *s)
{
    for (; s && *s; s++)
    {
        switch (*s)
        {
            case '&':
                buf_puts(out, "&amp;");
                break;
            case '<':
                buf_puts(out, "&lt;");
                break;
            case '>':
                buf_puts(out, "&gt;");
                break;
            case '"':
                buf_puts(out, "&quot;");
                break;
            default:
                buf_putc(out, *s);
        }
    }
}

/*
 * The printable page of dunning.download_letters(), for one message: the
 * body as preformatted text under the subject.  A body that is already an
 * HTML document is written as it is.
 */
void
build_letter(buf_t *out, const message_t *m)
{
    if (is_html(m->body))
    {
        buf_puts(out, m->body);
        return;
    }
    buf_puts(out, "<!DOCTYPE html><html><head><meta charset=\"utf-8\">");
    buf_printf(out, "<meta name=\"dunning-message-id\" content=\"%s\"><title>", m->message_id);
    put_html_escaped(out, m->customer_name ? m->customer_name : m->recipient);
    buf_puts(out, "</title><style>@page{size:A4;margin:2cm}"
             ".letter{page-break-after:always;white-space:pre-wrap;font-family:serif}</style>"
             "</head><body><div class=\"letter\"><h1>");
    put_html_escaped(out, m->subject);
    buf_puts(out, "</h1>");
    put_html_escaped(out, m->body);
    buf_puts(out, "</div></body></html>\n");
}

/* <message_id>-<customer_id>.html, the customer id reduced to [A-Za-z0-9._-]. */
void
letter_file_name(buf_t *out, const message_t *m)
{
    buf_printf(out, "%s-", m->message_id);
    for (const char *p = m->customer_id; *p; p++)
    {
        unsigned char c = (unsigned char) *p;

        buf_putc(out, (isalnum(c) && c < 0x80) || c == '.' || c == '-' || c == '_' ? (char) c : '_');
    }
    buf_puts(out, ".html");
}
