# raftbench (the load generator), its unit tests, bats suite, man page and
# the bench/ scripts. Paths are relative to the top directory.

bin_PROGRAMS += raftbench/raftbench
raftbench_raftbench_SOURCES = \
	raftbench/main.c raftbench/bench.h \
	raftbench/options.c \
	raftbench/target.c \
	raftbench/load.c \
	raftbench/report.c \
	raftbench/hist.c raftbench/hist.h \
	raftbench/keys.c raftbench/keys.h \
	raftbench/sbuf.c raftbench/sbuf.h
raftbench_raftbench_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS)
raftbench_raftbench_LDADD = libraft.la $(CURL_LIBS) $(CJSON_LIBS) -lm

dist_man_MANS += man/raftbench.1

# C tests of the histogram and the key choosers, on the harness of
# tests/unit (which links lib/util from libraftcore.la).
bench_tests = tests/bench/test_hist tests/bench/test_keys
check_PROGRAMS += $(bench_tests)
TESTS += $(bench_tests)
tests_bench_test_hist_SOURCES = tests/bench/test_hist.c \
	raftbench/hist.c raftbench/hist.h tests/unit/test.c tests/unit/test.h
tests_bench_test_hist_LDADD = libraftcore.la
tests_bench_test_keys_SOURCES = tests/bench/test_keys.c \
	raftbench/keys.c raftbench/keys.h tests/unit/test.c tests/unit/test.h
tests_bench_test_keys_LDADD = libraftcore.la -lm

# The bats suite drives a real local cluster: `make check-bats` runs it
# with the others, `make check-raftbench-bats` alone. Neither is part of
# `make check`.
EXTRA_DIST += tests/bats/raftbench.bats raftbench/README.md
dist_noinst_SCRIPTS += bench/compare.sh
check-bats: raftbench/raftbench
check-raftbench-bats: raftd/raftd raftbench/raftbench
	RAFTD=$(abs_top_builddir)/raftd/raftd \
	RAFTBENCH=$(abs_top_builddir)/raftbench/raftbench \
	bats $(top_srcdir)/tests/bats/raftbench.bats
.PHONY: check-raftbench-bats
