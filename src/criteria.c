/*
 * criteria.c
 *		Evaluation of profile criteria for one customer.
 *
 * The planner asks, for every customer and every profile with criteria,
 * whether the customer meets them; this is that question in C.  The
 * language (validated when a profile is saved, by dunning.criteria_check)
 * is a jsonb object of field tests, all of which must hold:
 *
 *		{"language": "en", "attributes.revenue": {">=": 100000, "<": 1000000},
 *		 "attributes.segment": {"in": ["key_account", "public"]}}
 *
 * A missing or null field, or a value of another JSON type than the operand,
 * meets no test, whatever the operator.  Strings compare as jsonb does (the
 * database's default collation), numbers as numbers.
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/varlena.h"

PG_FUNCTION_INFO_V1(dunning_criteria_match);
PG_FUNCTION_INFO_V1(dunning_profile_of);

#define ATTRIBUTES_PREFIX "attributes."

/*
 * A customer as criteria see it: either a jsonb object (criteria_match) or
 * its columns as they come from the customers relation (profile_of, which
 * the planner calls once per customer and so spares building the object).
 */
#define CUSTOMER_TEXT_FIELDS 5
#define CUSTOMER_FIELDS 7
static const char *const customer_fields[CUSTOMER_FIELDS] = {
	"customer_id", "name", "email", "language", "collector",	/* text */
	"stop_dunning", "in_dispute"	/* boolean */
};

typedef struct Customer
{
	Jsonb	   *json;			/* the whole customer, or NULL */
	Datum		values[CUSTOMER_FIELDS];	/* else its columns */
	bool		nulls[CUSTOMER_FIELDS];
	Jsonb	   *attributes;		/* NULL when SQL NULL */
} Customer;

/*
 * The customer's value of a field ("name", "attributes.segment"), or NULL;
 * a column's value is built in *scratch.
 */
static JsonbValue *
FieldValue(Customer *customer, const char *field, int len, JsonbValue *scratch)
{
	int			prefix = strlen(ATTRIBUTES_PREFIX);
	int			i;

	if (len > prefix && strncmp(field, ATTRIBUTES_PREFIX, prefix) == 0)
	{
		JsonbContainer *container;

		if (customer->json != NULL)
		{
			JsonbValue *attributes = getKeyJsonValueFromContainer(&customer->json->root,
																  "attributes", 10, NULL);

			if (attributes == NULL || attributes->type != jbvBinary ||
				!JsonContainerIsObject(attributes->val.binary.data))
				return NULL;
			container = attributes->val.binary.data;
		}
		else
		{
			if (customer->attributes == NULL || !JB_ROOT_IS_OBJECT(customer->attributes))
				return NULL;
			container = &customer->attributes->root;
		}
		return getKeyJsonValueFromContainer(container, field + prefix, len - prefix, NULL);
	}
	if (customer->json != NULL)
		return getKeyJsonValueFromContainer(&customer->json->root, field, len, NULL);

	for (i = 0; i < CUSTOMER_FIELDS; i++)
	{
		if (strlen(customer_fields[i]) != len || strncmp(customer_fields[i], field, len) != 0)
			continue;
		if (customer->nulls[i])
			return NULL;
		if (i < CUSTOMER_TEXT_FIELDS)
		{
			text	   *t = DatumGetTextPP(customer->values[i]);

			scratch->type = jbvString;
			scratch->val.string.val = VARDATA_ANY(t);
			scratch->val.string.len = VARSIZE_ANY_EXHDR(t);
		}
		else
		{
			scratch->type = jbvBool;
			scratch->val.boolean = DatumGetBool(customer->values[i]);
		}
		return scratch;
	}
	return NULL;				/* not a customer field: criteria_check refuses it */
}

/*
 * Compares two scalars of the same JSON type: <0, 0, >0.  *comparable is
 * false when the types differ (then no test holds).
 */
static int
CompareScalars(JsonbValue *a, JsonbValue *b, bool *comparable)
{
	*comparable = (a->type == b->type &&
				   (a->type == jbvString || a->type == jbvNumeric || a->type == jbvBool));
	if (!*comparable)
		return 0;
	switch (a->type)
	{
		case jbvString:
			return varstr_cmp(a->val.string.val, a->val.string.len,
							  b->val.string.val, b->val.string.len,
							  DEFAULT_COLLATION_OID);
		case jbvNumeric:
			return DatumGetInt32(DirectFunctionCall2(numeric_cmp,
													 NumericGetDatum(a->val.numeric),
													 NumericGetDatum(b->val.numeric)));
		default:
			return (int) a->val.boolean - (int) b->val.boolean;
	}
}

/* Does value meet "op operand"?  operand is a scalar, or an array for "in". */
static bool
TestHolds(JsonbValue *value, const char *op, int oplen, JsonbValue *operand)
{
	bool		comparable;
	int			cmp;

	if (oplen == 2 && strncmp(op, "in", 2) == 0)
	{
		JsonbIterator *it;
		JsonbValue	element;
		JsonbIteratorToken token;

		if (operand->type != jbvBinary || !JsonContainerIsArray(operand->val.binary.data))
			return false;
		it = JsonbIteratorInit(operand->val.binary.data);
		while ((token = JsonbIteratorNext(&it, &element, true)) != WJB_DONE)
		{
			if (token == WJB_ELEM && CompareScalars(value, &element, &comparable) == 0 && comparable)
				return true;
		}
		return false;
	}

	cmp = CompareScalars(value, operand, &comparable);
	if (!comparable)
		return false;
	if (oplen == 1 && op[0] == '=')
		return cmp == 0;
	if (oplen == 2 && strncmp(op, "<>", 2) == 0)
		return cmp != 0;
	if (value->type == jbvBool)
		return false;			/* booleans are not ordered (criteria_check refuses it) */
	if (oplen == 1 && op[0] == '<')
		return cmp < 0;
	if (oplen == 2 && strncmp(op, "<=", 2) == 0)
		return cmp <= 0;
	if (oplen == 1 && op[0] == '>')
		return cmp > 0;
	if (oplen == 2 && strncmp(op, ">=", 2) == 0)
		return cmp >= 0;
	return false;				/* unknown operator: criteria_check refuses it */
}

/* Does the customer meet every test of criteria? */
static bool
CriteriaMatch(Jsonb *criteria, Customer *customer)
{
	JsonbIterator *it;
	JsonbValue	key;
	JsonbValue	test;
	JsonbValue	scratch;
	JsonbIteratorToken token;

	if (!JB_ROOT_IS_OBJECT(criteria) ||
		(customer->json != NULL && !JB_ROOT_IS_OBJECT(customer->json)))
		return false;

	it = JsonbIteratorInit(&criteria->root);
	while ((token = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		JsonbValue *value;

		if (token != WJB_KEY)
			continue;
		token = JsonbIteratorNext(&it, &test, true);	/* its WJB_VALUE */
		value = FieldValue(customer, key.val.string.val, key.val.string.len, &scratch);
		if (value == NULL || value->type == jbvNull)
			return false;

		if (test.type == jbvBinary && JsonContainerIsObject(test.val.binary.data))
		{
			/* {"op": operand, ...}: every operator must hold */
			JsonbIterator *ops = JsonbIteratorInit(test.val.binary.data);
			JsonbValue	op;
			JsonbValue	operand;

			while ((token = JsonbIteratorNext(&ops, &op, true)) != WJB_DONE)
			{
				if (token != WJB_KEY)
					continue;
				(void) JsonbIteratorNext(&ops, &operand, true);
				if (!TestHolds(value, op.val.string.val, op.val.string.len, &operand))
					return false;
			}
		}
		else if (!TestHolds(value, "=", 1, &test))	/* a bare scalar: equality */
			return false;
	}
	return true;
}

/* dunning.criteria_match(criteria jsonb, customer jsonb) returns boolean */
Datum
dunning_criteria_match(PG_FUNCTION_ARGS)
{
	Customer	customer = {0};

	customer.json = PG_GETARG_JSONB_P(1);
	PG_RETURN_BOOL(CriteriaMatch(PG_GETARG_JSONB_P(0), &customer));
}

/*
 * dunning.profile_of(criteria jsonb[], profile_ids bigint[], customer_id
 * text, name text, email text, language text, collector text, stop_dunning
 * boolean, in_dispute boolean, attributes jsonb) returns bigint: the profile
 * id of the first criteria the customer meets, in array order (the caller
 * sorts by priority), or NULL.  One call per customer, with the profiles as
 * arguments: unlike a correlated subquery, it lets the planner's scan of the
 * ledger run in parallel workers.  Not strict: any column may be NULL.
 */
Datum
dunning_profile_of(PG_FUNCTION_ARGS)
{
	ArrayType  *criteria;
	ArrayType  *profile_ids;
	Datum	   *criteria_values;
	bool	   *criteria_nulls;
	Datum	   *id_values;
	bool	   *id_nulls;
	int			ncriteria;
	int			nids;
	int			i;
	Customer	customer = {0};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	criteria = PG_GETARG_ARRAYTYPE_P(0);
	profile_ids = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(criteria) > 1 || ARR_NDIM(profile_ids) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("criteria and profile_ids must be one-dimensional arrays")));
	deconstruct_array(criteria, JSONBOID, -1, false, TYPALIGN_INT,
					  &criteria_values, &criteria_nulls, &ncriteria);
	deconstruct_array(profile_ids, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &id_values, &id_nulls, &nids);
	if (ncriteria != nids)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("criteria has %d elements but profile_ids has %d", ncriteria, nids)));

	for (i = 0; i < CUSTOMER_FIELDS; i++)
	{
		customer.nulls[i] = PG_ARGISNULL(2 + i);
		if (!customer.nulls[i])
			customer.values[i] = PG_GETARG_DATUM(2 + i);
	}
	customer.attributes = PG_ARGISNULL(2 + CUSTOMER_FIELDS) ? NULL : PG_GETARG_JSONB_P(2 + CUSTOMER_FIELDS);

	for (i = 0; i < ncriteria; i++)
	{
		if (criteria_nulls[i] || id_nulls[i])
			continue;
		if (CriteriaMatch(DatumGetJsonbP(criteria_values[i]), &customer))
			PG_RETURN_DATUM(id_values[i]);
	}
	PG_RETURN_NULL();
}
