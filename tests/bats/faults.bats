#!/usr/bin/env bats
# raftd under faults: real 3-member clusters on 127.0.0.1 that lose members
# (SIGKILL, SIGSTOP), disks (failpoints) and links (failpoints) while
# clients write, and must not lose an acknowledged write.
#
# Writes are logged one line each, "N KEY VALUE STATUS CODE INDEX": STATUS
# is the final HTTP status (000: no answer, or curl failed), CODE the error
# code (- if none), INDEX the log index of an acknowledged (200) write (0 if
# none). Keep each test under 20 s: every loop is bounded in count and time.

load helpers

setup() {
	raftd_setup
	LOAD_PID=""
	SKIP_MEMBERS=""
}

teardown() {
	stop_load
	# A failing test shows how its writes went, before the logs of its
	# members (raftd_teardown).
	if [ "${BATS_ERROR_STATUS:-0}" != 0 ] && [ -s "$TEST_DIR/writes" ]; then
		{
			echo "== writes: count by status and code, then the last 20"
			awk '{ print $4, $5 }' "$TEST_DIR/writes" | sort | uniq -c
			tail -n 20 "$TEST_DIR/writes"
		} >&3 2>/dev/null || true
	fi
	raftd_teardown
}

# ------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------

# Kills member $1 with SIGKILL and reaps it.
kill_member() {
	local pid=${PIDS[$1]}
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	PIDS[$1]=""
}

# One write: PUT value $3 to key $2 on member $1, following redirects;
# appends its line to the log $4 with number $5.
logged_put() {
	local out status code index
	# A redirect followed to a leader that does not answer ends with
	# curl failing after the 307: no answer, as for any failure.
	if out=$(curl -s -L --max-time 2 -w '\n%{http_code}' -X PUT \
		--data-binary "$3" "$(url "$1")/v1/kv/$2"); then
		status=${out##*$'\n'}
	else
		status=000
	fi
	code=$(json_field "$out" code)
	index=$(json_field "$out" index)
	echo "$5 $2 $3 $status ${code:--} ${index:-0}" >>"$4"
}

# The write load: up to $2 writes (at most 15 s, until $TEST_DIR/stop
# appears), one after the other, to members $4... in turn, logged in $1.
# With $3 = 0 every write has its own key (k1, k2, ...); else the keys k1..k$3
# are written over and over. Write N carries the value vN.
write_load() {
	local log=$1 n=$2 keys=$3 i key deadline=$((EPOCHSECONDS + 15))
	shift 3
	local members=("$@")
	for ((i = 1; i <= n; i++)); do
		[ ! -e "$TEST_DIR/stop" ] && [ "$EPOCHSECONDS" -lt "$deadline" ] ||
			break
		if [ "$keys" = 0 ]; then
			key=k$i
		else
			key=k$((i % keys + 1))
		fi
		logged_put "${members[$((i % ${#members[@]}))]}" "$key" "v$i" \
			"$log" "$i"
	done
}

# Runs write_load (same arguments) in the background.
start_load() {
	rm -f "$TEST_DIR/stop"
	: >"$1"
	write_load "$@" </dev/null >/dev/null 2>&1 3>&- &
	LOAD_PID=$!
}

# Stops the background load and waits for it (each of its writes ends
# within curl's --max-time).
stop_load() {
	[ -n "${LOAD_PID:-}" ] || return 0
	touch "$TEST_DIR/stop"
	wait "$LOAD_PID" || true
	LOAD_PID=""
}

# The number of acknowledged writes in the log $1.
acked() {
	awk '$4 == 200' "$1" | wc -l
}

# Waits up to $3 seconds until the log $1 holds at least $2 acknowledged
# writes.
wait_acked() {
	local deadline=$((SECONDS + $3))
	until [ "$(acked "$1")" -ge "$2" ]; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "only $(acked "$1") acknowledged writes within $3 s (wanted $2)" >&2
			return 1
		fi
		sleep 0.05
	done
}

# Checks every key of the write log $1 with reads of consistency $3 on
# member $2 (following redirects). A key holds the value of its last
# acknowledged write, or of a write whose outcome the client could not
# know (no answer, timeout, node_stopped, shutting_down: it may take effect
# at any time). A key never acknowledged is absent or holds such a value.
# So a lost acknowledged write, an older value or a write refused for sure
# (no_leader, leader_changed, ...) that took effect all fail.
check_writes() {
	local log=$1 member=$2 consistency=$3 key last maybe out status value
	local n=0
	while read -r key last maybe; do
		out=$(curl -s -L --max-time 5 -w '\n%{http_code}' \
			"$(url "$member")/v1/kv/$key?consistency=$consistency")
		status=${out##*$'\n'}
		value=${out%$'\n'*}
		if [ "$status" = 200 ] &&
			{ [ "$value" = "$last" ] || [[ ",$maybe," == *",$value,"* ]]; }; then
			n=$((n + 1))
			continue
		fi
		if [ "$status" = 404 ] && [ "$last" = - ]; then
			continue
		fi
		echo "member $member, key $key: got $status \"$value\"; last acknowledged: $last, unknown outcome: $maybe" >&2
		return 1
	done < <(awk '
		$4 == 200 { last[$2] = $3 }
		$4 == "000" || $5 == "timeout" || $5 == "node_stopped" ||
		$5 == "shutting_down" { maybe[$2] = maybe[$2] "," $3 }
		{ keys[$2] = 1 }
		END {
			for (k in keys) {
				m = substr(maybe[k], 2)
				print k, (k in last ? last[k] : "-"), (m == "" ? "-" : m)
			}
		}' "$log")
	CHECKED=$n
}

# The highest log index of an acknowledged write in the log $1.
last_acked_index() {
	awk '$4 == 200 && $6 > max { max = $6 } END { print max + 0 }' "$1"
}

# PUTs the faults $2 (JSON) on member $1 and checks that they are in force
# as $3 says.
set_faults() {
	run http -X PUT --data-binary "$2" "$(url "$1")/v1/debug/faults"
	split_http "$output"
	assert_equal "$CODE" 200
	assert_equal "$BODY" "$3"
}

# ------------------------------------------------------------------------
# Crashes and pauses
# ------------------------------------------------------------------------

@test "kill -9 the leader under write load: new leader, no acknowledged write lost, the old one catches up" {
	start_cluster 3
	local old=$LEADER old_term before i
	old_term=$(status_field "$old" term)
	# Ten keys written over and over through every member: each key's
	# last acknowledged value is what must survive.
	start_load "$TEST_DIR/writes" 2000 10 1 2 3
	wait_acked "$TEST_DIR/writes" 30 5
	kill_member "$old"
	before=$(acked "$TEST_DIR/writes")
	wait_for_leader 10
	[ "$LEADER" != "$old" ]
	[ "$(status_field "$LEADER" term)" -gt "$old_term" ]
	# The load goes on through the new leader.
	wait_acked "$TEST_DIR/writes" $((before + 30)) 8
	stop_load
	[ -z "${DBG:-}" ] || cp "$TEST_DIR"/writes "$TEST_DIR"/*.log "$DBG/" 2>/dev/null || true
	[ -z "${DBG:-}" ] || mkdir -p "$DBG/$BATS_TEST_NUMBER" && mv "$DBG"/writes "$DBG"/*.log "$DBG/$BATS_TEST_NUMBER/" 2>/dev/null || true
	# Every acknowledged write is there, read linearizably through each
	# survivor.
	for i in 1 2 3; do
		[ "$i" = "$old" ] && continue
		check_writes "$TEST_DIR/writes" "$i" linearizable
		assert_equal "$CHECKED" 10
	done
	# The killed member comes back with only its data dir and addresses,
	# catches up with the leader's commit index and serves the latest
	# values itself.
	restart_member "$old"
	wait_for_leader 10
	wait_applied "$old" "$(status_field "$LEADER" commit_index)" 10
	check_writes "$TEST_DIR/writes" "$old" stale
	assert_equal "$CHECKED" 10
	for i in $(seq 1 10); do
		assert_equal "$(curl -s "$(url "$old")/v1/kv/k$i?consistency=stale")" \
			"$(curl -s -L "$(url "$LEADER")/v1/kv/k$i")"
	done
}

@test "SIGSTOP a follower: writes go on; after SIGCONT it catches up" {
	start_cluster 3
	local f other i l=$LEADER term
	f=$(follower)
	for i in 1 2 3; do
		[ "$i" = "$l" ] || [ "$i" = "$f" ] || other=$i
	done
	term=$(status_field "$l" term)
	run http -X PUT --data-binary before "$(url "$l")/v1/kv/before"
	split_http "$output"
	assert_equal "$CODE" 200
	kill -STOP "${PIDS[$f]}"
	# The stopped member answers nothing.
	run curl -s --max-time 1 "$(url "$f")/v1/status"
	assert_failure
	for i in $(seq 1 30); do
		run http -X PUT --data-binary "s$i" "$(url "$l")/v1/kv/s$i"
		split_http "$output"
		assert_equal "$CODE" 200
	done
	# Same leader, same term: a paused follower disturbs nobody.
	assert_equal "$(status_field "$l" state)" leader
	assert_equal "$(status_field "$l" term)" "$term"
	# The leader notices that it hears nothing from it.
	local deadline=$((SECONDS + 5))
	until curl -s "$(url "$l")/v1/status" |
		grep -q "{\"id\":$f,[^}]*\"healthy\":false"; do
		[ "$SECONDS" -lt "$deadline" ]
		sleep 0.05
	done
	kill -CONT "${PIDS[$f]}"
	local commit
	commit=$(status_field "$l" commit_index)
	wait_applied "$f" "$commit" 10
	[ "$(status_field "$f" applied_index)" -ge "$(status_field "$other" applied_index)" ]
	for i in $(seq 1 30); do
		assert_equal "$(curl -s "$(url "$f")/v1/kv/s$i?consistency=stale")" "s$i"
	done
	assert_equal "$(curl -s "$(url "$f")/v1/kv/before?consistency=stale")" before
}

@test "kill -9 all three members mid-load: after a restart no acknowledged write is lost" {
	start_cluster 3
	local acked_n last i
	# Every write has its own key.
	start_load "$TEST_DIR/writes" 5000 0 1 2 3
	wait_acked "$TEST_DIR/writes" 60 8
	kill -KILL "${PIDS[1]}" "${PIDS[2]}" "${PIDS[3]}"
	for i in 1 2 3; do
		wait "${PIDS[$i]}" 2>/dev/null || true
		PIDS[$i]=""
	done
	stop_load
	[ -z "${DBG:-}" ] || cp "$TEST_DIR"/writes "$TEST_DIR"/*.log "$DBG/" 2>/dev/null || true
	[ -z "${DBG:-}" ] || mkdir -p "$DBG/$BATS_TEST_NUMBER" && mv "$DBG"/writes "$DBG"/*.log "$DBG/$BATS_TEST_NUMBER/" 2>/dev/null || true
	acked_n=$(acked "$TEST_DIR/writes")
	last=$(last_acked_index "$TEST_DIR/writes")
	[ "$acked_n" -ge 60 ]
	for i in 1 2 3; do
		restart_member "$i"
	done
	wait_for_leader 15
	check_writes "$TEST_DIR/writes" "$LEADER" linearizable
	[ "$CHECKED" -ge "$acked_n" ]
	for i in 1 2 3; do
		wait_applied "$i" "$last" 10
	done
}

# ------------------------------------------------------------------------
# Failpoints
# ------------------------------------------------------------------------

@test "a full disk on the leader: it stops and says why, the others go on" {
	start_cluster_failpoints 3
	local old=$LEADER fatal="write log: injected fault: no space left on device"
	local i
	for i in 1 2 3 4 5; do
		logged_put "$old" "d$i" "v$i" "$TEST_DIR/writes" "$i"
	done
	assert_equal "$(acked "$TEST_DIR/writes")" 5
	set_faults "$old" '{"disk_error":"enospc"}' \
		'{"disk_error":"enospc","cut":[],"drop_percent":0}'
	# The next write fails with the reason, and points to no leader.
	run http -X PUT --data-binary lost "$(url "$old")/v1/kv/after"
	split_http "$output"
	assert_equal "$CODE" 503
	assert_equal "$(json_field "$BODY" code)" node_stopped
	assert_output --regexp "^\{\"error\":\{\"code\":\"node_stopped\",\"message\":\"the node stopped( \(|: )$fatal[^\"]*\"\}\}"
	echo "6 after lost 503 node_stopped 0" >>"$TEST_DIR/writes"
	# So do later writes, health and linearizable reads; status says why;
	# stale reads go on.
	run http -X PUT --data-binary again "$(url "$old")/v1/kv/d1"
	split_http "$output"
	assert_equal "$CODE" 503
	assert_equal "$BODY" "{\"error\":{\"code\":\"node_stopped\",\"message\":\"the node stopped: $fatal\"}}"
	run http "$(url "$old")/v1/health"
	split_http "$output"
	assert_equal "$CODE" 503
	assert_equal "$BODY" "{\"error\":{\"code\":\"node_stopped\",\"message\":\"the node stopped: $fatal\"}}"
	run http "$(url "$old")/v1/kv/d1"
	split_http "$output"
	assert_equal "$CODE" 503
	assert_equal "$(json_field "$BODY" code)" node_stopped
	assert_equal "$(status_field "$old" fatal)" "$fatal"
	run http "$(url "$old")/v1/kv/d1?consistency=stale"
	split_http "$output"
	assert_equal "$CODE" 200
	assert_equal "$BODY" v1
	grep -q "the node stopped (RAFT_ENOSPC): $fatal" "$TEST_DIR/n$old.log"
	# The two others elect a leader and take writes.
	SKIP_MEMBERS=$old
	wait_for_leader 10
	[ "$LEADER" != "$old" ]
	for i in 7 8 9 10 11; do
		logged_put "$LEADER" "d$i" "v$i" "$TEST_DIR/writes" "$i"
	done
	assert_equal "$(acked "$TEST_DIR/writes")" 10
	# Nothing acknowledged is lost, through either of them.
	for i in 1 2 3; do
		[ "$i" = "$old" ] && continue
		check_writes "$TEST_DIR/writes" "$i" linearizable
		[ "$CHECKED" -ge 10 ]
		assert_equal "$(status_field "$i" fatal)" null
	done
	# The stopped member stays stopped.
	assert_equal "$(status_field "$old" fatal)" "$fatal"
}

@test "a failing disk (EIO) on a follower: it stops, the leader goes on with the other" {
	start_cluster_failpoints 3
	local l=$LEADER f other i term fatal="write log: injected fault: I/O error"
	f=$(follower)
	for i in 1 2 3; do
		[ "$i" = "$l" ] || [ "$i" = "$f" ] || other=$i
	done
	term=$(status_field "$l" term)
	logged_put "$l" k0 v0 "$TEST_DIR/writes" 0
	wait_applied "$f" "$(status_field "$l" commit_index)" 5
	set_faults "$f" '{"disk_error":"eio"}' \
		'{"disk_error":"eio","cut":[],"drop_percent":0}'
	for i in $(seq 1 20); do
		logged_put "$l" "k$i" "v$i" "$TEST_DIR/writes" "$i"
	done
	assert_equal "$(acked "$TEST_DIR/writes")" 21
	# The follower stopped at its first write and says why.
	local deadline=$((SECONDS + 3))
	until [ "$(status_field "$f" fatal)" = "$fatal" ]; do
		[ "$SECONDS" -lt "$deadline" ]
		sleep 0.05
	done
	run http "$(url "$f")/v1/health"
	split_http "$output"
	assert_equal "$CODE" 503
	assert_equal "$BODY" "{\"error\":{\"code\":\"node_stopped\",\"message\":\"the node stopped: $fatal\"}}"
	# A write sent to it is refused, not redirected.
	run http -X PUT --data-binary x "$(url "$f")/v1/kv/k1"
	split_http "$output"
	assert_equal "$CODE" 503
	assert_equal "$BODY" "{\"error\":{\"code\":\"node_stopped\",\"message\":\"the node stopped: $fatal\"}}"
	# What it applied before is still served.
	assert_equal "$(curl -s "$(url "$f")/v1/kv/k0?consistency=stale")" v0
	# The leader never changed.
	assert_equal "$(status_field "$l" state)" leader
	assert_equal "$(status_field "$l" term)" "$term"
	check_writes "$TEST_DIR/writes" "$l" linearizable
	assert_equal "$CHECKED" 21
	check_writes "$TEST_DIR/writes" "$other" linearizable
	assert_equal "$CHECKED" 21
}

@test "cut the leader off from both followers: they elect another, which takes writes" {
	start_cluster_failpoints 3
	local old=$LEADER old_term f1 f2 i
	old_term=$(status_field "$old" term)
	f1=$(follower)
	for i in 1 2 3; do
		[ "$i" = "$old" ] || [ "$i" = "$f1" ] || f2=$i
	done
	set_faults "$old" "{\"cut\":[$f1,$f2]}" \
		"{\"disk_error\":null,\"cut\":[$f1,$f2],\"drop_percent\":0}"
	SKIP_MEMBERS=$old
	wait_for_leader 10
	[ "$LEADER" != "$old" ]
	[ "$(status_field "$LEADER" term)" -gt "$old_term" ]
	for i in 1 2 3 4 5; do
		logged_put "$LEADER" "c$i" "v$i" "$TEST_DIR/writes" "$i"
	done
	assert_equal "$(acked "$TEST_DIR/writes")" 5
	check_writes "$TEST_DIR/writes" "$LEADER" linearizable
	assert_equal "$CHECKED" 5
	# The old leader, alone, can commit nothing.
	run http --max-time 8 -X PUT --data-binary alone "$(url "$old")/v1/kv/alone"
	split_http "$output"
	assert_equal "$CODE" 503
	assert_equal "$(curl -s -L "$(url "$LEADER")/v1/kv/alone?consistency=stale" -o /dev/null -w '%{http_code}')" 404
	# Links back: it rejoins as a follower and catches up.
	set_faults "$old" '{}' '{"disk_error":null,"cut":[],"drop_percent":0}'
	SKIP_MEMBERS=""
	wait_for_leader 10
	[ "$LEADER" != "$old" ]
	wait_applied "$old" "$(status_field "$LEADER" commit_index)" 10
	check_writes "$TEST_DIR/writes" "$old" stale
	assert_equal "$CHECKED" 5
}

@test "failpoints off: /v1/debug/faults is an unknown path" {
	start_cluster 1
	local l unknown
	l=$(url 1)
	unknown=$(curl -s "$l/v1/debug/nothing")
	assert_equal "$(json_field "$unknown" code)" not_found
	for m in PUT GET POST; do
		run http -X "$m" --data-binary '{"disk_error":"enospc"}' "$l/v1/debug/faults"
		split_http "$output"
		assert_equal "$CODE" 404
		assert_equal "$BODY" "$unknown"
	done
	# Nothing was injected: the member takes writes.
	run http -X PUT --data-binary v "$l/v1/kv/k"
	split_http "$output"
	assert_equal "$CODE" 200
	assert_equal "$(status_field 1 fatal)" null
	run grep -q FAILPOINTS "$TEST_DIR/n1.log"
	assert_failure
	# --enable-failpoints=false is off too.
	stop_member 1
	restart_member 1 --enable-failpoints=false
	wait_for_leader 10
	run http "$l/v1/debug/faults"
	split_http "$output"
	assert_equal "$CODE" 404
}

@test "failpoints: the endpoint refuses bad input whole and shows what is in force" {
	plan_cluster 1
	cat >"$TEST_DIR/raftd.conf" <<-EOF
		enable_failpoints = true
	EOF
	start_member 1 --config "$TEST_DIR/raftd.conf"
	wait_for_leader 10
	local l
	l=$(url 1)
	grep -q "warn FAILPOINTS ENABLED: .*never in production" "$TEST_DIR/n1.log"
	run http "$l/v1/debug/faults"
	split_http "$output"
	assert_equal "$CODE" 200
	assert_equal "$BODY" '{"disk_error":null,"cut":[],"drop_percent":0}'
	# Links to members that do not exist: harmless here.
	local in_force='{"disk_error":null,"cut":[7,9],"drop_percent":0}'
	set_faults 1 '{"cut":[7,9]}' "$in_force"
	bad() {
		local message=$1
		shift
		run http -X PUT "$@" "$l/v1/debug/faults"
		split_http "$output"
		assert_equal "$CODE" 400
		assert_equal "$BODY" "{\"error\":{\"code\":\"bad_request\",\"message\":\"$message (nothing changed)\",\"leader_id\":1,\"leader_url\":\"$l\"}}"
		assert_equal "$(curl -s "$l/v1/debug/faults")" "$in_force"
	}
	bad 'the body is not valid JSON' --data-binary '{"cut":[1]'
	bad 'the body is not valid JSON' --data-binary '{} {}'
	bad 'the body is not valid JSON' --data-binary ''
	bad 'the body must be a JSON object' --data-binary '["eio"]'
	bad 'disk_error must be \"eio\", \"enospc\" or null' --data-binary '{"disk_error":"EIO"}'
	bad 'disk_error must be \"eio\", \"enospc\" or null' --data-binary '{"disk_error":5}'
	bad 'cut must be a list of member ids' --data-binary '{"cut":2}'
	bad 'cut: item 2 is not a member id, a whole number from 1 to 2^53' --data-binary '{"cut":[2,0]}'
	bad 'cut: item 1 is not a member id, a whole number from 1 to 2^53' --data-binary '{"cut":[1.5]}'
	bad 'cut: item 1 is not a member id, a whole number from 1 to 2^53' --data-binary '{"cut":["2"]}'
	bad 'cut: member 2 is listed twice' --data-binary '{"cut":[2,3,2]}'
	bad 'cut lists more than 16 members' \
		--data-binary "{\"cut\":[$(seq -s, 1 17)]}"
	bad 'drop_percent must be a whole number from 0 to 100' --data-binary '{"drop_percent":101}'
	bad 'drop_percent must be a whole number from 0 to 100' --data-binary '{"drop_percent":-1}'
	bad 'drop_percent must be a whole number from 0 to 100' --data-binary '{"drop_percent":"5"}'
	bad 'field \"cut\" is given twice' --data-binary '{"cut":[],"cut":[2]}'
	bad 'unknown field \"disk\"; the fields are disk_error, cut and drop_percent' \
		--data-binary '{"disk":"eio"}'
	# Parameters and other methods are refused too.
	run http -X PUT --data-binary '{}' "$l/v1/debug/faults?disk_error=eio"
	split_http "$output"
	assert_equal "$CODE" 400
	run curl -s -D - -o /dev/null -X POST --data-binary '{}' "$l/v1/debug/faults"
	assert_line --partial "HTTP/1.1 405"
	assert_line --partial "Allow: GET, HEAD, PUT"
	assert_equal "$(curl -s "$l/v1/debug/faults")" "$in_force"
	# Sixteen links, dropped messages, then none at all; nulls mean none.
	set_faults 1 "{\"cut\":[$(seq -s, 2 17)],\"drop_percent\":100}" \
		"{\"disk_error\":null,\"cut\":[$(seq -s, 2 17)],\"drop_percent\":100}"
	set_faults 1 '{"disk_error":null,"cut":null,"drop_percent":null}' \
		'{"disk_error":null,"cut":[],"drop_percent":0}'
	# Still a working member.
	run http -X PUT --data-binary v "$l/v1/kv/k"
	split_http "$output"
	assert_equal "$CODE" 200
}

@test "failpoints flag and key: true or false only" {
	run "$RAFTD" --data-dir "$TEST_DIR/d" --listen-peer 127.0.0.1:1 \
		--listen-client 127.0.0.1:2 --enable-failpoints=yes
	assert_failure 2
	assert_output 'raftd: --enable-failpoints: "yes" is neither true nor false'
	printf 'enable_failpoints = 1\n' >"$TEST_DIR/raftd.conf"
	run "$RAFTD" --config "$TEST_DIR/raftd.conf"
	assert_failure 2
	assert_output "raftd: $TEST_DIR/raftd.conf:1: enable_failpoints: \"1\" is neither true nor false"
	run "$RAFTD" --help
	assert_line --partial "--enable-failpoints"
	[ ! -e "$TEST_DIR/d" ]
}
