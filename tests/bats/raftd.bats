#!/usr/bin/env bats
# raftd end to end: real processes on 127.0.0.1, free ports, temp dirs.

load helpers

setup() {
	raftd_setup
}

teardown() {
	raftd_teardown
}

# Three members with 10 ms ticks and a 3 s election timeout, then the
# followers stopped (SIGSTOP): the leader stays leader, and its writes
# wait for a quorum that does not answer.
leader_without_quorum() {
	plan_cluster 3
	local i f
	for i in 1 2 3; do
		TICK_MS=10 start_member "$i" --election-ticks 300
	done
	wait_for_leader 15
	for f in 1 2 3; do
		[ "$f" = "$LEADER" ] || kill -STOP "${PIDS[$f]}"
	done
}

# ------------------------------------------------------------------------
# Bad input: one line on stderr, exit 2 (usage) or 1 (failure), and
# nothing written.
# ------------------------------------------------------------------------

@test "--help and --version print and exit 0" {
	run "$RAFTD" --help
	assert_success
	assert_line --partial "Usage: raftd [OPTION]..."
	assert_line --partial "--initial-cluster LIST"
	assert_line --partial "--snapshot-keep N"
	run "$RAFTD" --version
	assert_success
	assert_output --regexp '^raftd [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "bad flags: one line each, exit 2" {
	local d="--data-dir $TEST_DIR/d --listen-peer 127.0.0.1:1 --listen-client 127.0.0.1:2"
	check() {
		local expected=$1
		shift
		run "$RAFTD" "$@"
		assert_failure 2
		assert_output "$expected"
	}
	check 'raftd: --tick-ms: "abc" is not a number' $d --tick-ms abc
	check 'raftd: --tick-ms: 0 is out of range (1..60000)' $d --tick-ms 0
	check 'raftd: --tick-ms: "12ms" is not a number' $d --tick-ms 12ms
	check 'raftd: --tick-ms: " 5" is not a number' $d --tick-ms " 5"
	check 'raftd: --election-ticks: 1 is out of range (2..1000)' $d --election-ticks 1
	check 'raftd: --id: "-1" is not a number' $d --id -1
	check 'raftd: --id: 0 is out of range (1..18446744073709551615)' $d --id 0
	check 'raftd: --id: 18446744073709551616 is out of range (1..18446744073709551615)' \
		$d --id 18446744073709551616
	check 'raftd: --max-value-bytes: 33554433 is out of range (1..33554432)' \
		$d --max-value-bytes 33554433
	check 'raftd: --request-timeout-ms: "" is not a number' $d --request-timeout-ms ""
	check 'raftd: --snapshot-keep: 0 is out of range (1..1000)' $d --snapshot-keep 0
	check 'raftd: --snapshot-keep: 1001 is out of range (1..1000)' $d --snapshot-keep 1001
	check 'raftd: --snapshot-entries: "abc" is not a number' $d --snapshot-entries abc
	check 'raftd: --snapshot-entries: 1000000001 is out of range (0..1000000000)' \
		$d --snapshot-entries 1000000001
	check 'raftd: --snapshot-bytes: "64MiB" is not a number' $d --snapshot-bytes 64MiB
	check 'raftd: --snapshot-bytes: 1099511627777 is out of range (0..1099511627776)' \
		$d --snapshot-bytes 1099511627777
	check 'raftd: --snapshot-trailing: "-1" is not a number' $d --snapshot-trailing -1
	check 'raftd: --log-level: "loud" is not a log level (debug, info, warn, error)' \
		$d --log-level loud
	check 'raftd: --listen-peer: "localhost" is not HOST:PORT' --listen-peer localhost
	check 'raftd: --listen-peer: "127.0.0.1:99999": port 99999 is out of range (1..65535)' \
		--listen-peer 127.0.0.1:99999
	check 'raftd: --listen-client: "::1:80": put an IPv6 address in brackets, as [::1]:7001' \
		--listen-client ::1:80
	check 'raftd: --listen-client: ":80" is not HOST:PORT' --listen-client :80
	check 'raftd: --cluster: "a b": a name has only letters, digits, '"'"'.'"'"', '"'"'-'"'"' and '"'"'_'"'"'' \
		--cluster "a b"
	check 'raftd: --initial-cluster: member "1=a:1" is not ID=PEER_ADDR/CLIENT_ADDR' \
		--initial-cluster 1=a:1
	check 'raftd: --initial-cluster: member 1 appears twice' \
		--initial-cluster 1=a:1/b:2,1=a:3/b:4
	check 'raftd: --initial-cluster: member 2 is empty' --initial-cluster 1=a:1/b:2,
	check 'raftd: --initial-cluster: member 1: "b" is not HOST:PORT' \
		--initial-cluster 1=a:1/b
	check 'raftd: --initial-cluster: member id "x" is not a number' \
		--initial-cluster x=a:1/b:2
	check 'raftd: --frobnicate: unknown option (see --help)' --frobnicate 1
	check 'raftd: --id: needs a value' --id
	check 'raftd: "extra": unexpected argument (see --help)' extra
	check 'raftd: --id: given twice' --id 1 --id 2
	check 'raftd: --data-dir: missing (give the flag or data_dir in the config file)' \
		--listen-peer 127.0.0.1:1 --listen-client 127.0.0.1:2
	check 'raftd: --listen-client: missing (give the flag or listen_client in the config file)' \
		--data-dir "$TEST_DIR/d" --listen-peer 127.0.0.1:1
	# Nothing was created by any of these.
	[ ! -e "$TEST_DIR/d" ]
}

@test "bad config lines: file, line, key and reason, exit 2" {
	local f="$TEST_DIR/raftd.conf"
	check_conf() {
		local expected=$1
		shift
		printf '%b' "$1" >"$f"
		run "$RAFTD" --config "$f"
		assert_failure 2
		assert_output "$expected"
	}
	check_conf "raftd: $f:3: tick_ms: \"abc\" is not a number" \
		'id = 1\n# a comment\ntick_ms = abc\n'
	check_conf "raftd: $f:2: colour: unknown key" 'id = 1\ncolour = blue\n'
	check_conf "raftd: $f:2: id: given twice" 'id = 1\nid = 2\n'
	check_conf "raftd: $f:2: snapshot_keep: 0 is out of range (1..1000)" \
		'id = 1\nsnapshot_keep = 0\n'
	check_conf "raftd: $f:3: snapshot_entries: given twice" \
		'snapshot_entries = 100\nid = 1\nsnapshot_entries = 200\n'
	check_conf "raftd: $f:2: expected key = value or a # comment" \
		'id = 1\nthis is not an option\n'
	check_conf "raftd: $f:2: id: the file has no sections (found [main])" \
		'[main]\nid = 1\n'
	check_conf "raftd: $f:1: listen_peer: \"nowhere\" is not HOST:PORT" \
		'listen_peer = nowhere\n'
	check_conf "raftd: $f:1: election_ticks: \"5 # five\" is not a number" \
		'election_ticks = 5 # five\n'
	check_conf "raftd: $f: initial_cluster: member 2 appears twice" \
		'initial_cluster = 2=a:1/b:2\ninitial_cluster = 2=a:3/b:4\n'
	check_conf "raftd: $f:1: the line is longer than 198 characters (initial_cluster may take several lines)" \
		"data_dir = /$(printf 'x%.0s' {1..250})\n"
	run "$RAFTD" --config "$TEST_DIR/absent.conf"
	assert_failure 2
	assert_output "raftd: --config: $TEST_DIR/absent.conf: No such file or directory"
	# A bad line is refused even when a flag overrides its key.
	printf 'tick_ms = abc\n' >"$f"
	run "$RAFTD" --config "$f" --tick-ms 10
	assert_failure 2
	assert_output "raftd: $f:1: tick_ms: \"abc\" is not a number"
}

@test "flags win over the config file" {
	plan_cluster 1
	cat >"$TEST_DIR/raftd.conf" <<-EOF
		# member 1, with a port that the flag replaces
		id = 1
		data_dir = $TEST_DIR/n1
		listen_peer = 127.0.0.1:${PEER_PORT[1]}
		listen_client = 127.0.0.1:1
		initial_cluster = $INITIAL_CLUSTER
		tick_ms = 50
	EOF
	"$RAFTD" --config "$TEST_DIR/raftd.conf" \
		--listen-client "127.0.0.1:${CLIENT_PORT[1]}" \
		2>>"$TEST_DIR/n1.log" &
	PIDS[1]=$!
	wait_for_leader 10
	run http "$(url 1)/v1/status"
	assert_output --partial '"id":1,"state":"leader"'
}

@test "a new data dir needs --id and --initial-cluster; nothing is created" {
	run "$RAFTD" --data-dir "$TEST_DIR/new" --listen-peer 127.0.0.1:1 \
		--listen-client 127.0.0.1:2
	assert_failure 2
	assert_output "raftd: data dir $TEST_DIR/new holds no log yet: a new member needs --id and --initial-cluster"
	[ ! -e "$TEST_DIR/new" ]
	run "$RAFTD" --id 4 --data-dir "$TEST_DIR/new" --listen-peer 127.0.0.1:1 \
		--listen-client 127.0.0.1:2 --initial-cluster 1=a:1/b:2
	assert_failure 2
	assert_output "raftd: --initial-cluster: this member (id 4) is not listed"
	[ ! -e "$TEST_DIR/new" ]
}

@test "a data dir with strangers in it is refused and left alone" {
	mkdir "$TEST_DIR/other"
	echo precious >"$TEST_DIR/other/notes.txt"
	local before
	before=$(tree_state "$TEST_DIR/other")
	run "$RAFTD" --id 1 --data-dir "$TEST_DIR/other" --listen-peer 127.0.0.1:1 \
		--listen-client 127.0.0.1:2 --initial-cluster 1=a:1/b:2
	assert_failure 1
	assert_output "raftd: data dir $TEST_DIR/other holds no raftd log but is not empty (found \"notes.txt\")"
	[ "$(tree_state "$TEST_DIR/other")" = "$before" ]
}

@test "taken ports: exit 1 with the address, nothing created" {
	start_cluster 1
	local p
	free_port
	p=$FREE_PORT
	# The client port of member 1 is taken.
	run "$RAFTD" --id 2 --data-dir "$TEST_DIR/n2" --listen-peer "127.0.0.1:$p" \
		--listen-client "127.0.0.1:${CLIENT_PORT[1]}" \
		--initial-cluster "2=127.0.0.1:$p/127.0.0.1:${CLIENT_PORT[1]}"
	assert_failure 1
	assert_output "raftd: client listen 127.0.0.1:${CLIENT_PORT[1]}: Address already in use"
	[ ! -e "$TEST_DIR/n2" ]
	# The peer port of member 1 is taken.
	run "$RAFTD" --id 2 --data-dir "$TEST_DIR/n2" \
		--listen-peer "127.0.0.1:${PEER_PORT[1]}" --listen-client "127.0.0.1:$p" \
		--initial-cluster "2=127.0.0.1:${PEER_PORT[1]}/127.0.0.1:$p"
	assert_failure 1
	assert_output "raftd: peer listen 127.0.0.1:${PEER_PORT[1]}: Address already in use"
	[ ! -e "$TEST_DIR/n2" ]
}

@test "a foreign data dir is refused and left alone" {
	start_cluster 1
	curl -s -X PUT -d mine "$(url 1)/v1/kv/k" >/dev/null
	stop_member 1
	# LevelDB rewrites its own bookkeeping files whenever the log is
	# opened to read whose it is, so the KV store (never opened) is
	# compared file by file and the log by what it holds.
	local before
	before=$(tree_state "$TEST_DIR/n1/kv")
	run "$RAFTD" --id 2 --data-dir "$TEST_DIR/n1" \
		--listen-peer "127.0.0.1:${PEER_PORT[1]}" \
		--listen-client "127.0.0.1:${CLIENT_PORT[1]}"
	assert_failure 1
	assert_output "raftd: data dir $TEST_DIR/n1 belongs to node 1, not node 2"
	run "$RAFTD" --cluster other --data-dir "$TEST_DIR/n1" \
		--listen-peer "127.0.0.1:${PEER_PORT[1]}" \
		--listen-client "127.0.0.1:${CLIENT_PORT[1]}"
	assert_failure 1
	assert_output --regexp "^raftd: data dir $TEST_DIR/n1 belongs to another cluster \(id [0-9a-f]{16}\), not \"other\" \(id [0-9a-f]{16}\)\$"
	[ "$(tree_state "$TEST_DIR/n1/kv")" = "$before" ]
	restart_member 1
	wait_for_leader 10
	run curl -s "$(url 1)/v1/status"
	assert_output --partial '{"id":1,"state":"leader"'
	run curl -s "$(url 1)/v1/kv/k"
	assert_output mine
}

@test "a corrupt log is refused with one line, and nothing is served" {
	start_cluster 1
	curl -s -X PUT -d mine "$(url 1)/v1/kv/k" >/dev/null
	stop_member 1
	# CURRENT names the manifest; point it at one that is not there.
	echo "MANIFEST-999999" >"$TEST_DIR/n1/log/CURRENT"
	run "$RAFTD" --data-dir "$TEST_DIR/n1" \
		--listen-peer "127.0.0.1:${PEER_PORT[1]}" \
		--listen-client "127.0.0.1:${CLIENT_PORT[1]}"
	assert_failure 1
	assert_line --index 0 --regexp "^raftd: open log $TEST_DIR/n1/log: Corruption: "
	[ "${#lines[@]}" -eq 1 ]
	run curl -s --max-time 2 "$(url 1)/v1/status"
	assert_failure
}

@test "a data dir in use by a running member is refused" {
	start_cluster 1
	local p q
	free_port
	p=$FREE_PORT
	free_port
	q=$FREE_PORT
	run "$RAFTD" --data-dir "$TEST_DIR/n1" --listen-peer "127.0.0.1:$p" \
		--listen-client "127.0.0.1:$q"
	assert_failure 1
	assert_output --regexp "^raftd: open log $TEST_DIR/n1/log: .*lock"
}

# ------------------------------------------------------------------------
# A three-member cluster
# ------------------------------------------------------------------------

@test "three members elect one leader and report it" {
	start_cluster 3
	local i st deadline=$((SECONDS + 5))
	# The leader marks a member healthy once it answered in this term.
	until [ "$(curl -s "$(url "$LEADER")/v1/status" |
		grep -o '"healthy":true' | wc -l)" = 3 ]; do
		[ "$SECONDS" -lt "$deadline" ]
		sleep 0.05
	done
	for i in 1 2 3; do
		st=$(curl -s "$(url "$i")/v1/status")
		[ "$(json_field "$st" id)" = "$i" ]
		[ "$(json_field "$st" leader_id)" = "$LEADER" ]
		[ "$(json_field "$st" leader_url)" = "$(url "$LEADER")" ]
		if [ "$i" = "$LEADER" ]; then
			[ "$(json_field "$st" state)" = leader ]
			assert_equal "$(grep -o '"healthy":true' <<<"$st" | wc -l)" 3
		else
			[ "$(json_field "$st" state)" = follower ]
			[[ "$st" != *match_index* ]]
		fi
		grep -q "\"id\":2,\"peer_url\":\"127.0.0.1:${PEER_PORT[2]}\",\"client_url\":\"$(url 2)\",\"voter\":true" <<<"$st"
		run http "$(url "$i")/v1/health"
		split_http "$output"
		assert_equal "$CODE" 200
		assert_equal "$BODY" "{\"healthy\":true,\"leader_id\":$LEADER}"
		run http "$(url "$i")/v1/members"
		split_http "$output"
		assert_equal "$CODE" 200
		assert_equal "$(grep -o '"voter":true' <<<"$BODY" | wc -l)" 3
	done
}

@test "writes via the leader and via a follower, reads everywhere" {
	start_cluster 3
	local f
	f=$(follower)
	run http -X PUT --data-binary hello "$(url "$LEADER")/v1/kv/greeting"
	split_http "$output"
	assert_equal "$CODE" 200
	assert_output --regexp '^\{"index":[0-9]+,"term":[0-9]+\}'
	# A follower redirects, with the same path and query.
	run curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -X PUT \
		--data-binary x "$(url "$f")/v1/kv/a%2Fb?if_absent=true"
	assert_output "307 $(url "$LEADER")/v1/kv/a%2Fb?if_absent=true"
	run curl -s -X PUT --data-binary x "$(url "$f")/v1/kv/k"
	assert_output "{\"error\":{\"code\":\"not_leader\",\"message\":\"node $LEADER is the leader\",\"leader_id\":$LEADER,\"leader_url\":\"$(url "$LEADER")\"}}"
	# curl -L just works.
	run http -L -X PUT --data-binary world "$(url "$f")/v1/kv/planet"
	split_http "$output"
	assert_equal "$CODE" 200
	local i
	for i in 1 2 3; do
		run http -L "$(url "$i")/v1/kv/greeting"
		split_http "$output"
		assert_equal "$CODE" 200
		assert_equal "$BODY" hello
		run http -L "$(url "$i")/v1/kv/planet?consistency=lease"
		split_http "$output"
		assert_equal "$BODY" world
	done
	# Stale reads are served by every member itself, once it applied.
	local deadline=$((SECONDS + 5))
	for i in 1 2 3; do
		until [ "$(curl -s "$(url "$i")/v1/kv/planet?consistency=stale")" = world ]; do
			[ "$SECONDS" -lt "$deadline" ]
			sleep 0.05
		done
		run curl -s -o /dev/null -w '%{http_code}' "$(url "$i")/v1/kv/planet?consistency=stale"
		assert_output 200
	done
	# X-Raft-Index says where the read was served.
	run curl -s -D - -o /dev/null "$(url "$LEADER")/v1/kv/greeting"
	assert_output --regexp 'X-Raft-Index: [0-9]+'
}

@test "binary-safe keys and values, key listing" {
	start_cluster 3
	local l
	l=$(url "$LEADER")
	printf 'a\0b\377' >"$TEST_DIR/value"
	run http -X PUT --data-binary @"$TEST_DIR/value" "$l/v1/kv/bin%00%FFkey"
	split_http "$output"
	assert_equal "$CODE" 200
	curl -s "$l/v1/kv/bin%00%FFkey" >"$TEST_DIR/got"
	cmp "$TEST_DIR/value" "$TEST_DIR/got"
	run http -X PUT --data-binary '' "$l/v1/kv/empty"
	split_http "$output"
	assert_equal "$CODE" 200
	run http "$l/v1/kv/empty"
	split_http "$output"
	assert_equal "$CODE" 200
	assert_equal "$BODY" ""
	for k in user/1 user/2 user/3 "user/%C3%A9t%C3%A9" zzz; do
		curl -s -X PUT --data-binary v "$l/v1/kv/$k" >/dev/null
	done
	run curl -s "$l/v1/keys?prefix=user/"
	assert_output '{"keys":["user/1","user/2","user/3","user/été"],"more":false}'
	run curl -s "$l/v1/keys?prefix=user%2F&limit=2"
	assert_output '{"keys":["user/1","user/2"],"more":true}'
	run curl -s "$l/v1/keys?prefix=bin"
	assert_output '{"keys":["bin%00%FFkey"],"more":false}'
	run curl -s "$l/v1/keys?prefix=nothing&consistency=stale"
	assert_output '{"keys":[],"more":false}'
	# A key of 4096 bytes is fine, 4097 is not.
	run http -X PUT --data-binary v "$l/v1/kv/$(printf 'k%.0s' {1..4096})"
	split_http "$output"
	assert_equal "$CODE" 200
	run http -X PUT --data-binary v "$l/v1/kv/$(printf 'k%.0s' {1..4097})"
	split_http "$output"
	assert_equal "$CODE" 400
	assert_equal "$BODY" "{\"error\":{\"code\":\"bad_request\",\"message\":\"a key has 1 to 4096 bytes, not 4097\",\"leader_id\":$LEADER,\"leader_url\":\"$l\"}}"
}

@test "delete, compare-and-set and create-if-absent" {
	start_cluster 3
	local l
	l=$(url "$LEADER")
	curl -s -X PUT --data-binary one "$l/v1/kv/k" >/dev/null
	# CAS with the wrong prev: 409, nothing written.
	run http -X PUT --data-binary two "$l/v1/kv/k?prev=uno"
	split_http "$output"
	assert_equal "$CODE" 409
	assert_equal "$(json_field "$BODY" code)" compare_failed
	assert_equal "$(curl -s "$l/v1/kv/k")" one
	# CAS with the right prev.
	run http -X PUT --data-binary two "$l/v1/kv/k?prev=one"
	split_http "$output"
	assert_equal "$CODE" 200
	assert_equal "$(curl -s "$l/v1/kv/k")" two
	# CAS with a percent-encoded prev holding a space and a plus.
	curl -s -X PUT --data-binary 'a b+c' "$l/v1/kv/k" >/dev/null
	run http -X PUT --data-binary three "$l/v1/kv/k?prev=a+b%2Bc"
	split_http "$output"
	assert_equal "$CODE" 200
	# CAS of an absent key: 404.
	run http -X PUT --data-binary x "$l/v1/kv/absent?prev=y"
	split_http "$output"
	assert_equal "$CODE" 404
	assert_equal "$(json_field "$BODY" code)" not_found
	# Create only if absent.
	run http -X PUT --data-binary mine "$l/v1/kv/lock?if_absent=true"
	split_http "$output"
	assert_equal "$CODE" 200
	run http -X PUT --data-binary yours "$l/v1/kv/lock?if_absent=true"
	split_http "$output"
	assert_equal "$CODE" 409
	assert_equal "$(json_field "$BODY" code)" already_exists
	assert_equal "$(curl -s "$l/v1/kv/lock")" mine
	# Delete, then delete again: 404.
	run http -X DELETE "$l/v1/kv/lock"
	split_http "$output"
	assert_equal "$CODE" 200
	run http -X DELETE "$l/v1/kv/lock"
	split_http "$output"
	assert_equal "$CODE" 404
	run http "$l/v1/kv/lock"
	split_http "$output"
	assert_equal "$CODE" 404
	assert_equal "$BODY" "{\"error\":{\"code\":\"not_found\",\"message\":\"the key does not exist\",\"leader_id\":$LEADER,\"leader_url\":\"$l\"}}"
}

@test "413 for a too-large value, nothing written" {
	plan_cluster 1
	start_member 1 --max-value-bytes 100
	wait_for_leader 10
	local l
	l=$(url 1)
	head -c 101 /dev/zero >"$TEST_DIR/big"
	run http -X PUT --data-binary @"$TEST_DIR/big" "$l/v1/kv/big"
	split_http "$output"
	assert_equal "$CODE" 413
	assert_equal "$BODY" '{"error":{"code":"too_large","message":"the value has 101 bytes; the limit is 100 (nothing written)","leader_id":1,"leader_url":"'"$l"'"}}'
	run http "$l/v1/kv/big"
	split_http "$output"
	assert_equal "$CODE" 404
	head -c 100 /dev/zero >"$TEST_DIR/ok"
	run http -X PUT --data-binary @"$TEST_DIR/ok" "$l/v1/kv/big"
	split_http "$output"
	assert_equal "$CODE" 200
}

@test "bad requests: 400, 404, 405 in the error shape" {
	start_cluster 1
	local l
	l=$(url 1)
	expect() {
		local code=$1 err=$2
		shift 2
		run http "$@"
		split_http "$output"
		assert_equal "$CODE" "$code"
		assert_equal "$(json_field "$BODY" code)" "$err"
		assert_output --regexp '^\{"error":\{"code":"[a-z_]+","message":"[^"]+"'
	}
	expect 400 bad_request "$l/v1/kv/k?consistency=eventual"
	expect 400 bad_request "$l/v1/kv/k?colour=red"
	expect 400 bad_request -X PUT -d v "$l/v1/kv/k?if_absent=maybe"
	expect 400 bad_request -X PUT -d v "$l/v1/kv/k?if_absent=true&prev=x"
	expect 400 bad_request -X PUT -d v "$l/v1/kv/k?prev=a&prev=b"
	expect 400 bad_request "$l/v1/kv/bad%zzescape"
	expect 400 bad_request "$l/v1/kv/"
	expect 400 bad_request "$l/v1/keys?limit=0"
	expect 400 bad_request "$l/v1/keys?limit=10001"
	expect 400 bad_request "$l/v1/keys?limit=ten"
	expect 404 not_found "$l/v2/kv/k"
	expect 404 not_found "$l/"
	expect 405 method_not_allowed -X POST "$l/v1/kv/k"
	expect 405 method_not_allowed -X PATCH "$l/v1/kv/k"
	expect 405 method_not_allowed -X DELETE "$l/v1/status"
	expect 405 method_not_allowed -X PUT "$l/v1/keys"
	expect 400 bad_request -X POST -d '{"id":4}' "$l/v1/members"
	expect 404 not_member -X DELETE "$l/v1/members/2"
	expect 404 not_member -X POST "$l/v1/members/2/promote"
	expect 404 not_member -X POST -d '{"to":2}' "$l/v1/leader/transfer"
	expect 405 method_not_allowed "$l/v1/snapshot"
	expect 405 method_not_allowed -X PUT "$l/v1/snapshot"
	expect 400 bad_request -X POST "$l/v1/reset-peers"
	run curl -s -D - -o /dev/null -X POST "$l/v1/kv/k"
	assert_output --partial "Allow: GET, HEAD, PUT, DELETE"
	run curl -s -D - -o /dev/null "$l/v1/snapshot"
	assert_output --partial "Allow: POST"
}

# ------------------------------------------------------------------------
# The HTTP server itself (raftd/httpd.c): framing, limits, bad input.
# ------------------------------------------------------------------------

@test "HTTP: pipelined requests are answered in order; HTTP/1.0 closes" {
	start_cluster 1
	run raw_http 1 'PUT /v1/kv/p HTTP/1.1\r\nContent-Length: 4\r\n\r\none\nGET /v1/kv/p HTTP/1.1\r\n\r\nPUT /v1/kv/p HTTP/1.1\r\nContent-Length: 4\r\n\r\ntwo\nGET /v1/kv/p HTTP/1.1\r\nConnection: close\r\n\r\n'
	assert_success
	assert_equal "$(grep -c '^HTTP/1.1 200 OK' <<<"$output")" 4
	run raw_bodies "$output"
	assert_line --index 0 --regexp '^\{"index":[0-9]+,"term":[0-9]+\}$'
	assert_line --index 1 one
	assert_line --index 2 --regexp '^\{"index":[0-9]+,"term":[0-9]+\}$'
	assert_line --index 3 two
	# HTTP/1.0 without keep-alive: an HTTP/1.0 answer, then the end.
	run raw_http 1 'GET /v1/kv/p HTTP/1.0\r\n\r\n'
	assert_success
	assert_line --index 0 $'HTTP/1.0 200 OK\r'
	assert_line $'Connection: close\r'
	assert_line two
}

@test "HTTP: 100-continue, chunked bodies, HEAD" {
	start_cluster 1
	local l
	l=$(url 1)
	# A client that asks 100-continue (curl does for large bodies) and
	# would wait 1 s for it.
	head -c 2000 /dev/zero | tr '\0' v >"$TEST_DIR/value"
	run curl -sv -o /dev/null -H 'Expect: 100-continue' -X PUT \
		--data-binary @"$TEST_DIR/value" "$l/v1/kv/v"
	assert_output --partial '< HTTP/1.1 100 Continue'
	assert_output --partial '< HTTP/1.1 200 OK'
	run curl -s -o /dev/null -w '%{http_code} %{time_total}' \
		-H 'Expect: 100-continue' -X PUT \
		--data-binary @"$TEST_DIR/value" "$l/v1/kv/v"
	assert_output --regexp '^200 0\.[0-8]'
	run http -X PUT -H 'Transfer-Encoding: chunked' --data-binary abc "$l/v1/kv/c"
	split_http "$output"
	assert_equal "$CODE" 200
	assert_equal "$(curl -s "$l/v1/kv/c")" abc
	# HEAD: the headers of GET (its length too), no body: the next
	# answer follows at once.
	run raw_http 1 'HEAD /v1/kv/c HTTP/1.1\r\n\r\nGET /v1/kv/c HTTP/1.1\r\nConnection: close\r\n\r\n'
	assert_success
	assert_equal "$(grep -c '^HTTP/1.1 200 OK' <<<"$output")" 2
	assert_equal "$(grep -c '^Content-Length: 3' <<<"$output")" 2
	assert_equal "$(grep -c '^X-Raft-Index: ' <<<"$output")" 2
	run raw_bodies "$output"
	assert_output abc
}

@test "HTTP: limits and bad requests get the error shape" {
	plan_cluster 1
	start_member 1 --max-value-bytes 100
	wait_for_leader 10
	local l
	l=$(url 1)
	# Headers over 64 KiB: 431.
	run http -H "X-Big: $(head -c 70000 /dev/zero | tr '\0' a)" "$l/v1/kv/k"
	split_http "$output"
	assert_equal "$CODE" 431
	assert_equal "$BODY" '{"error":{"code":"too_large","message":"the request line and headers exceed 65536 bytes","leader_id":1,"leader_url":"'"$l"'"}}'
	# A body far over the limit is not even read: the same 413.
	head -c 100000 /dev/zero >"$TEST_DIR/huge"
	run http -X PUT --data-binary @"$TEST_DIR/huge" "$l/v1/kv/k"
	split_http "$output"
	assert_equal "$CODE" 413
	assert_equal "$BODY" '{"error":{"code":"too_large","message":"the value has 100000 bytes; the limit is 100 (nothing written)","leader_id":1,"leader_url":"'"$l"'"}}'
	# A chunked one is read up to twice the limit plus 64 KiB.
	run http -X PUT -H 'Transfer-Encoding: chunked' --data-binary @"$TEST_DIR/huge" "$l/v1/kv/k"
	split_http "$output"
	assert_equal "$CODE" 413
	assert_equal "$(json_field "$BODY" code)" too_large
	run http "$l/v1/kv/k"
	split_http "$output"
	assert_equal "$CODE" 404
	# An unknown method: 501.
	run http -X BREW "$l/v1/kv/k"
	split_http "$output"
	assert_equal "$CODE" 501
	assert_equal "$(json_field "$BODY" message)" "method BREW is not implemented"
	# A malformed request line: 400 with the reason, and the connection
	# closes.
	run raw_http 1 'GET /v1/kv/k HTTP/1.1 and more\r\n\r\n'
	assert_success
	assert_line --index 0 $'HTTP/1.1 400 Bad Request\r'
	assert_line $'Connection: close\r'
	assert_line '{"error":{"code":"bad_request","message":"malformed request: invalid HTTP version","leader_id":1,"leader_url":"'"$l"'"}}'
	# The member still serves.
	run http "$l/v1/health"
	split_http "$output"
	assert_equal "$CODE" 200
}

@test "HTTP: a client that hangs up while its write waits; the write goes on" {
	leader_without_quorum
	# The put waits for a quorum that is stopped; the client leaves.
	local conn
	exec {conn}<>"/dev/tcp/127.0.0.1/${CLIENT_PORT[$LEADER]}"
	printf 'PUT /v1/kv/gone HTTP/1.1\r\nContent-Length: 1\r\n\r\nx' >&"$conn"
	sleep 0.3
	exec {conn}<&-
	local deadline=$((SECONDS + 5))
	until grep -q "PUT /v1/kv/gone: the client closed its side before the answer" \
		"$TEST_DIR/n$LEADER.log"; do
		[ "$SECONDS" -lt "$deadline" ]
		sleep 0.05
	done
	for f in 1 2 3; do
		[ "$f" = "$LEADER" ] || kill -CONT "${PIDS[$f]}"
	done
	# The answer comes into a closed connection; the write happened.
	deadline=$((SECONDS + 10))
	until [ "$(curl -s "$(url "$LEADER")/v1/kv/gone")" = x ]; do
		[ "$SECONDS" -lt "$deadline" ]
		sleep 0.05
	done
	run http "$(url "$LEADER")/v1/health"
	split_http "$output"
	assert_equal "$CODE" 200
}

@test "503 no_leader on a member that cannot reach a majority" {
	plan_cluster 3
	start_member 1
	sleep 1
	run http -X PUT -d v "$(url 1)/v1/kv/k"
	split_http "$output"
	assert_equal "$CODE" 503
	assert_equal "$BODY" '{"error":{"code":"no_leader","message":"no leader is known right now; retry shortly"}}'
	run http "$(url 1)/v1/kv/k"
	split_http "$output"
	assert_equal "$CODE" 503
	run http "$(url 1)/v1/health"
	split_http "$output"
	assert_equal "$CODE" 503
	assert_equal "$(json_field "$BODY" code)" no_leader
	# A stale read needs no leader.
	run http "$(url 1)/v1/kv/k?consistency=stale"
	split_http "$output"
	assert_equal "$CODE" 404
}

@test "503 timeout for a write that is not applied in time" {
	plan_cluster 3
	local i
	for i in 1 2 3; do
		# Elections of 1 to 2 s keep the leader in place while its
		# followers are stopped for a 300 ms request.
		TICK_MS=10 start_member "$i" --request-timeout-ms 300 \
			--election-ticks 100
	done
	wait_for_leader 15
	local f
	for f in 1 2 3; do
		[ "$f" = "$LEADER" ] || kill -STOP "${PIDS[$f]}"
	done
	run http -X PUT -d v "$(url "$LEADER")/v1/kv/slow"
	for f in 1 2 3; do
		[ "$f" = "$LEADER" ] || kill -CONT "${PIDS[$f]}"
	done
	split_http "$output"
	assert_equal "$CODE" 503
	assert_equal "$(json_field "$BODY" code)" timeout
	assert_equal "$(json_field "$BODY" message)" "the write was not applied within 300 ms; it may still be"
}

@test "metrics count answers and errors" {
	start_cluster 1
	local l
	l=$(url 1)
	curl -s -X PUT -d v "$l/v1/kv/k" >/dev/null
	curl -s "$l/v1/kv/absent" >/dev/null
	curl -s "$l/v1/kv/absent" >/dev/null
	run curl -s "$l/metrics"
	assert_success
	assert_line 'raft_is_leader 1'
	assert_line --regexp '^raft_term [1-9][0-9]*$'
	assert_line --regexp '^raft_commit_index [1-9][0-9]*$'
	assert_line --regexp '^raft_applied_index [1-9][0-9]*$'
	assert_line --regexp '^raft_last_log_index [1-9][0-9]*$'
	assert_line 'raft_leader_changes 1'
	assert_line 'raftd_errors_total{code="not_found"} 2'
	assert_line 'raftd_http_requests_total{code="404"} 2'
	assert_line --regexp '^raftd_http_requests_total\{code="200"\} [1-9][0-9]*$'
	assert_line 'raftd_apply_latency_seconds_count 1'
	assert_line '# TYPE raftd_apply_latency_seconds histogram'
	# Synced log writes: the leader's first entry and the put at least,
	# never more entries than the log holds, every write in a bucket.
	assert_line '# TYPE raft_disk_write_seconds histogram'
	local writes entries last inf
	writes=$(awk '$1 == "raft_disk_write_seconds_count" { print $2 }' <<<"$output")
	inf=$(awk '$1 == "raft_disk_write_seconds_bucket{le=\"+Inf\"}" { print $2 }' <<<"$output")
	entries=$(awk '$1 == "raft_disk_entries_total" { print $2 }' <<<"$output")
	last=$(awk '$1 == "raft_last_log_index" { print $2 }' <<<"$output")
	[ "$writes" -ge 1 ]
	assert_equal "$inf" "$writes"
	[ "$entries" -ge 2 ]
	[ "$entries" -le "$last" ]
}

@test "SIGTERM stops cleanly; a restart needs only the data dir and addresses" {
	start_cluster 3
	local l old f
	l=$(url "$LEADER")
	curl -s -X PUT --data-binary kept "$l/v1/kv/durable" >/dev/null
	# Stop a follower, then the leader: each exits 0.
	f=$(follower)
	stop_member "$f"
	assert_equal "$STOP_STATUS" 0
	grep -q "SIGTERM: shutting down" "$TEST_DIR/n$f.log"
	old=$LEADER
	stop_member "$old"
	assert_equal "$STOP_STATUS" 0
	# Both come back with only --data-dir and the listen addresses.
	restart_member "$f"
	restart_member "$old"
	wait_for_leader 15
	local i
	for i in 1 2 3; do
		run http -L "$(url "$i")/v1/kv/durable"
		split_http "$output"
		assert_equal "$CODE" 200
		assert_equal "$BODY" kept
	done
	run http -L -X PUT -d after "$(url "$f")/v1/kv/durable"
	split_http "$output"
	assert_equal "$CODE" 200
	# The restarted member knows its id from its data dir.
	run curl -s "$(url "$f")/v1/status"
	assert_output --partial "{\"id\":$f,"
	grep -q "^raftd\[$f\] info" "$TEST_DIR/n$f.log"
}

@test "SIGINT stops cleanly too, and a killed member loses nothing acknowledged" {
	start_cluster 3
	local l i
	l=$(url "$LEADER")
	for i in 1 2 3 4 5; do
		run http -X PUT -d "v$i" "$l/v1/kv/k$i"
		split_http "$output"
		assert_equal "$CODE" 200
	done
	kill -KILL "${PIDS[$LEADER]}"
	wait "${PIDS[$LEADER]}" || true
	local dead=$LEADER
	PIDS[$dead]=""
	wait_for_leader 15
	restart_member "$dead"
	wait_for_leader 15
	for i in 1 2 3 4 5; do
		run http -L "$(url "$dead")/v1/kv/k$i"
		split_http "$output"
		assert_equal "$BODY" "v$i"
	done
	kill -INT "${PIDS[$dead]}"
	wait_gone "${PIDS[$dead]}" 10
	local status=0
	wait "${PIDS[$dead]}" || status=$?
	PIDS[$dead]=""
	assert_equal "$status" 0
}

@test "SIGTERM answers the requests still waiting with 503 shutting_down" {
	leader_without_quorum
	http -X PUT -d v "$(url "$LEADER")/v1/kv/k" >"$TEST_DIR/answer" &
	local curl_pid=$!
	sleep 0.5
	stop_member "$LEADER"
	wait "$curl_pid" || true
	for f in 1 2 3; do
		[ -z "${PIDS[$f]}" ] || kill -CONT "${PIDS[$f]}"
	done
	assert_equal "$STOP_STATUS" 0
	split_http "$(cat "$TEST_DIR/answer")"
	assert_equal "$CODE" 503
	assert_equal "$BODY" '{"error":{"code":"shutting_down","message":"the server is shutting down; the write may or may not have been applied"}}'
}
