#!/bin/sh
# Scenario membership_grow_shrink (see tests/sim/scenario.c), over several seeds.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_pass sim --scenario membership_grow_shrink --seeds "$SIM_SCENARIO_SEEDS"
