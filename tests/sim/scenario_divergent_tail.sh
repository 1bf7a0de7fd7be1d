#!/bin/sh
# Scenario divergent_tail (see tests/sim/scenario.c), over several seeds.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_pass sim --scenario divergent_tail --seeds "$SIM_SCENARIO_SEEDS"
