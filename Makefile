# dunning: PGXS build.  CI adds -Werror through PG_CFLAGS (see .ci/run).

EXTENSION  = dunning
EXTVERSION = $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" dunning.control)

MODULE_big = dunning
OBJS = \
	src/criteria.o \
	src/dunning.o \
	src/level.o \
	src/message.o \
	src/render.o \
	src/schedule.o \
	src/state.o \
	src/statement.o \
	src/steps.o

# The SQL sources, concatenated into the versioned install script.
SQL_SOURCES = src/dunning.sql src/planner.sql src/outbox.sql src/nightly.sql src/reporting.sql
DATA_built = dunning--$(EXTVERSION).sql
EXTRA_CLEAN = dunning--$(EXTVERSION).sql

# pg_regress: sql/NAME.sql against expected/NAME.out, in a fresh database
# where the extension is already created.
REGRESS = level schedule security outbox render message
REGRESS_OPTS = --load-extension=dunning

# Isolation specs live in test/isolation/{specs,expected}.
ISOLATION = step_enabled_race plan_concurrency plan_send mark_done_plan \
	claim_disjoint lease_expiry claim_nightly
ISOLATION_OPTS = --inputdir=test/isolation --load-extension=dunning

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)

# Appended even when CI sets PG_CFLAGS=-Werror on the command line.
override PG_CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers

include $(PGXS)

dunning--$(EXTVERSION).sql: $(SQL_SOURCES) dunning.control
	cat $(SQL_SOURCES) > $@

# The reference sender (sender/): built and cleaned with the extension.
all: sender-build
clean: sender-clean
sender-build:
	$(MAKE) -C sender PG_CONFIG=$(PG_CONFIG)
sender-clean:
	$(MAKE) -C sender clean
.PHONY: sender-build sender-clean
