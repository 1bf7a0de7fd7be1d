#!/usr/bin/env bats
# raftctl end to end: a real 3-member raftd cluster on 127.0.0.1 (free
# ports, temp dirs), driven through raftctl only. Exit statuses and error
# lines are checked exactly: 0 success, 1 failure, 2 usage.

bats_require_minimum_version 1.5.0

load helpers
load raftctl_helpers

setup() {
	raftctl_setup
	# The tests without a cluster run without raftd too.
	if [ -x "$RAFTD" ]; then
		raftd_setup
	else
		TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/raftctl-bats.XXXXXX")
		USED_PORTS=()
		PIDS=()
	fi
}

# Starts a cluster of $1 members and waits for its leader (skips the test
# without raftd).
cluster() {
	[ -x "$RAFTD" ] || skip "no raftd binary at $RAFTD (set RAFTD)"
	start_cluster "$1"
}

teardown() {
	raftd_teardown
}

# Runs raftctl and checks a usage error: exit 2, nothing on stdout, exactly
# the line $1 on stderr.
usage_error() {
	local expected=$1
	shift
	run --separate-stderr "$RAFTCTL" "$@"
	assert_failure 2
	assert_output ""
	[ "$stderr" = "$expected" ] ||
		fail "stderr: \"$stderr\", expected \"$expected\""
}

# Checks a failure: exit 1, nothing on stdout, exactly one line on stderr,
# equal to $1 (or matching the regexp $1 when $2 is "regexp").
failure_line() {
	assert_failure 1
	assert_output ""
	[ "${#stderr_lines[@]}" -eq 1 ] ||
		fail "expected one line on stderr, got: $stderr"
	if [ "${2:-}" = regexp ]; then
		[[ "$stderr" =~ $1 ]] || fail "stderr: \"$stderr\" !~ $1"
	else
		[ "$stderr" = "$1" ] || fail "stderr: \"$stderr\", expected \"$1\""
	fi
}

# ------------------------------------------------------------------------
# Without a cluster
# ------------------------------------------------------------------------

@test "--help, COMMAND --help and --version exit 0" {
	run "$RAFTCTL" --help
	assert_success
	assert_line --index 0 "Usage: raftctl [--endpoints E1,E2,...] [-o table|json] [--timeout MS] COMMAND [ARGS]"
	assert_line "  get KEY [--consistency linearizable|lease|stale]"
	assert_line "  reset-peers PEERS --force"
	run "$RAFTCTL" put --help
	assert_success
	assert_line --index 0 "Usage: raftctl put KEY VALUE|- [--prev OLD | --if-absent]"
	run "$RAFTCTL" member add --help
	assert_success
	assert_line --index 0 "Usage: raftctl member add ID PEER_URL CLIENT_URL [--learner]"
	run "$RAFTCTL" help status
	assert_success
	assert_line --index 0 "Usage: raftctl status"
	run "$RAFTCTL" --version
	assert_success
	assert_output --regexp '^raftctl [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "bad usage: exit 2 and one exact line" {
	usage_error "raftctl: usage: missing command (see raftctl --help)"
	usage_error "raftctl: frob: unknown command (see raftctl --help)" frob
	usage_error "raftctl: --bogus: unknown option (see raftctl --help)" \
		--bogus status
	usage_error "raftctl: --bogus: unknown option (see raftctl get --help)" \
		get k --bogus
	usage_error "raftctl: get: missing KEY (see raftctl get --help)" get
	usage_error 'raftctl: get: unexpected argument "b" (see raftctl get --help)' \
		get a b
	usage_error "raftctl: put: missing VALUE (see raftctl put --help)" put k
	usage_error "raftctl: --if-absent: takes no value (see raftctl put --help)" \
		put k v --if-absent=yes
	usage_error "raftctl: --timeout: missing value (see raftctl status --help)" \
		status --timeout
	usage_error "raftctl: --timeout: missing value (see raftctl --help)" --timeout
	usage_error "raftctl: -x: unknown option (see raftctl --help)" -x status
	usage_error 'raftctl: --timeout: "abc" is not a number' --timeout abc status
	usage_error 'raftctl: --timeout: "-5" is not a number' --timeout -5 status
	usage_error 'raftctl: --timeout: "10ms" is not a number' status --timeout 10ms
	usage_error "raftctl: --timeout: 0 is out of range (1..3600000)" \
		--timeout 0 status
	usage_error "raftctl: --timeout: 99999999999999999999 is out of range (1..3600000)" \
		--timeout 99999999999999999999 status
	usage_error 'raftctl: -o: "xml" is not one of table, json' -o xml status
	usage_error 'raftctl: --output: "" is not one of table, json' --output= status
	usage_error 'raftctl: --endpoints: endpoint "ftp://x": unsupported scheme "ftp" (want http or https)' \
		--endpoints ftp://x status
	usage_error 'raftctl: --endpoints: endpoint "localhost": missing port (want HOST:PORT)' \
		--endpoints localhost status
	usage_error 'raftctl: --endpoints: endpoint "127.0.0.1:70000": port 70000 is out of range (1..65535)' \
		--endpoints 127.0.0.1:70000 status
	usage_error 'raftctl: --endpoints: empty endpoint in "a:1,,b:2"' \
		--endpoints a:1,,b:2 status
	RAFTCTL_ENDPOINTS=nowhere usage_error \
		'raftctl: RAFTCTL_ENDPOINTS: endpoint "nowhere": missing port (want HOST:PORT)' status
	usage_error "raftctl: put: --prev and --if-absent exclude each other" \
		put k v --prev a --if-absent
	usage_error 'raftctl: --consistency: "strong" is not one of linearizable, lease, stale' \
		get k --consistency strong
	usage_error "raftctl: --limit: 0 is out of range (1..4294967295)" keys --limit 0
	usage_error "raftctl: member: missing subcommand (see raftctl --help)" member
	usage_error 'raftctl: member: unknown subcommand "frob" (see raftctl --help)' \
		member frob
	usage_error 'raftctl: member add: ID: "x" is not a number' member add x a b
	usage_error "raftctl: member remove: ID: 0 is out of range (1..18446744073709551615)" \
		member remove 0
	usage_error "raftctl: reset-peers: refusing without --force (forcing a configuration without a quorum can lose committed writes)" \
		reset-peers 1,2
	usage_error 'raftctl: reset-peers: PEERS: "1,,2" is not a comma-separated list of ids' \
		reset-peers 1,,2 --force
	usage_error "raftctl: reset-peers: PEERS: id 2 is listed twice" \
		reset-peers 2,2 --force
	usage_error 'raftctl: snapshot: --node: "me" is not a number' snapshot --node me
}

@test "bad usage with -o json: the error is JSON on stderr" {
	run --separate-stderr "$RAFTCTL" -o json frob
	assert_failure 2
	assert_output ""
	[ "$(json_q .error.code "d['error']['code']" "$stderr")" = usage ]
	[ "$(json_q .error.what "d['error']['what']" "$stderr")" = frob ]
	[ "$(json_q .error.message "d['error']['message']" "$stderr")" = \
		"unknown command (see raftctl --help)" ]
}

@test "unreachable endpoints: exit 1 and one line" {
	local a b
	dead_port
	a=$DEAD_PORT
	dead_port
	b=$DEAD_PORT
	run --separate-stderr "$RAFTCTL" --endpoints "127.0.0.1:$a" get k
	failure_line "raftctl: get k: http://127.0.0.1:$a: Connection refused"
	run --separate-stderr "$RAFTCTL" --endpoints "127.0.0.1:$a,http://127.0.0.1:$b/" \
		put k v
	failure_line "raftctl: put k: no endpoint answered: http://127.0.0.1:$a: Connection refused; http://127.0.0.1:$b: Connection refused"
	RAFTCTL_ENDPOINTS="127.0.0.1:$a" run --separate-stderr "$RAFTCTL" status
	failure_line "raftctl: status: http://127.0.0.1:$a: Connection refused"
	# The flag wins over the environment.
	RAFTCTL_ENDPOINTS="nowhere" run --separate-stderr "$RAFTCTL" \
		--endpoints "127.0.0.1:$b" delete k
	failure_line "raftctl: delete k: http://127.0.0.1:$b: Connection refused"
	run --separate-stderr "$RAFTCTL" -o json --endpoints "127.0.0.1:$a" keys
	assert_failure 1
	assert_output ""
	[ "$(json_q .error.code "d['error']['code']" "$stderr")" = RAFT_EIO ]
	[ "$(json_q .error.message "d['error']['message']" "$stderr")" = \
		"http://127.0.0.1:$a: Connection refused" ]
}

# ------------------------------------------------------------------------
# With a cluster
# ------------------------------------------------------------------------

@test "status lists every member and marks the leader" {
	cluster 3
	local follower_id term
	follower_id=$(follower)
	# One follower's endpoint is enough: the others come from its
	# member list.
	run --separate-stderr ctl "$follower_id" status
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	assert_line --index 0 --regexp '^ +ID +ENDPOINT +ROLE +TERM +COMMIT +APPLIED +LAST INDEX$'
	[ "${#lines[@]}" -eq 4 ] || fail "expected 3 members: $output"
	assert_line --regexp "^\\* +$LEADER +http://127\\.0\\.0\\.1:${CLIENT_PORT[$LEADER]} +leader +[1-9][0-9]* "
	[ "$(grep -c '^\*' <<<"$output")" -eq 1 ] || fail "one leader: $output"
	[ "$(grep -c ' follower ' <<<"$output")" -eq 2 ] || fail "$output"
	# Every member reports the same term.
	term=$(awk 'NR > 1 { print ($1 == "*") ? $5 : $4 }' <<<"$output" | sort -u)
	[ "$(wc -l <<<"$term")" -eq 1 ] || fail "terms differ: $output"
}

@test "status shows a stopped member as unreachable and still succeeds" {
	cluster 3
	local down
	down=$(follower)
	stop_member "$down"
	run --separate-stderr ctl all status
	assert_success
	assert_line --regexp "^ +$down +http://127\\.0\\.0\\.1:${CLIENT_PORT[$down]} +unreachable +- +- +- +- +Connection refused$"
	assert_line --regexp "^\\* +$LEADER +.* leader "
	# With no member answering, status fails with one line.
	local i
	for i in 1 2 3; do
		[ "$i" = "$down" ] || stop_member "$i"
	done
	run --separate-stderr ctl all status
	failure_line "^raftctl: status: no endpoint answered: http://127\\.0\\.0\\.1:[0-9]+: Connection refused; .*Connection refused$" regexp
}

@test "put, get and delete round trip through any endpoint" {
	cluster 3
	local f l other i
	f=$(follower)
	l=$LEADER
	for i in 1 2 3; do
		[ "$i" = "$f" ] || [ "$i" = "$l" ] || other=$i
	done
	# Written through a follower only, read through each member.
	run --separate-stderr ctl "$f" put greeting "hello, world"
	assert_success
	assert_output --regexp '^OK index=[1-9][0-9]* term=[1-9][0-9]*$'
	for i in "$f" "$l" "$other"; do
		run --separate-stderr ctl "$i" get greeting
		assert_success
		assert_output "hello, world"
	done
	run ctl "$other" get greeting --consistency lease
	assert_output "hello, world"
	run ctl "$l" get greeting --consistency stale
	assert_output "hello, world"

	# Binary-safe: a key with a slash, spaces and a percent sign; a value
	# with newlines and a NUL byte, from stdin, byte for byte.
	printf 'line 1\nline 2\0after nul\n' >"$TEST_DIR/value"
	run ctl "$other" put "dir/a key %41" - <"$TEST_DIR/value"
	assert_success
	ctl "$f" get "dir/a key %41" >"$TEST_DIR/value.out"
	cmp "$TEST_DIR/value" "$TEST_DIR/value.out"
	# Keys "." and ".." are keys like any other.
	run ctl all put .. dots
	assert_success
	run ctl all get ..
	assert_output dots

	run --separate-stderr ctl "$f" delete greeting
	assert_success
	assert_output --regexp '^OK index=[1-9][0-9]* term=[1-9][0-9]*$'
	run --separate-stderr ctl "$l" get greeting
	failure_line "raftctl: get greeting: the key does not exist"
	run --separate-stderr ctl "$other" delete greeting
	failure_line "raftctl: delete greeting: the key does not exist (nothing written)"
}

@test "put --if-absent creates only" {
	cluster 3
	run --separate-stderr ctl all put lock owner-1 --if-absent
	assert_success
	run --separate-stderr ctl "$(follower)" put lock owner-2 --if-absent
	failure_line "raftctl: put lock: the key already exists (nothing written)"
	run ctl all get lock
	assert_output owner-1
}

@test "put --prev compares and sets" {
	cluster 3
	run ctl all put counter 41
	assert_success
	run --separate-stderr ctl all put counter 43 --prev 40
	failure_line "raftctl: put counter: the current value differs from prev (nothing written)"
	run ctl all get counter
	assert_output 41
	run --separate-stderr ctl "$(follower)" put counter 42 --prev 41
	assert_success
	run ctl all get counter
	assert_output 42
	# An empty previous value is a value too.
	run ctl all put empty ""
	assert_success
	run ctl all put empty full --prev ""
	assert_success
	run ctl all get empty
	assert_output full
	run --separate-stderr ctl all put absent x --prev y
	failure_line "raftctl: put absent: the key does not exist (nothing written)"
}

@test "-o json: status, writes, reads, keys and errors parse" {
	cluster 3
	local out
	run --separate-stderr ctl 1 -o json status
	assert_success
	out=$output
	[ "$(json_q '.nodes | length' "len(d['nodes'])" "$out")" = 3 ]
	[ "$(json_q '[.nodes[] | select(.leader)] | length' \
		"len([n for n in d['nodes'] if n['leader']])" "$out")" = 1 ]
	[ "$(json_q '.nodes[] | select(.leader) | .id' \
		"[n['id'] for n in d['nodes'] if n['leader']][0]" "$out")" = "$LEADER" ]
	[ "$(json_q '.nodes[0].members | length' "len(d['nodes'][0]['members'])" "$out")" = 3 ]
	[ "$(json_q '.nodes[0].state' "d['nodes'][0]['state']" "$out")" != null ]

	run --separate-stderr ctl all put k hello -o json
	assert_success
	[ "$(json_q '.index > 0' "d['index'] > 0" "$output")" = true ]
	[ "$(json_q '.term > 0' "d['term'] > 0" "$output")" = true ]
	run --separate-stderr ctl all -o json get k
	assert_success
	[ "$(json_q .value "d['value']" "$output")" = hello ]
	[ "$(json_q .key "d['key']" "$output")" = k ]
	[ "$(json_q '.index > 0' "d['index'] > 0" "$output")" = true ]
	# A value that is not text comes in base64.
	printf '\377\000' | ctl all put bin - >/dev/null
	run --separate-stderr ctl all -o json get bin
	[ "$(json_q .value_base64 "d['value_base64']" "$output")" = "/wA=" ]

	run --separate-stderr ctl all -o json keys
	assert_success
	[ "$(json_q '.keys | join(",")' "','.join(d['keys'])" "$output")" = "bin,k" ]
	[ "$(json_q .more "d['more']" "$output")" = false ]

	run --separate-stderr ctl all -o json get nope
	assert_failure 1
	assert_output ""
	[ "$(json_q .error.code "d['error']['code']" "$stderr")" = RAFT_ENOTFOUND ]
	[ "$(json_q .error.what "d['error']['what']" "$stderr")" = "get nope" ]
	[ "$(json_q .error.message "d['error']['message']" "$stderr")" = \
		"the key does not exist" ]
}

@test "keys lists in order, by prefix, with a limit" {
	cluster 3
	local k
	for k in b a/2 a/1 c a/3; do
		ctl all put "$k" "v$k" >/dev/null
	done
	run --separate-stderr ctl "$(follower)" keys
	assert_success
	assert_output "$(printf 'a/1\na/2\na/3\nb\nc')"
	run --separate-stderr ctl all keys --prefix a/
	assert_output "$(printf 'a/1\na/2\na/3')"
	run --separate-stderr ctl all keys --prefix a/ --limit 2
	assert_success
	assert_output "$(printf 'a/1\na/2')"
	[ "$stderr" = "(more keys match; raise --limit to see them)" ]
	run --separate-stderr ctl all keys --prefix zzz
	assert_success
	assert_output ""
}

@test "a stopped leader: raftctl finds the new one within its timeout" {
	cluster 3
	local old=$LEADER f
	f=$(follower)
	ctl all put k before >/dev/null
	stop_member "$old"
	# Through every endpoint, the dead one first: the client skips it,
	# waits out the election and writes to the new leader.
	run --separate-stderr "$RAFTCTL" --timeout 10000 \
		--endpoints "$(endpoints "$old" "$f")" put k after
	assert_success
	run ctl "$f" get k
	assert_output after
}

@test "a node that does not answer: the timeout ends the command" {
	cluster 1
	kill -STOP "${PIDS[1]}"
	run --separate-stderr ctl 1 --timeout 300 get k
	kill -CONT "${PIDS[1]}"
	failure_line "raftctl: get k: http://127.0.0.1:${CLIENT_PORT[1]}: no answer within 300 ms"
	# A write too, and its outcome is unknown: the line says so.
	kill -STOP "${PIDS[1]}"
	run --separate-stderr ctl 1 --timeout 300 put k v
	kill -CONT "${PIDS[1]}"
	failure_line "raftctl: put k: http://127.0.0.1:${CLIENT_PORT[1]}: no answer within 300 ms (the request may have been applied)"
}

@test "member list shows the configuration" {
	cluster 3
	run --separate-stderr ctl all member list
	assert_success
	assert_line --index 0 --regexp '^ID +ROLE +PEER URL +CLIENT URL'
	[ "${#lines[@]}" -eq 4 ] || fail "$output"
	assert_line --regexp "^2 +voter +.*127\\.0\\.0\\.1:${PEER_PORT[2]} +http://127\\.0\\.0\\.1:${CLIENT_PORT[2]}"
	run --separate-stderr ctl all -o json member list
	assert_success
	[ "$(json_q '.members | length' "len(d['members'])" "$output")" = 3 ]
}

@test "snapshot --node of a non-member fails with one line" {
	cluster 3
	run --separate-stderr ctl all snapshot --node 9
	failure_line "raftctl: snapshot: node 9 is not a member"
}

@test "snapshot: the leader, or the member --node names, snapshots itself and says where" {
	cluster 3
	local f index
	f=$(follower)
	run --separate-stderr ctl all put k v
	assert_success
	# The leader applied the write before answering it.
	run --separate-stderr ctl "$f" snapshot
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	assert_output --regexp '^OK index=[1-9][0-9]*$'
	index=${output#OK index=}
	[ "$(json_q .snapshot_index "d['snapshot_index']" \
		"$(curl -s "$(url "$LEADER")/v1/status")")" = "$index" ]
	# --node: that member itself, once it applied the write too.
	local deadline=$((SECONDS + 5))
	until [ "$(json_q .applied_index "d['applied_index']" \
		"$(curl -s "$(url "$f")/v1/status")")" -ge "$index" ]; do
		[ "$SECONDS" -lt "$deadline" ] || fail "member $f did not apply $index"
		sleep 0.05
	done
	run --separate-stderr ctl "$LEADER" snapshot --node "$f"
	assert_success
	assert_output --regexp '^OK index=[1-9][0-9]*$'
	[ "${output#OK index=}" -ge "$index" ]
	[ "$(json_q .snapshot_index "d['snapshot_index']" \
		"$(curl -s "$(url "$f")/v1/status")")" = "${output#OK index=}" ]
	run --separate-stderr ctl all -o json snapshot --node "$f"
	assert_success
	[ "$(json_q .index "d['index']" "$output")" -ge "$index" ]
}
