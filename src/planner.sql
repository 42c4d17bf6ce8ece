-------------------------------------------------------------------------------
-- The planner (src/planner.sql, appended to src/dunning.sql by the Makefile).
--
-- dunning.plan(as_of) turns the ledger into proposed actions in a handful of
-- set-based statements: no loop over entries or customers.  The per-entry
-- rules are the C functions next_level() and next_due_on(); everything else
-- is joins and GROUP BY.  Nothing changes an entry's level but an execution
-- (dunning.send, dunning.download_letters, dunning.mark_done), all through
-- dunning.execute_actions().
-------------------------------------------------------------------------------

CREATE SEQUENCE dunning.run_id_seq;
CREATE TABLE dunning.run (
    run_id      bigint PRIMARY KEY DEFAULT pg_catalog.nextval('dunning.run_id_seq'::regclass),
    as_of       date NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at timestamptz,
    status      text NOT NULL DEFAULT 'running'
        CONSTRAINT run_status_is_known CHECK (status OPERATOR(pg_catalog.=) ANY (ARRAY['running', 'done'])),
    entries     bigint,   -- entries the run kept: due, credits that may join them, thank-yous, anomalies
    proposals   bigint,   -- actions proposed by this run
    selected    bigint,   -- of which selected
    anomalies   bigint,   -- rows skipped and recorded in dunning.anomaly
    queued      bigint    -- messages dunning.run_nightly() queued after it (NULL for a plan alone)
);
COMMENT ON TABLE dunning.run IS 'one row per planning run: its date, start, end and counts';

-- Where each entry stands, one row per customer: the planner reads the
-- state of every open entry every night, and joining it by customer (a
-- hundred thousand rows beside the customers) costs a fraction of joining
-- it by entry (ten times more rows, a hash table that spills to disk).  The
-- arrays are parallel, one element per entry, sorted by entry_id.  Keyed by
-- customer, like every table the planner writes, so that the tables
-- distribute by customer_id.
CREATE TABLE dunning.customer_state (
    customer_id     text PRIMARY KEY,
    entry_ids       text[] NOT NULL,
    levels          dunning.level[] NOT NULL,
    last_dunned_on  date[] NOT NULL,
    reminder_counts integer[] NOT NULL,
    thanked_on      date[] NOT NULL,
    -- parallel arrays: same length, all starting at 1
    CONSTRAINT customer_state_arrays_match CHECK (
        COALESCE(pg_catalog.array_lower(entry_ids, 1), 1) OPERATOR(pg_catalog.=) 1
        AND COALESCE(pg_catalog.array_lower(levels, 1), 1) OPERATOR(pg_catalog.=) 1
        AND COALESCE(pg_catalog.array_lower(last_dunned_on, 1), 1) OPERATOR(pg_catalog.=) 1
        AND COALESCE(pg_catalog.array_lower(reminder_counts, 1), 1) OPERATOR(pg_catalog.=) 1
        AND COALESCE(pg_catalog.array_lower(thanked_on, 1), 1) OPERATOR(pg_catalog.=) 1
        AND pg_catalog.cardinality(levels) OPERATOR(pg_catalog.=) pg_catalog.cardinality(entry_ids)
        AND pg_catalog.cardinality(last_dunned_on) OPERATOR(pg_catalog.=) pg_catalog.cardinality(entry_ids)
        AND pg_catalog.cardinality(reminder_counts) OPERATOR(pg_catalog.=) pg_catalog.cardinality(entry_ids)
        AND pg_catalog.cardinality(thanked_on) OPERATOR(pg_catalog.=) pg_catalog.cardinality(entry_ids))
);
COMMENT ON TABLE dunning.customer_state IS
    'where each entry of a customer stands, packed in parallel arrays (read it through dunning.entry_state)';

-- The position of an entry in its customer's entry_ids (C, src/state.c).
CREATE FUNCTION dunning.entry_position(entry_ids text[], entry_id text) RETURNS integer
    AS 'MODULE_PATHNAME', 'dunning_entry_position'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dunning.entry_position(text[], text) IS
    'the position of entry_id in entry_ids (1-based), NULL when absent: where an entry stands in dunning.customer_state';

-- The same, one row per entry.
CREATE VIEW dunning.entry_state AS
SELECT cs.customer_id, s.entry_id, s.level, s.last_dunned_on, s.reminder_count, s.thanked_on
FROM dunning.customer_state cs
CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(cs.entry_ids), pg_catalog.unnest(cs.levels),
                              pg_catalog.unnest(cs.last_dunned_on), pg_catalog.unnest(cs.reminder_counts),
                              pg_catalog.unnest(cs.thanked_on))
    AS s (entry_id, level, last_dunned_on, reminder_count, thanked_on);
COMMENT ON VIEW dunning.entry_state IS
    'level of each entry, the date of its last executed reminder, its reminder count, its thank-you';

-- Merges entry states into dunning.customer_state: for each (customer_id,
-- entry_id) of the temporary table dunning_state_change, the level rises to
-- the given one, a given date replaces the stored one, and reminders add
-- up.  Set-based: one statement, whatever the number of customers.  The
-- caller holds dunning.customer_state in SHARE ROW EXCLUSIVE mode, so that
-- two merges never rewrite a customer's arrays from the same old version.
CREATE FUNCTION dunning.merge_entry_states() RETURNS void
    LANGUAGE plpgsql   -- not BEGIN ATOMIC: the temporary table exists only when called
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO dunning.customer_state AS cs
        (customer_id, entry_ids, levels, last_dunned_on, reminder_counts, thanked_on)
    -- The arrays take the rows in the order the subquery sorts them (the
    -- aggregates are fed their input's order): one sort, where five
    -- array_agg(... ORDER BY) sorted each customer's entries five times.
    -- entry_position() does not need the order; people reading the table do.
    SELECT m.customer_id,
           pg_catalog.array_agg(m.entry_id),
           pg_catalog.array_agg(m.level),
           pg_catalog.array_agg(m.last_dunned_on),
           pg_catalog.array_agg(m.reminder_count),
           pg_catalog.array_agg(m.thanked_on)
    FROM (
        SELECT COALESCE(c.customer_id, o.customer_id) AS customer_id,
               COALESCE(c.entry_id, o.entry_id) AS entry_id,
               GREATEST(c.level, o.level) AS level,
               COALESCE(c.last_dunned_on, o.last_dunned_on) AS last_dunned_on,
               COALESCE(o.reminder_count, 0) + COALESCE(c.reminder_count, 0) AS reminder_count,
               COALESCE(c.thanked_on, o.thanked_on) AS thanked_on
        FROM (SELECT ch.customer_id, ch.entry_id, pg_catalog.max(ch.level) AS level,
                     pg_catalog.max(ch.last_dunned_on) AS last_dunned_on,
                     pg_catalog.sum(ch.reminder_count)::integer AS reminder_count,
                     pg_catalog.max(ch.thanked_on) AS thanked_on
              FROM pg_temp.dunning_state_change ch
              GROUP BY ch.customer_id, ch.entry_id) AS c
        FULL JOIN (SELECT st.* FROM dunning.entry_state st
                   WHERE st.customer_id IN (SELECT ch.customer_id FROM pg_temp.dunning_state_change ch)) AS o
               ON o.customer_id = c.customer_id AND o.entry_id = c.entry_id
        ORDER BY 1, 2
    ) AS m
    GROUP BY m.customer_id
    ON CONFLICT (customer_id) DO UPDATE
       SET entry_ids = EXCLUDED.entry_ids, levels = EXCLUDED.levels,
           last_dunned_on = EXCLUDED.last_dunned_on, reminder_counts = EXCLUDED.reminder_counts,
           thanked_on = EXCLUDED.thanked_on;
END
$$;
COMMENT ON FUNCTION dunning.merge_entry_states() IS
    'merges the entry states of the temporary table dunning_state_change into dunning.customer_state';

-- Writing through the view, one entry at a time: to bring levels over from
-- another tool, or to arrange a test.  (A bulk import writes
-- dunning.customer_state directly.)
CREATE FUNCTION dunning.entry_state_write() RETURNS trigger
    LANGUAGE plpgsql
    SET client_min_messages = warning   -- no notice from the temporary table's DROP IF EXISTS
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'dunning.entry_state takes INSERT only'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Executions move the states; to rewrite one, update dunning.customer_state.';
    END IF;
    IF NEW.customer_id IS NULL OR NEW.entry_id IS NULL THEN
        RAISE EXCEPTION 'customer_id and entry_id of an entry state cannot be NULL (got %, %)',
                COALESCE(pg_catalog.quote_literal(NEW.customer_id), 'NULL'),
                COALESCE(pg_catalog.quote_literal(NEW.entry_id), 'NULL')
            USING ERRCODE = 'not_null_violation';
    END IF;
    LOCK TABLE dunning.customer_state IN SHARE ROW EXCLUSIVE MODE;   -- before the check: one import at a time
    IF EXISTS (SELECT FROM dunning.entry_state st
               WHERE st.customer_id = NEW.customer_id AND st.entry_id = NEW.entry_id) THEN
        RAISE EXCEPTION 'entry % of customer % already has a state', pg_catalog.quote_literal(NEW.entry_id),
                pg_catalog.quote_literal(NEW.customer_id)
            USING ERRCODE = 'unique_violation';
    END IF;
    DROP TABLE IF EXISTS pg_temp.dunning_state_change;
    CREATE TEMPORARY TABLE dunning_state_change ON COMMIT DROP AS
    SELECT NEW.customer_id AS customer_id, NEW.entry_id AS entry_id, COALESCE(NEW.level, 'none') AS level,
           NEW.last_dunned_on AS last_dunned_on, COALESCE(NEW.reminder_count, 0) AS reminder_count,
           NEW.thanked_on AS thanked_on;
    PERFORM dunning.merge_entry_states();
    RETURN NEW;
END
$$;
CREATE TRIGGER entry_state_write INSTEAD OF INSERT OR UPDATE OR DELETE ON dunning.entry_state
    FOR EACH ROW EXECUTE FUNCTION dunning.entry_state_write();

CREATE SEQUENCE dunning.action_id_seq;
CREATE TABLE dunning.action (
    action_id            bigint PRIMARY KEY DEFAULT pg_catalog.nextval('dunning.action_id_seq'::regclass),
    run_id               bigint NOT NULL REFERENCES dunning.run,
    customer_id          text NOT NULL,
    customer_name        text,
    email                text,
    language             text,
    address              text,      -- the customer's attributes.address, for letters
    profile_id           bigint NOT NULL,
    scenario_id          bigint NOT NULL,
    step                 dunning.step_name NOT NULL,
    level                dunning.level,   -- NULL for a thank-you
    media                dunning.media NOT NULL,
    template_id          bigint,
    auto_send            boolean NOT NULL DEFAULT false,
    status               text NOT NULL DEFAULT 'proposed'
        CONSTRAINT action_status_is_known CHECK (status OPERATOR(pg_catalog.=) ANY
            (ARRAY['proposed', 'queued', 'sent', 'failed', 'done', 'cancelled'])),
    selected             boolean NOT NULL DEFAULT true,
    exclusion_reason     text,
    customer_in_dispute  boolean NOT NULL DEFAULT false,
    has_disputed_entries boolean NOT NULL DEFAULT false,
    collector            text,
    proposed_on          date NOT NULL,
    executed_on          date,
    note                 text
);
-- One open proposal per customer and step: planning twice never duplicates.
CREATE UNIQUE INDEX action_proposed_key ON dunning.action (customer_id, step)
    WHERE status OPERATOR(pg_catalog.=) 'proposed';
CREATE INDEX action_customer_id_idx ON dunning.action (customer_id);
COMMENT ON TABLE dunning.action IS 'every action, proposed or executed: one message or call per customer and step';

-- No foreign key to dunning.action: only plan() writes these rows, joined to
-- their action in the same statement, and a check per entry cost as much as
-- the insert itself on a cold night (a million rows).
CREATE TABLE dunning.action_entry (
    action_id        bigint NOT NULL,
    customer_id      text NOT NULL,
    entry_id         text NOT NULL,
    document_number  text,
    document_date    date,
    due_date         date,
    amount           numeric NOT NULL,
    open_amount      numeric NOT NULL,
    currency         text NOT NULL,
    level_before     dunning.level NOT NULL,
    in_dispute       boolean NOT NULL DEFAULT false,
    selected         boolean NOT NULL DEFAULT true,
    exclusion_reason text,
    PRIMARY KEY (action_id, entry_id)
);
COMMENT ON TABLE dunning.action_entry IS 'the entries each action holds, as they stood when proposed';

-- Written only by the planner's functions, beside the action; no foreign
-- key, for the same reason as dunning.action_entry.
CREATE TABLE dunning.action_event (
    action_id   bigint NOT NULL,
    status      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    executed_on date,
    by_role     text NOT NULL DEFAULT SESSION_USER,   -- the login role, not the functions' owner
    note        text
);
CREATE INDEX action_event_action_id_idx ON dunning.action_event (action_id);
COMMENT ON TABLE dunning.action_event IS 'status history of each action (proposed, excluded, queued, done, cancelled, ...)';

-- A collector's ticking and unticking, remembered by customer and step (and
-- entry) so that the next night's refreshed proposal keeps it.  entry_id ''
-- stands for the whole action.  An untick holds until ticked again; a tick
-- only overrides the exclusion it was given against (overrides), so a new
-- reason to exclude (a promise, stop_dunning) is not silenced by an old tick.
CREATE TABLE dunning.selection (
    customer_id text NOT NULL,
    step        dunning.step_name NOT NULL,
    entry_id    text NOT NULL DEFAULT '',
    selected    boolean NOT NULL,
    overrides   text,
    changed_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    changed_by  text NOT NULL DEFAULT SESSION_USER,
    PRIMARY KEY (customer_id, step, entry_id)
);
COMMENT ON TABLE dunning.selection IS 'collectors'' ticks and unticks, kept across nightly refreshes';

CREATE TABLE dunning.anomaly (
    run_id      bigint NOT NULL REFERENCES dunning.run ON DELETE CASCADE,
    customer_id text,
    entry_id    text,
    reason      text NOT NULL
);
CREATE INDEX anomaly_run_id_idx ON dunning.anomaly (run_id);
COMMENT ON TABLE dunning.anomaly IS 'ledger rows a run skipped, with the reason';


-------------------------------------------------------------------------------
-- Profile criteria, evaluated (dunning.criteria_check() validates them when
-- saved).  customer is the customer row as jsonb.
-------------------------------------------------------------------------------
-- Called once per customer and profile with criteria: C (src/criteria.c).
CREATE FUNCTION dunning.criteria_match(criteria jsonb, customer jsonb) RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_criteria_match'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dunning.criteria_match(jsonb, jsonb) IS
    'whether a customer (as jsonb) meets profile criteria; a missing or null field, or a type mismatch, does not match';

-- Called once per customer by the planner: the first of the profiles (sorted
-- by priority) whose criteria the customer, given by its columns, meets.
CREATE FUNCTION dunning.profile_of(criteria jsonb[], profile_ids bigint[], customer_id text, name text,
                                   email text, language text, collector text, stop_dunning boolean,
                                   in_dispute boolean, attributes jsonb)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'dunning_profile_of'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dunning.profile_of(jsonb[], bigint[], text, text, text, text, text, boolean, boolean, jsonb) IS
    'the id of the first criteria (in array order) a customer meets, NULL when none: criteria_match over its columns';

-------------------------------------------------------------------------------
-- Evaluation: every open entry (and recently settled invoice) of the ledger,
-- or of one customer, with its customer, profile, scenario, state, next level
-- and the date it falls due, into the temporary table dunning_eval.  Shared
-- by dunning.plan() and dunning.explain(), so both say the same thing.
-- The ledger relations are the settings' regclass values, printed quoted by
-- PostgreSQL: no configurable text is executed.
-------------------------------------------------------------------------------
CREATE FUNCTION dunning.evaluate(as_of date, only_customer text DEFAULT NULL, keep_all boolean DEFAULT true)
    RETURNS void
    LANGUAGE plpgsql
    SET client_min_messages = warning   -- no notices from the temporary tables' DROP IF EXISTS
    SET search_path = pg_catalog, pg_temp
    -- The scan of the ledger keeps a small share of its rows, which the
    -- planner cannot estimate through the C rules: without this it prices
    -- sending a million rows back from parallel workers and runs serially.
    SET parallel_tuple_cost = 0.001
AS $$
DECLARE
    s dunning.settings;
    duplicate_customers text[];
    customers text;   -- the customers relation, each with its profile, as SQL
    context text;     -- the same, with its scenario and entry states
    written_order boolean;   -- plan the scan's joins in the order written
    saved_join_limit text := pg_catalog.current_setting('join_collapse_limit');
    saved_from_limit text := pg_catalog.current_setting('from_collapse_limit');
BEGIN
    SELECT * INTO s FROM dunning.settings;
    PERFORM dunning.check_ledger_relation(s.customer_source, 'customers');
    PERFORM dunning.check_ledger_relation(s.entry_source, 'entries');

    -- A customer_id twice in the customers relation (a view can do that):
    -- its entries are anomalies.  A unique index rules it out for free.
    IF NOT dunning.has_unique_index(s.customer_source, 'customer_id') THEN
        EXECUTE pg_catalog.format($q$
            SELECT pg_catalog.array_agg(d.customer_id) FROM (
                SELECT c.customer_id FROM %s AS c
                WHERE c.customer_id IS NOT NULL   -- a NULL id matches no entry anyway
                  AND ($1 IS NULL OR c.customer_id = $1)
                GROUP BY c.customer_id HAVING pg_catalog.count(*) > 1) AS d
            $q$, s.customer_source)
        INTO duplicate_customers USING only_customer;
    END IF;
    duplicate_customers := COALESCE(duplicate_customers, '{}');

    -- The statements below are CREATE TABLE AS, which take no parameters:
    -- dates, customer ids and flags go in as quoted literals, and the
    -- configuration is read by uncorrelated subqueries, computed once and
    -- handed to parallel workers.  No configurable text becomes SQL.
    --
    -- Customers, each with its profile: explicit profile, else the first
    -- profile whose criteria match (lowest priority first), else Standard.
    customers := pg_catalog.format($q$
        SELECT c.customer_id, c.name, c.email, COALESCE(c.language, 'fr') AS language, c.collector,
               COALESCE(c.stop_dunning, false) AS stop_dunning, COALESCE(c.in_dispute, false) AS in_dispute,
               COALESCE(c.email ~ '\S', false) AS has_email,
               c.attributes ->> 'address' AS address,
               COALESCE(ep.profile_id, %s,
                        (SELECT p.profile_id FROM dunning.profile p WHERE p.name = 'Standard')) AS profile_id
        FROM %s AS c
        LEFT JOIN dunning.profile AS ep ON ep.name = c.profile
        WHERE %L::text IS NULL OR c.customer_id = %L::text
        $q$,
        CASE WHEN NOT EXISTS (SELECT FROM dunning.profile p WHERE p.criteria IS NOT NULL) THEN 'NULL::bigint' ELSE
            'dunning.profile_of(
                 (SELECT pg_catalog.array_agg(p.criteria ORDER BY p.priority, p.profile_id)
                    FROM dunning.profile p WHERE p.criteria IS NOT NULL),
                 (SELECT pg_catalog.array_agg(p.profile_id ORDER BY p.priority, p.profile_id)
                    FROM dunning.profile p WHERE p.criteria IS NOT NULL),
                 c.customer_id, c.name, c.email, COALESCE(c.language, ''fr''), c.collector,
                 c.stop_dunning, c.in_dispute, c.attributes)' END,
        s.customer_source, only_customer, only_customer);

    -- Each customer with its scenario and the states of its entries: one
    -- relation, so that the scan below joins the ledger once, to a hash
    -- table of customers built by parallel workers.  Left to itself, the
    -- planner joins the states to the ledger instead (a second hash join
    -- of every entry, a quarter of the scan at 100,000 customers), so the
    -- scan is planned with its joins in the order written
    -- (join_collapse_limit and from_collapse_limit 1, for that statement
    -- only), when the ledger relations are tables: the joins inside a
    -- view the DBA attached keep the planner's freedom.
    context := pg_catalog.format($q$
        SELECT cu.*, sc.scenario_id, sc.enabled AS scenario_enabled, sc.steps, sc.thanks_days,
               cs.entry_ids AS state_entry_ids, cs.levels AS state_levels,
               cs.last_dunned_on AS state_last_dunned_on, cs.reminder_counts AS state_reminder_counts,
               cs.thanked_on AS state_thanked_on,
               dunning.state_due_levels(sc.steps, cs.levels, cs.last_dunned_on, %3$L::date) AS state_due_levels
        FROM (%1$s) AS cu
        LEFT JOIN ROWS FROM (
                pg_catalog.unnest((SELECT pg_catalog.array_agg(v.scenario_id ORDER BY v.scenario_id)
                                     FROM dunning.scenario_steps v)),
                pg_catalog.unnest((SELECT pg_catalog.array_agg(v.enabled ORDER BY v.scenario_id)
                                     FROM dunning.scenario_steps v)),
                pg_catalog.unnest((SELECT pg_catalog.array_agg(v.steps ORDER BY v.scenario_id)
                                     FROM dunning.scenario_steps v)),
                pg_catalog.unnest((SELECT pg_catalog.array_agg(th.days ORDER BY v.scenario_id)
                                     FROM dunning.scenario_steps v
                                     LEFT JOIN dunning.step th ON th.scenario_id = v.scenario_id
                                                              AND th.step = 'thanks' AND th.enabled)))
                AS sc (scenario_id, enabled, steps, thanks_days)
               ON sc.scenario_id = cu.profile_id * 2 - CASE WHEN cu.has_email THEN 1 ELSE 0 END
        LEFT JOIN dunning.customer_state AS cs ON cs.customer_id = cu.customer_id
        WHERE NOT (cu.customer_id = ANY (%2$L::text[]))
        $q$, customers, duplicate_customers, as_of);

    -- Entries: the C rules give the next level, then its date.  For a run,
    -- keep only what a proposal, a thank-you or an anomaly can come from.
    -- One statement over the ledger, parallel when the ledger is large.
    DROP TABLE IF EXISTS pg_temp.dunning_eval, pg_temp.dunning_customer;
    SELECT pg_catalog.bool_and(c.relkind IN ('r', 'p')) INTO written_order
    FROM pg_catalog.pg_class c WHERE c.oid IN (s.customer_source, s.entry_source);
    IF written_order THEN
        PERFORM pg_catalog.set_config('join_collapse_limit', '1', true);
        PERFORM pg_catalog.set_config('from_collapse_limit', '1', true);
    END IF;
    EXECUTE pg_catalog.format($q$
        CREATE TEMPORARY TABLE dunning_eval ON COMMIT DROP AS
        SELECT y.*,
               CASE WHEN y.next_level IS NOT NULL THEN
                   dunning.next_due_on(y.steps, y.level, y.next_level, y.due_date, y.last_dunned_on) END AS due_on
        FROM (
            -- The filter below runs on every row, the columns computed
            -- here only on the rows it keeps.
            SELECT x.*,
                   CASE WHEN x.anomaly IS NULL AND x.scenario_enabled AND x.open_amount <> 0 THEN
                       dunning.next_level(x.steps, x.level, x.due_date, %2$L::date, x.is_credit) END AS next_level
            FROM (
                SELECT e.customer_id, e.entry_id, e.document_number, e.kind, e.document_date,
                       CASE WHEN e.open_amount < 0 THEN COALESCE(e.due_date, e.document_date) ELSE e.due_date END
                           AS due_date,
                       e.amount, e.open_amount, e.currency, COALESCE(e.in_dispute, false) AS in_dispute,
                       e.promised_on, e.settled_on, e.settled_by,
                       cu.profile_id,
                       cu.scenario_id, cu.scenario_enabled, cu.steps, cu.thanks_days,
                       COALESCE(cu.state_levels[p.i], 'none') AS level, cu.state_last_dunned_on[p.i] AS last_dunned_on,
                       COALESCE(cu.state_reminder_counts[p.i], 0) AS reminder_count,
                       cu.state_thanked_on[p.i] AS thanked_on, cu.state_due_levels,
                       e.open_amount < 0 AS is_credit,
                       -- The common case (nothing missing, a known kind) costs a few
                       -- NULL tests; the reason is worked out only for the rest.
                       CASE WHEN e.entry_id IS NULL OR cu.customer_id IS NULL OR e.kind IS NULL
                                 OR e.currency IS NULL OR e.open_amount IS NULL OR e.amount IS NULL
                                 OR e.due_date IS NULL
                                 OR NOT (e.kind = 'invoice' OR e.kind = 'credit_note' OR e.kind = 'payment'
                                         OR e.kind = 'other') THEN
                       CASE
                           WHEN e.entry_id IS NULL THEN 'missing entry_id'
                           WHEN cu.customer_id IS NULL THEN
                               CASE WHEN e.customer_id = ANY (%6$L::text[])
                                    THEN 'customer_id appears more than once in the customers relation'
                                    ELSE 'unknown customer' END
                           WHEN e.kind IS NULL OR e.kind NOT IN ('invoice', 'credit_note', 'payment', 'other')
                               THEN pg_catalog.format('unknown kind %%L', e.kind)
                           WHEN e.currency IS NULL THEN 'missing currency'
                           WHEN e.open_amount IS NULL THEN 'missing open_amount'
                           WHEN e.amount IS NULL THEN 'missing amount'
                           WHEN e.open_amount > 0 AND e.due_date IS NULL THEN 'open debit entry without due date'
                           WHEN e.open_amount < 0 AND e.due_date IS NULL AND e.document_date IS NULL
                               THEN 'open credit entry without due date or document date'
                       END END AS anomaly
                FROM %1$s AS e
                LEFT JOIN (%7$s) AS cu ON cu.customer_id = e.customer_id
                CROSS JOIN LATERAL (SELECT dunning.entry_position(cu.state_entry_ids, e.entry_id) AS i) AS p
                WHERE (%3$L::text IS NULL OR e.customer_id = %3$L::text)
                  AND (e.open_amount IS DISTINCT FROM 0
                       OR (e.kind = 'invoice' AND e.settled_on > %2$L::date - 400))
            ) AS x
            WHERE %4$L::boolean
               OR x.anomaly IS NOT NULL
               OR (x.scenario_enabled AND x.open_amount <> 0
                   AND CASE WHEN x.is_credit THEN
                            -- It may join the message of its next level (seed 003):
                            -- the first reminder level, which any new debit can reach,
                            -- or a level a stored entry of its customer is due for.
                            dunning.next_level(x.steps, x.level, x.due_date, %2$L::date, true)
                                <= dunning.next_level(x.steps, 'none', x.due_date, %2$L::date, true)
                            OR (x.state_due_levels
                                >> (dunning.next_level(x.steps, x.level, x.due_date, %2$L::date, true)::integer + 1))
                               & 1 = 1
                       ELSE dunning.next_reminder_on(x.steps, x.level, x.due_date, x.last_dunned_on,
                                                     %2$L::date, false) <= %2$L::date END)
               OR (x.open_amount = 0 AND x.thanks_days IS NOT NULL AND x.thanked_on IS NULL)
               OR (%5$L::boolean AND x.open_amount <> 0 AND x.due_date < %2$L::date)
        ) AS y
        $q$, s.entry_source, as_of, only_customer, keep_all, s.grouping = 'account_statement',
        duplicate_customers, context);
    PERFORM pg_catalog.set_config('join_collapse_limit', saved_join_limit, true);
    PERFORM pg_catalog.set_config('from_collapse_limit', saved_from_limit, true);

    -- The entries of a customer the scan could not match (unknown, or listed
    -- twice) got no state from it; explain() still shows where they stand.
    IF only_customer IS NOT NULL THEN
        UPDATE pg_temp.dunning_eval e
           SET level = COALESCE(st.level, 'none'), last_dunned_on = st.last_dunned_on,
               reminder_count = COALESCE(st.reminder_count, 0), thanked_on = st.thanked_on
          FROM dunning.entry_state st
         WHERE e.profile_id IS NULL AND st.customer_id = e.customer_id AND st.entry_id = e.entry_id;
    END IF;

    -- An entry_id twice among the kept rows (a view can do that) would be
    -- reminded twice: every copy is an anomaly.
    IF NOT dunning.has_unique_index(s.entry_source, 'entry_id') THEN
        UPDATE pg_temp.dunning_eval e
           SET anomaly = 'entry_id appears more than once in the entries relation', next_level = NULL, due_on = NULL
         WHERE e.entry_id IN (SELECT d.entry_id FROM pg_temp.dunning_eval d
                              GROUP BY d.entry_id HAVING pg_catalog.count(*) > 1);
    END IF;
    -- Statistics for the joins and filters that read it (temporary tables
    -- have none otherwise); only those columns: the others cost time.
    ANALYZE pg_temp.dunning_eval (customer_id, entry_id, anomaly, is_credit, next_level, due_on);

    -- The customers a proposal can come from (a debit entry kept without
    -- anomaly), or the one asked about (even listed twice), with what
    -- proposals show of them.  (No OR: it would defeat the semi-join.)
    EXECUTE pg_catalog.format($q$
        CREATE TEMPORARY TABLE dunning_customer ON COMMIT DROP AS
        -- not the profile: proposals keep the one the scan used (so its
        -- criteria are not evaluated again here)
        SELECT DISTINCT ON (cu.customer_id) cu.customer_id, cu.name, cu.email, cu.language, cu.collector,
               cu.stop_dunning, cu.in_dispute, cu.address
        FROM (%s) AS cu
        WHERE %s
        ORDER BY cu.customer_id
        $q$, customers,
        CASE WHEN only_customer IS NOT NULL THEN 'true' ELSE
            'cu.customer_id IN (SELECT e.customer_id FROM pg_temp.dunning_eval e
                                WHERE e.anomaly IS NULL AND NOT e.is_credit)' END);
    ANALYZE pg_temp.dunning_customer;

    -- Customers naming a profile that does not exist (a run records them).
    DROP TABLE IF EXISTS pg_temp.dunning_unknown_profile;
    EXECUTE pg_catalog.format($q$
        CREATE TEMPORARY TABLE dunning_unknown_profile ON COMMIT DROP AS
        SELECT c.customer_id, c.profile FROM %s AS c
        WHERE (%L::text IS NULL OR c.customer_id = %L::text) AND c.profile IS NOT NULL
          AND NOT EXISTS (SELECT FROM dunning.profile p WHERE p.name = c.profile)
        $q$, s.customer_source, only_customer, only_customer);

    -- Balances per customer and currency, for min_balance (only when set).
    DROP TABLE IF EXISTS pg_temp.dunning_balance;
    CREATE TEMPORARY TABLE dunning_balance (customer_id text, currency text, balance numeric) ON COMMIT DROP;
    IF s.min_balance > 0 THEN
        EXECUTE pg_catalog.format($q$
            INSERT INTO pg_temp.dunning_balance
            SELECT e.customer_id, e.currency, pg_catalog.sum(e.open_amount)
            FROM %s AS e
            WHERE ($1 IS NULL OR e.customer_id = $1) AND e.open_amount <> 0
            GROUP BY e.customer_id, e.currency
            $q$, s.entry_source)
        USING only_customer;
    END IF;
END
$$;
COMMENT ON FUNCTION dunning.evaluate(date, text, boolean) IS
    'fills the temporary tables dunning_eval, dunning_customer and dunning_unknown_profile for a planning date (all customers or one; every entry, or only what a run can use)';

-- Whether a relation has a unique index on one column (then it cannot hold
-- a value of it twice, and the planner skips looking for duplicates).
CREATE FUNCTION dunning.has_unique_index(rel regclass, column_name name) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
RETURN EXISTS (
    SELECT FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = rel AND i.indisunique AND i.indnkeyatts = 1
      AND i.indpred IS NULL AND a.attname = column_name);

-- "Today" for the planner: the date in settings.timezone (seed 004: the
-- nightly run is at 01:00 UTC; a Paris company's day is Paris's).
-- SECURITY DEFINER: readers may ask what day it is without reading the
-- settings.
CREATE FUNCTION dunning.today() RETURNS date
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
RETURN (pg_catalog.now() AT TIME ZONE (SELECT s.timezone FROM dunning.settings s))::date;
COMMENT ON FUNCTION dunning.today() IS 'today''s date in settings.timezone, the default of every as_of and executed_on';

-- Whether a proposal (or one of its entries) goes: an untick always holds; a
-- tick counts only against the exclusion it overrode; else, unless excluded.
CREATE FUNCTION dunning.is_selected(remembered boolean, overrides text, exclusion_reason text)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE   -- per row: no SET clause, operators qualified
RETURN CASE WHEN remembered IS FALSE THEN false
            WHEN exclusion_reason IS NULL THEN true
            ELSE COALESCE(remembered AND overrides OPERATOR(pg_catalog.=) exclusion_reason, false) END;

-- Why an entry is left out of its reminder (seed 000), or NULL: a promise
-- to pay not yet expired, a dispute when disputes are excluded, an amount
-- under the threshold.
CREATE FUNCTION dunning.entry_exclusion(s dunning.settings, as_of date, promised_on date, in_dispute boolean,
                                        open_amount numeric)
    RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE   -- per row: no SET clause, operators qualified
RETURN CASE
           WHEN s.exclude_promised AND promised_on OPERATOR(pg_catalog.>=) as_of
               THEN 'promise to pay by ' OPERATOR(pg_catalog.||) pg_catalog.to_char(promised_on, 'YYYY-MM-DD')
           WHEN s.exclude_disputed AND in_dispute THEN 'entry in dispute'
           WHEN pg_catalog.abs(open_amount) OPERATOR(pg_catalog.<) s.min_entry_amount THEN 'below min_entry_amount'
       END;

-- The step a level is reached by.
CREATE FUNCTION dunning.level_step(level dunning.level) RETURNS dunning.step_name
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE   -- per row: no SET clause, operators qualified
RETURN CASE WHEN level OPERATOR(pg_catalog.=) 'P' THEN 'pre_due'::dunning.step_name
            WHEN level OPERATOR(pg_catalog.>) 'P' THEN level::text::dunning.step_name END;
COMMENT ON FUNCTION dunning.level_step(dunning.level) IS 'the step that brings an entry to a level: pre_due for P, Rk for Rk';

-------------------------------------------------------------------------------
-- Proposals from the evaluation: dunning_candidate holds each entry of each
-- proposed message, dunning_proposal each message.  Used by plan().
-------------------------------------------------------------------------------
CREATE FUNCTION dunning.propose(as_of date) RETURNS void
    LANGUAGE plpgsql
    SET client_min_messages = warning   -- no notices from the temporary tables' DROP IF EXISTS
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s dunning.settings;
BEGIN
    SELECT * INTO s FROM dunning.settings;
    DROP TABLE IF EXISTS pg_temp.dunning_candidate, pg_temp.dunning_proposal, pg_temp.dunning_step_for;

    -- Per scenario and step: media, template and auto_send; a level repeated
    -- above the last enabled one (infinite dunning after the steps shrank)
    -- takes the last enabled reminder step's.
    CREATE TEMPORARY TABLE dunning_step_for ON COMMIT DROP AS
    SELECT sc.scenario_id, lv.step, f.media, f.template_id, f.auto_send
    FROM dunning.scenario sc
    CROSS JOIN pg_catalog.unnest(pg_catalog.enum_range(NULL::dunning.step_name)) AS lv (step)
    CROSS JOIN LATERAL (
        SELECT st.media, st.template_id, st.auto_send
        FROM dunning.step st
        WHERE st.scenario_id = sc.scenario_id AND st.enabled
          AND (st.step = lv.step OR (lv.step NOT IN ('pre_due', 'thanks')
                                     AND st.step NOT IN ('pre_due', 'thanks') AND st.step < lv.step))
        ORDER BY st.step DESC
        LIMIT 1) AS f;

    CREATE TEMPORARY TABLE dunning_candidate (
        customer_id text, step dunning.step_name, level dunning.level, entry_id text,
        document_number text, document_date date, due_date date, amount numeric,
        open_amount numeric, currency text, level_before dunning.level, in_dispute boolean,
        is_credit boolean, exclusion_reason text,
        profile_id bigint, scenario_id bigint   -- as the scan found them, for the proposal
    ) ON COMMIT DROP;

    -- Per document (and pre-due reminders in both modes): one message per
    -- customer and level, with the debit entries due at that level.  Credit
    -- entries have no date of their own to wait for: one joins the message
    -- of the level it is at the threshold of (seed 002: from the first level).
    -- (Two statements: an EXISTS under an OR would run once per row.)
    INSERT INTO pg_temp.dunning_candidate
    SELECT e.customer_id, dunning.level_step(e.next_level), e.next_level, e.entry_id,
           e.document_number, e.document_date, e.due_date, e.amount, e.open_amount, e.currency,
           e.level, e.in_dispute, e.is_credit,
           dunning.entry_exclusion(s, as_of, e.promised_on, e.in_dispute, e.open_amount), e.profile_id, e.scenario_id
    FROM pg_temp.dunning_eval e
    WHERE e.anomaly IS NULL AND e.next_level IS NOT NULL AND e.due_on <= as_of AND NOT e.is_credit
      AND (s.grouping = 'per_document' OR e.next_level = 'P');
    INSERT INTO pg_temp.dunning_candidate
    SELECT e.customer_id, dunning.level_step(e.next_level), e.next_level, e.entry_id,
           e.document_number, e.document_date, e.due_date, e.amount, e.open_amount, e.currency,
           e.level, e.in_dispute, e.is_credit,
           dunning.entry_exclusion(s, as_of, e.promised_on, e.in_dispute, e.open_amount), e.profile_id, e.scenario_id
    FROM pg_temp.dunning_eval e
    WHERE e.anomaly IS NULL AND e.next_level IS NOT NULL AND e.is_credit
      AND s.grouping = 'per_document'
      AND EXISTS (SELECT FROM pg_temp.dunning_candidate d
                  WHERE d.customer_id = e.customer_id AND d.level = e.next_level);

    IF s.grouping = 'account_statement' THEN
        -- One message per customer with a reminder due: every overdue entry,
        -- at the highest level among them (seed 003).
        INSERT INTO pg_temp.dunning_candidate
        SELECT e.customer_id, dunning.level_step(t.level), t.level, e.entry_id,
               e.document_number, e.document_date, e.due_date, e.amount, e.open_amount, e.currency,
               e.level, e.in_dispute, e.is_credit,
               dunning.entry_exclusion(s, as_of, e.promised_on, e.in_dispute, e.open_amount), e.profile_id,
               e.scenario_id
        FROM pg_temp.dunning_eval e
        JOIN (SELECT d.customer_id,
                     dunning.statement_level(d.level, d.next_level, d.due_on, as_of) AS level
              FROM pg_temp.dunning_eval d
              WHERE d.anomaly IS NULL AND d.open_amount <> 0 AND d.due_date < as_of
              GROUP BY d.customer_id
              HAVING pg_catalog.bool_or(d.due_on <= as_of AND d.next_level >= 'R1' AND NOT d.is_credit)) AS t
          ON t.customer_id = e.customer_id
        WHERE e.anomaly IS NULL AND e.open_amount <> 0 AND e.due_date < as_of;
    END IF;

    ANALYZE pg_temp.dunning_candidate (customer_id, step, entry_id, is_credit);

    -- A credit entry joins a message of its level only (seed 003): a
    -- message needs a debit entry.
    DELETE FROM pg_temp.dunning_candidate c
    WHERE NOT EXISTS (SELECT FROM pg_temp.dunning_candidate d
                      WHERE d.customer_id = c.customer_id AND d.step = c.step AND NOT d.is_credit);

    -- Thank-yous (seed 002): an invoice settled on S, thanked at S + days,
    -- once, and not more than 30 days late.
    INSERT INTO pg_temp.dunning_candidate
    SELECT e.customer_id, 'thanks', NULL, e.entry_id, e.document_number, e.document_date, e.due_date,
           e.amount, e.open_amount, e.currency, e.level, e.in_dispute, false, NULL, e.profile_id, e.scenario_id
    FROM pg_temp.dunning_eval e
    WHERE e.anomaly IS NULL AND e.scenario_enabled AND e.kind = 'invoice' AND e.open_amount = 0
      AND e.thanks_days IS NOT NULL AND e.thanked_on IS NULL
      AND e.settled_on + e.thanks_days <= as_of AND e.settled_on + e.thanks_days > as_of - 30
      AND NOT (s.skip_thanks_for_credit_notes AND e.settled_by = 'credit_note')
      AND (NOT s.thanks_only_if_dunned OR e.level >= 'R1');   -- the pre-due courtesy is not dunning

    -- One proposal per customer and step.
    CREATE TEMPORARY TABLE dunning_proposal ON COMMIT DROP AS
    SELECT c.customer_id, c.step, pg_catalog.max(c.level) AS level,
           -- the profile and scenario the scan planned with (the customers
           -- relation is read again for the rest, and may have changed since)
           pg_catalog.max(c.profile_id) AS profile_id, pg_catalog.max(c.scenario_id) AS scenario_id,
           cu.collector, cu.name AS customer_name, cu.email, cu.language, cu.address,
           cu.in_dispute AS customer_in_dispute,
           pg_catalog.bool_or(c.in_dispute) AS has_disputed_entries,
           CASE
               WHEN cu.stop_dunning THEN 'stop_dunning'
               WHEN s.exclude_disputed AND cu.in_dispute THEN 'customer in dispute'
               WHEN c.step <> 'thanks' AND s.min_balance > 0 AND NOT EXISTS (
                        SELECT FROM pg_temp.dunning_balance b
                        WHERE b.customer_id = c.customer_id AND b.balance >= s.min_balance
                          AND b.currency IN (SELECT c2.currency FROM pg_temp.dunning_candidate c2
                                             WHERE c2.customer_id = c.customer_id AND c2.step = c.step))
                   THEN 'below min_balance'
               WHEN pg_catalog.bool_and(c.exclusion_reason IS NOT NULL) FILTER (WHERE NOT c.is_credit)
                   THEN 'every entry excluded'
           END AS exclusion_reason
    FROM pg_temp.dunning_candidate c
    JOIN pg_temp.dunning_customer cu ON cu.customer_id = c.customer_id
    GROUP BY c.customer_id, c.step, cu.collector, cu.name, cu.email, cu.language, cu.address, cu.in_dispute,
             cu.stop_dunning;
END
$$;
COMMENT ON FUNCTION dunning.propose(date) IS
    'groups the evaluated entries into the temporary tables dunning_candidate and dunning_proposal';

-------------------------------------------------------------------------------
-- dunning.plan(as_of): one run.  Idempotent: the proposals of a customer and
-- step are refreshed in place (same action_id), new ones added, those no
-- longer due cancelled; a collector's ticks survive through dunning.selection.
-- One run at a time: a second call waits for the first to commit.
-------------------------------------------------------------------------------
CREATE FUNCTION dunning.plan(as_of date DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    this_run    bigint;
    last_date   date;
    new_actions bigint;   -- actions added by this run
    written     bigint;   -- action entries written by this run
BEGIN
    as_of := COALESCE(as_of, dunning.today());
    LOCK TABLE dunning.run IN SHARE ROW EXCLUSIVE MODE;
    SELECT pg_catalog.max(r.as_of) INTO last_date FROM dunning.run r;
    IF as_of < last_date THEN
        RAISE EXCEPTION 'as_of % is before the date of the last run, %', as_of, last_date
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Plan for that date or a later one; levels only move forward.';
    END IF;
    INSERT INTO dunning.run (as_of) VALUES (as_of) RETURNING run_id INTO this_run;

    PERFORM dunning.evaluate(as_of, NULL, false);
    PERFORM dunning.propose(as_of);

    INSERT INTO dunning.anomaly (run_id, customer_id, entry_id, reason)
    SELECT this_run, e.customer_id, e.entry_id, e.anomaly FROM pg_temp.dunning_eval e WHERE e.anomaly IS NOT NULL
    UNION ALL
    SELECT this_run, u.customer_id, NULL, pg_catalog.format('unknown profile %L: Standard or criteria used', u.profile)
    FROM pg_temp.dunning_unknown_profile u;

    -- Proposals no longer due: cancelled, with their history.
    WITH gone AS (
        UPDATE dunning.action a
           SET status = 'cancelled', note = 'no longer due on ' || pg_catalog.to_char(as_of, 'YYYY-MM-DD')
         WHERE a.status = 'proposed'
           AND NOT EXISTS (SELECT FROM pg_temp.dunning_proposal p
                           WHERE p.customer_id = a.customer_id AND p.step = a.step)
        RETURNING a.action_id)
    INSERT INTO dunning.action_event (action_id, status, note)
    SELECT g.action_id, 'cancelled', 'no longer due on ' || pg_catalog.to_char(as_of, 'YYYY-MM-DD') FROM gone g;

    -- Proposals still due: refreshed in place; a change of exclusion is history.
    INSERT INTO dunning.action_event (action_id, status, note)
    SELECT a.action_id, CASE WHEN p.exclusion_reason IS NULL THEN 'proposed' ELSE 'excluded' END,
           p.exclusion_reason
    FROM dunning.action a
    JOIN pg_temp.dunning_proposal p ON p.customer_id = a.customer_id AND p.step = a.step
    WHERE a.status = 'proposed' AND a.exclusion_reason IS DISTINCT FROM p.exclusion_reason;
    UPDATE dunning.action a
       SET run_id = this_run, level = p.level, profile_id = p.profile_id, scenario_id = p.scenario_id,
           media = f.media, template_id = f.template_id, auto_send = f.auto_send,
           exclusion_reason = p.exclusion_reason,
           selected = dunning.is_selected(sel.selected, sel.overrides, p.exclusion_reason),
           customer_in_dispute = p.customer_in_dispute, has_disputed_entries = p.has_disputed_entries,
           collector = p.collector, customer_name = p.customer_name, email = p.email,
           language = p.language, address = p.address, proposed_on = as_of
      FROM pg_temp.dunning_proposal p
      JOIN pg_temp.dunning_step_for f ON f.scenario_id = p.scenario_id AND f.step = p.step
      LEFT JOIN dunning.selection sel
             ON sel.customer_id = p.customer_id AND sel.step = p.step AND sel.entry_id = ''
     WHERE a.status = 'proposed' AND a.customer_id = p.customer_id AND a.step = p.step;

    -- New proposals.
    WITH added AS (
        INSERT INTO dunning.action (run_id, customer_id, profile_id, scenario_id, step, level, media,
                                    template_id, auto_send, selected, exclusion_reason,
                                    customer_in_dispute, has_disputed_entries, collector, proposed_on,
                                    customer_name, email, language, address)
        SELECT this_run, p.customer_id, p.profile_id, p.scenario_id, p.step, p.level, f.media,
               f.template_id, f.auto_send, dunning.is_selected(sel.selected, sel.overrides, p.exclusion_reason),
               p.exclusion_reason, p.customer_in_dispute, p.has_disputed_entries, p.collector, as_of,
               p.customer_name, p.email, p.language, p.address
        FROM pg_temp.dunning_proposal p
        JOIN pg_temp.dunning_step_for f ON f.scenario_id = p.scenario_id AND f.step = p.step
        LEFT JOIN dunning.selection sel
               ON sel.customer_id = p.customer_id AND sel.step = p.step AND sel.entry_id = ''
        WHERE NOT EXISTS (SELECT FROM dunning.action a
                          WHERE a.status = 'proposed' AND a.customer_id = p.customer_id AND a.step = p.step)
        RETURNING action_id, exclusion_reason)
    INSERT INTO dunning.action_event (action_id, status, note)
    SELECT a.action_id, CASE WHEN a.exclusion_reason IS NULL THEN 'proposed' ELSE 'excluded' END,
           a.exclusion_reason
    FROM added a;
    GET DIAGNOSTICS new_actions = ROW_COUNT;

    -- Their entries, as the ledger stands today.
    DELETE FROM dunning.action_entry ae
     USING dunning.action a
     WHERE a.action_id = ae.action_id AND a.status = 'proposed' AND a.run_id = this_run;
    INSERT INTO dunning.action_entry (action_id, customer_id, entry_id, document_number, document_date,
                                      due_date, amount, open_amount, currency, level_before,
                                      in_dispute, selected, exclusion_reason)
    SELECT a.action_id, c.customer_id, c.entry_id, c.document_number, c.document_date, c.due_date,
           c.amount, c.open_amount, c.currency, c.level_before, c.in_dispute,
           dunning.is_selected(sel.selected, sel.overrides, c.exclusion_reason), c.exclusion_reason
    FROM pg_temp.dunning_candidate c
    JOIN dunning.action a ON a.status = 'proposed' AND a.customer_id = c.customer_id AND a.step = c.step
    LEFT JOIN dunning.selection sel
           ON sel.customer_id = c.customer_id AND sel.step = c.step AND sel.entry_id = c.entry_id;
    GET DIAGNOSTICS written = ROW_COUNT;
    -- After a night that wrote many entries, the statistics still describe
    -- yesterday's table, and the senders' claims (which join these entries)
    -- would plan with them until autovacuum comes: a claim of 50 took a
    -- second instead of milliseconds.
    IF written > 10000 AND written > (SELECT c.reltuples FROM pg_catalog.pg_class c
                                      WHERE c.oid = 'dunning.action_entry'::pg_catalog.regclass) / 5 THEN
        ANALYZE dunning.action_entry;
    END IF;
    -- The same for the actions, which the executions join by id: with the
    -- statistics of an empty table, checking 10,000 letters before sending
    -- them took a minute.
    IF new_actions > 10000 AND new_actions > (SELECT c.reltuples FROM pg_catalog.pg_class c
                                              WHERE c.oid = 'dunning.action'::pg_catalog.regclass) / 5 THEN
        ANALYZE dunning.action;
    END IF;

    UPDATE dunning.run r
       SET finished_at = pg_catalog.clock_timestamp(), status = 'done',
           entries = (SELECT pg_catalog.count(*) FROM pg_temp.dunning_eval),
           proposals = (SELECT pg_catalog.count(*) FROM pg_temp.dunning_proposal),
           selected = (SELECT pg_catalog.count(*) FROM dunning.action a
                       WHERE a.run_id = this_run AND a.status = 'proposed' AND a.selected),
           anomalies = (SELECT pg_catalog.count(*) FROM dunning.anomaly an WHERE an.run_id = this_run)
     WHERE r.run_id = this_run;
    RETURN this_run;
END
$$;
COMMENT ON FUNCTION dunning.plan(date) IS
    'computes the proposals for a date (default today in settings.timezone) and returns the run id';

-------------------------------------------------------------------------------
-- Execution: the one code path by which a reminder is executed, whether it
-- goes to the outbox (send), is downloaded (download_letters) or is marked
-- done (mark_done).  The entries' levels move here and only here; in
-- account-statement mode every entry of the message takes its level.
-------------------------------------------------------------------------------
CREATE FUNCTION dunning.execute_actions(action_ids bigint[], executed_on date, new_status text,
                                        note text DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql
    SET client_min_messages = warning   -- no notices from the temporary tables' DROP IF EXISTS
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    executed integer;
BEGIN
    -- Waits for a plan() in progress (it holds SHARE ROW EXCLUSIVE until it
    -- commits), and makes a plan wait for this execution: a plan computed
    -- from a ledger state an execution changes meanwhile would propose
    -- again what was just sent.  Executions do not wait for each other.
    LOCK TABLE dunning.run IN ROW EXCLUSIVE MODE;
    DROP TABLE IF EXISTS pg_temp.dunning_executed;
    CREATE TEMPORARY TABLE dunning_executed ON COMMIT DROP AS
    WITH done AS (
        UPDATE dunning.action a
           SET status = new_status, executed_on = execute_actions.executed_on,
               note = COALESCE(execute_actions.note, a.note)
         -- A join, not "= ANY (action_ids)": planned with the array's value,
         -- that estimates each of a million elements and holds them all.
         WHERE a.action_id IN (SELECT pg_catalog.unnest(action_ids)) AND a.status = 'proposed' AND a.selected
           -- a message with every debit entry unticked has nothing to ask for
           AND (a.step = 'thanks' OR EXISTS (SELECT FROM dunning.action_entry ae
                                             WHERE ae.action_id = a.action_id AND ae.selected
                                               AND ae.open_amount > 0))
        RETURNING a.action_id, a.customer_id, a.step, a.level)
    SELECT * FROM done;
    GET DIAGNOSTICS executed = ROW_COUNT;
    ANALYZE pg_temp.dunning_executed;

    INSERT INTO dunning.action_event (action_id, status, executed_on, note)
    SELECT d.action_id, new_status, executed_on, note FROM pg_temp.dunning_executed d;

    -- Levels move, the last execution date is set, reminders are counted
    -- (P is a courtesy, not a reminder); a thank-you is recorded once.
    -- Executions merge one at a time (see merge_entry_states()).
    LOCK TABLE dunning.customer_state IN SHARE ROW EXCLUSIVE MODE;
    DROP TABLE IF EXISTS pg_temp.dunning_state_change;
    CREATE TEMPORARY TABLE dunning_state_change ON COMMIT DROP AS
    SELECT ae.customer_id, ae.entry_id,
           COALESCE(d.level, 'none') AS level,
           CASE WHEN d.level IS NOT NULL THEN executed_on END AS last_dunned_on,
           CASE WHEN d.level >= 'R1' THEN 1 ELSE 0 END AS reminder_count,
           CASE WHEN d.step = 'thanks' THEN executed_on END AS thanked_on
    FROM pg_temp.dunning_executed d
    JOIN dunning.action_entry ae ON ae.action_id = d.action_id AND ae.selected;
    ANALYZE pg_temp.dunning_state_change;
    PERFORM dunning.merge_entry_states();

    -- A forced tick of the whole action has served its purpose.
    DELETE FROM dunning.selection sel
     USING pg_temp.dunning_executed d
     WHERE sel.customer_id = d.customer_id AND sel.step = d.step AND sel.entry_id = '';
    RETURN executed;
END
$$;
COMMENT ON FUNCTION dunning.execute_actions(bigint[], date, text, text) IS
    'executes selected proposed actions: status, history, entry levels, last execution date, reminder counts';

-- The entries of a message as a jsonb array, one object per entry in the
-- order given (C, src/message.c): what templates render from and what the
-- outbox payload carries.
CREATE FUNCTION dunning.entry_list_step(internal, text, text, date, date, numeric, numeric, text, boolean, date)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'dunning_entry_list_step'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dunning.entry_list_final(internal) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'dunning_entry_list_final'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE AGGREGATE dunning.entry_list(entry_id text, document_number text, document_date date, due_date date,
                                    amount numeric, open_amount numeric, currency text, in_dispute boolean,
                                    as_of date) (
    SFUNC = dunning.entry_list_step,
    STYPE = internal,
    FINALFUNC = dunning.entry_list_final
);
COMMENT ON AGGREGATE dunning.entry_list(text, text, date, date, numeric, numeric, text, boolean, date) IS
    'the entries of a message as a jsonb array: entry_id, document_number (else entry_id), document_date, due_date, amount, open_amount, currency, in_dispute, dispute, days_overdue (as_of - due_date)';

-- The totals of a message per currency (C, src/message.c): as an array
-- sorted by currency, and as an object keyed by currency.  One transition
-- function, so a query asking for both sums once.
CREATE FUNCTION dunning.totals_step(internal, text, numeric) RETURNS internal
    AS 'MODULE_PATHNAME', 'dunning_totals_step'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dunning.total_list_final(internal) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'dunning_total_list_final'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dunning.total_map_final(internal) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'dunning_total_map_final'
    LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE AGGREGATE dunning.total_list(currency text, amount numeric) (
    SFUNC = dunning.totals_step,
    STYPE = internal,
    FINALFUNC = dunning.total_list_final
);
COMMENT ON AGGREGATE dunning.total_list(text, numeric) IS
    'the sums of amount per currency as a jsonb array of {"currency", "total"} sorted by currency';
CREATE AGGREGATE dunning.total_map(currency text, amount numeric) (
    SFUNC = dunning.totals_step,
    STYPE = internal,
    FINALFUNC = dunning.total_map_final
);
COMMENT ON AGGREGATE dunning.total_map(text, numeric) IS
    'the sums of amount per currency as a jsonb object keyed by currency';

-- The messages of the actions execute_actions() has just executed (the
-- temporary table dunning_executed, analyzed there): the step's template in
-- the customer's language, else the step's own (French) one, rendered by
-- dunning.render() (src/render.c) from a context of the action, its
-- entries and its totals per currency.  It reads the table, not an array of
-- ids: an array is estimated at ten elements, and with thousands of actions
-- the per-action aggregates were then recomputed once per action (two
-- minutes for 2,342 actions).  Letters come out as the page of a letter
-- (HTML); dunning.letter_document() makes the printable document.
CREATE FUNCTION dunning.action_message()
    RETURNS TABLE (action_id bigint, customer_id text, media dunning.media, recipient text,
                   customer_name text, language text, subject text, body text, payload jsonb)
    -- No SET clause, so that PostgreSQL inlines the body into its caller's
    -- query (a function scan would first write a cold night's 200 MB of
    -- messages to a temporary file); every name and operator is qualified.
    LANGUAGE sql STABLE
-- A string body: the temporary table exists only when it runs.
AS $$
    WITH entries AS (
        SELECT ae.action_id,
               pg_catalog.count(*) AS entry_count,
               pg_catalog.max(cs.reminder_counts[dunning.entry_position(cs.entry_ids, ae.entry_id)]) AS reminder_count,
               dunning.entry_list(ae.entry_id, ae.document_number, ae.document_date, ae.due_date, ae.amount,
                                  ae.open_amount, ae.currency, ae.in_dispute, a.proposed_on
                                  ORDER BY ae.due_date, ae.entry_id) AS entry_list,
               dunning.total_list(ae.currency, ae.open_amount) AS total_list,
               dunning.total_map(ae.currency, ae.open_amount) AS total_map
        FROM pg_temp.dunning_executed AS i
        JOIN dunning.action a ON a.action_id OPERATOR(pg_catalog.=) i.action_id
        JOIN dunning.action_entry ae ON ae.action_id OPERATOR(pg_catalog.=) i.action_id
        LEFT JOIN dunning.customer_state cs ON cs.customer_id OPERATOR(pg_catalog.=) ae.customer_id
        WHERE ae.selected
        GROUP BY ae.action_id),
    messages AS (
        SELECT a.action_id, a.customer_id, a.media, a.email, a.customer_name, a.step, a.level, a.collector,
               a.language AS customer_language,
               COALESCE(own.template_id, base.template_id) AS template_id,
               COALESCE(own.language, base.language) AS language,
               COALESCE(own.subject, base.subject) AS subject_template,
               COALESCE(own.body, base.body) AS body_template,
               e.entry_list, e.total_map,
               pg_catalog.jsonb_build_object(
                   'customer_name', a.customer_name, 'customer_id', a.customer_id,
                   'customer_address', a.address,
                   'company_name', st.company_name, 'company_address', st.company_address,
                   'level', a.level, 'step', a.step, 'as_of', a.proposed_on, 'executed_on', a.executed_on,
                   'reminder_count', e.reminder_count, 'entry_count', e.entry_count,
                   'entries', e.entry_list, 'total_list', e.total_list) AS context
        FROM pg_temp.dunning_executed AS i
        JOIN dunning.action a ON a.action_id OPERATOR(pg_catalog.=) i.action_id
        JOIN dunning.template base ON base.template_id OPERATOR(pg_catalog.=) a.template_id
        -- the same template in the customer's language, if there is one
        LEFT JOIN dunning.template own ON own.name OPERATOR(pg_catalog.=) base.name
                                     AND own.language OPERATOR(pg_catalog.=) a.language
        LEFT JOIN entries e ON e.action_id OPERATOR(pg_catalog.=) a.action_id
        CROSS JOIN dunning.settings st)
    SELECT m.action_id, m.customer_id, m.media,
           CASE WHEN m.media OPERATOR(pg_catalog.=) 'email' THEN m.email ELSE m.customer_name END,
           m.customer_name, m.language,
           dunning.render(COALESCE(m.subject_template, ''), m.context, m.language, false),
           -- letters are HTML; so is an email whose template starts with a tag
           dunning.render(m.body_template, m.context, m.language,
                          m.media OPERATOR(pg_catalog.=) 'letter' OR m.body_template OPERATOR(pg_catalog.~) '^\s*<'),
           pg_catalog.jsonb_build_object(
               'action_id', m.action_id, 'customer_id', m.customer_id, 'customer_name', m.customer_name,
               'email', m.email, 'language', m.customer_language, 'step', m.step, 'level', m.level,
               'media', m.media, 'template_id', m.template_id, 'collector', m.collector,
               'entries', m.entry_list, 'totals', m.total_map)
    FROM messages m;
$$;
COMMENT ON FUNCTION dunning.action_message() IS
    'recipient, subject, body and payload of the actions just executed, rendered from their templates in the customer''s language';

CREATE FUNCTION dunning.html_escape(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE   -- per letter: no SET clause (inlined), names qualified
RETURN pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
           t, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;');

-- A printable HTML document (A4, print CSS) of one or more letter pages.
CREATE FUNCTION dunning.letter_document(title text, language text, pages text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE   -- per letter: no SET clause (inlined), names qualified
RETURN '<!DOCTYPE html>' || E'\n' || '<html lang="' || dunning.html_escape(COALESCE(language, 'fr')) || '">' || E'\n'
    || '<head>' || E'\n' || '<meta charset="utf-8">' || E'\n'
    || '<title>' || dunning.html_escape(COALESCE(title, '')) || '</title>' || E'\n'
    || '<style>' || E'\n'
    || '@page { size: A4; margin: 20mm 18mm; }' || E'\n'
    || 'body { font-family: "DejaVu Serif", Georgia, serif; font-size: 11pt; line-height: 1.4; color: #000; margin: 0; }' || E'\n'
    || '.letter { page-break-after: always; }' || E'\n'
    || '.letter:last-child { page-break-after: auto; }' || E'\n'
    || '.sender { margin-bottom: 10mm; }' || E'\n'
    || '.recipient { margin: 0 0 12mm 95mm; min-height: 30mm; }' || E'\n'
    || '.date { text-align: right; }' || E'\n'
    || '.subject { font-weight: bold; }' || E'\n'
    || 'table.entries { width: 100%; border-collapse: collapse; margin: 4mm 0; font-size: 10pt; }' || E'\n'
    || 'table.entries th, table.entries td { border-bottom: 0.5pt solid #888; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }' || E'\n'
    || 'table.entries .num, table.entries tfoot td { text-align: right; white-space: nowrap; }' || E'\n'
    || 'table.entries tfoot th { text-align: right; }' || E'\n'
    || '.signature { margin-top: 12mm; }' || E'\n'
    || '@media screen { body { background: #ddd; } .letter { background: #fff; width: 174mm; min-height: 257mm; margin: 8mm auto; padding: 20mm 18mm; box-shadow: 0 0 2mm #999; } }' || E'\n'
    || '</style>' || E'\n' || '</head>' || E'\n' || '<body>' || E'\n'
    || COALESCE((SELECT pg_catalog.string_agg('<article class="letter">' || E'\n' || p.page || E'\n' || '</article>', E'\n'
                                              ORDER BY p.n)
                 FROM pg_catalog.unnest(pages) WITH ORDINALITY AS p (page, n)), '')
    || E'\n' || '</body>' || E'\n' || '</html>' || E'\n';
COMMENT ON FUNCTION dunning.letter_document(text, text, text[]) IS
    'a printable HTML document (A4, print CSS) holding letter pages, one per printed page';

-------------------------------------------------------------------------------
-- What collectors do (seed 000).
-------------------------------------------------------------------------------
-- The proposed actions of a batch: media, and optionally profile and step.
CREATE FUNCTION dunning.batch_actions(media text, profile text, step text) RETURNS bigint[]
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m dunning.media := media::dunning.media;
    st dunning.step_name;
    profile_key bigint;
BEGIN
    IF step IS NOT NULL THEN
        IF NOT step = ANY (pg_catalog.enum_range(NULL::dunning.step_name)::text[]) THEN
            RAISE EXCEPTION 'unknown step "%": a step is one of %', step,
                    pg_catalog.array_to_string(pg_catalog.enum_range(NULL::dunning.step_name), ', ')
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        st := step::dunning.step_name;
    END IF;
    IF profile IS NOT NULL THEN
        SELECT p.profile_id INTO profile_key FROM dunning.profile p WHERE p.name = profile;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown profile "%"', profile USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    RETURN ARRAY(SELECT a.action_id FROM dunning.action a
                 WHERE a.status = 'proposed' AND a.selected AND a.media = m
                   AND (profile_key IS NULL OR a.profile_id = profile_key)
                   AND (st IS NULL OR a.step = st)
                 ORDER BY a.action_id);
END
$$;

CREATE FUNCTION dunning.send(media text, profile text DEFAULT NULL, step text DEFAULT NULL,
                             executed_on date DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF media IS NULL OR media NOT IN ('email', 'letter') THEN
        RAISE EXCEPTION 'send takes media email or letter, got %', COALESCE(pg_catalog.quote_literal(media), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Phone and other actions are recorded with dunning.mark_done().';
    END IF;
    RETURN dunning.queue_messages(dunning.batch_actions(media, profile, step),
                                  COALESCE(executed_on, dunning.today()));
END
$$;
COMMENT ON FUNCTION dunning.send(text, text, text, date) IS
    'executes the selected proposals of a media (email or letter), optionally one profile and step, into dunning.outbox; returns how many';

-- Actions cannot be executed before they were proposed.
CREATE FUNCTION dunning.check_executable(action_ids bigint[], executed_on date) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    first_date date;
BEGIN
    SELECT pg_catalog.max(a.proposed_on) INTO first_date
      FROM dunning.action a WHERE a.action_id IN (SELECT pg_catalog.unnest(action_ids));   -- see execute_actions()
    IF executed_on < first_date THEN
        RAISE EXCEPTION 'executed_on % is before the planning date %', executed_on, first_date
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

CREATE FUNCTION dunning.download_letters(profile text DEFAULT NULL, step text DEFAULT NULL,
                                         executed_on date DEFAULT NULL)
    RETURNS TABLE (customer_id text, customer_name text, action_ids bigint[], document text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ids bigint[];
BEGIN
    executed_on := COALESCE(executed_on, dunning.today());
    ids := dunning.batch_actions('letter', profile, step);
    PERFORM dunning.check_executable(ids, executed_on);
    PERFORM dunning.execute_actions(ids, executed_on, 'done', 'letter downloaded');
    RETURN QUERY
    SELECT m.customer_id, m.customer_name, pg_catalog.array_agg(m.action_id ORDER BY m.action_id),
           dunning.letter_document(m.customer_name, pg_catalog.min(m.language),
                                   pg_catalog.array_agg(m.body ORDER BY m.action_id))
    FROM dunning.action_message() m
    GROUP BY m.customer_id, m.customer_name
    ORDER BY m.customer_id;
END
$$;
COMMENT ON FUNCTION dunning.download_letters(text, text, date) IS
    'executes the selected letter proposals and returns one printable HTML document per customer';

CREATE FUNCTION dunning.mark_done(action_id bigint, note text DEFAULT NULL, executed_on date DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a dunning.action;
BEGIN
    executed_on := COALESCE(executed_on, dunning.today());
    -- The lock execute_actions() takes, before the row lock: a plan holding
    -- it and waiting for this row would otherwise deadlock with us.
    LOCK TABLE dunning.run IN ROW EXCLUSIVE MODE;
    SELECT * INTO a FROM dunning.action x WHERE x.action_id = mark_done.action_id FOR UPDATE;
    PERFORM dunning.check_proposed(a, mark_done.action_id);
    IF a.media NOT IN ('phone', 'other') THEN
        RAISE EXCEPTION 'action % is by %: send it with dunning.send() or dunning.download_letters()',
                action_id, a.media
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT a.selected THEN
        RAISE EXCEPTION 'action % is unticked: tick it before marking it done', action_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM dunning.check_executable(ARRAY[action_id], executed_on);
    IF dunning.execute_actions(ARRAY[action_id], executed_on, 'done', note) = 0 THEN
        RAISE EXCEPTION 'action % has every entry unticked: tick one before marking it done', action_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;
COMMENT ON FUNCTION dunning.mark_done(bigint, text, date) IS
    'records the outcome of a phone or other action and executes it';

CREATE FUNCTION dunning.check_proposed(a dunning.action, action_id bigint) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF a.action_id IS NULL THEN
        RAISE EXCEPTION 'unknown action_id %', action_id USING ERRCODE = 'no_data_found';
    END IF;
    IF a.status <> 'proposed' THEN
        RAISE EXCEPTION 'action % is already %: only proposed actions change', action_id, a.status
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

-- Tick and untick an action, or one entry of it; remembered by customer and
-- step, so the next night's refreshed proposal keeps the choice.
CREATE FUNCTION dunning.set_selected(action_id bigint, entry_id text, selected boolean) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a dunning.action;
    reason text;
BEGIN
    LOCK TABLE dunning.run IN ROW EXCLUSIVE MODE;   -- not in the middle of a plan: see execute_actions()
    SELECT * INTO a FROM dunning.action x WHERE x.action_id = set_selected.action_id FOR UPDATE;
    PERFORM dunning.check_proposed(a, set_selected.action_id);
    IF set_selected.selected AND a.exclusion_reason = 'stop_dunning' THEN
        RAISE EXCEPTION 'customer % is marked stop_dunning: clear it on the customer record to remind them',
                a.customer_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF set_selected.entry_id IS NULL THEN
        reason := a.exclusion_reason;
        UPDATE dunning.action x SET selected = set_selected.selected WHERE x.action_id = a.action_id;
    ELSE
        UPDATE dunning.action_entry ae SET selected = set_selected.selected
         WHERE ae.action_id = a.action_id AND ae.entry_id = set_selected.entry_id
        RETURNING ae.exclusion_reason INTO reason;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'action % holds no entry %', a.action_id, pg_catalog.quote_literal(set_selected.entry_id)
                USING ERRCODE = 'no_data_found';
        END IF;
    END IF;
    IF set_selected.selected AND reason IS NULL THEN
        -- Back to what the planner proposes: nothing to remember.
        DELETE FROM dunning.selection sel
         WHERE sel.customer_id = a.customer_id AND sel.step = a.step
           AND sel.entry_id = COALESCE(set_selected.entry_id, '');
    ELSE
        INSERT INTO dunning.selection AS sel (customer_id, step, entry_id, selected, overrides)
        VALUES (a.customer_id, a.step, COALESCE(set_selected.entry_id, ''), set_selected.selected,
                CASE WHEN set_selected.selected THEN reason END)
        ON CONFLICT ON CONSTRAINT selection_pkey DO UPDATE
           SET selected = EXCLUDED.selected, overrides = EXCLUDED.overrides,
               changed_at = EXCLUDED.changed_at, changed_by = EXCLUDED.changed_by;
    END IF;
    INSERT INTO dunning.action_event (action_id, status, note)
    VALUES (a.action_id, CASE WHEN set_selected.selected THEN 'ticked' ELSE 'unticked' END, set_selected.entry_id);
END
$$;

CREATE FUNCTION dunning.tick(action_id bigint) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC SELECT dunning.set_selected(action_id, NULL, true); END;
CREATE FUNCTION dunning.untick(action_id bigint) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC SELECT dunning.set_selected(action_id, NULL, false); END;
CREATE FUNCTION dunning.tick(action_id bigint, entry_id text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC SELECT dunning.set_selected(action_id, entry_id, true); END;
CREATE FUNCTION dunning.untick(action_id bigint, entry_id text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC SELECT dunning.set_selected(action_id, entry_id, false); END;
COMMENT ON FUNCTION dunning.tick(bigint) IS 'selects a proposed action (kept across nightly refreshes)';
COMMENT ON FUNCTION dunning.untick(bigint) IS 'leaves a proposed action out (kept across nightly refreshes)';
COMMENT ON FUNCTION dunning.tick(bigint, text) IS 'selects one entry of a proposed action';
COMMENT ON FUNCTION dunning.untick(bigint, text) IS 'leaves one entry out of a proposed action';

-------------------------------------------------------------------------------
-- Views of the manual trigger (seed 000).
-------------------------------------------------------------------------------
-- One row per proposed action and currency (a customer owing in several
-- currencies gets one row each: amounts are never summed across them).
CREATE VIEW dunning.proposal AS
SELECT a.action_id, a.customer_id, a.customer_name, p.name AS profile, a.media, a.step, a.level,
       pg_catalog.sum(ae.open_amount) AS amount,
       ae.currency,
       pg_catalog.count(*) AS entry_count,
       COALESCE(pg_catalog.sum(ae.open_amount) FILTER (WHERE ae.selected), 0) AS selected_amount,
       pg_catalog.count(*) FILTER (WHERE ae.selected) AS selected_entry_count,
       a.selected, a.exclusion_reason, a.customer_in_dispute, a.has_disputed_entries,
       a.collector, a.auto_send, a.proposed_on
FROM dunning.action a
JOIN dunning.action_entry ae ON ae.action_id = a.action_id
LEFT JOIN dunning.profile p ON p.profile_id = a.profile_id
WHERE a.status = 'proposed'
GROUP BY a.action_id, p.name, ae.currency;
COMMENT ON VIEW dunning.proposal IS
    'proposed actions, one row per currency: amount and entry_count of all their entries, selected_amount and selected_entry_count of those that will go';

-- The batches ("lots"): per media, profile, step and level.
CREATE VIEW dunning.batch AS
SELECT pr.media, pr.profile, pr.step, pr.level, pr.currency,
       pg_catalog.count(DISTINCT pr.action_id) AS actions,
       pg_catalog.count(DISTINCT pr.action_id) FILTER (WHERE pr.selected) AS selected_actions,
       pg_catalog.sum(pr.amount) AS amount,
       pg_catalog.sum(pr.selected_amount) FILTER (WHERE pr.selected) AS selected_amount
FROM dunning.proposal pr
GROUP BY pr.media, pr.profile, pr.step, pr.level, pr.currency;
COMMENT ON VIEW dunning.batch IS 'proposed actions per media, profile, step and level, with counts and amounts per currency';

-- Phone and other actions to do, per collector.
CREATE VIEW dunning.todo AS
SELECT a.collector, a.action_id, a.customer_id, a.customer_name, a.media, a.step, a.level,
       pr.selected_amount AS amount, pr.currency, pr.selected_entry_count AS entry_count, a.customer_in_dispute, a.has_disputed_entries, a.proposed_on
FROM dunning.action a
JOIN dunning.proposal pr ON pr.action_id = a.action_id
WHERE a.status = 'proposed' AND a.selected AND a.media IN ('phone', 'other')
  AND pr.selected_entry_count > 0;   -- mark_done refuses an action with every entry unticked
COMMENT ON VIEW dunning.todo IS 'selected phone and other actions waiting to be done, per collector';

-- Every action ever made, with its status history.
CREATE VIEW dunning.activity AS
SELECT a.action_id, a.customer_id, a.customer_name, a.step, a.level, a.media, a.status, a.selected,
       a.exclusion_reason, a.collector, a.proposed_on, a.executed_on, a.note,
       (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'status', ev.status, 'at', ev.at, 'executed_on', ev.executed_on,
                   'by', ev.by_role, 'note', ev.note) ORDER BY ev.at)
        FROM dunning.action_event ev WHERE ev.action_id = a.action_id) AS history
FROM dunning.action a;
COMMENT ON VIEW dunning.activity IS 'every action with its status history';

-------------------------------------------------------------------------------
-- dunning.explain(customer_id, as_of): for each open entry of a customer,
-- where it stands and why it is, or is not, in the day's proposals.
-------------------------------------------------------------------------------
CREATE FUNCTION dunning.explain(customer_id text, as_of date DEFAULT NULL)
    RETURNS TABLE (entry_id text, document_number text, due_date date, open_amount numeric,
                   currency text, level dunning.level, last_dunned_on date, reminder_count integer,
                   next_step dunning.step_name, next_due_on date, verdict text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s dunning.settings;
BEGIN
    SELECT * INTO s FROM dunning.settings;
    as_of := COALESCE(as_of, dunning.today());
    PERFORM dunning.evaluate(as_of, explain.customer_id, true);
    IF NOT EXISTS (SELECT FROM pg_temp.dunning_customer) THEN
        RAISE EXCEPTION 'unknown customer_id %', pg_catalog.quote_literal(explain.customer_id)
            USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM dunning.propose(as_of);
    RETURN QUERY
    SELECT e.entry_id, e.document_number, e.due_date, e.open_amount, e.currency, e.level,
           e.last_dunned_on, e.reminder_count, dunning.level_step(e.next_level), e.due_on,
           CASE
               WHEN e.anomaly IS NOT NULL THEN 'anomaly: ' || e.anomaly
               WHEN e.open_amount = 0 THEN
                   CASE WHEN c.step IS NOT NULL THEN 'settled: thank-you due'
                        WHEN e.thanked_on IS NOT NULL THEN pg_catalog.format('settled: thanked on %s', e.thanked_on)
                        ELSE 'settled' END
               WHEN NOT e.scenario_enabled THEN 'scenario disabled'
               WHEN c.step IS NOT NULL AND cu.stop_dunning THEN 'excluded: stop_dunning'
               WHEN c.step IS NOT NULL AND c.exclusion_reason IS NOT NULL THEN 'excluded: ' || c.exclusion_reason
               WHEN c.step IS NOT NULL AND p.exclusion_reason IS NOT NULL THEN 'excluded: ' || p.exclusion_reason
               WHEN c.step IS NOT NULL AND c.level > c.level_before AND c.step <> dunning.level_step(e.next_level)
                   THEN pg_catalog.format('due: in the account statement at %s', c.level)
               WHEN c.step IS NOT NULL THEN pg_catalog.format('due: proposed at %s', c.level)
               WHEN e.next_level IS NULL AND e.level >= 'R1' THEN 'last level reached'
               WHEN e.next_level IS NULL THEN 'no reminder step enabled'
               WHEN e.is_credit THEN pg_catalog.format('credit entry: joins a message at %s only', e.next_level)
               WHEN e.due_on > as_of THEN 'not due until ' || pg_catalog.to_char(e.due_on, 'YYYY-MM-DD')
               ELSE 'due'
           END
    FROM pg_temp.dunning_eval e
    LEFT JOIN pg_temp.dunning_customer cu ON cu.customer_id = e.customer_id
    LEFT JOIN pg_temp.dunning_candidate c ON c.customer_id = e.customer_id AND c.entry_id = e.entry_id
    LEFT JOIN pg_temp.dunning_proposal p ON p.customer_id = c.customer_id AND p.step = c.step
    ORDER BY e.due_date NULLS LAST, e.entry_id;
END
$$;
COMMENT ON FUNCTION dunning.explain(text, date) IS
    'for each open entry of a customer: level, next step, the date it falls due, and why it is or is not proposed';

-------------------------------------------------------------------------------
-- Backups: history and state are user data.
-------------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('dunning.run', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.customer_state', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.action', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.action_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.action_entry', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.action_event', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.selection', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.anomaly', '');

-------------------------------------------------------------------------------
-- Privileges of the planner's objects.
--   dunning_admin      plans, reads everything
--   dunning_collector  plans, reviews, ticks, sends, downloads, marks done
--   dunning_reader     reads the views
-------------------------------------------------------------------------------
REVOKE ALL ON ALL TABLES IN SCHEMA dunning FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA dunning FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dunning FROM PUBLIC;

GRANT SELECT ON dunning.run, dunning.customer_state, dunning.entry_state, dunning.action, dunning.action_entry,
                dunning.action_event, dunning.selection, dunning.anomaly,
                dunning.proposal, dunning.batch, dunning.todo, dunning.activity
    TO dunning_admin, dunning_collector;
GRANT SELECT ON dunning.proposal, dunning.batch, dunning.todo, dunning.activity TO dunning_reader;
GRANT EXECUTE ON FUNCTION
    dunning.plan(date), dunning.explain(text, date), dunning.today(),
    dunning.send(text, text, text, date), dunning.download_letters(text, text, date),
    dunning.mark_done(bigint, text, date),
    dunning.tick(bigint), dunning.untick(bigint), dunning.tick(bigint, text), dunning.untick(bigint, text),
    dunning.letter_document(text, text, text[]), dunning.html_escape(text)
    TO dunning_admin, dunning_collector;
GRANT EXECUTE ON FUNCTION dunning.today(), dunning.level_step(dunning.level),
                          dunning.criteria_match(jsonb, jsonb),
                          dunning.profile_of(jsonb[], bigint[], text, text, text, text, text, boolean, boolean, jsonb)
    TO dunning_admin, dunning_collector, dunning_reader;
