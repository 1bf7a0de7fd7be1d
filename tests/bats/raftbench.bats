#!/usr/bin/env bats
# raftbench end to end: one real 3-member raftd cluster on 127.0.0.1 (free
# ports, a temp dir) for the whole file, started in setup_file and stopped
# by PID in teardown_file. Every run is short and bounded (-d or -n).
# Exit statuses and error lines are checked exactly: 0 done, 1 failure,
# 2 usage.
#
# RAFTBENCH names the binary: by default the raftbench next to $RAFTD's
# build, else the one of the source tree.

bats_require_minimum_version 1.5.0

load helpers

if [ -z "${RAFTBENCH:-}" ]; then
	if [ -n "${RAFTD:-}" ] &&
		[ -x "$(dirname "$RAFTD")/../raftbench/raftbench" ]; then
		RAFTBENCH=$(dirname "$RAFTD")/../raftbench/raftbench
	else
		RAFTBENCH=$BATS_TEST_DIRNAME/../../raftbench/raftbench
	fi
fi

setup_file() {
	[ -x "$RAFTBENCH" ] || skip "no raftbench binary at $RAFTBENCH"
	raftd_setup
	start_cluster 3 >/dev/null
	local i list=""
	for i in 1 2 3; do
		list+="${list:+,}127.0.0.1:${CLIENT_PORT[$i]}"
	done
	export RB_ENDPOINTS=$list
	export RB_LEADER_URL
	RB_LEADER_URL=$(url "$LEADER")
	# The tests have their own TEST_DIR (see setup): this one is the
	# cluster's, removed by teardown_file.
	export RB_CLUSTER_DIR=$TEST_DIR
}

teardown_file() {
	# PIDS and TEST_DIR are those of setup_file: this runs in its shell.
	raftd_teardown
}

setup() {
	[ -x "$RAFTBENCH" ] || skip "no raftbench binary at $RAFTBENCH"
	TEST_DIR=""
	USED_PORTS=()
	PIDS=()
}

teardown() {
	# Only what this test started (the no-leader test's member).
	if [ -n "${TEST_DIR:-}" ]; then
		raftd_teardown
	fi
}

# raftbench against the file's cluster.
rb() {
	"$RAFTBENCH" --endpoints "$RB_ENDPOINTS" "$@"
}

# Prints field $1 (a jq path) of the JSON text $2, as jq -r does (python3
# when jq is missing).
jget() {
	if command -v jq >/dev/null; then
		jq -r "$1" <<<"$2"
	else
		python3 -c '
import json, sys
v = json.loads(sys.argv[2])
for part in sys.argv[1].lstrip(".").split("."):
    v = v.get(part) if isinstance(v, dict) else None
print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)
' "$1" "$2"
	fi
}

# Checks that the JSON object $1 has every field named after it (null or
# not).
jhas() {
	if command -v jq >/dev/null; then
		local j=$1
		shift
		jq -e --args '. as $d | all($ARGS.positional[]; . as $f | $d | has($f))' \
			"$@" <<<"$j" >/dev/null || fail "missing fields in $j"
		return
	fi
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
missing = [f for f in sys.argv[2:] if f not in d]
if missing:
    sys.exit("missing fields: " + " ".join(missing))
' "$@" || fail "in $1"
}

# Checks a usage error: exit 2, nothing on stdout, exactly the line $1 on
# stderr.
usage_error() {
	local expected=$1
	shift
	run --separate-stderr "$RAFTBENCH" "$@"
	assert_failure 2
	assert_output ""
	[ "$stderr" = "$expected" ] ||
		fail "stderr: \"$stderr\", expected \"$expected\""
}

# Checks a failure: exit 1, nothing on stdout, one line on stderr that
# starts with $1.
failure_line() {
	assert_failure 1
	assert_output ""
	[ "${#stderr_lines[@]}" -eq 1 ] ||
		fail "expected one line on stderr, got: $stderr"
	[[ "$stderr" == "$1"* ]] ||
		fail "stderr: \"$stderr\", expected it to start with \"$1\""
}

# A number comparison for the JSON figures (which may be decimals).
num() {
	awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN {
		if (op == ">") exit !(a + 0 > b + 0)
		if (op == ">=") exit !(a + 0 >= b + 0)
		if (op == "<=") exit !(a + 0 <= b + 0)
		if (op == "<") exit !(a + 0 < b + 0)
		exit 1
	}' || fail "expected $1 $2 $3"
}

@test "a 2 s put run answers, without errors, in the documented JSON" {
	run --separate-stderr rb -d 2 -c 8 -q -o json
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	local j=$output
	jhas "$j" version target routing endpoints leader connections rate \
		warmup_s keys distribution zipf_theta value_size consistency \
		mix seed duration_s requests ok not_found conflicts throughput \
		errors latency_us ops redirects leader_changes unsent preloaded \
		preload_errors client_cpu interrupted
	[ "$(jget .target "$j")" = raftd ]
	[ "$(jget .routing "$j")" = leader ]
	[ "$(jget .leader "$j")" = "$RB_LEADER_URL" ]
	[ "$(jget .connections "$j")" = 8 ]
	[ "$(jget .mix.put "$j")" = 1 ]
	[ "$(jget .errors.total "$j")" = 0 ]
	num "$(jget .requests "$j")" ">" 0
	[ "$(jget .ok "$j")" = "$(jget .requests "$j")" ]
	[ "$(jget .ops.put.requests "$j")" = "$(jget .requests "$j")" ]
	num "$(jget .throughput "$j")" ">" 0
	num "$(jget .duration_s "$j")" ">=" 1.9
	num "$(jget .duration_s "$j")" "<" 3
	local p
	for p in min p50 p90 p99 p99_9 max; do
		num "$(jget .latency_us.$p "$j")" ">" 0
	done
	num "$(jget .latency_us.p50 "$j")" "<=" "$(jget .latency_us.p99 "$j")"
	num "$(jget .latency_us.p99 "$j")" "<=" "$(jget .latency_us.max "$j")"
}

@test "gets with each consistency find the preloaded keys" {
	local c
	for c in linearizable lease stale; do
		run --separate-stderr rb --op get --consistency "$c" \
			--keys 200 --preload -d 1 -c 4 -q -o json
		assert_success
		[ "$(jget .consistency "$output")" = "$c" ]
		[ "$(jget .preloaded "$output")" = 200 ]
		[ "$(jget .errors.total "$output")" = 0 ]
		[ "$(jget .not_found "$output")" = 0 ]
		num "$(jget .ok "$output")" ">" 0
	done
	# Stale reads spread over the members; the others go to the leader.
	[ "$(jget .routing "$output")" = spread ]
}

@test "a mix runs every operation of its weights" {
	run --separate-stderr rb --mix put=40,get=30,cas=20,delete=10 \
		--keys 50 --preload -d 1 -c 4 -q -o json
	assert_success
	local j=$output op sum=0
	[ "$(jget .errors.total "$j")" = 0 ]
	for op in put get cas delete; do
		num "$(jget .ops.$op.requests "$j")" ">" 0
		sum=$((sum + $(jget .ops.$op.requests "$j")))
	done
	[ "$sum" = "$(jget .requests "$j")" ]
	# Every answer is an outcome: ok, not found or a cas conflict.
	[ $(($(jget .ok "$j") + $(jget .not_found "$j") + \
		$(jget .conflicts "$j"))) = "$(jget .requests "$j")" ]
	num "$(jget .ops.cas.ok "$j")" ">" 0
}

@test "--requests N stops after exactly N requests" {
	run --separate-stderr rb -n 333 -c 7 -q -o json
	assert_success
	[ "$(jget .requests "$output")" = 333 ]
	[ "$(jget .ok "$output")" = 333 ]
	run --separate-stderr rb -n 5 -c 16 --op get -q -o json
	assert_success
	[ "$(jget .requests "$output")" = 5 ]
}

@test "--rate gives about the asked rate" {
	run --separate-stderr rb --rate 200 -d 2 -c 8 -q -o json
	assert_success
	local j=$output
	[ "$(jget .rate "$j")" = 200 ]
	[ "$(jget .unsent "$j")" = 0 ]
	[ "$(jget .errors.total "$j")" = 0 ]
	num "$(jget .throughput "$j")" ">=" 180
	num "$(jget .throughput "$j")" "<=" 220
	num "$(jget .requests "$j")" ">=" 390
	num "$(jget .requests "$j")" "<=" 410
}

@test "--spread follows the followers' redirects to the leader" {
	run --separate-stderr rb --spread -n 300 -c 6 -q -o json
	assert_success
	[ "$(jget .routing "$output")" = spread ]
	[ "$(jget .errors.total "$output")" = 0 ]
	[ "$(jget .requests "$output")" = 300 ]
	num "$(jget .redirects "$output")" ">" 0
}

@test "the warmup is left out of the figures" {
	run --separate-stderr rb --warmup 1 -d 1 -c 4 -q -o json
	assert_success
	num "$(jget .duration_s "$output")" ">=" 0.9
	num "$(jget .duration_s "$output")" "<" 1.6
	[ "$(jget .warmup_s "$output")" = 1 ]
}

@test "the table shows the counts and the percentiles; progress goes to stderr" {
	run --separate-stderr rb -d 2 -c 4
	assert_success
	assert_line --index 0 --regexp "^raftbench [0-9.]+: put on raftd, 4 connections to the leader $RB_LEADER_URL$"
	assert_line --regexp '^requests +[0-9]+, [0-9.]+ ops/s$'
	assert_line 'errors      0'
	assert_line --regexp '^latency \(ms\) +count +p50 +p90 +p99 +p99\.9 +max +mean$'
	assert_line --regexp '^put +[0-9]+( +[0-9]+\.[0-9]{3}){6}$'
	[ "${#stderr_lines[@]}" -ge 1 ] || fail "no progress line"
	[[ "${stderr_lines[0]}" =~ ^\ *1s\ +run\ +[0-9]+\ ops/s\ +errors\ 0\ \(total\ 0\)\ +p99\ [0-9.]+\ ms$ ]] ||
		fail "progress line: ${stderr_lines[0]}"
	run --separate-stderr rb -d 1.2 -c 4 -q
	assert_success
	[ -z "$stderr" ] || fail "--quiet printed: $stderr"
}

@test "bad flags exit 2 with one exact line" {
	usage_error 'raftbench: --bogus: unknown option (see raftbench --help)' --bogus
	usage_error 'raftbench: -c: 0 is out of range (1..10000)' -c 0
	usage_error 'raftbench: --connections: "x" is not a number' --connections x
	usage_error 'raftbench: --duration: "-1" is not a number' --duration -1
	usage_error 'raftbench: -d: 0 is out of range (above 0, at most 86400)' -d 0
	usage_error 'raftbench: --rate: missing value (see raftbench --help)' --rate
	usage_error 'raftbench: --op: "scan" is not one of put, get, cas, delete' --op scan
	usage_error 'raftbench: --mix: "get" is not OP=WEIGHT (e.g. put=50,get=50)' --mix put=50,get
	usage_error 'raftbench: --mix: "put" is not OP=WEIGHT (e.g. put=50,get=50)' --mix put
	usage_error 'raftbench: --mix: weight of get: "x" is not a number' --mix put=1,get=x
	usage_error 'raftbench: --mix: every weight is 0' --mix put=0,get=0
	usage_error 'raftbench: --mix: cannot be used with --op' --op get --mix get=1
	usage_error 'raftbench: --consistency: "strong" is not one of linearizable, lease, stale' --consistency strong
	usage_error 'raftbench: --consistency: lease is not available with --target etcd (use linearizable or stale)' --target etcd --consistency lease
	usage_error 'raftbench: --distribution: "pareto" is not one of uniform, zipfian, zipfian:THETA' --distribution pareto
	usage_error 'raftbench: --distribution: zipfian exponent: 0 is out of range (above 0, at most 100)' --distribution zipfian:0
	usage_error 'raftbench: --spread: cannot be used with --target-leader' --spread --target-leader
	usage_error 'raftbench: --target: "zk" is not one of raftd, etcd' --target zk
	usage_error 'raftbench: -o: "xml" is not one of table, json' -o xml
	usage_error 'raftbench: --quiet: takes no value' --quiet=yes
	usage_error 'raftbench: frob: unexpected argument (see raftbench --help)' frob
	usage_error 'raftbench: --endpoints: endpoint "ftp://x": unsupported scheme "ftp" (want http or https)' --endpoints ftp://x
	usage_error 'raftbench: --endpoints: empty endpoint in "127.0.0.1:1,"' --endpoints 127.0.0.1:1,
	RAFTBENCH_ENDPOINTS=nope usage_error 'raftbench: RAFTBENCH_ENDPOINTS: endpoint "nope": missing port (want HOST:PORT)' -n 1
	# With -o json the line is a JSON object.
	run --separate-stderr "$RAFTBENCH" -o json -c 0
	assert_failure 2
	[ "$(jget .error.code "$stderr")" = usage ]
	[ "$(jget .error.what "$stderr")" = -c ]
	[ "$(jget .error.message "$stderr")" = "0 is out of range (1..10000)" ]
	run "$RAFTBENCH" --help
	assert_success
	assert_line --index 0 'Usage: raftbench [OPTION]...'
	run "$RAFTBENCH" --version
	assert_success
	assert_output --regexp '^raftbench [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "unreachable endpoints exit 1 with one line" {
	free_port
	local a=$FREE_PORT
	free_port
	local b=$FREE_PORT
	run --separate-stderr "$RAFTBENCH" --endpoints "127.0.0.1:$a,127.0.0.1:$b" -d 1
	failure_line "raftbench: endpoints: no endpoint answered: http://127.0.0.1:$a: Connection refused; http://127.0.0.1:$b: Connection refused"
	run --separate-stderr "$RAFTBENCH" --endpoints "127.0.0.1:$a" --target etcd -d 1
	failure_line "raftbench: endpoints: no endpoint answered: http://127.0.0.1:$a: "
	run --separate-stderr "$RAFTBENCH" -o json --endpoints "127.0.0.1:$a" -d 1
	assert_failure 1
	[ "$(jget .error.code "$stderr")" = RAFT_EIO ]
}

@test "requests that all fail exit 1 with one line" {
	# Larger than raftd's default value limit (1 MiB): every put is refused.
	run --separate-stderr rb --value-size 2000000 -n 20 -c 2 -q
	failure_line "raftbench: run: all 20 requests failed (http_413_"
}

@test "no leader within --timeout exits 1 with one line" {
	# One member of a planned three cannot win an election.
	raftd_setup
	plan_cluster 3
	start_member 1
	local i
	for i in $(seq 50); do
		curl -s --max-time 1 "$(url 1)/v1/status" >/dev/null && break
		sleep 0.1
	done
	run --separate-stderr "$RAFTBENCH" --endpoints "127.0.0.1:${CLIENT_PORT[1]}" --timeout 800 -d 1
	failure_line "raftbench: leader: no leader known after 800 ms (asked "
}
