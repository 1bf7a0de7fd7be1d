# Shared by the tests/sim test scripts (sourced, not run).
#
# The scripts run from the build directory (as make check does), where the
# programs are; set SIM_DIR to run them against programs elsewhere.
set -u
SIM_DIR=${SIM_DIR:-./tests/sim}

# Sanitizer reports abort, so that the simulator's SIGABRT handler names
# the seed that was running (a plain sanitizer exit would not).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}abort_on_error=1"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}abort_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS UBSAN_OPTIONS

# The seeds make check runs; the planted-bug tests use the same ones.
SIM_SEEDS_1=1-2500
SIM_SEEDS_2=2501-5000
SIM_SCENARIO_SEEDS=1-200

# sim_pass PROGRAM ARGS...: runs the program, which must pass.
sim_pass() {
	prog=$1
	shift
	"$SIM_DIR/$prog" "$@"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: $prog $* exited with $rc"
		exit 1
	fi
}

# sim_caught PATTERN PROGRAM ARGS...: runs a planted-bug program, which must
# fail with exit status 1 and a FAIL line whose reason matches PATTERN (an
# extended regular expression): the checker caught the bug for what it is.
sim_caught() {
	pattern=$1
	prog=$2
	shift 2
	out=$("$SIM_DIR/$prog" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | tail -n 20
	if [ "$rc" -ne 1 ]; then
		echo "FAIL: $prog $* exited with $rc, expected 1 (bug caught)"
		exit 1
	fi
	line=$(printf '%s\n' "$out" | grep -m 1 '^FAIL seed=')
	if [ -z "$line" ]; then
		echo "FAIL: $prog $*: no FAIL line"
		exit 1
	fi
	if ! printf '%s\n' "$line" | grep -Eq "$pattern"; then
		echo "FAIL: $prog $*: caught, but not as /$pattern/: $line"
		exit 1
	fi
	echo "ok: $prog $*: caught: $line"
}
