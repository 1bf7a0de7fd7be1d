# raftd: the reference daemon (a replicated key-value store over HTTP), its
# man pages and its bats suite. Paths are relative to the top directory.
bin_PROGRAMS += raftd/raftd

raftd_raftd_SOURCES = \
	raftd/main.c \
	raftd/options.c raftd/options.h \
	raftd/join.c raftd/join.h \
	raftd/kv.c raftd/kv.h \
	raftd/http.c raftd/http.h raftd/http_internal.h \
	raftd/httpd.c raftd/httpd.h \
	raftd/http_status.c \
	raftd/http_admin.c \
	raftd/http_debug.c
raftd_raftd_CFLAGS = $(io_cflags) $(INIH_CFLAGS) $(CJSON_CFLAGS)
raftd_raftd_LDADD = libraft.la $(LIBEVENT_LIBS) $(LEVELDB_LIBS) $(INIH_LIBS) \
	$(CJSON_LIBS) $(HTTP_PARSER_LIBS)

dist_man_MANS += man/raftd.8 man/raftd.conf.5

# The bats suite spawns real clusters: run it with `make check-bats` (it
# needs bats, bats-support, bats-assert and curl).
EXTRA_DIST += tests/bats/raftd.bats tests/bats/faults.bats \
	tests/bats/membership.bats tests/bats/reads.bats \
	tests/bats/snapshot.bats \
	tests/bats/helpers.bash

check-bats: raftd/raftd
	RAFTD=$(abs_top_builddir)/raftd/raftd bats $(top_srcdir)/tests/bats

.PHONY: check-bats

# Unit tests of the key-value state machine (its snapshots), on real
# LevelDB: kv.c is compiled into the test.
check_PROGRAMS += tests/unit/test_kv
TESTS += tests/unit/test_kv
tests_unit_test_kv_SOURCES = tests/unit/test_kv.c raftd/kv.c raftd/kv.h \
	tests/unit/test.c tests/unit/test.h
tests_unit_test_kv_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_unit_test_kv_CFLAGS = $(AM_CFLAGS) $(PTHREAD_CFLAGS)
tests_unit_test_kv_LDADD = libraftcore.la $(LEVELDB_LIBS) $(PTHREAD_LIBS)

# Unit tests of the HTTP server, on real loopback sockets: httpd.c is
# compiled into the test.
check_PROGRAMS += tests/unit/test_httpd
TESTS += tests/unit/test_httpd
tests_unit_test_httpd_SOURCES = tests/unit/test_httpd.c raftd/httpd.c \
	raftd/httpd.h tests/unit/test.c tests/unit/test.h
tests_unit_test_httpd_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_unit_test_httpd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_test_httpd_LDADD = libraftcore.la $(LIBEVENT_LIBS) \
	$(HTTP_PARSER_LIBS)
