#!/bin/sh
# Soak: many random seeds in parallel (not part of make check).
#   tests/sim/soak.sh [FIRST [COUNT [JOBS]]]     (default 1 100000 2)
# Run from the build directory, or set SIM to the simulator program. Extra
# options for every seed (e.g. --ticks 1000 or --nodes 5) go in SIM_ARGS.
set -u
first=${1:-1}
count=${2:-100000}
jobs=${3:-2}
sim=${SIM:-./tests/sim/sim}
case "$first$count$jobs" in
*[!0-9]*) echo "usage: $0 [FIRST [COUNT [JOBS]]]" >&2; exit 2 ;;
esac
if [ "$jobs" -lt 1 ] || [ "$count" -lt 1 ]; then
	echo "usage: $0 [FIRST [COUNT [JOBS]]]" >&2
	exit 2
fi
if [ ! -x "$sim" ]; then
	echo "soak.sh: $sim: not found (run from the build directory or set SIM)" >&2
	exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sim-soak.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

per=$(( (count + jobs - 1) / jobs ))
j=0
pids=""
while [ "$j" -lt "$jobs" ]; do
	lo=$((first + j * per))
	hi=$((lo + per - 1))
	last=$((first + count - 1))
	[ "$hi" -gt "$last" ] && hi=$last
	if [ "$lo" -le "$hi" ]; then
		# shellcheck disable=SC2086
		"$sim" --seeds "$lo-$hi" ${SIM_ARGS:-} >"$tmp/$j.out" 2>&1 &
		pids="$pids $!"
	fi
	j=$((j + 1))
done
status=0
for pid in $pids; do
	wait "$pid" || status=1
done
cat "$tmp"/*.out | grep -E '^(FAIL|  replay)' || true
grep -h '^sim: [0-9]* seeds passed' "$tmp"/*.out
exit "$status"
