/*
 * state.c
 *		Finding an entry in its customer's state (dunning.customer_state).
 *
 * The planner reads the state of every open entry every night from the
 * parallel arrays of its customer's row: this is the search for the entry's
 * position in entry_ids.  array_position() does the same through the type
 * cache and an iterator; this walks the array's bytes, which matters once
 * per ledger row.
 */
#include "postgres.h"

#include "access/tupmacs.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"

PG_FUNCTION_INFO_V1(dunning_entry_position);

/*
 * dunning.entry_position(entry_ids text[], entry_id text) returns integer:
 * the 1-based position of entry_id in entry_ids, or NULL.  Byte equality,
 * like text equality under a deterministic collation.
 */
Datum
dunning_entry_position(PG_FUNCTION_ARGS)
{
	ArrayType  *ids = PG_GETARG_ARRAYTYPE_P(0);
	text	   *id = PG_GETARG_TEXT_PP(1);
	const char *wanted = VARDATA_ANY(id);
	Size		wanted_len = VARSIZE_ANY_EXHDR(id);
	bits8	   *nulls = ARR_NULLBITMAP(ids);
	char	   *ptr;
	int			count;
	int			i;

	if (ARR_ELEMTYPE(ids) != TEXTOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("entry_ids must be a text array")));
	if (ARR_NDIM(ids) == 0)
		PG_RETURN_NULL();
	if (ARR_NDIM(ids) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("entry_ids must be a one-dimensional array")));

	count = ARR_DIMS(ids)[0];
	ptr = ARR_DATA_PTR(ids);
	for (i = 0; i < count; i++)
	{
		if (nulls && !(nulls[i / 8] & (1 << (i % 8))))
			continue;			/* a NULL element takes no space */
		if (VARSIZE_ANY_EXHDR(ptr) == wanted_len &&
			memcmp(VARDATA_ANY(ptr), wanted, wanted_len) == 0)
			PG_RETURN_INT32(ARR_LBOUND(ids)[0] + i);
		ptr = att_addlength_pointer(ptr, -1, ptr);
		ptr = (char *) att_align_nominal(ptr, TYPALIGN_INT);
	}
	PG_RETURN_NULL();
}
