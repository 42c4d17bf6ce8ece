/*
 * steps.c
 *		Text and binary I/O of the dunning.steps type.
 *
 * Text form: the enabled steps in order, "name:days", separated by commas,
 * then "infinite" when the scenario repeats its last level:
 *
 *		pre_due:5,R1:5,R2:15,R3:30,thanks:3
 *		R1:5,R2:15,R3:30,infinite
 *
 * An empty string is a scenario with no enabled step.
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"

#include "steps.h"

PG_FUNCTION_INFO_V1(dunning_steps_in);
PG_FUNCTION_INFO_V1(dunning_steps_out);
PG_FUNCTION_INFO_V1(dunning_steps_recv);
PG_FUNCTION_INFO_V1(dunning_steps_send);

static const char *const step_names[STEP_COUNT] = {
	"pre_due", "R1", "R2", "R3", "R4", "R5", "R6", "R7", "thanks"
};

#define STEPS_SYNTAX_HINT \
	"Write the enabled steps as name:days separated by commas, such as pre_due:5,R1:5,R2:15, optionally followed by infinite."

static void
ReportBadSteps(const char *input, const char *detail_fmt, const char *token)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type dunning.steps: \"%s\"", input),
			 errdetail(detail_fmt, token),
			 errhint(STEPS_SYNTAX_HINT)));
}

static int
StepPosition(const char *name, size_t len)
{
	int			i;

	for (i = 0; i < STEP_COUNT; i++)
	{
		if (strlen(step_names[i]) == len && strncmp(step_names[i], name, len) == 0)
			return i;
	}
	return -1;
}

Datum
dunning_steps_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	DunningSteps *steps = palloc(sizeof(DunningSteps));
	char	   *copy = pstrdup(input);
	char	   *token;
	char	   *save = NULL;
	int			i;

	for (i = 0; i < STEP_COUNT; i++)
		steps->days[i] = STEP_DISABLED;
	steps->flags = 0;

	for (token = strtok_r(copy, ",", &save); token != NULL; token = strtok_r(NULL, ",", &save))
	{
		char	   *colon = strchr(token, ':');
		char	   *end;
		long		days;
		int			position;

		if (colon == NULL)
		{
			if (strcmp(token, "infinite") == 0 && !(steps->flags & STEPS_INFINITE))
			{
				steps->flags |= STEPS_INFINITE;
				continue;
			}
			ReportBadSteps(input, "\"%s\" is neither name:days nor a single infinite.", token);
		}
		position = StepPosition(token, colon - token);
		if (position < 0)
			ReportBadSteps(input, "Unknown step in \"%s\": steps are pre_due, R1 to R7 and thanks.", token);
		if (StepEnabled(steps, position))
			ReportBadSteps(input, "Step \"%s\" appears twice.", step_names[position]);
		errno = 0;
		days = strtol(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || errno != 0 || days < 0 || days > STEP_MAX_DAYS)
			ReportBadSteps(input, "Days in \"%s\" must be a whole number from 0 to 365.", token);
		steps->days[position] = (int16) days;
	}
	/* strtok_r skips empty tokens: refuse "R1:5,,R2:15" and a trailing comma. */
	if (strstr(input, ",,") != NULL || input[0] == ',' ||
		(input[0] != '\0' && input[strlen(input) - 1] == ','))
		ReportBadSteps(input, "%s", "An empty item between commas.");

	pfree(copy);
	PG_RETURN_DUNNING_STEPS_P(steps);
}

Datum
dunning_steps_out(PG_FUNCTION_ARGS)
{
	DunningSteps *steps = PG_GETARG_DUNNING_STEPS_P(0);
	StringInfoData out;
	int			i;

	initStringInfo(&out);
	for (i = 0; i < STEP_COUNT; i++)
	{
		if (!StepEnabled(steps, i))
			continue;
		appendStringInfo(&out, "%s%s:%d", out.len > 0 ? "," : "", step_names[i], steps->days[i]);
	}
	if (steps->flags & STEPS_INFINITE)
		appendStringInfo(&out, "%sinfinite", out.len > 0 ? "," : "");
	PG_RETURN_CSTRING(out.data);
}

/* Binary form: nine int16 days (-1 disabled), then the int16 flags. */
Datum
dunning_steps_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	DunningSteps *steps = palloc(sizeof(DunningSteps));
	int			i;

	for (i = 0; i < STEP_COUNT; i++)
	{
		int16		days = (int16) pq_getmsgint(buf, sizeof(int16));

		if (days != STEP_DISABLED && (days < 0 || days > STEP_MAX_DAYS))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid days %d for step %s in binary dunning.steps", days, step_names[i])));
		steps->days[i] = days;
	}
	steps->flags = (int16) pq_getmsgint(buf, sizeof(int16));
	if (steps->flags & ~STEPS_INFINITE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid flags %d in binary dunning.steps", steps->flags)));
	PG_RETURN_DUNNING_STEPS_P(steps);
}

Datum
dunning_steps_send(PG_FUNCTION_ARGS)
{
	DunningSteps *steps = PG_GETARG_DUNNING_STEPS_P(0);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	for (i = 0; i < STEP_COUNT; i++)
		pq_sendint16(&buf, steps->days[i]);
	pq_sendint16(&buf, steps->flags);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
