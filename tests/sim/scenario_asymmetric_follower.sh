#!/bin/sh
# Scenario asymmetric_follower (see tests/sim/scenario.c), over several seeds.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_pass sim --scenario asymmetric_follower --seeds "$SIM_SCENARIO_SEEDS"
