#!/bin/sh
# Scenario leader_transfer (see tests/sim/scenario.c), over several seeds.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_pass sim --scenario leader_transfer --seeds "$SIM_SCENARIO_SEEDS"
