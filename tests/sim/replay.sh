#!/bin/sh
# Determinism: the same command prints a byte-identical transcript twice.
#
# Checked for passing runs, scenarios (one that adds and removes nodes) and a
# failing (planted bug) run.
. "${srcdir:-.}/tests/sim/lib.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sim-replay.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

check() {
	"$SIM_DIR/$@" --trace >"$tmp/a" 2>&1
	rc_a=$?
	"$SIM_DIR/$@" --trace >"$tmp/b" 2>&1
	rc_b=$?
	if [ "$rc_a" -ne "$rc_b" ] || ! cmp -s "$tmp/a" "$tmp/b"; then
		echo "FAIL: $* --trace: two runs differ (exit $rc_a, $rc_b)"
		diff "$tmp/a" "$tmp/b" | head -n 20
		exit 1
	fi
	# A transcript that shows nothing would replay trivially: it must show
	# messages, and an elected leader or the failure that stopped it.
	if ! grep -q ' -> n' "$tmp/a" ||
	    ! grep -Eq ' leader term=| FAIL ' "$tmp/a"; then
		echo "FAIL: $* --trace: no elections or messages in the transcript"
		exit 1
	fi
	echo "ok: $* --trace: $(wc -l <"$tmp/a") identical lines, exit $rc_a"
}

check sim --seed 11
check sim --seed 12 --nodes 5 --ticks 500
check sim --scenario figure8 --seed 3
check sim --scenario snapshot_catch_up_lost --seed 4
check sim --scenario membership_grow_shrink --seed 5
check sim-bug-vote --seed 2
