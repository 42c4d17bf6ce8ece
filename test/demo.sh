#!/usr/bin/env bash
#
# The demo: builds and installs dunning, starts a throwaway PostgreSQL 15
# cluster with pg_cron preloaded, creates the extension in a database named
# dunning_demo with the sample ledger of a French SME (test/data/
# sample_ledger.sql), shows the default configuration and the ledger, then
# runs a collector's day: plan 2026-06-30, review, untick, send, download;
# then a month of nights (2026-07-01 to 2026-07-30): run_nightly plans and
# queues, some invoices are paid, and the reference sender delivers to a
# local SMTP sink and a letters folder; then a summary.  The letters and
# emails stay in a folder it prints (DEMO_OUT=dir to choose it).
# The cluster is stopped and removed at the end; KEEP_CLUSTER=1 keeps it
# running and prints how to connect.
#
#   sudo test/demo.sh

source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"

ensure_packages
build_and_install
start_cluster dunning_demo

createdb dunning_demo
export PGDATABASE=dunning_demo
q() { psql -X -q -v ON_ERROR_STOP=1 -P footer=off "$@"; }

q -c 'CREATE EXTENSION dunning'
q -f "$ROOT/test/data/sample_ledger.sql"
# The company block of letters and the signature of emails.
q -c "UPDATE dunning.settings SET company_name = 'Atelier Durand SARL',
             company_address = E'ZA des Forges, 14 rue de l''Industrie\\n69800 Saint-Priest\\nSIREN 512 345 678'"

say "settings (one row)"
q -x -c 'SELECT * FROM dunning.settings'

say "the Standard profile's enabled steps (dunning.scenario_overview)"
q -c "SELECT profile, audience, step, days, counted_from, media, template, auto_send
        FROM dunning.scenario_overview WHERE enabled ORDER BY profile, audience, step"

say "templates"
q -c "SELECT template_id, name, media, language, subject FROM dunning.template ORDER BY name, language"

say "the sample ledger"
q -c "SELECT count(*) AS customers,
             count(*) FILTER (WHERE coalesce(btrim(email), '') = '') AS without_email,
             count(*) FILTER (WHERE in_dispute) AS in_dispute,
             count(*) FILTER (WHERE stop_dunning) AS stop_dunning
        FROM dunning.customer"
q -c "SELECT kind, currency, count(*) AS entries, sum(open_amount) AS open_amount
        FROM dunning.entry GROUP BY kind, currency ORDER BY kind, currency"

say "open debit entries by age on 2026-06-30 (the date the planner will use)"
q -c "SELECT CASE WHEN due_date IS NULL THEN 'no due date'
                  WHEN due_date >= date '2026-06-30' THEN '0 not yet due'
                  WHEN due_date >= date '2026-06-30' - 30 THEN '1 1-30 days'
                  WHEN due_date >= date '2026-06-30' - 60 THEN '2 31-60 days'
                  WHEN due_date >= date '2026-06-30' - 90 THEN '3 61-90 days'
                  ELSE '4 over 90 days' END AS overdue,
             currency, count(*) AS entries, sum(open_amount) AS open_amount
        FROM dunning.entry WHERE open_amount > 0
        GROUP BY 1, 2 ORDER BY 1, 2"

say "planning 2026-06-30: SELECT dunning.plan('2026-06-30')"
q -c "SELECT dunning.plan('2026-06-30') AS run_id"
q -c "SELECT run_id, as_of, entries, proposals, selected, anomalies FROM dunning.run ORDER BY run_id"

say "the batches to review (dunning.batch)"
q -c "SELECT media, profile, step, level, currency, actions, selected_actions, selected_amount
        FROM dunning.batch ORDER BY media, step, currency"

say "excluded or flagged proposals (dunning.proposal)"
q -c "SELECT action_id, customer_name, step, amount, currency, selected, exclusion_reason,
             customer_in_dispute, has_disputed_entries
        FROM dunning.proposal
       WHERE NOT selected OR customer_in_dispute OR has_disputed_entries ORDER BY action_id"

say "rows the run skipped (dunning.anomaly)"
q -c "SELECT customer_id, entry_id, reason FROM dunning.anomaly ORDER BY entry_id"

say "why customer C024 gets what it gets (dunning.explain)"
q -c "SELECT entry_id, due_date, open_amount, currency, level, next_step, next_due_on, verdict
        FROM dunning.explain('C024', '2026-06-30')"

say "a collector unticks C003's reminder, then sends the emails and downloads the letters"
q -c "SELECT dunning.untick(action_id) FROM dunning.action WHERE customer_id = 'C003' AND step = 'R1' AND status = 'proposed'" >/dev/null
q -c "SELECT dunning.send('email', executed_on => '2026-06-30') AS emails_queued"
q -c "SELECT count(*) AS letters_downloaded FROM dunning.download_letters(executed_on => '2026-06-30')"
q -c "SELECT collector, count(*) AS calls_to_make FROM dunning.todo GROUP BY collector ORDER BY collector"

say "what happened (dunning.activity) and where the entries stand (dunning.entry_state)"
q -c "SELECT status, media, step, count(*) FROM dunning.activity GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
q -c "SELECT level, count(*) AS entries, sum(reminder_count) AS reminders FROM dunning.entry_state GROUP BY level ORDER BY level"

say "a month of nights, 2026-07-01 to 2026-07-30 (seed 004): auto_send on every email and letter step;"
say "each night run_nightly plans and queues, customers pay some invoices, and the reference sender"
say "(sender/dunning-sender) delivers the emails to a local SMTP sink and writes the letters to a folder"
q -c "UPDATE dunning.step SET auto_send = true WHERE media IN ('email', 'letter')"
OUT=${DEMO_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/dunning-demo.XXXXXX")}   # kept after the demo
mkdir -p "$OUT/letters" "$OUT/mail/tmp" "$OUT/mail/new" "$OUT/mail/cur"   # the sink writes a Maildir
# Debian's aiosmtpd module is for /usr/bin/python3 (a python3 earlier on PATH may lack it).
SMTP_PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$OUT/mail" \
    >"$OUT/smtp.log" 2>&1 &
SMTP_PID=$!
trap 'kill $SMTP_PID 2>/dev/null; stop_cluster' EXIT
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null && break
    sleep 0.1
done
q -c "CREATE ROLE demo_sender LOGIN; GRANT dunning_sender TO demo_sender"
for day in $(seq 1 30); do
    d=$(printf '2026-07-%02d' "$day")
    # Payments of the day: about one overdue invoice in twelve, the same every run.
    q -c "UPDATE dunning.entry SET open_amount = 0, settled_on = '$d', settled_by = 'payment'
           WHERE kind = 'invoice' AND open_amount > 0 AND due_date < '$d'
             AND abs(hashtext(entry_id || '$d')) % 12 = 0" >/dev/null
    q -c "SELECT dunning.run_nightly('$d')" >/dev/null
    PGUSER=demo_sender DUNNING_ONCE=1 DUNNING_SENDER_NAME=demo-sender DUNNING_BATCH=50 \
        DUNNING_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" DUNNING_SMTP_TLS=off \
        DUNNING_SMTP_FROM='Atelier Durand SARL <compta@atelier-durand.example>' \
        DUNNING_LETTER_DIR="$OUT/letters" "$ROOT/sender/dunning-sender" 2>>"$OUT/sender.log"
done
q -c "SELECT r.as_of, r.proposals, r.selected, r.queued FROM dunning.run r
       WHERE r.as_of >= '2026-07-01' ORDER BY r.run_id"

say "the month in figures: reminders executed per level and media (dunning.reminders_per_day)"
q -c "SELECT level, media, sum(actions) AS reminders, sum(sent) AS sent, sum(done) AS done,
             sum(cancelled) AS cancelled
        FROM dunning.reminders_per_day WHERE executed_on BETWEEN '2026-07-01' AND '2026-07-30'
       GROUP BY level, media ORDER BY level, media"
say "the outbox after the month (dunning.outbox_status), and what the sink received"
q -c "SELECT media, status, messages FROM dunning.outbox_status ORDER BY media, status"
echo "emails in the SMTP sink: $(find "$OUT/mail" -type f -path '*/new/*' | wc -l); letters written: $(find "$OUT/letters" -name '*.html' | wc -l)"
say "amount still to collect on 2026-07-31, per currency (dunning.ageing_on)"
q -c "SELECT currency, sum(overdue) AS overdue, sum(not_due) AS not_yet_due, sum(balance) AS balance,
             count(*) FILTER (WHERE overdue > 0) AS customers_overdue
        FROM dunning.ageing_on('2026-07-31') GROUP BY currency ORDER BY currency"
say "the month's letters, to open in a browser: $OUT/letters (e.g. $(ls "$OUT/letters" | head -1))"
say "the emails as the SMTP server received them: $OUT/mail/new"

say "done: dunning planned, sent and recorded a month of reminders on the sample ledger"
