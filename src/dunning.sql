-- dunning: customer dunning (payment reminders) inside PostgreSQL.
--
-- The one source of the install script; the Makefile copies it into
-- dunning--<version>.sql.  Every reference is schema-qualified and every
-- PL/pgSQL function pins search_path, so objects a user creates elsewhere
-- (a public.lower(), an = operator) are never called (see sql/security.sql).

\echo Use "CREATE EXTENSION dunning" to load this file. \quit

-------------------------------------------------------------------------------
-- Roles.  They are cluster-wide: a second database installing the extension
-- finds them already there.  NOLOGIN: a DBA grants them to login roles.
-------------------------------------------------------------------------------
DO $roles$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['dunning_admin', 'dunning_collector',
                                     'dunning_sender', 'dunning_reader']
    LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) role_name) THEN
            BEGIN
                EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', role_name);
            EXCEPTION WHEN unique_violation OR duplicate_object THEN
                NULL;   -- another database's CREATE EXTENSION made it meanwhile
            END;
        END IF;
    END LOOP;
END
$roles$;

-------------------------------------------------------------------------------
-- dunning.level: none < P < R1 < ... < R7, stored as int16 (see src/level.h).
-- Comparison, hashing and min/max are PostgreSQL's own int2 functions.
-------------------------------------------------------------------------------
CREATE TYPE dunning.level;

CREATE FUNCTION dunning.level_in(cstring) RETURNS dunning.level
    AS 'MODULE_PATHNAME', 'dunning_level_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION dunning.level_out(dunning.level) RETURNS cstring
    AS 'MODULE_PATHNAME', 'dunning_level_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION dunning.level_recv(internal) RETURNS dunning.level
    AS 'MODULE_PATHNAME', 'dunning_level_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION dunning.level_send(dunning.level) RETURNS bytea
    AS 'MODULE_PATHNAME', 'dunning_level_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE dunning.level (
    INPUT = dunning.level_in,
    OUTPUT = dunning.level_out,
    RECEIVE = dunning.level_recv,
    SEND = dunning.level_send,
    LIKE = pg_catalog.int2
);
COMMENT ON TYPE dunning.level IS
    'dunning level of a ledger entry: none < P (pre-due reminder sent) < R1 < ... < R7';

CREATE FUNCTION dunning.level_eq(dunning.level, dunning.level) RETURNS boolean
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF AS 'int2eq';
CREATE FUNCTION dunning.level_ne(dunning.level, dunning.level) RETURNS boolean
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF AS 'int2ne';
CREATE FUNCTION dunning.level_lt(dunning.level, dunning.level) RETURNS boolean
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF AS 'int2lt';
CREATE FUNCTION dunning.level_le(dunning.level, dunning.level) RETURNS boolean
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF AS 'int2le';
CREATE FUNCTION dunning.level_gt(dunning.level, dunning.level) RETURNS boolean
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF AS 'int2gt';
CREATE FUNCTION dunning.level_ge(dunning.level, dunning.level) RETURNS boolean
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF AS 'int2ge';
CREATE FUNCTION dunning.level_cmp(dunning.level, dunning.level) RETURNS integer
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF AS 'btint2cmp';
CREATE FUNCTION dunning.level_sortsupport(internal) RETURNS void
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'btint2sortsupport';
CREATE FUNCTION dunning.level_hash(dunning.level) RETURNS integer
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF AS 'hashint2';
CREATE FUNCTION dunning.level_hash_extended(dunning.level, bigint) RETURNS bigint
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF AS 'hashint2extended';
CREATE FUNCTION dunning.level_smaller(dunning.level, dunning.level) RETURNS dunning.level
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'int2smaller';
CREATE FUNCTION dunning.level_larger(dunning.level, dunning.level) RETURNS dunning.level
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'int2larger';

-- The operators and the min/max aggregates live in pg_catalog, which every
-- search_path includes, so that a reporting tool can write level >= 'R2' or
-- max(level) without putting schema dunning on its path.  They only take
-- dunning.level arguments, so they cannot capture another type's calls.
CREATE OPERATOR pg_catalog.= (
    LEFTARG = dunning.level, RIGHTARG = dunning.level, FUNCTION = dunning.level_eq,
    COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES, MERGES);
CREATE OPERATOR pg_catalog.<> (
    LEFTARG = dunning.level, RIGHTARG = dunning.level, FUNCTION = dunning.level_ne,
    COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=),
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel);
CREATE OPERATOR pg_catalog.< (
    LEFTARG = dunning.level, RIGHTARG = dunning.level, FUNCTION = dunning.level_lt,
    COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
    RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel);
CREATE OPERATOR pg_catalog.<= (
    LEFTARG = dunning.level, RIGHTARG = dunning.level, FUNCTION = dunning.level_le,
    COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
    RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel);
CREATE OPERATOR pg_catalog.> (
    LEFTARG = dunning.level, RIGHTARG = dunning.level, FUNCTION = dunning.level_gt,
    COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
    RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel);
CREATE OPERATOR pg_catalog.>= (
    LEFTARG = dunning.level, RIGHTARG = dunning.level, FUNCTION = dunning.level_ge,
    COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
    RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel);

-- One operator family for btree and hash, as contrib/isn does.
CREATE OPERATOR FAMILY dunning.level_ops USING btree;
CREATE OPERATOR FAMILY dunning.level_ops USING hash;

CREATE OPERATOR CLASS dunning.level_ops
    DEFAULT FOR TYPE dunning.level USING btree FAMILY dunning.level_ops AS
        OPERATOR 1 pg_catalog.<,
        OPERATOR 2 pg_catalog.<=,
        OPERATOR 3 pg_catalog.=,
        OPERATOR 4 pg_catalog.>=,
        OPERATOR 5 pg_catalog.>,
        FUNCTION 1 dunning.level_cmp(dunning.level, dunning.level),
        FUNCTION 2 dunning.level_sortsupport(internal);

CREATE OPERATOR CLASS dunning.level_ops
    DEFAULT FOR TYPE dunning.level USING hash FAMILY dunning.level_ops AS
        OPERATOR 1 pg_catalog.=,
        FUNCTION 1 dunning.level_hash(dunning.level),
        FUNCTION 2 dunning.level_hash_extended(dunning.level, bigint);

CREATE AGGREGATE pg_catalog.min(dunning.level) (
    SFUNC = dunning.level_smaller, STYPE = dunning.level,
    SORTOP = OPERATOR(pg_catalog.<), COMBINEFUNC = dunning.level_smaller, PARALLEL = SAFE);
CREATE AGGREGATE pg_catalog.max(dunning.level) (
    SFUNC = dunning.level_larger, STYPE = dunning.level,
    SORTOP = OPERATOR(pg_catalog.>), COMBINEFUNC = dunning.level_larger, PARALLEL = SAFE);

-- Casts to and from integer use the level number: none = -1, P = 0, Rk = k.
CREATE FUNCTION dunning.level_to_int4(dunning.level) RETURNS integer
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF AS 'i2toi4';
CREATE FUNCTION dunning.int4_to_level(integer) RETURNS dunning.level
    AS 'MODULE_PATHNAME', 'dunning_level_from_int4'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (dunning.level AS integer) WITH FUNCTION dunning.level_to_int4(dunning.level);
CREATE CAST (integer AS dunning.level) WITH FUNCTION dunning.int4_to_level(integer);
COMMENT ON FUNCTION dunning.level_to_int4(dunning.level) IS
    'level number: none = -1, P = 0, R1..R7 = 1..7';
COMMENT ON FUNCTION dunning.int4_to_level(integer) IS
    'level of a level number (-1 none, 0 P, 1..7 R1..R7); other numbers are refused';

-------------------------------------------------------------------------------
-- dunning.steps: a scenario's enabled steps and days packed into one
-- fixed-size value (see src/steps.h), so that the per-entry rule functions
-- read no table.  Text form: pre_due:5,R1:5,R2:15,R3:30,thanks:3[,infinite].
-------------------------------------------------------------------------------
CREATE TYPE dunning.steps;

CREATE FUNCTION dunning.steps_in(cstring) RETURNS dunning.steps
    AS 'MODULE_PATHNAME', 'dunning_steps_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION dunning.steps_out(dunning.steps) RETURNS cstring
    AS 'MODULE_PATHNAME', 'dunning_steps_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION dunning.steps_recv(internal) RETURNS dunning.steps
    AS 'MODULE_PATHNAME', 'dunning_steps_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION dunning.steps_send(dunning.steps) RETURNS bytea
    AS 'MODULE_PATHNAME', 'dunning_steps_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE dunning.steps (
    INPUT = dunning.steps_in,
    OUTPUT = dunning.steps_out,
    RECEIVE = dunning.steps_recv,
    SEND = dunning.steps_send,
    INTERNALLENGTH = 20,
    ALIGNMENT = int2,
    STORAGE = plain
);
COMMENT ON TYPE dunning.steps IS
    'a scenario''s enabled steps with their days, and whether it is infinite, packed';

-- The rules for one entry (src/schedule.c).
CREATE FUNCTION dunning.next_level(steps dunning.steps, level dunning.level, due_date date,
                                   as_of date, is_credit boolean)
    RETURNS dunning.level
    AS 'MODULE_PATHNAME', 'dunning_next_level'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dunning.next_level(dunning.steps, dunning.level, date, date, boolean) IS
    'level of the next reminder of an entry, NULL when none comes (P only for a debit whose due date is ahead of as_of)';

CREATE FUNCTION dunning.next_due_on(steps dunning.steps, level dunning.level, next_level dunning.level,
                                    due_date date, last_dunned_on date)
    RETURNS date
    AS 'MODULE_PATHNAME', 'dunning_next_due_on'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dunning.next_due_on(dunning.steps, dunning.level, dunning.level, date, date) IS
    'date the next reminder of an entry falls due: P due_date - days, first reminder due_date + days, later ones last_dunned_on + days';

CREATE FUNCTION dunning.next_reminder_on(steps dunning.steps, level dunning.level, due_date date,
                                         last_dunned_on date, as_of date, is_credit boolean)
    RETURNS date
    AS 'MODULE_PATHNAME', 'dunning_next_reminder_on'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dunning.next_reminder_on(dunning.steps, dunning.level, date, date, date, boolean) IS
    'date the next reminder of an entry falls due (next_level and next_due_on in one call), NULL when none comes';

CREATE FUNCTION dunning.state_due_levels(steps dunning.steps, levels dunning.level[], last_dunned_on date[],
                                         as_of date)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'dunning_state_due_levels'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dunning.state_due_levels(dunning.steps, dunning.level[], date[], date) IS
    'bit mask (bit level::integer + 1) of the levels the stored entries of a customer could be reminded to on as_of: those at R1 or above, an entry without an execution date counted as due';

-- The account-statement level of a group of entries (seed 003), C.
CREATE FUNCTION dunning.statement_level_step(state dunning.level, level dunning.level, next_level dunning.level,
                                             next_due_on date, as_of date)
    RETURNS dunning.level
    AS 'MODULE_PATHNAME', 'dunning_statement_level_step'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE dunning.statement_level(level dunning.level, next_level dunning.level, next_due_on date, as_of date) (
    SFUNC = dunning.statement_level_step, STYPE = dunning.level,
    COMBINEFUNC = dunning.level_larger, PARALLEL = SAFE);
COMMENT ON AGGREGATE dunning.statement_level(dunning.level, dunning.level, date, date) IS
    'account-statement level of a group of entries: the highest of each entry''s next level when due on as_of, else its level';

-------------------------------------------------------------------------------
-- Value lists of the configuration.  Enums refuse a bad value with SQLSTATE
-- 22P02 and quote it: invalid input value for enum dunning.media: "fax".
-------------------------------------------------------------------------------
CREATE TYPE dunning.step_name AS ENUM
    ('pre_due', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'thanks');
COMMENT ON TYPE dunning.step_name IS 'the nine steps of a scenario, in order (seed 002)';
CREATE TYPE dunning.media AS ENUM ('email', 'letter', 'phone', 'other');
COMMENT ON TYPE dunning.media IS 'how a reminder reaches the customer (seed 004)';
CREATE TYPE dunning.audience AS ENUM ('with_email', 'without_email');
COMMENT ON TYPE dunning.audience IS 'which customers a scenario is for: those with or without an email address';
CREATE TYPE dunning.grouping_mode AS ENUM ('per_document', 'account_statement');
COMMENT ON TYPE dunning.grouping_mode IS 'how due entries are grouped into messages (seed 003)';

-------------------------------------------------------------------------------
-- The ledger contract.  These default tables are what the planner reads until
-- dunning.attach() points it at the DBA's own relations.  They refuse values
-- that are typos (an unknown kind, a malformed currency); what is merely
-- incomplete (a missing due date, an unknown customer) is loaded and left to
-- the planner, which records it in dunning.anomaly without stopping a run.
-------------------------------------------------------------------------------
CREATE TABLE dunning.customer (
    customer_id   text PRIMARY KEY,
    name          text NOT NULL,
    email         text,
    language      text DEFAULT 'fr',
    collector     text,
    profile       text,
    stop_dunning  boolean NOT NULL DEFAULT false,
    in_dispute    boolean NOT NULL DEFAULT false,
    attributes    jsonb NOT NULL DEFAULT '{}'::jsonb
        CONSTRAINT customer_attributes_is_object
        CHECK (pg_catalog.jsonb_typeof(attributes) OPERATOR(pg_catalog.=) 'object')
);
COMMENT ON TABLE dunning.customer IS 'default customers relation of the ledger contract';

CREATE TABLE dunning.entry (
    entry_id        text PRIMARY KEY,
    customer_id     text NOT NULL,
    document_number text,
    kind            text NOT NULL
        CONSTRAINT entry_kind_is_known
        CHECK (kind OPERATOR(pg_catalog.=) ANY (ARRAY['invoice', 'credit_note', 'payment', 'other'])),
    document_date   date,
    due_date        date,
    amount          numeric NOT NULL,
    open_amount     numeric NOT NULL,
    currency        text
        CONSTRAINT entry_currency_is_iso_4217
        CHECK (currency OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
    in_dispute      boolean NOT NULL DEFAULT false,
    promised_on     date,
    settled_on      date,
    settled_by      text
        CONSTRAINT entry_settled_by_is_known
        CHECK (settled_by OPERATOR(pg_catalog.=) ANY (ARRAY['payment', 'credit_note']))
);
CREATE INDEX entry_customer_id_idx ON dunning.entry (customer_id);
COMMENT ON TABLE dunning.entry IS 'default entries relation of the ledger contract (écritures)';

CREATE VIEW dunning.ledger_contract AS
SELECT c.relation, c.position, c.column_name, c.data_type
FROM (VALUES
    ('customers', 1, 'customer_id', 'pg_catalog.text'::pg_catalog.regtype),
    ('customers', 2, 'name', 'pg_catalog.text'),
    ('customers', 3, 'email', 'pg_catalog.text'),
    ('customers', 4, 'language', 'pg_catalog.text'),
    ('customers', 5, 'collector', 'pg_catalog.text'),
    ('customers', 6, 'profile', 'pg_catalog.text'),
    ('customers', 7, 'stop_dunning', 'pg_catalog.bool'),
    ('customers', 8, 'in_dispute', 'pg_catalog.bool'),
    ('customers', 9, 'attributes', 'pg_catalog.jsonb'),
    ('entries', 1, 'entry_id', 'pg_catalog.text'),
    ('entries', 2, 'customer_id', 'pg_catalog.text'),
    ('entries', 3, 'document_number', 'pg_catalog.text'),
    ('entries', 4, 'kind', 'pg_catalog.text'),
    ('entries', 5, 'document_date', 'pg_catalog.date'),
    ('entries', 6, 'due_date', 'pg_catalog.date'),
    ('entries', 7, 'amount', 'pg_catalog.numeric'),
    ('entries', 8, 'open_amount', 'pg_catalog.numeric'),
    ('entries', 9, 'currency', 'pg_catalog.text'),
    ('entries', 10, 'in_dispute', 'pg_catalog.bool'),
    ('entries', 11, 'promised_on', 'pg_catalog.date'),
    ('entries', 12, 'settled_on', 'pg_catalog.date'),
    ('entries', 13, 'settled_by', 'pg_catalog.text')
) AS c (relation, position, column_name, data_type);
COMMENT ON VIEW dunning.ledger_contract IS
    'columns the planner reads from the customers and entries relations, with their types';

-------------------------------------------------------------------------------
-- Configuration.  Rows shipped at CREATE EXTENSION (settings, the Standard
-- profile, its scenarios and steps, the default templates) are dumped by
-- pg_dump like the admin's own.  On restore, CREATE EXTENSION makes them
-- again before the dumped rows arrive, so during a restore (see
-- dunning.restoring()) an INSERT whose key already exists replaces that row:
-- that is how a restore lands without duplicating a default.  Shipped rows
-- can be edited but not deleted, which keeps a restore faithful.
-------------------------------------------------------------------------------
CREATE TABLE dunning.settings (
    singleton                    boolean PRIMARY KEY DEFAULT true
        CONSTRAINT settings_is_one_row CHECK (singleton),
    grouping                     dunning.grouping_mode NOT NULL DEFAULT 'per_document',
    exclude_promised             boolean NOT NULL DEFAULT true,
    exclude_disputed             boolean NOT NULL DEFAULT false,
    skip_thanks_for_credit_notes boolean NOT NULL DEFAULT false,
    thanks_only_if_dunned        boolean NOT NULL DEFAULT true,
    min_balance                  numeric NOT NULL DEFAULT 0
        CONSTRAINT settings_min_balance_not_negative CHECK (min_balance OPERATOR(pg_catalog.>=) 0),
    min_entry_amount             numeric NOT NULL DEFAULT 0
        CONSTRAINT settings_min_entry_amount_not_negative CHECK (min_entry_amount OPERATOR(pg_catalog.>=) 0),
    timezone                     text NOT NULL DEFAULT 'UTC',
    -- claims of an outbox message before it is dead (dunning.claim counts them)
    max_attempts                 integer NOT NULL DEFAULT 5
        CONSTRAINT settings_max_attempts_in_range CHECK (max_attempts OPERATOR(pg_catalog.>=) 1
                                                         AND max_attempts OPERATOR(pg_catalog.<=) 100),
    -- the company block of letters ({{company_name}}, {{company_address}})
    company_name                 text NOT NULL DEFAULT '',
    company_address              text NOT NULL DEFAULT '',
    customer_source              regclass NOT NULL DEFAULT 'dunning.customer'::regclass,
    entry_source                 regclass NOT NULL DEFAULT 'dunning.entry'::regclass
);
COMMENT ON TABLE dunning.settings IS 'the one row of global dunning options';

CREATE SEQUENCE dunning.template_id_seq;
CREATE TABLE dunning.template (
    template_id bigint PRIMARY KEY DEFAULT pg_catalog.nextval('dunning.template_id_seq'::regclass),
    name        text NOT NULL,
    media       dunning.media NOT NULL,
    language    text NOT NULL DEFAULT 'fr',
    subject     text,
    body        text NOT NULL,
    builtin     boolean NOT NULL DEFAULT false,
    CONSTRAINT template_name_language_key UNIQUE (name, language)
);
COMMENT ON TABLE dunning.template IS
    'email and letter templates; a step names one, the customer''s language picks its sibling of the same name';

CREATE SEQUENCE dunning.profile_id_seq;
CREATE TABLE dunning.profile (
    profile_id bigint PRIMARY KEY DEFAULT pg_catalog.nextval('dunning.profile_id_seq'::regclass),
    name       text NOT NULL CONSTRAINT profile_name_key UNIQUE,
    priority   integer NOT NULL DEFAULT 100,
    criteria   jsonb
);
COMMENT ON TABLE dunning.profile IS
    'customer profiles (groups); criteria are data in a small jsonb language, never SQL';

-- scenario_id is derived from the profile (2p-1 with email, 2p without), so
-- a profile's scenarios get the same identifiers in every database and a
-- restore never has to renumber them.
CREATE TABLE dunning.scenario (
    profile_id  bigint NOT NULL REFERENCES dunning.profile ON DELETE CASCADE,
    audience    dunning.audience NOT NULL,
    scenario_id bigint PRIMARY KEY GENERATED ALWAYS AS
        (profile_id OPERATOR(pg_catalog.*) 2
         OPERATOR(pg_catalog.-) CASE audience WHEN 'with_email' THEN 1 ELSE 0 END) STORED,
    enabled     boolean NOT NULL DEFAULT false,
    infinite    boolean NOT NULL DEFAULT false,
    CONSTRAINT scenario_profile_audience_key UNIQUE (profile_id, audience)
);
COMMENT ON TABLE dunning.scenario IS
    'the two scenarios of each profile: one for customers with an email address, one without';

CREATE TABLE dunning.step (
    scenario_id bigint NOT NULL
        REFERENCES dunning.scenario ON DELETE CASCADE,
    step        dunning.step_name NOT NULL,
    enabled     boolean NOT NULL DEFAULT false,
    days        integer
        CONSTRAINT step_days_in_range CHECK (days OPERATOR(pg_catalog.>=) 0 AND days OPERATOR(pg_catalog.<=) 365),
    media       dunning.media,
    template_id bigint REFERENCES dunning.template,
    auto_send   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (scenario_id, step)
);
COMMENT ON TABLE dunning.step IS
    'the nine steps of each scenario (pre_due, R1..R7, thanks), switched on and off with enabled';

-------------------------------------------------------------------------------
-- Profile criteria: a jsonb object of field tests, all of which must hold.
--   {"language": "en",
--    "attributes.segment": {"in": ["key_account", "public"]},
--    "attributes.revenue": {">=": 100000, "<": 1000000}}
-- A test is a scalar (equality) or an object of operators =, <>, <, <=, >, >=
-- (a scalar) and in (a non-empty list).  Fields: customer_id, name, email,
-- language, collector (strings), stop_dunning, in_dispute (booleans) and
-- attributes.<key> (any scalar; ordering operators take numbers or strings).
-------------------------------------------------------------------------------
CREATE FUNCTION dunning.criteria_check(criteria jsonb) RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    field    text;
    test     jsonb;
    op       text;
    operand  jsonb;
    item     jsonb;
    wanted   text;     -- 'string', 'boolean' or 'scalar'
    accepted text[];   -- jsonb types an operand may have
BEGIN
    IF criteria IS NULL THEN
        RETURN;        -- a profile given only by the customers' profile column
    END IF;
    IF pg_catalog.jsonb_typeof(criteria) <> 'object' THEN
        RAISE EXCEPTION 'profile criteria must be a JSON object of field tests, got %', criteria
            USING ERRCODE = 'check_violation',
                  HINT = 'Example: {"language": "en", "attributes.segment": {"in": ["key_account"]}}.';
    END IF;
    IF criteria = '{}'::jsonb THEN
        RAISE EXCEPTION 'profile criteria {} test no field'
            USING ERRCODE = 'check_violation',
                  HINT = 'Use NULL for a profile given only through the customers'' profile column.';
    END IF;

    FOR field, test IN SELECT e.key, e.value FROM pg_catalog.jsonb_each(criteria) AS e LOOP
        wanted := CASE
            WHEN field = ANY (ARRAY['customer_id', 'name', 'email', 'language', 'collector']) THEN 'string'
            WHEN field = ANY (ARRAY['stop_dunning', 'in_dispute']) THEN 'boolean'
            WHEN field LIKE 'attributes.%' AND pg_catalog.length(field) > 11 THEN 'scalar'
        END;
        IF wanted IS NULL THEN
            RAISE EXCEPTION 'unknown field "%" in profile criteria', field
                USING ERRCODE = 'check_violation',
                      DETAIL = 'Fields are customer_id, name, email, language, collector, stop_dunning, in_dispute and attributes.<key>.';
        END IF;

        IF pg_catalog.jsonb_typeof(test) <> 'object' THEN
            test := pg_catalog.jsonb_build_object('=', test);   -- a bare scalar tests equality
        ELSIF test = '{}'::jsonb THEN
            RAISE EXCEPTION 'empty test {} for field "%" in profile criteria', field
                USING ERRCODE = 'check_violation';
        END IF;

        FOR op, operand IN SELECT e.key, e.value FROM pg_catalog.jsonb_each(test) AS e LOOP
            IF op NOT IN ('=', '<>', '<', '<=', '>', '>=', 'in') THEN
                RAISE EXCEPTION 'unknown operator "%" for field "%" in profile criteria', op, field
                    USING ERRCODE = 'check_violation',
                          DETAIL = 'Operators are =, <>, <, <=, >, >= and in.';
            END IF;
            accepted := CASE
                WHEN wanted = 'string' THEN ARRAY['string']
                WHEN wanted = 'boolean' AND op IN ('=', '<>', 'in') THEN ARRAY['boolean']
                WHEN wanted = 'boolean' THEN ARRAY[]::text[]
                WHEN op IN ('=', '<>', 'in') THEN ARRAY['string', 'number', 'boolean']
                ELSE ARRAY['string', 'number']
            END;
            IF op = 'in' THEN
                IF pg_catalog.jsonb_typeof(operand) <> 'array' OR pg_catalog.jsonb_array_length(operand) = 0 THEN
                    RAISE EXCEPTION 'operator "in" for field "%" needs a non-empty JSON array, got %', field, operand
                        USING ERRCODE = 'check_violation';
                END IF;
            ELSE
                operand := pg_catalog.jsonb_build_array(operand);
            END IF;
            FOR item IN SELECT e.value FROM pg_catalog.jsonb_array_elements(operand) AS e LOOP
                IF NOT pg_catalog.jsonb_typeof(item) = ANY (accepted) THEN
                    RAISE EXCEPTION 'value % cannot be used with operator "%" on field "%" in profile criteria', item, op, field
                        USING ERRCODE = 'check_violation',
                              DETAIL = CASE WHEN pg_catalog.cardinality(accepted) = 0
                                            THEN pg_catalog.format('Field "%s" is a boolean: test it with =, <> or in.', field)
                                            ELSE pg_catalog.format('Expected a JSON %s.', pg_catalog.array_to_string(accepted, ' or '))
                                       END;
                END IF;
            END LOOP;
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION dunning.criteria_check(jsonb) IS
    'raises an error naming the field, operator or value that makes profile criteria invalid';

-------------------------------------------------------------------------------
-- Ledger relations: dunning.attach() points the planner at the DBA's own
-- tables or views once every column of dunning.ledger_contract is there with
-- its type (text columns may be varchar).
-------------------------------------------------------------------------------
-- The planner, the outbox and the reports read the ledger relations inside
-- SECURITY DEFINER functions, with the privileges of the extension's owner
-- (a superuser).  Reading a table runs no code, but a view runs the
-- functions and operators it calls as that owner: every view it reads
-- (views over views included), and every function and operator they call,
-- must therefore be owned by a superuser, so that only a superuser can
-- change what runs.  Otherwise whoever owns one of them could run code as a
-- superuser by having the planner read the view.
CREATE FUNCTION dunning.check_ledger_trust(relation regclass, contract text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    culprit record;
BEGIN
    WITH RECURSIVE views (oid) AS (
        SELECT c.oid FROM pg_catalog.pg_class c WHERE c.oid = relation AND c.relkind = 'v'
        UNION
        SELECT d.refobjid
        FROM views v
        JOIN pg_catalog.pg_rewrite rw ON rw.ev_class = v.oid
        JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
                                   AND d.objid = rw.oid
                                   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
        JOIN pg_catalog.pg_class c ON c.oid = d.refobjid AND c.relkind = 'v'
        WHERE d.refobjid <> v.oid),
    code (what, owner) AS (
        SELECT pg_catalog.format('view %s', v.oid::pg_catalog.regclass), c.relowner
        FROM views v JOIN pg_catalog.pg_class c ON c.oid = v.oid
        UNION ALL
        SELECT pg_catalog.format('function %s', p.oid::pg_catalog.regprocedure), p.proowner
        FROM views v
        JOIN pg_catalog.pg_rewrite rw ON rw.ev_class = v.oid
        JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = rw.oid
                                   AND d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
        JOIN pg_catalog.pg_proc p ON p.oid = d.refobjid
        UNION ALL
        SELECT pg_catalog.format('operator %s', o.oid::pg_catalog.regoperator), owner_oid
        FROM views v
        JOIN pg_catalog.pg_rewrite rw ON rw.ev_class = v.oid
        JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = rw.oid
                                   AND d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass
        JOIN pg_catalog.pg_operator o ON o.oid = d.refobjid
        CROSS JOIN LATERAL (VALUES (o.oprowner),
                                   ((SELECT p.proowner FROM pg_catalog.pg_proc p WHERE p.oid = o.oprcode)))
                           AS owners (owner_oid))
    SELECT c.what, r.rolname INTO culprit
    FROM code c JOIN pg_catalog.pg_roles r ON r.oid = c.owner
    WHERE NOT r.rolsuper
    ORDER BY c.what
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '% relation % runs % owned by role %, which is not a superuser',
                contract, relation, culprit.what, pg_catalog.quote_ident(culprit.rolname)
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'dunning reads the ledger with its owner''s privileges (a superuser): what a ledger view runs must be changeable by superusers only.',
                  HINT = 'Have a superuser own the view and what it calls (ALTER ... OWNER TO), or attach a table.';
    END IF;
END
$$;
COMMENT ON FUNCTION dunning.check_ledger_trust(regclass, text) IS
    'raises an error when a ledger view, or a view, function or operator it uses, is owned by a role that is not a superuser';

CREATE FUNCTION dunning.check_ledger_relation(relation regclass, contract text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kind     "char";
    required record;
    actual   oid;
BEGIN
    IF contract IS NULL OR contract NOT IN ('customers', 'entries') THEN
        RAISE EXCEPTION 'contract must be customers or entries, got %', COALESCE(pg_catalog.quote_literal(contract), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF relation IS NULL THEN
        RAISE EXCEPTION 'the % relation must not be null', contract
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT c.relkind INTO kind FROM pg_catalog.pg_class c WHERE c.oid = relation;
    IF NOT FOUND THEN
        RAISE EXCEPTION '% relation with OID % does not exist', contract, relation::oid
            USING ERRCODE = 'undefined_table';
    END IF;
    IF kind NOT IN ('r', 'v', 'm', 'f', 'p') THEN
        RAISE EXCEPTION '% relation % is not a table or a view', contract, relation
            USING ERRCODE = 'wrong_object_type';
    END IF;
    PERFORM dunning.check_ledger_trust(relation, contract);

    FOR required IN
        SELECT l.column_name, l.data_type FROM dunning.ledger_contract l
        WHERE l.relation = contract ORDER BY l.position
    LOOP
        SELECT a.atttypid INTO actual FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = relation AND a.attname = required.column_name
          AND a.attnum > 0 AND NOT a.attisdropped;
        IF NOT FOUND THEN
            RAISE EXCEPTION '% relation % has no column "%"', contract, relation, required.column_name
                USING ERRCODE = 'undefined_column',
                      HINT = pg_catalog.format('Add it, or select an expression AS %I in a view.', required.column_name);
        END IF;
        IF actual <> required.data_type
           AND NOT (required.data_type = 'pg_catalog.text'::pg_catalog.regtype
                    AND actual = 'pg_catalog.varchar'::pg_catalog.regtype) THEN
            RAISE EXCEPTION 'column "%" of % relation % has type %, expected %',
                    required.column_name, contract, relation,
                    pg_catalog.format_type(actual, NULL), pg_catalog.format_type(required.data_type, NULL)
                USING ERRCODE = 'datatype_mismatch',
                      HINT = pg_catalog.format('Cast it in a view: %I::%s.', required.column_name,
                                               pg_catalog.format_type(required.data_type, NULL));
        END IF;
        IF NOT pg_catalog.has_column_privilege(relation, required.column_name, 'SELECT') THEN
            RAISE EXCEPTION 'permission denied: % cannot read column "%" of % relation %',
                    current_user, required.column_name, contract, relation
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION dunning.check_ledger_relation(regclass, text) IS
    'raises an error unless the relation offers every column of the named contract (customers or entries)';

CREATE FUNCTION dunning.attach(customers regclass, entries regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Checked here even when the relations are the ones already attached
    -- (the settings trigger checks only a change): they may have changed.
    PERFORM dunning.check_ledger_relation(customers, 'customers');
    PERFORM dunning.check_ledger_relation(entries, 'entries');
    UPDATE dunning.settings SET customer_source = customers, entry_source = entries;
END
$$;
COMMENT ON FUNCTION dunning.attach(regclass, regclass) IS
    'points the planner at the DBA''s own customers and entries relations, after checking their columns';

CREATE FUNCTION dunning.detach() RETURNS void
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    UPDATE dunning.settings
       SET customer_source = 'dunning.customer'::regclass, entry_source = 'dunning.entry'::regclass;
END;
COMMENT ON FUNCTION dunning.detach() IS
    'points the planner back at the default tables dunning.customer and dunning.entry';

-- An attached relation cannot be dropped while attached: regclass records no
-- dependency, and a dangling OID would break the next run and a restore.
-- SECURITY DEFINER because it fires on every DROP in the database, whoever
-- issues it, and reads dunning.settings.
CREATE FUNCTION dunning.protect_attached_relations() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dropped record;
BEGIN
    IF pg_catalog.to_regclass('dunning.settings') IS NULL THEN
        RETURN;   -- the extension itself is being dropped
    END IF;
    FOR dropped IN
        SELECT o.object_identity
        FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
        WHERE o.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND o.objsubid = 0
          AND o.objid IN (SELECT s.customer_source FROM dunning.settings s
                          UNION ALL SELECT s.entry_source FROM dunning.settings s)
    LOOP
        RAISE EXCEPTION 'cannot drop % because dunning reads it as a ledger relation', dropped.object_identity
            USING ERRCODE = 'dependent_objects_still_exist',
                  HINT = 'Run SELECT dunning.detach(), or attach other relations, first.';
    END LOOP;
END
$$;
CREATE EVENT TRIGGER dunning_protect_attached_relations ON sql_drop
    EXECUTE FUNCTION dunning.protect_attached_relations();

-- pg_dump's scripts and pg_restore run with check_function_bodies = off (the
-- server's own "this is a restore, skip validation" switch).  Under it, the
-- guards let an INSERT whose key exists replace the row (CREATE EXTENSION
-- already made the defaults) and leave the one rule that depends on load order
-- (an enabled scenario keeps an enabled step) to the rows that follow.
CREATE FUNCTION dunning.restoring() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.current_setting('check_function_bodies') = 'off';
COMMENT ON FUNCTION dunning.restoring() IS
    'true while check_function_bodies is off, as during a pg_dump restore';

-------------------------------------------------------------------------------
-- Guards: one trigger function per configuration table, raising errors that
-- name the field and the value.  SQLSTATE 23514 (check_violation) for a value
-- a rule refuses, 23001 (restrict_violation) for a row that cannot go.
-------------------------------------------------------------------------------
CREATE FUNCTION dunning.settings_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'dunning.settings holds exactly one row: update it instead of deleting it'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'INSERT' AND EXISTS (SELECT FROM dunning.settings) THEN
        IF NOT dunning.restoring() OR NOT NEW.singleton THEN
            RAISE EXCEPTION 'dunning.settings holds exactly one row: update it instead of inserting another'
                USING ERRCODE = 'unique_violation';
        END IF;
        -- A restore after CREATE EXTENSION made the row: replace it.
        UPDATE dunning.settings
           SET grouping = NEW.grouping, exclude_promised = NEW.exclude_promised,
               exclude_disputed = NEW.exclude_disputed,
               skip_thanks_for_credit_notes = NEW.skip_thanks_for_credit_notes,
               thanks_only_if_dunned = NEW.thanks_only_if_dunned,
               min_balance = NEW.min_balance, min_entry_amount = NEW.min_entry_amount,
               timezone = NEW.timezone, max_attempts = NEW.max_attempts,
               company_name = NEW.company_name, company_address = NEW.company_address,
               customer_source = NEW.customer_source,
               entry_source = NEW.entry_source;
        RETURN NULL;
    END IF;

    IF NEW.min_balance < 0 THEN
        RAISE EXCEPTION 'min_balance must be zero or more, got %', NEW.min_balance
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.min_entry_amount < 0 THEN
        RAISE EXCEPTION 'min_entry_amount must be zero or more, got %', NEW.min_entry_amount
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.max_attempts < 1 OR NEW.max_attempts > 100 THEN
        RAISE EXCEPTION 'max_attempts must be between 1 and 100, got %', NEW.max_attempts
            USING ERRCODE = 'check_violation';
    END IF;
    -- Seed 003: account-statement grouping only before dunning has started.
    -- (dunning.action is created after the settings row: test it only on UPDATE.)
    IF TG_OP = 'UPDATE' AND NEW.grouping = 'account_statement' AND OLD.grouping <> 'account_statement'
       AND NOT dunning.restoring() THEN
        IF EXISTS (SELECT FROM dunning.action a WHERE a.executed_on IS NOT NULL) THEN
            RAISE EXCEPTION 'grouping cannot switch to account_statement: reminders have already been executed'
                USING ERRCODE = 'check_violation',
                      DETAIL = 'Entries dunned one document at a time would jump to the highest level of their customer.';
        END IF;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.timezone IS DISTINCT FROM OLD.timezone THEN
        BEGIN
            PERFORM pg_catalog.timezone(NEW.timezone, pg_catalog.now());
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE EXCEPTION 'unknown time zone "%" for timezone', NEW.timezone
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Use a name of pg_catalog.pg_timezone_names, such as Europe/Paris.';
        END;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.customer_source IS DISTINCT FROM OLD.customer_source THEN
        PERFORM dunning.check_ledger_relation(NEW.customer_source, 'customers');
    END IF;
    IF TG_OP = 'INSERT' OR NEW.entry_source IS DISTINCT FROM OLD.entry_source THEN
        PERFORM dunning.check_ledger_relation(NEW.entry_source, 'entries');
    END IF;
    RETURN NEW;
END
$$;

-- TRUNCATE skips row triggers: refuse it on the configuration tables, whose
-- shipped rows (settings, Standard, its scenarios and steps, the default
-- templates) must stay.
CREATE FUNCTION dunning.refuse_truncate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'dunning.% cannot be truncated: it holds rows that ship with the extension', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;

-- Templates (src/render.c): the placeholders a subject or body uses, after
-- checking them (unknown placeholder, unbalanced section: an error naming
-- it and the template); and a message rendered from its context.
CREATE FUNCTION dunning.template_placeholders(template text, what text, subject boolean) RETURNS text[]
    AS 'MODULE_PATHNAME', 'dunning_template_placeholders'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dunning.template_placeholders(text, text, boolean) IS
    'the placeholders a template uses ("#entries" for a section), after checking every one; what names the template in errors';
CREATE FUNCTION dunning.render(template text, context jsonb, language text, html boolean) RETURNS text
    AS 'MODULE_PATHNAME', 'dunning_render'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dunning.render(text, jsonb, text, boolean) IS
    'a template rendered from a message context, amounts and dates formatted for the language, values HTML-escaped when html';

CREATE FUNCTION dunning.template_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    used text[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.builtin THEN
            RAISE EXCEPTION 'template % ("%", %) ships with the extension and cannot be deleted',
                    OLD.template_id, OLD.name, OLD.language
                USING ERRCODE = 'restrict_violation',
                      HINT = 'Edit it, or point the steps at another template and leave it unused.';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' AND dunning.restoring()
       AND EXISTS (SELECT FROM dunning.template t WHERE t.template_id = NEW.template_id) THEN
        UPDATE dunning.template
           SET name = NEW.name, media = NEW.media, language = NEW.language,
               subject = NEW.subject, body = NEW.body
         WHERE template_id = NEW.template_id;
        RETURN NULL;
    END IF;

    IF TG_OP = 'INSERT' AND NEW.builtin THEN
        RAISE EXCEPTION 'builtin is true only for the templates that ship with the extension'
            USING ERRCODE = 'check_violation';
    ELSIF TG_OP = 'UPDATE' AND NEW.builtin <> OLD.builtin THEN
        RAISE EXCEPTION 'builtin of template % cannot change', OLD.template_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.media NOT IN ('email', 'letter') THEN
        RAISE EXCEPTION 'media of template "%" must be email or letter, got %', NEW.name, NEW.media
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.name !~ '\S' THEN
        RAISE EXCEPTION 'name of a template must not be blank'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.language !~ '^[a-z]{2}$' THEN
        RAISE EXCEPTION 'language of template "%" must be a two-letter ISO 639-1 code such as fr or en, got "%"',
                NEW.name, NEW.language
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.media = 'email' AND COALESCE(NEW.subject, '') !~ '\S' THEN
        RAISE EXCEPTION 'subject of email template "%" (%) must not be empty', NEW.name, NEW.language
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.body !~ '\S' THEN
        RAISE EXCEPTION 'body of template "%" (%) must not be empty', NEW.name, NEW.language
            USING ERRCODE = 'check_violation';
    END IF;
    -- Every placeholder known, sections balanced; then the required blocks.
    PERFORM dunning.template_placeholders(COALESCE(NEW.subject, ''),
                                          pg_catalog.format('the subject of template "%s" (%s)', NEW.name, NEW.language),
                                          true);
    used := dunning.template_placeholders(NEW.body,
                                          pg_catalog.format('the body of template "%s" (%s)', NEW.name, NEW.language),
                                          false);
    IF NOT '#entries' = ANY (used) THEN
        RAISE EXCEPTION 'the body of template "%" (%) has no {{#entries}} section', NEW.name, NEW.language
            USING ERRCODE = 'check_violation',
                  HINT = 'A message lists the entries it is about: {{#entries}}{{document_number}} {{open_amount}}{{/entries}}.';
    END IF;
    IF NEW.media = 'letter' AND NOT (used @> ARRAY['company_name', 'customer_name', 'customer_address']) THEN
        RAISE EXCEPTION 'the body of letter template "%" (%) lacks the address blocks: it must use {{company_name}}, {{customer_name}} and {{customer_address}}',
                NEW.name, NEW.language
            USING ERRCODE = 'check_violation',
                  HINT = 'A letter goes in a window envelope: the sender''s block and the customer''s name and address.';
    END IF;
    IF EXISTS (SELECT FROM dunning.template t
               WHERE t.name = NEW.name AND t.template_id <> NEW.template_id AND t.media <> NEW.media) THEN
        RAISE EXCEPTION 'media of template "%" must be the same in every language, got % for %',
                NEW.name, NEW.media, NEW.language
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.media <> OLD.media
       AND EXISTS (SELECT FROM dunning.step s WHERE s.template_id = NEW.template_id) THEN
        RAISE EXCEPTION 'media of template % cannot change to %: steps of media % use it',
                NEW.template_id, NEW.media, OLD.media
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION dunning.profile_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.name = 'Standard' THEN
            RAISE EXCEPTION 'profile Standard cannot be deleted: it is the profile of every customer no other profile takes'
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' AND dunning.restoring()
       AND EXISTS (SELECT FROM dunning.profile p WHERE p.profile_id = NEW.profile_id) THEN
        UPDATE dunning.profile
           SET name = NEW.name, priority = NEW.priority, criteria = NEW.criteria
         WHERE profile_id = NEW.profile_id;
        RETURN NULL;
    END IF;

    IF TG_OP = 'UPDATE' AND OLD.name = 'Standard' AND NEW.name <> 'Standard' THEN
        RAISE EXCEPTION 'profile Standard cannot be renamed to "%"', NEW.name
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.name !~ '\S' THEN
        RAISE EXCEPTION 'name of a profile must not be blank'
            USING ERRCODE = 'check_violation';
    END IF;
    PERFORM dunning.criteria_check(NEW.criteria);
    RETURN NEW;
END
$$;

-- A profile is born with its two scenarios (seed 004), disabled until the
-- admin enables steps; dunning.create_profile() copies another profile's.
CREATE FUNCTION dunning.profile_create_scenarios() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO dunning.scenario (profile_id, audience)
    VALUES (NEW.profile_id, 'with_email'), (NEW.profile_id, 'without_email');
    RETURN NULL;
END
$$;

CREATE FUNCTION dunning.scenario_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT FROM dunning.profile p WHERE p.profile_id = OLD.profile_id) THEN
            RAISE EXCEPTION 'scenario % (%) cannot be deleted: every profile has exactly two scenarios',
                    OLD.scenario_id, OLD.audience
                USING ERRCODE = 'restrict_violation',
                      HINT = 'Set enabled = false, or delete the profile.';
        END IF;
        RETURN OLD;
    END IF;

    IF TG_OP = 'INSERT' THEN
        IF dunning.restoring() AND EXISTS (SELECT FROM dunning.scenario s
                                           WHERE s.profile_id = NEW.profile_id AND s.audience = NEW.audience) THEN
            -- The restored profile made it: take the dumped options.
            UPDATE dunning.scenario SET enabled = NEW.enabled, infinite = NEW.infinite
             WHERE profile_id = NEW.profile_id AND audience = NEW.audience;
            RETURN NULL;
        END IF;
        -- Only profile_create_scenarios() inserts scenarios.
        IF pg_catalog.pg_trigger_depth() < 2 THEN
            RAISE EXCEPTION 'cannot insert a % scenario for profile %: scenarios are created with their profile',
                    NEW.audience, NEW.profile_id
                USING ERRCODE = 'check_violation',
                      HINT = 'Insert the profile (or call dunning.create_profile), then update its two scenarios.';
        END IF;
        RETURN NEW;
    END IF;

    IF NEW.profile_id <> OLD.profile_id OR NEW.audience <> OLD.audience THEN
        RAISE EXCEPTION 'profile_id and audience of scenario % cannot change', OLD.scenario_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.enabled AND NOT OLD.enabled AND NOT dunning.restoring()
       AND NOT EXISTS (SELECT FROM dunning.step s WHERE s.scenario_id = OLD.scenario_id AND s.enabled) THEN
        RAISE EXCEPTION 'scenario % (%) cannot be enabled without an enabled step', OLD.scenario_id, OLD.audience
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

-- A scenario is born with its nine steps, all disabled (seed 002: up to nine
-- steps, switched on and off).
CREATE FUNCTION dunning.scenario_create_steps() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO dunning.step (scenario_id, step)
    SELECT NEW.scenario_id, s.step
    FROM pg_catalog.unnest(pg_catalog.enum_range(NULL::dunning.step_name)) AS s (step);
    RETURN NULL;
END
$$;

CREATE FUNCTION dunning.step_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    scenario_audience dunning.audience;
    template_media    dunning.media;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT FROM dunning.scenario s WHERE s.scenario_id = OLD.scenario_id) THEN
            RAISE EXCEPTION 'step % of scenario % cannot be deleted: every scenario has its nine steps',
                    OLD.step, OLD.scenario_id
                USING ERRCODE = 'restrict_violation',
                      HINT = 'Set enabled = false.';
        END IF;
        RETURN OLD;
    END IF;

    IF TG_OP = 'INSERT' THEN
        IF dunning.restoring()
           AND EXISTS (SELECT FROM dunning.step s WHERE s.scenario_id = NEW.scenario_id AND s.step = NEW.step) THEN
            UPDATE dunning.step
               SET enabled = NEW.enabled, days = NEW.days, media = NEW.media,
                   template_id = NEW.template_id, auto_send = NEW.auto_send
             WHERE scenario_id = NEW.scenario_id AND step = NEW.step;
            RETURN NULL;
        END IF;
        -- Only scenario_create_steps() inserts steps.
        IF pg_catalog.pg_trigger_depth() < 2 THEN
            RAISE EXCEPTION 'cannot insert step % of scenario %: steps are created with their scenario',
                    NEW.step, NEW.scenario_id
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NEW.step <> OLD.step OR NEW.scenario_id <> OLD.scenario_id THEN
        RAISE EXCEPTION 'scenario_id and step of step % of scenario % cannot change', OLD.step, OLD.scenario_id
            USING ERRCODE = 'check_violation';
    END IF;

    IF NEW.days < 0 OR NEW.days > 365 THEN
        RAISE EXCEPTION 'days of step % must be between 0 and 365, got %', NEW.step, NEW.days
            USING ERRCODE = 'check_violation';
    END IF;
    -- P is offered only while the due date is ahead (seed 004: "X jours
    -- avant la date d'échéance"): zero days would fall due on the due date
    -- itself, when it is no longer ahead, and never fire.
    IF NEW.step = 'pre_due' AND NEW.days = 0 THEN
        RAISE EXCEPTION 'days of step pre_due must be at least 1 (a pre-due reminder comes before the due date), got 0'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.enabled AND NEW.days IS NULL THEN
        RAISE EXCEPTION 'step % of scenario % is enabled and needs days', NEW.step, NEW.scenario_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.enabled AND NEW.media IS NULL THEN
        RAISE EXCEPTION 'step % of scenario % is enabled and needs a media', NEW.step, NEW.scenario_id
            USING ERRCODE = 'check_violation';
    END IF;

    SELECT s.audience INTO scenario_audience FROM dunning.scenario s WHERE s.scenario_id = NEW.scenario_id;
    IF NEW.media = 'email' AND scenario_audience = 'without_email' THEN
        RAISE EXCEPTION 'media of step % of scenario % cannot be email: the scenario is for customers without email',
                NEW.step, NEW.scenario_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.enabled AND NEW.media IN ('email', 'letter') AND NEW.template_id IS NULL THEN
        RAISE EXCEPTION 'step % of scenario % sends by % and needs a template_id', NEW.step, NEW.scenario_id, NEW.media
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.template_id IS NOT NULL THEN
        SELECT t.media INTO template_media FROM dunning.template t WHERE t.template_id = NEW.template_id;
        IF FOUND AND template_media IS DISTINCT FROM NEW.media THEN
            RAISE EXCEPTION 'template_id % of step % has media %, but the step''s media is %',
                    NEW.template_id, NEW.step, template_media, COALESCE(NEW.media::text, 'not set')
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$;

-- An enabled scenario keeps at least one enabled step (seed 002).  Checked
-- after a step is switched off; the scenario row is updated first, so two
-- transactions switching off its last two steps, or one enabling the scenario
-- while another switches off its last step, serialize on it.
CREATE FUNCTION dunning.step_keep_one_enabled() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    scenario_enabled boolean;
BEGIN
    IF dunning.restoring() THEN
        RETURN NULL;   -- the scenario's other steps may not be loaded yet
    END IF;
    UPDATE dunning.scenario s SET enabled = s.enabled
     WHERE s.scenario_id = OLD.scenario_id
    RETURNING s.enabled INTO scenario_enabled;
    IF scenario_enabled
       AND NOT EXISTS (SELECT FROM dunning.step s WHERE s.scenario_id = OLD.scenario_id AND s.enabled) THEN
        RAISE EXCEPTION 'switching off step % would leave scenario %, which is enabled, without an enabled step',
                OLD.step, OLD.scenario_id
            USING ERRCODE = 'check_violation',
                  HINT = 'Enable another step first, or disable the scenario.';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER settings_guard BEFORE INSERT OR UPDATE OR DELETE ON dunning.settings
    FOR EACH ROW EXECUTE FUNCTION dunning.settings_guard();
CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON dunning.settings
    FOR EACH STATEMENT EXECUTE FUNCTION dunning.refuse_truncate();
CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON dunning.profile
    FOR EACH STATEMENT EXECUTE FUNCTION dunning.refuse_truncate();
CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON dunning.scenario
    FOR EACH STATEMENT EXECUTE FUNCTION dunning.refuse_truncate();
CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON dunning.step
    FOR EACH STATEMENT EXECUTE FUNCTION dunning.refuse_truncate();
CREATE TRIGGER profile_guard BEFORE INSERT OR UPDATE OR DELETE ON dunning.profile
    FOR EACH ROW EXECUTE FUNCTION dunning.profile_guard();
CREATE TRIGGER profile_create_scenarios AFTER INSERT ON dunning.profile
    FOR EACH ROW EXECUTE FUNCTION dunning.profile_create_scenarios();
CREATE TRIGGER scenario_guard BEFORE INSERT OR UPDATE OR DELETE ON dunning.scenario
    FOR EACH ROW EXECUTE FUNCTION dunning.scenario_guard();
CREATE TRIGGER scenario_create_steps AFTER INSERT ON dunning.scenario
    FOR EACH ROW EXECUTE FUNCTION dunning.scenario_create_steps();
CREATE TRIGGER step_guard BEFORE INSERT OR UPDATE OR DELETE ON dunning.step
    FOR EACH ROW EXECUTE FUNCTION dunning.step_guard();
CREATE TRIGGER step_keep_one_enabled AFTER UPDATE OF enabled ON dunning.step
    FOR EACH ROW WHEN (OLD.enabled AND NOT NEW.enabled)
    EXECUTE FUNCTION dunning.step_keep_one_enabled();

-------------------------------------------------------------------------------
-- A profile with another profile's scenarios and steps (seed 004: "use the
-- existing templates").
-------------------------------------------------------------------------------
CREATE FUNCTION dunning.create_profile(name text, priority integer DEFAULT 100,
                                       criteria jsonb DEFAULT NULL,
                                       copy_from text DEFAULT 'Standard')
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id bigint;
    source_id bigint;
BEGIN
    IF copy_from IS NOT NULL THEN
        SELECT p.profile_id INTO source_id FROM dunning.profile p WHERE p.name = copy_from;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'copy_from names no profile: "%"', copy_from
                USING ERRCODE = 'no_data_found';
        END IF;
    END IF;

    INSERT INTO dunning.profile (name, priority, criteria)
    VALUES (create_profile.name, create_profile.priority, create_profile.criteria)
    RETURNING profile_id INTO new_id;

    IF source_id IS NOT NULL THEN
        UPDATE dunning.step t
           SET enabled = s.enabled, days = s.days, media = s.media,
               template_id = s.template_id, auto_send = s.auto_send
          FROM dunning.step s
          JOIN dunning.scenario ss ON ss.scenario_id = s.scenario_id AND ss.profile_id = source_id
          JOIN dunning.scenario ts ON ts.profile_id = new_id AND ts.audience = ss.audience
         WHERE t.scenario_id = ts.scenario_id AND t.step = s.step;
        UPDATE dunning.scenario t
           SET enabled = s.enabled, infinite = s.infinite
          FROM dunning.scenario s
         WHERE s.profile_id = source_id AND t.profile_id = new_id AND t.audience = s.audience;
    END IF;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION dunning.create_profile(text, integer, jsonb, text) IS
    'creates a profile whose two scenarios copy the steps of profile copy_from (NULL: disabled, empty steps)';

-------------------------------------------------------------------------------
-- What the admin and collectors read: the configuration, one row per step.
-------------------------------------------------------------------------------
CREATE VIEW dunning.scenario_overview AS
SELECT p.name AS profile,
       p.priority,
       sc.audience,
       sc.enabled AS scenario_enabled,
       sc.infinite,
       st.step,
       st.enabled,
       st.days,
       CASE st.step
           WHEN 'pre_due' THEN 'before due date'
           WHEN 'R1' THEN 'after due date'
           WHEN 'thanks' THEN 'after settlement'
           ELSE 'after previous reminder'
       END AS counted_from,
       st.media,
       t.name AS template,
       st.auto_send,
       sc.scenario_id,
       p.profile_id
FROM dunning.profile p
JOIN dunning.scenario sc ON sc.profile_id = p.profile_id
JOIN dunning.step st ON st.scenario_id = sc.scenario_id
LEFT JOIN dunning.template t ON t.template_id = st.template_id;
COMMENT ON VIEW dunning.scenario_overview IS
    'every step of every scenario with its profile, offset and template, for review';

-- Each scenario's steps packed for the rule functions.
CREATE VIEW dunning.scenario_steps AS
SELECT sc.scenario_id,
       sc.profile_id,
       sc.audience,
       sc.enabled,
       pg_catalog.concat_ws(',',
           pg_catalog.string_agg(st.step::text OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) st.days::text, ','
                                 ORDER BY st.step) FILTER (WHERE st.enabled),
           CASE WHEN sc.infinite THEN 'infinite' END)::dunning.steps AS steps
FROM dunning.scenario sc
JOIN dunning.step st ON st.scenario_id = sc.scenario_id
GROUP BY sc.scenario_id;
COMMENT ON VIEW dunning.scenario_steps IS
    'each scenario''s enabled steps packed as dunning.steps, for dunning.next_level() and dunning.next_due_on()';

-------------------------------------------------------------------------------
-- Defaults (seed 001: templates, scenarios and a Standard profile at install).
-- Templates go in before their guard trigger exists: builtin is true only for
-- these rows.
-------------------------------------------------------------------------------
INSERT INTO dunning.settings DEFAULT VALUES;

INSERT INTO dunning.template (name, media, language, subject, body, builtin) VALUES
('pre_due', 'email', 'fr',
 'Rappel : échéance prochaine de vos factures',
 E'Bonjour,\n\nPour faciliter votre organisation, nous vous rappelons que les factures suivantes arriveront prochainement à échéance :\n\n{{#entries}}- facture {{document_number}} du {{document_date}}, échéance le {{due_date}} : {{open_amount}}\n{{/entries}}\nTotal : {{totals}}\n\nSi votre règlement est déjà programmé, merci de ne pas tenir compte de ce message.\n\nCordialement,\nLe service comptabilité\n{{company_name}}', true),
('pre_due', 'email', 'en',
 'Reminder: invoices falling due soon',
 E'Hello,\n\nTo help you plan ahead, this is a courtesy reminder that the following invoices fall due soon:\n\n{{#entries}}- invoice {{document_number}} of {{document_date}}, due on {{due_date}}: {{open_amount}}\n{{/entries}}\nTotal: {{totals}}\n\nIf your payment is already scheduled, please disregard this message.\n\nKind regards,\nAccounts receivable\n{{company_name}}', true),
('reminder', 'email', 'fr',
 'Relance : factures échues au {{as_of}}',
 E'Bonjour,\n\nSauf erreur de notre part, les factures suivantes restent impayées à ce jour :\n\n{{#entries}}- facture {{document_number}} du {{document_date}}, échue le {{due_date}} ({{days_overdue}} jours de retard) : {{open_amount}}{{dispute}}\n{{/entries}}\nTotal dû : {{totals}}\n\nNous vous remercions de bien vouloir procéder à leur règlement dans les meilleurs délais. Si votre paiement a croisé ce message, merci de ne pas en tenir compte.\n\nCordialement,\nLe service comptabilité\n{{company_name}}', true),
('reminder', 'email', 'en',
 'Reminder: invoices overdue on {{as_of}}',
 E'Hello,\n\nAccording to our records, the following invoices remain unpaid:\n\n{{#entries}}- invoice {{document_number}} of {{document_date}}, due on {{due_date}} ({{days_overdue}} days overdue): {{open_amount}}{{dispute}}\n{{/entries}}\nAmount due: {{totals}}\n\nWe would be grateful if you could settle them at your earliest convenience. If your payment has crossed this message, please disregard it.\n\nKind regards,\nAccounts receivable\n{{company_name}}', true),
('second_reminder', 'email', 'fr',
 'Deuxième relance : factures impayées',
 E'Bonjour,\n\nMalgré notre précédent rappel, nous n''avons pas reçu le règlement des factures suivantes :\n\n{{#entries}}- facture {{document_number}} du {{document_date}}, échue le {{due_date}} ({{days_overdue}} jours de retard) : {{open_amount}}{{dispute}}\n{{/entries}}\nTotal dû : {{totals}}\n\nNous vous demandons de régulariser cette situation sous huit jours. À défaut, nous serons contraints de vous adresser une mise en demeure.\n\nSi un différend vous empêche de régler, contactez-nous sans attendre afin que nous puissions le résoudre.\n\nCordialement,\nLe service comptabilité\n{{company_name}}', true),
('second_reminder', 'email', 'en',
 'Second reminder: unpaid invoices',
 E'Hello,\n\nDespite our previous reminder, we have not received payment of the following invoices:\n\n{{#entries}}- invoice {{document_number}} of {{document_date}}, due on {{due_date}} ({{days_overdue}} days overdue): {{open_amount}}{{dispute}}\n{{/entries}}\nAmount due: {{totals}}\n\nPlease settle this amount within eight days. Otherwise we will have to send you a formal notice.\n\nIf a disagreement prevents you from paying, please contact us at once so that we can resolve it.\n\nKind regards,\nAccounts receivable\n{{company_name}}', true),
('reminder_letter', 'letter', 'fr',
 'Relance {{level}} : factures échues',
 E'<div class="sender"><strong>{{company_name}}</strong><br>{{company_address}}</div>\n<div class="recipient"><strong>{{customer_name}}</strong><br>{{customer_address}}</div>\n<p class="date">Le {{executed_on}}</p>\n<p class="subject">Objet : relance de factures échues<br>Réf. client : {{customer_id}}</p>\n<p>Madame, Monsieur,</p>\n<p>Sauf erreur de notre part, les factures suivantes restent impayées à ce jour :</p>\n<table class="entries">\n<thead><tr><th>Facture</th><th>Date</th><th>Échéance</th><th>Jours de retard</th><th>Montant</th><th>Reste dû</th></tr></thead>\n<tbody>\n{{#entries}}<tr><td>{{document_number}}{{dispute}}</td><td>{{document_date}}</td><td>{{due_date}}</td><td class="num">{{days_overdue}}</td><td class="num">{{amount}}</td><td class="num">{{open_amount}}</td></tr>\n{{/entries}}</tbody>\n<tfoot>{{#totals}}<tr><th colspan="5">Total dû ({{currency}})</th><td class="num">{{total}}</td></tr>{{/totals}}</tfoot>\n</table>\n<p>Nous vous prions de bien vouloir procéder à leur règlement dans les meilleurs délais. Si votre paiement a croisé ce courrier, merci de ne pas en tenir compte.</p>\n<p>Veuillez agréer, Madame, Monsieur, l''expression de nos salutations distinguées.</p>\n<p class="signature">Le service comptabilité<br>{{company_name}}</p>', true),
('reminder_letter', 'letter', 'en',
 'Reminder {{level}}: overdue invoices',
 E'<div class="sender"><strong>{{company_name}}</strong><br>{{company_address}}</div>\n<div class="recipient"><strong>{{customer_name}}</strong><br>{{customer_address}}</div>\n<p class="date">{{executed_on}}</p>\n<p class="subject">Re: overdue invoices<br>Customer reference: {{customer_id}}</p>\n<p>Dear Sir or Madam,</p>\n<p>According to our records, the following invoices remain unpaid:</p>\n<table class="entries">\n<thead><tr><th>Invoice</th><th>Date</th><th>Due date</th><th>Days overdue</th><th>Amount</th><th>Outstanding</th></tr></thead>\n<tbody>\n{{#entries}}<tr><td>{{document_number}}{{dispute}}</td><td>{{document_date}}</td><td>{{due_date}}</td><td class="num">{{days_overdue}}</td><td class="num">{{amount}}</td><td class="num">{{open_amount}}</td></tr>\n{{/entries}}</tbody>\n<tfoot>{{#totals}}<tr><th colspan="5">Total due ({{currency}})</th><td class="num">{{total}}</td></tr>{{/totals}}</tfoot>\n</table>\n<p>Please settle them at your earliest convenience. If your payment has crossed this letter, please disregard it.</p>\n<p>Yours faithfully,</p>\n<p class="signature">Accounts receivable<br>{{company_name}}</p>', true),
('formal_notice', 'letter', 'fr',
 'Mise en demeure de payer',
 E'<div class="sender"><strong>{{company_name}}</strong><br>{{company_address}}</div>\n<div class="recipient"><strong>{{customer_name}}</strong><br>{{customer_address}}</div>\n<p class="date">Le {{executed_on}}</p>\n<p class="subject">Objet : mise en demeure de payer<br>Réf. client : {{customer_id}}</p>\n<p>Madame, Monsieur,</p>\n<p>Malgré nos précédentes relances, les factures suivantes restent impayées :</p>\n<table class="entries">\n<thead><tr><th>Facture</th><th>Date</th><th>Échéance</th><th>Jours de retard</th><th>Montant</th><th>Reste dû</th></tr></thead>\n<tbody>\n{{#entries}}<tr><td>{{document_number}}{{dispute}}</td><td>{{document_date}}</td><td>{{due_date}}</td><td class="num">{{days_overdue}}</td><td class="num">{{amount}}</td><td class="num">{{open_amount}}</td></tr>\n{{/entries}}</tbody>\n<tfoot>{{#totals}}<tr><th colspan="5">Total dû ({{currency}})</th><td class="num">{{total}}</td></tr>{{/totals}}</tfoot>\n</table>\n<p>Par la présente, nous vous mettons en demeure de nous régler la somme due sous huit jours à compter de la réception de ce courrier.</p>\n<p>À défaut de règlement dans ce délai, nous engagerons une procédure de recouvrement, sans autre avis, et les pénalités de retard prévues à nos conditions générales de vente seront exigibles.</p>\n<p>Veuillez agréer, Madame, Monsieur, l''expression de nos salutations distinguées.</p>\n<p class="signature">Le service comptabilité<br>{{company_name}}</p>', true),
('formal_notice', 'letter', 'en',
 'Formal notice to pay',
 E'<div class="sender"><strong>{{company_name}}</strong><br>{{company_address}}</div>\n<div class="recipient"><strong>{{customer_name}}</strong><br>{{customer_address}}</div>\n<p class="date">{{executed_on}}</p>\n<p class="subject">Re: formal notice to pay<br>Customer reference: {{customer_id}}</p>\n<p>Dear Sir or Madam,</p>\n<p>Despite our previous reminders, the following invoices remain unpaid:</p>\n<table class="entries">\n<thead><tr><th>Invoice</th><th>Date</th><th>Due date</th><th>Days overdue</th><th>Amount</th><th>Outstanding</th></tr></thead>\n<tbody>\n{{#entries}}<tr><td>{{document_number}}{{dispute}}</td><td>{{document_date}}</td><td>{{due_date}}</td><td class="num">{{days_overdue}}</td><td class="num">{{amount}}</td><td class="num">{{open_amount}}</td></tr>\n{{/entries}}</tbody>\n<tfoot>{{#totals}}<tr><th colspan="5">Total due ({{currency}})</th><td class="num">{{total}}</td></tr>{{/totals}}</tfoot>\n</table>\n<p>We hereby give you formal notice to pay the amount due within eight days of receipt of this letter.</p>\n<p>Failing payment within that time, we will start collection proceedings without further notice, and the late payment charges set out in our terms of sale will be due.</p>\n<p>Yours faithfully,</p>\n<p class="signature">Accounts receivable<br>{{company_name}}</p>', true),
('thanks', 'email', 'fr',
 'Merci pour votre règlement',
 E'Bonjour,\n\nNous avons bien reçu le règlement des factures suivantes et vous en remercions :\n\n{{#entries}}- facture {{document_number}} du {{document_date}} : {{amount}}\n{{/entries}}\nNous restons à votre disposition pour toute question.\n\nCordialement,\nLe service comptabilité\n{{company_name}}', true),
('thanks', 'email', 'en',
 'Thank you for your payment',
 E'Hello,\n\nWe have received your payment of the following invoices, thank you:\n\n{{#entries}}- invoice {{document_number}} of {{document_date}}: {{amount}}\n{{/entries}}\nPlease do not hesitate to contact us with any question.\n\nKind regards,\nAccounts receivable\n{{company_name}}', true);

CREATE TRIGGER template_guard BEFORE INSERT OR UPDATE OR DELETE ON dunning.template
    FOR EACH ROW EXECUTE FUNCTION dunning.template_guard();
CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON dunning.template
    FOR EACH STATEMENT EXECUTE FUNCTION dunning.refuse_truncate();

INSERT INTO dunning.profile (name, priority) VALUES ('Standard', 1000);

-- Steps of Standard (seed 004): with email, pre-due J-5, R1 J+5 and R2 +15
-- by email, R3 +30 by letter, thanks J+3; without email, R1 J+5 and R2 +15
-- by letter, R3 +30 by phone.  French templates; a customer's language picks
-- the sibling template of the same name.
UPDATE dunning.step st
   SET enabled = true, days = d.days, media = d.media::dunning.media,
       template_id = (SELECT t.template_id FROM dunning.template t
                      WHERE t.name = d.template AND t.language = 'fr')
  FROM dunning.scenario sc,
       (VALUES ('with_email', 'pre_due', 5, 'email', 'pre_due'),
               ('with_email', 'R1', 5, 'email', 'reminder'),
               ('with_email', 'R2', 15, 'email', 'second_reminder'),
               ('with_email', 'R3', 30, 'letter', 'formal_notice'),
               ('with_email', 'thanks', 3, 'email', 'thanks'),
               ('without_email', 'R1', 5, 'letter', 'reminder_letter'),
               ('without_email', 'R2', 15, 'letter', 'reminder_letter'),
               ('without_email', 'R3', 30, 'phone', NULL))
       AS d (audience, step, days, media, template)
 WHERE sc.scenario_id = st.scenario_id
   AND sc.profile_id = (SELECT p.profile_id FROM dunning.profile p WHERE p.name = 'Standard')
   AND sc.audience = d.audience::dunning.audience
   AND st.step = d.step::dunning.step_name;

UPDATE dunning.scenario SET enabled = true
 WHERE profile_id = (SELECT p.profile_id FROM dunning.profile p WHERE p.name = 'Standard');

-------------------------------------------------------------------------------
-- pg_dump keeps configuration and ledger rows (and the sequences' positions).
-------------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('dunning.settings', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.template', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.template_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.profile', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.profile_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.scenario', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.step', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.customer', '');
SELECT pg_catalog.pg_extension_config_dump('dunning.entry', '');

-------------------------------------------------------------------------------
-- Privileges: nothing for PUBLIC; each role gets what the spec gives it.
--   dunning_admin      configuration and the default ledger tables
--   dunning_collector  reads configuration and ledger (proposals come later)
--   dunning_sender     the outbox only (nothing to reach yet)
--   dunning_reader     reporting views only (the level type to read them)
-------------------------------------------------------------------------------
REVOKE ALL ON SCHEMA dunning FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA dunning FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA dunning FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dunning FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_catalog.min(dunning.level), pg_catalog.max(dunning.level) FROM PUBLIC;
REVOKE ALL ON TYPE dunning.level, dunning.steps, dunning.step_name, dunning.media,
                   dunning.audience, dunning.grouping_mode FROM PUBLIC;

GRANT USAGE ON SCHEMA dunning
    TO dunning_admin, dunning_collector, dunning_sender, dunning_reader;
GRANT USAGE ON TYPE dunning.level
    TO dunning_admin, dunning_collector, dunning_sender, dunning_reader;
GRANT USAGE ON TYPE dunning.steps, dunning.step_name, dunning.media, dunning.audience,
                   dunning.grouping_mode
    TO dunning_admin, dunning_collector, dunning_reader;
-- The rule functions, for reporting SQL too.
GRANT EXECUTE ON FUNCTION
    dunning.steps_in(cstring), dunning.steps_out(dunning.steps),
    dunning.steps_recv(internal), dunning.steps_send(dunning.steps),
    dunning.next_level(dunning.steps, dunning.level, date, date, boolean),
    dunning.next_due_on(dunning.steps, dunning.level, dunning.level, date, date),
    dunning.next_reminder_on(dunning.steps, dunning.level, date, date, date, boolean),
    dunning.statement_level(dunning.level, dunning.level, date, date)
    TO dunning_admin, dunning_collector, dunning_reader;
GRANT EXECUTE ON FUNCTION
    dunning.level_in(cstring), dunning.level_out(dunning.level),
    dunning.level_recv(internal), dunning.level_send(dunning.level),
    dunning.level_eq(dunning.level, dunning.level), dunning.level_ne(dunning.level, dunning.level),
    dunning.level_lt(dunning.level, dunning.level), dunning.level_le(dunning.level, dunning.level),
    dunning.level_gt(dunning.level, dunning.level), dunning.level_ge(dunning.level, dunning.level),
    dunning.level_cmp(dunning.level, dunning.level), dunning.level_sortsupport(internal),
    dunning.level_hash(dunning.level), dunning.level_hash_extended(dunning.level, bigint),
    dunning.level_smaller(dunning.level, dunning.level), dunning.level_larger(dunning.level, dunning.level),
    pg_catalog.min(dunning.level), pg_catalog.max(dunning.level),
    dunning.level_to_int4(dunning.level), dunning.int4_to_level(integer)
    TO dunning_admin, dunning_collector, dunning_sender, dunning_reader;

GRANT SELECT, UPDATE ON dunning.settings TO dunning_admin;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON dunning.template, dunning.profile, dunning.scenario, dunning.step,
       dunning.customer, dunning.entry
    TO dunning_admin;
GRANT TRUNCATE ON dunning.customer, dunning.entry TO dunning_admin;
GRANT USAGE, SELECT ON dunning.template_id_seq, dunning.profile_id_seq
    TO dunning_admin;
GRANT SELECT ON dunning.scenario_overview, dunning.scenario_steps, dunning.ledger_contract TO dunning_admin;
GRANT EXECUTE ON FUNCTION
    dunning.criteria_check(jsonb), dunning.check_ledger_relation(regclass, text),
    dunning.attach(regclass, regclass), dunning.detach(),
    dunning.create_profile(text, integer, jsonb, text), dunning.restoring(), dunning.check_ledger_trust(regclass, text),
    dunning.template_placeholders(text, text, boolean)
    TO dunning_admin;
-- Rendering, to preview a template on a context of one's own.
GRANT EXECUTE ON FUNCTION dunning.render(text, jsonb, text, boolean) TO dunning_admin, dunning_collector;

GRANT SELECT
    ON dunning.settings, dunning.template, dunning.profile, dunning.scenario, dunning.step,
       dunning.customer, dunning.entry, dunning.scenario_overview, dunning.scenario_steps
    TO dunning_collector;
