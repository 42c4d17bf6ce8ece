#!/usr/bin/env bash
#
# The outbox benchmark: on a throwaway PostgreSQL 15 cluster
# (test/lib/cluster.sh), with the synthetic ledger of the planner benchmark
# (test/bench/ledger.sql, N customers, default 100000, 10 entries each):
#   - times a night's queueing: dunning.run_nightly(D), D = 2026-06-30, on an
#     empty state, with auto_send on for every email and letter step (plan,
#     then queue every selected email and letter into dunning.outbox);
#   - then, with MESSAGES messages queued (default 100000), measures how many
#     messages per second senders claim and acknowledge, with 1, 4 and 16
#     senders and batches of 1 and 50.  Each sender is a pgbench client;
#     each of its transactions is one turn of a sender's loop, done as a
#     sender does it: dunning.claim(sender, batch) committed, then
#     dunning.ack() of each message claimed, committed together (procedure
#     bench_outbox.sender below), until every message is sent; the script
#     fails unless exactly those messages are sent, the others (if any)
#     still queued, and none claimed.  MESSAGES_BATCH1 makes the batch-of-1
#     runs claim and acknowledge fewer of the MESSAGES queued, for a shorter
#     run.
# After the night, VACUUM ANALYZE of the database: what autovacuum does
# within a minute or so of the night's commit.  Without it dunning.action_entry
# (a million rows after this night) has no statistics and a claim of 50
# plans the ledger check as a join of the whole ledger: seconds a claim (see
# doc/performance.md).
# MESSAGES is met exactly: the messages after the first MESSAGES are deleted
# when the night queued more; when it queued fewer, queued actions are
# cloned (the action, its entries and its message, under new ids) until
# there are MESSAGES.  Before each configuration the outbox is put back to
# all queued with one UPDATE (the actions back to queued, the 'sent' events
# deleted), then rewritten compact (VACUUM FULL), analyzed, checkpointed.
# Prints each figure as it is measured, then a summary table; the time in
# claim() and ack() comes from pg_stat_user_functions.  Not part of the test
# suite; see doc/performance.md ("The outbox").
#
# The extension must be built and installed (make && sudo make install, or
# test/bench/plan.sh, which does both); pgbench comes with postgresql-15.
#
#   sudo test/bench/outbox.sh [N]
#   MESSAGES=500 test/bench/outbox.sh 300       # a tiny run, a few seconds
#
# Environment:
#   MESSAGES=100000        messages queued for the senders
#   MESSAGES_BATCH1=...    messages claimed and acknowledged with batches of 1
#                          (default and at most MESSAGES)
#   SENDERS="1 4 16"       the numbers of senders to measure
#   BATCHES="1 50"         the batch sizes (claim's max) to measure
#   CLUSTER_PORT=54340     port of the throwaway cluster (Unix socket only)
#   KEEP_CLUSTER=1         leave the cluster running at the end

CLUSTER_PORT=${CLUSTER_PORT:-54340}
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

N=${1:-100000}
MESSAGES=${MESSAGES:-100000}
MESSAGES_BATCH1=${MESSAGES_BATCH1:-$MESSAGES}
SENDERS=${SENDERS:-1 4 16}
BATCHES=${BATCHES:-1 50}
D=2026-06-30
BENCH=$ROOT/test/bench
PGBENCH=$PG_BIN/pgbench
for v in "$N" "$MESSAGES" "$MESSAGES_BATCH1" $SENDERS $BATCHES; do
    if ! [[ $v =~ ^[1-9][0-9]*$ ]]; then
        echo "usage: $0 [N]   (N customers; MESSAGES, MESSAGES_BATCH1, SENDERS and BATCHES positive integers)" >&2
        exit 2
    fi
done
if ! [ -f "$($PG_CONFIG --sharedir)/extension/dunning.control" ]; then
    echo "the dunning extension is not installed: make && sudo make install (or run test/bench/plan.sh)" >&2
    exit 1
fi
[ "$MESSAGES_BATCH1" -le "$MESSAGES" ] || MESSAGES_BATCH1=$MESSAGES
[ -x "$PGBENCH" ] || { echo "$PGBENCH is missing: apt-get install postgresql-$PG_MAJOR" >&2; exit 1; }

start_cluster

# Time spent in claim() and ack(), per configuration.
as_owner tee -a "$CLUSTER_DIR/data/postgresql.conf" >/dev/null <<CONF
track_functions = 'pl'
CONF
as_owner "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" reload >/dev/null

createdb dunning_bench
export PGDATABASE=dunning_bench
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
secs_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

q -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION dunning'

say "dunning $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '(no git)'), src/outbox.sql $(md5sum "$ROOT/src/outbox.sql" | cut -c1-12)"
say "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(psql -X -At -c 'SELECT version()' | cut -d, -f1)"
say "settings: work_mem $(q -c 'SHOW work_mem'), shared_buffers $(q -c 'SHOW shared_buffers'), fsync $(q -c 'SHOW fsync'), synchronous_commit $(q -c 'SHOW synchronous_commit')"

say "building the ledger: $N customers, $((N * 10)) entries, D = $D"
start=$(date +%s%N)
q -v n="$N" -v d="$D" -f "$BENCH/ledger.sql" >/dev/null
say "ledger built and analyzed in $(secs_since "$start") s"

# The night: every email and letter step sends on its own.
q -c "UPDATE dunning.step SET auto_send = true WHERE media IN ('email', 'letter')"
say "a night: dunning.run_nightly('$D') on an empty state, auto_send on for every email and letter step"
night=$(q -F ' ' <<SQL
SELECT clock_timestamp() AS t0 \gset
SELECT dunning.run_nightly('$D') AS run_id \gset
SELECT to_char(extract(epoch FROM clock_timestamp() - :'t0'), 'FM999990.000'),
       to_char(extract(epoch FROM r.finished_at - r.started_at), 'FM999990.000'),
       r.proposals, r.queued,
       (SELECT count(*) FROM dunning.outbox o WHERE o.media = 'email'),
       (SELECT count(*) FROM dunning.outbox o WHERE o.media = 'letter')
FROM dunning.run r WHERE r.run_id = :run_id;
SQL
)
read -r night_s plan_s proposals queued emails letters <<<"$night"
queue_s=$(awk -v a="$night_s" -v b="$plan_s" 'BEGIN { printf "%.3f", a - b }')
say "    run_nightly: $night_s s for $N customers ($proposals proposals, $queued messages queued: $emails emails, $letters letters)"
say "    of which plan $plan_s s (dunning.run started_at to finished_at), queueing $queue_s s"
[ "$queued" -gt 0 ] || { echo "the night queued no message" >&2; exit 1; }
start=$(date +%s%N)
q -c 'VACUUM ANALYZE'
say "VACUUM ANALYZE after the night (autovacuum's work): $(secs_since "$start") s"

# The benchmark's own objects, beside the extension's.
q <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA bench_outbox;

-- One turn of a sender's loop: claim a batch and commit, "deliver" it,
-- acknowledge each message, commit.
CREATE PROCEDURE bench_outbox.sender(batch integer)
    LANGUAGE plpgsql
AS $$
DECLARE
    ids    bigint[];
    tokens uuid[];
BEGIN
    SELECT array_agg(c.message_id ORDER BY c.message_id), array_agg(c.token ORDER BY c.message_id)
      INTO ids, tokens
      FROM dunning.claim('bench-' || pg_backend_pid(), batch) c;
    COMMIT;
    FOR i IN 1 .. COALESCE(cardinality(ids), 0) LOOP
        PERFORM dunning.ack(ids[i], tokens[i]);
    END LOOP;
    COMMIT;
END
$$;

-- Exactly :messages messages in the outbox: drop the ones after the first
-- :messages, or clone queued actions (action, action entries, message,
-- under new ids) until there are :messages.
CREATE PROCEDURE bench_outbox.make_messages(messages integer)
    LANGUAGE plpgsql
AS $$
DECLARE
    have integer := (SELECT count(*) FROM dunning.outbox);
BEGIN
    IF have >= messages THEN
        DELETE FROM dunning.outbox o
         WHERE o.message_id > (SELECT o2.message_id FROM dunning.outbox o2 ORDER BY o2.message_id
                               OFFSET messages - 1 LIMIT 1);
        RETURN;
    END IF;
    CREATE TEMPORARY TABLE clone ON COMMIT DROP AS
    SELECT o.message_id AS source_message, o.action_id AS source_action,
           nextval('dunning.action_id_seq') AS action_id, nextval('dunning.message_id_seq') AS message_id
    FROM generate_series(0, messages - have - 1) AS g(i)
    JOIN (SELECT o.*, row_number() OVER (ORDER BY o.message_id) - 1 AS k FROM dunning.outbox o) o
      ON o.k = g.i % have;
    INSERT INTO dunning.action
    SELECT (jsonb_populate_record(NULL::dunning.action, to_jsonb(a) || jsonb_build_object('action_id', c.action_id))).*
    FROM clone c JOIN dunning.action a ON a.action_id = c.source_action;
    INSERT INTO dunning.action_entry
    SELECT (jsonb_populate_record(NULL::dunning.action_entry, to_jsonb(ae) || jsonb_build_object('action_id', c.action_id))).*
    FROM clone c JOIN dunning.action_entry ae ON ae.action_id = c.source_action;
    INSERT INTO dunning.outbox
    SELECT (jsonb_populate_record(NULL::dunning.outbox,
                                  to_jsonb(o) || jsonb_build_object('action_id', c.action_id, 'message_id', c.message_id))).*
    FROM clone c JOIN dunning.outbox o ON o.message_id = c.source_message;
END
$$;

-- Every message queued again, as the night left it.
CREATE PROCEDURE bench_outbox.reset()
    LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE dunning.outbox
       SET status = 'queued', attempts = 0, claim_token = NULL, claimed_by = NULL,
           available_at = now(), finished_at = NULL, last_error = NULL;
    UPDATE dunning.action a SET status = 'queued'
      FROM dunning.outbox o
     WHERE a.action_id = o.action_id AND a.status <> 'queued';
    DELETE FROM dunning.action_event e WHERE e.status = 'sent';
END
$$;
SQL

echo 'CALL bench_outbox.sender(:batch);' >"$CLUSTER_DIR/sender.sql"

# The outbox back to MESSAGES queued messages, rewritten (VACUUM FULL) as
# compact as the night left it, not half empty after the UPDATE.
reset() {
    q -c 'CALL bench_outbox.reset()'
    q -c 'VACUUM FULL dunning.outbox' -c 'ANALYZE dunning.outbox' -c 'VACUUM ANALYZE dunning.action' \
      -c 'VACUUM ANALYZE dunning.action_event' -c 'CHECKPOINT'
    local n
    n=$(q -c "SELECT count(*) FROM dunning.outbox WHERE status = 'queued'")
    [ "$n" -eq "$MESSAGES" ] || { echo "reset left $n queued messages, not $MESSAGES" >&2; exit 1; }
}

if [ "$queued" -lt "$MESSAGES" ]; then
    say "the night queued $queued messages: cloning queued actions (action, entries, message) up to $MESSAGES"
elif [ "$queued" -gt "$MESSAGES" ]; then
    say "the night queued $queued messages: keeping the first $MESSAGES (by message_id), deleting the others"
fi
q -c "CALL bench_outbox.make_messages($MESSAGES)"
reset
say "the outbox: $MESSAGES queued messages, $(q -c "SELECT format('table %s, with TOAST and indexes %s',
        pg_size_pretty(pg_relation_size('dunning.outbox')), pg_size_pretty(pg_total_relation_size('dunning.outbox')))")"

say "claim and ack: each sender a pgbench client, each transaction CALL bench_outbox.sender(batch)"
say "  (claim committed, then an ack of each message, committed), until the outbox is empty"
[ "$MESSAGES_BATCH1" -lt "$MESSAGES" ] &&
    say "  batch 1: $MESSAGES_BATCH1 of the $MESSAGES queued messages claimed and acknowledged (MESSAGES_BATCH1), not all"
rows=()
first=1
for batch in $BATCHES; do
    work=$MESSAGES
    [ "$batch" -eq 1 ] && work=$MESSAGES_BATCH1
    for senders in $SENDERS; do
        [ $first = 1 ] || reset
        first=0
        # Only these counters: pg_stat_reset() would also make autovacuum
        # forget what it has to analyze.
        q -c "SELECT pg_stat_reset_single_function_counters('dunning.claim(text, integer, interval)'::regprocedure),
                     pg_stat_reset_single_function_counters('dunning.ack(bigint, uuid)'::regprocedure)" >/dev/null
        per_client=$(( (work + senders * batch - 1) / (senders * batch) ))
        expected=$(( senders * batch * per_client < MESSAGES ? senders * batch * per_client : MESSAGES ))
        threads=$(( senders < 2 ? senders : 2 ))
        log=$CLUSTER_DIR/pgbench-$senders-$batch.log
        start=$(date +%s%N)
        status=0
        "$PGBENCH" -n -c "$senders" -j "$threads" -t "$per_client" -D batch="$batch" \
            -f "$CLUSTER_DIR/sender.sql" >"$log" 2>&1 || status=$?
        secs=$(secs_since "$start")
        if [ $status -ne 0 ]; then
            cat "$log" >&2
            echo "pgbench failed ($status) with $senders senders, batches of $batch" >&2
            exit 1
        fi
        # pg_stat_user_functions: the pgbench sessions flushed their
        # counters when they ended.
        read -r sent queued_left claimed_left other claim_calls claim_ms ack_calls ack_ms <<<"$(q -F ' ' -c "
            SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'queued'),
                   count(*) FILTER (WHERE status = 'claimed'), count(*) FILTER (WHERE status NOT IN ('sent', 'queued', 'claimed')),
                   COALESCE((SELECT calls FROM pg_stat_user_functions WHERE schemaname = 'dunning' AND funcname = 'claim'), 0),
                   COALESCE((SELECT round(total_time::numeric, 1) FROM pg_stat_user_functions WHERE schemaname = 'dunning' AND funcname = 'claim'), 0),
                   COALESCE((SELECT calls FROM pg_stat_user_functions WHERE schemaname = 'dunning' AND funcname = 'ack'), 0),
                   COALESCE((SELECT round(total_time::numeric, 1) FROM pg_stat_user_functions WHERE schemaname = 'dunning' AND funcname = 'ack'), 0)
            FROM dunning.outbox")"
        if [ "$sent" -ne "$expected" ] || [ "$queued_left" -ne $((MESSAGES - expected)) ] || [ "$claimed_left" -ne 0 ] \
           || [ "$other" -ne 0 ]; then
            cat "$log" >&2
            echo "with $senders senders, batches of $batch: $sent messages sent, $queued_left queued, $claimed_left claimed," \
                 "$other in another status; expected $expected sent and $((MESSAGES - expected)) queued" >&2
            exit 1
        fi
        rate=$(awk -v m="$sent" -v s="$secs" 'BEGIN { printf "%.0f", m / s }')
        claim_per=$(awk -v t="$claim_ms" -v c="$claim_calls" 'BEGIN { printf "%.3f", c ? t / c : 0 }')
        claim_msg=$(awk -v t="$claim_ms" -v m="$sent" 'BEGIN { printf "%.3f", t / m }')
        ack_per=$(awk -v t="$ack_ms" -v c="$ack_calls" 'BEGIN { printf "%.3f", c ? t / c : 0 }')
        lat=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$log")
        say "    $senders senders, batch $batch: $sent messages in $secs s, $rate messages/s" \
            "($claim_calls claims of $claim_per ms, $claim_msg ms a message; $ack_calls acks of $ack_per ms; a turn ${lat:-?} ms)"
        rows+=("| $senders | $batch | $sent | $secs | $rate | $claim_per | $claim_msg | $ack_per | ${lat:-?} |")
    done
done

say "summary: N = $N customers, $(nproc) cores"
echo
echo "a night for $N customers: dunning.run_nightly $night_s s (plan $plan_s s, queueing $queue_s s), $queued messages queued ($emails emails, $letters letters)"
echo
echo "| senders | batch | messages | seconds | messages/s | claim, ms a call | claim, ms a message | ack, ms a call | turn, ms (pgbench latency) |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "(function times from pg_stat_user_functions, track_functions = pl: time inside the call, summed over the senders)"
