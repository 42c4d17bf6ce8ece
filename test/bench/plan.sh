#!/usr/bin/env bash
#
# The planner benchmark: N customers (default 100000) with 10 ledger entries
# each, on a throwaway PostgreSQL 15 cluster (test/lib/cluster.sh).  Times,
# with clock_timestamp() around each statement, and compares with a floor
# (one query reading every open entry joined to its customer, grouped by
# customer, warm):
#   - a cold night: dunning.plan(D) on an empty state, then the execution of
#     every selected proposal (send email, send letter, mark_done of the
#     todo), D = 2026-06-30;
#   - 30 steady nights, D+1 .. D+30, each planned then executed the same way;
#   - the backend's peak RSS (VmHWM) of each night's session;
#   - each night's write floor: the rows it left, written again into empty
#     copies of the tables with nothing computed (test/bench/writes.sql), so
#     that the floor plus the write floor bounds any planner writing these
#     tables.
# Prints each time as it is measured, then a summary table and the targets.
# Not part of the test suite; see doc/performance.md.
#
#   sudo test/bench/plan.sh [N]
#
# Environment:
#   CLUSTER_PORT=54400     port of the throwaway cluster (Unix socket only)
#   KEEP_CLUSTER=1         leave the cluster running at the end
#   NIGHTS=30              number of steady nights
#   BENCH_STATEMENTS=0     do not load pg_stat_statements (on by default: the
#                          slowest statements of plan() are listed at the end)
#   BENCH_CONF='shared_buffers = 4GB; ...'
#                          server settings added to the defaults (separated
#                          by semicolons), with a restart before the ledger
#   BENCH_EXPLAIN=1        auto_explain (ANALYZE, nested statements) every
#                          statement slower than BENCH_EXPLAIN_MIN (default 1s)
#                          in the measured sessions; the server log is copied
#                          to BENCH_EXPLAIN_LOG (default
#                          ${TMPDIR:-/tmp}/dunning-bench-explain.log).  The
#                          instrumentation slows the run: time without it.
#   BENCH_ANALYZE_AFTER_PLAN=1
#                          a variant, not what a user runs: ANALYZE
#                          dunning.action and dunning.action_entry after each
#                          plan() (timed, counted in the night), so that the
#                          execution statements plan with fresh statistics
#                          (see doc/performance.md)

source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

N=${1:-100000}
NIGHTS=${NIGHTS:-30}
D=2026-06-30
BENCH=$ROOT/test/bench
EXPLAIN=${BENCH_EXPLAIN:-0}
EXPLAIN_MIN=${BENCH_EXPLAIN_MIN:-1s}
EXPLAIN_LOG=${BENCH_EXPLAIN_LOG:-${TMPDIR:-/tmp}/dunning-bench-explain.log}
STATEMENTS=${BENCH_STATEMENTS:-1}
CONF=${BENCH_CONF:-}
ANALYZE_AFTER_PLAN=${BENCH_ANALYZE_AFTER_PLAN:-0}
if ! [[ $N =~ ^[1-9][0-9]*$ ]] || ! [[ $NIGHTS =~ ^[0-9]+$ ]]; then
    echo "usage: $0 [N]   (N customers, a positive integer; NIGHTS a non-negative integer)" >&2
    exit 2
fi

ensure_packages
build_and_install
start_cluster

if [ "$STATEMENTS" = 1 ] || [ -n "$CONF" ]; then
    say "restarting the cluster with${CONF:+ BENCH_CONF ($CONF)}$( [ "$STATEMENTS" = 1 ] && echo ' pg_stat_statements (BENCH_STATEMENTS=0 to skip)')"
    if [ "$STATEMENTS" = 1 ]; then
        as_owner tee -a "$CLUSTER_DIR/data/postgresql.conf" >/dev/null <<CONF
shared_preload_libraries = 'pg_cron,pg_stat_statements'
pg_stat_statements.track = all
pg_stat_statements.max = 1000
CONF
    fi
    [ -n "$CONF" ] && printf '%s\n' "$CONF" | tr ';' '\n' | as_owner tee -a "$CLUSTER_DIR/data/postgresql.conf" >/dev/null
    (cd "$CLUSTER_DIR" && as_owner "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" \
        -l "$CLUSTER_DIR/server.log" -w -t 60 restart >/dev/null) \
        || { cat "$CLUSTER_DIR/server.log" >&2; exit 1; }
fi

createdb dunning_bench
export PGDATABASE=dunning_bench
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
# Measured sessions: unaligned, no headers, so that the lines they print
# read as they are.
m() { psql -X -q -At -v ON_ERROR_STOP=1 -v explain="$EXPLAIN" -v explain_min="$EXPLAIN_MIN" \
             -v analyze_after_plan="$ANALYZE_AFTER_PLAN" "$@"; }

q -c 'CREATE EXTENSION dunning'
q -f "$BENCH/setup.sql"
[ "$STATEMENTS" = 1 ] && q -c 'CREATE EXTENSION pg_stat_statements'

say "dunning $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '(no git)'), src/planner.sql $(md5sum "$ROOT/src/planner.sql" | cut -c1-12)$( [ "$ANALYZE_AFTER_PLAN" = 1 ] && echo ', variant BENCH_ANALYZE_AFTER_PLAN=1')"
say "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(psql -X -At -c 'SELECT version()' | cut -d, -f1)"
say "settings: work_mem $(psql -X -At -c 'SHOW work_mem'), shared_buffers $(psql -X -At -c 'SHOW shared_buffers'), max_parallel_workers_per_gather $(psql -X -At -c 'SHOW max_parallel_workers_per_gather')"

say "building the ledger: $N customers, $((N * 10)) entries, D = $D"
start=$(date +%s%N)
q -v n="$N" -v d="$D" -f "$BENCH/ledger.sql" >/dev/null
say "ledger built and analyzed in $(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s: $(psql -X -At -c "
    SELECT format('%s customers (%s with email), %s entries (%s open), %s in dispute, %s with a promise, entry table %s',
                  (SELECT count(*) FROM dunning.customer),
                  (SELECT count(*) FROM dunning.customer WHERE email IS NOT NULL),
                  count(*), count(*) FILTER (WHERE open_amount <> 0),
                  count(*) FILTER (WHERE in_dispute), count(*) FILTER (WHERE promised_on IS NOT NULL),
                  pg_size_pretty(pg_total_relation_size('dunning.entry')))
    FROM dunning.entry")"

say "the floor (reading every open entry joined to its customer, grouped by customer)"
m -v serial=1 -f "$BENCH/floor.sql"
[ "$STATEMENTS" = 1 ] && q -c 'SELECT pg_stat_statements_reset()' >/dev/null

say "cold night: empty state, plan $D then execute"
m -v phase=cold -v night=0 -v d="$D" -v verbose=1 -f "$BENCH/night.sql"
m -v night=0 -v d="$D" -v verbose=1 -f "$BENCH/writes.sql"
[ "$STATEMENTS" = 1 ] && q -v phase=cold -v top=25 -f "$BENCH/statements.sql" >/dev/null

say "$NIGHTS steady nights: plan then execute, each night in its own session"
for night in $(seq 1 "$NIGHTS"); do
    d=$(date -d "$D + $night days" +%F)
    m -v phase=steady -v night="$night" -v d="$d" -v verbose=0 -f "$BENCH/night.sql"
    m -v night="$night" -v d="$d" -v verbose=0 -f "$BENCH/writes.sql"
    m -c "SELECT bench.night_line('steady', $night)"
done
[ "$STATEMENTS" = 1 ] && q -v phase=steady -v top=25 -f "$BENCH/statements.sql" >/dev/null

say "state after the run: $(psql -X -At -c "
    SELECT format('%s runs, %s actions (%s executed), %s action entries, %s entry states, %s outbox messages, database %s',
                  (SELECT count(*) FROM dunning.run), count(*), count(*) FILTER (WHERE status IN ('queued', 'done')),
                  (SELECT count(*) FROM dunning.action_entry), (SELECT count(*) FROM dunning.entry_state),
                  (SELECT count(*) FROM dunning.outbox), pg_size_pretty(pg_database_size(current_database())))
    FROM dunning.action")"

say "summary: N = $N customers, $((N * 10)) entries"
q -f "$BENCH/summary.sql"

if [ "$EXPLAIN" = 1 ]; then
    cp "$CLUSTER_DIR/server.log" "$EXPLAIN_LOG"
    say "auto_explain output (server log) copied to $EXPLAIN_LOG"
fi
