/*
 * message.c
 *		The entries of a message and its totals per currency, as the jsonb
 *		that its template is rendered from and its outbox payload carries.
 *
 * dunning.entry_list() is an aggregate over the entries of an action: one
 * object per entry, in the order the aggregate is given.  It builds the
 * jsonb directly; jsonb_agg(jsonb_build_object(...)) gives the same value
 * but converts every date and amount to text and back, and looks up the
 * output function of each value's type, for each of the eleven keys of
 * each entry: a cold night renders a million entries.
 *
 * dunning.total_list() and dunning.total_map() are aggregates over the same
 * entries: the sum per currency, as an array sorted by currency and as an
 * object keyed by currency.  They share their transition function, so a
 * query that asks for both sums once, in the same pass as the entries.
 *
 * Where the SQL they replace would fail, they do not: days_overdue is NULL
 * for an infinite date (SQL cannot subtract one), and total_map leaves out
 * entries without a currency (jsonb_object_agg() refuses a NULL key).  The
 * planner never gets there: both are anomalies.  Currencies are told apart
 * byte by byte, as GROUP BY does under a deterministic collation.
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/varlena.h"

PG_FUNCTION_INFO_V1(dunning_entry_list_step);
PG_FUNCTION_INFO_V1(dunning_entry_list_final);
PG_FUNCTION_INFO_V1(dunning_totals_step);
PG_FUNCTION_INFO_V1(dunning_total_list_final);
PG_FUNCTION_INFO_V1(dunning_total_map_final);

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
 * A number, or NULL; NaN and infinities, which JSON has no number for, as
 * strings, like jsonb_build_object().
 */
static void
set_numeric(JsonbValue *v, Numeric num)
{
	if (num == NULL)
		v->type = jbvNull;
	else if (numeric_is_nan(num) || numeric_is_inf(num))
	{
		v->type = jbvString;
		v->val.string.val = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)));
		v->val.string.len = strlen(v->val.string.val);
	}
	else
	{
		v->type = jbvNumeric;
		v->val.numeric = num;
	}
}

static void
push_numeric(EntryListState *state, const char *key, Numeric num)
{
	JsonbValue	v;

	push_key(state, key);
	set_numeric(&v, num);
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
		elog(ERROR, "dunning_entry_list_step called in non-aggregate context");

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

/*
 * Final function: the array, or NULL for no entry (as jsonb_agg()).  It
 * closes a shallow copy of the parse state, as jsonb_agg() does, so that it
 * can be called again on the same state (a window, a rescanned hash
 * aggregate): closing pops the state, and the elements are only read.
 */
Datum
dunning_entry_list_final(PG_FUNCTION_ARGS)
{
	EntryListState *state;
	JsonbParseState copy;
	JsonbParseState *parse = &copy;
	JsonbValue *array;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (EntryListState *) PG_GETARG_POINTER(0);
	Assert(state->parse != NULL && state->parse->next == NULL);
	copy = *state->parse;
	array = pushJsonbValue(&parse, WJB_END_ARRAY, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(array));
}

/* The sums per currency of one action's entries, in first-seen order. */
typedef struct Totals
{
	int			count;
	int			size;
	char	  **currencies;		/* NULL for entries without a currency */
	int		   *lengths;
	Numeric    *sums;			/* NULL while no amount was given */
} Totals;

/*
 * Transition function of dunning.total_list(currency, amount) and
 * dunning.total_map(currency, amount): adds the amount to its currency's
 * sum.  A NULL amount is skipped, as sum() skips it.
 */
Datum
dunning_totals_step(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MemoryContext oldcontext;
	Totals	   *totals;
	const char *currency = NULL;
	int			length = 0;
	int			i;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "dunning_totals_step called in non-aggregate context");

	oldcontext = MemoryContextSwitchTo(aggcontext);
	if (PG_ARGISNULL(0))
	{
		totals = palloc0(sizeof(Totals));
		totals->size = 4;
		totals->currencies = palloc(totals->size * sizeof(char *));
		totals->lengths = palloc(totals->size * sizeof(int));
		totals->sums = palloc(totals->size * sizeof(Numeric));
	}
	else
		totals = (Totals *) PG_GETARG_POINTER(0);

	if (!PG_ARGISNULL(1))
	{
		text	   *t = PG_GETARG_TEXT_PP(1);

		currency = VARDATA_ANY(t);
		length = VARSIZE_ANY_EXHDR(t);
	}
	for (i = 0; i < totals->count; i++)
		if (currency == NULL ? totals->currencies[i] == NULL :
			(totals->currencies[i] != NULL && totals->lengths[i] == length &&
			 memcmp(totals->currencies[i], currency, length) == 0))
			break;
	if (i == totals->count)
	{
		if (totals->count == totals->size)
		{
			totals->size *= 2;
			totals->currencies = repalloc(totals->currencies, totals->size * sizeof(char *));
			totals->lengths = repalloc(totals->lengths, totals->size * sizeof(int));
			totals->sums = repalloc(totals->sums, totals->size * sizeof(Numeric));
		}
		totals->currencies[i] = currency ? pnstrdup(currency, length) : NULL;
		totals->lengths[i] = length;
		totals->sums[i] = NULL;
		totals->count++;
	}
	if (!PG_ARGISNULL(2))
	{
		if (totals->sums[i] == NULL)
			totals->sums[i] = PG_GETARG_NUMERIC_COPY(2);
		else
		{
			Numeric		sum = DatumGetNumeric(DirectFunctionCall2(numeric_add,
																  NumericGetDatum(totals->sums[i]),
																  PG_GETARG_DATUM(2)));

			pfree(totals->sums[i]);
			totals->sums[i] = sum;
		}
	}
	MemoryContextSwitchTo(oldcontext);
	PG_RETURN_POINTER(totals);
}

/* For sorting the currencies as ORDER BY currency does: NULL last. */
typedef struct CurrencyOrder
{
	Totals	   *totals;
	Oid			collation;
} CurrencyOrder;

static int
compare_currencies(const void *a, const void *b, void *arg)
{
	CurrencyOrder *order = (CurrencyOrder *) arg;
	Totals	   *totals = order->totals;
	int			i = *(const int *) a;
	int			j = *(const int *) b;

	if (totals->currencies[i] == NULL || totals->currencies[j] == NULL)
		return (totals->currencies[i] == NULL) - (totals->currencies[j] == NULL);
	return varstr_cmp(totals->currencies[i], totals->lengths[i],
					  totals->currencies[j], totals->lengths[j], order->collation);
}

static void
push_total(JsonbParseState **parse, Numeric sum)
{
	JsonbValue	v;

	set_numeric(&v, sum);
	pushJsonbValue(parse, WJB_VALUE, &v);
}

/*
 * Final function of dunning.total_list(): [{"currency": ..., "total": ...}]
 * sorted by currency in the aggregate's collation, as jsonb_agg(...
 * ORDER BY currency) of the sums gives it.  Leaves the state as it is.
 */
Datum
dunning_total_list_final(PG_FUNCTION_ARGS)
{
	Totals	   *totals;
	JsonbParseState *parse = NULL;
	JsonbValue *array;
	JsonbValue	v;
	CurrencyOrder sort;
	int		   *order;
	int			i;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	totals = (Totals *) PG_GETARG_POINTER(0);
	order = palloc(totals->count * sizeof(int));
	for (i = 0; i < totals->count; i++)
		order[i] = i;
	sort.totals = totals;
	sort.collation = OidIsValid(PG_GET_COLLATION()) ? PG_GET_COLLATION() : DEFAULT_COLLATION_OID;
	qsort_arg(order, totals->count, sizeof(int), compare_currencies, &sort);

	pushJsonbValue(&parse, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < totals->count; i++)
	{
		int			k = order[i];

		/* keys in jsonb's order: "total" before "currency" */
		pushJsonbValue(&parse, WJB_BEGIN_OBJECT, NULL);
		v.type = jbvString;
		v.val.string.val = "total";
		v.val.string.len = 5;
		pushJsonbValue(&parse, WJB_KEY, &v);
		push_total(&parse, totals->sums[k]);
		v.val.string.val = "currency";
		v.val.string.len = 8;
		pushJsonbValue(&parse, WJB_KEY, &v);
		if (totals->currencies[k] == NULL)
			v.type = jbvNull;
		else
		{
			v.val.string.val = totals->currencies[k];
			v.val.string.len = totals->lengths[k];
		}
		pushJsonbValue(&parse, WJB_VALUE, &v);
		pushJsonbValue(&parse, WJB_END_OBJECT, NULL);
	}
	array = pushJsonbValue(&parse, WJB_END_ARRAY, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(array));
}

/*
 * Final function of dunning.total_map(): {"EUR": ..., "GBP": ...}, as
 * jsonb_object_agg(currency, sum) gives it; entries without a currency,
 * which no object key can name, are left out.  Leaves the state as it is.
 */
Datum
dunning_total_map_final(PG_FUNCTION_ARGS)
{
	Totals	   *totals;
	JsonbParseState *parse = NULL;
	JsonbValue *object;
	JsonbValue	v;
	int			i;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	totals = (Totals *) PG_GETARG_POINTER(0);
	pushJsonbValue(&parse, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < totals->count; i++)
	{
		if (totals->currencies[i] == NULL)
			continue;
		v.type = jbvString;
		v.val.string.val = totals->currencies[i];
		v.val.string.len = totals->lengths[i];
		pushJsonbValue(&parse, WJB_KEY, &v);
		push_total(&parse, totals->sums[i]);
	}
	object = pushJsonbValue(&parse, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(object));
}
