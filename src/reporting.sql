-------------------------------------------------------------------------------
-- Reporting views (src/reporting.sql, appended after src/nightly.sql by the
-- Makefile).  doc/reporting.md describes every column.
--
-- What reporting tools read, granted to dunning_reader (and to admins and
-- collectors): the amount to dun (the home-page block of seed 000), ageing
-- buckets, reminders executed per day, the collectors' to-do lists, reminder
-- counts per entry (infinite dunning, seed 002) and DSO.
--
-- The views over the planner's tables run with their owner's privileges, as
-- views do.  The two reports that read the ledger (ageing, DSO) are
-- SECURITY DEFINER functions: dunning_reader cannot read the ledger, and
-- the relations are the regclass values of dunning.settings, printed (and
-- quoted) by PostgreSQL exactly as dunning.evaluate() does; no configurable
-- text is ever executed.  Their views call them with as_of NULL, which the
-- functions turn into dunning.today() as the owner (dunning.today() reads
-- dunning.settings, which dunning_reader cannot read).
--
-- Amounts are never summed across currencies: every amount column comes
-- with its currency.  A ledger row with a NULL currency is reported on its
-- own row with currency NULL; an open debit with a NULL due date in its own
-- no_due_date column; neither aborts a report.
-------------------------------------------------------------------------------

-------------------------------------------------------------------------------
-- The amount to dun (seed 000, the home page's "Montant à relancer" block and
-- its "Je relance" button): what sending every selected proposal would claim,
-- per media, level and currency.  Counted: proposed, ticked actions that
-- dunning.send / download_letters / mark_done would execute (at least one
-- ticked debit entry), and their ticked entries; the amount is the net of
-- those entries (a credit note in the message lowers it), as the message's
-- total says.  Thank-yous claim nothing and are left out.
-------------------------------------------------------------------------------
CREATE VIEW dunning.amount_to_dun AS
SELECT a.media, a.level, ae.currency,
       pg_catalog.count(DISTINCT a.action_id) AS actions,
       pg_catalog.count(DISTINCT a.customer_id) AS customers,
       pg_catalog.count(*) AS entry_count,
       pg_catalog.sum(ae.open_amount) AS amount,
       pg_catalog.max(a.proposed_on) AS proposed_on
FROM dunning.action a
JOIN dunning.action_entry ae ON ae.action_id = a.action_id AND ae.selected
WHERE a.status = 'proposed' AND a.selected AND a.step <> 'thanks'
  AND EXISTS (SELECT FROM dunning.action_entry d
              WHERE d.action_id = a.action_id AND d.selected AND d.open_amount > 0)
GROUP BY a.media, a.level, ae.currency;
COMMENT ON VIEW dunning.amount_to_dun IS
    'the home-page "amount to dun": selected proposals that would be executed, per media, level and currency, with their counts and the net amount of their ticked entries';

-------------------------------------------------------------------------------
-- Collectors' to-do lists, summed: per collector, media (phone, other) and
-- currency, the proposals dunning.mark_done would accept (ticked, with a
-- ticked debit entry, or a thank-you).  dunning.todo lists them one by one.
-------------------------------------------------------------------------------
CREATE VIEW dunning.collector_todo AS
SELECT a.collector, a.media, ae.currency,
       pg_catalog.count(DISTINCT a.action_id) AS actions,
       pg_catalog.count(DISTINCT a.customer_id) AS customers,
       pg_catalog.count(*) AS entry_count,
       pg_catalog.sum(ae.open_amount) AS amount,
       pg_catalog.max(a.level) AS highest_level,
       pg_catalog.min(ae.due_date) FILTER (WHERE ae.open_amount > 0) AS oldest_due_date
FROM dunning.action a
JOIN dunning.action_entry ae ON ae.action_id = a.action_id AND ae.selected
WHERE a.status = 'proposed' AND a.selected AND a.media IN ('phone', 'other')
  AND (a.step = 'thanks'
       OR EXISTS (SELECT FROM dunning.action_entry d
                  WHERE d.action_id = a.action_id AND d.selected AND d.open_amount > 0))
GROUP BY a.collector, a.media, ae.currency;
COMMENT ON VIEW dunning.collector_todo IS
    'each collector''s phone and other actions to do, per media and currency: counts, amount, highest level, oldest due date';

-------------------------------------------------------------------------------
-- Reminders executed per day, level and media (thank-yous are not
-- reminders), with what became of them since: still queued in the outbox,
-- sent, done (downloaded or marked done), failed (dead in the outbox), or
-- cancelled (the outbox found every entry settled before delivery).
-------------------------------------------------------------------------------
CREATE VIEW dunning.reminders_per_day AS
SELECT a.executed_on, a.level, a.media,
       pg_catalog.count(DISTINCT a.action_id) AS actions,
       pg_catalog.count(DISTINCT a.customer_id) AS customers,
       pg_catalog.count(*) AS entry_count,
       pg_catalog.count(DISTINCT a.action_id) FILTER (WHERE a.status = 'queued') AS queued,
       pg_catalog.count(DISTINCT a.action_id) FILTER (WHERE a.status = 'sent') AS sent,
       pg_catalog.count(DISTINCT a.action_id) FILTER (WHERE a.status = 'done') AS done,
       pg_catalog.count(DISTINCT a.action_id) FILTER (WHERE a.status = 'failed') AS failed,
       pg_catalog.count(DISTINCT a.action_id) FILTER (WHERE a.status = 'cancelled') AS cancelled
FROM dunning.action a
JOIN dunning.action_entry ae ON ae.action_id = a.action_id AND ae.selected
WHERE a.executed_on IS NOT NULL AND a.step <> 'thanks'
GROUP BY a.executed_on, a.level, a.media;
COMMENT ON VIEW dunning.reminders_per_day IS
    'reminders executed per day, level and media: actions, customers and entries, and how many are queued, sent, done, failed or cancelled';

-------------------------------------------------------------------------------
-- Reminder counts per entry (seed 002: under infinite dunning the last level
-- repeats, the level stays at the maximum, and the reminders of each entry
-- are counted).  Every entry that has been reminded (level P or above), with
-- the scenario of its latest executed reminder and whether that scenario is
-- infinite now; reminders_at_level counts the executed reminders that held
-- the entry at its current level (its first arrival there and the repeats).
-------------------------------------------------------------------------------
CREATE VIEW dunning.reminder_counts AS
WITH executed AS (
    SELECT ae.customer_id, ae.entry_id, ae.document_number, ae.currency,
           a.action_id, a.executed_on, a.level, a.media, a.scenario_id, a.profile_id
    FROM dunning.action a
    JOIN dunning.action_entry ae ON ae.action_id = a.action_id AND ae.selected
    WHERE a.executed_on IS NOT NULL AND a.level IS NOT NULL
), latest AS (
    SELECT DISTINCT ON (x.customer_id, x.entry_id) x.*
    FROM executed x
    ORDER BY x.customer_id, x.entry_id, x.executed_on DESC, x.action_id DESC
), per_level AS (
    SELECT x.customer_id, x.entry_id, x.level, pg_catalog.count(*) AS reminders
    FROM executed x
    GROUP BY x.customer_id, x.entry_id, x.level
)
SELECT st.customer_id, st.entry_id, l.document_number, l.currency,
       st.level, st.reminder_count, st.last_dunned_on,
       COALESCE(pl.reminders, 0) AS reminders_at_level,
       l.media AS last_media,
       p.name AS profile, sc.scenario_id, sc.audience, sc.infinite
FROM dunning.entry_state st
LEFT JOIN latest l ON l.customer_id = st.customer_id AND l.entry_id = st.entry_id
LEFT JOIN per_level pl ON pl.customer_id = st.customer_id AND pl.entry_id = st.entry_id AND pl.level = st.level
LEFT JOIN dunning.scenario sc ON sc.scenario_id = l.scenario_id
LEFT JOIN dunning.profile p ON p.profile_id = l.profile_id
WHERE st.level > 'none';
COMMENT ON VIEW dunning.reminder_counts IS
    'each reminded entry: level, reminder_count, last_dunned_on, reminders at its current level, and the (infinite or not) scenario of its latest reminder';

-------------------------------------------------------------------------------
-- Ageing: open amounts per customer and currency, debits bucketed by days
-- overdue (as_of - due_date): not due (0 or less: due on as_of or later),
-- 1-30, 31-60, 61-90, over 90; open debits without a due date in their own
-- column; credits (negative open amounts) summed apart.  Amounts are the
-- ledger's open amounts when the function runs: as_of sets the day the
-- days overdue are counted to.
-------------------------------------------------------------------------------
CREATE FUNCTION dunning.ageing_on(as_of date DEFAULT NULL)
    RETURNS TABLE (as_of_date date, customer_id text, customer_name text, collector text, currency text,
                   not_due numeric, overdue_1_30 numeric, overdue_31_60 numeric, overdue_61_90 numeric,
                   overdue_over_90 numeric, no_due_date numeric, overdue numeric, open_debits numeric,
                   open_credits numeric, balance numeric, entry_count bigint, oldest_due_date date)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s dunning.settings;
BEGIN
    SELECT * INTO s FROM dunning.settings;
    PERFORM dunning.check_ledger_relation(s.customer_source, 'customers');
    PERFORM dunning.check_ledger_relation(s.entry_source, 'entries');
    as_of := COALESCE(as_of, dunning.today());
    RETURN QUERY EXECUTE pg_catalog.format($q$
        SELECT $1, t.customer_id, c.name, c.collector, t.currency,
               t.not_due, t.overdue_1_30, t.overdue_31_60, t.overdue_61_90, t.overdue_over_90,
               t.no_due_date,
               t.overdue_1_30 + t.overdue_31_60 + t.overdue_61_90 + t.overdue_over_90,
               t.open_debits, t.open_credits, t.open_debits + t.open_credits,
               t.entry_count, t.oldest_due_date
        FROM (
            SELECT e.customer_id::text AS customer_id, e.currency::text AS currency,
                   COALESCE(pg_catalog.sum(e.open_amount) FILTER (WHERE e.open_amount > 0 AND e.due_date >= $1), 0)
                       AS not_due,
                   COALESCE(pg_catalog.sum(e.open_amount) FILTER (WHERE e.open_amount > 0
                                                                    AND $1 - e.due_date BETWEEN 1 AND 30), 0)
                       AS overdue_1_30,
                   COALESCE(pg_catalog.sum(e.open_amount) FILTER (WHERE e.open_amount > 0
                                                                    AND $1 - e.due_date BETWEEN 31 AND 60), 0)
                       AS overdue_31_60,
                   COALESCE(pg_catalog.sum(e.open_amount) FILTER (WHERE e.open_amount > 0
                                                                    AND $1 - e.due_date BETWEEN 61 AND 90), 0)
                       AS overdue_61_90,
                   COALESCE(pg_catalog.sum(e.open_amount) FILTER (WHERE e.open_amount > 0 AND $1 - e.due_date > 90), 0)
                       AS overdue_over_90,
                   COALESCE(pg_catalog.sum(e.open_amount) FILTER (WHERE e.open_amount > 0 AND e.due_date IS NULL), 0)
                       AS no_due_date,
                   COALESCE(pg_catalog.sum(e.open_amount) FILTER (WHERE e.open_amount > 0), 0) AS open_debits,
                   COALESCE(pg_catalog.sum(e.open_amount) FILTER (WHERE e.open_amount < 0), 0) AS open_credits,
                   pg_catalog.count(*) AS entry_count,
                   pg_catalog.min(e.due_date) FILTER (WHERE e.open_amount > 0) AS oldest_due_date
            FROM %1$s AS e
            WHERE e.open_amount <> 0
            GROUP BY 1, 2
        ) AS t
        LEFT JOIN (SELECT c.customer_id::text AS customer_id, pg_catalog.min(c.name::text) AS name,
                          pg_catalog.min(c.collector::text) AS collector
                   FROM %2$s AS c
                   GROUP BY 1) AS c
               ON c.customer_id = t.customer_id
        $q$, s.entry_source, s.customer_source)
    USING as_of;
END
$$;
COMMENT ON FUNCTION dunning.ageing_on(date) IS
    'open amounts per customer and currency on a date (NULL: today): debits by days overdue (not due, 1-30, 31-60, 61-90, over 90, no due date), credits, balance';

CREATE VIEW dunning.ageing AS
SELECT g.as_of_date, g.customer_id, g.customer_name, g.collector, g.currency,
       g.not_due, g.overdue_1_30, g.overdue_31_60, g.overdue_61_90, g.overdue_over_90, g.no_due_date,
       g.overdue, g.open_debits, g.open_credits, g.balance, g.entry_count, g.oldest_due_date
FROM dunning.ageing_on(NULL::date) AS g;
COMMENT ON VIEW dunning.ageing IS
    'dunning.ageing_on(today): open amounts per customer and currency by days overdue';

-------------------------------------------------------------------------------
-- DSO (days sales outstanding) per customer and currency:
--   dso = receivables / sales * period_days, rounded to 0.1 day,
-- receivables = the open debit amounts (open_amount > 0; ageing's
-- open_debits), sales = the amounts of the invoices (kind = 'invoice')
-- dated in the period_days days up to as_of (as_of - period_days <
-- document_date <= as_of).  NULL when there were no sales (sales <= 0).
-------------------------------------------------------------------------------
CREATE FUNCTION dunning.dso_on(as_of date DEFAULT NULL, period_days integer DEFAULT 90)
    RETURNS TABLE (customer_id text, customer_name text, currency text, sales_from date, sales_to date,
                   receivables numeric, sales numeric, dso numeric)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s dunning.settings;
BEGIN
    IF period_days IS NULL OR period_days < 1 OR period_days > 3660 THEN
        RAISE EXCEPTION 'period_days must be between 1 and 3660 days, got %', COALESCE(period_days::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO s FROM dunning.settings;
    PERFORM dunning.check_ledger_relation(s.customer_source, 'customers');
    PERFORM dunning.check_ledger_relation(s.entry_source, 'entries');
    as_of := COALESCE(as_of, dunning.today());
    RETURN QUERY EXECUTE pg_catalog.format($q$
        SELECT t.customer_id, c.name, t.currency, $1 - $2 + 1, $1,
               t.receivables, t.sales,
               CASE WHEN t.sales > 0 THEN pg_catalog.round(t.receivables * $2 / t.sales, 1) END
        FROM (
            SELECT e.customer_id::text AS customer_id, e.currency::text AS currency,
                   COALESCE(pg_catalog.sum(e.open_amount) FILTER (WHERE e.open_amount > 0), 0) AS receivables,
                   COALESCE(pg_catalog.sum(e.amount) FILTER (WHERE e.kind = 'invoice' AND e.document_date > $1 - $2
                                                                 AND e.document_date <= $1), 0) AS sales
            FROM %1$s AS e
            WHERE e.open_amount > 0
               OR (e.kind = 'invoice' AND e.document_date > $1 - $2 AND e.document_date <= $1)
            GROUP BY 1, 2
        ) AS t
        LEFT JOIN (SELECT c.customer_id::text AS customer_id, pg_catalog.min(c.name::text) AS name
                   FROM %2$s AS c
                   GROUP BY 1) AS c
               ON c.customer_id = t.customer_id
        WHERE t.receivables <> 0 OR t.sales <> 0
        $q$, s.entry_source, s.customer_source)
    USING as_of, period_days;
END
$$;
COMMENT ON FUNCTION dunning.dso_on(date, integer) IS
    'days sales outstanding per customer and currency on a date (NULL: today): open debits / invoiced amount of the period_days days up to it * period_days';

CREATE VIEW dunning.dso AS
SELECT d.customer_id, d.customer_name, d.currency, d.sales_from, d.sales_to, d.receivables, d.sales, d.dso
FROM dunning.dso_on(NULL::date, 90) AS d;
COMMENT ON VIEW dunning.dso IS 'dunning.dso_on(today, 90): days sales outstanding per customer and currency';

-------------------------------------------------------------------------------
-- Privileges: the reporting views for readers, admins and collectors; the
-- two functions behind the ledger reports too (their function forms).
-------------------------------------------------------------------------------
REVOKE ALL ON dunning.amount_to_dun, dunning.collector_todo, dunning.reminders_per_day,
              dunning.reminder_counts, dunning.ageing, dunning.dso
    FROM PUBLIC;
REVOKE ALL ON FUNCTION dunning.ageing_on(date), dunning.dso_on(date, integer) FROM PUBLIC;
GRANT SELECT ON dunning.amount_to_dun, dunning.collector_todo, dunning.reminders_per_day,
                dunning.reminder_counts, dunning.ageing, dunning.dso
    TO dunning_reader, dunning_admin, dunning_collector;
GRANT EXECUTE ON FUNCTION dunning.ageing_on(date), dunning.dso_on(date, integer)
    TO dunning_reader, dunning_admin, dunning_collector;
