#!/bin/sh
# Scenario prevote_rejoin (see tests/sim/scenario.c), over several seeds.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_pass sim --scenario prevote_rejoin --seeds "$SIM_SCENARIO_SEEDS"
