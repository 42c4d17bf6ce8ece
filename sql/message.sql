--
-- dunning.entry_list() (src/message.c): the entries of a message as jsonb,
-- the same value jsonb_agg(jsonb_build_object(...)) gives, built in C.
--
\set SHOW_CONTEXT never

CREATE TEMPORARY TABLE e (action_id int, entry_id text, document_number text, document_date date,
                          due_date date, amount numeric, open_amount numeric, currency text,
                          in_dispute boolean, as_of date);
INSERT INTO e VALUES
    (1, 'E1', 'FA-1', '2026-01-31', '2026-03-02', 1234567.891, 1234.50, 'EUR', false, '2026-06-30'),
    (1, 'E2', NULL,   '2024-02-29', '2024-02-29', 0.005, 999.995, 'GBP', true, '2026-06-30'),
    (1, 'E3', 'AV-3', '2026-06-15', NULL, -250, -250, 'CHF', false, '2026-06-30'),
    (2, 'E4', 'FA-4', NULL, '2026-07-05', 'NaN', 'Infinity', NULL, NULL, '2026-06-30'),
    (2, 'E5', 'FA-5', '-infinity', 'infinity', 10, 10, 'EUR', false, '2026-06-30'),
    (3, 'E6', 'FA-6', '2026-06-01', '2026-06-10', 0, 0.00, 'EUR', false, NULL),
    (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

-- One action's list, in the order given.
SELECT jsonb_pretty(dunning.entry_list(entry_id, document_number, document_date, due_date, amount,
                                       open_amount, currency, in_dispute, as_of ORDER BY due_date, entry_id))
FROM e WHERE action_id = 1;

-- Equal to what jsonb_build_object() gives wherever SQL can compute it (it
-- cannot subtract infinite dates: action 2 has them, and entry_list gives
-- days_overdue NULL there, shown below).
SELECT action_id,
       dunning.entry_list(entry_id, document_number, document_date, due_date, amount, open_amount,
                          currency, in_dispute, as_of ORDER BY entry_id)
       = jsonb_agg(jsonb_build_object(
             'entry_id', entry_id, 'document_number', COALESCE(document_number, entry_id),
             'document_date', document_date, 'due_date', due_date, 'amount', amount,
             'open_amount', open_amount, 'currency', currency, 'in_dispute', in_dispute,
             'dispute', in_dispute, 'days_overdue', as_of - due_date) ORDER BY entry_id) AS same
FROM e WHERE action_id <> 2 GROUP BY action_id ORDER BY action_id;

-- NaN and infinite amounts as strings (JSON has no number for them), as
-- jsonb_build_object() writes them; infinite dates as "infinity".
SELECT jsonb_pretty(dunning.entry_list(entry_id, document_number, document_date, due_date, amount,
                                       open_amount, currency, in_dispute, as_of ORDER BY entry_id))
FROM e WHERE action_id = 2;

-- No entry: NULL, as jsonb_agg().
SELECT dunning.entry_list(entry_id, document_number, document_date, due_date, amount, open_amount,
                          currency, in_dispute, as_of) IS NULL AS is_null
FROM e WHERE false;
