#!/bin/sh
# The planted commit bug must be caught.
#
# The core built with RAFT_PLANT_BUG_COMMIT_OLD_TERM (a leader commits an
# older term's entry by counting replicas) must be caught: on the seeds
# make check runs, and in the Figure 8 scenario, where it is caught twice
# over: by the commit rule, and (with that check off) by what the bug
# causes: a committed entry is lost.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_caught 'commit rule' sim-bug-commit --seeds "$SIM_SEEDS_1" --fail-fast
sim_caught 'commit rule' sim-bug-commit --seeds "$SIM_SEEDS_2" --fail-fast
sim_caught 'commit rule' sim-bug-commit --scenario figure8 --seed 1
sim_caught 'leader completeness|state machine safety|committed entry changed|log matching' \
	sim-bug-commit --scenario figure8 --seed 1 --no-commit-rule
