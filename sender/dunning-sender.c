/*
 * dunning-sender: the reference sender of the dunning extension's outbox.
 *
 * Claims messages with dunning.claim(), delivers emails over SMTP (libcurl)
 * and writes letters as HTML files, reports each with dunning.ack() or
 * dunning.nack(), and waits on LISTEN dunning_outbox when there is nothing
 * to claim.  Configured by environment variables only; see README.md.
 *
 * Exit codes: 0 stopped by SIGTERM/SIGINT or done (DUNNING_ONCE), 1 a
 * runtime failure (no database at start, or a claim that fails in
 * DUNNING_ONCE mode), 2 an incomplete or invalid configuration.
 */
#include "sender.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define EXIT_RUNTIME 1
#define EXIT_CONFIG  2

static config_t cfg;
static volatile sig_atomic_t stop_signal = 0;
static int  wake_pipe[2] = {-1, -1};

/* Set when the SMTP server failed (not a message): no email is tried until
 * a probe gets through, and no claim is made meanwhile, since each claim
 * costs its messages an attempt. */
static struct
{
    int         down;
    buf_t       why;
} smtp_state;

static struct
{
    long        sent;
    long        failed;
    long        dead;
    long        refused;
    long        given_back;
} count;

/* ------------------------------------------------------------------------
 * Logging: one line each, to stderr.
 * ------------------------------------------------------------------------ */
void
log_line(const char *fmt, ...)
{
    buf_t       line;
    char        stamp[40];
    struct timespec ts;
    struct tm   tm;
    va_list     ap;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    buf_init(&line);
    buf_printf(&line, "%s.%03ldZ dunning-sender[%ld]: ", stamp, ts.tv_nsec / 1000000, (long) getpid());
    va_start(ap, fmt);
    buf_vprintf(&line, fmt, ap);
    va_end(ap);
    buf_putc(&line, '\n');
    fwrite(line.data, 1, line.len, stderr);
    fflush(stderr);
    buf_free(&line);
}

/* Server or libpq text on one line: runs of white space and control
 * characters become one space. */
static void
put_one_line(buf_t *out, const char *msg)
{
    int         space = 0;

    for (const unsigned char *p = (const unsigned char *) (msg ? msg : ""); *p; p++)
    {
        if (*p <= 0x20 || *p == 0x7f)
            space = 1;
        else
        {
            if (space && out->len > 0)
                buf_putc(out, ' ');
            space = 0;
            buf_putc(out, (char) *p);
        }
    }
}

/* libpq's error text on one line. */
static const char *
pq_error(PGconn *conn, const PGresult *res)
{
    static buf_t text;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

    if (msg == NULL)
        msg = res ? PQresultErrorMessage(res) : NULL;
    if (msg == NULL || msg[0] == '\0')
        msg = PQerrorMessage(conn);
    if (text.data == NULL)
        buf_init(&text);
    buf_reset(&text);
    put_one_line(&text, msg);
    return text.data;
}

/* Notices and the server's FATAL before it closes: logged, on one line. */
static void
log_notice(void *arg, const char *message)
{
    buf_t       text;

    (void) arg;
    buf_init(&text);
    put_one_line(&text, message);
    log_line("database: %s", text.data);
    buf_free(&text);
}

/* ------------------------------------------------------------------------
 * Signals and sleeping
 * ------------------------------------------------------------------------ */
static void
on_stop(int sig)
{
    int         saved = errno;

    stop_signal = sig;
    if (wake_pipe[1] >= 0 && write(wake_pipe[1], "x", 1) < 0)
    {
        /* the pipe is full: a wake-up is already pending */
    }
    errno = saved;
}

static void
setup_signals(void)
{
    struct sigaction sa;

    if (pipe(wake_pipe) < 0)
    {
        perror("dunning-sender: pipe");
        exit(EXIT_RUNTIME);
    }
    for (int i = 0; i < 2; i++)
    {
        int         fl = fcntl(wake_pipe[i], F_GETFL);

        fcntl(wake_pipe[i], F_SETFL, fl | O_NONBLOCK);
        fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;            /* no SA_RESTART: poll() returns at once */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static double
mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/*
 * Waits up to seconds for the database socket (sock >= 0) or for a stop
 * signal.  Returns 1 when the socket is readable, 0 on timeout, -1 when a
 * stop was asked for.
 */
static int
wait_for(int sock, double seconds)
{
    double      deadline = mono_now() + seconds;

    for (;;)
    {
        struct pollfd fds[2];
        int         nfds = 1;
        char        drain[16];

        if (stop_signal)
            return -1;
        double      left = deadline - mono_now();

        if (left <= 0)
            return 0;
        fds[0].fd = wake_pipe[0];
        fds[0].events = POLLIN;
        if (sock >= 0)
        {
            fds[1].fd = sock;
            fds[1].events = POLLIN;
            nfds = 2;
        }
        int         ms = left > INT_MAX / 1000 ? INT_MAX : (int) (left * 1000) + 1;
        int         n = poll(fds, (nfds_t) nfds, ms);

        if (n < 0 && errno != EINTR)
        {
            log_line("poll: %s", strerror(errno));
            return 0;
        }
        if (n > 0 && (fds[0].revents & POLLIN))
            while (read(wake_pipe[0], drain, sizeof(drain)) > 0)
                ;
        if (stop_signal)
            return -1;
        if (n > 0 && nfds == 2 && fds[1].revents)
            return 1;
    }
}

/* ------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------ */
static const char *
env(const char *name)
{
    const char *v = getenv(name);

    return v && v[0] ? v : NULL;
}

static int
env_bool(const char *name, int dflt, buf_t *problems)
{
    const char *v = env(name);

    if (v == NULL)
        return dflt;
    if (!strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
        return 1;
    if (!strcasecmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off"))
        return 0;
    buf_printf(problems, "  %s is \"%s\": use 1 or 0\n", name, v);
    return dflt;
}

static long
env_long(const char *name, long dflt, long min, long max, const char *unit, buf_t *problems)
{
    const char *v = env(name);
    char       *end;

    if (v == NULL)
        return dflt;
    errno = 0;
    long        n = strtol(v, &end, 10);

    if (errno || end == v || *end != '\0' || n < min || n > max)
    {
        buf_printf(problems, "  %s is \"%s\": it must be a whole number of %s from %ld to %ld\n",
                   name, v, unit, min, max);
        return dflt;
    }
    return n;
}

static char *
read_password_file(const char *path, buf_t *problems)
{
    FILE       *f = fopen(path, "r");
    char        line[1024];

    if (f == NULL)
    {
        buf_printf(problems, "  DUNNING_SMTP_PASSWORD_FILE %s cannot be read: %s\n", path, strerror(errno));
        return NULL;
    }
    if (fgets(line, sizeof(line), f) == NULL)
        line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] == '\0')
    {
        buf_printf(problems, "  DUNNING_SMTP_PASSWORD_FILE %s is empty\n", path);
        return NULL;
    }
    return strdup(line);
}

/* Reads the environment into cfg; every problem found is one line. */
static void
load_config(buf_t *problems)
{
    const char *v;

    memset(&cfg, 0, sizeof(cfg));
    cfg.dsn = env("DUNNING_SENDER_DSN");
    if (cfg.dsn == NULL)
        cfg.dsn = "";

    v = env("DUNNING_SENDER_NAME");
    if (v && strspn(v, " \t") == strlen(v))
        v = NULL;
    if (v)
        cfg.sender_name = strdup(v);
    else
    {
        char        host[256];
        buf_t       name;

        if (gethostname(host, sizeof(host)) < 0)
            strcpy(host, "localhost");
        host[sizeof(host) - 1] = '\0';
        buf_init(&name);
        buf_printf(&name, "%s-%ld", host, (long) getpid());
        cfg.sender_name = name.data;
    }

    cfg.smtp_url = env("DUNNING_SMTP_URL");
    if (cfg.smtp_url == NULL)
        buf_puts(problems, "  DUNNING_SMTP_URL is not set: the SMTP server that emails go through, "
                 "such as smtp://127.0.0.1:25 or smtps://mail.example.com:465\n");
    else if (strncasecmp(cfg.smtp_url, "smtp://", 7) != 0 && strncasecmp(cfg.smtp_url, "smtps://", 8) != 0)
        buf_printf(problems, "  DUNNING_SMTP_URL is \"%s\": it must start with smtp:// or smtps://\n", cfg.smtp_url);

    cfg.smtp_from = env("DUNNING_SMTP_FROM");
    if (cfg.smtp_from == NULL)
        buf_puts(problems, "  DUNNING_SMTP_FROM is not set: the sender address of the emails, "
                 "such as ar@example.com or \"Accounts receivable <ar@example.com>\"\n");
    else if (parse_from(cfg.smtp_from, &cfg.from_addr, &cfg.from_name))
        buf_printf(problems, "  DUNNING_SMTP_FROM is \"%s\": not an email address\n", cfg.smtp_from);

    cfg.smtp_user = env("DUNNING_SMTP_USER");
    v = env("DUNNING_SMTP_PASSWORD");
    if (v)
        cfg.smtp_password = strdup(v);
    else if ((v = env("DUNNING_SMTP_PASSWORD_FILE")) != NULL)
        cfg.smtp_password = read_password_file(v, problems);
    if (cfg.smtp_user && cfg.smtp_password == NULL && env("DUNNING_SMTP_PASSWORD_FILE") == NULL)
        buf_puts(problems, "  DUNNING_SMTP_USER is set but neither DUNNING_SMTP_PASSWORD nor "
                 "DUNNING_SMTP_PASSWORD_FILE is\n");
    if (cfg.smtp_user == NULL && cfg.smtp_password != NULL)
        buf_puts(problems, "  DUNNING_SMTP_PASSWORD is set but DUNNING_SMTP_USER is not\n");

    v = env("DUNNING_SMTP_TLS");
    if (v == NULL || !strcasecmp(v, "try"))
        cfg.smtp_tls = TLS_TRY;
    else if (!strcasecmp(v, "required"))
        cfg.smtp_tls = TLS_REQUIRED;
    else if (!strcasecmp(v, "off"))
        cfg.smtp_tls = TLS_OFF;
    else
        buf_printf(problems, "  DUNNING_SMTP_TLS is \"%s\": use off, try or required\n", v);
    if (cfg.smtp_url && strncasecmp(cfg.smtp_url, "smtps://", 8) == 0 && cfg.smtp_tls == TLS_OFF)
        buf_puts(problems, "  DUNNING_SMTP_TLS is off but DUNNING_SMTP_URL is smtps://\n");
    cfg.smtp_ca_file = env("DUNNING_SMTP_CA_FILE");
    if (cfg.smtp_ca_file && access(cfg.smtp_ca_file, R_OK) < 0)
        buf_printf(problems, "  DUNNING_SMTP_CA_FILE %s cannot be read: %s\n", cfg.smtp_ca_file, strerror(errno));
    cfg.smtp_insecure = env_bool("DUNNING_SMTP_INSECURE", 0, problems);
    cfg.smtp_timeout = env_long("DUNNING_SMTP_TIMEOUT", 60, 1, 3600, "seconds", problems);

    v = env("DUNNING_MESSAGE_ID_DOMAIN");
    if (v)
    {
        if (strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != strlen(v))
            buf_printf(problems, "  DUNNING_MESSAGE_ID_DOMAIN is \"%s\": use a domain name (letters, digits, dots, hyphens)\n", v);
        cfg.msgid_domain = strdup(v);
    }
    else if (cfg.from_addr)
    {
        const char *domain = strrchr(cfg.from_addr, '@');

        cfg.msgid_domain = strdup(domain ? domain + 1 : "localhost");
    }

    cfg.letter_dir = env("DUNNING_LETTER_DIR");
    if (cfg.letter_dir == NULL)
        buf_puts(problems, "  DUNNING_LETTER_DIR is not set: the folder that letters are written to, as HTML files\n");
    else if (access(cfg.letter_dir, F_OK) < 0)
        buf_printf(problems, "  DUNNING_LETTER_DIR %s does not exist: %s\n", cfg.letter_dir, strerror(errno));
    else if (access(cfg.letter_dir, W_OK | X_OK) < 0)
        buf_printf(problems, "  DUNNING_LETTER_DIR %s is not writable: %s\n", cfg.letter_dir, strerror(errno));
    else
    {
        int         fd = open(cfg.letter_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
            buf_printf(problems, "  DUNNING_LETTER_DIR %s is not a folder: %s\n", cfg.letter_dir, strerror(errno));
        else
            close(fd);
    }

    cfg.batch = (int) env_long("DUNNING_BATCH", 10, 1, 1000, "messages", problems);
    cfg.lease = env("DUNNING_LEASE");
    if (cfg.lease == NULL)
        cfg.lease = "5 minutes";
    cfg.retry_in = env("DUNNING_RETRY_IN");
    if (cfg.retry_in == NULL)
        cfg.retry_in = "5 minutes";
    cfg.idle_wait = env_long("DUNNING_IDLE_WAIT", 30, 1, 86400, "seconds", problems);
    cfg.once = env_bool("DUNNING_ONCE", 0, problems);
}

static void refuse_to_start(const buf_t *problems) __attribute__((noreturn));

static void
refuse_to_start(const buf_t *problems)
{
    fprintf(stderr, "dunning-sender: the configuration is incomplete or invalid, not starting:\n%s"
            "Every variable is described in sender/README.md (dunning-sender --help lists them).\n",
            problems->data);
    exit(EXIT_CONFIG);
}

static void
usage(FILE *out)
{
    fputs("dunning-sender " SENDER_VERSION ": delivers the dunning outbox (emails over SMTP, letters as HTML files)\n"
          "\n"
          "Usage: dunning-sender [--check]\n"
          "  --check    check the configuration, the database and the SMTP server, then exit\n"
          "\n"
          "Configuration, from the environment:\n"
          "  PGHOST, PGPORT, PGDATABASE, PGUSER, ...  the database (libpq), unless DUNNING_SENDER_DSN\n"
          "  DUNNING_SENDER_DSN          a libpq connection string or URI\n"
          "  DUNNING_SENDER_NAME         the sender's name in claims (default hostname-pid)\n"
          "  DUNNING_SMTP_URL            required: smtp://host:port or smtps://host:port\n"
          "  DUNNING_SMTP_FROM           required: ar@example.com or \"Name <ar@example.com>\"\n"
          "  DUNNING_SMTP_USER, DUNNING_SMTP_PASSWORD or DUNNING_SMTP_PASSWORD_FILE   SMTP login\n"
          "  DUNNING_SMTP_TLS            off, try (default) or required (STARTTLS)\n"
          "  DUNNING_SMTP_CA_FILE        CA certificates to verify the SMTP server with\n"
          "  DUNNING_SMTP_INSECURE       1: do not verify the SMTP server's certificate\n"
          "  DUNNING_SMTP_TIMEOUT        seconds allowed per email (default 60)\n"
          "  DUNNING_MESSAGE_ID_DOMAIN   right side of Message-ID (default the From domain)\n"
          "  DUNNING_LETTER_DIR          required: folder for letters (<message_id>-<customer_id>.html)\n"
          "  DUNNING_BATCH               messages per claim (default 10)\n"
          "  DUNNING_LEASE               lease per claim (default '5 minutes')\n"
          "  DUNNING_RETRY_IN            delay before a failed message is retried (default '5 minutes')\n"
          "  DUNNING_IDLE_WAIT           seconds to wait for NOTIFY before claiming again (default 30)\n"
          "  DUNNING_ONCE                1: deliver what is claimable, then exit\n"
          "\n"
          "Exit codes: 0 stopped (SIGTERM, SIGINT) or done (DUNNING_ONCE), 1 runtime failure, 2 configuration.\n",
          out);
}

/* ------------------------------------------------------------------------
 * The database
 * ------------------------------------------------------------------------ */
static PGconn *
connect_db(void)
{
    const char *const keys[] = {"dbname", "fallback_application_name", "client_encoding", NULL};
    const char *const values[] = {cfg.dsn, "dunning-sender", "UTF8", NULL};
    PGconn     *conn = PQconnectdbParams(keys, values, 1);

    if (conn == NULL)
    {
        log_line("cannot connect to the database: out of memory");
        return NULL;
    }
    if (PQstatus(conn) != CONNECTION_OK)
    {
        log_line("cannot connect to the database: %s", pq_error(conn, NULL));
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeProcessor(conn, log_notice, NULL);
    PGresult   *res = PQexec(conn, "LISTEN dunning_outbox");

    if (PQresultStatus(res) != PGRES_COMMAND_OK)
    {
        log_line("LISTEN dunning_outbox failed: %s", pq_error(conn, res));
        PQclear(res);
        PQfinish(conn);
        return NULL;
    }
    PQclear(res);
    return conn;
}

/*
 * Connects again after a lost connection, waiting 1, 2, 4 ... 60 seconds
 * between tries.  Gives up when a stop is asked for, or after 5 tries in
 * DUNNING_ONCE mode.  Returns the connection, or NULL.
 */
static PGconn *
reconnect(PGconn *old)
{
    double      delay = 1;

    if (old)
        PQfinish(old);
    for (int attempt = 1;; attempt++)
    {
        if (stop_signal)
            return NULL;
        PGconn     *conn = connect_db();

        if (conn)
        {
            log_line("connected to the database again");
            return conn;
        }
        if (cfg.once && attempt >= 5)
            return NULL;
        log_line("trying again in %.0f s", delay);
        if (wait_for(-1, delay) < 0)
            return NULL;
        delay = delay * 2 > 60 ? 60 : delay * 2;
    }
}

/*
 * What the server says of the lease and retry delay, of the role and of
 * the extension: configuration problems, reported before starting.
 */
static void
check_with_server(PGconn *conn, buf_t *problems)
{
    const char *params[2] = {cfg.lease, cfg.retry_in};
    PGresult   *res;

    for (int i = 0; i < 2; i++)
    {
        const char *name = i == 0 ? "DUNNING_LEASE" : "DUNNING_RETRY_IN";

        res = PQexecParams(conn, "SELECT extract(epoch FROM $1::interval)::float8", 1, NULL, &params[i], NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
            buf_printf(problems, "  %s is \"%s\": not an interval (%s)\n", name, params[i], pq_error(conn, res));
        else
        {
            double      s = strtod(PQgetvalue(res, 0, 0), NULL);

            if (i == 0 && (s < 1 || s > 86400))
                buf_printf(problems, "  DUNNING_LEASE is \"%s\": it must be between 1 second and 1 day\n", cfg.lease);
            else if (i == 0 && s <= (double) cfg.smtp_timeout + 5)
                buf_printf(problems, "  DUNNING_LEASE is \"%s\" (%.0f s): it must be longer than "
                           "DUNNING_SMTP_TIMEOUT + 5 s (%ld s), the most one email may take\n",
                           cfg.lease, s, cfg.smtp_timeout + 5);
            else if (i == 1 && (s < 0 || s > 7 * 86400))
                buf_printf(problems, "  DUNNING_RETRY_IN is \"%s\": it must be between 0 and 7 days\n", cfg.retry_in);
            if (i == 0)
                cfg.lease_seconds = s;
        }
        PQclear(res);
    }

    /* CASE: to_regprocedure() raises without USAGE on the schema */
    res = PQexec(conn, "SELECT current_user, current_database(), "
                 "EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'dunning'), "
                 "CASE WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = 'dunning') "
                 "       OR NOT has_schema_privilege('dunning', 'USAGE') THEN false "
                 "ELSE has_function_privilege(to_regprocedure('dunning.claim(text,integer,interval)'), 'EXECUTE') "
                 " AND has_function_privilege(to_regprocedure('dunning.ack(bigint,uuid)'), 'EXECUTE') "
                 " AND has_function_privilege(to_regprocedure('dunning.nack(bigint,uuid,text,interval)'), 'EXECUTE') "
                 "END");
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        buf_printf(problems, "  the database cannot be checked: %s\n", pq_error(conn, res));
    else if (strcmp(PQgetvalue(res, 0, 2), "t") != 0)
        buf_printf(problems, "  the extension dunning is not installed in database %s (connection: %s)\n",
                   PQgetvalue(res, 0, 1), cfg.dsn[0] ? "DUNNING_SENDER_DSN" : "the PG* variables");
    else if (strcmp(PQgetvalue(res, 0, 3), "t") != 0)
        buf_printf(problems, "  role %s may not call dunning.claim, ack and nack in database %s: "
                   "GRANT dunning_sender TO %s\n",
                   PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0));
    else if (problems->len == 0)
        log_line("database %s as role %s, sender name %s", PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0),
                 cfg.sender_name);
    PQclear(res);
}

/* Notifications read so far are dropped: the next claim sees their messages. */
static void
drain_notifications(PGconn *conn)
{
    PGnotify   *n;

    PQconsumeInput(conn);
    while ((n = PQnotifies(conn)) != NULL)
        PQfreemem(n);
}

/*
 * After an empty claim: waits for NOTIFY dunning_outbox up to
 * DUNNING_IDLE_WAIT seconds.  Returns 0 (claim again), -1 when the
 * connection is lost, -2 on a stop.
 */
static int
wait_for_work(PGconn *conn)
{
    double      deadline = mono_now() + (double) cfg.idle_wait;

    for (;;)
    {
        PGnotify   *n;
        int         woken = 0;

        if (!PQconsumeInput(conn))
            return -1;
        while ((n = PQnotifies(conn)) != NULL)
        {
            woken = 1;
            PQfreemem(n);
        }
        if (woken)
            return 0;
        double      left = deadline - mono_now();

        if (left <= 0)
            return 0;
        int         r = wait_for(PQsocket(conn), left);

        if (r < 0)
            return -2;
        if (r == 0)
            return 0;
    }
}

/* ------------------------------------------------------------------------
 * Reporting
 * ------------------------------------------------------------------------ */
enum report_result
{
    REPORTED,                   /* done; outcome holds failed or dead for a nack */
    REFUSED,                    /* SQLSTATE 55000: this token no longer holds the message */
    REPORT_ERROR,               /* another error; nothing recorded */
    REPORT_LOST                 /* no connection, and none to be had */
};

/*
 * ack (error NULL) or nack (error and retry_in).  A lost connection is
 * made again and the same call repeated: a repeated ack with the same
 * token is accepted; a repeated nack is refused when the first one
 * committed, which the log then says.
 */
static enum report_result
report(PGconn **conn, const message_t *m, const char *error, const char *retry_in, buf_t *outcome)
{
    const char *params[4] = {m->message_id, m->token, error, retry_in};
    int         again = 0;

    for (;;)
    {
        PGresult   *res;

        if (*conn == NULL || PQstatus(*conn) != CONNECTION_OK)
        {
            *conn = reconnect(*conn);
            if (*conn == NULL)
                return REPORT_LOST;
        }
        if (error == NULL)
            res = PQexecParams(*conn, "SELECT dunning.ack($1::bigint, $2::uuid)", 2, NULL, params, NULL, NULL, 0);
        else
            res = PQexecParams(*conn, "SELECT dunning.nack($1::bigint, $2::uuid, $3::text, $4::interval)",
                               4, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) == PGRES_TUPLES_OK)
        {
            buf_puts(outcome, error ? PQgetvalue(res, 0, 0) : "sent");
            PQclear(res);
            return REPORTED;
        }
        if (PQstatus(*conn) != CONNECTION_OK && !again)
        {
            log_line("message %s: the connection was lost while reporting it (%s); connecting again to repeat the %s",
                     m->message_id, pq_error(*conn, res), error ? "nack" : "ack");
            PQclear(res);
            again = 1;
            continue;
        }
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        enum report_result r = state && strcmp(state, "55000") == 0 ? REFUSED : REPORT_ERROR;

        buf_puts(outcome, pq_error(*conn, res));
        if (again && r == REFUSED && error)
            buf_puts(outcome, " (the nack before the lost connection may have been recorded)");
        PQclear(res);
        return r;
    }
}

/* The start of a message's log line. */
static void
describe(buf_t *line, const message_t *m)
{
    buf_printf(line, "message %s %s ", m->message_id, m->media);
    buf_puts(line, strcmp(m->media, "email") == 0 ? "to " : "for ");
    log_escape(line, m->recipient);
    buf_puts(line, " (customer ");
    log_escape(line, m->customer_id);
    buf_printf(line, ", action %s, attempt %d)", m->action_id, m->attempt);
}

/* nack with the error; logs the outcome. */
static int
report_failure(PGconn **conn, const message_t *m, const char *why, const char *retry_in, const char *what)
{
    buf_t       line;
    buf_t       outcome;

    buf_init(&line);
    buf_init(&outcome);
    describe(&line, m);
    enum report_result r = report(conn, m, why, retry_in, &outcome);

    switch (r)
    {
        case REPORTED:
            if (strcmp(outcome.data, "dead") == 0)
            {
                count.dead++;
                log_line("%s: %s, dead (no attempt left): %s", line.data, what, why);
            }
            else
            {
                count.failed++;
                log_line("%s: %s, failed, retried in %s: %s", line.data, what, retry_in, why);
            }
            break;
        case REFUSED:
            count.refused++;
            log_line("%s: %s (%s); the nack was refused: %s", line.data, what, why, outcome.data);
            break;
        case REPORT_ERROR:
            log_line("%s: %s (%s); the nack failed: %s", line.data, what, why, outcome.data);
            break;
        case REPORT_LOST:
            log_line("%s: %s (%s); not reported: no database connection", line.data, what, why);
            break;
    }
    buf_free(&line);
    buf_free(&outcome);
    return r == REPORT_LOST ? -1 : 0;
}

/* Delivers one message and reports it.  Returns -1 when the database is gone. */
static int
handle_message(PGconn **conn, const message_t *m)
{
    buf_t       error;
    buf_t       path;
    buf_t       line;
    buf_t       outcome;
    int         rc;
    int         gone = 0;

    buf_init(&error);
    buf_init(&path);
    if (strcmp(m->media, "email") == 0 && smtp_state.down)
    {
        buf_printf(&error, "not tried: the SMTP server failed on an earlier email (%s)", smtp_state.why.data);
        rc = -1;
    }
    else if (strcmp(m->media, "email") == 0)
    {
        rc = deliver_email(&cfg, m, &error);
        if (rc == SERVER_FAILED)
        {
            smtp_state.down = 1;
            buf_reset(&smtp_state.why);
            buf_puts(&smtp_state.why, error.data);
            log_line("the SMTP server failed (%s): the other emails of this batch are given back untried, "
                     "and nothing is claimed until it answers again", error.data);
        }
    }
    else if (strcmp(m->media, "letter") == 0)
        rc = deliver_letter(&cfg, m, &error, &path);
    else
    {
        buf_printf(&error, "media %s is not delivered by dunning-sender", m->media);
        rc = -1;
    }

    if (rc != 0)
        gone = report_failure(conn, m, error.data, cfg.retry_in, "not delivered");
    else
    {
        buf_init(&line);
        buf_init(&outcome);
        describe(&line, m);
        if (path.len > 0)
            buf_printf(&line, " written to %s", path.data);
        switch (report(conn, m, NULL, NULL, &outcome))
        {
            case REPORTED:
                count.sent++;
                log_line("%s: sent", line.data);
                break;
            case REFUSED:
                count.refused++;
                log_line("%s: delivered, but the ack was refused: %s", line.data, outcome.data);
                break;
            case REPORT_ERROR:
                log_line("%s: delivered, but the ack failed: %s", line.data, outcome.data);
                break;
            case REPORT_LOST:
                log_line("%s: delivered, but not acknowledged: no database connection", line.data);
                gone = -1;
                break;
        }
        buf_free(&line);
        buf_free(&outcome);
    }
    buf_free(&error);
    buf_free(&path);
    return gone;
}

static const char claim_sql[] =
    "SELECT c.message_id, c.token, c.attempt, c.action_id, c.customer_id, c.media, "
    "c.recipient, c.subject, c.body, c.payload ->> 'customer_name' "
    "FROM dunning.claim($1::text, $2::integer, $3::interval) AS c";

static void
row_message(const PGresult *res, int row, message_t *m)
{
#define COL(i) (PQgetisnull(res, row, (i)) ? NULL : PQgetvalue(res, row, (i)))
    m->message_id = COL(0);
    m->token = COL(1);
    m->attempt = atoi(PQgetvalue(res, row, 2));
    m->action_id = COL(3);
    m->customer_id = COL(4);
    m->media = COL(5);
    m->recipient = COL(6);
    m->subject = COL(7);
    m->body = COL(8) ? COL(8) : "";
    m->customer_name = COL(9);
#undef COL
}

/*
 * Claims and delivers until stopped (or, with DUNNING_ONCE, until a claim
 * hands out nothing).  Returns the exit code.
 */
static int
run(PGconn *conn)
{
    char        batch[16];
    const char *params[3] = {cfg.sender_name, batch, cfg.lease};
    double      margin = (double) cfg.smtp_timeout + 5;
    double      claim_backoff = 1;

    double      smtp_backoff = 1;
    buf_t       probe;

    buf_init(&probe);
    snprintf(batch, sizeof(batch), "%d", cfg.batch);
    while (!stop_signal)
    {
        if (smtp_state.down)
        {
            buf_reset(&probe);
            if (smtp_probe(&cfg, &probe) == 0)
            {
                log_line("the SMTP server answers: %s", cfg.smtp_url);
                smtp_state.down = 0;
                smtp_backoff = 1;
            }
            else if (cfg.once)
            {
                log_line("the SMTP server is unavailable (%s): claiming nothing", probe.data);
                buf_free(&probe);
                if (conn)
                    PQfinish(conn);
                return EXIT_RUNTIME;
            }
            else
            {
                log_line("the SMTP server is unavailable (%s): claiming nothing, trying again in %.0f s",
                         probe.data, smtp_backoff);
                if (wait_for(-1, smtp_backoff) < 0)
                    break;
                smtp_backoff = smtp_backoff * 2 > 60 ? 60 : smtp_backoff * 2;
                continue;
            }
        }
        if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
        {
            log_line("the database connection is lost: %s", conn ? pq_error(conn, NULL) : "no connection");
            conn = reconnect(conn);
            if (conn == NULL)
                break;
        }
        drain_notifications(conn);
        double      claimed_at = mono_now();
        PGresult   *res = PQexecParams(conn, claim_sql, 3, NULL, params, NULL, NULL, 0);

        if (PQresultStatus(res) != PGRES_TUPLES_OK)
        {
            if (PQstatus(conn) == CONNECTION_OK)
            {
                log_line("claim failed: %s", pq_error(conn, res));
                PQclear(res);
                if (cfg.once)
                {
                    PQfinish(conn);
                    buf_free(&probe);
                    return EXIT_RUNTIME;
                }
                if (wait_for(-1, claim_backoff) < 0)
                    break;
                claim_backoff = claim_backoff * 2 > 60 ? 60 : claim_backoff * 2;
            }
            else
                PQclear(res);
            continue;
        }
        claim_backoff = 1;
        int         n = PQntuples(res);

        if (n == 0)
        {
            PQclear(res);
            if (cfg.once)
                break;
            if (wait_for_work(conn) == -2)
                break;
            continue;
        }

        double      deadline = claimed_at + cfg.lease_seconds;

        for (int i = 0; i < n; i++)
        {
            message_t   m;

            row_message(res, i, &m);
            if (stop_signal)
            {
                /* not started: back to the queue now rather than at the end of the lease */
                count.given_back++;
                if (report_failure(&conn, &m, "not delivered: the sender stopped before delivering it", "0",
                                   "given back") < 0)
                    break;
                continue;
            }
            if (mono_now() + margin > deadline)
            {
                buf_t       why;

                buf_init(&why);
                buf_printf(&why, "not delivered: %.0f s of the lease were left, less than an email may take (%.0f s)",
                           deadline - mono_now(), margin);
                count.given_back++;
                int         gone = report_failure(&conn, &m, why.data, "0", "given back");

                buf_free(&why);
                if (gone < 0)
                    break;
                continue;
            }
            if (handle_message(&conn, &m) < 0)
                break;
        }
        PQclear(res);
        if (conn == NULL)
        {
            if (stop_signal)
                break;
            log_line("the database cannot be reached");
            buf_free(&probe);
            return EXIT_RUNTIME;
        }
    }
    buf_free(&probe);
    if (conn)
        PQfinish(conn);
    return 0;
}

int
main(int argc, char **argv)
{
    buf_t       problems;
    int         check_only = 0;

    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
    {
        usage(stdout);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "--version"))
    {
        puts("dunning-sender " SENDER_VERSION);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "--check"))
        check_only = 1;
    else if (argc != 1)
    {
        usage(stderr);
        return EXIT_CONFIG;
    }

    buf_init(&problems);
    load_config(&problems);
    if (problems.len > 0)
        refuse_to_start(&problems);

    setup_signals();
    if (smtp_setup() < 0)
    {
        log_line("libcurl cannot be initialised");
        return EXIT_RUNTIME;
    }

    PGconn     *conn = connect_db();

    if (conn == NULL)
        return EXIT_RUNTIME;
    check_with_server(conn, &problems);
    if (problems.len > 0)
    {
        PQfinish(conn);
        refuse_to_start(&problems);
    }
    buf_free(&problems);
    if (check_only)
    {
        buf_t       why;

        PQfinish(conn);
        buf_init(&why);
        if (smtp_probe(&cfg, &why) < 0)
        {
            log_line("the configuration is complete, but the SMTP server is unavailable: %s", why.data);
            return EXIT_RUNTIME;
        }
        log_line("the configuration is complete; the database and the SMTP server answer");
        buf_free(&why);
        smtp_cleanup();
        return 0;
    }
    log_line("dunning-sender " SENDER_VERSION " started: SMTP %s, letters in %s, batch %d, lease %s, retry in %s%s",
             cfg.smtp_url, cfg.letter_dir, cfg.batch, cfg.lease, cfg.retry_in,
             cfg.once ? ", once" : "");

    buf_init(&smtp_state.why);
    smtp_state.down = 1;        /* probed before the first claim */
    int         code = run(conn);

    if (stop_signal)
        log_line("stopped by %s", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    log_line("%ld sent, %ld failed, %ld dead, %ld refused reports, %ld given back; exiting with %d",
             count.sent, count.failed, count.dead, count.refused, count.given_back, code);
    smtp_cleanup();
    return code;
}
