#!/usr/bin/env bash
#
# The whole test suite, on a throwaway PostgreSQL 15 cluster with pg_cron
# preloaded (see test/lib/cluster.sh): pg_regress and isolation specs
# (make installcheck), pgTAP files (pg_prove) and TAP scripts (prove).
# Exits non-zero if anything fails, after printing what failed.
#
#   sudo test/check.sh          # as root: installs missing Debian packages
#   PG_CFLAGS=-Werror test/check.sh   # what CI runs (.ci/run)

source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"

ensure_packages
build_and_install
start_cluster

passed=0
failed=0
record() {  # record NAME STATUS
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1)); say "$1: passed"
    else
        failed=$((failed + 1)); say "$1: FAILED"
    fi
}

cd "$ROOT"

say "pg_regress (sql/, expected/)"
status=0
make -s installcheck ISOLATION= || status=$?
[ $status -eq 0 ] || { [ -f regression.diffs ] && cat regression.diffs; }
record "pg_regress" $status

say "isolation specs (test/isolation/)"
status=0
make -s installcheck REGRESS= || status=$?
[ $status -eq 0 ] || { [ -f output_iso/regression.diffs ] && cat output_iso/regression.diffs; }
record "isolation" $status

say "pgTAP (test/pgtap/)"
status=0
createdb dunning_tap
psql -X -q -v ON_ERROR_STOP=1 -d dunning_tap \
    -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION dunning'
pg_prove --failures --comments -d dunning_tap test/pgtap/*.sql || status=$?
record "pgTAP" $status

say "TAP scripts (test/t/)"
status=0
prove test/t/ || status=$?
record "TAP" $status

say "planner benchmark at a tiny size (test/bench/plan.sh 200), to keep it working"
status=0
(unset PGHOST PGPORT PGDATABASE; NIGHTS=2 BENCH_STATEMENTS=0 CLUSTER_PORT=$((CLUSTER_PORT + 1)) \
    "$ROOT/test/bench/plan.sh" 200 >"$CLUSTER_DIR/bench.log" 2>&1) || status=$?
[ $status -eq 0 ] || tail -40 "$CLUSTER_DIR/bench.log"
record "benchmark (tiny)" $status

say "outbox benchmark at a tiny size (test/bench/outbox.sh 300), to keep it working"
status=0
(unset PGHOST PGPORT PGDATABASE; MESSAGES=500 CLUSTER_PORT=$((CLUSTER_PORT + 2)) \
    "$ROOT/test/bench/outbox.sh" 300 >"$CLUSTER_DIR/outbox-bench.log" 2>&1) || status=$?
[ $status -eq 0 ] || tail -40 "$CLUSTER_DIR/outbox-bench.log"
record "outbox benchmark (tiny)" $status

echo "suites: $passed passed, $failed failed"
[ $failed -eq 0 ]
