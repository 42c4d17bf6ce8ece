/*
 * steps.h
 *		The dunning.steps type: a scenario's enabled steps, packed.
 *
 * The planner calls its per-entry functions once per ledger row; packing the
 * nine steps of a scenario into one fixed-size value lets those functions
 * read no table.  Only what the schedule needs is kept: each step's days
 * (-1 when the step is disabled) and whether the scenario is infinite.
 * Media, templates and auto_send stay in dunning.step, joined once per
 * proposal.
 */
#ifndef DUNNING_STEPS_H
#define DUNNING_STEPS_H

#include "postgres.h"

#include "fmgr.h"

/* Positions of the steps, in the order of dunning.step_name. */
#define STEP_PRE_DUE	0			/* P */
#define STEP_R1			1			/* R1..R7 are positions 1..7 */
#define STEP_R7			7
#define STEP_THANKS		8
#define STEP_COUNT		9

#define STEP_DISABLED	(-1)
#define STEP_MAX_DAYS	365

#define STEPS_INFINITE	0x01

typedef struct DunningSteps
{
	int16		days[STEP_COUNT];	/* STEP_DISABLED or 0..STEP_MAX_DAYS */
	int16		flags;				/* STEPS_INFINITE */
} DunningSteps;

#define DatumGetDunningStepsP(d)	((DunningSteps *) DatumGetPointer(d))
#define PG_GETARG_DUNNING_STEPS_P(n) DatumGetDunningStepsP(PG_GETARG_DATUM(n))
#define PG_RETURN_DUNNING_STEPS_P(p) PG_RETURN_POINTER(p)

static inline bool
StepEnabled(const DunningSteps *steps, int position)
{
	return steps->days[position] != STEP_DISABLED;
}

#endif							/* DUNNING_STEPS_H */
