/*
 * message.c
 *		The entries of a message, as the jsonb array that its template is
 *		rendered from and its outbox payload carries.
 *
 * dunning.entry_list() is an aggregate over the entries of an action: one
 * object per entry, in the order the aggregate is given.  It builds the
 * jsonb directly; jsonb_agg(jsonb_build_object(...)) gives the same value
 * but converts every date and amount to text and back, and looks up the
 * output function of each value's type, for each of the eleven keys of
 * each entry: a cold night renders a million entries.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(dunning_entry_list_step);
PG_FUNCTION_INFO_V1(dunning_entry_list_final);

/* The array being built; lives in the aggregate's memory context. */
typedef struct EntryListState
{
	JsonbParseState *parse;
} EntryListState;

static void
push_key(EntryListState *state, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	pushJsonbValue(&state->parse, WJB_KEY, &v);
}

static void
push_null(EntryListState *state)
{
	JsonbValue	v;

	v.type = jbvNull;
	pushJsonbValue(&state->parse, WJB_VALUE, &v);
}

/* A text argument (copied: the row it comes from is gone at the next). */
static void
push_text(EntryListState *state, const char *key, FunctionCallInfo fcinfo, int arg)
{
	JsonbValue	v;
	text	   *t;

	push_key(state, key);
	if (PG_ARGISNULL(arg))
	{
		push_null(state);
		return;
	}
	t = PG_GETARG_TEXT_PP(arg);
	v.type = jbvString;
	v.val.string.len = VARSIZE_ANY_EXHDR(t);
	v.val.string.val = pnstrdup(VARDATA_ANY(t), v.val.string.len);
	pushJsonbValue(&state->parse, WJB_VALUE, &v);
}

/* A date, as jsonb_build_object() writes it ("2026-06-30", "infinity"). */
static void
push_date(EntryListState *state, const char *key, FunctionCallInfo fcinfo, int arg)
{
	JsonbValue	v;

	push_key(state, key);
	if (PG_ARGISNULL(arg))
	{
		push_null(state);
		return;
	}
	v.type = jbvString;
	v.val.string.val = JsonEncodeDateTime(NULL, PG_GETARG_DATUM(arg), DATEOID, NULL);
	v.val.string.len = strlen(v.val.string.val);
	pushJsonbValue(&state->parse, WJB_VALUE, &v);
}

/*
 * A number; NaN and infinities, which JSON has no number for, as strings,
 * like jsonb_build_object().
 */
static void
push_numeric(EntryListState *state, const char *key, Numeric num)
{
	JsonbValue	v;

	push_key(state, key);
	if (num == NULL)
	{
		push_null(state);
		return;
	}
	if (numeric_is_nan(num) || numeric_is_inf(num))
	{
		v.type = jbvString;
		v.val.string.val = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)));
		v.val.string.len = strlen(v.val.string.val);
	}
	else
	{
		v.type = jbvNumeric;
		v.val.numeric = num;
	}
	pushJsonbValue(&state->parse, WJB_VALUE, &v);
}

static void
push_bool(EntryListState *state, const char *key, FunctionCallInfo fcinfo, int arg)
{
	JsonbValue	v;

	push_key(state, key);
	if (PG_ARGISNULL(arg))
	{
		push_null(state);
		return;
	}
	v.type = jbvBool;
	v.val.boolean = PG_GETARG_BOOL(arg);
	pushJsonbValue(&state->parse, WJB_VALUE, &v);
}

/*
 * Transition function of dunning.entry_list(entry_id, document_number,
 * document_date, due_date, amount, open_amount, currency, in_dispute,
 * as_of): appends one entry.  document_number falls back to entry_id;
 * days_overdue is as_of - due_date; "dispute" repeats in_dispute (both
 * names are in the templates of earlier versions).
 */
Datum
dunning_entry_list_step(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MemoryContext oldcontext;
	EntryListState *state;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("dunning.entry_list_step() can only be called by the aggregate dunning.entry_list()")));

	oldcontext = MemoryContextSwitchTo(aggcontext);
	if (PG_ARGISNULL(0))
	{
		state = palloc0(sizeof(EntryListState));
		pushJsonbValue(&state->parse, WJB_BEGIN_ARRAY, NULL);
	}
	else
		state = (EntryListState *) PG_GETARG_POINTER(0);

	/*
	 * The keys in jsonb's order (shorter first, then bytewise), so that the
	 * sort of each object's keys finds them sorted.
	 */
	pushJsonbValue(&state->parse, WJB_BEGIN_OBJECT, NULL);
	push_numeric(state, "amount", PG_ARGISNULL(5) ? NULL : PG_GETARG_NUMERIC_COPY(5));
	push_bool(state, "dispute", fcinfo, 8);
	push_text(state, "currency", fcinfo, 7);
	push_date(state, "due_date", fcinfo, 4);
	push_text(state, "entry_id", fcinfo, 1);
	push_bool(state, "in_dispute", fcinfo, 8);
	push_numeric(state, "open_amount", PG_ARGISNULL(6) ? NULL : PG_GETARG_NUMERIC_COPY(6));
	if (PG_ARGISNULL(4) || PG_ARGISNULL(9) ||
		DATE_NOT_FINITE(PG_GETARG_DATEADT(4)) || DATE_NOT_FINITE(PG_GETARG_DATEADT(9)))
		push_numeric(state, "days_overdue", NULL);
	else
		push_numeric(state, "days_overdue",
					 int64_to_numeric((int64) PG_GETARG_DATEADT(9) - PG_GETARG_DATEADT(4)));
	push_date(state, "document_date", fcinfo, 3);
	push_text(state, "document_number", fcinfo, PG_ARGISNULL(2) ? 1 : 2);
	pushJsonbValue(&state->parse, WJB_END_OBJECT, NULL);

	MemoryContextSwitchTo(oldcontext);
	PG_RETURN_POINTER(state);
}

/* Final function: the array, or NULL for no entry (as jsonb_agg()). */
Datum
dunning_entry_list_final(PG_FUNCTION_ARGS)
{
	EntryListState *state;
	JsonbValue *array;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (EntryListState *) PG_GETARG_POINTER(0);
	array = pushJsonbValue(&state->parse, WJB_END_ARRAY, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(array));
}
