/*
 * dunning.c
 *		Module entry point of the dunning extension.
 *
 * Each concern has its own file: level.c holds the dunning.level type.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
