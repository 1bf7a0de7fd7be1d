#!/bin/sh
# Scenario stale_leader_rejoins (see tests/sim/scenario.c), over several seeds.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_pass sim --scenario stale_leader_rejoins --seeds "$SIM_SCENARIO_SEEDS"
