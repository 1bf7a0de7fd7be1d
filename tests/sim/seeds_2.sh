#!/bin/sh
# Random seeds 2501-5000: chaos phase of 300 ticks, then heal and liveness.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_pass sim --seeds "$SIM_SEEDS_2"
