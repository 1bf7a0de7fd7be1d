#!/bin/sh
# Scenario membership_remove_leader_partitioned (see tests/sim/scenario.c), over several seeds.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_pass sim --scenario membership_remove_leader_partitioned --seeds "$SIM_SCENARIO_SEEDS"
