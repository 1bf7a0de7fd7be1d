#!/bin/sh
# Scenario snapshot_catch_up_leader_change (see tests/sim/scenario.c), over several seeds.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_pass sim --scenario snapshot_catch_up_leader_change --seeds "$SIM_SCENARIO_SEEDS"
