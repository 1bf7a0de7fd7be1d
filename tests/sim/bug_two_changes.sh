#!/bin/sh
# The planted two-changes bug must be caught.
#
# sim-bug-two-changes makes the core forget that its last membership change
# is not committed yet (see PLANT_FORGET_CHANGE in tests/sim/cluster.c), so
# that it accepts a second one at once. It must be caught on the seeds make
# check runs (by the answer the core gives, or by the leader's log holding
# two uncommitted changes), and in the grow-shrink scenario, whose second
# add_member comes before the first is committed: there the invariant on
# the leader's log catches it.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_caught 'one change at a time' sim-bug-two-changes --seeds "$SIM_SEEDS_1" --fail-fast
sim_caught 'one change at a time' sim-bug-two-changes --seeds "$SIM_SEEDS_2" --fail-fast
sim_caught 'two configuration changes uncommitted' \
	sim-bug-two-changes --scenario membership_grow_shrink --seed 1
