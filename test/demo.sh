#!/usr/bin/env bash
#
# The demo: builds and installs dunning, starts a throwaway PostgreSQL 15
# cluster with pg_cron preloaded, creates the extension in a database named
# dunning_demo with the sample ledger of a French SME (test/data/
# sample_ledger.sql), and shows the default configuration and the ledger.
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

say "done: dunning is installed with its defaults and a sample ledger"
