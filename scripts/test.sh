#!/bin/sh
# Runs the whole test suite from a fresh clone: installs what is missing,
# builds what is stale, then runs, in order,
#   0. a clang-format check of every C file;
#   1. the warnings-as-errors debug build: unit tests, simulation, scenarios;
#   2. the bats suites against real local clusters of that build;
#   3. the ASan + UBSan build: unit tests and simulation;
#   4. make distcheck (an out-of-tree build from the tarball).
# Each build lives in its own directory under build/. Ends with one line
# "tests: N passed, N failed". Set RAFT_TEST_SKIP="asan distcheck" to skip
# stages while iterating.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)
skip=${RAFT_TEST_SKIP:-}

"$top/scripts/deps.sh"

if [ ! -x configure ] || [ configure.ac -nt configure ] ||
	[ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi >/dev/null
fi

passed=0
failed=0
failed_stages=""

# Formatting: every C file as .clang-format says.
case " $skip " in
*" format "*) echo "== format: skipped" ;;
*)
	echo "== format"
	if git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror; then
		passed=$((passed + 1))
	else
		echo "format: run clang-format -i on the files above"
		failed=$((failed + 1))
		failed_stages="$failed_stages format"
	fi
	;;
esac

# Adds up the PASS/FAIL counts of a build's test-suite.log.
count() {
	log="$1/test-suite.log"
	[ -f "$log" ] || return 0
	p=$(sed -n 's/^# PASS: *//p' "$log" | head -n 1)
	f=$(sed -n 's/^# FAIL: *//p' "$log" | head -n 1)
	e=$(sed -n 's/^# ERROR: *//p' "$log" | head -n 1)
	x=$(sed -n 's/^# XPASS: *//p' "$log" | head -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0} + ${e:-0} + ${x:-0}))
}

# stage NAME CONFIGURE-FLAGS...: configure (once), build and check in
# build/NAME.
stage() {
	name=$1
	shift
	case " $skip " in *" $name "*) echo "== $name: skipped"; return 0 ;; esac
	dir="$top/build/$name"
	mkdir -p "$dir"
	echo "== $name: configure $*"
	if [ ! -f "$dir/Makefile" ] || [ "$top/configure" -nt "$dir/Makefile" ] ||
		[ "$(cat "$dir/.flags" 2>/dev/null)" != "$*" ]; then
		(cd "$dir" && "$top/configure" -q "$@") || {
			failed=$((failed + 1)); failed_stages="$failed_stages $name"
			return 0
		}
		echo "$*" >"$dir/.flags"
	fi
	# The flags asked for must really be in the build (STYLE.md §8).
	case " $* " in *" --enable-werror "*)
		grep -q '^WARN_CFLAGS = .*-Werror' "$dir/Makefile" || {
			echo "$name: -Werror missing from WARN_CFLAGS"
			failed_stages="$failed_stages $name"; return 0; } ;;
	esac
	case " $* " in *" --enable-sanitizers "*)
		grep -q '^SAN_CFLAGS = .*-fsanitize=address,undefined' "$dir/Makefile" || {
			echo "$name: sanitizer flags missing from SAN_CFLAGS"
			failed_stages="$failed_stages $name"; return 0; } ;;
	esac
	start=$(date +%s)
	if (cd "$dir" && make -s -j"$jobs" >/dev/null && make -s -j"$jobs" check); then
		:
	else
		failed_stages="$failed_stages $name"
		[ -f "$dir/test-suite.log" ] && grep -A40 '^FAIL\|^ERROR' "$dir/test-suite.log" | head -n 80
		[ -f "$dir/test-suite.log" ] || failed=$((failed + 1))
	fi
	count "$dir"
	echo "== $name: done in $(($(date +%s) - start)) s"
}

stage debug --enable-werror --enable-debug

# The bats suites: real raftd clusters on 127.0.0.1, driven with curl and
# raftctl, from the debug build. A skipped test counts as a failure here:
# every tool they need is installed above.
case " $skip " in
*" bats "*) echo "== bats: skipped" ;;
*)
	echo "== bats"
	start=$(date +%s)
	dir="$top/build/debug"
	RAFTD="$dir/raftd/raftd" RAFTCTL="$dir/raftctl/raftctl" \
		bats --tap "$top/tests/bats" >"$dir/bats.tap" 2>&1 || true
	ok=$(grep -c '^ok ' "$dir/bats.tap" || true)
	skipped=$(grep -c '^ok .* # skip' "$dir/bats.tap" || true)
	notok=$(grep -c '^not ok ' "$dir/bats.tap" || true)
	if [ "$notok" -gt 0 ] || [ "$skipped" -gt 0 ] || [ "$ok" -eq 0 ]; then
		grep -A30 '^not ok\|# skip' "$dir/bats.tap" | head -n 120
		[ "$ok" -gt 0 ] || tail -n 20 "$dir/bats.tap"
		failed_stages="$failed_stages bats"
	fi
	passed=$((passed + ok - skipped))
	failed=$((failed + notok + skipped))
	echo "== bats: $((ok - skipped)) passed, $notok failed, $skipped skipped in $(($(date +%s) - start)) s"
	;;
esac

stage asan --enable-werror --enable-sanitizers

case " $skip " in
*" distcheck "*) echo "== distcheck: skipped" ;;
*)
	echo "== distcheck"
	start=$(date +%s)
	dir="$top/build/debug"
	if (cd "$dir" && make -s distcheck \
		DISTCHECK_CONFIGURE_FLAGS="--enable-werror" >distcheck.log 2>&1); then
		passed=$((passed + 1))
	else
		tail -n 40 "$dir/distcheck.log"
		failed=$((failed + 1))
		failed_stages="$failed_stages distcheck"
	fi
	echo "== distcheck: done in $(($(date +%s) - start)) s"
	;;
esac

[ -z "$failed_stages" ] || echo "failed stages:$failed_stages"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$failed_stages" ]
