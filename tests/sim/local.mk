# tests/sim: the deterministic cluster simulator and its tests.
#
# Real cores (lib/core) on a simulated network and disk, every fault chosen
# by one seeded PRNG, Raft's invariants checked after every step. Paths are
# relative to the top directory; the programs run from the build directory,
# the scripts are found through $(srcdir) (so `make distcheck` works out of
# tree).
#
# make check runs:
#   seeds_*.sh      5000 random seeds of 300 chaos ticks (3 and 5 nodes, the
#                   seed chooses) plus 40 long seeds of 3000 ticks; nodes
#                   take snapshots and compact their logs as they go, and
#                   leaders stream snapshots to followers left behind; most
#                   seeds add, promote and remove members (up to 7 nodes)
#                   and transfer leadership;
#   scenario_*.sh   each named scenario over 200 seeds;
#   replay.sh       the same seed gives a byte-identical --trace twice;
#   bug_*.sh        sim-bug-commit and sim-bug-vote (the core built with a
#                   planted bug) and sim-bug-two-changes (the simulator
#                   makes the core accept a second membership change while
#                   one is uncommitted) must FAIL on those same seeds.
#
# Soak (not part of make check), e.g. 100000 seeds on 4 cores:
#   tests/sim/soak.sh 1 100000 4
# or one process: tests/sim/sim --seed 1 --count 100000
# A failure prints its seed and the command that replays it with --trace.

sim_sources = \
	tests/sim/main.c \
	tests/sim/rng.c tests/sim/rng.h \
	tests/sim/entry.c tests/sim/entry.h \
	tests/sim/net.c tests/sim/net.h \
	tests/sim/node.c \
	tests/sim/cluster.c tests/sim/cluster.h \
	tests/sim/check.c tests/sim/check.h \
	tests/sim/chaos.c tests/sim/chaos.h \
	tests/sim/scenario.c tests/sim/scenario.h

check_PROGRAMS += \
	tests/sim/sim \
	tests/sim/sim-bug-commit \
	tests/sim/sim-bug-vote \
	tests/sim/sim-bug-two-changes

tests_sim_sim_SOURCES = $(sim_sources)
tests_sim_sim_LDADD = libraftcore.la

# The same simulator on a core built with one planted bug each (see
# lib/core): they prove the checker can fail.
tests_sim_sim_bug_commit_SOURCES = $(sim_sources) $(core_sources) $(util_sources)
tests_sim_sim_bug_commit_CPPFLAGS = $(AM_CPPFLAGS) -DRAFT_PLANT_BUG_COMMIT_OLD_TERM

tests_sim_sim_bug_vote_SOURCES = $(sim_sources) $(core_sources) $(util_sources)
tests_sim_sim_bug_vote_CPPFLAGS = $(AM_CPPFLAGS) -DRAFT_PLANT_BUG_DOUBLE_VOTE

# One change at a time, broken from the simulator's side (lib/core has no
# switch for it): see PLANT_FORGET_CHANGE in cluster.c.
tests_sim_sim_bug_two_changes_SOURCES = $(sim_sources)
tests_sim_sim_bug_two_changes_CPPFLAGS = $(AM_CPPFLAGS) -DSIM_PLANT_BUG_TWO_CHANGES
tests_sim_sim_bug_two_changes_LDADD = libraftcore.la

sim_tests = \
	tests/sim/seeds_1.sh \
	tests/sim/seeds_2.sh \
	tests/sim/seeds_long.sh \
	tests/sim/scenario_figure8.sh \
	tests/sim/scenario_stale_leader_rejoins.sh \
	tests/sim/scenario_divergent_tail.sh \
	tests/sim/scenario_prevote_rejoin.sh \
	tests/sim/scenario_asymmetric_follower.sh \
	tests/sim/scenario_bridge.sh \
	tests/sim/scenario_check_quorum.sh \
	tests/sim/scenario_leader_transfer.sh \
	tests/sim/scenario_read_index_leader_change.sh \
	tests/sim/scenario_snapshot_catch_up.sh \
	tests/sim/scenario_snapshot_catch_up_lost.sh \
	tests/sim/scenario_snapshot_catch_up_leader_change.sh \
	tests/sim/scenario_membership_grow_shrink.sh \
	tests/sim/scenario_membership_remove_leader_partitioned.sh \
	tests/sim/replay.sh \
	tests/sim/bug_commit.sh \
	tests/sim/bug_vote.sh \
	tests/sim/bug_two_changes.sh

TESTS += $(sim_tests)
dist_noinst_SCRIPTS += $(sim_tests) tests/sim/soak.sh
EXTRA_DIST += tests/sim/lib.sh
