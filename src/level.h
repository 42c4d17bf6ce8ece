/*
 * level.h
 *		The dunning.level type: where an entry stands in its scenario.
 *
 * A level is stored as an int16 "level number": none = -1, P (pre-due
 * reminder sent) = 0, R1..R7 = 1..7.  The numbers sort in the order of the
 * levels, so the type reuses PostgreSQL's int2 comparison, hash and
 * min/max support (as contrib/isn does with int8), and a cast to integer
 * gives a collector's usual reading: R3 is 3.
 */
#ifndef DUNNING_LEVEL_H
#define DUNNING_LEVEL_H

#include "postgres.h"

typedef int16 DunningLevel;

#define DUNNING_LEVEL_NONE	((DunningLevel) -1)
#define DUNNING_LEVEL_P		((DunningLevel) 0)
#define DUNNING_LEVEL_R1	((DunningLevel) 1)
#define DUNNING_LEVEL_MAX	((DunningLevel) 7)	/* R7 */

#define DunningLevelIsValid(l) \
	((l) >= DUNNING_LEVEL_NONE && (l) <= DUNNING_LEVEL_MAX)

#define DatumGetDunningLevel(d)		DatumGetInt16(d)
#define DunningLevelGetDatum(l)		Int16GetDatum(l)
#define PG_GETARG_DUNNING_LEVEL(n)	DatumGetDunningLevel(PG_GETARG_DATUM(n))
#define PG_RETURN_DUNNING_LEVEL(l)	return DunningLevelGetDatum(l)

extern const char *DunningLevelName(DunningLevel level);

#endif							/* DUNNING_LEVEL_H */
