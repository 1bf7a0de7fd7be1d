#!/bin/sh
# Long runs: 40 seeds with a chaos phase of 3000 ticks.
#
# Many crash and partition cycles and long logs, in 3- and 5-node clusters.
. "${srcdir:-.}/tests/sim/lib.sh"
sim_pass sim --seeds 1-20 --ticks 3000 --nodes 3
sim_pass sim --seeds 1-20 --ticks 3000 --nodes 5
