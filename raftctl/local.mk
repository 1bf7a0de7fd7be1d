# lib/client (the cluster client, part of libraft), raftctl (the admin CLI),
# their tests and man page. Paths are relative to the top directory.

raftinclude_HEADERS += include/raft/client.h

# lib/client: libcurl + cJSON. A convenience library that libraft embeds
# and the client tests link directly (for the internal functions).
noinst_LTLIBRARIES += libraftclient.la
libraftclient_la_SOURCES = \
	lib/client/buf.c lib/client/buf.h \
	lib/client/url.c lib/client/url.h \
	lib/client/decode.c lib/client/decode.h \
	lib/client/http.c lib/client/http.h \
	lib/client/client.c lib/client/client.h
libraftclient_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS)
libraftclient_la_LIBADD = $(CURL_LIBS) $(CJSON_LIBS)
libraft_la_LIBADD += libraftclient.la

# raftctl: uses libraft's public API only.
bin_PROGRAMS += raftctl/raftctl
raftctl_raftctl_SOURCES = \
	raftctl/main.c raftctl/raftctl.h \
	raftctl/args.c raftctl/args.h \
	raftctl/output.c raftctl/output.h \
	raftctl/cmd_status.c \
	raftctl/cmd_kv.c \
	raftctl/cmd_admin.c
raftctl_raftctl_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
raftctl_raftctl_LDADD = libraft.la $(CJSON_LIBS)

dist_man_MANS += man/raftctl.1

# C tests of lib/client: its pure parts (endpoints, percent-encoding, JSON
# answers, error mapping), then the HTTP side against scripted servers on
# 127.0.0.1 (no raftd needed). They link the convenience libraries for the
# internal functions (lib/util comes with libraftcore.la).
client_harness = tests/client/harness.c tests/client/harness.h
client_tests = tests/client/test_client tests/client/test_http
check_PROGRAMS += $(client_tests)
TESTS += $(client_tests)
tests_client_test_client_SOURCES = tests/client/test_client.c $(client_harness)
tests_client_test_client_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS)
tests_client_test_client_LDADD = libraftclient.la libraftcore.la
tests_client_test_http_SOURCES = tests/client/test_http.c \
	tests/client/fake.c tests/client/fake.h $(client_harness)
tests_client_test_http_CFLAGS = \
	$(AM_CFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS) $(PTHREAD_CFLAGS)
tests_client_test_http_LDADD = libraftclient.la libraftcore.la $(PTHREAD_LIBS)

# The bats suite drives a real local cluster: raftd's `make check-bats`
# runs it with the others (raftctl must be built for it), and
# `make check-raftctl-bats` runs it alone. Neither is part of `make check`.
EXTRA_DIST += tests/bats/raftctl.bats tests/bats/raftctl_helpers.bash
check-bats: raftctl/raftctl
check-raftctl-bats: raftd/raftd raftctl/raftctl
	RAFTD=$(abs_top_builddir)/raftd/raftd \
	RAFTCTL=$(abs_top_builddir)/raftctl/raftctl \
	bats $(top_srcdir)/tests/bats/raftctl.bats
.PHONY: check-raftctl-bats
