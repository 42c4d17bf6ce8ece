/*
 * statement.c
 *		The level of an account statement (seed 003).
 *
 * In account-statement mode, when a reminder is due for any entry of a
 * customer, one message holds every overdue entry of that customer at the
 * highest level among them; once it is executed, every entry in it takes
 * that level.  An entry counts at the level its own next reminder brings it
 * to when that reminder is due on the planning date, else at its current
 * level.  dunning.statement_level() is that maximum, an aggregate over the
 * entries of a group, so that reporting SQL can ask it of any group.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/date.h"

#include "level.h"

PG_FUNCTION_INFO_V1(dunning_statement_level_step);

/*
 * Transition function of dunning.statement_level(level, next_level,
 * next_due_on, as_of): the state is the highest level so far.  An entry
 * without a level (NULL) does not count; a NULL next_level or next_due_on
 * means no reminder is due for it.  Not strict: the first entry starts the
 * state.
 */
Datum
dunning_statement_level_step(PG_FUNCTION_ARGS)
{
	DunningLevel candidate;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	candidate = PG_GETARG_DUNNING_LEVEL(1);
	if (!PG_ARGISNULL(2) && !PG_ARGISNULL(3) && !PG_ARGISNULL(4) &&
		PG_GETARG_DATEADT(3) <= PG_GETARG_DATEADT(4) &&
		PG_GETARG_DUNNING_LEVEL(2) > candidate)
		candidate = PG_GETARG_DUNNING_LEVEL(2);
	if (!PG_ARGISNULL(0) && PG_GETARG_DUNNING_LEVEL(0) > candidate)
		candidate = PG_GETARG_DUNNING_LEVEL(0);
	PG_RETURN_DUNNING_LEVEL(candidate);
}
