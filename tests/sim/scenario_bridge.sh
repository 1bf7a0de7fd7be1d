#!/bin/sh
# Scenario bridge (see tests/sim/scenario.c), over several seeds.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_pass sim --scenario bridge --seeds "$SIM_SCENARIO_SEEDS"
