# Unit tests of the consensus core: one program per module, each linked
# with the core alone. Paths are relative to the top directory.
unit_tests = \
	tests/unit/test_log \
	tests/unit/test_progress \
	tests/unit/test_configuration \
	tests/unit/test_election \
	tests/unit/test_replication \
	tests/unit/test_read \
	tests/unit/test_core \
	tests/unit/test_snapshot \
	tests/unit/test_membership

check_PROGRAMS += $(unit_tests)
TESTS += $(unit_tests)

unit_harness = tests/unit/test.c tests/unit/test.h
unit_cluster = $(unit_harness) tests/unit/cluster.c tests/unit/cluster.h

tests_unit_test_log_SOURCES = tests/unit/test_log.c $(unit_harness)
tests_unit_test_log_LDADD = libraftcore.la

tests_unit_test_progress_SOURCES = tests/unit/test_progress.c $(unit_harness)
tests_unit_test_progress_LDADD = libraftcore.la

tests_unit_test_configuration_SOURCES = \
	tests/unit/test_configuration.c $(unit_harness)
tests_unit_test_configuration_LDADD = libraftcore.la

tests_unit_test_election_SOURCES = tests/unit/test_election.c $(unit_cluster)
tests_unit_test_election_LDADD = libraftcore.la

tests_unit_test_replication_SOURCES = \
	tests/unit/test_replication.c $(unit_cluster)
tests_unit_test_replication_LDADD = libraftcore.la

tests_unit_test_read_SOURCES = tests/unit/test_read.c $(unit_cluster)
tests_unit_test_read_LDADD = libraftcore.la

tests_unit_test_core_SOURCES = tests/unit/test_core.c $(unit_cluster)
tests_unit_test_core_LDADD = libraftcore.la

tests_unit_test_snapshot_SOURCES = tests/unit/test_snapshot.c $(unit_cluster)
tests_unit_test_snapshot_LDADD = libraftcore.la

tests_unit_test_membership_SOURCES = \
	tests/unit/test_membership.c $(unit_cluster)
tests_unit_test_membership_LDADD = libraftcore.la
