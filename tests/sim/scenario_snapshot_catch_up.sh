#!/bin/sh
# Scenario snapshot_catch_up (see tests/sim/scenario.c), over several seeds.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_pass sim --scenario snapshot_catch_up --seeds "$SIM_SCENARIO_SEEDS"
