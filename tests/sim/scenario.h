/* Named scenarios: Raft paper situations driven by hand, outcomes asserted. */
#ifndef RAFT_SIM_SCENARIO_H
#define RAFT_SIM_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct scenario_options {
	uint64_t seed;	     /* varies core seeds, delays and disk latency */
	FILE *trace;	     /* NULL: no transcript */
	bool no_commit_rule; /* see cluster_options */
};

struct scenario_result {
	bool ok;
	uint64_t failed_at; /* step */
	char why[1100];
	char info[256]; /* what a passing run measured, for the log */
};

/* Number of scenarios, and their names and one-line summaries by position. */
unsigned scenario_count(void);
const char *scenario_name(unsigned i);
const char *scenario_summary(unsigned i);

/* Runs the scenario called name. Returns false if there is none. */
bool scenario_run(const char *name, const struct scenario_options *o,
		  struct scenario_result *r);

#endif /* RAFT_SIM_SCENARIO_H */
