/*
 * Delivery: emails over SMTP with libcurl, letters as HTML files written
 * atomically (a temporary file, fsync, rename, fsync of the folder).
 */
#include "sender.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* One easy handle for the whole run: libcurl keeps its SMTP connection. */
static CURL *smtp;

int
smtp_setup(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    smtp = curl_easy_init();
    return smtp ? 0 : -1;
}

void
smtp_cleanup(void)
{
    if (smtp)
        curl_easy_cleanup(smtp);
    smtp = NULL;
    curl_global_cleanup();
}

/* The message being uploaded. */
typedef struct
{
    const buf_t *text;
    size_t      sent;
} upload_t;

static size_t
read_message(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    upload_t   *u = userdata;
    size_t      room = size * nmemb;
    size_t      left = u->text->len - u->sent;
    size_t      n = left < room ? left : room;

    memcpy(ptr, u->text->data + u->sent, n);
    u->sent += n;
    return n;
}

/*
 * The SMTP dialogue, from libcurl's debug stream: the command last sent,
 * the reply being read, and the last refusal (a 4xx or 5xx reply) with the
 * command it answered.  libcurl's own error says "RCPT failed: 550"
 * without the server's words, and not whether the message or the server
 * is to blame.
 */
typedef struct
{
    char        command[5];     /* first word of the last command: EHLO, MAIL, RCPT, DATA ... */
    buf_t       reply;
    buf_t       refusal;
    char        refused[5];     /* the command refused, "" for the greeting */
    int         new_reply;
} dialog_t;

static int
debug_dialog(CURL *handle, curl_infotype type, char *data, size_t size, void *userdata)
{
    dialog_t   *d = userdata;

    (void) handle;
    if (type == CURLINFO_HEADER_OUT)
    {
        size_t      i;

        for (i = 0; i < 4 && i < size && data[i] != ' ' && data[i] != '\r'; i++)
            d->command[i] = (char) toupper((unsigned char) data[i]);
        d->command[i] = '\0';
        d->new_reply = 1;
    }
    else if (type == CURLINFO_HEADER_IN)
    {
        if (d->new_reply)
        {
            buf_reset(&d->reply);
            d->new_reply = 0;
        }
        while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
            size--;
        if (d->reply.len > 0)
            buf_puts(&d->reply, " ");
        /* replies should be ASCII: anything else is escaped, so that the
         * error text is valid UTF-8 for nack() */
        for (size_t i = 0; i < size; i++)
        {
            unsigned char c = (unsigned char) data[i];

            if (c < 0x20 || c > 0x7e)
                buf_printf(&d->reply, "\\x%02x", c);
            else
                buf_putc(&d->reply, (char) c);
        }
        if (size > 0 && (data[0] == '4' || data[0] == '5'))
        {
            buf_reset(&d->refusal);
            buf_putn(&d->refusal, d->reply.data, d->reply.len);
            memcpy(d->refused, d->command, sizeof(d->refused));
        }
    }
    return 0;
}

static void
dialog_init(dialog_t *d)
{
    d->command[0] = d->refused[0] = '\0';
    buf_init(&d->reply);
    buf_init(&d->refusal);
    d->new_reply = 1;
}

static void
dialog_free(dialog_t *d)
{
    buf_free(&d->reply);
    buf_free(&d->refusal);
}

/* What every transfer and probe sets: server, TLS, login, timeouts, dialogue. */
static void
set_connection(CURL *h, const config_t *cfg, char *errbuf, dialog_t *dialog)
{
    curl_easy_setopt(h, CURLOPT_URL, cfg->smtp_url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long) (CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, cfg->smtp_timeout < 10 ? cfg->smtp_timeout : 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, cfg->smtp_timeout);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_dialog);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, dialog);
    if (cfg->smtp_user)
    {
        curl_easy_setopt(h, CURLOPT_USERNAME, cfg->smtp_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->smtp_password);
    }
    curl_easy_setopt(h, CURLOPT_USE_SSL,
                     cfg->smtp_tls == TLS_REQUIRED ? (long) CURLUSESSL_ALL :
                     cfg->smtp_tls == TLS_TRY ? (long) CURLUSESSL_TRY : (long) CURLUSESSL_NONE);
    if (cfg->smtp_ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, cfg->smtp_ca_file);
    if (cfg->smtp_insecure)
    {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

/* The error text of a failed transfer: libcurl's, then the server's refusal. */
static void
describe_failure(buf_t *error, CURLcode rc, const char *errbuf, const dialog_t *d)
{
    buf_puts(error, "SMTP: ");
    buf_puts(error, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    if (d->refusal.len > 0)
    {
        buf_puts(error, ": server replied ");
        buf_puts(error, d->refusal.data);
    }
}

/*
 * Sends one email.  Returns DELIVERED when the server accepted it;
 * MESSAGE_FAILED when this message cannot go (an invalid address, a refused
 * recipient or a refused message); SERVER_FAILED when no email can go now
 * (no connection, a timeout, TLS, login, a refused greeting, EHLO or MAIL
 * FROM, a 421).  error says why.
 */
enum delivery
deliver_email(const config_t *cfg, const message_t *m, buf_t *error)
{
    buf_t       text;
    buf_t       from;
    buf_t       rcpt;
    dialog_t    dialog;
    char        errbuf[CURL_ERROR_SIZE];
    struct curl_slist *rcpts = NULL;
    upload_t    upload;
    CURLcode    rc;
    enum delivery result = DELIVERED;

    if (email_address_problem(m->recipient, error))
        return MESSAGE_FAILED;

    buf_init(&text);
    build_email(&text, cfg, m, time(NULL));
    upload.text = &text;
    upload.sent = 0;

    buf_init(&from);
    buf_printf(&from, "<%s>", cfg->from_addr);
    buf_init(&rcpt);
    buf_printf(&rcpt, "<%s>", m->recipient);
    rcpts = curl_slist_append(NULL, rcpt.data);
    dialog_init(&dialog);

    curl_easy_reset(smtp);      /* keeps the open connection */
    set_connection(smtp, cfg, errbuf, &dialog);
    curl_easy_setopt(smtp, CURLOPT_MAIL_FROM, from.data);
    curl_easy_setopt(smtp, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(smtp, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(smtp, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(smtp, CURLOPT_READDATA, &upload);
    curl_easy_setopt(smtp, CURLOPT_INFILESIZE_LARGE, (curl_off_t) text.len);

    rc = curl_easy_perform(smtp);
    if (rc != CURLE_OK)
    {
        describe_failure(error, rc, errbuf, &dialog);
        if (dialog.refusal.len > 0 && strncmp(dialog.refusal.data, "421", 3) != 0
            && (strcmp(dialog.refused, "RCPT") == 0 || strcmp(dialog.refused, "DATA") == 0))
            result = MESSAGE_FAILED;
        else
            result = SERVER_FAILED;
    }

    curl_slist_free_all(rcpts);
    buf_free(&text);
    buf_free(&from);
    buf_free(&rcpt);
    dialog_free(&dialog);
    return result;
}

/*
 * Connects to the SMTP server as a delivery would (greeting, EHLO, STARTTLS,
 * login) and sends nothing.  Returns 0, or -1 with why.
 */
int
smtp_probe(const config_t *cfg, buf_t *error)
{
    CURL       *h = curl_easy_init();
    dialog_t    dialog;
    char        errbuf[CURL_ERROR_SIZE];
    CURLcode    rc;

    if (h == NULL)
    {
        buf_puts(error, "SMTP: libcurl cannot make a handle");
        return -1;
    }
    dialog_init(&dialog);
    set_connection(h, cfg, errbuf, &dialog);
    curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
    rc = curl_easy_perform(h);
    if (rc != CURLE_OK)
        describe_failure(error, rc, errbuf, &dialog);
    curl_easy_cleanup(h);
    dialog_free(&dialog);
    return rc == CURLE_OK ? 0 : -1;
}

static int
write_all(int fd, const char *p, size_t n)
{
    while (n > 0)
    {
        ssize_t     w = write(fd, p, n);

        if (w < 0)
        {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t) w;
    }
    return 0;
}

/*
 * Writes <dir>/<message_id>-<customer_id>.html: a temporary file in the same
 * folder, synced, renamed over the final name (a second delivery replaces
 * the first), and the folder synced.  Returns 0, or -1 with why.
 */
int
deliver_letter(const config_t *cfg, const message_t *m, buf_t *error, buf_t *path)
{
    buf_t       name;
    buf_t       tmp;
    buf_t       html;
    int         fd = -1;
    int         dirfd = -1;
    int         ok = -1;
    const char *step = "open";

    buf_init(&name);
    letter_file_name(&name, m);
    buf_printf(path, "%s/%s", cfg->letter_dir, name.data);
    buf_init(&tmp);
    buf_printf(&tmp, "%s/.%s.%ld.tmp", cfg->letter_dir, name.data, (long) getpid());
    buf_init(&html);
    build_letter(&html, m);

    fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        goto done;
    step = "write";
    if (write_all(fd, html.data, html.len) < 0)
        goto done;
    step = "fsync";
    if (fsync(fd) < 0)
        goto done;
    step = "close";
    if (close(fd) < 0)
    {
        fd = -1;
        goto done;
    }
    fd = -1;
    step = "rename";
    if (rename(tmp.data, path->data) < 0)
        goto done;
    step = "fsync the folder of";
    dirfd = open(cfg->letter_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0 || fsync(dirfd) < 0)
        goto done;
    ok = 0;

done:
    if (ok < 0)
    {
        int         saved = errno;

        buf_printf(error, "letter: cannot %s %s: %s", step,
                   strcmp(step, "rename") == 0 || strncmp(step, "fsync the", 9) == 0 ? path->data : tmp.data,
                   strerror(saved));
        if (fd >= 0)
            close(fd);
        unlink(tmp.data);
    }
    if (dirfd >= 0)
        close(dirfd);
    buf_free(&name);
    buf_free(&tmp);
    buf_free(&html);
    return ok;
}
