#!/bin/sh
# Scenario figure8 (see tests/sim/scenario.c), over several seeds.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_pass sim --scenario figure8 --seeds "$SIM_SCENARIO_SEEDS"
