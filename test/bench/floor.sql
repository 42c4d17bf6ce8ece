-- The floor of the planner benchmark: one query reading every open entry
-- joined to its customer, grouped by customer.  Run twice in one session;
-- the second (warm) run is the floor.  The customers' rows are counted and
-- their amounts summed in the server, so that every aggregate is computed
-- and nothing is sent to psql.  Variables: :serial (1: also time it
-- without parallel workers, for reference: plan() runs without any).

SELECT clock_timestamp() AS t0 \gset
SELECT count(f.entries) AS n, sum(f.open_amount) AS total FROM (
    SELECT c.customer_id, count(*) AS entries, sum(e.open_amount) AS open_amount
    FROM dunning.entry e JOIN dunning.customer c USING (customer_id)
    WHERE e.open_amount <> 0
    GROUP BY c.customer_id) AS f \gset
SELECT bench.record('floor', NULL, NULL, 'first run', :'t0', :n);

SELECT clock_timestamp() AS t0 \gset
SELECT count(f.entries) AS n, sum(f.open_amount) AS total FROM (
    SELECT c.customer_id, count(*) AS entries, sum(e.open_amount) AS open_amount
    FROM dunning.entry e JOIN dunning.customer c USING (customer_id)
    WHERE e.open_amount <> 0
    GROUP BY c.customer_id) AS f \gset
SELECT bench.record('floor', NULL, NULL, 'warm', :'t0', :n);

\if :serial
SET max_parallel_workers_per_gather = 0;
SELECT clock_timestamp() AS t0 \gset
SELECT count(f.entries) AS n, sum(f.open_amount) AS total FROM (
    SELECT c.customer_id, count(*) AS entries, sum(e.open_amount) AS open_amount
    FROM dunning.entry e JOIN dunning.customer c USING (customer_id)
    WHERE e.open_amount <> 0
    GROUP BY c.customer_id) AS f \gset
SELECT bench.record('floor', NULL, NULL, 'warm, no parallel worker', :'t0', :n);
RESET max_parallel_workers_per_gather;
\endif

SELECT bench.peak_rss('floor', NULL, NULL);
