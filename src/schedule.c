/*
 * schedule.c
 *		The dunning rules for one ledger entry: which step comes next and on
 *		which date it falls due (seeds 002 and 004).
 *
 * Both functions are IMMUTABLE and read nothing but their arguments, so the
 * planner calls them once per open entry inside one INSERT ... SELECT, and
 * reporting SQL can call them too.
 *
 * The rules, for an entry at level L in a scenario with packed steps S:
 *	- pre-due (P) comes first for a debit entry at none whose due date is
 *	  still ahead of the planning date; credit entries never get P;
 *	- then the first enabled level above L: disabled levels are skipped;
 *	- after the last enabled level, nothing more, unless the scenario is
 *	  infinite: then the entry repeats its level;
 *	- P falls due at due_date - days; the first reminder of an entry (L is
 *	  none or P) at due_date + days; a later one, and every repetition, at
 *	  the last reminder's execution date + days.
 * An entry therefore moves at most one level per execution, however many
 * days the planner missed.
 */
#include "postgres.h"

#include "fmgr.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/date.h"

#include "level.h"
#include "steps.h"

PG_FUNCTION_INFO_V1(dunning_next_level);
PG_FUNCTION_INFO_V1(dunning_next_due_on);
PG_FUNCTION_INFO_V1(dunning_next_reminder_on);
PG_FUNCTION_INFO_V1(dunning_state_due_levels);

/* Position in DunningSteps of a level's step: P is pre_due, Rk is k. */
static inline int
LevelStep(DunningLevel level)
{
	return level == DUNNING_LEVEL_P ? STEP_PRE_DUE : (int) level;
}

/* The last enabled reminder level R1..R7, or none. */
static DunningLevel
LastReminderLevel(const DunningSteps *steps)
{
	int			k;

	for (k = STEP_R7; k >= STEP_R1; k--)
	{
		if (StepEnabled(steps, k))
			return (DunningLevel) k;
	}
	return DUNNING_LEVEL_NONE;
}

static DunningLevel
NextLevel(const DunningSteps *steps, DunningLevel level, DateADT due_date,
		  DateADT as_of, bool is_credit)
{
	DunningLevel last = LastReminderLevel(steps);
	int			k;

	if (level == DUNNING_LEVEL_NONE && !is_credit &&
		StepEnabled(steps, STEP_PRE_DUE) && as_of < due_date)
		return DUNNING_LEVEL_P;

	for (k = Max(level + 1, DUNNING_LEVEL_R1); k <= STEP_R7; k++)
	{
		if (StepEnabled(steps, k))
			return (DunningLevel) k;
	}
	/* Past the last enabled level: repeat it, only when infinite. */
	if ((steps->flags & STEPS_INFINITE) && last != DUNNING_LEVEL_NONE && level >= last)
		return level;
	return DUNNING_LEVEL_NONE;
}

/* Adds days to a date; infinite dates stay infinite. */
static DateADT
AddDays(DateADT date, int days)
{
	DateADT		result;

	if (DATE_NOT_FINITE(date))
		return date;
	result = date + days;
	if (!IS_VALID_DATE(result))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("date out of range")));
	return result;
}

/*
 * dunning.next_level(steps, level, due_date, as_of, is_credit): the level
 * the entry's next reminder would bring it to, or NULL when nothing more
 * comes.  A repetition under infinite dunning returns the entry's level.
 */
Datum
dunning_next_level(PG_FUNCTION_ARGS)
{
	DunningSteps *steps = PG_GETARG_DUNNING_STEPS_P(0);
	DunningLevel level = PG_GETARG_DUNNING_LEVEL(1);
	DateADT		due_date = PG_GETARG_DATEADT(2);
	DateADT		as_of = PG_GETARG_DATEADT(3);
	bool		is_credit = PG_GETARG_BOOL(4);
	DunningLevel next;

	next = NextLevel(steps, level, due_date, as_of, is_credit);
	if (next == DUNNING_LEVEL_NONE)
		PG_RETURN_NULL();
	PG_RETURN_DUNNING_LEVEL(next);
}

/*
 * The date the step bringing an entry from level to next falls due; when
 * last_dunned_on is NULL, no reminder has been executed yet.
 */
static DateADT
NextDueOn(const DunningSteps *steps, DunningLevel level, DunningLevel next,
		  DateADT due_date, const DateADT *last_dunned_on)
{
	DunningLevel timed;
	int			days;

	if (!(next > level ||
		  (next == level && level >= DUNNING_LEVEL_R1 && (steps->flags & STEPS_INFINITE))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("next_level %s cannot follow level %s", DunningLevelName(next), DunningLevelName(level)),
				 errhint("Pass the level dunning.next_level() returned for this entry.")));
	/* A repetition waits the days of the last enabled level. */
	timed = (next == level) ? LastReminderLevel(steps) : next;
	if (timed == DUNNING_LEVEL_NONE || !StepEnabled(steps, LevelStep(timed)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step of next_level %s is disabled in these steps", DunningLevelName(next))));
	days = steps->days[LevelStep(timed)];

	if (next == DUNNING_LEVEL_P)
		return AddDays(due_date, -days);
	if (level < DUNNING_LEVEL_R1 || last_dunned_on == NULL)
		return AddDays(due_date, days);
	return AddDays(*last_dunned_on, days);
}

/*
 * dunning.next_due_on(steps, level, next_level, due_date, last_dunned_on):
 * the date the step bringing an entry from level to next_level falls due.
 * Not strict: last_dunned_on is NULL until a reminder has been executed.
 */
Datum
dunning_next_due_on(PG_FUNCTION_ARGS)
{
	DateADT		last_dunned_on;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	if (!PG_ARGISNULL(4))
		last_dunned_on = PG_GETARG_DATEADT(4);
	PG_RETURN_DATEADT(NextDueOn(PG_GETARG_DUNNING_STEPS_P(0), PG_GETARG_DUNNING_LEVEL(1),
								PG_GETARG_DUNNING_LEVEL(2), PG_GETARG_DATEADT(3),
								PG_ARGISNULL(4) ? NULL : &last_dunned_on));
}

/*
 * dunning.next_reminder_on(steps, level, due_date, last_dunned_on, as_of,
 * is_credit): next_level() and next_due_on() in one call, the date the
 * entry's next reminder falls due, or NULL when none comes.  The planner's
 * scan of the ledger tests it on every open entry.  Not strict, like
 * next_due_on: last_dunned_on is NULL until a reminder has been executed.
 */
Datum
dunning_next_reminder_on(PG_FUNCTION_ARGS)
{
	DunningSteps *steps;
	DunningLevel level;
	DunningLevel next;
	DateADT		due_date;
	DateADT		last_dunned_on;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(4) || PG_ARGISNULL(5))
		PG_RETURN_NULL();
	steps = PG_GETARG_DUNNING_STEPS_P(0);
	level = PG_GETARG_DUNNING_LEVEL(1);
	due_date = PG_GETARG_DATEADT(2);
	next = NextLevel(steps, level, due_date, PG_GETARG_DATEADT(4), PG_GETARG_BOOL(5));
	if (next == DUNNING_LEVEL_NONE)
		PG_RETURN_NULL();
	if (!PG_ARGISNULL(3))
		last_dunned_on = PG_GETARG_DATEADT(3);
	PG_RETURN_DATEADT(NextDueOn(steps, level, next, due_date,
								PG_ARGISNULL(3) ? NULL : &last_dunned_on));
}

/*
 * dunning.state_due_levels(steps, levels, last_dunned_on, as_of): the levels
 * that the stored entries of a customer (its dunning.customer_state arrays)
 * could be reminded to on as_of, as a bit mask: bit level + 1 (none 0, P 1,
 * R1 2 ... R7 8).  Only entries at R1 or above count, and an entry without
 * an execution date counts as due (its date would come from the ledger).
 *
 * The planner's scan keeps an open credit entry whose next level is above
 * the first reminder level only when that level is in this mask: a debit
 * entry can reach such a level only from a stored level (one below it, or
 * the same under infinite dunning), and a credit joins the message of its
 * next level alone (seed 003).  The mask is an upper bound (a stored entry
 * may since have been paid).  A credit whose next level is the first one is
 * always kept: any new debit can reach it.
 */
Datum
dunning_state_due_levels(PG_FUNCTION_ARGS)
{
	DunningSteps *steps = PG_GETARG_DUNNING_STEPS_P(0);
	ArrayType  *levels = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *dates = PG_GETARG_ARRAYTYPE_P(2);
	DateADT		as_of = PG_GETARG_DATEADT(3);
	Datum	   *level_values;
	bool	   *level_nulls;
	Datum	   *date_values;
	bool	   *date_nulls;
	int			nlevels;
	int			ndates;
	int32		mask = 0;
	int			i;

	/*
	 * Elements in storage order, whatever the arrays' shape: a malformed
	 * state (the table checks lengths, not dimensions) widens the mask rather
	 * than stopping the night.
	 */
	deconstruct_array(levels, ARR_ELEMTYPE(levels), sizeof(DunningLevel), true, TYPALIGN_SHORT,
					  &level_values, &level_nulls, &nlevels);
	deconstruct_array(dates, DATEOID, sizeof(DateADT), true, TYPALIGN_INT,
					  &date_values, &date_nulls, &ndates);
	if (nlevels != ndates)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("levels has %d elements and last_dunned_on %d", nlevels, ndates),
				 errdetail("They are parallel arrays: one element per entry.")));

	for (i = 0; i < nlevels; i++)
	{
		DunningLevel level;
		DunningLevel next;
		DateADT		last_dunned_on;

		if (level_nulls[i])
			continue;
		level = DatumGetInt16(level_values[i]);
		if (level < DUNNING_LEVEL_R1 || level > DUNNING_LEVEL_MAX)
			continue;
		next = NextLevel(steps, level, DATEVAL_NOEND, as_of, false);
		if (next == DUNNING_LEVEL_NONE)
			continue;
		if (!date_nulls[i])
		{
			last_dunned_on = DatumGetDateADT(date_values[i]);
			if (NextDueOn(steps, level, next, DATEVAL_NOEND, &last_dunned_on) > as_of)
				continue;
		}
		mask |= (int32) 1 << (next + 1);
	}
	PG_RETURN_INT32(mask);
}
