/*
 * dunning-sender: the reference sender of the dunning extension's outbox.
 * Shared declarations of dunning-sender.c (configuration, database loop),
 * mime.c (message text) and deliver.c (SMTP with libcurl, letter files).
 */
#ifndef DUNNING_SENDER_H
#define DUNNING_SENDER_H

#define _DEFAULT_SOURCE         /* POSIX 2008 plus gethostname, fsync ... */

#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#define SENDER_VERSION "0.1.0"

/* A growing byte buffer, always NUL-terminated.  Out of memory aborts. */
typedef struct
{
    char       *data;
    size_t      len;
    size_t      cap;
} buf_t;

void        buf_init(buf_t *b);
void        buf_free(buf_t *b);
void        buf_reset(buf_t *b);
void        buf_putn(buf_t *b, const char *s, size_t n);
void        buf_puts(buf_t *b, const char *s);
void        buf_putc(buf_t *b, char c);
void        buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void        buf_vprintf(buf_t *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

enum smtp_tls
{
    TLS_OFF,                    /* plain SMTP, never STARTTLS */
    TLS_TRY,                    /* STARTTLS when the server offers it */
    TLS_REQUIRED                /* STARTTLS or smtps://, or fail */
};

/* The configuration, from the environment (see README.md). */
typedef struct
{
    const char *dsn;            /* DUNNING_SENDER_DSN, or "" for the PG* variables */
    char       *sender_name;    /* DUNNING_SENDER_NAME, default hostname-pid */
    const char *smtp_url;       /* DUNNING_SMTP_URL */
    const char *smtp_from;      /* DUNNING_SMTP_FROM as given */
    char       *from_addr;      /* its address: the envelope sender */
    char       *from_name;      /* its display name, or NULL */
    const char *smtp_user;      /* DUNNING_SMTP_USER */
    char       *smtp_password;  /* DUNNING_SMTP_PASSWORD or DUNNING_SMTP_PASSWORD_FILE */
    enum smtp_tls smtp_tls;     /* DUNNING_SMTP_TLS */
    const char *smtp_ca_file;   /* DUNNING_SMTP_CA_FILE */
    int         smtp_insecure;  /* DUNNING_SMTP_INSECURE */
    long        smtp_timeout;   /* DUNNING_SMTP_TIMEOUT, seconds per email */
    char       *msgid_domain;   /* DUNNING_MESSAGE_ID_DOMAIN, default the From domain */
    const char *letter_dir;     /* DUNNING_LETTER_DIR */
    int         batch;          /* DUNNING_BATCH */
    const char *lease;          /* DUNNING_LEASE, an interval */
    const char *retry_in;       /* DUNNING_RETRY_IN, an interval */
    double      lease_seconds;  /* the lease, as the server reads it */
    long        idle_wait;      /* DUNNING_IDLE_WAIT, seconds */
    int         once;           /* DUNNING_ONCE */
} config_t;

/* One claimed message: pointers into the claim's PGresult. */
typedef struct
{
    const char *message_id;
    const char *token;
    const char *action_id;
    const char *customer_id;
    const char *media;          /* "email" or "letter" */
    const char *recipient;      /* NULL when the outbox has none */
    const char *subject;        /* NULL when the outbox has none */
    const char *body;
    const char *customer_name;  /* payload->>'customer_name', or NULL */
    int         attempt;
} message_t;

/* mime.c */
int         email_address_problem(const char *addr, buf_t *why);
int         parse_from(const char *from, char **addr, char **name);
void        build_email(buf_t *out, const config_t *cfg, const message_t *m, time_t now);
void        build_letter(buf_t *out, const message_t *m);
void        letter_file_name(buf_t *out, const message_t *m);
void        log_escape(buf_t *out, const char *s);

/* deliver.c */
enum delivery
{
    DELIVERED = 0,
    MESSAGE_FAILED = -1,        /* this message cannot go: nack it */
    SERVER_FAILED = -2          /* no email can go now: nack it, and stop sending emails */
};

int         smtp_setup(void);
void        smtp_cleanup(void);
int         smtp_probe(const config_t *cfg, buf_t *error);
enum delivery deliver_email(const config_t *cfg, const message_t *m, buf_t *error);
int         deliver_letter(const config_t *cfg, const message_t *m, buf_t *error, buf_t *path);

/* dunning-sender.c */
void        log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
