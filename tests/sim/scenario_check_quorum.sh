#!/bin/sh
# Scenario check_quorum (see tests/sim/scenario.c), over several seeds.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_pass sim --scenario check_quorum --seeds "$SIM_SCENARIO_SEEDS"
