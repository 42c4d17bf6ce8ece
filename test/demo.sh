#!/usr/bin/env bash
#
# The demo: builds and installs dunning, starts a throwaway PostgreSQL 15
# cluster with pg_cron preloaded, creates the extension in a database named
# dunning_demo with the sample ledger of a French SME (test/data/
# sample_ledger.sql), shows the default configuration and the ledger, then
# runs a collector's day: plan 2026-06-30, review, untick, send, download,
# plan again ten days later, then a nightly run that queues the emails and a
# sender that claims and acknowledges them.
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

say "ten days later: SELECT dunning.plan('2026-07-10')"
q -c "SELECT dunning.plan('2026-07-10') AS run_id"
q -c "SELECT media, step, level, currency, actions, selected_actions, selected_amount
        FROM dunning.batch ORDER BY media, step, currency"

say "the nightly run (seed 004): auto_send on the email steps, then SELECT dunning.run_nightly('2026-07-20')"
q -c "UPDATE dunning.step SET auto_send = true WHERE media = 'email'"
q -c "SELECT dunning.run_nightly('2026-07-20') AS run_id"
q -c "SELECT run_id, as_of, proposals, selected, queued FROM dunning.run ORDER BY run_id"

say "a sender application claims three messages (dunning.claim), then delivers and acknowledges the rest"
q -c "SELECT message_id, attempt, media, recipient, subject FROM dunning.claim('demo-sender', 3)"
q -c "SELECT count(*) AS delivered_and_acked
        FROM (SELECT dunning.ack(c.message_id, c.token) FROM dunning.claim('demo-sender', 1000) AS c) AS a"
q -c "SELECT media, status, messages FROM dunning.outbox_status ORDER BY media, status"

say "done: dunning planned, sent and recorded a day of reminders on the sample ledger"
