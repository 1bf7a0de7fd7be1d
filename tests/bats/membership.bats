#!/usr/bin/env bats
# Membership end to end: real local raftd clusters on 127.0.0.1 grown,
# shrunk, repaired and recovered with raftctl (and curl for the HTTP
# details); new members start with raftd --join. Every member is started
# and stopped by PID (helpers.bash). Short ticks (50 ms, election timeout
# 10 ticks) keep the suite well under three minutes.

bats_require_minimum_version 1.5.0

load helpers
load raftctl_helpers

setup() {
	raftd_setup
	raftctl_setup
	LOOP_PID=""
}

teardown() {
	# A write loop a failed test left running.
	if [ -n "$LOOP_PID" ] && kill -0 "$LOOP_PID" 2>/dev/null; then
		touch "$TEST_DIR/stop"
		wait_gone "$LOOP_PID" 10 || kill -KILL "$LOOP_PID" 2>/dev/null || true
		wait "$LOOP_PID" 2>/dev/null || true
	fi
	raftd_teardown
}

# Picks the ports of member $1 (one not in the initial list).
plan_member() {
	free_port
	PEER_PORT[$1]=$FREE_PORT
	free_port
	CLIENT_PORT[$1]=$FREE_PORT
}

# The --initial-cluster list of members $@.
member_list() {
	local i list=""
	for i in "$@"; do
		list+="${list:+,}$i=127.0.0.1:${PEER_PORT[$i]}/127.0.0.1:${CLIENT_PORT[$i]}"
	done
	echo "$list"
}

# Starts member $1 with --join; $2 is the --initial-cluster list (the
# cluster's members; the new one may be among them). More flags may
# follow.
start_joining() {
	local i=$1 list=$2
	shift 2
	"$RAFTD" --id "$i" --join --data-dir "$TEST_DIR/n$i" \
		--listen-peer "127.0.0.1:${PEER_PORT[$i]}" \
		--listen-client "127.0.0.1:${CLIENT_PORT[$i]}" \
		--initial-cluster "$list" \
		--tick-ms "${TICK_MS:-50}" --log-level debug "$@" \
		2>>"$TEST_DIR/n$i.log" &
	PIDS[$i]=$!
}

# raftctl against every running member.
ctl_up() {
	local i list=()
	for i in "${!PIDS[@]}"; do
		in_play "$i" && list+=("$i")
	done
	ctl "$(
		IFS=,
		echo "${list[*]}"
	)" "$@"
}

# Adds member $1 as a learner through raftctl and checks the line.
add_learner() {
	run --separate-stderr ctl_up member add "$1" "127.0.0.1:${PEER_PORT[$1]}" \
		"http://127.0.0.1:${CLIENT_PORT[$1]}" --learner
	assert_success
	assert_output --regexp "^added member $1 as a learner, peer 127\\.0\\.0\\.1:${PEER_PORT[$1]}, client http://127\\.0\\.0\\.1:${CLIENT_PORT[$1]} \\(index [0-9]+, term [0-9]+\\)$"
}

# Waits up to $2 seconds until member $1 applied everything the leader
# ($LEADER) committed when the wait began.
wait_caught_up() {
	local deadline=$((SECONDS + $2)) target applied st
	st=$(curl -s --max-time 1 "$(url "$LEADER")/v1/status")
	target=$(json_field "$st" commit_index)
	while [ "$SECONDS" -lt "$deadline" ]; do
		st=$(curl -s --max-time 1 "$(url "$1")/v1/status") || st=""
		applied=$(json_field "$st" applied_index)
		if [ -n "$applied" ] && [ "$applied" -ge "$target" ]; then
			return 0
		fi
		sleep 0.1
	done
	echo "member $1 did not reach index $target within $2 s (at ${applied:-?})" >&2
	return 1
}

# Promotes member $1 and checks the line.
promote() {
	run --separate-stderr ctl_up member promote "$1"
	assert_success
	assert_output --regexp "^promoted member $1 to voter \\(index [0-9]+, term [0-9]+\\)$"
}

# Prints the configuration as "ID:voter|learner ..." sorted, as member $1
# sees it.
config_of() {
	local body
	body=$(curl -s --max-time 2 "$(url "$1")/v1/members") || return 0
	json_q '[.members[] | "\(.id):\(if .voter then "voter" else "learner" end)"] | join(" ")' \
		'" ".join("%d:%s" % (m["id"], "voter" if m["voter"] else "learner") for m in d["members"])' \
		"$body"
}

# Waits up to $3 seconds until member $1 sees the configuration $2.
wait_config() {
	local deadline=$((SECONDS + $3)) got
	while [ "$SECONDS" -lt "$deadline" ]; do
		got=$(config_of "$1")
		[ "$got" = "$2" ] && return 0
		sleep 0.1
	done
	echo "member $1 sees \"$got\", expected \"$2\"" >&2
	return 1
}

# Writes keys $1-1..$1-$2 through raftctl.
write_keys() {
	local k
	for ((k = 1; k <= $2; k++)); do
		ctl_up put "$1-$k" "v$k" >/dev/null || fail "put $1-$k failed"
	done
}

# Checks that member $1 holds keys $2-1..$2-$3 (stale reads: its own
# store).
check_keys_on() {
	local k out
	for ((k = 1; k <= $3; k++)); do
		out=$(curl -s --max-time 2 "$(url "$1")/v1/kv/$2-$k?consistency=stale")
		[ "$out" = "v$k" ] || fail "member $1: $2-$k is \"$out\", expected v$k"
	done
}

# Checks the one-line failure of the last `run --separate-stderr`: exit 1,
# nothing on stdout, exactly the line $1 on stderr.
failure_line() {
	assert_failure 1
	assert_output ""
	[ "${#stderr_lines[@]}" -eq 1 ] ||
		fail "expected one line on stderr, got: $stderr"
	[ "$stderr" = "$1" ] || fail "stderr: \"$stderr\", expected \"$1\""
}

# Test bodies never name a variable i: bats's own `run` sets a global i.

# ------------------------------------------------------------------------
# raftd --join
# ------------------------------------------------------------------------

@test "raftd --join: bad combinations are one-line usage errors" {
	local d=$TEST_DIR/new
	check() {
		local expected=$1
		shift
		run --separate-stderr "$RAFTD" --data-dir "$d" \
			--listen-peer 127.0.0.1:1 --listen-client 127.0.0.1:2 "$@"
		assert_failure 2
		[ "$stderr" = "$expected" ] || fail "stderr: \"$stderr\", expected \"$expected\""
		[ "$(tree_state "$d")" = absent ] || fail "the data dir was touched"
	}
	check "raftd: --join: needs --initial-cluster, the members of the cluster to join" \
		--id 4 --join
	check "raftd: --join: --initial-cluster lists no member but this one (id 4); list the members of the cluster to join" \
		--id 4 --join --initial-cluster 4=127.0.0.1:3/127.0.0.1:4
	check "raftd: data dir $d holds no log yet: a new member needs --id and --initial-cluster" \
		--join --initial-cluster 1=127.0.0.1:3/127.0.0.1:4
	check 'raftd: --join: "maybe" is neither true nor false' --join=maybe
	printf 'join = yes\n' >"$TEST_DIR/c.conf"
	check "raftd: $TEST_DIR/c.conf:1: join: \"yes\" is neither true nor false" \
		--config "$TEST_DIR/c.conf"
	printf 'join = true\njoin = true\n' >"$TEST_DIR/c.conf"
	check "raftd: $TEST_DIR/c.conf:2: join: given twice" --config "$TEST_DIR/c.conf"
	run "$RAFTD" --help
	assert_success
	assert_line --partial "  --join "
}

# ------------------------------------------------------------------------
# Growing, shrinking, replacing
# ------------------------------------------------------------------------

@test "grow 3 to 5: new members join as learners, catch up, are promoted" {
	start_cluster 3
	write_keys before 20
	plan_member 4
	plan_member 5
	# Each new member is told the existing ones, itself included.
	start_joining 4 "$(member_list 1 2 3 4)"
	start_joining 5 "$(member_list 1 2 3 5)"
	# Until it is added a joining member knows no configuration.
	sleep 0.3
	run curl -s "$(url 4)/v1/health"
	assert_output --partial '"code":"not_member"'
	add_learner 4
	add_learner 5
	wait_for_leader 10
	wait_config "$LEADER" "1:voter 2:voter 3:voter 4:learner 5:learner" 5
	wait_caught_up 4 10
	wait_caught_up 5 10
	check_keys_on 4 before 20
	check_keys_on 5 before 20
	# A learner's status says so.
	[ "$(json_field "$(curl -s "$(url 4)/v1/status")" state)" = learner ]
	promote 4
	promote 5
	for m in 1 2 3 4 5; do
		wait_config "$m" "1:voter 2:voter 3:voter 4:voter 5:voter" 5
	done
	# The new voters count: writes go on with two of the old ones
	# stopped (3 of 5 left).
	local a b
	a=$(follower)
	stop_member "$a"
	for m in 1 2 3; do
		if [ "$m" != "$a" ] && [ "$m" != "$LEADER" ]; then b=$m; fi
	done
	stop_member "$b"
	wait_for_leader 10
	write_keys after 5
	for m in 1 2 3 4 5; do
		in_play "$m" || continue
		wait_caught_up "$m" 5
		check_keys_on "$m" after 5
	done
	# A joined member restarts from its own log (--join is then moot).
	stop_member 5
	start_joining 5 "$(member_list 1 2 3 5)"
	wait_for_leader 10
	wait_caught_up 5 10
	check_keys_on 5 after 5
}

@test "shrink 5 to 3, the leader first: a new leader takes over, writes go on" {
	start_cluster 5
	write_keys before 10
	local old=$LEADER other
	run --separate-stderr ctl_up member remove "$old"
	assert_success
	assert_output --regexp "^removed member $old \\(index [0-9]+, term [0-9]+\\)$"
	stop_member "$old"
	wait_for_leader 10
	[ "$LEADER" != "$old" ]
	other=$(follower)
	run --separate-stderr ctl_up member remove "$other"
	assert_success
	stop_member "$other"
	local want="" m
	for m in 1 2 3 4 5; do
		[ "$m" = "$old" ] || [ "$m" = "$other" ] || want+="${want:+ }$m:voter"
	done
	for m in 1 2 3 4 5; do
		in_play "$m" || continue
		wait_config "$m" "$want" 5
	done
	write_keys after 10
	# Three voters: one may stop and writes still go on.
	stop_member "$(follower)"
	wait_for_leader 10
	write_keys late 3
	for m in 1 2 3 4 5; do
		in_play "$m" || continue
		wait_caught_up "$m" 5
		check_keys_on "$m" before 10
		check_keys_on "$m" late 3
	done
}

@test "replace a dead member: remove it, add a fresh one as a learner, promote it" {
	start_cluster 3
	write_keys before 10
	local dead
	dead=$(follower)
	kill -KILL "${PIDS[$dead]}"
	wait "${PIDS[$dead]}" 2>/dev/null || true
	PIDS[$dead]=""
	run --separate-stderr ctl_up member remove "$dead"
	assert_success
	plan_member 4
	# The list names only the other follower: the new member asks it for
	# the current members, so that it can answer the leader too.
	local seed
	SKIP_MEMBERS=$dead
	seed=$(follower)
	SKIP_MEMBERS=""
	start_joining 4 "$(member_list "$seed")"
	add_learner 4
	wait_for_leader 10
	wait_caught_up 4 10
	grep -Eq "join: http://127\.0\.0\.1:[0-9]+ told the current members \(2\)" "$TEST_DIR/n4.log"
	promote 4
	local want="" m
	for m in 1 2 3 4; do
		[ "$m" = "$dead" ] || want+="${want:+ }$m:voter"
	done
	wait_config "$LEADER" "$want" 5
	wait_config 4 "$want" 5
	write_keys after 10
	wait_caught_up 4 5
	check_keys_on 4 before 10
	check_keys_on 4 after 10
	# The replacement is a full voter: the cluster survives losing one
	# of the old members.
	stop_member "$(follower)"
	wait_for_leader 10
	write_keys late 3
}

# ------------------------------------------------------------------------
# Leadership transfer
# ------------------------------------------------------------------------

# Puts keys load-1, load-2, ... round-robin through members $@ until
# $TEST_DIR/stop exists; appends each acknowledged key to
# $TEST_DIR/acked.
write_loop() {
	local i=0 m code
	local -a members=("$@")
	while [ ! -e "$TEST_DIR/stop" ]; do
		i=$((i + 1))
		m=${members[$((i % ${#members[@]}))]}
		code=$(curl -s -L -o /dev/null -w '%{http_code}' --max-time 5 \
			-X PUT --data-binary "v$i" "$(url "$m")/v1/kv/load-$i") || code=000
		if [ "$code" = 200 ]; then
			echo "load-$i" >>"$TEST_DIR/acked"
		fi
	done
}

@test "transfer leadership to each member in turn under writes: no acknowledged write is lost" {
	start_cluster 3
	: >"$TEST_DIR/acked"
	write_loop 1 2 3 &
	LOOP_PID=$!
	local order=() m n before
	for m in 1 2 3; do
		[ "$m" = "$LEADER" ] || order+=("$m")
	done
	order+=("$LEADER")
	for m in "${order[@]}"; do
		sleep 0.5
		before=$(wc -l <"$TEST_DIR/acked")
		local from=$LEADER
		run --separate-stderr ctl_up transfer-leader "$m"
		assert_success
		assert_output --regexp "^leadership moved from node $from to node $m \\(term [0-9]+\\)$"
		wait_for_leader 10
		[ "$LEADER" = "$m" ] || fail "leader is $LEADER, expected $m"
		# Writes go on under the new leader.
		local deadline=$((SECONDS + 5))
		while [ "$(wc -l <"$TEST_DIR/acked")" -le "$before" ]; do
			[ "$SECONDS" -lt "$deadline" ] || fail "no write acknowledged after the transfer to $m"
			sleep 0.1
		done
	done
	# The member that leads already: nothing to do, and said so.
	run --separate-stderr ctl_up transfer-leader "$LEADER"
	assert_success
	assert_output --regexp "^node $LEADER leads already \\(term [0-9]+\\)$"
	# The leader picks the target.
	local from=$LEADER
	run --separate-stderr ctl_up -o json transfer-leader
	assert_success
	[ "$(json_q .previous_leader_id "d['previous_leader_id']" "$output")" = "$from" ]
	[ "$(json_q .leader_id "d['leader_id']" "$output")" != "$from" ]
	touch "$TEST_DIR/stop"
	wait "$LOOP_PID"
	LOOP_PID=""
	n=$(wc -l <"$TEST_DIR/acked")
	[ "$n" -ge 20 ] || fail "only $n writes acknowledged"
	# Every acknowledged key is there, read through the leader.
	wait_for_leader 10
	run --separate-stderr ctl_up -o json keys --prefix load- --limit 10000
	assert_success
	json_q '.keys[]' 'chr(10).join(d["keys"])' "$output" | sort >"$TEST_DIR/present"
	sort "$TEST_DIR/acked" >"$TEST_DIR/acked.sorted"
	run comm -23 "$TEST_DIR/acked.sorted" "$TEST_DIR/present"
	assert_output ""
	# And each holds the value written.
	for k in $(shuf -n 20 "$TEST_DIR/acked"); do
		run ctl_up get "$k"
		assert_output "v${k#load-}"
	done
}

# ------------------------------------------------------------------------
# Recovery from a lost majority
# ------------------------------------------------------------------------

@test "lose 2 of 3 for good: reset-peers on the survivor, then grow back" {
	start_cluster 3
	write_keys before 10
	local s
	s=$(follower)
	wait_caught_up "$s" 5
	for m in 1 2 3; do
		if [ "$m" != "$s" ]; then
			kill -KILL "${PIDS[$m]}"
			wait "${PIDS[$m]}" 2>/dev/null || true
			PIDS[$m]=""
		fi
	done
	# No majority: nothing is written.
	run --separate-stderr ctl "$s" --timeout 1000 put k v
	assert_failure 1
	# Without --force nothing happens, and raftctl says why.
	run --separate-stderr ctl "$s" reset-peers "$s"
	assert_failure 2
	[ "$stderr" = "raftctl: reset-peers: refusing without --force (forcing a configuration without a quorum can lose committed writes)" ]
	# The server refuses without force too, naming what can be lost.
	run http -X POST -d "{\"peers\":[$s]}" "$(url "$s")/v1/reset-peers"
	split_http "$output"
	assert_equal "$CODE" 400
	assert_equal "$(json_field "$BODY" code)" bad_request
	[[ "$BODY" == *'refusing without \"force\": true: forcing the configuration without a quorum can lose committed writes that only the members left out hold'* ]]
	[ "$(config_of "$s")" = "1:voter 2:voter 3:voter" ]
	run --separate-stderr ctl "$s" reset-peers "$s" --force
	assert_success
	assert_output "http://127.0.0.1:${CLIENT_PORT[$s]}: configuration forced to $s; the member leads once it wins an election"
	grep -q "RESET PEERS by an administrator" "$TEST_DIR/n$s.log"
	wait_for_leader 10
	[ "$LEADER" = "$s" ]
	[ "$(config_of "$s")" = "$s:voter" ]
	check_keys_on "$s" before 10
	write_keys after 5
	# Two fresh members (new ids, empty data dirs) bring it back to 3.
	plan_member 4
	plan_member 5
	start_joining 4 "$(member_list "$s" 4)"
	start_joining 5 "$(member_list "$s" 5)"
	add_learner 4
	add_learner 5
	wait_for_leader 10
	wait_caught_up 4 10
	wait_caught_up 5 10
	promote 4
	promote 5
	wait_config "$s" "$s:voter 4:voter 5:voter" 5
	write_keys late 5
	for m in 4 5; do
		wait_caught_up "$m" 5
		check_keys_on "$m" before 10
		check_keys_on "$m" late 5
	done
	# A majority again: the survivor may stop, writes go on.
	stop_member "$s"
	wait_for_leader 10
	write_keys last 3
}

# ------------------------------------------------------------------------
# Refusals
# ------------------------------------------------------------------------

@test "bad changes are refused with one line and change nothing" {
	start_cluster 3
	local l before dead
	l=$(url "$LEADER")
	# A learner that never runs (for transfers and promotion).
	plan_member 4
	add_learner 4
	before=$(config_of "$LEADER")
	[ "$before" = "1:voter 2:voter 3:voter 4:learner" ]

	run --separate-stderr ctl_up member add 2 127.0.0.1:1 http://127.0.0.1:2
	failure_line "raftctl: member add 2: node 2 is already a member (nothing changed)"
	run --separate-stderr ctl_up member add 5 "127.0.0.1:${PEER_PORT[1]}" http://127.0.0.1:2
	failure_line "raftctl: member add 5: peer_url 127.0.0.1:${PEER_PORT[1]} is member 1's already (nothing changed)"
	run --separate-stderr ctl_up member add 5 http://127.0.0.1:1 http://127.0.0.1:2
	failure_line "raftctl: member add 5: peer_url \"http://127.0.0.1:1\": give HOST:PORT of the member's peer port, without a scheme (nothing changed)"
	run --separate-stderr ctl_up member remove 9
	failure_line "raftctl: member remove 9: node 9 is not a member (nothing changed)"
	run --separate-stderr ctl_up member promote 2
	failure_line "raftctl: member promote 2: node 2 is already a voter (nothing changed)"
	run --separate-stderr ctl_up member promote 4
	failure_line "raftctl: member promote 4: node 4 has not answered the leader within the last election timeout (500 ms); it cannot be promoted (nothing changed)"
	run --separate-stderr ctl_up transfer-leader 4
	failure_line "raftctl: transfer-leader 4: node 4 is a learner: only a voter can lead (promote it first; nothing changed)"
	run --separate-stderr ctl_up transfer-leader 9
	failure_line "raftctl: transfer-leader 9: node 9 is not a member (nothing changed)"
	# A dead voter cannot take over.
	dead=$(follower)
	kill -KILL "${PIDS[$dead]}"
	wait "${PIDS[$dead]}" 2>/dev/null || true
	PIDS[$dead]=""
	sleep 1
	run --separate-stderr ctl_up transfer-leader "$dead"
	failure_line "raftctl: transfer-leader $dead: node $dead has not answered the leader within the last election timeout (500 ms); it cannot take over (nothing changed)"
	[ "$(config_of "$LEADER")" = "$before" ]
	[ "$(json_field "$(curl -s "$l/v1/status")" state)" = leader ]

	# The HTTP answers: status, code, one sentence, nothing changed.
	expect() {
		local code=$1 err=$2 msg=$3
		shift 3
		run http "$@"
		split_http "$output"
		assert_equal "$CODE" "$code"
		assert_equal "$(json_field "$BODY" code)" "$err"
		[[ "$BODY" == *"\"message\":\"$msg\""* ]] || fail "body: $BODY"
	}
	expect 400 bad_request "the body is not valid JSON (nothing changed)" \
		-X POST -d '{"id":5,' "$l/v1/members"
	expect 400 bad_request "the body must be a JSON object (nothing changed)" \
		-X POST -d '[5]' "$l/v1/members"
	expect 400 bad_request 'unknown field \"voter\"; the fields are id, peer_url, client_url and learner (nothing changed)' \
		-X POST -d '{"id":5,"voter":true}' "$l/v1/members"
	expect 400 bad_request "id must be a whole number from 1 to 2^53 (nothing changed)" \
		-X POST -d '{"id":-5,"peer_url":"127.0.0.1:1","client_url":"127.0.0.1:2"}' "$l/v1/members"
	expect 400 bad_request "id is missing (nothing changed)" \
		-X POST -d '{"peer_url":"127.0.0.1:1","client_url":"127.0.0.1:2"}' "$l/v1/members"
	expect 400 bad_request 'peer_url: \"127.0.0.1\" is not HOST:PORT (nothing changed)' \
		-X POST -d '{"id":5,"peer_url":"127.0.0.1","client_url":"127.0.0.1:2"}' "$l/v1/members"
	expect 400 bad_request 'client_url \"ftp://127.0.0.1:2\": the scheme must be http or https (nothing changed)' \
		-X POST -d '{"id":5,"peer_url":"127.0.0.1:1","client_url":"ftp://127.0.0.1:2"}' "$l/v1/members"
	expect 400 bad_request "learner must be true or false (nothing changed)" \
		-X POST -d '{"id":5,"peer_url":"127.0.0.1:1","client_url":"127.0.0.1:2","learner":"yes"}' "$l/v1/members"
	expect 400 bad_request 'field \"id\" is given twice (nothing changed)' \
		-X POST -d '{"id":5,"id":6}' "$l/v1/members"
	expect 400 bad_request "removal takes no body: the path names the member (nothing changed)" \
		-X DELETE -d x "$l/v1/members/2"
	expect 400 bad_request 'to must be a member id, a whole number from 1 to 2^53, or null (nothing changed)' \
		-X POST -d '{"to":"2"}' "$l/v1/leader/transfer"
	expect 400 bad_request 'unknown parameter \"force\"' \
		-X POST "$l/v1/reset-peers?force=true"
	expect 400 bad_request 'peers: node 9 is not in this member'"'"'s configuration; list surviving members only and add new ones afterwards (nothing changed)' \
		-X POST -d '{"peers":[9],"force":true}' "$l/v1/reset-peers"
	expect 400 bad_request "peers must include this member (node $LEADER): the configuration is forced on the member that receives the request (nothing changed)" \
		-X POST -d "{\"peers\":[4],\"force\":true}" "$l/v1/reset-peers"
	expect 404 not_member "node 9 is not a member (nothing changed)" \
		-X DELETE "$l/v1/members/9"
	expect 409 already_exists "node 4 is already a member (nothing changed)" \
		-X POST -d "{\"id\":4,\"peer_url\":\"127.0.0.1:1\",\"client_url\":\"127.0.0.1:2\"}" "$l/v1/members"
	expect 405 method_not_allowed "PUT is not allowed here (allowed: GET, HEAD, POST)" \
		-X PUT "$l/v1/members"
	expect 405 method_not_allowed "GET is not allowed here (allowed: DELETE)" \
		"$l/v1/members/2"
	expect 405 method_not_allowed "GET is not allowed here (allowed: POST)" \
		"$l/v1/leader/transfer"
	[ "$(config_of "$LEADER")" = "$before" ]
	# A follower sends changes to the leader, like writes.
	local f
	f=$(follower)
	run curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -X DELETE "$(url "$f")/v1/members/9"
	assert_output "307 $l/v1/members/9"
}

@test "the last voter cannot be removed" {
	start_cluster 1
	run --separate-stderr ctl 1 member remove 1
	failure_line "raftctl: member remove 1: node 1 is the last voter; add and promote another member first (nothing changed)"
	run --separate-stderr ctl 1 transfer-leader
	failure_line "raftctl: transfer-leader: there is no other voter to hand leadership to (nothing changed)"
	[ "$(config_of 1)" = "1:voter" ]
}

@test "one change at a time: a second change while one cannot commit is refused" {
	# A long election timeout (2 s) keeps the leader leading while its
	# followers are stopped.
	plan_cluster 3
	for m in 1 2 3; do
		start_member "$m" --election-ticks 40
	done
	wait_for_leader 15
	local l f1 f2
	l=$(url "$LEADER")
	f1=$(follower)
	SKIP_MEMBERS=$f1
	f2=$(follower)
	SKIP_MEMBERS=""
	plan_member 4
	plan_member 5
	kill -STOP "${PIDS[$f1]}" "${PIDS[$f2]}"
	# The first change is appended but cannot commit.
	curl -s --max-time 10 -X POST -o "$TEST_DIR/first" -w '%{http_code}' \
		-d "{\"id\":4,\"peer_url\":\"127.0.0.1:${PEER_PORT[4]}\",\"client_url\":\"127.0.0.1:${CLIENT_PORT[4]}\",\"learner\":true}" \
		"$l/v1/members" >"$TEST_DIR/first.code" &
	local first=$!
	sleep 0.3
	run http -X POST -d "{\"id\":5,\"peer_url\":\"127.0.0.1:${PEER_PORT[5]}\",\"client_url\":\"127.0.0.1:${CLIENT_PORT[5]}\",\"learner\":true}" "$l/v1/members"
	split_http "$output"
	assert_equal "$CODE" 409
	assert_equal "$(json_field "$BODY" code)" busy
	[[ "$BODY" == *'"message":"add member 5: the change before it (add member 4) is not committed yet; one change at a time (nothing changed)"'* ]] || fail "$BODY"
	run --separate-stderr ctl "$LEADER" member remove "$f1"
	failure_line "raftctl: member remove $f1: remove member $f1: the change before it (add member 4) is not committed yet; one change at a time (nothing changed)"
	kill -CONT "${PIDS[$f1]}" "${PIDS[$f2]}"
	wait "$first"
	[ "$(cat "$TEST_DIR/first.code")" = 200 ] || fail "first change: $(cat "$TEST_DIR/first.code") $(cat "$TEST_DIR/first")"
	wait_config "$LEADER" "1:voter 2:voter 3:voter 4:learner" 5
	# Once it committed, the next change goes through.
	run --separate-stderr ctl "$LEADER" member remove 4
	assert_success
	wait_config "$LEADER" "1:voter 2:voter 3:voter" 5
}
