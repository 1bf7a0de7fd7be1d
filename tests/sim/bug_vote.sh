#!/bin/sh
# The planted double-vote bug must be caught.
#
# The core built with RAFT_PLANT_BUG_DOUBLE_VOTE (a node grants a vote in a
# term it already voted in) must be caught on the seeds make check runs.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_caught 'double vote|election safety' sim-bug-vote --seeds "$SIM_SEEDS_1" --fail-fast
sim_caught 'double vote|election safety' sim-bug-vote --seeds "$SIM_SEEDS_2" --fail-fast
