/*
 * level.c
 *		Input, output and casts of the dunning.level type.
 *
 * Comparison, hashing and min/max reuse PostgreSQL's int2 functions (see
 * level.h for the representation); only what knows the level names lives
 * here.
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"

#include "level.h"

PG_FUNCTION_INFO_V1(dunning_level_in);
PG_FUNCTION_INFO_V1(dunning_level_out);
PG_FUNCTION_INFO_V1(dunning_level_recv);
PG_FUNCTION_INFO_V1(dunning_level_send);
PG_FUNCTION_INFO_V1(dunning_level_from_int4);

/* Names indexed by level number + 1. */
static const char *const level_names[] = {
	"none", "P", "R1", "R2", "R3", "R4", "R5", "R6", "R7"
};

#define LEVEL_NAMES_HINT "A level is one of none, P, R1, R2, R3, R4, R5, R6, R7."

/*
 * Text input: the level names, case-insensitively ("r2" is R2).  Nothing
 * else is accepted, not even surrounding spaces, so that a typo in a
 * collector's filter is an error rather than an empty result.
 */
Datum
dunning_level_in(PG_FUNCTION_ARGS)
{
	const char *str = PG_GETARG_CSTRING(0);
	int			i;

	for (i = 0; i < lengthof(level_names); i++)
	{
		if (pg_strcasecmp(str, level_names[i]) == 0)
			PG_RETURN_DUNNING_LEVEL((DunningLevel) (i - 1));
	}

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type dunning.level: \"%s\"", str),
			 errhint(LEVEL_NAMES_HINT)));
	PG_RETURN_VOID();			/* keep compiler quiet */
}

static inline void
CheckLevelNumber(int64 number, int errcode_value, const char *what)
{
	if (number < DUNNING_LEVEL_NONE || number > DUNNING_LEVEL_MAX)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("%s %lld is not a dunning.level", what, (long long) number),
				 errdetail("Level numbers run from -1 (none) and 0 (P) to 7 (R7).")));
}

/* The name of a level, for output and messages. */
const char *
DunningLevelName(DunningLevel level)
{
	/* Only reachable through a corrupted datum, but never index blindly. */
	CheckLevelNumber(level, ERRCODE_DATA_CORRUPTED, "stored value");
	return level_names[level + 1];
}

Datum
dunning_level_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(pstrdup(DunningLevelName(PG_GETARG_DUNNING_LEVEL(0))));
}

/* Binary I/O: the level number as a 2-byte integer, re-validated on receipt. */
Datum
dunning_level_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int16		number = (int16) pq_getmsgint(buf, sizeof(int16));

	CheckLevelNumber(number, ERRCODE_INVALID_BINARY_REPRESENTATION,
					 "binary value");
	PG_RETURN_DUNNING_LEVEL(number);
}

Datum
dunning_level_send(PG_FUNCTION_ARGS)
{
	DunningLevel level = PG_GETARG_DUNNING_LEVEL(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, level);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* integer -> dunning.level: the inverse of the cast to integer. */
Datum
dunning_level_from_int4(PG_FUNCTION_ARGS)
{
	int32		number = PG_GETARG_INT32(0);

	CheckLevelNumber(number, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE, "integer");
	PG_RETURN_DUNNING_LEVEL((DunningLevel) number);
}
